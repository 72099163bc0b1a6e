/* dbf_read: the DBF file format, read-only (see dbf_read.h).  Integers
 * in the .DBF are little-endian; in the .FPT memo file big-endian. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/dbf_read.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

#define MEMO_MAX	(4u << 20)	/* a longer memo is damage, not text */

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[0] << 24;
}

static int
full_pread(int fd, void *buf, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (int)(got == n);
}

/* The code-page byte (VFP code page marks and dBASE language drivers). */
static const struct {
	unsigned char b;
	const char *enc, *name;
} cpages[] = {
	{ 0x7A, "GB18030", "0x7A (GBK, code page 936)" },
	{ 0x4D, "GB18030", "0x4D (GBK, code page 936)" },
	{ 0x78, "BIG5", "0x78 (Big5, code page 950)" },
	{ 0x4F, "BIG5", "0x4F (Big5, code page 950)" },
	{ 0x79, "CP949", "0x79 (Korean, code page 949)" },
	{ 0x7B, "CP932", "0x7B (Japanese, code page 932)" },
	{ 0x01, "CP437", "0x01 (code page 437)" },
	{ 0x02, "CP850", "0x02 (code page 850)" },
	{ 0x03, "CP1252", "0x03 (code page 1252)" },
	{ 0xC8, "CP1250", "0xC8 (code page 1250)" },
	{ 0xC9, "CP1251", "0xC9 (code page 1251)" },
	{ 0xCA, "CP1254", "0xCA (code page 1254)" },
	{ 0xCB, "CP1253", "0xCB (code page 1253)" },
};

static const unsigned char versions[] = { 0x02, 0x03, 0x04, 0x05, 0x30,
	0x31, 0x32, 0x43, 0x63, 0x7B, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB };

const char *
hg_dbf_cpname(const struct hg_dbf *d)
{
	size_t i;

	for (i = 0; i < sizeof cpages / sizeof cpages[0]; i++)
		if (cpages[i].b == d->cpage)
			return cpages[i].name;
	return d->cpage == 0 ? "0x00 (not set: the configured encoding)" :
	    "unknown (the configured encoding)";
}

static void
pick_encoding(struct hg_dbf *d, const char *defenc)
{
	size_t i;

	d->enc = defenc;
	for (i = 0; i < sizeof cpages / sizeof cpages[0]; i++)
		if (cpages[i].b == d->cpage)
			d->enc = cpages[i].enc;
}

/* The memo file beside the table: NAME.fpt/.FPT or NAME.dbt/.DBT. */
static void
open_memo(struct hg_dbf *d, const char *path)
{
	static const char *const ext[] = { ".fpt", ".FPT", ".dbt", ".DBT" };
	unsigned char h[32];
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
	size_t stem, i;
	char *mp;

	stem = dot != NULL && (slash == NULL || dot > slash) ?
	    (size_t)(dot - path) : strlen(path);
	for (i = 0; i < 4 && d->memo_fd < 0; i++) {
		mp = hg_xasprintf("%.*s%s", (int)stem, path, ext[i]);
		d->memo_fd = open(mp, O_RDONLY | O_CLOEXEC);
		free(mp);
		d->memo_fpt = i < 2;
	}
	if (d->memo_fd < 0)
		return;
	if (full_pread(d->memo_fd, h, sizeof h, 0) != 1) {
		d->memo_block = 0;
		return;
	}
	if (d->memo_fpt)
		d->memo_block = (unsigned)h[6] << 8 | h[7];
	else
		d->memo_block = (unsigned)h[20] | (unsigned)h[21] << 8;
	if (!d->memo_fpt && (d->memo_block == 0 || d->ver == 0x83))
		d->memo_block = 512;	/* dBASE III: always 512 */
}

static int
is_memo(const struct hg_dbf *d, char t)
{
	return t == 'M' || t == 'G' || t == 'P' || (t == 'B' && !d->vfp);
}

/* The field descriptors, up to the 0x0D terminator (VFP has a 263-byte
 * backlink after it, so the header length says nothing of the count). */
static int
read_fields(struct hg_dbf *d, const unsigned char *hdr, const char *path,
    struct hg_err *err)
{
	unsigned off = 1, pos, bit = 0;
	struct hg_dbf_field *f;
	int memo = 0;
	size_t i;

	for (pos = 32; pos + 32 <= d->hdrlen && hdr[pos] != 0x0D; pos += 32) {
		if (d->nf == HG_DBF_MAXFIELDS)
			return hg_fail(err, "%s: not a DBF table: more than %d "
			    "field descriptors (expected 0x0D after the last)",
			    path, HG_DBF_MAXFIELDS);
		f = &d->f[d->nf];
		for (i = 0; i < 11 && hdr[pos + i] != 0; i++)
			f->name[i] = (char)hdr[pos + i];
		f->name[i] = '\0';
		f->type = (char)hdr[pos + 11];
		f->len = hdr[pos + 16];
		f->dec = hdr[pos + 17];
		f->flags = d->vfp ? hdr[pos + 18] : 0;
		f->null_bit = f->var_bit = -1;
		if (f->type == 'C' && !d->vfp) {
			/* Clipper/FoxPro: the decimals byte is the high byte
			 * of a long character field's length */
			f->len |= f->dec << 8;
			f->dec = 0;
		}
		if (f->len == 0 || strchr("CNFDLIYTBMGP0VQ", f->type) == NULL ||
		    f->type == '\0')
			return hg_fail(err, "%s: field %zu \"%s\": type '%c' "
			    "length %u (expected a type of C N F D L I Y T B M "
			    "G P V Q with a length)", path, d->nf + 1, f->name,
			    f->type > 32 && f->type < 127 ? f->type : '?',
			    f->len);
		if (((f->type == 'I' && f->len != 4) ||
		    ((f->type == 'Y' || f->type == 'T') && f->len != 8) ||
		    (f->type == 'B' && d->vfp && f->len != 8) ||
		    (f->type == 'D' && f->len != 8)))
			return hg_fail(err, "%s: field %zu \"%s\": type %c with "
			    "length %u (expected %d)", path, d->nf + 1, f->name,
			    f->type, f->len, f->type == 'I' ? 4 : 8);
		f->off = off;
		off += f->len;
		if (f->type == '0')
			d->nullflags = (int)d->nf;
		if (is_memo(d, f->type))
			memo = 1;
		d->nf++;
	}
	if (pos + 32 > d->hdrlen && (pos >= d->hdrlen || hdr[pos] != 0x0D))
		return hg_fail(err, "%s: not a DBF table: no 0x0D after the "
		    "field descriptors inside the %u-byte header", path,
		    d->hdrlen);
	if (d->nf == 0)
		return hg_fail(err, "%s: not a DBF table: no fields", path);
	if (off > d->reclen)
		return hg_fail(err, "%s: not a DBF table: the fields add up to "
		    "%u bytes a record, the header says %u", path, off,
		    d->reclen);
	/* VFP: a bit per varchar field, then per nullable one, in order */
	for (i = 0; i < d->nf; i++) {
		f = &d->f[i];
		if (f->type == '0')
			continue;
		if (f->type == 'V' || f->type == 'Q')
			f->var_bit = (int)bit++;
		if (f->flags & 0x02)
			f->null_bit = (int)bit++;
	}
	if (d->nullflags >= 0 && d->f[d->nullflags].len * 8 < bit)
		return hg_fail(err, "%s: _NullFlags has %u bytes, %u bits are "
		    "needed", path, d->f[d->nullflags].len, bit);
	if (d->nullflags < 0)
		for (i = 0; i < d->nf; i++)
			d->f[i].null_bit = d->f[i].var_bit = -1;
	if (memo)
		open_memo(d, path);
	return 0;
}

int
hg_dbf_open(int fd, const char *path, const char *defenc,
    struct hg_dbf **out, struct hg_err *err)
{
	unsigned char h[32], *hdr = NULL;
	struct hg_dbf *d;
	struct stat st;
	int rc;

	*out = NULL;
	if (fstat(fd, &st) < 0)
		return hg_failt(err, "%s: %s", path, strerror(errno));
	rc = full_pread(fd, h, sizeof h, 0);
	if (rc < 0)
		return hg_failt(err, "%s: %s", path, strerror(errno));
	if (rc == 0 || memchr(versions, h[0], sizeof versions) == NULL) {
		hg_fail(err, "%s: not a DBF table: %s", path, rc == 0 ?
		    "shorter than the 32-byte header" : "unknown version byte");
		if (rc != 0)
			snprintf(err->msg + strlen(err->msg), sizeof err->msg -
			    strlen(err->msg), " 0x%02X (expected dBASE, FoxPro "
			    "or Visual FoxPro: 0x03, 0x83, 0x8B, 0xF5, 0x30 "
			    "...)", h[0]);
		err->kind = HG_EPERM;
		return -1;
	}
	d = hg_xcalloc(1, sizeof *d);
	d->fd = fd;
	d->memo_fd = -1;
	d->nullflags = -1;
	d->ver = h[0];
	d->vfp = h[0] == 0x30 || h[0] == 0x31 || h[0] == 0x32;
	d->hdr_count = le32(h + 4);
	d->hdrlen = (unsigned)h[8] | (unsigned)h[9] << 8;
	d->reclen = (unsigned)h[10] | (unsigned)h[11] << 8;
	d->cpage = h[29];
	d->size = st.st_size;
	pick_encoding(d, defenc);
	if (d->hdrlen < 33 || d->reclen < 2 || (off_t)d->hdrlen > st.st_size) {
		hg_fail(err, "%s: not a DBF table: header length %u, record "
		    "length %u, file size %lld (expected a header of at least "
		    "33 bytes inside the file)", path, d->hdrlen, d->reclen,
		    (long long)st.st_size);
		goto fail;
	}
	hdr = hg_xmalloc(d->hdrlen);
	rc = full_pread(fd, hdr, d->hdrlen, 0);
	if (rc < 0) {
		hg_failt(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (rc == 0 || read_fields(d, hdr, path, err) < 0)
		goto perm;
	free(hdr);
	d->nrec = (uint32_t)((st.st_size - d->hdrlen) / d->reclen);
	if (d->hdr_count < d->nrec)
		d->nrec = d->hdr_count;
	d->rec = hg_xmalloc(d->reclen);
	*out = d;
	return 0;
perm:
	if (rc == 0)
		hg_fail(err, "%s: header cut short", path);
	err->kind = HG_EPERM;
fail:
	free(hdr);
	hg_dbf_close(d);
	return -1;
}

void
hg_dbf_close(struct hg_dbf *d)
{
	if (d == NULL)
		return;
	if (d->memo_fd >= 0)
		close(d->memo_fd);
	free(d->rec);
	free(d);
}

int
hg_dbf_record(struct hg_dbf *d, uint32_t i, struct hg_err *err)
{
	int rc;

	if (i >= d->nrec)
		return 2;
	rc = full_pread(d->fd, d->rec, d->reclen,
	    (off_t)d->hdrlen + (off_t)i * d->reclen);
	if (rc < 0)
		return hg_failt(err, "record %" PRIu32 ": %s", i + 1,
		    strerror(errno));
	if (rc == 0)
		return 2;
	if (d->rec[0] == ' ')
		return 1;
	if (d->rec[0] == '*')
		return 0;
	return 2;	/* not written yet (zeros) or the 0x1A end mark */
}

int
hg_dbf_visible(const struct hg_dbf *d, size_t k)
{
	return d->f[k].type != '0' && !(d->f[k].flags & 0x01);
}

static int
bit_set(const struct hg_dbf *d, int bit)
{
	const struct hg_dbf_field *nf;

	if (bit < 0 || d->nullflags < 0)
		return 0;
	nf = &d->f[d->nullflags];
	return (d->rec[nf->off + (unsigned)bit / 8] >> (bit % 8)) & 1;
}

static int
gb_family(const char *enc)
{
	return strcmp(enc, "GB18030") == 0 || strcmp(enc, "GBK") == 0 ||
	    strcmp(enc, "GB2312") == 0;
}

/* Text in the table's encoding to UTF-8.  A GB character whose lead
 * byte is the field's last (the rest cut off by the field width) is
 * dropped and flagged, never fatal. */
static int
text(struct hg_dbf *d, const unsigned char *p, size_t n, int pad,
    char **out, char *why, size_t whylen)
{
	struct hg_err e;
	size_t i = 0, outlen, nbad, first;
	int rc = 0;

	if (pad)
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
			n--;
	if (gb_family(d->enc)) {
		while (i < n) {
			if (p[i] < 0x81 || p[i] == 0xFF) {
				i++;
				continue;
			}
			if (i + 1 < n && p[i + 1] >= 0x30 && p[i + 1] <= 0x39) {
				if (i + 3 < n) {
					i += 4;
					continue;
				}
			} else if (i + 1 < n) {
				i += 2;
				continue;
			}
			snprintf(why, whylen, "a double-byte character is cut at "
			    "the end of the field (lead byte 0x%02X without its "
			    "trail byte at byte %zu of %zu): dropped", p[i],
			    i + 1, n);
			n = i;
			rc = 1;
			break;
		}
	}
	if (hg_text_to_utf8(d->enc, (const char *)p, n, out, &outlen, &nbad,
	    &first, &e) < 0) {
		snprintf(why, whylen, "%s", e.msg);
		return -1;
	}
	if (nbad > 0 && rc == 0) {
		snprintf(why, whylen, "%zu byte%s not valid %s (first at byte "
		    "%zu), shown as U+FFFD", nbad, nbad == 1 ? "" : "s",
		    d->enc, first + 1);
		rc = 1;
	}
	return rc;
}

static int
memo(struct hg_dbf *d, const struct hg_dbf_field *f, const unsigned char *p,
    char **out, char *why, size_t whylen)
{
	unsigned char h[8], *buf;
	uint32_t blk = 0, len, i;
	struct stat st;
	off_t at;
	int rc;

	if (d->vfp) {
		blk = le32(p);
	} else {
		for (i = 0; i < f->len; i++) {
			if (p[i] == ' ')
				continue;
			if (p[i] < '0' || p[i] > '9' || blk > 429496728u) {
				snprintf(why, whylen, "memo block number is not "
				    "digits (expected up to 10 ASCII digits)");
				return -1;
			}
			blk = blk * 10 + (p[i] - '0');
		}
	}
	/* *out is set only on success: a caller fills an unreadable cell */
	*out = NULL;
	if (blk == 0) {
		*out = hg_xstrdup("");
		return 0;
	}
	if (d->memo_fd < 0 || d->memo_block == 0) {
		snprintf(why, whylen, "memo block %" PRIu32 ", but there is "
		    "no readable .FPT/.DBT memo file beside the table", blk);
		return -1;
	}
	if (fstat(d->memo_fd, &st) < 0)
		st.st_size = 0;
	at = (off_t)blk * d->memo_block;
	if (d->memo_fpt) {
		rc = full_pread(d->memo_fd, h, 8, at);
		len = be32(h + 4);
		at += 8;
		if (rc == 1 && be32(h) != 1) {
			*out = hg_xstrdup("");
			return 0;	/* a picture or OLE object: not text */
		}
	} else {
		/* an empty dBASE III memo may be just its 0x1A 0x1A */
		memset(h, 0, sizeof h);
		rc = at + 2 <= st.st_size ? 1 : 0;
		if (rc == 1 && pread(d->memo_fd, h, 8, at) < 0)
			rc = -1;
		if (rc == 1 && h[0] == 0xFF && h[1] == 0xFF && h[2] == 0x08 &&
		    h[3] == 0x00) {
			len = le32(h + 4) >= 8 ? le32(h + 4) - 8 : 0;
			at += 8;
		} else {
			len = MEMO_MAX;	/* dBASE III: up to 0x1A */
		}
	}
	if (rc != 1 || at > st.st_size) {
		snprintf(why, whylen, "memo block %" PRIu32 " is past the end "
		    "of the memo file (%lld bytes)", blk,
		    (long long)st.st_size);
		return -1;
	}
	if ((off_t)len > st.st_size - at) {
		if (len != MEMO_MAX) {
			snprintf(why, whylen, "memo block %" PRIu32 " says %"
			    PRIu32 " bytes, the memo file has %lld after it",
			    blk, len, (long long)(st.st_size - at));
			return -1;
		}
		len = (uint32_t)(st.st_size - at);
	}
	if (len > MEMO_MAX) {
		snprintf(why, whylen, "memo block %" PRIu32 " says %" PRIu32
		    " bytes (more than %u: damaged)", blk, len, MEMO_MAX);
		return -1;
	}
	buf = hg_xmalloc(len + 1);
	if (full_pread(d->memo_fd, buf, len, at) != 1) {
		free(buf);
		snprintf(why, whylen, "memo block %" PRIu32 ": %s", blk,
		    strerror(errno));
		return -1;
	}
	if (len == MEMO_MAX || !d->memo_fpt)
		for (i = 0; i < len; i++)
			if (buf[i] == 0x1A) {
				len = i;
				break;
			}
	if (f->type == 'G' || f->type == 'P') {
		free(buf);
		*out = hg_xstrdup("");
		return 0;
	}
	rc = text(d, buf, len, 0, out, why, whylen);
	free(buf);
	return rc;
}

static int
number(const unsigned char *p, size_t n, char **out, const char *what,
    char *why, size_t whylen)
{
	char buf[64];
	size_t i, o = 0;

	while (n > 0 && (*p == ' ' || *p == '\0')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
		n--;
	if (n >= sizeof buf - 2) {
		snprintf(why, whylen, "%zu characters (expected a %s)", n,
		    what);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '*') {
			snprintf(why, whylen, "overflow: the field holds "
			    "asterisks (the number did not fit its width)");
			return -1;
		}
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		    ((p[i] == '-' || p[i] == '+') && i == 0))) {
			snprintf(why, whylen, "\"%.*s\" (expected a %s)",
			    (int)n, (const char *)p, what);
			return -1;
		}
		if (p[i] == '.' && (o == 0 || buf[o - 1] == '-' ||
		    buf[o - 1] == '+'))
			buf[o++] = '0';	/* ".5" as FoxPro writes it */
		buf[o++] = (char)p[i];
	}
	buf[o] = '\0';
	*out = hg_xstrdup(buf);
	return 0;
}

/* A Julian day number to a Gregorian date. */
static void
jdn_date(long j, int *y, int *m, int *dd)
{
	long a = j + 32044, b = (4 * a + 3) / 146097;
	long c = a - 146097 * b / 4, d = (4 * c + 3) / 1461;
	long e = c - 1461 * d / 4, mm = (5 * e + 2) / 153;

	*dd = (int)(e - (153 * mm + 2) / 5 + 1);
	*m = (int)(mm + 3 - 12 * (mm / 10));
	*y = (int)(100 * b + d - 4800 + mm / 10);
}

static int
fixed(struct hg_dbf *d, const struct hg_dbf_field *f, const unsigned char *p,
    char **out, char *why, size_t whylen)
{
	char buf[64];
	int64_t y;
	uint64_t u;
	uint32_t ms;
	double v;
	int yy, mo, dd;
	size_t i;

	switch (f->type) {
	case 'D':
		for (i = 0; i < 8 && (p[i] == ' ' || p[i] == '0' ||
		    p[i] == '\0'); i++)
			;
		if (i == 8)
			break;
		for (i = 0; i < 8; i++)
			if (p[i] < '0' || p[i] > '9') {
				snprintf(why, whylen, "\"%.8s\" (expected a date "
				    "YYYYMMDD)", (const char *)p);
				return -1;
			}
		snprintf(buf, sizeof buf, "%.4s-%.2s-%.2s", (const char *)p,
		    (const char *)p + 4, (const char *)p + 6);
		*out = hg_xstrdup(buf);
		return 0;
	case 'L':
		if (strchr("TtYy", p[0]) != NULL && p[0] != '\0')
			*out = hg_xstrdup("T");
		else if (strchr("FfNn", p[0]) != NULL && p[0] != '\0')
			*out = hg_xstrdup("F");
		else if (p[0] == '?' || p[0] == ' ' || p[0] == '\0')
			break;
		else {
			snprintf(why, whylen, "byte 0x%02X (expected T, F, Y, N "
			    "or ?)", p[0]);
			return -1;
		}
		return 0;
	case 'I':
		snprintf(buf, sizeof buf, "%" PRId32, (int32_t)le32(p));
		*out = hg_xstrdup(buf);
		return 0;
	case 'Y':
		/* currency: an int64 of 1/10000, exact */
		y = (int64_t)((uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32);
		u = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
		snprintf(buf, sizeof buf, "%s%" PRIu64 ".%04" PRIu64,
		    y < 0 ? "-" : "", u / 10000, u % 10000);
		*out = hg_xstrdup(buf);
		return 0;
	case 'B':
		u = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
		memcpy(&v, &u, sizeof v);
		if (!isfinite(v) || fabs(v) > 1e15) {
			snprintf(why, whylen, "a double out of range");
			return -1;
		}
		/* a binary double has no decimal text of its own: the
		 * field's decimals say how it was meant */
		snprintf(buf, sizeof buf, "%.*f", f->dec > 0 && f->dec < 10 ?
		    (int)f->dec : 6, v);
		*out = hg_xstrdup(buf);
		return 0;
	case 'T':
		if (le32(p) == 0 && le32(p + 4) == 0)
			break;
		ms = le32(p + 4);
		if (ms >= 86400000u || le32(p) < 1721426 ||
		    le32(p) > 5373484) {
			snprintf(why, whylen, "day %" PRIu32 ", %" PRIu32 " ms "
			    "(expected a Julian day of years 1-9999 and less "
			    "than a day of milliseconds)", le32(p), ms);
			return -1;
		}
		jdn_date((long)le32(p), &yy, &mo, &dd);
		ms = (ms + 500) / 1000;
		if (ms >= 86400)
			ms = 86399;
		snprintf(buf, sizeof buf, "%04d-%02d-%02d %02u:%02u:%02u", yy,
		    mo, dd, ms / 3600, ms / 60 % 60, ms % 60);
		*out = hg_xstrdup(buf);
		return 0;
	}
	*out = hg_xstrdup("");
	return 0;
}

int
hg_dbf_value(struct hg_dbf *d, size_t k, char **out, char *why,
    size_t whylen)
{
	const struct hg_dbf_field *f = &d->f[k];
	const unsigned char *p = d->rec + f->off;
	size_t n = f->len;

	*out = NULL;
	why[0] = '\0';
	if (bit_set(d, f->null_bit)) {
		*out = hg_xstrdup("");
		return 0;
	}
	switch (f->type) {
	case 'C':
		return text(d, p, n, 1, out, why, whylen);
	case 'V':
		/* varchar: when shorter than the field, its last byte
		 * holds the length */
		if (bit_set(d, f->var_bit))
			n = p[n - 1] < n ? p[n - 1] : n - 1;
		return text(d, p, n, f->var_bit < 0, out, why, whylen);
	case 'N':
	case 'F':
		return number(p, n, out, "number", why, whylen);
	case 'M':
	case 'G':
	case 'P':
		return memo(d, f, p, out, why, whylen);
	case 'B':
		if (!d->vfp)
			return memo(d, f, p, out, why, whylen);
		return fixed(d, f, p, out, why, whylen);
	default:
		return fixed(d, f, p, out, why, whylen);
	}
}
