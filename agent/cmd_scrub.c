/* queue scrub [--dry-run] [--json]: retention.personal_days now, rather
 * than at the daemon's next hourly pass (agent/retention.h). */
#include "config.h"

#include <stdio.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/retention.h"
#include "lib/log.h"

struct scrub_out {
	struct json_object *ids;	/* --json */
};

static void
one(long long id, void *arg)
{
	struct scrub_out *o = arg;

	if (o->ids != NULL)
		json_object_array_add(o->ids, json_object_new_int64(id));
	else
		printf("  bill %lld\n", id);
}

int
hg_queue_scrub(struct hg_cli *cli, const struct hg_config *cfg,
    struct hg_outbox *ob)
{
	struct scrub_out o = { NULL };
	struct json_object *j;
	struct hg_err err;
	int64_t days = cfg->retention.personal_days;
	char before[32];
	long long n;
	int more;

	hg_fmt_time(hg_retention_before(hg_wall_ms(), days), before,
	    sizeof before);
	if (cli->json)
		o.ids = json_object_new_array();
	else if (days <= 0) {
		printf("retention.personal_days is 0 in %s: personal data is "
		    "kept; nothing done\n", cfg->file);
		return HG_EXIT_OK;
	}
	if (hg_retention_run(ob, days, cli->dry_run, -1, one, &o, &n, &more,
	    &err) == -1) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		json_object_put(o.ids);
		return HG_EXIT_FAIL;
	}
	if (o.ids != NULL) {
		j = json_object_new_object();
		json_object_object_add(j, "personal_days",
		    json_object_new_int64(days));
		json_object_object_add(j, "before", days > 0 ?
		    json_object_new_string(before) : NULL);
		json_object_object_add(j, "dry_run",
		    json_object_new_boolean(cli->dry_run));
		json_object_object_add(j, "count", json_object_new_int64(n));
		json_object_object_add(j, "bills", o.ids);
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else
		printf("%s %lld bill%s settled or cancelled before %s "
		    "(retention.personal_days = %lld)\n", cli->dry_run ?
		    "personal data would be removed from" :
		    "personal data removed from", n, n == 1 ? "" : "s", before,
		    (long long)days);
	return HG_EXIT_OK;
}
