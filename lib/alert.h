/* What the alert hook remembers between checks (agent/alert.c): which
 * conditions hold (a bill long in doubt, the platform long unreachable,
 * a cost surge), since when, and when each was last alerted, so one
 * condition is alerted once and then at most every repeat interval, and
 * one that ends can be signalled as recovered.  Pure: times are passed
 * in; nothing here runs a command or reads the outbox. */
#ifndef HG_ALERT_H
#define HG_ALERT_H

#include <stddef.h>
#include <stdint.h>

struct hg_alert_cond {
	char	*key;		/* "rejected:12", "unreachable", "surge:D|R" */
	int64_t	 alerted_ms;	/* last alert, 0 never */
	int	 seen;		/* noted since the last sweep */
};

struct hg_alert_memo {
	struct hg_alert_cond *v;
	size_t	 n;
};

/* Condition key holds at now_ms.  Returns 1 when it is to be alerted
 * now (never alerted, or last alerted repeat_ms ago or more) and then
 * counts it as alerted at now_ms; 0 when it was alerted too recently. */
int	hg_alert_note(struct hg_alert_memo *m, const char *key, int64_t now_ms,
	    int64_t repeat_ms);
/* Forget every condition not noted since the last sweep: it no longer
 * holds.  gone(key, alerted, arg) is called for each before it goes
 * (alerted: 1 when it had been alerted); gone may be NULL. */
void	hg_alert_sweep(struct hg_alert_memo *m,
	    void (*gone)(const char *key, int alerted, void *arg), void *arg);
void	hg_alert_memo_free(struct hg_alert_memo *m);

/* A value for the hook's environment, in buf (always NUL-terminated):
 * line ends and control characters become spaces, ID-number-shaped runs
 * are masked (hg_mask_ids), and it is cut at a character boundary to
 * fit len.  Returns buf. */
char	*hg_alert_value(const char *s, char *buf, size_t len);

#endif
