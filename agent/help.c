/* `hisgate COMMAND --help`: each command's own help, the short form of
 * its entry in hisgate(8) (t/docs.sh checks that every command named
 * there has one, naming each of its forms). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "agent/cli.h"

static const struct help {
	const char *name;
	const char *text;
} helps[] = {
	{ "run",
	  "usage: hisgate [-c FILE] run [--foreground | -f]\n\n"
	  "Run the daemon: every adapter takes bills into the outbox, the\n"
	  "settlement workers settle them with the platform.  Without\n"
	  "--foreground (and outside systemd) it detaches and logs to syslog.\n"
	  "A missing or unwritable outbox directory, an outbox with a newer\n"
	  "schema, a secret others may read, or another daemon on the same\n"
	  "outbox stops it at start with a message.\n"
	  "SIGTERM/SIGINT stop it cleanly; SIGHUP reloads the mapping file,\n"
	  "the audit's rule tables and the web users file (a missing or\n"
	  "broken file keeps what is in force): see hisgate reload.\n" },
	{ "reload",
	  "usage: hisgate [-c FILE] reload [--json]\n\n"
	  "Ask the running daemon to read its mapping file, the audit's rule\n"
	  "tables and the web users file again (SIGHUP, as systemctl reload\n"
	  "hisgate does through it), wait for its answer and print, for each,\n"
	  "reloaded, off (nothing configured), or NOT reloaded with why,\n"
	  "naming the file and line: the daemon keeps what was in force.\n"
	  "hisgate.conf and adapter files are not read again (restart).\n"
	  "Exit 0 when all was reloaded; 1 when anything was kept, no daemon\n"
	  "runs on the outbox, or it did not answer within 30 s.\n"
	  "--json: {\"pid\", \"reloaded\", \"parts\": [{\"name\", \"state\", \"text\"}]}.\n" },
	{ "check-config",
	  "usage: hisgate [-c FILE] check-config [--json]\n\n"
	  "Load the main file, every adapter file and the mapping file, and\n"
	  "check what breaks only once the daemon runs: adapters_dir missing or\n"
	  "without *.conf, bad mapping rows (all of them), drop, outbox and\n"
	  "secret paths the service user cannot use (checked as\n"
	  "agent.service_user when run as root), placeholder values.\n"
	  "Prints every problem as FILE:LINE: message; exit 0, or 1 on errors\n"
	  "(warnings alone exit 0).  --json: the same messages, also on stdout\n"
	  "as {\"file\", \"ok\", \"adapters\", \"mapped_codes\", \"errors\", \"warnings\"}.\n" },
	{ "config-keys",
	  "usage: hisgate config-keys [--json]\n\n"
	  "Print every configuration key with its type, default and meaning\n"
	  "(see hisgate.conf(5) and hisgate-adapters(5)), then the canonical\n"
	  "fields of a column map.  --json: {\"main\", \"adapters\", \"fields\"}.\n" },
	{ "adapter",
	  "usage: hisgate [-c FILE] adapter list [--json]\n"
	  "       hisgate [-c FILE] adapter test NAME [--json]\n\n"
	  "adapter list       the configured adapter instances: name, type, file\n"
	  "adapter test NAME  read the source once and print each normalised\n"
	  "                   bill (JSON) with its verdict and problems; nothing\n"
	  "                   is committed, moved or written; --json: one object,\n"
	  "                   the bills in \"bills\"\n" },
	{ "queue",
	  "usage: hisgate [-c FILE] queue list [--state S] [--json]\n"
	  "       hisgate [-c FILE] queue show ID [--json]\n"
	  "       hisgate [-c FILE] queue retry ID [--json]\n"
	  "       hisgate [-c FILE] queue cancel ID [--yes | -y] [--json]\n"
	  "       hisgate [-c FILE] queue replay [ID] [--json]\n"
	  "       hisgate [-c FILE] queue purge --settled-before DATE [--yes | -y]\n"
	  "               [--dry-run] [--json]\n"
	  "       hisgate [-c FILE] queue scrub [--dry-run] [--json]\n"
	  "       hisgate [-c FILE] queue release ID --reason TEXT [--json]\n\n"
	  "queue list    the bills, optionally in state S (invalid, ready,\n"
	  "              in_progress, in_doubt, settled, rejected, amended,\n"
	  "              cancelled), with the reason one waits; names and ID\n"
	  "              numbers masked, also inside platform messages\n"
	  "queue show    one bill: problems, canonical form, state history\n"
	  "queue retry   a rejected or cancelled bill back to ready\n"
	  "queue cancel  reverse a settled bill at the platform (2305)\n"
	  "queue replay  re-map and re-validate invalid bills (as replay)\n"
	  "queue purge   remove settled and cancelled bills last changed\n"
	  "              before DATE (asks first, unless --yes; --dry-run\n"
	  "              only counts; --json needs --yes or --dry-run);\n"
	  "              queue purge DATE is the older spelling\n"
	  "queue scrub   remove the personal data (names, certificate\n"
	  "              numbers...) of bills settled or cancelled more than\n"
	  "              retention.personal_days ago, as the daemon does\n"
	  "              hourly; amounts and ids stay; --dry-run lists them\n"
	  "queue release a bill held by the audit (held_by_audit) back to\n"
	  "              ready; the reason and who gave it go to its history\n"
	  "--json: one JSON object (an array for queue list); retry, cancel\n"
	  "and release answer {\"bill\", \"state\", \"changed\", \"message\"};\n"
	  "cancel --json needs --yes.\n" },
	{ "audit",
	  "usage: hisgate [-c FILE] audit [--since DATE] [--json]\n\n"
	  "The pre-settlement audit's findings recorded since DATE (yyyy-MM-dd\n"
	  "from midnight, or \"yyyy-MM-dd HH:mm:ss\"; default 30 days ago), the\n"
	  "bills it holds, and the cost-surge alarms\n"
	  "of cross-province discharges from DATE on: per department and\n"
	  "insured region, when the average cost rose past the threshold, when\n"
	  "it fell back, and the bills and items that drive it\n"
	  "(hisgate-audit(5)).  Nothing is changed or sent.\n" },
	{ "replay",
	  "usage: hisgate [-c FILE] replay [ID] [--json]\n"
	  "       hisgate [-c FILE] queue replay [ID] [--json]\n\n"
	  "Re-map and re-validate every invalid bill (or only bill ID) after a\n"
	  "fix of the mapping file or the configuration; bills that now pass\n"
	  "become ready.  --json: {\"bill\", \"ready\", \"invalid\"}.\n" },
	{ "status",
	  "usage: hisgate [-c FILE] status [--json]\n\n"
	  "One screen: the daemon (running?), each adapter (running, failing\n"
	  "with its last error, stuck in one poll since, last bill taken in),\n"
	  "the platform (last answer, last attempt without one, the daemon's\n"
	  "sign-in), bills per state, the oldest bill waiting, free disk.\n"
	  "Reads files only (the daemon's OUTBOX.health for what the adapters\n"
	  "do now); never calls the platform.\n" },
	{ "doctor",
	  "usage: hisgate [-c FILE] doctor [--json]\n\n"
	  "One line per check (ok, warn, fail), each problem with its fix:\n"
	  "  config     the configuration, mapping table and secret files\n"
	  "  daemon     whether the daemon runs (pid, uptime)\n"
	  "  mapping    its codes; changed since the daemon loaded it?\n"
	  "  drop NAME  each drop directory: permissions, files waiting,\n"
	  "             stuck, unreadable or quarantined, how long done/\n"
	  "             keeps them\n"
	  "  adapters   every other adapter's source, as check-config\n"
	  "  outbox     integrity and foreign keys\n"
	  "  bills      per state; those waiting for a person\n"
	  "  retention  personal_days, the last scrub, bills due\n"
	  "  disk       free space: fails below web.disk_min_mb, warns\n"
	  "             below 512 MB\n"
	  "and with settle.enabled the platform:\n"
	  "  tls        verification off; platform.cert_file and ca_file\n"
	  "             expiry, from the files (fails expired, warns under\n"
	  "             30 days)\n"
	  "  dns        does platform.url's host resolve? (not looked up\n"
	  "             through a proxy: https_proxy, http_proxy, all_proxy)\n"
	  "  tls        the TLS handshake alone (connect for http): does the\n"
	  "             platform's certificate verify against ca_file, and\n"
	  "             when does it expire?\n"
	  "  platform   a sign-in (9001)\n"
	  "  clock      this clock against the answer's respond_time\n"
	  "--json: {\"checks\": [{\"check\", \"result\", \"detail\"}],\n"
	  "\"failed\", \"warnings\"}.  Exit 1 when a check fails.\n" },
	{ "slip",
	  "usage: hisgate [-c FILE] slip ID [--json]\n\n"
	  "The settlement slip (一单式结算单) of a settled bill.\n" },
	{ "reconcile",
	  "usage: hisgate [-c FILE] reconcile [DATE] [--json]\n"
	  "       hisgate [-c FILE] reconcile --detail [DATE] [--json]\n"
	  "       hisgate [-c FILE] reconcile reverse MSGID [BILL] [--json]\n"
	  "       hisgate [-c FILE] reconcile resettle BILL [--json]\n"
	  "       hisgate [-c FILE] reconcile close MDTRT_ID BILL [--json]\n\n"
	  "reconcile           one day (yyyy-MM-dd, default today) with the\n"
	  "                    platform (3201): settlements and refunds per\n"
	  "                    group, match or MISMATCH; exit 1 on a mismatch\n"
	  "reconcile --detail  row by row (3202): settlements one side has and\n"
	  "                    the other has not (单边账), each with its fix\n"
	  "reconcile reverse   2601 of the 2304 with this msgid, settled at the\n"
	  "                    platform but not in the outbox\n"
	  "reconcile resettle  a settled bill the platform no longer holds in\n"
	  "                    force: recorded cancelled, settled again\n"
	  "reconcile close     2404 of an open visit a lost 2401 of the bill\n"
	  "                    left at the platform (found by --detail)\n"
	  "--json: one JSON object with the same facts (hisgate(8)).\n" },
	{ NULL, NULL },
};

int
hg_cli_help(const char *command)
{
	const struct help *h;

	for (h = helps; h->name != NULL; h++)
		if (strcmp(h->name, command) == 0) {
			fputs(h->text, stdout);
			printf("\nSee hisgate(8).\n");
			return HG_EXIT_OK;
		}
	return hg_cli_usage("no help for \"%s\"", command);
}
