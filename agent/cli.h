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
	const char *since;	/* --since DATE (audit) */
	const char *reason;	/* --reason TEXT (queue release) */
	const char *settled_before; /* --settled-before DATE (queue purge) */
	int	 detail;	/* --detail (reconcile) */
	int	 dry_run;	/* --dry-run (queue scrub) */
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
/* --json output: o as one line on stdout, then released. */
struct json_object;
void	hg_cli_json(struct json_object *o);
/* The answer of a command that acted on one bill: "bill N: MESSAGE" on
 * stdout, or with --json one object {"bill", "state" (the bill's state
 * now, or null), "changed" (whether this run changed it), the members of
 * extra (taken over; may be NULL), "message"}. */
void	hg_cli_outcome(const struct hg_cli *cli, long long bill,
	    const char *state, int changed, struct json_object *extra,
	    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int	hg_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* help.c: `hisgate COMMAND --help` (exit 0; 2 for an unknown command). */
int	hg_cli_help(const char *command);
/* A bill number argument; prints the usage error (what needs it). */
int	hg_cli_bill_id(const char *what, const char *arg, long long *id);

/* Journal hooks (agent/platform.h) for a call the CLI makes for one bill,
 * which must still be in `state` when the call is written down. */
struct hg_cli_jctx {
	struct hg_outbox *ob;
	long long id;
	const char *state;
};
int	hg_cli_j_sent(void *arg, const char *infno, const char *msgid,
	    const char *request, struct hg_err *err);
void	hg_cli_j_answered(void *arg, const char *msgid, const char *state,
	    const char *response, const char *err_msg);

int	cmd_run(struct hg_cli *cli);
int	cmd_check_config(struct hg_cli *cli);
int	cmd_config_keys(struct hg_cli *cli);
int	cmd_adapter(struct hg_cli *cli);
int	cmd_queue(struct hg_cli *cli);
/* cmd_scrub.c: queue scrub [--dry-run] [--json] on an open outbox */
int	hg_queue_scrub(struct hg_cli *cli, const struct hg_config *cfg,
	    struct hg_outbox *ob);
int	cmd_replay(struct hg_cli *cli);
int	cmd_status(struct hg_cli *cli);
/* cmd_reload.c: SIGHUP to the running daemon, waiting for its outcome */
int	cmd_reload(struct hg_cli *cli);
int	cmd_doctor(struct hg_cli *cli);
/* cmd_settle.c: queue retry|cancel (anything else goes on to cmd_queue),
 * slip */
int	cmd_queue_settle(struct hg_cli *cli);
int	cmd_slip(struct hg_cli *cli);
/* cmd_reconcile.c: reconcile [DATE] | --detail [DATE] | reverse MSGID
 * [BILL] | resettle BILL */
int	cmd_reconcile(struct hg_cli *cli);
/* cmd_audit.c: audit [--since DATE]; queue release ID --reason TEXT
 * (anything else goes on to cmd_queue_settle) */
int	cmd_audit(struct hg_cli *cli);
int	cmd_queue_audit(struct hg_cli *cli);

#endif
