/* One journalled call (settle_int.h): the rate limit, the "sent" record
 * that reaches the disk before a call that changes the platform leaves,
 * its answer, and what a failure means for the bill. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/notify_wd.h"
#include "agent/settle_int.h"
#include "lib/jsonx.h"

int
hs_stopping(struct hg_settle *s)
{
	int v;

	pthread_mutex_lock(&s->lock);
	v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Sleep up to ms unless asked to stop; returns stopping. */
int
hs_nap(struct hg_settle *s, int64_t ms)
{
	struct timespec ts;
	int v;

	hg_beat("settle", ms);
	hg_deadline(&ts, ms);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->lock,
	    &ts) != ETIMEDOUT)
		;
	v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Kicks wait on their own condition: a signal meant for an idle worker
 * must not be spent on one napping out a backoff. */
int
hs_idle(struct worker *w, int64_t ms)
{
	struct hg_settle *s = w->s;
	struct timespec ts;
	int v;

	hg_beat("settle", ms);
	hg_deadline(&ts, ms);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && s->kicks == w->kicks_seen &&
	    pthread_cond_timedwait(&s->kick, &s->lock, &ts) != ETIMEDOUT)
		;
	w->kicks_seen = s->kicks;
	v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}

void
hg_settle_kick(struct hg_settle *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->kicks++;
	pthread_cond_signal(&s->kick);
	pthread_mutex_unlock(&s->lock);
}

/* The workers of one agent take turns at the outbox's write lock on a
 * mutex.  SQLite serialises them anyway, but its busy handler sleeps 1, 2,
 * 5, 10 ... ms between tries, and two workers that keep meeting at the
 * lock (every call writes twice) starve each other for tens of
 * milliseconds; a mutex hands the lock over at once.  Nothing depends on
 * it for correctness: a write outside it (a rarer path, the intake, the
 * CLI) still meets SQLite's lock and its busy handler. */
void
hs_db_lock(struct worker *w)
{
	pthread_mutex_lock(&w->s->dblock);
}

int
hs_db_unlock(struct worker *w, int rc)
{
	pthread_mutex_unlock(&w->s->dblock);
	return rc;
}

/* HS_LOCKED(w, hg_steps_...(...)): that write between db_lock and db_unlock */


/* A sync of the outbox failed (hg_outbox_sync_failed): the kernel may
 * have dropped writes that no later fsync reports, so nothing is sent any
 * more, and the daemon stops (exit 1: systemd starts it again, and a
 * fresh process reads back what really is on disk), as other careful
 * daemons do rather than guess.  Once, whichever worker sees it first;
 * 1 when it is so. */
int
hs_die_of_disk(struct hg_settle *s, const char *why)
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
	if (HS_LOCKED(j->w, hg_steps_sent(j->w->ob, j->row.id, j->w->owner,
	    hg_wall_ms() + s->cfg->settle.lease_ms, keep, NULL, infno, msgid,
	    request, err)) == -1) {
		hs_die_of_disk(s, err->msg);
		return -1;
	}
	if (!hg_nhsa_is_query(infno) && hg_steps_durable(j->w->ob,
	    err) == -1) {
		hs_die_of_disk(s, err->msg);
		return -1;
	}
	/* a sync that failed anywhere in the meantime may have lost this
	 * record, even though ours did not say so */
	if (hs_die_of_disk(s, "while a call was journalled"))
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
	if (HS_LOCKED(j->w, hg_steps_answer(j->w->ob, msgid, state, response,
	    err_msg, &err)) == -1)
		log_error(COMP, "bill %lld: cannot record the answer to %s "
		    "(%s): %s", j->row.id, msgid, state, err.msg);
}

/* A journalled call, after the rate limit. */
enum hg_call_outcome
hs_call(struct job *j, const char *infno, struct json_object *in,
    struct hg_call *c)
{
	struct hg_settle *s = j->w->s;
	struct hg_journal jr = { j_sent, j_answered, j };
	int64_t wait;

	while ((wait = hg_bucket_take(&s->bucket, hg_now_ms())) > 0) {
		if (hs_nap(s, wait)) {
			json_object_put(in);
			memset(c, 0, sizeof *c);
			snprintf(c->infno, sizeof c->infno, "%s", infno);
			hg_failt(&c->err, "stopping");
			return c->outcome = HG_CALL_NOTSENT;
		}
	}
	hg_beat("settle", hg_platform_timeout(&s->cfg->platform, infno) +
	    s->cfg->platform.connect_timeout_ms);
	return hg_platform_call(j->w->p, infno, j->insuplc[0] != '\0' ?
	    j->insuplc : NULL, in, &jr, c);
}

/* The platform's texts may quote the patient's name ("人员姓名[王芳]
 * 与..."); logs get it masked like everywhere else.  Returns buf. */
const char *
hs_scrub(const struct job *j, const char *msg, char *buf, size_t len)
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

/* The bill ends in state `to` (rejected, needs_person) with why. */
static enum res
end_as(struct job *j, const char *to, const char *why)
{
	char safe[HG_ERRLEN];
	struct hg_err err;
	char name[64];
	int rc;

	if (strcmp(to, HG_S_REJECTED) == 0)
		rc = hg_steps_rejected(j->w->ob, j->row.id, j->w->owner, why,
		    &err);
	else
		rc = hg_steps_needs_person(j->w->ob, j->row.id, j->w->owner,
		    why, &err);
	if (rc == -1) {
		snprintf(j->why, sizeof j->why, "%s", err.msg);
		return err.kind == HG_EPERM ? R_LOST : R_RETRY;
	}
	hg_mask_name(j->bill->psn_name ? j->bill->psn_name : "", name,
	    sizeof name);
	log_warn(COMP, "bill %lld (%s, %s) %s: %s", j->row.id, name,
	    j->row.ipt_no ? j->row.ipt_no : "-", to,
	    hs_scrub(j, why, safe, sizeof safe));
	return R_DONE;
}

enum res
hs_reject(struct job *j, const char *why)
{
	return end_as(j, HG_S_REJECTED, why);
}

enum res
hs_needs_person(struct job *j, const char *why)
{
	char text[HG_ERRLEN];

	snprintf(text, sizeof text, "%s; every call and its answer: hisgate "
	    "queue show %lld; then hisgate queue retry %lld", why, j->row.id,
	    j->row.id);
	return end_as(j, HG_S_PERSON, text);
}

/* What a call that did not succeed means for the bill. */
enum res
hs_failed(struct job *j, struct hg_call *c)
{
	char safe[HG_ERRLEN];

	switch (c->outcome) {
	case HG_CALL_OK:
		break;
	case HG_CALL_REFUSED:
		j->w->fails = 0;
		return hs_reject(j, c->have_resp && c->resp.err_msg[0] != '\0' ?
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
		    j->row.id, hs_scrub(j, c->err.msg, safe, sizeof safe));
		break;
	}
	snprintf(j->why, sizeof j->why, "%s", c->err.msg);
	return R_RETRY;
}

int
hs_db_failed(struct job *j, const struct hg_err *err)
{
	snprintf(j->why, sizeof j->why, "%s", err->msg);
	log_error(COMP, "bill %lld: %s", j->row.id, err->msg);
	hs_die_of_disk(j->w->s, err->msg);
	return err->kind == HG_EPERM ? R_LOST : R_RETRY;
}
