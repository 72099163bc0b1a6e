/* Mapping files edited by hand at 2 a.m.: the loader must reject or
 * accept any bytes without crashing. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/mapping.h"

const char *hg_fuzz_name = "mapping";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/hgfuzz-map.XXXXXX";
	struct hg_mapping *map;
	struct hg_err err;
	int fd;

	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (hg_mapping_load(path, &map, &err) == 0) {
		(void)hg_mapping_lookup(map, "YP000456");
		hg_mapping_free(map);
	}
	unlink(path);
	return 0;
}
