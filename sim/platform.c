/* The simulated platform's message handling (nhsa-interface.md §2).
 *
 * One request at a time, inside one ledger transaction: the msgid is
 * checked and recorded, the handler runs inside a savepoint, a business
 * error (-2) rolls the handler back but keeps the msgid (so it cannot be
 * reused), a system error (-1) rolls everything back.  Handlers report
 * business errors with hg_fail() in the platform's own Chinese wording and
 * system errors with hg_failt(). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "sim/platform.h"
#include "sim/rules.h"

#define MAX_FEEDETAIL	1000

struct req {
	struct sim	*s;
	struct json_object *root;
	struct json_object *input;
	char		 infno[HG_NHSA_CODEBUF];
	char		 msgid[HG_NHSA_IDBUF];
	char		 code[HG_NHSA_IDBUF];		/* fixmedins_code */
	char		 insuplc[HG_NHSA_CODEBUF];
	char		 mdtrtarea[HG_NHSA_CODEBUF];
	char		 sign_no[HG_NHSA_IDBUF];
	char		 opter[HG_NHSA_IDBUF];
	int64_t		 now;				/* seconds */
	char		 now_txt[HG_NHSA_TIMEBUF];	/* yyyy-MM-dd HH:mm:ss */
	char		 day6[8];			/* yyMMdd */
	int		 year;
	/* results */
	struct json_object *output;
	int		 committed;
	char		 ref[HG_NHSA_IDBUF];
	char		 psn_no[HG_NHSA_IDBUF];
};

static void
stamp17(int64_t ms, char out[HG_NHSA_TIMEBUF])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[16];

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
	snprintf(out, HG_NHSA_TIMEBUF, "%s%03d", buf, (int)(ms % 1000));
}

static struct json_object *
data_node(struct req *r, const char *name)
{
	struct json_object *v;

	if (r->input == NULL || !json_object_object_get_ex(r->input, name, &v))
		return NULL;
	return v;
}

static int
need(struct json_object *o, const char *key, const char *label, char *buf,
    size_t size, struct hg_err *err)
{
	const char *v = hg_json_get_str(o, key);

	if (v == NULL || v[0] == '\0')
		return hg_fail(err, "%s[%s]不能为空", label, key);
	if (strlen(v) >= size)
		return hg_fail(err, "%s[%s]长度超过%zu", label, key, size - 1);
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

static void
opt(struct json_object *o, const char *key, char *buf, size_t size)
{
	const char *v = hg_json_get_str(o, key);

	snprintf(buf, size, "%s", v != NULL ? v : "");
}

static int
node_object(struct req *r, const char *name, struct json_object **out,
    struct hg_err *err)
{
	*out = data_node(r, name);
	if (*out == NULL || !json_object_is_type(*out, json_type_object))
		return hg_fail(err, "输入节点[input.%s]不能为空", name);
	return 0;
}

static const char *
fen(int64_t v, char buf[HG_DECBUF])
{
	return hg_dec_format(v, HG_SCALE_FEN, buf);
}

/* ---------------------------------------------------------------------- */
/* shared checks */

static int
person_for(struct req *r, const char *psn_no, const char *insutype,
    const struct sim_person **out, struct hg_err *err)
{
	const struct sim_person *p;

	*out = NULL;
	if (sim_conf_person(&r->s->conf, psn_no, NULL) == NULL)
		return hg_fail(err, "人员编号[%s]不存在", psn_no);
	p = sim_conf_person(&r->s->conf, psn_no, insutype);
	if (p == NULL)
		return hg_fail(err, "人员编号[%s]无险种类型[%s]的参保信息",
		    psn_no, insutype);
	if (strcmp(p->psn_insu_stas, "1") != 0)
		return hg_fail(err, "人员编号[%s]险种类型[%s]参保状态异常[%s],"
		    "不能享受待遇", psn_no, insutype, p->psn_insu_stas);
	if (strcmp(p->insuplc_admdvs, r->insuplc) != 0)
		return hg_fail(err, "参保地医保区划[%s]与人员参保地[%s]不一致",
		    r->insuplc, p->insuplc_admdvs);
	*out = p;
	return 0;
}

static int
visit_for(struct req *r, const char *mdtrt_id, const char *psn_no,
    struct sim_visit *v, struct hg_err *err)
{
	int found;

	if (sim_ledger_visit_get(r->s->ledger, mdtrt_id, v, &found, err) == -1)
		return -1;
	if (!found)
		return hg_fail(err, "就诊ID[%s]不存在", mdtrt_id);
	if (strcmp(v->fixmedins_code, r->code) != 0)
		return hg_fail(err, "就诊ID[%s]不属于定点医药机构[%s]",
		    mdtrt_id, r->code);
	if (psn_no != NULL && strcmp(v->psn_no, psn_no) != 0)
		return hg_fail(err, "人员编号[%s]与就诊ID[%s]的人员不一致",
		    psn_no, mdtrt_id);
	if (strcmp(v->state, "cancelled") == 0)
		return hg_fail(err, "就诊ID[%s]已撤销", mdtrt_id);
	return 0;
}

static int
not_settled(struct req *r, const char *mdtrt_id, const char *what,
    struct hg_err *err)
{
	int n;

	if (sim_ledger_active(r->s->ledger, mdtrt_id, &n, err) == -1)
		return -1;
	if (n > 0)
		return hg_fail(err, "该就诊已结算,%s", what);
	return 0;
}

static int
policy_for(struct req *r, const char *admdvs, const char *insutype,
    const struct sim_policy **out, struct hg_err *err)
{
	*out = sim_conf_policy(&r->s->conf, admdvs, insutype);
	if (*out == NULL)
		return hg_fail(err, "参保地[%s]险种类型[%s]未配置待遇政策",
		    admdvs, insutype);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 9001 sign-in */

static int
h_9001(struct req *r, struct hg_err *err)
{
	struct json_object *in, *o;
	char opter_no[HG_NHSA_IDBUF], sign_no[HG_NHSA_IDBUF];
	int64_t serial;

	if (node_object(r, "signIn", &in, err) == -1 ||
	    need(in, "opter_no", "操作员编号", opter_no, sizeof opter_no,
	    err) == -1 ||
	    sim_ledger_next_serial(r->s->ledger, "signins", &serial,
	    err) == -1)
		return -1;
	/* unguessable enough for a simulator, and ordered for people */
	snprintf(sign_no, sizeof sign_no, "%s%08lld%04d", r->day6,
	    (long long)serial, (int)(r->s->serial % 10000));
	if (sim_ledger_signin_add(r->s->ledger, sign_no, r->code, opter_no,
	    r->now, r->now + r->s->conf.sign_ttl, err) == -1)
		return -1;
	o = json_object_new_object();
	hg_nhsa_put_str(o, "sign_time", r->now_txt);
	hg_nhsa_put_str(o, "sign_no", sign_no);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "signinoutb", o);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", sign_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 1101 person info */

static int
h_1101(struct req *r, struct hg_err *err)
{
	struct json_object *in, *base, *arr, *row;
	const struct sim_conf *c = &r->s->conf;
	const struct sim_person *p;
	char type[HG_NHSA_CODEBUF], no[HG_NHSA_TEXTBUF],
	    certno[HG_NHSA_IDBUF], name[HG_NHSA_NAMEBUF];
	const char *key;
	size_t i;

	if (node_object(r, "data", &in, err) == -1 ||
	    need(in, "mdtrt_cert_type", "就诊凭证类型", type, sizeof type,
	    err) == -1 ||
	    need(in, "mdtrt_cert_no", "就诊凭证编号", no, sizeof no,
	    err) == -1)
		return -1;
	if (strcmp(type, "03") == 0 && hg_json_get_str(in, "card_sn") ==
	    NULL)
		return hg_fail(err, "社保卡识别码[card_sn]不能为空");
	opt(in, "certno", certno, sizeof certno);
	opt(in, "psn_name", name, sizeof name);
	/* the simulator takes an e-voucher token to be the ID number */
	key = certno[0] != '\0' ? certno : no;
	if ((p = sim_conf_person_cert(c, key)) == NULL)
		return hg_fail(err, "证件号码[%s]未查询到参保人员信息", key);
	if (name[0] != '\0' && strcmp(name, p->psn_name) != 0)
		return hg_fail(err, "人员姓名[%s]与证件号码[%s]登记的姓名不一致",
		    name, key);
	base = json_object_new_object();
	hg_nhsa_put_str(base, "psn_no", p->psn_no);
	hg_nhsa_put_str(base, "psn_cert_type", "01");
	hg_nhsa_put_str(base, "certno", p->certno);
	hg_nhsa_put_str(base, "psn_name", p->psn_name);
	hg_nhsa_put_str(base, "gend", p->gend);
	hg_nhsa_put_str(base, "naty", "01");
	hg_nhsa_put_str(base, "brdy", p->brdy);
	arr = json_object_new_array();
	for (i = 0; i < c->npsn; i++) {
		if (strcmp(c->psn[i].certno, p->certno) != 0)
			continue;
		row = json_object_new_object();
		json_object_object_add(row, "balc", hg_json_dec(0, 2));
		hg_nhsa_put_str(row, "insutype", c->psn[i].insutype);
		hg_nhsa_put_str(row, "psn_type", c->psn[i].psn_type);
		hg_nhsa_put_str(row, "psn_insu_stas", c->psn[i].psn_insu_stas);
		hg_nhsa_put_str(row, "psn_insu_date", "");
		hg_nhsa_put_str(row, "paus_insu_date", "");
		hg_nhsa_put_str(row, "cvlserv_flag", "0");
		hg_nhsa_put_str(row, "insuplc_admdvs",
		    c->psn[i].insuplc_admdvs);
		hg_nhsa_put_str(row, "emp_name", c->psn[i].emp_name);
		json_object_array_add(arr, row);
	}
	r->output = json_object_new_object();
	json_object_object_add(r->output, "baseinfo", base);
	json_object_object_add(r->output, "insuinfo", arr);
	json_object_object_add(r->output, "idetinfo",
	    json_object_new_array());
	snprintf(r->psn_no, sizeof r->psn_no, "%s", p->psn_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 2401 admission */

static int
h_2401(struct req *r, struct hg_err *err)
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
	if (node_object(r, "mdtrtinfo", &in, err) == -1 ||
	    need(in, "psn_no", "人员编号", v.psn_no, sizeof v.psn_no,
	    err) == -1 ||
	    need(in, "insutype", "险种类型", v.insutype, sizeof v.insutype,
	    err) == -1 ||
	    need(in, "begntime", "开始时间", v.begntime, sizeof v.begntime,
	    err) == -1 ||
	    need(in, "mdtrt_cert_type", "就诊凭证类型", token, sizeof token,
	    err) == -1 ||
	    need(in, "mdtrt_cert_no", "就诊凭证编号", token, sizeof token,
	    err) == -1 ||
	    need(in, "med_type", "医疗类别", v.med_type, sizeof v.med_type,
	    err) == -1 ||
	    need(in, "ipt_no", "住院号", v.ipt_no, sizeof v.ipt_no,
	    err) == -1)
		return -1;
	if (hg_time_parse("begntime", v.begntime, v.begntime, &e) == -1)
		return hg_fail(err, "开始时间[begntime]格式错误,应为"
		    "yyyy-MM-dd HH:mm:ss");
	if (person_for(r, v.psn_no, v.insutype, &p, err) == -1 ||
	    policy_for(r, p->insuplc_admdvs, v.insutype, &pol, err) == -1)
		return -1;
	if (sim_ledger_visit_find(r->s->ledger, v.psn_no, r->code, v.ipt_no,
	    &old, &found, err) == -1)
		return -1;
	if (found)
		return hg_fail(err, "人员编号[%s]住院号[%s]已办理入院,"
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
/* 2301 fee upload */

static int
fee_check(struct req *r, const struct hg_nhsa_fee_in *f,
    const struct sim_visit *v, struct hg_err *err)
{
	char a[HG_DECBUF], b[HG_DECBUF], c[HG_DECBUF], d[HG_DECBUF];
	char t[HG_NHSA_TIMEBUF];
	struct hg_err e;
	int64_t calc;
	int found;

	if (strcmp(f->mdtrt_id, v->mdtrt_id) != 0)
		return hg_fail(err, "费用明细流水号[%s]的就诊ID[%s]与本批次"
		    "就诊ID[%s]不一致", f->feedetl_sn, f->mdtrt_id,
		    v->mdtrt_id);
	if (strcmp(f->psn_no, v->psn_no) != 0)
		return hg_fail(err, "人员编号[%s]与就诊ID[%s]的人员不一致",
		    f->psn_no, v->mdtrt_id);
	if (hg_time_parse("fee_ocur_time", f->fee_ocur_time, t, &e) == -1)
		return hg_fail(err, "费用明细流水号[%s]费用发生时间[%s]格式错误",
		    f->feedetl_sn, f->fee_ocur_time);
	if (sim_conf_item(&r->s->conf, f->med_list_codg) == NULL)
		return hg_fail(err, "目录编码[%s]不在本地目录中",
		    f->med_list_codg);
	if (sim_ledger_item_exists(r->s->ledger, v->mdtrt_id, f->feedetl_sn,
	    &found, err) == -1)
		return -1;
	if (found)
		return hg_fail(err, "费用明细流水号[%s]已存在", f->feedetl_sn);
	if (f->init_feedetl_sn[0] != '\0') {
		if (sim_ledger_item_exists(r->s->ledger, v->mdtrt_id,
		    f->init_feedetl_sn, &found, err) == -1)
			return -1;
		if (!found)
			return hg_fail(err, "原费用明细流水号[%s]不存在",
			    f->init_feedetl_sn);
	}
	/* price x quantity against the amount: the HIS rounds its own way,
	 * so allow one fen */
	calc = hg_mul_round(f->pric, f->cnt, 8);
	if (calc - f->det_item_fee_sumamt > 1 ||
	    f->det_item_fee_sumamt - calc > 1)
		return hg_fail(err, "费用明细流水号[%s]明细项目费用总额[%s]与"
		    "单价[%s]×数量[%s]=[%s]不符", f->feedetl_sn,
		    fen(f->det_item_fee_sumamt, a),
		    hg_dec_format_short(f->pric, 6, b),
		    hg_dec_format_short(f->cnt, 4, c), fen(calc, d));
	return 0;
}

static int
h_2301(struct req *r, struct hg_err *err)
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

	arr = data_node(r, "feedetail");
	if (arr == NULL || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) == 0)
		return hg_fail(err, "费用明细[feedetail]不能为空");
	n = json_object_array_length(arr);
	if (n > MAX_FEEDETAIL)
		return hg_fail(err, "单次上传费用明细不能超过%d条,本次%zu条",
		    MAX_FEEDETAIL, n);
	fees = hg_xcalloc(n, sizeof *fees);
	for (i = 0; i < n; i++)
		if (hg_nhsa_fee_in_parse(json_object_array_get_idx(arr, i),
		    &fees[i], err) == -1) {
			hg_err_prefix(err, "第%zu条费用明细", i + 1);
			goto out;
		}
	if (visit_for(r, fees[0].mdtrt_id, fees[0].psn_no, &v, err) == -1 ||
	    not_settled(r, v.mdtrt_id, "不能上传费用明细", err) == -1 ||
	    policy_for(r, v.insuplc_admdvs, v.insutype, &pol, err) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (fee_check(r, &fees[i], &v, err) == -1)
			goto out;
		for (j = 0; j < i; j++)
			if (strcmp(fees[j].feedetl_sn, fees[i].feedetl_sn) ==
			    0) {
				hg_fail(err, "费用明细流水号[%s]在本批次中重复",
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

static int
h_2302(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	char sn[HG_NHSA_IDBUF], mdtrt_id[HG_NHSA_IDBUF], psn_no[HG_NHSA_IDBUF];
	struct sim_visit v;
	int n;

	if (node_object(r, "data", &in, err) == -1 ||
	    need(in, "feedetl_sn", "费用明细流水号", sn, sizeof sn,
	    err) == -1 ||
	    need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    visit_for(r, mdtrt_id, psn_no, &v, err) == -1 ||
	    not_settled(r, mdtrt_id, "不能删除费用明细", err) == -1)
		return -1;
	if (sim_ledger_items_delete(r->s->ledger, mdtrt_id,
	    strcmp(sn, "0000") == 0 ? NULL : sn, r->msgid, &n, err) == -1)
		return -1;
	if (n == 0 && strcmp(sn, "0000") != 0)
		return hg_fail(err, "费用明细流水号[%s]不存在", sn);
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

/* ---------------------------------------------------------------------- */
/* 2402 discharge */

static int
h_2402(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	char mdtrt_id[HG_NHSA_IDBUF], psn_no[HG_NHSA_IDBUF],
	    insutype[HG_NHSA_CODEBUF], endtime[HG_NHSA_TIMEBUF],
	    way[HG_NHSA_CODEBUF];
	struct sim_visit v;
	struct hg_err e;

	if (node_object(r, "dscginfo", &in, err) == -1 ||
	    need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    need(in, "insutype", "险种类型", insutype, sizeof insutype,
	    err) == -1 ||
	    need(in, "endtime", "结束时间", endtime, sizeof endtime,
	    err) == -1 ||
	    need(in, "dscg_way", "离院方式", way, sizeof way, err) == -1)
		return -1;
	if (hg_time_parse("endtime", endtime, endtime, &e) == -1)
		return hg_fail(err, "结束时间[endtime]格式错误,应为"
		    "yyyy-MM-dd HH:mm:ss");
	if (visit_for(r, mdtrt_id, psn_no, &v, err) == -1)
		return -1;
	if (strcmp(v.insutype, insutype) != 0)
		return hg_fail(err, "险种类型[%s]与入院登记险种类型[%s]不一致",
		    insutype, v.insutype);
	if (strcmp(v.state, "admitted") != 0)
		return hg_fail(err, "就诊ID[%s]已办理出院,不能重复办理",
		    mdtrt_id);
	if (strcmp(endtime, v.begntime) < 0)
		return hg_fail(err, "出院时间[%s]早于入院时间[%s]", endtime,
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
	if (hg_nhsa_setl_req_parse(data_node(r, "data"), &c->req, err) == -1 ||
	    visit_for(r, c->req.mdtrt_id, c->req.psn_no, &c->visit,
	    err) == -1)
		return -1;
	if (strcmp(c->visit.insutype, c->req.insutype) != 0)
		return hg_fail(err, "险种类型[%s]与入院登记险种类型[%s]不一致",
		    c->req.insutype, c->visit.insutype);
	if (strcmp(c->visit.state, "admitted") == 0 &&
	    strcmp(c->req.mid_setl_flag, "1") != 0)
		return hg_fail(err, "就诊ID[%s]未办理出院,不能结算",
		    c->visit.mdtrt_id);
	if (not_settled(r, c->visit.mdtrt_id, "不能重复结算", err) == -1 ||
	    sim_ledger_items_sum(r->s->ledger, c->visit.mdtrt_id, &total, &sum,
	    &count, err) == -1)
		return -1;
	if (count == 0)
		return hg_fail(err, "就诊ID[%s]未上传费用明细,不能结算",
		    c->visit.mdtrt_id);
	if (total != c->req.medfee_sumamt)
		return hg_fail(err, "医疗费总额[%s]与已上传费用明细合计[%s]"
		    "不一致", fen(c->req.medfee_sumamt, a), fen(total, b));
	if (person_for(r, c->req.psn_no, c->req.insutype, &c->person,
	    err) == -1 ||
	    policy_for(r, c->person->insuplc_admdvs, c->req.insutype,
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

static int
h_2303(struct req *r, struct hg_err *err)
{
	struct calc_ctx c;

	if (compute(r, &c, err) == -1)
		return -1;
	r->output = hg_nhsa_setl_json(&c.setl);
	snprintf(r->ref, sizeof r->ref, "%s", c.visit.mdtrt_id);
	return 0;
}

static int
h_2304(struct req *r, struct hg_err *err)
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

/* ---------------------------------------------------------------------- */
/* 2305 cancel */

static int
load_setl(struct sim_setl_row *row, struct hg_nhsa_setl *s,
    struct hg_err *err)
{
	struct json_object *o;
	struct hg_err e;
	int rc;

	if (hg_json_parse(row->output, &o, &e) == -1)
		return hg_failt(err, "结算ID[%s]的结算信息无法读取: %s",
		    row->setl_id, e.msg);
	rc = hg_nhsa_out_setl(o, s, &e);
	json_object_put(o);
	if (rc == -1)
		return hg_failt(err, "结算ID[%s]的结算信息无法读取: %s",
		    row->setl_id, e.msg);
	return 0;
}

static int
h_2305(struct req *r, struct hg_err *err)
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
	if (node_object(r, "data", &in, err) == -1 ||
	    need(in, "mdtrt_id", "就诊ID", mdtrt_id, sizeof mdtrt_id,
	    err) == -1 ||
	    need(in, "setl_id", "结算ID", setl_id, sizeof setl_id,
	    err) == -1 ||
	    need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    sim_ledger_setl_get(r->s->ledger, setl_id, 0, &orig, &found,
	    err) == -1)
		return -1;
	if (!found)
		return hg_fail(err, "结算ID[%s]不存在", setl_id);
	if (strcmp(orig.kind, "setl") != 0)
		hg_fail(err, "结算ID[%s]是撤销记录,不能撤销", setl_id);
	else if (strcmp(orig.mdtrt_id, mdtrt_id) != 0 ||
	    strcmp(orig.fixmedins_code, r->code) != 0)
		hg_fail(err, "结算ID[%s]与就诊ID[%s]不匹配", setl_id, mdtrt_id);
	else if (strcmp(orig.psn_no, psn_no) != 0)
		hg_fail(err, "人员编号[%s]与结算ID[%s]的人员不一致", psn_no,
		    setl_id);
	else if (orig.reversed_by[0] != '\0')
		hg_fail(err, "结算ID[%s]已冲正,不能撤销", setl_id);
	else if (orig.canc_setl_id[0] != '\0')
		hg_fail(err, "该结算已撤销,不能重复撤销(撤销结算ID[%s])",
		    orig.canc_setl_id);
	else if (visit_for(r, mdtrt_id, psn_no, &v, err) == 0 &&
	    load_setl(&orig, &s, err) == 0 &&
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
/* 5203 settlement query */

static int
h_5203(struct req *r, struct hg_err *err)
{
	struct json_object *in;
	char psn_no[HG_NHSA_IDBUF], setl_id[HG_NHSA_IDBUF],
	    mdtrt_id[HG_NHSA_IDBUF], msgid[HG_NHSA_IDBUF];
	struct sim_setl_row row;
	struct hg_nhsa_setl s;
	int found, rc = -1;

	if (node_object(r, "data", &in, err) == -1 ||
	    need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1)
		return -1;
	opt(in, "setl_id", setl_id, sizeof setl_id);
	opt(in, "mdtrt_id", mdtrt_id, sizeof mdtrt_id);
	opt(in, "medins_setl_id", msgid, sizeof msgid);
	if (setl_id[0] == '\0' && msgid[0] == '\0')
		return hg_fail(err, "结算ID[setl_id]不能为空");
	if (sim_ledger_setl_get(r->s->ledger, setl_id[0] != '\0' ? setl_id :
	    msgid, setl_id[0] == '\0', &row, &found, err) == -1)
		return -1;
	if (!found) {
		if (setl_id[0] != '\0')
			return hg_fail(err, "结算ID[%s]不存在", setl_id);
		return hg_fail(err, "未查询到医药机构结算ID[%s]对应的结算信息",
		    msgid);
	}
	if (strcmp(row.fixmedins_code, r->code) != 0)
		hg_fail(err, "结算ID[%s]不属于定点医药机构[%s]", row.setl_id,
		    r->code);
	else if (strcmp(row.psn_no, psn_no) != 0)
		hg_fail(err, "人员编号[%s]与结算ID[%s]的人员不一致", psn_no,
		    row.setl_id);
	else if (mdtrt_id[0] != '\0' && strcmp(row.mdtrt_id, mdtrt_id) != 0)
		hg_fail(err, "结算ID[%s]与就诊ID[%s]不匹配", row.setl_id,
		    mdtrt_id);
	else if (load_setl(&row, &s, err) == 0)
		rc = 0;
	if (rc == 0) {
		snprintf(s.setl_type, sizeof s.setl_type, "%s",
		    strcmp(row.kind, "canc") == 0 ? "2" : "1");
		snprintf(s.refd_setl_flag, sizeof s.refd_setl_flag, "%s",
		    row.canc_setl_id[0] != '\0' ? "1" : "0");
		snprintf(s.revs_flag, sizeof s.revs_flag, "%s",
		    row.reversed_by[0] != '\0' ? "1" : "0");
		r->output = hg_nhsa_setl_json(&s);
		snprintf(r->ref, sizeof r->ref, "%s", row.setl_id);
		snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	}
	sim_ledger_row_free(&row);
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
			hg_fail(err, "该结算已撤销(撤销结算ID[%s]),不能冲正",
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
			hg_fail(err, "就诊ID[%s]已重新结算,不能冲正撤销",
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

static int
reverse_visit(struct req *r, const struct sim_msg *m, struct hg_err *err)
{
	struct sim_visit v;
	int64_t total, count;
	struct sim_split sum;
	int found, n;

	if (sim_ledger_visit_get(r->s->ledger, m->ref, &v, &found, err) == -1)
		return -1;
	if (!found)
		return hg_failt(err, "原交易[%s]的就诊记录不存在", m->msgid);
	if (sim_ledger_active(r->s->ledger, v.mdtrt_id, &n, err) == -1)
		return -1;
	if (n > 0)
		return hg_fail(err, "就诊ID[%s]已结算,不能冲正", v.mdtrt_id);
	if (strcmp(m->infno, "2401") == 0) {
		if (sim_ledger_items_sum(r->s->ledger, v.mdtrt_id, &total,
		    &sum, &count, err) == -1)
			return -1;
		if (count > 0)
			return hg_fail(err, "就诊ID[%s]已上传费用明细,不能冲正"
			    "入院办理", v.mdtrt_id);
		snprintf(v.state, sizeof v.state, "cancelled");
	} else {
		if (strcmp(v.state, "discharged") != 0)
			return hg_fail(err, "就诊ID[%s]不是出院状态,不能冲正",
			    v.mdtrt_id);
		snprintf(v.state, sizeof v.state, "admitted");
		v.endtime[0] = v.dscg_way[0] = v.dscg_msgid[0] = '\0';
	}
	return sim_ledger_visit_update(r->s->ledger, &v, err);
}

static int
h_2601(struct req *r, struct hg_err *err)
{
	struct json_object *in, *res;
	char psn_no[HG_NHSA_IDBUF], omsgid[HG_NHSA_IDBUF],
	    oinfno[HG_NHSA_CODEBUF];
	const char *dscr = "原交易已冲正";
	struct sim_msg m;
	int found, n, done = 1, rc;

	if (node_object(r, "data", &in, err) == -1 ||
	    need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1 ||
	    need(in, "omsgid", "原发送方报文ID", omsgid, sizeof omsgid,
	    err) == -1 ||
	    need(in, "oinfno", "原交易编号", oinfno, sizeof oinfno,
	    err) == -1 ||
	    sim_ledger_msg_get(r->s->ledger, omsgid, &m, &found, err) == -1)
		return -1;
	if (!found)
		return hg_fail(err, "原发送方报文ID[%s]不存在,平台未收到原交易",
		    omsgid);
	if (strcmp(m.infno, oinfno) != 0)
		return hg_fail(err, "原交易编号[%s]与原报文的交易编号[%s]不一致",
		    oinfno, m.infno);
	if (m.psn_no[0] != '\0' && strcmp(m.psn_no, psn_no) != 0)
		return hg_fail(err, "人员编号[%s]与原交易的人员不一致", psn_no);
	if (m.reversed_by[0] != '\0')
		return hg_fail(err, "原交易[%s]已冲正,不能重复冲正", omsgid);
	if (!m.committed) {
		done = 0;
		dscr = "原交易未生效,无需冲正";
	} else if (strcmp(oinfno, "2304") == 0 || strcmp(oinfno,
	    "2305") == 0) {
		if (reverse_setl(r, &m, err) == -1)
			return -1;
	} else if (strcmp(oinfno, "2401") == 0 || strcmp(oinfno,
	    "2402") == 0) {
		if (reverse_visit(r, &m, err) == -1)
			return -1;
	} else if (strcmp(oinfno, "2301") == 0 || strcmp(oinfno,
	    "2302") == 0) {
		if (not_settled(r, m.ref, "不能冲正", err) == -1)
			return -1;
		rc = strcmp(oinfno, "2301") == 0 ?
		    sim_ledger_items_unupload(r->s->ledger, omsgid, r->msgid,
		    &n, err) :
		    sim_ledger_items_undelete(r->s->ledger, omsgid, &n, err);
		if (rc == -1)
			return -1;
	} else {
		return hg_fail(err, "交易[%s]不支持冲正", oinfno);
	}
	if (done && sim_ledger_msg_reversed(r->s->ledger, omsgid, r->msgid,
	    err) == -1)
		return -1;
	res = json_object_new_object();
	hg_nhsa_put_str(res, "omsgid", omsgid);
	hg_nhsa_put_str(res, "oinfno", oinfno);
	hg_nhsa_put_str(res, "revs_rslt", done ? "1" : "0");
	hg_nhsa_put_str(res, "revs_dscr", dscr);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "data", res);
	r->committed = done;
	snprintf(r->ref, sizeof r->ref, "%s", omsgid);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 3201 reconciliation */

static void
cmp_add(char *buf, size_t size, const char *what, int64_t ours,
    int64_t theirs, int scale)
{
	char a[HG_DECBUF], b[HG_DECBUF];
	size_t n = strlen(buf);

	if (ours == theirs)
		return;
	snprintf(buf + n, size - n, "%s%s:医药机构[%s],中心[%s]",
	    n > 0 ? ";" : "", what, hg_dec_format(theirs, scale, a),
	    hg_dec_format(ours, scale, b));
}

static int
h_3201(struct req *r, struct hg_err *err)
{
	struct hg_nhsa_stmt_req q;
	struct sim_stmt_totals t;
	struct json_object *info;
	char dscr[HG_NHSA_TEXTBUF] = "", a[HG_DECBUF], b[HG_DECBUF];
	char d1[HG_NHSA_TIMEBUF], d2[HG_NHSA_TIMEBUF];
	struct hg_err e;
	int mode;

	if (hg_nhsa_stmt_req_parse(data_node(r, "data"), &q, err) == -1)
		return -1;
	if (hg_time_parse("stmt_begndate", q.stmt_begndate, d1, &e) == -1 ||
	    hg_time_parse("stmt_enddate", q.stmt_enddate, d2, &e) == -1)
		return hg_fail(err, "对账日期[%s]至[%s]格式错误,应为yyyy-MM-dd",
		    q.stmt_begndate, q.stmt_enddate);
	d1[10] = d2[10] = '\0';
	if (q.refd_setl_flag[0] == '\0')
		mode = -1;
	else if (strcmp(q.refd_setl_flag, "0") == 0)
		mode = 0;
	else if (strcmp(q.refd_setl_flag, "1") == 0)
		mode = 1;
	else
		return hg_fail(err, "退费结算标志[refd_setl_flag]应为0或1");
	if (sim_ledger_stmt(r->s->ledger, r->code, q.insutype, q.clr_type,
	    q.setl_optins, d1, d2, mode, &t, err) == -1)
		return -1;
	cmp_add(dscr, sizeof dscr, "医疗费总额", t.medfee, q.medfee_sumamt, 2);
	cmp_add(dscr, sizeof dscr, "基金支付总额", t.fund, q.fund_pay_sumamt,
	    2);
	cmp_add(dscr, sizeof dscr, "个人账户支付金额", t.acct, q.acct_pay, 2);
	cmp_add(dscr, sizeof dscr, "结算笔数", t.cnt, q.fixmedins_setl_cnt, 0);
	info = json_object_new_object();
	hg_nhsa_put_str(info, "setl_optins", q.setl_optins);
	hg_nhsa_put_str(info, "stmt_rslt", dscr[0] == '\0' ? "0" : "1");
	if (dscr[0] == '\0')
		snprintf(dscr, sizeof dscr, "对账一致:结算笔数%lld,医疗费总额%s,"
		    "基金支付总额%s", (long long)t.cnt, fen(t.medfee, a),
		    fen(t.fund, b));
	hg_nhsa_put_str(info, "stmt_rslt_dscr", dscr);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "stmtinfo", info);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* dispatch */

static const struct {
	const char	*infno;
	int		(*fn)(struct req *, struct hg_err *);
} handlers[] = {
	{ "9001", h_9001 },
	{ "1101", h_1101 },
	{ "2401", h_2401 },
	{ "2301", h_2301 },
	{ "2302", h_2302 },
	{ "2402", h_2402 },
	{ "2303", h_2303 },
	{ "2304", h_2304 },
	{ "2305", h_2305 },
	{ "2601", h_2601 },
	{ "5203", h_5203 },
	{ "3201", h_3201 },
};

int
sim_init(struct sim *s, struct hg_err *err)
{
	pthread_mutex_init(&s->lock, NULL);
	return sim_ledger_max_serial(s->ledger, &s->serial, err);
}

void
sim_destroy(struct sim *s)
{
	pthread_mutex_destroy(&s->lock);
}

static struct json_object *
respond(struct sim *s, int infcode, const char *msg, struct json_object *out,
    int64_t recv_ms, int64_t now_ms, int with_ref)
{
	char ref[HG_NHSA_IDBUF] = "", t1[HG_NHSA_TIMEBUF], t2[HG_NHSA_TIMEBUF];
	time_t t = (time_t)(recv_ms / 1000);
	struct tm tm;
	char stamp[16];

	stamp17(recv_ms, t1);
	stamp17(now_ms, t2);
	if (with_ref) {
		localtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
		snprintf(ref, sizeof ref, "%s%s%010lld", s->conf.admdvs, stamp,
		    (long long)(s->serial % 10000000000LL));
	}
	return hg_nhsa_response(infcode, ref, t1, t2, msg, out);
}

struct json_object *
sim_syserr(struct sim *s, const char *msg, int64_t recv_ms, int64_t now_ms)
{
	struct json_object *o;

	pthread_mutex_lock(&s->lock);
	o = respond(s, -1, msg, NULL, recv_ms, now_ms, 0);
	pthread_mutex_unlock(&s->lock);
	return o;
}

static int
header(struct req *r, struct hg_err *err)
{
	const struct sim_conf *c = &r->s->conf;
	char when[HG_NHSA_TIMEBUF];
	struct json_object *d;
	struct hg_err e;
	size_t i;

	if (need(r->root, "infno", "交易编号", r->infno, sizeof r->infno,
	    err) == -1 ||
	    need(r->root, "msgid", "发送方报文ID", r->msgid, sizeof r->msgid,
	    err) == -1 ||
	    need(r->root, "mdtrtarea_admvs", "就医地医保区划", r->mdtrtarea,
	    sizeof r->mdtrtarea, err) == -1 ||
	    need(r->root, "fixmedins_code", "定点医药机构编号", r->code,
	    sizeof r->code, err) == -1 ||
	    need(r->root, "inf_time", "交易时间", when, sizeof when,
	    err) == -1)
		return -1;
	for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i].infno, r->infno) == 0)
			break;
	if (i == sizeof handlers / sizeof handlers[0])
		return hg_fail(err, "交易编号[%s]不存在或未开通", r->infno);
	if (strlen(r->msgid) != HG_NHSA_MSGIDLEN ||
	    strncmp(r->msgid, r->code, strlen(r->code)) != 0)
		return hg_fail(err, "发送方报文ID[%s]格式错误,应为定点医药机构"
		    "编号+yyyyMMddHHmmss+4位顺序号,共30位", r->msgid);
	if (hg_time_parse("inf_time", when, when, &e) == -1)
		return hg_fail(err, "交易时间[inf_time][%s]格式错误,应为"
		    "yyyy-MM-dd HH:mm:ss", when);
	/* a hospital talks to its own province's platform */
	if (strncmp(r->mdtrtarea, c->admdvs, 2) != 0)
		return hg_fail(err, "就医地医保区划[%s]不属于本平台[%s]",
		    r->mdtrtarea, c->admdvs);
	if (sim_conf_level(c, r->code) == 0)
		return hg_fail(err, "定点医药机构编号[%s]不存在", r->code);
	opt(r->root, "insuplc_admdvs", r->insuplc, sizeof r->insuplc);
	opt(r->root, "sign_no", r->sign_no, sizeof r->sign_no);
	opt(r->root, "opter", r->opter, sizeof r->opter);
	if (!json_object_object_get_ex(r->root, "input", &r->input) ||
	    !json_object_is_type(r->input, json_type_object))
		return hg_fail(err, "输入参数[input]不能为空");
	/* the national rule: a psn_no in the input needs the insured place */
	d = data_node(r, hg_nhsa_input_node(r->infno));
	if (d != NULL && json_object_is_type(d, json_type_array))
		d = json_object_array_get_idx(d, 0);
	if (r->insuplc[0] == '\0' && hg_json_get_str(d, "psn_no") != NULL)
		return hg_fail(err, "参保地医保区划[insuplc_admdvs]不能为空");
	return 0;
}

/* Run one request inside one ledger transaction.  Returns 0, or -1 with
 * err: HG_EPERM is answered -2 and the msgid stays spent (recorded with
 * the answer), HG_ETEMP is answered -1 and leaves no trace at all. */
static int
process(struct req *r, struct hg_err *err)
{
	struct sim_ledger *l = r->s->ledger;
	struct sim_msg m;
	struct hg_err e;
	size_t i;
	int found, valid = 1, hrc = -1, rc = -1, done = 0;

	if (sim_ledger_begin(l, err) == -1)
		return -1;
	if (sim_ledger_msg_get(l, r->msgid, &m, &found, err) == -1)
		goto out;
	if (found) {
		hg_fail(err, "发送方报文ID msgid[%s]重复", r->msgid);
		goto out;
	}
	if (strcmp(r->infno, "9001") != 0) {
		if (r->sign_no[0] == '\0')
			valid = 0;
		else if (sim_ledger_signin_valid(l, r->sign_no, r->code, r->now,
		    &valid, err) == -1)
			goto out;
	}
	if (!valid) {
		hg_fail(err, "签到已失效,请重新签到(签到编号[%s])", r->sign_no);
	} else {
		if (sim_ledger_savepoint(l, err) == -1)
			goto out;
		for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
			if (strcmp(handlers[i].infno, r->infno) == 0)
				hrc = handlers[i].fn(r, err);
		if (hrc == -1 && err->kind == HG_ETEMP)
			goto out;
		if (hrc == -1) {
			/* a rejected request changes nothing but its msgid */
			sim_ledger_rollback_to(l);
			r->committed = 0;
		} else if (sim_ledger_release(l, err) == -1) {
			goto out;
		}
	}
	/* the msgid is spent whatever the outcome */
	memset(&m, 0, sizeof m);
	snprintf(m.msgid, sizeof m.msgid, "%s", r->msgid);
	snprintf(m.infno, sizeof m.infno, "%s", r->infno);
	snprintf(m.psn_no, sizeof m.psn_no, "%s", r->psn_no);
	snprintf(m.ref, sizeof m.ref, "%s", r->ref);
	m.infcode = hrc == 0 ? 0 : -2;
	m.committed = hrc == 0 && r->committed;
	if (sim_ledger_msg_log(l, &m, r->code, r->now, hrc == 0 ? NULL :
	    err->msg, &e) == -1 || sim_ledger_commit(l, &e) == -1) {
		*err = e;
		goto out;
	}
	done = 1;
	rc = hrc;
out:
	if (!done)
		sim_ledger_rollback(l);
	return rc;
}

struct json_object *
sim_handle(struct sim *s, struct json_object *root, const char *parse_err,
    int64_t now_ms, int *committed)
{
	struct req r;
	struct hg_err err;
	struct json_object *resp;
	struct tm tm;
	time_t t;
	int rc = -1, infcode;

	memset(&r, 0, sizeof r);
	hg_err_clear(&err);
	pthread_mutex_lock(&s->lock);
	s->serial++;
	r.s = s;
	r.root = root;
	r.now = now_ms / 1000;
	t = (time_t)r.now;
	localtime_r(&t, &tm);
	strftime(r.now_txt, sizeof r.now_txt, "%Y-%m-%d %H:%M:%S", &tm);
	/* yyMMdd, as the platform's own identifiers carry it */
	snprintf(r.day6, sizeof r.day6, "%02d%02d%02d", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday);
	r.year = tm.tm_year + 1900;
	if (root == NULL || !json_object_is_type(root, json_type_object))
		hg_fail(&err, "报文格式错误,不是JSON对象: %s",
		    parse_err != NULL ? parse_err : "");
	else if (header(&r, &err) == 0)
		rc = process(&r, &err);
	infcode = rc == 0 ? 0 : err.kind == HG_ETEMP ? -1 : -2;
	*committed = rc == 0 && r.committed;
	if (rc != 0) {
		json_object_put(r.output);
		r.output = NULL;
	}
	resp = respond(s, infcode, rc == 0 ? NULL : err.msg, r.output, now_ms,
	    hg_wall_ms(), infcode != -1);
	pthread_mutex_unlock(&s->lock);
	return resp;
}
