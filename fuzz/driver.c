/* A small stand-in for libFuzzer so the harnesses run in `make check`
 * with any compiler: it feeds every seed in fuzz/corpus/NAME/, then a
 * fixed number of deterministic mutations of each (bit flips, byte
 * insertions and deletions, splices), and prints one TAP line.  With
 * clang, fuzz/run links the same harness against the real libFuzzer. */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *hg_fuzz_name;
/* A harness that touches the file system may ask for fewer rounds. */
extern const int hg_fuzz_mutations __attribute__((weak));

#define MUTATIONS	400
#define MAXLEN		65536

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t
mutate(uint8_t *buf, size_t len, size_t cap)
{
	size_t pos, k, n = 1 + next() % 4;
	static const char *const tokens[] = { ",", "\"", "\r\n", "\n", ".",
	    "-", "E+17", "\xef\xbc\x91", "\xb7", "\x00", "{", "}", "[", "]",
	    ":", "0000", "9999999999999999999", "\xe3\x80\x80", "\\u0000" };

	while (n-- > 0) {
		pos = len ? next() % len : 0;
		switch (next() % 5) {
		case 0:
			if (len)
				buf[pos] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			if (len < cap)
				memmove(buf + pos + 1, buf + pos, len - pos),
				buf[pos] = (uint8_t)next(), len++;
			break;
		case 2:
			if (len)
				memmove(buf + pos, buf + pos + 1,
				    len - pos - 1), len--;
			break;
		case 3: {
			const char *t = tokens[next() %
			    (sizeof tokens / sizeof tokens[0])];
			k = strlen(t) ? strlen(t) : 1;
			if (len + k <= cap) {
				memmove(buf + pos + k, buf + pos, len - pos);
				memcpy(buf + pos, t, k);
				len += k;
			}
			break;
		}
		default:
			if (len > 2) {
				k = next() % (len / 2 + 1);
				if (pos + k <= len && len + k <= cap) {
					memmove(buf + pos + k, buf + pos,
					    len - pos);
					len += k;
				}
			}
			break;
		}
	}
	return len;
}

static int
run_file(const char *path, size_t *count)
{
	uint8_t *buf, *work;
	size_t len, wlen;
	FILE *fp;
	int i;

	fp = fopen(path, "rb");
	if (fp == NULL)
		return -1;
	buf = malloc(MAXLEN);
	work = malloc(MAXLEN);
	if (buf == NULL || work == NULL) {
		fclose(fp);
		free(buf);
		free(work);
		return -1;
	}
	len = fread(buf, 1, MAXLEN / 2, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, len);
	(*count)++;
	for (i = 0; i < (&hg_fuzz_mutations ? hg_fuzz_mutations : MUTATIONS);
	    i++) {
		memcpy(work, buf, len);
		wlen = mutate(work, len, MAXLEN);
		/* hand the harness an exact-size copy so ASan sees overreads */
		uint8_t *exact = malloc(wlen ? wlen : 1);
		if (exact == NULL)
			break;
		memcpy(exact, work, wlen);
		LLVMFuzzerTestOneInput(exact, wlen);
		free(exact);
		(*count)++;
	}
	free(buf);
	free(work);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096], path[8192];
	struct dirent *e;
	size_t count = 0;
	DIR *d;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run_file(argv[i], &count);
		printf("ran %zu inputs\n", count);
		return 0;
	}
	snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", top ? top : ".",
	    hg_fuzz_name);
	d = opendir(dir);
	if (d == NULL) {
		printf("1..1\nnot ok 1 - fuzz %s: no corpus at %s\n",
		    hg_fuzz_name, dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		run_file(path, &count);
	}
	closedir(d);
	printf("1..1\n%s 1 - fuzz %s: %zu inputs without a crash\n",
	    count > 0 ? "ok" : "not ok", hg_fuzz_name, count);
	return count > 0 ? 0 : 1;
}
