/* odbc_db: what the odbc adapter needs of unixODBC, and nothing of bills:
 * one connection, statements with named parameters (`:name`), rows
 * fetched as text in the client's encoding, and the driver's diagnostics
 * as one line.
 *
 * Every failure is HG_ETEMP: a database that refuses now (restarting,
 * network down, locked table, even a syntax error an operator is fixing)
 * may work on the next try.  After any failure the connection is closed,
 * so the next call starts from a fresh one: a half-dead connection after
 * a database reboot is never reused (the poller stuck after the reboot,
 * peers.md). */
#ifndef HG_ODBC_DB_H
#define HG_ODBC_DB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* A statement as configured: `:name` placeholders (outside quotes; `::`
 * is a cast, not a parameter) replaced by `?`. */
struct hg_odbc_sql {
	char	*text;		/* with ? */
	char	**names;	/* names[i] is parameter i + 1 */
	size_t	*at;		/* where in text parameter i's ? is */
	size_t	 n;
};

/* Returns 0, or -1 with err (a name that is not an identifier). */
int	hg_odbc_sql_parse(const char *sql, struct hg_odbc_sql *out,
	    struct hg_err *err);
void	hg_odbc_sql_free(struct hg_odbc_sql *s);

enum hg_odbc_ptype {
	HG_OP_TEXT,	/* text, bound as VARCHAR (NULL text: SQL NULL) */
	HG_OP_INT,	/* int64, bound as BIGINT */
	HG_OP_TIME,	/* "yyyy-MM-dd HH:mm:ss", bound as TIMESTAMP */
};

struct hg_odbc_param {
	enum hg_odbc_ptype type;
	const char *text;
	int64_t	 num;
};

struct hg_odbc;

/* Allocate; nothing is connected yet (hg_odbc_connect). */
struct hg_odbc *hg_odbc_new(const char *connection, long login_timeout_s,
	    long query_timeout_s);
void	hg_odbc_free(struct hg_odbc *db);
int	hg_odbc_connected(const struct hg_odbc *db);
/* Write the parameters into each statement as literals instead of
 * binding them, for a driver without bound parameters (mdbtools): an
 * integer as its digits, a time as 'yyyy-MM-dd HH:mm:ss' (checked to be
 * just that), text quoted with its quotes doubled. */
void	hg_odbc_set_inline(struct hg_odbc *db, int on);
/* The statement with the parameters written in (caller frees), or NULL
 * with err for a time that is not one. */
char	*hg_odbc_sql_inline(const struct hg_odbc_sql *sql,
	    const struct hg_odbc_param *params, struct hg_err *err);
/* Connect unless connected.  The message never repeats the connection
 * string (it may hold a password). */
int	hg_odbc_connect(struct hg_odbc *db, struct hg_err *err);
void	hg_odbc_disconnect(struct hg_odbc *db);

/* The query's column names, then each row; cells are NUL-terminated
 * bytes as the driver gave them, NULL for SQL NULL.  row returns 0 to go
 * on, 1 to stop reading (not an error), -1 to fail with its own err. */
struct hg_odbc_reader {
	int	(*columns)(void *arg, char *const *names, size_t n,
		    struct hg_err *err);
	int	(*row)(void *arg, char *const *cells, size_t n,
		    struct hg_err *err);
	void	*arg;
};

/* Run a query.  params[i] is for sql->names[i]. */
int	hg_odbc_query(struct hg_odbc *db, const struct hg_odbc_sql *sql,
	    const struct hg_odbc_param *params, const struct hg_odbc_reader *rd,
	    struct hg_err *err);
/* Run an INSERT or UPDATE (auto-commit); *nrows gets the rows it
 * changed. */
int	hg_odbc_exec(struct hg_odbc *db, const struct hg_odbc_sql *sql,
	    const struct hg_odbc_param *params, long *nrows,
	    struct hg_err *err);

#endif
