/* The alert hook's memory of conditions (lib/alert.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alert.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

int
hg_alert_note(struct hg_alert_memo *m, const char *key, int64_t now_ms,
    int64_t repeat_ms)
{
	struct hg_alert_cond *c;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].key, key) == 0)
			break;
	if (i == m->n) {
		m->v = hg_xrealloc(m->v, m->n + 1, sizeof *m->v);
		c = &m->v[m->n++];
		c->key = hg_xstrdup(key);
		c->alerted_ms = 0;
	}
	c = &m->v[i];
	c->seen = 1;
	if (c->alerted_ms != 0 && now_ms - c->alerted_ms < repeat_ms)
		return 0;
	/* 0 means never: a clock at the epoch still counts as alerted */
	c->alerted_ms = now_ms != 0 ? now_ms : 1;
	return 1;
}

void
hg_alert_sweep(struct hg_alert_memo *m,
    void (*gone)(const char *key, int alerted, void *arg), void *arg)
{
	size_t i, o;

	for (i = 0, o = 0; i < m->n; i++) {
		if (m->v[i].seen) {
			m->v[i].seen = 0;
			m->v[o++] = m->v[i];
			continue;
		}
		if (gone != NULL)
			gone(m->v[i].key, m->v[i].alerted_ms != 0, arg);
		free(m->v[i].key);
	}
	m->n = o;
}

void
hg_alert_memo_free(struct hg_alert_memo *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].key);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

char *
hg_alert_value(const char *s, char *buf, size_t len)
{
	size_t n, i;

	if (len == 0)
		return buf;
	n = s != NULL ? strlen(s) : 0;
	if (n >= len) {
		n = len - 1;
		/* not in the middle of a UTF-8 sequence */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(buf, s, n);
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	hg_mask_ids(buf);
	return buf;
}
