/* What libconfig's "syntax error" means.  libconfig names only the line
 * where its parser gave up (often the end of the file) and says
 * "syntax error"; this reads the file again with a small tokenizer of its
 * own and says what was expected and where the problem started: "unclosed
 * quote opened at line 12", "'{' opened at line 3 (agent) is never
 * closed", "value info of log_level is not in quotes". */
#ifndef HG_CONFSCAN_H
#define HG_CONFSCAN_H

#include <stddef.h>

/* Scan the file; 0 with *line and msg set when a problem is found, -1
 * when the scan finds none (or cannot read the file). */
int	hg_conf_scan(const char *path, int *line, char *msg, size_t len);

#endif
