#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/tmpfile.h"

int
hg_fuzz_file(const uint8_t *data, size_t size, char path[HG_FUZZ_PATHLEN])
{
	int fd;

	snprintf(path, HG_FUZZ_PATHLEN, "/tmp/hgfuzz.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}
