/* Fault injection: parsing --fault specs and deciding, per request, what
 * goes wrong.  Decisions draw from one seeded PRNG under a lock, so a run
 * with the same --seed and the same request order fails the same way. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/money.h"
#include "lib/xmalloc.h"
#include "sim/fault.h"

static const struct {
	const char	*name;
	int		 kind;
} kinds[] = {
	{ "latency", SIM_F_LATENCY },
	{ "http500", SIM_F_HTTP500 },
	{ "http502", SIM_F_HTTP502 },
	{ "http503", SIM_F_HTTP503 },
	{ "reset", SIM_F_RESET },
	{ "reset-before", SIM_F_RESET },
	{ "reset-after-commit", SIM_F_RESET_AFTER_COMMIT },
	{ "drop-after-commit", SIM_F_RESET_AFTER_COMMIT },
	{ "http500-after-commit", SIM_F_HTTP500_AFTER_COMMIT },
	{ "http502-after-commit", SIM_F_HTTP502_AFTER_COMMIT },
	{ "http503-after-commit", SIM_F_HTTP503_AFTER_COMMIT },
	{ "timeout-after-commit", SIM_F_TIMEOUT_AFTER_COMMIT },
	{ "infcode-1", SIM_F_INFCODE1 },
	{ "infcode-1-after-commit", SIM_F_INFCODE1_AFTER_COMMIT },
	{ "outage", SIM_F_OUTAGE },
};

const char *
sim_fault_kind_name(int kind)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return "none";
}

static int
num(const char *spec, const char *key, const char *v, int64_t min,
    int64_t *out, struct hg_err *err)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min)
		return hg_fail(err, "--fault %s: %s=\"%s\" is not a whole number "
		    ">= %lld", spec, key, v, (long long)min);
	*out = n;
	return 0;
}

/* "*", or 4-digit codes separated by '/' */
static int
infno_list_check(const char *spec, const char *v, struct hg_err *err)
{
	const char *p = v;
	size_t n;

	if (strcmp(v, "*") == 0)
		return 0;
	if (strlen(v) >= sizeof ((struct sim_fault *)0)->infno)
		return hg_fail(err, "--fault %s: infno \"%s\" is too long",
		    spec, v);
	for (;;) {
		n = strspn(p, "0123456789");
		if (n != 4 || (p[4] != '\0' && p[4] != '/'))
			return hg_fail(err, "--fault %s: infno \"%s\" is not "
			    "4 digits, codes joined by /, writes or *", spec,
			    v);
		if (p[4] == '\0')
			return 0;
		p += 5;
	}
}

int
sim_fault_parse(const char *spec, struct sim_fault *f, struct hg_err *err)
{
	char *copy, *tok, *save = NULL, *eq;
	size_t i;
	int rc = -1;
	int64_t ppm;

	memset(f, 0, sizeof *f);
	snprintf(f->spec, sizeof f->spec, "%s", spec);
	snprintf(f->infno, sizeof f->infno, "*");
	f->prob_ppm = 1000000;
	f->after = -1;
	copy = hg_xstrdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(tok, '=')) == NULL) {
			hg_fail(err, "--fault %s: \"%s\" is not key=value",
			    spec, tok);
			goto out;
		}
		*eq++ = '\0';
		if (strcmp(tok, "kind") == 0) {
			for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
				if (strcmp(kinds[i].name, eq) == 0)
					f->kind = kinds[i].kind;
			if (f->kind == SIM_F_NONE) {
				hg_fail(err, "--fault %s: unknown kind \"%s\" "
				    "(latency, http500, http502, http503, "
				    "reset, reset-after-commit, "
				    "drop-after-commit, http500-after-commit, "
				    "http502-after-commit, "
				    "http503-after-commit, "
				    "timeout-after-commit, infcode-1, "
				    "infcode-1-after-commit, outage)", spec,
				    eq);
				goto out;
			}
		} else if (strcmp(tok, "infno") == 0) {
			if (strcmp(eq, "writes") == 0)
				eq = SIM_FAULT_WRITES;
			if (infno_list_check(spec, eq, err) == -1)
				goto out;
			snprintf(f->infno, sizeof f->infno, "%s", eq);
		} else if (strcmp(tok, "prob") == 0) {
			if (hg_dec_parse("prob", eq, 6, &ppm, NULL) == -1 ||
			    ppm < 0 || ppm > 1000000) {
				hg_fail(err, "--fault %s: prob=\"%s\" is not a "
				    "probability from 0 to 1", spec, eq);
				goto out;
			}
			f->prob_ppm = ppm;
		} else if (strcmp(tok, "nth") == 0) {
			if (num(spec, tok, eq, 1, &f->nth, err) == -1)
				goto out;
		} else if (strcmp(tok, "count") == 0) {
			if (num(spec, tok, eq, 1, &f->count, err) == -1)
				goto out;
		} else if (strcmp(tok, "ms") == 0) {
			if (num(spec, tok, eq, 0, &f->ms, err) == -1)
				goto out;
		} else if (strcmp(tok, "after") == 0) {
			if (num(spec, tok, eq, 0, &f->after, err) == -1)
				goto out;
		} else if (strcmp(tok, "secs") == 0) {
			if (num(spec, tok, eq, 1, &f->secs, err) == -1)
				goto out;
		} else {
			hg_fail(err, "--fault %s: unknown key \"%s\" (kind, "
			    "infno, prob, nth, count, ms, after, secs)", spec,
			    tok);
			goto out;
		}
	}
	if (f->kind == SIM_F_NONE) {
		hg_fail(err, "--fault %s: kind= is required", spec);
		goto out;
	}
	if ((f->kind == SIM_F_LATENCY || f->kind ==
	    SIM_F_TIMEOUT_AFTER_COMMIT) && f->ms == 0) {
		hg_fail(err, "--fault %s: %s needs ms=", spec,
		    sim_fault_kind_name(f->kind));
		goto out;
	}
	if (f->kind == SIM_F_OUTAGE) {
		if (f->secs == 0) {
			hg_fail(err, "--fault %s: outage needs secs=", spec);
			goto out;
		}
		if (f->after < 0)
			f->after = 0;
		if (f->count == 0)
			f->count = 1;	/* one window unless asked */
	} else if (f->after >= 0 || f->secs != 0) {
		hg_fail(err, "--fault %s: after= and secs= belong to "
		    "kind=outage", spec);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

void
sim_faults_init(struct sim_faults *fs, uint64_t seed)
{
	memset(fs, 0, sizeof *fs);
	pthread_mutex_init(&fs->lock, NULL);
	fs->rng = seed;
}

void
sim_faults_add(struct sim_faults *fs, const struct sim_fault *f)
{
	fs->v = hg_xrealloc(fs->v, fs->n + 1, sizeof *fs->v);
	fs->v[fs->n++] = *f;
}

void
sim_faults_free(struct sim_faults *fs)
{
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
	pthread_mutex_destroy(&fs->lock);
}

/* splitmix64: small, good enough, and the same on every machine */
static uint64_t
next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int
matches(const struct sim_fault *f, const char *infno)
{
	const char *p;

	if (strcmp(f->infno, "*") == 0)
		return 1;
	if (strlen(infno) != 4)
		return 0;
	for (p = f->infno; *p != '\0'; p += p[4] == '/' ? 5 : 4)
		if (strncmp(p, infno, 4) == 0)
			return 1;
	return 0;
}

void
sim_faults_plan(struct sim_faults *fs, const char *infno, int64_t now_ms,
    struct sim_plan *plan)
{
	struct sim_fault *f;
	size_t i;
	int terminal;

	memset(plan, 0, sizeof *plan);
	pthread_mutex_lock(&fs->lock);
	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		if (!matches(f, infno))
			continue;
		f->seen++;
		if (f->count > 0 && f->fired >= f->count)
			continue;
		if (f->kind == SIM_F_OUTAGE) {
			if (f->seen <= f->after)
				continue;
		} else if (f->nth > 0 && f->seen != f->nth) {
			continue;
		}
		if (f->prob_ppm < 1000000 &&
		    (int64_t)(next_rand(&fs->rng) % 1000000) >= f->prob_ppm)
			continue;
		terminal = f->kind != SIM_F_LATENCY;
		if (terminal && plan->kind != SIM_F_NONE)
			continue;	/* one terminal fault per request */
		f->fired++;
		if (!terminal) {
			plan->latency_ms += f->ms;
			continue;
		}
		if (f->kind == SIM_F_OUTAGE) {
			fs->outage_until = now_ms + f->secs * 1000;
			plan->kind = SIM_F_RESET;
		} else {
			plan->kind = f->kind;
			plan->hold_ms = f->kind == SIM_F_TIMEOUT_AFTER_COMMIT ?
			    f->ms : 0;
		}
		snprintf(plan->spec, sizeof plan->spec, "%s", f->spec);
	}
	pthread_mutex_unlock(&fs->lock);
}

int
sim_faults_outage(struct sim_faults *fs, int64_t now_ms)
{
	int on;

	pthread_mutex_lock(&fs->lock);
	on = fs->outage_until != 0 && now_ms < fs->outage_until;
	pthread_mutex_unlock(&fs->lock);
	return on;
}
