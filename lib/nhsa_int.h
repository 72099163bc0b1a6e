/* What the codec files lib/nhsa*.c share (defined in nhsa.c).  Private to
 * lib/nhsa*.c. */
#ifndef HG_NHSA_INT_H
#define HG_NHSA_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/err.h"

/* obj[key] = v as exact decimal text with scale digits. */
void		 nh_put_dec(struct json_object *obj, const char *key, int64_t v,
		    int scale);
/* Copy for text meant for people: cut rather than fail. */
void		 nh_get_text(struct json_object *obj, const char *key,
		    char *buf, size_t size);
/* The receiver's reading of a decimal field, in the platform's wording
 * (see hg_nhsa_req_str). */
int		 nh_req_dec(struct json_object *obj, const char *key,
		    const char *label, int scale, int required, int64_t *out,
		    struct hg_err *err);
/* obj[key], or NULL when obj is NULL or has no such key. */
struct json_object *nh_node(struct json_object *obj, const char *key);
/* {name: v}, taking ownership of v. */
struct json_object *nh_wrap(const char *name, struct json_object *v);

#endif
