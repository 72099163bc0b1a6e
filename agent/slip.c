/* One slip loader for the CLI and the web page (agent/slip.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "agent/slip.h"
#include "lib/jsonx.h"
#include "lib/log.h"

long
hg_stay_days(const char *adm, const char *dscg)
{
	struct tm a, d;
	long n;

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
	n = (long)((timegm(&d) - timegm(&a)) / 86400);
	return n < 1 ? 1 : n;
}

int
hg_slip_load(struct hg_outbox *ob, const struct hg_config *cfg, long long id,
    int need_setl, struct hg_slip *s, struct hg_err *err)
{
	struct json_object *o = NULL;
	struct hg_err serr;
	const struct hg_bill *b;

	memset(s, 0, sizeof *s);
	if (hg_outbox_get(ob, id, &s->row, err) == -1)
		return -1;
	if (s->row.setl_json == NULL && need_setl) {
		hg_fail(err, "bill %lld is %s: it has no settlement (yet)",
		    id, s->row.state);
		return -1;
	}
	if (hg_bill_from_json(s->row.bill_json, &s->bill, err) == -1)
		return -1;
	if (s->row.setl_json != NULL) {
		if (hg_json_parse(s->row.setl_json, &o, err) == -1 ||
		    hg_nhsa_out_setl(o, &s->setl, err) == -1) {
			json_object_put(o);
			return -1;
		}
		json_object_put(o);
		s->has_setl = 1;
		s->other = s->setl.fund_pay_sumamt - s->setl.hifp_pay -
		    s->setl.hifmi_pay - s->setl.maf_pay;
		s->sums_ok = hg_nhsa_setl_check(&s->setl, &serr) == 0;
		if (!s->sums_ok)
			snprintf(s->sums_msg, sizeof s->sums_msg, "%s",
			    serr.msg);
	}
	b = s->bill;
	hg_mask_certno(b->certno ? b->certno : "", s->cert, sizeof s->cert);
	hg_mask_name_ends(b->psn_name ? b->psn_name : "", s->name,
	    sizeof s->name);
	s->hospital = b->fixmedins_name && b->fixmedins_name[0] ?
	    b->fixmedins_name : cfg->agent.fixmedins_name;
	s->days = hg_stay_days(b->adm_time, b->dscg_time);
	s->cancelled = strcmp(s->row.state, HG_S_CANCELLED) == 0;
	return 0;
}

void
hg_slip_free(struct hg_slip *s)
{
	hg_bill_free(s->bill);
	s->bill = NULL;
	hg_row_free(&s->row);
}
