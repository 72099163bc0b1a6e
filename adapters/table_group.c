/* table_group: rows grouped into bills by the key columns, and the bills
 * handed to the sink in batches (see table.h).  The key index of the
 * first pass says which row ends each bill, so a bill whose rows are
 * spread over the source is handed over once, whole, and a bill with a
 * bad row anywhere is withheld. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/table.h"
#include "adapters/table_priv.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define BATCH_BILLS	500
#define BATCH_FEES	2000	/* and in fee lines: a batch's bills, the one
				 * the sink is writing and the one queued
				 * must fit the agent's 16 MB (bench/ingest
				 * shows the peak) */

/* A bill being assembled. */
struct obill {
	struct hg_bill *b;
	char	*key;
	uint64_t h;
	int	 first_line, last_line;
	int	 bad;		/* a row failed: not handed over */
	char	*head[F_MEDFEE_SUMAMT + 1];	/* the first row's values */
	int	 head_bad[F_MEDFEE_SUMAMT + 1];
};

/* --- the key index ------------------------------------------------------- */

/* 0 marks an empty slot of the index. */
static uint64_t
hash64(const char *s)
{
	uint64_t h = hg_hash_str(s);

	return h != 0 ? h : 1;
}

static struct keyent *
tab_find(struct hg_table *t, uint64_t h, int add)
{
	size_t i, mask;
	struct keyent *old;
	size_t oldcap, k;

	if (add && (t->tabn + 1) * 4 > t->tabcap * 3) {
		old = t->tab;
		oldcap = t->tabcap;
		t->tabcap = oldcap ? oldcap * 2 : 1024;
		t->tab = hg_xcalloc(t->tabcap, sizeof *t->tab);
		t->tabn = 0;
		for (k = 0; k < oldcap; k++)
			if (old[k].h != 0) {
				struct keyent *e = tab_find(t, old[k].h, 1);
				*e = old[k];
			}
		free(old);
	}
	if (t->tabcap == 0)
		return NULL;
	mask = t->tabcap - 1;
	for (i = (size_t)h & mask; t->tab[i].h != 0; i = (i + 1) & mask)
		if (t->tab[i].h == h)
			return &t->tab[i];
	if (!add)
		return NULL;
	t->tab[i].h = h;
	t->tabn++;
	return &t->tab[i];
}

static void
keybuf_set(struct hg_table *t, const char *s, size_t n)
{
	if (n + 1 > t->keycap) {
		t->keycap = n + 64;
		t->keybuf = hg_xrealloc(t->keybuf, t->keycap, 1);
	}
	memcpy(t->keybuf, s, n);
	t->keybuf[n] = '\0';
}

static void
keybuf_add(struct hg_table *t, const char *s)
{
	size_t have = strlen(t->keybuf), n = strlen(s);

	if (have + n + 1 > t->keycap) {
		t->keycap = (have + n) * 2 + 64;
		t->keybuf = hg_xrealloc(t->keybuf, t->keycap, 1);
	}
	memcpy(t->keybuf + have, s, n + 1);
}

/* The bill key of a row: its key values joined with "|".  A row whose
 * key cannot be trusted (empty or unparseable key field, broken record)
 * belongs to the bill of the row before it when the first key field
 * agrees or is empty: rows of a bill come together in practice, and
 * attaching a bad row to its bill keeps that bill from being handed
 * over without it.  Both passes call this in the same order, so they
 * agree. */
static const char *
row_key(struct hg_table *t, const struct row *r)
{
	const struct hg_table_map *m = t->m;
	const char *k0 = r->v[m->keyf[0]] ? r->v[m->keyf[0]] : "";
	size_t i;
	int ok = 1;

	for (i = 0; i < m->nkey; i++)
		if (r->bad[m->keyf[i]] || r->v[m->keyf[i]] == NULL)
			ok = 0;
	if ((!ok || r->record_bad) && t->prevkey != NULL && (*k0 == '\0' ||
	    (t->prevk0 != NULL && strcmp(k0, t->prevk0) == 0)))
		return t->prevkey;
	/* a key that did not parse is kept apart from every good key */
	keybuf_set(t, "\x01", ok ? 0 : 1);
	for (i = 0; i < m->nkey; i++) {
		if (i > 0)
			keybuf_add(t, "|");
		keybuf_add(t, r->v[m->keyf[i]] ? r->v[m->keyf[i]] : "");
	}
	free(t->prevkey);
	t->prevkey = hg_xstrdup(t->keybuf);
	if (*k0 != '\0') {
		free(t->prevk0);
		t->prevk0 = hg_xstrdup(k0);
	}
	return t->prevkey;
}

void
hg_table_index(struct hg_table *t, struct hg_table_row *in)
{
	struct keyent *e;
	uint64_t h;

	tb_parse_row(t, in, 0, 1);
	h = hash64(row_key(t, &t->r));
	if (h != t->cur_h) {
		e = tab_find(t, h, 0);
		if (e != NULL)
			e->split = 1;	/* seen before, elsewhere */
		else
			e = tab_find(t, h, 1);
		t->cur_h = h;
		t->cur_first = in->line;
	} else {
		e = tab_find(t, h, 0);
	}
	e->last_line = in->line;
}

int
hg_table_last_group(const struct hg_table *t)
{
	return t->cur_first;
}

/* --- building bills ------------------------------------------------------ */

static char **
bill_slot(struct hg_bill *b, int f)
{
	switch (f) {
	case F_IPT_NO: return &b->ipt_no;
	case F_PSN_NAME: return &b->psn_name;
	case F_GEND: return &b->gender;
	case F_PSN_CERT_TYPE: return &b->psn_cert_type;
	case F_CERTNO: return &b->certno;
	case F_CARD_NO: return &b->card_no;
	case F_INSUTYPE: return &b->insutype;
	case F_INSUPLC_ADMDVS: return &b->insuplc_admdvs;
	case F_MDTRT_ID: return &b->mdtrt_id;
	case F_DEPT_CODG: return &b->dept_code;
	case F_DEPT_NAME: return &b->dept_name;
	case F_ATDDR_NO: return &b->doctor_code;
	case F_CHFPDR_NAME: return &b->doctor_name;
	default: return NULL;
	}
}

static char **
fee_slot(struct hg_fee *fee, int f)
{
	switch (f) {
	case F_FEEDETL_SN: return &fee->sn;
	case F_INIT_FEEDETL_SN: return &fee->init_sn;
	case F_MEDINS_LIST_CODG: return &fee->local_code;
	case F_NAME: return &fee->name;
	case F_SPEC: return &fee->spec;
	case F_UNIT: return &fee->unit;
	case F_MED_LIST_CODG: return &fee->nat_code;
	case F_CATEGORY: return &fee->category;
	case F_BILG_DEPT_CODG: return &fee->dept_code;
	case F_BILG_DEPT_NAME: return &fee->dept_name;
	case F_BILG_DR_CODG: return &fee->doctor_code;
	case F_BILG_DR_NAME: return &fee->doctor_name;
	default: return NULL;
	}
}

static void
obill_free(struct obill *ob)
{
	int f;

	if (ob == NULL)
		return;
	hg_bill_free(ob->b);
	free(ob->key);
	for (f = 0; f <= F_MEDFEE_SUMAMT; f++)
		free(ob->head[f]);
	free(ob);
}

static struct obill *
obill_new(struct hg_table *t, const char *key, uint64_t h,
    const struct row *r)
{
	struct obill *ob = hg_xcalloc(1, sizeof *ob);
	struct hg_bill *b;
	char **slot;
	int f;

	ob->key = hg_xstrdup(key);
	ob->h = h;
	ob->first_line = ob->last_line = r->line;
	ob->b = b = hg_bill_new();
	for (f = 0; f <= F_MEDFEE_SUMAMT; f++) {
		ob->head[f] = r->v[f] ? hg_xstrdup(r->v[f]) : NULL;
		ob->head_bad[f] = r->bad[f] || r->record_bad;
		if (r->v[f] == NULL || r->bad[f])
			continue;
		if ((slot = bill_slot(b, f)) != NULL)
			hg_set_str(slot, r->v[f]);
	}
	if (r->v[F_BEGNTIME] && !r->bad[F_BEGNTIME])
		snprintf(b->adm_time, sizeof b->adm_time, "%s",
		    r->v[F_BEGNTIME]);
	if (r->v[F_ENDTIME] && !r->bad[F_ENDTIME])
		snprintf(b->dscg_time, sizeof b->dscg_time, "%s",
		    r->v[F_ENDTIME]);
	if ((r->v[F_DIAG_CODE] && !r->bad[F_DIAG_CODE]) ||
	    (r->v[F_DIAG_NAME] && !r->bad[F_DIAG_NAME])) {
		struct hg_diag *d = hg_bill_add_diag(b);

		if (!r->bad[F_DIAG_CODE])
			hg_set_str(&d->code, r->v[F_DIAG_CODE]);
		if (!r->bad[F_DIAG_NAME])
			hg_set_str(&d->name, r->v[F_DIAG_NAME]);
		d->main = 1;
	}
	if (r->v[F_MEDFEE_SUMAMT] && !r->bad[F_MEDFEE_SUMAMT]) {
		b->total = r->num[F_MEDFEE_SUMAMT];
		b->has_total = 1;
	}
	hg_set_str(&b->adapter, t->src.adapter);
	/* a key that did not parse is marked apart (row_key): "?" for
	 * it, printable */
	if (key[0] == '\x01')
		b->source_key = hg_xasprintf("?%s", key + 1);
	else
		hg_set_str(&b->source_key, key);
	b->line = r->line;
	return ob;
}

static void
add_line(struct hg_table *t, struct obill *ob, const struct row *r,
    const struct hg_table_row *in)
{
	struct hg_fee *fee;
	char **slot;
	int f, c, line, rowbad = 0;

	ob->last_line = r->line;
	if (r->nproblems > 0 || r->record_bad)
		ob->bad = rowbad = 1;
	if (r->record_bad && t->collect)
		hg_bill_add_problem(t->rowp, r->line, "record", in->why != NULL ?
		    in->why : "its fields are not where the header says");
	/* the bill-level fields must agree with the bill's first row (a
	 * broken row's were not read) */
	if (r->line != ob->first_line && !r->record_bad)
		for (f = 0; f <= F_MEDFEE_SUMAMT; f++) {
			const char *was = ob->head[f] ? ob->head[f] : "";
			const char *now = r->v[f] ? r->v[f] : "";

			if ((c = t->col[f]) < 0 || r->bad[f] ||
			    ob->head_bad[f] || strcmp(was, now) == 0 ||
			    c >= (int)in->ncells)
				continue;
			line = in->cell_line ? in->cell_line[c] : in->line;
			if (f == F_PSN_NAME)
				/* no names in messages that may be logged */
				tb_problem(t, line, c + 1, f, NULL, "differs "
				    "from line %d of the same bill (a bill's "
				    "fields must be the same on all its lines)",
				    ob->first_line);
			else
				tb_problem(t, line, c + 1, f, NULL, "\"%s\", "
				    "but line %d of the same bill has \"%s\" (a "
				    "bill's fields must be the same on all its "
				    "lines)", now, ob->first_line, was);
			ob->bad = 1;
		}
	if (t->collect && t->rowp->problems != NULL) {
		/* the row's problems travel with its bill (keep_bad) */
		char *all = hg_xasprintf("%s%s", ob->b->problems ?
		    ob->b->problems : "", t->rowp->problems);

		free(ob->b->problems);
		ob->b->problems = all;
		hg_sfree(t->rowp->problems);
	}
	if (ob->bad && !t->src.keep_bad)
		return;		/* it will not be handed over */
	if (rowbad)
		return;		/* keep_bad: its values cannot be trusted */
	fee = hg_bill_add_fee(ob->b);
	for (f = F_FEEDETL_SN; f < F_N; f++)
		if (r->v[f] != NULL && (slot = fee_slot(fee, f)) != NULL)
			hg_set_str(slot, r->v[f]);
	if (r->v[F_FEE_OCUR_TIME])
		snprintf(fee->time, sizeof fee->time, "%s",
		    r->v[F_FEE_OCUR_TIME]);
	fee->qty = r->num[F_CNT];
	fee->price = r->num[F_PRIC];
	fee->amount = r->num[F_DET_ITEM_FEE_SUMAMT];
	fee->line = r->line;
	t->batch_fees++;
}

/* A problem the sink found, named by the source's column where the
 * field has one. */
static void
sink_problem(struct hg_table *t, int line, const struct hg_problem *p)
{
	const char *field = p->field;
	int f;

	if (strcmp(field, "maindiag_flag") == 0)
		field = "diag_code";
	f = tb_field_index(field);
	if (f >= 0 && t->col[f] >= 0)
		t->src.problem(t->src.arg, line, t->col[f] + 1, t->colname[f],
		    p->field, p->msg);
	else
		t->src.problem(t->src.arg, line, 0, NULL, p->field, p->msg);
}

/* A problem the sink gives back that is the bill's own (keep_bad): it is
 * reported already. */
static int
own_problem(const struct hg_bill *b, const struct hg_problem *p)
{
	char *text;
	int rc;

	if (b->problems == NULL)
		return 0;
	text = hg_xasprintf("\n%d\t%s\t%s\n", p->line, p->field, p->msg);
	rc = strncmp(b->problems, text + 1, strlen(text + 1)) == 0 ||
	    strstr(b->problems, text) != NULL;
	free(text);
	return rc;
}

/* The line up to which every bill is handed over or withheld: the last
 * finished bill's, but before the first line of a split bill still
 * open (its rows are behind that line). */
static int
done_line(const struct hg_table *t)
{
	int line = t->done_line;
	size_t i;

	for (i = 0; i < t->tabcap; i++)
		if (t->tab[i].open != NULL &&
		    t->tab[i].open->first_line <= line)
			line = t->tab[i].open->first_line - 1;
	return line;
}

/* Hand the batch to the sink and report what it says about each bill. */
static int
flush(struct hg_table *t)
{
	struct hg_sink *sink = t->src.sink;
	struct hg_verdict *v;
	const char *cursor;
	size_t i, j;
	int rc, dry;

	/* an empty batch still carries the end cursor: the bills it covers
	 * may all have gone out in earlier batches */
	if (t->nbatch == 0 && !(t->ending && t->src.end_cursor != NULL &&
	    t->pass == HG_TABLE_COMMIT && !sink->dry))
		return 0;
	v = hg_xcalloc(t->nbatch ? t->nbatch : 1, sizeof *v);
	dry = sink->dry;
	if (t->pass == HG_TABLE_VALIDATE)
		sink->dry = 1;	/* judge, write nothing */
	hg_err_clear(&t->err);
	cursor = t->src.cursor_at != NULL ?
	    t->src.cursor_at(t->src.arg, done_line(t)) :
	    t->src.end_cursor == NULL ? t->src.source :
	    t->ending ? t->src.end_cursor(t->src.arg) : NULL;
	/* one copy for the batch, not one per bill: only bills with
	 * problems keep it (bench/ingest counts every byte of a batch) */
	sink->columns = t->colstr;
	rc = sink->commit(sink, t->batch, t->nbatch, cursor, v, &t->err);
	sink->columns = NULL;
	sink->dry = dry;
	if (rc < 0) {
		t->failed = 1;
		goto out;
	}
	for (i = 0; i < t->nbatch; i++) {
		const struct hg_bill *b = t->batch[i];

		for (j = 0; j < v[i].nproblems; j++)
			if (!own_problem(b, &v[i].problems[j]))
				sink_problem(t, v[i].problems[j].line > 0 ?
				    v[i].problems[j].line : b->line,
				    &v[i].problems[j]);
		if (v[i].nproblems > 0 || v[i].state == HG_V_INVALID)
			t->st.ninvalid++;
		if (v[i].state == HG_V_AMENDED && t->pass == HG_TABLE_COMMIT)
			log_notice(t->src.adapter, "%s: the bill of %s changed "
			    "after it was sent to the platform; it is held "
			    "for a person (hisgate queue show %lld)",
			    t->src.source, b->source_ref, v[i].bill_id);
	}
	if (t->pass == HG_TABLE_COMMIT && !sink->dry)
		t->st.ncommitted += t->nbatch;
out:
	hg_verdicts_free(v, t->nbatch);
	free(v);
	for (i = 0; i < t->nbatch; i++)
		hg_bill_free(t->batch[i]);
	t->nbatch = 0;
	t->batch_fees = 0;
	return rc;
}

static int
finish_bill(struct hg_table *t, struct obill *ob)
{
	struct hg_bill *b = ob->b;

	t->st.nbills++;
	if (ob->last_line > t->done_line)
		t->done_line = ob->last_line;
	if (ob->bad && !t->src.keep_bad) {
		t->st.nwithheld++;
		if (t->src.withheld != NULL && t->pass == HG_TABLE_COMMIT)
			t->src.withheld(t->src.arg, ob->first_line,
			    ob->last_line);
		obill_free(ob);
		return 0;
	}
	free(b->source_ref);
	b->source_ref = hg_xasprintf("%s lines %d-%d", t->src.source,
	    ob->first_line, ob->last_line);
	ob->b = NULL;
	obill_free(ob);
	if (t->nbatch == 0)
		t->batch = hg_xrealloc(t->batch, BATCH_BILLS,
		    sizeof *t->batch);
	t->batch[t->nbatch++] = b;
	if (t->nbatch >= BATCH_BILLS || t->batch_fees >= BATCH_FEES)
		return flush(t);
	return 0;
}

/* --- pass 2 -------------------------------------------------------------- */

void
hg_table_begin(struct hg_table *t, enum hg_table_pass pass)
{
	t->pass = pass;
	hg_sfree(t->prevkey);
	hg_sfree(t->prevk0);
	t->cur = NULL;
	t->done_line = 0;
	memset(&t->st, 0, sizeof t->st);
	t->failed = t->changed = 0;
}

int
hg_table_add(struct hg_table *t, struct hg_table_row *in, struct hg_err *err)
{
	struct keyent *e;
	struct obill *ob;
	const char *key;
	uint64_t h;

	if (t->failed)
		goto failed;
	hg_sfree(t->rowp->problems);
	t->collect = t->src.keep_bad;
	tb_parse_row(t, in, 1, 0);
	key = row_key(t, &t->r);
	h = hash64(key);
	e = tab_find(t, h, 0);
	if (e == NULL) {
		/* the source changed since pass 1: the index is stale */
		t->collect = 0;
		t->changed = 1;
		return hg_failt(err, "%s changed while it was read",
		    t->src.source);
	}
	if (t->cur != NULL && t->cur->h != h) {
		ob = t->cur;
		t->cur = NULL;
		if (finish_bill(t, ob) < 0)
			goto failed;
	}
	if (e->split) {
		if (e->open == NULL)
			e->open = obill_new(t, key, h, &t->r);
		ob = e->open;
	} else {
		if (t->cur == NULL)
			t->cur = obill_new(t, key, h, &t->r);
		ob = t->cur;
	}
	add_line(t, ob, &t->r, in);
	t->collect = 0;
	if (e->split && in->line >= e->last_line) {
		e->open = NULL;
		if (finish_bill(t, ob) < 0)
			goto failed;
	}
	return 0;
failed:
	*err = t->err;
	return -1;
}

static void
drop_open(struct hg_table *t)
{
	size_t i;

	obill_free(t->cur);
	t->cur = NULL;
	/* split bills still open: only when the source changed */
	for (i = 0; i < t->tabcap; i++)
		if (t->tab[i].open != NULL) {
			obill_free(t->tab[i].open);
			t->tab[i].open = NULL;
		}
	for (i = 0; i < t->nbatch; i++)
		hg_bill_free(t->batch[i]);
	t->nbatch = 0;
}

int
hg_table_end(struct hg_table *t, struct hg_err *err)
{
	struct hg_sink *sink = t->src.sink;
	struct obill *ob;

	t->ending = 1;
	if (t->cur != NULL && !t->failed && !t->changed) {
		ob = t->cur;
		t->cur = NULL;
		finish_bill(t, ob);
	}
	if (!t->failed && !t->changed &&
	    (t->nbatch > 0 || t->src.end_cursor != NULL))
		flush(t);
	t->ending = 0;
	/* nothing of the source may be acknowledged before it is durable */
	if (!t->failed && !t->changed && t->pass == HG_TABLE_COMMIT &&
	    !sink->dry && sink->async && sink->sync(sink, &t->err) < 0)
		t->failed = 1;
	drop_open(t);
	if (t->failed) {
		*err = t->err;
		return -1;
	}
	return t->changed ? -1 : 0;
}

int
hg_table_failed(const struct hg_table *t)
{
	return t->failed;
}

int
hg_table_changed(const struct hg_table *t)
{
	return t->changed;
}

const struct hg_table_stats *
hg_table_stats(const struct hg_table *t)
{
	return &t->st;
}

void
hg_table_free(struct hg_table *t)
{
	int f;

	if (t == NULL)
		return;
	drop_open(t);
	free(t->tab);
	free(t->prevkey);
	free(t->prevk0);
	free(t->keybuf);
	free(t->batch);
	for (f = 0; f < F_N; f++)
		free(t->colname[f]);
	free(t->colstr);
	hg_bill_free(t->rowp);
	free(t);
}
