/* What the last detail reconciliation (`hisgate reconcile --detail`,
 * 3202) found, kept in the outbox: the web page shows it with its time
 * and never calls the platform itself.  Only the last run is kept; a run
 * that did not get the platform's answer keeps the one before.  0 or -1
 * with err, as the rest of queue/. */
#ifndef HG_RECON_H
#define HG_RECON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "queue/outbox.h"

/* Kinds of row, stored as these strings. */
#define HG_RECON_ONLY_PLATFORM	"only_platform"	/* 单边账: settled at the
						 * platform, not in the outbox */
#define HG_RECON_ONLY_OUTBOX	"only_outbox"	/* 单边账: settled in the
						 * outbox, not in force there */
#define HG_RECON_AMOUNTS	"amounts"	/* in both, amounts differ */
#define HG_RECON_OPEN_VISIT	"open_visit"	/* a visit a lost 2401 left
						 * open that no bill holds */

struct hg_recon_run {
	int64_t	 run_ms;	/* wall clock of the run */
	char	 date[16];	/* the day reconciled, YYYY-MM-DD */
	long long matched;	/* settlements in force on both sides */
};

struct hg_recon_row {
	const char *kind;	/* HG_RECON_* */
	long long bill;		/* the outbox's bill, 0 when none is known */
	const char *person;	/* psn_no as people see it (masked) */
	const char *mdtrt_id, *setl_id, *msgid;
	int64_t	 medfee_sumamt;	/* fen */
	const char *memo;	/* the platform's note, or "" */
	const char *fix;	/* the command reconcile --detail proposes */
};

/* Replace the kept result with this run and its n rows, in one
 * transaction (the caller's when one is open). */
int	hg_recon_save(struct hg_outbox *ob, const struct hg_recon_run *run,
	    const struct hg_recon_row *rows, size_t n, struct hg_err *err);
/* The kept result: 1 with *run filled and cb called for each row (in the
 * order saved; non-zero stops), 0 when no run was kept, -1. */
int	hg_recon_last(struct hg_outbox *ob, struct hg_recon_run *run,
	    int (*cb)(const struct hg_recon_row *row, void *arg), void *arg,
	    struct hg_err *err);

#endif
