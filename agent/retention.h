/* retention.personal_days: bills settled or cancelled longer ago lose
 * their personal data (queue/outbox_scrub.c does the work, lib/redact.h
 * says which fields).  The daemon runs it hourly from its main thread
 * (cmd_run.c), `hisgate queue scrub` on demand; both come here. */
#ifndef HG_RETENTION_H
#define HG_RETENTION_H

#include <stdint.h>

#include "lib/err.h"
#include "queue/outbox.h"

#define HG_RETENTION_BATCH	100	/* bills a transaction */

/* Bills last changed before this (wall-clock ms) are due, for `days`. */
int64_t	hg_retention_before(int64_t now_ms, int64_t days);

/* Batches of HG_RETENTION_BATCH until none is left or budget_ms (< 0: no
 * limit) has passed, then the -wal file emptied (hg_outbox_checkpoint).
 * *n: bills scrubbed; *more: some were left for the next run; cb as for
 * hg_outbox_scrub.  With dry, only *n and cb: nothing written. */
int	hg_retention_run(struct hg_outbox *ob, int64_t days, int dry,
	    int64_t budget_ms, void (*cb)(long long id, void *arg), void *arg,
	    long long *n, int *more, struct hg_err *err);

#endif
