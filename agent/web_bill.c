/* /bill/ID: the one-bill settlement slip (一单式结算单) as the hospital's
 * 医保办 wants it printed, from the same loader as `hisgate slip`
 * (agent/slip.h), with a print stylesheet for A4 and, with ?paper=80,
 * an 80 mm receipt printer.  A bill without a settlement shows its state,
 * the platform's reason and what to do next instead; a bill held by the
 * audit, what holds it and who releases it.  The audit's findings follow
 * on the screen, not on paper. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/slip.h"
#include "agent/web_int.h"
#include "lib/log.h"

static const char slip_css[] =
	".slip{max-width:190mm}"
	".slip h1{text-align:center}"
	".kv{display:grid;grid-template-columns:8em 1fr 8em 1fr;"
	"gap:2px 10px;margin:6px 0}.kv dt{color:#333}.kv dd{margin:0}"
	"table.amts td,table.amts th{padding:3px 8px}"
	"tr.sub td:first-child{padding-left:2em}"
	"tr.tot td{font-weight:bold;border-top:2px solid #111}"
	".check{margin:8px 0;font-weight:bold}"
	".banner{border:2px solid #a00;padding:6px 10px;margin:8px 0}"
	"nav{margin:6px 0}"
	"@page{size:A4;margin:15mm}"
	"@media print{nav,.noprint{display:none}body{font-size:12pt;"
	"max-width:none;padding:0}a{color:#000;text-decoration:none}}"
	"body.r80{max-width:80mm;font-size:12px;padding:0 2mm}"
	"body.r80 .kv{grid-template-columns:6em 1fr}"
	"body.r80 .slip{max-width:76mm}"
	"@media print{body.r80{font-size:9pt}}";

/* A receipt roll has no page height, but CSS has no "auto" for one
 * ("80mm auto" is dropped whole, and the A4 rule won): a long page,
 * which a receipt printer cuts where the slip ends. */
static const char r80_page[] = "<style>@page{size:80mm 297mm;margin:3mm}"
	"</style>";

static const struct {
	const char *code, *name;
} insutypes[] = {
	{ "310", "职工基本医疗保险" }, { "320", "公务员医疗补助" },
	{ "330", "大额医疗费用补助" }, { "340", "离休人员医疗保障" },
	{ "390", "城乡居民基本医疗保险" }, { "392", "城乡居民大病医疗保险" },
	{ "510", "生育保险" },
};

static const char *
insutype_name(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof insutypes / sizeof insutypes[0]; i++)
		if (strcmp(insutypes[i].code, code) == 0)
			return insutypes[i].name;
	return "";
}

static void
kv(struct hg_buf *b, const char *k, const char *v, const char *v2)
{
	hg_buf_adds(b, "<dt>");
	hg_buf_adds(b, k);
	hg_buf_adds(b, "</dt><dd>");
	hg_html_esc(b, v != NULL && v[0] != '\0' ? v : "—");
	if (v2 != NULL && v2[0] != '\0') {
		hg_buf_addc(b, ' ');
		hg_html_esc(b, v2);
	}
	hg_buf_adds(b, "</dd>");
}

static void
amt(struct hg_buf *b, const char *cls, const char *label, const char *key,
    int64_t fen)
{
	hg_buf_adds(b, "<tr");
	if (cls != NULL) {
		hg_buf_adds(b, " class=\"");
		hg_buf_adds(b, cls);
		hg_buf_adds(b, "\"");
	}
	hg_buf_adds(b, "><td>");
	hg_buf_adds(b, label);
	hg_buf_adds(b, "</td><td class=\"amt\" data-k=\"");
	hg_buf_adds(b, key);
	hg_buf_adds(b, "\">");
	hg_html_money(b, fen);
	hg_buf_adds(b, "</td></tr>\n");
}

static void
patient(struct hg_buf *b, const struct hg_slip *s)
{
	const struct hg_bill *bl = s->bill;
	char days[32];
	size_t i;

	hg_buf_adds(b, "<dl class=\"kv\">");
	kv(b, "医疗机构", s->hospital, bl->fixmedins_code);
	kv(b, "姓名", s->name, NULL);
	kv(b, "证件号码", s->cert, NULL);
	kv(b, "性别", bl->gender == NULL ? NULL : strcmp(bl->gender, "1") == 0 ?
	    "男" : strcmp(bl->gender, "2") == 0 ? "女" : bl->gender, NULL);
	kv(b, "住院号", bl->ipt_no, NULL);
	kv(b, "科室", bl->dept_name, NULL);
	kv(b, "入院时间", bl->adm_time, NULL);
	kv(b, "出院时间", bl->dscg_time, NULL);
	if (s->days > 0)
		snprintf(days, sizeof days, "%ld 天", s->days);
	else
		days[0] = '\0';
	kv(b, "住院天数", days, NULL);
	hg_buf_adds(b, "<dt>诊断</dt><dd>");
	for (i = 0; i < bl->ndiags; i++) {
		if (i > 0)
			hg_buf_adds(b, "；");
		hg_html_esc(b, bl->diags[i].code);
		hg_buf_addc(b, ' ');
		hg_html_esc(b, bl->diags[i].name);
		if (bl->diags[i].main)
			hg_buf_adds(b, "（主要诊断）");
	}
	if (bl->ndiags == 0)
		hg_buf_adds(b, "—");
	hg_buf_adds(b, "</dd></dl>\n");
}

static void
settlement(struct hg_buf *b, const struct hg_slip *s)
{
	const struct hg_nhsa_setl *p = &s->setl;
	size_t i;

	hg_buf_adds(b, "<dl class=\"kv\">");
	kv(b, "结算编号", p->setl_id, NULL);
	kv(b, "结算时间", p->setl_time, NULL);
	kv(b, "就诊ID", p->mdtrt_id[0] ? p->mdtrt_id : s->row.mdtrt_id, NULL);
	kv(b, "医保类型", p->insutype, insutype_name(p->insutype));
	kv(b, "参保地", s->row.insuplc_admdvs, NULL);
	kv(b, "人员类别", p->psn_type, NULL);
	hg_buf_adds(b, "</dl>\n<table class=\"amts\">");
	amt(b, "tot", "医疗费总额", "medfee_sumamt", p->medfee_sumamt);
	amt(b, "sub", "全自费", "fulamt_ownpay_amt", p->fulamt_ownpay_amt);
	amt(b, "sub", "超限价", "overlmt_selfpay", p->overlmt_selfpay);
	amt(b, "sub", "先行自付", "preselfpay_amt", p->preselfpay_amt);
	amt(b, "sub", "政策范围内", "inscp_scp_amt", p->inscp_scp_amt);
	amt(b, "tot", "基金支付合计", "fund_pay_sumamt", p->fund_pay_sumamt);
	amt(b, "sub", "基本医疗保险统筹基金", "hifp_pay", p->hifp_pay);
	amt(b, "sub", "大病保险", "hifmi_pay", p->hifmi_pay);
	amt(b, "sub", "医疗救助", "maf_pay", p->maf_pay);
	amt(b, "sub", "其他基金", "other_fund_pay", s->other);
	amt(b, "tot", "个人负担", "psn_part_amt", p->psn_part_amt);
	amt(b, "sub", "个人账户支付", "acct_pay", p->acct_pay);
	amt(b, "sub", "个人现金支付", "psn_cash_pay", p->psn_cash_pay);
	amt(b, "tot", "医院负担", "hosp_part_amt", p->hosp_part_amt);
	hg_buf_adds(b, "</table>\n");
	hg_buf_adds(b, "<h2>基金支付明细（医保平台返回）</h2>"
	    "<table class=\"amts\"><thead><tr><th>基金</th><th>名称</th>"
	    "<th class=\"amt\">政策范围内</th><th class=\"amt\">起付线</th>"
	    "<th class=\"amt\">支付</th><th>说明</th></tr></thead><tbody>");
	for (i = 0; i < p->ndetail; i++) {
		const struct hg_nhsa_setldetail *d = &p->detail[i];

		hg_buf_adds(b, "<tr><td>");
		hg_html_esc(b, d->fund_pay_type);
		hg_buf_adds(b, "</td><td>");
		hg_html_esc(b, d->fund_pay_type_name);
		hg_buf_adds(b, "</td><td class=\"amt\">");
		hg_html_money(b, d->inscp_scp_amt);
		hg_buf_adds(b, "</td><td class=\"amt\">");
		if (d->has_crt_payb_lmt_amt)
			hg_html_money(b, d->crt_payb_lmt_amt);
		else
			hg_buf_adds(b, "—");
		hg_buf_adds(b, "</td><td class=\"amt\">");
		hg_html_money(b, d->fund_payamt);
		hg_buf_adds(b, "</td><td>");
		hg_html_esc(b, d->setl_proc_info);
		hg_buf_adds(b, "</td></tr>\n");
	}
	if (p->ndetail == 0)
		hg_buf_adds(b, "<tr><td colspan=\"6\">—</td></tr>");
	hg_buf_adds(b, "</tbody></table>\n<p class=\"check\" id=\"check\">");
	/* medfee_sumamt = fund_pay_sumamt + psn_part_amt + hosp_part_amt */
	hg_buf_adds(b, "核对：医疗费总额 ");
	hg_html_money(b, p->medfee_sumamt);
	hg_buf_adds(b, " = 基金支付 ");
	hg_html_money(b, p->fund_pay_sumamt);
	hg_buf_adds(b, " + 个人负担 ");
	hg_html_money(b, p->psn_part_amt);
	hg_buf_adds(b, " + 医院负担 ");
	hg_html_money(b, p->hosp_part_amt);
	if (s->sums_ok) {
		hg_buf_adds(b, " <span class=\"st ok\">相符</span>");
	} else {
		hg_buf_adds(b, " <span class=\"st bad\">不相符：");
		hg_html_esc(b, s->sums_msg);
		hg_buf_adds(b, "。请勿交给病人，联系信息科</span>");
	}
	hg_buf_adds(b, "</p>\n");
}

/* A bill with no settlement in force: its state and what to do. */
static void
no_settlement(struct hg_buf *b, const struct hg_slip *s,
    const struct hg_web_audit *a)
{
	const struct hg_row *r = &s->row;
	const char *cls, *word = hg_web_state_word(r, &cls);
	char *why = hg_web_reason(r->err_msg != NULL ? r->err_msg : r->reasons,
	    r);
	int held = strcmp(r->state, HG_S_HELD) == 0;

	hg_buf_adds(b, "<div class=\"banner\" id=\"state\"><p><span "
	    "class=\"st ");
	hg_buf_adds(b, cls);
	hg_buf_adds(b, "\">");
	hg_buf_adds(b, word);
	hg_buf_adds(b, "</span></p>");
	if (held) {
		/* the hold is in the findings, not in err_msg or reasons */
		hg_buf_adds(b, "<p>原因：<span id=\"reason\">结算前审核暂停结算：");
		hg_web_audit_held(b, a);
		hg_buf_adds(b, "（详见下面的审核发现）。这张账单还没有发往医保平台。"
		    "</span></p><p>下一步：");
		hg_web_audit_next(b, r->id);
		hg_buf_adds(b, "</p></div>\n");
		free(why);
		return;
	}
	if (why != NULL) {
		hg_buf_adds(b, "<p>原因：<span id=\"reason\">");
		hg_html_esc(b, why);
		hg_buf_adds(b, "</span></p>");
	}
	hg_buf_adds(b, "<p>下一步：");
	if (strcmp(cls, "bad") == 0)
		hg_buf_adds(b, "医保平台拒绝了这次结算，没有产生任何费用。"
		    "请按上面的原因在 HIS 中核对并更正（人员信息、目录对照、"
		    "费用明细），重新导出账单；或请信息科核对后重试"
		    "（hisgate queue retry）。病人暂按全自费结账前，请先与医保办确认。");
	else if (strcmp(cls, "wait") == 0)
		hg_buf_adds(b, "无需操作：系统正在向医保平台确认，会自动重试，"
		    "本页会自动更新。");
	else if (strcmp(cls, "busy") == 0)
		hg_buf_adds(b, "无需操作：正在结算，本页会自动更新。");
	else if (strcmp(cls, "off") == 0)
		hg_buf_adds(b, "这次结算已撤销；如需重新结算请联系医保办。");
	else
		hg_buf_adds(b, "请联系信息科处理（hisgate queue show）。");
	hg_buf_adds(b, "</p></div>\n");
	free(why);
}

void
hg_web_bill(struct hg_web *w, const struct hg_web_req *rq, long long id,
    struct hg_web_resp *resp)
{
	struct hg_buf *b = &resp->body;
	struct hg_outbox *ob;
	struct hg_web_audit a;
	struct hg_slip s;
	struct hg_err err;
	int r80 = 0;
	const char *cls;

	memset(&s, 0, sizeof s);
	memset(&a, 0, sizeof a);
	if ((ob = hg_web_outbox(w, &err)) == NULL) {
		log_warn("web", "%s", err.msg);
		hg_html_error(resp, 503, "暂时读不到结算队列，请稍后刷新");
		return;
	}
	if (hg_slip_load(ob, w->cfg, id, 0, &s, &err) == -1) {
		hg_html_error(resp, 404, "没有这张账单 (no such bill)");
		goto out;
	}
	if (rq->ward != NULL && (s.bill->dept_name == NULL ||
	    strcmp(s.bill->dept_name, rq->ward) != 0)) {
		hg_html_error(resp, 403, "这张账单不属于您的病区");
		goto out;
	}
	if (hg_web_audit_load(ob, id, &a, &err) == -1)
		log_warn("web", "bill %lld: %s", id, err.msg);
	r80 = strcmp(rq->paper, "80") == 0;
	hg_html_head(b, "一单式结算单", slip_css);
	if (r80) {
		hg_buf_adds(b, r80_page);
		hg_buf_adds(b, "<script>document.body.className='r80';"
		    "</script>");
	}
	hg_buf_adds(b, "<nav class=\"noprint\"><a href=\"/\">← 出院列表</a> · "
	    "<button onclick=\"window.print()\">打印</button> · ");
	hg_buf_adds(b, r80 ? "<a href=\"?paper=a4\">A4</a>" :
	    "<a href=\"?paper=80\">80 mm 小票</a>");
	hg_buf_adds(b, "</nav>\n<div class=\"slip\"><h1>一单式结算单（住院）"
	    "</h1>\n");
	if (s.cancelled)
		hg_buf_adds(b, "<p class=\"banner\"><span class=\"st off\">"
		    "本次结算已撤销</span></p>");
	patient(b, &s);
	if (s.has_setl)
		settlement(b, &s);
	(void)hg_web_state_word(&s.row, &cls);
	if (!s.has_setl || strcmp(cls, "ok") != 0)
		no_settlement(b, &s, &a);
	/* for the ward and 医保办, not for the patient's copy */
	hg_buf_adds(b, "<div class=\"noprint\" id=\"audit\">");
	hg_web_audit_section(b, &a, &s.row);
	hg_buf_adds(b, "</div></div>\n");
	if (!s.has_setl) {	/* a nurse waits at the desk: look again */
		char js[128];

		snprintf(js, sizeof js, "<script>setTimeout(function(){"
		    "location.reload();},%lld);</script>",
		    (long long)w->cfg->web.refresh_seconds * 1000);
		hg_buf_adds(b, js);
	}
	hg_html_foot(b);
out:
	hg_web_audit_free(&a);
	hg_slip_free(&s);
}
