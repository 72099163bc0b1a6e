#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/access.h"
#include "lib/err.h"

/* The name of a user (group 0) or group (group 1), or "uid N".  The _r
 * variants: the outbox is opened from adapter threads too. */
static void
id_name(int group, unsigned long id, char *out, size_t len)
{
	struct passwd pw, *pr = NULL;
	struct group gr, *gp = NULL;
	char buf[4096];

	if (!group && getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &pr) == 0 &&
	    pr != NULL)
		snprintf(out, len, "%s", pw.pw_name);
	else if (group && getgrgid_r((gid_t)id, &gr, buf, sizeof buf,
	    &gp) == 0 && gp != NULL)
		snprintf(out, len, "%s", gr.gr_name);
	else
		snprintf(out, len, "%s %lu", group ? "gid" : "uid", id);
}

void
hg_user_self(struct hg_user *u)
{
	int n;

	memset(u, 0, sizeof *u);
	u->self = 1;
	u->uid = geteuid();
	u->gid = getegid();
	n = getgroups((int)(sizeof u->groups / sizeof u->groups[0]),
	    u->groups);
	u->ngroups = n < 0 ? 0 : n;
	/* u->name stays empty: denied() looks it up when a message needs
	 * it.  A lookup at every outbox open loaded the NSS modules
	 * (libnss_systemd, libcap: 360 KB resident) into the daemon for
	 * good. */
}

void
hg_user_name(const struct hg_user *u, char *out, size_t len)
{
	if (u->name[0] != '\0')
		snprintf(out, len, "%s", u->name);
	else
		id_name(0, (unsigned long)u->uid, out, len);
}

int
hg_user_lookup(const char *name, struct hg_user *u, struct hg_err *err)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	int n;

	memset(u, 0, sizeof *u);
	if (getpwnam_r(name, &pw, buf, sizeof buf, &res) != 0 || res == NULL)
		return hg_fail(err, "user %s does not exist", name);
	snprintf(u->name, sizeof u->name, "%s", name);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	n = (int)(sizeof u->groups / sizeof u->groups[0]);
	if (getgrouplist(name, pw.pw_gid, u->groups, &n) < 0)
		n = (int)(sizeof u->groups / sizeof u->groups[0]);
	u->ngroups = n;
	/* the process itself: let the kernel answer, ACLs included */
	u->self = u->uid == geteuid();
	return 0;
}

static int
in_group(const struct hg_user *u, gid_t gid)
{
	int i;

	if (u->gid == gid)
		return 1;
	for (i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return 1;
	return 0;
}

static int
allowed(const struct hg_user *u, const char *path, const struct stat *st,
    int want)
{
	int bits;

	/* A read-only file system is not the user's fault and may pass
	 * (remounted rw): the caller's own open reports it as it is. */
	if (u->self)
		return faccessat(AT_FDCWD, path, want, AT_EACCESS) == 0 ||
		    errno == EROFS;
	if (u->uid == 0)
		return !(want & X_OK) || S_ISDIR(st->st_mode) ||
		    (st->st_mode & 0111);
	if (st->st_uid == u->uid)
		bits = (int)(st->st_mode >> 6) & 7;
	else if (in_group(u, st->st_gid))
		bits = (int)(st->st_mode >> 3) & 7;
	else
		bits = (int)st->st_mode & 7;
	/* R_OK, W_OK, X_OK are the r, w, x bits */
	return (bits & want) == want;
}

static const char *
verb(int want, int dir)
{
	switch (want) {
	case R_OK:		return "readable";
	case W_OK:		return "writable";
	case X_OK:		return dir ? "searchable" : "executable";
	case R_OK | W_OK:	return "readable and writable";
	case W_OK | X_OK:	return "writable";
	default:		return "accessible";
	}
}

static enum hg_access
denied(const struct hg_user *u, const char *path, const struct stat *st,
    int want, char *why, size_t len)
{
	char owner[64], group[64], user[64];

	id_name(0, (unsigned long)st->st_uid, owner, sizeof owner);
	id_name(1, (unsigned long)st->st_gid, group, sizeof group);
	hg_user_name(u, user, sizeof user);
	snprintf(why, len, "%s (mode %04o, owner %s:%s) is not %s by user %s",
	    path, (unsigned)(st->st_mode & 07777), owner, group,
	    verb(want, S_ISDIR(st->st_mode)), user);
	return HG_ACCESS_DENIED;
}

enum hg_access
hg_access_check(const struct hg_user *u, const char *path, int want,
    char *why, size_t len)
{
	struct stat st;
	char *p, *slash;
	enum hg_access rc = HG_ACCESS_OK;

	p = strdup(path);
	if (p == NULL) {
		snprintf(why, len, "%s: out of memory", path);
		return HG_ACCESS_DENIED;
	}
	/* every directory on the way must exist and be searchable */
	for (slash = strchr(p + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (stat(p, &st) == -1) {
			if (errno == ENOENT) {
				snprintf(why, len, "directory %s does not "
				    "exist", p);
				rc = HG_ACCESS_MISSING;
			} else {
				snprintf(why, len, "%s: %s", p,
				    strerror(errno));
				rc = HG_ACCESS_DENIED;
			}
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, len, "%s is not a directory", p);
			rc = HG_ACCESS_DENIED;
			goto out;
		}
		if (!allowed(u, p, &st, X_OK)) {
			rc = denied(u, p, &st, X_OK, why, len);
			goto out;
		}
		*slash = '/';
	}
	if (stat(path, &st) == -1) {
		if (errno == ENOENT) {
			snprintf(why, len, "%s does not exist", path);
			rc = HG_ACCESS_MISSING;
		} else {
			snprintf(why, len, "%s: %s", path, strerror(errno));
			rc = HG_ACCESS_DENIED;
		}
		goto out;
	}
	if (!allowed(u, path, &st, want))
		rc = denied(u, path, &st, want, why, len);
out:
	free(p);
	return rc;
}

enum hg_access
hg_access_create(const struct hg_user *u, const char *path, char *why,
    size_t len)
{
	struct stat st;
	char *p, *slash;
	enum hg_access rc;

	if (stat(path, &st) == 0)
		return hg_access_check(u, path, S_ISDIR(st.st_mode) ?
		    W_OK | X_OK : W_OK, why, len);
	p = strdup(path);
	if (p == NULL) {
		snprintf(why, len, "%s: out of memory", path);
		return HG_ACCESS_DENIED;
	}
	/* the deepest directory that exists is where the creating starts */
	for (;;) {
		slash = strrchr(p, '/');
		if (slash == NULL) {
			strcpy(p, ".");
			break;
		}
		if (slash == p) {
			p[1] = '\0';
			break;
		}
		*slash = '\0';
		if (stat(p, &st) == 0)
			break;
	}
	rc = hg_access_check(u, p, W_OK | X_OK, why, len);
	free(p);
	return rc;
}

/* The service user (agent.service_user): root running a command may meet
 * the secrets the daemon's user owns.  Only its name is kept; the uid is
 * looked up when a secret is owned by neither root nor this process, so a
 * daemon whose secrets are its own never loads the NSS modules
 * (libnss_systemd, libcap: 360 KB resident for the life of the process). */
static char service_name[64];

void
hg_secret_service_user(const char *name)
{
	snprintf(service_name, sizeof service_name, "%s", name);
}

int
hg_secret_check(const char *path, struct hg_err *err)
{
	char owner[64], me[64], buf[1024];
	struct passwd pw, *svc = NULL;
	struct stat st;
	uid_t euid = geteuid();

	if (stat(path, &st) == -1)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hg_fail(err, "%s: not a regular file", path);
	/* A secret another local user can read is no longer a secret. */
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH))
		return hg_fail(err, "%s: mode %04o lets group or others read "
		    "or write it; it holds a secret (chmod 600 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
	/* Whoever owns it can change it: only root, the service user, or
	 * the process itself. */
	if (st.st_uid == 0 || st.st_uid == euid)
		return 0;
	if (service_name[0] != '\0' && getpwnam_r(service_name, &pw, buf,
	    sizeof buf, &svc) != 0)
		svc = NULL;
	if (svc != NULL && pw.pw_uid == st.st_uid)
		return 0;
	id_name(0, st.st_uid, owner, sizeof owner);
	if (svc != NULL)
		snprintf(me, sizeof me, "%s", service_name);
	else
		id_name(0, euid, me, sizeof me);
	return hg_fail(err, "%s: owned by %s; a secret must belong to %s (the "
	    "service user) or to root (chown %s %s)", path, owner, me, me,
	    path);
}

char *
hg_secret_read(const char *path, size_t max, struct hg_err *err)
{
	char *buf;
	ssize_t n;
	int fd;

	if (hg_secret_check(path, err) == -1)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		hg_fail(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 2);
	if (buf == NULL) {
		close(fd);
		hg_fail(err, "%s: out of memory", path);
		return NULL;
	}
	n = read(fd, buf, max + 1);
	close(fd);
	if (n < 0 || (size_t)n > max) {
		if (n < 0)
			hg_fail(err, "%s: %s", path, strerror(errno));
		else
			hg_fail(err, "%s: longer than %zu bytes; expected one "
			    "secret", path, max);
		memset(buf, 0, max + 2);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	while (n > 0 && strchr("\r\n\t ", buf[n - 1]) != NULL)
		buf[--n] = '\0';
	if (n == 0) {
		free(buf);
		hg_fail(err, "%s: empty; expected the secret on one line",
		    path);
		return NULL;
	}
	return buf;
}

int
hg_keep_private(const char *path, unsigned *was)
{
	struct stat st;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) == 0 || st.st_uid != geteuid())
		return 0;
	*was = (unsigned)(st.st_mode & 07777);
	if (chmod(path, st.st_mode & 0700) == -1)
		return -1;
	return 1;
}
