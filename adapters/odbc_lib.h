/* unixODBC's driver manager, loaded with dlopen when the first ODBC
 * connection or driver lookup needs it.  Linked in, libodbc and libltdl
 * cost an agent without an ODBC adapter 160 KB of resident pages. */
#ifndef HG_ODBC_LIB_H
#define HG_ODBC_LIB_H

#include <sql.h>
#include <sqlext.h>

#include "lib/err.h"

/* The Debian runtime package's SONAME (debian/control depends on it). */
#define HG_ODBC_SONAME	"libodbc.so.2"

/* Every function hisgate calls; each member has its function's type. */
#define HG_ODBC_FUNCS(X)						\
	X(SQLAllocHandle) X(SQLBindParameter) X(SQLCloseCursor)		\
	X(SQLDataSources) X(SQLDescribeCol) X(SQLDisconnect)		\
	X(SQLDriverConnect) X(SQLDrivers) X(SQLExecute) X(SQLFetch)	\
	X(SQLFreeHandle) X(SQLGetData) X(SQLGetDiagRec)			\
	X(SQLNumResultCols) X(SQLPrepare) X(SQLRowCount)		\
	X(SQLSetConnectAttr) X(SQLSetEnvAttr) X(SQLSetStmtAttr)

struct hg_odbc_fns {
#define HG_ODBC_MEMBER(f)	__typeof__(f) *f;
	HG_ODBC_FUNCS(HG_ODBC_MEMBER)
#undef HG_ODBC_MEMBER
};

/* Filled by the first successful hg_odbc_load; never unloaded. */
extern struct hg_odbc_fns hg_odbc_fn;

/* Load the library once (thread-safe).  0, or -1 with err naming the
 * library, dlerror's reason and the package to install, every time. */
int	hg_odbc_load(struct hg_err *err);

#endif
