/* The platform profile: how requests are authenticated and wrapped for
 * one province's gateway (hisgate.conf(5), PLATFORM PROFILES).  The
 * cryptography is lib/sign*.c; this file reads the profile's settings
 * and secrets once and applies them to each request: headers (apikey,
 * tif, xca, csb), the body (sm4sm2) and the envelope's cainfo/signtype. */
#ifndef HG_PLATFORM_SIGN_H
#define HG_PLATFORM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "lib/conftab.h"
#include "lib/err.h"
#include "lib/sign.h"

struct json_object;

struct hg_sign_conf {
	char	*profile;		/* plain apikey tif xca csb sm4sm2 */
	char	*key_id;		/* x-ca-key, _api_access_key, appId */
	char	*secret_file;		/* xca, csb, sm4sm2 secret */
	char	*ts_unit;		/* "s" or "ms" (xca) */
	char	*csb_api_name;
	char	*csb_api_version;
	char	*csb_digest;		/* hmac-sha1, hmac-sha256 */
	char	*sm2_key_file;		/* sm4sm2 and signtype = "sm2" */
	char	*sm2_user_id;
	char	*signtype;		/* "" (empty), "fixed", "sm2" */
	char	*signtype_value;	/* signtype = "fixed" */
	char	*cainfo_value;
};

/* Key table rows for the platform group (offsets into
 * struct hg_platform_conf, which embeds struct hg_sign_conf as sign). */
#define HG_SIGN_KEYS(P) \
	{ "profile", HG_CT_ENUM, "plain", 0, 0, P(sign.profile), \
	  "gateway profile: plain, apikey, tif, xca, csb or sm4sm2 " \
	  "(PLATFORM PROFILES)", hg_sign_profiles, 0 }, \
	{ "key_id", HG_CT_STR, "", 0, 0, P(sign.key_id), \
	  "x-ca-key (xca), _api_access_key (csb) or appId (sm4sm2)", \
	  NULL, 0 }, \
	{ "secret_file", HG_CT_STR, "", 0, 0, P(sign.secret_file), \
	  "file holding the xca/csb secret or the sm4sm2 appSecret; " \
	  "owner-only", NULL, 0 }, \
	{ "ts_unit", HG_CT_ENUM, "s", 0, 0, P(sign.ts_unit), \
	  "unit of the xca timestamp: s or ms", hg_sign_ts_units, 0 }, \
	{ "csb_api_name", HG_CT_STR, "", 0, 0, P(sign.csb_api_name), \
	  "_api_name (csb)", NULL, 0 }, \
	{ "csb_api_version", HG_CT_STR, "1.0.0", 0, 0, \
	  P(sign.csb_api_version), "_api_version (csb)", NULL, 0 }, \
	{ "csb_digest", HG_CT_ENUM, "hmac-sha1", 0, 0, P(sign.csb_digest), \
	  "_api_signature: hmac-sha1 or hmac-sha256, Base64 (csb)", \
	  hg_csb_digests, 0 }, \
	{ "sm2_key_file", HG_CT_STR, "", 0, 0, P(sign.sm2_key_file), \
	  "the hospital's SM2 private key (PEM; sm4sm2, signtype = sm2); " \
	  "owner-only", NULL, 0 }, \
	{ "sm2_user_id", HG_CT_STR, "1234567812345678", 0, 0, \
	  P(sign.sm2_user_id), "SM2 signer id", NULL, 0 }, \
	{ "signtype", HG_CT_ENUM, "", 0, 0, P(sign.signtype), \
	  "envelope cainfo/signtype: \"\" (empty), fixed (the values " \
	  "below) or sm2 (an SM2 signature of input)", hg_sign_signtypes, \
	  0 }, \
	{ "signtype_value", HG_CT_STR, "", 0, 0, P(sign.signtype_value), \
	  "signtype sent when signtype = \"fixed\"", NULL, 0 }, \
	{ "cainfo_value", HG_CT_STR, "", 0, 0, P(sign.cainfo_value), \
	  "cainfo sent when signtype = \"fixed\"", NULL, 0 }

extern const char *const hg_sign_profiles[];
extern const char *const hg_sign_ts_units[];
extern const char *const hg_sign_signtypes[];

/* What the profile needs (secrets, key id, a key that loads); problems
 * go to errs as FILE:0: platform.KEY: ...  auth: the older `auth` key. */
void	hg_sign_conf_check(const struct hg_sign_conf *sc, const char *auth,
	    const char *file, struct hg_conf_errs *errs);

struct hg_signer;

/* Read the secrets once; *out NULL for plain/apikey/tif (the transport
 * signs those itself). */
int	hg_signer_new(const struct hg_sign_conf *sc, struct hg_signer **out,
	    struct hg_err *err);
void	hg_signer_free(struct hg_signer *s);	/* wipes the secrets */

/* Add the profile's headers for this body (s may be NULL). */
struct curl_slist *hg_signer_headers(struct hg_signer *s, const char *body,
	    size_t len, struct curl_slist *h);
/* sm4sm2: *out is the wrapped body (freed by the caller); others: NULL. */
int	hg_signer_body(struct hg_signer *s, const char *body, char **out,
	    struct hg_err *err);
/* signtype = sm2: set the envelope's cainfo (Base64 SM2/SM3 signature of
 * input written compact with sorted keys) and signtype "SM2". */
int	hg_signer_envelope(struct hg_signer *s, struct json_object *env,
	    struct hg_err *err);

#endif
