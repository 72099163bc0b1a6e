/* Exports from any HIS: the chunk-wise decoder and CSV tokenizer must
 * never crash, whatever the bytes, and every record must come back as
 * NUL-terminated fields. */
#define _GNU_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "adapters/csv.h"

const char *hg_fuzz_name = "csv";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_csv_ropts o;
	struct hg_csv_reader *r;
	struct hg_csv_rec rec;
	struct hg_err err;
	int fd, n = 0;

	fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	memset(&o, 0, sizeof o);
	o.delim = size > 0 && data[0] == '\t' ? '\t' : ',';
	o.quote = '"';
	o.utf16_tab = 1;
	o.chunk = 7 + size % 61;	/* small chunks: cut characters */
	o.max_record = 4096;
	r = hg_csv_reader_new(fd, &o, &err);
	if (r != NULL) {
		while (n++ < 10000 && hg_csv_reader_next(r, &rec, &err) == 1)
			;
		hg_csv_reader_free(r);
	}
	close(fd);
	return 0;
}
