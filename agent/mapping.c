/* Code mapping: the hospital's local charge codes to national catalogue
 * codes (医保贯标), from the CSV the hospital's insurance office keeps,
 * usually saved by Excel on Chinese Windows (GBK, no BOM) or as "UTF-8
 * CSV" (with a BOM).
 *
 * The whole file is converted to UTF-8 once and parsed in place: the
 * table's strings point into that one buffer.  Lookups go through an
 * open-addressing hash table (linear probing, at most half full), so a
 * 100k-line mapping costs one buffer, one entry array and one slot array.
 * Nothing changes after hg_mapping_load returns, so threads may share a
 * mapping without locks; a reload builds a new one and the caller swaps. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/mapping.h"
#include "agent/validate.h"
#include "lib/hash.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "queue/outbox.h"

#define MAP_MAXFILE	(256u << 20)	/* a mapping is a few MB at most */
#define MAP_COLS	8	/* columns looked at: 3, and extras to flag */

struct map_ent {
	const char *local;
	const char *nat;
	const char *name;	/* "" when the file has no name column */
	int	 line;
};

struct hg_mapping {
	char	*text;		/* the file as UTF-8; entries point into it */
	struct map_ent *ents;
	size_t	 n;
	size_t	 cap;		/* entries allocated */
	uint32_t *slots;	/* entry index + 1, 0 = empty */
	size_t	 nslots;	/* a power of two, at least 2 * n */
};

/* The slot holding local, or the empty slot where it would go. */
static size_t
slot_find(const struct hg_mapping *m, const char *local)
{
	size_t mask = m->nslots - 1, i = (size_t)hg_hash_str(local) & mask;

	while (m->slots[i] != 0 &&
	    strcmp(m->ents[m->slots[i] - 1].local, local) != 0)
		i = (i + 1) & mask;
	return i;
}

static void
slots_grow(struct hg_mapping *m)
{
	uint32_t *old = m->slots;
	size_t oldn = m->nslots, i;

	m->nslots = oldn ? oldn * 2 : 64;
	m->slots = hg_xcalloc(m->nslots, sizeof *m->slots);
	for (i = 0; i < oldn; i++)
		if (old[i] != 0)
			m->slots[slot_find(m, m->ents[old[i] - 1].local)] =
			    old[i];
	free(old);
}

struct hg_mapping *
hg_mapping_empty(void)
{
	struct hg_mapping *m = hg_xcalloc(1, sizeof *m);

	slots_grow(m);
	return m;
}

void
hg_mapping_free(struct hg_mapping *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m->ents);
	free(m->slots);
	free(m);
}

size_t
hg_mapping_size(const struct hg_mapping *m)
{
	return m != NULL ? m->n : 0;
}

const char *
hg_mapping_lookup(const struct hg_mapping *m, const char *local)
{
	size_t i;

	if (m == NULL || m->n == 0 || local == NULL)
		return NULL;
	i = slot_find(m, local);
	return m->slots[i] != 0 ? m->ents[m->slots[i] - 1].nat : NULL;
}

const char *
hg_mapping_name(const struct hg_mapping *m, const char *local)
{
	size_t i;

	if (m == NULL || m->n == 0 || local == NULL)
		return NULL;
	i = slot_find(m, local);
	return m->slots[i] != 0 ? m->ents[m->slots[i] - 1].name : NULL;
}

/* Split one line (NUL-terminated, no line break) into at most nf fields
 * in place.  Fields may be double-quoted, with "" for a quote inside;
 * unquoted fields are trimmed of ASCII and full-width spaces.  Returns
 * the number of fields in the line (which may exceed nf; the rest are
 * dropped), or -1 with a reason in *why. */
static int
split_line(char *line, char delim, char **f, int nf, const char **why)
{
	char *r = line, *w, *start;
	int n = 0, i;

	for (;;) {
		while (*r == ' ' || (*r == '\t' && delim != '\t'))
			r++;
		start = w = r;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0') {
					*why = "a quoted field has no closing "
					    "quote";
					return -1;
				}
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else
					*w++ = *r++;
			}
			while (*r == ' ' || (*r == '\t' && delim != '\t'))
				r++;
			if (*r != '\0' && *r != delim) {
				*why = "text after the closing quote of a "
				    "field";
				return -1;
			}
		} else {
			while (*r != '\0' && *r != delim)
				r++;
			w = r;
		}
		if (n < nf)
			f[n] = start;
		n++;
		if (*r == '\0') {
			*w = '\0';
			break;
		}
		*w = '\0';
		r++;
	}
	for (i = 0; i < n && i < nf; i++)
		hg_trim(f[i]);
	return n;
}

/* Header cells for the national code column seen in hospital files. */
static const char *const header_names[] = {
	"national_code", "nat_code", "med_list_codg", "医保编码",
	"医保代码", "医保目录编码", "国家编码", "国家医保编码", "国家代码",
	"贯标编码", "医保项目编码", NULL,
};

static int
looks_like_header(const char *nat)
{
	const char *p;
	int i;

	for (i = 0; header_names[i] != NULL; i++)
		if (strcasecmp(nat, header_names[i]) == 0)
			return 1;
	if (hg_natcode_shape_ok(nat))
		return 0;
	/* a damaged code ("1.10105E+17") is data to complain about, not a
	 * header to skip silently */
	for (p = nat; *p != '\0'; p++)
		if (*p >= '0' && *p <= '9')
			return 0;
	return 1;
}

struct load {
	const char *path;
	struct hg_err *err;
	int	 nerr;		/* bad lines; the first one is in err */
	struct hg_conf_errs *all;	/* check-config: every bad line */
	struct hg_conf_errs *warns;	/* and what is only odd */
};

static void
bad_line(struct load *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
bad_line(struct load *ld, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (ld->nerr++ > 0 && ld->all == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ld->all != NULL)
		hg_conf_errs_add(ld->all, ld->path, line, "%s", msg);
	if (ld->nerr == 1)
		hg_fail(ld->err, "%s:%d: %s", ld->path, line, msg);
}

/* Add one row; a second row for the same local code is fine when it says
 * the same thing, and an error naming both lines when it does not. */
static void
add_row(struct hg_mapping *m, struct load *ld, int line, const char *local,
    const char *nat, const char *name)
{
	struct map_ent *e;
	size_t i;

	if ((m->n + 1) * 2 > m->nslots)
		slots_grow(m);
	i = slot_find(m, local);
	if (m->slots[i] != 0) {
		e = &m->ents[m->slots[i] - 1];
		if (strcmp(e->nat, nat) != 0)
			bad_line(ld, line, "local code %s maps to %s here but "
			    "to %s on line %d", local, nat, e->nat, e->line);
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->ents = hg_xrealloc(m->ents, m->cap, sizeof *m->ents);
	}
	e = &m->ents[m->n++];
	e->local = local;
	e->nat = nat;
	e->name = name;
	e->line = line;
	m->slots[i] = (uint32_t)m->n;
}

static int
blank_row(char **f, int n)
{
	int i;

	for (i = 0; i < n && i < 3; i++)
		if (f[i][0] != '\0')
			return 0;
	return 1;
}

/* Filled columns after the third (Excel's trailing empty ones are
 * fine). */
static int
extra_cols(char **f, int n)
{
	int i;

	if (n > MAP_COLS)
		return 1;
	for (i = 3; i < n; i++)
		if (f[i][0] != '\0')
			return 1;
	return 0;
}

/* Parse the UTF-8 text in place into m. */
static void
parse(struct hg_mapping *m, struct load *ld)
{
	char *p, *q, *next, *f[MAP_COLS], delim = 0;
	const char *why;
	int line = 0, n, seen_row = 0;
	size_t len;

	for (p = m->text; *p != '\0'; p = next) {
		line++;
		if ((next = strchr(p, '\n')) != NULL)
			*next++ = '\0';
		else
			next = p + strlen(p);
		len = strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			p[len - 1] = '\0';
		/* look past indentation only to classify the line: in a
		 * tab-separated file a leading tab is an empty first field */
		for (q = p; *q == ' ' || *q == '\t'; q++)
			;
		if (*q == '\0' || *q == '#')
			continue;
		/* Excel's "Unicode text" is tab-separated; decide once */
		if (delim == 0)
			delim = strchr(p, ',') == NULL &&
			    strchr(p, '\t') != NULL ? '\t' : ',';
		if ((n = split_line(p, delim, f, MAP_COLS, &why)) < 0) {
			bad_line(ld, line, "%s", why);
			continue;
		}
		if (ld->warns != NULL && extra_cols(f, n))
			hg_conf_errs_add(ld->warns, ld->path, line, "warning: "
			    "%d columns, expected local_code,national_code"
			    "[,name]: the columns after the third are ignored "
			    "(a comma inside an unquoted name?)", n);
		if (blank_row(f, n))
			continue;
		if (!seen_row++ && n >= 2 && looks_like_header(f[1]))
			continue;
		if (n < 2 || f[1][0] == '\0') {
			bad_line(ld, line, "no national code, expected "
			    "local_code,national_code[,name]");
			continue;
		}
		if (f[0][0] == '\0') {
			bad_line(ld, line, "no local code, expected "
			    "local_code,national_code[,name]");
			continue;
		}
		if (hg_has_replacement(f[0]) || hg_has_replacement(f[1])) {
			bad_line(ld, line, "a code has bytes that are not "
			    "valid text in the file's encoding");
			continue;
		}
		/* a Chinese input method types ， (U+FF0C) for a comma: the
		 * code and the one before it run together */
		if (!hg_natcode_shape_ok(f[1]) && (strstr(f[0], "\xef\xbc\x8c") !=
		    NULL || strstr(f[1], "\xef\xbc\x8c") != NULL)) {
			bad_line(ld, line, "a full-width comma \xef\xbc\x8c "
			    "(U+FF0C) in \"%s\": the columns are separated by "
			    "the ASCII comma ,", strstr(f[0], "\xef\xbc\x8c") ?
			    f[0] : f[1]);
			continue;
		}
		if (!hg_natcode_shape_ok(f[1])) {
			bad_line(ld, line, "national code \"%s\" is not a "
			    "catalogue code shape (expected 23-char drug code "
			    "X/Z..., 15-digit service code, 20-char "
			    "consumable code C..., or T... for TCM pieces)",
			    f[1]);
			continue;
		}
		add_row(m, ld, line, f[0], f[1], n >= 3 ? f[2] : "");
	}
}

static int
read_file(const char *path, char **out, size_t *outlen, struct hg_err *err)
{
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0, len = 0, got;
	int rc = -1;

	if ((fp = fopen(path, "rb")) == NULL)
		return hg_fail(err, "cannot open: %s", strerror(errno));
	for (;;) {
		if (len == cap) {
			if (cap >= MAP_MAXFILE) {
				hg_fail(err, "larger than %u MB, not a "
				    "mapping file", MAP_MAXFILE >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			buf = hg_xrealloc(buf, cap, 1);
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		hg_failt(err, "read error: %s", strerror(errno));
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(fp);
	return rc;
}

static int
load(const char *path, struct hg_mapping **out, struct hg_err *err,
    struct hg_conf_errs *all, struct hg_conf_errs *warns)
{
	struct hg_mapping *m = NULL;
	struct load ld = { path, err, 0, all, warns };
	const char *enc;
	char *raw = NULL;
	size_t len = 0, bom, tlen, nbad, first_bad;
	int rc = -1;

	*out = NULL;
	if (read_file(path, &raw, &len, err) < 0)
		goto file_bad;
	/* Chinese Excel writes GBK without a BOM; GB18030 is its superset
	 * and also reads the rare name characters */
	enc = hg_text_detect(raw, len, "GB18030", &bom);
	m = hg_xcalloc(1, sizeof *m);
	if (hg_text_to_utf8(enc, raw + bom, len - bom, &m->text, &tlen, &nbad,
	    &first_bad, err) < 0)
		goto file_bad;
	if (strlen(m->text) != tlen) {
		hg_fail(err, "contains a NUL byte, not a text file");
		goto file_bad;
	}
	slots_grow(m);
	parse(m, &ld);
	if (ld.nerr > 1 && err != NULL) {
		size_t used = strlen(err->msg);

		snprintf(err->msg + used, sizeof err->msg - used,
		    " (and %d more bad line%s)", ld.nerr - 1,
		    ld.nerr == 2 ? "" : "s");
	}
	if (ld.nerr > 0)
		goto out;
	*out = m;
	m = NULL;
	rc = 0;
	goto out;
file_bad:
	/* not a bad row: the file itself (unreadable, not text), named
	 * once, in front */
	if (all != NULL && err != NULL)
		hg_conf_errs_add(all, path, 0, "%s", err->msg);
	else
		hg_err_prefix(err, "%s", path);
out:
	hg_mapping_free(m);
	free(raw);
	return rc;
}

int
hg_mapping_load(const char *path, struct hg_mapping **out,
    struct hg_err *err)
{
	return load(path, out, err, NULL, NULL);
}

int
hg_mapping_check(const char *path, size_t *rows, struct hg_conf_errs *errs,
    struct hg_conf_errs *warns)
{
	struct hg_mapping *m;
	struct hg_err err;

	*rows = 0;
	if (load(path, &m, &err, errs, warns) == -1)
		return -1;
	*rows = hg_mapping_size(m);
	hg_mapping_free(m);
	return 0;
}

size_t
hg_mapping_apply(const struct hg_mapping *map, struct hg_bill *bill,
    struct hg_problem **probs, size_t *nprobs)
{
	struct hg_fee *f;
	const char *nat;
	size_t i, before = *nprobs;

	for (i = 0; i < bill->nfees; i++) {
		f = &bill->fees[i];
		nat = hg_mapping_lookup(map, f->local_code);
		if (nat != NULL) {
			/* the insurance office's table beats a stale copy of
			 * the code kept in the HIS dictionary */
			if (f->nat_code == NULL || strcmp(f->nat_code, nat) != 0)
				hg_set_str(&f->nat_code, nat);
			continue;
		}
		if (f->nat_code != NULL && f->nat_code[0] != '\0')
			continue;
		/* named at the local code, the column every export has
		 * (one that relies on the mapping file has no national
		 * code column, whose number would be 0) */
		hg_problem_add(probs, nprobs, f->line, "medins_list_codg",
		    HG_UNMAPPED_MARK "%s%s%s", f->local_code != NULL &&
		    f->local_code[0] != '\0' ? f->local_code :
		    "(no local code)", f->name != NULL && f->name[0] != '\0' ?
		    " " : "", f->name != NULL ? f->name : "");
	}
	return *nprobs - before;
}
