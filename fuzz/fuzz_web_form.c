/* A POSTed form of the web server's actions: any bytes from anyone who
 * can reach it (the login is checked after the body is read).  Parsing
 * may refuse it but never crash; a parsed form has at most HG_WEB_FIELDS
 * fields, each a NUL-free string no longer than the body, and the mapping
 * row it carries is checked without crashing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/mapping.h"
#include "agent/web_int.h"

const char *hg_fuzz_name = "web_form";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_web_form f;
	struct hg_err err;
	size_t i;

	if (hg_web_form_parse(&f, (const char *)data, size) == 0) {
		if (f.n > HG_WEB_FIELDS)
			abort();
		for (i = 0; i < f.n; i++)
			if (strlen(f.key[i]) > size || strlen(f.val[i]) > size ||
			    hg_web_form_get(&f, f.key[i]) == NULL)
				abort();
		(void)hg_mapping_row_check(hg_web_form_get(&f, "code"),
		    hg_web_form_get(&f, "nat"), hg_web_form_get(&f, "name"),
		    &err);
	}
	hg_web_form_free(&f);
	return 0;
}
