/* The alert hook (hisgate.conf(5), ALERTS): the daemon looks every
 * alert.check_seconds at what should wake somebody up, logs it and runs
 * alert.command for it:
 *
 *   indoubt      a bill in_doubt longer than indoubt_seconds
 *   rejected     a bill rejected or needs_person longer than rejected_seconds
 *   unreachable  no exchange with the platform answered for
 *                unreachable_seconds (reachable: it answers again)
 *   surge        the audit's cost-surge alarm is on (surge_cleared: off)
 *
 * One thread of its own, asleep between checks: a hook that hangs holds
 * up later alerts (until alert.timeout_seconds kills it), never intake
 * or settlement.  What was alerted is remembered in memory (lib/alert.h):
 * a condition is alerted again only after repeat_seconds, and a restart
 * alerts what still holds once more. */
#ifndef HG_AGENT_ALERT_H
#define HG_AGENT_ALERT_H

#include <stdint.h>

#include "lib/conftab.h"
#include "lib/err.h"

struct hg_alert_conf {
	char	*command;		/* absolute path, "" = log only */
	int64_t	 check_seconds;
	int64_t	 indoubt_seconds;
	int64_t	 rejected_seconds;
	int64_t	 unreachable_seconds;
	int64_t	 repeat_seconds;
	int64_t	 timeout_seconds;
	int	 recovery;		/* reachable, surge_cleared too */
};

extern const struct hg_conf_key hg_alert_keys[];

struct hg_conf_errs;
struct hg_config;
struct hg_user;
/* Loading: alert.command is an absolute path (it runs without a shell
 * or PATH).  FILE:LINE of the key. */
void	hg_alert_conf_check(const struct hg_config *cfg,
	    struct hg_conf_errs *errs);
/* check-config: the command exists, is a regular file and `as` may
 * execute it. */
void	hg_alert_confcheck(const struct hg_config *cfg, const struct hg_user *as,
	    struct hg_conf_errs *errs);

struct hg_alerter;
/* Start the checking thread (the configuration must outlive it). */
int	hg_alert_start(const struct hg_config *cfg, struct hg_alerter **out,
	    struct hg_err *err);
/* Stop it; a hook still running is killed.  NULL is fine. */
void	hg_alert_stop(struct hg_alerter *al);

/* alert_run.c: one run of the hook, argv { command, kind }, with env
 * (NULL-terminated "NAME=value" strings) added to a clean environment;
 * killed (its process group) after timeout_s or when stop_fd becomes
 * readable.  Logs how it ended; returns its exit status, or -1 when it
 * could not be started, was killed or died of a signal. */
int	hg_alert_run(const char *command, const char *kind,
	    const char *const *env, int64_t timeout_s, int stop_fd);

#endif
