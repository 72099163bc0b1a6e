/* A growable byte buffer, always NUL-terminated (curl's dynbuf). */
#ifndef HG_BUF_H
#define HG_BUF_H

#include <stddef.h>

struct hg_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	hg_buf_add(struct hg_buf *b, const void *p, size_t n);
void	hg_buf_adds(struct hg_buf *b, const char *s);
void	hg_buf_addc(struct hg_buf *b, char c);
/* Append s as a JSON string literal: quotes, escapes for '"', '\\' and
 * control characters; UTF-8 passes through unchanged. */
void	hg_buf_json_str(struct hg_buf *b, const char *s);
/* Hand the text over to the caller (who frees it); the buffer is empty. */
char	*hg_buf_take(struct hg_buf *b);
void	hg_buf_free(struct hg_buf *b);

#endif
