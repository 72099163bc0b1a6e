/* The simulated platform's message handling (nhsa-interface.md §2).
 *
 * One request at a time, inside one ledger transaction: the msgid is
 * checked and recorded, the handler runs inside a savepoint, a business
 * error (-2) rolls the handler back but keeps the msgid (so it cannot be
 * reused), a system error (-1) rolls everything back.  Handlers report
 * business errors with hg_fail() in the platform's own Chinese wording and
 * system errors with hg_failt(). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "sim/platform.h"
#include "sim/dialect.h"
#include "sim/request.h"
#include "sim/rules.h"

static void
stamp17(int64_t ms, char out[HG_NHSA_TIMEBUF])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[16];

	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
	snprintf(out, HG_NHSA_TIMEBUF, "%s%03d", buf, (int)(ms % 1000));
}

/* ---------------------------------------------------------------------- */
/* 9001 sign-in */

int
sim_h_9001(struct req *r, struct hg_err *err)
{
	struct json_object *in, *o;
	char opter_no[HG_NHSA_IDBUF], sign_no[HG_NHSA_IDBUF];
	int64_t serial;

	if (sr_node_object(r, "signIn", &in, err) == -1 ||
	    sr_need(in, "opter_no", "操作员编号", opter_no, sizeof opter_no,
	    err) == -1 ||
	    sim_ledger_next_serial(r->s->ledger, "signins", &serial,
	    err) == -1)
		return -1;
	/* unguessable enough for a simulator, and ordered for people */
	snprintf(sign_no, sizeof sign_no, "%s%08lld%04d", r->day6,
	    (long long)serial, (int)(r->s->serial % 10000));
	if (sim_ledger_signin_add(r->s->ledger, sign_no, r->code, opter_no,
	    r->now, r->now + r->s->conf.sign_ttl, err) == -1)
		return -1;
	o = json_object_new_object();
	hg_nhsa_put_str(o, "sign_time", r->now_txt);
	hg_nhsa_put_str(o, "sign_no", sign_no);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "signinoutb", o);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", sign_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 1101 person info */

int
sim_h_1101(struct req *r, struct hg_err *err)
{
	struct json_object *in, *base, *arr, *row;
	const struct sim_conf *c = &r->s->conf;
	const struct sim_person *p;
	char type[HG_NHSA_CODEBUF], no[HG_NHSA_TEXTBUF],
	    certno[HG_NHSA_IDBUF], name[HG_NHSA_NAMEBUF];
	const char *key;
	size_t i;

	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "mdtrt_cert_type", "就诊凭证类型", type, sizeof type,
	    err) == -1 ||
	    sr_need(in, "mdtrt_cert_no", "就诊凭证编号", no, sizeof no,
	    err) == -1)
		return -1;
	if (strcmp(type, "03") == 0 && hg_json_get_str(in, "card_sn") ==
	    NULL)
		return sim_fail(err, "card_sn_empty",
		    "社保卡识别码[card_sn]不能为空");
	sr_opt(in, "certno", certno, sizeof certno);
	sr_opt(in, "psn_name", name, sizeof name);
	/* the simulator takes an e-voucher token to be the ID number */
	key = certno[0] != '\0' ? certno : no;
	if ((p = sim_conf_person_cert(c, key)) == NULL)
		return sim_fail(err, "person_cert_unknown",
		    "证件号码[%s]未查询到参保人员信息", key);
	if (name[0] != '\0' && strcmp(name, p->psn_name) != 0)
		return sim_fail(err, "person_name_mismatch",
		    "人员姓名[%s]与证件号码[%s]登记的姓名不一致",
		    name, key);
	base = json_object_new_object();
	hg_nhsa_put_str(base, "psn_no", p->psn_no);
	hg_nhsa_put_str(base, "psn_cert_type", "01");
	hg_nhsa_put_str(base, "certno", p->certno);
	hg_nhsa_put_str(base, "psn_name", p->psn_name);
	hg_nhsa_put_str(base, "gend", p->gend);
	hg_nhsa_put_str(base, "naty", "01");
	hg_nhsa_put_str(base, "brdy", p->brdy);
	arr = json_object_new_array();
	for (i = 0; i < c->npsn; i++) {
		if (strcmp(c->psn[i].certno, p->certno) != 0)
			continue;
		row = json_object_new_object();
		json_object_object_add(row, "balc", hg_json_dec(0, 2));
		hg_nhsa_put_str(row, "insutype", c->psn[i].insutype);
		hg_nhsa_put_str(row, "psn_type", c->psn[i].psn_type);
		hg_nhsa_put_str(row, "psn_insu_stas", c->psn[i].psn_insu_stas);
		hg_nhsa_put_str(row, "psn_insu_date", "");
		hg_nhsa_put_str(row, "paus_insu_date", "");
		hg_nhsa_put_str(row, "cvlserv_flag", "0");
		hg_nhsa_put_str(row, "insuplc_admdvs",
		    c->psn[i].insuplc_admdvs);
		hg_nhsa_put_str(row, "emp_name", c->psn[i].emp_name);
		json_object_array_add(arr, row);
	}
	r->output = json_object_new_object();
	json_object_object_add(r->output, "baseinfo", base);
	json_object_object_add(r->output, "insuinfo", arr);
	json_object_object_add(r->output, "idetinfo",
	    json_object_new_array());
	snprintf(r->psn_no, sizeof r->psn_no, "%s", p->psn_no);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* dispatch */

static const struct {
	const char	*infno;
	int		(*fn)(struct req *, struct hg_err *);
} handlers[] = {
	{ "9001", sim_h_9001 },
	{ "1101", sim_h_1101 },
	{ "2401", sim_h_2401 },
	{ "2301", sim_h_2301 },
	{ "2302", sim_h_2302 },
	{ "2402", sim_h_2402 },
	{ "2303", sim_h_2303 },
	{ "2304", sim_h_2304 },
	{ "2305", sim_h_2305 },
	{ "2404", sim_h_2404 },
	{ "2405", sim_h_2405 },
	{ "5201", sim_h_5201 },
	{ "2601", sim_h_2601 },
	{ "5203", sim_h_5203 },
	{ "3201", sim_h_3201 },
	{ "3202", sim_h_3202 },
	{ "9101", sim_h_9101 },
	{ "9102", sim_h_9102 },
};

int
sim_init(struct sim *s, struct hg_err *err)
{
	pthread_mutex_init(&s->lock, NULL);
	return sim_ledger_max_serial(s->ledger, &s->serial, err);
}

void
sim_destroy(struct sim *s)
{
	pthread_mutex_destroy(&s->lock);
}

static struct json_object *
respond(struct sim *s, int infcode, const char *msg, struct json_object *out,
    int64_t recv_ms, int64_t now_ms, int with_ref)
{
	char ref[HG_NHSA_IDBUF] = "", t1[HG_NHSA_TIMEBUF], t2[HG_NHSA_TIMEBUF];
	time_t t = (time_t)(recv_ms / 1000);
	struct tm tm;
	char stamp[16];

	stamp17(recv_ms, t1);
	stamp17(now_ms, t2);
	if (with_ref) {
		localtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
		snprintf(ref, sizeof ref, "%s%s%010lld", s->conf.admdvs, stamp,
		    (long long)(s->serial % 10000000000LL));
	}
	return hg_nhsa_response(infcode, ref, t1, t2, msg, out);
}

struct json_object *
sim_syserr(struct sim *s, const char *msg, int64_t recv_ms, int64_t now_ms)
{
	struct json_object *o;

	pthread_mutex_lock(&s->lock);
	o = respond(s, -1, msg, NULL, recv_ms, now_ms, 0);
	pthread_mutex_unlock(&s->lock);
	return o;
}

static int
header(struct req *r, struct hg_err *err)
{
	const struct sim_conf *c = &r->s->conf;
	char when[HG_NHSA_TIMEBUF];
	struct json_object *d;
	struct hg_err e;
	size_t i;

	if (sr_need(r->root, "infno", "交易编号", r->infno, sizeof r->infno,
	    err) == -1 ||
	    sr_need(r->root, "msgid", "发送方报文ID", r->msgid, sizeof r->msgid,
	    err) == -1 ||
	    sr_need(r->root, "mdtrtarea_admvs", "就医地医保区划", r->mdtrtarea,
	    sizeof r->mdtrtarea, err) == -1 ||
	    sr_need(r->root, "fixmedins_code", "定点医药机构编号", r->code,
	    sizeof r->code, err) == -1 ||
	    sr_need(r->root, "inf_time", "交易时间", when, sizeof when,
	    err) == -1)
		return -1;
	for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (strcmp(handlers[i].infno, r->infno) == 0)
			break;
	if (i == sizeof handlers / sizeof handlers[0])
		return sim_fail(err, "infno_unknown",
		    "交易编号[%s]不存在或未开通", r->infno);
	if (strlen(r->msgid) != HG_NHSA_MSGIDLEN ||
	    strncmp(r->msgid, r->code, strlen(r->code)) != 0)
		return sim_fail(err, "msgid_format",
		    "发送方报文ID[%s]格式错误,应为定点医药机构"
		    "编号+yyyyMMddHHmmss+4位顺序号,共30位", r->msgid);
	if (hg_time_parse("inf_time", when, when, &e) == -1)
		return sim_fail(err, "inf_time_format",
		    "交易时间[inf_time][%s]格式错误,应为"
		    "yyyy-MM-dd HH:mm:ss", when);
	/* a hospital talks to its own province's platform */
	if (strncmp(r->mdtrtarea, c->admdvs, 2) != 0)
		return sim_fail(err, "mdtrtarea_foreign",
		    "就医地医保区划[%s]不属于本平台[%s]",
		    r->mdtrtarea, c->admdvs);
	if (sim_conf_level(c, r->code) == 0)
		return sim_fail(err, "fixmedins_unknown",
		    "定点医药机构编号[%s]不存在", r->code);
	sr_opt(r->root, "insuplc_admdvs", r->insuplc, sizeof r->insuplc);
	sr_opt(r->root, "sign_no", r->sign_no, sizeof r->sign_no);
	sr_opt(r->root, "opter", r->opter, sizeof r->opter);
	if (!json_object_object_get_ex(r->root, "input", &r->input) ||
	    !json_object_is_type(r->input, json_type_object))
		return sim_fail(err, "input_empty",
		    "输入参数[input]不能为空");
	/* the national rule: a psn_no in the input needs the insured place */
	d = sr_data_node(r, hg_nhsa_input_node(r->infno));
	if (d != NULL && json_object_is_type(d, json_type_array))
		d = json_object_array_get_idx(d, 0);
	if (r->insuplc[0] == '\0' && hg_json_get_str(d, "psn_no") != NULL)
		return sim_fail(err, "insuplc_empty",
		    "参保地医保区划[insuplc_admdvs]不能为空");
	return 0;
}

/* Run one request inside one ledger transaction.  Returns 0, or -1 with
 * err: HG_EPERM is answered -2 and the msgid stays spent (recorded with
 * the answer), HG_ETEMP is answered -1 and leaves no trace at all. */
static int
process(struct req *r, struct hg_err *err)
{
	struct sim_ledger *l = r->s->ledger;
	struct sim_msg m;
	struct hg_err e;
	size_t i;
	int found, valid = 1, hrc = -1, rc = -1, done = 0;

	if (sim_ledger_begin(l, err) == -1)
		return -1;
	if (sim_ledger_msg_get(l, r->msgid, &m, &found, err) == -1)
		goto out;
	if (found) {
		sim_fail(err, "msgid_duplicate",
		    "发送方报文ID msgid[%s]重复", r->msgid);
		goto out;
	}
	if (strcmp(r->infno, "9001") != 0) {
		if (r->sign_no[0] == '\0')
			valid = 0;
		else if (sim_ledger_signin_valid(l, r->sign_no, r->code, r->now,
		    &valid, err) == -1)
			goto out;
	}
	if (!valid) {
		sim_fail(err, "signin_invalid",
		    "签到已失效,请重新签到(签到编号[%s])", r->sign_no);
	} else {
		if (sim_ledger_savepoint(l, err) == -1)
			goto out;
		for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
			if (strcmp(handlers[i].infno, r->infno) == 0)
				hrc = handlers[i].fn(r, err);
		if (hrc == -1 && err->kind == HG_ETEMP)
			goto out;
		if (hrc == -1) {
			/* a rejected request changes nothing but its msgid */
			sim_ledger_rollback_to(l);
			r->committed = 0;
		} else if (sim_ledger_release(l, err) == -1) {
			goto out;
		}
	}
	/* the msgid is spent whatever the outcome */
	memset(&m, 0, sizeof m);
	snprintf(m.msgid, sizeof m.msgid, "%s", r->msgid);
	snprintf(m.infno, sizeof m.infno, "%s", r->infno);
	snprintf(m.psn_no, sizeof m.psn_no, "%s", r->psn_no);
	snprintf(m.ref, sizeof m.ref, "%s", r->ref);
	m.infcode = hrc == 0 ? 0 : -2;
	m.committed = hrc == 0 && r->committed;
	if (sim_ledger_msg_log(l, &m, r->code, r->now, hrc == 0 ? NULL :
	    err->msg, &e) == -1 || sim_ledger_commit(l, &e) == -1) {
		*err = e;
		goto out;
	}
	done = 1;
	rc = hrc;
out:
	if (!done)
		sim_ledger_rollback(l);
	return rc;
}

struct json_object *
sim_handle(struct sim *s, struct json_object *root, const char *parse_err,
    int64_t now_ms, int *committed)
{
	struct req r;
	struct hg_err err;
	struct json_object *resp;
	struct tm tm;
	time_t t;
	int rc = -1, infcode;

	memset(&r, 0, sizeof r);
	hg_err_clear(&err);
	pthread_mutex_lock(&s->lock);
	s->serial++;
	r.s = s;
	r.root = root;
	r.now = now_ms / 1000;
	t = (time_t)r.now;
	localtime_r(&t, &tm);
	strftime(r.now_txt, sizeof r.now_txt, "%Y-%m-%d %H:%M:%S", &tm);
	/* yyMMdd, as the platform's own identifiers carry it */
	snprintf(r.day6, sizeof r.day6, "%02d%02d%02d", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday);
	r.year = tm.tm_year + 1900;
	if (root == NULL || !json_object_is_type(root, json_type_object))
		sim_fail(&err, "not_json",
		    "报文格式错误,不是JSON对象: %s",
		    parse_err != NULL ? parse_err : "");
	else if (header(&r, &err) == 0)
		rc = process(&r, &err);
	infcode = rc == 0 ? 0 : err.kind == HG_ETEMP ? -1 : -2;
	*committed = rc == 0 && r.committed;
	if (rc != 0) {
		json_object_put(r.output);
		r.output = NULL;
	}
	resp = respond(s, infcode, rc == 0 ? NULL : err.msg, r.output, now_ms,
	    hg_wall_ms(), infcode != -1);
	pthread_mutex_unlock(&s->lock);
	return resp;
}
