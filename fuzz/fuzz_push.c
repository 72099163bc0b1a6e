/* The httppush body from any client: the collecting JSON reader never
 * crashes, and either gives a bill or at least one problem. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "adapters/push_json.h"

const char *hg_fuzz_name = "push";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_problem *probs = NULL;
	struct hg_bill *b = NULL;
	size_t n = 0;
	int rc;

	rc = hg_push_parse((const char *)data, size, &b, &probs, &n);
	if ((rc == 0) != (b != NULL) || (rc < 0 && n == 0))
		abort();
	hg_bill_free(b);
	hg_problems_free(probs, n);
	return 0;
}
