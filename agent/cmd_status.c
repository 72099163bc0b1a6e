/* hisgate status: one screen for the IT engineer on call.  Everything
 * comes from files (the configuration, the daemon's pid file and health
 * file, the outbox read-only): it works with the daemon stopped and never
 * calls the platform (hisgate doctor does: sign-in, TLS, clock).  What
 * each adapter does now and how the sign-in went are the running
 * daemon's (agent/health.h); with the daemon stopped they are unknown. */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/health.h"
#include "agent/pidfile.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/stats.h"

static const char *const states[] = {
	HG_S_READY, HG_S_PROGRESS, HG_S_INDOUBT, HG_S_PERSON, HG_S_INVALID,
	HG_S_AMENDED, HG_S_REJECTED, HG_S_SETTLED, HG_S_CANCELLED, NULL,
};

struct status {
	long long n[sizeof states / sizeof states[0]], total;
	struct hg_runinfo ri;
	int	 running;	/* hg_pidfile_read */
	int64_t	 ok_ms, noanswer_ms;
	struct hg_row oldest;	/* id 0: none */
	long long free_bytes;	/* -1 unknown */
	struct hg_health_file hf;
	int	 have_hf;	/* the running daemon's own */
	int64_t	*last_bill;	/* per cfg adapter, wall ms; 0 none */
	const struct hg_config *cfg;
};

static int
last_cb(const char *adapter, int64_t ms, void *arg)
{
	struct status *st = arg;
	size_t i;

	for (i = 0; i < st->cfg->nadapters; i++)
		if (strcmp(st->cfg->adapters[i]->name, adapter) == 0)
			st->last_bill[i] = ms;
	return 0;
}

/* The daemon's word on adapter i, or NULL when there is none. */
static const struct hg_health_ad *
health_of(const struct status *st, size_t i)
{
	size_t j;

	if (!st->have_hf)
		return NULL;
	for (j = 0; j < st->hf.nads; j++)
		if (strcmp(st->hf.ads[j].name, st->cfg->adapters[i]->name) == 0)
			return &st->hf.ads[j];
	return NULL;
}

static void
count_cb(const char *state, long long n, void *arg)
{
	struct status *st = arg;
	size_t i;

	st->total += n;
	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], state) == 0)
			st->n[i] = n;
}

static int
gather(const struct hg_config *cfg, struct hg_outbox *ob, struct status *st,
    struct hg_err *err)
{
	struct statvfs sv;
	char *path, *copy;
	long long id;

	path = hg_pidfile_path(cfg->agent.outbox);
	st->running = hg_pidfile_read(path, &st->ri);
	free(path);
	/* a file of this daemon's, not one a killed one left */
	path = hg_health_path(cfg->agent.outbox);
	st->have_hf = st->running == 1 && hg_health_read(path, &st->hf) == 0 &&
	    st->hf.pid == st->ri.pid && st->hf.started_ms == st->ri.started_ms;
	free(path);
	st->cfg = cfg;
	st->last_bill = hg_xcalloc(cfg->nadapters + 1, sizeof *st->last_bill);
	copy = hg_xstrdup(cfg->agent.outbox);
	st->free_bytes = statvfs(dirname(copy), &sv) == 0 ?
	    (long long)sv.f_bavail * (long long)sv.f_frsize : -1;
	free(copy);
	if (hg_outbox_counts(ob, count_cb, st, err) == -1 ||
	    hg_stats_last_answers(ob, &st->ok_ms, &st->noanswer_ms,
	    err) == -1 ||
	    hg_stats_oldest_id(ob, &id, err) == -1 ||
	    hg_stats_adapters_last(ob, last_cb, st, err) == -1)
		return -1;
	if (id > 0 && hg_outbox_get(ob, id, &st->oldest, err) == -1)
		return -1;
	return 0;
}

static void
when(int64_t ms, char *buf, size_t len)
{
	char t[32];

	if (ms <= 0) {
		snprintf(buf, len, "never");
		return;
	}
	hg_fmt_time(ms, t, sizeof t);
	snprintf(buf, len, "%s (%lld s ago)", t,
	    (long long)((hg_wall_ms() - ms) / 1000));
}

static void
print_adapter(const struct status *st, size_t i)
{
	const struct hg_adapter *ad = st->cfg->adapters[i];
	const struct hg_health_ad *h = health_of(st, i);
	char a[64], b[64];

	when(st->last_bill[i], b, sizeof b);
	if (h == NULL)
		snprintf(a, sizeof a, "%s", st->running == 1 ?
		    "state unknown (the daemon has not said yet)" :
		    "not running");
	else if (h->state == HG_AD_FAILING || h->state == HG_AD_STUCK)
		when(h->since_ms, a, sizeof a);
	printf("  %s (%s)\n", ad->name, ad->ops->name);
	if (h == NULL)
		printf("          %s\n", a);
	else if (h->state == HG_AD_STUCK)
		printf("          STUCK in one poll since %s (limit "
		    "web.health_stuck_s %lld)\n", a,
		    (long long)st->cfg->web.health_stuck_s);
	else if (h->state == HG_AD_FAILING)
		printf("          FAILING since %s: %s\n", a, h->text);
	else
		printf("          %s\n", hg_health_state_name(h->state));
	printf("          last bill taken in %s\n", b);
}

static void
print_signin(const struct status *st)
{
	char a[64];

	when(st->hf.signin_ms, a, sizeof a);
	if (!st->have_hf)
		printf("          sign-in unknown (the daemon's)\n");
	else if (st->hf.signin == 1)
		printf("          signed in at %s\n", a);
	else if (st->hf.signin == 2)
		printf("          SIGN-IN FAILED at %s: %s\n", a,
		    st->hf.signin_why);
	else
		printf("          not signed in yet (the first call signs "
		    "in)\n");
}

static void
print_text(const struct hg_config *cfg, const struct status *st)
{
	char a[64], b[64];
	size_t i;

	printf("outbox %s\n", cfg->agent.outbox);
	if (st->running == 1) {
		when(st->ri.started_ms, a, sizeof a);
		printf("daemon    running, pid %ld, since %s\n", st->ri.pid, a);
	} else {
		printf("daemon    NOT RUNNING (systemctl start hisgate)\n");
	}
	printf("adapters%s\n", cfg->nadapters ? "" : "  none");
	for (i = 0; i < cfg->nadapters; i++)
		print_adapter(st, i);
	when(st->ok_ms, a, sizeof a);
	when(st->noanswer_ms, b, sizeof b);
	printf("platform  %s\n          last answer %s\n          last "
	    "attempt without an answer %s\n", cfg->platform.url[0] ?
	    cfg->platform.url : "(no url)", a, b);
	print_signin(st);
	if (st->noanswer_ms > st->ok_ms)
		printf("          FAILING: attempts fail since the platform's "
		    "last answer (hisgate doctor tests the link)\n");
	printf("queue\n");
	for (i = 0; states[i] != NULL; i++)
		printf("  %-12s %lld\n", states[i], st->n[i]);
	printf("  %-12s %lld\n", "total", st->total);
	if (st->oldest.id > 0) {
		char name[64];
		struct json_object *o = json_tokener_parse(st->oldest.bill_json);
		const char *n = hg_json_get_str(o, "psn_name");

		when(st->oldest.created_ms, a, sizeof a);
		printf("oldest    bill %lld %s %s, %s, waiting since %s\n",
		    st->oldest.id, st->oldest.ipt_no ? st->oldest.ipt_no : "-",
		    hg_mask_name(n ? n : "", name, sizeof name),
		    st->oldest.state, a);
		json_object_put(o);
	} else {
		printf("oldest    nothing waiting\n");
	}
	if (st->free_bytes >= 0)
		printf("disk      %lld MB free under the outbox\n",
		    st->free_bytes / (1024 * 1024));
	else
		printf("disk      unknown\n");
}

/* state (starting, running, failing, stuck; unknown without the
 * daemon's word), since_ms (failing, stuck), error (failing) and
 * last_bill_ms (0: none). */
static void
json_adapter(struct json_object *x, const struct status *st, size_t i)
{
	const struct hg_health_ad *h = health_of(st, i);

	json_object_object_add(x, "state", hg_json_str_new(h == NULL ?
	    "unknown" : hg_health_state_name(h->state)));
	if (h != NULL && (h->state == HG_AD_FAILING ||
	    h->state == HG_AD_STUCK))
		json_object_object_add(x, "since_ms",
		    json_object_new_int64(h->since_ms));
	if (h != NULL && h->state == HG_AD_FAILING)
		json_object_object_add(x, "error", hg_json_str_new(h->text));
	json_object_object_add(x, "last_bill_ms",
	    json_object_new_int64(st->last_bill[i]));
}

/* signin: {state: ok, failed, none or unknown; at_ms; error (failed)} */
static void
json_signin(struct json_object *x, const struct status *st)
{
	struct json_object *s = json_object_new_object();
	static const char *const names[] = { "none", "ok", "failed" };

	json_object_object_add(s, "state", hg_json_str_new(!st->have_hf ?
	    "unknown" : names[st->hf.signin]));
	if (st->have_hf && st->hf.signin != 0)
		json_object_object_add(s, "at_ms",
		    json_object_new_int64(st->hf.signin_ms));
	if (st->have_hf && st->hf.signin == 2)
		json_object_object_add(s, "error",
		    hg_json_str_new(st->hf.signin_why));
	json_object_object_add(x, "signin", s);
}

static void
print_json(const struct hg_config *cfg, const struct status *st)
{
	struct json_object *o = json_object_new_object(), *s, *a, *x;
	size_t i;

	json_object_object_add(o, "outbox", hg_json_str_new(cfg->agent.outbox));
	s = json_object_new_object();
	for (i = 0; states[i] != NULL; i++)
		if (st->n[i] > 0)
			json_object_object_add(s, states[i],
			    json_object_new_int64(st->n[i]));
	json_object_object_add(o, "states", s);
	json_object_object_add(o, "total", json_object_new_int64(st->total));
	x = json_object_new_object();
	json_object_object_add(x, "running",
	    json_object_new_boolean(st->running == 1));
	if (st->running == 1) {
		json_object_object_add(x, "pid",
		    json_object_new_int64(st->ri.pid));
		json_object_object_add(x, "started_ms",
		    json_object_new_int64(st->ri.started_ms));
	}
	json_object_object_add(o, "daemon", x);
	a = json_object_new_array();
	for (i = 0; i < cfg->nadapters; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "name",
		    hg_json_str_new(cfg->adapters[i]->name));
		json_object_object_add(x, "type",
		    hg_json_str_new(cfg->adapters[i]->ops->name));
		json_adapter(x, st, i);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "adapters", a);
	x = json_object_new_object();
	json_object_object_add(x, "url", hg_json_str_new(cfg->platform.url));
	json_object_object_add(x, "last_answer_ms",
	    json_object_new_int64(st->ok_ms));
	json_object_object_add(x, "last_unanswered_ms",
	    json_object_new_int64(st->noanswer_ms));
	json_object_object_add(x, "reachable", json_object_new_boolean(
	    st->noanswer_ms <= st->ok_ms));
	json_signin(x, st);
	json_object_object_add(o, "platform", x);
	if (st->oldest.id > 0) {
		x = json_object_new_object();
		json_object_object_add(x, "id",
		    json_object_new_int64(st->oldest.id));
		json_object_object_add(x, "ipt_no",
		    hg_json_str_new(st->oldest.ipt_no));
		json_object_object_add(x, "state",
		    hg_json_str_new(st->oldest.state));
		json_object_object_add(x, "created_ms",
		    json_object_new_int64(st->oldest.created_ms));
		json_object_object_add(o, "oldest", x);
	}
	json_object_object_add(o, "disk_free_bytes",
	    json_object_new_int64(st->free_bytes));
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int
cmd_status(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_outbox *ob;
	struct status st;
	struct hg_err err;
	int rc = HG_EXIT_FAIL;

	if (cli->nargs != 0)
		return hg_cli_usage("status takes no arguments");
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	memset(&st, 0, sizeof st);
	if ((ob = hg_cli_outbox(cfg, HG_OB_READONLY)) == NULL)
		goto out;
	if (gather(cfg, ob, &st, &err) == -1) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
	} else {
		if (cli->json)
			print_json(cfg, &st);
		else
			print_text(cfg, &st);
		rc = HG_EXIT_OK;
	}
	hg_row_free(&st.oldest);
	hg_health_file_free(&st.hf);
	free(st.last_bill);
	hg_outbox_close(ob);
out:
	hg_config_free(cfg);
	return rc;
}
