#include "config.h"

#include <nettle/sha2.h>

#include "lib/hash.h"

#define FNV_PRIME	0x100000001b3ULL

uint64_t
hg_hash_more(const char *s, uint64_t h)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t
hg_hash_str(const char *s)
{
	return hg_hash_more(s, HG_HASH_INIT);
}

uint64_t
hg_hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= FNV_PRIME;
	}
	return h;
}

void
hg_sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	size_t i;

	sha256_init(&ctx);
	sha256_update(&ctx, n, p);
	sha256_digest(&ctx, sizeof md, md);
	for (i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
