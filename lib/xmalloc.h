/* Allocation that never returns NULL: out of memory ends the process
 * (systemd restarts it; the outbox survives). */
#ifndef HG_XMALLOC_H
#define HG_XMALLOC_H

#include <stddef.h>

void	*hg_xmalloc(size_t size);
void	*hg_xcalloc(size_t n, size_t size);
void	*hg_xrealloc(void *ptr, size_t n, size_t size);
char	*hg_xstrdup(const char *s);
char	*hg_xstrndup(const char *s, size_t n);
char	*hg_xasprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* Free and clear a pointer. */
#define hg_sfree(p) do { free(p); (p) = NULL; } while (0)

#endif
