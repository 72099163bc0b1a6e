/* The provincial platform as the agent sees it: the [platform] and [settle]
 * configuration, an HTTP(S) transport over libcurl (one easy handle per
 * thread, so connections are kept alive and reused), gateway
 * authentication, and one call = sign-in + msgid + envelope + journal +
 * POST + classification.
 *
 * The classification is the part that matters for "nothing settled
 * twice": a request that provably never left (connection refused, DNS,
 * TLS handshake, a gateway's 4xx) is safe to send again; anything that may
 * have reached the platform without an answer coming back is UNKNOWN and
 * must be resolved by asking the platform (2601, 5201, 5203: see
 * doc/settle-notes.md) before anything is re-sent.
 *
 * This file: the configuration and the state the threads share (secrets
 * read once).  platform_http.c is the transport, platform_call.c the calls
 * and the sign-in (9001). */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "agent/platform.h"
#include "agent/platform_int.h"
#include "lib/access.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

static const char *const auth_kinds[] = { "none", "apikey", "tif", NULL };
static const char *const cert_types[] = { "01", "02", "03", NULL };

/* profile = "apikey"/"tif" is what auth = "apikey"/"tif" said before */
#define AUTH(pc)	(strcmp((pc)->sign.profile, "plain") != 0 ? \
			    (pc)->sign.profile : (pc)->auth)

/* An API key or PaaS token: one line, far below this. */
#define SECRET_MAX	4095

#define P(f) offsetof(struct hg_platform_conf, f)
const struct hg_conf_key hg_platform_keys[] = {
	{ "url", HG_CT_STR, "http://127.0.0.1:8080/", 0, 0, P(url),
	  "the platform's URL, http:// or https://; every infno is POSTed "
	  "there", NULL, 0 },
	{ "timeout_ms", HG_CT_INT, "30000", 100, 3600000, P(timeout_ms),
	  "how long one call may take before its outcome is unknown", NULL,
	  0 },
	{ "timeouts", HG_CT_MAP, "{}", 0, 0, P(timeouts),
	  "per-infno overrides of timeout_ms, e.g. { t2304 = 60000; } (the "
	  "key ends in the 4-digit infno)", NULL, 0 },
	{ "connect_timeout_ms", HG_CT_INT, "5000", 100, 600000,
	  P(connect_timeout_ms), "how long to wait for a connection (a "
	  "request that never connected is safe to retry)", NULL, 0 },
	{ "verify", HG_CT_BOOL, "true", 0, 0, P(verify),
	  "verify the platform's TLS certificate and host name", NULL, 0 },
	{ "insecure", HG_CT_BOOL, "false", 0, 0, P(insecure),
	  "required with verify = false: the agent then warns hourly and "
	  "doctor says so", NULL, 0 },
	{ "ca_file", HG_CT_STR, "", 0, 0, P(ca_file),
	  "CA certificates (PEM) to verify the platform with; \"\" = the "
	  "system's", NULL, 0 },
	{ "cert_file", HG_CT_STR, "", 0, 0, P(cert_file),
	  "client certificate (PEM) for mutual TLS; \"\" = none", NULL, 0 },
	{ "key_file", HG_CT_STR, "", 0, 0, P(key_file),
	  "its private key (PEM); must be readable by its owner only", NULL,
	  0 },
	{ "gzip", HG_CT_BOOL, "false", 0, 0, P(gzip),
	  "gzip request bodies (Content-Encoding: gzip)", NULL, 0 },
	{ "auth", HG_CT_ENUM, "none", 0, 0, P(auth),
	  "gateway authentication: none, apikey (an apikey header) or tif "
	  "(x-tif-* headers signed with SHA-256)", auth_kinds, 0 },
	{ "apikey_file", HG_CT_STR, "", 0, 0, P(apikey_file),
	  "file holding the API key (auth = \"apikey\"); owner-only", NULL,
	  0 },
	{ "paas_id", HG_CT_STR, "", 0, 0, P(paas_id),
	  "x-tif-paasid (auth = \"tif\")", NULL, 0 },
	{ "paas_token_file", HG_CT_STR, "", 0, 0, P(paas_token_file),
	  "file holding the paas token (auth = \"tif\"); owner-only", NULL,
	  0 },
	{ "recer_sys_code", HG_CT_STR, "YBXT", 0, 0, P(recer_sys_code),
	  "receiver system code of the envelope", NULL, 0 },
	{ "infver", HG_CT_STR, "V1.0", 0, 0, P(infver),
	  "interface version of the envelope", NULL, 0 },
	{ "opter_type", HG_CT_STR, "1", 0, 0, P(opter_type),
	  "operator type: 1 staff, 2 self-service, 3 mobile", NULL, 0 },
	{ "opter", HG_CT_STR, "hisgate", 0, 0, P(opter),
	  "operator ID sent with every call and signed in with 9001", NULL,
	  0 },
	{ "opter_name", HG_CT_STR, "hisgate", 0, 0, P(opter_name),
	  "operator name sent with every call", NULL, 0 },
	{ "chunk_size", HG_CT_INT, "100", 1, 1000, P(chunk_size),
	  "fee items per 2301 upload", NULL, 0 },
	{ "mdtrt_cert_type", HG_CT_ENUM, "02", 0, 0, P(mdtrt_cert_type),
	  "就诊凭证 type sent with the certificate number: 01 e-voucher, 02 "
	  "ID card, 03 social-security card", cert_types, 0 },
	HG_SIGN_KEYS(P),
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef P

#define S(f) offsetof(struct hg_settle_conf, f)
const struct hg_conf_key hg_settle_keys[] = {
	{ "enabled", HG_CT_BOOL, "true", 0, 0, S(enabled),
	  "settle bills with the platform (false: intake only)", NULL, 0 },
	{ "workers", HG_CT_INT, "4", 1, 32, S(workers),
	  "settlement threads; bills of one patient stay in order", NULL, 0 },
	{ "rate_per_sec", HG_CT_INT, "0", 0, 10000, S(rate_per_sec),
	  "platform calls per second across all workers; 0 = no limit",
	  NULL, 0 },
	{ "backoff_base_ms", HG_CT_INT, "1000", 1, 3600000,
	  S(backoff_base_ms), "first retry delay; twice as long per attempt, with "
	  "full jitter", NULL, 0 },
	{ "backoff_cap_ms", HG_CT_INT, "300000", 1, 86400000,
	  S(backoff_cap_ms), "longest retry delay", NULL, 0 },
	{ "lease_ms", HG_CT_INT, "120000", 1000, 86400000, S(lease_ms),
	  "how long a worker holds a bill before another may take it over; "
	  "renewed at every step", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef S

/* ---------------------------------------------------------------------- */
/* configuration checks */

int
hg_secret_file_check(const char *path, struct hg_err *err)
{
	/* mode and owner: lib/access.c */
	return hg_secret_check(path, err);
}

static int
infno_of_key(const char *key, char out[5])
{
	size_t len = strlen(key);

	if (len < 4 || strspn(key + len - 4, "0123456789") != 4)
		return -1;
	memcpy(out, key + len - 4, 5);
	return 0;
}

int64_t
hg_platform_timeout(const struct hg_platform_conf *pc, const char *infno)
{
	char k[5];
	size_t i;

	for (i = 0; i < pc->timeouts.n; i++)
		if (infno_of_key(pc->timeouts.v[i].key, k) == 0 &&
		    strcmp(k, infno) == 0)
			return strtoll(pc->timeouts.v[i].value, NULL, 10);
	return pc->timeout_ms;
}

static void
check_secret(const char *key, const char *path, const char *file,
    struct hg_conf_errs *errs)
{
	struct hg_err err;

	if (path == NULL || path[0] == '\0')
		return;
	if (hg_secret_file_check(path, &err) == -1)
		hg_conf_errs_add(errs, file, 0, "platform.%s: %s", key,
		    err.msg);
}

void
hg_platform_conf_check(const struct hg_platform_conf *pc,
    const struct hg_settle_conf *sc, const char *file,
    struct hg_conf_errs *errs)
{
	const struct hg_kv *kv;
	char k[5], *end;
	long long v, longest = pc->timeout_ms;
	size_t i;

	if (strncmp(pc->url, "http://", 7) != 0 &&
	    strncmp(pc->url, "https://", 8) != 0)
		hg_conf_errs_add(errs, file, 0, "platform.url: \"%s\" is not "
		    "an http:// or https:// URL", pc->url);
	for (i = 0; i < pc->timeouts.n; i++) {
		kv = &pc->timeouts.v[i];
		v = strtoll(kv->value, &end, 10);
		if (infno_of_key(kv->key, k) == -1)
			hg_conf_errs_add(errs, file, kv->line, "platform."
			    "timeouts.%s: the name must end in a 4-digit "
			    "infno, like t2304", kv->key);
		else if (*end != '\0' || v < 100 || v > 3600000)
			hg_conf_errs_add(errs, file, kv->line, "platform."
			    "timeouts.%s: \"%s\" is not a number of "
			    "milliseconds from 100 to 3600000", kv->key,
			    kv->value);
		else if (v > longest)
			longest = v;
	}
	/* A worker renews its lease before each call; a call that outlives
	 * the lease could let a second worker take the bill meanwhile. */
	if (sc->lease_ms <= longest + pc->connect_timeout_ms)
		hg_conf_errs_add(errs, file, 0, "settle.lease_ms (%lld) must "
		    "be longer than the longest call (%lld ms) plus "
		    "platform.connect_timeout_ms (%lld)",
		    (long long)sc->lease_ms, longest,
		    (long long)pc->connect_timeout_ms);
	if (sc->backoff_cap_ms < sc->backoff_base_ms)
		hg_conf_errs_add(errs, file, 0, "settle.backoff_cap_ms (%lld) "
		    "is below backoff_base_ms (%lld)",
		    (long long)sc->backoff_cap_ms,
		    (long long)sc->backoff_base_ms);
	if (pc->key_file[0] != '\0' && pc->cert_file[0] == '\0')
		hg_conf_errs_add(errs, file, 0, "platform.key_file is set but "
		    "cert_file is not: mutual TLS needs both");
	if (strcmp(AUTH(pc), "apikey") == 0 && pc->apikey_file[0] == '\0')
		hg_conf_errs_add(errs, file, 0, "platform.auth = \"apikey\" "
		    "needs apikey_file");
	if (strcmp(AUTH(pc), "tif") == 0 && (pc->paas_id[0] == '\0' ||
	    pc->paas_token_file[0] == '\0'))
		hg_conf_errs_add(errs, file, 0, "platform.auth = \"tif\" needs "
		    "paas_id and paas_token_file");
	check_secret("key_file", pc->key_file, file, errs);
	check_secret("apikey_file", pc->apikey_file, file, errs);
	check_secret("paas_token_file", pc->paas_token_file, file, errs);
	hg_sign_conf_check(&pc->sign, pc->auth, file, errs);
	if (!pc->verify && !pc->insecure)
		hg_conf_errs_add(errs, file, 0, "platform.verify = false "
		    "sends settlements to whoever answers: set insecure = true "
		    "as well if that is really meant (a test platform)");
}

/* ---------------------------------------------------------------------- */
/* shared state */

void
pf_wipe_free(char *s)
{
	if (s == NULL)
		return;
	memset(s, 0, strlen(s));
	free(s);
}

int
hg_platform_shared_init(struct hg_platform_shared *sh,
    const struct hg_platform_conf *pc, const struct hg_nhsa_hdr *hdr,
    const char *msgid_state, struct hg_err *err)
{
	memset(sh, 0, sizeof *sh);
	sh->conf = pc;
	sh->hdr = *hdr;
	sh->hdr.recer_sys_code = pc->recer_sys_code;
	sh->hdr.infver = pc->infver;
	sh->hdr.opter_type = pc->opter_type;
	sh->hdr.opter = pc->opter;
	sh->hdr.opter_name = pc->opter_name;
	sh->hdr.sign_no = NULL;
	hg_clock_skew_init(&sh->clock);
	if (strcmp(AUTH(pc), "apikey") == 0 &&
	    (sh->apikey = hg_secret_read(pc->apikey_file,
	    SECRET_MAX, err)) == NULL)
		goto fail;
	if (strcmp(AUTH(pc), "tif") == 0 &&
	    (sh->paas_token = hg_secret_read(
	    pc->paas_token_file, SECRET_MAX, err)) == NULL)
		goto fail;
	if (pc->key_file[0] != '\0' &&
	    hg_secret_file_check(pc->key_file, err) == -1)
		goto fail;
	if (hg_signer_new(&pc->sign, &sh->signer, err) == -1)
		goto fail;
	if (hg_nhsa_msgid_init(&sh->msgid, hdr->fixmedins_code, msgid_state,
	    0, err) == -1)
		goto fail;
	/* libcurl and OpenSSL start at the first call (pf_post) */
	pthread_mutex_init(&sh->lock, NULL);
	return 0;
fail:
	hg_err_prefix(err, "platform");
	hg_clock_skew_destroy(&sh->clock);
	pf_wipe_free(sh->apikey);
	pf_wipe_free(sh->paas_token);
	sh->apikey = sh->paas_token = NULL;
	return -1;
}

void
hg_platform_shared_destroy(struct hg_platform_shared *sh)
{
	pf_wipe_free(sh->apikey);
	pf_wipe_free(sh->paas_token);
	sh->apikey = sh->paas_token = NULL;
	hg_signer_free(sh->signer);
	sh->signer = NULL;
	hg_clock_skew_destroy(&sh->clock);
	hg_nhsa_msgid_destroy(&sh->msgid);
	pthread_mutex_destroy(&sh->lock);
	pf_curl_stop(sh);
}
