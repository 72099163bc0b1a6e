/* 未对码 in the outbox (outbox.h): the local codes invalid bills wait on,
 * read back from the reasons intake wrote.  The reasons are the record:
 * they say what was unmapped when the bill was last validated, which is
 * what a mapping row and a replay fix; the bill's fees would need the
 * mapping table to tell. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lib/xmalloc.h"
#include "queue/outbox_int.h"

struct code {
	char	*code, *name;
	long long bills, last;		/* last: the bill counted last */
	long long ids[HG_UNMAPPED_IDS];
	size_t	 nids;
};

struct codes {
	struct code *v;
	size_t	 n;
};

static struct code *
code_get(struct codes *c, const char *code, size_t len)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strlen(c->v[i].code) == len &&
		    memcmp(c->v[i].code, code, len) == 0)
			return &c->v[i];
	c->v = hg_xrealloc(c->v, c->n + 1, sizeof *c->v);
	memset(&c->v[c->n], 0, sizeof c->v[c->n]);
	c->v[c->n].code = hg_xstrndup(code, len);
	return &c->v[c->n++];
}

/* One line of reasons: "... 未对码: CODE NAME". */
static void
note_line(struct codes *c, long long id, const char *line, size_t len)
{
	const size_t ml = strlen(HG_UNMAPPED_MARK);
	const char *p, *end = line + len, *sp;
	struct code *u;

	p = memmem(line, len, HG_UNMAPPED_MARK, ml);
	if (p == NULL || (p += ml) == end || *p == '(')
		return;		/* "(no local code)": nothing to map */
	sp = memchr(p, ' ', (size_t)(end - p));
	u = code_get(c, p, (size_t)((sp != NULL ? sp : end) - p));
	if (u->name == NULL && sp != NULL && sp + 1 < end)
		u->name = hg_xstrndup(sp + 1, (size_t)(end - sp - 1));
	if (u->last == id)
		return;		/* the same code on two lines of one bill */
	u->last = id;
	u->bills++;
	if (u->nids < HG_UNMAPPED_IDS)
		u->ids[u->nids++] = id;
}

static int
by_bills(const void *a, const void *b)
{
	const struct code *x = a, *y = b;

	if (x->bills != y->bills)
		return x->bills > y->bills ? -1 : 1;
	return strcmp(x->code, y->code);
}

int
hg_outbox_unmapped(struct hg_outbox *ob,
    int (*cb)(const struct hg_unmapped *u, void *arg), void *arg,
    struct hg_err *err)
{
	struct codes c = { NULL, 0 };
	struct hg_unmapped u;
	sqlite3_stmt *s;
	const char *r, *e;
	long long id;
	size_t i;
	int rc;

	if (ob_query(ob, "SELECT id, reasons FROM bills WHERE state = ?1 AND "
	    "instr(reasons, ?2) > 0 ORDER BY id", &s, err) == -1)
		return -1;
	ob_bind_text(s, 1, HG_S_INVALID);
	ob_bind_text(s, 2, HG_UNMAPPED_MARK);
	while ((rc = ob_step_row(ob, s, err)) == 1) {
		id = sqlite3_column_int64(s, 0);
		r = (const char *)sqlite3_column_text(s, 1);
		for (; r != NULL && *r != '\0'; r = *e != '\0' ? e + 1 : e) {
			if ((e = strchr(r, '\n')) == NULL)
				e = r + strlen(r);
			note_line(&c, id, r, (size_t)(e - r));
		}
	}
	sqlite3_finalize(s);
	if (rc == 0) {
		if (c.n > 1)
			qsort(c.v, c.n, sizeof *c.v, by_bills);
		for (i = 0; i < c.n; i++) {
			u.code = c.v[i].code;
			u.name = c.v[i].name != NULL ? c.v[i].name : "";
			u.bills = c.v[i].bills;
			memcpy(u.ids, c.v[i].ids, sizeof u.ids);
			u.nids = c.v[i].nids;
			if (cb(&u, arg) != 0)
				break;
		}
	}
	for (i = 0; i < c.n; i++) {
		free(c.v[i].code);
		free(c.v[i].name);
	}
	free(c.v);
	return rc == 0 ? 0 : -1;
}
