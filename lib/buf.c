#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

void
hg_buf_grow(struct hg_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;

	while (b->len + n + 1 > cap)
		cap *= 2;
	b->data = hg_xrealloc(b->data, cap, 1);
	b->cap = cap;
}

void
hg_buf_adds(struct hg_buf *b, const char *s)
{
	hg_buf_add(b, s, strlen(s));
}


/* What ends a run of bytes copied as they are: the terminator and what
 * JSON escapes (control characters, quote, backslash).  One load per
 * byte: the test by ranges was 8 % of bench/ingest's profile. */
static const unsigned char esc_or_end[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1,
	[0x05] = 1, [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1,
	[0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1,
	[0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
	[0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
	[0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

void
hg_buf_json_str(struct hg_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[7];

	hg_buf_addc(b, '"');
	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if (!esc_or_end[c])
			continue;
		if (c == '\0')
			break;
		hg_buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': hg_buf_add(b, "\\\"", 2); break;
		case '\\': hg_buf_add(b, "\\\\", 2); break;
		case '\n': hg_buf_add(b, "\\n", 2); break;
		case '\r': hg_buf_add(b, "\\r", 2); break;
		case '\t': hg_buf_add(b, "\\t", 2); break;
		case '\b': hg_buf_add(b, "\\b", 2); break;
		case '\f': hg_buf_add(b, "\\f", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			hg_buf_add(b, esc, 6);
			break;
		}
	}
	hg_buf_add(b, run, (size_t)(s - run));
	hg_buf_addc(b, '"');
}

char *
hg_buf_take(struct hg_buf *b)
{
	char *p = b->data ? b->data : hg_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
hg_buf_free(struct hg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
