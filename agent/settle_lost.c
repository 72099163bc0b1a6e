/* What happens after a lost answer (settle_int.h).  A call whose answer
 * never came (timeout after sending, reset, empty reply, HTTP 5xx,
 * garbage, infcode -1, or the agent died) has an unknown outcome: nothing
 * is sent blindly again, the platform is asked first, and only with what
 * the national interface offers.  No refusal text is ever read: a text is
 * for people (it is shown and journalled), an answer's fields and codes
 * are for the agent.
 *
 *   lost 2304  wait until it can no longer be under way, then 2601
 *              (omsgid = its msgid, oinfno 2304).  Answered 0 (reversed)
 *              or refused (-2: never committed, or reversed already):
 *              either way nothing of that msgid is in force; the bill is
 *              settled again (2303, 2304 with a new msgid).  A lost 2601
 *              answer is resolved by sending 2601 again.
 *   lost 2401  5201 for the person and the stay: the open visit with the
 *              bill's ipt_no is adopted; every other open one with it is
 *              closed with 2404 (a platform that admits a repeated 2401
 *              again leaves two).  None listed: 2401 again.  That one
 *              refused: 5201 again (the lost one may have landed late,
 *              and a platform that refuses a repeated 2401 refused this
 *              one for it); still none: the refusal is final.  And
 *              before the bill is settled, 5201 once more when the lost
 *              one can no longer land (hs_late_ms): what opened late
 *              is closed (2404).
 *   lost 2404  5201 again: a visit still listed open is closed again.
 *   lost 2402  5201: the visit "0" (discharged) counts as done, "1" (in
 *   lost 2405  hospital) not; for 2405 the other way round.
 *   lost 2301  the uploads are not known exactly: every item of the visit
 *   or 2302    is deleted (2302 "0000") and uploaded again (settle_next.c,
 *              which also checks each answer's item count).
 *   lost 2305  (hisgate queue cancel, agent/cmd_settle.c) 5203 with the
 *              setl_id the outbox holds says whether it is cancelled.
 *
 * Each waits for the lost call's timeout to pass first (hs_step), and the
 * number of tries is bounded (HG_SETTLE_MAX_*): then the bill waits for a
 * person (needs_person) with every call and answer in its journal. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/settle_int.h"
#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

/* The last 2304 whose answer was lost. */
static const struct hg_step *
lost_2304(const struct job *j)
{
	const struct hg_step *st = NULL;
	size_t i;

	for (i = 0; i < j->nsteps; i++)
		if (hs_is(&j->steps[i], "2304", NULL) &&
		    hs_unanswered(&j->steps[i]))
			st = &j->steps[i];
	return st;
}

enum res
hs_resolve_2304(struct job *j)
{
	const struct hg_step *st = lost_2304(j);
	char reason[HG_NHSA_TEXTBUF + 256], omsgid[HG_NHSA_MSGIDBUF];
	struct hg_call c;
	struct hg_err err;
	size_t i;
	enum res rv;

	if (st == NULL)
		return R_NEXT;
	snprintf(omsgid, sizeof omsgid, "%s", st->msgid);
	if (strcmp(j->row.state, HG_S_PROGRESS) == 0) {
		snprintf(reason, sizeof reason, "the answer to 2304 %s was "
		    "lost; reversing it (2601) before anything is sent again",
		    omsgid);
		if (hg_steps_doubt(j->w->ob, j->row.id, j->w->owner, reason,
		    &err) == -1)
			return hs_db_failed(j, &err);
		hg_set_str(&j->row.state, HG_S_INDOUBT);
		log_notice(COMP, "bill %lld: %s", j->row.id, reason);
	}
	switch (hs_call(j, "2601", hg_nhsa_in_2601(j->row.psn_no, omsgid,
	    "2304"), &c)) {
	case HG_CALL_OK:
		snprintf(reason, sizeof reason, "reversed by 2601 %s: not in "
		    "force", c.msgid);
		break;
	case HG_CALL_REFUSED:
		/* never committed, or reversed already: the interface says
		 * both mean nothing of that msgid is in force.  The text is
		 * kept for people, not read. */
		snprintf(reason, sizeof reason, "not in force: 2601 %s refused "
		    "to reverse it (infcode %lld: %s)", c.msgid,
		    (long long)c.resp.infcode, c.resp.err_msg);
		break;
	default:
		/* lost again, or not sent: 2601 again on the next round */
		rv = hs_failed(j, &c);
		hg_call_free(&c);
		return rv;
	}
	hg_call_free(&c);
	if (HS_LOCKED(j->w, hg_steps_answer(j->w->ob, omsgid, HG_STEP_FAILED,
	    NULL, reason, &err)) == -1)
		return hs_db_failed(j, &err);
	log_notice(COMP, "bill %lld: 2304 %s %s", j->row.id, omsgid, reason);
	/* the last one in doubt: settle again (an earlier one is reversed
	 * on the next round) */
	for (i = 0; i < j->nsteps; i++)
		if (hs_is(&j->steps[i], "2304", NULL) &&
		    hs_unanswered(&j->steps[i]) &&
		    strcmp(j->steps[i].msgid, omsgid) != 0)
			return R_NEXT;
	if (hg_steps_undoubt(j->w->ob, j->row.id, j->w->owner, "the lost "
	    "2304 is not in force (2601); settling again with a new msgid",
	    &err) == -1)
		return hs_db_failed(j, &err);
	hg_set_str(&j->row.state, HG_S_PROGRESS);
	return R_NEXT;
}

static int
unanswered_dscg(const struct job *j)
{
	size_t i;

	for (i = 0; i < j->nsteps; i++)
		if ((hs_is(&j->steps[i], "2402", NULL) ||
		    hs_is(&j->steps[i], "2405", NULL)) &&
		    hs_unanswered(&j->steps[i]))
			return 1;
	return 0;
}

/* Mark every unanswered step of infno with state and why. */
static int
settle_lost(struct job *j, const char *infno, const char *state,
    const char *why)
{
	struct hg_err err;
	size_t i;

	for (i = 0; i < j->nsteps; i++) {
		if (!hs_is(&j->steps[i], infno, NULL) ||
		    !hs_unanswered(&j->steps[i]))
			continue;
		if (HS_LOCKED(j->w, hg_steps_answer(j->w->ob,
		    j->steps[i].msgid, state, NULL, why, &err)) == -1)
			return hs_db_failed(j, &err);
	}
	return 0;
}

/* The visit to adopt after a lost 2401: an open one with the bill's
 * ipt_no (the lowest mdtrt_id of several, so that the choice does not
 * depend on the platform's order), or NULL. */
static const struct hg_nhsa_visit *
adoptable(const struct job *j, const struct hg_nhsa_visit *rows, size_t n)
{
	const struct hg_nhsa_visit *best = NULL;
	const char *code = j->w->s->cfg->agent.fixmedins_code;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].inhosp_stas, "1") != 0 ||
		    j->row.ipt_no == NULL ||
		    strcmp(rows[i].ipt_otp_no, j->row.ipt_no) != 0 ||
		    (rows[i].fixmedins_code[0] != '\0' && code != NULL &&
		    strcmp(rows[i].fixmedins_code, code) != 0))
			continue;
		if (best == NULL || strcmp(rows[i].mdtrt_id,
		    best->mdtrt_id) < 0)
			best = &rows[i];
	}
	return best;
}

/* The bill's last 2401 when the platform refused it, or NULL. */
static const struct hg_step *
last_2401_refused(const struct job *j)
{
	const struct hg_step *last = NULL;
	size_t i;

	for (i = 0; i < j->nsteps; i++)
		if (hs_is(&j->steps[i], "2401", NULL))
			last = &j->steps[i];
	return last != NULL && hs_refused(last) ? last : NULL;
}

/* The visit's state decides what a lost 2402 or 2405 did. */
static enum res
dscg_by_visit(struct job *j, const struct hg_nhsa_visit *v,
    const char *q_msgid)
{
	char why[256];
	int out;

	if (v == NULL) {
		snprintf(why, sizeof why, "5201 %s does not list the bill's "
		    "visit %s (cancelled at the platform?)", q_msgid,
		    j->row.mdtrt_id);
		return hs_needs_person(j, why);
	}
	out = strcmp(v->inhosp_stas, "0") == 0;
	snprintf(why, sizeof why, "5201 %s: visit %s is %s", q_msgid,
	    v->mdtrt_id, out ? "discharged" : "in hospital");
	if (settle_lost(j, "2402", out ? HG_STEP_OK : HG_STEP_FAILED,
	    why) != 0 || settle_lost(j, "2405", out ? HG_STEP_FAILED :
	    HG_STEP_OK, why) != 0)
		return R_RETRY;
	log_notice(COMP, "bill %lld: %s", j->row.id, why);
	return R_NEXT;
}

enum res
hs_visits_5201(struct job *j)
{
	const struct hg_nhsa_visit *v;
	const struct hg_step *refused;
	struct hg_nhsa_visit *rows = NULL;
	struct hg_call c;
	struct hg_err err;
	char why[HG_NHSA_TEXTBUF + 256];
	size_t n = 0;
	enum res rv = R_NEXT;

	hs_fill_bill(j);
	if (hs_call(j, "5201", hg_nhsa_in_5201(j->row.psn_no,
	    j->bill->adm_time, j->bill->dscg_time), &c) != HG_CALL_OK) {
		if (c.outcome == HG_CALL_REFUSED) {
			snprintf(why, sizeof why, "5201 %s refused (infcode "
			    "%lld: %s): the visits of this bill cannot be "
			    "checked", c.msgid, (long long)c.resp.infcode,
			    c.resp.err_msg);
			rv = hs_needs_person(j, why);
		} else {
			rv = hs_failed(j, &c);
		}
		goto out;
	}
	if (hg_nhsa_out_5201(c.resp.output, &rows, &n, &err) == -1) {
		snprintf(why, sizeof why, "5201 %s: %s", c.msgid, err.msg);
		rv = hs_needs_person(j, why);
		goto out;
	}
	if (j->row.mdtrt_id == NULL) {
		/* a lost 2401 */
		if ((v = adoptable(j, rows, n)) == NULL &&
		    (refused = last_2401_refused(j)) != NULL) {
			/* the refusal was not for a visit of ours: final */
			rv = hs_reject(j, refused->err_msg != NULL &&
			    refused->err_msg[0] != '\0' ? refused->err_msg :
			    "2401 refused");
			goto out;
		}
		if (v == NULL) {
			snprintf(why, sizeof why, "not admitted: 5201 %s lists "
			    "no open visit with ipt_no %s", c.msgid,
			    j->row.ipt_no ? j->row.ipt_no : "-");
			if (settle_lost(j, "2401", HG_STEP_FAILED, why) != 0)
				rv = R_RETRY;
			log_notice(COMP, "bill %lld: %s; admitting again",
			    j->row.id, why);
			goto out;
		}
		if (HS_LOCKED(j->w, hg_steps_set_mdtrt(j->w->ob, j->row.id,
		    j->w->owner, v->mdtrt_id, &err)) == -1) {
			rv = hs_db_failed(j, &err);
			goto out;
		}
		hg_set_str(&j->row.mdtrt_id, v->mdtrt_id);
		snprintf(why, sizeof why, "admitted as %s (5201 %s)",
		    v->mdtrt_id, c.msgid);
		if (settle_lost(j, "2401", HG_STEP_OK, why) != 0)
			rv = R_RETRY;
		log_notice(COMP, "bill %lld: the lost 2401 %s", j->row.id, why);
		goto out;
	}
	/* a lost 2402 or 2405 (a lost 2404 needs only the new list: the
	 * view closes what is still open) */
	if (unanswered_dscg(j))
		rv = dscg_by_visit(j, hg_nhsa_visit_find(rows, n,
		    j->row.mdtrt_id), c.msgid);
out:
	free(rows);
	hg_call_free(&c);
	return rv;
}

/* The latest moment at which a call of one of these infnos whose answer
 * was lost could still be under way at the platform (sent + timeout), or
 * 0.  A killed agent's last request may reach the platform after the
 * new agent started: a delete (2302) sent before that upload lands would
 * let it land afterwards, doubling nothing but leaving an item the bill
 * then uploads again.  So resolutions wait that long. */
int64_t
hs_in_flight_until(const struct job *j, const char *const *infnos)
{
	const struct hg_platform_conf *pc = &j->w->s->cfg->platform;
	const struct hg_step *st;
	int64_t t, until = 0;
	size_t i, k;

	for (i = 0; i < j->nsteps; i++) {
		st = &j->steps[i];
		if (!hs_unanswered(st))
			continue;
		for (k = 0; infnos[k] != NULL; k++)
			if (strcmp(st->infno, infnos[k]) == 0)
				break;
		if (infnos[k] == NULL)
			continue;
		t = st->sent_ms + hg_platform_timeout(pc, st->infno) +
		    pc->connect_timeout_ms;
		if (t > until)
			until = t;
	}
	return until;
}

int64_t
hs_late_ms(const struct job *j)
{
	const struct hg_platform_conf *pc = &j->w->s->cfg->platform;

	return 4 * (hg_platform_timeout(pc, "2401") + pc->connect_timeout_ms);
}

