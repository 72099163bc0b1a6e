/* The settlement journal (`steps` table of the outbox, schema v1) and the
 * few bill updates the settler needs beyond queue/outbox.h: every
 * platform call is written here, committed, BEFORE it is sent (state
 * "sent", with its msgid and request) and updated once it answers ("ok",
 * "failed" or "unknown" with the response).  A bill's progress (psn_no,
 * mdtrt_id, setl_id ...) lives in its row; what the platform may or may
 * not have done lives here.
 *
 * Functions follow outbox.h: 0 or -1 with err (HG_ETEMP: try later), and
 * they join the caller's hg_outbox_begin() transaction when one is open.
 * A worker's writes are fenced by its lease: when the bill's lease_owner
 * is no longer `owner` (another worker took it over after the lease ran
 * out), they fail with HG_EPERM "lease lost" and write nothing. */
#ifndef HG_STEPS_H
#define HG_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "queue/outbox.h"

/* Journal states, stored as these strings. */
#define HG_STEP_SENT	"sent"		/* on its way; no answer yet */
#define HG_STEP_OK	"ok"		/* infcode 0 */
#define HG_STEP_FAILED	"failed"	/* refused, or provably never sent */
#define HG_STEP_UNKNOWN	"unknown"	/* the answer was lost */

struct hg_step {
	long long id;
	long long bill_id;
	char	*infno;
	char	*msgid;
	char	*state;
	char	*request;
	char	*response;
	char	*err_msg;
	int64_t	 sent_ms;
	int64_t	 answered_ms;
};

/* Journal a call before it is sent: insert ("sent"); outside any
 * transaction when the connection has a group commit.  With owner != NULL
 * the bill must still be leased by owner, and the lease is extended to
 * lease_until_ms unless it still runs for keep_ms (as long as the call
 * can take: the bill's row is not rewritten for every call).  With owner
 * == NULL (the CLI) the bill must be in state `need_state`, and its step
 * column is set. */
int	hg_steps_sent(struct hg_outbox *ob, long long bill_id,
	    const char *owner, int64_t lease_until_ms, int64_t keep_ms,
	    const char *need_state, const char *infno, const char *msgid,
	    const char *request, struct hg_err *err);
/* After hg_steps_sent on a connection with a group commit
 * (hg_steps_worker_mode), and outside the write lock the workers share:
 * wait until that record is on disk.  Nothing may be sent before this
 * returns 0.  A no-op without a group (the record was synced then). */
int	hg_steps_durable(struct hg_outbox *ob, struct hg_err *err);
/* Record the answer of msgid (state ok/failed/unknown).  Answered
 * again (a lost answer resolved), the step keeps its first answered_ms
 * and, once unknown, stays counted as lost (column lost). */
int	hg_steps_answer(struct hg_outbox *ob, const char *msgid,
	    const char *state, const char *response, const char *err_msg,
	    struct hg_err *err);
/* Every step of a bill, oldest first; hg_steps_free(v, n) after. */
int	hg_steps_list(struct hg_outbox *ob, long long bill_id,
	    struct hg_step **v, size_t *n, struct hg_err *err);
void	hg_steps_free(struct hg_step *v, size_t n);
/* A step for a person's script (queue show --json, the web page's
 * history.json): infno, msgid, state, sent_ms, answered_ms and answer,
 * the caller's masked text of what it said.  Never the request or the
 * response: they hold the certificate number. */
struct json_object;
struct json_object *hg_step_json(const struct hg_step *st,
	    const char *answer);
/* Every step of one infno in one state (any bill), in id order; the
 * callback returns 0 to go on. */
int	hg_steps_each(struct hg_outbox *ob, const char *infno,
	    const char *state, int (*cb)(const struct hg_step *st, void *arg),
	    void *arg, struct hg_err *err);
/* Steps still "sent" when a worker takes a bill were left by a worker
 * that died or lost its lease: mark them "unknown".  *n gets how many. */
int	hg_steps_orphans(struct hg_outbox *ob, long long bill_id, int *n,
	    struct hg_err *err);

/* Bill columns, fenced by the lease (owner != NULL). */
int	hg_steps_set_person(struct hg_outbox *ob, long long id,
	    const char *owner, const char *psn_no, const char *insuplc_admdvs,
	    struct hg_err *err);
int	hg_steps_set_mdtrt(struct hg_outbox *ob, long long id,
	    const char *owner, const char *mdtrt_id, struct hg_err *err);
/* Extend the lease (and check it is still ours). */
int	hg_steps_renew(struct hg_outbox *ob, long long id, const char *owner,
	    int64_t lease_until_ms, struct hg_err *err);

/* Finish: settled (setl_id, mdtrt_id, setl_json stored; a bill with a
 * pending amendment goes on to amended), all in one transaction. */
int	hg_steps_settled(struct hg_outbox *ob, long long id, const char *owner,
	    const char *setl_id, const char *mdtrt_id, const char *setl_json,
	    const char *reason, struct hg_err *err);
/* Finish: rejected with the platform's (or our) reason in err_msg. */
int	hg_steps_rejected(struct hg_outbox *ob, long long id,
	    const char *owner, const char *err_msg, struct hg_err *err);
/* Bounded tries spent: the bill waits for a person (needs_person) with
 * why as its err_msg; fenced like hg_steps_rejected. */
int	hg_steps_needs_person(struct hg_outbox *ob, long long id,
	    const char *owner, const char *why, struct hg_err *err);
/* in_progress -> in_doubt (lease kept), fenced. */
int	hg_steps_doubt(struct hg_outbox *ob, long long id, const char *owner,
	    const char *reason, struct hg_err *err);
/* in_doubt -> in_progress once the doubt is resolved as "not settled". */
int	hg_steps_undoubt(struct hg_outbox *ob, long long id, const char *owner,
	    const char *reason, struct hg_err *err);

/* `queue retry`: a rejected, cancelled or needs_person bill back to
 * ready (attempts, step and error cleared; a needs_person bill's journal
 * decides again what is asked, nothing is re-sent blindly, and the
 * bounds count from then: hg_steps_person_ms).  A cancelled bill with a pending amendment
 * takes the amendment as its new content (old content kept in
 * bill_versions, version + 1).  Anything else is refused (HG_EPERM) with
 * the reason, so is a bill retention scrubbed (hg_outbox_scrub): 1101
 * would need the certificate number it no longer has. */
int	hg_steps_requeue(struct hg_outbox *ob, long long id, const char *why,
	    struct hg_err *err);
/* When the bill last left needs_person (queue retry), wall ms, or 0. */
int	hg_steps_person_ms(struct hg_outbox *ob, long long id, int64_t *ms,
	    struct hg_err *err);
/* `queue cancel` answered: settled/amended -> cancelled. */
int	hg_steps_cancelled(struct hg_outbox *ob, long long id,
	    const char *reason, struct hg_err *err);

/* Expire the leases held by agents of this host that are gone: owners
 * look like "HOST:PID:NONCE:..."; a lease whose PID no longer runs, or
 * is this process under another nonce (a restart that got the same pid),
 * is released at once instead of after lease_ms.  *n gets how many. */
int	hg_steps_reap(struct hg_outbox *ob, const char *host, const char *nonce,
	    int *n, struct hg_err *err);

/* Put a settlement worker's connection at synchronous=normal: every
 * write after an answer (the answer itself, psn_no, mdtrt_id, settled,
 * rejected, backoff) may then be lost to a power cut without harm, since
 * the journal shows a call sent without an answer, which is resolved with
 * the platform before anything is sent again.  The one write that must be
 * on disk first, the "sent" record, is made durable by hg_steps_durable
 * through group (queue/group.h, shared by the workers; not owned), and
 * takes every write before it along.  group NULL: hg_steps_sent commits
 * at synchronous=full instead. */
void	hg_steps_worker_mode(struct hg_outbox *ob, struct hg_group *group);

#endif
