/* The settlement journal and the settler's bill updates (see steps.h).
 * Plain SQL on the outbox's connection (hg_outbox_db); state changes go
 * through hg_outbox_set_state so that every one has its history row.
 * This file: the journal (sent, answered, listed) and the helpers the
 * steps*.c files share; steps_lease.c has the bill updates fenced by the
 * worker's lease. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "lib/bill.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/group.h"
#include "queue/steps.h"
#include "queue/steps_int.h"

int
sj_sql_fail(sqlite3 *db, int rc, struct hg_err *err)
{
	hg_outbox_note_rc(rc);
	if (hg_outbox_rc_passes(rc))
		return hg_failt(err, "outbox steps: %s", sqlite3_errmsg(db));
	return hg_fail(err, "outbox steps: %s", sqlite3_errmsg(db));
}

/* Statements stay prepared on their connection between calls (sj_finish()
 * resets them): preparing every statement again on every step was an
 * eighth of a settlement worker's time.  None of them is used nested
 * with itself, so the first idle one with the same text is free. */
sqlite3_stmt *
sj_prep(sqlite3 *db, const char *sql, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	while ((s = sqlite3_next_stmt(db, s)) != NULL)
		if (!sqlite3_stmt_busy(s) && strcmp(sqlite3_sql(s), sql) == 0)
			return s;
	if ((rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s, NULL)) != SQLITE_OK) {
		sj_sql_fail(db, rc, err);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Hand a statement back: reset, unbound, kept for the next call (the
 * outbox finalizes it when the connection closes). */
void
sj_finish(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* PRAGMA synchronous of a connection (0 off, 1 normal, 2 full) and back:
 * a "sent" record is always fsync'd, whatever the connection's default
 * (the settlement workers run at normal: hg_steps_worker_mode). */
static int
sync_get(sqlite3 *db)
{
	sqlite3_stmt *s = sj_prep(db, "PRAGMA synchronous", NULL);
	int v = 2;

	if (s == NULL)
		return v;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sj_finish(s);
	return v;
}

static void
sync_set(sqlite3 *db, int v)
{
	char sql[40];

	snprintf(sql, sizeof sql, "PRAGMA synchronous = %d", v);
	(void)sqlite3_exec(db, sql, NULL, NULL, NULL);
}

void
sj_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

char *
sj_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v != NULL ? hg_xstrdup((const char *)v) : NULL;
}

/* Run a prepared statement to its end and finalize it.  *changes (when
 * not NULL) gets the rows it changed. */
int
sj_done(sqlite3 *db, sqlite3_stmt *s, int *changes, struct hg_err *err)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sj_sql_fail(db, rc, err);
		sj_finish(s);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(db);
	sj_finish(s);
	return 0;
}

/* Join the caller's transaction or open our own. */
int
sj_tx_enter(struct hg_outbox *ob, int *own, struct hg_err *err)
{
	*own = 0;
	if (!sqlite3_get_autocommit(hg_outbox_db(ob)))
		return 0;
	if (hg_outbox_begin(ob, err) == -1)
		return -1;
	*own = 1;
	return 0;
}

int
sj_tx_leave(struct hg_outbox *ob, int own, int rc, struct hg_err *err)
{
	if (!own)
		return rc;
	if (rc == 0)
		return hg_outbox_commit(ob, err);
	hg_outbox_rollback(ob);
	return -1;
}

/* Extend the lease (and set step when not NULL) if owner still holds it. */
int
sj_fence(struct hg_outbox *ob, long long id, const char *owner,
    int64_t until, const char *step, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int n = 0;

	s = sj_prep(db, "UPDATE bills SET lease_until_ms = CASE WHEN ?1 > 0"
	    " THEN ?1 ELSE lease_until_ms END, step = coalesce(?2, step),"
	    " updated_ms = ?3 WHERE id = ?4 AND lease_owner = ?5"
	    " AND state IN " WORKED, err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, until);
	sj_bind_text(s, 2, step);
	sqlite3_bind_int64(s, 3, hg_wall_ms());
	sqlite3_bind_int64(s, 4, id);
	sj_bind_text(s, 5, owner);
	if (sj_done(db, s, &n, err) == -1)
		return -1;
	if (n == 0)
		return hg_fail(err, "bill %lld: lease lost (another worker "
		    "took it over, or it was finished elsewhere)", id);
	return 0;
}

/* sj_fence() for a journalled call: check that owner still holds the lease,
 * and extend it only when less than keep_ms of it is left.  A bill's row
 * carries its whole document, and SQLite rewrites a row whole: doing that
 * on every call cost the workers about 6 % of their CPU.  (The step in
 * progress is read from the journal: see ROW_COLS in outbox_int.h.) */
static int
held(struct hg_outbox *ob, long long id, const char *owner, int64_t until,
    int64_t keep_ms, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int64_t have, now = hg_wall_ms();
	int rc;

	s = sj_prep(db, "SELECT lease_until_ms FROM bills WHERE id = ?1 AND"
	    " lease_owner = ?2 AND state IN " WORKED, err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sj_bind_text(s, 2, owner);
	rc = sqlite3_step(s);
	have = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sj_finish(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sj_sql_fail(db, rc, err);
	if (rc == SQLITE_DONE)
		return hg_fail(err, "bill %lld: lease lost (another worker "
		    "took it over, or it was finished elsewhere)", id);
	if (have - now >= keep_ms)
		return 0;
	return sj_fence(ob, id, owner, until, NULL, err);
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
	if (sj_tx_enter(ob, &own, err) == -1) {
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
		s = sj_prep(db, "UPDATE bills SET step = ?1, updated_ms = ?2"
		    " WHERE id = ?3 AND state = ?4", err);
		if (s == NULL)
			goto out;
		sj_bind_text(s, 1, infno);
		sqlite3_bind_int64(s, 2, hg_wall_ms());
		sqlite3_bind_int64(s, 3, bill_id);
		sj_bind_text(s, 4, need_state);
		if (sj_done(db, s, &n, err) == -1)
			goto out;
		if (n == 0) {
			hg_fail(err, "bill %lld is no longer %s", bill_id,
			    need_state);
			goto out;
		}
	}
	s = sj_prep(db, "INSERT INTO steps (bill_id, infno, msgid, state,"
	    " request, sent_ms) VALUES (?1, ?2, ?3, 'sent', ?4, ?5)", err);
	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, bill_id);
	sj_bind_text(s, 2, infno);
	sj_bind_text(s, 3, msgid);
	sj_bind_text(s, 4, request);
	sqlite3_bind_int64(s, 5, hg_wall_ms());
	if (sj_done(db, s, NULL, err) == -1)
		goto out;
	rc = 0;
out:
	rc = sj_tx_leave(ob, own, rc, err);
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

	/* A step answered again (a lost answer resolved, a settlement
	 * undone by reconcile) keeps its first answer time, and stays lost
	 * once lost: the latency histogram and the lost-answer counter of
	 * /metrics count each call once, and never go down. */
	s = sj_prep(db, "UPDATE steps SET state = ?1, response = coalesce(?2,"
	    " response), err_msg = ?3, answered_ms = coalesce(answered_ms,"
	    " ?4), lost = (lost OR ?1 = 'unknown') WHERE msgid = ?5", err);
	if (s == NULL)
		return -1;
	sj_bind_text(s, 1, state);
	sj_bind_text(s, 2, response);
	sj_bind_text(s, 3, err_msg);
	sqlite3_bind_int64(s, 4, hg_wall_ms());
	sj_bind_text(s, 5, msgid);
	/* An answer needs no fsync of its own: the next step's "sent"
	 * record (synchronous=FULL) makes it durable with it, and one lost
	 * to a power cut before that is a step sent without an answer,
	 * which is resolved with the platform like any lost answer.  This
	 * halves the fsyncs per call.  Only in autocommit: inside the
	 * caller's transaction the caller's commit decides.  A worker's
	 * connection (a group commit: hg_steps_worker_mode) is at normal
	 * already; asking costs a prepare each time, for SQLite runs a
	 * PRAGMA statement only once. */
	if (hg_outbox_group(ob, NULL) == NULL &&
	    sqlite3_get_autocommit(db) && (was = sync_get(db)) > 1)
		sync_set(db, 1);
	rc = sj_done(db, s, &n, err);
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
	s = sj_prep(db, "SELECT id, bill_id, infno, msgid, state, request,"
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
		st->infno = sj_col_dup(s, 2);
		st->msgid = sj_col_dup(s, 3);
		st->state = sj_col_dup(s, 4);
		st->request = sj_col_dup(s, 5);
		st->response = sj_col_dup(s, 6);
		st->err_msg = sj_col_dup(s, 7);
		st->sent_ms = sqlite3_column_int64(s, 8);
		st->answered_ms = sqlite3_column_int64(s, 9);
	}
	if (rc != SQLITE_DONE) {
		sj_sql_fail(db, rc, err);
		sj_finish(s);
		hg_steps_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	sj_finish(s);
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

	s = sj_prep(db, "SELECT id, bill_id, infno, msgid, state, request,"
	    " response, err_msg, sent_ms, answered_ms FROM steps"
	    " WHERE infno = ?1 AND state = ?2 ORDER BY id", err);
	if (s == NULL)
		return -1;
	sj_bind_text(s, 1, infno);
	sj_bind_text(s, 2, state);
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
		sj_sql_fail(db, rc, err);
		sj_finish(s);
		return -1;
	}
	sj_finish(s);
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
	s = sj_prep(db, "UPDATE steps SET state = 'unknown', err_msg ="
	    " 'no answer recorded: the worker that sent it stopped',"
	    " answered_ms = ?2, lost = 1 WHERE bill_id = ?1 AND state ="
	    " 'sent'", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, bill_id);
	sqlite3_bind_int64(s, 2, hg_wall_ms());
	return sj_done(db, s, n, err);
}

int
hg_steps_renew(struct hg_outbox *ob, long long id, const char *owner,
    int64_t lease_until_ms, struct hg_err *err)
{
	return sj_fence(ob, id, owner, lease_until_ms, NULL, err);
}

void
hg_steps_worker_mode(struct hg_outbox *ob, struct hg_group *group)
{
	sync_set(hg_outbox_db(ob), 1);
	hg_outbox_set_group(ob, group);
}

struct json_object *
hg_step_json(const struct hg_step *st, const char *answer)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "infno", hg_json_str_new(st->infno));
	json_object_object_add(o, "msgid", hg_json_str_new(st->msgid));
	json_object_object_add(o, "state", hg_json_str_new(st->state));
	json_object_object_add(o, "sent_ms",
	    json_object_new_int64(st->sent_ms));
	json_object_object_add(o, "answered_ms",
	    json_object_new_int64(st->answered_ms));
	json_object_object_add(o, "answer", hg_json_str_new(answer));
	return o;
}
