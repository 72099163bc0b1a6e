/* Errors: functions return 0 or -1 and explain a failure in a caller's
 * struct hg_err.  The kind tells the caller what to do next: ETEMP means
 * try again later (disk full, platform down), EPERM means the input itself
 * is wrong and retrying will not help. */
#ifndef HG_ERR_H
#define HG_ERR_H

#include <stddef.h>

enum hg_errkind {
	HG_OK = 0,
	HG_ETEMP = 1,
	HG_EPERM = 2,
};

#define HG_ERRLEN 1024

struct hg_err {
	int	kind;
	char	msg[HG_ERRLEN];
};

/* err may be NULL: the message is then discarded.  Always returns -1 so a
 * failure reads `return hg_fail(err, ...)`. */
int	hg_fail(struct hg_err *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	hg_failt(struct hg_err *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	hg_err_clear(struct hg_err *err);
/* Prefix an existing message: "context: old message". */
void	hg_err_prefix(struct hg_err *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* msg without a leading "field: " (the messages of hg_time_parse and
 * hg_dec_parse start with the field, which a problem names already). */
const char *hg_err_unprefixed(const char *msg, const char *field);

#endif
