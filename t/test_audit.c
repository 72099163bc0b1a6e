/* The audit rules (lib/audit*.c): a clean stay has no findings; each case
 * changes it one way and must give exactly the findings named, or none
 * (refunds cancelling a duplicate, allowances, tolerances).  The rule
 * tables are parsed from text, with FILE:LINE errors; the cost surge is
 * run over generated windows. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/timeconv.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"

#define BED	"001102000010000"
#define NURSE	"001201000010000"
#define MED	"XJ01DCA040B002010100001"
#define BLOOD	"002502000010000"
#define CT	"002503000010000"
#define SURG	"003311010010000"	/* a package ... */
#define ANAES	"003301000010000"	/* ... and one of its parts */
#define PREG	"002501000090000"	/* a women's item */
#define CHILD	"003105000090000"	/* for children */
#define CONS	"C0301010010000100001"

static const char RULES[] =
    "# test tables\n"
    "rule duplicate_charge block\n"
    "rule stay_quantity warn tolerance=0\n"
    "rule phantom_stay warn days=2   # two empty days\n"
    "allow " BED " 1\n"
    "daily " BLOOD " 2\n"
    "package " SURG " " ANAES "\n"
    "gender " PREG " F\n"
    "age " CHILD " 0 14\n"
    "cap " CT " 200.00\n";

static const char CATALOGUE[] =
    "code,name,lv,chrgitm_type,price_cap,b_ratio\n"
    BED ",普通床位费,甲,01,25.000000,\n"
    NURSE ",Ⅰ级护理,甲,07,,\n"
    BLOOD ",血常规,甲,04,,\n"
    CT ",CT,甲,03,,\n"
    SURG ",手术,甲,06,,\n"
    ANAES ",麻醉,甲,06,,\n"
    PREG ",孕检,甲,04,,\n"
    CHILD ",儿童,甲,05,,\n"
    CONS ",输液器,乙,08,,\n";

static struct hg_audit_tables T;

static void
setup(void)
{
	struct hg_conf_errs errs = { NULL, 0 };

	hg_audit_tables_init(&T);
	hg_audit_load_text(&T, "rules.conf", RULES, sizeof RULES - 1, 0, &errs);
	hg_audit_load_text(&T, "catalogue.csv", CATALOGUE,
	    sizeof CATALOGUE - 1, 1, &errs);
	ck_assert_msg(errs.n == 0, "tables: %s", errs.n ? errs.msg[0] : "");
}

static void
teardown(void)
{
	hg_audit_tables_free(&T);
}

static int next_line;

static struct hg_fee *
fee(struct hg_bill *b, const char *nat, const char *qty, int64_t price,
    const char *time)
{
	struct hg_fee *f = hg_bill_add_fee(b);
	char sn[16];

	snprintf(sn, sizeof sn, "%zu", b->nfees);
	hg_set_str(&f->sn, sn);
	hg_set_str(&f->nat_code, nat);
	f->qty = atoll(qty) * 10000;
	f->price = price;
	f->amount = f->qty / 10000 * price / 10000;
	strcpy(f->time, time);
	f->line = ++next_line;
	return f;
}

/* Three days, 03-01 to 03-04: a bed and nursing each day, medication
 * every day, a blood test twice on one day. */
static struct hg_bill *
stay(void)
{
	struct hg_bill *b = hg_bill_new();
	static const char *const days[] = { "2024-03-01", "2024-03-02",
		"2024-03-03" };
	char t[HG_TIMELEN];
	size_t i;

	next_line = 1;
	hg_set_str(&b->psn_cert_type, "01");
	hg_set_str(&b->certno, "11010519491231002X");	/* woman, 1949 */
	hg_set_str(&b->ipt_no, "ZY1");
	strcpy(b->adm_time, "2024-03-01 08:30:00");
	strcpy(b->dscg_time, "2024-03-04 10:00:00");
	b->line = 2;
	for (i = 0; i < 3; i++) {
		snprintf(t, sizeof t, "%s 00:00:00", days[i]);
		fee(b, BED, "1", 25000000, t);
		fee(b, NURSE, "1", 28000000, t);
		snprintf(t, sizeof t, "%s 09:00:00", days[i]);
		fee(b, MED, "2", 12500000, t);
	}
	fee(b, BLOOD, "1", 20000000, "2024-03-02 07:00:00");
	fee(b, BLOOD, "1", 20000000, "2024-03-02 15:00:00");
	fee(b, CONS, "1", 3600000, "2024-03-02 09:00:00");
	fee(b, MED, "1", 12500000, "2024-03-04 09:00:00");
	return b;
}

static struct hg_fee *
refund(struct hg_bill *b, const char *nat, const char *qty, const char *init,
    const char *time)
{
	struct hg_fee *f = fee(b, nat, qty, 0, time);

	f->qty = -f->qty;
	hg_set_str(&f->init_sn, init);
	return f;
}

static void m_none(struct hg_bill *b) { (void)b; }
static void
m_dup(struct hg_bill *b)
{
	fee(b, MED, "2", 12500000, "2024-03-02 09:00:00");
}
static void
m_dup_refunded(struct hg_bill *b)
{
	fee(b, MED, "2", 12500000, "2024-03-02 09:00:00");
	refund(b, MED, "2", b->fees[b->nfees - 1].sn, "2024-03-02 18:00:00");
}
static void
m_dup_refund_nosn(struct hg_bill *b)
{
	fee(b, MED, "2", 12500000, "2024-03-02 09:00:00");
	refund(b, MED, "2", NULL, "2024-03-02 18:00:00");
}
static void
m_dup_partly_refunded(struct hg_bill *b)
{
	/* a partial refund: the quantities differ, not the same charge */
	fee(b, MED, "2", 12500000, "2024-03-02 09:00:00");
	refund(b, MED, "1", b->fees[b->nfees - 1].sn, "2024-03-02 18:00:00");
}
static void
m_same_other_qty(struct hg_bill *b)
{
	fee(b, MED, "3", 12500000, "2024-03-02 09:00:00");
}
static void
m_bed_twice_a_day(struct hg_bill *b)
{
	/* another time, so only the allowance catches it; and a fourth
	 * bed day is over the stay */
	fee(b, BED, "1", 25000000, "2024-03-02 12:00:00");
}
static void
m_nursing_twice_a_day(struct hg_bill *b)
{
	/* nursing has no allow line of its own: its kind's counts */
	fee(b, NURSE, "1", 1000000, "2024-03-02 13:00:00");
}
static void
m_bed_moved(struct hg_bill *b)
{
	/* same count, another day: not a duplicate, not over the stay */
	strcpy(b->fees[3].time, "2024-03-03 12:00:00");
	strcpy(b->fees[6].time, "2024-03-02 00:00:00");
}
static void
m_blood_3(struct hg_bill *b)
{
	fee(b, BLOOD, "1", 20000000, "2024-03-02 20:00:00");
}
static void
m_blood_3_refunded(struct hg_bill *b)
{
	fee(b, BLOOD, "1", 20000000, "2024-03-02 20:00:00");
	refund(b, BLOOD, "1", b->fees[b->nfees - 1].sn, "2024-03-02 21:00:00");
}
static void
m_package(struct hg_bill *b)
{
	fee(b, SURG, "1", 500000000, "2024-03-02 10:00:00");
	fee(b, ANAES, "1", 80000000, "2024-03-02 11:00:00");
}
static void
m_package_other_day(struct hg_bill *b)
{
	fee(b, SURG, "1", 500000000, "2024-03-02 10:00:00");
	fee(b, ANAES, "1", 80000000, "2024-03-03 11:00:00");
}
static void
m_bed_short(struct hg_bill *b)
{
	b->fees[6].qty = -b->fees[6].qty;	/* bed on 03-03 refunded */
	hg_set_str(&b->fees[6].init_sn, "1");
}
static void
m_nursing_long(struct hg_bill *b)
{
	fee(b, NURSE, "2", 28000000, "2024-03-03 12:00:00");
}
static void
m_price_over(struct hg_bill *b)
{
	fee(b, CT, "1", 250000000, "2024-03-02 10:00:00");
}
static void
m_price_at_cap(struct hg_bill *b)
{
	fee(b, CT, "1", 200000000, "2024-03-02 10:00:00");
}
static void
m_price_catalogue(struct hg_bill *b)
{
	b->fees[0].price = 30000000;	/* bed over the catalogue's 25.00 */
}
static void
m_phantom(struct hg_bill *b)
{
	/* no medication on 03-02 and 03-03, the blood tests moved to 03-01 */
	strcpy(b->fees[5].time, "2024-03-01 09:30:00");
	strcpy(b->fees[8].time, "2024-03-01 09:40:00");
	strcpy(b->fees[9].time, "2024-03-01 07:00:00");
	strcpy(b->fees[10].time, "2024-03-01 15:00:00");
}
static void
m_one_empty_day(struct hg_bill *b)
{
	strcpy(b->fees[8].time, "2024-03-02 09:40:00");	/* 03-03 empty */
}
static void
m_man_preg(struct hg_bill *b)
{
	hg_set_str(&b->certno, "110105194912310038");	/* a man */
	fee(b, PREG, "1", 5000000, "2024-03-02 10:00:00");
}
static void
m_woman_preg(struct hg_bill *b)
{
	fee(b, PREG, "1", 5000000, "2024-03-02 10:00:00");
}
static void
m_old_child(struct hg_bill *b)
{
	fee(b, CHILD, "1", 5000000, "2024-03-02 10:00:00");
}
static void
m_child_child(struct hg_bill *b)
{
	/* born 2010-03-01: 14 on admission day, still a child */
	hg_set_str(&b->certno, "110105201003010021");
	fee(b, CHILD, "1", 5000000, "2024-03-02 10:00:00");
}
static void
m_gender_field(struct hg_bill *b)
{
	/* no ID card: the gender field says male */
	hg_set_str(&b->psn_cert_type, "06");
	hg_set_str(&b->gender, "1");
	fee(b, PREG, "1", 5000000, "2024-03-02 10:00:00");
}

static const struct {
	const char *name;
	void	(*mut)(struct hg_bill *);
	int	 rule[3];	/* expected findings' rules, -1 ends */
} cases[] = {
	{ "clean stay", m_none, { -1 } },
	{ "duplicate line", m_dup, { HG_AR_DUPLICATE, -1 } },
	{ "duplicate refunded by serial", m_dup_refunded, { -1 } },
	{ "duplicate refunded by code", m_dup_refund_nosn, { -1 } },
	{ "duplicate partly refunded", m_dup_partly_refunded, { -1 } },
	{ "same time, other quantity", m_same_other_qty, { -1 } },
	{ "bed twice a day", m_bed_twice_a_day,
	  { HG_AR_DUPLICATE, HG_AR_STAY, -1 } },
	{ "nursing twice a day, no allowance for it", m_nursing_twice_a_day,
	  { HG_AR_STAY, -1 } },
	{ "bed days moved", m_bed_moved, { -1 } },
	{ "daily limit passed", m_blood_3, { HG_AR_SPLIT, -1 } },
	{ "daily limit, refunded", m_blood_3_refunded, { -1 } },
	{ "package and part", m_package, { HG_AR_SPLIT, -1 } },
	{ "package, part another day", m_package_other_day, { -1 } },
	{ "bed days short", m_bed_short, { HG_AR_STAY, -1 } },
	{ "nursing days long", m_nursing_long, { HG_AR_STAY, -1 } },
	{ "price over cap", m_price_over, { HG_AR_PRICE, -1 } },
	{ "price at cap", m_price_at_cap, { -1 } },
	{ "price over catalogue cap", m_price_catalogue, { HG_AR_PRICE, -1 } },
	{ "two empty days", m_phantom, { HG_AR_PHANTOM, -1 } },
	{ "one empty day", m_one_empty_day, { -1 } },
	{ "women's item, man", m_man_preg, { HG_AR_RESTRICTED, -1 } },
	{ "women's item, woman", m_woman_preg, { -1 } },
	{ "child's item, 74", m_old_child, { HG_AR_RESTRICTED, -1 } },
	{ "child's item, 14", m_child_child, { -1 } },
	{ "gender from the field", m_gender_field, { HG_AR_RESTRICTED, -1 } },
};

START_TEST(test_rule)
{
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_bill *b = stay();
	size_t n, k, want = 0;

	cases[_i].mut(b);
	n = hg_audit_bill(&T, b, NULL, 0, &out);
	while (cases[_i].rule[want] != -1)
		want++;
	for (k = 0; k < n && k < want; k++)
		ck_assert_msg(out.v[k].rule == cases[_i].rule[k],
		    "%s: finding %zu is %s: %s", cases[_i].name, k,
		    hg_audit_rule_name(out.v[k].rule), out.v[k].text);
	ck_assert_msg(n == want, "%s: %zu findings, expected %zu%s%s",
	    cases[_i].name, n, want, n ? "; first: " : "",
	    n ? out.v[0].text : "");
	hg_audit_findings_free(&out);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_texts)
{
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_bill *b = stay();

	m_dup(b);
	m_bed_twice_a_day(b);
	ck_assert_uint_eq(hg_audit_bill(&T, b, NULL, 0, &out), 3);
	ck_assert_str_eq(out.v[0].text, "lines 7 and 15: " MED " charged 2 "
	    "times at 2024-03-02 09:00:00, quantity 2 each");
	ck_assert_int_eq(out.v[0].line, 7);
	ck_assert_int_eq(out.v[0].sev, HG_AUDIT_BLOCK);
	ck_assert_str_eq(out.v[1].text, "lines 5 and 16: " BED " charged 2 "
	    "times on 2024-03-02, allowed 1 a day (rules.conf:5)");
	ck_assert_str_eq(out.v[2].text, "bed days charged 4, the stay is 3 "
	    "days (tolerance 0)");
	ck_assert_int_eq(out.v[2].sev, HG_AUDIT_WARN);
	ck_assert_uint_eq(hg_audit_blocks(&out), 2);
	hg_audit_findings_free(&out);
	hg_bill_free(b);
}
END_TEST

/* allow KIND TIMES: every code of the kind without its own allow line */
START_TEST(test_allow_kind)
{
	static const char more[] = "allow nursing 1   # once a day\n"
	    "allow " BED " 2\n";
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_bill *b = stay();
	size_t i, dups;

	hg_audit_load_text(&T, "more.conf", more, sizeof more - 1, 0, &errs);
	ck_assert_uint_eq(errs.n, 0);
	m_nursing_twice_a_day(b);
	m_bed_twice_a_day(b);	/* its own line allows two */
	hg_audit_bill(&T, b, NULL, 0, &out);
	ck_assert_uint_ge(out.n, 1);
	ck_assert_str_eq(out.v[0].text, "lines 6 and 15: " NURSE " charged 2 "
	    "times on 2024-03-02, allowed 1 a day (more.conf:1)");
	for (i = dups = 0; i < out.n; i++)
		dups += out.v[i].rule == HG_AR_DUPLICATE;
	ck_assert_uint_eq(dups, 1);
	hg_audit_findings_free(&out);
	hg_bill_free(b);
}
END_TEST

/* A long bill (more standing lines than the rules keep on the stack) and
 * an interim bill of the same stay: the findings are those of a short
 * one, at the right lines. */
START_TEST(test_long_bill)
{
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_bill *b = stay(), *o = stay();
	const struct hg_bill *others[1] = { o };
	size_t i;

	for (i = 0; i < 150; i++)
		fee(b, MED, "1", 12500000, "2024-03-03 10:00:00");
	hg_set_str(&o->ipt_no, "ZY1");
	/* the interim bill repeats the stay's 14 lines: each one twice,
	 * and the 150 lines of one time once */
	ck_assert_uint_eq(hg_audit_bill(&T, b, others, 1, &out), 14);
	ck_assert_str_eq(out.v[0].text, "lines 3 and another bill's 3: " NURSE
	    " charged 2 times at 2024-03-01 00:00:00, quantity 1 each");
	ck_assert_msg(strstr(out.v[9].text, MED " charged 150 times at "
	    "2024-03-03 10:00:00") != NULL, "%s", out.v[9].text);
	ck_assert_int_eq(out.v[9].line, 15);
	ck_assert_str_eq(out.v[13].text, "lines 8 and another bill's 8: "
	    BED " charged 2 times on 2024-03-03, allowed 1 a day "
	    "(rules.conf:5)");
	hg_audit_findings_free(&out);
	hg_bill_free(b);
	hg_bill_free(o);
}
END_TEST

/* Another bill of the same stay (an interim bill) counts for duplicates;
 * another stay that overlaps this one is a finding. */
START_TEST(test_others)
{
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_bill *b = stay(), *interim = stay(), *other = stay();
	const struct hg_bill *others[3];

	/* an interim bill of the same stay with this bill's first dose */
	hg_bill_free(interim);
	interim = hg_bill_new();
	hg_set_str(&interim->ipt_no, "ZY1");
	strcpy(interim->adm_time, b->adm_time);
	strcpy(interim->dscg_time, "2024-03-02 00:00:00");
	fee(interim, MED, "2", 12500000, "2024-03-01 09:00:00");
	hg_set_str(&other->ipt_no, "ZY0");
	strcpy(other->adm_time, "2024-02-20 08:00:00");
	strcpy(other->dscg_time, "2024-03-01 12:00:00");
	others[0] = interim;
	others[1] = NULL;
	others[2] = other;
	ck_assert_uint_eq(hg_audit_bill(&T, b, others, 3, &out), 2);
	ck_assert_int_eq(out.v[0].rule, HG_AR_DUPLICATE);
	ck_assert_msg(strstr(out.v[0].text, "another bill's") != NULL, "%s",
	    out.v[0].text);
	ck_assert_int_eq(out.v[1].rule, HG_AR_STAY);
	ck_assert_str_eq(out.v[1].text, "the stay 2024-03-01 08:30:00 to "
	    "2024-03-04 10:00:00 overlaps the patient's stay ZY0 "
	    "(2024-02-20 08:00:00 to 2024-03-01 12:00:00)");
	hg_audit_findings_free(&out);
	/* the interim bill alone is no duplicate of itself */
	ck_assert_uint_eq(hg_audit_bill(&T, interim, NULL, 0, &out), 0);
	hg_audit_findings_free(&out);
	hg_bill_free(b);
	hg_bill_free(interim);
	hg_bill_free(other);
}
END_TEST

START_TEST(test_off)
{
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_bill *b = stay();
	int i;

	m_dup(b);
	m_price_over(b);
	for (i = 0; i < HG_AR_N; i++)
		T.sev[i] = HG_AUDIT_OFF;
	ck_assert_uint_eq(hg_audit_bill(&T, b, NULL, 0, &out), 0);
	T.sev[HG_AR_PRICE] = HG_AUDIT_BLOCK;
	ck_assert_uint_eq(hg_audit_bill(&T, b, NULL, 0, &out), 1);
	ck_assert_int_eq(out.v[0].sev, HG_AUDIT_BLOCK);
	hg_audit_findings_free(&out);
	hg_bill_free(b);
}
END_TEST

static const struct {
	const char *text;
	int	 csv;
	const char *err;
} bad[] = {
	{ "rule duplicate_charges block\n", 0, "t.conf:1: rule "
	  "\"duplicate_charges\": no such rule; did you mean "
	  "\"duplicate_charge\"?" },
	{ "\n\nrule price_cap stop\n", 0, "t.conf:3: rule price_cap: "
	  "severity \"stop\": expected off, warn or block" },
	{ "rule phantom_stay warn day=3\n", 0, "t.conf:1: rule phantom_stay: "
	  "\"day=3\": not a setting of this rule" },
	{ "rule cost_surge block\n", 0, "t.conf:1: rule cost_surge: block: "
	  "the surge is an alarm over many discharges and holds no bill; "
	  "expected warn or off" },
	{ "rule cost_surge warn threshold=0\n", 0, "t.conf:1: rule cost_surge: "
	  "threshold: \"0\" is not a whole number from 1 to 1000" },
	{ "alow X 1\n", 0, "t.conf:1: \"alow\": no such directive; did you "
	  "mean \"allow\"?" },
	{ "allow " BED "\n", 0, "t.conf:1: allow: expected \"allow CODE|KIND "
	  "TIMES\"" },
	{ "gender " PREG " W\n", 0, "t.conf:1: gender: expected" },
	{ "age " CHILD " 14 2\n", 0, "t.conf:1: age: expected" },
	{ "cap " CT " 1.2.3\n", 0, "t.conf:1: cap: expected" },
	{ "daily 床位 1\n", 0, "t.conf:1: daily: \"床位\" is not a national "
	  "code" },
	{ "package " SURG "\n", 0, "t.conf:1: package: expected" },
	{ "kind " BED " bedroom\n", 0, "t.conf:1: kind: expected" },
	{ "rule\0x\n", 0, "t.conf:1: a NUL byte" },
	{ "name,lv\nX,甲\n", 1, "t.conf:1: catalogue header: no \"code\" "
	  "column" },
	{ "code,price_cap\n" BED ",25.0.0\n", 1, "t.conf:2: catalogue: code "
	  BED ": price_cap \"25.0.0\" is not a price" },
};

START_TEST(test_bad_tables)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_audit_tables t;
	size_t len = strlen(bad[_i].text);

	if (strncmp(bad[_i].text, "rule", 4) == 0 && len == 4)
		len = 7;	/* the one with a NUL */
	hg_audit_tables_init(&t);
	hg_audit_load_text(&t, "t.conf", bad[_i].text, len, bad[_i].csv,
	    &errs);
	ck_assert_msg(errs.n == 1, "%s: %zu errors", bad[_i].text, errs.n);
	ck_assert_msg(strncmp(errs.msg[0], bad[_i].err, strlen(bad[_i].err))
	    == 0, "got \"%s\", expected \"%s...\"", errs.msg[0], bad[_i].err);
	hg_conf_errs_free(&errs);
	hg_audit_tables_free(&t);
}
END_TEST

START_TEST(test_tables)
{
	const struct hg_audit_item *it;

	ck_assert_int_eq(T.sev[HG_AR_DUPLICATE], HG_AUDIT_BLOCK);
	ck_assert_int_eq(T.sev[HG_AR_PRICE], HG_AUDIT_WARN);
	ck_assert_int_eq(T.phantom_days, 2);
	ck_assert_int_eq(T.stay_tolerance, 0);
	it = hg_audit_item(&T, BED);
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(it->kind, HG_IK_BED);
	ck_assert_int_eq(it->per_day, 1);
	ck_assert_int_eq(it->cap, 25000000);
	ck_assert_int_eq(hg_audit_item(&T, CT)->cap, 200000000);
	ck_assert_int_eq(hg_audit_kind(&T, CONS), HG_IK_OTHER);
	ck_assert_int_eq(hg_audit_kind(&T, "ZA01AAD0141010100001234"),
	    HG_IK_MED);
	ck_assert_int_eq(hg_audit_kind(&T, "009999000010000"),
	    HG_IK_UNKNOWN);
	ck_assert_ptr_null(hg_audit_item(&T, "009999000010000"));
}
END_TEST

/* The index by hash finds what the sorted array holds, over a catalogue
 * big enough to collide, and stays right when a later file adds items
 * in the middle (the places move). */
START_TEST(test_item_index)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_audit_tables t;
	struct hg_buf csv = { NULL, 0, 0 };
	char code[32], *rules;
	size_t i;

	hg_audit_tables_init(&t);
	hg_buf_adds(&csv, "code,name,price_cap\n");
	for (i = 0; i < 5000; i += 2) {
		snprintf(code, sizeof code, "C%05zu,x,1.00\n", i);
		hg_buf_adds(&csv, code);
	}
	hg_audit_load_text(&t, "a.csv", csv.data, csv.len, 1, &errs);
	rules = hg_xstrdup("kind C00001 bed\nkind C04999 nursing\n");
	hg_audit_load_text(&t, "b.conf", rules, strlen(rules), 0, &errs);
	ck_assert_msg(errs.n == 0, "%s", errs.n ? errs.msg[0] : "");
	ck_assert_uint_eq(t.nitems, 2502);
	ck_assert_ptr_nonnull(t.hidx);
	for (i = 0; i < t.nitems; i++)
		ck_assert_ptr_eq(hg_audit_item(&t, t.items[i].code),
		    &t.items[i]);
	ck_assert_int_eq(hg_audit_item(&t, "C00001")->kind, HG_IK_BED);
	ck_assert_ptr_null(hg_audit_item(&t, "C00003"));
	ck_assert_ptr_null(hg_audit_item(&t, "C5"));
	ck_assert_ptr_null(hg_audit_item(&t, ""));
	free(rules);
	hg_buf_free(&csv);
	hg_audit_tables_free(&t);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* cost surge */

#define DAY0	19723	/* 2024-01-01 */

/* 60 days, 4 discharges a day in each of two departments: dept 0312's
 * cost rises by pct from day `up` for `len` days. */
static size_t
month(struct hg_surge_bill *v, int pct, int up, int len)
{
	size_t n = 0;
	int d, k, dept;

	for (d = 0; d < 60; d++)
		for (dept = 0; dept < 2; dept++)
			for (k = 0; k < 4; k++) {
				struct hg_surge_bill *b = &v[n];

				memset(b, 0, sizeof *b);
				b->id = (long long)n + 1;
				b->day = DAY0 + d;
				b->dept = strdup(dept ? "0313" : "0312");
				b->region = strdup("110105");
				b->total = 1000000 + k * 1000;
				if (dept == 0 && d >= up && d < up + len)
					b->total += b->total * pct / 100;
				n++;
			}
	return n;
}

START_TEST(test_surge)
{
	/* dearer days 20 to 33: 6 of the week's 7 on day 25; the week is
	 * back within 20 % of the baseline on day 35 (5 of 7), whatever the
	 * week before it (all dearer from day 27 on: compared with that, it
	 * would clear on day 28) */
	static const struct { int pct, up, len, from; size_t alarms;
	    int64_t fired, cleared; } c[] = {
		{ 25, 20, 14, 14, 1, DAY0 + 25, DAY0 + 35 },
		{ 25, 20, 14, 30, 1, DAY0 + 25, DAY0 + 35 },	/* on at from */
		{ 25, 20, 14, 35, 0, 0, 0 },	/* over by then */
		{ 25, 20, 40, 14, 1, DAY0 + 25, -1 },	/* never fell back */
		{ 15, 20, 14, 14, 0, 0, 0 },
		{ 25, 20, 3, 14, 0, 0, 0 },	/* too short to move a week */
		{ 0, 0, 0, 14, 0, 0, 0 },
	};
	struct hg_surge_bill *v = calloc(60 * 8, sizeof *v);
	struct hg_surge_result r;
	size_t n, i;

	T.surge_window = 7;
	n = month(v, c[_i].pct, c[_i].up, c[_i].len);
	hg_surge_run(&T, v, n, DAY0 + c[_i].from, DAY0 + 59, &r);
	ck_assert_uint_eq(r.n, c[_i].alarms);
	if (r.n == 1) {
		ck_assert_str_eq(r.v[0].dept, "0312");
		ck_assert_str_eq(r.v[0].region, "110105");
		ck_assert_int_eq(r.v[0].fired_day, c[_i].fired);
		ck_assert_int_eq(r.v[0].cleared_day, c[_i].cleared);
		ck_assert_int_eq(r.v[0].ncur, 28);
		ck_assert_uint_eq(r.v[0].ntop, 3);
		ck_assert_int_eq(r.v[0].top_totals[0], 1003000 * 125 / 100);
		ck_assert_int_gt(r.v[0].pct_x10, 200);
	}
	hg_surge_result_free(&r);
	for (i = 0; i < n; i++)
		hg_surge_bill_free(&v[i]);
	free(v);
}
END_TEST

START_TEST(test_cross)
{
	ck_assert_int_eq(hg_surge_cross("320100", "110105"), 1);
	ck_assert_int_eq(hg_surge_cross("320100", "320500"), 0);
	ck_assert_int_eq(hg_surge_cross("320100", NULL), 0);
	ck_assert_int_eq(hg_surge_cross("320100", ""), 0);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = hg_tcase(s, "rules", 10);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rule, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_texts);
	tcase_add_test(tc, test_allow_kind);
	tcase_add_test(tc, test_long_bill);
	tcase_add_test(tc, test_others);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_item_index);
	tc = hg_tcase(s, "tables", 10);
	tcase_add_loop_test(tc, test_bad_tables, 0, sizeof bad / sizeof bad[0]);
	tc = hg_tcase(s, "surge", 20);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_surge, 0, 7);
	tcase_add_test(tc, test_cross);
	return s;
}
