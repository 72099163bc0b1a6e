/* Aggregates of the outbox, and the totals purge carries (queue/stats.h). */
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

/*
 * The counters.  Each family is counted from one journal table, grouped
 * by one key (the label); queue purge deletes rows of those tables, so
 * before it does, hg_stats_carry adds what they counted to metric_carry
 * (name "family.column", labels the key), and every read adds
 * metric_carry back: a counter never goes down when bills are purged.
 * The SQL of both comes from these tables alone.
 */
struct fam {
	const char *name, *table, *key, *where;
	int	 ncols;		/* with the latency buckets for steps */
};

static const struct fam steps_fam = { "steps", "steps", "infno", "1",
	6 + HG_STATS_NBUCKETS };
static const struct fam hist_fam = { "history", "history", "to_state",
	"from_state IS NOT to_state", 1 };

/* Column i of f: its name (in metric_carry) and how a row counts. */
static void
fam_col(const struct fam *f, int i, char name[32], char expr[96])
{
	static const char *const steps[][2] = {
		{ "calls", "count(*)" },
		{ "bills", "count(DISTINCT bill_id)" },
		{ "lost", "total(lost)" },
		{ "failed", "total(state = 'failed')" },
		{ "answered", "total(answered_ms IS NOT NULL AND sent_ms IS "
		    "NOT NULL)" },
		{ "sum_ms", "total(answered_ms - sent_ms)" },
	};
	long long le;

	if (f == &hist_fam) {
		snprintf(name, 32, "changes");
		snprintf(expr, 96, "count(*)");
	} else if (i < 6) {
		snprintf(name, 32, "%s", steps[i][0]);
		snprintf(expr, 96, "%s", steps[i][1]);
	} else {
		le = (long long)hg_stats_bucket_ms[i - 6];
		snprintf(name, 32, "le_%lld", le);
		snprintf(expr, 96, "total(answered_ms - sent_ms <= %lld)", le);
	}
}

/* The rows of f, key first, then its columns, grouped by key: with
 * carried totals added unless bills is given, else only over the rows
 * of bills (an SQL query of bill ids). */
static void
fam_sql(const struct fam *f, const char *bills, struct hg_buf *q)
{
	char name[32], expr[96], part[256];
	int i;

	if (bills == NULL)
		hg_buf_adds(q, "SELECT k");
	for (i = 0; bills == NULL && i < f->ncols; i++) {
		snprintf(part, sizeof part, ", sum(c%d)", i);
		hg_buf_adds(q, part);
	}
	if (bills == NULL)
		hg_buf_adds(q, " FROM (");
	snprintf(part, sizeof part, "SELECT %s AS k", f->key);
	hg_buf_adds(q, part);
	for (i = 0; i < f->ncols; i++) {
		fam_col(f, i, name, expr);
		snprintf(part, sizeof part, ", %s AS c%d", expr, i);
		hg_buf_adds(q, part);
	}
	snprintf(part, sizeof part, " FROM %s WHERE (%s)", f->table, f->where);
	hg_buf_adds(q, part);
	if (bills != NULL) {
		hg_buf_adds(q, " AND bill_id IN (");
		hg_buf_adds(q, bills);
		hg_buf_adds(q, ")");
	}
	snprintf(part, sizeof part, " GROUP BY %s", f->key);
	hg_buf_adds(q, part);
	if (bills != NULL)
		return;
	hg_buf_adds(q, " UNION ALL SELECT labels");
	for (i = 0; i < f->ncols; i++) {
		fam_col(f, i, name, expr);
		snprintf(part, sizeof part, ", sum(CASE WHEN name = '%s.%s' "
		    "THEN value ELSE 0 END)", f->name, name);
		hg_buf_adds(q, part);
	}
	snprintf(part, sizeof part, " FROM metric_carry WHERE name LIKE "
	    "'%s.%%' GROUP BY labels) GROUP BY k ORDER BY k", f->name);
	hg_buf_adds(q, part);
}

/* Run f's query (fam_sql with bills NULL); rows go to each(). */
static int
fam_read(sqlite3 *db, const struct fam *f,
    int (*each)(sqlite3_stmt *, void *), void *arg, struct hg_err *err)
{
	struct hg_buf q = { NULL, 0, 0 };
	sqlite3_stmt *s;

	fam_sql(f, NULL, &q);
	s = prep(db, q.data, err);
	hg_buf_free(&q);
	if (s == NULL)
		return -1;
	return drain(db, s, each, arg, err);
}

/* Add what f's rows of bills count to metric_carry: one upsert per
 * key and column. */
static int
fam_carry(sqlite3 *db, const struct fam *f, const char *bills,
    struct hg_err *err)
{
	struct hg_buf q = { NULL, 0, 0 };
	char name[32], expr[96], full[64];
	sqlite3_stmt *s, *up;
	int i, rc = SQLITE_DONE, ret = 0;

	fam_sql(f, bills, &q);
	s = prep(db, q.data, err);
	hg_buf_free(&q);
	if (s == NULL)
		return -1;
	up = prep(db, "INSERT INTO metric_carry (name, labels, value)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (name, labels) DO UPDATE SET"
	    " value = value + excluded.value", err);
	if (up == NULL) {
		sqlite3_finalize(s);
		return -1;
	}
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		for (i = 0; ret == 0 && i < f->ncols; i++) {
			fam_col(f, i, name, expr);
			snprintf(full, sizeof full, "%s.%s", f->name, name);
			sqlite3_bind_text(up, 1, full, -1, SQLITE_TRANSIENT);
			sqlite3_bind_value(up, 2, sqlite3_column_value(s, 0));
			sqlite3_bind_int64(up, 3, sqlite3_column_int64(s,
			    1 + i));
			if (sqlite3_step(up) != SQLITE_DONE)
				ret = sql_fail(db, "carrying the counters",
				    err);
			sqlite3_reset(up);
		}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sql_fail(db, "carrying the counters", err);
	sqlite3_finalize(up);
	sqlite3_finalize(s);
	return ret;
}

int
hg_stats_carry(struct hg_outbox *ob, const char *bills, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);

	if (fam_carry(db, &steps_fam, bills, err) == -1 ||
	    fam_carry(db, &hist_fam, bills, err) == -1)
		return -1;
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
	struct steps_ctx c = { cb, arg };

	return fam_read(hg_outbox_db(ob), &steps_fam, steps_row, &c, err);
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
	struct tr_ctx c = { cb, arg };

	return fam_read(hg_outbox_db(ob), &hist_fam, tr_row, &c, err);
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
