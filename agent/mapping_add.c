/* One row added to the mapping file from the web page's 未对码 form
 * (mapping.h).  The file stays what the insurance office keeps: its
 * encoding (GBK or UTF-8, BOM and all), its separator, its line ends,
 * its mode and owner.  The new file is written beside the old one, synced
 * and renamed over it, so the agent's reload and a person's editor see
 * either the old table or the new one, never half of it; and it is
 * checked with check-config's own checks before it replaces the old.
 * A mapping_file that is a symbolic link stays one: the file it points to
 * is replaced. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "agent/mapping.h"
#include "agent/validate.h"
#include "lib/buf.h"
#include "lib/conftab.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

/* A field as it may go in the form: text on one line, valid UTF-8. */
static int
field_ok(const char *what, const char *s, int required, struct hg_err *err)
{
	const unsigned char *p;

	if (required && s[0] == '\0')
		return hg_fail(err, "%s: empty, expected a code", what);
	if (!hg_utf8_valid(s, strlen(s)))
		return hg_fail(err, "%s: not valid UTF-8 text", what);
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return hg_fail(err, "%s: contains a control character "
			    "(a line break or tab), expected one line of text",
			    what);
	return 0;
}

int
hg_mapping_row_check(const char *local, const char *nat, const char *name,
    struct hg_err *err)
{
	if (field_ok("local code", local, 1, err) == -1 ||
	    field_ok("national code", nat, 1, err) == -1 ||
	    field_ok("name", name, 0, err) == -1)
		return -1;
	if (local[0] == '#')
		return hg_fail(err, "local code \"%s\": a line starting with "
		    "'#' is a comment in the mapping file", local);
	if (!hg_natcode_shape_ok(nat))
		return hg_fail(err, "national code \"%s\" is not a catalogue "
		    "code shape (expected 23-char drug code X/Z..., 15-digit "
		    "service code, 20-char consumable code C..., or T... for "
		    "TCM pieces)", nat);
	return 0;
}

/* A field the way split_line (mapping.c) reads it back: quoted when it
 * holds the separator, a quote, or spaces at an end (which are
 * trimmed). */
static void
add_field(struct hg_buf *b, const char *s, char delim)
{
	size_t n = strlen(s);
	const char *p;

	if (strchr(s, delim) == NULL && strchr(s, '"') == NULL &&
	    (n == 0 || (s[0] != ' ' && s[n - 1] != ' '))) {
		hg_buf_adds(b, s);
		return;
	}
	hg_buf_addc(b, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			hg_buf_addc(b, '"');
		hg_buf_addc(b, *p);
	}
	hg_buf_addc(b, '"');
}

/* The separator the loader will pick: a tab when the first line that is
 * not blank or a comment has tabs and no comma. */
static char
file_delim(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len, *eol;

	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == eol || *p == '#')
			continue;
		for (; p > raw && p[-1] != '\n'; p--)
			;
		return memchr(p, ',', (size_t)(eol - p)) == NULL &&
		    memchr(p, '\t', (size_t)(eol - p)) != NULL ? '\t' : ',';
	}
	return ',';
}

static int
read_all(const char *path, int fd, struct hg_buf *b, struct hg_err *err)
{
	char chunk[65536];
	ssize_t got;

	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return hg_failt(err, "%s: read error: %s", path,
			    strerror(errno));
		hg_buf_add(b, chunk, (size_t)got);
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t got;

	while (n > 0) {
		if ((got = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int
not_writable(const char *path, const char *what, struct hg_err *err)
{
	int e = errno;	/* getpwuid may change it */
	struct passwd *pw = getpwuid(geteuid());

	return hg_fail(err, "%s: %s is not writable by the user hisgate runs "
	    "as (%s, uid %ld): %s; make it writable by that user (the file "
	    "and its directory, which the new file is renamed in)%s, or add "
	    "the row by hand and reload", path, what, pw != NULL ? pw->pw_name :
	    "?", (long)geteuid(), strerror(e), e == EROFS ? " and, under the "
	    "systemd unit's ProtectSystem=strict, name the directory in a "
	    "ReadWritePaths= drop-in (drop-dirs.conf)" : "");
}

/* The new file, complete, at tmp: synced, checked as check-config checks
 * a mapping file, then renamed over path. */
static int
replace(const char *path, const char *tmp, int fd, const struct stat *st,
    const struct hg_buf *b, const char *local, const char *nat,
    struct hg_err *err)
{
	struct hg_conf_errs errs = { NULL, 0 }, warns = { NULL, 0 };
	struct hg_mapping *m = NULL;
	const char *got, *msg;
	size_t rows, skip = strlen(tmp);

	/* keep what the office set: a 0640 root:hisgate file stays so */
	if (fchmod(fd, st->st_mode & 07777) == -1 ||
	    (fchown(fd, st->st_uid, st->st_gid) == -1 &&
	    (st->st_uid != geteuid() || st->st_gid != getegid())))
		return hg_fail(err, "%s: cannot give the new file the mode and "
		    "owner of the old one (%04o %ld:%ld): %s", path,
		    (unsigned)(st->st_mode & 07777), (long)st->st_uid,
		    (long)st->st_gid, strerror(errno));
	if (write_all(fd, b->data, b->len) == -1 || fsync(fd) == -1)
		return hg_failt(err, "%s: cannot write the new file: %s", tmp,
		    strerror(errno));
	if (hg_mapping_check(tmp, &rows, &errs, &warns) == -1) {
		msg = errs.n > 0 ? errs.msg[0] : "?";
		/* the messages name the temporary file: name the real one */
		if (strncmp(msg, tmp, skip) == 0)
			msg += skip;
		hg_fail(err, "%s%s (nothing written)", path, msg);
		goto fail;
	}
	if (hg_mapping_load(tmp, &m, err) == -1)
		goto fail;
	got = hg_mapping_lookup(m, local);
	if (got == NULL || strcmp(got, nat) != 0) {
		hg_fail(err, "%s: the new row does not read back as %s -> %s "
		    "(nothing written)", path, local, nat);
		goto fail;
	}
	hg_mapping_free(m);
	hg_conf_errs_free(&errs);
	hg_conf_errs_free(&warns);
	if (rename(tmp, path) == -1)
		return hg_failt(err, "%s: cannot rename the new file over it: "
		    "%s", path, strerror(errno));
	return 0;
fail:
	hg_mapping_free(m);
	hg_conf_errs_free(&errs);
	hg_conf_errs_free(&warns);
	return -1;
}

int
hg_mapping_add(const char *path, const char *local, const char *nat,
    const char *name, struct hg_err *err)
{
	struct hg_buf raw = { 0 }, line = { 0 };
	struct hg_mapping *cur = NULL;
	struct stat st;
	const char *enc, *was;
	char *real = NULL, *dirc = NULL, *dir, *tmp = NULL;
	char *conv = NULL, delim;
	size_t bom, clen;
	int fd = -1, dfd, rc = -1;

	if (hg_mapping_row_check(local, nat, name, err) == -1)
		goto out;
	/* the table in force must load: a row added to a broken file would
	 * not take effect either */
	if (hg_mapping_load(path, &cur, err) == -1)
		goto out;
	if ((was = hg_mapping_lookup(cur, local)) != NULL) {
		if (strcmp(was, nat) == 0) {
			rc = 1;
			goto out;
		}
		hg_fail(err, "%s: local code %s maps to %s already; change that "
		    "row by hand if it is wrong", path, local, was);
		goto out;
	}
	/* a link to the office's copy stays a link: the file it names is
	 * the one replaced */
	if ((real = realpath(path, NULL)) == NULL) {
		hg_failt(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	dirc = hg_xstrdup(real);
	dir = dirname(dirc);
	/* the effective user's rights, which open and rename use */
	if (faccessat(AT_FDCWD, real, W_OK, AT_EACCESS) == -1) {
		not_writable(real, "the file", err);
		goto out;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == -1) {
		not_writable(real, "its directory", err);
		goto out;
	}
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		hg_failt(err, "%s: %s", real, strerror(errno));
		goto out;
	}
	if (read_all(real, fd, &raw, err) == -1)
		goto out;
	close(fd);
	fd = -1;
	delim = file_delim(raw.data, raw.len);
	/* the line, in the file's separator, line end and encoding */
	if (raw.len > 0 && raw.data[raw.len - 1] != '\n')
		hg_buf_adds(&line, memmem(raw.data, raw.len, "\r\n", 2) ?
		    "\r\n" : "\n");
	add_field(&line, local, delim);
	hg_buf_addc(&line, delim);
	add_field(&line, nat, delim);
	if (name[0] != '\0') {
		hg_buf_addc(&line, delim);
		add_field(&line, name, delim);
	}
	hg_buf_adds(&line, raw.len > 0 && memmem(raw.data, raw.len, "\r\n",
	    2) ? "\r\n" : "\n");
	enc = hg_text_detect(raw.data, raw.len, "GB18030", &bom);
	if (strcmp(enc, "UTF-8") == 0) {
		hg_buf_add(&raw, line.data, line.len);
	} else {
		if (hg_text_from_utf8(enc, line.data, line.len, &conv, &clen,
		    err) == -1) {
			hg_err_prefix(err, "%s", real);
			goto out;
		}
		hg_buf_add(&raw, conv, clen);
	}
	/* realpath's answer is absolute: it has a '/' */
	tmp = hg_xasprintf("%s/.%s.XXXXXX", dir, strrchr(real, '/') + 1);
	if ((fd = mkstemp(tmp)) == -1) {
		not_writable(real, "its directory", err);
		goto out;
	}
	if (replace(real, tmp, fd, &st, &raw, local, nat, err) == -1) {
		unlink(tmp);
		goto out;
	}
	/* the rename itself survives a power cut once the directory is
	 * synced */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	hg_mapping_free(cur);
	hg_buf_free(&raw);
	hg_buf_free(&line);
	free(conv);
	free(tmp);
	free(dirc);
	free(real);
	return rc;
}
