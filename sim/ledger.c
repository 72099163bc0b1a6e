/* The simulator's ledger in SQLite.  Every write happens inside the
 * transaction the platform opens per request, so a request either leaves
 * all of its traces or none (except its msgid, kept on purpose). */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "sim/ledger.h"
#include "sim/ledger_int.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"
	"INSERT OR IGNORE INTO meta VALUES('schema', '1');"
	"CREATE TABLE IF NOT EXISTS signins(sign_no TEXT PRIMARY KEY,"
	" fixmedins_code TEXT NOT NULL, opter TEXT, sign_time INTEGER NOT NULL,"
	" expires INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS msgs(serial INTEGER PRIMARY KEY"
	" AUTOINCREMENT, msgid TEXT NOT NULL UNIQUE, infno TEXT NOT NULL,"
	" fixmedins_code TEXT, psn_no TEXT, recv_time INTEGER NOT NULL,"
	" infcode INTEGER NOT NULL, err_msg TEXT, committed INTEGER NOT NULL,"
	" ref TEXT, reversed_by TEXT);"
	"CREATE TABLE IF NOT EXISTS visits(mdtrt_id TEXT PRIMARY KEY,"
	" psn_no TEXT NOT NULL, insutype TEXT NOT NULL,"
	" insuplc_admdvs TEXT NOT NULL, fixmedins_code TEXT NOT NULL,"
	" ipt_no TEXT, med_type TEXT, begntime TEXT, endtime TEXT,"
	" dscg_way TEXT, state TEXT NOT NULL, adm_msgid TEXT NOT NULL,"
	" dscg_msgid TEXT, created INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS visits_psn ON visits(psn_no, ipt_no);"
	"CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY,"
	" mdtrt_id TEXT NOT NULL REFERENCES visits, feedetl_sn TEXT NOT NULL,"
	" init_feedetl_sn TEXT, msgid TEXT NOT NULL,"
	" med_list_codg TEXT NOT NULL, medins_list_codg TEXT, chrgitm_lv TEXT,"
	" cnt INTEGER NOT NULL, pric INTEGER NOT NULL, amount INTEGER NOT NULL,"
	" fulamt INTEGER NOT NULL, overlmt INTEGER NOT NULL,"
	" presel INTEGER NOT NULL, inscp INTEGER NOT NULL, deleted_by TEXT);"
	"CREATE UNIQUE INDEX IF NOT EXISTS items_live ON items(mdtrt_id,"
	" feedetl_sn) WHERE deleted_by IS NULL;"
	"CREATE INDEX IF NOT EXISTS items_msgid ON items(msgid);"
	"CREATE INDEX IF NOT EXISTS items_deleted ON items(deleted_by);"
	"CREATE TABLE IF NOT EXISTS setls(setl_id TEXT PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('setl', 'canc')),"
	" orig_setl_id TEXT, canc_setl_id TEXT, mdtrt_id TEXT NOT NULL,"
	" psn_no TEXT NOT NULL, insutype TEXT NOT NULL,"
	" insuplc_admdvs TEXT NOT NULL, fixmedins_code TEXT NOT NULL,"
	" msgid TEXT NOT NULL UNIQUE, setl_time TEXT NOT NULL,"
	" year INTEGER NOT NULL, clr_type TEXT, clr_optins TEXT,"
	" medfee INTEGER NOT NULL, fulamt INTEGER NOT NULL,"
	" overlmt INTEGER NOT NULL, presel INTEGER NOT NULL,"
	" inscp INTEGER NOT NULL, dedc INTEGER NOT NULL, hifp INTEGER NOT NULL,"
	" hifmi INTEGER NOT NULL, hifob INTEGER NOT NULL, maf INTEGER NOT NULL,"
	" fund INTEGER NOT NULL, psn INTEGER NOT NULL, acct INTEGER NOT NULL,"
	" cash INTEGER NOT NULL, hosp INTEGER NOT NULL,"
	" ci_base INTEGER NOT NULL, reversed_by TEXT, output TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS setls_visit ON setls(mdtrt_id);"
	"CREATE INDEX IF NOT EXISTS setls_psn ON setls(psn_no, insutype, year);"
	"CREATE TABLE IF NOT EXISTS files(file_qury_no TEXT PRIMARY KEY,"
	" fixmedins_code TEXT NOT NULL, filename TEXT NOT NULL,"
	" kind TEXT NOT NULL, content TEXT NOT NULL, msgid TEXT NOT NULL,"
	" created INTEGER NOT NULL);";

int
sim_ldb_err(struct sim_ledger *l, struct hg_err *err, const char *what)
{
	/* a busy or full disk is worth retrying; the platform says -1 */
	return hg_failt(err, "ledger: %s: %s", what, sqlite3_errmsg(l->db));
}

/* Prepare sql and bind arguments by fmt: 's' const char * (NULL binds
 * null), 'i' int64_t, 'n' int. */
int
sim_ldb_prep(struct sim_ledger *l, sqlite3_stmt **st, struct hg_err *err,
    const char *sql, const char *fmt, ...)
{
	va_list ap;
	const char *s;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK)
		return sim_ldb_err(l, err, "prepare");
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (fmt[i]) {
		case 's':
			s = va_arg(ap, const char *);
			rc = s != NULL ? sqlite3_bind_text(*st, i + 1, s, -1,
			    SQLITE_TRANSIENT) : sqlite3_bind_null(*st, i + 1);
			break;
		case 'i':
			rc = sqlite3_bind_int64(*st, i + 1,
			    va_arg(ap, int64_t));
			break;
		case 'n':
			rc = sqlite3_bind_int(*st, i + 1, va_arg(ap, int));
			break;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return sim_ldb_err(l, err, "bind");
	}
	return 0;
}

/* Step a statement that returns no row, and finalise it. */
int
sim_ldb_done(struct sim_ledger *l, sqlite3_stmt *st, struct hg_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sim_ldb_err(l, err, "write");
	return 0;
}

void
sim_ldb_col_str(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(buf, size, "%s", s != NULL ? (const char *)s : "");
}

static int
exec(struct sim_ledger *l, const char *sql, struct hg_err *err)
{
	if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sim_ldb_err(l, err, sql);
	return 0;
}

int
sim_ledger_open(const char *path, int readonly, struct sim_ledger **out,
    struct hg_err *err)
{
	struct sim_ledger *l = hg_xcalloc(1, sizeof *l);
	int flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int fd;

	*out = NULL;
	/* names and certificate numbers: created 0600 (SQLite gives its
	 * -wal/-shm files the same mode), whatever the umask */
	if (!readonly && (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) != -1)
		close(fd);
	if (sqlite3_open_v2(path, &l->db, flags | SQLITE_OPEN_FULLMUTEX,
	    NULL) != SQLITE_OK) {
		hg_failt(err, "ledger %s: %s", path, sqlite3_errmsg(l->db));
		goto fail;
	}
	sqlite3_busy_timeout(l->db, 10000);
	/* durability is the point of a ledger: a settlement the platform
	 * answered must survive a crash of the platform */
	if (!readonly && (exec(l, "PRAGMA journal_mode=WAL", err) == -1 ||
	    exec(l, "PRAGMA synchronous=FULL", err) == -1 ||
	    exec(l, "PRAGMA foreign_keys=ON", err) == -1 ||
	    exec(l, schema, err) == -1)) {
		hg_err_prefix(err, "%s", path);
		goto fail;
	}
	if (readonly && exec(l, "SELECT count(*) FROM setls", err) == -1) {
		hg_err_prefix(err, "%s", path);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	sqlite3_close(l->db);
	free(l);
	return -1;
}

void
sim_ledger_close(struct sim_ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_close(l->db);
	free(l);
}

int
sim_ledger_begin(struct sim_ledger *l, struct hg_err *err)
{
	return exec(l, "BEGIN IMMEDIATE", err);
}

int
sim_ledger_commit(struct sim_ledger *l, struct hg_err *err)
{
	return exec(l, "COMMIT", err);
}

void
sim_ledger_rollback(struct sim_ledger *l)
{
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

int
sim_ledger_savepoint(struct sim_ledger *l, struct hg_err *err)
{
	return exec(l, "SAVEPOINT req", err);
}

void
sim_ledger_rollback_to(struct sim_ledger *l)
{
	sqlite3_exec(l->db, "ROLLBACK TO req; RELEASE req", NULL, NULL, NULL);
}

int
sim_ledger_release(struct sim_ledger *l, struct hg_err *err)
{
	return exec(l, "RELEASE req", err);
}

/* ---------------------------------------------------------------------- */
/* msgids and sign-ins */

int
sim_ledger_msg_get(struct sim_ledger *l, const char *msgid, struct sim_msg *m,
    int *found, struct hg_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof *m);
	*found = 0;
	if (sim_ldb_prep(l, &st, err, "SELECT msgid, infno, psn_no, infcode, "
	    "committed, ref, reversed_by FROM msgs WHERE msgid = ?", "s",
	    msgid) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		sim_ldb_col_str(st, 0, m->msgid, sizeof m->msgid);
		sim_ldb_col_str(st, 1, m->infno, sizeof m->infno);
		sim_ldb_col_str(st, 2, m->psn_no, sizeof m->psn_no);
		m->infcode = sqlite3_column_int(st, 3);
		m->committed = sqlite3_column_int(st, 4);
		sim_ldb_col_str(st, 5, m->ref, sizeof m->ref);
		sim_ldb_col_str(st, 6, m->reversed_by, sizeof m->reversed_by);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "msgs");
	return 0;
}

int
sim_ledger_msg_log(struct sim_ledger *l, const struct sim_msg *m,
    const char *code, int64_t now, const char *err_msg, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "INSERT INTO msgs(msgid, infno, fixmedins_code, "
	    "psn_no, recv_time, infcode, err_msg, committed, ref) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "ssssiisns", m->msgid,
	    m->infno, code, m->psn_no, now, (int64_t)m->infcode, err_msg,
	    m->committed, m->ref) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_msg_reversed(struct sim_ledger *l, const char *msgid,
    const char *by, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "UPDATE msgs SET reversed_by = ? WHERE "
	    "msgid = ?", "ss", by, msgid) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ldb_scalar(struct sim_ledger *l, sqlite3_stmt *st, int64_t *out,
    struct hg_err *err)
{
	int rc = sqlite3_step(st);

	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "query");
	return 0;
}

int
sim_ledger_max_serial(struct sim_ledger *l, int64_t *serial,
    struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "SELECT coalesce(max(serial), 0) FROM msgs",
	    "") == -1)
		return -1;
	return sim_ldb_scalar(l, st, serial, err);
}

int
sim_ledger_next_serial(struct sim_ledger *l, const char *table,
    int64_t *serial, struct hg_err *err)
{
	sqlite3_stmt *st;
	char *sql;
	int rc;

	/* table is one of ours, never request data */
	sql = hg_xasprintf("SELECT coalesce(max(rowid), 0) + 1 FROM %s",
	    table);
	rc = sim_ldb_prep(l, &st, err, sql, "");
	free(sql);
	if (rc == -1)
		return -1;
	return sim_ldb_scalar(l, st, serial, err);
}

int
sim_ledger_signin_add(struct sim_ledger *l, const char *sign_no,
    const char *code, const char *opter, int64_t now, int64_t expires,
    struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "INSERT INTO signins VALUES (?, ?, ?, ?, ?)",
	    "sssii", sign_no, code, opter, now, expires) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_signin_valid(struct sim_ledger *l, const char *sign_no,
    const char *code, int64_t now, int *valid, struct hg_err *err)
{
	sqlite3_stmt *st;
	int64_t n;

	if (sim_ldb_prep(l, &st, err, "SELECT count(*) FROM signins WHERE sign_no = ? "
	    "AND fixmedins_code = ? AND expires > ?", "ssi", sign_no, code,
	    now) == -1 || sim_ldb_scalar(l, st, &n, err) == -1)
		return -1;
	*valid = n > 0;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* visits */

#define VISIT_COLS "mdtrt_id, psn_no, insutype, insuplc_admdvs, " \
	"fixmedins_code, ipt_no, med_type, begntime, endtime, dscg_way, " \
	"state, adm_msgid, dscg_msgid"

static void
visit_row(sqlite3_stmt *st, struct sim_visit *v)
{
	sim_ldb_col_str(st, 0, v->mdtrt_id, sizeof v->mdtrt_id);
	sim_ldb_col_str(st, 1, v->psn_no, sizeof v->psn_no);
	sim_ldb_col_str(st, 2, v->insutype, sizeof v->insutype);
	sim_ldb_col_str(st, 3, v->insuplc_admdvs, sizeof v->insuplc_admdvs);
	sim_ldb_col_str(st, 4, v->fixmedins_code, sizeof v->fixmedins_code);
	sim_ldb_col_str(st, 5, v->ipt_no, sizeof v->ipt_no);
	sim_ldb_col_str(st, 6, v->med_type, sizeof v->med_type);
	sim_ldb_col_str(st, 7, v->begntime, sizeof v->begntime);
	sim_ldb_col_str(st, 8, v->endtime, sizeof v->endtime);
	sim_ldb_col_str(st, 9, v->dscg_way, sizeof v->dscg_way);
	sim_ldb_col_str(st, 10, v->state, sizeof v->state);
	sim_ldb_col_str(st, 11, v->adm_msgid, sizeof v->adm_msgid);
	sim_ldb_col_str(st, 12, v->dscg_msgid, sizeof v->dscg_msgid);
}

static int
visit_one(struct sim_ledger *l, sqlite3_stmt *st, struct sim_visit *v,
    int *found, struct hg_err *err)
{
	int rc = sqlite3_step(st);

	memset(v, 0, sizeof *v);
	*found = rc == SQLITE_ROW;
	if (*found)
		visit_row(st, v);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "visits");
	return 0;
}

int
sim_ledger_visit_add(struct sim_ledger *l, const struct sim_visit *v,
    int64_t now, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "INSERT INTO visits(" VISIT_COLS ", created) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "sssssssssssssi", v->mdtrt_id, v->psn_no, v->insutype,
	    v->insuplc_admdvs, v->fixmedins_code, v->ipt_no, v->med_type,
	    v->begntime, v->endtime, v->dscg_way, v->state, v->adm_msgid,
	    v->dscg_msgid, now) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_visit_get(struct sim_ledger *l, const char *mdtrt_id,
    struct sim_visit *v, int *found, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "SELECT " VISIT_COLS " FROM visits WHERE "
	    "mdtrt_id = ?", "s", mdtrt_id) == -1)
		return -1;
	return visit_one(l, st, v, found, err);
}

int
sim_ledger_visit_find(struct sim_ledger *l, const char *psn_no,
    const char *code, const char *ipt_no, struct sim_visit *v, int *found,
    struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "SELECT " VISIT_COLS " FROM visits WHERE "
	    "psn_no = ? AND fixmedins_code = ? AND ipt_no = ? AND "
	    "state <> 'cancelled' ORDER BY created DESC LIMIT 1", "sss",
	    psn_no, code, ipt_no) == -1)
		return -1;
	return visit_one(l, st, v, found, err);
}

int
sim_ledger_visit_update(struct sim_ledger *l, const struct sim_visit *v,
    struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "UPDATE visits SET endtime = ?, dscg_way = ?, "
	    "state = ?, dscg_msgid = ? WHERE mdtrt_id = ?", "sssss",
	    v->endtime, v->dscg_way, v->state, v->dscg_msgid,
	    v->mdtrt_id) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_visits_of(struct sim_ledger *l, const char *psn_no,
    const char *code, const char *begn, const char *end,
    struct sim_visit **out, size_t *n, struct hg_err *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sim_ldb_prep(l, &st, err, "SELECT " VISIT_COLS " FROM visits "
	    "WHERE psn_no = ? AND fixmedins_code = ? AND "
	    "state <> 'cancelled' AND (? = '' OR begntime >= ?) AND "
	    "(? = '' OR begntime <= ?) ORDER BY created, mdtrt_id", "ssssss",
	    psn_no, code, begn, begn, end, end) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = hg_xrealloc(*out, cap, sizeof **out);
		}
		memset(&(*out)[*n], 0, sizeof **out);
		visit_row(st, &(*out)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		hg_sfree(*out);
		*n = 0;
		return sim_ldb_err(l, err, "visits");
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* items */

int
sim_ledger_item_add(struct sim_ledger *l, const char *mdtrt_id,
    const struct sim_item *it, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "INSERT INTO items(mdtrt_id, feedetl_sn, "
	    "init_feedetl_sn, msgid, med_list_codg, medins_list_codg, "
	    "chrgitm_lv, cnt, pric, amount, fulamt, overlmt, presel, inscp) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "sssssssiiiiiii", mdtrt_id, it->feedetl_sn,
	    it->init_feedetl_sn[0] != '\0' ? it->init_feedetl_sn : NULL,
	    it->msgid, it->med_list_codg, it->medins_list_codg,
	    it->chrgitm_lv, it->cnt, it->pric, it->amount, it->split.fulamt,
	    it->split.overlmt, it->split.presel, it->split.inscp) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_item_exists(struct sim_ledger *l, const char *mdtrt_id,
    const char *sn, int *found, struct hg_err *err)
{
	sqlite3_stmt *st;
	int64_t n;

	if (sim_ldb_prep(l, &st, err, "SELECT count(*) FROM items WHERE mdtrt_id = ? "
	    "AND feedetl_sn = ? AND deleted_by IS NULL", "ss", mdtrt_id,
	    sn) == -1 || sim_ldb_scalar(l, st, &n, err) == -1)
		return -1;
	*found = n > 0;
	return 0;
}

int
sim_ledger_items_delete(struct sim_ledger *l, const char *mdtrt_id,
    const char *sn, const char *by, int *n, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "UPDATE items SET deleted_by = ? WHERE "
	    "mdtrt_id = ? AND (? IS NULL OR feedetl_sn = ?) AND "
	    "deleted_by IS NULL", "ssss", by, mdtrt_id, sn, sn) == -1 ||
	    sim_ldb_done(l, st, err) == -1)
		return -1;
	*n = sqlite3_changes(l->db);
	return 0;
}

int
sim_ledger_items_unupload(struct sim_ledger *l, const char *msgid,
    const char *by, int *n, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "UPDATE items SET deleted_by = ? WHERE "
	    "msgid = ? AND deleted_by IS NULL", "ss", by, msgid) == -1 ||
	    sim_ldb_done(l, st, err) == -1)
		return -1;
	*n = sqlite3_changes(l->db);
	return 0;
}

int
sim_ledger_items_undelete(struct sim_ledger *l, const char *msgid, int *n,
    struct hg_err *err)
{
	sqlite3_stmt *st;

	/* the partial unique index refuses a serial uploaded again since */
	if (sim_ldb_prep(l, &st, err, "UPDATE items SET deleted_by = NULL WHERE "
	    "deleted_by = ?", "s", msgid) == -1)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return hg_fail(err, "已删除的费用明细流水号已被重新上传,不能冲正");
	}
	sqlite3_finalize(st);
	*n = sqlite3_changes(l->db);
	return 0;
}

int
sim_ledger_items_sum(struct sim_ledger *l, const char *mdtrt_id,
    int64_t *total, struct sim_split *sum, int64_t *count, struct hg_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sim_ldb_prep(l, &st, err, "SELECT coalesce(sum(amount), 0), "
	    "coalesce(sum(fulamt), 0), coalesce(sum(overlmt), 0), "
	    "coalesce(sum(presel), 0), coalesce(sum(inscp), 0), count(*) "
	    "FROM items WHERE mdtrt_id = ? AND deleted_by IS NULL", "s",
	    mdtrt_id) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*total = sqlite3_column_int64(st, 0);
		sum->fulamt = sqlite3_column_int64(st, 1);
		sum->overlmt = sqlite3_column_int64(st, 2);
		sum->presel = sqlite3_column_int64(st, 3);
		sum->inscp = sqlite3_column_int64(st, 4);
		*count = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sim_ldb_err(l, err, "items");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* settlements */

#define SETL_COLS "setl_id, kind, orig_setl_id, canc_setl_id, mdtrt_id, " \
	"psn_no, insutype, insuplc_admdvs, fixmedins_code, msgid, " \
	"setl_time, year, clr_type, clr_optins, reversed_by, medfee, " \
	"fulamt, overlmt, presel, inscp, dedc, hifp, hifmi, hifob, maf, " \
	"fund, psn, acct, cash, hosp, ci_base, output"

int
sim_ledger_setl_add(struct sim_ledger *l, const struct sim_setl_row *r,
    struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "INSERT INTO setls(" SETL_COLS ") VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?)",
	    "sssssssssssnsssiiiiiiiiiiiiiiiis", r->setl_id, r->kind,
	    r->orig_setl_id[0] != '\0' ? r->orig_setl_id : NULL,
	    r->canc_setl_id[0] != '\0' ? r->canc_setl_id : NULL,
	    r->mdtrt_id, r->psn_no, r->insutype, r->insuplc_admdvs,
	    r->fixmedins_code, r->msgid, r->setl_time, r->year, r->clr_type,
	    r->clr_optins, r->reversed_by[0] != '\0' ? r->reversed_by : NULL,
	    r->medfee, r->fulamt, r->overlmt, r->presel, r->inscp, r->dedc,
	    r->hifp, r->hifmi, r->hifob, r->maf, r->fund, r->psn, r->acct,
	    r->cash, r->hosp, r->ci_base, r->output) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_setl_get(struct sim_ledger *l, const char *key, int by_msgid,
    struct sim_setl_row *r, int *found, struct hg_err *err)
{
	sqlite3_stmt *st;
	int rc, i;
	int64_t *amt[] = { &r->medfee, &r->fulamt, &r->overlmt, &r->presel,
	    &r->inscp, &r->dedc, &r->hifp, &r->hifmi, &r->hifob, &r->maf,
	    &r->fund, &r->psn, &r->acct, &r->cash, &r->hosp, &r->ci_base };

	memset(r, 0, sizeof *r);
	*found = 0;
	if (sim_ldb_prep(l, &st, err, by_msgid ? "SELECT " SETL_COLS " FROM setls "
	    "WHERE msgid = ?" : "SELECT " SETL_COLS " FROM setls WHERE "
	    "setl_id = ?", "s", key) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		sim_ldb_col_str(st, 0, r->setl_id, sizeof r->setl_id);
		sim_ldb_col_str(st, 1, r->kind, sizeof r->kind);
		sim_ldb_col_str(st, 2, r->orig_setl_id, sizeof r->orig_setl_id);
		sim_ldb_col_str(st, 3, r->canc_setl_id, sizeof r->canc_setl_id);
		sim_ldb_col_str(st, 4, r->mdtrt_id, sizeof r->mdtrt_id);
		sim_ldb_col_str(st, 5, r->psn_no, sizeof r->psn_no);
		sim_ldb_col_str(st, 6, r->insutype, sizeof r->insutype);
		sim_ldb_col_str(st, 7, r->insuplc_admdvs, sizeof r->insuplc_admdvs);
		sim_ldb_col_str(st, 8, r->fixmedins_code, sizeof r->fixmedins_code);
		sim_ldb_col_str(st, 9, r->msgid, sizeof r->msgid);
		sim_ldb_col_str(st, 10, r->setl_time, sizeof r->setl_time);
		r->year = sqlite3_column_int(st, 11);
		sim_ldb_col_str(st, 12, r->clr_type, sizeof r->clr_type);
		sim_ldb_col_str(st, 13, r->clr_optins, sizeof r->clr_optins);
		sim_ldb_col_str(st, 14, r->reversed_by, sizeof r->reversed_by);
		for (i = 0; i < 16; i++)
			*amt[i] = sqlite3_column_int64(st, 15 + i);
		r->output = hg_xstrdup((const char *)sqlite3_column_text(st,
		    31));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "setls");
	return 0;
}

void
sim_ledger_row_free(struct sim_setl_row *r)
{
	hg_sfree(r->output);
}

int
sim_ledger_setl_set_canc(struct sim_ledger *l, const char *setl_id,
    const char *canc, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "UPDATE setls SET canc_setl_id = ? WHERE "
	    "setl_id = ?", "ss", canc, setl_id) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_setl_reversed(struct sim_ledger *l, const char *setl_id,
    const char *by, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "UPDATE setls SET reversed_by = ? WHERE "
	    "setl_id = ?", "ss", by, setl_id) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_active(struct sim_ledger *l, const char *mdtrt_id, int *n,
    struct hg_err *err)
{
	sqlite3_stmt *st;
	int64_t v;

	if (sim_ldb_prep(l, &st, err, "SELECT coalesce(sum(CASE kind WHEN 'setl' "
	    "THEN 1 ELSE -1 END), 0) FROM setls WHERE mdtrt_id = ? AND "
	    "reversed_by IS NULL", "s", mdtrt_id) == -1 ||
	    sim_ldb_scalar(l, st, &v, err) == -1)
		return -1;
	*n = (int)v;
	return 0;
}

int
sim_ledger_ytd(struct sim_ledger *l, const char *psn_no, const char *insutype,
    int year, struct sim_ytd *y, struct hg_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(y, 0, sizeof *y);
	/* cancellations are negated rows, so the sums reverse exactly */
	if (sim_ldb_prep(l, &st, err, "SELECT coalesce(sum(hifp), 0), "
	    "coalesce(sum(ci_base), 0), coalesce(sum(maf), 0) FROM setls "
	    "WHERE psn_no = ? AND insutype = ? AND year = ? AND "
	    "reversed_by IS NULL", "ssn", psn_no, insutype, year) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		y->hifp = sqlite3_column_int64(st, 0);
		y->ci_base = sqlite3_column_int64(st, 1);
		y->maf = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sim_ldb_err(l, err, "setls");
	return 0;
}
