#include "config.h"

#include <string.h>

#include "agent/adapters.h"

extern const struct hg_adapter_ops hg_adapter_csvdrop;

const struct hg_adapter_ops *const hg_adapter_types[] = {
	&hg_adapter_csvdrop,
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
