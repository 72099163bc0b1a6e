/* What an operator must know about the transport's trust: TLS
 * verification switched off (platform.insecure), certificates close to
 * expiry, and the clock's distance from the platform's (timestamped
 * gateway profiles fail first when it grows).  Used by the transport
 * (agent/platform.c) and by hisgate doctor. */
#ifndef HG_PLATFORM_TLS_H
#define HG_PLATFORM_TLS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* The platform's clock as last seen in an answer's respond_time. */
struct hg_clock_skew {
	pthread_mutex_t lock;
	int	 have;
	int64_t	 skew_s;	/* our clock minus the platform's */
	int64_t	 warned_at;	/* last hourly insecure warning (s) */
};

void	hg_clock_skew_init(struct hg_clock_skew *k);
void	hg_clock_skew_destroy(struct hg_clock_skew *k);
/* Note an answer's respond_time (yyyyMMddHHmmssSSS or "yyyy-MM-dd
 * HH:mm:ss", local time)
 * received at now (seconds); an unreadable time is ignored. */
void	hg_clock_skew_note(struct hg_clock_skew *k, const char *respond_time,
	    int64_t now);
/* A sentence for doctor; returns 0 (fine), 1 (warn: more than 60 s, the
 * first limit seen on gateways is 300 s) or -1 (no answer seen). */
int	hg_clock_skew_say(struct hg_clock_skew *k, char *out, size_t len);

/* platform.verify = false: warn in the log at most once an hour. */
void	hg_insecure_warn(struct hg_clock_skew *k, int64_t now);

/* A PEM certificate's expiry for doctor: 0 more than 30 days left, 1
 * less, 2 expired or unreadable; out says which and when. */
int	hg_cert_expiry(const char *path, int64_t now, char *out, size_t len);
/* The same sentence and verdict for a certificate called what whose
 * notAfter is not_after (seconds since the epoch). */
int	hg_expiry_say(const char *what, int64_t not_after, int64_t now,
	    char *out, size_t len);

#endif
