/* The httppush body, see push_json.h.  Amounts are read from the text
 * json-c keeps of each number (or from a string), never through a
 * double. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "adapters/push_json.h"
#include "lib/money.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

enum kind { K_STR, K_TIME, K_FEN, K_QTY, K_PRICE, K_FLAG };

struct key {
	const char *name;
	enum kind kind;
	int	 required;
	size_t	 off;		/* offset of the slot */
};

#define B(f) offsetof(struct hg_bill, f)
static const struct key bill_keys[] = {
	{ "psn_name", K_STR, 1, B(psn_name) },
	{ "gend", K_STR, 0, B(gender) },
	{ "psn_cert_type", K_STR, 0, B(psn_cert_type) },
	{ "certno", K_STR, 1, B(certno) },
	{ "insuplc_admdvs", K_STR, 0, B(insuplc_admdvs) },
	{ "insutype", K_STR, 0, B(insutype) },
	{ "card_no", K_STR, 0, B(card_no) },
	{ "ipt_no", K_STR, 1, B(ipt_no) },
	{ "mdtrt_id", K_STR, 0, B(mdtrt_id) },
	{ "begntime", K_TIME, 1, B(adm_time) },
	{ "endtime", K_TIME, 1, B(dscg_time) },
	{ "dept_codg", K_STR, 0, B(dept_code) },
	{ "dept_name", K_STR, 0, B(dept_name) },
	{ "atddr_no", K_STR, 0, B(doctor_code) },
	{ "chfpdr_name", K_STR, 0, B(doctor_name) },
	{ "med_type", K_STR, 0, B(med_type) },
	{ "medfee_sumamt", K_FEN, 0, B(total) },
	{ NULL, 0, 0, 0 },
};
#undef B

#define F(f) offsetof(struct hg_fee, f)
static const struct key fee_keys[] = {
	{ "feedetl_sn", K_STR, 1, F(sn) },
	{ "init_feedetl_sn", K_STR, 0, F(init_sn) },
	{ "medins_list_codg", K_STR, 1, F(local_code) },
	{ "med_list_codg", K_STR, 0, F(nat_code) },
	{ "name", K_STR, 0, F(name) },
	{ "spec", K_STR, 0, F(spec) },
	{ "unit", K_STR, 0, F(unit) },
	{ "cnt", K_QTY, 1, F(qty) },
	{ "pric", K_PRICE, 1, F(price) },
	{ "det_item_fee_sumamt", K_FEN, 1, F(amount) },
	{ "fee_ocur_time", K_TIME, 1, F(time) },
	{ "bilg_dept_codg", K_STR, 0, F(dept_code) },
	{ "bilg_dept_name", K_STR, 0, F(dept_name) },
	{ "bilg_dr_codg", K_STR, 0, F(doctor_code) },
	{ "bilg_dr_name", K_STR, 0, F(doctor_name) },
	{ "category", K_STR, 0, F(category) },
	{ NULL, 0, 0, 0 },
};
#undef F

#define D(f) offsetof(struct hg_diag, f)
static const struct key diag_keys[] = {
	{ "diag_code", K_STR, 1, D(code) },
	{ "diag_name", K_STR, 0, D(name) },
	{ "maindiag_flag", K_FLAG, 0, D(main) },
	{ NULL, 0, 0, 0 },
};
#undef D

struct ctx {
	struct hg_problem **probs;
	size_t	*nprobs;
};

static const char *
type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double:
	case json_type_int: return "a number";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

/* One value into its slot; a problem when it does not fit. */
static void
one(struct ctx *c, int line, const char *path, const struct key *k,
    struct json_object *v, char *base)
{
	const char *s;
	struct hg_err err;
	int scale;
	int is_num = json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);

	if (k->kind == K_STR || k->kind == K_TIME || k->kind == K_FLAG) {
		if (!json_object_is_type(v, json_type_string) &&
		    !(k->kind == K_FLAG && is_num)) {
			hg_problem_add(c->probs, c->nprobs, line, path,
			    "%s, expected a string", type_name(v));
			return;
		}
	} else if (!is_num && !json_object_is_type(v, json_type_string)) {
		hg_problem_add(c->probs, c->nprobs, line, path, "%s, expected "
		    "a number (or a string of one)", type_name(v));
		return;
	}
	s = json_object_get_string(v);
	switch (k->kind) {
	case K_STR:
		if (!hg_utf8_valid(s, strlen(s))) {
			hg_problem_add(c->probs, c->nprobs, line, path,
			    "not valid UTF-8");
			return;
		}
		hg_set_str((char **)(base + k->off), s);
		return;
	case K_FLAG:
		if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
			hg_problem_add(c->probs, c->nprobs, line, path,
			    "\"%s\", expected \"1\" (main) or \"0\"", s);
			return;
		}
		*(int *)(base + k->off) = s[0] == '1';
		return;
	case K_TIME:
		if (hg_time_parse(path, s, base + k->off, &err) < 0)
			hg_problem_add(c->probs, c->nprobs, line, path, "%s",
			    hg_err_unprefixed(err.msg, path));
		return;
	case K_FEN:
	case K_QTY:
	case K_PRICE:
		scale = k->kind == K_FEN ? HG_SCALE_FEN : k->kind == K_QTY ?
		    HG_SCALE_QTY : HG_SCALE_PRICE;
		if (hg_dec_parse(path, s, scale, (int64_t *)(base + k->off),
		    &err) < 0)
			hg_problem_add(c->probs, c->nprobs, line, path, "%s",
			    hg_err_unprefixed(err.msg, path));
		return;
	}
}

/* Every key of the object against the table. */
static void
object(struct ctx *c, int line, const char *prefix, struct json_object *o,
    const struct key *keys, const char *const *more, char *base)
{
	const struct key *k;
	char path[96];

	json_object_object_foreach(o, name, v) {
		size_t i;
		int known = 0;

		for (i = 0; more != NULL && more[i] != NULL; i++)
			if (strcmp(name, more[i]) == 0)
				known = 1;
		for (k = keys; !known && k->name != NULL; k++)
			if (strcmp(name, k->name) == 0)
				known = 1;
		if (!known) {
			snprintf(path, sizeof path, "%s%s", prefix, name);
			hg_problem_add(c->probs, c->nprobs, line, path,
			    "unknown key (see doc/bill-push.schema.json)");
		}
	}
	for (k = keys; k->name != NULL; k++) {
		struct json_object *val;

		snprintf(path, sizeof path, "%s%s", prefix, k->name);
		if (!json_object_object_get_ex(o, k->name, &val) ||
		    json_object_is_type(val, json_type_null)) {
			if (k->required)
				hg_problem_add(c->probs, c->nprobs, line, path,
				    "missing, expected %s", k->kind == K_STR ?
				    "a string" : k->kind == K_TIME ?
				    "a time like \"2024-03-01 08:30:00\"" :
				    "an exact decimal number");
			continue;
		}
		one(c, line, path, k, val, base);
	}
}

static struct json_object *
array(struct ctx *c, struct json_object *o, const char *key, int required)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null)) {
		if (required)
			hg_problem_add(c->probs, c->nprobs, 0, key, "missing, "
			    "expected an array of at least one line");
		return NULL;
	}
	if (!json_object_is_type(v, json_type_array)) {
		hg_problem_add(c->probs, c->nprobs, 0, key, "%s, expected an "
		    "array", type_name(v));
		return NULL;
	}
	if (required && json_object_array_length(v) == 0)
		hg_problem_add(c->probs, c->nprobs, 0, key, "empty, expected "
		    "at least one line");
	return v;
}

int
hg_push_parse(const char *body, size_t len, struct hg_bill **out,
    struct hg_problem **probs, size_t *nprobs)
{
	static const char *const more[] = { "feedetail", "diseinfo", NULL };
	struct json_tokener *tok;
	struct json_object *o, *arr;
	struct ctx c = { probs, nprobs };
	struct hg_bill *b;
	char prefix[40];
	size_t i, n;

	*out = NULL;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o == NULL || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		hg_problem_add(probs, nprobs, 0, "body", "not one JSON "
		    "document: %s at byte %zu", o == NULL ?
		    json_tokener_error_desc(e == json_tokener_continue ?
		    json_tokener_error_parse_eof : e) : "text after the end",
		    json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		hg_problem_add(probs, nprobs, 0, "body", "%s, expected an "
		    "object (one bill)", type_name(o));
		json_object_put(o);
		return -1;
	}
	b = hg_bill_new();
	object(&c, 0, "", o, bill_keys, more, (char *)b);
	if (json_object_object_get_ex(o, "medfee_sumamt", &arr) &&
	    !json_object_is_type(arr, json_type_null))
		b->has_total = 1;
	if ((arr = array(&c, o, "diseinfo", 0)) != NULL) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(arr,
			    i);

			snprintf(prefix, sizeof prefix, "diseinfo[%zu].", i);
			if (!json_object_is_type(e, json_type_object)) {
				prefix[strlen(prefix) - 1] = '\0';
				hg_problem_add(probs, nprobs, (int)i + 1,
				    prefix, "%s, expected an object",
				    type_name(e));
				continue;
			}
			object(&c, (int)i + 1, prefix, e, diag_keys, NULL,
			    (char *)hg_bill_add_diag(b));
		}
	}
	if ((arr = array(&c, o, "feedetail", 1)) != NULL) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(arr,
			    i);
			struct hg_fee *f;

			snprintf(prefix, sizeof prefix, "feedetail[%zu].", i);
			if (!json_object_is_type(e, json_type_object)) {
				prefix[strlen(prefix) - 1] = '\0';
				hg_problem_add(probs, nprobs, (int)i + 1,
				    prefix, "%s, expected an object",
				    type_name(e));
				continue;
			}
			f = hg_bill_add_fee(b);
			f->line = (int)i + 1;
			object(&c, (int)i + 1, prefix, e, fee_keys, NULL,
			    (char *)f);
		}
	}
	json_object_put(o);
	if (*nprobs > 0) {
		hg_bill_free(b);
		return -1;
	}
	b->line = 1;
	*out = b;
	return 0;
}
