/* Listening sockets for adapters, see listen.h. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/listen.h"
#include "lib/xmalloc.h"

static int
resolve(const char *addr, struct addrinfo **res, struct hg_err *err)
{
	struct addrinfo hints;
	const char *colon = strrchr(addr, ':');
	char *host, *port;
	size_t hl;
	int rc;

	if (colon == NULL || colon[1] == '\0')
		return hg_fail(err, "listen: \"%s\" is not ADDRESS:PORT "
		    "(expected e.g. \"0.0.0.0:2575\")", addr);
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']')
		host = hg_xstrndup(addr + 1, hl - 2);
	else
		host = hg_xstrndup(addr, hl);
	port = hg_xstrdup(colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(*host != '\0' ? host : NULL, port, &hints, res);
	if (rc != 0)
		hg_fail(err, "listen: \"%s\": %s (expected a numeric "
		    "address and port, e.g. \"0.0.0.0:2575\")", addr,
		    gai_strerror(rc));
	free(host);
	free(port);
	return rc != 0 ? -1 : 0;
}

int
hg_listen_check(const struct hg_adapter *a, const char *addr,
    struct hg_conf_errs *errs, int line)
{
	struct addrinfo *res = NULL;
	struct hg_err err;

	if (resolve(addr, &res, &err) < 0) {
		hg_conf_errs_add(errs, a->conf_file ? a->conf_file : a->name,
		    line, "%s", err.msg);
		return 1;
	}
	freeaddrinfo(res);
	return 0;
}

int
hg_listen_tcp(const char *addr, int *fd, char *bound, size_t len,
    struct hg_err *err)
{
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[48], port[8];
	int one = 1, s;

	*fd = -1;
	if (resolve(addr, &res, err) < 0)
		return -1;
	s = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) < 0 || bind(s, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(s, 64) < 0) {
		/* the port may be free again soon (a restart) */
		hg_failt(err, "listen %s: %s", addr, strerror(errno));
		if (s >= 0)
			close(s);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	if (getsockname(s, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(bound, len, "%s:%s", host, port);
	else
		snprintf(bound, len, "%s", addr);
	*fd = s;
	return 0;
}
