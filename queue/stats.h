/* Aggregates of the outbox for /metrics, /healthz and the status page:
 * counted by SQLite from the bills and the journal, so they survive
 * restarts and agree with `hisgate queue list`.  The counters (calls,
 * state changes) add what purged bills counted (hg_stats_carry), so they
 * never go down: Prometheus would take that for a reset.  Each call
 * scans its table once; a county hospital's outbox (thousands of bills,
 * a few calls each) answers in milliseconds.  Functions return 0 or -1
 * with err, as queue/outbox.h. */
#ifndef HG_QUEUE_STATS_H
#define HG_QUEUE_STATS_H

#include <stdint.h>

#include "lib/err.h"
#include "queue/outbox.h"

/* Upper bounds (ms) of the latency buckets, ascending; +Inf is implied. */
#define HG_STATS_NBUCKETS	9
extern const int64_t hg_stats_bucket_ms[HG_STATS_NBUCKETS];

/* The journal of one infno, purged bills' calls included. */
struct hg_stats_infno {
	const char *infno;
	long long calls;	/* journal rows */
	long long retries;	/* calls beyond the first per bill */
	long long lost;		/* the answer was lost (resolved since or not) */
	long long failed;	/* refused, or provably never sent */
	long long answered;	/* with an answer time: the histogram's count */
	int64_t	 sum_ms;	/* of answered_ms - sent_ms */
	long long le[HG_STATS_NBUCKETS];	/* cumulative counts */
};
int	hg_stats_steps(struct hg_outbox *ob,
	    int (*cb)(const struct hg_stats_infno *s, void *arg), void *arg,
	    struct hg_err *err);

/* Bills per adapter and state. */
int	hg_stats_adapters(struct hg_outbox *ob,
	    int (*cb)(const char *adapter, const char *state, long long n,
	    void *arg), void *arg, struct hg_err *err);

/* When each adapter's last bill was taken in (created_ms, wall ms). */
int	hg_stats_adapters_last(struct hg_outbox *ob,
	    int (*cb)(const char *adapter, int64_t created_ms, void *arg),
	    void *arg, struct hg_err *err);

/* created_ms of the oldest bill not finished (ready, in_progress,
 * in_doubt, needs_person); 0 when there is none. */
int	hg_stats_oldest_unsettled(struct hg_outbox *ob, int64_t *created_ms,
	    struct hg_err *err);
/* That bill's id (0 when none). */
int	hg_stats_oldest_id(struct hg_outbox *ob, long long *id,
	    struct hg_err *err);

/* When the platform last answered a call (wall ms, 0 never), and when
 * an attempt last failed without an answer: a journalled call with no
 * response (lost, unreachable, timed out), or a bill given back with an
 * error and no call journalled since (a failed sign-in journals none). */
int	hg_stats_last_answers(struct hg_outbox *ob, int64_t *ok_ms,
	    int64_t *noanswer_ms, struct hg_err *err);

/* State changes into each state ever recorded (history, purged bills'
 * included): how many times bills were settled, rejected, went in
 * doubt ... */
int	hg_stats_transitions(struct hg_outbox *ob,
	    int (*cb)(const char *state, long long n, void *arg), void *arg,
	    struct hg_err *err);

/* Inside the caller's transaction, before it deletes the journal and
 * history of the bills whose ids the SQL query bills selects: add what
 * those rows count for hg_stats_steps and hg_stats_transitions to the
 * carried totals (table metric_carry).  Every path that deletes such
 * rows calls this (hg_outbox_purge). */
int	hg_stats_carry(struct hg_outbox *ob, const char *bills,
	    struct hg_err *err);

/* Bills discharged on day ("YYYY-MM-DD", the bill's endtime), in id
 * order, with their department (dept_name, "" when none); cb returns 0
 * to go on. */
int	hg_stats_discharged(struct hg_outbox *ob, const char *day,
	    int (*cb)(long long id, const char *dept, void *arg), void *arg,
	    struct hg_err *err);

/* Bills in state that entered it before before_ms (wall ms; the last
 * history row into that state from another), oldest first, at most max:
 * for the alert hook.  name is json psn_name (for masking err_msg),
 * any of the strings may be NULL.  cb returns 0 to go on. */
struct hg_stats_stuck {
	long long id;
	const char *state, *ipt_no, *err_msg, *name;
	int64_t	 since_ms;
};
int	hg_stats_stuck(struct hg_outbox *ob, const char *state,
	    int64_t before_ms, int max,
	    int (*cb)(const struct hg_stats_stuck *s, void *arg), void *arg,
	    struct hg_err *err);

#endif
