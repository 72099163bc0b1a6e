#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/outbox.h"

#define BUSY_TIMEOUT_MS	5000
/* PRAGMA application_id: "HGOB".  Tells an outbox from any other SQLite
 * file someone points the config at. */
#define APPLICATION_ID	0x48474f42

/*
 * Migrations: migrations[v] takes a database from user_version v to v+1,
 * inside one transaction together with the new user_version.  Never edit
 * a released entry; append a new one and raise HG_OUTBOX_SCHEMA.
 *
 * States are not CHECK-constrained in SQL (a new state would need a table
 * rebuild); the C code accepts only the HG_S_* strings.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE bills ("
	" id INTEGER PRIMARY KEY,"
	" adapter TEXT NOT NULL,"
	" source_key TEXT NOT NULL,"
	" hash TEXT NOT NULL,"
	" version INTEGER NOT NULL DEFAULT 1,"
	" state TEXT NOT NULL,"
	" reasons TEXT,"
	" bill_json TEXT NOT NULL,"
	" patient_key TEXT,"
	" ipt_no TEXT,"
	" total INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL,"
	" updated_ms INTEGER NOT NULL,"
	" step TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
	" psn_no TEXT,"
	" insuplc_admdvs TEXT,"
	" mdtrt_id TEXT,"
	" setl_id TEXT,"
	" setl_json TEXT,"
	" err_msg TEXT,"
	" pending_json TEXT,"
	" pending_hash TEXT,"
	" lease_owner TEXT,"
	" lease_until_ms INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (adapter, source_key));"
	"CREATE INDEX bills_state ON bills (state, next_attempt_ms);"
	"CREATE INDEX bills_patient ON bills (patient_key, id);"
	"CREATE TABLE bill_versions ("
	" id INTEGER PRIMARY KEY,"
	" bill_id INTEGER NOT NULL REFERENCES bills (id),"
	" version INTEGER NOT NULL,"
	" hash TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" reasons TEXT,"
	" bill_json TEXT NOT NULL,"
	" patient_key TEXT,"
	" ipt_no TEXT,"
	" total INTEGER NOT NULL,"
	" setl_id TEXT,"
	" setl_json TEXT,"
	" err_msg TEXT,"
	" replaced_ms INTEGER NOT NULL,"
	" why TEXT);"
	"CREATE INDEX bill_versions_bill ON bill_versions (bill_id, version);"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY,"
	" bill_id INTEGER NOT NULL REFERENCES bills (id),"
	" at_ms INTEGER NOT NULL,"
	" from_state TEXT,"
	" to_state TEXT NOT NULL,"
	" reason TEXT);"
	"CREATE INDEX history_bill ON history (bill_id, id);"
	"CREATE TABLE steps ("
	" id INTEGER PRIMARY KEY,"
	" bill_id INTEGER NOT NULL REFERENCES bills (id),"
	" infno TEXT NOT NULL,"
	" msgid TEXT NOT NULL UNIQUE,"
	" state TEXT NOT NULL," /* sent|ok|failed|unknown */
	" request TEXT,"
	" response TEXT,"
	" err_msg TEXT,"
	" sent_ms INTEGER,"
	" answered_ms INTEGER);"
	"CREATE INDEX steps_bill ON steps (bill_id);"
	"CREATE TABLE cursors ("
	" adapter TEXT PRIMARY KEY,"
	" cursor TEXT NOT NULL,"
	" updated_ms INTEGER NOT NULL);",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == HG_OUTBOX_SCHEMA,
    "one migration per schema version");

/* Columns of struct hg_row, in the order row_fill() reads them.  The
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
	" lease_until_ms"

/* Unfinished states that hold back younger bills of the same patient. */
#define ACTIVE_STATES "('ready', 'in_progress', 'in_doubt')"
#define OLDER_ACTIVE \
	" AND NOT EXISTS (SELECT 1 FROM bills AS o" \
	" WHERE o.patient_key = b.patient_key AND o.id < b.id" \
	" AND o.state IN " ACTIVE_STATES ")"

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
	ST_RELEASE,
	ST_ROW,
	ST_MAX
};

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

static const char *const all_states[] = {
	HG_S_INVALID, HG_S_READY, HG_S_PROGRESS, HG_S_INDOUBT, HG_S_SETTLED,
	HG_S_REJECTED, HG_S_AMENDED, HG_S_CANCELLED,
};

static int
is_state(const char *s)
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
static int
is_intake_state(const char *s)
{
	return s != NULL && (strcmp(s, HG_S_READY) == 0 ||
	    strcmp(s, HG_S_INVALID) == 0);
}

/* Has the platform possibly seen this content?  Then it must not change
 * under the settler's feet (guarantee 2: nothing settled twice). */
static int
is_sent_state(const char *s)
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

/* Turn an SQLite result code into an hg_err: conditions that pass (lock,
 * disk full, read-only file, I/O) are HG_ETEMP, the rest HG_EPERM. */
static int
db_fail(struct hg_outbox *ob, int rc, struct hg_err *err)
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
		return hg_failt(err, "outbox %s: %s", ob->path, msg);
	default:
		return hg_fail(err, "outbox %s: %s", ob->path, msg);
	}
}

static sqlite3_stmt *
prep(struct hg_outbox *ob, int which, struct hg_err *err)
{
	int rc;

	if (ob->st[which] != NULL)
		return ob->st[which];
	rc = sqlite3_prepare_v3(ob->db, st_sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, &ob->st[which], NULL);
	if (rc != SQLITE_OK) {
		db_fail(ob, rc, err);
		ob->st[which] = NULL;
		return NULL;
	}
	return ob->st[which];
}

/* Step a statement that returns no rows (or whose rows do not matter). */
static int
step_done(struct hg_outbox *ob, sqlite3_stmt *s, struct hg_err *err)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_fail(ob, rc, err);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* Step a query: 1 with a row (the caller resets), 0 without, -1. */
static int
step_row(struct hg_outbox *ob, sqlite3_stmt *s, struct hg_err *err)
{
	int rc;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		db_fail(ob, rc, err);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
run(struct hg_outbox *ob, int which, struct hg_err *err)
{
	sqlite3_stmt *s;

	if ((s = prep(ob, which, err)) == NULL)
		return -1;
	return step_done(ob, s, err);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static char *
col_dup(sqlite3_stmt *s, int i)
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
static int
read_only(struct hg_outbox *ob, struct hg_err *err)
{
	return hg_failt(err, "outbox %s: opened read-only, cannot write",
	    ob->path);
}

static int
tx_enter(struct hg_outbox *ob, int *own, struct hg_err *err)
{
	*own = 0;
	ob->dberr = 0;
	/* SQLite would take BEGIN IMMEDIATE and fail later, at the write. */
	if (ob->flags & HG_OB_READONLY)
		return read_only(ob, err);
	if (ob->aborted)
		return hg_failt(err, "outbox %s: the transaction was rolled "
		    "back after an earlier error", ob->path);
	if (!sqlite3_get_autocommit(ob->db))
		return 0;
	if (run(ob, ST_BEGIN, err) == -1)
		return -1;
	*own = 1;
	return 0;
}

static void
tx_abort(struct hg_outbox *ob)
{
	if (!sqlite3_get_autocommit(ob->db))
		run(ob, ST_ROLLBACK, NULL);
}

static int
tx_leave(struct hg_outbox *ob, int own, int rc, struct hg_err *err)
{
	if (rc == 0 && own && run(ob, ST_COMMIT, err) == -1)
		rc = -1;
	if (rc == -1 && (own || ob->dberr)) {
		tx_abort(ob);
		if (!own)
			ob->aborted = 1;
	}
	return rc;
}

static int
history_add(struct hg_outbox *ob, long long id, int64_t at_ms,
    const char *from, const char *to, const char *reason, struct hg_err *err)
{
	sqlite3_stmt *s;

	if ((s = prep(ob, ST_HISTORY, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at_ms);
	bind_text(s, 3, from);
	bind_text(s, 4, to);
	bind_text(s, 5, reason);
	return step_done(ob, s, err);
}

static int
pragma_int(struct hg_outbox *ob, const char *sql, int *v, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(ob->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		db_fail(ob, rc, err);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		db_fail(ob, rc, err);
		goto out;
	}
	*v = sqlite3_column_int(s, 0);
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

static int
exec(struct hg_outbox *ob, const char *sql, struct hg_err *err)
{
	int rc;

	if ((rc = sqlite3_exec(ob->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return db_fail(ob, rc, err);
	return 0;
}

/* Is this file ours, and at a schema this binary can read? */
static int
schema_check(struct hg_outbox *ob, int version, struct hg_err *err)
{
	int app;

	if (version > HG_OUTBOX_SCHEMA)
		return hg_fail(err, "outbox %s has schema version %d, this "
		    "hisgate knows up to %d: upgrade hisgate", ob->path,
		    version, HG_OUTBOX_SCHEMA);
	if (pragma_int(ob, "PRAGMA application_id", &app, err) == -1)
		return -1;
	if (app != APPLICATION_ID && (app != 0 || version != 0))
		return hg_fail(err, "outbox %s is not a hisgate outbox "
		    "(application_id %#x, user_version %d)", ob->path,
		    (unsigned)app, version);
	return 0;
}

static int
migrate(struct hg_outbox *ob, struct hg_err *err)
{
	char sql[128];
	int v, own = 0, rc = -1;

	if (pragma_int(ob, "PRAGMA user_version", &v, err) == -1 ||
	    schema_check(ob, v, err) == -1)
		return -1;
	if (v == HG_OUTBOX_SCHEMA)
		return 0;
	if (ob->flags & HG_OB_READONLY)
		return hg_fail(err, "outbox %s has schema version %d, this "
		    "hisgate needs %d: start the daemon once to migrate it",
		    ob->path, v, HG_OUTBOX_SCHEMA);
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	/* Read again under the write lock: another process may have
	 * migrated while we waited. */
	if (pragma_int(ob, "PRAGMA user_version", &v, err) == -1 ||
	    schema_check(ob, v, err) == -1)
		goto out;
	for (; v < HG_OUTBOX_SCHEMA; v++)
		if (exec(ob, migrations[v], err) == -1)
			goto out;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d; "
	    "PRAGMA application_id = %d", HG_OUTBOX_SCHEMA, APPLICATION_ID);
	if (exec(ob, sql, err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

static int
setup(struct hg_outbox *ob, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int rc, ret = -1;

	sqlite3_busy_timeout(ob->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(ob->db, 1);
	if (exec(ob, "PRAGMA foreign_keys = ON", err) == -1)
		return -1;
	if (ob->flags & HG_OB_READONLY)
		return migrate(ob, err);
	/* FULL: every commit is on disk before a source is acknowledged.
	 * The size limit gives back the space of a WAL swollen by a
	 * backlog once it has been checkpointed. */
	if (exec(ob, "PRAGMA synchronous = FULL; "
	    "PRAGMA journal_size_limit = 67108864; "
	    "PRAGMA wal_autocheckpoint = 16384; "
	    "PRAGMA cache_size = -512", err) == -1)
		return -1;
	/* journal_mode answers with the mode in force, which stays the old
	 * one when WAL is impossible (some network file systems). */
	if ((rc = sqlite3_prepare_v2(ob->db, "PRAGMA journal_mode = WAL", -1,
	    &s, NULL)) != SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		db_fail(ob, rc, err);
		goto out;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		hg_fail(err, "outbox %s: cannot use WAL mode (journal mode "
		    "stays %s)", ob->path, mode != NULL ? mode : "unknown");
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	ret = migrate(ob, err);
out:
	sqlite3_finalize(s);
	return ret;
}

int
hg_outbox_open(const char *path, int flags, struct hg_outbox **out,
    struct hg_err *err)
{
	struct hg_outbox *ob;
	mode_t mask;
	int fd, rc, oflags, ret = -1;

	*out = NULL;
	ob = hg_xcalloc(1, sizeof *ob);
	ob->path = hg_xstrdup(path);
	ob->flags = flags;
	/* Patient data: the file, and the -wal and -shm files SQLite makes
	 * beside it, are for the hisgate user only.  umask is process-wide,
	 * so open outboxes before starting threads that create files. */
	mask = umask(077);
	if (flags & HG_OB_READONLY)
		oflags = SQLITE_OPEN_READONLY;
	else {
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST) {
			hg_failt(err, "outbox %s: cannot create: %s", path,
			    strerror(errno));
			goto out;
		}
		if (fd != -1)
			close(fd);
	}
	/* One connection per thread (see outbox.h): no SQLite mutexes. */
	rc = sqlite3_open_v2(path, &ob->db, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		if (ob->db == NULL)
			hg_failt(err, "outbox %s: %s", path,
			    sqlite3_errstr(rc));
		else
			db_fail(ob, rc, err);
		goto out;
	}
	if (setup(ob, err) == -1)
		goto out;
	*out = ob;
	ob = NULL;
	ret = 0;
out:
	umask(mask);
	hg_outbox_close(ob);
	return ret;
}

void
hg_outbox_close(struct hg_outbox *ob)
{
	sqlite3_stmt *s;
	int i;

	if (ob == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(ob->st[i]);
	/* and those queue/steps.c keeps on the connection */
	while ((s = sqlite3_next_stmt(ob->db, NULL)) != NULL)
		sqlite3_finalize(s);
	/* An open transaction is rolled back by the close. */
	sqlite3_close(ob->db);
	free(ob->path);
	free(ob);
}

struct sqlite3 *
hg_outbox_db(struct hg_outbox *ob)
{
	return ob->db;
}

void
hg_outbox_set_group(struct hg_outbox *ob, struct hg_group *g)
{
	ob->group = g;
}

struct hg_group *
hg_outbox_group(struct hg_outbox *ob, uint64_t **ticket)
{
	if (ticket != NULL)
		*ticket = &ob->ticket;
	return ob->group;
}

int
hg_outbox_begin(struct hg_outbox *ob, struct hg_err *err)
{
	if (ob->flags & HG_OB_READONLY)
		return read_only(ob, err);
	if (ob->aborted || !sqlite3_get_autocommit(ob->db))
		return hg_fail(err, "outbox %s: a transaction is already open",
		    ob->path);
	return run(ob, ST_BEGIN, err);
}

int
hg_outbox_commit(struct hg_outbox *ob, struct hg_err *err)
{
	if (ob->aborted) {
		ob->aborted = 0;
		return hg_failt(err, "outbox %s: the transaction was rolled "
		    "back after an earlier error; nothing was committed",
		    ob->path);
	}
	if (sqlite3_get_autocommit(ob->db))
		return hg_fail(err, "outbox %s: commit without a transaction",
		    ob->path);
	if (run(ob, ST_COMMIT, err) == -1) {
		/* A failed COMMIT may leave the transaction open; end it so
		 * the caller's view ("nothing was written") is the truth. */
		tx_abort(ob);
		return -1;
	}
	return 0;
}

void
hg_outbox_rollback(struct hg_outbox *ob)
{
	ob->aborted = 0;
	tx_abort(ob);
}

/* The stored identity of a bill, as put() needs it. */
struct found {
	long long id;
	char	*state;
	char	*hash;
	char	*pending_hash;
	int	 version;
};

static int
find(struct hg_outbox *ob, const struct hg_put *put, struct found *f,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if ((s = prep(ob, ST_FIND, err)) == NULL)
		return -1;
	bind_text(s, 1, put->adapter);
	bind_text(s, 2, put->source_key);
	if ((r = step_row(ob, s, err)) != 1)
		return r;
	f->id = sqlite3_column_int64(s, 0);
	f->state = col_dup(s, 1);
	f->hash = col_dup(s, 2);
	f->version = sqlite3_column_int(s, 3);
	f->pending_hash = col_dup(s, 4);
	sqlite3_reset(s);
	return 1;
}

static int
put_new(struct hg_outbox *ob, const struct hg_put *put, int64_t now,
    long long *id, struct hg_err *err)
{
	sqlite3_stmt *s;
	char *why;
	int rc;

	if ((s = prep(ob, ST_INSERT, err)) == NULL)
		return -1;
	bind_text(s, 1, put->adapter);
	bind_text(s, 2, put->source_key);
	bind_text(s, 3, put->hash);
	bind_text(s, 4, put->state);
	bind_text(s, 5, put->reasons);
	bind_text(s, 6, put->bill_json);
	bind_text(s, 7, put->patient_key);
	bind_text(s, 8, put->ipt_no);
	sqlite3_bind_int64(s, 9, put->total);
	sqlite3_bind_int64(s, 10, now);
	if (step_done(ob, s, err) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(ob->db);
	why = hg_xasprintf("received from %s", put->adapter);
	rc = history_add(ob, *id, now, NULL, put->state, why, err);
	free(why);
	return rc;
}

/* Keep the current content in bill_versions before it changes. */
static int
keep_version(struct hg_outbox *ob, long long id, int64_t now,
    const char *why, struct hg_err *err)
{
	sqlite3_stmt *s;

	if ((s = prep(ob, ST_KEEP, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	bind_text(s, 3, why);
	return step_done(ob, s, err);
}

static int
put_replace(struct hg_outbox *ob, const struct hg_put *put,
    const struct found *f, int64_t now, struct hg_err *err)
{
	sqlite3_stmt *s;
	char why[64];

	snprintf(why, sizeof why, "replaced by version %d", f->version + 1);
	if (keep_version(ob, f->id, now, why, err) == -1 ||
	    (s = prep(ob, ST_REPLACE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	bind_text(s, 2, put->hash);
	bind_text(s, 3, put->bill_json);
	bind_text(s, 4, put->state);
	bind_text(s, 5, put->reasons);
	bind_text(s, 6, put->patient_key);
	bind_text(s, 7, put->ipt_no);
	sqlite3_bind_int64(s, 8, put->total);
	sqlite3_bind_int64(s, 9, now);
	if (step_done(ob, s, err) == -1)
		return -1;
	return history_add(ob, f->id, now, f->state, put->state, why, err);
}

/* Changed after sending: hold the new content for a person.  A settled
 * bill becomes amended now; one still being settled keeps its state and
 * the settler moves it to amended when it finishes. */
static int
put_amend(struct hg_outbox *ob, const struct hg_put *put,
    const struct found *f, int64_t now, struct hg_err *err)
{
	sqlite3_stmt *s;
	const char *to, *why;

	if (strcmp(f->state, HG_S_SETTLED) == 0) {
		to = HG_S_AMENDED;
		why = "changed at the source after settlement; held for a "
		    "person to decide";
	} else if (strcmp(f->state, HG_S_AMENDED) == 0) {
		to = f->state;
		why = "changed again at the source; newer amendment held";
	} else {
		to = f->state;
		why = "changed at the source while being settled; amendment "
		    "held";
	}
	if ((s = prep(ob, ST_PENDING, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	bind_text(s, 2, put->bill_json);
	bind_text(s, 3, put->hash);
	bind_text(s, 4, to);
	sqlite3_bind_int64(s, 5, now);
	if (step_done(ob, s, err) == -1)
		return -1;
	return history_add(ob, f->id, now, f->state, to, why, err);
}

int
hg_outbox_put(struct hg_outbox *ob, const struct hg_put *put,
    enum hg_put_outcome *outcome, long long *id, struct hg_err *err)
{
	struct found f;
	enum hg_put_outcome out = HG_PUT_SAME;
	const char *latest;
	long long bid = 0;
	int64_t now;
	int own, r, rc = -1;

	if (put->adapter == NULL || put->source_key == NULL ||
	    put->hash == NULL || put->bill_json == NULL)
		return hg_fail(err, "outbox %s: put: adapter, source key, hash "
		    "and bill are required", ob->path);
	if (!is_intake_state(put->state))
		return hg_fail(err, "outbox %s: put %s/%s: state must be %s or "
		    "%s, not %s", ob->path, put->adapter, put->source_key,
		    HG_S_READY, HG_S_INVALID,
		    put->state != NULL ? put->state : "NULL");
	memset(&f, 0, sizeof f);
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	now = hg_wall_ms();
	if ((r = find(ob, put, &f, err)) == -1)
		goto out;
	if (r == 0) {
		if (put_new(ob, put, now, &bid, err) == -1)
			goto out;
		out = HG_PUT_NEW;
		rc = 0;
		goto out;
	}
	bid = f.id;
	/* Compare with the newest content we know of: a pending amendment
	 * is newer than what was sent. */
	latest = f.pending_hash != NULL ? f.pending_hash : f.hash;
	if (strcmp(put->hash, latest) == 0)
		out = HG_PUT_SAME;
	else if (!is_sent_state(f.state)) {
		if (put_replace(ob, put, &f, now, err) == -1)
			goto out;
		out = HG_PUT_REPLACED;
	} else {
		if (put_amend(ob, put, &f, now, err) == -1)
			goto out;
		out = HG_PUT_AMENDED;
	}
	rc = 0;
out:
	rc = tx_leave(ob, own, rc, err);
	free(f.state);
	free(f.hash);
	free(f.pending_hash);
	if (rc == 0) {
		if (outcome != NULL)
			*outcome = out;
		if (id != NULL)
			*id = bid;
	}
	return rc;
}

int
hg_outbox_set_cursor(struct hg_outbox *ob, const char *adapter,
    const char *cursor, struct hg_err *err)
{
	sqlite3_stmt *s;
	int own, rc = -1;

	if (adapter == NULL || cursor == NULL)
		return hg_fail(err, "outbox %s: set cursor: adapter and cursor "
		    "are required", ob->path);
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if ((s = prep(ob, ST_CURSOR_SET, err)) == NULL)
		goto out;
	bind_text(s, 1, adapter);
	bind_text(s, 2, cursor);
	sqlite3_bind_int64(s, 3, hg_wall_ms());
	rc = step_done(ob, s, err);
out:
	return tx_leave(ob, own, rc, err);
}

char *
hg_outbox_get_cursor(struct hg_outbox *ob, const char *adapter)
{
	sqlite3_stmt *s;
	char *v;

	if ((s = prep(ob, ST_CURSOR_GET, NULL)) == NULL)
		return NULL;
	bind_text(s, 1, adapter);
	if (step_row(ob, s, NULL) != 1)
		return NULL;
	v = col_dup(s, 0);
	sqlite3_reset(s);
	return v;
}

void
hg_row_free(struct hg_row *row)
{
	if (row == NULL)
		return;
	free(row->adapter);
	free(row->source_key);
	free(row->hash);
	free(row->state);
	free(row->reasons);
	free(row->bill_json);
	free(row->patient_key);
	free(row->ipt_no);
	free(row->step);
	free(row->psn_no);
	free(row->insuplc_admdvs);
	free(row->mdtrt_id);
	free(row->setl_id);
	free(row->setl_json);
	free(row->err_msg);
	free(row->pending_json);
	free(row->lease_owner);
	memset(row, 0, sizeof *row);
}

/* Fill row from a statement selecting ROW_COLS. */
static void
row_fill(sqlite3_stmt *s, struct hg_row *row)
{
	memset(row, 0, sizeof *row);
	row->id = sqlite3_column_int64(s, 0);
	row->adapter = col_dup(s, 1);
	row->source_key = col_dup(s, 2);
	row->hash = col_dup(s, 3);
	row->version = sqlite3_column_int(s, 4);
	row->state = col_dup(s, 5);
	row->reasons = col_dup(s, 6);
	row->bill_json = col_dup(s, 7);
	row->patient_key = col_dup(s, 8);
	row->ipt_no = col_dup(s, 9);
	row->total = sqlite3_column_int64(s, 10);
	row->created_ms = sqlite3_column_int64(s, 11);
	row->updated_ms = sqlite3_column_int64(s, 12);
	row->step = col_dup(s, 13);
	row->attempts = sqlite3_column_int(s, 14);
	row->next_attempt_ms = sqlite3_column_int64(s, 15);
	row->psn_no = col_dup(s, 16);
	row->insuplc_admdvs = col_dup(s, 17);
	row->mdtrt_id = col_dup(s, 18);
	row->setl_id = col_dup(s, 19);
	row->setl_json = col_dup(s, 20);
	row->err_msg = col_dup(s, 21);
	row->pending_json = col_dup(s, 22);
	row->lease_owner = col_dup(s, 23);
	row->lease_until_ms = sqlite3_column_int64(s, 24);
}

/* Not the cached statements: a callback may call back into the outbox. */
static int
query(struct hg_outbox *ob, const char *sql, sqlite3_stmt **s,
    struct hg_err *err)
{
	int rc;

	*s = NULL;
	if ((rc = sqlite3_prepare_v2(ob->db, sql, -1, s, NULL)) != SQLITE_OK)
		return db_fail(ob, rc, err);
	return 0;
}

int
hg_outbox_list(struct hg_outbox *ob, const char *state,
    int (*cb)(const struct hg_row *row, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	struct hg_row row;
	int r = 0, stop = 0, ret = -1;

	if (state != NULL && !is_state(state))
		return hg_fail(err, "outbox %s: no such state: %s", ob->path,
		    state);
	if (query(ob, state == NULL ?
	    "SELECT " ROW_COLS " FROM bills ORDER BY id" :
	    "SELECT " ROW_COLS " FROM bills WHERE state = ?1 ORDER BY id",
	    &s, err) == -1)
		return -1;
	if (state != NULL)
		bind_text(s, 1, state);
	while (!stop && (r = step_row(ob, s, err)) == 1) {
		row_fill(s, &row);
		stop = cb(&row, arg);
		hg_row_free(&row);
	}
	if (stop || r == 0)
		ret = 0;
	sqlite3_finalize(s);
	return ret;
}

int
hg_outbox_get(struct hg_outbox *ob, long long id, struct hg_row *row,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	memset(row, 0, sizeof *row);
	if ((s = prep(ob, ST_ROW, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = step_row(ob, s, err)) == -1)
		return -1;
	if (r == 0)
		return hg_fail(err, "no bill %lld", id);
	row_fill(s, row);
	sqlite3_reset(s);
	return 0;
}

int
hg_outbox_counts(struct hg_outbox *ob,
    void (*cb)(const char *state, long long n, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r, ret = -1;

	if (query(ob, "SELECT state, count(*) FROM bills GROUP BY state "
	    "ORDER BY state", &s, err) == -1)
		return -1;
	while ((r = step_row(ob, s, err)) == 1)
		cb((const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_int64(s, 1), arg);
	if (r == 0)
		ret = 0;
	sqlite3_finalize(s);
	return ret;
}

int
hg_outbox_purge(struct hg_outbox *ob, int64_t before_ms, int dry,
    long long *n, struct hg_err *err)
{
	static const char *const del[] = {
		"DELETE FROM steps WHERE bill_id IN (SELECT id FROM purge_ids)",
		"DELETE FROM history WHERE bill_id IN "
		    "(SELECT id FROM purge_ids)",
		"DELETE FROM bill_versions WHERE bill_id IN "
		    "(SELECT id FROM purge_ids)",
		"DELETE FROM bills WHERE id IN (SELECT id FROM purge_ids)",
		NULL,
	};
	const char *const *d;
	sqlite3_stmt *s = NULL;
	int own, rc = -1, r;

	*n = 0;
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	/* Only what is finished and will never be sent again: settled or
	 * cancelled, with no amendment waiting for a person. */
	if (exec(ob, "CREATE TEMP TABLE IF NOT EXISTS purge_ids(id INTEGER "
	    "PRIMARY KEY); DELETE FROM purge_ids", err) == -1)
		goto out;
	if (sqlite3_prepare_v2(ob->db, "INSERT INTO purge_ids SELECT id FROM "
	    "bills WHERE state IN ('settled', 'cancelled') AND pending_json "
	    "IS NULL AND updated_ms < ?1", -1, &s, NULL) != SQLITE_OK) {
		db_fail(ob, sqlite3_errcode(ob->db), err);
		goto out;
	}
	sqlite3_bind_int64(s, 1, before_ms);
	if ((r = sqlite3_step(s)) != SQLITE_DONE) {
		db_fail(ob, r, err);
		goto out;
	}
	*n = sqlite3_changes(ob->db);
	for (d = del; !dry && *d != NULL; d++)
		if (exec(ob, *d, err) == -1)
			goto out;
	rc = 0;
out:
	sqlite3_finalize(s);
	if (dry && own && rc == 0) {
		tx_abort(ob);	/* counted, nothing written */
		return 0;
	}
	return tx_leave(ob, own, rc, err);
}

/* 1 when the bill exists, 0 when not, -1 on error. */
static int
bill_exists(struct hg_outbox *ob, long long id, struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if ((s = prep(ob, ST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = step_row(ob, s, err)) == 1)
		sqlite3_reset(s);
	return r;
}

int
hg_outbox_history(struct hg_outbox *ob, long long id,
    int (*cb)(int64_t at_ms, const char *from, const char *to,
    const char *reason, void *arg), void *arg, struct hg_err *err)
{
	sqlite3_stmt *s;
	int r = 0, n = 0, stop = 0, ret = -1;

	if (query(ob, "SELECT at_ms, from_state, to_state, reason "
	    "FROM history WHERE bill_id = ?1 ORDER BY id", &s, err) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while (!stop && (r = step_row(ob, s, err)) == 1) {
		n++;
		stop = cb(sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3), arg);
	}
	if (r == -1)
		goto out;
	/* Every bill has a history row from its first insert. */
	if (n == 0) {
		if ((r = bill_exists(ob, id, err)) == -1)
			goto out;
		if (r == 0) {
			hg_fail(err, "no bill %lld", id);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The state of bill id, copied into buf; 1, 0 when there is no such bill,
 * or -1. */
static int
state_of(struct hg_outbox *ob, long long id, char *buf, size_t len,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if ((s = prep(ob, ST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = step_row(ob, s, err)) != 1)
		return r;
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return 1;
}

int
hg_outbox_set_state(struct hg_outbox *ob, long long id,
    const char *from, const char *to, const char *reason,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	char cur[32];
	int64_t now;
	int own, r, rc = -1;

	if (!is_state(to) || (from != NULL && !is_state(from)))
		return hg_fail(err, "outbox %s: bill %lld: no such state: %s",
		    ob->path, id, !is_state(to) ? (to != NULL ? to : "NULL") :
		    from);
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	now = hg_wall_ms();
	if ((r = state_of(ob, id, cur, sizeof cur, err)) == -1)
		goto out;
	if (r == 0) {
		hg_fail(err, "no bill %lld", id);
		goto out;
	}
	if (from != NULL && strcmp(cur, from) != 0) {
		hg_fail(err, "bill %lld is %s, not %s", id, cur, from);
		goto out;
	}
	if ((s = prep(ob, ST_STATE_SET, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, to);
	sqlite3_bind_int64(s, 3, now);
	if (step_done(ob, s, err) == -1 ||
	    history_add(ob, id, now, cur, to, reason, err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

int
hg_outbox_update_bill(struct hg_outbox *ob, long long id,
    const char *bill_json, const char *state, const char *reasons,
    const char *why, struct hg_err *err)
{
	sqlite3_stmt *s;
	char cur[32];
	int64_t now;
	int own, r, rc = -1;

	if (bill_json == NULL || !is_intake_state(state))
		return hg_fail(err, "outbox %s: update bill %lld: a bill and "
		    "a state of %s or %s are required", ob->path, id,
		    HG_S_READY, HG_S_INVALID);
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	now = hg_wall_ms();
	if ((r = state_of(ob, id, cur, sizeof cur, err)) == -1)
		goto out;
	if (r == 0) {
		hg_fail(err, "no bill %lld", id);
		goto out;
	}
	if (is_sent_state(cur)) {
		hg_fail(err, "bill %lld is %s: its content was sent and "
		    "cannot change", id, cur);
		goto out;
	}
	if (keep_version(ob, id, now, why, err) == -1 ||
	    (s = prep(ob, ST_UPDATE, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, bill_json);
	bind_text(s, 3, state);
	bind_text(s, 4, reasons);
	sqlite3_bind_int64(s, 5, now);
	if (step_done(ob, s, err) == -1 ||
	    history_add(ob, id, now, cur, state, why, err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

/* The best claimable bill so far: due first, then oldest. */
struct pick {
	long long id;		/* 0: none yet */
	int64_t	 due;
};

/* Look at the next claimable bill in one state.  0 or -1. */
static int
candidate(struct hg_outbox *ob, const char *state, int64_t now_ms,
    struct pick *best, struct hg_err *err)
{
	sqlite3_stmt *s;
	long long id;
	int64_t due;
	int r, ready = strcmp(state, HG_S_READY) == 0;

	if ((s = prep(ob, ready ? ST_CLAIM_READY : ST_CLAIM_LEASED,
	    err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	if (!ready)
		bind_text(s, 2, state);
	if ((r = step_row(ob, s, err)) != 1)
		return r;
	id = sqlite3_column_int64(s, 0);
	due = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	if (best->id == 0 || due < best->due ||
	    (due == best->due && id < best->id)) {
		best->id = id;
		best->due = due;
	}
	return 0;
}

static int
claim_one(struct hg_outbox *ob, long long id, const char *owner,
    int64_t now_ms, int64_t lease_ms, struct hg_err *err)
{
	sqlite3_stmt *s;
	char state[32], *prev = NULL, *why = NULL;
	const char *to;
	int64_t prev_until, wall;
	int r, rc = -1;

	if ((s = prep(ob, ST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = step_row(ob, s, err)) != 1) {
		if (r == 0)
			hg_fail(err, "no bill %lld", id);
		return -1;
	}
	snprintf(state, sizeof state, "%s",
	    (const char *)sqlite3_column_text(s, 0));
	prev = col_dup(s, 1);
	prev_until = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);

	wall = hg_wall_ms();
	to = strcmp(state, HG_S_READY) == 0 ? HG_S_PROGRESS : state;
	if ((s = prep(ob, ST_CLAIM_SET, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, to);
	bind_text(s, 3, owner);
	sqlite3_bind_int64(s, 4, now_ms + lease_ms);
	sqlite3_bind_int64(s, 5, wall);
	if (step_done(ob, s, err) == -1)
		goto out;
	/* A first claim is a state change; taking over from a worker whose
	 * lease ran out (it crashed or hung) is worth a line too.  A bill
	 * given back with hg_outbox_release has no lease and is simply
	 * picked up again. */
	if (strcmp(to, state) != 0)
		why = hg_xasprintf("claimed by %s", owner);
	else if (prev != NULL && prev_until > 0)
		why = hg_xasprintf("lease of %s expired; claimed by %s", prev,
		    owner);
	if (why != NULL && history_add(ob, id, wall, state, to, why,
	    err) == -1)
		goto out;
	rc = 0;
out:
	free(prev);
	free(why);
	return rc;
}

int
hg_outbox_claim(struct hg_outbox *ob, const char *owner,
    int64_t now_ms, int64_t lease_ms, struct hg_row *row,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	struct pick best = { 0, 0 };
	int own, rc = -1;

	memset(row, 0, sizeof *row);
	if (owner == NULL || lease_ms <= 0)
		return hg_fail(err, "outbox %s: claim: an owner and a positive "
		    "lease are required", ob->path);
	/* BEGIN IMMEDIATE takes the write lock before looking, so no two
	 * connections can pick the same bill. */
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if (candidate(ob, HG_S_READY, now_ms, &best, err) == -1 ||
	    candidate(ob, HG_S_PROGRESS, now_ms, &best, err) == -1 ||
	    candidate(ob, HG_S_INDOUBT, now_ms, &best, err) == -1)
		goto out;
	if (best.id == 0) {
		rc = 0;
		goto out;
	}
	if (claim_one(ob, best.id, owner, now_ms, lease_ms, err) == -1 ||
	    (s = prep(ob, ST_ROW, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, best.id);
	if (step_row(ob, s, err) != 1)
		goto out;
	row_fill(s, row);
	sqlite3_reset(s);
	rc = 1;
out:
	if (tx_leave(ob, own, rc == -1 ? -1 : 0, err) == -1) {
		hg_row_free(row);
		return -1;
	}
	return rc;
}

int
hg_outbox_release(struct hg_outbox *ob, long long id,
    int64_t next_attempt_ms, const char *err_msg, struct hg_err *err)
{
	sqlite3_stmt *s;
	int own, rc = -1;

	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if ((s = prep(ob, ST_RELEASE, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt_ms);
	bind_text(s, 3, err_msg);
	sqlite3_bind_int64(s, 4, hg_wall_ms());
	if (step_done(ob, s, err) == -1)
		goto out;
	if (sqlite3_changes(ob->db) == 0) {
		hg_fail(err, "no bill %lld", id);
		goto out;
	}
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

/* Walk the rows of a check pragma: "ok" (or nothing) passes. */
static int
check_rows(struct hg_outbox *ob, const char *sql, const char *what,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	const char *v;
	int r, ret = -1;

	if (query(ob, sql, &s, err) == -1)
		return -1;
	if ((r = step_row(ob, s, err)) == -1)
		goto out;
	if (r == 1) {
		v = (const char *)sqlite3_column_text(s, 0);
		if (v == NULL || strcmp(v, "ok") != 0) {
			hg_fail(err, "outbox %s: %s failed: %s", ob->path, what,
			    v != NULL ? v : "row without parent");
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
hg_outbox_check(struct hg_outbox *ob, struct hg_err *err)
{
	if (check_rows(ob, "PRAGMA integrity_check", "integrity check",
	    err) == -1)
		return -1;
	return check_rows(ob, "PRAGMA foreign_key_check",
	    "foreign key check", err);
}
