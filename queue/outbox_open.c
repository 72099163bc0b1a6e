/* Opening and closing an outbox: path checks that say what to do, the
 * PRAGMAs, migrations, the caller's transactions and the integrity check.
 * The rest of the outbox is in outbox_put.c (intake), outbox_list.c
 * (reading), outbox_state.c (state changes and claims), outbox_db.c (the
 * SQL plumbing they share). */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/access.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/outbox_int.h"

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
	/* 1 -> 2: write-back results (agent/writeback.c; IF NOT EXISTS:
	 * agents before this one created it themselves) and the
	 * Idempotency-Keys httppush has answered (queue/outbox_keys.c) */
	"CREATE TABLE IF NOT EXISTS writeback ("
	" bill_id INTEGER NOT NULL,"
	" state TEXT NOT NULL,"
	" path TEXT,"
	" done INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" error TEXT,"
	" next_ms INTEGER NOT NULL DEFAULT 0,"
	" updated_ms INTEGER NOT NULL,"
	" PRIMARY KEY (bill_id, state));"
	"CREATE TABLE push_keys ("
	" adapter TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" hash TEXT NOT NULL,"
	" bill_id INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL,"
	" PRIMARY KEY (adapter, key));"
	"CREATE INDEX push_keys_bill ON push_keys (bill_id);",
	/* 2 -> 3: when retention.personal_days took a bill's personal
	 * data out (queue/outbox_scrub.c); NULL: never */
	"ALTER TABLE bills ADD COLUMN scrubbed_ms INTEGER;",
	/* 3 -> 4: what the last reconcile --detail found (queue/recon.c),
	 * for the web page, which must not call the platform itself */
	"CREATE TABLE recon_run ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" run_ms INTEGER NOT NULL,"
	" date TEXT NOT NULL,"
	" matched INTEGER NOT NULL);"
	"CREATE TABLE recon_rows ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL,"
	" bill_id INTEGER NOT NULL,"
	" person TEXT,"
	" mdtrt_id TEXT,"
	" setl_id TEXT,"
	" msgid TEXT,"
	" medfee_sumamt INTEGER NOT NULL,"
	" memo TEXT,"
	" fix TEXT NOT NULL);",
	/* 4 -> 5: the audit's records (queue/audit_store.c): which content
	 * of a bill was audited, and its findings.  IF NOT EXISTS: agents
	 * before this one created them at their first audit, with this
	 * DDL. */
	"CREATE TABLE IF NOT EXISTS audit_runs ("
	" id INTEGER PRIMARY KEY,"
	" bill_id INTEGER NOT NULL REFERENCES bills (id) ON DELETE CASCADE,"
	" hash TEXT NOT NULL,"
	" at_ms INTEGER NOT NULL,"
	" held INTEGER NOT NULL,"
	" released_ms INTEGER,"
	" released_why TEXT);"
	"CREATE INDEX IF NOT EXISTS audit_runs_bill ON audit_runs (bill_id);"
	"CREATE TABLE IF NOT EXISTS audit_findings ("
	" id INTEGER PRIMARY KEY,"
	" bill_id INTEGER NOT NULL REFERENCES bills (id) ON DELETE CASCADE,"
	" at_ms INTEGER NOT NULL,"
	" rule TEXT NOT NULL,"
	" severity TEXT NOT NULL,"
	" line INTEGER,"
	" text TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS audit_findings_at ON audit_findings "
	"(at_ms);",
	/* 5 -> 6: when the last retention scrub ran and how many bills it
	 * took (queue/outbox_scrub.c), for doctor and /metrics */
	"CREATE TABLE retention_run ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" run_ms INTEGER NOT NULL,"
	" bills INTEGER NOT NULL);",
	/* 6 -> 7: a bill's findings for its pages (the nurse list, the
	 * slip, /queue), which ask by bill (queue/audit_store.c) */
	"CREATE INDEX IF NOT EXISTS audit_findings_bill ON audit_findings "
	"(bill_id, id);",
	/* 7 -> 8: what purged bills' journal and history counted, kept
	 * for /metrics, whose counters must not go down (queue/stats.c:
	 * name "family.column", labels the infno or state) */
	"CREATE TABLE metric_carry ("
	" name TEXT NOT NULL,"
	" labels TEXT NOT NULL,"
	" value INTEGER NOT NULL,"
	" PRIMARY KEY (name, labels));",
	/* 8 -> 9: a call whose answer was lost stays counted as lost
	 * once it is resolved (state ok or failed), for the counter
	 * hisgate_platform_answers_lost_total (queue/steps.c sets it);
	 * the calls resolved before this migration are not known */
	"ALTER TABLE steps ADD COLUMN lost INTEGER NOT NULL DEFAULT 0;"
	"UPDATE steps SET lost = 1 WHERE state = 'unknown';",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == HG_OUTBOX_SCHEMA,
    "one migration per schema version");

static int
pragma_int(struct hg_outbox *ob, const char *sql, int *v, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(ob->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		ob_db_fail(ob, rc, err);
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		ob_db_fail(ob, rc, err);
		goto out;
	}
	*v = sqlite3_column_int(s, 0);
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
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
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	/* Read again under the write lock: another process may have
	 * migrated while we waited. */
	if (pragma_int(ob, "PRAGMA user_version", &v, err) == -1 ||
	    schema_check(ob, v, err) == -1)
		goto out;
	for (; v < HG_OUTBOX_SCHEMA; v++)
		if (ob_exec(ob, migrations[v], err) == -1)
			goto out;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d; "
	    "PRAGMA application_id = %d", HG_OUTBOX_SCHEMA, APPLICATION_ID);
	if (ob_exec(ob, sql, err) == -1)
		goto out;
	rc = 0;
out:
	return ob_tx_leave(ob, own, rc, err);
}

static int
setup(struct hg_outbox *ob, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int rc, ret = -1;

	sqlite3_busy_timeout(ob->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(ob->db, 1);
	if (ob_exec(ob, "PRAGMA foreign_keys = ON", err) == -1)
		return -1;
	if (ob->flags & HG_OB_READONLY)
		return migrate(ob, err);
	/* FULL: every commit is on disk before a source is acknowledged.
	 * The size limit gives back the space of a WAL swollen by a
	 * backlog once it has been checkpointed. */
	if (ob_exec(ob, "PRAGMA synchronous = FULL; "
	    "PRAGMA journal_size_limit = 67108864; "
	    "PRAGMA wal_autocheckpoint = 16384; "
	    "PRAGMA cache_size = -512", err) == -1)
		return -1;
	/* journal_mode answers with the mode in force, which stays the old
	 * one when WAL is impossible (some network file systems). */
	if ((rc = sqlite3_prepare_v2(ob->db, "PRAGMA journal_mode = WAL", -1,
	    &s, NULL)) != SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		ob_db_fail(ob, rc, err);
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

/* Whom the advice in open errors names (hg_outbox_service_user). */
static char service_user[64] = "hisgate";

void
hg_outbox_service_user(const char *name)
{
	if (name != NULL && name[0] != '\0')
		snprintf(service_user, sizeof service_user, "%s", name);
}

/* Say which path, why and what to do before SQLite would answer "unable
 * to open database file" (or a writer would find out at its first write):
 * a missing directory, one the user cannot write (SQLite creates the -wal
 * and -shm files beside the outbox), or a file the user cannot read.
 * These do not pass by themselves, hence HG_EPERM: the daemon refuses to
 * start, where systemd shows it.  Only a reader's "not created yet" is
 * HG_ETEMP: the daemon's first start creates it. */
/* A reader of a WAL database needs its -shm file, and SQLite creates
 * it beside the outbox when it is missing (the daemon removes it when it
 * stops): in a directory this user cannot write, a reader would fail with
 * "attempt to write a readonly database". */
static int
check_shm(const struct hg_user *me, const char *path, const char *dir,
    struct hg_err *err)
{
	const char *u = service_user;
	char why[600], *shm;
	int ret = 0;

	if (hg_access_check(me, dir, W_OK | X_OK, why, sizeof why) !=
	    HG_ACCESS_DENIED)
		return 0;
	shm = hg_xasprintf("%s-shm", path);
	if (access(shm, F_OK) == -1)
		ret = hg_fail(err, "outbox %s: %s, and %s does not exist (the "
		    "daemon is not running): reading the outbox needs that "
		    "file, which SQLite creates beside it; run this as the "
		    "service user (runuser -u %s -- hisgate ...), or start "
		    "the daemon (systemctl start hisgate) and run it again",
		    path, why, shm, u);
	free(shm);
	return ret;
}

static int
check_path(const char *path, int flags, struct hg_err *err)
{
	const char *u = service_user;
	struct hg_user me;
	char why[600], *copy, *dir;
	enum hg_access a;
	int ret = 0;

	hg_user_self(&me);
	copy = hg_xstrdup(path);
	dir = dirname(copy);
	a = hg_access_check(&me, dir, (flags & HG_OB_READONLY) ? X_OK :
	    W_OK | X_OK, why, sizeof why);
	if (a == HG_ACCESS_MISSING)
		ret = hg_fail(err, "outbox %s: %s: create it for the service "
		    "user (install -d -m 0750 -o %s -g %s %s), or correct "
		    "agent.outbox", path, why, u, u, dir);
	else if (a == HG_ACCESS_DENIED)
		ret = hg_fail(err, "outbox %s: %s%s: chown it to the service "
		    "user (chown %s:%s %s), or run this as that user "
		    "(runuser -u %s -- hisgate ...)", path, why,
		    (flags & HG_OB_READONLY) ? "" : " (the outbox and its "
		    "-wal and -shm files are created there)", u, u, dir, u);
	else if ((a = hg_access_check(&me, path, R_OK, why, sizeof why)) ==
	    HG_ACCESS_MISSING && (flags & HG_OB_READONLY))
		ret = hg_failt(err, "outbox %s does not exist yet: the daemon "
		    "creates it when it starts (systemctl start hisgate); if "
		    "it should be there, correct agent.outbox", path);
	else if (a == HG_ACCESS_DENIED)
		ret = hg_fail(err, "outbox %s: %s: chown it to the service "
		    "user (chown %s:%s %s %s-wal %s-shm), or run this as that "
		    "user (runuser -u %s -- hisgate ...)", path, why, u, u,
		    path, path, path, u);
	else if ((flags & HG_OB_READONLY) && a == HG_ACCESS_OK)
		ret = check_shm(&me, path, dir, err);
	free(copy);
	return ret;
}

/* An outbox made before its files were created 0600 (or chmod'ed by
 * hand) holds patient data others may read: narrowed, and said. */
static void
keep_private(const char *path)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	char name[4096];
	unsigned was;
	size_t i;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(name, sizeof name, "%s%s", path, ext[i]);
		switch (hg_keep_private(name, &was)) {
		case 1:
			log_warn("outbox", "%s was mode %04o, readable by "
			    "others: now 0600 (it holds patient data)", name,
			    was);
			break;
		case -1:
			log_warn("outbox", "%s is readable by others and "
			    "cannot be made 0600: %s", name, strerror(errno));
			break;
		}
	}
}

/* Debian's SQLite gives each connection a first page cache of 20 pages
 * (SQLITE_DEFAULT_PCACHE_INITSZ=20, about 87 KB) in one allocation whose
 * every page is written as it is threaded onto the free list: resident
 * for good, although an idle connection of an outbox holds a few pages.
 * Without it each page is allocated as it is read.  sqlite3_config is
 * only allowed before SQLite initialises (SQLITE_MISUSE after: then the
 * default stays, which is only memory), hence once, from the first open. */
static pthread_once_t pcache_once = PTHREAD_ONCE_INIT;

static void
pcache_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

int
hg_outbox_open(const char *path, int flags, struct hg_outbox **out,
    struct hg_err *err)
{
	struct hg_outbox *ob;
	int fd, rc, oflags, ret = -1;

	*out = NULL;
	if (check_path(path, flags, err) == -1)
		return -1;
	ob = hg_xcalloc(1, sizeof *ob);
	ob->path = hg_xstrdup(path);
	ob->flags = flags;
	/* Patient data: the file is created 0600 here, never through the
	 * umask (process-wide: other threads create files meanwhile), and
	 * SQLite gives the -wal and -shm files it makes beside it the mode
	 * and owner of the database file. */
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
		else
			keep_private(path);
	}
	pthread_once(&pcache_once, pcache_setup);
	/* One connection per thread (see outbox.h): no SQLite mutexes. */
	rc = sqlite3_open_v2(path, &ob->db, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		if (ob->db == NULL)
			hg_failt(err, "outbox %s: %s", path,
			    sqlite3_errstr(rc));
		else
			ob_db_fail(ob, rc, err);
		goto out;
	}
	if (setup(ob, err) == -1)
		goto out;
	*out = ob;
	ob = NULL;
	ret = 0;
out:
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
	/* half-open: sqlite3_open_v2 may fail before it made a handle */
	if (ob->db == NULL) {
		free(ob->path);
		free(ob);
		return;
	}
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
		return ob_read_only(ob, err);
	if (ob->aborted || !sqlite3_get_autocommit(ob->db))
		return hg_fail(err, "outbox %s: a transaction is already open",
		    ob->path);
	return ob_run(ob, ST_BEGIN, err);
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
	if (ob_run(ob, ST_COMMIT, err) == -1) {
		/* A failed COMMIT may leave the transaction open; end it so
		 * the caller's view ("nothing was written") is the truth. */
		ob_tx_abort(ob);
		return -1;
	}
	return 0;
}

void
hg_outbox_rollback(struct hg_outbox *ob)
{
	ob->aborted = 0;
	ob_tx_abort(ob);
}

/* Walk the rows of a check pragma: "ok" (or nothing) passes. */
static int
check_rows(struct hg_outbox *ob, const char *sql, const char *what,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	const char *v;
	int r, ret = -1;

	if (ob_query(ob, sql, &s, err) == -1)
		return -1;
	if ((r = ob_step_row(ob, s, err)) == -1)
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
