/* The settler's inside, shared by its files (not for other modules):
 *
 *   settle.c        the worker loop: claim a bill, walk it step by step,
 *                   give it back; start and stop
 *   settle_next.c   the step machine's decisions: what the journal says
 *                   (hg_settle_view) and what to do next (hg_settle_next);
 *                   pure, table-tested in t/test_settle.c
 *   settle_steps.c  the steps' calls: 1101, 2401, 2301, 2302, 2402, 2303,
 *                   2304 and recording a settlement
 *   settle_lost.c   what happens after a lost answer (2304, 2401, 2402,
 *                   uploads): how the agent finds out, by asking
 *   settle_call.c   one journalled call and what a failure means for the
 *                   bill (rejected, retried later, lost lease)
 */
#ifndef HG_SETTLE_INT_H
#define HG_SETTLE_INT_H

#include "agent/settle.h"
#include "lib/log.h"
#include "queue/group.h"

#define COMP		"settle"

/* ---------------------------------------------------------------------- */
/* the running settler */

struct worker {
	struct hg_settle *s;
	int		 idx;
	char		 owner[160];
	pthread_t	 thread;
	int		 started;
	struct hg_outbox *ob;
	struct hg_platform *p;
	uint64_t	 rng;
	int		 fails;		/* consecutive transport failures */
	uint64_t	 kicks_seen;	/* of hg_settle.kicks, under its lock */
	struct hg_complain c_ob, c_net;
};

struct hg_settle {
	const struct hg_config *cfg;
	struct hg_platform_shared sh;
	struct hg_bucket bucket;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_cond_t	 kick;		/* idle workers wait here (hs_idle) */
	uint64_t	 kicks;		/* hg_settle_kick calls, under lock */
	pthread_mutex_t	 dblock;	/* the workers' outbox writes */
	int		 fatal;		/* die_of_disk: under lock */
	struct hg_group	*group;		/* their "sent" records' fsyncs */
	int		 stopping;
	struct worker	*w;
	size_t		 nw;
	char		 host[64];
	char		 nonce[20];
};

/* One claimed bill. */
struct job {
	struct worker	*w;
	struct hg_row	 row;
	struct hg_bill	*bill;
	char		 insutype[HG_NHSA_CODEBUF];
	char		 insuplc[HG_NHSA_CODEBUF];
	struct hg_step	*steps;
	size_t		 nsteps;
	struct hg_settle_memo memo;		/* this claim's, for the view */
	char		 why[HG_ERRLEN];	/* for the release */
	int64_t		 not_before;		/* release no earlier */
};

enum res {
	R_NEXT,		/* go on with the next step */
	R_DONE,		/* settled or rejected: the bill is finished */
	R_RETRY,	/* give it back with backoff (why says why) */
	R_LOST,		/* not ours any more: leave it alone */
};

/* settle_next.c: the journal's vocabulary */
int	hs_is(const struct hg_step *s, const char *infno, const char *state);
int	hs_unanswered(const struct hg_step *s);
/* failed with the platform's answer on record (a refusal) */
int	hs_refused(const struct hg_step *s);

/* settle_call.c */
int	hs_stopping(struct hg_settle *s);
/* Sleep up to ms unless asked to stop; returns stopping. */
int	hs_nap(struct hg_settle *s, int64_t ms);
/* Wait up to ms for a kick (hg_settle_kick) the worker has not seen, or
 * a stop; returns stopping. */
int	hs_idle(struct worker *w, int64_t ms);
void	hs_db_lock(struct worker *w);
int	hs_db_unlock(struct worker *w, int rc);
/* HS_LOCKED(w, hg_steps_...(...)): that write between db_lock and
 * db_unlock */
#define HS_LOCKED(w, write)	(hs_db_lock(w), hs_db_unlock((w), (write)))
int	hs_die_of_disk(struct hg_settle *s, const char *why);
/* A journalled call, after the rate limit; takes in. */
enum hg_call_outcome hs_call(struct job *j, const char *infno,
	    struct json_object *in, struct hg_call *c);
/* msg with the patient's name masked, in buf; returns buf. */
const char *hs_scrub(const struct job *j, const char *msg, char *buf,
	    size_t len);
enum res hs_reject(struct job *j, const char *why);
/* Bounded tries spent, or an answer the agent cannot act on: the bill
 * waits for a person (needs_person), its journal shows every call. */
enum res hs_needs_person(struct job *j, const char *why);
/* What a call that did not succeed means for the bill. */
enum res hs_failed(struct job *j, struct hg_call *c);
int	hs_db_failed(struct job *j, const struct hg_err *err);

/* settle_steps.c */
void	hs_fill_bill(struct job *j);
void	hs_person_from_journal(struct job *j);
/* The visit of a 2401 answered ok whose mdtrt_id the bill's row does not
 * hold (the agent stopped between the two writes): taken from its
 * answer, never admitted again. */
enum res hs_mdtrt_from_journal(struct job *j);
enum res hs_step(struct job *j, enum hg_settle_action act);

/* settle_lost.c */
enum res hs_resolve_2304(struct job *j);
/* 5201 after a lost 2401, 2402, 2404 or 2405 */
enum res hs_visits_5201(struct job *j);
int64_t	hs_in_flight_until(const struct job *j, const char *const *infnos);
/* How long after a lost 2401 was sent it may still land: four times its
 * whole timeout (hg_settle_late). */
int64_t	hs_late_ms(const struct job *j);

#endif
