#include "config.h"

#include <string.h>

#include "agent/adapters.h"

extern const struct hg_adapter_ops hg_adapter_csvdrop;
extern const struct hg_adapter_ops hg_adapter_dbf;
extern const struct hg_adapter_ops hg_adapter_hl7;
extern const struct hg_adapter_ops hg_adapter_httppush;
extern const struct hg_adapter_ops hg_adapter_odbc;

const struct hg_adapter_ops *const hg_adapter_types[] = {
	&hg_adapter_csvdrop,
	&hg_adapter_dbf,
	&hg_adapter_hl7,
	&hg_adapter_httppush,
	&hg_adapter_odbc,
	NULL,
};

const struct hg_adapter_ops *
hg_adapter_type(const char *name)
{
	const struct hg_adapter_ops *const *t;

	for (t = hg_adapter_types; *t != NULL; t++)
		if (strcmp((*t)->name, name) == 0)
			return *t;
	return NULL;
}
