/* Retention: the personal data of bills finished long ago taken out of
 * every table that holds some of it (see hg_outbox_scrub in outbox.h;
 * which fields, lib/redact.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/redact.h"
#include "lib/xmalloc.h"
#include "queue/outbox_int.h"

/* Finished for good, as for hg_outbox_purge: nothing will be sent for
 * it again, so nothing will need the name or certificate again. */
#define FINAL \
	"state IN ('" HG_S_SETTLED "', '" HG_S_CANCELLED "') AND " \
	"pending_json IS NULL"

/* Every text column a bill's personal data can reach, with the column
 * that names the bill.  json: a JSON text (fields removed); else free
 * text (learnt values cut out). */
static const struct col {
	const char *table, *bill, *col;
	int	 json;
} cols[] = {
	{ "bills", "id", "bill_json", 1 },
	{ "bills", "id", "setl_json", 1 },
	{ "bills", "id", "reasons", 0 },
	{ "bills", "id", "err_msg", 0 },
	{ "bill_versions", "bill_id", "bill_json", 1 },
	{ "bill_versions", "bill_id", "setl_json", 1 },
	{ "bill_versions", "bill_id", "reasons", 0 },
	{ "bill_versions", "bill_id", "err_msg", 0 },
	{ "history", "bill_id", "reason", 0 },
	{ "steps", "bill_id", "request", 1 },
	{ "steps", "bill_id", "response", 1 },
	{ "steps", "bill_id", "err_msg", 0 },
	{ "writeback", "bill_id", "error", 0 },
	{ "audit_findings", "bill_id", "text", 0 },
	{ "audit_runs", "bill_id", "released_why", 0 },
};
#define NCOLS	(sizeof cols / sizeof cols[0])

struct texts {
	long long *rowid;
	char	**text;
	size_t	 n, cap;
};

static void
texts_free(struct texts *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->text[i]);
	free(t->rowid);
	free(t->text);
	memset(t, 0, sizeof *t);
}

/* The texts of one column for bill id, read whole before any is
 * rewritten. */
static int
texts_read(struct hg_outbox *ob, const struct col *c, long long id,
    struct texts *t, struct hg_err *err)
{
	sqlite3_stmt *s;
	char *sql;
	int r;

	memset(t, 0, sizeof *t);
	sql = hg_xasprintf("SELECT rowid, %s FROM %s WHERE %s = ?1 AND %s IS "
	    "NOT NULL", c->col, c->table, c->bill, c->col);
	r = ob_query(ob, sql, &s, err);
	free(sql);
	if (r == -1)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((r = ob_step_row(ob, s, err)) == 1) {
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 4;
			t->rowid = hg_xrealloc(t->rowid, t->cap,
			    sizeof *t->rowid);
			t->text = hg_xrealloc(t->text, t->cap, sizeof *t->text);
		}
		t->rowid[t->n] = sqlite3_column_int64(s, 0);
		t->text[t->n++] = ob_col_dup(s, 1);
	}
	sqlite3_finalize(s);
	if (r == -1)
		texts_free(t);
	return r;
}

static int
texts_write(struct hg_outbox *ob, const struct col *c,
    const struct hg_redact *rd, const struct texts *t, struct hg_err *err)
{
	sqlite3_stmt *s;
	char *sql, *v;
	size_t i;
	int changed, rc = 0;

	if (t->n == 0)
		return 0;
	sql = hg_xasprintf("UPDATE %s SET %s = ?1 WHERE rowid = ?2",
	    c->table, c->col);
	rc = ob_query(ob, sql, &s, err);
	free(sql);
	for (i = 0; rc == 0 && i < t->n; i++) {
		changed = 0;
		v = c->json ? hg_redact_json(rd, t->text[i], &changed) :
		    hg_redact_text(rd, t->text[i], &changed);
		if (changed) {
			ob_bind_text(s, 1, v);
			sqlite3_bind_int64(s, 2, t->rowid[i]);
			rc = ob_step_done(ob, s, err);
		}
		free(v);
	}
	sqlite3_finalize(s);
	return rc;
}

/* One bill, inside the caller's transaction: learn its identifying
 * values from every JSON text (and the patient key, its certificate
 * number), then rewrite every text and mark it. */
static int
scrub_bill(struct hg_outbox *ob, long long id, int64_t now_ms,
    struct hg_err *err)
{
	struct texts t[NCOLS];
	struct hg_redact rd;
	sqlite3_stmt *s = NULL;
	size_t i, j;
	int r, rc = -1;

	memset(t, 0, sizeof t);
	hg_redact_init(&rd);
	for (i = 0; i < NCOLS; i++) {
		if (texts_read(ob, &cols[i], id, &t[i], err) == -1)
			goto out;
		for (j = 0; cols[i].json && j < t[i].n; j++)
			hg_redact_learn(&rd, t[i].text[j]);
	}
	if (ob_query(ob, "SELECT patient_key FROM bills WHERE id = ?1 UNION "
	    "SELECT patient_key FROM bill_versions WHERE bill_id = ?1", &s,
	    err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	while ((r = ob_step_row(ob, s, err)) == 1)
		hg_redact_add(&rd, (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	s = NULL;
	if (r == -1)
		goto out;
	for (i = 0; i < NCOLS; i++)
		if (texts_write(ob, &cols[i], &rd, &t[i], err) == -1)
			goto out;
	/* the patient key is the certificate number: a finished bill
	 * orders nothing any more (hg_outbox_claim looks at unfinished
	 * ones), and the audit's look at a patient's other bills no
	 * longer finds this one */
	if (ob_query(ob, "UPDATE bill_versions SET patient_key = NULL WHERE "
	    "bill_id = ?1", &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (ob_step_done(ob, s, err) == -1)
		goto out;
	sqlite3_finalize(s);
	if (ob_query(ob, "UPDATE bills SET patient_key = NULL, scrubbed_ms = "
	    "?2 WHERE id = ?1 AND " FINAL, &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	if (ob_step_done(ob, s, err) == -1)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(s);
	for (i = 0; i < NCOLS; i++)
		texts_free(&t[i]);
	hg_redact_free(&rd);
	return rc;
}

/* In the batch's transaction: this run (now_ms) took n more bills.  A
 * run is one now_ms, whatever the number of its batches. */
static int
note_run(struct hg_outbox *ob, int64_t now_ms, long long n,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (ob_query(ob, "INSERT INTO retention_run (id, run_ms, bills) "
	    "VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET bills = CASE "
	    "WHEN run_ms = excluded.run_ms THEN bills + excluded.bills ELSE "
	    "excluded.bills END, run_ms = excluded.run_ms", &s, err) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, n);
	rc = ob_step_done(ob, s, err);
	sqlite3_finalize(s);
	return rc;
}

int
hg_outbox_scrub_last(struct hg_outbox *ob, int64_t *run_ms, long long *bills,
    struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	*run_ms = 0;
	*bills = 0;
	if (ob_query(ob, "SELECT run_ms, bills FROM retention_run WHERE id = 1",
	    &s, err) == -1)
		return -1;
	if ((r = ob_step_row(ob, s, err)) == 1) {
		*run_ms = sqlite3_column_int64(s, 0);
		*bills = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return r;
}

int
hg_outbox_scrub(struct hg_outbox *ob, int64_t before_ms, int64_t now_ms,
    int limit, int dry, void (*cb)(long long id, void *arg), void *arg,
    long long *n, struct hg_err *err)
{
	long long *ids = NULL;
	sqlite3_stmt *s = NULL;
	size_t i, nids = 0, cap = 0;
	int own = 0, r, rc = -1;

	*n = 0;
	if (limit <= 0)
		limit = 1;
	if (!dry) {
		/* freed cells and pages are overwritten with zeros: what a
		 * scrub removes does not stay readable in the file's free
		 * space (the -wal file: hg_outbox_checkpoint) */
		if (ob_exec(ob, "PRAGMA secure_delete = ON", err) == -1 ||
		    ob_tx_enter(ob, &own, err) == -1)
			return -1;
	}
	/* a bill changed since its scrub (a 2305 of a scrubbed settled
	 * bill journals the platform's answer, which may name her again)
	 * is due again */
	if (ob_query(ob, "SELECT id FROM bills WHERE " FINAL " AND "
	    "coalesce(scrubbed_ms, 0) <= updated_ms AND updated_ms < ?1 "
	    "ORDER BY id LIMIT ?2", &s, err) == -1)
		goto out;
	sqlite3_bind_int64(s, 1, before_ms);
	sqlite3_bind_int(s, 2, dry ? -1 : limit);
	while ((r = ob_step_row(ob, s, err)) == 1) {
		if (nids == cap) {
			cap = cap ? cap * 2 : 64;
			ids = hg_xrealloc(ids, cap, sizeof *ids);
		}
		ids[nids++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (r == -1)
		goto out;
	for (i = 0; !dry && i < nids; i++)
		if (scrub_bill(ob, ids[i], now_ms, err) == -1)
			goto out;
	if (!dry && note_run(ob, now_ms, (long long)nids, err) == -1)
		goto out;
	rc = 0;
out:
	if (!dry)
		rc = ob_tx_leave(ob, own, rc, err);
	/* told only what is committed */
	for (i = 0; rc == 0 && cb != NULL && i < nids; i++)
		cb(ids[i], arg);
	if (rc == 0)
		*n = (long long)nids;
	free(ids);
	return rc;
}

int
hg_outbox_checkpoint(struct hg_outbox *ob, int *busy, struct hg_err *err)
{
	sqlite3_stmt *s;
	int r;

	*busy = 0;
	if (ob_query(ob, "PRAGMA wal_checkpoint(TRUNCATE)", &s, err) == -1)
		return -1;
	if ((r = ob_step_row(ob, s, err)) == 1)
		*busy = sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	return r == -1 ? -1 : 0;
}
