/* The agent's web server (libmicrohttpd): the nurse page (/, /bill/ID),
 * /metrics, /healthz and the IT staff's pages.  Pages only read (the
 * outbox read-only) and it holds no secret; the operators' actions
 * (retry, replay, a mapping row: web_act.c) are POSTs, each confirmed
 * with a one-time token, and open the outbox for writing only for that.  One internal thread that sleeps in the kernel until
 * a browser connects (no polling).
 *
 * Bound to loopback unless a users file is configured: a server reachable
 * from the ward network without a password would show every patient of
 * the hospital to anyone on it. */
#ifndef HG_WEB_H
#define HG_WEB_H

#include <stdint.h>

#include "lib/conftab.h"
#include "lib/err.h"

struct hg_web_conf {
	int	 enabled;
	char	*listen;		/* ADDRESS:PORT */
	char	*users_file;		/* "" = none (loopback only) */
	char	*tls_cert, *tls_key;	/* PEM files; "" = plain HTTP */
	int64_t	 refresh_seconds;	/* the nurse page's polling period */
	int64_t	 health_errors;		/* /healthz: this many errors ... */
	int64_t	 health_window_s;	/* ... within this window: unhealthy */
	int64_t	 health_stuck_s;	/* a loop this long in one turn: stuck */
	int64_t	 disk_min_mb;		/* free space below this: alarm */
};

extern const struct hg_conf_key hg_web_keys[];

/* Beyond the table: listen parses, a non-loopback address needs
 * users_file, and users_file is owner-only and well-formed.  Problems go
 * to errs as FILE:LINE: ... */
struct hg_conf_errs;
struct hg_config;
void	hg_web_conf_check(const struct hg_config *cfg, const char *file,
	    struct hg_conf_errs *errs);

struct hg_web;
struct hg_intake;
/* What the operators' actions need of the running agent: its intake (the
 * mapping table replay uses, and the settlement's kick) and the reload
 * SIGHUP does (arg is reload's).  All must outlive the server. */
struct hg_web_hooks {
	struct hg_intake *in;
	int	(*reload)(void *arg, struct hg_err *err);
	void	*arg;
};
/* Start when web.enabled (else *out = NULL and 0).  The configuration
 * must outlive the server.  hooks NULL: the actions answer 503. */
int	hg_web_start(const struct hg_config *cfg,
	    const struct hg_web_hooks *hooks, struct hg_web **out,
	    struct hg_err *err);
void	hg_web_stop(struct hg_web *w);	/* NULL is fine */
/* SIGHUP's: read web.users_file again and put it in force for the next
 * request (logged at notice level, and said in done).  -1 with err
 * naming the file, line and problem when it cannot be used: the old
 * table stays.  No server, or one started without a users file: 0,
 * nothing done, done "". */
int	hg_web_reload(struct hg_web *w, char *done, size_t donesz,
	    struct hg_err *err);

/* The run loop reports each adapter poll (failed: why it failed, NULL
 * when it worked), for /metrics, /healthz and the health file.  Cheap,
 * thread-safe, callable with no server. */
void	hg_web_adapter_poll(const char *adapter, const struct hg_err *failed);
/* The platform transport reports each HTTP exchange (failed: 1 when no
 * answer came back: not connected, timed out, HTTP error), sign-ins
 * included, which the journal does not hold. */
void	hg_web_platform_call(int failed);
/* The platform reports each sign-in (9001) of this process: err NULL
 * when it worked, else why not.  For the health file (hisgate status). */
struct hg_web_signin {
	int64_t	 ok_ms;		/* wall ms of the last that worked; 0 none */
	int64_t	 failed_ms;	/* wall ms of the last that failed; 0 none */
	char	 why[HG_ERRLEN];	/* of that failure */
};
void	hg_web_platform_signin(const struct hg_err *err);
void	hg_web_platform_signin_get(struct hg_web_signin *out);
/* Since when (wall ms) every exchange with the platform failed: the first
 * failure after its last answer; 0 while it answers (or before any
 * exchange).  For the alert hook's "unreachable". */
int64_t	hg_web_platform_down_since(void);

/* Is ADDRESS:PORT on the loopback (127.0.0.0/8, [::1])? */
int	hg_web_is_loopback(const char *listen);

#endif
