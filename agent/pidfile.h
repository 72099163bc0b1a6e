/* The running daemon's pid file, OUTBOX.pid beside the outbox (the one
 * directory the service user surely writes, and the one doctor looks at
 * anyway).  `run` creates it, holds an fcntl lock on it while it runs and
 * rewrites it in place when the mapping is reloaded; doctor asks the
 * kernel who holds the lock, so a file left by a killed daemon is told
 * from a running one, whatever pid it names.
 *
 * Contents, one key=value a line: pid, started_ms, mapping_file,
 * mapping_codes, mapping_loaded_ms (ms since the epoch). */
#ifndef HG_PIDFILE_H
#define HG_PIDFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/err.h"

struct hg_runinfo {
	long	 pid;
	int64_t	 started_ms;
	char	 mapping_file[512];
	size_t	 mapping_codes;
	int64_t	 mapping_loaded_ms;
};

struct hg_pidfile;

/* The path of the pid file of an outbox (allocated). */
char	*hg_pidfile_path(const char *outbox);
/* Create and lock it; -1 when it cannot be written, or another daemon
 * holds it (err names its pid). */
int	hg_pidfile_open(const char *path, struct hg_pidfile **out,
	    struct hg_err *err);
/* Write ri (pid is filled in). */
int	hg_pidfile_write(struct hg_pidfile *pf, struct hg_runinfo *ri,
	    struct hg_err *err);
/* Remove and close; NULL is fine. */
void	hg_pidfile_close(struct hg_pidfile *pf);

/* Read it: 1 when a daemon holds it (ri->pid is the holder), 0 when
 * none does (ri from the stale file, if any), -1 when there is no file. */
int	hg_pidfile_read(const char *path, struct hg_runinfo *ri);

/* Each key=value line of fp (this file's and agent/reload.h's) to cb,
 * the value without its newline and cb's to change; lines without '='
 * are passed over. */
void	hg_kv_each(FILE *fp, void (*cb)(const char *key, char *val,
	    void *arg), void *arg);
/* Replace path whole with text: written aside (path.tmp), then renamed,
 * so that a reader never sees half; no fsync (what these files say is
 * for now, not to survive a crash).  -1 with err naming what and the
 * file. */
struct hg_buf;
int	hg_kv_replace(const char *path, const struct hg_buf *text,
	    const char *what, struct hg_err *err);

#endif
