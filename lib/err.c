#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

static int
vfail(struct hg_err *err, int kind, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->kind = kind;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	return -1;
}

int
hg_fail(struct hg_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, HG_EPERM, fmt, ap);
	va_end(ap);
	return -1;
}

int
hg_failt(struct hg_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, HG_ETEMP, fmt, ap);
	va_end(ap);
	return -1;
}

void
hg_err_clear(struct hg_err *err)
{
	if (err == NULL)
		return;
	err->kind = HG_OK;
	err->msg[0] = '\0';
}

void
hg_err_prefix(struct hg_err *err, const char *fmt, ...)
{
	char prefix[256], old[HG_ERRLEN];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

const char *
hg_err_unprefixed(const char *msg, const char *field)
{
	size_t n = strlen(field);

	if (strncmp(msg, field, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}
