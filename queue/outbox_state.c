/* State changes with their history rows, re-mapped bills, and the
 * settlers' claims and leases. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/outbox_int.h"

/* The state of bill id, copied into buf; 0, or -1 (also when there is no
 * such bill). */
static int
state_of(struct hg_outbox *ob, long long id, char *buf, size_t len,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if ((s = ob_prep(ob, ST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = ob_step_row(ob, s, err)) != 1)
		return r == 0 ? hg_fail(err, "no bill %lld", id) : -1;
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return 0;
}

int
hg_outbox_set_state(struct hg_outbox *ob, long long id,
    const char *from, const char *to, const char *reason,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	char cur[32];
	int64_t now;
	int own, rc = -1;

	if (!ob_is_state(to) || (from != NULL && !ob_is_state(from)))
		return hg_fail(err, "outbox %s: bill %lld: no such state: %s",
		    ob->path, id, !ob_is_state(to) ? (to != NULL ? to : "NULL") :
		    from);
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	now = hg_wall_ms();
	if (state_of(ob, id, cur, sizeof cur, err) == -1)
		goto out;
	if (from != NULL && strcmp(cur, from) != 0) {
		hg_fail(err, "bill %lld is %s, not %s", id, cur, from);
		goto out;
	}
	if ((s = ob_prep(ob, ST_STATE_SET, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	ob_bind_text(s, 2, to);
	sqlite3_bind_int64(s, 3, now);
	if (ob_step_done(ob, s, err) == -1 ||
	    ob_history_add(ob, id, now, cur, to, reason, err) == -1)
		goto out;
	rc = 0;
out:
	return ob_tx_leave(ob, own, rc, err);
}

int
hg_outbox_update_bill(struct hg_outbox *ob, long long id,
    const char *bill_json, const char *state, const char *reasons,
    const char *why, struct hg_err *err)
{
	sqlite3_stmt *s;
	char cur[32];
	int64_t now;
	int own, rc = -1;

	if (bill_json == NULL || !ob_is_intake_state(state))
		return hg_fail(err, "outbox %s: update bill %lld: a bill and "
		    "a state of %s or %s are required", ob->path, id,
		    HG_S_READY, HG_S_INVALID);
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	now = hg_wall_ms();
	if (state_of(ob, id, cur, sizeof cur, err) == -1)
		goto out;
	if (ob_is_sent_state(cur)) {
		hg_fail(err, "bill %lld is %s: its content was sent and "
		    "cannot change", id, cur);
		goto out;
	}
	if (ob_keep_version(ob, id, now, why, err) == -1 ||
	    (s = ob_prep(ob, ST_UPDATE, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	ob_bind_text(s, 2, bill_json);
	ob_bind_text(s, 3, state);
	ob_bind_text(s, 4, reasons);
	sqlite3_bind_int64(s, 5, now);
	if (ob_step_done(ob, s, err) == -1 ||
	    ob_history_add(ob, id, now, cur, state, why, err) == -1)
		goto out;
	rc = 0;
out:
	return ob_tx_leave(ob, own, rc, err);
}

/* The best claimable bill so far: due first, then oldest. */
struct pick {
	long long id;		/* 0: none yet */
	int64_t	 due;
};

/* Look at the next claimable bill in one state.  0 or -1. */
static int
candidate(struct hg_outbox *ob, const char *state, int64_t now_ms,
    struct pick *best, struct hg_err *err)
{
	sqlite3_stmt *s;
	long long id;
	int64_t due;
	int r, ready = strcmp(state, HG_S_READY) == 0;

	if ((s = ob_prep(ob, ready ? ST_CLAIM_READY : ST_CLAIM_LEASED,
	    err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	if (!ready)
		ob_bind_text(s, 2, state);
	if ((r = ob_step_row(ob, s, err)) != 1)
		return r;
	id = sqlite3_column_int64(s, 0);
	due = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	if (best->id == 0 || due < best->due ||
	    (due == best->due && id < best->id)) {
		best->id = id;
		best->due = due;
	}
	return 0;
}

static int
claim_one(struct hg_outbox *ob, long long id, const char *owner,
    int64_t now_ms, int64_t lease_ms, struct hg_err *err)
{
	sqlite3_stmt *s;
	char state[32], *prev = NULL, *why = NULL;
	const char *to;
	int64_t prev_until, wall;
	int r, rc = -1;

	if ((s = ob_prep(ob, ST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = ob_step_row(ob, s, err)) != 1) {
		if (r == 0)
			hg_fail(err, "no bill %lld", id);
		return -1;
	}
	snprintf(state, sizeof state, "%s",
	    (const char *)sqlite3_column_text(s, 0));
	prev = ob_col_dup(s, 1);
	prev_until = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);

	wall = hg_wall_ms();
	to = strcmp(state, HG_S_READY) == 0 ? HG_S_PROGRESS : state;
	if ((s = ob_prep(ob, ST_CLAIM_SET, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	ob_bind_text(s, 2, to);
	ob_bind_text(s, 3, owner);
	sqlite3_bind_int64(s, 4, now_ms + lease_ms);
	sqlite3_bind_int64(s, 5, wall);
	if (ob_step_done(ob, s, err) == -1)
		goto out;
	/* A first claim is a state change; taking over from a worker whose
	 * lease ran out (it crashed or hung) is worth a line too.  A bill
	 * given back with hg_outbox_release has no lease and is simply
	 * picked up again. */
	if (strcmp(to, state) != 0)
		why = hg_xasprintf("claimed by %s", owner);
	else if (prev != NULL && prev_until > 0)
		why = hg_xasprintf("lease of %s expired; claimed by %s", prev,
		    owner);
	if (why != NULL && ob_history_add(ob, id, wall, state, to, why,
	    err) == -1)
		goto out;
	rc = 0;
out:
	free(prev);
	free(why);
	return rc;
}

int
hg_outbox_next_due(struct hg_outbox *ob, int64_t now_ms, int64_t *due_ms,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	*due_ms = 0;
	if ((s = ob_prep(ob, ST_DUE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	if ((r = ob_step_row(ob, s, err)) == -1)
		return -1;
	if (r == 1)
		*due_ms = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
hg_outbox_claim(struct hg_outbox *ob, const char *owner,
    int64_t now_ms, int64_t lease_ms, struct hg_row *row,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	struct pick best = { 0, 0 };
	int own, rc = -1;

	memset(row, 0, sizeof *row);
	if (owner == NULL || lease_ms <= 0)
		return hg_fail(err, "outbox %s: claim: an owner and a positive "
		    "lease are required", ob->path);
	/* BEGIN IMMEDIATE takes the write lock before looking, so no two
	 * connections can pick the same bill. */
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	if (candidate(ob, HG_S_READY, now_ms, &best, err) == -1 ||
	    candidate(ob, HG_S_PROGRESS, now_ms, &best, err) == -1 ||
	    candidate(ob, HG_S_INDOUBT, now_ms, &best, err) == -1)
		goto out;
	if (best.id == 0) {
		rc = 0;
		goto out;
	}
	if (claim_one(ob, best.id, owner, now_ms, lease_ms, err) == -1 ||
	    (s = ob_prep(ob, ST_ROW, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, best.id);
	if (ob_step_row(ob, s, err) != 1)
		goto out;
	ob_row_fill(s, row);
	sqlite3_reset(s);
	rc = 1;
out:
	if (ob_tx_leave(ob, own, rc == -1 ? -1 : 0, err) == -1) {
		hg_row_free(row);
		return -1;
	}
	return rc;
}

int
hg_outbox_release(struct hg_outbox *ob, long long id,
    int64_t next_attempt_ms, const char *err_msg, struct hg_err *err)
{
	sqlite3_stmt *s;
	int own, rc = -1;

	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	if ((s = ob_prep(ob, ST_RELEASE, err)) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt_ms);
	ob_bind_text(s, 3, err_msg);
	sqlite3_bind_int64(s, 4, hg_wall_ms());
	if (ob_step_done(ob, s, err) == -1)
		goto out;
	if (sqlite3_changes(ob->db) == 0) {
		hg_fail(err, "no bill %lld", id);
		goto out;
	}
	rc = 0;
out:
	return ob_tx_leave(ob, own, rc, err);
}
