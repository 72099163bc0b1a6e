/* gbk: two-byte GBK and GB18030 characters by table (see gbk.h).
 *
 * iconv per run of Chinese characters was a sixth of bench/ingest: two
 * conversion steps and a call per run of a few characters.  A table of
 * the 24,066 possible pairs, filled by iconv at first use, decodes them
 * with one load each; what the table does not know still goes through
 * iconv, so the text and the errors are the same. */
#include "config.h"

#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adapters/gbk.h"
#include "lib/xmalloc.h"

#define NLEAD	126	/* 0x81-0xFE */
#define NTRAIL	191	/* 0x40-0xFE */

static const char *const names[] = { "GB18030", "GBK", "GB2312" };
static uint16_t *tables[3];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static uint16_t *
build(const char *name)
{
	uint16_t *tab;
	iconv_t cd;
	int lead, trail;

	cd = iconv_open("UCS-4LE", name);
	if (cd == (iconv_t)-1)
		return NULL;
	tab = hg_xcalloc(NLEAD * NTRAIL, sizeof *tab);
	for (lead = 0x81; lead <= 0xFE; lead++)
		for (trail = 0x40; trail <= 0xFE; trail++) {
			char in[2] = { (char)lead, (char)trail };
			unsigned char o[8];
			char *ip = in, *op = (char *)o;
			size_t il = 2, ol = sizeof o;
			uint32_t cp;

			iconv(cd, NULL, NULL, NULL, NULL);
			if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 ||
			    il != 0 || sizeof o - ol != 4)
				continue;
			cp = (uint32_t)o[0] | (uint32_t)o[1] << 8 |
			    (uint32_t)o[2] << 16 | (uint32_t)o[3] << 24;
			if (cp >= 0x80 && cp <= 0xFFFF)
				tab[HG_GBK_AT(lead, trail)] = (uint16_t)cp;
		}
	iconv_close(cd);
	return tab;
}

const uint16_t *
hg_gbk_table(const char *enc)
{
	const uint16_t *tab = NULL;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(enc, names[i]) == 0)
			break;
	if (i == sizeof names / sizeof names[0])
		return NULL;
	pthread_mutex_lock(&mu);
	if (tables[i] == NULL)
		tables[i] = build(names[i]);
	tab = tables[i];
	pthread_mutex_unlock(&mu);
	return tab;
}

size_t
hg_gbk_run(const uint16_t *tab, const unsigned char *in, size_t len,
    char *out, size_t *outlen)
{
	unsigned char *o = (unsigned char *)out;
	size_t k = 0;
	unsigned cp;

	while (k + 1 < len && in[k] >= 0x81 && in[k] <= 0xFE &&
	    in[k + 1] >= 0x40 && in[k + 1] <= 0xFE) {
		cp = tab[HG_GBK_AT(in[k], in[k + 1])];
		if (cp == 0)
			break;
		if (cp < 0x800) {
			*o++ = (unsigned char)(0xC0 | cp >> 6);
			*o++ = (unsigned char)(0x80 | (cp & 0x3F));
		} else {
			*o++ = (unsigned char)(0xE0 | cp >> 12);
			*o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			*o++ = (unsigned char)(0x80 | (cp & 0x3F));
		}
		k += 2;
	}
	*outlen = (size_t)((char *)o - out);
	return k;
}
