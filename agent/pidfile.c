#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/pidfile.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

struct hg_pidfile {
	char	*path;
	int	 fd;
};

char *
hg_pidfile_path(const char *outbox)
{
	return hg_xasprintf("%s.pid", outbox);
}

static int
lock(int fd, int cmd, struct flock *fl)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = F_WRLCK;
	fl->l_whence = SEEK_SET;
	return fcntl(fd, cmd, fl);
}

int
hg_pidfile_open(const char *path, struct hg_pidfile **out, struct hg_err *err)
{
	struct flock fl;
	int fd;

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return hg_failt(err, "pid file %s: %s", path, strerror(errno));
	if (lock(fd, F_SETLK, &fl) == -1) {
		if (lock(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			hg_fail(err, "pid file %s: another hisgate (pid %ld) "
			    "runs on this outbox", path, (long)fl.l_pid);
		else
			hg_fail(err, "pid file %s: cannot lock: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	/* a file a killed daemon left may be longer than ours */
	if (ftruncate(fd, 0) == -1) {
		hg_failt(err, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*out = hg_xcalloc(1, sizeof **out);
	(*out)->path = hg_xstrdup(path);
	(*out)->fd = fd;
	return 0;
}

int
hg_pidfile_write(struct hg_pidfile *pf, struct hg_runinfo *ri,
    struct hg_err *err)
{
	char buf[1024];
	int n;

	ri->pid = (long)getpid();
	/* In place (a rename would leave the lock on the old inode), with
	 * numbers of fixed width: every write has the same length, so one
	 * pwrite replaces the whole text and a reader's read() sees the old
	 * or the new one, never an empty or half-written file. */
	n = snprintf(buf, sizeof buf, "pid=%010ld\nstarted_ms=%020" PRId64
	    "\nmapping_file=%s\nmapping_codes=%020zu\n"
	    "mapping_loaded_ms=%020" PRId64 "\n", ri->pid, ri->started_ms,
	    ri->mapping_file, ri->mapping_codes, ri->mapping_loaded_ms);
	if (n < 0 || (size_t)n >= sizeof buf ||
	    pwrite(pf->fd, buf, (size_t)n, 0) != n)
		return hg_failt(err, "pid file %s: %s", pf->path,
		    strerror(errno));
	return 0;
}

void
hg_pidfile_close(struct hg_pidfile *pf)
{
	if (pf == NULL)
		return;
	unlink(pf->path);
	close(pf->fd);
	free(pf->path);
	free(pf);
}

void
hg_kv_each(FILE *fp, void (*cb)(const char *key, char *val, void *arg),
    void *arg)
{
	char line[2048], *eq;

	while (fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		cb(line, eq, arg);
	}
}

int
hg_kv_replace(const char *path, const struct hg_buf *text, const char *what,
    struct hg_err *err)
{
	char *tmp = hg_xasprintf("%s.tmp", path);
	FILE *fp = NULL;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		hg_failt(err, "%s %s: %s", what, tmp, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	if (text->len > 0)
		(void)fwrite(text->data, 1, text->len, fp);
	if (ferror(fp) | (fclose(fp) != 0)) {
		hg_failt(err, "%s %s: %s", what, tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		hg_failt(err, "%s %s: %s", what, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static void
runinfo_kv(const char *key, char *val, void *arg)
{
	struct hg_runinfo *ri = arg;

	if (strcmp(key, "pid") == 0)
		ri->pid = strtol(val, NULL, 10);
	else if (strcmp(key, "started_ms") == 0)
		ri->started_ms = strtoll(val, NULL, 10);
	else if (strcmp(key, "mapping_file") == 0)
		snprintf(ri->mapping_file, sizeof ri->mapping_file, "%s", val);
	else if (strcmp(key, "mapping_codes") == 0)
		ri->mapping_codes = (size_t)strtoull(val, NULL, 10);
	else if (strcmp(key, "mapping_loaded_ms") == 0)
		ri->mapping_loaded_ms = strtoll(val, NULL, 10);
}

static int
read_once(const char *path, struct hg_runinfo *ri)
{
	struct flock fl;
	FILE *fp;
	int running = 0;

	memset(ri, 0, sizeof *ri);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	hg_kv_each(fp, runinfo_kv, ri);
	/* F_GETLK on a read-only descriptor: ask whether a read lock could
	 * be placed; the daemon's write lock says no, and who holds it */
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fileno(fp), F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
		running = 1;
		ri->pid = (long)fl.l_pid;
	}
	fclose(fp);
	return running;
}

int
hg_pidfile_read(const char *path, struct hg_runinfo *ri)
{
	int i, running = -1;

	/* a daemon that holds the lock but has not written yet is starting:
	 * give it a moment (it writes right after taking the lock) */
	for (i = 0; i < 20; i++) {
		running = read_once(path, ri);
		if (running != 1 || ri->started_ms != 0)
			break;
		usleep(50000);
	}
	return running;
}
