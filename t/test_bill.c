#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bill.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/text.h"
#include "t/check_main.h"

static struct hg_bill *
sample(void)
{
	struct hg_bill *b = hg_bill_new();
	struct hg_fee *f;
	struct hg_diag *d;

	hg_set_str(&b->psn_name, "王芳");
	hg_set_str(&b->certno, "11010519491231002X");
	hg_set_str(&b->ipt_no, "ZY2024000123");
	strcpy(b->adm_time, "2024-03-01 08:30:00");
	strcpy(b->dscg_time, "2024-03-05 10:00:00");
	d = hg_bill_add_diag(b);
	hg_set_str(&d->code, "J18.900");
	hg_set_str(&d->name, "肺炎");
	d->main = 1;
	f = hg_bill_add_fee(b);
	hg_set_str(&f->sn, "1");
	hg_set_str(&f->local_code, "YP000456");
	hg_set_str(&f->name, "注射用头孢呋辛钠");
	f->qty = 40000;
	f->price = 12500000;
	f->amount = 5000;
	strcpy(f->time, "2024-03-01 09:10:00");
	f->line = 2;
	f = hg_bill_add_fee(b);
	hg_set_str(&f->sn, "2");
	hg_set_str(&f->local_code, "CW0001");
	f->qty = -10000;
	f->price = 3333333;
	f->amount = -333;
	f->line = 3;
	b->total = 4667;
	b->has_total = 1;
	hg_set_str(&b->adapter, "his");
	hg_set_str(&b->source_key, "ZY2024000123");
	return b;
}

START_TEST(test_json_roundtrip)
{
	struct hg_bill *a = sample(), *b = NULL;
	struct hg_err err;
	char *ja, *jb, ha[65], hb[65];

	ja = hg_bill_to_json(a);
	ck_assert_msg(strstr(ja, "\"det_item_fee_sumamt\":50.00") != NULL,
	    "amount not exact text: %s", ja);
	ck_assert_msg(strstr(ja, "\"pric\":3.333333") != NULL, "%s", ja);
	ck_assert_msg(strstr(ja, "\"cnt\":-1.0000") != NULL, "%s", ja);
	ck_assert_msg(hg_bill_from_json(ja, &b, &err) == 0, "%s", err.msg);
	jb = hg_bill_to_json(b);
	ck_assert_str_eq(ja, jb);
	ck_assert_int_eq(b->fees[1].amount, -333);
	ck_assert_int_eq(b->total, 4667);
	hg_bill_hash(a, ha);
	hg_bill_hash(b, hb);
	ck_assert_str_eq(ha, hb);
	free(ja);
	free(jb);
	hg_bill_free(a);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_hash_content_only)
{
	struct hg_bill *a = sample(), *b = sample();
	char ha[65], hb[65];

	hg_set_str(&b->source_ref, "other.csv lines 9-10");
	b->fees[0].line = 40;
	hg_bill_hash(a, ha);
	hg_bill_hash(b, hb);
	ck_assert_str_eq(ha, hb);
	b->fees[0].amount = 5001;
	hg_bill_hash(b, hb);
	ck_assert_str_ne(ha, hb);
	hg_bill_free(a);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_json_rejects)
{
	static const char *const bad[] = {
		"{\"feedetail\":[{\"cnt\":1,\"pric\":1,"
		    "\"det_item_fee_sumamt\":1.001}]}",
		"{\"feedetail\":[{\"cnt\":1,\"pric\":1}]}",
		"{\"begntime\":\"2024/3/1\"}",
		"[1,2]",
		"{\"a\":",
	};
	struct hg_bill *b = NULL;
	struct hg_err err;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(hg_bill_from_json(bad[i], &b, &err) == -1,
		    "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(test_masking)
{
	char line[] = "bill for 11010519491231002X and 110105491231002 "
	    "psn 41000000000000001234567890 amt 51423.22 damaged "
	    "1010519491231002X time 20240301083000";
	char buf[64];

	hg_mask_ids(line);
	ck_assert_str_eq(line, "bill for 110105********002X and "
	    "110105*****1002 psn 41000000000000001234567890 amt 51423.22 "
	    "damaged 101051*******002X time 20240301083000");
	/* national catalogue codes of 15 digits (no month/day where an old
	 * ID number has them) stay; an old ID number does not */
	{
		char codes[] = "001102000010000 003311010010000 "
		    "320102850101123";

		hg_mask_ids(codes);
		ck_assert_str_eq(codes, "001102000010000 003311010010000 "
		    "320102*****1123");
	}
	ck_assert_str_eq(hg_mask_name("王芳", buf, sizeof buf), "王*");
	ck_assert_str_eq(hg_mask_name("欧阳娜娜", buf, sizeof buf), "欧***");
	ck_assert_str_eq(hg_mask_name("Li", buf, sizeof buf), "L*");
	/* the slip's and the web pages' form: both ends kept from three
	 * characters on, as hg_mask_name below that or for broken UTF-8 */
	ck_assert_str_eq(hg_mask_name_ends("王小芳", buf, sizeof buf), "王*芳");
	ck_assert_str_eq(hg_mask_name_ends("欧阳娜娜", buf, sizeof buf),
	    "欧**娜");
	ck_assert_str_eq(hg_mask_name_ends("王芳", buf, sizeof buf), "王*");
	ck_assert_str_eq(hg_mask_name_ends("Zhang", buf, sizeof buf), "Z***g");
	ck_assert_str_eq(hg_mask_name_ends("", buf, sizeof buf), "");
	ck_assert_str_eq(hg_mask_name_ends("王小\xe8", buf, sizeof buf), "王**");
	{
		char small[6];

		/* "王*芳" needs 8 bytes: the shorter form, never a cut one */
		ck_assert_str_eq(hg_mask_name_ends("王小芳", small,
		    sizeof small), "王**");
	}
	ck_assert_str_eq(hg_mask_certno("11010519491231002X", buf,
	    sizeof buf), "110105********002X");
}
END_TEST

START_TEST(test_mask_text)
{
	char *s;

	/* a platform's -2 text, as queue list and queue show print it */
	s = hg_mask_text("证件号码[320102199001011232]未查询到参保人员信息",
	    NULL);
	ck_assert_str_eq(s, "证件号码[320102********1232]未查询到参保人员信息");
	free(s);
	s = hg_mask_text("人员姓名[王小芳]与证件号码[11010519491231002X]登记的"
	    "姓名不一致; 王小芳", "王小芳");
	ck_assert_str_eq(s, "人员姓名[王**]与证件号码[110105********002X]登记的"
	    "姓名不一致; 王**");
	free(s);
	/* no name, an empty name, or none in the text: only the IDs */
	s = hg_mask_text("psn 41000000000000001234567890 ok", "");
	ck_assert_str_eq(s, "psn 41000000000000001234567890 ok");
	free(s);
	s = hg_mask_text("", "王芳");
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_ptr_null(hg_mask_text(NULL, "王芳"));
}
END_TEST

START_TEST(test_time_parse)
{
	static const struct { const char *in, *out; } good[] = {
		{ "2024-03-01 08:30:00", "2024-03-01 08:30:00" },
		{ "2024-03-01T08:30:00", "2024-03-01 08:30:00" },
		{ "2024-02-29", "2024-02-29 00:00:00" },
		{ " 2024-03-01 08:30:00 ", "2024-03-01 08:30:00" },
	};
	static const char *const bad[] = { "2024/3/1", "20240301",
	    "1/8/2024 00:00:00", "2023-02-29 00:00:00", "2024-13-01",
	    "2024-03-01 24:00:00", "", "2024-03-01 08:30" };
	char out[HG_TIMELEN];
	struct hg_err err;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ck_assert_msg(hg_time_parse("t", good[i].in, out, &err) == 0,
		    "%s: %s", good[i].in, err.msg);
		ck_assert_str_eq(out, good[i].out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(hg_time_parse("fee_ocur_time", bad[i], out,
		    &err) == -1 && strstr(err.msg, "fee_ocur_time") != NULL,
		    "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_encoding)
{
	/* "王芳" in GBK, a truncated lead byte at the end */
	static const char gbk[] = "\xcd\xf5\xb7\xbc,\xb7";
	char *out;
	size_t len, nbad, first, bom;

	ck_assert_str_eq(hg_text_detect(gbk, sizeof gbk - 1, "GB18030",
	    &bom), "GB18030");
	ck_assert_str_eq(hg_text_detect("\xef\xbb\xbf" "a", 4, "GB18030",
	    &bom), "UTF-8");
	ck_assert_int_eq(bom, 3);
	ck_assert_int_eq(hg_text_to_utf8("GB18030", gbk, sizeof gbk - 1, &out,
	    &len, &nbad, &first, NULL), 0);
	ck_assert_str_eq(out, "王芳,\xef\xbf\xbd");
	ck_assert_int_eq(nbad, 1);
	ck_assert_int_eq(first, 5);
	ck_assert(hg_has_replacement(out));
	free(out);
	/* UTF-8 with a BOM but ill-formed after it (fuzz/corpus/text):
	 * a lead byte 0xF6 is past U+10FFFF, a stray continuation byte,
	 * an overlong "/", a surrogate; each bad byte one U+FFFD, the
	 * rest as it was, the result well-formed */
	ck_assert_int_eq(hg_text_to_utf8("UTF-8", "a\xf6\x87\x87\x87" "b\x87"
	    "\xc0\xaf\xed\xa0\x80\xe7\x8e\x8b", 15, &out, &len, &nbad,
	    &first, NULL), 0);
	ck_assert(hg_utf8_valid(out, len));
	ck_assert_int_eq(nbad, 10);
	ck_assert_int_eq(first, 1);
	ck_assert_str_eq(out, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "王");
	free(out);
}
END_TEST

START_TEST(test_norm_id)
{
	char s[] = " \xef\xbc\x91\xef\xbc\x91" "0105194912310\xef\xbc\x90"
	    "2x\xe3\x80\x80";

	hg_norm_id(s);
	ck_assert_str_eq(s, "11010519491231002X");
}
END_TEST

/* The published SHA-256 vectors (FIPS 180-2): hashes stored in outboxes
 * before the switch to nettle must still match. */
START_TEST(test_sha256_vectors)
{
	char out[65];

	hg_sha256_hex("abc", 3, out);
	ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	hg_sha256_hex("", 0, out);
	ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("bill");
	TCase *tc = hg_tcase(s, "bill", 10);

	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_test(tc, test_hash_content_only);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_json_rejects);
	tc = hg_tcase(s, "text", 10);
	tcase_add_test(tc, test_masking);
	tcase_add_test(tc, test_mask_text);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_encoding);
	tcase_add_test(tc, test_norm_id);
	return s;
}
