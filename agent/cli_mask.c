/* cli_mask: bills for CLI output (see cli_mask.h). */
#include "config.h"

#include "agent/cli_mask.h"
#include "lib/jsonx.h"
#include "lib/log.h"

struct json_object *
hg_masked_bill(const char *json)
{
	struct json_object *b = json_tokener_parse(json);
	const char *v;
	char buf[64];

	if ((v = hg_json_get_str(b, "certno")) != NULL)
		json_object_object_add(b, "certno", json_object_new_string(
		    hg_mask_certno(v, buf, sizeof buf)));
	if ((v = hg_json_get_str(b, "psn_name")) != NULL)
		json_object_object_add(b, "psn_name", json_object_new_string(
		    hg_mask_name(v, buf, sizeof buf)));
	return b;
}
