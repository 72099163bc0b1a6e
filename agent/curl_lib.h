/* libcurl, loaded with dlopen at the platform's first call (agent/
 * platform_http.c curl_start).  Linked in, libcurl and the 18 libraries
 * only it needs (Kerberos, LDAP, SASL, libssh2, librtmp, nghttp2, brotli,
 * zstd, libssl ...) cost 1.7 MB of resident pages in an agent that has
 * not called the platform yet, or never does (settle.enabled = false).
 *
 * agent/curl_lib.c defines the libcurl functions hisgate calls under
 * their own names, each passing on to the loaded library, so the callers
 * and curl.h's type checks stay as they are.  Calling one before
 * hg_curl_load succeeded is a bug (a NULL call). */
#ifndef HG_CURL_LIB_H
#define HG_CURL_LIB_H

#include "lib/err.h"

/* The Debian runtime package's SONAME (debian/control depends on it). */
#define HG_CURL_SONAME	"libcurl.so.4"

/* Load the library once (thread-safe).  0, or -1 with err naming the
 * library, dlerror's reason and the package to install, every time. */
int	hg_curl_load(struct hg_err *err);

#endif
