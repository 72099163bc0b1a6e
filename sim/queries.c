/* Query and reconciliation handlers of the simulated platform: 5203
 * settlement query, 3201 daily totals, 9101 file upload, 3202 detail
 * reconciliation, 9102 file download. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "lib/nhsa_stmt.h"
#include "sim/dialect.h"
#include "sim/request.h"

/* ---------------------------------------------------------------------- */
/* 5203 settlement query */

int
sim_h_5203(struct req *r, struct hg_err *err)
{
	struct json_object *in;
	char psn_no[HG_NHSA_IDBUF], setl_id[HG_NHSA_IDBUF],
	    mdtrt_id[HG_NHSA_IDBUF];
	struct sim_setl_row row;
	struct hg_nhsa_setl s;
	int found, rc = -1;

	/* As the interface has it: psn_no and setl_id are both required;
	 * there is no lookup by msgid (medins_setl_id), so a client whose
	 * 2304 answer was lost has to reverse it (2601) instead. */
	if (sr_node_object(r, "data", &in, err) == -1 ||
	    sr_need(in, "psn_no", "人员编号", psn_no, sizeof psn_no, err) == -1)
		return -1;
	sr_opt(in, "setl_id", setl_id, sizeof setl_id);
	sr_opt(in, "mdtrt_id", mdtrt_id, sizeof mdtrt_id);
	if (setl_id[0] == '\0')
		return sim_fail(err, "query_setl_id_empty",
		    "结算ID[setl_id]不能为空");
	if (sim_ledger_setl_get(r->s->ledger, setl_id, 0, &row, &found,
	    err) == -1)
		return -1;
	if (!found)
		return sim_fail(err, "query_setl_unknown", "结算ID[%s]不存在",
		    setl_id);
	if (strcmp(row.fixmedins_code, r->code) != 0)
		sim_fail(err, "query_other_hospital",
		    "结算ID[%s]不属于定点医药机构[%s]", row.setl_id,
		    r->code);
	else if (strcmp(row.psn_no, psn_no) != 0)
		sim_fail(err, "query_person_mismatch",
		    "人员编号[%s]与结算ID[%s]的人员不一致", psn_no,
		    row.setl_id);
	else if (mdtrt_id[0] != '\0' && strcmp(row.mdtrt_id, mdtrt_id) != 0)
		sim_fail(err, "query_visit_mismatch",
		    "结算ID[%s]与就诊ID[%s]不匹配", row.setl_id,
		    mdtrt_id);
	else if (sr_load_setl(&row, &s, err) == 0)
		rc = 0;
	if (rc == 0) {
		snprintf(s.setl_type, sizeof s.setl_type, "%s",
		    strcmp(row.kind, "canc") == 0 ? "2" : "1");
		snprintf(s.refd_setl_flag, sizeof s.refd_setl_flag, "%s",
		    row.canc_setl_id[0] != '\0' ? "1" : "0");
		snprintf(s.revs_flag, sizeof s.revs_flag, "%s",
		    row.reversed_by[0] != '\0' ? "1" : "0");
		r->output = hg_nhsa_setl_json(&s);
		snprintf(r->ref, sizeof r->ref, "%s", row.setl_id);
		snprintf(r->psn_no, sizeof r->psn_no, "%s", psn_no);
	}
	sim_ledger_row_free(&row);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* 3201 reconciliation */

static void
cmp_add(char *buf, size_t size, const char *what, int64_t ours,
    int64_t theirs, int scale)
{
	char a[HG_DECBUF], b[HG_DECBUF];
	size_t n = strlen(buf);

	if (ours == theirs)
		return;
	snprintf(buf + n, size - n, "%s%s:医药机构[%s],中心[%s]",
	    n > 0 ? ";" : "", what, hg_dec_format(theirs, scale, a),
	    hg_dec_format(ours, scale, b));
}

int
sim_h_3201(struct req *r, struct hg_err *err)
{
	struct hg_nhsa_stmt_req q;
	struct sim_stmt_totals t;
	struct json_object *info;
	char dscr[HG_NHSA_TEXTBUF] = "", a[HG_DECBUF], b[HG_DECBUF];
	char d1[HG_NHSA_TIMEBUF], d2[HG_NHSA_TIMEBUF];
	struct hg_err e;
	int mode;

	if (hg_nhsa_stmt_req_parse(sr_data_node(r, "data"), &q, err) == -1)
		return -1;
	if (hg_time_parse("stmt_begndate", q.stmt_begndate, d1, &e) == -1 ||
	    hg_time_parse("stmt_enddate", q.stmt_enddate, d2, &e) == -1)
		return sim_fail(err, "stmt_date_format",
		    "对账日期[%s]至[%s]格式错误,应为yyyy-MM-dd",
		    q.stmt_begndate, q.stmt_enddate);
	d1[10] = d2[10] = '\0';
	if (q.refd_setl_flag[0] == '\0')
		mode = -1;
	else if (strcmp(q.refd_setl_flag, "0") == 0)
		mode = 0;
	else if (strcmp(q.refd_setl_flag, "1") == 0)
		mode = 1;
	else
		return sim_fail(err, "stmt_refd_flag",
		    "退费结算标志[refd_setl_flag]应为0或1");
	if (sim_ledger_stmt(r->s->ledger, r->code, q.insutype, q.clr_type,
	    q.setl_optins, d1, d2, mode, &t, err) == -1)
		return -1;
	cmp_add(dscr, sizeof dscr, "医疗费总额", t.medfee, q.medfee_sumamt, 2);
	cmp_add(dscr, sizeof dscr, "基金支付总额", t.fund, q.fund_pay_sumamt,
	    2);
	cmp_add(dscr, sizeof dscr, "个人账户支付金额", t.acct, q.acct_pay, 2);
	cmp_add(dscr, sizeof dscr, "结算笔数", t.cnt, q.fixmedins_setl_cnt, 0);
	info = json_object_new_object();
	hg_nhsa_put_str(info, "setl_optins", q.setl_optins);
	hg_nhsa_put_str(info, "stmt_rslt", dscr[0] == '\0' ? "0" : "1");
	if (dscr[0] == '\0')
		snprintf(dscr, sizeof dscr, "对账一致:结算笔数%lld,医疗费总额%s,"
		    "基金支付总额%s", (long long)t.cnt, sr_fen(t.medfee, a),
		    sr_fen(t.fund, b));
	hg_nhsa_put_str(info, "stmt_rslt_dscr", dscr);
	r->output = json_object_new_object();
	json_object_object_add(r->output, "stmtinfo", info);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* 9101 file upload, 3202 detail reconciliation, 9102 file download */

static int
file_store(struct req *r, const char *kind, const char *filename,
    char *content, char no[HG_NHSA_IDBUF], struct hg_err *err)
{
	struct sim_file f;
	int64_t serial;

	if (sim_ledger_next_serial(r->s->ledger, "files", &serial, err) == -1)
		return -1;
	memset(&f, 0, sizeof f);
	snprintf(f.file_qury_no, sizeof f.file_qury_no, "%sF%s%08lld",
	    r->s->conf.admdvs, r->day6, (long long)(serial % 100000000));
	snprintf(f.fixmedins_code, sizeof f.fixmedins_code, "%s", r->code);
	snprintf(f.filename, sizeof f.filename, "%s", filename);
	snprintf(f.kind, sizeof f.kind, "%s", kind);
	f.content = content;
	if (sim_ledger_file_add(r->s->ledger, &f, r->msgid, r->now,
	    err) == -1)
		return -1;
	snprintf(no, HG_NHSA_IDBUF, "%s", f.file_qury_no);
	return 0;
}

/* The file's info as 9101 and 3202 answer it: downloadable for a day. */
static struct json_object *
file_info(struct req *r, const char *no, const char *filename)
{
	struct json_object *o = json_object_new_object();
	char until[HG_NHSA_TIMEBUF];
	time_t t = (time_t)(r->now + 86400);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(until, sizeof until, "%Y-%m-%d %H:%M:%S", &tm);
	hg_nhsa_put_str(o, "file_qury_no", no);
	hg_nhsa_put_str(o, "filename", filename);
	hg_nhsa_put_str(o, "dld_endtime", until);
	return o;
}

int
sim_h_9101(struct req *r, struct hg_err *err)
{
	struct json_object *in;
	char filename[SIM_NAMEBUF], no[HG_NHSA_IDBUF];
	const char *text;

	if (sr_node_object(r, "fsUploadIn", &in, err) == -1 ||
	    sr_need(in, "filename", "文件名", filename, sizeof filename,
	    err) == -1)
		return -1;
	text = hg_json_get_str(in, "in");
	if (text == NULL)
		return sim_fail(err, "file_empty",
		    "文件内容[in]不能为空");
	/* the text is kept as sent: 3202 reads it, 9102 returns it */
	if (file_store(r, "up", filename, (char *)text, no, err) == -1)
		return -1;
	r->output = file_info(r, no, filename);
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", no);
	return 0;
}

static int
file_of(struct req *r, const char *no, struct sim_file *f, struct hg_err *err)
{
	int found;

	if (sim_ledger_file_get(r->s->ledger, no, f, &found, err) == -1)
		return -1;
	if (!found || strcmp(f->fixmedins_code, r->code) != 0) {
		hg_sfree(f->content);
		return sim_fail(err, "file_unknown",
		    "文件查询号[%s]不存在", no);
	}
	return 0;
}

/* The hospital's row for a platform settlement: by setl_id, or by msgid
 * when the hospital lost the setl_id with the 2304 answer. */
static struct hg_stmt_row *
hosp_row(struct hg_stmt_rows *h, const struct sim_setl_row *p, char *used)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!used[i] && strcmp(h->v[i].refd_setl_flag, "0") == 0 &&
		    ((h->v[i].setl_id[0] != '\0' &&
		    strcmp(h->v[i].setl_id, p->setl_id) == 0) ||
		    (h->v[i].setl_id[0] == '\0' &&
		    strcmp(h->v[i].msgid, p->msgid) == 0))) {
			used[i] = 1;
			return &h->v[i];
		}
	return NULL;
}

static void
diff_memo(char *memo, size_t size, const struct hg_stmt_row *h,
    const struct sim_setl_row *p)
{
	char a[HG_DECBUF], b[HG_DECBUF];
	size_t n;

	memo[0] = '\0';
	if (h->medfee_sumamt != p->medfee) {
		n = strlen(memo);
		snprintf(memo + n, size - n, "医疗费总额:医药机构[%s],中心[%s];",
		    sr_fen(h->medfee_sumamt, a), sr_fen(p->medfee, b));
	}
	if (h->fund_pay_sumamt != p->fund) {
		n = strlen(memo);
		snprintf(memo + n, size - n, "基金支付总额:医药机构[%s],"
		    "中心[%s];", sr_fen(h->fund_pay_sumamt, a),
		    sr_fen(p->fund, b));
	}
	if (h->acct_pay != p->acct) {
		n = strlen(memo);
		snprintf(memo + n, size - n, "个人账户支付:医药机构[%s],"
		    "中心[%s];", sr_fen(h->acct_pay, a), sr_fen(p->acct, b));
	}
}

/* Why a settlement of the hospital's file is not in force here. */
static int
why_absent(struct req *r, const struct hg_stmt_row *h, char *memo,
    size_t size, struct hg_err *err)
{
	struct sim_setl_row row;
	int found;

	if (sim_ledger_setl_get(r->s->ledger, h->setl_id[0] != '\0' ?
	    h->setl_id : h->msgid, h->setl_id[0] == '\0', &row, &found,
	    err) == -1)
		return -1;
	if (!found || strcmp(row.fixmedins_code, r->code) != 0)
		snprintf(memo, size, "中心无此结算");
	else if (row.reversed_by[0] != '\0')
		snprintf(memo, size, "中心已冲正(冲正报文ID[%s])",
		    row.reversed_by);
	else if (row.canc_setl_id[0] != '\0')
		snprintf(memo, size, "中心已撤销(撤销结算ID[%s])",
		    row.canc_setl_id);
	else if (strcmp(row.kind, "setl") != 0)
		snprintf(memo, size, "结算ID[%s]是撤销记录", row.setl_id);
	else
		snprintf(memo, size, "结算时间[%s]不在对账期间",
		    row.setl_time);
	sim_ledger_row_free(&row);
	return 0;
}

static void
result_from(struct hg_stmt_row *o, const struct sim_setl_row *p)
{
	memset(o, 0, sizeof *o);
	snprintf(o->setl_id, sizeof o->setl_id, "%s", p->setl_id);
	snprintf(o->msgid, sizeof o->msgid, "%s", p->msgid);
	snprintf(o->mdtrt_id, sizeof o->mdtrt_id, "%s", p->mdtrt_id);
	snprintf(o->psn_no, sizeof o->psn_no, "%s", p->psn_no);
	o->medfee_sumamt = p->medfee;
	o->fund_pay_sumamt = p->fund;
	o->acct_pay = p->acct;
	snprintf(o->refd_setl_flag, sizeof o->refd_setl_flag, "0");
}

/* Compare the hospital's rows with the settlements in force: every one
 * of those is listed (match, only here, amounts differ), then every row
 * of the hospital's not in force here. */
static int
detail_compare(struct req *r, struct hg_stmt_rows *h,
    const struct sim_setl_row *p, size_t np, struct hg_buf *out,
    struct hg_err *err)
{
	struct hg_stmt_row o, *m;
	char *used = hg_xcalloc(h->n + 1, 1);
	size_t i;
	int rc = -1;

	for (i = 0; i < np; i++) {
		result_from(&o, &p[i]);
		if ((m = hosp_row(h, &p[i], used)) == NULL) {
			snprintf(o.stmt_rslt, sizeof o.stmt_rslt, "%s",
			    HG_STMT_ONLY_PLATFORM);
			snprintf(o.memo, sizeof o.memo, "医药机构无此结算");
		} else {
			diff_memo(o.memo, sizeof o.memo, m, &p[i]);
			snprintf(o.stmt_rslt, sizeof o.stmt_rslt, "%s",
			    o.memo[0] == '\0' ? HG_STMT_MATCH :
			    HG_STMT_AMOUNTS);
		}
		hg_stmt_row_format(out, &o, 1);
	}
	for (i = 0; i < h->n; i++) {
		if (used[i] || strcmp(h->v[i].refd_setl_flag, "0") != 0)
			continue;
		o = h->v[i];
		snprintf(o.stmt_rslt, sizeof o.stmt_rslt, "%s",
		    HG_STMT_ONLY_HOSPITAL);
		if (why_absent(r, &h->v[i], o.memo, sizeof o.memo, err) == -1)
			goto out;
		hg_stmt_row_format(out, &o, 1);
	}
	rc = 0;
out:
	free(used);
	return rc;
}

int
sim_h_3202(struct req *r, struct hg_err *err)
{
	struct hg_stmt_req q;
	struct hg_stmt_rows rows = { 0 };
	struct sim_setl_row *p = NULL;
	struct sim_file f;
	struct hg_buf out = { 0 };
	char d1[HG_NHSA_TIMEBUF], d2[HG_NHSA_TIMEBUF], no[HG_NHSA_IDBUF],
	    name[SIM_NAMEBUF];
	struct hg_err e;
	size_t np;
	int rc = -1;

	memset(&f, 0, sizeof f);
	if (hg_nhsa_stmt_detail_req_parse(sr_data_node(r, "data"), &q,
	    &e) == -1)
		return sim_fail(err, "detail_input",
		    "对明细账输入参数错误: %s", e.msg);
	if (hg_time_parse("stmt_begndate", q.stmt_begndate, d1, &e) == -1 ||
	    hg_time_parse("stmt_enddate", q.stmt_enddate, d2, &e) == -1)
		return sim_fail(err, "detail_date_format",
		    "对账日期[%s]至[%s]格式错误,应为yyyy-MM-dd",
		    q.stmt_begndate, q.stmt_enddate);
	d1[10] = d2[10] = '\0';
	if (file_of(r, q.file_qury_no, &f, err) == -1)
		return -1;
	if (hg_stmt_rows_parse(f.filename, f.content, 0, &rows, &e) == -1) {
		sim_fail(err, "detail_file_format",
		    "对账明细文件格式错误: %s", e.msg);
		goto out;
	}
	if (sim_ledger_in_force(r->s->ledger, r->code, q.clr_type,
	    q.setl_optins, d1, d2, &p, &np, err) == -1 ||
	    detail_compare(r, &rows, p, np, &out, err) == -1)
		goto out;
	snprintf(name, sizeof name, "3202_%s_%s_%s.txt", r->code, d1, d2);
	if (file_store(r, "result", name, out.data != NULL ? out.data : "",
	    no, err) == -1)
		goto out;
	r->output = json_object_new_object();
	json_object_object_add(r->output, "fileinfo", file_info(r, no, name));
	r->committed = 1;
	snprintf(r->ref, sizeof r->ref, "%s", no);
	rc = 0;
out:
	hg_buf_free(&out);
	hg_stmt_rows_free(&rows);
	free(p);
	free(f.content);
	return rc;
}

int
sim_h_9102(struct req *r, struct hg_err *err)
{
	struct json_object *in;
	char no[HG_NHSA_IDBUF];
	struct sim_file f;

	if (sr_node_object(r, "fsDownloadIn", &in, err) == -1 ||
	    sr_need(in, "file_qury_no", "文件查询号", no, sizeof no,
	    err) == -1 ||
	    file_of(r, no, &f, err) == -1)
		return -1;
	r->output = json_object_new_object();
	hg_nhsa_put_str(r->output, "file_qury_no", f.file_qury_no);
	hg_nhsa_put_str(r->output, "filename", f.filename);
	hg_nhsa_put_str(r->output, "out", f.content);
	free(f.content);
	snprintf(r->ref, sizeof r->ref, "%s", no);
	return 0;
}
