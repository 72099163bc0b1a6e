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

/* What the journal says about a bill (built by hg_settle_view). */
struct hg_settle_view {
	int	 have_psn;	/* psn_no known (1101 done) */
	int	 have_mdtrt;	/* mdtrt_id known (2401 done or from HIS) */
	int	 open_2401;	/* no mdtrt_id and the last 2401's answer lost */
	int	 open_2304;	/* a 2304 whose answer was lost, unresolved */
	int	 ok_2304;	/* a 2304 answered ok (or found by 5203) that
				 * the bill row does not show yet */
	int	 fees_dirty;	/* the visit's uploaded items are not known
				 * exactly: delete them all (2302 "0000") */
	size_t	 fees_missing;	/* items of the bill not uploaded yet */
	int	 discharged;	/* 2402 ok since the last fee change */
	int	 presettled;	/* 2303 ok since then */
};

enum hg_settle_action {
	HG_ACT_RESOLVE_2304,	/* in doubt: 5203 by medins_setl_id = msgid */
	HG_ACT_FINISH,		/* record the settlement the journal holds */
	HG_ACT_1101,
	HG_ACT_2401,
	HG_ACT_2302,		/* delete every uploaded item ("0000") */
	HG_ACT_2301,
	HG_ACT_2402,
	HG_ACT_2303,
	HG_ACT_2304,
};

enum hg_settle_action hg_settle_next(const struct hg_settle_view *v);
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
};
void	hg_settle_memo_free(struct hg_settle_memo *m);

/* Build the view from the bill row (psn_no, mdtrt_id), the bill (with
 * psn_no and mdtrt_id filled in, to compare uploaded items with) and its
 * journal, oldest first.  memo may be NULL (then nothing is kept). */
void	hg_settle_view(const struct hg_row *row, const struct hg_bill *bill,
	    const struct hg_step *steps, size_t n, struct hg_settle_memo *memo,
	    struct hg_settle_view *v);

/* Which of the bill's *nitems items the answered uploads since the last
 * delete put on the platform (up[k] = 1; *up is owned by the caller): 0,
 * or -1 when a delete or an upload was not answered ok, or an upload
 * holds an item the bill does not have as it is now, or one twice. */
int	hg_settle_uploaded(const struct hg_bill *bill,
	    const struct hg_step *steps, size_t n, struct hg_settle_memo *memo,
	    char **up, size_t *nitems);

#endif
