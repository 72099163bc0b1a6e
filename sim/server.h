/* The simulator's HTTP(S) front: libmicrohttpd, one URL for everything
 * (infno in the body), gzip request bodies, optional client-certificate
 * checking, and the faults of sim/fault.h applied per request. */
#ifndef HG_SIM_SERVER_H
#define HG_SIM_SERVER_H

#include "lib/err.h"
#include "sim/fault.h"
#include "sim/platform.h"
#include "sim/verify.h"

struct sim_server;

struct sim_server_opts {
	const char	*listen;	/* "127.0.0.1:0", "[::1]:8443" */
	const char	*tls_cert;	/* PEM files, or NULL for plain HTTP */
	const char	*tls_key;
	const char	*tls_client_ca;	/* require a client cert from this CA */
	struct sim_verify *gate;	/* gateway profile checks, or NULL */
};

/* Bind, start serving; *port gets the port actually bound. */
int	sim_server_start(const struct sim_server_opts *opts, struct sim *sim,
	    struct sim_faults *faults, struct sim_server **out, int *port,
	    struct hg_err *err);
void	sim_server_stop(struct sim_server *srv);

#endif
