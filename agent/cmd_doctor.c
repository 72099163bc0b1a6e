/* hisgate doctor: everything an IT engineer checks first, in one run:
 * the configuration (with mapping and secrets), the outbox (schema,
 * integrity, free space, bills that wait for a person), the drop
 * directories, and whether the platform answers a sign-in.  One line per
 * check; exit 1 when any check fails. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/intake.h"
#include "agent/platform.h"
#include "agent/settle.h"
#include "lib/xmalloc.h"
#include "queue/outbox.h"

#define LOW_SPACE_MB	512	/* below this the outbox may soon be full */

struct report {
	struct json_object *arr;	/* --json */
	int	 failed, warned;
};

static void
say(struct report *r, const char *level, const char *what, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
say(struct report *r, const char *level, const char *what, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (strcmp(level, "fail") == 0)
		r->failed++;
	else if (strcmp(level, "warn") == 0)
		r->warned++;
	if (r->arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "check",
		    json_object_new_string(what));
		json_object_object_add(o, "result",
		    json_object_new_string(level));
		json_object_object_add(o, "detail",
		    json_object_new_string(msg));
		json_object_array_add(r->arr, o);
		return;
	}
	printf("%-4s  %-10s %s\n", level, what, msg);
}

struct counts {
	long long n[9];
};

static const char *const watched[] = { HG_S_INVALID, HG_S_READY,
	HG_S_PROGRESS, HG_S_INDOUBT, HG_S_SETTLED, HG_S_REJECTED,
	HG_S_AMENDED, HG_S_CANCELLED, NULL };

static void
count_cb(const char *state, long long n, void *arg)
{
	struct counts *c = arg;
	int i;

	for (i = 0; watched[i] != NULL; i++)
		if (strcmp(watched[i], state) == 0)
			c->n[i] = n;
}

static void
check_outbox(struct report *r, const struct hg_config *cfg)
{
	struct hg_outbox *ob;
	struct hg_err err;
	struct statvfs sv;
	struct counts c;
	char *dir, *slash;

	if (hg_outbox_open(cfg->agent.outbox, HG_OB_READONLY, &ob,
	    &err) < 0) {
		say(r, "fail", "outbox", "%s", err.msg);
		return;
	}
	if (hg_outbox_check(ob, &err) < 0)
		say(r, "fail", "outbox", "%s (restore the last backup; see "
		    "hisgate(8))", err.msg);
	else
		say(r, "ok", "outbox", "%s: integrity and foreign keys ok",
		    cfg->agent.outbox);
	memset(&c, 0, sizeof c);
	if (hg_outbox_counts(ob, count_cb, &c, &err) < 0) {
		say(r, "fail", "bills", "%s", err.msg);
	} else {
		say(r, "ok", "bills", "%lld ready, %lld in progress, %lld "
		    "settled", c.n[1], c.n[2], c.n[4]);
		if (c.n[0] > 0)
			say(r, "warn", "invalid", "%lld bill%s wait for a fix "
			    "(hisgate queue list --state invalid; fix the "
			    "mapping, then hisgate replay)", c.n[0],
			    c.n[0] == 1 ? "" : "s");
		if (c.n[3] > 0)
			say(r, "warn", "in_doubt", "%lld bill%s wait for the "
			    "platform to say whether they were settled (they "
			    "are resolved by 5203 when it answers)", c.n[3],
			    c.n[3] == 1 ? "" : "s");
		if (c.n[5] > 0)
			say(r, "warn", "rejected", "%lld bill%s refused by the "
			    "platform (hisgate queue list --state rejected; "
			    "hisgate queue retry ID after fixing)", c.n[5],
			    c.n[5] == 1 ? "" : "s");
		if (c.n[6] > 0)
			say(r, "warn", "amended", "%lld bill%s changed after "
			    "settlement and wait for a person (hisgate queue "
			    "show ID)", c.n[6], c.n[6] == 1 ? "" : "s");
	}
	hg_outbox_close(ob);
	dir = hg_xstrdup(cfg->agent.outbox);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (statvfs(slash != NULL ? dir : ".", &sv) == 0) {
		uint64_t mb = (uint64_t)sv.f_bavail * sv.f_frsize >> 20;

		say(r, mb < LOW_SPACE_MB ? "warn" : "ok", "disk",
		    "%" PRIu64 " MB free beside the outbox%s", mb,
		    mb < LOW_SPACE_MB ? ": when it is full, sources are not "
		    "acknowledged until space comes back" : "");
	}
	free(dir);
}

static void
check_platform(struct report *r, const struct hg_config *cfg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p;
	struct hg_err err;

	if (!cfg->settle.enabled) {
		say(r, "ok", "platform", "settlement is disabled "
		    "(settle.enabled = false)");
		return;
	}
	if (hg_settle_platform_init(cfg, &sh, &err) < 0) {
		say(r, "fail", "platform", "%s", err.msg);
		return;
	}
	p = hg_platform_new(&sh, &err);
	if (p == NULL)
		say(r, "fail", "platform", "%s", err.msg);
	else if (hg_platform_signin(p, &err) < 0)
		say(r, "fail", "platform", "%s: sign-in (9001) failed: %s",
		    cfg->platform.url, err.msg);
	else
		say(r, "ok", "platform", "%s answers; signed in (9001)",
		    cfg->platform.url);
	hg_platform_free(p);
	hg_platform_shared_destroy(&sh);
}

int
cmd_doctor(struct hg_cli *cli)
{
	struct report r = { NULL, 0, 0 };
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_config *cfg;
	struct hg_intake in;
	struct hg_err err;
	size_t i;

	if (cli->nargs != 0)
		return hg_cli_usage("doctor takes no arguments");
	if (cli->json)
		r.arr = json_object_new_array();
	cfg = hg_config_load(cli->conf_path, &errs);
	if (errs.n > 0) {
		for (i = 0; i < errs.n; i++)
			say(&r, "fail", "config", "%s", errs.msg[i]);
	} else {
		say(&r, "ok", "config", "%s: %zu adapter%s", cfg->file,
		    cfg->nadapters, cfg->nadapters == 1 ? "" : "s");
		if (hg_intake_init(&in, cfg, &err) < 0) {
			say(&r, "fail", "mapping", "%s", err.msg);
		} else {
			say(&r, "ok", "mapping", "%s", cfg->agent.mapping_file);
			hg_intake_destroy(&in);
		}
		check_outbox(&r, cfg);
		check_platform(&r, cfg);
	}
	hg_conf_errs_free(&errs);
	hg_config_free(cfg);
	if (r.arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "checks", r.arr);
		json_object_object_add(o, "failed",
		    json_object_new_int(r.failed));
		json_object_object_add(o, "warnings",
		    json_object_new_int(r.warned));
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%d problem%s, %d warning%s\n", r.failed,
		    r.failed == 1 ? "" : "s", r.warned,
		    r.warned == 1 ? "" : "s");
	}
	return r.failed ? HG_EXIT_FAIL : HG_EXIT_OK;
}
