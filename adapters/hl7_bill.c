/* HL7 v2 messages to a canonical bill.  A visit's messages are folded
 * in arrival order: patient and visit fields from PID and PV1 (a later
 * non-empty value wins), fee lines from FT1 (a line whose transaction id,
 * FT1-2, was seen before replaces it: a sender's correction), diagnoses
 * from the last message that has DG1 segments, the discharge time from
 * the ADT^A03.
 *
 * Field use (his-side.md §6b): PID-3 repetitions with identifier type
 * NNCHN, or PID-19, give the ID number; PID-5 the name (a Latin second
 * component after a Chinese first is pinyin, dropped); PID-8 the sex;
 * PV1-3.1 the department, PV1-7 the doctor, PV1-19 the visit number,
 * PV1-44/45 admission and discharge; FT1-4 the time, FT1-7 the local
 * code, name and (as the alternate code) the national code, FT1-10
 * quantity, FT1-11 line amount, FT1-12 unit price, FT1-13 department,
 * FT1-21 (else FT1-20) the doctor; FT1-6 CR (credit) or a negative
 * quantity is a refund of the charge whose FT1-2 is in FT1-31. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/datefmt.h"
#include "adapters/hl7_priv.h"
#include "lib/money.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

void
hg_hl7_head_free(struct hg_hl7_head *h)
{
	free(h->type);
	free(h->visit);
	free(h->ctrl);
	memset(h, 0, sizeof *h);
}

/* HL7 TS (YYYYMMDD[HH[MM[SS]]], a fraction of a second and a zone cut
 * first: the HIS writes local time) or a dashed time, read by datefmt.c
 * with a fixed list compiled once. */
static const char *const ts_formats[] = {
	"yyyyMMddHHmmss", "yyyyMMddHHmm", "yyyyMMddHH", "yyyyMMdd",
	"yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd",
};
static struct hg_datefmt *ts_fmt;
static pthread_once_t ts_once = PTHREAD_ONCE_INIT;

static void
ts_compile(void)
{
	struct hg_strlist l = { (char **)ts_formats,
	    sizeof ts_formats / sizeof ts_formats[0] };
	struct hg_conf_errs errs = { NULL, 0 };

	hg_datefmt_new(&l, "hl7", 0, &errs, &ts_fmt);
	hg_conf_errs_free(&errs);
}

int
hg_hl7_time(const char *field, const char *v, char out[HG_TIMELEN],
    struct hg_err *err)
{
	char ts[32], why[256];
	size_t n = strspn(v, "0123456789");

	pthread_once(&ts_once, ts_compile);
	if (n >= 8 && n < sizeof ts &&
	    (v[n] == '.' || v[n] == '+' || v[n] == '-')) {
		memcpy(ts, v, n);
		ts[n] = '\0';
		v = ts;
	}
	if (hg_datefmt_parse(ts_fmt, v, out, why, sizeof why) == 0)
		return 0;
	if (strstr(why, " is not a real ") != NULL)
		return hg_fail(err, "%s: %s", field, why);
	return hg_fail(err, "%s: \"%s\" is not a time (expected HL7 TS "
	    "like 20240301091000, or 2024-03-01 09:10:00)", field, v);
}

static int
required(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int nth,
    int f, const char *what, const char *expected, struct hg_err *err)
{
	char *v = hg_hl7_get(m, s, f, 0, 1);
	int empty = *v == '\0';

	free(v);
	if (!empty)
		return 0;
	return hg_fail(err, "segment %d (FT1 #%d): FT1-%d %s is empty "
	    "(expected %s)", s->n, nth, f, what, expected);
}

/* FT1 checks for an arriving message: everything the fold needs must
 * read, so that a stored message never fails later. */
static int
check_ft1(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int nth,
    struct hg_err *err)
{
	static const struct {
		int f, scale;
		const char *what;
	} num[] = {
		{ 10, HG_SCALE_QTY, "quantity" },
		{ 11, HG_SCALE_FEN, "line amount" },
		{ 12, HG_SCALE_PRICE, "unit price" },
	};
	char *v, t[HG_TIMELEN], field[32];
	struct hg_err e;
	int64_t x;
	size_t i;
	int rc = 0;

	if (required(m, s, nth, 2, "transaction ID", "the HIS's fee line "
	    "number, unique within the visit", err) < 0 ||
	    required(m, s, nth, 7, "transaction code", "the local item code "
	    "as its first component", err) < 0)
		return -1;
	v = hg_hl7_get(m, s, 6, 0, 1);
	if (*v != '\0' && strcmp(v, "CG") != 0 && strcmp(v, "CR") != 0)
		rc = hg_fail(err, "segment %d (FT1 #%d): FT1-6 transaction "
		    "type \"%s\" is not one hisgate takes (expected CG, a "
		    "charge, or CR, a credit)", s->n, nth, v);
	else if (strcmp(v, "CR") == 0)
		rc = required(m, s, nth, 31, "transaction reference key",
		    "for a credit (CR), the FT1-2 transaction ID of the "
		    "charge it refunds", err);
	free(v);
	if (rc < 0)
		return -1;
	v = hg_hl7_get(m, s, 4, 0, 1);
	if (*v != '\0' && hg_hl7_time("FT1-4", v, t, &e) < 0)
		rc = hg_fail(err, "segment %d (FT1 #%d): %s", s->n, nth,
		    e.msg);
	free(v);
	for (i = 0; rc == 0 && i < sizeof num / sizeof num[0]; i++) {
		v = hg_hl7_get(m, s, num[i].f, 0, 1);
		snprintf(field, sizeof field, "FT1-%d %s", num[i].f,
		    num[i].what);
		if (hg_dec_parse(field, v, num[i].scale, &x, &e) < 0)
			rc = hg_fail(err, "segment %d (FT1 #%d): %s", s->n,
			    nth, e.msg);
		free(v);
	}
	return rc;
}

int
hg_hl7_classify(const struct hg_hl7_msg *m, struct hg_hl7_head *h,
    struct hg_err *err)
{
	const struct hg_hl7_seg *msh = &m->seg[0], *pv1, *s;
	char *code, *event;
	size_t i;
	int nft1 = 0;

	memset(h, 0, sizeof *h);
	err->kind = HG_EPERM;
	h->ctrl = hg_hl7_get(m, msh, 10, 0, 0);
	code = hg_hl7_get(m, msh, 9, 0, 1);
	event = hg_hl7_get(m, msh, 9, 0, 2);
	h->type = hg_xasprintf("%s^%s", code, event);
	if (*h->ctrl == '\0') {
		h->errcode = 101;
		hg_fail(err, "MSH-10 message control ID is empty (expected "
		    "an ID unique to this message)");
		goto fail;
	}
	if ((strcmp(code, "DFT") == 0 && strcmp(event, "P03") == 0) ||
	    (strcmp(code, "BAR") == 0 && strcmp(event, "P01") == 0))
		h->kind = HG_HL7_CHARGES;
	else if (strcmp(code, "ADT") == 0 && strcmp(event, "A03") == 0)
		h->kind = HG_HL7_DISCHARGE;
	else if (strcmp(code, "ADT") == 0 && *event != '\0') {
		h->kind = HG_HL7_OTHER_ADT;
		goto ok;
	} else {
		h->errcode = 200;
		hg_fail(err, "MSH-9 message type \"%s\" is not one hisgate "
		    "takes (expected DFT^P03, BAR^P01 or ADT^A03)", h->type);
		goto fail;
	}
	pv1 = hg_hl7_seg(m, "PV1", 0);
	h->errcode = 101;
	if (pv1 == NULL) {
		hg_fail(err, "%s has no PV1 segment (expected PV1 with the "
		    "visit number in PV1-19)", h->type);
		goto fail;
	}
	h->visit = hg_hl7_get(m, pv1, 19, 0, 1);
	if (*h->visit == '\0') {
		hg_fail(err, "segment %d (PV1): PV1-19 visit number is empty "
		    "(expected the HIS's inpatient or visit number)", pv1->n);
		goto fail;
	}
	if (hg_hl7_seg(m, "PID", 0) == NULL) {
		hg_fail(err, "%s has no PID segment (expected PID with the "
		    "patient)", h->type);
		goto fail;
	}
	for (i = 0; i < m->nseg; i++) {
		s = &m->seg[i];
		if (strcmp(s->name, "FT1") != 0)
			continue;
		h->errcode = 102;
		if (check_ft1(m, s, ++nft1, err) < 0)
			goto fail;
	}
	if (h->kind == HG_HL7_CHARGES && nft1 == 0) {
		h->errcode = 101;
		hg_fail(err, "%s has no FT1 segment (expected one FT1 per "
		    "charge)", h->type);
		goto fail;
	}
ok:
	h->errcode = 0;
	free(code);
	free(event);
	err->kind = HG_OK;
	return 0;
fail:
	free(code);
	free(event);
	return -1;
}

/* --- the fold ---------------------------------------------------------- */

struct hg_hl7_fold {
	struct hg_bill *b;
	int	 nft1;		/* FT1 segments seen, for fee->line */
	struct hg_buf ctrls;	/* control ids, for source_ref */
	size_t	 nmsg;
};

struct hg_hl7_fold *
hg_hl7_fold_new(const char *adapter, const char *visit)
{
	struct hg_hl7_fold *fo = hg_xcalloc(1, sizeof *fo);

	fo->b = hg_bill_new();
	hg_set_str(&fo->b->adapter, adapter);
	hg_set_str(&fo->b->source_key, visit);
	hg_set_str(&fo->b->ipt_no, visit);
	fo->b->line = 1;
	return fo;
}

void
hg_hl7_fold_free(struct hg_hl7_fold *fo)
{
	if (fo == NULL)
		return;
	hg_bill_free(fo->b);
	hg_buf_free(&fo->ctrls);
	free(fo);
}

/* Set *slot from a value the caller owns, when it is not empty. */
static void
take(char **slot, char *v)
{
	if (*v != '\0')
		hg_set_str(slot, v);
	free(v);
}

static int
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* XPN/XCN names: family^given, Chinese as one word; a Latin given name
 * after a Chinese family name is the pinyin of the whole name. */
static char *
person(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int f,
    int first)
{
	char *fam = hg_hl7_get(m, s, f, 0, first);
	char *giv = hg_hl7_get(m, s, f, 0, first + 1);
	char *v;

	if (*giv == '\0' || (!ascii(fam) && ascii(giv)))
		v = hg_xstrdup(fam);
	else if (ascii(fam) && ascii(giv))
		v = hg_xasprintf("%s %s", fam, giv);
	else
		v = hg_xasprintf("%s%s", fam, giv);
	free(fam);
	free(giv);
	return v;
}

static const char *
sex_code(const char *s)
{
	if (strcmp(s, "M") == 0 || strcmp(s, "男") == 0 ||
	    strcmp(s, "1") == 0)
		return "1";
	if (strcmp(s, "F") == 0 || strcmp(s, "女") == 0 ||
	    strcmp(s, "2") == 0)
		return "2";
	if (strcmp(s, "U") == 0 || strcmp(s, "0") == 0)
		return "0";
	if (*s != '\0')
		return "9";
	return NULL;
}

static void
fold_pid(struct hg_hl7_fold *fo, const struct hg_hl7_msg *m,
    const struct hg_hl7_seg *s)
{
	struct hg_bill *b = fo->b;
	size_t i, n = hg_hl7_reps(m, s, 3);
	char *v;
	const char *sex;

	for (i = 0; i < n; i++) {
		char *type = hg_hl7_get(m, s, 3, (int)i, 5);

		v = hg_hl7_get(m, s, 3, (int)i, 1);
		if (strcmp(type, "NNCHN") == 0 || strcmp(type, "ID") == 0) {
			hg_norm_id(v);
			take(&b->certno, v);
		} else if (strcmp(type, "SS") == 0) {
			take(&b->card_no, v);
		} else
			free(v);
		free(type);
	}
	if (b->certno == NULL) {
		v = hg_hl7_get(m, s, 19, 0, 1);
		hg_norm_id(v);
		take(&b->certno, v);
	}
	take(&b->psn_name, person(m, s, 5, 1));
	v = hg_hl7_get(m, s, 8, 0, 1);
	sex = sex_code(v);
	if (sex != NULL)
		hg_set_str(&b->gender, sex);
	free(v);
}

static void
fold_time(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int f,
    char out[HG_TIMELEN])
{
	char *v = hg_hl7_get(m, s, f, 0, 1), t[HG_TIMELEN];

	if (*v != '\0' && hg_hl7_time("", v, t, NULL) == 0)
		memcpy(out, t, HG_TIMELEN);
	else if (*v != '\0' && out[0] == '\0')
		snprintf(out, HG_TIMELEN, "%s", v);	/* validation names it */
	free(v);
}

static void
fold_pv1(struct hg_hl7_fold *fo, const struct hg_hl7_msg *m,
    const struct hg_hl7_seg *s, int discharge)
{
	struct hg_bill *b = fo->b;

	take(&b->dept_code, hg_hl7_get(m, s, 3, 0, 1));
	take(&b->doctor_code, hg_hl7_get(m, s, 7, 0, 1));
	take(&b->doctor_name, person(m, s, 7, 2));
	fold_time(m, s, 44, b->adm_time);
	if (discharge)
		fold_time(m, s, 45, b->dscg_time);
}

static void
fold_ft1(struct hg_hl7_fold *fo, const struct hg_hl7_msg *m,
    const struct hg_hl7_seg *s)
{
	struct hg_bill *b = fo->b;
	struct hg_fee *fe = NULL;
	char *sn = hg_hl7_get(m, s, 2, 0, 1), *v;
	size_t i;

	fo->nft1++;
	for (i = 0; i < b->nfees; i++)
		if (strcmp(b->fees[i].sn, sn) == 0) {
			/* a correction: the line is read again */
			fe = &b->fees[i];
			break;
		}
	if (fe == NULL) {
		fe = hg_bill_add_fee(b);
		fe->sn = sn;
	} else
		free(sn);
	fe->line = fo->nft1;
	hg_set_str(&fe->local_code, NULL);
	take(&fe->local_code, hg_hl7_get(m, s, 7, 0, 1));
	hg_set_str(&fe->name, NULL);
	take(&fe->name, hg_hl7_get(m, s, 7, 0, 2));
	if (fe->name == NULL)
		take(&fe->name, hg_hl7_get(m, s, 8, 0, 1));
	hg_set_str(&fe->nat_code, NULL);
	take(&fe->nat_code, hg_hl7_get(m, s, 7, 0, 4));
	fe->time[0] = '\0';
	fold_time(m, s, 4, fe->time);
	v = hg_hl7_get(m, s, 10, 0, 1);
	(void)hg_dec_parse("", v, HG_SCALE_QTY, &fe->qty, NULL);
	free(v);
	v = hg_hl7_get(m, s, 11, 0, 1);
	(void)hg_dec_parse("", v, HG_SCALE_FEN, &fe->amount, NULL);
	free(v);
	v = hg_hl7_get(m, s, 12, 0, 1);
	(void)hg_dec_parse("", v, HG_SCALE_PRICE, &fe->price, NULL);
	free(v);
	/* a credit (CR) refunds the charge FT1-31 names; senders write its
	 * quantity and amount with or without the minus sign, the bill has
	 * both negative.  A negative charge (CG) is a refund too, and may
	 * name its charge the same way. */
	hg_set_str(&fe->init_sn, NULL);
	take(&fe->init_sn, hg_hl7_get(m, s, 31, 0, 1));
	v = hg_hl7_get(m, s, 6, 0, 1);
	if (strcmp(v, "CR") == 0) {
		if (fe->qty > 0)
			fe->qty = -fe->qty;
		if (fe->amount > 0)
			fe->amount = -fe->amount;
	}
	free(v);
	take(&fe->dept_code, hg_hl7_get(m, s, 13, 0, 1));
	take(&fe->dept_name, hg_hl7_get(m, s, 13, 0, 2));
	v = hg_hl7_get(m, s, 21, 0, 1);
	if (*v != '\0') {
		take(&fe->doctor_code, v);
		take(&fe->doctor_name, person(m, s, 21, 2));
	} else {
		free(v);
		take(&fe->doctor_code, hg_hl7_get(m, s, 20, 0, 1));
		take(&fe->doctor_name, person(m, s, 20, 2));
	}
	/* the visit's department name, when a line names it */
	if (b->dept_name == NULL && fe->dept_name != NULL &&
	    b->dept_code != NULL && fe->dept_code != NULL &&
	    strcmp(b->dept_code, fe->dept_code) == 0)
		hg_set_str(&b->dept_name, fe->dept_name);
}

static void
fold_dg1(struct hg_hl7_fold *fo, const struct hg_hl7_msg *m)
{
	struct hg_bill *b = fo->b;
	const struct hg_hl7_seg *s;
	size_t i, nth = 0;
	int have_main = 0;

	if (hg_hl7_seg(m, "DG1", 0) == NULL)
		return;
	for (i = 0; i < b->ndiags; i++) {
		free(b->diags[i].code);
		free(b->diags[i].name);
	}
	b->ndiags = 0;
	while ((s = hg_hl7_seg(m, "DG1", nth++)) != NULL) {
		struct hg_diag *d = hg_bill_add_diag(b);
		char *type = hg_hl7_get(m, s, 6, 0, 1);
		char *prio = hg_hl7_get(m, s, 15, 0, 1);

		d->code = hg_hl7_get(m, s, 3, 0, 1);
		d->name = hg_hl7_get(m, s, 3, 0, 2);
		if (*d->name == '\0') {
			free(d->name);
			d->name = hg_hl7_get(m, s, 4, 0, 1);
		}
		/* DG1-15 priority 1 is the main diagnosis; without
		 * priorities, the first final (F) one */
		if (strcmp(prio, "1") == 0 && !have_main)
			d->main = have_main = 1;
		free(type);
		free(prio);
	}
	for (i = 0; !have_main && i < b->ndiags; i++) {
		char *type = hg_hl7_get(m, hg_hl7_seg(m, "DG1", i), 6, 0, 1);

		if (strcmp(type, "F") == 0 || i + 1 == b->ndiags) {
			b->diags[i].main = have_main = 1;
		}
		free(type);
	}
}

int
hg_hl7_fold_add(struct hg_hl7_fold *fo, const struct hg_hl7_msg *m,
    const char *ctrl, struct hg_err *err)
{
	struct hg_hl7_head h;
	const struct hg_hl7_seg *s;
	size_t i;

	if (hg_hl7_classify(m, &h, err) < 0)
		return -1;
	for (i = 0; i < m->nseg; i++) {
		s = &m->seg[i];
		if (strcmp(s->name, "PID") == 0)
			fold_pid(fo, m, s);
		else if (strcmp(s->name, "PV1") == 0)
			fold_pv1(fo, m, s, h.kind == HG_HL7_DISCHARGE);
		else if (strcmp(s->name, "FT1") == 0)
			fold_ft1(fo, m, s);
	}
	fold_dg1(fo, m);
	if (h.kind == HG_HL7_DISCHARGE && fo->b->dscg_time[0] == '\0' &&
	    (s = hg_hl7_seg(m, "EVN", 0)) != NULL) {
		fold_time(m, s, 6, fo->b->dscg_time);
		if (fo->b->dscg_time[0] == '\0')
			fold_time(m, s, 2, fo->b->dscg_time);
	}
	if (fo->nmsg++ > 0)
		hg_buf_adds(&fo->ctrls, ", ");
	hg_buf_adds(&fo->ctrls, ctrl);
	hg_hl7_head_free(&h);
	return 0;
}

struct hg_bill *
hg_hl7_fold_end(struct hg_hl7_fold *fo)
{
	struct hg_bill *b = fo->b;

	b->source_ref = hg_xasprintf("visit %s, %zu message%s (%s)",
	    b->source_key, fo->nmsg, fo->nmsg == 1 ? "" : "s",
	    fo->ctrls.data != NULL ? fo->ctrls.data : "");
	fo->b = NULL;
	hg_hl7_fold_free(fo);
	return b;
}
