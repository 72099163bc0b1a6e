/* hisgate doctor: everything an IT engineer checks first, in one run:
 * the configuration (with mapping and secrets), whether the daemon runs
 * (its pid file), the mapping (codes, and whether the daemon's copy is
 * current), each drop directory (permissions, files waiting or stuck,
 * files quarantined in rejected/, how long done/ keeps files), the outbox
 * (schema, integrity, free space, bills that wait for a person), the
 * retention of personal data (its setting, the last scrub, bills due),
 * and the platform: the certificates' expiry (from the files, whatever
 * the sign-in says), whether its name resolves, the connection and TLS
 * handshake alone, a sign-in, and the clock against its respond_time.
 * One line per check; exit 1 when any check fails.  The drop directories
 * are checked in doctor_drops.c, the platform in doctor_platform.c. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/doctor.h"
#include "agent/intake.h"
#include "agent/pidfile.h"
#include "agent/retention.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/outbox.h"

#define LOW_SPACE_MB	512	/* below this the outbox may soon be full */
/* the daemon scrubs at start and hourly: bills due with no scrub for
 * longer than this mean it does not */
#define SCRUB_LATE_MS	(2LL * 3600 * 1000)

void
hd_say(struct hd_report *r, const char *level, const char *what,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (strcmp(level, "fail") == 0)
		r->failed++;
	else if (strcmp(level, "warn") == 0)
		r->warned++;
	if (r->arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "check",
		    json_object_new_string(what));
		json_object_object_add(o, "result",
		    json_object_new_string(level));
		json_object_object_add(o, "detail",
		    json_object_new_string(msg));
		json_object_array_add(r->arr, o);
		return;
	}
	printf("%-4s  %-10s %s\n", level, what, msg);
}

struct counts {
	long long n[10];
};

static const char *const watched[] = { HG_S_INVALID, HG_S_READY,
	HG_S_PROGRESS, HG_S_INDOUBT, HG_S_SETTLED, HG_S_REJECTED,
	HG_S_AMENDED, HG_S_CANCELLED, HG_S_PERSON, NULL };

static void
count_cb(const char *state, long long n, void *arg)
{
	struct counts *c = arg;
	int i;

	for (i = 0; watched[i] != NULL; i++)
		if (strcmp(watched[i], state) == 0)
			c->n[i] = n;
}

/* retention.personal_days: the setting, the last scrub the outbox
 * recorded (queue/outbox_scrub.c) and what is due now. */
static void
check_retention(struct hd_report *r, const struct hg_config *cfg,
    struct hg_outbox *ob)
{
	long long days = (long long)cfg->retention.personal_days, bills, due;
	char last[160], when[32];
	struct hg_err err;
	int64_t run;
	int more, late;

	if (hg_outbox_scrub_last(ob, &run, &bills, &err) == -1 ||
	    hg_retention_run(ob, days, 1, -1, NULL, NULL, &due, &more,
	    &err) == -1) {
		hd_say(r, "fail", "retention", "%s", err.msg);
		return;
	}
	if (run > 0) {
		hg_fmt_time(run, when, sizeof when);
		snprintf(last, sizeof last, "last scrub %s: %lld bill%s",
		    when, bills, bills == 1 ? "" : "s");
	} else
		snprintf(last, sizeof last, "no scrub ran yet");
	if (days == 0) {
		hd_say(r, "ok", "retention", "off (retention.personal_days = 0): "
		    "names and certificate numbers stay in the outbox until "
		    "hisgate queue purge removes whole bills; %s", last);
		return;
	}
	late = due > 0 && (run == 0 || hg_wall_ms() - run > SCRUB_LATE_MS);
	hd_say(r, late ? "warn" : "ok", "retention", "personal data out of bills "
	    "settled or cancelled more than %lld day%s ago (retention."
	    "personal_days; the daemon at start and hourly); %s; %lld bill%s "
	    "due now%s", days, days == 1 ? "" : "s", last, due,
	    due == 1 ? "" : "s", late ? ": is the daemon running? "
	    "(hisgate queue scrub takes them now)" : "");
}

static void
check_outbox(struct hd_report *r, const struct hg_config *cfg)
{
	struct hg_outbox *ob;
	struct hg_err err;
	struct statvfs sv;
	struct counts c;
	char *dir, *slash;

	if (hg_outbox_open(cfg->agent.outbox, HG_OB_READONLY, &ob,
	    &err) < 0) {
		hd_say(r, "fail", "outbox", "%s", err.msg);
		return;
	}
	if (hg_outbox_check(ob, &err) < 0)
		hd_say(r, "fail", "outbox", "%s (restore the last backup; see "
		    "hisgate(8))", err.msg);
	else
		hd_say(r, "ok", "outbox", "%s: integrity and foreign keys ok",
		    cfg->agent.outbox);
	memset(&c, 0, sizeof c);
	if (hg_outbox_counts(ob, count_cb, &c, &err) < 0) {
		hd_say(r, "fail", "bills", "%s", err.msg);
	} else {
		hd_say(r, "ok", "bills", "%lld ready, %lld in progress, %lld "
		    "settled", c.n[1], c.n[2], c.n[4]);
		if (c.n[0] > 0)
			hd_say(r, "warn", "invalid", "%lld bill%s wait for a fix "
			    "(hisgate queue list --state invalid; fix the "
			    "mapping, then hisgate replay)", c.n[0],
			    c.n[0] == 1 ? "" : "s");
		if (c.n[3] > 0)
			hd_say(r, "warn", "in_doubt", "%lld bill%s wait for the "
			    "platform to say whether they were settled (they "
			    "are resolved by 2601 when it answers)", c.n[3],
			    c.n[3] == 1 ? "" : "s");
		if (c.n[5] > 0)
			hd_say(r, "warn", "rejected", "%lld bill%s refused by the "
			    "platform (hisgate queue list --state rejected; "
			    "hisgate queue retry ID after fixing)", c.n[5],
			    c.n[5] == 1 ? "" : "s");
		if (c.n[6] > 0)
			hd_say(r, "warn", "amended", "%lld bill%s changed after "
			    "settlement and wait for a person (hisgate queue "
			    "show ID)", c.n[6], c.n[6] == 1 ? "" : "s");
		if (c.n[8] > 0)
			hd_say(r, "warn", "needs_person", "%lld bill%s whose "
			    "lost answers the agent could not resolve wait "
			    "for a person (hisgate queue show ID lists every "
			    "call and answer; then hisgate queue retry ID)",
			    c.n[8], c.n[8] == 1 ? "" : "s");
	}
	check_retention(r, cfg, ob);
	hg_outbox_close(ob);
	dir = hg_xstrdup(cfg->agent.outbox);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (statvfs(slash != NULL ? dir : ".", &sv) == -1)
		hd_say(r, "fail", "disk", "%s: %s: free space unknown",
		    slash != NULL ? dir : ".", strerror(errno));
	else {
		uint64_t mb = (uint64_t)sv.f_bavail * sv.f_frsize >> 20;
		uint64_t min = (uint64_t)cfg->web.disk_min_mb;

		/* below web.disk_min_mb the daemon raises its disk alarm
		 * (/metrics, /healthz 503): the same limit fails here */
		if (mb < min)
			hd_say(r, "fail", "disk", "%" PRIu64 " MB free beside the "
			    "outbox, below web.disk_min_mb %" PRIu64 " (the "
			    "daemon's disk alarm, /healthz 503): free space on "
			    "%s (hisgate queue purge removes old bills) or "
			    "lower web.disk_min_mb", mb, min,
			    slash != NULL ? dir : ".");
		else
			hd_say(r, mb < LOW_SPACE_MB ? "warn" : "ok", "disk",
			    "%" PRIu64 " MB free beside the outbox (web."
			    "disk_min_mb %" PRIu64 ")%s", mb, min,
			    mb < LOW_SPACE_MB ? ": when it is full, sources "
			    "are not acknowledged until space comes back" :
			    "");
	}
	free(dir);
}

void
hd_ago(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s < 120)
		snprintf(buf, len, "%lld s", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lld min", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lld h %02lld min", (long long)(s / 3600),
		    (long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%lld days", (long long)(s / 86400));
}

/* Is the daemon running?  From its pid file (agent/pidfile.h). */
static int
check_daemon(struct hd_report *r, const struct hg_config *cfg,
    struct hg_runinfo *ri)
{
	char *path = hg_pidfile_path(cfg->agent.outbox), up[32], since[32];
	int running = hg_pidfile_read(path, ri);

	if (running == 1) {
		hd_ago(hg_wall_ms() - ri->started_ms, up, sizeof up);
		hg_fmt_time(ri->started_ms, since, sizeof since);
		hd_say(r, "ok", "daemon", "running: pid %ld, up %s (since %s)",
		    ri->pid, up, since);
	} else if (running == 0) {
		hd_say(r, "warn", "daemon", "not running: %s was left by pid %ld, "
		    "which has stopped (systemctl start hisgate; journalctl "
		    "-u hisgate says why it stopped)", path, ri->pid);
	} else {
		hd_say(r, "warn", "daemon", "not running (no %s): systemctl start "
		    "hisgate", path);
	}
	free(path);
	return running == 1;
}

static void
check_mapping(struct hd_report *r, const struct hg_config *cfg,
    const struct hg_intake *in, const struct hg_runinfo *ri, int running)
{
	const char *path = cfg->agent.mapping_file;
	char when[32];
	struct stat st;

	if (stat(path, &st) == -1) {
		char when2[32];

		/* a reload keeps the table it has (agent/intake.c): only a
		 * start, and hisgate replay, read the missing file as empty */
		if (running) {
			hg_fmt_time(ri->mapping_loaded_ms, when2, sizeof when2);
			hd_say(r, "warn", "mapping", "%s does not exist: the "
			    "running daemon keeps the %zu codes it loaded at "
			    "%s (a reload does not drop them), but after a "
			    "restart, and for hisgate replay, every fee the "
			    "export gives no national code would be 未对码: "
			    "put the file back", path, ri->mapping_codes,
			    when2);
		} else
			hd_say(r, "warn", "mapping", "%s does not exist: when the "
			    "daemon starts, every fee the export gives no "
			    "national code is 未对码 (create it: "
			    "local_code,national_code,name)", path);
		return;
	}
	if (!running) {
		hd_say(r, "ok", "mapping", "%s: %zu codes", path,
		    hg_mapping_size(in->map));
		return;
	}
	hg_fmt_time(ri->mapping_loaded_ms, when, sizeof when);
	if ((int64_t)st.st_mtime * 1000 > ri->mapping_loaded_ms)
		hd_say(r, "warn", "mapping", "%s: %zu codes, changed since the "
		    "daemon loaded it (%zu codes at %s): systemctl reload "
		    "hisgate", path, hg_mapping_size(in->map),
		    ri->mapping_codes, when);
	else
		hd_say(r, "ok", "mapping", "%s: %zu codes; the daemon loaded %zu "
		    "at %s", path, hg_mapping_size(in->map), ri->mapping_codes,
		    when);
}

int
cmd_doctor(struct hg_cli *cli)
{
	struct hd_report r = { NULL, 0, 0 };
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_config *cfg;
	struct hg_intake in;
	struct hg_runinfo ri;
	struct hg_err err;
	size_t i;
	int running;

	if (cli->nargs != 0)
		return hg_cli_usage("doctor takes no arguments");
	if (cli->json)
		r.arr = json_object_new_array();
	cfg = hg_config_load(cli->conf_path, &errs);
	if (errs.n > 0) {
		for (i = 0; i < errs.n; i++)
			hd_say(&r, "fail", "config", "%s", errs.msg[i]);
	} else {
		hg_outbox_service_user(cfg->agent.service_user);
		hd_say(&r, "ok", "config", "%s: %zu adapter%s", cfg->file,
		    cfg->nadapters, cfg->nadapters == 1 ? "" : "s");
		running = check_daemon(&r, cfg, &ri);
		if (hg_intake_init(&in, cfg, &err) < 0) {
			hd_say(&r, "fail", "mapping", "%s", err.msg);
		} else {
			check_mapping(&r, cfg, &in, &ri, running);
			hg_intake_destroy(&in);
		}
		hd_check_drops(&r, cfg, running);
		check_outbox(&r, cfg);
		hd_check_platform(&r, cfg);
	}
	hg_conf_errs_free(&errs);
	hg_config_free(cfg);
	if (r.arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "checks", r.arr);
		json_object_object_add(o, "failed",
		    json_object_new_int(r.failed));
		json_object_object_add(o, "warnings",
		    json_object_new_int(r.warned));
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%d problem%s, %d warning%s\n", r.failed,
		    r.failed == 1 ? "" : "s", r.warned,
		    r.warned == 1 ? "" : "s");
	}
	return r.failed ? HG_EXIT_FAIL : HG_EXIT_OK;
}
