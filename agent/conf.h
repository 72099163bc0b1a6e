/* hisgate.conf and adapters.d/NAME.conf: one libconfig file for the agent,
 * one per adapter instance (named after the file).  Every key comes from a
 * declarative table (lib/conftab.h) with a documented default; unknown
 * keys are errors reported as FILE:LINE: message. */
#ifndef HG_CONFIG_H
#define HG_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "adapters/adapter.h"
#include "agent/platform.h"
#include "lib/conftab.h"

#define HG_DEFAULT_CONF	SYSCONFDIR "/hisgate/hisgate.conf"

struct hg_agent_conf {
	char	*fixmedins_code;
	char	*fixmedins_name;
	char	*admdvs;
	char	*outbox;
	char	*adapters_dir;
	char	*mapping_file;
	char	*log_level;
	char	*log_target;
	int64_t	 poll_ms;
};

struct hg_validate_conf {
	char	*amount_tolerance;
	int64_t	 after_discharge_hours;
};

struct hg_config {
	char	*file;		/* the main file, or "(built-in defaults)" */
	struct hg_agent_conf agent;
	struct hg_validate_conf validate;
	struct hg_platform_conf platform;
	struct hg_settle_conf settle;
	struct hg_adapter **adapters;
	size_t	 nadapters;
};

/* Load path (NULL = the default; a missing default file means built-in
 * defaults, a missing named file is an error).  Problems go to errs; the
 * config is returned even when there are problems, for printing. */
struct hg_config *hg_config_load(const char *path, struct hg_conf_errs *errs);
void	hg_config_free(struct hg_config *cfg);
struct hg_adapter *hg_config_adapter(const struct hg_config *cfg,
	    const char *name);
/* The reference of every key (agent, validate, each adapter type). */
void	hg_config_print_keys(FILE *fp);

#endif
