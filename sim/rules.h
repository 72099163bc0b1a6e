/* Settlement rules of the simulated platform (settlement-rules.md), as pure
 * functions: no I/O, no clock, no globals.  Amounts are int64 fen, ratios
 * x10^4, quantities x10^4, prices x10^6; every ratio x amount is rounded
 * half-up (away from zero) to the fen, per item for item-level figures and
 * per bill for bill-level figures. */
#ifndef HG_SIM_RULES_H
#define HG_SIM_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/nhsa.h"

#define SIM_CODEBUF	16
#define SIM_IDBUF	64
#define SIM_NAMEBUF	192
#define SIM_MAXLEVEL	3	/* hospital levels 1..3 (一级/二级/三级) */
#define SIM_MAXSEG	8	/* critical-illness ratio segments */
#define SIM_MAXTYPES	16	/* person types eligible for assistance */
#define SIM_NONE	(-1)	/* "no cap", "no item ratio" */

/* Catalogue level (chrgitm_lv). */
enum sim_lv {
	SIM_LV_A = 1,		/* 甲: fully covered */
	SIM_LV_B = 2,		/* 乙: self-paid first at a ratio */
	SIM_LV_C = 3,		/* 丙: not covered */
};

/* One catalogue entry of the place of care. */
struct sim_catitem {
	char	 code[SIM_IDBUF];		/* national code */
	char	 name[SIM_NAMEBUF];
	int	 lv;				/* enum sim_lv */
	char	 chrgitm_type[SIM_CODEBUF];	/* med_chrgitm_type */
	int64_t	 price_cap;			/* x10^6, or SIM_NONE */
	int64_t	 b_ratio;			/* x10^4, or SIM_NONE */
};

/* One critical-illness segment: the part of the year's accumulated base
 * up to `upper` (fen; SIM_NONE for the last, open segment) is paid at
 * `ratio`.  Segments follow the threshold in increasing order. */
struct sim_seg {
	int64_t	 upper;
	int64_t	 ratio;
};

/* The policy of one insured region and insurance type. */
struct sim_policy {
	char	 admdvs[SIM_CODEBUF];		/* insuplc_admdvs, "*" any */
	char	 insutype[SIM_CODEBUF];		/* "*" any */
	char	 fund_type[SIM_CODEBUF];	/* basic fund: 390100, 310100 */
	char	 fund_name[SIM_NAMEBUF];
	int	 has_level[SIM_MAXLEVEL + 1];
	int64_t	 deductible[SIM_MAXLEVEL + 1];	/* per admission, by level */
	int64_t	 ratio[SIM_MAXLEVEL + 1];	/* pooled ratio, by level */
	int64_t	 annual_cap;			/* pooled fund; SIM_NONE */
	int64_t	 b_ratio;			/* default 乙 self-first */
	int64_t	 nofiling_cut;			/* ratio cut without 备案 */
	/* critical illness (大病); ci == 0: none */
	int	 ci;
	char	 ci_fund_type[SIM_CODEBUF];	/* 390200 -> hifmi, 330100 ->
						 * hifob */
	char	 ci_fund_name[SIM_NAMEBUF];
	int64_t	 ci_threshold;			/* per year */
	struct sim_seg seg[SIM_MAXSEG];
	size_t	 nseg;
	int	 ci_incl_presel;		/* base includes 乙 self-first */
	/* medical assistance (医疗救助); maf == 0: none */
	int	 maf;
	char	 maf_fund_type[SIM_CODEBUF];	/* 610100 */
	char	 maf_fund_name[SIM_NAMEBUF];
	char	 maf_types[SIM_MAXTYPES][SIM_CODEBUF];
	size_t	 nmaf_types;
	int64_t	 maf_ratio;
	int64_t	 maf_cap;			/* per year; SIM_NONE */
	/* clearing */
	char	 clr_type[SIM_CODEBUF];
	char	 clr_way[SIM_CODEBUF];
};

/* An item's split (item level). */
struct sim_split {
	int64_t	 fulamt;	/* fulamt_ownpay_amt (丙) */
	int64_t	 overlmt;	/* overlmt_selfpay (over the price cap) */
	int64_t	 presel;	/* preselfpay_amt (乙 self-first) */
	int64_t	 inscp;		/* inscp_scp_amt (in scope) */
};

/* What the person already used this year (from the ledger). */
struct sim_ytd {
	int64_t	 hifp;		/* pooled fund paid */
	int64_t	 ci_base;	/* critical-illness base accumulated */
	int64_t	 maf;		/* assistance paid */
};

/* Who is being settled, where. */
struct sim_who {
	int	 level;		/* hospital level 1..3 */
	int	 filing;	/* 1: has a cross-province filing (备案) */
	const char *psn_type;
};

/* The bill-level result. */
struct sim_calc {
	int64_t	 medfee;	/* medfee_sumamt */
	struct sim_split sum;	/* item splits summed */
	int64_t	 dedc;		/* act_pay_dedc */
	int64_t	 ratio;		/* pooled ratio used (x10^4) */
	int64_t	 hifp_raw;	/* before the annual cap */
	int64_t	 hifp;		/* hifp_pay */
	int64_t	 ci_base;	/* this bill's critical-illness base */
	int64_t	 ci_pay;	/* hifmi_pay (or hifob_pay) */
	int	 maf_eligible;
	int64_t	 maf;		/* maf_pay */
	int64_t	 fund;		/* fund_pay_sumamt */
	int64_t	 psn;		/* psn_part_amt = psn_cash_pay */
};

/* Item level (rules 1-4): one fee line of `amount` fen (qty x10^4, price
 * x10^6) against its catalogue entry; def_b_ratio is the policy's default
 * 乙 self-first ratio.  fulamt + overlmt + presel + inscp == amount, for
 * refunds (negative amounts) too. */
void	sim_item_split(const struct sim_catitem *item, int64_t def_b_ratio,
	    int64_t amount, int64_t qty, int64_t price, struct sim_split *out);
/* The self-pay ratio shown in 2301 output (selfpay_prop): 1 for 丙, the
 * 乙 ratio for 乙, 0 for 甲. */
int64_t	sim_item_selfpay_prop(const struct sim_catitem *item,
	    int64_t def_b_ratio);
/* "01" 甲, "02" 乙, "03" 丙 */
const char *sim_lv_code(int lv);

/* The critical-illness payment for a bill whose base occupies
 * [ytd_base, ytd_base + base) on the year's axis: the part above the
 * threshold, segment by segment, products summed exactly, rounded once. */
int64_t	sim_ci_pay(const struct sim_policy *p, int64_t ytd_base, int64_t base);

/* Bill level (rules 1-5).  medfee is the bill total, sum the item splits
 * summed.  Fails only when the policy lacks the hospital's level. */
int	sim_settle(const struct sim_policy *p, const struct sim_who *who,
	    int64_t medfee, const struct sim_split *sum,
	    const struct sim_ytd *ytd, struct sim_calc *out,
	    struct hg_err *err);

/* Fill the amounts and setldetail rows of a settlement from a result (the
 * caller sets the identifiers).  setl_proc_info explains each fund's
 * figure for trainers reading the slip. */
void	sim_setl_fill(const struct sim_policy *p, const struct sim_calc *c,
	    struct hg_nhsa_setl *setl);

#endif
