/* Visit handlers of the simulated platform: 2401 admission, 2402
 * discharge, 2404 admission cancel, 2405 discharge cancel, 5201 visit
 * query. */
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
/* 2401 admission */

int
sim_h_2401(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	const struct sim_person *p;
	const struct sim_policy *pol;
	struct sim_visit v, old;
	struct hg_err e;
	char token[HG_NHSA_TEXTBUF];
	int64_t serial;
	int found;

	memset(&v, 0, sizeof v);
	if (sr_node_object(r, "mdtrtinfo", &in, err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", v.psn_no, sizeof v.psn_no,
	    err) == -1 ||
	    sr_need(in, "insutype", "险种类型", v.insutype, sizeof v.insutype,
	    err) == -1 ||
	    sr_need(in, "begntime", "开始时间", v.begntime, sizeof v.begntime,
	    err) == -1 ||
	    sr_need(in, "mdtrt_cert_type", "就诊凭证类型", token, sizeof token,
	    err) == -1 ||
	    sr_need(in, "mdtrt_cert_no", "就诊凭证编号", token, sizeof token,
	    err) == -1 ||
	    sr_need(in, "med_type", "医疗类别", v.med_type, sizeof v.med_type,
	    err) == -1 ||
	    sr_need(in, "ipt_no", "住院号", v.ipt_no, sizeof v.ipt_no,
	    err) == -1)
		return -1;
	if (hg_time_parse("begntime", v.begntime, v.begntime, &e) == -1)
		return sim_fail(err, "begntime_format",
		    "开始时间[begntime]格式错误,应为"
		    "yyyy-MM-dd HH:mm:ss");
	if (sr_person_for(r, v.psn_no, v.insutype, &p, err) == -1 ||
	    sr_policy_for(r, p->insuplc_admdvs, v.insutype, &pol, err) == -1)
		return -1;
	if (sim_ledger_visit_find(r->s->ledger, v.psn_no, r->code, v.ipt_no,
	    &old, &found, err) == -1)
		return -1;
	/* provinces differ: some refuse a second admission of an open stay,
	 * some admit it again with a new mdtrt_id (the dialect says which) */
	if (found && sim_repeat_2401() == SIM_2401_REFUSE)
		return sim_fail(err, "admit_repeated",
		    "人员编号[%s]住院号[%s]已办理入院,"
		    "就诊ID[%s]", v.psn_no, v.ipt_no, old.mdtrt_id);
	if (sim_ledger_next_serial(r->s->ledger, "visits", &serial,
	    err) == -1)
		return -1;
	snprintf(v.mdtrt_id, sizeof v.mdtrt_id, "%sZ%s%06lld",
	    r->s->conf.admdvs, r->day6, (long long)(serial % 1000000));
	snprintf(v.insuplc_admdvs, sizeof v.insuplc_admdvs, "%s",
	    p->insuplc_admdvs);
	snprintf(v.fixmedins_code, sizeof v.fixmedins_code, "%s", r->code);
	snprintf(v.state, sizeof v.state, "admitted");
	snprintf(v.adm_msgid, sizeof v.adm_msgid, "%s", r->msgid);
	if (sim_ledger_visit_add(r->s->ledger, &v, r->now, err) == -1)
		return -1;
	res = json_object_new_object();
	hg_nhsa_put_str(res, "mdtrt_id", v.mdtrt_id);
	hg_nhsa_put_str(res, "psn_no", v.psn_no);
	hg_nhsa_put_str(res, "ipt_otp_no", v.ipt_no);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "result", res);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", v.mdtrt_id);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", v.psn_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 2402 discharge */

int
sim_h_2402(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	char mdtrt_id[HG_NHSA_IDBUF], psn_no[HG_NHSA_IDBUF],
	    insutype[HG_NHSA_CODEBUF], endtime[HG_NHSA_TIMEBUF],
	    way[HG_NHSA_CODEBUF];
	struct sim_visit v;
	struct hg_err e;

	if (sr_node_object(r, "dscginfo", &in, err) == -1 ||
	    sr_need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    sr_need(in, "insutype", "险种类型", insutype, sizeof insutype,
	    err) == -1 ||
	    sr_need(in, "endtime", "结束时间", endtime, sizeof endtime,
	    err) == -1 ||
	    sr_need(in, "dscg_way", "离院方式", way, sizeof way, err) == -1)
		return -1;
	if (hg_time_parse("endtime", endtime, endtime, &e) == -1)
		return sim_fail(err, "endtime_format",
		    "结束时间[endtime]格式错误,应为"
		    "yyyy-MM-dd HH:mm:ss");
	if (sr_visit_for(r, mdtrt_id, psn_no, &v, err) == -1)
		return -1;
	if (strcmp(v.insutype, insutype) != 0)
		return sim_fail(err, "insutype_mismatch",
		    "险种类型[%s]与入院登记险种类型[%s]不一致",
		    insutype, v.insutype);
	/* a repeated discharge: refused, or (dialect) done again while
	 * nothing is settled */
	if (strcmp(v.state, "admitted") != 0 &&
	    sim_repeat_2402() == SIM_2402_ACCEPT &&
	    sr_not_settled(r, mdtrt_id, "settled_no_discharge",
	    "该就诊已结算,不能重复办理出院", err) == -1)
		return -1;
	if (strcmp(v.state, "admitted") != 0 &&
	    sim_repeat_2402() == SIM_2402_REFUSE)
		return sim_fail(err, "discharge_repeated",
		    "就诊ID[%s]已办理出院,不能重复办理",
		    mdtrt_id);
	if (strcmp(endtime, v.begntime) < 0)
		return sim_fail(err, "endtime_before_begntime",
		    "出院时间[%s]早于入院时间[%s]", endtime,
		    v.begntime);
	snprintf(v.endtime, sizeof v.endtime, "%s", endtime);
	snprintf(v.dscg_way, sizeof v.dscg_way, "%s", way);
	snprintf(v.state, sizeof v.state, "discharged");
	snprintf(v.dscg_msgid, sizeof v.dscg_msgid, "%s", r->msgid);
	if (sim_ledger_visit_update(r->s->ledger, &v, err) == -1)
		return -1;
	res = json_object_new_object();
	hg_nhsa_put_str(res, "mdtrt_id", mdtrt_id);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "result", res);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", mdtrt_id);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 2404 admission cancel, 2405 discharge cancel */

int
sim_visit_cancel(struct req *r, struct sim_visit *v, struct hg_err *err)
{
	int n;

	if (sr_not_settled(r, v->mdtrt_id, "settled_no_admit_cancel",
	    "该就诊已结算,不能撤销入院", err) == -1)
		return -1;
	/* the visit's uploaded fees go with it, marked by this msgid */
	if (sim_ledger_items_delete(r->s->ledger, v->mdtrt_id, NULL, r->msgid,
	    &n, err) == -1)
		return -1;
	snprintf(v->state, sizeof v->state, "cancelled");
	return sim_ledger_visit_update(r->s->ledger, v, err);
}

/* The two cancels share their input (data: mdtrt_id, psn_no) and their
 * answer (result: mdtrt_id). */
static int
cancel_input(struct req *r, struct sim_visit *v, struct hg_err *err)
{
	struct json_object *in;
	char mdtrt_id[HG_NHSA_IDBUF], psn_no[HG_NHSA_IDBUF];

	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no,
	    err) == -1 ||
	    sr_visit_for(r, mdtrt_id, psn_no, v, err) == -1)
		return -1;
	return 0;
}

static void
cancel_answer(struct req *r, const struct sim_visit *v)
{
	struct json_object *res = json_object_new_object();

	hg_nhsa_put_str(res, "mdtrt_id", v->mdtrt_id);
	hg_nhsa_put_str(res, "psn_no", v->psn_no);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "result", res);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", v->mdtrt_id);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", v->psn_no);
}

int
sim_h_2404(struct req *r, struct hg_err *err)
{
	struct sim_visit v;

	if (cancel_input(r, &v, err) == -1 ||
	    sim_visit_cancel(r, &v, err) == -1)
		return -1;
	cancel_answer(r, &v);
	return 0;
}

int
sim_h_2405(struct req *r, struct hg_err *err)
{
	struct sim_visit v;

	if (cancel_input(r, &v, err) == -1)
		return -1;
	if (strcmp(v.state, "discharged") != 0)
		return sim_fail(err, "discharge_cancel_not_discharged",
		    "就诊ID[%s]未办理出院,不能撤销出院",
		    v.mdtrt_id);
	if (sr_not_settled(r, v.mdtrt_id, "settled_no_discharge_cancel",
	    "该就诊已结算,不能撤销出院", err) == -1)
		return -1;
	snprintf(v.state, sizeof v.state, "admitted");
	v.endtime[0] = v.dscg_way[0] = v.dscg_msgid[0] = '\0';
	if (sim_ledger_visit_update(r->s->ledger, &v, err) == -1)
		return -1;
	cancel_answer(r, &v);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 5201 visit query */

/* An optional bound in canonical form; a bare date stretches to the
 * whole day at the end of a range. */
static int
bound(struct json_object *in, const char *key, const char *label, int end,
    char out[HG_NHSA_TIMEBUF], struct hg_err *err)
{
	const char *v = hg_json_get_str(in, key);
	struct hg_err e;

	out[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return 0;
	if (hg_time_parse(key, v, out, &e) == -1)
		return sim_fail(err, "time_bound_format",
		    "%s[%s]格式错误,应为yyyy-MM-dd HH:mm:ss",
		    label, key);
	if (end && strlen(v) == 10)
		memcpy(out + 11, "23:59:59", 9);
	return 0;
}

int
sim_h_5201(struct req *r, struct hg_err *err)
{
	struct json_object *in, *arr, *row;
	char psn_no[HG_NHSA_IDBUF], begn[HG_NHSA_TIMEBUF],
	    end[HG_NHSA_TIMEBUF];
	struct sim_visit *v;
	size_t i, n;

	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no,
	    err) == -1 ||
	    bound(in, "begntime", "开始时间", 0, begn, err) == -1 ||
	    bound(in, "endtime", "结束时间", 1, end, err) == -1 ||
	    sim_ledger_visits_of(r->s->ledger, psn_no, r->code, begn, end, &v,
	    &n, err) == -1)
		return -1;
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		row = json_object_new_object();
		hg_nhsa_put_str(row, "mdtrt_id", v[i].mdtrt_id);
		hg_nhsa_put_str(row, "psn_no", v[i].psn_no);
		hg_nhsa_put_str(row, "ipt_otp_no", v[i].ipt_no);
		/* a settled visit is discharged: only "admitted" is in */
		hg_nhsa_put_str(row, "inhosp_stas",
		    strcmp(v[i].state, "admitted") == 0 ? "1" : "0");
		hg_nhsa_put_str(row, "begntime", v[i].begntime);
		hg_nhsa_put_str(row, "endtime", v[i].endtime);
		hg_nhsa_put_str(row, "insutype", v[i].insutype);
		hg_nhsa_put_str(row, "med_type", v[i].med_type);
		hg_nhsa_put_str(row, "fixmedins_code", v[i].fixmedins_code);
		json_object_array_add(arr, row);
	}
	free(v);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "mdtrtinfo", arr);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	return 0;
}
