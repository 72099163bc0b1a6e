/* The csvdrop adapter against a mock sink: real GBK files in a temporary
 * drop directory, the §6a sample, grouping, every parse defect with its
 * exact .err line, the commit protocol (ETEMP leaves the file, a later
 * poll finishes it, nothing doubled), dry runs, completion modes,
 * all_or_nothing, and the fixture corpus t/data/bad against EXPECTED. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "adapters/adapter.h"
#include "adapters/datefmt.h"
#include "adapters/spool.h"
#include "agent/mapping.h"
#include "agent/validate.h"
#include "lib/bill.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"
#include "t/mock_sink.h"

extern const struct hg_adapter_ops hg_adapter_csvdrop;

#define HDR "住院号,姓名,性别,身份证号,医保卡号,入院时间,出院时间,主要诊断编码," \
	"主要诊断名称,科室编码,科室名称,明细序号,费用时间,院内项目编码,项目名称," \
	"规格,单位,数量,单价,金额,医保目录编码,收费类别,甲乙类\r\n"
#define BILL "ZY2024000123,王芳,女,11010519491231002X,A12345678," \
	"2024-03-01 08:30:00,2024-03-05 10:00:00,J18.900,肺炎,0312,呼吸内科,"
#define L1 BILL "1,2024-03-01 09:10:00,YP000456,注射用头孢呋辛钠,0.75g,支,4," \
	"12.5000,50.00,XJ01DCA040B002010100001,西药费,乙\r\n"
#define L2 BILL "2,2024-03-01 00:00:00,CW0001,普通床位费,,日,4,25.0000,100.00," \
	"001102000010000,床位费,甲\r\n"
#define L3 BILL "3,2024-03-02 14:00:00,HC0789,一次性使用输液器,,套,2,3.6000," \
	"7.20,C0301010010000100001,卫生材料费,乙\r\n"
#define SAMPLE HDR L1 L2 L3
/* a second patient, two lines */
#define OTHER "ZY2024000999,李明,男,110105194912310038,,2024-03-02 10:00:00," \
	"2024-03-04 09:00:00,I10.x00,高血压,0313,心内科,"
#define O1 OTHER "1,2024-03-02 11:00:00,CW0001,普通床位费,,日,2,25.0000,50.00," \
	"001102000010000,床位费,甲\r\n"
#define O2 OTHER "2,2024-03-03 08:00:00,CW0001,普通床位费,,日,1,25.0000,25.00," \
	"001102000010000,床位费,甲\r\n"

struct fx {
	char	*tmp;
	char	*in;
	struct hg_adapter a;
	struct hg_mock_sink *m;
	struct hg_mapping *map;
};

static struct fx X;

static void
load_conf(struct hg_adapter *a, const char *text, struct hg_conf_errs *errs)
{
	config_t cfg;

	config_init(&cfg);
	ck_assert_msg(config_read_string(&cfg, text) == CONFIG_TRUE, "%s: %s",
	    text, config_error_text(&cfg));
	a->conf = hg_xcalloc(1, hg_adapter_csvdrop.conf_size);
	hg_conf_defaults(hg_adapter_csvdrop.config_map, a->conf);
	hg_conf_apply(hg_adapter_csvdrop.config_map,
	    config_root_setting(&cfg), NULL, a->conf, "his.conf", errs);
	config_destroy(&cfg);
}

/* An adapter "his" on TMP/in with the given extra configuration. */
static void
fx_start(const char *extra)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_err err;
	char *text;

	X.tmp = hg_tmpdir();
	X.in = hg_xasprintf("%s/in", X.tmp);
	X.m = hg_mock_sink_new();
	/* complete at first sight unless the test is about waiting */
	text = hg_xasprintf("dir = \"%s\";\n%s\n%s\n", X.in,
	    extra && strstr(extra, "stable_seconds") ? "" :
	    "stable_seconds = 0;", extra ? extra : "");
	memset(&X.a, 0, sizeof X.a);
	X.a.ops = &hg_adapter_csvdrop;
	X.a.name = hg_xstrdup("his");
	X.a.conf_file = hg_xstrdup("his.conf");
	X.a.sink = &X.m->sink;
	load_conf(&X.a, text, &errs);
	ck_assert_msg(errs.n == 0, "%s", errs.msg[0]);
	ck_assert_int_eq(hg_adapter_csvdrop.check(&X.a, &errs, 1), 0);
	ck_assert_msg(hg_adapter_csvdrop.init(&X.a, &err) == 0, "%s",
	    err.msg);
	free(text);
}

static void
fx_stop(void)
{
	if (X.a.ops != NULL) {
		X.a.ops->destroy(&X.a);
		hg_conf_free(hg_adapter_csvdrop.config_map, X.a.conf);
		free(X.a.conf);
		free(X.a.name);
		free(X.a.conf_file);
	}
	hg_mock_sink_free(X.m);
	if (X.map != NULL)
		hg_mapping_free(X.map);
	hg_rmtree(X.tmp);
	free(X.tmp);
	free(X.in);
	memset(&X, 0, sizeof X);
}

static void
poll_ok(void)
{
	struct hg_err err;

	ck_assert_msg(X.a.ops->poll(&X.a, &err) == 0, "poll: %s", err.msg);
}

static void
write_bytes(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Write a file into the drop directory the safe way: a hidden name, then
 * a rename into place. */
static void
drop_bytes(const char *name, const char *data, size_t len)
{
	char *tmp = hg_xasprintf("%s/.tmp.%s", X.in, name);
	char *dst = hg_xasprintf("%s/%s", X.in, name);

	write_bytes(tmp, data, len);
	ck_assert_int_eq(rename(tmp, dst), 0);
	free(tmp);
	free(dst);
}

/* UTF-8 text as GBK bytes (GB18030), the legacy export encoding. */
static char *
gbk(const char *utf8, size_t *len)
{
	struct hg_err err;
	char *out;

	ck_assert_msg(hg_text_from_utf8("GB18030", utf8, strlen(utf8), &out,
	    len, &err) == 0, "%s", err.msg);
	return out;
}

static void
drop_gbk(const char *name, const char *utf8)
{
	size_t n;
	char *g = gbk(utf8, &n);

	drop_bytes(name, g, n);
	free(g);
}

/* Is NAME (plus suffix) in the drop directory's subdirectory sub ("" =
 * the drop directory itself)? */
static int
file_in(const char *sub, const char *name, const char *suffix)
{
	struct stat st;
	char *p = hg_xasprintf("%s%s%s/%s%s", X.in, *sub ? "/" : "", sub,
	    name, suffix);
	int rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = hg_xmalloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* NAME.err, in rejected/ or, beside a file whose bills were all
 * committed, in done/ */
static char *
err_file(const char *name)
{
	char *p = hg_xasprintf("%s/rejected/%s.err", X.in, name);
	char *s = slurp(p);

	free(p);
	if (s != NULL)
		return s;
	p = hg_xasprintf("%s/done/%s.err", X.in, name);
	s = slurp(p);
	free(p);
	return s;
}

/* Does text hold a line starting with want? */
static int
has_line(const char *text, const char *want)
{
	const char *p = text;
	size_t n = strlen(want);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, want, n) == 0)
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

static struct hg_bill *
held(const char *key)
{
	const char *json = hg_mock_sink_get(X.m, key);
	struct hg_bill *b;
	struct hg_err err;

	ck_assert_msg(json != NULL, "no bill %s", key);
	ck_assert_msg(hg_bill_from_json(json, &b, &err) == 0, "%s", err.msg);
	return b;
}

#define KEY1	"ZY2024000123|2024-03-01 08:30:00"
#define KEY2	"ZY2024000999|2024-03-02 10:00:00"

START_TEST(test_sample)
{
	struct hg_bill *b;

	fx_start(NULL);
	drop_gbk("bills-0301.csv", SAMPLE);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert_int_eq(X.m->ncommits, 1);
	ck_assert_str_eq(X.m->last_cursor, "bills-0301.csv");
	b = held(KEY1);
	ck_assert_str_eq(b->ipt_no, "ZY2024000123");
	ck_assert_str_eq(b->psn_name, "王芳");
	ck_assert_str_eq(b->gender, "2");
	ck_assert_str_eq(b->certno, "11010519491231002X");
	ck_assert_str_eq(b->card_no, "A12345678");
	ck_assert_str_eq(b->adm_time, "2024-03-01 08:30:00");
	ck_assert_str_eq(b->dscg_time, "2024-03-05 10:00:00");
	ck_assert_str_eq(b->dept_code, "0312");
	ck_assert_int_eq(b->ndiags, 1);
	ck_assert_str_eq(b->diags[0].code, "J18.900");
	ck_assert_int_eq(b->diags[0].main, 1);
	ck_assert_str_eq(b->adapter, "his");
	ck_assert_str_eq(b->source_ref, "bills-0301.csv lines 2-4");
	ck_assert_int_eq(b->line, 2);
	ck_assert_int_eq(b->nfees, 3);
	ck_assert_str_eq(b->fees[0].sn, "1");
	ck_assert_str_eq(b->fees[0].local_code, "YP000456");
	ck_assert_str_eq(b->fees[0].nat_code, "XJ01DCA040B002010100001");
	ck_assert_str_eq(b->fees[0].name, "注射用头孢呋辛钠");
	ck_assert_str_eq(b->fees[0].spec, "0.75g");
	ck_assert_str_eq(b->fees[0].time, "2024-03-01 09:10:00");
	ck_assert_int_eq(b->fees[0].qty, 40000);
	ck_assert_int_eq(b->fees[0].price, 12500000);
	ck_assert_int_eq(b->fees[0].amount, 5000);
	ck_assert_ptr_null(b->fees[1].spec);
	ck_assert_int_eq(b->fees[1].amount, 10000);
	ck_assert_int_eq(b->fees[2].qty, 20000);
	ck_assert_int_eq(b->fees[2].price, 3600000);
	ck_assert_int_eq(b->fees[2].amount, 720);
	ck_assert_int_eq(b->fees[2].line, 4);
	ck_assert_int_eq(hg_bill_sum(b), 15720);
	ck_assert_int_eq(b->has_total, 0);
	hg_bill_free(b);
	ck_assert(file_in("done", "bills-0301.csv", ""));
	ck_assert(!file_in("", "bills-0301.csv", ""));
	ck_assert(!file_in("rejected", "bills-0301.csv", ".err"));
	/* the same file again: a no-op for the sink, a new name in done/ */
	drop_gbk("bills-0301.csv", SAMPLE);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert_int_eq(X.m->nsame, 1);
	ck_assert(file_in("done", "bills-0301.1.csv", ""));
	fx_stop();
}
END_TEST

/* Many bills per file, one of them with its lines apart. */
START_TEST(test_grouping)
{
	struct hg_bill *b;

	fx_start(NULL);
	drop_gbk("many.csv", HDR L1 L2 O1 L3 O2);
	poll_ok();
	ck_assert_int_eq(X.m->n, 2);
	ck_assert_int_eq(X.m->ncommits, 1);	/* a small file: one call */
	b = held(KEY1);
	ck_assert_int_eq(b->nfees, 3);
	ck_assert_str_eq(b->source_ref, "many.csv lines 2-5");
	ck_assert_int_eq(b->fees[2].line, 5);
	hg_bill_free(b);
	b = held(KEY2);
	ck_assert_int_eq(b->nfees, 2);
	ck_assert_str_eq(b->gender, "1");
	ck_assert_str_eq(b->source_ref, "many.csv lines 4-6");
	hg_bill_free(b);
	ck_assert(file_in("done", "many.csv", ""));
	fx_stop();
}
END_TEST

/* One defect on one line of the first bill; the second bill of the file
 * must still be committed, the first not, and the .err must say exactly
 * where and what. */
static const struct {
	int	 line;
	const char *from, *to;	/* UTF-8; to_raw: GBK bytes as they are */
	int	 to_raw;
	const char *want;
} defects[] = {
	{ 3, ",王芳,", ",\xCD\xF5\xB7,", 1,
	  "3:2: 姓名 (psn_name): invalid GB18030 byte sequence" },
	{ 2, ",11010519491231002X,", ",1.10105E+17,", 0,
	  "2:4: 身份证号 (certno): \"1.10105E+17\" looks damaged by Excel (scientific "
	  "notation); expected the full number, exported as text" },
	{ 3, ",普通床位费,", ",普通床位费,单人间,", 0,
	  "3:24: record: 24 fields, expected 23 as in the header (a delimiter "
	  "inside an unquoted field?)" },
	{ 4, ",卫生材料费,乙", "", 0,
	  "4:22: record: 21 fields, expected 23 as in the header" },
	{ 2, ",2024-03-01 09:10:00,", ",03/01/2024,", 0,
	  "2:13: 费用时间 (fee_ocur_time): \"03/01/2024\" is not a time like "
	  "\"2024-03-01 08:30:00\" (date_formats: " },
	{ 3, ",2024-03-01 08:30:00,", ",2024030108,", 0,
	  "3:6: 入院时间 (begntime): \"2024030108\" is not a time like \"2024-03-01 "
	  "08:30:00\" (date_formats: " },
	{ 4, ",2024-03-05 10:00:00,", ",1/8/2024 00:00:00,", 0,
	  "4:7: 出院时间 (endtime): \"1/8/2024 00:00:00\" is not a time like "
	  "\"2024-03-01 08:30:00\" (date_formats: " },
	{ 3, ",2024-03-01 00:00:00,", ",2023-02-30,", 0,
	  "3:13: 费用时间 (fee_ocur_time): \"2023-02-30\" is not a real date" },
	{ 2, ",4,12.5000,", ",12.3.4,12.5000,", 0,
	  "2:18: 数量 (cnt): \"12.3.4\" is not a plain decimal number (expected "
	  "digits with at most 4 decimal places, like \"2.0000\")" },
	{ 2, ",4,12.5000,", ",1.10105E+17,12.5000,", 0,
	  "2:18: 数量 (cnt): \"1.10105E+17\" is not a plain decimal number" },
	{ 4, ",2,3.6000,", ",,3.6000,", 0,
	  "4:18: 数量 (cnt): empty, expected a number" },
	{ 4, ",7.20,", ",7.205,", 0,
	  "4:20: 金额 (det_item_fee_sumamt): \"7.205\" has more than 2 decimal "
	  "places" },
	{ 3, ",2024-03-05 10:00:00,", ",2024-03-06 10:00:00,", 0,
	  "3:7: 出院时间 (endtime): \"2024-03-06 10:00:00\", but line 2 of the same bill "
	  "has \"2024-03-05 10:00:00\" (a bill's fields must be the same on "
	  "all its lines)" },
	{ 4, ",王芳,", ",王方,", 0,
	  "4:2: 姓名 (psn_name): differs from line 2 of the same bill (a bill's "
	  "fields must be the same on all its lines)" },
	{ 3, "ZY2024000123,", ",", 0,
	  "3:1: 住院号 (ipt_no): empty, expected a value (it is part of the bill key)" },
	/* 呼吸内 in GBK, then the lead byte of 科 cut off */
	{ 2, ",呼吸内科,", ",\xBA\xF4\xCE\xFC\xC4\xDA\xBF,", 1,
	  "2:11: 科室名称 (dept_name): invalid GB18030 byte sequence" },
};

static char *
replace_once(const char *s, size_t slen, const char *from, size_t flen,
    const char *to, size_t tlen, size_t *outlen)
{
	const char *p = memmem(s, slen, from, flen);
	char *out;

	ck_assert_ptr_nonnull(p);
	out = hg_xmalloc(slen - flen + tlen + 1);
	memcpy(out, s, (size_t)(p - s));
	memcpy(out + (p - s), to, tlen);
	memcpy(out + (p - s) + tlen, p + flen, slen - (size_t)(p - s) - flen);
	*outlen = slen - flen + tlen;
	out[*outlen] = '\0';
	return out;
}

/* Is there a bill among those held whose own problems (bill->problems)
 * hold the problem of an .err line "L:C: column (field): msg" or
 * "L:C: field: msg"? */
static int
bad_bill_has(const char *want)
{
	const char *f, *fe, *m;
	struct hg_bill *b;
	struct hg_err err;
	char *text;
	size_t i;
	int found = 0;

	if ((f = strchr(want, '(')) != NULL && (fe = strstr(f, "): ")) != NULL)
		m = fe + 3, f++;
	else {
		f = strchr(strchr(want, ':') + 1, ':') + 2;
		fe = strstr(f, ": ");
		m = fe + 2;
	}
	/* want may be the start of the line only */
	text = hg_xasprintf("%d\t%.*s\t%s", atoi(want), (int)(fe - f), f, m);
	for (i = 0; i < X.m->n && !found; i++) {
		ck_assert(hg_bill_from_json(X.m->json[i], &b, &err) == 0);
		found = b->problems != NULL && strstr(b->problems, text) != NULL;
		hg_bill_free(b);
	}
	free(text);
	return found;
}

START_TEST(test_defects)
{
	static const char *const lines[] = { NULL, NULL, L1, L2, L3 };
	char *hdr, *line, *rest, *bad, *from, *to, *all, *errs;
	size_t nh, nl, nr, nb, nf, nt;
	int i;

	fx_start(NULL);
	/* the file: header, the first bill with one line broken, then the
	 * second bill */
	hdr = gbk(HDR, &nh);
	line = gbk(lines[defects[_i].line], &nl);
	from = gbk(defects[_i].from, &nf);
	if (defects[_i].to_raw) {
		to = hg_xstrdup(defects[_i].to);
		nt = strlen(to);
	} else {
		to = gbk(defects[_i].to, &nt);
	}
	bad = replace_once(line, nl, from, nf, to, nt, &nb);
	all = hg_xmalloc(nh + 4 * (nl + 64) + 1024);
	memcpy(all, hdr, nh);
	nr = nh;
	for (i = 2; i <= 4; i++) {
		char *g;
		size_t ng;

		if (i == defects[_i].line) {
			memcpy(all + nr, bad, nb);
			nr += nb;
			continue;
		}
		g = gbk(lines[i], &ng);
		memcpy(all + nr, g, ng);
		nr += ng;
		free(g);
	}
	rest = gbk(O1 O2, &nl);
	memcpy(all + nr, rest, nl);
	nr += nl;
	drop_bytes("defect.csv", all, nr);
	poll_ok();
	errs = err_file("defect.csv");
	ck_assert_msg(errs != NULL, "case %d: no .err", _i);
	ck_assert_msg(has_line(errs, defects[_i].want),
	    "case %d: .err lacks\n%s\nit has:\n%s", _i, defects[_i].want,
	    errs);
	ck_assert_msg(has_line(errs, "# defect.csv: "), "no summary: %s",
	    errs);
	/* the bad bill is committed too, invalid with its problem, and
	 * the file goes to done/: nothing of it is only in the .err */
	ck_assert_msg(strstr(errs, "2 bills: 2 committed (1 invalid") != NULL,
	    "case %d: %s", _i, errs);
	ck_assert_msg(X.m->n == 2 && hg_mock_sink_get(X.m, KEY2) != NULL,
	    "case %d: %zu bills held", _i, X.m->n);
	ck_assert_msg(bad_bill_has(defects[_i].want), "case %d: no bill "
	    "carries %s", _i, defects[_i].want);
	ck_assert(file_in("done", "defect.csv", "") &&
	    file_in("done", "defect.csv", ".err"));
	ck_assert(!file_in("rejected", "defect.csv", ""));
	ck_assert(!file_in("", "defect.csv", ""));
	/* a broken line's cells are not read: no problem of the fields
	 * it was not read for */
	ck_assert_msg(strstr(errs, "of the same bill (a bill's fields") ==
	    NULL || strstr(defects[_i].want, "of the same bill") != NULL,
	    "case %d: %s", _i, errs);
	free(errs);
	free(hdr);
	free(line);
	free(rest);
	free(bad);
	free(from);
	free(to);
	free(all);
	fx_stop();
}
END_TEST

/* What the sink says about a bill lands in the .err with the column of
 * the field. */
START_TEST(test_verdict_problems)
{
	char *errs;

	fx_start(NULL);
	hg_mock_sink_verdict(X.m, KEY1, HG_V_INVALID, 3, "medins_list_codg",
	    "未对码: YP9 注射液");
	hg_mock_sink_verdict(X.m, KEY1, HG_V_INVALID, 0, "feedetail",
	    "no fee lines, expected at least one");
	drop_gbk("v.csv", SAMPLE);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);	/* committed, waiting for a fix */
	errs = err_file("v.csv");
	ck_assert_ptr_nonnull(errs);
	ck_assert_msg(has_line(errs, "3:14: 院内项目编码 (medins_list_codg): 未对码: YP9 "
	    "注射液\n"), "%s", errs);
	/* no line: the bill's first line; no column: 0 */
	ck_assert_msg(has_line(errs, "2:0: feedetail: no fee lines"), "%s",
	    errs);
	ck_assert_msg(has_line(errs, "# v.csv: 2 problems; 1 bill: 1 committed "
	    "(1 invalid, waiting in the outbox for a fix), 0 not committed"),
	    "%s", errs);
	/* every bill is in the outbox: done/, its .err beside it */
	ck_assert(file_in("done", "v.csv", ""));
	ck_assert(file_in("done", "v.csv", ".err"));
	ck_assert(!file_in("rejected", "v.csv", ""));
	free(errs);
	fx_stop();
}
END_TEST

/* Disk full: the file stays, nothing is acknowledged; a later poll commits
 * it and moves it. */
START_TEST(test_etemp)
{
	fx_start(NULL);
	hg_mock_sink_fail(X.m, 2);
	drop_gbk("t.csv", SAMPLE);
	poll_ok();
	ck_assert_int_eq(X.m->nfailed, 1);
	ck_assert_int_eq(X.m->n, 0);
	ck_assert(file_in("", "t.csv", ""));
	ck_assert(!file_in("done", "t.csv", ""));
	ck_assert(!file_in("rejected", "t.csv", ""));
	/* backing off: an immediate poll does not retry */
	poll_ok();
	ck_assert_int_eq(X.m->nfailed, 1);
	usleep(1100 * 1000);
	poll_ok();
	ck_assert_int_eq(X.m->nfailed, 2);
	ck_assert(file_in("", "t.csv", ""));
	usleep(2100 * 1000);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert(file_in("done", "t.csv", ""));
	ck_assert(!file_in("", "t.csv", ""));
	fx_stop();
}
END_TEST

/* After the sink refuses, no file is tried until the backoff ends: a full
 * disk is not hammered once per file and poll. */
START_TEST(test_etemp_backoff_all)
{
	fx_start(NULL);
	hg_mock_sink_fail(X.m, 1);
	drop_gbk("a.csv", SAMPLE);
	drop_gbk("b.csv", HDR O1 O2);
	poll_ok();
	ck_assert_int_eq(X.m->nfailed, 1);
	poll_ok();
	ck_assert_int_eq(X.m->nfailed, 1);
	ck_assert_int_eq(X.m->ncommits, 0);
	ck_assert(file_in("", "a.csv", "") && file_in("", "b.csv", ""));
	usleep(1100 * 1000);
	poll_ok();
	ck_assert_int_eq(X.m->n, 2);
	ck_assert(file_in("done", "a.csv", "") && file_in("done", "b.csv", ""));
	fx_stop();
}
END_TEST

/* A file of 1200 bills goes in three batches (500 bills per call); the
 * second fails.  The first is committed, the file stays; the retry reads
 * the whole file again, the first batch is a no-op, and every bill is
 * held exactly once. */
START_TEST(test_etemp_midfile)
{
	char *text, *line;
	size_t len, cap = 1 << 20, i;

	text = hg_xmalloc(cap);
	len = (size_t)snprintf(text, cap, "%s", HDR);
	for (i = 0; i < 1200; i++) {
		line = hg_xasprintf("ZY%010zu,王芳,女,11010519491231002X,,"
		    "2024-03-01 08:30:00,2024-03-05 10:00:00,J18.900,肺炎,0312,"
		    "呼吸内科,1,2024-03-01 09:10:00,CW0001,普通床位费,,日,4,"
		    "25.0000,100.00,001102000010000,床位费,甲\r\n", i);
		ck_assert(len + strlen(line) < cap);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
	fx_start(NULL);
	hg_mock_sink_fail_after(X.m, 1, 1);
	drop_gbk("big.csv", text);
	poll_ok();
	ck_assert_int_eq(X.m->ncommits, 1);
	ck_assert_int_eq(X.m->nfailed, 1);
	ck_assert_int_eq(X.m->n, 500);
	ck_assert(file_in("", "big.csv", ""));
	ck_assert(!file_in("done", "big.csv", ""));
	usleep(1100 * 1000);
	poll_ok();
	ck_assert_int_eq(X.m->ncommits, 4);
	ck_assert_int_eq(X.m->n, 1200);
	ck_assert_int_eq(X.m->nsame, 500);
	ck_assert_int_eq(X.m->nbills_handed, 1700);
	ck_assert(file_in("done", "big.csv", ""));
	ck_assert(!file_in("", "big.csv", ""));
	free(text);
	fx_stop();
}
END_TEST

/* Dry run (hisgate adapter test): bills reach the sink, nothing moves and
 * no .err is written. */
START_TEST(test_dry)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	fx_start(NULL);
	X.m->sink.dry = 1;
	drop_gbk("a.csv", SAMPLE);
	drop_gbk("b.csv", HDR "ZY1,王芳,女,1.10105E+17,,2024-03-01 08:30:00,,,,,,1,"
	    "2024-03-01 09:00:00,X,Y,,,1,1,1.00,,,\r\n");
	poll_ok();
	/* b.csv's bill too, invalid: adapter test shows what it would be */
	ck_assert_int_eq(X.m->ndry, 2);
	ck_assert_int_eq(X.m->n, 0);
	ck_assert(file_in("", "a.csv", ""));
	ck_assert(file_in("", "b.csv", ""));
	d = opendir(X.tmp);
	while ((e = readdir(d)) != NULL)
		n++;
	closedir(d);
	ck_assert_int_eq(n, 3);		/* ., .., in */
	ck_assert(!file_in("rejected", "b.csv", ".err"));
	ck_assert(!file_in("done", "a.csv", ""));
	fx_stop();
}
END_TEST

static unsigned
mode_of(const char *sub, const char *name)
{
	struct stat st;
	char *p = hg_xasprintf("%s/%s%s%s", X.in, sub, *sub ? "/" : "", name);

	ck_assert_msg(stat(p, &st) == 0, "%s: %s", p, strerror(errno));
	free(p);
	return (unsigned)(st.st_mode & 07777);
}

/* Another thread may narrow the umask for a moment (the outbox does):
 * the modes are set on what is created, not left to the umask. */
START_TEST(test_modes)
{
	mode_t old = umask(077);

	fx_start(NULL);
	umask(old);
	ck_assert_uint_eq(mode_of("", "."), 0750);
	ck_assert_uint_eq(mode_of("done", "."), 0750);
	ck_assert_uint_eq(mode_of("rejected", "."), 0750);
	umask(077);
	drop_gbk("bad.csv", HDR "ZY1,王芳\r\n");
	poll_ok();
	umask(old);
	/* a short line: its bill is committed invalid, the file is done */
	ck_assert(file_in("done", "bad.csv", ".err"));
	ck_assert_uint_eq(mode_of("done", "bad.csv.err"), 0640);
	/* not text: rejected, its .err 0640 too */
	umask(077);
	drop_bytes("bin.csv", "\0\0\0\0\0\0\0\0\1\2\3\4", 12);
	poll_ok();
	umask(old);
	ck_assert(file_in("rejected", "bin.csv", ".err"));
	ck_assert_uint_eq(mode_of("rejected", "bin.csv.err"), 0640);
	fx_stop();
}
END_TEST

/* A writer that touches the file while every reading of it is being
 * committed: the file changed each time, so it is read again and again,
 * but only max_rereads times; then it goes to rejected/ as it is, with
 * NAME.err saying why, and what was committed of it stays. */
static void
append_hook(struct hg_bill *b, struct hg_problem **probs, size_t *n,
    void *arg)
{
	FILE *fp = fopen(arg, "ab");

	(void)b;
	(void)probs;
	(void)n;
	if (fp != NULL) {
		fputs("\r\n", fp);
		fclose(fp);
	}
}

START_TEST(test_max_rereads)
{
	char *path, *errs;
	int i;

	fx_start("max_rereads = 3;");
	path = hg_xasprintf("%s/busy.csv", X.in);
	X.m->check = append_hook;
	X.m->check_arg = path;
	drop_gbk("busy.csv", SAMPLE);
	for (i = 0; i < 2; i++) {
		poll_ok();
		ck_assert_msg(file_in("", "busy.csv", ""), "gone after %d", i);
	}
	poll_ok();
	ck_assert(!file_in("", "busy.csv", ""));
	ck_assert(file_in("rejected", "busy.csv", ""));
	errs = err_file("busy.csv");
	ck_assert_msg(errs != NULL && strstr(errs, "0:0: file: changed while "
	    "it was read 3 times in a row (max_rereads = 3)") != NULL, "%s",
	    errs ? errs : "no .err");
	/* its bill was committed (each time, the same) */
	ck_assert_ptr_nonnull(hg_mock_sink_get(X.m, KEY1));
	/* still written to in rejected/: it stays there */
	X.m->check = NULL;
	free(path);
	path = hg_xasprintf("%s/rejected/busy.csv", X.in);
	append_hook(NULL, NULL, NULL, path);
	poll_ok();
	ck_assert(file_in("rejected", "busy.csv", ""));
	ck_assert(!file_in("", "busy.csv", ""));
	free(errs);
	free(path);
	fx_stop();
}
END_TEST

START_TEST(test_marker)
{
	char *p;

	fx_start("complete = \"marker\";");
	drop_gbk("m.csv", SAMPLE);
	poll_ok();
	ck_assert_int_eq(X.m->n, 0);
	ck_assert(file_in("", "m.csv", ""));
	p = hg_xasprintf("%s/m.csv.ok", X.in);
	write_bytes(p, "", 0);
	free(p);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert(file_in("done", "m.csv", ""));
	ck_assert(file_in("done", "m.csv.ok", ""));
	ck_assert(!file_in("", "m.csv.ok", ""));
	fx_stop();
}
END_TEST

/* Stable: a file written in place is read only once it has not changed
 * for stable_seconds. */
START_TEST(test_stable)
{
	char *p, *g;
	size_t n;

	fx_start("stable_seconds = 1;");
	p = hg_xasprintf("%s/s.csv", X.in);
	g = gbk(SAMPLE, &n);
	write_bytes(p, g, n);
	poll_ok();
	ck_assert_int_eq(X.m->n, 0);
	ck_assert(file_in("", "s.csv", ""));
	usleep(1200 * 1000);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert(file_in("done", "s.csv", ""));
	/* renamed into place: complete at once */
	drop_gbk("r.csv", HDR O1);
	poll_ok();
	ck_assert_int_eq(X.m->n, 2);
	free(p);
	free(g);
	fx_stop();
}
END_TEST

/* Rename: only files renamed into dir are read. */
START_TEST(test_rename_mode)
{
	struct hg_err err;
	char *p, *g;
	size_t n;

	fx_start("complete = \"rename\";");
	p = hg_xasprintf("%s/w.csv", X.in);
	g = gbk(SAMPLE, &n);
	write_bytes(p, g, n);
	poll_ok();
	usleep(100 * 1000);
	poll_ok();
	ck_assert_int_eq(X.m->n, 0);
	drop_gbk("r.csv", HDR O1);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert(file_in("done", "r.csv", ""));
	ck_assert(file_in("", "w.csv", ""));
	/* a restart: what is already there got no event while the agent was
	 * down, so it is read once stable, never left behind */
	X.a.ops->destroy(&X.a);
	ck_assert_int_eq(X.a.ops->init(&X.a, &err), 0);
	poll_ok();
	ck_assert_int_eq(X.m->n, 2);
	ck_assert(file_in("done", "w.csv", ""));
	free(p);
	free(g);
	fx_stop();
}
END_TEST

START_TEST(test_all_or_nothing)
{
	char *errs;

	fx_start("all_or_nothing = true;");
	drop_gbk("x.csv", HDR L1 L2 O1 O2 "ZY7,王芳,女,11010519491231002X,,"
	    "2024-03-01 08:30:00,2024-03-05 10:00:00,J18.900,肺炎,0312,呼吸内科,"
	    "1,2024-03-01 09:10:00,YP000456,注射用头孢呋辛钠,0.75g,支,12.3.4,"
	    "12.5000,50.00,,西药费,乙\r\n");
	poll_ok();
	ck_assert_int_eq(X.m->n, 0);
	ck_assert_int_eq(X.m->ncommits, 0);
	errs = err_file("x.csv");
	ck_assert_ptr_nonnull(errs);
	ck_assert_msg(has_line(errs, "6:18: 数量 (cnt): \"12.3.4\""), "%s", errs);
	ck_assert_msg(strstr(errs, "3 bills: 0 committed") != NULL, "%s",
	    errs);
	ck_assert_msg(strstr(errs, "all_or_nothing") != NULL, "%s", errs);
	free(errs);
	/* an invalid verdict also keeps the whole file out */
	hg_mock_sink_verdict(X.m, KEY2, HG_V_INVALID, 5, "med_list_codg",
	    "未对码: CW0001 普通床位费");
	drop_gbk("y.csv", HDR L1 L2 O1 O2);
	poll_ok();
	ck_assert_int_eq(X.m->n, 0);
	errs = err_file("y.csv");
	ck_assert_ptr_nonnull(errs);
	ck_assert_msg(has_line(errs, "5:21: 医保目录编码 (med_list_codg): 未对码: CW0001"),
	    "%s", errs);
	free(errs);
	/* a clean file goes through */
	drop_gbk("z.csv", SAMPLE);
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert(file_in("done", "z.csv", ""));
	fx_stop();
}
END_TEST

START_TEST(test_summary_rows)
{
	char *errs;

	fx_start(NULL);
	drop_gbk("s.csv", SAMPLE "合计,,,,,,,,,,,,,,,,,,,157.20,,,\r\n");
	poll_ok();
	ck_assert_int_eq(X.m->n, 1);
	ck_assert(file_in("done", "s.csv", ""));
	ck_assert(!file_in("rejected", "s.csv", ".err"));
	/* noted when the file has a problem anyway */
	drop_gbk("t.csv", HDR L1 O1 "ZY9,王芳,女,11010519491231002X,,3/1/2024,,,,"
	    ",,1,,X,Y,,,1,1,1.00,,,\r\n" "总计,,,,,,,,,,,,,,,,,,,157.20,,,\r\n");
	poll_ok();
	errs = err_file("t.csv");
	ck_assert_ptr_nonnull(errs);
	ck_assert_msg(has_line(errs, "5:1: 住院号 (ipt_no): note: summary row \"总计\" "
	    "skipped"), "%s", errs);
	ck_assert_msg(has_line(errs, "4:6: 入院时间 (begntime): \"3/1/2024\""), "%s",
	    errs);
	free(errs);
	fx_stop();
}
END_TEST

START_TEST(test_file_level)
{
	char *errs, *big;

	fx_start("max_file_mb = 1;");
	drop_bytes("empty.csv", "", 0);
	drop_gbk("hdr.csv", HDR);
	drop_gbk("semi.csv", "住院号;姓名;身份证号\r\nZY1;王芳;1\r\n");
	drop_gbk("nocnt.csv", "住院号,姓名,身份证号,入院时间,出院时间,明细序号,费用时间,"
	    "院内项目编码,项目名称,单价,金额\r\n");
	big = hg_xcalloc(1, 1100 * 1024);
	memset(big, 'a', 1100 * 1024);
	drop_bytes("big.csv", big, 1100 * 1024);
	free(big);
	poll_ok();
	ck_assert_int_eq(X.m->n, 0);
	errs = err_file("empty.csv");
	ck_assert_msg(errs && has_line(errs, "0:0: file: empty, expected a "
	    "header line and fee lines"), "%s", errs);
	free(errs);
	errs = err_file("hdr.csv");
	ck_assert_msg(errs && has_line(errs, "0:0: file: only a header line"),
	    "%s", errs);
	free(errs);
	errs = err_file("semi.csv");
	ck_assert_msg(errs && has_line(errs, "1:1: header: no \",\" in the "
	    "header line; the file seems to use \";\" (set delimiter = "
	    "\";\")"), "%s", errs);
	free(errs);
	errs = err_file("nocnt.csv");
	ck_assert_msg(errs && has_line(errs, "1:0: cnt: column \"数量\" not "
	    "found in the header\n"), "%s", errs);
	free(errs);
	errs = err_file("big.csv");
	ck_assert_msg(errs && has_line(errs, "0:0: file: 1126400 bytes is "
	    "larger than max_file_mb = 1; not read"), "%s", errs);
	free(errs);
	fx_stop();
}
END_TEST

/* Configured columns: pinyin headers, column numbers, a tab-separated
 * file without a header. */
START_TEST(test_columns)
{
	struct hg_bill *b;

	fx_start("columns = { ipt_no = \"ZYH\"; psn_name = \"XM\"; "
	    "certno = \"SFZH\"; begntime = \"RYRQ\"; endtime = \"CYRQ\"; "
	    "feedetl_sn = 6; fee_ocur_time = \"FYSJ\"; "
	    "medins_list_codg = \"XMBM\"; name = \"XMMC\"; cnt = \"SL\"; "
	    "pric = \"DJ\"; det_item_fee_sumamt = \"JE\"; };");
	drop_gbk("py.csv", "ZYH,XM,SFZH,RYRQ,CYRQ,XH,FYSJ,XMBM,XMMC,SL,DJ,JE\n"
	    "ZY5,张三,11010519491231002x,2024-03-01,2024-03-02,7,"
	    "2024-03-01 10:00:00,CW1,床位,1,25,25\n");
	poll_ok();
	b = held("ZY5|2024-03-01 00:00:00");
	ck_assert_str_eq(b->certno, "11010519491231002X");
	ck_assert_str_eq(b->fees[0].sn, "7");
	ck_assert_int_eq(b->fees[0].price, 25000000);
	hg_bill_free(b);
	fx_stop();

	fx_start("header = false; delimiter = \"\\t\"; key = [\"ipt_no\"];\n"
	    "columns = { ipt_no = 1; psn_name = 2; certno = 3; begntime = 4; "
	    "endtime = 5; feedetl_sn = 6; fee_ocur_time = 7; "
	    "medins_list_codg = 8; name = 9; cnt = 10; pric = 11; "
	    "det_item_fee_sumamt = 12; };");
	drop_gbk("tab.txt", "ZY6\t张三\t11010519491231002X\t2024-03-01\t"
	    "2024-03-02\t1\t2024-03-01\tCW1\t床位\t1\t25\t25\r\n");
	poll_ok();
	b = held("ZY6");
	ck_assert_int_eq(b->fees[0].amount, 2500);
	hg_bill_free(b);
	fx_stop();
}
END_TEST

/* --- done/ retention ----------------------------------------------------- */

static enum hg_spool_rc
read_nothing(void *arg, struct hg_spool_file *f, struct hg_err *err)
{
	(void)arg;
	(void)f;
	(void)err;
	return HG_SPOOL_READ;
}

START_TEST(test_retention)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_spool_keys k;
	struct hg_spool_conf c;
	struct hg_spool *s;
	struct hg_err err;
	char *tmp = hg_tmpdir(), *p;

	memset(&k, 0, sizeof k);
	k.dir = hg_xasprintf("%s/in", tmp);
	k.done_dir = "<dir>/done";
	k.rejected_dir = "<dir>/rejected";
	k.pattern = "*.csv";
	k.complete = "stable";
	k.marker_suffix = ".ok";
	k.rescan_seconds = 5;
	k.max_file_mb = 1;
	k.done_keep_days = 2;
	ck_assert_int_eq(hg_spool_compile(&k, NULL, "his.conf", 1, &errs, &c),
	    0);
	ck_assert_msg(hg_spool_open(&c, "his", 0, read_nothing, NULL, &s,
	    &err) == 0, "%s", err.msg);
	p = hg_xasprintf("%s/done/a.csv", k.dir);
	write_bytes(p, "x", 1);
	free(p);
	p = hg_xasprintf("%s/done/a.csv.err", k.dir);
	write_bytes(p, "x", 1);
	free(p);
	p = hg_xasprintf("%s/done/.keep", k.dir);
	write_bytes(p, "x", 1);
	free(p);
	X.in = k.dir;
	/* moved there now: kept one day later, gone three days later */
	hg_spool_prune(s, time(NULL) + 86400);
	ck_assert(file_in("done", "a.csv", "") && file_in("done", "a.csv",
	    ".err"));
	hg_spool_prune(s, time(NULL) + 3 * 86400);
	ck_assert(!file_in("done", "a.csv", "") && !file_in("done", "a.csv",
	    ".err"));
	ck_assert(file_in("done", ".keep", ""));
	/* 0 keeps everything */
	k.done_keep_days = 0;
	p = hg_xasprintf("%s/done/b.csv", k.dir);
	write_bytes(p, "x", 1);
	free(p);
	hg_spool_prune(s, time(NULL) + 3650 * 86400);
	ck_assert(file_in("done", "b.csv", ""));
	X.in = NULL;
	hg_spool_close(s);
	hg_spool_conf_free(&c);
	free(k.dir);
	hg_rmtree(tmp);
	free(tmp);
}
END_TEST

/* --- date formats -------------------------------------------------------- */

static const struct {
	const char *text, *want;	/* want NULL: not read */
} dates[] = {
	{ "2024-03-01 08:30:00", "2024-03-01 08:30:00" },
	{ "2024-03-01T08:30:00", "2024-03-01 08:30:00" },
	{ "2024-3-1 8:30", "2024-03-01 08:30:00" },
	{ "2024-03-01", "2024-03-01 00:00:00" },
	{ "2024/3/1 8:05:09", "2024-03-01 08:05:09" },
	{ "2024/12/31 23:59", "2024-12-31 23:59:00" },
	{ "2024/3/1", "2024-03-01 00:00:00" },
	{ "20240301083000", "2024-03-01 08:30:00" },
	{ "20240301", "2024-03-01 00:00:00" },
	{ "2024年3月1日", "2024-03-01 00:00:00" },
	{ "2024年3月1日 8:30:00", "2024-03-01 08:30:00" },
	/* fractions of a second (SQL Server, Oracle TIMESTAMP, .NET) are
	 * cut; dots as separators */
	{ "2024-03-01 08:30:00.000", "2024-03-01 08:30:00" },
	{ "2024-03-01 08:30:59.9", "2024-03-01 08:30:59" },
	{ "2024-03-01T08:30:00.1234567", "2024-03-01 08:30:00" },
	{ "2024/3/1 8:30:00.123456", "2024-03-01 08:30:00" },
	{ "2024.03.01 08:30:00", "2024-03-01 08:30:00" },
	{ "2024.3.1 8:30", "2024-03-01 08:30:00" },
	{ "2024.03.01", "2024-03-01 00:00:00" },
	{ "2024-03-01 08:30:00.", NULL },
	{ "2024-03-01 08:30:00.1234567890", NULL },
	/* month or day first is ambiguous: never guessed */
	{ "1/8/2024 00:00:00", NULL },
	{ "03/01/2024", NULL },
	{ "2024030108", NULL },
	{ "2024-003-01", NULL },
	{ "", NULL },
};

START_TEST(test_dates_default)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_strlist l = { NULL, 0 };
	struct hg_datefmt *d;
	char out[HG_TIMELEN], why[512], *list, *p, *save = NULL;

	list = hg_xstrdup(HG_DATEFMT_DEFAULT);
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		l.v = hg_xrealloc(l.v, l.n + 1, sizeof *l.v);
		l.v[l.n++] = p;
	}
	ck_assert_int_eq(hg_datefmt_new(&l, "his.conf", 1, &errs, &d), 0);
	if (dates[_i].want != NULL) {
		ck_assert_msg(hg_datefmt_parse(d, dates[_i].text, out, why,
		    sizeof why) == 0, "%s: %s", dates[_i].text, why);
		ck_assert_str_eq(out, dates[_i].want);
	} else {
		ck_assert_msg(hg_datefmt_parse(d, dates[_i].text, out, why,
		    sizeof why) < 0, "%s read as %s", dates[_i].text, out);
		ck_assert_msg(strstr(why, "is not a time like \"2024-03-01 "
		    "08:30:00\" (date_formats: yyyy-M-d H:mm:ss, ") != NULL,
		    "%s", why);
	}
	hg_datefmt_free(d);
	free(l.v);
	free(list);
}
END_TEST

START_TEST(test_dates_checks)
{
	struct hg_conf_errs errs = { NULL, 0 };
	char *one[] = { "dd.MM.yyyy HH:mm" };
	char *bad[] = { "yyyy-MM-dd hh:mm", "yy-MM-dd", "yyyyMd", "MM-dd" };
	struct hg_strlist l = { one, 1 };
	struct hg_datefmt *d;
	char out[HG_TIMELEN], why[512];
	size_t i;

	ck_assert_int_eq(hg_datefmt_new(&l, "his.conf", 3, &errs, &d), 0);
	ck_assert_int_eq(hg_datefmt_parse(d, "01.03.2024 08:30", out, why,
	    sizeof why), 0);
	ck_assert_str_eq(out, "2024-03-01 08:30:00");
	ck_assert_int_lt(hg_datefmt_parse(d, "30.02.2024 08:30", out, why,
	    sizeof why), 0);
	ck_assert_str_eq(why, "\"30.02.2024 08:30\" is not a real date");
	ck_assert_int_lt(hg_datefmt_parse(d, "01.03.2024 24:30", out, why,
	    sizeof why), 0);
	ck_assert_str_eq(why, "\"01.03.2024 24:30\" is not a real time of day");
	ck_assert_int_lt(hg_datefmt_parse(d, "2024-03-01 08:30:00", out, why,
	    sizeof why), 0);
	ck_assert_str_eq(why, "\"2024-03-01 08:30:00\" is not a time like "
	    "\"2024-03-01 08:30:00\" (date_formats: dd.MM.yyyy HH:mm)");
	hg_datefmt_free(d);
	{
		/* SSS takes exactly three digits; S needs ss */
		char *frac[] = { "yyyy-MM-dd HH:mm:ss.SSS" };
		char *badf[] = { "yyyy-MM-dd HH:mm:ss.SSSSSSS",
		    "yyyy-MM-dd HH:mm.S" };
		struct hg_strlist fl = { frac, 1 };

		ck_assert_int_eq(hg_datefmt_new(&fl, "his.conf", 3, &errs, &d),
		    0);
		ck_assert_int_eq(hg_datefmt_parse(d, "2024-03-01 08:30:07.250",
		    out, why, sizeof why), 0);
		ck_assert_str_eq(out, "2024-03-01 08:30:07");
		ck_assert_int_lt(hg_datefmt_parse(d, "2024-03-01 08:30:07.25",
		    out, why, sizeof why), 0);
		ck_assert_int_lt(hg_datefmt_parse(d, "2024-03-01 08:30:07.2500",
		    out, why, sizeof why), 0);
		hg_datefmt_free(d);
		fl.v = badf;
		fl.n = 2;
		ck_assert_int_eq(hg_datefmt_new(&fl, "his.conf", 3, &errs, &d),
		    2);
		ck_assert_msg(strstr(errs.msg[0], "fractions of a second are S "
		    "to SSSSSS") != NULL, "%s", errs.msg[0]);
		ck_assert_msg(strstr(errs.msg[1], "(S) without ss") != NULL,
		    "%s", errs.msg[1]);
		hg_datefmt_free(d);
		hg_conf_errs_free(&errs);
	}
	l.v = bad;
	l.n = 4;
	ck_assert_int_eq(hg_datefmt_new(&l, "his.conf", 3, &errs, &d), 4);
	for (i = 0; i < errs.n; i++)
		ck_assert_msg(strncmp(errs.msg[i], "his.conf:3: date_formats: \"",
		    27) == 0, "%s", errs.msg[i]);
	ck_assert_msg(strstr(errs.msg[0], "hh:mm\": a letter that is not") !=
	    NULL, "%s", errs.msg[0]);
	ck_assert_msg(strstr(errs.msg[2], "followed by another field") != NULL,
	    "%s", errs.msg[2]);
	hg_conf_errs_free(&errs);
	hg_datefmt_free(d);
}
END_TEST

/* date_formats in an adapter's config: the export's own form is read,
 * the default list no longer. */
START_TEST(test_dates_config)
{
	char *errs;
	struct hg_bill *b;

	fx_start("date_formats = [\"dd.MM.yyyy HH:mm:ss\", \"dd.MM.yyyy\"];");
	drop_gbk("d.csv", HDR "ZY7,王芳,女,11010519491231002X,,01.03.2024 "
	    "08:30:00,05.03.2024,,,,,1,01.03.2024 09:10:00,CW1,床位,,,1,25,"
	    "25.00,,,\r\n" "ZY8,王芳,女,11010519491231002X,,2024-03-01 "
	    "08:30:00,05.03.2024,,,,,1,01.03.2024 09:10:00,CW1,床位,,,1,25,"
	    "25.00,,,\r\n");
	poll_ok();
	b = held("ZY7|2024-03-01 08:30:00");
	ck_assert_str_eq(b->dscg_time, "2024-03-05 00:00:00");
	ck_assert_str_eq(b->fees[0].time, "2024-03-01 09:10:00");
	hg_bill_free(b);
	errs = err_file("d.csv");
	ck_assert_ptr_nonnull(errs);
	ck_assert_msg(has_line(errs, "3:6: 入院时间 (begntime): \"2024-03-01 "
	    "08:30:00\" is not a time like \"2024-03-01 08:30:00\" "
	    "(date_formats: dd.MM.yyyy HH:mm:ss, dd.MM.yyyy)"), "%s", errs);
	free(errs);
	fx_stop();
}
END_TEST

static const struct {
	const char *conf;
	const char *want;
} badconf[] = {
	{ "columns = { qty = \"数量\"; };", "his.conf:1: columns: \"qty\" is not "
	  "a canonical field name" },
	{ "header = false;", "columns.ipt_no: header = false, so every column "
	  "needs its number" },
	{ "header = false; columns = { ipt_no = \"ZYH\"; };",
	  "columns.ipt_no: \"ZYH\" is a header name, but header = false" },
	{ "delimiter = \"ab\";", "delimiter: \"ab\" is not one character" },
	{ "quote = \",\";", "quote: \",\" is not one character other than the "
	  "delimiter" },
	{ "key = [\"cnt\"];", "key: \"cnt\" is not a bill-level canonical "
	  "field" },
	{ "columns = { ipt_no = \"\"; };", "key: \"ipt_no\" has no column" },
	{ "done_dir = \"<dir>\";", "must be three different directories" },
	{ "complete = \"marker\"; marker_suffix = \"\";", "marker_suffix: empty" },
};

START_TEST(test_config_errors)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_adapter a;
	char *text;
	size_t i;
	int found = 0;

	memset(&a, 0, sizeof a);
	a.ops = &hg_adapter_csvdrop;
	a.name = "his";
	a.conf_file = "his.conf";
	text = hg_xasprintf("dir = \"/tmp/x\"; %s", badconf[_i].conf);
	load_conf(&a, text, &errs);
	ck_assert_msg(errs.n == 0, "%s", errs.n ? errs.msg[0] : "");
	ck_assert_int_gt(hg_adapter_csvdrop.check(&a, &errs, 1), 0);
	for (i = 0; i < errs.n; i++)
		if (strstr(errs.msg[i], badconf[_i].want) != NULL)
			found = 1;
	ck_assert_msg(found, "case %d: want \"%s\", got \"%s\"", _i,
	    badconf[_i].want, errs.n ? errs.msg[0] : "");
	hg_conf_errs_free(&errs);
	hg_conf_free(hg_adapter_csvdrop.config_map, a.conf);
	free(a.conf);
	free(text);
}
END_TEST

/* --- the corpus ---------------------------------------------------------- */

static void
validate_hook(struct hg_bill *b, struct hg_problem **probs, size_t *n,
    void *arg)
{
	struct hg_validate_opts o;

	hg_validate_defaults(&o);
	snprintf(o.now, sizeof o.now, "2026-01-01 00:00:00");
	hg_mapping_apply(arg, b, probs, n);
	hg_validate(b, &o, probs, n);
}

static void
copy_file(const char *from, const char *to)
{
	char *data;
	FILE *fp = fopen(from, "rb");
	long n;

	ck_assert_msg(fp != NULL, "%s", from);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	data = hg_xmalloc((size_t)n + 1);
	ck_assert_int_eq(fread(data, 1, (size_t)n, fp), n);
	fclose(fp);
	write_bytes(to, data, (size_t)n);
	free(data);
}

/* Every file of t/data/bad through one adapter with the agent's own
 * mapping and validation: each gets exactly the reason EXPECTED names. */
START_TEST(test_corpus)
{
	const char *top = getenv("top_srcdir");
	char *dir, *exp, *line, *save = NULL, *name, *want, *p, *errs;
	int nfiles = 0, nok = 0;

	dir = hg_xasprintf("%s/t/data/bad", top ? top : "..");
	p = hg_xasprintf("%s/EXPECTED", dir);
	exp = slurp(p);
	ck_assert_msg(exp != NULL, "%s", p);
	free(p);
	fx_start(NULL);
	X.map = hg_mapping_empty();
	X.m->check = validate_hook;
	X.m->check_arg = X.map;
	for (line = strtok_r(exp, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *from, *to;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		name = line;
		want = strchr(line, ' ');
		ck_assert_ptr_nonnull(want);
		*want++ = '\0';
		if (strncmp(want, "generated", 9) == 0)
			continue;
		from = hg_xasprintf("%s/%s", dir, name);
		to = hg_xasprintf("%s/.tmp.%s", X.in, name);
		copy_file(from, to);
		p = hg_xasprintf("%s/%s", X.in, name);
		ck_assert_int_eq(rename(to, p), 0);
		free(p);
		free(from);
		free(to);
		nfiles++;
	}
	free(exp);
	ck_assert_int_ge(nfiles, 40);
	poll_ok();
	p = hg_xasprintf("%s/EXPECTED", dir);
	exp = slurp(p);
	free(p);
	save = NULL;
	for (line = strtok_r(exp, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		name = line;
		want = strchr(line, ' ');
		*want++ = '\0';
		if (strncmp(want, "generated", 9) == 0)
			continue;
		errs = err_file(name);
		if (strcmp(want, "ok") == 0) {
			ck_assert_msg(errs == NULL, "%s: expected ok, .err "
			    "says:\n%s", name, errs);
			ck_assert_msg(file_in("done", name, ""),
			    "%s: not in done/", name);
			nok++;
			continue;
		}
		ck_assert_msg(errs != NULL, "%s: no .err (expected \"%s\")",
		    name, want);
		ck_assert_msg(has_line(errs, want), "%s: .err lacks\n%s\n"
		    "it has:\n%s", name, want, errs);
		/* rejected/ only when the file cannot be read as bills at
		 * all (a problem of the whole file or of its header line);
		 * else done/, every bill committed (some invalid, waiting
		 * for a fix); the .err beside the file either way */
		if (strncmp(want, "0:0: file:", 10) == 0 ||
		    strncmp(want, "1:", 2) == 0)
			ck_assert_msg(file_in("rejected", name, "") &&
			    file_in("rejected", name, ".err") &&
			    !file_in("done", name, ""),
			    "%s: not with its .err in rejected/", name);
		else
			ck_assert_msg(file_in("done", name, "") &&
			    file_in("done", name, ".err") &&
			    !file_in("rejected", name, ""),
			    "%s: not with its .err in done/", name);
		free(errs);
	}
	ck_assert_int_ge(nok, 5);
	free(exp);
	free(dir);
	fx_stop();
}
END_TEST

/* --- a 100 MB export in bounded memory ----------------------------------- */

static char
checkchar(const char *d17)
{
	static const int w[] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
	    8, 4, 2 };
	static const char map[] = "10X98765432";
	int i, s = 0;

	for (i = 0; i < 17; i++)
		s += (d17[i] - '0') * w[i];
	return map[s % 11];
}

START_TEST(test_big_file)
{
	const char *mb_env = getenv("HG_BIG_MB");
	long mb = mb_env ? atol(mb_env) : 100;
	struct rusage ru;
	size_t nbills = 0, n;
	off_t size = 0;
	char id[19], *p, *hdr, *line;
	FILE *fp;
	int i;

	if (getenv("HG_SKIP_BIG") != NULL || mb <= 0)
		return;
	fx_start(NULL);
	X.m->sink.dry = 0;
	p = hg_xasprintf("%s/.tmp.big.csv", X.in);
	fp = fopen(p, "wb");
	ck_assert_ptr_nonnull(fp);
	hdr = gbk(HDR, &n);
	fwrite(hdr, 1, n, fp);
	size += (off_t)n;
	free(hdr);
	while (size < (off_t)mb * 1024 * 1024) {
		snprintf(id, sizeof id, "11010519%02zu%02zu%02zu%03zu",
		    50 + nbills % 40, 1 + nbills % 12, 1 + nbills % 28,
		    nbills % 1000);
		id[17] = checkchar(id);
		id[18] = '\0';
		for (i = 1; i <= 40; i++) {
			char *u = hg_xasprintf("ZY%010zu,王芳,女,%s,,"
			    "2024-03-01 08:30:00,2024-03-05 10:00:00,J18.900,"
			    "肺炎,0312,呼吸内科,%d,2024-03-02 09:10:00,YP000456,"
			    "注射用头孢呋辛钠,0.75g,支,4,12.5000,50.00,"
			    "XJ01DCA040B002010100001,西药费,乙\r\n", nbills, id,
			    i);
			line = gbk(u, &n);
			fwrite(line, 1, n, fp);
			size += (off_t)n;
			free(line);
			free(u);
		}
		nbills++;
	}
	ck_assert_int_eq(fclose(fp), 0);
	line = hg_xasprintf("%s/big.csv", X.in);
	ck_assert_int_eq(rename(p, line), 0);
	free(p);
	free(line);
	/* hold nothing but counts: the sink is not under test here */
	X.m->discard = 1;
	poll_ok();
	ck_assert_int_eq(X.m->nbills_handed, nbills);
	ck_assert(file_in("done", "big.csv", ""));
	getrusage(RUSAGE_SELF, &ru);
#if !defined(__SANITIZE_ADDRESS__)
	ck_assert_msg(ru.ru_maxrss < 16 * 1024, "peak RSS %ld kB",
	    ru.ru_maxrss);
#endif
	fx_stop();
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("csvdrop");
	TCase *tc = hg_tcase(s, "read", 30);

	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_grouping);
	tcase_add_loop_test(tc, test_defects, 0,
	    sizeof defects / sizeof defects[0]);
	tcase_add_test(tc, test_verdict_problems);
	tcase_add_test(tc, test_summary_rows);
	tcase_add_test(tc, test_file_level);
	tcase_add_test(tc, test_columns);
	tcase_add_loop_test(tc, test_config_errors, 0,
	    sizeof badconf / sizeof badconf[0]);
	tc = hg_tcase(s, "protocol", 60);
	tcase_add_test(tc, test_etemp);
	tcase_add_test(tc, test_etemp_midfile);
	tcase_add_test(tc, test_etemp_backoff_all);
	tcase_add_test(tc, test_dry);
	tcase_add_test(tc, test_modes);
	tcase_add_loop_test(tc, test_dates_default, 0,
	    (int)(sizeof dates / sizeof dates[0]));
	tcase_add_test(tc, test_dates_checks);
	tcase_add_test(tc, test_dates_config);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_max_rereads);
	tcase_add_test(tc, test_marker);
	tcase_add_test(tc, test_stable);
	tcase_add_test(tc, test_rename_mode);
	tcase_add_test(tc, test_all_or_nothing);
	tc = hg_tcase(s, "corpus", 120);
	tcase_add_test(tc, test_corpus);
	tc = hg_tcase(s, "big", 600);
	tcase_add_test(tc, test_big_file);
	return s;
}
