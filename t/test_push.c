/* The httppush body reader (adapters/push_json.c): a good bill with
 * exact amounts from JSON numbers and strings, and every problem of a bad
 * one reported at once. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/push_json.h"
#include "t/check_main.h"

#define HEAD "{\"ipt_no\":\"ZY1\",\"psn_name\":\"王芳\",\"certno\":" \
	"\"11010519491231002X\",\"begntime\":\"2024-03-01 08:30:00\"," \
	"\"endtime\":\"2024-03-05\","

START_TEST(test_good)
{
	static const char body[] = HEAD "\"medfee_sumamt\":57.20,"
	    "\"diseinfo\":[{\"diag_code\":\"J18.900\",\"maindiag_flag\":1}],"
	    "\"feedetail\":[{\"feedetl_sn\":\"1\",\"medins_list_codg\":\"A\","
	    "\"cnt\":4,\"pric\":12.5,\"det_item_fee_sumamt\":50.00,"
	    "\"fee_ocur_time\":\"2024-03-01 09:10:00\"},{\"feedetl_sn\":\"2\","
	    "\"medins_list_codg\":\"B\",\"cnt\":\"-2\",\"pric\":\"3.600000\","
	    "\"det_item_fee_sumamt\":\"-7.20\",\"fee_ocur_time\":"
	    "\"2024-03-02 14:00:00\",\"med_list_codg\":null}]}";
	struct hg_problem *p = NULL;
	struct hg_bill *b;
	size_t n = 0;

	ck_assert_int_eq(hg_push_parse(body, sizeof body - 1, &b, &p, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(b->psn_name, "王芳");
	ck_assert_str_eq(b->dscg_time, "2024-03-05 00:00:00");
	ck_assert_int_eq(b->has_total, 1);
	ck_assert_int_eq(b->total, 5720);
	ck_assert_uint_eq(b->ndiags, 1);
	ck_assert_int_eq(b->diags[0].main, 1);
	ck_assert_uint_eq(b->nfees, 2);
	ck_assert_int_eq(b->fees[0].qty, 40000);
	ck_assert_int_eq(b->fees[0].price, 12500000);
	ck_assert_int_eq(b->fees[0].amount, 5000);
	ck_assert_int_eq(b->fees[1].qty, -20000);
	ck_assert_int_eq(b->fees[1].amount, -720);
	ck_assert_ptr_null(b->fees[1].nat_code);
	ck_assert_int_eq(b->fees[1].line, 2);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_every_problem)
{
	static const char body[] = "{\"psn_name\":7,\"certno\":\"X\","
	    "\"begntime\":\"2024/03/01\",\"endtime\":\"2024-03-05\",\"x\":1,"
	    "\"feedetail\":[{\"feedetl_sn\":\"1\",\"medins_list_codg\":\"A\","
	    "\"cnt\":4,\"pric\":12.5,\"det_item_fee_sumamt\":50.005,"
	    "\"fee_ocur_time\":\"2024-03-01 09:10:00\"}, 5]}";
	struct hg_problem *p = NULL;
	struct hg_bill *b;
	size_t n = 0, i;
	char all[2048] = "";

	ck_assert_int_eq(hg_push_parse(body, sizeof body - 1, &b, &p, &n),
	    -1);
	ck_assert_ptr_null(b);
	for (i = 0; i < n; i++) {
		size_t l = strlen(all);

		snprintf(all + l, sizeof all - l, "%d:%s: %s\n", p[i].line,
		    p[i].field, p[i].msg);
	}
	ck_assert_str_eq(all,
	    "0:x: unknown key (see doc/bill-push.schema.json)\n"
	    "0:psn_name: a number, expected a string\n"
	    "0:ipt_no: missing, expected a string\n"
	    "0:begntime: \"2024/03/01\" is not a time like "
	    "\"2024-03-01 08:30:00\" (yyyy-MM-dd HH:mm:ss)\n"
	    "1:feedetail[0].det_item_fee_sumamt: \"50.005\" has more than 2 "
	    "decimal places\n"
	    "2:feedetail[1]: a number, expected an object\n");
	hg_problems_free(p, n);
}
END_TEST

START_TEST(test_not_json)
{
	struct hg_problem *p = NULL;
	struct hg_bill *b;
	size_t n = 0;

	ck_assert_int_eq(hg_push_parse("{\"a\":", 5, &b, &p, &n), -1);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(p[0].field, "body");
	hg_problems_free(p, n);
	p = NULL;
	n = 0;
	ck_assert_int_eq(hg_push_parse("{} x", 4, &b, &p, &n), -1);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(p[0].msg, "text after the end"));
	hg_problems_free(p, n);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("push");
	TCase *tc = hg_tcase(s, "json", 10);

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_every_problem);
	tcase_add_test(tc, test_not_json);
	return s;
}
