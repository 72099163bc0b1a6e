/* A simulator dialect file (--dialect): any bytes load or fail with a
 * message, never crash; a loaded text keeps its conversions in order. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/tmpfile.h"
#include "sim/dialect.h"

const char *hg_fuzz_name = "dialect";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_dialect d;
	struct hg_err err;
	char path[HG_FUZZ_PATHLEN];

	if (hg_fuzz_file(data, size, path) == -1)
		return 0;
	if (sim_dialect_load(path, &d, &err) == 0)
		sim_dialect_free(&d);
	else if (err.msg[0] == '\0')
		abort();
	unlink(path);
	return 0;
}
