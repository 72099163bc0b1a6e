/* The outbox's SQL plumbing, shared by the outbox_*.c files: the statements
 * prepared once per connection, SQLite results turned into hg_err, the
 * transaction rule (join the caller's or run in one's own), history rows
 * and the state names the C code accepts. */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/xmalloc.h"
#include "queue/outbox_int.h"

/* Unfinished states that hold back younger bills of the same patient. */
#define ACTIVE_STATES "('ready', 'in_progress', 'in_doubt')"
#define OLDER_ACTIVE \
	" AND NOT EXISTS (SELECT 1 FROM bills AS o" \
	" WHERE o.patient_key = b.patient_key AND o.id < b.id" \
	" AND o.state IN " ACTIVE_STATES ")"

static const char *const st_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_FIND] = "SELECT id, state, hash, version, pending_hash"
	    " FROM bills WHERE adapter = ?1 AND source_key = ?2",
	[ST_INSERT] = "INSERT INTO bills (adapter, source_key, hash, version,"
	    " state, reasons, bill_json, patient_key, ipt_no, total,"
	    " created_ms, updated_ms)"
	    " VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
	[ST_KEEP] = "INSERT INTO bill_versions (bill_id, version, hash, state,"
	    " reasons, bill_json, patient_key, ipt_no, total, setl_id,"
	    " setl_json, err_msg, replaced_ms, why)"
	    " SELECT id, version, hash, state, reasons, bill_json,"
	    " patient_key, ipt_no, total, setl_id, setl_json, err_msg, ?2, ?3"
	    " FROM bills WHERE id = ?1",
	/* A new version starts settlement afresh; what the platform knows
	 * of the patient (psn_no, insuplc_admdvs, mdtrt_id) stays, the
	 * old settlement result went to bill_versions. */
	[ST_REPLACE] = "UPDATE bills SET hash = ?2, bill_json = ?3,"
	    " state = ?4, reasons = ?5, patient_key = ?6, ipt_no = ?7,"
	    " total = ?8, version = version + 1, updated_ms = ?9,"
	    " step = NULL, attempts = 0, next_attempt_ms = 0,"
	    " setl_id = NULL, setl_json = NULL, err_msg = NULL,"
	    " pending_json = NULL, pending_hash = NULL,"
	    " lease_owner = NULL, lease_until_ms = 0"
	    " WHERE id = ?1",
	[ST_PENDING] = "UPDATE bills SET pending_json = ?2, pending_hash = ?3,"
	    " state = ?4, updated_ms = ?5 WHERE id = ?1",
	[ST_HISTORY] = "INSERT INTO history (bill_id, at_ms, from_state,"
	    " to_state, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CURSOR_SET] = "INSERT INTO cursors (adapter, cursor, updated_ms)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (adapter) DO UPDATE"
	    " SET cursor = excluded.cursor, updated_ms = excluded.updated_ms",
	[ST_CURSOR_GET] = "SELECT cursor FROM cursors WHERE adapter = ?1",
	[ST_STATE] = "SELECT state, lease_owner, lease_until_ms, attempts"
	    " FROM bills WHERE id = ?1",
	/* A lease means nothing once the bill is no longer being worked. */
	[ST_STATE_SET] = "UPDATE bills SET state = ?2, updated_ms = ?3,"
	    " lease_owner = CASE WHEN ?2 IN ('in_progress', 'in_doubt')"
	    " THEN lease_owner END,"
	    " lease_until_ms = CASE WHEN ?2 IN ('in_progress', 'in_doubt')"
	    " THEN lease_until_ms ELSE 0 END"
	    " WHERE id = ?1",
	[ST_UPDATE] = "UPDATE bills SET bill_json = ?2, state = ?3,"
	    " reasons = ?4, updated_ms = ?5, step = NULL, attempts = 0,"
	    " next_attempt_ms = 0, setl_id = NULL, setl_json = NULL,"
	    " err_msg = NULL, lease_owner = NULL, lease_until_ms = 0"
	    " WHERE id = ?1",
	/* Walk bills_state (state, next_attempt_ms, id) in index order
	 * over due bills only: the first eligible row ends the scan, so
	 * neither a long backlog nor many bills waiting out their backoff
	 * is read on every claim.  Across patients, bills go due-first;
	 * within one patient, OLDER_ACTIVE keeps id order.  One state per
	 * query: an IN list would need a sort of every match. */
	[ST_CLAIM_READY] = "SELECT id, next_attempt_ms FROM bills AS b"
	    " WHERE state = 'ready' AND next_attempt_ms <= ?1"
	    OLDER_ACTIVE " ORDER BY next_attempt_ms, id LIMIT 1",
	[ST_CLAIM_LEASED] = "SELECT id, next_attempt_ms FROM bills AS b"
	    " WHERE state = ?2 AND next_attempt_ms <= ?1"
	    " AND lease_until_ms <= ?1"
	    OLDER_ACTIVE " ORDER BY next_attempt_ms, id LIMIT 1",
	/* When the next bill waiting out a backoff or a lease falls due:
	 * the index range of each active state, past ?1 only. */
	[ST_DUE] = "SELECT min(d) FROM ("
	    "SELECT min(next_attempt_ms) AS d FROM bills"
	    " WHERE state = 'ready' AND next_attempt_ms > ?1"
	    " UNION ALL SELECT min(max(next_attempt_ms, lease_until_ms))"
	    " FROM bills WHERE state IN ('in_progress', 'in_doubt')"
	    " AND max(next_attempt_ms, lease_until_ms) > ?1)",
	[ST_CLAIM_SET] = "UPDATE bills SET state = ?2, lease_owner = ?3,"
	    " lease_until_ms = ?4, updated_ms = ?5 WHERE id = ?1",
	[ST_RELEASE] = "UPDATE bills SET lease_owner = NULL,"
	    " step = coalesce((SELECT infno FROM steps WHERE bill_id = ?1"
	    " ORDER BY id DESC LIMIT 1), step),"
	    " lease_until_ms = 0, next_attempt_ms = ?2,"
	    " attempts = attempts + 1, err_msg = coalesce(?3, err_msg),"
	    " updated_ms = ?4 WHERE id = ?1",
	[ST_ROW] = "SELECT " ROW_COLS " FROM bills WHERE id = ?1",
};

static const char *const all_states[] = {
	HG_S_INVALID, HG_S_READY, HG_S_PROGRESS, HG_S_INDOUBT, HG_S_SETTLED,
	HG_S_REJECTED, HG_S_AMENDED, HG_S_CANCELLED, HG_S_PERSON,
	HG_S_HELD,
};

int
ob_is_state(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < sizeof all_states / sizeof all_states[0]; i++)
		if (strcmp(s, all_states[i]) == 0)
			return 1;
	return 0;
}

/* What a put or a re-mapping may set: the result of validation. */
int
ob_is_intake_state(const char *s)
{
	return s != NULL && (strcmp(s, HG_S_READY) == 0 ||
	    strcmp(s, HG_S_INVALID) == 0);
}

/* Has the platform possibly seen this content?  Then it must not change
 * under the settler's feet (guarantee 2: nothing settled twice). */
int
ob_is_sent_state(const char *s)
{
	return strcmp(s, HG_S_PROGRESS) == 0 || strcmp(s, HG_S_INDOUBT) == 0 ||
	    strcmp(s, HG_S_SETTLED) == 0 || strcmp(s, HG_S_AMENDED) == 0;
}

static int
dir_unwritable(const char *path)
{
	char *copy = hg_xstrdup(path);
	int rc = access(dirname(copy), W_OK) < 0;

	free(copy);
	return rc;
}

static atomic_int sync_lost;

void
hg_outbox_sync_lost(void)
{
	atomic_store(&sync_lost, 1);
}

void
hg_outbox_note_rc(int rc)
{
	if (rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_DIR_FSYNC)
		hg_outbox_sync_lost();
}

int
hg_outbox_sync_failed(void)
{
	return atomic_load(&sync_lost);
}

int
hg_outbox_rc_passes(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_INTERRUPT:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

/* Turn an SQLite result code into an hg_err: conditions that pass (lock,
 * disk full, read-only file, I/O) are HG_ETEMP, the rest HG_EPERM. */
int
ob_db_fail(struct hg_outbox *ob, int rc, struct hg_err *err)
{
	const char *msg;
	char why[512];

	ob->dberr = 1;
	hg_outbox_note_rc(rc);
	if ((sqlite3_errcode(ob->db) & 0xff) == (rc & 0xff))
		msg = sqlite3_errmsg(ob->db);
	else
		msg = sqlite3_errstr(rc);
	/* "unable to open database file" alone sends people guessing: the
	 * system's reason (read-only file system, no space) says what to do */
	if (((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY) &&
	    (access(ob->path, W_OK) < 0 || dir_unwritable(ob->path))) {
		/* WAL needs the -wal and -shm files beside the database:
		 * say why they cannot be had (read-only file system, modes) */
		snprintf(why, sizeof why, "%s (%s)", msg, strerror(errno));
		msg = why;
	} else if (ob->db != NULL && sqlite3_system_errno(ob->db) != 0 &&
	    ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR ||
	    (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_FULL)) {
		snprintf(why, sizeof why, "%s (%s)", msg,
		    strerror(sqlite3_system_errno(ob->db)));
		msg = why;
	}
	if (hg_outbox_rc_passes(rc))
		return hg_failt(err, "outbox %s: %s", ob->path, msg);
	return hg_fail(err, "outbox %s: %s", ob->path, msg);
}

sqlite3_stmt *
ob_prep(struct hg_outbox *ob, int which, struct hg_err *err)
{
	int rc;

	if (ob->st[which] != NULL)
		return ob->st[which];
	rc = sqlite3_prepare_v3(ob->db, st_sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, &ob->st[which], NULL);
	if (rc != SQLITE_OK) {
		ob_db_fail(ob, rc, err);
		ob->st[which] = NULL;
		return NULL;
	}
	return ob->st[which];
}

/* Step a statement that returns no rows (or whose rows do not matter). */
int
ob_step_done(struct hg_outbox *ob, sqlite3_stmt *s, struct hg_err *err)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		ob_db_fail(ob, rc, err);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Step a query: 1 with a row (the caller resets), 0 without, -1. */
int
ob_step_row(struct hg_outbox *ob, sqlite3_stmt *s, struct hg_err *err)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		ob_db_fail(ob, rc, err);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
ob_run(struct hg_outbox *ob, int which, struct hg_err *err)
{
	sqlite3_stmt *s;

	if ((s = ob_prep(ob, which, err)) == NULL)
		return -1;
	return ob_step_done(ob, s, err);
}

void
ob_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

char *
ob_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v;

	if ((v = sqlite3_column_text(s, i)) == NULL)
		return NULL;
	return hg_xstrdup((const char *)v);
}

/*
 * Transactions.  A writing call joins the caller's transaction when one
 * is open and otherwise runs in its own.  When SQLite fails inside the
 * caller's transaction, the whole transaction is rolled back (SQLite may
 * already have done so after SQLITE_FULL or SQLITE_IOERR) and later calls
 * fail until the caller rolls back: otherwise the rest of a batch would
 * silently commit one statement at a time, without its cursor.
 */
int
ob_read_only(struct hg_outbox *ob, struct hg_err *err)
{
	return hg_failt(err, "outbox %s: opened read-only, cannot write",
	    ob->path);
}

int
ob_tx_enter(struct hg_outbox *ob, int *own, struct hg_err *err)
{
	*own = 0;
	ob->dberr = 0;
	/* SQLite would take BEGIN IMMEDIATE and fail later, at the write. */
	if (ob->flags & HG_OB_READONLY)
		return ob_read_only(ob, err);
	if (ob->aborted)
		return hg_failt(err, "outbox %s: the transaction was rolled "
		    "back after an earlier error", ob->path);
	if (!sqlite3_get_autocommit(ob->db))
		return 0;
	if (ob_run(ob, ST_BEGIN, err) == -1)
		return -1;
	*own = 1;
	return 0;
}

void
ob_tx_abort(struct hg_outbox *ob)
{
	if (!sqlite3_get_autocommit(ob->db))
		ob_run(ob, ST_ROLLBACK, NULL);
}

int
ob_tx_leave(struct hg_outbox *ob, int own, int rc, struct hg_err *err)
{
	if (rc == 0 && own && ob_run(ob, ST_COMMIT, err) == -1)
		rc = -1;
	if (rc == -1 && (own || ob->dberr)) {
		ob_tx_abort(ob);
		if (!own)
			ob->aborted = 1;
	}
	return rc;
}

int
ob_history_add(struct hg_outbox *ob, long long id, int64_t at_ms,
    const char *from, const char *to, const char *reason, struct hg_err *err)
{
	sqlite3_stmt *s;

	if ((s = ob_prep(ob, ST_HISTORY, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at_ms);
	ob_bind_text(s, 3, from);
	ob_bind_text(s, 4, to);
	ob_bind_text(s, 5, reason);
	return ob_step_done(ob, s, err);
}

int
ob_exec(struct hg_outbox *ob, const char *sql, struct hg_err *err)
{
	int rc;

	if ((rc = sqlite3_exec(ob->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return ob_db_fail(ob, rc, err);
	return 0;
}

/* Not the cached statements: a callback may call back into the outbox. */
int
ob_query(struct hg_outbox *ob, const char *sql, sqlite3_stmt **s,
    struct hg_err *err)
{
	int rc;

	*s = NULL;
	if ((rc = sqlite3_prepare_v2(ob->db, sql, -1, s, NULL)) != SQLITE_OK)
		return ob_db_fail(ob, rc, err);
	return 0;
}
