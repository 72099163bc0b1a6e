/* Read-only aggregates (queue/stats.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/buf.h"
#include "queue/stats.h"

const int64_t hg_stats_bucket_ms[HG_STATS_NBUCKETS] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
};

static int
sql_fail(sqlite3 *db, const char *what, struct hg_err *err)
{
	return hg_failt(err, "outbox: %s: %s", what, sqlite3_errmsg(db));
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		sql_fail(db, "statistics", err);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Run s to the end; rows go to each().  0, or -1 with err. */
static int
drain(sqlite3 *db, sqlite3_stmt *s, int (*each)(sqlite3_stmt *, void *),
    void *arg, struct hg_err *err)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (each(s, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE) {
		sql_fail(db, "statistics", err);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

struct steps_ctx {
	int	(*cb)(const struct hg_stats_infno *, void *);
	void	*arg;
};

static int
steps_row(sqlite3_stmt *s, void *arg)
{
	struct steps_ctx *c = arg;
	struct hg_stats_infno v;
	int i;

	memset(&v, 0, sizeof v);
	v.infno = (const char *)sqlite3_column_text(s, 0);
	v.calls = sqlite3_column_int64(s, 1);
	v.retries = v.calls - sqlite3_column_int64(s, 2);
	v.lost = sqlite3_column_int64(s, 3);
	v.failed = sqlite3_column_int64(s, 4);
	v.answered = sqlite3_column_int64(s, 5);
	v.sum_ms = sqlite3_column_int64(s, 6);
	for (i = 0; i < HG_STATS_NBUCKETS; i++)
		v.le[i] = sqlite3_column_int64(s, 7 + i);
	return c->cb(&v, c->arg);
}

int
hg_stats_steps(struct hg_outbox *ob,
    int (*cb)(const struct hg_stats_infno *s, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct steps_ctx c = { cb, arg };
	struct hg_buf q = { NULL, 0, 0 };
	sqlite3_stmt *s;
	char part[96];
	int i;

	hg_buf_adds(&q, "SELECT infno, count(*), count(DISTINCT bill_id),"
	    " total(state = 'unknown'), total(state = 'failed'),"
	    " total(answered_ms IS NOT NULL AND sent_ms IS NOT NULL),"
	    " total(answered_ms - sent_ms)");
	for (i = 0; i < HG_STATS_NBUCKETS; i++) {
		snprintf(part, sizeof part, ", total(answered_ms - sent_ms"
		    " <= %lld)", (long long)hg_stats_bucket_ms[i]);
		hg_buf_adds(&q, part);
	}
	hg_buf_adds(&q, " FROM steps GROUP BY infno ORDER BY infno");
	s = prep(db, q.data, err);
	hg_buf_free(&q);
	if (s == NULL)
		return -1;
	return drain(db, s, steps_row, &c, err);
}

struct ad_ctx {
	int	(*cb)(const char *, const char *, long long, void *);
	void	*arg;
};

static int
ad_row(sqlite3_stmt *s, void *arg)
{
	struct ad_ctx *c = arg;

	return c->cb((const char *)sqlite3_column_text(s, 0),
	    (const char *)sqlite3_column_text(s, 1),
	    sqlite3_column_int64(s, 2), c->arg);
}

int
hg_stats_adapters(struct hg_outbox *ob,
    int (*cb)(const char *adapter, const char *state, long long n, void *arg),
    void *arg, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct ad_ctx c = { cb, arg };
	sqlite3_stmt *s;

	s = prep(db, "SELECT adapter, state, count(*) FROM bills"
	    " GROUP BY adapter, state ORDER BY adapter, state", err);
	if (s == NULL)
		return -1;
	return drain(db, s, ad_row, &c, err);
}

struct last_ctx {
	int	(*cb)(const char *, int64_t, void *);
	void	*arg;
};

static int
last_row(sqlite3_stmt *s, void *arg)
{
	struct last_ctx *c = arg;

	return c->cb((const char *)sqlite3_column_text(s, 0),
	    sqlite3_column_int64(s, 1), c->arg);
}

int
hg_stats_adapters_last(struct hg_outbox *ob,
    int (*cb)(const char *adapter, int64_t created_ms, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct last_ctx c = { cb, arg };
	sqlite3_stmt *s;

	s = prep(db, "SELECT adapter, max(created_ms) FROM bills"
	    " GROUP BY adapter", err);
	if (s == NULL)
		return -1;
	return drain(db, s, last_row, &c, err);
}

static int
one_int(sqlite3_stmt *s, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(s, 0);
	return 1;
}

int
hg_stats_oldest_unsettled(struct hg_outbox *ob, int64_t *created_ms,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;

	*created_ms = 0;
	s = prep(db, "SELECT coalesce(min(created_ms), 0) FROM bills WHERE"
	    " state IN ('" HG_S_READY "', '" HG_S_PROGRESS "', '"
	    HG_S_INDOUBT "', '" HG_S_PERSON "')", err);
	if (s == NULL)
		return -1;
	return drain(db, s, one_int, created_ms, err);
}

int
hg_stats_oldest_id(struct hg_outbox *ob, long long *id, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int64_t v = 0;
	int rc;

	s = prep(db, "SELECT id FROM bills WHERE state IN ('" HG_S_READY "', '"
	    HG_S_PROGRESS "', '" HG_S_INDOUBT "', '" HG_S_PERSON "')"
	    " ORDER BY created_ms, id LIMIT 1", err);
	if (s == NULL)
		return -1;
	rc = drain(db, s, one_int, &v, err);
	*id = v;
	return rc;
}

int
hg_stats_last_answers(struct hg_outbox *ob, int64_t *ok_ms,
    int64_t *noanswer_ms, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;

	*ok_ms = *noanswer_ms = 0;
	/* any answer, refusals included: the platform was there */
	s = prep(db, "SELECT coalesce(max(answered_ms), 0) FROM steps WHERE"
	    " state = 'ok' OR (state = 'failed' AND response IS NOT NULL)",
	    err);
	if (s == NULL || drain(db, s, one_int, ok_ms, err) == -1)
		return -1;
	s = prep(db, "SELECT max(coalesce((SELECT max(answered_ms) FROM steps"
	    " WHERE state = 'unknown' OR (state = 'failed' AND response IS"
	    " NULL)), 0), coalesce((SELECT max(updated_ms) FROM bills WHERE"
	    " state IN ('" HG_S_READY "', '" HG_S_PROGRESS "') AND"
	    " attempts > 0 AND err_msg IS NOT NULL), 0))", err);
	if (s == NULL)
		return -1;
	return drain(db, s, one_int, noanswer_ms, err);
}

struct dis_ctx {
	int	(*cb)(long long, const char *, void *);
	void	*arg;
};

static int
dis_row(sqlite3_stmt *s, void *arg)
{
	struct dis_ctx *c = arg;
	const char *dept = (const char *)sqlite3_column_text(s, 1);

	return c->cb(sqlite3_column_int64(s, 0), dept ? dept : "", c->arg);
}

int
hg_stats_discharged(struct hg_outbox *ob, const char *day,
    int (*cb)(long long id, const char *dept, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct dis_ctx c = { cb, arg };
	sqlite3_stmt *s;

	s = prep(db, "SELECT id, json_extract(bill_json, '$.dept_name')"
	    " FROM bills WHERE substr(json_extract(bill_json, '$.endtime'),"
	    " 1, 10) = ?1 ORDER BY id", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, day, -1, SQLITE_TRANSIENT);
	return drain(db, s, dis_row, &c, err);
}

struct tr_ctx {
	int	(*cb)(const char *, long long, void *);
	void	*arg;
};

static int
tr_row(sqlite3_stmt *s, void *arg)
{
	struct tr_ctx *c = arg;

	return c->cb((const char *)sqlite3_column_text(s, 0),
	    sqlite3_column_int64(s, 1), c->arg);
}

int
hg_stats_transitions(struct hg_outbox *ob,
    int (*cb)(const char *state, long long n, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct tr_ctx c = { cb, arg };
	sqlite3_stmt *s;

	s = prep(db, "SELECT to_state, count(*) FROM history"
	    " WHERE from_state IS NOT to_state GROUP BY to_state"
	    " ORDER BY to_state", err);
	if (s == NULL)
		return -1;
	return drain(db, s, tr_row, &c, err);
}

struct stuck_ctx {
	int	(*cb)(const struct hg_stats_stuck *, void *);
	void	*arg;
};

static int
stuck_row(sqlite3_stmt *s, void *arg)
{
	struct stuck_ctx *c = arg;
	struct hg_stats_stuck v;

	v.id = sqlite3_column_int64(s, 0);
	v.state = (const char *)sqlite3_column_text(s, 1);
	v.ipt_no = (const char *)sqlite3_column_text(s, 2);
	v.err_msg = (const char *)sqlite3_column_text(s, 3);
	v.name = (const char *)sqlite3_column_text(s, 4);
	v.since_ms = sqlite3_column_int64(s, 5);
	return c->cb(&v, c->arg);
}

int
hg_stats_stuck(struct hg_outbox *ob, const char *state, int64_t before_ms,
    int max, int (*cb)(const struct hg_stats_stuck *s, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct stuck_ctx c = { cb, arg };
	sqlite3_stmt *s;

	/* a bill retried in doubt writes in_doubt -> in_doubt rows: its
	 * time in the state runs from the row that brought it there */
	s = prep(db, "SELECT id, state, ipt_no, err_msg, psn_name, since"
	    " FROM (SELECT id, state, ipt_no, err_msg,"
	    " json_extract(bill_json, '$.psn_name') AS psn_name,"
	    " coalesce((SELECT max(at_ms) FROM history h WHERE"
	    " h.bill_id = b.id AND h.to_state = b.state AND"
	    " h.from_state IS NOT b.state), b.updated_ms) AS since"
	    " FROM bills b WHERE state = ?1)"
	    " WHERE since < ?2 ORDER BY since, id LIMIT ?3", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, before_ms);
	sqlite3_bind_int(s, 3, max);
	return drain(db, s, stuck_row, &c, err);
}
