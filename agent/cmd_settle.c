/* The settlement side of the command line: queue retry | queue cancel
 * (the rest of `queue` is cmd_queue.c) and slip; reconcile is
 * cmd_reconcile.c.
 *
 * `queue cancel` talks to the platform itself (2305), journalled like
 * every step the daemon sends; the daemon never touches a settled bill,
 * and the journal's state check fences two cancels against each other. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent/actions.h"
#include "agent/cli.h"
#include "agent/settle.h"
#include "agent/slip.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/steps.h"

int
hg_cli_bill_id(const char *what, const char *arg, long long *id)
{
	char *end;

	*id = strtoll(arg, &end, 10);
	if (*end != '\0' || *id <= 0) {
		hg_cli_usage("%s needs a bill number, not \"%s\"", what, arg);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* queue retry */

static int
queue_retry(struct hg_cli *cli, const struct hg_config *cfg)
{
	struct hg_outbox *ob;
	struct hg_err err;
	long long id;
	int rc = HG_EXIT_FAIL;

	if (hg_cli_bill_id("queue retry", cli->args[1], &id) == -1)
		return HG_EXIT_USAGE;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (hg_act_retry(ob, id, NULL, &err) == -1) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
	} else {
		hg_cli_outcome(cli, id, HG_S_READY, 1, NULL, "ready; the "
		    "agent settles it again");
		rc = HG_EXIT_OK;
	}
	hg_outbox_close(ob);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* queue cancel */

/* The journal of a call the CLI makes for one bill (queue cancel,
 * reconcile reverse): the bill must still be in `state` when it is
 * written. */
int
hg_cli_j_sent(void *arg, const char *infno, const char *msgid,
    const char *request, struct hg_err *err)
{
	struct hg_cli_jctx *c = arg;

	return hg_steps_sent(c->ob, c->id, NULL, 0, 0, c->state, infno, msgid,
	    request, err);
}

void
hg_cli_j_answered(void *arg, const char *msgid, const char *state,
    const char *response, const char *err_msg)
{
	struct hg_cli_jctx *c = arg;
	struct hg_err err;

	if (hg_steps_answer(c->ob, msgid, state, response, err_msg,
	    &err) == -1)
		fprintf(stderr, "hisgate: cannot record the answer to %s: %s\n",
		    msgid, err.msg);
}

/* Does the platform say this settlement is cancelled?  1 yes, 0 no,
 * -1 could not ask. */
static int
is_cancelled(struct hg_platform *p, const struct hg_journal *j,
    const struct hg_row *row, struct hg_err *err)
{
	struct hg_nhsa_setl setl;
	struct hg_call c;
	int rc = -1;

	if (hg_platform_call(p, "5203", row->insuplc_admdvs,
	    hg_nhsa_in_5203(row->psn_no, row->setl_id, row->mdtrt_id), j,
	    &c) != HG_CALL_OK) {
		*err = c.err;
		goto out;
	}
	if (hg_nhsa_out_setl(c.resp.output, &setl, err) == -1)
		goto out;
	rc = strcmp(setl.refd_setl_flag, "1") == 0 ||
	    strcmp(setl.setl_type, "2") == 0;
out:
	hg_call_free(&c);
	return rc;
}

/* A 2305 whose answer was lost: 1 it cancelled the settlement (5203
 * says so), 0 it is not in force and a new 2305 may go, -1 not known yet
 * (err says why).  First it must no longer be under way; then 5203 with
 * the setl_id the outbox holds; not cancelled: 2601 (oinfno 2305), as
 * the interface asks for a lost call that changes the platform, so that
 * it cannot land later either.  Reversed or refused (never committed,
 * reversed already): not in force.  The answer goes to its step. */
static int
lost_2305(struct hg_platform *p, const struct hg_journal *j,
    const struct hg_config *cfg, const struct hg_row *row,
    const struct hg_step *st, struct hg_err *err)
{
	const struct hg_platform_conf *pc = &cfg->platform;
	struct hg_cli_jctx *cc = j->arg;
	int64_t until, now;
	struct hg_call c;
	char why[HG_NHSA_TEXTBUF + 128];
	int r;

	until = st->sent_ms + hg_platform_timeout(pc, "2305") +
	    pc->connect_timeout_ms;
	if ((now = hg_wall_ms()) < until) {
		/* a note on the way, not the answer: stderr, so that
		 * stdout stays one JSON object with --json */
		fprintf(stderr, "hisgate: bill %lld: the answer to 2305 %s was "
		    "lost; waiting %lld s until it can no longer be under "
		    "way\n", cc->id, st->msgid,
		    (long long)((until - now + 999) / 1000));
		while ((now = hg_wall_ms()) < until)
			usleep((useconds_t)((until - now > 200 ? 200 :
			    until - now) * 1000));
	}
	if ((r = is_cancelled(p, j, row, err)) == -1) {
		hg_err_prefix(err, "the answer to 2305 %s was lost and the "
		    "platform cannot be asked (5203)", st->msgid);
		return -1;
	}
	if (r == 1) {
		hg_steps_answer(cc->ob, st->msgid, HG_STEP_OK, NULL,
		    "cancelled, as 5203 shows", NULL);
		return 1;
	}
	switch (hg_platform_call(p, "2601", row->insuplc_admdvs,
	    hg_nhsa_in_2601(row->psn_no, st->msgid, "2305"), j, &c)) {
	case HG_CALL_OK:
		snprintf(why, sizeof why, "not cancelled (5203); reversed by "
		    "2601 %s: not in force", c.msgid);
		break;
	case HG_CALL_REFUSED:
		/* never committed, or reversed already: not in force; the
		 * text is for people */
		snprintf(why, sizeof why, "not cancelled (5203); not in force: "
		    "2601 %s refused to reverse it (infcode %lld: %s)",
		    c.msgid, (long long)c.resp.infcode, c.resp.err_msg);
		break;
	default:
		*err = c.err;
		hg_err_prefix(err, "the answer to 2305 %s was lost and its "
		    "reversal (2601) could not be done", st->msgid);
		hg_call_free(&c);
		return -1;
	}
	hg_call_free(&c);
	hg_steps_answer(cc->ob, st->msgid, HG_STEP_FAILED, NULL, why, NULL);
	return 0;
}

static int
confirm(const struct hg_row *row)
{
	char name[64], total[HG_DECBUF], line[32];
	struct json_object *b = json_tokener_parse(row->bill_json);
	const char *n = hg_json_get_str(b, "psn_name");

	hg_mask_name(n != NULL ? n : "", name, sizeof name);
	json_object_put(b);
	printf("cancel settlement %s of %s, %s? [y/N] ", row->setl_id, name,
	    hg_dec_format(row->total, 2, total));
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* What --json adds to a cancellation: the settlement and the 2305. */
static struct json_object *
setl_extra(const char *setl_id, const char *msgid)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "setl_id", hg_json_str_new(setl_id));
	json_object_object_add(o, "msgid", hg_json_str_new(msgid));
	return o;
}

static int
queue_cancel(struct hg_cli *cli, const struct hg_config *cfg)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_outbox *ob;
	struct hg_row row;
	struct hg_step *st = NULL;
	struct hg_nhsa_setl canc;
	struct hg_call c;
	struct hg_err err;
	struct hg_cli_jctx cc;
	struct hg_journal j = { hg_cli_j_sent, hg_cli_j_answered, &cc };
	struct hg_step lost;
	char reason[256];
	size_t i, n = 0;
	long long id;
	int64_t sent_ms;
	int r, have_sh = 0, rc = HG_EXIT_FAIL;

	memset(&c, 0, sizeof c);
	memset(&lost, 0, sizeof lost);
	memset(&row, 0, sizeof row);
	if (hg_cli_bill_id("queue cancel", cli->args[1], &id) == -1)
		return HG_EXIT_USAGE;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (hg_outbox_get(ob, id, &row, &err) == -1)
		goto fail;
	if ((strcmp(row.state, HG_S_SETTLED) != 0 &&
	    strcmp(row.state, HG_S_AMENDED) != 0) || row.setl_id == NULL) {
		hg_fail(&err, "bill %lld is %s: only a settled bill can be "
		    "cancelled", id, row.state);
		goto fail;
	}
	if (!cli->yes && !confirm(&row)) {
		/* a script must be able to tell "not cancelled" from done */
		printf("nothing done: the settlement stands\n");
		rc = HG_EXIT_FAIL;
		goto out;
	}
	if (hg_settle_platform_init(cfg, &sh, &err) == -1)
		goto fail;
	have_sh = 1;
	if ((p = hg_platform_new(&sh, &err)) == NULL)
		goto fail;
	cc.ob = ob;
	cc.id = id;
	cc.state = row.state;
	/* A 2305 whose answer was lost (an earlier cancel interrupted) is
	 * resolved first: cancelling twice is not an option either. */
	if (hg_steps_list(ob, id, &st, &n, &err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (strcmp(st[i].infno, "2305") != 0 ||
		    (strcmp(st[i].state, HG_STEP_SENT) != 0 &&
		    strcmp(st[i].state, HG_STEP_UNKNOWN) != 0))
			continue;
		if ((r = lost_2305(p, &j, cfg, &row, &st[i], &err)) == -1)
			goto fail;
		if (r == 1) {
			snprintf(reason, sizeof reason, "cancelled: 2305 %s "
			    "(confirmed by 5203)", st[i].msgid);
			if (hg_steps_cancelled(ob, id, reason, &err) == -1)
				goto fail;
			hg_cli_outcome(cli, id, HG_S_CANCELLED, 1,
			    setl_extra(row.setl_id, st[i].msgid),
			    "settlement %s was already cancelled (2305 %s)",
			    row.setl_id, st[i].msgid);
			rc = HG_EXIT_OK;
			goto out;
		}
	}
	sent_ms = hg_wall_ms();
	switch (hg_platform_call(p, "2305", row.insuplc_admdvs,
	    hg_nhsa_in_2305(row.mdtrt_id, row.setl_id, row.psn_no), &j, &c)) {
	case HG_CALL_OK:
		break;
	case HG_CALL_NOTSENT:
		hg_err_prefix(&c.err, "nothing was cancelled");
		err = c.err;
		goto fail;
	case HG_CALL_REFUSED:
		/* Refused: perhaps because an earlier 2305 (of another
		 * process, or one whose answer this outbox lost) cancelled it
		 * already.  The text is not read; the platform is asked. */
		if (is_cancelled(p, &j, &row, &err) == 1) {
			snprintf(reason, sizeof reason, "cancelled: 2305 %s "
			    "was refused, but 5203 shows settlement %s "
			    "cancelled already", c.msgid, row.setl_id);
			if (hg_steps_cancelled(ob, id, reason, &err) == -1)
				goto fail;
			hg_cli_outcome(cli, id, HG_S_CANCELLED, 1,
			    setl_extra(row.setl_id, c.msgid), "%s", reason);
			rc = HG_EXIT_OK;
			goto out;
		}
		hg_fail(&err, "the platform refused the cancellation: %s",
		    c.resp.err_msg[0] ? c.resp.err_msg : c.err.msg);
		goto fail;
	case HG_CALL_UNKNOWN:
		/* resolve it now (the step is in the journal); if that cannot
		 * be done, the next run does */
		lost.infno = (char *)"2305";
		lost.msgid = c.msgid;
		lost.sent_ms = sent_ms;
		if ((r = lost_2305(p, &j, cfg, &row, &lost, &err)) == 1) {
			snprintf(reason, sizeof reason, "cancelled: 2305 %s "
			    "(confirmed by 5203)", c.msgid);
			if (hg_steps_cancelled(ob, id, reason, &err) == -1)
				goto fail;
			hg_cli_outcome(cli, id, HG_S_CANCELLED, 1,
			    setl_extra(row.setl_id, c.msgid),
			    "settlement %s cancelled", row.setl_id);
			rc = HG_EXIT_OK;
			goto out;
		}
		if (r == 0) {
			hg_fail(&err, "the answer to 2305 %s was lost, and it "
			    "is not in force (5203, 2601): nothing was "
			    "cancelled; run the same command again", c.msgid);
			goto fail;
		}
		hg_err_prefix(&err, "%s; the cancellation may or may not "
		    "have happened: run the same command again, it asks the "
		    "platform first", c.err.msg);
		goto fail;
	}
	if (hg_nhsa_out_setl(c.resp.output, &canc, &err) == 0)
		snprintf(reason, sizeof reason, "cancelled: settlement %s "
		    "reversed by %s (2305 %s)", row.setl_id, canc.setl_id,
		    c.msgid);
	else
		snprintf(reason, sizeof reason, "cancelled: settlement %s "
		    "(2305 %s)", row.setl_id, c.msgid);
	if (hg_steps_cancelled(ob, id, reason, &err) == -1)
		goto fail;
	hg_cli_outcome(cli, id, HG_S_CANCELLED, 1, setl_extra(row.setl_id,
	    c.msgid), "%s", reason);
	rc = HG_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	hg_call_free(&c);
	hg_steps_free(st, n);
	hg_platform_free(p);
	if (have_sh)
		hg_platform_shared_destroy(&sh);
	hg_row_free(&row);
	hg_outbox_close(ob);
	return rc;
}

int
cmd_queue_settle(struct hg_cli *cli)
{
	struct hg_config *cfg;
	int rc;

	if (cli->nargs < 1 || (strcmp(cli->args[0], "retry") != 0 &&
	    strcmp(cli->args[0], "cancel") != 0))
		return cmd_queue(cli);
	if (cli->nargs != 2)
		return hg_cli_usage("queue %s needs one bill number",
		    cli->args[0]);
	if (strcmp(cli->args[0], "cancel") == 0 && cli->json && !cli->yes)
		return hg_cli_usage("queue cancel --json cannot ask: add --yes");
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	if (strcmp(cli->args[0], "retry") == 0)
		rc = queue_retry(cli, cfg);
	else
		rc = queue_cancel(cli, cfg);
	hg_config_free(cfg);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* slip */

/* Columns on a terminal: CJK characters take two. */
static size_t
width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;
	unsigned cp;
	int len;

	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p;
			len = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			len = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			len = 3;
		} else {
			cp = *p & 0x07;
			len = 4;
		}
		for (int i = 1; i < len && p[i] != '\0'; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		w += cp >= 0x1100 && (cp <= 0x115f || cp >= 0x2e80) ? 2 : 1;
		for (int i = 0; i < len && *p != '\0'; i++)
			p++;
	}
	return w;
}

/* label padded to `cols` columns, then the amount right-aligned */
static void
amount_line(const char *indent, const char *label, int64_t fen, size_t cols)
{
	char buf[HG_DECBUF];
	size_t w = width(label);

	printf("%s%s%*s%14s\n", indent, label, (int)(cols > w ? cols - w : 0),
	    "", hg_dec_format(fen, 2, buf));
}

static void
field(const char *label, const char *value)
{
	size_t w = width(label);

	printf("  %s%*s%s\n", label, (int)(w < 10 ? 10 - w : 0), "",
	    value != NULL && value[0] != '\0' ? value : "-");
}

static struct json_object *
dec(int64_t v)
{
	return hg_json_dec(v, HG_SCALE_FEN);
}

int
cmd_slip(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_outbox *ob = NULL;
	struct hg_slip sl;
	const struct hg_bill *b;
	const struct hg_nhsa_setl *sp = &sl.setl;
	struct hg_err err;
	char stay[96], when[64];
	const char *rule = "  ----------------------------------------------";
	long long id;
	int rc = HG_EXIT_FAIL;

	memset(&sl, 0, sizeof sl);
	if (cli->nargs != 1)
		return hg_cli_usage("slip needs one bill number");
	if (hg_cli_bill_id("slip", cli->args[0], &id) == -1)
		return HG_EXIT_USAGE;
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	if ((ob = hg_cli_outbox(cfg, HG_OB_READONLY)) == NULL)
		goto out;
	if (hg_slip_load(ob, cfg, id, 1, &sl, &err) == -1)
		goto fail;
	b = sl.bill;
	if (cli->json) {
		struct json_object *j = json_object_new_object();

#define JS(k, v) json_object_object_add(j, k, hg_json_str_new(v))
		json_object_object_add(j, "id", json_object_new_int64(id));
		JS("state", sl.row.state);
		JS("hospital", sl.hospital);
		JS("fixmedins_code", b->fixmedins_code);
		JS("psn_name", sl.name);
		JS("certno", sl.cert);
		JS("ipt_no", b->ipt_no);
		JS("dept_name", b->dept_name);
		JS("adm_time", b->adm_time);
		JS("dscg_time", b->dscg_time);
		json_object_object_add(j, "days",
		    json_object_new_int64(sl.days));
		JS("insutype", sp->insutype);
		JS("insuplc_admdvs", sl.row.insuplc_admdvs);
		json_object_object_add(j, "medfee_sumamt",
		    dec(sp->medfee_sumamt));
		json_object_object_add(j, "hifp_pay", dec(sp->hifp_pay));
		json_object_object_add(j, "hifmi_pay", dec(sp->hifmi_pay));
		json_object_object_add(j, "maf_pay", dec(sp->maf_pay));
		json_object_object_add(j, "other_fund_pay", dec(sl.other));
		json_object_object_add(j, "fund_pay_sumamt",
		    dec(sp->fund_pay_sumamt));
		json_object_object_add(j, "acct_pay", dec(sp->acct_pay));
		json_object_object_add(j, "psn_cash_pay",
		    dec(sp->psn_cash_pay));
		json_object_object_add(j, "hosp_part_amt",
		    dec(sp->hosp_part_amt));
		JS("setl_id", sp->setl_id);
		JS("mdtrt_id", sp->mdtrt_id);
		JS("setl_time", sp->setl_time);
#undef JS
		json_object_object_add(j, "cancelled",
		    json_object_new_boolean(sl.cancelled));
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		rc = HG_EXIT_OK;
		goto out;
	}
	printf("\n                一单式结算单（住院）\n");
	if (sl.cancelled)
		printf("          *** 本次结算已撤销 (cancelled) ***\n");
	printf("\n");
	field("医疗机构", sl.hospital);
	field("姓名", sl.name);
	field("证件号码", sl.cert);
	field("住院号", b->ipt_no);
	field("科室", b->dept_name);
	snprintf(stay, sizeof stay, "%.16s 至 %.16s（%ld 天）", b->adm_time,
	    b->dscg_time, sl.days);
	field("住院时间", stay);
	snprintf(when, sizeof when, "%s%s%s", sp->insutype,
	    sl.row.insuplc_admdvs ? "  参保地 " : "",
	    sl.row.insuplc_admdvs ? sl.row.insuplc_admdvs : "");
	field("险种", when);
	printf("%s\n", rule);
	amount_line("  ", "医疗费总额", sp->medfee_sumamt, 32);
	amount_line("    ", "基本医疗保险统筹基金支付", sp->hifp_pay, 30);
	amount_line("    ", "大病保险", sp->hifmi_pay, 30);
	amount_line("    ", "医疗救助", sp->maf_pay, 30);
	amount_line("    ", "其他", sl.other, 30);
	if (sp->acct_pay != 0)
		amount_line("  ", "个人账户支付", sp->acct_pay, 32);
	if (sp->hosp_part_amt != 0)
		amount_line("  ", "医院负担", sp->hosp_part_amt, 32);
	amount_line("  ", "个人现金支付", sp->psn_cash_pay, 32);
	printf("%s\n", rule);
	field("结算编号", sp->setl_id);
	field("结算时间", sp->setl_time);
	printf("\n");
	rc = HG_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	hg_slip_free(&sl);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return rc;
}
