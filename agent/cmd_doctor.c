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
 * One line per check; exit 1 when any check fails. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fnmatch.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>
#include <grp.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/confcheck.h"
#include "agent/intake.h"
#include "agent/pidfile.h"
#include "agent/platform.h"
#include "agent/platform_tls.h"
#include "agent/retention.h"
#include "agent/settle.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/outbox.h"

#define LOW_SPACE_MB	512	/* below this the outbox may soon be full */
/* the daemon scrubs at start and hourly: bills due with no scrub for
 * longer than this mean it does not */
#define SCRUB_LATE_MS	(2LL * 3600 * 1000)

struct report {
	struct json_object *arr;	/* --json */
	int	 failed, warned;
};

static void
say(struct report *r, const char *level, const char *what, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
say(struct report *r, const char *level, const char *what, const char *fmt,
    ...)
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
check_retention(struct report *r, const struct hg_config *cfg,
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
		say(r, "fail", "retention", "%s", err.msg);
		return;
	}
	if (run > 0) {
		hg_fmt_time(run, when, sizeof when);
		snprintf(last, sizeof last, "last scrub %s: %lld bill%s",
		    when, bills, bills == 1 ? "" : "s");
	} else
		snprintf(last, sizeof last, "no scrub ran yet");
	if (days == 0) {
		say(r, "ok", "retention", "off (retention.personal_days = 0): "
		    "names and certificate numbers stay in the outbox until "
		    "hisgate queue purge removes whole bills; %s", last);
		return;
	}
	late = due > 0 && (run == 0 || hg_wall_ms() - run > SCRUB_LATE_MS);
	say(r, late ? "warn" : "ok", "retention", "personal data out of bills "
	    "settled or cancelled more than %lld day%s ago (retention."
	    "personal_days; the daemon at start and hourly); %s; %lld bill%s "
	    "due now%s", days, days == 1 ? "" : "s", last, due,
	    due == 1 ? "" : "s", late ? ": is the daemon running? "
	    "(hisgate queue scrub takes them now)" : "");
}

static void
check_outbox(struct report *r, const struct hg_config *cfg)
{
	struct hg_outbox *ob;
	struct hg_err err;
	struct statvfs sv;
	struct counts c;
	char *dir, *slash;

	if (hg_outbox_open(cfg->agent.outbox, HG_OB_READONLY, &ob,
	    &err) < 0) {
		say(r, "fail", "outbox", "%s", err.msg);
		return;
	}
	if (hg_outbox_check(ob, &err) < 0)
		say(r, "fail", "outbox", "%s (restore the last backup; see "
		    "hisgate(8))", err.msg);
	else
		say(r, "ok", "outbox", "%s: integrity and foreign keys ok",
		    cfg->agent.outbox);
	memset(&c, 0, sizeof c);
	if (hg_outbox_counts(ob, count_cb, &c, &err) < 0) {
		say(r, "fail", "bills", "%s", err.msg);
	} else {
		say(r, "ok", "bills", "%lld ready, %lld in progress, %lld "
		    "settled", c.n[1], c.n[2], c.n[4]);
		if (c.n[0] > 0)
			say(r, "warn", "invalid", "%lld bill%s wait for a fix "
			    "(hisgate queue list --state invalid; fix the "
			    "mapping, then hisgate replay)", c.n[0],
			    c.n[0] == 1 ? "" : "s");
		if (c.n[3] > 0)
			say(r, "warn", "in_doubt", "%lld bill%s wait for the "
			    "platform to say whether they were settled (they "
			    "are resolved by 2601 when it answers)", c.n[3],
			    c.n[3] == 1 ? "" : "s");
		if (c.n[5] > 0)
			say(r, "warn", "rejected", "%lld bill%s refused by the "
			    "platform (hisgate queue list --state rejected; "
			    "hisgate queue retry ID after fixing)", c.n[5],
			    c.n[5] == 1 ? "" : "s");
		if (c.n[6] > 0)
			say(r, "warn", "amended", "%lld bill%s changed after "
			    "settlement and wait for a person (hisgate queue "
			    "show ID)", c.n[6], c.n[6] == 1 ? "" : "s");
		if (c.n[8] > 0)
			say(r, "warn", "needs_person", "%lld bill%s whose "
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
		say(r, "fail", "disk", "%s: %s: free space unknown",
		    slash != NULL ? dir : ".", strerror(errno));
	else {
		uint64_t mb = (uint64_t)sv.f_bavail * sv.f_frsize >> 20;
		uint64_t min = (uint64_t)cfg->web.disk_min_mb;

		/* below web.disk_min_mb the daemon raises its disk alarm
		 * (/metrics, /healthz 503): the same limit fails here */
		if (mb < min)
			say(r, "fail", "disk", "%" PRIu64 " MB free beside the "
			    "outbox, below web.disk_min_mb %" PRIu64 " (the "
			    "daemon's disk alarm, /healthz 503): free space on "
			    "%s (hisgate queue purge removes old bills) or "
			    "lower web.disk_min_mb", mb, min,
			    slash != NULL ? dir : ".");
		else
			say(r, mb < LOW_SPACE_MB ? "warn" : "ok", "disk",
			    "%" PRIu64 " MB free beside the outbox (web."
			    "disk_min_mb %" PRIu64 ")%s", mb, min,
			    mb < LOW_SPACE_MB ? ": when it is full, sources "
			    "are not acknowledged until space comes back" :
			    "");
	}
	free(dir);
}

static void
ago(int64_t ms, char *buf, size_t len)
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
check_daemon(struct report *r, const struct hg_config *cfg,
    struct hg_runinfo *ri)
{
	char *path = hg_pidfile_path(cfg->agent.outbox), up[32], since[32];
	int running = hg_pidfile_read(path, ri);

	if (running == 1) {
		ago(hg_wall_ms() - ri->started_ms, up, sizeof up);
		hg_fmt_time(ri->started_ms, since, sizeof since);
		say(r, "ok", "daemon", "running: pid %ld, up %s (since %s)",
		    ri->pid, up, since);
	} else if (running == 0) {
		say(r, "warn", "daemon", "not running: %s was left by pid %ld, "
		    "which has stopped (systemctl start hisgate; journalctl "
		    "-u hisgate says why it stopped)", path, ri->pid);
	} else {
		say(r, "warn", "daemon", "not running (no %s): systemctl start "
		    "hisgate", path);
	}
	free(path);
	return running == 1;
}

static void
check_mapping(struct report *r, const struct hg_config *cfg,
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
			say(r, "warn", "mapping", "%s does not exist: the "
			    "running daemon keeps the %zu codes it loaded at "
			    "%s (a reload does not drop them), but after a "
			    "restart, and for hisgate replay, every fee the "
			    "export gives no national code would be 未对码: "
			    "put the file back", path, ri->mapping_codes,
			    when2);
		} else
			say(r, "warn", "mapping", "%s does not exist: when the "
			    "daemon starts, every fee the export gives no "
			    "national code is 未对码 (create it: "
			    "local_code,national_code,name)", path);
		return;
	}
	if (!running) {
		say(r, "ok", "mapping", "%s: %zu codes", path,
		    hg_mapping_size(in->map));
		return;
	}
	hg_fmt_time(ri->mapping_loaded_ms, when, sizeof when);
	if ((int64_t)st.st_mtime * 1000 > ri->mapping_loaded_ms)
		say(r, "warn", "mapping", "%s: %zu codes, changed since the "
		    "daemon loaded it (%zu codes at %s): systemctl reload "
		    "hisgate", path, hg_mapping_size(in->map),
		    ri->mapping_codes, when);
	else
		say(r, "ok", "mapping", "%s: %zu codes; the daemon loaded %zu "
		    "at %s", path, hg_mapping_size(in->map), ri->mapping_codes,
		    when);
}

static int
wanted(const struct hg_spool_conf *sc, const char *name)
{
	size_t i, n = strlen(name), m = strlen(sc->k->marker_suffix);

	if (name[0] == '.' || (sc->mode == HG_SPOOL_MARKER && n > m &&
	    strcmp(name + n - m, sc->k->marker_suffix) == 0))
		return 0;
	for (i = 0; i < sc->npat; i++)
		if (fnmatch(sc->pat[i], name, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

struct dirscan {
	size_t	 n, stuck;
	int64_t	 oldest_ms, newest_ms;	/* mtimes */
	char	 oldest[256], newest[256];
};

/* Files in dir: those the spool would read (errs 0), or the .err files
 * of quarantined ones (errs 1); stuck counts those older than window. */
static void
scan_dir(const char *dir, const struct hg_spool_conf *sc, int errs,
    int64_t window_ms, struct dirscan *ds)
{
	struct dirent *e;
	struct stat st;
	char *p;
	size_t n;
	int64_t m, now = hg_wall_ms();
	DIR *d;

	memset(ds, 0, sizeof *ds);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (errs ? e->d_name[0] == '.' || n <= 4 ||
		    strcmp(e->d_name + n - 4, ".err") != 0 :
		    !wanted(sc, e->d_name))
			continue;
		p = hg_xasprintf("%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			m = (int64_t)st.st_mtime * 1000;
			if (ds->n == 0 || m < ds->oldest_ms) {
				ds->oldest_ms = m;
				snprintf(ds->oldest, sizeof ds->oldest, "%s",
				    e->d_name);
			}
			if (ds->n == 0 || m > ds->newest_ms) {
				ds->newest_ms = m;
				snprintf(ds->newest, sizeof ds->newest, "%s",
				    e->d_name);
			}
			ds->n++;
			if (now - m > window_ms)
				ds->stuck++;
		}
		free(p);
	}
	closedir(d);
}

/* The first line of an .err file: why the file was quarantined. */
static void
first_line(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");

	buf[0] = '\0';
	if (fp == NULL)
		return;
	if (fgets(buf, (int)len, fp) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
}

/* How long done/ keeps what was read (done_keep_days), and what it
 * holds. */
static void
check_done(struct report *r, const char *what, const struct hg_spool_conf *sc)
{
	long long keep = (long long)sc->k->done_keep_days;
	char age[32], held[400];
	struct dirscan ds;

	scan_dir(sc->done_dir, sc, 0, 0, &ds);
	if (ds.n == 0)
		snprintf(held, sizeof held, "no file");
	else {
		ago(hg_wall_ms() - ds.oldest_ms, age, sizeof age);
		snprintf(held, sizeof held, "%zu file%s, oldest %s (%s)", ds.n,
		    ds.n == 1 ? "" : "s", ds.oldest, age);
	}
	if (keep == 0)
		say(r, "ok", what, "%s keeps what was read for ever "
		    "(done_keep_days = 0): %s", sc->done_dir, held);
	else
		say(r, "ok", what, "%s keeps what was read %lld day%s "
		    "(done_keep_days): %s", sc->done_dir, keep,
		    keep == 1 ? "" : "s", held);
}

/* A waiting file the service user cannot read (the HIS account wrote it
 * 0640 with a group the daemon is not in) would never be read: said,
 * with the group to join.  1 when so. */
static int
unreadable(struct report *r, const char *what, const char *dir,
    const char *name, const struct hg_user *as)
{
	char why[600], user[64], *p = hg_xasprintf("%s/%s", dir, name);
	struct group *gr;
	struct stat st;
	int bad = 0;

	if (hg_access_check(as, p, R_OK, why, sizeof why) != HG_ACCESS_OK &&
	    stat(p, &st) == 0) {
		gr = getgrgid(st.st_gid);
		hg_user_name(as, user, sizeof user);
		say(r, "fail", what, "%s: the daemon cannot read what the HIS "
		    "wrote; add %s to the file's group (adduser %s %s; "
		    "systemctl restart hisgate) or have the HIS write it "
		    "group-readable", why, user, user,
		    gr ? gr->gr_name : "GROUP");
		bad = 1;
	}
	free(p);
	return bad;
}

static void
check_drop(struct report *r, const struct hg_adapter *a,
    const struct hg_spool_conf *sc, const struct hg_user *as, int running)
{
	char what[80], why[600], age[32], owner[160], *p;
	struct dirscan ds;
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	int64_t window;

	snprintf(what, sizeof what, "drop %s", a->name);
	if (stat(sc->dir, &st) == -1) {
		say(r, running ? "fail" : "warn", what, "%s does not exist%s",
		    sc->dir, running ? ": the daemon could not create it (see "
		    "its log)" : " yet: the daemon creates it when it starts");
		return;
	}
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	snprintf(owner, sizeof owner, "mode %04o, owner %s:%s",
	    (unsigned)(st.st_mode & 07777), pw ? pw->pw_name : "?",
	    gr ? gr->gr_name : "?");
	if (hg_access_check(as, sc->dir, R_OK | W_OK | X_OK, why, sizeof why)
	    != HG_ACCESS_OK) {
		say(r, "fail", what, "%s: files can be neither read nor moved "
		    "to done/", why);
		return;
	}
	/* complete = stable waits stable_seconds, and a file is seen at
	 * the latest at the next rescan: past both, it should be gone */
	window = (sc->k->stable_seconds + 2 * sc->k->rescan_seconds + 10) *
	    1000;
	scan_dir(sc->dir, sc, 0, window, &ds);
	if (ds.n > 0 && unreadable(r, what, sc->dir, ds.oldest, as))
		;
	else if (ds.n == 0)
		say(r, "ok", what, "%s (%s): no file waiting", sc->dir, owner);
	else {
		ago(hg_wall_ms() - ds.oldest_ms, age, sizeof age);
		if (ds.stuck > 0)
			say(r, "warn", what, "%s: %zu file%s waiting longer "
			    "than %lld s (complete = %s), oldest %s, %s old: "
			    "%s", sc->dir, ds.stuck, ds.stuck == 1 ? "" : "s",
			    (long long)(window / 1000), sc->k->complete,
			    ds.oldest, age, !running ? "the daemon is not "
			    "running" : sc->mode == HG_SPOOL_MARKER ? "is its "
			    "marker file missing?" : "is the HIS still writing "
			    "it? (the daemon log says what it did with it)");
		else
			say(r, "ok", what, "%s (%s): %zu file%s waiting, "
			    "oldest %s (%s)", sc->dir, owner, ds.n,
			    ds.n == 1 ? "" : "s", ds.oldest, age);
	}
	scan_dir(sc->rejected_dir, sc, 1, 0, &ds);
	if (ds.n > 0) {
		p = hg_xasprintf("%s/%s", sc->rejected_dir, ds.newest);
		first_line(p, why, sizeof why);
		free(p);
		say(r, "warn", what, "%zu file%s quarantined in %s (each "
		    "NAME.err says why; fix and move it back into %s): newest "
		    "%s: %s", ds.n, ds.n == 1 ? "" : "s", sc->rejected_dir,
		    sc->dir, ds.newest, why);
	}
	check_done(r, what, sc);
}

static void
check_drops(struct report *r, const struct hg_config *cfg, int running)
{
	struct hg_conf_errs ignore = { NULL, 0 }, errs = { NULL, 0 };
	struct hg_conf_errs warns = { NULL, 0 };
	const struct hg_spool_keys *k;
	struct hg_spool_conf sc;
	struct hg_user as;
	size_t i;

	hg_confcheck_user(cfg, &as);
	for (i = 0; i < cfg->nadapters; i++) {
		const struct hg_adapter *a = cfg->adapters[i];

		if ((k = hg_confcheck_spool(a)) == NULL)
			continue;
		if (hg_spool_compile(k, a->conf_file, a->conf_file, 1, &ignore,
		    &sc) == 0)
			check_drop(r, a, &sc, &as, running);
		hg_spool_conf_free(&sc);
		hg_conf_errs_free(&ignore);
	}
	/* listeners, the hl7 store, ODBC sources: as check-config does */
	hg_confcheck_adapters(cfg, &as, &errs, &warns);
	for (i = 0; i < errs.n; i++)
		say(r, "fail", "adapters", "%s", errs.msg[i]);
	for (i = 0; i < warns.n; i++)
		say(r, "warn", "adapters", "%s", warns.msg[i]);
	hg_conf_errs_free(&errs);
	hg_conf_errs_free(&warns);
}

/* The certificates' expiry (agent/platform_tls.c), read from the files
 * before any call: an expired client certificate is the likely cause of
 * a failed sign-in, so it is named whatever the sign-in says. */
static void
check_certs(struct report *r, const struct hg_config *cfg)
{
	static const char *const lvl[] = { "ok", "warn", "fail" };
	static const char *const fix[][3] = {
		{ "", ": ask the platform operator for a new one before then "
		    "and set platform.cert_file and key_file to it", ": the "
		    "platform refuses it; ask the platform operator for a new "
		    "one and set platform.cert_file and key_file to it" },
		{ "", ": get the platform's new CA certificate before then "
		    "and set platform.ca_file to it", ": the platform's "
		    "certificate cannot be verified with it; get the "
		    "platform's current CA certificate and set platform."
		    "ca_file to it" },
	};
	const char *certs[] = { cfg->platform.cert_file,
	    cfg->platform.ca_file };
	char buf[512];
	size_t i;
	int rc;

	if (!cfg->platform.verify)
		say(r, "warn", "tls", "certificate verification is off "
		    "(platform.insecure = true)");
	for (i = 0; i < 2; i++)
		if (certs[i][0] != '\0') {
			rc = hg_cert_expiry(certs[i], time(NULL), buf,
			    sizeof buf);
			say(r, lvl[rc], "tls", "%s%s%s", i == 0 ? "client "
			    "certificate " : "CA (first) ", buf, fix[i][rc]);
		}
}

/* The URL's host into host (without brackets, user or port), and its
 * port (the scheme's when none is given).  -1 when there is none. */
static int
url_host(const char *url, char *host, size_t len, char *port, size_t plen)
{
	const char *p = strstr(url, "://"), *e, *at;
	size_t n;

	if (p == NULL)
		return -1;
	snprintf(port, plen, "%s", strncmp(url, "https:", 6) == 0 ? "443" :
	    "80");
	p += 3;
	e = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(e - p))) != NULL)
		p = at + 1;
	if (*p == '[') {
		p++;
		n = strcspn(p, "]");
		e = p + n + (p[n] == ']');
	} else {
		n = strcspn(p, ":/?#");
		e = p + n;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (*e == ':' && e[1] >= '0' && e[1] <= '9')
		snprintf(port, plen, "%.*s", (int)strspn(e + 1, "0123456789"),
		    e + 1);
	return 0;
}

/* The platform's name, as libcurl will look it up.  1 when it resolves. */
static int
check_dns(struct report *r, const char *url, const char *host)
{
	/* libcurl's proxy variables (it reads HTTP_PROXY only in lower
	 * case): through a proxy, the proxy resolves the name */
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY",
	    "http_proxy", "all_proxy", "ALL_PROXY", NULL };
	const char *const *v = vars;
	struct addrinfo hints, *ai, *a;
	char addrs[256], one[INET6_ADDRSTRLEN];
	const char *proxy;
	size_t used = 0;
	int rc;

	if (strncmp(url, "https:", 6) != 0)
		v += 2;
	for (; *v != NULL; v++)
		if ((proxy = getenv(*v)) != NULL && proxy[0] != '\0') {
			say(r, "ok", "dns", "%s not resolved here: libcurl "
			    "reaches it through the proxy in %s (unless "
			    "no_proxy names it)", host, *v);
			return 1;
		}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		say(r, "fail", "dns", "cannot resolve %s (platform.url %s): "
		    "%s: check /etc/resolv.conf (or /etc/hosts) and the host "
		    "in platform.url", host, url, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return 0;
	}
	addrs[0] = '\0';
	for (a = ai; a != NULL && used < sizeof addrs - 1; a = a->ai_next) {
		if (getnameinfo(a->ai_addr, a->ai_addrlen, one, sizeof one,
		    NULL, 0, NI_NUMERICHOST) != 0 || strstr(addrs, one))
			continue;
		used += (size_t)snprintf(addrs + used, sizeof addrs - used,
		    "%s%s", used ? ", " : "", one);
	}
	freeaddrinfo(ai);
	say(r, "ok", "dns", "%s resolves to %s", host, addrs);
	return 1;
}

/* Connect and, for https, the handshake alone: what is wrong with the
 * transport is named apart from what the sign-in says.  1 when it
 * worked. */
static int
check_connect(struct report *r, const struct hg_config *cfg,
    struct hg_platform *p, const char *host, const char *port)
{
	const struct hg_platform_conf *pc = &cfg->platform;
	int tls = strncmp(pc->url, "https:", 6) == 0, code;
	const char *what = tls ? "tls" : "connect";
	char cas[600], fix[800];
	int64_t expires;
	struct hg_err err;

	if (pc->ca_file[0] != '\0')
		snprintf(cas, sizeof cas, "platform.ca_file %s", pc->ca_file);
	else
		snprintf(cas, sizeof cas, "the system's CA certificates");
	if (hg_platform_connect(p, &code, &expires, &err) == 0) {
		static const char *const lvl[] = { "ok", "warn", "warn" };
		char exp[300] = "";
		int rc = 0;

		/* expired only passes with verification off: a warning,
		 * as that setting is */
		if (expires > 0) {
			rc = hg_expiry_say("its certificate", expires,
			    time(NULL), exp + 2, sizeof exp - 2);
			memcpy(exp, "; ", 2);
		}
		if (!tls)
			say(r, "ok", what, "%s:%s accepts a connection (plain "
			    "HTTP: nothing is encrypted)", host, port);
		else
			say(r, lvl[rc], what, "%s:%s: TLS handshake "
			    "done%s%s%s%s", host, port, pc->verify ? ", the "
			    "platform's certificate verified against " :
			    " (not verified)", pc->verify ? cas : "", exp,
			    rc ? ": tell the platform operator" : "");
		return 1;
	}
	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(fix, sizeof fix, "the platform's certificate does not "
		    "verify against %s: set platform.ca_file to the CA "
		    "certificate the platform operator gives%s", cas,
		    pc->ca_file[0] != '\0' ? " (or is the host in platform.url "
		    "not the one in the certificate?)" : "");
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(fix, sizeof fix, "%s cannot be read as PEM "
		    "certificates", cas);
		break;
	case CURLE_SSL_CERTPROBLEM:
		snprintf(fix, sizeof fix, "platform.cert_file %s or key_file "
		    "%s cannot be used: both PEM, the key the certificate's",
		    pc->cert_file, pc->key_file);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(fix, sizeof fix, "nothing answers there: is the "
		    "platform up, a firewall in between, the port in "
		    "platform.url right?");
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(fix, sizeof fix, "no answer within platform."
		    "connect_timeout_ms: a firewall that drops, or a proxy "
		    "needed?");
		break;
	default:
		snprintf(fix, sizeof fix, "%s", tls ? "the handshake failed: "
		    "does the platform take TLS 1.2 or later, and the client "
		    "certificate (platform.cert_file)?" : "the connection "
		    "failed");
		break;
	}
	say(r, "fail", what, "%s:%s: %s: %s", host, port, err.msg, fix);
	return 0;
}

static void
check_platform(struct report *r, const struct hg_config *cfg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p;
	struct hg_err err;
	char host[256], port[8], buf[512];
	int answered = 0, rc;

	if (!cfg->settle.enabled) {
		say(r, "ok", "platform", "settlement is disabled "
		    "(settle.enabled = false)");
		return;
	}
	check_certs(r, cfg);
	if (url_host(cfg->platform.url, host, sizeof host, port,
	    sizeof port) == -1)
		say(r, "fail", "dns", "platform.url %s has no host: expected "
		    "https://HOST[:PORT]/PATH", cfg->platform.url);
	else if (!check_dns(r, cfg->platform.url, host))
		say(r, "fail", "platform", "sign-in (9001) not tried: %s does "
		    "not resolve (the dns line)", host);
	else if (hg_settle_platform_init(cfg, &sh, &err) < 0)
		say(r, "fail", "platform", "%s", err.msg);
	else {
		p = hg_platform_new(&sh, &err);
		if (p == NULL)
			say(r, "fail", "platform", "%s", err.msg);
		else if (!check_connect(r, cfg, p, host, port))
			say(r, "fail", "platform", "sign-in (9001) not tried: "
			    "no connection (the %s line)", strncmp(cfg->
			    platform.url, "https:", 6) == 0 ? "tls" :
			    "connect");
		else if (hg_platform_signin(p, &err) < 0)
			say(r, "fail", "platform", "%s: sign-in (9001) failed: "
			    "%s", cfg->platform.url, err.msg);
		else {
			say(r, "ok", "platform", "%s answers; signed in "
			    "(9001)", cfg->platform.url);
			answered = 1;
			rc = hg_clock_skew_say(&sh.clock, buf, sizeof buf);
			say(r, rc == 0 ? "ok" : "warn", "clock", "%s", buf);
		}
		hg_platform_free(p);
		hg_platform_shared_destroy(&sh);
	}
	/* respond_time comes with an answer: none, no clock */
	if (!answered)
		say(r, "warn", "clock", "not checked (no answer from the "
		    "platform)");
}

int
cmd_doctor(struct hg_cli *cli)
{
	struct report r = { NULL, 0, 0 };
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
			say(&r, "fail", "config", "%s", errs.msg[i]);
	} else {
		hg_outbox_service_user(cfg->agent.service_user);
		say(&r, "ok", "config", "%s: %zu adapter%s", cfg->file,
		    cfg->nadapters, cfg->nadapters == 1 ? "" : "s");
		running = check_daemon(&r, cfg, &ri);
		if (hg_intake_init(&in, cfg, &err) < 0) {
			say(&r, "fail", "mapping", "%s", err.msg);
		} else {
			check_mapping(&r, cfg, &in, &ri, running);
			hg_intake_destroy(&in);
		}
		check_drops(&r, cfg, running);
		check_outbox(&r, cfg);
		check_platform(&r, cfg);
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
