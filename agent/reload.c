#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/pidfile.h"
#include "agent/reload.h"
#include "lib/buf.h"
#include "lib/xmalloc.h"

static const char *const states[] = { "reloaded", "kept", "off" };

char *
hg_reload_path(const char *outbox)
{
	return hg_xasprintf("%s.reload", outbox);
}

int64_t
hg_reload_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *
hg_reload_state_name(int state)
{
	return state >= 0 && state < (int)(sizeof states / sizeof states[0]) ?
	    states[state] : "?";
}

void
hg_reload_add(struct hg_reload_outcome *o, const char *name, int state,
    const char *fmt, ...)
{
	struct hg_reload_part *p;
	va_list ap;
	char *c;

	if (o->nparts == HG_RELOAD_MAXPARTS)
		return;
	p = &o->part[o->nparts++];
	snprintf(p->name, sizeof p->name, "%s", name);
	p->state = state;
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof p->text, fmt, ap);
	va_end(ap);
	/* one part a line: a message quoting a file's line stays on it */
	for (c = p->text; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

int
hg_reload_write(const char *path, const struct hg_reload_outcome *o,
    struct hg_err *err)
{
	struct hg_buf b = { NULL, 0, 0 };
	char line[64 + HG_ERRLEN];
	size_t i;
	int rc;

	snprintf(line, sizeof line, "pid=%ld\nstarted_ms=%" PRId64
	    "\nbegun_ns=%" PRId64 "\n", o->pid, o->started_ms, o->begun_ns);
	hg_buf_adds(&b, line);
	for (i = 0; i < o->nparts; i++) {
		snprintf(line, sizeof line, "part=%s %s %s\n", o->part[i].name,
		    hg_reload_state_name(o->part[i].state), o->part[i].text);
		hg_buf_adds(&b, line);
	}
	/* an answer for a command waiting now, not data to survive a
	 * crash: no fsync */
	rc = hg_kv_replace(path, &b, "reload outcome", err);
	hg_buf_free(&b);
	return rc;
}

/* "NAME STATE TEXT" into a part; 0, or -1 when it is not that shape. */
static int
parse_part(char *v, struct hg_reload_part *p)
{
	char *state, *text;
	size_t i;

	if ((state = strchr(v, ' ')) == NULL)
		return -1;
	*state++ = '\0';
	if ((text = strchr(state, ' ')) == NULL)
		return -1;
	*text++ = '\0';
	snprintf(p->name, sizeof p->name, "%s", v);
	snprintf(p->text, sizeof p->text, "%s", text);
	for (i = 0; i < sizeof states / sizeof states[0]; i++)
		if (strcmp(state, states[i]) == 0) {
			p->state = (int)i;
			return 0;
		}
	return -1;
}

static void
outcome_kv(const char *key, char *val, void *arg)
{
	struct hg_reload_outcome *o = arg;

	if (strcmp(key, "pid") == 0)
		o->pid = strtol(val, NULL, 10);
	else if (strcmp(key, "started_ms") == 0)
		o->started_ms = strtoll(val, NULL, 10);
	else if (strcmp(key, "begun_ns") == 0)
		o->begun_ns = strtoll(val, NULL, 10);
	else if (strcmp(key, "part") == 0 && o->nparts < HG_RELOAD_MAXPARTS &&
	    parse_part(val, &o->part[o->nparts]) == 0)
		o->nparts++;
}

int
hg_reload_read(const char *path, struct hg_reload_outcome *o)
{
	FILE *fp;

	memset(o, 0, sizeof *o);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	hg_kv_each(fp, outcome_kv, o);
	fclose(fp);
	return o->pid > 0 ? 0 : -1;
}
