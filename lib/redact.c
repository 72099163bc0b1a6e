/* Personal fields out of a bill's texts (see redact.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/redact.h"
#include "lib/xmalloc.h"

/* The keys of the canonical bill (lib/bill_json.c) and of the national
 * interface's messages that name a person.  Ids (psn_no, mdtrt_id,
 * setl_id, ipt_no) are not here: reconciliation, 2305 and 2601 need
 * them, and alone they name no one outside the platform. */
static const struct {
	const char *key;
	int	 kind;
} fields[] = {
	{ "psn_name", 2 },
	{ "certno", 2 },
	{ "mdtrt_cert_no", 2 },	/* the certificate again when type 02 */
	{ "card_no", 2 },
	{ "card_sn", 2 },
	{ "tel", 2 },
	{ "addr", 2 },
	{ "coner_name", 2 },
	{ "psn_cert_type", 1 },
	{ "gend", 1 },
	{ "brdy", 1 },
	{ "age", 1 },
	{ "naty", 1 },
	{ "emp_name", 1 },
};

int
hg_redact_field(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i].key, key) == 0)
			return fields[i].kind;
	return 0;
}

void
hg_redact_init(struct hg_redact *r)
{
	memset(r, 0, sizeof *r);
}

void
hg_redact_free(struct hg_redact *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

void
hg_redact_add(struct hg_redact *r, const char *value)
{
	size_t i, len;

	if (value == NULL || (len = strlen(value)) < 2)
		return;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i], value) == 0)
			return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = hg_xrealloc(r->v, r->cap, sizeof *r->v);
	}
	/* longest first: a name that holds a shorter learnt value is cut
	 * whole, not around it */
	for (i = r->n; i > 0 && strlen(r->v[i - 1]) < len; i--)
		r->v[i] = r->v[i - 1];
	r->v[i] = hg_xstrdup(value);
	r->n++;
}

static void
learn(struct hg_redact *r, struct json_object *o)
{
	size_t i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			learn(r, json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		if (hg_redact_field(key) == 2 && val != NULL &&
		    !json_object_is_type(val, json_type_object) &&
		    !json_object_is_type(val, json_type_array))
			hg_redact_add(r, json_object_get_string(val));
		else
			learn(r, val);
	}
}

/* NULL for text that is not JSON (a transport error, an HTML page). */
static struct json_object *
parse(const char *text)
{
	struct json_object *o;
	struct hg_err err;

	return hg_json_parse(text, &o, &err) == 0 ? o : NULL;
}

void
hg_redact_learn(struct hg_redact *r, const char *json)
{
	struct json_object *o;

	if (json == NULL || (o = parse(json)) == NULL)
		return;
	learn(r, o);
	json_object_put(o);
}

/* text with the learnt values cut out, or NULL when none is in it. */
static char *
cut(const struct hg_redact *r, const char *text)
{
	struct hg_buf b = { NULL, 0, 0 };
	const char *p, *at, *best;
	size_t i, blen = 0;

	for (i = 0; i < r->n && strstr(text, r->v[i]) == NULL; i++)
		;
	if (i == r->n)
		return NULL;
	hg_buf_grow(&b, strlen(text));
	for (p = text;;) {
		best = NULL;
		for (i = 0; i < r->n; i++)
			if ((at = strstr(p, r->v[i])) != NULL &&
			    (best == NULL || at < best)) {
				best = at;
				blen = strlen(r->v[i]);
			}
		if (best == NULL)
			break;
		hg_buf_add(&b, p, (size_t)(best - p));
		hg_buf_adds(&b, HG_REDACTED);
		p = best + blen;
	}
	hg_buf_adds(&b, p);
	return b.data;
}

char *
hg_redact_text(const struct hg_redact *r, const char *text, int *changed)
{
	char *s;

	if (text == NULL)
		return NULL;
	if ((s = cut(r, text)) == NULL)
		s = hg_xstrdup(text);
	hg_mask_ids(s);
	if (changed != NULL && strcmp(s, text) != 0)
		*changed = 1;
	return s;
}

/* In place: personal fields deleted, learnt values cut from strings.
 * Returns 1 when something changed. */
static int
strip(const struct hg_redact *r, struct json_object *o)
{
	const char *gone[sizeof fields / sizeof fields[0] + 1];
	struct json_object *v;
	size_t i, n, ngone = 0;
	char *s;
	int changed = 0;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(o, i);
			if (json_object_is_type(v, json_type_string) &&
			    (s = cut(r, json_object_get_string(v))) != NULL) {
				json_object_set_string(v, s);
				free(s);
				changed = 1;
			} else
				changed |= strip(r, v);
		}
		return changed;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, val) {
		if (hg_redact_field(key) != 0) {
			/* a key appears once in an object: the list is
			 * bounded by the table */
			if (ngone < sizeof gone / sizeof gone[0])
				gone[ngone++] = key;
		} else if (json_object_is_type(val, json_type_string) &&
		    (s = cut(r, json_object_get_string(val))) != NULL) {
			json_object_set_string(val, s);
			free(s);
			changed = 1;
		} else
			changed |= strip(r, val);
	}
	for (i = 0; i < ngone; i++)
		json_object_object_del(o, gone[i]);
	return changed || ngone > 0;
}

char *
hg_redact_json(const struct hg_redact *r, const char *json, int *changed)
{
	struct json_object *o;
	char *s;

	if (json == NULL)
		return NULL;
	if ((o = parse(json)) == NULL)
		return hg_redact_text(r, json, changed);
	if (!strip(r, o)) {
		json_object_put(o);
		return hg_xstrdup(json);
	}
	s = hg_xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (changed != NULL)
		*changed = 1;
	return s;
}
