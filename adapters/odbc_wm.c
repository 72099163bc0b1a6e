/* The odbc adapter's watermarks (odbc_wm.h): parsed from what the
 * driver returns, and written back as the text the query compares with. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/odbc_wm.h"
#include "lib/text.h"

/* Seconds of a UTC calendar time (watermarks carry no time zone: only
 * their order and differences matter). */
int64_t
hg_odbc_civil_secs(int y, int mo, int d, int h, int mi, int se)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm);
}

/* "yyyy-MM-dd[ HH:mm:ss[.fff]]" (drivers add fractions) or an integer.
 * Fractions are dropped: the lower bound only gets earlier. */
int
hg_odbc_wm_parse(int is_time, const char *s, struct hg_odbc_wm *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	char *end;
	long long v;

	out->set = 0;
	while (*s == ' ')
		s++;
	if (!is_time) {
		v = strtoll(s, &end, 10);
		if (end == s)
			return -1;
		if (*end == '.')	/* NUMERIC ids come as "12.0" */
			for (end++; *end == '0'; end++)
				;
		while (*end == ' ')
			end++;
		if (*end != '\0')
			return -1;
		out->v = v;
		out->set = 1;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == ' ' || *s == 'T') {
		if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3)
			return -1;
		s += 1 + n;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
	}
	while (*s == ' ')
		s++;
	if (*s != '\0' || !hg_date_valid(y, mo, d) || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	out->v = hg_odbc_civil_secs(y, mo, d, h, mi, se);
	out->set = 1;
	return 0;
}

char *
hg_odbc_wm_text(int is_time, int64_t v, char *buf, size_t len)
{
	time_t t = (time_t)v;
	struct tm tm;

	if (!is_time || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "%lld", (long long)v);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}
