/* The simulator's gateway: checks each request against the platform
 * profile it was started with (--profile, --profile-opt), as a
 * provincial gateway does before the platform sees the request: wrong
 * or missing signatures, timestamps outside the allowed skew and
 * replayed nonces are refused with HTTP 401 and a Chinese message.
 * sm4sm2 requests are opened (signature checked, encData decrypted) and
 * the platform gets the plain envelope; answers are not wrapped. */
#ifndef HG_SIM_VERIFY_H
#define HG_SIM_VERIFY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "lib/err.h"

#define SIM_SEEN_MAX	4096

struct sim_verify {
	char	*profile;		/* NULL or "plain": nothing checked */
	char	*key_id;		/* paasid, x-ca-key, access key, appId */
	char	*secret_file;
	char	*secret;		/* apikey, paas token, secret */
	char	*pubkey_file;		/* sm4sm2/signtype: hospital's SM2 key */
	EVP_PKEY *pub;
	char	*user_id;
	char	*digest;		/* csb */
	char	*api_name;		/* csb */
	char	*ts_unit;		/* xca: "s" or "ms" */
	int64_t	 skew_s;		/* allowed clock difference */
	int	 signtype;		/* check the envelope's cainfo (sm2) */
	/* recently seen nonces/signatures, for replays */
	pthread_mutex_t lock;
	struct { char v[160]; int64_t at; } seen[SIM_SEEN_MAX];
	size_t	 nseen;
};

void	sim_verify_init(struct sim_verify *v);
/* --profile NAME / --profile-opt KEY=VALUE; errors name the option. */
int	sim_verify_profile(struct sim_verify *v, const char *name,
	    struct hg_err *err);
int	sim_verify_opt(struct sim_verify *v, const char *kv,
	    struct hg_err *err);
/* After the options: read the secret and key, check what the profile
 * needs. */
int	sim_verify_ready(struct sim_verify *v, struct hg_err *err);
void	sim_verify_free(struct sim_verify *v);

/* A request header by name (case-insensitive), or NULL. */
typedef const char *(*sim_header_fn)(void *arg, const char *name);

/* Check one request (body as received).  0: accepted; *plain is the body
 * the platform should see when it differs (sm4sm2; freed by the caller),
 * else NULL.  -1: refused, err has the Chinese message.  now_ms: the
 * platform's clock. */
int	sim_verify_request(struct sim_verify *v, sim_header_fn hdr, void *arg,
	    const char *body, size_t len, int64_t now_ms, char **plain,
	    struct hg_err *err);
/* signtype sm2: the envelope's cainfo must be an SM2 signature of its
 * input (compact JSON, keys sorted); -1 with the message otherwise. */
int	sim_verify_envelope(struct sim_verify *v, const char *body,
	    size_t len, struct hg_err *err);

#endif
