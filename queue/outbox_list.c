/* Reading the outbox: rows, listings, counts per state, a bill's history,
 * and the purge of bills finished for good. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "queue/outbox_int.h"
#include "queue/stats.h"

void
hg_row_free(struct hg_row *row)
{
	if (row == NULL)
		return;
	free(row->adapter);
	free(row->source_key);
	free(row->hash);
	free(row->state);
	free(row->reasons);
	free(row->bill_json);
	free(row->patient_key);
	free(row->ipt_no);
	free(row->step);
	free(row->psn_no);
	free(row->insuplc_admdvs);
	free(row->mdtrt_id);
	free(row->setl_id);
	free(row->setl_json);
	free(row->err_msg);
	free(row->pending_json);
	free(row->lease_owner);
	memset(row, 0, sizeof *row);
}

/* Fill row from a statement selecting ROW_COLS. */
void
ob_row_fill(sqlite3_stmt *s, struct hg_row *row)
{
	memset(row, 0, sizeof *row);
	row->id = sqlite3_column_int64(s, 0);
	row->adapter = ob_col_dup(s, 1);
	row->source_key = ob_col_dup(s, 2);
	row->hash = ob_col_dup(s, 3);
	row->version = sqlite3_column_int(s, 4);
	row->state = ob_col_dup(s, 5);
	row->reasons = ob_col_dup(s, 6);
	row->bill_json = ob_col_dup(s, 7);
	row->patient_key = ob_col_dup(s, 8);
	row->ipt_no = ob_col_dup(s, 9);
	row->total = sqlite3_column_int64(s, 10);
	row->created_ms = sqlite3_column_int64(s, 11);
	row->updated_ms = sqlite3_column_int64(s, 12);
	row->step = ob_col_dup(s, 13);
	row->attempts = sqlite3_column_int(s, 14);
	row->next_attempt_ms = sqlite3_column_int64(s, 15);
	row->psn_no = ob_col_dup(s, 16);
	row->insuplc_admdvs = ob_col_dup(s, 17);
	row->mdtrt_id = ob_col_dup(s, 18);
	row->setl_id = ob_col_dup(s, 19);
	row->setl_json = ob_col_dup(s, 20);
	row->err_msg = ob_col_dup(s, 21);
	row->pending_json = ob_col_dup(s, 22);
	row->lease_owner = ob_col_dup(s, 23);
	row->lease_until_ms = sqlite3_column_int64(s, 24);
	row->scrubbed_ms = sqlite3_column_int64(s, 25);
}

int
hg_outbox_list(struct hg_outbox *ob, const char *state,
    int (*cb)(const struct hg_row *row, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	struct hg_row row;
	int r = 0, stop = 0, ret = -1;

	if (state != NULL && !ob_is_state(state))
		return hg_fail(err, "outbox %s: no such state: %s", ob->path,
		    state);
	if (ob_query(ob, state == NULL ?
	    "SELECT " ROW_COLS " FROM bills ORDER BY id" :
	    "SELECT " ROW_COLS " FROM bills WHERE state = ?1 ORDER BY id",
	    &s, err) == -1)
		return -1;
	if (state != NULL)
		ob_bind_text(s, 1, state);
	while (!stop && (r = ob_step_row(ob, s, err)) == 1) {
		ob_row_fill(s, &row);
		stop = cb(&row, arg);
		hg_row_free(&row);
	}
	if (stop || r == 0)
		ret = 0;
	sqlite3_finalize(s);
	return ret;
}

int
hg_outbox_get(struct hg_outbox *ob, long long id, struct hg_row *row,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	memset(row, 0, sizeof *row);
	if ((s = ob_prep(ob, ST_ROW, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = ob_step_row(ob, s, err)) == -1)
		return -1;
	if (r == 0)
		return hg_fail(err, "no bill %lld", id);
	ob_row_fill(s, row);
	sqlite3_reset(s);
	return 0;
}

int
hg_outbox_counts(struct hg_outbox *ob,
    void (*cb)(const char *state, long long n, void *arg), void *arg,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r, ret = -1;

	if (ob_query(ob, "SELECT state, count(*) FROM bills GROUP BY state "
	    "ORDER BY state", &s, err) == -1)
		return -1;
	while ((r = ob_step_row(ob, s, err)) == 1)
		cb((const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_int64(s, 1), arg);
	if (r == 0)
		ret = 0;
	sqlite3_finalize(s);
	return ret;
}

int
hg_outbox_purge(struct hg_outbox *ob, int64_t before_ms, int dry,
    long long *n, struct hg_err *err)
{
	static const char *const del[] = {
		"DELETE FROM steps WHERE bill_id IN (SELECT id FROM purge_ids)",
		"DELETE FROM writeback WHERE bill_id IN "
		    "(SELECT id FROM purge_ids)",
		"DELETE FROM push_keys WHERE bill_id IN "
		    "(SELECT id FROM purge_ids)",
		"DELETE FROM history WHERE bill_id IN "
		    "(SELECT id FROM purge_ids)",
		"DELETE FROM bill_versions WHERE bill_id IN "
		    "(SELECT id FROM purge_ids)",
		"DELETE FROM bills WHERE id IN (SELECT id FROM purge_ids)",
		NULL,
	};
	const char *const *d;
	sqlite3_stmt *s = NULL;
	int own, rc = -1, r;

	*n = 0;
	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	/* Only what is finished and will never be sent again: settled or
	 * cancelled, with no amendment waiting for a person. */
	if (ob_exec(ob, "CREATE TEMP TABLE IF NOT EXISTS purge_ids(id INTEGER "
	    "PRIMARY KEY); DELETE FROM purge_ids", err) == -1)
		goto out;
	if (sqlite3_prepare_v2(ob->db, "INSERT INTO purge_ids SELECT id FROM "
	    "bills WHERE state IN ('settled', 'cancelled') AND pending_json "
	    "IS NULL AND updated_ms < ?1", -1, &s, NULL) != SQLITE_OK) {
		ob_db_fail(ob, sqlite3_errcode(ob->db), err);
		goto out;
	}
	sqlite3_bind_int64(s, 1, before_ms);
	if ((r = sqlite3_step(s)) != SQLITE_DONE) {
		ob_db_fail(ob, r, err);
		goto out;
	}
	*n = sqlite3_changes(ob->db);
	if (!dry && *n > 0 && hg_stats_carry(ob, "SELECT id FROM purge_ids",
	    err) == -1)
		goto out;
	for (d = del; !dry && *d != NULL; d++)
		if (ob_exec(ob, *d, err) == -1)
			goto out;
	rc = 0;
out:
	sqlite3_finalize(s);
	if (dry && own && rc == 0) {
		ob_tx_abort(ob);	/* counted, nothing written */
		return 0;
	}
	return ob_tx_leave(ob, own, rc, err);
}

/* 1 when the bill exists, 0 when not, -1 on error. */
static int
bill_exists(struct hg_outbox *ob, long long id, struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	if ((s = ob_prep(ob, ST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((r = ob_step_row(ob, s, err)) == 1)
		sqlite3_reset(s);
	return r;
}

int
hg_outbox_history(struct hg_outbox *ob, long long id,
    int (*cb)(int64_t at_ms, const char *from, const char *to,
    const char *reason, void *arg), void *arg, struct hg_err *err)
{
	sqlite3_stmt *s;
	int r = 0, n = 0, stop = 0, ret = -1;

	if (ob_query(ob, "SELECT at_ms, from_state, to_state, reason "
	    "FROM history WHERE bill_id = ?1 ORDER BY id", &s, err) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while (!stop && (r = ob_step_row(ob, s, err)) == 1) {
		n++;
		stop = cb(sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2),
		    (const char *)sqlite3_column_text(s, 3), arg);
	}
	if (r == -1)
		goto out;
	/* Every bill has a history row from its first insert. */
	if (n == 0) {
		if ((r = bill_exists(ob, id, err)) == -1)
			goto out;
		if (r == 0) {
			hg_fail(err, "no bill %lld", id);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}
