/* Test only, preloaded by t/httppush.sh (LD_PRELOAD): while the file
 * $HG_KILLCOMMIT_FILE exists, the process dies by SIGKILL the moment a
 * COMMIT succeeds on a thread that inserted a bill in that transaction;
 * otherwise sqlite3_step(3) is SQLite's.  A crash between the bill's
 * commit and whatever the code would do next (answer the HIS, remember
 * more), with nothing of the daemon's own making it possible. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

static __thread int inserted;

int
sqlite3_step(sqlite3_stmt *st)
{
	static int (*real)(sqlite3_stmt *);
	const char *trigger = getenv("HG_KILLCOMMIT_FILE");
	const char *sql;
	int rc;

	if (real == NULL)
		real = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT,
		    "sqlite3_step");
	rc = real(st);
	sql = sqlite3_sql(st);
	if (sql == NULL || trigger == NULL)
		return rc;
	if (strncmp(sql, "INSERT INTO bills ", 18) == 0)
		inserted = 1;
	else if (strcmp(sql, "COMMIT") == 0 && rc == SQLITE_DONE) {
		if (inserted && access(trigger, F_OK) == 0)
			kill(getpid(), SIGKILL);
		inserted = 0;
	} else if (strcmp(sql, "ROLLBACK") == 0)
		inserted = 0;
	return rc;
}
