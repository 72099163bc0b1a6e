/* The simulator's catalogue and registry (sim/conf.h): CSV files with a
 * header row, columns in any order, as trainers save them from Excel;
 * every row checked at load; lookups by code, person number and
 * certificate number. */
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

#define MAXCOLS	16

/* Split one CSV line in place: commas, optional double quotes ("" is a
 * quote).  Returns the number of fields or -1 for an open quote. */
static int
csv_split(char *s, char **f, int max)
{
	int n = 0;
	char *w;

	for (;;) {
		if (n == max)
			return n;
		if (*s == '"') {
			f[n++] = w = ++s;
			for (;;) {
				if (*s == '\0')
					return -1;
				if (*s == '"' && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					*w++ = *s++;
				}
			}
			*w = '\0';
			while (*s != ',' && *s != '\0')
				s++;
		} else {
			f[n++] = s;
			while (*s != ',' && *s != '\0')
				s++;
		}
		if (*s == '\0')
			break;
		*s++ = '\0';
	}
	return n;
}

/* Read a CSV file with a header row naming at least `want` columns in any
 * order; calls row() with the fields in `want` order. */
static int
csv_load(const char *path, const char *const *want, int nwant,
    int (*row)(void *, char **, const char *, int, struct hg_err *),
    void *arg, struct hg_err *err)
{
	char buf[LINEMAX], *s, *fields[MAXCOLS], *vals[MAXCOLS];
	int map[MAXCOLS], line = 0, n, i, j, rc = -1, header = 1;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof buf, f) != NULL) {
		line++;
		s = sc_chomp(line == 1 ? sc_skip_bom(buf) : buf);
		if (hg_trim(s)[0] == '\0' || s[0] == '#')
			continue;
		n = csv_split(s, fields, MAXCOLS);
		if (n == -1) {
			hg_fail(err, "%s:%d: unterminated quote", path, line);
			goto out;
		}
		for (i = 0; i < n; i++)
			hg_trim(fields[i]);
		if (header) {
			for (j = 0; j < nwant; j++) {
				map[j] = -1;
				for (i = 0; i < n; i++)
					if (strcmp(fields[i], want[j]) == 0)
						map[j] = i;
				if (map[j] == -1) {
					hg_fail(err, "%s:%d: the header has no "
					    "column \"%s\"", path, line,
					    want[j]);
					goto out;
				}
			}
			header = 0;
			continue;
		}
		for (j = 0; j < nwant; j++)
			vals[j] = map[j] < n ? fields[map[j]] : (char *)"";
		if (row(arg, vals, path, line, err) == -1)
			goto out;
	}
	if (header) {
		hg_fail(err, "%s: empty (no header row)", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static int
parse_lv(const char *v, int *lv)
{
	if (strcmp(v, "甲") == 0 || strcmp(v, "A") == 0 ||
	    strcmp(v, "01") == 0)
		*lv = SIM_LV_A;
	else if (strcmp(v, "乙") == 0 || strcmp(v, "B") == 0 ||
	    strcmp(v, "02") == 0)
		*lv = SIM_LV_B;
	else if (strcmp(v, "丙") == 0 || strcmp(v, "C") == 0 ||
	    strcmp(v, "03") == 0)
		*lv = SIM_LV_C;
	else
		return -1;
	return 0;
}

static int
cat_row(void *arg, char **v, const char *path, int line, struct hg_err *err)
{
	struct sim_conf *c = arg;
	struct sim_catitem *it;
	struct hg_err e;

	c->cat = hg_xrealloc(c->cat, c->ncat + 1, sizeof *c->cat);
	it = &c->cat[c->ncat];
	memset(it, 0, sizeof *it);
	if (v[0][0] == '\0')
		return hg_fail(err, "%s:%d: empty code", path, line);
	if (sc_copy(it->code, sizeof it->code, v[0], path, line, "code",
	    err) == -1 ||
	    sc_copy(it->name, sizeof it->name, v[1], path, line, "name",
	    err) == -1 ||
	    sc_copy(it->chrgitm_type, sizeof it->chrgitm_type, v[3], path, line,
	    "chrgitm_type", err) == -1)
		return -1;
	if (parse_lv(v[2], &it->lv) == -1)
		return hg_fail(err, "%s:%d: lv: \"%s\" is not 甲, 乙 or 丙 "
		    "(or A/B/C, 01/02/03)", path, line, v[2]);
	it->price_cap = SIM_NONE;
	if (v[4][0] != '\0' && hg_dec_parse("price_cap", v[4],
	    HG_SCALE_PRICE, &it->price_cap, &e) == -1)
		return hg_fail(err, "%s:%d: %s", path, line, e.msg);
	it->b_ratio = SIM_NONE;
	if (v[5][0] != '\0') {
		if (it->lv != SIM_LV_B)
			return hg_fail(err, "%s:%d: b_ratio is only for 乙 "
			    "items", path, line);
		if (sc_parse_ratio(path, line, "b_ratio", v[5], &it->b_ratio,
		    err) == -1)
			return -1;
	}
	c->ncat++;
	return 0;
}

static int
cat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sim_catitem *)a)->code,
	    ((const struct sim_catitem *)b)->code);
}

int
sim_conf_load_catalogue(struct sim_conf *c, const char *path,
    struct hg_err *err)
{
	static const char *const cols[] = { "code", "name", "lv",
	    "chrgitm_type", "price_cap", "b_ratio" };
	size_t i;

	if (csv_load(path, cols, 6, cat_row, c, err) == -1)
		return -1;
	qsort(c->cat, c->ncat, sizeof *c->cat, cat_cmp);
	for (i = 1; i < c->ncat; i++)
		if (strcmp(c->cat[i - 1].code, c->cat[i].code) == 0)
			return hg_fail(err, "%s: code %s is listed twice", path,
			    c->cat[i].code);
	return 0;
}

static int
psn_row(void *arg, char **v, const char *path, int line, struct hg_err *err)
{
	struct sim_conf *c = arg;
	struct sim_person *p;
	size_t i;

	c->psn = hg_xrealloc(c->psn, c->npsn + 1, sizeof *c->psn);
	p = &c->psn[c->npsn];
	memset(p, 0, sizeof *p);
	if (sc_copy(p->certno, sizeof p->certno, v[0], path, line, "certno",
	    err) == -1 ||
	    sc_copy(p->psn_no, sizeof p->psn_no, v[1], path, line, "psn_no",
	    err) == -1 ||
	    sc_copy(p->psn_name, sizeof p->psn_name, v[2], path, line,
	    "psn_name", err) == -1 ||
	    sc_copy(p->gend, sizeof p->gend, v[3], path, line, "gend",
	    err) == -1 ||
	    sc_copy(p->brdy, sizeof p->brdy, v[4], path, line, "brdy",
	    err) == -1 ||
	    sc_copy(p->insutype, sizeof p->insutype, v[5], path, line,
	    "insutype", err) == -1 ||
	    sc_copy(p->psn_type, sizeof p->psn_type, v[6], path, line,
	    "psn_type", err) == -1 ||
	    sc_copy(p->insuplc_admdvs, sizeof p->insuplc_admdvs, v[7], path,
	    line, "insuplc_admdvs", err) == -1 ||
	    sc_parse_bool(path, line, "filing", v[8], &p->filing, err) == -1 ||
	    sc_copy(p->psn_insu_stas, sizeof p->psn_insu_stas, v[9], path, line,
	    "psn_insu_stas", err) == -1 ||
	    sc_copy(p->emp_name, sizeof p->emp_name, v[10], path, line,
	    "emp_name", err) == -1)
		return -1;
	if (p->certno[0] == '\0' || p->psn_no[0] == '\0' ||
	    p->insutype[0] == '\0' || p->insuplc_admdvs[0] == '\0')
		return hg_fail(err, "%s:%d: certno, psn_no, insutype and "
		    "insuplc_admdvs are required", path, line);
	if (p->psn_insu_stas[0] == '\0')
		p->psn_insu_stas[0] = '1';
	for (i = 0; i < c->npsn; i++) {
		if (strcmp(c->psn[i].psn_no, p->psn_no) == 0 &&
		    strcmp(c->psn[i].insutype, p->insutype) == 0)
			return hg_fail(err, "%s:%d: psn_no %s insutype %s is "
			    "listed twice", path, line, p->psn_no,
			    p->insutype);
		if (strcmp(c->psn[i].psn_no, p->psn_no) == 0 &&
		    strcmp(c->psn[i].certno, p->certno) != 0)
			return hg_fail(err, "%s:%d: psn_no %s has two "
			    "certificate numbers", path, line, p->psn_no);
	}
	c->npsn++;
	return 0;
}

int
sim_conf_load_registry(struct sim_conf *c, const char *path,
    struct hg_err *err)
{
	static const char *const cols[] = { "certno", "psn_no", "psn_name",
	    "gend", "brdy", "insutype", "psn_type", "insuplc_admdvs",
	    "filing", "psn_insu_stas", "emp_name" };

	return csv_load(path, cols, 11, psn_row, c, err);
}

const struct sim_catitem *
sim_conf_item(const struct sim_conf *c, const char *code)
{
	struct sim_catitem key;

	if (strlen(code) >= sizeof key.code)
		return NULL;
	memcpy(key.code, code, strlen(code) + 1);
	return bsearch(&key, c->cat, c->ncat, sizeof *c->cat, cat_cmp);
}

const struct sim_person *
sim_conf_person(const struct sim_conf *c, const char *psn_no,
    const char *insutype)
{
	size_t i;

	for (i = 0; i < c->npsn; i++)
		if (strcmp(c->psn[i].psn_no, psn_no) == 0 &&
		    (insutype == NULL ||
		    strcmp(c->psn[i].insutype, insutype) == 0))
			return &c->psn[i];
	return NULL;
}

const struct sim_person *
sim_conf_person_cert(const struct sim_conf *c, const char *certno)
{
	size_t i;

	for (i = 0; i < c->npsn; i++)
		if (strcmp(c->psn[i].certno, certno) == 0)
			return &c->psn[i];
	return NULL;
}
