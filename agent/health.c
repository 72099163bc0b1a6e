/* Each adapter's health, from the watchdog's beats and the polls the run
 * loop reported (agent/health.h). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/conf.h"
#include "agent/health.h"
#include "agent/notify_wd.h"
#include "agent/pidfile.h"
#include "agent/web.h"
#include "agent/web_int.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

static const char *const names[] = { "starting", "running", "failing",
    "stuck" };

const char *
hg_health_state_name(int state)
{
	return state >= 0 && state < (int)(sizeof names / sizeof names[0]) ?
	    names[state] : "?";
}

static int
state_parse(const char *s)
{
	int i;

	for (i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

struct ctx {
	const struct hg_config *cfg;
	struct hg_health_ad *out;
	int64_t	 now;		/* wall ms */
	/* hg_health_other_stuck */
	char	*who;
	size_t	 len;
	int64_t	 since;
	int	 found;
};

static struct hg_health_ad *
find(struct ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->cfg->nadapters; i++)
		if (strcmp(c->out[i].name, name) == 0)
			return &c->out[i];
	return NULL;
}

static void
stat_cb(const struct hg_web_adapter_stat *s, void *arg)
{
	struct hg_health_ad *a = find(arg, s->name);

	if (a == NULL)
		return;
	if (s->failing_ms > 0) {
		a->state = HG_AD_FAILING;
		a->since_ms = s->failing_ms;
		snprintf(a->text, sizeof a->text, "%s", s->last_error);
	} else if (s->polls > 0)
		a->state = HG_AD_RUNNING;
}

static void
beat_cb(const struct hg_beat_info *b, void *arg)
{
	struct ctx *c = arg;
	struct hg_health_ad *a = find(c, b->who);
	char t[32];

	if (a == NULL)
		return;
	a->rest_ms = b->rest_wall > 0 ? b->rest_wall : b->born_wall;
	if (b->late_ms <= c->cfg->web.health_stuck_s * 1000)
		return;
	a->state = HG_AD_STUCK;
	a->since_ms = b->beat_wall;
	hg_fmt_time(b->beat_wall, t, sizeof t);
	snprintf(a->text, sizeof a->text, "no poll finished for %lld s, "
	    "inside one since %s (limit web.health_stuck_s %lld, poll_ms "
	    "%lld)", (long long)((c->now - a->rest_ms) / 1000), t,
	    (long long)c->cfg->web.health_stuck_s,
	    (long long)c->cfg->agent.poll_ms);
}

void
hg_health_adapters(const struct hg_config *cfg, struct hg_health_ad *out)
{
	struct ctx c;
	size_t i;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.out = out;
	c.now = hg_wall_ms();
	for (i = 0; i < cfg->nadapters; i++) {
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].name, sizeof out[i].name, "%s",
		    cfg->adapters[i]->name);
	}
	hg_web_adapter_each(stat_cb, &c);
	/* last: a loop that hangs is stuck, whatever its last poll did */
	hg_beat_each(beat_cb, &c);
}

static void
other_cb(const struct hg_beat_info *b, void *arg)
{
	struct ctx *c = arg;

	if (c->found || find(c, b->who) != NULL ||
	    b->late_ms <= c->cfg->web.health_stuck_s * 1000)
		return;
	c->found = 1;
	snprintf(c->who, c->len, "%s", b->who);
	c->since = b->beat_wall;
}

int
hg_health_other_stuck(const struct hg_config *cfg, char *who, size_t len,
    int64_t *since_ms)
{
	struct hg_health_ad *ads = hg_xcalloc(cfg->nadapters + 1, sizeof *ads);
	struct ctx c;
	size_t i;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.out = ads;
	c.who = who;
	c.len = len;
	for (i = 0; i < cfg->nadapters; i++)
		snprintf(ads[i].name, sizeof ads[i].name, "%s",
		    cfg->adapters[i]->name);
	hg_beat_each(other_cb, &c);
	*since_ms = c.since;
	free(ads);
	return c.found;
}

char *
hg_health_path(const char *outbox)
{
	return hg_xasprintf("%s.health", outbox);
}

int64_t
hg_health_every_ms(const struct hg_config *cfg)
{
	int64_t half = cfg->web.health_stuck_s * 1000 / 2;

	/* often enough that status is a few seconds behind at most; each
	 * check is a walk over a few slots, a write only on a change */
	return half < 5000 ? (half > 500 ? half : 500) : 5000;
}

struct hg_health_writer {
	const struct hg_config *cfg;
	const struct hg_runinfo *ri;
	char	*path;
	char	*said;		/* the file's text now; NULL: not written */
	int	*was;		/* each adapter's state last time */
};

struct hg_health_writer *
hg_health_writer_new(const struct hg_config *cfg, const struct hg_runinfo *ri)
{
	struct hg_health_writer *w = hg_xcalloc(1, sizeof *w);

	w->cfg = cfg;
	w->ri = ri;
	w->path = hg_health_path(cfg->agent.outbox);
	w->was = hg_xcalloc(cfg->nadapters + 1, sizeof *w->was);
	(void)unlink(w->path);	/* a killed daemon's says nothing now */
	return w;
}

void
hg_health_writer_free(struct hg_health_writer *w)
{
	if (w == NULL)
		return;
	(void)unlink(w->path);
	free(w->path);
	free(w->said);
	free(w->was);
	free(w);
}

/* One line of text: a line end in an error would start a key. */
static void
add_line(struct hg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_line(struct hg_buf *b, const char *fmt, ...)
{
	char line[2 * HG_ERRLEN], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	hg_buf_adds(b, line);
	hg_buf_addc(b, '\n');
}

static void
tell(struct hg_health_writer *w, size_t i, const struct hg_health_ad *a)
{
	if (a->state == HG_AD_STUCK && w->was[i] != HG_AD_STUCK)
		log_error(a->name, "stuck: %s; /healthz says so", a->text);
	else if (a->state != HG_AD_STUCK && w->was[i] == HG_AD_STUCK)
		log_notice(a->name, "moves again: no longer stuck");
	w->was[i] = a->state;
}

void
hg_health_update(struct hg_health_writer *w)
{
	const struct hg_config *cfg = w->cfg;
	struct hg_health_ad *ads = hg_xcalloc(cfg->nadapters + 1, sizeof *ads);
	struct hg_web_signin si;
	struct hg_buf b = { NULL, 0, 0 };
	struct hg_err err;
	size_t i;

	hg_health_adapters(cfg, ads);
	add_line(&b, "pid=%ld", w->ri->pid);
	add_line(&b, "started_ms=%" PRId64, w->ri->started_ms);
	for (i = 0; i < cfg->nadapters; i++) {
		tell(w, i, &ads[i]);
		add_line(&b, "adapter=%s %s %" PRId64 " %s", ads[i].name,
		    hg_health_state_name(ads[i].state), ads[i].since_ms,
		    /* how long it is stuck changes every second: the
		     * reader works that out from since */
		    ads[i].state == HG_AD_FAILING ? ads[i].text : "");
	}
	hg_web_platform_signin_get(&si);
	if (si.ok_ms == 0 && si.failed_ms == 0)
		add_line(&b, "signin=none 0 ");
	else if (si.ok_ms >= si.failed_ms)
		add_line(&b, "signin=ok %" PRId64 " ", si.ok_ms);
	else
		add_line(&b, "signin=failed %" PRId64 " %s", si.failed_ms,
		    si.why);
	free(ads);
	if (w->said != NULL && strcmp(w->said, b.data) == 0) {
		hg_buf_free(&b);
		return;
	}
	if (hg_kv_replace(w->path, &b, "health file", &err) == -1) {
		log_warn("hisgate", "%s: hisgate status will not see the "
		    "adapters", err.msg);
		hg_buf_free(&b);
		return;
	}
	free(w->said);
	w->said = hg_buf_take(&b);
}

static void
file_kv(const char *key, char *val, void *arg)
{
	struct hg_health_file *hf = arg;
	struct hg_health_ad *a;
	char name[64], state[16];
	long long since;
	int n = 0;

	if (strcmp(key, "pid") == 0) {
		hf->pid = strtol(val, NULL, 10);
	} else if (strcmp(key, "started_ms") == 0) {
		hf->started_ms = strtoll(val, NULL, 10);
	} else if (strcmp(key, "adapter") == 0) {
		if (sscanf(val, "%63s %15s %lld %n", name, state, &since,
		    &n) < 3 || n == 0)
			return;
		hf->ads = hg_xrealloc(hf->ads, hf->nads + 1, sizeof *hf->ads);
		a = &hf->ads[hf->nads++];
		memset(a, 0, sizeof *a);
		snprintf(a->name, sizeof a->name, "%s", name);
		a->state = state_parse(state);
		a->since_ms = since;
		snprintf(a->text, sizeof a->text, "%s", val + n);
	} else if (strcmp(key, "signin") == 0) {
		if (sscanf(val, "%15s %lld %n", state, &since, &n) < 2 ||
		    n == 0)
			return;
		hf->signin = strcmp(state, "ok") == 0 ? 1 :
		    strcmp(state, "failed") == 0 ? 2 : 0;
		hf->signin_ms = since;
		snprintf(hf->signin_why, sizeof hf->signin_why, "%s", val + n);
	}
}

int
hg_health_read(const char *path, struct hg_health_file *hf)
{
	FILE *fp;

	memset(hf, 0, sizeof *hf);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	hg_kv_each(fp, file_kv, hf);
	fclose(fp);
	return 0;
}

void
hg_health_file_free(struct hg_health_file *hf)
{
	free(hf->ads);
	hf->ads = NULL;
	hf->nads = 0;
}
