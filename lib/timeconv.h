/* Canonical time text to seconds since 1970-01-01 and back.  No time
 * zone: both sides of every comparison are the hospital's local time. */
#ifndef HG_TIMECONV_H
#define HG_TIMECONV_H

#include <stdint.h>

#include "lib/text.h"

/* Returns -1 when t is not canonical "yyyy-MM-dd HH:mm:ss". */
int	hg_time_secs(const char *t, int64_t *out);
void	hg_secs_time(int64_t t, char out[HG_TIMELEN]);
/* Day number (days since 1970-01-01) of a canonical time, or -1. */
int64_t	hg_time_day(const char *t);
/* The same, and its seconds in *secs (-1 when not canonical). */
int64_t	hg_time_day_secs(const char *t, int64_t *secs);
/* The date "yyyy-MM-dd" of a day number. */
void	hg_day_text(int64_t day, char out[11]);

#endif
