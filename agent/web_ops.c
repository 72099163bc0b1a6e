/* The IT staff's pages (operators only: a logged-in user of the users
 * file with no ward; without a users file they answer 403):
 *   /queue?state=S&q=TEXT   the queue by state, searched by 住院号 or name
 *   /bill/ID/history        every state change and every platform call of
 *                           one bill (infno, msgid, times, answer)
 * The queue page opens with the cost-surge alarms on (web_surge.c); its
 * why column gives a held bill's hold and counts a bill's findings, and
 * a bill's history lists them (web_audit.c).
 * web_json.c serves the same as /queue.json and /bill/ID/history.json.
 * The pages only read; a bill's history offers retry (rejected,
 * cancelled, needs_person) or replay (invalid), which web_act.c confirms
 * and does, with the command line's code.
 * Requests and responses of the journal are never shown (they hold the
 * certificate number); answers are masked as everywhere. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/web_int.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "queue/steps.h"

static const char *const states[] = {
	HG_S_READY, HG_S_PROGRESS, HG_S_INDOUBT, HG_S_PERSON, HG_S_INVALID,
	HG_S_AMENDED, HG_S_HELD, HG_S_REJECTED, HG_S_SETTLED, HG_S_CANCELLED,
	NULL,
};

struct q_ctx {
	struct hg_buf *b;
	struct hg_outbox *ob;
	const char *q;
	size_t	 shown, matched;
};

/* The why cell of the queue: the hold's reason for a held bill, the
 * stored reason otherwise, then the latest audit's findings counted. */
static void
why_cell(struct q_ctx *c, const struct hg_row *r)
{
	struct hg_buf *b = c->b;
	struct hg_web_audit a;
	struct hg_err err;
	char *why = hg_web_why(c->ob, r), num[96];

	hg_buf_adds(b, "<td class=\"note\">");
	hg_html_esc(b, why);
	if (hg_web_audit_load(c->ob, r->id, &a, &err) == -1)
		log_warn("web", "bill %lld: %s", r->id, err.msg);
	if (a.nblock + a.nwarn > 0) {
		snprintf(num, sizeof num, "audit: %zu block, %zu warn",
		    a.nblock, a.nwarn);
		if (why != NULL)
			hg_buf_addc(b, ' ');
		hg_buf_adds(b, "<span class=\"flag\">");
		hg_buf_adds(b, num);
		hg_buf_adds(b, "</span>");
	}
	hg_buf_adds(b, "</td>");
	hg_web_audit_free(&a);
	free(why);
}

int
hg_web_q_take(const struct hg_row *r, const char *name, const char *q,
    size_t *shown, size_t *matched)
{
	if (q[0] != '\0' && !((r->ipt_no != NULL && strstr(r->ipt_no, q) !=
	    NULL) || (name != NULL && strcmp(name, q) == 0)))
		return 0;
	++*matched;
	if (*shown >= HG_WEB_MAX_ROWS)
		return 0;
	++*shown;
	return 1;
}

static int
q_row(const struct hg_row *r, void *arg)
{
	struct q_ctx *c = arg;
	struct hg_buf *b = c->b;
	struct json_object *o = json_tokener_parse(r->bill_json);
	const char *name = hg_json_get_str(o, "psn_name"), *cls, *word;
	char mask[64], id[32];

	if (!hg_web_q_take(r, name, c->q, &c->shown, &c->matched))
		goto out;
	snprintf(id, sizeof id, "%lld", r->id);
	word = hg_web_state_word(r, &cls);
	hg_buf_adds(b, "<tr><td><a href=\"/bill/");
	hg_buf_adds(b, id);
	hg_buf_adds(b, "/history\">");
	hg_buf_adds(b, id);
	hg_buf_adds(b, "</a></td><td>");
	hg_html_esc(b, r->adapter);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, r->ipt_no);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, hg_mask_name_ends(name != NULL ? name : "", mask,
	    sizeof mask));
	hg_buf_adds(b, "</td><td><span class=\"st ");
	hg_buf_adds(b, cls);
	hg_buf_adds(b, "\">");
	hg_html_esc(b, r->state);
	hg_buf_adds(b, "</span> ");
	hg_buf_adds(b, word);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, r->step);
	hg_buf_adds(b, "</td><td class=\"amt\">");
	hg_html_money(b, r->total);
	hg_buf_adds(b, "</td><td>");
	hg_html_time(b, r->updated_ms);
	hg_buf_adds(b, "</td>");
	why_cell(c, r);
	hg_buf_adds(b, "</tr>\n");
out:
	json_object_put(o);
	return 0;
}

const char *
hg_web_state_known(const char *s)
{
	size_t i;

	for (i = 0; states[i] != NULL; i++)
		if (strcmp(s, states[i]) == 0)
			return states[i];
	return NULL;
}

static void
count_cb(const char *state, long long n, void *arg)
{
	long long *v = arg;
	size_t i;

	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], state) == 0)
			v[i] = n;
}

void
hg_web_queue(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	struct hg_buf *b = &resp->body;
	struct hg_outbox *ob;
	struct hg_err err;
	struct q_ctx c = { NULL, NULL, rq->q, 0, 0 };
	long long n[sizeof states / sizeof states[0]];
	const char *state = NULL;
	char num[64];
	size_t i;

	memset(n, 0, sizeof n);
	state = hg_web_state_known(rq->state);
	if (rq->state[0] != '\0' && state == NULL) {
		hg_html_error(resp, 400, "state: unknown bill state");
		return;
	}
	if ((ob = hg_web_outbox(w, &err)) == NULL ||
	    hg_outbox_counts(ob, count_cb, n, &err) == -1) {
		log_warn("web", "%s", err.msg);
		hg_html_error(resp, 503, "the outbox cannot be read");
		return;
	}
	hg_web_ops_head(b, "/queue", "队列");
	hg_web_surges(b);
	hg_buf_adds(b, "<nav><a href=\"/queue\">all</a>");
	for (i = 0; states[i] != NULL; i++) {
		snprintf(num, sizeof num, " (%lld)", n[i]);
		hg_buf_adds(b, " · <a href=\"/queue?state=");
		hg_buf_adds(b, states[i]);
		hg_buf_adds(b, "\">");
		hg_buf_adds(b, states[i]);
		hg_buf_adds(b, num);
		hg_buf_adds(b, "</a>");
	}
	hg_buf_adds(b, "</nav><form method=\"get\" action=\"/queue\">");
	if (state != NULL) {
		hg_buf_adds(b, "<input type=\"hidden\" name=\"state\" value=\"");
		hg_buf_adds(b, state);
		hg_buf_adds(b, "\">");
	}
	hg_buf_adds(b, "<label>住院号或姓名 <input name=\"q\" value=\"");
	hg_html_esc(b, rq->q);
	hg_buf_adds(b, "\"></label> <button type=\"submit\">search</button>"
	    "</form>\n<table><thead><tr><th>id</th><th>adapter</th>"
	    "<th>住院号</th><th>姓名</th><th>state</th><th>step</th>"
	    "<th class=\"amt\">total</th><th>updated</th><th>why</th></tr>"
	    "</thead><tbody id=\"rows\">\n");
	c.b = b;
	c.ob = ob;
	if (hg_outbox_list(ob, state, q_row, &c, &err) == -1)
		log_warn("web", "%s", err.msg);
	hg_buf_adds(b, "</tbody></table>\n<p class=\"note\">");
	snprintf(num, sizeof num, "%zu of %zu", c.shown, c.matched);
	hg_buf_adds(b, num);
	hg_buf_adds(b, " shown</p>\n");
	hg_html_foot(b);
}

static int
hist_row(int64_t at_ms, const char *from, const char *to, const char *reason,
    void *arg)
{
	struct hg_buf *b = ((void **)arg)[0];
	const struct hg_row *r = ((void **)arg)[1];
	char *why = hg_web_reason(reason, r);

	hg_buf_adds(b, "<tr><td>");
	hg_html_time(b, at_ms);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, from != NULL ? from : "—");
	hg_buf_adds(b, " → ");
	hg_html_esc(b, to);
	hg_buf_adds(b, "</td><td>");
	hg_html_esc(b, why);
	hg_buf_adds(b, "</td></tr>\n");
	free(why);
	return 0;
}

/* The buttons of what a person may do to the bill in its state: each
 * opens the action's confirmation page (a GET that changes nothing). */
static void
actions(struct hg_buf *b, const struct hg_row *r)
{
	const char *act = NULL, *label = NULL;
	char url[64];

	if (strcmp(r->state, HG_S_REJECTED) == 0 ||
	    strcmp(r->state, HG_S_CANCELLED) == 0 ||
	    strcmp(r->state, HG_S_PERSON) == 0) {
		act = "retry";
		label = "重新结算 (retry)…";
	} else if (strcmp(r->state, HG_S_INVALID) == 0) {
		act = "replay";
		label = "重新校验 (replay)…";
	}
	if (act == NULL)
		return;
	snprintf(url, sizeof url, "/bill/%lld/%s", r->id, act);
	hg_buf_adds(b, "<form method=\"get\" action=\"");
	hg_buf_adds(b, url);
	hg_buf_adds(b, "\" id=\"act\"><button type=\"submit\">");
	hg_buf_adds(b, label);
	hg_buf_adds(b, "</button></form>\n");
}

void
hg_web_history(struct hg_web *w, const struct hg_web_req *rq, long long id,
    struct hg_web_resp *resp)
{
	struct hg_buf *b = &resp->body;
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_step *st = NULL;
	struct hg_web_audit audit;
	struct hg_err err;
	void *ctx[2];
	size_t i, n = 0;
	char num[32], title[160];

	(void)rq;
	if (hg_web_row(w, id, &row, resp) == -1)
		return;
	ob = w->ob;
	snprintf(num, sizeof num, "%lld", id);
	snprintf(title, sizeof title, "Bill %lld · %s · %s", id,
	    row.ipt_no != NULL ? row.ipt_no : "", row.state);
	hg_web_ops_head(b, "", title);
	hg_buf_adds(b, "<nav><a href=\"/bill/");
	hg_buf_adds(b, num);
	hg_buf_adds(b, "\">slip</a></nav>\n");
	actions(b, &row);
	hg_buf_adds(b, "<h2>States</h2><table id=\"states\">"
	    "<thead><tr><th>at</th><th>change</th><th>why</th></tr></thead>"
	    "<tbody>\n");
	ctx[0] = b;
	ctx[1] = &row;
	if (hg_outbox_history(ob, id, hist_row, ctx, &err) == -1)
		log_warn("web", "%s", err.msg);
	hg_buf_adds(b, "</tbody></table>\n");
	if (strcmp(row.state, HG_S_HELD) == 0) {
		hg_buf_adds(b, "<p id=\"held\"><span class=\"st person\">"
		    "审核暂停</span> ");
		hg_web_audit_next(b, id);
		hg_buf_adds(b, "</p>\n");
	}
	if (hg_web_audit_load(ob, id, &audit, &err) == -1)
		log_warn("web", "%s", err.msg);
	hg_web_audit_section(b, &audit, &row);
	hg_web_audit_free(&audit);
	hg_buf_adds(b, "<h2>Platform calls</h2>"
	    "<table id=\"calls\"><thead><tr><th>infno</th><th>msgid</th>"
	    "<th>sent</th><th>answered</th><th>answer</th></tr></thead>"
	    "<tbody>\n");
	if (hg_steps_list(ob, id, &st, &n, &err) == -1)
		log_warn("web", "%s", err.msg);
	for (i = 0; i < n; i++) {
		char *why = hg_web_reason(st[i].err_msg, &row);

		hg_buf_adds(b, "<tr><td>");
		hg_html_esc(b, st[i].infno);
		hg_buf_addc(b, ' ');
		hg_buf_adds(b, hg_web_infno_name(st[i].infno));
		hg_buf_adds(b, "</td><td>");
		hg_html_esc(b, st[i].msgid);
		hg_buf_adds(b, "</td><td>");
		if (st[i].sent_ms > 0)
			hg_html_time(b, st[i].sent_ms);
		hg_buf_adds(b, "</td><td>");
		if (st[i].answered_ms > 0)
			hg_html_time(b, st[i].answered_ms);
		hg_buf_adds(b, "</td><td>");
		hg_html_esc(b, st[i].state);
		if (why != NULL) {
			hg_buf_adds(b, ": ");
			hg_html_esc(b, why);
		}
		hg_buf_adds(b, "</td></tr>\n");
		free(why);
	}
	hg_buf_adds(b, "</tbody></table>\n");
	hg_html_foot(b);
	hg_steps_free(st, n);
	hg_row_free(&row);
}
