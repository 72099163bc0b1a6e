#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/intake.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"

struct intake_sink {
	struct hg_sink	 sink;		/* first: the adapter sees this */
	struct hg_intake *in;
	struct hg_outbox *ob;
	char		*adapter;
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

	if (load_mapping(in->cfg->agent.mapping_file, &fresh, err) < 0)
		return -1;
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
hg_problems_text(const struct hg_problem *p, size_t n)
{
	size_t i, len = 0, off = 0;
	char *s;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(p[i].msg) + strlen(p[i].field) + 32;
	s = hg_xmalloc(len + 1);
	for (i = 0; i < n; i++) {
		if (p[i].line > 0)
			off += (size_t)snprintf(s + off, len + 1 - off,
			    "%sline %d: %s: %s", i ? "\n" : "", p[i].line,
			    p[i].field, p[i].msg);
		else
			off += (size_t)snprintf(s + off, len + 1 - off,
			    "%s%s: %s", i ? "\n" : "", p[i].field, p[i].msg);
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

size_t
hg_intake_check(struct hg_intake *in, struct hg_bill *b,
    struct hg_problem **probs, size_t *nprobs)
{
	size_t n;

	fill_defaults(in->cfg, b);
	pthread_rwlock_rdlock(&in->lock);
	n = hg_mapping_apply(in->map, b, probs, nprobs);
	pthread_rwlock_unlock(&in->lock);
	n += hg_validate(b, &in->vopts, probs, nprobs);
	return n;
}

static enum hg_verdict_state
verdict_of(enum hg_put_outcome o, size_t nprobs)
{
	switch (o) {
	case HG_PUT_SAME: return HG_V_SAME;
	case HG_PUT_REPLACED: return HG_V_REPLACED;
	case HG_PUT_AMENDED: return HG_V_AMENDED;
	case HG_PUT_NEW: break;
	}
	return nprobs ? HG_V_INVALID : HG_V_READY;
}

static int
sink_commit(struct hg_sink *sink, struct hg_bill *const *bills, size_t n,
    const char *cursor, struct hg_verdict *v, struct hg_err *err)
{
	struct intake_sink *is = (struct intake_sink *)sink;
	enum hg_put_outcome outcome;
	struct hg_put put;
	char hash[65], *json = NULL, *reasons = NULL;
	size_t i;
	int open = 0;

	memset(v, 0, n * sizeof *v);
	if (!sink->dry) {
		if (hg_outbox_begin(is->ob, err) < 0)
			return -1;
		open = 1;
	}
	for (i = 0; i < n; i++) {
		struct hg_bill *b = bills[i];

		/* the hash is of the bill as the source gave it: a mapping
		 * change is not a new version of the record */
		hg_bill_hash(b, hash);
		if (b->adapter == NULL)
			hg_set_str(&b->adapter, is->adapter);
		hg_intake_check(is->in, b, &v[i].problems, &v[i].nproblems);
		v[i].state = v[i].nproblems ? HG_V_INVALID : HG_V_READY;
		if (sink->dry)
			continue;
		if (b->source_key == NULL || b->source_key[0] == '\0') {
			hg_fail(err, "adapter %s handed over a bill without a "
			    "source key (line %d)", is->adapter, b->line);
			goto fail;
		}
		json = hg_bill_to_json(b);
		reasons = hg_problems_text(v[i].problems, v[i].nproblems);
		memset(&put, 0, sizeof put);
		put.adapter = is->adapter;
		put.source_key = b->source_key;
		put.hash = hash;
		put.bill_json = json;
		put.state = v[i].nproblems ? HG_S_INVALID : HG_S_READY;
		put.reasons = reasons;
		put.patient_key = b->certno ? b->certno : b->source_key;
		put.ipt_no = b->ipt_no;
		put.total = b->has_total ? b->total : hg_bill_sum(b);
		if (hg_outbox_put(is->ob, &put, &outcome, &v[i].bill_id,
		    err) < 0)
			goto fail;
		v[i].state = verdict_of(outcome, v[i].nproblems);
		hg_sfree(json);
		hg_sfree(reasons);
	}
	if (!sink->dry) {
		if (cursor != NULL && hg_outbox_set_cursor(is->ob, is->adapter,
		    cursor, err) < 0)
			goto fail;
		if (hg_outbox_commit(is->ob, err) < 0)
			goto fail;
	}
	return 0;
fail:
	free(json);
	free(reasons);
	if (open)
		hg_outbox_rollback(is->ob);
	hg_verdicts_free(v, n);
	return -1;
}

static char *
sink_cursor(struct hg_sink *sink)
{
	struct intake_sink *is = (struct intake_sink *)sink;

	if (is->ob == NULL)
		return NULL;
	return hg_outbox_get_cursor(is->ob, is->adapter);
}

struct hg_sink *
hg_intake_sink_new(struct hg_intake *in, const char *adapter,
    struct hg_outbox *ob, int dry)
{
	struct intake_sink *is = hg_xcalloc(1, sizeof *is);

	is->sink.commit = sink_commit;
	is->sink.cursor = sink_cursor;
	is->sink.dry = dry;
	is->sink.ctx = is;
	is->in = in;
	is->ob = ob;
	is->adapter = hg_xstrdup(adapter);
	return &is->sink;
}

void
hg_intake_sink_free(struct hg_sink *sink)
{
	struct intake_sink *is = (struct intake_sink *)sink;

	if (is == NULL)
		return;
	free(is->adapter);
	free(is);
}

struct replay_ids {
	long long *v;
	size_t	 n;
};

static int
collect(const struct hg_row *row, void *arg)
{
	struct replay_ids *ids = arg;

	ids->v = hg_xrealloc(ids->v, ids->n + 1, sizeof *ids->v);
	ids->v[ids->n++] = row->id;
	return 0;
}

static int
replay_one(struct hg_intake *in, struct hg_outbox *ob, long long id,
    int *fixed, int *still, struct hg_err *err)
{
	struct hg_problem *probs = NULL;
	struct hg_bill *b = NULL;
	struct hg_row row;
	size_t np = 0, i;
	char *json = NULL, *reasons = NULL;
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
	reasons = hg_problems_text(probs, np);
	if (hg_outbox_update_bill(ob, id, json, np ? HG_S_INVALID : HG_S_READY,
	    reasons, np ? "replay: still invalid" : "replay: now valid",
	    err) < 0)
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

int
hg_intake_replay(struct hg_intake *in, struct hg_outbox *ob, long long id,
    int *fixed, int *still, struct hg_err *err)
{
	struct replay_ids ids = { NULL, 0 };
	size_t i;
	int rc = 0;

	*fixed = *still = 0;
	if (id > 0)
		return replay_one(in, ob, id, fixed, still, err);
	if (hg_outbox_list(ob, HG_S_INVALID, collect, &ids, err) < 0)
		return -1;
	for (i = 0; i < ids.n && rc == 0; i++)
		rc = replay_one(in, ob, ids.v[i], fixed, still, err);
	free(ids.v);
	return rc;
}
