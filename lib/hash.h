/* A string hash for the in-memory tables (the mapping, table_group's key
 * index) and the adapters' record and problem fingerprints. */
#ifndef HG_HASH_H
#define HG_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bits: short keys, no adversary (the files are the
 * hospital's own), and cheap. */
#define HG_HASH_INIT	0xcbf29ce484222325ULL

uint64_t	hg_hash_str(const char *s);
/* Continue hash h over n bytes, or over a string: chains several fields
 * into one hash (start from HG_HASH_INIT). */
uint64_t	hg_hash_bytes(const void *p, size_t n, uint64_t h);
uint64_t	hg_hash_more(const char *s, uint64_t h);

/* SHA-256 of n bytes as 64 hex digits: a bill's content, a pushed body.
 * Nettle, not OpenSSL's EVP: an EVP digest fetches from OpenSSL 3's
 * provider, and its first use costs 2 MB resident (bench/ingest). */
void	hg_sha256_hex(const void *p, size_t n, char out[65]);

#endif
