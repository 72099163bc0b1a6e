/* The canonical discharge bill: what every adapter produces and what the
 * outbox stores (as JSON, see bill_json.c).  All strings are UTF-8 and owned
 * by the bill; money is int64 fen, quantities x10^4, prices x10^6; times are
 * canonical text "yyyy-MM-dd HH:mm:ss" (local time of the hospital). */
#ifndef HG_BILL_H
#define HG_BILL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/text.h"

struct hg_diag {
	char	*code;		/* ICD-10 医保版, e.g. "J18.900" */
	char	*name;
	int	 main;		/* 1 for the main discharge diagnosis */
};

struct hg_fee {
	char	*sn;		/* feedetl_sn: unique within the visit */
	char	*init_sn;	/* original serial of a refund line, or NULL */
	char	*local_code;	/* medins_list_codg (hospital item code) */
	char	*nat_code;	/* med_list_codg; NULL until mapped */
	char	*name;
	char	*spec;
	char	*unit;
	int64_t	 qty;		/* x10^4, negative for refunds */
	int64_t	 price;		/* x10^6 */
	int64_t	 amount;	/* fen */
	char	 time[HG_TIMELEN];
	char	*dept_code;
	char	*dept_name;
	char	*doctor_code;
	char	*doctor_name;
	char	*category;	/* the HIS's own 收费类别, informative only */
	int	 line;		/* source line/record number, for messages */
};

struct hg_bill {
	/* institution */
	char	*fixmedins_code;
	char	*fixmedins_name;
	char	*admdvs;	/* region of the place of care */
	/* patient */
	char	*psn_name;
	char	*gender;
	char	*psn_cert_type;	/* "01" resident ID card */
	char	*certno;
	char	*insuplc_admdvs;	/* insured region, once known */
	char	*insutype;
	char	*psn_no;	/* from 1101, once known */
	char	*card_no;	/* social-security card number, informative */
	/* encounter */
	char	*ipt_no;	/* HIS inpatient number */
	char	*mdtrt_id;	/* when the HIS already registered the visit */
	char	 adm_time[HG_TIMELEN];
	char	 dscg_time[HG_TIMELEN];
	char	*dept_code;
	char	*dept_name;
	char	*doctor_code;
	char	*doctor_name;
	char	*med_type;	/* "21" ordinary inpatient */
	struct hg_diag *diags;
	size_t	 ndiags;
	/* fees */
	struct hg_fee *fees;
	size_t	 nfees;
	size_t	 fees_cap;
	int64_t	 total;		/* fen; the source's own total if it has one */
	int	 has_total;	/* 0: total is the sum of the lines */
	/* where it came from */
	char	*adapter;	/* adapter instance name */
	char	*source_key;	/* business key within the adapter */
	char	*source_ref;	/* human pointer: "file.csv lines 2-51" */
	int	 line;		/* first source line/record of the bill */
	/* the source's own names of the fields it gave, one "field=column"
	 * a line ("certno=身份证号"), for messages in the HIS's words;
	 * not content (not hashed), NULL when the source names none */
	char	*columns;
	/* what the adapter could not read in the source (a cell that does
	 * not parse, a record of the wrong shape), one problem a line,
	 * "LINE\tFIELD\tMESSAGE": the bill is kept in the outbox as
	 * invalid until a corrected export replaces it.  NULL: none.
	 * Content (hashed), so that two different defects are two
	 * versions. */
	char	*problems;
};

struct hg_bill *hg_bill_new(void);
void	hg_bill_free(struct hg_bill *bill);	/* NULL is fine */
/* Append a zeroed fee and return it (owned by the bill). */
struct hg_fee *hg_bill_add_fee(struct hg_bill *bill);
struct hg_diag *hg_bill_add_diag(struct hg_bill *bill);
/* The source's name of a canonical field (from bill->columns), copied
 * into buf; NULL when it has none. */
const char *hg_bill_column(const struct hg_bill *bill, const char *field,
	    char *buf, size_t len);
/* Add a line to bill->problems (tabs and newlines in msg become
 * spaces). */
void	hg_bill_add_problem(struct hg_bill *bill, int line, const char *field,
	    const char *msg);
/* Sum of the fee amounts. */
int64_t	hg_bill_sum(const struct hg_bill *bill);
/* Replace *slot with a copy of value (NULL clears). */
void	hg_set_str(char **slot, const char *value);

/* JSON (json-c): amounts as exact decimal text both ways.  The returned
 * string is the caller's to free. */
char	*hg_bill_to_json(const struct hg_bill *bill);
/* Parse what hg_bill_to_json wrote.  *out is the caller's to free. */
int	hg_bill_from_json(const char *json, struct hg_bill **out,
	    struct hg_err *err);
/* SHA-256 over the bill's content (everything but its source reference),
 * as 64 lower-case hex characters plus NUL. */
void	hg_bill_hash(const struct hg_bill *bill, char out[65]);

#endif
