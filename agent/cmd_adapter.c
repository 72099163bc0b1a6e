/* adapter list | adapter test NAME: read a source once and print the
 * normalised bills with their verdicts; nothing is committed or moved.
 * Names and certificate numbers are masked as in the log: this output is
 * pasted into tickets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/cli_mask.h"
#include "agent/intake.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct dry_sink {
	struct hg_sink	 sink;
	struct hg_intake *in;
	struct json_object *bills;	/* --json: every bill, printed at the end */
	size_t		 nbills, ninvalid;
};

static int
dry_commit(struct hg_sink *sink, struct hg_bill *const *bills, size_t n,
    const char *cursor, struct hg_verdict *v, struct hg_err *err)
{
	struct dry_sink *ds = (struct dry_sink *)sink;
	struct json_object *o;
	size_t i, j;
	char *json, *probs, *masked;

	memset(v, 0, n * sizeof *v);
	for (i = 0; i < n; i++) {
		hg_intake_check(ds->in, bills[i], &v[i].problems,
		    &v[i].nproblems);
		v[i].state = v[i].nproblems ? HG_V_INVALID : HG_V_READY;
		ds->nbills++;
		if (v[i].nproblems)
			ds->ninvalid++;
		if (v[i].nproblems && bills[i]->columns == NULL &&
		    sink->columns != NULL)
			hg_set_str(&bills[i]->columns, sink->columns);
		json = hg_bill_to_json(bills[i]);
		o = hg_masked_bill(json);
		if (ds->bills != NULL) {
			struct json_object *arr = json_object_new_array();

			for (j = 0; j < v[i].nproblems; j++) {
				struct json_object *p = json_object_new_object();
				json_object_object_add(p, "line",
				    json_object_new_int(v[i].problems[j].line));
				json_object_object_add(p, "field",
				    json_object_new_string(
				    v[i].problems[j].field));
				probs = hg_mask_text(v[i].problems[j].msg,
				    bills[i]->psn_name);
				json_object_object_add(p, "message",
				    json_object_new_string(probs));
				free(probs);
				json_object_array_add(arr, p);
			}
			json_object_object_add(o, "verdict",
			    json_object_new_string(hg_verdict_name(
			    v[i].state)));
			json_object_object_add(o, "problems", arr);
			json_object_array_add(ds->bills, json_object_get(o));
		} else {
			printf("# bill %s (%s): %s, %zu line%s\n",
			    bills[i]->source_key ? bills[i]->source_key : "?",
			    bills[i]->source_ref ? bills[i]->source_ref : "",
			    hg_verdict_name(v[i].state), bills[i]->nfees,
			    bills[i]->nfees == 1 ? "" : "s");
			probs = hg_problems_text(bills[i], v[i].problems,
			    v[i].nproblems);
			masked = probs != NULL ? hg_mask_text(probs,
			    bills[i]->psn_name) : NULL;
			if (masked != NULL)
				printf("%s\n", masked);
			free(masked);
			free(probs);
			printf("%s\n", json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
		}
		json_object_put(o);
		free(json);
	}
	return 0;
}

static int
adapter_test(struct hg_cli *cli, struct hg_config *cfg, const char *name)
{
	struct hg_adapter *a;
	struct hg_intake in;
	struct dry_sink ds;
	struct hg_err err;
	int rc = HG_EXIT_FAIL;

	a = hg_config_adapter(cfg, name);
	if (a == NULL) {
		fprintf(stderr, "hisgate: no adapter \"%s\" in %s (hisgate "
		    "adapter list shows them)\n", name,
		    cfg->agent.adapters_dir);
		return HG_EXIT_FAIL;
	}
	if (hg_intake_init(&in, cfg, &err) < 0) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		return HG_EXIT_FAIL;
	}
	memset(&ds, 0, sizeof ds);
	ds.sink.commit = dry_commit;
	ds.sink.dry = 1;
	ds.sink.ctx = &ds;
	ds.in = &in;
	if (cli->json)
		ds.bills = json_object_new_array();
	a->sink = &ds.sink;
	if (a->ops->init(a, &err) < 0) {
		fprintf(stderr, "hisgate: adapter %s: %s\n", name, err.msg);
		goto out;
	}
	if (a->ops->poll(a, &err) < 0)
		fprintf(stderr, "hisgate: adapter %s: %s\n", name, err.msg);
	else
		rc = HG_EXIT_OK;
	if (ds.bills != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "adapter",
		    json_object_new_string(name));
		json_object_object_add(o, "read",
		    json_object_new_int64((int64_t)ds.nbills));
		json_object_object_add(o, "invalid",
		    json_object_new_int64((int64_t)ds.ninvalid));
		json_object_object_add(o, "committed",
		    json_object_new_boolean(0));
		json_object_object_add(o, "bills", ds.bills);
		ds.bills = NULL;
		hg_cli_json(o);
	} else {
		printf("# %zu bill%s read, %zu invalid; nothing committed\n",
		    ds.nbills, ds.nbills == 1 ? "" : "s", ds.ninvalid);
	}
	a->ops->destroy(a);
out:
	json_object_put(ds.bills);
	a->sink = NULL;
	hg_intake_destroy(&in);
	return rc;
}

int
cmd_adapter(struct hg_cli *cli)
{
	struct hg_config *cfg;
	size_t i;
	int rc = HG_EXIT_OK;

	if (cli->nargs < 1)
		return hg_cli_usage("adapter needs: list | test NAME");
	if (strcmp(cli->args[0], "list") != 0 &&
	    !(strcmp(cli->args[0], "test") == 0 && cli->nargs == 2))
		return hg_cli_usage("adapter needs: list | test NAME");
	cfg = hg_cli_config(cli);
	if (cfg == NULL)
		return HG_EXIT_FAIL;
	hg_log_set_level(HG_LOG_WARNING);
	if (strcmp(cli->args[0], "list") == 0 && cli->json) {
		struct json_object *arr = json_object_new_array(), *o;

		for (i = 0; i < cfg->nadapters; i++) {
			o = json_object_new_object();
			json_object_object_add(o, "name", hg_json_str_new(
			    cfg->adapters[i]->name));
			json_object_object_add(o, "type", hg_json_str_new(
			    cfg->adapters[i]->ops->name));
			json_object_object_add(o, "file", hg_json_str_new(
			    cfg->adapters[i]->conf_file));
			json_object_array_add(arr, o);
		}
		hg_cli_json(arr);
	} else if (strcmp(cli->args[0], "list") == 0) {
		for (i = 0; i < cfg->nadapters; i++)
			printf("%-20s %-10s %s\n", cfg->adapters[i]->name,
			    cfg->adapters[i]->ops->name,
			    cfg->adapters[i]->conf_file);
	} else {
		rc = adapter_test(cli, cfg, cli->args[1]);
	}
	hg_config_free(cfg);
	return rc;
}
