/* The IT staff's pages as JSON, for scripts and monitoring (operators
 * only, as the pages):
 *   /queue.json?state=S&q=TEXT  {"counts": {STATE: N}, "bills": [...],
 *                               "shown": N, "matched": N}
 *   /bill/ID/history.json       {"id", "state", "ipt_no", "history": [...],
 *                               "calls": [...]}
 *   /unmapped.json              {"mapping_file", "codes": [{"code", "name",
 *                               "bills", "ids"}]}
 * What the HTML pages show, masked the same way (web_ops.c,
 * web_unmapped.c); amounts are exact decimals, times wall-clock ms. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/web_int.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "queue/steps.h"

static void
json_reply(struct hg_web_resp *resp, unsigned int status,
    struct json_object *o)
{
	resp->status = status;
	resp->type = "application/json";
	hg_buf_free(&resp->body);
	hg_buf_adds(&resp->body, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	hg_buf_addc(&resp->body, '\n');
	json_object_put(o);
}

static void
json_fail(struct hg_web_resp *resp, unsigned int status, const char *what)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", hg_json_str_new(what));
	json_reply(resp, status, o);
}

/* A masked text (allocated by hg_web_reason) as a JSON string. */
static struct json_object *
reason(const char *msg, const struct hg_row *r)
{
	char *why = hg_web_reason(msg, r);
	struct json_object *s = hg_json_str_new(why);

	free(why);
	return s;
}

struct jq_ctx {
	struct hg_outbox *ob;
	struct json_object *arr;
	const char *q;
	size_t	 shown, matched;
};

static int
jq_row(const struct hg_row *r, void *arg)
{
	struct jq_ctx *c = arg;
	struct json_object *bill = json_tokener_parse(r->bill_json), *o;
	const char *name = hg_json_get_str(bill, "psn_name"), *cls;
	char mask[64], *why;

	if (!hg_web_q_take(r, name, c->q, &c->shown, &c->matched))
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "adapter", hg_json_str_new(r->adapter));
	json_object_object_add(o, "ipt_no", hg_json_str_new(r->ipt_no));
	json_object_object_add(o, "psn_name", hg_json_str_new(
	    hg_mask_name_ends(name != NULL ? name : "", mask, sizeof mask)));
	json_object_object_add(o, "state", hg_json_str_new(r->state));
	json_object_object_add(o, "state_word",
	    hg_json_str_new(hg_web_state_word(r, &cls)));
	json_object_object_add(o, "step", hg_json_str_new(r->step));
	json_object_object_add(o, "total", hg_json_dec(r->total, 2));
	json_object_object_add(o, "updated_ms",
	    json_object_new_int64(r->updated_ms));
	why = hg_web_why(c->ob, r);	/* a held bill's: its hold */
	json_object_object_add(o, "reason", hg_json_str_new(why));
	free(why);
	json_object_array_add(c->arr, o);
out:
	json_object_put(bill);
	return 0;
}

static void
jcount(const char *state, long long n, void *arg)
{
	json_object_object_add(arg, state, json_object_new_int64(n));
}

void
hg_web_queue_json(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	struct jq_ctx c = { NULL, NULL, rq->q, 0, 0 };
	struct json_object *o, *counts;
	struct hg_outbox *ob;
	struct hg_err err;
	const char *state = hg_web_state_known(rq->state);

	if (rq->state[0] != '\0' && state == NULL) {
		json_fail(resp, 400, "state: unknown bill state");
		return;
	}
	counts = json_object_new_object();
	if ((ob = hg_web_outbox(w, &err)) == NULL ||
	    hg_outbox_counts(ob, jcount, counts, &err) == -1) {
		log_warn("web", "%s", err.msg);
		json_object_put(counts);
		json_fail(resp, 503, "the outbox cannot be read");
		return;
	}
	c.arr = json_object_new_array();
	c.ob = ob;
	if (hg_outbox_list(ob, state, jq_row, &c, &err) == -1) {
		log_warn("web", "%s", err.msg);
		json_object_put(counts);
		json_object_put(c.arr);
		json_fail(resp, 503, "the outbox cannot be read");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "counts", counts);
	json_object_object_add(o, "bills", c.arr);
	json_object_object_add(o, "shown", json_object_new_int64(
	    (int64_t)c.shown));
	json_object_object_add(o, "matched", json_object_new_int64(
	    (int64_t)c.matched));
	json_reply(resp, 200, o);
}

struct jh_ctx {
	struct json_object *arr;
	const struct hg_row *row;
};

static int
jh_row(int64_t at_ms, const char *from, const char *to, const char *why,
    void *arg)
{
	struct jh_ctx *c = arg;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "at_ms", json_object_new_int64(at_ms));
	json_object_object_add(o, "from", hg_json_str_new(from));
	json_object_object_add(o, "to", hg_json_str_new(to));
	json_object_object_add(o, "reason", reason(why, c->row));
	json_object_array_add(c->arr, o);
	return 0;
}

void
hg_web_history_json(struct hg_web *w, const struct hg_web_req *rq,
    long long id, struct hg_web_resp *resp)
{
	struct json_object *o, *calls, *call;
	struct jh_ctx c;
	struct hg_step *st = NULL;
	struct hg_row row;
	struct hg_err err;
	size_t i, n = 0;

	(void)rq;
	if (hg_web_row(w, id, &row, resp) == -1) {
		json_fail(resp, resp->status, resp->status == 404 ? "no such bill" :
		    "the outbox cannot be read");
		return;
	}
	c.arr = json_object_new_array();
	c.row = &row;
	if (hg_outbox_history(w->ob, id, jh_row, &c, &err) == -1 ||
	    hg_steps_list(w->ob, id, &st, &n, &err) == -1) {
		log_warn("web", "%s", err.msg);
		json_object_put(c.arr);
		hg_row_free(&row);
		json_fail(resp, 503, "the outbox cannot be read");
		return;
	}
	calls = json_object_new_array();
	for (i = 0; i < n; i++) {
		char *why = hg_web_reason(st[i].err_msg, &row);

		call = hg_step_json(&st[i], why);
		free(why);
		json_object_object_add(call, "what",
		    hg_json_str_new(hg_web_infno_name(st[i].infno)));
		json_object_array_add(calls, call);
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "state", hg_json_str_new(row.state));
	json_object_object_add(o, "ipt_no", hg_json_str_new(row.ipt_no));
	json_object_object_add(o, "history", c.arr);
	json_object_object_add(o, "calls", calls);
	hg_steps_free(st, n);
	hg_row_free(&row);
	json_reply(resp, 200, o);
}

static int
ju_row(const struct hg_unmapped *u, void *arg)
{
	struct json_object *o = json_object_new_object(), *ids;
	size_t i;

	json_object_object_add(o, "code", hg_json_str_new(u->code));
	json_object_object_add(o, "name", hg_json_str_new(u->name));
	json_object_object_add(o, "bills", json_object_new_int64(u->bills));
	ids = json_object_new_array();
	for (i = 0; i < u->nids; i++)
		json_object_array_add(ids, json_object_new_int64(u->ids[i]));
	json_object_object_add(o, "ids", ids);
	json_object_array_add(arg, o);
	return 0;
}

void
hg_web_unmapped_json(struct hg_web *w, const struct hg_web_req *rq,
    struct hg_web_resp *resp)
{
	struct json_object *o, *codes = json_object_new_array();
	struct hg_outbox *ob;
	struct hg_err err;

	(void)rq;
	if ((ob = hg_web_outbox(w, &err)) == NULL ||
	    hg_outbox_unmapped(ob, ju_row, codes, &err) == -1) {
		log_warn("web", "%s", err.msg);
		json_object_put(codes);
		json_fail(resp, 503, "the outbox cannot be read");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "mapping_file",
	    hg_json_str_new(w->cfg->agent.mapping_file));
	json_object_object_add(o, "codes", codes);
	json_reply(resp, 200, o);
}
