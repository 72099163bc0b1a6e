/* What table.c and table_group.c share; nothing outside them includes
 * this. */
#ifndef HG_TABLE_PRIV_H
#define HG_TABLE_PRIV_H

#include "adapters/table.h"
#include "lib/bill.h"
#include "lib/money.h"
#include "lib/text.h"

#define TB_MAX_KEYS	8

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

struct tb_field {
	const char *name;	/* canonical, as in lib/bill_json.c */
	const char *header;	/* default header (his-side.md §6a), or NULL */
	enum fkind kind;
	int	 required;	/* the default header must be in the file */
};

extern const struct tb_field tb_fields[F_N];

int	tb_field_index(const char *name);

/* Where a canonical field comes from: a header name or a column number. */
struct colspec {
	char	*name;		/* NULL: by number, or not mapped */
	int	 num;		/* 1-based, 0 = by name */
	int	 explicit;	/* given in columns = { }, so must exist */
};

struct hg_table_map {
	struct hg_datefmt *dates;
	int	 header;
	struct colspec spec[F_N];
	int	 keyf[TB_MAX_KEYS];
	size_t	 nkey;
};

/* An entry of the key index: which row ends each bill. */
struct keyent {
	uint64_t h;		/* 0 = empty slot */
	int	 last_line;
	int	 split;		/* its rows are not all together */
	struct obill *open;	/* pass 2: the bill being built */
};

/* One row, parsed.  Values point into the row's cells or into its own
 * buffers, valid until the next row. */
struct row {
	int	 line;
	const char *v[F_N];	/* NULL = absent or empty */
	int	 bad[F_N];
	int64_t	 num[F_N];
	char	 tbuf[3][HG_TIMELEN];
	char	 nbuf[4][HG_DECBUF];
	int	 record_bad;	/* broken: width, NUL, unterminated quote */
	int	 nproblems;
};

struct hg_table {
	const struct hg_table_map *m;
	struct hg_table_src src;
	enum hg_table_pass pass;
	/* columns of this source */
	int	 col[F_N];	/* 0-based, -1 = not in this source */
	char	*colname[F_N];	/* the header text of that column */
	char	*colstr;	/* the same as "field=column" lines */
	int	 order[F_N];	/* mapped fields by column, for messages */
	int	 norder;
	/* the key index (pass 1) */
	struct keyent *tab;
	size_t	 tabcap, tabn;
	uint64_t cur_h;
	int	 cur_first;	/* first line of cur_h's group */
	char	*prevkey;
	char	*prevk0;
	char	*keybuf;
	size_t	 keycap;
	/* pass 2 */
	struct obill *cur;
	struct hg_bill **batch;
	size_t	 nbatch, batch_fees;
	int	 done_line;	/* last line of the last finished bill */
	struct hg_table_stats st;
	int	 failed;	/* the sink refused */
	int	 changed;	/* the source changed since pass 1 */
	int	 ending;	/* inside hg_table_end */
	struct hg_err err;
	struct row r;
	/* keep_bad: the current row's problems, for its bill */
	int	 collect;
	struct hg_bill *rowp;
};

/* Report a problem of field f (or of `what` when f < 0). */
void	tb_problem(struct hg_table *t, int line, int col, int f,
	    const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
int	tb_is_key(const struct hg_table_map *m, int f);
/* Normalise the mapped fields of one row into t->r.  With keys_only only
 * the key fields are looked at (the first pass). */
void	tb_parse_row(struct hg_table *t, struct hg_table_row *in, int report,
	    int keys_only);

#endif
