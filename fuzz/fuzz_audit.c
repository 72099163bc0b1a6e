/* Audit rule tables edited by hand: any bytes are read or refused line
 * by line, without crashing, and the tables they give audit a bill.  The
 * first byte picks the grammar: odd a catalogue (CSV), even directives. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/audit.h"

const char *hg_fuzz_name = "audit";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_audit_findings out = HG_AUDIT_FINDINGS_INIT;
	struct hg_audit_tables t;
	struct hg_bill *b;
	struct hg_fee *f;
	size_t i;

	if (size == 0)
		return 0;
	hg_audit_tables_init(&t);
	hg_audit_load_text(&t, "fuzz.conf", (const char *)data + 1, size - 1,
	    data[0] & 1, &errs);
	b = hg_bill_new();
	hg_set_str(&b->certno, "11010519491231002X");
	strcpy(b->adm_time, "2024-03-01 08:30:00");
	strcpy(b->dscg_time, "2024-03-04 10:00:00");
	/* every code the tables name, twice, on the admission day */
	for (i = 0; i < 2 * t.nitems && i < 200; i++) {
		f = hg_bill_add_fee(b);
		hg_set_str(&f->nat_code, t.items[i / 2].code);
		f->qty = 10000;
		f->price = 1000000;
		f->amount = 100;
		strcpy(f->time, "2024-03-01 09:00:00");
	}
	(void)hg_audit_bill(&t, b, NULL, 0, &out);
	hg_audit_findings_free(&out);
	hg_bill_free(b);
	hg_audit_tables_free(&t);
	hg_conf_errs_free(&errs);
	return 0;
}
