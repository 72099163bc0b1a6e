/* The settler: N worker threads, each with its own outbox connection and
 * platform transport, that claim bills and walk them through the
 * inpatient step machine 1101 -> 2401 -> 2301... -> 2402 -> 2303 -> 2304,
 * journalling every call before it is sent (queue/steps.h).
 *
 * What to do next for a bill is decided by a pure function of the bill
 * row and its journal (hg_settle_next), so that a bill picked up after a
 * crash, a lost answer or a retry takes exactly the path a fresh one
 * would, and the rules are table-tested (t/test_settle.c). */
#ifndef HG_SETTLE_H
#define HG_SETTLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/conf.h"
#include "agent/platform.h"
#include "lib/bill.h"
#include "queue/outbox.h"
#include "queue/steps.h"

/* --- the daemon's settler --------------------------------------------- */

struct hg_settle;

/* Start cfg->settle.workers threads (nothing when settle.enabled is
 * false: *out is then NULL).  Leases left by agents of this host that
 * are gone are released first.  Call before other threads create files
 * (outboxes are opened here). */
int	hg_settle_start(const struct hg_config *cfg, struct hg_settle **out,
	    struct hg_err *err);
/* Ask the workers to stop after their current call, wait for them, free.
 * NULL is fine. */
void	hg_settle_stop(struct hg_settle *s);
/* Bills may have become claimable (intake committed, a person retried):
 * wake one idle worker.  Idle workers otherwise sleep until the next bill
 * waiting out a backoff falls due, or a few seconds for what another
 * process changed.  NULL is fine; any thread. */
void	hg_settle_kick(struct hg_settle *s);
/* 1 when the settler cannot go on in this process: syncing the journal
 * failed (queue/group.h).  It has then sent the process SIGTERM already;
 * the daemon stops and exits 1, so that systemd starts it again and it
 * reads back what is really on disk.  NULL is fine (0). */
int	hg_settle_fatal(struct hg_settle *s);

/* The platform's shared half (header, secrets, msgid generator with its
 * state file "<outbox>.msgid"), from the configuration; for the CLI too. */
int	hg_settle_platform_init(const struct hg_config *cfg,
	    struct hg_platform_shared *sh, struct hg_err *err);

/* --- pure pieces (t/test_settle.c) ---------------------------------------- */

/* Exponential backoff with full jitter: a value in
 * [0, min(cap, base * 2^attempts)], picked by rnd. */
int64_t	hg_backoff_ms(int64_t base_ms, int64_t cap_ms, int attempts,
	    uint64_t rnd);

/* A token bucket shared by the workers: rate tokens per second, a burst
 * of at most one second's worth.  rate 0 = no limit. */
struct hg_bucket {
	pthread_mutex_t	 lock;
	int64_t		 rate;		/* tokens per second */
	int64_t		 milli;		/* tokens x 1000 available */
	int64_t		 last_ms;
};
void	hg_bucket_init(struct hg_bucket *b, int64_t rate, int64_t now_ms);
void	hg_bucket_destroy(struct hg_bucket *b);
/* Take one token: 0 when granted, else how many ms to wait before
 * asking again. */
int64_t	hg_bucket_take(struct hg_bucket *b, int64_t now_ms);

/* After this many lost answers in a row to the calls that resolve a lost
 * answer (2601, 5201, 2404, 2405), or this many lost answers in all, or
 * this many deletes of the uploaded items, since a person last looked
 * (queue retry), the bill waits for a person (needs_person): never a
 * silent loop. */
#define HG_SETTLE_MAX_LOST_RUN	5
#define HG_SETTLE_MAX_LOST	15
#define HG_SETTLE_MAX_DELETES	8

/* What the journal says about a bill (built by hg_settle_view). */
struct hg_settle_view {
	int	 have_psn;	/* psn_no known (1101 done) */
	int	 have_mdtrt;	/* mdtrt_id known (2401 done or from HIS) */
	int	 open_2401;	/* no mdtrt_id and the last 2401's answer lost:
				 * ask 5201 which visits are open */
	int	 open_2304;	/* a 2304 whose answer was lost, not yet
				 * reversed (2601) */
	int	 ok_2304;	/* a 2304 answered ok that the bill row does
				 * not show yet */
	int	 fees_dirty;	/* the visit's uploaded items are not known
				 * exactly: delete them all (2302 "0000") */
	size_t	 fees_missing;	/* items of the bill not uploaded yet */
	int	 discharged;	/* discharged at the platform: the last 2402
				 * ok (or confirmed by 5201) is after the last
				 * 2405 ok */
	int	 presettled;	/* 2303 ok since the last change, discharge,
				 * cancellation or 2304 */
	int	 open_dscg;	/* the last 2402 or 2405 answer lost: 5201 */
	int	 ask_visits;	/* a 2404 answer lost: 5201 again */
	int	 refused_2401;	/* no mdtrt_id: the last 2401 was refused
				 * after an earlier one of the bill was lost
				 * (that one may have landed since): 5201 */
	int64_t	 lost_2401_ms;	/* the latest 2401 of the bill whose answer
				 * was lost was sent then; 0 none */
	int64_t	 asked_ms;	/* the last 5201 answered was sent then */
	int	 late_2401;	/* hg_settle_late: a lost 2401 may still land
				 * (late) and admit again: before settling,
				 * 5201 once it cannot any more */
	char	 close_mdtrt[HG_NHSA_IDBUF];	/* an open visit with the
				 * bill's ipt_no other than its own, listed by
				 * the last 5201: close it (2404); "" none */
	int	 stuck;		/* bounded tries spent: needs_person */
	char	 stuck_why[256];
};

enum hg_settle_action {
	HG_ACT_RESOLVE_2304,	/* a lost 2304: reverse it by msgid (2601) */
	HG_ACT_FINISH,		/* record the settlement the journal holds */
	HG_ACT_1101,
	HG_ACT_2401,
	HG_ACT_2302,		/* delete every uploaded item ("0000") */
	HG_ACT_2301,
	HG_ACT_2402,
	HG_ACT_2303,
	HG_ACT_2304,
	HG_ACT_5201,		/* a lost 2401/2402/2404/2405: ask the visits */
	HG_ACT_2404,		/* close a visit that is not the bill's */
	HG_ACT_2405,		/* reopen the discharged visit for new fees */
	HG_ACT_PERSON,		/* give it to a person (needs_person) */
};

enum hg_settle_action hg_settle_next(const struct hg_settle_view *v);
/* A platform may process a request long after the agent stopped waiting
 * for it (queued behind a gateway, a database, a lock).  A lost 2401 that
 * lands after the 5201 that resolved it opens a second visit (or, where a
 * repeated 2401 is refused, is refused itself): so before a bill with a
 * lost 2401 is settled, its visits are listed again by a 5201 sent at
 * least late_ms after that 2401, and what is open beside the bill's own
 * is closed (2404).  Sets v->late_2401; the moment is lost_2401_ms +
 * late_ms. */
void	hg_settle_late(struct hg_settle_view *v, int64_t late_ms);
const char *hg_settle_action_name(enum hg_settle_action a);

/* What one claim keeps between its steps, so that a step does not encode
 * the whole bill and parse every journalled upload again: the bill's
 * items as the platform reads them (for the psn_no and mdtrt_id they were
 * worked out with) and the items of each journalled 2301, by step id.
 * Only for one bill as it was claimed: a memo never outlives the claim.
 * Zeroed is empty. */
struct hg_settle_upload;
struct hg_settle_memo {
	char			 psn_no[HG_NHSA_IDBUF];
	char			 mdtrt_id[HG_NHSA_IDBUF];
	int			 have_items;
	struct hg_nhsa_fee_in	*items;
	size_t			 nitems;
	struct hg_settle_upload	*up;
	size_t			 nup;
	/* when a person last sent the bill back (queue retry of a
	 * needs_person bill), wall ms; 0 never: the bounds count from then */
	int64_t			 since_ms;
};
void	hg_settle_memo_free(struct hg_settle_memo *m);
/* An upload this claim sent and had answered: its items (the request's
 * feedetail) and the answer's output, kept so that the view need not
 * parse the journalled texts again; what the journal says of that msgid
 * is found here.  The objects are only read. */
void	hg_settle_memo_seed(struct hg_settle_memo *m, const char *msgid,
	    struct json_object *feedetail, const struct json_object *output);

/* Build the view from the bill row (psn_no, mdtrt_id), the bill (with
 * psn_no and mdtrt_id filled in, to compare uploaded items with) and its
 * journal, oldest first.  memo may be NULL (then nothing is kept). */
void	hg_settle_view(const struct hg_row *row, const struct hg_bill *bill,
	    const struct hg_step *steps, size_t n, struct hg_settle_memo *memo,
	    struct hg_settle_view *v);

/* Which of the bill's *nitems items the answered uploads since the last
 * delete put on the platform (up[k] = 1; *up is owned by the caller): 0,
 * or -1 when a delete or an upload was not answered ok, or an upload
 * holds an item the bill does not have as it is now, or one twice, or
 * its answer lists another number of items than it carried. */
int	hg_settle_uploaded(const struct hg_bill *bill,
	    const struct hg_step *steps, size_t n, struct hg_settle_memo *memo,
	    char **up, size_t *nitems);

/* The order the bill's fees go up in (order[0..nfees), caller's array):
 * the bill's own order, except that a refund line (init_sn) comes after
 * the line it refers to, within one 2301 and across chunks: the platform
 * refuses a refund whose original it has not received (yet). */
void	hg_settle_upload_order(const struct hg_bill *bill, size_t *order);

#endif
