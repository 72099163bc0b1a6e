/* A DBF table and its memo file from arbitrary bytes: the reader must
 * never crash, read outside the file or its buffers, or hand out text
 * that is not UTF-8.  Input: a 4-byte little-endian length of the .DBF
 * part, the .DBF, then the .FPT memo (the rest). */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters/dbf_read.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

const char *hg_fuzz_name = "dbf";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;

static void
cleanup(void)
{
	char *p;

	p = hg_xasprintf("%s/t.dbf", dir);
	unlink(p);
	free(p);
	p = hg_xasprintf("%s/t.fpt", dir);
	unlink(p);
	free(p);
	rmdir(dir);
}

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char *path = hg_xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, fp) != n)
		abort();
	fclose(fp);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_dbf *d;
	struct hg_err err;
	char why[256], *v, *path, tmpl[] = "/tmp/fuzz-dbf.XXXXXX";
	size_t n, k;
	uint32_t i;
	int fd, rc;

	if (dir == NULL && (dir = mkdtemp(tmpl)) != NULL) {
		dir = hg_xstrdup(dir);
		atexit(cleanup);
	}
	if (dir == NULL || size < 4)
		return 0;
	n = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 |
	    (size_t)(data[3] & 0x7f) << 24;
	if (n > size - 4)
		n = size - 4;
	put("t.dbf", data + 4, n);
	put("t.fpt", data + 4 + n, size - 4 - n);
	path = hg_xasprintf("%s/t.dbf", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		abort();
	if (hg_dbf_open(fd, path, "GB18030", &d, &err) == 0) {
		for (i = 0; i < d->nrec && i < 1000; i++) {
			rc = hg_dbf_record(d, i, &err);
			if (rc == 2)
				break;
			for (k = 0; rc >= 0 && k < d->nf; k++) {
				if (!hg_dbf_visible(d, k))
					continue;
				if (hg_dbf_value(d, k, &v, why, sizeof why) >= 0 &&
				    (v == NULL || !hg_utf8_valid(v, strlen(v))))
					abort();
				free(v);
			}
		}
		hg_dbf_close(d);
	}
	close(fd);
	free(path);
	return 0;
}
