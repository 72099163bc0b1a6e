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

#endif
