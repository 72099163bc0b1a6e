/* Inside the simulator's ledger: shared by ledger.c, ledger_stmt.c and
 * ledger_print.c only; everything else goes through sim/ledger.h. */
#ifndef HG_SIM_LEDGER_INT_H
#define HG_SIM_LEDGER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"

struct sim_ledger {
	sqlite3	*db;
};

/* A SQLite failure as a system error (-1: worth retrying). */
int	sim_ldb_err(struct sim_ledger *l, struct hg_err *err, const char *what);
/* Prepare sql and bind arguments by fmt: 's' const char * (NULL binds
 * null), 'i' int64_t, 'n' int. */
int	sim_ldb_prep(struct sim_ledger *l, sqlite3_stmt **st,
	    struct hg_err *err, const char *sql, const char *fmt, ...);
/* Step a statement that returns no row, and finalise it. */
int	sim_ldb_done(struct sim_ledger *l, sqlite3_stmt *st,
	    struct hg_err *err);
/* Step a one-value query, and finalise it (0 when no row). */
int	sim_ldb_scalar(struct sim_ledger *l, sqlite3_stmt *st, int64_t *out,
	    struct hg_err *err);
void	sim_ldb_col_str(sqlite3_stmt *st, int col, char *buf, size_t size);

#endif
