#include "config.h"

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
