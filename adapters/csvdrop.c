/* csvdrop: a drop directory of CSV/TXT discharge-bill exports.
 *
 * The HIS (or a person with Excel) leaves files in `dir`.  The spool
 * (spool.c) decides when a file is complete and moves it on; the table
 * layer (table.c, table_group.c) turns rows into bills.  What is left
 * here is what is CSV: choosing the encoding and the dialect, reading
 * records in bounded memory (csv.c), the header line, and records of the
 * wrong shape.
 *
 * A file is read twice: the first pass tokenizes and indexes the bill
 * keys, the second hands bills over (see table.h).  With all_or_nothing
 * a validating pass (the sink in dry mode) comes before the committing
 * one, so that nothing is committed from a file that has any problem. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "adapters/csv.h"
#include "adapters/spool.h"
#include "adapters/table.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

/* --- configuration ------------------------------------------------------- */

struct csvdrop_conf {
	struct hg_spool_keys sp;
	struct hg_table_keys tb;
	struct hg_writeback_keys wb;
	char	*encoding;
	char	*fallback_encoding;
	char	*delimiter;
	char	*quote;
	int64_t	 skip_lines;
	int	 all_or_nothing;
};

static const char *const encodings[] = { "auto", "GB18030", "GBK", "UTF-8",
	"UTF-16LE", NULL };
static const char *const fallbacks[] = { "GB18030", "GBK", "UTF-8", NULL };

#define C(f) offsetof(struct csvdrop_conf, f)
static const struct hg_conf_key csvdrop_keys[] = {
	HG_SPOOL_CONF_KEYS(struct csvdrop_conf, sp, "*.csv,*.txt"),
	{ "encoding", HG_CT_ENUM, "auto", 0, 0, C(encoding),
	  "auto = a BOM, else valid UTF-8, else fallback_encoding; or force "
	  "one (a BOM still wins)", encodings, 0 },
	{ "fallback_encoding", HG_CT_ENUM, "GB18030", 0, 0,
	  C(fallback_encoding), "what auto takes when the text is not "
	  "UTF-8 (legacy Windows exports are GBK; GB18030 is its superset)",
	  fallbacks, 0 },
	{ "delimiter", HG_CT_STR, ",", 0, 0, C(delimiter),
	  "one character between fields: \",\", \"\\t\" (or \"tab\"), \"|\", "
	  "\";\"; UTF-16 files with tabs in the header use tab", NULL, 0 },
	{ "quote", HG_CT_STR, "\"", 0, 0, C(quote),
	  "the quote character, or \"\" for none", NULL, 0 },
	{ "skip_lines", HG_CT_INT, "0", 0, 1000, C(skip_lines),
	  "lines to ignore at the top (report titles)", NULL, 0 },
	HG_TABLE_CONF_KEYS(struct csvdrop_conf, tb),
	{ "all_or_nothing", HG_CT_BOOL, "false", 0, 0, C(all_or_nothing),
	  "any problem rejects the whole file and none of its bills is "
	  "committed", NULL, 0 },
	HG_WRITEBACK_CONF_KEYS(struct csvdrop_conf, wb),
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef C

/* What the configuration says, checked and resolved. */
struct compiled {
	struct hg_spool_conf sc;
	struct hg_table_map *map;
	int	 delim, quote;
};

struct csvdrop {
	struct compiled cc;
	struct hg_spool *sp;
};

static void
compiled_free(struct compiled *cc)
{
	hg_spool_conf_free(&cc->sc);
	hg_table_map_free(cc->map);
	memset(cc, 0, sizeof *cc);
}

static int
one_char(const char *s, int *out)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) {
		*out = '\t';
		return 0;
	}
	if (strlen(s) != 1)
		return -1;
	*out = (unsigned char)s[0];
	return 0;
}

/* Check and resolve the configuration.  Returns the number of problems
 * added to errs. */
static int
compile(struct hg_adapter *a, struct compiled *cc, struct hg_conf_errs *errs,
    int line)
{
	struct csvdrop_conf *c = a->conf;
	const char *file = a->conf_file ? a->conf_file : a->name;
	int bad;

	memset(cc, 0, sizeof *cc);
	c->sp.lines = c->tb.lines = &a->lines;
	bad = hg_spool_compile(&c->sp, a->conf_file, file, line, errs,
	    &cc->sc);
	if (bad > 0 && cc->sc.dir == NULL)
		return bad;
	if (one_char(c->delimiter, &cc->delim) < 0 || cc->delim == '\n' ||
	    cc->delim == '\r') {
		hg_conf_errs_add(errs, file,
		    hg_kv_line(&a->lines, "delimiter", line), "delimiter: \"%s\" is not "
		    "one character (expected \",\", \"\\t\", \"|\", \";\" ...)",
		    c->delimiter);
		bad++;
	}
	if (c->quote[0] == '\0')
		cc->quote = 0;
	else if (one_char(c->quote, &cc->quote) < 0 ||
	    cc->quote == cc->delim) {
		hg_conf_errs_add(errs, file,
		    hg_kv_line(&a->lines, "quote", line), "quote: \"%s\" is not one "
		    "character other than the delimiter (expected \"\\\"\" or "
		    "\"\" for none)", c->quote);
		bad++;
	}
	bad += hg_table_map_new(&c->tb, file, line, errs, &cc->map);
	return bad;
}

/* --- one file ------------------------------------------------------------ */

struct file {
	struct hg_adapter *a;
	const struct compiled *cc;
	struct hg_spool_file *sf;
	struct hg_table *t;
	int	 width;		/* expected fields per line, 0 = unknown */
	int	 width_from_header;
	int	 fatal;		/* nothing can be read from this file */
	char	 why[160];	/* check_record: what is wrong with a record */
};

static void
on_problem(void *arg, int line, int col, const char *column,
    const char *field, const char *msg)
{
	struct file *fl = arg;

	hg_spool_problem(fl->sf, line, col, column, field, "%s", msg);
}

static void
on_note(void *arg, int line, int col, const char *column, const char *field,
    const char *msg)
{
	struct file *fl = arg;

	hg_spool_note(fl->sf, line, col, column, field, msg);
}

static int
is_blank(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		if (*p == ' ' || *p == '\t' || *p == 0x1A)
			p++;
		else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
			p += 3;
		else
			return 0;
	}
	return 1;
}

static int
record_blank(const struct hg_csv_rec *rec)
{
	size_t i;

	if (rec->flags & HG_CSV_NUL)
		return 0;
	for (i = 0; i < rec->nfields; i++)
		if (!is_blank(rec->field[i]))
			return 0;
	return 1;
}

/* Check the record's shape.  Returns 0 when its fields can be trusted to
 * be where the header says; else fl->why says why (and, with report, it
 * is a problem of the file). */
static int
check_record(struct file *fl, const struct hg_csv_rec *rec, int report)
{
	const char *as = fl->width_from_header ? "in the header" :
	    "on the first line";
	int line = rec->line, col = 0;
	size_t i;

	fl->why[0] = '\0';
	if (rec->flags & HG_CSV_NUL)
		snprintf(fl->why, sizeof fl->why, "NUL bytes in the line (a "
		    "damaged file?)");
	else if (rec->flags & HG_CSV_TOOLONG)
		snprintf(fl->why, sizeof fl->why, "longer than %d bytes, cut "
		    "(an unbalanced quote?)", HG_CSV_MAXREC);
	else if (rec->flags & HG_CSV_UNTERMINATED) {
		line = rec->field_line[rec->nfields - 1];
		col = (int)rec->nfields;
		snprintf(fl->why, sizeof fl->why, "quoted field is not closed "
		    "before the end of the file (expected a closing quote)");
	} else if (fl->width == 0 || (int)rec->nfields == fl->width)
		return 0;
	else if ((int)rec->nfields > fl->width) {
		/* Excel pads lines with empty cells; only text counts */
		for (i = (size_t)fl->width; i < rec->nfields; i++)
			if (!is_blank(rec->field[i]))
				break;
		if (i == rec->nfields)
			return 0;
		col = fl->width + 1;
		snprintf(fl->why, sizeof fl->why, "%zu fields, expected %d as "
		    "%s (a delimiter inside an unquoted field?)",
		    rec->nfields, fl->width, as);
	} else {
		col = (int)rec->nfields + 1;
		snprintf(fl->why, sizeof fl->why, "%zu fields, expected %d as "
		    "%s", rec->nfields, fl->width, as);
	}
	if (report)
		hg_spool_problem(fl->sf, line, col, NULL, "record", "%s",
		    fl->why);
	return 1;
}

static void
to_row(const struct hg_csv_rec *rec, struct hg_table_row *row, int broken,
    const char *why)
{
	row->cell = rec->field;
	row->cell_line = rec->field_line;
	row->ncells = rec->nfields;
	row->line = rec->line;
	row->broken = broken;
	row->why = broken ? why : NULL;
}

static int
open_reader(struct file *fl, struct hg_csv_reader **out, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;
	struct hg_csv_ropts o;

	if (lseek(fl->sf->fd, 0, SEEK_SET) < 0)
		return hg_failt(err, "%s: %s", fl->sf->path, strerror(errno));
	memset(&o, 0, sizeof o);
	o.encoding = c->encoding;
	o.fallback = c->fallback_encoding;
	o.delim = fl->cc->delim;
	o.quote = fl->cc->quote;
	o.utf16_tab = 1;
	*out = hg_csv_reader_new(fl->sf->fd, &o, err);
	return *out != NULL ? 0 : -1;
}

static const char *
delim_name(int d, char buf[8])
{
	if (d == '\t')
		return "tab";
	snprintf(buf, 8, "\"%c\"", d);
	return buf;
}

/* The header line: its width, a wrong delimiter, then the column map. */
static void
header(struct file *fl, struct hg_csv_rec *rec)
{
	static const char cands[] = ",\t;|";
	struct hg_table_row row;
	char b1[8], b2[8];
	const char *d;
	size_t i;

	for (i = 0; i < rec->nfields; i++)
		hg_trim(rec->field[i]);
	/* empty cells at the end of the header are Excel's padding: data
	 * lines may have them or not */
	for (i = rec->nfields; i > 1 && rec->field[i - 1][0] == '\0'; i--)
		;
	fl->width = (int)i;
	fl->width_from_header = 1;
	if (rec->nfields == 1) {
		for (d = cands; *d != '\0'; d++)
			if (*d != fl->cc->delim && strchr(rec->field[0], *d))
				break;
		if (*d != '\0') {
			hg_spool_problem(fl->sf, rec->line, 1, NULL, "header",
			    "no %s in the header line; the file seems to use "
			    "%s (set delimiter = \"%s\")",
			    delim_name(fl->cc->delim, b1), delim_name(*d, b2),
			    *d == '\t' ? "\\t" : (char[]){ *d, '\0' });
			fl->fatal = 1;
			return;
		}
	}
	to_row(rec, &row, 0, NULL);
	if (hg_table_header(fl->t, &row) < 0)
		fl->fatal = 1;
}

/* Data records of the file, one at a time: skips the top lines, the
 * header (mapping it), blank lines and summary rows. */
struct cursor {
	struct hg_csv_reader *rd;
	int	 header_done;
	int	 nrecords;	/* any record at all, blank or not */
	int	 ndata;
	int	 first;
};

/* Returns 1 with a record, 0 at the end, -1 on a read error. */
static int
next_data(struct file *fl, struct cursor *cu, struct hg_csv_rec *rec,
    int pass, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;
	struct hg_table_row row;
	const char *why;
	int rc;

	for (;;) {
		rc = hg_csv_reader_next(cu->rd, rec, err);
		if (rc <= 0)
			return rc;
		if (!cu->first) {
			cu->first = 1;
			hg_table_encoding(fl->t,
			    hg_csv_reader_encoding(cu->rd));
			if (pass == 1 && hg_csv_reader_binary(cu->rd, &why)) {
				hg_spool_problem(fl->sf, 0, 0, NULL, "file",
				    "not a text file (%s); expected CSV or TXT "
				    "text", why);
				fl->fatal = 1;
				return 0;
			}
		}
		if (rec->line <= c->skip_lines || record_blank(rec))
			continue;
		cu->nrecords++;
		if (c->tb.header && !cu->header_done) {
			cu->header_done = 1;
			if (pass == 1)
				header(fl, rec);
			if (fl->fatal)
				return 0;
			continue;
		}
		if (!c->tb.header && fl->width == 0) {
			fl->width = (int)rec->nfields;
			fl->width_from_header = 0;
		}
		to_row(rec, &row, 0, NULL);
		if (hg_table_summary(fl->t, &row, pass == 2))
			continue;
		cu->ndata++;
		return 1;
	}
}

/* Pass 1: the header, file-level problems and the key index. */
static int
scan_pass(struct file *fl, struct hg_err *err)
{
	struct hg_table_row row;
	struct hg_csv_rec rec;
	struct cursor cu;
	int rc;

	memset(&cu, 0, sizeof cu);
	if (open_reader(fl, &cu.rd, err) < 0)
		return -1;
	if (!((struct csvdrop_conf *)fl->a->conf)->tb.header)
		hg_table_numbers(fl->t);
	while ((rc = next_data(fl, &cu, &rec, 1, err)) == 1) {
		to_row(&rec, &row, check_record(fl, &rec, 0), fl->why);
		hg_table_index(fl->t, &row);
	}
	hg_csv_reader_free(cu.rd);
	if (rc < 0)
		return -1;
	if (fl->fatal)
		return 0;
	if (cu.ndata == 0) {
		if (cu.nrecords == 0)
			hg_spool_problem(fl->sf, 0, 0, NULL, "file", "empty, "
			    "expected a header line and fee lines");
		else if (cu.header_done && cu.nrecords == 1)
			hg_spool_problem(fl->sf, 0, 0, NULL, "file", "only a "
			    "header line, expected fee lines after it");
		else
			hg_spool_problem(fl->sf, 0, 0, NULL, "file", "no fee "
			    "lines, only summary rows");
		fl->fatal = 1;
	}
	return 0;
}

/* Pass 2: every record to the table, which hands bills over. */
static int
bill_pass(struct file *fl, enum hg_table_pass pass, struct hg_err *err)
{
	struct hg_table_row row;
	struct hg_csv_rec rec;
	struct cursor cu;
	int rc;

	memset(&cu, 0, sizeof cu);
	hg_table_begin(fl->t, pass);
	if (open_reader(fl, &cu.rd, err) < 0)
		return -1;
	while ((rc = next_data(fl, &cu, &rec, 2, err)) == 1) {
		to_row(&rec, &row, check_record(fl, &rec, 1), fl->why);
		if (hg_table_add(fl->t, &row, err) < 0)
			break;
	}
	hg_csv_reader_free(cu.rd);
	if (rc < 0)
		return -1;	/* a read error: nothing more is handed over */
	return hg_table_end(fl->t, err);
}

static void
tail(struct file *fl)
{
	const struct hg_table_stats *st = hg_table_stats(fl->t);
	struct csvdrop_conf *c = fl->a->conf;
	size_t np = fl->sf->nproblems;
	char inv[80] = "";

	if (st->ninvalid > 0 && st->ncommitted > 0)
		snprintf(inv, sizeof inv, " (%zu invalid, waiting in the "
		    "outbox for a fix)", st->ninvalid);
	hg_spool_tail(fl->sf, "# %s: %zu problem%s; %zu bill%s: %zu "
	    "committed%s, %zu not committed%s", fl->sf->name, np,
	    np == 1 ? "" : "s", st->nbills, st->nbills == 1 ? "" : "s",
	    st->ncommitted, inv, st->nbills - st->ncommitted,
	    c->all_or_nothing ? " (all_or_nothing: nothing of a file with a "
	    "problem is committed)" : "");
	fl->sf->nbills = st->nbills;
	fl->sf->ncommitted = st->ncommitted;
	/* done/ takes a file whose every bill is in the outbox (valid or
	 * waiting there for a fix); the rest needs a person */
	fl->sf->reject = fl->fatal || st->ncommitted < st->nbills;
}

/* The passes over one complete file. */
static int
read_passes(struct file *fl, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;

	if (scan_pass(fl, err) < 0)
		return -1;
	if (fl->fatal)
		return 0;
	if (c->all_or_nothing && !fl->sf->dry) {
		/* judge the whole file before committing any of it */
		if (bill_pass(fl, HG_TABLE_VALIDATE, err) < 0)
			return -1;
		if (fl->sf->nproblems > 0)
			return 0;
		hg_spool_notes_reset(fl->sf);
	}
	return bill_pass(fl, HG_TABLE_COMMIT, err);
}

/* The spool's callback: one complete file. */
static enum hg_spool_rc
read_one(void *arg, struct hg_spool_file *sf, struct hg_err *err)
{
	struct hg_adapter *a = arg;
	struct csvdrop *cd = a->state;
	struct hg_table_src src;
	struct file fl;
	enum hg_spool_rc rc = HG_SPOOL_READ;

	memset(&fl, 0, sizeof fl);
	fl.a = a;
	fl.cc = &cd->cc;
	fl.sf = sf;
	memset(&src, 0, sizeof src);
	src.sink = a->sink;
	src.adapter = a->name;
	src.source = sf->name;
	src.problem = on_problem;
	src.note = on_note;
	src.arg = &fl;
	/* the file moves on once read: a bill with a bad row goes into the
	 * outbox invalid (waiting for a corrected export), never only into
	 * NAME.err */
	src.keep_bad = 1;
	fl.t = hg_table_new(cd->cc.map, &src);
	if (read_passes(&fl, err) < 0)
		rc = hg_table_changed(fl.t) ? HG_SPOOL_CHANGED :
		    hg_table_failed(fl.t) ? HG_SPOOL_SINK : HG_SPOOL_RETRY;
	else
		tail(&fl);
	hg_table_free(fl.t);
	return rc;
}

/* --- the plug ------------------------------------------------------------ */

static int
csvdrop_check(struct hg_adapter *a, struct hg_conf_errs *errs, int line)
{
	struct compiled cc;
	int bad;

	bad = compile(a, &cc, errs, line);
	compiled_free(&cc);
	return bad;
}

static void
csvdrop_destroy(struct hg_adapter *a)
{
	struct csvdrop *cd = a->state;

	if (cd == NULL)
		return;
	hg_spool_close(cd->sp);
	compiled_free(&cd->cc);
	free(cd);
	a->state = NULL;
}

static int
csvdrop_init(struct hg_adapter *a, struct hg_err *err)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct csvdrop *cd;
	int dry = a->sink != NULL && a->sink->dry;

	csvdrop_destroy(a);
	cd = hg_xcalloc(1, sizeof *cd);
	a->state = cd;
	if (compile(a, &cd->cc, &errs, 0) > 0) {
		hg_fail(err, "%s", errs.msg[0]);
		goto fail;
	}
	if (hg_spool_open(&cd->cc.sc, a->name, dry, read_one, a, &cd->sp,
	    err) < 0)
		goto fail;
	/* a file is acknowledged only after sync (hg_table_end), so the
	 * sink may write one batch while the next is read */
	if (a->sink != NULL && a->sink->sync != NULL)
		a->sink->async = 1;
	hg_conf_errs_free(&errs);
	return 0;
fail:
	hg_conf_errs_free(&errs);
	csvdrop_destroy(a);
	return -1;
}

static int
csvdrop_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct csvdrop *cd = a->state;

	return hg_spool_poll(cd->sp, a->sink->dry, err);
}

static int
csvdrop_wait_fd(struct hg_adapter *a)
{
	const struct csvdrop *cd = a->state;

	return cd != NULL ? hg_spool_fd(cd->sp) : -1;
}

static const struct hg_writeback_keys *
csvdrop_writeback(const struct hg_adapter *a)
{
	return &((const struct csvdrop_conf *)a->conf)->wb;
}

const struct hg_adapter_ops hg_adapter_csvdrop = {
	.name = "csvdrop",
	.description = "CSV/TXT exports dropped into a directory (GBK, UTF-8 "
	    "or UTF-16), one or many bills per file",
	.config_map = csvdrop_keys,
	.conf_size = sizeof(struct csvdrop_conf),
	.check = csvdrop_check,
	.init = csvdrop_init,
	.poll = csvdrop_poll,
	.wait_fd = csvdrop_wait_fd,
	.destroy = csvdrop_destroy,
	.writeback = csvdrop_writeback,
};
