/* Loading a library on first use (see dl.h). */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "lib/dl.h"

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

int
hg_dl_load(struct hg_dl *dl, struct hg_err *err)
{
	void *h;

	pthread_mutex_lock(&dl_lock);
	if (!dl->tried) {
		dl->tried = 1;
		if ((h = dlopen(dl->soname, RTLD_NOW | dl->flags)) == NULL)
			snprintf(dl->error, sizeof dl->error, "cannot load %s "
			    "(%s): install the Debian package %s", dl->soname,
			    dlerror(), dl->package);
		else if (dl->resolve(h, dl->error, sizeof dl->error) == -1 &&
		    dl->error[0] == '\0')
			snprintf(dl->error, sizeof dl->error, "%s: a function "
			    "is missing", dl->soname);
	}
	pthread_mutex_unlock(&dl_lock);
	if (dl->error[0] != '\0')
		return hg_fail(err, "%s", dl->error);
	return 0;
}

void *
hg_dl_sym(void *h, const char *soname, const char *name, char *buf,
    size_t len)
{
	void *f;

	if ((f = dlsym(h, name)) == NULL)
		snprintf(buf, len, "%s has no %s", soname, name);
	return f;
}
