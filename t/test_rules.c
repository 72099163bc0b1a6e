#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/xmalloc.h"
#include "sim/conf.h"
#include "sim/ledger.h"
#include "sim/platform.h"
#include "sim/rules.h"
#include "t/check_main.h"

/* Helpers: money in yuan text, so the tests read like the rules. */
static int64_t
Y(const char *yuan)
{
	int64_t v;

	if (hg_dec_parse("test", yuan, 2, &v, NULL) == -1)
		abort();
	return v;
}

static int64_t
R(const char *ratio)
{
	int64_t v;

	if (hg_dec_parse("test", ratio, 4, &v, NULL) == -1)
		abort();
	return v;
}

static struct sim_catitem
item(int lv, const char *cap, const char *b_ratio)
{
	struct sim_catitem it;

	memset(&it, 0, sizeof it);
	strcpy(it.code, "X");
	it.lv = lv;
	it.price_cap = SIM_NONE;
	it.b_ratio = SIM_NONE;
	if (cap != NULL && hg_dec_parse("cap", cap, 6, &it.price_cap,
	    NULL) == -1)
		abort();
	if (b_ratio != NULL)
		it.b_ratio = R(b_ratio);
	return it;
}

/* The worked example's policy (settlement-rules.md). */
static void
example_policy(struct sim_policy *p)
{
	memset(p, 0, sizeof *p);
	strcpy(p->admdvs, "410100");
	strcpy(p->insutype, "390");
	strcpy(p->fund_type, "390100");
	strcpy(p->ci_fund_type, "390200");
	strcpy(p->maf_fund_type, "610100");
	p->has_level[3] = 3;
	p->deductible[3] = Y("1000.00");
	p->ratio[3] = R("0.75");
	p->annual_cap = SIM_NONE;
	p->b_ratio = R("0.10");
	p->nofiling_cut = R("0.10");
	p->ci = 1;
	p->ci_threshold = Y("8000.00");
	p->seg[0].upper = SIM_NONE;
	p->seg[0].ratio = R("0.70");
	p->nseg = 1;
	p->ci_incl_presel = 1;
	p->maf_cap = SIM_NONE;
}

static const struct sim_who who3 = { 3, 1, "1501" };

/* --- item level ---------------------------------------------------------- */

START_TEST(test_item_c)
{
	struct sim_catitem it = item(SIM_LV_C, "1.00", NULL);
	struct sim_split s;

	/* 丙: everything self-paid, the cap does not matter */
	sim_item_split(&it, R("0.10"), Y("2973.00"), 20000, 1486500000, &s);
	ck_assert_int_eq(s.fulamt, Y("2973.00"));
	ck_assert_int_eq(s.overlmt + s.presel + s.inscp, 0);
	ck_assert_int_eq(sim_item_selfpay_prop(&it, R("0.10")), 10000);
	ck_assert_str_eq(sim_lv_code(it.lv), "03");
}
END_TEST

START_TEST(test_item_over_cap)
{
	struct sim_catitem a = item(SIM_LV_A, "25.000000", NULL);
	struct sim_catitem b = item(SIM_LV_B, "10.000000", NULL);
	struct sim_split s;

	/* 甲 bed at 30.00 against a cap of 25.00, 4 days */
	sim_item_split(&a, R("0.10"), Y("120.00"), 40000, 30000000, &s);
	ck_assert_int_eq(s.overlmt, Y("20.00"));
	ck_assert_int_eq(s.inscp, Y("100.00"));
	/* at the cap: nothing over */
	sim_item_split(&a, R("0.10"), Y("100.00"), 40000, 25000000, &s);
	ck_assert_int_eq(s.overlmt, 0);
	/* rounded half up: (25.001250 - 25) x 2 = 0.0025 -> 0.00;
	 * x 4 = 0.005 -> 0.01 */
	sim_item_split(&a, 0, Y("50.00"), 20000, 25001250, &s);
	ck_assert_int_eq(s.overlmt, 0);
	sim_item_split(&a, 0, Y("100.01"), 40000, 25001250, &s);
	ck_assert_int_eq(s.overlmt, 1);
	/* never more than the line: the HIS rounded the line down */
	a = item(SIM_LV_A, "0.000001", NULL);
	sim_item_split(&a, 0, Y("9.99"), 30000, 3333333, &s);
	ck_assert_int_eq(s.overlmt, Y("9.99"));
	ck_assert_int_eq(s.inscp, 0);
	/* 乙 over the cap: the cap first, then 10 % of the rest */
	sim_item_split(&b, R("0.10"), Y("60.00"), 40000, 15000000, &s);
	ck_assert_int_eq(s.overlmt, Y("20.00"));
	ck_assert_int_eq(s.presel, Y("4.00"));
	ck_assert_int_eq(s.inscp, Y("36.00"));
	/* a refund takes back what the line gave, in its own sign */
	sim_item_split(&b, R("0.10"), Y("-15.00"), -10000, 15000000, &s);
	ck_assert_int_eq(s.overlmt, Y("-5.00"));
	ck_assert_int_eq(s.presel, Y("-1.00"));
	ck_assert_int_eq(s.inscp, Y("-9.00"));
}
END_TEST

START_TEST(test_item_b)
{
	struct sim_catitem b = item(SIM_LV_B, NULL, NULL);
	struct sim_catitem b20 = item(SIM_LV_B, NULL, "0.20");
	struct sim_split s;

	sim_item_split(&b, R("0.10"), Y("500.00"), 400000, 12500000, &s);
	ck_assert_int_eq(s.presel, Y("50.00"));
	ck_assert_int_eq(s.inscp, Y("450.00"));
	ck_assert_int_eq(s.fulamt + s.overlmt, 0);
	/* item-specific ratio wins over the policy's */
	sim_item_split(&b20, R("0.10"), Y("7.20"), 20000, 3600000, &s);
	ck_assert_int_eq(s.presel, Y("1.44"));
	ck_assert_int_eq(sim_item_selfpay_prop(&b20, R("0.10")), R("0.20"));
	/* per item, half up: 10 % of 0.15 = 0.015 -> 0.02 */
	sim_item_split(&b, R("0.10"), Y("0.15"), 10000, 150000, &s);
	ck_assert_int_eq(s.presel, 2);
	ck_assert_int_eq(s.inscp, 13);
	ck_assert_str_eq(sim_lv_code(b.lv), "02");
}
END_TEST

START_TEST(test_item_a)
{
	struct sim_catitem a = item(SIM_LV_A, NULL, NULL);
	struct sim_split s;

	sim_item_split(&a, R("0.10"), Y("302.22"), 1460000, 2070000, &s);
	ck_assert_int_eq(s.inscp, Y("302.22"));
	ck_assert_int_eq(s.fulamt + s.overlmt + s.presel, 0);
	ck_assert_int_eq(sim_item_selfpay_prop(&a, R("0.10")), 0);
	ck_assert_str_eq(sim_lv_code(a.lv), "01");
}
END_TEST

/* A refund line takes back exactly what its original gave, component by
 * component, and a partial refund splits like any line of its amount. */
START_TEST(test_item_refund)
{
	struct sim_catitem its[4];
	struct sim_split o, f, p;
	int i;

	its[0] = item(SIM_LV_A, NULL, NULL);
	its[1] = item(SIM_LV_B, NULL, "0.15");
	its[2] = item(SIM_LV_C, NULL, NULL);
	its[3] = item(SIM_LV_B, "10.00", NULL);
	for (i = 0; i < 4; i++) {
		/* 40 x 12.50 = 500.00, refunded whole, then 3 of them */
		sim_item_split(&its[i], R("0.10"), Y("500.00"), 400000,
		    12500000, &o);
		sim_item_split(&its[i], R("0.10"), Y("-500.00"), -400000,
		    12500000, &f);
		ck_assert_int_eq(f.fulamt, -o.fulamt);
		ck_assert_int_eq(f.overlmt, -o.overlmt);
		ck_assert_int_eq(f.presel, -o.presel);
		ck_assert_int_eq(f.inscp, -o.inscp);
		sim_item_split(&its[i], R("0.10"), Y("-37.50"), -30000,
		    12500000, &p);
		ck_assert_int_eq(p.fulamt + p.overlmt + p.presel + p.inscp,
		    Y("-37.50"));
	}
	/* 乙 at 15 %: 37.50 x 0.15 = 5.625 rounds away from zero, both ways */
	sim_item_split(&its[1], R("0.10"), Y("-37.50"), -30000, 12500000, &p);
	ck_assert_int_eq(p.presel, Y("-5.63"));
	ck_assert_int_eq(p.inscp, Y("-31.87"));
	/* over the cap: (12.50 - 10.00) x -3 = -7.50 */
	sim_item_split(&its[3], R("0.10"), Y("-37.50"), -30000, 12500000, &p);
	ck_assert_int_eq(p.overlmt, Y("-7.50"));
	ck_assert_int_eq(p.presel, Y("-3.00"));
}
END_TEST

START_TEST(test_item_invariant)
{
	struct sim_catitem it;
	struct sim_split s;
	uint64_t x = 88172645463325252ULL;
	int64_t amount, qty, price;
	int i;

	/* xorshift: a fixed stream of awkward lines, refunds included */
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		it = item(1 + (int)(x % 3), NULL, NULL);
		if (x & 8)
			it.price_cap = (int64_t)(x >> 20) % 50000000;
		if (it.lv == SIM_LV_B && (x & 16))
			it.b_ratio = (int64_t)(x >> 30) % 10001;
		qty = (int64_t)((x >> 8) % 1000000) - 100000;
		price = (int64_t)((x >> 24) % 100000000);
		amount = hg_mul_round(qty, price, 8) + (int64_t)(x % 3) - 1;
		sim_item_split(&it, (int64_t)(x % 10001), amount, qty, price,
		    &s);
		ck_assert_msg(s.fulamt + s.overlmt + s.presel + s.inscp ==
		    amount, "line %d: %lld != %lld", i,
		    (long long)(s.fulamt + s.overlmt + s.presel + s.inscp),
		    (long long)amount);
		ck_assert(amount >= 0 ? s.overlmt >= 0 && s.overlmt <= amount :
		    s.overlmt <= 0 && s.overlmt >= amount);
	}
}
END_TEST

/* --- bill level ---------------------------------------------------------- */

static struct sim_split
sums(const char *ful, const char *over, const char *pre, const char *in)
{
	struct sim_split s = { Y(ful), Y(over), Y(pre), Y(in) };

	return s;
}

START_TEST(test_worked_example_totals)
{
	struct sim_policy p;
	struct sim_split s = sums("2979.00", "0", "1377.26", "47066.96");
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_calc c;
	struct hg_nhsa_setl setl;
	struct hg_err err;

	example_policy(&p);
	ck_assert_int_eq(sim_settle(&p, &who3, Y("51423.22"), &s, &y, &c,
	    &err), 0);
	ck_assert_int_eq(c.dedc, Y("1000.00"));
	ck_assert_int_eq(c.hifp, Y("34550.22"));
	ck_assert_int_eq(c.ci_base, Y("13894.00"));
	ck_assert_int_eq(c.ci_pay, Y("4125.80"));
	ck_assert_int_eq(c.maf, 0);
	ck_assert_int_eq(c.fund, Y("38676.02"));
	ck_assert_int_eq(c.psn, Y("12747.20"));
	memset(&setl, 0, sizeof setl);
	sim_setl_fill(&p, &c, &setl);
	ck_assert_int_eq(hg_nhsa_setl_check(&setl, &err), 0);
	ck_assert_int_eq(setl.hifmi_pay, Y("4125.80"));
	ck_assert_int_eq(setl.psn_cash_pay, Y("12747.20"));
	ck_assert_int_eq(setl.pool_prop_selfpay, 7500);
	ck_assert_uint_eq(setl.ndetail, 2);
	ck_assert_str_eq(setl.detail[1].fund_pay_type, "390200");
	ck_assert_str_eq(setl.detail[0].setl_proc_info,
	    "(47066.96-1000.00)×75.00%=34550.22");
}
END_TEST

START_TEST(test_deductible)
{
	struct sim_policy p;
	struct sim_split s = sums("0", "0", "0", "600.00");
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_calc c;

	example_policy(&p);
	/* less in scope than the deductible: it takes all, the fund none */
	ck_assert_int_eq(sim_settle(&p, &who3, Y("600.00"), &s, &y, &c, NULL),
	    0);
	ck_assert_int_eq(c.dedc, Y("600.00"));
	ck_assert_int_eq(c.hifp, 0);
	ck_assert_int_eq(c.psn, Y("600.00"));
	/* a level the policy does not know is an error, not a guess */
	{
		struct sim_who w1 = { 1, 1, "1501" };
		struct hg_err err;

		ck_assert_int_eq(sim_settle(&p, &w1, Y("600.00"), &s, &y, &c,
		    &err), -1);
		ck_assert(strstr(err.msg, "医院等级[1]") != NULL);
	}
}
END_TEST

START_TEST(test_ratio_and_filing)
{
	struct sim_policy p;
	struct sim_split s = sums("0", "0", "0", "11000.00");
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_who nofile = { 3, 0, "1501" }, lv2 = { 2, 1, "1501" };
	struct sim_calc c;

	example_policy(&p);
	p.ci = 0;
	ck_assert_int_eq(sim_settle(&p, &who3, Y("11000.00"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.hifp, Y("7500.00"));
	/* without a filing: 75 % - 10 % */
	ck_assert_int_eq(sim_settle(&p, &nofile, Y("11000.00"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.ratio, R("0.65"));
	ck_assert_int_eq(c.hifp, Y("6500.00"));
	/* by level */
	p.has_level[2] = 3;
	p.deductible[2] = Y("600.00");
	p.ratio[2] = R("0.80");
	ck_assert_int_eq(sim_settle(&p, &lv2, Y("11000.00"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.hifp, Y("8320.00"));
	/* rounded once per bill, half up: 0.01 x 0.65 ... */
	s = sums("0", "0", "0", "1000.03");
	ck_assert_int_eq(sim_settle(&p, &nofile, Y("1000.03"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.hifp, 2);	/* 0.03 x 0.65 = 0.0195 -> 0.02 */
}
END_TEST

START_TEST(test_annual_cap)
{
	struct sim_policy p;
	struct sim_split s = sums("0", "0", "0", "11000.00");
	struct sim_ytd y = { Y("398000.00"), 0, 0 };
	struct sim_calc c;
	struct hg_nhsa_setl setl;

	example_policy(&p);
	p.ci = 0;
	p.annual_cap = Y("400000.00");
	ck_assert_int_eq(sim_settle(&p, &who3, Y("11000.00"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.hifp_raw, Y("7500.00"));
	ck_assert_int_eq(c.hifp, Y("2000.00"));
	ck_assert_int_eq(c.psn, Y("9000.00"));
	memset(&setl, 0, sizeof setl);
	sim_setl_fill(&p, &c, &setl);
	ck_assert(strstr(setl.detail[0].setl_proc_info, "超年度最高支付限额") !=
	    NULL);
	/* the cap used up: nothing */
	y.hifp = Y("400000.00");
	ck_assert_int_eq(sim_settle(&p, &who3, Y("11000.00"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.hifp, 0);
	/* and the critical-illness base grows by what the fund did not pay */
	p.ci = 1;
	ck_assert_int_eq(sim_settle(&p, &who3, Y("11000.00"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.ci_base, Y("11000.00"));
	ck_assert_int_eq(c.ci_pay, Y("2100.00"));	/* (11000-8000) x 70 % */
}
END_TEST

static void
segs3(struct sim_policy *p)
{
	/* 15000 threshold; up to 50000 at 60 %, up to 100000 at 70 %,
	 * above at 80 % (Nanjing residents in etc/sim/policy.ini) */
	p->ci = 1;
	p->ci_threshold = Y("15000.00");
	p->seg[0].upper = Y("50000.00");
	p->seg[0].ratio = R("0.60");
	p->seg[1].upper = Y("100000.00");
	p->seg[1].ratio = R("0.70");
	p->seg[2].upper = SIM_NONE;
	p->seg[2].ratio = R("0.80");
	p->nseg = 3;
}

START_TEST(test_ci_segments)
{
	struct sim_policy p;

	example_policy(&p);
	/* one open segment: the worked example */
	ck_assert_int_eq(sim_ci_pay(&p, 0, Y("13894.00")), Y("4125.80"));
	/* below the threshold: nothing; exactly at it: nothing */
	ck_assert_int_eq(sim_ci_pay(&p, 0, Y("7999.99")), 0);
	ck_assert_int_eq(sim_ci_pay(&p, 0, Y("8000.00")), 0);
	ck_assert_int_eq(sim_ci_pay(&p, 0, Y("8000.01")), 1); /* 0.007 */
	/* accumulated this year: only the new part above the threshold */
	ck_assert_int_eq(sim_ci_pay(&p, Y("6000.00"), Y("3000.00")),
	    Y("700.00"));
	ck_assert_int_eq(sim_ci_pay(&p, Y("9000.00"), Y("1000.00")),
	    Y("700.00"));
	segs3(&p);
	/* across the threshold and two boundaries: from 10000 to 110000 */
	ck_assert_int_eq(sim_ci_pay(&p, Y("10000.00"), Y("100000.00")),
	    Y("21000.00") + Y("35000.00") + Y("8000.00"));
	/* entirely inside the middle segment */
	ck_assert_int_eq(sim_ci_pay(&p, Y("60000.00"), Y("10000.00")),
	    Y("7000.00"));
	/* exactly on a boundary */
	ck_assert_int_eq(sim_ci_pay(&p, Y("50000.00"), Y("50000.00")),
	    Y("35000.00"));
	/* summed exactly, rounded once: 0.01 at 60 % + 0.01 at 70 % =
	 * 0.013 -> 0.01, where rounding each (0.006 -> 0.01, 0.007 ->
	 * 0.01) would give 0.02 */
	ck_assert_int_eq(sim_ci_pay(&p, Y("49999.99"), 2), 1);
	/* a last segment with a bound pays nothing above it */
	p.seg[2].upper = Y("200000.00");
	ck_assert_int_eq(sim_ci_pay(&p, Y("150000.00"), Y("100000.00")),
	    Y("40000.00"));
}
END_TEST

START_TEST(test_ci_base)
{
	struct sim_policy p;
	struct sim_split s = sums("2979.00", "0", "1377.26", "47066.96");
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_calc c;

	example_policy(&p);
	/* without the 乙 part in the base */
	p.ci_incl_presel = 0;
	ck_assert_int_eq(sim_settle(&p, &who3, Y("51423.22"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.ci_base, Y("12516.74"));
	ck_assert_int_eq(c.ci_pay, Y("3161.72"));	/* 4516.74 x 0.7 */
	/* a second bill the same year: its whole base is above */
	p.ci_incl_presel = 1;
	y.ci_base = Y("13894.00");
	y.hifp = Y("34550.22");
	ck_assert_int_eq(sim_settle(&p, &who3, Y("51423.22"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.ci_pay, Y("9725.80"));	/* 13894.00 x 0.7 */
}
END_TEST

START_TEST(test_assistance)
{
	struct sim_policy p;
	struct sim_split s = sums("2979.00", "0", "1377.26", "47066.96");
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_who poor = { 3, 1, "1503" };
	struct sim_calc c;
	struct hg_nhsa_setl setl;
	struct hg_err err;

	example_policy(&p);
	p.maf = 1;
	strcpy(p.maf_types[0], "1502");
	strcpy(p.maf_types[1], "1503");
	p.nmaf_types = 2;
	p.maf_ratio = R("0.70");
	p.maf_cap = Y("5000.00");
	/* not an eligible type */
	ck_assert_int_eq(sim_settle(&p, &who3, Y("51423.22"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.maf, 0);
	/* eligible: 70 % of 47066.96 - 34550.22 - 4125.80 = 8390.94 ->
	 * 5873.658 -> 5873.66, capped at 5000.00 */
	p.maf_cap = SIM_NONE;
	ck_assert_int_eq(sim_settle(&p, &poor, Y("51423.22"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.maf, Y("5873.66"));
	ck_assert_int_eq(c.fund, Y("34550.22") + Y("4125.80") + Y("5873.66"));
	ck_assert_int_eq(c.psn, Y("51423.22") - c.fund);
	p.maf_cap = Y("5000.00");
	ck_assert_int_eq(sim_settle(&p, &poor, Y("51423.22"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.maf, Y("5000.00"));
	y.maf = Y("4000.00");
	ck_assert_int_eq(sim_settle(&p, &poor, Y("51423.22"), &s, &y, &c,
	    NULL), 0);
	ck_assert_int_eq(c.maf, Y("1000.00"));
	memset(&setl, 0, sizeof setl);
	sim_setl_fill(&p, &c, &setl);
	ck_assert_int_eq(setl.maf_pay, Y("1000.00"));
	ck_assert_uint_eq(setl.ndetail, 3);
	ck_assert_str_eq(setl.detail[2].fund_pay_type, "610100");
	ck_assert_int_eq(hg_nhsa_setl_check(&setl, &err), 0);
}
END_TEST

START_TEST(test_hifob)
{
	struct sim_policy p;
	struct sim_split s = sums("0", "0", "0", "30000.00");
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_calc c;
	struct hg_nhsa_setl setl;

	/* employees: the critical-illness slot is the large-amount fund */
	example_policy(&p);
	strcpy(p.ci_fund_type, "330100");
	ck_assert_int_eq(sim_settle(&p, &who3, Y("30000.00"), &s, &y, &c,
	    NULL), 0);
	memset(&setl, 0, sizeof setl);
	sim_setl_fill(&p, &c, &setl);
	ck_assert_int_eq(setl.hifmi_pay, 0);
	ck_assert_int_eq(setl.hifob_pay, c.ci_pay);
	ck_assert_int_gt(c.ci_pay, 0);
}
END_TEST

/* --- files and the worked example from the shipped fixtures --------------- */

static char *
srcpath(const char *rel)
{
	const char *top = getenv("top_srcdir");

	return hg_xasprintf("%s/%s", top != NULL ? top : "..", rel);
}

static void
load_fixtures(struct sim_conf *c)
{
	struct hg_err err;
	char *p = srcpath("etc/sim/policy.ini");
	char *k = srcpath("etc/sim/catalogue.csv");

	memset(c, 0, sizeof *c);
	ck_assert_msg(sim_conf_load_policy(c, p, &err) == 0, "%s", err.msg);
	ck_assert_msg(sim_conf_load_catalogue(c, k, &err) == 0, "%s",
	    err.msg);
	ck_assert_ptr_nonnull(c->registry_path);
	ck_assert_msg(sim_conf_load_registry(c, c->registry_path, &err) == 0,
	    "%s", err.msg);
	free(p);
	free(k);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = hg_xmalloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_worked_example_items)
{
	struct sim_conf c;
	const struct sim_policy *p;
	const struct sim_catitem *ci;
	struct hg_nhsa_fee_in fee;
	struct json_object *root, *arr;
	struct sim_split s, sum = { 0, 0, 0, 0 };
	struct sim_ytd y = { 0, 0, 0 };
	struct sim_who who;
	struct sim_calc calc;
	struct hg_err err;
	int64_t total = 0, by_lv[4] = { 0, 0, 0, 0 };
	char *path = srcpath("t/data/worked-example-2301.json"), *text;
	size_t i;

	load_fixtures(&c);
	text = slurp(path);
	ck_assert_msg(hg_json_parse(text, &root, &err) == 0, "%s", err.msg);
	ck_assert(json_object_object_get_ex(root, "feedetail", &arr));
	p = sim_conf_policy(&c, "410100", "390");
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < json_object_array_length(arr); i++) {
		ck_assert_msg(hg_nhsa_fee_in_parse(json_object_array_get_idx(
		    arr, i), &fee, &err) == 0, "%s", err.msg);
		ci = sim_conf_item(&c, fee.med_list_codg);
		ck_assert_msg(ci != NULL, "%s not in the catalogue",
		    fee.med_list_codg);
		/* the fixture's lines are exact: price x qty = amount */
		ck_assert_int_eq(hg_mul_round(fee.pric, fee.cnt, 8),
		    fee.det_item_fee_sumamt);
		if (ci->lv == SIM_LV_B)
			ck_assert_int_eq(fee.det_item_fee_sumamt % 10, 0);
		by_lv[ci->lv] += fee.det_item_fee_sumamt;
		sim_item_split(ci, p->b_ratio, fee.det_item_fee_sumamt,
		    fee.cnt, fee.pric, &s);
		sum.fulamt += s.fulamt;
		sum.overlmt += s.overlmt;
		sum.presel += s.presel;
		sum.inscp += s.inscp;
		total += fee.det_item_fee_sumamt;
	}
	ck_assert_int_eq(by_lv[SIM_LV_A], Y("34671.62"));
	ck_assert_int_eq(by_lv[SIM_LV_B], Y("13772.60"));
	ck_assert_int_eq(by_lv[SIM_LV_C], Y("2979.00"));
	ck_assert_int_eq(total, Y("51423.22"));
	ck_assert_int_eq(sum.overlmt, 0);
	ck_assert_int_eq(sum.presel, Y("1377.26"));
	ck_assert_int_eq(sum.inscp, Y("47066.96"));
	who.level = sim_conf_level(&c, "H32010000001");
	who.filing = sim_conf_person(&c, "41000000000000001234567890",
	    "390")->filing;
	who.psn_type = "1501";
	ck_assert_int_eq(who.level, 3);
	ck_assert_int_eq(who.filing, 1);
	ck_assert_int_eq(sim_settle(p, &who, total, &sum, &y, &calc, &err), 0);
	ck_assert_int_eq(calc.hifp, Y("34550.22"));
	ck_assert_int_eq(calc.ci_pay, Y("4125.80"));
	ck_assert_int_eq(calc.maf, 0);
	ck_assert_int_eq(calc.psn, Y("12747.20"));
	json_object_put(root);
	free(text);
	free(path);
	sim_conf_free(&c);
}
END_TEST

static const struct {
	const char *text;
	const char *want;
} bad_policies[] = {
	{ "[platform]\nadmdvs = 320100\n[policy 410100 390]\nratio = 3:0.75\n",
	    ":3: policy 410100 390: level 3 needs both" },
	{ "[platform]\nadmdvs = 320100\n[policy 410100 390]\ndeductible = "
	    "3:1000\nratio = 3:75\n", ":5: ratio: \"75\" is not a ratio" },
	{ "[platform]\nadmdvs = 320100\n[policy 410100 390]\nfoo = 1\n",
	    ":4: unknown policy key \"foo\"" },
	{ "admdvs = 1\n", ":1: \"admdvs\" outside a section" },
	{ "[platform]\nadmdvs = 320100\n[policy 410100 390]\ndeductible = "
	    "3:1000\nratio = 3:0.75\nci_segments = *:0.7 1000:0.8\n",
	    ":6: ci_segments: only the last segment may be open" },
	{ "[platform]\nadmdvs = 320100\n[policy 410100 390]\ndeductible = "
	    "3:1000\nratio = 3:0.75\nci_threshold = 8000\n",
	    "ci_threshold without ci_segments" },
	{ "[platform]\nname = x\n", "admdvs (the platform's region) is "
	    "required" },
	{ "[hospital H1]\nlevel = 4\n", ":2: level: \"4\" is not 1, 2 or 3" },
	{ "[platform]\nadmdvs = 320100\n[policy 410100 390]\ndeductible = "
	    "3:1,000.00\n", ":4: deductible" },
};

START_TEST(test_bad_policy)
{
	struct sim_conf c;
	struct hg_err err;
	char *dir = hg_tmpdir(), *path = hg_xasprintf("%s/p.ini", dir);
	FILE *f = fopen(path, "w");

	fputs(bad_policies[_i].text, f);
	fclose(f);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(sim_conf_load_policy(&c, path, &err), -1);
	ck_assert_msg(strstr(err.msg, bad_policies[_i].want) != NULL,
	    "\"%s\" lacks \"%s\"", err.msg, bad_policies[_i].want);
	ck_assert(strncmp(err.msg, path, strlen(path)) == 0);
	sim_conf_free(&c);
	hg_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

START_TEST(test_policy_lookup)
{
	struct sim_conf c;
	const struct sim_policy *p;

	load_fixtures(&c);
	p = sim_conf_policy(&c, "410100", "390");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->deductible[3], Y("1000.00"));
	ck_assert_int_eq(p->ratio[3], R("0.75"));
	ck_assert_int_eq(p->nseg, 2);
	ck_assert_ptr_null(sim_conf_policy(&c, "110000", "390"));
	ck_assert_int_eq(sim_conf_level(&c, "H32010000002"), 2);
	ck_assert_int_eq(sim_conf_level(&c, "H99999999999"), 2);
	ck_assert_ptr_nonnull(sim_conf_item(&c, "XJ01DCA040B002010100001"));
	ck_assert_ptr_nonnull(sim_conf_item(&c, "001102000010000"));
	ck_assert_ptr_nonnull(sim_conf_item(&c, "C0301010010000100001"));
	ck_assert_ptr_null(sim_conf_item(&c, "NOPE"));
	ck_assert_str_eq(sim_conf_person_cert(&c, "11010519491231002X")->psn_no,
	    "41000000000000001234567890");
	sim_conf_free(&c);
}
END_TEST

/* --- the ledger: cancellation reverses exactly ---------------------------- */

static struct sim_setl_row
row(const char *id, const char *kind, int sign)
{
	struct sim_setl_row r;

	memset(&r, 0, sizeof r);
	strcpy(r.setl_id, id);
	strcpy(r.kind, kind);
	strcpy(r.mdtrt_id, "M1");
	strcpy(r.psn_no, "P1");
	strcpy(r.insutype, "390");
	strcpy(r.insuplc_admdvs, "410100");
	strcpy(r.fixmedins_code, "H32010000001");
	snprintf(r.msgid, sizeof r.msgid, "msg-%s", id);
	strcpy(r.setl_time, "2024-03-15 10:30:17");
	strcpy(r.clr_type, "21");
	strcpy(r.clr_optins, "410100");
	r.year = 2024;
	r.medfee = sign * Y("51423.22");
	r.hifp = sign * Y("34550.22");
	r.hifmi = sign * Y("4125.80");
	r.fund = sign * Y("38676.02");
	r.psn = r.cash = sign * Y("12747.20");
	r.ci_base = sign * Y("13894.00");
	r.output = (char *)"{}";
	return r;
}

START_TEST(test_ledger_cancel)
{
	struct sim_ledger *l;
	struct sim_visit v;
	struct sim_setl_row r, got;
	struct sim_ytd y;
	struct sim_stmt_totals t;
	struct hg_err err;
	char *dir = hg_tmpdir(), *path = hg_xasprintf("%s/l.db", dir);
	int n, found;

	ck_assert_msg(sim_ledger_open(path, 0, &l, &err) == 0, "%s", err.msg);
	memset(&v, 0, sizeof v);
	strcpy(v.mdtrt_id, "M1");
	strcpy(v.psn_no, "P1");
	strcpy(v.insutype, "390");
	strcpy(v.insuplc_admdvs, "410100");
	strcpy(v.fixmedins_code, "H32010000001");
	strcpy(v.state, "discharged");
	strcpy(v.adm_msgid, "a");
	ck_assert_int_eq(sim_ledger_visit_add(l, &v, 0, &err), 0);
	r = row("S1", "setl", 1);
	ck_assert_int_eq(sim_ledger_setl_add(l, &r, &err), 0);
	ck_assert_int_eq(sim_ledger_ytd(l, "P1", "390", 2024, &y, &err), 0);
	ck_assert_int_eq(y.hifp, Y("34550.22"));
	ck_assert_int_eq(y.ci_base, Y("13894.00"));
	ck_assert_int_eq(sim_ledger_active(l, "M1", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	/* the cancellation: a negated row; everything back to zero */
	r = row("S2", "canc", -1);
	strcpy(r.orig_setl_id, "S1");
	ck_assert_int_eq(sim_ledger_setl_add(l, &r, &err), 0);
	ck_assert_int_eq(sim_ledger_setl_set_canc(l, "S1", "S2", &err), 0);
	ck_assert_int_eq(sim_ledger_ytd(l, "P1", "390", 2024, &y, &err), 0);
	ck_assert_int_eq(y.hifp, 0);
	ck_assert_int_eq(y.ci_base, 0);
	ck_assert_int_eq(y.maf, 0);
	ck_assert_int_eq(sim_ledger_active(l, "M1", &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(sim_ledger_stmt(l, "H32010000001", "390", "21", "",
	    "2024-03-15", "2024-03-15", -1, &t, &err), 0);
	ck_assert_int_eq(t.medfee, 0);
	ck_assert_int_eq(t.fund, 0);
	ck_assert_int_eq(t.cnt, 0);
	ck_assert_int_eq(sim_ledger_stmt(l, "H32010000001", "390", "21", "",
	    "2024-03-15", "2024-03-15", 0, &t, &err), 0);
	ck_assert_int_eq(t.cnt, 1);
	ck_assert_int_eq(t.fund, Y("38676.02"));
	/* reversing the cancellation (2601) revives the settlement */
	ck_assert_int_eq(sim_ledger_setl_reversed(l, "S2", "rev", &err), 0);
	ck_assert_int_eq(sim_ledger_setl_set_canc(l, "S1", NULL, &err), 0);
	ck_assert_int_eq(sim_ledger_ytd(l, "P1", "390", 2024, &y, &err), 0);
	ck_assert_int_eq(y.hifp, Y("34550.22"));
	ck_assert_int_eq(sim_ledger_active(l, "M1", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(sim_ledger_setl_get(l, "msg-S1", 1, &got, &found,
	    &err), 0);
	ck_assert(found);
	ck_assert_str_eq(got.setl_id, "S1");
	ck_assert_str_eq(got.canc_setl_id, "");
	ck_assert_int_eq(got.hifmi, Y("4125.80"));
	sim_ledger_row_free(&got);
	sim_ledger_close(l);
	hg_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

/* --- the platform in process: settle, cancel, settle again --------------- */

struct plat {
	struct sim	 sim;
	char		*dir;
	char		 sign_no[HG_NHSA_IDBUF];
	struct hg_nhsa_msgid_gen gen;
	int64_t		 now_ms;
};

static struct json_object *
plat_send(struct plat *p, const char *infno, struct json_object *input,
    struct hg_nhsa_resp *resp)
{
	struct hg_nhsa_hdr h = {
		.mdtrtarea_admvs = "320100", .fixmedins_code = "H32010000001",
		.fixmedins_name = "示例市第一人民医院", .opter = "0231",
		.opter_type = "1", .infver = "V1.0", .sign_no = p->sign_no,
	};
	char msgid[HG_NHSA_MSGIDBUF], *text;
	struct json_object *env, *out;
	struct hg_err err;
	int committed;

	ck_assert_int_eq(hg_nhsa_msgid(&p->gen, (time_t)(p->now_ms / 1000),
	    msgid), 0);
	env = hg_nhsa_envelope(&h, infno, msgid, strcmp(infno, "9001") &&
	    strcmp(infno, "1101") ? "410100" : "", (time_t)(p->now_ms / 1000),
	    input);
	out = sim_handle(&p->sim, env, NULL, p->now_ms, &committed);
	text = hg_nhsa_json_text(out);
	ck_assert_msg(hg_nhsa_resp_parse(text, strlen(text), resp, &err) == 0,
	    "%s", err.msg);
	free(text);
	json_object_put(env);
	json_object_put(out);
	return resp->output;
}

static void
ok(struct plat *p, const char *infno, struct json_object *input,
    struct hg_nhsa_resp *resp)
{
	plat_send(p, infno, input, resp);
	ck_assert_msg(resp->cls == HG_NHSA_OK, "%s: infcode %lld %s", infno,
	    (long long)resp->infcode, resp->err_msg);
}

static void
plat_open(struct plat *p)
{
	struct hg_err err;
	struct hg_nhsa_resp r;
	char *db;

	memset(p, 0, sizeof *p);
	load_fixtures(&p->sim.conf);
	p->dir = hg_tmpdir();
	db = hg_xasprintf("%s/ledger.db", p->dir);
	ck_assert_msg(sim_ledger_open(db, 0, &p->sim.ledger, &err) == 0, "%s",
	    err.msg);
	free(db);
	ck_assert_int_eq(sim_init(&p->sim, &err), 0);
	ck_assert_int_eq(hg_nhsa_msgid_init(&p->gen, "H32010000001", NULL, 0,
	    NULL), 0);
	p->now_ms = hg_wall_ms();
	ok(p, "9001", hg_nhsa_in_9001("0231", "", "127.0.0.1"), &r);
	ck_assert_int_eq(hg_nhsa_out_9001(r.output, p->sign_no, NULL, &err),
	    0);
	hg_nhsa_resp_free(&r);
}

static void
plat_close(struct plat *p)
{
	hg_nhsa_msgid_destroy(&p->gen);
	sim_destroy(&p->sim);
	sim_ledger_close(p->sim.ledger);
	sim_conf_free(&p->sim.conf);
	hg_rmtree(p->dir);
	free(p->dir);
}

static void
admit_visit(struct plat *p, const char *ipt_no, char *mdtrt_id)
{
	struct json_object *in, *m;
	struct hg_nhsa_resp r;
	struct hg_err err;

	in = json_object_new_object();
	m = json_object_new_object();
	hg_nhsa_put_str(m, "psn_no", "41000000000000001234567890");
	hg_nhsa_put_str(m, "insutype", "390");
	hg_nhsa_put_str(m, "begntime", "2024-03-01 08:30:00");
	hg_nhsa_put_str(m, "mdtrt_cert_type", "02");
	hg_nhsa_put_str(m, "mdtrt_cert_no", "11010519491231002X");
	hg_nhsa_put_str(m, "med_type", "21");
	hg_nhsa_put_str(m, "ipt_no", ipt_no);
	json_object_object_add(in, "mdtrtinfo", m);
	json_object_object_add(in, "diseinfo", json_object_new_array());
	ok(p, "2401", in, &r);
	ck_assert_int_eq(hg_nhsa_out_2401(r.output, mdtrt_id, &err), 0);
	hg_nhsa_resp_free(&r);
}

static void
discharge_visit(struct plat *p, const char *mdtrt_id)
{
	struct json_object *in, *m;
	struct hg_nhsa_resp r;

	in = json_object_new_object();
	m = json_object_new_object();
	hg_nhsa_put_str(m, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(m, "psn_no", "41000000000000001234567890");
	hg_nhsa_put_str(m, "insutype", "390");
	hg_nhsa_put_str(m, "endtime", "2024-03-15 10:00:00");
	hg_nhsa_put_str(m, "dscg_way", "1");
	json_object_object_add(in, "dscginfo", m);
	ok(p, "2402", in, &r);
	hg_nhsa_resp_free(&r);
}

/* Admit, upload the worked example, discharge; returns the mdtrt_id. */
static void
admit_and_upload(struct plat *p, const char *ipt_no, char *mdtrt_id)
{
	struct json_object *arr, *it, *fd;
	struct hg_nhsa_resp r;
	struct hg_err err;
	char *path, *text;
	size_t i;

	admit_visit(p, ipt_no, mdtrt_id);
	path = srcpath("t/data/worked-example-2301.json");
	text = slurp(path);
	ck_assert_int_eq(hg_json_parse(text, &fd, &err), 0);
	json_object_object_get_ex(fd, "feedetail", &arr);
	for (i = 0; i < json_object_array_length(arr); i++) {
		it = json_object_array_get_idx(arr, i);
		hg_nhsa_put_str(it, "mdtrt_id", mdtrt_id);
	}
	ok(p, "2301", fd, &r);
	hg_nhsa_resp_free(&r);
	free(text);
	free(path);
	discharge_visit(p, mdtrt_id);
}

static struct json_object *
setl_input(const char *mdtrt_id, const char *medfee)
{
	struct hg_nhsa_setl_req q;

	memset(&q, 0, sizeof q);
	strcpy(q.psn_no, "41000000000000001234567890");
	strcpy(q.mdtrt_cert_type, "02");
	strcpy(q.mdtrt_cert_no, "11010519491231002X");
	strcpy(q.mdtrt_id, mdtrt_id);
	strcpy(q.insutype, "390");
	q.medfee_sumamt = Y(medfee);
	return hg_nhsa_in_setl(&q);
}

START_TEST(test_platform_cancel_exact)
{
	struct plat p;
	struct hg_nhsa_resp r;
	struct hg_nhsa_setl s1, s2, s3, c;
	struct sim_ytd y;
	struct hg_err err;
	char m1[HG_NHSA_IDBUF], m2[HG_NHSA_IDBUF];

	plat_open(&p);
	admit_and_upload(&p, "ZY1", m1);
	/* a wrong total is refused with both figures */
	plat_send(&p, "2304", setl_input(m1, "51398.22"), &r);
	ck_assert_int_eq(r.cls, HG_NHSA_BIZERR);
	ck_assert_str_eq(r.err_msg, "医疗费总额[51398.22]与已上传费用明细合计"
	    "[51423.22]不一致");
	hg_nhsa_resp_free(&r);
	ok(&p, "2304", setl_input(m1, "51423.22"), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &s1, &err), 0);
	hg_nhsa_resp_free(&r);
	ck_assert_int_eq(s1.hifp_pay, Y("34550.22"));
	ck_assert_int_eq(s1.hifmi_pay, Y("4125.80"));
	ck_assert_int_eq(s1.psn_cash_pay, Y("12747.20"));
	ck_assert_int_eq(hg_nhsa_setl_check(&s1, &err), 0);
	plat_send(&p, "2304", setl_input(m1, "51423.22"), &r);
	ck_assert_str_eq(r.err_msg, "该就诊已结算,不能重复结算");
	hg_nhsa_resp_free(&r);

	/* cancel: every amount negated, a new setl_id, the year's
	 * accumulation back to nothing */
	ok(&p, "2305", hg_nhsa_in_2305(m1, s1.setl_id,
	    "41000000000000001234567890"), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &c, &err), 0);
	hg_nhsa_resp_free(&r);
	ck_assert_str_ne(c.setl_id, s1.setl_id);
	ck_assert_str_eq(c.setl_type, "2");
	ck_assert_int_eq(c.medfee_sumamt, -s1.medfee_sumamt);
	ck_assert_int_eq(c.hifp_pay, -s1.hifp_pay);
	ck_assert_int_eq(c.hifmi_pay, -s1.hifmi_pay);
	ck_assert_int_eq(c.psn_cash_pay, -s1.psn_cash_pay);
	ck_assert_int_eq(c.detail[1].fund_payamt, -s1.detail[1].fund_payamt);
	ck_assert_int_eq(sim_ledger_ytd(p.sim.ledger,
	    "41000000000000001234567890", "390",
	    atoi(s1.setl_time), &y, &err), 0);
	ck_assert_int_eq(y.hifp, 0);
	ck_assert_int_eq(y.ci_base, 0);
	plat_send(&p, "2305", hg_nhsa_in_2305(m1, s1.setl_id,
	    "41000000000000001234567890"), &r);
	ck_assert(strstr(r.err_msg, "该结算已撤销,不能重复撤销") != NULL);
	hg_nhsa_resp_free(&r);

	/* settle again: the same figures, to the fen */
	ok(&p, "2304", setl_input(m1, "51423.22"), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &s2, &err), 0);
	hg_nhsa_resp_free(&r);
	ck_assert_int_eq(s2.hifp_pay, s1.hifp_pay);
	ck_assert_int_eq(s2.hifmi_pay, s1.hifmi_pay);
	ck_assert_int_eq(s2.psn_cash_pay, s1.psn_cash_pay);

	/* a second stay the same year: the critical-illness base already
	 * passed the threshold, so all of this one's base is paid */
	admit_and_upload(&p, "ZY2", m2);
	ok(&p, "2303", setl_input(m2, "51423.22"), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &s3, &err), 0);
	hg_nhsa_resp_free(&r);
	ck_assert_str_eq(s3.setl_id, "");
	ck_assert_int_eq(s3.hifp_pay, Y("34550.22"));
	ck_assert_int_eq(s3.hifmi_pay, Y("9725.80"));
	ck_assert_int_eq(hg_nhsa_setl_check(&s3, &err), 0);

	/* 5203 by setl_id finds the settlement in force; without a setl_id
	 * (a lookup by the 2304 msgid) it is refused, as in the interface */
	ok(&p, "5203", hg_nhsa_in_5203("41000000000000001234567890",
	    s2.setl_id, m1), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &c, &err), 0);
	hg_nhsa_resp_free(&r);
	ck_assert_str_eq(c.setl_id, s2.setl_id);
	ck_assert_str_eq(c.medins_setl_id, s2.medins_setl_id);
	ck_assert_str_eq(c.setl_type, "1");
	ck_assert_str_eq(c.refd_setl_flag, "0");
	plat_send(&p, "5203", hg_nhsa_in_5203("41000000000000001234567890", "",
	    m1), &r);
	ck_assert_int_eq(r.infcode, -2);
	ck_assert_str_eq(r.err_msg, "结算ID[setl_id]不能为空");
	hg_nhsa_resp_free(&r);
	ok(&p, "5203", hg_nhsa_in_5203("41000000000000001234567890",
	    s1.setl_id, m1), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &c, &err), 0);
	hg_nhsa_resp_free(&r);
	ck_assert_str_eq(c.refd_setl_flag, "1");
	plat_close(&p);
}
END_TEST

START_TEST(test_platform_reversal)
{
	struct plat p;
	struct hg_nhsa_resp r;
	struct hg_nhsa_setl s;
	struct hg_err err;
	struct sim_ytd y;
	char m1[HG_NHSA_IDBUF];
	int n;

	plat_open(&p);
	admit_and_upload(&p, "ZY9", m1);
	ok(&p, "2304", setl_input(m1, "51423.22"), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &s, &err), 0);
	hg_nhsa_resp_free(&r);
	/* 2601 of the 2304: the settlement's effect is gone */
	ok(&p, "2601", hg_nhsa_in_2601("41000000000000001234567890",
	    s.medins_setl_id, "2304"), &r);
	ck_assert_str_eq(hg_json_get_str(json_object_object_get(r.output,
	    "data"), "revs_rslt"), "1");
	hg_nhsa_resp_free(&r);
	ck_assert_int_eq(sim_ledger_active(p.sim.ledger, m1, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(sim_ledger_ytd(p.sim.ledger,
	    "41000000000000001234567890", "390", atoi(s.setl_time), &y, &err),
	    0);
	ck_assert_int_eq(y.hifp, 0);
	plat_send(&p, "2601", hg_nhsa_in_2601("41000000000000001234567890",
	    s.medins_setl_id, "2304"), &r);
	ck_assert(strstr(r.err_msg, "已冲正") != NULL);
	hg_nhsa_resp_free(&r);
	/* an unknown msgid: the platform never saw it */
	plat_send(&p, "2601", hg_nhsa_in_2601("41000000000000001234567890",
	    "H32010000001202403151030159999", "2304"), &r);
	ck_assert_int_eq(r.cls, HG_NHSA_BIZERR);
	ck_assert(strstr(r.err_msg, "不存在") != NULL);
	hg_nhsa_resp_free(&r);
	/* and the visit can be settled again */
	ok(&p, "2304", setl_input(m1, "51423.22"), &r);
	hg_nhsa_resp_free(&r);
	/* a day later the sign-in has expired (sign_ttl 86400) */
	p.now_ms += (int64_t)86401 * 1000;
	plat_send(&p, "5203", hg_nhsa_in_5203("41000000000000001234567890",
	    s.setl_id, m1), &r);
	ck_assert_int_eq(r.cls, HG_NHSA_BIZERR);
	ck_assert(strncmp(r.err_msg, "签到已失效,请重新签到",
	    strlen("签到已失效,请重新签到")) == 0);
	hg_nhsa_resp_free(&r);
	plat_close(&p);
}
END_TEST

/* The worked example's batch with refund lines (negative cnt, the
 * original named by init_feedetl_sn). */
static struct json_object *
refund_batch(const char *mdtrt_id, const char *const *extra, size_t nextra,
    int refund_first)
{
	struct json_object *fd, *arr, *it, *copy;
	struct hg_err err;
	char *path = srcpath("t/data/worked-example-2301.json"), *text;
	size_t i;

	text = slurp(path);
	ck_assert_int_eq(hg_json_parse(text, &fd, &err), 0);
	free(text);
	free(path);
	json_object_object_get_ex(fd, "feedetail", &arr);
	for (i = 0; i < json_object_array_length(arr); i++)
		hg_nhsa_put_str(json_object_array_get_idx(arr, i), "mdtrt_id",
		    mdtrt_id);
	for (i = 0; i < nextra; i++) {
		/* extra: "SN ORIGINAL CNT AMOUNT", priced as FD000015 */
		char sn[16], orig[16], cnt[16], amt[16];

		ck_assert_int_eq(sscanf(extra[i], "%15s %15s %15s %15s", sn,
		    orig, cnt, amt), 4);
		it = json_object_array_get_idx(arr, 14);
		ck_assert_str_eq(hg_json_get_str(it, "feedetl_sn"), "FD000015");
		copy = NULL;
		ck_assert_int_eq(json_object_deep_copy(it, &copy, NULL), 0);
		hg_nhsa_put_str(copy, "feedetl_sn", sn);
		hg_nhsa_put_str(copy, "init_feedetl_sn", orig);
		json_object_object_add(copy, "cnt",
		    json_object_new_double_s(atof(cnt), cnt));
		json_object_object_add(copy, "det_item_fee_sumamt",
		    json_object_new_double_s(atof(amt), amt));
		if (refund_first)
			json_object_array_put_idx(arr, 0, copy);
		else
			json_object_array_add(arr, copy);
	}
	return fd;
}

START_TEST(test_platform_refund_same_batch)
{
	static const char *const one[] = { "FD000023 FD000015 -4 -50.00" };
	static const char *const absent[] = { "FD000023 FD009999 -4 -50.00" };
	static const char *const positive[] = { "FD000023 FD000015 4 50.00" };
	struct plat p;
	struct hg_nhsa_resp r;
	struct hg_nhsa_setl s;
	struct hg_err err;
	char m1[HG_NHSA_IDBUF];
	struct sim_split sum;
	int64_t total, count;

	plat_open(&p);
	admit_visit(&p, "ZYR1", m1);

	/* the original after its refund in the batch: refused, saying so */
	plat_send(&p, "2301", refund_batch(m1, one, 1, 1), &r);
	ck_assert_int_eq(r.cls, HG_NHSA_BIZERR);
	ck_assert_msg(strstr(r.err_msg, "原费用明细流水号[FD000015]在本批次中"
	    "位于其后") != NULL, "%s", r.err_msg);
	hg_nhsa_resp_free(&r);
	plat_send(&p, "2301", refund_batch(m1, absent, 1, 0), &r);
	ck_assert_str_eq(r.err_msg, "原费用明细流水号[FD009999]不存在");
	hg_nhsa_resp_free(&r);
	plat_send(&p, "2301", refund_batch(m1, positive, 1, 0), &r);
	ck_assert_int_eq(r.cls, HG_NHSA_BIZERR);
	ck_assert(strstr(r.err_msg, "应为负数") != NULL);
	hg_nhsa_resp_free(&r);
	/* nothing of the refused batches was stored */
	ck_assert_int_eq(sim_ledger_items_sum(p.sim.ledger, m1, &total, &sum,
	    &count, &err), 0);
	ck_assert_int_eq(count, 0);

	/* original first, refund after it: accepted, 4 x 12.50 taken back */
	ok(&p, "2301", refund_batch(m1, one, 1, 0), &r);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(
	    r.output, "result")), 23);
	hg_nhsa_resp_free(&r);
	discharge_visit(&p, m1);
	plat_send(&p, "2304", setl_input(m1, "51423.22"), &r);
	ck_assert_str_eq(r.err_msg, "医疗费总额[51423.22]与已上传费用明细合计"
	    "[51373.22]不一致");
	hg_nhsa_resp_free(&r);
	ok(&p, "2304", setl_input(m1, "51373.22"), &r);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &s, &err), 0);
	hg_nhsa_resp_free(&r);
	/* the 乙 line's 10 % goes back with it: 50.00 = 5.00 + 45.00 */
	ck_assert_int_eq(s.preselfpay_amt, Y("1372.26"));
	ck_assert_int_eq(s.inscp_scp_amt, Y("47021.96"));
	ck_assert_int_eq(s.fulamt_ownpay_amt, Y("2979.00"));
	/* (47021.96 - 1000.00) x 0.75 */
	ck_assert_int_eq(s.hifp_pay, Y("34516.47"));
	/* base 47021.96 - 34516.47 + 1372.26 = 13877.75; 5877.75 x 0.70 */
	ck_assert_int_eq(s.hifmi_pay, Y("4114.43"));
	ck_assert_int_eq(s.psn_cash_pay, Y("12742.32"));
	ck_assert_int_eq(hg_nhsa_setl_check(&s, &err), 0);
	plat_close(&p);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = hg_tcase(s, "item", 20);

	hg_log_init("test_rules", 0, HG_LOG_WARNING);
	tcase_add_test(tc, test_item_c);
	tcase_add_test(tc, test_item_over_cap);
	tcase_add_test(tc, test_item_b);
	tcase_add_test(tc, test_item_a);
	tcase_add_test(tc, test_item_refund);
	tcase_add_test(tc, test_item_invariant);
	tc = hg_tcase(s, "bill", 10);
	tcase_add_test(tc, test_worked_example_totals);
	tcase_add_test(tc, test_deductible);
	tcase_add_test(tc, test_ratio_and_filing);
	tcase_add_test(tc, test_annual_cap);
	tcase_add_test(tc, test_ci_segments);
	tcase_add_test(tc, test_ci_base);
	tcase_add_test(tc, test_assistance);
	tcase_add_test(tc, test_hifob);
	tc = hg_tcase(s, "files", 10);
	tcase_add_test(tc, test_worked_example_items);
	tcase_add_loop_test(tc, test_bad_policy, 0, sizeof bad_policies /
	    sizeof bad_policies[0]);
	tcase_add_test(tc, test_policy_lookup);
	tc = hg_tcase(s, "ledger", 60);
	tcase_add_test(tc, test_ledger_cancel);
	tcase_add_test(tc, test_platform_cancel_exact);
	tcase_add_test(tc, test_platform_reversal);
	tcase_add_test(tc, test_platform_refund_same_batch);
	return s;
}
