/* The durable journal of the hl7 adapter.  A bill is only complete at
 * discharge (ADT^A03), but every DFT before it must be acknowledged, and
 * an acknowledged message must survive a crash (DESIGN guarantee 1).  The
 * outbox takes whole bills only, so each visit has an append-only file in
 * the adapter's store directory holding the messages as received; a
 * message is acknowledged after its record is on disk (fdatasync, and the
 * directory synced when the file is new).  At discharge the visit's
 * messages are folded into one bill and committed through the sink; a
 * marker record then says the outbox has the bill as of that point.
 *
 * File: v-<visit>.hl7 for visit numbers of [A-Za-z0-9_-], x-<hex>.hl7
 * otherwise.  Record: "HL7 <type> <len> <ctrl as hex>\n", len bytes,
 * "\n".  A torn last record (a crash while writing it, so never
 * acknowledged) is ignored and overwritten by the next append. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapters/hl7_priv.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

#define NAME_MAX_PLAIN	100

struct hg_hl7_store {
	char	*dir;
	int	 dirfd;
};

static int
mkdirs(const char *path)
{
	char *p = hg_xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, 0750) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int
hg_hl7_store_open(const char *dir, struct hg_hl7_store **out,
    struct hg_err *err)
{
	struct hg_hl7_store *st;

	*out = NULL;
	if (mkdirs(dir) < 0)
		return hg_fail(err, "store %s: cannot create it: %s", dir,
		    strerror(errno));
	st = hg_xcalloc(1, sizeof *st);
	st->dir = hg_xstrdup(dir);
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		hg_fail(err, "store %s: %s", dir, strerror(errno));
		hg_hl7_store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
hg_hl7_store_close(struct hg_hl7_store *st)
{
	if (st == NULL)
		return;
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	free(st);
}

static char *
file_name(const char *visit)
{
	struct hg_buf b = { NULL, 0, 0 };
	const unsigned char *p;
	int plain = *visit != '\0' && strlen(visit) <= NAME_MAX_PLAIN;

	for (p = (const unsigned char *)visit; *p != '\0' && plain; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			plain = 0;
	hg_buf_adds(&b, plain ? "v-" : "x-");
	for (p = (const unsigned char *)visit; *p != '\0'; p++) {
		char h[3];

		if (plain) {
			hg_buf_addc(&b, (char)*p);
			continue;
		}
		snprintf(h, sizeof h, "%02x", *p);
		hg_buf_add(&b, h, 2);
	}
	hg_buf_adds(&b, ".hl7");
	return hg_buf_take(&b);
}

/* The visit a file name stands for, or NULL when it is not a journal. */
static char *
visit_of(const char *name)
{
	size_t n = strlen(name), i;
	char *v;

	if (n < 7 || strcmp(name + n - 4, ".hl7") != 0 || name[1] != '-')
		return NULL;
	if (name[0] == 'v')
		return hg_xstrndup(name + 2, n - 6);
	if (name[0] != 'x' || (n - 6) % 2 != 0)
		return NULL;
	v = hg_xcalloc((n - 6) / 2 + 1, 1);
	for (i = 0; i < (n - 6) / 2; i++) {
		unsigned x;

		if (sscanf(name + 2 + 2 * i, "%2x", &x) != 1 || x == 0) {
			free(v);
			return NULL;
		}
		v[i] = (char)x;
	}
	return v;
}

static char *
hex(const char *s)
{
	struct hg_buf b = { NULL, 0, 0 };
	char h[3];

	hg_buf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		snprintf(h, sizeof h, "%02x", (unsigned char)*s);
		hg_buf_add(&b, h, 2);
	}
	return hg_buf_take(&b);
}

static char *
unhex(const char *s, size_t n)
{
	char *v = hg_xcalloc(n / 2 + 1, 1);
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		unsigned x;

		if (sscanf(s + i, "%2x", &x) != 1)
			break;
		v[i / 2] = (char)x;
	}
	return v;
}

void
hg_hl7_visit_free(struct hg_hl7_visit *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->rec[i].ctrl);
		free(v->rec[i].data);
	}
	free(v->rec);
	free(v->key);
	memset(v, 0, sizeof *v);
}

/* Parse the journal's records; stop at the first that is not whole. */
static void
parse_records(struct hg_hl7_visit *v, const char *d, size_t len)
{
	size_t pos = 0, cap = 0;

	while (pos < len) {
		const char *nl = memchr(d + pos, '\n', len - pos), *sp;
		char type;
		unsigned long long n;
		char *endp;
		struct hg_hl7_rec *r;

		if (nl == NULL || nl - (d + pos) < 8 ||
		    strncmp(d + pos, "HL7 ", 4) != 0 || d[pos + 5] != ' ')
			return;
		type = d[pos + 4];
		n = strtoull(d + pos + 6, &endp, 10);
		if (endp == d + pos + 6 || *endp != ' ' || endp > nl)
			return;
		sp = endp + 1;
		if ((size_t)(nl - d) + 1 + n + 1 > len ||
		    nl[1 + n] != '\n')
			return;
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->rec = hg_xrealloc(v->rec, cap, sizeof *v->rec);
		}
		r = &v->rec[v->n++];
		r->type = type;
		r->ctrl = unhex(sp, (size_t)(nl - sp));
		r->data = hg_xstrndup(nl + 1, n);
		r->len = n;
		if (type == HG_REC_DISCHARGE)
			v->closed = 1;
		pos = (size_t)(nl - d) + 1 + n + 1;
		v->good = (int64_t)pos;
	}
}

int
hg_hl7_store_load(struct hg_hl7_store *st, const char *visit,
    struct hg_hl7_visit *v, struct hg_err *err)
{
	char *name = file_name(visit);
	struct hg_buf b = { NULL, 0, 0 };
	char chunk[65536];
	ssize_t r;
	int fd;

	memset(v, 0, sizeof *v);
	v->key = hg_xstrdup(visit);
	fd = openat(st->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(name);
		if (errno == ENOENT)
			return 0;
		return hg_failt(err, "store %s: cannot read the journal of "
		    "visit %s: %s", st->dir, visit, strerror(errno));
	}
	v->exists = 1;
	while ((r = read(fd, chunk, sizeof chunk)) > 0)
		hg_buf_add(&b, chunk, (size_t)r);
	close(fd);
	if (r < 0) {
		hg_failt(err, "store %s/%s: %s", st->dir, name,
		    strerror(errno));
		free(name);
		hg_buf_free(&b);
		return -1;
	}
	free(name);
	parse_records(v, b.data, b.len);
	hg_buf_free(&b);
	return 0;
}

int
hg_hl7_visit_has(const struct hg_hl7_visit *v, const char *ctrl)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->rec[i].type != HG_REC_COMMITTED &&
		    strcmp(v->rec[i].ctrl, ctrl) == 0)
			return 1;
	return 0;
}

int
hg_hl7_visit_committed(const struct hg_hl7_visit *v)
{
	return v->n > 0 && v->rec[v->n - 1].type == HG_REC_COMMITTED;
}

static int
narrow(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -1;
	return (sb.st_mode & 077) != 0 ? fchmod(fd, 0600) : 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
hg_hl7_store_append(struct hg_hl7_store *st, struct hg_hl7_visit *v,
    char type, const char *ctrl, const char *data, size_t len,
    struct hg_err *err)
{
	char *name = file_name(v->key), *hc = hex(ctrl), head[64];
	struct hg_buf b = { NULL, 0, 0 };
	struct hg_hl7_rec *r;
	int fd, e, created = !v->exists;

	snprintf(head, sizeof head, "HL7 %c %zu ", type, len);
	hg_buf_adds(&b, head);
	hg_buf_adds(&b, hc);
	hg_buf_addc(&b, '\n');
	hg_buf_add(&b, data, len);
	hg_buf_addc(&b, '\n');
	free(hc);
	/* patient data: owner only, and a journal an older version made
	 * 0640 is narrowed as it is written */
	fd = openat(st->dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || (!created && narrow(fd) < 0))
		goto fail;
	/* a torn record from a crash is overwritten */
	if (lseek(fd, (off_t)v->good, SEEK_SET) < 0 ||
	    ftruncate(fd, (off_t)v->good) < 0 ||
	    write_all(fd, b.data, b.len) < 0)
		goto fail;
	if (type != HG_REC_COMMITTED && fdatasync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (created && fsync(st->dirfd) < 0)
		goto fail;
	v->exists = 1;
	v->rec = hg_xrealloc(v->rec, v->n + 1, sizeof *v->rec);
	r = &v->rec[v->n++];
	r->type = type;
	r->ctrl = hg_xstrdup(ctrl);
	r->data = hg_xstrndup(data, len);
	r->len = len;
	if (type == HG_REC_DISCHARGE)
		v->closed = 1;
	v->good += (int64_t)b.len;
	hg_buf_free(&b);
	free(name);
	return 0;
fail:
	e = errno;
	if (fd >= 0) {
		/* leave the file as it was: the message is not taken */
		if (ftruncate(fd, (off_t)v->good) < 0)
			(void)0;
		close(fd);
	}
	hg_failt(err, "store %s/%s: cannot record the message: %s", st->dir,
	    name, strerror(e));
	hg_buf_free(&b);
	free(name);
	return -1;
}

int
hg_hl7_store_each(struct hg_hl7_store *st,
    int (*fn)(void *arg, const char *visit), void *arg, struct hg_err *err)
{
	struct dirent **ents = NULL;
	int n, i, rc = 0;

	n = scandir(st->dir, &ents, NULL, alphasort);
	if (n < 0)
		return hg_failt(err, "store %s: %s", st->dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char *visit = visit_of(ents[i]->d_name);

		if (visit != NULL && rc == 0 && fn(arg, visit) < 0)
			rc = -1;
		free(visit);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

void
hg_hl7_store_sweep(struct hg_hl7_store *st, int64_t keep_days)
{
	struct dirent **ents = NULL;
	time_t limit = time(NULL) - (time_t)keep_days * 86400;
	int n, i;

	n = scandir(st->dir, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		char *visit = visit_of(ents[i]->d_name);
		struct hg_hl7_visit v;
		struct stat sb;

		if (visit != NULL && fstatat(st->dirfd, ents[i]->d_name, &sb,
		    0) == 0 && sb.st_mtime < limit &&
		    hg_hl7_store_load(st, visit, &v, NULL) == 0) {
			/* only what the outbox has: an open visit stays */
			if (v.closed && hg_hl7_visit_committed(&v))
				unlinkat(st->dirfd, ents[i]->d_name, 0);
			hg_hl7_visit_free(&v);
		}
		free(visit);
		free(ents[i]);
	}
	free(ents);
}
