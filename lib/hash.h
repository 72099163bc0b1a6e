/* A string hash for the in-memory tables (the mapping, table_group's key
 * index). */
#ifndef HG_HASH_H
#define HG_HASH_H

#include <stdint.h>

/* FNV-1a, 64 bits: short keys, no adversary (the files are the
 * hospital's own), and cheap. */
uint64_t	hg_hash_str(const char *s);

#endif
