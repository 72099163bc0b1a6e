/* csvdrop: a drop directory of CSV/TXT discharge-bill exports.
 *
 * The HIS (or a person with Excel) leaves files in `dir`.  A file that is
 * complete (stable size, a marker file, or renamed into place) is read in
 * bounded memory, its lines are grouped into bills by the key columns,
 * the bills are handed to the sink in batches with the file name as the
 * cursor, and only after the last batch is committed does the file move
 * to done/ (or rejected/, with NAME.err listing every problem as
 * "line:column: field: message").  A failed commit leaves the file where
 * it is; reading it again later is safe because the sink treats identical
 * bills as no-ops.
 *
 * A file is read twice.  The first pass only tokenizes and indexes the
 * bill keys (which line ends each bill), so the second pass knows when a
 * bill is complete even when its lines are not together, and never hands
 * over a bill that has a bad line further down.  With all_or_nothing a
 * validating pass (the sink in dry mode) comes before the committing one,
 * so that nothing is committed from a file that has any problem. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "adapters/csv.h"
#include "lib/bill.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

#define BATCH_BILLS	500
#define BATCH_FEES	2000	/* and in fee lines: a batch's bills, the one
				 * the sink is writing and the one queued
				 * must fit the agent's 16 MB (bench/ingest
				 * shows the peak) */
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000
#define MAX_NOTES	100
#define MAX_KEYS	8

/* --- the canonical fields and how a column becomes one ------------------- */

enum fkind {
	K_STR,		/* text, trimmed */
	K_CODE,		/* an identifier Excel may have mangled */
	K_ID,		/* as K_CODE, normalised with hg_norm_id */
	K_GEND,
	K_TIME,
	K_QTY,
	K_PRICE,
	K_AMOUNT,
};

enum {
	F_IPT_NO, F_PSN_NAME, F_GEND, F_PSN_CERT_TYPE, F_CERTNO, F_CARD_NO,
	F_INSUTYPE, F_INSUPLC_ADMDVS, F_MDTRT_ID, F_BEGNTIME, F_ENDTIME,
	F_DIAG_CODE, F_DIAG_NAME, F_DEPT_CODG, F_DEPT_NAME, F_ATDDR_NO,
	F_CHFPDR_NAME, F_MEDFEE_SUMAMT,
	/* fee-level from here on */
	F_FEEDETL_SN, F_INIT_FEEDETL_SN, F_FEE_OCUR_TIME, F_MEDINS_LIST_CODG,
	F_NAME, F_SPEC, F_UNIT, F_CNT, F_PRIC, F_DET_ITEM_FEE_SUMAMT,
	F_MED_LIST_CODG, F_CATEGORY, F_BILG_DEPT_CODG, F_BILG_DEPT_NAME,
	F_BILG_DR_CODG, F_BILG_DR_NAME,
	F_N
};

#define FEE_LEVEL(f)	((f) >= F_FEEDETL_SN)

static const struct field {
	const char *name;	/* canonical, as in lib/bill_json.c */
	const char *header;	/* default header (his-side.md §6a), or NULL */
	enum fkind kind;
	int	 required;	/* the default header must be in the file */
} fields[F_N] = {
	[F_IPT_NO] = { "ipt_no", "住院号", K_CODE, 1 },
	[F_PSN_NAME] = { "psn_name", "姓名", K_STR, 1 },
	[F_GEND] = { "gend", "性别", K_GEND, 0 },
	[F_PSN_CERT_TYPE] = { "psn_cert_type", NULL, K_CODE, 0 },
	[F_CERTNO] = { "certno", "身份证号", K_ID, 1 },
	[F_CARD_NO] = { "card_no", "医保卡号", K_ID, 0 },
	[F_INSUTYPE] = { "insutype", NULL, K_CODE, 0 },
	[F_INSUPLC_ADMDVS] = { "insuplc_admdvs", NULL, K_CODE, 0 },
	[F_MDTRT_ID] = { "mdtrt_id", NULL, K_CODE, 0 },
	[F_BEGNTIME] = { "begntime", "入院时间", K_TIME, 1 },
	[F_ENDTIME] = { "endtime", "出院时间", K_TIME, 1 },
	[F_DIAG_CODE] = { "diag_code", "主要诊断编码", K_CODE, 0 },
	[F_DIAG_NAME] = { "diag_name", "主要诊断名称", K_STR, 0 },
	[F_DEPT_CODG] = { "dept_codg", "科室编码", K_CODE, 0 },
	[F_DEPT_NAME] = { "dept_name", "科室名称", K_STR, 0 },
	[F_ATDDR_NO] = { "atddr_no", NULL, K_CODE, 0 },
	[F_CHFPDR_NAME] = { "chfpdr_name", NULL, K_STR, 0 },
	[F_MEDFEE_SUMAMT] = { "medfee_sumamt", "医疗费总额", K_AMOUNT, 0 },
	[F_FEEDETL_SN] = { "feedetl_sn", "明细序号", K_CODE, 1 },
	[F_INIT_FEEDETL_SN] = { "init_feedetl_sn", "原明细序号", K_CODE, 0 },
	[F_FEE_OCUR_TIME] = { "fee_ocur_time", "费用时间", K_TIME, 1 },
	[F_MEDINS_LIST_CODG] = { "medins_list_codg", "院内项目编码", K_CODE,
	    1 },
	[F_NAME] = { "name", "项目名称", K_STR, 1 },
	[F_SPEC] = { "spec", "规格", K_STR, 0 },
	[F_UNIT] = { "unit", "单位", K_STR, 0 },
	[F_CNT] = { "cnt", "数量", K_QTY, 1 },
	[F_PRIC] = { "pric", "单价", K_PRICE, 1 },
	[F_DET_ITEM_FEE_SUMAMT] = { "det_item_fee_sumamt", "金额", K_AMOUNT,
	    1 },
	[F_MED_LIST_CODG] = { "med_list_codg", "医保目录编码", K_CODE, 0 },
	[F_CATEGORY] = { "category", "收费类别", K_STR, 0 },
	[F_BILG_DEPT_CODG] = { "bilg_dept_codg", NULL, K_CODE, 0 },
	[F_BILG_DEPT_NAME] = { "bilg_dept_name", NULL, K_STR, 0 },
	[F_BILG_DR_CODG] = { "bilg_dr_codg", NULL, K_CODE, 0 },
	[F_BILG_DR_NAME] = { "bilg_dr_name", NULL, K_STR, 0 },
};

static int
field_index(const char *name)
{
	int f;

	for (f = 0; f < F_N; f++)
		if (strcmp(fields[f].name, name) == 0)
			return f;
	return -1;
}

/* --- configuration ------------------------------------------------------- */

struct csvdrop_conf {
	char	*dir;
	char	*done_dir;
	char	*rejected_dir;
	char	*pattern;
	char	*encoding;
	char	*fallback_encoding;
	char	*delimiter;
	char	*quote;
	int	 header;
	int64_t	 skip_lines;
	struct hg_kvlist columns;
	struct hg_strlist key;
	char	*complete;
	int64_t	 stable_seconds;
	char	*marker_suffix;
	int64_t	 rescan_seconds;
	int	 all_or_nothing;
	int64_t	 max_file_mb;
};

static const char *const encodings[] = { "auto", "GB18030", "GBK", "UTF-8",
	"UTF-16LE", NULL };
static const char *const fallbacks[] = { "GB18030", "GBK", "UTF-8", NULL };
static const char *const completes[] = { "stable", "marker", "rename",
	NULL };

#define C(f) offsetof(struct csvdrop_conf, f)
static const struct hg_conf_key csvdrop_keys[] = {
	{ "dir", HG_CT_STR, NULL, 0, 0, C(dir),
	  "the drop directory the HIS writes exports into (created if "
	  "missing; relative to the adapter file)", NULL, 1 },
	{ "done_dir", HG_CT_STR, "<dir>/done", 0, 0, C(done_dir),
	  "where committed files go (same file system as dir)", NULL, 0 },
	{ "rejected_dir", HG_CT_STR, "<dir>/rejected", 0, 0, C(rejected_dir),
	  "where files with problems go, each with NAME.err beside it",
	  NULL, 0 },
	{ "pattern", HG_CT_STR, "*.csv,*.txt", 0, 0, C(pattern),
	  "comma-separated file name patterns (fnmatch, case-insensitive); "
	  "names starting with '.' are never read", NULL, 0 },
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
	{ "header", HG_CT_BOOL, "true", 0, 0, C(header),
	  "the first line (after skip_lines) names the columns", NULL, 0 },
	{ "skip_lines", HG_CT_INT, "0", 0, 1000, C(skip_lines),
	  "lines to ignore at the top (report titles)", NULL, 0 },
	{ "columns", HG_CT_MAP, NULL, 0, 0, C(columns),
	  "canonical field = \"header name\" or column number (1-based); "
	  "merged over the default Chinese headers (住院号, 姓名, 身份证号, "
	  "...); \"\" drops a default", NULL, 0 },
	{ "key", HG_CT_LIST, "ipt_no,begntime", 0, 0, C(key),
	  "canonical fields whose values group lines into one bill", NULL,
	  0 },
	{ "complete", HG_CT_ENUM, "stable", 0, 0, C(complete),
	  "when a file is complete: stable (size and mtime unchanged for "
	  "stable_seconds), marker (NAME + marker_suffix exists) or rename "
	  "(it was renamed into dir)", completes, 0 },
	{ "stable_seconds", HG_CT_INT, "2", 0, 3600, C(stable_seconds),
	  "how long a file must stay unchanged (complete = stable)", NULL,
	  0 },
	{ "marker_suffix", HG_CT_STR, ".ok", 0, 0, C(marker_suffix),
	  "marker file suffix (complete = marker); the marker moves along "
	  "with its file", NULL, 0 },
	{ "rescan_seconds", HG_CT_INT, "5", 1, 3600, C(rescan_seconds),
	  "directory rescan interval, a fallback to inotify", NULL, 0 },
	{ "all_or_nothing", HG_CT_BOOL, "false", 0, 0, C(all_or_nothing),
	  "any problem rejects the whole file and none of its bills is "
	  "committed", NULL, 0 },
	{ "max_file_mb", HG_CT_INT, "1024", 1, 1048576, C(max_file_mb),
	  "larger files are rejected unread", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef C

enum complete_mode { CM_STABLE, CM_MARKER, CM_RENAME };

/* Where a canonical field comes from: a header name or a column number. */
struct colspec {
	char	*name;		/* NULL: by number, or not mapped */
	int	 num;		/* 1-based, 0 = by name */
	int	 explicit;	/* given in columns = { }, so must exist */
};

/* What the configuration says, checked and resolved. */
struct compiled {
	char	*dir, *done_dir, *rejected_dir;
	int	 delim, quote;
	enum complete_mode mode;
	struct colspec spec[F_N];
	int	 keyf[MAX_KEYS];
	size_t	 nkey;
	char	**pat;
	size_t	 npat;
};

/* A file in dir, as last seen. */
struct seen {
	char	*name;
	off_t	 size;
	struct timespec mtime;
	int64_t	 since_ms;	/* first seen with this size and mtime */
	int	 renamed;	/* arrived by rename (IN_MOVED_TO) */
	int	 preexisting;	/* there before we watched: no event */
	int	 present;
	int64_t	 retry_ms;	/* not before (after a failure) */
	int64_t	 backoff_ms;
};

struct csvdrop {
	struct compiled cc;
	int	 ino_fd;
	int	 ino_wd;
	int	 need_scan;
	int	 pending;	/* files seen but not complete, or waiting */
	int64_t	 sink_retry_ms;	/* the sink refused: not before this */
	int64_t	 sink_backoff_ms;
	int64_t	 next_scan_ms;
	struct seen *seen;
	size_t	 nseen;
	struct hg_complain c_commit;
	struct hg_complain c_file;
};

static void
compiled_free(struct compiled *cc)
{
	size_t i;
	int f;

	free(cc->dir);
	free(cc->done_dir);
	free(cc->rejected_dir);
	for (f = 0; f < F_N; f++)
		free(cc->spec[f].name);
	for (i = 0; i < cc->npat; i++)
		free(cc->pat[i]);
	free(cc->pat);
	memset(cc, 0, sizeof *cc);
}

/* Relative paths are relative to the adapter file, as in hisgate.conf. */
static char *
resolve(const char *path, const char *conf_file)
{
	char *copy, *d, *out;

	if (path[0] == '/' || conf_file == NULL)
		return hg_xstrdup(path);
	copy = hg_xstrdup(conf_file);
	d = dirname(copy);
	out = strcmp(d, ".") == 0 ? hg_xstrdup(path) :
	    hg_xasprintf("%s/%s", d, path);
	free(copy);
	return out;
}

static char *
sub_dir(const char *value, const char *dir, const char *conf_file)
{
	if (strncmp(value, "<dir>", 5) == 0)
		return hg_xasprintf("%s%s", dir, value + 5);
	return resolve(value, conf_file);
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

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Check and resolve the configuration.  Returns the number of problems
 * added to errs. */
static int
compile(struct hg_adapter *a, struct compiled *cc, struct hg_conf_errs *errs,
    int line)
{
	struct csvdrop_conf *c = a->conf;
	const char *file = a->conf_file ? a->conf_file : a->name;
	const char *p, *e;
	size_t i, j;
	int bad = 0, f, given[F_N] = { 0 };

	memset(cc, 0, sizeof *cc);
	if (c->dir == NULL || c->dir[0] == '\0') {
		hg_conf_errs_add(errs, file, line, "dir: missing, expected the "
		    "drop directory");
		return 1;
	}
	if (c->done_dir[0] == '\0' || c->rejected_dir[0] == '\0') {
		hg_conf_errs_add(errs, file, line, "done_dir and rejected_dir "
		    "must not be empty (defaults: <dir>/done, <dir>/rejected)");
		return 1;
	}
	cc->dir = resolve(c->dir, a->conf_file);
	cc->done_dir = sub_dir(c->done_dir, cc->dir, a->conf_file);
	cc->rejected_dir = sub_dir(c->rejected_dir, cc->dir, a->conf_file);
	if (strcmp(cc->done_dir, cc->dir) == 0 ||
	    strcmp(cc->rejected_dir, cc->dir) == 0 ||
	    strcmp(cc->done_dir, cc->rejected_dir) == 0) {
		hg_conf_errs_add(errs, file, line, "dir, done_dir and "
		    "rejected_dir must be three different directories");
		bad++;
	}
	if (one_char(c->delimiter, &cc->delim) < 0 || cc->delim == '\n' ||
	    cc->delim == '\r') {
		hg_conf_errs_add(errs, file, line, "delimiter: \"%s\" is not "
		    "one character (expected \",\", \"\\t\", \"|\", \";\" ...)",
		    c->delimiter);
		bad++;
	}
	if (c->quote[0] == '\0')
		cc->quote = 0;
	else if (one_char(c->quote, &cc->quote) < 0 ||
	    cc->quote == cc->delim) {
		hg_conf_errs_add(errs, file, line, "quote: \"%s\" is not one "
		    "character other than the delimiter (expected \"\\\"\" or "
		    "\"\" for none)", c->quote);
		bad++;
	}
	cc->mode = strcmp(c->complete, "marker") == 0 ? CM_MARKER :
	    strcmp(c->complete, "rename") == 0 ? CM_RENAME : CM_STABLE;
	if (cc->mode == CM_MARKER && c->marker_suffix[0] == '\0') {
		hg_conf_errs_add(errs, file, line, "marker_suffix: empty, "
		    "expected a suffix like \".ok\" (complete = \"marker\")");
		bad++;
	}
	for (p = c->pattern; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		while (p < e && *p == ' ')
			p++;
		if (p == e)
			continue;
		cc->pat = hg_xrealloc(cc->pat, cc->npat + 1, sizeof *cc->pat);
		cc->pat[cc->npat++] = hg_xstrndup(p, (size_t)(e - p));
	}
	if (cc->npat == 0) {
		hg_conf_errs_add(errs, file, line, "pattern: empty, expected "
		    "file name patterns like \"*.csv,*.txt\"");
		bad++;
	}

	/* the default map, then the configured entries over it */
	for (f = 0; f < F_N; f++)
		if (fields[f].header != NULL && c->header)
			cc->spec[f].name = hg_xstrdup(fields[f].header);
	for (i = 0; i < c->columns.n; i++) {
		const struct hg_kv *kv = &c->columns.v[i];

		f = field_index(kv->key);
		if (f < 0) {
			hg_conf_errs_add(errs, file, kv->line, "columns: "
			    "\"%s\" is not a canonical field name (expected "
			    "one of ipt_no, psn_name, certno, begntime, "
			    "feedetl_sn, cnt, pric, det_item_fee_sumamt, ...)",
			    kv->key);
			bad++;
			continue;
		}
		hg_sfree(cc->spec[f].name);
		cc->spec[f].num = 0;
		cc->spec[f].explicit = kv->value[0] != '\0';
		given[f] = 1;
		if (all_digits(kv->value)) {
			cc->spec[f].num = atoi(kv->value);
			if (cc->spec[f].num < 1 || cc->spec[f].num > 10000) {
				hg_conf_errs_add(errs, file, kv->line,
				    "columns.%s: column %s is out of range, "
				    "expected 1 to 10000", kv->key, kv->value);
				bad++;
			}
		} else if (kv->value[0] != '\0') {
			if (!c->header) {
				hg_conf_errs_add(errs, file, kv->line,
				    "columns.%s: \"%s\" is a header name, but "
				    "header = false: give the column number",
				    kv->key, kv->value);
				bad++;
			}
			cc->spec[f].name = hg_xstrdup(kv->value);
		}
	}
	if (!c->header)
		for (f = 0; f < F_N; f++)
			if (fields[f].required && cc->spec[f].num == 0 &&
			    !given[f]) {
				hg_conf_errs_add(errs, file, line, "columns.%s: "
				    "header = false, so every column needs its "
				    "number (or \"\" to leave %s out)",
				    fields[f].name, fields[f].name);
				bad++;
			}

	if (c->key.n == 0 || c->key.n > MAX_KEYS) {
		hg_conf_errs_add(errs, file, line, "key: expected 1 to %d "
		    "canonical fields, like [\"ipt_no\", \"begntime\"]",
		    MAX_KEYS);
		return bad + 1;
	}
	for (i = 0; i < c->key.n; i++) {
		f = field_index(c->key.v[i]);
		if (f < 0 || FEE_LEVEL(f)) {
			hg_conf_errs_add(errs, file, line, "key: \"%s\" is not "
			    "a bill-level canonical field (expected e.g. "
			    "ipt_no, begntime, certno, mdtrt_id)",
			    c->key.v[i]);
			bad++;
			continue;
		}
		if (cc->spec[f].name == NULL && cc->spec[f].num == 0) {
			hg_conf_errs_add(errs, file, line, "key: \"%s\" has no "
			    "column; map it in columns = { %s = ...; }",
			    c->key.v[i], c->key.v[i]);
			bad++;
			continue;
		}
		for (j = 0; j < cc->nkey; j++)
			if (cc->keyf[j] == f)
				break;
		if (j == cc->nkey)
			cc->keyf[cc->nkey++] = f;
	}
	return bad;
}

/* --- problems and the .err file ------------------------------------------ */

enum pass_mode { P_SCAN, P_VALIDATE, P_COMMIT };

/* An entry of the key index: which line ends each bill. */
struct keyent {
	uint64_t h;		/* 0 = empty slot */
	int	 last_line;
	int	 split;		/* its lines are not all together */
	struct obill *open;	/* pass 2: the bill being built */
};

/* A bill being assembled. */
struct obill {
	struct hg_bill *b;
	char	*key;
	uint64_t h;
	int	 first_line, last_line;
	int	 bad;		/* a line failed: not handed over */
	char	*head[F_MEDFEE_SUMAMT + 1];	/* the first line's values */
	int	 head_bad[F_MEDFEE_SUMAMT + 1];
};

/* One line, parsed.  Values point into the tokenizer's buffer or into
 * the row's own buffers, valid until the next record. */
struct row {
	int	 line;
	const char *v[F_N];	/* NULL = absent or empty */
	int	 bad[F_N];
	int64_t	 num[F_N];
	char	 tbuf[3][HG_TIMELEN];
	char	 nbuf[4][HG_DECBUF];
	int	 record_bad;	/* width, NUL, unterminated quote */
	int	 nproblems;
	char	*key;		/* built by row_key (owned by the file) */
};

struct file {
	struct hg_adapter *a;
	struct csvdrop *cd;
	const char *name;
	char	*path;
	int	 fd;
	struct stat st;
	enum pass_mode mode;
	int	 dry;
	/* columns of this file */
	int	 col[F_N];	/* 0-based, -1 = not in this file */
	int	 order[F_N];	/* mapped fields by column, for messages */
	int	 norder;
	int	 width;		/* expected fields per line, 0 = unknown */
	int	 width_from_header;
	const char *enc;
	/* problems */
	FILE	*errf;
	char	*errtmp;
	size_t	 nproblems;
	char	**notes;
	size_t	 nnotes, nsummary;
	int	 fatal;		/* nothing can be read from this file */
	/* the key index (pass 1) */
	struct keyent *tab;
	size_t	 tabcap, tabn;
	uint64_t cur_h;
	char	*prevkey;
	char	*prevk0;
	char	*keybuf;
	size_t	 keycap;
	/* pass 2 */
	struct obill *cur;
	struct hg_bill **batch;
	size_t	 nbatch, batch_fees;
	size_t	 nbills, ncommitted, ninvalid, nwithheld;
	int	 failed;	/* the sink refused: leave the file */
	int	 changed;	/* rewritten while we read it */
	struct hg_err err;
};

static void problem(struct file *fl, int line, int col, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct file *fl, int line, int col, const char *field,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fl->nproblems++;
	if (fl->dry) {
		/* `hisgate adapter test` prints bills and verdicts; lines
		 * that never became a bill are only visible here */
		log_warn(fl->a->name, "%s:%d:%d: %s: %s", fl->name, line, col,
		    field, msg);
		return;
	}
	if (fl->errf == NULL) {
		fl->errtmp = hg_xasprintf("%s/.tmp-%s.err-XXXXXX",
		    fl->cd->cc.rejected_dir, fl->name);
		fd = mkstemp(fl->errtmp);
		if (fd < 0 || (fl->errf = fdopen(fd, "w")) == NULL) {
			hg_log_errno(HG_LOG_ERR, fl->a->name, "%s", fl->errtmp);
			if (fd >= 0)
				close(fd);
			hg_sfree(fl->errtmp);
			return;
		}
	}
	fprintf(fl->errf, "%d:%d: %s: %s\n", line, col, field, msg);
}

/* Notes (skipped summary rows) go into the .err only when the file has
 * problems anyway. */
static void
note(struct file *fl, int line, int col, const char *field, const char *msg)
{
	fl->nsummary++;
	if (fl->nnotes >= MAX_NOTES)
		return;
	fl->notes = hg_xrealloc(fl->notes, fl->nnotes + 1, sizeof *fl->notes);
	fl->notes[fl->nnotes++] = hg_xasprintf("%d:%d: %s: note: %s", line,
	    col, field, msg);
}

/* hg_time_parse and hg_dec_parse start their messages with the field. */
static const char *
strip_field(const char *msg, const char *field)
{
	size_t n = strlen(field);

	if (strncmp(msg, field, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

/* --- the key index ------------------------------------------------------- */

static uint64_t
hash64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

static struct keyent *
tab_find(struct file *fl, uint64_t h, int add)
{
	size_t i, mask;
	struct keyent *old;
	size_t oldcap, k;

	if (add && (fl->tabn + 1) * 4 > fl->tabcap * 3) {
		old = fl->tab;
		oldcap = fl->tabcap;
		fl->tabcap = oldcap ? oldcap * 2 : 1024;
		fl->tab = hg_xcalloc(fl->tabcap, sizeof *fl->tab);
		fl->tabn = 0;
		for (k = 0; k < oldcap; k++)
			if (old[k].h != 0) {
				struct keyent *e = tab_find(fl, old[k].h, 1);
				*e = old[k];
			}
		free(old);
	}
	if (fl->tabcap == 0)
		return NULL;
	mask = fl->tabcap - 1;
	for (i = (size_t)h & mask; fl->tab[i].h != 0; i = (i + 1) & mask)
		if (fl->tab[i].h == h)
			return &fl->tab[i];
	if (!add)
		return NULL;
	fl->tab[i].h = h;
	fl->tabn++;
	return &fl->tab[i];
}

/* --- lines --------------------------------------------------------------- */

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

/* "1.10105E+17": what Excel shows for a long number in a General cell. */
static int
scientific(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	s++;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s != 'E' && *s != 'e')
		return 0;
	s++;
	if (*s == '+' || *s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

static const char *
gender_code(const char *s)
{
	static const struct {
		const char *text, *code;
	} map[] = {
		{ "男", "1" }, { "男性", "1" }, { "M", "1" }, { "m", "1" },
		{ "女", "2" }, { "女性", "2" }, { "F", "2" }, { "f", "2" },
		{ "未知", "0" }, { "未说明", "9" },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(s, map[i].text) == 0)
			return map[i].code;
	return s;
}

static int
is_summary(const char *s)
{
	return strncmp(s, "合计", 6) == 0 || strncmp(s, "总计", 6) == 0 ||
	    strncmp(s, "小计", 6) == 0;
}

static int
is_key_field(const struct compiled *cc, int f)
{
	size_t i;

	for (i = 0; i < cc->nkey; i++)
		if (cc->keyf[i] == f)
			return 1;
	return 0;
}

/* Check the record's shape.  Returns 0 when its fields can be trusted to
 * be where the header says. */
static int
check_record(struct file *fl, const struct hg_csv_rec *rec, int report)
{
	size_t i;
	int bad = 0;

	if (rec->flags & HG_CSV_NUL) {
		if (report)
			problem(fl, rec->line, 0, "record", "NUL bytes in the "
			    "line (a damaged file?)");
		bad = 1;
	}
	if (rec->flags & HG_CSV_TOOLONG) {
		if (report)
			problem(fl, rec->line, 0, "record", "longer than %d "
			    "bytes, cut (an unbalanced quote?)",
			    HG_CSV_MAXREC);
		bad = 1;
	}
	if (rec->flags & HG_CSV_UNTERMINATED) {
		if (report)
			problem(fl, rec->field_line[rec->nfields - 1],
			    (int)rec->nfields, "record", "quoted field is "
			    "not closed before the end of the file (expected "
			    "a closing quote)");
		bad = 1;
	}
	if (fl->width == 0 || (int)rec->nfields == fl->width || bad)
		return bad;
	if ((int)rec->nfields > fl->width) {
		/* Excel pads lines with empty cells; only text counts */
		for (i = (size_t)fl->width; i < rec->nfields; i++)
			if (!is_blank(rec->field[i]))
				break;
		if (i == rec->nfields)
			return 0;
		if (report)
			problem(fl, rec->line, fl->width + 1, "record", "%zu "
			    "fields, expected %d as %s (a delimiter inside an "
			    "unquoted field?)", rec->nfields, fl->width,
			    fl->width_from_header ? "in the header" :
			    "on the first line");
		return 1;
	}
	if (report)
		problem(fl, rec->line, (int)rec->nfields + 1, "record", "%zu "
		    "fields, expected %d as %s", rec->nfields, fl->width,
		    fl->width_from_header ? "in the header" :
		    "on the first line");
	return 1;
}

/* Normalise the mapped fields of one record into *r.  With keys_only only
 * the key fields are looked at (the first pass). */
static void
parse_row(struct file *fl, struct hg_csv_rec *rec, struct row *r,
    int report, int keys_only)
{
	const struct compiled *cc = &fl->cd->cc;
	struct hg_err err;
	int i, f, c, nt = 0, nn = 0, key;
	char *s;

	memset(r->v, 0, sizeof r->v);
	memset(r->bad, 0, sizeof r->bad);
	r->line = rec->line;
	r->nproblems = 0;
	r->record_bad = check_record(fl, rec, report);
	if (r->record_bad) {
		/* its fields are not where the header says: one problem
		 * for the line, not one per misplaced field; the keys are
		 * still read, quietly, to find the line's bill */
		r->nproblems++;
		report = 0;
		keys_only = 1;
	}
	for (i = 0; i < fl->norder; i++) {
		f = fl->order[i];
		c = fl->col[f];
		key = is_key_field(cc, f);
		if (keys_only && !key)
			continue;
		if (c >= (int)rec->nfields) {
			/* a short line, already reported */
			r->bad[f] = 1;
			continue;
		}
		s = hg_trim(rec->field[c]);
		if (hg_has_replacement(s)) {
			if (report)
				problem(fl, rec->field_line[c], c + 1,
				    fields[f].name, "invalid %s byte sequence",
				    fl->enc);
			r->bad[f] = 1;
			r->v[f] = s;
			r->nproblems++;
			continue;
		}
		if (*s == '\0') {
			if (key) {
				if (report)
					problem(fl, rec->field_line[c], c + 1,
					    fields[f].name, "empty, expected a "
					    "value (it is part of the bill "
					    "key)");
				r->bad[f] = 1;
				r->nproblems++;
				continue;
			}
			/* an empty amount or quantity is an error; other
			 * empty fields are the validator's to judge */
			if (fields[f].kind != K_QTY &&
			    fields[f].kind != K_PRICE &&
			    (fields[f].kind != K_AMOUNT ||
			    f == F_MEDFEE_SUMAMT))
				continue;
		}
		switch (fields[f].kind) {
		case K_STR:
			r->v[f] = s;
			break;
		case K_ID:
			hg_norm_id(s);
			/* FALLTHROUGH */
		case K_CODE:
			r->v[f] = s;
			if (scientific(s)) {
				if (report)
					problem(fl, rec->field_line[c], c + 1,
					    fields[f].name, "\"%s\" looks "
					    "damaged by Excel (scientific "
					    "notation); expected the full "
					    "number, exported as text", s);
				r->bad[f] = 1;
				r->nproblems++;
			}
			break;
		case K_GEND:
			r->v[f] = gender_code(s);
			break;
		case K_TIME:
			if (hg_time_parse(fields[f].name, s, r->tbuf[nt],
			    &err) < 0) {
				if (report)
					problem(fl, rec->field_line[c], c + 1,
					    fields[f].name, "%s",
					    strip_field(err.msg,
					    fields[f].name));
				r->bad[f] = 1;
				r->v[f] = s;
				r->nproblems++;
				break;
			}
			r->v[f] = r->tbuf[nt++];
			break;
		case K_QTY:
		case K_PRICE:
		case K_AMOUNT: {
			int scale = fields[f].kind == K_QTY ? HG_SCALE_QTY :
			    fields[f].kind == K_PRICE ? HG_SCALE_PRICE :
			    HG_SCALE_FEN;

			if (hg_dec_parse(fields[f].name, s, scale, &r->num[f],
			    &err) < 0) {
				if (report)
					problem(fl, rec->field_line[c], c + 1,
					    fields[f].name, "%s",
					    strip_field(err.msg,
					    fields[f].name));
				r->bad[f] = 1;
				r->v[f] = s;
				r->nproblems++;
				break;
			}
			r->v[f] = hg_dec_format(r->num[f], scale,
			    r->nbuf[nn++]);
			break;
		}
		}
	}
}

static void
keybuf_set(struct file *fl, const char *s, size_t n)
{
	if (n + 1 > fl->keycap) {
		fl->keycap = n + 64;
		fl->keybuf = hg_xrealloc(fl->keybuf, fl->keycap, 1);
	}
	memcpy(fl->keybuf, s, n);
	fl->keybuf[n] = '\0';
}

static void
keybuf_add(struct file *fl, const char *s)
{
	size_t have = strlen(fl->keybuf), n = strlen(s);

	if (have + n + 1 > fl->keycap) {
		fl->keycap = (have + n) * 2 + 64;
		fl->keybuf = hg_xrealloc(fl->keybuf, fl->keycap, 1);
	}
	memcpy(fl->keybuf + have, s, n + 1);
}

/* The bill key of a line: its key values joined with "|".  A line whose
 * key cannot be trusted (empty or unparseable key field, broken record)
 * belongs to the bill of the line before it when the first key field
 * agrees or is empty: lines of a bill come together in practice, and
 * attaching a bad line to its bill keeps that bill from being handed
 * over without it.  Pass 1 and pass 2 call this in the same order, so
 * they agree. */
static const char *
row_key(struct file *fl, const struct row *r)
{
	const struct compiled *cc = &fl->cd->cc;
	const char *k0 = r->v[cc->keyf[0]] ? r->v[cc->keyf[0]] : "";
	size_t i;
	int ok = 1;

	for (i = 0; i < cc->nkey; i++)
		if (r->bad[cc->keyf[i]] || r->v[cc->keyf[i]] == NULL)
			ok = 0;
	if ((!ok || r->record_bad) && fl->prevkey != NULL && (*k0 == '\0' ||
	    (fl->prevk0 != NULL && strcmp(k0, fl->prevk0) == 0)))
		return fl->prevkey;
	/* a key that did not parse is kept apart from every good key */
	keybuf_set(fl, "\x01", ok ? 0 : 1);
	for (i = 0; i < cc->nkey; i++) {
		if (i > 0)
			keybuf_add(fl, "|");
		keybuf_add(fl, r->v[cc->keyf[i]] ? r->v[cc->keyf[i]] : "");
	}
	free(fl->prevkey);
	fl->prevkey = hg_xstrdup(fl->keybuf);
	if (*k0 != '\0') {
		free(fl->prevk0);
		fl->prevk0 = hg_xstrdup(k0);
	}
	return fl->prevkey;
}

/* --- reading a file ------------------------------------------------------ */

static int
open_reader(struct file *fl, struct hg_csv_reader **out, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;
	struct hg_csv_ropts o;

	if (lseek(fl->fd, 0, SEEK_SET) < 0)
		return hg_failt(err, "%s: %s", fl->path, strerror(errno));
	memset(&o, 0, sizeof o);
	o.encoding = c->encoding;
	o.fallback = c->fallback_encoding;
	o.delim = fl->cd->cc.delim;
	o.quote = fl->cd->cc.quote;
	o.utf16_tab = 1;
	*out = hg_csv_reader_new(fl->fd, &o, err);
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

/* Map the configured columns onto this file's header. */
static void
map_header(struct file *fl, struct hg_csv_rec *rec)
{
	const struct compiled *cc = &fl->cd->cc;
	static const char cands[] = ",\t;|";
	char b1[8], b2[8];
	size_t i;
	int f, k, found, dup;
	const char *d;

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
			if (*d != cc->delim && strchr(rec->field[0], *d))
				break;
		if (*d != '\0') {
			problem(fl, rec->line, 1, "header", "no %s in the "
			    "header line; the file seems to use %s (set "
			    "delimiter = \"%s\")", delim_name(cc->delim, b1),
			    delim_name(*d, b2), *d == '\t' ? "\\t" :
			    (char[]){ *d, '\0' });
			fl->fatal = 1;
			return;
		}
	}
	for (f = 0; f < F_N; f++) {
		fl->col[f] = -1;
		if (cc->spec[f].num > 0) {
			if (cc->spec[f].num > (int)rec->nfields) {
				problem(fl, rec->line, 0, fields[f].name,
				    "column %d is beyond the header's %zu "
				    "columns", cc->spec[f].num, rec->nfields);
				fl->fatal = 1;
				continue;
			}
			fl->col[f] = cc->spec[f].num - 1;
			continue;
		}
		if (cc->spec[f].name == NULL)
			continue;
		found = dup = -1;
		for (i = 0; i < rec->nfields; i++) {
			if (strcasecmp(rec->field[i], cc->spec[f].name) != 0)
				continue;
			if (found < 0)
				found = (int)i;
			else if (dup < 0)
				dup = (int)i;
		}
		if (found < 0) {
			if (cc->spec[f].explicit || fields[f].required ||
			    is_key_field(cc, f)) {
				problem(fl, rec->line, 0, fields[f].name,
				    "column \"%s\" not found in the header",
				    cc->spec[f].name);
				fl->fatal = 1;
			}
			continue;
		}
		if (dup >= 0) {
			problem(fl, rec->line, dup + 1, fields[f].name,
			    "column \"%s\" is in the header twice (columns "
			    "%d and %d); map it by number", cc->spec[f].name,
			    found + 1, dup + 1);
			fl->fatal = 1;
			continue;
		}
		fl->col[f] = found;
	}
	/* messages come out in column order */
	fl->norder = 0;
	for (f = 0; f < F_N; f++) {
		if (fl->col[f] < 0)
			continue;
		for (k = fl->norder; k > 0 &&
		    fl->col[fl->order[k - 1]] > fl->col[f]; k--)
			fl->order[k] = fl->order[k - 1];
		fl->order[k] = f;
		fl->norder++;
	}
}

static void
map_numbers(struct file *fl)
{
	const struct compiled *cc = &fl->cd->cc;
	int f, k;

	fl->norder = 0;
	for (f = 0; f < F_N; f++) {
		fl->col[f] = cc->spec[f].num > 0 ? cc->spec[f].num - 1 : -1;
		if (fl->col[f] < 0)
			continue;
		for (k = fl->norder; k > 0 &&
		    fl->col[fl->order[k - 1]] > fl->col[f]; k--)
			fl->order[k] = fl->order[k - 1];
		fl->order[k] = f;
		fl->norder++;
	}
}

/* Data records of the file, one at a time: skips the top lines, the
 * header (mapping it), blank lines and summary rows.  Returns 1 with a
 * record, 0 at the end, -1 on a read error. */
struct cursor {
	struct hg_csv_reader *rd;
	int	 header_done;
	int	 nrecords;	/* any record at all, blank or not */
	int	 ndata;
	int	 first;
};

static int
next_data(struct file *fl, struct cursor *cu, struct hg_csv_rec *rec,
    int pass, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;
	const char *why;
	const char *k0;
	int rc, c0;

	for (;;) {
		rc = hg_csv_reader_next(cu->rd, rec, err);
		if (rc <= 0)
			return rc;
		if (!cu->first) {
			cu->first = 1;
			fl->enc = hg_csv_reader_encoding(cu->rd);
			if (pass == 1 && hg_csv_reader_binary(cu->rd, &why)) {
				problem(fl, 0, 0, "file", "not a text file "
				    "(%s); expected CSV or TXT text", why);
				fl->fatal = 1;
				return 0;
			}
		}
		if (rec->line <= c->skip_lines || record_blank(rec))
			continue;
		cu->nrecords++;
		if (c->header && !cu->header_done) {
			cu->header_done = 1;
			if (pass == 1)
				map_header(fl, rec);
			if (fl->fatal)
				return 0;
			continue;
		}
		if (!c->header && fl->width == 0) {
			fl->width = (int)rec->nfields;
			fl->width_from_header = 0;
		}
		c0 = fl->col[fl->cd->cc.keyf[0]];
		if (c0 >= 0 && c0 < (int)rec->nfields) {
			k0 = hg_trim(rec->field[c0]);
			if (is_summary(k0)) {
				if (pass == 2) {
					char msg[128];

					snprintf(msg, sizeof msg, "summary row "
					    "\"%.60s\" skipped", k0);
					note(fl, rec->line, c0 + 1,
					    fields[fl->cd->cc.keyf[0]].name,
					    msg);
				}
				continue;
			}
		}
		cu->ndata++;
		return 1;
	}
}

/* Pass 1: the header, file-level problems and the key index. */
static int
scan_pass(struct file *fl, struct hg_err *err)
{
	struct hg_csv_rec rec;
	struct cursor cu;
	struct row r;
	struct keyent *e;
	const char *key;
	uint64_t h;
	int rc;

	memset(&cu, 0, sizeof cu);
	if (open_reader(fl, &cu.rd, err) < 0)
		return -1;
	if (!((struct csvdrop_conf *)fl->a->conf)->header)
		map_numbers(fl);
	while ((rc = next_data(fl, &cu, &rec, 1, err)) == 1) {
		parse_row(fl, &rec, &r, 0, 1);
		key = row_key(fl, &r);
		h = hash64(key);
		if (h != fl->cur_h) {
			e = tab_find(fl, h, 0);
			if (e != NULL)
				e->split = 1;	/* seen before, elsewhere */
			else
				e = tab_find(fl, h, 1);
			fl->cur_h = h;
		} else {
			e = tab_find(fl, h, 0);
		}
		e->last_line = rec.line;
	}
	hg_csv_reader_free(cu.rd);
	if (rc < 0)
		return -1;
	if (fl->fatal)
		return 0;
	if (cu.ndata == 0) {
		if (cu.nrecords == 0)
			problem(fl, 0, 0, "file", "empty, expected a header "
			    "line and fee lines");
		else if (cu.header_done && cu.nrecords == 1)
			problem(fl, 0, 0, "file", "only a header line, "
			    "expected fee lines after it");
		else
			problem(fl, 0, 0, "file", "no fee lines, only "
			    "summary rows");
		fl->fatal = 1;
	}
	return 0;
}

/* --- building bills ------------------------------------------------------ */

static char **
bill_slot(struct hg_bill *b, int f)
{
	switch (f) {
	case F_IPT_NO: return &b->ipt_no;
	case F_PSN_NAME: return &b->psn_name;
	case F_GEND: return &b->gender;
	case F_PSN_CERT_TYPE: return &b->psn_cert_type;
	case F_CERTNO: return &b->certno;
	case F_CARD_NO: return &b->card_no;
	case F_INSUTYPE: return &b->insutype;
	case F_INSUPLC_ADMDVS: return &b->insuplc_admdvs;
	case F_MDTRT_ID: return &b->mdtrt_id;
	case F_DEPT_CODG: return &b->dept_code;
	case F_DEPT_NAME: return &b->dept_name;
	case F_ATDDR_NO: return &b->doctor_code;
	case F_CHFPDR_NAME: return &b->doctor_name;
	default: return NULL;
	}
}

static char **
fee_slot(struct hg_fee *fee, int f)
{
	switch (f) {
	case F_FEEDETL_SN: return &fee->sn;
	case F_INIT_FEEDETL_SN: return &fee->init_sn;
	case F_MEDINS_LIST_CODG: return &fee->local_code;
	case F_NAME: return &fee->name;
	case F_SPEC: return &fee->spec;
	case F_UNIT: return &fee->unit;
	case F_MED_LIST_CODG: return &fee->nat_code;
	case F_CATEGORY: return &fee->category;
	case F_BILG_DEPT_CODG: return &fee->dept_code;
	case F_BILG_DEPT_NAME: return &fee->dept_name;
	case F_BILG_DR_CODG: return &fee->doctor_code;
	case F_BILG_DR_NAME: return &fee->doctor_name;
	default: return NULL;
	}
}

static void
obill_free(struct obill *ob)
{
	int f;

	if (ob == NULL)
		return;
	hg_bill_free(ob->b);
	free(ob->key);
	for (f = 0; f <= F_MEDFEE_SUMAMT; f++)
		free(ob->head[f]);
	free(ob);
}

static struct obill *
obill_new(struct file *fl, const char *key, uint64_t h, const struct row *r)
{
	struct obill *ob = hg_xcalloc(1, sizeof *ob);
	struct hg_bill *b;
	char **slot;
	int f;

	ob->key = hg_xstrdup(key);
	ob->h = h;
	ob->first_line = ob->last_line = r->line;
	ob->b = b = hg_bill_new();
	for (f = 0; f <= F_MEDFEE_SUMAMT; f++) {
		ob->head[f] = r->v[f] ? hg_xstrdup(r->v[f]) : NULL;
		ob->head_bad[f] = r->bad[f];
		if (r->v[f] == NULL || r->bad[f])
			continue;
		if ((slot = bill_slot(b, f)) != NULL)
			hg_set_str(slot, r->v[f]);
	}
	if (r->v[F_BEGNTIME] && !r->bad[F_BEGNTIME])
		snprintf(b->adm_time, sizeof b->adm_time, "%s",
		    r->v[F_BEGNTIME]);
	if (r->v[F_ENDTIME] && !r->bad[F_ENDTIME])
		snprintf(b->dscg_time, sizeof b->dscg_time, "%s",
		    r->v[F_ENDTIME]);
	if ((r->v[F_DIAG_CODE] && !r->bad[F_DIAG_CODE]) ||
	    (r->v[F_DIAG_NAME] && !r->bad[F_DIAG_NAME])) {
		struct hg_diag *d = hg_bill_add_diag(b);

		if (!r->bad[F_DIAG_CODE])
			hg_set_str(&d->code, r->v[F_DIAG_CODE]);
		if (!r->bad[F_DIAG_NAME])
			hg_set_str(&d->name, r->v[F_DIAG_NAME]);
		d->main = 1;
	}
	if (r->v[F_MEDFEE_SUMAMT] && !r->bad[F_MEDFEE_SUMAMT]) {
		b->total = r->num[F_MEDFEE_SUMAMT];
		b->has_total = 1;
	}
	hg_set_str(&b->adapter, fl->a->name);
	hg_set_str(&b->source_key, key);
	b->line = r->line;
	return ob;
}

static void
add_line(struct file *fl, struct obill *ob, const struct row *r,
    struct hg_csv_rec *rec)
{
	struct hg_fee *fee;
	char **slot;
	int f, c;

	ob->last_line = r->line;
	if (r->nproblems > 0 || r->record_bad)
		ob->bad = 1;
	/* the bill-level fields must agree with the bill's first line */
	if (r->line != ob->first_line)
		for (f = 0; f <= F_MEDFEE_SUMAMT; f++) {
			const char *was = ob->head[f] ? ob->head[f] : "";
			const char *now = r->v[f] ? r->v[f] : "";

			if ((c = fl->col[f]) < 0 || r->bad[f] ||
			    ob->head_bad[f] || strcmp(was, now) == 0 ||
			    c >= (int)rec->nfields)
				continue;
			if (f == F_PSN_NAME)
				/* no names in messages that may be logged */
				problem(fl, rec->field_line[c], c + 1,
				    fields[f].name, "differs from line %d of "
				    "the same bill (a bill's fields must be "
				    "the same on all its lines)",
				    ob->first_line);
			else
				problem(fl, rec->field_line[c], c + 1,
				    fields[f].name, "\"%s\", but line %d of "
				    "the same bill has \"%s\" (a bill's fields "
				    "must be the same on all its lines)", now,
				    ob->first_line, was);
			ob->bad = 1;
		}
	if (ob->bad)
		return;		/* it will not be handed over */
	fee = hg_bill_add_fee(ob->b);
	for (f = F_FEEDETL_SN; f < F_N; f++)
		if (r->v[f] != NULL && (slot = fee_slot(fee, f)) != NULL)
			hg_set_str(slot, r->v[f]);
	if (r->v[F_FEE_OCUR_TIME])
		snprintf(fee->time, sizeof fee->time, "%s",
		    r->v[F_FEE_OCUR_TIME]);
	fee->qty = r->num[F_CNT];
	fee->price = r->num[F_PRIC];
	fee->amount = r->num[F_DET_ITEM_FEE_SUMAMT];
	fee->line = r->line;
	fl->batch_fees++;
}

static int
field_column(const struct file *fl, const char *field)
{
	int f;

	if (strcmp(field, "maindiag_flag") == 0)
		field = "diag_code";
	f = field_index(field);
	return f >= 0 && fl->col[f] >= 0 ? fl->col[f] + 1 : 0;
}

/* Hand the batch to the sink and write what it says about each bill. */
static int
flush(struct file *fl)
{
	struct hg_sink *sink = fl->a->sink;
	struct hg_verdict *v;
	struct hg_problem *p;
	size_t i, j;
	int rc, dry;

	if (fl->nbatch == 0)
		return 0;
	v = hg_xcalloc(fl->nbatch, sizeof *v);
	dry = sink->dry;
	if (fl->mode == P_VALIDATE)
		sink->dry = 1;	/* judge, write nothing */
	hg_err_clear(&fl->err);
	rc = sink->commit(sink, fl->batch, fl->nbatch, fl->name, v, &fl->err);
	sink->dry = dry;
	if (rc < 0) {
		fl->failed = 1;
		goto out;
	}
	for (i = 0; i < fl->nbatch; i++) {
		const struct hg_bill *b = fl->batch[i];

		for (j = 0; j < v[i].nproblems; j++) {
			p = &v[i].problems[j];
			problem(fl, p->line > 0 ? p->line : b->line,
			    field_column(fl, p->field), p->field, "%s",
			    p->msg);
		}
		if (v[i].nproblems > 0 || v[i].state == HG_V_INVALID)
			fl->ninvalid++;
		if (v[i].state == HG_V_AMENDED && fl->mode == P_COMMIT)
			log_notice(fl->a->name, "%s: the bill of %s changed "
			    "after it was sent to the platform; it is held "
			    "for a person (hisgate queue show %lld)", fl->name,
			    b->source_ref, v[i].bill_id);
	}
	if (fl->mode == P_COMMIT && !sink->dry)
		fl->ncommitted += fl->nbatch;
out:
	hg_verdicts_free(v, fl->nbatch);
	free(v);
	for (i = 0; i < fl->nbatch; i++)
		hg_bill_free(fl->batch[i]);
	fl->nbatch = 0;
	fl->batch_fees = 0;
	return rc;
}

static int
finish_bill(struct file *fl, struct obill *ob)
{
	struct hg_bill *b = ob->b;

	fl->nbills++;
	if (ob->bad) {
		fl->nwithheld++;
		obill_free(ob);
		return 0;
	}
	free(b->source_ref);
	b->source_ref = hg_xasprintf("%s lines %d-%d", fl->name,
	    ob->first_line, ob->last_line);
	ob->b = NULL;
	obill_free(ob);
	if (fl->nbatch == 0)
		fl->batch = hg_xrealloc(fl->batch, BATCH_BILLS,
		    sizeof *fl->batch);
	fl->batch[fl->nbatch++] = b;
	if (fl->nbatch >= BATCH_BILLS || fl->batch_fees >= BATCH_FEES)
		return flush(fl);
	return 0;
}

/* Pass 2: parse every line, assemble bills, hand the good ones over. */
static int
bill_pass(struct file *fl, struct hg_err *err)
{
	struct hg_csv_rec rec;
	struct cursor cu;
	struct row r;
	struct keyent *e;
	struct obill *ob;
	const char *key;
	uint64_t h;
	size_t i;
	int rc = 0;

	memset(&cu, 0, sizeof cu);
	hg_sfree(fl->prevkey);
	hg_sfree(fl->prevk0);
	fl->cur = NULL;
	if (open_reader(fl, &cu.rd, err) < 0)
		return -1;
	while (!fl->failed &&
	    (rc = next_data(fl, &cu, &rec, 2, err)) == 1) {
		parse_row(fl, &rec, &r, 1, 0);
		key = row_key(fl, &r);
		h = hash64(key);
		e = tab_find(fl, h, 0);
		if (e == NULL) {
			/* the file changed under us: the index is stale */
			fl->changed = 1;
			rc = hg_failt(err, "%s changed while it was read",
			    fl->name);
			break;
		}
		if (fl->cur != NULL && fl->cur->h != h) {
			ob = fl->cur;
			fl->cur = NULL;
			if (finish_bill(fl, ob) < 0)
				break;
		}
		if (e->split) {
			if (e->open == NULL)
				e->open = obill_new(fl, key, h, &r);
			ob = e->open;
		} else {
			if (fl->cur == NULL)
				fl->cur = obill_new(fl, key, h, &r);
			ob = fl->cur;
		}
		add_line(fl, ob, &r, &rec);
		if (e->split && rec.line >= e->last_line) {
			e->open = NULL;
			if (finish_bill(fl, ob) < 0)
				break;
		}
	}
	hg_csv_reader_free(cu.rd);
	if (fl->cur != NULL) {
		ob = fl->cur;
		fl->cur = NULL;
		if (!fl->failed && rc >= 0)
			finish_bill(fl, ob);
		else
			obill_free(ob);
	}
	/* split bills still open: only when the file changed under us */
	for (i = 0; i < fl->tabcap; i++)
		if (fl->tab[i].open != NULL) {
			obill_free(fl->tab[i].open);
			fl->tab[i].open = NULL;
		}
	if (rc >= 0 && !fl->failed)
		flush(fl);
	/* nothing of the file may be acknowledged before it is durable */
	if (rc >= 0 && !fl->failed && fl->mode == P_COMMIT &&
	    !fl->a->sink->dry && fl->a->sink->async &&
	    fl->a->sink->sync(fl->a->sink, &fl->err) < 0)
		fl->failed = 1;
	for (i = 0; i < fl->nbatch; i++)
		hg_bill_free(fl->batch[i]);
	fl->nbatch = 0;
	if (fl->failed) {
		*err = fl->err;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

/* --- moving files -------------------------------------------------------- */

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
exists(const char *dir, const char *name, const char *suffix)
{
	struct stat st;
	char *p = hg_xasprintf("%s/%s%s", dir, name, suffix ? suffix : "");
	int rc = lstat(p, &st) == 0;

	free(p);
	return rc;
}

/* A name in dest that clashes with nothing: "x.csv", "x.1.csv", ... */
static char *
free_name(const char *dest, const char *name, const char *also1,
    const char *also2)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot != NULL && dot != name ? (size_t)(dot - name) :
	    strlen(name);
	char *cand;
	int i;

	for (i = 0; ; i++) {
		cand = i == 0 ? hg_xstrdup(name) : hg_xasprintf("%.*s.%d%s",
		    (int)stem, name, i, name + stem);
		if (!exists(dest, cand, NULL) &&
		    (also1 == NULL || !exists(dest, cand, also1)) &&
		    (also2 == NULL || !exists(dest, cand, also2)))
			return cand;
		free(cand);
	}
}

static int
move(const char *from_dir, const char *name, const char *to_dir,
    const char *to_name, const char *suffix, struct hg_err *err)
{
	char *from = hg_xasprintf("%s/%s%s", from_dir, name, suffix);
	char *to = hg_xasprintf("%s/%s%s", to_dir, to_name, suffix);
	int rc = 0;

	if (rename(from, to) < 0)
		rc = hg_failt(err, "cannot move %s to %s: %s", from, to,
		    strerror(errno));
	free(from);
	free(to);
	return rc;
}

/* The file is read: done/ when clean, else rejected/ with its .err. */
static int
settle_file(struct file *fl, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;
	const struct compiled *cc = &fl->cd->cc;
	const char *marker = cc->mode == CM_MARKER ? c->marker_suffix : NULL;
	const char *dest = fl->nproblems ? cc->rejected_dir : cc->done_dir;
	char *final = NULL, *errpath = NULL;
	size_t i;
	int rc = -1;

	final = free_name(dest, fl->name, fl->nproblems ? ".err" : NULL,
	    marker);
	if (fl->nproblems > 0) {
		if (fl->errf == NULL) {
			hg_failt(err, "%s: could not write the .err file",
			    fl->name);
			goto out;
		}
		for (i = 0; i < fl->nnotes; i++)
			fprintf(fl->errf, "%s\n", fl->notes[i]);
		if (fl->nsummary > fl->nnotes)
			fprintf(fl->errf, "# %zu more summary rows skipped\n",
			    fl->nsummary - fl->nnotes);
		fprintf(fl->errf, "# %s: %zu problem%s; %zu bill%s: %zu "
		    "committed", fl->name, fl->nproblems,
		    fl->nproblems == 1 ? "" : "s", fl->nbills,
		    fl->nbills == 1 ? "" : "s", fl->ncommitted);
		if (fl->ninvalid > 0 && fl->ncommitted > 0)
			fprintf(fl->errf, " (%zu invalid, waiting in the "
			    "outbox for a fix)", fl->ninvalid);
		fprintf(fl->errf, ", %zu not committed%s\n",
		    fl->nbills - fl->ncommitted, c->all_or_nothing ?
		    " (all_or_nothing: nothing of a file with a problem is "
		    "committed)" : "");
		if (fflush(fl->errf) != 0 || fsync(fileno(fl->errf)) != 0) {
			hg_failt(err, "%s: %s", fl->errtmp, strerror(errno));
			goto out;
		}
		fclose(fl->errf);
		fl->errf = NULL;
		/* the explanation lands first: a crash between the two
		 * renames leaves the file in dir to be read again */
		errpath = hg_xasprintf("%s/%s.err", dest, final);
		if (rename(fl->errtmp, errpath) < 0) {
			hg_failt(err, "cannot rename %s to %s: %s",
			    fl->errtmp, errpath, strerror(errno));
			goto out;
		}
		hg_sfree(fl->errtmp);
	}
	if (move(cc->dir, fl->name, dest, final, "", err) < 0)
		goto out;
	if (marker != NULL && exists(cc->dir, fl->name, marker))
		move(cc->dir, fl->name, dest, final, marker, err);
	if (fsync_dir(dest) < 0 || fsync_dir(cc->dir) < 0)
		hg_log_errno(HG_LOG_WARNING, fl->a->name, "fsync %s", dest);
	if (fl->nproblems > 0)
		log_notice(fl->a->name, "%s rejected: %zu problem%s, see "
		    "%s/%s.err; %zu of %zu bills committed", fl->name,
		    fl->nproblems, fl->nproblems == 1 ? "" : "s", dest,
		    final, fl->ncommitted, fl->nbills);
	else
		log_info(fl->a->name, "%s: %zu bill%s committed, moved to %s",
		    fl->name, fl->ncommitted, fl->ncommitted == 1 ? "" : "s",
		    dest);
	rc = 0;
out:
	free(final);
	free(errpath);
	return rc;
}

static void
notes_free(struct file *fl)
{
	size_t i;

	for (i = 0; i < fl->nnotes; i++)
		free(fl->notes[i]);
	fl->nnotes = fl->nsummary = 0;
}

static void
file_free(struct file *fl)
{
	if (fl->errf != NULL)
		fclose(fl->errf);
	if (fl->errtmp != NULL)
		unlink(fl->errtmp);
	free(fl->errtmp);
	notes_free(fl);
	free(fl->notes);
	free(fl->tab);
	free(fl->prevkey);
	free(fl->prevk0);
	free(fl->keybuf);
	free(fl->batch);
	free(fl->path);
	if (fl->fd >= 0)
		close(fl->fd);
}

enum outcome {
	O_DONE,		/* settled (or, dry, read) */
	O_SINK,		/* the sink refused: try again later */
	O_RETRY,	/* an I/O problem with this file */
	O_CHANGED,	/* rewritten while read: wait until complete again */
};

/* The checks and passes between opening a file and settling it.  0 when
 * the file was read (problems or not), -1 when it must stay (err). */
static int
read_file(struct file *fl, struct hg_err *err)
{
	struct csvdrop_conf *c = fl->a->conf;

	if (fl->st.st_size > (off_t)c->max_file_mb * 1024 * 1024) {
		problem(fl, 0, 0, "file", "%lld bytes is larger than "
		    "max_file_mb = %lld; not read",
		    (long long)fl->st.st_size, (long long)c->max_file_mb);
		return 0;
	}
	if (fl->st.st_size == 0) {
		problem(fl, 0, 0, "file", "empty, expected a header line and "
		    "fee lines");
		return 0;
	}
	fl->mode = P_SCAN;
	if (scan_pass(fl, err) < 0)
		return -1;
	if (fl->fatal)
		return 0;
	if (c->all_or_nothing && !fl->dry) {
		/* judge the whole file before committing any of it */
		fl->mode = P_VALIDATE;
		if (bill_pass(fl, err) < 0)
			return -1;
		if (fl->nproblems > 0)
			return 0;
		fl->nbills = fl->ninvalid = fl->nwithheld = 0;
		notes_free(fl);
	}
	fl->mode = P_COMMIT;
	return bill_pass(fl, err);
}

/* Read one complete file; when it is not settled the file stays where it
 * is and err says why. */
static enum outcome
process_file(struct hg_adapter *a, const char *name, struct hg_err *err)
{
	struct csvdrop *cd = a->state;
	struct file fl;
	struct stat st2;
	enum outcome rc = O_RETRY;
	int f;

	memset(&fl, 0, sizeof fl);
	fl.a = a;
	fl.cd = cd;
	fl.name = name;
	fl.dry = a->sink->dry;
	fl.enc = "UTF-8";
	for (f = 0; f < F_N; f++)
		fl.col[f] = -1;
	fl.path = hg_xasprintf("%s/%s", cd->cc.dir, name);
	fl.fd = open(fl.path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fl.fd < 0 || fstat(fl.fd, &fl.st) < 0) {
		if (errno == ENOENT)
			rc = O_DONE;	/* gone: nothing to do */
		else
			hg_failt(err, "%s: %s", fl.path, strerror(errno));
		goto out;
	}
	if (read_file(&fl, err) < 0)
		rc = fl.changed ? O_CHANGED : fl.failed ? O_SINK : O_RETRY;
	else if (fl.dry)
		rc = O_DONE;
	else if (fstat(fl.fd, &st2) == 0 && (st2.st_size != fl.st.st_size ||
	    st2.st_mtim.tv_sec != fl.st.st_mtim.tv_sec ||
	    st2.st_mtim.tv_nsec != fl.st.st_mtim.tv_nsec)) {
		/* rewritten while we read it: read again once complete */
		hg_failt(err, "%s changed while it was read; it is read "
		    "again when it is complete", name);
		rc = O_CHANGED;
	} else if (settle_file(&fl, err) == 0)
		rc = O_DONE;
out:
	file_free(&fl);
	return rc;
}

/* --- the directory ------------------------------------------------------- */

static int
mkdirs(const char *path, struct hg_err *err)
{
	char *p = hg_xstrdup(path), *s;
	struct stat st;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (*s == '/' && s[1] == '\0')
			break;
		{
			char saved = *s;

			*s = '\0';
			if (mkdir(p, 0750) < 0 && errno != EEXIST) {
				rc = hg_fail(err, "cannot create %s: %s", p,
				    strerror(errno));
				break;
			}
			*s = saved;
		}
		if (*s == '\0')
			break;
	}
	if (rc == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
		rc = hg_fail(err, "%s is not a directory", path);
	free(p);
	return rc;
}

static void
clean_temps(const char *dir)
{
	struct dirent *e;
	DIR *d;

	/* .err files half-written when the agent died */
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".tmp-", 5) == 0 &&
		    strstr(e->d_name, ".err-") != NULL)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void
watch(struct csvdrop *cd)
{
	if (cd->ino_fd < 0 || cd->ino_wd >= 0)
		return;
	cd->ino_wd = inotify_add_watch(cd->ino_fd, cd->cc.dir,
	    IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
	    IN_ONLYDIR);
}

static struct seen *
seen_get(struct csvdrop *cd, const char *name, int add)
{
	size_t i;

	for (i = 0; i < cd->nseen; i++)
		if (strcmp(cd->seen[i].name, name) == 0)
			return &cd->seen[i];
	if (!add)
		return NULL;
	cd->seen = hg_xrealloc(cd->seen, cd->nseen + 1, sizeof *cd->seen);
	memset(&cd->seen[cd->nseen], 0, sizeof *cd->seen);
	cd->seen[cd->nseen].name = hg_xstrdup(name);
	cd->seen[cd->nseen].since_ms = -1;
	return &cd->seen[cd->nseen++];
}

static void
seen_drop(struct csvdrop *cd, size_t i)
{
	free(cd->seen[i].name);
	cd->seen[i] = cd->seen[--cd->nseen];
}

static void
drain_events(struct csvdrop *cd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	if (cd->ino_fd < 0)
		return;
	while ((n = read(cd->ino_fd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			cd->need_scan = 1;
			if (ev->mask & IN_IGNORED)
				cd->ino_wd = -1;	/* dir gone */
			if ((ev->mask & IN_MOVED_TO) && ev->len > 0)
				seen_get(cd, ev->name, 1)->renamed = 1;
		}
	}
}

static int
matches(const struct compiled *cc, const char *name)
{
	size_t i;

	for (i = 0; i < cc->npat; i++)
		if (fnmatch(cc->pat[i], name, FNM_CASEFOLD | FNM_PERIOD) == 0)
			return 1;
	return 0;
}

static int
is_marker(const struct hg_adapter *a, const char *name)
{
	const struct csvdrop *cd = a->state;
	const char *suf = ((struct csvdrop_conf *)a->conf)->marker_suffix;
	size_t n = strlen(name), m = strlen(suf);

	return cd->cc.mode == CM_MARKER && n > m &&
	    strcmp(name + n - m, suf) == 0;
}

static int
cmp_seen(const void *x, const void *y)
{
	const struct seen *a = *(const struct seen *const *)x;
	const struct seen *b = *(const struct seen *const *)y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
complete(struct hg_adapter *a, struct seen *s, int64_t now)
{
	struct csvdrop *cd = a->state;
	struct csvdrop_conf *c = a->conf;

	if (a->sink->dry)
		return 1;	/* a preview: what is there now */
	if (cd->cc.mode == CM_MARKER)
		return exists(cd->cc.dir, s->name, c->marker_suffix);
	if (s->renamed)
		return 1;	/* renamed into place: written whole */
	/* rename mode waits for the event; files dropped while the agent
	 * was down never get one and fall back to the stable rule, as
	 * does everything when there is no watch */
	if (cd->cc.mode == CM_RENAME && cd->ino_wd >= 0 && !s->preexisting)
		return 0;
	return now - s->since_ms >= c->stable_seconds * 1000;
}

static int
csvdrop_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct csvdrop *cd = a->state;
	struct csvdrop_conf *c = a->conf;
	struct seen **todo = NULL, *s;
	struct dirent *e;
	struct stat st;
	size_t i, n = 0;
	int64_t now;
	DIR *d;
	char **names = NULL;
	int failed = 0;

	drain_events(cd);
	now = hg_now_ms();
	if (!a->sink->dry && !cd->need_scan && !cd->pending &&
	    now < cd->next_scan_ms)
		return 0;
	cd->need_scan = 0;
	cd->next_scan_ms = now + c->rescan_seconds * 1000;
	watch(cd);
	d = opendir(cd->cc.dir);
	if (d == NULL)
		return hg_failt(err, "cannot read the drop directory %s: %s",
		    cd->cc.dir, strerror(errno));
	for (i = 0; i < cd->nseen; i++)
		cd->seen[i].present = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !matches(&cd->cc, e->d_name) ||
		    is_marker(a, e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		s = seen_get(cd, e->d_name, 1);
		s->present = 1;
		if (s->since_ms < 0 || s->size != st.st_size ||
		    s->mtime.tv_sec != st.st_mtim.tv_sec ||
		    s->mtime.tv_nsec != st.st_mtim.tv_nsec) {
			if (s->since_ms >= 0)
				s->renamed = 0;	/* written after the rename */
			s->size = st.st_size;
			s->mtime = st.st_mtim;
			s->since_ms = now;
		}
	}
	closedir(d);
	for (i = cd->nseen; i-- > 0;)
		if (!cd->seen[i].present)
			seen_drop(cd, i);
	cd->pending = 0;
	todo = hg_xcalloc(cd->nseen + 1, sizeof *todo);
	for (i = 0; i < cd->nseen; i++) {
		s = &cd->seen[i];
		if (!a->sink->dry && s->retry_ms > now) {
			cd->pending = 1;
			continue;
		}
		if (complete(a, s, now))
			todo[n++] = s;
		else
			cd->pending = 1;
	}
	if (!a->sink->dry && now < cd->sink_retry_ms) {
		/* the sink refused a moment ago: every file would fail the
		 * same way, so none is tried before the backoff ends */
		cd->pending = 1;
		n = 0;
	}
	qsort(todo, n, sizeof *todo, cmp_seen);
	/* seen[] may be reordered below: work from copied names */
	names = hg_xcalloc(n + 1, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = hg_xstrdup(todo[i]->name);
	for (i = 0; i < n; i++) {
		struct hg_err ferr;
		enum outcome o;

		hg_err_clear(&ferr);
		o = process_file(a, names[i], &ferr);
		s = seen_get(cd, names[i], 0);
		if (o == O_DONE) {
			cd->sink_backoff_ms = 0;
			if (s != NULL)
				seen_drop(cd, (size_t)(s - cd->seen));
			continue;
		}
		cd->pending = 1;
		failed = 1;
		if (o == O_CHANGED) {
			if (s != NULL) {
				s->since_ms = -1;
				s->renamed = 0;
			}
			log_info(a->name, "%s", ferr.msg);
			continue;
		}
		if (o == O_SINK) {
			/* the outbox is full, read-only or locked: back off
			 * for the whole directory, the file stays */
			cd->sink_backoff_ms = cd->sink_backoff_ms ?
			    cd->sink_backoff_ms * 2 : BACKOFF_MIN_MS;
			if (cd->sink_backoff_ms > BACKOFF_MAX_MS)
				cd->sink_backoff_ms = BACKOFF_MAX_MS;
			cd->sink_retry_ms = now + cd->sink_backoff_ms;
			hg_complain(&cd->c_commit, HG_LOG_WARNING, a->name,
			    "%s: not committed, the file stays in %s and is "
			    "read again later: %s", names[i], cd->cc.dir,
			    ferr.msg);
			break;
		}
		if (s != NULL) {
			s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 :
			    BACKOFF_MIN_MS;
			if (s->backoff_ms > BACKOFF_MAX_MS)
				s->backoff_ms = BACKOFF_MAX_MS;
			s->retry_ms = now + s->backoff_ms;
		}
		hg_complain(&cd->c_file, HG_LOG_ERR, a->name, "%s",
		    ferr.msg);
	}
	if (!failed && n > 0) {
		hg_complain_release(&cd->c_commit, a->name, "bills are "
		    "committed again");
		hg_complain_release(&cd->c_file, a->name, "files are read "
		    "and moved again");
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(todo);
	return 0;
}

/* --- the plug ------------------------------------------------------------ */

/* What is in dir when we start watching got no event: rename mode reads
 * it by the stable rule (it was dropped while the agent was down). */
static void
note_preexisting(struct hg_adapter *a)
{
	struct csvdrop *cd = a->state;
	struct dirent *e;
	DIR *d;

	d = opendir(cd->cc.dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && matches(&cd->cc, e->d_name))
			seen_get(cd, e->d_name, 1)->preexisting = 1;
	closedir(d);
}

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
	size_t i;

	if (cd == NULL)
		return;
	if (cd->ino_fd >= 0)
		close(cd->ino_fd);
	for (i = 0; i < cd->nseen; i++)
		free(cd->seen[i].name);
	free(cd->seen);
	compiled_free(&cd->cc);
	free(cd);
	a->state = NULL;
}

static int
same_fs(const char *a, const char *b, struct hg_err *err)
{
	struct stat sa, sb;

	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return hg_fail(err, "%s: %s", b, strerror(errno));
	if (sa.st_dev != sb.st_dev)
		return hg_fail(err, "%s is not on the same file system as %s "
		    "(files are moved by rename)", b, a);
	return 0;
}

static int
csvdrop_init(struct hg_adapter *a, struct hg_err *err)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct csvdrop *cd;

	csvdrop_destroy(a);
	cd = hg_xcalloc(1, sizeof *cd);
	cd->ino_fd = cd->ino_wd = -1;
	a->state = cd;
	if (compile(a, &cd->cc, &errs, 0) > 0) {
		hg_fail(err, "%s", errs.msg[0]);
		goto fail;
	}
	if (mkdirs(cd->cc.dir, err) < 0 || mkdirs(cd->cc.done_dir, err) < 0 ||
	    mkdirs(cd->cc.rejected_dir, err) < 0 ||
	    same_fs(cd->cc.dir, cd->cc.done_dir, err) < 0 ||
	    same_fs(cd->cc.dir, cd->cc.rejected_dir, err) < 0)
		goto fail;
	clean_temps(cd->cc.rejected_dir);
	cd->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cd->ino_fd < 0)
		hg_log_errno(HG_LOG_INFO, a->name, "no inotify, rescanning "
		    "%s every %lld s", cd->cc.dir, (long long)
		    ((struct csvdrop_conf *)a->conf)->rescan_seconds);
	watch(cd);
	note_preexisting(a);
	cd->need_scan = 1;
	/* a file is acknowledged only after sync (bill_pass), so the sink
	 * may write one batch while the next is read */
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
csvdrop_wait_fd(struct hg_adapter *a)
{
	const struct csvdrop *cd = a->state;

	return cd != NULL ? cd->ino_fd : -1;
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
};
