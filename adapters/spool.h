/* A watched directory of files, for every adapter whose source is files
 * left in a directory: CSV/TXT exports (csvdrop) and, next, FoxPro DBF
 * exchange folders.  The spool finds files (inotify, with a periodic
 * rescan as the fallback), decides when one is complete, hands each
 * complete file to the adapter's callback, and acknowledges it only when
 * the callback says every bill of it is committed: then it checks that
 * the file did not change while it was read (size, mtime, inode), and
 * moves it to done/ (with its problems, if any, in NAME.err beside it)
 * or, when it could not be read as bills at all, to rejected/.
 *
 * Layout on disk (what `hisgate doctor` and a person look at):
 *   dir/NAME              waiting (or being written)
 *   done_dir/NAME         every bill committed (some may be invalid,
 *                         waiting for a fix), with done_dir/NAME.err
 *                         when a bill has problems, one a line
 *   rejected_dir/NAME     not read as bills, rejected_dir/NAME.err says
 *                         why
 *   rejected_dir/.tmp-*   a half-written .err (removed at start)
 * Files in done_dir are removed done_keep_days after they were moved
 * there; rejected_dir is left to a person. */
#ifndef HG_SPOOL_H
#define HG_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/conftab.h"
#include "lib/err.h"

/* The spool keys of an adapter's configuration: embed this struct in
 * the adapter's conf and list HG_SPOOL_CONF_KEYS(type, member) in its
 * config_map. */
struct hg_spool_keys {
	char	*dir;
	char	*done_dir;
	char	*rejected_dir;
	char	*pattern;
	char	*complete;
	int64_t	 stable_seconds;
	char	*marker_suffix;
	int64_t	 rescan_seconds;
	int64_t	 max_file_mb;
	int64_t	 done_keep_days;
	int64_t	 max_rereads;
	/* where each key is set (the adapter's lines), or NULL: problems
	 * name that line, else the line hg_spool_compile is given */
	const struct hg_kvlist *lines;
};

extern const char *const hg_spool_completes[];

#define HG_SPOOL_CONF_KEYS(T, m, pat)					\
	{ "dir", HG_CT_STR, NULL, 0, 0, offsetof(T, m.dir),		\
	  "the drop directory the HIS writes exports into (created if "	\
	  "missing; relative to the adapter file)", NULL, 1 },		\
	{ "done_dir", HG_CT_STR, "<dir>/done", 0, 0,			\
	  offsetof(T, m.done_dir),					\
	  "where a file goes once all its bills are committed, with "	\
	  "NAME.err beside it when some have problems (same file "	\
	  "system as dir)", NULL, 0 },					\
	{ "rejected_dir", HG_CT_STR, "<dir>/rejected", 0, 0,		\
	  offsetof(T, m.rejected_dir),					\
	  "where a file that cannot be read as bills goes (empty, not "	\
	  "text, a bad header...), NAME.err beside it says why", NULL,	\
	  0 },								\
	{ "pattern", HG_CT_STR, pat, 0, 0, offsetof(T, m.pattern),	\
	  "comma-separated file name patterns (fnmatch, "		\
	  "case-insensitive); names starting with '.' are never read",	\
	  NULL, 0 },							\
	{ "complete", HG_CT_ENUM, "stable", 0, 0, offsetof(T, m.complete),\
	  "when a file is complete: stable (size and mtime unchanged for "\
	  "stable_seconds), marker (NAME + marker_suffix exists) or "	\
	  "rename (it was renamed into dir)", hg_spool_completes, 0 },	\
	{ "stable_seconds", HG_CT_INT, "2", 0, 3600,			\
	  offsetof(T, m.stable_seconds),				\
	  "how long a file must stay unchanged (complete = stable)",	\
	  NULL, 0 },							\
	{ "marker_suffix", HG_CT_STR, ".ok", 0, 0,			\
	  offsetof(T, m.marker_suffix),					\
	  "marker file suffix (complete = marker); the marker moves "	\
	  "along with its file", NULL, 0 },				\
	{ "rescan_seconds", HG_CT_INT, "5", 1, 3600,			\
	  offsetof(T, m.rescan_seconds),				\
	  "directory rescan interval, a fallback to inotify", NULL, 0 },\
	{ "max_file_mb", HG_CT_INT, "1024", 1, 1048576,		\
	  offsetof(T, m.max_file_mb),					\
	  "larger files are rejected unread", NULL, 0 },		\
	{ "done_keep_days", HG_CT_INT, "90", 0, 36500,			\
	  offsetof(T, m.done_keep_days),				\
	  "files (and their .err) are removed from done_dir this many "	\
	  "days after they were moved there; 0 keeps them", NULL, 0 },	\
	{ "max_rereads", HG_CT_INT, "10", 1, 1000,			\
	  offsetof(T, m.max_rereads),					\
	  "a file that changed while it was read this many times in a "	\
	  "row is moved to rejected_dir with NAME.err saying so (what "	\
	  "was committed of it stays)", NULL, 0 }

enum hg_spool_mode { HG_SPOOL_STABLE, HG_SPOOL_MARKER, HG_SPOOL_RENAME };

/* The keys, checked and resolved. */
struct hg_spool_conf {
	char	*dir, *done_dir, *rejected_dir;
	char	**pat;
	size_t	 npat;
	enum hg_spool_mode mode;
	const struct hg_spool_keys *k;
};

/* Check and resolve (relative paths are relative to conf_file).
 * Problems go to errs as FILE:LINE: message; returns how many. */
int	hg_spool_compile(const struct hg_spool_keys *k, const char *conf_file,
	    const char *file, int line, struct hg_conf_errs *errs,
	    struct hg_spool_conf *out);
void	hg_spool_conf_free(struct hg_spool_conf *c);

/* One complete file, as the callback gets it. */
struct hg_spool_file {
	const char *name;	/* in dir */
	const char *path;
	int	 fd;		/* read-only; the callback may seek */
	struct stat st;		/* at open */
	int	 dry;		/* a preview: problems are logged only */
	size_t	 nbills, ncommitted;	/* set by the callback, for logs */
	/* set by the callback: the file could not be read as bills, or not
	 * all of them were committed; it goes to rejected_dir, else to
	 * done_dir (with NAME.err beside it when there are problems) */
	int	 reject;
	/* the spool's own */
	struct hg_spool *sp;
	FILE	*errf;
	char	*errtmp;
	size_t	 nproblems;
	char	**notes;
	size_t	 nnotes, nsummary;
	char	*tail;
};

/* What the callback did with the file. */
enum hg_spool_rc {
	HG_SPOOL_READ,		/* read whole, every bill committed (or,
				 * dry, judged); problems are in the file */
	HG_SPOOL_SINK,		/* the sink refused: the whole directory
				 * backs off, the file stays */
	HG_SPOOL_RETRY,		/* an I/O problem with this file: it stays,
				 * and is tried again with backoff */
	HG_SPOOL_CHANGED,	/* it changed while read: read it again
				 * once complete */
};

typedef enum hg_spool_rc (*hg_spool_read_fn)(void *arg,
	    struct hg_spool_file *f, struct hg_err *err);

/* A problem for NAME.err: "line:col: column (field): message", or
 * "line:col: field: message" when column (the source's own name for the
 * field) is NULL. */
void	hg_spool_problem(struct hg_spool_file *f, int line, int col,
	    const char *column, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* A note (a skipped summary row): in NAME.err only when the file has
 * problems anyway. */
void	hg_spool_note(struct hg_spool_file *f, int line, int col,
	    const char *column, const char *field, const char *msg);
/* Forget the notes (before reading the file again). */
void	hg_spool_notes_reset(struct hg_spool_file *f);
/* The summary line at the end of NAME.err (replaces an earlier one). */
void	hg_spool_tail(struct hg_spool_file *f, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

struct hg_spool;

/* Create the directories (unless dry) and start watching.  name: the
 * adapter instance, for log lines.  c must outlive the spool. */
int	hg_spool_open(const struct hg_spool_conf *c, const char *name, int dry,
	    hg_spool_read_fn fn, void *arg, struct hg_spool **out,
	    struct hg_err *err);
void	hg_spool_close(struct hg_spool *s);
/* One pass: every complete file to the callback.  dry: a preview (what
 * is there now is read, whether complete or not; nothing is moved). */
int	hg_spool_poll(struct hg_spool *s, int dry, struct hg_err *err);
/* Remove from done_dir what was moved there more than done_keep_days
 * before now (hg_spool_poll does it hourly with the clock's time). */
void	hg_spool_prune(struct hg_spool *s, time_t now);
/* Readable when the directory changes, or -1. */
int	hg_spool_fd(const struct hg_spool *s);

#endif
