/* Test only, preloaded by t/syncfail.sh (LD_PRELOAD): fdatasync(2) and
 * fsync(2) fail with EIO for files whose path ends with
 * $HG_FAILSYNC_SUFFIX while the file $HG_FAILSYNC_FILE exists; otherwise
 * they are the C library's.  A disk that reports a write error at the
 * moment the journal must reach it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
failing(int fd)
{
	const char *trigger = getenv("HG_FAILSYNC_FILE");
	const char *suffix = getenv("HG_FAILSYNC_SUFFIX");
	char link[64], path[PATH_MAX];
	ssize_t n;
	size_t ls;

	if (trigger == NULL || access(trigger, F_OK) != 0)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) < 0)
		return 0;
	path[n] = '\0';
	if (suffix == NULL)
		return 1;
	ls = strlen(suffix);
	return (size_t)n >= ls && strcmp(path + n - ls, suffix) == 0;
}

static int
real_call(const char *name, int fd)
{
	int (*real)(int);

	*(void **)&real = dlsym(RTLD_NEXT, name);
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd);
}

int
fdatasync(int fd)
{
	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return real_call("fdatasync", fd);
}

int
fsync(int fd)
{
	if (failing(fd)) {
		errno = EIO;
		return -1;
	}
	return real_call("fsync", fd);
}
