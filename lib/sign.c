/* Digests, MACs and the header signatures of the tif, xca and csb
 * gateway profiles.  SM3 and SM4 come from OpenSSL 3's default
 * provider; the functions fetch algorithms by name so a missing one is
 * an error message, not a crash. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/sign.h"
#include "lib/xmalloc.h"

const char *const hg_csb_digests[] = { "hmac-sha1", "hmac-sha256", NULL };

int
hg_ossl_fail(struct hg_err *err, const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return hg_fail(err, "%s: %s", what, e != 0 ? buf : "failed");
}

void
hg_hex(const unsigned char *in, size_t n, int upper, char *out)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
hg_digest_hex(const char *md, const void *data, size_t len,
    char out[HG_SIGN_MAXHEX], struct hg_err *err)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD *m;
	int rc;

	if ((m = EVP_MD_fetch(NULL, md, NULL)) == NULL)
		return hg_ossl_fail(err, md);
	rc = EVP_Digest(data, len, d, &n, m, NULL);
	EVP_MD_free(m);
	if (rc != 1)
		return hg_ossl_fail(err, md);
	hg_hex(d, n, 0, out);
	return 0;
}

int
hg_hmac(const char *md, const void *key, size_t keylen, const void *data,
    size_t len, unsigned char out[EVP_MAX_MD_SIZE], size_t *outlen,
    struct hg_err *err)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	int rc = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return hg_ossl_fail(err, "HMAC");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* an empty key is legal HMAC; OpenSSL wants a non-NULL pointer */
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, keylen > 0 ? key : (const void *)"", keylen,
	    params) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, outlen, EVP_MAX_MD_SIZE) != 1)
		hg_ossl_fail(err, "HMAC");
	else
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

char *
hg_base64(const unsigned char *in, size_t n)
{
	char *out = hg_xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

int
hg_unbase64(const char *in, unsigned char **out, size_t *outlen)
{
	size_t len = strlen(in), pad = 0;
	int n;

	if (len % 4 != 0 || len > 64 * 1024 * 1024)
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	*out = hg_xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*outlen = (size_t)n - pad;
	return 0;
}

int
hg_sign_tif(const char *ts, const char *token, const char *nonce,
    char out[65], struct hg_err *err)
{
	char *msg, hex[HG_SIGN_MAXHEX];
	int rc;

	msg = hg_xasprintf("%s%s%s%s", ts, token, nonce, ts);
	rc = hg_digest_hex("SHA256", msg, strlen(msg), hex, err);
	OPENSSL_cleanse(msg, strlen(msg));
	free(msg);
	if (rc == 0)
		memcpy(out, hex, 65);
	return rc;
}

int
hg_sign_xca(const char *secret, const char *ts, const char *body, size_t len,
    char *out, size_t outsz, struct hg_err *err)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char hex[HG_SIGN_MAXHEX];
	size_t tl = strlen(ts), n = 0;
	char *msg;
	int rc;

	msg = hg_xmalloc(tl + 1 + len + 1);
	memcpy(msg, ts, tl);
	msg[tl] = '\n';
	memcpy(msg + tl + 1, body, len);
	rc = hg_hmac("SM3", secret, strlen(secret), msg, tl + 1 + len, mac,
	    &n, err);
	free(msg);
	if (rc == -1)
		return -1;
	hg_hex(mac, n, 0, hex);
	if ((size_t)snprintf(out, outsz, "%s:%s", ts, hex) >= outsz)
		return hg_fail(err, "x-ca-signature: buffer too small");
	return 0;
}

int
hg_sign_csb(const char *digest, const char *secret, const char *const *keys,
    const char *const *values, size_t n, char **out, struct hg_err *err)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t *order, i, j, t, len = 0, macn = 0;
	const char *md;
	char *msg;
	int rc;

	if (strcmp(digest, "hmac-sha1") == 0)
		md = "SHA1";
	else if (strcmp(digest, "hmac-sha256") == 0)
		md = "SHA256";
	else
		return hg_fail(err, "csb digest \"%s\": expected hmac-sha1 or "
		    "hmac-sha256", digest);
	order = hg_xcalloc(n + 1, sizeof *order);
	for (i = 0; i < n; i++) {
		order[i] = i;
		len += strlen(keys[i]) + strlen(values[i]) + 2;
	}
	/* insertion sort: a handful of parameters */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(keys[order[j - 1]],
		    keys[order[j]]) > 0; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	msg = hg_xmalloc(len + 1);
	msg[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(msg, "&");
		strcat(msg, keys[order[i]]);
		strcat(msg, "=");
		strcat(msg, values[order[i]]);
	}
	free(order);
	rc = hg_hmac(md, secret, strlen(secret), msg, strlen(msg), mac, &macn,
	    err);
	free(msg);
	if (rc == -1)
		return -1;
	*out = hg_base64(mac, macn);
	return 0;
}

int
hg_sm4_ecb(const unsigned char key[16], int enc, const unsigned char *in,
    size_t len, unsigned char **out, size_t *outlen, struct hg_err *err)
{
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *c;
	int n1 = 0, n2 = 0, rc = -1;

	if (len > 64 * 1024 * 1024)
		return hg_fail(err, "SM4: %zu bytes is too much", len);
	if ((c = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL)) == NULL)
		return hg_ossl_fail(err, "SM4-ECB");
	*out = hg_xmalloc(len + 32);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(ctx, c, key, NULL, enc, NULL) != 1 ||
	    EVP_CipherUpdate(ctx, *out, &n1, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(ctx, *out + n1, &n2) != 1) {
		hg_ossl_fail(err, enc ? "SM4 encrypt" : "SM4 decrypt (wrong key "
		    "or not SM4-ECB with PKCS#7 padding)");
		free(*out);
		*out = NULL;
	} else {
		*outlen = (size_t)n1 + (size_t)n2;
		rc = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return rc;
}
