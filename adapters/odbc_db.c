/* odbc_db: one unixODBC connection and statements with named parameters
 * (see odbc_db.h). */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/odbc_db.h"
#include "adapters/odbc_lib.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

#define CELL_MAX	(1024 * 1024)	/* longer text is cut: no bill field
					 * comes near it */

struct hg_odbc {
	char	*connection;
	long	 login_timeout, query_timeout;
	SQLHENV	 env;
	SQLHDBC	 dbc;
	int	 connected;
	int	 inline_params;
};

/* --- named parameters ---------------------------------------------------- */

int
hg_odbc_sql_parse(const char *sql, struct hg_odbc_sql *out,
    struct hg_err *err)
{
	struct hg_buf b = { NULL, 0, 0 };
	const char *p = sql, *q;
	char quote = 0;

	memset(out, 0, sizeof out[0]);
	while (*p != '\0') {
		if (quote) {
			if (*p == quote)
				quote = 0;
			hg_buf_addc(&b, *p++);
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			hg_buf_addc(&b, *p++);
			continue;
		}
		if (p[0] == ':' && p[1] == ':') {	/* PostgreSQL cast */
			hg_buf_adds(&b, "::");
			p += 2;
			continue;
		}
		if (*p != ':' || (p > sql && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_'))) {
			hg_buf_addc(&b, *p++);
			continue;
		}
		q = p + 1;
		if (!isalpha((unsigned char)*q) && *q != '_') {
			hg_buf_free(&b);
			hg_odbc_sql_free(out);
			return hg_fail(err, "\":\" at offset %zu is not followed "
			    "by a parameter name (expected :name, letters, "
			    "digits and _)", (size_t)(p - sql));
		}
		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		out->names = hg_xrealloc(out->names, out->n + 1,
		    sizeof *out->names);
		out->at = hg_xrealloc(out->at, out->n + 1, sizeof *out->at);
		out->at[out->n] = b.len;
		out->names[out->n++] = hg_xstrndup(p + 1, (size_t)(q - p - 1));
		hg_buf_addc(&b, '?');
		p = q;
	}
	if (quote) {
		hg_buf_free(&b);
		hg_odbc_sql_free(out);
		return hg_fail(err, "a %c quote is not closed (expected a "
		    "closing %c)", quote, quote);
	}
	out->text = b.data != NULL ? hg_buf_take(&b) : hg_xstrdup("");
	return 0;
}

void
hg_odbc_sql_free(struct hg_odbc_sql *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->at);
	free(s->text);
	memset(s, 0, sizeof *s);
}

char *
hg_odbc_sql_inline(const struct hg_odbc_sql *sql,
    const struct hg_odbc_param *params, struct hg_err *err)
{
	struct hg_buf b = { NULL, 0, 0 };
	const struct hg_odbc_param *p;
	const char *c;
	size_t i, from = 0;
	char num[32];

	for (i = 0; i < sql->n; i++) {
		p = &params[i];
		hg_buf_add(&b, sql->text + from, sql->at[i] - from);
		from = sql->at[i] + 1;
		if (p->type == HG_OP_INT) {
			snprintf(num, sizeof num, "%lld", (long long)p->num);
			hg_buf_adds(&b, num);
			continue;
		}
		if (p->text == NULL) {
			hg_buf_adds(&b, "NULL");
			continue;
		}
		/* a time is written by hisgate; anything else in it would be
		 * SQL, so it is refused rather than quoted */
		for (c = p->text; p->type == HG_OP_TIME && *c != '\0'; c++)
			if (strchr("0123456789-: ", *c) == NULL) {
				hg_buf_free(&b);
				hg_fail(err, ":%s: \"%s\" is not a time "
				    "(expected yyyy-MM-dd HH:mm:ss)",
				    sql->names[i], p->text);
				return NULL;
			}
		hg_buf_addc(&b, '\'');
		for (c = p->text; *c != '\0'; c++) {
			if (*c == '\'')
				hg_buf_addc(&b, '\'');
			hg_buf_addc(&b, *c);
		}
		hg_buf_addc(&b, '\'');
	}
	hg_buf_adds(&b, sql->text + from);
	return hg_buf_take(&b);
}

/* --- diagnostics --------------------------------------------------------- */

/* The driver's records as one line: "SQLSTATE: message; ...". */
static int
diag(struct hg_err *err, SQLSMALLINT htype, SQLHANDLE h, const char *what)
{
	SQLCHAR state[6], msg[512];
	SQLINTEGER native;
	SQLSMALLINT len, i;
	char line[HG_ERRLEN];
	size_t off = 0, k;

	line[0] = '\0';
	for (i = 1; i <= 3 && h != SQL_NULL_HANDLE; i++) {
		if (!SQL_SUCCEEDED(hg_odbc_fn.SQLGetDiagRec(htype, h, i, state, &native,
		    msg, sizeof msg, &len)))
			break;
		/* messages may be in the server's encoding: keep them one
		 * printable line */
		for (k = 0; msg[k] != '\0'; k++)
			if (msg[k] < 0x20)
				msg[k] = ' ';
		off += (size_t)snprintf(line + off, off < sizeof line ?
		    sizeof line - off : 0, "%s%s: %s", i > 1 ? "; " : "",
		    (char *)state, (char *)msg);
		if (off >= sizeof line)
			break;
	}
	if (line[0] == '\0')
		snprintf(line, sizeof line, "no diagnostics from the driver");
	return hg_failt(err, "%s: %s", what, line);
}

/* --- the connection ------------------------------------------------------ */

struct hg_odbc *
hg_odbc_new(const char *connection, long login_timeout_s,
    long query_timeout_s)
{
	struct hg_odbc *db = hg_xcalloc(1, sizeof *db);

	db->connection = hg_xstrdup(connection);
	db->login_timeout = login_timeout_s;
	db->query_timeout = query_timeout_s;
	db->env = SQL_NULL_HENV;
	db->dbc = SQL_NULL_HDBC;
	return db;
}

void
hg_odbc_disconnect(struct hg_odbc *db)
{
	if (db->dbc != SQL_NULL_HDBC) {
		if (db->connected)
			(void)hg_odbc_fn.SQLDisconnect(db->dbc);
		(void)hg_odbc_fn.SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
		db->dbc = SQL_NULL_HDBC;
	}
	if (db->env != SQL_NULL_HENV) {
		(void)hg_odbc_fn.SQLFreeHandle(SQL_HANDLE_ENV, db->env);
		db->env = SQL_NULL_HENV;
	}
	db->connected = 0;
}

void
hg_odbc_free(struct hg_odbc *db)
{
	if (db == NULL)
		return;
	hg_odbc_disconnect(db);
	free(db->connection);
	free(db);
}

int
hg_odbc_connected(const struct hg_odbc *db)
{
	return db->connected;
}

void
hg_odbc_set_inline(struct hg_odbc *db, int on)
{
	db->inline_params = on;
}

int
hg_odbc_connect(struct hg_odbc *db, struct hg_err *err)
{
	SQLRETURN rc;

	if (db->connected)
		return 0;
	if (hg_odbc_load(err) == -1)
		return -1;
	hg_odbc_disconnect(db);
	/* a fresh environment too: nothing of the dead connection stays */
	if (!SQL_SUCCEEDED(hg_odbc_fn.SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
	    &db->env))) {
		db->env = SQL_NULL_HENV;
		return hg_failt(err, "cannot allocate an ODBC environment "
		    "(out of memory?)");
	}
	(void)hg_odbc_fn.SQLSetEnvAttr(db->env, SQL_ATTR_ODBC_VERSION,
	    (SQLPOINTER)SQL_OV_ODBC3, 0);
	if (!SQL_SUCCEEDED(hg_odbc_fn.SQLAllocHandle(SQL_HANDLE_DBC, db->env,
	    &db->dbc))) {
		db->dbc = SQL_NULL_HDBC;
		diag(err, SQL_HANDLE_ENV, db->env, "cannot allocate an ODBC "
		    "connection");
		hg_odbc_disconnect(db);
		return -1;
	}
	if (db->login_timeout > 0)
		(void)hg_odbc_fn.SQLSetConnectAttr(db->dbc, SQL_ATTR_LOGIN_TIMEOUT,
		    (SQLPOINTER)(intptr_t)db->login_timeout, 0);
	rc = hg_odbc_fn.SQLDriverConnect(db->dbc, NULL, (SQLCHAR *)db->connection,
	    SQL_NTS, NULL, 0, NULL, SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(rc)) {
		diag(err, SQL_HANDLE_DBC, db->dbc, "cannot connect to the "
		    "database");
		hg_odbc_disconnect(db);
		return -1;
	}
	db->connected = 1;
	return 0;
}

/* --- statements ---------------------------------------------------------- */

struct bound {
	SQLLEN	 ind;
	int64_t	 num;
};

static int
stmt_start(struct hg_odbc *db, const struct hg_odbc_sql *sql,
    const struct hg_odbc_param *params, struct bound *bd, SQLHSTMT *out,
    struct hg_err *err)
{
	SQLHSTMT st;
	SQLRETURN rc = SQL_SUCCESS;
	char *text = NULL;
	size_t i;

	*out = SQL_NULL_HSTMT;
	if (hg_odbc_connect(db, err) < 0)
		return -1;
	if (db->inline_params && (text = hg_odbc_sql_inline(sql, params,
	    err)) == NULL)
		return -1;
	if (!SQL_SUCCEEDED(hg_odbc_fn.SQLAllocHandle(SQL_HANDLE_STMT, db->dbc,
	    &st))) {
		diag(err, SQL_HANDLE_DBC, db->dbc, "cannot start a statement");
		goto broken;
	}
	if (db->query_timeout > 0)
		(void)hg_odbc_fn.SQLSetStmtAttr(st, SQL_ATTR_QUERY_TIMEOUT,
		    (SQLPOINTER)(intptr_t)db->query_timeout, 0);
	if (!SQL_SUCCEEDED(hg_odbc_fn.SQLPrepare(st, (SQLCHAR *)(text != NULL ? text :
	    sql->text), SQL_NTS))) {
		diag(err, SQL_HANDLE_STMT, st, "cannot prepare the statement");
		goto fail;
	}
	for (i = 0; text == NULL && i < sql->n; i++) {
		const struct hg_odbc_param *p = &params[i];
		SQLUSMALLINT n = (SQLUSMALLINT)(i + 1);

		switch (p->type) {
		case HG_OP_INT:
			bd[i].num = p->num;
			bd[i].ind = 0;
			rc = hg_odbc_fn.SQLBindParameter(st, n, SQL_PARAM_INPUT,
			    SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &bd[i].num, 0,
			    &bd[i].ind);
			break;
		case HG_OP_TIME:
			bd[i].ind = SQL_NTS;
			rc = hg_odbc_fn.SQLBindParameter(st, n, SQL_PARAM_INPUT,
			    SQL_C_CHAR, SQL_TYPE_TIMESTAMP, 19, 0,
			    (SQLPOINTER)p->text, 0, &bd[i].ind);
			break;
		case HG_OP_TEXT:
			bd[i].ind = p->text != NULL ? SQL_NTS : SQL_NULL_DATA;
			rc = hg_odbc_fn.SQLBindParameter(st, n, SQL_PARAM_INPUT,
			    SQL_C_CHAR, SQL_VARCHAR, p->text != NULL &&
			    strlen(p->text) > 0 ? strlen(p->text) : 1, 0,
			    (SQLPOINTER)(p->text != NULL ? p->text : ""), 0,
			    &bd[i].ind);
			break;
		}
		if (!SQL_SUCCEEDED(rc)) {
			diag(err, SQL_HANDLE_STMT, st, "cannot bind a "
			    "parameter");
			hg_err_prefix(err, ":%s", sql->names[i]);
			goto fail;
		}
	}
	rc = hg_odbc_fn.SQLExecute(st);
	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		diag(err, SQL_HANDLE_STMT, st, "the statement failed");
		goto fail;
	}
	free(text);
	*out = st;
	return 0;
fail:
	(void)hg_odbc_fn.SQLFreeHandle(SQL_HANDLE_STMT, st);
broken:
	free(text);
	hg_odbc_disconnect(db);
	return -1;
}

/* One cell as text; NULL for SQL NULL.  Long values come in pieces. */
static int
get_cell(SQLHSTMT st, SQLUSMALLINT col, char **out, struct hg_err *err)
{
	struct hg_buf b = { NULL, 0, 0 };
	char piece[4096];
	SQLLEN ind;
	SQLRETURN rc;
	size_t got;

	*out = NULL;
	for (;;) {
		rc = hg_odbc_fn.SQLGetData(st, col, SQL_C_CHAR, piece, sizeof piece, &ind);
		if (rc == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(rc)) {
			hg_buf_free(&b);
			return diag(err, SQL_HANDLE_STMT, st, "cannot read a "
			    "column");
		}
		if (ind == SQL_NULL_DATA) {
			hg_buf_free(&b);
			return 0;
		}
		got = (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof piece) ?
		    sizeof piece - 1 : (size_t)ind;
		if (b.len + got <= CELL_MAX)
			hg_buf_add(&b, piece, got);
		if (rc == SQL_SUCCESS)
			break;
	}
	*out = b.data != NULL ? hg_buf_take(&b) : hg_xstrdup("");
	return 0;
}

int
hg_odbc_query(struct hg_odbc *db, const struct hg_odbc_sql *sql,
    const struct hg_odbc_param *params, const struct hg_odbc_reader *rd,
    struct hg_err *err)
{
	struct bound *bd = hg_xcalloc(sql->n ? sql->n : 1, sizeof *bd);
	SQLHSTMT st;
	SQLSMALLINT ncols = 0, len;
	SQLCHAR name[256];
	SQLRETURN rc;
	char **cells = NULL;
	size_t i, n = 0;
	int ret = -1, r;

	if (stmt_start(db, sql, params, bd, &st, err) < 0) {
		free(bd);
		return -1;
	}
	if (!SQL_SUCCEEDED(hg_odbc_fn.SQLNumResultCols(st, &ncols)) || ncols <= 0) {
		if (ncols <= 0)
			hg_failt(err, "the query returns no columns (expected "
			    "a SELECT)");
		else
			diag(err, SQL_HANDLE_STMT, st, "cannot read the "
			    "query's columns");
		goto out;
	}
	n = (size_t)ncols;
	cells = hg_xcalloc(n, sizeof *cells);
	for (i = 0; i < n; i++) {
		if (!SQL_SUCCEEDED(hg_odbc_fn.SQLDescribeCol(st, (SQLUSMALLINT)(i + 1),
		    name, sizeof name, &len, NULL, NULL, NULL, NULL))) {
			diag(err, SQL_HANDLE_STMT, st, "cannot read the "
			    "query's columns");
			goto out;
		}
		cells[i] = hg_xstrdup((char *)name);
	}
	r = rd->columns(rd->arg, cells, n, err);
	for (i = 0; i < n; i++)
		hg_sfree(cells[i]);
	if (r < 0) {
		ret = -2;
		goto out;
	}
	for (;;) {
		rc = hg_odbc_fn.SQLFetch(st);
		if (rc == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(rc)) {
			diag(err, SQL_HANDLE_STMT, st, "cannot fetch a row");
			goto out;
		}
		for (i = 0; i < n; i++)
			if (get_cell(st, (SQLUSMALLINT)(i + 1), &cells[i],
			    err) < 0)
				goto out;
		r = rd->row(rd->arg, cells, n, err);
		for (i = 0; i < n; i++)
			hg_sfree(cells[i]);
		if (r < 0) {
			ret = -2;
			goto out;
		}
		if (r > 0)
			break;
	}
	ret = 0;
out:
	if (cells != NULL)
		for (i = 0; i < n; i++)
			free(cells[i]);
	free(cells);
	(void)hg_odbc_fn.SQLCloseCursor(st);
	(void)hg_odbc_fn.SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(bd);
	if (ret == -1)
		hg_odbc_disconnect(db);	/* the driver failed: start afresh */
	return ret < 0 ? -1 : 0;
}

int
hg_odbc_exec(struct hg_odbc *db, const struct hg_odbc_sql *sql,
    const struct hg_odbc_param *params, long *nrows, struct hg_err *err)
{
	struct bound *bd = hg_xcalloc(sql->n ? sql->n : 1, sizeof *bd);
	SQLHSTMT st;
	SQLLEN count = 0;

	*nrows = 0;
	if (stmt_start(db, sql, params, bd, &st, err) < 0) {
		free(bd);
		return -1;
	}
	if (SQL_SUCCEEDED(hg_odbc_fn.SQLRowCount(st, &count)) && count > 0)
		*nrows = (long)count;
	(void)hg_odbc_fn.SQLFreeHandle(SQL_HANDLE_STMT, st);
	free(bd);
	return 0;
}
