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

struct hg_platform_conf {
	char	*url;			/* one URL for every infno */
	int64_t	 timeout_ms;		/* default per call */
	struct hg_kvlist timeouts;	/* infno = ms, overrides */
	int64_t	 connect_timeout_ms;
	int	 verify;		/* TLS peer verification (default on) */
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

#endif
