#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lib/money.h"
#include "t/check_main.h"

static const struct {
	const char *text;
	int	 scale;
	int64_t	 want;
} good[] = {
	{ "0", 2, 0 },
	{ "51423.22", 2, 5142322 },
	{ "-0.5", 2, -50 },
	{ "+12.50", 2, 1250 },
	{ "12.5000", 2, 1250 },		/* extra zero places are fine */
	{ " 7 ", 2, 700 },
	{ "\xe3\x80\x80" "3.60", 2, 360 },	/* U+3000 padding */
	{ "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x8e\xef\xbc\x95", 2, 1250 },
	{ ".5", 2, 50 },
	{ "4", 4, 40000 },
	{ "12.500000", 6, 12500000 },
	{ "3.333333", 6, 3333333 },
	{ "92233720368547758.07", 2, INT64_MAX },
};

static const struct {
	const char *text;
	int	 scale;
	const char *why;
} bad[] = {
	{ "", 2, "price: empty" },
	{ "   ", 2, "price: empty" },
	{ "12.3.4", 2, "not a plain decimal" },
	{ "1.10105E+17", 2, "not a plain decimal" },
	{ "1,000", 2, "not a plain decimal" },
	{ "12.345", 2, "more than 2 decimal places" },
	{ "-", 2, "not a plain decimal" },
	{ ".", 2, "not a plain decimal" },
	{ "abc", 2, "not a plain decimal" },
	{ "92233720368547758.08", 2, "too large" },
	{ "1e5", 4, "not a plain decimal" },
	{ "--1", 2, "not a plain decimal" },
	{ "0x10", 2, "not a plain decimal" },
};

START_TEST(test_parse_good)
{
	struct hg_err err;
	int64_t v = -1;

	ck_assert_msg(hg_dec_parse("price", good[_i].text, good[_i].scale,
	    &v, &err) == 0, "\"%s\": %s", good[_i].text, err.msg);
	ck_assert_msg(v == good[_i].want, "\"%s\" gave %lld", good[_i].text,
	    (long long)v);
}
END_TEST

START_TEST(test_parse_bad)
{
	struct hg_err err;
	int64_t v = 0;

	ck_assert_msg(hg_dec_parse("price", bad[_i].text, bad[_i].scale, &v,
	    &err) == -1, "\"%s\" was accepted", bad[_i].text);
	ck_assert_msg(strstr(err.msg, bad[_i].why) != NULL,
	    "\"%s\": message \"%s\" lacks \"%s\"", bad[_i].text, err.msg,
	    bad[_i].why);
	ck_assert_msg(strncmp(err.msg, "price", 5) == 0, "no field name: %s",
	    err.msg);
	ck_assert_int_eq(err.kind, HG_EPERM);
}
END_TEST

START_TEST(test_roundtrip)
{
	static const int64_t vals[] = { 0, 1, -1, 99, 100, 101, 5142322,
	    -5142322, INT64_MAX, INT64_MIN + 1 };
	static const int scales[] = { 0, 2, 4, 6 };
	char buf[HG_DECBUF];
	int64_t back;
	size_t i, j;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++)
		for (j = 0; j < 4; j++) {
			hg_dec_format(vals[i], scales[j], buf);
			ck_assert_msg(hg_dec_parse("x", buf, scales[j], &back,
			    NULL) == 0, "%s did not parse", buf);
			ck_assert_msg(back == vals[i], "%s came back as %lld",
			    buf, (long long)back);
		}
}
END_TEST

START_TEST(test_format)
{
	char buf[HG_DECBUF];

	ck_assert_str_eq(hg_dec_format(5142322, 2, buf), "51423.22");
	ck_assert_str_eq(hg_dec_format(-50, 2, buf), "-0.50");
	ck_assert_str_eq(hg_dec_format(5, 2, buf), "0.05");
	ck_assert_str_eq(hg_dec_format(40000, 4, buf), "4.0000");
	ck_assert_str_eq(hg_dec_format(0, 0, buf), "0");
	ck_assert_str_eq(hg_dec_format_short(40000, 4, buf), "4");
	ck_assert_str_eq(hg_dec_format_short(12500000, 6, buf), "12.5");
	ck_assert_str_eq(hg_dec_format_short(0, 2, buf), "0");
}
END_TEST

START_TEST(test_mul_round)
{
	/* 4 x 12.500000 = 50.00 */
	ck_assert_int_eq(hg_mul_round(40000, 12500000, 8), 5000);
	/* 3 x 3.333333 = 9.999999 -> 10.00 */
	ck_assert_int_eq(hg_mul_round(30000, 3333333, 8), 1000);
	/* half up, away from zero: 0.005 -> 0.01, -0.005 -> -0.01 */
	ck_assert_int_eq(hg_mul_round(10000, 5000, 8), 1);
	ck_assert_int_eq(hg_mul_round(-10000, 5000, 8), -1);
	ck_assert_int_eq(hg_mul_round(10000, 4999, 8), 0);
	/* ratio 0.75 of 46066.96 = 34550.22 */
	ck_assert_int_eq(hg_mul_round(4606696, 7500, 4), 3455022);
	ck_assert_int_eq(hg_div_round(5, 2), 3);
	ck_assert_int_eq(hg_div_round(-5, 2), -3);
	ck_assert_int_eq(hg_div_round(5, -2), -3);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("money");
	TCase *tc = hg_tcase(s, "decimal", 10);

	tcase_add_loop_test(tc, test_parse_good, 0,
	    sizeof good / sizeof good[0]);
	tcase_add_loop_test(tc, test_parse_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_mul_round);
	return s;
}
