/* libcurl on demand (see curl_lib.h). */
#include "config.h"

/* the functions below have curl.h's names: its checking macros would
 * rewrite their definitions */
#define CURL_DISABLE_TYPECHECK 1

#include <dlfcn.h>
#include <stdarg.h>

#include <curl/curl.h>

#include "agent/curl_lib.h"
#include "lib/dl.h"

/* Every function hisgate calls. */
#define HG_CURL_FUNCS(X)						\
	X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init)	\
	X(curl_easy_cleanup) X(curl_easy_setopt) X(curl_easy_perform)	\
	X(curl_easy_getinfo) X(curl_easy_strerror) X(curl_slist_append)	\
	X(curl_slist_free_all)

static struct {
#define HG_CURL_MEMBER(f)	__typeof__(f) *f;
	HG_CURL_FUNCS(HG_CURL_MEMBER)
#undef HG_CURL_MEMBER
} fn;

HG_DL_DEFINE(hg_curl_load, fn, HG_CURL_SONAME, "libcurl4", RTLD_LOCAL,
    HG_CURL_FUNCS)

CURLcode
curl_global_init(long flags)
{
	return fn.curl_global_init(flags);
}

void
curl_global_cleanup(void)
{
	fn.curl_global_cleanup();
}

CURL *
curl_easy_init(void)
{
	return fn.curl_easy_init();
}

void
curl_easy_cleanup(CURL *h)
{
	fn.curl_easy_cleanup(h);
}

/* The argument's type follows from the option's number, as in libcurl's
 * own setopt.c: long, object pointer, function pointer, curl_off_t,
 * blob pointer. */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = fn.curl_easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return fn.curl_easy_perform(h);
}

/* every CURLINFO_* takes a pointer to where the answer goes */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	va_start(ap, info);
	rc = fn.curl_easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

const char *
curl_easy_strerror(CURLcode code)
{
	return fn.curl_easy_strerror(code);
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *s)
{
	return fn.curl_slist_append(list, s);
}

void
curl_slist_free_all(struct curl_slist *list)
{
	fn.curl_slist_free_all(list);
}
