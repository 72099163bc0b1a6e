/* HTTPS for the agent's web server (web.tls_cert, web.tls_key).  Users
 * log in with HTTP Basic, so off the loopback their passwords cross the
 * ward's network: with a certificate they cross it encrypted.
 *
 * libmicrohttpd does the TLS (with GnuTLS); the pair is checked here
 * first, with OpenSSL, so that a wrong file is named by check-config and
 * at start (which file, what was expected) instead of ending in a
 * daemon that did not start: the certificate parses, the key parses and
 * is not world-readable, the key is the certificate's, and the
 * certificate has not expired. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agent/web_int.h"
#include "lib/access.h"
#include "lib/xmalloc.h"

#define PEM_MAX		(256 * 1024)

/* The whole file, NUL-terminated, or NULL with err. */
static char *
read_all(const char *path, struct hg_err *err)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		hg_fail(err, "web.tls_cert %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = hg_xmalloc(PEM_MAX + 1);
	n = fread(buf, 1, PEM_MAX + 1, f);
	if (ferror(f) || n > PEM_MAX) {
		hg_fail(err, "web.tls_cert %s: %s", path, ferror(f) ?
		    strerror(errno) : "larger than 256 KB: expected a PEM "
		    "certificate (chain)");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The certificate's notAfter as yyyy-MM-dd into buf. */
static void
not_after(const X509 *x, char *buf, size_t size)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		snprintf(buf, size, "?");
	else
		strftime(buf, size, "%Y-%m-%d", &tm);
}

static int
check_pair(const struct hg_web_conf *wc, const char *cert, const char *key,
    char *expires, size_t size, const char **bad, struct hg_err *err)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	BIO *b;
	int rc = -1;

	b = BIO_new_mem_buf(cert, -1);
	if (b == NULL || (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		*bad = "web.tls_cert";
		hg_fail(err, "web.tls_cert %s: no PEM certificate in it "
		    "(expected -----BEGIN CERTIFICATE-----)", wc->tls_cert);
		goto out;
	}
	BIO_free(b);
	b = BIO_new_mem_buf(key, -1);
	/* a passphrase would have to sit beside the key anyway */
	if (b == NULL || (pk = PEM_read_bio_PrivateKey(b, NULL, NULL,
	    (void *)"")) == NULL) {
		*bad = "web.tls_key";
		hg_fail(err, "web.tls_key %s: no unencrypted PEM private key in "
		    "it (expected -----BEGIN PRIVATE KEY-----; an encrypted "
		    "key: openssl pkey -in KEY -out %s)", wc->tls_key,
		    wc->tls_key);
		goto out;
	}
	if (X509_check_private_key(x, pk) != 1) {
		*bad = "web.tls_key";
		hg_fail(err, "web.tls_key %s is not the key of the certificate "
		    "in web.tls_cert %s", wc->tls_key, wc->tls_cert);
		goto out;
	}
	not_after(x, expires, size);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		*bad = "web.tls_cert";
		hg_fail(err, "web.tls_cert %s expired on %s: browsers refuse "
		    "it; install a new one", wc->tls_cert, expires);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(b);
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

int
hg_web_tls_load(const struct hg_web_conf *wc, char **cert, char **key,
    char *expires, size_t size, const char **bad_key, struct hg_err *err)
{
	const char *bad_local, **bad = bad_key != NULL ? bad_key : &bad_local;
	char *line;
	size_t n;

	*cert = *key = NULL;
	*bad = wc->tls_cert[0] != '\0' ? "web.tls_cert" : "web.tls_key";
	if ((wc->tls_cert[0] == '\0') != (wc->tls_key[0] == '\0'))
		return hg_fail(err, "web.tls_cert and web.tls_key go together: "
		    "set both (HTTPS) or neither (HTTP)");
	if (wc->tls_cert[0] == '\0')
		return 0;
	if ((*cert = read_all(wc->tls_cert, err)) == NULL)
		return -1;
	*bad = "web.tls_key";
	if ((*key = hg_secret_read(wc->tls_key, PEM_MAX, err)) == NULL) {
		hg_err_prefix(err, "web.tls_key");
		goto fail;
	}
	/* hg_secret_read took the last line end off; PEM readers want it */
	n = strlen(*key);
	line = hg_xmalloc(n + 2);
	memcpy(line, *key, n);
	memcpy(line + n, "\n", 2);
	hg_web_tls_free(NULL, *key);
	*key = line;
	if (check_pair(wc, *cert, *key, expires, size, bad, err) == -1)
		goto fail;
	return 0;
fail:
	hg_web_tls_free(*cert, *key);
	*cert = *key = NULL;
	return -1;
}

void
hg_web_tls_free(char *cert, char *key)
{
	free(cert);
	if (key != NULL)
		OPENSSL_cleanse(key, strlen(key));
	free(key);
}
