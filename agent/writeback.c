/* writeback: each finished bill's result back to the HIS, as a file or
 * through the adapter's write_result (see writeback.h).  The outbox is the
 * only input: a bill is due when its adapter has a results_dir or a
 * write_result, it is settled, rejected or cancelled, and
 * the writeback table has no written row for that bill and state.  A
 * failure (the folder missing, the disk full) is recorded with its
 * reason and retried with backoff; nothing here touches the bill. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "agent/writeback.h"
#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

#define PERIOD_MS	1000
#define BACKOFF_MAX_MS	300000
#define BATCH		100

struct hg_writeback {
	const struct hg_config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;
	unsigned char *none;	/* per adapter: no write-back after all */
};

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* results_dir, relative to the adapter file */
static char *
results_dir(const struct hg_adapter *a, const struct hg_writeback_keys *k)
{
	char *copy, *p;

	if (k->results_dir[0] == '/' || a->conf_file == NULL)
		return hg_xstrdup(k->results_dir);
	copy = hg_xstrdup(a->conf_file);
	p = hg_xasprintf("%s/%s", dirname(copy), k->results_dir);
	free(copy);
	return p;
}

/* The source file of a bill from its source_ref ("F.dbf lines 1-3"),
 * without its extension; the name is kept to its base and to safe
 * characters, since it came from outside. */
static char *
stem_of(const char *ref)
{
	const char *end = ref != NULL ? strstr(ref, " lines ") : NULL;
	const char *base, *dot;
	char *s;
	size_t i, n;

	if (ref == NULL)
		return hg_xstrdup("bill");
	n = end != NULL ? (size_t)(end - ref) : strlen(ref);
	base = ref;
	for (i = 0; i < n; i++)
		if (ref[i] == '/')
			base = ref + i + 1;
	n -= (size_t)(base - ref);
	dot = memrchr(base, '.', n);
	if (dot != NULL && dot > base)
		n = (size_t)(dot - base);
	s = hg_xasprintf("%.*s", (int)n, base);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20)
			s[i] = '_';
	return s[0] != '\0' && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 ?
	    s : (free(s), hg_xstrdup("bill"));
}

static char *
file_name(const struct hg_writeback_keys *k, const struct hg_row *row,
    const char *stem)
{
	struct hg_buf b = { NULL, 0, 0 };
	const char *p = k->results_name;
	char id[32];

	snprintf(id, sizeof id, "%lld", row->id);
	while (*p != '\0') {
		if (strncmp(p, "{stem}", 6) == 0) {
			hg_buf_adds(&b, stem);
			p += 6;
		} else if (strncmp(p, "{ipt_no}", 8) == 0) {
			hg_buf_adds(&b, row->ipt_no ? row->ipt_no : "");
			p += 8;
		} else if (strncmp(p, "{id}", 4) == 0) {
			hg_buf_adds(&b, id);
			p += 4;
		} else {
			hg_buf_addc(&b, *p);
			p++;
		}
	}
	/* one file in results_dir, whatever the HIS put in a 住院号 */
	hg_buf_adds(&b, "");	/* data is allocated from here on */
	for (char *c = b.data; *c != '\0'; c++)
		if (*c == '/' || (unsigned char)*c < 0x20)
			*c = '_';
	/* a hidden or empty name would be missed by the HIS: prefixed */
	if (b.data[0] == '.' || b.data[0] == '\0') {
		char *t = hg_xasprintf("bill%lld%s", row->id, b.data);

		hg_buf_free(&b);
		return t;
	}
	return hg_buf_take(&b);
}

static void
kv(struct hg_kvlist *l, const char *k, const char *v)
{
	l->v = hg_xrealloc(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].key = hg_xstrdup(k);
	l->v[l->n].value = hg_xstrdup(v != NULL ? v : "");
	l->v[l->n].line = 0;
	l->n++;
}

static void
kv_fen(struct hg_kvlist *l, const char *k, int64_t fen)
{
	char dec[HG_DECBUF];

	kv(l, k, hg_dec_format(fen, 2, dec));
}

/* A bill's result as name = value pairs (the names of adapter.h's
 * write_result; amounts in yuan with 2 decimals). */
static int
result_kv(const struct hg_row *row, struct hg_kvlist *l, struct hg_err *err)
{
	struct json_object *o = NULL;
	struct hg_nhsa_setl s;
	char id[32];

	kv(l, "state", row->state);
	snprintf(id, sizeof id, "%lld", row->id);
	kv(l, "bill", id);
	kv(l, "ipt_no", row->ipt_no);
	if (strcmp(row->state, HG_S_REJECTED) == 0) {
		kv(l, "reason", row->err_msg);
		return 0;
	}
	if (row->setl_json == NULL)
		return hg_fail(err, "bill %lld is %s without a settlement",
		    row->id, row->state);
	if (hg_json_parse(row->setl_json, &o, err) < 0 ||
	    hg_nhsa_out_setl(o, &s, err) < 0) {
		if (o != NULL)
			json_object_put(o);
		return -1;
	}
	json_object_put(o);
	kv(l, "setl_id", s.setl_id);
	kv(l, "mdtrt_id", s.mdtrt_id);
	kv(l, "setl_time", s.setl_time);
	kv_fen(l, "medfee_sumamt", s.medfee_sumamt);
	kv_fen(l, "hifp_pay", s.hifp_pay);
	kv_fen(l, "hifmi_pay", s.hifmi_pay);
	kv_fen(l, "maf_pay", s.maf_pay);
	kv_fen(l, "other_fund_pay", s.fund_pay_sumamt - s.hifp_pay -
	    s.hifmi_pay - s.maf_pay);
	kv_fen(l, "fund_pay_sumamt", s.fund_pay_sumamt);
	kv_fen(l, "acct_pay", s.acct_pay);
	kv_fen(l, "psn_cash_pay", s.psn_cash_pay);
	return 0;
}

/* The result file's text (UTF-8): key=value lines, CRLF, as Windows HIS
 * programs read them. */
static void
result_text(const struct hg_kvlist *l, struct hg_buf *b)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		hg_buf_adds(b, l->v[i].key);
		hg_buf_addc(b, '=');
		hg_buf_adds(b, l->v[i].value);
		hg_buf_add(b, "\r\n", 2);
	}
}

/* Write path atomically: a hidden temporary file, fsync, rename. */
static int
write_file(const char *dir, const char *name, const char *data, size_t n,
    struct hg_err *err)
{
	char *tmp = hg_xasprintf("%s/.tmp-%s", dir, name);
	char *path = hg_xasprintf("%s/%s", dir, name);
	size_t off = 0;
	ssize_t w;
	int fd, rc = -1;

	/* 0600: a result names the bill, its settlement and what the
	 * patient pays.  The mode is given, never the umask changed (other
	 * threads create files meanwhile); fchmod for a temporary file left
	 * by a crash, which O_CREAT does not touch. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		hg_failt(err, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while (off < n) {
		w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			hg_failt(err, "%s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (off == n && fsync(fd) < 0)
		hg_failt(err, "%s: fsync: %s", tmp, strerror(errno));
	else if (off == n && rename(tmp, path) < 0)
		hg_failt(err, "%s: %s", path, strerror(errno));
	else if (off == n)
		rc = 0;
	close(fd);
	if (rc < 0)
		unlink(tmp);
out:
	free(tmp);
	free(path);
	return rc;
}

static int
record(sqlite3 *db, long long id, const char *state, const char *path,
    const struct hg_err *failed)
{
	sqlite3_stmt *st;
	int64_t now = now_ms();
	int rc, attempts = 0;

	if (sqlite3_prepare_v2(db, "SELECT attempts FROM writeback WHERE "
	    "bill_id = ?1 AND state = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		attempts = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	attempts++;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO writeback (bill_id, "
	    "state, path, done, attempts, error, next_ms, updated_ms) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, failed == NULL);
	sqlite3_bind_int(st, 5, attempts);
	if (failed != NULL)
		sqlite3_bind_text(st, 6, failed->msg, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, failed == NULL ? 0 : now + (attempts > 8 ?
	    BACKOFF_MAX_MS : (int64_t)1000 << (attempts - 1 < 8 ?
	    attempts - 1 : 8)));
	sqlite3_bind_int64(st, 8, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return failed == NULL ? rc : attempts;
}

/* Where the result of one bill goes: a file (write-back keys), or the
 * source itself (ops->write_result, e.g. odbc's statement).  1 written
 * (*path says where), 0 when the adapter has no write-back configured
 * after all, -1 with err. */
static int
write_one(struct hg_adapter *a, const struct hg_writeback_keys *k,
    const struct hg_row *row, const struct hg_kvlist *l, char **path,
    struct hg_err *err)
{
	struct hg_buf text = { NULL, 0, 0 };
	struct hg_bill *b = NULL;
	char *dir, *stem, *name, *enc;
	size_t n;
	int rc;

	if (k == NULL) {
		if ((rc = a->ops->write_result(a, l, err)) == 1)
			*path = hg_xstrdup("the HIS database (the writeback "
			    "statement)");
		return rc;
	}
	if (hg_bill_from_json(row->bill_json, &b, err) < 0)
		return -1;
	dir = results_dir(a, k);
	stem = stem_of(b->source_ref);
	name = file_name(k, row, stem);
	result_text(l, &text);
	rc = -1;
	if (hg_text_from_utf8(k->results_encoding, text.data, text.len, &enc,
	    &n, err) == 0) {
		if (write_file(dir, name, enc, n, err) == 0) {
			*path = hg_xasprintf("%s/%s", dir, name);
			rc = 1;
		}
		free(enc);
	}
	hg_bill_free(b);
	hg_buf_free(&text);
	free(dir);
	free(stem);
	free(name);
	return rc;
}

/* One bill: its result, then its row in writeback.  0 written, 1 when
 * the adapter turns out to have no write-back at all, -1 failed. */
static int
one(struct hg_adapter *a, const struct hg_writeback_keys *k,
    struct hg_outbox *ob, long long id)
{
	sqlite3 *db = hg_outbox_db(ob);
	struct hg_kvlist l = { NULL, 0, 0 };
	struct hg_row row;
	struct hg_err err;
	char *path = NULL;
	int rc = -1, attempts;

	memset(&row, 0, sizeof row);
	if (hg_outbox_get(ob, id, &row, &err) < 0)
		return -1;
	if (result_kv(&row, &l, &err) == 0)
		rc = write_one(a, k, &row, &l, &path, &err);
	if (rc == 0) {
		rc = 1;
		goto out;
	}
	if (rc < 0) {
		attempts = record(db, id, row.state, NULL, &err);
		if (attempts == 1)
			log_warn(a->name, "write-back of bill %lld failed "
			    "(retried, see hisgate queue show %lld): %s", id,
			    id, err.msg);
		goto out;
	}
	rc = 0;
	if (record(db, id, row.state, path, NULL) < 0)
		log_warn(a->name, "write-back of bill %lld: %s written, but "
		    "not recorded: %s", id, path, sqlite3_errmsg(db));
	else
		log_info(a->name, "bill %lld (%s): result written to %s", id,
		    row.state, path);
out:
	hg_kvlist_free(&l);
	hg_row_free(&row);
	free(path);
	return rc;
}

/* Does adapter a take write-back, and where: *k the file keys, or NULL
 * for its own write_result. */
static int
takes(const struct hg_adapter *a, const struct hg_writeback_keys **k)
{
	*k = NULL;
	if (a->ops->writeback != NULL && (*k = a->ops->writeback(a)) !=
	    NULL && (*k)->results_dir[0] != '\0')
		return 1;
	*k = NULL;
	return a->ops->write_result != NULL;
}

int
hg_writeback_pass(struct hg_writeback *w, struct hg_outbox *ob,
    struct hg_err *err)
{
	const struct hg_config *cfg = w->cfg;
	sqlite3 *db = hg_outbox_db(ob);
	const struct hg_writeback_keys *k;
	struct hg_adapter *a;
	sqlite3_stmt *st;
	long long ids[BATCH];
	size_t i, j, n;
	int written = 0, rc;

	for (i = 0; i < cfg->nadapters && !atomic_load(&w->stop); i++) {
		a = cfg->adapters[i];
		if (w->none[i] || !takes(a, &k))
			continue;
		if (sqlite3_prepare_v2(db, "SELECT b.id FROM bills b LEFT JOIN "
		    "writeback w ON w.bill_id = b.id AND w.state = b.state "
		    "WHERE b.adapter = ?1 AND b.state IN ('settled', "
		    "'rejected', 'cancelled') AND (w.bill_id IS NULL OR "
		    "(w.done = 0 AND w.next_ms <= ?2)) ORDER BY b.id LIMIT ?3",
		    -1, &st, NULL) != SQLITE_OK)
			return hg_failt(err, "outbox: %s", sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, a->name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, now_ms());
		sqlite3_bind_int(st, 3, BATCH);
		n = 0;
		while (n < BATCH && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		/* a stop is waited for one bill at the most */
		for (j = 0; j < n && !atomic_load(&w->stop); j++) {
			rc = one(a, k, ob, ids[j]);
			if (rc == 0)
				written++;
			else if (rc == 1) {
				w->none[i] = 1;
				break;
			}
		}
	}
	return written;
}

static void *
writer_main(void *arg)
{
	struct hg_writeback *w = arg;
	struct hg_outbox *ob = NULL;
	struct hg_err err;
	struct timespec ts;

	pthread_mutex_lock(&w->mu);
	while (!atomic_load(&w->stop)) {
		pthread_mutex_unlock(&w->mu);
		if (ob == NULL && hg_outbox_open(w->cfg->agent.outbox, 0, &ob,
		    &err) < 0)
			ob = NULL;
		if (ob != NULL && hg_writeback_pass(w, ob, &err) < 0) {
			log_warn("writeback", "%s", err.msg);
			hg_outbox_close(ob);
			ob = NULL;
		}
		pthread_mutex_lock(&w->mu);
		hg_deadline(&ts, PERIOD_MS);
		if (!atomic_load(&w->stop))
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	hg_outbox_close(ob);
	return NULL;
}

int
hg_writeback_start(const struct hg_config *cfg, struct hg_writeback **out,
    struct hg_err *err)
{
	const struct hg_writeback_keys *k;
	struct hg_writeback *w;
	size_t i;

	*out = NULL;
	for (i = 0; i < cfg->nadapters; i++)
		if (takes(cfg->adapters[i], &k))
			break;
	if (i == cfg->nadapters)
		return 0;
	w = hg_xcalloc(1, sizeof *w);
	w->cfg = cfg;
	w->none = hg_xcalloc(cfg->nadapters, 1);
	atomic_init(&w->stop, 0);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		free(w->none);
		free(w);
		return hg_fail(err, "cannot start the write-back thread");
	}
	*out = w;
	return 0;
}

void
hg_writeback_stop(struct hg_writeback *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stop, 1);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->none);
	free(w);
}

void
hg_writeback_show(struct hg_outbox *ob, long long id, FILE *fp)
{
	sqlite3 *db = hg_outbox_db(ob);
	sqlite3_stmt *st;
	const char *path, *e;

	/* a read-only outbox may predate the table: nothing to show */
	if (sqlite3_prepare_v2(db, "SELECT state, path, done, attempts, "
	    "error FROM writeback WHERE bill_id = ?1 ORDER BY updated_ms", -1,
	    &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		path = (const char *)sqlite3_column_text(st, 1);
		e = (const char *)sqlite3_column_text(st, 4);
		if (sqlite3_column_int(st, 2))
			fprintf(fp, "  write-back: %s result written to %s\n",
			    sqlite3_column_text(st, 0), path ? path : "-");
		else
			fprintf(fp, "  write-back: %s result not written "
			    "(%d attempt%s, retried): %s\n",
			    sqlite3_column_text(st, 0),
			    sqlite3_column_int(st, 3),
			    sqlite3_column_int(st, 3) == 1 ? "" : "s",
			    e ? e : "?");
	}
	sqlite3_finalize(st);
}
