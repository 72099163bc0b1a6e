/* Fee handlers of the simulated platform: 2301 upload, 2302 cancel. */
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

#define MAX_FEEDETAIL	1000

/* ---------------------------------------------------------------------- */
/* 2301 fee upload */

/* A refund line (negative cnt) names its original by init_feedetl_sn:
 * uploaded before, or earlier in this batch, as the interface orders
 * them; an original later in the batch is refused so the HIS learns to
 * send originals first. */
static int
refund_check(struct req *r, const struct hg_nhsa_fee_in *fees, size_t i,
    size_t n, const struct sim_visit *v, struct hg_err *err)
{
	const struct hg_nhsa_fee_in *f = &fees[i];
	size_t j;
	int found;

	if (f->cnt >= 0)
		return sim_fail(err, "refund_cnt_positive",
		    "费用明细流水号[%s]有原费用明细流水号[%s],"
		    "数量[cnt]应为负数(退费)", f->feedetl_sn,
		    f->init_feedetl_sn);
	for (j = 0; j < i; j++)
		if (strcmp(fees[j].feedetl_sn, f->init_feedetl_sn) == 0)
			return 0;
	for (j = i + 1; j < n; j++)
		if (strcmp(fees[j].feedetl_sn, f->init_feedetl_sn) == 0)
			return sim_fail(err, "refund_original_later",
			    "退费明细[%s]的原费用明细流水号[%s]"
			    "在本批次中位于其后(第%zu条,退费明细为第%zu条),"
			    "原费用明细应先上传", f->feedetl_sn,
			    f->init_feedetl_sn, j + 1, i + 1);
	if (sim_ledger_item_exists(r->s->ledger, v->mdtrt_id,
	    f->init_feedetl_sn, &found, err) == -1)
		return -1;
	if (!found)
		return sim_fail(err, "refund_original_unknown",
		    "原费用明细流水号[%s]不存在",
		    f->init_feedetl_sn);
	return 0;
}

static int
fee_check(struct req *r, const struct hg_nhsa_fee_in *fees, size_t i,
    size_t n, const struct sim_visit *v, struct hg_err *err)
{
	const struct hg_nhsa_fee_in *f = &fees[i];
	char a[HG_DECBUF], b[HG_DECBUF], c[HG_DECBUF], d[HG_DECBUF];
	char t[HG_NHSA_TIMEBUF];
	struct hg_err e;
	int64_t calc;
	int found;

	if (strcmp(f->mdtrt_id, v->mdtrt_id) != 0)
		return sim_fail(err, "fee_other_visit",
		    "费用明细流水号[%s]的就诊ID[%s]与本批次"
		    "就诊ID[%s]不一致", f->feedetl_sn, f->mdtrt_id,
		    v->mdtrt_id);
	if (strcmp(f->psn_no, v->psn_no) != 0)
		return sim_fail(err, "fee_other_person",
		    "人员编号[%s]与就诊ID[%s]的人员不一致",
		    f->psn_no, v->mdtrt_id);
	if (hg_time_parse("fee_ocur_time", f->fee_ocur_time, t, &e) == -1)
		return sim_fail(err, "fee_time_format",
		    "费用明细流水号[%s]费用发生时间[%s]格式错误",
		    f->feedetl_sn, f->fee_ocur_time);
	if (sim_conf_item(&r->s->conf, f->med_list_codg) == NULL)
		return sim_fail(err, "fee_code_unknown",
		    "目录编码[%s]不在本地目录中",
		    f->med_list_codg);
	if (sim_ledger_item_exists(r->s->ledger, v->mdtrt_id, f->feedetl_sn,
	    &found, err) == -1)
		return -1;
	if (found)
		return sim_fail(err, "fee_sn_exists",
		    "费用明细流水号[%s]已存在", f->feedetl_sn);
	if (f->init_feedetl_sn[0] != '\0' &&
	    refund_check(r, fees, i, n, v, err) == -1)
		return -1;
	/* price x quantity against the amount: the HIS rounds its own way,
	 * so allow one fen */
	calc = hg_mul_round(f->pric, f->cnt, 8);
	if (calc - f->det_item_fee_sumamt > 1 ||
	    f->det_item_fee_sumamt - calc > 1)
		return sim_fail(err, "fee_amount_mismatch",
		    "费用明细流水号[%s]明细项目费用总额[%s]与"
		    "单价[%s]×数量[%s]=[%s]不符", f->feedetl_sn,
		    sr_fen(f->det_item_fee_sumamt, a),
		    hg_dec_format_short(f->pric, 6, b),
		    hg_dec_format_short(f->cnt, 4, c), sr_fen(calc, d));
	return 0;
}

int
sim_h_2301(struct req *r, struct hg_err *err)
{
	struct json_object *arr, *res;
	struct hg_nhsa_fee_in *fees = NULL;
	struct hg_nhsa_fee_result row;
	const struct sim_policy *pol;
	const struct sim_catitem *ci;
	struct sim_visit v;
	struct sim_item it;
	size_t i, j, n;
	int rc = -1;

	arr = sr_data_node(r, "feedetail");
	if (arr == NULL || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) == 0)
		return sim_fail(err, "feedetail_empty",
		    "费用明细[feedetail]不能为空");
	n = json_object_array_length(arr);
	if (n > MAX_FEEDETAIL)
		return sim_fail(err, "feedetail_too_many",
		    "单次上传费用明细不能超过%d条,本次%zu条",
		    MAX_FEEDETAIL, n);
	fees = hg_xcalloc(n, sizeof *fees);
	for (i = 0; i < n; i++)
		if (hg_nhsa_fee_in_parse(json_object_array_get_idx(arr, i),
		    &fees[i], err) == -1) {
			hg_err_prefix(err, "第%zu条费用明细", i + 1);
			goto out;
		}
	if (sr_visit_for(r, fees[0].mdtrt_id, fees[0].psn_no, &v, err) == -1 ||
	    sr_not_settled(r, v.mdtrt_id, "settled_no_upload",
	    "该就诊已结算,不能上传费用明细", err) == -1 ||
	    sr_policy_for(r, v.insuplc_admdvs, v.insutype, &pol, err) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (fee_check(r, fees, i, n, &v, err) == -1)
			goto out;
		for (j = 0; j < i; j++)
			if (strcmp(fees[j].feedetl_sn, fees[i].feedetl_sn) ==
			    0) {
				sim_fail(err, "fee_sn_repeated_in_batch",
				    "费用明细流水号[%s]在本批次中重复",
				    fees[i].feedetl_sn);
				goto out;
			}
	}
	res = json_object_new_array();
	r->output = json_object_new_object();
	json_object_object_add(r->output, "result", res);
	for (i = 0; i < n; i++) {
		ci = sim_conf_item(&r->s->conf, fees[i].med_list_codg);
		memset(&it, 0, sizeof it);
		snprintf(it.feedetl_sn, sizeof it.feedetl_sn, "%s",
		    fees[i].feedetl_sn);
		snprintf(it.init_feedetl_sn, sizeof it.init_feedetl_sn, "%s",
		    fees[i].init_feedetl_sn);
		snprintf(it.msgid, sizeof it.msgid, "%s", r->msgid);
		snprintf(it.med_list_codg, sizeof it.med_list_codg, "%s",
		    fees[i].med_list_codg);
		snprintf(it.medins_list_codg, sizeof it.medins_list_codg, "%s",
		    fees[i].medins_list_codg);
		snprintf(it.chrgitm_lv, sizeof it.chrgitm_lv, "%s",
		    sim_lv_code(ci->lv));
		it.cnt = fees[i].cnt;
		it.pric = fees[i].pric;
		it.amount = fees[i].det_item_fee_sumamt;
		sim_item_split(ci, pol->b_ratio, it.amount, it.cnt, it.pric,
		    &it.split);
		if (sim_ledger_item_add(r->s->ledger, v.mdtrt_id, &it,
		    err) == -1)
			goto out;
		memset(&row, 0, sizeof row);
		snprintf(row.feedetl_sn, sizeof row.feedetl_sn, "%s",
		    it.feedetl_sn);
		row.det_item_fee_sumamt = it.amount;
		row.cnt = it.cnt;
		row.pric = it.pric;
		row.pric_uplmt_amt = ci->price_cap;
		row.selfpay_prop = sim_item_selfpay_prop(ci, pol->b_ratio);
		row.fulamt_ownpay_amt = it.split.fulamt;
		row.overlmt_amt = it.split.overlmt;
		row.preselfpay_amt = it.split.presel;
		row.inscp_scp_amt = it.split.inscp;
		snprintf(row.chrgitm_lv, sizeof row.chrgitm_lv, "%s",
		    it.chrgitm_lv);
		snprintf(row.med_chrgitm_type, sizeof row.med_chrgitm_type,
		    "%s", ci->chrgitm_type);
		json_object_array_add(res, hg_nhsa_fee_result_json(&row));
	}
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", v.mdtrt_id);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", v.psn_no);
	rc = 0;
out:
	free(fees);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* 2302 fee cancel */

int
sim_h_2302(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	char sn[HG_NHSA_IDBUF], mdtrt_id[HG_NHSA_IDBUF], psn_no[HG_NHSA_IDBUF];
	struct sim_visit v;
	int n;

	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "feedetl_sn", "费用明细流水号", sn, sizeof sn,
	    err) == -1 ||
	    sr_need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    sr_visit_for(r, mdtrt_id, psn_no, &v, err) == -1 ||
	    sr_not_settled(r, mdtrt_id, "settled_no_delete",
	    "该就诊已结算,不能删除费用明细", err) == -1)
		return -1;
	if (sim_ledger_items_delete(r->s->ledger, mdtrt_id,
	    strcmp(sn, "0000") == 0 ? NULL : sn, r->msgid, &n, err) == -1)
		return -1;
	if (n == 0 && strcmp(sn, "0000") != 0)
		return sim_fail(err, "fee_sn_unknown",
		    "费用明细流水号[%s]不存在", sn);
	res = json_object_new_object();
	hg_nhsa_put_str(res, "mdtrt_id", mdtrt_id);
	json_object_object_add(res, "del_cnt", json_object_new_int(n));
	r->output = json_object_new_object();
	json_object_object_add(r->output, "result", res);
	r->committed = n > 0;
	snprintf(r->ref, sizeof r->ref, "%s", mdtrt_id);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	return 0;
}
