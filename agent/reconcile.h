/* Inside `hisgate reconcile`: the detail reconciliation (3202) and the
 * two commands that fix what it finds (cmd_reconcile_detail.c,
 * cmd_reconcile_fix.c). */
#ifndef HG_AGENT_RECONCILE_H
#define HG_AGENT_RECONCILE_H

#include "agent/conf.h"

/* reconcile --detail DATE: exit code (0 no 单边账, 1 some or failure). */
int	hg_reconcile_detail(const struct hg_config *cfg, const char *date);
/* reconcile reverse MSGID [BILL]: 2601 of a 2304 the outbox does not
 * hold.  bill_arg may be NULL (the bill is looked up by the msgid). */
int	hg_reconcile_reverse(const struct hg_config *cfg, const char *msgid,
	    const char *bill_arg);
/* reconcile resettle BILL: a settled bill the platform holds no
 * settlement for (5203) is recorded cancelled and settles again. */
int	hg_reconcile_resettle(const struct hg_config *cfg, const char *bill_arg);
/* psn_no for people: first 4 and last 4 kept. */
void	hg_reconcile_mask_psn(const char *psn_no, char *buf, size_t size);

#endif
