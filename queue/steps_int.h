/* What queue/steps.c and queue/steps_lease.c share (defined in steps.c).
 * Plain SQL on the outbox's connection. */
#ifndef HG_STEPS_INT_H
#define HG_STEPS_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "queue/outbox.h"

/* The states in which a bill is worked under a lease. */
#define WORKED	"('in_progress', 'in_doubt')"

int		 sj_sql_fail(sqlite3 *db, int rc, struct hg_err *err);
/* A statement kept prepared on db; hand it back with sj_finish. */
sqlite3_stmt	*sj_prep(sqlite3 *db, const char *sql, struct hg_err *err);
void		 sj_finish(sqlite3_stmt *s);
void		 sj_bind_text(sqlite3_stmt *s, int i, const char *v);
char		*sj_col_dup(sqlite3_stmt *s, int i);
int		 sj_done(sqlite3 *db, sqlite3_stmt *s, int *changes,
		    struct hg_err *err);
int		 sj_tx_enter(struct hg_outbox *ob, int *own, struct hg_err *err);
int		 sj_tx_leave(struct hg_outbox *ob, int own, int rc,
		    struct hg_err *err);
int		 sj_fence(struct hg_outbox *ob, long long id, const char *owner,
		    int64_t until, const char *step, struct hg_err *err);

#endif
