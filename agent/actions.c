/* queue retry, shared by the command line and the web page (actions.h). */
#include "config.h"

#include <stdio.h>

#include "agent/actions.h"
#include "queue/steps.h"

int
hg_act_retry(struct hg_outbox *ob, long long id, const char *by,
    struct hg_err *err)
{
	char why[160];

	snprintf(why, sizeof why, "queue retry (by hand%s%s)", by != NULL ?
	    ", " : "", by != NULL ? by : "");
	return hg_steps_requeue(ob, id, why, err);
}
