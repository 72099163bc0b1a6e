/* table: the column map, the header mapped onto columns, and each cell
 * normalised into a canonical field (see table.h).  Grouping rows into
 * bills is in table_group.c. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "adapters/table.h"
#include "adapters/table_priv.h"
#include "lib/xmalloc.h"

const struct tb_field tb_fields[F_N] = {
	[F_IPT_NO] = { "ipt_no", "住院号", K_CODE, 1 },
	[F_PSN_NAME] = { "psn_name", "姓名", K_STR, 1 },
	[F_GEND] = { "gend", "性别", K_GEND, 0 },
	[F_PSN_CERT_TYPE] = { "psn_cert_type", NULL, K_CODE, 0 },
	[F_CERTNO] = { "certno", "身份证号", K_ID, 1 },
	[F_CARD_NO] = { "card_no", "医保卡号", K_ID, 0 },
	[F_INSUTYPE] = { "insutype", NULL, K_CODE, 0 },
	[F_INSUPLC_ADMDVS] = { "insuplc_admdvs", NULL, K_CODE, 0 },
	[F_MDTRT_ID] = { "mdtrt_id", NULL, K_CODE, 0 },
	[F_BEGNTIME] = { "begntime", "入院时间", K_TIME, 1 },
	[F_ENDTIME] = { "endtime", "出院时间", K_TIME, 1 },
	[F_DIAG_CODE] = { "diag_code", "主要诊断编码", K_CODE, 0 },
	[F_DIAG_NAME] = { "diag_name", "主要诊断名称", K_STR, 0 },
	[F_DEPT_CODG] = { "dept_codg", "科室编码", K_CODE, 0 },
	[F_DEPT_NAME] = { "dept_name", "科室名称", K_STR, 0 },
	[F_ATDDR_NO] = { "atddr_no", NULL, K_CODE, 0 },
	[F_CHFPDR_NAME] = { "chfpdr_name", NULL, K_STR, 0 },
	[F_MEDFEE_SUMAMT] = { "medfee_sumamt", "医疗费总额", K_AMOUNT, 0 },
	[F_FEEDETL_SN] = { "feedetl_sn", "明细序号", K_CODE, 1 },
	[F_INIT_FEEDETL_SN] = { "init_feedetl_sn", "原明细序号", K_CODE, 0 },
	[F_FEE_OCUR_TIME] = { "fee_ocur_time", "费用时间", K_TIME, 1 },
	[F_MEDINS_LIST_CODG] = { "medins_list_codg", "院内项目编码", K_CODE,
	    1 },
	[F_NAME] = { "name", "项目名称", K_STR, 1 },
	[F_SPEC] = { "spec", "规格", K_STR, 0 },
	[F_UNIT] = { "unit", "单位", K_STR, 0 },
	[F_CNT] = { "cnt", "数量", K_QTY, 1 },
	[F_PRIC] = { "pric", "单价", K_PRICE, 1 },
	[F_DET_ITEM_FEE_SUMAMT] = { "det_item_fee_sumamt", "金额", K_AMOUNT,
	    1 },
	[F_MED_LIST_CODG] = { "med_list_codg", "医保目录编码", K_CODE, 0 },
	[F_CATEGORY] = { "category", "收费类别", K_STR, 0 },
	[F_BILG_DEPT_CODG] = { "bilg_dept_codg", NULL, K_CODE, 0 },
	[F_BILG_DEPT_NAME] = { "bilg_dept_name", NULL, K_STR, 0 },
	[F_BILG_DR_CODG] = { "bilg_dr_codg", NULL, K_CODE, 0 },
	[F_BILG_DR_NAME] = { "bilg_dr_name", NULL, K_STR, 0 },
};

const char *const hg_table_field_names[F_N + 1] = {
	"ipt_no", "psn_name", "gend", "psn_cert_type", "certno", "card_no",
	"insutype", "insuplc_admdvs", "mdtrt_id", "begntime", "endtime",
	"diag_code", "diag_name", "dept_codg", "dept_name", "atddr_no",
	"chfpdr_name", "medfee_sumamt", "feedetl_sn", "init_feedetl_sn",
	"fee_ocur_time", "medins_list_codg", "name", "spec", "unit", "cnt",
	"pric", "det_item_fee_sumamt", "med_list_codg", "category",
	"bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg", "bilg_dr_name",
	NULL,
};

void
hg_table_print_fields(void *out)
{
	FILE *fp = out;
	int f;

	fprintf(fp, "\n# canonical fields, for columns = { FIELD = \"header\" "
	    "or column number; } and key = [FIELD, ...] of the table "
	    "adapters\n");
	for (f = 0; f < F_N; f++) {
		fprintf(fp, "columns.%s (%s field", tb_fields[f].name,
		    FEE_LEVEL(f) ? "fee line" : "bill");
		if (tb_fields[f].header != NULL)
			fprintf(fp, "; default header %s", tb_fields[f].header);
		fprintf(fp, "%s)\n", tb_fields[f].required ? "; required" : "");
	}
}

struct json_object *
hg_table_fields_json(void)
{
	struct json_object *arr = json_object_new_array(), *o;
	int f;

	for (f = 0; f < F_N; f++) {
		o = json_object_new_object();
		json_object_object_add(o, "field",
		    json_object_new_string(tb_fields[f].name));
		json_object_object_add(o, "level", json_object_new_string(
		    FEE_LEVEL(f) ? "fee line" : "bill"));
		json_object_object_add(o, "header", tb_fields[f].header ?
		    json_object_new_string(tb_fields[f].header) : NULL);
		json_object_object_add(o, "required",
		    json_object_new_boolean(tb_fields[f].required));
		json_object_array_add(arr, o);
	}
	return arr;
}

int
tb_field_index(const char *name)
{
	int f;

	for (f = 0; f < F_N; f++)
		if (strcmp(tb_fields[f].name, name) == 0)
			return f;
	return -1;
}

int
tb_is_key(const struct hg_table_map *m, int f)
{
	size_t i;

	for (i = 0; i < m->nkey; i++)
		if (m->keyf[i] == f)
			return 1;
	return 0;
}

/* --- the column map ------------------------------------------------------ */

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* The map's columns = { } entries over the default headers. */
static int
map_columns(const struct hg_table_keys *k, struct hg_table_map *m,
    const char *file, struct hg_conf_errs *errs, int given[F_N])
{
	size_t i;
	int bad = 0, f;

	for (f = 0; f < F_N; f++)
		if (tb_fields[f].header != NULL && k->header)
			m->spec[f].name = hg_xstrdup(tb_fields[f].header);
	for (i = 0; i < k->columns.n; i++) {
		const struct hg_kv *kv = &k->columns.v[i];

		f = tb_field_index(kv->key);
		if (f < 0) {
			hg_conf_errs_add(errs, file, kv->line, "columns: "
			    "\"%s\" is not a canonical field name (expected "
			    "one of ipt_no, psn_name, certno, begntime, "
			    "feedetl_sn, cnt, pric, det_item_fee_sumamt, ...; "
			    "hisgate config-keys lists them)", kv->key);
			bad++;
			continue;
		}
		hg_sfree(m->spec[f].name);
		m->spec[f].num = 0;
		m->spec[f].explicit = kv->value[0] != '\0';
		given[f] = 1;
		if (all_digits(kv->value)) {
			m->spec[f].num = atoi(kv->value);
			if (m->spec[f].num < 1 || m->spec[f].num > 10000) {
				hg_conf_errs_add(errs, file, kv->line,
				    "columns.%s: column %s is out of range, "
				    "expected 1 to 10000", kv->key, kv->value);
				bad++;
			}
		} else if (kv->value[0] != '\0') {
			if (!k->header) {
				hg_conf_errs_add(errs, file, kv->line,
				    "columns.%s: \"%s\" is a header name, but "
				    "header = false: give the column number",
				    kv->key, kv->value);
				bad++;
			}
			m->spec[f].name = hg_xstrdup(kv->value);
		}
	}
	return bad;
}

int
hg_table_map_new(const struct hg_table_keys *k, const char *file, int line,
    struct hg_conf_errs *errs, struct hg_table_map **out)
{
	struct hg_table_map *m;
	int kline = hg_kv_line(k->lines, "key", line);
	size_t i, j;
	int bad, f, given[F_N] = { 0 };

	*out = m = hg_xcalloc(1, sizeof *m);
	m->header = k->header;
	bad = map_columns(k, m, file, errs, given);
	bad += hg_datefmt_new(&k->date_formats, file,
	    hg_kv_line(k->lines, "date_formats", line), errs, &m->dates);
	if (!k->header)
		for (f = 0; f < F_N; f++)
			if (tb_fields[f].required && m->spec[f].num == 0 &&
			    !given[f]) {
				hg_conf_errs_add(errs, file, k->columns.line > 0 ?
				    k->columns.line : hg_kv_line(k->lines,
				    "header", line), "columns.%s: "
				    "header = false, so every column needs its "
				    "number (or \"\" to leave %s out)",
				    tb_fields[f].name, tb_fields[f].name);
				bad++;
			}
	if (k->key.n == 0 || k->key.n > TB_MAX_KEYS) {
		hg_conf_errs_add(errs, file, kline, "key: expected 1 to %d "
		    "canonical fields, like [\"ipt_no\", \"begntime\"]",
		    TB_MAX_KEYS);
		return bad + 1;
	}
	for (i = 0; i < k->key.n; i++) {
		f = tb_field_index(k->key.v[i]);
		if (f < 0 || FEE_LEVEL(f)) {
			hg_conf_errs_add(errs, file, kline, "key: \"%s\" is not "
			    "a bill-level canonical field (expected e.g. "
			    "ipt_no, begntime, certno, mdtrt_id)", k->key.v[i]);
			bad++;
			continue;
		}
		if (m->spec[f].name == NULL && m->spec[f].num == 0) {
			hg_conf_errs_add(errs, file, kline, "key: \"%s\" has no "
			    "column; map it in columns = { %s = ...; }",
			    k->key.v[i], k->key.v[i]);
			bad++;
			continue;
		}
		for (j = 0; j < m->nkey; j++)
			if (m->keyf[j] == f)
				break;
		if (j == m->nkey)
			m->keyf[m->nkey++] = f;
	}
	return bad;
}

void
hg_table_map_free(struct hg_table_map *m)
{
	int f;

	if (m == NULL)
		return;
	for (f = 0; f < F_N; f++)
		free(m->spec[f].name);
	hg_datefmt_free(m->dates);
	free(m);
}

/* --- a source's columns -------------------------------------------------- */

struct hg_table *
hg_table_new(const struct hg_table_map *m, const struct hg_table_src *src)
{
	struct hg_table *t = hg_xcalloc(1, sizeof *t);
	int f;

	t->m = m;
	t->src = *src;
	t->rowp = hg_bill_new();
	for (f = 0; f < F_N; f++)
		t->col[f] = -1;
	return t;
}

void
hg_table_encoding(struct hg_table *t, const char *enc)
{
	t->src.encoding = enc;
}

void
tb_problem(struct hg_table *t, int line, int col, int f, const char *what,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	t->src.problem(t->src.arg, line, col, f >= 0 ? t->colname[f] : NULL,
	    f >= 0 ? tb_fields[f].name : what, msg);
	if (t->collect)
		hg_bill_add_problem(t->rowp, line, f >= 0 ? tb_fields[f].name :
		    what, msg);
}

/* Messages come out in column order. */
static void
sort_order(struct hg_table *t)
{
	int f, k;

	t->norder = 0;
	for (f = 0; f < F_N; f++) {
		if (t->col[f] < 0)
			continue;
		for (k = t->norder; k > 0 &&
		    t->col[t->order[k - 1]] > t->col[f]; k--)
			t->order[k] = t->order[k - 1];
		t->order[k] = f;
		t->norder++;
	}
}

/* Bills carry the column names for the messages of later stages. */
static void
col_add(struct hg_table *t, int f)
{
	char *was = t->colstr;

	t->colstr = hg_xasprintf("%s%s%s=%s", was ? was : "", was ? "\n" : "",
	    tb_fields[f].name, t->colname[f]);
	free(was);
}

int
hg_table_header(struct hg_table *t, struct hg_table_row *hdr)
{
	const struct hg_table_map *m = t->m;
	size_t i;
	int f, found, dup, fatal = 0;

	for (i = 0; i < hdr->ncells; i++)
		hg_trim(hdr->cell[i]);
	for (f = 0; f < F_N; f++) {
		t->col[f] = -1;
		if (m->spec[f].num > 0) {
			if (m->spec[f].num > (int)hdr->ncells) {
				tb_problem(t, hdr->line, 0, f, NULL, "column "
				    "%d is beyond the header's %zu columns",
				    m->spec[f].num, hdr->ncells);
				fatal = 1;
				continue;
			}
			t->col[f] = m->spec[f].num - 1;
			continue;
		}
		if (m->spec[f].name == NULL)
			continue;
		found = dup = -1;
		for (i = 0; i < hdr->ncells; i++) {
			if (strcasecmp(hdr->cell[i], m->spec[f].name) != 0)
				continue;
			if (found < 0)
				found = (int)i;
			else if (dup < 0)
				dup = (int)i;
		}
		if (found < 0) {
			if (m->spec[f].explicit || tb_fields[f].required ||
			    tb_is_key(m, f)) {
				tb_problem(t, hdr->line, 0, f, NULL, "column "
				    "\"%s\" not found in the header",
				    m->spec[f].name);
				fatal = 1;
			}
			continue;
		}
		if (dup >= 0) {
			tb_problem(t, hdr->line, dup + 1, f, NULL, "column "
			    "\"%s\" is in the header twice (columns %d and "
			    "%d); map it by number", m->spec[f].name,
			    found + 1, dup + 1);
			fatal = 1;
			continue;
		}
		t->col[f] = found;
	}
	for (f = 0; f < F_N; f++)
		if (t->col[f] >= 0 && t->col[f] < (int)hdr->ncells &&
		    hdr->cell[t->col[f]][0] != '\0' &&
		    strchr(hdr->cell[t->col[f]], '\n') == NULL) {
			t->colname[f] = hg_xstrdup(hdr->cell[t->col[f]]);
			col_add(t, f);
		}
	sort_order(t);
	return fatal ? -1 : 0;
}

void
hg_table_numbers(struct hg_table *t)
{
	int f;

	for (f = 0; f < F_N; f++)
		t->col[f] = t->m->spec[f].num > 0 ? t->m->spec[f].num - 1 : -1;
	sort_order(t);
}

static int
is_summary(const char *s)
{
	return strncmp(s, "合计", 6) == 0 || strncmp(s, "总计", 6) == 0 ||
	    strncmp(s, "小计", 6) == 0;
}

int
hg_table_summary(struct hg_table *t, struct hg_table_row *r, int report)
{
	int f0 = t->m->keyf[0], c0 = t->col[f0];
	const char *k0;
	char msg[128];

	if (c0 < 0 || c0 >= (int)r->ncells)
		return 0;
	k0 = hg_trim(r->cell[c0]);
	if (!is_summary(k0))
		return 0;
	if (report && t->src.note != NULL) {
		snprintf(msg, sizeof msg, "summary row \"%.60s\" skipped", k0);
		t->src.note(t->src.arg, r->line, c0 + 1, t->colname[f0],
		    tb_fields[f0].name, msg);
	}
	return 1;
}

/* --- normalising cells --------------------------------------------------- */

/* "1.10105E+17": what Excel shows for a long number in a General cell. */
static int
scientific(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	s++;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s != 'E' && *s != 'e')
		return 0;
	s++;
	if (*s == '+' || *s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

static const char *
gender_code(const char *s)
{
	static const struct {
		const char *text, *code;
	} map[] = {
		{ "男", "1" }, { "男性", "1" }, { "M", "1" }, { "m", "1" },
		{ "女", "2" }, { "女性", "2" }, { "F", "2" }, { "f", "2" },
		{ "未知", "0" }, { "未说明", "9" },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(s, map[i].text) == 0)
			return map[i].code;
	return s;
}

/* One cell into r->v[f]; 0, or -1 when it is bad (reported). */
static int
parse_cell(struct hg_table *t, struct row *r, int f, char *s, int line,
    int col, int report, int *nt, int *nn)
{
	const char *what = tb_fields[f].name;
	struct hg_err err;
	char why[1024];
	int scale;

	switch (tb_fields[f].kind) {
	case K_STR:
		r->v[f] = s;
		return 0;
	case K_ID:
		hg_norm_id(s);
		/* FALLTHROUGH */
	case K_CODE:
		r->v[f] = s;
		if (!scientific(s))
			return 0;
		if (report)
			tb_problem(t, line, col, f, NULL, "\"%s\" looks damaged "
			    "by Excel (scientific notation); expected the full "
			    "number, exported as text", s);
		return -1;
	case K_GEND:
		r->v[f] = gender_code(s);
		return 0;
	case K_TIME:
		r->v[f] = s;
		if (hg_datefmt_parse(t->m->dates, s, r->tbuf[*nt], why,
		    sizeof why) < 0) {
			if (report)
				tb_problem(t, line, col, f, NULL, "%s", why);
			return -1;
		}
		r->v[f] = r->tbuf[(*nt)++];
		return 0;
	case K_QTY:
	case K_PRICE:
	case K_AMOUNT:
		scale = tb_fields[f].kind == K_QTY ? HG_SCALE_QTY :
		    tb_fields[f].kind == K_PRICE ? HG_SCALE_PRICE :
		    HG_SCALE_FEN;
		r->v[f] = s;
		if (hg_dec_parse(what, s, scale, &r->num[f], &err) < 0) {
			if (report)
				tb_problem(t, line, col, f, NULL, "%s",
				    hg_err_unprefixed(err.msg, what));
			return -1;
		}
		r->v[f] = hg_dec_format(r->num[f], scale, r->nbuf[(*nn)++]);
		return 0;
	}
	return 0;
}

void
tb_parse_row(struct hg_table *t, struct hg_table_row *in, int report,
    int keys_only)
{
	struct row *r = &t->r;
	int i, f, c, nt = 0, nn = 0, key, line;
	char *s;

	memset(r->v, 0, sizeof r->v);
	memset(r->bad, 0, sizeof r->bad);
	r->line = in->line;
	r->nproblems = 0;
	r->record_bad = in->broken;
	if (r->record_bad) {
		/* its cells are not where the header says: one problem for
		 * the row (the adapter's), not one per misplaced field */
		r->nproblems++;
		report = 0;
		keys_only = 1;
	}
	for (i = 0; i < t->norder; i++) {
		f = t->order[i];
		c = t->col[f];
		key = tb_is_key(t->m, f);
		if (keys_only && !key)
			continue;
		if (c >= (int)in->ncells) {
			/* a short row, already reported */
			r->bad[f] = 1;
			continue;
		}
		line = in->cell_line != NULL ? in->cell_line[c] : in->line;
		s = hg_trim(in->cell[c]);
		if (hg_has_replacement(s)) {
			if (report)
				tb_problem(t, line, c + 1, f, NULL, "invalid "
				    "%s byte sequence", t->src.encoding != NULL ?
				    t->src.encoding : "UTF-8");
			r->bad[f] = 1;
			r->v[f] = s;
			r->nproblems++;
			continue;
		}
		if (*s == '\0') {
			if (key) {
				if (report)
					tb_problem(t, line, c + 1, f, NULL,
					    "empty, expected a value (it is "
					    "part of the bill key)");
				r->bad[f] = 1;
				r->nproblems++;
				continue;
			}
			/* an empty amount or quantity is an error; other
			 * empty fields are the validator's to judge */
			if (tb_fields[f].kind != K_QTY &&
			    tb_fields[f].kind != K_PRICE &&
			    (tb_fields[f].kind != K_AMOUNT ||
			    f == F_MEDFEE_SUMAMT))
				continue;
		}
		if (parse_cell(t, r, f, s, line, c + 1, report, &nt, &nn) < 0) {
			r->bad[f] = 1;
			r->nproblems++;
		}
	}
}
