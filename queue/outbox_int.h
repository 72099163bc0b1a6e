/* What the outbox_*.c files share: the connection, its cached statements
 * and the SQL helpers in outbox_db.c.  Private to queue/outbox*.c. */
#ifndef HG_OUTBOX_INT_H
#define HG_OUTBOX_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "queue/outbox.h"

/* Columns of struct hg_row, in the order ob_row_fill() reads them.  The
 * step of a bill being worked on is its journal's last call (the workers
 * do not rewrite the bill's row for every call: see held() in steps.c);
 * otherwise the one recorded when it was given back. */
#define ROW_STEP \
	"CASE WHEN state IN ('in_progress', 'in_doubt') THEN coalesce(" \
	"(SELECT infno FROM steps WHERE steps.bill_id = bills.id" \
	" ORDER BY steps.id DESC LIMIT 1), step) ELSE step END"
#define ROW_COLS \
	"id, adapter, source_key, hash, version, state, reasons, bill_json," \
	" patient_key, ipt_no, total, created_ms, updated_ms, " ROW_STEP "," \
	" attempts, next_attempt_ms, psn_no, insuplc_admdvs, mdtrt_id," \
	" setl_id, setl_json, err_msg, pending_json, lease_owner," \
	" lease_until_ms, coalesce(scrubbed_ms, 0)"

/* Prepared once per connection and kept: these run for every bill. */
enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FIND,
	ST_INSERT,
	ST_KEEP,
	ST_REPLACE,
	ST_PENDING,
	ST_HISTORY,
	ST_CURSOR_SET,
	ST_CURSOR_GET,
	ST_STATE,
	ST_STATE_SET,
	ST_UPDATE,
	ST_CLAIM_READY,
	ST_CLAIM_LEASED,
	ST_CLAIM_SET,
	ST_DUE,
	ST_RELEASE,
	ST_ROW,
	ST_MAX
};

struct hg_outbox {
	sqlite3		*db;
	char		*path;
	int		 flags;
	int		 dberr;		/* the last failure came from SQLite */
	int		 aborted;	/* caller's transaction was rolled back */
	sqlite3_stmt	*st[ST_MAX];
	struct hg_group	*group;		/* group commit, not owned */
	uint64_t	 ticket;	/* of the last write waiting for it */
};

/* In the sense of the HG_S_* strings; see outbox_db.c. */
int		 ob_is_state(const char *s);
int		 ob_is_intake_state(const char *s);
int		 ob_is_sent_state(const char *s);

int		 ob_db_fail(struct hg_outbox *ob, int rc, struct hg_err *err);
sqlite3_stmt	*ob_prep(struct hg_outbox *ob, int which, struct hg_err *err);
int		 ob_step_done(struct hg_outbox *ob, sqlite3_stmt *s,
		    struct hg_err *err);
int		 ob_step_row(struct hg_outbox *ob, sqlite3_stmt *s,
		    struct hg_err *err);
int		 ob_run(struct hg_outbox *ob, int which, struct hg_err *err);
void		 ob_bind_text(sqlite3_stmt *s, int i, const char *v);
char		*ob_col_dup(sqlite3_stmt *s, int i);
int		 ob_exec(struct hg_outbox *ob, const char *sql,
		    struct hg_err *err);
int		 ob_query(struct hg_outbox *ob, const char *sql,
		    sqlite3_stmt **s, struct hg_err *err);

int		 ob_read_only(struct hg_outbox *ob, struct hg_err *err);
int		 ob_tx_enter(struct hg_outbox *ob, int *own, struct hg_err *err);
void		 ob_tx_abort(struct hg_outbox *ob);
int		 ob_tx_leave(struct hg_outbox *ob, int own, int rc,
		    struct hg_err *err);
int		 ob_history_add(struct hg_outbox *ob, long long id,
		    int64_t at_ms, const char *from, const char *to,
		    const char *reason, struct hg_err *err);

/* outbox_put.c */
int		 ob_keep_version(struct hg_outbox *ob, long long id,
		    int64_t now, const char *why, struct hg_err *err);
/* outbox_list.c */
void		 ob_row_fill(sqlite3_stmt *s, struct hg_row *row);

#endif
