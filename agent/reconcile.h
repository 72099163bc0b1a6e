/* Inside `hisgate reconcile`: the detail reconciliation (3202) and the
 * two commands that fix what it finds (cmd_reconcile_detail.c,
 * cmd_reconcile_fix.c). */
#ifndef HG_AGENT_RECONCILE_H
#define HG_AGENT_RECONCILE_H

#include "agent/cli.h"
#include "agent/conf.h"
#include "agent/platform.h"
#include "queue/outbox.h"

/* reconcile --detail DATE: exit code (0 no 单边账, 1 some or failure). */
int	hg_reconcile_detail(const struct hg_config *cfg, const char *date,
	    int json);
/* reconcile reverse MSGID [BILL]: 2601 of a 2304 the outbox does not
 * hold.  bill_arg may be NULL (the bill is looked up by the msgid). */
int	hg_reconcile_reverse(const struct hg_cli *cli,
	    const struct hg_config *cfg, const char *msgid,
	    const char *bill_arg);
/* reconcile resettle BILL: a settled bill the platform holds no
 * settlement for (5203) is recorded cancelled and settles again. */
int	hg_reconcile_resettle(const struct hg_cli *cli,
	    const struct hg_config *cfg, const char *bill_arg);
/* reconcile close MDTRT_ID BILL: 2404 of an open visit a lost 2401 of
 * the bill left at the platform (cmd_reconcile_visits.c). */
int	hg_reconcile_close(const struct hg_cli *cli,
	    const struct hg_config *cfg, const char *mdtrt_id,
	    const char *bill_arg);
/* For each bill whose 2401 answer was lost on date and that the agent is
 * done with: 5201, and add() for every open visit with the bill's ipt_no
 * that is not the bill's own (psn_no unmasked, state the bill's).
 * Returns how many bills could not be asked (each named on stderr), or -1
 * with err when the journal cannot be read. */
typedef void (*hg_reconcile_visit_fn)(long long bill, const char *psn_no,
	    const char *mdtrt_id, const char *state, void *arg);
int	hg_reconcile_open_visits(struct hg_outbox *ob, struct hg_platform *p,
	    const struct hg_config *cfg, const char *date,
	    hg_reconcile_visit_fn add, void *arg, struct hg_err *err);
/* The platform for one command: *p and sh to free, or -1 with err. */
int	hg_reconcile_platform(const struct hg_config *cfg,
	    struct hg_platform_shared *sh, struct hg_platform **p,
	    struct hg_err *err);
/* --json of reverse and close: {key: value, "infno", "call_msgid",
 * "refused" (the platform's text, or null)}, for hg_cli_outcome. */
struct json_object *hg_reconcile_extra(const char *key, const char *value,
	    const char *infno, const char *msgid, const char *refused);
/* psn_no for people: first 4 and last 4 kept. */
void	hg_reconcile_mask_psn(const char *psn_no, char *buf, size_t size);

#endif
