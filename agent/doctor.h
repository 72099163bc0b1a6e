/* hisgate doctor's parts: cmd_doctor.c runs the checks and prints the
 * report; doctor_drops.c checks the drop directories, doctor_platform.c
 * the platform (certificates, DNS, TLS, sign-in, clock). */
#ifndef HG_AGENT_DOCTOR_H
#define HG_AGENT_DOCTOR_H

#include <stddef.h>
#include <stdint.h>

#include "agent/conf.h"

struct json_object;

struct hd_report {
	struct json_object *arr;	/* --json */
	int	 failed, warned;
};

/* One line of the report: level ok, warn or fail; what is the check. */
void	hd_say(struct hd_report *r, const char *level, const char *what,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A duration in ms as a person reads it: "95 s", "12 min", "3 h 05 min". */
void	hd_ago(int64_t ms, char *buf, size_t len);

void	hd_check_drops(struct hd_report *r, const struct hg_config *cfg,
	    int running);
void	hd_check_platform(struct hd_report *r, const struct hg_config *cfg);

#endif
