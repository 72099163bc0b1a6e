/* hisgate.conf as a person edits it: the loader and every check behind
 * it (tables, platform profile, paths) accept or reject any bytes without
 * crashing, and a rejection always says why. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/conf.h"
#include "fuzz/tmpfile.h"
#include "lib/conftab.h"

const char *hg_fuzz_name = "conf";
const int hg_fuzz_mutations = 200;
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5's scanner leaks the text it was reading on a syntax error
 * (fuzz/lsan.supp says the same for script/fuzz): not hisgate's memory.
 * LeakSanitizer asks for this in the make check run of a sanitized build. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_config *cfg;
	char path[HG_FUZZ_PATHLEN];

	if (hg_fuzz_file(data, size, path) == -1)
		return 0;
	cfg = hg_config_load(path, &errs);
	if (cfg == NULL && errs.n == 0)
		abort();
	hg_config_free(cfg);
	hg_conf_errs_free(&errs);
	unlink(path);
	return 0;
}
