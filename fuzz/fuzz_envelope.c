/* What a gateway receives under the sm4sm2 profile, from anyone on the
 * network: opening it (JSON, hex, SM4, Base64, SM2) must never crash, and
 * a refusal always names the field. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sign.h"
#include "lib/sign_env.h"

const char *hg_fuzz_name = "envelope";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	struct hg_sm4sm2 c = { "H32010000001APP0", "s3cr3t-good", "1.0.0",
	    HG_SM2_DEFAULT_ID, NULL };
	struct hg_err err;
	char *plain, *ts;
	unsigned char *b;
	size_t n;
	char *text;

	if (key == NULL && (key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2")) == NULL)
		abort();
	c.key = key;
	if (hg_sm4sm2_open(&c, (const char *)data, size, &plain, &ts,
	    &err) == 0) {
		free(plain);
		free(ts);
	} else if (err.msg[0] == '\0')
		abort();
	/* Base64 of outside text, as cainfo and signData are read */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hg_unbase64(text, &b, &n) == 0)
		free(b);
	free(text);
	return 0;
}
