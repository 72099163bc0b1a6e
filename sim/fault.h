/* Fault injection for the simulated platform (--fault SPEC, repeatable).
 * SPEC is comma-separated key=value pairs:
 *
 *   kind=latency,ms=300           add latency (accumulates across faults)
 *   kind=http500|http502|http503  answer that HTTP status, no processing
 *   kind=reset                    drop the connection before processing
 *   kind=reset-after-commit       process and commit, then drop the
 *                                 connection without an answer (also
 *                                 kind=drop-after-commit)
 *   kind=http500-after-commit     process and commit, answer that HTTP
 *     (http502-, http503-)        status instead of the result
 *   kind=timeout-after-commit,ms=N  process and commit, hold the answer
 *                                 N ms (past the client's timeout), then
 *                                 drop the connection
 *   kind=infcode-1                answer infcode -1, no processing
 *   kind=infcode-1-after-commit   process and commit, answer infcode -1
 *   kind=outage,after=N,secs=T    after N matching requests, refuse every
 *                                 connection for T seconds (once)
 *
 * with filters: infno=2304 (or 2401/2402/2304: any of them; writes: every
 * infno that changes the platform, 2401 2301 2302 2402 2304 2305 2404
 * 2405 2601; * or absent: any), prob=0.2 (draws from a
 * PRNG seeded by --seed), nth=K (only the K-th matching request),
 * count=N (fire at most N times).  The first terminal fault that fires
 * decides a request; latency faults all add up. */
#ifndef HG_SIM_FAULT_H
#define HG_SIM_FAULT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum sim_fault_kind {
	SIM_F_NONE = 0,
	SIM_F_LATENCY,
	SIM_F_HTTP500,
	SIM_F_HTTP502,
	SIM_F_HTTP503,
	SIM_F_RESET,
	SIM_F_RESET_AFTER_COMMIT,
	SIM_F_INFCODE1,
	SIM_F_INFCODE1_AFTER_COMMIT,
	SIM_F_OUTAGE,
	SIM_F_HTTP500_AFTER_COMMIT,
	SIM_F_HTTP502_AFTER_COMMIT,
	SIM_F_HTTP503_AFTER_COMMIT,
	SIM_F_TIMEOUT_AFTER_COMMIT,
};

/* The infnos infno=writes matches: every call that changes the platform. */
#define SIM_FAULT_WRITES "2401/2301/2302/2402/2304/2305/2404/2405/2601"

struct sim_fault {
	int	 kind;
	char	 infno[64];		/* "*" any, or codes split by '/' */
	int64_t	 prob_ppm;		/* 1000000 = always */
	int64_t	 nth;			/* 0: every match */
	int64_t	 count;			/* 0: unlimited */
	int64_t	 ms;			/* latency */
	int64_t	 after;			/* outage: requests first */
	int64_t	 secs;			/* outage length */
	int64_t	 seen;			/* matching requests so far */
	int64_t	 fired;
	char	 spec[128];
};

struct sim_faults {
	pthread_mutex_t	 lock;
	struct sim_fault *v;
	size_t		 n;
	uint64_t	 rng;
	int64_t		 outage_until;	/* CLOCK_MONOTONIC ms; 0 none */
};

/* What to do with one request. */
struct sim_plan {
	int64_t	 latency_ms;
	int64_t	 hold_ms;		/* timeout-after-commit */
	int	 kind;			/* a terminal kind or SIM_F_NONE */
	char	 spec[128];		/* the fault that decided, for logs */
};

int	sim_fault_parse(const char *spec, struct sim_fault *f,
	    struct hg_err *err);
const char *sim_fault_kind_name(int kind);
void	sim_faults_init(struct sim_faults *fs, uint64_t seed);
void	sim_faults_add(struct sim_faults *fs, const struct sim_fault *f);
void	sim_faults_free(struct sim_faults *fs);
/* Decide for one request whose infno is known ("" when unreadable). */
void	sim_faults_plan(struct sim_faults *fs, const char *infno,
	    int64_t now_ms, struct sim_plan *plan);
/* Is an outage window open?  Checked per connection and per request. */
int	sim_faults_outage(struct sim_faults *fs, int64_t now_ms);

#endif
