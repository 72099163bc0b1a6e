/* The settler (see settle.h).
 *
 * Exactly once, in practice:
 *  - every call is journalled ("sent", committed) before it leaves, and
 *    the journal write also renews the worker's lease, so a worker that
 *    lost its bill to another can no longer send anything for it;
 *  - on every claim, steps still "sent" are marked "unknown" (their
 *    worker died), and what to do next is decided from the journal alone
 *    (hg_settle_next), never from memory;
 *  - a 2304 without an answer puts the bill in_doubt; it is settled only
 *    by what 5203 finds for that msgid (medins_setl_id), and sent again
 *    (with a new msgid) only when 5203 definitively finds nothing and the
 *    original can no longer be in progress at the platform;
 *  - fee uploads whose answer was lost are never topped up: every item of
 *    the visit is deleted (2302 "0000") and uploaded again, so a lost
 *    answer can not upload an item twice. */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/settle.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/group.h"

#define COMP		"settle"
#define IDLE_MS		250	/* nothing claimable: look again after */
#define MAX_ROUNDS	4000	/* steps per claim, against a runaway loop */

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
	/* Doubt first: nothing else is sent for a bill whose settlement
	 * may have happened. */
	if (v->open_2304)
		return HG_ACT_RESOLVE_2304;
	if (v->ok_2304)
		return HG_ACT_FINISH;
	if (!v->have_psn)
		return HG_ACT_1101;
	if (!v->have_mdtrt)
		return HG_ACT_2401;
	if (v->fees_dirty)
		return HG_ACT_2302;
	if (v->fees_missing > 0)
		return HG_ACT_2301;
	if (!v->discharged)
		return HG_ACT_2402;
	if (!v->presettled)
		return HG_ACT_2303;
	return HG_ACT_2304;
}

const char *
hg_settle_action_name(enum hg_settle_action a)
{
	switch (a) {
	case HG_ACT_RESOLVE_2304: return "5203";
	case HG_ACT_FINISH: return "finish";
	case HG_ACT_1101: return "1101";
	case HG_ACT_2401: return "2401";
	case HG_ACT_2302: return "2302";
	case HG_ACT_2301: return "2301";
	case HG_ACT_2402: return "2402";
	case HG_ACT_2303: return "2303";
	case HG_ACT_2304: return "2304";
	}
	return "?";
}

static int
is(const struct hg_step *s, const char *infno, const char *state)
{
	return strcmp(s->infno, infno) == 0 &&
	    (state == NULL || strcmp(s->state, state) == 0);
}

static int
unanswered(const struct hg_step *s)
{
	return strcmp(s->state, HG_STEP_SENT) == 0 ||
	    strcmp(s->state, HG_STEP_UNKNOWN) == 0;
}

/* One journalled 2301, parsed: the items it carried (bad when its request
 * cannot be read as an upload). */
struct hg_settle_upload {
	long long		 step_id;
	int			 bad;
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

/* A journalled upload's items, parsed the first time they are asked for
 * (a step's request never changes). */
static const struct hg_settle_upload *
memo_upload(struct hg_settle_memo *m, const struct hg_step *st)
{
	struct hg_settle_upload *u;
	struct json_object *root, *arr;
	size_t i;

	for (i = 0; i < m->nup; i++)
		if (m->up[i].step_id == st->id)
			return &m->up[i];
	m->up = hg_xrealloc(m->up, m->nup + 1, sizeof *m->up);
	u = &m->up[m->nup++];
	memset(u, 0, sizeof *u);
	u->step_id = st->id;
	if (st->request == NULL ||
	    (root = json_tokener_parse(st->request)) == NULL) {
		u->bad = 1;
		return u;
	}
	arr = json_object_object_get(json_object_object_get(root, "input"),
	    "feedetail");
	if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
		u->bad = 1;
	} else {
		u->n = json_object_array_length(arr);
		u->f = hg_xcalloc(u->n > 0 ? u->n : 1, sizeof *u->f);
		for (i = 0; i < u->n && !u->bad; i++)
			if (hg_nhsa_fee_in_parse(json_object_array_get_idx(arr,
			    i), &u->f[i], NULL) == -1)
				u->bad = 1;
	}
	json_object_put(root);
	return u;
}

/* Mark the items of one answered upload; 0, or -1 when the upload holds
 * an item the bill does not have as it is now. */
static int
mark_upload(const struct hg_settle_upload *u,
    const struct hg_nhsa_fee_in *items, size_t n, char *up)
{
	size_t i, k;

	if (u->bad)
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

int
hg_settle_uploaded(const struct hg_bill *bill, const struct hg_step *st,
    size_t n, struct hg_settle_memo *memo, char **upp, size_t *nitems)
{
	const struct hg_nhsa_fee_in *items = NULL;
	size_t i, len = bill->nfees > 0 ? bill->nfees : 1;
	char *up = hg_xcalloc(len, 1);
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (is(&st[i], "2302", HG_STEP_OK)) {
			memset(up, 0, len);
			rc = 0;
		} else if (is(&st[i], "2302", NULL)) {
			/* a delete whose effect is unknown */
			rc = -1;
		} else if (is(&st[i], "2301", NULL)) {
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

void
hg_settle_view(const struct hg_row *row, const struct hg_bill *bill,
    const struct hg_step *st, size_t n, struct hg_settle_memo *memo,
    struct hg_settle_view *v)
{
	struct hg_settle_memo own;
	long long last_cancel = 0, last_change = 0, last_dscg = 0;
	size_t i, k, nitems;
	char *up;

	memset(v, 0, sizeof *v);
	v->have_psn = row->psn_no != NULL;
	v->have_mdtrt = row->mdtrt_id != NULL;
	for (i = 0; i < n; i++) {
		if (is(&st[i], "2305", HG_STEP_OK))
			last_cancel = st[i].id;
		if (is(&st[i], "2301", NULL) || is(&st[i], "2302", NULL))
			last_change = st[i].id;
		if (is(&st[i], "2402", HG_STEP_OK))
			last_dscg = st[i].id;
		if (is(&st[i], "2401", NULL))
			v->open_2401 = unanswered(&st[i]);
	}
	if (v->have_mdtrt)
		v->open_2401 = 0;
	for (i = 0; i < n; i++) {
		if (!is(&st[i], "2304", NULL))
			continue;
		if (unanswered(&st[i]))
			v->open_2304 = 1;
		else if (strcmp(st[i].state, HG_STEP_OK) == 0 &&
		    st[i].id > last_cancel)
			v->ok_2304 = 1;
	}
	/* A settled bill's row already shows it; ok_2304 is for a bill whose
	 * settlement was answered but not yet recorded. */
	if (row->setl_id != NULL)
		v->ok_2304 = 0;

	memset(&own, 0, sizeof own);
	if (hg_settle_uploaded(bill, st, n, memo != NULL ? memo : &own,
	    &up, &nitems) == -1)
		v->fees_dirty = 1;
	for (k = 0; k < nitems; k++)
		if (!up[k])
			v->fees_missing++;
	free(up);
	hg_settle_memo_free(&own);
	for (i = 0; i < n; i++) {
		if (is(&st[i], "2402", HG_STEP_OK) && st[i].id > last_change)
			v->discharged = 1;
		if (is(&st[i], "2303", HG_STEP_OK) && st[i].id > last_change &&
		    st[i].id > last_dscg && st[i].id > last_cancel)
			v->presettled = 1;
	}
}

/* ---------------------------------------------------------------------- */
/* the running settler */

struct worker {
	struct hg_settle *s;
	int		 idx;
	char		 owner[160];
	pthread_t	 thread;
	int		 started;
	struct hg_outbox *ob;
	struct hg_platform *p;
	uint64_t	 rng;
	int		 fails;		/* consecutive transport failures */
	struct hg_complain c_ob, c_net;
};

struct hg_settle {
	const struct hg_config *cfg;
	struct hg_platform_shared sh;
	struct hg_bucket bucket;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_mutex_t	 dblock;	/* the workers' outbox writes */
	int		 fatal;		/* die_of_disk: under lock */
	struct hg_group	*group;		/* their "sent" records' fsyncs */
	int		 stopping;
	struct worker	*w;
	size_t		 nw;
	char		 host[64];
	char		 nonce[20];
};

/* One claimed bill. */
struct job {
	struct worker	*w;
	struct hg_row	 row;
	struct hg_bill	*bill;
	char		 insutype[HG_NHSA_CODEBUF];
	char		 insuplc[HG_NHSA_CODEBUF];
	struct hg_step	*steps;
	size_t		 nsteps;
	struct hg_settle_memo memo;		/* this claim's, for the view */
	char		 why[HG_ERRLEN];	/* for the release */
	int64_t		 not_before;		/* release no earlier */
};

enum res {
	R_NEXT,		/* go on with the next step */
	R_DONE,		/* settled or rejected: the bill is finished */
	R_RETRY,	/* give it back with backoff (why says why) */
	R_LOST,		/* not ours any more: leave it alone */
};

static uint64_t
rnd(struct worker *w)
{
	/* xorshift64*: jitter only, not security */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static int
stopping(struct hg_settle *s)
{
	int v;

	pthread_mutex_lock(&s->lock);
	v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Sleep up to ms unless asked to stop; returns stopping. */
static int
nap(struct hg_settle *s, int64_t ms)
{
	struct timespec ts;
	int v;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->lock,
	    &ts) != ETIMEDOUT)
		;
	v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* The workers of one agent take turns at the outbox's write lock on a
 * mutex.  SQLite serialises them anyway, but its busy handler sleeps 1, 2,
 * 5, 10 ... ms between tries, and two workers that keep meeting at the
 * lock (every call writes twice) starve each other for tens of
 * milliseconds; a mutex hands the lock over at once.  Nothing depends on
 * it for correctness: a write outside it (a rarer path, the intake, the
 * CLI) still meets SQLite's lock and its busy handler. */
static void
db_lock(struct worker *w)
{
	pthread_mutex_lock(&w->s->dblock);
}

static int
db_unlock(struct worker *w, int rc)
{
	pthread_mutex_unlock(&w->s->dblock);
	return rc;
}

/* LOCKED(w, hg_steps_...(...)): that write between db_lock and db_unlock */
#define LOCKED(w, write)	(db_lock(w), db_unlock((w), (write)))

/* A sync of the outbox failed (hg_outbox_sync_failed): the kernel may
 * have dropped writes that no later fsync reports, so nothing is sent any
 * more, and the daemon stops (exit 1: systemd starts it again, and a
 * fresh process reads back what really is on disk), as other careful
 * daemons do rather than guess.  Once, whichever worker sees it first;
 * 1 when it is so. */
static int
die_of_disk(struct hg_settle *s, const char *why)
{
	int first;

	if (!hg_outbox_sync_failed())
		return 0;
	pthread_mutex_lock(&s->lock);
	first = !s->fatal;
	s->fatal = 1;
	pthread_mutex_unlock(&s->lock);
	if (first) {
		log_error(COMP, "a sync of the outbox to disk failed (%s); "
		    "stopping the agent (exit 1) so that it starts again from "
		    "what is on disk", why);
		kill(getpid(), SIGTERM);
	}
	return 1;
}

/* Journalled under the workers' lock, synced outside it: while one
 * worker waits for the disk the others write, and one fsync then takes
 * every record written meanwhile (queue/group.h).
 *
 * A query's record is committed but not waited for: it survives the
 * agent's death like any commit, and a power cut that loses it loses
 * only the knowledge that a question was asked, which is then asked
 * again.  Four of a bill's six calls change the platform; only theirs
 * wait for the disk. */
static int
j_sent(void *arg, const char *infno, const char *msgid, const char *request,
    struct hg_err *err)
{
	struct job *j = arg;
	struct hg_settle *s = j->w->s;
	int64_t keep;

	/* the lease must outlast the call: check-config makes lease_ms
	 * longer than any call */
	keep = hg_platform_timeout(&s->cfg->platform, infno) +
	    s->cfg->platform.connect_timeout_ms + 1000;
	if (LOCKED(j->w, hg_steps_sent(j->w->ob, j->row.id, j->w->owner,
	    hg_wall_ms() + s->cfg->settle.lease_ms, keep, NULL, infno, msgid,
	    request, err)) == -1) {
		die_of_disk(s, err->msg);
		return -1;
	}
	if (!hg_nhsa_is_query(infno) && hg_steps_durable(j->w->ob,
	    err) == -1) {
		die_of_disk(s, err->msg);
		return -1;
	}
	/* a sync that failed anywhere in the meantime may have lost this
	 * record, even though ours did not say so */
	if (die_of_disk(s, "while a call was journalled"))
		return hg_failt(err, "not sent: the outbox's disk failed a "
		    "sync; the agent is stopping");
	return 0;
}

static void
j_answered(void *arg, const char *msgid, const char *state,
    const char *response, const char *err_msg)
{
	struct job *j = arg;
	struct hg_err err;

	/* When this fails the step stays "sent": the next claim treats it
	 * as an answer lost, which is safe. */
	if (LOCKED(j->w, hg_steps_answer(j->w->ob, msgid, state, response,
	    err_msg, &err)) == -1)
		log_error(COMP, "bill %lld: cannot record the answer to %s "
		    "(%s): %s", j->row.id, msgid, state, err.msg);
}

/* A journalled call, after the rate limit. */
static enum hg_call_outcome
call(struct job *j, const char *infno, struct json_object *in,
    struct hg_call *c)
{
	struct hg_settle *s = j->w->s;
	struct hg_journal jr = { j_sent, j_answered, j };
	int64_t wait;

	while ((wait = hg_bucket_take(&s->bucket, hg_now_ms())) > 0) {
		if (nap(s, wait)) {
			json_object_put(in);
			memset(c, 0, sizeof *c);
			snprintf(c->infno, sizeof c->infno, "%s", infno);
			hg_failt(&c->err, "stopping");
			return c->outcome = HG_CALL_NOTSENT;
		}
	}
	return hg_platform_call(j->w->p, infno, j->insuplc[0] != '\0' ?
	    j->insuplc : NULL, in, &jr, c);
}

/* The platform's texts may quote the patient's name ("人员姓名[王芳]
 * 与..."); logs get it masked like everywhere else.  Returns buf. */
static const char *
scrub(const struct job *j, const char *msg, char *buf, size_t len)
{
	const char *name = j->bill != NULL ? j->bill->psn_name : NULL;
	char masked[64];
	size_t nl, ml, o = 0;
	const char *p;

	if (name == NULL || name[0] == '\0' || strstr(msg, name) == NULL) {
		snprintf(buf, len, "%s", msg);
		return buf;
	}
	hg_mask_name(name, masked, sizeof masked);
	nl = strlen(name);
	ml = strlen(masked);
	for (p = msg; *p != '\0' && o + 1 < len;) {
		if (strncmp(p, name, nl) == 0 && o + ml + 1 < len) {
			memcpy(buf + o, masked, ml);
			o += ml;
			p += nl;
		} else {
			buf[o++] = *p++;
		}
	}
	buf[o] = '\0';
	return buf;
}

static enum res
reject(struct job *j, const char *why)
{
	char safe[HG_ERRLEN];
	struct hg_err err;
	char name[64];

	if (hg_steps_rejected(j->w->ob, j->row.id, j->w->owner, why,
	    &err) == -1) {
		snprintf(j->why, sizeof j->why, "%s", err.msg);
		return err.kind == HG_EPERM ? R_LOST : R_RETRY;
	}
	hg_mask_name(j->bill->psn_name ? j->bill->psn_name : "", name,
	    sizeof name);
	log_warn(COMP, "bill %lld (%s, %s) rejected: %s", j->row.id, name,
	    j->row.ipt_no ? j->row.ipt_no : "-",
	    scrub(j, why, safe, sizeof safe));
	return R_DONE;
}

/* What a call that did not succeed means for the bill. */
static enum res
failed(struct job *j, struct hg_call *c)
{
	char safe[HG_ERRLEN];

	switch (c->outcome) {
	case HG_CALL_OK:
		break;
	case HG_CALL_REFUSED:
		j->w->fails = 0;
		return reject(j, c->have_resp && c->resp.err_msg[0] != '\0' ?
		    c->resp.err_msg : c->err.msg);
	case HG_CALL_NOTSENT:
		/* the journal refused: the lease went to someone else */
		if (c->err.kind == HG_EPERM) {
			log_warn(COMP, "bill %lld: %s", j->row.id, c->err.msg);
			return R_LOST;
		}
		/* FALLTHROUGH */
	case HG_CALL_UNKNOWN:
		j->w->fails++;
		hg_complain(&j->w->c_net, HG_LOG_WARNING, COMP, "bill %lld: %s",
		    j->row.id, scrub(j, c->err.msg, safe, sizeof safe));
		break;
	}
	snprintf(j->why, sizeof j->why, "%s", c->err.msg);
	return R_RETRY;
}

static int
db_failed(struct job *j, const struct hg_err *err)
{
	snprintf(j->why, sizeof j->why, "%s", err->msg);
	log_error(COMP, "bill %lld: %s", j->row.id, err->msg);
	die_of_disk(j->w->s, err->msg);
	return err->kind == HG_EPERM ? R_LOST : R_RETRY;
}

static struct hg_nhsa_cert
cert_of(const struct job *j)
{
	struct hg_nhsa_cert c;

	c.mdtrt_cert_type = j->w->s->cfg->platform.mdtrt_cert_type;
	c.mdtrt_cert_no = j->bill->certno;
	c.card_sn = strcmp(c.mdtrt_cert_type, "03") == 0 ? j->bill->card_no :
	    NULL;
	return c;
}

/* The insurance row to settle under: the bill's insutype if it names
 * one, else the first active row. */
static const struct hg_nhsa_insuinfo *
pick_insu(const struct hg_nhsa_person *p, const char *want)
{
	size_t i;

	if (want != NULL && want[0] != '\0')
		return hg_nhsa_person_insu(p, want);
	for (i = 0; i < p->ninsu; i++)
		if (strcmp(p->insu[i].psn_insu_stas, "1") == 0)
			return &p->insu[i];
	return NULL;
}

/* insutype and insuplc_admdvs of a bill whose person is known: from the
 * bill, the row, and the last answered 1101. */
static void
person_from_journal(struct job *j)
{
	struct hg_nhsa_person person;
	const struct hg_nhsa_insuinfo *in;
	struct hg_nhsa_resp r;
	struct hg_err err;
	size_t i;

	if (j->row.insuplc_admdvs != NULL)
		snprintf(j->insuplc, sizeof j->insuplc, "%s",
		    j->row.insuplc_admdvs);
	if (j->bill->insutype != NULL && j->bill->insutype[0] != '\0') {
		snprintf(j->insutype, sizeof j->insutype, "%s",
		    j->bill->insutype);
		return;
	}
	for (i = j->nsteps; i-- > 0;) {
		if (!is(&j->steps[i], "1101", HG_STEP_OK) ||
		    j->steps[i].response == NULL)
			continue;
		if (hg_nhsa_resp_parse(j->steps[i].response,
		    strlen(j->steps[i].response), &r, &err) == -1)
			return;
		if (hg_nhsa_out_1101(r.output, &person, &err) == 0 &&
		    (in = pick_insu(&person, NULL)) != NULL)
			snprintf(j->insutype, sizeof j->insutype, "%s",
			    in->insutype);
		hg_nhsa_resp_free(&r);
		return;
	}
}

static enum res
do_1101(struct job *j)
{
	struct hg_nhsa_cert cert = cert_of(j);
	const struct hg_nhsa_insuinfo *in;
	struct hg_nhsa_person person;
	struct hg_call c;
	struct hg_err err;
	enum res rv;

	if (call(j, "1101", hg_nhsa_in_1101(&cert, j->bill->psn_cert_type ?
	    j->bill->psn_cert_type : "01", j->bill->certno,
	    j->bill->psn_name), &c) != HG_CALL_OK) {
		rv = failed(j, &c);
		goto out;
	}
	if (hg_nhsa_out_1101(c.resp.output, &person, &err) == -1) {
		rv = reject(j, err.msg);
		goto out;
	}
	if ((in = pick_insu(&person, j->bill->insutype)) == NULL) {
		char why[256];

		snprintf(why, sizeof why, "1101: no active insurance%s%s for "
		    "this person", j->bill->insutype ? " of type " : "",
		    j->bill->insutype ? j->bill->insutype : "");
		rv = reject(j, why);
		goto out;
	}
	if (LOCKED(j->w, hg_steps_set_person(j->w->ob, j->row.id,
	    j->w->owner, person.psn_no, in->insuplc_admdvs, &err)) == -1) {
		rv = db_failed(j, &err);
		goto out;
	}
	hg_set_str(&j->row.psn_no, person.psn_no);
	hg_set_str(&j->row.insuplc_admdvs, in->insuplc_admdvs);
	hg_set_str(&j->bill->psn_no, person.psn_no);
	snprintf(j->insutype, sizeof j->insutype, "%s", in->insutype);
	snprintf(j->insuplc, sizeof j->insuplc, "%s", in->insuplc_admdvs);
	rv = R_NEXT;
out:
	hg_call_free(&c);
	return rv;
}

static void
fill_bill(struct job *j)
{
	hg_set_str(&j->bill->psn_no, j->row.psn_no);
	hg_set_str(&j->bill->mdtrt_id, j->row.mdtrt_id);
	if (j->insutype[0] != '\0')
		hg_set_str(&j->bill->insutype, j->insutype);
}

/* The platform's answer to a second 2401 for an open visit of the same
 * person and ipt_no: "...已办理入院,就诊ID[<mdtrt_id>]".  0 with the id. */
static int
admitted_as(const char *msg, char mdtrt_id[HG_NHSA_IDBUF])
{
	const char *p, *e;

	if (strstr(msg, "已办理入院") == NULL ||
	    (p = strstr(msg, "就诊ID[")) == NULL)
		return -1;
	p += strlen("就诊ID[");
	if ((e = strchr(p, ']')) == NULL || e == p ||
	    (size_t)(e - p) >= HG_NHSA_IDBUF)
		return -1;
	memcpy(mdtrt_id, p, (size_t)(e - p));
	mdtrt_id[e - p] = '\0';
	return 0;
}

static enum res
do_2402(struct job *j)
{
	struct hg_call c;
	enum res rv = R_NEXT;

	fill_bill(j);
	if (call(j, "2402", hg_nhsa_in_2402(j->bill, NULL), &c) ==
	    HG_CALL_REFUSED && strstr(c.resp.err_msg, "已办理出院") != NULL) {
		/* discharged already (a 2402 whose answer was lost, or
		 * fees uploaded again after discharge): that is the goal */
		hg_steps_answer(j->w->ob, c.msgid, HG_STEP_OK, NULL,
		    "the visit was already discharged", NULL);
	} else if (c.outcome != HG_CALL_OK) {
		rv = failed(j, &c);
	}
	hg_call_free(&c);
	return rv;
}

static enum res
do_2401(struct job *j)
{
	struct hg_nhsa_cert cert = cert_of(j);
	char mdtrt_id[HG_NHSA_IDBUF];
	struct hg_call c;
	struct hg_err err;
	enum res rv;

	/* An admission whose answer was lost is sent again: the platform
	 * refuses a second 2401 for the same open visit (psn_no, hospital,
	 * ipt_no) naming the visit it has, which is then adopted (see
	 * doc/settle-notes.md). */
	fill_bill(j);
	if (call(j, "2401", hg_nhsa_in_2401(j->bill, &cert), &c) ==
	    HG_CALL_REFUSED && admitted_as(c.resp.err_msg, mdtrt_id) == 0) {
		/* The visit exists (an earlier 2401 whose answer was lost
		 * did it): adopt it. */
		hg_steps_answer(j->w->ob, c.msgid, HG_STEP_OK, NULL,
		    "the visit was already admitted: adopted", NULL);
		log_notice(COMP, "bill %lld: visit %s already admitted; "
		    "adopted", j->row.id, mdtrt_id);
		goto adopt;
	}
	if (c.outcome != HG_CALL_OK) {
		rv = failed(j, &c);
		goto out;
	}
	if (hg_nhsa_out_2401(c.resp.output, mdtrt_id, &err) == -1) {
		snprintf(j->why, sizeof j->why, "%s", err.msg);
		rv = R_RETRY;
		goto out;
	}
adopt:
	if (LOCKED(j->w, hg_steps_set_mdtrt(j->w->ob, j->row.id, j->w->owner,
	    mdtrt_id, &err)) == -1) {
		rv = db_failed(j, &err);
		goto out;
	}
	hg_set_str(&j->row.mdtrt_id, mdtrt_id);
	rv = R_NEXT;
out:
	hg_call_free(&c);
	return rv;
}

static enum res
simple(struct job *j, const char *infno, struct json_object *in)
{
	struct hg_call c;
	enum res rv = R_NEXT;

	if (call(j, infno, in, &c) != HG_CALL_OK)
		rv = failed(j, &c);
	hg_call_free(&c);
	return rv;
}

static enum res
do_2301(struct job *j)
{
	struct json_object *all, *arr, *chunk, *in;
	size_t k, nitems, sent = 0, max;
	char *up;

	fill_bill(j);
	/* what is up there already (the view found it clean) */
	(void)hg_settle_uploaded(j->bill, j->steps, j->nsteps, &j->memo, &up,
	    &nitems);
	max = (size_t)j->w->s->cfg->platform.chunk_size;
	all = hg_nhsa_in_2301(j->bill, 0, j->bill->nfees);
	arr = json_object_object_get(all, "feedetail");
	chunk = json_object_new_array();
	for (k = 0; k < nitems && sent < max; k++) {
		if (up[k])
			continue;
		json_object_array_add(chunk, json_object_get(
		    json_object_array_get_idx(arr, k)));
		sent++;
	}
	json_object_put(all);
	free(up);
	in = json_object_new_object();
	json_object_object_add(in, "feedetail", chunk);
	return simple(j, "2301", in);
}

static void
setl_req(struct job *j, struct hg_nhsa_setl_req *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->psn_no, sizeof r->psn_no, "%s", j->row.psn_no);
	snprintf(r->mdtrt_cert_type, sizeof r->mdtrt_cert_type, "%s",
	    j->w->s->cfg->platform.mdtrt_cert_type);
	snprintf(r->mdtrt_cert_no, sizeof r->mdtrt_cert_no, "%s",
	    j->bill->certno ? j->bill->certno : "");
	snprintf(r->mdtrt_id, sizeof r->mdtrt_id, "%s", j->row.mdtrt_id);
	snprintf(r->insutype, sizeof r->insutype, "%s", j->insutype);
	r->medfee_sumamt = hg_bill_sum(j->bill);
}

static enum res
do_2303(struct job *j)
{
	struct hg_nhsa_setl_req req;
	struct hg_nhsa_setl setl;
	struct hg_call c;
	struct hg_err err;
	char a[HG_DECBUF], b[HG_DECBUF], why[256];
	enum res rv = R_NEXT;

	setl_req(j, &req);
	if (call(j, "2303", hg_nhsa_in_setl(&req), &c) != HG_CALL_OK) {
		rv = failed(j, &c);
		goto out;
	}
	if (hg_nhsa_out_setl(c.resp.output, &setl, &err) == -1) {
		hg_err_prefix(&err, "2303");
		rv = reject(j, err.msg);
		goto out;
	}
	/* The platform adds up what it received; a difference means items
	 * went missing or were duplicated on the way: settle nothing. */
	if (setl.medfee_sumamt != req.medfee_sumamt) {
		snprintf(why, sizeof why, "2303: the platform's total %s is "
		    "not the bill's %s", hg_dec_format(setl.medfee_sumamt, 2,
		    a), hg_dec_format(req.medfee_sumamt, 2, b));
		rv = reject(j, why);
	}
out:
	hg_call_free(&c);
	return rv;
}

/* Record the settlement the journal holds (2304 answered ok, or found by
 * 5203).  Never sends anything. */
static enum res
do_finish(struct job *j)
{
	const struct hg_step *st = NULL;
	struct hg_nhsa_setl setl;
	struct hg_nhsa_resp r;
	struct hg_err err;
	char *text, total[HG_DECBUF], reason[256], name[64];
	size_t i;
	enum res rv;

	for (i = 0; i < j->nsteps; i++)
		if (is(&j->steps[i], "2304", HG_STEP_OK))
			st = &j->steps[i];
	if (st == NULL || st->response == NULL ||
	    hg_nhsa_resp_parse(st->response, strlen(st->response), &r,
	    &err) == -1) {
		snprintf(j->why, sizeof j->why, "2304 %s answered ok but its "
		    "answer cannot be read back", st ? st->msgid : "?");
		log_error(COMP, "bill %lld: %s", j->row.id, j->why);
		return R_RETRY;
	}
	if (hg_nhsa_out_setl(r.output, &setl, &err) == -1) {
		snprintf(j->why, sizeof j->why, "2304 %s: %s", st->msgid,
		    err.msg);
		log_error(COMP, "bill %lld: %s", j->row.id, j->why);
		hg_nhsa_resp_free(&r);
		return R_RETRY;
	}
	if (hg_nhsa_setl_check(&setl, &err) == -1)
		log_warn(COMP, "bill %lld: settlement %s: %s", j->row.id,
		    setl.setl_id, err.msg);
	if (setl.medfee_sumamt != hg_bill_sum(j->bill))
		log_warn(COMP, "bill %lld: settlement %s total %s differs from "
		    "the bill", j->row.id, setl.setl_id,
		    hg_dec_format(setl.medfee_sumamt, 2, total));
	text = hg_nhsa_json_text(r.output);
	snprintf(reason, sizeof reason, "settled: setl_id %s (2304 msgid %s)",
	    setl.setl_id, st->msgid);
	if (LOCKED(j->w, hg_steps_settled(j->w->ob, j->row.id, j->w->owner,
	    setl.setl_id, setl.mdtrt_id[0] != '\0' ? setl.mdtrt_id : NULL,
	    text, reason, &err)) == -1) {
		rv = db_failed(j, &err);
	} else {
		hg_mask_name(j->bill->psn_name ? j->bill->psn_name : "", name,
		    sizeof name);
		log_info(COMP, "bill %lld (%s, %s) settled: setl_id %s, total "
		    "%s", j->row.id, name, j->row.ipt_no ? j->row.ipt_no : "-",
		    setl.setl_id, hg_dec_format(setl.medfee_sumamt, 2, total));
		rv = R_DONE;
	}
	free(text);
	hg_nhsa_resp_free(&r);
	return rv;
}

/* 5203 by medins_setl_id.  *found: 1 settled (answer in c), 0 not, -1
 * unknown (c->outcome says why). */
static void
query_msgid(struct job *j, const char *msgid, struct hg_call *c, int *found)
{
	struct hg_nhsa_setl setl;
	struct hg_err err;

	*found = -1;
	if (call(j, "5203", hg_nhsa_in_5203_msgid(j->row.psn_no,
	    j->row.mdtrt_id, msgid), c) == HG_CALL_REFUSED) {
		/* "no such settlement" is the platform's definite answer */
		*found = 0;
		return;
	}
	if (c->outcome != HG_CALL_OK)
		return;
	if (c->resp.output == NULL || hg_nhsa_out_setl(c->resp.output, &setl,
	    &err) == -1 || setl.setl_id[0] == '\0') {
		*found = 0;
		return;
	}
	if ((setl.medins_setl_id[0] != '\0' &&
	    strcmp(setl.medins_setl_id, msgid) != 0) ||
	    strcmp(setl.revs_flag, "1") == 0) {
		/* someone else's, or reversed since: not ours in force */
		*found = 0;
		return;
	}
	*found = 1;
}

static enum res
do_resolve(struct job *j)
{
	struct hg_settle *s = j->w->s;
	struct hg_call c;
	struct hg_err err;
	char reason[256], *text;
	int64_t ready_at, timeout = hg_platform_timeout(&s->cfg->platform,
	    "2304");
	size_t i;
	int found, undecided = 0;

	if (strcmp(j->row.state, HG_S_PROGRESS) == 0) {
		for (i = 0; i < j->nsteps; i++)
			if (is(&j->steps[i], "2304", NULL) &&
			    unanswered(&j->steps[i]))
				break;
		snprintf(reason, sizeof reason, "the answer to 2304 %s was "
		    "lost; asking the platform (5203) before anything is sent "
		    "again", i < j->nsteps ? j->steps[i].msgid : "?");
		if (hg_steps_doubt(j->w->ob, j->row.id, j->w->owner, reason,
		    &err) == -1)
			return db_failed(j, &err);
		hg_set_str(&j->row.state, HG_S_INDOUBT);
		log_notice(COMP, "bill %lld: %s", j->row.id, reason);
	}
	for (i = 0; i < j->nsteps; i++) {
		const struct hg_step *st = &j->steps[i];

		if (!is(st, "2304", NULL) || !unanswered(st))
			continue;
		query_msgid(j, st->msgid, &c, &found);
		if (found == 1) {
			text = hg_nhsa_json_text(c.resp.root);
			snprintf(reason, sizeof reason, "found by 5203 %s",
			    c.msgid);
			if (hg_steps_answer(j->w->ob, st->msgid, HG_STEP_OK,
			    text, reason, &err) == -1) {
				free(text);
				hg_call_free(&c);
				return db_failed(j, &err);
			}
			free(text);
			hg_call_free(&c);
			log_notice(COMP, "bill %lld: 2304 %s did settle (%s)",
			    j->row.id, st->msgid, reason);
			return R_NEXT;
		}
		if (found == -1) {
			enum res rv = failed(j, &c);

			hg_call_free(&c);
			return rv == R_DONE ? R_RETRY : rv;
		}
		hg_call_free(&c);
		/* "Not found" is final only once the 2304 can no longer be
		 * under way at the platform. */
		ready_at = st->sent_ms + timeout +
		    s->cfg->platform.connect_timeout_ms;
		if (hg_wall_ms() < ready_at) {
			if (ready_at > j->not_before)
				j->not_before = ready_at;
			undecided = 1;
			continue;
		}
		if (hg_steps_answer(j->w->ob, st->msgid, HG_STEP_FAILED, NULL,
		    "not settled: 5203 by medins_setl_id found nothing",
		    &err) == -1)
			return db_failed(j, &err);
	}
	if (undecided) {
		snprintf(j->why, sizeof j->why, "in doubt: 5203 found no "
		    "settlement yet; asking again once the 2304 timeout has "
		    "passed");
		return R_RETRY;
	}
	if (hg_steps_undoubt(j->w->ob, j->row.id, j->w->owner, "5203: the "
	    "lost 2304 did not settle; settling again with a new msgid",
	    &err) == -1)
		return db_failed(j, &err);
	hg_set_str(&j->row.state, HG_S_PROGRESS);
	return R_NEXT;
}

static enum res
do_2304(struct job *j)
{
	struct hg_nhsa_setl_req req;
	struct hg_call c, q;
	char refused[HG_NHSA_TEXTBUF], *text;
	struct hg_err err;
	size_t i;
	int found;
	enum res rv;

	setl_req(j, &req);
	if (call(j, "2304", hg_nhsa_in_setl(&req), &c) == HG_CALL_OK) {
		hg_call_free(&c);
		return R_NEXT;		/* the journal holds it: finish */
	}
	if (c.outcome == HG_CALL_UNKNOWN) {
		/* in doubt; the next round resolves it (5203) */
		j->w->fails++;
		hg_complain(&j->w->c_net, HG_LOG_WARNING, COMP, "bill %lld: "
		    "%s", j->row.id, scrub(j, c.err.msg, refused,
		    sizeof refused));
		hg_call_free(&c);
		return R_NEXT;
	}
	if (c.outcome != HG_CALL_REFUSED) {
		rv = failed(j, &c);
		hg_call_free(&c);
		return rv;
	}
	/* Refused.  If an earlier 2304 of this bill exists, make sure it did
	 * not settle after all (the platform refuses a second settlement of
	 * a visit) before rejecting. */
	snprintf(refused, sizeof refused, "%s", c.resp.err_msg[0] != '\0' ?
	    c.resp.err_msg : c.err.msg);
	hg_call_free(&c);
	for (i = 0; i < j->nsteps; i++) {
		const struct hg_step *st = &j->steps[i];

		if (!is(st, "2304", HG_STEP_FAILED) ||
		    strcmp(st->msgid, c.msgid) == 0)
			continue;
		query_msgid(j, st->msgid, &q, &found);
		if (found == 1) {
			text = hg_nhsa_json_text(q.resp.root);
			if (hg_steps_answer(j->w->ob, st->msgid, HG_STEP_OK,
			    text, "found by 5203 after a later 2304 was "
			    "refused", &err) == -1) {
				free(text);
				hg_call_free(&q);
				return db_failed(j, &err);
			}
			free(text);
			hg_call_free(&q);
			return R_NEXT;
		}
		hg_call_free(&q);
		if (found == -1) {
			snprintf(j->why, sizeof j->why, "2304 refused (%s); "
			    "checking earlier msgid %s first", refused,
			    st->msgid);
			return R_RETRY;
		}
	}
	return reject(j, refused);
}

/* The latest moment at which a call of one of these infnos whose answer
 * was lost could still be under way at the platform (sent + timeout), or
 * 0.  A killed agent's last request may reach the platform after the
 * new agent started: a delete (2302) sent before that upload lands would
 * let it land afterwards, doubling nothing but leaving an item the bill
 * then uploads again.  So resolutions wait that long. */
static int64_t
in_flight_until(const struct job *j, const char *const *infnos)
{
	const struct hg_platform_conf *pc = &j->w->s->cfg->platform;
	const struct hg_step *st;
	int64_t t, until = 0;
	size_t i, k;

	for (i = 0; i < j->nsteps; i++) {
		st = &j->steps[i];
		if (!unanswered(st))
			continue;
		for (k = 0; infnos[k] != NULL; k++)
			if (strcmp(st->infno, infnos[k]) == 0)
				break;
		if (infnos[k] == NULL)
			continue;
		t = st->sent_ms + hg_platform_timeout(pc, st->infno) +
		    pc->connect_timeout_ms;
		if (t > until)
			until = t;
	}
	return until;
}

static enum res
step(struct job *j, enum hg_settle_action act)
{
	static const char *const uploads[] = { "2301", "2302", NULL };
	static const char *const admit[] = { "2401", NULL };
	static const char *const dscg[] = { "2402", NULL };
	struct hg_settle *s = j->w->s;
	const char *const *wait = NULL;
	int64_t until;

	if (act == HG_ACT_2302)
		wait = uploads;
	else if (act == HG_ACT_2401)
		wait = admit;
	else if (act == HG_ACT_2402)
		wait = dscg;
	if (wait != NULL && (until = in_flight_until(j, wait)) >
	    hg_wall_ms()) {
		snprintf(j->why, sizeof j->why, "waiting until a %s whose "
		    "answer was lost can no longer be under way", wait[0]);
		if (until > j->not_before)
			j->not_before = until;
		return R_RETRY;
	}
	switch (act) {
	case HG_ACT_RESOLVE_2304:
		return do_resolve(j);
	case HG_ACT_FINISH:
		return do_finish(j);
	case HG_ACT_1101:
		return do_1101(j);
	case HG_ACT_2401:
		return do_2401(j);
	case HG_ACT_2302:
		return simple(j, "2302", hg_nhsa_in_2302(j->row.mdtrt_id,
		    j->row.psn_no, "0000"));
	case HG_ACT_2301:
		return do_2301(j);
	case HG_ACT_2402:
		return do_2402(j);
	case HG_ACT_2303:
		return do_2303(j);
	case HG_ACT_2304:
		return do_2304(j);
	}
	(void)s;
	return R_RETRY;
}

/* Has anything that changes the platform's state (2401 onwards) reached
 * it, or may have?  Queries (1101, 2303, 5203) do not count. */
static int
reached(const struct job *j)
{
	const struct hg_step *st;
	size_t i;

	for (i = 0; i < j->nsteps; i++) {
		st = &j->steps[i];
		if (!hg_nhsa_is_query(st->infno) &&
		    strcmp(st->state, HG_STEP_FAILED) != 0)
			return 1;
	}
	return 0;
}

/* Release with backoff.  A bill nothing of which has reached the
 * platform goes back to ready: its content was not sent, so a correction
 * from the source still simply replaces it (instead of waiting for a
 * person as an amendment). */
static int
give_back(struct job *j, int64_t next, struct hg_err *err)
{
	struct hg_outbox *ob = j->w->ob;
	struct hg_step *st = NULL;
	size_t n = 0;
	int back;

	if (strcmp(j->row.state, HG_S_PROGRESS) != 0 ||
	    hg_steps_list(ob, j->row.id, &st, &n, err) == -1)
		return hg_outbox_release(ob, j->row.id, next, j->why, err);
	hg_steps_free(j->steps, j->nsteps);
	j->steps = st;
	j->nsteps = n;
	back = !reached(j);
	if (!back)
		return hg_outbox_release(ob, j->row.id, next, j->why, err);
	if (hg_outbox_begin(ob, err) == -1)
		return -1;
	if (hg_outbox_release(ob, j->row.id, next, j->why, err) == -1 ||
	    hg_outbox_set_state(ob, j->row.id, HG_S_PROGRESS, HG_S_READY,
	    "nothing has reached the platform yet; waiting as ready",
	    err) == -1 || hg_outbox_commit(ob, err) == -1) {
		hg_outbox_rollback(ob);
		return -1;
	}
	return 0;
}

/* Settle one claimed bill as far as it goes now. */
static void
work(struct worker *w, struct hg_row *row)
{
	struct hg_settle *s = w->s;
	struct hg_settle_view v;
	enum hg_settle_action act, prev = HG_ACT_FINISH;
	struct job j;
	struct hg_err err;
	enum res rv = R_NEXT;
	int orphans = 0, rounds, repeats = 0;
	int64_t next;

	memset(&j, 0, sizeof j);
	j.w = w;
	j.row = *row;
	memset(row, 0, sizeof *row);
	if (hg_bill_from_json(j.row.bill_json, &j.bill, &err) == -1) {
		char why[HG_ERRLEN + 64];

		snprintf(why, sizeof why, "the stored bill cannot be read: %s",
		    err.msg);
		j.bill = hg_bill_new();
		rv = reject(&j, why);
		goto out;
	}
	if (hg_steps_orphans(w->ob, j.row.id, &orphans, &err) == -1) {
		rv = db_failed(&j, &err);
		goto out;
	}
	if (orphans > 0)
		log_notice(COMP, "bill %lld: %d call%s without a recorded "
		    "answer (the agent stopped); resolving before anything is "
		    "sent again", j.row.id, orphans, orphans == 1 ? "" : "s");
	/* What the HIS already knows saves calls: its own mdtrt_id, or a
	 * person it identified (psn_no with the insured region). */
	if (j.row.mdtrt_id == NULL && j.bill->mdtrt_id != NULL &&
	    j.bill->mdtrt_id[0] != '\0') {
		if (hg_steps_set_mdtrt(w->ob, j.row.id, w->owner,
		    j.bill->mdtrt_id, &err) == -1) {
			rv = db_failed(&j, &err);
			goto out;
		}
		hg_set_str(&j.row.mdtrt_id, j.bill->mdtrt_id);
	}
	if (j.row.psn_no == NULL && j.bill->psn_no != NULL &&
	    j.bill->insuplc_admdvs != NULL && j.bill->insutype != NULL) {
		if (hg_steps_set_person(w->ob, j.row.id, w->owner,
		    j.bill->psn_no, j.bill->insuplc_admdvs, &err) == -1) {
			rv = db_failed(&j, &err);
			goto out;
		}
		hg_set_str(&j.row.psn_no, j.bill->psn_no);
		hg_set_str(&j.row.insuplc_admdvs, j.bill->insuplc_admdvs);
	}
	for (rounds = 0; rounds < MAX_ROUNDS; rounds++) {
		if (stopping(s)) {
			snprintf(j.why, sizeof j.why, "agent stopping");
			rv = R_RETRY;
			break;
		}
		hg_steps_free(j.steps, j.nsteps);
		j.steps = NULL;
		j.nsteps = 0;
		if (hg_steps_list(w->ob, j.row.id, &j.steps, &j.nsteps,
		    &err) == -1) {
			rv = db_failed(&j, &err);
			break;
		}
		if (j.row.psn_no != NULL && j.insutype[0] == '\0')
			person_from_journal(&j);
		fill_bill(&j);
		hg_settle_view(&j.row, j.bill, j.steps, j.nsteps, &j.memo,
		    &v);
		act = hg_settle_next(&v);
		/* Only uploads repeat by design; any other step coming back
		 * at once means the journal does not move: stop and tell. */
		repeats = act == prev && act != HG_ACT_2301 ? repeats + 1 : 0;
		if (repeats >= 3) {
			snprintf(j.why, sizeof j.why, "no progress at step %s",
			    hg_settle_action_name(act));
			log_error(COMP, "bill %lld: %s", j.row.id, j.why);
			rv = R_RETRY;
			break;
		}
		prev = act;
		/* in_doubt with nothing left in doubt (the resolution was
		 * recorded but the agent stopped before saying so) */
		if (act != HG_ACT_RESOLVE_2304 && act != HG_ACT_FINISH &&
		    strcmp(j.row.state, HG_S_INDOUBT) == 0) {
			if (hg_steps_undoubt(w->ob, j.row.id, w->owner, "no "
			    "settlement in doubt any more", &err) == -1) {
				rv = db_failed(&j, &err);
				break;
			}
			hg_set_str(&j.row.state, HG_S_PROGRESS);
		}
		log_debug(COMP, "bill %lld: %s", j.row.id,
		    hg_settle_action_name(act));
		if ((rv = step(&j, act)) != R_NEXT)
			break;
	}
	if (rv == R_NEXT) {
		snprintf(j.why, sizeof j.why, "too many steps");
		rv = R_RETRY;
	}
out:
	if (rv == R_DONE)
		w->fails = 0;
	if (rv == R_RETRY) {
		next = hg_wall_ms();
		if (strcmp(j.why, "agent stopping") != 0)
			next += hg_backoff_ms(s->cfg->settle.backoff_base_ms,
			    s->cfg->settle.backoff_cap_ms, j.row.attempts,
			    rnd(w));
		if (next < j.not_before)
			next = j.not_before;
		if (give_back(&j, next, &err) == -1)
			log_error(COMP, "bill %lld: cannot give it back (its "
			    "lease will run out): %s", j.row.id, err.msg);
	}
	hg_steps_free(j.steps, j.nsteps);
	hg_settle_memo_free(&j.memo);
	hg_bill_free(j.bill);
	hg_row_free(&j.row);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct hg_settle *s = w->s;
	struct hg_row row;
	struct hg_err err;
	int64_t pause;
	int r;

	while (!stopping(s)) {
		if (w->ob == NULL) {
			if (hg_outbox_open(s->cfg->agent.outbox, 0, &w->ob,
			    &err) == -1) {
				hg_complain(&w->c_ob, HG_LOG_ERR, COMP, "cannot "
				    "open the outbox: %s", err.msg);
				w->ob = NULL;
				nap(s, 5000);
				continue;
			}
			hg_complain_release(&w->c_ob, COMP, "outbox open");
			hg_steps_worker_mode(w->ob, s->group);
		}
		r = LOCKED(w, hg_outbox_claim(w->ob, w->owner, hg_wall_ms(),
		    s->cfg->settle.lease_ms, &row, &err));
		if (r == -1) {
			hg_complain(&w->c_ob, HG_LOG_ERR, COMP, "claim: %s",
			    err.msg);
			die_of_disk(s, err.msg);
			nap(s, 1000);
			continue;
		}
		if (r == 0) {
			nap(s, IDLE_MS);
			continue;
		}
		work(w, &row);
		if (w->fails == 0) {
			hg_complain_release(&w->c_net, COMP, "the platform "
			    "answers again");
		} else {
			/* The platform is failing: this worker slows down
			 * too, or an outage would spin through every bill. */
			pause = hg_backoff_ms(s->cfg->settle.backoff_base_ms,
			    s->cfg->settle.backoff_cap_ms, w->fails - 1,
			    rnd(w));
			nap(s, pause);
		}
	}
	return NULL;
}

int
hg_settle_platform_init(const struct hg_config *cfg,
    struct hg_platform_shared *sh, struct hg_err *err)
{
	struct hg_nhsa_hdr hdr;
	char *state;
	int rc;

	memset(&hdr, 0, sizeof hdr);
	hdr.mdtrtarea_admvs = cfg->agent.admdvs;
	hdr.fixmedins_code = cfg->agent.fixmedins_code;
	hdr.fixmedins_name = cfg->agent.fixmedins_name;
	/* one sequence for every process of this outbox (daemon and CLI) */
	state = hg_xasprintf("%s.msgid", cfg->agent.outbox);
	rc = hg_platform_shared_init(sh, &cfg->platform, &hdr, state, err);
	free(state);
	return rc;
}

int
hg_settle_start(const struct hg_config *cfg, struct hg_settle **out,
    struct hg_err *err)
{
	struct hg_settle *s;
	struct hg_outbox *ob = NULL;
	unsigned char r[8];
	size_t i;
	int n = 0;

	*out = NULL;
	if (!cfg->settle.enabled)
		return 0;
	s = hg_xcalloc(1, sizeof *s);
	s->cfg = cfg;
	if (gethostname(s->host, sizeof s->host) == -1)
		snprintf(s->host, sizeof s->host, "localhost");
	s->host[sizeof s->host - 1] = '\0';
	for (i = 0; s->host[i] != '\0'; i++)
		if (s->host[i] == ':')
			s->host[i] = '_';
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0, sizeof r);
	snprintf(s->nonce, sizeof s->nonce, "%02x%02x%02x%02x%02x%02x", r[0],
	    r[1], r[2], r[3], (unsigned)getpid() & 0xff, r[4]);
	if (hg_settle_platform_init(cfg, &s->sh, err) == -1) {
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_init(&s->dblock, NULL);
	s->group = hg_group_new(NULL);
	hg_bucket_init(&s->bucket, cfg->settle.rate_per_sec, hg_now_ms());
	/* Bills held by an agent of this host that is gone (killed, power
	 * cut) are taken back now rather than after lease_ms. */
	if (hg_outbox_open(cfg->agent.outbox, 0, &ob, err) == 0) {
		if (hg_steps_reap(ob, s->host, s->nonce, &n, err) == -1)
			log_warn(COMP, "cannot release stale leases: %s",
			    err->msg);
		else if (n > 0)
			log_notice(COMP, "took back %d bill%s from an agent "
			    "that stopped", n, n == 1 ? "" : "s");
		hg_outbox_close(ob);
	}
	s->nw = (size_t)cfg->settle.workers;
	s->w = hg_xcalloc(s->nw, sizeof *s->w);
	for (i = 0; i < s->nw; i++) {
		struct worker *w = &s->w[i];

		w->s = s;
		w->idx = (int)i;
		snprintf(w->owner, sizeof w->owner, "%s:%ld:%s:settle-%zu",
		    s->host, (long)getpid(), s->nonce, i + 1);
		w->rng = ((uint64_t)r[5] << 40 | (uint64_t)r[6] << 20 |
		    r[7]) ^ (uint64_t)hg_wall_ms() ^ ((uint64_t)(i + 1) <<
		    52) ^ 0x9e3779b97f4a7c15ULL;
		if ((w->p = hg_platform_new(&s->sh, err)) == NULL)
			goto fail;
		/* opened here, not in the thread: hg_outbox_open changes
		 * the umask while it runs */
		if (hg_outbox_open(cfg->agent.outbox, 0, &w->ob, err) == -1)
			w->ob = NULL;
		else
			hg_steps_worker_mode(w->ob, s->group);
	}
	for (i = 0; i < s->nw; i++) {
		if (pthread_create(&s->w[i].thread, NULL, worker_main,
		    &s->w[i]) != 0) {
			hg_fail(err, "cannot start settlement worker %zu",
			    i + 1);
			goto fail;
		}
		s->w[i].started = 1;
	}
	log_notice(COMP, "settling with %s: %zu worker%s", cfg->platform.url,
	    s->nw, s->nw == 1 ? "" : "s");
	*out = s;
	return 0;
fail:
	hg_settle_stop(s);
	return -1;
}

int
hg_settle_fatal(struct hg_settle *s)
{
	int v;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->lock);
	v = s->fatal;
	pthread_mutex_unlock(&s->lock);
	return v;
}

void
hg_settle_stop(struct hg_settle *s)
{
	size_t i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < s->nw; i++) {
		if (s->w[i].started)
			pthread_join(s->w[i].thread, NULL);
		hg_platform_free(s->w[i].p);
		hg_outbox_close(s->w[i].ob);
	}
	free(s->w);
	log_info(COMP, "stopped; %llu journal syncs",
	    (unsigned long long)hg_group_syncs(s->group));
	hg_bucket_destroy(&s->bucket);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->dblock);
	hg_group_free(s->group);
	hg_platform_shared_destroy(&s->sh);
	free(s);
}
