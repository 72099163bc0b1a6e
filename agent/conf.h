/* hisgate.conf and adapters.d/NAME.conf: one libconfig file for the agent,
 * one per adapter instance (named after the file).  Every key comes from a
 * declarative table (lib/conftab.h) with a documented default; unknown
 * keys are errors reported as FILE:LINE: message. */
#ifndef HG_CONFIG_H
#define HG_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "adapters/adapter.h"
#include "agent/alert.h"
#include "agent/platform.h"
#include "agent/web.h"
#include "lib/conftab.h"

#define HG_DEFAULT_CONF	SYSCONFDIR "/hisgate/hisgate.conf"

struct hg_agent_conf {
	char	*fixmedins_code;
	char	*fixmedins_name;
	char	*admdvs;
	char	*outbox;
	char	*adapters_dir;
	char	*mapping_file;
	char	*audit_dir;
	char	*log_level;
	char	*log_target;
	char	*service_user;	/* whose access check-config checks */
	int64_t	 poll_ms;
};

struct hg_validate_conf {
	char	*amount_tolerance;
	int64_t	 after_discharge_hours;
};

/* How long personal data is kept (queue/outbox_scrub.c). */
struct hg_retention_conf {
	int64_t	 personal_days;	/* 0: for ever */
};

/* Where a key was set: "agent.outbox" in the main file, "NAME.dir" in
 * adapters.d/NAME.conf; a section or adapter alone names its first line. */
struct hg_conf_line {
	char	*key;
	char	*file;
	int	 line;
};

struct hg_config {
	char	*file;		/* the main file, or "(built-in defaults)" */
	struct hg_conf_line *lines;
	size_t	 nlines;
	struct hg_agent_conf agent;
	struct hg_validate_conf validate;
	struct hg_retention_conf retention;
	struct hg_platform_conf platform;
	struct hg_settle_conf settle;
	struct hg_web_conf web;
	struct hg_alert_conf alert;
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
/* The file and line where key ("agent.outbox", "NAME.dir") was set;
 * a key left at its default names its section's line (or the adapter
 * file's first), and failing that line 1 of the main file.  Never 0. */
int	hg_config_where(const struct hg_config *cfg, const char *key,
	    const char **file);
/* The reference of every key (agent, validate, each adapter type). */
void	hg_config_print_keys(FILE *fp);
/* config-keys --json: {"main": [keys], "adapters": [{"type",
 * "description", "keys"}]}, keys as hg_conf_json. */
struct json_object *hg_config_keys_json(void);

#endif
