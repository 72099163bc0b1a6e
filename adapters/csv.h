/* CSV/TXT reading in bounded memory: a streaming tokenizer over UTF-8
 * text, and a reader that takes a file descriptor in chunks, converts the
 * source encoding chunk by chunk and hands out one record at a time.  A
 * 100 MB export costs a few hundred kilobytes, never its own size.
 *
 * Dialect: any one-byte delimiter; an optional quote character (fields
 * that start with it may hold delimiters, line breaks and doubled quotes);
 * CRLF, LF and CR line ends, mixed freely.  Lenient where Excel and HIS
 * exports are sloppy: a quote inside an unquoted field is a literal, text
 * after a closing quote is appended ("ab"c gives abc).  Completely empty
 * lines are skipped; they still count for line numbers. */
#ifndef HG_CSV_H
#define HG_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define HG_CSV_MAXREC	(1024 * 1024)	/* default cap on one record */
#define HG_CSV_CHUNK	(64 * 1024)	/* default read size */

/* Record flags. */
#define HG_CSV_UNTERMINATED	0x1	/* a quoted field ran to the end */
#define HG_CSV_TOOLONG		0x2	/* over max_record: fields were cut */
#define HG_CSV_NUL		0x4	/* held NUL bytes (cut at the NUL) */

struct hg_csv_rec {
	char	**field;	/* NUL-terminated; valid until the next call */
	int	 *field_line;	/* line each field starts on */
	size_t	  nfields;	/* field i is column i + 1 */
	int	  line;		/* line the record starts on (1-based) */
	int	  last_line;	/* line it ends on (> line: embedded breaks) */
	int	  flags;
};

struct hg_csv;

/* quote: the quote byte, or 0 for none.  max_record: 0 = HG_CSV_MAXREC. */
struct hg_csv *hg_csv_new(int delim, int quote, size_t max_record);
void	hg_csv_free(struct hg_csv *c);
/* Tokenize the input at buf, len (both advanced past what was consumed).
 * Returns 1 when a record is complete (in rec; the rest of the input
 * stays for the next call), 0 when the input is used up: feed the
 * next chunk, or at the end call with eof = 1 and len 0 to get the last
 * record (then 0 means there is nothing more). */
int	hg_csv_next(struct hg_csv *c, const char **buf, size_t *len, int eof,
	    struct hg_csv_rec *rec);

/* Chunk-wise conversion to UTF-8.  enc is "auto" (a BOM, else the first
 * non-ASCII text decides: valid UTF-8, else `fallback`) or an iconv name
 * ("GB18030", "GBK", "UTF-8", "UTF-16LE").  A BOM always wins and is never
 * passed on.  Undecodable bytes become U+FFFD. */
struct hg_decoder;

int	hg_decoder_new(const char *enc, const char *fallback,
	    struct hg_decoder **out, struct hg_err *err);
void	hg_decoder_free(struct hg_decoder *d);
/* Convert in[0..len).  A character cut at the end of the chunk is not
 * consumed unless eof: *used says how many bytes were, and the caller
 * presents the rest again in front of the next chunk.  The output stays
 * valid until the next call. */
int	hg_decoder_feed(struct hg_decoder *d, const char *in, size_t len,
	    int eof, size_t *used, const char **out, size_t *outlen,
	    struct hg_err *err);
/* The encoding in use, or NULL while "auto" has seen only ASCII. */
const char *hg_decoder_encoding(const struct hg_decoder *d);
/* Bytes that could not be decoded so far. */
uint64_t hg_decoder_nbad(const struct hg_decoder *d);

/* A file read record by record. */
struct hg_csv_ropts {
	const char *encoding;	/* as hg_decoder_new; NULL = "auto" */
	const char *fallback;	/* NULL = "GB18030" */
	int	 delim;
	int	 quote;		/* 0 = none */
	/* When the text turns out to be UTF-16 (Excel "Unicode text") and
	 * the first line has a tab but no delim, use tab. */
	int	 utf16_tab;
	size_t	 chunk;		/* 0 = HG_CSV_CHUNK */
	size_t	 max_record;	/* 0 = HG_CSV_MAXREC */
};

struct hg_csv_reader;

/* Reads from fd (not closed by the reader). */
struct hg_csv_reader *hg_csv_reader_new(int fd, const struct hg_csv_ropts *o,
	    struct hg_err *err);
void	hg_csv_reader_free(struct hg_csv_reader *r);
/* 1 with a record, 0 at the end, -1 on a read error (err says why). */
int	hg_csv_reader_next(struct hg_csv_reader *r, struct hg_csv_rec *rec,
	    struct hg_err *err);
const char *hg_csv_reader_encoding(const struct hg_csv_reader *r);
int	hg_csv_reader_delim(const struct hg_csv_reader *r);
/* After the first hg_csv_reader_next: 1 when the start of the file does
 * not look like text (NUL bytes near the start, or mostly control
 * characters and undecodable bytes).  *why gets a short reason. */
int	hg_csv_reader_binary(const struct hg_csv_reader *r, const char **why);
uint64_t hg_csv_reader_bytes(const struct hg_csv_reader *r);

#endif
