/* Loading the simulator's policy, catalogue and registry files.  Plain
 * text on purpose: trainers edit them with Notepad.  Everything is
 * checked at load, so a request never meets a half-understood rule.
 * This file: the policy file (platform, hospitals, policies), the helpers
 * the loaders share (conf_int.h) and the policy lookups; conf_csv.c loads
 * the catalogue and the registry. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/money.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "sim/conf.h"
#include "sim/conf_int.h"

int
sc_copy(char *dst, size_t size, const char *src, const char *path, int line,
    const char *what, struct hg_err *err)
{
	if (strlen(src) >= size)
		return hg_fail(err, "%s:%d: %s \"%.40s\" is too long (at most "
		    "%zu bytes)", path, line, what, src, size - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

char *
sc_chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* Skip a UTF-8 byte-order mark (Excel writes one). */
char *
sc_skip_bom(char *s)
{
	if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		return s + 3;
	return s;
}

static int
parse_amount(const char *path, int line, const char *key, const char *v,
    int64_t *out, struct hg_err *err)
{
	struct hg_err e;

	if (hg_dec_parse(key, v, HG_SCALE_FEN, out, &e) == -1)
		return hg_fail(err, "%s:%d: %s", path, line, e.msg);
	if (*out < 0)
		return hg_fail(err, "%s:%d: %s: \"%s\" is negative", path,
		    line, key, v);
	return 0;
}

/* A ratio between 0 and 1 with at most 4 decimals: "0.75". */
int
sc_parse_ratio(const char *path, int line, const char *key, const char *v,
    int64_t *out, struct hg_err *err)
{
	struct hg_err e;

	if (hg_dec_parse(key, v, HG_SCALE_RATIO, out, &e) == -1)
		return hg_fail(err, "%s:%d: %s", path, line, e.msg);
	if (*out < 0 || *out > 10000)
		return hg_fail(err, "%s:%d: %s: \"%s\" is not a ratio between "
		    "0 and 1 (write 75 %% as 0.75)", path, line, key, v);
	return 0;
}

int
sc_parse_bool(const char *path, int line, const char *key, const char *v,
    int *out, struct hg_err *err)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "true") == 0 || strcmp(v, "是") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "false") == 0 || strcmp(v, "否") == 0 ||
	    strcmp(v, "") == 0)
		*out = 0;
	else
		return hg_fail(err, "%s:%d: %s: \"%s\" is not yes or no", path,
		    line, key, v);
	return 0;
}

/* Split on commas and blanks: "1:300.00, 2:600.00 3:1000.00". */
static size_t
words(char *s, char **w, size_t max)
{
	size_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, ", \t", &save); t != NULL && n < max;
	    t = strtok_r(NULL, ", \t", &save))
		w[n++] = t;
	return n;
}

/* "1:300.00 2:600.00 3:1000.00" into per-level values. */
static int
parse_levels(const char *path, int line, const char *key, char *v,
    int is_ratio, int64_t *vals, int *has, struct hg_err *err)
{
	char *w[SIM_MAXLEVEL + 2], *colon;
	size_t n, i;
	int lv;

	n = words(v, w, SIM_MAXLEVEL + 2);
	if (n == 0)
		return hg_fail(err, "%s:%d: %s: expected LEVEL:VALUE pairs, "
		    "e.g. \"1:300.00 2:600.00 3:1000.00\"", path, line, key);
	for (i = 0; i < n; i++) {
		colon = strchr(w[i], ':');
		if (colon == NULL || colon != w[i] + 1 || w[i][0] < '1' ||
		    w[i][0] > '0' + SIM_MAXLEVEL)
			return hg_fail(err, "%s:%d: %s: \"%s\" is not LEVEL:VALUE "
			    "with a level from 1 to %d", path, line, key, w[i],
			    SIM_MAXLEVEL);
		lv = w[i][0] - '0';
		if ((is_ratio ? sc_parse_ratio(path, line, key, colon + 1,
		    &vals[lv], err) : parse_amount(path, line, key, colon + 1,
		    &vals[lv], err)) == -1)
			return -1;
		has[lv] |= is_ratio ? 2 : 1;
	}
	return 0;
}

/* "100000.00:0.70 *:0.80" */
static int
parse_segments(const char *path, int line, char *v, struct sim_policy *p,
    struct hg_err *err)
{
	char *w[SIM_MAXSEG + 1], *colon;
	size_t n, i;

	n = words(v, w, SIM_MAXSEG + 1);
	if (n == 0 || n > SIM_MAXSEG)
		return hg_fail(err, "%s:%d: ci_segments: expected 1 to %d "
		    "UPPER:RATIO pairs, the last \"*:RATIO\"", path, line,
		    SIM_MAXSEG);
	for (i = 0; i < n; i++) {
		colon = strrchr(w[i], ':');
		if (colon == NULL)
			return hg_fail(err, "%s:%d: ci_segments: \"%s\" is not "
			    "UPPER:RATIO", path, line, w[i]);
		*colon = '\0';
		if (strcmp(w[i], "*") == 0) {
			if (i != n - 1)
				return hg_fail(err, "%s:%d: ci_segments: only "
				    "the last segment may be open (\"*\")",
				    path, line);
			p->seg[i].upper = SIM_NONE;
		} else if (parse_amount(path, line, "ci_segments", w[i],
		    &p->seg[i].upper, err) == -1) {
			return -1;
		} else if (i > 0 && p->seg[i].upper <= p->seg[i - 1].upper) {
			return hg_fail(err, "%s:%d: ci_segments: upper bounds "
			    "must increase", path, line);
		}
		if (sc_parse_ratio(path, line, "ci_segments", colon + 1,
		    &p->seg[i].ratio, err) == -1)
			return -1;
	}
	p->nseg = n;
	return 0;
}

static int
policy_key(struct sim_policy *p, const char *path, int line, const char *k,
    char *v, struct hg_err *err)
{
	char *w[SIM_MAXTYPES + 1];
	size_t i, n;

	if (strcmp(k, "fund_type") == 0)
		return sc_copy(p->fund_type, sizeof p->fund_type, v, path, line,
		    k, err);
	if (strcmp(k, "fund_name") == 0)
		return sc_copy(p->fund_name, sizeof p->fund_name, v, path, line,
		    k, err);
	if (strcmp(k, "deductible") == 0)
		return parse_levels(path, line, k, v, 0, p->deductible,
		    p->has_level, err);
	if (strcmp(k, "ratio") == 0)
		return parse_levels(path, line, k, v, 1, p->ratio,
		    p->has_level, err);
	if (strcmp(k, "annual_cap") == 0) {
		if (strcmp(v, "none") == 0) {
			p->annual_cap = SIM_NONE;
			return 0;
		}
		return parse_amount(path, line, k, v, &p->annual_cap, err);
	}
	if (strcmp(k, "b_selfpay_ratio") == 0)
		return sc_parse_ratio(path, line, k, v, &p->b_ratio, err);
	if (strcmp(k, "nofiling_cut") == 0)
		return sc_parse_ratio(path, line, k, v, &p->nofiling_cut, err);
	if (strcmp(k, "ci_fund_type") == 0)
		return sc_copy(p->ci_fund_type, sizeof p->ci_fund_type, v, path,
		    line, k, err);
	if (strcmp(k, "ci_fund_name") == 0)
		return sc_copy(p->ci_fund_name, sizeof p->ci_fund_name, v, path,
		    line, k, err);
	if (strcmp(k, "ci_threshold") == 0) {
		p->ci = 1;
		return parse_amount(path, line, k, v, &p->ci_threshold, err);
	}
	if (strcmp(k, "ci_segments") == 0) {
		p->ci = 1;
		return parse_segments(path, line, v, p, err);
	}
	if (strcmp(k, "ci_include_preselfpay") == 0)
		return sc_parse_bool(path, line, k, v, &p->ci_incl_presel, err);
	if (strcmp(k, "maf_fund_type") == 0)
		return sc_copy(p->maf_fund_type, sizeof p->maf_fund_type, v, path,
		    line, k, err);
	if (strcmp(k, "maf_fund_name") == 0)
		return sc_copy(p->maf_fund_name, sizeof p->maf_fund_name, v, path,
		    line, k, err);
	if (strcmp(k, "maf_psn_types") == 0) {
		n = words(v, w, SIM_MAXTYPES + 1);
		if (n > SIM_MAXTYPES)
			return hg_fail(err, "%s:%d: %s: at most %d person "
			    "types", path, line, k, SIM_MAXTYPES);
		for (i = 0; i < n; i++)
			if (sc_copy(p->maf_types[i], sizeof p->maf_types[i],
			    w[i], path, line, k, err) == -1)
				return -1;
		p->nmaf_types = n;
		p->maf = 1;
		return 0;
	}
	if (strcmp(k, "maf_ratio") == 0)
		return sc_parse_ratio(path, line, k, v, &p->maf_ratio, err);
	if (strcmp(k, "maf_annual_cap") == 0) {
		if (strcmp(v, "none") == 0) {
			p->maf_cap = SIM_NONE;
			return 0;
		}
		return parse_amount(path, line, k, v, &p->maf_cap, err);
	}
	if (strcmp(k, "clr_type") == 0)
		return sc_copy(p->clr_type, sizeof p->clr_type, v, path, line, k,
		    err);
	if (strcmp(k, "clr_way") == 0)
		return sc_copy(p->clr_way, sizeof p->clr_way, v, path, line, k,
		    err);
	return hg_fail(err, "%s:%d: unknown policy key \"%s\"", path, line, k);
}

static void
policy_defaults(struct sim_policy *p)
{
	memset(p, 0, sizeof *p);
	p->annual_cap = SIM_NONE;
	p->maf_cap = SIM_NONE;
	snprintf(p->fund_type, sizeof p->fund_type, "390100");
	snprintf(p->fund_name, sizeof p->fund_name, "城乡居民基本医疗保险基金");
	snprintf(p->ci_fund_type, sizeof p->ci_fund_type, "390200");
	snprintf(p->ci_fund_name, sizeof p->ci_fund_name,
	    "城乡居民大病医疗保险基金");
	snprintf(p->maf_fund_type, sizeof p->maf_fund_type, "610100");
	snprintf(p->maf_fund_name, sizeof p->maf_fund_name, "医疗救助基金");
	snprintf(p->clr_type, sizeof p->clr_type, "21");
	snprintf(p->clr_way, sizeof p->clr_way, "1");
}

static int
policy_check(const struct sim_policy *p, const char *path, int line,
    struct hg_err *err)
{
	int lv, any = 0;

	for (lv = 1; lv <= SIM_MAXLEVEL; lv++) {
		if (p->has_level[lv] == 0)
			continue;
		if (p->has_level[lv] != 3)
			return hg_fail(err, "%s:%d: policy %s %s: level %d "
			    "needs both a deductible and a ratio", path, line,
			    p->admdvs, p->insutype, lv);
		any = 1;
	}
	if (!any)
		return hg_fail(err, "%s:%d: policy %s %s: no hospital level has "
		    "a deductible and a ratio", path, line, p->admdvs,
		    p->insutype);
	if (p->ci && p->nseg == 0)
		return hg_fail(err, "%s:%d: policy %s %s: ci_threshold without "
		    "ci_segments", path, line, p->admdvs, p->insutype);
	if (p->maf && p->maf_ratio == 0)
		return hg_fail(err, "%s:%d: policy %s %s: maf_psn_types without "
		    "maf_ratio", path, line, p->admdvs, p->insutype);
	return 0;
}

static int
hosp_key(struct sim_hospital *h, const char *path, int line, const char *k,
    const char *v, struct hg_err *err)
{
	if (strcmp(k, "name") == 0)
		return sc_copy(h->name, sizeof h->name, v, path, line, k, err);
	if (strcmp(k, "level") == 0) {
		if (strlen(v) != 1 || v[0] < '1' || v[0] > '0' + SIM_MAXLEVEL)
			return hg_fail(err, "%s:%d: level: \"%s\" is not 1, 2 "
			    "or 3", path, line, v);
		h->level = v[0] - '0';
		return 0;
	}
	return hg_fail(err, "%s:%d: unknown hospital key \"%s\"", path, line,
	    k);
}

/* The directory part of path, for relative references in the file. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return hg_xstrdup(".");
	return hg_xstrndup(path, (size_t)(slash - path));
}

static int
platform_key(struct sim_conf *c, const char *path, int line, const char *k,
    const char *v, struct hg_err *err)
{
	char *end, *dir;
	long n;

	if (strcmp(k, "admdvs") == 0)
		return sc_copy(c->admdvs, sizeof c->admdvs, v, path, line, k,
		    err);
	if (strcmp(k, "name") == 0)
		return sc_copy(c->name, sizeof c->name, v, path, line, k, err);
	if (strcmp(k, "default_level") == 0 || strcmp(k, "sign_ttl") == 0) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0 ||
		    (k[0] == 'd' && n > SIM_MAXLEVEL))
			return hg_fail(err, "%s:%d: %s: \"%s\" is not a valid "
			    "number", path, line, k, v);
		if (k[0] == 'd')
			c->default_level = (int)n;
		else
			c->sign_ttl = n;
		return 0;
	}
	if (strcmp(k, "registry") == 0) {
		free(c->registry_path);
		if (v[0] == '/') {
			c->registry_path = hg_xstrdup(v);
		} else {
			dir = dir_of(path);
			c->registry_path = hg_xasprintf("%s/%s", dir, v);
			free(dir);
		}
		return 0;
	}
	return hg_fail(err, "%s:%d: unknown platform key \"%s\"", path, line,
	    k);
}

enum section { SEC_NONE, SEC_PLATFORM, SEC_HOSPITAL, SEC_POLICY };

static int
section_head(struct sim_conf *c, char *s, const char *path, int line,
    enum section *sec, struct hg_err *err)
{
	char *w[4], *end = strchr(s, ']');
	struct sim_policy *p;
	struct sim_hospital *h;
	size_t n, i;

	if (end == NULL || end[1] != '\0')
		return hg_fail(err, "%s:%d: a section header is [platform], "
		    "[hospital CODE] or [policy ADMDVS INSUTYPE]", path, line);
	*end = '\0';
	n = words(s + 1, w, 4);
	if (n == 1 && strcmp(w[0], "platform") == 0) {
		*sec = SEC_PLATFORM;
		return 0;
	}
	if (n == 2 && strcmp(w[0], "hospital") == 0) {
		for (i = 0; i < c->nhosp; i++)
			if (strcmp(c->hosp[i].code, w[1]) == 0)
				return hg_fail(err, "%s:%d: hospital %s is "
				    "defined twice", path, line, w[1]);
		c->hosp = hg_xrealloc(c->hosp, c->nhosp + 1, sizeof *c->hosp);
		h = &c->hosp[c->nhosp++];
		memset(h, 0, sizeof *h);
		*sec = SEC_HOSPITAL;
		return sc_copy(h->code, sizeof h->code, w[1], path, line,
		    "hospital code", err);
	}
	if (n == 3 && strcmp(w[0], "policy") == 0) {
		for (i = 0; i < c->npol; i++)
			if (strcmp(c->pol[i].admdvs, w[1]) == 0 &&
			    strcmp(c->pol[i].insutype, w[2]) == 0)
				return hg_fail(err, "%s:%d: policy %s %s is "
				    "defined twice", path, line, w[1], w[2]);
		c->pol = hg_xrealloc(c->pol, c->npol + 1, sizeof *c->pol);
		p = &c->pol[c->npol++];
		policy_defaults(p);
		*sec = SEC_POLICY;
		if (sc_copy(p->admdvs, sizeof p->admdvs, w[1], path, line,
		    "admdvs", err) == -1)
			return -1;
		return sc_copy(p->insutype, sizeof p->insutype, w[2], path, line,
		    "insutype", err);
	}
	return hg_fail(err, "%s:%d: unknown section [%s]", path, line, s + 1);
}

int
sim_conf_load_policy(struct sim_conf *c, const char *path, struct hg_err *err)
{
	char buf[LINEMAX], *s, *eq, *k, *v;
	enum section sec = SEC_NONE;
	int line = 0, rc = -1, sec_line = 0;
	FILE *f;

	c->sign_ttl = 86400;
	if ((f = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof buf, f) != NULL) {
		line++;
		s = hg_trim(sc_chomp(line == 1 ? sc_skip_bom(buf) : buf));
		if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			if (sec == SEC_POLICY && policy_check(&c->pol[c->npol -
			    1], path, sec_line, err) == -1)
				goto out;
			sec_line = line;
			if (section_head(c, s, path, line, &sec, err) == -1)
				goto out;
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			hg_fail(err, "%s:%d: expected KEY = VALUE", path, line);
			goto out;
		}
		*eq = '\0';
		k = hg_trim(s);
		v = hg_trim(eq + 1);
		switch (sec) {
		case SEC_NONE:
			hg_fail(err, "%s:%d: \"%s\" outside a section", path,
			    line, k);
			goto out;
		case SEC_PLATFORM:
			if (platform_key(c, path, line, k, v, err) == -1)
				goto out;
			break;
		case SEC_HOSPITAL:
			if (hosp_key(&c->hosp[c->nhosp - 1], path, line, k, v,
			    err) == -1)
				goto out;
			break;
		case SEC_POLICY:
			if (policy_key(&c->pol[c->npol - 1], path, line, k, v,
			    err) == -1)
				goto out;
			break;
		}
	}
	if (sec == SEC_POLICY && policy_check(&c->pol[c->npol - 1], path,
	    sec_line, err) == -1)
		goto out;
	if (c->admdvs[0] == '\0') {
		hg_fail(err, "%s: [platform] admdvs (the platform's region) "
		    "is required", path);
		goto out;
	}
	if (c->npol == 0) {
		hg_fail(err, "%s: no [policy ADMDVS INSUTYPE] section", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

void
sim_conf_free(struct sim_conf *c)
{
	free(c->registry_path);
	free(c->hosp);
	free(c->pol);
	free(c->cat);
	free(c->psn);
	memset(c, 0, sizeof *c);
}

const struct sim_policy *
sim_conf_policy(const struct sim_conf *c, const char *admdvs,
    const char *insutype)
{
	const char *a[4] = { admdvs, admdvs, "*", "*" };
	const char *t[4] = { insutype, "*", insutype, "*" };
	size_t i, k;

	for (k = 0; k < 4; k++)
		for (i = 0; i < c->npol; i++)
			if (strcmp(c->pol[i].admdvs, a[k]) == 0 &&
			    strcmp(c->pol[i].insutype, t[k]) == 0)
				return &c->pol[i];
	return NULL;
}

const struct sim_hospital *
sim_conf_hospital(const struct sim_conf *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->nhosp; i++)
		if (strcmp(c->hosp[i].code, code) == 0)
			return &c->hosp[i];
	return NULL;
}

int
sim_conf_level(const struct sim_conf *c, const char *code)
{
	const struct sim_hospital *h = sim_conf_hospital(c, code);

	if (h != NULL && h->level > 0)
		return h->level;
	return c->default_level;
}
