/* Logging to stderr or syslog, with levels and a component prefix.
 * Every line passes through a scrubber that masks anything shaped like a
 * resident ID number; patient names must be passed through hg_mask_name()
 * by the caller, since no scrubber can recognise a name. */
#ifndef HG_LOG_H
#define HG_LOG_H

#include <stddef.h>
#include <stdint.h>

enum hg_loglevel {
	HG_LOG_ERR = 3,
	HG_LOG_WARNING = 4,
	HG_LOG_NOTICE = 5,
	HG_LOG_INFO = 6,
	HG_LOG_DEBUG = 7,
};

/* to_syslog: 0 stderr, 1 syslog (facility daemon). */
void	hg_log_init(const char *ident, int to_syslog, int level);
int	hg_log_level_parse(const char *name);	/* -1 when unknown */
void	hg_log_set_level(int level);
void	hg_log(int level, const char *comp, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As hg_log, with ": strerror(errno)" appended. */
void	hg_log_errno(int level, const char *comp, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_error(comp, ...)	hg_log(HG_LOG_ERR, comp, __VA_ARGS__)
#define log_warn(comp, ...)	hg_log(HG_LOG_WARNING, comp, __VA_ARGS__)
#define log_notice(comp, ...)	hg_log(HG_LOG_NOTICE, comp, __VA_ARGS__)
#define log_info(comp, ...)	hg_log(HG_LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...)	hg_log(HG_LOG_DEBUG, comp, __VA_ARGS__)

/* Mask ID-number-shaped runs (15 to 19 characters, digits and perhaps a final X: real
 * 15- and 18-character numbers and ones damaged by a lost or extra digit)
 * in place: the first 6 and last 4 characters stay. */
void	hg_mask_ids(char *line);
/* "王芳" -> "王*", "欧阳娜娜" -> "欧***": keeps the first UTF-8 character.
 * Writes into buf (always NUL-terminated) and returns it. */
char	*hg_mask_name(const char *name, char *buf, size_t len);
/* "王小芳" -> "王*芳", "欧阳娜娜" -> "欧**娜"; names of one or two
 * characters (and text that is not UTF-8) as hg_mask_name: "王芳" -> "王*".
 * What a person reads on a screen or a printed slip (the web pages, `hisgate
 * slip`); logs and tickets get hg_mask_name.  Writes into buf (always
 * NUL-terminated) and returns it. */
char	*hg_mask_name_ends(const char *name, char *buf, size_t len);
/* "11010519491231002X" -> "110105********002X". */
char	*hg_mask_certno(const char *certno, char *buf, size_t len);
/* A copy of a free text (a platform's message, a problem list) for
 * output people paste into tickets: ID numbers masked as by hg_mask_ids,
 * and every occurrence of `name` (the patient's, or NULL) as by
 * hg_mask_name: "证件号码[320102********1238]", "人员姓名[王*]".
 * Allocated; NULL when msg is NULL. */
char	*hg_mask_text(const char *msg, const char *name);

/* Rate-limited complaints (collectd's c_complain): the first failure is
 * logged, repeats only at doubling intervals up to a day, and recovery once.
 * Times are in milliseconds of CLOCK_MONOTONIC. */
struct hg_complain {
	int64_t	next_ms;
	int64_t	interval_ms;
	int	active;
};

void	hg_complain(struct hg_complain *c, int level, const char *comp,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	hg_complain_release(struct hg_complain *c, const char *comp,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int64_t	hg_now_ms(void);	/* CLOCK_MONOTONIC */
int64_t	hg_wall_ms(void);	/* CLOCK_REALTIME */
/* ts = CLOCK_REALTIME now + ms: a deadline for pthread_cond_timedwait */
struct timespec;
void	hg_deadline(struct timespec *ts, int64_t ms);
/* ms since the epoch as local "YYYY-MM-DD HH:MM:SS" into buf. */
void	hg_fmt_time(int64_t ms, char *buf, size_t len);

#endif
