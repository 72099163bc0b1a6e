/* Code mapping: local charge codes to national catalogue codes, from a
 * CSV file (GB18030 or UTF-8, detected).  Reloaded on SIGHUP by building a
 * new table and swapping it in; readers keep the one they took. */
#ifndef HG_MAPPING_H
#define HG_MAPPING_H

#include <stddef.h>

#include "adapters/adapter.h"
#include "lib/bill.h"
#include "lib/err.h"

struct hg_mapping;

/* File format: a header row is optional; each line is
 * local_code,national_code[,name].  Blank lines and lines starting with
 * '#' are skipped.  Errors name FILE:LINE. */
int	hg_mapping_load(const char *path, struct hg_mapping **out,
	    struct hg_err *err);
/* check-config: load and throw away, listing every bad line in errs
 * (FILE:LINE: message) and rows with extra filled columns in warns;
 * *rows is the number of codes when it loads.  0 or -1. */
int	hg_mapping_check(const char *path, size_t *rows,
	    struct hg_conf_errs *errs, struct hg_conf_errs *warns);
/* mapping_add.c: a row as a person types it in the web form (codes
 * given, one line of UTF-8 each, the national code in a catalogue shape):
 * 0, or -1 with err naming the field. */
int	hg_mapping_row_check(const char *local, const char *nat,
	    const char *name, struct hg_err *err);
/* Append local,nat[,name] to the file, in its own encoding, separator
 * and line ends, by writing a new file beside it (same mode and owner),
 * checking it as check-config does, syncing it and renaming it over the
 * old one.  0 when added, 1 when the file maps local to nat already
 * (nothing written), -1 with err (a file the agent may not write says
 * so, and who the agent runs as). */
int	hg_mapping_add(const char *path, const char *local, const char *nat,
	    const char *name, struct hg_err *err);
struct hg_mapping *hg_mapping_empty(void);
void	hg_mapping_free(struct hg_mapping *map);
size_t	hg_mapping_size(const struct hg_mapping *map);
/* NULL when the local code is not in the table. */
const char *hg_mapping_lookup(const struct hg_mapping *map,
	    const char *local_code);
/* The name the file gives for the local code ("" when it has none), or
 * NULL when the code is not in the table. */
const char *hg_mapping_name(const struct hg_mapping *map,
	    const char *local_code);
/* Set nat_code on every fee: the table wins; a code the source already
 * gave stays when the table has none; otherwise one problem
 * "未对码: <local code> <name>" on that line, field med_list_codg.
 * Returns the number of problems added. */
size_t	hg_mapping_apply(const struct hg_mapping *map, struct hg_bill *bill,
	    struct hg_problem **probs, size_t *nprobs);

#endif
