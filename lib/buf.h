/* A growable byte buffer, always NUL-terminated (curl's dynbuf). */
#ifndef HG_BUF_H
#define HG_BUF_H

#include <stddef.h>

struct hg_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Make room for n more bytes (and the NUL). */
void	hg_buf_grow(struct hg_buf *b, size_t n);

/* Inline: bills are written field by field, and a call per piece showed
 * in the ingest profile. */
static inline void
hg_buf_add(struct hg_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		hg_buf_grow(b, n);
	__builtin_memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
hg_buf_addc(struct hg_buf *b, char c)
{
	if (b->len + 2 > b->cap)
		hg_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void	hg_buf_adds(struct hg_buf *b, const char *s);
/* Append s as a JSON string literal: quotes, escapes for '"', '\\' and
 * control characters; UTF-8 passes through unchanged. */
void	hg_buf_json_str(struct hg_buf *b, const char *s);
/* Hand the text over to the caller (who frees it); the buffer is empty. */
char	*hg_buf_take(struct hg_buf *b);
void	hg_buf_free(struct hg_buf *b);

#endif
