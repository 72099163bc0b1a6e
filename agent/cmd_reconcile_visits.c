/* Open visits a lost 2401 left at the platform, found by reconcile
 * --detail, and `reconcile close MDTRT_ID BILL`, which closes one (2404).
 *
 * The agent resolves a lost 2401 by asking (5201), and looks once more
 * before the bill is settled, when the lost one can no longer land by
 * its timeouts (settle_lost.c).  A platform that queues a request for
 * longer than that still admits it afterwards: one more open visit with
 * the bill's 住院号, which no bill settles or cancels.  The day's
 * reconciliation asks again for every bill of the day whose 2401 answer
 * was lost and that the agent has finished with; an open visit with the
 * bill's ipt_no that is not the bill's own is reported with the command
 * that closes it.  Nothing is closed without a person: the visit may be
 * one the HIS opened by hand. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/reconcile.h"
#include "agent/settle.h"
#include "lib/bill.h"
#include "lib/xmalloc.h"
#include "queue/steps.h"

struct lost {
	const char *date;
	long long *bill;
	size_t	 n;
};

/* a 2401 sent on the day whose answer never came (resolved since by
 * asking, or not yet) */
static int
on_2401(const struct hg_step *st, void *arg)
{
	struct lost *l = arg;
	char day[16];
	time_t t = (time_t)(st->sent_ms / 1000);
	struct tm tm;
	size_t i;

	if (st->response != NULL || localtime_r(&t, &tm) == NULL)
		return 0;
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	if (strcmp(day, l->date) != 0)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->bill[i] == st->bill_id)
			return 0;
	l->bill = hg_xrealloc(l->bill, l->n + 1, sizeof *l->bill);
	l->bill[l->n++] = st->bill_id;
	return 0;
}

/* The agent is done with the bill: nothing it does later opens or
 * adopts a visit. */
static int
finished(const char *state)
{
	return strcmp(state, HG_S_SETTLED) == 0 ||
	    strcmp(state, HG_S_REJECTED) == 0 ||
	    strcmp(state, HG_S_CANCELLED) == 0;
}

/* 5201 for one bill: its open visits that are not its own into add(). */
static int
one_bill(struct hg_outbox *ob, struct hg_platform *p, const char *code,
    long long id, hg_reconcile_visit_fn add, void *arg, struct hg_err *err)
{
	struct hg_nhsa_visit *rows = NULL;
	struct hg_bill *bill = NULL;
	struct hg_row row;
	struct hg_call c;
	size_t i, n = 0;
	int rc = -1, tries;

	memset(&c, 0, sizeof c);
	if (hg_outbox_get(ob, id, &row, err) == -1)
		return -1;
	if (!finished(row.state) || row.psn_no == NULL ||
	    row.ipt_no == NULL || row.scrubbed_ms != 0) {
		rc = 0;
		goto out;
	}
	if (hg_bill_from_json(row.bill_json, &bill, err) == -1) {
		hg_err_prefix(err, "bill %lld", id);
		goto out;
	}
	/* an answer lost on the way is asked again, a few times: the
	 * question changes nothing */
	for (tries = 0;; tries++) {
		if (hg_platform_call(p, "5201", row.insuplc_admdvs,
		    hg_nhsa_in_5201(row.psn_no, bill->adm_time,
		    bill->dscg_time), NULL, &c) == HG_CALL_OK)
			break;
		if (c.outcome == HG_CALL_REFUSED || tries == 2) {
			hg_fail(err, "bill %lld: its visits could not be asked "
			    "(5201: %s)", id, c.resp.err_msg[0] ?
			    c.resp.err_msg : c.err.msg);
			goto out;
		}
		hg_call_free(&c);
		memset(&c, 0, sizeof c);
		sleep(1);
	}
	if (hg_nhsa_out_5201(c.resp.output, &rows, &n, err) == -1) {
		hg_err_prefix(err, "bill %lld: 5201 answer", id);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].inhosp_stas, "1") == 0 &&
		    strcmp(rows[i].ipt_otp_no, row.ipt_no) == 0 &&
		    (rows[i].fixmedins_code[0] == '\0' || code == NULL ||
		    strcmp(rows[i].fixmedins_code, code) == 0) &&
		    (row.mdtrt_id == NULL ||
		    strcmp(rows[i].mdtrt_id, row.mdtrt_id) != 0))
			add(id, row.psn_no, rows[i].mdtrt_id, row.state, arg);
	rc = 0;
out:
	free(rows);
	hg_bill_free(bill);
	hg_call_free(&c);
	hg_row_free(&row);
	return rc;
}

int
hg_reconcile_open_visits(struct hg_outbox *ob, struct hg_platform *p,
    const struct hg_config *cfg, const char *date, hg_reconcile_visit_fn add,
    void *arg, struct hg_err *err)
{
	static const char *const states[] = { HG_STEP_OK, HG_STEP_SENT,
	    HG_STEP_UNKNOWN, HG_STEP_FAILED };
	struct lost l = { date, NULL, 0 };
	struct hg_err e;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof states / sizeof states[0] && rc == 0; i++)
		rc = hg_steps_each(ob, "2401", states[i], on_2401, &l, err);
	/* a bill that cannot be asked now is named, and the others are
	 * still asked: the count says the run is not complete */
	for (i = 0; i < l.n && rc >= 0; i++) {
		if (one_bill(ob, p, cfg->agent.fixmedins_code, l.bill[i], add,
		    arg, &e) == 0)
			continue;
		fprintf(stderr, "hisgate: %s\n", e.msg);
		rc++;
	}
	free(l.bill);
	return rc;
}

int
hg_reconcile_close(const struct hg_cli *cli, const struct hg_config *cfg,
    const char *mdtrt_id, const char *bill_arg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_call c;
	struct hg_err err;
	struct hg_cli_jctx jc;
	struct hg_journal j = { hg_cli_j_sent, hg_cli_j_answered, &jc };
	long long id;
	int rc = HG_EXIT_FAIL, open = 0;

	memset(&c, 0, sizeof c);
	memset(&row, 0, sizeof row);
	if (hg_cli_bill_id("reconcile close", bill_arg, &id) == -1)
		return HG_EXIT_USAGE;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (hg_outbox_get(ob, id, &row, &err) == -1)
		goto fail;
	if (row.psn_no == NULL) {
		hg_fail(&err, "bill %lld was never admitted (no psn_no): "
		    "visit %s is not its", id, mdtrt_id);
		goto fail;
	}
	if (row.mdtrt_id != NULL && strcmp(row.mdtrt_id, mdtrt_id) == 0) {
		hg_fail(&err, "visit %s is bill %lld's own: only a visit the "
		    "bill does not hold can be closed here (to undo the bill: "
		    "hisgate queue cancel %lld)", mdtrt_id, id, id);
		goto fail;
	}
	if (!finished(row.state)) {
		hg_fail(&err, "bill %lld is %s: the agent may still adopt "
		    "visit %s; run this once the bill is settled, rejected or "
		    "cancelled", id, row.state, mdtrt_id);
		goto fail;
	}
	if (hg_reconcile_platform(cfg, &sh, &p, &err) == -1)
		goto fail;
	open = 1;
	jc.ob = ob;
	jc.id = id;
	jc.state = row.state;
	switch (hg_platform_call(p, "2404", row.insuplc_admdvs,
	    hg_nhsa_in_2404(mdtrt_id, row.psn_no), &j, &c)) {
	case HG_CALL_OK:
		hg_cli_outcome(cli, id, row.state, 0, hg_reconcile_extra(
		    "mdtrt_id", mdtrt_id, "2404", c.msgid, NULL), "visit %s "
		    "closed (2404 %s); the bill is %s", mdtrt_id, c.msgid,
		    row.state);
		rc = HG_EXIT_OK;
		break;
	case HG_CALL_REFUSED:
		/* not read: a person looks (closed already, settled, or not
		 * ours) */
		fprintf(stderr, "hisgate: 2404 of visit %s refused (infcode "
		    "%lld: %s); check it with hisgate reconcile --detail\n",
		    mdtrt_id, (long long)c.resp.infcode, c.resp.err_msg);
		break;
	default:
		fprintf(stderr, "hisgate: 2404 of visit %s: %s; run the same "
		    "command again: closing a closed visit is refused, which "
		    "is an answer too\n", mdtrt_id, c.err.msg);
		break;
	}
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	hg_call_free(&c);
	hg_platform_free(p);
	if (open)
		hg_platform_shared_destroy(&sh);
	hg_row_free(&row);
	hg_outbox_close(ob);
	return rc;
}
