/* hisgate reload: SIGHUP to the running daemon, and its answer.  The
 * signal alone says nothing back (systemctl reload with kill -HUP
 * succeeded whatever the daemon kept), so the command finds the daemon by
 * its pid file, as status and doctor do, and waits for the outcome the
 * daemon writes after the reload (agent/reload.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/pidfile.h"
#include "agent/reload.h"

/* a reload reads three files; a sanitized build on a busy machine takes
 * well under a second, systemd allows ExecReload= 90 s */
#define WAIT_NS		(30LL * 1000000000)
#define POLL_US		20000

/* Wait for the outcome of a reload of daemon ri begun after sent_ns:
 * 0 with *o, -1 after a message (the daemon stopped, or said nothing). */
static int
await(const char *pidpath, const char *path, const struct hg_runinfo *ri,
    int64_t sent_ns, struct hg_reload_outcome *o)
{
	struct hg_runinfo now;
	int n;

	for (n = 0; hg_reload_clock_ns() - sent_ns < WAIT_NS; n++) {
		if (hg_reload_read(path, o) == 0 && o->pid == ri->pid &&
		    o->started_ms == ri->started_ms && o->begun_ns >= sent_ns)
			return 0;
		/* now and then: is it still there to answer? */
		if (n % 25 == 24 && (hg_pidfile_read(pidpath, &now) != 1 ||
		    now.pid != ri->pid)) {
			fprintf(stderr, "hisgate: the agent (pid %ld) stopped "
			    "before it answered the reload: nothing is known "
			    "to be in force (journalctl -u hisgate says why; "
			    "systemctl start hisgate)\n", ri->pid);
			return -1;
		}
		usleep(POLL_US);
	}
	fprintf(stderr, "hisgate: the agent (pid %ld) was sent SIGHUP but did "
	    "not say within %lld s what it reloaded (no %s): an agent older "
	    "than this hisgate does not; its log says (journalctl -u "
	    "hisgate), or restart it\n", ri->pid, WAIT_NS / 1000000000, path);
	return -1;
}

/* --json: {"pid", "reloaded" (all of it), "parts": [{"name", "state"
 * (reloaded, kept, off), "text"}]} */
static void
print_json(const struct hg_reload_outcome *o, size_t kept)
{
	struct json_object *j = json_object_new_object(), *arr, *p;
	size_t i;

	json_object_object_add(j, "pid", json_object_new_int64(o->pid));
	json_object_object_add(j, "reloaded",
	    json_object_new_boolean(kept == 0));
	arr = json_object_new_array();
	for (i = 0; i < o->nparts; i++) {
		p = json_object_new_object();
		json_object_object_add(p, "name",
		    json_object_new_string(o->part[i].name));
		json_object_object_add(p, "state", json_object_new_string(
		    hg_reload_state_name(o->part[i].state)));
		json_object_object_add(p, "text",
		    json_object_new_string(o->part[i].text));
		json_object_array_add(arr, p);
	}
	json_object_object_add(j, "parts", arr);
	hg_cli_json(j);
}

int
cmd_reload(struct hg_cli *cli)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_config *cfg;
	struct hg_runinfo ri;
	struct hg_reload_outcome o;
	char *pidpath = NULL, *path = NULL;
	int64_t sent_ns;
	size_t i, kept = 0;
	int running, rc = HG_EXIT_FAIL;

	if (cli->nargs != 0)
		return hg_cli_usage("reload takes no arguments");
	/* Not hg_cli_config: the main file's check also reads the files a
	 * reload reads (web.users_file), and a bad one must not keep the
	 * daemon from being asked (it keeps the users, and reloads the
	 * rest).  What check-config would refuse is said, and fails the
	 * command: the next start would stop on it. */
	cfg = hg_config_load(cli->conf_path, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (errs.n > 0)
		fprintf(stderr, "hisgate: the configuration has problems "
		    "(above; check-config refuses it at the next start): the "
		    "agent on %s is asked to reload all the same\n",
		    cfg->agent.outbox);
	pidpath = hg_pidfile_path(cfg->agent.outbox);
	path = hg_reload_path(cfg->agent.outbox);
	running = hg_pidfile_read(pidpath, &ri);
	if (running != 1) {
		fprintf(stderr, "hisgate: no agent runs on the outbox %s (%s): "
		    "nothing was reloaded; systemctl start hisgate\n",
		    cfg->agent.outbox, running == 0 ? "its pid file names a "
		    "pid that has stopped" : "no pid file");
		goto out;
	}
	sent_ns = hg_reload_clock_ns();
	if (kill((pid_t)ri.pid, SIGHUP) == -1) {
		if (errno == ESRCH)
			fprintf(stderr, "hisgate: the agent (pid %ld) has just "
			    "stopped: nothing was reloaded\n", ri.pid);
		else
			fprintf(stderr, "hisgate: cannot signal the agent "
			    "(pid %ld): %s (run this as root or as the user "
			    "it runs as)\n", ri.pid, strerror(errno));
		goto out;
	}
	if (await(pidpath, path, &ri, sent_ns, &o) == -1)
		goto out;
	for (i = 0; i < o.nparts; i++)
		kept += o.part[i].state == HG_RELOAD_KEPT;
	if (cli->json)
		print_json(&o, kept);
	else
		for (i = 0; i < o.nparts; i++)
			printf("%-8s %-12s %s\n", o.part[i].name,
			    o.part[i].state == HG_RELOAD_KEPT ? "NOT reloaded" :
			    hg_reload_state_name(o.part[i].state),
			    o.part[i].text);
	if (kept > 0) {
		fprintf(stderr, "hisgate: %zu of %zu not reloaded: the agent "
		    "(pid %ld) runs on with what it had; fix the file named "
		    "and run hisgate reload again\n", kept, o.nparts, ri.pid);
		goto out;
	}
	rc = errs.n > 0 ? HG_EXIT_FAIL : HG_EXIT_OK;
out:
	hg_conf_errs_free(&errs);
	free(pidpath);
	free(path);
	hg_config_free(cfg);
	return rc;
}
