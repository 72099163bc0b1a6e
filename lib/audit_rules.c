/* The per-bill audit rules (hisgate-audit(5)).  Each is a pure function
 * of the bill, the patient's other bills and the tables; they look at
 * the charges that stand after refunds, so a refunded duplicate is no
 * duplicate.  Fees outside the stay are validation's (agent/validate.c):
 * a bill with one never reaches the audit. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/money.h"
#include "lib/timeconv.h"
#include "lib/xmalloc.h"

#define QTY1		10000	/* one unit of quantity (x10^4) */
#define MAXDAYS		3660	/* longest stay looked at day by day */

/* A charge that stands: a positive line less what was refunded of it. */
struct eff {
	const struct hg_fee *f;
	const struct hg_audit_item *it;	/* NULL: the tables say nothing */
	int64_t	 qty;
	int64_t	 day;
	int64_t	 secs;		/* of f->time, -1 not canonical */
	uint32_t ch;		/* hash of the code */
	int	 kind;
	int	 per_day;	/* its allowance a day (code's, else kind's) */
	int	 mine;		/* of the bill being audited */
};

/* Up to EFF_INLINE lines live on the stack: a kilobyte-sized malloc per
 * rule made glibc consolidate the chunks the bill's parse had just freed,
 * and that was half of the audit's time (bench/ingest, perf). */
#define EFF_INLINE	64

struct effs {
	struct eff *v;
	size_t	 n, cap;
	struct eff *inl;	/* the caller's EFF_INLINE slots */
};

static void
effs_init(struct effs *e, struct eff *inl)
{
	e->v = e->inl = inl;
	e->n = 0;
	e->cap = EFF_INLINE;
}

static void
effs_reserve(struct effs *e, size_t want)
{
	struct eff *v;

	if (want <= e->cap)
		return;
	if (e->v == e->inl) {
		v = hg_xcalloc(want, sizeof *v);
		memcpy(v, e->v, e->n * sizeof *v);
	} else {
		v = hg_xrealloc(e->v, want, sizeof *v);
	}
	e->v = v;
	e->cap = want;
}

static void
effs_free(struct effs *e)
{
	if (e->v != e->inl)
		free(e->v);
	e->v = e->inl;
	e->n = 0;
}

void
hg_audit_findings_free(struct hg_audit_findings *f)
{
	if (f->v != f->in)
		free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

size_t
hg_audit_blocks(const struct hg_audit_findings *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += f->v[i].sev == HG_AUDIT_BLOCK;
	return n;
}

static void add(const struct hg_audit_tables *, struct hg_audit_findings *,
	    int, int, const char *, ...) __attribute__((format(printf, 5, 6)));

static void
add(const struct hg_audit_tables *t, struct hg_audit_findings *out, int rule,
    int line, const char *fmt, ...)
{
	struct hg_audit_finding *f;
	va_list ap;

	if (out->v == NULL) {
		out->v = out->in;
		out->cap = HG_AUDIT_INLINE;
	} else if (out->n == out->cap) {
		if (out->v == out->in) {
			out->v = hg_xcalloc(out->cap * 2, sizeof *out->v);
			memcpy(out->v, out->in, sizeof out->in);
		} else {
			out->v = hg_xrealloc(out->v, out->cap * 2,
			    sizeof *out->v);
		}
		out->cap *= 2;
	}
	f = &out->v[out->n++];
	f->rule = rule;
	f->sev = t->sev[rule];
	f->line = line;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof f->text, fmt, ap);
	va_end(ap);
}

static int
same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Append the standing charges of bill b to e. */
static void
standing(const struct hg_audit_tables *t, const struct hg_bill *b, int mine,
    struct effs *e)
{
	size_t i, k, first = e->n;
	struct eff *x;

	effs_reserve(e, e->n + b->nfees + 1);
	for (i = 0; i < b->nfees; i++) {
		const struct hg_fee *f = &b->fees[i];

		if (f->qty <= 0 || f->nat_code == NULL)
			continue;
		x = &e->v[e->n++];
		x->f = f;
		x->it = hg_audit_item_h(t, f->nat_code, &x->ch);
		x->qty = f->qty;
		x->day = hg_time_day_secs(f->time, &x->secs);
		x->kind = hg_audit_item_kind(x->it, f->nat_code);
		x->per_day = x->it != NULL && x->it->per_day > 0 ?
		    x->it->per_day : t->kind_per_day[x->kind];
		x->mine = mine;
	}
	/* a refund takes from the line it names, else from the latest
	 * line of its code and quantity that still stands */
	for (i = 0; i < b->nfees; i++) {
		const struct hg_fee *r = &b->fees[i];
		struct eff *hit = NULL;

		if (r->qty >= 0)
			continue;
		for (k = first; k < e->n; k++) {
			x = &e->v[k];
			if (x->qty <= 0)
				continue;
			if (r->init_sn != NULL && *r->init_sn != '\0') {
				if (same(x->f->sn, r->init_sn)) {
					hit = x;
					break;
				}
			} else if (same(x->f->nat_code, r->nat_code) &&
			    x->qty == -r->qty)
				hit = x;
		}
		if (hit != NULL)
			hit->qty += r->qty;
	}
	for (i = k = first; i < e->n; i++)
		if (e->v[i].qty > 0)
			e->v[k++] = e->v[i];
	e->n = k;
}

/* The sorts' keys without string compares where the tables allow (the
 * sorts were a quarter of a bill's audit): the items are sorted by code,
 * so two known items compare as their places; canonical times compare as
 * their seconds.  The order is strcmp's either way. */
static int
code_cmp(const struct eff *x, const struct eff *y)
{
	if (x->it != NULL && y->it != NULL)
		return x->it < y->it ? -1 : x->it > y->it;
	return strcmp(x->f->nat_code, y->f->nat_code);
}

static int
by_code_time_qty(const void *a, const void *b)
{
	const struct eff *x = a, *y = b;
	int c;

	if ((c = code_cmp(x, y)) != 0)
		return c;
	if (x->secs >= 0 && y->secs >= 0)
		c = x->secs < y->secs ? -1 : x->secs > y->secs;
	else
		c = strcmp(x->f->time, y->f->time);
	if (c != 0)
		return c;
	return x->qty < y->qty ? -1 : x->qty > y->qty;
}

static int
by_code_day(const void *a, const void *b)
{
	const struct eff *x = a, *y = b;
	int c;

	if ((c = code_cmp(x, y)) != 0)
		return c;
	return x->day < y->day ? -1 : x->day > y->day;
}

/* Lines of a run, "12, 13 and 40" (the audited bill's first). */
static int
run_lines(const struct eff *v, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;
	int first = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o + 16 < len; i++) {
		if (v[i].mine && first == 0)
			first = v[i].f->line;
		o += (size_t)snprintf(buf + o, len - o, "%s%s%d",
		    i == 0 ? "" : i + 1 == n ? " and " : ", ",
		    v[i].mine ? "" : "another bill's ", v[i].f->line);
	}
	return first;
}

/* Could rule_duplicate find anything: a line whose code, time and
 * quantity come twice, or whose code comes on one day more often than
 * its allowance?  Counted in a table by hash, so that the bills with no
 * duplicate (most) are not sorted; the sorts were a third of the rules'
 * time on clean bills.  1 also when the bill is too long to count. */
#define REPEAT_SLOTS	256

static int
any_repeat(const struct effs *all)
{
	uint16_t slot[REPEAT_SLOTS];
	uint8_t cnt[REPEAT_SLOTS];
	const struct eff *x, *y;
	uint32_t h;
	size_t i, k;
	int per_day;

	if (all->n > REPEAT_SLOTS / 2)
		return 1;
	memset(slot, 0, sizeof slot);
	for (i = 0; i < all->n; i++) {
		x = &all->v[i];
		per_day = x->per_day > 0;
		h = x->ch ^ (uint32_t)(per_day ? x->day :
		    x->secs * 31 + x->qty) * 2654435761u;
		for (k = h % REPEAT_SLOTS; slot[k] != 0;
		    k = (k + 1) % REPEAT_SLOTS) {
			y = &all->v[slot[k] - 1];
			if (code_cmp(x, y) == 0 && (per_day ?
			    x->day == y->day : by_code_time_qty(x, y) == 0))
				break;
		}
		if (slot[k] == 0) {
			slot[k] = (uint16_t)(i + 1);
			cnt[k] = 1;
		} else if (++cnt[k] > (per_day ? x->per_day : 1)) {
			return 1;
		}
	}
	return 0;
}

static void
rule_duplicate(const struct hg_audit_tables *t, const struct effs *all,
    struct hg_audit_findings *out)
{
	struct eff vin[EFF_INLINE], win[EFF_INLINE], *v, *w;
	struct effs ve, we;
	size_t n = 0, m = 0, i, j, k;
	char lines[200], q[32];
	int mine, line;

	if (!any_repeat(all))
		return;
	effs_init(&ve, vin);
	effs_init(&we, win);
	effs_reserve(&ve, all->n + 1);
	effs_reserve(&we, all->n + 1);
	v = ve.v;
	w = we.v;
	for (i = 0; i < all->n; i++) {
		if (all->v[i].per_day > 0)
			w[m++] = all->v[i];
		else
			v[n++] = all->v[i];
	}
	/* the same code, time and quantity twice */
	qsort(v, n, sizeof *v, by_code_time_qty);
	for (i = 0; i < n; i = j) {
		for (j = i + 1, mine = v[i].mine; j < n &&
		    by_code_time_qty(&v[i], &v[j]) == 0; j++)
			mine |= v[j].mine;
		if (j - i < 2 || !mine)
			continue;
		line = run_lines(v + i, j - i, lines, sizeof lines);
		add(t, out, HG_AR_DUPLICATE, line, "lines %s: %s charged %zu "
		    "times at %s, quantity %s each", lines, v[i].f->nat_code,
		    j - i, v[i].f->time, hg_dec_format_short(v[i].qty, 4, q));
	}
	/* codes with an allowance a day: more lines on one day */
	qsort(w, m, sizeof *w, by_code_day);
	for (i = 0; i < m; i = j) {
		char d[11];

		for (j = i + 1, mine = w[i].mine; j < m &&
		    by_code_day(&w[i], &w[j]) == 0; j++)
			mine |= w[j].mine;
		k = j - i;
		if (k <= (size_t)w[i].per_day || !mine)
			continue;
		line = run_lines(w + i, k, lines, sizeof lines);
		hg_day_text(w[i].day, d);
		add(t, out, HG_AR_DUPLICATE, line, "lines %s: %s charged %zu "
		    "times on %s, allowed %d a day (%s)", lines,
		    w[i].f->nat_code, k, d, w[i].per_day, w[i].it != NULL &&
		    w[i].it->per_day > 0 ? w[i].it->where :
		    t->kind_where[w[i].kind]);
	}
	effs_free(&ve);
	effs_free(&we);
}

static void
rule_split(const struct hg_audit_tables *t, const struct effs *e,
    struct hg_audit_findings *out)
{
	struct eff vin[EFF_INLINE], *v;
	struct effs ve;
	size_t i, j, k, p;
	char d[11], q[32], lim[32];
	int64_t sum;

	effs_init(&ve, vin);
	effs_reserve(&ve, e->n + 1);
	v = ve.v;
	/* a package and one of its parts on the same day */
	for (p = 0; p < t->npkgs; p++) {
		const struct hg_audit_package *pk = &t->pkgs[p];

		for (i = 0; i < e->n; i++) {
			if (strcmp(e->v[i].f->nat_code, pk->code) != 0)
				continue;
			for (j = 0; j < e->n; j++)
				for (k = 0; k < pk->nparts; k++)
					if (e->v[j].day == e->v[i].day &&
					    strcmp(e->v[j].f->nat_code,
					    pk->parts[k]) == 0) {
						hg_day_text(e->v[i].day, d);
						add(t, out, HG_AR_SPLIT,
						    e->v[j].f->line, "line %d: "
						    "%s is part of package %s "
						    "(line %d), charged on the "
						    "same day %s (%s)",
						    e->v[j].f->line,
						    pk->parts[k], pk->code,
						    e->v[i].f->line, d,
						    pk->where);
					}
		}
	}
	/* a daily-limited item more than its limit a day */
	for (i = j = 0; i < e->n; i++)
		if (e->v[i].it != NULL && e->v[i].it->daily_max > 0)
			v[j++] = e->v[i];
	qsort(v, j, sizeof *v, by_code_day);
	for (i = 0; i < j; i = k) {
		for (k = i, sum = 0; k < j && by_code_day(&v[i], &v[k]) == 0;
		    k++)
			sum += v[k].qty;
		if (sum <= v[i].it->daily_max)
			continue;
		hg_day_text(v[i].day, d);
		add(t, out, HG_AR_SPLIT, v[i].f->line, "line %d: %s quantity %s "
		    "on %s, at most %s a day (%s)", v[i].f->line,
		    v[i].f->nat_code, hg_dec_format_short(sum, 4, q), d,
		    hg_dec_format_short(v[i].it->daily_max, 4, lim),
		    v[i].it->where);
	}
	effs_free(&ve);
}

static void
stay_kind(const struct hg_audit_tables *t, const struct effs *e, int kind,
    const char *what, int64_t los, struct hg_audit_findings *out)
{
	int64_t sum = 0, tol = (int64_t)t->stay_tolerance * QTY1;
	char q[32];
	size_t i;
	int line = 0;

	for (i = 0; i < e->n; i++)
		if (e->v[i].kind == kind) {
			sum += e->v[i].qty;
			if (line == 0)
				line = e->v[i].f->line;
		}
	if (line == 0 || (sum >= los * QTY1 - tol && sum <= los * QTY1 + tol))
		return;
	add(t, out, HG_AR_STAY, line, "%s days charged %s, the stay is %lld "
	    "day%s (tolerance %d)", what, hg_dec_format_short(sum, 4, q),
	    (long long)los, los == 1 ? "" : "s", t->stay_tolerance);
}

static void
rule_stay(const struct hg_audit_tables *t, const struct hg_bill *b,
    const struct effs *e, const struct hg_bill *const *others,
    size_t nothers, struct hg_audit_findings *out)
{
	int64_t adm = hg_time_day(b->adm_time), dscg = hg_time_day(b->dscg_time);
	size_t i;

	if (adm < 0 || dscg < adm)
		return;
	/* hospital days count the admission day, not the discharge day */
	stay_kind(t, e, HG_IK_BED, "bed", dscg > adm ? dscg - adm : 1, out);
	stay_kind(t, e, HG_IK_NURSING, "nursing", dscg > adm ? dscg - adm : 1,
	    out);
	for (i = 0; i < nothers; i++) {
		const struct hg_bill *o = others[i];

		if (o == NULL || (same(o->ipt_no, b->ipt_no) &&
		    strcmp(o->adm_time, b->adm_time) == 0))
			continue;
		if (strcmp(o->adm_time, b->dscg_time) < 0 &&
		    strcmp(o->dscg_time, b->adm_time) > 0)
			add(t, out, HG_AR_STAY, b->line, "the stay %s to %s "
			    "overlaps the patient's stay %s (%s to %s)",
			    b->adm_time, b->dscg_time,
			    o->ipt_no ? o->ipt_no : "", o->adm_time,
			    o->dscg_time);
	}
}

static void
rule_price(const struct hg_audit_tables *t, const struct effs *e,
    struct hg_audit_findings *out)
{
	char p[32], c[32];
	size_t i;

	for (i = 0; i < e->n; i++) {
		const struct eff *x = &e->v[i];

		if (x->it == NULL || x->it->cap < 0 || x->f->price <= x->it->cap)
			continue;
		add(t, out, HG_AR_PRICE, x->f->line, "line %d: %s unit price "
		    "%s is over the catalogue cap %s (%s)", x->f->line,
		    x->f->nat_code, hg_dec_format_short(x->f->price, 6, p),
		    hg_dec_format_short(x->it->cap, 6, c), x->it->cap_where);
	}
}

static void
rule_phantom(const struct hg_audit_tables *t, const struct hg_bill *b,
    const struct effs *e, struct hg_audit_findings *out)
{
	int64_t adm = hg_time_day(b->adm_time), dscg = hg_time_day(b->dscg_time);
	int64_t ndays, d, run = 0, best = 0, best_end = 0;
	unsigned char *care;
	char d1[11], d2[11];
	size_t i;

	if (adm < 0 || dscg < adm || dscg - adm >= MAXDAYS)
		return;
	ndays = dscg - adm + 1;
	care = hg_xcalloc((size_t)ndays, 1);
	for (i = 0; i < e->n; i++) {
		int k = e->v[i].kind;

		if ((k == HG_IK_MED || k == HG_IK_EXAM || k == HG_IK_TREAT ||
		    k == HG_IK_UNKNOWN) && e->v[i].day >= adm &&
		    e->v[i].day <= dscg)
			care[e->v[i].day - adm] = 1;
	}
	for (d = 0; d < ndays; d++) {
		run = care[d] ? 0 : run + 1;
		if (run > best) {
			best = run;
			best_end = d;
		}
	}
	free(care);
	if (best < t->phantom_days)
		return;
	hg_day_text(adm + best_end - best + 1, d1);
	hg_day_text(adm + best_end, d2);
	add(t, out, HG_AR_PHANTOM, b->line, "no medication, examination or "
	    "treatment from %s to %s (%lld days; at most %d)", d1, d2,
	    (long long)best, t->phantom_days - 1);
}

int
hg_audit_cert_person(const char *c, char birth[11], char *gender)
{
	size_t n = c != NULL ? strlen(c) : 0, i;
	int g;

	if (n != 18 && n != 15)
		return -1;
	for (i = 0; i < 17 && i < n; i++)
		if (c[i] < '0' || c[i] > '9')
			return -1;
	if (n == 18) {
		snprintf(birth, 11, "%.4s-%.2s-%.2s", c + 6, c + 10, c + 12);
		g = c[16] - '0';
	} else {
		snprintf(birth, 11, "19%.2s-%.2s-%.2s", c + 6, c + 8, c + 10);
		g = c[14] - '0';
	}
	*gender = g % 2 ? 'M' : 'F';
	return 0;
}

static void
rule_restricted(const struct hg_audit_tables *t, const struct hg_bill *b,
    const struct effs *e, struct hg_audit_findings *out)
{
	char birth[11], g = 0;
	int age = -1, y, by;
	size_t i;

	if ((b->psn_cert_type == NULL || *b->psn_cert_type == '\0' ||
	    strcmp(b->psn_cert_type, "01") == 0) &&
	    hg_audit_cert_person(b->certno, birth, &g) == 0 &&
	    strlen(b->adm_time) >= 10) {
		/* whole years at admission */
		y = atoi(b->adm_time);
		by = atoi(birth);
		age = y - by - (strncmp(b->adm_time + 5, birth + 5, 5) < 0);
	} else if (b->gender != NULL && (strcmp(b->gender, "1") == 0 ||
	    strcmp(b->gender, "2") == 0))
		g = b->gender[0] == '1' ? 'M' : 'F';
	for (i = 0; i < e->n; i++) {
		const struct eff *x = &e->v[i];

		if (x->it == NULL)
			continue;
		if (x->it->gender != 0 && g != 0 && x->it->gender != g)
			add(t, out, HG_AR_RESTRICTED, x->f->line, "line %d: %s "
			    "is for %s patients only, the patient is %s (%s)",
			    x->f->line, x->f->nat_code,
			    x->it->gender == 'M' ? "male" : "female",
			    g == 'M' ? "male" : "female", x->it->where);
		if (x->it->min_age >= 0 && age >= 0 && (age < x->it->min_age ||
		    age > x->it->max_age))
			add(t, out, HG_AR_RESTRICTED, x->f->line, "line %d: %s "
			    "is for ages %d to %d, the patient is %d (%s)",
			    x->f->line, x->f->nat_code, x->it->min_age,
			    x->it->max_age, age, x->it->where);
	}
}

size_t
hg_audit_bill(const struct hg_audit_tables *t, const struct hg_bill *b,
    const struct hg_bill *const *others, size_t nothers,
    struct hg_audit_findings *out)
{
	struct eff min[EFF_INLINE], sin[EFF_INLINE];
	struct effs mine, stay;
	size_t before = out->n, i;

	effs_init(&mine, min);
	effs_init(&stay, sin);
	standing(t, b, 1, &mine);
	if (t->sev[HG_AR_DUPLICATE] != HG_AUDIT_OFF) {
		/* other bills of the same stay (interim bills) */
		effs_reserve(&stay, mine.n + 1);
		memcpy(stay.v, mine.v, mine.n * sizeof *stay.v);
		stay.n = mine.n;
		for (i = 0; i < nothers; i++)
			if (others[i] != NULL && same(others[i]->ipt_no,
			    b->ipt_no) && strcmp(others[i]->adm_time,
			    b->adm_time) == 0)
				standing(t, others[i], 0, &stay);
		rule_duplicate(t, &stay, out);
	}
	if (t->sev[HG_AR_SPLIT] != HG_AUDIT_OFF)
		rule_split(t, &mine, out);
	if (t->sev[HG_AR_STAY] != HG_AUDIT_OFF)
		rule_stay(t, b, &mine, others, nothers, out);
	if (t->sev[HG_AR_PRICE] != HG_AUDIT_OFF)
		rule_price(t, &mine, out);
	if (t->sev[HG_AR_PHANTOM] != HG_AUDIT_OFF)
		rule_phantom(t, b, &mine, out);
	if (t->sev[HG_AR_RESTRICTED] != HG_AUDIT_OFF)
		rule_restricted(t, b, &mine, out);
	effs_free(&mine);
	effs_free(&stay);
	return out->n - before;
}
