/* The alert hook (agent/alert.h): its configuration, and the thread that
 * looks every alert.check_seconds at the outbox (bills long in doubt or
 * rejected), at this process's exchanges with the platform and at the
 * audit's cost-surge alarms, logs what holds and runs the hook for it.
 * Bills of one kind found in one check make one run (HISGATE_BILLS lists
 * them), so a platform refusing a whole ward's bills pages once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/alert.h"
#include "agent/audit.h"
#include "agent/conf.h"
#include "lib/access.h"
#include "lib/alert.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/stats.h"

#define COMP		"alert"
#define MAX_BILLS	200	/* looked at per kind and check */
#define LIST_BILLS	50	/* named in HISGATE_BILLS */
#define DAY_S		(30 * 86400)

#define L(f) offsetof(struct hg_alert_conf, f)
const struct hg_conf_key hg_alert_keys[] = {
	{ "command", HG_CT_STR, "", 0, 0, L(command),
	  "absolute path of the hook run for each alert (no shell); "
	  "\"\" = alerts are only logged", NULL, 0 },
	{ "check_seconds", HG_CT_INT, "30", 1, 3600, L(check_seconds),
	  "how often the agent looks for what to alert", NULL, 0 },
	{ "indoubt_seconds", HG_CT_INT, "900", 1, DAY_S, L(indoubt_seconds),
	  "alert a bill in_doubt longer than this", NULL, 0 },
	{ "rejected_seconds", HG_CT_INT, "3600", 1, DAY_S,
	  L(rejected_seconds), "alert a bill rejected or needs_person "
	  "longer than this", NULL, 0 },
	{ "unreachable_seconds", HG_CT_INT, "600", 1, DAY_S,
	  L(unreachable_seconds), "alert when no exchange with the platform "
	  "was answered for this long", NULL, 0 },
	{ "repeat_seconds", HG_CT_INT, "3600", 1, DAY_S, L(repeat_seconds),
	  "alert a condition that still holds again after this long", NULL,
	  0 },
	{ "timeout_seconds", HG_CT_INT, "30", 1, 3600, L(timeout_seconds),
	  "kill a hook still running after this long", NULL, 0 },
	{ "recovery", HG_CT_BOOL, "true", 0, 0, L(recovery),
	  "also run the hook when the platform answers again or a surge "
	  "clears (after it was alerted)", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef L

void
hg_alert_conf_check(const struct hg_config *cfg, struct hg_conf_errs *errs)
{
	const char *cmd = cfg->alert.command, *file;
	int line;

	if (cmd[0] == '\0' || cmd[0] == '/')
		return;
	line = hg_config_where(cfg, "alert.command", &file);
	hg_conf_errs_add(errs, file, line, "alert.command: \"%s\" is not an "
	    "absolute path (the hook runs without a shell or PATH: give it "
	    "whole, e.g. \"/usr/local/bin/%s\")", cmd, cmd);
}

void
hg_alert_confcheck(const struct hg_config *cfg, const struct hg_user *as,
    struct hg_conf_errs *errs)
{
	const char *cmd = cfg->alert.command, *file;
	struct stat st;
	char why[600];
	int line;

	if (cmd[0] != '/')	/* none, or loading said it */
		return;
	line = hg_config_where(cfg, "alert.command", &file);
	if (stat(cmd, &st) == -1)
		hg_conf_errs_add(errs, file, line, "alert.command: %s: %s (the "
		    "agent runs it for each alert: install it, or set "
		    "command = \"\" to only log alerts)", cmd, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		hg_conf_errs_add(errs, file, line, "alert.command: %s is not a "
		    "regular file (expected an executable program or script)",
		    cmd);
	else if (hg_access_check(as, cmd, X_OK, why, sizeof why) !=
	    HG_ACCESS_OK)
		hg_conf_errs_add(errs, file, line, "alert.command: %s (chmod "
		    "755 %s)", why, cmd);
}

struct hg_alerter {
	const struct hg_config *cfg;
	pthread_t	 thread;
	int		 stop[2];
	struct hg_outbox *ob;		/* read-only, opened on first use */
	struct hg_complain c_open;
	struct hg_alert_memo memo;
	int64_t		 down_since;	/* of the unreachable alerted */
};

/* The hook's environment, HISGATE_NAME=value each. */
struct env {
	char	*v[16];
	size_t	 n;
};

static void
env_add(struct env *e, const char *name, const char *value)
{
	char buf[1024];

	if (e->n + 1 >= sizeof e->v / sizeof e->v[0] || value == NULL)
		return;
	e->v[e->n++] = hg_xasprintf("HISGATE_%s=%s", name,
	    hg_alert_value(value, buf, sizeof buf));
	e->v[e->n] = NULL;
}

static void
env_free(struct env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

/* Has the agent begun to stop?  Then the rest of a check starts no hook
 * (each would be killed at once). */
static int
stopping(struct hg_alerter *al)
{
	struct pollfd p;

	p.fd = al->stop[0];
	p.events = POLLIN;
	return poll(&p, 1, 0) > 0;
}

/* Log the alert and run the hook: HISGATE_ALERT, HISGATE_TEXT,
 * HISGATE_SINCE and HISGATE_SECONDS (when since_ms), HISGATE_HOSPITAL,
 * with what the caller put in e. */
static void
fire(struct hg_alerter *al, const char *kind, const char *text,
    int64_t since_ms, struct env *e)
{
	const struct hg_alert_conf *ac = &al->cfg->alert;
	char at[32], secs[32];

	env_add(e, "ALERT", kind);
	env_add(e, "TEXT", text);
	env_add(e, "HOSPITAL", al->cfg->agent.fixmedins_code);
	if (since_ms > 0) {
		hg_fmt_time(since_ms, at, sizeof at);
		snprintf(secs, sizeof secs, "%lld",
		    (long long)((hg_wall_ms() - since_ms) / 1000));
		env_add(e, "SINCE", at);
		env_add(e, "SECONDS", secs);
	}
	if (strcmp(kind, "reachable") == 0 ||
	    strcmp(kind, "surge_cleared") == 0)
		log_notice(COMP, "%s: %s", kind, text);
	else
		log_warn(COMP, "%s: %s", kind, text);
	if (ac->command[0] != '\0' && !stopping(al))
		hg_alert_run(ac->command, kind, (const char *const *)e->v,
		    ac->timeout_seconds, al->stop[0]);
	env_free(e);
}

static void
ago(int64_t ms, char *buf, size_t len)
{
	long long s = ms / 1000;

	if (s < 120)
		snprintf(buf, len, "%lld s", s);
	else if (s < 7200)
		snprintf(buf, len, "%lld min", s / 60);
	else
		snprintf(buf, len, "%lld h", s / 3600);
}

/* The bills of one kind found in this check that are due. */
struct batch {
	struct hg_alerter *al;
	const char *kind;
	int64_t	 now;
	size_t	 due;
	char	 ids[LIST_BILLS * 21];
	/* the oldest due */
	long long id;
	char	 state[32], ipt_no[64], *reason;
	int64_t	 since_ms;
};

static int
stuck_cb(const struct hg_stats_stuck *s, void *arg)
{
	struct batch *b = arg;
	char key[64];
	size_t len;

	snprintf(key, sizeof key, "%s:%lld", b->kind, s->id);
	if (!hg_alert_note(&b->al->memo, key, b->now,
	    b->al->cfg->alert.repeat_seconds * 1000))
		return 0;
	if (b->due < LIST_BILLS) {
		len = strlen(b->ids);
		snprintf(b->ids + len, sizeof b->ids - len, "%s%lld",
		    len > 0 ? " " : "", s->id);
	}
	if (b->due++ == 0 || s->since_ms < b->since_ms) {
		b->id = s->id;
		b->since_ms = s->since_ms;
		snprintf(b->state, sizeof b->state, "%s", s->state);
		snprintf(b->ipt_no, sizeof b->ipt_no, "%s",
		    s->ipt_no != NULL ? s->ipt_no : "");
		free(b->reason);
		/* the platform's words may quote the patient's name */
		b->reason = s->err_msg != NULL ?
		    hg_mask_text(s->err_msg, s->name) : NULL;
	}
	return 0;
}

static void
bills(struct hg_alerter *al, const char *kind, const char *const *states,
    int64_t after_s)
{
	struct batch b;
	struct hg_err err;
	struct env e = { { NULL }, 0 };
	char text[1200], howlong[32], count[32], id[32];
	size_t i, k, len;

	memset(&b, 0, sizeof b);
	b.al = al;
	b.kind = kind;
	b.now = hg_wall_ms();
	for (i = 0; states[i] != NULL; i++)
		if (hg_stats_stuck(al->ob, states[i], b.now - after_s * 1000,
		    MAX_BILLS, stuck_cb, &b, &err) == -1) {
			log_warn(COMP, "%s bills: %s", kind, err.msg);
			/* what was not looked at must not count as over */
			for (k = 0; k < al->memo.n; k++)
				if (strncmp(al->memo.v[k].key, kind,
				    strlen(kind)) == 0)
					al->memo.v[k].seen = 1;
		}
	if (b.due == 0) {
		free(b.reason);
		return;
	}
	ago(b.now - b.since_ms, howlong, sizeof howlong);
	snprintf(text, sizeof text, "bill %lld (住院号 %s) %s for %s%s%s "
	    "(hisgate queue show %lld)", b.id, b.ipt_no[0] ? b.ipt_no : "-",
	    b.state, howlong, b.reason != NULL ? ": " : "",
	    b.reason != NULL ? b.reason : "", b.id);
	if (b.due > 1) {
		len = strlen(text);
		snprintf(text + len, sizeof text - len, "; %zu bills in all "
		    "(HISGATE_BILLS)", b.due);
	}
	snprintf(id, sizeof id, "%lld", b.id);
	snprintf(count, sizeof count, "%zu", b.due);
	env_add(&e, "BILL", id);
	env_add(&e, "BILLS", b.ids);
	env_add(&e, "COUNT", count);
	env_add(&e, "STATE", b.state);
	env_add(&e, "IPT_NO", b.ipt_no);
	fire(al, kind, text, b.since_ms, &e);
	free(b.reason);
}

static void
unreachable(struct hg_alerter *al)
{
	const struct hg_alert_conf *ac = &al->cfg->alert;
	int64_t down = hg_web_platform_down_since(), now = hg_wall_ms();
	struct env e = { { NULL }, 0 };
	char text[600], howlong[32];

	if (down == 0 || now - down < ac->unreachable_seconds * 1000)
		return;
	if (!hg_alert_note(&al->memo, "unreachable", now,
	    ac->repeat_seconds * 1000))
		return;
	al->down_since = down;
	ago(now - down, howlong, sizeof howlong);
	snprintf(text, sizeof text, "the platform (%s) has answered no "
	    "exchange for %s: bills wait in the outbox (hisgate status)",
	    al->cfg->platform.url, howlong);
	fire(al, "unreachable", text, down, &e);
}

struct surges {
	struct hg_alerter *al;
	struct hg_audit_surge_on *v;
	size_t	 n;
};

static void
surge_copy(const struct hg_audit_surge_on *a, void *arg)
{
	struct surges *s = arg;
	struct hg_audit_surge_on *o;

	s->v = hg_xrealloc(s->v, s->n + 1, sizeof *s->v);
	o = &s->v[s->n++];
	*o = *a;
	o->dept = hg_xstrdup(a->dept);
	o->region = hg_xstrdup(a->region);
}

static void
surge(struct hg_alerter *al)
{
	struct surges s = { al, NULL, 0 };
	struct env e = { { NULL }, 0 };
	char key[400], text[800], bill[32], bills[3 * 24];
	size_t i, k, len;

	hg_audit_surge_each(surge_copy, &s);
	for (i = 0; i < s.n; i++) {
		const struct hg_audit_surge_on *a = &s.v[i];

		snprintf(key, sizeof key, "surge:%s|%s", a->dept, a->region);
		if (hg_alert_note(&al->memo, key, hg_wall_ms(),
		    al->cfg->alert.repeat_seconds * 1000)) {
			hg_audit_surge_text(a, text, sizeof text);
			snprintf(bill, sizeof bill, "%lld", a->ntop ?
			    a->top_bills[0] : 0LL);
			for (k = len = 0, bills[0] = '\0'; k < a->ntop; k++)
				len += (size_t)snprintf(bills + len,
				    sizeof bills - len, "%s%lld", k ? " " : "",
				    a->top_bills[k]);
			env_add(&e, "DEPT", a->dept);
			env_add(&e, "REGION", a->region);
			env_add(&e, "BILL", bill);
			env_add(&e, "BILLS", bills);
			fire(al, "surge", text, a->since_ms, &e);
		}
		free((char *)a->dept);
		free((char *)a->region);
	}
	free(s.v);
}

/* A condition alerted before no longer holds. */
static void
gone(const char *key, int alerted, void *arg)
{
	struct hg_alerter *al = arg;
	struct env e = { { NULL }, 0 };
	char text[600], *dept, *bar;

	if (!alerted || !al->cfg->alert.recovery)
		return;
	if (strcmp(key, "unreachable") == 0) {
		snprintf(text, sizeof text, "the platform (%s) answers again",
		    al->cfg->platform.url);
		fire(al, "reachable", text, al->down_since, &e);
	} else if (strncmp(key, "surge:", 6) == 0) {
		dept = hg_xstrdup(key + 6);
		if ((bar = strrchr(dept, '|')) != NULL)
			*bar++ = '\0';
		snprintf(text, sizeof text, "cost surge cleared: department "
		    "%s, insured region %s", dept, bar != NULL ? bar : "-");
		env_add(&e, "DEPT", dept);
		env_add(&e, "REGION", bar);
		fire(al, "surge_cleared", text, 0, &e);
		free(dept);
	}
}

static void
check(struct hg_alerter *al)
{
	static const char *const indoubt[] = { HG_S_INDOUBT, NULL };
	static const char *const refused[] = { HG_S_REJECTED, HG_S_PERSON,
	    NULL };
	const struct hg_alert_conf *ac = &al->cfg->alert;
	struct hg_err err;
	size_t i;

	if (al->ob == NULL && hg_outbox_open(al->cfg->agent.outbox,
	    HG_OB_READONLY, &al->ob, &err) == -1) {
		al->ob = NULL;
		hg_complain(&al->c_open, HG_LOG_ERR, COMP, "cannot open the "
		    "outbox, bills are not looked at: %s", err.msg);
		/* nothing about bills or surges is known: keep them */
		for (i = 0; i < al->memo.n; i++)
			if (strcmp(al->memo.v[i].key, "unreachable") != 0)
				al->memo.v[i].seen = 1;
	} else if (al->ob != NULL) {
		hg_complain_release(&al->c_open, COMP, "the outbox opens again");
		bills(al, "indoubt", indoubt, ac->indoubt_seconds);
		bills(al, "rejected", refused, ac->rejected_seconds);
		surge(al);
	}
	unreachable(al);
	hg_alert_sweep(&al->memo, gone, al);
}

static void *
alert_main(void *arg)
{
	struct hg_alerter *al = arg;
	struct pollfd p;

	for (;;) {
		p.fd = al->stop[0];
		p.events = POLLIN;
		if (poll(&p, 1, (int)(al->cfg->alert.check_seconds * 1000)) !=
		    0 && (p.revents & POLLIN))
			break;
		check(al);
	}
	return NULL;
}

int
hg_alert_start(const struct hg_config *cfg, struct hg_alerter **out,
    struct hg_err *err)
{
	struct hg_alerter *al;

	*out = NULL;
	al = hg_xcalloc(1, sizeof *al);
	al->cfg = cfg;
	if (pipe2(al->stop, O_CLOEXEC) == -1) {
		free(al);
		return hg_fail(err, "alerts: pipe: %s", strerror(errno));
	}
	if (cfg->alert.command[0] != '\0' && access(cfg->alert.command,
	    X_OK) == -1)
		log_error(COMP, "alert.command %s: %s: alerts are logged, "
		    "the hook will fail to run (hisgate check-config)",
		    cfg->alert.command, strerror(errno));
	if (pthread_create(&al->thread, NULL, alert_main, al) != 0) {
		close(al->stop[0]);
		close(al->stop[1]);
		free(al);
		return hg_fail(err, "alerts: cannot start their thread");
	}
	*out = al;
	return 0;
}

void
hg_alert_stop(struct hg_alerter *al)
{
	if (al == NULL)
		return;
	if (write(al->stop[1], "x", 1) < 0)
		log_warn(COMP, "stop pipe: %s", strerror(errno));
	pthread_join(al->thread, NULL);
	close(al->stop[0]);
	close(al->stop[1]);
	hg_outbox_close(al->ob);
	hg_alert_memo_free(&al->memo);
	free(al);
}
