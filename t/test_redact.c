#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/redact.h"
#include "t/check_main.h"

/* A bill as lib/bill_json.c writes it, cut down. */
static const char bill[] =
    "{\"psn_name\":\"王芳\",\"gend\":\"2\",\"psn_cert_type\":\"01\","
    "\"certno\":\"11010519491231002X\",\"card_no\":\"A12345678\","
    "\"ipt_no\":\"ZY2024000123\",\"psn_no\":\"32010000000000000000000001\","
    "\"medfee_sumamt\":51423.22,\"feedetail\":[{\"name\":\"床位费\","
    "\"det_item_fee_sumamt\":100.00}],\"problems\":\"3\\tcertno\\t"
    "11010519491231002X is not 18\"}";

START_TEST(test_fields)
{
	ck_assert_int_eq(hg_redact_field("psn_name"), 2);
	ck_assert_int_eq(hg_redact_field("certno"), 2);
	ck_assert_int_eq(hg_redact_field("mdtrt_cert_no"), 2);
	ck_assert_int_eq(hg_redact_field("gend"), 1);
	ck_assert_int_eq(hg_redact_field("brdy"), 1);
	/* what reconciliation and 2305 need */
	ck_assert_int_eq(hg_redact_field("psn_no"), 0);
	ck_assert_int_eq(hg_redact_field("mdtrt_id"), 0);
	ck_assert_int_eq(hg_redact_field("setl_id"), 0);
	ck_assert_int_eq(hg_redact_field("ipt_no"), 0);
	ck_assert_int_eq(hg_redact_field("name"), 0);	/* a fee's */
}
END_TEST

START_TEST(test_bill)
{
	struct hg_redact r;
	char *s;
	int changed = 0;

	hg_redact_init(&r);
	hg_redact_learn(&r, bill);
	ck_assert_uint_eq(r.n, 3);	/* name, certno, card */
	ck_assert_str_eq(r.v[0], "11010519491231002X");	/* longest first */
	s = hg_redact_json(&r, bill, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_ptr_null(strstr(s, "王芳"));
	ck_assert_ptr_null(strstr(s, "11010519491231002X"));
	ck_assert_ptr_null(strstr(s, "A12345678"));
	ck_assert_ptr_null(strstr(s, "\"gend\""));
	ck_assert_ptr_null(strstr(s, "psn_cert_type"));
	/* ids and amounts, with their exact text, stay */
	ck_assert_ptr_nonnull(strstr(s, "\"ipt_no\":\"ZY2024000123\""));
	ck_assert_ptr_nonnull(strstr(s,
	    "\"psn_no\":\"32010000000000000000000001\""));
	ck_assert_ptr_nonnull(strstr(s, "\"medfee_sumamt\":51423.22"));
	ck_assert_ptr_nonnull(strstr(s, "\"det_item_fee_sumamt\":100.00"));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"床位费\""));
	/* a value quoted in another field is cut out of it */
	ck_assert_ptr_nonnull(strstr(s, "3\\tcertno\\t*** is not 18"));
	free(s);
	hg_redact_free(&r);
}
END_TEST

/* The platform's answer to 1101 names the person deep down; nothing
 * else in it changes. */
START_TEST(test_nested)
{
	static const char ans[] = "{\"infcode\":0,\"output\":{\"baseinfo\":"
	    "{\"psn_no\":\"P1\",\"psn_name\":\"欧阳娜娜\",\"certno\":"
	    "\"320102199001011238\",\"brdy\":\"1990-01-01\",\"age\":34},"
	    "\"insuinfo\":[{\"insutype\":\"310\",\"emp_name\":\"某公司\"}]}}";
	struct hg_redact r;
	char *s;
	int changed = 0;

	hg_redact_init(&r);
	hg_redact_learn(&r, ans);
	s = hg_redact_json(&r, ans, &changed);
	ck_assert_str_eq(s, "{\"infcode\":0,\"output\":{\"baseinfo\":"
	    "{\"psn_no\":\"P1\"},\"insuinfo\":[{\"insutype\":\"310\"}]}}");
	free(s);
	/* nothing personal: the same text back, unchanged */
	changed = 0;
	s = hg_redact_json(&r, "{\"setl_id\": \"S1\", \"x\": 1.50}", &changed);
	ck_assert_int_eq(changed, 0);
	ck_assert_str_eq(s, "{\"setl_id\": \"S1\", \"x\": 1.50}");
	free(s);
	hg_redact_free(&r);
}
END_TEST

START_TEST(test_text)
{
	struct hg_redact r;
	char *s;
	int changed = 0;

	hg_redact_init(&r);
	hg_redact_add(&r, "王芳");
	hg_redact_add(&r, "11010519491231002X");
	hg_redact_add(&r, "1");		/* too short to cut: ignored */
	hg_redact_add(&r, "王芳");	/* once */
	ck_assert_uint_eq(r.n, 2);
	s = hg_redact_text(&r, "证件号码[11010519491231002X]人员姓名[王芳]"
	    "与王芳不符, 1 次", &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_str_eq(s, "证件号码[***]人员姓名[***]与***不符, 1 次");
	free(s);
	/* an ID number not learnt is masked as in the log */
	changed = 0;
	s = hg_redact_text(&r, "certno 320102199001011238?", &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_str_eq(s, "certno 320102********1238?");
	free(s);
	/* not JSON: a text */
	s = hg_redact_json(&r, "<html>王芳</html>", NULL);
	ck_assert_str_eq(s, "<html>***</html>");
	free(s);
	ck_assert_ptr_null(hg_redact_text(&r, NULL, NULL));
	ck_assert_ptr_null(hg_redact_json(&r, NULL, NULL));
	hg_redact_free(&r);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = hg_tcase(s, "redact", 10);

	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_bill);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_text);
	return s;
}
