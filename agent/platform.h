/* The provincial platform as the agent sees it: configuration ([platform]
 * and [settle] in hisgate.conf), an HTTP(S) transport (libcurl,
 * keep-alive), and one call = envelope + sign-in + POST + parse.
 *
 * One struct hg_platform per thread (it owns a curl handle); the sign-in
 * (9001 sign_no) and the msgid generator are shared through struct
 * hg_platform_shared. */
#ifndef HG_PLATFORM_H
#define HG_PLATFORM_H

#include <pthread.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/conftab.h"
#include "lib/err.h"
#include "lib/nhsa.h"
#include "agent/platform_sign.h"
#include "agent/platform_tls.h"

struct hg_platform_conf {
	char	*url;			/* one URL for every infno */
	int64_t	 timeout_ms;		/* default per call */
	struct hg_kvlist timeouts;	/* infno = ms, overrides */
	int64_t	 connect_timeout_ms;
	int	 verify;		/* TLS peer verification (default on) */
	int	 insecure;		/* required to turn verify off */
	char	*ca_file;
	char	*cert_file;		/* client certificate (mTLS) */
	char	*key_file;		/* its key; must not be world-readable */
	int	 gzip;			/* gzip request bodies */
	char	*auth;			/* "none", "apikey", "tif" */
	char	*apikey_file;		/* secret files: never world-readable */
	char	*paas_id;
	char	*paas_token_file;
	char	*recer_sys_code;
	char	*infver;
	char	*opter_type;
	char	*opter;
	char	*opter_name;
	int64_t	 chunk_size;		/* 2301 items per call */
	char	*mdtrt_cert_type;	/* 就诊凭证 type used with the ID: "02" */
	struct hg_sign_conf sign;	/* profile: agent/platform_sign.h */
};

struct hg_settle_conf {
	int64_t	 workers;
	int64_t	 rate_per_sec;		/* calls/s across workers; 0 = no limit */
	int64_t	 backoff_base_ms;
	int64_t	 backoff_cap_ms;
	int64_t	 lease_ms;
	int	 enabled;
};

extern const struct hg_conf_key hg_platform_keys[];
extern const struct hg_conf_key hg_settle_keys[];

/* Checks beyond the tables, run by the config loader (so check-config and
 * startup both refuse): auth needs its secret, timeouts keys name an
 * infno, a lease outlives the longest call, and secret files (key_file, apikey_file, paas_token_file) must
 * be readable by their owner only.  Problems go to errs as FILE:0: ... */
void	hg_platform_conf_check(const struct hg_platform_conf *pc,
	    const struct hg_settle_conf *sc, const char *file,
	    struct hg_conf_errs *errs);
/* A secret file's mode: -1 (reason in err) when it is missing, not a
 * regular file, or readable by group or others. */
int	hg_secret_file_check(const char *path, struct hg_err *err);
/* The timeout for one infno: timeouts.<x>NNNN when set, else timeout_ms. */
int64_t	hg_platform_timeout(const struct hg_platform_conf *pc,
	    const char *infno);

/* --- shared by every thread of a process ------------------------------- */

struct hg_platform_shared {
	const struct hg_platform_conf *conf;
	struct hg_nhsa_hdr hdr;		/* sign_no left NULL: per call */
	char	*apikey;		/* secrets, read once; never logged */
	char	*paas_token;
	struct hg_signer *signer;	/* xca, csb, sm4sm2, signtype */
	struct hg_clock_skew clock;	/* respond_time; insecure warnings */
	struct hg_nhsa_msgid_gen msgid;
	pthread_mutex_t	 lock;		/* sign_no, signin_gen */
	char	 sign_no[HG_NHSA_IDBUF];	/* "" until signed in */
	unsigned signin_gen;
	int	 curl_started;		/* curl_global_init done: see
					 * platform_http.c, under curl_lock */
	/* transport failures per class, for status (atomic enough: ints) */
};

/* hdr strings are borrowed from the caller (the agent config) and must
 * outlive sh.  msgid_state: the generator's state file (NULL: memory). */
int	hg_platform_shared_init(struct hg_platform_shared *sh,
	    const struct hg_platform_conf *pc, const struct hg_nhsa_hdr *hdr,
	    const char *msgid_state, struct hg_err *err);
void	hg_platform_shared_destroy(struct hg_platform_shared *sh);

/* --- one per thread ------------------------------------------------------ */

struct hg_platform;

struct hg_platform *hg_platform_new(struct hg_platform_shared *sh,
	    struct hg_err *err);
void	hg_platform_free(struct hg_platform *p);	/* NULL is fine */

/* What became of one call. */
enum hg_call_outcome {
	HG_CALL_OK = 0,		/* infcode 0; resp.output is the answer */
	HG_CALL_NOTSENT,	/* never reached the platform (connect
				 * refused, DNS, TLS handshake, 4xx gateway
				 * refusal, or the journal refused): nothing
				 * happened there; safe to try again */
	HG_CALL_UNKNOWN,	/* sent, answer lost or unusable (timeout
				 * after sending, reset, empty reply, 5xx,
				 * garbage, infcode -1): the platform may
				 * have committed; resolve before re-sending */
	HG_CALL_REFUSED,	/* the platform answered -2 (or another
				 * failure code): not done; err has its
				 * err_msg */
};

/* Journal hooks, called around every send: `sent` BEFORE the request
 * leaves (when it fails the call is not made: HG_CALL_NOTSENT), and
 * `answered` once the outcome is known (state "ok", "failed" or
 * "unknown").  Either may be NULL (9001 is not journalled per bill). */
struct hg_journal {
	int	(*sent)(void *arg, const char *infno, const char *msgid,
		    const char *request, struct hg_err *err);
	void	(*answered)(void *arg, const char *msgid, const char *state,
		    const char *response, const char *err_msg);
	void	*arg;
};

struct hg_call {
	char	 infno[8];
	char	 msgid[HG_NHSA_MSGIDBUF];	/* of the last attempt */
	enum hg_call_outcome outcome;
	struct hg_nhsa_resp resp;	/* parsed answer (OK, REFUSED, -1) */
	int	 have_resp;
	struct hg_err err;		/* why, for every outcome but OK */
};

/* One call: sign in when needed, envelope with a fresh msgid, journal,
 * POST, classify.  When the platform refuses the call (any code but 0,
 * and -1 only for a query: whether a sign-in expired is never read from
 * err_msg) it signs in again and retries once, with a new msgid
 * (journalled too).  Takes ownership of input.  Returns the
 * outcome (also in call->outcome); hg_call_free releases the answer. */
enum hg_call_outcome hg_platform_call(struct hg_platform *p,
	    const char *infno, const char *insuplc_admdvs,
	    struct json_object *input, const struct hg_journal *j,
	    struct hg_call *call);
void	hg_call_free(struct hg_call *call);

/* Sign in now (9001) unless a sign_no is cached. */
int	hg_platform_signin(struct hg_platform *p, struct hg_err *err);
/* For doctor: connect (and for https, the TLS handshake, with the
 * calls' certificates and verification) and close, sending nothing.  0,
 * with the platform's certificate's notAfter in *expires (seconds since
 * the epoch; 0 for http or unknown), or -1 with curl's text in err and
 * its CURLcode in *code. */
int	hg_platform_connect(struct hg_platform *p, int *code,
	    int64_t *expires, struct hg_err *err);

/* --- pieces exposed for unit tests -------------------------------------- */

/* lower-case hex SHA-256 of ts + token + nonce + ts (x-tif-signature) */
void	hg_tif_signature(const char *ts, const char *token, const char *nonce,
	    char out[65]);
/* gzip a buffer (RFC 1952); the caller frees *out. */
int	hg_gzip(const char *in, size_t len, char **out, size_t *outlen,
	    struct hg_err *err);
/* Does a curl result / HTTP status mean the request never left?  Pure:
 * used by the transport and table-tested. */
enum hg_call_outcome hg_transport_class(int curl_code, long http_status,
	    int request_sent);

#endif
