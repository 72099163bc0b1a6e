/* Bill validation: a good bill has no problems; each defect, applied alone
 * to the good bill, gives exactly one problem on the right line and field. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/idcard.h"
#include "agent/validate.h"
#include "lib/bill.h"
#include "t/check_main.h"

#define NOW	"2024-03-06 12:00:00"
#define BLINE	2	/* the bill's first source line */

static struct hg_fee *
fee(struct hg_bill *b, const char *sn, const char *local, const char *nat,
    int64_t qty, int64_t price, int64_t amount, const char *time, int line)
{
	struct hg_fee *f = hg_bill_add_fee(b);

	hg_set_str(&f->sn, sn);
	hg_set_str(&f->local_code, local);
	hg_set_str(&f->nat_code, nat);
	hg_set_str(&f->name, local);
	f->qty = qty;
	f->price = price;
	f->amount = amount;
	strcpy(f->time, time);
	f->line = line;
	return f;
}

/* The published GB 11643 sample patient, one stay, seven lines: drugs,
 * a bed billed at 00:00 of the admission day, two identical consumable
 * lines with different serials, a partial refund, a TCM piece taken home
 * at discharge (within 24 h) and a service item with a provincial price
 * suffix. */
static struct hg_bill *
sample(void)
{
	struct hg_bill *b = hg_bill_new();
	struct hg_diag *d;
	struct hg_fee *f;

	hg_set_str(&b->psn_name, "王芳");
	hg_set_str(&b->psn_cert_type, "01");
	hg_set_str(&b->certno, "11010519491231002X");
	hg_set_str(&b->ipt_no, "ZY2024000123");
	strcpy(b->adm_time, "2024-03-01 08:30:00");
	strcpy(b->dscg_time, "2024-03-05 10:00:00");
	b->line = BLINE;
	d = hg_bill_add_diag(b);
	hg_set_str(&d->code, "J18.900");
	hg_set_str(&d->name, "肺炎");
	d->main = 1;
	d = hg_bill_add_diag(b);
	hg_set_str(&d->code, "I10.x00");
	hg_set_str(&d->name, "高血压");
	fee(b, "1", "YP000456", "XJ01DCA040B002010100001", 40000, 12500000,
	    5000, "2024-03-01 09:10:00", 2);
	fee(b, "2", "CW0001", "001102000010000", 40000, 25000000, 10000,
	    "2024-03-01 00:00:00", 3);
	fee(b, "3", "HC0789", "C0301010010000100001", 20000, 3600000, 720,
	    "2024-03-02 14:00:00", 4);
	fee(b, "4", "HC0789", "C0301010010000100001", 20000, 3600000, 720,
	    "2024-03-02 14:00:00", 5);
	f = fee(b, "5", "YP000456", "XJ01DCA040B002010100001", -10000,
	    12500000, -1250, "2024-03-02 09:00:00", 6);
	hg_set_str(&f->init_sn, "1");
	/* 10 x 0.333333 = 3.33333, within half a fen of 3.33 */
	fee(b, "6", "ZY0101", "T001700643", 100000, 333333, 333,
	    "2024-03-05 20:00:00", 7);
	fee(b, "7", "ZL0001", "001102000000100-110200002.10", 10000, 30000000,
	    3000, "2024-03-03 08:00:00", 8);
	b->total = 18523;
	b->has_total = 1;
	return b;
}

static void
opts_init(struct hg_validate_opts *o)
{
	hg_validate_defaults(o);
	strcpy(o->now, NOW);
}

/* ---- mutations: each one defect (or one legitimate variation) ---- */

#define MUT(fn, body) \
	static void fn(struct hg_bill *b, struct hg_validate_opts *o) { body }

MUT(m_none, )
MUT(id_short, hg_set_str(&b->certno, "11010519491231002");)
MUT(id_check, hg_set_str(&b->certno, "110105194912310021");)
MUT(id_date, hg_set_str(&b->certno, "110105194913310025");)
MUT(id_feb29, hg_set_str(&b->certno, "110105190002290012");)
MUT(id_future, hg_set_str(&b->certno, "110105202501010011");)
MUT(id_region, hg_set_str(&b->certno, "000000194912310020");)
MUT(id_letter, hg_set_str(&b->certno, "1101051949A231002X");)
MUT(id_excel, hg_set_str(&b->certno, "1.10105E+17");)
MUT(id_excel0, hg_set_str(&b->certno, "110105194912310000");)
MUT(id_15, hg_set_str(&b->certno, "110105491231002");)
MUT(id_15date, hg_set_str(&b->certno, "110105491331002");)
MUT(id_15alpha, hg_set_str(&b->certno, "11010549123100X");)
MUT(id_lower, hg_set_str(&b->certno, "11010519491231002x");)
MUT(id_fullwidth, hg_set_str(&b->certno, "１１０１０５１９４９１２３１"
    "００２Ｘ");)
MUT(id_good2, hg_set_str(&b->certno, "510106200002290014");)
MUT(id_nulltype, hg_set_str(&b->psn_cert_type, NULL);
    hg_set_str(&b->certno, "110105194912310021");)
MUT(id_other, hg_set_str(&b->psn_cert_type, "02");
    hg_set_str(&b->certno, "军字第0012345号");)
MUT(id_other_empty, hg_set_str(&b->psn_cert_type, "02");
    hg_set_str(&b->certno, "");)
MUT(no_certno, hg_set_str(&b->certno, NULL);)
MUT(no_ipt, hg_set_str(&b->ipt_no, NULL);)
MUT(no_name, hg_set_str(&b->psn_name, "");)
MUT(no_begn, b->adm_time[0] = '\0';)
MUT(no_end, b->dscg_time[0] = '\0';)
MUT(bad_begn, strcpy(b->adm_time, "2024/3/1");)
MUT(adm_after, strcpy(b->adm_time, "2024-03-06 08:00:00");)
MUT(no_diag,
	for (size_t i = 0; i < b->ndiags; i++) {
		free(b->diags[i].code);
		free(b->diags[i].name);
	}
	b->ndiags = 0;)
MUT(diag_main_bad, hg_set_str(&b->diags[0].code, "J18.9");)
MUT(diag_main_lower, hg_set_str(&b->diags[0].code, "j18.900");)
MUT(diag_other_bad, hg_set_str(&b->diags[1].code, "I10");)
MUT(diag_no_code, hg_set_str(&b->diags[1].code, NULL);)
MUT(diag_long, hg_set_str(&b->diags[0].code, "I20.800x007");)
MUT(diag_no_main, b->diags[0].main = 0;)
MUT(diag_two_main, b->diags[1].main = 1;)
MUT(nat_excel, hg_set_str(&b->fees[0].nat_code, "1.10105E+17");)
MUT(nat_drug22, hg_set_str(&b->fees[0].nat_code,
    "XJ01DCA040B00201010000");)
MUT(nat_drug_y, hg_set_str(&b->fees[0].nat_code,
    "YJ01DCA040B002010100001");)
MUT(nat_drug_punct, hg_set_str(&b->fees[0].nat_code,
    "XJ01DCA040B00201010000-");)
MUT(nat_zdrug, hg_set_str(&b->fees[0].nat_code,
    "ZA01AAA0001010101000001");)
MUT(nat_svc_zero, hg_set_str(&b->fees[1].nat_code, "1102000010000");)
MUT(nat_svc_dash, hg_set_str(&b->fees[1].nat_code, "001102000010000-");)
MUT(nat_svc_space, hg_set_str(&b->fees[1].nat_code,
    "001102000010000-1102 2");)
MUT(nat_cons19, hg_set_str(&b->fees[2].nat_code, "C030101001000010000");)
MUT(nat_tcm_short, hg_set_str(&b->fees[5].nat_code, "T12");)
MUT(nat_local, hg_set_str(&b->fees[0].nat_code, "YP000456");)
MUT(nat_absent, hg_set_str(&b->fees[0].nat_code, NULL);)
MUT(amt_wrong, b->fees[0].amount = 6000; b->total += 1000;)
MUT(amt_rounding, b->fees[6].qty = 30000; b->fees[6].price = 3333333;
    b->fees[6].amount = 1000; b->total -= 2000;)
MUT(amt_half_fen, b->fees[6].price = 30005000;)
MUT(amt_over_half, b->fees[6].price = 30005001;)
MUT(amt_tol0, o->tolerance_micro = 0;)
MUT(total_off, b->total += 10;)
MUT(total_none, b->total += 10; b->has_total = 0;)
MUT(price_neg, b->fees[2].price = -3600000;)
MUT(sign_charge, b->fees[2].amount = -720; b->total -= 1440;)
MUT(sign_refund, b->fees[4].amount = 1250; b->total += 2500;)
MUT(time_before, strcpy(b->fees[0].time, "2024-02-29 23:59:59");)
MUT(time_after, strcpy(b->fees[5].time, "2024-03-06 10:00:01");)
MUT(time_edge, strcpy(b->fees[5].time, "2024-03-06 10:00:00");)
MUT(time_hours0, o->after_discharge_hours = 0;)
MUT(time_missing, b->fees[3].time[0] = '\0';)
MUT(time_shape, strcpy(b->fees[3].time, "2024/3/2");)
MUT(sn_dup, hg_set_str(&b->fees[3].sn, "3");)
MUT(sn_dup3, hg_set_str(&b->fees[3].sn, "3");
    hg_set_str(&b->fees[6].sn, "3");)
MUT(sn_missing, hg_set_str(&b->fees[3].sn, NULL);)
MUT(sn_long, hg_set_str(&b->fees[3].sn,
    "FD2024030100000000000000000000X");)
MUT(ref_unknown, hg_set_str(&b->fees[4].init_sn, "99");)
MUT(ref_no_init, hg_set_str(&b->fees[4].init_sn, NULL);)
MUT(ref_of_refund, hg_set_str(&b->fees[4].init_sn, "5");)
MUT(ref_too_much, b->fees[4].qty = -50000; b->fees[4].amount = -6250;
    b->total -= 5000;)
MUT(ref_all, b->fees[4].qty = -40000; b->fees[4].amount = -5000;
    b->total -= 3750;)

static void
no_fees(struct hg_bill *b, struct hg_validate_opts *o)
{
	size_t i;

	for (i = 0; i < b->nfees; i++) {
		free(b->fees[i].sn);
		free(b->fees[i].init_sn);
		free(b->fees[i].local_code);
		free(b->fees[i].nat_code);
		free(b->fees[i].name);
	}
	b->nfees = 0;
}

#define SHAPE	"is not a national catalogue code shape (expected 23-char " \
		"drug code X/Z..., 15-digit service code, 20-char " \
		"consumable code C...)"

static const struct {
	const char *name;
	void	(*mutate)(struct hg_bill *, struct hg_validate_opts *);
	size_t	 count;		/* problems expected */
	int	 line;		/* of the first problem */
	const char *field;
	const char *msg;	/* substring of the first problem */
} defects[] = {
	{ "good bill", m_none, 0, 0, NULL, NULL },
	/* identity card */
	{ "ID 17 chars", id_short, 1, BLINE, "certno",
	    "18 characters expected, got 17" },
	{ "ID check char", id_check, 1, BLINE, "certno",
	    "check character is 1, expected X" },
	{ "ID date", id_date, 1, BLINE, "certno",
	    "birth date 19491331 is not a real date" },
	{ "ID 1900-02-29", id_feb29, 1, BLINE, "certno",
	    "birth date 19000229 is not a real date" },
	{ "ID future", id_future, 1, BLINE, "certno",
	    "birth date 20250101 is after today (2024-03-06)" },
	{ "ID region", id_region, 1, BLINE, "certno",
	    "region code 000000" },
	{ "ID letter", id_letter, 1, BLINE, "certno",
	    "character 11 is 'A', expected a digit" },
	{ "ID Excel E+17", id_excel, 1, BLINE, "certno",
	    "18 characters expected, got 11" },
	{ "ID Excel 15 digits", id_excel0, 1, BLINE, "certno",
	    "check character is 0, expected 3" },
	{ "ID 15 digits", id_15, 0, 0, NULL, NULL },
	{ "ID 15 bad date", id_15date, 1, BLINE, "certno",
	    "birth date 19491331 is not a real date" },
	{ "ID 15 letter", id_15alpha, 1, BLINE, "certno",
	    "character 15 is 'X', expected a digit" },
	{ "ID lower-case x", id_lower, 0, 0, NULL, NULL },
	{ "ID full-width", id_fullwidth, 0, 0, NULL, NULL },
	{ "ID leap day 2000", id_good2, 0, 0, NULL, NULL },
	{ "ID type NULL = 01", id_nulltype, 1, BLINE, "certno",
	    "check character is 1, expected X" },
	{ "other certificate", id_other, 0, 0, NULL, NULL },
	{ "other cert empty", id_other_empty, 1, BLINE, "certno",
	    "missing" },
	{ "no certno", no_certno, 1, BLINE, "certno", "missing" },
	/* required fields and the stay */
	{ "no ipt_no", no_ipt, 1, BLINE, "ipt_no", "missing" },
	{ "no name", no_name, 1, BLINE, "psn_name", "missing" },
	{ "no admission", no_begn, 1, BLINE, "begntime", "missing" },
	{ "no discharge", no_end, 1, BLINE, "endtime", "missing" },
	{ "bad admission", bad_begn, 1, BLINE, "begntime",
	    "\"2024/3/1\" is not a time" },
	{ "admitted after discharge", adm_after, 1, BLINE, "endtime",
	    "discharge 2024-03-05 10:00:00 is not after admission "
	    "2024-03-06 08:00:00" },
	{ "no fee lines", no_fees, 1, BLINE, "feedetail", "no fee lines" },
	/* diagnoses */
	{ "no diagnosis", no_diag, 1, BLINE, "diag_code", "no diagnosis" },
	{ "main diag shape", diag_main_bad, 1, BLINE, "diag_code",
	    "main diagnosis \"J18.9\" is not an ICD-10 code shape" },
	{ "main diag lower", diag_main_lower, 1, BLINE, "diag_code",
	    "\"j18.900\"" },
	{ "other diag shape", diag_other_bad, 1, BLINE, "diag_code",
	    "other diagnosis \"I10\"" },
	{ "diag without code", diag_no_code, 1, BLINE, "diag_code",
	    "other diagnosis 2 (高血压) has no code" },
	{ "diag x-extension", diag_long, 0, 0, NULL, NULL },
	{ "no main diag", diag_no_main, 1, BLINE, "maindiag_flag",
	    "0 of 2 diagnoses are marked main" },
	{ "two main diags", diag_two_main, 1, BLINE, "maindiag_flag",
	    "2 of 2 diagnoses are marked main" },
	/* national code shapes */
	{ "code Excel", nat_excel, 1, 2, "med_list_codg",
	    "\"1.10105E+17\" " SHAPE },
	{ "drug 22 chars", nat_drug22, 1, 2, "med_list_codg", SHAPE },
	{ "drug Y...", nat_drug_y, 1, 2, "med_list_codg", SHAPE },
	{ "drug punct", nat_drug_punct, 1, 2, "med_list_codg", SHAPE },
	{ "patent drug Z", nat_zdrug, 0, 0, NULL, NULL },
	{ "service lost zeros", nat_svc_zero, 1, 3, "med_list_codg",
	    "\"1102000010000\" " SHAPE },
	{ "service empty suffix", nat_svc_dash, 1, 3, "med_list_codg",
	    SHAPE },
	{ "service space", nat_svc_space, 1, 3, "med_list_codg", SHAPE },
	{ "consumable 19", nat_cons19, 1, 4, "med_list_codg", SHAPE },
	{ "TCM short", nat_tcm_short, 1, 7, "med_list_codg", SHAPE },
	{ "local code as national", nat_local, 1, 2, "med_list_codg",
	    SHAPE },
	{ "no national code", nat_absent, 0, 0, NULL, NULL },
	/* amounts */
	{ "qty x price", amt_wrong, 1, 2, "det_item_fee_sumamt",
	    "4 × 12.500000 = 50.00, but the amount is 60.00" },
	{ "3 x 3.333333", amt_rounding, 0, 0, NULL, NULL },
	{ "half a fen", amt_half_fen, 0, 0, NULL, NULL },
	{ "over half a fen", amt_over_half, 1, 8, "det_item_fee_sumamt",
	    "1 × 30.005001 = 30.01, but the amount is 30.00" },
	{ "tolerance 0", amt_tol0, 1, 7, "det_item_fee_sumamt",
	    "10 × 0.333333 = 3.33333, but the amount is 3.33" },
	{ "total", total_off, 1, BLINE, "medfee_sumamt",
	    "lines sum to 185.23, the bill total is 185.33" },
	{ "no total", total_none, 0, 0, NULL, NULL },
	{ "negative price", price_neg, 1, 4, "pric",
	    "price -3.600000 is negative" },
	{ "charge negative amount", sign_charge, 1, 4,
	    "det_item_fee_sumamt",
	    "amount -7.20 and quantity 2 have opposite signs" },
	{ "refund positive amount", sign_refund, 1, 6,
	    "det_item_fee_sumamt",
	    "amount 12.50 and quantity -1 have opposite signs" },
	/* times */
	{ "before admission day", time_before, 1, 2, "fee_ocur_time",
	    "2024-02-29 23:59:59 is before the admission day 2024-03-01" },
	{ "after discharge", time_after, 1, 7, "fee_ocur_time",
	    "2024-03-06 10:00:01 is more than 24 hours after discharge "
	    "2024-03-05 10:00:00" },
	{ "discharge + 24 h", time_edge, 0, 0, NULL, NULL },
	{ "after discharge, 0 h", time_hours0, 1, 7, "fee_ocur_time",
	    "2024-03-05 20:00:00 is after discharge 2024-03-05 10:00:00" },
	{ "no fee time", time_missing, 1, 5, "fee_ocur_time", "missing" },
	{ "fee time shape", time_shape, 1, 5, "fee_ocur_time",
	    "\"2024/3/2\" is not a time" },
	/* serials */
	{ "duplicate serial", sn_dup, 1, 5, "feedetl_sn",
	    "serial 3 also on line 4" },
	{ "serial three times", sn_dup3, 2, 5, "feedetl_sn",
	    "serial 3 also on line 4" },
	{ "no serial", sn_missing, 1, 5, "feedetl_sn", "missing" },
	{ "serial too long", sn_long, 1, 5, "feedetl_sn",
	    "has 31 characters, at most 30" },
	/* refunds */
	{ "refund unknown", ref_unknown, 1, 6, "init_feedetl_sn",
	    "refund of serial 99, which is not in this bill" },
	{ "refund no original", ref_no_init, 1, 6, "init_feedetl_sn",
	    "without an original serial" },
	{ "refund of a refund", ref_of_refund, 1, 6, "init_feedetl_sn",
	    "refund of serial 5, which is not a charge (line 6" },
	{ "refund too much", ref_too_much, 1, 6, "cnt",
	    "refunds of serial 1 come to 5, more than the 4 charged on "
	    "line 2" },
	{ "refund all", ref_all, 0, 0, NULL, NULL },
};

START_TEST(test_defect)
{
	struct hg_bill *b = sample();
	struct hg_validate_opts o;
	struct hg_problem *p = NULL;
	size_t n = 0, got, i;

	opts_init(&o);
	defects[_i].mutate(b, &o);
	got = hg_validate(b, &o, &p, &n);
	ck_assert_uint_eq(got, n);
	for (i = 0; i < n && n != defects[_i].count; i++)
		fprintf(stderr, "%s: line %d %s: %s\n", defects[_i].name,
		    p[i].line, p[i].field, p[i].msg);
	ck_assert_msg(n == defects[_i].count, "%s: %zu problems, expected "
	    "%zu", defects[_i].name, n, defects[_i].count);
	if (n > 0) {
		ck_assert_msg(p[0].line == defects[_i].line, "%s: line %d, "
		    "expected %d", defects[_i].name, p[0].line,
		    defects[_i].line);
		ck_assert_msg(strcmp(p[0].field, defects[_i].field) == 0,
		    "%s: field %s, expected %s", defects[_i].name, p[0].field,
		    defects[_i].field);
		ck_assert_msg(strstr(p[0].msg, defects[_i].msg) != NULL,
		    "%s: \"%s\" lacks \"%s\"", defects[_i].name, p[0].msg,
		    defects[_i].msg);
	}
	hg_problems_free(p, n);
	hg_bill_free(b);
}
END_TEST

/* Several defects at once: all reported, none stops the others, and the
 * list grows after what the caller already had. */
START_TEST(test_all_reported)
{
	struct hg_bill *b = sample();
	struct hg_validate_opts o;
	struct hg_problem *p = NULL;
	size_t n = 0;

	opts_init(&o);
	hg_problem_add(&p, &n, 1, "adapter", "already there");
	id_check(b, &o);
	no_ipt(b, &o);
	diag_main_bad(b, &o);
	nat_excel(b, &o);
	amt_wrong(b, &o);
	sn_dup(b, &o);
	ref_unknown(b, &o);
	time_after(b, &o);
	total_off(b, &o);
	ck_assert_uint_eq(hg_validate(b, &o, &p, &n), 9);
	ck_assert_uint_eq(n, 10);
	ck_assert_str_eq(p[0].msg, "already there");
	ck_assert_str_eq(p[1].field, "ipt_no");
	ck_assert_str_eq(p[2].field, "certno");
	ck_assert_str_eq(p[3].field, "diag_code");
	ck_assert_str_eq(p[4].field, "med_list_codg");
	ck_assert_str_eq(p[5].field, "det_item_fee_sumamt");
	ck_assert_str_eq(p[6].field, "feedetl_sn");
	ck_assert_str_eq(p[7].field, "init_feedetl_sn");
	ck_assert_str_eq(p[8].field, "fee_ocur_time");
	ck_assert_str_eq(p[9].field, "medfee_sumamt");
	hg_problems_free(p, n);
	hg_bill_free(b);
}
END_TEST

/* An empty bill: one problem per missing thing, no crash. */
START_TEST(test_empty_bill)
{
	struct hg_bill *b = hg_bill_new();
	struct hg_problem *p = NULL;
	size_t n = 0;

	ck_assert_uint_eq(hg_validate(b, NULL, &p, &n), 7);
	ck_assert_str_eq(p[0].field, "ipt_no");
	ck_assert_str_eq(p[1].field, "psn_name");
	ck_assert_str_eq(p[2].field, "certno");
	ck_assert_str_eq(p[3].field, "begntime");
	ck_assert_str_eq(p[4].field, "endtime");
	ck_assert_str_eq(p[5].field, "diag_code");
	ck_assert_str_eq(p[6].field, "feedetail");
	hg_problems_free(p, n);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_defaults)
{
	struct hg_validate_opts o;

	memset(&o, 0xff, sizeof o);
	hg_validate_defaults(&o);
	ck_assert_int_eq(o.tolerance_micro, 5000);
	ck_assert_int_eq(o.after_discharge_hours, 24);
	ck_assert_str_eq(o.now, "");
}
END_TEST

/* A long stay: duplicates found among thousands of lines. */
START_TEST(test_many_lines)
{
	struct hg_bill *b = sample();
	struct hg_validate_opts o;
	struct hg_problem *p = NULL;
	char sn[16];
	size_t n = 0, i;

	opts_init(&o);
	for (i = 0; i < 5000; i++) {
		snprintf(sn, sizeof sn, "L%zu", (i * 7919) % 5000);
		fee(b, i == 4321 ? "L17" : sn, "CW0001", "001102000010000",
		    10000, 25000000, 2500, "2024-03-02 00:00:00",
		    (int)i + 100);
	}
	b->total += 5000 * 2500;
	ck_assert_uint_eq(hg_validate(b, &o, &p, &n), 1);
	ck_assert_int_eq(p[0].line, 4321 + 100);
	ck_assert_msg(strstr(p[0].msg, "serial L17 also on line") != NULL,
	    "%s", p[0].msg);
	hg_problems_free(p, n);
	hg_bill_free(b);
}
END_TEST

static const struct {
	const char *code;
	int	 ok;
} natcodes[] = {
	{ "XR05CBA198A001010100863", 1 },
	{ "XJ01DCA040B002010100001", 1 },
	{ "ZA01AAA0001010101000001", 1 },
	{ "001216000010100", 1 },
	{ "001102000000100-110200002.10", 1 },
	{ "C0301010010000100001", 1 },
	{ "T001700643", 1 },
	{ "T0017006", 1 },
	{ "T00170064300000000000000000000", 1 },	/* 30 */
	{ "T001700", 0 },
	{ "T001700643000000000000000000000", 0 },	/* 31 */
	{ "T0017-0643", 0 },
	{ "XR05CBA198A00101010086", 0 },
	{ "XR05CBA198A0010101008630", 0 },
	{ "XR05CBA198A00101010086 ", 0 },
	{ "AR05CBA198A001010100863", 0 },
	{ "00121600001010", 0 },
	{ "0012160000101000", 0 },
	{ "00121600001010A", 0 },
	{ "001216000010100-", 0 },
	{ "001216000010100-12 3", 0 },
	{ "001216000010100_123", 0 },
	{ "C030101001000010000", 0 },
	{ "C03010100100001000011", 0 },
	{ "C030101001000010000!", 0 },
	{ "1.10105E+17", 0 },
	{ "", 0 },
	{ NULL, 0 },
};

START_TEST(test_natcode_shape)
{
	ck_assert_msg(hg_natcode_shape_ok(natcodes[_i].code) ==
	    natcodes[_i].ok, "\"%s\" should be %s", natcodes[_i].code ?
	    natcodes[_i].code : "(null)", natcodes[_i].ok ? "good" : "bad");
}
END_TEST

static const struct {
	const char *code;
	int	 ok;
} diagcodes[] = {
	{ "I10.x00", 1 },
	{ "J18.900", 1 },
	{ "I20.800x007", 1 },
	{ "I10.x00x032", 1 },
	{ "E11.xxx", 1 },
	{ "J18.9", 0 },
	{ "J18900", 0 },
	{ "J18.90", 0 },
	{ "J18.9000", 0 },
	{ "J18.900x00", 0 },
	{ "J18.900y007", 0 },
	{ "J18.900X007", 0 },
	{ "j18.900", 0 },
	{ "118.900", 0 },
	{ "JA8.900", 0 },
	{ "J18.X00", 0 },
	{ "", 0 },
	{ NULL, 0 },
};

START_TEST(test_diagcode_shape)
{
	ck_assert_msg(hg_diagcode_shape_ok(diagcodes[_i].code) ==
	    diagcodes[_i].ok, "\"%s\" should be %s", diagcodes[_i].code ?
	    diagcodes[_i].code : "(null)", diagcodes[_i].ok ? "good" : "bad");
}
END_TEST

START_TEST(test_idcard)
{
	char why[256];

	ck_assert_int_eq(hg_idcard_checkchar("11010519491231002"), 'X');
	ck_assert_int_eq(hg_idcard_checkchar("44030819990101123"), '4');
	ck_assert_int_eq(hg_idcard_checkchar("4403081999010112A"), '\0');
	ck_assert_int_eq(hg_idcard_check("11010519491231002X", NOW, why,
	    sizeof why), 0);
	ck_assert_int_eq(hg_idcard_check("440308199901011234", NOW, why,
	    sizeof why), 0);
	/* born today is not the future; no `today` means the clock */
	ck_assert_int_eq(hg_idcard_check("11010520240305001X", "2024-03-05",
	    why, sizeof why), 0);
	ck_assert_int_eq(hg_idcard_check("11010520240305001X", NULL, why,
	    sizeof why), 0);
	ck_assert_int_eq(hg_idcard_check("11010520240305001X", "2024-03-04",
	    why, sizeof why), -1);
	ck_assert_str_eq(why, "birth date 20240305 is after today "
	    "(2024-03-04)");
	ck_assert_int_eq(hg_idcard_check("11010519491231002x", NOW, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "check character is x, expected X");
	ck_assert_int_eq(hg_idcard_check("", NOW, why, sizeof why), -1);
	ck_assert_str_eq(why, "empty, expected an 18-character ID number");
	ck_assert_int_eq(hg_idcard_check(NULL, NOW, why, sizeof why), -1);
	ck_assert_int_eq(hg_idcard_check("11010519491231002X1", NOW, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "18 characters expected, got 19");
	/* a full-width digit left in: characters, not bytes */
	ck_assert_int_eq(hg_idcard_check("１1010519491231002X", NOW, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "character 1 is \"１\", expected a digit "
	    "(the first 17 characters are digits)");
	ck_assert_int_eq(hg_idcard_check("1101051949123100２X", NOW, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "character 17 is \"２\", expected a digit "
	    "(the first 17 characters are digits)");
	ck_assert_int_eq(hg_idcard_check("11010519491231002Ｘ", NOW, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "check character is \"Ｘ\", expected X");
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = hg_tcase(s, "defects", 10);

	tcase_add_loop_test(tc, test_defect, 0,
	    sizeof defects / sizeof defects[0]);
	tcase_add_test(tc, test_all_reported);
	tcase_add_test(tc, test_empty_bill);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_many_lines);
	tc = hg_tcase(s, "shapes", 10);
	tcase_add_loop_test(tc, test_natcode_shape, 0,
	    sizeof natcodes / sizeof natcodes[0]);
	tcase_add_loop_test(tc, test_diagcode_shape, 0,
	    sizeof diagcodes / sizeof diagcodes[0]);
	tcase_add_test(tc, test_idcard);
	return s;
}
