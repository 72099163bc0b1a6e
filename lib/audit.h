/* The pre-settlement audit (issue 12): what the platform or supervision
 * would flag, found locally before a bill leaves.  Each rule is a pure
 * function of the canonical bill, the patient's other bills and the rule
 * tables (audit.d/, hisgate-audit(5)); it never changes the bill.
 *
 *   audit_conf.c   the rule tables: directive files and the catalogue
 *   audit_rules.c  the per-bill rules
 *   audit_surge.c  the cost-surge alarm over many discharges
 *
 * Fee times are canonical text; a day is a calendar day of the hospital. */
#ifndef HG_AUDIT_H
#define HG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/bill.h"
#include "lib/conftab.h"

enum hg_audit_sev {
	HG_AUDIT_OFF = 0,
	HG_AUDIT_WARN,
	HG_AUDIT_BLOCK,
};

enum hg_audit_rule {
	HG_AR_DUPLICATE = 0,	/* duplicate_charge */
	HG_AR_SPLIT,		/* split_charging */
	HG_AR_STAY,		/* stay_quantity */
	HG_AR_PRICE,		/* price_cap */
	HG_AR_PHANTOM,		/* phantom_stay */
	HG_AR_RESTRICTED,	/* restricted_item */
	HG_AR_SURGE,		/* cost_surge (not per bill: audit_surge.c) */
	HG_AR_N,
};

/* What an item is, from the catalogue's med_chrgitm_type (01 bed, 07
 * nursing, 09-11 drugs, 03-04 examinations, 05-06 treatment and
 * operations) or, for a code not in it, from the code's shape (X, Z, T:
 * drugs).  UNKNOWN: neither says; it counts as care for phantom_stay. */
enum hg_item_kind {
	HG_IK_UNKNOWN = 0,
	HG_IK_BED,
	HG_IK_NURSING,
	HG_IK_MED,
	HG_IK_EXAM,
	HG_IK_TREAT,
	HG_IK_OTHER,	/* known, and not care: fees, consumables, meals */
};

/* One national code the tables say something about. */
struct hg_audit_item {
	char	*code;
	int	 kind;		/* enum hg_item_kind */
	int64_t	 cap;		/* unit-price cap x10^6, -1 none */
	int	 per_day;	/* duplicate allowance: times a day, 0 none */
	int64_t	 daily_max;	/* quantity x10^4 a day, 0 no limit */
	char	 gender;	/* 'M', 'F' or 0 */
	int	 min_age, max_age;	/* -1 none */
	const char *where;	/* "FILE:LINE" of its last directive */
	const char *cap_where;	/* of its cap (a directive or catalogue) */
};

/* A package item and the parts that must not be charged beside it. */
struct hg_audit_package {
	char	*code;
	char	**parts;
	size_t	 nparts;
	char	*where;
};

struct hg_audit_tables {
	int	 sev[HG_AR_N];		/* enum hg_audit_sev */
	int	 stay_tolerance;	/* days */
	int	 phantom_days;
	int	 surge_pct;		/* percent */
	int	 surge_window;		/* days */
	int	 surge_min_bills;	/* per window, both windows */
	struct hg_audit_item *items;	/* sorted by code */
	size_t	 nitems, items_cap;
	uint32_t *hidx;		/* items by hash of code: index + 1, 0 free */
	size_t	 hmask;		/* hidx has hmask + 1 slots */
	/* "allow KIND TIMES": the allowance a day of every code of that
	 * kind (enum hg_item_kind) without an allow line of its own */
	int	 kind_per_day[HG_IK_OTHER + 1];
	const char *kind_where[HG_IK_OTHER + 1];
	struct hg_audit_package *pkgs;
	size_t	 npkgs;
	char	**wheres;		/* owned "FILE:LINE" strings */
	size_t	 nwheres;
};

/* Rule names ("duplicate_charge"), for files and output. */
const char *hg_audit_rule_name(int rule);
int	hg_audit_rule_parse(const char *name);	/* -1 when unknown */
/* The rule in Chinese for the pages ("重复收费"), by its name; an
 * unknown name is itself. */
const char *hg_audit_rule_zh(const char *name);
const char *hg_audit_sev_name(int sev);

/* Built-in defaults: every rule warn, tolerance 1, phantom 3 days,
 * surge 20 % over 30 days with 5 bills, no items. */
void	hg_audit_tables_init(struct hg_audit_tables *t);
void	hg_audit_tables_free(struct hg_audit_tables *t);
/* Read every *.conf (directives) and *.csv (catalogue) in dir, in name
 * order.  A missing dir means the defaults.  Problems go to errs as
 * FILE:LINE: message; what could be read is kept. */
void	hg_audit_load_dir(struct hg_audit_tables *t, const char *dir,
	    struct hg_conf_errs *errs);
/* One file's text (for tests and the fuzzer); csv: a catalogue. */
void	hg_audit_load_text(struct hg_audit_tables *t, const char *file,
	    const char *text, size_t len, int csv, struct hg_conf_errs *errs);
const struct hg_audit_item *hg_audit_item(const struct hg_audit_tables *t,
	    const char *code);
/* The same, and the code's hash in *hash (the same for the same code). */
const struct hg_audit_item *hg_audit_item_h(const struct hg_audit_tables *t,
	    const char *code, uint32_t *hash);
/* The kind of a code: the catalogue's, else from its shape. */
int	hg_audit_kind(const struct hg_audit_tables *t, const char *code);
/* The same, for the item hg_audit_item found for code (NULL: none). */
int	hg_audit_item_kind(const struct hg_audit_item *it, const char *code);

struct hg_audit_finding {
	int	 rule;		/* enum hg_audit_rule */
	int	 sev;		/* enum hg_audit_sev, never OFF */
	int	 line;		/* source line of the (first) fee, or the bill's */
	char	 text[320];
};

/* The first HG_AUDIT_INLINE findings live in the struct itself: an
 * array of four would be over glibc's 1 KB, whose malloc merges all the
 * chunks the bill's JSON parse has just freed (a third of the rules'
 * time on bills with findings).  Initialise with HG_AUDIT_FINDINGS_INIT;
 * never copy one that holds findings (v may point into it). */
#define HG_AUDIT_INLINE	4
#define HG_AUDIT_FINDINGS_INIT	{ .v = NULL }

struct hg_audit_findings {
	struct hg_audit_finding *v;
	size_t	 n, cap;
	struct hg_audit_finding in[HG_AUDIT_INLINE];
};

void	hg_audit_findings_free(struct hg_audit_findings *f);
/* Number of block findings. */
size_t	hg_audit_blocks(const struct hg_audit_findings *f);

/* Run every per-bill rule that is not off.  `others` are the patient's
 * other bills (any order; NULL entries skipped): a stay that overlaps
 * one of them is a finding, and fees of another bill of the same stay
 * count for duplicates.  Ages are whole years at admission.  Returns
 * the number of findings added. */
size_t	hg_audit_bill(const struct hg_audit_tables *t,
	    const struct hg_bill *bill, const struct hg_bill *const *others,
	    size_t nothers, struct hg_audit_findings *out);

/* Birth date (yyyy-MM-dd) and gender ('M'/'F') from a resident ID
 * number (18 or 15 characters); -1 when it does not carry them. */
int	hg_audit_cert_person(const char *certno, char birth[11],
	    char *gender);

/* ---------------------------------------------------------------------- */
/* cost surge: audit_surge.c */

struct hg_surge_line {
	char	*code;		/* national code */
	int64_t	 amount;	/* fen, refunds netted */
};

/* One cross-province discharge, as the surge sees it. */
struct hg_surge_bill {
	long long id;
	int64_t	 day;		/* day number of the discharge */
	char	*dept;		/* department code (name after a space) */
	char	*region;	/* insured region */
	int64_t	 total;		/* fen */
	struct hg_surge_line *lines;	/* per code, may be NULL */
	size_t	 nlines;
};

/* An alarm episode of one (department, region). */
struct hg_surge_alarm {
	char	*dept, *region;
	int64_t	 fired_day, cleared_day;	/* cleared -1: still on */
	int64_t	 prev_avg, cur_avg;		/* fen, when it fired */
	int64_t	 pct_x10;			/* rise in 0.1 %, when it fired */
	long long ncur, nprev;			/* bills in each window */
	/* what drives it, when it fired: the dearest bills of the
	 * current window, and the codes whose cost per discharge rose
	 * most */
	long long top_bills[3];
	int64_t	 top_totals[3];
	size_t	 ntop;
	char	*top_codes[3];
	int64_t	 code_rise[3];		/* fen per discharge */
	size_t	 ncodes;
};

struct hg_surge_result {
	struct hg_surge_alarm *v;
	size_t	 n;
};

/* Cross-province: the insured region's province (first two digits)
 * is not the hospital's. */
int	hg_surge_cross(const char *hosp_admdvs, const char *insuplc);
/* The alarm episodes on at some day from `from` to `to` (day numbers).
 * At each day's end, per department and region, the average total per
 * discharge of the last `window` days is compared with the `window`
 * days before; an alarm fires on the first day the rise exceeds pct and
 * clears on the first day the last `window` days are back within pct of
 * that baseline (the costs fell back; with fewer than min_bills
 * discharges it stays on): one episode each.  The days are walked from
 * each group's first discharge, so an episode is the same whatever
 * `from` is.  Pure; bills are not modified.  The result is the
 * caller's (hg_surge_result_free). */
void	hg_surge_run(const struct hg_audit_tables *t,
	    const struct hg_surge_bill *bills, size_t n, int64_t from,
	    int64_t to, struct hg_surge_result *out);
void	hg_surge_result_free(struct hg_surge_result *r);
void	hg_surge_bill_free(struct hg_surge_bill *b);	/* members */

#endif
