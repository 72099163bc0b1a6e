/* The simulated provincial platform: one request envelope in, one response
 * envelope out, the ledger updated in between.  No HTTP here (that is
 * server.c), so the message handling can be driven directly. */
#ifndef HG_SIM_PLATFORM_H
#define HG_SIM_PLATFORM_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "sim/conf.h"
#include "sim/ledger.h"

struct sim {
	struct sim_conf	 conf;
	struct sim_ledger *ledger;
	pthread_mutex_t	 lock;		/* one request at a time */
	int64_t		 serial;	/* inf_refmsgid serial */
};

/* After conf and ledger are set: the lock and the serial. */
int	sim_init(struct sim *s, struct hg_err *err);
void	sim_destroy(struct sim *s);

/* Handle one request.  root is the parsed body, or NULL with parse_err
 * saying why it was not JSON.  now is the wall clock (ms).  Returns the
 * response envelope (caller puts it); *committed is 1 when the ledger
 * changed. */
struct json_object *sim_handle(struct sim *s, struct json_object *root,
	    const char *parse_err, int64_t now_ms, int *committed);
/* A -1 answer for faults: nothing was (or, after commit, will be said to
 * have been) done. */
struct json_object *sim_syserr(struct sim *s, const char *err_msg,
	    int64_t recv_ms, int64_t now_ms);

#endif
