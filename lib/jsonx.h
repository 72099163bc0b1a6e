/* json-c helpers that keep money exact: numbers are written from decimal
 * text and read back from the text json-c kept, never through a double. */
#ifndef HG_JSONX_H
#define HG_JSONX_H

#include <stdint.h>

#include <json-c/json.h>

#include "lib/err.h"

/* A JSON number whose text is v at scale, e.g. 51423.22. */
struct json_object *hg_json_dec(int64_t v, int scale);
/* A JSON string, or null for NULL. */
struct json_object *hg_json_str_new(const char *s);
/* Read key as a scaled integer; accepts a number or a numeric string.
 * A missing or null key is an error naming `key` unless `optional`, in
 * which case *out is 0 and 0 is returned. */
int	hg_json_get_dec(struct json_object *obj, const char *key, int scale,
	    int optional, int64_t *out, struct hg_err *err);
/* The string at key, or the text of a number; NULL when absent or null. */
const char *hg_json_get_str(struct json_object *obj, const char *key);
/* Parse text as one JSON value; fails with the json-c reason. */
int	hg_json_parse(const char *text, struct json_object **out,
	    struct hg_err *err);

#endif
