/* The audit's cost-surge alarms on the IT page (/queue): each department
 * and insured region whose cross-province cost per discharge rose above
 * the threshold, with what drives it, as the agent's last check found
 * them (agent/audit.h).  Shown only while one is on. */
#include "config.h"

#include <stdio.h>

#include "agent/audit.h"
#include "agent/web_int.h"
#include "lib/money.h"

static void
row(const struct hg_audit_surge_on *a, void *arg)
{
	struct hg_buf *b = arg;
	char num[96], r[HG_DECBUF];
	size_t i;

	hg_buf_adds(b, "<tr><td>");
	hg_html_esc(b, a->dept);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, a->region);
	hg_buf_adds(b, "</td><td class=\"amt\">");
	hg_html_money(b, a->prev_avg);
	hg_buf_adds(b, "</td><td class=\"amt\">");
	hg_html_money(b, a->cur_avg);
	snprintf(num, sizeof num, "</td><td class=\"amt\">+%s %%</td><td>%d "
	    "days</td><td>", hg_dec_format(a->pct_x10, 1, r), a->window);
	hg_buf_adds(b, num);
	for (i = 0; i < a->ntop; i++) {
		snprintf(num, sizeof num, "%s<a href=\"/bill/%lld/history\">"
		    "%lld</a>", i ? " " : "", a->top_bills[i], a->top_bills[i]);
		hg_buf_adds(b, num);
	}
	hg_buf_adds(b, "</td><td>");
	for (i = 0; i < a->ncodes; i++) {
		if (i > 0)
			hg_buf_adds(b, " ");
		hg_html_esc(b, a->top_codes[i]);
	}
	hg_buf_adds(b, "</td><td>");
	hg_html_time(b, a->since_ms);
	hg_buf_adds(b, "</td></tr>\n");
}

void
hg_web_surges(struct hg_buf *b)
{
	if (hg_audit_surge_each(NULL, NULL) == 0)
		return;
	hg_buf_adds(b, "<section id=\"surge\"><h2>费用异常增长 cost surge "
	    "alarm</h2><p>Cross-province cost per discharge rose above the "
	    "audit's threshold (hisgate audit shows the bills and items): "
	    "supervision may start a joint inspection.</p>\n<table><thead><tr>"
	    "<th>department</th><th>insured region</th>"
	    "<th class=\"amt\">before</th><th class=\"amt\">now</th>"
	    "<th class=\"amt\">rise</th><th>window</th><th>dearest bills</th>"
	    "<th>items that rose most</th><th>seen since</th></tr></thead>"
	    "<tbody>\n");
	hg_audit_surge_each(row, b);
	hg_buf_adds(b, "</tbody></table></section>\n");
}
