/* The sm4sm2 envelope (see lib/sign_env.h for the derivation). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/sign.h"
#include "lib/sign_env.h"
#include "lib/xmalloc.h"

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int
hg_sm4sm2_datakey(const char *app_id, const char *app_secret,
    unsigned char key[16], struct hg_err *err)
{
	unsigned char *enc = NULL;
	size_t n = 0;
	char *hex;

	if (strlen(app_id) < 16)
		return hg_fail(err, "app_id \"%s\": expected at least 16 "
		    "characters (its first 16 are the SM4 key)", app_id);
	if (hg_sm4_ecb((const unsigned char *)app_id, 1,
	    (const unsigned char *)app_secret, strlen(app_secret), &enc, &n,
	    err) == -1)
		return -1;
	hex = hg_xmalloc(2 * n + 1);
	hg_hex(enc, n, 1, hex);
	memcpy(key, hex, 16);		/* n >= 16: PKCS#7 adds a block */
	free(hex);
	free(enc);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted; the caller frees the array only. */
static const char **
sorted_keys(struct json_object *o, size_t *n)
{
	const char **k;
	size_t i = 0;

	*n = (size_t)json_object_object_length(o);
	k = hg_xcalloc(*n + 1, sizeof *k);
	json_object_object_foreach(o, key, val) {
		(void)val;
		k[i++] = key;
	}
	qsort(k, *n, sizeof *k, cmp_str);
	return k;
}

struct json_object *
hg_json_sorted(struct json_object *o)
{
	struct json_object *c;
	const char **k;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object:
		c = json_object_new_object();
		k = sorted_keys(o, &n);
		for (i = 0; i < n; i++)
			json_object_object_add(c, k[i], hg_json_sorted(
			    json_object_object_get(o, k[i])));
		free(k);
		return c;
	case json_type_array:
		c = json_object_new_array();
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			json_object_array_add(c, hg_json_sorted(
			    json_object_array_get_idx(o, i)));
		return c;
	default:
		return json_object_get(o);
	}
}

char *
hg_sm4sm2_canon(struct json_object *env, const char *app_secret)
{
	struct json_object *v, *s;
	const char **k, *text;
	size_t i, n, len = 0, cap = 256;
	char *out = hg_xmalloc(cap);

	out[0] = '\0';
	k = sorted_keys(env, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(k[i], "signData") == 0 ||
		    strcmp(k[i], "encData") == 0 || strcmp(k[i], "extra") == 0)
			continue;
		v = json_object_object_get(env, k[i]);
		s = NULL;
		if (json_object_is_type(v, json_type_string))
			text = json_object_get_string(v);
		else {
			s = hg_json_sorted(v);
			text = json_object_to_json_string_ext(s, JSON_FLAGS);
		}
		while (len + strlen(k[i]) + strlen(text) + 3 > cap)
			out = hg_xrealloc(out, cap *= 2, 1);
		len += (size_t)sprintf(out + len, "%s=%s&", k[i], text);
		json_object_put(s);
	}
	free(k);
	while (len + strlen(app_secret) + 5 > cap)
		out = hg_xrealloc(out, cap *= 2, 1);
	sprintf(out + len, "key=%s", app_secret);
	return out;
}

int
hg_sm4sm2_wrap(const struct hg_sm4sm2 *c, const char *ts, const char *data,
    char **out, struct hg_err *err)
{
	struct json_object *env = NULL, *payload;
	unsigned char key[16], *enc = NULL, *sig = NULL;
	size_t n = 0, siglen = 0;
	char *hex = NULL, *canon = NULL, *b64;
	int rc = -1;

	*out = NULL;
	if ((payload = json_tokener_parse(data)) == NULL)
		return hg_fail(err, "sm4sm2: the payload is not JSON");
	if (hg_sm4sm2_datakey(c->app_id, c->app_secret, key, err) == -1 ||
	    hg_sm4_ecb(key, 1, (const unsigned char *)data, strlen(data),
	    &enc, &n, err) == -1)
		goto out;
	hex = hg_xmalloc(2 * n + 1);
	hg_hex(enc, n, 1, hex);
	env = json_object_new_object();
	json_object_object_add(env, "appId", json_object_new_string(c->app_id));
	json_object_object_add(env, "version",
	    json_object_new_string(c->version));
	json_object_object_add(env, "encType", json_object_new_string("SM4"));
	json_object_object_add(env, "signType", json_object_new_string("SM2"));
	json_object_object_add(env, "timestamp", json_object_new_string(ts));
	json_object_object_add(env, "data", json_object_get(payload));
	canon = hg_sm4sm2_canon(env, c->app_secret);
	if (hg_sm2_sign(c->key, c->user_id, canon, strlen(canon), &sig,
	    &siglen, err) == -1)
		goto out;
	json_object_object_del(env, "data");
	json_object_object_add(env, "encData", json_object_new_string(hex));
	b64 = hg_base64(sig, siglen);
	json_object_object_add(env, "signData", json_object_new_string(b64));
	free(b64);
	*out = hg_xstrdup(json_object_to_json_string_ext(env, JSON_FLAGS));
	rc = 0;
out:
	if (canon != NULL) {
		OPENSSL_cleanse(canon, strlen(canon));
		free(canon);
	}
	OPENSSL_cleanse(key, sizeof key);
	free(sig);
	free(hex);
	free(enc);
	json_object_put(env);
	json_object_put(payload);
	return rc;
}

static const char *
field(struct json_object *o, const char *name, struct hg_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		hg_fail(err, "sm4sm2 envelope: %s: expected a non-empty "
		    "string", name);
		return NULL;
	}
	return json_object_get_string(v);
}

static int
unhex(const char *s, unsigned char **out, size_t *n)
{
	size_t len = strlen(s), i;
	unsigned int b;

	if (len % 2 != 0)
		return -1;
	*out = hg_xmalloc(len / 2 + 1);
	for (i = 0; i < len / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1 ||
		    strchr("0123456789abcdefABCDEF", s[2 * i]) == NULL ||
		    strchr("0123456789abcdefABCDEF", s[2 * i + 1]) == NULL) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (unsigned char)b;
	}
	*n = len / 2;
	return 0;
}

int
hg_sm4sm2_open(const struct hg_sm4sm2 *c, const char *text, size_t len,
    char **data, char **ts, struct hg_err *err)
{
	struct json_tokener *tok;
	struct json_object *env, *payload = NULL;
	const char *app_id, *enc_hex, *sig_b64, *t, *et, *st;
	unsigned char key[16], *enc = NULL, *plain = NULL, *sig = NULL;
	size_t n = 0, pn = 0, siglen = 0;
	char *canon = NULL;
	int rc = -1;

	*data = *ts = NULL;
	tok = json_tokener_new();
	env = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (env == NULL || !json_object_is_type(env, json_type_object)) {
		json_object_put(env);
		return hg_fail(err, "sm4sm2 envelope: not a JSON object");
	}
	if ((app_id = field(env, "appId", err)) == NULL ||
	    (enc_hex = field(env, "encData", err)) == NULL ||
	    (sig_b64 = field(env, "signData", err)) == NULL ||
	    (t = field(env, "timestamp", err)) == NULL ||
	    (et = field(env, "encType", err)) == NULL ||
	    (st = field(env, "signType", err)) == NULL)
		goto out;
	if (strcmp(app_id, c->app_id) != 0) {
		hg_fail(err, "sm4sm2 envelope: appId \"%s\": expected \"%s\"",
		    app_id, c->app_id);
		goto out;
	}
	if (strcmp(et, "SM4") != 0 || strcmp(st, "SM2") != 0) {
		hg_fail(err, "sm4sm2 envelope: encType/signType \"%s\"/\"%s\": "
		    "expected SM4/SM2", et, st);
		goto out;
	}
	if (unhex(enc_hex, &enc, &n) == -1) {
		hg_fail(err, "sm4sm2 envelope: encData: expected hex");
		goto out;
	}
	if (hg_sm4sm2_datakey(c->app_id, c->app_secret, key, err) == -1 ||
	    hg_sm4_ecb(key, 0, enc, n, &plain, &pn, err) == -1) {
		hg_err_prefix(err, "sm4sm2 envelope: encData");
		goto out;
	}
	tok = json_tokener_new();
	payload = json_tokener_parse_ex(tok, (const char *)plain, (int)pn);
	json_tokener_free(tok);
	if (payload == NULL) {
		hg_fail(err, "sm4sm2 envelope: encData: the payload is not "
		    "JSON");
		goto out;
	}
	if (hg_unbase64(sig_b64, &sig, &siglen) == -1) {
		hg_fail(err, "sm4sm2 envelope: signData: expected Base64");
		goto out;
	}
	json_object_object_add(env, "data", json_object_get(payload));
	canon = hg_sm4sm2_canon(env, c->app_secret);
	if (hg_sm2_verify(c->key, c->user_id, canon, strlen(canon), sig,
	    siglen, err) == -1) {
		hg_err_prefix(err, "sm4sm2 envelope: signData");
		goto out;
	}
	*data = hg_xmalloc(pn + 1);
	memcpy(*data, plain, pn);
	(*data)[pn] = '\0';
	*ts = hg_xstrdup(t);
	rc = 0;
out:
	free(canon);
	free(sig);
	free(plain);
	free(enc);
	json_object_put(payload);
	json_object_put(env);
	return rc;
}
