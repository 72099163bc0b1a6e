/* The outcome of the daemon's last reload (SIGHUP), for `hisgate reload`:
 * OUTBOX.reload beside the pid file (agent/pidfile.h), replaced whole
 * (written aside, then renamed) after every reload and removed when the
 * daemon stops.  A signal carries no answer: the command sends SIGHUP to
 * the pid file's holder and waits for a record of that daemon (its pid
 * and start time) whose reload began after the signal was sent.
 *
 * Contents, one key=value a line: pid, started_ms (the daemon's, as in
 * its pid file), begun_ns (CLOCK_MONOTONIC, system-wide), then one
 * part=NAME STATE TEXT a thing reloaded, STATE reloaded, kept (TEXT says
 * why, naming the file and line) or off (nothing to read). */
#ifndef HG_RELOAD_H
#define HG_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define HG_RELOAD_MAXPARTS	4

enum hg_reload_state {
	HG_RELOAD_DONE = 0,	/* "reloaded" */
	HG_RELOAD_KEPT,		/* "kept": the old one stays in force */
	HG_RELOAD_OFF,		/* "off": nothing configured to read */
};

struct hg_reload_part {
	char	 name[16];
	int	 state;
	char	 text[HG_ERRLEN];
};

struct hg_reload_outcome {
	long	 pid;
	int64_t	 started_ms;
	int64_t	 begun_ns;
	size_t	 nparts;
	struct hg_reload_part part[HG_RELOAD_MAXPARTS];
};

/* The outcome file of an outbox (allocated). */
char	*hg_reload_path(const char *outbox);
/* CLOCK_MONOTONIC in ns: the same clock in every process. */
int64_t	hg_reload_clock_ns(void);
/* Add a part (text one line; newlines become spaces). */
void	hg_reload_add(struct hg_reload_outcome *o, const char *name,
	    int state, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
int	hg_reload_write(const char *path, const struct hg_reload_outcome *o,
	    struct hg_err *err);
/* 0 read, -1 no file (or not one of ours). */
int	hg_reload_read(const char *path, struct hg_reload_outcome *o);
const char *hg_reload_state_name(int state);

#endif
