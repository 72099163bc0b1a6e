/* Code mapping files as hospitals keep them (GBK from Chinese Excel, UTF-8
 * with a BOM, Excel "Unicode text"), their mistakes reported as FILE:LINE,
 * the mapping applied to a bill, and the web form's row added to a file
 * as the file keeps its rows. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "agent/mapping.h"
#include "lib/bill.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"

#define DRUG	"XJ01DCA040B002010100001"
#define DRUG2	"XR05CBA198A001010100863"
#define BED	"001102000010000"
#define TUBE	"C0301010010000100001"

/* GBK bytes, as Excel on Chinese Windows saves them */
#define G_LOCAL	"\xb1\xbe\xd4\xba\xb1\xe0\xc2\xeb"	/* 本院编码 */
#define G_NAT	"\xd2\xbd\xb1\xa3\xb1\xe0\xc2\xeb"	/* 医保编码 */
#define G_NAME	"\xc3\xfb\xb3\xc6"			/* 名称 */
#define G_CEF	"\xd7\xa2\xc9\xe4\xd3\xc3\xcd\xb7\xe6\xdf\xdf\xbb\xd0\xc1" \
		"\xc4\xc6"				/* 注射用头孢呋辛钠 */
#define G_BED	"\xc6\xd5\xcd\xa8\xb4\xb2\xce\xbb\xb7\xd1"	/* 普通床位费 */
#define G_RARE	"\x95\x32\x82\x36"	/* U+20000, 4 bytes: GB18030 only */

static char *dir;

static void
setup(void)
{
	dir = hg_tmpdir();
}

static void
teardown(void)
{
	hg_rmtree(dir);
	free(dir);
	dir = NULL;
}

static char *
write_file(const char *name, const char *bytes, size_t len)
{
	char *path = hg_xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(bytes, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

static struct hg_mapping *
load_ok(const char *name, const char *bytes, size_t len)
{
	struct hg_mapping *m = NULL;
	struct hg_err err;
	char *path = write_file(name, bytes, len);

	ck_assert_msg(hg_mapping_load(path, &m, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(m);
	free(path);
	return m;
}

START_TEST(test_gbk_header_crlf)
{
	static const char text[] =
	    G_LOCAL "," G_NAT "," G_NAME "\r\n"
	    "YP000456," DRUG "," G_CEF "\r\n"
	    "CW0001, " BED " ," G_BED "\r\n"
	    "ZY0102,T001700643,\xb0\xd7" G_RARE "\r\n"	/* 白𠀀 */
	    "HC0789," TUBE "\r\n";
	struct hg_mapping *m = load_ok("gbk.csv", text, sizeof text - 1);

	ck_assert_uint_eq(hg_mapping_size(m), 4);
	ck_assert_str_eq(hg_mapping_lookup(m, "YP000456"), DRUG);
	ck_assert_str_eq(hg_mapping_lookup(m, "CW0001"), BED);
	ck_assert_str_eq(hg_mapping_lookup(m, "HC0789"), TUBE);
	ck_assert_str_eq(hg_mapping_name(m, "YP000456"), "注射用头孢呋辛钠");
	ck_assert_str_eq(hg_mapping_name(m, "CW0001"), "普通床位费");
	ck_assert_str_eq(hg_mapping_name(m, "ZY0102"), "白\xf0\xa0\x80\x80");
	ck_assert_str_eq(hg_mapping_name(m, "HC0789"), "");
	ck_assert_ptr_null(hg_mapping_lookup(m, "YP000457"));
	ck_assert_ptr_null(hg_mapping_lookup(m, ""));
	ck_assert_ptr_null(hg_mapping_lookup(m, NULL));
	ck_assert_ptr_null(hg_mapping_name(m, "nope"));
	hg_mapping_free(m);
}
END_TEST

START_TEST(test_utf8_bom_quotes_comments)
{
	static const char text[] =
	    "\xef\xbb\xbf# exported by the insurance office 2024-03-01\n"
	    "\n"
	    "YP000456," DRUG ",\"注射用头孢呋辛钠, 0.75g\"\n"
	    "   # an indented comment\n"
	    "\"CW0001\",\"" BED "\",\"普通\"\"床位\"\"费\"\n"
	    "\t\n"
	    ",,\n"
	    "ZL0001,001102000000100-110200002.10,\"\"\n"
	    "YP000456," DRUG ",duplicate with the same target is fine\n"
	    "HC0789 , \"" TUBE "\" ,tube,extra,columns";	/* no newline */
	struct hg_mapping *m = load_ok("bom.csv", text, sizeof text - 1);

	ck_assert_uint_eq(hg_mapping_size(m), 4);
	ck_assert_str_eq(hg_mapping_lookup(m, "YP000456"), DRUG);
	ck_assert_str_eq(hg_mapping_name(m, "YP000456"),
	    "注射用头孢呋辛钠, 0.75g");
	ck_assert_str_eq(hg_mapping_name(m, "CW0001"), "普通\"床位\"费");
	ck_assert_str_eq(hg_mapping_lookup(m, "ZL0001"),
	    "001102000000100-110200002.10");
	ck_assert_str_eq(hg_mapping_name(m, "ZL0001"), "");
	ck_assert_str_eq(hg_mapping_lookup(m, "HC0789"), TUBE);
	ck_assert_str_eq(hg_mapping_name(m, "HC0789"), "tube");
	hg_mapping_free(m);
}
END_TEST

START_TEST(test_headers)
{
	static const char *const texts[] = {
		"local_code,national_code,name\nYP000456," DRUG "\n",
		"HIS code,Insurance code\nYP000456," DRUG "\n",
		"本院编码,国家医保编码\r\nYP000456," DRUG "\r\n",
		"ZLHIS,med_list_codg,x\nYP000456," DRUG "\n",
		/* no header: the first row is data */
		"YP000456," DRUG "\nCW0001," BED "\n",
	};
	struct hg_mapping *m;
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		m = load_ok("h.csv", texts[i], strlen(texts[i]));
		ck_assert_msg(hg_mapping_size(m) == (i == 4 ? 2 : 1),
		    "text %zu: %zu entries", i, hg_mapping_size(m));
		ck_assert_str_eq(hg_mapping_lookup(m, "YP000456"), DRUG);
		hg_mapping_free(m);
	}
}
END_TEST

/* Excel's "Unicode text": UTF-16LE with a BOM, tab-separated. */
START_TEST(test_utf16_tabs)
{
	static const char text[] = "本院编码\t医保编码\t名称\r\n"
	    "YP000456\t" DRUG "\t注射用头孢呋辛钠\r\n"
	    "CW0001\t" BED "\t\r\n"
	    "\t" TUBE "\tno local code\r\n";
	struct hg_mapping *m;
	struct hg_err err;
	char *u16, *buf, *path;
	size_t n;

	ck_assert_int_eq(hg_text_from_utf8("UTF-16LE", text, sizeof text - 1,
	    &u16, &n, &err), 0);
	buf = hg_xmalloc(n + 2);
	memcpy(buf, "\xff\xfe", 2);
	memcpy(buf + 2, u16, n);
	path = write_file("u16.txt", buf, n + 2);
	ck_assert_int_eq(hg_mapping_load(path, &m, &err), -1);
	ck_assert_msg(strstr(err.msg, "u16.txt:4: no local code") != NULL,
	    "%s", err.msg);
	free(path);
	/* the same without the bad last line */
	m = load_ok("u16.txt", buf, n + 2 - 2 * (sizeof "\t" TUBE
	    "\tno local code\r\n" - 1));
	ck_assert_uint_eq(hg_mapping_size(m), 2);
	ck_assert_str_eq(hg_mapping_lookup(m, "YP000456"), DRUG);
	ck_assert_str_eq(hg_mapping_name(m, "YP000456"), "注射用头孢呋辛钠");
	ck_assert_str_eq(hg_mapping_lookup(m, "CW0001"), BED);
	hg_mapping_free(m);
	free(u16);
	free(buf);
}
END_TEST

START_TEST(test_empty_file)
{
	struct hg_mapping *m = load_ok("empty.csv", "", 0);

	ck_assert_uint_eq(hg_mapping_size(m), 0);
	ck_assert_ptr_null(hg_mapping_lookup(m, "YP000456"));
	hg_mapping_free(m);
	m = hg_mapping_empty();
	ck_assert_uint_eq(hg_mapping_size(m), 0);
	ck_assert_ptr_null(hg_mapping_lookup(m, "YP000456"));
	hg_mapping_free(m);
	hg_mapping_free(NULL);
	ck_assert_uint_eq(hg_mapping_size(NULL), 0);
}
END_TEST

static const struct {
	const char *name;
	const char *text;
	const char *msg;	/* the whole message after the directory */
} bad[] = {
	{ "excel", "YP000456,1.10105E+17\n",
	    "m.csv:1: national code \"1.10105E+17\" is not a catalogue code "
	    "shape" },
	{ "short code after header",
	    "local_code,national_code\r\nYP000456," DRUG "\r\nCW0001,XJ0\r\n",
	    "m.csv:3: national code \"XJ0\" is not a catalogue code shape" },
	{ "service code lost its zeros", "CW0001,1102000010000\n",
	    "m.csv:1: national code \"1102000010000\"" },
	{ "conflicting duplicate",
	    "# comment\nYP000456," DRUG "\nCW0001," BED "\n\nYP000456,"
	    DRUG2 "\n",
	    "m.csv:5: local code YP000456 maps to " DRUG2 " here but to "
	    DRUG " on line 2" },
	{ "no national code", "YP000456," DRUG "\nCW0001\n",
	    "m.csv:2: no national code, expected "
	    "local_code,national_code[,name]" },
	{ "empty national code", "YP000456," DRUG "\nCW0001,,bed\n",
	    "m.csv:2: no national code" },
	{ "no local code", "YP000456," DRUG "\n," BED "\n",
	    "m.csv:2: no local code" },
	{ "unterminated quote", "YP000456," DRUG "\n\"CW0001," BED "\n",
	    "m.csv:2: a quoted field has no closing quote" },
	{ "text after quote", "\"YP000456\"x," DRUG "\n",
	    "m.csv:1: text after the closing quote of a field" },
	{ "full-width comma", "YP000456," DRUG "\nJC0102\xef\xbc\x8c" BED
	    ",生化\n",
	    "m.csv:2: a full-width comma \xef\xbc\x8c (U+FF0C) in \"JC0102\xef\xbc\x8c"
	    BED "\": the columns are separated by the ASCII comma ," },
	{ "undecodable byte in a code", "YP\xff" "0456," DRUG "\n",
	    "m.csv:1: a code has bytes that are not valid text" },
	{ "several bad lines",
	    "A,1\nB," DRUG "\nC,2\nD,3\n",
	    "m.csv:1: national code \"1\" is not a catalogue code shape "
	    "(expected 23-char drug code X/Z..., 15-digit service code, "
	    "20-char consumable code C..., or T... for TCM pieces) "
	    "(and 2 more bad lines)" },
};

START_TEST(test_bad)
{
	struct hg_mapping *m = (struct hg_mapping *)&m;
	struct hg_err err;
	char *path = write_file("m.csv", bad[_i].text, strlen(bad[_i].text));
	const char *msg;

	ck_assert_msg(hg_mapping_load(path, &m, &err) == -1, "%s accepted",
	    bad[_i].name);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_msg(strncmp(err.msg, path, strlen(path) - 5) == 0,
	    "%s: no path in \"%s\"", bad[_i].name, err.msg);
	msg = err.msg + strlen(path) - 5;
	ck_assert_msg(strncmp(msg, bad[_i].msg, strlen(bad[_i].msg)) == 0,
	    "%s: \"%s\", expected \"%s\"", bad[_i].name, msg, bad[_i].msg);
	free(path);
}
END_TEST

START_TEST(test_missing_file)
{
	struct hg_mapping *m = NULL;
	struct hg_err err;
	char *path = hg_xasprintf("%s/none.csv", dir);

	ck_assert_int_eq(hg_mapping_load(path, &m, &err), -1);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err.msg, "none.csv: cannot open") != NULL, "%s",
	    err.msg);
	free(path);
}
END_TEST

/* A county hospital's whole charge dictionary: 100k codes. */
#define BIG	100000

static struct hg_mapping *big_map;

static void *
lookup_all(void *arg)
{
	char local[32], want[32];
	size_t i, nbad = 0;

	for (i = 0; i < BIG; i++) {
		snprintf(local, sizeof local, "L%06zu", i);
		snprintf(want, sizeof want, "%015zu", i * 7);
		if (strcmp(hg_mapping_lookup(big_map, local), want) != 0)
			nbad++;
	}
	return (void *)nbad;
}

START_TEST(test_big)
{
	pthread_t th[4];
	char *text, *p;
	void *ret;
	size_t i;

	p = text = hg_xmalloc(BIG * 40 + 64);
	p += sprintf(p, "local_code,national_code\n");
	for (i = 0; i < BIG; i++)
		p += sprintf(p, "L%06zu,%015zu\n", i, i * 7);
	big_map = load_ok("big.csv", text, (size_t)(p - text));
	free(text);
	ck_assert_uint_eq(hg_mapping_size(big_map), BIG);
	ck_assert_ptr_null(hg_mapping_lookup(big_map, "L100000"));
	/* immutable after load: readers share it without locks */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, lookup_all,
		    NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	hg_mapping_free(big_map);
	big_map = NULL;
}
END_TEST

static struct hg_fee *
fee(struct hg_bill *b, const char *local, const char *nat, const char *name,
    int line)
{
	struct hg_fee *f = hg_bill_add_fee(b);

	hg_set_str(&f->local_code, local);
	hg_set_str(&f->nat_code, nat);
	hg_set_str(&f->name, name);
	f->line = line;
	return f;
}

START_TEST(test_apply)
{
	static const char text[] = "YP000456," DRUG "\nCW0001," BED "\n";
	struct hg_mapping *m = load_ok("a.csv", text, sizeof text - 1);
	struct hg_bill *b = hg_bill_new();
	struct hg_problem *p = NULL;
	size_t n = 0;

	fee(b, "YP000456", NULL, "注射用头孢呋辛钠", 2);
	fee(b, "CW0001", "001102000099999", "普通床位费", 3);	/* stale */
	fee(b, "HC0789", TUBE, "一次性使用输液器", 4);	/* source's own */
	fee(b, "ZF0001", NULL, "自费药", 5);
	fee(b, "ZF0002", "", NULL, 6);
	fee(b, NULL, NULL, "手工录入", 7);
	ck_assert_uint_eq(hg_mapping_apply(m, b, &p, &n), 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(b->fees[0].nat_code, DRUG);
	ck_assert_str_eq(b->fees[1].nat_code, BED);
	ck_assert_str_eq(b->fees[2].nat_code, TUBE);
	ck_assert_int_eq(p[0].line, 5);
	ck_assert_str_eq(p[0].field, "medins_list_codg");
	ck_assert_str_eq(p[0].msg, "未对码: ZF0001 自费药");
	ck_assert_int_eq(p[1].line, 6);
	ck_assert_str_eq(p[1].msg, "未对码: ZF0002");
	ck_assert_int_eq(p[2].line, 7);
	ck_assert_str_eq(p[2].msg, "未对码: (no local code) 手工录入");
	/* applying again changes nothing and finds the same */
	ck_assert_uint_eq(hg_mapping_apply(m, b, &p, &n), 3);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(b->fees[1].nat_code, BED);
	hg_problems_free(p, n);
	hg_bill_free(b);
	hg_mapping_free(m);
}
END_TEST

START_TEST(test_apply_no_table)
{
	struct hg_bill *b = hg_bill_new();
	struct hg_mapping *m = hg_mapping_empty();
	struct hg_problem *p = NULL;
	size_t n = 0;

	fee(b, "HC0789", TUBE, "一次性使用输液器", 2);
	fee(b, "YP000456", NULL, "注射用头孢呋辛钠", 3);
	ck_assert_uint_eq(hg_mapping_apply(NULL, b, &p, &n), 1);
	ck_assert_uint_eq(hg_mapping_apply(m, b, &p, &n), 1);
	ck_assert_str_eq(b->fees[0].nat_code, TUBE);
	ck_assert_str_eq(p[0].msg, "未对码: YP000456 注射用头孢呋辛钠");
	ck_assert_int_eq(p[1].line, 3);
	hg_problems_free(p, n);
	hg_bill_free(b);
	hg_mapping_free(m);
}
END_TEST

/* The whole file, as bytes (allocated, NUL-terminated). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = hg_xmalloc(65536);

	ck_assert_ptr_nonnull(fp);
	*len = fread(buf, 1, 65535, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* The web form's row: appended in the file's encoding, line ends and
 * separator, mode kept, read back by the loader. */
START_TEST(test_add_gbk_crlf)
{
	static const char text[] =
	    G_LOCAL "," G_NAT "," G_NAME "\r\n"
	    "YP000456," DRUG "," G_CEF "\r\n";
	char *path = write_file("m.csv", text, sizeof text - 1), *got;
	struct hg_mapping *m = NULL;
	struct hg_err err;
	struct stat st;
	size_t len;

	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_msg(hg_mapping_add(path, "CW0001", BED, "普通床位费",
	    &err) == 0, "%s", err.msg);
	got = slurp(path, &len);
	ck_assert_uint_eq(len, sizeof text - 1 + strlen("CW0001," BED ","
	    G_BED "\r\n"));
	ck_assert_mem_eq(got, text, sizeof text - 1);
	ck_assert_str_eq(got + sizeof text - 1, "CW0001," BED "," G_BED "\r\n");
	free(got);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_msg(hg_mapping_load(path, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(hg_mapping_size(m), 2);
	ck_assert_str_eq(hg_mapping_name(m, "CW0001"), "普通床位费");
	hg_mapping_free(m);
	/* the same row again: there already, nothing written */
	ck_assert_int_eq(hg_mapping_add(path, "CW0001", BED, "", &err), 1);
	/* another national code for it: refused, naming the one in force */
	ck_assert_int_eq(hg_mapping_add(path, "CW0001", TUBE, "", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "local code CW0001 maps to "
	    BED " already"));
	got = slurp(path, &len);
	ck_assert_uint_eq(len, sizeof text - 1 + strlen("CW0001," BED ","
	    G_BED "\r\n"));
	free(got);
	free(path);
}
END_TEST

START_TEST(test_add_quotes_tabs_no_newline)
{
	static const char csv[] = "\xef\xbb\xbf" "YP000456," DRUG;
	static const char tsv[] = "# tabs\nYP000456\t" DRUG "\tcef\n";
	struct hg_mapping *m = NULL;
	struct hg_err err;
	char *path = write_file("c.csv", csv, sizeof csv - 1), *got;
	size_t len;

	ck_assert_msg(hg_mapping_add(path, "HC0789", TUBE, "输液器, \"一次性\"",
	    &err) == 0, "%s", err.msg);
	got = slurp(path, &len);
	ck_assert_str_eq(got, "\xef\xbb\xbf" "YP000456," DRUG "\n"
	    "HC0789," TUBE ",\"输液器, \"\"一次性\"\"\"\n");
	free(got);
	ck_assert_msg(hg_mapping_load(path, &m, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(hg_mapping_name(m, "HC0789"), "输液器, \"一次性\"");
	hg_mapping_free(m);
	free(path);
	path = write_file("t.tsv", tsv, sizeof tsv - 1);
	ck_assert_msg(hg_mapping_add(path, "CW0001", BED, "bed, daily",
	    &err) == 0, "%s", err.msg);
	got = slurp(path, &len);
	ck_assert_str_eq(got, "# tabs\nYP000456\t" DRUG "\tcef\n"
	    "CW0001\t" BED "\tbed, daily\n");
	free(got);
	free(path);
}
END_TEST

/* A mapping_file that links to the office's copy stays a link. */
START_TEST(test_add_symlink)
{
	static const char text[] = "YP000456," DRUG "\n";
	char *real = write_file("office.csv", text, sizeof text - 1), *got;
	char *link = hg_xasprintf("%s/mapping.csv", dir);
	struct hg_err err;
	struct stat st;
	size_t len;

	ck_assert_int_eq(symlink("office.csv", link), 0);
	ck_assert_msg(hg_mapping_add(link, "CW0001", BED, "", &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	got = slurp(real, &len);
	ck_assert_str_eq(got, "YP000456," DRUG "\nCW0001," BED "\n");
	free(got);
	free(link);
	free(real);
}
END_TEST

/* A file the agent's user may not write: refused, saying so and who the
 * agent runs as (as root, run as nobody for the call). */
START_TEST(test_add_not_writable)
{
	static const char text[] = "YP000456," DRUG "\n";
	char *path = write_file("m.csv", text, sizeof text - 1), *got;
	struct hg_err err;
	size_t len;
	int root = geteuid() == 0, rc;

	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(chmod(path, 0444), 0);
	if (root)
		ck_assert_int_eq(seteuid(65534), 0);
	rc = hg_mapping_add(path, "CW0001", BED, "", &err);
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err.msg, "m.csv: the file is not writable by the "
	    "user hisgate runs as (") != NULL &&
	    strstr(err.msg, "Permission denied") != NULL, "%s", err.msg);
	got = slurp(path, &len);
	ck_assert_str_eq(got, text);
	free(got);
	free(path);
}
END_TEST

/* Rows a person may type wrong, and files that are wrong already: nothing
 * is written, and the message says what. */
START_TEST(test_add_refused)
{
	static const char text[] = "YP000456," DRUG "\n";
	static const char broken[] = "YP000456,1.10105E+17\n";
	static const struct {
		const char *local, *nat, *name, *says;
	} rows[] = {
		{ "", BED, "", "local code: empty" },
		{ "CW0001", "", "", "national code: empty" },
		{ "CW0001", "1.10105E+17", "", "is not a catalogue code shape" },
		{ "CW0001", BED, "two\nlines", "name: contains a control" },
		{ "CW\t1", BED, "", "local code: contains a control" },
		{ "#CW1", BED, "", "is a comment in the mapping file" },
		{ "CW0001", BED, "\xb4\xb2", "name: not valid UTF-8" },
	};
	struct hg_err err;
	char *path = write_file("m.csv", text, sizeof text - 1), *got, *other;
	size_t i, len;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ck_assert_int_eq(hg_mapping_add(path, rows[i].local, rows[i].nat,
		    rows[i].name, &err), -1);
		ck_assert_msg(strstr(err.msg, rows[i].says) != NULL,
		    "row %zu: %s", i, err.msg);
	}
	got = slurp(path, &len);
	ck_assert_str_eq(got, text);
	free(got);
	other = write_file("broken.csv", broken, sizeof broken - 1);
	ck_assert_int_eq(hg_mapping_add(other, "CW0001", BED, "", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "broken.csv:1: national code"));
	free(other);
	other = hg_xasprintf("%s/none.csv", dir);
	ck_assert_int_eq(hg_mapping_add(other, "CW0001", BED, "", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "none.csv: cannot open"));
	free(other);
	free(path);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("mapping");
	TCase *tc = hg_tcase(s, "load", 10);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gbk_header_crlf);
	tcase_add_test(tc, test_utf8_bom_quotes_comments);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_utf16_tabs);
	tcase_add_test(tc, test_empty_file);
	tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_missing_file);
	tc = hg_tcase(s, "big", 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_big);
	tc = hg_tcase(s, "apply", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_apply);
	tcase_add_test(tc, test_apply_no_table);
	tc = hg_tcase(s, "add", 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_add_gbk_crlf);
	tcase_add_test(tc, test_add_quotes_tabs_no_newline);
	tcase_add_test(tc, test_add_refused);
	tcase_add_test(tc, test_add_symlink);
	tcase_add_test(tc, test_add_not_writable);
	return s;
}
