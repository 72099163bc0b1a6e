/* Date and time formats of an export, as a list of patterns such as
 * "yyyy-MM-dd HH:mm:ss", "yyyyMMddHHmmss" or "yyyy/M/d H:mm" (the
 * date_formats key of the table adapters).  yyyy is four digits; MM, dd,
 * HH, mm, ss exactly two; M, d, H, m, s one or two; S to SSSSSS that
 * many digits of a fraction of a second (S alone: one to nine), which is
 * cut; anything else (-, /, ., :, space, T, 年, 月, 日 ...) stands for
 * itself.  A time without seconds or without a time of day gets zeros. */
#ifndef HG_DATEFMT_H
#define HG_DATEFMT_H

#include <stddef.h>

#include "lib/conftab.h"
#include "lib/text.h"

/* What Chinese HIS exports write: ISO with a space or T, with the
 * fraction of a second SQL Server (.000), Oracle TIMESTAMP and .NET
 * (.123456, .1234567) add, the slashes Excel and .NET on Chinese Windows
 * write (year first), dots, the compact forms of Oracle and SQL Server
 * jobs, and 年月日. */
#define HG_DATEFMT_DEFAULT "yyyy-M-d H:mm:ss,yyyy-M-d H:mm:ss.S," \
	"yyyy-M-d H:mm,yyyy-M-d,yyyy-M-dTH:mm:ss,yyyy-M-dTH:mm:ss.S," \
	"yyyy/M/d H:mm:ss,yyyy/M/d H:mm:ss.S,yyyy/M/d H:mm,yyyy/M/d," \
	"yyyy.M.d H:mm:ss,yyyy.M.d H:mm,yyyy.M.d," \
	"yyyyMMddHHmmss,yyyyMMdd,yyyy年M月d日 H:mm:ss,yyyy年M月d日"

struct hg_datefmt;

/* Compile the list; problems go to errs as FILE:LINE: message, and the
 * return value counts them.  *out is set either way. */
int	hg_datefmt_new(const struct hg_strlist *l, const char *file, int line,
	    struct hg_conf_errs *errs, struct hg_datefmt **out);
void	hg_datefmt_free(struct hg_datefmt *d);
/* Parse text by the first format it fits into "yyyy-MM-dd HH:mm:ss".
 * Returns 0, or -1 with why (without the field name): the time is not
 * real, or it fits no format (the formats are listed). */
int	hg_datefmt_parse(const struct hg_datefmt *d, const char *text,
	    char out[HG_TIMELEN], char *why, size_t len);

#endif
