/* The simulator's data: policy file (INI-like), catalogue and person
 * registry (CSV).  Formats: doc/sim-formats.md.  Errors read
 * "FILE:LINE: message". */
#ifndef HG_SIM_CONF_H
#define HG_SIM_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "sim/rules.h"

struct sim_hospital {
	char	 code[SIM_IDBUF];		/* fixmedins_code */
	char	 name[SIM_NAMEBUF];
	int	 level;				/* 1..3 */
};

/* One insurance row of a person (a person may have several). */
struct sim_person {
	char	 certno[SIM_IDBUF];
	char	 psn_no[SIM_IDBUF];
	char	 psn_name[SIM_NAMEBUF];
	char	 gend[SIM_CODEBUF];
	char	 brdy[SIM_CODEBUF];
	char	 insutype[SIM_CODEBUF];
	char	 psn_type[SIM_CODEBUF];
	char	 insuplc_admdvs[SIM_CODEBUF];
	char	 psn_insu_stas[SIM_CODEBUF];	/* "1" active */
	char	 emp_name[SIM_NAMEBUF];
	int	 filing;
};

struct sim_conf {
	/* [platform] */
	char	 admdvs[SIM_CODEBUF];		/* the platform's own region */
	char	 name[SIM_NAMEBUF];
	int	 default_level;			/* 0: unknown hospitals refused */
	int64_t	 sign_ttl;			/* seconds */
	char	*registry_path;			/* from the policy, or NULL */
	struct sim_hospital *hosp;
	size_t	 nhosp;
	struct sim_policy *pol;
	size_t	 npol;
	struct sim_catitem *cat;		/* sorted by code */
	size_t	 ncat;
	struct sim_person *psn;
	size_t	 npsn;
};

int	sim_conf_load_policy(struct sim_conf *conf, const char *path,
	    struct hg_err *err);
int	sim_conf_load_catalogue(struct sim_conf *conf, const char *path,
	    struct hg_err *err);
int	sim_conf_load_registry(struct sim_conf *conf, const char *path,
	    struct hg_err *err);
void	sim_conf_free(struct sim_conf *conf);

/* Exact (admdvs, insutype), then (admdvs, *), then (*, insutype), then
 * (*, *); NULL when none. */
const struct sim_policy *sim_conf_policy(const struct sim_conf *conf,
	    const char *admdvs, const char *insutype);
const struct sim_catitem *sim_conf_item(const struct sim_conf *conf,
	    const char *code);
const struct sim_hospital *sim_conf_hospital(const struct sim_conf *conf,
	    const char *code);
/* The level of a hospital: its own, else the default; 0 when unknown. */
int	sim_conf_level(const struct sim_conf *conf, const char *code);
/* A person's row: by psn_no (and insutype unless NULL), by certificate
 * number (first row). */
const struct sim_person *sim_conf_person(const struct sim_conf *conf,
	    const char *psn_no, const char *insutype);
const struct sim_person *sim_conf_person_cert(const struct sim_conf *conf,
	    const char *certno);

#endif
