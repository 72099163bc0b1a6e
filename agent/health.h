/* Is each adapter's loop moving?  The one notion the watchdog has
 * (agent/notify_wd.h: a loop is late once it is past the time its last
 * beat said it would beat again) with web.health_stuck_s as the limit
 * instead of WatchdogSec, so that /healthz, /metrics and `hisgate
 * status` say "stuck" before systemd restarts the agent.  An adapter
 * beats when a turn begins (open the outbox, start, poll) and again when
 * it naps, saying for how long: a drop directory or ODBC query is stuck
 * when one poll outlasts the limit; a listener (HL7/MLLP, HTTP push)
 * naps in poll(2) on its sockets, so an idle one is never stuck, only
 * one whose handling of a message or request does not return.
 *
 * The daemon writes what it sees to OUTBOX.health beside its pid file
 * (agent/pidfile.h) for `hisgate status`: replaced whole when something
 * in it changed (checked every few seconds), removed when it stops.
 * Contents, one key=value a line: pid, started_ms (as in the pid file),
 * adapter=NAME STATE SINCE_MS TEXT for each adapter (STATE starting,
 * running, failing (since the first failure, TEXT its last error) or
 * stuck (since its turn began, TEXT says how long)), and signin=STATE
 * AT_MS TEXT (none, ok, or failed with TEXT why).  Times are wall ms. */
#ifndef HG_HEALTH_H
#define HG_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct hg_config;
struct hg_runinfo;

enum hg_health_state {
	HG_AD_STARTING = 0,	/* no poll done yet */
	HG_AD_RUNNING,
	HG_AD_FAILING,
	HG_AD_STUCK,
};

struct hg_health_ad {
	char	 name[64];
	int	 state;
	int64_t	 since_ms;	/* failing, stuck: since when (wall ms) */
	int64_t	 rest_ms;	/* the last turn ended (wall ms); before
				 * the first, the thread began; 0 no thread */
	char	 text[HG_ERRLEN];	/* failing: the last error; stuck:
					 * how long, for /healthz */
};

const char *hg_health_state_name(int state);

/* Each of cfg's adapters, in its order, into out[0..cfg->nadapters). */
void	hg_health_adapters(const struct hg_config *cfg,
	    struct hg_health_ad *out);
/* A loop that is not an adapter's (a settlement worker) past the limit:
 * 1 with its name and since when its turn began, else 0. */
int	hg_health_other_stuck(const struct hg_config *cfg, char *who,
	    size_t len, int64_t *since_ms);

/* OUTBOX.health (allocated). */
char	*hg_health_path(const char *outbox);

/* The daemon's (main thread): new removes a file a killed daemon left;
 * update rewrites it when what it says changed, and logs an adapter that
 * becomes stuck and when it moves again (call it every
 * hg_health_every_ms); free removes the file.  cfg and ri (the pid
 * file's) must outlive the writer. */
struct hg_health_writer;
struct hg_health_writer *hg_health_writer_new(const struct hg_config *cfg,
	    const struct hg_runinfo *ri);
void	hg_health_update(struct hg_health_writer *w);
void	hg_health_writer_free(struct hg_health_writer *w);	/* NULL ok */
int64_t	hg_health_every_ms(const struct hg_config *cfg);

/* What the file says, for `hisgate status`. */
struct hg_health_file {
	long	 pid;
	int64_t	 started_ms;
	size_t	 nads;
	struct hg_health_ad *ads;	/* allocated */
	int	 signin;		/* 0 none, 1 ok, 2 failed */
	int64_t	 signin_ms;
	char	 signin_why[HG_ERRLEN];
};
/* 0, or -1 when there is no file (or it cannot be read). */
int	hg_health_read(const char *path, struct hg_health_file *hf);
void	hg_health_file_free(struct hg_health_file *hf);

#endif
