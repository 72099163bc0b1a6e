/* `hisgate reconcile`: the day's settlements against the platform's.
 * Without --detail, 3201 totals per insutype x clr_type x clearing agency
 * (对总账); with --detail, the day's settlement file (9101), 3202 and the
 * result file (9102), compared row by row: the two kinds of 单边账, each
 * with the bill and the command that fixes it (cmd_reconcile_fix.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/cli.h"
#include "agent/reconcile.h"
#include "agent/settle.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/steps.h"

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
	size_t	 unusable;	/* answers 3201 cannot group */
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
	int parsed;

	/* a 2305 confirmed by 5203 after its answer was lost: the journal
	 * has neither its time nor its amounts */
	if (st->response == NULL) {
		r->blind++;
		return 0;
	}
	/* an answer that cannot be read, or lacks what 3201 groups by,
	 * would silently drop a settlement from the totals: say so */
	hg_err_clear(&err);
	parsed = hg_nhsa_resp_parse(st->response, strlen(st->response),
	    &resp, &err) == 0;
	if (!parsed || hg_nhsa_out_setl(resp.output, &s, &err) == -1) {
		fprintf(stderr, "hisgate: bill %lld, %s %s: the journalled "
		    "answer cannot be read: %s\n", st->bill_id, st->infno,
		    st->msgid, err.msg);
		if (parsed)
			hg_nhsa_resp_free(&resp);
		r->unusable++;
		return 0;
	}
	hg_nhsa_resp_free(&resp);
	if (s.setl_time[0] != '\0' && strncmp(s.setl_time, r->date, 10) != 0)
		return 0;
	if (s.setl_time[0] == '\0' || s.insutype[0] == '\0' ||
	    s.clr_type[0] == '\0' || s.clr_optins[0] == '\0') {
		fprintf(stderr, "hisgate: bill %lld, %s %s: the journalled "
		    "answer has no %s; 3201 groups by insutype, clr_type and "
		    "clr_optins (setl_time gives the day)\n", st->bill_id,
		    st->infno, st->msgid, s.setl_time[0] == '\0' ?
		    "setl_time" : s.insutype[0] == '\0' ? "insutype" :
		    s.clr_type[0] == '\0' ? "clr_type" : "clr_optins");
		r->unusable++;
		return 0;
	}
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

/* A group's line, or with arr (--json) an object of it in arr: result
 * match, MISMATCH or "not checked", text why (or NULL). */
static void
group_out(struct json_object *arr, const char *kind, const struct group *g,
    const char *result, const char *text)
{
	struct json_object *o;
	char a[HG_DECBUF], b[HG_DECBUF];

	if (arr == NULL) {
		printf("%-8s %-8s %-8s %-8s %6lld %14s %14s  %s%s%s\n", kind,
		    g->insutype, g->clr_type, g->optins, (long long)g->cnt,
		    hg_dec_format(g->medfee, 2, a), hg_dec_format(g->fund, 2,
		    b), result, text != NULL && text[0] != '\0' ? ": " : "",
		    text != NULL ? text : "");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "insutype", hg_json_str_new(g->insutype));
	json_object_object_add(o, "clr_type", hg_json_str_new(g->clr_type));
	json_object_object_add(o, "clr_optins", hg_json_str_new(g->optins));
	json_object_object_add(o, "count", json_object_new_int64(g->cnt));
	json_object_object_add(o, "medfee_sumamt", hg_json_dec(g->medfee, 2));
	json_object_object_add(o, "fund_pay_sumamt", hg_json_dec(g->fund, 2));
	json_object_object_add(o, "acct_pay", hg_json_dec(g->acct, 2));
	json_object_object_add(o, "result", json_object_new_string(
	    strcmp(result, "MISMATCH") == 0 ? "mismatch" : result));
	json_object_object_add(o, "text", text != NULL && text[0] != '\0' ?
	    json_object_new_string(text) : NULL);
	json_object_array_add(arr, o);
}

/* One 3201 per group of r with refd_setl_flag refd ("0" settlements, "1"
 * refunds); a line each (group_out).  Returns 1 when all match. */
static int
recon_pass(struct hg_platform *p, const struct recon *r, const char *kind,
    const char *refd, struct json_object *arr)
{
	struct hg_nhsa_stmt_req req;
	struct hg_nhsa_stmt_result res;
	struct hg_call c;
	struct hg_err err;
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
		if (hg_platform_call(p, "3201", NULL, hg_nhsa_in_3201(&req),
		    NULL, &c) != HG_CALL_OK) {
			group_out(arr, kind, g, "not checked", c.err.msg);
			good = 0;
		} else if (hg_nhsa_out_3201(c.resp.output, &res, &err) == -1) {
			group_out(arr, kind, g, "not checked", err.msg);
			good = 0;
		} else if (strcmp(res.stmt_rslt, "0") == 0) {
			group_out(arr, kind, g, "match", NULL);
		} else {
			group_out(arr, kind, g, "MISMATCH",
			    res.stmt_rslt_dscr);
			good = 0;
		}
		hg_call_free(&c);
	}
	return good;
}

/* reconcile --json: {"date", "match" (every group matched), "groups"
 * (taken over), "uncounted_refunds" (cancellations confirmed by 5203
 * after their answer was lost: no amounts to count)} */
static void
recon_json(const char *date, int good, struct json_object *groups,
    size_t blind)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "date", json_object_new_string(date));
	json_object_object_add(o, "match", json_object_new_boolean(good));
	json_object_object_add(o, "groups", groups);
	json_object_object_add(o, "uncounted_refunds",
	    json_object_new_int64((int64_t)blind));
	hg_cli_json(o);
}

/* reconcile reverse MSGID [BILL] | resettle BILL | close MDTRT_ID BILL */
static int
fix(struct hg_cli *cli)
{
	struct hg_config *cfg;
	int rc, reverse = strcmp(cli->args[0], "reverse") == 0,
	    close = strcmp(cli->args[0], "close") == 0;

	if (reverse ? cli->nargs < 2 || cli->nargs > 3 :
	    cli->nargs != (close ? 3 : 2))
		return hg_cli_usage(reverse ? "usage: reconcile reverse MSGID "
		    "[BILL]" : close ? "usage: reconcile close MDTRT_ID BILL" :
		    "usage: reconcile resettle BILL");
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	if (close)
		rc = hg_reconcile_close(cli, cfg, cli->args[1], cli->args[2]);
	else if (reverse)
		rc = hg_reconcile_reverse(cli, cfg, cli->args[1],
		    cli->nargs == 3 ? cli->args[2] : NULL);
	else
		rc = hg_reconcile_resettle(cli, cfg, cli->args[1]);
	hg_config_free(cfg);
	return rc;
}

int
cmd_reconcile(struct hg_cli *cli)
{
	struct hg_platform_shared sh;
	struct hg_platform *p = NULL;
	struct hg_config *cfg;
	struct hg_outbox *ob = NULL;
	struct recon setl, refd;
	struct json_object *groups = NULL;
	struct hg_err err;
	char today[16];
	int have_sh = 0, rc = HG_EXIT_FAIL, y, m, d, good;
	time_t now;
	struct tm tm;

	memset(&setl, 0, sizeof setl);
	memset(&refd, 0, sizeof refd);
	if (cli->nargs >= 1 && (strcmp(cli->args[0], "reverse") == 0 ||
	    strcmp(cli->args[0], "resettle") == 0 ||
	    strcmp(cli->args[0], "close") == 0))
		return fix(cli);
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
	if (cli->detail) {
		rc = hg_reconcile_detail(cfg, setl.date, cli->json);
		goto out;
	}
	if ((ob = hg_cli_outbox(cfg, HG_OB_READONLY)) == NULL)
		goto out;
	if (hg_steps_each(ob, "2304", HG_STEP_OK, recon_step, &setl,
	    &err) == -1 || hg_steps_each(ob, "2305", HG_STEP_OK, recon_step,
	    &refd, &err) == -1)
		goto fail;
	if (setl.unusable + refd.unusable > 0) {
		fprintf(stderr, "hisgate: %zu journalled answer%s cannot be "
		    "reconciled (above); the totals would be short, so none "
		    "is sent\n", setl.unusable + refd.unusable,
		    setl.unusable + refd.unusable == 1 ? "" : "s");
		goto out;
	}
	if (cli->json)
		groups = json_object_new_array();
	if (setl.n == 0 && refd.n == 0 && refd.blind == 0) {
		if (groups != NULL)
			recon_json(setl.date, 1, groups, 0);
		else
			printf("%s: no settlements in the outbox; nothing to "
			    "reconcile\n", setl.date);
		groups = NULL;
		rc = HG_EXIT_OK;
		goto out;
	}
	if (hg_settle_platform_init(cfg, &sh, &err) == -1)
		goto fail;
	have_sh = 1;
	if ((p = hg_platform_new(&sh, &err)) == NULL)
		goto fail;
	if (groups == NULL) {
		printf("reconciliation %s (3201)\n", setl.date);
		printf("%-8s %-8s %-8s %-8s %6s %14s %14s  %s\n", "KIND",
		    "INSUTYPE", "CLR_TYPE", "OPTINS", "COUNT", "MEDFEE", "FUND",
		    "RESULT");
	}
	good = recon_pass(p, &setl, "setl", "0", groups);
	good &= recon_pass(p, &refd, "refund", "1", groups);
	if (groups != NULL) {
		recon_json(setl.date, good, groups, refd.blind);
		groups = NULL;
	} else if (refd.blind > 0) {
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
	json_object_put(groups);
	free(setl.g);
	free(refd.g);
	hg_platform_free(p);
	if (have_sh)
		hg_platform_shared_destroy(&sh);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return rc;
}
