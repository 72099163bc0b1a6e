/* hisgate: the agent daemon and the IT staff's command line. */
#include "config.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "lib/jsonx.h"
#include "lib/log.h"

static const struct command {
	const char *name;
	int	(*exec)(struct hg_cli *);
	const char *usage;
} commands[] = {
	{ "run", cmd_run, "run [--foreground]        the daemon" },
	{ "check-config", cmd_check_config,
	  "check-config [--json]     exit 0, or print FILE:LINE: problems" },
	{ "config-keys", cmd_config_keys,
	  "config-keys [--json]      every configuration key with its default" },
	{ "adapter", cmd_adapter,
	  "adapter list [--json] | test NAME [--json]\n"
	  "                            list adapters; dry-run one (commits "
	  "nothing)" },
	{ "queue", cmd_queue_audit,
	  "queue list [--state S] [--json] | show ID [--json]\n"
	  "                            | retry ID [--json] "
	  "| cancel ID [--yes] [--json]\n"
	  "                            | replay [ID] [--json] "
	  "| scrub [--dry-run] [--json]\n"
	  "                            | purge --settled-before DATE [--yes] "
	  "[--dry-run] [--json]\n"
	  "                            | release ID --reason TEXT [--json]" },
	{ "replay", cmd_replay,
	  "replay [ID] [--json]      re-validate invalid bills after a fix "
	  "(also: queue replay)" },
	{ "audit", cmd_audit,
	  "audit [--since DATE] [--json]  audit findings and cost-surge alarms" },
	{ "status", cmd_status, "status [--json]           daemon, adapters, platform, "
	  "queue, oldest bill, disk" },
	{ "reload", cmd_reload,
	  "reload [--json]           make the daemon read its tables again; "
	  "exit 1 if it kept any" },
	{ "doctor", cmd_doctor,
	  "doctor [--json]           check config, adapters, outbox, disk, DNS, TLS,\n"
	  "                            certificates, platform sign-in, clock" },
	{ "slip", cmd_slip,
	  "slip ID [--json]          the settlement slip (一单式结算单) of a bill" },
	{ "reconcile", cmd_reconcile,
	  "reconcile [DATE] [--detail] [--json] | reverse MSGID [BILL] [--json]\n"
	  "                            | resettle BILL [--json] "
	  "| close MDTRT_ID BILL [--json]\n"
	  "                            3201 totals of a day against the "
	  "platform;\n"
	  "                            --detail: 3202 row by row, the 单边账 "
	  "and their fixes" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *fp)
{
	const struct command *c;

	fprintf(fp, "usage: hisgate [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(fp, "  %s\n", c->usage);
	fprintf(fp, "\n-c FILE defaults to %s.  hisgate COMMAND --help, and "
	    "hisgate(8), say more.\n", HG_DEFAULT_CONF);
}

int
hg_cli_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hisgate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(hisgate --help lists the commands)\n");
	return HG_EXIT_USAGE;
}

void
hg_cli_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void
hg_cli_outcome(const struct hg_cli *cli, long long bill, const char *state,
    int changed, struct json_object *extra, const char *fmt, ...)
{
	struct json_object *o;
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!cli->json) {
		printf("bill %lld: %s\n", bill, msg);
		json_object_put(extra);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "bill", json_object_new_int64(bill));
	json_object_object_add(o, "state", hg_json_str_new(state));
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	if (extra != NULL) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(extra);
	}
	json_object_object_add(o, "message", json_object_new_string(msg));
	hg_cli_json(o);
}

struct hg_config *
hg_cli_config(const struct hg_cli *cli)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_config *cfg;
	size_t i;

	cfg = hg_config_load(cli->conf_path, &errs);
	if (errs.n == 0) {
		hg_outbox_service_user(cfg->agent.service_user);
		return cfg;
	}
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	hg_conf_errs_free(&errs);
	hg_config_free(cfg);
	return NULL;
}

struct hg_outbox *
hg_cli_outbox(const struct hg_config *cfg, int flags)
{
	struct hg_outbox *ob;
	struct hg_err err;

	if (hg_outbox_open(cfg->agent.outbox, flags, &ob, &err) < 0) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		return NULL;
	}
	return ob;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	struct hg_cli cli;
	const char *name = NULL;
	int i, rc;

	/* glibc gives every thread that allocates an arena of its own: in
	 * the idle daemon (10 threads) that is 0.3 MB of touched pages for
	 * nothing (bench/idle, bench/RESULTS.md "Session 8").  Two arenas
	 * are plenty for threads that mostly wait on the network and
	 * SQLite.  Set before any thread starts. */
	mallopt(M_ARENA_MAX, 2);
	memset(&cli, 0, sizeof cli);
	cli.args = calloc((size_t)argc + 1, sizeof *cli.args);
	if (cli.args == NULL)
		return HG_EXIT_FAIL;
	/* every way out frees cli.args (sanitized builds check leaks) */
	/* Options may come before or after the command: IT staff type
	 * "hisgate queue list -c /etc/x.conf" as often as the other way. */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i == argc) {
				rc = hg_cli_usage("%s needs a file name", a);
				goto out;
			}
			cli.conf_path = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			cli.conf_path = a + 9;
		} else if (strcmp(a, "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(a, "--foreground") == 0 ||
		    strcmp(a, "-f") == 0) {
			cli.foreground = 1;
		} else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0) {
			cli.yes = 1;
		} else if (strcmp(a, "--detail") == 0) {
			cli.detail = 1;
		} else if (strcmp(a, "--dry-run") == 0) {
			cli.dry_run = 1;
		} else if (strcmp(a, "--since") == 0 ||
		    strcmp(a, "--reason") == 0) {
			if (++i == argc) {
				rc = hg_cli_usage("%s needs a value", a);
				goto out;
			}
			*(a[2] == 's' ? &cli.since : &cli.reason) = argv[i];
		} else if (strcmp(a, "--settled-before") == 0) {
			if (++i == argc) {
				rc = hg_cli_usage("--settled-before needs a date "
				    "like 2024-01-31");
				goto out;
			}
			cli.settled_before = argv[i];
		} else if (strcmp(a, "--state") == 0) {
			if (++i == argc) {
				rc = hg_cli_usage("--state needs a state");
				goto out;
			}
			cli.state = argv[i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			/* after a command: that command's own help */
			if (name != NULL) {
				rc = hg_cli_help(name);
				goto out;
			}
			usage(stdout);
			rc = HG_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--version") == 0) {
			printf("hisgate %s\n", PACKAGE_VERSION);
			rc = HG_EXIT_OK;
			goto out;
		} else if (a[0] == '-' && a[1] != '\0') {
			rc = hg_cli_usage("unknown option %s", a);
			goto out;
		} else if (name == NULL) {
			name = a;
		} else {
			cli.args[cli.nargs++] = argv[i];
		}
	}
	if (name == NULL) {
		usage(stderr);
		rc = HG_EXIT_USAGE;
		goto out;
	}
	hg_log_init("hisgate", 0, HG_LOG_WARNING);
	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0) {
			rc = c->exec(&cli);
			goto out;
		}
	rc = hg_cli_usage("unknown command \"%s\"", name);
out:
	free(cli.args);
	return rc;
}
