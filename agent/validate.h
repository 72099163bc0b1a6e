/* Validation of a canonical bill before it may be settled.  Each failure
 * is one problem naming the source line and the field. */
#ifndef HG_VALIDATE_H
#define HG_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "adapters/adapter.h"
#include "lib/bill.h"

struct hg_validate_opts {
	/* |qty x price - amount| allowed per line, in micro-yuan (x10^6);
	 * 5000 = half a fen. */
	int64_t	 tolerance_micro;
	/* fee times must fall inside [admission day 00:00, discharge + this
	 * many hours] (night billing runs and discharge medication). */
	int64_t	 after_discharge_hours;
	/* "yyyy-MM-dd HH:mm:ss" of now, for "birth date in the future"; empty
	 * = take the clock. */
	char	 now[HG_TIMELEN];
};

void	hg_validate_defaults(struct hg_validate_opts *o);

/* Append every problem found to *probs (realloc'd, caller frees with
 * hg_problems_free, adapters/adapter.h).  Returns the number of problems added. */
size_t	hg_validate(const struct hg_bill *bill,
	    const struct hg_validate_opts *opts, struct hg_problem **probs,
	    size_t *nprobs);

/* Shape checks of national codes (his-side.md §4).  Return 1 when the
 * shape is plausible. */
int	hg_natcode_shape_ok(const char *code);
int	hg_diagcode_shape_ok(const char *code);

#endif
