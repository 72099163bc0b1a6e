/* The odbc adapter against a mock sink and a real SQLite file through the
 * SQLite ODBC driver (libsqliteodbc, registered in a test-local
 * odbcinst.ini): named parameters, the watermark carried only by the last
 * batch of a pass (a sink failure between batches leaves no watermark
 * ahead of its bills), max_rows cutting at a watermark boundary, a query
 * that is not in watermark order, and the write-back statement. */
#include "config.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <sqlite3.h>

#include "adapters/adapter.h"
#include "adapters/odbc_db.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"
#include "t/mock_sink.h"

extern const struct hg_adapter_ops hg_adapter_odbc;

struct fx {
	char	*tmp, *db;
	struct hg_adapter a;
	struct hg_mock_sink *m;
	int	 noinit;	/* only load the configuration */
};

static struct fx X;

static void
sql(const char *text)
{
	sqlite3 *db;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(X.db, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, text, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", text, msg);
	sqlite3_close(db);
}

static char *
sql1(const char *text)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out = NULL;

	ck_assert_int_eq(sqlite3_open(X.db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = hg_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* n bills of one line each; bill i has watermark base + i / per. */
static void
add_bills(int from, int n, int per)
{
	struct hg_buf b = { NULL, 0, 0 };
	char q[512];
	int i;

	hg_buf_adds(&b, "BEGIN;");
	for (i = from; i < from + n; i++) {
		snprintf(q, sizeof q, "INSERT INTO fee VALUES ('ZY%05d', "
		    "'王芳', '11010519491231002X', '2024-03-01 08:30:00', "
		    "'2024-03-05 10:00:00', '2024-03-01 09:10:00', 1, 'CW0001', "
		    "'普通床位费', '1', '25.0000', '25.00', %d);", i,
		    1000 + i / per);
		hg_buf_adds(&b, q);
	}
	hg_buf_adds(&b, "COMMIT;");
	sql(b.data);
	hg_buf_free(&b);
}

static void
fx_start(const char *extra)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_err err;
	config_t cfg;
	glob_t g;
	char *path, *text;
	FILE *fp;

	X.tmp = hg_tmpdir();
	X.db = hg_xasprintf("%s/his.db", X.tmp);
	ck_assert_msg(glob("/usr/lib/*/odbc/libsqlite3odbc.so", 0, NULL,
	    &g) == 0, "the SQLite ODBC driver is missing (install "
	    "libsqliteodbc)");
	path = hg_xasprintf("%s/odbcinst.ini", X.tmp);
	fp = fopen(path, "w");
	ck_assert(fp != NULL);
	fprintf(fp, "[SQLite3]\nDriver=%s\n", g.gl_pathv[0]);
	fclose(fp);
	free(path);
	globfree(&g);
	setenv("ODBCSYSINI", X.tmp, 1);
	sql("CREATE TABLE fee (ZYH TEXT, XM TEXT, SFZH TEXT, RYSJ TEXT, "
	    "CYSJ TEXT, FYSJ TEXT, XH INTEGER, "
	    "XMBM TEXT, XMMC TEXT, SL TEXT, DJ TEXT, JE TEXT, WM INTEGER);"
	    "CREATE TABLE result (ZYH TEXT, STATE TEXT, SETL_ID TEXT, "
	    "CASH TEXT)");
	X.m = hg_mock_sink_new();
	text = hg_xasprintf("connection = \"Driver=SQLite3;Database=%s\";\n"
	    "%s\nwatermark = \"wm\";\nwatermark_type = \"id\";\n"
	    "overlap = 0;\ncolumns = { ipt_no = \"ZYH\"; psn_name = \"XM\"; "
	    "certno = \"SFZH\"; endtime = \"CYSJ\"; fee_ocur_time = \"FYSJ\"; "
	    "begntime = \"RYSJ\"; feedetl_sn = \"XH\"; medins_list_codg = "
	    "\"XMBM\"; name = \"XMMC\"; cnt = \"SL\"; pric = \"DJ\"; "
	    "det_item_fee_sumamt = \"JE\"; };\n%s\n", X.db,
	    extra != NULL && strstr(extra, "query =") != NULL ? "" :
	    "query = \"SELECT * FROM fee WHERE WM >= :watermark ORDER BY WM, "
	    "ZYH\";", extra ? extra : "");
	memset(&X.a, 0, sizeof X.a);
	X.a.ops = &hg_adapter_odbc;
	X.a.name = hg_xstrdup("his");
	X.a.conf_file = hg_xstrdup("his.conf");
	X.a.sink = &X.m->sink;
	config_init(&cfg);
	ck_assert_msg(config_read_string(&cfg, text) == CONFIG_TRUE, "%s: %s",
	    text, config_error_text(&cfg));
	X.a.conf = hg_xcalloc(1, hg_adapter_odbc.conf_size);
	hg_conf_defaults(hg_adapter_odbc.config_map, X.a.conf);
	hg_conf_apply(hg_adapter_odbc.config_map, config_root_setting(&cfg),
	    NULL, X.a.conf, "his.conf", &errs);
	config_destroy(&cfg);
	free(text);
	ck_assert_msg(errs.n == 0, "%s", errs.msg[0]);
	if (!X.noinit)
		ck_assert_msg(hg_adapter_odbc.init(&X.a, &err) == 0, "%s",
		    err.msg);
}

static void
fx_stop(void)
{
	X.a.ops->destroy(&X.a);
	hg_conf_free(hg_adapter_odbc.config_map, X.a.conf);
	free(X.a.conf);
	free(X.a.name);
	free(X.a.conf_file);
	hg_mock_sink_free(X.m);
	hg_rmtree(X.tmp);
	free(X.tmp);
	free(X.db);
	memset(&X, 0, sizeof X);
}

START_TEST(test_named_params)
{
	struct hg_odbc_sql s;
	struct hg_err err;

	ck_assert_int_eq(hg_odbc_sql_parse("SELECT a FROM t WHERE x >= "
	    ":watermark AND y = ':no' AND \"c:d\" = 1 AND z::int = :k_2 "
	    "AND w = :watermark", &s, &err), 0);
	ck_assert_str_eq(s.text, "SELECT a FROM t WHERE x >= ? AND y = ':no' "
	    "AND \"c:d\" = 1 AND z::int = ? AND w = ?");
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.names[0], "watermark");
	ck_assert_str_eq(s.names[1], "k_2");
	ck_assert_str_eq(s.names[2], "watermark");
	hg_odbc_sql_free(&s);
	ck_assert_int_eq(hg_odbc_sql_parse("x = : y", &s, &err), -1);
	ck_assert_str_eq(err.msg, "\":\" at offset 4 is not followed by a "
	    "parameter name (expected :name, letters, digits and _)");
	ck_assert_int_eq(hg_odbc_sql_parse("x = 'open", &s, &err), -1);
	ck_assert_str_eq(err.msg, "a ' quote is not closed (expected a "
	    "closing ')");
}
END_TEST

/* parameters = "inline": literals where the ?s of the parameters are,
 * never where a ? is part of a quoted string */
START_TEST(test_inline_params)
{
	struct hg_odbc_param prm[3] = {
		{ HG_OP_TIME, "2024-03-05 10:00:00", 0 },
		{ HG_OP_INT, NULL, -42 },
		{ HG_OP_TEXT, "O'Brien", 0 },
	};
	struct hg_odbc_sql s;
	struct hg_err err;
	char *t;

	ck_assert_int_eq(hg_odbc_sql_parse("SELECT a FROM t WHERE x >= :wm "
	    "AND y = '?:no' AND n > :n AND s = :s", &s, &err), 0);
	t = hg_odbc_sql_inline(&s, prm, &err);
	ck_assert_str_eq(t, "SELECT a FROM t WHERE x >= '2024-03-05 10:00:00' "
	    "AND y = '?:no' AND n > -42 AND s = 'O''Brien'");
	free(t);
	prm[0].text = "2024' OR 1=1 --";
	ck_assert_ptr_null(hg_odbc_sql_inline(&s, prm, &err));
	ck_assert_str_eq(err.msg, ":wm: \"2024' OR 1=1 --\" is not a time "
	    "(expected yyyy-MM-dd HH:mm:ss)");
	hg_odbc_sql_free(&s);
}
END_TEST

/* 600 bills in one pass go out in two batches (500 bills each at most):
 * when the second is refused, the first is committed without the
 * watermark, and the next pass finishes the job. */
START_TEST(test_cursor_last_batch)
{
	struct hg_err err;
	size_t handed;

	fx_start(NULL);
	add_bills(0, 600, 10);
	hg_mock_sink_fail_after(X.m, 1, 1);
	ck_assert_int_eq(X.a.ops->poll(&X.a, &err), -1);
	ck_assert_int_eq(X.m->ncommits, 1);
	ck_assert_int_eq(X.m->n, 500);
	ck_assert_msg(X.m->last_cursor == NULL, "the watermark went out "
	    "with the first batch: %s", X.m->last_cursor);
	ck_assert_int_eq(X.a.ops->poll(&X.a, &err), 0);
	ck_assert_int_eq(X.m->n, 600);
	ck_assert_str_eq(X.m->last_cursor, "1059");
	/* the next pass reads from the watermark itself: the 10 bills of
	 * 1059 again (the outbox finds them unchanged) */
	handed = X.m->nbills_handed;
	ck_assert_int_eq(X.a.ops->poll(&X.a, &err), 0);
	ck_assert_int_eq(X.m->nbills_handed - handed, 10);
	ck_assert_int_eq(X.m->n, 600);
	fx_stop();
}
END_TEST

/* max_rows: the pass stops where the watermark changes, never inside
 * one; a watermark with more rows than max_rows is still read whole, and
 * the passes after it move on (never stuck re-reading it). */
START_TEST(test_max_rows)
{
	struct hg_err err;
	int i;

	fx_start("max_rows = 100;");
	add_bills(0, 95, 10);		/* watermarks 1000..1009 */
	add_bills(95, 150, 1000);	/* 150 more at 1000 */
	ck_assert_int_eq(X.a.ops->poll(&X.a, &err), 0);
	/* bills 0..9 and 95..244 have 1000: 160 rows */
	ck_assert_int_eq(X.m->n, 160);
	ck_assert_str_eq(X.m->last_cursor, "1000");
	for (i = 0; i < 20 && X.m->n < 245; i++)
		ck_assert_int_eq(X.a.ops->poll(&X.a, &err), 0);
	ck_assert_int_eq(X.m->n, 245);
	ck_assert_str_eq(X.m->last_cursor, "1009");
	fx_stop();
}
END_TEST

/* A query not in watermark order is refused (nothing committed): it is
 * the database side's failure, logged once, and read again later. */
START_TEST(test_order_checked)
{
	struct hg_err err;

	fx_start("query = \"SELECT * FROM fee WHERE WM >= :watermark ORDER BY "
	    "WM DESC\";");
	add_bills(0, 20, 1);
	ck_assert_int_eq(X.a.ops->poll(&X.a, &err), 0);
	ck_assert_int_eq(X.m->ncommits, 0);
	ck_assert(X.m->last_cursor == NULL);
	fx_stop();
}
END_TEST

/* check-config: a write-back parameter that is not a result field */
START_TEST(test_writeback_names)
{
	struct hg_conf_errs errs = { NULL, 0 };

	X.noinit = 1;
	fx_start("writeback = \"UPDATE result SET X = :cash WHERE ZYH = "
	    ":ipt_no\";");
	ck_assert_int_eq(hg_adapter_odbc.check(&X.a, &errs, 7), 1);
	ck_assert_str_eq(errs.msg[0], "his.conf:7: writeback: unknown "
	    "parameter :cash (expected one of :state, :bill, :ipt_no, "
	    ":reason, :setl_id, :mdtrt_id, :setl_time, :medfee_sumamt, "
	    ":hifp_pay, :hifmi_pay, :maf_pay, :other_fund_pay, "
	    ":fund_pay_sumamt, :acct_pay, :psn_cash_pay)");
	hg_conf_errs_free(&errs);
	fx_stop();
}
END_TEST

static void
kv(struct hg_kvlist *l, const char *k, const char *v)
{
	l->v = hg_xrealloc(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].key = (char *)k;
	l->v[l->n].value = (char *)v;
	l->v[l->n].line = 0;
	l->n++;
}

START_TEST(test_writeback)
{
	struct hg_kvlist r = { NULL, 0, 0 };
	struct hg_err err;
	char *got;

	fx_start("writeback = \"UPDATE result SET STATE = :state, SETL_ID = "
	    ":setl_id, CASH = :psn_cash_pay WHERE ZYH = :ipt_no\";");
	kv(&r, "state", "settled");
	kv(&r, "ipt_no", "ZY00007");
	kv(&r, "setl_id", "S0001");
	kv(&r, "psn_cash_pay", "12.34");
	/* the bill's row is not there yet: a failure, tried again later */
	ck_assert_int_eq(X.a.ops->write_result(&X.a, &r, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_msg(strstr(err.msg, "changed no row") != NULL, "%s",
	    err.msg);
	sql("INSERT INTO result (ZYH) VALUES ('ZY00007')");
	ck_assert_msg(X.a.ops->write_result(&X.a, &r, &err) == 1, "%s",
	    err.msg);
	got = sql1("SELECT STATE || '|' || SETL_ID || '|' || CASH FROM result");
	ck_assert_str_eq(got, "settled|S0001|12.34");
	free(got);
	/* a table that is gone: the driver's words, HG_ETEMP */
	sql("DROP TABLE result");
	ck_assert_int_eq(X.a.ops->write_result(&X.a, &r, &err), -1);
	ck_assert_int_eq(err.kind, HG_ETEMP);
	ck_assert_msg(strstr(err.msg, "result") != NULL, "%s", err.msg);
	fx_stop();
	/* without writeback nothing is written, and that is not a failure */
	fx_start(NULL);
	ck_assert_int_eq(X.a.ops->write_result(&X.a, &r, &err), 0);
	free(r.v);
	fx_stop();
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("odbc");
	TCase *tc;

	tc = hg_tcase(s, "odbc", 60);
	tcase_add_test(tc, test_named_params);
	tcase_add_test(tc, test_inline_params);
	tcase_add_test(tc, test_cursor_last_batch);
	tcase_add_test(tc, test_max_rows);
	tcase_add_test(tc, test_order_checked);
	tcase_add_test(tc, test_writeback);
	tcase_add_test(tc, test_writeback_names);
	return s;
}
