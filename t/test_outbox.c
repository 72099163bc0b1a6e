#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/xmalloc.h"
#include "queue/audit_store.h"
#include "queue/group.h"
#include "queue/outbox.h"
#include "queue/recon.h"
#include "queue/stats.h"
#include "queue/steps.h"
#include "t/check_main.h"

static char *tmp;
static char *dbpath;

static void
setup(void)
{
	tmp = hg_tmpdir();
	dbpath = hg_xasprintf("%s/outbox.db", tmp);
}

static void
teardown(void)
{
	hg_rmtree(tmp);
	hg_sfree(tmp);
	hg_sfree(dbpath);
}

static struct hg_outbox *
open_ok(int flags)
{
	struct hg_outbox *ob = NULL;
	struct hg_err err;

	ck_assert_msg(hg_outbox_open(dbpath, flags, &ob, &err) == 0,
	    "open %s: %s", dbpath, err.msg);
	ck_assert_ptr_nonnull(ob);
	return ob;
}

/* Every test ends here: the file must still be sound. */
static void
finish(struct hg_outbox *ob)
{
	struct hg_err err;

	ck_assert_msg(hg_outbox_check(ob, &err) == 0, "%s", err.msg);
	hg_outbox_close(ob);
}

/* First column of the first row of sql, as an integer. */
static long long
q1(struct hg_outbox *ob, const char *sql)
{
	sqlite3_stmt *s;
	long long v;

	ck_assert_msg(sqlite3_prepare_v2(hg_outbox_db(ob), sql, -1, &s,
	    NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(hg_outbox_db(ob)));
	ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "%s: no row", sql);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The same, as an allocated string (NULL for SQL NULL). */
static char *
qs(struct hg_outbox *ob, const char *sql)
{
	sqlite3_stmt *s;
	const unsigned char *t;
	char *v;

	ck_assert_msg(sqlite3_prepare_v2(hg_outbox_db(ob), sql, -1, &s,
	    NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(hg_outbox_db(ob)));
	ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "%s: no row", sql);
	t = sqlite3_column_text(s, 0);
	v = t != NULL ? hg_xstrdup((const char *)t) : NULL;
	sqlite3_finalize(s);
	return v;
}

static void
exec_ok(struct hg_outbox *ob, const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(hg_outbox_db(ob), sql, NULL, NULL,
	    &msg) == SQLITE_OK, "%s: %s", sql, msg);
}

static struct hg_put
mkput(const char *key, const char *hash, const char *state,
    const char *patient)
{
	struct hg_put p;

	memset(&p, 0, sizeof p);
	p.adapter = "his";
	p.source_key = key;
	p.hash = hash;
	p.bill_json = hash;	/* distinct content per hash is enough */
	p.state = state;
	p.patient_key = patient;
	p.ipt_no = "ZY001";
	p.total = 514232;
	return p;
}

static enum hg_put_outcome
put_ok(struct hg_outbox *ob, const char *key, const char *hash,
    const char *state, const char *patient, long long *id)
{
	struct hg_put p = mkput(key, hash, state, patient);
	enum hg_put_outcome o = -1;
	struct hg_err err;
	long long bid = -1;

	ck_assert_msg(hg_outbox_put(ob, &p, &o, &bid, &err) == 0,
	    "put %s %s: %s", key, hash, err.msg);
	ck_assert_int_gt(bid, 0);
	if (id != NULL)
		*id = bid;
	return o;
}

static void
state_ok(struct hg_outbox *ob, long long id, const char *from,
    const char *to)
{
	struct hg_err err;

	ck_assert_msg(hg_outbox_set_state(ob, id, from, to, "test", &err) == 0,
	    "bill %lld -> %s: %s", id, to, err.msg);
}

/* History collected as "from>to:reason" lines. */
struct hist {
	int	 n;
	char	*line[32];
};

static int
hist_cb(int64_t at_ms, const char *from, const char *to, const char *reason,
    void *arg)
{
	struct hist *h = arg;

	ck_assert_int_gt(at_ms, 0);
	ck_assert_int_lt(h->n, 32);
	h->line[h->n++] = hg_xasprintf("%s>%s:%s", from != NULL ? from : "-",
	    to, reason != NULL ? reason : "");
	return 0;
}

static void
hist_get(struct hg_outbox *ob, long long id, struct hist *h)
{
	struct hg_err err;

	memset(h, 0, sizeof *h);
	ck_assert_msg(hg_outbox_history(ob, id, hist_cb, h, &err) == 0, "%s",
	    err.msg);
}

static void
hist_free(struct hist *h)
{
	int i;

	for (i = 0; i < h->n; i++)
		free(h->line[i]);
	h->n = 0;
}

static void
mode_is(const char *path, mode_t want)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return;		/* -wal/-shm may be gone */
	ck_assert_msg((st.st_mode & 0777) == want, "%s has mode %03o", path,
	    (unsigned)(st.st_mode & 0777));
}

/* --- open, schema ------------------------------------------------------ */

START_TEST(test_create)
{
	struct hg_outbox *ob;
	char *p, *mode;
	mode_t old, now;

	old = umask(022);
	ob = open_ok(0);
	now = umask(022);
	ck_assert_msg(now == 022, "umask left at %03o", (unsigned)now);
	mode_is(dbpath, 0600);
	p = hg_xasprintf("%s-wal", dbpath);
	mode_is(p, 0600);
	free(p);
	p = hg_xasprintf("%s-shm", dbpath);
	mode_is(p, 0600);
	free(p);
	umask(old);

	ck_assert_int_eq(q1(ob, "PRAGMA user_version"), HG_OUTBOX_SCHEMA);
	ck_assert_int_eq(q1(ob, "PRAGMA synchronous"), 2);	/* FULL */
	ck_assert_int_eq(q1(ob, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(q1(ob, "PRAGMA busy_timeout"), 5000);
	mode = qs(ob, "PRAGMA journal_mode");
	ck_assert_str_eq(mode, "wal");
	free(mode);
	/* The tables the settlement work builds on. */
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM sqlite_master WHERE "
	    "name IN ('bills', 'bill_versions', 'history', 'steps', "
	    "'cursors', 'bills_state', 'bills_patient', 'steps_bill')"), 8);
	exec_ok(ob, "SELECT step, attempts, next_attempt_ms, psn_no, "
	    "insuplc_admdvs, mdtrt_id, setl_id, setl_json, err_msg, "
	    "pending_json, pending_hash, lease_owner, lease_until_ms, "
	    "created_ms, updated_ms, total, patient_key, ipt_no, version, "
	    "hash, reasons, bill_json, state, adapter, source_key FROM bills");
	exec_ok(ob, "SELECT id, bill_id, infno, msgid, state, request, "
	    "response, err_msg, sent_ms, answered_ms FROM steps");
	finish(ob);
}
END_TEST

START_TEST(test_reopen)
{
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_err err;
	long long id;
	char *c;

	ob = open_ok(0);
	ck_assert_int_eq(put_ok(ob, "k1", "h1", HG_S_READY, "p1", &id),
	    HG_PUT_NEW);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "file-7", &err), 0);
	hg_outbox_close(ob);

	ob = open_ok(0);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.source_key, "k1");
	ck_assert_str_eq(row.state, HG_S_READY);
	hg_row_free(&row);
	c = hg_outbox_get_cursor(ob, "his");
	ck_assert_str_eq(c, "file-7");
	free(c);
	ck_assert_int_eq(put_ok(ob, "k1", "h1", HG_S_READY, "p1", NULL),
	    HG_PUT_SAME);
	finish(ob);

	/* A reader opens what the writer made. */
	ob = open_ok(HG_OB_READONLY);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	hg_row_free(&row);
	finish(ob);
}
END_TEST

/* A database written by a newer hisgate. */
static void
make_newer(int version)
{
	sqlite3 *db;
	char sql[128];

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA application_id = %d; "
	    "PRAGMA user_version = %d; CREATE TABLE bills (id INTEGER)",
	    0x48474f42, version);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static const int open_flags[] = { 0, HG_OB_READONLY };

START_TEST(test_newer_schema)
{
	struct hg_outbox *ob = NULL;
	struct hg_err err;
	char *want;

	make_newer(HG_OUTBOX_SCHEMA + 1);
	ck_assert_int_eq(hg_outbox_open(dbpath, open_flags[_i], &ob, &err),
	    -1);
	ck_assert_ptr_null(ob);
	ck_assert_int_eq(err.kind, HG_EPERM);
	want = hg_xasprintf("outbox %s has schema version %d, this hisgate "
	    "knows up to %d: upgrade hisgate", dbpath, HG_OUTBOX_SCHEMA + 1,
	    HG_OUTBOX_SCHEMA);
	ck_assert_str_eq(err.msg, want);
	free(want);
}
END_TEST

START_TEST(test_not_outbox)
{
	struct hg_outbox *ob = NULL;
	struct hg_err err;
	sqlite3 *db;
	int fd;

	/* Some other application's database. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA application_id = 5; "
	    "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(hg_outbox_open(dbpath, 0, &ob, &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_msg(strstr(err.msg, "is not a hisgate outbox") != NULL,
	    "%s", err.msg);

	/* Garbage: corrupt is permanent. */
	unlink(dbpath);
	fd = open(dbpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "this is not sqlite, this is a text file "
	    "that is long enough to have a header.......................\n",
	    101), 101);
	close(fd);
	ck_assert_int_eq(hg_outbox_open(dbpath, 0, &ob, &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_msg(strstr(err.msg, dbpath) != NULL &&
	    strstr(err.msg, "not a database") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_readonly_open)
{
	struct hg_outbox *ob = NULL;
	struct hg_err err;
	struct stat st;
	sqlite3 *db;

	/* A reader never creates the file... */
	ck_assert_int_eq(hg_outbox_open(dbpath, HG_OB_READONLY, &ob, &err),
	    -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_msg(strstr(err.msg, dbpath) != NULL, "%s", err.msg);
	ck_assert_int_eq(stat(dbpath, &st), -1);

	/* ...and never migrates it. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(hg_outbox_open(dbpath, HG_OB_READONLY, &ob, &err),
	    -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_msg(strstr(err.msg, "schema version 0") != NULL, "%s",
	    err.msg);
	ob = open_ok(0);
	ck_assert_int_eq(q1(ob, "PRAGMA user_version"), HG_OUTBOX_SCHEMA);
	finish(ob);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct hg_outbox *ob = (struct hg_outbox *)1;
	struct hg_err err;
	char *path = hg_xasprintf("%s/nodir/outbox.db", tmp);
	int flags[] = { 0, HG_OB_READONLY };
	size_t i;

	/* Once a crash (exit 139): the half-built handle was closed. */
	hg_outbox_service_user("hisagent");
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		ck_assert_int_eq(hg_outbox_open(path, flags[i], &ob, &err), -1);
		ck_assert_ptr_null(ob);
		ck_assert_int_eq(err.kind, HG_EPERM);
		ck_assert_msg(strstr(err.msg, path) != NULL &&
		    strstr(err.msg, "nodir does not exist") != NULL &&
		    strstr(err.msg, "install -d -m 0750 -o hisagent -g "
		    "hisagent ") != NULL, "%s", err.msg);
	}
	hg_outbox_service_user("hisgate");
	free(path);
}
END_TEST

/* --- put ------------------------------------------------------------- */

START_TEST(test_put_new)
{
	struct hg_outbox *ob;
	struct hg_put p;
	struct hg_row row;
	struct hg_err err;
	struct hist h;
	enum hg_put_outcome o;
	long long id, id2;

	ob = open_ok(0);
	p = mkput("2024-001", "h1", HG_S_INVALID, "110105194912310021");
	p.reasons = "fee 3: no national code\nfee 4: no price";
	p.bill_json = "{\"fees\":[]}";
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id, &err), 0);
	ck_assert_int_eq(o, HG_PUT_NEW);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_int_eq(row.id, id);
	ck_assert_str_eq(row.adapter, "his");
	ck_assert_str_eq(row.source_key, "2024-001");
	ck_assert_str_eq(row.hash, "h1");
	ck_assert_int_eq(row.version, 1);
	ck_assert_str_eq(row.state, HG_S_INVALID);
	ck_assert_str_eq(row.reasons, p.reasons);
	ck_assert_str_eq(row.bill_json, "{\"fees\":[]}");
	ck_assert_str_eq(row.patient_key, "110105194912310021");
	ck_assert_str_eq(row.ipt_no, "ZY001");
	ck_assert_int_eq(row.total, 514232);
	ck_assert_int_gt(row.created_ms, 0);
	ck_assert_int_eq(row.created_ms, row.updated_ms);
	ck_assert_int_eq(row.attempts, 0);
	ck_assert_ptr_null(row.pending_json);
	ck_assert_ptr_null(row.lease_owner);
	hg_row_free(&row);
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, 1);
	ck_assert_str_eq(h.line[0], "->invalid:received from his");
	hist_free(&h);

	/* Same source key from another adapter is another bill. */
	p.adapter = "hl7";
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id2, &err), 0);
	ck_assert_int_eq(o, HG_PUT_NEW);
	ck_assert_int_ne(id, id2);

	/* Bad arguments write nothing. */
	p.state = HG_S_SETTLED;
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id, &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_msg(strstr(err.msg, "state must be ready or invalid") !=
	    NULL, "%s", err.msg);
	p.state = HG_S_READY;
	p.hash = NULL;
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id, &err), -1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 2);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM history"), 2);
	finish(ob);
}
END_TEST

/* Changed content against every state the bill may be in. */
static const struct {
	const char *state;		/* the bill's state before */
	enum hg_put_outcome outcome;
	const char *after;		/* state after */
	int	 version;
	int	 kept;			/* rows in bill_versions */
	const char *pending;		/* pending_hash after */
	const char *hist;		/* last history row */
} changed[] = {
	{ HG_S_INVALID, HG_PUT_REPLACED, HG_S_INVALID, 2, 1, NULL,
	    "invalid>invalid:replaced by version 2" },
	{ HG_S_READY, HG_PUT_REPLACED, HG_S_INVALID, 2, 1, NULL,
	    "ready>invalid:replaced by version 2" },
	{ HG_S_REJECTED, HG_PUT_REPLACED, HG_S_INVALID, 2, 1, NULL,
	    "rejected>invalid:replaced by version 2" },
	{ HG_S_CANCELLED, HG_PUT_REPLACED, HG_S_INVALID, 2, 1, NULL,
	    "cancelled>invalid:replaced by version 2" },
	{ HG_S_PROGRESS, HG_PUT_AMENDED, HG_S_PROGRESS, 1, 0, "h2",
	    "in_progress>in_progress:changed at the source while being "
	    "settled; amendment held" },
	{ HG_S_INDOUBT, HG_PUT_AMENDED, HG_S_INDOUBT, 1, 0, "h2",
	    "in_doubt>in_doubt:changed at the source while being settled; "
	    "amendment held" },
	{ HG_S_SETTLED, HG_PUT_AMENDED, HG_S_AMENDED, 1, 0, "h2",
	    "settled>amended:changed at the source after settlement; held "
	    "for a person to decide" },
	{ HG_S_AMENDED, HG_PUT_AMENDED, HG_S_AMENDED, 1, 0, "h2",
	    "amended>amended:changed again at the source; newer amendment "
	    "held" },
};

START_TEST(test_put_changed)
{
	struct hg_outbox *ob;
	struct hg_put p;
	struct hg_row row;
	struct hg_err err;
	struct hist h;
	enum hg_put_outcome o;
	long long id, id2;
	int nhist, changes;

	ob = open_ok(0);
	put_ok(ob, "k1", "h1", HG_S_READY, "p1", &id);
	exec_ok(ob, "UPDATE bills SET setl_id = 'S1', err_msg = 'old'");
	if (strcmp(changed[_i].state, HG_S_READY) != 0)
		state_ok(ob, id, HG_S_READY, changed[_i].state);
	hist_get(ob, id, &h);
	nhist = h.n;
	hist_free(&h);

	p = mkput("k1", "h2", HG_S_INVALID, "p1");
	p.reasons = "fee 1: no code";
	p.total = 100;
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id2, &err), 0);
	ck_assert_int_eq(o, changed[_i].outcome);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.state, changed[_i].after);
	ck_assert_int_eq(row.version, changed[_i].version);
	if (changed[_i].outcome == HG_PUT_REPLACED) {
		ck_assert_str_eq(row.hash, "h2");
		ck_assert_str_eq(row.bill_json, "h2");
		ck_assert_str_eq(row.reasons, "fee 1: no code");
		ck_assert_int_eq(row.total, 100);
		ck_assert_ptr_null(row.setl_id);
		ck_assert_ptr_null(row.err_msg);
		ck_assert_ptr_null(row.pending_json);
		ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bill_versions "
		    "WHERE version = 1 AND hash = 'h1' AND bill_json = 'h1' "
		    "AND total = 514232 AND setl_id = 'S1' AND "
		    "why = 'replaced by version 2'"), 1);
	} else {
		/* What was sent stays as it was. */
		ck_assert_str_eq(row.hash, "h1");
		ck_assert_str_eq(row.bill_json, "h1");
		ck_assert_int_eq(row.total, 514232);
		ck_assert_str_eq(row.setl_id, "S1");
		ck_assert_str_eq(row.pending_json, "h2");
	}
	hg_row_free(&row);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bill_versions"),
	    changed[_i].kept);
	if (changed[_i].pending == NULL)
		ck_assert_int_eq(q1(ob, "SELECT pending_hash IS NULL FROM "
		    "bills"), 1);
	else
		ck_assert_int_eq(q1(ob, "SELECT pending_hash = 'h2' FROM "
		    "bills"), 1);
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, nhist + 1);
	ck_assert_str_eq(h.line[h.n - 1], changed[_i].hist);
	hist_free(&h);

	/* The same change again writes nothing at all. */
	changes = sqlite3_total_changes(hg_outbox_db(ob));
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id2, &err), 0);
	ck_assert_int_eq(o, HG_PUT_SAME);
	ck_assert_int_eq(id2, id);
	ck_assert_int_eq(sqlite3_total_changes(hg_outbox_db(ob)), changes);
	finish(ob);
}
END_TEST

START_TEST(test_put_pending)
{
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_err err;
	long long id;

	ob = open_ok(0);
	put_ok(ob, "k1", "h1", HG_S_READY, "p1", &id);
	state_ok(ob, id, HG_S_READY, HG_S_SETTLED);
	ck_assert_int_eq(put_ok(ob, "k1", "h2", HG_S_READY, "p1", NULL),
	    HG_PUT_AMENDED);
	ck_assert_int_eq(put_ok(ob, "k1", "h2", HG_S_READY, "p1", NULL),
	    HG_PUT_SAME);
	ck_assert_int_eq(put_ok(ob, "k1", "h3", HG_S_READY, "p1", NULL),
	    HG_PUT_AMENDED);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.state, HG_S_AMENDED);
	ck_assert_str_eq(row.pending_json, "h3");
	ck_assert_str_eq(row.hash, "h1");
	hg_row_free(&row);
	/* Back to what was settled: still a change against the newest
	 * content; a person looks at it, nothing is decided silently. */
	ck_assert_int_eq(put_ok(ob, "k1", "h1", HG_S_READY, "p1", NULL),
	    HG_PUT_AMENDED);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.state, HG_S_AMENDED);
	ck_assert_str_eq(row.pending_json, "h1");
	hg_row_free(&row);

	/* Cancelled (2305) with an amendment still pending: the newer
	 * content replaces the bill and the pending one is dropped. */
	state_ok(ob, id, HG_S_AMENDED, HG_S_CANCELLED);
	ck_assert_int_eq(put_ok(ob, "k1", "h1", HG_S_READY, "p1", NULL),
	    HG_PUT_SAME);
	ck_assert_int_eq(put_ok(ob, "k1", "h4", HG_S_READY, "p1", NULL),
	    HG_PUT_REPLACED);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.state, HG_S_READY);
	ck_assert_str_eq(row.hash, "h4");
	ck_assert_int_eq(row.version, 2);
	ck_assert_ptr_null(row.pending_json);
	hg_row_free(&row);
	finish(ob);
}
END_TEST

/* --- transactions and cursors ------------------------------------------ */

START_TEST(test_cursor_tx)
{
	struct hg_outbox *ob, *rd;
	struct hg_err err;
	char *c;

	ob = open_ok(0);
	rd = open_ok(HG_OB_READONLY);
	ck_assert_ptr_null(hg_outbox_get_cursor(ob, "his"));

	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	put_ok(ob, "a", "ha", HG_S_READY, "p1", NULL);
	put_ok(ob, "b", "hb", HG_S_READY, "p2", NULL);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "file-2", &err), 0);
	/* Nobody sees a batch before it commits. */
	ck_assert_ptr_null(hg_outbox_get_cursor(rd, "his"));
	ck_assert_int_eq(q1(rd, "SELECT count(*) FROM bills"), 0);
	ck_assert_int_eq(hg_outbox_commit(ob, &err), 0);
	c = hg_outbox_get_cursor(rd, "his");
	ck_assert_str_eq(c, "file-2");
	free(c);
	ck_assert_int_eq(q1(rd, "SELECT count(*) FROM bills"), 2);

	/* Rolled back: neither the bill nor the cursor. */
	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	put_ok(ob, "c", "hc", HG_S_READY, "p3", NULL);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "file-3", &err), 0);
	hg_outbox_rollback(ob);
	c = hg_outbox_get_cursor(ob, "his");
	ck_assert_str_eq(c, "file-2");
	free(c);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills WHERE "
	    "source_key = 'c'"), 0);

	/* Outside a transaction each call commits by itself. */
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "file-4", &err), 0);
	c = hg_outbox_get_cursor(rd, "his");
	ck_assert_str_eq(c, "file-4");
	free(c);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, NULL, "x", &err), -1);
	hg_outbox_close(rd);
	finish(ob);
}
END_TEST

START_TEST(test_tx_rules)
{
	struct hg_outbox *ob;
	struct hg_err err;
	long long id;

	ob = open_ok(0);
	ck_assert_int_eq(hg_outbox_commit(ob, &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	ck_assert_int_eq(hg_outbox_begin(ob, &err), -1);
	ck_assert_msg(strstr(err.msg, "already open") != NULL, "%s", err.msg);
	put_ok(ob, "a", "ha", HG_S_READY, "p1", &id);
	/* A refusal that wrote nothing leaves the batch intact. */
	ck_assert_int_eq(hg_outbox_set_state(ob, id, HG_S_SETTLED,
	    HG_S_CANCELLED, "x", &err), -1);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "f1", &err), 0);
	ck_assert_int_eq(hg_outbox_commit(ob, &err), 0);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM cursors"), 1);
	hg_outbox_rollback(ob);		/* harmless without a transaction */
	finish(ob);
}
END_TEST

/* --- claim ------------------------------------------------------------- */

static long long
claim(struct hg_outbox *ob, const char *owner, int64_t now, int64_t lease)
{
	struct hg_row row;
	struct hg_err err;
	long long id;
	int r;

	r = hg_outbox_claim(ob, owner, now, lease, &row, &err);
	ck_assert_msg(r >= 0, "claim: %s", err.msg);
	if (r == 0)
		return 0;
	ck_assert_str_eq(row.lease_owner, owner);
	ck_assert_int_eq(row.lease_until_ms, now + lease);
	ck_assert_msg(strcmp(row.state, HG_S_PROGRESS) == 0 ||
	    strcmp(row.state, HG_S_INDOUBT) == 0, "claimed %s", row.state);
	id = row.id;
	hg_row_free(&row);
	return id;
}

START_TEST(test_claim_order)
{
	struct hg_outbox *ob;
	struct hist h;
	long long a1, a2, b1, c1, c2, n1, n2;

	ob = open_ok(0);
	put_ok(ob, "a1", "a1", HG_S_READY, "A", &a1);
	put_ok(ob, "a2", "a2", HG_S_READY, "A", &a2);
	put_ok(ob, "b1", "b1", HG_S_READY, "B", &b1);
	/* Waiting for a person does not hold the patient's later bills. */
	put_ok(ob, "c1", "c1", HG_S_INVALID, "C", &c1);
	put_ok(ob, "c2", "c2", HG_S_READY, "C", &c2);
	/* Without a patient key there is no order to keep. */
	put_ok(ob, "n1", "n1", HG_S_READY, NULL, &n1);
	put_ok(ob, "n2", "n2", HG_S_READY, NULL, &n2);

	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), a1);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), b1);	/* a2 waits */
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), c2);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), n1);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), n2);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), 0);
	/* in_doubt still holds the line. */
	state_ok(ob, a1, HG_S_PROGRESS, HG_S_INDOUBT);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), 0);
	state_ok(ob, a1, HG_S_INDOUBT, HG_S_SETTLED);
	ck_assert_int_eq(q1(ob, "SELECT lease_owner IS NULL AND "
	    "lease_until_ms = 0 FROM bills WHERE source_key = 'a1'"), 1);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), a2);

	hist_get(ob, a2, &h);
	ck_assert_int_eq(h.n, 2);
	ck_assert_str_eq(h.line[1], "ready>in_progress:claimed by w1");
	hist_free(&h);
	finish(ob);
}
END_TEST

START_TEST(test_claim_lease)
{
	struct hg_outbox *ob, *ob2;
	struct hist h;
	long long id;

	ob = open_ok(0);
	ob2 = open_ok(0);
	put_ok(ob, "k", "h", HG_S_READY, "A", &id);
	ck_assert_int_eq(claim(ob, "w1", 1000, 100), id);
	ck_assert_int_eq(claim(ob2, "w2", 1099, 100), 0);
	/* w1 crashed: its lease runs out and w2 takes the bill. */
	ck_assert_int_eq(claim(ob2, "w2", 1100, 100), id);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills WHERE "
	    "lease_owner = 'w2' AND state = 'in_progress'"), 1);
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, 3);
	ck_assert_str_eq(h.line[2],
	    "in_progress>in_progress:lease of w1 expired; claimed by w2");
	hist_free(&h);
	/* An in_doubt bill is reclaimed the same way. */
	state_ok(ob, id, HG_S_PROGRESS, HG_S_INDOUBT);
	ck_assert_int_eq(claim(ob, "w3", 1150, 100), 0);
	ck_assert_int_eq(claim(ob, "w3", 1200, 100), id);
	hg_outbox_close(ob2);
	finish(ob);
}
END_TEST

START_TEST(test_claim_retry)
{
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_err err;
	struct hist h;
	long long id;

	ob = open_ok(0);
	put_ok(ob, "k", "h", HG_S_READY, "A", &id);
	ck_assert_int_eq(claim(ob, "w1", 1000, 60000), id);
	ck_assert_int_eq(hg_outbox_release(ob, id, 5000, "platform down",
	    &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.state, HG_S_PROGRESS);
	ck_assert_int_eq(row.attempts, 1);
	ck_assert_int_eq(row.next_attempt_ms, 5000);
	ck_assert_str_eq(row.err_msg, "platform down");
	ck_assert_ptr_null(row.lease_owner);
	hg_row_free(&row);
	ck_assert_int_eq(claim(ob, "w1", 4999, 60000), 0);
	ck_assert_int_eq(claim(ob, "w2", 5000, 60000), id);
	ck_assert_int_eq(hg_outbox_release(ob, id, 90000, NULL, &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_int_eq(row.attempts, 2);
	ck_assert_str_eq(row.err_msg, "platform down");
	hg_row_free(&row);
	/* A routine retry is not a history event. */
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, 2);
	hist_free(&h);

	/* A ready bill waits for its next attempt too. */
	put_ok(ob, "k2", "h2", HG_S_READY, "B", &id);
	exec_ok(ob, "UPDATE bills SET next_attempt_ms = 20000 WHERE "
	    "source_key = 'k2'");
	ck_assert_int_eq(claim(ob, "w1", 10000, 100), 0);
	ck_assert_int_eq(claim(ob, "w1", 20000, 100), id);

	ck_assert_int_eq(hg_outbox_release(ob, 999, 0, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "no bill 999");
	ck_assert_int_eq(hg_outbox_claim(ob, NULL, 0, 100, &row, &err), -1);
	finish(ob);
}
END_TEST

START_TEST(test_claim_due)
{
	struct hg_outbox *ob;
	struct hg_err err;
	long long x, y;

	ob = open_ok(0);
	put_ok(ob, "x", "x", HG_S_READY, "X", &x);
	ck_assert_int_eq(claim(ob, "w1", 1000, 100), x);
	ck_assert_int_eq(hg_outbox_release(ob, x, 5000, "timeout", &err), 0);
	put_ok(ob, "y", "y", HG_S_READY, "Y", &y);
	/* Across patients, the bill due first goes first. */
	ck_assert_int_eq(claim(ob, "w1", 6000, 100), y);
	ck_assert_int_eq(claim(ob, "w1", 6000, 100), x);
	finish(ob);
}
END_TEST

/* When a settler with nothing to claim should look again. */
START_TEST(test_next_due)
{
	struct hg_outbox *ob;
	struct hg_err err;
	int64_t due = -1;
	long long x, y;

	ob = open_ok(0);
	ck_assert_int_eq(hg_outbox_next_due(ob, 1000, &due, &err), 0);
	ck_assert_int_eq(due, 0);
	put_ok(ob, "x", "x", HG_S_READY, "X", &x);
	/* due now is claimable now, not "next" */
	ck_assert_int_eq(hg_outbox_next_due(ob, 1000, &due, &err), 0);
	ck_assert_int_eq(due, 0);
	/* a lease taken: due when it runs out */
	ck_assert_int_eq(claim(ob, "w1", 1000, 100), x);
	ck_assert_int_eq(hg_outbox_next_due(ob, 1000, &due, &err), 0);
	ck_assert_int_eq(due, 1100);
	/* given back with backoff: due when the backoff ends */
	ck_assert_int_eq(hg_outbox_release(ob, x, 5000, "timeout", &err), 0);
	put_ok(ob, "y", "y", HG_S_READY, "Y", &y);
	ck_assert_int_eq(claim(ob, "w2", 1000, 100000), y);
	ck_assert_int_eq(hg_outbox_next_due(ob, 1000, &due, &err), 0);
	ck_assert_int_eq(due, 5000);
	ck_assert_int_eq(hg_outbox_next_due(ob, 6000, &due, &err), 0);
	ck_assert_int_eq(due, 101000);
	ck_assert_int_eq(hg_outbox_next_due(ob, 200000, &due, &err), 0);
	ck_assert_int_eq(due, 0);
	finish(ob);
}
END_TEST

/* Four connections race for 200 bills; each must be claimed once. */
#define RACE_BILLS	200
#define RACE_THREADS	4

struct racer {
	char	 name[16];
	int	 n;
	long long id[RACE_BILLS];
	char	 err[HG_ERRLEN];
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_err err;
	int got;

	if (hg_outbox_open(dbpath, 0, &ob, &err) == -1) {
		snprintf(r->err, sizeof r->err, "%s", err.msg);
		return NULL;
	}
	for (;;) {
		got = hg_outbox_claim(ob, r->name, 1000, 3600000, &row, &err);
		if (got == -1) {
			snprintf(r->err, sizeof r->err, "%s", err.msg);
			break;
		}
		if (got == 0)
			break;
		r->id[r->n++] = row.id;
		hg_row_free(&row);
	}
	hg_outbox_close(ob);
	return NULL;
}

START_TEST(test_claim_race)
{
	static struct racer r[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	struct hg_outbox *ob;
	struct hg_err err;
	char key[32], seen[RACE_BILLS + 1];
	int i, j, total = 0;

	ob = open_ok(0);
	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	for (i = 0; i < RACE_BILLS; i++) {
		snprintf(key, sizeof key, "k%d", i);
		put_ok(ob, key, key, HG_S_READY, key, NULL);
	}
	ck_assert_int_eq(hg_outbox_commit(ob, &err), 0);
	memset(r, 0, sizeof r);
	for (i = 0; i < RACE_THREADS; i++) {
		snprintf(r[i].name, sizeof r[i].name, "w%d", i);
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	memset(seen, 0, sizeof seen);
	for (i = 0; i < RACE_THREADS; i++) {
		ck_assert_msg(r[i].err[0] == '\0', "%s: %s", r[i].name,
		    r[i].err);
		for (j = 0; j < r[i].n; j++) {
			ck_assert_int_le(r[i].id[j], RACE_BILLS);
			ck_assert_msg(!seen[r[i].id[j]], "bill %lld twice",
			    r[i].id[j]);
			seen[r[i].id[j]] = 1;
		}
		total += r[i].n;
	}
	ck_assert_int_eq(total, RACE_BILLS);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills WHERE "
	    "state = 'in_progress'"), RACE_BILLS);
	finish(ob);
}
END_TEST

/* --- state, update, reading -------------------------------------------- */

START_TEST(test_set_state)
{
	struct hg_outbox *ob;
	struct hg_err err;
	struct hist h;
	long long id;

	ob = open_ok(0);
	put_ok(ob, "k", "h", HG_S_READY, "A", &id);
	ck_assert_int_eq(hg_outbox_set_state(ob, id, HG_S_PROGRESS,
	    HG_S_SETTLED, "2304 ok", &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_str_eq(err.msg, "bill 1 is ready, not in_progress");
	ck_assert_int_eq(hg_outbox_set_state(ob, id, NULL, "done", "x",
	    &err), -1);
	ck_assert_msg(strstr(err.msg, "no such state: done") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(hg_outbox_set_state(ob, 42, NULL, HG_S_READY, "x",
	    &err), -1);
	ck_assert_str_eq(err.msg, "no bill 42");
	ck_assert_int_eq(hg_outbox_set_state(ob, id, HG_S_READY,
	    HG_S_REJECTED, "platform: -2 no such insured person", &err), 0);
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, 2);
	ck_assert_str_eq(h.line[1],
	    "ready>rejected:platform: -2 no such insured person");
	hist_free(&h);
	finish(ob);
}
END_TEST

START_TEST(test_update_bill)
{
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_err err;
	struct hist h;
	long long id;

	ob = open_ok(0);
	put_ok(ob, "k", "h", HG_S_INVALID, "A", &id);
	ck_assert_int_eq(hg_outbox_update_bill(ob, id, "{\"mapped\":1}",
	    HG_S_READY, NULL, "replayed after mapping fix", &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_str_eq(row.bill_json, "{\"mapped\":1}");
	ck_assert_str_eq(row.state, HG_S_READY);
	ck_assert_str_eq(row.hash, "h");
	ck_assert_int_eq(row.version, 1);
	ck_assert_ptr_null(row.reasons);
	hg_row_free(&row);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bill_versions WHERE "
	    "bill_json = 'h' AND state = 'invalid'"), 1);
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, 2);
	ck_assert_str_eq(h.line[1],
	    "invalid>ready:replayed after mapping fix");
	hist_free(&h);

	/* After a cancellation the next settlement starts afresh. */
	exec_ok(ob, "UPDATE bills SET state = 'cancelled', setl_id = 'S1', "
	    "setl_json = '{}', attempts = 3, mdtrt_id = 'M1'");
	ck_assert_int_eq(hg_outbox_update_bill(ob, id, "{\"mapped\":2}",
	    HG_S_READY, NULL, "re-mapped", &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_ptr_null(row.setl_id);
	ck_assert_ptr_null(row.setl_json);
	ck_assert_int_eq(row.attempts, 0);
	ck_assert_str_eq(row.mdtrt_id, "M1");
	hg_row_free(&row);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bill_versions WHERE "
	    "setl_id = 'S1' AND why = 're-mapped'"), 1);

	state_ok(ob, id, HG_S_READY, HG_S_SETTLED);
	ck_assert_int_eq(hg_outbox_update_bill(ob, id, "{}", HG_S_READY, NULL,
	    "x", &err), -1);
	ck_assert_str_eq(err.msg,
	    "bill 1 is settled: its content was sent and cannot change");
	ck_assert_int_eq(hg_outbox_update_bill(ob, 7, "{}", HG_S_READY, NULL,
	    "x", &err), -1);
	ck_assert_str_eq(err.msg, "no bill 7");
	finish(ob);
}
END_TEST

static int
list_cb(const struct hg_row *row, void *arg)
{
	char *s = arg;

	strcat(s, row->source_key);
	return strcmp(row->source_key, "stop") == 0;
}

struct counts {
	char	 text[256];
};

static void
counts_cb(const char *state, long long n, void *arg)
{
	struct counts *c = arg;
	size_t len = strlen(c->text);

	snprintf(c->text + len, sizeof c->text - len, "%s=%lld ", state, n);
}

START_TEST(test_read)
{
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_err err;
	struct counts c;
	struct hist h;
	char seen[64];
	long long id;

	ob = open_ok(0);
	put_ok(ob, "a", "a", HG_S_READY, "A", NULL);
	put_ok(ob, "b", "b", HG_S_INVALID, "B", NULL);
	put_ok(ob, "c", "c", HG_S_READY, "C", &id);
	put_ok(ob, "stop", "s", HG_S_READY, "D", NULL);
	put_ok(ob, "e", "e", HG_S_READY, "E", NULL);
	state_ok(ob, id, NULL, HG_S_SETTLED);

	seen[0] = '\0';
	ck_assert_int_eq(hg_outbox_list(ob, NULL, list_cb, seen, &err), 0);
	ck_assert_str_eq(seen, "abcstop");
	seen[0] = '\0';
	ck_assert_int_eq(hg_outbox_list(ob, HG_S_READY, list_cb, seen, &err),
	    0);
	ck_assert_str_eq(seen, "astop");
	seen[0] = '\0';
	ck_assert_int_eq(hg_outbox_list(ob, HG_S_CANCELLED, list_cb, seen,
	    &err), 0);
	ck_assert_str_eq(seen, "");
	ck_assert_int_eq(hg_outbox_list(ob, "bogus", list_cb, seen, &err),
	    -1);

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(hg_outbox_counts(ob, counts_cb, &c, &err), 0);
	ck_assert_str_eq(c.text, "invalid=1 ready=3 settled=1 ");

	ck_assert_int_eq(hg_outbox_get(ob, 42, &row, &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_str_eq(err.msg, "no bill 42");
	hg_row_free(&row);	/* safe on a row get left empty */
	memset(&h, 0, sizeof h);
	ck_assert_int_eq(hg_outbox_history(ob, 42, hist_cb, &h, &err), -1);
	ck_assert_str_eq(err.msg, "no bill 42");
	hist_get(ob, id, &h);
	ck_assert_int_eq(h.n, 2);
	ck_assert_str_eq(h.line[0], "->ready:received from his");
	ck_assert_str_eq(h.line[1], "ready>settled:test");
	hist_free(&h);
	finish(ob);
}
END_TEST

/* --- failures ---------------------------------------------------------- */

/* A process that dies mid-batch: what it committed is there, what it
 * had not committed is not, and the file is sound. */
START_TEST(test_crash)
{
	struct hg_outbox *ob;
	struct hg_err err;
	pid_t pid;
	int status;
	char *c;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (hg_outbox_open(dbpath, 0, &ob, &err) == -1 ||
		    hg_outbox_begin(ob, &err) == -1)
			_exit(2);
		put_ok(ob, "a", "ha", HG_S_READY, "A", NULL);
		if (hg_outbox_set_cursor(ob, "his", "f1", &err) == -1 ||
		    hg_outbox_commit(ob, &err) == -1 ||
		    hg_outbox_begin(ob, &err) == -1)
			_exit(3);
		put_ok(ob, "b", "hb", HG_S_READY, "B", NULL);
		if (hg_outbox_set_cursor(ob, "his", "f2", &err) == -1)
			_exit(4);
		kill(getpid(), SIGKILL);	/* no commit, no close */
		_exit(5);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "child status %d", status);
	ob = open_ok(0);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills WHERE "
	    "source_key = 'a'"), 1);
	c = hg_outbox_get_cursor(ob, "his");
	ck_assert_str_eq(c, "f1");
	free(c);
	finish(ob);
}
END_TEST

START_TEST(test_disk_full)
{
	struct hg_outbox *ob;
	struct hg_put p;
	struct hg_err err;
	char *big, sql[64];
	long long pages;

	ob = open_ok(0);
	put_ok(ob, "a", "ha", HG_S_READY, "A", NULL);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "f1", &err), 0);
	big = hg_xmalloc(256 * 1024);
	memset(big, 'x', 256 * 1024 - 1);
	big[256 * 1024 - 1] = '\0';
	pages = q1(ob, "PRAGMA page_count");
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", pages);
	ck_assert_int_eq(q1(ob, sql), pages);

	/* On its own. */
	p = mkput("big", "hbig", HG_S_READY, "B");
	p.bill_json = big;
	ck_assert_int_eq(hg_outbox_put(ob, &p, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_msg(strstr(err.msg, dbpath) != NULL &&
	    strstr(err.msg, "full") != NULL, "%s", err.msg);

	/* In a batch: the whole batch goes, cursor and all. */
	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	put_ok(ob, "b", "hb", HG_S_READY, "B", NULL);
	ck_assert_int_eq(hg_outbox_put(ob, &p, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "f2", &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_int_eq(hg_outbox_commit(ob, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	hg_outbox_rollback(ob);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM history"), 1);
	ck_assert_int_eq(q1(ob, "SELECT cursor = 'f1' FROM cursors"), 1);

	/* Room again: it goes through. */
	ck_assert_int_eq(q1(ob, "PRAGMA max_page_count = 1000000"), 1000000);
	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	put_ok(ob, "b", "hb", HG_S_READY, "B", NULL);
	ck_assert_int_eq(put_ok(ob, "big", "hbig", HG_S_READY, "B", NULL),
	    HG_PUT_NEW);
	ck_assert_int_eq(hg_outbox_set_cursor(ob, "his", "f2", &err), 0);
	ck_assert_int_eq(hg_outbox_commit(ob, &err), 0);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 3);
	free(big);
	finish(ob);
}
END_TEST

START_TEST(test_readonly_writes)
{
	struct hg_outbox *ob, *rd;
	struct hg_put p;
	struct hg_row row;
	struct hg_err err;
	long long id;

	ob = open_ok(0);
	put_ok(ob, "a", "ha", HG_S_READY, "A", &id);

	/* A CLI reader reads and never writes. */
	rd = open_ok(HG_OB_READONLY);
	ck_assert_int_eq(hg_outbox_get(rd, id, &row, &err), 0);
	hg_row_free(&row);
	p = mkput("b", "hb", HG_S_READY, "B");
	ck_assert_int_eq(hg_outbox_put(rd, &p, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_msg(strstr(err.msg, dbpath) != NULL &&
	    strstr(err.msg, "read-only") != NULL, "%s", err.msg);
	ck_assert_int_eq(hg_outbox_set_cursor(rd, "his", "x", &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_int_eq(hg_outbox_begin(rd, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_int_eq(hg_outbox_claim(rd, "w", 0, 100, &row, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	hg_outbox_close(rd);

	/* A writer whose file turned read-only under it (root ignores
	 * chmod, so SQLite's query_only stands in for the file mode). */
	exec_ok(ob, "PRAGMA query_only = 1");
	ck_assert_int_eq(hg_outbox_put(ob, &p, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_msg(strstr(err.msg, dbpath) != NULL &&
	    strstr(err.msg, "readonly") != NULL, "%s", err.msg);
	ck_assert_int_eq(hg_outbox_set_state(ob, id, NULL, HG_S_SETTLED, "x",
	    &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	exec_ok(ob, "PRAGMA query_only = 0");
	ck_assert_int_eq(put_ok(ob, "b", "hb", HG_S_READY, "B", NULL),
	    HG_PUT_NEW);
	hg_outbox_close(ob);

	/* The real thing, where chmod binds. */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(dbpath, 0400), 0);
		ob = open_ok(0);
		ck_assert_int_eq(hg_outbox_put(ob, &p, NULL, NULL, &err), -1);
		ck_assert_int_eq(err.kind, HG_ETEMP);
		hg_outbox_close(ob);
		ck_assert_int_eq(chmod(dbpath, 0600), 0);
	}
	ob = open_ok(0);
	finish(ob);
}
END_TEST

/* --- group commit -------------------------------------------------------- */

/* A sync that takes a while and counts, under its own lock, how many
 * began and how many finished. */
static pthread_mutex_t gs_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned gs_started, gs_done, gs_fail_at;

static int
slow_sync(struct sqlite3 *db, struct hg_err *err)
{
	unsigned k;

	(void)db;
	pthread_mutex_lock(&gs_mu);
	k = ++gs_started;
	pthread_mutex_unlock(&gs_mu);
	usleep(300);
	pthread_mutex_lock(&gs_mu);
	gs_done++;
	pthread_mutex_unlock(&gs_mu);
	if (k == gs_fail_at)
		return hg_fail(err, "EIO (test)");
	return 0;
}

static void
gs_reset(unsigned fail_at)
{
	gs_started = gs_done = 0;
	gs_fail_at = fail_at;
}

START_TEST(test_group_tickets)
{
	struct hg_group *g;
	struct hg_err err;
	uint64_t t1, t2, t3;

	gs_reset(0);
	g = hg_group_new(slow_sync);
	t1 = hg_group_note(g);
	t2 = hg_group_note(g);
	ck_assert(t2 > t1);
	/* one sync takes both */
	ck_assert_int_eq(hg_group_wait(g, t2, NULL, &err), 0);
	ck_assert_int_eq(hg_group_syncs(g), 1);
	ck_assert_int_eq(hg_group_wait(g, t1, NULL, &err), 0);
	ck_assert_int_eq(hg_group_syncs(g), 1);
	/* a write after it needs a sync of its own */
	t3 = hg_group_note(g);
	ck_assert_int_eq(hg_group_wait(g, t3, NULL, &err), 0);
	ck_assert_int_eq(hg_group_syncs(g), 2);
	hg_group_free(g);
}
END_TEST

#define GT_THREADS	8
#define GT_ROUNDS	300

static struct hg_group *gt;
static int gt_bad;

/* Each round: "commit", take a ticket, wait; then check that a sync that
 * began after the ticket was taken has finished. */
static void *
gt_main(void *arg)
{
	struct hg_err err;
	uint64_t t;
	unsigned before;
	int i;

	(void)arg;
	for (i = 0; i < GT_ROUNDS; i++) {
		pthread_mutex_lock(&gs_mu);
		t = hg_group_note(gt);
		before = gs_started;
		pthread_mutex_unlock(&gs_mu);
		if (hg_group_wait(gt, t, NULL, &err) == -1) {
			gt_bad++;
			break;
		}
		pthread_mutex_lock(&gs_mu);
		if (gs_done < before + 1)
			gt_bad++;
		pthread_mutex_unlock(&gs_mu);
	}
	return NULL;
}

START_TEST(test_group_threads)
{
	pthread_t th[GT_THREADS];
	int i;

	gs_reset(0);
	gt_bad = 0;
	gt = hg_group_new(slow_sync);
	for (i = 0; i < GT_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, gt_main, NULL),
		    0);
	for (i = 0; i < GT_THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(gt_bad, 0);
	/* syncs were shared: far fewer than the waits */
	ck_assert_uint_lt(hg_group_syncs(gt), GT_THREADS * GT_ROUNDS / 2);
	ck_assert_uint_ge(hg_group_syncs(gt), GT_ROUNDS);
	hg_group_free(gt);
}
END_TEST

START_TEST(test_group_broken)
{
	struct hg_group *g;
	struct hg_err err;

	gs_reset(2);
	g = hg_group_new(slow_sync);
	ck_assert_int_eq(hg_group_wait(g, hg_group_note(g), NULL, &err), 0);
	ck_assert(!hg_group_broken(g));
	ck_assert_int_eq(hg_group_wait(g, hg_group_note(g), NULL, &err), -1);
	ck_assert(hg_group_broken(g));
	ck_assert_ptr_nonnull(strstr(err.msg, "EIO (test)"));
	ck_assert_ptr_nonnull(strstr(err.msg, "restarted"));
	/* the bill is not at fault: try again later, not "lease lost" */
	ck_assert_int_eq(err.kind, HG_ETEMP);
	/* the next sync would succeed, but what the failed one lost would
	 * not be known: everything fails from now on */
	ck_assert_int_eq(hg_group_wait(g, hg_group_note(g), NULL, &err), -1);
	ck_assert_int_eq(gs_started, 2);
	hg_group_free(g);
}
END_TEST

/* 未对码: the codes invalid bills wait on, from their reasons. */
struct unm {
	int	 n;
	char	 line[8][160];
};

static int
unm_cb(const struct hg_unmapped *u, void *arg)
{
	struct unm *m = arg;
	size_t i;
	int off;

	ck_assert_int_lt(m->n, 8);
	off = snprintf(m->line[m->n], sizeof m->line[m->n], "%s|%s|%lld|",
	    u->code, u->name, u->bills);
	for (i = 0; i < u->nids; i++)
		off += snprintf(m->line[m->n] + off, sizeof m->line[m->n] -
		    (size_t)off, "%s%lld", i ? "," : "", u->ids[i]);
	m->n++;
	return 0;
}

static long long
put_reasons(struct hg_outbox *ob, const char *key, const char *state,
    const char *reasons)
{
	struct hg_put p = mkput(key, key, state, key);
	enum hg_put_outcome o;
	struct hg_err err;
	long long id;

	p.reasons = reasons;
	ck_assert_msg(hg_outbox_put(ob, &p, &o, &id, &err) == 0, "%s",
	    err.msg);
	return id;
}

START_TEST(test_unmapped)
{
	struct hg_outbox *ob = open_ok(0);
	struct unm m;
	struct hg_err err;
	long long a, b, c;
	char want[64];

	memset(&m, 0, sizeof m);
	ck_assert_int_eq(hg_outbox_unmapped(ob, unm_cb, &m, &err), 0);
	ck_assert_int_eq(m.n, 0);
	a = put_reasons(ob, "a", HG_S_INVALID, "line 2: 项目编码 "
	    "(med_list_codg): 未对码: X9 特殊床位费\n"
	    "line 3: 项目编码 (med_list_codg): 未对码: X7 某药\n"
	    "line 4: 项目编码 (med_list_codg): 未对码: X9 特殊床位费");
	b = put_reasons(ob, "b", HG_S_INVALID, "line 5: 项目编码 "
	    "(med_list_codg): 未对码: X9 特殊床位费\n"
	    "line 6: 项目编码 (med_list_codg): 未对码: (no local code)\n"
	    "psn_certno: 证件号码 不符合 GB 11643");
	c = put_reasons(ob, "c", HG_S_INVALID, "line 1: 项目编码 "
	    "(med_list_codg): 未对码: X8");
	/* a ready bill's reasons are history: nothing waits on them */
	put_reasons(ob, "d", HG_S_READY, "line 1: 未对码: X6 旧的");
	put_reasons(ob, "e", HG_S_INVALID, "psn_name: 姓名 is empty");
	ck_assert_int_eq(hg_outbox_unmapped(ob, unm_cb, &m, &err), 0);
	ck_assert_int_eq(m.n, 3);
	/* most bills first, each bill counted once */
	snprintf(want, sizeof want, "X9|特殊床位费|2|%lld,%lld", a, b);
	ck_assert_str_eq(m.line[0], want);
	snprintf(want, sizeof want, "X7|某药|1|%lld", a);
	ck_assert_str_eq(m.line[1], want);
	snprintf(want, sizeof want, "X8||1|%lld", c);
	ck_assert_str_eq(m.line[2], want);
	finish(ob);
}
END_TEST

/* The last reconcile --detail result: kept whole, replaced whole. */
static int
recon_cb(const struct hg_recon_row *r, void *arg)
{
	struct unm *m = arg;

	ck_assert_int_lt(m->n, 8);
	snprintf(m->line[m->n++], sizeof m->line[0], "%s|%lld|%s|%s|%s|%s|"
	    "%lld|%s|%s", r->kind, r->bill, r->person, r->mdtrt_id,
	    r->setl_id, r->msgid, (long long)r->medfee_sumamt, r->memo,
	    r->fix);
	return 0;
}

START_TEST(test_recon)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_recon_run run = { 1700000000123, "2024-03-05", 3 }, got;
	struct hg_recon_row rows[2] = {
		{ HG_RECON_ONLY_OUTBOX, 7, "4100**7890", "MD1", "S1", "M1",
		  514232, "中心已冲正", "hisgate reconcile resettle 7" },
		{ HG_RECON_ONLY_PLATFORM, 0, "4100**7891", "MD2", "S2", "M2",
		  100, NULL, "hisgate reconcile reverse M2 BILL" },
	};
	struct unm m;
	struct hg_err err;

	memset(&m, 0, sizeof m);
	ck_assert_int_eq(hg_recon_last(ob, &got, recon_cb, &m, &err), 0);
	ck_assert_int_eq(hg_recon_save(ob, &run, rows, 2, &err), 0);
	ck_assert_int_eq(hg_recon_last(ob, &got, recon_cb, &m, &err), 1);
	ck_assert_int_eq(got.run_ms, 1700000000123);
	ck_assert_str_eq(got.date, "2024-03-05");
	ck_assert_int_eq(got.matched, 3);
	ck_assert_int_eq(m.n, 2);
	ck_assert_str_eq(m.line[0], "only_outbox|7|4100**7890|MD1|S1|M1|"
	    "514232|中心已冲正|hisgate reconcile resettle 7");
	ck_assert_str_eq(m.line[1], "only_platform|0|4100**7891|MD2|S2|M2|"
	    "100||hisgate reconcile reverse M2 BILL");
	/* a clean run replaces it: nothing left over */
	run.matched = 5;
	ck_assert_int_eq(hg_recon_save(ob, &run, NULL, 0, &err), 0);
	memset(&m, 0, sizeof m);
	ck_assert_int_eq(hg_recon_last(ob, &got, recon_cb, &m, &err), 1);
	ck_assert_int_eq(got.matched, 5);
	ck_assert_int_eq(m.n, 0);
	hg_outbox_close(ob);
	/* a reader cannot keep it */
	ob = open_ok(HG_OB_READONLY);
	ck_assert_int_eq(hg_recon_save(ob, &run, rows, 2, &err), -1);
	ck_assert_int_eq(hg_recon_last(ob, &got, recon_cb, &m, &err), 1);
	finish(ob);
}
END_TEST

/* An outbox left at schema `from` (by the caller's DDL on ob): a reader
 * does not migrate it and says how to; a writer migrates it on open. */
static struct hg_outbox *
migrated(struct hg_outbox *ob, int from)
{
	struct hg_err err;
	char want[128];

	hg_outbox_close(ob);
	ck_assert_int_eq(hg_outbox_open(dbpath, HG_OB_READONLY, &ob, &err),
	    -1);
	snprintf(want, sizeof want, "schema version %d, this hisgate needs %d: "
	    "start the daemon once", from, HG_OUTBOX_SCHEMA);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
	ob = open_ok(0);
	ck_assert_int_eq(q1(ob, "PRAGMA user_version"), HG_OUTBOX_SCHEMA);
	return ob;
}

/* An outbox of schema 3 (before recon_run): readers wait for the
 * daemon, a writer migrates it and keeps its bills. */
START_TEST(test_migrate_4)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_recon_run got;
	struct unm m;
	struct hg_err err;
	long long id;

	put_ok(ob, "k1", "h1", HG_S_READY, "p1", &id);
	exec_ok(ob, "ALTER TABLE steps DROP COLUMN lost; "
	    "DROP TABLE metric_carry; DROP TABLE retention_run; "
	    "DROP TABLE audit_findings; DROP TABLE audit_runs; "
	    "DROP TABLE recon_rows; DROP TABLE recon_run; "
	    "PRAGMA user_version = 3");
	ob = migrated(ob, 3);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 1);
	memset(&m, 0, sizeof m);
	ck_assert_int_eq(hg_recon_last(ob, &got, recon_cb, &m, &err), 0);
	finish(ob);
}
END_TEST

/* The real sync: through SQLite's own handle on the outbox's WAL. */
START_TEST(test_group_wal)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_group *g = hg_group_new(NULL);
	struct hg_err err;

	ck_assert_int_eq(sqlite3_exec(hg_outbox_db(ob), "PRAGMA "
	    "synchronous = normal; CREATE TABLE t (x); INSERT INTO t "
	    "VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_msg(hg_group_wait(g, hg_group_note(g), hg_outbox_db(ob),
	    &err) == 0, "%s", err.msg);
	ck_assert_int_eq(hg_group_syncs(g), 1);
	hg_group_free(g);
	hg_outbox_close(ob);
}
END_TEST

/* --- retention --------------------------------------------------------- */

#define WANG	"\xe7\x8e\x8b\xe8\x8a\xb3"	/* 王芳 */
#define CERT	"11010519491231002X"
#define PBILL	"{\"psn_name\":\"" WANG "\",\"certno\":\"" CERT "\"," \
	"\"ipt_no\":\"ZY001\",\"medfee_sumamt\":5142.32}"

/* A bill of 王芳 in `state`, with everything a settlement leaves: a
 * version before it, its 1101 and 2304 calls, history, a write-back
 * error and the 2304 result, each quoting her. */
static long long
personal_bill(struct hg_outbox *ob, const char *key, const char *state)
{
	struct hg_put p = mkput(key, key, HG_S_READY, CERT);
	enum hg_put_outcome o;
	struct hg_err err;
	long long id;
	char *sql;

	p.bill_json = PBILL;
	ck_assert_int_eq(hg_outbox_put(ob, &p, &o, &id, &err), 0);
	sql = hg_xasprintf(
	    "INSERT INTO bill_versions (bill_id, version, hash, state, "
	    " bill_json, patient_key, total, replaced_ms, reasons) VALUES "
	    " (%lld, 1, 'h0', 'invalid', '%s', '%s', 1, 1, 'certno " CERT
	    " wrong');"
	    "INSERT INTO steps (bill_id, infno, msgid, state, request, "
	    " response, err_msg) VALUES (%lld, '1101', '%s-1', 'ok', "
	    " '{\"input\":{\"data\":{\"certno\":\"" CERT "\",\"psn_name\":"
	    " \"" WANG "\"}}}', '{\"infcode\":0,\"output\":{\"baseinfo\":"
	    " {\"psn_no\":\"P1\",\"psn_name\":\"" WANG "\",\"brdy\":"
	    " \"1949-12-31\"}}}', NULL), (%lld, '2304', '%s-2', 'ok', "
	    " '{\"input\":{\"data\":{\"mdtrt_id\":\"M1\",\"mdtrt_cert_no\":"
	    " \"" CERT "\"}}}', '{\"infcode\":0,\"output\":{\"setlinfo\":"
	    " {\"setl_id\":\"S1\",\"psn_name\":\"" WANG "\","
	    " \"medfee_sumamt\":5142.32}}}', '" WANG " timeout');"
	    "INSERT INTO history (bill_id, at_ms, from_state, to_state, "
	    " reason) VALUES (%lld, 2, 'ready', 'in_progress', "
	    " '\xe4\xba\xba\xe5\x91\x98\xe5\xa7\x93\xe5\x90\x8d[" WANG "]');"
	    "INSERT INTO writeback (bill_id, state, error, updated_ms) VALUES "
	    " (%lld, '%s', 'no " WANG "', 1);"
	    "UPDATE bills SET state = '%s', setl_id = 'S1', mdtrt_id = 'M1', "
	    " psn_no = 'P1', setl_json = '{\"setl_id\":\"S1\",\"certno\":"
	    " \"" CERT "\",\"medfee_sumamt\":5142.32}', err_msg = '" WANG
	    "', updated_ms = 1000 WHERE id = %lld",
	    id, PBILL, CERT, id, key, id, key, id, id, state, state, id);
	exec_ok(ob, sql);
	free(sql);
	return id;
}

/* Texts of bill id anywhere in the outbox that still hold her. */
static long long
traces(struct hg_outbox *ob, long long id)
{
	char *sql = hg_xasprintf("SELECT "
	    "(SELECT count(*) FROM bills WHERE id = %1$lld AND (instr(bill_json "
	    " || coalesce(setl_json, '') || coalesce(err_msg, '') || "
	    " coalesce(patient_key, ''), '" WANG "') OR instr(bill_json || "
	    " coalesce(setl_json, '') || coalesce(err_msg, '') || "
	    " coalesce(patient_key, ''), '" CERT "'))) + "
	    "(SELECT count(*) FROM bill_versions WHERE bill_id = %1$lld AND "
	    " instr(bill_json || coalesce(reasons, '') || coalesce("
	    " patient_key, ''), '" CERT "')) + "
	    "(SELECT count(*) FROM steps WHERE bill_id = %1$lld AND (instr("
	    " request || response || coalesce(err_msg, ''), '" WANG "') OR "
	    " instr(request || response, '" CERT "') OR instr(response, "
	    " 'brdy'))) + "
	    "(SELECT count(*) FROM history WHERE bill_id = %1$lld AND "
	    " instr(reason, '" WANG "')) + "
	    "(SELECT count(*) FROM writeback WHERE bill_id = %1$lld AND "
	    " instr(error, '" WANG "'))", id);
	long long n = q1(ob, sql);

	free(sql);
	return n;
}

static void
note_id(long long id, void *arg)
{
	long long *last = arg;

	*last = id;
}

/* The last scrub the outbox recorded ran at run_ms and took bills. */
static void
last_run_is(struct hg_outbox *ob, int64_t run_ms, long long bills)
{
	struct hg_err err;
	long long b;
	int64_t r;

	ck_assert_msg(hg_outbox_scrub_last(ob, &r, &b, &err) == 1, "%s",
	    err.msg);
	ck_assert_int_eq(r, run_ms);
	ck_assert_int_eq(b, bills);
}

START_TEST(test_scrub)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_row row;
	struct hg_err err;
	long long a, b, c, n, last = 0, bills;
	int64_t run;
	char *v;

	/* no scrub ran yet */
	ck_assert_int_eq(hg_outbox_scrub_last(ob, &run, &bills, &err), 0);
	ck_assert_int_eq(run, 0);
	a = personal_bill(ob, "a", HG_S_SETTLED);
	ck_assert_int_eq(a, 1);	/* the SQL below names it */
	b = personal_bill(ob, "b", HG_S_CANCELLED);
	c = personal_bill(ob, "c", HG_S_REJECTED);	/* not final */
	ck_assert_int_eq(traces(ob, a), 6);

	/* before them: nothing due */
	ck_assert_int_eq(hg_outbox_scrub(ob, 1000, 5000, 10, 0, NULL, NULL,
	    &n, &err), 0);
	ck_assert_int_eq(n, 0);
	/* dry: counted, nothing written */
	ck_assert_int_eq(hg_outbox_scrub(ob, 2000, 5000, 10, 1, note_id,
	    &last, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(last, b);
	ck_assert_int_eq(traces(ob, a), 6);
	/* batches of one */
	ck_assert_msg(hg_outbox_scrub(ob, 2000, 5000, 1, 0, note_id, &last,
	    &n, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(last, a);
	ck_assert_int_eq(traces(ob, a), 0);
	ck_assert_int_eq(traces(ob, b), 6);
	ck_assert_int_eq(hg_outbox_scrub(ob, 2000, 5000, 1, 0, NULL, NULL, &n,
	    &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(traces(ob, b), 0);
	ck_assert_int_eq(hg_outbox_scrub(ob, 2000, 5000, 1, 0, NULL, NULL, &n,
	    &err), 0);
	ck_assert_int_eq(n, 0);
	/* the run at 5000 took the two in its batches; a dry run is none */
	last_run_is(ob, 5000, 2);
	ck_assert_int_eq(hg_outbox_scrub(ob, 9000, 9000, 10, 1, NULL, NULL,
	    &n, &err), 0);
	last_run_is(ob, 5000, 2);
	/* the rejected bill may be retried: untouched */
	ck_assert_int_eq(traces(ob, c), 6);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills WHERE "
	    "scrubbed_ms IS NOT NULL"), 2);
	ck_assert_int_eq(q1(ob, "PRAGMA secure_delete"), 1);

	/* what reconciliation reads stays */
	ck_assert_int_eq(hg_outbox_get(ob, a, &row, &err), 0);
	ck_assert_int_eq(row.scrubbed_ms, 5000);
	ck_assert_int_eq(row.updated_ms, 1000);
	ck_assert_str_eq(row.state, HG_S_SETTLED);
	ck_assert_str_eq(row.setl_id, "S1");
	ck_assert_str_eq(row.mdtrt_id, "M1");
	ck_assert_str_eq(row.psn_no, "P1");
	ck_assert_str_eq(row.ipt_no, "ZY001");
	ck_assert_int_eq(row.total, 514232);
	ck_assert_ptr_null(row.patient_key);
	ck_assert_str_eq(row.bill_json,
	    "{\"ipt_no\":\"ZY001\",\"medfee_sumamt\":5142.32}");
	ck_assert_str_eq(row.setl_json,
	    "{\"setl_id\":\"S1\",\"medfee_sumamt\":5142.32}");
	ck_assert_str_eq(row.err_msg, "***");
	hg_row_free(&row);
	v = qs(ob, "SELECT response FROM steps WHERE msgid = 'a-2'");
	ck_assert_str_eq(v, "{\"infcode\":0,\"output\":{\"setlinfo\":"
	    "{\"setl_id\":\"S1\",\"medfee_sumamt\":5142.32}}}");
	free(v);
	v = qs(ob, "SELECT request FROM steps WHERE msgid = 'a-2'");
	ck_assert_str_eq(v, "{\"input\":{\"data\":{\"mdtrt_id\":\"M1\"}}}");
	free(v);

	/* changed after its scrub (a 2305 answer naming her): due again
	 * once the change is as old */
	exec_ok(ob, "INSERT INTO steps (bill_id, infno, msgid, state, "
	    "request, response) VALUES (1, '2305', 'a-3', 'ok', '{}', "
	    "'{\"output\":"
	    "{\"setlinfo\":{\"psn_name\":\"" WANG "\"}}}'); UPDATE bills "
	    "SET state = 'cancelled', updated_ms = 6000 WHERE id = 1");
	ck_assert_int_eq(traces(ob, a), 1);
	ck_assert_int_eq(hg_outbox_scrub(ob, 6000, 7000, 10, 0, NULL, NULL,
	    &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(hg_outbox_scrub(ob, 6001, 7000, 10, 0, NULL, NULL,
	    &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(traces(ob, a), 0);
	last_run_is(ob, 7000, 1);
	/* a later run that found nothing is the last one */
	ck_assert_int_eq(hg_outbox_scrub(ob, 6001, 8000, 10, 0, NULL, NULL,
	    &n, &err), 0);
	last_run_is(ob, 8000, 0);
	finish(ob);
}
END_TEST

static int
dump_infno(const struct hg_stats_infno *v, void *arg)
{
	char line[256];
	int i, n;

	n = snprintf(line, sizeof line, "%s %lld %lld %lld %lld %lld %lld",
	    v->infno, v->calls, v->retries, v->lost, v->failed, v->answered,
	    (long long)v->sum_ms);
	for (i = 0; i < HG_STATS_NBUCKETS; i++)
		n += snprintf(line + n, sizeof line - n, " %lld", v->le[i]);
	hg_buf_adds(arg, line);
	hg_buf_adds(arg, "\n");
	return 0;
}

static int
dump_state(const char *state, long long n, void *arg)
{
	char line[64];

	snprintf(line, sizeof line, "%s %lld\n", state, n);
	hg_buf_adds(arg, line);
	return 0;
}

/* What /metrics counts: the journal by infno, the state changes. */
static char *
counters(struct hg_outbox *ob)
{
	struct hg_buf b = { NULL, 0, 0 };
	struct hg_err err;

	ck_assert_msg(hg_stats_steps(ob, dump_infno, &b, &err) == 0, "%s",
	    err.msg);
	ck_assert_msg(hg_stats_transitions(ob, dump_state, &b, &err) == 0,
	    "%s", err.msg);
	hg_buf_adds(&b, "");
	return b.data;
}

/* Purged bills' calls and state changes stay counted: the counters of
 * /metrics never go down. */
START_TEST(test_purge_carry)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_err err;
	long long a, c, n;
	char *before, *after, *want;

	a = personal_bill(ob, "a", HG_S_SETTLED);
	ck_assert_int_eq(a, 1);	/* the SQL below names it */
	personal_bill(ob, "b", HG_S_REJECTED);	/* stays */
	exec_ok(ob, "INSERT INTO steps (bill_id, infno, msgid, state, "
	    "sent_ms, answered_ms, lost) VALUES (1, '2304', 'a-3', 'unknown', "
	    "100, 3100, 1), (1, '2304', 'a-4', 'ok', 4000, 4040, 0), (1, "
	    "'2601', 'a-5', 'failed', 5000, 5200, 0); INSERT INTO history (bill_id, at_ms, "
	    "from_state, to_state) VALUES (1, 3, 'in_progress', 'in_doubt'), "
	    "(1, 4, 'in_doubt', 'in_progress'), (1, 5, 'in_progress', "
	    "'settled'), (1, 6, 'settled', 'settled')");
	before = counters(ob);
	ck_assert_msg(strstr(before, "2304 4 2 1 0 2 3040 1 1 1 1 1 1 2 2 2\n")
	    != NULL, "%s", before);
	ck_assert_msg(strstr(before, "in_doubt 1\n") != NULL, "%s", before);

	/* dry: nothing carried */
	ck_assert_int_eq(hg_outbox_purge(ob, 2000, 1, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM metric_carry"), 0);
	ck_assert_msg(hg_outbox_purge(ob, 2000, 0, &n, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM steps WHERE bill_id = "
	    "1"), 0);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM history WHERE "
	    "bill_id = 1"), 0);
	after = counters(ob);
	ck_assert_str_eq(after, before);
	free(after);

	/* a second purge adds to what the first carried */
	c = personal_bill(ob, "c", HG_S_CANCELLED);
	want = counters(ob);
	ck_assert_msg(hg_outbox_purge(ob, 2000, 0, &n, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 1);
	after = counters(ob);
	ck_assert_str_eq(after, want);
	ck_assert_int_ne(c, a);
	free(after);
	free(want);
	free(before);
	finish(ob);
}
END_TEST

/* A lost answer resolved later (reversed by 2601, found by 5203) stays
 * counted as lost, and the call keeps its first answer time: neither
 * the counter nor the latency histogram goes down. */
START_TEST(test_lost_stays)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_err err;
	char *before, *after;
	int n;

	personal_bill(ob, "a", HG_S_INDOUBT);
	exec_ok(ob, "INSERT INTO steps (bill_id, infno, msgid, state, "
	    "sent_ms) VALUES (1, '2304', 'a-3', 'sent', 1000)");
	ck_assert_msg(hg_steps_answer(ob, "a-3", HG_STEP_UNKNOWN, NULL,
	    "timed out", &err) == 0, "%s", err.msg);
	exec_ok(ob, "UPDATE steps SET answered_ms = 4000 WHERE msgid = "
	    "'a-3'");
	before = counters(ob);
	ck_assert_msg(strstr(before, "2304 2 1 1 0 1 3000 0 0 0 0 0 0 1 1 1\n")
	    != NULL, "%s", before);
	ck_assert_msg(hg_steps_answer(ob, "a-3", HG_STEP_FAILED, NULL,
	    "reversed by 2601 X: not in force", &err) == 0, "%s", err.msg);
	/* failed now, and still lost, its 3 s where they were */
	after = counters(ob);
	ck_assert_msg(strstr(after, "2304 2 1 1 1 1 3000 0 0 0 0 0 0 1 1 1\n")
	    != NULL, "%s", after);
	ck_assert_int_eq(q1(ob, "SELECT answered_ms FROM steps WHERE msgid = "
	    "'a-3'"), 4000);
	free(after);
	/* the worker that sent it stopped: lost too */
	exec_ok(ob, "INSERT INTO steps (bill_id, infno, msgid, state, "
	    "sent_ms) VALUES (1, '2304', 'a-4', 'sent', 5000)");
	ck_assert_int_eq(hg_steps_orphans(ob, 1, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_msg(hg_steps_answer(ob, "a-4", HG_STEP_OK, NULL,
	    "settled, as 5203 shows", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM steps WHERE lost"), 2);
	free(before);
	finish(ob);
}
END_TEST

/* A schema-7 outbox gets metric_carry on open, and steps.lost: the
 * calls whose answer is lost then count as lost. */
START_TEST(test_migrate_8)
{
	struct hg_outbox *ob = open_ok(0);
	char *v;

	personal_bill(ob, "a", HG_S_INDOUBT);
	exec_ok(ob, "UPDATE steps SET state = 'unknown' WHERE msgid = 'a-2';"
	    "ALTER TABLE steps DROP COLUMN lost; DROP TABLE metric_carry; "
	    "PRAGMA user_version = 7");
	ob = migrated(ob, 7);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM metric_carry"), 0);
	v = qs(ob, "SELECT group_concat(msgid) FROM steps WHERE lost");
	ck_assert_str_eq(v, "a-2");
	free(v);
	finish(ob);
}
END_TEST

/* An outbox of schema 2 (before retention) is migrated on open, its
 * bills kept. */
START_TEST(test_migrate_2)
{
	struct hg_outbox *ob = open_ok(0);
	struct hg_row row;
	struct hg_err err;
	long long id, n;

	id = personal_bill(ob, "a", HG_S_SETTLED);
	exec_ok(ob, "ALTER TABLE bills DROP COLUMN scrubbed_ms; "
	    "ALTER TABLE steps DROP COLUMN lost; "
	    "DROP TABLE metric_carry; DROP TABLE retention_run; "
	    "DROP TABLE audit_findings; DROP TABLE audit_runs; "
	    "DROP TABLE recon_rows; DROP TABLE recon_run; "
	    "PRAGMA user_version = 2");
	ob = migrated(ob, 2);
	ck_assert_int_eq(hg_outbox_get(ob, id, &row, &err), 0);
	ck_assert_int_eq(row.scrubbed_ms, 0);
	ck_assert_str_eq(row.bill_json, PBILL);
	hg_row_free(&row);
	ck_assert_int_eq(hg_outbox_scrub(ob, 2000, 5000, 10, 0, NULL, NULL,
	    &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(traces(ob, id), 0);
	finish(ob);
}
END_TEST

static int
count_finding(long long id, int64_t at_ms, const char *rule, const char *sev,
    int line, const char *text, void *arg)
{
	(void)id, (void)at_ms, (void)rule, (void)sev, (void)line, (void)text;
	++*(int *)arg;
	return 0;
}

static int
no_other(const char *json, void *arg)
{
	(void)json;
	++*(int *)arg;
	return 0;
}

/* Has content hash of bill id been audited, as the gate reads it: in
 * one read transaction that ends (a writer can begin after it). */
static int
seen(struct hg_outbox *ob, long long id, const char *hash, int *held)
{
	struct hg_audit_runs runs;
	struct hg_err err;
	int r, others = 0;

	ck_assert_msg(hg_audit_store_read(ob, id, "p1", &runs, no_other,
	    &others, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(others, 0);
	ck_assert(sqlite3_get_autocommit(hg_outbox_db(ob)));
	r = hg_audit_runs_seen(&runs, hash, held);
	hg_audit_runs_free(&runs);
	return r;
}

/* The audit's tables and indexes, as the migration makes them. */
#define AUDIT_OBJECTS	"SELECT count(*) FROM sqlite_master WHERE name IN " \
	"('audit_runs', 'audit_runs_bill', 'audit_findings', " \
	"'audit_findings_at', 'audit_findings_bill')"

/* An outbox of schema 4, before the audit's tables were a migration of
 * their own: one whose agent never audited has none.  A reader waits for
 * the daemon; a writer migrates it on open, in the one transaction, and
 * the audit records, finds, lists and releases on it.  One whose old
 * audit store had made the tables itself keeps their rows. */
START_TEST(test_migrate_5)
{
	const struct hg_audit_rec rec = { "duplicate_charge", "block", 2,
	    "lines 2 and 5: charged 2 times" };
	struct hg_outbox *ob = open_ok(0);
	struct hg_err err;
	char *st;
	long long id;
	int held, n;

	ck_assert_int_eq(q1(ob, AUDIT_OBJECTS), 5);
	put_ok(ob, "k1", "h1", HG_S_READY, "p1", &id);
	exec_ok(ob, "ALTER TABLE steps DROP COLUMN lost; "
	    "DROP TABLE metric_carry; DROP TABLE retention_run; "
	    "DROP TABLE audit_findings; DROP TABLE audit_runs; "
	    "PRAGMA user_version = 4");
	ob = migrated(ob, 4);
	ck_assert_int_eq(q1(ob, AUDIT_OBJECTS), 5);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bills"), 1);
	ck_assert_int_eq(seen(ob, id, "h1", &held), 0);
	ck_assert_msg(hg_audit_store_record(ob, id, "h1", HG_S_READY, &rec, 1,
	    "held by the audit: 1 finding", &err) == 0, "%s", err.msg);
	ck_assert_int_eq(seen(ob, id, "h1", &held), 1);
	ck_assert_int_eq(held, 1);
	st = qs(ob, "SELECT state FROM bills");
	ck_assert_str_eq(st, HG_S_HELD);
	free(st);
	n = 0;
	ck_assert_int_eq(hg_audit_store_list(ob, 0, count_finding, &n, &err),
	    0);
	ck_assert_int_eq(n, 1);
	ck_assert_msg(hg_audit_store_release(ob, id, "order 4711", &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(seen(ob, id, "h1", &held), 1);
	ck_assert_int_eq(held, 0);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM audit_runs WHERE "
	    "released_why LIKE '%order 4711'"), 1);

	/* schema 4 with the tables the old audit store made: kept */
	exec_ok(ob, "ALTER TABLE steps DROP COLUMN lost; "
	    "DROP TABLE metric_carry; DROP TABLE retention_run; "
	    "PRAGMA user_version = 4");
	ob = migrated(ob, 4);
	ck_assert_int_eq(q1(ob, AUDIT_OBJECTS), 5);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM audit_findings"), 1);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM audit_runs"), 1);
	n = 0;
	ck_assert_int_eq(hg_audit_store_list(ob, 0, count_finding, &n, &err),
	    0);
	ck_assert_int_eq(n, 1);
	finish(ob);
}
END_TEST

/* An outbox of schema 6 has no index of findings by bill: the
 * migration adds it, and the pages' question (one bill's findings,
 * oldest first) uses it. */
START_TEST(test_migrate_7)
{
	const struct hg_audit_rec rec[2] = {
		{ "duplicate_charge", "block", 2, "charged 2 times" },
		{ "phantom_stay", "warn", 1, "no care from 03-03" },
	};
	struct hg_outbox *ob = open_ok(0);
	struct hg_err err;
	long long id, other;
	char *plan;
	int n;

	put_ok(ob, "k1", "h1", HG_S_READY, "p1", &id);
	put_ok(ob, "k2", "h2", HG_S_READY, "p2", &other);
	ck_assert_msg(hg_audit_store_record(ob, other, "h2", HG_S_READY,
	    &rec[1], 1, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(hg_audit_store_record(ob, id, "h1", HG_S_READY, rec, 2,
	    NULL, &err) == 0, "%s", err.msg);
	exec_ok(ob, "ALTER TABLE steps DROP COLUMN lost; "
	    "DROP TABLE metric_carry; DROP INDEX audit_findings_bill; "
	    "PRAGMA user_version = 6");
	ob = migrated(ob, 6);
	ck_assert_int_eq(q1(ob, AUDIT_OBJECTS), 5);
	plan = qs(ob, "SELECT sql FROM sqlite_master WHERE name = "
	    "'audit_findings_bill'");
	ck_assert_str_eq(plan, "CREATE INDEX audit_findings_bill ON "
	    "audit_findings (bill_id, id)");
	free(plan);
	n = 0;
	ck_assert_int_eq(hg_audit_store_bill(ob, id, count_finding, &n, &err),
	    0);
	ck_assert_int_eq(n, 2);
	n = 0;
	ck_assert_int_eq(hg_audit_store_bill(ob, other, count_finding, &n,
	    &err), 0);
	ck_assert_int_eq(n, 1);

	/* a replaced bill: its findings were about the old content */
	put_ok(ob, "k1", "h1b", HG_S_READY, "p1", &id);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM bill_versions"), 1);
	n = 0;
	ck_assert_int_eq(hg_audit_store_bill(ob, id, count_finding, &n, &err),
	    0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(q1(ob, "SELECT count(*) FROM audit_findings WHERE "
	    "rule = 'duplicate_charge'"), 1);
	/* a version of the same content (a retry after a cancellation)
	 * keeps them */
	exec_ok(ob, "INSERT INTO bill_versions (bill_id, version, hash, "
	    "state, bill_json, total, replaced_ms) SELECT id, 1, hash, "
	    "'cancelled', '{}', 0, 9999999999999 FROM bills WHERE hash = "
	    "'h2'");
	n = 0;
	ck_assert_int_eq(hg_audit_store_bill(ob, other, count_finding, &n,
	    &err), 0);
	ck_assert_int_eq(n, 1);
	finish(ob);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc;

	tc = hg_tcase(s, "open", 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_reopen);
	tcase_add_loop_test(tc, test_newer_schema, 0,
	    sizeof open_flags / sizeof open_flags[0]);
	tcase_add_test(tc, test_not_outbox);
	tcase_add_test(tc, test_readonly_open);
	tcase_add_test(tc, test_missing_dir);

	tc = hg_tcase(s, "put", 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_new);
	tcase_add_loop_test(tc, test_put_changed, 0,
	    sizeof changed / sizeof changed[0]);
	tcase_add_test(tc, test_put_pending);
	tcase_add_test(tc, test_cursor_tx);
	tcase_add_test(tc, test_tx_rules);

	tc = hg_tcase(s, "group", 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_group_tickets);
	tcase_add_test(tc, test_group_threads);
	tcase_add_test(tc, test_group_broken);
	tcase_add_test(tc, test_group_wal);

	tc = hg_tcase(s, "claim", 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_claim_order);
	tcase_add_test(tc, test_claim_lease);
	tcase_add_test(tc, test_claim_retry);
	tcase_add_test(tc, test_claim_due);
	tcase_add_test(tc, test_next_due);
	tcase_add_test(tc, test_claim_race);

	tc = hg_tcase(s, "state", 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set_state);
	tcase_add_test(tc, test_update_bill);
	tcase_add_test(tc, test_read);
	tcase_add_test(tc, test_unmapped);
	tcase_add_test(tc, test_recon);
	tcase_add_test(tc, test_migrate_4);
	tcase_add_test(tc, test_migrate_5);
	tcase_add_test(tc, test_migrate_7);

	tc = hg_tcase(s, "failure", 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crash);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_readonly_writes);

	tc = hg_tcase(s, "retention", 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_scrub);
	tcase_add_test(tc, test_migrate_2);
	tcase_add_test(tc, test_purge_carry);
	tcase_add_test(tc, test_lost_stays);
	tcase_add_test(tc, test_migrate_8);
	return s;
}
