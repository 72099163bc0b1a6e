/* check-config beyond loading: what a loadable configuration still gets
 * wrong at 2 a.m., when the daemon runs as the service user: a missing or
 * empty adapters_dir, a missing or broken mapping file, drop and outbox
 * directories that user cannot create or write, secrets it cannot read,
 * and the example's placeholder values. */
#ifndef HG_CONFCHECK_H
#define HG_CONFCHECK_H

#include "adapters/spool.h"
#include "agent/conf.h"
#include "lib/access.h"
#include "lib/conftab.h"

/* Errors go to errs, warnings to warns, each "FILE:LINE: message" (a
 * warning's message starts with "warning: ").  Run as root, file access
 * is checked as agent.service_user; otherwise as this process's user.
 * *mapping_rows is the number of codes of a good mapping file. */
void	hg_confcheck(const struct hg_config *cfg, struct hg_conf_errs *errs,
	    struct hg_conf_errs *warns, size_t *mapping_rows);

/* Whose file access matters: agent.service_user when this runs as root
 * (-1, and this process's user, when there is no such user), otherwise
 * this process's user. */
int	hg_confcheck_user(const struct hg_config *cfg, struct hg_user *as);
/* The adapters the HIS connects to or that reach a database, checked
 * offline (agent/confcheck_adapters.c): listening addresses (in use,
 * not of this machine, below 1024, shared), the hl7 store, the ODBC
 * data source and driver named, a password in a file others can read.
 * FILE:LINE of the setting; file access as `as`. */
void	hg_confcheck_adapters(const struct hg_config *cfg,
	    const struct hg_user *as, struct hg_conf_errs *errs,
	    struct hg_conf_errs *warns);
/* The spool keys of an adapter whose config_map embeds
 * HG_SPOOL_CONF_KEYS (dir first, done_dir right after it), or NULL. */
const struct hg_spool_keys *hg_confcheck_spool(const struct hg_adapter *a);

#endif
