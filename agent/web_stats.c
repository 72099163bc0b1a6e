/* What this process saw of its adapters and of the platform's transport,
 * for /metrics and /healthz: how often each adapter polled its source,
 * how many HTTP exchanges the platform had, and how often they failed,
 * and how the daemon's last sign-in went.  The run loop
 * reports every poll (hg_web_adapter_poll); a mutex per report is cheap
 * next to a poll, which reads a directory or a database. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "agent/web_int.h"
#include "lib/log.h"

#define MAX_ADAPTERS	64
#define RING		256	/* recent failure times kept, for /healthz */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char	 name[64];
	long long polls, errors;
	int64_t	 last_error_ms;
	int64_t	 failing_ms;	/* wall ms of the first failure since the
				 * last poll that worked; 0 while it works */
	char	 last_error[HG_ERRLEN];
} ads[MAX_ADAPTERS];
static size_t nads;
static int64_t ring[RING];	/* CLOCK_MONOTONIC ms of failures */
static size_t ring_next;
static long long pcalls, pfailed;
static int64_t pring[RING];	/* the same for platform exchanges */
static size_t pring_next;
static int64_t down_since;	/* wall ms of the first failure since the
				 * last answer; 0 while it answers */
static struct hg_web_signin signin;	/* the daemon's last sign-in */

void
hg_web_platform_signin(const struct hg_err *err)
{
	pthread_mutex_lock(&lock);
	if (err == NULL) {
		signin.ok_ms = hg_wall_ms();
	} else {
		signin.failed_ms = hg_wall_ms();
		snprintf(signin.why, sizeof signin.why, "%s", err->msg);
	}
	pthread_mutex_unlock(&lock);
}

void
hg_web_platform_signin_get(struct hg_web_signin *out)
{
	pthread_mutex_lock(&lock);
	*out = signin;
	pthread_mutex_unlock(&lock);
}

void
hg_web_platform_call(int failed)
{
	pthread_mutex_lock(&lock);
	pcalls++;
	if (failed) {
		pfailed++;
		pring[pring_next % RING] = hg_now_ms();
		pring_next++;
		if (down_since == 0)
			down_since = hg_wall_ms();
	} else
		down_since = 0;
	pthread_mutex_unlock(&lock);
}

int64_t
hg_web_platform_down_since(void)
{
	int64_t v;

	pthread_mutex_lock(&lock);
	v = down_since;
	pthread_mutex_unlock(&lock);
	return v;
}

void
hg_web_platform_counts(long long *calls, long long *failed)
{
	pthread_mutex_lock(&lock);
	*calls = pcalls;
	*failed = pfailed;
	pthread_mutex_unlock(&lock);
}

static long long
since(const int64_t *r, size_t next, int64_t since_mono_ms)
{
	size_t i, have = next < RING ? next : RING;
	long long n = 0;

	for (i = 0; i < have; i++)
		if (r[i] >= since_mono_ms)
			n++;
	return n;
}

long long
hg_web_platform_errors_since(int64_t since_mono_ms)
{
	long long n;

	pthread_mutex_lock(&lock);
	n = since(pring, pring_next, since_mono_ms);
	pthread_mutex_unlock(&lock);
	return n;
}

void
hg_web_adapter_poll(const char *adapter, const struct hg_err *failed)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nads; i++)
		if (strcmp(ads[i].name, adapter) == 0)
			break;
	if (i == nads && nads < MAX_ADAPTERS) {
		snprintf(ads[i].name, sizeof ads[i].name, "%s", adapter);
		nads++;
	}
	if (i < nads) {
		ads[i].polls++;
		if (failed) {
			ads[i].errors++;
			ads[i].last_error_ms = hg_wall_ms();
			if (ads[i].failing_ms == 0)
				ads[i].failing_ms = ads[i].last_error_ms;
			snprintf(ads[i].last_error, sizeof ads[i].last_error,
			    "%s", failed->msg);
		} else
			ads[i].failing_ms = 0;
	}
	if (failed) {
		ring[ring_next % RING] = hg_now_ms();
		ring_next++;
	}
	pthread_mutex_unlock(&lock);
}

void
hg_web_adapter_each(void (*cb)(const struct hg_web_adapter_stat *, void *),
    void *arg)
{
	struct hg_web_adapter_stat s;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nads; i++) {
		s.name = ads[i].name;
		s.polls = ads[i].polls;
		s.errors = ads[i].errors;
		s.last_error_ms = ads[i].last_error_ms;
		s.failing_ms = ads[i].failing_ms;
		s.last_error = ads[i].last_error;
		cb(&s, arg);
	}
	pthread_mutex_unlock(&lock);
}

long long
hg_web_adapter_errors_since(int64_t since_mono_ms)
{
	long long n;

	pthread_mutex_lock(&lock);
	n = since(ring, ring_next, since_mono_ms);
	pthread_mutex_unlock(&lock);
	return n;
}
