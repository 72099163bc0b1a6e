/* odbc: bills read from the HIS database (SQL Server, an Oracle "middle
 * database", PostgreSQL, an Access file through mdbtools ...) through
 * unixODBC.
 *
 * A configured query returns fee lines, ordered by a watermark column (a
 * time or an increasing id that belongs to the bill: all rows of a bill
 * carry the same value).  Each pass asks for the rows whose watermark is
 * at least the committed one minus an overlap window, so rows committed
 * late in the HIS, and rows with the same watermark as the last one seen,
 * are read again rather than missed; the outbox makes the re-read a
 * no-op.  The rows are grouped into bills by the key columns (table.c)
 * and the new watermark is committed in the same transaction as the last
 * batch of bills it covers, never before them.  It does not move past a
 * bill that was withheld for a bad row: that bill is read again until it
 * is fixed in the HIS.
 *
 * For a driver without bound parameters or ORDER BY (mdbtools' for
 * Access files) the watermark is written into the query and the rows are
 * sorted and filtered here (parameters, sort).
 *
 * When the database goes away the adapter logs one alarm, reconnects by
 * itself with doubling delays up to retry_max, and logs one notice when
 * it is back; every failure closes the connection (odbc_db.c). */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapters/adapter.h"
#include "adapters/odbc_db.h"
#include "adapters/odbc_wb.h"
#include "adapters/odbc_wm.h"
#include "adapters/table.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

/* --- configuration ------------------------------------------------------- */

struct odbc_conf {
	char	*connection;
	char	*query;
	char	*watermark;
	char	*watermark_type;
	int64_t	 overlap;
	char	*start;
	char	*encoding;
	int64_t	 max_rows;
	int64_t	 login_timeout, query_timeout;
	int64_t	 retry_max;
	char	*parameters;
	int	 sort, reconnect;
	struct hg_table_keys tb;
	char	*writeback;
};

static const char *const wm_types[] = { "time", "id", NULL };
static const char *const encodings[] = { "UTF-8", "GB18030", "GBK", NULL };
static const char *const param_modes[] = { "bound", "inline", NULL };

#define C(f) offsetof(struct odbc_conf, f)
static const struct hg_conf_key odbc_keys[] = {
	{ "connection", HG_CT_STR, NULL, 0, 0, C(connection),
	  "ODBC connection string: \"DSN=his;UID=...;PWD=...\" or "
	  "\"Driver=...;Server=...;Database=...\" (never logged)", NULL, 1 },
	{ "query", HG_CT_STR, NULL, 0, 0, C(query),
	  "SELECT of fee lines with :watermark for the lower bound, ORDER BY "
	  "the watermark column", NULL, 1 },
	{ "watermark", HG_CT_STR, NULL, 0, 0, C(watermark),
	  "the result column holding the bill's watermark (the same on all "
	  "rows of one bill)", NULL, 1 },
	{ "watermark_type", HG_CT_ENUM, "time", 0, 0, C(watermark_type),
	  "time (yyyy-MM-dd HH:mm:ss) or id (an increasing integer)",
	  wm_types, 0 },
	{ "overlap", HG_CT_INT, "300", 0, 100000000, C(overlap),
	  "re-read window below the committed watermark: seconds (time) or "
	  "ids (id), for rows the HIS commits late", NULL, 0 },
	{ "start", HG_CT_STR, "", 0, 0, C(start),
	  "watermark to start from when none is committed yet; \"\" = all "
	  "rows", NULL, 0 },
	{ "encoding", HG_CT_ENUM, "UTF-8", 0, 0, C(encoding),
	  "the client encoding of the text the driver returns, converted to "
	  "UTF-8 here (GBK databases: GB18030, its superset)", encodings, 0 },
	{ "max_rows", HG_CT_INT, "20000", 100, 10000000, C(max_rows),
	  "rows read per pass (bounds memory); the pass stops at a watermark "
	  "boundary, the rest comes next pass", NULL, 0 },
	{ "login_timeout", HG_CT_INT, "10", 0, 3600, C(login_timeout),
	  "seconds to wait for a connection (0 = the driver's default)",
	  NULL, 0 },
	{ "query_timeout", HG_CT_INT, "60", 0, 3600, C(query_timeout),
	  "seconds a statement may run (0 = no limit)", NULL, 0 },
	{ "retry_max", HG_CT_INT, "60", 1, 3600, C(retry_max),
	  "longest wait between reconnection attempts, seconds (the wait "
	  "doubles from 1 s)", NULL, 0 },
	{ "parameters", HG_CT_ENUM, "bound", 0, 0, C(parameters),
	  "bound, or inline: the watermark written into the query as a "
	  "literal (a driver without parameters: mdbtools)", param_modes, 0 },
	{ "sort", HG_CT_BOOL, "false", 0, 0, C(sort), "the adapter sorts the "
	  "rows by the watermark and drops those below the bound (a driver "
	  "without ORDER BY: mdbtools); no max_rows then", NULL, 0 },
	{ "reconnect", HG_CT_BOOL, "false", 0, 0, C(reconnect), "connect "
	  "afresh each pass (a file the HIS may replace: Access)", NULL, 0 },
	HG_TABLE_CONF_MAP_KEYS(struct odbc_conf, tb),
	{ "writeback", HG_CT_STR, "", 0, 0, C(writeback),
	  "write-back: an INSERT or UPDATE run for each settled, rejected or "
	  "cancelled bill, with :state, :setl_id, :ipt_no, :psn_cash_pay ... "
	  "(hisgate-adapters(5)); \"\" = none", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef C

struct odbc {
	struct hg_table_map *map;
	struct hg_odbc_sql sql;
	struct hg_odbc *db;
	struct hg_odbc_wb *wb;	/* NULL: no write-back */
	int	 is_time;
	struct hg_odbc_wm start;
	/* the connection's health: one alarm, one recovery */
	int	 down;
	int64_t	 down_since_ms, next_try_ms, delay_ms;
	/* problems already logged (hashes), so a re-read does not repeat
	 * them every pass */
	uint64_t *seen;
	size_t	 nseen;
};

#define SEEN_MAX	4096

/* --- checking the configuration ------------------------------------------ */

static int
compile(struct hg_adapter *a, struct odbc *st, struct hg_conf_errs *errs,
    int line)
{
	struct odbc_conf *c = a->conf;
	const char *file = a->conf_file ? a->conf_file : a->name;
	struct hg_err err;
	size_t i;
	int bad = 0, has_wm = 0;

	st->is_time = strcmp(c->watermark_type, "time") == 0;
	if (hg_odbc_sql_parse(c->query, &st->sql, &err) < 0) {
		hg_conf_errs_add(errs, file, line, "query: %s", err.msg);
		bad++;
	}
	for (i = 0; i < st->sql.n; i++) {
		if (strcmp(st->sql.names[i], "watermark") == 0) {
			has_wm = 1;
			continue;
		}
		hg_conf_errs_add(errs, file, line, "query: unknown parameter "
		    ":%s (the query has only :watermark, the lower bound)",
		    st->sql.names[i]);
		bad++;
	}
	if (st->sql.text != NULL && !has_wm) {
		hg_conf_errs_add(errs, file, line, "query: no :watermark "
		    "parameter (expected e.g. \"... WHERE upd_time >= "
		    ":watermark ORDER BY upd_time\")");
		bad++;
	}
	if (c->watermark[0] == '\0') {
		hg_conf_errs_add(errs, file, line, "watermark: empty (expected "
		    "the name of the query's watermark column)");
		bad++;
	}
	if (c->start[0] != '\0' && hg_odbc_wm_parse(st->is_time, c->start,
	    &st->start) < 0) {
		hg_conf_errs_add(errs, file, line, "start: \"%s\" is not %s",
		    c->start, st->is_time ? "a time (expected yyyy-MM-dd "
		    "HH:mm:ss)" : "an integer id");
		bad++;
	}
	if (c->writeback[0] != '\0') {
		st->wb = hg_odbc_wb_new(c->connection, c->writeback,
		    (long)c->login_timeout, (long)c->query_timeout, &err);
		if (st->wb == NULL) {
			hg_conf_errs_add(errs, file, line, "writeback: %s",
			    err.msg);
			bad++;
		}
	}
	c->tb.header = 1;	/* a query's columns always have names */
	c->tb.lines = &a->lines;
	bad += hg_table_map_new(&c->tb, file, line, errs, &st->map);
	return bad;
}

/* --- one pass ------------------------------------------------------------ */

struct row {
	char	**cell;		/* UTF-8 */
	int64_t	 wm;
	int	 broken;
	size_t	 pos;		/* as read, for a stable sort */
};

struct pass {
	struct hg_adapter *a;
	struct odbc *st;
	struct hg_table *t;
	const char *enc;	/* NULL: UTF-8, only checked */
	char	**names;	/* the query's columns, UTF-8 */
	size_t	 ncols;
	int	 wmcol;		/* index in the columns */
	struct row *rows;
	size_t	 nrows, caprows;
	int	 truncated;
	struct hg_odbc_wm low, hold;	/* bound asked for; earliest withheld */
	struct hg_odbc_wm committed;
	char	 curbuf[32];
};

static char *
to_utf8(const struct pass *p, const char *s)
{
	struct hg_err err;
	size_t outlen, nbad, first;
	char *out;

	if (p->enc == NULL || hg_text_to_utf8(p->enc, s, strlen(s), &out,
	    &outlen, &nbad, &first, &err) < 0) {
		if (hg_utf8_valid(s, strlen(s)))
			return hg_xstrdup(s);
		/* table.c names the column: invalid bytes become U+FFFD */
		if (hg_text_to_utf8("UTF-8", s, strlen(s), &out, &outlen,
		    &nbad, &first, &err) < 0)
			return hg_xstrdup("\xEF\xBF\xBD");
	}
	return out;
}

static int
on_columns(void *arg, char *const *names, size_t n, struct hg_err *err)
{
	struct pass *p = arg;
	struct odbc_conf *c = p->a->conf;
	size_t i;

	p->names = hg_xcalloc(n, sizeof *p->names);
	p->ncols = n;
	p->wmcol = -1;
	for (i = 0; i < n; i++) {
		p->names[i] = to_utf8(p, names[i]);
		if (p->wmcol < 0 && strcasecmp(p->names[i], c->watermark) == 0)
			p->wmcol = (int)i;
	}
	if (p->wmcol < 0)
		return hg_failt(err, "the query has no column \"%s\" (the "
		    "watermark); its columns are %s%s%s%s", c->watermark,
		    p->names[0], n > 1 ? ", " : "", n > 1 ? p->names[1] : "",
		    n > 2 ? ", ..." : "");
	return 0;
}

static void
report(struct pass *p, int line, int col, const char *column,
    const char *field, const char *msg);

static int
on_row(void *arg, char *const *cells, size_t n, struct hg_err *err)
{
	struct pass *p = arg;
	struct odbc_conf *c = p->a->conf;
	struct row *r;
	struct hg_odbc_wm w;
	const char *wv = cells[p->wmcol] ? cells[p->wmcol] : "";
	char msg[256];
	size_t i;
	int bad;

	bad = hg_odbc_wm_parse(p->st->is_time, wv, &w) < 0;
	if (c->sort && !bad && w.v < p->low.v)
		return 0;	/* the driver's WHERE did not hold */
	/* the rows come in watermark order; the pass stops only where the
	 * watermark changes, so every watermark it covers is read whole,
	 * and only past the committed one, so that the watermark moves on
	 * even when more than max_rows rows share it */
	if (!bad && !c->sort && p->nrows >= (size_t)c->max_rows &&
	    p->nrows > 0 &&
	    !p->rows[p->nrows - 1].broken && w.v != p->rows[p->nrows - 1].wm &&
	    p->rows[p->nrows - 1].wm > (p->committed.set ? p->committed.v :
	    p->low.v)) {
		p->truncated = 1;
		return 1;
	}
	if (p->nrows == p->caprows) {
		p->caprows = p->caprows ? p->caprows * 2 : 256;
		p->rows = hg_xrealloc(p->rows, p->caprows, sizeof *p->rows);
	}
	r = &p->rows[p->nrows++];
	memset(r, 0, sizeof *r);
	r->pos = p->nrows;
	r->cell = hg_xcalloc(n, sizeof *r->cell);
	for (i = 0; i < n; i++)
		r->cell[i] = to_utf8(p, cells[i] ? cells[i] : "");
	if (bad) {
		snprintf(msg, sizeof msg, "\"%.60s\" is not %s; the row's bill "
		    "is withheld", r->cell[p->wmcol], p->st->is_time ?
		    "a time (expected yyyy-MM-dd HH:mm:ss)" : "an integer id");
		report(p, (int)p->nrows, p->wmcol + 1, p->names[p->wmcol],
		    "watermark", msg);
		r->broken = 1;
		r->wm = p->low.v;
		return 0;
	}
	r->wm = w.v;
	if (!c->sort && p->nrows > 1 && w.v < p->rows[p->nrows - 2].wm &&
	    !p->rows[p->nrows - 2].broken)
		return hg_fail(err, "row %zu: watermark %s goes back (the query "
		    "must ORDER BY the watermark column %s)", p->nrows,
		    r->cell[p->wmcol], c->watermark);
	return 0;
}

/* A problem of a row, logged once however often the row is re-read.
 * Rows are named by their watermark (the row number is this pass's). */
static void
report(struct pass *p, int line, int col, const char *column,
    const char *field, const char *msg)
{
	struct odbc *st = p->st;
	const char *wv = "";
	char where[160];
	uint64_t h;
	size_t i;

	if (line > 0 && (size_t)line <= p->nrows && p->wmcol >= 0)
		wv = p->rows[line - 1].cell[p->wmcol];
	h = hg_hash_more(msg, hg_hash_more(field, hg_hash_more(column ?
	    column : "", hg_hash_more(wv, HG_HASH_INIT))));
	for (i = 0; i < st->nseen; i++)
		if (st->seen[i] == h)
			return;
	if (st->nseen == SEEN_MAX)
		st->nseen = 0;	/* forget: they are logged once more */
	if (st->seen == NULL)
		st->seen = hg_xcalloc(SEEN_MAX, sizeof *st->seen);
	st->seen[st->nseen++] = h;
	if (line > 0)
		snprintf(where, sizeof where, "row %d of the query (%s %s)",
		    line, p->names[p->wmcol], wv);
	else
		snprintf(where, sizeof where, "the query's columns");
	if (col > 0)
		log_warn(p->a->name, "%s, column %d (%s), %s: %s", where, col,
		    column ? column : "?", field, msg);
	else
		log_warn(p->a->name, "%s, %s: %s", where, field, msg);
}

static void
on_problem(void *arg, int line, int col, const char *column,
    const char *field, const char *msg)
{
	report(arg, line, col, column, field, msg);
}

static void
on_withheld(void *arg, int first, int last)
{
	struct pass *p = arg;
	int i;

	for (i = first; i <= last && i >= 1 && (size_t)i <= p->nrows; i++)
		if (!p->hold.set || p->rows[i - 1].wm < p->hold.v) {
			p->hold.v = p->rows[i - 1].wm;
			p->hold.set = 1;
		}
}

/* The watermark that goes with the last batch: the last row's, held
 * back to the earliest withheld bill, never behind the committed one. */
static const char *
end_cursor(void *arg)
{
	struct pass *p = arg;
	int64_t next = p->rows[p->nrows - 1].wm;

	if (p->hold.set && p->hold.v < next)
		next = p->hold.v;
	if (p->committed.set && next < p->committed.v)
		next = p->committed.v;
	return hg_odbc_wm_text(p->st->is_time, next, p->curbuf, sizeof p->curbuf);
}

static void
pass_free(struct pass *p)
{
	size_t i, j;

	for (i = 0; i < p->nrows; i++) {
		for (j = 0; j < p->ncols; j++)
			free(p->rows[i].cell[j]);
		free(p->rows[i].cell);
	}
	free(p->rows);
	for (j = 0; j < p->ncols; j++)
		free(p->names[j]);
	free(p->names);
	hg_table_free(p->t);
}

static void
to_trow(struct pass *p, size_t i, struct hg_table_row *tr)
{
	memset(tr, 0, sizeof *tr);
	tr->cell = p->rows[i].cell;
	tr->ncells = p->ncols;
	tr->line = (int)i + 1;
	tr->broken = p->rows[i].broken;
}

static int
row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->wm != b->wm)
		return a->wm < b->wm ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The rows, read, handed to the table.  Returns 0, or -1 with err:
 * *dberr tells a database failure from the sink's. */
static int
run_pass(struct hg_adapter *a, struct pass *p, int *dberr, struct hg_err *err)
{
	struct odbc *st = a->state;
	struct odbc_conf *c = a->conf;
	struct hg_odbc_reader rd = { on_columns, on_row, p };
	struct hg_odbc_param *prm;
	struct hg_table_src src;
	struct hg_table_row tr;
	char lowbuf[32], srcname[64];
	size_t i;
	int rc;

	*dberr = 1;
	if (p->committed.set) {
		p->low.v = p->committed.v - c->overlap;
		p->low.set = 1;
	} else if (st->start.set) {
		p->low = st->start;
	} else {
		p->low.v = st->is_time ? hg_odbc_civil_secs(1900, 1, 1, 0, 0, 0) :
		    INT64_MIN / 2;
		p->low.set = 1;
	}
	hg_odbc_wm_text(st->is_time, p->low.v, lowbuf, sizeof lowbuf);
	prm = hg_xcalloc(st->sql.n ? st->sql.n : 1, sizeof *prm);
	for (i = 0; i < st->sql.n; i++) {
		prm[i].type = st->is_time ? HG_OP_TIME : HG_OP_INT;
		prm[i].text = lowbuf;
		prm[i].num = p->low.v;
	}
	rc = hg_odbc_query(st->db, &st->sql, prm, &rd, err);
	free(prm);
	if (rc < 0)
		return -1;
	*dberr = 0;
	if (p->nrows == 0)
		return 0;
	if (c->sort)
		qsort(p->rows, p->nrows, sizeof *p->rows, row_cmp);
	memset(&src, 0, sizeof src);
	snprintf(srcname, sizeof srcname, "query from %s", lowbuf);
	src.sink = a->sink;
	src.adapter = a->name;
	src.source = srcname;
	src.problem = on_problem;
	src.withheld = on_withheld;
	src.end_cursor = end_cursor;
	src.arg = p;
	src.encoding = c->encoding;
	p->t = hg_table_new(st->map, &src);
	memset(&tr, 0, sizeof tr);
	tr.cell = p->names;
	tr.ncells = p->ncols;
	tr.line = 0;
	if (hg_table_header(p->t, &tr) < 0)
		return hg_fail(err, "the query's columns do not give bills "
		    "(see the problems above; expected the columns the column "
		    "map names)");
	for (i = 0; i < p->nrows; i++) {
		to_trow(p, i, &tr);
		if (!hg_table_summary(p->t, &tr, 0))
			hg_table_index(p->t, &tr);
	}
	/* bills go out in batches; the watermark rides with the last one
	 * (end_cursor), after the table has said which bills it withheld */
	hg_table_begin(p->t, HG_TABLE_COMMIT);
	for (i = 0; i < p->nrows; i++) {
		to_trow(p, i, &tr);
		if (hg_table_summary(p->t, &tr, 1))
			continue;
		if (hg_table_add(p->t, &tr, err) < 0)
			return -1;
	}
	return hg_table_end(p->t, err);
}

/* --- the connection's health --------------------------------------------- */

/* The database failed: one alarm for the whole outage, then reconnection
 * attempts at doubling delays. */
static void
went_down(struct hg_adapter *a, const struct hg_err *err)
{
	struct odbc *st = a->state;
	struct odbc_conf *c = a->conf;
	int64_t now = hg_now_ms();

	st->delay_ms = st->down ? st->delay_ms * 2 : 1000;
	if (st->delay_ms > c->retry_max * 1000)
		st->delay_ms = c->retry_max * 1000;
	st->next_try_ms = now + st->delay_ms;
	if (st->down) {
		log_debug(a->name, "still failing: %s", err->msg);
		return;
	}
	st->down = 1;
	st->down_since_ms = now;
	log_error(a->name, "the HIS database fails: %s; nothing was "
	    "acknowledged; reconnecting by itself every 1 s to %lld s (this "
	    "is logged once: a notice follows when it works again)", err->msg,
	    (long long)c->retry_max);
}

static void
came_back(struct hg_adapter *a, const struct pass *p)
{
	struct odbc *st = a->state;
	char buf[32];

	if (!st->down)
		return;
	st->down = 0;
	st->delay_ms = 0;
	log_notice(a->name, "recovered: the HIS database works again after "
	    "%lld s; read again from watermark %s", (long long)((hg_now_ms() -
	    st->down_since_ms) / 1000), hg_odbc_wm_text(st->is_time, p->low.v, buf,
	    sizeof buf));
}

/* --- the plug ------------------------------------------------------------ */

/* init and destroy replace a->state on the adapter's thread while the
 * write-back thread may be in write_result: the pointer is swapped, and
 * the write-back statement run, under this lock. */
static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;

static void
state_free(struct odbc *st)
{
	if (st == NULL)
		return;
	hg_odbc_free(st->db);
	hg_odbc_wb_free(st->wb);
	hg_odbc_sql_free(&st->sql);
	hg_table_map_free(st->map);
	free(st->seen);
	free(st);
}

static void
odbc_destroy(struct hg_adapter *a)
{
	struct odbc *st;

	pthread_mutex_lock(&state_mu);
	st = a->state;
	a->state = NULL;
	pthread_mutex_unlock(&state_mu);
	state_free(st);
}

static int
odbc_check(struct hg_adapter *a, struct hg_conf_errs *errs, int line)
{
	struct odbc st;
	int bad;

	memset(&st, 0, sizeof st);
	bad = compile(a, &st, errs, line);
	hg_odbc_wb_free(st.wb);
	hg_odbc_sql_free(&st.sql);
	hg_table_map_free(st.map);
	return bad;
}

static int
odbc_init(struct hg_adapter *a, struct hg_err *err)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct odbc_conf *c = a->conf;
	struct odbc *st;

	odbc_destroy(a);
	st = hg_xcalloc(1, sizeof *st);
	if (compile(a, st, &errs, 0) > 0) {
		hg_fail(err, "%s", errs.msg[0]);
		hg_conf_errs_free(&errs);
		state_free(st);
		return -1;
	}
	hg_conf_errs_free(&errs);
	st->db = hg_odbc_new(c->connection, (long)c->login_timeout,
	    (long)c->query_timeout);
	hg_odbc_set_inline(st->db, strcmp(c->parameters, "inline") == 0);
	/* the watermark is acknowledged only after sync (hg_table_end), so
	 * the sink may write one batch while the next is built */
	if (a->sink != NULL && a->sink->sync != NULL)
		a->sink->async = 1;
	pthread_mutex_lock(&state_mu);
	a->state = st;
	pthread_mutex_unlock(&state_mu);
	return 0;
}

/* The committed watermark: *w unset when there is none. */
static int
committed(struct hg_adapter *a, struct hg_odbc_wm *w, struct hg_err *err)
{
	struct odbc *st = a->state;
	char *cur;
	int rc = 0;

	w->set = 0;
	if (a->sink->cursor == NULL || (cur = a->sink->cursor(a->sink)) ==
	    NULL)
		return 0;
	if (hg_odbc_wm_parse(st->is_time, cur, w) < 0)
		rc = hg_fail(err, "the committed watermark \"%s\" is not %s "
		    "(was watermark_type changed?  hisgate queue shows the "
		    "bills; set start and remove the old cursor to start "
		    "over)", cur, st->is_time ? "a time" : "an integer id");
	free(cur);
	return rc;
}

static int
odbc_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct odbc *st = a->state;
	struct pass p;
	int dberr, rc;

	/* a one-shot reader (adapter test) waits for nothing */
	if (st->down && !a->sink->dry && hg_now_ms() < st->next_try_ms)
		return 0;
	memset(&p, 0, sizeof p);
	p.a = a;
	p.st = st;
	p.enc = strcmp(((struct odbc_conf *)a->conf)->encoding, "UTF-8") == 0 ?
	    NULL : ((struct odbc_conf *)a->conf)->encoding;
	if (committed(a, &p.committed, err) < 0)
		return -1;
	rc = run_pass(a, &p, &dberr, err);
	if (rc < 0 && dberr) {
		pass_free(&p);
		if (a->sink->dry)
			return -1;
		went_down(a, err);
		return 0;	/* handled here: one alarm, own backoff */
	}
	came_back(a, &p);
	if (((struct odbc_conf *)a->conf)->reconnect)
		hg_odbc_disconnect(st->db);
	if (rc == 0 && p.truncated)
		log_info(a->name, "read %zu rows (max_rows); the rest follows "
		    "in the next pass", p.nrows);
	pass_free(&p);
	return rc;
}

/* The write-back: its own connection, so the reader's is never shared
 * with the write-back thread.  Before init has succeeded there is no
 * statement yet: try again later. */
static int
odbc_write_result(struct hg_adapter *a, const struct hg_kvlist *result,
    struct hg_err *err)
{
	const struct odbc_conf *c = a->conf;
	struct odbc *st;
	int rc;

	if (c->writeback[0] == '\0')
		return 0;
	pthread_mutex_lock(&state_mu);
	st = a->state;
	if (st == NULL || st->wb == NULL)
		rc = hg_failt(err, "the adapter has not started yet");
	else
		rc = hg_odbc_wb_run(st->wb, result, err) < 0 ? -1 : 1;
	pthread_mutex_unlock(&state_mu);
	return rc;
}

const struct hg_adapter_ops hg_adapter_odbc = {
	.name = "odbc",
	.description = "a query on the HIS database through unixODBC, with a "
	    "watermark committed with the bills",
	.config_map = odbc_keys,
	.conf_size = sizeof(struct odbc_conf),
	.check = odbc_check,
	.init = odbc_init,
	.poll = odbc_poll,
	.wait_fd = NULL,
	.destroy = odbc_destroy,
	.write_result = odbc_write_result,
};
