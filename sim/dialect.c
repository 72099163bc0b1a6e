/* Dialect files: the wording of the refusals and the repeat behaviour
 * (sim/dialect.h).  The file is INI-like:
 *
 *   [behaviour]
 *   repeat_2401 = refuse | admit
 *   repeat_2402 = refuse | accept
 *   [texts]
 *   KEY = printf text with the default's conversions, in order
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "sim/dialect.h"

const struct sim_dialect *sim_dialect;

/* The conversions of a format, e.g. "s s zu" for "[%s]..%s..%zu"; %%
 * is no conversion.  Two texts are interchangeable when these match. */
static void
conversions(const char *fmt, char *out, size_t size)
{
	const char *p;
	size_t n = 0, k;

	out[0] = '\0';
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		k = strspn(p + 1, "0123456789.-+ #*lhzjt");
		if (p[1 + k] == '\0') {
			/* a % with no conversion: matches no text */
			snprintf(out + n, size - n, "%s?", n > 0 ? " " : "");
			return;
		}
		if (n + k + 3 < size) {
			if (n > 0)
				out[n++] = ' ';
			memcpy(out + n, p + 1, k + 1);
			n += k + 1;
			out[n] = '\0';
		}
		p += k + 1;
	}
}

static long
text_index(const char *key)
{
	size_t i;

	for (i = 0; i < sim_ntexts; i++)
		if (strcmp(sim_texts[i].key, key) == 0)
			return (long)i;
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int
behaviour(const char *path, int line, const char *key, const char *v,
    struct sim_dialect *d, struct hg_err *err)
{
	if (strcmp(key, "repeat_2401") == 0) {
		if (strcmp(v, "refuse") == 0)
			d->repeat_2401 = SIM_2401_REFUSE;
		else if (strcmp(v, "admit") == 0)
			d->repeat_2401 = SIM_2401_ADMIT;
		else
			return hg_fail(err, "%s:%d: repeat_2401 = \"%s\": "
			    "expected refuse or admit", path, line, v);
		return 0;
	}
	if (strcmp(key, "repeat_2402") == 0) {
		if (strcmp(v, "refuse") == 0)
			d->repeat_2402 = SIM_2402_REFUSE;
		else if (strcmp(v, "accept") == 0)
			d->repeat_2402 = SIM_2402_ACCEPT;
		else
			return hg_fail(err, "%s:%d: repeat_2402 = \"%s\": "
			    "expected refuse or accept", path, line, v);
		return 0;
	}
	if (strcmp(key, "name") == 0) {
		snprintf(d->name, sizeof d->name, "%s", v);
		return 0;
	}
	return hg_fail(err, "%s:%d: unknown key \"%s\" in [behaviour] "
	    "(name, repeat_2401, repeat_2402)", path, line, key);
}

static int
text(const char *path, int line, const char *key, const char *v,
    struct sim_dialect *d, struct hg_err *err)
{
	char want[128], got[128];
	long i = text_index(key);

	if (i < 0)
		return hg_fail(err, "%s:%d: unknown text key \"%s\" "
		    "(hisgate-platform-sim --texts lists them)", path, line,
		    key);
	if (v[0] == '\0')
		return hg_fail(err, "%s:%d: %s: empty text", path, line, key);
	conversions(sim_texts[i].text, want, sizeof want);
	conversions(v, got, sizeof got);
	if (strcmp(want, got) != 0)
		return hg_fail(err, "%s:%d: %s: conversions \"%s\", expected "
		    "\"%s\" in that order, as in the default \"%s\"", path,
		    line, key, got, want, sim_texts[i].text);
	free(d->text[i]);
	d->text[i] = hg_xstrdup(v);
	return 0;
}

int
sim_dialect_load(const char *path, struct sim_dialect *d, struct hg_err *err)
{
	FILE *f;
	char buf[2048], *s, *eq, *key;
	int line = 0, section = 0, rc = 0;	/* 1 behaviour, 2 texts */

	memset(d, 0, sizeof *d);
	d->text = hg_xcalloc(sim_ntexts, sizeof *d->text);
	snprintf(d->name, sizeof d->name, "%s", path);
	if ((f = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: cannot open: %m", path);
	while (rc == 0 && fgets(buf, sizeof buf, f) != NULL) {
		line++;
		s = buf;
		/* a UTF-8 BOM on the first line */
		if (line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3;
		if (strchr(s, '\n') == NULL && !feof(f)) {
			rc = hg_fail(err, "%s:%d: line longer than %zu bytes",
			    path, line, sizeof buf - 2);
			break;
		}
		s = trim(s);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (strcmp(s, "[behaviour]") == 0) {
			section = 1;
			continue;
		}
		if (strcmp(s, "[texts]") == 0) {
			section = 2;
			continue;
		}
		if (*s == '[') {
			rc = hg_fail(err, "%s:%d: unknown section %s "
			    "([behaviour] or [texts])", path, line, s);
			break;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			rc = hg_fail(err, "%s:%d: expected KEY = VALUE", path,
			    line);
			break;
		}
		*eq = '\0';
		key = trim(s);
		if (section == 0)
			rc = hg_fail(err, "%s:%d: %s outside a section "
			    "([behaviour] or [texts])", path, line, key);
		else if (section == 1)
			rc = behaviour(path, line, key, trim(eq + 1), d, err);
		else
			rc = text(path, line, key, trim(eq + 1), d, err);
	}
	fclose(f);
	if (rc == -1)
		sim_dialect_free(d);
	return rc;
}

void
sim_dialect_free(struct sim_dialect *d)
{
	size_t i;

	if (d->text == NULL)
		return;
	for (i = 0; i < sim_ntexts; i++)
		free(d->text[i]);
	free(d->text);
	d->text = NULL;
}

static const char *
lookup(const char *key)
{
	long i;

	if (sim_dialect == NULL || (i = text_index(key)) < 0)
		return NULL;
	return sim_dialect->text[i];
}

int
sim_fail(struct hg_err *err, const char *key, const char *fmt, ...)
{
	const char *t = lookup(key);
	char want[128], got[128];
	va_list ap;

	if (err == NULL)
		return -1;
	/* the loader checked the text against the table; a call site whose
	 * default drifted from it keeps its own wording, safely */
	if (t != NULL) {
		conversions(fmt, want, sizeof want);
		conversions(t, got, sizeof got);
		if (strcmp(want, got) != 0)
			t = NULL;
	}
	err->kind = HG_EPERM;
	va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(err->msg, sizeof err->msg, t != NULL ? t : fmt, ap);
#pragma GCC diagnostic pop
	va_end(ap);
	return -1;
}

int
sim_refuse(struct hg_err *err, const char *key, const char *text)
{
	if (err == NULL)
		return -1;
	err->kind = HG_EPERM;
	snprintf(err->msg, sizeof err->msg, "%s", sim_text(key, text));
	return -1;
}

const char *
sim_text(const char *key, const char *def)
{
	const char *t = lookup(key);

	return t != NULL && strchr(t, '%') == NULL ? t : def;
}

int
sim_repeat_2401(void)
{
	return sim_dialect != NULL ? sim_dialect->repeat_2401 :
	    SIM_2401_REFUSE;
}

int
sim_repeat_2402(void)
{
	return sim_dialect != NULL ? sim_dialect->repeat_2402 :
	    SIM_2402_REFUSE;
}

void
sim_texts_print(void)
{
	size_t i;

	for (i = 0; i < sim_ntexts; i++)
		printf("%s = %s\n", sim_texts[i].key, sim_texts[i].text);
}
