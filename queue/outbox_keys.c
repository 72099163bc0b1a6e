/* The Idempotency-Keys httppush has answered, see outbox.h.  In the
 * outbox, so that a restart answers a repeated key as before (the same
 * bill, or 422 for another body), and purged with the bills. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/log.h"
#include "queue/outbox.h"

static int
fail(sqlite3 *db, struct hg_err *err)
{
	int rc = sqlite3_errcode(db);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL ||
	    rc == SQLITE_IOERR)
		return hg_failt(err, "outbox: push keys: %s",
		    sqlite3_errmsg(db));
	return hg_fail(err, "outbox: push keys: %s", sqlite3_errmsg(db));
}

int
hg_outbox_key_get(struct hg_outbox *ob, const char *adapter, const char *key,
    char hash[65], long long *bill_id, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT hash, bill_id FROM push_keys "
	    "WHERE adapter = ?1 AND key = ?2", -1, &st, NULL) != SQLITE_OK)
		return fail(db, err);
	sqlite3_bind_text(st, 1, adapter, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st,
		    0));
		*bill_id = sqlite3_column_int64(st, 1);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = fail(db, err);
	sqlite3_finalize(st);
	return rc;
}

int
hg_outbox_key_put(struct hg_outbox *ob, const char *adapter, const char *key,
    const char *hash, long long bill_id, struct hg_err *err)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO push_keys (adapter, "
	    "key, hash, bill_id, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)", -1,
	    &st, NULL) != SQLITE_OK)
		return fail(db, err);
	sqlite3_bind_text(st, 1, adapter, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, bill_id);
	sqlite3_bind_int64(st, 5, hg_wall_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(db, err);
	sqlite3_finalize(st);
	return rc;
}
