/* The hl7 adapter's parts without sockets: MLLP framing (frames split
 * anywhere, junk between frames, oversized frames, a restarted frame),
 * the message parser (separators from MSH, CR/CRLF/LF, every escape,
 * character sets), classification with its reasons, the fold of a
 * visit's messages into a bill, and the journal (torn tail, re-read). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/hl7_priv.h"
#include "adapters/mllp.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"

/* --- MLLP ---------------------------------------------------------------- */

static void
feed_all(struct hg_mllp *m, const char *p, size_t n, size_t step,
    char out[][64], int *nout, int *ntoobig)
{
	const char *msg;
	size_t len, i;
	enum hg_mllp_rc rc;

	for (i = 0; i < n; i += step) {
		hg_mllp_feed(m, p + i, i + step > n ? n - i : step);
		while ((rc = hg_mllp_next(m, &msg, &len)) != HG_MLLP_NONE) {
			if (rc == HG_MLLP_TOOBIG) {
				(*ntoobig)++;
				continue;
			}
			ck_assert_uint_lt(len, 64);
			memcpy(out[*nout], msg, len);
			out[(*nout)++][len] = '\0';
		}
	}
}

START_TEST(test_mllp_split)
{
	static const char wire[] = "\n\x0b" "A|1\r\x1c\r" "junk\x0b" "B\x1c"
	    "x\r\x1c\r" "\x0b" "C\r\x1c\r";
	size_t step;

	/* every way of cutting the stream gives the same frames */
	for (step = 1; step <= sizeof wire; step++) {
		struct hg_mllp m;
		char out[8][64];
		int n = 0, big = 0;

		hg_mllp_init(&m, 1024);
		feed_all(&m, wire, sizeof wire - 1, step, out, &n, &big);
		ck_assert_int_eq(n, 3);
		ck_assert_str_eq(out[0], "A|1\r");
		/* 0x1C not followed by CR is data */
		ck_assert_str_eq(out[1], "B\x1cx\r");
		ck_assert_str_eq(out[2], "C\r");
		ck_assert(!hg_mllp_partial(&m));
		hg_mllp_free(&m);
	}
}
END_TEST

START_TEST(test_mllp_restart_and_big)
{
	struct hg_mllp m;
	char out[8][64], big[20000];
	int n = 0, nbig = 0;

	hg_mllp_init(&m, 100);
	/* a start byte inside a frame abandons the old one */
	feed_all(&m, "\x0bhalf\x0bwhole\x1c\r", 14, 3, out, &n, &nbig);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(out[0], "whole");
	/* a frame over max is dropped up to its end, the next one is fine */
	memset(big, 'x', sizeof big);
	big[0] = 0x0b;
	big[sizeof big - 2] = 0x1c;
	big[sizeof big - 1] = '\r';
	feed_all(&m, big, sizeof big, 7, out, &n, &nbig);
	ck_assert_int_eq(nbig, 1);
	ck_assert_uint_le(m.in.cap, 4096);	/* never held whole */
	feed_all(&m, "\x0bok\x1c\r", 5, 1, out, &n, &nbig);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(out[1], "ok");
	feed_all(&m, "\x0bpart", 5, 5, out, &n, &nbig);
	ck_assert(hg_mllp_partial(&m));
	hg_mllp_free(&m);
}
END_TEST

START_TEST(test_mllp_wrap)
{
	struct hg_buf b = { NULL, 0, 0 };

	hg_mllp_wrap(&b, "MSH|", 4);
	ck_assert_uint_eq(b.len, 7);
	ck_assert_mem_eq(b.data, "\x0bMSH|\x1c\r", 7);
	hg_buf_free(&b);
}
END_TEST

/* --- messages ------------------------------------------------------------ */

static struct hg_hl7_msg *
parse_ok(const char *text, size_t len)
{
	struct hg_hl7_msg *m;
	struct hg_err err;

	if (hg_hl7_parse(text, len, "GB18030", &m, &err) < 0)
		ck_abort_msg("parse: %s", err.msg);
	return m;
}

static void
get_is(const struct hg_hl7_msg *m, const char *seg, int f, int r, int c,
    const char *want)
{
	char *v = hg_hl7_get(m, hg_hl7_seg(m, seg, 0), f, r, c);

	ck_assert_msg(strcmp(v, want) == 0, "%s-%d[%d].%d: got \"%s\", want "
	    "\"%s\"", seg, f, r, c, v, want);
	free(v);
}

START_TEST(test_separators_and_lines)
{
	/* other separators, and CR, CRLF and LF mixed, a stray 0x0B */
	static const char text[] =
	    "MSH#*!@%#HIS#H1#R#F#2024##DFT*P03#C9#P#2.4\r\n"
	    "PID#1##ZY1***H1*MR!1101***CHN*NNCHN##WANG*FANG\n"
	    "\x0bPV1#1#I\r"
	    "NTE#1##a@F@b@S@c@T@d@R@e@E@f\r";
	struct hg_hl7_msg *m = parse_ok(text, sizeof text - 1);

	ck_assert_uint_eq(m->nseg, 4);
	ck_assert_int_eq(m->fs, '#');
	get_is(m, "MSH", 1, 0, 0, "#");
	get_is(m, "MSH", 2, 0, 0, "*!@%");
	get_is(m, "MSH", 9, 0, 2, "P03");
	get_is(m, "MSH", 10, 0, 0, "C9");
	ck_assert_uint_eq(hg_hl7_reps(m, hg_hl7_seg(m, "PID", 0), 3), 2);
	get_is(m, "PID", 3, 1, 5, "NNCHN");
	get_is(m, "PID", 3, 1, 1, "1101");
	get_is(m, "PID", 5, 0, 2, "FANG");
	get_is(m, "PV1", 2, 0, 0, "I");
	get_is(m, "NTE", 3, 0, 0, "a#b*c%d!e@f");
	get_is(m, "PID", 99, 0, 0, "");
	hg_hl7_free(m);
}
END_TEST

START_TEST(test_escapes)
{
	/* \X..\ are bytes in the message's character set: E7 8E 8B is 王
	 * in UTF-8; B7 BC is 芳 in GB18030 */
	static const char utf[] = "MSH|^~\\&|H||||||ADT^A01|1|P|2.4||||||"
	    "UNICODE UTF-8\rNTE|1||\\XE78E8B\\|x\\.br\\y|\\H\\bold\\N\\|"
	    "\\Zlocal\\|\\Q\\|\\X4\\|open\\end\r";
	static const char gb[] = "MSH|^~\\&|H||||||ADT^A01|1|P|2.4||||||"
	    "GB2312\rNTE|1||\\XB7BC\\\r";
	struct hg_hl7_msg *m = parse_ok(utf, sizeof utf - 1);

	get_is(m, "NTE", 3, 0, 0, "王");
	get_is(m, "NTE", 4, 0, 0, "x\ny");
	get_is(m, "NTE", 5, 0, 0, "bold");
	get_is(m, "NTE", 6, 0, 0, "");
	get_is(m, "NTE", 7, 0, 0, "\\Q\\");	/* unknown: literal */
	get_is(m, "NTE", 8, 0, 0, "\\X4\\");	/* odd hex: literal */
	get_is(m, "NTE", 9, 0, 0, "open\\end");
	hg_hl7_free(m);
	m = parse_ok(gb, sizeof gb - 1);
	ck_assert_str_eq(m->enc, "GB18030");
	get_is(m, "NTE", 3, 0, 0, "芳");
	hg_hl7_free(m);
}
END_TEST

START_TEST(test_charsets)
{
	/* 王芳 in GBK: the trail byte of 芳 (B7 BC) is harmless, but
	 * 乗 is 81 5C: a backslash as a trail byte */
	static const char gbk[] = "MSH|^~\\&|H||||||ADT^A01|1|P|2.4||||||"
	    "GB 18030-2000\rPID|1||||\xcd\xf5\xb7\xbc^\x81\x5c\r";
	struct hg_hl7_msg *m;
	struct hg_err err;

	m = parse_ok(gbk, sizeof gbk - 1);
	get_is(m, "PID", 5, 0, 1, "王芳");
	get_is(m, "PID", 5, 0, 2, "乗");
	hg_hl7_free(m);
	ck_assert_str_eq(hg_hl7_charset("", "UTF-8"), "UTF-8");
	ck_assert_str_eq(hg_hl7_charset("UNICODE UTF-8", "X"), "UTF-8");
	ck_assert_str_eq(hg_hl7_charset("gb2312", "X"), "GB18030");
	ck_assert_ptr_null(hg_hl7_charset("KOI8-R", "X"));
	/* auto: valid UTF-8 is UTF-8, else GB18030 */
	ck_assert_int_eq(hg_hl7_parse("MSH|^~\\&|\xe7\x8e\x8b\r", 12, "auto",
	    &m, &err), 0);
	ck_assert_str_eq(m->enc, "UTF-8");
	hg_hl7_free(m);
	ck_assert_int_eq(hg_hl7_parse("MSH|^~\\&|\xcd\xf5\r", 11, "auto",
	    &m, &err), 0);
	ck_assert_str_eq(m->enc, "GB18030");
	hg_hl7_free(m);
	/* declared UTF-8, GBK bytes: refused, saying where */
	ck_assert_int_eq(hg_hl7_parse(gbk, sizeof gbk - 1, "X", &m, &err), 0);
	hg_hl7_free(m);
	{
		char bad[sizeof gbk + 8];
		size_t n;

		n = (size_t)snprintf(bad, sizeof bad, "%s",
		    "MSH|^~\\&|H||||||ADT^A01|1|P|2.4||||||UTF-8\rPID|\xcd\r");
		ck_assert_int_eq(hg_hl7_parse(bad, n, "X", &m, &err), -1);
		ck_assert_str_eq(err.msg, "byte 47: 1 byte is not valid "
		    "UTF-8 (MSH-18 \"UTF-8\"; expected text in that "
		    "character set)");
	}
}
END_TEST

START_TEST(test_escape_out)
{
	struct hg_buf b = { NULL, 0, 0 };

	hg_hl7_escape(&b, NULL, "a|b^c~d\\e&f\rg");
	ck_assert_str_eq(b.data, "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f g");
	hg_buf_free(&b);
}
END_TEST

/* --- classify and fold --------------------------------------------------- */

#define MSH_(t, c) "MSH|^~\\&|HIS|H1|HG|H1|20240305101500||" t "|" c \
	"|P|2.4||||||UNICODE UTF-8\r"
#define PID_ "PID|1||ZY1^^^H1^MR~11010519491231002x^^^CHN^NNCHN||王^芳^^" \
	"||19491231|女\r"
#define PV1_(v, extra) "PV1|1|I|0312^12||||D0087^李^明||||||||||||" v \
	"|||||||||||||||||||||||||20240301083000" extra "\r"
#define FT1_(sn, amt) "FT1|1|" sn "||20240301091000||CG|YP1^头孢^L^XJ01" \
	"|||4|" amt "|12.50|0312^呼吸内科||||||||D0087^李^明\r"

START_TEST(test_classify)
{
	static const char dft[] = MSH_("DFT^P03", "C1") PID_ PV1_("ZY1", "")
	    FT1_("FD1", "50.00");
	static const char a08[] = MSH_("ADT^A08", "C2") PID_;
	static const char bar[] = MSH_("BAR^P01", "C3") PID_ PV1_("ZY1", "")
	    FT1_("FD1", "50.00");
	struct hg_hl7_msg *m = parse_ok(dft, sizeof dft - 1);
	struct hg_hl7_head h;
	struct hg_err err;

	ck_assert_int_eq(hg_hl7_classify(m, &h, &err), 0);
	ck_assert_int_eq(h.kind, HG_HL7_CHARGES);
	ck_assert_str_eq(h.visit, "ZY1");
	ck_assert_str_eq(h.ctrl, "C1");
	ck_assert_str_eq(h.type, "DFT^P03");
	hg_hl7_head_free(&h);
	hg_hl7_free(m);
	m = parse_ok(bar, sizeof bar - 1);
	ck_assert_int_eq(hg_hl7_classify(m, &h, &err), 0);
	ck_assert_int_eq(h.kind, HG_HL7_CHARGES);
	hg_hl7_head_free(&h);
	hg_hl7_free(m);
	m = parse_ok(a08, sizeof a08 - 1);
	ck_assert_int_eq(hg_hl7_classify(m, &h, &err), 0);
	ck_assert_int_eq(h.kind, HG_HL7_OTHER_ADT);
	hg_hl7_head_free(&h);
	hg_hl7_free(m);
}
END_TEST

START_TEST(test_fold)
{
	static const char d1[] = MSH_("DFT^P03", "C1") PID_ PV1_("ZY1", "")
	    FT1_("FD1", "50.00") FT1_("FD2", "7.20");
	/* FD1 again: a correction replaces the line */
	static const char d2[] = MSH_("DFT^P03", "C2") PID_ PV1_("ZY1", "")
	    FT1_("FD1", "40.00");
	static const char a03[] = MSH_("ADT^A03^ADT_A03", "C3") PID_
	    PV1_("ZY1", "|20240305100000")
	    "DG1|1||J18.900^肺炎^ICD10YB|||F\r"
	    "DG1|2||I10.x00x032^高血压^ICD10YB|||F\r";
	const char *msgs[] = { d1, d2, a03 }, *ctrl[] = { "C1", "C2", "C3" };
	size_t lens[] = { sizeof d1 - 1, sizeof d2 - 1, sizeof a03 - 1 };
	struct hg_hl7_fold *fo = hg_hl7_fold_new("hl7", "ZY1");
	struct hg_bill *b;
	struct hg_err err;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct hg_hl7_msg *m = parse_ok(msgs[i], lens[i]);

		ck_assert_int_eq(hg_hl7_fold_add(fo, m, ctrl[i], &err), 0);
		hg_hl7_free(m);
	}
	b = hg_hl7_fold_end(fo);
	ck_assert_str_eq(b->psn_name, "王芳");
	ck_assert_str_eq(b->certno, "11010519491231002X");
	ck_assert_str_eq(b->gender, "2");
	ck_assert_str_eq(b->ipt_no, "ZY1");
	ck_assert_str_eq(b->source_key, "ZY1");
	ck_assert_str_eq(b->adm_time, "2024-03-01 08:30:00");
	ck_assert_str_eq(b->dscg_time, "2024-03-05 10:00:00");
	ck_assert_str_eq(b->dept_code, "0312");
	ck_assert_str_eq(b->dept_name, "呼吸内科");
	ck_assert_str_eq(b->doctor_name, "李明");
	ck_assert_uint_eq(b->nfees, 2);
	ck_assert_str_eq(b->fees[0].sn, "FD1");
	ck_assert_int_eq(b->fees[0].amount, 4000);
	ck_assert_int_eq(b->fees[0].qty, 40000);
	ck_assert_int_eq(b->fees[0].price, 12500000);
	ck_assert_str_eq(b->fees[0].nat_code, "XJ01");
	ck_assert_str_eq(b->fees[0].local_code, "YP1");
	ck_assert_str_eq(b->fees[0].name, "头孢");
	ck_assert_str_eq(b->fees[0].time, "2024-03-01 09:10:00");
	ck_assert_int_eq(b->fees[1].amount, 720);
	ck_assert_uint_eq(b->ndiags, 2);
	ck_assert_int_eq(b->diags[0].main, 1);
	ck_assert_int_eq(b->diags[1].main, 0);
	ck_assert_str_eq(b->source_ref, "visit ZY1, 3 messages (C1, C2, C3)");
	hg_bill_free(b);
}
END_TEST

START_TEST(test_time)
{
	char t[HG_TIMELEN];
	struct hg_err err;

	ck_assert_int_eq(hg_hl7_time("f", "20240301091000", t, &err), 0);
	ck_assert_str_eq(t, "2024-03-01 09:10:00");
	ck_assert_int_eq(hg_hl7_time("f", "202403010910", t, &err), 0);
	ck_assert_str_eq(t, "2024-03-01 09:10:00");
	ck_assert_int_eq(hg_hl7_time("f", "20240301", t, &err), 0);
	ck_assert_str_eq(t, "2024-03-01 00:00:00");
	ck_assert_int_eq(hg_hl7_time("f", "20240301091000.123+0800", t,
	    &err), 0);
	ck_assert_str_eq(t, "2024-03-01 09:10:00");
	ck_assert_int_eq(hg_hl7_time("f", "1977-01-01", t, &err), 0);
	ck_assert_str_eq(t, "1977-01-01 00:00:00");
	ck_assert_int_eq(hg_hl7_time("f", "2024030", t, &err), -1);
	ck_assert_int_eq(hg_hl7_time("f", "20241301", t, &err), -1);
}
END_TEST

/* --- the journal --------------------------------------------------------- */

START_TEST(test_store)
{
	char *dir = hg_tmpdir(), *path;
	struct hg_hl7_store *st;
	struct hg_hl7_visit v;
	struct hg_err err;
	int fd;

	ck_assert_int_eq(hg_hl7_store_open(dir, &st, &err), 0);
	ck_assert_int_eq(hg_hl7_store_load(st, "ZY/1 王", &v, &err), 0);
	ck_assert_int_eq(v.exists, 0);
	ck_assert_int_eq(hg_hl7_store_append(st, &v, HG_REC_CHARGES, "C 1",
	    "MSH|a\rPID|\n", 11, &err), 0);
	ck_assert_int_eq(hg_hl7_store_append(st, &v, HG_REC_DISCHARGE, "C2",
	    "MSH|b", 5, &err), 0);
	hg_hl7_visit_free(&v);
	/* a torn record at the end (a crash while writing it) */
	path = hg_xasprintf("%s/x-%s.hl7", dir, "5a592f3120e78e8b");
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "HL7 D 99 4333\nMSH|", 18), 18);
	close(fd);
	ck_assert_int_eq(hg_hl7_store_load(st, "ZY/1 王", &v, &err), 0);
	ck_assert_uint_eq(v.n, 2);
	ck_assert_int_eq(v.closed, 1);
	ck_assert_str_eq(v.rec[0].ctrl, "C 1");
	ck_assert_uint_eq(v.rec[0].len, 11);
	ck_assert_mem_eq(v.rec[0].data, "MSH|a\rPID|\n", 11);
	ck_assert(hg_hl7_visit_has(&v, "C2"));
	ck_assert(!hg_hl7_visit_has(&v, "C3"));
	ck_assert(!hg_hl7_visit_committed(&v));
	/* the next record overwrites the torn one */
	ck_assert_int_eq(hg_hl7_store_append(st, &v, HG_REC_COMMITTED, "-",
	    "", 0, &err), 0);
	hg_hl7_visit_free(&v);
	ck_assert_int_eq(hg_hl7_store_load(st, "ZY/1 王", &v, &err), 0);
	ck_assert_uint_eq(v.n, 3);
	ck_assert(hg_hl7_visit_committed(&v));
	hg_hl7_visit_free(&v);
	hg_hl7_store_close(st);
	free(path);
	hg_rmtree(dir);
	free(dir);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("hl7");
	TCase *tc = hg_tcase(s, "mllp", 10);

	tcase_add_test(tc, test_mllp_split);
	tcase_add_test(tc, test_mllp_restart_and_big);
	tcase_add_test(tc, test_mllp_wrap);
	tc = hg_tcase(s, "message", 10);
	tcase_add_test(tc, test_separators_and_lines);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_charsets);
	tcase_add_test(tc, test_escape_out);
	tc = hg_tcase(s, "bill", 10);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_time);
	tc = hg_tcase(s, "store", 10);
	tcase_add_test(tc, test_store);
	return s;
}
