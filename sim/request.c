/* Shared checks of the simulated platform's handlers: reading the input
 * nodes and the person, visit, policy and settlement each handler checks
 * first.  Business errors in the platform's own wording (hg_fail). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/text.h"
#include "lib/xmalloc.h"
#include "sim/dialect.h"
#include "sim/request.h"

struct json_object *
sr_data_node(struct req *r, const char *name)
{
	struct json_object *v;

	if (r->input == NULL || !json_object_object_get_ex(r->input, name, &v))
		return NULL;
	return v;
}

int
sr_need(struct json_object *o, const char *key, const char *label, char *buf,
    size_t size, struct hg_err *err)
{
	const char *v = hg_json_get_str(o, key);

	if (v == NULL || v[0] == '\0')
		return sim_fail(err, "field_empty",
		    "%s[%s]不能为空", label, key);
	if (strlen(v) >= size)
		return sim_fail(err, "field_too_long",
		    "%s[%s]长度超过%zu", label, key, size - 1);
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

void
sr_opt(struct json_object *o, const char *key, char *buf, size_t size)
{
	const char *v = hg_json_get_str(o, key);

	snprintf(buf, size, "%s", v != NULL ? v : "");
}

int
sr_node_object(struct req *r, const char *name, struct json_object **out,
    struct hg_err *err)
{
	*out = sr_data_node(r, name);
	if (*out == NULL || !json_object_is_type(*out, json_type_object))
		return sim_fail(err, "node_empty",
		    "输入节点[input.%s]不能为空", name);
	return 0;
}

const char *
sr_fen(int64_t v, char buf[HG_DECBUF])
{
	return hg_dec_format(v, HG_SCALE_FEN, buf);
}

/* ---------------------------------------------------------------------- */
/* shared checks */

int
sr_person_for(struct req *r, const char *psn_no, const char *insutype,
    const struct sim_person **out, struct hg_err *err)
{
	const struct sim_person *p;

	*out = NULL;
	if (sim_conf_person(&r->s->conf, psn_no, NULL) == NULL)
		return sim_fail(err, "psn_unknown",
		    "人员编号[%s]不存在", psn_no);
	p = sim_conf_person(&r->s->conf, psn_no, insutype);
	if (p == NULL)
		return sim_fail(err, "psn_no_insutype",
		    "人员编号[%s]无险种类型[%s]的参保信息",
		    psn_no, insutype);
	if (strcmp(p->psn_insu_stas, "1") != 0)
		return sim_fail(err, "psn_insu_paused",
		    "人员编号[%s]险种类型[%s]参保状态异常[%s],"
		    "不能享受待遇", psn_no, insutype, p->psn_insu_stas);
	if (strcmp(p->insuplc_admdvs, r->insuplc) != 0)
		return sim_fail(err, "insuplc_mismatch",
		    "参保地医保区划[%s]与人员参保地[%s]不一致",
		    r->insuplc, p->insuplc_admdvs);
	*out = p;
	return 0;
}

int
sr_visit_for(struct req *r, const char *mdtrt_id, const char *psn_no,
    struct sim_visit *v, struct hg_err *err)
{
	int found;

	if (sim_ledger_visit_get(r->s->ledger, mdtrt_id, v, &found, err) == -1)
		return -1;
	if (!found)
		return sim_fail(err, "visit_unknown",
		    "就诊ID[%s]不存在", mdtrt_id);
	if (strcmp(v->fixmedins_code, r->code) != 0)
		return sim_fail(err, "visit_other_hospital",
		    "就诊ID[%s]不属于定点医药机构[%s]",
		    mdtrt_id, r->code);
	if (psn_no != NULL && strcmp(v->psn_no, psn_no) != 0)
		return sim_fail(err, "visit_other_person",
		    "人员编号[%s]与就诊ID[%s]的人员不一致",
		    psn_no, mdtrt_id);
	if (strcmp(v->state, "cancelled") == 0)
		return sim_fail(err, "visit_cancelled",
		    "就诊ID[%s]已撤销", mdtrt_id);
	return 0;
}

int
sr_not_settled(struct req *r, const char *mdtrt_id, const char *key,
    const char *text, struct hg_err *err)
{
	int n;

	if (sim_ledger_active(r->s->ledger, mdtrt_id, &n, err) == -1)
		return -1;
	if (n > 0)
		return sim_refuse(err, key, text);
	return 0;
}

int
sr_policy_for(struct req *r, const char *admdvs, const char *insutype,
    const struct sim_policy **out, struct hg_err *err)
{
	*out = sim_conf_policy(&r->s->conf, admdvs, insutype);
	if (*out == NULL)
		return sim_fail(err, "policy_missing",
		    "参保地[%s]险种类型[%s]未配置待遇政策",
		    admdvs, insutype);
	return 0;
}

int
sr_load_setl(struct sim_setl_row *row, struct hg_nhsa_setl *s,
    struct hg_err *err)
{
	struct json_object *o;
	struct hg_err e;
	int rc;

	if (hg_json_parse(row->output, &o, &e) == -1)
		return hg_failt(err, "结算ID[%s]的结算信息无法读取: %s",
		    row->setl_id, e.msg);
	rc = hg_nhsa_out_setl(o, s, &e);
	json_object_put(o);
	if (rc == -1)
		return hg_failt(err, "结算ID[%s]的结算信息无法读取: %s",
		    row->setl_id, e.msg);
	return 0;
}
