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
#include <strings.h>
#include <time.h>

#include <netdb.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agent/web_int.h"
#include "lib/access.h"
#include "lib/log.h"
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

/* Whether text (peeked, NUL-terminated) is what is left of a plain HTTP
 * request once GnuTLS took its first five bytes ("GET /", "POST ") for a
 * TLS record header: printable ASCII up to the line end, which comes
 * after " HTTP/1.0" or " HTTP/1.1".  Ciphertext never looks like that. */
static int
plain_http_rest(const char *text)
{
	const char *p, *eol = strchr(text, '\n');
	size_t n;

	if (eol == NULL)
		return 0;
	n = (size_t)(eol - text);
	if (n > 0 && text[n - 1] == '\r')
		n--;
	for (p = text; p < text + n; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return n >= 9 && (strncmp(text + n - 9, " HTTP/1.0", 9) == 0 ||
	    strncmp(text + n - 9, " HTTP/1.1", 9) == 0);
}

/* The Host header of the request's rest, when it is there whole and only
 * a host name or address and a port ("10.1.2.3:8470"): what the person
 * typed after http://, so that the log can say what to type instead. */
static int
host_of(const char *rest, char *host, size_t size)
{
	const char *p;
	size_t n;

	for (p = strchr(rest, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		if (strncasecmp(p + 1, "Host:", 5) == 0)
			break;
	if (p == NULL)
		return -1;
	p += 6;
	p += strspn(p, " \t");
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]");
	if (n == 0 || n >= size || (p[n] != '\r' && p[n] != '\n'))
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

/* A browser sent to http:// on the HTTPS port: GnuTLS fails the handshake
 * on the request's first bytes and libmicrohttpd closes the connection,
 * its sending side already shut, so the browser shows an empty reply and
 * nothing can be said to it.  libmicrohttpd gives no hook with those
 * bytes, but when it reports the connection closed the socket is still
 * open and holds the rest of the request line, unread: a peek (nothing
 * is taken from the socket) tells that case from any other, and the log
 * says what happened and what to open instead.  A client that does not
 * trust the certificate also fails the handshake, but sends a TLS alert,
 * not a request line: it is not logged. */
void
hg_web_tls_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct hg_web *w = cls;
	const union MHD_ConnectionInfo *fd, *addr;
	char rest[512], peer[NI_MAXHOST], host[128];
	ssize_t n;

	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED || (fd = MHD_get_connection_info(
	    c, MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL)
		return;
	n = recv(fd->connect_fd, rest, sizeof rest - 1, MSG_PEEK |
	    MSG_DONTWAIT);
	if (n <= 0)
		return;
	rest[n] = '\0';
	if (!plain_http_rest(rest))
		return;
	addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (addr == NULL || addr->client_addr == NULL || getnameinfo(
	    addr->client_addr, addr->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), peer,
	    sizeof peer, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(peer, sizeof peer, "an unknown address");
	/* never the request's path: a search may carry a patient's name */
	if (host_of(rest, host, sizeof host) == -1)
		snprintf(host, sizeof host, "%s", w->bound);
	hg_complain(&w->plain_http, HG_LOG_NOTICE, "web", "plain HTTP from "
	    "%s to the HTTPS port %s (web.tls_cert is set): the browser got "
	    "an empty reply; open https://%s/ instead of http://", peer,
	    w->bound, host);
}
