/* The audit's rule tables (hisgate-audit(5)): directive files, one
 * directive a line, and catalogue CSV files.  Every problem names the
 * file and line and what was expected; a bad line is skipped, the rest
 * is kept. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define MAXF	64	/* fields on one line */

static const char *const rule_names[HG_AR_N + 1] = {	/* NULL-ended */
	[HG_AR_DUPLICATE] = "duplicate_charge",
	[HG_AR_SPLIT] = "split_charging",
	[HG_AR_STAY] = "stay_quantity",
	[HG_AR_PRICE] = "price_cap",
	[HG_AR_PHANTOM] = "phantom_stay",
	[HG_AR_RESTRICTED] = "restricted_item",
	[HG_AR_SURGE] = "cost_surge",
};

/* What a nurse or 医保办 reads for each rule (the pages): the words of
 * the supervision's own lists, beside the names so none is missed. */
static const char *const rule_zh[HG_AR_N] = {
	[HG_AR_DUPLICATE] = "重复收费",
	[HG_AR_SPLIT] = "分解收费",
	[HG_AR_STAY] = "超住院天数计费",
	[HG_AR_PRICE] = "超限价收费",
	[HG_AR_PHANTOM] = "挂床住院",
	[HG_AR_RESTRICTED] = "超限定性别年龄",
	[HG_AR_SURGE] = "费用异常增长",
};

static const char *const sev_names[] = { "off", "warn", "block", NULL };
static const char *const kind_names[] = { "unknown", "bed", "nursing", "med",
	"exam", "treat", "other", NULL };

const char *
hg_audit_rule_name(int rule)
{
	return rule >= 0 && rule < HG_AR_N ? rule_names[rule] : "?";
}

const char *
hg_audit_rule_zh(const char *name)
{
	int r = name != NULL ? hg_audit_rule_parse(name) : -1;

	return r >= 0 ? rule_zh[r] : name != NULL ? name : "?";
}

int
hg_audit_rule_parse(const char *name)
{
	int i;

	for (i = 0; i < HG_AR_N; i++)
		if (strcmp(name, rule_names[i]) == 0)
			return i;
	return -1;
}

const char *
hg_audit_sev_name(int sev)
{
	return sev >= 0 && sev <= HG_AUDIT_BLOCK ? sev_names[sev] : "?";
}

static int
word_index(const char *const *words, const char *w)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return -1;
}

void
hg_audit_tables_init(struct hg_audit_tables *t)
{
	int i;

	memset(t, 0, sizeof *t);
	for (i = 0; i < HG_AR_N; i++)
		t->sev[i] = HG_AUDIT_WARN;
	t->stay_tolerance = 1;
	t->phantom_days = 3;
	t->surge_pct = 20;
	t->surge_window = 30;
	t->surge_min_bills = 5;
}

void
hg_audit_tables_free(struct hg_audit_tables *t)
{
	size_t i, k;

	for (i = 0; i < t->nitems; i++)
		free(t->items[i].code);
	free(t->items);
	free(t->hidx);
	for (i = 0; i < t->npkgs; i++) {
		free(t->pkgs[i].code);
		for (k = 0; k < t->pkgs[i].nparts; k++)
			free(t->pkgs[i].parts[k]);
		free(t->pkgs[i].parts);
		free(t->pkgs[i].where);
	}
	free(t->pkgs);
	for (i = 0; i < t->nwheres; i++)
		free(t->wheres[i]);
	free(t->wheres);
	memset(t, 0, sizeof *t);
}

static int
item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hg_audit_item *)a)->code,
	    ((const struct hg_audit_item *)b)->code);
}

static uint32_t
code_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The index by hash, made when a file is read: the audit asks for the
 * item of every line, and a national catalogue has tens of thousands. */
static void
index_build(struct hg_audit_tables *t)
{
	size_t i, k, slots = 16;

	free(t->hidx);
	t->hidx = NULL;
	if (t->nitems == 0 || t->nitems >= UINT32_MAX)
		return;
	while (slots < 2 * t->nitems)
		slots *= 2;
	t->hidx = hg_xcalloc(slots, sizeof *t->hidx);
	t->hmask = slots - 1;
	for (i = 0; i < t->nitems; i++) {
		k = code_hash(t->items[i].code) & t->hmask;
		while (t->hidx[k] != 0)
			k = (k + 1) & t->hmask;
		t->hidx[k] = (uint32_t)(i + 1);
	}
}

const struct hg_audit_item *
hg_audit_item(const struct hg_audit_tables *t, const char *code)
{
	uint32_t h;

	return hg_audit_item_h(t, code, &h);
}

const struct hg_audit_item *
hg_audit_item_h(const struct hg_audit_tables *t, const char *code,
    uint32_t *hash)
{
	struct hg_audit_item key;
	size_t k;

	*hash = code != NULL ? code_hash(code) : 0;
	if (code == NULL || t->nitems == 0)
		return NULL;
	if (t->hidx != NULL) {
		for (k = *hash & t->hmask; t->hidx[k] != 0;
		    k = (k + 1) & t->hmask)
			if (strcmp(t->items[t->hidx[k] - 1].code, code) == 0)
				return &t->items[t->hidx[k] - 1];
		return NULL;
	}
	key.code = (char *)code;
	return bsearch(&key, t->items, t->nitems, sizeof *t->items, item_cmp);
}

int
hg_audit_kind(const struct hg_audit_tables *t, const char *code)
{
	return hg_audit_item_kind(hg_audit_item(t, code), code);
}

int
hg_audit_item_kind(const struct hg_audit_item *it, const char *code)
{
	if (it != NULL && it->kind != HG_IK_UNKNOWN)
		return it->kind;
	if (code != NULL && (code[0] == 'X' || code[0] == 'Z' ||
	    code[0] == 'T'))
		return HG_IK_MED;
	return HG_IK_UNKNOWN;
}

/* The item for code, created with nothing said about it.  The array is
 * kept sorted: tables are loaded once, and a catalogue arrives sorted
 * or nearly so, so the insertion point is usually the end. */
static struct hg_audit_item *
item_get(struct hg_audit_tables *t, const char *code, const char *where)
{
	struct hg_audit_item *it;
	size_t lo = 0, hi = t->nitems, mid;
	int c;

	if (t->nitems > 0 && strcmp(t->items[t->nitems - 1].code, code) < 0)
		lo = t->nitems;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->items[mid].code, code);
		if (c == 0) {
			if (where != NULL)
				t->items[mid].where = where;
			return &t->items[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (t->nitems == t->items_cap) {
		t->items_cap = t->items_cap ? t->items_cap * 2 : 64;
		t->items = hg_xrealloc(t->items, t->items_cap,
		    sizeof *t->items);
	}
	/* the index names places, and they move: made again at the end of
	 * the file (hg_audit_load_text) */
	free(t->hidx);
	t->hidx = NULL;
	memmove(&t->items[lo + 1], &t->items[lo],
	    (t->nitems - lo) * sizeof *t->items);
	t->nitems++;
	it = &t->items[lo];
	memset(it, 0, sizeof *it);
	it->code = hg_xstrdup(code);
	it->cap = -1;
	it->min_age = it->max_age = -1;
	it->where = where;
	return it;
}

static const char *
where_of(struct hg_audit_tables *t, const char *file, int line)
{
	t->wheres = hg_xrealloc(t->wheres, t->nwheres + 1, sizeof *t->wheres);
	return t->wheres[t->nwheres++] = hg_xasprintf("%s:%d", file, line);
}

/* A whole number in [min, max]; 0 or -1 (with a message). */
static int
num(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= min &&
	    *out <= max ? 0 : -1;
}

/* Shape of a national code: letters, digits, '.', '-'; 1-60 chars. */
static int
code_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 60)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || s[i] == '.' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

struct ctx {
	struct hg_audit_tables *t;
	const char *file;
	int	 line;
	struct hg_conf_errs *errs;
};

static int bad(struct ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Always -1, so a refusal reads `return bad(c, ...)`. */
static int
bad(struct ctx *c, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	hg_conf_errs_add(c->errs, c->file, c->line, "%s", msg);
	return -1;
}

/* rule NAME SEVERITY [key=value ...] */
static int
d_rule(struct ctx *c, char **f, int n)
{
	static const struct { int rule; const char *key; long min, max;
	    size_t off; } params[] = {
		{ HG_AR_STAY, "tolerance", 0, 30,
		  offsetof(struct hg_audit_tables, stay_tolerance) },
		{ HG_AR_PHANTOM, "days", 1, 365,
		  offsetof(struct hg_audit_tables, phantom_days) },
		{ HG_AR_SURGE, "threshold", 1, 1000,
		  offsetof(struct hg_audit_tables, surge_pct) },
		{ HG_AR_SURGE, "window", 1, 366,
		  offsetof(struct hg_audit_tables, surge_window) },
		{ HG_AR_SURGE, "min_bills", 1, 100000,
		  offsetof(struct hg_audit_tables, surge_min_bills) },
	};
	int rule, sev, i;
	size_t k;
	long v;

	if (n < 3)
		return bad(c, "rule: expected \"rule NAME off|warn|block "
		    "[key=value ...]\"");
	if ((rule = hg_audit_rule_parse(f[1])) == -1) {
		const char *near = hg_conf_nearest(f[1], rule_names, NULL);

		return bad(c, "rule \"%s\": no such rule%s%s%s (rules: "
		    "duplicate_charge, split_charging, stay_quantity, "
		    "price_cap, phantom_stay, restricted_item, cost_surge)",
		    f[1], near ? "; did you mean \"" : "", near ? near : "",
		    near ? "\"?" : "");
	}
	if ((sev = word_index(sev_names, f[2])) == -1)
		return bad(c, "rule %s: severity \"%s\": expected off, warn or "
		    "block", f[1], f[2]);
	if (rule == HG_AR_SURGE && sev == HG_AUDIT_BLOCK)
		return bad(c, "rule cost_surge: block: the surge is an alarm "
		    "over many discharges and holds no bill; expected warn or "
		    "off");
	for (i = 3; i < n; i++) {
		char *eq = strchr(f[i], '=');

		for (k = 0; k < sizeof params / sizeof params[0]; k++)
			if (params[k].rule == rule && eq != NULL &&
			    strncmp(f[i], params[k].key,
			    (size_t)(eq - f[i])) == 0 &&
			    params[k].key[eq - f[i]] == '\0')
				break;
		if (k == sizeof params / sizeof params[0])
			return bad(c, "rule %s: \"%s\": not a setting of this "
			    "rule (hisgate-audit(5) lists them)", f[1], f[i]);
		if (num(eq + 1, params[k].min, params[k].max, &v) == -1)
			return bad(c, "rule %s: %s: \"%s\" is not a whole "
			    "number from %ld to %ld", f[1], params[k].key,
			    eq + 1, params[k].min, params[k].max);
		*(int *)((char *)c->t + params[k].off) = (int)v;
	}
	c->t->sev[rule] = sev;
	return 0;
}

/* The directives that say one thing about one code. */
static int
d_item(struct ctx *c, char **f, int n)
{
	const char *d = f[0], *w;
	struct hg_audit_item *it;
	struct hg_err err;
	long a = 0, b = 0;
	int64_t v = 0;
	int k = 0;

	if (n < 3)
		goto usage;
	/* allow KIND TIMES: every code of a kind (bed days once a day) */
	if (strcmp(d, "allow") == 0 && (k = word_index(kind_names, f[1])) > 0) {
		if (n != 3 || num(f[2], 1, 1000, &a) == -1)
			goto usage;
		c->t->kind_per_day[k] = (int)a;
		c->t->kind_where[k] = where_of(c->t, c->file, c->line);
		return 0;
	}
	if (!code_ok(f[1]))
		return bad(c, "%s: \"%s\" is not a national code (letters, "
		    "digits, '.', '-')", d, f[1]);
	if (strcmp(d, "allow") == 0) {
		if (n != 3 || num(f[2], 1, 1000, &a) == -1)
			goto usage;
	} else if (strcmp(d, "daily") == 0) {
		if (n != 3 || hg_dec_parse("daily", f[2], 4, &v, &err) == -1 ||
		    v <= 0)
			goto usage;
	} else if (strcmp(d, "gender") == 0) {
		if (n != 3 || (strcmp(f[2], "M") != 0 &&
		    strcmp(f[2], "F") != 0))
			goto usage;
	} else if (strcmp(d, "age") == 0) {
		if (n != 4 || num(f[2], 0, 150, &a) == -1 ||
		    num(f[3], a, 150, &b) == -1)
			goto usage;
	} else if (strcmp(d, "kind") == 0) {
		if (n != 3 || (k = word_index(kind_names, f[2])) <= 0)
			goto usage;
	} else if (strcmp(d, "cap") == 0) {
		if (n != 3 || hg_dec_parse("cap", f[2], 6, &v, &err) == -1 ||
		    v < 0)
			goto usage;
	}
	w = where_of(c->t, c->file, c->line);
	it = item_get(c->t, f[1], w);
	if (strcmp(d, "allow") == 0)
		it->per_day = (int)a;
	else if (strcmp(d, "daily") == 0)
		it->daily_max = v;
	else if (strcmp(d, "gender") == 0)
		it->gender = f[2][0];
	else if (strcmp(d, "age") == 0) {
		it->min_age = (int)a;
		it->max_age = (int)b;
	} else if (strcmp(d, "kind") == 0)
		it->kind = k;
	else {
		it->cap = v;
		it->cap_where = w;
	}
	return 0;
usage:
	if (strcmp(d, "allow") == 0)
		return bad(c, "allow: expected \"allow CODE|KIND TIMES\" "
		    "(times a day the code, or each code of the kind bed, "
		    "nursing, med, exam, treat or other, may be charged, 1 to "
		    "1000)");
	if (strcmp(d, "daily") == 0)
		return bad(c, "daily: expected \"daily CODE QUANTITY\" (most "
		    "quantity a day, a positive decimal)");
	if (strcmp(d, "gender") == 0)
		return bad(c, "gender: expected \"gender CODE M|F\" (the only "
		    "gender the item is for)");
	if (strcmp(d, "age") == 0)
		return bad(c, "age: expected \"age CODE MIN MAX\" (whole years, "
		    "0 to 150, MIN <= MAX)");
	if (strcmp(d, "kind") == 0)
		return bad(c, "kind: expected \"kind CODE bed|nursing|med|exam|"
		    "treat|other\"");
	return bad(c, "cap: expected \"cap CODE PRICE\" (unit-price cap in "
	    "yuan, up to 6 decimals)");
}

/* package CODE PART [PART ...] */
static int
d_package(struct ctx *c, char **f, int n)
{
	struct hg_audit_package *p;
	int i;

	if (n < 3)
		return bad(c, "package: expected \"package CODE PART "
		    "[PART ...]\" (parts that must not be charged on the "
		    "package's day)");
	for (i = 1; i < n; i++)
		if (!code_ok(f[i]))
			return bad(c, "package: \"%s\" is not a national code",
			    f[i]);
	c->t->pkgs = hg_xrealloc(c->t->pkgs, c->t->npkgs + 1,
	    sizeof *c->t->pkgs);
	p = &c->t->pkgs[c->t->npkgs++];
	p->code = hg_xstrdup(f[1]);
	p->nparts = (size_t)(n - 2);
	p->parts = hg_xcalloc(p->nparts, sizeof *p->parts);
	for (i = 2; i < n; i++)
		p->parts[i - 2] = hg_xstrdup(f[i]);
	p->where = hg_xasprintf("%s:%d", c->file, c->line);
	return 0;
}

static int
directive(struct ctx *c, char **f, int n)
{
	static const char *const names[] = { "rule", "allow", "daily",
		"package", "gender", "age", "kind", "cap", NULL };
	const char *near;

	if (strcmp(f[0], "rule") == 0)
		return d_rule(c, f, n);
	if (strcmp(f[0], "package") == 0)
		return d_package(c, f, n);
	if (word_index(names, f[0]) != -1)
		return d_item(c, f, n);
	near = hg_conf_nearest(f[0], names, NULL);
	return bad(c, "\"%s\": no such directive%s%s%s (expected rule, allow, "
	    "daily, package, gender, age, kind or cap)", f[0],
	    near ? "; did you mean \"" : "", near ? near : "",
	    near ? "\"?" : "");
}

/* Split line (in place) at sep (0: blanks); returns the field count. */
static int
split(char *line, char sep, char **f)
{
	int n = 0;
	char *p = line;

	if (sep == 0) {
		while (n < MAXF) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				break;
			f[n++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			if (*p != '\0')
				*p++ = '\0';
		}
		return n;
	}
	f[n++] = p;
	while ((p = strchr(p, sep)) != NULL && n < MAXF) {
		*p++ = '\0';
		f[n++] = p;
	}
	return n;
}

static char *
strip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The catalogue: a header naming code, chrgitm_type and price_cap (the
 * simulator's catalogue.csv and the platform's download have them); other
 * columns are ignored.  Quoting is not used by these files. */
struct catcols {
	int	 code, type, cap, have;
};

static int
cat_header(struct ctx *c, char **f, int n, struct catcols *cc)
{
	int i;

	cc->code = cc->type = cc->cap = -1;
	for (i = 0; i < n; i++) {
		const char *h = strip(f[i]);

		if (strcmp(h, "code") == 0 || strcmp(h, "med_list_codg") == 0)
			cc->code = i;
		else if (strcmp(h, "chrgitm_type") == 0 ||
		    strcmp(h, "med_chrgitm_type") == 0)
			cc->type = i;
		else if (strcmp(h, "price_cap") == 0)
			cc->cap = i;
	}
	cc->have = 1;
	if (cc->code == -1)
		return bad(c, "catalogue header: no \"code\" column (expected "
		    "a header like code,name,lv,chrgitm_type,price_cap)");
	return 0;
}

static int
kind_of_type(const char *t)
{
	static const struct { const char *type; int kind; } m[] = {
		{ "01", HG_IK_BED }, { "07", HG_IK_NURSING },
		{ "03", HG_IK_EXAM }, { "04", HG_IK_EXAM },
		{ "05", HG_IK_TREAT }, { "06", HG_IK_TREAT },
		{ "09", HG_IK_MED }, { "10", HG_IK_MED }, { "11", HG_IK_MED },
	};
	size_t i;

	if (*t == '\0')
		return HG_IK_UNKNOWN;
	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		if (strcmp(t, m[i].type) == 0)
			return m[i].kind;
	return HG_IK_OTHER;
}

static int
cat_row(struct ctx *c, char **f, int n, const struct catcols *cc)
{
	struct hg_audit_item *it;
	struct hg_err err;
	const char *code, *type = "", *cap = "";
	int64_t v = -1;

	if (cc->code >= n)
		return bad(c, "catalogue: %d columns, the code is column %d",
		    n, cc->code + 1);
	code = strip(f[cc->code]);
	if (!code_ok(code))
		return bad(c, "catalogue: code \"%s\" is not a national code",
		    code);
	if (cc->type >= 0 && cc->type < n)
		type = strip(f[cc->type]);
	if (cc->cap >= 0 && cc->cap < n)
		cap = strip(f[cc->cap]);
	if (*cap != '\0' && (hg_dec_parse("price_cap", cap, 6, &v,
	    &err) == -1 || v < 0))
		return bad(c, "catalogue: code %s: price_cap \"%s\" is not a "
		    "price in yuan (up to 6 decimals) or empty", code, cap);
	/* the catalogue's line names the item only when no directive does */
	it = item_get(c->t, code, NULL);
	if (it->where == NULL)
		it->where = where_of(c->t, c->file, c->line);
	it->kind = kind_of_type(type);
	if (v >= 0) {
		it->cap = v;
		it->cap_where = where_of(c->t, c->file, c->line);
	}
	return 0;
}

void
hg_audit_load_text(struct hg_audit_tables *t, const char *file,
    const char *text, size_t len, int csv, struct hg_conf_errs *errs)
{
	struct ctx c = { t, file, 0, errs };
	struct catcols cc = { -1, -1, -1, 0 };
	char *buf = hg_xstrndup(text, len), *line = buf, *nl, *f[MAXF], *s;
	int n;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	if (memchr(text, '\0', len) != NULL) {
		const char *z = memchr(text, '\0', len), *p;

		for (p = text, c.line = 1; p < z; p++)
			c.line += *p == '\n';
		bad(&c, "a NUL byte: expected text (is this a binary file?)");
		free(buf);
		return;
	}
	for (; line != NULL; line = nl) {
		c.line++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		s = strip(line);
		if (*s == '#' || *s == '\0')
			continue;
		if (!csv) {
			char *hash = strchr(s, '#');

			if (hash != NULL)
				*hash = '\0';
			if ((n = split(s, 0, f)) == MAXF)
				bad(&c, "more than %d fields", MAXF - 1);
			else if (n > 0)
				directive(&c, f, n);
			continue;
		}
		n = split(s, ',', f);
		if (!cc.have)
			cat_header(&c, f, n, &cc);
		else if (cc.code >= 0)
			cat_row(&c, f, n, &cc);
	}
	free(buf);
	index_build(t);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ends(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && strcmp(s + n - k, suf) == 0;
}

void
hg_audit_load_dir(struct hg_audit_tables *t, const char *dir,
    struct hg_conf_errs *errs)
{
	struct dirent *de;
	char **names = NULL, *path, *text;
	size_t n = 0, i, len;
	FILE *fp;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			hg_conf_errs_add(errs, dir, 0, "cannot read the audit "
			    "directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (!ends(de->d_name, ".conf") &&
		    !ends(de->d_name, ".csv")))
			continue;
		names = hg_xrealloc(names, n + 1, sizeof *names);
		names[n++] = hg_xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, name_cmp);
	for (i = 0; i < n; i++) {
		path = hg_xasprintf("%s/%s", dir, names[i]);
		if ((fp = fopen(path, "rb")) == NULL) {
			hg_conf_errs_add(errs, path, 0, "cannot read: %s",
			    strerror(errno));
		} else {
			text = NULL;
			len = 0;
			/* rule files are small; a catalogue a few MB */
			{
				char chunk[65536];
				size_t r;

				while ((r = fread(chunk, 1, sizeof chunk,
				    fp)) > 0) {
					text = hg_xrealloc(text, len + r + 1,
					    1);
					memcpy(text + len, chunk, r);
					len += r;
				}
			}
			if (ferror(fp))
				hg_conf_errs_add(errs, path, 0, "cannot read: "
				    "%s", strerror(errno));
			else
				hg_audit_load_text(t, path, text ? text : "",
				    len, ends(names[i], ".csv"), errs);
			free(text);
			fclose(fp);
		}
		free(path);
		free(names[i]);
	}
	free(names);
}
