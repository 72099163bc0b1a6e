/* 3202 detail reconciliation files and messages (lib/nhsa_stmt.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa_stmt.h"
#include "lib/xmalloc.h"

#define UPLOAD_FIELDS	8
#define RESULT_FIELDS	10

static const char *const field_names[RESULT_FIELDS] = { "setl_id", "msgid",
	"mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay",
	"refd_setl_flag", "stmt_rslt", "memo" };

/* A TAB or newline inside a field would shift every later column. */
static void
add_field(struct hg_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		hg_buf_addc(b, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' :
		    *s);
}

void
hg_stmt_row_format(struct hg_buf *b, const struct hg_stmt_row *row,
    int result)
{
	char a[HG_DECBUF];

	add_field(b, row->setl_id);
	hg_buf_addc(b, '\t');
	add_field(b, row->msgid);
	hg_buf_addc(b, '\t');
	add_field(b, row->mdtrt_id);
	hg_buf_addc(b, '\t');
	add_field(b, row->psn_no);
	hg_buf_addc(b, '\t');
	hg_buf_adds(b, hg_dec_format(row->medfee_sumamt, HG_SCALE_FEN, a));
	hg_buf_addc(b, '\t');
	hg_buf_adds(b, hg_dec_format(row->fund_pay_sumamt, HG_SCALE_FEN, a));
	hg_buf_addc(b, '\t');
	hg_buf_adds(b, hg_dec_format(row->acct_pay, HG_SCALE_FEN, a));
	hg_buf_addc(b, '\t');
	add_field(b, row->refd_setl_flag[0] != '\0' ? row->refd_setl_flag :
	    "0");
	if (result) {
		hg_buf_addc(b, '\t');
		add_field(b, row->stmt_rslt);
		hg_buf_addc(b, '\t');
		add_field(b, row->memo);
	}
	hg_buf_addc(b, '\n');
}

struct hg_stmt_row *
hg_stmt_rows_add(struct hg_stmt_rows *rows)
{
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 16;
		rows->v = hg_xrealloc(rows->v, rows->cap, sizeof *rows->v);
	}
	memset(&rows->v[rows->n], 0, sizeof *rows->v);
	return &rows->v[rows->n++];
}

void
hg_stmt_rows_free(struct hg_stmt_rows *rows)
{
	hg_sfree(rows->v);
	rows->n = rows->cap = 0;
}

static int
put_text(const char *filename, size_t line, int col, const char *s,
    size_t len, char *buf, size_t size, struct hg_err *err)
{
	if (len >= size)
		return hg_fail(err, "%s line %zu, field %d (%s): %zu bytes, at "
		    "most %zu expected", filename, line, col + 1,
		    field_names[col], len, size - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

static int
parse_line(const char *filename, size_t line, char *s, int result,
    struct hg_stmt_row *row, struct hg_err *err)
{
	int want = result ? RESULT_FIELDS : UPLOAD_FIELDS, col = 0;
	int64_t *amt[] = { &row->medfee_sumamt, &row->fund_pay_sumamt,
	    &row->acct_pay };
	char *f[RESULT_FIELDS], *tab;
	struct hg_err e;

	for (col = 0; col < RESULT_FIELDS; col++) {
		f[col] = s;
		tab = strchr(s, '\t');
		if (tab == NULL) {
			col++;
			break;
		}
		*tab = '\0';
		s = tab + 1;
	}
	if (col != want || tab != NULL)
		return hg_fail(err, "%s line %zu: %d TAB-separated fields "
		    "expected (%s ... %s), found %d%s", filename, line, want,
		    field_names[0], field_names[want - 1], col,
		    tab != NULL ? " or more" : "");
	if (put_text(filename, line, 0, f[0], strlen(f[0]), row->setl_id,
	    sizeof row->setl_id, err) == -1 ||
	    put_text(filename, line, 1, f[1], strlen(f[1]), row->msgid,
	    sizeof row->msgid, err) == -1 ||
	    put_text(filename, line, 2, f[2], strlen(f[2]), row->mdtrt_id,
	    sizeof row->mdtrt_id, err) == -1 ||
	    put_text(filename, line, 3, f[3], strlen(f[3]), row->psn_no,
	    sizeof row->psn_no, err) == -1)
		return -1;
	if (row->setl_id[0] == '\0' && row->msgid[0] == '\0')
		return hg_fail(err, "%s line %zu: setl_id and msgid both "
		    "empty; one of them is expected", filename, line);
	for (col = 4; col < 7; col++)
		if (hg_dec_parse(field_names[col], f[col], HG_SCALE_FEN,
		    amt[col - 4], &e) == -1)
			return hg_fail(err, "%s line %zu, field %d: %s",
			    filename, line, col + 1, e.msg);
	if (strcmp(f[7], "0") != 0 && strcmp(f[7], "1") != 0)
		return hg_fail(err, "%s line %zu, field 8 (refd_setl_flag): "
		    "\"%.20s\", expected 0 or 1", filename, line, f[7]);
	memcpy(row->refd_setl_flag, f[7], 2);
	if (!result)
		return 0;
	if (strlen(f[8]) != 1 || f[8][0] < '0' || f[8][0] > '3')
		return hg_fail(err, "%s line %zu, field 9 (stmt_rslt): "
		    "\"%.20s\", expected 0, 1, 2 or 3", filename, line, f[8]);
	memcpy(row->stmt_rslt, f[8], 2);
	return put_text(filename, line, 9, f[9], strlen(f[9]), row->memo,
	    sizeof row->memo, err);
}

int
hg_stmt_rows_parse(const char *filename, const char *text, int result,
    struct hg_stmt_rows *rows, struct hg_err *err)
{
	char *copy = hg_xstrdup(text), *s = copy, *nl;
	size_t line = 0, start = rows->n;
	int rc = 0;

	while (rc == 0 && *s != '\0') {
		line++;
		nl = strchr(s, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (nl != NULL && nl > s && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*s != '\0')
			rc = parse_line(filename, line, s, result,
			    hg_stmt_rows_add(rows), err);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	free(copy);
	if (rc == -1)
		rows->n = start;
	return rc;
}

/* --- messages ----------------------------------------------------------- */

struct json_object *
hg_nhsa_in_9101(const char *filename, const char *text)
{
	struct json_object *in = json_object_new_object(),
	    *up = json_object_new_object();

	hg_nhsa_put_str(up, "filename", filename);
	hg_nhsa_put_str(up, "in", text);
	json_object_object_add(in, "fsUploadIn", up);
	return in;
}

static int
file_node(struct json_object *output, const char *node,
    struct json_object **o, struct hg_err *err)
{
	*o = output;
	if (node != NULL && (output == NULL ||
	    !json_object_object_get_ex(output, node, o)))
		return hg_fail(err, "output.%s: missing", node);
	if (*o == NULL || !json_object_is_type(*o, json_type_object))
		return hg_fail(err, "output%s%s: an object expected",
		    node != NULL ? "." : "", node != NULL ? node : "");
	return 0;
}

int
hg_nhsa_out_9101(struct json_object *output, char file_qury_no[HG_NHSA_IDBUF],
    struct hg_err *err)
{
	struct json_object *o;

	if (file_node(output, NULL, &o, err) == -1)
		return -1;
	return hg_nhsa_get_str(o, "file_qury_no", file_qury_no, HG_NHSA_IDBUF,
	    1, err);
}

struct json_object *
hg_nhsa_in_3202(const struct hg_stmt_req *q)
{
	struct json_object *in = json_object_new_object(),
	    *d = json_object_new_object();

	hg_nhsa_put_str(d, "setl_optins", q->setl_optins);
	hg_nhsa_put_str(d, "clr_type", q->clr_type);
	hg_nhsa_put_str(d, "file_qury_no", q->file_qury_no);
	hg_nhsa_put_str(d, "stmt_begndate", q->stmt_begndate);
	hg_nhsa_put_str(d, "stmt_enddate", q->stmt_enddate);
	json_object_object_add(d, "medfee_sumamt",
	    hg_json_dec(q->medfee_sumamt, HG_SCALE_FEN));
	json_object_object_add(d, "fund_pay_sumamt",
	    hg_json_dec(q->fund_pay_sumamt, HG_SCALE_FEN));
	json_object_object_add(d, "cash_payamt",
	    hg_json_dec(q->cash_payamt, HG_SCALE_FEN));
	json_object_object_add(d, "fixmedins_setl_cnt",
	    json_object_new_int64(q->fixmedins_setl_cnt));
	json_object_object_add(in, "data", d);
	return in;
}

int
hg_nhsa_stmt_detail_req_parse(struct json_object *d, struct hg_stmt_req *q,
    struct hg_err *err)
{
	memset(q, 0, sizeof *q);
	if (d == NULL || !json_object_is_type(d, json_type_object))
		return hg_fail(err, "input.data: an object expected");
	if (hg_nhsa_get_str(d, "setl_optins", q->setl_optins,
	    sizeof q->setl_optins, 0, err) == -1 ||
	    hg_nhsa_get_str(d, "clr_type", q->clr_type, sizeof q->clr_type, 0,
	    err) == -1 ||
	    hg_nhsa_get_str(d, "file_qury_no", q->file_qury_no,
	    sizeof q->file_qury_no, 1, err) == -1 ||
	    hg_nhsa_get_str(d, "stmt_begndate", q->stmt_begndate,
	    sizeof q->stmt_begndate, 1, err) == -1 ||
	    hg_nhsa_get_str(d, "stmt_enddate", q->stmt_enddate,
	    sizeof q->stmt_enddate, 1, err) == -1 ||
	    hg_json_get_dec(d, "medfee_sumamt", HG_SCALE_FEN, 0,
	    &q->medfee_sumamt, err) == -1 ||
	    hg_json_get_dec(d, "fund_pay_sumamt", HG_SCALE_FEN, 0,
	    &q->fund_pay_sumamt, err) == -1 ||
	    hg_json_get_dec(d, "cash_payamt", HG_SCALE_FEN, 1,
	    &q->cash_payamt, err) == -1 ||
	    hg_json_get_dec(d, "fixmedins_setl_cnt", 0, 0,
	    &q->fixmedins_setl_cnt, err) == -1)
		return -1;
	return 0;
}

int
hg_nhsa_out_3202(struct json_object *output,
    char file_qury_no[HG_NHSA_IDBUF], char filename[HG_NHSA_NAMEBUF],
    struct hg_err *err)
{
	struct json_object *o;

	if (file_node(output, "fileinfo", &o, err) == -1 ||
	    hg_nhsa_get_str(o, "file_qury_no", file_qury_no, HG_NHSA_IDBUF, 1,
	    err) == -1 ||
	    hg_nhsa_get_str(o, "filename", filename, HG_NHSA_NAMEBUF, 0,
	    err) == -1)
		return -1;
	return 0;
}

struct json_object *
hg_nhsa_in_9102(const char *file_qury_no, const char *filename,
    const char *fixmedins_code)
{
	struct json_object *in = json_object_new_object(),
	    *d = json_object_new_object();

	hg_nhsa_put_str(d, "file_qury_no", file_qury_no);
	hg_nhsa_put_str(d, "filename", filename);
	hg_nhsa_put_str(d, "fixmedins_code", fixmedins_code);
	json_object_object_add(in, "fsDownloadIn", d);
	return in;
}

int
hg_nhsa_out_9102(struct json_object *output, char **text, struct hg_err *err)
{
	struct json_object *o;
	const char *s;

	*text = NULL;
	if (file_node(output, NULL, &o, err) == -1)
		return -1;
	s = hg_json_get_str(o, "out");
	if (s == NULL)
		return hg_fail(err, "output.out: missing (the file's text)");
	*text = hg_xstrdup(s);
	return 0;
}
