/* The step machine's decisions: what a bill's journal says
 * (hg_settle_view) and what to do next (hg_settle_next), plus the
 * backoff and the rate limit.  Pure: no network, no outbox; see
 * t/test_settle.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/settle_int.h"
#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* pure pieces */

int64_t
hg_backoff_ms(int64_t base, int64_t cap, int attempts, uint64_t rnd)
{
	int64_t ceil = base;
	int i;

	if (base <= 0 || cap <= 0)
		return 0;
	for (i = 0; i < attempts && ceil < cap; i++)
		ceil = ceil > cap / 2 ? cap : ceil * 2;
	if (ceil > cap)
		ceil = cap;
	/* full jitter: anywhere in [0, ceil], so retries after an outage
	 * spread out instead of arriving together */
	return (int64_t)(rnd % (uint64_t)(ceil + 1));
}

void
hg_bucket_init(struct hg_bucket *b, int64_t rate, int64_t now_ms)
{
	pthread_mutex_init(&b->lock, NULL);
	b->rate = rate;
	b->milli = rate * 1000;		/* start full: one second's burst */
	b->last_ms = now_ms;
}

void
hg_bucket_destroy(struct hg_bucket *b)
{
	pthread_mutex_destroy(&b->lock);
}

int64_t
hg_bucket_take(struct hg_bucket *b, int64_t now_ms)
{
	int64_t wait = 0;

	if (b->rate <= 0)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (now_ms > b->last_ms) {
		/* rate tokens per 1000 ms = rate milli-tokens per ms */
		b->milli += (now_ms - b->last_ms) * b->rate;
		if (b->milli > b->rate * 1000)
			b->milli = b->rate * 1000;
		b->last_ms = now_ms;
	}
	if (b->milli >= 1000)
		b->milli -= 1000;
	else
		wait = (1000 - b->milli + b->rate - 1) / b->rate;
	pthread_mutex_unlock(&b->lock);
	return wait;
}

enum hg_settle_action
hg_settle_next(const struct hg_settle_view *v)
{
	/* Bounded: once the tries are spent, a person decides. */
	if (v->stuck)
		return HG_ACT_PERSON;
	/* Doubt first: nothing else is sent for a bill whose settlement
	 * may have happened. */
	if (v->open_2304)
		return HG_ACT_RESOLVE_2304;
	if (v->ok_2304)
		return HG_ACT_FINISH;
	if (!v->have_psn)
		return HG_ACT_1101;
	if (!v->have_mdtrt)
		return v->open_2401 || v->refused_2401 ? HG_ACT_5201 :
		    HG_ACT_2401;
	/* a visit opened twice for this bill is closed before anything
	 * else: never an orphan open visit */
	if (v->ask_visits || v->open_dscg)
		return HG_ACT_5201;
	if (v->close_mdtrt[0] != '\0')
		return HG_ACT_2404;
	if ((v->fees_dirty || v->fees_missing > 0) && v->discharged)
		return HG_ACT_2405;
	if (v->fees_dirty)
		return HG_ACT_2302;
	if (v->fees_missing > 0)
		return HG_ACT_2301;
	if (!v->discharged)
		return HG_ACT_2402;
	/* a lost 2401 that landed late is closed before the settlement */
	if (v->late_2401)
		return HG_ACT_5201;
	if (!v->presettled)
		return HG_ACT_2303;
	return HG_ACT_2304;
}

const char *
hg_settle_action_name(enum hg_settle_action a)
{
	switch (a) {
	case HG_ACT_RESOLVE_2304: return "2601";
	case HG_ACT_FINISH: return "finish";
	case HG_ACT_1101: return "1101";
	case HG_ACT_2401: return "2401";
	case HG_ACT_2302: return "2302";
	case HG_ACT_2301: return "2301";
	case HG_ACT_2402: return "2402";
	case HG_ACT_2303: return "2303";
	case HG_ACT_2304: return "2304";
	case HG_ACT_5201: return "5201";
	case HG_ACT_2404: return "2404";
	case HG_ACT_2405: return "2405";
	case HG_ACT_PERSON: return "needs_person";
	}
	return "?";
}

int
hs_is(const struct hg_step *s, const char *infno, const char *state)
{
	return strcmp(s->infno, infno) == 0 &&
	    (state == NULL || strcmp(s->state, state) == 0);
}

int
hs_unanswered(const struct hg_step *s)
{
	return strcmp(s->state, HG_STEP_SENT) == 0 ||
	    strcmp(s->state, HG_STEP_UNKNOWN) == 0;
}

int
hs_refused(const struct hg_step *s)
{
	/* failed with the platform's answer on record; a call that never
	 * left is failed without one */
	return strcmp(s->state, HG_STEP_FAILED) == 0 && s->response != NULL;
}

/* One journalled 2301, parsed: the items it carried (bad when its request
 * cannot be read as an upload). */
struct hg_settle_upload {
	long long		 step_id;	/* 0: seeded, not yet seen */
	char			 msgid[HG_NHSA_MSGIDBUF];
	int			 bad;
	long long		 nres;	/* items its answer lists; -1 none */
	struct hg_nhsa_fee_in	*f;
	size_t			 n;
};

void
hg_settle_memo_free(struct hg_settle_memo *m)
{
	size_t i;

	for (i = 0; i < m->nup; i++)
		free(m->up[i].f);
	free(m->up);
	free(m->items);
	memset(m, 0, sizeof *m);
}

/* The bill's items as the platform reads them, for comparison; worked
 * out again only when the patient or the visit they carry changed. */
static const struct hg_nhsa_fee_in *
memo_items(struct hg_settle_memo *m, const struct hg_bill *bill,
    size_t *n)
{
	const char *psn = bill->psn_no != NULL ? bill->psn_no : "";
	const char *mdtrt = bill->mdtrt_id != NULL ? bill->mdtrt_id : "";
	struct json_object *in, *arr;
	size_t i;

	if (m->have_items && strcmp(m->psn_no, psn) == 0 &&
	    strcmp(m->mdtrt_id, mdtrt) == 0) {
		*n = m->nitems;
		return m->items;
	}
	free(m->items);
	m->nitems = bill->nfees;
	m->items = hg_xcalloc(m->nitems > 0 ? m->nitems : 1,
	    sizeof *m->items);
	in = hg_nhsa_in_2301(bill, 0, bill->nfees);
	arr = json_object_object_get(in, "feedetail");
	for (i = 0; i < m->nitems; i++)
		if (hg_nhsa_fee_in_parse(json_object_array_get_idx(arr, i),
		    &m->items[i], NULL) == -1)
			memset(&m->items[i], 0, sizeof m->items[i]);
	json_object_put(in);
	snprintf(m->psn_no, sizeof m->psn_no, "%s", psn);
	snprintf(m->mdtrt_id, sizeof m->mdtrt_id, "%s", mdtrt);
	m->have_items = 1;
	*n = m->nitems;
	return m->items;
}

/* A new memo entry: the items of an upload (its feedetail; NULL or not
 * an array: bad) and the platform's count, one output.result row per
 * item (output NULL: no answer). */
static struct hg_settle_upload *
memo_add(struct hg_settle_memo *m, struct json_object *feedetail,
    const struct json_object *output)
{
	struct hg_settle_upload *u;
	struct json_object *arr;
	size_t i;

	m->up = hg_xrealloc(m->up, m->nup + 1, sizeof *m->up);
	u = &m->up[m->nup++];
	memset(u, 0, sizeof *u);
	if (feedetail == NULL ||
	    !json_object_is_type(feedetail, json_type_array)) {
		u->bad = 1;
	} else {
		u->n = json_object_array_length(feedetail);
		u->f = hg_xcalloc(u->n > 0 ? u->n : 1, sizeof *u->f);
		for (i = 0; i < u->n && !u->bad; i++)
			if (hg_nhsa_fee_in_parse(json_object_array_get_idx(
			    feedetail, i), &u->f[i], NULL) == -1)
				u->bad = 1;
	}
	u->nres = -1;
	arr = json_object_object_get(output, "result");
	if (arr != NULL && json_object_is_type(arr, json_type_array))
		u->nres = (long long)json_object_array_length(arr);
	return u;
}

/* A journalled upload's items, parsed the first time they are asked for
 * (a step's request never changes), unless this claim sent it. */
static const struct hg_settle_upload *
memo_upload(struct hg_settle_memo *m, const struct hg_step *st)
{
	struct hg_settle_upload *u;
	struct json_object *req = NULL, *resp = NULL;
	size_t i;

	for (i = 0; i < m->nup; i++) {
		if (m->up[i].step_id == st->id)
			return &m->up[i];
		/* sent in this claim (hg_settle_memo_seed) */
		if (m->up[i].step_id == 0 && st->msgid != NULL &&
		    strcmp(m->up[i].msgid, st->msgid) == 0) {
			m->up[i].step_id = st->id;
			return &m->up[i];
		}
	}
	if (st->request != NULL)
		req = json_tokener_parse(st->request);
	if (st->response != NULL)
		resp = json_tokener_parse(st->response);
	u = memo_add(m, json_object_object_get(json_object_object_get(req,
	    "input"), "feedetail"), json_object_object_get(resp, "output"));
	u->step_id = st->id;
	json_object_put(req);
	json_object_put(resp);
	return u;
}

void
hg_settle_memo_seed(struct hg_settle_memo *m, const char *msgid,
    struct json_object *feedetail, const struct json_object *output)
{
	struct hg_settle_upload *u = memo_add(m, feedetail, output);

	snprintf(u->msgid, sizeof u->msgid, "%s", msgid);
}

/* Mark the items of one answered upload; 0, or -1 when the upload holds
 * an item the bill does not have as it is now. */
static int
mark_upload(const struct hg_settle_upload *u,
    const struct hg_nhsa_fee_in *items, size_t n, char *up)
{
	size_t i, k;

	if (u->bad || u->nres != (long long)u->n)
		return -1;
	for (i = 0; i < u->n; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(items[k].feedetl_sn, u->f[i].feedetl_sn) == 0)
				break;
		/* same serial, same content, and not uploaded twice */
		if (k == n || up[k] || memcmp(&items[k], &u->f[i],
		    sizeof u->f[i]) != 0)
			return -1;
		up[k] = 1;
	}
	return 0;
}

void
hg_settle_upload_order(const struct hg_bill *b, size_t *order)
{
	size_t *orig, k, o, n = 0, before, none = b->nfees;
	char *placed;

	orig = hg_xcalloc(b->nfees > 0 ? b->nfees : 1, sizeof *orig);
	placed = hg_xcalloc(b->nfees > 0 ? b->nfees : 1, 1);
	/* refunds are rare: only they look for their original */
	for (k = 0; k < b->nfees; k++) {
		orig[k] = none;
		if (b->fees[k].init_sn == NULL || b->fees[k].init_sn[0] == '\0')
			continue;
		for (o = 0; o < b->nfees; o++)
			if (o != k && b->fees[o].sn != NULL &&
			    strcmp(b->fees[o].sn, b->fees[k].init_sn) == 0) {
				orig[k] = o;
				break;
			}
	}
	/* passes in the bill's order: a line goes once its original has;
	 * what is left when a pass places nothing (refunds in a cycle) goes
	 * in the bill's order, for the platform to say what is wrong */
	while (n < b->nfees) {
		before = n;
		for (k = 0; k < b->nfees; k++)
			if (!placed[k] && (orig[k] == none ||
			    placed[orig[k]])) {
				order[n++] = k;
				placed[k] = 1;
			}
		for (k = 0; n == before && k < b->nfees; k++)
			if (!placed[k]) {
				order[n++] = k;
				placed[k] = 1;
			}
		if (n == before)
			break;
	}
	free(placed);
	free(orig);
}

int
hg_settle_uploaded(const struct hg_bill *bill, const struct hg_step *st,
    size_t n, struct hg_settle_memo *memo, char **upp, size_t *nitems)
{
	const struct hg_nhsa_fee_in *items = NULL;
	size_t i, len = bill->nfees > 0 ? bill->nfees : 1;
	char *up = hg_xcalloc(len, 1);
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (hs_is(&st[i], "2302", HG_STEP_OK)) {
			memset(up, 0, len);
			rc = 0;
		} else if (hs_is(&st[i], "2302", NULL)) {
			/* a delete whose effect is unknown */
			rc = -1;
		} else if (hs_is(&st[i], "2301", NULL)) {
			/* the items only once there is an upload to compare
			 * (not for 1101 and 2401) */
			if (items == NULL)
				items = memo_items(memo, bill, nitems);
			if (strcmp(st[i].state, HG_STEP_OK) != 0 ||
			    mark_upload(memo_upload(memo, &st[i]), items,
			    bill->nfees, up) == -1)
				rc = -1;
		}
	}
	*upp = up;
	*nitems = bill->nfees;
	return rc;
}

/* A journalled request's input.data.<key>, or "" (buf). */
static const char *
req_field(const struct hg_step *st, const char *key, char *buf, size_t len)
{
	struct json_object *root;
	const char *v;

	buf[0] = '\0';
	if (st->request == NULL ||
	    (root = json_tokener_parse(st->request)) == NULL)
		return buf;
	v = hg_json_get_str(json_object_object_get(json_object_object_get(
	    root, "input"), "data"), key);
	snprintf(buf, len, "%s", v != NULL ? v : "");
	json_object_put(root);
	return buf;
}

/* The visits the last answered 5201 (step k) lists that are open with the
 * bill's ipt_no and are not its own: the first one not yet closed goes to
 * v->close_mdtrt; a 2404 since whose answer was lost asks again. */
static void
view_visits(const struct hg_row *row, const struct hg_step *st, size_t n,
    size_t k, struct hg_settle_view *v)
{
	struct hg_nhsa_visit *rows = NULL;
	struct hg_nhsa_resp r;
	struct hg_err err;
	char m[HG_NHSA_IDBUF];
	size_t i, x, nrows = 0;
	int closed;

	if (st[k].response == NULL || hg_nhsa_resp_parse(st[k].response,
	    strlen(st[k].response), &r, &err) == -1)
		return;
	if (hg_nhsa_out_5201(r.output, &rows, &nrows, &err) == -1) {
		hg_nhsa_resp_free(&r);
		return;
	}
	hg_nhsa_resp_free(&r);
	for (x = 0; x < nrows && v->close_mdtrt[0] == '\0'; x++) {
		if (strcmp(rows[x].inhosp_stas, "1") != 0 ||
		    row->ipt_no == NULL ||
		    strcmp(rows[x].ipt_otp_no, row->ipt_no) != 0 ||
		    strcmp(rows[x].mdtrt_id, row->mdtrt_id) == 0)
			continue;
		closed = 0;
		for (i = k + 1; i < n; i++) {
			if (!hs_is(&st[i], "2404", NULL) ||
			    strcmp(req_field(&st[i], "mdtrt_id", m, sizeof m),
			    rows[x].mdtrt_id) != 0)
				continue;
			if (hs_unanswered(&st[i]))
				v->ask_visits = 1;
			else if (strcmp(st[i].state, HG_STEP_OK) == 0 ||
			    hs_refused(&st[i]))
				closed = 1;
		}
		if (!closed && !v->ask_visits)
			snprintf(v->close_mdtrt, sizeof v->close_mdtrt, "%s",
			    rows[x].mdtrt_id);
	}
	free(rows);
}

static int
resolving(const char *infno)
{
	return strcmp(infno, "2601") == 0 || strcmp(infno, "5201") == 0 ||
	    strcmp(infno, "2404") == 0 || strcmp(infno, "2405") == 0;
}

/* The bounds (HG_SETTLE_MAX_*), counted over the calls sent since a
 * person last sent the bill back. */
static void
view_bounds(const struct hg_step *st, size_t n, int64_t since_ms,
    struct hg_settle_view *v)
{
	size_t i, lost = 0, run = 0, deletes = 0;
	int in_run = 1;

	for (i = n; i-- > 0;) {
		if (st[i].sent_ms < since_ms)
			break;
		if (hs_unanswered(&st[i]))
			lost++;
		if (hs_is(&st[i], "2302", NULL))
			deletes++;
		if (!in_run)
			continue;
		if (resolving(st[i].infno) && hs_unanswered(&st[i]))
			run++;
		else if (!(strcmp(st[i].state, HG_STEP_FAILED) == 0 &&
		    !hs_refused(&st[i])))
			in_run = 0;	/* a call that never left does not
					 * count either way */
	}
	if (run >= HG_SETTLE_MAX_LOST_RUN)
		snprintf(v->stuck_why, sizeof v->stuck_why, "the answers to "
		    "%zu calls in a row that ask or repair the platform's "
		    "state (last %s %s) were lost", run, st[n - 1].infno,
		    st[n - 1].msgid);
	else if (lost >= HG_SETTLE_MAX_LOST)
		snprintf(v->stuck_why, sizeof v->stuck_why, "%zu answers were "
		    "lost", lost);
	else if (deletes >= HG_SETTLE_MAX_DELETES)
		snprintf(v->stuck_why, sizeof v->stuck_why, "the uploaded "
		    "items were deleted %zu times (2302) and are still not "
		    "known exactly", deletes);
	else
		return;
	v->stuck = 1;
}

void
hg_settle_late(struct hg_settle_view *v, int64_t late_ms)
{
	v->late_2401 = v->have_mdtrt && v->lost_2401_ms > 0 &&
	    v->asked_ms < v->lost_2401_ms + late_ms;
}

/* The 2401s whose answers were lost: sent, and either unanswered or
 * resolved by a 5201 asked after them (a 2401 that never left is failed
 * without an answer too, but nothing asks about it: it cannot land).
 * Sets lost_2401_ms, asked_ms and refused_2401. */
static void
view_admissions(const struct hg_step *st, size_t n, struct hg_settle_view *v)
{
	int64_t cand = 0;
	size_t i, last = n;
	int asked_since = 0;

	for (i = 0; i < n; i++) {
		if (hs_is(&st[i], "2401", NULL)) {
			last = i;
			asked_since = 0;
			if (hs_unanswered(&st[i]) &&
			    st[i].sent_ms > v->lost_2401_ms)
				v->lost_2401_ms = st[i].sent_ms;
			else if (st[i].response == NULL &&
			    !hs_is(&st[i], "2401", HG_STEP_OK))
				cand = st[i].sent_ms;
		} else if (hs_is(&st[i], "5201", NULL)) {
			asked_since = 1;
			if (cand > v->lost_2401_ms)
				v->lost_2401_ms = cand;
			cand = 0;
			if (strcmp(st[i].state, HG_STEP_OK) == 0)
				v->asked_ms = st[i].sent_ms;
		}
	}
	/* refused after an earlier one was lost: that one may have landed
	 * after the 5201 that found nothing, and a platform that refuses a
	 * repeated admission refused this one for it.  Asked, not read. */
	v->refused_2401 = !v->have_mdtrt && last < n && hs_refused(&st[last]) &&
	    v->lost_2401_ms > 0 && v->lost_2401_ms < st[last].sent_ms &&
	    !asked_since;
}

void
hg_settle_view(const struct hg_row *row, const struct hg_bill *bill,
    const struct hg_step *st, size_t n, struct hg_settle_memo *memo,
    struct hg_settle_view *v)
{
	struct hg_settle_memo own;
	long long last_cancel = 0, last_change = 0, last_dscg = 0;
	long long last_reopen = 0, last_2304 = 0;
	size_t i, k, nitems, k5201 = n;
	char *up;

	memset(v, 0, sizeof *v);
	v->have_psn = row->psn_no != NULL;
	v->have_mdtrt = row->mdtrt_id != NULL;
	for (i = 0; i < n; i++) {
		if (hs_is(&st[i], "2305", HG_STEP_OK))
			last_cancel = st[i].id;
		if (hs_is(&st[i], "2301", NULL) || hs_is(&st[i], "2302", NULL))
			last_change = st[i].id;
		if (hs_is(&st[i], "2402", HG_STEP_OK))
			last_dscg = st[i].id;
		if (hs_is(&st[i], "2405", HG_STEP_OK))
			last_reopen = st[i].id;
		if (hs_is(&st[i], "2304", NULL))
			last_2304 = st[i].id;
		if (hs_is(&st[i], "2401", NULL))
			v->open_2401 = hs_unanswered(&st[i]);
		if (hs_is(&st[i], "2402", NULL) || hs_is(&st[i], "2405", NULL))
			v->open_dscg = hs_unanswered(&st[i]);
		if (hs_is(&st[i], "5201", HG_STEP_OK))
			k5201 = i;
	}
	if (v->have_mdtrt)
		v->open_2401 = 0;
	else
		v->open_dscg = 0;
	for (i = 0; i < n; i++) {
		if (!hs_is(&st[i], "2304", NULL))
			continue;
		if (hs_unanswered(&st[i]))
			v->open_2304 = 1;
		else if (strcmp(st[i].state, HG_STEP_OK) == 0 &&
		    st[i].id > last_cancel)
			v->ok_2304 = 1;
	}
	/* A settled bill's row already shows it; ok_2304 is for a bill whose
	 * settlement was answered but not yet recorded. */
	if (row->setl_id != NULL)
		v->ok_2304 = 0;
	if (v->have_mdtrt && k5201 < n)
		view_visits(row, st, n, k5201, v);
	view_admissions(st, n, v);

	memset(&own, 0, sizeof own);
	if (hg_settle_uploaded(bill, st, n, memo != NULL ? memo : &own,
	    &up, &nitems) == -1)
		v->fees_dirty = 1;
	for (k = 0; k < nitems; k++)
		if (!up[k])
			v->fees_missing++;
	free(up);
	hg_settle_memo_free(&own);
	v->discharged = last_dscg > last_reopen;
	for (i = 0; i < n; i++)
		if (hs_is(&st[i], "2303", HG_STEP_OK) && st[i].id > last_change &&
		    st[i].id > last_dscg && st[i].id > last_cancel &&
		    st[i].id > last_2304 && st[i].id > last_reopen)
			v->presettled = 1;
	view_bounds(st, n, memo != NULL ? memo->since_ms : 0, v);
}
