/* queue list | queue show ID, replay, status: the IT staff's view of the
 * outbox.  Readers open the file read-only and never migrate it. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/answer.h"
#include "agent/cli.h"
#include "agent/cli_mask.h"
#include "agent/writeback.h"
#include "agent/intake.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/xmalloc.h"
#include "queue/outbox.h"
#include "queue/steps.h"

static const char *const states[] = { HG_S_INVALID, HG_S_READY,
	HG_S_PROGRESS, HG_S_INDOUBT, HG_S_SETTLED, HG_S_REJECTED, HG_S_AMENDED,
	HG_S_CANCELLED, HG_S_PERSON, HG_S_HELD, NULL };

static int
known_state(const char *s)
{
	const char *const *p;

	for (p = states; *p != NULL; p++)
		if (strcmp(*p, s) == 0)
			return 1;
	return 0;
}

/* The patient's name from the stored bill, masked: the CLI output ends up
 * in tickets and chat windows. */
static void
masked_name(const char *bill_json, char *buf, size_t len)
{
	struct json_object *o = json_tokener_parse(bill_json);
	const char *name = hg_json_get_str(o, "psn_name");

	hg_mask_name(name ? name : "", buf, len);
	json_object_put(o);
}

/* Platform messages and problem lists quote ID numbers and names
 * ("证件号码[...]未查询到参保人员信息"): masked as in the log.  Allocated. */
static char *
scrub(const struct hg_row *r, const char *msg)
{
	struct json_object *o;
	char *s;

	if (msg == NULL)
		return NULL;
	o = json_tokener_parse(r->bill_json);
	s = hg_mask_text(msg, hg_json_get_str(o, "psn_name"));
	json_object_put(o);
	return s;
}

static struct json_object *
row_json(const struct hg_row *r)
{
	struct json_object *o = json_object_new_object();
	char *reasons = scrub(r, r->reasons), *err_msg = scrub(r, r->err_msg);

#define S(k, v) json_object_object_add(o, k, hg_json_str_new(v))
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	S("state", r->state);
	S("adapter", r->adapter);
	S("source_key", r->source_key);
	S("ipt_no", r->ipt_no);
	json_object_object_add(o, "total", hg_json_dec(r->total, 2));
	json_object_object_add(o, "version", json_object_new_int(r->version));
	json_object_object_add(o, "created_ms",
	    json_object_new_int64(r->created_ms));
	json_object_object_add(o, "updated_ms",
	    json_object_new_int64(r->updated_ms));
	S("reasons", reasons);
	S("step", r->step);
	json_object_object_add(o, "attempts", json_object_new_int(r->attempts));
	S("psn_no", r->psn_no);
	S("mdtrt_id", r->mdtrt_id);
	S("setl_id", r->setl_id);
	S("err_msg", err_msg);
	json_object_object_add(o, "amendment_pending",
	    json_object_new_boolean(r->pending_json != NULL));
	json_object_object_add(o, "personal_data_removed_ms", r->scrubbed_ms ?
	    json_object_new_int64(r->scrubbed_ms) : NULL);
#undef S
	free(reasons);
	free(err_msg);
	return o;
}

/* Spaces that pad s to `cols` terminal columns: a Chinese character
 * takes two columns but three bytes, so printf's %-8s misaligns names. */
static int
pad(const char *s, int cols)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;

	for (; *p != '\0'; p++) {
		if (*p < 0x80)
			w++;
		else if (*p >= 0xE0 && *p < 0xF0)
			w += 2;	/* CJK and full-width forms: three bytes */
		else if ((*p & 0xC0) != 0x80)
			w++;
	}
	return w < cols ? cols - w : 0;
}

struct list_ctx {
	struct json_object *arr;
	int	 n;
};

static int
list_row(const struct hg_row *r, void *arg)
{
	struct list_ctx *lc = arg;
	char total[HG_DECBUF], when[32], name[64], state[40], *nl, *why;

	lc->n++;
	if (lc->arr != NULL) {
		json_object_array_add(lc->arr, row_json(r));
		return 0;
	}
	masked_name(r->bill_json, name, sizeof name);
	hg_fmt_time(r->updated_ms, when, sizeof when);
	/* a bill being settled shows where it is: in_progress(2301) */
	if (r->step != NULL && (strcmp(r->state, HG_S_PROGRESS) == 0 ||
	    strcmp(r->state, HG_S_INDOUBT) == 0))
		snprintf(state, sizeof state, "%s(%s)", r->state, r->step);
	else
		snprintf(state, sizeof state, "%s", r->state);
	why = scrub(r, r->err_msg ? r->err_msg : r->reasons ? r->reasons : "");
	nl = strchr(why, '\n');
	printf("%-6lld %-17s %-12s %-16s %s%*s %12s  %s  %.*s%s\n", r->id,
	    state, r->adapter, r->ipt_no ? r->ipt_no : "-", name,
	    pad(name, 8), "", hg_dec_format(r->total, 2, total), when,
	    nl ? (int)(nl - why) : (int)strlen(why), why, nl ? " ..." : "");
	free(why);
	return 0;
}

static int
queue_list(struct hg_cli *cli, struct hg_outbox *ob)
{
	struct list_ctx lc = { NULL, 0 };
	struct hg_err err;

	if (cli->state != NULL && !known_state(cli->state))
		return hg_cli_usage("unknown state \"%s\" (invalid, ready, "
		    "in_progress, in_doubt, settled, rejected, amended, "
		    "cancelled, needs_person, held_by_audit)", cli->state);
	if (cli->json)
		lc.arr = json_object_new_array();
	else
		printf("%-6s %-17s %-12s %-16s %-8s %12s  %-19s  %s\n", "ID",
		    "STATE", "ADAPTER", "IPT_NO", "PATIENT", "TOTAL",
		    "UPDATED", "REASON");
	if (hg_outbox_list(ob, cli->state, list_row, &lc, &err) < 0) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		json_object_put(lc.arr);
		return HG_EXIT_FAIL;
	}
	if (lc.arr != NULL) {
		printf("%s\n", json_object_to_json_string_ext(lc.arr,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(lc.arr);
	} else {
		printf("(%d bill%s)\n", lc.n, lc.n == 1 ? "" : "s");
	}
	return HG_EXIT_OK;
}

struct hist_ctx {
	struct json_object *arr;
	const struct hg_row *row;	/* whose name and ID to mask */
};

static int
hist_row(int64_t at, const char *from, const char *to, const char *why,
    void *arg)
{
	struct hist_ctx *hc = arg;
	char when[32], *safe = scrub(hc->row, why);

	if (hc->arr != NULL) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "at_ms", json_object_new_int64(at));
		json_object_object_add(o, "from", hg_json_str_new(from));
		json_object_object_add(o, "to", hg_json_str_new(to));
		json_object_object_add(o, "reason", hg_json_str_new(safe));
		json_object_array_add(hc->arr, o);
	} else {
		hg_fmt_time(at, when, sizeof when);
		printf("    %s  %-13s -> %-13s %s\n", when, from ? from : "",
		    to ? to : "", safe ? safe : "");
	}
	free(safe);
	return 0;
}

/* The bill's journal: every call made and what it answered, so that a
 * person (needs_person, in_doubt, rejected) sees exactly what the agent
 * asked and heard.  Into arr (JSON) or printed. */
static int
show_calls(struct hg_outbox *ob, const struct hg_row *row,
    struct json_object *arr, struct hg_err *err)
{
	struct hg_step *st = NULL;
	size_t i, n = 0;
	char when[32], said[512], *note;

	if (hg_steps_list(ob, row->id, &st, &n, err) == -1)
		return -1;
	if (arr == NULL)
		printf("  calls:%s\n", n == 0 ? " none" : "");
	for (i = 0; i < n; i++) {
		/* an answered call: what it said; else why it failed */
		note = st[i].err_msg == NULL && strcmp(st[i].state,
		    HG_STEP_OK) == 0 ? hg_xstrdup(hg_answer_summary(
		    st[i].infno, st[i].response, said, sizeof said)) :
		    scrub(row, st[i].err_msg);
		if (arr != NULL) {
			json_object_array_add(arr, hg_step_json(&st[i], note));
		} else {
			hg_fmt_time(st[i].sent_ms, when, sizeof when);
			printf("    %s  %s %s %-7s %s\n", when, st[i].infno,
			    st[i].msgid, st[i].state, note ? note : "");
		}
		free(note);
	}
	hg_steps_free(st, n);
	return 0;
}

/* text under a label of queue show: each of its lines (a problem list has
 * one per problem) at the second level, four spaces in, as the history
 * and the calls; long lines are not wrapped, as nowhere in the CLI. */
static void
print_block(const char *label, const char *text)
{
	const char *nl;

	printf("  %s:\n", label);
	for (; text != NULL; text = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(text, '\n');
		printf("    %.*s\n", nl != NULL ? (int)(nl - text) :
		    (int)strlen(text), text);
	}
}

static int
queue_show(struct hg_cli *cli, struct hg_outbox *ob, const char *arg)
{
	struct hist_ctx hc = { NULL, NULL };
	struct json_object *bill;
	struct hg_row row;
	struct hg_err err;
	char *end, *text, total[HG_DECBUF], when[32];
	long long id;
	int rc = HG_EXIT_FAIL;

	id = strtoll(arg, &end, 10);
	if (*end != '\0' || id <= 0)
		return hg_cli_usage("queue show needs a bill number, not "
		    "\"%s\"", arg);
	memset(&row, 0, sizeof row);
	if (hg_outbox_get(ob, id, &row, &err) < 0) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		return HG_EXIT_FAIL;
	}
	if (cli->json) {
		struct json_object *o = row_json(&row), *b;

		hc.arr = json_object_new_array();
		hc.row = &row;
		b = hg_masked_bill(row.bill_json);
		json_object_object_add(o, "bill", b);
		if (row.setl_json != NULL)
			json_object_object_add(o, "settlement",
			    json_tokener_parse(row.setl_json));
		if (row.pending_json != NULL)
			json_object_object_add(o, "amendment",
			    hg_masked_bill(row.pending_json));
		if (hg_outbox_history(ob, id, hist_row, &hc, &err) < 0)
			goto fail;
		json_object_object_add(o, "history", hc.arr);
		hc.arr = json_object_new_array();
		json_object_object_add(o, "calls", hc.arr);
		if (show_calls(ob, &row, hc.arr, &err) < 0) {
			json_object_put(o);
			goto fail;
		}
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		rc = HG_EXIT_OK;
		goto out;
	}
	printf("bill %lld: %s (version %d)\n", row.id, row.state, row.version);
	printf("  source:   %s %s\n", row.adapter, row.source_key);
	printf("  ipt_no:   %s\n", row.ipt_no ? row.ipt_no : "-");
	printf("  total:    %s\n", hg_dec_format(row.total, 2, total));
	if (row.step != NULL)
		printf("  step:     %s (attempts %d)\n", row.step,
		    row.attempts);
	if (row.mdtrt_id != NULL)
		printf("  mdtrt_id: %s\n", row.mdtrt_id);
	if (row.setl_id != NULL)
		printf("  setl_id:  %s\n", row.setl_id);
	hc.row = &row;
	if ((text = scrub(&row, row.err_msg)) != NULL) {
		if (strchr(text, '\n') != NULL)
			print_block("platform", text);
		else
			printf("  platform: %s\n", text);
	}
	free(text);
	if ((text = scrub(&row, row.reasons)) != NULL)
		print_block("problems", text);
	free(text);
	if (row.pending_json != NULL)
		printf("  amendment waiting for a decision (queue show --json "
		    "shows it)\n");
	if (row.scrubbed_ms != 0) {
		hg_fmt_time(row.scrubbed_ms, when, sizeof when);
		printf("  personal data removed on %.10s under "
		    "retention.personal_days\n", when);
	}
	hg_writeback_show(ob, id, stdout);
	printf("  history:\n");
	if (hg_outbox_history(ob, id, hist_row, &hc, &err) < 0 ||
	    show_calls(ob, &row, NULL, &err) < 0)
		goto fail;
	bill = hg_masked_bill(row.bill_json);
	print_block("bill", json_object_to_json_string_ext(bill,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(bill);
	rc = HG_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
out:
	hg_row_free(&row);
	return rc;
}

/* queue purge --settled-before DATE (older spelling: queue purge DATE):
 * the outbox keeps every bill until a person says it may go; this is
 * that person's command.  A script (--json) cannot answer the question,
 * so it says --yes, or --dry-run for the count alone. */
static void
purge_json(const char *date, long long n, int done)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "settled_before",
	    json_object_new_string(date));
	json_object_object_add(o, "count", json_object_new_int64(n));
	json_object_object_add(o, "done", json_object_new_boolean(done));
	hg_cli_json(o);
}

static int
queue_purge(struct hg_cli *cli, struct hg_outbox *ob, const char *date)
{
	struct hg_err err;
	struct tm tm;
	long long n;
	char answer[16];
	time_t t;

	/* date: yyyy-MM-dd, checked by purge_date */
	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(date) - 1900;
	tm.tm_mon = atoi(date + 5) - 1;
	tm.tm_mday = atoi(date + 8);
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (hg_outbox_purge(ob, (int64_t)t * 1000, 1, &n, &err) < 0)
		goto fail;
	if (n == 0 || cli->dry_run) {
		if (cli->json)
			purge_json(date, n, 0);
		else if (n == 0)
			printf("nothing to purge: no settled or cancelled bill "
			    "was last changed before %s\n", date);
		else
			printf("%lld settled or cancelled bill%s last changed "
			    "before %s would be purged; nothing done "
			    "(--dry-run)\n", n, n == 1 ? "" : "s", date);
		return HG_EXIT_OK;
	}
	if (!cli->yes) {
		printf("purge %lld settled or cancelled bill%s last changed "
		    "before %s, with their history? [y/N] ", n, n == 1 ? "" :
		    "s", date);
		fflush(stdout);
		if (fgets(answer, sizeof answer, stdin) == NULL ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			printf("nothing done\n");
			return HG_EXIT_FAIL;
		}
	}
	if (hg_outbox_purge(ob, (int64_t)t * 1000, 0, &n, &err) < 0)
		goto fail;
	if (cli->json)
		purge_json(date, n, 1);
	else
		printf("purged %lld bill%s\n", n, n == 1 ? "" : "s");
	return HG_EXIT_OK;
fail:
	fprintf(stderr, "hisgate: %s\n", err.msg);
	return HG_EXIT_FAIL;
}

/* The date of queue purge, from either spelling; NULL after the usage
 * error (*rc set). */
static const char *
purge_date(const struct hg_cli *cli, int *rc)
{
	const char *date = cli->settled_before;
	char canon[HG_TIMELEN];
	struct hg_err err;

	*rc = HG_EXIT_USAGE;
	if ((date != NULL) == (cli->nargs == 2)) {
		hg_cli_usage("queue purge needs one date: --settled-before "
		    "DATE (or the older queue purge DATE)");
		return NULL;
	}
	if (date == NULL)
		date = cli->args[1];
	if (hg_time_parse("DATE", date, canon, &err) < 0 ||
	    strlen(date) != 10) {
		hg_cli_usage("queue purge needs a date like 2024-01-31 "
		    "(bills last changed before it go)");
		return NULL;
	}
	if (cli->json && !cli->yes && !cli->dry_run) {
		hg_cli_usage("queue purge --json cannot ask: add --yes to "
		    "purge, or --dry-run for the count alone");
		return NULL;
	}
	return date;
}

int
cmd_queue(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_outbox *ob;
	const char *date = NULL;
	int writes, rc;

	/* `queue replay [ID]` is `replay [ID]` (DESIGN.md lists it under
	 * queue; older scripts use the short form) */
	if (cli->nargs >= 1 && strcmp(cli->args[0], "replay") == 0) {
		struct hg_cli sub = *cli;

		sub.args++;
		sub.nargs--;
		return cmd_replay(&sub);
	}
	if (cli->nargs < 1 || !((strcmp(cli->args[0], "list") == 0 &&
	    cli->nargs == 1) || (strcmp(cli->args[0], "show") == 0 &&
	    cli->nargs == 2) || (strcmp(cli->args[0], "purge") == 0 &&
	    cli->nargs <= 2) || (strcmp(cli->args[0], "scrub") == 0 &&
	    cli->nargs == 1)))
		return hg_cli_usage("queue needs: list [--state S] [--json] | "
		    "show ID [--json] | retry ID [--json] | cancel ID [--yes] "
		    "[--json] | replay [ID] [--json] | purge --settled-before "
		    "DATE [--yes] [--dry-run] [--json] | scrub [--dry-run] "
		    "[--json] | release ID --reason TEXT [--json]");
	if (strcmp(cli->args[0], "purge") == 0 &&
	    (date = purge_date(cli, &rc)) == NULL)
		return rc;
	cfg = hg_cli_config(cli);
	if (cfg == NULL)
		return HG_EXIT_FAIL;
	writes = strcmp(cli->args[0], "purge") == 0 ||
	    (strcmp(cli->args[0], "scrub") == 0 && !cli->dry_run);
	ob = hg_cli_outbox(cfg, writes ? 0 : HG_OB_READONLY);
	if (ob == NULL) {
		hg_config_free(cfg);
		return HG_EXIT_FAIL;
	}
	if (strcmp(cli->args[0], "list") == 0)
		rc = queue_list(cli, ob);
	else if (strcmp(cli->args[0], "purge") == 0)
		rc = queue_purge(cli, ob, date);
	else if (strcmp(cli->args[0], "scrub") == 0)
		rc = hg_queue_scrub(cli, cfg, ob);
	else
		rc = queue_show(cli, ob, cli->args[1]);
	hg_outbox_close(ob);
	hg_config_free(cfg);
	return rc;
}

int
cmd_replay(struct hg_cli *cli)
{
	struct hg_config *cfg;
	struct hg_outbox *ob;
	struct hg_intake in;
	struct hg_err err;
	long long id = 0;
	int fixed = 0, still = 0, rc = HG_EXIT_FAIL;
	char *end;

	if (cli->nargs > 1)
		return hg_cli_usage("replay takes at most one bill number");
	if (cli->nargs == 1) {
		id = strtoll(cli->args[0], &end, 10);
		if (*end != '\0' || id <= 0)
			return hg_cli_usage("replay needs a bill number, not "
			    "\"%s\"", cli->args[0]);
	}
	cfg = hg_cli_config(cli);
	if (cfg == NULL)
		return HG_EXIT_FAIL;
	ob = hg_cli_outbox(cfg, 0);
	if (ob == NULL)
		goto out_cfg;
	if (hg_intake_init(&in, cfg, &err) < 0) {
		fprintf(stderr, "hisgate: %s\n", err.msg);
		goto out_ob;
	}
	if (hg_intake_replay(&in, ob, id, NULL, &fixed, &still, &err) < 0)
		fprintf(stderr, "hisgate: %s\n", err.msg);
	else
		rc = HG_EXIT_OK;
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "bill", id != 0 ?
		    json_object_new_int64(id) : NULL);
		json_object_object_add(o, "ready", json_object_new_int(fixed));
		json_object_object_add(o, "invalid", json_object_new_int(still));
		hg_cli_json(o);
	} else {
		printf("replay: %d bill%s now ready, %d still invalid\n",
		    fixed, fixed == 1 ? "" : "s", still);
	}
	hg_intake_destroy(&in);
out_ob:
	hg_outbox_close(ob);
out_cfg:
	hg_config_free(cfg);
	return rc;
}
