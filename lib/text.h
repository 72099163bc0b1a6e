/* Text at the edge: encodings (everything inside hisgate is UTF-8),
 * timestamps and identifier normalisation. */
#ifndef HG_TEXT_H
#define HG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define HG_TIMELEN	20	/* "yyyy-MM-dd HH:mm:ss" + NUL */

/* Pick the encoding of a buffer: a BOM first (UTF-8, UTF-16LE/BE), then
 * valid UTF-8, then `fallback` (normally "GB18030").  *bom gets the number
 * of BOM bytes to skip.  Returns a static string. */
const char *hg_text_detect(const char *buf, size_t len, const char *fallback,
	    size_t *bom);
int	hg_utf8_valid(const char *buf, size_t len);

/* Convert to UTF-8 with iconv.  Undecodable bytes become U+FFFD and are
 * counted in *nbad; *first_bad gets the input offset of the first one (or
 * SIZE_MAX).  The result is NUL-terminated; the caller frees *out.
 * Fails only for an unknown encoding name. */
int	hg_text_to_utf8(const char *enc, const char *in, size_t len,
	    char **out, size_t *outlen, size_t *nbad, size_t *first_bad,
	    struct hg_err *err);

/* Convert UTF-8 text to enc (for write-back files). */
int	hg_text_from_utf8(const char *enc, const char *in, size_t len,
	    char **out, size_t *outlen, struct hg_err *err);

/* Parse "yyyy-MM-dd HH:mm:ss" (also "yyyy-MM-ddTHH:mm:ss" and a bare
 * "yyyy-MM-dd", taken as 00:00:00) into the canonical 19-character form.
 * Checks that the date and time are real.  Other shapes ("2024/3/1",
 * "20240301", "1/8/2024 00:00:00") are rejected naming the field. */
int	hg_time_parse(const char *field, const char *text,
	    char out[HG_TIMELEN], struct hg_err *err);
int	hg_date_valid(int y, int m, int d);

/* Normalise an identifier in place: full-width letters and digits to
 * ASCII, lower-case x to X, spaces (ASCII and U+3000) removed. */
void	hg_norm_id(char *s);
/* Trim ASCII and full-width spaces at both ends, in place. */
char	*hg_trim(char *s);
/* True when s contains U+FFFD (a byte the decoder could not read). */
int	hg_has_replacement(const char *s);

#endif
