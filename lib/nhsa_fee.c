/* The national interface codec, fees (lib/nhsa.h): 2301 fee upload, both
 * ways, and 2302 fee cancel. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/nhsa_int.h"
#include "lib/xmalloc.h"

struct json_object *
hg_nhsa_in_2301(const struct hg_bill *b, size_t first, size_t n)
{
	struct json_object *arr = json_object_new_array(), *d;
	const struct hg_fee *f;
	size_t i;

	if (first > b->nfees)
		first = b->nfees;
	if (n > b->nfees - first)
		n = b->nfees - first;
	for (i = first; i < first + n; i++) {
		f = &b->fees[i];
		d = json_object_new_object();
		hg_nhsa_put_str(d, "feedetl_sn", f->sn);
		hg_nhsa_put_str(d, "init_feedetl_sn", f->init_sn);
		hg_nhsa_put_str(d, "mdtrt_id", b->mdtrt_id);
		hg_nhsa_put_str(d, "drord_no", "");
		hg_nhsa_put_str(d, "psn_no", b->psn_no);
		hg_nhsa_put_str(d, "med_type", b->med_type != NULL ?
		    b->med_type : "21");
		hg_nhsa_put_str(d, "fee_ocur_time", f->time);
		hg_nhsa_put_str(d, "med_list_codg", f->nat_code);
		hg_nhsa_put_str(d, "medins_list_codg", f->local_code);
		nh_put_dec(d, "det_item_fee_sumamt", f->amount, HG_SCALE_FEN);
		nh_put_dec(d, "cnt", f->qty, HG_SCALE_QTY);
		nh_put_dec(d, "pric", f->price, HG_SCALE_PRICE);
		hg_nhsa_put_str(d, "bilg_dept_codg", f->dept_code != NULL ?
		    f->dept_code : b->dept_code);
		hg_nhsa_put_str(d, "bilg_dept_name", f->dept_name != NULL ?
		    f->dept_name : b->dept_name);
		hg_nhsa_put_str(d, "bilg_dr_codg", f->doctor_code != NULL ?
		    f->doctor_code : b->doctor_code);
		hg_nhsa_put_str(d, "bilg_dr_name", f->doctor_name != NULL ?
		    f->doctor_name : b->doctor_name);
		hg_nhsa_put_str(d, "hosp_appr_flag", "1");
		hg_nhsa_put_str(d, "memo", "");
		json_object_array_add(arr, d);
	}
	return nh_wrap("feedetail", arr);
}

int
hg_nhsa_fee_in_parse(struct json_object *it, struct hg_nhsa_fee_in *f,
    struct hg_err *err)
{
	memset(f, 0, sizeof *f);
	if (it == NULL || !json_object_is_type(it, json_type_object))
		return hg_fail(err, "费用明细[feedetail]的元素不是对象");
	if (hg_nhsa_req_str(it, "feedetl_sn", "费用明细流水号", f->feedetl_sn,
	    sizeof f->feedetl_sn, 1, err) == -1 ||
	    hg_nhsa_req_str(it, "init_feedetl_sn", "原费用明细流水号",
	    f->init_feedetl_sn, sizeof f->init_feedetl_sn, 0, err) == -1 ||
	    hg_nhsa_req_str(it, "mdtrt_id", "就诊ID", f->mdtrt_id,
	    sizeof f->mdtrt_id, 1, err) == -1 ||
	    hg_nhsa_req_str(it, "psn_no", "人员编号", f->psn_no, sizeof f->psn_no, 1,
	    err) == -1 ||
	    hg_nhsa_req_str(it, "med_type", "医疗类别", f->med_type,
	    sizeof f->med_type, 1, err) == -1 ||
	    hg_nhsa_req_str(it, "fee_ocur_time", "费用发生时间", f->fee_ocur_time,
	    sizeof f->fee_ocur_time, 1, err) == -1 ||
	    hg_nhsa_req_str(it, "med_list_codg", "医疗目录编码", f->med_list_codg,
	    sizeof f->med_list_codg, 1, err) == -1 ||
	    hg_nhsa_req_str(it, "medins_list_codg", "医药机构目录编码",
	    f->medins_list_codg, sizeof f->medins_list_codg, 1, err) == -1 ||
	    hg_nhsa_req_str(it, "bilg_dept_codg", "开单科室编码", f->bilg_dept_codg,
	    sizeof f->bilg_dept_codg, 0, err) == -1 ||
	    hg_nhsa_req_str(it, "bilg_dr_codg", "开单医生编码", f->bilg_dr_codg,
	    sizeof f->bilg_dr_codg, 0, err) == -1 ||
	    nh_req_dec(it, "det_item_fee_sumamt", "明细项目费用总额",
	    HG_SCALE_FEN, 1, &f->det_item_fee_sumamt, err) == -1 ||
	    nh_req_dec(it, "cnt", "数量", HG_SCALE_QTY, 1, &f->cnt, err) == -1 ||
	    nh_req_dec(it, "pric", "单价", HG_SCALE_PRICE, 1, &f->pric,
	    err) == -1)
		return -1;
	return 0;
}

struct json_object *
hg_nhsa_fee_result_json(const struct hg_nhsa_fee_result *r)
{
	struct json_object *o = json_object_new_object();

	hg_nhsa_put_str(o, "feedetl_sn", r->feedetl_sn);
	nh_put_dec(o, "det_item_fee_sumamt", r->det_item_fee_sumamt,
	    HG_SCALE_FEN);
	nh_put_dec(o, "cnt", r->cnt, HG_SCALE_QTY);
	nh_put_dec(o, "pric", r->pric, HG_SCALE_PRICE);
	/* the national convention for "no cap" */
	nh_put_dec(o, "pric_uplmt_amt", r->pric_uplmt_amt < 0 ?
	    (int64_t)999999 * 1000000 : r->pric_uplmt_amt, HG_SCALE_PRICE);
	nh_put_dec(o, "selfpay_prop", r->selfpay_prop, HG_SCALE_RATIO);
	nh_put_dec(o, "fulamt_ownpay_amt", r->fulamt_ownpay_amt, HG_SCALE_FEN);
	nh_put_dec(o, "overlmt_amt", r->overlmt_amt, HG_SCALE_FEN);
	nh_put_dec(o, "preselfpay_amt", r->preselfpay_amt, HG_SCALE_FEN);
	nh_put_dec(o, "inscp_scp_amt", r->inscp_scp_amt, HG_SCALE_FEN);
	hg_nhsa_put_str(o, "chrgitm_lv", r->chrgitm_lv);
	hg_nhsa_put_str(o, "med_chrgitm_type", r->med_chrgitm_type);
	hg_nhsa_put_str(o, "bas_medn_flag", "0");
	hg_nhsa_put_str(o, "hi_nego_drug_flag", "0");
	hg_nhsa_put_str(o, "chld_medc_flag", "0");
	hg_nhsa_put_str(o, "list_sp_item_flag", "0");
	hg_nhsa_put_str(o, "lmt_used_flag", "0");
	hg_nhsa_put_str(o, "drt_reim_flag", "0");
	hg_nhsa_put_str(o, "memo", r->memo);
	return o;
}

int
hg_nhsa_out_2301(struct json_object *output, struct hg_nhsa_fee_result **out,
    size_t *nout, struct hg_err *err)
{
	struct json_object *arr = nh_node(output, "result"), *it;
	struct hg_nhsa_fee_result *rows = NULL, *r;
	size_t i, n;

	*out = NULL;
	*nout = 0;
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return hg_fail(err, "2301: output.result is not an array");
	n = json_object_array_length(arr);
	rows = hg_xcalloc(n > 0 ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(arr, i);
		r = &rows[i];
		if (hg_nhsa_get_str(it, "feedetl_sn", r->feedetl_sn,
		    sizeof r->feedetl_sn, 1, err) == -1 ||
		    hg_json_get_dec(it, "det_item_fee_sumamt", HG_SCALE_FEN, 0,
		    &r->det_item_fee_sumamt, err) == -1 ||
		    hg_json_get_dec(it, "cnt", HG_SCALE_QTY, 1, &r->cnt,
		    err) == -1 ||
		    hg_json_get_dec(it, "pric", HG_SCALE_PRICE, 1, &r->pric,
		    err) == -1 ||
		    hg_json_get_dec(it, "pric_uplmt_amt", HG_SCALE_PRICE, 1,
		    &r->pric_uplmt_amt, err) == -1 ||
		    hg_json_get_dec(it, "selfpay_prop", HG_SCALE_RATIO, 1,
		    &r->selfpay_prop, err) == -1 ||
		    hg_json_get_dec(it, "fulamt_ownpay_amt", HG_SCALE_FEN, 1,
		    &r->fulamt_ownpay_amt, err) == -1 ||
		    hg_json_get_dec(it, "overlmt_amt", HG_SCALE_FEN, 1,
		    &r->overlmt_amt, err) == -1 ||
		    hg_json_get_dec(it, "preselfpay_amt", HG_SCALE_FEN, 1,
		    &r->preselfpay_amt, err) == -1 ||
		    hg_json_get_dec(it, "inscp_scp_amt", HG_SCALE_FEN, 1,
		    &r->inscp_scp_amt, err) == -1)
			goto fail;
		if (r->pric_uplmt_amt == (int64_t)999999 * 1000000)
			r->pric_uplmt_amt = -1;
		nh_get_text(it, "chrgitm_lv", r->chrgitm_lv,
		    sizeof r->chrgitm_lv);
		nh_get_text(it, "med_chrgitm_type", r->med_chrgitm_type,
		    sizeof r->med_chrgitm_type);
		nh_get_text(it, "memo", r->memo, sizeof r->memo);
	}
	*out = rows;
	*nout = n;
	return 0;
fail:
	hg_err_prefix(err, "2301: result[%zu]", i);
	free(rows);
	return -1;
}

struct json_object *
hg_nhsa_in_2302(const char *mdtrt_id, const char *psn_no,
    const char *feedetl_sn)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "feedetl_sn", feedetl_sn);
	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "exp_content", "");
	return nh_wrap("data", d);
}
