/* Scaled integers: money in fen (scale 2), quantities x10^4 (scale 4),
 * unit prices x10^6 (scale 6), ratios x10^4 (scale 4).  Never floating
 * point: text goes straight to integers and back, exactly. */
#ifndef HG_MONEY_H
#define HG_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define HG_SCALE_FEN	2
#define HG_SCALE_QTY	4
#define HG_SCALE_PRICE	6
#define HG_SCALE_RATIO	4

#define HG_DECBUF	32	/* enough for any int64 at any scale */

/* Parse decimal text at the given scale.  Accepts an optional sign,
 * surrounding ASCII or full-width (U+3000) spaces, full-width digits,
 * sign and point, and digits past the scale only when they are zeros.
 * Rejects everything else ("", "12.3.4", "1.10105E+17", "1,000") with a
 * message naming `field` and saying what was expected. */
int	hg_dec_parse(const char *field, const char *text, int scale,
	    int64_t *out, struct hg_err *err);
/* Write v at scale into buf (HG_DECBUF bytes): "51423.22", "-0.50", "4.0000".
 * Returns buf. */
char	*hg_dec_format(int64_t v, int scale, char *buf);
/* As hg_dec_format, with trailing zeros of the fraction removed ("4", "12.5"). */
char	*hg_dec_format_short(int64_t v, int scale, char *buf);

/* round(a * b / 10^div_scale), half away from zero; exact in 128 bits.
 * E.g. fen = hg_mul_round(qty, price, 4 + 6 - 2). */
int64_t	hg_mul_round(int64_t a, int64_t b, int div_scale);
/* round(a / d) half away from zero. */
int64_t	hg_div_round(int64_t a, int64_t d);

#endif
