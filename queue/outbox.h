/* The durable outbox: one SQLite file (WAL, synchronous=FULL) that is the
 * only meeting point of adapters, the settler, the status page and the CLI.
 *
 * Every bill is one row in `bills`, keyed by (adapter, source_key) and
 * versioned by the SHA-256 of its content.  Every state change appends a
 * row to `history` in the same transaction.  Adapter cursors live in
 * `cursors` and are written in the same transaction as the bills they
 * cover.  Settlement steps (issue: settlement) are journalled in `steps`
 * before they are sent and after they answer.
 *
 * All functions return 0 or -1 with err filled; err->kind HG_ETEMP marks
 * conditions that pass (SQLITE_BUSY, SQLITE_FULL, read-only file, I/O
 * error), HG_EPERM the rest (corrupt or newer schema).
 *
 * Threads: a struct hg_outbox is one SQLite connection opened without
 * SQLite's mutexes; use one per thread and never share it.  Processes
 * (daemon, CLI) may open the same file at once: writers serialise on
 * BEGIN IMMEDIATE with a 5 s busy timeout (HG_ETEMP after that).
 * A new outbox file is created 0600 (and its -wal/-shm files take its
 * mode); the process umask is never changed. */
#ifndef HG_OUTBOX_H
#define HG_OUTBOX_H

#include <stdint.h>

#include "lib/bill.h"
#include "lib/err.h"

#define HG_OUTBOX_SCHEMA	9	/* PRAGMA user_version this binary writes */

/* Bill states, stored as these exact strings. */
#define HG_S_INVALID	"invalid"	/* failed validation; waits for a fix */
#define HG_S_READY	"ready"		/* valid, waiting to be settled */
#define HG_S_PROGRESS	"in_progress"	/* a worker holds it (step column) */
#define HG_S_INDOUBT	"in_doubt"	/* an answer was lost; being resolved */
#define HG_S_SETTLED	"settled"	/* 2304 succeeded */
#define HG_S_REJECTED	"rejected"	/* platform said -2; err_msg says why */
#define HG_S_AMENDED	"amended"	/* changed after sending; a person decides */
#define HG_S_CANCELLED	"cancelled"	/* settled, then reversed with 2305 */
#define HG_S_HELD	"held_by_audit"	/* the audit found what must not
					 * leave unseen: queue release */
#define HG_S_PERSON	"needs_person"	/* a lost answer the agent could not
					 * resolve in bounded tries: its
					 * journal shows every call */

/* Outcome of hg_outbox_put. */
enum hg_put_outcome {
	HG_PUT_NEW = 0,		/* first time this source key is seen */
	HG_PUT_SAME,		/* same content again: nothing written */
	HG_PUT_REPLACED,	/* changed before sending: old version kept in
				 * bill_versions, row updated, version+1 */
	HG_PUT_AMENDED,		/* changed after sending: the new content is
				 * kept as the pending amendment and the bill
				 * is (or, once its settlement finishes,
				 * becomes) "amended" */
};

#define HG_OB_READONLY	0x01	/* CLI readers: no migrations, no writes */

struct hg_outbox;

/* Open (creating with mode 0600 and migrating as needed).  A schema newer
 * than HG_OUTBOX_SCHEMA is refused, naming both versions. */
int	hg_outbox_open(const char *path, int flags, struct hg_outbox **out,
	    struct hg_err *err);
void	hg_outbox_close(struct hg_outbox *ob);	/* NULL is fine */
/* The user the daemon runs as (agent.service_user), named in the advice
 * of open errors ("chown hisgate:hisgate DIR").  Call before threads. */
void	hg_outbox_service_user(const char *name);

/* Transactions (BEGIN IMMEDIATE ... COMMIT).  Calls below that write use
 * the caller's transaction when one is open, otherwise their own.
 * When SQLite fails inside the caller's transaction (disk full, I/O),
 * the whole transaction is rolled back at once: later writing calls and
 * hg_outbox_commit fail (HG_ETEMP) until the caller ends it with
 * hg_outbox_rollback (or that failed commit), so no part of a batch
 * commits without its cursor.  Refusals that write nothing
 * (bad arguments, "bill N is X, not Y") leave the transaction open. */
int	hg_outbox_begin(struct hg_outbox *ob, struct hg_err *err);
int	hg_outbox_commit(struct hg_outbox *ob, struct hg_err *err);
void	hg_outbox_rollback(struct hg_outbox *ob);

/* Idempotent enqueue (see hg_put_outcome).  `hash` is the content hash
 * of the bill as the source gave it (hg_bill_hash before mapping);
 * `bill_json` is what will be settled (after mapping); `state` is
 * HG_S_READY or HG_S_INVALID, with `reasons` (newline-separated, or NULL).
 * `patient_key` orders bills of one patient (certificate number).
 * `total` is the bill total in fen.
 *
 * `hash` is compared with the newest content known for (adapter,
 * source_key): the pending amendment when there is one, else the stored
 * bill; so content that goes back to what was settled is an amendment
 * too (a person decides, nothing is silently undone).  A replaced bill
 * starts settlement afresh: attempts, step, setl_id, setl_json, err_msg,
 * lease and pending are cleared (the old values go to bill_versions);
 * psn_no, insuplc_admdvs and mdtrt_id stay.  An amendment keeps only
 * bill_json and hash (as pending_json, pending_hash), not its state and
 * reasons. */
struct hg_put {
	const char *adapter;
	const char *source_key;
	const char *hash;
	const char *bill_json;
	const char *state;
	const char *reasons;
	const char *patient_key;
	const char *ipt_no;
	int64_t	 total;
};
int	hg_outbox_put(struct hg_outbox *ob, const struct hg_put *put,
	    enum hg_put_outcome *outcome, long long *id, struct hg_err *err);

/* Source cursors (file name, DB watermark, ...).  get: NULL when none;
 * the caller frees. */
int	hg_outbox_set_cursor(struct hg_outbox *ob, const char *adapter,
	    const char *cursor, struct hg_err *err);
char	*hg_outbox_get_cursor(struct hg_outbox *ob, const char *adapter);

/* One bill as stored.  Strings are owned by the row (hg_row_free). */
struct hg_row {
	long long id;
	char	*adapter;
	char	*source_key;
	char	*hash;
	int	 version;
	char	*state;
	char	*reasons;	/* newline-separated problems, or NULL */
	char	*bill_json;
	char	*patient_key;
	char	*ipt_no;
	int64_t	 total;		/* fen */
	int64_t	 created_ms, updated_ms;	/* wall clock, ms */
	/* settlement */
	char	*step;		/* current/last step infno, e.g. "2301" */
	int	 attempts;
	int64_t	 next_attempt_ms;
	char	*psn_no, *insuplc_admdvs, *mdtrt_id, *setl_id;
	char	*setl_json;	/* full 2304 output */
	char	*err_msg;	/* platform's err_msg or transport error */
	char	*pending_json;	/* amendment waiting for a person */
	char	*lease_owner;
	int64_t	 lease_until_ms;
	/* when retention.personal_days took its personal data out
	 * (hg_outbox_scrub), wall-clock ms; 0: not */
	int64_t	 scrubbed_ms;
};
void	hg_row_free(struct hg_row *row);	/* frees members, not row */

/* Rows in id order, optionally only one state (NULL = all).  The callback
 * returns 0 to go on, non-zero to stop. */
int	hg_outbox_list(struct hg_outbox *ob, const char *state,
	    int (*cb)(const struct hg_row *row, void *arg), void *arg,
	    struct hg_err *err);
/* Returns 0 and fills row, or -1 (err says "no bill N"). */
int	hg_outbox_get(struct hg_outbox *ob, long long id, struct hg_row *row,
	    struct hg_err *err);
/* Count per state: calls cb(state, count) for each state present. */
int	hg_outbox_counts(struct hg_outbox *ob,
	    void (*cb)(const char *state, long long n, void *arg), void *arg,
	    struct hg_err *err);

/* 未对码: the problem agent/mapping.c gives an invalid bill for a fee
 * whose local code has no national code, in its reasons as
 * "... 未对码: CODE NAME" (NAME: the fee's name, may be empty). */
#define HG_UNMAPPED_MARK	"未对码: "
#define HG_UNMAPPED_IDS		5	/* bill ids kept per code */

struct hg_unmapped {
	const char *code;	/* the local charge code */
	const char *name;	/* the fee's name, from the first bill naming it */
	long long bills;	/* invalid bills waiting on it */
	long long ids[HG_UNMAPPED_IDS];	/* the oldest of them */
	size_t	 nids;
};
/* Every local code invalid bills wait on, most bills first, then by
 * code.  A fee with no local code at all is not listed (no mapping row
 * can fix it: the export must carry the code).  cb returns non-zero to
 * stop. */
int	hg_outbox_unmapped(struct hg_outbox *ob,
	    int (*cb)(const struct hg_unmapped *u, void *arg), void *arg,
	    struct hg_err *err);

/* History of one bill, oldest first. */
int	hg_outbox_history(struct hg_outbox *ob, long long id,
	    int (*cb)(int64_t at_ms, const char *from, const char *to,
	    const char *reason, void *arg), void *arg, struct hg_err *err);

/* Move a bill to a new state with a history row.  When `from` is not
 * NULL the move happens only if the bill is in that state (else -1,
 * HG_EPERM, "bill N is <state>, not <from>").  Moving to any state but
 * in_progress/in_doubt clears the lease.  It does not look at
 * pending_json: the settler moves a finished bill with a pending
 * amendment to amended itself. */
int	hg_outbox_set_state(struct hg_outbox *ob, long long id,
	    const char *from, const char *to, const char *reason,
	    struct hg_err *err);
/* Replace the stored bill (after re-validation / re-mapping): bill_json,
 * state, reasons; history row with `why`.  `state` is ready or invalid.
 * The old content goes to bill_versions (same version number: the
 * source content, and so hash and version, did not change); attempts,
 * step, setl_id, setl_json and err_msg start afresh.  Refused (HG_EPERM)
 * for a bill whose content was sent: in_progress, in_doubt, settled,
 * amended. */
int	hg_outbox_update_bill(struct hg_outbox *ob, long long id,
	    const char *bill_json, const char *state, const char *reasons,
	    const char *why, struct hg_err *err);

/* Claim the next bill to settle for `owner` until now+lease_ms (now_ms is
 * wall-clock ms, compared across processes).  Across patients the bill
 * due first goes first, then the oldest.  A bill is
 * claimable when it is ready, or in_progress/in_doubt with an expired
 * lease, its next_attempt_ms has passed, and no older bill of the same
 * patient_key is still unfinished (ready, in_progress, in_doubt): order
 * per patient is kept, other patients are never blocked.  Returns 1 with
 * row filled, 0 when nothing is claimable, -1 on error.  A claimed ready
 * bill becomes in_progress (history row). */
int	hg_outbox_claim(struct hg_outbox *ob, const char *owner,
	    int64_t now_ms, int64_t lease_ms, struct hg_row *row,
	    struct hg_err *err);
/* The earliest time after now_ms (wall-clock ms) at which a bill
 * waiting out its backoff or another worker's lease becomes claimable,
 * in *due_ms; 0 there when none waits.  For a settler with nothing to
 * claim, to know how long it may sleep.  0 or -1. */
int	hg_outbox_next_due(struct hg_outbox *ob, int64_t now_ms,
	    int64_t *due_ms, struct hg_err *err);
/* Give a claimed bill back: clear the lease, set next_attempt_ms and
 * attempts (+1), keep its state. */
int	hg_outbox_release(struct hg_outbox *ob, long long id,
	    int64_t next_attempt_ms, const char *err_msg, struct hg_err *err);

/* The raw handle, for queue/ modules that add tables (steps). */
struct sqlite3 *hg_outbox_db(struct hg_outbox *ob);
/* The group commit this connection's journal writes take part in
 * (queue/group.h; not owned, NULL for none) and, for queue/steps.c, the
 * ticket of its last write waiting for a sync. */
struct hg_group;
void	hg_outbox_set_group(struct hg_outbox *ob, struct hg_group *g);

/* A sync of the outbox to disk failed in this process (SQLite's
 * SQLITE_IOERR_FSYNC on any connection, or a group commit's sync).  After
 * a failed fsync the kernel may have dropped writes that no later fsync
 * reports, so what was written since the last good sync cannot be
 * trusted to be on disk: sticky for the life of the process.
 * hg_outbox_sync_lost marks it; hg_outbox_note_rc marks it when rc (an
 * SQLite result code) is a sync failure. */
void	hg_outbox_sync_lost(void);
void	hg_outbox_note_rc(int rc);
int	hg_outbox_sync_failed(void);
/* Is rc (an SQLite result code) a condition that passes (lock, disk full,
 * read-only file, I/O): HG_ETEMP rather than HG_EPERM? */
int	hg_outbox_rc_passes(int rc);
struct hg_group *hg_outbox_group(struct hg_outbox *ob, uint64_t **ticket);

/* PRAGMA integrity_check and foreign_key_check (for `hisgate doctor`);
 * -1 with the first problem in err. */
int	hg_outbox_check(struct hg_outbox *ob, struct hg_err *err);

/* Idempotency-Keys an adapter has answered (httppush), kept with the
 * body's hash and the bill (queue/outbox_keys.c).  get: 1 with hash
 * (65 bytes) and *bill_id filled, 0 when the key is new, -1 with err;
 * put: a key already there keeps its first hash. */
int	hg_outbox_key_get(struct hg_outbox *ob, const char *adapter,
	    const char *key, char hash[65], long long *bill_id,
	    struct hg_err *err);
int	hg_outbox_key_put(struct hg_outbox *ob, const char *adapter,
	    const char *key, const char *hash, long long bill_id,
	    struct hg_err *err);

/* Delete bills that are finished for good (settled or cancelled, no
 * amendment waiting) and last changed before before_ms, with their
 * history, versions, journal, write-back records and httppush keys;
 * what their journal and history counted stays in the counters
 * (hg_stats_carry).  *n gets how many; with dry, only counts.  For
 * `hisgate queue purge`: reconcile first, the platform's totals are then
 * the only record of those days. */
int	hg_outbox_purge(struct hg_outbox *ob, int64_t before_ms, int dry,
	    long long *n, struct hg_err *err);

/* Retention (retention.personal_days; queue/outbox_scrub.c): one batch of
 * up to `limit` bills finished for good (settled or cancelled, no
 * amendment waiting) that last changed before before_ms and still hold
 * personal data, in one transaction (the caller's when one is open): the
 * fields lib/redact.h names are taken out of the bill, its versions,
 * history, journal (requests and answers), write-back and audit records;
 * the patient key (the certificate number) is cleared; amounts, ids and
 * the content hash stay, so reconciliation and 2305 still work.  Marked
 * with scrubbed_ms = now_ms.  The connection's secure_delete is turned on
 * first, so freed space in the file holds zeros.  *n gets how many (0:
 * none left); cb, when not NULL, is told each bill once committed.  With
 * dry: every bill a scrub would take now, nothing written.  A bill that
 * changed after its scrub (updated_ms, e.g. cancelled since) is taken
 * again once that change is as old. */
int	hg_outbox_scrub(struct hg_outbox *ob, int64_t before_ms,
	    int64_t now_ms, int limit, int dry,
	    void (*cb)(long long id, void *arg), void *arg, long long *n,
	    struct hg_err *err);
/* The last scrub that was not dry: when it ran (its now_ms) and how many
 * bills it took, the batches of one run (one now_ms) added up.  1, 0 when
 * none ran yet, -1. */
int	hg_outbox_scrub_last(struct hg_outbox *ob, int64_t *run_ms,
	    long long *bills, struct hg_err *err);
/* PRAGMA wal_checkpoint(TRUNCATE): the -wal file, which still holds the
 * pages as they were before a scrub, emptied into the database and cut to
 * nothing.  *busy: a reader kept it from finishing (the next checkpoint
 * does it). */
int	hg_outbox_checkpoint(struct hg_outbox *ob, int *busy,
	    struct hg_err *err);

#endif
