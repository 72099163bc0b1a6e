/* Answers from a platform we do not control, and requests the simulator
 * receives: parsing must never crash, and amounts must stay exact. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonx.h"
#include "lib/nhsa.h"

const char *hg_fuzz_name = "nhsa";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_nhsa_resp resp;
	struct hg_nhsa_setl setl;
	struct hg_nhsa_person person;
	struct hg_nhsa_fee_result *rows = NULL;
	struct hg_nhsa_setl_req req;
	struct hg_nhsa_fee_in fee;
	struct hg_nhsa_stmt_result st;
	struct json_object *o, *in, *data_node;
	char sign_no[HG_NHSA_IDBUF], sign_time[HG_NHSA_TIMEBUF];
	char mdtrt_id[HG_NHSA_IDBUF];
	size_t n = 0;

	if (hg_nhsa_resp_parse((const char *)data, size, &resp, NULL) == 0) {
		if (resp.output != NULL) {
			if (hg_nhsa_out_setl(resp.output, &setl, NULL) == 0)
				(void)hg_nhsa_setl_check(&setl, NULL);
			(void)hg_nhsa_out_1101(resp.output, &person, NULL);
			if (hg_nhsa_out_2301(resp.output, &rows, &n, NULL) == 0)
				free(rows);
			(void)hg_nhsa_out_9001(resp.output, sign_no, sign_time,
			    NULL);
			(void)hg_nhsa_out_2401(resp.output, mdtrt_id, NULL);
			(void)hg_nhsa_out_3201(resp.output, &st, NULL);
		}
		hg_nhsa_resp_free(&resp);
	}
	/* the receiving side: a request's input node */
	if (size < 65536) {
		char *s = malloc(size + 1);

		if (s == NULL)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		if (hg_json_parse(s, &o, NULL) == 0) {
			if (json_object_object_get_ex(o, "input", &in) &&
			    json_object_object_get_ex(in, "data", &data_node))
				(void)hg_nhsa_setl_req_parse(data_node, &req,
				    NULL);
			if (json_object_is_type(o, json_type_object))
				(void)hg_nhsa_fee_in_parse(o, &fee, NULL);
			json_object_put(o);
		}
		free(s);
	}
	return 0;
}
