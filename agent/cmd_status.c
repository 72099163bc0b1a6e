/* hisgate status: one screen for the IT engineer on call.  Everything
 * comes from files (the configuration, the daemon's pid file, the outbox
 * read-only): it works with the daemon stopped and never calls the
 * platform (hisgate doctor does: sign-in, TLS, clock). */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <json-c/json.h>

#include "agent/cli.h"
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
};

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
	copy = hg_xstrdup(cfg->agent.outbox);
	st->free_bytes = statvfs(dirname(copy), &sv) == 0 ?
	    (long long)sv.f_bavail * (long long)sv.f_frsize : -1;
	free(copy);
	if (hg_outbox_counts(ob, count_cb, st, err) == -1 ||
	    hg_stats_last_answers(ob, &st->ok_ms, &st->noanswer_ms,
	    err) == -1 ||
	    hg_stats_oldest_id(ob, &id, err) == -1)
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
	printf("adapters ");
	for (i = 0; i < cfg->nadapters; i++)
		printf(" %s (%s)", cfg->adapters[i]->name,
		    cfg->adapters[i]->ops->name);
	printf("%s\n", cfg->nadapters ? "" : " none");
	when(st->ok_ms, a, sizeof a);
	when(st->noanswer_ms, b, sizeof b);
	printf("platform  %s\n          last answer %s\n          last "
	    "attempt without an answer %s\n", cfg->platform.url[0] ?
	    cfg->platform.url : "(no url)", a, b);
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
	hg_outbox_close(ob);
out:
	hg_config_free(cfg);
	return rc;
}
