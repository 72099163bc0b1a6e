/* The daemon's cost-surge watch (issue 12's alarm): a thread of its own
 * that reads the outbox's cross-province discharges a little after the
 * start and then once an hour, and logs each alarm when it fires and when
 * it clears; what is on is kept for /metrics, the IT page and the alert
 * hook (hg_audit_surge_each).  It used to run inside a settlement worker's audit gate,
 * where reading every stored bill held up the bill that worker had
 * claimed: the gate now only audits the bill in hand. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/audit.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

#define COMP		"audit"
#define FIRST_MS	10000		/* after the start: intake first */
#define EVERY_MS	(3600 * 1000)

struct hg_audit_watch {
	const struct hg_config *cfg;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 stopping;
	int		 kicked;	/* look now (hg_audit_watch_kick) */
};

/* The alarms on, keyed "dept|region", as the last look found them: one
 * list per process (one watch runs), swapped whole under on_lock so
 * readers never wait for a look. */
struct surge_on {
	char	*key;
	struct hg_audit_surge_on a;
};

static pthread_mutex_t on_lock = PTHREAD_MUTEX_INITIALIZER;
static struct surge_on *on;	/* written by the watch thread only */
static size_t non;

static const struct surge_on *
key_in(const struct surge_on *v, size_t n, const char *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, k) == 0)
			return &v[i];
	return NULL;
}

static void
on_free(struct surge_on *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free((char *)v[i].a.dept);
		free((char *)v[i].a.region);
	}
	free(v);
}

/* Swap in the new list (NULL, 0: none on) and free the old. */
static void
publish(struct surge_on *v, size_t n)
{
	struct surge_on *old;
	size_t nold;

	pthread_mutex_lock(&on_lock);
	old = on;
	nold = non;
	on = v;
	non = n;
	pthread_mutex_unlock(&on_lock);
	on_free(old, nold);
}

size_t
hg_audit_surge_each(void (*cb)(const struct hg_audit_surge_on *, void *),
    void *arg)
{
	size_t i, n;

	pthread_mutex_lock(&on_lock);
	n = non;
	for (i = 0; cb != NULL && i < non; i++)
		cb(&on[i].a, arg);
	pthread_mutex_unlock(&on_lock);
	return n;
}

/* "12, 40 and 7" */
static void
list_add(char *buf, size_t size, size_t *len, size_t i, size_t n,
    const char *item)
{
	if (*len < size)
		*len += (size_t)snprintf(buf + *len, size - *len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " and " : ", ", item);
}

void
hg_audit_surge_text(const struct hg_audit_surge_on *a, char *buf,
    size_t size)
{
	char p[HG_DECBUF], c[HG_DECBUF], r[HG_DECBUF], id[24];
	size_t i, len;

	len = (size_t)snprintf(buf, size, "cost surge: department %s, insured "
	    "region %s: average per cross-province discharge %s -> %s yuan "
	    "(+%s %%) over %d days; dearest bill%s ", a->dept, a->region,
	    hg_dec_format(a->prev_avg, 2, p), hg_dec_format(a->cur_avg, 2, c),
	    hg_dec_format(a->pct_x10, 1, r), a->window, a->ntop == 1 ? "" :
	    "s");
	for (i = 0; i < a->ntop; i++) {
		snprintf(id, sizeof id, "%lld", a->top_bills[i]);
		list_add(buf, size, &len, i, a->ntop, id);
	}
	if (a->ntop == 0)
		list_add(buf, size, &len, 0, 1, "-");
	list_add(buf, size, &len, 0, 1, a->ncodes == 1 ? "; item " :
	    "; items ");
	for (i = 0; i < a->ncodes; i++)
		list_add(buf, size, &len, i, a->ncodes, a->top_codes[i]);
	list_add(buf, size, &len, 0, 1, a->ncodes == 0 ? "- rose most "
	    "(hisgate audit)" : " rose most (hisgate audit)");
}

/* An alarm of this look, keeping since when it is on when the last
 * look had it already. */
static void
keep(struct surge_on *o, const struct hg_surge_alarm *a, int window)
{
	const struct surge_on *was;
	char text[800];
	size_t k;

	o->key = hg_xasprintf("%s|%s", a->dept, a->region);
	o->a.dept = hg_xstrdup(a->dept);
	o->a.region = hg_xstrdup(a->region);
	o->a.prev_avg = a->prev_avg;
	o->a.cur_avg = a->cur_avg;
	o->a.pct_x10 = a->pct_x10;
	o->a.window = window;
	for (k = 0; k < a->ntop && k < 3; k++)
		o->a.top_bills[k] = a->top_bills[k];
	o->a.ntop = k;
	for (k = 0; k < a->ncodes && k < 3; k++)
		snprintf(o->a.top_codes[k], sizeof o->a.top_codes[k], "%s",
		    a->top_codes[k]);
	o->a.ncodes = k;
	if ((was = key_in(on, non, o->key)) != NULL)
		o->a.since_ms = was->a.since_ms;
	else {
		o->a.since_ms = hg_wall_ms();
		hg_audit_surge_text(&o->a, text, sizeof text);
		log_warn(COMP, "%s", text);
	}
}

/* One look: the alarms on at the latest discharge. */
static void
look(struct hg_audit_watch *w)
{
	const struct hg_audit_tables *t;
	struct hg_audit_surge_in in;
	struct hg_surge_result res = { NULL, 0 };
	struct hg_outbox *ob = NULL;
	struct hg_err err;
	struct surge_on *now;
	size_t i;

	if ((t = hg_audit_tables_get(w->cfg)) == NULL)
		return;
	memset(&in, 0, sizeof in);
	if (t->sev[HG_AR_SURGE] == HG_AUDIT_OFF)
		goto out;
	if (hg_outbox_open(w->cfg->agent.outbox, HG_OB_READONLY, &ob,
	    &err) == -1) {
		log_error(COMP, "cost surge: %s", err.msg);
		goto out;
	}
	if (hg_audit_surge_gather(ob, w->cfg, &in, &err) == -1) {
		log_error(COMP, "cost surge: %s", err.msg);
		goto out;
	}
	if (in.last >= 0)
		hg_surge_run(t, in.v, in.n, in.last, in.last, &res);
	now = hg_xcalloc(res.n + 1, sizeof *now);
	for (i = 0; i < res.n; i++)
		keep(&now[i], &res.v[i], t->surge_window);
	for (i = 0; i < non; i++)
		if (key_in(now, res.n, on[i].key) == NULL)
			log_notice(COMP, "cost surge cleared: %s", on[i].key);
	publish(now, res.n);
out:
	hg_surge_result_free(&res);
	hg_audit_surge_in_free(&in);
	hg_outbox_close(ob);
	hg_audit_tables_done();
}

static void *
watch_main(void *arg)
{
	struct hg_audit_watch *w = arg;
	struct timespec ts;
	int64_t wait = FIRST_MS;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		hg_deadline(&ts, wait);
		while (!w->stopping && !w->kicked &&
		    pthread_cond_timedwait(&w->cond, &w->lock, &ts) !=
		    ETIMEDOUT)
			;
		if (w->stopping)
			break;
		w->kicked = 0;
		pthread_mutex_unlock(&w->lock);
		look(w);
		pthread_mutex_lock(&w->lock);
		wait = EVERY_MS;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int
hg_audit_watch_start(const struct hg_config *cfg,
    struct hg_audit_watch **out, struct hg_err *err)
{
	struct hg_audit_watch *w;

	*out = NULL;
	w = hg_xcalloc(1, sizeof *w);
	w->cfg = cfg;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return hg_fail(err, "cannot start the cost-surge watch");
	}
	*out = w;
	return 0;
}

void
hg_audit_watch_kick(struct hg_audit_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->kicked = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void
hg_audit_watch_stop(struct hg_audit_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	publish(NULL, 0);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
