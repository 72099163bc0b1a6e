/* The canonical bill as JSON: the outbox's storage format and what
 * `hisgate adapter test` prints.  Field names follow the national
 * interface where one exists. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bill.h"
#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

/* Writing goes straight to text: a json-c tree per bill costs a malloc
 * per field and dominated the ingest profile.  The reading side below
 * uses json-c, so every writer change is checked by the round trip. */
struct jw {
	struct hg_buf	*b;
	int		 first;
};

/* Keys are this file's own literals: nothing in them to escape. */
static void
jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		hg_buf_addc(w->b, ',');
	w->first = 0;
	hg_buf_addc(w->b, '"');
	hg_buf_adds(w->b, key);
	hg_buf_add(w->b, "\":", 2);
}

static void
put_str(struct jw *w, const char *key, const char *v)
{
	if (v == NULL)
		return;
	jw_key(w, key);
	hg_buf_json_str(w->b, v);
}

static void
put_time(struct jw *w, const char *key, const char *v)
{
	if (v[0] != '\0')
		put_str(w, key, v);
}

static void
put_dec(struct jw *w, const char *key, int64_t v, int scale)
{
	char buf[HG_DECBUF];

	jw_key(w, key);
	hg_buf_adds(w->b, hg_dec_format(v, scale, buf));
}

static void
put_int(struct jw *w, const char *key, int v)
{
	char buf[16];

	jw_key(w, key);
	snprintf(buf, sizeof buf, "%d", v);
	hg_buf_adds(w->b, buf);
}

static void
fee_write(struct hg_buf *b, const struct hg_fee *f, int with_lines)
{
	struct jw w = { b, 1 };

	hg_buf_addc(b, '{');
	put_str(&w, "feedetl_sn", f->sn);
	put_str(&w, "init_feedetl_sn", f->init_sn);
	put_str(&w, "medins_list_codg", f->local_code);
	put_str(&w, "med_list_codg", f->nat_code);
	put_str(&w, "name", f->name);
	put_str(&w, "spec", f->spec);
	put_str(&w, "unit", f->unit);
	put_dec(&w, "cnt", f->qty, HG_SCALE_QTY);
	put_dec(&w, "pric", f->price, HG_SCALE_PRICE);
	put_dec(&w, "det_item_fee_sumamt", f->amount, HG_SCALE_FEN);
	put_time(&w, "fee_ocur_time", f->time);
	put_str(&w, "bilg_dept_codg", f->dept_code);
	put_str(&w, "bilg_dept_name", f->dept_name);
	put_str(&w, "bilg_dr_codg", f->doctor_code);
	put_str(&w, "bilg_dr_name", f->doctor_name);
	put_str(&w, "category", f->category);
	if (with_lines && f->line > 0)
		put_int(&w, "line", f->line);
	hg_buf_addc(b, '}');
}

/* Everything but the source reference, as the members of one object
 * (without the closing brace). */
static void
content_write(struct hg_buf *b, const struct hg_bill *bl, int with_lines)
{
	struct jw w = { b, 1 };
	size_t i;

	hg_buf_addc(b, '{');
	put_str(&w, "fixmedins_code", bl->fixmedins_code);
	put_str(&w, "fixmedins_name", bl->fixmedins_name);
	put_str(&w, "admdvs", bl->admdvs);
	put_str(&w, "psn_name", bl->psn_name);
	put_str(&w, "gend", bl->gender);
	put_str(&w, "psn_cert_type", bl->psn_cert_type);
	put_str(&w, "certno", bl->certno);
	put_str(&w, "insuplc_admdvs", bl->insuplc_admdvs);
	put_str(&w, "insutype", bl->insutype);
	put_str(&w, "psn_no", bl->psn_no);
	put_str(&w, "card_no", bl->card_no);
	put_str(&w, "ipt_no", bl->ipt_no);
	put_str(&w, "mdtrt_id", bl->mdtrt_id);
	put_time(&w, "begntime", bl->adm_time);
	put_time(&w, "endtime", bl->dscg_time);
	put_str(&w, "dept_codg", bl->dept_code);
	put_str(&w, "dept_name", bl->dept_name);
	put_str(&w, "atddr_no", bl->doctor_code);
	put_str(&w, "chfpdr_name", bl->doctor_name);
	put_str(&w, "med_type", bl->med_type);
	jw_key(&w, "diseinfo");
	hg_buf_addc(b, '[');
	for (i = 0; i < bl->ndiags; i++) {
		struct jw d = { b, 1 };

		hg_buf_adds(b, i ? ",{" : "{");
		put_str(&d, "diag_code", bl->diags[i].code);
		put_str(&d, "diag_name", bl->diags[i].name);
		put_str(&d, "maindiag_flag", bl->diags[i].main ? "1" : "0");
		hg_buf_addc(b, '}');
	}
	hg_buf_addc(b, ']');
	if (bl->has_total)
		put_dec(&w, "medfee_sumamt", bl->total, HG_SCALE_FEN);
	jw_key(&w, "feedetail");
	hg_buf_addc(b, '[');
	for (i = 0; i < bl->nfees; i++) {
		if (i)
			hg_buf_addc(b, ',');
		fee_write(b, &bl->fees[i], with_lines);
	}
	hg_buf_addc(b, ']');
}

/* About what a bill's text takes, so that the buffer is allocated once:
 * growing it by doubling copied it three times for a bill of 50 lines. */
static size_t
size_guess(const struct hg_bill *bl)
{
	return 1024 + bl->nfees * 400;
}

char *
hg_bill_to_json(const struct hg_bill *bl)
{
	struct hg_buf b = { NULL, 0, 0 };
	struct jw w;

	hg_buf_grow(&b, size_guess(bl));
	content_write(&b, bl, 1);
	w.b = &b;
	w.first = 0;
	jw_key(&w, "source");
	w.first = 1;
	hg_buf_addc(&b, '{');
	put_str(&w, "adapter", bl->adapter);
	put_str(&w, "key", bl->source_key);
	put_str(&w, "ref", bl->source_ref);
	if (bl->line > 0)
		put_int(&w, "line", bl->line);
	put_str(&w, "columns", bl->columns);
	put_str(&w, "problems", bl->problems);
	hg_buf_adds(&b, "}}");
	return hg_buf_take(&b);
}

void
hg_bill_hash(const struct hg_bill *bl, char out[65])
{
	struct hg_buf b = { NULL, 0, 0 };

	hg_buf_grow(&b, size_guess(bl));
	/* Source line numbers move when an export gains a line above; they
	 * are not content. */
	content_write(&b, bl, 0);
	/* what the source got wrong is content: a different defect is a
	 * different version (a bill without one hashes as before) */
	if (bl->problems != NULL) {
		struct jw w = { &b, 0 };

		put_str(&w, "problems", bl->problems);
	}
	hg_buf_addc(&b, '}');
	hg_sha256_hex(b.data, b.len, out);
	hg_buf_free(&b);
}

static void
get_str(struct json_object *o, const char *key, char **slot)
{
	hg_set_str(slot, hg_json_get_str(o, key));
}

static int
get_time(struct json_object *o, const char *key, char out[HG_TIMELEN],
    struct hg_err *err)
{
	const char *s = hg_json_get_str(o, key);

	out[0] = '\0';
	if (s == NULL)
		return 0;
	return hg_time_parse(key, s, out, err);
}

static int
get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int(v);
}

static int
fee_from_json(struct json_object *o, struct hg_fee *f, size_t idx,
    struct hg_err *err)
{
	get_str(o, "feedetl_sn", &f->sn);
	get_str(o, "init_feedetl_sn", &f->init_sn);
	get_str(o, "medins_list_codg", &f->local_code);
	get_str(o, "med_list_codg", &f->nat_code);
	get_str(o, "name", &f->name);
	get_str(o, "spec", &f->spec);
	get_str(o, "unit", &f->unit);
	get_str(o, "bilg_dept_codg", &f->dept_code);
	get_str(o, "bilg_dept_name", &f->dept_name);
	get_str(o, "bilg_dr_codg", &f->doctor_code);
	get_str(o, "bilg_dr_name", &f->doctor_name);
	get_str(o, "category", &f->category);
	f->line = get_int(o, "line");
	if (hg_json_get_dec(o, "cnt", HG_SCALE_QTY, 0, &f->qty, err) < 0 ||
	    hg_json_get_dec(o, "pric", HG_SCALE_PRICE, 0, &f->price,
	    err) < 0 ||
	    hg_json_get_dec(o, "det_item_fee_sumamt", HG_SCALE_FEN, 0,
	    &f->amount, err) < 0 ||
	    get_time(o, "fee_ocur_time", f->time, err) < 0) {
		hg_err_prefix(err, "feedetail[%zu]", idx);
		return -1;
	}
	return 0;
}

int
hg_bill_from_json(const char *json, struct hg_bill **out, struct hg_err *err)
{
	struct json_object *o, *arr, *src, *e;
	struct hg_bill *b;
	size_t i, n;

	if (hg_json_parse(json, &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return hg_fail(err, "bill: expected a JSON object");
	}
	b = hg_bill_new();
	get_str(o, "fixmedins_code", &b->fixmedins_code);
	get_str(o, "fixmedins_name", &b->fixmedins_name);
	get_str(o, "admdvs", &b->admdvs);
	get_str(o, "psn_name", &b->psn_name);
	get_str(o, "gend", &b->gender);
	get_str(o, "psn_cert_type", &b->psn_cert_type);
	get_str(o, "certno", &b->certno);
	get_str(o, "insuplc_admdvs", &b->insuplc_admdvs);
	get_str(o, "insutype", &b->insutype);
	get_str(o, "psn_no", &b->psn_no);
	get_str(o, "card_no", &b->card_no);
	get_str(o, "ipt_no", &b->ipt_no);
	get_str(o, "mdtrt_id", &b->mdtrt_id);
	get_str(o, "dept_codg", &b->dept_code);
	get_str(o, "dept_name", &b->dept_name);
	get_str(o, "atddr_no", &b->doctor_code);
	get_str(o, "chfpdr_name", &b->doctor_name);
	get_str(o, "med_type", &b->med_type);
	if (get_time(o, "begntime", b->adm_time, err) < 0 ||
	    get_time(o, "endtime", b->dscg_time, err) < 0)
		goto fail;
	if (hg_json_get_str(o, "medfee_sumamt") != NULL) {
		if (hg_json_get_dec(o, "medfee_sumamt", HG_SCALE_FEN, 0,
		    &b->total, err) < 0)
			goto fail;
		b->has_total = 1;
	}
	if (json_object_object_get_ex(o, "diseinfo", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			struct hg_diag *d = hg_bill_add_diag(b);
			const char *flag;

			e = json_object_array_get_idx(arr, i);
			get_str(e, "diag_code", &d->code);
			get_str(e, "diag_name", &d->name);
			flag = hg_json_get_str(e, "maindiag_flag");
			d->main = flag != NULL && strcmp(flag, "1") == 0;
		}
	}
	if (json_object_object_get_ex(o, "feedetail", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++)
			if (fee_from_json(json_object_array_get_idx(arr, i),
			    hg_bill_add_fee(b), i, err) < 0)
				goto fail;
	}
	if (json_object_object_get_ex(o, "source", &src)) {
		get_str(src, "adapter", &b->adapter);
		get_str(src, "key", &b->source_key);
		get_str(src, "ref", &b->source_ref);
		b->line = get_int(src, "line");
		get_str(src, "columns", &b->columns);
		get_str(src, "problems", &b->problems);
	}
	json_object_put(o);
	*out = b;
	return 0;
fail:
	json_object_put(o);
	hg_bill_free(b);
	return -1;
}
