/* gbk: two-byte GBK and GB18030 characters by table. */
#ifndef HG_GBK_H
#define HG_GBK_H

#include <stddef.h>
#include <stdint.h>

/* The code point of every two-byte character of encoding enc (GB18030,
 * GBK or GB2312), indexed by HG_GBK_AT, 0 where iconv must decide (an
 * invalid pair, a character beyond the BMP); built once per encoding by
 * iconv itself, so both paths decode alike.  NULL for other encodings.
 * Shared, never freed. */
const uint16_t *hg_gbk_table(const char *enc);

#define HG_GBK_AT(lead, trail)	(((lead) - 0x81) * 191 + ((trail) - 0x40))

/* Decode the leading run of table-known two-byte characters of in[0..len)
 * into out as UTF-8 (at most 3 bytes per 2): returns the bytes of in used
 * and sets *outlen.  Stops at anything else: ASCII, an unknown pair, a
 * lead byte cut by the end of the chunk. */
size_t	hg_gbk_run(const uint16_t *tab, const unsigned char *in, size_t len,
	    char *out, size_t *outlen);

#endif
