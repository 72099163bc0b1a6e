/* The pre-settlement audit on the agent's side (lib/audit.h has the
 * rules): loading the tables of agent.audit_dir, the gate in the settle
 * path that holds a bill with block findings, and check-config. */
#ifndef HG_AGENT_AUDIT_H
#define HG_AGENT_AUDIT_H

#include "agent/conf.h"
#include "lib/audit.h"
#include "lib/conftab.h"
#include "queue/outbox.h"

/* Load agent.audit_dir into t (initialised here).  Returns 1 when the
 * audit is on, 0 when the directory does not exist (no audit); problems
 * go to errs (the tables then hold what could be read). */
int	hg_audit_tables_load(const struct hg_config *cfg,
	    struct hg_audit_tables *t, struct hg_conf_errs *errs);
/* check-config: the tables' problems as errors, a missing directory as
 * a warning (the audit is then off). */
void	hg_audit_confcheck(const struct hg_config *cfg,
	    struct hg_conf_errs *errs, struct hg_conf_errs *warns);

/* The settle path's gate, called by a worker for the bill it claimed
 * (row, and bill parsed from row->bill_json), before the first call to
 * the platform: audit the bill's content once, record the findings and,
 * when a rule at block found something, hold the bill (held_by_audit,
 * the lease given up).  A bill whose journal has a call already, or
 * whose content was audited before, passes as it is.  Returns 0: settle
 * it; 1: held, leave it; -1: the outbox failed (err). */
int	hg_audit_gate(struct hg_outbox *ob, const struct hg_config *cfg,
	    const struct hg_row *row, const struct hg_bill *bill,
	    struct hg_err *err);

/* The daemon's rule tables, read at first use: NULL when there is no
 * audit; otherwise held (a reload waits) until hg_audit_tables_done. */
const struct hg_audit_tables *hg_audit_tables_get(const struct hg_config *cfg);
void	hg_audit_tables_done(void);

/* The daemon's cost-surge watch (audit_watch.c): a thread that looks a
 * few seconds after the start, then hourly and after each reload (kick),
 * and logs alarms as they fire and clear.  Stop with
 * hg_audit_watch_stop (NULL is fine for both). */
struct hg_audit_watch;
int	hg_audit_watch_start(const struct hg_config *cfg,
	    struct hg_audit_watch **out, struct hg_err *err);
void	hg_audit_watch_kick(struct hg_audit_watch *w);
void	hg_audit_watch_stop(struct hg_audit_watch *w);

/* A cost-surge alarm the watch's last look found on (at the latest
 * discharge), for /metrics, the IT page and the alert hook. */
struct hg_audit_surge_on {
	const char *dept, *region;
	int64_t	 prev_avg, cur_avg;	/* fen per discharge */
	int64_t	 pct_x10;		/* rise in 0.1 % */
	int	 window;		/* days */
	/* what drives it: the dearest bills of the window, and the items
	 * whose cost per discharge rose most, first the most */
	long long top_bills[3];
	size_t	 ntop;
	char	 top_codes[3][48];
	size_t	 ncodes;
	int64_t	 since_ms;		/* wall ms this daemon first saw it */
};
/* Its one-line text, as logged and given to the alert hook. */
void	hg_audit_surge_text(const struct hg_audit_surge_on *a, char *buf,
	    size_t size);
/* Calls cb (may be NULL) for each alarm on, under a lock (cb must be
 * short; the watch's look never holds it while it reads the outbox);
 * returns how many are on.  None in a process without a watch (the
 * command line) or before its first look. */
size_t	hg_audit_surge_each(void (*cb)(const struct hg_audit_surge_on *,
	    void *), void *arg);

/* SIGHUP: read agent.audit_dir again.  A table with a bad line, or a
 * directory gone while the audit was on, keeps the tables in force
 * (-1, err says why); bills already audited stay as they were.  done
 * gets what was read (as logged), "" when the audit is off. */
int	hg_audit_reload(const struct hg_config *cfg, char *done, size_t donesz,
	    struct hg_err *err);

/* The cost surge's input: the outbox's cross-province discharges (the
 * insured region's province is not agent.admdvs's), invalid, rejected
 * and cancelled bills left out, with their net amount per code; and the
 * number of bills held. */
struct hg_audit_surge_in {
	struct hg_surge_bill *v;
	size_t	 n;
	int64_t	 last;		/* latest discharge day, -1 none */
	size_t	 held;
};
int	hg_audit_surge_gather(struct hg_outbox *ob, const struct hg_config *cfg,
	    struct hg_audit_surge_in *in, struct hg_err *err);
void	hg_audit_surge_in_free(struct hg_audit_surge_in *in);

#endif
