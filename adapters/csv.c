#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "adapters/csv.h"
#include "adapters/gbk.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

/* --- tokenizer ----------------------------------------------------------- */

enum csv_state {
	S_REC_START,	/* nothing of a record yet */
	S_FIELD_START,	/* a field begins: a quote may open it */
	S_UNQUOTED,
	S_QUOTED,
	S_QUOTE_SEEN,	/* a quote inside a quoted field: "" or the end */
};

struct hg_csv {
	int	 delim;
	int	 quote;
	size_t	 maxrec;
	enum csv_state state;
	int	 line;		/* physical line of the next byte */
	int	 prev_cr;	/* the last byte was CR: a following LF is
				 * part of the same line break */
	/* the record being built: fields NUL-separated in buf */
	char	*buf;
	size_t	 len, cap;
	size_t	*off;
	int	*fline;
	size_t	 nf, fcap;
	char	**ptrs;
	size_t	 pcap;
	int	 rec_line;
	int	 flags;
	/* bytes that end a run: NUL, CR, LF and the delimiter outside
	 * quotes, NUL, CR, LF and the quote inside */
	unsigned char stop_out[256], stop_in[256];
};

struct hg_csv *
hg_csv_new(int delim, int quote, size_t max_record)
{
	struct hg_csv *c = hg_xcalloc(1, sizeof *c);

	c->delim = delim;
	c->quote = quote;
	c->maxrec = max_record ? max_record : HG_CSV_MAXREC;
	c->state = S_REC_START;
	c->line = 1;
	c->cap = 256;
	c->buf = hg_xmalloc(c->cap);
	c->stop_out[0] = c->stop_in[0] = 1;
	c->stop_out['\r'] = c->stop_in['\r'] = 1;
	c->stop_out['\n'] = c->stop_in['\n'] = 1;
	c->stop_out[(unsigned char)delim] = 1;
	c->stop_in[(unsigned char)quote] = 1;
	return c;
}

void
hg_csv_free(struct hg_csv *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c->off);
	free(c->fline);
	free(c->ptrs);
	free(c);
}

static void
put(struct hg_csv *c, char ch)
{
	if (ch == '\0')
		c->flags |= HG_CSV_NUL;
	/* one byte is always kept for the field's terminating NUL */
	if (c->len + 2 > c->maxrec) {
		c->flags |= HG_CSV_TOOLONG;
		return;
	}
	if (c->len + 2 > c->cap) {
		c->cap *= 2;
		c->buf = hg_xrealloc(c->buf, c->cap, 1);
	}
	c->buf[c->len++] = ch;
}

/* put() for a run without NULs: the common case, one copy. */
static void
put_run(struct hg_csv *c, const char *p, size_t n)
{
	if (c->len + n + 2 > c->maxrec) {
		while (n-- > 0)
			put(c, *p++);
		return;
	}
	while (c->len + n + 2 > c->cap) {
		c->cap *= 2;
		c->buf = hg_xrealloc(c->buf, c->cap, 1);
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

/* The end of a run of bytes that need no decision: none of the stop
 * characters and no NUL (put() flags those one by one). */
static const char *
run_end(const char *p, const char *end, const unsigned char *stop)
{
	while (p < end && !stop[(unsigned char)*p])
		p++;
	return p;
}

static void
field_begin(struct hg_csv *c)
{
	if (c->nf == c->fcap) {
		c->fcap = c->fcap ? c->fcap * 2 : 32;
		c->off = hg_xrealloc(c->off, c->fcap, sizeof *c->off);
		c->fline = hg_xrealloc(c->fline, c->fcap, sizeof *c->fline);
	}
	c->off[c->nf] = c->len;
	c->fline[c->nf] = c->line;
	c->nf++;
}

static void
field_end(struct hg_csv *c)
{
	if (c->len + 1 > c->cap) {
		c->cap *= 2;
		c->buf = hg_xrealloc(c->buf, c->cap, 1);
	}
	/* past maxrec the terminator still goes in: put() kept room */
	c->buf[c->len++] = '\0';
}

static void
record_begin(struct hg_csv *c)
{
	c->len = 0;
	c->nf = 0;
	c->flags = 0;
	c->rec_line = c->line;
	field_begin(c);
}

/* Pointers are made only when the record is complete: buf may move while
 * it grows. */
static void
record_done(struct hg_csv *c, struct hg_csv_rec *rec, int last_line)
{
	size_t i;

	if (c->nf > c->pcap) {
		c->pcap = c->nf;
		c->ptrs = hg_xrealloc(c->ptrs, c->pcap, sizeof *c->ptrs);
	}
	for (i = 0; i < c->nf; i++)
		c->ptrs[i] = c->buf + c->off[i];
	rec->field = c->ptrs;
	rec->field_line = c->fline;
	rec->nfields = c->nf;
	rec->line = c->rec_line;
	rec->last_line = last_line;
	rec->flags = c->flags;
	c->state = S_REC_START;
}

static void
newline(struct hg_csv *c, char ch)
{
	c->line++;
	c->prev_cr = ch == '\r';
}

int
hg_csv_next(struct hg_csv *c, const char **bufp, size_t *lenp, int eof,
    struct hg_csv_rec *rec)
{
	const char *p = *bufp, *end = *bufp + *lenp;
	int line;
	char ch;

	while (p < end) {
		ch = *p++;
		if (c->prev_cr) {
			c->prev_cr = 0;
			if (ch == '\n') {
				/* the LF of a CRLF: counted with the CR */
				if (c->state == S_QUOTED)
					put(c, ch);
				continue;
			}
		}
		switch (c->state) {
		case S_REC_START:
			if (ch == '\r' || ch == '\n') {
				newline(c, ch);	/* an empty line */
				continue;
			}
			record_begin(c);
			/* FALLTHROUGH */
		case S_FIELD_START:
			if (c->quote != 0 && ch == c->quote) {
				c->state = S_QUOTED;
				continue;
			}
			c->state = S_UNQUOTED;
			/* FALLTHROUGH */
		case S_UNQUOTED:
		case S_QUOTE_SEEN:
			if (c->state == S_QUOTE_SEEN && ch == c->quote) {
				put(c, ch);	/* "" inside quotes */
				c->state = S_QUOTED;
				continue;
			}
			if (ch == c->delim) {
				field_end(c);
				field_begin(c);
				c->state = S_FIELD_START;
				continue;
			}
			if (ch == '\r' || ch == '\n') {
				line = c->line;
				field_end(c);
				newline(c, ch);
				record_done(c, rec, line);
				*lenp -= (size_t)(p - *bufp);
				*bufp = p;
				return 1;
			}
			if (ch != '\0') {
				const char *r = run_end(p, end, c->stop_out);
				put_run(c, p - 1, (size_t)(r - p) + 1);
				p = r;
			} else {
				put(c, ch);
			}
			c->state = S_UNQUOTED;
			continue;
		case S_QUOTED:
			if (ch == c->quote) {
				c->state = S_QUOTE_SEEN;
				continue;
			}
			if (ch != '\0' && ch != '\r' && ch != '\n') {
				const char *r = run_end(p, end, c->stop_in);
				put_run(c, p - 1, (size_t)(r - p) + 1);
				p = r;
				continue;
			}
			put(c, ch);
			if (ch == '\r' || ch == '\n')
				newline(c, ch);
			continue;
		}
	}
	*lenp = 0;
	*bufp = end;
	if (!eof || c->state == S_REC_START)
		return 0;
	/* the last record has no line break after it */
	if (c->state == S_QUOTED)
		c->flags |= HG_CSV_UNTERMINATED;
	field_end(c);
	record_done(c, rec, c->line);
	return 1;
}

/* --- decoder ------------------------------------------------------------- */

struct hg_decoder {
	char	*want;		/* "auto" or a forced name */
	char	*fallback;
	char	 enc[32];	/* decided; "" while undecided */
	iconv_t	 cd;
	int	 started;	/* past the place a BOM could be */
	uint64_t nbad;
	char	*out;
	size_t	 outcap;
	int	 ascii;		/* 0: none; 1: UTF-8; 2: GBK family */
	const uint16_t *gbk;	/* two-byte characters by table, or NULL */
};

int
hg_decoder_new(const char *enc, const char *fallback, struct hg_decoder **out,
    struct hg_err *err)
{
	struct hg_decoder *d;
	iconv_t cd;

	if (enc == NULL)
		enc = "auto";
	if (fallback == NULL)
		fallback = "GB18030";
	/* fail now on a name iconv does not know, not halfway through */
	cd = iconv_open("UTF-8", strcasecmp(enc, "auto") == 0 ? fallback :
	    enc);
	if (cd == (iconv_t)-1)
		return hg_fail(err, "unknown encoding \"%s\" (expected "
		    "GB18030, GBK, UTF-8 or UTF-16LE)",
		    strcasecmp(enc, "auto") == 0 ? fallback : enc);
	iconv_close(cd);
	d = hg_xcalloc(1, sizeof *d);
	d->want = hg_xstrdup(enc);
	d->fallback = hg_xstrdup(fallback);
	d->cd = (iconv_t)-1;
	d->outcap = 4096;
	d->out = hg_xmalloc(d->outcap);
	*out = d;
	return 0;
}

void
hg_decoder_free(struct hg_decoder *d)
{
	if (d == NULL)
		return;
	if (d->cd != (iconv_t)-1)
		iconv_close(d->cd);
	free(d->want);
	free(d->fallback);
	free(d->out);
	free(d);
}

const char *
hg_decoder_encoding(const struct hg_decoder *d)
{
	return d->enc[0] != '\0' ? d->enc : NULL;
}

uint64_t
hg_decoder_nbad(const struct hg_decoder *d)
{
	return d->nbad;
}

static int
decide(struct hg_decoder *d, const char *name, struct hg_err *err)
{
	snprintf(d->enc, sizeof d->enc, "%s", name);
	/* ASCII is itself in these, and CSV exports are mostly ASCII:
	 * copying it around iconv halves the decoding cost */
	if (strcasecmp(name, "UTF-8") == 0)
		d->ascii = 1;
	else if (strcasecmp(name, "GB18030") == 0 ||
	    strcasecmp(name, "GBK") == 0 || strcasecmp(name, "GB2312") == 0) {
		d->ascii = 2;
		d->gbk = hg_gbk_table(name);
	}
	d->cd = iconv_open("UTF-8", d->enc);
	if (d->cd == (iconv_t)-1)
		return hg_fail(err, "unknown encoding \"%s\"", d->enc);
	return 0;
}

/* Valid UTF-8 except perhaps a sequence cut by the end of the chunk. */
static int
utf8_valid_prefix(const unsigned char *s, size_t len, int eof)
{
	size_t i, need;

	if (hg_utf8_valid((const char *)s, len))
		return 1;
	if (eof)
		return 0;
	/* back up over at most 3 bytes of an incomplete last sequence */
	for (i = 1; i <= 3 && i <= len; i++) {
		unsigned char b = s[len - i];

		if ((b & 0xC0) == 0x80)
			continue;
		need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
		if (need > i)
			return hg_utf8_valid((const char *)s, len - i);
		return 0;
	}
	return 0;
}

static void
out_reserve(struct hg_decoder *d, size_t used, size_t more)
{
	if (used + more <= d->outcap)
		return;
	while (used + more > d->outcap)
		d->outcap *= 2;
	d->out = hg_xrealloc(d->out, d->outcap, 1);
}

int
hg_decoder_feed(struct hg_decoder *d, const char *in, size_t len, int eof,
    size_t *used, const char **out, size_t *outlen, struct hg_err *err)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t pos = 0, ol, n, i, bom = 0;
	char *ip, *op;
	size_t il;

	*used = 0;
	*out = d->out;
	*outlen = 0;
	if (!d->started) {
		/* a BOM needs up to 3 bytes before anything is decided */
		if (len < 3 && !eof)
			return 0;
		if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
			bom = 3;
		else if (len >= 2 && s[0] == 0xFF && s[1] == 0xFE)
			bom = 2;
		else if (len >= 2 && s[0] == 0xFE && s[1] == 0xFF)
			bom = 2;
		d->started = 1;
		if (bom > 0) {
			if (decide(d, bom == 3 ? "UTF-8" : s[0] == 0xFF ?
			    "UTF-16LE" : "UTF-16BE", err) < 0)
				return -1;
			pos = bom;
		} else if (strcasecmp(d->want, "auto") != 0) {
			if (decide(d, d->want, err) < 0)
				return -1;
		}
	}
	if (d->enc[0] == '\0') {
		/* auto, ASCII so far: ASCII reads the same in every
		 * candidate, so pass it on until the first other byte */
		for (i = pos; i < len && s[i] < 0x80; i++)
			;
		out_reserve(d, 0, i - pos + 1);
		memcpy(d->out, in + pos, i - pos);
		*outlen = i - pos;
		pos = i;
		if (pos == len) {
			*used = len;
			return 0;
		}
		if (!eof && len - pos < 64) {
			/* too little to judge the encoding by: pass on the
			 * ASCII, look again with the next chunk */
			*used = pos;
			return 0;
		}
		if (decide(d, utf8_valid_prefix(s + pos, len - pos, eof) ?
		    "UTF-8" : d->fallback, err) < 0)
			return -1;
	}
	ip = (char *)in + pos;
	il = len - pos;
	n = *outlen;
	/* GB18030 and UTF-16 grow at most by half in UTF-8 (2 bytes to 3);
	 * E2BIG covers the rest */
	out_reserve(d, n, il + il / 2 + 16);
	while (il > 0) {
		const unsigned char *u = (const unsigned char *)ip;
		size_t k = 0, sl = il, rem;
		char *sp;

		if (d->ascii) {
			while (k < il && u[k] < 0x80)
				k++;
			if (k > 0) {
				out_reserve(d, n, k + il / 2 + 16);
				memcpy(d->out + n, ip, k);
				n += k;
				ip += k;
				il -= k;
				continue;
			}
			if (d->gbk != NULL) {
				size_t ok;

				out_reserve(d, n, il + il / 2 + 16);
				k = hg_gbk_run(d->gbk, u, il, d->out + n, &ok);
				if (k > 0) {
					n += ok;
					ip += k;
					il -= k;
					continue;
				}
			}
			/* the run of non-ASCII characters: GBK trail bytes
			 * can look like ASCII, so walk it character-wise */
			sl = 0;
			while (sl < il && u[sl] >= 0x80)
				sl += d->ascii == 1 ? 1 : sl + 1 < il &&
				    u[sl + 1] >= 0x30 && u[sl + 1] <= 0x39 ? 4 : 2;
			if (sl > il)
				sl = il;
		}
		sp = ip;
		rem = sl;
		op = d->out + n;
		ol = d->outcap - n;
		k = iconv(d->cd, &ip, &rem, &op, &ol);
		il -= (size_t)(ip - sp);
		n = (size_t)(op - d->out);
		if (k != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			out_reserve(d, n, il + il / 2 + 16);
			continue;
		}
		if (errno == EINVAL && rem < il) {
			/* the walk split a character iconv reads longer:
			 * give it the rest of the chunk */
			d->ascii = 0;
			continue;
		}
		if (errno == EINVAL && !eof)
			break;	/* cut character: wait for the next chunk */
		/* EILSEQ, or a cut character at the very end: one U+FFFD per
		 * undecodable byte, then carry on after it */
		d->nbad++;
		ip++;
		il--;
		out_reserve(d, n, 3 + il + il / 2 + 16);
		memcpy(d->out + n, "\xEF\xBF\xBD", 3);
		n += 3;
		iconv(d->cd, NULL, NULL, NULL, NULL);
	}
	*used = (size_t)((const char *)ip - in);
	*out = d->out;
	*outlen = n;
	return 0;
}

/* --- reader -------------------------------------------------------------- */

#define PROBE	4096	/* decoded bytes judged before tokenizing */

struct hg_csv_reader {
	int	 fd;
	struct hg_csv_ropts o;
	struct hg_decoder *dec;
	struct hg_csv *tok;
	char	*raw;		/* read buffer: a carried tail, then a chunk */
	size_t	 rawcap, rawlen;
	int	 raw_eof;
	const char *text;	/* decoded, not yet tokenized */
	size_t	 textlen;
	int	 text_eof;	/* text holds the last of the file */
	int	 checked;	/* the start of the file was looked at */
	char	*probe;		/* the decoded start, judged before use */
	size_t	 probelen, probecap;
	int	 binary;
	const char *binary_why;
	uint64_t bytes;
};

struct hg_csv_reader *
hg_csv_reader_new(int fd, const struct hg_csv_ropts *o, struct hg_err *err)
{
	struct hg_csv_reader *r;
	struct hg_decoder *dec;

	if (hg_decoder_new(o->encoding, o->fallback, &dec, err) < 0)
		return NULL;
	r = hg_xcalloc(1, sizeof *r);
	r->fd = fd;
	r->o = *o;
	if (r->o.chunk == 0)
		r->o.chunk = HG_CSV_CHUNK;
	r->dec = dec;
	r->rawcap = r->o.chunk + 16;
	r->raw = hg_xmalloc(r->rawcap);
	return r;
}

void
hg_csv_reader_free(struct hg_csv_reader *r)
{
	if (r == NULL)
		return;
	hg_decoder_free(r->dec);
	hg_csv_free(r->tok);
	free(r->raw);
	free(r->probe);
	free(r);
}

const char *
hg_csv_reader_encoding(const struct hg_csv_reader *r)
{
	const char *e = hg_decoder_encoding(r->dec);

	return e != NULL ? e : "ASCII";
}

int
hg_csv_reader_delim(const struct hg_csv_reader *r)
{
	return r->o.delim;
}

int
hg_csv_reader_binary(const struct hg_csv_reader *r, const char **why)
{
	*why = r->binary_why;
	return r->binary;
}

uint64_t
hg_csv_reader_bytes(const struct hg_csv_reader *r)
{
	return r->bytes;
}

/* Judge the first decoded chunk.  Random bytes decode as GB18030 far too
 * often to trust the decoder alone, but they are full of NULs and C0
 * controls, which exports never hold. */
static void
look_at_start(struct hg_csv_reader *r, const char *t, size_t n,
    uint64_t nbad)
{
	const unsigned char *s = (const unsigned char *)t;
	size_t i, chars = 0, ctrl = 0;

	for (i = 0; i < n; i++) {
		if ((s[i] & 0xC0) == 0x80)
			continue;
		chars++;
		if (s[i] == 0 && i < 1024) {
			r->binary = 1;
			r->binary_why = "NUL bytes";
			return;
		}
		/* NULs further in are a torn tail (a writer that died with
		 * the file preallocated): the lines holding them fail, the
		 * file is still text */
		if (s[i] != 0 && s[i] < 0x20 && s[i] != '\t' &&
		    s[i] != '\r' && s[i] != '\n' && s[i] != '\f' &&
		    s[i] != 0x1A)
			ctrl++;
	}
	if (chars >= 16 && (ctrl + nbad) * 10 > chars) {
		r->binary = 1;
		r->binary_why = ctrl > nbad ? "control characters" :
		    "mostly undecodable bytes";
	}
}

/* The first line of the text: tab there and no delimiter means a UTF-16
 * "Unicode text" export, which Excel always writes tab-separated. */
static void
sniff_utf16_tab(struct hg_csv_reader *r, const char *t, size_t n)
{
	const char *e = hg_decoder_encoding(r->dec);
	size_t i;
	int tab = 0;

	if (!r->o.utf16_tab || e == NULL || strncmp(e, "UTF-16", 6) != 0)
		return;
	for (i = 0; i < n && t[i] != '\n' && t[i] != '\r'; i++) {
		if (t[i] == r->o.delim)
			return;
		if (t[i] == '\t')
			tab = 1;
	}
	if (tab)
		r->o.delim = '\t';
}

static int
fill(struct hg_csv_reader *r, struct hg_err *err)
{
	size_t used, outlen, want;
	const char *out;
	ssize_t got;

	if (r->checked && r->probe != NULL) {
		/* the probe has been tokenized: text moves on */
		hg_sfree(r->probe);
		r->probelen = r->probecap = 0;
	}
	for (;;) {
		if (!r->raw_eof && r->rawlen < r->rawcap) {
			want = r->rawcap - r->rawlen;
			if (want > r->o.chunk)
				want = r->o.chunk;
			got = read(r->fd, r->raw + r->rawlen, want);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return hg_failt(err, "read: %s",
				    strerror(errno));
			}
			if (got == 0)
				r->raw_eof = 1;
			r->rawlen += (size_t)got;
			r->bytes += (uint64_t)got;
		}
		if (hg_decoder_feed(r->dec, r->raw, r->rawlen, r->raw_eof,
		    &used, &out, &outlen, err) < 0)
			return -1;
		memmove(r->raw, r->raw + used, r->rawlen - used);
		r->rawlen -= used;
		r->text = out;
		r->textlen = outlen;
		/* at the end the decoder takes everything */
		r->text_eof = r->raw_eof;
		if (!r->checked && outlen > 0) {
			/* collect a probe of the start, whatever the chunk
			 * size, so the checks below see enough text */
			if (r->probelen + outlen > r->probecap) {
				r->probecap = r->probelen + outlen + 4096;
				r->probe = hg_xrealloc(r->probe, r->probecap,
				    1);
			}
			memcpy(r->probe + r->probelen, out, outlen);
			r->probelen += outlen;
			if (r->probelen < PROBE && !r->text_eof) {
				outlen = 0;
				continue;
			}
			out = r->text = r->probe;
			outlen = r->textlen = r->probelen;
		}
		if (outlen > 0 || r->text_eof)
			break;
		if (r->rawlen == r->rawcap) {
			/* the decoder wants more look-ahead than fits (tiny
			 * chunks in tests): grow, the need is small */
			r->rawcap *= 2;
			r->raw = hg_xrealloc(r->raw, r->rawcap, 1);
		}
	}
	if (!r->checked) {
		r->checked = 1;
		if (r->probelen > 0) {
			out = r->text = r->probe;
			outlen = r->textlen = r->probelen;
		}
		look_at_start(r, out, outlen, hg_decoder_nbad(r->dec));
		sniff_utf16_tab(r, out, outlen);
		r->tok = hg_csv_new(r->o.delim, r->o.quote, r->o.max_record);
	}
	return 0;
}

int
hg_csv_reader_next(struct hg_csv_reader *r, struct hg_csv_rec *rec,
    struct hg_err *err)
{
	for (;;) {
		if (r->tok != NULL && (r->textlen > 0 || r->text_eof)) {
			if (hg_csv_next(r->tok, &r->text, &r->textlen,
			    r->text_eof, rec) == 1)
				return 1;
			if (r->text_eof)
				return 0;
		}
		if (fill(r, err) < 0)
			return -1;
	}
}
