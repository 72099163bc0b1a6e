/* The adapter registry: one NULL-terminated table of every adapter type
 * (adding a type = one file in adapters/ and one row here). */
#ifndef HG_ADAPTERS_H
#define HG_ADAPTERS_H

#include "adapters/adapter.h"

extern const struct hg_adapter_ops *const hg_adapter_types[];

const struct hg_adapter_ops *hg_adapter_type(const char *name);

#endif
