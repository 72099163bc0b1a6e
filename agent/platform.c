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
 * must be resolved by asking (5203) before anything is re-sent. */
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
#include "lib/log.h"
#include "lib/xmalloc.h"

#define COMP		"platform"
#define MAX_REPLY	(8 * 1024 * 1024)	/* a settlement answer is ~4 KB */

static const char *const auth_kinds[] = { "none", "apikey", "tif", NULL };
static const char *const cert_types[] = { "01", "02", "03", NULL };

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
	struct stat st;

	if (stat(path, &st) == -1)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hg_fail(err, "%s: not a regular file", path);
	/* A secret another local user can read is no longer a secret. */
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH))
		return hg_fail(err, "%s: mode %04o lets group or others read "
		    "or write it; it holds a secret (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
	return 0;
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
	if (strcmp(pc->auth, "apikey") == 0 && pc->apikey_file[0] == '\0')
		hg_conf_errs_add(errs, file, 0, "platform.auth = \"apikey\" "
		    "needs apikey_file");
	if (strcmp(pc->auth, "tif") == 0 && (pc->paas_id[0] == '\0' ||
	    pc->paas_token_file[0] == '\0'))
		hg_conf_errs_add(errs, file, 0, "platform.auth = \"tif\" needs "
		    "paas_id and paas_token_file");
	check_secret("key_file", pc->key_file, file, errs);
	check_secret("apikey_file", pc->apikey_file, file, errs);
	check_secret("paas_token_file", pc->paas_token_file, file, errs);
}

/* ---------------------------------------------------------------------- */
/* small pure pieces */

void
hg_tif_signature(const char *ts, const char *token, const char *nonce,
    char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *in;

	in = hg_xasprintf("%s%s%s%s", ts, token, nonce, ts);
	EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha256(), NULL);
	/* the token is inside: wipe it before freeing */
	memset(in, 0, strlen(in));
	free(in);
	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
}

int
hg_gzip(const char *in, size_t len, char **out, size_t *outlen,
    struct hg_err *err)
{
	z_stream zs;
	size_t cap;
	char *buf;
	int rc;

	memset(&zs, 0, sizeof zs);
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return hg_fail(err, "gzip: deflateInit2 failed");
	cap = deflateBound(&zs, (uLong)len) + 32;
	buf = hg_xmalloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return hg_fail(err, "gzip: deflate failed (%d)", rc);
	}
	*out = buf;
	*outlen = cap - zs.avail_out;
	return 0;
}

enum hg_call_outcome
hg_transport_class(int code, long status, int sent)
{
	switch (code) {
	case CURLE_OK:
		if (status >= 200 && status < 300)
			return HG_CALL_OK;
		/* A gateway that refuses (auth, size, rate) has not passed
		 * the request on; a 5xx may come after the platform did the
		 * work. */
		if (status >= 400 && status < 500)
			return HG_CALL_NOTSENT;
		return HG_CALL_UNKNOWN;
	/* failures before a single byte of the request can have left */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_FAILED_INIT:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return HG_CALL_NOTSENT;
	case CURLE_SEND_FAIL_REWIND:
		/* the connection died mid-request and we refused a silent
		 * resend (on_seek) */
		return HG_CALL_UNKNOWN;
	default:
		/* A timeout, reset or empty reply: only when nothing of the
		 * request was written is the outcome known. */
		return sent ? HG_CALL_UNKNOWN : HG_CALL_NOTSENT;
	}
}

/* ---------------------------------------------------------------------- */
/* shared state */

static char *
read_secret(const char *path, struct hg_err *err)
{
	char buf[4096], *s;
	ssize_t n;
	int fd;

	if (hg_secret_file_check(path, err) == -1)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		hg_fail(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		hg_fail(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0) {
		hg_fail(err, "%s: empty", path);
		return NULL;
	}
	s = hg_xstrdup(buf);
	memset(buf, 0, sizeof buf);
	return s;
}

static void
wipe_free(char *s)
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
	if (strcmp(pc->auth, "apikey") == 0 &&
	    (sh->apikey = read_secret(pc->apikey_file, err)) == NULL)
		goto fail;
	if (strcmp(pc->auth, "tif") == 0 &&
	    (sh->paas_token = read_secret(pc->paas_token_file, err)) == NULL)
		goto fail;
	if (pc->key_file[0] != '\0' &&
	    hg_secret_file_check(pc->key_file, err) == -1)
		goto fail;
	if (hg_nhsa_msgid_init(&sh->msgid, hdr->fixmedins_code, msgid_state,
	    0, err) == -1)
		goto fail;
	/* not thread-safe: the daemon and the CLI call this before any
	 * thread starts */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		hg_nhsa_msgid_destroy(&sh->msgid);
		hg_fail(err, "curl_global_init failed");
		goto fail;
	}
	pthread_mutex_init(&sh->lock, NULL);
	return 0;
fail:
	hg_err_prefix(err, "platform");
	wipe_free(sh->apikey);
	wipe_free(sh->paas_token);
	sh->apikey = sh->paas_token = NULL;
	return -1;
}

void
hg_platform_shared_destroy(struct hg_platform_shared *sh)
{
	wipe_free(sh->apikey);
	wipe_free(sh->paas_token);
	sh->apikey = sh->paas_token = NULL;
	hg_nhsa_msgid_destroy(&sh->msgid);
	pthread_mutex_destroy(&sh->lock);
	curl_global_cleanup();
}

/* ---------------------------------------------------------------------- */
/* one thread's transport */

struct hg_platform {
	struct hg_platform_shared *sh;
	CURL	*curl;
	const char *body;	/* the request body being sent */
	size_t	 body_len, body_pos;
	char	*buf;		/* the answer, NUL-terminated */
	size_t	 len, cap;
	int	 overflow;
	char	 errbuf[CURL_ERROR_SIZE];
};

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct hg_platform *p = arg;
	size_t len = size * n;

	if (p->len + len > MAX_REPLY) {
		p->overflow = 1;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (p->len + len + 1 > p->cap) {
		p->cap = (p->len + len + 1) * 2;
		p->buf = hg_xrealloc(p->buf, 1, p->cap);
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	p->buf[p->len] = '\0';
	return len;
}

static size_t
on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct hg_platform *p = arg;
	size_t len = size * n;

	if (len > p->body_len - p->body_pos)
		len = p->body_len - p->body_pos;
	memcpy(buf, p->body + p->body_pos, len);
	p->body_pos += len;
	return len;
}

/* libcurl silently sends a request again when a kept-alive connection
 * dies before any answer byte: for a settlement that is a second send
 * nobody decided on.  Refusing to rewind a body that has started to go
 * turns it into CURLE_SEND_FAIL_REWIND, an outcome we classify as
 * unknown. */
static int
on_seek(void *arg, curl_off_t offset, int origin)
{
	struct hg_platform *p = arg;

	if (origin == SEEK_SET && offset == 0 && p->body_pos == 0)
		return CURL_SEEKFUNC_OK;
	return CURL_SEEKFUNC_CANTSEEK;
}

struct hg_platform *
hg_platform_new(struct hg_platform_shared *sh, struct hg_err *err)
{
	const struct hg_platform_conf *pc = sh->conf;
	struct hg_platform *p;

	p = hg_xcalloc(1, sizeof *p);
	p->sh = sh;
	if ((p->curl = curl_easy_init()) == NULL) {
		free(p);
		hg_fail(err, "platform: curl_easy_init failed");
		return NULL;
	}
	curl_easy_setopt(p->curl, CURLOPT_URL, pc->url);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(p->curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)pc->connect_timeout_ms);
	curl_easy_setopt(p->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(p->curl, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(p->curl, CURLOPT_READDATA, p);
	curl_easy_setopt(p->curl, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(p->curl, CURLOPT_SEEKDATA, p);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, p->errbuf);
	/* "" offers every encoding curl can decode (gzip, deflate) */
	curl_easy_setopt(p->curl, CURLOPT_ACCEPT_ENCODING, "");
	/* Never follow a redirect with a settlement body. */
	curl_easy_setopt(p->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYPEER, pc->verify ? 1L :
	    0L);
	curl_easy_setopt(p->curl, CURLOPT_SSL_VERIFYHOST, pc->verify ? 2L :
	    0L);
	if (pc->ca_file[0] != '\0')
		curl_easy_setopt(p->curl, CURLOPT_CAINFO, pc->ca_file);
	if (pc->cert_file[0] != '\0')
		curl_easy_setopt(p->curl, CURLOPT_SSLCERT, pc->cert_file);
	if (pc->key_file[0] != '\0')
		curl_easy_setopt(p->curl, CURLOPT_SSLKEY, pc->key_file);
	return p;
}

void
hg_platform_free(struct hg_platform *p)
{
	if (p == NULL)
		return;
	curl_easy_cleanup(p->curl);
	free(p->buf);
	free(p);
}

static struct curl_slist *
auth_headers(struct hg_platform *p, struct curl_slist *h)
{
	const struct hg_platform_conf *pc = p->sh->conf;
	unsigned char rnd[16];
	char ts[32], nonce[33], sig[65], *line;
	size_t i;

	if (p->sh->apikey != NULL) {
		line = hg_xasprintf("apikey: %s", p->sh->apikey);
		h = curl_slist_append(h, line);
		wipe_free(line);
	}
	if (p->sh->paas_token != NULL) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			for (i = 0; i < sizeof rnd; i++)
				rnd[i] = (unsigned char)(rand() & 0xff);
		for (i = 0; i < sizeof rnd; i++)
			snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
		snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
		hg_tif_signature(ts, p->sh->paas_token, nonce, sig);
		line = hg_xasprintf("x-tif-paasid: %s", pc->paas_id);
		h = curl_slist_append(h, line);
		free(line);
		line = hg_xasprintf("x-tif-timestamp: %s", ts);
		h = curl_slist_append(h, line);
		free(line);
		line = hg_xasprintf("x-tif-nonce: %s", nonce);
		h = curl_slist_append(h, line);
		free(line);
		line = hg_xasprintf("x-tif-signature: %s", sig);
		h = curl_slist_append(h, line);
		free(line);
	}
	return h;
}

/* POST body; the answer is in p->buf/p->len.  Returns the transport's
 * verdict (OK means an HTTP 2xx with a body still to be parsed). */
static enum hg_call_outcome
post(struct hg_platform *p, const char *infno, const char *body,
    struct hg_err *err)
{
	const struct hg_platform_conf *pc = p->sh->conf;
	struct curl_slist *h = NULL;
	enum hg_call_outcome oc;
	char *gz = NULL;
	size_t gzlen = 0;
	long status = 0, reqsize = 0;
	curl_off_t up = 0;
	CURLcode rc;

	p->len = 0;
	p->overflow = 0;
	p->errbuf[0] = '\0';
	if (p->buf != NULL)
		p->buf[0] = '\0';
	h = curl_slist_append(h, "Content-Type: application/json;"
	    "charset=utf-8");
	/* no 100-continue round trip: one request, one answer */
	h = curl_slist_append(h, "Expect:");
	if (pc->gzip) {
		if (hg_gzip(body, strlen(body), &gz, &gzlen, err) == -1) {
			curl_slist_free_all(h);
			return HG_CALL_NOTSENT;
		}
		h = curl_slist_append(h, "Content-Encoding: gzip");
		p->body = gz;
		p->body_len = gzlen;
	} else {
		p->body = body;
		p->body_len = strlen(body);
	}
	p->body_pos = 0;
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)p->body_len);
	h = auth_headers(p, h);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS,
	    (long)hg_platform_timeout(pc, infno));
	rc = curl_easy_perform(p->curl);
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(p->curl, CURLINFO_REQUEST_SIZE, &reqsize);
	curl_easy_getinfo(p->curl, CURLINFO_SIZE_UPLOAD_T, &up);
	/* the header list holds the apikey: wipe it with the list */
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	p->body = NULL;
	p->body_len = 0;
	free(gz);
	oc = hg_transport_class((int)rc, status, reqsize > 0 || up > 0 ||
	    p->body_pos > 0);
	if (rc != CURLE_OK) {
		if (p->overflow)
			hg_failt(err, "%s: answer larger than %d bytes", infno,
			    MAX_REPLY);
		else
			hg_failt(err, "%s: %s%s%s", infno,
			    curl_easy_strerror(rc), p->errbuf[0] ? ": " : "",
			    p->errbuf);
	} else if (oc != HG_CALL_OK) {
		hg_failt(err, "%s: HTTP %ld from the platform", infno, status);
	}
	if (oc == HG_CALL_NOTSENT && rc != CURLE_OK)
		hg_err_prefix(err, "not sent");
	else if (oc == HG_CALL_UNKNOWN)
		hg_err_prefix(err, "outcome unknown");
	return oc;
}

/* ---------------------------------------------------------------------- */
/* calls */

static int
signin_expired(const struct hg_nhsa_resp *r)
{
	return r->cls != HG_NHSA_OK && strstr(r->err_msg, "签到") != NULL;
}

/* One attempt: msgid, envelope, journal, POST, parse. */
static enum hg_call_outcome
attempt(struct hg_platform *p, const char *infno, const char *insuplc,
    struct json_object *input, const char *sign_no,
    const struct hg_journal *j, struct hg_call *call)
{
	struct hg_nhsa_hdr hdr = p->sh->hdr;
	struct json_object *env;
	enum hg_call_outcome oc;
	const char *state;
	char *body;

	if (hg_nhsa_msgid(&p->sh->msgid, time(NULL), call->msgid) == -1) {
		call->err = p->sh->msgid.err;
		return call->outcome = HG_CALL_NOTSENT;
	}
	hdr.sign_no = sign_no;
	env = hg_nhsa_envelope(&hdr, infno, call->msgid, insuplc, time(NULL),
	    json_object_get(input));
	body = hg_nhsa_json_text(env);
	json_object_put(env);
	/* Journal first: a request that is not on disk is not sent. */
	if (j != NULL && j->sent != NULL && j->sent(j->arg, infno,
	    call->msgid, body, &call->err) == -1) {
		free(body);
		return call->outcome = HG_CALL_NOTSENT;
	}
	oc = post(p, infno, body, &call->err);
	free(body);
	if (oc == HG_CALL_OK) {
		if (hg_nhsa_resp_parse(p->buf ? p->buf : "", p->len,
		    &call->resp, &call->err) == -1) {
			hg_err_prefix(&call->err, "%s", infno);
			oc = HG_CALL_UNKNOWN;
		} else {
			call->have_resp = 1;
			switch (call->resp.cls) {
			case HG_NHSA_OK:
				break;
			case HG_NHSA_SYSERR:
				oc = HG_CALL_UNKNOWN;
				hg_failt(&call->err, "%s: infcode -1 (outcome "
				    "unknown): %s", infno, call->resp.err_msg);
				break;
			default:
				oc = HG_CALL_REFUSED;
				hg_fail(&call->err, "%s: infcode %lld: %s",
				    infno, (long long)call->resp.infcode,
				    call->resp.err_msg);
				/* "this msgid again": the platform has seen
				 * it before, so what it did with it then is
				 * not known from this answer */
				if (strstr(call->resp.err_msg, "msgid") !=
				    NULL && strstr(call->resp.err_msg,
				    "重复") != NULL) {
					oc = HG_CALL_UNKNOWN;
					call->err.kind = HG_ETEMP;
				}
				break;
			}
		}
	}
	state = oc == HG_CALL_OK ? "ok" : oc == HG_CALL_UNKNOWN ? "unknown" :
	    "failed";
	if (j != NULL && j->answered != NULL)
		j->answered(j->arg, call->msgid, state, p->len > 0 ? p->buf :
		    NULL, oc == HG_CALL_OK ? NULL : call->err.msg);
	return call->outcome = oc;
}

static int
do_signin(struct hg_platform *p, struct hg_err *err)
{
	struct json_object *in;
	struct hg_call c;
	char sign_no[HG_NHSA_IDBUF];
	enum hg_call_outcome oc;
	int rc = -1;

	memset(&c, 0, sizeof c);
	snprintf(c.infno, sizeof c.infno, "9001");
	in = hg_nhsa_in_9001(p->sh->conf->opter, "", "127.0.0.1");
	oc = attempt(p, "9001", NULL, in, "", NULL, &c);
	json_object_put(in);
	if (oc != HG_CALL_OK) {
		*err = c.err;
		/* a sign-in has no lasting effect: whatever went wrong,
		 * nothing else was sent */
		err->kind = HG_ETEMP;
		hg_err_prefix(err, "sign-in (9001)");
		goto out;
	}
	if (hg_nhsa_out_9001(c.resp.output, sign_no, NULL, err) == -1) {
		err->kind = HG_ETEMP;
		goto out;
	}
	snprintf(p->sh->sign_no, sizeof p->sh->sign_no, "%s", sign_no);
	p->sh->signin_gen++;
	log_info(COMP, "signed in as %s (9001)", p->sh->conf->opter);
	rc = 0;
out:
	hg_call_free(&c);
	return rc;
}

int
hg_platform_signin(struct hg_platform *p, struct hg_err *err)
{
	int rc = 0;

	/* One sign-in at a time: the others wait for its sign_no rather
	 * than each signing in. */
	pthread_mutex_lock(&p->sh->lock);
	if (p->sh->sign_no[0] == '\0')
		rc = do_signin(p, err);
	pthread_mutex_unlock(&p->sh->lock);
	return rc;
}

enum hg_call_outcome
hg_platform_call(struct hg_platform *p, const char *infno,
    const char *insuplc_admdvs, struct json_object *input,
    const struct hg_journal *j, struct hg_call *call)
{
	char sign_no[HG_NHSA_IDBUF];
	unsigned gen;
	int tries;

	memset(call, 0, sizeof *call);
	snprintf(call->infno, sizeof call->infno, "%s", infno);
	for (tries = 0; tries < 2; tries++) {
		if (hg_platform_signin(p, &call->err) == -1) {
			call->outcome = HG_CALL_NOTSENT;
			break;
		}
		pthread_mutex_lock(&p->sh->lock);
		snprintf(sign_no, sizeof sign_no, "%s", p->sh->sign_no);
		gen = p->sh->signin_gen;
		pthread_mutex_unlock(&p->sh->lock);
		attempt(p, infno, insuplc_admdvs, input, sign_no, j, call);
		if (!call->have_resp || !signin_expired(&call->resp) ||
		    tries > 0)
			break;
		/* The platform refused the sign-in, so it did nothing with
		 * the call: sign in again (unless another thread already
		 * did) and send once more, under a new msgid. */
		log_notice(COMP, "%s: sign-in expired (%s); signing in again",
		    infno, call->resp.err_msg);
		pthread_mutex_lock(&p->sh->lock);
		if (p->sh->signin_gen == gen)
			p->sh->sign_no[0] = '\0';
		pthread_mutex_unlock(&p->sh->lock);
		hg_call_free(call);
		memset(call, 0, sizeof *call);
		snprintf(call->infno, sizeof call->infno, "%s", infno);
	}
	json_object_put(input);
	return call->outcome;
}

void
hg_call_free(struct hg_call *call)
{
	if (call->have_resp)
		hg_nhsa_resp_free(&call->resp);
	call->have_resp = 0;
}
