#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/intake.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

struct job;

struct intake_sink {
	struct hg_sink	 sink;		/* first: the adapter sees this */
	struct hg_intake *in;
	struct hg_outbox *ob;		/* used by one thread at a time */
	char		*adapter;
	/* async: the committer thread and its queue */
	pthread_t	 thread;
	int		 started;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	*head, *tail;
	size_t		 queued;
	int		 busy, stop, failed;
	struct hg_err	 ferr;
};

static int
load_mapping(const char *path, struct hg_mapping **out, struct hg_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		/* No table yet is a normal first day: every code the HIS does
		 * not already carry is then reported as 未对码. */
		*out = hg_mapping_empty();
		return 0;
	}
	return hg_mapping_load(path, out, err);
}

int
hg_intake_init(struct hg_intake *in, const struct hg_config *cfg,
    struct hg_err *err)
{
	int64_t tol;

	memset(in, 0, sizeof *in);
	in->cfg = cfg;
	hg_validate_defaults(&in->vopts);
	if (hg_dec_parse("validate.amount_tolerance",
	    cfg->validate.amount_tolerance, 6, &tol, err) < 0)
		return -1;
	in->vopts.tolerance_micro = tol;
	in->vopts.after_discharge_hours = cfg->validate.after_discharge_hours;
	if (load_mapping(cfg->agent.mapping_file, &in->map, err) < 0)
		return -1;
	pthread_rwlock_init(&in->lock, NULL);
	return 0;
}

int
hg_intake_reload(struct hg_intake *in, struct hg_err *err)
{
	struct hg_mapping *fresh, *old;

	/* Not load_mapping: on reload a missing file is a failure, not an
	 * empty table.  A table being replaced (removed, then renamed in)
	 * must not turn every new bill into 未对码; the old one stays. */
	if (hg_mapping_load(in->cfg->agent.mapping_file, &fresh, err) < 0)
		return -1;
	/* A file caught half-copied (cp or > truncate it first) reads as
	 * an empty table: keep the old one rather than unmap every fee.
	 * Emptying a table on purpose takes a restart. */
	if (hg_mapping_size(fresh) == 0 && hg_mapping_size(in->map) > 0) {
		hg_mapping_free(fresh);
		return hg_fail(err, "%s: no codes (is it being copied?); "
		    "to empty the table on purpose, restart hisgate",
		    in->cfg->agent.mapping_file);
	}
	pthread_rwlock_wrlock(&in->lock);
	old = in->map;
	in->map = fresh;
	pthread_rwlock_unlock(&in->lock);
	hg_mapping_free(old);
	log_notice("intake", "mapping %s reloaded: %zu codes",
	    in->cfg->agent.mapping_file, hg_mapping_size(fresh));
	return 0;
}

void
hg_intake_destroy(struct hg_intake *in)
{
	if (in->map == NULL)
		return;
	hg_mapping_free(in->map);
	in->map = NULL;
	pthread_rwlock_destroy(&in->lock);
}

char *
hg_problems_text(const struct hg_bill *b, const struct hg_problem *p,
    size_t n)
{
	size_t i, len = 0, off = 0;
	char col[128], name[200];
	const char *c;
	char *s;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(p[i].msg) + sizeof name + 32;
	s = hg_xmalloc(len + 1);
	for (i = 0; i < n; i++) {
		c = hg_bill_column(b, strcmp(p[i].field, "maindiag_flag") == 0 ?
		    "diag_code" : p[i].field, col, sizeof col);
		if (c != NULL)
			snprintf(name, sizeof name, "%s (%s)", c, p[i].field);
		else
			snprintf(name, sizeof name, "%s", p[i].field);
		if (p[i].line > 0)
			off += (size_t)snprintf(s + off, len + 1 - off,
			    "%sline %d: %s: %s", i ? "\n" : "", p[i].line,
			    name, p[i].msg);
		else
			off += (size_t)snprintf(s + off, len + 1 - off,
			    "%s%s: %s", i ? "\n" : "", name, p[i].msg);
	}
	return s;
}

static void
fill_defaults(const struct hg_config *cfg, struct hg_bill *b)
{
	if (b->fixmedins_code == NULL)
		hg_set_str(&b->fixmedins_code, cfg->agent.fixmedins_code);
	if (b->fixmedins_name == NULL && cfg->agent.fixmedins_name[0] != '\0')
		hg_set_str(&b->fixmedins_name, cfg->agent.fixmedins_name);
	if (b->admdvs == NULL)
		hg_set_str(&b->admdvs, cfg->agent.admdvs);
	if (b->psn_cert_type == NULL)
		hg_set_str(&b->psn_cert_type, "01");
	if (b->med_type == NULL)
		hg_set_str(&b->med_type, "21");
}

/* What the adapter could not read stays a problem of the bill until a
 * corrected export replaces it: a replay cannot fix the source. */
static size_t
source_problems(const struct hg_bill *b, struct hg_problem **probs,
    size_t *nprobs)
{
	const char *p, *e, *t1, *t2;
	char field[40];
	size_t n = 0;

	for (p = b->problems; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		t1 = memchr(p, '\t', (size_t)(e - p));
		t2 = t1 != NULL ? memchr(t1 + 1, '\t', (size_t)(e - t1 - 1)) :
		    NULL;
		if (t2 == NULL)
			continue;
		snprintf(field, sizeof field, "%.*s", (int)(t2 - t1 - 1),
		    t1 + 1);
		hg_problem_add(probs, nprobs, atoi(p), field, "%.*s",
		    (int)(e - t2 - 1), t2 + 1);
		n++;
	}
	return n;
}

size_t
hg_intake_check(struct hg_intake *in, struct hg_bill *b,
    struct hg_problem **probs, size_t *nprobs)
{
	size_t n;

	n = source_problems(b, probs, nprobs);
	fill_defaults(in->cfg, b);
	pthread_rwlock_rdlock(&in->lock);
	n += hg_mapping_apply(in->map, b, probs, nprobs);
	pthread_rwlock_unlock(&in->lock);
	n += hg_validate(b, &in->vopts, probs, nprobs);
	return n;
}

/* One batch of bills, ready to be written: everything computed, only
 * SQLite left.  Owns its strings. */
struct job {
	struct job	*next;
	struct hg_put	*puts;
	char		**own;		/* strings the puts point into */
	size_t		 n, nown;
	char		*cursor;
	char		*key, *keyhash;	/* sink.idem_key, idem_hash */
};

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nown; i++)
		free(j->own[i]);
	free(j->own);
	free(j->puts);
	free(j->cursor);
	free(j->key);
	free(j->keyhash);
	free(j);
}

static const char *
own(struct job *j, char *s)
{
	j->own[j->nown++] = s;
	return s;
}

/* Hash, map, validate and serialise: the CPU part of a commit, done in
 * the adapter's thread. */
static struct job *
prepare(struct intake_sink *is, struct hg_bill *const *bills, size_t n,
    const char *cursor, struct hg_verdict *v, struct hg_err *err)
{
	struct job *j = hg_xcalloc(1, sizeof *j);
	char hash[65];
	size_t i;

	j->puts = hg_xcalloc(n ? n : 1, sizeof *j->puts);
	j->own = hg_xcalloc(n ? 6 * n : 1, sizeof *j->own);
	j->n = n;
	j->cursor = cursor != NULL ? hg_xstrdup(cursor) : NULL;
	if (is->sink.idem_key != NULL && is->sink.idem_hash != NULL &&
	    n == 1) {
		j->key = hg_xstrdup(is->sink.idem_key);
		j->keyhash = hg_xstrdup(is->sink.idem_hash);
	}
	for (i = 0; i < n; i++) {
		struct hg_bill *b = bills[i];
		struct hg_put *put = &j->puts[i];

		/* the hash is of the bill as the source gave it: a mapping
		 * change is not a new version of the record */
		hg_bill_hash(b, hash);
		if (b->adapter == NULL)
			hg_set_str(&b->adapter, is->adapter);
		hg_intake_check(is->in, b, &v[i].problems, &v[i].nproblems);
		v[i].state = v[i].nproblems ? HG_V_INVALID : HG_V_READY;
		if (is->sink.dry)
			continue;
		if (b->source_key == NULL || b->source_key[0] == '\0') {
			hg_fail(err, "adapter %s handed over a bill without a "
			    "source key (line %d)", is->adapter, b->line);
			job_free(j);
			return NULL;
		}
		put->adapter = is->adapter;
		put->source_key = own(j, hg_xstrdup(b->source_key));
		put->hash = own(j, hg_xstrdup(hash));
		/* the source's column names are for messages: a valid bill
		 * needs none, an invalid one keeps them for replay */
		if (v[i].nproblems == 0)
			hg_sfree(b->columns);
		else if (b->columns == NULL && is->sink.columns != NULL)
			hg_set_str(&b->columns, is->sink.columns);
		put->bill_json = own(j, hg_bill_to_json(b));
		put->state = v[i].nproblems ? HG_S_INVALID : HG_S_READY;
		put->reasons = v[i].nproblems ? own(j, hg_problems_text(b,
		    v[i].problems, v[i].nproblems)) : NULL;
		put->patient_key = own(j, hg_xstrdup(b->certno ? b->certno :
		    b->source_key));
		put->ipt_no = b->ipt_no ? own(j, hg_xstrdup(b->ipt_no)) : NULL;
		put->total = b->has_total ? b->total : hg_bill_sum(b);
	}
	return j;
}

/* The SQLite part: one transaction with the cursor (and the
 * Idempotency-Key of a pushed bill). */
static int
write_job(struct intake_sink *is, const struct job *j, struct hg_verdict *v,
    struct hg_err *err)
{
	enum hg_put_outcome outcome;
	long long id = 0;
	size_t i;

	if (hg_outbox_begin(is->ob, err) < 0)
		return -1;
	for (i = 0; i < j->n; i++) {
		if (hg_outbox_put(is->ob, &j->puts[i], &outcome, &id, err) < 0)
			goto fail;
		if (outcome == HG_PUT_AMENDED)
			log_notice(is->adapter, "%s: bill %lld changed after it "
			    "was sent to the platform; it is held for a person "
			    "(hisgate queue show %lld)", j->puts[i].source_key,
			    id, id);
		if (v == NULL)
			continue;
		v[i].bill_id = id;
		switch (outcome) {
		case HG_PUT_SAME: v[i].state = HG_V_SAME; break;
		case HG_PUT_REPLACED: v[i].state = HG_V_REPLACED; break;
		case HG_PUT_AMENDED: v[i].state = HG_V_AMENDED; break;
		case HG_PUT_NEW: break;
		}
	}
	if (j->key != NULL && hg_outbox_key_put(is->ob, is->adapter, j->key,
	    j->keyhash, id, err) < 0)
		goto fail;
	if (j->cursor != NULL && hg_outbox_set_cursor(is->ob, is->adapter,
	    j->cursor, err) < 0)
		goto fail;
	if (hg_outbox_commit(is->ob, err) < 0)
		goto fail;
	if (j->n > 0 && is->in->committed != NULL)
		is->in->committed(is->in->committed_arg);
	return 0;
fail:
	hg_outbox_rollback(is->ob);
	return -1;
}

/* The background committer of an async sink: jobs in order; after a
 * failure the ones behind it are dropped until the adapter has heard of
 * it (it reads its source again). */
static void *
committer(void *arg)
{
	struct intake_sink *is = arg;
	struct hg_err err;
	struct job *j;
	int rc, skip;

	pthread_mutex_lock(&is->mu);
	for (;;) {
		while (is->head == NULL && !is->stop)
			pthread_cond_wait(&is->cv, &is->mu);
		if (is->head == NULL)
			break;
		j = is->head;
		is->head = j->next;
		if (is->head == NULL)
			is->tail = NULL;
		is->queued--;
		is->busy = 1;
		skip = is->failed;
		pthread_mutex_unlock(&is->mu);
		rc = skip ? 0 : write_job(is, j, NULL, &err);
		job_free(j);
		pthread_mutex_lock(&is->mu);
		is->busy = 0;
		if (rc < 0 && !is->failed) {
			is->failed = 1;
			is->ferr = err;
		}
		pthread_cond_broadcast(&is->cv);
	}
	pthread_mutex_unlock(&is->mu);
	return NULL;
}

/* Wait for the queue to drain; report (and forget) a failure. */
static int
drain(struct intake_sink *is, struct hg_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&is->mu);
	while (is->queued > 0 || is->busy)
		pthread_cond_wait(&is->cv, &is->mu);
	if (is->failed) {
		if (err != NULL)
			*err = is->ferr;
		is->failed = 0;
		rc = -1;
	}
	pthread_mutex_unlock(&is->mu);
	return rc;
}

#define QUEUE_MAX	1	/* batches waiting: bounds memory */

static int
sink_commit(struct hg_sink *sink, struct hg_bill *const *bills, size_t n,
    const char *cursor, struct hg_verdict *v, struct hg_err *err)
{
	struct intake_sink *is = (struct intake_sink *)sink;
	struct job *j;
	int rc;

	memset(v, 0, n * sizeof *v);
	j = prepare(is, bills, n, cursor, v, err);
	if (j == NULL)
		goto fail;
	if (sink->dry) {
		job_free(j);
		return 0;
	}
	if (!sink->async || !is->started) {
		rc = write_job(is, j, v, err);
		job_free(j);
		if (rc < 0)
			goto fail;
		return 0;
	}
	pthread_mutex_lock(&is->mu);
	while (is->queued >= QUEUE_MAX && !is->failed)
		pthread_cond_wait(&is->cv, &is->mu);
	if (is->failed) {
		pthread_mutex_unlock(&is->mu);
		job_free(j);
		(void)drain(is, err);
		goto fail;
	}
	if (is->tail != NULL)
		is->tail->next = j;
	else
		is->head = j;
	is->tail = j;
	is->queued++;
	pthread_cond_broadcast(&is->cv);
	pthread_mutex_unlock(&is->mu);
	return 0;
fail:
	hg_verdicts_free(v, n);
	return -1;
}

static int
sink_sync(struct hg_sink *sink, struct hg_err *err)
{
	struct intake_sink *is = (struct intake_sink *)sink;

	if (!is->started)
		return 0;
	return drain(is, err);
}

static char *
sink_cursor(struct hg_sink *sink)
{
	struct intake_sink *is = (struct intake_sink *)sink;

	if (is->ob == NULL)
		return NULL;
	return hg_outbox_get_cursor(is->ob, is->adapter);
}

static int
sink_key_get(struct hg_sink *sink, const char *key, char hash[65],
    long long *bill_id, struct hg_err *err)
{
	struct intake_sink *is = (struct intake_sink *)sink;

	if (is->ob == NULL)
		return 0;
	return hg_outbox_key_get(is->ob, is->adapter, key, hash, bill_id, err);
}

struct hg_sink *
hg_intake_sink_new(struct hg_intake *in, const char *adapter,
    struct hg_outbox *ob, int dry)
{
	struct intake_sink *is = hg_xcalloc(1, sizeof *is);

	is->sink.commit = sink_commit;
	is->sink.cursor = sink_cursor;
	is->sink.key_get = sink_key_get;
	is->sink.dry = dry;
	is->sink.ctx = is;
	is->in = in;
	is->ob = ob;
	is->adapter = hg_xstrdup(adapter);
	pthread_mutex_init(&is->mu, NULL);
	pthread_cond_init(&is->cv, NULL);
	/* A writing sink commits in a thread of its own, so an adapter that
	 * syncs before acknowledging reads on while SQLite writes. */
	if (!dry && ob != NULL &&
	    pthread_create(&is->thread, NULL, committer, is) == 0) {
		is->started = 1;
		is->sink.sync = sink_sync;
	}
	return &is->sink;
}

void
hg_intake_sink_free(struct hg_sink *sink)
{
	struct intake_sink *is = (struct intake_sink *)sink;

	if (is == NULL)
		return;
	if (is->started) {
		pthread_mutex_lock(&is->mu);
		is->stop = 1;
		pthread_cond_broadcast(&is->cv);
		pthread_mutex_unlock(&is->mu);
		pthread_join(is->thread, NULL);
		/* what the adapter never synced was never acknowledged */
		while (is->head != NULL) {
			struct job *j = is->head;

			is->head = j->next;
			job_free(j);
		}
	}
	pthread_mutex_destroy(&is->mu);
	pthread_cond_destroy(&is->cv);
	free(is->adapter);
	free(is);
}

struct replay_ids {
	long long *v;
	size_t	 n;
	const char *code;	/* only bills waiting on it; NULL: all */
};

/* Do the bill's problems say "未对码: code" (then a space before the
 * fee's name, or the end of that problem)? */
static int
waits_on(const char *reasons, const char *code)
{
	const char *p = reasons;
	size_t n = strlen(code);

	while (p != NULL && (p = strstr(p, HG_UNMAPPED_MARK)) != NULL) {
		p += strlen(HG_UNMAPPED_MARK);
		if (strncmp(p, code, n) == 0 && (p[n] == ' ' || p[n] == '\n' ||
		    p[n] == '\0'))
			return 1;
	}
	return 0;
}

static int
collect(const struct hg_row *row, void *arg)
{
	struct replay_ids *ids = arg;

	if (ids->code != NULL && !waits_on(row->reasons, ids->code))
		return 0;
	ids->v = hg_xrealloc(ids->v, ids->n + 1, sizeof *ids->v);
	ids->v[ids->n++] = row->id;
	return 0;
}

static int
replay_one(struct hg_intake *in, struct hg_outbox *ob, long long id,
    const char *by, int *fixed, int *still, struct hg_err *err)
{
	struct hg_problem *probs = NULL;
	struct hg_bill *b = NULL;
	struct hg_row row;
	size_t np = 0, i;
	char *json = NULL, *reasons = NULL, why[160];
	int rc = -1;

	memset(&row, 0, sizeof row);
	if (hg_outbox_get(ob, id, &row, err) < 0)
		return -1;
	if (strcmp(row.state, HG_S_INVALID) != 0) {
		hg_fail(err, "bill %lld is %s, not invalid: nothing to replay",
		    id, row.state);
		goto out;
	}
	if (hg_bill_from_json(row.bill_json, &b, err) < 0)
		goto out;
	/* Codes a previous table filled in are looked up again; only what
	 * the source itself carried survives a mapping change. */
	hg_intake_check(in, b, &probs, &np);
	json = hg_bill_to_json(b);
	reasons = hg_problems_text(b, probs, np);
	/* who asked, in the bill's history (the web page names its user) */
	snprintf(why, sizeof why, "replay: %s%s%s%s", np ? "still invalid" :
	    "now valid", by != NULL ? " (" : "", by != NULL ? by : "",
	    by != NULL ? ")" : "");
	if (hg_outbox_update_bill(ob, id, json, np ? HG_S_INVALID : HG_S_READY,
	    reasons, why, err) < 0)
		goto out;
	if (np)
		(*still)++;
	else
		(*fixed)++;
	rc = 0;
out:
	for (i = 0; i < np; i++)
		free(probs[i].msg);
	free(probs);
	free(json);
	free(reasons);
	hg_bill_free(b);
	hg_row_free(&row);
	return rc;
}

static int
replay_list(struct hg_intake *in, struct hg_outbox *ob, const char *code,
    const char *by, int *fixed, int *still, struct hg_err *err)
{
	struct replay_ids ids = { NULL, 0, code };
	size_t i;
	int rc = 0;

	if (hg_outbox_list(ob, HG_S_INVALID, collect, &ids, err) < 0)
		return -1;
	for (i = 0; i < ids.n && rc == 0; i++)
		rc = replay_one(in, ob, ids.v[i], by, fixed, still, err);
	free(ids.v);
	return rc;
}

int
hg_intake_replay(struct hg_intake *in, struct hg_outbox *ob, long long id,
    const char *by, int *fixed, int *still, struct hg_err *err)
{
	*fixed = *still = 0;
	if (id > 0)
		return replay_one(in, ob, id, by, fixed, still, err);
	return replay_list(in, ob, NULL, by, fixed, still, err);
}

int
hg_intake_replay_code(struct hg_intake *in, struct hg_outbox *ob,
    const char *code, const char *by, int *fixed, int *still,
    struct hg_err *err)
{
	*fixed = *still = 0;
	return replay_list(in, ob, code, by, fixed, still, err);
}
