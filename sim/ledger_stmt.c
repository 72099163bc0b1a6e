/* Reconciliation queries of the ledger: 3201 totals, 3202 detail, and the
 * files 9101 stores and 9102 hands back (sim/ledger.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "sim/ledger.h"
#include "sim/ledger_int.h"

int
sim_ledger_stmt(struct sim_ledger *l, const char *code, const char *insutype,
    const char *clr_type, const char *optins, const char *begn,
    const char *end, int mode, struct sim_stmt_totals *t, struct hg_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(t, 0, sizeof *t);
	if (sim_ldb_prep(l, &st, err, "SELECT coalesce(sum(medfee), 0), "
	    "coalesce(sum(fund), 0), coalesce(sum(acct), 0), "
	    "coalesce(sum(CASE kind WHEN 'setl' THEN 1 ELSE -1 END), 0), "
	    "count(*) FROM setls WHERE fixmedins_code = ? AND "
	    "(? = '' OR insutype = ?) AND (? = '' OR clr_type = ?) AND "
	    "(? = '' OR clr_optins = ?) AND substr(setl_time, 1, 10) "
	    "BETWEEN ? AND ? AND reversed_by IS NULL AND "
	    "(? < 0 OR kind = CASE ? WHEN 0 THEN 'setl' ELSE 'canc' END)",
	    "sssssssssnn", code, insutype, insutype, clr_type, clr_type,
	    optins, optins, begn, end, mode, mode) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t->medfee = sqlite3_column_int64(st, 0);
		t->fund = sqlite3_column_int64(st, 1);
		t->acct = sqlite3_column_int64(st, 2);
		t->cnt = mode < 0 ? sqlite3_column_int64(st, 3) :
		    sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sim_ldb_err(l, err, "setls");
	return 0;
}


int
sim_ledger_in_force(struct sim_ledger *l, const char *code,
    const char *clr_type, const char *optins, const char *begn,
    const char *end, struct sim_setl_row **out, size_t *n, struct hg_err *err)
{
	sqlite3_stmt *st;
	struct sim_setl_row *r;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sim_ldb_prep(l, &st, err, "SELECT setl_id, mdtrt_id, psn_no, "
	    "insutype, msgid, setl_time, clr_type, clr_optins, medfee, fund, "
	    "acct, cash FROM setls WHERE fixmedins_code = ? AND kind = 'setl' "
	    "AND canc_setl_id IS NULL AND reversed_by IS NULL AND "
	    "(? = '' OR clr_type = ?) AND (? = '' OR clr_optins = ?) AND "
	    "substr(setl_time, 1, 10) BETWEEN ? AND ? ORDER BY setl_time, "
	    "setl_id", "sssssss", code, clr_type, clr_type, optins, optins,
	    begn, end) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = hg_xrealloc(*out, cap, sizeof **out);
		}
		r = &(*out)[(*n)++];
		memset(r, 0, sizeof *r);
		sim_ldb_col_str(st, 0, r->setl_id, sizeof r->setl_id);
		sim_ldb_col_str(st, 1, r->mdtrt_id, sizeof r->mdtrt_id);
		sim_ldb_col_str(st, 2, r->psn_no, sizeof r->psn_no);
		sim_ldb_col_str(st, 3, r->insutype, sizeof r->insutype);
		sim_ldb_col_str(st, 4, r->msgid, sizeof r->msgid);
		sim_ldb_col_str(st, 5, r->setl_time, sizeof r->setl_time);
		sim_ldb_col_str(st, 6, r->clr_type, sizeof r->clr_type);
		sim_ldb_col_str(st, 7, r->clr_optins, sizeof r->clr_optins);
		snprintf(r->kind, sizeof r->kind, "setl");
		r->medfee = sqlite3_column_int64(st, 8);
		r->fund = sqlite3_column_int64(st, 9);
		r->acct = sqlite3_column_int64(st, 10);
		r->cash = sqlite3_column_int64(st, 11);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		hg_sfree(*out);
		*n = 0;
		return sim_ldb_err(l, err, "setls");
	}
	return 0;
}

int
sim_ledger_file_add(struct sim_ledger *l, const struct sim_file *f,
    const char *msgid, int64_t now, struct hg_err *err)
{
	sqlite3_stmt *st;

	if (sim_ldb_prep(l, &st, err, "INSERT INTO files(file_qury_no, "
	    "fixmedins_code, filename, kind, content, msgid, created) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?)", "ssssssi", f->file_qury_no,
	    f->fixmedins_code, f->filename, f->kind, f->content, msgid,
	    now) == -1)
		return -1;
	return sim_ldb_done(l, st, err);
}

int
sim_ledger_file_get(struct sim_ledger *l, const char *no, struct sim_file *f,
    int *found, struct hg_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(f, 0, sizeof *f);
	*found = 0;
	if (sim_ldb_prep(l, &st, err, "SELECT file_qury_no, fixmedins_code, "
	    "filename, kind, content FROM files WHERE file_qury_no = ?", "s",
	    no) == -1)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		sim_ldb_col_str(st, 0, f->file_qury_no, sizeof f->file_qury_no);
		sim_ldb_col_str(st, 1, f->fixmedins_code,
		    sizeof f->fixmedins_code);
		sim_ldb_col_str(st, 2, f->filename, sizeof f->filename);
		sim_ldb_col_str(st, 3, f->kind, sizeof f->kind);
		f->content = hg_xstrdup((const char *)sqlite3_column_text(st,
		    4));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "files");
	return 0;
}
