/* The simulator's gateway checks (see sim/verify.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "lib/access.h"
#include "lib/sign.h"
#include "lib/sign_env.h"
#include "lib/xmalloc.h"
#include "sim/dialect.h"
#include "sim/verify.h"

static const char *const profiles[] = { "plain", "apikey", "tif", "xca",
    "csb", "sm4sm2", NULL };

static int
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

void
sim_verify_init(struct sim_verify *v)
{
	memset(v, 0, sizeof *v);
	v->skew_s = 300;
	pthread_mutex_init(&v->lock, NULL);
}

int
sim_verify_profile(struct sim_verify *v, const char *name, struct hg_err *err)
{
	size_t i;

	for (i = 0; profiles[i] != NULL; i++)
		if (strcmp(profiles[i], name) == 0) {
			free(v->profile);
			v->profile = hg_xstrdup(name);
			return 0;
		}
	return hg_fail(err, "--profile %s: expected plain, apikey, tif, xca, "
	    "csb or sm4sm2", name);
}

static void
set(char **slot, const char *value)
{
	free(*slot);
	*slot = hg_xstrdup(value);
}

int
sim_verify_opt(struct sim_verify *v, const char *kv, struct hg_err *err)
{
	const char *eq = strchr(kv, '='), *val;
	char key[32], *end;
	size_t n;

	if (eq == NULL || (n = (size_t)(eq - kv)) == 0 || n >= sizeof key)
		return hg_fail(err, "--profile-opt %s: expected KEY=VALUE", kv);
	memcpy(key, kv, n);
	key[n] = '\0';
	val = eq + 1;
	if (is(key, "key_id"))
		set(&v->key_id, val);
	else if (is(key, "secret_file"))
		set(&v->secret_file, val);
	else if (is(key, "pubkey_file"))
		set(&v->pubkey_file, val);
	else if (is(key, "user_id"))
		set(&v->user_id, val);
	else if (is(key, "csb_api_name"))
		set(&v->api_name, val);
	else if (is(key, "csb_digest")) {
		if (!is(val, "hmac-sha1") && !is(val, "hmac-sha256"))
			return hg_fail(err, "--profile-opt csb_digest=%s: "
			    "expected hmac-sha1 or hmac-sha256", val);
		set(&v->digest, val);
	} else if (is(key, "ts_unit")) {
		if (!is(val, "s") && !is(val, "ms"))
			return hg_fail(err, "--profile-opt ts_unit=%s: "
			    "expected s or ms", val);
		set(&v->ts_unit, val);
	} else if (is(key, "signtype")) {
		if (!is(val, "sm2") && !is(val, ""))
			return hg_fail(err, "--profile-opt signtype=%s: "
			    "expected sm2 or nothing", val);
		v->signtype = is(val, "sm2");
	} else if (is(key, "skew")) {
		errno = 0;
		v->skew_s = strtoll(val, &end, 10);
		if (errno != 0 || end == val || *end != '\0' || v->skew_s < 0 ||
		    v->skew_s > 86400)
			return hg_fail(err, "--profile-opt skew=%s: expected "
			    "seconds from 0 to 86400", val);
	} else
		return hg_fail(err, "--profile-opt %s: unknown key \"%s\" "
		    "(key_id, secret_file, pubkey_file, user_id, skew, "
		    "ts_unit, csb_api_name, csb_digest, signtype)", kv, key);
	return 0;
}

int
sim_verify_ready(struct sim_verify *v, struct hg_err *err)
{
	const char *p = v->profile != NULL ? v->profile : "plain";

	if (v->user_id == NULL)
		v->user_id = hg_xstrdup(HG_SM2_DEFAULT_ID);
	if (v->digest == NULL)
		v->digest = hg_xstrdup("hmac-sha1");
	if (v->ts_unit == NULL)
		v->ts_unit = hg_xstrdup("s");
	if (!is(p, "plain") && v->secret_file == NULL)
		return hg_fail(err, "--profile %s needs --profile-opt "
		    "secret_file=FILE", p);
	if ((is(p, "tif") || is(p, "xca") || is(p, "csb") ||
	    is(p, "sm4sm2")) && v->key_id == NULL)
		return hg_fail(err, "--profile %s needs --profile-opt "
		    "key_id=ID", p);
	if ((is(p, "sm4sm2") || v->signtype) && v->pubkey_file == NULL)
		return hg_fail(err, "--profile %s needs --profile-opt "
		    "pubkey_file=FILE (the hospital's SM2 public key)", p);
	if (v->secret_file != NULL && (v->secret = hg_secret_read(
	    v->secret_file, 4096, err)) == NULL)
		return -1;
	if (v->pubkey_file != NULL &&
	    hg_sm2_load(v->pubkey_file, 0, &v->pub, err) == -1)
		return -1;
	return 0;
}

void
sim_verify_free(struct sim_verify *v)
{
	if (v->secret != NULL)
		OPENSSL_cleanse(v->secret, strlen(v->secret));
	free(v->secret);
	free(v->profile);
	free(v->key_id);
	free(v->secret_file);
	free(v->pubkey_file);
	free(v->user_id);
	free(v->digest);
	free(v->api_name);
	free(v->ts_unit);
	EVP_PKEY_free(v->pub);
	pthread_mutex_destroy(&v->lock);
}

static const char *
need(sim_header_fn hdr, void *arg, const char *name, struct hg_err *err)
{
	const char *s = hdr(arg, name);

	if (s == NULL || s[0] == '\0')
		sim_fail(err, "sign_missing", "签名信息缺失:请求头[%s]为空",
		    name);
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The timestamp ts (in unit) within the skew of now. */
static int
fresh(struct sim_verify *v, const char *ts, int ms, int64_t now_ms,
    struct hg_err *err)
{
	long long t, d;
	char *end;

	errno = 0;
	t = strtoll(ts, &end, 10);
	if (errno != 0 || end == ts || *end != '\0')
		return sim_fail(err, "sign_ts_format", "时间戳[%s]格式错误,"
		    "应为%s", ts, ms ? "毫秒数" : "秒数");
	d = (ms ? t : t * 1000) - now_ms;
	if (d < 0)
		d = -d;
	if (d / 1000 > v->skew_s)
		return sim_fail(err, "sign_ts_stale", "时间戳[%s]无效:与平台"
		    "时间相差%lld秒,超过允许的%lld秒", ts, d / 1000,
		    (long long)v->skew_s);
	return 0;
}

/* A nonce (or signature) seen within twice the skew is a replay. */
static int
once(struct sim_verify *v, const char *nonce, int64_t now_ms,
    struct hg_err *err)
{
	size_t i, slot = SIM_SEEN_MAX;
	int64_t oldest = INT64_MAX, horizon = now_ms - 2000 * v->skew_s - 1000;
	int replay = 0;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nseen; i++) {
		if (v->seen[i].at >= horizon &&
		    strncmp(v->seen[i].v, nonce, sizeof v->seen[i].v - 1) == 0)
			replay = 1;
		if (v->seen[i].at < oldest) {
			oldest = v->seen[i].at;
			slot = i;
		}
	}
	if (!replay) {
		if (v->nseen < SIM_SEEN_MAX)
			slot = v->nseen++;
		snprintf(v->seen[slot].v, sizeof v->seen[slot].v, "%s", nonce);
		v->seen[slot].at = now_ms;
	}
	pthread_mutex_unlock(&v->lock);
	if (replay)
		return sim_fail(err, "sign_replay", "重复请求:[%.64s]已使用过,"
		    "疑似重放", nonce);
	return 0;
}

static int
bad(struct hg_err *err, const char *what)
{
	return sim_fail(err, "sign_bad", "签名验证失败:%s不正确", what);
}

static int
check_tif(struct sim_verify *v, sim_header_fn hdr, void *arg, int64_t now,
    struct hg_err *err)
{
	const char *id, *ts, *nonce, *sig;
	char want[65];

	if ((id = need(hdr, arg, "x-tif-paasid", err)) == NULL ||
	    (ts = need(hdr, arg, "x-tif-timestamp", err)) == NULL ||
	    (nonce = need(hdr, arg, "x-tif-nonce", err)) == NULL ||
	    (sig = need(hdr, arg, "x-tif-signature", err)) == NULL)
		return -1;
	if (!is(id, v->key_id))
		return sim_fail(err, "sign_key_unknown", "应用标识[%s]未授权",
		    id);
	if (hg_sign_tif(ts, v->secret, nonce, want, err) == -1)
		return -1;
	if (strcmp(sig, want) != 0)
		return bad(err, "x-tif-signature");
	if (fresh(v, ts, 0, now, err) == -1)
		return -1;
	return once(v, nonce, now, err);
}

static int
check_xca(struct sim_verify *v, sim_header_fn hdr, void *arg,
    const char *body, size_t len, int64_t now, struct hg_err *err)
{
	const char *id, *sig, *colon;
	char ts[32], want[128];

	if ((id = need(hdr, arg, "x-ca-key", err)) == NULL ||
	    (sig = need(hdr, arg, "x-ca-signature", err)) == NULL)
		return -1;
	if (!is(id, v->key_id))
		return sim_fail(err, "sign_key_unknown", "应用标识[%s]未授权",
		    id);
	if ((colon = strchr(sig, ':')) == NULL ||
	    (size_t)(colon - sig) >= sizeof ts)
		return bad(err, "x-ca-signature");
	memcpy(ts, sig, (size_t)(colon - sig));
	ts[colon - sig] = '\0';
	if (hg_sign_xca(v->secret, ts, body, len, want, sizeof want,
	    err) == -1)
		return -1;
	if (strcmp(sig, want) != 0)
		return bad(err, "x-ca-signature");
	if (fresh(v, ts, is(v->ts_unit, "ms"), now, err) == -1)
		return -1;
	return once(v, sig, now, err);
}

static int
check_csb(struct sim_verify *v, sim_header_fn hdr, void *arg, int64_t now,
    struct hg_err *err)
{
	const char *k[] = { "_api_name", "_api_version", "_api_timestamp",
	    "_api_access_key" };
	const char *val[4], *sig;
	char *want;
	size_t i;
	int ok;

	for (i = 0; i < 4; i++)
		if ((val[i] = need(hdr, arg, k[i], err)) == NULL)
			return -1;
	if ((sig = need(hdr, arg, "_api_signature", err)) == NULL)
		return -1;
	if (!is(val[3], v->key_id))
		return sim_fail(err, "sign_key_unknown", "应用标识[%s]未授权",
		    val[3]);
	if (v->api_name != NULL && !is(val[0], v->api_name))
		return sim_fail(err, "sign_api_unknown", "服务[%s]不存在",
		    val[0]);
	if (hg_sign_csb(v->digest, v->secret, k, val, 4, &want, err) == -1)
		return -1;
	ok = strcmp(sig, want) == 0;
	free(want);
	if (!ok)
		return bad(err, "_api_signature");
	if (fresh(v, val[2], 1, now, err) == -1)
		return -1;
	return once(v, sig, now, err);
}

static int
check_sm4sm2(struct sim_verify *v, const char *body, size_t len, int64_t now,
    char **plain, struct hg_err *err)
{
	struct hg_sm4sm2 c;
	char *ts = NULL;
	struct hg_err e;

	c.app_id = v->key_id;
	c.app_secret = v->secret;
	c.version = "1.0.0";
	c.user_id = v->user_id;
	c.key = v->pub;
	if (hg_sm4sm2_open(&c, body, len, plain, &ts, &e) == -1)
		return sim_fail(err, "sign_envelope", "报文验签或解密失败:%s",
		    e.msg);
	if (fresh(v, ts, 1, now, err) == -1 || once(v, ts, now, err) == -1) {
		free(*plain);
		*plain = NULL;
		free(ts);
		return -1;
	}
	free(ts);
	return 0;
}

int
sim_verify_request(struct sim_verify *v, sim_header_fn hdr, void *arg,
    const char *body, size_t len, int64_t now, char **plain,
    struct hg_err *err)
{
	const char *p = v->profile, *key;

	*plain = NULL;
	if (p == NULL || is(p, "plain"))
		return 0;
	if (is(p, "apikey")) {
		if ((key = need(hdr, arg, "apikey", err)) == NULL)
			return -1;
		return strcmp(key, v->secret) == 0 ? 0 : bad(err, "apikey");
	}
	if (is(p, "tif"))
		return check_tif(v, hdr, arg, now, err);
	if (is(p, "xca"))
		return check_xca(v, hdr, arg, body, len, now, err);
	if (is(p, "csb"))
		return check_csb(v, hdr, arg, now, err);
	return check_sm4sm2(v, body, len, now, plain, err);
}

int
sim_verify_envelope(struct sim_verify *v, const char *body, size_t len,
    struct hg_err *err)
{
	struct json_object *env, *in, *sorted;
	struct json_tokener *tok;
	const char *cainfo, *text;
	unsigned char *sig = NULL;
	size_t n = 0;
	int rc = -1;

	if (!v->signtype)
		return 0;
	tok = json_tokener_new();
	env = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (env == NULL || !json_object_object_get_ex(env, "input", &in)) {
		json_object_put(env);
		return 0;	/* the platform itself explains a bad envelope */
	}
	cainfo = json_object_get_string(json_object_object_get(env, "cainfo"));
	if (cainfo == NULL || cainfo[0] == '\0' ||
	    hg_unbase64(cainfo, &sig, &n) == -1) {
		sim_fail(err, "sign_cainfo", "数字签名信息[cainfo]为空或格式"
		    "错误");
		goto out;
	}
	sorted = hg_json_sorted(in);
	text = json_object_to_json_string_ext(sorted, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (hg_sm2_verify(v->pub, v->user_id, text, strlen(text), sig, n,
	    err) == -1)
		bad(err, "数字签名信息[cainfo]");
	else
		rc = 0;
	json_object_put(sorted);
out:
	free(sig);
	json_object_put(env);
	return rc;
}
