/* One request to the simulated platform as its handlers see it, the
 * shared checks they run first, and the handlers themselves (one file per
 * job: visits.c, fees.c, settlements.c, queries.c; sign-in, person info and
 * the dispatcher in platform.c).  Handlers return 0 or -1 with err:
 * hg_fail() for a business error (answered -2, in the platform's own
 * wording), hg_failt() for a system error (-1). */
#ifndef HG_SIM_REQUEST_H
#define HG_SIM_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "sim/ledger.h"
#include "sim/platform.h"

struct req {
	struct sim	*s;
	struct json_object *root;
	struct json_object *input;
	char		 infno[HG_NHSA_CODEBUF];
	char		 msgid[HG_NHSA_IDBUF];
	char		 code[HG_NHSA_IDBUF];		/* fixmedins_code */
	char		 insuplc[HG_NHSA_CODEBUF];
	char		 mdtrtarea[HG_NHSA_CODEBUF];
	char		 sign_no[HG_NHSA_IDBUF];
	char		 opter[HG_NHSA_IDBUF];
	int64_t		 now;				/* seconds */
	char		 now_txt[HG_NHSA_TIMEBUF];	/* yyyy-MM-dd HH:mm:ss */
	char		 day6[8];			/* yyMMdd */
	int		 year;
	/* results */
	struct json_object *output;
	int		 committed;
	char		 ref[HG_NHSA_IDBUF];
	char		 psn_no[HG_NHSA_IDBUF];
};

/* input.NAME, or NULL */
struct json_object *sr_data_node(struct req *r, const char *name);
/* A required string field into buf (label names it for people). */
int	sr_need(struct json_object *o, const char *key, const char *label,
	    char *buf, size_t size, struct hg_err *err);
/* An optional string field ("" when absent). */
void	sr_opt(struct json_object *o, const char *key, char *buf, size_t size);
/* input.NAME that must be an object. */
int	sr_node_object(struct req *r, const char *name,
	    struct json_object **out, struct hg_err *err);
const char *sr_fen(int64_t v, char buf[HG_DECBUF]);
int	sr_person_for(struct req *r, const char *psn_no, const char *insutype,
	    const struct sim_person **out, struct hg_err *err);
/* A visit of this hospital (and person, unless psn_no is NULL), not
 * cancelled. */
int	sr_visit_for(struct req *r, const char *mdtrt_id, const char *psn_no,
	    struct sim_visit *v, struct hg_err *err);
/* Refused with text (dialect key) when a settlement is in force. */
int	sr_not_settled(struct req *r, const char *mdtrt_id, const char *key,
	    const char *text, struct hg_err *err);
int	sr_policy_for(struct req *r, const char *admdvs, const char *insutype,
	    const struct sim_policy **out, struct hg_err *err);
/* A ledger row's stored 2304/2305 output, parsed. */
int	sr_load_setl(struct sim_setl_row *row, struct hg_nhsa_setl *s,
	    struct hg_err *err);

/* Cancel a visit with no settlement in force, its uploaded fees with it
 * (2404, and 2601 of a 2401). */
int	sim_visit_cancel(struct req *r, struct sim_visit *v,
	    struct hg_err *err);

/* handlers, by infno */
int	sim_h_9001(struct req *r, struct hg_err *err);
int	sim_h_1101(struct req *r, struct hg_err *err);
int	sim_h_2401(struct req *r, struct hg_err *err);
int	sim_h_2402(struct req *r, struct hg_err *err);
int	sim_h_2404(struct req *r, struct hg_err *err);
int	sim_h_2405(struct req *r, struct hg_err *err);
int	sim_h_5201(struct req *r, struct hg_err *err);
int	sim_h_2301(struct req *r, struct hg_err *err);
int	sim_h_2302(struct req *r, struct hg_err *err);
int	sim_h_2303(struct req *r, struct hg_err *err);
int	sim_h_2304(struct req *r, struct hg_err *err);
int	sim_h_2305(struct req *r, struct hg_err *err);
int	sim_h_2601(struct req *r, struct hg_err *err);
int	sim_h_5203(struct req *r, struct hg_err *err);
int	sim_h_3201(struct req *r, struct hg_err *err);
int	sim_h_3202(struct req *r, struct hg_err *err);
int	sim_h_9101(struct req *r, struct hg_err *err);
int	sim_h_9102(struct req *r, struct hg_err *err);

#endif
