/* What IT staff do to one bill by hand, from the command line (queue
 * retry) and from the web page alike: one code path, the person named in
 * the bill's history.  Replay is hg_intake_replay (agent/intake.h). */
#ifndef HG_ACTIONS_H
#define HG_ACTIONS_H

#include "lib/err.h"
#include "queue/outbox.h"

/* Put a rejected, cancelled or needs_person bill back to ready for the
 * settlement workers (hg_steps_requeue says why not otherwise).  by:
 * who asked ("web user it"), NULL from the command line. */
int	hg_act_retry(struct hg_outbox *ob, long long id, const char *by,
	    struct hg_err *err);

#endif
