/* An in-memory sink for adapter tests (collectd's plugin_mock.c): records
 * every committed bill as JSON, treats a bill it already holds unchanged
 * as a no-op (HG_V_SAME) as the outbox does, and can be told to refuse the
 * next N commits with HG_ETEMP (disk full) or to give a chosen verdict to
 * the bill with a given source key. */
#ifndef HG_MOCK_SINK_H
#define HG_MOCK_SINK_H

#include <stddef.h>

#include "adapters/adapter.h"

struct hg_mock_sink {
	struct hg_sink sink;	/* first: adapters see this */
	/* bills held, by source key (the outbox after all commits) */
	char	**keys;
	char	**json;
	size_t	 n;
	/* every commit call that succeeded, in order */
	size_t	 ncommits;
	size_t	 nbills_handed;	/* bills in successful commits */
	size_t	 nsame;		/* of which already held unchanged */
	char	*last_cursor;
	/* dry: bills seen (JSON), nothing held */
	char	**dry_json;
	size_t	 ndry;
	int	 fail_skip;	/* let this many commits through, then */
	int	 fail_next;	/* refuse this many with HG_ETEMP */
	size_t	 nfailed;
	int	 discard;	/* count bills only, hold nothing */
	/* verdict rules */
	struct mock_rule *rules;
	size_t	 nrules;
	/* an optional check run on every bill (e.g. the agent's own
	 * validation); problems it adds make the bill INVALID */
	void	(*check)(struct hg_bill *b, struct hg_problem **probs,
		    size_t *nprobs, void *arg);
	void	*check_arg;
};

struct hg_mock_sink *hg_mock_sink_new(void);
void	hg_mock_sink_free(struct hg_mock_sink *m);
/* Refuse the next n commits with HG_ETEMP (disk full). */
void	hg_mock_sink_fail(struct hg_mock_sink *m, int n);
/* Let `after` commits through, then refuse n. */
void	hg_mock_sink_fail_after(struct hg_mock_sink *m, int after, int n);
/* Bills with this source key get state, plus one problem (line, field,
 * msg) when msg is not NULL. */
void	hg_mock_sink_verdict(struct hg_mock_sink *m, const char *source_key,
	    enum hg_verdict_state state, int line, const char *field,
	    const char *msg);
/* The JSON held for a source key, or NULL. */
const char *hg_mock_sink_get(const struct hg_mock_sink *m, const char *key);

#endif
