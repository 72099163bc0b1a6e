/* hisgate doctor: each drop directory (permissions, files waiting or
 * stuck, files quarantined in rejected/, how long done/ keeps files) and
 * the other adapters' sources as check-config sees them. */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/confcheck.h"
#include "agent/doctor.h"
#include "agent/intake.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

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
check_done(struct hd_report *r, const char *what, const struct hg_spool_conf *sc)
{
	long long keep = (long long)sc->k->done_keep_days;
	char age[32], held[400];
	struct dirscan ds;

	scan_dir(sc->done_dir, sc, 0, 0, &ds);
	if (ds.n == 0)
		snprintf(held, sizeof held, "no file");
	else {
		hd_ago(hg_wall_ms() - ds.oldest_ms, age, sizeof age);
		snprintf(held, sizeof held, "%zu file%s, oldest %s (%s)", ds.n,
		    ds.n == 1 ? "" : "s", ds.oldest, age);
	}
	if (keep == 0)
		hd_say(r, "ok", what, "%s keeps what was read for ever "
		    "(done_keep_days = 0): %s", sc->done_dir, held);
	else
		hd_say(r, "ok", what, "%s keeps what was read %lld day%s "
		    "(done_keep_days): %s", sc->done_dir, keep,
		    keep == 1 ? "" : "s", held);
}

/* A waiting file the service user cannot read (the HIS account wrote it
 * 0640 with a group the daemon is not in) would never be read: said,
 * with the group to join.  1 when so. */
static int
unreadable(struct hd_report *r, const char *what, const char *dir,
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
		hd_say(r, "fail", what, "%s: the daemon cannot read what the HIS "
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
check_drop(struct hd_report *r, const struct hg_adapter *a,
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
		hd_say(r, running ? "fail" : "warn", what, "%s does not exist%s",
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
		hd_say(r, "fail", what, "%s: files can be neither read nor moved "
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
		hd_say(r, "ok", what, "%s (%s): no file waiting", sc->dir, owner);
	else {
		hd_ago(hg_wall_ms() - ds.oldest_ms, age, sizeof age);
		if (ds.stuck > 0)
			hd_say(r, "warn", what, "%s: %zu file%s waiting longer "
			    "than %lld s (complete = %s), oldest %s, %s old: "
			    "%s", sc->dir, ds.stuck, ds.stuck == 1 ? "" : "s",
			    (long long)(window / 1000), sc->k->complete,
			    ds.oldest, age, !running ? "the daemon is not "
			    "running" : sc->mode == HG_SPOOL_MARKER ? "is its "
			    "marker file missing?" : "is the HIS still writing "
			    "it? (the daemon log says what it did with it)");
		else
			hd_say(r, "ok", what, "%s (%s): %zu file%s waiting, "
			    "oldest %s (%s)", sc->dir, owner, ds.n,
			    ds.n == 1 ? "" : "s", ds.oldest, age);
	}
	scan_dir(sc->rejected_dir, sc, 1, 0, &ds);
	if (ds.n > 0) {
		p = hg_xasprintf("%s/%s", sc->rejected_dir, ds.newest);
		first_line(p, why, sizeof why);
		free(p);
		hd_say(r, "warn", what, "%zu file%s quarantined in %s (each "
		    "NAME.err says why; fix and move it back into %s): newest "
		    "%s: %s", ds.n, ds.n == 1 ? "" : "s", sc->rejected_dir,
		    sc->dir, ds.newest, why);
	}
	check_done(r, what, sc);
}

void
hd_check_drops(struct hd_report *r, const struct hg_config *cfg, int running)
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
		hd_say(r, "fail", "adapters", "%s", errs.msg[i]);
	for (i = 0; i < warns.n; i++)
		hd_say(r, "warn", "adapters", "%s", warns.msg[i]);
	hg_conf_errs_free(&errs);
	hg_conf_errs_free(&warns);
}
