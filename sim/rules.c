/* Settlement rules: settlement-rules.md, in integer fen.  Nothing here
 * touches a file, a clock or the ledger, so every rule is tested alone
 * (t/test_rules.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/money.h"
#include "sim/rules.h"

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

const char *
sim_lv_code(int lv)
{
	switch (lv) {
	case SIM_LV_A:
		return "01";
	case SIM_LV_B:
		return "02";
	default:
		return "03";
	}
}

int64_t
sim_item_selfpay_prop(const struct sim_catitem *it, int64_t def_b_ratio)
{
	switch (it->lv) {
	case SIM_LV_A:
		return 0;
	case SIM_LV_B:
		return it->b_ratio != SIM_NONE ? it->b_ratio : def_b_ratio;
	default:
		return 10000;
	}
}

void
sim_item_split(const struct sim_catitem *it, int64_t def_b_ratio,
    int64_t a, int64_t qty, int64_t price, struct sim_split *out)
{
	int64_t over = 0, rest;

	memset(out, 0, sizeof *out);
	/* 1. 丙: everything is the person's own */
	if (it->lv != SIM_LV_A && it->lv != SIM_LV_B) {
		out->fulamt = a;
		return;
	}
	/* 2. the part of the price above the cap, never more than the line
	 * (in the line's own sign, so a refund takes back what it gave) */
	if (it->price_cap != SIM_NONE && price > it->price_cap) {
		/* qty x10^4 times price x10^6 is x10^10; fen is x10^2 */
		over = hg_mul_round(price - it->price_cap, qty, 8);
		over = a >= 0 ? min64(max64(over, 0), a) :
		    max64(min64(over, 0), a);
	}
	out->overlmt = over;
	rest = a - over;
	/* 3. 乙: the self-first share, rounded per item */
	if (it->lv == SIM_LV_B) {
		out->presel = hg_mul_round(rest,
		    sim_item_selfpay_prop(it, def_b_ratio), 4);
		out->inscp = rest - out->presel;
		return;
	}
	/* 4. 甲: all in scope */
	out->inscp = rest;
}

int64_t
sim_ci_pay(const struct sim_policy *p, int64_t ytd_base, int64_t base)
{
	int64_t lo = ytd_base, hi = ytd_base + base;
	int64_t seg_lo = p->ci_threshold, seg_hi, part;
	__int128 sum = 0;
	size_t i;

	if (!p->ci || base <= 0)
		return 0;
	for (i = 0; i < p->nseg; i++) {
		seg_hi = p->seg[i].upper;
		if (seg_hi != SIM_NONE && seg_hi <= seg_lo)
			continue;	/* a bound below the threshold */
		part = min64(hi, seg_hi == SIM_NONE ? INT64_MAX : seg_hi) -
		    max64(lo, seg_lo);
		if (part > 0)
			sum += (__int128)part * p->seg[i].ratio;
		if (seg_hi == SIM_NONE)
			break;
		seg_lo = seg_hi;
	}
	/* summed exactly (fen x 10^4), rounded once, half up */
	return (int64_t)((sum + 5000) / 10000);
}

int
sim_settle(const struct sim_policy *p, const struct sim_who *who,
    int64_t medfee, const struct sim_split *sum, const struct sim_ytd *ytd,
    struct sim_calc *c, struct hg_err *err)
{
	int64_t cap_left, left;
	size_t i;

	memset(c, 0, sizeof *c);
	if (who->level < 1 || who->level > SIM_MAXLEVEL ||
	    !p->has_level[who->level])
		return hg_fail(err, "参保地[%s]险种[%s]的待遇政策未配置医院等级"
		    "[%d]的起付线和支付比例", p->admdvs, p->insutype,
		    who->level);
	c->medfee = medfee;
	c->sum = *sum;
	/* 1. deductible, never more than what is in scope */
	c->dedc = min64(p->deductible[who->level], max64(sum->inscp, 0));
	/* 2. pooled fund at the level's ratio, cut without a filing, capped
	 * by what is left of the year's cap */
	c->ratio = p->ratio[who->level];
	if (!who->filing)
		c->ratio = max64(c->ratio - p->nofiling_cut, 0);
	c->hifp_raw = hg_mul_round(max64(sum->inscp - c->dedc, 0), c->ratio,
	    4);
	c->hifp = c->hifp_raw;
	if (p->annual_cap != SIM_NONE) {
		cap_left = max64(p->annual_cap - ytd->hifp, 0);
		c->hifp = min64(c->hifp, cap_left);
	}
	/* 3. critical illness on the person's in-scope share (+ 乙 part) */
	if (p->ci) {
		c->ci_base = sum->inscp - c->hifp;
		if (p->ci_incl_presel)
			c->ci_base += sum->presel;
		c->ci_base = max64(c->ci_base, 0);
		c->ci_pay = sim_ci_pay(p, ytd->ci_base, c->ci_base);
	}
	/* 4. medical assistance, eligible person types only */
	if (p->maf && who->psn_type != NULL)
		for (i = 0; i < p->nmaf_types; i++)
			if (strcmp(p->maf_types[i], who->psn_type) == 0)
				c->maf_eligible = 1;
	if (c->maf_eligible) {
		c->maf = hg_mul_round(max64(sum->inscp - c->hifp - c->ci_pay,
		    0), p->maf_ratio, 4);
		if (p->maf_cap != SIM_NONE) {
			left = max64(p->maf_cap - ytd->maf, 0);
			c->maf = min64(c->maf, left);
		}
	}
	/* 5. totals: cross-province settlement uses no personal account */
	c->fund = c->hifp + c->ci_pay + c->maf;
	c->psn = medfee - c->fund;
	return 0;
}

static int
ci_is_hifob(const struct sim_policy *p)
{
	return strncmp(p->ci_fund_type, "3301", 4) == 0;
}

static struct hg_nhsa_setldetail *
add_detail(struct hg_nhsa_setl *s, const char *type, const char *name,
    int64_t inscp, int64_t pay)
{
	struct hg_nhsa_setldetail *d;

	if (s->ndetail >= HG_NHSA_MAXDETAIL)
		return NULL;
	d = &s->detail[s->ndetail++];
	memset(d, 0, sizeof *d);
	snprintf(d->fund_pay_type, sizeof d->fund_pay_type, "%s", type);
	snprintf(d->fund_pay_type_name, sizeof d->fund_pay_type_name, "%s",
	    name);
	d->inscp_scp_amt = inscp;
	d->fund_payamt = pay;
	return d;
}

void
sim_setl_fill(const struct sim_policy *p, const struct sim_calc *c,
    struct hg_nhsa_setl *s)
{
	struct hg_nhsa_setldetail *d;
	char a[HG_DECBUF], b[HG_DECBUF], r[HG_DECBUF], x[HG_DECBUF],
	    y[HG_DECBUF];

	s->medfee_sumamt = c->medfee;
	s->fulamt_ownpay_amt = c->sum.fulamt;
	s->overlmt_selfpay = c->sum.overlmt;
	s->preselfpay_amt = c->sum.presel;
	s->inscp_scp_amt = c->sum.inscp;
	s->act_pay_dedc = c->dedc;
	s->hifp_pay = c->hifp;
	s->pool_prop_selfpay = c->ratio;
	s->cvlserv_pay = s->hifes_pay = s->oth_pay = 0;
	s->hifmi_pay = s->hifob_pay = 0;
	if (ci_is_hifob(p))
		s->hifob_pay = c->ci_pay;
	else
		s->hifmi_pay = c->ci_pay;
	s->maf_pay = c->maf;
	s->fund_pay_sumamt = c->fund;
	s->psn_part_amt = c->psn;
	s->acct_pay = 0;
	s->psn_cash_pay = c->psn;
	s->hosp_part_amt = 0;
	s->balc = 0;
	s->acct_mulaid_pay = 0;
	s->ndetail = 0;

	d = add_detail(s, p->fund_type, p->fund_name, c->sum.inscp, c->hifp);
	if (d != NULL)
		snprintf(d->setl_proc_info, sizeof d->setl_proc_info,
		    "(%s-%s)×%s%%=%s%s",
		    hg_dec_format(c->sum.inscp, 2, a),
		    hg_dec_format(c->dedc, 2, b),
		    hg_dec_format(c->ratio, 2, r),
		    hg_dec_format(c->hifp_raw, 2, x),
		    c->hifp != c->hifp_raw ? ",超年度最高支付限额" : "");
	if (c->ci_pay != 0) {
		d = add_detail(s, p->ci_fund_type, p->ci_fund_name,
		    c->sum.inscp, c->ci_pay);
		if (d != NULL)
			snprintf(d->setl_proc_info, sizeof d->setl_proc_info,
			    "本次大病基数%s,起付线%s,支付%s",
			    hg_dec_format(c->ci_base, 2, a),
			    hg_dec_format(p->ci_threshold, 2, b),
			    hg_dec_format(c->ci_pay, 2, y));
	}
	if (c->maf != 0) {
		d = add_detail(s, p->maf_fund_type, p->maf_fund_name,
		    c->sum.inscp, c->maf);
		if (d != NULL)
			snprintf(d->setl_proc_info, sizeof d->setl_proc_info,
			    "%s×%s%%,支付%s",
			    hg_dec_format(c->sum.inscp - c->hifp - c->ci_pay,
			    2, a), hg_dec_format(p->maf_ratio, 2, r),
			    hg_dec_format(c->maf, 2, y));
	}
}
