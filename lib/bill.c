#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/bill.h"
#include "lib/xmalloc.h"

struct hg_bill *
hg_bill_new(void)
{
	return hg_xcalloc(1, sizeof(struct hg_bill));
}

void
hg_set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = value != NULL ? hg_xstrdup(value) : NULL;
}

static void
fee_free(struct hg_fee *f)
{
	free(f->sn);
	free(f->init_sn);
	free(f->local_code);
	free(f->nat_code);
	free(f->name);
	free(f->spec);
	free(f->unit);
	free(f->dept_code);
	free(f->dept_name);
	free(f->doctor_code);
	free(f->doctor_name);
	free(f->category);
}

void
hg_bill_free(struct hg_bill *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nfees; i++)
		fee_free(&b->fees[i]);
	free(b->fees);
	for (i = 0; i < b->ndiags; i++) {
		free(b->diags[i].code);
		free(b->diags[i].name);
	}
	free(b->diags);
	free(b->fixmedins_code);
	free(b->fixmedins_name);
	free(b->admdvs);
	free(b->psn_name);
	free(b->gender);
	free(b->psn_cert_type);
	free(b->certno);
	free(b->insuplc_admdvs);
	free(b->insutype);
	free(b->psn_no);
	free(b->card_no);
	free(b->ipt_no);
	free(b->mdtrt_id);
	free(b->dept_code);
	free(b->dept_name);
	free(b->doctor_code);
	free(b->doctor_name);
	free(b->columns);
	free(b->problems);
	free(b->med_type);
	free(b->adapter);
	free(b->source_key);
	free(b->source_ref);
	free(b);
}

void
hg_bill_add_problem(struct hg_bill *b, int line, const char *field,
    const char *msg)
{
	char *m = hg_xstrdup(msg), *p, *add;

	/* a quoted cell may hold either: one problem stays one line */
	for (p = m; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	add = hg_xasprintf("%s%d\t%s\t%s\n", b->problems ? b->problems : "",
	    line, field, m);
	free(m);
	free(b->problems);
	b->problems = add;
}

struct hg_fee *
hg_bill_add_fee(struct hg_bill *b)
{
	struct hg_fee *f;

	if (b->nfees == b->fees_cap) {
		b->fees_cap = b->fees_cap ? b->fees_cap * 2 : 16;
		b->fees = hg_xrealloc(b->fees, b->fees_cap, sizeof *b->fees);
	}
	f = &b->fees[b->nfees++];
	memset(f, 0, sizeof *f);
	return f;
}

struct hg_diag *
hg_bill_add_diag(struct hg_bill *b)
{
	struct hg_diag *d;

	b->diags = hg_xrealloc(b->diags, b->ndiags + 1, sizeof *b->diags);
	d = &b->diags[b->ndiags++];
	memset(d, 0, sizeof *d);
	return d;
}

int64_t
hg_bill_sum(const struct hg_bill *b)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < b->nfees; i++)
		sum += b->fees[i].amount;
	return sum;
}

const char *
hg_bill_column(const struct hg_bill *b, const char *field, char *buf,
    size_t len)
{
	const char *p, *e;
	size_t n = strlen(field), m;

	if (b == NULL || b->columns == NULL || len == 0)
		return NULL;
	for (p = b->columns; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) <= n + 1 || strncmp(p, field, n) != 0 ||
		    p[n] != '=')
			continue;
		m = (size_t)(e - p) - n - 1;
		if (m >= len)
			m = len - 1;
		memcpy(buf, p + n + 1, m);
		buf[m] = '\0';
		return buf;
	}
	return NULL;
}
