/* hisgate audit [--since DATE] [--json]: the audit's findings and the
 * cost-surge alarms; hisgate queue release ID --reason TEXT.  The audit
 * reads the outbox and changes nothing; release moves one held bill. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/audit.h"
#include "agent/cli.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/timeconv.h"
#include "lib/xmalloc.h"
#include "queue/audit_store.h"

#define DEFAULT_DAYS	30

static int
queue_release(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_outbox *ob;
	struct hg_err err;
	long long id;
	int rc = HG_EXIT_FAIL;

	if (cli->nargs != 2 || cli->reason == NULL)
		return hg_cli_usage("queue release needs one bill number and "
		    "--reason \"why it may go\"");
	if (hg_cli_bill_id("queue release", cli->args[1], &id) != 0)
		return HG_EXIT_USAGE;
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	if ((ob = hg_cli_outbox(cfg, 0)) == NULL)
		goto out;
	if (hg_audit_store_release(ob, id, cli->reason, &err) == -1)
		fprintf(stderr, "hisgate: %s\n", err.msg);
	else {
		hg_cli_outcome(cli, id, HG_S_READY, 1, NULL, "released, "
		    "ready to be settled");
		rc = HG_EXIT_OK;
	}
	hg_outbox_close(ob);
out:
	hg_config_free(cfg);
	return rc;
}

int
cmd_queue_audit(struct hg_cli *cli)
{
	if (cli->nargs >= 1 && strcmp(cli->args[0], "release") == 0)
		return queue_release(cli);
	return cmd_queue_settle(cli);
}

/* ---------------------------------------------------------------------- */
/* hisgate audit */

struct gather {
	struct hg_audit_surge_in in;
	struct json_object *arr;	/* findings, with --json */
};

static int
print_finding(long long id, int64_t at, const char *rule, const char *sev,
    int line, const char *text, void *arg)
{
	struct gather *g = arg;
	char when[32];

	if (g->arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bill", json_object_new_int64(id));
		json_object_object_add(o, "at_ms", json_object_new_int64(at));
		json_object_object_add(o, "rule", hg_json_str_new(rule));
		json_object_object_add(o, "severity", hg_json_str_new(sev));
		json_object_object_add(o, "line", json_object_new_int(line));
		json_object_object_add(o, "text", hg_json_str_new(text));
		json_object_array_add(g->arr, o);
		return 0;
	}
	hg_fmt_time(at, when, sizeof when);
	printf("  bill %-6lld %s  %-5s %-16s %s\n", id, when, sev, rule, text);
	return 0;
}

static struct json_object *
alarm_json(const struct hg_surge_alarm *a)
{
	struct json_object *o = json_object_new_object(), *arr;
	char d[11];
	size_t i;

	json_object_object_add(o, "dept", hg_json_str_new(a->dept));
	json_object_object_add(o, "region", hg_json_str_new(a->region));
	hg_day_text(a->fired_day, d);
	json_object_object_add(o, "fired", hg_json_str_new(d));
	if (a->cleared_day >= 0)
		hg_day_text(a->cleared_day, d);
	json_object_object_add(o, "cleared", a->cleared_day >= 0 ?
	    hg_json_str_new(d) : NULL);
	json_object_object_add(o, "prev_avg", hg_json_dec(a->prev_avg, 2));
	json_object_object_add(o, "cur_avg", hg_json_dec(a->cur_avg, 2));
	json_object_object_add(o, "rise_pct", hg_json_dec(a->pct_x10, 1));
	json_object_object_add(o, "bills_cur", json_object_new_int64(a->ncur));
	json_object_object_add(o, "bills_prev",
	    json_object_new_int64(a->nprev));
	arr = json_object_new_array();
	for (i = 0; i < a->ntop; i++) {
		struct json_object *b = json_object_new_object();

		json_object_object_add(b, "bill",
		    json_object_new_int64(a->top_bills[i]));
		json_object_object_add(b, "total", hg_json_dec(a->top_totals[i],
		    2));
		json_object_array_add(arr, b);
	}
	json_object_object_add(o, "top_bills", arr);
	arr = json_object_new_array();
	for (i = 0; i < a->ncodes; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "code",
		    hg_json_str_new(a->top_codes[i]));
		json_object_object_add(c, "rise_per_discharge",
		    hg_json_dec(a->code_rise[i], 2));
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "top_items", arr);
	return o;
}

static void
alarm_print(const struct hg_surge_alarm *a)
{
	char d1[11], d2[11], p[HG_DECBUF], c[HG_DECBUF], r[HG_DECBUF];
	size_t i;

	hg_day_text(a->fired_day, d1);
	if (a->cleared_day >= 0)
		hg_day_text(a->cleared_day, d2);
	printf("  SURGE dept %s, insured region %s: fired %s, %s%s\n",
	    a->dept, a->region, d1, a->cleared_day >= 0 ? "cleared " :
	    "still on", a->cleared_day >= 0 ? d2 : "");
	printf("        average per discharge %s -> %s yuan (+%s %%), %lld "
	    "bills against %lld\n", hg_dec_format(a->prev_avg, 2, p),
	    hg_dec_format(a->cur_avg, 2, c), hg_dec_format(a->pct_x10, 1, r),
	    a->ncur, a->nprev);
	for (i = 0; i < a->ntop; i++)
		printf("        bill %lld: %s yuan\n", a->top_bills[i],
		    hg_dec_format(a->top_totals[i], 2, p));
	for (i = 0; i < a->ncodes; i++)
		printf("        item %s: +%s yuan per discharge\n",
		    a->top_codes[i], hg_dec_format(a->code_rise[i], 2, p));
}

/* A canonical time ("yyyy-MM-dd HH:mm:ss", hg_time_parse's; a bare date
 * is its midnight there), local time, as wall-clock ms.  The time of day
 * counts: `--since "2024-03-05 14:00:00"` leaves the morning out. */
static int64_t
local_ms(const char *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(t) - 1900;
	tm.tm_mon = atoi(t + 5) - 1;
	tm.tm_mday = atoi(t + 8);
	tm.tm_hour = atoi(t + 11);
	tm.tm_min = atoi(t + 14);
	tm.tm_sec = atoi(t + 17);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

int
cmd_audit(struct hg_cli *cli)
{
	struct gather g;
	struct hg_audit_tables t;
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_surge_result res = { NULL, 0 };
	struct hg_config *cfg;
	struct hg_outbox *ob = NULL;
	struct json_object *top = NULL, *arr;
	char since[HG_TIMELEN], d[11];
	struct hg_err err;
	int64_t from, since_ms;
	size_t i;
	int rc = HG_EXIT_FAIL, on;

	if (cli->nargs != 0)
		return hg_cli_usage("audit takes no arguments (--since DATE, "
		    "--json)");
	if (cli->since != NULL) {
		if (hg_time_parse("--since", cli->since, since, &err) == -1)
			return hg_cli_usage("%s", err.msg);
	} else {
		time_t now = time(NULL) - DEFAULT_DAYS * 86400;
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(since, sizeof since, "%Y-%m-%d 00:00:00", &tm);
	}
	if ((cfg = hg_cli_config(cli)) == NULL)
		return HG_EXIT_FAIL;
	memset(&g, 0, sizeof g);
	on = hg_audit_tables_load(cfg, &t, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if ((ob = hg_cli_outbox(cfg, HG_OB_READONLY)) == NULL)
		goto out;
	since_ms = local_ms(since);
	if (cli->json) {
		top = json_object_new_object();
		g.arr = json_object_new_array();
	} else {
		/* the date alone when it is from midnight */
		memcpy(d, since, 10);
		d[10] = '\0';
		printf("audit %s (%s)\nfindings since %s:\n", on ? "on" : "off: "
		    "no audit_dir", cfg->agent.audit_dir,
		    strcmp(since + 10, " 00:00:00") == 0 ? d : since);
	}
	if (hg_audit_store_list(ob, since_ms, print_finding, &g, &err) == -1 ||
	    hg_audit_surge_gather(ob, cfg, &g.in, &err) == -1) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		goto out;
	}
	from = hg_time_day(since);
	if (g.in.last >= from)
		hg_surge_run(&t, g.in.v, g.in.n, from, g.in.last, &res);
	if (top != NULL) {
		json_object_object_add(top, "findings", g.arr);
		g.arr = NULL;
		json_object_object_add(top, "held", json_object_new_int64(
		    (int64_t)g.in.held));
		arr = json_object_new_array();
		for (i = 0; i < res.n; i++)
			json_object_array_add(arr, alarm_json(&res.v[i]));
		json_object_object_add(top, "surge", arr);
		printf("%s\n", json_object_to_json_string_ext(top,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		printf("bills held by the audit: %zu (hisgate queue list "
		    "--state held_by_audit)\n", g.in.held);
		printf("cost surge of %zu cross-province discharges (over %d %% "
		    "in %d days against the %d before, at least %d bills "
		    "each): %zu alarm%s\n", g.in.n, t.surge_pct, t.surge_window,
		    t.surge_window, t.surge_min_bills, res.n,
		    res.n == 1 ? "" : "s");
		for (i = 0; i < res.n; i++)
			alarm_print(&res.v[i]);
	}
	rc = HG_EXIT_OK;
out:
	json_object_put(top);
	json_object_put(g.arr);
	hg_surge_result_free(&res);
	hg_audit_surge_in_free(&g.in);
	hg_conf_errs_free(&errs);
	hg_audit_tables_free(&t);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return rc;
}
