/* /metrics (Prometheus text format 0.0.4) and /healthz.  Everything
 * about bills and calls is counted from the outbox (queue/stats.h), so it
 * agrees with `hisgate queue list` and survives restarts; adapter polls
 * are what this process saw (web_stats.c).
 *
 * /healthz follows Fluent Bit's rule: unhealthy once web.health_errors
 * errors happened within web.health_window_s in this process: exchanges
 * with the platform that got no answer (unreachable, timed out, HTTP
 * error; sign-ins included) plus failed adapter polls.  The outbox
 * unreadable, the disk alarm, or a loop stuck in one turn longer than
 * web.health_stuck_s (agent/health.h: the watchdog's notion) is unhealthy
 * at once. */
#include "config.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "agent/audit.h"
#include "agent/confcheck.h"
#include "agent/health.h"
#include "agent/web_int.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/stats.h"

static const char *const states[] = {
	HG_S_INVALID, HG_S_READY, HG_S_PROGRESS, HG_S_INDOUBT, HG_S_SETTLED,
	HG_S_REJECTED, HG_S_AMENDED, HG_S_CANCELLED, HG_S_PERSON, NULL,
};

static void
addf(struct hg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
addf(struct hg_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		hg_buf_add(b, line, (size_t)n < sizeof line ? (size_t)n :
		    sizeof line - 1);
}

static void
help(struct hg_buf *b, const char *name, const char *type, const char *text)
{
	addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Free bytes of the outbox's file system; -1 when unknown. */
static long long
disk_free(const struct hg_config *cfg)
{
	struct statvfs sv;
	char *copy = hg_xstrdup(cfg->agent.outbox);
	long long v = -1;

	if (statvfs(dirname(copy), &sv) == 0)
		v = (long long)sv.f_bavail * (long long)sv.f_frsize;
	free(copy);
	return v;
}

static int
disk_alarm(const struct hg_config *cfg, long long *free_bytes)
{
	*free_bytes = disk_free(cfg);
	return *free_bytes >= 0 &&
	    *free_bytes < cfg->web.disk_min_mb * 1024 * 1024;
}

struct counts {
	long long n[sizeof states / sizeof states[0]];
};

static void
count_cb(const char *state, long long n, void *arg)
{
	struct counts *c = arg;
	size_t i;

	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], state) == 0)
			c->n[i] = n;
}

static int
trans_cb(const char *state, long long n, void *arg)
{
	struct counts *c = arg;

	count_cb(state, n, c);
	return 0;
}

static int
infno_cb(const struct hg_stats_infno *s, void *arg)
{
	struct hg_buf *b = arg;
	int i;

	for (i = 0; i < HG_STATS_NBUCKETS; i++)
		addf(b, "hisgate_platform_call_duration_seconds_bucket"
		    "{infno=\"%s\",le=\"%g\"} %lld\n", s->infno,
		    (double)hg_stats_bucket_ms[i] / 1000.0, s->le[i]);
	addf(b, "hisgate_platform_call_duration_seconds_bucket"
	    "{infno=\"%s\",le=\"+Inf\"} %lld\n", s->infno, s->answered);
	addf(b, "hisgate_platform_call_duration_seconds_sum{infno=\"%s\"} "
	    "%lld.%03lld\n", s->infno, (long long)(s->sum_ms / 1000),
	    (long long)(s->sum_ms % 1000));
	addf(b, "hisgate_platform_call_duration_seconds_count{infno=\"%s\"} "
	    "%lld\n", s->infno, s->answered);
	return 0;
}

/* The per-infno counters, each its own family (after the histogram). */
struct fam {
	struct hg_buf *b;
	int	 which;
};

static int
infno_counter_cb(const struct hg_stats_infno *s, void *arg)
{
	struct fam *f = arg;
	static const char *const names[] = { "hisgate_platform_calls_total",
	    "hisgate_platform_call_retries_total",
	    "hisgate_platform_answers_lost_total",
	    "hisgate_platform_calls_failed_total" };
	long long v = f->which == 0 ? s->calls : f->which == 1 ? s->retries :
	    f->which == 2 ? s->lost : s->failed;

	addf(f->b, "%s{infno=\"%s\"} %lld\n", names[f->which], s->infno, v);
	return 0;
}

static int
adapter_bills_cb(const char *adapter, const char *state, long long n,
    void *arg)
{
	addf(arg, "hisgate_adapter_bills{adapter=\"%s\",state=\"%s\"} %lld\n",
	    adapter, state, n);
	return 0;
}

static void
adapter_polls_cb(const struct hg_web_adapter_stat *s, void *arg)
{
	addf(arg, "hisgate_adapter_polls_total{adapter=\"%s\"} %lld\n",
	    s->name, s->polls);
}

static void
adapter_errors_cb(const struct hg_web_adapter_stat *s, void *arg)
{
	addf(arg, "hisgate_adapter_poll_errors_total{adapter=\"%s\"} %lld\n",
	    s->name, s->errors);
}

/* A label value: backslash, double quote and line end escaped. */
static void
label(struct hg_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			hg_buf_add(b, "\\", 1);
		if (*s == '\n')
			hg_buf_adds(b, "\\n");
		else
			hg_buf_add(b, s, 1);
	}
}

static void
surge_series(struct hg_buf *b, const char *name,
    const struct hg_audit_surge_on *a)
{
	hg_buf_adds(b, name);
	hg_buf_adds(b, "{dept=\"");
	label(b, a->dept);
	hg_buf_adds(b, "\",admdvs=\"");
	label(b, a->region);
	hg_buf_adds(b, "\"} ");
}

static void
surge_on_cb(const struct hg_audit_surge_on *a, void *arg)
{
	surge_series(arg, "hisgate_audit_surge", a);
	addf(arg, "1\n");
}

static void
surge_rise_cb(const struct hg_audit_surge_on *a, void *arg)
{
	char r[HG_DECBUF];

	surge_series(arg, "hisgate_audit_surge_rise_percent", a);
	addf(arg, "%s\n", hg_dec_format(a->pct_x10, 1, r));
}

/* The audit's cost-surge alarms as this agent's last check found them
 * (one series per department and insured region that is on). */
static void
surges(struct hg_buf *b)
{
	help(b, "hisgate_audit_surges", "gauge",
	    "Cost-surge alarms on (departments and insured regions).");
	addf(b, "hisgate_audit_surges %zu\n", hg_audit_surge_each(NULL, NULL));
	help(b, "hisgate_audit_surge", "gauge",
	    "1 for each department (dept) and insured region (admdvs) whose "
	    "cross-province cost per discharge rose above the threshold.");
	hg_audit_surge_each(surge_on_cb, b);
	help(b, "hisgate_audit_surge_rise_percent", "gauge",
	    "The rise of each alarm on, in percent.");
	hg_audit_surge_each(surge_rise_cb, b);
}

/* retention.personal_days, the last scrub the outbox recorded, and
 * each drop directory's done_keep_days. */
static void
retention(struct hg_buf *b, const struct hg_config *cfg,
    struct hg_outbox *ob)
{
	const struct hg_spool_keys *k;
	struct hg_err err;
	long long bills = 0;
	int64_t run = 0;
	size_t i;

	help(b, "hisgate_retention_personal_days", "gauge",
	    "retention.personal_days: days after a bill is settled or "
	    "cancelled that its personal data is taken out (0: kept).");
	addf(b, "hisgate_retention_personal_days %lld\n",
	    (long long)cfg->retention.personal_days);
	if (ob != NULL && hg_outbox_scrub_last(ob, &run, &bills, &err) == -1)
		log_warn("web", "metrics: %s", err.msg);
	help(b, "hisgate_retention_last_scrub_timestamp_seconds", "gauge",
	    "When the last retention scrub ran, Unix time (0: none yet).");
	addf(b, "hisgate_retention_last_scrub_timestamp_seconds %lld\n",
	    (long long)(run / 1000));
	help(b, "hisgate_retention_last_scrub_bills", "gauge",
	    "Bills the last retention scrub took personal data out of.");
	addf(b, "hisgate_retention_last_scrub_bills %lld\n", bills);
	help(b, "hisgate_retention_done_keep_days", "gauge",
	    "done_keep_days of each drop-directory adapter: days done/ keeps "
	    "what was read (0: kept).");
	for (i = 0; i < cfg->nadapters; i++)
		if ((k = hg_confcheck_spool(cfg->adapters[i])) != NULL) {
			hg_buf_adds(b, "hisgate_retention_done_keep_days"
			    "{adapter=\"");
			label(b, cfg->adapters[i]->name);
			addf(b, "\"} %lld\n", (long long)k->done_keep_days);
		}
}

/* Whether each adapter's loop is stuck, and how long since it last
 * finished a turn (agent/health.h). */
static void
stuck(struct hg_buf *b, const struct hg_config *cfg)
{
	struct hg_health_ad *ads = hg_xcalloc(cfg->nadapters + 1,
	    sizeof *ads);
	int64_t now = hg_wall_ms();
	size_t i;
	int fam;

	hg_health_adapters(cfg, ads);
	for (fam = 0; fam < 2; fam++) {
		help(b, fam == 0 ? "hisgate_adapter_stuck" :
		    "hisgate_adapter_last_turn_seconds", "gauge", fam == 0 ?
		    "1 while the adapter has been inside one turn (poll) "
		    "longer than web.health_stuck_s." :
		    "Seconds since the adapter last finished a turn (before "
		    "its first: since its thread began; -1: no thread).");
		for (i = 0; i < cfg->nadapters; i++) {
			hg_buf_adds(b, fam == 0 ? "hisgate_adapter_stuck"
			    "{adapter=\"" : "hisgate_adapter_last_turn_seconds"
			    "{adapter=\"");
			label(b, ads[i].name);
			addf(b, "\"} %lld\n", fam == 0 ?
			    (long long)(ads[i].state == HG_AD_STUCK) :
			    ads[i].rest_ms > 0 ?
			    (long long)((now - ads[i].rest_ms) / 1000) : -1LL);
		}
	}
	free(ads);
}

void
hg_web_metrics(struct hg_web *w, struct hg_web_resp *resp)
{
	struct hg_buf *b = &resp->body;
	struct hg_outbox *ob;
	struct counts now, ever;
	struct hg_err err;
	struct fam f;
	int64_t oldest = 0;
	long long dfree;
	size_t i;
	int ok;

	static const char *const fam_help[] = {
	    "Platform calls journalled, by infno.",
	    "Calls beyond the first of their infno for one bill.",
	    "Calls whose answer was lost (resolved since or not).",
	    "Calls refused, or provably never sent." };
	static const char *const fam_names[] = {
	    "hisgate_platform_calls_total",
	    "hisgate_platform_call_retries_total",
	    "hisgate_platform_answers_lost_total",
	    "hisgate_platform_calls_failed_total" };

	memset(&now, 0, sizeof now);
	memset(&ever, 0, sizeof ever);
	resp->type = "text/plain; version=0.0.4; charset=utf-8";
	ob = hg_web_outbox(w, &err);
	ok = ob != NULL &&
	    hg_outbox_counts(ob, count_cb, &now, &err) == 0 &&
	    hg_stats_transitions(ob, trans_cb, &ever, &err) == 0 &&
	    hg_stats_oldest_unsettled(ob, &oldest, &err) == 0;
	help(b, "hisgate_outbox_up", "gauge",
	    "1 when the outbox could be read for these metrics.");
	addf(b, "hisgate_outbox_up %d\n", ok);
	if (!ok)
		log_warn("web", "metrics: %s", err.msg);
	help(b, "hisgate_bills", "gauge", "Bills in the outbox by state.");
	for (i = 0; states[i] != NULL; i++)
		addf(b, "hisgate_bills{state=\"%s\"} %lld\n", states[i],
		    now.n[i]);
	help(b, "hisgate_oldest_unsettled_seconds", "gauge",
	    "Age of the oldest bill not finished (0: none).");
	addf(b, "hisgate_oldest_unsettled_seconds %lld\n", oldest > 0 ?
	    (long long)((hg_wall_ms() - oldest) / 1000) : 0LL);
	help(b, "hisgate_state_changes_total", "counter",
	    "Bills that entered each state (history).");
	for (i = 0; states[i] != NULL; i++)
		addf(b, "hisgate_state_changes_total{state=\"%s\"} %lld\n",
		    states[i], ever.n[i]);
	help(b, "hisgate_settlements_total", "counter",
	    "Settlements (2304 succeeded).");
	addf(b, "hisgate_settlements_total %lld\n", ever.n[4]);
	help(b, "hisgate_rejections_total", "counter",
	    "Bills the platform refused.");
	addf(b, "hisgate_rejections_total %lld\n", ever.n[5]);
	help(b, "hisgate_in_doubt_total", "counter",
	    "Times a bill's answer was lost and had to be resolved.");
	addf(b, "hisgate_in_doubt_total %lld\n", ever.n[3]);
	if (ok) {
		help(b, "hisgate_platform_call_duration_seconds", "histogram",
		    "Time from sending a call to its answer, by infno.");
		hg_stats_steps(ob, infno_cb, b, &err);
		for (f.which = 0; f.which < 4; f.which++) {
			f.b = b;
			help(b, fam_names[f.which], "counter",
			    fam_help[f.which]);
			hg_stats_steps(ob, infno_counter_cb, &f, &err);
		}
		help(b, "hisgate_adapter_bills", "gauge",
		    "Bills in the outbox by adapter and state.");
		hg_stats_adapters(ob, adapter_bills_cb, b, &err);
	}
	{
		long long calls, failed;

		hg_web_platform_counts(&calls, &failed);
		help(b, "hisgate_platform_exchanges_total", "counter",
		    "HTTP exchanges with the platform since the agent started "
		    "(sign-ins included).");
		addf(b, "hisgate_platform_exchanges_total %lld\n", calls);
		help(b, "hisgate_platform_exchange_errors_total", "counter",
		    "Exchanges that got no answer: not connected, timed out, "
		    "HTTP error.");
		addf(b, "hisgate_platform_exchange_errors_total %lld\n", failed);
	}
	{
		int64_t down = hg_web_platform_down_since();

		help(b, "hisgate_platform_unreachable_seconds", "gauge",
		    "How long no exchange with the platform was answered "
		    "(0: its last exchange was).");
		addf(b, "hisgate_platform_unreachable_seconds %lld\n",
		    down > 0 ? (long long)((hg_wall_ms() - down) / 1000) : 0LL);
	}
	surges(b);
	help(b, "hisgate_adapter_polls_total", "counter",
	    "Polls of each adapter's source since the agent started.");
	hg_web_adapter_each(adapter_polls_cb, b);
	help(b, "hisgate_adapter_poll_errors_total", "counter",
	    "Polls that failed (source unreadable, outbox busy ...).");
	hg_web_adapter_each(adapter_errors_cb, b);
	stuck(b, w->cfg);
	i = (size_t)disk_alarm(w->cfg, &dfree);
	help(b, "hisgate_disk_free_bytes", "gauge",
	    "Free space on the outbox's file system (-1: unknown).");
	addf(b, "hisgate_disk_free_bytes %lld\n", dfree);
	help(b, "hisgate_disk_alarm", "gauge",
	    "1 when free space is below web.disk_min_mb.");
	addf(b, "hisgate_disk_alarm %d\n", (int)i);
	help(b, "hisgate_tls_insecure", "gauge",
	    "1 when the platform's certificate is not verified "
	    "(platform.insecure).");
	addf(b, "hisgate_tls_insecure %d\n", !w->cfg->platform.verify);
	retention(b, w->cfg, ok ? ob : NULL);
}

/* "unhealthy: ..." for each stuck loop into b; 1 when there was one. */
static int
healthz_stuck(const struct hg_config *cfg, struct hg_buf *b)
{
	struct hg_health_ad *ads = hg_xcalloc(cfg->nadapters + 1,
	    sizeof *ads);
	char who[64], t[32];
	int64_t since;
	size_t i;
	int n = 0;

	hg_health_adapters(cfg, ads);
	for (i = 0; i < cfg->nadapters; i++)
		if (ads[i].state == HG_AD_STUCK) {
			addf(b, "unhealthy: adapter %s: %s\n", ads[i].name,
			    ads[i].text);
			n++;
		}
	free(ads);
	if (hg_health_other_stuck(cfg, who, sizeof who, &since)) {
		hg_fmt_time(since, t, sizeof t);
		addf(b, "unhealthy: %s: stuck in one turn since %s (limit "
		    "web.health_stuck_s %lld)\n", who, t,
		    (long long)cfg->web.health_stuck_s);
		n++;
	}
	return n > 0;
}

void
hg_web_healthz(struct hg_web *w, struct hg_web_resp *resp)
{
	const struct hg_web_conf *wc = &w->cfg->web;
	struct hg_buf *b = &resp->body;
	struct hg_err err;
	long long link, ad, dfree;
	int64_t from = hg_now_ms() - wc->health_window_s * 1000;

	resp->type = "text/plain; charset=utf-8";
	ad = hg_web_adapter_errors_since(from);
	link = hg_web_platform_errors_since(from);
	if (hg_web_outbox(w, &err) == NULL) {
		resp->status = 503;
		addf(b, "unhealthy: the outbox cannot be read: %s\n", err.msg);
		return;
	}
	if (disk_alarm(w->cfg, &dfree)) {
		resp->status = 503;
		addf(b, "unhealthy: %lld MB free under the outbox, below "
		    "web.disk_min_mb %lld\n", dfree / (1024 * 1024),
		    (long long)wc->disk_min_mb);
		return;
	}
	if (healthz_stuck(w->cfg, b)) {
		resp->status = 503;
		return;
	}
	if (link + ad >= wc->health_errors) {
		resp->status = 503;
		addf(b, "unhealthy: %lld errors in the last %lld s (platform "
		    "unreachable or no answer: %lld, adapter polls failed: "
		    "%lld; limit web.health_errors %lld)\n", link + ad,
		    (long long)wc->health_window_s, link, ad,
		    (long long)wc->health_errors);
		return;
	}
	addf(b, "ok: %lld errors in the last %lld s (limit %lld)\n",
	    link + ad, (long long)wc->health_window_s,
	    (long long)wc->health_errors);
}
