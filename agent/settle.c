/* The settler's worker loop (see settle.h, settle_int.h for the other
 * files): claim a bill, walk it through the steps the journal calls for,
 * give it back with backoff when it cannot go on now; start and stop.
 *
 * Exactly once, in practice:
 *  - every call is journalled ("sent", committed) before it leaves, and
 *    the journal write also renews the worker's lease, so a worker that
 *    lost its bill to another can no longer send anything for it;
 *  - on every claim, steps still "sent" are marked "unknown" (their
 *    worker died), and what to do next is decided from the journal alone
 *    (hg_settle_next), never from memory;
 *  - a call whose answer was lost is resolved by asking the platform
 *    before anything is sent again (settle_lost.c). */
#include "config.h"

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/notify_wd.h"
#include "agent/audit.h"
#include "agent/settle_int.h"
#include "lib/xmalloc.h"

/* With nothing claimable, a worker sleeps until the next bill waiting
 * out its backoff falls due or a kick (hg_settle_kick: the intake
 * committed bills).  What another process did (a person's queue retry,
 * a lease of an agent that died) is seen by the first worker within
 * LOOK_MS, by the others within REST_MS: an idle agent wakes rarely. */
#define LOOK_MS		3000
#define REST_MS		60000
#define DUE_SLACK_MS	5	/* sleep past the due time, not just short of it */
#define MAX_ROUNDS	4000	/* steps per claim, against a runaway loop */

static uint64_t
rnd(struct worker *w)
{
	/* xorshift64*: jitter only, not security */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
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
		rv = hs_reject(&j, why);
		goto out;
	}
	/* the pre-settlement audit (agent/audit.c) may hold it here */
	if ((orphans = HS_LOCKED(w, hg_audit_gate(w->ob, s->cfg, &j.row,
	    j.bill, &err))) != 0) {
		rv = orphans == 1 ? R_DONE : hs_db_failed(&j, &err);
		goto out;
	}
	if (hg_steps_orphans(w->ob, j.row.id, &orphans, &err) == -1) {
		rv = hs_db_failed(&j, &err);
		goto out;
	}
	/* the bounds on tries count from when a person last sent the bill
	 * back (queue retry of a needs_person bill) */
	if (hg_steps_person_ms(w->ob, j.row.id, &j.memo.since_ms,
	    &err) == -1) {
		rv = hs_db_failed(&j, &err);
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
			rv = hs_db_failed(&j, &err);
			goto out;
		}
		hg_set_str(&j.row.mdtrt_id, j.bill->mdtrt_id);
	}
	if (j.row.psn_no == NULL && j.bill->psn_no != NULL &&
	    j.bill->insuplc_admdvs != NULL && j.bill->insutype != NULL) {
		if (hg_steps_set_person(w->ob, j.row.id, w->owner,
		    j.bill->psn_no, j.bill->insuplc_admdvs, &err) == -1) {
			rv = hs_db_failed(&j, &err);
			goto out;
		}
		hg_set_str(&j.row.psn_no, j.bill->psn_no);
		hg_set_str(&j.row.insuplc_admdvs, j.bill->insuplc_admdvs);
	}
	for (rounds = 0; rounds < MAX_ROUNDS; rounds++) {
		if (hs_stopping(s)) {
			snprintf(j.why, sizeof j.why, "agent stopping");
			rv = R_RETRY;
			break;
		}
		hg_steps_free(j.steps, j.nsteps);
		j.steps = NULL;
		j.nsteps = 0;
		if (hg_steps_list(w->ob, j.row.id, &j.steps, &j.nsteps,
		    &err) == -1) {
			rv = hs_db_failed(&j, &err);
			break;
		}
		if (j.row.psn_no != NULL && j.insutype[0] == '\0')
			hs_person_from_journal(&j);
		if ((rv = hs_mdtrt_from_journal(&j)) != R_NEXT)
			break;
		hs_fill_bill(&j);
		hg_settle_view(&j.row, j.bill, j.steps, j.nsteps, &j.memo,
		    &v);
		hg_settle_late(&v, hs_late_ms(&j));
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
				rv = hs_db_failed(&j, &err);
				break;
			}
			hg_set_str(&j.row.state, HG_S_PROGRESS);
		}
		log_debug(COMP, "bill %lld: %s", j.row.id,
		    hg_settle_action_name(act));
		if ((rv = hs_step(&j, act)) != R_NEXT)
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
		/* a bill given back because the agent stops waits for no
		 * backoff: asked of the settler, not read from why */
		if (!hs_stopping(s))
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

/* How long a worker that found nothing to claim may sleep. */
static int64_t
idle_ms(struct worker *w)
{
	struct hg_err err;
	int64_t now, due, ms = w->idx == 0 ? LOOK_MS : REST_MS;

	now = hg_wall_ms();
	if (hg_outbox_next_due(w->ob, now, &due, &err) == -1) {
		log_debug(COMP, "when is the next bill due: %s", err.msg);
		return LOOK_MS;
	}
	/* due in the past but not claimed: an older bill of the same
	 * patient holds it back, and the worker that ends that one looks
	 * again at once */
	if (due > now && due - now + DUE_SLACK_MS < ms)
		ms = due - now + DUE_SLACK_MS;
	return ms;
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

	while (!hs_stopping(s)) {
		hg_beat("settle", 0);
		if (w->ob == NULL) {
			if (hg_outbox_open(s->cfg->agent.outbox, 0, &w->ob,
			    &err) == -1) {
				hg_complain(&w->c_ob, HG_LOG_ERR, COMP, "cannot "
				    "open the outbox: %s", err.msg);
				w->ob = NULL;
				hs_nap(s, 5000);
				continue;
			}
			hg_complain_release(&w->c_ob, COMP, "outbox open");
			hg_steps_worker_mode(w->ob, s->group);
		}
		r = HS_LOCKED(w, hg_outbox_claim(w->ob, w->owner, hg_wall_ms(),
		    s->cfg->settle.lease_ms, &row, &err));
		if (r == -1) {
			hg_complain(&w->c_ob, HG_LOG_ERR, COMP, "claim: %s",
			    err.msg);
			hs_die_of_disk(s, err.msg);
			hs_nap(s, 1000);
			continue;
		}
		if (r == 0) {
			hs_idle(w, idle_ms(w));
			continue;
		}
		/* there may be more: let another idle worker look */
		hg_settle_kick(s);
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
			hs_nap(s, pause);
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
	pthread_cond_init(&s->kick, NULL);
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
	pthread_cond_broadcast(&s->kick);
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
	pthread_cond_destroy(&s->kick);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->dblock);
	hg_group_free(s->group);
	hg_platform_shared_destroy(&s->sh);
	free(s);
}

