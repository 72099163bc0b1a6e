/* Each unit-test program defines hg_test_suite(); check_main.c runs it
 * with CK_ENV (CK_FORK, CK_RUN_CASE, CK_VERBOSITY) and TAP output when
 * CK_TAP_LOG_FILE_NAME=- (as `make check` sets it). */
#ifndef HG_CHECK_MAIN_H
#define HG_CHECK_MAIN_H

#include <check.h>

Suite	*hg_test_suite(void);

/* A TCase with an explicit timeout, added to s. */
TCase	*hg_tcase(Suite *s, const char *name, double timeout);

/* A fresh temporary directory for one test (removed by the caller's
 * teardown with hg_rmtree); returns an allocated path. */
char	*hg_tmpdir(void);
void	hg_rmtree(const char *path);

#endif
