/* Loading unixODBC on demand (see odbc_lib.h). */
#include "config.h"

#include <dlfcn.h>

#include "adapters/odbc_lib.h"
#include "lib/dl.h"

struct hg_odbc_fns hg_odbc_fn;

/* RTLD_GLOBAL: the driver manager's symbols are seen as they were when
 * it was linked in (drivers it loads may look for them). */
HG_DL_DEFINE(hg_odbc_load, hg_odbc_fn, HG_ODBC_SONAME, "libodbc2",
    RTLD_GLOBAL, HG_ODBC_FUNCS)
