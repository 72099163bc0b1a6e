/* HL7 v2 messages from any integration engine: the parser, the
 * classification and the fold into a bill must never crash, whatever the
 * bytes; every value read back is a NUL-terminated string. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/hl7_priv.h"

const char *hg_fuzz_name = "hl7";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_hl7_msg *m;
	struct hg_hl7_head h;
	struct hg_err err;
	size_t i;

	if (hg_hl7_parse((const char *)data, size, size % 2 ? "auto" :
	    "GB18030", &m, &err) < 0)
		return 0;
	for (i = 0; i < m->nseg && i < 64; i++) {
		char *v = hg_hl7_get(m, &m->seg[i], (int)(i % 24), (int)(i % 3),
		    (int)(i % 6));

		(void)strlen(v);
		free(v);
	}
	if (hg_hl7_classify(m, &h, &err) == 0 && h.kind != HG_HL7_OTHER_ADT) {
		struct hg_hl7_fold *fo = hg_hl7_fold_new("fuzz", h.visit);
		struct hg_bill *b;

		if (hg_hl7_fold_add(fo, m, h.ctrl, &err) == 0) {
			b = hg_hl7_fold_end(fo);
			hg_bill_free(b);
		} else
			hg_hl7_fold_free(fo);
	}
	hg_hl7_head_free(&h);
	hg_hl7_free(m);
	return 0;
}
