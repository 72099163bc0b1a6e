/* Trust of the transport (see agent/platform_tls.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agent/platform_tls.h"
#include "lib/log.h"

#define COMP		"platform"
#define SKEW_WARN_S	60

void
hg_clock_skew_init(struct hg_clock_skew *k)
{
	memset(k, 0, sizeof *k);
	k->warned_at = INT64_MIN / 2;
	pthread_mutex_init(&k->lock, NULL);
}

void
hg_clock_skew_destroy(struct hg_clock_skew *k)
{
	pthread_mutex_destroy(&k->lock);
}

void
hg_clock_skew_note(struct hg_clock_skew *k, const char *t, int64_t now)
{
	struct tm tm;
	time_t then;
	char d14[15], *end;
	size_t n;

	if (t == NULL)
		return;
	memset(&tm, 0, sizeof tm);
	/* the interface's 17-digit stamp (yyyyMMddHHmmssSSS), or the
	 * yyyy-MM-dd HH:mm:ss some provinces send */
	n = strspn(t, "0123456789");
	if ((n == 17 || n == 14) && t[n] == '\0') {
		memcpy(d14, t, 14);
		d14[14] = '\0';
		end = strptime(d14, "%Y%m%d%H%M%S", &tm);
	} else
		end = strptime(t, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL || *end != '\0')
		return;
	tm.tm_isdst = -1;
	if ((then = mktime(&tm)) == (time_t)-1)
		return;
	pthread_mutex_lock(&k->lock);
	k->have = 1;
	k->skew_s = now - (int64_t)then;
	pthread_mutex_unlock(&k->lock);
}

int
hg_clock_skew_say(struct hg_clock_skew *k, char *out, size_t len)
{
	int64_t s, a;
	int have;

	pthread_mutex_lock(&k->lock);
	have = k->have;
	s = k->skew_s;
	pthread_mutex_unlock(&k->lock);
	if (!have) {
		snprintf(out, len, "the platform's answer carried no "
		    "respond_time: clock difference unknown");
		return -1;
	}
	a = s < 0 ? -s : s;
	snprintf(out, len, "this clock is %lld s %s the platform's "
	    "(respond_time)%s", (long long)a, s >= 0 ? "ahead of" : "behind",
	    a > SKEW_WARN_S ? ": signed profiles (tif, xca, csb, sm4sm2) are "
	    "refused when it passes the gateway's limit (often 300 s); set "
	    "the time (chrony)" : "");
	return a > SKEW_WARN_S ? 1 : 0;
}

void
hg_insecure_warn(struct hg_clock_skew *k, int64_t now)
{
	int due;

	pthread_mutex_lock(&k->lock);
	due = now - k->warned_at >= 3600;
	if (due)
		k->warned_at = now;
	pthread_mutex_unlock(&k->lock);
	if (due)
		log_warn(COMP, "TLS verification is off (platform.verify = "
		    "false, insecure = true): anyone on the path can read and "
		    "change settlements; repeated hourly");
}

int
hg_expiry_say(const char *what, int64_t not_after, int64_t now, char *out,
    size_t len)
{
	char when[32];
	struct tm tm;
	time_t t = (time_t)not_after;
	int64_t left = not_after - now, days = left / 86400;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	if (left <= 0) {
		snprintf(out, len, "%s expired on %s", what, when);
		return 2;
	}
	snprintf(out, len, "%s expires on %s (in %lld day%s)", what, when,
	    (long long)days, days == 1 ? "" : "s");
	return days < 30 ? 1 : 0;
}

int
hg_cert_expiry(const char *path, int64_t now, char *out, size_t len)
{
	struct tm tm;
	X509 *x;
	FILE *f;
	int ok;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(out, len, "%s: %s", path, strerror(errno));
		return 2;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		ERR_clear_error();
		snprintf(out, len, "%s: not a PEM certificate", path);
		return 2;
	}
	ok = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1;
	X509_free(x);
	if (!ok) {
		snprintf(out, len, "%s: unreadable expiry date", path);
		return 2;
	}
	return hg_expiry_say(path, (int64_t)timegm(&tm), now, out, len);
}
