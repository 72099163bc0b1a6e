/* /unmapped (未对码, operators only): every local charge code that
 * invalid bills wait on, with the fee's name, how many bills and the fix:
 * a row in the mapping file the configuration names, the reload, the
 * replay.  Each code has a form for that row (the national code comes
 * from the insurance office's catalogue, which the agent does not have):
 * it opens /unmapped/add's confirmation (web_act.c), which writes the
 * row, reloads and replays. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "agent/web_int.h"
#include "lib/log.h"

struct um_ctx {
	struct hg_buf *b;
	const char *file;	/* agent.mapping_file */
	size_t	 codes;
};

/* The mapping line to add, as the file reads it (mapping.c: a name with
 * a comma or a quote is quoted). */
static void
mapping_line(struct hg_buf *b, const struct hg_unmapped *u)
{
	struct hg_buf q = { 0 };
	const char *p;

	hg_html_esc(b, u->code);
	hg_buf_adds(b, ",&lt;国家医保目录编码&gt;");
	if (u->name[0] == '\0')
		return;
	hg_buf_addc(b, ',');
	if (strpbrk(u->name, ",\"") == NULL) {
		hg_html_esc(b, u->name);
		return;
	}
	hg_buf_addc(&q, '"');
	for (p = u->name; *p != '\0'; p++) {
		if (*p == '"')
			hg_buf_addc(&q, '"');
		hg_buf_addc(&q, *p);
	}
	hg_buf_addc(&q, '"');
	hg_buf_addc(&q, '\0');
	hg_html_esc(b, q.data);
	hg_buf_free(&q);
}

static int
um_row(const struct hg_unmapped *u, void *arg)
{
	struct um_ctx *c = arg;
	struct hg_buf *b = c->b;
	char num[32];
	size_t i;

	c->codes++;
	snprintf(num, sizeof num, "%lld", u->bills);
	hg_buf_adds(b, "<tr data-code=\"");
	hg_html_esc(b, u->code);
	hg_buf_adds(b, "\">");
	hg_html_cell(b, "code", u->code);
	hg_html_cell(b, NULL, u->name);
	hg_html_cell(b, "amt count", num);
	hg_buf_adds(b, "<td>");
	for (i = 0; i < u->nids; i++) {
		if (i > 0)
			hg_buf_adds(b, " ");
		hg_html_bill_link(b, u->ids[i]);
	}
	if ((long long)u->nids < u->bills)
		hg_buf_adds(b, " …");
	hg_buf_adds(b, "</td><td class=\"fix\">在 <code>");
	hg_html_esc(b, c->file);
	hg_buf_adds(b, "</code> 加一行 <code>");
	mapping_line(b, u);
	hg_buf_adds(b, "</code>，然后 <code>systemctl reload hisgate</code>"
	    "，<code>hisgate replay</code>"
	    "<form method=\"get\" action=\"/unmapped/add\" class=\"map\">"
	    "<input type=\"hidden\" name=\"code\" value=\"");
	hg_html_esc(b, u->code);
	hg_buf_adds(b, "\"><label>国家编码 <input name=\"nat\" required "
	    "size=\"24\"></label> <label>名称 <input name=\"name\" value=\"");
	hg_html_esc(b, u->name);
	hg_buf_adds(b, "\"></label> <button type=\"submit\">加对码行…"
	    "</button></form></td></tr>\n");
	return 0;
}

void
hg_web_unmapped(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	struct hg_buf rows = { 0 }, *b = &resp->body;
	struct um_ctx c = { &rows, w->cfg->agent.mapping_file, 0 };
	struct hg_outbox *ob;
	struct hg_err err;
	char num[96];

	(void)rq;
	if ((ob = hg_web_outbox(w, &err)) == NULL ||
	    hg_outbox_unmapped(ob, um_row, &c, &err) == -1) {
		log_warn("web", "%s", err.msg);
		hg_buf_free(&rows);
		hg_html_error(resp, 503, "the outbox cannot be read");
		return;
	}
	hg_web_ops_head(b, "/unmapped", "未对码");
	snprintf(num, sizeof num, "<p id=\"summary\">%zu 个本地编码没有国家"
	    "医保目录编码，待处理单据在等它们。对码表：<code>", c.codes);
	hg_buf_adds(b, num);
	hg_html_esc(b, c.file);
	hg_buf_adds(b, "</code>（<code>本地编码,国家编码[,名称]</code>，"
	    "保持文件原有的编码 GBK 或 UTF-8）。</p>\n");
	hg_html_table(b, "<th>本地编码</th><th>项目名称</th>"
	    "<th class=\"amt\">等待单据</th><th>单据</th><th>修复</th>", &rows);
	hg_buf_adds(b, "<p class=\"note\">用每行的表单加对码行：确认后写入对码表"
	    "，重读，并重新校验等这个编码的单据。手工加好对码行后，"
	    "<code>systemctl reload hisgate</code> 让服务重读对码表，"
	    "<code>hisgate replay</code> 重新校验所有待处理单据；"
	    "<code>hisgate check-config</code> 先检查对码表。</p>\n");
	hg_html_foot(b);
}
