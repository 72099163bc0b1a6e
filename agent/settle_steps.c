/* The steps' calls (settle_int.h): each sends one call for the bill and
 * records what its answer means; what to send next is decided from the
 * journal (settle_next.c).  Lost answers: settle_lost.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/settle_int.h"
#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

static struct hg_nhsa_cert
hs_cert_of(const struct job *j)
{
	struct hg_nhsa_cert c;

	c.mdtrt_cert_type = j->w->s->cfg->platform.mdtrt_cert_type;
	c.mdtrt_cert_no = j->bill->certno;
	c.card_sn = strcmp(c.mdtrt_cert_type, "03") == 0 ? j->bill->card_no :
	    NULL;
	return c;
}

/* The insurance row to settle under: the bill's insutype if it names
 * one, else the first active row. */
static const struct hg_nhsa_insuinfo *
hs_pick_insu(const struct hg_nhsa_person *p, const char *want)
{
	size_t i;

	if (want != NULL && want[0] != '\0')
		return hg_nhsa_person_insu(p, want);
	for (i = 0; i < p->ninsu; i++)
		if (strcmp(p->insu[i].psn_insu_stas, "1") == 0)
			return &p->insu[i];
	return NULL;
}

/* insutype and insuplc_admdvs of a bill whose person is known: from the
 * bill, the row, and the last answered 1101. */
void
hs_person_from_journal(struct job *j)
{
	struct hg_nhsa_person person;
	const struct hg_nhsa_insuinfo *in;
	struct hg_nhsa_resp r;
	struct hg_err err;
	size_t i;

	if (j->row.insuplc_admdvs != NULL)
		snprintf(j->insuplc, sizeof j->insuplc, "%s",
		    j->row.insuplc_admdvs);
	if (j->bill->insutype != NULL && j->bill->insutype[0] != '\0') {
		snprintf(j->insutype, sizeof j->insutype, "%s",
		    j->bill->insutype);
		return;
	}
	for (i = j->nsteps; i-- > 0;) {
		if (!hs_is(&j->steps[i], "1101", HG_STEP_OK) ||
		    j->steps[i].response == NULL)
			continue;
		if (hg_nhsa_resp_parse(j->steps[i].response,
		    strlen(j->steps[i].response), &r, &err) == -1)
			return;
		if (hg_nhsa_out_1101(r.output, &person, &err) == 0 &&
		    (in = hs_pick_insu(&person, NULL)) != NULL)
			snprintf(j->insutype, sizeof j->insutype, "%s",
			    in->insutype);
		hg_nhsa_resp_free(&r);
		return;
	}
}

enum res
hs_mdtrt_from_journal(struct job *j)
{
	const struct hg_step *last = NULL;
	char mdtrt_id[HG_NHSA_IDBUF];
	struct hg_nhsa_resp r;
	struct hg_err err;
	size_t i;
	int rc;

	if (j->row.mdtrt_id != NULL)
		return R_NEXT;
	for (i = 0; i < j->nsteps; i++)
		if (hs_is(&j->steps[i], "2401", NULL))
			last = &j->steps[i];
	if (last == NULL || !hs_is(last, "2401", HG_STEP_OK) ||
	    last->response == NULL || hg_nhsa_resp_parse(last->response,
	    strlen(last->response), &r, &err) == -1)
		return R_NEXT;
	rc = hg_nhsa_out_2401(r.output, mdtrt_id, &err);
	hg_nhsa_resp_free(&r);
	if (rc == -1)
		return R_NEXT;
	if (HS_LOCKED(j->w, hg_steps_set_mdtrt(j->w->ob, j->row.id,
	    j->w->owner, mdtrt_id, &err)) == -1)
		return hs_db_failed(j, &err);
	hg_set_str(&j->row.mdtrt_id, mdtrt_id);
	log_notice(COMP, "bill %lld: admitted as %s (2401 %s, answered before "
	    "the agent stopped)", j->row.id, mdtrt_id, last->msgid);
	return R_NEXT;
}

static enum res
hs_do_1101(struct job *j)
{
	struct hg_nhsa_cert cert = hs_cert_of(j);
	const struct hg_nhsa_insuinfo *in;
	struct hg_nhsa_person person;
	struct hg_call c;
	struct hg_err err;
	enum res rv;

	if (hs_call(j, "1101", hg_nhsa_in_1101(&cert, j->bill->psn_cert_type ?
	    j->bill->psn_cert_type : "01", j->bill->certno,
	    j->bill->psn_name), &c) != HG_CALL_OK) {
		rv = hs_failed(j, &c);
		goto out;
	}
	if (hg_nhsa_out_1101(c.resp.output, &person, &err) == -1) {
		rv = hs_reject(j, err.msg);
		goto out;
	}
	if ((in = hs_pick_insu(&person, j->bill->insutype)) == NULL) {
		char why[256];

		snprintf(why, sizeof why, "1101: no active insurance%s%s for "
		    "this person", j->bill->insutype ? " of type " : "",
		    j->bill->insutype ? j->bill->insutype : "");
		rv = hs_reject(j, why);
		goto out;
	}
	if (HS_LOCKED(j->w, hg_steps_set_person(j->w->ob, j->row.id,
	    j->w->owner, person.psn_no, in->insuplc_admdvs, &err)) == -1) {
		rv = hs_db_failed(j, &err);
		goto out;
	}
	hg_set_str(&j->row.psn_no, person.psn_no);
	hg_set_str(&j->row.insuplc_admdvs, in->insuplc_admdvs);
	hg_set_str(&j->bill->psn_no, person.psn_no);
	snprintf(j->insutype, sizeof j->insutype, "%s", in->insutype);
	snprintf(j->insuplc, sizeof j->insuplc, "%s", in->insuplc_admdvs);
	rv = R_NEXT;
out:
	hg_call_free(&c);
	return rv;
}

void
hs_fill_bill(struct job *j)
{
	hg_set_str(&j->bill->psn_no, j->row.psn_no);
	hg_set_str(&j->bill->mdtrt_id, j->row.mdtrt_id);
	if (j->insutype[0] != '\0')
		hg_set_str(&j->bill->insutype, j->insutype);
}

static enum res
hs_simple(struct job *j, const char *infno, struct json_object *in)
{
	struct hg_call c;
	enum res rv = R_NEXT;

	if (hs_call(j, infno, in, &c) != HG_CALL_OK)
		rv = hs_failed(j, &c);
	hg_call_free(&c);
	return rv;
}

/* A refused 2402 rejects the bill like any refusal: whether the visit
 * is discharged is never read from a text (a lost 2402 is resolved by
 * 5201, settle_lost.c). */
static enum res
hs_do_2402(struct job *j)
{
	hs_fill_bill(j);
	return hs_simple(j, "2402", hg_nhsa_in_2402(j->bill, NULL));
}

static enum res
hs_do_2401(struct job *j)
{
	struct hg_nhsa_cert cert = hs_cert_of(j);
	char mdtrt_id[HG_NHSA_IDBUF];
	struct hg_call c;
	struct hg_err err;
	enum res rv;

	struct hg_settle_view v;

	/* Sent only when no earlier 2401 of this bill may be in force: one
	 * whose answer was lost is resolved by 5201 first (settle_lost.c). */
	hs_fill_bill(j);
	hg_settle_view(&j->row, j->bill, j->steps, j->nsteps, &j->memo, &v);
	if (hs_call(j, "2401", hg_nhsa_in_2401(j->bill, &cert), &c) !=
	    HG_CALL_OK) {
		/* refused after an earlier one was lost: that one may have
		 * landed late, so the visits are asked (5201) before the
		 * refusal is taken as final */
		rv = c.outcome == HG_CALL_REFUSED && v.lost_2401_ms > 0 ?
		    R_NEXT : hs_failed(j, &c);
		goto out;
	}
	if (hg_nhsa_out_2401(c.resp.output, mdtrt_id, &err) == -1) {
		/* admitted, but the answer cannot be read: as if lost */
		hg_err_prefix(&err, "2401 %s", c.msgid);
		HS_LOCKED(j->w, hg_steps_answer(j->w->ob, c.msgid,
		    HG_STEP_UNKNOWN, NULL, err.msg, NULL));
		snprintf(j->why, sizeof j->why, "%s", err.msg);
		rv = R_NEXT;
		goto out;
	}
	if (HS_LOCKED(j->w, hg_steps_set_mdtrt(j->w->ob, j->row.id,
	    j->w->owner, mdtrt_id, &err)) == -1) {
		rv = hs_db_failed(j, &err);
		goto out;
	}
	hg_set_str(&j->row.mdtrt_id, mdtrt_id);
	rv = R_NEXT;
out:
	hg_call_free(&c);
	return rv;
}

/* 2404 for an open visit of this bill that is not its own (a repeated
 * 2401 admitted again), 2405 to reopen the discharged visit before its
 * items change.  A refusal is not read: a person looks. */
static enum res
hs_visit_call(struct job *j, const char *infno, const char *mdtrt_id)
{
	char why[HG_NHSA_TEXTBUF + 128];
	struct hg_call c;
	enum res rv = R_NEXT;

	if (hs_call(j, infno, strcmp(infno, "2404") == 0 ?
	    hg_nhsa_in_2404(mdtrt_id, j->row.psn_no) :
	    hg_nhsa_in_2405(mdtrt_id, j->row.psn_no), &c) == HG_CALL_OK) {
		log_notice(COMP, "bill %lld: %s %s for visit %s", j->row.id,
		    infno, strcmp(infno, "2404") == 0 ? "closed the extra "
		    "admission" : "reopened", mdtrt_id);
	} else if (c.outcome == HG_CALL_REFUSED) {
		snprintf(why, sizeof why, "%s %s for visit %s refused "
		    "(infcode %lld: %s)", infno, c.msgid, mdtrt_id,
		    (long long)c.resp.infcode, c.resp.err_msg);
		rv = hs_needs_person(j, why);
	} else {
		rv = hs_failed(j, &c);
	}
	hg_call_free(&c);
	return rv;
}


static enum res
hs_do_2301(struct job *j)
{
	struct json_object *all, *arr, *chunk, *in;
	size_t i, k, nitems, sent = 0, max, *order;
	struct hg_call c;
	enum res rv = R_NEXT;
	char *up;

	hs_fill_bill(j);
	/* what is up there already (the view found it clean) */
	(void)hg_settle_uploaded(j->bill, j->steps, j->nsteps, &j->memo, &up,
	    &nitems);
	max = (size_t)j->w->s->cfg->platform.chunk_size;
	all = hg_nhsa_in_2301(j->bill, 0, j->bill->nfees);
	arr = json_object_object_get(all, "feedetail");
	chunk = json_object_new_array();
	/* originals before the refund lines that name them, in one upload
	 * and across chunks */
	order = hg_xcalloc(nitems > 0 ? nitems : 1, sizeof *order);
	hg_settle_upload_order(j->bill, order);
	for (i = 0; i < nitems && sent < max; i++) {
		k = order[i];
		if (up[k])
			continue;
		json_object_array_add(chunk, json_object_get(
		    json_object_array_get_idx(arr, k)));
		sent++;
	}
	free(order);
	json_object_put(all);
	free(up);
	in = json_object_new_object();
	json_object_object_add(in, "feedetail", json_object_get(chunk));
	if (hs_call(j, "2301", in, &c) != HG_CALL_OK)
		rv = hs_failed(j, &c);
	else
		hg_settle_memo_seed(&j->memo, c.msgid, chunk, c.resp.output);
	json_object_put(chunk);
	hg_call_free(&c);
	return rv;
}

static void
hs_setl_req(struct job *j, struct hg_nhsa_setl_req *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", j->row.psn_no);
	snprintf(r->mdtrt_cert_type, sizeof r->mdtrt_cert_type, "%s",
	    j->w->s->cfg->platform.mdtrt_cert_type);
	snprintf(r->mdtrt_cert_no, sizeof r->mdtrt_cert_no, "%s",
	    j->bill->certno ? j->bill->certno : "");
	snprintf(r->mdtrt_id, sizeof r->mdtrt_id, "%s", j->row.mdtrt_id);
	snprintf(r->insutype, sizeof r->insutype, "%s", j->insutype);
	r->medfee_sumamt = hg_bill_sum(j->bill);
}

static enum res
hs_do_2303(struct job *j)
{
	struct hg_nhsa_setl_req req;
	struct hg_nhsa_setl setl;
	struct hg_call c;
	struct hg_err err;
	char a[HG_DECBUF], b[HG_DECBUF], why[256];
	enum res rv = R_NEXT;

	hs_setl_req(j, &req);
	if (hs_call(j, "2303", hg_nhsa_in_setl(&req), &c) != HG_CALL_OK) {
		rv = hs_failed(j, &c);
		goto out;
	}
	if (hg_nhsa_out_setl(c.resp.output, &setl, &err) == -1) {
		hg_err_prefix(&err, "2303");
		rv = hs_reject(j, err.msg);
		goto out;
	}
	/* The platform adds up what it received; a difference means items
	 * went missing or were duplicated on the way: settle nothing. */
	if (setl.medfee_sumamt != req.medfee_sumamt) {
		snprintf(why, sizeof why, "2303: the platform's total %s is "
		    "not the bill's %s", hg_dec_format(setl.medfee_sumamt, 2,
		    a), hg_dec_format(req.medfee_sumamt, 2, b));
		rv = hs_reject(j, why);
	}
out:
	hg_call_free(&c);
	return rv;
}

/* Record the settlement the journal holds (2304 answered ok, or found by
 * 5203).  Never sends anything. */
static enum res
hs_do_finish(struct job *j)
{
	const struct hg_step *st = NULL;
	struct hg_nhsa_setl setl;
	struct hg_nhsa_resp r;
	struct hg_err err;
	char *text, total[HG_DECBUF], reason[256], name[64];
	size_t i;
	enum res rv;

	for (i = 0; i < j->nsteps; i++)
		if (hs_is(&j->steps[i], "2304", HG_STEP_OK))
			st = &j->steps[i];
	if (st == NULL || st->response == NULL ||
	    hg_nhsa_resp_parse(st->response, strlen(st->response), &r,
	    &err) == -1) {
		snprintf(j->why, sizeof j->why, "2304 %s answered ok but its "
		    "answer cannot be read back", st ? st->msgid : "?");
		log_error(COMP, "bill %lld: %s", j->row.id, j->why);
		return R_RETRY;
	}
	if (hg_nhsa_out_setl(r.output, &setl, &err) == -1) {
		snprintf(j->why, sizeof j->why, "2304 %s: %s", st->msgid,
		    err.msg);
		log_error(COMP, "bill %lld: %s", j->row.id, j->why);
		hg_nhsa_resp_free(&r);
		return R_RETRY;
	}
	if (hg_nhsa_setl_check(&setl, &err) == -1)
		log_warn(COMP, "bill %lld: settlement %s: %s", j->row.id,
		    setl.setl_id, err.msg);
	if (setl.medfee_sumamt != hg_bill_sum(j->bill))
		log_warn(COMP, "bill %lld: settlement %s total %s differs from "
		    "the bill", j->row.id, setl.setl_id,
		    hg_dec_format(setl.medfee_sumamt, 2, total));
	text = hg_nhsa_json_text(r.output);
	snprintf(reason, sizeof reason, "settled: setl_id %s (2304 msgid %s)",
	    setl.setl_id, st->msgid);
	if (HS_LOCKED(j->w, hg_steps_settled(j->w->ob, j->row.id, j->w->owner,
	    setl.setl_id, setl.mdtrt_id[0] != '\0' ? setl.mdtrt_id : NULL,
	    text, reason, &err)) == -1) {
		rv = hs_db_failed(j, &err);
	} else {
		hg_mask_name(j->bill->psn_name ? j->bill->psn_name : "", name,
		    sizeof name);
		log_info(COMP, "bill %lld (%s, %s) settled: setl_id %s, total "
		    "%s", j->row.id, name, j->row.ipt_no ? j->row.ipt_no : "-",
		    setl.setl_id, hg_dec_format(setl.medfee_sumamt, 2, total));
		rv = R_DONE;
	}
	free(text);
	hg_nhsa_resp_free(&r);
	return rv;
}

static enum res
hs_do_2304(struct job *j)
{
	struct hg_nhsa_setl_req req;
	char safe[HG_NHSA_TEXTBUF];
	struct hg_call c;
	enum res rv;

	hs_setl_req(j, &req);
	if (hs_call(j, "2304", hg_nhsa_in_setl(&req), &c) == HG_CALL_OK) {
		hg_call_free(&c);
		return R_NEXT;		/* the journal holds it: finish */
	}
	if (c.outcome == HG_CALL_UNKNOWN) {
		/* in doubt; the next round reverses it (2601) */
		j->w->fails++;
		hg_complain(&j->w->c_net, HG_LOG_WARNING, COMP, "bill %lld: "
		    "%s", j->row.id, hs_scrub(j, c.err.msg, safe,
		    sizeof safe));
		hg_call_free(&c);
		return R_NEXT;
	}
	/* Refused: every earlier 2304 of the bill is known not to be in
	 * force (answered refused, or reversed), so this is final. */
	rv = hs_failed(j, &c);
	hg_call_free(&c);
	return rv;
}

enum res
hs_step(struct job *j, enum hg_settle_action act)
{
	static const char *const uploads[] = { "2301", "2302", NULL };
	static const char *const admit[] = { "2401", NULL };
	static const char *const dscg[] = { "2402", "2405", NULL };
	static const char *const setl[] = { "2304", NULL };
	static const char *const visits[] = { "2401", "2402", "2404", "2405",
	    NULL };
	const char *const *wait = NULL;
	struct hg_settle_view v;
	int64_t until;

	/* A resolution, or a call that would repeat one whose answer was
	 * lost, waits until that one can no longer be under way: a killed
	 * agent's last request may reach the platform after the new agent
	 * asked. */
	if (act == HG_ACT_2302)
		wait = uploads;
	else if (act == HG_ACT_2401)
		wait = admit;
	else if (act == HG_ACT_2402 || act == HG_ACT_2405)
		wait = dscg;
	else if (act == HG_ACT_RESOLVE_2304)
		wait = setl;
	else if (act == HG_ACT_5201)
		wait = visits;
	until = wait != NULL ? hs_in_flight_until(j, wait) : 0;
	if (act == HG_ACT_5201) {
		/* the look for a late admission, no earlier than it can be
		 * seen */
		hg_settle_view(&j->row, j->bill, j->steps, j->nsteps,
		    &j->memo, &v);
		hg_settle_late(&v, hs_late_ms(j));
		if (v.late_2401 && v.lost_2401_ms + hs_late_ms(j) > until)
			until = v.lost_2401_ms + hs_late_ms(j);
	}
	if (wait != NULL && until > hg_wall_ms()) {
		snprintf(j->why, sizeof j->why, "waiting until a %s whose "
		    "answer was lost can no longer be under way", wait[0]);
		if (until > j->not_before)
			j->not_before = until;
		return R_RETRY;
	}
	switch (act) {
	case HG_ACT_RESOLVE_2304:
		return hs_resolve_2304(j);
	case HG_ACT_FINISH:
		return hs_do_finish(j);
	case HG_ACT_1101:
		return hs_do_1101(j);
	case HG_ACT_2401:
		return hs_do_2401(j);
	case HG_ACT_2302:
		return hs_simple(j, "2302", hg_nhsa_in_2302(j->row.mdtrt_id,
		    j->row.psn_no, "0000"));
	case HG_ACT_2301:
		return hs_do_2301(j);
	case HG_ACT_2402:
		return hs_do_2402(j);
	case HG_ACT_2303:
		return hs_do_2303(j);
	case HG_ACT_2304:
		return hs_do_2304(j);
	case HG_ACT_5201:
		return hs_visits_5201(j);
	case HG_ACT_2404:
		hg_settle_view(&j->row, j->bill, j->steps, j->nsteps,
		    &j->memo, &v);
		return hs_visit_call(j, "2404", v.close_mdtrt);
	case HG_ACT_2405:
		return hs_visit_call(j, "2405", j->row.mdtrt_id);
	case HG_ACT_PERSON:
		hg_settle_view(&j->row, j->bill, j->steps, j->nsteps,
		    &j->memo, &v);
		return hs_needs_person(j, v.stuck_why);
	}
	return R_RETRY;
}
