/* Decimal text from any source: hg_dec_parse must never crash, and what
 * it accepts must format back to a value it parses the same. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/money.h"
#include "lib/text.h"

const char *hg_fuzz_name = "money";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[HG_DECBUF], out[HG_TIMELEN];
	static const int scales[] = { 0, 2, 4, 6 };
	int64_t v, back;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < 4; i++) {
		if (hg_dec_parse("f", s, scales[i], &v, NULL) < 0)
			continue;
		hg_dec_format(v, scales[i], buf);
		if (hg_dec_parse("f", buf, scales[i], &back, NULL) < 0 ||
		    back != v)
			abort();
	}
	(void)hg_time_parse("t", s, out, NULL);
	free(s);
	return 0;
}
