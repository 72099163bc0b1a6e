#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <iconv.h>
#include <string.h>
#include <unistd.h>

#include "adapters/csv.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"

/* Records as text, so that whole-buffer and chunked runs compare with one
 * strcmp: "L1-2 [a][b\nc]" per record, flags as !u !l !n. */
static void
append(char **out, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*out = hg_xrealloc(*out, *len + n + 1, 1);
	memcpy(*out + *len, s, n + 1);
	*len += n;
}

static void
show(char **out, size_t *len, const struct hg_csv_rec *rec)
{
	char head[64];
	size_t i;

	snprintf(head, sizeof head, "L%d-%d%s%s%s", rec->line, rec->last_line,
	    rec->flags & HG_CSV_UNTERMINATED ? "!u" : "",
	    rec->flags & HG_CSV_TOOLONG ? "!l" : "",
	    rec->flags & HG_CSV_NUL ? "!n" : "");
	append(out, len, head);
	for (i = 0; i < rec->nfields; i++) {
		snprintf(head, sizeof head, " %d:[", rec->field_line[i]);
		append(out, len, i == 0 ? "[" : head);
		append(out, len, rec->field[i]);
		append(out, len, "]");
	}
	append(out, len, "\n");
}

/* Tokenize text fed in chunks of `chunk` bytes (0 = all at once). */
static char *
tokenize(const char *text, size_t n, int delim, int quote, size_t chunk,
    size_t maxrec)
{
	struct hg_csv *c = hg_csv_new(delim, quote, maxrec);
	struct hg_csv_rec rec;
	const char *p;
	char *out = hg_xstrdup("");
	size_t len = 0, off = 0, take, left;

	do {
		take = chunk == 0 || n - off < chunk ? n - off : chunk;
		p = text + off;
		left = take;
		while (hg_csv_next(c, &p, &left, 0, &rec) == 1)
			show(&out, &len, &rec);
		off += take;
	} while (off < n);
	left = 0;
	while (hg_csv_next(c, &p, &left, 1, &rec) == 1)
		show(&out, &len, &rec);
	hg_csv_free(c);
	return out;
}

static const struct {
	const char *in;
	size_t	 len;		/* 0 = strlen */
	int	 delim, quote;
	const char *want;
} tok[] = {
	{ "a,b,c\n", 0, ',', '"', "L1-1[a] 1:[b] 1:[c]\n" },
	/* no line break after the last record */
	{ "a,b", 0, ',', '"', "L1-1[a] 1:[b]\n" },
	/* CRLF, LF and CR mixed; empty lines are skipped but counted */
	{ "a\r\nb\nc\rd\r\n\r\n\ne", 0, ',', '"',
	  "L1-1[a]\nL2-2[b]\nL3-3[c]\nL4-4[d]\nL7-7[e]\n" },
	/* quoting: delimiters, doubled quotes, empty quoted field */
	{ "\"a,b\",\"say \"\"hi\"\"\",\"\",x\n", 0, ',', '"',
	  "L1-1[a,b] 1:[say \"hi\"] 1:[] 1:[x]\n" },
	/* embedded line breaks keep their bytes and count as lines */
	{ "\"x\ny\",z\n\"p\r\nq\",r\nlast\n", 0, ',', '"',
	  "L1-2[x\ny] 2:[z]\nL3-4[p\r\nq] 4:[r]\nL5-5[last]\n" },
	{ "1,\"a\rb\",c\r2\n", 0, ',', '"', "L1-2[1] 1:[a\rb] 2:[c]\nL3-3[2]\n" },
	/* empty fields, leading and trailing */
	{ ",,\n,x,\n", 0, ',', '"', "L1-1[] 1:[] 1:[]\nL2-2[] 2:[x] 2:[]\n" },
	/* lenient: a quote inside an unquoted field is a literal, text after
	 * a closing quote is appended */
	{ "12\" tv,\"ab\"c,d\n", 0, ',', '"', "L1-1[12\" tv] 1:[abc] 1:[d]\n" },
	/* no quote character */
	{ "\"a\",b\n", 0, ',', 0, "L1-1[\"a\"] 1:[b]\n" },
	/* other delimiters */
	{ "a\tb|c\t\"d\te\"\n", 0, '\t', '"', "L1-1[a] 1:[b|c] 1:[d\te]\n" },
	{ "a|b;c\n", 0, '|', '"', "L1-1[a] 1:[b;c]\n" },
	/* a quote that never closes swallows the rest of the file */
	{ "a,\"b\nc,d\n", 0, ',', '"', "L1-3!u[a] 1:[b\nc,d\n]\n" },
	/* NUL bytes are flagged (the field stops at them) */
	{ "a,b\0c\nd\n", 8, ',', '"', "L1-1!n[a] 1:[b]\nL2-2[d]\n" },
	/* a GBK-decoded-to-UTF-8 header */
	{ "住院号,姓名\r\nZY1,王芳\r\n", 0, ',', '"',
	  "L1-1[住院号] 1:[姓名]\nL2-2[ZY1] 2:[王芳]\n" },
};

START_TEST(test_tokenize)
{
	size_t n = tok[_i].len ? tok[_i].len : strlen(tok[_i].in), chunk;
	char *got;

	for (chunk = 0; chunk <= n + 1; chunk++) {
		got = tokenize(tok[_i].in, n, tok[_i].delim, tok[_i].quote,
		    chunk, 0);
		ck_assert_msg(strcmp(got, tok[_i].want) == 0,
		    "case %d, chunk %zu:\ngot:\n%s\nwant:\n%s", _i, chunk, got,
		    tok[_i].want);
		free(got);
	}
}
END_TEST

START_TEST(test_too_long)
{
	char *got = tokenize("abcdefghij,k\nok\n", 16, ',', '"', 3, 8);

	ck_assert_str_eq(got, "L1-1!l[abcdefg] 1:[]\nL2-2[ok]\n");
	free(got);
}
END_TEST

/* --- the reader: decoding in chunks -------------------------------------- */

static int
tmpfd(const char *data, size_t len)
{
	FILE *fp = tmpfile();
	int fd;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fwrite(data, 1, len, fp), len);
	fflush(fp);
	fd = dup(fileno(fp));
	fclose(fp);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static char *
read_file(const char *data, size_t len, const char *enc, int delim,
    size_t chunk, char *encout, size_t enclen)
{
	struct hg_csv_ropts o;
	struct hg_csv_reader *r;
	struct hg_csv_rec rec;
	struct hg_err err;
	char *out = hg_xstrdup("");
	size_t olen = 0;
	int fd = tmpfd(data, len), rc;

	memset(&o, 0, sizeof o);
	o.encoding = enc;
	o.delim = delim;
	o.quote = '"';
	o.utf16_tab = 1;
	o.chunk = chunk;
	r = hg_csv_reader_new(fd, &o, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	while ((rc = hg_csv_reader_next(r, &rec, &err)) == 1)
		show(&out, &olen, &rec);
	ck_assert_int_eq(rc, 0);
	if (encout != NULL)
		snprintf(encout, enclen, "%s", hg_csv_reader_encoding(r));
	hg_csv_reader_free(r);
	close(fd);
	return out;
}

static const struct {
	const char *in;
	size_t	 len;
	const char *enc;
	const char *want;
	const char *want_enc;
} rd[] = {
	/* GBK: 住院号,姓名 / ZY1,王芳 */
	{ "\xD7\xA1\xD4\xBA\xBA\xC5,\xD0\xD5\xC3\xFB\r\nZY1,\xCD\xF5\xB7\xBC\r\n",
	  0, "auto", "L1-1[住院号] 1:[姓名]\nL2-2[ZY1] 2:[王芳]\n", "GB18030" },
	/* ASCII first, GBK later: the first non-ASCII text decides */
	{ "id,name\r\n1,a\r\n2,\xCD\xF5\xB7\xBC\r\n", 0, "auto",
	  "L1-1[id] 1:[name]\nL2-2[1] 2:[a]\nL3-3[2] 3:[王芳]\n", "GB18030" },
	/* a four-byte GB18030 character (U+20000) */
	{ "x,\x95\x32\x82\x36\xCD\xF5\n", 0, "GB18030", "L1-1[x] 1:[𠀀王]\n",
	  "GB18030" },
	/* a GBK character cut by a fixed-width export: one U+FFFD, the
	 * delimiter after it survives */
	{ "a,\xCD\xF5\xB7,b\n", 0, "GB18030", "L1-1[a] 1:[王\xEF\xBF\xBD] 1:[b]\n",
	  "GB18030" },
	/* cut at the very end of the file */
	{ "a,\xCD", 0, "GB18030", "L1-1[a] 1:[\xEF\xBF\xBD]\n", "GB18030" },
	/* UTF-8 with a BOM (Excel "CSV UTF-8"): BOM dropped */
	{ "\xEF\xBB\xBF住院号,x\n1,王芳\n", 0, "auto",
	  "L1-1[住院号] 1:[x]\nL2-2[1] 2:[王芳]\n", "UTF-8" },
	/* UTF-8 without a BOM */
	{ "住院号,x\n1,王芳\n", 0, "auto", "L1-1[住院号] 1:[x]\nL2-2[1] 2:[王芳]\n",
	  "UTF-8" },
	/* a BOM wins over a forced encoding */
	{ "\xEF\xBB\xBF王,x\n", 0, "GB18030", "L1-1[王] 1:[x]\n", "UTF-8" },
	/* UTF-16LE "Unicode text": BOM, tab-separated although the
	 * delimiter is ",": 住院号\t姓名\r\n1\t王芳\r\n */
	{ "\xFF\xFE\x4F\x4F\x62\x96\xF7\x53\x09\x00\xD3\x59\x0D\x54\x0D\x00"
	  "\x0A\x00\x31\x00\x09\x00\x8B\x73\xB3\x82\x0D\x00\x0A\x00", 30, "auto",
	  "L1-1[住院号] 1:[姓名]\nL2-2[1] 2:[王芳]\n", "UTF-16LE" },
	/* quoted field with an embedded line break, in GBK */
	{ "\"\xCD\xF5\n\xB7\xBC\",1\n", 0, "auto", "L1-2[王\n芳] 2:[1]\n",
	  "GB18030" },
};

START_TEST(test_reader_chunks)
{
	size_t n = rd[_i].len ? rd[_i].len : strlen(rd[_i].in), chunk;
	char enc[32], *got;

	/* every chunk size splits some character somewhere */
	for (chunk = 1; chunk <= n + 2; chunk++) {
		got = read_file(rd[_i].in, n, rd[_i].enc, ',', chunk, enc,
		    sizeof enc);
		ck_assert_msg(strcmp(got, rd[_i].want) == 0,
		    "case %d, chunk %zu:\ngot:\n%s\nwant:\n%s", _i, chunk, got,
		    rd[_i].want);
		ck_assert_msg(strcmp(enc, rd[_i].want_enc) == 0,
		    "case %d, chunk %zu: encoding %s, want %s", _i, chunk, enc,
		    rd[_i].want_enc);
		free(got);
	}
}
END_TEST

/* A longer GBK text split at every offset: no U+FFFD may appear, the
 * decoder must carry the cut characters over. */
START_TEST(test_gbk_every_split)
{
	static const char line[] = "ZY2024000123,\xCD\xF5\xB7\xBC,"
	    "\xD7\xA2\xC9\xE4\xD3\xC3\xCD\xB7\xE6\xDF\xDF\xBB\xD0\xC1\xC4\xC6,"
	    "\x95\x32\x82\x36\r\n";
	char *text, *whole, *got;
	size_t n, i, chunk;

	n = 0;
	text = hg_xmalloc(sizeof line * 40);
	for (i = 0; i < 40; i++) {
		memcpy(text + n, line, sizeof line - 1);
		n += sizeof line - 1;
	}
	whole = read_file(text, n, "auto", ',', 0, NULL, 0);
	ck_assert_ptr_null(strstr(whole, "\xEF\xBF\xBD"));
	ck_assert_ptr_nonnull(strstr(whole, "L40-40[ZY2024000123] 40:[王芳] "
	    "40:[注射用头孢呋辛钠] 40:[𠀀]\n"));
	for (chunk = 1; chunk <= 70; chunk++) {
		got = read_file(text, n, "auto", ',', chunk, NULL, 0);
		ck_assert_msg(strcmp(got, whole) == 0, "chunk %zu differs",
		    chunk);
		free(got);
	}
	free(whole);
	free(text);
}
END_TEST

/* Every two-byte pair, valid or not, in each GBK-family encoding: the
 * decoder (its table for the pairs it knows) gives what iconv alone
 * gives, U+FFFD where iconv refuses. */
START_TEST(test_gbk_table_as_iconv)
{
	static const char *const encs[] = { "GB18030", "GBK", "GB2312" };
	const char *enc = encs[_i];
	struct hg_decoder *d;
	struct hg_err err;
	iconv_t cd;
	int lead, trail, nvalid = 0;

	cd = iconv_open("UTF-8", enc);
	ck_assert(cd != (iconv_t)-1);
	for (lead = 0x81; lead <= 0xFE; lead++)
		for (trail = 0x40; trail <= 0xFE; trail++) {
			char in[4] = { 'a', (char)lead, (char)trail, 'z' };
			char want[16], *ip = in + 1, *op = want + 1;
			size_t il = 2, ol = sizeof want - 3, used, glen;
			const char *got;

			want[0] = 'a';
			iconv(cd, NULL, NULL, NULL, NULL);
			if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
				continue;	/* the refusals: below */
			nvalid++;
			*op++ = 'z';
			ck_assert_int_eq(hg_decoder_new(enc, NULL, &d, &err), 0);
			ck_assert_int_eq(hg_decoder_feed(d, in, 4, 1, &used,
			    &got, &glen, &err), 0);
			ck_assert_msg(glen == (size_t)(op - want) &&
			    memcmp(got, want, glen) == 0, "%s %02X%02X: "
			    "decoded %.*s, iconv %.*s", enc, lead, trail,
			    (int)glen, got, (int)(op - want), want);
			hg_decoder_free(d);
		}
	iconv_close(cd);
	ck_assert_int_gt(nvalid, 7000);
	{
		/* 0xFF is no lead byte: U+FFFD, and the next character
		 * reads as itself */
		static const char bad[] = "a\xFF\xCD\xF5";
		const char *got;
		size_t used, glen;

		ck_assert_int_eq(hg_decoder_new(enc, NULL, &d, &err), 0);
		ck_assert_int_eq(hg_decoder_feed(d, bad, 4, 1, &used, &got,
		    &glen, &err), 0);
		ck_assert_int_eq(hg_decoder_nbad(d), 1);
		ck_assert(glen == 7 && memcmp(got, "a\xEF\xBF\xBD王", 7) == 0);
		hg_decoder_free(d);
	}
}
END_TEST

START_TEST(test_binary)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"
	    "\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xff\x61";
	static const char txt[] = "a,b\r\nc,d\r\n";
	struct hg_csv_ropts o;
	struct hg_csv_reader *r;
	struct hg_csv_rec rec;
	struct hg_err err;
	const char *why = NULL;
	int fd;

	memset(&o, 0, sizeof o);
	o.delim = ',';
	fd = tmpfd(png, sizeof png - 1);
	r = hg_csv_reader_new(fd, &o, &err);
	ck_assert_ptr_nonnull(r);
	hg_csv_reader_next(r, &rec, &err);
	ck_assert_int_eq(hg_csv_reader_binary(r, &why), 1);
	ck_assert_str_eq(why, "NUL bytes");
	hg_csv_reader_free(r);
	close(fd);

	fd = tmpfd(txt, sizeof txt - 1);
	r = hg_csv_reader_new(fd, &o, &err);
	ck_assert_int_eq(hg_csv_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(hg_csv_reader_binary(r, &why), 0);
	hg_csv_reader_free(r);
	close(fd);
}
END_TEST

START_TEST(test_unknown_encoding)
{
	struct hg_decoder *d = NULL;
	struct hg_err err;

	ck_assert_int_eq(hg_decoder_new("KLINGON-8", NULL, &d, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown encoding"));
	ck_assert_int_eq(hg_decoder_new("auto", "GB18030", &d, &err), 0);
	ck_assert_ptr_null(hg_decoder_encoding(d));
	hg_decoder_free(d);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = hg_tcase(s, "tokenizer", 30);

	tcase_add_loop_test(tc, test_tokenize, 0, sizeof tok / sizeof tok[0]);
	tcase_add_test(tc, test_too_long);
	tc = hg_tcase(s, "reader", 60);
	tcase_add_loop_test(tc, test_reader_chunks, 0, sizeof rd / sizeof rd[0]);
	tcase_add_test(tc, test_gbk_every_split);
	tcase_add_loop_test(tc, test_gbk_table_as_iconv, 0, 3);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_unknown_encoding);
	return s;
}
