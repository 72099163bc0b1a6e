/* The settlement side of the command line: queue retry | queue cancel
 * (the rest of `queue` is cmd_queue.c), slip and reconcile.
 *
 * `queue cancel` talks to the platform itself (2305), journalled like
 * every step the daemon sends; the daemon never touches a settled bill,
 * and the journal's state check fences two cancels against each other. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/settle.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/steps.h"

static int
parse_id(const char *what, const char *arg, long long *id)
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

	if (parse_id("queue retry", cli->args[1], &id) == -1)
		return HG_EXIT_USAGE;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		return HG_EXIT_FAIL;
	if (hg_steps_requeue(ob, id, "queue retry (by hand)", &err) == -1) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
	} else {
		printf("bill %lld: ready; the agent settles it again\n", id);
		rc = HG_EXIT_OK;
	}
	hg_outbox_close(ob);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* queue cancel */

struct cancel {
	struct hg_outbox *ob;
	long long id;
	const char *state;	/* the bill's, checked at every journal write */
};

static int
c_sent(void *arg, const char *infno, const char *msgid, const char *request,
    struct hg_err *err)
{
	struct cancel *c = arg;

	return hg_steps_sent(c->ob, c->id, NULL, 0, 0, c->state, infno, msgid,
	    request, err);
}

static void
c_answered(void *arg, const char *msgid, const char *state,
    const char *response, const char *err_msg)
{
	struct cancel *c = arg;
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
	struct cancel cc;
	struct hg_journal j = { c_sent, c_answered, &cc };
	char reason[256];
	size_t i, n = 0;
	long long id;
	int r, have_sh = 0, rc = HG_EXIT_FAIL;

	memset(&c, 0, sizeof c);
	memset(&row, 0, sizeof row);
	if (parse_id("queue cancel", cli->args[1], &id) == -1)
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
		if ((r = is_cancelled(p, &j, &row, &err)) == -1) {
			hg_err_prefix(&err, "an earlier cancel (2305 %s) has "
			    "no answer and the platform cannot be asked "
			    "(5203)", st[i].msgid);
			goto fail;
		}
		if (r == 1) {
			hg_steps_answer(ob, st[i].msgid, HG_STEP_OK, NULL,
			    "cancelled, as 5203 shows", NULL);
			snprintf(reason, sizeof reason, "cancelled: 2305 %s "
			    "(confirmed by 5203)", st[i].msgid);
			if (hg_steps_cancelled(ob, id, reason, &err) == -1)
				goto fail;
			printf("bill %lld: settlement %s was already cancelled "
			    "(2305 %s)\n", id, row.setl_id, st[i].msgid);
			rc = HG_EXIT_OK;
			goto out;
		}
		hg_steps_answer(ob, st[i].msgid, HG_STEP_FAILED, NULL,
		    "not cancelled, as 5203 shows", NULL);
	}
	switch (hg_platform_call(p, "2305", row.insuplc_admdvs,
	    hg_nhsa_in_2305(row.mdtrt_id, row.setl_id, row.psn_no), &j, &c)) {
	case HG_CALL_OK:
		break;
	case HG_CALL_NOTSENT:
		hg_err_prefix(&c.err, "nothing was cancelled");
		err = c.err;
		goto fail;
	case HG_CALL_REFUSED:
		hg_fail(&err, "the platform refused the cancellation: %s",
		    c.resp.err_msg[0] ? c.resp.err_msg : c.err.msg);
		goto fail;
	case HG_CALL_UNKNOWN:
		/* ask at once; if even that fails, the next run asks */
		if ((r = is_cancelled(p, &j, &row, &err)) == 1) {
			hg_steps_answer(ob, c.msgid, HG_STEP_OK, NULL,
			    "cancelled, as 5203 shows", NULL);
			snprintf(reason, sizeof reason, "cancelled: 2305 %s "
			    "(confirmed by 5203)", c.msgid);
			if (hg_steps_cancelled(ob, id, reason, &err) == -1)
				goto fail;
			printf("bill %lld: settlement %s cancelled\n", id,
			    row.setl_id);
			rc = HG_EXIT_OK;
			goto out;
		}
		hg_fail(&err, "%s; the cancellation may or may not have "
		    "happened: run the same command again, it asks the "
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
	printf("bill %lld: %s\n", id, reason);
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

static long
stay_days(const char *adm, const char *dscg)
{
	struct tm a, d;

	memset(&a, 0, sizeof a);
	memset(&d, 0, sizeof d);
	if (adm == NULL || dscg == NULL ||
	    sscanf(adm, "%d-%d-%d", &a.tm_year, &a.tm_mon, &a.tm_mday) != 3 ||
	    sscanf(dscg, "%d-%d-%d", &d.tm_year, &d.tm_mon, &d.tm_mday) != 3)
		return -1;
	a.tm_year -= 1900;
	d.tm_year -= 1900;
	a.tm_mon--;
	d.tm_mon--;
	/* calendar days, as a hospital counts a stay (at least one) */
	long n = (long)((timegm(&d) - timegm(&a)) / 86400);
	return n < 1 ? 1 : n;
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
	struct hg_bill *b = NULL;
	struct hg_row row;
	struct hg_nhsa_setl s;
	struct json_object *o = NULL;
	struct hg_err err;
	char cert[64], stay[96], when[64];
	const char *rule = "  ----------------------------------------------";
	int64_t other;
	long long id;
	long days;
	int rc = HG_EXIT_FAIL;

	memset(&row, 0, sizeof row);
	if (cli->nargs != 1)
		return hg_cli_usage("slip needs one bill number");
	if (parse_id("slip", cli->args[0], &id) == -1)
		return HG_EXIT_USAGE;
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	if ((ob = hg_cli_outbox(cfg, HG_OB_READONLY)) == NULL)
		goto out;
	if (hg_outbox_get(ob, id, &row, &err) == -1)
		goto fail;
	if (row.setl_json == NULL) {
		hg_fail(&err, "bill %lld is %s: it has no settlement (yet)",
		    id, row.state);
		goto fail;
	}
	if (hg_json_parse(row.setl_json, &o, &err) == -1 ||
	    hg_nhsa_out_setl(o, &s, &err) == -1 ||
	    hg_bill_from_json(row.bill_json, &b, &err) == -1)
		goto fail;
	/* everything counted in fund_pay_sumamt that has no line of its own */
	other = s.fund_pay_sumamt - s.hifp_pay - s.hifmi_pay - s.maf_pay;
	hg_mask_certno(b->certno ? b->certno : "", cert, sizeof cert);
	days = stay_days(b->adm_time, b->dscg_time);
	if (cli->json) {
		struct json_object *j = json_object_new_object();

#define JS(k, v) json_object_object_add(j, k, hg_json_str_new(v))
		json_object_object_add(j, "id", json_object_new_int64(id));
		JS("state", row.state);
		JS("hospital", b->fixmedins_name ? b->fixmedins_name :
		    cfg->agent.fixmedins_name);
		JS("fixmedins_code", b->fixmedins_code);
		JS("psn_name", b->psn_name);
		JS("certno", cert);
		JS("ipt_no", b->ipt_no);
		JS("dept_name", b->dept_name);
		JS("adm_time", b->adm_time);
		JS("dscg_time", b->dscg_time);
		json_object_object_add(j, "days", json_object_new_int64(days));
		JS("insutype", s.insutype);
		JS("insuplc_admdvs", row.insuplc_admdvs);
		json_object_object_add(j, "medfee_sumamt",
		    dec(s.medfee_sumamt));
		json_object_object_add(j, "hifp_pay", dec(s.hifp_pay));
		json_object_object_add(j, "hifmi_pay", dec(s.hifmi_pay));
		json_object_object_add(j, "maf_pay", dec(s.maf_pay));
		json_object_object_add(j, "other_fund_pay", dec(other));
		json_object_object_add(j, "fund_pay_sumamt",
		    dec(s.fund_pay_sumamt));
		json_object_object_add(j, "acct_pay", dec(s.acct_pay));
		json_object_object_add(j, "psn_cash_pay", dec(s.psn_cash_pay));
		json_object_object_add(j, "hosp_part_amt",
		    dec(s.hosp_part_amt));
		JS("setl_id", s.setl_id);
		JS("mdtrt_id", s.mdtrt_id);
		JS("setl_time", s.setl_time);
#undef JS
		json_object_object_add(j, "cancelled", json_object_new_boolean(
		    strcmp(row.state, HG_S_CANCELLED) == 0));
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		rc = HG_EXIT_OK;
		goto out;
	}
	printf("\n                一单式结算单（住院）\n");
	if (strcmp(row.state, HG_S_CANCELLED) == 0)
		printf("          *** 本次结算已撤销 (cancelled) ***\n");
	printf("\n");
	field("医疗机构", b->fixmedins_name && b->fixmedins_name[0] ?
	    b->fixmedins_name : cfg->agent.fixmedins_name);
	field("姓名", b->psn_name);
	field("证件号码", cert);
	field("住院号", b->ipt_no);
	field("科室", b->dept_name);
	snprintf(stay, sizeof stay, "%.16s 至 %.16s（%ld 天）", b->adm_time,
	    b->dscg_time, days);
	field("住院时间", stay);
	snprintf(when, sizeof when, "%s%s%s", s.insutype,
	    row.insuplc_admdvs ? "  参保地 " : "",
	    row.insuplc_admdvs ? row.insuplc_admdvs : "");
	field("险种", when);
	printf("%s\n", rule);
	amount_line("  ", "医疗费总额", s.medfee_sumamt, 32);
	amount_line("    ", "基本医疗保险统筹基金支付", s.hifp_pay, 30);
	amount_line("    ", "大病保险", s.hifmi_pay, 30);
	amount_line("    ", "医疗救助", s.maf_pay, 30);
	amount_line("    ", "其他", other, 30);
	if (s.acct_pay != 0)
		amount_line("  ", "个人账户支付", s.acct_pay, 32);
	if (s.hosp_part_amt != 0)
		amount_line("  ", "医院负担", s.hosp_part_amt, 32);
	amount_line("  ", "个人现金支付", s.psn_cash_pay, 32);
	printf("%s\n", rule);
	field("结算编号", s.setl_id);
	field("结算时间", s.setl_time);
	printf("\n");
	rc = HG_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	json_object_put(o);
	hg_bill_free(b);
	hg_row_free(&row);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* reconcile */

struct group {
	char	 insutype[HG_NHSA_CODEBUF];
	char	 clr_type[HG_NHSA_CODEBUF];
	char	 optins[HG_NHSA_CODEBUF];
	int64_t	 medfee, fund, acct, cnt;
};

struct recon {
	const char *date;
	struct group *g;
	size_t	 n;
	size_t	 blind;		/* ok steps without an answer to count */
};

/* Every settlement this outbox ever made is an ok 2304 in the journal
 * (answered, or found by 5203), cancelled ones included: exactly what
 * the platform counts as that day's settlements.  Every cancellation is
 * an ok 2305, its answer the settlement negated: the platform's refunds
 * (refd_setl_flag 1). */
static int
recon_step(const struct hg_step *st, void *arg)
{
	struct recon *r = arg;
	struct hg_nhsa_resp resp;
	struct hg_nhsa_setl s;
	struct hg_err err;
	struct group *g;
	size_t i;

	/* a 2305 confirmed by 5203 after its answer was lost: the journal
	 * has neither its time nor its amounts */
	if (st->response == NULL) {
		r->blind++;
		return 0;
	}
	if (hg_nhsa_resp_parse(st->response, strlen(st->response), &resp,
	    &err) == -1)
		return 0;
	if (hg_nhsa_out_setl(resp.output, &s, &err) == -1 ||
	    strncmp(s.setl_time, r->date, 10) != 0) {
		hg_nhsa_resp_free(&resp);
		return 0;
	}
	hg_nhsa_resp_free(&resp);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->g[i].insutype, s.insutype) == 0 &&
		    strcmp(r->g[i].clr_type, s.clr_type) == 0 &&
		    strcmp(r->g[i].optins, s.clr_optins) == 0)
			break;
	if (i == r->n) {
		r->g = hg_xrealloc(r->g, r->n + 1, sizeof *r->g);
		g = &r->g[r->n++];
		memset(g, 0, sizeof *g);
		snprintf(g->insutype, sizeof g->insutype, "%s", s.insutype);
		snprintf(g->clr_type, sizeof g->clr_type, "%s", s.clr_type);
		snprintf(g->optins, sizeof g->optins, "%s", s.clr_optins);
	}
	g = &r->g[i];
	g->medfee += s.medfee_sumamt;
	g->fund += s.fund_pay_sumamt;
	g->acct += s.acct_pay;
	g->cnt++;
	return 0;
}

/* One 3201 per group of r with refd_setl_flag refd ("0" settlements, "1"
 * refunds); prints a line each.  Returns 1 when all match. */
static int
recon_pass(struct hg_platform *p, const struct recon *r, const char *kind,
    const char *refd)
{
	struct hg_nhsa_stmt_req req;
	struct hg_nhsa_stmt_result res;
	struct hg_call c;
	struct hg_err err;
	char a[HG_DECBUF], b[HG_DECBUF];
	int good = 1;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct group *g = &r->g[i];

		memset(&req, 0, sizeof req);
		snprintf(req.insutype, sizeof req.insutype, "%s", g->insutype);
		snprintf(req.clr_type, sizeof req.clr_type, "%s", g->clr_type);
		snprintf(req.setl_optins, sizeof req.setl_optins, "%s",
		    g->optins);
		snprintf(req.stmt_begndate, sizeof req.stmt_begndate, "%s",
		    r->date);
		snprintf(req.stmt_enddate, sizeof req.stmt_enddate, "%s",
		    r->date);
		req.medfee_sumamt = g->medfee;
		req.fund_pay_sumamt = g->fund;
		req.acct_pay = g->acct;
		req.fixmedins_setl_cnt = g->cnt;
		snprintf(req.refd_setl_flag, sizeof req.refd_setl_flag, "%s",
		    refd);
		printf("%-8s %-8s %-8s %-8s %6lld %14s %14s  ", kind,
		    g->insutype, g->clr_type, g->optins, (long long)g->cnt,
		    hg_dec_format(g->medfee, 2, a), hg_dec_format(g->fund, 2,
		    b));
		if (hg_platform_call(p, "3201", NULL, hg_nhsa_in_3201(&req),
		    NULL, &c) != HG_CALL_OK) {
			printf("not checked: %s\n", c.err.msg);
			good = 0;
		} else if (hg_nhsa_out_3201(c.resp.output, &res, &err) == -1) {
			printf("not checked: %s\n", err.msg);
			good = 0;
		} else if (strcmp(res.stmt_rslt, "0") == 0) {
			printf("match\n");
		} else {
			printf("MISMATCH%s%s\n", res.stmt_rslt_dscr[0] ? ": " :
			    "", res.stmt_rslt_dscr);
			good = 0;
		}
		hg_call_free(&c);
	}
	return good;
}

int
cmd_reconcile(struct hg_cli *cli)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_config *cfg;
	struct hg_outbox *ob = NULL;
	struct recon setl, refd;
	struct hg_err err;
	char today[16];
	int have_sh = 0, rc = HG_EXIT_FAIL, y, m, d, good;
	time_t now;
	struct tm tm;

	memset(&setl, 0, sizeof setl);
	memset(&refd, 0, sizeof refd);
	if (cli->nargs > 1)
		return hg_cli_usage("reconcile takes at most one date "
		    "(yyyy-MM-dd)");
	if (cli->nargs == 1) {
		if (sscanf(cli->args[0], "%4d-%2d-%2d", &y, &m, &d) != 3 ||
		    strlen(cli->args[0]) != 10 || !hg_date_valid(y, m, d))
			return hg_cli_usage("reconcile: \"%s\" is not a date "
			    "like 2024-03-15", cli->args[0]);
		setl.date = cli->args[0];
	} else {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(today, sizeof today, "%Y-%m-%d", &tm);
		setl.date = today;
	}
	refd.date = setl.date;
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	if ((ob = hg_cli_outbox(cfg, HG_OB_READONLY)) == NULL)
		goto out;
	if (hg_steps_each(ob, "2304", HG_STEP_OK, recon_step, &setl,
	    &err) == -1 || hg_steps_each(ob, "2305", HG_STEP_OK, recon_step,
	    &refd, &err) == -1)
		goto fail;
	if (setl.n == 0 && refd.n == 0 && refd.blind == 0) {
		printf("%s: no settlements in the outbox; nothing to "
		    "reconcile\n", setl.date);
		rc = HG_EXIT_OK;
		goto out;
	}
	if (hg_settle_platform_init(cfg, &sh, &err) == -1)
		goto fail;
	have_sh = 1;
	if ((p = hg_platform_new(&sh, &err)) == NULL)
		goto fail;
	printf("reconciliation %s (3201)\n", setl.date);
	printf("%-8s %-8s %-8s %-8s %6s %14s %14s  %s\n", "KIND", "INSUTYPE",
	    "CLR_TYPE", "OPTINS", "COUNT", "MEDFEE", "FUND", "RESULT");
	good = recon_pass(p, &setl, "setl", "0");
	good &= recon_pass(p, &refd, "refund", "1");
	if (refd.blind > 0) {
		/* their day is not known: any day's refunds may be short */
		printf("note: %zu cancellation%s confirmed by 5203 after the "
		    "answer was lost carr%s no amounts here and %s not "
		    "counted\n", refd.blind, refd.blind == 1 ? "" : "s",
		    refd.blind == 1 ? "ies" : "y",
		    refd.blind == 1 ? "is" : "are");
	}
	rc = good ? HG_EXIT_OK : HG_EXIT_FAIL;
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	free(setl.g);
	free(refd.g);
	hg_platform_free(p);
	if (have_sh)
		hg_platform_shared_destroy(&sh);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return rc;
}
