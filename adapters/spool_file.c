/* spool_file: one file of a spool (see spool.h): its problems, the
 * NAME.err that lists them, and moving it to done/ or rejected/. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapters/spool.h"
#include "adapters/spool_priv.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define MAX_NOTES	100

/* --- problems and the .err file ------------------------------------------ */

static void
err_line(struct hg_spool_file *f, const char *text)
{
	int fd;

	if (f->errf == NULL) {
		f->errtmp = hg_xasprintf("%s/.tmp-%s.err-XXXXXX",
		    f->sp->c->rejected_dir, f->name);
		fd = mkstemp(f->errtmp);
		/* readable by the group, like the files beside it (mkstemp
		 * makes 0600) */
		if (fd >= 0)
			(void)fchmod(fd, 0640);
		if (fd < 0 || (f->errf = fdopen(fd, "w")) == NULL) {
			hg_log_errno(HG_LOG_ERR, f->sp->name, "%s", f->errtmp);
			if (fd >= 0)
				close(fd);
			hg_sfree(f->errtmp);
			return;
		}
	}
	fprintf(f->errf, "%s\n", text);
}

void
hg_spool_problem(struct hg_spool_file *f, int line, int col,
    const char *column, const char *field, const char *fmt, ...)
{
	char msg[1024], *text;
	va_list ap;

	(void)column;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	f->nproblems++;
	text = column != NULL ? hg_xasprintf("%d:%d: %s (%s): %s", line, col,
	    column, field, msg) : hg_xasprintf("%d:%d: %s: %s", line, col,
	    field, msg);
	if (f->dry)
		/* `hisgate adapter test` prints bills and verdicts; lines
		 * that never became a bill are only visible here */
		log_warn(f->sp->name, "%s:%s", f->name, text);
	else
		err_line(f, text);
	free(text);
}

void
hg_spool_note(struct hg_spool_file *f, int line, int col, const char *column,
    const char *field, const char *msg)
{
	f->nsummary++;
	if (f->nnotes >= MAX_NOTES)
		return;
	f->notes = hg_xrealloc(f->notes, f->nnotes + 1, sizeof *f->notes);
	f->notes[f->nnotes++] = column != NULL ? hg_xasprintf("%d:%d: %s "
	    "(%s): note: %s", line, col, column, field, msg) :
	    hg_xasprintf("%d:%d: %s: note: %s", line, col, field, msg);
}

void
hg_spool_notes_reset(struct hg_spool_file *f)
{
	size_t i;

	for (i = 0; i < f->nnotes; i++)
		free(f->notes[i]);
	f->nnotes = f->nsummary = 0;
}

void
hg_spool_tail(struct hg_spool_file *f, const char *fmt, ...)
{
	va_list ap;

	free(f->tail);
	va_start(ap, fmt);
	if (vasprintf(&f->tail, fmt, ap) < 0)
		f->tail = NULL;
	va_end(ap);
}

void
sp_file_free(struct hg_spool_file *f)
{
	if (f->errf != NULL)
		fclose(f->errf);
	if (f->errtmp != NULL)
		unlink(f->errtmp);
	free(f->errtmp);
	hg_spool_notes_reset(f);
	free(f->notes);
	free(f->tail);
	if (f->fd >= 0)
		close(f->fd);
}

/* --- moving files -------------------------------------------------------- */

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
sp_exists(const char *dir, const char *name, const char *suffix)
{
	struct stat st;
	char *p = hg_xasprintf("%s/%s%s", dir, name, suffix ? suffix : "");
	int rc = lstat(p, &st) == 0;

	free(p);
	return rc;
}

/* A name in dest that clashes with nothing: "x.csv", "x.1.csv", ... */
static char *
free_name(const char *dest, const char *name, const char *also1,
    const char *also2)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot != NULL && dot != name ? (size_t)(dot - name) :
	    strlen(name);
	char *cand;
	int i;

	for (i = 0; ; i++) {
		cand = i == 0 ? hg_xstrdup(name) : hg_xasprintf("%.*s.%d%s",
		    (int)stem, name, i, name + stem);
		if (!sp_exists(dest, cand, NULL) &&
		    (also1 == NULL || !sp_exists(dest, cand, also1)) &&
		    (also2 == NULL || !sp_exists(dest, cand, also2)))
			return cand;
		free(cand);
	}
}

static int
move(const char *from_dir, const char *name, const char *to_dir,
    const char *to_name, const char *suffix, struct hg_err *err)
{
	char *from = hg_xasprintf("%s/%s%s", from_dir, name, suffix);
	char *to = hg_xasprintf("%s/%s%s", to_dir, to_name, suffix);
	int rc = 0;

	if (rename(from, to) < 0)
		rc = hg_failt(err, "cannot move %s to %s: %s", from, to,
		    strerror(errno));
	free(from);
	free(to);
	return rc;
}

/* Finish the .err file and give it its name in dest. */
static int
write_err(struct hg_spool_file *f, const char *dest, const char *final,
    struct hg_err *err)
{
	char *errpath;
	size_t i;
	int rc = -1;

	if (f->errf == NULL)
		return hg_failt(err, "%s: could not write the .err file",
		    f->name);
	for (i = 0; i < f->nnotes; i++)
		fprintf(f->errf, "%s\n", f->notes[i]);
	if (f->nsummary > f->nnotes)
		fprintf(f->errf, "# %zu more summary rows skipped\n",
		    f->nsummary - f->nnotes);
	if (f->tail != NULL)
		fprintf(f->errf, "%s\n", f->tail);
	if (fflush(f->errf) != 0 || fsync(fileno(f->errf)) != 0)
		return hg_failt(err, "%s: %s", f->errtmp, strerror(errno));
	fclose(f->errf);
	f->errf = NULL;
	/* the explanation lands first: a crash between the two renames
	 * leaves the file in dir to be read again */
	errpath = hg_xasprintf("%s/%s.err", dest, final);
	if (rename(f->errtmp, errpath) < 0)
		hg_failt(err, "cannot rename %s to %s: %s", f->errtmp, errpath,
		    strerror(errno));
	else {
		hg_sfree(f->errtmp);
		rc = 0;
	}
	free(errpath);
	return rc;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Is the file still what was read: the open file unchanged (size,
 * mtime), and the name in dir still that file (inode)?  0 yes, 1 no. */
int
sp_unchanged(const struct hg_spool_file *f, const char *path)
{
	struct stat now, there;

	if (fstat(f->fd, &now) < 0 || !same_file(&now, &f->st))
		return 1;
	if (path != NULL && (stat(path, &there) < 0 ||
	    !same_file(&there, &f->st)))
		return 1;
	return 0;
}

/* The file changed between the check and the move: put it back into dir
 * to be read again (its committed bills are no-ops then). */
static void
move_back(struct hg_spool *s, struct hg_spool_file *f, const char *dest,
    const char *final, int with_err, int with_marker)
{
	const struct hg_spool_conf *cc = s->c;
	struct hg_err err;
	char *back, *p;

	back = sp_exists(cc->dir, f->name, NULL) ?
	    free_name(cc->dir, f->name, NULL, NULL) : hg_xstrdup(f->name);
	if (move(dest, final, cc->dir, back, "", &err) < 0)
		log_error(s->name, "%s changed while it was moved and cannot be "
		    "put back to be read again: %s", f->name, err.msg);
	if (with_marker)
		move(dest, final, cc->dir, back, cc->k->marker_suffix, &err);
	if (with_err) {
		p = hg_xasprintf("%s/%s.err", dest, final);
		unlink(p);
		free(p);
	}
	free(back);
}

/* The file is read: done/ when clean, else rejected/ with its .err.
 * Returns 0 when it was moved, 1 when it changed since it was read (it
 * stays, or is back, in dir), -1 with err when it could not be moved. */
int
sp_settle(struct hg_spool *s, struct hg_spool_file *f, struct hg_err *err)
{
	const struct hg_spool_conf *cc = s->c;
	const char *marker = cc->mode == HG_SPOOL_MARKER ?
	    cc->k->marker_suffix : NULL;
	const char *dest = f->reject ? cc->rejected_dir : cc->done_dir;
	char *final, *moved;
	int rc = -1, with_marker = 0;

	/* after the commit, before the move: a writer that went on
	 * writing (a pause longer than the stable window) or replaced the
	 * file must not have its new lines acknowledged unread */
	if (sp_unchanged(f, f->path))
		return 1;
	final = free_name(dest, f->name, f->nproblems ? ".err" : NULL,
	    marker);
	moved = hg_xasprintf("%s/%s", dest, final);
	if (f->nproblems > 0 && write_err(f, dest, final, err) < 0)
		goto out;
	if (move(cc->dir, f->name, dest, final, "", err) < 0)
		goto out;
	if (marker != NULL && sp_exists(cc->dir, f->name, marker))
		with_marker = move(cc->dir, f->name, dest, final, marker,
		    err) == 0;
	/* and once more after it: the writer may have written between
	 * the check and the rename, or renamed another file over the name */
	if (sp_unchanged(f, moved)) {
		move_back(s, f, dest, final, f->nproblems > 0, with_marker);
		rc = 1;
		goto out;
	}
	if (fsync_dir(dest) < 0 || fsync_dir(cc->dir) < 0)
		hg_log_errno(HG_LOG_WARNING, s->name, "fsync %s", dest);
	if (f->reject)
		log_notice(s->name, "%s rejected: %zu problem%s, see "
		    "%s/%s.err; %zu of %zu bills committed", f->name,
		    f->nproblems, f->nproblems == 1 ? "" : "s", dest, final,
		    f->ncommitted, f->nbills);
	else if (f->nproblems > 0)
		log_notice(s->name, "%s: %zu bill%s committed, moved to %s; "
		    "%zu problem%s, see %s/%s.err", f->name, f->ncommitted,
		    f->ncommitted == 1 ? "" : "s", dest, f->nproblems,
		    f->nproblems == 1 ? "" : "s", dest, final);
	else
		log_info(s->name, "%s: %zu bill%s committed, moved to %s",
		    f->name, f->ncommitted, f->ncommitted == 1 ? "" : "s",
		    dest);
	rc = 0;
out:
	free(moved);
	free(final);
	return rc;
}

int
sp_quarantine(struct hg_spool *s, const char *name, const char *why,
    char **finalp, struct hg_err *err)
{
	const struct hg_spool_conf *cc = s->c;
	const char *marker = cc->mode == HG_SPOOL_MARKER ?
	    cc->k->marker_suffix : NULL;
	struct hg_spool_file f;
	char *final;
	int rc = -1;

	memset(&f, 0, sizeof f);
	f.sp = s;
	f.name = name;
	f.fd = -1;
	hg_spool_problem(&f, 0, 0, NULL, "file", "%s", why);
	final = free_name(cc->rejected_dir, name, ".err", marker);
	/* never deleted: moved as it is, for a person */
	if (write_err(&f, cc->rejected_dir, final, err) < 0 ||
	    move(cc->dir, name, cc->rejected_dir, final, "", err) < 0)
		goto out;
	if (marker != NULL && sp_exists(cc->dir, name, marker))
		(void)move(cc->dir, name, cc->rejected_dir, final, marker, err);
	if (fsync_dir(cc->rejected_dir) < 0 || fsync_dir(cc->dir) < 0)
		hg_log_errno(HG_LOG_WARNING, s->name, "fsync %s",
		    cc->rejected_dir);
	log_warn(s->name, "%s quarantined in %s: %s", name, cc->rejected_dir,
	    why);
	*finalp = final;
	final = NULL;
	rc = 0;
out:
	sp_file_free(&f);
	free(final);
	return rc;
}

/* mkdir's mode is cut by the umask, which is the process's: another
 * thread may have narrowed it for a moment (the outbox does, to create
 * its files 0600).  So the mode of a directory we create is set on the
 * directory itself. */
static int
mkdir_mode(const char *p, mode_t mode, struct hg_err *err)
{
	int fd;

	if (mkdir(p, mode) < 0) {
		if (errno == EEXIST)
			return 0;
		/* the parent may well be writable: under the shipped unit
		 * (ProtectSystem=strict) only its writable paths are */
		if (errno == EROFS)
			return hg_fail(err, "cannot create %s: %s (under "
			    "systemd, a directory outside /var/spool/hisgate "
			    "and /var/lib/hisgate needs a ReadWritePaths= "
			    "drop-in: /usr/share/doc/hisgate/examples/"
			    "drop-dirs.conf)", p, strerror(errno));
		return hg_fail(err, "cannot create %s: %s (create it, or give "
		    "the service user write access to its parent)", p,
		    strerror(errno));
	}
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, mode) < 0) {
		hg_fail(err, "%s: cannot set mode %03o: %s", p, (unsigned)mode,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

char *
sp_reclaim(struct hg_spool *s, const char *from, const char *name)
{
	const struct hg_spool_conf *cc = s->c;
	struct hg_err err;
	struct stat st;
	char *path, *back = NULL;

	if (name[0] == '.')
		return NULL;
	path = hg_xasprintf("%s/%s", from, name);
	/* a rename sets ctime, a write sets both: a file moved here after
	 * its last write has mtime < ctime; one written since has them
	 * equal (a write in the same clock tick as our rename looks the
	 * same, and costs one more reading, a no-op) */
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_mtim.tv_sec < st.st_ctim.tv_sec ||
	    (st.st_mtim.tv_sec == st.st_ctim.tv_sec &&
	    st.st_mtim.tv_nsec < st.st_ctim.tv_nsec))
		goto out;
	back = sp_exists(cc->dir, name, NULL) ?
	    free_name(cc->dir, name, NULL, NULL) : hg_xstrdup(name);
	if (move(from, name, cc->dir, back, "", &err) < 0) {
		log_error(s->name, "%s was written to after it was "
		    "acknowledged, but cannot be moved back to be read "
		    "again: %s", path, err.msg);
		hg_sfree(back);
		goto out;
	}
	/* what it said is about the file as it was */
	free(path);
	path = hg_xasprintf("%s/%s.err", from, name);
	unlink(path);
	log_notice(s->name, "%s/%s was written to after it was "
	    "acknowledged (a writer that paused longer than the completion "
	    "rule allows); moved back to %s/%s to be read again", from, name,
	    cc->dir, back);
out:
	free(path);
	return back;
}

void
hg_spool_prune(struct hg_spool *s, time_t now)
{
	sp_prune_done(s, now);
}

void
sp_prune_done(struct hg_spool *s, time_t now)
{
	const struct hg_spool_conf *cc = s->c;
	struct dirent *e;
	struct stat st;
	time_t cut;
	size_t n = 0;
	DIR *d;

	if (cc->k->done_keep_days <= 0)
		return;
	d = opendir(cc->done_dir);
	if (d == NULL)
		return;
	/* ctime: a rename sets it, so it is when the file was moved here
	 * (mtime is when the HIS wrote it) */
	cut = now - (time_t)cc->k->done_keep_days * 86400;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_ctim.tv_sec >= cut)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
		else
			hg_log_errno(HG_LOG_WARNING, s->name, "%s/%s",
			    cc->done_dir, e->d_name);
	}
	closedir(d);
	if (n > 0)
		log_info(s->name, "%zu file%s removed from %s, moved there more "
		    "than done_keep_days = %lld days ago", n, n == 1 ? "" : "s",
		    cc->done_dir, (long long)cc->k->done_keep_days);
}

int
sp_mkdirs(const char *path, struct hg_err *err)
{
	char *p = hg_xstrdup(path), *s;
	struct stat st;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '/' && s[1] == '\0')
			break;
		{
			char saved = *s;

			*s = '\0';
			if ((rc = mkdir_mode(p, 0750, err)) < 0)
				break;
			*s = saved;
		}
		if (*s == '\0')
			break;
	}
	if (rc == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
		rc = hg_fail(err, "%s is not a directory", path);
	free(p);
	return rc;
}

void
sp_clean_temps(const char *dir)
{
	struct dirent *e;
	DIR *d;

	/* .err files half-written when the agent died */
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".tmp-", 5) == 0 &&
		    strstr(e->d_name, ".err-") != NULL)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

