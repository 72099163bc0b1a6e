/* Libraries loaded with dlopen on first use (adapters/odbc_lib.c,
 * agent/curl_lib.c): a library every agent would map, linked in, although
 * only some agents, or an agent only after a while, call it. */
#ifndef HG_DL_H
#define HG_DL_H

#include "lib/err.h"

struct hg_dl {
	const char *soname;	/* e.g. "libodbc.so.2" */
	const char *package;	/* the Debian package that installs it */
	int	 flags;		/* dlopen's; RTLD_NOW is added */
	/* fill the caller's function table from h with hg_dl_sym; -1 with
	 * why in buf on a missing symbol */
	int	(*resolve)(void *h, char *buf, size_t len);
	int	 tried;		/* under the loader's lock */
	char	 error[HG_ERRLEN];	/* "" once loaded */
};

/* Load dl's library and resolve its table, once for the process
 * (thread-safe; never unloaded).  0, or -1 with err naming the library,
 * dlerror's reason and the package to install, on every call. */
int	hg_dl_load(struct hg_dl *dl, struct hg_err *err);
/* HG_DL_DEFINE(loader, table, soname, package, flags, FUNCS) defines
 * int loader(struct hg_err *): hg_dl_load of soname, filling table.f for
 * every f that the X-macro list FUNCS names, each typed as f is declared
 * (adapters/odbc_lib.c, agent/curl_lib.c). */
#define HG_DL_SYM_(f)							\
	if ((t->f = (__typeof__(f) *)hg_dl_sym(h, so, #f, buf, len)) ==	\
	    NULL)							\
		return -1;
#define HG_DL_DEFINE(loader, table, soname, package, flags, FUNCS)	\
static int								\
loader##_resolve(void *h, char *buf, size_t len)			\
{									\
	__typeof__(table) *t = &(table);				\
	const char *so = (soname);					\
									\
	FUNCS(HG_DL_SYM_)						\
	return 0;							\
}									\
static struct hg_dl loader##_dl = { soname, package, flags,		\
    loader##_resolve, 0, "" };						\
int									\
loader(struct hg_err *err)						\
{									\
	return hg_dl_load(&loader##_dl, err);				\
}

/* dlsym(h, name), or NULL with "SONAME has no NAME" in buf. */
void	*hg_dl_sym(void *h, const char *soname, const char *name, char *buf,
	    size_t len);

#endif
