/* odbc_wb: the odbc adapter's write-back statement (a configured INSERT
 * or UPDATE with named parameters taken from a bill's result), on a
 * connection of its own. */
#ifndef HG_ODBC_WB_H
#define HG_ODBC_WB_H

#include "adapters/odbc_db.h"
#include "lib/conftab.h"
#include "lib/err.h"

/* The names a write-back statement may use, NULL-terminated. */
extern const char *const hg_odbc_wb_names[];

struct hg_odbc_wb;

/* Check and prepare the statement text.  Returns NULL with err (its
 * message names the parameter and the names allowed). */
struct hg_odbc_wb *hg_odbc_wb_new(const char *connection, const char *sql,
	    long login_timeout_s, long query_timeout_s, struct hg_err *err);
void	hg_odbc_wb_free(struct hg_odbc_wb *wb);
/* Run it with the result's values (names absent from result are SQL
 * NULL).  0, or -1 with err (HG_ETEMP); a statement that changes no row
 * is a failure too (the bill's row is not there yet). */
int	hg_odbc_wb_run(struct hg_odbc_wb *wb, const struct hg_kvlist *result,
	    struct hg_err *err);

#endif
