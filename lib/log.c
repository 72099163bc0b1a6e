#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"

static int log_syslog;
static int log_level = HG_LOG_INFO;
static const char *log_ident = "hisgate";

static const char *const level_names[] = {
	[HG_LOG_ERR] = "error",
	[HG_LOG_WARNING] = "warning",
	[HG_LOG_NOTICE] = "notice",
	[HG_LOG_INFO] = "info",
	[HG_LOG_DEBUG] = "debug",
};

void
hg_log_init(const char *ident, int to_syslog, int level)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_level = level;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
hg_log_set_level(int level)
{
	log_level = level;
}

int
hg_log_level_parse(const char *name)
{
	int i;

	for (i = HG_LOG_ERR; i <= HG_LOG_DEBUG; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "MMDD" as a first-generation (15-digit) ID number has it */
static int
old_id_date(const char *p)
{
	int mm = (p[0] - '0') * 10 + (p[1] - '0');
	int dd = (p[2] - '0') * 10 + (p[3] - '0');

	return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31;
}

void
hg_mask_ids(char *s)
{
	size_t i = 0, j, n;

	while (s[i] != '\0') {
		if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1]))) {
			i++;
			continue;
		}
		for (j = i; is_digit(s[j]); j++)
			;
		n = j - i;
		if (n >= 14 && n <= 18 && (s[j] == 'X' || s[j] == 'x'))
			n++, j++;
		/* Whole runs of 15 to 19: an ID number, also one damaged by a
		 * lost or extra digit; a 26-digit psn_no or a msgid stays.
		 * Fifteen digits with no month and day where a first-
		 * generation ID has them (001102000010000) are a national
		 * catalogue code. */
		if (n >= 15 && n <= 19 && !is_digit(s[j]) &&
		    !(n == 15 && !old_id_date(s + i + 8)))
			memset(s + i + 6, '*', n - 10);
		i = j;
	}
}

char *
hg_mask_certno(const char *certno, char *buf, size_t len)
{
	size_t n = strlen(certno), k;

	if (len == 0)
		return buf;
	if (n <= 6) {
		for (k = 0; k < n && k + 1 < len; k++)
			buf[k] = '*';
		buf[k] = '\0';
		return buf;
	}
	snprintf(buf, len, "%s", certno);
	for (k = 6; k + 4 < n && k + 1 < len; k++)
		buf[k] = '*';
	return buf;
}

char *
hg_mask_text(const char *msg, const char *name)
{
	struct hg_buf b = { NULL, 0, 0 };
	char masked[64];
	const char *at;
	size_t nl;

	if (msg == NULL)
		return NULL;
	nl = name != NULL ? strlen(name) : 0;
	if (nl > 0)
		hg_mask_name(name, masked, sizeof masked);
	hg_buf_grow(&b, strlen(msg));
	while (nl > 0 && (at = strstr(msg, name)) != NULL) {
		hg_buf_add(&b, msg, (size_t)(at - msg));
		hg_buf_adds(&b, masked);
		msg = at + nl;
	}
	hg_buf_adds(&b, msg);
	hg_mask_ids(b.data);
	return b.data;
}

char *
hg_mask_name(const char *name, char *buf, size_t len)
{
	size_t first = 1, n = 0, i;
	const unsigned char *p = (const unsigned char *)name;

	if (len == 0)
		return buf;
	if (p[0] == '\0') {
		buf[0] = '\0';
		return buf;
	}
	if (p[0] >= 0xF0)
		first = 4;
	else if (p[0] >= 0xE0)
		first = 3;
	else if (p[0] >= 0xC0)
		first = 2;
	for (i = 0; i < first && p[i] != '\0' && n + 1 < len; i++)
		buf[n++] = (char)p[i];
	/* one star per remaining character, at least one */
	for (p += i; *p != '\0'; p++)
		if ((*p & 0xC0) != 0x80 && n + 1 < len)
			buf[n++] = '*';
	if (n == i && n + 1 < len)
		buf[n++] = '*';
	buf[n] = '\0';
	return buf;
}

/* Bytes of the UTF-8 character p starts (its lead byte's count). */
static size_t
u8len(const unsigned char *p)
{
	if (*p < 0x80)
		return 1;
	if ((*p & 0xe0) == 0xc0)
		return 2;
	if ((*p & 0xf0) == 0xe0)
		return 3;
	return 4;
}

char *
hg_mask_name_ends(const char *name, char *buf, size_t len)
{
	size_t starts[64], n = 0, i = 0, total = strlen(name), out, k, last;

	while (i < total && n < sizeof starts / sizeof starts[0]) {
		starts[n++] = i;
		i += u8len((const unsigned char *)name + i);
	}
	/* too short to keep both ends, too long to count, or cut UTF-8 */
	if (n < 3 || i != total)
		return hg_mask_name(name, buf, len);
	k = starts[1];
	last = total - starts[n - 1];
	if (k + (n - 2) + last + 1 > len)
		return hg_mask_name(name, buf, len);
	memcpy(buf, name, k);
	out = k;
	/* a star for each character between the first and the last */
	for (i = 1; i + 1 < n; i++)
		buf[out++] = '*';
	memcpy(buf + out, name + starts[n - 1], last);
	buf[out + last] = '\0';
	return buf;
}

static void
vlog(int level, const char *comp, const char *fmt, va_list ap,
    const char *suffix)
{
	char line[2048], stamp[32];
	struct tm tm;
	time_t now;
	int n, m;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof line, "%s: ", comp);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (m > 0) {
		n += m;
		if ((size_t)n >= sizeof line)
			n = sizeof line - 1;
	}
	if (suffix != NULL)
		snprintf(line + n, sizeof line - (size_t)n, ": %s", suffix);
	hg_mask_ids(line);
	if (log_syslog) {
		syslog(level, "%s", line);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s %s[%d] %s: %s\n", stamp, log_ident, (int)getpid(),
	    level_names[level], line);
}

void
hg_log(int level, const char *comp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, comp, fmt, ap, NULL);
	va_end(ap);
}

void
hg_log_errno(int level, const char *comp, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(level, comp, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

int64_t
hg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
hg_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
hg_deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

#define COMPLAIN_FIRST_MS	10000
#define COMPLAIN_MAX_MS		(24 * 3600 * 1000)

void
hg_complain(struct hg_complain *c, int level, const char *comp,
    const char *fmt, ...)
{
	int64_t now = hg_now_ms();
	va_list ap;

	if (c->active && now < c->next_ms)
		return;
	if (!c->active)
		c->interval_ms = COMPLAIN_FIRST_MS;
	else if (c->interval_ms < COMPLAIN_MAX_MS)
		c->interval_ms *= 2;
	c->active = 1;
	c->next_ms = now + c->interval_ms;
	va_start(ap, fmt);
	vlog(level, comp, fmt, ap, NULL);
	va_end(ap);
}

void
hg_complain_release(struct hg_complain *c, const char *comp,
    const char *fmt, ...)
{
	va_list ap;

	if (!c->active)
		return;
	c->active = 0;
	va_start(ap, fmt);
	vlog(HG_LOG_NOTICE, comp, fmt, ap, NULL);
	va_end(ap);
}

void
hg_fmt_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}
