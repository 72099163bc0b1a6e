/* Intake: the sink adapters hand bills to.  It fills what the agent knows
 * (institution), hashes the bill as the source gave it, maps local codes,
 * validates, and commits the bills with the adapter's cursor in one outbox
 * transaction. */
#ifndef HG_INTAKE_H
#define HG_INTAKE_H

#include <pthread.h>

#include "adapters/adapter.h"
#include "agent/conf.h"
#include "agent/mapping.h"
#include "agent/validate.h"
#include "queue/outbox.h"

/* Shared by every adapter thread; the mapping table is swapped on reload
 * under the lock, and readers hold the read side for one commit. */
struct hg_intake {
	const struct hg_config *cfg;
	pthread_rwlock_t lock;
	struct hg_mapping *map;
	struct hg_validate_opts vopts;
	/* called after each commit that put bills (the settler's kick);
	 * set before any sink exists */
	void	(*committed)(void *arg);
	void	*committed_arg;
};

int	hg_intake_init(struct hg_intake *in, const struct hg_config *cfg,
	    struct hg_err *err);
/* Reload the mapping file; on failure the old table stays. */
int	hg_intake_reload(struct hg_intake *in, struct hg_err *err);
void	hg_intake_destroy(struct hg_intake *in);

/* A sink for one adapter instance.  ob may be NULL when dry. */
struct hg_sink *hg_intake_sink_new(struct hg_intake *in, const char *adapter,
	    struct hg_outbox *ob, int dry);
void	hg_intake_sink_free(struct hg_sink *sink);

/* Map and validate a bill in place; problems appended.  Returns the
 * number of problems. */
size_t	hg_intake_check(struct hg_intake *in, struct hg_bill *bill,
	    struct hg_problem **probs, size_t *nprobs);
/* Problems as stored in the outbox: "line N: field: message" lines,
 * the field named as the bill's source names it, when it does:
 * "line 3: 身份证号 (certno): ...". */
char	*hg_problems_text(const struct hg_bill *bill,
	    const struct hg_problem *probs, size_t n);

/* Replay: re-map and re-validate every invalid bill (or only `id` when
 * id > 0).  Bills that now pass become ready.  *fixed and *still count
 * them.  by (NULL: the command line) names who asked in each bill's
 * history: "replay: now valid (web user it)". */
int	hg_intake_replay(struct hg_intake *in, struct hg_outbox *ob,
	    long long id, const char *by, int *fixed, int *still,
	    struct hg_err *err);
/* Replay the invalid bills one local code keeps waiting (未对码: code),
 * as hg_intake_replay does each. */
int	hg_intake_replay_code(struct hg_intake *in, struct hg_outbox *ob,
	    const char *code, const char *by, int *fixed, int *still,
	    struct hg_err *err);

#endif
