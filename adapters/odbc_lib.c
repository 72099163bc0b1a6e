/* Loading unixODBC on demand (see odbc_lib.h). */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "adapters/odbc_lib.h"

struct hg_odbc_fns hg_odbc_fn;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[HG_ERRLEN];	/* "" once loaded */

static void
load(void)
{
	void *h, *f;

	/* RTLD_GLOBAL: the driver manager's symbols are seen as they were
	 * when it was linked in (drivers it loads may look for them). */
	if ((h = dlopen(HG_ODBC_SONAME, RTLD_NOW | RTLD_GLOBAL)) == NULL) {
		snprintf(load_error, sizeof load_error, "cannot load %s (%s): "
		    "install the Debian package libodbc2", HG_ODBC_SONAME,
		    dlerror());
		return;
	}
#define HG_ODBC_SYM(fn)							\
	if ((f = dlsym(h, #fn)) == NULL) {				\
		snprintf(load_error, sizeof load_error, "%s has no %s: "	\
		    "unixODBC 2.3 or later is needed", HG_ODBC_SONAME, #fn);	\
		return;							\
	}								\
	hg_odbc_fn.fn = (__typeof__(fn) *)f;
	HG_ODBC_FUNCS(HG_ODBC_SYM)
#undef HG_ODBC_SYM
}

int
hg_odbc_load(struct hg_err *err)
{
	pthread_once(&load_once, load);
	if (load_error[0] != '\0')
		return hg_fail(err, "%s", load_error);
	return 0;
}
