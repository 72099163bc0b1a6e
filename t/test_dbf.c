/* The dbf adapter: the reader against tables written by an independent
 * writer (Debian's python3-dbf, through t/gen-dbf, at test time), every
 * type, memos, _NullFlags, code pages, a character cut at the field end,
 * stale header counts and torn tails, damaged headers with their exact
 * reasons; then the adapter against a mock sink in both modes: the
 * exchange folder, and a live table that grows, is replaced, and is
 * appended to by a writer process while it is read. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libconfig.h>

#include "adapters/adapter.h"
#include "adapters/dbf_read.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"
#include "t/mock_sink.h"

extern const struct hg_adapter_ops hg_adapter_dbf;

#define COLUMNS "columns = { ipt_no = \"ZYH\"; psn_name = \"XM\"; " \
	"gend = \"XB\"; certno = \"SFZH\"; card_no = \"YBKH\"; " \
	"begntime = \"RYSJ\"; endtime = \"CYSJ\"; diag_code = \"ZDBM\"; " \
	"diag_name = \"ZDMC\"; dept_codg = \"KSBM\"; dept_name = \"KSMC\"; " \
	"feedetl_sn = \"XH\"; fee_ocur_time = \"FYSJ\"; " \
	"medins_list_codg = \"XMBM\"; name = \"XMMC\"; spec = \"GG\"; " \
	"unit = \"DW\"; cnt = \"SL\"; pric = \"DJ\"; " \
	"det_item_fee_sumamt = \"JE\"; med_list_codg = \"YBBM\"; " \
	"category = \"SFLB\"; };\n"

static char *tmp;

static void
setup(void)
{
	tmp = hg_tmpdir();
}

static void
teardown(void)
{
	hg_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

static const char *
top(void)
{
	const char *t = getenv("top_srcdir");

	return t != NULL ? t : "..";
}

/* Run t/gen-dbf (or t/gen-csv) with the given arguments. */
static void
gen(const char *tool, const char *args)
{
	char *cmd = hg_xasprintf("/usr/bin/python3 %s/t/%s %s >/dev/null",
	    top(), tool, args);

	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	free(cmd);
}

/* The unit-test tables in tmp. */
static void
fixtures(void)
{
	char *a = hg_xasprintf("fixtures %s", tmp);

	gen("gen-dbf", a);
	free(a);
}

/* mkdir tmp/rel */
static void
mkdir_in(const char *rel)
{
	char *p = hg_xasprintf("%s/%s", tmp, rel);

	ck_assert_msg(mkdir(p, 0755) == 0, "%s: %s", p, strerror(errno));
	free(p);
}

static char *
path(const char *name)
{
	return hg_xasprintf("%s/%s", tmp, name);
}

/* --- the reader ---------------------------------------------------------- */

struct rd {
	int	 fd;
	struct hg_dbf *d;
};

static void
rd_open(struct rd *r, const char *name, const char *defenc)
{
	struct hg_err err;
	char *p = path(name);

	r->fd = open(p, O_RDONLY);
	ck_assert_msg(r->fd >= 0, "%s: %s", p, strerror(errno));
	ck_assert_msg(hg_dbf_open(r->fd, p, defenc, &r->d, &err) == 0, "%s",
	    err.msg);
	free(p);
}

static void
rd_close(struct rd *r)
{
	hg_dbf_close(r->d);
	close(r->fd);
}

/* The visible field named name of record i must read as want (rc 0). */
static void
is_value(struct rd *r, uint32_t i, const char *name, const char *want)
{
	struct hg_err err;
	char why[256], *v;
	size_t k;

	ck_assert_int_eq(hg_dbf_record(r->d, i, &err), 1);
	for (k = 0; k < r->d->nf; k++)
		if (strcmp(r->d->f[k].name, name) == 0)
			break;
	ck_assert_msg(k < r->d->nf, "no field %s", name);
	ck_assert_msg(hg_dbf_value(r->d, k, &v, why, sizeof why) == 0,
	    "record %u %s: %s", i + 1, name, why);
	ck_assert_msg(strcmp(v, want) == 0, "record %u %s: got \"%s\", want "
	    "\"%s\"", i + 1, name, v, want);
	free(v);
}

START_TEST(test_vfp_types)
{
	struct hg_err err;
	struct rd r;

	fixtures();
	rd_open(&r, "vfp.dbf", "GB18030");
	ck_assert_int_eq(r.d->ver, 0x30);
	ck_assert_str_eq(hg_dbf_cpname(r.d), "0x7A (GBK, code page 936)");
	ck_assert_int_eq(r.d->nrec, 4);
	ck_assert_int_ge(r.d->nullflags, 0);
	is_value(&r, 0, "ZYH", "ZY001");
	is_value(&r, 0, "XM", "王芳");
	is_value(&r, 0, "SL", "2.5000");
	is_value(&r, 0, "DJ", "3.250000");
	is_value(&r, 0, "RQ", "2024-03-01");
	is_value(&r, 0, "YB", "T");
	is_value(&r, 0, "XH", "7");
	is_value(&r, 0, "JE", "12.3456");
	is_value(&r, 0, "SJ", "2024-03-01 08:30:15");
	is_value(&r, 0, "BL", "1.500000");
	is_value(&r, 0, "BZ", "备注一行\n第二行");
	/* NULL in every nullable type reads as empty, not 0 */
	is_value(&r, 1, "XM", "");
	is_value(&r, 1, "SL", "");
	is_value(&r, 1, "XH", "");
	is_value(&r, 1, "JE", "");
	is_value(&r, 1, "SJ", "");
	is_value(&r, 1, "BL", "");
	is_value(&r, 1, "YB", "");
	ck_assert_int_eq(hg_dbf_record(r.d, 2, &err), 0);	/* deleted */
	is_value(&r, 3, "SL", "-1.2500");
	is_value(&r, 3, "DJ", "0.500000");
	is_value(&r, 3, "RQ", "1999-12-31");
	is_value(&r, 3, "YB", "F");
	is_value(&r, 3, "XH", "-2147483647");
	is_value(&r, 3, "JE", "-92233720368.5477");
	is_value(&r, 3, "SJ", "2000-02-29 23:59:59");
	is_value(&r, 3, "BL", "-2.250000");
	ck_assert_int_eq(hg_dbf_record(r.d, 4, &err), 2);	/* the end */
	rd_close(&r);
}
END_TEST

START_TEST(test_dbase_foxpro)
{
	struct rd r;
	char *want;
	size_t i;

	fixtures();
	/* dBASE III, .DBT memo, code page byte 0x00: the default */
	rd_open(&r, "db3.dbf", "GB18030");
	ck_assert_int_eq(r.d->ver, 0x83);
	ck_assert_str_eq(r.d->enc, "GB18030");
	ck_assert_str_eq(hg_dbf_cpname(r.d),
	    "0x00 (not set: the configured encoding)");
	is_value(&r, 0, "XM", "王芳");
	is_value(&r, 0, "BZ", "出院带药");
	is_value(&r, 0, "SL", "2.5000");
	is_value(&r, 1, "XM", "李娜");
	is_value(&r, 1, "SL", "-0.5000");
	is_value(&r, 1, "RQ", "");
	is_value(&r, 1, "BZ", "");
	rd_close(&r);
	/* FoxPro 2.x, .FPT memo (big-endian) */
	rd_open(&r, "fp.dbf", "GB18030");
	ck_assert_int_eq(r.d->ver, 0xF5);
	is_value(&r, 0, "XM", "王芳");
	is_value(&r, 0, "DJ", "1.250000");
	is_value(&r, 0, "BZ", "备注");
	rd_close(&r);
	/* a memo of 300 characters spans FPT blocks */
	rd_open(&r, "vfp.dbf", "GB18030");
	want = hg_xmalloc(300 * 3 + 1);
	for (i = 0; i < 300; i++)
		memcpy(want + i * 3, "长", 3);
	want[900] = '\0';
	is_value(&r, 3, "BZ", want);
	free(want);
	rd_close(&r);
}
END_TEST

START_TEST(test_cut_character)
{
	struct hg_err err;
	char why[256], *v;
	struct rd r;

	fixtures();
	rd_open(&r, "cut.dbf", "GB18030");
	ck_assert_int_eq(hg_dbf_record(r.d, 0, &err), 1);
	ck_assert_int_eq(hg_dbf_value(r.d, 1, &v, why, sizeof why), 1);
	ck_assert_str_eq(v, "a王");
	ck_assert_str_eq(why, "a double-byte character is cut at the end of "
	    "the field (lead byte 0xB7 without its trail byte at byte 4 of "
	    "4): dropped");
	free(v);
	rd_close(&r);
}
END_TEST

static void
patch(const char *name, off_t off, const void *data, size_t n)
{
	char *p = path(name);
	int fd = open(p, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, n, off), (ssize_t)n);
	close(fd);
	free(p);
}

static void
append_bytes(const char *name, const void *data, size_t n)
{
	char *p = path(name);
	int fd = open(p, O_WRONLY | O_APPEND);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	free(p);
}

static void
cut_to(const char *name, off_t size)
{
	char *p = path(name);

	ck_assert_int_eq(truncate(p, size), 0);
	free(p);
}

START_TEST(test_counts)
{
	struct hg_err err;
	unsigned char four[4];
	char zeros[256];
	struct rd r;
	unsigned hdrlen, reclen;

	fixtures();
	rd_open(&r, "vfp.dbf", "GB18030");
	hdrlen = r.d->hdrlen;
	reclen = r.d->reclen;
	rd_close(&r);
	/* the header says more than the file holds: the file wins */
	four[0] = 100, four[1] = four[2] = four[3] = 0;
	patch("vfp.dbf", 4, four, 4);
	rd_open(&r, "vfp.dbf", "GB18030");
	ck_assert_int_eq(r.d->hdr_count, 100);
	ck_assert_int_eq(r.d->nrec, 4);
	rd_close(&r);
	/* a torn tail (half a record, the 0x1A gone) is ignored */
	cut_to("vfp.dbf", hdrlen + 4 * reclen);
	append_bytes("vfp.dbf", " ZY005", 6);
	rd_open(&r, "vfp.dbf", "GB18030");
	ck_assert_int_eq(r.d->nrec, 4);
	rd_close(&r);
	/* the file holds a record not yet written (zeros): it ends there */
	cut_to("vfp.dbf", hdrlen + 4 * reclen);
	memset(zeros, 0, sizeof zeros);
	ck_assert_uint_le(reclen, sizeof zeros);
	append_bytes("vfp.dbf", zeros, reclen);
	rd_open(&r, "vfp.dbf", "GB18030");
	ck_assert_int_eq(r.d->nrec, 5);
	ck_assert_int_eq(hg_dbf_record(r.d, 4, &err), 2);
	rd_close(&r);
	/* the header says fewer (not yet updated): the header wins */
	four[0] = 2;
	patch("vfp.dbf", 4, four, 4);
	rd_open(&r, "vfp.dbf", "GB18030");
	ck_assert_int_eq(r.d->nrec, 2);
	ck_assert_int_eq(hg_dbf_record(r.d, 2, &err), 2);
	rd_close(&r);
}
END_TEST

/* Damaged tables and the exact reason each gets. */
static const struct {
	const char *name;
	off_t	 off;		/* patch at off ... */
	const char *bytes;	/* ... these bytes (n of them) */
	size_t	 n;
	off_t	 cut;		/* or cut the file to this size (>= 0) */
	const char *want;	/* the message after "PATH: " */
} bad[] = {
	{ "version", 0, "\x99", 1, -1, "not a DBF table: unknown version "
	  "byte 0x99 (expected dBASE, FoxPro or Visual FoxPro: 0x03, 0x83, "
	  "0x8B, 0xF5, 0x30 ...)" },
	{ "short", 0, NULL, 0, 20, "not a DBF table: shorter than the "
	  "32-byte header" },
	{ "hdrlen", 8, "\xff\x7f", 2, -1, "not a DBF table: header length "
	  "32767, record length 441, file size 2796 (expected a header of at "
	  "least 33 bytes inside the file)" },
	{ "reclen", 10, "\x10\x00", 2, -1, "not a DBF table: the fields add "
	  "up to 441 bytes a record, the header says 16" },
	{ "type", 32 + 11, "X", 1, -1, "field 1 \"ZYH\": type 'X' length 15 "
	  "(expected a type of C N F D L I Y T B M G P V Q with a length)" },
	{ "terminator", 8, "\x00\x03", 2, -1, "not a DBF table: no 0x0D "
	  "after the field descriptors inside the 768-byte header" },
};

START_TEST(test_bad_headers)
{
	struct hg_err err;
	struct hg_dbf *d;
	char *p, *want, *cmd;
	int fd;

	cmd = hg_xasprintf("bills %s/t/data/sample-6a.csv %s/b.dbf", top(),
	    tmp);
	gen("gen-dbf", cmd);
	free(cmd);
	if (bad[_i].bytes != NULL)
		patch("b.dbf", bad[_i].off, bad[_i].bytes, bad[_i].n);
	else
		cut_to("b.dbf", bad[_i].cut);
	p = path("b.dbf");
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hg_dbf_open(fd, p, "GB18030", &d, &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	want = hg_xasprintf("%s: %s", p, bad[_i].want);
	ck_assert_msg(strcmp(err.msg, want) == 0, "%s:\n got: %s\nwant: %s",
	    bad[_i].name, err.msg, want);
	close(fd);
	free(want);
	free(p);
}
END_TEST

/* --- the adapter --------------------------------------------------------- */

struct fx {
	struct hg_adapter a;
	struct hg_mock_sink *m;
};

static void
fx_start(struct fx *x, const char *extra)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_err err;
	config_t cfg;
	char *text;

	text = hg_xasprintf("dir = \"%s/in\";\n" COLUMNS "%s\n", tmp, extra);
	memset(x, 0, sizeof *x);
	x->m = hg_mock_sink_new();
	x->a.ops = &hg_adapter_dbf;
	x->a.name = hg_xstrdup("his");
	x->a.conf_file = hg_xstrdup("his.conf");
	x->a.sink = &x->m->sink;
	config_init(&cfg);
	ck_assert_msg(config_read_string(&cfg, text) == CONFIG_TRUE, "%s",
	    config_error_text(&cfg));
	x->a.conf = hg_xcalloc(1, hg_adapter_dbf.conf_size);
	hg_conf_defaults(hg_adapter_dbf.config_map, x->a.conf);
	hg_conf_apply(hg_adapter_dbf.config_map, config_root_setting(&cfg),
	    NULL, x->a.conf, "his.conf", &errs);
	config_destroy(&cfg);
	ck_assert_msg(errs.n == 0, "%s", errs.msg[0]);
	ck_assert_int_eq(hg_adapter_dbf.check(&x->a, &errs, 1), 0);
	ck_assert_msg(hg_adapter_dbf.init(&x->a, &err) == 0, "%s", err.msg);
	free(text);
}

static void
fx_stop(struct fx *x)
{
	x->a.ops->destroy(&x->a);
	hg_conf_free(hg_adapter_dbf.config_map, x->a.conf);
	free(x->a.conf);
	free(x->a.name);
	free(x->a.conf_file);
	hg_mock_sink_free(x->m);
}

static void
poll_ok(struct fx *x)
{
	struct hg_err err;

	ck_assert_msg(x->a.ops->poll(&x->a, &err) == 0, "poll: %s", err.msg);
}

static int
exists(const char *rel)
{
	struct stat st;
	char *p = path(rel);
	int rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

START_TEST(test_folder)
{
	const char *j;
	struct fx x;
	char *cmd;

	cmd = hg_xasprintf("bills --per-bill %s/in %s/t/data/sample-6a.csv x",
	    tmp, top());
	gen("gen-dbf", cmd);
	free(cmd);
	fx_start(&x, "stable_seconds = 0;");
	poll_ok(&x);
	ck_assert_int_eq(x.m->n, 1);
	j = hg_mock_sink_get(x.m, "ZY2024000123|2024-03-01 08:30:00");
	ck_assert_ptr_nonnull(j);
	/* three fee lines: the deleted fourth record is skipped */
	ck_assert_int_eq(count(j, "\"feedetl_sn\""), 3);
	ck_assert_ptr_nonnull(strstr(j, "\"psn_name\":\"王芳\""));
	ck_assert_ptr_nonnull(strstr(j, "\"name\":\"注射用头孢呋辛钠\""));
	ck_assert_ptr_nonnull(strstr(j, "\"det_item_fee_sumamt\":50.00"));
	ck_assert_ptr_nonnull(strstr(j,
	    "\"ref\":\"YZZY2024000123.dbf lines 1-3\""));
	ck_assert(exists("in/done/YZZY2024000123.dbf"));
	ck_assert(!exists("in/YZZY2024000123.dbf"));
	fx_stop(&x);
}
END_TEST

START_TEST(test_folder_bad)
{
	struct fx x;
	char buf[1024], *p;
	FILE *fp;
	size_t n;

	mkdir_in("in");
	p = path("in/junk.dbf");
	fp = fopen(p, "w");
	fputs("住院号,姓名\r\n", fp);
	fclose(fp);
	free(p);
	fx_start(&x, "stable_seconds = 0;");
	poll_ok(&x);
	ck_assert_int_eq(x.m->n, 0);
	ck_assert(exists("in/rejected/junk.dbf"));
	p = path("in/rejected/junk.dbf.err");
	fp = fopen(p, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	free(p);
	ck_assert_msg(strstr(buf, "file: ") != NULL && strstr(buf,
	    "junk.dbf: not a DBF table: shorter than the 32-byte header") != NULL,
	    "%s", buf);
	fx_stop(&x);
}
END_TEST

/* A table of n bills of 3 lines (gen-csv seed s) at tmp/NAME. */
static void
table_of(const char *name, int n, int seed)
{
	char *a, *b;

	a = hg_xasprintf("--utf8 -n %d -m 3 -s %d -p s %s/csv%d", n, seed,
	    tmp, seed);
	gen("gen-csv", a);
	b = hg_xasprintf("bills %s/csv%d/s-0001.csv %s/%s", tmp, seed, tmp,
	    name);
	gen("gen-dbf", b);
	free(a);
	free(b);
}

START_TEST(test_table)
{
	struct fx x;
	size_t commits;
	char *cmd;

	mkdir_in("in");
	table_of("in/ZYFY.DBF", 5, 1);
	fx_start(&x, "mode = \"table\"; table = \"ZYFY.DBF\"; "
	    "stable_seconds = 0;");
	poll_ok(&x);
	ck_assert_int_eq(x.m->n, 5);
	ck_assert_ptr_nonnull(x.m->last_cursor);
	/* 5 bills of 3 records, each followed by a deleted one: the
	 * cursor covers the last bill's records, not the deleted tail */
	ck_assert_ptr_nonnull(strstr(x.m->last_cursor, " rec=19 len="));
	commits = x.m->ncommits;
	poll_ok(&x);
	poll_ok(&x);
	ck_assert_int_eq(x.m->ncommits, commits);	/* nothing new */
	fx_stop(&x);
	/* a restart reads on from the committed cursor only */
	table_of("more.dbf", 8, 1);	/* the same 5 bills and 3 more */
	cmd = hg_xasprintf("cat %s/more.dbf > %s/in/ZYFY.DBF; cp %s/more.fpt "
	    "%s/in/ZYFY.fpt", tmp, tmp, tmp, tmp);
	ck_assert_int_eq(system(cmd), 0);	/* same inode, appended */
	free(cmd);
	fx_start(&x, "mode = \"table\"; table = \"ZYFY.DBF\"; "
	    "stable_seconds = 60;");
	/* the committed cursor as the outbox keeps it (a new sink) */
	{
		struct stat st;
		char *p = path("in/ZYFY.DBF");
		unsigned char rec[512];
		uint64_t h = 0xcbf29ce484222325ULL;
		int fd = open(p, O_RDONLY);
		unsigned hl, rl, i;

		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_eq(pread(fd, rec, 12, 0), 12);
		hl = rec[8] | rec[9] << 8;
		rl = rec[10] | rec[11] << 8;
		ck_assert_uint_le(rl, sizeof rec);
		ck_assert_int_eq(pread(fd, rec, rl, hl + 18 * rl), (ssize_t)rl);
		for (i = 1; i < rl; i++) {
			h ^= rec[i];
			h *= 0x100000001b3ULL;
		}
		close(fd);
		free(p);
		x.m->last_cursor = hg_xasprintf("dbf1 ino=%llu rec=19 len=%u "
		    "sum=%016llx", (unsigned long long)st.st_ino, rl,
		    (unsigned long long)h);
	}
	poll_ok(&x);
	/* bills 6 and 7 are complete; 8, the last, may still be growing
	 * (the table is not quiet for 60 s): held back */
	ck_assert_int_eq(x.m->n, 2);
	ck_assert_ptr_nonnull(strstr(x.m->last_cursor, " rec=27 len="));
	fx_stop(&x);
}
END_TEST

START_TEST(test_replaced)
{
	struct fx x;
	char *a, *b;

	mkdir_in("in");
	table_of("in/ZYFY.DBF", 4, 2);
	fx_start(&x, "mode = \"table\"; table = \"ZYFY.DBF\"; "
	    "stable_seconds = 0;");
	poll_ok(&x);
	ck_assert_int_eq(x.m->n, 4);
	ck_assert_int_eq(x.m->nsame, 0);
	/* the HIS packs the table: a new file, the same bills, one more */
	table_of("new.dbf", 5, 2);
	a = path("new.dbf");
	b = path("in/ZYFY.DBF");
	ck_assert_int_eq(rename(a, b), 0);
	free(a);
	free(b);
	a = path("new.fpt");
	b = path("in/ZYFY.fpt");
	ck_assert_int_eq(rename(a, b), 0);
	free(a);
	free(b);
	poll_ok(&x);
	/* read again from the start: the 4 are the same, 1 is new */
	ck_assert_int_eq(x.m->n, 5);
	ck_assert_int_eq(x.m->nsame, 4);
	fx_stop(&x);
}
END_TEST

/* A writer process appends to the live table while the adapter reads
 * it; in the end every bill is handed over exactly once and equal to
 * the bill read from the complete table (no half record, none lost). */
START_TEST(test_concurrent)
{
	struct fx x, ref;
	char *cmd, *p, *saved;
	pid_t pid;
	size_t i;
	int st, done = 0;

	mkdir_in("in");
	mkdir_in("ref");
	table_of("ref/ZYFY.DBF", 30, 3);
	cmd = hg_xasprintf("cp %s/ref/ZYFY.FPT %s/in/", tmp, tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *tool = hg_xasprintf("%s/t/gen-dbf", top());
		char *src = hg_xasprintf("%s/ref/ZYFY.DBF", tmp);
		char *dst = hg_xasprintf("%s/in/ZYFY.DBF", tmp);

		/* _i: the header count before the record, or after it */
		execl("/usr/bin/python3", "python3", tool, "append",
		    "--seed", _i ? "5" : "7", "--delay-ms", "4",
		    _i ? "--count-first" : src, _i ? src : dst,
		    _i ? dst : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	fx_start(&x, "mode = \"table\"; table = \"ZYFY.DBF\"; "
	    "stable_seconds = 1;");
	while (!done) {
		poll_ok(&x);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "the writer failed");
			done = 1;
		}
		usleep(2000);
	}
	/* quiet now: the last bill comes too */
	for (i = 0; i < 400 && x.m->n < 30; i++) {
		usleep(10000);
		poll_ok(&x);
	}
	ck_assert_int_eq(x.m->n, 30);
	/* handed over once each: a half record would have made a bill
	 * that is later replaced (handed twice) */
	ck_assert_int_eq(x.m->nbills_handed, 30);
	ck_assert_int_eq(x.m->nsame, 0);
	/* and each equal to the bill read from the complete table, read
	 * with tmp pointing at ref/ (its in/ holds the complete table) */
	saved = tmp;
	tmp = hg_xasprintf("%s/ref", saved);
	mkdir_in("in");
	p = hg_xasprintf("mv %s/ZYFY.DBF %s/ZYFY.FPT %s/in/", tmp, tmp, tmp);
	ck_assert_int_eq(system(p), 0);
	free(p);
	fx_start(&ref, "mode = \"table\"; table = \"ZYFY.DBF\"; "
	    "stable_seconds = 0;");
	poll_ok(&ref);
	free(tmp);
	tmp = saved;
	ck_assert_int_eq(ref.m->n, 30);
	for (i = 0; i < ref.m->n; i++) {
		const char *got = hg_mock_sink_get(x.m, ref.m->keys[i]);

		ck_assert_msg(got != NULL, "bill %s missing", ref.m->keys[i]);
		ck_assert_str_eq(got, ref.m->json[i]);
	}
	fx_stop(&ref);
	fx_stop(&x);
}
END_TEST

START_TEST(test_config)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_adapter a;
	config_t cfg;
	char *text;

	text = hg_xasprintf("dir = \"%s/in\"; mode = \"table\";\n" COLUMNS,
	    tmp);
	memset(&a, 0, sizeof a);
	a.ops = &hg_adapter_dbf;
	a.name = "his";
	a.conf_file = "his.conf";
	config_init(&cfg);
	ck_assert(config_read_string(&cfg, text) == CONFIG_TRUE);
	a.conf = hg_xcalloc(1, hg_adapter_dbf.conf_size);
	hg_conf_defaults(hg_adapter_dbf.config_map, a.conf);
	hg_conf_apply(hg_adapter_dbf.config_map, config_root_setting(&cfg),
	    NULL, a.conf, "his.conf", &errs);
	config_destroy(&cfg);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_int_eq(hg_adapter_dbf.check(&a, &errs, 3), 1);
	ck_assert_str_eq(errs.msg[0], "his.conf:3: table: \"\" (mode = table "
	    "needs the table's file name in dir, e.g. table = \"ZYFY.DBF\")");
	hg_conf_errs_free(&errs);
	hg_conf_free(hg_adapter_dbf.config_map, a.conf);
	free(a.conf);
	free(text);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("dbf");
	TCase *tc = hg_tcase(s, "reader", 60);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vfp_types);
	tcase_add_test(tc, test_dbase_foxpro);
	tcase_add_test(tc, test_cut_character);
	tcase_add_test(tc, test_counts);
	tcase_add_loop_test(tc, test_bad_headers, 0,
	    sizeof bad / sizeof bad[0]);
	tc = hg_tcase(s, "adapter", 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_folder);
	tcase_add_test(tc, test_folder_bad);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_replaced);
	tcase_add_loop_test(tc, test_concurrent, 0, 2);
	tcase_add_test(tc, test_config);
	return s;
}
