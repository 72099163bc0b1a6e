/* The national interface codec, settlement (lib/nhsa.h): 2303 pre-settle
 * and 2304 settle with their setlinfo field tables, 2305 reversal, 2601
 * message reversal, 5203 settlement query and 3201 statement totals.
 * Field tables drive setlinfo so that parsing and formatting cannot drift
 * apart. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/nhsa_int.h"
#include "lib/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* 2303, 2304 */

struct json_object *
hg_nhsa_in_setl(const struct hg_nhsa_setl_req *r)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", r->psn_no);
	hg_nhsa_put_str(d, "mdtrt_cert_type", r->mdtrt_cert_type);
	hg_nhsa_put_str(d, "mdtrt_cert_no", r->mdtrt_cert_no);
	nh_put_dec(d, "medfee_sumamt", r->medfee_sumamt, HG_SCALE_FEN);
	hg_nhsa_put_str(d, "psn_setlway", r->psn_setlway[0] != '\0' ?
	    r->psn_setlway : "01");
	hg_nhsa_put_str(d, "mdtrt_id", r->mdtrt_id);
	hg_nhsa_put_str(d, "insutype", r->insutype);
	hg_nhsa_put_str(d, "acct_used_flag", r->acct_used_flag[0] != '\0' ?
	    r->acct_used_flag : "0");
	hg_nhsa_put_str(d, "invono", r->invono);
	hg_nhsa_put_str(d, "mid_setl_flag", r->mid_setl_flag[0] != '\0' ?
	    r->mid_setl_flag : "0");
	if (r->has_split) {
		nh_put_dec(d, "fulamt_ownpay_amt", r->fulamt_ownpay_amt,
		    HG_SCALE_FEN);
		nh_put_dec(d, "overlmt_selfpay", r->overlmt_selfpay,
		    HG_SCALE_FEN);
		nh_put_dec(d, "preselfpay_amt", r->preselfpay_amt, HG_SCALE_FEN);
		nh_put_dec(d, "inscp_scp_amt", r->inscp_scp_amt, HG_SCALE_FEN);
	}
	return nh_wrap("data", d);
}

int
hg_nhsa_setl_req_parse(struct json_object *d, struct hg_nhsa_setl_req *r,
    struct hg_err *err)
{
	memset(r, 0, sizeof *r);
	if (d == NULL || !json_object_is_type(d, json_type_object))
		return hg_fail(err, "输入节点[data]不能为空");
	if (hg_nhsa_req_str(d, "psn_no", "人员编号", r->psn_no, sizeof r->psn_no, 1,
	    err) == -1 ||
	    hg_nhsa_req_str(d, "mdtrt_cert_type", "就诊凭证类型", r->mdtrt_cert_type,
	    sizeof r->mdtrt_cert_type, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "mdtrt_cert_no", "就诊凭证编号", r->mdtrt_cert_no,
	    sizeof r->mdtrt_cert_no, 0, err) == -1 ||
	    nh_req_dec(d, "medfee_sumamt", "医疗费总额", HG_SCALE_FEN, 1,
	    &r->medfee_sumamt, err) == -1 ||
	    hg_nhsa_req_str(d, "psn_setlway", "个人结算方式", r->psn_setlway,
	    sizeof r->psn_setlway, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "mdtrt_id", "就诊ID", r->mdtrt_id, sizeof r->mdtrt_id,
	    1, err) == -1 ||
	    hg_nhsa_req_str(d, "insutype", "险种类型", r->insutype,
	    sizeof r->insutype, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "acct_used_flag", "个人账户使用标志", r->acct_used_flag,
	    sizeof r->acct_used_flag, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "mid_setl_flag", "中途结算标志", r->mid_setl_flag,
	    sizeof r->mid_setl_flag, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "invono", "发票号", r->invono, sizeof r->invono, 0,
	    err) == -1)
		return -1;
	r->has_split = hg_json_get_str(d, "inscp_scp_amt") != NULL;
	if (nh_req_dec(d, "fulamt_ownpay_amt", "全自费金额", HG_SCALE_FEN, 0,
	    &r->fulamt_ownpay_amt, err) == -1 ||
	    nh_req_dec(d, "overlmt_selfpay", "超限价自费费用", HG_SCALE_FEN, 0,
	    &r->overlmt_selfpay, err) == -1 ||
	    nh_req_dec(d, "preselfpay_amt", "先行自付金额", HG_SCALE_FEN, 0,
	    &r->preselfpay_amt, err) == -1 ||
	    nh_req_dec(d, "inscp_scp_amt", "符合政策范围金额", HG_SCALE_FEN, 0,
	    &r->inscp_scp_amt, err) == -1)
		return -1;
	return 0;
}

/* setlinfo, field by field.  Order is the order written. */
#define SSTR(f)	{ #f, offsetof(struct hg_nhsa_setl, f), \
	sizeof(((struct hg_nhsa_setl *)0)->f) }
#define SAMT(f, sc, req) { #f, offsetof(struct hg_nhsa_setl, f), sc, req }

static const struct setl_str {
	const char	*key;
	size_t		 off;
	size_t		 size;
} setl_head[] = {
	SSTR(setl_id), SSTR(mdtrt_id), SSTR(psn_no), SSTR(psn_name),
	SSTR(psn_cert_type), SSTR(certno), SSTR(gend), SSTR(insutype),
	SSTR(psn_type), SSTR(setl_time), SSTR(med_type), SSTR(setl_type),
}, setl_tail[] = {
	SSTR(medins_setl_id), SSTR(clr_optins), SSTR(clr_way), SSTR(clr_type),
	SSTR(refd_setl_flag), SSTR(revs_flag),
};

static const struct setl_amt {
	const char	*key;
	size_t		 off;
	int		 scale;
	int		 required;
} setl_amts[] = {
	SAMT(medfee_sumamt, HG_SCALE_FEN, 1),
	SAMT(fulamt_ownpay_amt, HG_SCALE_FEN, 0),
	SAMT(overlmt_selfpay, HG_SCALE_FEN, 0),
	SAMT(preselfpay_amt, HG_SCALE_FEN, 0),
	SAMT(inscp_scp_amt, HG_SCALE_FEN, 0),
	SAMT(act_pay_dedc, HG_SCALE_FEN, 0),
	SAMT(hifp_pay, HG_SCALE_FEN, 0),
	SAMT(pool_prop_selfpay, HG_SCALE_RATIO, 0),
	SAMT(cvlserv_pay, HG_SCALE_FEN, 0),
	SAMT(hifes_pay, HG_SCALE_FEN, 0),
	SAMT(hifmi_pay, HG_SCALE_FEN, 0),
	SAMT(hifob_pay, HG_SCALE_FEN, 0),
	SAMT(maf_pay, HG_SCALE_FEN, 0),
	SAMT(oth_pay, HG_SCALE_FEN, 0),
	SAMT(fund_pay_sumamt, HG_SCALE_FEN, 1),
	SAMT(psn_part_amt, HG_SCALE_FEN, 1),
	SAMT(acct_pay, HG_SCALE_FEN, 0),
	SAMT(psn_cash_pay, HG_SCALE_FEN, 0),
	SAMT(hosp_part_amt, HG_SCALE_FEN, 0),
	SAMT(balc, HG_SCALE_FEN, 0),
	SAMT(acct_mulaid_pay, HG_SCALE_FEN, 0),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
setl_strs_get(struct json_object *o, const struct setl_str *t, size_t n,
    struct hg_nhsa_setl *s, struct hg_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hg_nhsa_get_str(o, t[i].key, (char *)s + t[i].off,
		    t[i].size, 0, err) == -1)
			return -1;
	return 0;
}

static void
setl_strs_put(struct json_object *o, const struct setl_str *t, size_t n,
    const struct hg_nhsa_setl *s)
{
	const char *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = (const char *)s + t[i].off;
		if (v[0] != '\0')
			hg_nhsa_put_str(o, t[i].key, v);
	}
}

static int
detail_get(struct json_object *o, struct hg_nhsa_setldetail *d,
    struct hg_err *err)
{
	if (hg_nhsa_get_str(o, "fund_pay_type", d->fund_pay_type,
	    sizeof d->fund_pay_type, 1, err) == -1 ||
	    hg_json_get_dec(o, "inscp_scp_amt", HG_SCALE_FEN, 1,
	    &d->inscp_scp_amt, err) == -1 ||
	    hg_json_get_dec(o, "fund_payamt", HG_SCALE_FEN, 0,
	    &d->fund_payamt, err) == -1)
		return -1;
	nh_get_text(o, "fund_pay_type_name", d->fund_pay_type_name,
	    sizeof d->fund_pay_type_name);
	nh_get_text(o, "setl_proc_info", d->setl_proc_info,
	    sizeof d->setl_proc_info);
	d->has_crt_payb_lmt_amt = hg_json_get_str(o, "crt_payb_lmt_amt") !=
	    NULL;
	return hg_json_get_dec(o, "crt_payb_lmt_amt", HG_SCALE_FEN, 1,
	    &d->crt_payb_lmt_amt, err);
}

int
hg_nhsa_out_setl(struct json_object *output, struct hg_nhsa_setl *s,
    struct hg_err *err)
{
	struct json_object *info = nh_node(output, "setlinfo");
	struct json_object *arr = nh_node(output, "setldetail");
	size_t i, n;

	memset(s, 0, sizeof *s);
	if (info == NULL || !json_object_is_type(info, json_type_object))
		return hg_fail(err, "output.setlinfo missing");
	if (setl_strs_get(info, setl_head, NELEM(setl_head), s, err) == -1 ||
	    setl_strs_get(info, setl_tail, NELEM(setl_tail), s, err) == -1)
		goto fail;
	for (i = 0; i < NELEM(setl_amts); i++)
		if (hg_json_get_dec(info, setl_amts[i].key,
		    setl_amts[i].scale, !setl_amts[i].required,
		    (int64_t *)((char *)s + setl_amts[i].off), err) == -1)
			goto fail;
	if (arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return hg_fail(err, "output.setldetail is not an array");
	n = json_object_array_length(arr);
	if (n > HG_NHSA_MAXDETAIL)
		return hg_fail(err, "output.setldetail has %zu rows, at most "
		    "%d are understood", n, HG_NHSA_MAXDETAIL);
	for (i = 0; i < n; i++)
		if (detail_get(json_object_array_get_idx(arr, i),
		    &s->detail[i], err) == -1) {
			hg_err_prefix(err, "setldetail[%zu]", i);
			return -1;
		}
	s->ndetail = n;
	return 0;
fail:
	hg_err_prefix(err, "setlinfo");
	return -1;
}

struct json_object *
hg_nhsa_setl_json(const struct hg_nhsa_setl *s)
{
	struct json_object *out = json_object_new_object();
	struct json_object *info = json_object_new_object();
	struct json_object *arr = json_object_new_array(), *d;
	const struct hg_nhsa_setldetail *r;
	size_t i;

	setl_strs_put(info, setl_head, NELEM(setl_head), s);
	for (i = 0; i < NELEM(setl_amts); i++)
		nh_put_dec(info, setl_amts[i].key,
		    *(const int64_t *)((const char *)s + setl_amts[i].off),
		    setl_amts[i].scale);
	setl_strs_put(info, setl_tail, NELEM(setl_tail), s);
	for (i = 0; i < s->ndetail; i++) {
		r = &s->detail[i];
		d = json_object_new_object();
		hg_nhsa_put_str(d, "fund_pay_type", r->fund_pay_type);
		hg_nhsa_put_str(d, "fund_pay_type_name",
		    r->fund_pay_type_name);
		nh_put_dec(d, "inscp_scp_amt", r->inscp_scp_amt, HG_SCALE_FEN);
		json_object_object_add(d, "crt_payb_lmt_amt",
		    r->has_crt_payb_lmt_amt ? hg_json_dec(r->crt_payb_lmt_amt,
		    HG_SCALE_FEN) : NULL);
		nh_put_dec(d, "fund_payamt", r->fund_payamt, HG_SCALE_FEN);
		json_object_object_add(d, "setl_proc_info",
		    r->setl_proc_info[0] != '\0' ?
		    json_object_new_string(r->setl_proc_info) : NULL);
		json_object_array_add(arr, d);
	}
	json_object_object_add(out, "setlinfo", info);
	json_object_object_add(out, "setldetail", arr);
	return out;
}

int
hg_nhsa_setl_check(const struct hg_nhsa_setl *s, struct hg_err *err)
{
	char a[HG_DECBUF], b[HG_DECBUF], c[HG_DECBUF], d[HG_DECBUF],
	    e[HG_DECBUF];

	if (s->medfee_sumamt != s->fulamt_ownpay_amt + s->overlmt_selfpay +
	    s->preselfpay_amt + s->inscp_scp_amt)
		return hg_fail(err, "medfee_sumamt %s != fulamt_ownpay_amt %s "
		    "+ overlmt_selfpay %s + preselfpay_amt %s + "
		    "inscp_scp_amt %s",
		    hg_dec_format(s->medfee_sumamt, 2, a),
		    hg_dec_format(s->fulamt_ownpay_amt, 2, b),
		    hg_dec_format(s->overlmt_selfpay, 2, c),
		    hg_dec_format(s->preselfpay_amt, 2, d),
		    hg_dec_format(s->inscp_scp_amt, 2, e));
	if (s->medfee_sumamt != s->fund_pay_sumamt + s->psn_part_amt +
	    s->hosp_part_amt)
		return hg_fail(err, "medfee_sumamt %s != fund_pay_sumamt %s + "
		    "psn_part_amt %s + hosp_part_amt %s",
		    hg_dec_format(s->medfee_sumamt, 2, a),
		    hg_dec_format(s->fund_pay_sumamt, 2, b),
		    hg_dec_format(s->psn_part_amt, 2, c),
		    hg_dec_format(s->hosp_part_amt, 2, d));
	if (s->psn_part_amt != s->acct_pay + s->psn_cash_pay)
		return hg_fail(err, "psn_part_amt %s != acct_pay %s + "
		    "psn_cash_pay %s", hg_dec_format(s->psn_part_amt, 2, a),
		    hg_dec_format(s->acct_pay, 2, b),
		    hg_dec_format(s->psn_cash_pay, 2, c));
	return 0;
}

void
hg_nhsa_setl_negate(struct hg_nhsa_setl *s)
{
	int64_t *v;
	size_t i;

	for (i = 0; i < NELEM(setl_amts); i++) {
		if (setl_amts[i].off == offsetof(struct hg_nhsa_setl,
		    pool_prop_selfpay) ||
		    setl_amts[i].off == offsetof(struct hg_nhsa_setl, balc))
			continue;
		v = (int64_t *)((char *)s + setl_amts[i].off);
		*v = -*v;
	}
	for (i = 0; i < s->ndetail; i++) {
		s->detail[i].inscp_scp_amt = -s->detail[i].inscp_scp_amt;
		s->detail[i].fund_payamt = -s->detail[i].fund_payamt;
		s->detail[i].crt_payb_lmt_amt =
		    -s->detail[i].crt_payb_lmt_amt;
	}
}

/* ---------------------------------------------------------------------- */
/* 2305, 2601, 5203 */

struct json_object *
hg_nhsa_in_2305(const char *mdtrt_id, const char *setl_id,
    const char *psn_no)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(d, "setl_id", setl_id);
	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "exp_content", "");
	return nh_wrap("data", d);
}

struct json_object *
hg_nhsa_in_2601(const char *psn_no, const char *omsgid, const char *oinfno)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "omsgid", omsgid);
	hg_nhsa_put_str(d, "oinfno", oinfno);
	return nh_wrap("data", d);
}

struct json_object *
hg_nhsa_in_5203(const char *psn_no, const char *setl_id,
    const char *mdtrt_id)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "setl_id", setl_id);
	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	return nh_wrap("data", d);
}

/* ---------------------------------------------------------------------- */
/* 3201 */

struct json_object *
hg_nhsa_in_3201(const struct hg_nhsa_stmt_req *r)
{
	struct json_object *d = json_object_new_object();
	char cnt[HG_DECBUF];

	hg_nhsa_put_str(d, "insutype", r->insutype);
	hg_nhsa_put_str(d, "clr_type", r->clr_type);
	hg_nhsa_put_str(d, "setl_optins", r->setl_optins);
	hg_nhsa_put_str(d, "stmt_begndate", r->stmt_begndate);
	hg_nhsa_put_str(d, "stmt_enddate", r->stmt_enddate);
	nh_put_dec(d, "medfee_sumamt", r->medfee_sumamt, HG_SCALE_FEN);
	nh_put_dec(d, "fund_pay_sumamt", r->fund_pay_sumamt, HG_SCALE_FEN);
	nh_put_dec(d, "acct_pay", r->acct_pay, HG_SCALE_FEN);
	json_object_object_add(d, "fixmedins_setl_cnt",
	    json_object_new_double_s((double)r->fixmedins_setl_cnt,
	    hg_dec_format(r->fixmedins_setl_cnt, 0, cnt)));
	hg_nhsa_put_str(d, "refd_setl_flag", r->refd_setl_flag);
	return nh_wrap("data", d);
}

int
hg_nhsa_stmt_req_parse(struct json_object *d, struct hg_nhsa_stmt_req *r,
    struct hg_err *err)
{
	memset(r, 0, sizeof *r);
	if (d == NULL || !json_object_is_type(d, json_type_object))
		return hg_fail(err, "输入节点[data]不能为空");
	if (hg_nhsa_req_str(d, "insutype", "险种", r->insutype, sizeof r->insutype, 1,
	    err) == -1 ||
	    hg_nhsa_req_str(d, "clr_type", "清算类别", r->clr_type,
	    sizeof r->clr_type, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "setl_optins", "结算经办机构", r->setl_optins,
	    sizeof r->setl_optins, 0, err) == -1 ||
	    hg_nhsa_req_str(d, "stmt_begndate", "对账开始日期", r->stmt_begndate,
	    sizeof r->stmt_begndate, 1, err) == -1 ||
	    hg_nhsa_req_str(d, "stmt_enddate", "对账结束日期", r->stmt_enddate,
	    sizeof r->stmt_enddate, 1, err) == -1 ||
	    nh_req_dec(d, "medfee_sumamt", "医疗费总额", HG_SCALE_FEN, 1,
	    &r->medfee_sumamt, err) == -1 ||
	    nh_req_dec(d, "fund_pay_sumamt", "基金支付总额", HG_SCALE_FEN, 1,
	    &r->fund_pay_sumamt, err) == -1 ||
	    nh_req_dec(d, "acct_pay", "个人账户支付金额", HG_SCALE_FEN, 1,
	    &r->acct_pay, err) == -1 ||
	    nh_req_dec(d, "fixmedins_setl_cnt", "定点医药机构结算笔数", 0, 1,
	    &r->fixmedins_setl_cnt, err) == -1 ||
	    hg_nhsa_req_str(d, "refd_setl_flag", "退费结算标志", r->refd_setl_flag,
	    sizeof r->refd_setl_flag, 0, err) == -1)
		return -1;
	return 0;
}

int
hg_nhsa_out_3201(struct json_object *output, struct hg_nhsa_stmt_result *res,
    struct hg_err *err)
{
	struct json_object *s = nh_node(output, "stmtinfo");

	memset(res, 0, sizeof *res);
	if (s == NULL)
		return hg_fail(err, "3201: output.stmtinfo missing");
	if (hg_nhsa_get_str(s, "stmt_rslt", res->stmt_rslt,
	    sizeof res->stmt_rslt, 1, err) == -1) {
		hg_err_prefix(err, "3201: stmtinfo");
		return -1;
	}
	nh_get_text(s, "setl_optins", res->setl_optins, sizeof res->setl_optins);
	nh_get_text(s, "stmt_rslt_dscr", res->stmt_rslt_dscr,
	    sizeof res->stmt_rslt_dscr);
	return 0;
}
