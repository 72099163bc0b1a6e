/* HL7 v2 messages (ER7, the pipe-and-hat encoding): separators read from
 * MSH-1/MSH-2, the character set from MSH-18, segments split on CR, CRLF
 * or LF, values unescaped on the way out.  The whole message is converted
 * to UTF-8 before it is split, because a GBK trail byte can be 0x5C, 0x5E,
 * 0x7C or 0x7E (\ ^ | ~): split first and a Chinese name would break a
 * field in two. */
#ifndef HG_HL7_MSG_H
#define HG_HL7_MSG_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/err.h"

struct hg_hl7_seg {
	char	 name[4];
	char	**f;		/* f[0] the name, f[n] field n, escaped */
	size_t	 nf;
	int	 n;		/* 1-based position in the message */
};

struct hg_hl7_msg {
	char	 fs, cs, rs, ec, ss;	/* | ^ ~ \ & (ss may be 0) */
	char	 fs1[2];	/* MSH-1 as a string */
	char	*charset;	/* MSH-18 as written, "" when empty */
	const char *enc;	/* the iconv name the text was read with */
	char	*text;		/* UTF-8, split in place */
	struct hg_hl7_seg *seg;
	size_t	 nseg;
};

/* Parse one message (the bytes between the MLLP start and end bytes).
 * def_enc is the iconv name for an empty MSH-18, or "auto": UTF-8 when
 * the bytes are valid UTF-8, else GB18030.  On -1 err says what is
 * wrong in the sender's terms (segment, field, what was expected). */
int	hg_hl7_parse(const char *buf, size_t len, const char *def_enc,
	    struct hg_hl7_msg **out, struct hg_err *err);
void	hg_hl7_free(struct hg_hl7_msg *m);

/* The iconv name for an MSH-18 value ("UNICODE UTF-8", "GB 18030-2000",
 * "GB2312" ...), def for "", NULL when unknown. */
const char *hg_hl7_charset(const char *msh18, const char *def);

/* The nth (0-based) segment called name, or NULL. */
const struct hg_hl7_seg *hg_hl7_seg(const struct hg_hl7_msg *m,
	    const char *name, size_t nth);
/* Repetitions of field f (0 when empty). */
size_t	hg_hl7_reps(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s,
	    int f);
/* Field f, repetition r (0-based), component c (1-based; 0 = the whole
 * repetition), unescaped and trimmed; "" when absent.  Caller frees. */
char	*hg_hl7_get(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s,
	    int f, int r, int c);
/* Unescape \F\ \S\ \T\ \R\ \E\ \Xhh..\ \.br\ and the formatting
 * commands.  Caller frees. */
char	*hg_hl7_unescape(const struct hg_hl7_msg *m, const char *in,
	    size_t len);
/* Append s with the message's separators escaped (for ACK texts). */
void	hg_hl7_escape(struct hg_buf *out, const struct hg_hl7_msg *m,
	    const char *s);

#endif
