/* check-config and config-keys. */
#include "config.h"

#include <stdio.h>

#include "agent/cli.h"

int
cmd_check_config(struct hg_cli *cli)
{
	struct hg_config *cfg;

	if (cli->nargs != 0)
		return hg_cli_usage("check-config takes no arguments");
	cfg = hg_cli_config(cli);
	if (cfg == NULL)
		return HG_EXIT_FAIL;
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
