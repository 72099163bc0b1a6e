/* check-config and config-keys.  check-config prints every problem as
 * FILE:LINE: message (errors, then warnings) and exits 1 on any error. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "adapters/table.h"
#include "agent/cli.h"
#include "agent/confcheck.h"
#include "agent/intake.h"

static void
print_all(const struct hg_conf_errs *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		fprintf(stderr, "%s\n", e->msg[i]);
}

/* --json: the same messages (FILE:LINE: message) as an array */
static struct json_object *
msgs_json(const struct hg_conf_errs *e)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < e->n; i++)
		json_object_array_add(arr, json_object_new_string(e->msg[i]));
	return arr;
}

int
cmd_check_config(struct hg_cli *cli)
{
	struct hg_conf_errs errs = { NULL, 0 }, warns = { NULL, 0 };
	struct hg_config *cfg;
	struct hg_intake in;
	struct hg_err err;
	size_t rows = 0;
	int rc = HG_EXIT_FAIL;

	if (cli->nargs != 0)
		return hg_cli_usage("check-config takes no arguments");
	cfg = hg_config_load(cli->conf_path, &errs);
	/* what the loader found first: the checks below read its values */
	if (errs.n == 0)
		hg_confcheck(cfg, &errs, &warns, &rows);
	/* the tolerance is configuration too (the mapping was read above,
	 * every bad row of it listed) */
	if (errs.n == 0 && hg_intake_init(&in, cfg, &err) == 0)
		hg_intake_destroy(&in);
	else if (errs.n == 0)
		hg_conf_errs_add(&errs, cfg->file, 0, "%s", err.msg);
	print_all(&errs);
	print_all(&warns);
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(
		    cfg->file));
		json_object_object_add(o, "ok",
		    json_object_new_boolean(errs.n == 0));
		json_object_object_add(o, "adapters",
		    json_object_new_int64((int64_t)cfg->nadapters));
		json_object_object_add(o, "mapped_codes",
		    json_object_new_int64((int64_t)rows));
		json_object_object_add(o, "errors", msgs_json(&errs));
		json_object_object_add(o, "warnings", msgs_json(&warns));
		hg_cli_json(o);
	}
	if (errs.n == 0) {
		rc = HG_EXIT_OK;
		if (!cli->json)
			printf("%s: ok (%zu adapter%s, %zu mapped code%s, %zu "
			    "warning%s)\n", cfg->file, cfg->nadapters,
			    cfg->nadapters == 1 ? "" : "s", rows,
			    rows == 1 ? "" : "s", warns.n,
			    warns.n == 1 ? "" : "s");
	} else {
		fprintf(stderr, "%zu problem%s, %zu warning%s\n", errs.n,
		    errs.n == 1 ? "" : "s", warns.n, warns.n == 1 ? "" : "s");
	}
	hg_conf_errs_free(&errs);
	hg_conf_errs_free(&warns);
	hg_config_free(cfg);
	return rc;
}

int
cmd_config_keys(struct hg_cli *cli)
{
	struct json_object *o;

	if (cli->nargs != 0)
		return hg_cli_usage("config-keys takes no arguments");
	if (cli->json) {
		o = hg_config_keys_json();
		json_object_object_add(o, "fields", hg_table_fields_json());
		hg_cli_json(o);
		return HG_EXIT_OK;
	}
	hg_config_print_keys(stdout);
	hg_table_print_fields(stdout);
	return HG_EXIT_OK;
}
