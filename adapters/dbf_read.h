/* A read-only reader of dBASE III/IV, FoxPro 2.x and Visual FoxPro
 * tables (.DBF, with .DBT/.FPT memo files), for the dbf adapter.
 *
 * It never locks or writes the table: the HIS may hold it open and
 * append while we read.  The usable record count is the smaller of the
 * header's count and what the file size holds, and a record whose
 * deletion byte is neither ' ' nor '*' (a tail not yet written) ends the
 * table there.  Values come out as UTF-8 text in the forms the table
 * layer (table.c) reads: numbers as decimal text, dates as yyyy-MM-dd,
 * datetimes as yyyy-MM-dd HH:mm:ss, logicals as T/F, NULL as "". */
#ifndef HG_DBF_READ_H
#define HG_DBF_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

#define HG_DBF_MAXFIELDS	255

struct hg_dbf_field {
	char	 name[12];	/* ASCII, NUL-terminated */
	char	 type;		/* C N F D L I Y T B M G P 0 V Q */
	unsigned len, dec, off;	/* off: from the deletion byte */
	int	 flags;		/* VFP: 0x01 system, 0x02 nullable */
	int	 null_bit;	/* bit in _NullFlags, or -1 */
	int	 var_bit;	/* varchar V/Q: bit set = shorter, or -1 */
};

struct hg_dbf {
	int	 fd;		/* the caller's; not closed here */
	int	 memo_fd;	/* ours, or -1 */
	unsigned char ver;	/* header byte 0 */
	int	 vfp;		/* Visual FoxPro layout (0x30-0x32) */
	int	 memo_fpt;	/* memo is .FPT (else .DBT) */
	unsigned memo_block;
	unsigned char cpage;	/* header byte 29 */
	const char *enc;	/* iconv name for C and M text */
	uint32_t hdr_count;	/* as the header says */
	uint32_t nrec;		/* usable records */
	unsigned hdrlen, reclen;
	off_t	 size;
	struct hg_dbf_field f[HG_DBF_MAXFIELDS];
	size_t	 nf;
	int	 nullflags;	/* index of _NullFlags, or -1 */
	unsigned char *rec;	/* the last record read (reclen bytes) */
};

/* Read the header and the field descriptors of the table open on fd
 * (path: for messages and to find the memo file beside it).  defenc:
 * the encoding when the code-page byte says nothing (0x00).  Problems
 * with the file as a whole fail with HG_EPERM ("not a DBF: ..."); a
 * read error with HG_ETEMP. */
int	hg_dbf_open(int fd, const char *path, const char *defenc,
	    struct hg_dbf **out, struct hg_err *err);
void	hg_dbf_close(struct hg_dbf *d);
/* The name of the code page byte (for messages), e.g. "0x7A (GBK)". */
const char *hg_dbf_cpname(const struct hg_dbf *d);

/* Read record i (0-based) into d->rec.  Returns 1 live, 0 deleted, 2 past
 * the usable end (torn tail, or not yet there), -1 on a read error. */
int	hg_dbf_record(struct hg_dbf *d, uint32_t i, struct hg_err *err);

/* Field k of d->rec as UTF-8 text (the caller frees *out).  Returns 0;
 * 1 when the value was read but has a problem worth flagging (why is
 * filled: a double-byte character cut at the field end, undecodable
 * bytes), the value still usable; -1 when it cannot be read (why). */
int	hg_dbf_value(struct hg_dbf *d, size_t k, char **out, char *why,
	    size_t whylen);

/* 1 for the fields a person sees (not _NullFlags or other system ones). */
int	hg_dbf_visible(const struct hg_dbf *d, size_t k);

#endif
