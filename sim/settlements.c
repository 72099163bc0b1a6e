/* Settlement handlers of the simulated platform: 2303 pre-settlement,
 * 2304 settlement, 2305 cancellation, 2601 reversal. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "sim/dialect.h"
#include "sim/request.h"

/* ---------------------------------------------------------------------- */
/* 2303 pre-settlement, 2304 settlement */

struct calc_ctx {
	struct hg_nhsa_setl_req	 req;
	struct sim_visit	 visit;
	const struct sim_person	*person;
	const struct sim_policy	*policy;
	struct sim_calc		 calc;
	struct hg_nhsa_setl	 setl;
};

static int
compute(struct req *r, struct calc_ctx *c, struct hg_err *err)
{
	struct sim_split sum;
	struct sim_ytd ytd;
	struct sim_who who;
	int64_t total, count;
	char a[HG_DECBUF], b[HG_DECBUF];

	memset(c, 0, sizeof *c);
	if (hg_nhsa_setl_req_parse(sr_data_node(r, "data"), &c->req, err) == -1 ||
	    sr_visit_for(r, c->req.mdtrt_id, c->req.psn_no, &c->visit,
	    err) == -1)
		return -1;
	if (strcmp(c->visit.insutype, c->req.insutype) != 0)
		return sim_fail(err, "setl_insutype_mismatch",
		    "险种类型[%s]与入院登记险种类型[%s]不一致",
		    c->req.insutype, c->visit.insutype);
	if (strcmp(c->visit.state, "admitted") == 0 &&
	    strcmp(c->req.mid_setl_flag, "1") != 0)
		return sim_fail(err, "setl_not_discharged",
		    "就诊ID[%s]未办理出院,不能结算",
		    c->visit.mdtrt_id);
	if (sr_not_settled(r, c->visit.mdtrt_id, "settled_again",
	    "该就诊已结算,不能重复结算", err) == -1 ||
	    sim_ledger_items_sum(r->s->ledger, c->visit.mdtrt_id, &total, &sum,
	    &count, err) == -1)
		return -1;
	if (count == 0)
		return sim_fail(err, "setl_no_fees",
		    "就诊ID[%s]未上传费用明细,不能结算",
		    c->visit.mdtrt_id);
	if (total != c->req.medfee_sumamt)
		return sim_fail(err, "setl_total_mismatch",
		    "医疗费总额[%s]与已上传费用明细合计[%s]"
		    "不一致", sr_fen(c->req.medfee_sumamt, a), sr_fen(total, b));
	if (sr_person_for(r, c->req.psn_no, c->req.insutype, &c->person,
	    err) == -1 ||
	    sr_policy_for(r, c->person->insuplc_admdvs, c->req.insutype,
	    &c->policy, err) == -1 ||
	    sim_ledger_ytd(r->s->ledger, c->req.psn_no, c->req.insutype,
	    r->year, &ytd, err) == -1)
		return -1;
	who.level = sim_conf_level(&r->s->conf, r->code);
	who.filing = c->person->filing;
	who.psn_type = c->person->psn_type;
	if (sim_settle(c->policy, &who, total, &sum, &ytd, &c->calc,
	    err) == -1)
		return -1;
	sim_setl_fill(c->policy, &c->calc, &c->setl);
	snprintf(c->setl.mdtrt_id, sizeof c->setl.mdtrt_id, "%s",
	    c->visit.mdtrt_id);
	snprintf(c->setl.psn_no, sizeof c->setl.psn_no, "%s",
	    c->person->psn_no);
	snprintf(c->setl.psn_name, sizeof c->setl.psn_name, "%s",
	    c->person->psn_name);
	snprintf(c->setl.psn_cert_type, sizeof c->setl.psn_cert_type, "01");
	snprintf(c->setl.certno, sizeof c->setl.certno, "%s",
	    c->person->certno);
	snprintf(c->setl.gend, sizeof c->setl.gend, "%s", c->person->gend);
	snprintf(c->setl.insutype, sizeof c->setl.insutype, "%s",
	    c->req.insutype);
	snprintf(c->setl.psn_type, sizeof c->setl.psn_type, "%s",
	    c->person->psn_type);
	snprintf(c->setl.med_type, sizeof c->setl.med_type, "%s",
	    c->visit.med_type);
	snprintf(c->setl.setl_time, sizeof c->setl.setl_time, "%s",
	    r->now_txt);
	snprintf(c->setl.clr_optins, sizeof c->setl.clr_optins, "%s",
	    c->person->insuplc_admdvs);
	snprintf(c->setl.clr_way, sizeof c->setl.clr_way, "%s",
	    c->policy->clr_way);
	snprintf(c->setl.clr_type, sizeof c->setl.clr_type, "%s",
	    c->policy->clr_type);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", c->req.psn_no);
	return 0;
}

static void
row_from_setl(struct req *r, const struct hg_nhsa_setl *s,
    const struct sim_visit *v, int64_t ci_base, struct sim_setl_row *row)
{
	memset(row, 0, sizeof *row);
	snprintf(row->setl_id, sizeof row->setl_id, "%s", s->setl_id);
	snprintf(row->mdtrt_id, sizeof row->mdtrt_id, "%s", s->mdtrt_id);
	snprintf(row->psn_no, sizeof row->psn_no, "%s", s->psn_no);
	snprintf(row->insutype, sizeof row->insutype, "%s", s->insutype);
	snprintf(row->insuplc_admdvs, sizeof row->insuplc_admdvs, "%s",
	    v->insuplc_admdvs);
	snprintf(row->fixmedins_code, sizeof row->fixmedins_code, "%s",
	    r->code);
	snprintf(row->msgid, sizeof row->msgid, "%s", r->msgid);
	snprintf(row->setl_time, sizeof row->setl_time, "%s", s->setl_time);
	snprintf(row->clr_type, sizeof row->clr_type, "%s", s->clr_type);
	snprintf(row->clr_optins, sizeof row->clr_optins, "%s",
	    s->clr_optins);
	row->year = r->year;
	row->medfee = s->medfee_sumamt;
	row->fulamt = s->fulamt_ownpay_amt;
	row->overlmt = s->overlmt_selfpay;
	row->presel = s->preselfpay_amt;
	row->inscp = s->inscp_scp_amt;
	row->dedc = s->act_pay_dedc;
	row->hifp = s->hifp_pay;
	row->hifmi = s->hifmi_pay;
	row->hifob = s->hifob_pay;
	row->maf = s->maf_pay;
	row->fund = s->fund_pay_sumamt;
	row->psn = s->psn_part_amt;
	row->acct = s->acct_pay;
	row->cash = s->psn_cash_pay;
	row->hosp = s->hosp_part_amt;
	row->ci_base = ci_base;
}

int
sim_h_2303(struct req *r, struct hg_err *err)
{
	struct calc_ctx c;

	if (compute(r, &c, err) == -1)
		return -1;
	r->output = hg_nhsa_setl_json(&c.setl);
	snprintf(r->ref, sizeof r->ref, "%s", c.visit.mdtrt_id);
	return 0;
}

int
sim_h_2304(struct req *r, struct hg_err *err)
{
	struct calc_ctx c;
	struct sim_setl_row row;
	struct json_object *out;
	int64_t serial;
	int rc;

	if (compute(r, &c, err) == -1 ||
	    sim_ledger_next_serial(r->s->ledger, "setls", &serial, err) == -1)
		return -1;
	snprintf(c.setl.setl_id, sizeof c.setl.setl_id, "%sS%s%08lld",
	    r->s->conf.admdvs, r->day6, (long long)(serial % 100000000));
	snprintf(c.setl.medins_setl_id, sizeof c.setl.medins_setl_id, "%s",
	    r->msgid);
	out = hg_nhsa_setl_json(&c.setl);
	row_from_setl(r, &c.setl, &c.visit, c.calc.ci_base, &row);
	snprintf(row.kind, sizeof row.kind, "setl");
	row.output = hg_nhsa_json_text(out);
	rc = sim_ledger_setl_add(r->s->ledger, &row, err);
	free(row.output);
	if (rc == -1) {
		json_object_put(out);
		return -1;
	}
	r->output = out;
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", c.setl.setl_id);
	return 0;
}


int
sim_h_2305(struct req *r, struct hg_err *err)
{
	struct json_object *in, *out = NULL;
	char mdtrt_id[HG_NHSA_IDBUF], setl_id[HG_NHSA_IDBUF],
	    psn_no[HG_NHSA_IDBUF];
	struct sim_setl_row orig, canc;
	struct hg_nhsa_setl s;
	struct sim_visit v;
	int64_t serial;
	int found, rc = -1;

	memset(&orig, 0, sizeof orig);
	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    sr_need(in, "setl_id", "结算ID", setl_id, sizeof setl_id,
	    err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    sim_ledger_setl_get(r->s->ledger, setl_id, 0, &orig, &found,
	    err) == -1)
		return -1;
	if (!found)
		return sim_fail(err, "canc_setl_unknown",
		    "结算ID[%s]不存在", setl_id);
	if (strcmp(orig.kind, "setl") != 0)
		sim_fail(err, "canc_of_canc",
		    "结算ID[%s]是撤销记录,不能撤销", setl_id);
	else if (strcmp(orig.mdtrt_id, mdtrt_id) != 0 ||
	    strcmp(orig.fixmedins_code, r->code) != 0)
		sim_fail(err, "canc_visit_mismatch",
		    "结算ID[%s]与就诊ID[%s]不匹配", setl_id, mdtrt_id);
	else if (strcmp(orig.psn_no, psn_no) != 0)
		sim_fail(err, "canc_person_mismatch",
		    "人员编号[%s]与结算ID[%s]的人员不一致", psn_no,
		    setl_id);
	else if (orig.reversed_by[0] != '\0')
		sim_fail(err, "canc_reversed",
		    "结算ID[%s]已冲正,不能撤销", setl_id);
	else if (orig.canc_setl_id[0] != '\0')
		sim_fail(err, "canc_repeated",
		    "该结算已撤销,不能重复撤销(撤销结算ID[%s])",
		    orig.canc_setl_id);
	else if (sr_visit_for(r, mdtrt_id, psn_no, &v, err) == 0 &&
	    sr_load_setl(&orig, &s, err) == 0 &&
	    sim_ledger_next_serial(r->s->ledger, "setls", &serial, err) == 0)
		rc = 0;
	if (rc == -1)
		goto out;
	rc = -1;
	/* the cancellation is the settlement negated, exactly */
	hg_nhsa_setl_negate(&s);
	snprintf(s.setl_id, sizeof s.setl_id, "%sS%s%08lld",
	    r->s->conf.admdvs, r->day6, (long long)(serial % 100000000));
	snprintf(s.medins_setl_id, sizeof s.medins_setl_id, "%s", r->msgid);
	snprintf(s.setl_time, sizeof s.setl_time, "%s", r->now_txt);
	snprintf(s.setl_type, sizeof s.setl_type, "2");
	out = hg_nhsa_setl_json(&s);
	row_from_setl(r, &s, &v, -orig.ci_base, &canc);
	snprintf(canc.kind, sizeof canc.kind, "canc");
	snprintf(canc.orig_setl_id, sizeof canc.orig_setl_id, "%s", setl_id);
	canc.year = orig.year;	/* it reverses that year's accumulation */
	canc.output = hg_nhsa_json_text(out);
	if (sim_ledger_setl_add(r->s->ledger, &canc, err) == -1 ||
	    sim_ledger_setl_set_canc(r->s->ledger, setl_id, canc.setl_id,
	    err) == -1) {
		free(canc.output);
		goto out;
	}
	free(canc.output);
	r->output = out;
	out = NULL;
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", s.setl_id);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	rc = 0;
out:
	json_object_put(out);
	sim_ledger_row_free(&orig);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* 2601 reversal */

static int
reverse_setl(struct req *r, const struct sim_msg *m, struct hg_err *err)
{
	struct sim_setl_row row;
	int found, n, rc = -1;

	if (sim_ledger_setl_get(r->s->ledger, m->msgid, 1, &row, &found,
	    err) == -1)
		return -1;
	if (!found)
		return hg_failt(err, "原交易[%s]的结算记录不存在", m->msgid);
	if (strcmp(row.kind, "setl") == 0) {
		if (row.canc_setl_id[0] != '\0') {
			sim_fail(err, "revs_setl_cancelled",
			    "该结算已撤销(撤销结算ID[%s]),不能冲正",
			    row.canc_setl_id);
			goto out;
		}
	} else {
		/* undoing a cancellation revives the settlement, unless the
		 * visit was settled again since */
		if (sim_ledger_active(r->s->ledger, row.mdtrt_id, &n,
		    err) == -1)
			goto out;
		if (n > 0) {
			sim_fail(err, "revs_canc_resettled",
			    "就诊ID[%s]已重新结算,不能冲正撤销",
			    row.mdtrt_id);
			goto out;
		}
		if (sim_ledger_setl_set_canc(r->s->ledger, row.orig_setl_id,
		    NULL, err) == -1)
			goto out;
	}
	rc = sim_ledger_setl_reversed(r->s->ledger, row.setl_id, r->msgid,
	    err);
out:
	sim_ledger_row_free(&row);
	return rc;
}

/* 2601 of a 2401: the admission is cancelled, as a 2404 would. */
static int
reverse_visit(struct req *r, const struct sim_msg *m, struct hg_err *err)
{
	struct sim_visit v;

	if (sr_visit_for(r, m->ref, NULL, &v, err) == -1)
		return -1;
	return sim_visit_cancel(r, &v, err);
}

int
sim_h_2601(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	char psn_no[HG_NHSA_IDBUF], omsgid[HG_NHSA_IDBUF],
	    oinfno[HG_NHSA_CODEBUF];
	const char *dscr = "原交易已冲正";
	struct sim_msg m;
	int found;

	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    sr_need(in, "omsgid", "原发送方报文ID", omsgid, sizeof omsgid,
	    err) == -1 ||
	    sr_need(in, "oinfno", "原交易编号", oinfno, sizeof oinfno,
	    err) == -1 ||
	    sim_ledger_msg_get(r->s->ledger, omsgid, &m, &found, err) == -1)
		return -1;
	if (!found)
		return sim_fail(err, "revs_msgid_unknown",
		    "原发送方报文ID[%s]不存在,平台未收到原交易",
		    omsgid);
	if (strcmp(m.infno, oinfno) != 0)
		return sim_fail(err, "revs_infno_mismatch",
		    "原交易编号[%s]与原报文的交易编号[%s]不一致",
		    oinfno, m.infno);
	if (m.psn_no[0] != '\0' && strcmp(m.psn_no, psn_no) != 0)
		return sim_fail(err, "revs_person_mismatch",
		    "人员编号[%s]与原交易的人员不一致", psn_no);
	if (m.reversed_by[0] != '\0')
		return sim_fail(err, "revs_repeated",
		    "原交易[%s]已冲正,不能重复冲正", omsgid);
	/* a msgid that changed nothing has nothing to reverse: refused, so
	 * "refused" and "reversed" both mean nothing of it is in force */
	if (!m.committed)
		return sim_fail(err, "revs_not_committed",
		    "原交易[%s]未生效,无需冲正", omsgid);
	if (strcmp(oinfno, "2304") == 0 || strcmp(oinfno, "2305") == 0) {
		if (reverse_setl(r, &m, err) == -1)
			return -1;
	} else if (strcmp(oinfno, "2401") == 0) {
		if (reverse_visit(r, &m, err) == -1)
			return -1;
	} else {
		return sim_fail(err, "revs_not_reversible",
		    "交易[%s]不支持冲正", oinfno);
	}
	if (sim_ledger_msg_reversed(r->s->ledger, omsgid, r->msgid,
	    err) == -1)
		return -1;
	res = json_object_new_object();
	hg_nhsa_put_str(res, "omsgid", omsgid);
	hg_nhsa_put_str(res, "oinfno", oinfno);
	hg_nhsa_put_str(res, "revs_rslt", "1");
	hg_nhsa_put_str(res, "revs_dscr", dscr);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "data", res);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", omsgid);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	return 0;
}
