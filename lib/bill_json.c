/* The canonical bill as JSON: the outbox's storage format and what
 * `hisgate adapter test` prints.  Field names follow the national
 * interface where one exists. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/bill.h"
#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

static void
put_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void
put_time(struct json_object *o, const char *key, const char *v)
{
	if (v[0] != '\0')
		json_object_object_add(o, key, json_object_new_string(v));
}

static struct json_object *
fee_to_json(const struct hg_fee *f)
{
	struct json_object *o = json_object_new_object();

	put_str(o, "feedetl_sn", f->sn);
	put_str(o, "init_feedetl_sn", f->init_sn);
	put_str(o, "medins_list_codg", f->local_code);
	put_str(o, "med_list_codg", f->nat_code);
	put_str(o, "name", f->name);
	put_str(o, "spec", f->spec);
	put_str(o, "unit", f->unit);
	json_object_object_add(o, "cnt", hg_json_dec(f->qty, HG_SCALE_QTY));
	json_object_object_add(o, "pric",
	    hg_json_dec(f->price, HG_SCALE_PRICE));
	json_object_object_add(o, "det_item_fee_sumamt",
	    hg_json_dec(f->amount, HG_SCALE_FEN));
	put_time(o, "fee_ocur_time", f->time);
	put_str(o, "bilg_dept_codg", f->dept_code);
	put_str(o, "bilg_dept_name", f->dept_name);
	put_str(o, "bilg_dr_codg", f->doctor_code);
	put_str(o, "bilg_dr_name", f->doctor_name);
	put_str(o, "category", f->category);
	if (f->line > 0)
		json_object_object_add(o, "line",
		    json_object_new_int(f->line));
	return o;
}

static struct json_object *
content_to_json(const struct hg_bill *b)
{
	struct json_object *o, *arr, *d;
	size_t i;

	o = json_object_new_object();
	put_str(o, "fixmedins_code", b->fixmedins_code);
	put_str(o, "fixmedins_name", b->fixmedins_name);
	put_str(o, "admdvs", b->admdvs);
	put_str(o, "psn_name", b->psn_name);
	put_str(o, "gend", b->gender);
	put_str(o, "psn_cert_type", b->psn_cert_type);
	put_str(o, "certno", b->certno);
	put_str(o, "insuplc_admdvs", b->insuplc_admdvs);
	put_str(o, "insutype", b->insutype);
	put_str(o, "psn_no", b->psn_no);
	put_str(o, "card_no", b->card_no);
	put_str(o, "ipt_no", b->ipt_no);
	put_str(o, "mdtrt_id", b->mdtrt_id);
	put_time(o, "begntime", b->adm_time);
	put_time(o, "endtime", b->dscg_time);
	put_str(o, "dept_codg", b->dept_code);
	put_str(o, "dept_name", b->dept_name);
	put_str(o, "atddr_no", b->doctor_code);
	put_str(o, "chfpdr_name", b->doctor_name);
	put_str(o, "med_type", b->med_type);
	arr = json_object_new_array();
	for (i = 0; i < b->ndiags; i++) {
		d = json_object_new_object();
		put_str(d, "diag_code", b->diags[i].code);
		put_str(d, "diag_name", b->diags[i].name);
		json_object_object_add(d, "maindiag_flag",
		    json_object_new_string(b->diags[i].main ? "1" : "0"));
		json_object_array_add(arr, d);
	}
	json_object_object_add(o, "diseinfo", arr);
	if (b->has_total)
		json_object_object_add(o, "medfee_sumamt",
		    hg_json_dec(b->total, HG_SCALE_FEN));
	arr = json_object_new_array();
	for (i = 0; i < b->nfees; i++)
		json_object_array_add(arr, fee_to_json(&b->fees[i]));
	json_object_object_add(o, "feedetail", arr);
	return o;
}

char *
hg_bill_to_json(const struct hg_bill *b)
{
	struct json_object *o, *src;
	char *s;

	o = content_to_json(b);
	src = json_object_new_object();
	put_str(src, "adapter", b->adapter);
	put_str(src, "key", b->source_key);
	put_str(src, "ref", b->source_ref);
	if (b->line > 0)
		json_object_object_add(src, "line",
		    json_object_new_int(b->line));
	json_object_object_add(o, "source", src);
	s = hg_xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

void
hg_bill_hash(const struct hg_bill *b, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct json_object *o;
	const char *s;
	struct hg_bill copy;
	struct hg_fee *fees;

	/* Source line numbers move when an export gains a line above; they
	 * are not content.  Hash a shallow copy with the lines cleared. */
	copy = *b;
	fees = hg_xcalloc(b->nfees ? b->nfees : 1, sizeof *fees);
	if (b->nfees > 0)
		memcpy(fees, b->fees, b->nfees * sizeof *fees);
	for (i = 0; i < b->nfees; i++)
		fees[i].line = 0;
	copy.fees = fees;
	o = content_to_json(&copy);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	json_object_put(o);
	free(fees);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
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
	}
	json_object_put(o);
	*out = b;
	return 0;
fail:
	json_object_put(o);
	hg_bill_free(b);
	return -1;
}
