/* The audit's records in the outbox (see audit_store.h). */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/audit_store.h"
#include "queue/outbox_int.h"
#include "queue/steps_int.h"

/* SQLite's failure as ours: what passes (busy, full, I/O) is HG_ETEMP. */
static int
db_fail(struct hg_outbox *ob, int rc, const char *what, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	int prim = rc & 0xff;

	hg_outbox_note_rc(sqlite3_extended_errcode(db));
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED || prim == SQLITE_FULL ||
	    prim == SQLITE_IOERR || prim == SQLITE_READONLY ||
	    prim == SQLITE_CANTOPEN)
		return hg_failt(err, "outbox: audit %s: %s", what,
		    sqlite3_errmsg(db));
	return hg_fail(err, "outbox: audit %s: %s", what, sqlite3_errmsg(db));
}

/* The gate runs these for every bill: kept prepared on the connection
 * (sj_prep), handed back with sj_finish. */
static int
prepare(struct hg_outbox *ob, const char *sql, sqlite3_stmt **s,
    struct hg_err *err)
{
	*s = sj_prep(hg_outbox_db(ob), sql, err);
	return *s != NULL ? 0 : -1;
}

static int
done(struct hg_outbox *ob, sqlite3_stmt *s, struct hg_err *err)
{
	int rc = sqlite3_step(s);

	sj_finish(s);
	return rc == SQLITE_DONE ? 0 : db_fail(ob, rc, "write", err);
}

static void
text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static int
history(struct hg_outbox *ob, long long id, int64_t now, const char *from,
    const char *to, const char *why, struct hg_err *err)
{
	sqlite3_stmt *s;

	if (prepare(ob, "INSERT INTO history (bill_id, at_ms, from_state, "
	    "to_state, reason) VALUES (?1, ?2, ?3, ?4, ?5)", &s, err) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	text(s, 3, from);
	text(s, 4, to);
	text(s, 5, why);
	return done(ob, s, err);
}

int
hg_audit_store_record(struct hg_outbox *ob, long long id, const char *hash,
    const char *state, const struct hg_audit_rec *r, size_t n,
    const char *hold_reason, struct hg_err *err)
{
	int64_t now = hg_wall_ms();
	sqlite3_stmt *s;
	char why[600];
	size_t i;

	if (hg_outbox_begin(ob, err) == -1)
		return -1;
	if (prepare(ob, "INSERT INTO audit_runs (bill_id, hash, at_ms, held) "
	    "VALUES (?1, ?2, ?3, ?4)", &s, err) == -1)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	text(s, 2, hash);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int(s, 4, hold_reason != NULL);
	if (done(ob, s, err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (prepare(ob, "INSERT INTO audit_findings (bill_id, at_ms, "
		    "rule, severity, line, text) VALUES (?1, ?2, ?3, ?4, ?5, "
		    "?6)", &s, err) == -1)
			goto fail;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		text(s, 3, r[i].rule);
		text(s, 4, r[i].sev);
		sqlite3_bind_int(s, 5, r[i].line);
		text(s, 6, r[i].text);
		snprintf(why, sizeof why, "audit %s %s: %s", r[i].sev,
		    r[i].rule, r[i].text);
		if (done(ob, s, err) == -1 ||
		    history(ob, id, now, state, state, why, err) == -1)
			goto fail;
	}
	if (hold_reason != NULL && hg_outbox_set_state(ob, id, state,
	    HG_S_HELD, hold_reason, err) == -1)
		goto fail;
	if (hg_outbox_commit(ob, err) == 0)
		return 0;
fail:
	hg_outbox_rollback(ob);
	return -1;
}

/* Who is releasing: the person behind sudo, else this user. */
static const char *
who(char *buf, size_t len)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s != NULL && *s != '\0')
		snprintf(buf, len, "%s", s);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %ld", (long)getuid());
	return buf;
}

int
hg_audit_store_release(struct hg_outbox *ob, long long id, const char *reason,
    struct hg_err *err)
{
	char why[600], user[64];
	sqlite3_stmt *s;

	if (reason == NULL || *reason == '\0')
		return hg_fail(err, "bill %lld: a release needs a reason "
		    "(--reason \"...\"): it is kept in the bill's history", id);
	snprintf(why, sizeof why, "released from the audit by %s: %s",
	    who(user, sizeof user), reason);
	if (hg_outbox_begin(ob, err) == -1)
		return -1;
	if (hg_outbox_set_state(ob, id, HG_S_HELD, HG_S_READY, why, err) == -1)
		goto fail;
	if (prepare(ob, "UPDATE audit_runs SET released_ms = ?2, "
	    "released_why = ?3 WHERE bill_id = ?1 AND released_ms IS NULL",
	    &s, err) == -1)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, hg_wall_ms());
	text(s, 3, why);
	if (done(ob, s, err) == -1)
		goto fail;
	return hg_outbox_commit(ob, err);
fail:
	hg_outbox_rollback(ob);
	return -1;
}

typedef int (*finding_cb)(long long, int64_t, const char *, const char *,
    int, const char *, void *);

/* The rows of sql (bill_id, at_ms, rule, severity, line, text; its one
 * parameter ?1 is v) to cb. */
static int
findings(struct hg_outbox *ob, const char *sql, int64_t v, finding_cb cb,
    void *arg, struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if (prepare(ob, sql, &s, err) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, v);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3),
		    sqlite3_column_int(s, 4),
		    (const char *)sqlite3_column_text(s, 5), arg) != 0) {
			r = SQLITE_DONE;
			break;
		}
	sj_finish(s);
	return r == SQLITE_DONE ? 0 : db_fail(ob, r, "read", err);
}

#define FINDINGS "SELECT bill_id, at_ms, rule, severity, line, text " \
	"FROM audit_findings "

int
hg_audit_store_list(struct hg_outbox *ob, int64_t since_ms, finding_cb cb,
    void *arg, struct hg_err *err)
{
	return findings(ob, FINDINGS "WHERE at_ms >= ?1 ORDER BY id", since_ms,
	    cb, arg, err);
}

int
hg_audit_store_bill(struct hg_outbox *ob, long long id, finding_cb cb,
    void *arg, struct hg_err *err)
{
	/* audit_findings_bill (schema 7): the pages ask this per bill.
	 * Not before the bill's content last changed: a version kept with
	 * another hash than the bill's now (a replacement, an amendment
	 * applied; not a retry after a cancellation, which keeps the
	 * content) ended the content those findings were about. */
	return findings(ob, FINDINGS "WHERE bill_id = ?1 AND at_ms >= "
	    "(SELECT coalesce(max(v.replaced_ms), 0) FROM bill_versions v "
	    "JOIN bills b ON b.id = v.bill_id WHERE v.bill_id = ?1 AND "
	    "v.hash <> b.hash) ORDER BY id", id, cb, arg, err);
}

int
hg_audit_runs_seen(const struct hg_audit_runs *runs, const char *hash,
    int *held)
{
	size_t i;

	*held = 0;
	for (i = runs->n; i-- > 0;)
		if (strcmp(runs->v[i].hash, hash) == 0) {
			*held = runs->v[i].held;
			return 1;
		}
	return 0;
}

void
hg_audit_runs_free(struct hg_audit_runs *runs)
{
	free(runs->v);
	runs->v = NULL;
	runs->n = 0;
}

/* One statement, not one per question: each statement outside a
 * transaction takes and drops the WAL read lock (two fcntl calls), and
 * that was a third of a clean bill's gate.  The earlier audits come
 * first, oldest first (audit_runs_bill holds (bill_id, rowid)); then the
 * other bills in the order they came.  No ORDER BY over the compound:
 * its temporary b-tree cost four times the rest. */
#define READ_SQL \
	"SELECT 0, hash, held AND released_ms IS NULL FROM audit_runs" \
	" WHERE bill_id = ?2" \
	" UNION ALL SELECT * FROM (SELECT 1, bill_json, 0 FROM bills" \
	" WHERE patient_key = ?1 AND id <> ?2" \
	" AND state NOT IN ('invalid', 'cancelled') ORDER BY id)"

int
hg_audit_store_read(struct hg_outbox *ob, long long id,
    const char *patient_key, struct hg_audit_runs *runs,
    int (*cb)(const char *, void *), void *arg, struct hg_err *err)
{
	struct hg_audit_run *run;
	sqlite3_stmt *s;
	const char *v;
	int r;

	runs->v = NULL;
	runs->n = 0;
	if (prepare(ob, READ_SQL, &s, err) == -1)
		return -1;
	/* no patient key: no other bills (NULL matches nothing) */
	text(s, 1, patient_key != NULL && *patient_key != '\0' ?
	    patient_key : NULL);
	sqlite3_bind_int64(s, 2, id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(s, 1);
		if (sqlite3_column_int(s, 0) == 1) {
			if (cb(v, arg) != 0) {
				r = SQLITE_DONE;
				break;
			}
			continue;
		}
		runs->v = hg_xrealloc(runs->v, runs->n + 1, sizeof *runs->v);
		run = &runs->v[runs->n++];
		snprintf(run->hash, sizeof run->hash, "%s", v ? v : "");
		run->held = sqlite3_column_int(s, 2);
	}
	sj_finish(s);
	if (r == SQLITE_DONE)
		return 0;
	hg_audit_runs_free(runs);
	return db_fail(ob, r, "read", err);
}
