/* SM2 signatures with an SM3 digest and a signer id (GM/T 0009), as the
 * sm4sm2 gateway profile and the envelope's signtype provider use them.
 * OpenSSL 3 wants the id on a key context handed to the digest context
 * (EVP_PKEY-SM2(7)); both are freed here. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "lib/sign.h"
#include "lib/xmalloc.h"

int
hg_sm2_load(const char *path, int priv, EVP_PKEY **key, struct hg_err *err)
{
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	*key = priv ? PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (*key == NULL) {
		ERR_clear_error();
		return hg_fail(err, "%s: not a PEM %s key", path, priv ?
		    "private" : "public");
	}
	if (!EVP_PKEY_is_a(*key, "SM2")) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return hg_fail(err, "%s: not an SM2 key (make one with openssl "
		    "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2)",
		    path);
	}
	return 0;
}

/* A digest context set up for SM2 with id; *pctx to free after. */
static EVP_MD_CTX *
sm2_ctx(EVP_PKEY *key, const char *id, EVP_PKEY_CTX **pctx, int sign)
{
	EVP_MD_CTX *m;

	if ((m = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if ((*pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_CTX_set1_id(*pctx, id, strlen(id)) <= 0) {
		EVP_MD_CTX_free(m);
		return NULL;
	}
	EVP_MD_CTX_set_pkey_ctx(m, *pctx);
	if ((sign ? EVP_DigestSignInit(m, NULL, EVP_sm3(), NULL, key) :
	    EVP_DigestVerifyInit(m, NULL, EVP_sm3(), NULL, key)) != 1) {
		EVP_MD_CTX_free(m);
		return NULL;
	}
	return m;
}

int
hg_sm2_sign(EVP_PKEY *key, const char *id, const void *msg, size_t len,
    unsigned char **sig, size_t *siglen, struct hg_err *err)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *m;
	int rc = -1;

	*sig = NULL;
	if ((m = sm2_ctx(key, id, &pctx, 1)) == NULL) {
		EVP_PKEY_CTX_free(pctx);
		return hg_ossl_fail(err, "SM2 sign");
	}
	if (EVP_DigestSign(m, NULL, siglen, msg, len) == 1) {
		*sig = hg_xmalloc(*siglen);
		if (EVP_DigestSign(m, *sig, siglen, msg, len) == 1)
			rc = 0;
	}
	if (rc == -1) {
		free(*sig);
		*sig = NULL;
		hg_ossl_fail(err, "SM2 sign");
	}
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

int
hg_sm2_verify(EVP_PKEY *key, const char *id, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen, struct hg_err *err)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *m;
	int ok;

	if ((m = sm2_ctx(key, id, &pctx, 0)) == NULL) {
		EVP_PKEY_CTX_free(pctx);
		return hg_ossl_fail(err, "SM2 verify");
	}
	ok = EVP_DigestVerify(m, sig, siglen, msg, len) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pctx);
	return ok ? 0 : hg_fail(err, "SM2 signature does not verify");
}
