/* The agent's transport to the platform (agent/platform.h): libcurl, one
 * easy handle per thread so that connections are kept alive and reused,
 * TLS, gateway authentication headers, gzip, and the classification of
 * what the transport saw (did the request provably never leave?). */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "agent/curl_lib.h"
#include "agent/platform.h"
#include "agent/platform_int.h"
#include "agent/web.h"
#include "lib/access.h"
#include "lib/log.h"
#include "lib/sign.h"
#include "lib/xmalloc.h"

#define MAX_REPLY	(8 * 1024 * 1024)	/* a settlement answer is ~4 KB */

/* ---------------------------------------------------------------------- */
/* small pure pieces */

/* lib/sign.c has the tif signature; the transport's callers never fail
 * on it (SHA-256 is always there), so an error leaves "" */
void
hg_tif_signature(const char *ts, const char *token, const char *nonce,
    char out[65])
{
	struct hg_err err;

	if (hg_sign_tif(ts, token, nonce, out, &err) == -1)
		out[0] = '\0';
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
/* one thread's transport */

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

/* curl_global_init starts OpenSSL 3 (its configuration, engines, error
 * strings: 1.7 MB of libcrypto touched) and curl_easy_init does it too.
 * An agent that has nothing to settle never needs either, so both wait
 * for the first call, and so does loading libcurl (agent/curl_lib.h).  curl_global_init is thread-safe in Debian's
 * libcurl (CURL_VERSION_THREADSAFE, 7.84 and later); the lock keeps
 * curl_started right when several workers make their first call at
 * once. */
static pthread_mutex_t curl_lock = PTHREAD_MUTEX_INITIALIZER;

static int
curl_start(struct hg_platform_shared *sh, struct hg_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&curl_lock);
	if (!sh->curl_started) {
		if (hg_curl_load(err) == -1)
			rc = -1;
		else if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
			sh->curl_started = 1;
		else
			rc = hg_fail(err, "platform: curl_global_init failed");
	}
	pthread_mutex_unlock(&curl_lock);
	return rc;
}

void
pf_curl_stop(struct hg_platform_shared *sh)
{
	pthread_mutex_lock(&curl_lock);
	if (sh->curl_started)
		curl_global_cleanup();
	sh->curl_started = 0;
	pthread_mutex_unlock(&curl_lock);
}

struct hg_platform *
hg_platform_new(struct hg_platform_shared *sh, struct hg_err *err)
{
	struct hg_platform *p;

	(void)err;
	p = hg_xcalloc(1, sizeof *p);
	p->sh = sh;
	return p;
}

/* The easy handle, made at p's first call: see curl_start. */
static int
easy_open(struct hg_platform *p, struct hg_err *err)
{
	const struct hg_platform_conf *pc = p->sh->conf;

	if (p->curl != NULL)
		return 0;
	if (curl_start(p->sh, err) == -1)
		return -1;
	if ((p->curl = curl_easy_init()) == NULL)
		return hg_fail(err, "platform: curl_easy_init failed");
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
	curl_easy_setopt(p->curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
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
	return 0;
}

/* CURLOPT_CONNECT_ONLY sticks to the handle and the connection sends
 * nothing a call could reuse: the probe's handle goes, and the next call
 * makes a fresh one with easy_open. */
/* The first certificate's "Expire date:" of CURLINFO_CERTINFO (as the
 * OpenSSL backend prints it, "Dec  6 19:48:00 2026 GMT"); 0 unknown. */
static int64_t
peer_expiry(CURL *h)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *l;
	const char *v, *tag = "Expire date:";
	struct tm tm;
	char *end;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return 0;
	for (l = ci->certinfo[0]; l != NULL; l = l->next) {
		if (strncmp(l->data, tag, strlen(tag)) != 0)
			continue;
		v = l->data + strlen(tag);
		memset(&tm, 0, sizeof tm);
		end = strptime(v, "%b %d %H:%M:%S %Y GMT", &tm);
		return end != NULL ? (int64_t)timegm(&tm) : 0;
	}
	return 0;
}

int
hg_platform_connect(struct hg_platform *p, int *code, int64_t *expires,
    struct hg_err *err)
{
	CURLcode rc;

	*code = CURLE_FAILED_INIT;
	*expires = 0;
	if (easy_open(p, err) == -1)
		return -1;
	p->errbuf[0] = '\0';
	curl_easy_setopt(p->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(p->curl, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS,
	    (long)p->sh->conf->connect_timeout_ms);
	rc = curl_easy_perform(p->curl);
	if (rc == CURLE_OK)
		*expires = peer_expiry(p->curl);
	curl_easy_cleanup(p->curl);
	p->curl = NULL;
	*code = (int)rc;
	if (rc != CURLE_OK)
		return hg_failt(err, "%s%s%s", curl_easy_strerror(rc),
		    p->errbuf[0] ? ": " : "", p->errbuf);
	return 0;
}

void
hg_platform_free(struct hg_platform *p)
{
	if (p == NULL)
		return;
	if (p->curl != NULL)
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
		pf_wipe_free(line);
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
enum hg_call_outcome
pf_post(struct hg_platform *p, const char *infno, const char *body,
    struct hg_err *err)
{
	const struct hg_platform_conf *pc = p->sh->conf;
	struct curl_slist *h = NULL;
	enum hg_call_outcome oc;
	char *gz = NULL, *wrapped = NULL;
	size_t gzlen = 0;
	long status = 0, reqsize = 0;
	curl_off_t up = 0;
	CURLcode rc;

	p->len = 0;
	p->overflow = 0;
	p->errbuf[0] = '\0';
	if (p->buf != NULL)
		p->buf[0] = '\0';
	if (easy_open(p, err) == -1)
		return HG_CALL_NOTSENT;
	h = curl_slist_append(h, "Content-Type: application/json;"
	    "charset=utf-8");
	/* no 100-continue round trip: one request, one answer */
	h = curl_slist_append(h, "Expect:");
	/* sm4sm2: the journal keeps the plain envelope, the wire the wrap */
	if (hg_signer_body(p->sh->signer, body, &wrapped, err) == -1) {
		curl_slist_free_all(h);
		return HG_CALL_NOTSENT;
	}
	if (wrapped != NULL)
		body = wrapped;
	if (pc->gzip) {
		if (hg_gzip(body, strlen(body), &gz, &gzlen, err) == -1) {
			curl_slist_free_all(h);
			free(wrapped);
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
	if (!pc->verify)
		hg_insecure_warn(&p->sh->clock, time(NULL));
	h = hg_signer_headers(p->sh->signer, p->body, p->body_len, h);
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
	free(wrapped);
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
		/* a gateway's 401/403 says why (bad signature, stale
		 * timestamp): its first line is for the person reading,
		 * never acted on */
		int n = 0;

		if (status >= 400 && status < 500 && p->len > 0 &&
		    p->buf != NULL && (n = (int)strcspn(p->buf, "\r\n")) > 300)
			n = 300;
		hg_failt(err, "%s: HTTP %ld from the platform%s%.*s", infno,
		    status, n > 0 ? ": " : "", n, n > 0 ? p->buf : "");
	}
	if (oc == HG_CALL_NOTSENT && rc != CURLE_OK)
		hg_err_prefix(err, "not sent");
	else if (oc == HG_CALL_UNKNOWN)
		hg_err_prefix(err, "outcome unknown");
	hg_web_platform_call(oc != HG_CALL_OK);
	return oc;
}
