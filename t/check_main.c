#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "t/check_main.h"

TCase *
hg_tcase(Suite *s, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

char *
hg_tmpdir(void)
{
	char tmpl[] = "/tmp/hgtest.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return hg_xstrdup(tmpl);
}

void
hg_rmtree(const char *path)
{
	char *cmd;

	if (path == NULL || strncmp(path, "/tmp/hgtest.", 12) != 0)
		return;
	cmd = hg_xasprintf("rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
	free(cmd);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(hg_test_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
