/* "/": the day's discharges for the nurse at the desk, filterable by
 * ward (dept_name), each with its state in words, the total and the cash
 * to pay.  The page asks for its own table body again every
 * web.refresh_seconds (?part=rows, same filter: the filter lives in the
 * address), so 结算中 turns into 已结算 without a reload and without a
 * thread or a socket held per browser on the agent's side. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/slip.h"
#include "agent/web_int.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/stats.h"

struct list_ctx {
	struct hg_web *w;
	struct hg_outbox *ob;
	const char *dept;	/* the filter, "" for all */
	struct hg_buf *rows;
	char	**depts;		/* seen that day, for the selector */
	size_t	 ndepts;
	size_t	 nrows;
	int64_t	 total, cash;
};

static void
note_dept(struct list_ctx *c, const char *dept)
{
	size_t i;

	if (dept[0] == '\0')
		return;
	for (i = 0; i < c->ndepts; i++)
		if (strcmp(c->depts[i], dept) == 0)
			return;
	c->depts = hg_xrealloc(c->depts, c->ndepts + 1, sizeof *c->depts);
	c->depts[c->ndepts++] = hg_xstrdup(dept);
}

/* The state cell: the word, then what a nurse needs to know about it. */
static void
state_cell(struct hg_buf *b, const struct hg_slip *s,
    const struct hg_web_audit *a)
{
	const struct hg_row *r = &s->row;
	const char *cls, *word = hg_web_state_word(r, &cls);
	char *why;

	hg_buf_adds(b, "<td><span class=\"st ");
	hg_buf_adds(b, cls);
	hg_buf_adds(b, "\">");
	hg_buf_adds(b, word);
	if (strcmp(cls, "bad") == 0 && r->err_msg != NULL) {
		why = hg_web_reason(r->err_msg, r);
		hg_buf_adds(b, ": ");
		hg_html_esc(b, why);
		free(why);
	}
	hg_buf_adds(b, "</span>");
	if (strcmp(r->state, HG_S_HELD) == 0) {
		/* outside the unbreakable span: several rules wrap */
		hg_buf_adds(b, "：<span class=\"hold\">");
		hg_web_audit_held(b, a);
		hg_buf_adds(b, "</span>");
	}
	hg_web_audit_marker(b, a);
	if (strcmp(r->state, HG_S_HELD) == 0) {
		hg_buf_adds(b, "<div class=\"note\">结算前审核暂不结算；"
		    "请医保办核对，由信息科放行（hisgate queue release）"
		    "</div>");
	} else if (strcmp(cls, "wait") == 0) {
		/* since the bill came in; the last try is its updated time */
		hg_buf_adds(b, "<div class=\"note\">自 ");
		hg_html_time(b, r->created_ms);
		hg_buf_adds(b, " 起等待");
		if (r->step != NULL) {
			hg_buf_adds(b, "；正在尝试 ");
			hg_html_esc(b, r->step);
			hg_buf_addc(b, ' ');
			hg_buf_adds(b, hg_web_infno_name(r->step));
		} else {
			/* no call of its own yet: the sign-in or the link */
			hg_buf_adds(b, "；正在连接医保平台");
		}
		if (r->attempts > 0) {
			char n[32];

			snprintf(n, sizeof n, "（已试 %d 次，最近一次 ", r->attempts);
			hg_buf_adds(b, n);
			hg_html_time(b, r->updated_ms);
			hg_buf_adds(b, "）");
		}
		hg_buf_adds(b, "</div>");
	} else if (strcmp(cls, "person") == 0) {
		why = hg_web_reason(r->err_msg != NULL ? r->err_msg :
		    r->reasons, r);
		if (why != NULL) {
			hg_buf_adds(b, "<div class=\"note\">");
			hg_html_esc(b, why);
			hg_buf_adds(b, "；请联系信息科</div>");
			free(why);
		}
	}
	hg_buf_adds(b, "</td>");
}

static int
one_bill(long long id, const char *dept, void *arg)
{
	struct list_ctx *c = arg;
	struct hg_buf *b = c->rows;
	struct hg_web_audit a;
	struct hg_slip s;
	struct hg_err err;
	char idbuf[32];

	note_dept(c, dept);
	if (c->dept[0] != '\0' && strcmp(c->dept, dept) != 0)
		return 0;
	if (hg_slip_load(c->ob, c->w->cfg, id, 0, &s, &err) == -1) {
		log_warn("web", "bill %lld: %s", id, err.msg);
		hg_slip_free(&s);
		return 0;
	}
	/* without its findings the row still says its state */
	if (hg_web_audit_load(c->ob, id, &a, &err) == -1)
		log_warn("web", "bill %lld: %s", id, err.msg);
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	hg_buf_adds(b, "<tr data-id=\"");
	hg_buf_adds(b, idbuf);
	hg_buf_adds(b, "\"><td>");
	hg_buf_adds(b, "<a href=\"/bill/");
	hg_buf_adds(b, idbuf);
	hg_buf_adds(b, "\">");
	{
		char name[64];

		hg_html_esc(b, hg_mask_name_ends(s.bill->psn_name ?
		    s.bill->psn_name : "", name, sizeof name));
	}
	hg_buf_adds(b, "</a></td><td>");
	hg_html_esc(b, s.bill->ipt_no);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, dept);
	hg_buf_adds(b, "</td>");
	state_cell(b, &s, &a);
	hg_web_audit_free(&a);
	hg_buf_adds(b, "<td class=\"amt\">");
	hg_html_money(b, s.has_setl ? s.setl.medfee_sumamt : s.row.total);
	hg_buf_adds(b, "</td><td class=\"amt\">");
	if (s.has_setl && !s.cancelled) {
		hg_html_money(b, s.setl.psn_cash_pay);
		c->cash += s.setl.psn_cash_pay;
	} else {
		hg_buf_adds(b, "—");
	}
	hg_buf_adds(b, "</td></tr>\n");
	c->total += s.has_setl ? s.setl.medfee_sumamt : s.row.total;
	c->nrows++;
	hg_slip_free(&s);
	return 0;
}

static void
today(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static int
valid_day(const char *d)
{
	int y, m, dd;
	char tail;

	return strlen(d) == 10 &&
	    sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) == 3 &&
	    m >= 1 && m <= 12 && dd >= 1 && dd <= 31;
}

/* The page polls its own address with part=rows added: the filter is
 * whatever the address says, so it survives every refresh.  The period
 * (ms) goes between the two halves. */
static const char poll_js1[] = "<script>(function(){var p=";
static const char poll_js2[] =
	";function tick(){var u=new URL(location.href);"
	"u.searchParams.set('part','rows');"
	"fetch(u,{cache:'no-store'}).then(function(r){"
	"if(!r.ok)throw r.status;return r.text();}).then(function(t){"
	"document.getElementById('rows').innerHTML=t;"
	"document.getElementById('stamp').textContent="
	"new Date().toLocaleTimeString('zh-CN',{hour12:false});"
	"document.getElementById('stale').hidden=true;"
	"}).catch(function(){document.getElementById('stale').hidden=false;})"
	".finally(function(){setTimeout(tick,p);});}"
	"setTimeout(tick,p);})();</script>\n";

void
hg_web_list(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	struct list_ctx c;
	struct hg_buf rows = { NULL, 0, 0 }, *b = &resp->body;
	struct hg_err err;
	char day[16], js[32];
	size_t i;

	memset(&c, 0, sizeof c);
	if (rq->day[0] != '\0' && !valid_day(rq->day)) {
		hg_html_error(resp, 400, "day 应为 YYYY-MM-DD");
		return;
	}
	if (rq->day[0] != '\0')
		snprintf(day, sizeof day, "%s", rq->day);
	else
		today(day, sizeof day);
	c.w = w;
	c.dept = rq->ward != NULL ? rq->ward : rq->dept;
	c.rows = &rows;
	hg_buf_adds(&rows, "");
	/* the selector offers the filter even before that ward has a bill */
	note_dept(&c, c.dept);
	if ((c.ob = hg_web_outbox(w, &err)) == NULL ||
	    hg_stats_discharged(c.ob, day, one_bill, &c, &err) == -1) {
		log_warn("web", "%s", err.msg);
		hg_html_error(resp, 503, "暂时读不到结算队列，请稍后刷新 "
		    "(outbox unavailable)");
		goto out;
	}
	if (c.nrows == 0) {
		hg_buf_adds(&rows, "<tr><td colspan=\"6\">这一天没有出院结算"
		    "</td></tr>\n");
	} else {
		snprintf(js, sizeof js, "%zu", c.nrows);
		hg_buf_adds(&rows, "<tr class=\"sum\"><th colspan=\"4\">合计 ");
		hg_buf_adds(&rows, js);
		hg_buf_adds(&rows, " 人</th><th class=\"amt\">");
		hg_html_money(&rows, c.total);
		hg_buf_adds(&rows, "</th><th class=\"amt\">");
		hg_html_money(&rows, c.cash);
		hg_buf_adds(&rows, "</th></tr>\n");
	}
	if (rq->fragment) {
		resp->body = rows;
		rows.data = NULL;
		goto out;
	}
	hg_html_head(b, "出院结算", "form label{margin-right:14px}"
	    "#stale{color:#a00;font-weight:bold}");
	hg_buf_adds(b, "<h1>出院结算 ");
	hg_html_esc(b, day);
	if (c.dept[0] != '\0') {
		hg_buf_adds(b, " · ");
		hg_html_esc(b, c.dept);
	}
	hg_buf_adds(b, "</h1>\n<form method=\"get\" action=\"/\">"
	    "<label>日期 <input type=\"date\" name=\"day\" value=\"");
	hg_html_esc(b, day);
	hg_buf_adds(b, "\"></label>");
	if (rq->ward == NULL) {
		hg_buf_adds(b, "<label>病区 <select name=\"dept\" id=\"dept\">"
		    "<option value=\"\">全部</option>");
		for (i = 0; i < c.ndepts; i++) {
			hg_buf_adds(b, "<option");
			if (strcmp(c.depts[i], c.dept) == 0)
				hg_buf_adds(b, " selected");
			hg_buf_adds(b, ">");
			hg_html_esc(b, c.depts[i]);
			hg_buf_adds(b, "</option>");
		}
		hg_buf_adds(b, "</select></label>");
	}
	hg_buf_adds(b, "<button type=\"submit\">筛选</button> "
	    "<span class=\"note\">自动更新于 <span id=\"stamp\">");
	hg_html_time(b, hg_wall_ms());
	hg_buf_adds(b, "</span></span> <span id=\"stale\" hidden>"
	    "⚠ 与服务器失去联系，显示的可能不是最新状态</span></form>\n"
	    "<table><thead><tr><th>姓名</th><th>住院号</th><th>病区</th>"
	    "<th>状态</th><th class=\"amt\">医疗费总额</th>"
	    "<th class=\"amt\">个人现金支付</th></tr></thead>\n"
	    "<tbody id=\"rows\">\n");
	hg_buf_add(b, rows.data, rows.len);
	hg_buf_adds(b, "</tbody></table>\n");
	hg_buf_adds(b, poll_js1);
	snprintf(js, sizeof js, "%lld",
	    (long long)w->cfg->web.refresh_seconds * 1000);
	hg_buf_adds(b, js);
	hg_buf_adds(b, poll_js2);
	hg_html_foot(b);
out:
	hg_buf_free(&rows);
	for (i = 0; i < c.ndepts; i++)
		free(c.depts[i]);
	free(c.depts);
}
