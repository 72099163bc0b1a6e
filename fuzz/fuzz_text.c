/* Bytes in any encoding: detection and conversion to UTF-8 must never
 * crash and must always produce valid UTF-8. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "lib/text.h"

const char *hg_fuzz_name = "text";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *enc;
	char *out;
	size_t len, nbad, first, bom;

	enc = hg_text_detect((const char *)data, size, "GB18030", &bom);
	if (hg_text_to_utf8(enc, (const char *)data + bom, size - bom, &out,
	    &len, &nbad, &first, NULL) == 0) {
		if (!hg_utf8_valid(out, len))
			abort();
		hg_norm_id(out);
		hg_trim(out);
		free(out);
	}
	return 0;
}
