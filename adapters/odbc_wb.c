/* odbc_wb: the write-back statement (see odbc_wb.h). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc_wb.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

const char *const hg_odbc_wb_names[] = {
	"state", "bill", "ipt_no", "reason", "setl_id", "mdtrt_id",
	"setl_time", "medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay",
	"other_fund_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay",
	NULL,
};

struct hg_odbc_wb {
	struct hg_odbc *db;	/* not the reader's: another thread */
	struct hg_odbc_sql sql;
	pthread_mutex_t mu;
};

static int
known(const char *name)
{
	size_t i;

	for (i = 0; hg_odbc_wb_names[i] != NULL; i++)
		if (strcmp(hg_odbc_wb_names[i], name) == 0)
			return 1;
	return 0;
}

struct hg_odbc_wb *
hg_odbc_wb_new(const char *connection, const char *sql, long login_timeout_s,
    long query_timeout_s, struct hg_err *err)
{
	struct hg_odbc_wb *wb = hg_xcalloc(1, sizeof *wb);
	struct hg_buf b = { NULL, 0, 0 };
	size_t i;

	if (hg_odbc_sql_parse(sql, &wb->sql, err) < 0) {
		free(wb);
		return NULL;
	}
	for (i = 0; i < wb->sql.n; i++) {
		if (known(wb->sql.names[i]))
			continue;
		for (size_t k = 0; hg_odbc_wb_names[k] != NULL; k++) {
			hg_buf_adds(&b, k ? ", :" : ":");
			hg_buf_adds(&b, hg_odbc_wb_names[k]);
		}
		hg_fail(err, "unknown parameter :%s (expected one of %s)",
		    wb->sql.names[i], b.data);
		hg_buf_free(&b);
		hg_odbc_sql_free(&wb->sql);
		free(wb);
		return NULL;
	}
	wb->db = hg_odbc_new(connection, login_timeout_s, query_timeout_s);
	pthread_mutex_init(&wb->mu, NULL);
	return wb;
}

void
hg_odbc_wb_free(struct hg_odbc_wb *wb)
{
	if (wb == NULL)
		return;
	hg_odbc_free(wb->db);
	hg_odbc_sql_free(&wb->sql);
	pthread_mutex_destroy(&wb->mu);
	free(wb);
}

int
hg_odbc_wb_run(struct hg_odbc_wb *wb, const struct hg_kvlist *result,
    struct hg_err *err)
{
	struct hg_odbc_param *prm;
	long nrows = 0;
	size_t i;
	int rc;

	prm = hg_xcalloc(wb->sql.n ? wb->sql.n : 1, sizeof *prm);
	for (i = 0; i < wb->sql.n; i++) {
		prm[i].type = HG_OP_TEXT;
		prm[i].text = hg_kv_get(result, wb->sql.names[i]);
	}
	pthread_mutex_lock(&wb->mu);
	rc = hg_odbc_exec(wb->db, &wb->sql, prm, &nrows, err);
	pthread_mutex_unlock(&wb->mu);
	free(prm);
	if (rc == 0 && nrows == 0)
		rc = hg_failt(err, "the write-back statement changed no row "
		    "(is the bill's row in the HIS yet?)");
	return rc;
}
