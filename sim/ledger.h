/* The simulated platform's ledger: one SQLite file (WAL, synchronous=FULL)
 * holding sign-ins, every msgid received, visits, uploaded fee items,
 * settlements and cancellations.  Nothing is ever deleted: a 2302 marks
 * items deleted, a 2305 adds a negated row, a 2601 marks what it reversed,
 * so the ledger can always explain itself.  Not thread-safe: the platform
 * serialises requests (sim/platform.c). */
#ifndef HG_SIM_LEDGER_H
#define HG_SIM_LEDGER_H

#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"
#include "sim/rules.h"

struct sim_ledger;

struct sim_msg {
	char	 msgid[SIM_IDBUF];
	char	 infno[SIM_CODEBUF];
	char	 psn_no[SIM_IDBUF];
	int	 infcode;
	int	 committed;		/* it changed the ledger */
	char	 ref[SIM_IDBUF];	/* mdtrt_id or setl_id it touched */
	char	 reversed_by[SIM_IDBUF];	/* "" unless a 2601 undid it */
};

struct sim_visit {
	char	 mdtrt_id[SIM_IDBUF];
	char	 psn_no[SIM_IDBUF];
	char	 insutype[SIM_CODEBUF];
	char	 insuplc_admdvs[SIM_CODEBUF];
	char	 fixmedins_code[SIM_IDBUF];
	char	 ipt_no[SIM_IDBUF];
	char	 med_type[SIM_CODEBUF];
	char	 begntime[24];
	char	 endtime[24];
	char	 dscg_way[SIM_CODEBUF];
	char	 state[SIM_CODEBUF];	/* admitted, discharged, cancelled */
	char	 adm_msgid[SIM_IDBUF];
	char	 dscg_msgid[SIM_IDBUF];
};

struct sim_item {
	char	 feedetl_sn[SIM_IDBUF];
	char	 init_feedetl_sn[SIM_IDBUF];
	char	 msgid[SIM_IDBUF];
	char	 med_list_codg[SIM_IDBUF];
	char	 medins_list_codg[SIM_IDBUF];
	char	 chrgitm_lv[SIM_CODEBUF];
	int64_t	 cnt;			/* x10^4 */
	int64_t	 pric;			/* x10^6 */
	int64_t	 amount;		/* fen */
	struct sim_split split;
};

/* One settlement (kind "setl") or cancellation (kind "canc", negated). */
struct sim_setl_row {
	char	 setl_id[SIM_IDBUF];
	char	 kind[8];
	char	 orig_setl_id[SIM_IDBUF];	/* canc: the settlement */
	char	 canc_setl_id[SIM_IDBUF];	/* setl: its cancellation */
	char	 mdtrt_id[SIM_IDBUF];
	char	 psn_no[SIM_IDBUF];
	char	 insutype[SIM_CODEBUF];
	char	 insuplc_admdvs[SIM_CODEBUF];
	char	 fixmedins_code[SIM_IDBUF];
	char	 msgid[SIM_IDBUF];
	char	 setl_time[24];
	int	 year;
	char	 clr_type[SIM_CODEBUF];
	char	 clr_optins[SIM_CODEBUF];
	char	 reversed_by[SIM_IDBUF];
	int64_t	 medfee, fulamt, overlmt, presel, inscp, dedc, hifp, hifmi,
		 hifob, maf, fund, psn, acct, cash, hosp, ci_base;
	char	*output;			/* 2304/2305 output JSON */
};

struct sim_stmt_totals {
	int64_t	 medfee;
	int64_t	 fund;
	int64_t	 acct;
	int64_t	 cnt;
};

int	sim_ledger_open(const char *path, int readonly, struct sim_ledger **out,
	    struct hg_err *err);
void	sim_ledger_close(struct sim_ledger *l);

int	sim_ledger_begin(struct sim_ledger *l, struct hg_err *err);
int	sim_ledger_commit(struct sim_ledger *l, struct hg_err *err);
void	sim_ledger_rollback(struct sim_ledger *l);
/* A savepoint inside the transaction, to drop a rejected request's
 * changes while keeping its msgid. */
int	sim_ledger_savepoint(struct sim_ledger *l, struct hg_err *err);
void	sim_ledger_rollback_to(struct sim_ledger *l);
int	sim_ledger_release(struct sim_ledger *l, struct hg_err *err);

/* msgids */
int	sim_ledger_msg_get(struct sim_ledger *l, const char *msgid,
	    struct sim_msg *m, int *found, struct hg_err *err);
int	sim_ledger_msg_log(struct sim_ledger *l, const struct sim_msg *m,
	    const char *fixmedins_code, int64_t now, const char *err_msg,
	    struct hg_err *err);
int	sim_ledger_msg_reversed(struct sim_ledger *l, const char *msgid,
	    const char *by, struct hg_err *err);
int	sim_ledger_max_serial(struct sim_ledger *l, int64_t *serial,
	    struct hg_err *err);

/* sign-in */
int	sim_ledger_signin_add(struct sim_ledger *l, const char *sign_no,
	    const char *fixmedins_code, const char *opter, int64_t now,
	    int64_t expires, struct hg_err *err);
int	sim_ledger_signin_valid(struct sim_ledger *l, const char *sign_no,
	    const char *fixmedins_code, int64_t now, int *valid,
	    struct hg_err *err);
int	sim_ledger_next_serial(struct sim_ledger *l, const char *table,
	    int64_t *serial, struct hg_err *err);

/* visits */
int	sim_ledger_visit_add(struct sim_ledger *l, const struct sim_visit *v,
	    int64_t now, struct hg_err *err);
int	sim_ledger_visit_get(struct sim_ledger *l, const char *mdtrt_id,
	    struct sim_visit *v, int *found, struct hg_err *err);
/* An open (not cancelled) visit of psn_no at the hospital for ipt_no. */
int	sim_ledger_visit_find(struct sim_ledger *l, const char *psn_no,
	    const char *fixmedins_code, const char *ipt_no,
	    struct sim_visit *v, int *found, struct hg_err *err);
/* The visits of psn_no at the hospital not cancelled, admitted within
 * [begn, end] ("" = no bound; canonical "yyyy-MM-dd HH:mm:ss"), oldest
 * first.  *out is allocated (free()). */
int	sim_ledger_visits_of(struct sim_ledger *l, const char *psn_no,
	    const char *fixmedins_code, const char *begn, const char *end,
	    struct sim_visit **out, size_t *n, struct hg_err *err);
int	sim_ledger_visit_update(struct sim_ledger *l, const struct sim_visit *v,
	    struct hg_err *err);

/* items */
int	sim_ledger_item_add(struct sim_ledger *l, const char *mdtrt_id,
	    const struct sim_item *it, struct hg_err *err);
int	sim_ledger_item_exists(struct sim_ledger *l, const char *mdtrt_id,
	    const char *sn, int *found, struct hg_err *err);
/* Mark deleted (sn NULL: every active item of the visit). */
int	sim_ledger_items_delete(struct sim_ledger *l, const char *mdtrt_id,
	    const char *sn, const char *by_msgid, int *n, struct hg_err *err);
/* Reversal helpers: drop what an upload added, restore what a delete
 * removed.  *n counts the rows; restoring fails on a serial uploaded
 * again since. */
int	sim_ledger_items_unupload(struct sim_ledger *l, const char *msgid,
	    const char *by_msgid, int *n, struct hg_err *err);
int	sim_ledger_items_undelete(struct sim_ledger *l, const char *msgid,
	    int *n, struct hg_err *err);
int	sim_ledger_items_sum(struct sim_ledger *l, const char *mdtrt_id,
	    int64_t *total, struct sim_split *sum, int64_t *count,
	    struct hg_err *err);

/* settlements */
int	sim_ledger_setl_add(struct sim_ledger *l, const struct sim_setl_row *r,
	    struct hg_err *err);
/* By setl_id, or (by_msgid) by the msgid of the 2304/2305 that made it.
 * r->output is allocated: sim_ledger_row_free(). */
int	sim_ledger_setl_get(struct sim_ledger *l, const char *key, int by_msgid,
	    struct sim_setl_row *r, int *found, struct hg_err *err);
void	sim_ledger_row_free(struct sim_setl_row *r);
int	sim_ledger_setl_set_canc(struct sim_ledger *l, const char *setl_id,
	    const char *canc_setl_id, struct hg_err *err);
int	sim_ledger_setl_reversed(struct sim_ledger *l, const char *setl_id,
	    const char *by, struct hg_err *err);
/* Settlements in force for a visit: settlements minus cancellations,
 * neither reversed. */
int	sim_ledger_active(struct sim_ledger *l, const char *mdtrt_id, int *n,
	    struct hg_err *err);
int	sim_ledger_ytd(struct sim_ledger *l, const char *psn_no,
	    const char *insutype, int year, struct sim_ytd *ytd,
	    struct hg_err *err);
/* 3201: mode 0 settlements only, 1 cancellations only, -1 net (count =
 * settlements - cancellations).  Empty insutype/clr_type/optins match all. */
int	sim_ledger_stmt(struct sim_ledger *l, const char *fixmedins_code,
	    const char *insutype, const char *clr_type, const char *optins,
	    const char *begndate, const char *enddate, int mode,
	    struct sim_stmt_totals *t, struct hg_err *err);

/* 3202: the settlements in force (kind setl, neither cancelled nor
 * reversed) over the dates, filtered as sim_ledger_stmt; oldest first,
 * without output.  *out is allocated (free()). */
int	sim_ledger_in_force(struct sim_ledger *l, const char *fixmedins_code,
	    const char *clr_type, const char *optins, const char *begndate,
	    const char *enddate, struct sim_setl_row **out, size_t *n,
	    struct hg_err *err);

/* Files of 9101 (kind "up") and 3202 (kind "result"), kept for 9102. */
struct sim_file {
	char	 file_qury_no[SIM_IDBUF];
	char	 fixmedins_code[SIM_IDBUF];
	char	 filename[SIM_NAMEBUF];
	char	 kind[SIM_CODEBUF];
	char	*content;			/* allocated */
};
int	sim_ledger_file_add(struct sim_ledger *l, const struct sim_file *f,
	    const char *msgid, int64_t now, struct hg_err *err);
int	sim_ledger_file_get(struct sim_ledger *l, const char *file_qury_no,
	    struct sim_file *f, int *found, struct hg_err *err);

/* `hisgate-platform-sim ledger`: every visit with its settlements in
 * force and per-fund totals, as a table or JSON. */
int	sim_ledger_print(struct sim_ledger *l, FILE *out, int json,
	    struct hg_err *err);

#endif
