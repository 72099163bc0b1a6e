/* Inside the hl7 adapter: hl7.c (the listener, connections and ACKs),
 * hl7_store.c (the durable journal of open visits), hl7_bill.c (messages
 * to a canonical bill). */
#ifndef HG_HL7_PRIV_H
#define HG_HL7_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "adapters/hl7_msg.h"
#include "lib/bill.h"
#include "lib/err.h"

/* --- hl7_bill.c ---------------------------------------------------------- */

enum hg_hl7_kind {
	HG_HL7_CHARGES,		/* DFT^P03, BAR^P01: FT1 lines */
	HG_HL7_DISCHARGE,	/* ADT^A03: closes the bill */
	HG_HL7_OTHER_ADT,	/* other ADT events: acknowledged, ignored */
};

/* What an arriving message is: its kind, visit (PV1-19) and control id
 * (MSH-10), with every FT1 checked.  On -1 err is the reason for AR. */
struct hg_hl7_head {
	enum hg_hl7_kind kind;
	char	*type;		/* "DFT^P03" */
	char	*visit;
	char	*ctrl;
	int	 errcode;	/* HL7 table 0357, for the ERR of an AR */
};

int	hg_hl7_classify(const struct hg_hl7_msg *m, struct hg_hl7_head *h,
	    struct hg_err *err);
void	hg_hl7_head_free(struct hg_hl7_head *h);

/* Fold the visit's messages, in arrival order, into one bill. */
struct hg_hl7_fold;
struct hg_hl7_fold *hg_hl7_fold_new(const char *adapter, const char *visit);
/* 0, or -1 when a stored message no longer reads (err). */
int	hg_hl7_fold_add(struct hg_hl7_fold *fo, const struct hg_hl7_msg *m,
	    const char *ctrl, struct hg_err *err);
/* The bill (caller frees); the fold is freed. */
struct hg_bill *hg_hl7_fold_end(struct hg_hl7_fold *fo);
void	hg_hl7_fold_free(struct hg_hl7_fold *fo);

/* HL7 TS ("20240301091000", "202403010910", "20240301", with fraction
 * or zone) or a dashed time to the canonical form. */
int	hg_hl7_time(const char *field, const char *v, char out[HG_TIMELEN],
	    struct hg_err *err);

/* --- hl7_store.c --------------------------------------------------------- */

/* One journal record: a message as received, or a marker. */
enum {
	HG_REC_CHARGES = 'D',
	HG_REC_DISCHARGE = 'A',
	HG_REC_COMMITTED = 'C',	/* the bill as of here is in the outbox */
};

struct hg_hl7_rec {
	char	 type;
	char	*ctrl;
	char	*data;
	size_t	 len;
};

struct hg_hl7_visit {
	char	*key;
	struct hg_hl7_rec *rec;
	size_t	 n;
	int64_t	 good;		/* bytes up to the last whole record */
	int	 exists;
	int	 closed;	/* a discharge is recorded */
};

struct hg_hl7_store;

int	hg_hl7_store_open(const char *dir, struct hg_hl7_store **out,
	    struct hg_err *err);
void	hg_hl7_store_close(struct hg_hl7_store *st);
/* Read a visit's journal (none yet = empty). */
int	hg_hl7_store_load(struct hg_hl7_store *st, const char *visit,
	    struct hg_hl7_visit *v, struct hg_err *err);
void	hg_hl7_visit_free(struct hg_hl7_visit *v);
/* 1 when ctrl is already in the journal. */
int	hg_hl7_visit_has(const struct hg_hl7_visit *v, const char *ctrl);
/* 1 when the last record is the committed marker. */
int	hg_hl7_visit_committed(const struct hg_hl7_visit *v);
/* Append a record after v's last whole one; durable on 0 unless it is
 * the committed marker (a lost marker only costs a commit that the
 * outbox finds unchanged).  v is updated.  HG_ETEMP on disk trouble. */
int	hg_hl7_store_append(struct hg_hl7_store *st, struct hg_hl7_visit *v,
	    char type, const char *ctrl, const char *data, size_t len,
	    struct hg_err *err);
/* Every visit in the store, for fn (stops at the first -1). */
int	hg_hl7_store_each(struct hg_hl7_store *st,
	    int (*fn)(void *arg, const char *visit), void *arg,
	    struct hg_err *err);
/* Remove committed journals untouched for keep_days. */
void	hg_hl7_store_sweep(struct hg_hl7_store *st, int64_t keep_days);

#endif
