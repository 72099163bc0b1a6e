/* Retention runs (see retention.h). */
#include "config.h"

#include "agent/retention.h"
#include "lib/log.h"

#define DAY_MS	(24LL * 3600 * 1000)

int64_t
hg_retention_before(int64_t now_ms, int64_t days)
{
	return now_ms - days * DAY_MS;
}

int
hg_retention_run(struct hg_outbox *ob, int64_t days, int dry,
    int64_t budget_ms, void (*cb)(long long id, void *arg), void *arg,
    long long *n, int *more, struct hg_err *err)
{
	int64_t start = hg_now_ms(), now = hg_wall_ms();
	int64_t before = hg_retention_before(now, days);
	long long got;
	int busy;

	*n = 0;
	*more = 0;
	if (days <= 0)
		return 0;
	if (dry)
		return hg_outbox_scrub(ob, before, now, 0, 1, cb, arg, n, err);
	/* one transaction a batch: intake and the workers wait for the
	 * write lock one batch at the most */
	do {
		if (hg_outbox_scrub(ob, before, now, HG_RETENTION_BATCH, 0, cb,
		    arg, &got, err) == -1)
			return -1;
		*n += got;
		if (got == HG_RETENTION_BATCH && budget_ms >= 0 &&
		    hg_now_ms() - start >= budget_ms) {
			*more = 1;
			break;
		}
	} while (got == HG_RETENTION_BATCH);
	if (*n == 0)
		return 0;
	if (hg_outbox_checkpoint(ob, &busy, err) == -1)
		return -1;
	if (busy)
		log_notice("retention", "the -wal file still holds pages from "
		    "before the scrub (a reader kept the checkpoint from "
		    "finishing): the next checkpoint empties it");
	return 0;
}
