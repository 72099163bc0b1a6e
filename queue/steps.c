/* The settlement journal and the settler's bill updates (see steps.h).
 * Plain SQL on the outbox's connection (hg_outbox_db); state changes go
 * through hg_outbox_set_state so that every one has its history row. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/bill.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/group.h"
#include "queue/steps.h"

#define WORKED	"('in_progress', 'in_doubt')"

static int
sql_fail(sqlite3 *db, int rc, struct hg_err *err)
{
	hg_outbox_note_rc(rc);
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
		return hg_failt(err, "outbox steps: %s", sqlite3_errmsg(db));
	default:
		return hg_fail(err, "outbox steps: %s", sqlite3_errmsg(db));
	}
}

/* Statements stay prepared on their connection between calls (finish()
 * resets them): preparing every statement again on every step was an
 * eighth of a settlement worker's time.  None of them is used nested
 * with itself, so the first idle one with the same text is free. */
static sqlite3_stmt *
prep(sqlite3 *db, const char *sql, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	while ((s = sqlite3_next_stmt(db, s)) != NULL)
		if (!sqlite3_stmt_busy(s) && strcmp(sqlite3_sql(s), sql) == 0)
			return s;
	if ((rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s, NULL)) != SQLITE_OK) {
		sql_fail(db, rc, err);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Hand a statement back: reset, unbound, kept for the next call (the
 * outbox finalizes it when the connection closes). */
static void
finish(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* PRAGMA synchronous of a connection (0 off, 1 normal, 2 full) and back:
 * a "sent" record is always fsync'd, whatever the connection's default
 * (the settlement workers run at normal: see agent/settle.c). */
static int
sync_get(sqlite3 *db)
{
	sqlite3_stmt *s = prep(db, "PRAGMA synchronous", NULL);
	int v = 2;

	if (s == NULL)
		return v;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	finish(s);
	return v;
}

static void
sync_set(sqlite3 *db, int v)
{
	char sql[40];

	snprintf(sql, sizeof sql, "PRAGMA synchronous = %d", v);
	(void)sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v != NULL ? hg_xstrdup((const char *)v) : NULL;
}

/* Run a prepared statement to its end and finalize it.  *changes (when
 * not NULL) gets the rows it changed. */
static int
done(sqlite3 *db, sqlite3_stmt *s, int *changes, struct hg_err *err)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sql_fail(db, rc, err);
		finish(s);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(db);
	finish(s);
	return 0;
}

/* Join the caller's transaction or open our own. */
static int
tx_enter(struct hg_outbox *ob, int *own, struct hg_err *err)
{
	*own = 0;
	if (!sqlite3_get_autocommit(hg_outbox_db(ob)))
		return 0;
	if (hg_outbox_begin(ob, err) == -1)
		return -1;
	*own = 1;
	return 0;
}

static int
tx_leave(struct hg_outbox *ob, int own, int rc, struct hg_err *err)
{
	if (!own)
		return rc;
	if (rc == 0)
		return hg_outbox_commit(ob, err);
	hg_outbox_rollback(ob);
	return -1;
}

/* Extend the lease (and set step when not NULL) if owner still holds it. */
static int
fence(struct hg_outbox *ob, long long id, const char *owner,
    int64_t until, const char *step, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int n = 0;

	s = prep(db, "UPDATE bills SET lease_until_ms = CASE WHEN ?1 > 0"
	    " THEN ?1 ELSE lease_until_ms END, step = coalesce(?2, step),"
	    " updated_ms = ?3 WHERE id = ?4 AND lease_owner = ?5"
	    " AND state IN " WORKED, err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, until);
	bind_text(s, 2, step);
	sqlite3_bind_int64(s, 3, hg_wall_ms());
	sqlite3_bind_int64(s, 4, id);
	bind_text(s, 5, owner);
	if (done(db, s, &n, err) == -1)
		return -1;
	if (n == 0)
		return hg_fail(err, "bill %lld: lease lost (another worker "
		    "took it over, or it was finished elsewhere)", id);
	return 0;
}

/* fence() for a journalled call: check that owner still holds the lease,
 * and extend it only when less than keep_ms of it is left.  A bill's row
 * carries its whole document, and SQLite rewrites a row whole: doing that
 * on every call cost the workers about 6 % of their CPU.  (The step in
 * progress is read from the journal: see ROW_COLS in outbox.c.) */
static int
held(struct hg_outbox *ob, long long id, const char *owner, int64_t until,
    int64_t keep_ms, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int64_t have, now = hg_wall_ms();
	int rc;

	s = prep(db, "SELECT lease_until_ms FROM bills WHERE id = ?1 AND"
	    " lease_owner = ?2 AND state IN " WORKED, err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, owner);
	rc = sqlite3_step(s);
	have = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	finish(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(db, rc, err);
	if (rc == SQLITE_DONE)
		return hg_fail(err, "bill %lld: lease lost (another worker "
		    "took it over, or it was finished elsewhere)", id);
	if (have - now >= keep_ms)
		return 0;
	return fence(ob, id, owner, until, NULL, err);
}

int
hg_steps_sent(struct hg_outbox *ob, long long bill_id, const char *owner,
    int64_t lease_until_ms, int64_t keep_ms, const char *need_state,
    const char *infno, const char *msgid, const char *request,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	uint64_t *ticket;
	struct hg_group *group = hg_outbox_group(ob, &ticket);
	sqlite3_stmt *s;
	int own, n = 0, rc = -1, was = -1;

	/* The one write that must be on disk before anything leaves: it is
	 * what makes a lost answer resolvable instead of a doubt about
	 * whether anything was sent at all.  Its fsync also covers every
	 * normal-synchronous write before it.  With a group commit the
	 * caller gets it from hg_steps_durable, after letting go of the
	 * write lock; without, this commit is synchronous=full. */
	if (group == NULL && sqlite3_get_autocommit(db) &&
	    (was = sync_get(db)) != 2)
		sync_set(db, 2);
	if (tx_enter(ob, &own, err) == -1) {
		if (was >= 0 && was != 2)
			sync_set(db, was);
		return -1;
	}
	/* the ticket must be taken after the commit that it stands for */
	if (group != NULL && !own) {
		hg_fail(err, "bill %lld: a call journalled inside a "
		    "transaction with a group commit", bill_id);
		goto out;
	}
	if (owner != NULL) {
		if (held(ob, bill_id, owner, lease_until_ms, keep_ms, err) == -1)
			goto out;
	} else {
		s = prep(db, "UPDATE bills SET step = ?1, updated_ms = ?2"
		    " WHERE id = ?3 AND state = ?4", err);
		if (s == NULL)
			goto out;
		bind_text(s, 1, infno);
		sqlite3_bind_int64(s, 2, hg_wall_ms());
		sqlite3_bind_int64(s, 3, bill_id);
		bind_text(s, 4, need_state);
		if (done(db, s, &n, err) == -1)
			goto out;
		if (n == 0) {
			hg_fail(err, "bill %lld is no longer %s", bill_id,
			    need_state);
			goto out;
		}
	}
	s = prep(db, "INSERT INTO steps (bill_id, infno, msgid, state,"
	    " request, sent_ms) VALUES (?1, ?2, ?3, 'sent', ?4, ?5)", err);
	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, bill_id);
	bind_text(s, 2, infno);
	bind_text(s, 3, msgid);
	bind_text(s, 4, request);
	sqlite3_bind_int64(s, 5, hg_wall_ms());
	if (done(db, s, NULL, err) == -1)
		goto out;
	rc = 0;
out:
	rc = tx_leave(ob, own, rc, err);
	if (was >= 0 && was != 2)
		sync_set(db, was);
	if (rc == 0 && group != NULL)
		*ticket = hg_group_note(group);
	return rc;
}

int
hg_steps_durable(struct hg_outbox *ob, struct hg_err *err)
{
	uint64_t *ticket;
	struct hg_group *group = hg_outbox_group(ob, &ticket);

	if (group == NULL)
		return 0;
	return hg_group_wait(group, *ticket, hg_outbox_db(ob), err);
}

int
hg_steps_answer(struct hg_outbox *ob, const char *msgid, const char *state,
    const char *response, const char *err_msg, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int n = 0, rc, was = -1;

	s = prep(db, "UPDATE steps SET state = ?1, response = coalesce(?2,"
	    " response), err_msg = ?3, answered_ms = ?4 WHERE msgid = ?5",
	    err);
	if (s == NULL)
		return -1;
	bind_text(s, 1, state);
	bind_text(s, 2, response);
	bind_text(s, 3, err_msg);
	sqlite3_bind_int64(s, 4, hg_wall_ms());
	bind_text(s, 5, msgid);
	/* An answer needs no fsync of its own: the next step's "sent"
	 * record (synchronous=FULL) makes it durable with it, and one lost
	 * to a power cut before that is a step sent without an answer,
	 * which is resolved with the platform like any lost answer.  This
	 * halves the fsyncs per call.  Only in autocommit: inside the
	 * caller's transaction the caller's commit decides. */
	if (sqlite3_get_autocommit(db) && (was = sync_get(db)) > 1)
		sync_set(db, 1);
	rc = done(db, s, &n, err);
	if (was > 1)
		sync_set(db, was);
	if (rc == -1)
		return -1;
	if (n == 0)
		return hg_fail(err, "no step with msgid %s", msgid);
	return 0;
}

int
hg_steps_list(struct hg_outbox *ob, long long bill_id, struct hg_step **v,
    size_t *n, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	struct hg_step *st;
	int rc;

	*v = NULL;
	*n = 0;
	s = prep(db, "SELECT id, bill_id, infno, msgid, state, request,"
	    " response, err_msg, sent_ms, answered_ms FROM steps"
	    " WHERE bill_id = ?1 ORDER BY id", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, bill_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = hg_xrealloc(*v, *n + 1, sizeof **v);
		st = &(*v)[(*n)++];
		st->id = sqlite3_column_int64(s, 0);
		st->bill_id = sqlite3_column_int64(s, 1);
		st->infno = col_dup(s, 2);
		st->msgid = col_dup(s, 3);
		st->state = col_dup(s, 4);
		st->request = col_dup(s, 5);
		st->response = col_dup(s, 6);
		st->err_msg = col_dup(s, 7);
		st->sent_ms = sqlite3_column_int64(s, 8);
		st->answered_ms = sqlite3_column_int64(s, 9);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(db, rc, err);
		finish(s);
		hg_steps_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	finish(s);
	return 0;
}

int
hg_steps_each(struct hg_outbox *ob, const char *infno, const char *state,
    int (*cb)(const struct hg_step *st, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	struct hg_step st;
	int rc;

	s = prep(db, "SELECT id, bill_id, infno, msgid, state, request,"
	    " response, err_msg, sent_ms, answered_ms FROM steps"
	    " WHERE infno = ?1 AND state = ?2 ORDER BY id", err);
	if (s == NULL)
		return -1;
	bind_text(s, 1, infno);
	bind_text(s, 2, state);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* borrowed for the callback only */
		st.id = sqlite3_column_int64(s, 0);
		st.bill_id = sqlite3_column_int64(s, 1);
		st.infno = (char *)sqlite3_column_text(s, 2);
		st.msgid = (char *)sqlite3_column_text(s, 3);
		st.state = (char *)sqlite3_column_text(s, 4);
		st.request = (char *)sqlite3_column_text(s, 5);
		st.response = (char *)sqlite3_column_text(s, 6);
		st.err_msg = (char *)sqlite3_column_text(s, 7);
		st.sent_ms = sqlite3_column_int64(s, 8);
		st.answered_ms = sqlite3_column_int64(s, 9);
		if (cb(&st, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		sql_fail(db, rc, err);
		finish(s);
		return -1;
	}
	finish(s);
	return 0;
}

void
hg_steps_free(struct hg_step *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].infno);
		free(v[i].msgid);
		free(v[i].state);
		free(v[i].request);
		free(v[i].response);
		free(v[i].err_msg);
	}
	free(v);
}

int
hg_steps_orphans(struct hg_outbox *ob, long long bill_id, int *n,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;

	*n = 0;
	s = prep(db, "UPDATE steps SET state = 'unknown', err_msg ="
	    " 'no answer recorded: the worker that sent it stopped',"
	    " answered_ms = ?2 WHERE bill_id = ?1 AND state = 'sent'", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, bill_id);
	sqlite3_bind_int64(s, 2, hg_wall_ms());
	return done(db, s, n, err);
}

int
hg_steps_renew(struct hg_outbox *ob, long long id, const char *owner,
    int64_t lease_until_ms, struct hg_err *err)
{
	return fence(ob, id, owner, lease_until_ms, NULL, err);
}

/* UPDATE bills SET <set> WHERE id = ?1 [AND lease is owner's], with up to
 * three text parameters ?2 ?3 ?4. */
static int
update_fenced(struct hg_outbox *ob, long long id, const char *owner,
    const char *set, const char *a, const char *b, const char *c,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	char *sql;
	int n = 0;

	sql = hg_xasprintf("UPDATE bills SET %s WHERE id = ?1%s", set,
	    owner != NULL ? " AND lease_owner = ?5 AND state IN " WORKED :
	    "");
	s = prep(db, sql, err);
	free(sql);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, a);
	bind_text(s, 3, b);
	bind_text(s, 4, c);
	if (owner != NULL)
		bind_text(s, 5, owner);
	if (done(db, s, &n, err) == -1)
		return -1;
	if (n == 0)
		return hg_fail(err, "bill %lld: %s", id, owner != NULL ?
		    "lease lost (another worker took it over)" :
		    "no such bill");
	return 0;
}

int
hg_steps_set_person(struct hg_outbox *ob, long long id, const char *owner,
    const char *psn_no, const char *insuplc_admdvs, struct hg_err *err)
{
	return update_fenced(ob, id, owner, "psn_no = ?2,"
	    " insuplc_admdvs = ?3", psn_no, insuplc_admdvs, NULL, err);
}

int
hg_steps_set_mdtrt(struct hg_outbox *ob, long long id, const char *owner,
    const char *mdtrt_id, struct hg_err *err)
{
	return update_fenced(ob, id, owner, "mdtrt_id = ?2", mdtrt_id, NULL,
	    NULL, err);
}

/* The state of bill id and whether it has a pending amendment. */
static int
state_of(struct hg_outbox *ob, long long id, char *buf, size_t len,
    int *pending, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int rc;

	s = prep(db, "SELECT state, pending_json IS NOT NULL FROM bills"
	    " WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s,
		    0));
		if (pending != NULL)
			*pending = sqlite3_column_int(s, 1);
		finish(s);
		return 0;
	}
	if (rc == SQLITE_DONE)
		hg_fail(err, "no bill %lld", id);
	else
		sql_fail(db, rc, err);
	finish(s);
	return -1;
}

int
hg_steps_settled(struct hg_outbox *ob, long long id, const char *owner,
    const char *setl_id, const char *mdtrt_id, const char *setl_json,
    const char *reason, struct hg_err *err)
{
	char cur[32];
	int own, pending = 0, rc = -1;

	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if (update_fenced(ob, id, owner, "setl_id = ?2, mdtrt_id ="
	    " coalesce(?3, mdtrt_id), setl_json = ?4, err_msg = NULL",
	    setl_id, mdtrt_id, setl_json, err) == -1 ||
	    state_of(ob, id, cur, sizeof cur, &pending, err) == -1 ||
	    hg_outbox_set_state(ob, id, cur, HG_S_SETTLED, reason, err) == -1)
		goto out;
	/* The source changed the bill while it was being settled: what was
	 * settled is the old content; a person decides (cancel + settle
	 * again, or keep). */
	if (pending && hg_outbox_set_state(ob, id, HG_S_SETTLED, HG_S_AMENDED,
	    "changed at the source while being settled; the amendment waits "
	    "for a person (queue cancel, then queue retry)", err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

int
hg_steps_rejected(struct hg_outbox *ob, long long id, const char *owner,
    const char *err_msg, struct hg_err *err)
{
	char cur[32];
	int own, rc = -1;

	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if (update_fenced(ob, id, owner, "err_msg = ?2", err_msg, NULL, NULL,
	    err) == -1 ||
	    state_of(ob, id, cur, sizeof cur, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, cur, HG_S_REJECTED, err_msg,
	    err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

static int
move_fenced(struct hg_outbox *ob, long long id, const char *owner,
    const char *from, const char *to, const char *reason, struct hg_err *err)
{
	int own, rc = -1;

	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if (fence(ob, id, owner, 0, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, from, to, reason, err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

int
hg_steps_doubt(struct hg_outbox *ob, long long id, const char *owner,
    const char *reason, struct hg_err *err)
{
	return move_fenced(ob, id, owner, HG_S_PROGRESS, HG_S_INDOUBT, reason,
	    err);
}

int
hg_steps_undoubt(struct hg_outbox *ob, long long id, const char *owner,
    const char *reason, struct hg_err *err)
{
	return move_fenced(ob, id, owner, HG_S_INDOUBT, HG_S_PROGRESS, reason,
	    err);
}

/* Keep the current content and settlement in bill_versions. */
static int
keep_version(struct hg_outbox *ob, long long id, const char *why,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;

	s = prep(db, "INSERT INTO bill_versions (bill_id, version, hash,"
	    " state, reasons, bill_json, patient_key, ipt_no, total, setl_id,"
	    " setl_json, err_msg, replaced_ms, why)"
	    " SELECT id, version, hash, state, reasons, bill_json,"
	    " patient_key, ipt_no, total, setl_id, setl_json, err_msg, ?2, ?3"
	    " FROM bills WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, hg_wall_ms());
	bind_text(s, 3, why);
	return done(db, s, NULL, err);
}

/* Take the pending amendment as the bill's content. */
static int
apply_amendment(struct hg_outbox *ob, long long id, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	struct hg_bill *b = NULL;
	char *json = NULL;
	int64_t total;
	int rc = -1;

	s = prep(db, "SELECT pending_json FROM bills WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		json = col_dup(s, 0);
	finish(s);
	if (json == NULL)
		return hg_fail(err, "bill %lld: no amendment", id);
	if (hg_bill_from_json(json, &b, err) == -1) {
		hg_err_prefix(err, "bill %lld: amendment", id);
		goto out;
	}
	total = b->has_total ? b->total : hg_bill_sum(b);
	s = prep(db, "UPDATE bills SET bill_json = pending_json,"
	    " hash = pending_hash, pending_json = NULL, pending_hash = NULL,"
	    " version = version + 1, total = ?2, ipt_no = ?3,"
	    " patient_key = coalesce(?4, patient_key) WHERE id = ?1", err);
	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, total);
	bind_text(s, 3, b->ipt_no);
	bind_text(s, 4, b->certno);
	rc = done(db, s, NULL, err);
out:
	hg_bill_free(b);
	free(json);
	return rc;
}

int
hg_steps_requeue(struct hg_outbox *ob, long long id, const char *why,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	char cur[32];
	int own, pending = 0, rc = -1;

	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if (state_of(ob, id, cur, sizeof cur, &pending, err) == -1)
		goto out;
	if (strcmp(cur, HG_S_INDOUBT) == 0) {
		hg_fail(err, "bill %lld is in_doubt: its settlement outcome is "
		    "being resolved with the platform (5203); it is never "
		    "re-sent blindly", id);
		goto out;
	}
	if (strcmp(cur, HG_S_SETTLED) == 0 || strcmp(cur, HG_S_AMENDED) == 0) {
		hg_fail(err, "bill %lld is %s: cancel the settlement first "
		    "(hisgate queue cancel %lld)", id, cur, id);
		goto out;
	}
	if (strcmp(cur, HG_S_INVALID) == 0) {
		hg_fail(err, "bill %lld is invalid: fix the mapping and run "
		    "hisgate replay %lld", id, id);
		goto out;
	}
	if (strcmp(cur, HG_S_REJECTED) != 0 &&
	    strcmp(cur, HG_S_CANCELLED) != 0) {
		hg_fail(err, "bill %lld is %s: already queued", id, cur);
		goto out;
	}
	if (strcmp(cur, HG_S_CANCELLED) == 0 || pending) {
		if (keep_version(ob, id, pending ? "replaced by its amendment "
		    "on retry" : "settled again after a cancellation",
		    err) == -1)
			goto out;
	}
	if (pending && apply_amendment(ob, id, err) == -1)
		goto out;
	s = prep(db, "UPDATE bills SET step = NULL, attempts = 0,"
	    " next_attempt_ms = 0, err_msg = NULL, setl_id = NULL,"
	    " setl_json = NULL, lease_owner = NULL, lease_until_ms = 0"
	    " WHERE id = ?1", err);
	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (done(db, s, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, cur, HG_S_READY, why, err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

int
hg_steps_cancelled(struct hg_outbox *ob, long long id, const char *reason,
    struct hg_err *err)
{
	char cur[32];
	int own, rc = -1;

	if (tx_enter(ob, &own, err) == -1)
		return -1;
	if (state_of(ob, id, cur, sizeof cur, NULL, err) == -1)
		goto out;
	if (strcmp(cur, HG_S_SETTLED) != 0 && strcmp(cur, HG_S_AMENDED) != 0) {
		hg_fail(err, "bill %lld is %s, not settled", id, cur);
		goto out;
	}
	if (hg_outbox_set_state(ob, id, cur, HG_S_CANCELLED, reason, err) == -1)
		goto out;
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

/* "HOST:PID:NONCE:..." -> pid and nonce (pointer into owner). */
static int
owner_parse(const char *owner, size_t hostlen, long *pid, const char **nonce,
    size_t *noncelen)
{
	const char *p = owner + hostlen + 1, *e;
	char *end;

	*pid = strtol(p, &end, 10);
	if (end == p || *end != ':' || *pid <= 0)
		return -1;
	*nonce = end + 1;
	e = strchr(*nonce, ':');
	*noncelen = e != NULL ? (size_t)(e - *nonce) : strlen(*nonce);
	return 0;
}

int
hg_steps_reap(struct hg_outbox *ob, const char *host, const char *nonce,
    int *n, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s, *u;
	const char *owner, *on;
	size_t hostlen = strlen(host), onlen;
	long pid;
	int own, c, rc = -1, r;

	*n = 0;
	if (tx_enter(ob, &own, err) == -1)
		return -1;
	s = prep(db, "SELECT id, lease_owner FROM bills WHERE state IN "
	    WORKED " AND lease_until_ms > 0 AND lease_owner IS NOT NULL",
	    err);
	if (s == NULL)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		owner = (const char *)sqlite3_column_text(s, 1);
		if (strncmp(owner, host, hostlen) != 0 ||
		    owner[hostlen] != ':' ||
		    owner_parse(owner, hostlen, &pid, &on, &onlen) == -1)
			continue;
		if ((pid_t)pid == getpid()) {
			if (onlen == strlen(nonce) &&
			    strncmp(on, nonce, onlen) == 0)
				continue;	/* ours, alive */
		} else if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
			continue;
		}
		u = prep(db, "UPDATE bills SET lease_until_ms = 0 WHERE id ="
		    " ?1 AND lease_owner = ?2", err);
		if (u == NULL)
			break;
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(s, 0));
		bind_text(u, 2, owner);
		if (done(db, u, &c, err) == -1) {
			r = -1;
			break;
		}
		*n += c;
	}
	finish(s);
	if (r != SQLITE_DONE) {
		if (r != -1 && r != SQLITE_ROW)
			hg_fail(err, "outbox steps: %s", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	return tx_leave(ob, own, rc, err);
}

void
hg_steps_worker_mode(struct hg_outbox *ob, struct hg_group *group)
{
	sync_set(hg_outbox_db(ob), 1);
	hg_outbox_set_group(ob, group);
}
