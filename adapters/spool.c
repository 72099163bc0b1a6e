/* spool: a watched directory of files (see spool.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/spool.h"
#include "adapters/spool_priv.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000

const char *const hg_spool_completes[] = { "stable", "marker", "rename",
	NULL };

/* --- configuration ------------------------------------------------------- */

/* Relative paths are relative to the adapter file, as in hisgate.conf. */
static char *
resolve(const char *path, const char *conf_file)
{
	char *copy, *d, *out;

	if (path[0] == '/' || conf_file == NULL)
		return hg_xstrdup(path);
	copy = hg_xstrdup(conf_file);
	d = dirname(copy);
	out = strcmp(d, ".") == 0 ? hg_xstrdup(path) :
	    hg_xasprintf("%s/%s", d, path);
	free(copy);
	return out;
}

static char *
sub_dir(const char *value, const char *dir, const char *conf_file)
{
	if (strncmp(value, "<dir>", 5) == 0)
		return hg_xasprintf("%s%s", dir, value + 5);
	return resolve(value, conf_file);
}

int
hg_spool_compile(const struct hg_spool_keys *k, const char *conf_file,
    const char *file, int line, struct hg_conf_errs *errs,
    struct hg_spool_conf *cc)
{
	const char *p, *e;
	int bad = 0;

#define L(key) hg_kv_line(k->lines, key, line)
	memset(cc, 0, sizeof *cc);
	cc->k = k;
	if (k->dir == NULL || k->dir[0] == '\0') {
		hg_conf_errs_add(errs, file, L("dir"), "dir: missing, "
		    "expected the drop directory");
		return 1;
	}
	if (k->done_dir[0] == '\0' || k->rejected_dir[0] == '\0') {
		hg_conf_errs_add(errs, file, L(k->done_dir[0] == '\0' ?
		    "done_dir" : "rejected_dir"), "done_dir and rejected_dir "
		    "must not be empty (defaults: <dir>/done, <dir>/rejected)");
		return 1;
	}
	cc->dir = resolve(k->dir, conf_file);
	cc->done_dir = sub_dir(k->done_dir, cc->dir, conf_file);
	cc->rejected_dir = sub_dir(k->rejected_dir, cc->dir, conf_file);
	if (strcmp(cc->done_dir, cc->dir) == 0 ||
	    strcmp(cc->rejected_dir, cc->dir) == 0 ||
	    strcmp(cc->done_dir, cc->rejected_dir) == 0) {
		/* the line of the setting that made the clash */
		hg_conf_errs_add(errs, file, L(strcmp(cc->done_dir,
		    cc->dir) == 0 ? "done_dir" : "rejected_dir"), "dir, "
		    "done_dir and rejected_dir must be three different "
		    "directories");
		bad++;
	}
	cc->mode = strcmp(k->complete, "marker") == 0 ? HG_SPOOL_MARKER :
	    strcmp(k->complete, "rename") == 0 ? HG_SPOOL_RENAME :
	    HG_SPOOL_STABLE;
	if (cc->mode == HG_SPOOL_MARKER && k->marker_suffix[0] == '\0') {
		hg_conf_errs_add(errs, file, L("marker_suffix"),
		    "marker_suffix: empty, expected a suffix like \".ok\" "
		    "(complete = \"marker\")");
		bad++;
	}
	for (p = k->pattern; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		while (p < e && *p == ' ')
			p++;
		if (p == e)
			continue;
		cc->pat = hg_xrealloc(cc->pat, cc->npat + 1, sizeof *cc->pat);
		cc->pat[cc->npat++] = hg_xstrndup(p, (size_t)(e - p));
	}
	if (cc->npat == 0) {
		hg_conf_errs_add(errs, file, L("pattern"), "pattern: empty, "
		    "expected file name patterns like \"*.csv,*.txt\"");
		bad++;
	}
	return bad;
#undef L
}

void
hg_spool_conf_free(struct hg_spool_conf *cc)
{
	size_t i;

	free(cc->dir);
	free(cc->done_dir);
	free(cc->rejected_dir);
	for (i = 0; i < cc->npat; i++)
		free(cc->pat[i]);
	free(cc->pat);
	memset(cc, 0, sizeof *cc);
}

/* Read one complete file; when it is not settled the file stays where it
 * is and err says why. */
static enum hg_spool_rc
process_file(struct hg_spool *s, const char *name, struct hg_err *err)
{
	const struct hg_spool_keys *k = s->c->k;
	struct hg_spool_file f;
	enum hg_spool_rc rc = HG_SPOOL_RETRY;
	char *path;

	memset(&f, 0, sizeof f);
	f.sp = s;
	f.name = name;
	f.dry = s->dry;
	f.path = path = hg_xasprintf("%s/%s", s->c->dir, name);
	f.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f.fd < 0 || fstat(f.fd, &f.st) < 0) {
		if (errno == ENOENT)
			rc = HG_SPOOL_READ;	/* gone: nothing to do */
		else
			hg_failt(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (f.st.st_size > (off_t)k->max_file_mb * 1024 * 1024) {
		hg_spool_problem(&f, 0, 0, NULL, "file", "%lld bytes is larger "
		    "than max_file_mb = %lld; not read",
		    (long long)f.st.st_size, (long long)k->max_file_mb);
		f.reject = 1;
		rc = HG_SPOOL_READ;
	} else if (f.st.st_size == 0) {
		hg_spool_problem(&f, 0, 0, NULL, "file", "empty, expected a "
		    "header line and fee lines");
		f.reject = 1;
		rc = HG_SPOOL_READ;
	} else
		rc = s->fn(s->arg, &f, err);
	if (rc != HG_SPOOL_READ || f.dry)
		goto out;
	switch (sp_settle(s, &f, err)) {
	case 0:
		break;
	case 1:
		/* written (or replaced) while we read it: read again once
		 * complete; what was committed from it is a no-op then */
		hg_failt(err, "%s changed while it was read; it is read "
		    "again when it is complete", name);
		rc = HG_SPOOL_CHANGED;
		break;
	default:
		rc = HG_SPOOL_RETRY;
	}
out:
	sp_file_free(&f);
	free(path);
	return rc;
}

/* --- the directory ------------------------------------------------------- */

static void
watch(struct hg_spool *s)
{
	if (s->ino_fd < 0 || s->ino_wd >= 0)
		return;
	/* IN_CREATE and IN_MODIFY say a local writer has the file open,
	 * IN_CLOSE_WRITE that it closed it, IN_MOVED_TO that it arrived
	 * whole */
	s->ino_wd = inotify_add_watch(s->ino_fd, s->c->dir,
	    IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO |
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (s->done_wd < 0)
		s->done_wd = inotify_add_watch(s->ino_fd, s->c->done_dir,
		    IN_MODIFY | IN_ONLYDIR);
	if (s->rej_wd < 0)
		s->rej_wd = inotify_add_watch(s->ino_fd, s->c->rejected_dir,
		    IN_MODIFY | IN_ONLYDIR);
}

static struct seen *
seen_get(struct hg_spool *s, const char *name, int add)
{
	size_t i;

	for (i = 0; i < s->nseen; i++)
		if (strcmp(s->seen[i].name, name) == 0)
			return &s->seen[i];
	if (!add)
		return NULL;
	s->seen = hg_xrealloc(s->seen, s->nseen + 1, sizeof *s->seen);
	memset(&s->seen[s->nseen], 0, sizeof *s->seen);
	s->seen[s->nseen].name = hg_xstrdup(name);
	s->seen[s->nseen].since_ms = -1;
	return &s->seen[s->nseen++];
}

static void
seen_drop(struct hg_spool *s, size_t i)
{
	free(s->seen[i].name);
	s->seen[i] = s->seen[--s->nseen];
}

static int matches(const struct hg_spool_conf *cc, const char *name);

/* done/NAME was written to: a writer that paused past the completion
 * rule is writing into a file we acknowledged.  It goes back. */
static void
reclaim(struct hg_spool *s, const char *from, const char *name)
{
	struct seen *f;
	char *back;
	size_t i;

	if (from == s->c->rejected_dir)
		for (i = 0; i < s->nquar; i++)
			if (strcmp(s->quar[i], name) == 0)
				return;
	if (s->dry || !matches(s->c, name) ||
	    (back = sp_reclaim(s, from, name)) == NULL)
		return;
	/* whether the writer still has it open is not known (its close
	 * may have come before we moved it): the stable rule decides, and
	 * writes from now on are events in dir */
	f = seen_get(s, back, 1);
	f->ours = 1;
	f->writing = 0;
	f->since_ms = -1;
	free(back);
}

static void
drain_events(struct hg_spool *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *ev;
	struct seen *f;
	ssize_t n;
	size_t i;
	char *p;

	if (s->ino_fd < 0)
		return;
	while ((n = read(s->ino_fd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			s->need_scan = 1;
			if (ev->mask & IN_Q_OVERFLOW)
				/* events were lost: who writes what is not
				 * known any more, the stable rule decides */
				for (i = 0; i < s->nseen; i++)
					s->seen[i].writing = 0;
			if ((ev->mask & IN_IGNORED) && ev->wd == s->ino_wd)
				s->ino_wd = -1;	/* dir gone */
			if ((ev->mask & IN_IGNORED) && ev->wd == s->done_wd)
				s->done_wd = -1;
			if ((ev->mask & IN_IGNORED) && ev->wd == s->rej_wd)
				s->rej_wd = -1;
			if (ev->len == 0 || ev->name[0] == '.')
				continue;
			if (ev->wd == s->done_wd && s->done_wd >= 0) {
				reclaim(s, s->c->done_dir, ev->name);
				continue;
			}
			if (ev->wd == s->rej_wd && s->rej_wd >= 0) {
				reclaim(s, s->c->rejected_dir, ev->name);
				continue;
			}
			if (ev->wd != s->ino_wd ||
			    !(ev->mask & (IN_CREATE | IN_MODIFY |
			    IN_CLOSE_WRITE | IN_MOVED_TO)))
				continue;
			f = seen_get(s, ev->name, 1);
			if (ev->mask & (IN_CREATE | IN_MODIFY))
				f->writing = 1;
			if (ev->mask & IN_CLOSE_WRITE)
				f->writing = 0;
			if ((ev->mask & IN_MOVED_TO) && !f->ours) {
				f->renamed = 1;
				f->writing = 0;
			}
		}
	}
}

static int
matches(const struct hg_spool_conf *cc, const char *name)
{
	size_t i;

	for (i = 0; i < cc->npat; i++)
		if (fnmatch(cc->pat[i], name, FNM_CASEFOLD | FNM_PERIOD) == 0)
			return 1;
	return 0;
}

static int
is_marker(const struct hg_spool *s, const char *name)
{
	const char *suf = s->c->k->marker_suffix;
	size_t n = strlen(name), m = strlen(suf);

	return s->c->mode == HG_SPOOL_MARKER && n > m &&
	    strcmp(name + n - m, suf) == 0;
}

static int
cmp_seen(const void *x, const void *y)
{
	const struct seen *a = *(const struct seen *const *)x;
	const struct seen *b = *(const struct seen *const *)y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* The completion rules (hisgate-adapters(5) says what each guarantees). */
static int
complete(struct hg_spool *s, struct seen *f, int64_t now)
{
	int64_t wait = s->c->k->stable_seconds * 1000;

	if (s->dry)
		return 1;	/* a preview: what is there now */
	if (s->c->mode == HG_SPOOL_MARKER && !f->ours)
		return sp_exists(s->c->dir, f->name, s->c->k->marker_suffix);
	if (f->renamed && !f->ours)
		return 1;	/* renamed into place: written whole */
	/* rename mode waits for the event; files dropped while the agent
	 * was down never get one, and files written to after their rename
	 * (or moved back from done/) will not get another: they fall back
	 * to the stable rule, as does everything when there is no watch */
	if (s->c->mode == HG_SPOOL_RENAME && s->ino_wd >= 0 &&
	    !f->preexisting && !f->was_renamed && !f->ours)
		return 0;
	/* a local writer still has it open: however long it pauses, the
	 * file is not complete before it is closed */
	if (f->writing && s->ino_wd >= 0)
		return 0;
	/* an empty file is usually one just created, to be written in a
	 * moment: it gets ten times the window, at least 10 s */
	if (f->size == 0 && wait < 10000)
		wait = wait * 10 > 10000 ? wait * 10 : 10000;
	return now - f->since_ms >= wait;
}

/* Look at what is in dir now. */
static int
scan(struct hg_spool *s, int64_t now, struct hg_err *err)
{
	struct seen *f;
	struct dirent *e;
	struct stat st;
	size_t i;
	DIR *d;

	d = opendir(s->c->dir);
	if (d == NULL)
		return hg_failt(err, "cannot read the drop directory %s: %s",
		    s->c->dir, strerror(errno));
	for (i = 0; i < s->nseen; i++)
		s->seen[i].present = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !matches(s->c, e->d_name) ||
		    is_marker(s, e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		f = seen_get(s, e->d_name, 1);
		f->present = 1;
		if (f->since_ms < 0 || f->size != st.st_size ||
		    f->mtime.tv_sec != st.st_mtim.tv_sec ||
		    f->mtime.tv_nsec != st.st_mtim.tv_nsec) {
			if (f->since_ms >= 0 && f->renamed) {
				/* written after the rename */
				f->renamed = 0;
				f->was_renamed = 1;
			}
			f->size = st.st_size;
			f->mtime = st.st_mtim;
			f->since_ms = now;
		}
	}
	closedir(d);
	for (i = s->nseen; i-- > 0;)
		if (!s->seen[i].present)
			seen_drop(s, i);
	return 0;
}

static void
backoff(int64_t *ms)
{
	*ms = *ms ? *ms * 2 : BACKOFF_MIN_MS;
	if (*ms > BACKOFF_MAX_MS)
		*ms = BACKOFF_MAX_MS;
}

/* A file that changed every time it was read (a writer that never
 * pauses long enough, or rewrites it in place): read again and again it
 * would be retried forever.  What was committed of it stays committed. */
static void
quarantine_changing(struct hg_spool *s, struct seen *f)
{
	struct hg_err err;
	char why[300], *final;

	snprintf(why, sizeof why, "changed while it was read %d times in a "
	    "row (max_rereads = %lld): a writer that never stops, or that "
	    "rewrites the file in place; the bills read from it are "
	    "committed; move it back into %s when it is complete", f->rereads,
	    (long long)s->c->k->max_rereads, s->c->dir);
	if (sp_quarantine(s, f->name, why, &final, &err) < 0) {
		hg_complain(&s->c_file, HG_LOG_ERR, s->name, "%s", err.msg);
		return;
	}
	s->quar = hg_xrealloc(s->quar, s->nquar + 1, sizeof *s->quar);
	s->quar[s->nquar++] = final;
	seen_drop(s, (size_t)(f - s->seen));
}

/* What became of one file; returns 1 when the pass should stop. */
static int
outcome(struct hg_spool *s, const char *name, enum hg_spool_rc o,
    const struct hg_err *ferr, int64_t now)
{
	struct seen *f = seen_get(s, name, 0);

	if (o == HG_SPOOL_READ) {
		s->sink_backoff_ms = 0;
		if (f != NULL)
			seen_drop(s, (size_t)(f - s->seen));
		return 0;
	}
	s->pending = 1;
	if (o == HG_SPOOL_CHANGED) {
		if (f != NULL) {
			/* no new event may come: the stable rule decides */
			f->since_ms = -1;
			if (f->renamed)
				f->was_renamed = 1;
			f->renamed = 0;
		}
		log_info(s->name, "%s", ferr->msg);
		if (f != NULL && ++f->rereads >= s->c->k->max_rereads)
			quarantine_changing(s, f);
		return 0;
	}
	if (o == HG_SPOOL_SINK) {
		/* the outbox is full, read-only or locked: back off for the
		 * whole directory, the file stays */
		backoff(&s->sink_backoff_ms);
		s->sink_retry_ms = now + s->sink_backoff_ms;
		hg_complain(&s->c_commit, HG_LOG_WARNING, s->name, "%s: not "
		    "committed, the file stays in %s and is read again "
		    "later: %s", name, s->c->dir, ferr->msg);
		return 1;
	}
	if (f != NULL) {
		backoff(&f->backoff_ms);
		f->retry_ms = now + f->backoff_ms;
	}
	hg_complain(&s->c_file, HG_LOG_ERR, s->name, "%s", ferr->msg);
	return 0;
}

int
hg_spool_poll(struct hg_spool *s, int dry, struct hg_err *err)
{
	struct seen **todo = NULL, *f;
	size_t i, n = 0;
	int64_t now;
	char **names = NULL;
	int failed = 0;

	s->dry = dry;
	drain_events(s);
	now = hg_now_ms();
	if (!s->dry && !s->need_scan && !s->pending && now < s->next_scan_ms)
		return 0;
	s->need_scan = 0;
	s->next_scan_ms = now + s->c->k->rescan_seconds * 1000;
	if (!s->dry && now >= s->next_prune_ms) {
		sp_prune_done(s, time(NULL));
		s->next_prune_ms = now + 3600 * 1000;
	}
	watch(s);
	if (scan(s, now, err) < 0)
		return -1;
	s->pending = 0;
	todo = hg_xcalloc(s->nseen + 1, sizeof *todo);
	for (i = 0; i < s->nseen; i++) {
		f = &s->seen[i];
		if (!s->dry && f->retry_ms > now) {
			s->pending = 1;
			continue;
		}
		if (complete(s, f, now))
			todo[n++] = f;
		else
			s->pending = 1;
	}
	if (!s->dry && now < s->sink_retry_ms) {
		/* the sink refused a moment ago: every file would fail the
		 * same way, so none is tried before the backoff ends */
		s->pending = 1;
		n = 0;
	}
	qsort(todo, n, sizeof *todo, cmp_seen);
	/* seen[] may be reordered below: work from copied names */
	names = hg_xcalloc(n + 1, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = hg_xstrdup(todo[i]->name);
	for (i = 0; i < n; i++) {
		struct hg_err ferr;
		enum hg_spool_rc o;

		hg_err_clear(&ferr);
		o = process_file(s, names[i], &ferr);
		if (o != HG_SPOOL_READ)
			failed = 1;
		if (outcome(s, names[i], o, &ferr, now))
			break;
	}
	if (!failed && n > 0) {
		hg_complain_release(&s->c_commit, s->name, "bills are "
		    "committed again");
		hg_complain_release(&s->c_file, s->name, "files are read "
		    "and moved again");
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(todo);
	return 0;
}

/* --- opening ------------------------------------------------------------- */

/* What is in dir when we start watching got no event: rename mode reads
 * it by the stable rule (it was dropped while the agent was down). */
static void
note_preexisting(struct hg_spool *s)
{
	struct dirent *e;
	DIR *d;

	d = opendir(s->c->dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && matches(s->c, e->d_name))
			seen_get(s, e->d_name, 1)->preexisting = 1;
	closedir(d);
}

/* Files written to in done/ or rejected/ while the agent was not
 * running. */
static void
reclaim_dir(struct hg_spool *s, const char *dir)
{
	struct dirent *e;
	char **names = NULL;
	size_t i, n = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && matches(s->c, e->d_name)) {
			names = hg_xrealloc(names, n + 1, sizeof *names);
			names[n++] = hg_xstrdup(e->d_name);
		}
	closedir(d);
	for (i = 0; i < n; i++) {
		reclaim(s, dir, names[i]);
		free(names[i]);
	}
	free(names);
}

static int
same_fs(const char *a, const char *b, struct hg_err *err)
{
	struct stat sa, sb;

	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return hg_fail(err, "%s: %s", b, strerror(errno));
	if (sa.st_dev != sb.st_dev)
		return hg_fail(err, "%s is not on the same file system as %s "
		    "(files are moved by rename)", b, a);
	return 0;
}

void
hg_spool_close(struct hg_spool *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->ino_fd >= 0)
		close(s->ino_fd);
	for (i = 0; i < s->nseen; i++)
		free(s->seen[i].name);
	free(s->seen);
	for (i = 0; i < s->nquar; i++)
		free(s->quar[i]);
	free(s->quar);
	free(s);
}

int
hg_spool_open(const struct hg_spool_conf *c, const char *name, int dry,
    hg_spool_read_fn fn, void *arg, struct hg_spool **out,
    struct hg_err *err)
{
	struct hg_spool *s;

	*out = NULL;
	s = hg_xcalloc(1, sizeof *s);
	s->c = c;
	s->name = name;
	s->dry = dry;
	s->fn = fn;
	s->arg = arg;
	s->ino_fd = s->ino_wd = s->done_wd = s->rej_wd = -1;
	*out = s;
	if (dry)
		/* `hisgate adapter test` creates nothing: a missing drop
		 * directory is reported by the first poll */
		return 0;
	if (sp_mkdirs(c->dir, err) < 0 || sp_mkdirs(c->done_dir, err) < 0 ||
	    sp_mkdirs(c->rejected_dir, err) < 0 ||
	    same_fs(c->dir, c->done_dir, err) < 0 ||
	    same_fs(c->dir, c->rejected_dir, err) < 0) {
		hg_spool_close(s);
		*out = NULL;
		return -1;
	}
	sp_clean_temps(c->rejected_dir);
	s->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ino_fd < 0)
		hg_log_errno(HG_LOG_INFO, name, "no inotify, rescanning %s "
		    "every %lld s", c->dir, (long long)c->k->rescan_seconds);
	watch(s);
	note_preexisting(s);
	reclaim_dir(s, c->done_dir);
	reclaim_dir(s, c->rejected_dir);
	s->need_scan = 1;
	return 0;
}

int
hg_spool_fd(const struct hg_spool *s)
{
	return s != NULL ? s->ino_fd : -1;
}
