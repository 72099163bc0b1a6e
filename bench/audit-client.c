/* bench/audit-client: the pre-settlement audit over every bill of an
 * outbox, the way a settlement worker runs it (bench/audit).
 *
 *   audit-client CONF pure|rules|gate
 *
 * pure: the rules alone (hg_audit_bill), no outbox access.
 * rules: each bill's rules run (hg_audit_bill), the patient's other
 * bills read as the gate reads them; nothing written.
 * gate: hg_audit_gate itself for each bill (findings recorded, bills at
 * block held): run it on a copy of the outbox.
 * The clock runs only around the audit: parsing the stored JSON is not
 * counted, the settle worker has parsed the bill before it calls the
 * gate.
 * The last line on stdout is one record for a script:
 *   bills=N lines=N findings=N secs=S */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/audit.h"
#include "agent/conf.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/audit_store.h"
#include "queue/steps.h"

struct rows {
	struct hg_row *v;
	size_t	 n;
};

static int
keep(const struct hg_row *r, void *arg)
{
	struct rows *rs = arg;
	struct hg_row *c;

	rs->v = hg_xrealloc(rs->v, rs->n + 1, sizeof *rs->v);
	c = &rs->v[rs->n++];
	memset(c, 0, sizeof *c);
	c->id = r->id;
	c->state = hg_xstrdup(r->state);
	c->bill_json = hg_xstrdup(r->bill_json);
	c->patient_key = r->patient_key ? hg_xstrdup(r->patient_key) : NULL;
	return 0;
}

static int
count(const char *json, void *arg)
{
	(void)json;
	++*(size_t *)arg;
	return 0;
}

int
main(int argc, char **argv)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_audit_tables t;
	struct rows rs = { NULL, 0 };
	struct hg_config *cfg;
	struct hg_outbox *ob;
	struct hg_err err;
	double secs = 0;
	size_t i, lines = 0, findings = 0, others = 0;
	int gate;

	if (argc != 3 || (strcmp(argv[2], "rules") != 0 &&
	    strcmp(argv[2], "gate") != 0 && strcmp(argv[2], "pure") != 0)) {
		fprintf(stderr, "usage: audit-client CONF pure|rules|gate\n");
		return 2;
	}
	gate = strcmp(argv[2], "gate") == 0;
	hg_log_init("audit-client", 0, HG_LOG_ERR);
	cfg = hg_config_load(argv[1], &errs);
	if (errs.n > 0 || hg_outbox_open(cfg->agent.outbox, 0, &ob,
	    &err) == -1) {
		fprintf(stderr, "audit-client: %s\n", errs.n ? errs.msg[0] :
		    err.msg);
		return 1;
	}
	/* as a settle worker's connection: synchronous=NORMAL, the group
	 * commit syncs the journal (the audit's records ride along) */
	if (gate)
		hg_steps_worker_mode(ob, NULL);
	if (hg_audit_tables_load(cfg, &t, &errs) != 1 || errs.n > 0) {
		fprintf(stderr, "audit-client: no audit_dir or bad tables\n");
		return 1;
	}
	if (hg_outbox_list(ob, NULL, keep, &rs, &err) == -1) {
		fprintf(stderr, "audit-client: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < rs.n; i++) {
		struct hg_audit_findings f = HG_AUDIT_FINDINGS_INIT;
		struct hg_bill *bill;
		struct timespec c, e;

		if (hg_bill_from_json(rs.v[i].bill_json, &bill, &err) == -1)
			continue;
		lines += bill->nfees;
		clock_gettime(CLOCK_MONOTONIC, &c);
		if (gate) {
			if (hg_audit_gate(ob, cfg, &rs.v[i], bill, &err) == -1) {
				fprintf(stderr, "audit-client: %s\n", err.msg);
				return 1;
			}
		} else {
			struct hg_audit_runs runs;

			if (strcmp(argv[2], "rules") == 0) {
				if (hg_audit_store_read(ob, rs.v[i].id,
				    rs.v[i].patient_key, &runs, count, &others,
				    &err) == -1)
					return 1;
				hg_audit_runs_free(&runs);
			}
			findings += hg_audit_bill(&t, bill, NULL, 0, &f);
			hg_audit_findings_free(&f);
		}
		clock_gettime(CLOCK_MONOTONIC, &e);
		secs += (double)(e.tv_sec - c.tv_sec) +
		    (double)(e.tv_nsec - c.tv_nsec) / 1e9;
		hg_bill_free(bill);
	}
	printf("bills=%zu lines=%zu findings=%zu secs=%.3f\n", rs.n, lines,
	    findings, secs);
	for (i = 0; i < rs.n; i++)
		hg_row_free(&rs.v[i]);
	free(rs.v);
	hg_audit_tables_free(&t);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return 0;
}
