/* Stored bills and HTTP-pushed JSON: hg_bill_from_json must reject or
 * accept without crashing, and what it accepts must round-trip. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bill.h"

const char *hg_fuzz_name = "bill_json";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_bill *b = NULL, *b2 = NULL;
	char *s = malloc(size + 1), *j1, *j2;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hg_bill_from_json(s, &b, NULL) == 0) {
		j1 = hg_bill_to_json(b);
		if (hg_bill_from_json(j1, &b2, NULL) < 0)
			abort();
		j2 = hg_bill_to_json(b2);
		if (strcmp(j1, j2) != 0)
			abort();
		free(j1);
		free(j2);
		hg_bill_free(b);
		hg_bill_free(b2);
	}
	free(s);
	return 0;
}
