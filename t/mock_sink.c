#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bill.h"
#include "lib/xmalloc.h"
#include "t/mock_sink.h"

struct mock_rule {
	char	*key;
	enum hg_verdict_state state;
	int	 line;
	char	*field;
	char	*msg;
};

static long
find(const struct hg_mock_sink *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return (long)i;
	return -1;
}

const char *
hg_mock_sink_get(const struct hg_mock_sink *m, const char *key)
{
	long i = find(m, key);

	return i >= 0 ? m->json[i] : NULL;
}

static int
mock_commit(struct hg_sink *sink, struct hg_bill *const *bills, size_t n,
    const char *cursor, struct hg_verdict *v, struct hg_err *err)
{
	struct hg_mock_sink *m = (struct hg_mock_sink *)sink;
	size_t i, j;
	long k;
	char *json;

	memset(v, 0, n * sizeof *v);
	if (!sink->dry && m->fail_skip > 0)
		m->fail_skip--;
	else if (!sink->dry && m->fail_next > 0) {
		m->fail_next--;
		m->nfailed++;
		return hg_failt(err, "outbox: database or disk is full");
	}
	for (i = 0; i < n; i++) {
		const char *key = bills[i]->source_key ?
		    bills[i]->source_key : "";

		/* as the outbox: judge the bill as the source gave it */
		json = hg_bill_to_json(bills[i]);
		if (m->check != NULL)
			m->check(bills[i], &v[i].problems, &v[i].nproblems,
			    m->check_arg);
		/* as the outbox: what the adapter could not read keeps
		 * the bill invalid */
		v[i].state = v[i].nproblems || bills[i]->problems != NULL ?
		    HG_V_INVALID : HG_V_READY;
		for (j = 0; j < m->nrules; j++) {
			if (strcmp(m->rules[j].key, key) != 0)
				continue;
			v[i].state = m->rules[j].state;
			if (m->rules[j].msg != NULL)
				hg_problem_add(&v[i].problems, &v[i].nproblems,
				    m->rules[j].line, m->rules[j].field, "%s",
				    m->rules[j].msg);
		}
		if (sink->dry) {
			m->dry_json = hg_xrealloc(m->dry_json, m->ndry + 1,
			    sizeof *m->dry_json);
			m->dry_json[m->ndry++] = json;
			continue;
		}
		m->nbills_handed++;
		if (m->discard) {
			free(json);
			continue;
		}
		k = find(m, key);
		if (k >= 0 && strcmp(m->json[k], json) == 0) {
			m->nsame++;
			v[i].state = HG_V_SAME;
			free(json);
		} else if (k >= 0) {
			free(m->json[k]);
			m->json[k] = json;
			if (v[i].state == HG_V_READY)
				v[i].state = HG_V_REPLACED;
		} else {
			m->keys = hg_xrealloc(m->keys, m->n + 1,
			    sizeof *m->keys);
			m->json = hg_xrealloc(m->json, m->n + 1,
			    sizeof *m->json);
			m->keys[m->n] = hg_xstrdup(key);
			m->json[m->n++] = json;
		}
		v[i].bill_id = (long long)find(m, key) + 1;
	}
	if (!sink->dry) {
		m->ncommits++;
		free(m->last_cursor);
		m->last_cursor = cursor ? hg_xstrdup(cursor) : NULL;
	}
	return 0;
}

static char *
mock_cursor(struct hg_sink *sink)
{
	struct hg_mock_sink *m = (struct hg_mock_sink *)sink;

	return m->last_cursor ? hg_xstrdup(m->last_cursor) : NULL;
}

struct hg_mock_sink *
hg_mock_sink_new(void)
{
	struct hg_mock_sink *m = hg_xcalloc(1, sizeof *m);

	m->sink.commit = mock_commit;
	m->sink.cursor = mock_cursor;
	m->sink.ctx = m;
	return m;
}

void
hg_mock_sink_fail(struct hg_mock_sink *m, int n)
{
	m->fail_skip = 0;
	m->fail_next = n;
}

void
hg_mock_sink_fail_after(struct hg_mock_sink *m, int after, int n)
{
	m->fail_skip = after;
	m->fail_next = n;
}

void
hg_mock_sink_verdict(struct hg_mock_sink *m, const char *key,
    enum hg_verdict_state state, int line, const char *field,
    const char *msg)
{
	struct mock_rule *r;

	m->rules = hg_xrealloc(m->rules, m->nrules + 1, sizeof *m->rules);
	r = &m->rules[m->nrules++];
	r->key = hg_xstrdup(key);
	r->state = state;
	r->line = line;
	r->field = hg_xstrdup(field ? field : "");
	r->msg = msg ? hg_xstrdup(msg) : NULL;
}

void
hg_mock_sink_free(struct hg_mock_sink *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->json[i]);
	}
	free(m->keys);
	free(m->json);
	for (i = 0; i < m->ndry; i++)
		free(m->dry_json[i]);
	free(m->dry_json);
	for (i = 0; i < m->nrules; i++) {
		free(m->rules[i].key);
		free(m->rules[i].field);
		free(m->rules[i].msg);
	}
	free(m->rules);
	free(m->last_cursor);
	free(m);
}
