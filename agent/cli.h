/* Sub-commands of the hisgate binary: one cmd_*.c file each group, one
 * table in main.c. */
#ifndef HG_CLI_H
#define HG_CLI_H

#include "agent/conf.h"
#include "queue/outbox.h"

struct hg_cli {
	const char *conf_path;	/* -c FILE, or NULL for the default */
	int	 json;		/* --json */
	int	 foreground;	/* --foreground / -f */
	int	 yes;		/* --yes: no confirmation question */
	const char *state;	/* --state S */
	char	**args;		/* positional arguments after the command */
	int	 nargs;
};

/* Exit codes: 0 done, 1 failed, 2 usage. */
#define HG_EXIT_OK	0
#define HG_EXIT_FAIL	1
#define HG_EXIT_USAGE	2

/* Load the configuration and print every problem as FILE:LINE: message
 * on stderr.  Returns NULL when there were problems. */
struct hg_config *hg_cli_config(const struct hg_cli *cli);
/* Open the configured outbox (flags as hg_outbox_open), printing why not
 * on stderr.  NULL when it cannot be opened. */
struct hg_outbox *hg_cli_outbox(const struct hg_config *cfg, int flags);
int	hg_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int	cmd_run(struct hg_cli *cli);
int	cmd_check_config(struct hg_cli *cli);
int	cmd_config_keys(struct hg_cli *cli);
int	cmd_adapter(struct hg_cli *cli);
int	cmd_queue(struct hg_cli *cli);
int	cmd_replay(struct hg_cli *cli);
int	cmd_status(struct hg_cli *cli);
int	cmd_doctor(struct hg_cli *cli);
/* cmd_settle.c: queue retry|cancel (anything else goes on to cmd_queue),
 * slip, reconcile */
int	cmd_queue_settle(struct hg_cli *cli);
int	cmd_slip(struct hg_cli *cli);
int	cmd_reconcile(struct hg_cli *cli);

#endif
