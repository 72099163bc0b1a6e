/* The last detail reconciliation's result (queue/recon.h), in the tables
 * recon_run (one row) and recon_rows of schema 3. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "queue/outbox_int.h"
#include "queue/recon.h"

static int
save_row(struct hg_outbox *ob, const struct hg_recon_row *r,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (ob_query(ob, "INSERT INTO recon_rows (kind, bill_id, person, "
	    "mdtrt_id, setl_id, msgid, medfee_sumamt, memo, fix) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s, err) == -1)
		return -1;
	ob_bind_text(s, 1, r->kind);
	sqlite3_bind_int64(s, 2, r->bill);
	ob_bind_text(s, 3, r->person);
	ob_bind_text(s, 4, r->mdtrt_id);
	ob_bind_text(s, 5, r->setl_id);
	ob_bind_text(s, 6, r->msgid);
	sqlite3_bind_int64(s, 7, r->medfee_sumamt);
	ob_bind_text(s, 8, r->memo);
	ob_bind_text(s, 9, r->fix != NULL ? r->fix : "");
	rc = ob_step_done(ob, s, err);
	sqlite3_finalize(s);
	return rc;
}

int
hg_recon_save(struct hg_outbox *ob, const struct hg_recon_run *run,
    const struct hg_recon_row *rows, size_t n, struct hg_err *err)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int own, rc = -1;

	if (ob_tx_enter(ob, &own, err) == -1)
		return -1;
	if (ob_exec(ob, "DELETE FROM recon_rows; DELETE FROM recon_run",
	    err) == -1 || ob_query(ob, "INSERT INTO recon_run (id, run_ms, "
	    "date, matched) VALUES (1, ?1, ?2, ?3)", &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, run->run_ms);
	ob_bind_text(s, 2, run->date);
	sqlite3_bind_int64(s, 3, run->matched);
	if (ob_step_done(ob, s, err) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (save_row(ob, &rows[i], err) == -1)
			goto out;
	rc = 0;
out:
	sqlite3_finalize(s);
	return ob_tx_leave(ob, own, rc, err);
}

static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v != NULL ? (const char *)v : "";
}

int
hg_recon_last(struct hg_outbox *ob, struct hg_recon_run *run,
    int (*cb)(const struct hg_recon_row *row, void *arg), void *arg,
    struct hg_err *err)
{
	struct hg_recon_row r;
	sqlite3_stmt *s;
	int found;

	memset(run, 0, sizeof *run);
	if (ob_query(ob, "SELECT run_ms, date, matched FROM recon_run", &s,
	    err) == -1)
		return -1;
	if ((found = ob_step_row(ob, s, err)) == 1) {
		run->run_ms = sqlite3_column_int64(s, 0);
		snprintf(run->date, sizeof run->date, "%s", col(s, 1));
		run->matched = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (found != 1)
		return found;
	if (ob_query(ob, "SELECT kind, bill_id, person, mdtrt_id, setl_id, "
	    "msgid, medfee_sumamt, memo, fix FROM recon_rows ORDER BY id", &s,
	    err) == -1)
		return -1;
	while ((found = ob_step_row(ob, s, err)) == 1) {
		r.kind = col(s, 0);
		r.bill = sqlite3_column_int64(s, 1);
		r.person = col(s, 2);
		r.mdtrt_id = col(s, 3);
		r.setl_id = col(s, 4);
		r.msgid = col(s, 5);
		r.medfee_sumamt = sqlite3_column_int64(s, 6);
		r.memo = col(s, 7);
		r.fix = col(s, 8);
		if (cb(&r, arg) != 0)
			break;
	}
	sqlite3_finalize(s);
	return found == -1 ? -1 : 1;
}
