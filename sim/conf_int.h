/* What sim/conf.c and sim/conf_csv.c share (defined in conf.c).  Errors
 * name the file and line. */
#ifndef SIM_CONF_INT_H
#define SIM_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define LINEMAX	4096

int	sc_copy(char *dst, size_t size, const char *src, const char *path,
	    int line, const char *what, struct hg_err *err);
char	*sc_chomp(char *s);
/* Skip a UTF-8 byte-order mark (Excel writes one). */
char	*sc_skip_bom(char *s);
/* A ratio between 0 and 1 with at most 4 decimals: "0.75". */
int	sc_parse_ratio(const char *path, int line, const char *key,
	    const char *v, int64_t *out, struct hg_err *err);
int	sc_parse_bool(const char *path, int line, const char *key,
	    const char *v, int *out, struct hg_err *err);

#endif
