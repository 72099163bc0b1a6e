/* Write-back: the result of each bill back to the HIS, so that nurses see
 * it inside their own system.  For every adapter whose configuration has
 * a results_dir (csvdrop, dbf), a result file per bill, named after the
 * bill's source file, is written there once the bill is settled, rejected
 * or cancelled: its state, setl_id, each fund and the cash to pay, or the
 * rejection reason.  An adapter with a write_result (odbc) is given the
 * same values to write into the source itself.  It is driven from the
 * outbox only and never changes a bill; what was written and what failed
 * (retried with backoff) is kept in the outbox's writeback table, shown
 * by `hisgate queue show`. */
#ifndef HG_WRITEBACK_H
#define HG_WRITEBACK_H

#include <stdio.h>

#include "agent/conf.h"
#include "lib/err.h"
#include "queue/outbox.h"

struct hg_writeback;

/* Start the writer thread (nothing is started when no adapter has a
 * results_dir or a write_result: *out is then NULL).  It must be stopped
 * before the adapters are destroyed: it calls their write_result. */
int	hg_writeback_start(const struct hg_config *cfg,
	    struct hg_writeback **out, struct hg_err *err);
void	hg_writeback_stop(struct hg_writeback *w);	/* NULL is fine */
/* One pass over the outbox: write what is due.  Returns the number of
 * files written, or -1 with err when the outbox cannot be read. */
int	hg_writeback_pass(struct hg_writeback *w, struct hg_outbox *ob,
	    struct hg_err *err);
/* The write-back lines of bill id for queue show ("" when none). */
void	hg_writeback_show(struct hg_outbox *ob, long long id, FILE *fp);

#endif
