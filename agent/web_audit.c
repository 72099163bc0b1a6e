/* A bill's pre-settlement audit on its pages (issue 12): the nurse list
 * says a held bill is held and why, and marks a bill with warnings; the
 * slip and the IT pages list the findings.  Read from audit_findings
 * (queue/audit_store.h), by bill. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/web_int.h"
#include "lib/audit.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/audit_store.h"

static int
one_finding(long long id, int64_t at_ms, const char *rule, const char *sev,
    int line, const char *text, void *arg)
{
	struct hg_web_audit *a = arg;
	struct hg_web_finding *f;

	(void)id;
	a->v = hg_xrealloc(a->v, a->n + 1, sizeof *a->v);
	f = &a->v[a->n++];
	f->at_ms = at_ms;
	f->rule = hg_xstrdup(rule != NULL ? rule : "");
	f->sev = hg_xstrdup(sev != NULL ? sev : "");
	f->text = hg_xstrdup(text != NULL ? text : "");
	f->line = line;
	return 0;
}

int
hg_web_audit_load(struct hg_outbox *ob, long long id, struct hg_web_audit *a,
    struct hg_err *err)
{
	size_t i;

	memset(a, 0, sizeof *a);
	if (hg_audit_store_bill(ob, id, one_finding, a, err) == -1) {
		hg_web_audit_free(a);
		return -1;
	}
	/* one audit writes all its findings at one time, and a later
	 * audit (of changed content) at a later one */
	for (i = a->n; i > 0 && a->v[i - 1].at_ms == a->v[a->n - 1].at_ms;)
		i--;
	a->last = i;
	for (; i < a->n; i++) {
		if (strcmp(a->v[i].sev, "block") == 0)
			a->nblock++;
		else
			a->nwarn++;
	}
	return 0;
}

void
hg_web_audit_free(struct hg_web_audit *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].rule);
		free(a->v[i].sev);
		free(a->v[i].text);
	}
	free(a->v);
	memset(a, 0, sizeof *a);
}

void
hg_web_audit_held(struct hg_buf *b, const struct hg_web_audit *a)
{
	size_t i, k, shown = 0;

	for (i = a->last; i < a->n; i++) {
		if (strcmp(a->v[i].sev, "block") != 0)
			continue;
		for (k = a->last; k < i; k++)	/* each rule once */
			if (strcmp(a->v[k].sev, "block") == 0 &&
			    strcmp(a->v[k].rule, a->v[i].rule) == 0)
				break;
		if (k < i)
			continue;
		if (shown++ > 0)
			hg_buf_adds(b, "、");
		hg_html_esc(b, hg_audit_rule_zh(a->v[i].rule));
	}
	if (shown == 0)		/* the findings were purged: say what we know */
		hg_buf_adds(b, "结算前审核发现问题");
}

void
hg_web_audit_marker(struct hg_buf *b, const struct hg_web_audit *a)
{
	char n[64];

	if (a->nwarn == 0)
		return;
	snprintf(n, sizeof n, "审核提示 %zu 项", a->nwarn);
	hg_buf_adds(b, " <span class=\"flag\" title=\"结算前审核有提示，"
	    "不影响结算，详见结算单\">");
	hg_buf_adds(b, n);
	hg_buf_adds(b, "</span>");
}

void
hg_web_audit_next(struct hg_buf *b, long long id)
{
	char cmd[96];

	snprintf(cmd, sizeof cmd, "hisgate queue release %lld --reason "
	    "\"…\"", id);
	hg_buf_adds(b, "请医保办核对审核发现的问题：确属合理的，由信息科放行（"
	    "<code style=\"white-space:nowrap\">");
	hg_html_esc(b, cmd);
	hg_buf_adds(b, "</code>），放行后自动结算；确有错误的，请在 HIS 中更正后"
	    "重新导出账单。");
}

void
hg_web_audit_section(struct hg_buf *b, const struct hg_web_audit *a,
    const struct hg_row *r)
{
	char num[32];
	size_t i;

	if (a->n == 0)
		return;
	hg_buf_adds(b, "<h2>结算前审核</h2>\n<table class=\"amts\" "
	    "id=\"findings\"><thead><tr><th>审核时间</th><th>级别</th>"
	    "<th>规则</th><th>发现</th><th title=\"导出文件中的行\">行</th></tr></thead><tbody>\n");
	for (i = 0; i < a->n; i++) {
		const struct hg_web_finding *f = &a->v[i];
		int block = strcmp(f->sev, "block") == 0;
		char *why = hg_web_reason(f->text, r);

		hg_buf_adds(b, "<tr data-sev=\"");
		hg_html_esc(b, f->sev);
		hg_buf_adds(b, "\"><td style=\"white-space:nowrap\">");
		hg_html_time(b, f->at_ms);
		hg_buf_adds(b, block ? "</td><td><span class=\"st person\">"
		    "暂停结算</span>" : "</td><td>提示");
		hg_buf_adds(b, " (");
		hg_html_esc(b, f->sev);
		hg_buf_adds(b, ")</td><td>");
		hg_html_esc(b, hg_audit_rule_zh(f->rule));
		hg_buf_adds(b, " <span class=\"note\">");
		hg_html_esc(b, f->rule);
		hg_buf_adds(b, "</span></td><td>");
		hg_html_esc(b, why);
		hg_buf_adds(b, "</td><td>");
		if (f->line > 0) {
			snprintf(num, sizeof num, "%d", f->line);
			hg_buf_adds(b, num);
		}
		hg_buf_adds(b, "</td></tr>\n");
		free(why);
	}
	hg_buf_adds(b, "</tbody></table>\n");
}

/* The reason of the bill's latest move to held_by_audit. */
static int
hold_row(int64_t at_ms, const char *from, const char *to, const char *reason,
    void *arg)
{
	char **why = arg;

	(void)at_ms;
	(void)from;
	if (strcmp(to, HG_S_HELD) == 0 && reason != NULL) {
		free(*why);
		*why = hg_xstrdup(reason);
	}
	return 0;
}

char *
hg_web_why(struct hg_outbox *ob, const struct hg_row *r)
{
	struct hg_err err;
	char *held = NULL, *why;

	if (strcmp(r->state, HG_S_HELD) == 0 &&
	    hg_outbox_history(ob, r->id, hold_row, &held, &err) == -1)
		log_warn("web", "bill %lld: %s", r->id, err.msg);
	why = hg_web_reason(held != NULL ? held : r->err_msg != NULL ?
	    r->err_msg : r->reasons, r);
	free(held);
	return why;
}
