/* MLLP framing: whatever the bytes and wherever the socket cuts them,
 * the decoder never crashes, returns frames no larger than its limit, and
 * the frames are the same however the input is cut. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/mllp.h"

const char *hg_fuzz_name = "mllp";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed in pieces of `step` bytes; a hash of the frames and their count. */
static uint64_t
frames(const uint8_t *data, size_t size, size_t step, size_t *n)
{
	struct hg_mllp m;
	uint64_t h = 1469598103934665603ull;
	const char *msg;
	size_t len, i, k;
	enum hg_mllp_rc rc;

	hg_mllp_init(&m, 512);
	*n = 0;
	for (i = 0; i < size; i += step) {
		hg_mllp_feed(&m, data + i, i + step > size ? size - i : step);
		while ((rc = hg_mllp_next(&m, &msg, &len)) != HG_MLLP_NONE) {
			(*n)++;
			if (rc == HG_MLLP_TOOBIG) {
				h = (h ^ 0xFF) * 1099511628211ull;
				continue;
			}
			if (len > 512)
				abort();
			for (k = 0; k < len; k++)
				h = (h ^ (uint8_t)msg[k]) * 1099511628211ull;
			h = (h ^ 0x100) * 1099511628211ull;
		}
	}
	(void)hg_mllp_partial(&m);
	hg_mllp_free(&m);
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n1, n2;
	uint64_t a = frames(data, size, size > 0 ? size : 1, &n1);
	uint64_t b = frames(data, size, 1 + size % 13, &n2);

	/* an oversized frame is reported once either way */
	if (a != b || n1 != n2)
		abort();
	return 0;
}
