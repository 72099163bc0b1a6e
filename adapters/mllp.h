/* MLLP framing (HL7 v2 minimal lower layer protocol): a message is sent
 * as 0x0B, the message bytes, 0x1C 0x0D.  The decoder is fed whatever
 * the socket gave and hands back complete frames; it never blocks and
 * never holds more than max bytes of one message. */
#ifndef HG_MLLP_H
#define HG_MLLP_H

#include <stddef.h>

#include "lib/buf.h"

#define HG_MLLP_SB	0x0B
#define HG_MLLP_EB	0x1C
#define HG_MLLP_CR	0x0D

enum hg_mllp_rc {
	HG_MLLP_NONE = 0,	/* no complete frame yet */
	HG_MLLP_FRAME,		/* *msg, *len: one message (valid until the
				   next call) */
	HG_MLLP_TOOBIG,		/* a frame passed max bytes: it is dropped
				   up to its end byte */
};

struct hg_mllp {
	struct hg_buf in;	/* bytes received, not yet consumed */
	size_t	 pos;		/* first byte not yet looked at */
	size_t	 max;		/* largest message accepted */
	size_t	 junk;		/* bytes outside any frame, skipped */
	int	 in_frame;	/* 0x0B seen, end not yet */
	int	 oversize;	/* dropping the rest of an oversized frame */
	struct hg_buf frame;	/* the frame returned last */
};

void	hg_mllp_init(struct hg_mllp *m, size_t max);
void	hg_mllp_free(struct hg_mllp *m);
/* Append received bytes. */
void	hg_mllp_feed(struct hg_mllp *m, const void *p, size_t n);
/* The next complete frame, if any; call until HG_MLLP_NONE. */
enum hg_mllp_rc hg_mllp_next(struct hg_mllp *m, const char **msg,
	    size_t *len);
/* True when part of a frame is waiting (for read timeouts). */
int	hg_mllp_partial(const struct hg_mllp *m);
/* Append msg, framed, to out. */
void	hg_mllp_wrap(struct hg_buf *out, const char *msg, size_t len);

#endif
