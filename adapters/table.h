/* Rows of named columns to canonical bills, for every adapter whose
 * source is a table: CSV/TXT exports (csvdrop), FoxPro DBF tables and
 * HIS databases read over ODBC.  The input is a row of cells (UTF-8 text,
 * each with its position); where the cells came from is the adapter's
 * business.
 *
 * table.c: the column map (canonical field = header name or column
 * number, merged over the default Chinese headers), the header mapped
 * onto columns, and field normalisation (decimals to scaled integers,
 * dates, full-width digits, Excel damage).
 * table_group.c: rows grouped into bills by the key columns, and bills
 * handed to the sink in batches.
 *
 * A source is read twice.  The first pass (hg_table_index) only indexes
 * the bill keys, so that the second (hg_table_add) knows when a bill is
 * complete even when its rows are not together, and never hands over a
 * bill that has a bad row further down. */
#ifndef HG_TABLE_H
#define HG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "adapters/adapter.h"
#include "adapters/datefmt.h"
#include "lib/conftab.h"
#include "lib/err.h"

/* The table keys of an adapter's configuration: embed this struct in
 * the adapter's conf and list HG_TABLE_CONF_KEYS(type, member) in its
 * config_map. */
struct hg_table_keys {
	int	 header;
	struct hg_kvlist columns;
	struct hg_strlist key;
	struct hg_strlist date_formats;
	/* where each key is set (the adapter's lines), or NULL: problems
	 * name that line, else the line hg_table_map_new is given */
	const struct hg_kvlist *lines;
};

#define HG_TABLE_CONF_KEYS(T, m)					\
	{ "header", HG_CT_BOOL, "true", 0, 0, offsetof(T, m.header),	\
	  "the first line (after skip_lines) names the columns", NULL,	\
	  0 },								\
	HG_TABLE_CONF_MAP_KEYS(T, m)

/* Only columns and key, for a source whose columns always have names (a
 * database query): header stays 0 in the struct and is not a key. */
#define HG_TABLE_CONF_MAP_KEYS(T, m)					\
	{ "columns", HG_CT_MAP, NULL, 0, 0, offsetof(T, m.columns),	\
	  "canonical field = \"header name\" or column number "		\
	  "(1-based); merged over the default Chinese headers (住院号, "	\
	  "姓名, 身份证号, ...); \"\" drops a default", NULL, 0 },	\
	{ "key", HG_CT_LIST, "ipt_no,begntime", 0, 0, offsetof(T, m.key),\
	  "canonical fields whose values group lines into one bill",	\
	  NULL, 0 },							\
	{ "date_formats", HG_CT_LIST, HG_DATEFMT_DEFAULT, 0, 0,	\
	  offsetof(T, m.date_formats),					\
	  "how the export writes dates and times, tried in order "	\
	  "(yyyy, MM or M, dd or d, HH or H, mm, ss, S to SSSSSS)", NULL, 0 }

/* The canonical field names a column map may use, NULL-terminated (for
 * `hisgate config-keys` and messages). */
extern const char *const hg_table_field_names[];

/* The same as reference lines for `hisgate config-keys`, one a field:
 * "columns.certno (bill field; default header 身份证号; required)". */
void	hg_table_print_fields(void *fp);
/* The same as a JSON array of {"field", "level", "header" (or null),
 * "required"}. */
struct json_object *hg_table_fields_json(void);

/* The column map, checked and resolved. */
struct hg_table_map;

/* Check and resolve.  Problems go to errs as FILE:LINE: message (file
 * and line: the adapter's configuration); returns how many.  *out is
 * set either way (hg_table_map_free). */
int	hg_table_map_new(const struct hg_table_keys *k, const char *file,
	    int line, struct hg_conf_errs *errs, struct hg_table_map **out);
void	hg_table_map_free(struct hg_table_map *m);

/* One row of the source. */
struct hg_table_row {
	char	**cell;		/* UTF-8, NUL-terminated; trimmed in place */
	const int *cell_line;	/* line each cell starts on; NULL = line */
	size_t	 ncells;	/* cell i is column i + 1 */
	int	 line;		/* line or record number (1-based) */
	/* the cells are not where the header says (a record of the
	 * wrong width, already reported): only the key is read, quietly,
	 * to find the row's bill, and that bill is withheld (or, with
	 * keep_bad, handed over invalid with `why` as its problem) */
	int	 broken;
	const char *why;
};

/* Where problems go.  column: the column as the source names it (its
 * header text), or NULL when it has no name (header = false); field: the
 * canonical field, or "file", "header", "record" for what is not one
 * field; col: 1-based column, 0 = none. */
typedef void (*hg_table_report_fn)(void *arg, int line, int col,
	    const char *column, const char *field, const char *msg);

struct hg_table_src {
	struct hg_sink *sink;
	const char *adapter;	/* instance name: bills and log lines */
	const char *source;	/* cursor, and the start of source_ref */
	hg_table_report_fn problem;
	hg_table_report_fn note;	/* skipped summary rows */
	void	*arg;
	const char *encoding;	/* for messages; hg_table_encoding */
	/* A bill with a bad row is handed over anyway, its problems in
	 * bill->problems (the sink keeps it invalid, waiting for a
	 * corrected export) and the bad rows' fees left out: for a source
	 * that is acknowledged whole (a file), so that nothing of it is
	 * lost when it moves on.  Without it such a bill is withheld (a
	 * database source reads it again once fixed). */
	int	 keep_bad;
	/* Optional: called for each bill not handed over (a bad row), with
	 * the first and last line of its rows, so that a source with a
	 * watermark can keep it from moving past that bill. */
	void	(*withheld)(void *arg, int first_line, int last_line);
	/* Optional, for a source whose cursor is known only when the pass
	 * ends (a database watermark): batches handed over before
	 * hg_table_end carry no cursor, and the last one carries what this
	 * returns, asked after every withheld bill has been reported.
	 * Without it every batch carries `source`. */
	const char *(*end_cursor)(void *arg);
	/* Optional (dbf's growing table): the cursor committed with each
	 * batch, given the line (record) up to which every bill is handed
	 * over or withheld, so that the cursor never passes a bill not yet
	 * committed.  It wins over end_cursor; without either every batch
	 * carries `source`. */
	const char *(*cursor_at)(void *arg, int done_line);
};

enum hg_table_pass {
	HG_TABLE_VALIDATE,	/* the sink judges, nothing is written */
	HG_TABLE_COMMIT,
};

struct hg_table_stats {
	size_t	 nbills, ncommitted, ninvalid, nwithheld;
};

struct hg_table;

struct hg_table *hg_table_new(const struct hg_table_map *m,
	    const struct hg_table_src *src);
void	hg_table_free(struct hg_table *t);
/* The source's encoding once known (for "invalid GB18030 bytes"). */
void	hg_table_encoding(struct hg_table *t, const char *enc);

/* Map the columns by the header row's names (and configured numbers).
 * Returns 0, or -1 when the source cannot be read as bills (problems
 * reported).  Without a header, hg_table_numbers maps by number only. */
int	hg_table_header(struct hg_table *t, struct hg_table_row *hdr);
void	hg_table_numbers(struct hg_table *t);
/* 1 when the row is a summary row ("合计", "小计" in the first key
 * column): it is skipped, and with report it is noted. */
int	hg_table_summary(struct hg_table *t, struct hg_table_row *r,
	    int report);

/* Pass 1: index the row's bill key. */
void	hg_table_index(struct hg_table *t, struct hg_table_row *r);
/* The line of the first row of the last key group pass 1 indexed (0
 * before any): a source that grows (dbf's table mode) holds that bill
 * back until the source is quiet, since its rows may still be coming. */
int	hg_table_last_group(const struct hg_table *t);
/* Pass 2: start it, hand every data row in the same order as in pass 1,
 * end it.  hg_table_add returns -1 with err when the sink refused
 * (hg_table_failed) or the source changed since pass 1
 * (hg_table_changed).  hg_table_end hands over what is left and, for a
 * committing pass, waits until everything is durable: only after it
 * returns 0 may the source be acknowledged. */
void	hg_table_begin(struct hg_table *t, enum hg_table_pass pass);
int	hg_table_add(struct hg_table *t, struct hg_table_row *r,
	    struct hg_err *err);
int	hg_table_end(struct hg_table *t, struct hg_err *err);

int	hg_table_failed(const struct hg_table *t);
int	hg_table_changed(const struct hg_table *t);
const struct hg_table_stats *hg_table_stats(const struct hg_table *t);

#endif
