/* datefmt: date and time formats of an export (see datefmt.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/datefmt.h"
#include "lib/xmalloc.h"

#define MAX_TOK	40

struct tok {
	char	 kind;		/* y M d H m s S, or 0: a literal byte */
	unsigned char w;	/* digits: 4, 2, or 1 = one or two (S: the
				 * number of S, 1 = one to nine) */
	char	 lit;
	signed char slot;	/* v[] index (y M d H m s), -1: none */
};

struct fmt {
	struct tok tok[MAX_TOK];
	int	 n;
};

struct hg_datefmt {
	struct fmt *f;
	size_t	 n;
	char	*list;		/* for messages */
};

static int
is_field(char c)
{
	return c == 'y' || c == 'M' || c == 'd' || c == 'H' || c == 'm' ||
	    c == 's' || c == 'S';
}

static const char order[] = "yMdHms";

/* One pattern; NULL when it is fine, else why not. */
static const char *
compile_one(const char *p, struct fmt *f)
{
	int seen[128] = { 0 }, i;
	size_t run;

	memset(f, 0, sizeof *f);
	while (*p != '\0') {
		if (f->n == MAX_TOK)
			return "too long";
		if (is_field(*p)) {
			for (run = 1; p[run] == *p; run++)
				;
			if ((*p == 'y' && run != 4) || (*p == 'S' && run > 6) ||
			    (*p != 'y' && *p != 'S' && run > 2))
				return *p == 'y' ? "the year is yyyy" :
				    *p == 'S' ? "fractions of a second are S "
				    "to SSSSSS" :
				    "a field has one or two letters";
			if (seen[(unsigned char)*p]++)
				return "a field appears twice";
			f->tok[f->n].kind = *p;
			f->tok[f->n].w = (unsigned char)run;
			f->tok[f->n].slot = (signed char)(*p == 'S' ? -1 :
			    strchr(order, *p) - order);
			f->n++;
			p += run;
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z' &&
		    *p != 'T'))
			return "a letter that is not yyyy, M, d, H, m, s, S or "
			    "T";
		f->tok[f->n].lit = *p++;
		f->n++;
	}
	if (!seen['y'] || !seen['M'] || !seen['d'])
		return "it needs yyyy, M (or MM) and d (or dd)";
	if ((seen['m'] || seen['s']) && !seen['H'])
		return "minutes or seconds without H";
	if (seen['S'] && !seen['s'])
		return "fractions of a second (S) without ss";
	/* a field of one or two digits must end at a literal: "yyyyMd"
	 * could be read two ways */
	for (i = 0; i + 1 < f->n; i++)
		if (f->tok[i].kind && f->tok[i].w == 1 && f->tok[i + 1].kind)
			return "a one-or-two-digit field (M, d, H, m, s) is "
			    "followed by another field";
	return NULL;
}

int
hg_datefmt_new(const struct hg_strlist *l, const char *file, int line,
    struct hg_conf_errs *errs, struct hg_datefmt **out)
{
	struct hg_datefmt *d = hg_xcalloc(1, sizeof *d);
	const char *why;
	size_t i, len = 1;
	int bad = 0;

	*out = d;
	if (l->n == 0) {
		hg_conf_errs_add(errs, file, line, "date_formats: empty, "
		    "expected patterns like [\"yyyy-MM-dd HH:mm:ss\", "
		    "\"yyyyMMddHHmmss\"]");
		return 1;
	}
	d->f = hg_xcalloc(l->n, sizeof *d->f);
	for (i = 0; i < l->n; i++) {
		len += strlen(l->v[i]) + 2;
		if ((why = compile_one(l->v[i], &d->f[d->n])) != NULL) {
			hg_conf_errs_add(errs, file, line, "date_formats: "
			    "\"%s\": %s (expected patterns like "
			    "\"yyyy-MM-dd HH:mm:ss\" or \"yyyy/M/d H:mm\")",
			    l->v[i], why);
			bad++;
			continue;
		}
		d->n++;
	}
	d->list = hg_xmalloc(len);
	d->list[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(d->list, ", ");
		strcat(d->list, l->v[i]);
	}
	return bad;
}

void
hg_datefmt_free(struct hg_datefmt *d)
{
	if (d == NULL)
		return;
	free(d->f);
	free(d->list);
	free(d);
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Does text fit f?  Fills v[] (y M d H m s). */
static int
fits(const struct fmt *f, const char *t, int v[6])
{
	int i, k, n, most;

	v[0] = v[1] = v[2] = v[3] = v[4] = v[5] = 0;
	for (i = 0; i < f->n; i++) {
		const struct tok *tk = &f->tok[i];

		if (tk->kind == 0) {
			if (*t++ != tk->lit)
				return 0;
			continue;
		}
		n = 0;
		most = tk->w > 1 ? tk->w : tk->kind == 'S' ? 9 : 2;
		for (k = 0; k < most && digit(t[k]); k++)
			n = n * 10 + (t[k] - '0');
		if (k == 0 || (tk->w > 1 && k != tk->w))
			return 0;
		t += k;
		/* the canonical time has whole seconds: a fraction is cut
		 * (a fee at 08:30:00.999 was at 08:30:00) */
		if (tk->slot >= 0)
			v[tk->slot] = n;
	}
	return *t == '\0';
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

int
hg_datefmt_parse(const struct hg_datefmt *d, const char *text,
    char out[HG_TIMELEN], char *why, size_t len)
{
	size_t i;
	int v[6];

	for (i = 0; i < d->n; i++) {
		if (!fits(&d->f[i], text, v))
			continue;
		if (!hg_date_valid(v[0], v[1], v[2])) {
			snprintf(why, len, "\"%s\" is not a real date", text);
			return -1;
		}
		if (v[3] > 23 || v[4] > 59 || v[5] > 59) {
			snprintf(why, len, "\"%s\" is not a real time of day",
			    text);
			return -1;
		}
		put2(out, v[0] / 100);
		put2(out + 2, v[0] % 100);
		out[4] = '-';
		put2(out + 5, v[1]);
		out[7] = '-';
		put2(out + 8, v[2]);
		out[10] = ' ';
		put2(out + 11, v[3]);
		out[13] = ':';
		put2(out + 14, v[4]);
		out[16] = ':';
		put2(out + 17, v[5]);
		out[19] = '\0';
		return 0;
	}
	snprintf(why, len, "\"%s\" is not a time like \"2024-03-01 08:30:00\" "
	    "(date_formats: %s)", text, d->list);
	return -1;
}
