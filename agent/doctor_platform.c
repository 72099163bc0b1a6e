/* hisgate doctor: the platform.  The certificates' expiry from the files
 * (whatever the sign-in says), whether its name resolves, the connection
 * and TLS handshake alone, a sign-in, and the clock against its
 * respond_time. */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "agent/doctor.h"
#include "agent/platform.h"
#include "agent/platform_tls.h"
#include "agent/settle.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* The certificates' expiry (agent/platform_tls.c), read from the files
 * before any call: an expired client certificate is the likely cause of
 * a failed sign-in, so it is named whatever the sign-in says. */
static void
check_certs(struct hd_report *r, const struct hg_config *cfg)
{
	static const char *const lvl[] = { "ok", "warn", "fail" };
	static const char *const fix[][3] = {
		{ "", ": ask the platform operator for a new one before then "
		    "and set platform.cert_file and key_file to it", ": the "
		    "platform refuses it; ask the platform operator for a new "
		    "one and set platform.cert_file and key_file to it" },
		{ "", ": get the platform's new CA certificate before then "
		    "and set platform.ca_file to it", ": the platform's "
		    "certificate cannot be verified with it; get the "
		    "platform's current CA certificate and set platform."
		    "ca_file to it" },
	};
	const char *certs[] = { cfg->platform.cert_file,
	    cfg->platform.ca_file };
	char buf[512];
	size_t i;
	int rc;

	if (!cfg->platform.verify)
		hd_say(r, "warn", "tls", "certificate verification is off "
		    "(platform.insecure = true)");
	for (i = 0; i < 2; i++)
		if (certs[i][0] != '\0') {
			rc = hg_cert_expiry(certs[i], time(NULL), buf,
			    sizeof buf);
			hd_say(r, lvl[rc], "tls", "%s%s%s", i == 0 ? "client "
			    "certificate " : "CA (first) ", buf, fix[i][rc]);
		}
}

/* The URL's host into host (without brackets, user or port), and its
 * port (the scheme's when none is given).  -1 when there is none. */
static int
url_host(const char *url, char *host, size_t len, char *port, size_t plen)
{
	const char *p = strstr(url, "://"), *e, *at;
	size_t n;

	if (p == NULL)
		return -1;
	snprintf(port, plen, "%s", strncmp(url, "https:", 6) == 0 ? "443" :
	    "80");
	p += 3;
	e = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(e - p))) != NULL)
		p = at + 1;
	if (*p == '[') {
		p++;
		n = strcspn(p, "]");
		e = p + n + (p[n] == ']');
	} else {
		n = strcspn(p, ":/?#");
		e = p + n;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (*e == ':' && e[1] >= '0' && e[1] <= '9')
		snprintf(port, plen, "%.*s", (int)strspn(e + 1, "0123456789"),
		    e + 1);
	return 0;
}

/* The platform's name, as libcurl will look it up.  1 when it resolves. */
static int
check_dns(struct hd_report *r, const char *url, const char *host)
{
	/* libcurl's proxy variables (it reads HTTP_PROXY only in lower
	 * case): through a proxy, the proxy resolves the name */
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY",
	    "http_proxy", "all_proxy", "ALL_PROXY", NULL };
	const char *const *v = vars;
	struct addrinfo hints, *ai, *a;
	char addrs[256], one[INET6_ADDRSTRLEN];
	const char *proxy;
	size_t used = 0;
	int rc;

	if (strncmp(url, "https:", 6) != 0)
		v += 2;
	for (; *v != NULL; v++)
		if ((proxy = getenv(*v)) != NULL && proxy[0] != '\0') {
			hd_say(r, "ok", "dns", "%s not resolved here: libcurl "
			    "reaches it through the proxy in %s (unless "
			    "no_proxy names it)", host, *v);
			return 1;
		}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		hd_say(r, "fail", "dns", "cannot resolve %s (platform.url %s): "
		    "%s: check /etc/resolv.conf (or /etc/hosts) and the host "
		    "in platform.url", host, url, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return 0;
	}
	addrs[0] = '\0';
	for (a = ai; a != NULL && used < sizeof addrs - 1; a = a->ai_next) {
		if (getnameinfo(a->ai_addr, a->ai_addrlen, one, sizeof one,
		    NULL, 0, NI_NUMERICHOST) != 0 || strstr(addrs, one))
			continue;
		used += (size_t)snprintf(addrs + used, sizeof addrs - used,
		    "%s%s", used ? ", " : "", one);
	}
	freeaddrinfo(ai);
	hd_say(r, "ok", "dns", "%s resolves to %s", host, addrs);
	return 1;
}

/* Connect and, for https, the handshake alone: what is wrong with the
 * transport is named apart from what the sign-in says.  1 when it
 * worked. */
static int
check_connect(struct hd_report *r, const struct hg_config *cfg,
    struct hg_platform *p, const char *host, const char *port)
{
	const struct hg_platform_conf *pc = &cfg->platform;
	int tls = strncmp(pc->url, "https:", 6) == 0, code;
	const char *what = tls ? "tls" : "connect";
	char cas[600], fix[800];
	int64_t expires;
	struct hg_err err;

	if (pc->ca_file[0] != '\0')
		snprintf(cas, sizeof cas, "platform.ca_file %s", pc->ca_file);
	else
		snprintf(cas, sizeof cas, "the system's CA certificates");
	if (hg_platform_connect(p, &code, &expires, &err) == 0) {
		static const char *const lvl[] = { "ok", "warn", "warn" };
		char exp[300] = "";
		int rc = 0;

		/* expired only passes with verification off: a warning,
		 * as that setting is */
		if (expires > 0) {
			rc = hg_expiry_say("its certificate", expires,
			    time(NULL), exp + 2, sizeof exp - 2);
			memcpy(exp, "; ", 2);
		}
		if (!tls)
			hd_say(r, "ok", what, "%s:%s accepts a connection (plain "
			    "HTTP: nothing is encrypted)", host, port);
		else
			hd_say(r, lvl[rc], what, "%s:%s: TLS handshake "
			    "done%s%s%s%s", host, port, pc->verify ? ", the "
			    "platform's certificate verified against " :
			    " (not verified)", pc->verify ? cas : "", exp,
			    rc ? ": tell the platform operator" : "");
		return 1;
	}
	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(fix, sizeof fix, "the platform's certificate does not "
		    "verify against %s: set platform.ca_file to the CA "
		    "certificate the platform operator gives%s", cas,
		    pc->ca_file[0] != '\0' ? " (or is the host in platform.url "
		    "not the one in the certificate?)" : "");
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(fix, sizeof fix, "%s cannot be read as PEM "
		    "certificates", cas);
		break;
	case CURLE_SSL_CERTPROBLEM:
		snprintf(fix, sizeof fix, "platform.cert_file %s or key_file "
		    "%s cannot be used: both PEM, the key the certificate's",
		    pc->cert_file, pc->key_file);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(fix, sizeof fix, "nothing answers there: is the "
		    "platform up, a firewall in between, the port in "
		    "platform.url right?");
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(fix, sizeof fix, "no answer within platform."
		    "connect_timeout_ms: a firewall that drops, or a proxy "
		    "needed?");
		break;
	default:
		snprintf(fix, sizeof fix, "%s", tls ? "the handshake failed: "
		    "does the platform take TLS 1.2 or later, and the client "
		    "certificate (platform.cert_file)?" : "the connection "
		    "failed");
		break;
	}
	hd_say(r, "fail", what, "%s:%s: %s: %s", host, port, err.msg, fix);
	return 0;
}

void
hd_check_platform(struct hd_report *r, const struct hg_config *cfg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p;
	struct hg_err err;
	char host[256], port[8], buf[512];
	int answered = 0, rc;

	if (!cfg->settle.enabled) {
		hd_say(r, "ok", "platform", "settlement is disabled "
		    "(settle.enabled = false)");
		return;
	}
	check_certs(r, cfg);
	if (url_host(cfg->platform.url, host, sizeof host, port,
	    sizeof port) == -1)
		hd_say(r, "fail", "dns", "platform.url %s has no host: expected "
		    "https://HOST[:PORT]/PATH", cfg->platform.url);
	else if (!check_dns(r, cfg->platform.url, host))
		hd_say(r, "fail", "platform", "sign-in (9001) not tried: %s does "
		    "not resolve (the dns line)", host);
	else if (hg_settle_platform_init(cfg, &sh, &err) < 0)
		hd_say(r, "fail", "platform", "%s", err.msg);
	else {
		p = hg_platform_new(&sh, &err);
		if (p == NULL)
			hd_say(r, "fail", "platform", "%s", err.msg);
		else if (!check_connect(r, cfg, p, host, port))
			hd_say(r, "fail", "platform", "sign-in (9001) not tried: "
			    "no connection (the %s line)", strncmp(cfg->
			    platform.url, "https:", 6) == 0 ? "tls" :
			    "connect");
		else if (hg_platform_signin(p, &err) < 0)
			hd_say(r, "fail", "platform", "%s: sign-in (9001) failed: "
			    "%s", cfg->platform.url, err.msg);
		else {
			hd_say(r, "ok", "platform", "%s answers; signed in "
			    "(9001)", cfg->platform.url);
			answered = 1;
			rc = hg_clock_skew_say(&sh.clock, buf, sizeof buf);
			hd_say(r, rc == 0 ? "ok" : "warn", "clock", "%s", buf);
		}
		hg_platform_free(p);
		hg_platform_shared_destroy(&sh);
	}
	/* respond_time comes with an answer: none, no clock */
	if (!answered)
		hd_say(r, "warn", "clock", "not checked (no answer from the "
		    "platform)");
}
