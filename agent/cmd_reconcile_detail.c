/* reconcile --detail DATE: 3202 detail reconciliation (对明细账).
 *
 * The day's settlement file is built from the outbox journal: every ok
 * 2304 of that day with its answer (setl_id, msgid, amounts), flagged 1
 * when an ok 2305 cancelled it since.  The platform compares it with the
 * settlements it holds in force and lists every one of them with its
 * msgid; each row it marks one-sided is a 单边账, printed with the bill,
 * the person (masked) and the hisgate command that fixes it.  What it
 * found is kept in the outbox (queue/recon.h) for the web page. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/reconcile.h"
#include "agent/settle.h"
#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/nhsa_stmt.h"
#include "lib/xmalloc.h"
#include "queue/recon.h"
#include "queue/steps.h"

/* A 2304 of the journal, any state: to find the bill of a msgid or a
 * visit the platform names. */
struct sent {
	long long bill;
	char	 msgid[HG_NHSA_IDBUF];
	char	 mdtrt_id[HG_NHSA_IDBUF];
	char	 state[16];
};

struct day {
	const char *date;
	struct hg_stmt_rows rows;	/* the file: the day's settlements */
	long long *bill;		/* bill of rows.v[i] */
	size_t	 nbill;
	struct sent *sent;
	size_t	 nsent;
	char	**cancelled;		/* setl_ids an ok 2305 cancelled */
	size_t	 ncancelled;
	size_t	 unreadable;
};

/* input.data.KEY of a journalled request, or "" */
static void
request_field(const char *request, const char *key, char *buf, size_t size)
{
	struct json_object *root = NULL, *in, *d;
	struct hg_err err;
	const char *v = NULL;

	buf[0] = '\0';
	if (request == NULL || hg_json_parse(request, &root, &err) == -1)
		return;
	if (json_object_object_get_ex(root, "input", &in) &&
	    json_object_object_get_ex(in, "data", &d))
		v = hg_json_get_str(d, key);
	snprintf(buf, size, "%s", v != NULL ? v : "");
	json_object_put(root);
}

static int
on_sent(const struct hg_step *st, void *arg)
{
	struct day *d = arg;
	struct sent *s;

	d->sent = hg_xrealloc(d->sent, d->nsent + 1, sizeof *d->sent);
	s = &d->sent[d->nsent++];
	memset(s, 0, sizeof *s);
	s->bill = st->bill_id;
	snprintf(s->msgid, sizeof s->msgid, "%s", st->msgid);
	snprintf(s->state, sizeof s->state, "%s", st->state);
	request_field(st->request, "mdtrt_id", s->mdtrt_id,
	    sizeof s->mdtrt_id);
	return 0;
}

static int
on_cancel(const struct hg_step *st, void *arg)
{
	struct day *d = arg;
	char setl_id[HG_NHSA_IDBUF];

	request_field(st->request, "setl_id", setl_id, sizeof setl_id);
	if (setl_id[0] == '\0')
		return 0;
	d->cancelled = hg_xrealloc(d->cancelled, d->ncancelled + 1,
	    sizeof *d->cancelled);
	d->cancelled[d->ncancelled++] = hg_xstrdup(setl_id);
	return 0;
}

/* One ok 2304 with its answer: a row of the file when it is the day's. */
static int
on_settled(const struct hg_step *st, void *arg)
{
	struct day *d = arg;
	struct hg_nhsa_resp resp;
	struct hg_nhsa_setl s;
	struct hg_stmt_row *row;
	struct hg_err err;
	int parsed;

	if (st->response == NULL)
		return 0;	/* no amounts: matched back by msgid below */
	hg_err_clear(&err);
	parsed = hg_nhsa_resp_parse(st->response, strlen(st->response),
	    &resp, &err) == 0;
	if (!parsed || hg_nhsa_out_setl(resp.output, &s, &err) == -1) {
		fprintf(stderr, "hisgate: bill %lld, 2304 %s: the journalled "
		    "answer cannot be read: %s\n", st->bill_id, st->msgid,
		    err.msg);
		if (parsed)
			hg_nhsa_resp_free(&resp);
		d->unreadable++;
		return 0;
	}
	hg_nhsa_resp_free(&resp);
	if (strncmp(s.setl_time, d->date, 10) != 0)
		return 0;
	row = hg_stmt_rows_add(&d->rows);
	snprintf(row->setl_id, sizeof row->setl_id, "%s", s.setl_id);
	snprintf(row->msgid, sizeof row->msgid, "%s", st->msgid);
	snprintf(row->mdtrt_id, sizeof row->mdtrt_id, "%s", s.mdtrt_id);
	snprintf(row->psn_no, sizeof row->psn_no, "%s", s.psn_no);
	row->medfee_sumamt = s.medfee_sumamt;
	row->fund_pay_sumamt = s.fund_pay_sumamt;
	row->acct_pay = s.acct_pay;
	snprintf(row->refd_setl_flag, sizeof row->refd_setl_flag, "0");
	d->bill = hg_xrealloc(d->bill, d->rows.n, sizeof *d->bill);
	d->bill[d->rows.n - 1] = st->bill_id;
	return 0;
}

static int
collect(struct hg_outbox *ob, struct day *d, struct hg_err *err)
{
	static const char *const states[] = { HG_STEP_OK, HG_STEP_SENT,
	    HG_STEP_UNKNOWN, HG_STEP_FAILED };
	size_t i, j;

	for (i = 0; i < sizeof states / sizeof states[0]; i++)
		if (hg_steps_each(ob, "2304", states[i], on_sent, d,
		    err) == -1)
			return -1;
	if (hg_steps_each(ob, "2305", HG_STEP_OK, on_cancel, d, err) == -1 ||
	    hg_steps_each(ob, "2304", HG_STEP_OK, on_settled, d, err) == -1)
		return -1;
	for (i = 0; i < d->rows.n; i++)
		for (j = 0; j < d->ncancelled; j++)
			if (strcmp(d->rows.v[i].setl_id, d->cancelled[j]) == 0)
				snprintf(d->rows.v[i].refd_setl_flag,
				    sizeof d->rows.v[i].refd_setl_flag, "1");
	return 0;
}

/* The journal's 2304 of a msgid, or else one for the visit. */
static const struct sent *
find_sent(const struct day *d, const char *msgid, const char *mdtrt_id)
{
	size_t i;

	for (i = 0; i < d->nsent; i++)
		if (strcmp(d->sent[i].msgid, msgid) == 0)
			return &d->sent[i];
	for (i = 0; i < d->nsent; i++)
		if (mdtrt_id[0] != '\0' &&
		    strcmp(d->sent[i].mdtrt_id, mdtrt_id) == 0)
			return &d->sent[i];
	return NULL;
}

static long long
bill_of_row(const struct day *d, const struct hg_stmt_row *r)
{
	size_t i;

	for (i = 0; i < d->rows.n; i++)
		if ((r->setl_id[0] != '\0' &&
		    strcmp(d->rows.v[i].setl_id, r->setl_id) == 0) ||
		    strcmp(d->rows.v[i].msgid, r->msgid) == 0)
			return d->bill[i];
	return 0;
}

static void
day_free(struct day *d)
{
	size_t i;

	for (i = 0; i < d->ncancelled; i++)
		free(d->cancelled[i]);
	free(d->cancelled);
	free(d->sent);
	free(d->bill);
	hg_stmt_rows_free(&d->rows);
}

/* 9101, 3202, 9102: the platform's result rows into out. */
static int
ask(struct hg_platform *p, const struct hg_config *cfg, struct day *d,
    struct hg_stmt_rows *out, struct hg_err *err)
{
	struct hg_buf file = { 0 };
	struct hg_stmt_req q;
	struct hg_call c;
	char name[HG_NHSA_NAMEBUF], fq[HG_NHSA_IDBUF],
	    rname[HG_NHSA_NAMEBUF], *text = NULL;
	size_t i;
	int rc = -1;

	memset(&c, 0, sizeof c);
	memset(&q, 0, sizeof q);
	for (i = 0; i < d->rows.n; i++) {
		hg_stmt_row_format(&file, &d->rows.v[i], 0);
		if (strcmp(d->rows.v[i].refd_setl_flag, "0") != 0)
			continue;
		q.medfee_sumamt += d->rows.v[i].medfee_sumamt;
		q.fund_pay_sumamt += d->rows.v[i].fund_pay_sumamt;
		q.fixmedins_setl_cnt++;
	}
	snprintf(name, sizeof name, "setl_%s_%s.txt",
	    cfg->agent.fixmedins_code, d->date);
	if (hg_platform_call(p, "9101", NULL, hg_nhsa_in_9101(name,
	    file.data != NULL ? file.data : ""), NULL, &c) != HG_CALL_OK) {
		hg_fail(err, "9101 upload of %s: %s", name, c.resp.err_msg[0] ?
		    c.resp.err_msg : c.err.msg);
		goto out;
	}
	if (hg_nhsa_out_9101(c.resp.output, fq, err) == -1) {
		hg_err_prefix(err, "9101 answer");
		goto out;
	}
	hg_call_free(&c);
	memset(&c, 0, sizeof c);
	snprintf(q.file_qury_no, sizeof q.file_qury_no, "%s", fq);
	snprintf(q.stmt_begndate, sizeof q.stmt_begndate, "%s", d->date);
	snprintf(q.stmt_enddate, sizeof q.stmt_enddate, "%s", d->date);
	if (hg_platform_call(p, "3202", NULL, hg_nhsa_in_3202(&q), NULL,
	    &c) != HG_CALL_OK) {
		hg_fail(err, "3202: %s", c.resp.err_msg[0] ? c.resp.err_msg :
		    c.err.msg);
		goto out;
	}
	if (hg_nhsa_out_3202(c.resp.output, fq, rname, err) == -1) {
		hg_err_prefix(err, "3202 answer");
		goto out;
	}
	hg_call_free(&c);
	memset(&c, 0, sizeof c);
	if (hg_platform_call(p, "9102", NULL, hg_nhsa_in_9102(fq, rname,
	    cfg->agent.fixmedins_code), NULL, &c) != HG_CALL_OK) {
		hg_fail(err, "9102 download of %s: %s", fq,
		    c.resp.err_msg[0] ? c.resp.err_msg : c.err.msg);
		goto out;
	}
	if (hg_nhsa_out_9102(c.resp.output, &text, err) == -1) {
		hg_err_prefix(err, "9102 answer");
		goto out;
	}
	if (hg_stmt_rows_parse(rname[0] != '\0' ? rname : fq, text, 1, out,
	    err) == -1) {
		hg_err_prefix(err, "the platform's result file");
		goto out;
	}
	rc = 0;
out:
	free(text);
	hg_call_free(&c);
	hg_buf_free(&file);
	return rc;
}

/* What the run found, as the outbox keeps it for the web page
 * (queue/recon.h); person and fix are owned. */
struct found {
	struct hg_recon_row *v;
	struct hg_stmt_row **src;	/* v[i]'s strings point into src[i] */
	size_t	 n;
	long long matched;
	size_t	 n_open;	/* HG_RECON_OPEN_VISIT rows */
	int	 json;		/* --json: nothing printed but the object */
};

/* The text of the report; with --json the same facts go into the one
 * object hg_reconcile_detail prints at the end. */
static void __attribute__((format(printf, 2, 3)))
say(const struct found *f, const char *fmt, ...)
{
	va_list ap;

	if (f->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void
found_add(struct found *f, const char *kind, long long bill,
    const char *psn, const struct hg_stmt_row *r, const char *fix)
{
	struct hg_recon_row *x;
	struct hg_stmt_row *own = hg_xmalloc(sizeof *own);

	*own = *r;
	r = own;
	f->v = hg_xrealloc(f->v, f->n + 1, sizeof *f->v);
	f->src = hg_xrealloc(f->src, f->n + 1, sizeof *f->src);
	f->src[f->n] = own;
	x = &f->v[f->n++];
	x->kind = kind;
	x->bill = bill;
	x->person = hg_xstrdup(psn);
	x->mdtrt_id = r->mdtrt_id;
	x->setl_id = r->setl_id;
	x->msgid = r->msgid;
	x->medfee_sumamt = r->medfee_sumamt;
	x->memo = r->memo;
	x->fix = hg_xstrdup(fix);
	say(f, "  fix: %s\n", fix);
}

/* An open visit no bill holds (cmd_reconcile_visits.c). */
static void
on_open_visit(long long bill, const char *psn_no, const char *mdtrt_id,
    const char *state, void *arg)
{
	struct found *f = arg;
	struct hg_stmt_row r;
	char psn[HG_NHSA_IDBUF], fix[512];

	memset(&r, 0, sizeof r);
	snprintf(r.mdtrt_id, sizeof r.mdtrt_id, "%s", mdtrt_id);
	hg_reconcile_mask_psn(psn_no, psn, sizeof psn);
	say(f, "open visit left at the platform by a lost 2401: bill %lld "
	    "(%s), person %s, visit %s\n", bill, state, psn, mdtrt_id);
	snprintf(fix, sizeof fix, "hisgate reconcile close %s %lld   (2404 "
	    "closes the visit; the bill keeps its own)", mdtrt_id, bill);
	found_add(f, HG_RECON_OPEN_VISIT, bill, psn, &r, fix);
	f->n_open++;
}

static void
found_free(struct found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free((char *)f->v[i].person);
		free((char *)f->v[i].fix);
		free(f->src[i]);
	}
	free(f->src);
	free(f->v);
}

/* Print the result into f; returns the number of rows that need a
 * person. */
static size_t
report(const struct day *d, const struct hg_stmt_rows *res, struct found *f)
{
	const struct hg_stmt_row *r;
	const struct sent *s;
	char psn[HG_NHSA_IDBUF], a[HG_DECBUF], bill[32], fix[512];
	size_t i, match = 0, only_p = 0, only_h = 0, diff = 0;
	long long id;

	for (i = 0; i < res->n; i++) {
		r = &res->v[i];
		hg_reconcile_mask_psn(r->psn_no, psn, sizeof psn);
		hg_dec_format(r->medfee_sumamt, 2, a);
		if (strcmp(r->stmt_rslt, HG_STMT_MATCH) == 0) {
			match++;
			continue;
		}
		if (strcmp(r->stmt_rslt, HG_STMT_ONLY_PLATFORM) == 0) {
			s = find_sent(d, r->msgid, r->mdtrt_id);
			/* our own settlement whose answer the journal lacks
			 * (found by asking): in force on both sides */
			if (s != NULL && strcmp(s->msgid, r->msgid) == 0 &&
			    strcmp(s->state, HG_STEP_OK) == 0) {
				match++;
				continue;
			}
			only_p++;
			if (s != NULL)
				snprintf(bill, sizeof bill, "%lld", s->bill);
			else
				snprintf(bill, sizeof bill, "?");
			say(f, "单边账 settled at the platform, not in the "
			    "outbox: bill %s, person %s, visit %s, setl_id %s, "
			    "msgid %s, %s\n", bill, psn, r->mdtrt_id,
			    r->setl_id, r->msgid, a);
			if (s != NULL)
				snprintf(fix, sizeof fix, "hisgate reconcile "
				    "reverse %s %lld   (2601 undoes it; the "
				    "outbox settles the bill itself)", r->msgid,
				    s->bill);
			else
				snprintf(fix, sizeof fix, "hisgate reconcile "
				    "reverse %s BILL   (2601 undoes it; BILL: "
				    "the outbox's bill of visit %s, which this "
				    "outbox does not know)", r->msgid,
				    r->mdtrt_id);
			found_add(f, HG_RECON_ONLY_PLATFORM, s != NULL ?
			    s->bill : 0, psn, r, fix);
			continue;
		}
		if (strcmp(r->stmt_rslt, HG_STMT_ONLY_HOSPITAL) == 0) {
			only_h++;
			id = bill_of_row(d, r);
			say(f, "单边账 settled in the outbox, not in force at "
			    "the platform: bill %lld, person %s, visit %s, "
			    "setl_id %s, msgid %s, %s%s%s\n", id, psn,
			    r->mdtrt_id, r->setl_id, r->msgid, a,
			    r->memo[0] ? ": " : "", r->memo);
			snprintf(fix, sizeof fix, "hisgate reconcile resettle "
			    "%lld   (records it not settled, then the agent "
			    "settles it again)", id);
			found_add(f, HG_RECON_ONLY_OUTBOX, id, psn, r, fix);
			continue;
		}
		diff++;
		id = bill_of_row(d, r);
		say(f, "amounts differ: bill %lld, person %s, visit %s, "
		    "setl_id %s, msgid %s: %s\n", id, psn, r->mdtrt_id,
		    r->setl_id, r->msgid, r->memo);
		snprintf(fix, sizeof fix, "compare hisgate slip %lld with the "
		    "platform's settlement by hand", id);
		found_add(f, HG_RECON_AMOUNTS, id, psn, r, fix);
	}
	say(f, "%zu in force at the platform matched, %zu 单边账 (%zu only "
	    "at the platform, %zu only in the outbox), %zu amounts "
	    "differ\n", match, only_p + only_h, only_p, only_h, diff);
	f->matched = (long long)match;
	return only_p + only_h + diff;
}

/* Kept for the web page (/unbalanced), which never asks the platform
 * itself.  Not keeping it does not change what the run found. */
static void
keep(struct hg_outbox *ob, const char *date, const struct found *f)
{
	struct hg_recon_run run;
	struct hg_err err;

	memset(&run, 0, sizeof run);
	run.run_ms = hg_wall_ms();
	snprintf(run.date, sizeof run.date, "%s", date);
	run.matched = f->matched;
	if (hg_recon_save(ob, &run, f->v, f->n, &err) == -1)
		fprintf(stderr, "hisgate: the result is not kept for the web "
		    "page (/unbalanced): %s\n", err.msg);
}

/* --json: {"date", "settlements" (rows of the outbox's file), "matched",
 * "rows": [{"kind", "bill" (or null), "person" (masked), "mdtrt_id",
 * "setl_id", "msgid", "medfee_sumamt", "memo", "fix"}], "unasked" (bills
 * whose visits could not be asked), "balanced"} */
static void
found_json(const struct day *d, const struct found *f, int unasked,
    int balanced)
{
	struct json_object *o = json_object_new_object(), *arr, *r;
	const struct hg_recon_row *x;
	size_t i;

	json_object_object_add(o, "date", json_object_new_string(d->date));
	json_object_object_add(o, "settlements",
	    json_object_new_int64((int64_t)d->rows.n));
	json_object_object_add(o, "matched", json_object_new_int64(f->matched));
	arr = json_object_new_array();
	for (i = 0; i < f->n; i++) {
		x = &f->v[i];
		r = json_object_new_object();
		json_object_object_add(r, "kind", json_object_new_string(
		    x->kind));
		json_object_object_add(r, "bill", x->bill != 0 ?
		    json_object_new_int64(x->bill) : NULL);
		json_object_object_add(r, "person", hg_json_str_new(
		    x->person));
		json_object_object_add(r, "mdtrt_id", hg_json_str_new(
		    x->mdtrt_id));
		json_object_object_add(r, "setl_id", hg_json_str_new(
		    x->setl_id));
		json_object_object_add(r, "msgid", hg_json_str_new(x->msgid));
		json_object_object_add(r, "medfee_sumamt",
		    hg_json_dec(x->medfee_sumamt, 2));
		json_object_object_add(r, "memo", hg_json_str_new(x->memo));
		json_object_object_add(r, "fix", hg_json_str_new(x->fix));
		json_object_array_add(arr, r);
	}
	json_object_object_add(o, "rows", arr);
	json_object_object_add(o, "unasked", json_object_new_int(unasked));
	json_object_object_add(o, "balanced",
	    json_object_new_boolean(balanced));
	hg_cli_json(o);
}

int
hg_reconcile_detail(const struct hg_config *cfg, const char *date, int json)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_outbox *ob;
	struct hg_stmt_rows res = { 0 };
	struct hg_err err;
	struct found f = { NULL, NULL, 0, 0, 0, 0 };
	struct day d;
	size_t need;
	int unasked;
	int have_sh = 0, rc = HG_EXIT_FAIL;

	memset(&d, 0, sizeof d);
	d.date = date;
	f.json = json;
	/* written: the result is kept for the web page */
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (collect(ob, &d, &err) == -1)
		goto fail;
	if (d.unreadable > 0) {
		fprintf(stderr, "hisgate: %zu journalled 2304 answer%s cannot "
		    "be read (above): the file would miss them, so it is not "
		    "sent\n", d.unreadable, d.unreadable == 1 ? "" : "s");
		goto out;
	}
	if (hg_settle_platform_init(cfg, &sh, &err) == -1)
		goto fail;
	have_sh = 1;
	if ((p = hg_platform_new(&sh, &err)) == NULL)
		goto fail;
	say(&f, "detail reconciliation %s (9101, 3202, 9102): %zu settlement%s "
	    "in the outbox's file\n", date, d.rows.n, d.rows.n == 1 ? "" :
	    "s");
	if (ask(p, cfg, &d, &res, &err) == -1)
		goto fail;
	need = report(&d, &res, &f);
	if ((unasked = hg_reconcile_open_visits(ob, p, cfg, date,
	    on_open_visit, &f, &err)) == -1)
		goto fail;
	need += f.n_open + (size_t)unasked;
	if (unasked > 0)
		say(&f, "%zu open visit%s left by a lost 2401; the visits of %d "
		    "bill%s could not be asked (above): run reconcile --detail "
		    "again\n", f.n_open, f.n_open == 1 ? "" : "s", unasked,
		    unasked == 1 ? "" : "s");
	else
		say(&f, "%zu open visit%s left by a lost 2401\n", f.n_open,
		    f.n_open == 1 ? "" : "s");
	if (json)
		found_json(&d, &f, unasked, need == 0);
	rc = need == 0 ? HG_EXIT_OK : HG_EXIT_FAIL;
	keep(ob, date, &f);
	goto out;
fail:
	fprintf(stderr, "hisgate: reconcile --detail %s: %s\n", date, err.msg);
out:
	found_free(&f);
	hg_stmt_rows_free(&res);
	day_free(&d);
	hg_platform_free(p);
	if (have_sh)
		hg_platform_shared_destroy(&sh);
	hg_outbox_close(ob);
	return rc;
}
