#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"

struct json_object *
hg_json_dec(int64_t v, int scale)
{
	char buf[HG_DECBUF];

	hg_dec_format(v, scale, buf);
	/* json-c insists on a shadow double; only the text is ever read. */
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

struct json_object *
hg_json_str_new(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

const char *
hg_json_get_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    v == NULL)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

int
hg_json_get_dec(struct json_object *obj, const char *key, int scale,
    int optional, int64_t *out, struct hg_err *err)
{
	const char *text;

	text = hg_json_get_str(obj, key);
	if (text == NULL) {
		*out = 0;
		if (optional)
			return 0;
		return hg_fail(err, "%s: missing, expected a number", key);
	}
	return hg_dec_parse(key, text, scale, out, err);
}

int
hg_json_parse(const char *text, struct json_object **out, struct hg_err *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t len = strlen(text);

	tok = json_tokener_new();
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		int off = (int)json_tokener_get_parse_end(tok);
		json_tokener_free(tok);
		json_object_put(obj);
		return hg_fail(err, "invalid JSON at byte %d: %s", off,
		    json_tokener_error_desc(jerr == json_tokener_success ?
		    json_tokener_continue : jerr));
	}
	if (json_tokener_get_parse_end(tok) < len &&
	    strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
	    len - json_tokener_get_parse_end(tok)) {
		int off = (int)json_tokener_get_parse_end(tok);
		json_tokener_free(tok);
		json_object_put(obj);
		return hg_fail(err, "invalid JSON: trailing data at byte %d",
		    off);
	}
	json_tokener_free(tok);
	*out = obj;
	return 0;
}
