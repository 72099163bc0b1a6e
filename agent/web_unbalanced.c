/* /unbalanced (单边账, operators only): what the last `hisgate reconcile
 * --detail` found, as it kept it in the outbox (queue/recon.h), with the
 * fix it proposed for each row.  The page never calls the platform: an
 * open or reloaded page would otherwise upload the day's file and ask
 * for a 3202 each time; the IT engineer runs reconcile --detail again to
 * refresh it.  The person is shown as reconcile printed it (psn_no masked) and by
 * the bill's patient name, masked; the certificate number never. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/web_int.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/recon.h"

struct ub_ctx {
	struct hg_outbox *ob;
	struct hg_buf *b;
	size_t	 n;
};

static const char *
kind_word(const char *kind)
{
	if (strcmp(kind, HG_RECON_ONLY_PLATFORM) == 0)
		return "单边账：医保平台已结算，本地没有";
	if (strcmp(kind, HG_RECON_ONLY_OUTBOX) == 0)
		return "单边账：本地已结算，医保平台没有有效结算";
	if (strcmp(kind, HG_RECON_OPEN_VISIT) == 0)
		return "医保平台有未结算的在院登记（入院登记应答丢失后迟到）";
	return "金额不一致";
}

/* The bill's patient name (NULL when the outbox has no such bill), for
 * its masked form and to mask it in the platform's note. */
static char *
patient_name(struct hg_outbox *ob, long long bill)
{
	struct hg_row row;
	struct hg_err err;
	struct json_object *o;
	const char *name;
	char *out = NULL;

	if (bill <= 0 || hg_outbox_get(ob, bill, &row, &err) == -1)
		return NULL;
	o = json_tokener_parse(row.bill_json);
	if ((name = hg_json_get_str(o, "psn_name")) != NULL)
		out = hg_xstrdup(name);
	json_object_put(o);
	hg_row_free(&row);
	return out;
}

static int
ub_row(const struct hg_recon_row *r, void *arg)
{
	struct ub_ctx *c = arg;
	struct hg_buf *b = c->b;
	char *name = patient_name(c->ob, r->bill), *memo, mask[64];

	c->n++;
	hg_buf_adds(b, "<tr data-kind=\"");
	hg_html_esc(b, r->kind);
	hg_buf_adds(b, "\">");
	hg_html_cell(b, "kind", kind_word(r->kind));
	hg_buf_adds(b, "<td class=\"bill\">");
	hg_html_bill_link(b, r->bill);
	hg_buf_adds(b, "</td>");
	hg_html_cell(b, NULL, hg_mask_name_ends(name != NULL ? name : "", mask,
	    sizeof mask));
	hg_html_cell(b, NULL, r->person);
	hg_html_cell(b, NULL, r->mdtrt_id);
	hg_html_cell(b, NULL, r->setl_id);
	hg_html_cell(b, NULL, r->msgid);
	hg_buf_adds(b, "<td class=\"amt\">");
	hg_html_money(b, r->medfee_sumamt);
	hg_buf_adds(b, "</td>");
	memo = hg_mask_text(r->memo, name);
	hg_html_cell(b, "note", memo);
	free(memo);
	free(name);
	hg_buf_adds(b, "<td class=\"fix\"><code>");
	hg_html_esc(b, r->fix);
	hg_buf_adds(b, "</code></td></tr>\n");
	return 0;
}

void
hg_web_unbalanced(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	struct hg_buf rows = { 0 }, *b = &resp->body;
	struct ub_ctx c = { NULL, &rows, 0 };
	struct hg_recon_run run;
	struct hg_err err;
	char num[96];
	int found;

	(void)rq;
	if ((c.ob = hg_web_outbox(w, &err)) == NULL ||
	    (found = hg_recon_last(c.ob, &run, ub_row, &c, &err)) == -1) {
		log_warn("web", "%s", err.msg);
		hg_buf_free(&rows);
		hg_html_error(resp, 503, "the outbox cannot be read");
		return;
	}
	hg_web_ops_head(b, "/unbalanced", "单边账");
	if (found == 0) {
		hg_buf_adds(b, "<p id=\"summary\">还没有对过明细账：运行 <code>"
		    "hisgate reconcile --detail YYYY-MM-DD</code>，结果会显示"
		    "在这里。</p>\n");
		hg_html_foot(b);
		return;
	}
	hg_buf_adds(b, "<p id=\"summary\">上次对明细账（<code>hisgate "
	    "reconcile --detail ");
	hg_html_esc(b, run.date);
	hg_buf_adds(b, "</code>）运行于 <time>");
	hg_html_time(b, run.run_ms);
	snprintf(num, sizeof num, "</time>：%lld 笔相符，%zu 笔要处理。",
	    run.matched, c.n);
	hg_buf_adds(b, num);
	hg_buf_adds(b, "本页不询问医保平台：要刷新，再运行一次该命令。</p>\n");
	hg_html_table(b, "<th>情况</th><th>单据</th><th>患者</th>"
	    "<th>人员编号</th><th>就诊ID</th><th>结算编号</th><th>msgid</th>"
	    "<th class=\"amt\">医疗费总额</th><th>平台说明</th><th>修复</th>",
	    &rows);
	hg_html_foot(b);
}
