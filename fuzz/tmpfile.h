/* For harnesses whose parser reads a file: the input written to a fresh
 * temporary file.  Returns 0 and fills path (unlink it after), or -1. */
#ifndef HG_FUZZ_TMPFILE_H
#define HG_FUZZ_TMPFILE_H

#include <stddef.h>
#include <stdint.h>

#define HG_FUZZ_PATHLEN	64

int	hg_fuzz_file(const uint8_t *data, size_t size,
	    char path[HG_FUZZ_PATHLEN]);

#endif
