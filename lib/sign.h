/* Gateway signatures of the provincial platforms (nhsa-interface.md §4
 * in the project notes; doc/hisgate.conf.5 PLATFORM PROFILES): pure
 * functions over OpenSSL 3, shared by the agent (which signs) and the
 * simulator (which verifies).  Nothing here keeps state or logs; secrets
 * are passed in and never copied anywhere but the caller's buffers. */
#ifndef HG_SIGN_H
#define HG_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "lib/err.h"

#define HG_SIGN_MAXHEX	(2 * EVP_MAX_MD_SIZE + 1)

/* err gets "what: " + OpenSSL's last error (its queue is cleared); -1. */
int	hg_ossl_fail(struct hg_err *err, const char *what);

/* n bytes as hex (lower or upper case) into out (2n + 1 bytes). */
void	hg_hex(const unsigned char *in, size_t n, int upper, char *out);

/* hex of the digest md ("SHA256", "SM3", "SHA1") of data. */
int	hg_digest_hex(const char *md, const void *data, size_t len,
	    char out[HG_SIGN_MAXHEX], struct hg_err *err);
/* HMAC with md; out gets the raw MAC, *outlen its length. */
int	hg_hmac(const char *md, const void *key, size_t keylen,
	    const void *data, size_t len, unsigned char out[EVP_MAX_MD_SIZE],
	    size_t *outlen, struct hg_err *err);
/* Base64 (no line breaks); the caller frees. */
char	*hg_base64(const unsigned char *in, size_t n);
/* Decode Base64; -1 when it is not.  The caller frees *out. */
int	hg_unbase64(const char *in, unsigned char **out, size_t *outlen);

/* tif: lowercase hex SHA-256 of ts + token + nonce + ts. */
int	hg_sign_tif(const char *ts, const char *token, const char *nonce,
	    char out[65], struct hg_err *err);
/* xca: "<ts>:" + lowercase hex HMAC-SM3(secret, ts + "\n" + body);
 * out needs strlen(ts) + 66 bytes. */
int	hg_sign_xca(const char *secret, const char *ts, const char *body,
	    size_t len, char *out, size_t outsz, struct hg_err *err);

/* csb: the _api_* parameters sorted by name, joined k=v&k=v, MACed
 * with the secret and Base64-encoded.  digest: "hmac-sha1" (what the
 * CSB SDK is reported to use) or "hmac-sha256".  keys/values: n pairs. */
int	hg_sign_csb(const char *digest, const char *secret,
	    const char *const *keys, const char *const *values, size_t n,
	    char **out, struct hg_err *err);
extern const char *const hg_csb_digests[];

/* SM4-ECB with PKCS#7 padding, encrypt (enc 1) or decrypt (0); the
 * caller frees *out. */
int	hg_sm4_ecb(const unsigned char key[16], int enc,
	    const unsigned char *in, size_t len, unsigned char **out,
	    size_t *outlen, struct hg_err *err);

/* An SM2 key from a PEM file: private (priv 1) or public (0). */
int	hg_sm2_load(const char *path, int priv, EVP_PKEY **key,
	    struct hg_err *err);
/* SM2 signature (DER) over msg with an SM3 digest and user id `id`
 * (the GM/T 0009 default is "1234567812345678"); the caller frees. */
int	hg_sm2_sign(EVP_PKEY *key, const char *id, const void *msg,
	    size_t len, unsigned char **sig, size_t *siglen,
	    struct hg_err *err);
/* 0 when sig is a valid SM2 signature of msg by key, else -1. */
int	hg_sm2_verify(EVP_PKEY *key, const char *id, const void *msg,
	    size_t len, const unsigned char *sig, size_t siglen,
	    struct hg_err *err);

#define HG_SM2_DEFAULT_ID	"1234567812345678"

#endif
