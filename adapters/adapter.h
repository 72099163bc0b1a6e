/* The plug interface.  One adapter type = one .c file in adapters/
 * exporting one `const struct hg_adapter_ops hg_adapter_<name>`, listed in
 * the registry (agent/adapters.c).  An adapter knows its source and the
 * canonical bill, nothing else: it never touches SQLite or the platform.
 * It hands bills, with the source cursor that covers them, to a sink, and
 * acknowledges its source only after the sink says they are committed. */
#ifndef HG_ADAPTER_H
#define HG_ADAPTER_H

#include <stddef.h>

#include "lib/bill.h"
#include "lib/conftab.h"
#include "lib/err.h"

/* What the sink decided for one bill. */
enum hg_verdict_state {
	HG_V_READY = 0,		/* accepted, valid, waiting to be settled */
	HG_V_INVALID,		/* accepted, waits for a fix (see problems) */
	HG_V_SAME,		/* already in the outbox unchanged: no-op */
	HG_V_REPLACED,		/* changed before sending: new version kept */
	HG_V_AMENDED,		/* changed after sending: held for a person */
};

/* One problem with a bill, precise enough for an operator to fix it:
 * the source line or record (0 = the bill as a whole), the canonical
 * field name (as in bill_json.c) and what was expected. */
struct hg_problem {
	int	 line;
	char	 field[40];
	char	*msg;
};

struct hg_verdict {
	enum hg_verdict_state state;
	long long bill_id;		/* outbox id */
	struct hg_problem *problems;	/* owned; freed by hg_verdicts_free */
	size_t	 nproblems;
};

void	hg_verdicts_free(struct hg_verdict *v, size_t n);
/* Add one problem (msg is formatted and owned by the list). */
void	hg_problem_add(struct hg_problem **probs, size_t *n, int line,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	hg_problems_free(struct hg_problem *probs, size_t n);
const char *hg_verdict_name(enum hg_verdict_state s);

/* The sink: validates, maps and commits bills with the cursor in one
 * transaction.  On 0 every bill is durable and verdicts[0..n) are filled;
 * the source may be acknowledged.  On -1 nothing was committed: err->kind
 * HG_ETEMP means try the same unit again later (disk full, locked file),
 * and the source must not be acknowledged. */
struct hg_sink {
	int	(*commit)(struct hg_sink *sink, struct hg_bill *const *bills,
		    size_t n, const char *cursor, struct hg_verdict *verdicts,
		    struct hg_err *err);
	/* The committed cursor of this adapter instance, or NULL (caller
	 * frees). */
	char	*(*cursor)(struct hg_sink *sink);
	/* Set by the caller of init: when dry is set, commit only validates
	 * (verdicts are filled, nothing is written) and adapters must leave
	 * their source untouched. */
	int	 dry;
	/* Set by an adapter that calls sync before acknowledging anything:
	 * commit may then return as soon as the bills are validated and
	 * queued, and the sink commits them in order in the background, so
	 * reading the next batch overlaps writing this one.  Verdicts then
	 * carry problems and READY/INVALID only.  A background failure is
	 * returned by the next commit or sync (and the batches queued behind
	 * it are dropped: the adapter reads its unit again later). */
	int	 async;
	/* Wait until everything handed over is durable: 0, or -1 with err
	 * (nothing may be acknowledged then). */
	int	(*sync)(struct hg_sink *sink, struct hg_err *err);
	/* Set by the adapter around each commit: the source's own names of
	 * the fields of these bills, "field=column" lines as in
	 * hg_bill.columns, or NULL.  The sink gives them to the bills that
	 * have problems, so that every message can name the column. */
	const char *columns;
	/* Optional (NULL: not kept): the Idempotency-Keys an adapter has
	 * answered, kept in the outbox.  key_get: 1 with the hash of the
	 * body first taken under key (65 bytes) and its bill, 0 when the
	 * key is new, -1 with err. */
	int	(*key_get)(struct hg_sink *sink, const char *key,
		    char hash[65], long long *bill_id, struct hg_err *err);
	/* Set by the adapter around a commit of one bill: its
	 * Idempotency-Key and the hash of the body (NULL: none).  The sink
	 * records them in the bill's own transaction (a key already there
	 * keeps its first hash), so no crash can leave a committed bill
	 * whose key is unknown, which a retry with another body would then
	 * replace instead of being refused. */
	const char *idem_key;
	const char *idem_hash;
	void	*ctx;
};

struct hg_adapter {
	const struct hg_adapter_ops *ops;
	char	*name;		/* instance name from the config */
	char	*conf_file;	/* for messages */
	void	*conf;		/* ops->conf_size bytes, filled from config_map */
	void	*state;		/* adapter's own, created by init */
	struct hg_sink *sink;
	/* where each setting of conf_file is (value unused), so that a
	 * problem names the line of its own setting (hg_kv_line) */
	struct hg_kvlist lines;
};

/* Write-back keys (agent/writeback.c writes each bill's result there):
 * an adapter type that offers it embeds this struct in its conf, lists
 * HG_WRITEBACK_CONF_KEYS(type, member) in its config_map and returns it
 * from ops->writeback. */
struct hg_writeback_keys {
	char	*results_dir;
	char	*results_encoding;
	char	*results_name;
};

extern const char *const hg_writeback_encodings[];

#define HG_WRITEBACK_CONF_KEYS(T, m)					\
	{ "results_dir", HG_CT_STR, "", 0, 0,				\
	  offsetof(T, m.results_dir), "write-back: a result file per "	\
	  "settled, rejected or cancelled bill goes here (must exist; "	\
	  "relative to the adapter file); \"\" = none", NULL, 0 },	\
	{ "results_encoding", HG_CT_ENUM, "GBK", 0, 0,			\
	  offsetof(T, m.results_encoding), "write-back: the result "	\
	  "files' encoding", hg_writeback_encodings, 0 },		\
	{ "results_name", HG_CT_STR, "{stem}-{ipt_no}.txt", 0, 0,	\
	  offsetof(T, m.results_name), "write-back: the result file's "	\
	  "name; {stem} is the source file's name without its "		\
	  "extension, {ipt_no} the bill's 住院号, {id} its outbox id",	\
	  NULL, 0 }

struct hg_adapter_ops {
	const char *name;		/* type, as in `type = "csvdrop";` */
	const char *description;
	const struct hg_conf_key *config_map;
	size_t	 conf_size;
	/* Check what the table cannot (paths exist, column map is complete);
	 * append problems to errs as FILE:LINE: message. */
	int	(*check)(struct hg_adapter *a, struct hg_conf_errs *errs,
		    int line);
	int	(*init)(struct hg_adapter *a, struct hg_err *err);
	/* One pass over the source: read what is complete, hand it to the
	 * sink, acknowledge what was committed.  Returns 0, or -1 with err
	 * (HG_ETEMP: back off and try again). */
	int	(*poll)(struct hg_adapter *a, struct hg_err *err);
	/* A file descriptor that becomes readable when the source changes
	 * (inotify, a listening socket), or -1 to be polled on a timer. */
	int	(*wait_fd)(struct hg_adapter *a);
	void	(*destroy)(struct hg_adapter *a);	/* safe half-built */
	/* Optional write-back into the source itself (odbc: a configured
	 * INSERT or UPDATE): one bill's result as name = value text pairs
	 * (state, bill, ipt_no, reason, setl_id, mdtrt_id, setl_time,
	 * medfee_sumamt, hifp_pay, hifmi_pay, maf_pay, other_fund_pay,
	 * fund_pay_sumamt, acct_pay, psn_cash_pay; amounts in yuan with 2
	 * decimals).  Returns 1 when written, 0 when the instance has no
	 * write-back configured, -1 with err (HG_ETEMP: try again later).
	 * Called from a thread of its own, never with poll's. */
	int	(*write_result)(struct hg_adapter *a,
		    const struct hg_kvlist *result, struct hg_err *err);
	/* The result-file write-back keys of an instance (csvdrop, dbf:
	 * agent/writeback.c writes the files), or NULL (none offered). */
	const struct hg_writeback_keys *(*writeback)(
		    const struct hg_adapter *a);
};

#endif
