/* Intake: idempotent put of a bill (new, same, replaced before sending,
 * amendment held after sending) and the adapters' cursors, written in the
 * same transaction as the bills they cover. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/outbox_int.h"

/* The stored identity of a bill, as put() needs it. */
struct found {
	long long id;
	char	*state;
	char	*hash;
	char	*pending_hash;
	int	 version;
};

static int
find(struct hg_outbox *ob, const struct hg_put *put, struct found *f,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if ((s = ob_prep(ob, ST_FIND, err)) == NULL)
		return -1;
	ob_bind_text(s, 1, put->adapter);
	ob_bind_text(s, 2, put->source_key);
	if ((r = ob_step_row(ob, s, err)) != 1)
		return r;
	f->id = sqlite3_column_int64(s, 0);
	f->state = ob_col_dup(s, 1);
	f->hash = ob_col_dup(s, 2);
	f->version = sqlite3_column_int(s, 3);
	f->pending_hash = ob_col_dup(s, 4);
	sqlite3_reset(s);
	return 1;
}

static int
put_new(struct hg_outbox *ob, const struct hg_put *put, int64_t now,
    long long *id, struct hg_err *err)
{
	sqlite3_stmt *s;
	char *why;
	int rc;

	if ((s = ob_prep(ob, ST_INSERT, err)) == NULL)
		return -1;
	ob_bind_text(s, 1, put->adapter);
	ob_bind_text(s, 2, put->source_key);
	ob_bind_text(s, 3, put->hash);
	ob_bind_text(s, 4, put->state);
	ob_bind_text(s, 5, put->reasons);
	ob_bind_text(s, 6, put->bill_json);
	ob_bind_text(s, 7, put->patient_key);
	ob_bind_text(s, 8, put->ipt_no);
	sqlite3_bind_int64(s, 9, put->total);
	sqlite3_bind_int64(s, 10, now);
	if (ob_step_done(ob, s, err) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(ob->db);
	why = hg_xasprintf("received from %s", put->adapter);
	rc = ob_history_add(ob, *id, now, NULL, put->state, why, err);
	free(why);
	return rc;
}

/* Keep the current content in bill_versions before it changes. */
int
ob_keep_version(struct hg_outbox *ob, long long id, int64_t now,
    const char *why, struct hg_err *err)
{
	sqlite3_stmt *s;

	if ((s = ob_prep(ob, ST_KEEP, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	ob_bind_text(s, 3, why);
	return ob_step_done(ob, s, err);
}

static int
put_replace(struct hg_outbox *ob, const struct hg_put *put,
    const struct found *f, int64_t now, struct hg_err *err)
{
	sqlite3_stmt *s;
	char why[64];

	snprintf(why, sizeof why, "replaced by version %d", f->version + 1);
	if (ob_keep_version(ob, f->id, now, why, err) == -1 ||
	    (s = ob_prep(ob, ST_REPLACE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	ob_bind_text(s, 2, put->hash);
	ob_bind_text(s, 3, put->bill_json);
	ob_bind_text(s, 4, put->state);
	ob_bind_text(s, 5, put->reasons);
	ob_bind_text(s, 6, put->patient_key);
	ob_bind_text(s, 7, put->ipt_no);
	sqlite3_bind_int64(s, 8, put->total);
	sqlite3_bind_int64(s, 9, now);
	if (ob_step_done(ob, s, err) == -1)
		return -1;
	return ob_history_add(ob, f->id, now, f->state, put->state, why, err);
}

/* Changed after sending: hold the new content for a person.  A settled
 * bill becomes amended now; one still being settled keeps its state and
 * the settler moves it to amended when it finishes. */
static int
put_amend(struct hg_outbox *ob, const struct hg_put *put,
    const struct found *f, int64_t now, struct hg_err *err)
{
	sqlite3_stmt *s;
	const char *to, *why;

	if (strcmp(f->state, HG_S_SETTLED) == 0) {
		to = HG_S_AMENDED;
		why = "changed at the source after settlement; held for a "
		    "person to decide";
	} else if (strcmp(f->state, HG_S_AMENDED) == 0) {
		to = f->state;
		why = "changed again at the source; newer amendment held";
	} else {
		to = f->state;
		why = "changed at the source while being settled; amendment "
		    "held";
	}
	if ((s = ob_prep(ob, ST_PENDING, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	ob_bind_text(s, 2, put->bill_json);
	ob_bind_text(s, 3, put->hash);
	ob_bind_text(s, 4, to);
	sqlite3_bind_int64(s, 5, now);
	if (ob_step_done(ob, s, err) == -1)
		return -1;
	return ob_history_add(ob, f->id, now, f->state, to, why, err);
}

int
hg_outbox_put(struct hg_outbox *ob, const struct hg_put *put,
    enum hg_put_outcome *outcome, long long *id, struct hg_err *err)
{
	struct found f;
	enum hg_put_outcome out = HG_PUT_SAME;
	const char *latest;
	long long bid = 0;
	int64_t now;
	int own, r, rc = -1;

	if (put->adapter == NULL || put->source_key == NULL ||
	    put->hash == NULL || put->bill_json == NULL)
		return hg_fail(err, "outbox %s: put: adapter, source key, hash "
		    "and bill are required", ob->path);
	if (!ob_is_intake_state(put->state))
		return hg_fail(err, "outbox %s: put %s/%s: state must be %s or "
		    "%s, not %s", ob->path, put->adapter, put->source_key,
		    HG_S_READY, HG_S_INVALID,
		    put->state != NULL ? put->state : "NULL");
	memset(&f, 0, sizeof f);
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	now = hg_wall_ms();
	if ((r = find(ob, put, &f, err)) == -1)
		goto out;
	if (r == 0) {
		if (put_new(ob, put, now, &bid, err) == -1)
			goto out;
		out = HG_PUT_NEW;
		rc = 0;
		goto out;
	}
	bid = f.id;
	/* Compare with the newest content we know of: a pending amendment
	 * is newer than what was sent. */
	latest = f.pending_hash != NULL ? f.pending_hash : f.hash;
	if (strcmp(put->hash, latest) == 0)
		out = HG_PUT_SAME;
	else if (!ob_is_sent_state(f.state)) {
		if (put_replace(ob, put, &f, now, err) == -1)
			goto out;
		out = HG_PUT_REPLACED;
	} else {
		if (put_amend(ob, put, &f, now, err) == -1)
			goto out;
		out = HG_PUT_AMENDED;
	}
	rc = 0;
out:
	rc = ob_tx_leave(ob, own, rc, err);
	free(f.state);
	free(f.hash);
	free(f.pending_hash);
	if (rc == 0) {
		if (outcome != NULL)
			*outcome = out;
		if (id != NULL)
			*id = bid;
	}
	return rc;
}

int
hg_outbox_set_cursor(struct hg_outbox *ob, const char *adapter,
    const char *cursor, struct hg_err *err)
{
	sqlite3_stmt *s;
	int own, rc = -1;

	if (adapter == NULL || cursor == NULL)
		return hg_fail(err, "outbox %s: set cursor: adapter and cursor "
		    "are required", ob->path);
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	if ((s = ob_prep(ob, ST_CURSOR_SET, err)) == NULL)
		goto out;
	ob_bind_text(s, 1, adapter);
	ob_bind_text(s, 2, cursor);
	sqlite3_bind_int64(s, 3, hg_wall_ms());
	rc = ob_step_done(ob, s, err);
out:
	return ob_tx_leave(ob, own, rc, err);
}

char *
hg_outbox_get_cursor(struct hg_outbox *ob, const char *adapter)
{
	sqlite3_stmt *s;
	char *v;

	if ((s = ob_prep(ob, ST_CURSOR_GET, NULL)) == NULL)
		return NULL;
	ob_bind_text(s, 1, adapter);
	if (ob_step_row(ob, s, NULL) != 1)
		return NULL;
	v = ob_col_dup(s, 0);
	sqlite3_reset(s);
	return v;
}
