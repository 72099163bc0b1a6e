/* Group commit (see group.h). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "lib/xmalloc.h"
#include "queue/group.h"
#include "queue/outbox.h"

struct hg_group {
	pthread_mutex_t	 mu;
	pthread_cond_t	 done;
	uint64_t	 written;	/* tickets given out */
	uint64_t	 synced;	/* tickets on disk */
	uint64_t	 syncs;
	int		 syncing;	/* a waiter is syncing now */
	int		 broken;	/* a sync failed */
	char		 why[HG_ERRLEN];
	int		(*sync)(sqlite3 *db, struct hg_err *err);
};

/* fsync the WAL file through SQLite's own handle for it (the same call
 * SQLite makes at a synchronous=full commit). */
static int
wal_sync(sqlite3 *db, struct hg_err *err)
{
	sqlite3_file *f = NULL;
	int rc;

	rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &f);
	if (rc != SQLITE_OK || f == NULL || f->pMethods == NULL)
		return hg_fail(err, "outbox: no write-ahead log to sync "
		    "(SQLite %d)", rc);
	rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	if (rc != SQLITE_OK)
		return hg_fail(err, "outbox: syncing the write-ahead log to "
		    "disk failed (%s)", sqlite3_errstr(rc));
	return 0;
}

struct hg_group *
hg_group_new(int (*sync)(sqlite3 *db, struct hg_err *err))
{
	struct hg_group *g = hg_xcalloc(1, sizeof *g);

	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->done, NULL);
	g->sync = sync != NULL ? sync : wal_sync;
	return g;
}

void
hg_group_free(struct hg_group *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

uint64_t
hg_group_note(struct hg_group *g)
{
	uint64_t t;

	pthread_mutex_lock(&g->mu);
	t = ++g->written;
	pthread_mutex_unlock(&g->mu);
	return t;
}

int
hg_group_wait(struct hg_group *g, uint64_t ticket, sqlite3 *db,
    struct hg_err *err)
{
	struct hg_err e;
	uint64_t target;
	int rc = 0;

	pthread_mutex_lock(&g->mu);
	while (!g->broken && g->synced < ticket) {
		if (g->syncing) {
			pthread_cond_wait(&g->done, &g->mu);
			continue;
		}
		/* Lead: everything written so far goes with this sync. */
		g->syncing = 1;
		target = g->written;
		pthread_mutex_unlock(&g->mu);
		rc = g->sync(db, &e);
		pthread_mutex_lock(&g->mu);
		g->syncing = 0;
		g->syncs++;
		if (rc == -1) {
			g->broken = 1;
			hg_outbox_sync_lost();
			snprintf(g->why, sizeof g->why, "%s", e.msg);
		} else if (target > g->synced) {
			g->synced = target;
		}
		pthread_cond_broadcast(&g->done);
	}
	/* the disk, not the bill: give it back and wait, like when the
	 * platform is down */
	if (g->broken)
		rc = hg_failt(err, "%s; nothing more is sent until the agent "
		    "is restarted", g->why);
	else
		rc = 0;
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int
hg_group_broken(struct hg_group *g)
{
	int v;

	pthread_mutex_lock(&g->mu);
	v = g->broken;
	pthread_mutex_unlock(&g->mu);
	return v;
}

uint64_t
hg_group_syncs(struct hg_group *g)
{
	uint64_t n;

	pthread_mutex_lock(&g->mu);
	n = g->syncs;
	pthread_mutex_unlock(&g->mu);
	return n;
}
