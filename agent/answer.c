/* One line per answered call for queue show (answer.h).  The answer is
 * parsed with the codec the settler uses, so the line shows what the
 * agent read, not what the text happens to contain. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/answer.h"
#include "lib/money.h"
#include "lib/nhsa.h"

static void
visits(struct json_object *output, char *buf, size_t len)
{
	struct hg_nhsa_visit *rows = NULL;
	struct hg_err err;
	size_t i, n = 0, o;

	if (hg_nhsa_out_5201(output, &rows, &n, &err) == -1)
		return;
	o = (size_t)snprintf(buf, len, "%zu visit%s", n, n == 1 ? "" : "s");
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s %s %s (%s)",
		    i == 0 ? ":" : ",", rows[i].mdtrt_id, rows[i].ipt_otp_no,
		    strcmp(rows[i].inhosp_stas, "1") == 0 ? "open" :
		    strcmp(rows[i].inhosp_stas, "0") == 0 ? "discharged" :
		    rows[i].inhosp_stas);
	free(rows);
}

static void
settlement(struct json_object *output, char *buf, size_t len)
{
	struct hg_nhsa_setl s;
	struct hg_err err;
	char a[HG_DECBUF], b[HG_DECBUF], c[HG_DECBUF];

	if (hg_nhsa_out_setl(output, &s, &err) == -1)
		return;
	/* 2303 has no setl_id yet */
	snprintf(buf, len, "%s%s%s总额 %s, 基金 %s, 现金 %s",
	    s.setl_id[0] != '\0' ? "setl_id " : "", s.setl_id,
	    s.setl_id[0] != '\0' ? ": " : "",
	    hg_dec_format(s.medfee_sumamt, 2, a),
	    hg_dec_format(s.fund_pay_sumamt, 2, b),
	    hg_dec_format(s.psn_cash_pay, 2, c));
}

const char *
hg_answer_summary(const char *infno, const char *response, char *buf,
    size_t len)
{
	struct hg_nhsa_resp r;
	struct hg_nhsa_person p;
	struct hg_err err;
	char id[HG_NHSA_IDBUF];
	struct json_object *arr;

	buf[0] = '\0';
	if (response == NULL || hg_nhsa_resp_parse(response, strlen(response),
	    &r, &err) == -1)
		return buf;
	if (r.infcode != 0) {
		hg_nhsa_resp_free(&r);
		return buf;
	}
	if (strcmp(infno, "1101") == 0) {
		if (hg_nhsa_out_1101(r.output, &p, &err) == 0)
			snprintf(buf, len, "psn_no %s", p.psn_no);
	} else if (strcmp(infno, "2401") == 0) {
		if (hg_nhsa_out_2401(r.output, id, &err) == 0)
			snprintf(buf, len, "admitted: mdtrt_id %s", id);
	} else if (strcmp(infno, "2301") == 0) {
		arr = r.output != NULL ? json_object_object_get(r.output,
		    "result") : NULL;
		if (arr != NULL && json_object_is_type(arr, json_type_array))
			snprintf(buf, len, "%zu item%s taken",
			    json_object_array_length(arr),
			    json_object_array_length(arr) == 1 ? "" : "s");
	} else if (strcmp(infno, "2303") == 0 || strcmp(infno, "2304") == 0 ||
	    strcmp(infno, "2305") == 0 || strcmp(infno, "5203") == 0) {
		settlement(r.output, buf, len);
	} else if (strcmp(infno, "5201") == 0) {
		visits(r.output, buf, len);
	} else if (strcmp(infno, "2601") == 0) {
		snprintf(buf, len, "reversed");
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "infcode 0");
	hg_nhsa_resp_free(&r);
	return buf;
}
