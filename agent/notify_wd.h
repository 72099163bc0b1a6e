/* systemd's watchdog (WatchdogSec=, $WATCHDOG_USEC) fed only while the
 * daemon's loops move: every adapter thread and settlement worker beats
 * once per turn, and says so before it sleeps or waits for the platform
 * (how long that may take).  The main thread pings WATCHDOG=1 while no
 * loop is more than WatchdogSec late; a hung loop stops the pings and
 * systemd restarts the agent.  Without $NOTIFY_SOCKET and $WATCHDOG_USEC
 * a beat only records the time. */
#ifndef HG_NOTIFY_WD_H
#define HG_NOTIFY_WD_H

#include <signal.h>
#include <stdint.h>

/* The calling thread, named who (its first beat registers it), is alive
 * now and may not beat again for up to idle_ms (a nap, a platform call)
 * without counting as late.  The thread's slot goes when it exits.
 *
 * For tests only: HISGATE_TEST_HANG=WHO in the environment makes the
 * thread named WHO ("settle" for the settlement workers, an adapter's
 * name for its thread) hang at its first beat, as a loop stuck in a
 * call would. */
void	hg_beat(const char *who, int64_t idle_ms);

/* What /healthz, /metrics and the daemon's health file (agent/health.h)
 * see of each loop: the watchdog's own notion, so that they call stuck
 * what it would.  late_ms: how far past the time its last beat said it
 * would beat again (negative: not due yet); the watchdog gives up when
 * that passes WatchdogSec, /healthz when it passes web.health_stuck_s. */
struct hg_beat_info {
	const char *who;
	int64_t	 late_ms;
	int64_t	 beat_wall;	/* wall ms: the last beat (a turn began) */
	int64_t	 rest_wall;	/* wall ms: the last turn ended; 0 never */
	int64_t	 born_wall;	/* wall ms: the first beat */
};
/* cb for each loop that beat (under a lock: cb must be short). */
void	hg_beat_each(void (*cb)(const struct hg_beat_info *, void *),
	    void *arg);
/* WatchdogSec in ms, 0 when systemd does not watch this process. */
int64_t	hg_watchdog_ms(void);

/* sigwait(3) for the main thread, pinging the watchdog meanwhile (every
 * quarter of WatchdogSec) while every loop is on time; logs the loop that
 * is late once, and when it moves again. */
int	hg_watchdog_sigwait(const sigset_t *set, int *sig);
/* The same, giving up after timeout_ms (< 0: never): then 0 with *sig 0.
 * For the main thread's own slow timers (retention, hourly). */
int	hg_watchdog_sigtimedwait(const sigset_t *set, int *sig,
	    int64_t timeout_ms);

#endif
