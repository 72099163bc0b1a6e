/* What agent/platform*.c share.  Private to them. */
#ifndef HG_PLATFORM_INT_H
#define HG_PLATFORM_INT_H

#include <stddef.h>

#include <curl/curl.h>

#include "agent/platform.h"
#include "lib/err.h"

struct hg_platform {
	struct hg_platform_shared *sh;
	CURL	*curl;		/* NULL until the first call: easy_open */
	const char *body;	/* the request body being sent */
	size_t	 body_len, body_pos;
	char	*buf;		/* the answer, NUL-terminated */
	size_t	 len, cap;
	int	 overflow;
	char	 errbuf[CURL_ERROR_SIZE];
};

/* POST body; the answer is in p->buf/p->len.  Returns the transport's
 * verdict (OK means an HTTP 2xx with a body still to be parsed). */
enum hg_call_outcome pf_post(struct hg_platform *p, const char *infno,
		    const char *body, struct hg_err *err);
/* curl_global_init for sh once, on the first call; then
 * curl_global_cleanup in hg_platform_shared_destroy. */
void		 pf_curl_stop(struct hg_platform_shared *sh);
/* Zero a secret's bytes before freeing it; NULL is fine. */
void		 pf_wipe_free(char *s);

#endif
