/* The fixes reconcile --detail prints for the two kinds of 单边账:
 *
 *   reconcile reverse MSGID [BILL]  settled at the platform, not in the
 *       outbox: 2601 of that 2304 (journalled with the bill), so nothing
 *       of it is in force; a refusal says it already is not.
 *   reconcile resettle BILL  settled in the outbox, not in force at the
 *       platform (reversed or cancelled behind the agent's back): 5203
 *       with the setl_id the outbox holds confirms it, then the bill is
 *       recorded cancelled and queued to be settled again. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/reconcile.h"
#include "agent/settle.h"
#include "lib/jsonx.h"
#include "lib/xmalloc.h"
#include "queue/steps.h"

void
hg_reconcile_mask_psn(const char *psn_no, char *buf, size_t size)
{
	size_t n = strlen(psn_no), i;

	if (n <= 8) {
		snprintf(buf, size, "%s", n > 0 ? "****" : "");
		return;
	}
	snprintf(buf, size, "%s", psn_no);
	for (i = 4; i < n - 4 && i < size - 1; i++)
		buf[i] = '*';
}

struct find {
	const char *msgid;
	long long bill;
};

static int
find_msgid(const struct hg_step *st, void *arg)
{
	struct find *f = arg;

	if (strcmp(st->msgid, f->msgid) == 0) {
		f->bill = st->bill_id;
		return 1;
	}
	return 0;
}

/* The bill whose journal has a 2304 with this msgid, or 0. */
static long long
bill_of_msgid(struct hg_outbox *ob, const char *msgid, struct hg_err *err)
{
	static const char *const states[] = { HG_STEP_OK, HG_STEP_SENT,
	    HG_STEP_UNKNOWN, HG_STEP_FAILED };
	struct find f = { msgid, 0 };
	size_t i;

	for (i = 0; i < sizeof states / sizeof states[0] && f.bill == 0; i++)
		if (hg_steps_each(ob, "2304", states[i], find_msgid, &f,
		    err) == -1)
			return -1;
	return f.bill;
}

int
hg_reconcile_platform(const struct hg_config *cfg,
    struct hg_platform_shared *sh, struct hg_platform **p, struct hg_err *err)
{
	if (hg_settle_platform_init(cfg, sh, err) == -1)
		return -1;
	if ((*p = hg_platform_new(sh, err)) == NULL) {
		hg_platform_shared_destroy(sh);
		return -1;
	}
	return 0;
}

/* What --json adds to the answer of reverse and close: the call made,
 * what it was about, and the platform's refusal if it refused. */
struct json_object *
hg_reconcile_extra(const char *key, const char *value, const char *infno,
    const char *msgid, const char *refused)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, hg_json_str_new(value));
	json_object_object_add(o, "infno", json_object_new_string(infno));
	json_object_object_add(o, "call_msgid", hg_json_str_new(msgid));
	json_object_object_add(o, "refused", hg_json_str_new(refused));
	return o;
}

int
hg_reconcile_reverse(const struct hg_cli *cli, const struct hg_config *cfg,
    const char *msgid, const char *bill_arg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_call c;
	struct hg_err err;
	struct hg_cli_jctx jc;
	struct hg_journal j = { hg_cli_j_sent, hg_cli_j_answered, &jc };
	long long id = 0;
	int rc = HG_EXIT_FAIL;

	memset(&c, 0, sizeof c);
	memset(&row, 0, sizeof row);
	if (strlen(msgid) != HG_NHSA_MSGIDLEN)
		return hg_cli_usage("reconcile reverse: \"%s\" is not a msgid "
		    "(%d characters)", msgid, HG_NHSA_MSGIDLEN);
	if (bill_arg != NULL && hg_cli_bill_id("reconcile reverse", bill_arg,
	    &id) == -1)
		return HG_EXIT_USAGE;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (id == 0 && (id = bill_of_msgid(ob, msgid, &err)) == -1)
		goto fail;
	if (id == 0) {
		hg_fail(&err, "no bill of the outbox sent 2304 %s: name the "
		    "bill of that visit (hisgate reconcile reverse %s BILL)",
		    msgid, msgid);
		goto fail;
	}
	if (hg_outbox_get(ob, id, &row, &err) == -1)
		goto fail;
	if (row.psn_no == NULL || row.insuplc_admdvs == NULL) {
		hg_fail(&err, "bill %lld has no psn_no or insured place yet: "
		    "it was never sent, so msgid %s is not its", id, msgid);
		goto fail;
	}
	if (hg_reconcile_platform(cfg, &sh, &p, &err) == -1)
		goto fail;
	jc.ob = ob;
	jc.id = id;
	jc.state = row.state;
	switch (hg_platform_call(p, "2601", row.insuplc_admdvs,
	    hg_nhsa_in_2601(row.psn_no, msgid, "2304"), &j, &c)) {
	case HG_CALL_OK:
		hg_cli_outcome(cli, id, row.state, 0, hg_reconcile_extra(
		    "msgid", msgid, "2601", c.msgid, NULL), "settlement of "
		    "2304 %s reversed (2601 %s); the bill is %s", msgid,
		    c.msgid, row.state);
		rc = HG_EXIT_OK;
		break;
	case HG_CALL_REFUSED:
		/* never committed, or reversed already: nothing in force */
		hg_cli_outcome(cli, id, row.state, 0, hg_reconcile_extra(
		    "msgid", msgid, "2601", c.msgid, c.resp.err_msg), "the "
		    "platform holds nothing of 2304 %s (2601 refused: %s)",
		    msgid, c.resp.err_msg);
		rc = HG_EXIT_OK;
		break;
	default:
		fprintf(stderr, "hisgate: 2601 of %s: %s; run the same command "
		    "again: a second reversal is refused, which is an answer "
		    "too\n", msgid, c.err.msg);
		break;
	}
	hg_call_free(&c);
	hg_platform_free(p);
	hg_platform_shared_destroy(&sh);
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	hg_row_free(&row);
	hg_outbox_close(ob);
	return rc;
}

static struct json_object *
setl_of(const char *setl_id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "setl_id", hg_json_str_new(setl_id));
	return o;
}

/* Mark failed the bill's ok 2304 steps whose answer is this setl_id. */
/* Did this 2304's answer settle as setl_id?  Its answer is parsed, never
 * searched as text. */
static int
answered_setl(const struct hg_step *st, const char *setl_id)
{
	struct hg_nhsa_resp r;
	struct hg_nhsa_setl s;
	struct hg_err err;
	int match = 0;

	if (st->response == NULL || hg_nhsa_resp_parse(st->response,
	    strlen(st->response), &r, &err) == -1)
		return 0;
	if (hg_nhsa_out_setl(r.output, &s, &err) == 0)
		match = strcmp(s.setl_id, setl_id) == 0;
	hg_nhsa_resp_free(&r);
	return match;
}

static int
undo_2304(struct hg_outbox *ob, long long id, const char *setl_id,
    const char *why, struct hg_err *err)
{
	struct hg_step *st = NULL;
	char note[640];
	size_t i, n = 0;
	int rc = 0;

	if (hg_steps_list(ob, id, &st, &n, err) == -1)
		return -1;
	snprintf(note, sizeof note, "no longer in force: %s", why);
	for (i = 0; i < n && rc == 0; i++)
		if (strcmp(st[i].infno, "2304") == 0 &&
		    strcmp(st[i].state, HG_STEP_OK) == 0 &&
		    answered_setl(&st[i], setl_id))
			rc = hg_steps_answer(ob, st[i].msgid, HG_STEP_FAILED,
			    NULL, note, err);
	hg_steps_free(st, n);
	return rc;
}

int
hg_reconcile_resettle(const struct hg_cli *cli, const struct hg_config *cfg,
    const char *bill_arg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_outbox *ob;
	struct hg_nhsa_setl s;
	struct hg_row row;
	struct hg_call c;
	struct hg_err err;
	char reason[512];
	long long id;
	int rc = HG_EXIT_FAIL, open = 0;

	memset(&c, 0, sizeof c);
	memset(&row, 0, sizeof row);
	if (hg_cli_bill_id("reconcile resettle", bill_arg, &id) == -1)
		return HG_EXIT_USAGE;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (hg_outbox_get(ob, id, &row, &err) == -1)
		goto fail;
	if ((strcmp(row.state, HG_S_SETTLED) != 0 &&
	    strcmp(row.state, HG_S_AMENDED) != 0) || row.setl_id == NULL) {
		hg_fail(&err, "bill %lld is %s: only a settled bill can be "
		    "settled again", id, row.state);
		goto fail;
	}
	if (hg_reconcile_platform(cfg, &sh, &p, &err) == -1)
		goto fail;
	open = 1;
	switch (hg_platform_call(p, "5203", row.insuplc_admdvs,
	    hg_nhsa_in_5203(row.psn_no, row.setl_id, row.mdtrt_id), NULL,
	    &c)) {
	case HG_CALL_OK:
		if (hg_nhsa_out_setl(c.resp.output, &s, &err) == -1) {
			hg_err_prefix(&err, "5203 of %s", row.setl_id);
			goto fail;
		}
		if (strcmp(s.revs_flag, "1") != 0 &&
		    strcmp(s.refd_setl_flag, "1") != 0) {
			hg_cli_outcome(cli, id, row.state, 0, setl_of(
			    row.setl_id), "the platform holds settlement %s in "
			    "force (5203); nothing done", row.setl_id);
			goto out;
		}
		snprintf(reason, sizeof reason, "cancelled: settlement %s is "
		    "%s at the platform (5203), found by reconcile --detail",
		    row.setl_id, strcmp(s.revs_flag, "1") == 0 ? "reversed" :
		    "cancelled");
		break;
	case HG_CALL_REFUSED:
		/* the platform does not know the setl_id at all */
		snprintf(reason, sizeof reason, "cancelled: the platform has "
		    "no settlement %s (5203: %s), found by reconcile --detail",
		    row.setl_id, c.resp.err_msg);
		break;
	default:
		hg_fail(&err, "5203 of %s: %s; nothing done", row.setl_id,
		    c.err.msg);
		goto fail;
	}
	/* The journal's ok 2304 of that settlement is no longer in force:
	 * marked so, with why, or the step machine would take the bill for
	 * settled and never send the 2304 again. */
	if (undo_2304(ob, id, row.setl_id, reason, &err) == -1 ||
	    hg_steps_cancelled(ob, id, reason, &err) == -1 ||
	    hg_steps_requeue(ob, id, "settle again: reconcile resettle",
	    &err) == -1)
		goto fail;
	hg_cli_outcome(cli, id, HG_S_READY, 1, setl_of(row.setl_id),
	    "%s; ready, the agent settles it again", reason);
	rc = HG_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	hg_call_free(&c);
	hg_platform_free(p);
	if (open)
		hg_platform_shared_destroy(&sh);
	hg_row_free(&row);
	hg_outbox_close(ob);
	return rc;
}
