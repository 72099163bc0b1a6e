/* hisgate run: the daemon.  One thread per adapter and settle.workers
 * settlement threads, each with its own outbox connection; the main
 * thread only waits for signals (TERM/INT: stop cleanly, HUP: reload the
 * mapping table, the audit's rules and the web users file; anything else
 * needs a restart). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/alert.h"
#include "agent/cli.h"
#include "agent/health.h"
#include "agent/intake.h"
#include "agent/writeback.h"
#include "agent/notify.h"
#include "agent/notify_wd.h"
#include "agent/pidfile.h"
#include "agent/reload.h"
#include "agent/audit.h"
#include "agent/retention.h"
#include "agent/settle.h"
#include "agent/web.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define BACKOFF_MAX_MS	60000
/* retention.personal_days: a pass at start, then hourly (days are what
 * counts, an hour late is nothing); a backlog larger than a pass's
 * budget goes on soon after, so that the watchdog pings and signals
 * are never kept waiting long */
#define RETENTION_EVERY_MS	(3600LL * 1000)
#define RETENTION_BUDGET_MS	2000
#define RETENTION_MORE_MS	10000

struct runner {
	struct hg_adapter *a;
	struct hg_intake *in;
	const struct hg_config *cfg;
	pthread_t	 thread;
	int		 started;
};

static atomic_int stopping;
static int stop_pipe[2] = { -1, -1 };

/* Wait for the adapter's own fd, the stop pipe or the timeout. */
static void
nap(struct hg_adapter *a, int64_t ms)
{
	struct pollfd pfd[2];
	int n = 0, fd;

	hg_beat(a->name, ms);
	pfd[n].fd = stop_pipe[0];
	pfd[n++].events = POLLIN;
	fd = a->ops->wait_fd != NULL && a->state != NULL ?
	    a->ops->wait_fd(a) : -1;
	if (fd >= 0) {
		pfd[n].fd = fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, (int)ms) < 0 && errno != EINTR)
		usleep(100000);
}

static void
kick(void *settle)
{
	hg_settle_kick(settle);
}

static void *
adapter_main(void *arg)
{
	struct runner *r = arg;
	struct hg_adapter *a = r->a;
	struct hg_complain c_open = { 0, 0, 0 }, c_poll = { 0, 0, 0 };
	struct hg_outbox *ob = NULL;
	struct hg_err err;
	int64_t backoff = 0;
	int inited = 0, rc;

	while (!atomic_load(&stopping)) {
		hg_beat(a->name, 0);
		if (ob == NULL) {
			if (hg_outbox_open(r->cfg->agent.outbox, 0, &ob,
			    &err) < 0) {
				hg_complain(&c_open, HG_LOG_ERR, a->name,
				    "cannot open the outbox, the source is "
				    "left untouched: %s", err.msg);
				ob = NULL;
				goto wait;
			}
			hg_complain_release(&c_open, a->name, "the outbox opens "
			    "again: the source is read once more");
			a->sink = hg_intake_sink_new(r->in, a->name, ob, 0);
		}
		if (!inited) {
			if (a->ops->init(a, &err) < 0) {
				hg_complain(&c_poll, HG_LOG_ERR, a->name,
				    "cannot start: %s", err.msg);
				/* counted like a failed poll: /healthz and
				 * /metrics show a source nobody reads */
				hg_web_adapter_poll(a->name, &err);
				goto wait;
			}
			inited = 1;
			log_info(a->name, "%s adapter started (%s)",
			    a->ops->name, a->conf_file);
		}
		rc = a->ops->poll(a, &err);
		hg_web_adapter_poll(a->name, rc < 0 ? &err : NULL);
		if (rc < 0) {
			backoff = backoff ? backoff * 2 : r->cfg->agent.poll_ms;
			if (backoff > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
			hg_complain(&c_poll, err.kind == HG_ETEMP ?
			    HG_LOG_WARNING : HG_LOG_ERR, a->name,
			    "%s; nothing was acknowledged, retrying in %lld s",
			    err.msg, (long long)(backoff / 1000));
		} else {
			backoff = 0;
			hg_complain_release(&c_poll, a->name,
			    "recovered: the source is flowing again");
		}
wait:
		if (!atomic_load(&stopping))
			nap(a, backoff ? backoff : r->cfg->agent.poll_ms);
	}
	if (inited)
		a->ops->destroy(a);
	hg_intake_sink_free(a->sink);
	a->sink = NULL;
	hg_outbox_close(ob);
	return NULL;
}

static void
setup_logging(const struct hg_config *cfg, int foreground)
{
	int level = hg_log_level_parse(cfg->agent.log_level);
	int to_syslog = strcmp(cfg->agent.log_target, "syslog") == 0;

	if (!foreground && !hg_notify_enabled())
		to_syslog = 1;	/* detached: stderr goes nowhere */
	hg_log_init("hisgate", to_syslog, level < 0 ? HG_LOG_INFO : level);
}

/* One retention pass on a connection of the main thread's own; returns
 * when the next is due (monotonic ms). */
static int64_t
retention_pass(const struct hg_config *cfg)
{
	static struct hg_complain c = { 0, 0, 0 };
	struct hg_outbox *ob;
	struct hg_err err;
	long long n = 0;
	int more = 0;

	if (hg_outbox_open(cfg->agent.outbox, 0, &ob, &err) == -1 ||
	    hg_retention_run(ob, cfg->retention.personal_days, 0,
	    RETENTION_BUDGET_MS, NULL, NULL, &n, &more, &err) == -1) {
		hg_complain(&c, HG_LOG_WARNING, "retention", "personal data "
		    "not removed, tried again in an hour: %s", err.msg);
		hg_outbox_close(ob);
		return hg_now_ms() + RETENTION_EVERY_MS;
	}
	hg_outbox_close(ob);
	hg_complain_release(&c, "retention", "personal data is removed "
	    "again");
	if (n > 0)
		log_notice("retention", "personal data removed from %lld "
		    "bill%s settled or cancelled more than %lld days ago "
		    "(retention.personal_days)%s", n, n == 1 ? "" : "s",
		    (long long)cfg->retention.personal_days,
		    more ? "; more to go" : "");
	return hg_now_ms() + (more ? RETENTION_MORE_MS : RETENTION_EVERY_MS);
}

/* The mapping's reload: SIGHUP's, and the web page's once its 未对码 form
 * added a row.  One at a time: the table and the pid file's account of
 * it change together. */
struct reload {
	struct hg_intake *in;
	struct hg_pidfile *pf;
	struct hg_runinfo *ri;
	pthread_mutex_t mu;
};

/* done (may be NULL) gets what is in force after a reload */
static int
reload_mapping_said(struct reload *r, char *done, size_t donesz,
    struct hg_err *err)
{
	struct hg_err werr;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	if (hg_intake_reload(r->in, err) < 0) {
		hg_err_prefix(err, "the old table (%zu codes) stays in force",
		    hg_mapping_size(r->in->map));
		rc = -1;
	} else {
		if (done != NULL)
			snprintf(done, donesz, "mapping %s reloaded: %zu codes",
			    r->in->cfg->agent.mapping_file,
			    hg_mapping_size(r->in->map));
		if (r->pf != NULL) {
			r->ri->mapping_codes = hg_mapping_size(r->in->map);
			r->ri->mapping_loaded_ms = hg_wall_ms();
			if (hg_pidfile_write(r->pf, r->ri, &werr) == -1)
				log_warn("hisgate", "%s", werr.msg);
		}
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int
reload_mapping(void *arg, struct hg_err *err)
{
	return reload_mapping_said(arg, NULL, 0, err);
}

/* SIGHUP: the mapping, the audit's rules and the web users, each kept
 * when its file is bad (a warning says why); then the outcome for
 * `hisgate reload`, which waits for it (agent/reload.h). */
static void
reload_all(const struct hg_config *cfg, struct reload *rl, struct hg_web *web,
    const char *outcome_path)
{
	struct hg_reload_outcome o;
	struct hg_err err;
	char done[HG_ERRLEN];

	memset(&o, 0, sizeof o);
	o.begun_ns = hg_reload_clock_ns();
	o.pid = (long)getpid();
	o.started_ms = rl->ri->started_ms;
	if (reload_mapping_said(rl, done, sizeof done, &err) < 0) {
		log_warn("hisgate", "SIGHUP: the mapping was not reloaded, %s",
		    err.msg);
		hg_reload_add(&o, "mapping", HG_RELOAD_KEPT, "%s", err.msg);
	} else {
		hg_reload_add(&o, "mapping", HG_RELOAD_DONE, "%s", done);
	}
	if (hg_audit_reload(cfg, done, sizeof done, &err) < 0) {
		log_warn("hisgate", "SIGHUP: the audit's rule tables were not "
		    "read again, those in force stay: %s", err.msg);
		hg_reload_add(&o, "audit", HG_RELOAD_KEPT, "the rule tables "
		    "in force stay: %s", err.msg);
	} else if (done[0] != '\0') {
		hg_reload_add(&o, "audit", HG_RELOAD_DONE, "%s", done);
	} else {
		hg_reload_add(&o, "audit", HG_RELOAD_OFF, "no rule tables: "
		    "agent.audit_dir %s is not there", cfg->agent.audit_dir);
	}
	if (hg_web_reload(web, done, sizeof done, &err) < 0) {
		log_warn("hisgate", "SIGHUP: %s", err.msg);
		hg_reload_add(&o, "web", HG_RELOAD_KEPT, "%s", err.msg);
	} else if (done[0] != '\0') {
		hg_reload_add(&o, "web", HG_RELOAD_DONE, "%s", done);
	} else {
		hg_reload_add(&o, "web", HG_RELOAD_OFF, "%s", web == NULL ?
		    "no web server" : "the web server has no users file");
	}
	if (outcome_path != NULL && hg_reload_write(outcome_path, &o,
	    &err) == -1)
		log_warn("hisgate", "%s: hisgate reload will not hear the "
		    "outcome", err.msg);
}

/* OUTBOX.pid, for doctor: who runs since when, which mapping.  Another
 * daemon on the same outbox stops this one; a file that cannot be
 * written only costs doctor its answer. */
static int
start_pidfile(const struct hg_config *cfg, const struct hg_intake *in,
    struct hg_pidfile **pf, struct hg_runinfo *ri)
{
	struct hg_err err;
	char *path = hg_pidfile_path(cfg->agent.outbox);
	int rc = 0;

	memset(ri, 0, sizeof *ri);
	if (hg_pidfile_open(path, pf, &err) == -1) {
		if (err.kind == HG_EPERM) {
			log_error("hisgate", "%s: stop it first", err.msg);
			rc = -1;
		} else {
			log_warn("hisgate", "%s: doctor will not see this "
			    "daemon", err.msg);
		}
		free(path);
		return rc;
	}
	free(path);
	ri->started_ms = hg_wall_ms();
	snprintf(ri->mapping_file, sizeof ri->mapping_file, "%s",
	    cfg->agent.mapping_file);
	ri->mapping_codes = hg_mapping_size(in->map);
	ri->mapping_loaded_ms = ri->started_ms;
	if (hg_pidfile_write(*pf, ri, &err) == -1)
		log_warn("hisgate", "%s", err.msg);
	return 0;
}

int
cmd_run(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_intake in;
	struct runner *runners;
	struct hg_settle *settle = NULL;
	struct hg_writeback *wb = NULL;
	struct hg_web *web = NULL;
	struct hg_audit_watch *watch = NULL;
	struct hg_alerter *alerter = NULL;
	struct hg_outbox *ob = NULL;
	struct hg_pidfile *pf = NULL;
	struct hg_health_writer *hw = NULL;
	struct hg_runinfo ri;
	struct reload rl = { NULL, NULL, NULL, PTHREAD_MUTEX_INITIALIZER };
	struct hg_web_hooks hooks;
	struct hg_err err;
	char *outcome = NULL;
	sigset_t set;
	size_t i;
	int64_t scrub_at = 0, health_at = 0, wait_ms, now;
	int sig, fatal, rc = HG_EXIT_FAIL;

	if (cli->nargs != 0)
		return hg_cli_usage("run takes no arguments");
	/* Block the signals we wait for before anything else: a stop that
	 * arrives while starting is then handled as a clean stop later, not
	 * by the default action halfway through opening the outbox. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	cfg = hg_cli_config(cli);
	if (cfg == NULL)
		return HG_EXIT_FAIL;
	setup_logging(cfg, cli->foreground);
	/* Refuse to start on an outbox we cannot use (newer schema, not a
	 * database): systemd should show that, not a silent retry loop. */
	if (hg_outbox_open(cfg->agent.outbox, 0, &ob, &err) < 0 &&
	    err.kind == HG_EPERM) {
		log_error("hisgate", "%s", err.msg);
		hg_config_free(cfg);
		return HG_EXIT_FAIL;
	}
	hg_outbox_close(ob);
	if (hg_intake_init(&in, cfg, &err) < 0) {
		log_error("hisgate", "%s", err.msg);
		hg_config_free(cfg);
		return HG_EXIT_FAIL;
	}
	if (!cli->foreground && !hg_notify_enabled() && daemon(0, 0) < 0) {
		log_error("hisgate", "cannot detach: %s", strerror(errno));
		goto out;
	}
	/* after daemon(): an fcntl lock does not pass to the child */
	if (start_pidfile(cfg, &in, &pf, &ri) == -1)
		goto out;
	/* an outcome a killed daemon left is not this one's */
	if (pf != NULL) {
		outcome = hg_reload_path(cfg->agent.outbox);
		unlink(outcome);
	}
	if (pipe(stop_pipe) < 0) {
		log_error("hisgate", "pipe: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);

	/* Settlement first: it opens its outboxes before any adapter
	 * thread creates files.  A bad secret or msgid state file stops
	 * the start, where systemd shows it. */
	if (hg_settle_start(cfg, &settle, &err) == -1) {
		log_error("hisgate", "%s", err.msg);
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		goto out;
	}
	/* a commit of new bills wakes an idle settlement worker */
	in.committed = kick;
	in.committed_arg = settle;
	/* results back to the HIS, from the outbox (a failure to start it
	 * is logged: it never stops intake or settlement) */
	if (hg_writeback_start(cfg, &wb, &err) == -1)
		log_error("hisgate", "%s", err.msg);
	/* the cost-surge alarm reads the whole outbox hourly: beside the
	 * workers, not in their way */
	if (hg_audit_watch_start(cfg, &watch, &err) == -1)
		log_error("hisgate", "%s", err.msg);
	/* the web page: operators' actions replay with this intake and
	 * reload as SIGHUP does; it failing to start stops nothing */
	rl.in = &in;
	rl.pf = pf;
	rl.ri = &ri;
	hooks.in = &in;
	hooks.reload = reload_mapping;
	hooks.arg = &rl;
	if (hg_web_start(cfg, &hooks, &web, &err) == -1)
		log_error("hisgate", "%s", err.msg);
	/* alerts only look and tell: they failing to start stops nothing */
	if (hg_alert_start(cfg, &alerter, &err) == -1)
		log_error("hisgate", "%s", err.msg);
	runners = hg_xcalloc(cfg->nadapters ? cfg->nadapters : 1,
	    sizeof *runners);
	for (i = 0; i < cfg->nadapters; i++) {
		runners[i].a = cfg->adapters[i];
		runners[i].in = &in;
		runners[i].cfg = cfg;
		if (pthread_create(&runners[i].thread, NULL, adapter_main,
		    &runners[i]) == 0)
			runners[i].started = 1;
		else
			log_error("hisgate", "cannot start adapter %s",
			    cfg->adapters[i]->name);
	}
	log_notice("hisgate", "running: %zu adapter%s, outbox %s",
	    cfg->nadapters, cfg->nadapters == 1 ? "" : "s",
	    cfg->agent.outbox);
	hg_notify("READY=1\nSTATUS=running");
	/* for hisgate status: only a daemon with a pid file is seen */
	if (pf != NULL)
		hw = hg_health_writer_new(cfg, &ri);

	for (;;) {
		now = hg_now_ms();
		if (hw != NULL && now >= health_at) {
			hg_health_update(hw);
			health_at = now + hg_health_every_ms(cfg);
		}
		wait_ms = hw != NULL ? health_at - now : -1;	/* -1: signals */
		if (cfg->retention.personal_days > 0 &&
		    (wait_ms < 0 || scrub_at - now < wait_ms))
			wait_ms = scrub_at > now ? scrub_at - now : 0;
		if (hg_watchdog_sigtimedwait(&set, &sig, wait_ms) != 0)
			continue;
		if (sig == 0) {
			if (cfg->retention.personal_days > 0 &&
			    hg_now_ms() >= scrub_at)
				scrub_at = retention_pass(cfg);
			continue;
		}
		if (sig == SIGHUP) {
			hg_notify("RELOADING=1");
			reload_all(cfg, &rl, web, outcome);
			/* the tables may have changed: the surge again now */
			hg_audit_watch_kick(watch);
			hg_notify("READY=1");
			continue;
		}
		break;
	}
	log_notice("hisgate", "stopping (signal %d)", sig);
	hg_notify("STOPPING=1");
	/* the write-back calls adapters' write_result: it stops (after the
	 * bill it is writing) before they are destroyed */
	hg_writeback_stop(wb);
	hg_alert_stop(alerter);
	atomic_store(&stopping, 1);
	if (write(stop_pipe[1], "x", 1) < 0)
		log_warn("hisgate", "stop pipe: %s", strerror(errno));
	for (i = 0; i < cfg->nadapters; i++)
		if (runners[i].started)
			pthread_join(runners[i].thread, NULL);
	free(runners);
	hg_web_stop(web);
	hg_audit_watch_stop(watch);
	fatal = hg_settle_fatal(settle);
	/* workers finish the call they are in (bounded by its timeout) */
	hg_settle_stop(settle);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	if (fatal) {
		log_error("hisgate", "stopped: the outbox's disk failed");
		rc = HG_EXIT_FAIL;
	} else {
		log_notice("hisgate", "stopped");
		rc = HG_EXIT_OK;
	}
out:
	hg_health_writer_free(hw);
	if (outcome != NULL)
		unlink(outcome);
	free(outcome);
	hg_pidfile_close(pf);
	hg_intake_destroy(&in);
	hg_config_free(cfg);
	return rc;
}
