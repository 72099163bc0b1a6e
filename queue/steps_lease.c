/* The settler's bill updates (see steps.h), each fenced by the worker's
 * lease: person and visit, settled, rejected, needs_person, in doubt,
 * requeued with an amendment, cancelled, and the reaping of leases of
 * dead workers. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/bill.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/group.h"
#include "queue/steps.h"
#include "queue/steps_int.h"

/* UPDATE bills SET <set> WHERE id = ?1 [AND lease is owner's], with up to
 * three text parameters ?2 ?3 ?4. */
static int
update_fenced(struct hg_outbox *ob, long long id, const char *owner,
    const char *set, const char *a, const char *b, const char *c,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	char *sql;
	int n = 0;

	sql = hg_xasprintf("UPDATE bills SET %s WHERE id = ?1%s", set,
	    owner != NULL ? " AND lease_owner = ?5 AND state IN " WORKED :
	    "");
	s = sj_prep(db, sql, err);
	free(sql);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sj_bind_text(s, 2, a);
	sj_bind_text(s, 3, b);
	sj_bind_text(s, 4, c);
	if (owner != NULL)
		sj_bind_text(s, 5, owner);
	if (sj_done(db, s, &n, err) == -1)
		return -1;
	if (n == 0)
		return hg_fail(err, "bill %lld: %s", id, owner != NULL ?
		    "lease lost (another worker took it over)" :
		    "no such bill");
	return 0;
}

int
hg_steps_set_person(struct hg_outbox *ob, long long id, const char *owner,
    const char *psn_no, const char *insuplc_admdvs, struct hg_err *err)
{
	return update_fenced(ob, id, owner, "psn_no = ?2,"
	    " insuplc_admdvs = ?3", psn_no, insuplc_admdvs, NULL, err);
}

int
hg_steps_set_mdtrt(struct hg_outbox *ob, long long id, const char *owner,
    const char *mdtrt_id, struct hg_err *err)
{
	return update_fenced(ob, id, owner, "mdtrt_id = ?2", mdtrt_id, NULL,
	    NULL, err);
}

/* The state of bill id and whether it has a pending amendment. */
static int
state_of(struct hg_outbox *ob, long long id, char *buf, size_t len,
    int *pending, int *scrubbed, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int rc;

	s = sj_prep(db, "SELECT state, pending_json IS NOT NULL, scrubbed_ms"
	    " IS NOT NULL FROM bills WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s,
		    0));
		if (pending != NULL)
			*pending = sqlite3_column_int(s, 1);
		if (scrubbed != NULL)
			*scrubbed = sqlite3_column_int(s, 2);
		sj_finish(s);
		return 0;
	}
	if (rc == SQLITE_DONE)
		hg_fail(err, "no bill %lld", id);
	else
		sj_sql_fail(db, rc, err);
	sj_finish(s);
	return -1;
}

int
hg_steps_settled(struct hg_outbox *ob, long long id, const char *owner,
    const char *setl_id, const char *mdtrt_id, const char *setl_json,
    const char *reason, struct hg_err *err)
{
	char cur[32];
	int own, pending = 0, rc = -1;

	if (sj_tx_enter(ob, &own, err) == -1)
		return -1;
	if (update_fenced(ob, id, owner, "setl_id = ?2, mdtrt_id ="
	    " coalesce(?3, mdtrt_id), setl_json = ?4, err_msg = NULL",
	    setl_id, mdtrt_id, setl_json, err) == -1 ||
	    state_of(ob, id, cur, sizeof cur, &pending, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, cur, HG_S_SETTLED, reason, err) == -1)
		goto out;
	/* The source changed the bill while it was being settled: what was
	 * settled is the old content; a person decides (cancel + settle
	 * again, or keep). */
	if (pending && hg_outbox_set_state(ob, id, HG_S_SETTLED, HG_S_AMENDED,
	    "changed at the source while being settled; the amendment waits "
	    "for a person (queue cancel, then queue retry)", err) == -1)
		goto out;
	rc = 0;
out:
	return sj_tx_leave(ob, own, rc, err);
}

/* The bill ends (rejected, needs_person) with why as its err_msg. */
static int
end_fenced(struct hg_outbox *ob, long long id, const char *owner,
    const char *to, const char *why, struct hg_err *err)
{
	char cur[32];
	int own, rc = -1;

	if (sj_tx_enter(ob, &own, err) == -1)
		return -1;
	if (update_fenced(ob, id, owner, "err_msg = ?2", why, NULL, NULL,
	    err) == -1 ||
	    state_of(ob, id, cur, sizeof cur, NULL, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, cur, to, why, err) == -1)
		goto out;
	rc = 0;
out:
	return sj_tx_leave(ob, own, rc, err);
}

int
hg_steps_rejected(struct hg_outbox *ob, long long id, const char *owner,
    const char *err_msg, struct hg_err *err)
{
	return end_fenced(ob, id, owner, HG_S_REJECTED, err_msg, err);
}

int
hg_steps_needs_person(struct hg_outbox *ob, long long id, const char *owner,
    const char *why, struct hg_err *err)
{
	return end_fenced(ob, id, owner, HG_S_PERSON, why, err);
}

static int
move_fenced(struct hg_outbox *ob, long long id, const char *owner,
    const char *from, const char *to, const char *reason, struct hg_err *err)
{
	int own, rc = -1;

	if (sj_tx_enter(ob, &own, err) == -1)
		return -1;
	if (sj_fence(ob, id, owner, 0, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, from, to, reason, err) == -1)
		goto out;
	rc = 0;
out:
	return sj_tx_leave(ob, own, rc, err);
}

int
hg_steps_doubt(struct hg_outbox *ob, long long id, const char *owner,
    const char *reason, struct hg_err *err)
{
	return move_fenced(ob, id, owner, HG_S_PROGRESS, HG_S_INDOUBT, reason,
	    err);
}

int
hg_steps_undoubt(struct hg_outbox *ob, long long id, const char *owner,
    const char *reason, struct hg_err *err)
{
	return move_fenced(ob, id, owner, HG_S_INDOUBT, HG_S_PROGRESS, reason,
	    err);
}

/* Keep the current content and settlement in bill_versions. */
static int
keep_version(struct hg_outbox *ob, long long id, const char *why,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;

	s = sj_prep(db, "INSERT INTO bill_versions (bill_id, version, hash,"
	    " state, reasons, bill_json, patient_key, ipt_no, total, setl_id,"
	    " setl_json, err_msg, replaced_ms, why)"
	    " SELECT id, version, hash, state, reasons, bill_json,"
	    " patient_key, ipt_no, total, setl_id, setl_json, err_msg, ?2, ?3"
	    " FROM bills WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, hg_wall_ms());
	sj_bind_text(s, 3, why);
	return sj_done(db, s, NULL, err);
}

/* Take the pending amendment as the bill's content. */
static int
apply_amendment(struct hg_outbox *ob, long long id, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	struct hg_bill *b = NULL;
	char *json = NULL;
	int64_t total;
	int rc = -1;

	s = sj_prep(db, "SELECT pending_json FROM bills WHERE id = ?1", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		json = sj_col_dup(s, 0);
	sj_finish(s);
	if (json == NULL)
		return hg_fail(err, "bill %lld: no amendment", id);
	if (hg_bill_from_json(json, &b, err) == -1) {
		hg_err_prefix(err, "bill %lld: amendment", id);
		goto out;
	}
	total = b->has_total ? b->total : hg_bill_sum(b);
	s = sj_prep(db, "UPDATE bills SET bill_json = pending_json,"
	    " hash = pending_hash, pending_json = NULL, pending_hash = NULL,"
	    " version = version + 1, total = ?2, ipt_no = ?3,"
	    " patient_key = coalesce(?4, patient_key) WHERE id = ?1", err);
	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, total);
	sj_bind_text(s, 3, b->ipt_no);
	sj_bind_text(s, 4, b->certno);
	rc = sj_done(db, s, NULL, err);
out:
	hg_bill_free(b);
	free(json);
	return rc;
}

int
hg_steps_requeue(struct hg_outbox *ob, long long id, const char *why,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	char cur[32];
	int own, pending = 0, gone = 0, rc = -1;

	if (sj_tx_enter(ob, &own, err) == -1)
		return -1;
	if (state_of(ob, id, cur, sizeof cur, &pending, &gone, err) == -1)
		goto out;
	if (strcmp(cur, HG_S_INDOUBT) == 0) {
		hg_fail(err, "bill %lld is in_doubt: its settlement outcome is "
		    "being resolved with the platform (5203); it is never "
		    "re-sent blindly", id);
		goto out;
	}
	if (strcmp(cur, HG_S_SETTLED) == 0 || strcmp(cur, HG_S_AMENDED) == 0) {
		hg_fail(err, "bill %lld is %s: cancel the settlement first "
		    "(hisgate queue cancel %lld)", id, cur, id);
		goto out;
	}
	if (strcmp(cur, HG_S_INVALID) == 0) {
		hg_fail(err, "bill %lld is invalid: fix the mapping and run "
		    "hisgate replay %lld", id, id);
		goto out;
	}
	if (strcmp(cur, HG_S_REJECTED) != 0 &&
	    strcmp(cur, HG_S_CANCELLED) != 0 &&
	    strcmp(cur, HG_S_PERSON) != 0) {
		hg_fail(err, "bill %lld is %s: already queued", id, cur);
		goto out;
	}
	/* retention took the certificate number 1101 would need */
	if (gone) {
		hg_fail(err, "bill %lld: its personal data was removed under "
		    "retention.personal_days: it cannot be settled again from "
		    "the outbox (queue show %lld)", id, id);
		goto out;
	}
	if (strcmp(cur, HG_S_CANCELLED) == 0 || pending) {
		if (keep_version(ob, id, pending ? "replaced by its amendment "
		    "on retry" : "settled again after a cancellation",
		    err) == -1)
			goto out;
	}
	if (pending && apply_amendment(ob, id, err) == -1)
		goto out;
	s = sj_prep(db, "UPDATE bills SET step = NULL, attempts = 0,"
	    " next_attempt_ms = 0, err_msg = NULL, setl_id = NULL,"
	    " setl_json = NULL, lease_owner = NULL, lease_until_ms = 0"
	    " WHERE id = ?1", err);
	if (s == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (sj_done(db, s, NULL, err) == -1 ||
	    hg_outbox_set_state(ob, id, cur, HG_S_READY, why, err) == -1)
		goto out;
	rc = 0;
out:
	return sj_tx_leave(ob, own, rc, err);
}

int
hg_steps_person_ms(struct hg_outbox *ob, long long id, int64_t *ms,
    struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s;
	int r;

	*ms = 0;
	s = sj_prep(db, "SELECT coalesce(max(at_ms), 0) FROM history"
	    " WHERE bill_id = ?1 AND from_state = '" HG_S_PERSON "'", err);
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = sqlite3_step(s)) == SQLITE_ROW)
		*ms = sqlite3_column_int64(s, 0);
	sj_finish(s);
	if (r != SQLITE_ROW)
		return hg_fail(err, "bill %lld: history: %s", id,
		    sqlite3_errmsg(db));
	return 0;
}

int
hg_steps_cancelled(struct hg_outbox *ob, long long id, const char *reason,
    struct hg_err *err)
{
	char cur[32];
	int own, rc = -1;

	if (sj_tx_enter(ob, &own, err) == -1)
		return -1;
	if (state_of(ob, id, cur, sizeof cur, NULL, NULL, err) == -1)
		goto out;
	if (strcmp(cur, HG_S_SETTLED) != 0 && strcmp(cur, HG_S_AMENDED) != 0) {
		hg_fail(err, "bill %lld is %s, not settled", id, cur);
		goto out;
	}
	if (hg_outbox_set_state(ob, id, cur, HG_S_CANCELLED, reason, err) == -1)
		goto out;
	rc = 0;
out:
	return sj_tx_leave(ob, own, rc, err);
}

/* "HOST:PID:NONCE:..." -> pid and nonce (pointer into owner). */
static int
owner_parse(const char *owner, size_t hostlen, long *pid, const char **nonce,
    size_t *noncelen)
{
	const char *p = owner + hostlen + 1, *e;
	char *end;

	*pid = strtol(p, &end, 10);
	if (end == p || *end != ':' || *pid <= 0)
		return -1;
	*nonce = end + 1;
	e = strchr(*nonce, ':');
	*noncelen = e != NULL ? (size_t)(e - *nonce) : strlen(*nonce);
	return 0;
}

int
hg_steps_reap(struct hg_outbox *ob, const char *host, const char *nonce,
    int *n, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *s, *u;
	const char *owner, *on;
	size_t hostlen = strlen(host), onlen;
	long pid;
	int own, c, rc = -1, r;

	*n = 0;
	if (sj_tx_enter(ob, &own, err) == -1)
		return -1;
	s = sj_prep(db, "SELECT id, lease_owner FROM bills WHERE state IN "
	    WORKED " AND lease_until_ms > 0 AND lease_owner IS NOT NULL",
	    err);
	if (s == NULL)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		owner = (const char *)sqlite3_column_text(s, 1);
		if (strncmp(owner, host, hostlen) != 0 ||
		    owner[hostlen] != ':' ||
		    owner_parse(owner, hostlen, &pid, &on, &onlen) == -1)
			continue;
		if ((pid_t)pid == getpid()) {
			if (onlen == strlen(nonce) &&
			    strncmp(on, nonce, onlen) == 0)
				continue;	/* ours, alive */
		} else if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
			continue;
		}
		u = sj_prep(db, "UPDATE bills SET lease_until_ms = 0 WHERE id ="
		    " ?1 AND lease_owner = ?2", err);
		if (u == NULL)
			break;
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(s, 0));
		sj_bind_text(u, 2, owner);
		if (sj_done(db, u, &c, err) == -1) {
			r = -1;
			break;
		}
		*n += c;
	}
	sj_finish(s);
	if (r != SQLITE_DONE) {
		if (r != -1 && r != SQLITE_ROW)
			hg_fail(err, "outbox steps: %s", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	return sj_tx_leave(ob, own, rc, err);
}
