/* The odbc adapter's watermarks: a time column (seconds of a UTC
 * calendar time: they carry no zone, only order and differences matter)
 * or an increasing id. */
#ifndef HG_ODBC_WM_H
#define HG_ODBC_WM_H

#include <stddef.h>
#include <stdint.h>

struct hg_odbc_wm {
	int	 set;
	int64_t	 v;		/* seconds (time) or the id */
};

int64_t	hg_odbc_civil_secs(int y, int mo, int d, int h, int mi, int se);
/* "yyyy-MM-dd[ HH:mm:ss[.fff]]" or an integer into *out; -1 when it is
 * neither. */
int	hg_odbc_wm_parse(int is_time, const char *s, struct hg_odbc_wm *out);
/* v as the query's literal text, in buf. */
char	*hg_odbc_wm_text(int is_time, int64_t v, char *buf, size_t len);

#endif
