/* `hisgate-platform-sim ledger`: the ledger printed for people and for
 * tests (sim/ledger.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "sim/ledger.h"
#include "sim/ledger_int.h"

/* ---------------------------------------------------------------------- */
/* printing */

enum { P_ITEMS, P_ITEMS_AMT, P_SETL, P_CANC, P_REVS, P_ACTIVE, P_MEDFEE,
	P_HIFP, P_HIFMI, P_HIFOB, P_MAF, P_FUND, P_CASH, P_NCOLS };

static const char *const pnames[P_NCOLS] = { "items", "items_sumamt",
	"setl_cnt", "canc_cnt", "revs_cnt", "settled", "medfee_sumamt",
	"hifp_pay", "hifmi_pay", "hifob_pay", "maf_pay", "fund_pay_sumamt",
	"psn_cash_pay" };

static int
is_amount(int col)
{
	return col == P_ITEMS_AMT || col >= P_MEDFEE;
}

/* The ledger's own health, as a hospital's worst day would show in it:
 * visits left open (not cancelled, nothing in force: nobody will settle
 * them), a stay (psn_no, ipt_no) with more than one visit open or in
 * force, and the reversals (2601) in force. */
struct health {
	int64_t	 orphans;
	int64_t	 doubles;
	int64_t	 reversals;
	struct json_object *orphan_ids;		/* json only */
	struct json_object *double_ids;
};

#define IN_FORCE(v) "(SELECT coalesce(sum(CASE s.kind WHEN 'setl' THEN 1" \
	" ELSE -1 END), 0) FROM setls s WHERE s.mdtrt_id = " v \
	" AND s.reversed_by IS NULL)"

static int
health(struct sim_ledger *l, int json, struct health *h, struct hg_err *err)
{
	static const char orphans[] =
	    "SELECT v.mdtrt_id FROM visits v WHERE v.state <> 'cancelled'"
	    " AND " IN_FORCE("v.mdtrt_id") " = 0 ORDER BY v.created";
	static const char doubles[] =
	    "SELECT v.psn_no, v.ipt_no, group_concat(v.mdtrt_id, ' ')"
	    " FROM visits v WHERE v.state <> 'cancelled'"
	    " GROUP BY v.fixmedins_code, v.psn_no, v.ipt_no"
	    " HAVING count(*) > 1 ORDER BY min(v.created)";
	sqlite3_stmt *st;
	struct json_object *o;
	const char *s;
	int rc;

	memset(h, 0, sizeof *h);
	if (json) {
		h->orphan_ids = json_object_new_array();
		h->double_ids = json_object_new_array();
	}
	if (sim_ldb_prep(l, &st, err, orphans, "") == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h->orphans++;
		if (json)
			json_object_array_add(h->orphan_ids,
			    json_object_new_string((const char *)
			    sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "orphans");
	if (sim_ldb_prep(l, &st, err, doubles, "") == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h->doubles++;
		if (!json)
			continue;
		o = json_object_new_object();
		s = (const char *)sqlite3_column_text(st, 0);
		json_object_object_add(o, "psn_no",
		    json_object_new_string(s != NULL ? s : ""));
		s = (const char *)sqlite3_column_text(st, 1);
		json_object_object_add(o, "ipt_no",
		    json_object_new_string(s != NULL ? s : ""));
		s = (const char *)sqlite3_column_text(st, 2);
		json_object_object_add(o, "mdtrt_ids",
		    json_object_new_string(s != NULL ? s : ""));
		json_object_array_add(h->double_ids, o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sim_ldb_err(l, err, "doubles");
	if (sim_ldb_prep(l, &st, err, "SELECT count(*) FROM msgs WHERE "
	    "infno = '2601' AND committed = 1", "") == -1 ||
	    sim_ldb_scalar(l, st, &h->reversals, err) == -1)
		return -1;
	return 0;
}

int
sim_ledger_print(struct sim_ledger *l, FILE *out, int json,
    struct hg_err *err)
{
	static const char sql[] =
	    "SELECT v.mdtrt_id, v.psn_no, v.ipt_no, v.fixmedins_code, v.state,"
	    " (SELECT count(*) FROM items i WHERE i.mdtrt_id = v.mdtrt_id"
	    "  AND i.deleted_by IS NULL),"
	    " (SELECT coalesce(sum(amount), 0) FROM items i WHERE"
	    "  i.mdtrt_id = v.mdtrt_id AND i.deleted_by IS NULL),"
	    " count(CASE WHEN s.kind = 'setl' AND s.reversed_by IS NULL"
	    "  THEN 1 END),"
	    " count(CASE WHEN s.kind = 'canc' AND s.reversed_by IS NULL"
	    "  THEN 1 END),"
	    " count(s.reversed_by),"
	    " coalesce(sum(CASE WHEN s.setl_id IS NOT NULL AND"
	    "  s.reversed_by IS NULL THEN"
	    "  (CASE s.kind WHEN 'setl' THEN 1 ELSE -1 END) END), 0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.medfee END),"
	    "  0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.hifp END), 0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.hifmi END),"
	    "  0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.hifob END),"
	    "  0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.maf END), 0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.fund END), 0),"
	    " coalesce(sum(CASE WHEN s.reversed_by IS NULL THEN s.cash END), 0)"
	    " FROM visits v LEFT JOIN setls s ON s.mdtrt_id = v.mdtrt_id"
	    " GROUP BY v.mdtrt_id ORDER BY v.created, v.mdtrt_id";
	struct json_object *root = NULL, *arr = NULL, *o, *tot;
	struct health h;
	sqlite3_stmt *st;
	int64_t v[P_NCOLS], sum[P_NCOLS];
	char buf[HG_DECBUF], txt[P_NCOLS][HG_DECBUF];
	const char *s[5];
	int rc, i, nvisits = 0, nsettled_once = 0;

	memset(sum, 0, sizeof sum);
	if (health(l, json, &h, err) == -1) {
		json_object_put(h.orphan_ids);
		json_object_put(h.double_ids);
		return -1;
	}
	if (sim_ldb_prep(l, &st, err, sql, "") == -1) {
		json_object_put(h.orphan_ids);
		json_object_put(h.double_ids);
		return -1;
	}
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
	} else {
		fprintf(out, "%-22s %-28s %-14s %-10s %5s %7s %12s %12s %12s "
		    "%10s %12s\n", "mdtrt_id", "psn_no", "ipt_no", "state",
		    "items", "settled", "medfee", "hifp_pay", "hifmi_pay",
		    "maf_pay", "cash");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 5; i++) {
			s[i] = (const char *)sqlite3_column_text(st, i);
			if (s[i] == NULL)
				s[i] = "";
		}
		for (i = 0; i < P_NCOLS; i++) {
			v[i] = sqlite3_column_int64(st, 5 + i);
			sum[i] += v[i];
			if (is_amount(i))
				hg_dec_format(v[i], 2, txt[i]);
		}
		nvisits++;
		nsettled_once += v[P_ACTIVE] == 1;
		if (!json) {
			fprintf(out, "%-22s %-28s %-14s %-10s %5lld %7lld %12s "
			    "%12s %12s %10s %12s\n", s[0], s[1], s[2], s[4],
			    (long long)v[P_ITEMS], (long long)v[P_ACTIVE],
			    txt[P_MEDFEE], txt[P_HIFP], txt[P_HIFMI],
			    txt[P_MAF], txt[P_CASH]);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "mdtrt_id",
		    json_object_new_string(s[0]));
		json_object_object_add(o, "psn_no",
		    json_object_new_string(s[1]));
		json_object_object_add(o, "ipt_no",
		    json_object_new_string(s[2]));
		json_object_object_add(o, "fixmedins_code",
		    json_object_new_string(s[3]));
		json_object_object_add(o, "state",
		    json_object_new_string(s[4]));
		for (i = 0; i < P_NCOLS; i++)
			json_object_object_add(o, pnames[i], is_amount(i) ?
			    hg_json_dec(v[i], 2) :
			    json_object_new_int64(v[i]));
		json_object_array_add(arr, o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_object_put(root);
		json_object_put(arr);
		json_object_put(h.orphan_ids);
		json_object_put(h.double_ids);
		return sim_ldb_err(l, err, "print");
	}
	if (!json) {
		fprintf(out, "%d visits, %d settled exactly once; settlements "
		    "%lld, cancellations %lld, reversed %lld\n", nvisits,
		    nsettled_once, (long long)sum[P_SETL],
		    (long long)sum[P_CANC], (long long)sum[P_REVS]);
		fprintf(out, "totals: medfee_sumamt %s", hg_dec_format(
		    sum[P_MEDFEE], 2, buf));
		fprintf(out, " hifp_pay %s", hg_dec_format(sum[P_HIFP], 2,
		    buf));
		fprintf(out, " hifmi_pay %s", hg_dec_format(sum[P_HIFMI], 2,
		    buf));
		fprintf(out, " hifob_pay %s", hg_dec_format(sum[P_HIFOB], 2,
		    buf));
		fprintf(out, " maf_pay %s", hg_dec_format(sum[P_MAF], 2, buf));
		fprintf(out, " fund_pay_sumamt %s", hg_dec_format(sum[P_FUND],
		    2, buf));
		fprintf(out, " psn_cash_pay %s\n", hg_dec_format(sum[P_CASH],
		    2, buf));
		fprintf(out, "orphan_open_visits %lld double_admissions %lld "
		    "reversals %lld\n", (long long)h.orphans,
		    (long long)h.doubles, (long long)h.reversals);
		return 0;
	}
	tot = json_object_new_object();
	json_object_object_add(tot, "visits", json_object_new_int(nvisits));
	json_object_object_add(tot, "settled_once",
	    json_object_new_int(nsettled_once));
	for (i = 0; i < P_NCOLS; i++)
		if (i != P_ACTIVE)
			json_object_object_add(tot, pnames[i], is_amount(i) ?
			    hg_json_dec(sum[i], 2) :
			    json_object_new_int64(sum[i]));
	json_object_object_add(tot, "orphan_open_visits",
	    json_object_new_int64(h.orphans));
	json_object_object_add(tot, "double_admissions",
	    json_object_new_int64(h.doubles));
	json_object_object_add(tot, "reversals",
	    json_object_new_int64(h.reversals));
	json_object_object_add(root, "orphan_open_visits", h.orphan_ids);
	json_object_object_add(root, "double_admissions", h.double_ids);
	json_object_object_add(root, "visits", arr);
	json_object_object_add(root, "totals", tot);
	fprintf(out, "%s\n", json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
