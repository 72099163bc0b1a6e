/* The pieces every page of the web server is made of: escaping, amounts,
 * the stylesheet, state words (agent/web_int.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/web_int.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"

void
hg_html_esc(struct hg_buf *b, const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++)
		switch (*s) {
		case '<': hg_buf_adds(b, "&lt;"); break;
		case '>': hg_buf_adds(b, "&gt;"); break;
		case '&': hg_buf_adds(b, "&amp;"); break;
		case '"': hg_buf_adds(b, "&quot;"); break;
		case '\'': hg_buf_adds(b, "&#39;"); break;
		default: hg_buf_addc(b, *s);
		}
}

void
hg_html_money(struct hg_buf *b, int64_t fen)
{
	char buf[HG_DECBUF];

	hg_buf_adds(b, hg_dec_format(fen, 2, buf));
}

void
hg_html_time(struct hg_buf *b, int64_t wall_ms)
{
	char buf[32];
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	hg_buf_adds(b, buf);
}

/* Shared look: large type for a ward PC at 1366x768, states carry a
 * symbol and a word besides their colour. */
static const char base_css[] =
	"body{font-family:'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif;"
	"margin:0 auto;max-width:1340px;padding:8px 12px;font-size:16px;"
	"color:#111;background:#fff}"
	"h1{font-size:22px;margin:4px 0 8px}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{border-bottom:1px solid #bbb;padding:5px 8px;text-align:left;"
	"vertical-align:top}"
	"td.amt,th.amt{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}"
	".st{font-weight:bold;white-space:nowrap}"
	".ok{color:#0a5d1e}.busy{color:#0b4a8b}.wait{color:#8a5a00}"
	".bad{color:#a00}.person{color:#a00}.off{color:#555}"
	/* shapes the CJK fonts of a ward PC have (WenQuanYi, Noto CJK) */
	".ok::before{content:'\\2714  '}.busy::before{content:'\\25ce  '}"
	".wait::before{content:'\\2026  '}.bad::before{content:'\\2716  '}"
	".person::before{content:'\\25b2  '}.off::before{content:'\\2014  '}"
	".note{color:#333;font-size:14px}"
	/* a mark beside the state, in words: the audit's warnings */
	".flag{border:1px solid #8a5a00;color:#8a5a00;border-radius:3px;"
	"padding:0 4px;font-size:14px;white-space:nowrap}"
	"form{margin:6px 0}select,input,button{font-size:16px}";

void
hg_html_head(struct hg_buf *b, const char *title, const char *css)
{
	hg_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width\"><title>");
	hg_html_esc(b, title);
	hg_buf_adds(b, "</title><style>");
	hg_buf_adds(b, base_css);
	if (css != NULL)
		hg_buf_adds(b, css);
	hg_buf_adds(b, "</style></head><body>\n");
}

void
hg_html_foot(struct hg_buf *b)
{
	hg_buf_adds(b, "</body></html>\n");
}

void
hg_html_error(struct hg_web_resp *resp, unsigned int status, const char *what)
{
	resp->status = status;
	resp->type = "text/html; charset=utf-8";
	hg_buf_free(&resp->body);
	hg_html_head(&resp->body, "hisgate", NULL);
	hg_buf_adds(&resp->body, "<h1>");
	hg_html_esc(&resp->body, what);
	hg_buf_adds(&resp->body, "</h1><p><a href=\"/\">返回出院列表</a></p>");
	hg_html_foot(&resp->body);
}

static const struct {
	const char *path, *label;
} ops_pages[] = {
	{ "/queue", "队列" },
	{ "/unmapped", "未对码" },
	{ "/unbalanced", "单边账" },
	{ "/", "出院列表" },
};

void
hg_web_ops_head(struct hg_buf *b, const char *here, const char *title)
{
	size_t i;

	hg_html_head(b, title, "nav.ops{margin:0 0 6px}"
	    "code{font-size:14px;white-space:pre-wrap}");
	hg_buf_adds(b, "<nav class=\"ops\">");
	for (i = 0; i < sizeof ops_pages / sizeof ops_pages[0]; i++) {
		if (i > 0)
			hg_buf_adds(b, " · ");
		if (strcmp(here, ops_pages[i].path) == 0) {
			hg_buf_adds(b, "<b>");
			hg_buf_adds(b, ops_pages[i].label);
			hg_buf_adds(b, "</b>");
			continue;
		}
		hg_buf_adds(b, "<a href=\"");
		hg_buf_adds(b, ops_pages[i].path);
		hg_buf_adds(b, "\">");
		hg_buf_adds(b, ops_pages[i].label);
		hg_buf_adds(b, "</a>");
	}
	hg_buf_adds(b, "</nav>\n<h1>");
	hg_html_esc(b, title);
	hg_buf_adds(b, "</h1>\n");
}

void
hg_html_cell(struct hg_buf *b, const char *cls, const char *text)
{
	hg_buf_adds(b, "<td");
	if (cls != NULL) {
		hg_buf_adds(b, " class=\"");
		hg_buf_adds(b, cls);
		hg_buf_adds(b, "\"");
	}
	hg_buf_addc(b, '>');
	hg_html_esc(b, text);
	hg_buf_adds(b, "</td>");
}

void
hg_html_table(struct hg_buf *b, const char *heads, struct hg_buf *rows)
{
	hg_buf_adds(b, "<table><thead><tr>");
	hg_buf_adds(b, heads);
	hg_buf_adds(b, "</tr></thead><tbody id=\"rows\">\n");
	if (rows->data != NULL)
		hg_buf_add(b, rows->data, rows->len);
	hg_buf_free(rows);
	hg_buf_adds(b, "</tbody></table>\n");
}

void
hg_html_bill_link(struct hg_buf *b, long long id)
{
	char num[32];

	if (id <= 0) {
		hg_buf_adds(b, "—");
		return;
	}
	snprintf(num, sizeof num, "%lld", id);
	hg_buf_adds(b, "<a href=\"/bill/");
	hg_buf_adds(b, num);
	hg_buf_adds(b, "/history\">");
	hg_buf_adds(b, num);
	hg_buf_adds(b, "</a>");
}

const char *
hg_web_state_word(const struct hg_row *r, const char **cls)
{
	const char *s = r->state;

	if (strcmp(s, HG_S_SETTLED) == 0)
		return *cls = "ok", "已结算";
	if (strcmp(s, HG_S_CANCELLED) == 0)
		return *cls = "off", "已撤销";
	if (strcmp(s, HG_S_REJECTED) == 0)
		return *cls = "bad", "被拒绝";
	if (strcmp(s, HG_S_INDOUBT) == 0)
		return *cls = "wait", "等待医保平台";
	if (strcmp(s, HG_S_READY) == 0 || strcmp(s, HG_S_PROGRESS) == 0) {
		/* tried before and given back with an error: the platform
		 * could not be reached or answered late */
		if (r->attempts > 0 && r->err_msg != NULL)
			return *cls = "wait", "等待医保平台";
		return *cls = "busy", "结算中";
	}
	if (strcmp(s, HG_S_HELD) == 0)
		return *cls = "person", "审核暂停";
	/* invalid, amended, needs_person */
	return *cls = "person", "需人工处理";
}

static const struct {
	const char *infno, *name;
} infnos[] = {
	{ "1101", "人员信息获取" }, { "2301", "费用明细上传" },
	{ "2302", "费用明细撤销" }, { "2303", "预结算" },
	{ "2304", "结算" }, { "2305", "结算撤销" },
	{ "2401", "入院办理" }, { "2402", "出院办理" },
	{ "2404", "入院撤销" }, { "2405", "出院撤销" },
	{ "2601", "冲正交易" }, { "3201", "对总账" }, { "3202", "明细对账" },
	{ "5201", "就诊信息查询" }, { "5203", "结算信息查询" },
	{ "9001", "签到" },
};

const char *
hg_web_infno_name(const char *infno)
{
	size_t i;

	for (i = 0; infno != NULL && i < sizeof infnos / sizeof infnos[0]; i++)
		if (strcmp(infnos[i].infno, infno) == 0)
			return infnos[i].name;
	return "";
}

char *
hg_web_reason(const char *msg, const struct hg_row *r)
{
	struct json_object *b;
	char *out;

	if (msg == NULL)
		return NULL;
	/* the patient's name, masked where the platform quotes it */
	b = r->bill_json != NULL ? json_tokener_parse(r->bill_json) : NULL;
	out = hg_mask_text(msg, hg_json_get_str(b, "psn_name"));
	json_object_put(b);
	return out;
}
