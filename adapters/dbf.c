/* dbf: FoxPro / dBASE tables (dbf_read.c reads the format).
 *
 * Two modes:
 *  - folder: a directory of one-table-per-bill files (the exchange-folder
 *    pattern, YM<serial>.dbf); the spool (spool.c) decides when a file is
 *    complete and moves it to done/ or rejected/ with NAME.err.
 *  - table: one live table in `dir` that the HIS keeps open and appends
 *    to.  It is opened read-only and never locked or written; the header
 *    is read again each pass.  Bills are keyed by the business key (the
 *    `key` fields), not by record numbers.  The cursor, committed with the
 *    bills of each batch in the same transaction, is the number of records
 *    covered plus what detects a replaced or packed table (the inode and a
 *    hash of the last covered record): then the table is read again from
 *    the start, and the bills already in the outbox are recognised as
 *    unchanged by their idempotency key.
 *
 * In table mode the last bill read is held back until the table has been
 * quiet for stable_seconds, since its rows may still be coming; rows of a
 * bill are expected together, as the HIS appends a bill's lines at once. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "adapters/dbf_read.h"
#include "adapters/spool.h"
#include "adapters/table.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* --- configuration ------------------------------------------------------- */

struct dbf_conf {
	struct hg_spool_keys sp;
	struct hg_table_keys tb;
	struct hg_writeback_keys wb;
	char	*mode;
	char	*table;
	char	*encoding;
	int64_t	 max_records;
};

static const char *const modes[] = { "folder", "table", NULL };
static const char *const encodings[] = { "GB18030", "GBK", "UTF-8", "BIG5",
	NULL };

#define C(f) offsetof(struct dbf_conf, f)
static const struct hg_conf_key dbf_keys[] = {
	HG_SPOOL_CONF_KEYS(struct dbf_conf, sp, "*.dbf"),
	{ "mode", HG_CT_ENUM, "folder", 0, 0, C(mode),
	  "folder: every table in dir is one bill's (or a few bills') file, "
	  "moved to done/ when committed; table: one live table in dir that "
	  "the HIS appends to, read where the committed cursor left off",
	  modes, 0 },
	{ "table", HG_CT_STR, "", 0, 0, C(table),
	  "mode = table: the table's file name in dir (ZYFY.DBF); its memo "
	  "file (.FPT/.DBT) is found beside it", NULL, 0 },
	{ "encoding", HG_CT_ENUM, "GB18030", 0, 0, C(encoding),
	  "text encoding when the table's code-page byte is 0x00 (FoxPro "
	  "DOS and many third-party writers); 0x7A and 0x4D are GBK, read as "
	  "GB18030", encodings, 0 },
	{ "max_records", HG_CT_INT, "20000", 100, 10000000, C(max_records),
	  "mode = table: records read in one pass at most (bounded memory "
	  "and latency; the rest comes in the next pass)", NULL, 0 },
	HG_TABLE_CONF_KEYS(struct dbf_conf, tb),
	HG_WRITEBACK_CONF_KEYS(struct dbf_conf, wb),
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef C

/* The committed cursor of table mode. */
struct pos {
	uint64_t ino;
	uint32_t rec;		/* records covered */
	unsigned reclen;
	uint64_t sum;		/* of the last covered record, flag excluded */
};

struct dbf {
	struct hg_spool_conf sc;
	struct hg_table_map *map;
	struct hg_spool *sp;	/* folder mode */
	/* table mode */
	char	*path;
	struct pos pos;
	int	 have_pos;
	char	 cursor[128];	/* the last one handed to the sink */
	struct stat last;	/* the table at the last pass */
	int64_t	 changed_at;	/* ms */
	int	 idle;		/* the last pass left nothing behind */
	int	 warned;	/* a problem with the table was logged */
};

static void
compiled_free(struct dbf *st)
{
	hg_spool_conf_free(&st->sc);
	hg_table_map_free(st->map);
	st->map = NULL;
	free(st->path);
	st->path = NULL;
}

static int
compile(struct hg_adapter *a, struct dbf *st, struct hg_conf_errs *errs,
    int line)
{
	struct dbf_conf *c = a->conf;
	const char *file = a->conf_file ? a->conf_file : a->name;
	int bad, table = strcmp(c->mode, "table") == 0;

	c->sp.lines = c->tb.lines = &a->lines;
	bad = hg_spool_compile(&c->sp, a->conf_file, file, line, errs,
	    &st->sc);
	if (bad > 0 && st->sc.dir == NULL)
		return bad;
	if (table && (c->table[0] == '\0' || strchr(c->table, '/'))) {
		hg_conf_errs_add(errs, file, line, "table: \"%s\" (mode = "
		    "table needs the table's file name in dir, e.g. table = "
		    "\"ZYFY.DBF\")", c->table);
		bad++;
	} else if (!table && c->table[0] != '\0') {
		hg_conf_errs_add(errs, file, line, "table: \"%s\" is set, but "
		    "mode is \"folder\" (set mode = \"table\" to watch one "
		    "table)", c->table);
		bad++;
	}
	if (table)
		st->path = hg_xasprintf("%s/%s", st->sc.dir, c->table);
	bad += hg_table_map_new(&c->tb, file, line, errs, &st->map);
	return bad;
}

/* --- records to rows ----------------------------------------------------- */

struct rd {
	struct hg_adapter *a;
	struct dbf *st;
	struct hg_dbf *d;
	struct hg_table *t;
	struct hg_spool_file *sf;	/* folder mode */
	const char *name;		/* the table, for messages */
	uint32_t end;			/* first record not read (torn) */
	uint32_t nlive, ndeleted;
	unsigned char *sumbuf;
	/* table mode: each record's hash in pass 1 (from sums_from), so
	 * that pass 2 sees a record the HIS was still writing as changed */
	uint64_t *sums;
	uint32_t sums_from, nsums;
	int	 torn;
};

static void
on_problem(void *arg, int line, int col, const char *column,
    const char *field, const char *msg)
{
	struct rd *r = arg;

	if (r->sf != NULL)
		hg_spool_problem(r->sf, line, col, column, field, "%s", msg);
	else
		log_warn(r->a->name, "%s record %d, field %s%s%s%s: %s",
		    r->name, line, field, column ? " (" : "",
		    column ? column : "", column ? ")" : "", msg);
}

static void
on_note(void *arg, int line, int col, const char *column, const char *field,
    const char *msg)
{
	struct rd *r = arg;

	if (r->sf != NULL)
		hg_spool_note(r->sf, line, col, column, field, msg);
}

/* The hash of record i (0-based) without its deletion byte, or 0 when it
 * cannot be read. */
static uint64_t
record_sum(struct rd *r, uint32_t i)
{
	struct hg_dbf *d = r->d;
	ssize_t n;

	if (r->sumbuf == NULL)
		r->sumbuf = hg_xmalloc(d->reclen);
	n = pread(d->fd, r->sumbuf, d->reclen,
	    (off_t)d->hdrlen + (off_t)i * d->reclen);
	if (n != (ssize_t)d->reclen)
		return 0;
	return hg_hash_bytes(r->sumbuf + 1, d->reclen - 1, HG_HASH_INIT);
}

static const char *
cursor_at(void *arg, int done)
{
	struct rd *r = arg;
	struct dbf *st = r->st;
	uint64_t sum = done > 0 ? record_sum(r, (uint32_t)done - 1) : 0;

	snprintf(st->cursor, sizeof st->cursor, "dbf1 ino=%" PRIu64 " rec=%d "
	    "len=%u sum=%016" PRIx64, (uint64_t)st->last.st_ino, done,
	    r->d->reclen, sum);
	return st->cursor;
}

static int
parse_cursor(const char *s, struct pos *p)
{
	int rec;

	if (s == NULL || sscanf(s, "dbf1 ino=%" SCNu64 " rec=%d len=%u sum=%"
	    SCNx64, &p->ino, &rec, &p->reclen, &p->sum) != 4 || rec < 0)
		return -1;
	p->rec = (uint32_t)rec;
	return 0;
}

/* Pass 1 keeps the hash of record i, pass 2 compares: -1 when the
 * record is not what pass 1 read (a reader may see the first bytes of a
 * record the HIS is writing before the rest). */
static int
seen(struct rd *r, uint32_t i, int pass)
{
	uint64_t h = hg_hash_bytes(r->d->rec, r->d->reclen, HG_HASH_INIT);
	uint32_t k;

	if (pass == 1) {
		if (r->nsums == 0 || i < r->sums_from)
			r->sums_from = i, r->nsums = 0;
		k = i - r->sums_from;
		if (k >= r->nsums) {
			r->sums = hg_xrealloc(r->sums, k + 1, sizeof *r->sums);
			memset(r->sums + r->nsums, 0, (k + 1 - r->nsums) *
			    sizeof *r->sums);
			r->nsums = k + 1;
		}
		r->sums[k] = h;
		return 0;
	}
	k = i - r->sums_from;
	return i >= r->sums_from && k < r->nsums && r->sums[k] == h ? 0 : -1;
}

/* The header row: the names of the visible fields. */
static int
header(struct rd *r)
{
	struct hg_table_row row;
	char *cell[HG_DBF_MAXFIELDS];
	size_t k, n = 0;

	for (k = 0; k < r->d->nf; k++)
		if (hg_dbf_visible(r->d, k))
			cell[n++] = r->d->f[k].name;
	memset(&row, 0, sizeof row);
	row.cell = cell;
	row.ncells = n;
	row.line = 0;
	hg_table_encoding(r->t, r->d->enc);
	return hg_table_header(r->t, &row);
}

/* Records [from, to) to the table: pass 1 indexes, pass 2 hands over.
 * Reading stops at the first record not written yet (r->end). */
static int
records(struct rd *r, uint32_t from, uint32_t to, int pass,
    struct hg_err *err)
{
	struct hg_dbf *d = r->d;
	char *cell[HG_DBF_MAXFIELDS], why[256];
	struct hg_table_row row;
	size_t k, n;
	uint32_t i;
	int rc, vrc;

	r->nlive = r->ndeleted = 0;
	for (i = from; i < to; i++) {
		rc = hg_dbf_record(d, i, err);
		if (rc < 0)
			return -1;
		if (rc == 2)
			break;
		if (rc == 0) {
			r->ndeleted++;
			continue;
		}
		r->nlive++;
		if (r->sf == NULL && seen(r, i, pass) < 0) {
			r->torn = 1;
			return hg_failt(err, "%s: record %" PRIu32 " changed "
			    "while it was read", r->name, i + 1);
		}
		memset(&row, 0, sizeof row);
		row.line = (int)i + 1;
		for (k = 0, n = 0; k < d->nf; k++) {
			if (!hg_dbf_visible(d, k))
				continue;
			vrc = hg_dbf_value(d, k, &cell[n], why, sizeof why);
			if (vrc < 0) {
				/* unreadable: the bill is withheld */
				row.broken = 1;
				cell[n] = hg_xstrdup("");
			}
			if (vrc != 0 && pass == 2)
				on_problem(r, row.line, (int)n + 1,
				    d->f[k].name, "record", why);
			n++;
		}
		row.cell = cell;
		row.ncells = n;
		rc = 0;
		if (!hg_table_summary(r->t, &row, pass == 2)) {
			if (pass == 1)
				hg_table_index(r->t, &row);
			else
				rc = hg_table_add(r->t, &row, err);
		}
		for (k = 0; k < n; k++)
			free(cell[k]);
		if (rc < 0)
			return -1;
	}
	r->end = i;
	return 0;
}

static struct hg_table *
new_table(struct rd *r, const char *source)
{
	struct hg_table_src src;

	memset(&src, 0, sizeof src);
	src.sink = r->a->sink;
	src.adapter = r->a->name;
	src.source = source;
	src.problem = on_problem;
	src.note = on_note;
	src.arg = r;
	if (r->sf == NULL)
		src.cursor_at = cursor_at;
	return hg_table_new(r->st->map, &src);
}

/* --- folder mode --------------------------------------------------------- */

static enum hg_spool_rc
read_file(void *arg, struct hg_spool_file *sf, struct hg_err *err)
{
	struct hg_adapter *a = arg;
	struct dbf_conf *c = a->conf;
	const struct hg_table_stats *ts;
	enum hg_spool_rc rc = HG_SPOOL_READ;
	struct rd r;

	memset(&r, 0, sizeof r);
	r.a = a;
	r.st = a->state;
	r.sf = sf;
	r.name = sf->name;
	if (hg_dbf_open(sf->fd, sf->path, c->encoding, &r.d, err) < 0) {
		if (err->kind != HG_EPERM)
			return HG_SPOOL_RETRY;
		hg_spool_problem(sf, 0, 0, NULL, "file", "%s", err->msg);
		sf->reject = 1;
		return HG_SPOOL_READ;
	}
	r.t = new_table(&r, sf->name);
	/* rejected/ unless every bill is in the outbox (set below) */
	sf->reject = 1;
	if (header(&r) < 0)
		goto out;
	if (records(&r, 0, r.d->nrec, 1, err) < 0) {
		rc = HG_SPOOL_RETRY;
		goto out;
	}
	if (r.nlive == 0) {
		hg_spool_problem(sf, 0, 0, NULL, "file", "no records (%" PRIu32
		    " deleted, header count %" PRIu32 "), expected fee lines",
		    r.ndeleted, r.d->hdr_count);
		goto out;
	}
	hg_table_begin(r.t, HG_TABLE_COMMIT);
	if (records(&r, 0, r.d->nrec, 2, err) < 0 ||
	    hg_table_end(r.t, err) < 0) {
		rc = hg_table_changed(r.t) ? HG_SPOOL_CHANGED :
		    hg_table_failed(r.t) ? HG_SPOOL_SINK : HG_SPOOL_RETRY;
		goto out;
	}
	ts = hg_table_stats(r.t);
	sf->nbills = ts->nbills;
	sf->ncommitted = ts->ncommitted;
	sf->reject = ts->ncommitted < ts->nbills;
	hg_spool_tail(sf, "# %s: %zu problem%s; %zu bill%s from %" PRIu32
	    " records (%" PRIu32 " deleted, skipped): %zu committed",
	    sf->name, sf->nproblems, sf->nproblems == 1 ? "" : "s",
	    ts->nbills, ts->nbills == 1 ? "" : "s", r.nlive, r.ndeleted,
	    ts->ncommitted);
out:
	hg_table_free(r.t);
	hg_dbf_close(r.d);
	free(r.sumbuf);
	return rc;
}

/* --- table mode ---------------------------------------------------------- */

/* Milliseconds: whole seconds would call a table quiet that changed a
 * moment before the second turned. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Where to start: the committed cursor, unless the table was replaced
 * or packed since (then from the first record). */
static uint32_t
start_at(struct rd *r, const struct stat *sb)
{
	struct dbf *st = r->st;
	const char *why = NULL;
	char *c;

	if (!st->have_pos) {
		c = r->a->sink->cursor != NULL ?
		    r->a->sink->cursor(r->a->sink) : NULL;
		memset(&st->pos, 0, sizeof st->pos);
		if (c != NULL && parse_cursor(c, &st->pos) < 0)
			log_warn(r->a->name, "committed cursor \"%s\" is not "
			    "a dbf cursor: reading %s from the first record",
			    c, r->name);
		free(c);
		st->have_pos = 1;
	}
	if (st->pos.rec == 0)
		return 0;
	if (st->pos.ino != (uint64_t)sb->st_ino)
		why = "it is another file (inode)";
	else if (st->pos.reclen != r->d->reclen)
		why = "its record length changed";
	else if (st->pos.rec > r->d->nrec)
		why = "it has fewer records than were read";
	else if (record_sum(r, st->pos.rec - 1) != st->pos.sum)
		why = "the last record read is not the same";
	if (why == NULL)
		return st->pos.rec;
	log_notice(r->a->name, "%s was replaced or packed since record %"
	    PRIu32 " (%s): reading it again from the first record; bills "
	    "already in the outbox are recognised unchanged", r->name,
	    st->pos.rec, why);
	memset(&st->pos, 0, sizeof st->pos);
	return 0;
}

/* Index [from, to) in a fresh table; *end: where complete bills end. */
static int
index_range(struct rd *r, uint32_t from, uint32_t to, int quiet,
    uint32_t *end, struct hg_err *err)
{
	int last;

	hg_table_free(r->t);
	r->t = new_table(r, r->name);
	if (header(r) < 0) {
		r->st->idle = 1;	/* reported; again when it changes */
		return 1;
	}
	if (records(r, from, to, 1, err) < 0)
		return -1;
	*end = r->end;
	last = hg_table_last_group(r->t);
	/* the last bill may still be growing: hold it back until quiet,
	 * and always when this pass stopped short of the table's end */
	if (last > 0 && (!quiet || r->end < r->d->nrec))
		*end = (uint32_t)last - 1;
	return 0;
}

static int
table_pass(struct rd *r, const struct stat *sb, int quiet,
    struct hg_err *err)
{
	struct dbf_conf *c = r->a->conf;
	struct dbf *st = r->st;
	uint32_t from, to, end, end2;
	int rc;

	from = start_at(r, sb);
	to = r->d->nrec;
	if ((uint64_t)to - from > (uint64_t)c->max_records)
		to = from + (uint32_t)c->max_records;
	if (from >= to) {
		st->idle = 1;
		return 0;
	}
	if ((rc = index_range(r, from, to, quiet, &end, err)) != 0)
		return rc < 0 ? -1 : 0;
	if (end <= from)
		return 0;	/* only a bill still being written */
	if (end < r->end && index_range(r, from, end, 1, &end2, err) != 0)
		return -1;
	hg_table_begin(r->t, HG_TABLE_COMMIT);
	rc = records(r, from, end, 2, err);
	if (rc < 0 && r->torn) {
		/* not an error: the next pass reads it whole.  The bill
		 * being built is dropped (hg_table_free), never finished */
		st->have_pos = 0;
		return 0;
	}
	if (rc < 0 || hg_table_end(r->t, err) < 0) {
		st->have_pos = 0;	/* ask the sink what was committed */
		return -1;
	}
	if (st->cursor[0] != '\0' && parse_cursor(st->cursor, &st->pos) == 0)
		st->have_pos = 1;
	st->idle = end >= r->d->nrec;
	return 0;
}

static int
table_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct dbf_conf *c = a->conf;
	struct dbf *st = a->state;
	struct stat sb;
	struct rd r;
	int64_t now = now_ms();
	int fd, rc, quiet;

	if (stat(st->path, &sb) < 0) {
		if (!st->warned)
			log_notice(a->name, "%s: %s (waiting for it)",
			    st->path, strerror(errno));
		st->warned = 1;
		return 0;
	}
	if (!same_stat(&sb, &st->last)) {
		st->last = sb;
		st->changed_at = now;
		st->idle = 0;
		st->warned = 0;
	} else if (st->idle) {
		return 0;
	}
	quiet = now - st->changed_at >= c->sp.stable_seconds * 1000;
	/* read-only, never locked: the HIS keeps writing */
	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hg_failt(err, "%s: %s", st->path, strerror(errno));
	memset(&r, 0, sizeof r);
	r.a = a;
	r.st = st;
	r.name = c->table;
	if (hg_dbf_open(fd, st->path, c->encoding, &r.d, err) < 0) {
		close(fd);
		if (err->kind != HG_EPERM)
			return -1;
		/* it may be half-created: say it once per version */
		if (!st->warned && quiet)
			log_warn(a->name, "%s", err->msg);
		st->warned = quiet;
		st->idle = quiet;
		return 0;
	}
	st->cursor[0] = '\0';
	/* a preview (adapter test) shows every bill, the last one too */
	rc = table_pass(&r, &sb, quiet || a->sink->dry, err);
	hg_table_free(r.t);
	hg_dbf_close(r.d);
	free(r.sumbuf);
	free(r.sums);
	close(fd);
	return rc;
}

/* --- the plug ------------------------------------------------------------ */

static void
dbf_destroy(struct hg_adapter *a)
{
	if (a->state != NULL) {
		hg_spool_close(((struct dbf *)a->state)->sp);
		compiled_free(a->state);
		free(a->state);
		a->state = NULL;
	}
}

static int
dbf_check(struct hg_adapter *a, struct hg_conf_errs *errs, int line)
{
	struct dbf tmp = { .sp = NULL };
	int n = compile(a, &tmp, errs, line);

	compiled_free(&tmp);
	return n;
}

static int
dbf_init(struct hg_adapter *a, struct hg_err *err)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct dbf_conf *c = a->conf;
	struct dbf *st;
	int rc = 0;

	dbf_destroy(a);
	a->state = st = hg_xcalloc(1, sizeof *st);
	if (compile(a, st, &errs, 0) > 0)
		rc = hg_fail(err, "%s", errs.msg[0]);
	else if (strcmp(c->mode, "folder") == 0)
		rc = hg_spool_open(&st->sc, a->name, a->sink != NULL &&
		    a->sink->dry, read_file, a, &st->sp, err);
	hg_conf_errs_free(&errs);
	if (rc < 0) {
		dbf_destroy(a);
		return -1;
	}
	/* nothing is acknowledged before sync (hg_table_end), and each
	 * batch carries its own cursor: the sink may write behind */
	if (a->sink != NULL && a->sink->sync != NULL)
		a->sink->async = 1;
	return 0;
}

static int
dbf_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct dbf *st = a->state;

	if (st->sp != NULL)
		return hg_spool_poll(st->sp, a->sink->dry, err);
	return table_poll(a, err);
}

static int
dbf_wait_fd(struct hg_adapter *a)
{
	const struct dbf *st = a->state;

	return st != NULL && st->sp != NULL ? hg_spool_fd(st->sp) : -1;
}

static const struct hg_writeback_keys *
dbf_writeback(const struct hg_adapter *a)
{
	return &((const struct dbf_conf *)a->conf)->wb;
}

const struct hg_adapter_ops hg_adapter_dbf = {
	.name = "dbf",
	.description = "FoxPro / dBASE tables (.DBF with .FPT/.DBT memos): a "
	    "folder of one-table-per-bill files, or one live table the HIS "
	    "appends to",
	.config_map = dbf_keys,
	.conf_size = sizeof(struct dbf_conf),
	.check = dbf_check,
	.init = dbf_init,
	.poll = dbf_poll,
	.wait_fd = dbf_wait_fd,
	.destroy = dbf_destroy,
	.writeback = dbf_writeback,
};
