/* What spool.c and spool_file.c share; nothing outside them includes
 * this. */
#ifndef HG_SPOOL_PRIV_H
#define HG_SPOOL_PRIV_H

#include <time.h>

#include "adapters/spool.h"
#include "lib/log.h"

/* A file in dir, as last seen. */
struct seen {
	char	*name;
	off_t	 size;
	struct timespec mtime;
	int64_t	 since_ms;	/* first seen with this size and mtime */
	int	 renamed;	/* arrived by rename (IN_MOVED_TO) */
	int	 was_renamed;	/* ... and written after it: stable rule */
	int	 writing;	/* a local writer has it open (inotify) */
	int	 ours;		/* we moved it back from done/ */
	int	 preexisting;	/* there before we watched: no event */
	int	 present;
	int	 rereads;	/* changed while read, in a row */
	int64_t	 retry_ms;	/* not before (after a failure) */
	int64_t	 backoff_ms;
};

struct hg_spool {
	const struct hg_spool_conf *c;
	const char *name;
	int	 dry;
	hg_spool_read_fn fn;
	void	*arg;
	int	 ino_fd;
	int	 ino_wd;
	int	 done_wd;	/* done/: written after it was acknowledged */
	int	 rej_wd;	/* rejected/: the same */
	int	 need_scan;
	int	 pending;	/* files seen but not complete, or waiting */
	int64_t	 sink_retry_ms;	/* the sink refused: not before this */
	int64_t	 sink_backoff_ms;
	int64_t	 next_scan_ms;
	int64_t	 next_prune_ms;	/* done_keep_days: next look at done/ */
	struct seen *seen;
	size_t	 nseen;
	/* names quarantined in rejected/ by this run: a writer still
	 * writing into one does not bring it back */
	char	**quar;
	size_t	 nquar;
	struct hg_complain c_commit;
	struct hg_complain c_file;
};

/* 0 when the file is still what was read (size, mtime; and path, when
 * given, still names it), 1 when not. */
int	sp_unchanged(const struct hg_spool_file *f, const char *path);
int	sp_exists(const char *dir, const char *name, const char *suffix);
int	sp_mkdirs(const char *path, struct hg_err *err);
void	sp_clean_temps(const char *dir);
/* The file is read: to done/ or, with its .err, to rejected/.  0 moved,
 * 1 it changed since it was read (it stays in dir), -1 with err. */
int	sp_settle(struct hg_spool *s, struct hg_spool_file *f,
	    struct hg_err *err);
void	sp_file_free(struct hg_spool_file *f);
/* Move dir/NAME to rejected/ as it is, with a NAME.err saying why: a
 * file that never holds still.  0, or -1 with err. */
int	sp_quarantine(struct hg_spool *s, const char *name, const char *why,
	    char **final, struct hg_err *err);
/* from/NAME (done/ or rejected/) was written after it was moved there
 * (its mtime is not older than its last rename): move it back into dir
 * to be read again, its stale .err removed.  Returns the name it has in
 * dir (caller frees), or NULL. */
char	*sp_reclaim(struct hg_spool *s, const char *from, const char *name);
/* Remove what has been in done/ longer than done_keep_days before now. */
void	sp_prune_done(struct hg_spool *s, time_t now);

#endif
