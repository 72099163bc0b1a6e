/* The audit on the agent's side: the tables of one directory, read once
 * by each process that audits (the daemon at its first bill, hisgate
 * audit), check-config, and the gate of the settle path. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/audit.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/timeconv.h"
#include "lib/xmalloc.h"
#include "queue/audit_store.h"

#define COMP	"audit"

int
hg_audit_tables_load(const struct hg_config *cfg, struct hg_audit_tables *t,
    struct hg_conf_errs *errs)
{
	struct stat st;

	hg_audit_tables_init(t);
	if (stat(cfg->agent.audit_dir, &st) == -1 && errno == ENOENT)
		return 0;
	hg_audit_load_dir(t, cfg->agent.audit_dir, errs);
	return 1;
}

void
hg_audit_confcheck(const struct hg_config *cfg, struct hg_conf_errs *errs,
    struct hg_conf_errs *warns)
{
	struct hg_audit_tables t;
	const char *file;
	int line;

	if (hg_audit_tables_load(cfg, &t, errs) == 0) {
		line = hg_config_where(cfg, "agent.audit_dir", &file);
		hg_conf_errs_add(warns, file, line, "warning: audit_dir %s does "
		    "not exist: bills are settled without the pre-settlement "
		    "audit (hisgate-audit(5))", cfg->agent.audit_dir);
	}
	hg_audit_tables_free(&t);
}

/* The daemon's tables: read at the first bill, kept until a SIGHUP reads
 * them again (hg_audit_reload).  A worker holds the read lock while it
 * uses them. */
static pthread_rwlock_t run_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct {
	int		 loaded, on;
	struct hg_audit_tables t;
} run;

static void
log_loaded(const struct hg_config *cfg, const struct hg_audit_tables *t,
    const char *how, char *done, size_t donesz)
{
	char text[HG_ERRLEN];

	snprintf(text, sizeof text, "rule tables %s from %s: %zu items, "
	    "%zu packages", how, cfg->agent.audit_dir, t->nitems, t->npkgs);
	log_info(COMP, "%s", text);
	if (done != NULL)
		snprintf(done, donesz, "%s", text);
}

const struct hg_audit_tables *
hg_audit_tables_get(const struct hg_config *cfg)
{
	struct hg_conf_errs errs = { NULL, 0 };
	size_t i;

	pthread_rwlock_rdlock(&run_lock);
	while (!run.loaded) {
		pthread_rwlock_unlock(&run_lock);
		pthread_rwlock_wrlock(&run_lock);
		if (!run.loaded) {
			run.on = hg_audit_tables_load(cfg, &run.t, &errs);
			run.loaded = 1;
			/* what could be read is used: a bad line must not
			 * stop settlement (check-config names it) */
			for (i = 0; i < errs.n; i++)
				log_error(COMP, "%s (this line is ignored)",
				    errs.msg[i]);
			if (run.on)
				log_loaded(cfg, &run.t, "read", NULL, 0);
			hg_conf_errs_free(&errs);
		}
		pthread_rwlock_unlock(&run_lock);
		pthread_rwlock_rdlock(&run_lock);
	}
	if (run.on)
		return &run.t;
	pthread_rwlock_unlock(&run_lock);
	return NULL;
}

void
hg_audit_tables_done(void)
{
	pthread_rwlock_unlock(&run_lock);
}

int
hg_audit_reload(const struct hg_config *cfg, char *done, size_t donesz,
    struct hg_err *err)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_audit_tables t, old;
	int on, was;

	on = hg_audit_tables_load(cfg, &t, &errs);
	pthread_rwlock_rdlock(&run_lock);
	was = run.loaded && run.on;
	pthread_rwlock_unlock(&run_lock);
	/* as with the mapping: a table half-written (mid-replace) or gone
	 * must not switch rules off behind the IT engineer's back */
	if (errs.n > 0 || (!on && was)) {
		if (errs.n > 0)
			hg_fail(err, "%s%s", errs.msg[0], errs.n > 1 ?
			    " (and more: hisgate check-config)" : "");
		else
			hg_fail(err, "audit_dir %s does not exist (to turn the "
			    "audit off, restart the agent without it)",
			    cfg->agent.audit_dir);
		hg_conf_errs_free(&errs);
		hg_audit_tables_free(&t);
		return -1;
	}
	hg_conf_errs_free(&errs);
	pthread_rwlock_wrlock(&run_lock);
	old = run.t;
	was = run.loaded;
	run.t = t;
	run.on = on;
	run.loaded = 1;
	pthread_rwlock_unlock(&run_lock);
	if (was)
		hg_audit_tables_free(&old);
	if (donesz > 0)
		done[0] = '\0';
	if (on)
		log_loaded(cfg, &t, "read again", done, donesz);
	return 0;
}

struct others {
	struct hg_bill **v;
	size_t	 n;
};

static int
other_bill(const char *json, void *arg)
{
	struct others *o = arg;
	struct hg_bill *b;
	struct hg_err err;

	if (json == NULL || hg_bill_from_json(json, &b, &err) == -1)
		return 0;
	o->v = hg_xrealloc(o->v, o->n + 1, sizeof *o->v);
	o->v[o->n++] = b;
	return 0;
}

int
hg_audit_gate(struct hg_outbox *ob, const struct hg_config *cfg,
    const struct hg_row *row, const struct hg_bill *bill, struct hg_err *err)
{
	const struct hg_audit_tables *t;
	struct hg_audit_findings f = HG_AUDIT_FINDINGS_INIT;
	struct others o = { NULL, 0 };
	struct hg_audit_runs runs = { NULL, 0 };
	struct hg_audit_rec *recs = NULL;
	char hash[65], hold[400];
	size_t i, blocks, len;
	int held, rc = -1;

	if (row->step != NULL || (t = hg_audit_tables_get(cfg)) == NULL)
		return 0;
	if (hg_audit_store_read(ob, row->id, row->patient_key, &runs,
	    other_bill, &o, err) == -1)
		goto out;
	/* The content's hash is asked only of a bill audited before: a
	 * clean bill leaves no run, and hashing is half its gate. */
	hash[0] = '\0';
	if (runs.n > 0) {
		hg_bill_hash(bill, hash);
		if (hg_audit_runs_seen(&runs, hash, &held)) {
			/* held and never released (a replay sent it back to
			 * ready unchanged): held again, no new findings */
			rc = !held ? 0 : hg_outbox_set_state(ob, row->id,
			    row->state, HG_S_HELD, "still held by the audit "
			    "(this content was never released): hisgate "
			    "queue release", err) == -1 ? -1 : 1;
			goto out;
		}
	}
	hg_audit_bill(t, bill, (const struct hg_bill *const *)o.v, o.n, &f);
	/* nothing found, nothing written: auditing it again (after a
	 * give-back) costs less than a transaction per clean bill */
	if (f.n == 0) {
		rc = 0;
		goto out;
	}
	recs = hg_xcalloc(f.n + 1, sizeof *recs);
	for (i = 0; i < f.n; i++) {
		recs[i].rule = hg_audit_rule_name(f.v[i].rule);
		recs[i].sev = hg_audit_sev_name(f.v[i].sev);
		recs[i].line = f.v[i].line;
		recs[i].text = f.v[i].text;
	}
	if ((blocks = hg_audit_blocks(&f)) > 0) {
		len = (size_t)snprintf(hold, sizeof hold, "held by the audit: "
		    "%zu finding%s at block (", blocks, blocks == 1 ? "" : "s");
		for (i = 0; i < f.n && len < sizeof hold; i++)
			if (f.v[i].sev == HG_AUDIT_BLOCK)
				len += (size_t)snprintf(hold + len,
				    sizeof hold - len, "%s%s", len > 0 &&
				    hold[len - 1] != '(' ? ", " : "",
				    recs[i].rule);
		if (len < sizeof hold)
			snprintf(hold + len, sizeof hold - len, "); settled "
			    "once released: hisgate queue release %lld "
			    "--reason \"...\"", row->id);
	}
	if (hash[0] == '\0')
		hg_bill_hash(bill, hash);
	if (hg_audit_store_record(ob, row->id, hash, row->state, recs, f.n,
	    blocks > 0 ? hold : NULL, err) == -1)
		goto out;
	for (i = 0; i < f.n; i++)
		hg_log(f.v[i].sev == HG_AUDIT_BLOCK ? HG_LOG_WARNING :
		    HG_LOG_NOTICE, COMP, "bill %lld: %s %s: %s", row->id,
		    recs[i].sev, recs[i].rule, recs[i].text);
	if (blocks > 0)
		log_warn(COMP, "bill %lld: %s", row->id, hold);
	rc = blocks > 0;
out:
	hg_audit_tables_done();
	for (i = 0; i < o.n; i++)
		hg_bill_free(o.v[i]);
	free(o.v);
	hg_audit_runs_free(&runs);
	free(recs);
	hg_audit_findings_free(&f);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* the cost surge's input, and the daemon's surge log */

struct gather_ctx {
	const struct hg_config *cfg;
	struct hg_audit_surge_in *in;
};

/* One stored bill as the surge sees it: cross-province, not invalid or
 * cancelled, with its net amount per code. */
static int
gather_row(const struct hg_row *row, void *arg)
{
	struct gather_ctx *g = arg;
	const char *region;
	struct hg_surge_bill *sb;
	struct hg_bill *b;
	struct hg_err err;
	size_t i, k;

	if (strcmp(row->state, HG_S_HELD) == 0)
		g->in->held++;
	if (strcmp(row->state, HG_S_INVALID) == 0 ||
	    strcmp(row->state, HG_S_CANCELLED) == 0 ||
	    strcmp(row->state, HG_S_REJECTED) == 0 ||
	    hg_bill_from_json(row->bill_json, &b, &err) == -1)
		return 0;
	region = row->insuplc_admdvs != NULL ? row->insuplc_admdvs :
	    b->insuplc_admdvs;
	if (!hg_surge_cross(g->cfg->agent.admdvs, region) ||
	    hg_time_day(b->dscg_time) < 0) {
		hg_bill_free(b);
		return 0;
	}
	g->in->v = hg_xrealloc(g->in->v, g->in->n + 1, sizeof *g->in->v);
	sb = &g->in->v[g->in->n++];
	memset(sb, 0, sizeof *sb);
	sb->id = row->id;
	sb->day = hg_time_day(b->dscg_time);
	sb->dept = hg_xasprintf("%s%s%s", b->dept_code ? b->dept_code : "",
	    b->dept_name ? " " : "", b->dept_name ? b->dept_name : "");
	sb->region = hg_xstrdup(region);
	sb->total = row->total;
	if (sb->day > g->in->last)
		g->in->last = sb->day;
	for (i = 0; i < b->nfees; i++) {
		const char *code = b->fees[i].nat_code;

		if (code == NULL)
			continue;
		for (k = 0; k < sb->nlines; k++)
			if (strcmp(sb->lines[k].code, code) == 0)
				break;
		if (k == sb->nlines) {
			sb->lines = hg_xrealloc(sb->lines, k + 1,
			    sizeof *sb->lines);
			sb->lines[k].code = hg_xstrdup(code);
			sb->lines[k].amount = 0;
			sb->nlines++;
		}
		sb->lines[k].amount += b->fees[i].amount;
	}
	hg_bill_free(b);
	return 0;
}

int
hg_audit_surge_gather(struct hg_outbox *ob, const struct hg_config *cfg,
    struct hg_audit_surge_in *in, struct hg_err *err)
{
	struct gather_ctx g = { cfg, in };

	memset(in, 0, sizeof *in);
	in->last = -1;
	return hg_outbox_list(ob, NULL, gather_row, &g, err);
}

void
hg_audit_surge_in_free(struct hg_audit_surge_in *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		hg_surge_bill_free(&in->v[i]);
	free(in->v);
	memset(in, 0, sizeof *in);
}
