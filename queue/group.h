/* Group commit: one fsync for the journal writes of several connections
 * to one outbox in one process (the settlement workers).
 *
 * A worker commits its "sent" record at synchronous=normal (written to
 * the WAL, not yet on disk), takes a ticket, lets go of the write lock,
 * and waits until a sync that began after its commit has finished.  One
 * waiter at a time syncs the WAL file; every commit written before that
 * sync began is on disk when it returns, so each sync releases all the
 * workers that committed meanwhile.  The write lock is not held during
 * the sync, so the others go on writing while it runs.
 *
 * Why that is enough: an fsync of the WAL file takes every frame written
 * to it so far, whichever connection wrote it; frames are only ever
 * removed from the WAL after a checkpoint has copied them into the
 * database and synced it (synchronous=normal syncs at checkpoints). */
#ifndef HG_GROUP_H
#define HG_GROUP_H

#include <stdint.h>

#include "lib/err.h"

struct sqlite3;
struct hg_group;

/* sync (NULL: sync the WAL file of the connection given to
 * hg_group_wait) is for tests. */
struct hg_group *hg_group_new(int (*sync)(struct sqlite3 *db,
	    struct hg_err *err));
void	hg_group_free(struct hg_group *g);

/* Right after a commit that must reach the disk: its ticket. */
uint64_t hg_group_note(struct hg_group *g);

/* Wait until every commit up to ticket is on disk, syncing (through db,
 * the caller's own connection, in WAL mode) when no one else is.  -1 when
 * a sync failed: then every wait fails from then on, because after a
 * failed fsync the kernel may have dropped writes that a later fsync would
 * not report; the process must be restarted to read back what is really
 * on disk. */
int	hg_group_wait(struct hg_group *g, uint64_t ticket, struct sqlite3 *db,
	    struct hg_err *err);

/* Syncs done so far (for tests and the bench). */
uint64_t hg_group_syncs(struct hg_group *g);
/* 1 once a sync has failed. */
int	hg_group_broken(struct hg_group *g);

#endif
