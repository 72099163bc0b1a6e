/* Validation of a canonical bill before it may be settled: what the
 * platform would reject (his-side.md §4, §5), found here so that the bill
 * waits in the outbox with a precise reason instead of failing at 2301.
 * One defect gives exactly one problem, and every defect is reported: an
 * operator fixes a bill in one pass, not one complaint at a time. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/idcard.h"
#include "agent/validate.h"
#include "lib/money.h"
#include "lib/timeconv.h"
#include "lib/xmalloc.h"

#define SN_MAX	30	/* feedetl_sn is at most 30 characters (2301) */

void
hg_validate_defaults(struct hg_validate_opts *o)
{
	memset(o, 0, sizeof *o);
	o->tolerance_micro = 5000;
	o->after_discharge_hours = 24;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
all_alnum(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]))
			return 0;
	return 1;
}

int
hg_natcode_shape_ok(const char *code)
{
	size_t n, i;

	if (code == NULL)
		return 0;
	n = strlen(code);
	switch (code[0]) {
	case 'X':
	case 'Z':	/* Western / patent drugs */
		return n == 23 && all_alnum(code + 1, 22);
	case 'T':	/* TCM decoction pieces: shorter, vary by province */
		return n >= 8 && n <= 30 && all_alnum(code + 1, n - 1);
	case 'C':	/* consumables */
		return n == 20 && all_alnum(code + 1, 19);
	default:
		break;
	}
	/* medical service items, optionally "-" + a provincial price code */
	if (n < 15)
		return 0;
	for (i = 0; i < 15; i++)
		if (!is_digit((unsigned char)code[i]))
			return 0;
	if (n == 15)
		return 1;
	if (code[15] != '-' || n == 16)
		return 0;
	for (i = 16; i < n; i++)
		if ((unsigned char)code[i] <= 0x20 ||
		    (unsigned char)code[i] >= 0x7f)
			return 0;
	return 1;
}

int
hg_diagcode_shape_ok(const char *code)
{
	size_t n, i;

	if (code == NULL)
		return 0;
	n = strlen(code);
	if (n != 7 && n != 11)
		return 0;
	if (code[0] < 'A' || code[0] > 'Z' || !is_digit(code[1]) ||
	    !is_digit(code[2]) || code[3] != '.')
		return 0;
	for (i = 4; i < 7; i++)
		if (!is_digit(code[i]) && code[i] != 'x')
			return 0;
	if (n == 7)
		return 1;
	return code[7] == 'x' && is_digit(code[8]) && is_digit(code[9]) &&
	    is_digit(code[10]);
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}


/* Fees with a serial, ordered by serial and then by position, so that
 * duplicates sit together behind their first occurrence.  qsort_r, not
 * qsort: hg_validate runs in several threads and the comparator needs the
 * bill. */
struct sn_index {
	size_t	*order;
	size_t	 n;
	size_t	*first;		/* per fee: first fee with the same serial */
};

static int
by_sn(const void *a, const void *b, void *arg)
{
	const struct hg_fee *fees = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(fees[ia].sn, fees[ib].sn);

	if (c != 0)
		return c;
	return ia < ib ? -1 : ia > ib;
}

static size_t
lower_bound(const struct hg_fee *fees, const size_t *order, size_t n,
    const char *sn)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(fees[order[mid]].sn, sn) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
sn_index_build(const struct hg_bill *bill, struct sn_index *ix)
{
	size_t i, k;

	ix->order = hg_xcalloc(bill->nfees + 1, sizeof *ix->order);
	ix->first = hg_xcalloc(bill->nfees + 1, sizeof *ix->first);
	ix->n = 0;
	for (i = 0; i < bill->nfees; i++) {
		ix->first[i] = i;
		if (!empty(bill->fees[i].sn))
			ix->order[ix->n++] = i;
	}
	qsort_r(ix->order, ix->n, sizeof *ix->order, by_sn, bill->fees);
	for (k = 1; k < ix->n; k++)
		if (strcmp(bill->fees[ix->order[k]].sn,
		    bill->fees[ix->order[k - 1]].sn) == 0)
			ix->first[ix->order[k]] =
			    ix->first[ix->order[k - 1]];
}

/* The first fee carrying serial sn, or -1. */
static long
sn_find(const struct hg_bill *bill, const struct sn_index *ix,
    const char *sn)
{
	size_t pos = lower_bound(bill->fees, ix->order, ix->n, sn);

	if (pos < ix->n && strcmp(bill->fees[ix->order[pos]].sn, sn) == 0)
		return (long)ix->order[pos];
	return -1;
}

static void
check_patient(const struct hg_bill *b, const char *now,
    struct hg_problem **probs, size_t *nprobs)
{
	char *id, why[256];

	if (empty(b->ipt_no))
		hg_problem_add(probs, nprobs, b->line, "ipt_no", "missing, "
		    "expected the HIS inpatient number");
	if (empty(b->psn_name))
		hg_problem_add(probs, nprobs, b->line, "psn_name", "missing, "
		    "expected the patient's name");
	if (empty(b->certno)) {
		hg_problem_add(probs, nprobs, b->line, "certno", "missing, "
		    "expected the patient's certificate number");
		return;
	}
	if (!empty(b->psn_cert_type) && strcmp(b->psn_cert_type, "01") != 0)
		return;
	/* lower-case x and full-width digits are the adapter's to fix;
	 * they do not make the number wrong */
	id = hg_xstrdup(b->certno);
	hg_norm_id(id);
	/* the field (with the source's column name) says what it is */
	if (hg_idcard_check(id, now, why, sizeof why) < 0)
		hg_problem_add(probs, nprobs, b->line, "certno", "%s", why);
	free(id);
}

/* Check one of the stay's two times; 1 when it can be used. */
static int
stay_time(const struct hg_bill *b, const char *t, const char *field,
    const char *what, int64_t *secs, struct hg_problem **probs,
    size_t *nprobs)
{
	if (t[0] == '\0') {
		hg_problem_add(probs, nprobs, b->line, field, "missing, "
		    "expected the %s time", what);
		return 0;
	}
	if (hg_time_secs(t, secs) < 0) {
		hg_problem_add(probs, nprobs, b->line, field, "\"%s\" is not "
		    "a time like \"2024-03-01 08:30:00\"", t);
		return 0;
	}
	return 1;
}

/* Returns 1 when admission and discharge can place fee times. */
static int
check_stay(const struct hg_bill *b, struct hg_problem **probs,
    size_t *nprobs, int64_t *adm, int64_t *dscg)
{
	int ok;

	ok = stay_time(b, b->adm_time, "begntime", "admission", adm, probs,
	    nprobs);
	ok &= stay_time(b, b->dscg_time, "endtime", "discharge", dscg,
	    probs, nprobs);
	if (ok && *adm >= *dscg) {
		hg_problem_add(probs, nprobs, b->line, "endtime", "discharge "
		    "%s is not after admission %s", b->dscg_time,
		    b->adm_time);
		/* fee times cannot be placed in a stay that makes no sense */
		ok = 0;
	}
	return ok;
}

static void
check_diags(const struct hg_bill *b, struct hg_problem **probs,
    size_t *nprobs)
{
	size_t i, nmain = 0;

	if (b->ndiags == 0) {
		hg_problem_add(probs, nprobs, b->line, "diag_code", "no "
		    "diagnosis, expected at least the main discharge "
		    "diagnosis");
		return;
	}
	for (i = 0; i < b->ndiags; i++) {
		if (b->diags[i].main)
			nmain++;
		if (empty(b->diags[i].code))
			hg_problem_add(probs, nprobs, b->line, "diag_code",
			    "%s diagnosis %zu (%s) has no code",
			    b->diags[i].main ? "main" : "other", i + 1,
			    empty(b->diags[i].name) ? "no name" :
			    b->diags[i].name);
		else if (!hg_diagcode_shape_ok(b->diags[i].code))
			hg_problem_add(probs, nprobs, b->line, "diag_code",
			    "%s diagnosis \"%s\" is not an ICD-10 code shape "
			    "(expected a letter, 2 digits, '.', 3 digits or "
			    "x, optionally x and 3 digits, like J18.900 or "
			    "I20.800x007)", b->diags[i].main ? "main" :
			    "other", b->diags[i].code);
	}
	if (nmain != 1)
		hg_problem_add(probs, nprobs, b->line, "maindiag_flag",
		    "%zu of %zu diagnoses are marked main, expected exactly "
		    "one", nmain, b->ndiags);
}

/* qty x price against the amount, exactly: qty x10^4 times price x10^6
 * is x10^10, the amount in fen x10^2 is raised by 10^8 to match. */
static void
check_amount(const struct hg_fee *f, int64_t tol_micro,
    struct hg_problem **probs, size_t *nprobs)
{
	char q[HG_DECBUF], p[HG_DECBUF], prod[HG_DECBUF], a[HG_DECBUF];
	__int128 diff, exact;
	int64_t rounded;

	hg_dec_format_short(f->qty, HG_SCALE_QTY, q);
	hg_dec_format(f->price, HG_SCALE_PRICE, p);
	hg_dec_format(f->amount, HG_SCALE_FEN, a);
	if (f->price < 0) {
		/* the sign of a refund is carried by the quantity */
		hg_problem_add(probs, nprobs, f->line, "pric", "price %s is "
		    "negative, expected 0 or more (a refund has a negative "
		    "quantity)", p);
		return;
	}
	if ((f->qty > 0 && f->amount < 0) || (f->qty < 0 && f->amount > 0)) {
		hg_problem_add(probs, nprobs, f->line, "det_item_fee_sumamt",
		    "amount %s and quantity %s have opposite signs (a refund "
		    "has both negative)", a, q);
		return;
	}
	diff = (__int128)f->qty * f->price - (__int128)f->amount * 100000000;
	if (diff < 0)
		diff = -diff;
	if (diff <= (__int128)tol_micro * 10000)
		return;
	rounded = hg_mul_round(f->qty, f->price, 8);
	exact = (__int128)f->qty * f->price;
	if (rounded == f->amount && exact <= INT64_MAX && exact >= -INT64_MAX)
		/* only with a tolerance under half a fen: rounding to fen
		 * would hide the difference, so show all ten places */
		hg_dec_format_short((int64_t)exact, 10, prod);
	else
		hg_dec_format(rounded, HG_SCALE_FEN, prod);
	hg_problem_add(probs, nprobs, f->line, "det_item_fee_sumamt",
	    "%s × %s = %s, but the amount is %s", q, p, prod, a);
}

static void
check_time(const struct hg_fee *f, const struct hg_bill *b, int stay_ok,
    int64_t adm, int64_t dscg, int64_t after_hours,
    struct hg_problem **probs, size_t *nprobs)
{
	char limit[HG_TIMELEN];
	int64_t t, day0;

	if (f->time[0] == '\0') {
		hg_problem_add(probs, nprobs, f->line, "fee_ocur_time",
		    "missing, expected the time the fee was incurred");
		return;
	}
	if (hg_time_secs(f->time, &t) < 0) {
		hg_problem_add(probs, nprobs, f->line, "fee_ocur_time",
		    "\"%s\" is not a time like \"2024-03-01 09:10:00\"",
		    f->time);
		return;
	}
	if (!stay_ok)
		return;
	/* night billing runs post at 00:00 of the admission day */
	day0 = adm - ((adm % 86400) + 86400) % 86400;
	if (t < day0) {
		hg_problem_add(probs, nprobs, f->line, "fee_ocur_time",
		    "%s is before the admission day %.10s", f->time,
		    b->adm_time);
		return;
	}
	if (t > dscg + after_hours * 3600) {
		hg_secs_time(dscg + after_hours * 3600, limit);
		if (after_hours == 0)
			hg_problem_add(probs, nprobs, f->line,
			    "fee_ocur_time", "%s is after discharge %s",
			    f->time, b->dscg_time);
		else
			hg_problem_add(probs, nprobs, f->line,
			    "fee_ocur_time", "%s is more than %lld hour%s "
			    "after discharge %s (latest %s)", f->time,
			    (long long)after_hours, after_hours == 1 ? "" :
			    "s", b->dscg_time, limit);
	}
}

/* A refund names the line it refunds; it must exist, be a charge, and
 * not be refunded beyond what was charged.  refunded[] accumulates per
 * original line. */
static void
check_refund(const struct hg_bill *b, size_t i, const struct sn_index *ix,
    int64_t *refunded, struct hg_problem **probs, size_t *nprobs)
{
	const struct hg_fee *f = &b->fees[i], *o;
	char q[HG_DECBUF], oq[HG_DECBUF];
	long k;

	hg_dec_format_short(f->qty, HG_SCALE_QTY, q);
	if (empty(f->init_sn)) {
		hg_problem_add(probs, nprobs, f->line, "init_feedetl_sn",
		    "refund (quantity %s) without an original serial, "
		    "expected the serial of the line it refunds", q);
		return;
	}
	k = sn_find(b, ix, f->init_sn);
	if (k < 0) {
		hg_problem_add(probs, nprobs, f->line, "init_feedetl_sn",
		    "refund of serial %s, which is not in this bill",
		    f->init_sn);
		return;
	}
	o = &b->fees[k];
	if (o->qty <= 0) {
		hg_dec_format_short(o->qty, HG_SCALE_QTY, oq);
		hg_problem_add(probs, nprobs, f->line, "init_feedetl_sn",
		    "refund of serial %s, which is not a charge (line %d has "
		    "quantity %s)", f->init_sn, o->line, oq);
		return;
	}
	refunded[k] -= f->qty;
	if (refunded[k] > o->qty) {
		hg_dec_format_short(refunded[k], HG_SCALE_QTY, q);
		hg_dec_format_short(o->qty, HG_SCALE_QTY, oq);
		hg_problem_add(probs, nprobs, f->line, "cnt", "refunds of "
		    "serial %s come to %s, more than the %s charged on line "
		    "%d", f->init_sn, q, oq, o->line);
	}
}

static void
check_fees(const struct hg_bill *b, const struct hg_validate_opts *o,
    int stay_ok, int64_t adm, int64_t dscg, struct hg_problem **probs,
    size_t *nprobs)
{
	struct sn_index ix;
	const struct hg_fee *f;
	int64_t *refunded;
	size_t i;

	if (b->nfees == 0) {
		hg_problem_add(probs, nprobs, b->line, "feedetail", "no fee "
		    "lines, expected at least one");
		return;
	}
	sn_index_build(b, &ix);
	refunded = hg_xcalloc(b->nfees, sizeof *refunded);
	for (i = 0; i < b->nfees; i++) {
		f = &b->fees[i];
		if (empty(f->sn))
			hg_problem_add(probs, nprobs, f->line, "feedetl_sn",
			    "missing, expected a detail serial unique within "
			    "the visit");
		else if (strlen(f->sn) > SN_MAX)
			hg_problem_add(probs, nprobs, f->line, "feedetl_sn",
			    "serial \"%s\" has %zu characters, at most %d "
			    "allowed", f->sn, strlen(f->sn), SN_MAX);
		else if (ix.first[i] != i)
			hg_problem_add(probs, nprobs, f->line, "feedetl_sn",
			    "serial %s also on line %d (serials must be "
			    "unique within the visit)", f->sn,
			    b->fees[ix.first[i]].line);
		if (!empty(f->nat_code) && !hg_natcode_shape_ok(f->nat_code))
			hg_problem_add(probs, nprobs, f->line, "med_list_codg",
			    "\"%s\" is not a national catalogue code shape "
			    "(expected 23-char drug code X/Z..., 15-digit "
			    "service code, 20-char consumable code C...)",
			    f->nat_code);
		check_amount(f, o->tolerance_micro, probs, nprobs);
		check_time(f, b, stay_ok, adm, dscg, o->after_discharge_hours,
		    probs, nprobs);
		if (f->qty < 0)
			check_refund(b, i, &ix, refunded, probs, nprobs);
	}
	free(refunded);
	free(ix.order);
	free(ix.first);
}

size_t
hg_validate(const struct hg_bill *bill, const struct hg_validate_opts *opts,
    struct hg_problem **probs, size_t *nprobs)
{
	struct hg_validate_opts defaults;
	char total[HG_DECBUF], sum[HG_DECBUF], now[HG_TIMELEN];
	size_t before = *nprobs;
	int64_t adm = 0, dscg = 0, s;
	int stay_ok;
	struct tm tm;
	time_t clock;

	if (opts == NULL) {
		hg_validate_defaults(&defaults);
		opts = &defaults;
	}
	if (opts->now[0] != '\0')
		snprintf(now, sizeof now, "%s", opts->now);
	else {
		clock = time(NULL);
		localtime_r(&clock, &tm);
		strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S", &tm);
	}
	check_patient(bill, now, probs, nprobs);
	stay_ok = check_stay(bill, probs, nprobs, &adm, &dscg);
	check_diags(bill, probs, nprobs);
	check_fees(bill, opts, stay_ok, adm, dscg, probs, nprobs);
	if (bill->has_total && bill->nfees > 0 &&
	    (s = hg_bill_sum(bill)) != bill->total)
		hg_problem_add(probs, nprobs, bill->line, "medfee_sumamt",
		    "lines sum to %s, the bill total is %s",
		    hg_dec_format(s, HG_SCALE_FEN, sum),
		    hg_dec_format(bill->total, HG_SCALE_FEN, total));
	return *nprobs - before;
}
