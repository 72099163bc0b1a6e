/* Can a given user read, write or create a path?  Used where a wrong owner
 * or a missing directory would otherwise show up as a bare "unable to open
 * database file" (the outbox) or only at 2 a.m. under the service user
 * (check-config run as root).
 *
 * For the process's own user the kernel answers (faccessat with
 * AT_EACCESS, so ACLs count); for another user the mode bits, owner and
 * group list are read by hand (root may do anything; ACLs are not read). */
#ifndef HG_ACCESS_H
#define HG_ACCESS_H

#include <sys/types.h>

#include "lib/err.h"

struct hg_user {
	char	name[64];	/* empty for hg_user_self: looked up when needed */
	uid_t	uid;
	gid_t	gid;
	gid_t	groups[64];
	int	ngroups;
	int	self;		/* the process itself: ask the kernel */
};

/* Outcome of hg_access_check. */
enum hg_access {
	HG_ACCESS_OK = 0,
	HG_ACCESS_MISSING,	/* a directory on the way does not exist */
	HG_ACCESS_DENIED,	/* exists, but the user may not */
};

/* The effective user of this process (its name left empty). */
void	hg_user_self(struct hg_user *u);
/* u's name, looked up for hg_user_self's user (or "uid N"). */
void	hg_user_name(const struct hg_user *u, char *out, size_t len);
/* A user by name (getpwnam and its groups); -1 when there is none. */
int	hg_user_lookup(const char *name, struct hg_user *u, struct hg_err *err);

/* May u do `want` (R_OK, W_OK, X_OK or'ed) on path?  Every directory on
 * the way must be searchable.  On anything but HG_ACCESS_OK, why says
 * which path and what is wrong ("/var/lib/x is mode 0700, owner root:root:
 * not writable by hisgate"). */
enum hg_access hg_access_check(const struct hg_user *u, const char *path,
	    int want, char *why, size_t len);

/* May u create path (a file, or a directory with every missing parent)
 * or, when it exists, write it?  The deepest existing directory on the
 * way must be writable and searchable by u. */
enum hg_access hg_access_create(const struct hg_user *u, const char *path,
	    char *why, size_t len);

/* A file holding a secret (key, password, token): a regular file that
 * neither group nor others may read or write, owned by root, by the
 * process's effective user or by the service user (below).  Otherwise
 * -1, err naming the file and the chmod/chown to run. */
int	hg_secret_check(const char *path, struct hg_err *err);
/* Also accept secrets owned by this user (the configured service user),
 * for root's commands; set once, before threads start.  Its uid is looked
 * up only for a secret neither root nor this process owns. */
void	hg_secret_service_user(const char *name);
/* The secret in path (checked as above), trailing blanks and line ends
 * removed; NULL (err says why) when it fails the check, cannot be read,
 * is empty or longer than max bytes.  The caller wipes and frees it. */
char	*hg_secret_read(const char *path, size_t max, struct hg_err *err);

/* Files of patient data are 0600.  One made by an older version (or by
 * hand) with group or other bits, regular and owned by this process's
 * user, is narrowed to 0600: 1 with *was its old mode, 0 when there was
 * nothing to do (no such file, already private, or not ours to change),
 * -1 with errno when chmod failed. */
int	hg_keep_private(const char *path, unsigned *was);

#endif
