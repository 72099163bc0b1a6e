/* The audit's records in the outbox (issue 12): which content of a bill
 * was audited, its findings, and releases of held bills.  Two tables of
 * their own (audit_runs, audit_findings), made by the outbox's schema 5
 * migration (queue/outbox_open.c) like every other table, so they are
 * there on every outbox this binary opens.  Every finding is also a
 * history row of its bill, so `queue show` lists it with the rest of the
 * bill's life. */
#ifndef HG_AUDIT_STORE_H
#define HG_AUDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "queue/outbox.h"

/* The earlier audits of a bill, oldest first: the hash of each content
 * audited and whether it was held and has not been released since. */
struct hg_audit_run {
	char	 hash[65];
	int	 held;
};
struct hg_audit_runs {
	struct hg_audit_run *v;
	size_t	 n;
};

/* Has this content (hash) been audited?  1 (with *held, of its latest
 * audit: it was held and not released since) or 0. */
int	hg_audit_runs_seen(const struct hg_audit_runs *runs,
	    const char *hash, int *held);
void	hg_audit_runs_free(struct hg_audit_runs *runs);

struct hg_audit_rec {
	const char *rule;	/* "duplicate_charge" */
	const char *sev;	/* "warn" | "block" */
	int	 line;
	const char *text;
};

/* In one transaction: the run, each finding (a row and a history row at
 * the bill's state `state`) and, when hold_reason is not NULL, the move
 * from `state` to held_by_audit. */
int	hg_audit_store_record(struct hg_outbox *ob, long long id,
	    const char *hash, const char *state, const struct hg_audit_rec *r,
	    size_t n, const char *hold_reason, struct hg_err *err);

/* A person releases a held bill: held_by_audit -> ready with a history
 * row naming who and why; its findings stay.  HG_EPERM when the bill is
 * not held. */
int	hg_audit_store_release(struct hg_outbox *ob, long long id,
	    const char *reason, struct hg_err *err);

/* Findings recorded at or after since_ms, oldest first. */
int	hg_audit_store_list(struct hg_outbox *ob, int64_t since_ms,
	    int (*cb)(long long id, int64_t at_ms, const char *rule,
	    const char *sev, int line, const char *text, void *arg),
	    void *arg, struct hg_err *err);

/* The findings about bill id's current content, oldest first: those
 * recorded since a version of other content was last kept
 * (bill_versions), for its pages.  Older ones stay in the history. */
int	hg_audit_store_bill(struct hg_outbox *ob, long long id,
	    int (*cb)(long long id, int64_t at_ms, const char *rule,
	    const char *sev, int line, const char *text, void *arg),
	    void *arg, struct hg_err *err);

/* What the gate reads before the rules, in one read transaction: the
 * earlier audits of bill id (into *runs, which the caller frees), and
 * the other bills of its patient (bill_json, to cb). */
int	hg_audit_store_read(struct hg_outbox *ob, long long id,
	    const char *patient_key, struct hg_audit_runs *runs,
	    int (*cb)(const char *bill_json, void *arg), void *arg,
	    struct hg_err *err);

#endif
