/* The sm4sm2 gateway envelope (NHSA public-service and Yinhai gateways):
 *
 *   { "appId", "version", "encType": "SM4", "signType": "SM2",
 *     "timestamp", "encData", "signData" }
 *
 * data key = the first 16 characters of the uppercase hex of
 * SM4-ECB(key = the first 16 characters of appId, appSecret);
 * encData  = uppercase hex of SM4-ECB/PKCS#7(data key, the JSON payload);
 * signData = Base64 of an SM2/SM3 signature (user id configurable) over
 *            the envelope's keys without signData, encData and extra, plus
 *            "data" (the payload), sorted, joined k=v&...&key=<appSecret>;
 *            an object value is written as compact JSON with its keys
 *            sorted at every level. */
#ifndef HG_SIGN_ENV_H
#define HG_SIGN_ENV_H

#include <openssl/evp.h>

#include "lib/err.h"

struct json_object;

struct hg_sm4sm2 {
	const char *app_id;		/* at least 16 characters */
	const char *app_secret;
	const char *version;		/* "1.0.0" */
	const char *user_id;		/* SM2 signer id */
	EVP_PKEY   *key;		/* private (wrap) or public (open) */
};

int	hg_sm4sm2_datakey(const char *app_id, const char *app_secret,
	    unsigned char key[16], struct hg_err *err);
/* The string signData signs; the caller frees. */
char	*hg_sm4sm2_canon(struct json_object *env, const char *app_secret);
/* A copy of o with the keys of every object sorted. */
struct json_object *hg_json_sorted(struct json_object *o);

/* Wrap the JSON text data; *out is the envelope's JSON text (freed by
 * the caller).  ts: the timestamp field (ms since the epoch). */
int	hg_sm4sm2_wrap(const struct hg_sm4sm2 *c, const char *ts,
	    const char *data, char **out, struct hg_err *err);
/* Check an envelope: fields, signature (c->key public), and decrypt:
 * *data is the payload's JSON text, *ts the timestamp (both freed by the
 * caller).  Errors name the field. */
int	hg_sm4sm2_open(const struct hg_sm4sm2 *c, const char *env,
	    size_t len, char **data, char **ts, struct hg_err *err);

#endif
