/* The operators' actions in the browser (operators only, as the IT
 * pages):
 *   /bill/ID/retry    queue retry ID: a rejected, cancelled or
 *                     needs_person bill back to ready
 *   /bill/ID/replay   replay ID: an invalid bill mapped and validated
 *                     again
 *   /unmapped/add     a row of the mapping file for one 未对码 local code,
 *                     then the reload SIGHUP does and the replay of the
 *                     bills waiting on that code
 * Each runs the command line's own code (actions.h, hg_intake_replay,
 * hg_mapping_add).  A GET only shows what will be done, with a form that
 * carries a one-time token (web_form.c); the POST of that form, by the
 * same user, does it.  What was done is logged at notice level with the
 * user's name and the bill, and the bill's history names the user too.
 * The outbox is opened for writing for the action alone: the pages keep
 * their read-only connection. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/actions.h"
#include "agent/intake.h"
#include "agent/mapping.h"
#include "agent/web_int.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

/* A page of the action: its title, then the body the caller adds. */
static void
page(struct hg_web_resp *resp, unsigned int status, const char *title)
{
	resp->status = status;
	hg_buf_free(&resp->body);
	hg_web_ops_head(&resp->body, "", title);
}

/* The confirmation: what will be done (html, built by the caller), and
 * the form that does it, with the fields given and a fresh token. */
static void
confirm(struct hg_web *w, const struct hg_web_req *rq, const char *what,
    const char *action, struct hg_buf *fields, struct hg_web_resp *resp)
{
	struct hg_buf *b = &resp->body;
	char tok[HG_WEB_TOKLEN];

	hg_web_token_new(w, rq->user, what, tok);
	hg_buf_adds(b, "<form method=\"post\" action=\"");
	hg_html_esc(b, action);
	hg_buf_adds(b, "\" id=\"confirm\"><input type=\"hidden\" name=\"token\""
	    " value=\"");
	hg_buf_adds(b, tok);
	hg_buf_adds(b, "\">");
	if (fields != NULL && fields->data != NULL)
		hg_buf_add(b, fields->data, fields->len);
	hg_buf_adds(b, "<button type=\"submit\">确认 (confirm)</button> "
	    "<a href=\"/queue\">取消 (cancel)</a></form>\n<p class=\"note\">"
	    "以 <b>");
	hg_html_esc(b, rq->user);
	hg_buf_adds(b, "</b> 的名义执行，记入日志和单据历史 (done as this user, "
	    "logged and kept in the bill's history)。</p>\n");
	hg_html_foot(b);
}

/* A POST without the token of its confirmation page changes nothing. */
static int
confirmed(struct hg_web *w, const struct hg_web_req *rq, const char *what,
    const char *back, struct hg_web_resp *resp)
{
	if (w->hooks.in == NULL) {
		hg_html_error(resp, 503, "this agent's web server has no "
		    "actions (not started by hisgate run)");
		return 0;
	}
	if (!rq->post)
		return 1;
	if (hg_web_token_use(w, rq->user, what, rq->token) == 0)
		return 1;
	log_info("web", "web user %s: %s refused: no valid confirmation token",
	    rq->user, what);
	page(resp, 403, "未确认 (not confirmed)");
	hg_buf_adds(&resp->body, "<p id=\"result\">确认已失效、已用过或不属于"
	    "这个操作：什么也没有做。请<a href=\"");
	hg_html_esc(&resp->body, back);
	hg_buf_adds(&resp->body, "\">重新打开页面</a>再确认 (the confirmation "
	    "token is missing, used, expired or not for this: nothing was "
	    "done)。</p>\n");
	hg_html_foot(&resp->body);
	return 0;
}

static struct hg_outbox *
outbox_rw(struct hg_web *w, struct hg_web_resp *resp)
{
	struct hg_outbox *ob;
	struct hg_err err;

	if (hg_outbox_open(w->cfg->agent.outbox, 0, &ob, &err) == -1) {
		log_warn("web", "%s", err.msg);
		hg_html_error(resp, 503, "the outbox cannot be opened for "
		    "writing");
		return NULL;
	}
	return ob;
}

/* The settlement workers take a bill that became ready now, not at their
 * next look. */
static void
kick(struct hg_web *w)
{
	if (w->hooks.in->committed != NULL)
		w->hooks.in->committed(w->hooks.in->committed_arg);
}

static void
result(struct hg_web_resp *resp, unsigned int status, const char *title,
    const char *text, long long id)
{
	char num[32];

	page(resp, status, title);
	hg_buf_adds(&resp->body, "<p id=\"result\">");
	hg_html_esc(&resp->body, text);
	hg_buf_adds(&resp->body, "</p>\n");
	if (id > 0) {
		snprintf(num, sizeof num, "%lld", id);
		hg_buf_adds(&resp->body, "<p><a href=\"/bill/");
		hg_buf_adds(&resp->body, num);
		hg_buf_adds(&resp->body, "/history\">bill ");
		hg_buf_adds(&resp->body, num);
		hg_buf_adds(&resp->body, " history</a></p>\n");
	}
	hg_html_foot(&resp->body);
}

/* The confirmation page of a bill's action: its state and why. */
static void
bill_confirm(struct hg_web *w, const struct hg_web_req *rq, long long id,
    const char *act, const char *does, struct hg_web_resp *resp)
{
	struct hg_row row;
	char what[64], url[64], title[96];
	char *why;

	if (hg_web_row(w, id, &row, resp) == -1)
		return;
	snprintf(what, sizeof what, "%s %lld", act, id);
	snprintf(url, sizeof url, "/bill/%lld/%s", id, act);
	snprintf(title, sizeof title, "%s bill %lld?", act, id);
	page(resp, 200, title);
	hg_buf_adds(&resp->body, "<p>Bill ");
	hg_buf_adds(&resp->body, url + 6);
	hg_buf_adds(&resp->body, " · ");
	hg_html_esc(&resp->body, row.ipt_no);
	hg_buf_adds(&resp->body, " · <b>");
	hg_html_esc(&resp->body, row.state);
	hg_buf_adds(&resp->body, "</b>");
	why = hg_web_reason(row.err_msg != NULL ? row.err_msg : row.reasons,
	    &row);
	if (why != NULL) {
		hg_buf_adds(&resp->body, ": ");
		hg_html_esc(&resp->body, why);
	}
	free(why);
	hg_buf_adds(&resp->body, "</p>\n<p>");
	hg_buf_adds(&resp->body, does);
	hg_buf_adds(&resp->body, "</p>\n");
	confirm(w, rq, what, url, NULL, resp);
	hg_row_free(&row);
}

/* retry or replay of one bill: the confirmation page, or (the POST of
 * it) the command line's code, named for the user. */
static void
bill_act(struct hg_web *w, const struct hg_web_req *rq, long long id,
    const char *act, const char *does, struct hg_web_resp *resp)
{
	struct hg_outbox *ob;
	struct hg_err err;
	char what[64], by[128], text[HG_ERRLEN + 64];
	int retry = strcmp(act, "retry") == 0, fixed = 0, still = 0, rc;

	snprintf(what, sizeof what, "%s %lld", act, id);
	snprintf(text, sizeof text, "/bill/%lld/%s", id, act);
	if (!confirmed(w, rq, what, text, resp))
		return;
	if (!rq->post) {
		bill_confirm(w, rq, id, act, does, resp);
		return;
	}
	if ((ob = outbox_rw(w, resp)) == NULL)
		return;
	snprintf(by, sizeof by, "web user %s", rq->user);
	rc = retry ? hg_act_retry(ob, id, by, &err) :
	    hg_intake_replay(w->hooks.in, ob, id, by, &fixed, &still, &err);
	if (rc == -1) {
		log_notice("web", "bill %lld: %s by web user %s refused: %s",
		    id, act, rq->user, err.msg);
		result(resp, 409, retry ? "not retried" : "not replayed",
		    err.msg, id);
		hg_outbox_close(ob);
		return;
	}
	log_notice("web", "bill %lld: %s by web user %s%s", id, retry ?
	    "retried" : "replayed", rq->user, retry ? "" : fixed ?
	    ": now ready" : ": still invalid");
	if (retry)
		snprintf(text, sizeof text, "bill %lld: ready; the agent "
		    "settles it again", id);
	else
		snprintf(text, sizeof text, "replay: %d bill%s now ready, %d "
		    "still invalid", fixed, fixed == 1 ? "" : "s", still);
	if (retry || fixed)
		kick(w);
	result(resp, 200, retry ? "retried" : "replayed", text, id);
	hg_outbox_close(ob);
}

void
hg_web_act_retry(struct hg_web *w, const struct hg_web_req *rq,
    long long id, struct hg_web_resp *resp)
{
	bill_act(w, rq, id, "retry", "重新结算：单据回到 ready，结算线程从头"
	    "再结算一次 (<code>hisgate queue retry</code>)。", resp);
}

void
hg_web_act_replay(struct hg_web *w, const struct hg_web_req *rq,
    long long id, struct hg_web_resp *resp)
{
	bill_act(w, rq, id, "replay", "重新对码和校验：用现在的对码表再检查"
	    "这张单据，通过就进入结算 (<code>hisgate replay</code>)。", resp);
}

static void
hidden(struct hg_buf *b, const char *key, const char *val)
{
	hg_buf_adds(b, "<input type=\"hidden\" name=\"");
	hg_buf_adds(b, key);
	hg_buf_adds(b, "\" value=\"");
	hg_html_esc(b, val);
	hg_buf_adds(b, "\">");
}

/* The mapping row added, the table reloaded, the waiting bills
 * replayed; each step says what went wrong on the page. */
static void
map_do(struct hg_web *w, const struct hg_web_req *rq, const char *file,
    struct hg_web_resp *resp)
{
	struct hg_outbox *ob;
	struct hg_err err;
	char by[128], text[HG_ERRLEN + 256];
	int fixed = 0, still = 0, rc;

	if ((rc = hg_mapping_add(file, rq->code, rq->nat, rq->name,
	    &err)) == -1) {
		log_notice("web", "mapping %s: %s -> %s by web user %s not "
		    "added: %s", file, rq->code, rq->nat, rq->user, err.msg);
		result(resp, 409, "未写入对码表 (not added)", err.msg, 0);
		return;
	}
	log_notice("web", "mapping %s: %s -> %s %s by web user %s", file,
	    rq->code, rq->nat, rc == 1 ? "was there already, asked" : "added",
	    rq->user);
	if (w->hooks.reload(w->hooks.arg, &err) == -1) {
		snprintf(text, sizeof text, "the row is in %s, but the table "
		    "was not reloaded, %s; nothing replayed", file, err.msg);
		log_warn("web", "%s", text);
		result(resp, 500, "未重读对码表 (not reloaded)", text, 0);
		return;
	}
	if ((ob = outbox_rw(w, resp)) == NULL)
		return;
	snprintf(by, sizeof by, "web user %s", rq->user);
	if (hg_intake_replay_code(w->hooks.in, ob, rq->code, by, &fixed,
	    &still, &err) == -1) {
		snprintf(text, sizeof text, "the row is in %s and the table "
		    "reloaded, but the replay stopped: %s (hisgate replay goes "
		    "on)", file, err.msg);
		log_warn("web", "%s", text);
		result(resp, 500, "重新校验未完成 (replay stopped)", text, 0);
	} else {
		log_notice("web", "mapping %s: replayed the bills waiting on %s "
		    "for web user %s: %d now ready, %d still invalid", file,
		    rq->code, rq->user, fixed, still);
		snprintf(text, sizeof text, "%s,%s %s %s; reloaded; %d bill%s "
		    "now ready, %d still invalid", rq->code, rq->nat, rc == 1 ?
		    "was in" : "added to", file, fixed, fixed == 1 ? "" : "s",
		    still);
		if (fixed)
			kick(w);
		result(resp, 200, "已对码 (mapped)", text, 0);
	}
	hg_outbox_close(ob);
}

void
hg_web_act_map(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	const char *file = w->cfg->agent.mapping_file;
	struct hg_buf fields = { 0 }, *b = &resp->body;
	struct hg_err err;
	char *what;

	/* the token is for this very row: a changed field is another row */
	what = hg_xasprintf("map %s\n%s\n%s", rq->code, rq->nat, rq->name);
	if (!confirmed(w, rq, what, "/unmapped", resp))
		goto out;
	if (hg_mapping_row_check(rq->code, rq->nat, rq->name, &err) == -1) {
		page(resp, 400, "对码行有误 (the row is wrong)");
		hg_buf_adds(b, "<p id=\"result\">");
		hg_html_esc(b, err.msg);
		hg_buf_adds(b, "</p>\n<p><a href=\"/unmapped\">返回未对码 "
		    "(back)</a></p>\n");
		hg_html_foot(b);
		goto out;
	}
	if (rq->post) {
		map_do(w, rq, file, resp);
		goto out;
	}
	page(resp, 200, "加对码行？ (add this mapping row?)");
	hg_buf_adds(b, "<p>在 <code>");
	hg_html_esc(b, file);
	hg_buf_adds(b, "</code> 末尾加一行（保持文件的编码、分隔符和权限），"
	    "重读对码表，再重新校验等这个编码的单据：</p>\n<p><code id=\"row\">");
	hg_html_esc(b, rq->code);
	hg_buf_addc(b, ',');
	hg_html_esc(b, rq->nat);
	if (rq->name[0] != '\0') {
		hg_buf_addc(b, ',');
		hg_html_esc(b, rq->name);
	}
	hg_buf_adds(b, "</code></p>\n");
	hidden(&fields, "code", rq->code);
	hidden(&fields, "nat", rq->nat);
	hidden(&fields, "name", rq->name);
	confirm(w, rq, what, "/unmapped/add", &fields, resp);
out:
	hg_buf_free(&fields);
	free(what);
}
