/* The national interface codec, person and visits (lib/nhsa.h): 1101
 * person query, 2401 admission, 2402 discharge, 5201 visit query, 2404
 * admission cancel, 2405 discharge cancel, and the receiver's reading of
 * 2601.  The agent asks 5201 after a lost 2401 or 2402 answer
 * instead of reading a refusal text (agent/settle_lost.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/nhsa_int.h"
#include "lib/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* 1101 */

struct json_object *
hg_nhsa_in_1101(const struct hg_nhsa_cert *cert, const char *psn_cert_type,
    const char *certno, const char *psn_name)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_cert_type", cert->mdtrt_cert_type);
	hg_nhsa_put_str(d, "mdtrt_cert_no", cert->mdtrt_cert_no);
	hg_nhsa_put_str(d, "card_sn", cert->card_sn);
	hg_nhsa_put_str(d, "begntime", "");
	hg_nhsa_put_str(d, "psn_cert_type", psn_cert_type);
	hg_nhsa_put_str(d, "certno", certno);
	hg_nhsa_put_str(d, "psn_name", psn_name);
	return nh_wrap("data", d);
}

int
hg_nhsa_out_1101(struct json_object *output, struct hg_nhsa_person *p,
    struct hg_err *err)
{
	struct json_object *b = nh_node(output, "baseinfo");
	struct json_object *arr = nh_node(output, "insuinfo"), *row;
	struct hg_nhsa_insuinfo *in;
	size_t i, n;

	memset(p, 0, sizeof *p);
	if (b == NULL)
		return hg_fail(err, "1101: output.baseinfo missing");
	if (hg_nhsa_get_str(b, "psn_no", p->psn_no, sizeof p->psn_no, 1,
	    err) == -1 ||
	    hg_nhsa_get_str(b, "certno", p->certno, sizeof p->certno, 0,
	    err) == -1)
		goto fail;
	nh_get_text(b, "psn_name", p->psn_name, sizeof p->psn_name);
	nh_get_text(b, "psn_cert_type", p->psn_cert_type,
	    sizeof p->psn_cert_type);
	nh_get_text(b, "gend", p->gend, sizeof p->gend);
	nh_get_text(b, "naty", p->naty, sizeof p->naty);
	nh_get_text(b, "brdy", p->brdy, sizeof p->brdy);
	nh_get_text(b, "age", p->age, sizeof p->age);
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return hg_fail(err, "1101: output.insuinfo is not an array");
	n = json_object_array_length(arr);
	for (i = 0; i < n && p->ninsu < HG_NHSA_MAXINSU; i++) {
		row = json_object_array_get_idx(arr, i);
		in = &p->insu[p->ninsu];
		if (hg_nhsa_get_str(row, "insutype", in->insutype,
		    sizeof in->insutype, 1, err) == -1 ||
		    hg_nhsa_get_str(row, "insuplc_admdvs", in->insuplc_admdvs,
		    sizeof in->insuplc_admdvs, 1, err) == -1 ||
		    hg_json_get_dec(row, "balc", HG_SCALE_FEN, 1, &in->balc,
		    err) == -1) {
			hg_err_prefix(err, "1101: insuinfo[%zu]", i);
			return -1;
		}
		nh_get_text(row, "psn_type", in->psn_type, sizeof in->psn_type);
		nh_get_text(row, "psn_insu_stas", in->psn_insu_stas,
		    sizeof in->psn_insu_stas);
		nh_get_text(row, "cvlserv_flag", in->cvlserv_flag,
		    sizeof in->cvlserv_flag);
		nh_get_text(row, "emp_name", in->emp_name, sizeof in->emp_name);
		p->ninsu++;
	}
	return 0;
fail:
	hg_err_prefix(err, "1101: baseinfo");
	return -1;
}

const struct hg_nhsa_insuinfo *
hg_nhsa_person_insu(const struct hg_nhsa_person *p, const char *insutype)
{
	size_t i;

	for (i = 0; i < p->ninsu; i++)
		if (strcmp(p->insu[i].insutype, insutype) == 0 &&
		    strcmp(p->insu[i].psn_insu_stas, "1") == 0)
			return &p->insu[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* 2401, 2402 */

static const struct hg_diag *
main_diag(const struct hg_bill *b)
{
	size_t i;

	for (i = 0; i < b->ndiags; i++)
		if (b->diags[i].main)
			return &b->diags[i];
	return b->ndiags > 0 ? &b->diags[0] : NULL;
}

static struct json_object *
diseinfo(const struct hg_bill *b, const char *when)
{
	struct json_object *arr = json_object_new_array(), *d;
	size_t i;
	char srt[16];

	for (i = 0; i < b->ndiags; i++) {
		d = json_object_new_object();
		snprintf(srt, sizeof srt, "%zu", i + 1);
		hg_nhsa_put_str(d, "psn_no", b->psn_no);
		hg_nhsa_put_str(d, "diag_type", "1");
		hg_nhsa_put_str(d, "maindiag_flag", b->diags[i].main ? "1" :
		    "0");
		hg_nhsa_put_str(d, "diag_srt_no", srt);
		hg_nhsa_put_str(d, "diag_code", b->diags[i].code);
		hg_nhsa_put_str(d, "diag_name", b->diags[i].name);
		hg_nhsa_put_str(d, "adm_cond", "");
		hg_nhsa_put_str(d, "diag_dept", b->dept_name);
		hg_nhsa_put_str(d, "dise_dor_no", b->doctor_code);
		hg_nhsa_put_str(d, "dise_dor_name", b->doctor_name);
		hg_nhsa_put_str(d, "diag_time", when);
		json_object_array_add(arr, d);
	}
	return arr;
}

struct json_object *
hg_nhsa_in_2401(const struct hg_bill *b, const struct hg_nhsa_cert *cert)
{
	struct json_object *in = json_object_new_object();
	struct json_object *m = json_object_new_object();
	const struct hg_diag *md = main_diag(b);

	hg_nhsa_put_str(m, "psn_no", b->psn_no);
	hg_nhsa_put_str(m, "insutype", b->insutype);
	hg_nhsa_put_str(m, "coner_name", "");
	hg_nhsa_put_str(m, "tel", "");
	hg_nhsa_put_str(m, "begntime", b->adm_time);
	hg_nhsa_put_str(m, "mdtrt_cert_type", cert->mdtrt_cert_type);
	hg_nhsa_put_str(m, "mdtrt_cert_no", cert->mdtrt_cert_no);
	hg_nhsa_put_str(m, "med_type", b->med_type != NULL ? b->med_type :
	    "21");
	hg_nhsa_put_str(m, "ipt_no", b->ipt_no);
	hg_nhsa_put_str(m, "medrcdno", b->ipt_no);
	hg_nhsa_put_str(m, "atddr_no", b->doctor_code);
	hg_nhsa_put_str(m, "chfpdr_name", b->doctor_name);
	hg_nhsa_put_str(m, "adm_diag_dscr", md != NULL ? md->name : "");
	hg_nhsa_put_str(m, "adm_dept_codg", b->dept_code);
	hg_nhsa_put_str(m, "adm_dept_name", b->dept_name);
	hg_nhsa_put_str(m, "adm_bed", "");
	hg_nhsa_put_str(m, "dscg_maindiag_code", md != NULL ? md->code : "");
	hg_nhsa_put_str(m, "dscg_maindiag_name", md != NULL ? md->name : "");
	hg_nhsa_put_str(m, "main_cond_dscr", "");
	hg_nhsa_put_str(m, "dise_codg", "");
	hg_nhsa_put_str(m, "dise_name", "");
	hg_nhsa_put_str(m, "oprn_oprt_code", "");
	hg_nhsa_put_str(m, "oprn_oprt_name", "");
	json_object_object_add(in, "mdtrtinfo", m);
	json_object_object_add(in, "diseinfo", diseinfo(b, b->adm_time));
	return in;
}

int
hg_nhsa_out_2401(struct json_object *output, char mdtrt_id[HG_NHSA_IDBUF],
    struct hg_err *err)
{
	struct json_object *r = nh_node(output, "result");

	if (r == NULL)
		return hg_fail(err, "2401: output.result missing");
	if (hg_nhsa_get_str(r, "mdtrt_id", mdtrt_id, HG_NHSA_IDBUF, 1,
	    err) == -1) {
		hg_err_prefix(err, "2401: result");
		return -1;
	}
	return 0;
}

struct json_object *
hg_nhsa_in_2402(const struct hg_bill *b, const char *dscg_way)
{
	struct json_object *in = json_object_new_object();
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_id", b->mdtrt_id);
	hg_nhsa_put_str(d, "psn_no", b->psn_no);
	hg_nhsa_put_str(d, "insutype", b->insutype);
	hg_nhsa_put_str(d, "endtime", b->dscg_time);
	hg_nhsa_put_str(d, "dise_codg", "");
	hg_nhsa_put_str(d, "dise_name", "");
	hg_nhsa_put_str(d, "oprn_oprt_code", "");
	hg_nhsa_put_str(d, "oprn_oprt_name", "");
	hg_nhsa_put_str(d, "cop_flag", "");
	hg_nhsa_put_str(d, "dscg_dept_codg", b->dept_code);
	hg_nhsa_put_str(d, "dscg_dept_name", b->dept_name);
	hg_nhsa_put_str(d, "dscg_bed", "");
	hg_nhsa_put_str(d, "dscg_way", dscg_way != NULL ? dscg_way : "1");
	hg_nhsa_put_str(d, "die_date", "");
	json_object_object_add(in, "dscginfo", d);
	json_object_object_add(in, "diseinfo", diseinfo(b, b->dscg_time));
	return in;
}

/* ---------------------------------------------------------------------- */
/* 5201, 2404, 2405, 2601 */

struct json_object *
hg_nhsa_in_5201(const char *psn_no, const char *begntime, const char *endtime)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", psn_no);
	if (begntime != NULL && begntime[0] != '\0')
		hg_nhsa_put_str(d, "begntime", begntime);
	if (endtime != NULL && endtime[0] != '\0')
		hg_nhsa_put_str(d, "endtime", endtime);
	return nh_wrap("data", d);
}

int
hg_nhsa_visit_req_parse(struct json_object *data,
    struct hg_nhsa_visit_req *req, struct hg_err *err)
{
	memset(req, 0, sizeof *req);
	if (hg_nhsa_req_str(data, "psn_no", "人员编号", req->psn_no, sizeof req->psn_no,
	    1, err) == -1 ||
	    hg_nhsa_req_str(data, "begntime", "开始时间", req->begntime,
	    sizeof req->begntime, 0, err) == -1 ||
	    hg_nhsa_req_str(data, "endtime", "结束时间", req->endtime,
	    sizeof req->endtime, 0, err) == -1)
		return -1;
	return 0;
}

static void
put_opt(struct json_object *o, const char *key, const char *v)
{
	if (v[0] != '\0')
		hg_nhsa_put_str(o, key, v);
}

struct json_object *
hg_nhsa_visit_json(const struct hg_nhsa_visit *v)
{
	struct json_object *o = json_object_new_object();

	put_opt(o, "mdtrt_id", v->mdtrt_id);
	put_opt(o, "psn_no", v->psn_no);
	put_opt(o, "ipt_otp_no", v->ipt_otp_no);
	put_opt(o, "inhosp_stas", v->inhosp_stas);
	put_opt(o, "begntime", v->begntime);
	put_opt(o, "endtime", v->endtime);
	put_opt(o, "insutype", v->insutype);
	put_opt(o, "med_type", v->med_type);
	put_opt(o, "fixmedins_code", v->fixmedins_code);
	return o;
}

static int
visit_parse(struct json_object *it, struct hg_nhsa_visit *v,
    struct hg_err *err)
{
	memset(v, 0, sizeof *v);
	if (it == NULL || !json_object_is_type(it, json_type_object))
		return hg_fail(err, "not an object");
	if (hg_nhsa_get_str(it, "mdtrt_id", v->mdtrt_id, sizeof v->mdtrt_id,
	    1, err) == -1 ||
	    hg_nhsa_get_str(it, "psn_no", v->psn_no, sizeof v->psn_no, 0,
	    err) == -1 ||
	    hg_nhsa_get_str(it, "ipt_otp_no", v->ipt_otp_no,
	    sizeof v->ipt_otp_no, 1, err) == -1 ||
	    hg_nhsa_get_str(it, "inhosp_stas", v->inhosp_stas,
	    sizeof v->inhosp_stas, 1, err) == -1 ||
	    hg_nhsa_get_str(it, "begntime", v->begntime, sizeof v->begntime,
	    0, err) == -1 ||
	    hg_nhsa_get_str(it, "endtime", v->endtime, sizeof v->endtime, 0,
	    err) == -1 ||
	    hg_nhsa_get_str(it, "insutype", v->insutype, sizeof v->insutype,
	    0, err) == -1 ||
	    hg_nhsa_get_str(it, "med_type", v->med_type, sizeof v->med_type,
	    0, err) == -1 ||
	    hg_nhsa_get_str(it, "fixmedins_code", v->fixmedins_code,
	    sizeof v->fixmedins_code, 0, err) == -1)
		return -1;
	if (strcmp(v->inhosp_stas, "0") != 0 &&
	    strcmp(v->inhosp_stas, "1") != 0)
		return hg_fail(err, "inhosp_stas: \"%s\" is neither \"1\" (in "
		    "hospital) nor \"0\" (discharged)", v->inhosp_stas);
	return 0;
}

int
hg_nhsa_out_5201(struct json_object *output, struct hg_nhsa_visit **out,
    size_t *nout, struct hg_err *err)
{
	struct json_object *arr = NULL;
	struct hg_nhsa_visit *rows;
	size_t i, n;

	*out = NULL;
	*nout = 0;
	if (output != NULL && !json_object_object_get_ex(output, "mdtrtinfo",
	    &arr))
		arr = NULL;
	if (arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return hg_fail(err, "5201: output.mdtrtinfo is not an array");
	n = json_object_array_length(arr);
	rows = hg_xcalloc(n > 0 ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		if (visit_parse(json_object_array_get_idx(arr, i), &rows[i],
		    err) == -1) {
			hg_err_prefix(err, "5201: output.mdtrtinfo[%zu]", i);
			free(rows);
			return -1;
		}
	}
	*out = rows;
	*nout = n;
	return 0;
}

const struct hg_nhsa_visit *
hg_nhsa_visit_find(const struct hg_nhsa_visit *rows, size_t n,
    const char *mdtrt_id)
{
	size_t i;

	for (i = 0; mdtrt_id != NULL && i < n; i++)
		if (strcmp(rows[i].mdtrt_id, mdtrt_id) == 0)
			return &rows[i];
	return NULL;
}

static struct json_object *
visit_ref(const char *mdtrt_id, const char *psn_no)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(d, "psn_no", psn_no);
	return nh_wrap("data", d);
}

struct json_object *
hg_nhsa_in_2404(const char *mdtrt_id, const char *psn_no)
{
	return visit_ref(mdtrt_id, psn_no);
}

struct json_object *
hg_nhsa_in_2405(const char *mdtrt_id, const char *psn_no)
{
	return visit_ref(mdtrt_id, psn_no);
}

int
hg_nhsa_visit_ref_parse(struct json_object *data,
    char mdtrt_id[HG_NHSA_IDBUF], char psn_no[HG_NHSA_IDBUF],
    struct hg_err *err)
{
	if (hg_nhsa_req_str(data, "mdtrt_id", "就诊ID", mdtrt_id, HG_NHSA_IDBUF, 1,
	    err) == -1 ||
	    hg_nhsa_req_str(data, "psn_no", "人员编号", psn_no, HG_NHSA_IDBUF, 1,
	    err) == -1)
		return -1;
	return 0;
}

int
hg_nhsa_revs_req_parse(struct json_object *data, char psn_no[HG_NHSA_IDBUF],
    char omsgid[HG_NHSA_IDBUF], char oinfno[HG_NHSA_CODEBUF],
    struct hg_err *err)
{
	if (hg_nhsa_req_str(data, "psn_no", "人员编号", psn_no, HG_NHSA_IDBUF, 1,
	    err) == -1 ||
	    hg_nhsa_req_str(data, "omsgid", "原发送方报文ID", omsgid, HG_NHSA_IDBUF, 1,
	    err) == -1 ||
	    hg_nhsa_req_str(data, "oinfno", "原交易编号", oinfno, HG_NHSA_CODEBUF, 1,
	    err) == -1)
		return -1;
	return 0;
}
