#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "adapters/adapter.h"
#include "lib/xmalloc.h"

const char *const hg_writeback_encodings[] = { "GBK", "GB18030", "UTF-8",
	NULL };

void
hg_problem_add(struct hg_problem **probs, size_t *n, int line,
    const char *field, const char *fmt, ...)
{
	struct hg_problem *p;
	va_list ap;

	*probs = hg_xrealloc(*probs, *n + 1, sizeof **probs);
	p = &(*probs)[(*n)++];
	p->line = line;
	snprintf(p->field, sizeof p->field, "%s", field);
	va_start(ap, fmt);
	if (vasprintf(&p->msg, fmt, ap) < 0)
		p->msg = hg_xstrdup("(out of memory)");
	va_end(ap);
}

void
hg_problems_free(struct hg_problem *probs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(probs[i].msg);
	free(probs);
}

void
hg_verdicts_free(struct hg_verdict *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		hg_problems_free(v[i].problems, v[i].nproblems);
		v[i].problems = NULL;
		v[i].nproblems = 0;
	}
}

const char *
hg_verdict_name(enum hg_verdict_state s)
{
	switch (s) {
	case HG_V_READY: return "ready";
	case HG_V_INVALID: return "invalid";
	case HG_V_SAME: return "same";
	case HG_V_REPLACED: return "replaced";
	case HG_V_AMENDED: return "amended";
	}
	return "?";
}
