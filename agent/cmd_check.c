/* check-config and config-keys. */
#include "config.h"

#include <stdio.h>

#include "agent/cli.h"
#include "agent/intake.h"

int
cmd_check_config(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_intake in;
	struct hg_err err;

	if (cli->nargs != 0)
		return hg_cli_usage("check-config takes no arguments");
	cfg = hg_cli_config(cli);
	if (cfg == NULL)
		return HG_EXIT_FAIL;
	/* the mapping table and the tolerance are configuration too: a
	 * typo there must show before systemctl reload, not after */
	if (hg_intake_init(&in, cfg, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		hg_config_free(cfg);
		return HG_EXIT_FAIL;
	}
	hg_intake_destroy(&in);
	if (!cli->json)
		printf("%s: ok (%zu adapter%s)\n", cfg->file, cfg->nadapters,
		    cfg->nadapters == 1 ? "" : "s");
	hg_config_free(cfg);
	return HG_EXIT_OK;
}

int
cmd_config_keys(struct hg_cli *cli)
{
	if (cli->nargs != 0)
		return hg_cli_usage("config-keys takes no arguments");
	hg_config_print_keys(stdout);
	return HG_EXIT_OK;
}
