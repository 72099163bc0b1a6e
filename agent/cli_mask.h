/* What the CLI prints ends up in tickets and chat windows: bills with the
 * patient's name and certificate number masked as in the log. */
#ifndef HG_CLI_MASK_H
#define HG_CLI_MASK_H

#include <json-c/json.h>

/* A bill's JSON (stored, or as an adapter read it) parsed, with certno
 * and psn_name masked; the rest as it is.  The caller puts it. */
struct json_object *hg_masked_bill(const char *json);

#endif
