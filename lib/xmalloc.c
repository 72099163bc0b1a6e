#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xmalloc.h"

static void __attribute__((noreturn))
oom(size_t size)
{
	char msg[96];
	int n;

	n = snprintf(msg, sizeof msg, "hisgate: out of memory (%zu bytes)\n",
	    size);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
		abort();
	abort();
}

void *
hg_xmalloc(size_t size)
{
	void *p;

	p = malloc(size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *
hg_xcalloc(size_t n, size_t size)
{
	void *p;

	p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom(n * size);
	return p;
}

void *
hg_xrealloc(void *ptr, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		oom(SIZE_MAX);
	p = realloc(ptr, n != 0 && size != 0 ? n * size : 1);
	if (p == NULL)
		oom(n * size);
	return p;
}

char *
hg_xstrdup(const char *s)
{
	return hg_xstrndup(s, strlen(s));
}

char *
hg_xstrndup(const char *s, size_t n)
{
	char *p;

	p = hg_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
hg_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return p;
}
