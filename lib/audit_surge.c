/* The cost-surge alarm: per department and insured region, the average
 * cost per cross-province discharge of a rolling window against the
 * window before it.  Supervision starts a joint inspection of both
 * regions when a hospital's cross-province costs rise more than 20 %;
 * this shows the rise, and what drives it, first. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/xmalloc.h"

int
hg_surge_cross(const char *hosp, const char *insuplc)
{
	if (hosp == NULL || insuplc == NULL || strlen(hosp) < 2 ||
	    strlen(insuplc) < 2)
		return 0;
	return strncmp(hosp, insuplc, 2) != 0;
}

void
hg_surge_bill_free(struct hg_surge_bill *b)
{
	size_t i;

	free(b->dept);
	free(b->region);
	for (i = 0; i < b->nlines; i++)
		free(b->lines[i].code);
	free(b->lines);
	memset(b, 0, sizeof *b);
}

/* The members of an alarm (not the alarm itself). */
static void
alarm_free(struct hg_surge_alarm *al)
{
	size_t k;

	free(al->dept);
	free(al->region);
	for (k = 0; k < al->ncodes; k++)
		free(al->top_codes[k]);
}

void
hg_surge_result_free(struct hg_surge_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		alarm_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

static int
by_group(const void *a, const void *b, void *arg)
{
	const struct hg_surge_bill *base = arg;
	const struct hg_surge_bill *x = &base[*(const size_t *)a];
	const struct hg_surge_bill *y = &base[*(const size_t *)b];
	int c;

	if ((c = strcmp(x->dept, y->dept)) != 0)
		return c;
	if ((c = strcmp(x->region, y->region)) != 0)
		return c;
	return x->day < y->day ? -1 : x->day > y->day;
}

struct code_rise {
	const char *code;
	int64_t	 cur, prev;	/* fen in each window */
	int64_t	 rise;		/* fen per discharge */
};

static int
by_code(const void *a, const void *b)
{
	return strcmp(((const struct code_rise *)a)->code,
	    ((const struct code_rise *)b)->code);
}

static int
by_rise(const void *a, const void *b)
{
	const struct code_rise *x = a, *y = b;

	return x->rise > y->rise ? -1 : x->rise < y->rise;
}

/* Fill the alarm's drivers from the group's bills g[0..n) (indexes into
 * bills) for the windows ending on day d. */
static void
drivers(struct hg_surge_alarm *al, const struct hg_surge_bill *bills,
    const size_t *g, size_t n, int64_t d, int64_t w)
{
	struct code_rise *cr = NULL;
	size_t i, k, ncr = 0, o;

	for (i = 0; i < n; i++) {
		const struct hg_surge_bill *b = &bills[g[i]];
		int cur = b->day > d - w && b->day <= d;
		int prev = b->day > d - 2 * w && b->day <= d - w;

		if (!cur && !prev)
			continue;
		if (cur) {
			/* keep the three dearest, dearest first */
			for (k = 0; k < al->ntop &&
			    al->top_totals[k] >= b->total; k++)
				;
			if (k < 3) {
				size_t last = al->ntop < 3 ? al->ntop : 2;

				memmove(&al->top_bills[k + 1], &al->top_bills[k],
				    (last - k) * sizeof al->top_bills[0]);
				memmove(&al->top_totals[k + 1],
				    &al->top_totals[k],
				    (last - k) * sizeof al->top_totals[0]);
				al->top_bills[k] = b->id;
				al->top_totals[k] = b->total;
				if (al->ntop < 3)
					al->ntop++;
			}
		}
		for (k = 0; k < b->nlines; k++) {
			cr = hg_xrealloc(cr, ncr + 1, sizeof *cr);
			cr[ncr].code = b->lines[k].code;
			cr[ncr].cur = cur ? b->lines[k].amount : 0;
			cr[ncr].prev = prev ? b->lines[k].amount : 0;
			ncr++;
		}
	}
	if (ncr > 0) {
		qsort(cr, ncr, sizeof *cr, by_code);
		for (i = 0, o = 0; i < ncr; o++) {
			struct code_rise sum = cr[i];

			for (k = i + 1; k < ncr && strcmp(cr[k].code,
			    sum.code) == 0; k++) {
				sum.cur += cr[k].cur;
				sum.prev += cr[k].prev;
			}
			sum.rise = sum.cur / (al->ncur > 0 ? al->ncur : 1) -
			    sum.prev / (al->nprev > 0 ? al->nprev : 1);
			cr[o] = sum;
			i = k;
		}
		qsort(cr, o, sizeof *cr, by_rise);
		for (i = 0; i < o && i < 3 && cr[i].rise > 0; i++) {
			al->top_codes[i] = hg_xstrdup(cr[i].code);
			al->code_rise[i] = cr[i].rise;
		}
		al->ncodes = i;
	}
	free(cr);
}

/* One (department, region): g[0..n) sorted by day.  The walk starts at
 * the group's first discharge whatever `from` is, so that an alarm on at
 * `from` is the episode it belongs to, with the baseline it fired
 * against: a sustained rise must not clear itself once the previous
 * window has caught up with it.  Episodes over before `from` are not
 * kept. */
static void
group(const struct hg_audit_tables *t, const struct hg_surge_bill *bills,
    const size_t *g, size_t n, int64_t from, int64_t to,
    struct hg_surge_result *out)
{
	int64_t w = t->surge_window, start, base, span, d, i;
	int64_t *sum, *cnt, cs, cn, ps, pn, bs = 0, bn = 0;
	size_t k, on_at = 0;
	int on = 0;

	start = bills[g[0]].day < from ? bills[g[0]].day : from;
	base = start - 2 * w + 1;
	span = to - base + 1;
	/* prefix sums by day: sum[i] = total of days base .. base+i-1 */
	sum = hg_xcalloc((size_t)span + 1, sizeof *sum);
	cnt = hg_xcalloc((size_t)span + 1, sizeof *cnt);
	for (k = 0; k < n; k++) {
		d = bills[g[k]].day;
		if (d < base || d > to)
			continue;
		sum[d - base + 1] += bills[g[k]].total;
		cnt[d - base + 1]++;
	}
	for (i = 1; i <= span; i++) {
		sum[i] += sum[i - 1];
		cnt[i] += cnt[i - 1];
	}
	for (d = start; d <= to; d++) {
		int64_t e = d - base + 1;	/* prefix index after day d */
		struct hg_surge_alarm *al;

		cs = sum[e] - sum[e - w];
		cn = cnt[e] - cnt[e - w];
		ps = sum[e - w] - sum[e - 2 * w];
		pn = cnt[e - w] - cnt[e - 2 * w];
		if (on) {
			/* on until the current window is back within the
			 * threshold of the baseline it fired against; with
			 * too few discharges to tell, it stays on */
			if (cn < t->surge_min_bills || (__int128)cs * bn *
			    100 > (__int128)bs * cn * (100 + t->surge_pct))
				continue;
			on = 0;
			al = &out->v[on_at];
			al->cleared_day = d;
			if (d <= from) {
				alarm_free(al);
				out->n--;
			}
			continue;
		}
		/* cur/cn > ps/pn * (100 + pct) / 100, in integers */
		if (cn < t->surge_min_bills || pn < t->surge_min_bills ||
		    ps <= 0 || (__int128)cs * pn * 100 <=
		    (__int128)ps * cn * (100 + t->surge_pct))
			continue;
		on = 1;
		bs = ps;
		bn = pn;
		out->v = hg_xrealloc(out->v, out->n + 1, sizeof *out->v);
		on_at = out->n++;
		al = &out->v[on_at];
		memset(al, 0, sizeof *al);
		al->dept = hg_xstrdup(bills[g[0]].dept);
		al->region = hg_xstrdup(bills[g[0]].region);
		al->fired_day = d;
		al->cleared_day = -1;
		al->cur_avg = cs / cn;
		al->prev_avg = ps / pn;
		al->pct_x10 = (int64_t)(((__int128)cs * pn * 1000) /
		    ((__int128)ps * cn)) - 1000;
		al->ncur = cn;
		al->nprev = pn;
		drivers(al, bills, g, n, d, w);
	}
	free(sum);
	free(cnt);
}

void
hg_surge_run(const struct hg_audit_tables *t,
    const struct hg_surge_bill *bills, size_t n, int64_t from, int64_t to,
    struct hg_surge_result *out)
{
	size_t *idx, i, j;

	memset(out, 0, sizeof *out);
	if (n == 0 || to < from || t->sev[HG_AR_SURGE] == HG_AUDIT_OFF)
		return;
	idx = hg_xcalloc(n, sizeof *idx);
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof *idx, by_group, (void *)bills);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(bills[idx[j]].dept,
		    bills[idx[i]].dept) == 0 && strcmp(bills[idx[j]].region,
		    bills[idx[i]].region) == 0; j++)
			;
		group(t, bills, idx + i, j - i, from, to, out);
	}
	free(idx);
}
