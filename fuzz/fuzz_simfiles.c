/* The simulator's policy, catalogue and registry files (a training room
 * edits them): the first byte picks the loader, the rest is the file. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/tmpfile.h"
#include "sim/conf.h"

const char *hg_fuzz_name = "simfiles";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_conf conf;
	struct hg_err err;
	char path[HG_FUZZ_PATHLEN];
	int rc;

	if (size < 1 || hg_fuzz_file(data + 1, size - 1, path) == -1)
		return 0;
	memset(&conf, 0, sizeof conf);
	hg_err_clear(&err);
	switch (data[0] % 3) {
	case 0:
		rc = sim_conf_load_policy(&conf, path, &err);
		break;
	case 1:
		rc = sim_conf_load_catalogue(&conf, path, &err);
		break;
	default:
		rc = sim_conf_load_registry(&conf, path, &err);
		break;
	}
	if (rc == -1 && err.msg[0] == '\0')
		abort();
	sim_conf_free(&conf);
	unlink(path);
	return 0;
}
