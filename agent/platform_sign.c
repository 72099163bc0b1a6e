/* The platform profiles as the agent applies them (see
 * agent/platform_sign.h).  apikey and tif headers stay in the transport
 * (agent/platform_http.c, the `auth` key); this file adds xca, csb, sm4sm2 and
 * the envelope's cainfo/signtype, and checks every profile's settings. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "agent/platform_sign.h"
#include "lib/access.h"
#include "lib/sign_env.h"
#include "lib/xmalloc.h"

#define SECRET_MAX	4096

const char *const hg_sign_profiles[] = { "plain", "apikey", "tif", "xca",
    "csb", "sm4sm2", NULL };
const char *const hg_sign_ts_units[] = { "s", "ms", NULL };
const char *const hg_sign_signtypes[] = { "", "fixed", "sm2", NULL };

struct hg_signer {
	const struct hg_sign_conf *conf;
	char	 *secret;
	EVP_PKEY *sm2;
};

static int
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

void
hg_sign_conf_check(const struct hg_sign_conf *sc, const char *auth,
    const char *file, struct hg_conf_errs *errs)
{
	const char *p = sc->profile;
	struct hg_err err;
	EVP_PKEY *k;

	/* `auth` is the older name for the apikey and tif profiles */
	if (!is(auth, "none") && !is(p, "plain") && !is(auth, p))
		hg_conf_errs_add(errs, file, 0, "platform.profile = \"%s\" "
		    "and platform.auth = \"%s\" disagree: set profile only",
		    p, auth);
	if ((is(p, "xca") || is(p, "csb") || is(p, "sm4sm2")) &&
	    (sc->key_id[0] == '\0' || sc->secret_file[0] == '\0'))
		hg_conf_errs_add(errs, file, 0, "platform.profile = \"%s\" "
		    "needs key_id and secret_file", p);
	if (is(p, "csb") && sc->csb_api_name[0] == '\0')
		hg_conf_errs_add(errs, file, 0, "platform.profile = \"csb\" "
		    "needs csb_api_name (the gateway's _api_name)");
	if (is(p, "sm4sm2") && strlen(sc->key_id) < 16)
		hg_conf_errs_add(errs, file, 0, "platform.key_id \"%s\": the "
		    "sm4sm2 appId has at least 16 characters (its first 16 "
		    "are an SM4 key)", sc->key_id);
	if ((is(p, "sm4sm2") || is(sc->signtype, "sm2")) &&
	    sc->sm2_key_file[0] == '\0')
		hg_conf_errs_add(errs, file, 0, "platform.%s needs "
		    "sm2_key_file (the hospital's SM2 private key)",
		    is(p, "sm4sm2") ? "profile = \"sm4sm2\"" :
		    "signtype = \"sm2\"");
	if (sc->secret_file[0] != '\0' &&
	    hg_secret_check(sc->secret_file, &err) == -1)
		hg_conf_errs_add(errs, file, 0, "platform.secret_file: %s",
		    err.msg);
	if (sc->sm2_key_file[0] != '\0') {
		if (hg_secret_check(sc->sm2_key_file, &err) == -1 ||
		    hg_sm2_load(sc->sm2_key_file, 1, &k, &err) == -1)
			hg_conf_errs_add(errs, file, 0,
			    "platform.sm2_key_file: %s", err.msg);
		else
			EVP_PKEY_free(k);
	}
}

int
hg_signer_new(const struct hg_sign_conf *sc, struct hg_signer **out,
    struct hg_err *err)
{
	struct hg_signer *s;

	*out = NULL;
	if (!is(sc->profile, "xca") && !is(sc->profile, "csb") &&
	    !is(sc->profile, "sm4sm2") && sc->signtype[0] == '\0')
		return 0;
	s = hg_xcalloc(1, sizeof *s);
	s->conf = sc;
	if (sc->secret_file[0] != '\0' && (s->secret = hg_secret_read(
	    sc->secret_file, SECRET_MAX, err)) == NULL)
		goto fail;
	if ((is(sc->profile, "sm4sm2") || is(sc->signtype, "sm2")) &&
	    (hg_secret_check(sc->sm2_key_file, err) == -1 ||
	    hg_sm2_load(sc->sm2_key_file, 1, &s->sm2, err) == -1))
		goto fail;
	*out = s;
	return 0;
fail:
	hg_signer_free(s);
	return -1;
}

void
hg_signer_free(struct hg_signer *s)
{
	if (s == NULL)
		return;
	if (s->secret != NULL) {
		OPENSSL_cleanse(s->secret, strlen(s->secret));
		free(s->secret);
	}
	EVP_PKEY_free(s->sm2);
	free(s);
}

static void
now_str(const char *unit, char *out, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (is(unit, "ms"))
		snprintf(out, len, "%lld", (long long)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000);
	else
		snprintf(out, len, "%lld", (long long)ts.tv_sec);
}

static struct curl_slist *
add(struct curl_slist *h, const char *name, const char *value)
{
	char *line = hg_xasprintf("%s: %s", name, value);

	h = curl_slist_append(h, line);
	free(line);
	return h;
}

struct curl_slist *
hg_signer_headers(struct hg_signer *s, const char *body, size_t len,
    struct curl_slist *h)
{
	const struct hg_sign_conf *c;
	char ts[32], sig[128], *b64;
	struct hg_err err;

	if (s == NULL)
		return h;
	c = s->conf;
	if (is(c->profile, "xca")) {
		now_str(c->ts_unit, ts, sizeof ts);
		/* cannot fail short of OpenSSL missing SM3: the gateway will
		 * then refuse the call (4xx, never sent) and say so */
		if (hg_sign_xca(s->secret, ts, body, len, sig, sizeof sig,
		    &err) == -1)
			snprintf(sig, sizeof sig, "%s:", ts);
		h = add(h, "x-ca-key", c->key_id);
		h = add(h, "x-ca-signature", sig);
	} else if (is(c->profile, "csb")) {
		const char *k[] = { "_api_name", "_api_version",
		    "_api_timestamp", "_api_access_key" };
		const char *v[4];

		now_str("ms", ts, sizeof ts);
		v[0] = c->csb_api_name;
		v[1] = c->csb_api_version;
		v[2] = ts;
		v[3] = c->key_id;
		if (hg_sign_csb(c->csb_digest, s->secret, k, v, 4, &b64,
		    &err) == -1)
			b64 = hg_xstrdup("");
		h = add(h, "_api_name", v[0]);
		h = add(h, "_api_version", v[1]);
		h = add(h, "_api_timestamp", v[2]);
		h = add(h, "_api_access_key", v[3]);
		h = add(h, "_api_signature", b64);
		free(b64);
	}
	return h;
}

int
hg_signer_body(struct hg_signer *s, const char *body, char **out,
    struct hg_err *err)
{
	struct hg_sm4sm2 c;
	char ts[32];

	*out = NULL;
	if (s == NULL || !is(s->conf->profile, "sm4sm2"))
		return 0;
	c.app_id = s->conf->key_id;
	c.app_secret = s->secret;
	c.version = "1.0.0";
	c.user_id = s->conf->sm2_user_id;
	c.key = s->sm2;
	now_str("ms", ts, sizeof ts);
	return hg_sm4sm2_wrap(&c, ts, body, out, err);
}

int
hg_signer_envelope(struct hg_signer *s, struct json_object *env,
    struct hg_err *err)
{
	const struct hg_sign_conf *c;
	struct json_object *in, *sorted;
	unsigned char *sig;
	const char *text;
	size_t n;
	char *b64;
	int rc;

	if (s == NULL)
		return 0;
	c = s->conf;
	if (is(c->signtype, "fixed")) {
		json_object_object_add(env, "cainfo",
		    json_object_new_string(c->cainfo_value));
		json_object_object_add(env, "signtype",
		    json_object_new_string(c->signtype_value));
		return 0;
	}
	if (!is(c->signtype, "sm2"))
		return 0;
	if (!json_object_object_get_ex(env, "input", &in))
		return hg_fail(err, "signtype sm2: the envelope has no input");
	sorted = hg_json_sorted(in);
	text = json_object_to_json_string_ext(sorted, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = hg_sm2_sign(s->sm2, c->sm2_user_id, text, strlen(text), &sig, &n,
	    err);
	json_object_put(sorted);
	if (rc == -1)
		return -1;
	b64 = hg_base64(sig, n);
	free(sig);
	json_object_object_add(env, "cainfo", json_object_new_string(b64));
	json_object_object_add(env, "signtype", json_object_new_string("SM2"));
	free(b64);
	return 0;
}
