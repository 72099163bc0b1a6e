/* A listening TCP socket for the adapters the HIS connects to (hl7,
 * httppush): "ADDRESS:PORT" (numeric; "[::]:PORT" for IPv6; port 0 = any
 * free port), non-blocking, close-on-exec. */
#ifndef HG_LISTEN_H
#define HG_LISTEN_H

#include <stddef.h>

#include "adapters/adapter.h"
#include "lib/err.h"

/* Check the address only (for check-config): 0, or 1 with the problem
 * added to errs as the adapter's FILE:LINE. */
int	hg_listen_check(const struct hg_adapter *a, const char *addr,
	    struct hg_conf_errs *errs, int line);
/* Bind and listen; *fd is the socket and bound gets "ADDRESS:PORT" as
 * bound (for the log line tests and operators read). */
int	hg_listen_tcp(const char *addr, int *fd, char *bound, size_t len,
	    struct hg_err *err);

#endif
