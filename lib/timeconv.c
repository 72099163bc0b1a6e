/* Canonical time text ("yyyy-MM-dd HH:mm:ss", lib/text.h) to and from
 * seconds, for comparing times of one hospital (validation, the audit). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/text.h"
#include "lib/timeconv.h"

static int civil(const char *t, int64_t *out);
static int time_fast(const char *t, int64_t *out);

/* Canonical time text to seconds since 1970-01-01 (no time zone: both
 * sides of every comparison are the hospital's local time).  Returns -1
 * when t is not canonical. */
int
hg_time_secs(const char *t, int64_t *out)
{
	char canon[HG_TIMELEN];

	if (hg_time_parse("", t, canon, NULL) < 0 || strcmp(canon, t) != 0)
		return -1;
	return civil(t, out);
}

/* The shape of canonical text with plausible fields; the date's reality
 * is not checked (hg_time_secs does that). */
static int
time_fast(const char *t, int64_t *out)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	int i;

	for (i = 0; i < 19; i++)
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') :
		    t[i] != shape[i])
			return -1;
	if (t[19] != '\0' || t[5] > '1' || t[8] > '3')
		return -1;
	return civil(t, out);
}

/* Seconds of canonical text whose digits are where they must be. */
static int
civil(const char *t, int64_t *out)
{
	int y, mo, d, h, mi, s;
	int64_t era, yoe, doy, doe, days;

#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
	y = D2(t) * 100 + D2(t + 2);
	mo = D2(t + 5);
	d = D2(t + 8);
	h = D2(t + 11);
	mi = D2(t + 14);
	s = D2(t + 17);
#undef D2
	/* days from civil (Howard Hinnant's algorithm) */
	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	*out = days * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

void
hg_secs_time(int64_t t, char out[HG_TIMELEN])
{
	int64_t days = t / 86400, sod = t % 86400, era, doe, yoe, doy, mp;
	int64_t y, m, d;

	if (sod < 0) {
		sod += 86400;
		days--;
	}
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(out, HG_TIMELEN, "%04d-%02d-%02d %02d:%02d:%02d",
	    (int)(y % 10000), (int)m, (int)d, (int)(sod / 3600),
	    (int)(sod / 60 % 60), (int)(sod % 60));
}

int64_t
hg_time_day(const char *t)
{
	int64_t s;

	return hg_time_day_secs(t, &s);
}

int64_t
hg_time_day_secs(const char *t, int64_t *secs)
{
	int64_t s;

	/* fee times are canonical already (validated at intake): the
	 * audit asks for thousands of them, skip the parser's checks */
	if (time_fast(t, &s) < 0 && hg_time_secs(t, &s) < 0) {
		*secs = -1;
		return -1;
	}
	*secs = s;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

void
hg_day_text(int64_t day, char out[11])
{
	char t[HG_TIMELEN];

	hg_secs_time(day * 86400, t);
	memcpy(out, t, 10);
	out[10] = '\0';
}
