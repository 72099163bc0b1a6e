#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/notify.h"
#include "agent/notify_wd.h"
#include "lib/log.h"

#define COMP		"watchdog"
#define NSLOTS		256	/* adapters + workers; more go unwatched */

struct slot {
	atomic_int	 used;
	atomic_llong	 due_ms;	/* monotonic: beat + allowed idle */
	atomic_llong	 beat_ms;	/* monotonic: the last beat */
	atomic_llong	 beat_wall;	/* the same, wall ms, to be shown */
	atomic_llong	 rest_wall;	/* wall ms of the last beat with an
					 * idle time: a turn ended; 0 none */
	atomic_llong	 born_wall;	/* wall ms of the first beat */
	char		 who[64];
};

static struct slot slots[NSLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static char hang_who[64];
static int64_t wd_ms;		/* WatchdogSec in ms; 0: no watchdog */

static void
slot_release(void *p)
{
	struct slot *s = p;

	atomic_store(&s->used, 0);
}

static void
setup(void)
{
	const char *v = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	const char *hang = getenv("HISGATE_TEST_HANG");
	char *end;
	unsigned long long us;

	(void)pthread_key_create(&key, slot_release);
	if (hang != NULL)
		snprintf(hang_who, sizeof hang_who, "%s", hang);
	if (v == NULL || !hg_notify_enabled())
		return;
	/* systemd names the process meant; a child that inherited the
	 * variables must not ping for it */
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return;
	errno = 0;
	us = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || us == 0)
		return;
	wd_ms = (int64_t)(us / 1000);
	if (wd_ms < 1)
		wd_ms = 1;
}

static struct slot *
slot_get(const char *who)
{
	struct slot *s = pthread_getspecific(key);
	size_t i;

	if (s != NULL)
		return s;
	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < NSLOTS; i++) {
		if (atomic_load(&slots[i].used))
			continue;
		s = &slots[i];
		snprintf(s->who, sizeof s->who, "%s", who);
		atomic_store(&s->due_ms, hg_now_ms());
		atomic_store(&s->beat_ms, hg_now_ms());
		atomic_store(&s->beat_wall, hg_wall_ms());
		atomic_store(&s->born_wall, hg_wall_ms());
		atomic_store(&s->rest_wall, 0);
		atomic_store(&s->used, 1);
		break;
	}
	pthread_mutex_unlock(&slots_lock);
	if (s != NULL)
		(void)pthread_setspecific(key, s);
	return s;
}

void
hg_beat(const char *who, int64_t idle_ms)
{
	struct slot *s;
	int64_t now;

	pthread_once(&once, setup);
	if ((s = slot_get(who)) == NULL)
		return;
	if (hang_who[0] != '\0' && strcmp(hang_who, who) == 0) {
		log_warn(COMP, "%s hangs here (HISGATE_TEST_HANG)", who);
		for (;;)
			sleep(60);
	}
	now = hg_now_ms();
	atomic_store(&s->beat_ms, now);
	atomic_store(&s->beat_wall, hg_wall_ms());
	if (idle_ms > 0)
		atomic_store(&s->rest_wall, hg_wall_ms());
	atomic_store(&s->due_ms, now + (idle_ms > 0 ? idle_ms : 0));
}

int64_t
hg_watchdog_ms(void)
{
	pthread_once(&once, setup);
	return wd_ms;
}

void
hg_beat_each(void (*cb)(const struct hg_beat_info *, void *), void *arg)
{
	struct hg_beat_info bi;
	int64_t now = hg_now_ms();
	size_t i;

	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < NSLOTS; i++) {
		if (!atomic_load(&slots[i].used))
			continue;
		bi.who = slots[i].who;
		bi.late_ms = now - (int64_t)atomic_load(&slots[i].due_ms);
		bi.beat_wall = atomic_load(&slots[i].beat_wall);
		bi.rest_wall = atomic_load(&slots[i].rest_wall);
		bi.born_wall = atomic_load(&slots[i].born_wall);
		cb(&bi, arg);
	}
	pthread_mutex_unlock(&slots_lock);
}

/* The loop furthest past its due time by more than WatchdogSec, or -1. */
static int
late_slot(int64_t now, int64_t *late_ms, char *who, size_t len)
{
	int64_t worst = 0, d;
	int found = -1;
	size_t i;

	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < NSLOTS; i++) {
		if (!atomic_load(&slots[i].used))
			continue;
		d = now - (int64_t)atomic_load(&slots[i].due_ms);
		if (d > wd_ms && d > worst) {
			worst = d;
			found = (int)i;
			snprintf(who, len, "%s", slots[i].who);
		}
	}
	pthread_mutex_unlock(&slots_lock);
	*late_ms = worst;
	return found;
}

static void
ping(void)
{
	static int late;	/* main thread only */
	char who[64], status[160];
	int64_t ms;

	if (late_slot(hg_now_ms(), &ms, who, sizeof who) == -1) {
		if (late) {
			log_notice(COMP, "every loop moves again: watchdog "
			    "pings resume");
			hg_notify("STATUS=running");
			late = 0;
		}
		hg_notify("WATCHDOG=1");
		return;
	}
	if (!late) {
		log_error(COMP, "%s has not moved for %lld s (WatchdogSec is "
		    "%lld s): no more watchdog pings, systemd will restart "
		    "the agent", who, (long long)(ms / 1000),
		    (long long)(wd_ms / 1000));
		snprintf(status, sizeof status, "STATUS=%s hangs", who);
		hg_notify(status);
		late = 1;
	}
}

int
hg_watchdog_sigwait(const sigset_t *set, int *sig)
{
	return hg_watchdog_sigtimedwait(set, sig, -1);
}

int
hg_watchdog_sigtimedwait(const sigset_t *set, int *sig, int64_t timeout_ms)
{
	struct timespec ts;
	int64_t every, left, end = hg_now_ms() + timeout_ms;
	int r;

	pthread_once(&once, setup);
	*sig = 0;
	if (wd_ms == 0 && timeout_ms < 0)
		return sigwait(set, sig);
	every = wd_ms / 4 > 50 ? wd_ms / 4 : 50;
	for (;;) {
		if (wd_ms != 0)
			ping();
		left = timeout_ms < 0 ? every : end - hg_now_ms();
		if (left <= 0)
			return 0;
		if (wd_ms != 0 && left > every)
			left = every;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		r = sigtimedwait(set, NULL, &ts);
		if (r > 0) {
			*sig = r;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return errno;
	}
}
