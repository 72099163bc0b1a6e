/* HL7 v2 message parsing: see hl7_msg.h for why the text is decoded
 * before it is split. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "adapters/hl7_msg.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

#define MSH18	16	/* index of MSH-18 among the fields after MSH-1 */

static const struct {
	const char *name, *enc;
} charsets[] = {
	/* HL7 table 0211, and what Chinese vendors write instead */
	{ "UNICODE UTF-8", "UTF-8" }, { "UTF-8", "UTF-8" },
	{ "UTF8", "UTF-8" }, { "UNICODE", "UTF-8" },
	{ "ASCII", "UTF-8" },	/* a subset: read the same way */
	{ "GB 18030-2000", "GB18030" }, { "GB18030", "GB18030" },
	{ "GB2312", "GB18030" }, { "GBK", "GB18030" }, { "CP936", "GB18030" },
	{ "BIG-5", "BIG5" }, { "8859/1", "ISO-8859-1" },
};

const char *
hg_hl7_charset(const char *msh18, const char *def)
{
	size_t i;

	if (msh18 == NULL || *msh18 == '\0')
		return def;
	for (i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
		if (strcasecmp(msh18, charsets[i].name) == 0)
			return charsets[i].enc;
	return NULL;
}

void
hg_hl7_free(struct hg_hl7_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nseg; i++)
		free(m->seg[i].f);
	free(m->seg);
	free(m->charset);
	free(m->text);
	free(m);
}

static int
is_eol(char c)
{
	return c == '\r' || c == '\n';
}

/* MSH-18 from the raw first segment, before anything is decoded (the
 * fields before it are codes: ASCII in every dialect seen). */
static char *
raw_msh18(const char *buf, size_t len, char fs)
{
	size_t i, k = 0, start = 4;

	for (i = 4; i <= len; i++) {
		if (i == len || is_eol(buf[i]) || buf[i] == fs) {
			if (k == MSH18) {
				char *v = hg_xstrndup(buf + start, i - start);

				hg_trim(v);
				return v;
			}
			if (i == len || is_eol(buf[i]))
				break;
			k++;
			start = i + 1;
		}
	}
	return hg_xstrdup("");
}

static int
sep_ok(char c)
{
	return c > 0x20 && c < 0x7F && !(c >= '0' && c <= '9') &&
	    !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
}

/* Separators from MSH-1 and MSH-2. */
static int
separators(struct hg_hl7_msg *m, const char *b, size_t len,
    struct hg_err *err)
{
	char enc[6] = { 0 };	/* up to 5 characters (v2.7 adds #) */
	size_t i;

	if (len < 8 || strncmp(b, "MSH", 3) != 0)
		return hg_fail(err, "the message does not start with an MSH "
		    "segment (expected \"MSH|^~\\&|...\")");
	m->fs = b[3];
	if (!sep_ok(m->fs))
		return hg_fail(err, "MSH-1: byte 0x%02X is not a field "
		    "separator (expected \"|\")", (unsigned char)m->fs);
	for (i = 0; i < 5 && 4 + i < len && b[4 + i] != m->fs &&
	    !is_eol(b[4 + i]); i++)
		enc[i] = b[4 + i];
	if (i < 2 || (4 + i < len && b[4 + i] != m->fs))
		return hg_fail(err, "MSH-2: \"%.*s\" is not a set of encoding "
		    "characters (expected \"^~\\&\": component, repetition, "
		    "escape, subcomponent)", (int)i, b + 4);
	for (i = 0; enc[i] != '\0'; i++)
		if (!sep_ok(enc[i]) || enc[i] == m->fs ||
		    memchr(enc, enc[i], i) != NULL)
			return hg_fail(err, "MSH-2: \"%s\": encoding "
			    "characters must be distinct punctuation, other "
			    "than the field separator (expected \"^~\\&\")",
			    enc);
	m->cs = enc[0];
	m->rs = enc[1];
	m->ec = enc[2];
	m->ss = enc[3];
	return 0;
}

static int
seg_name(const char *p)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' &&
		    p[i] <= '9')))
			return 0;
	return 1;
}

/* Split the decoded text into segments and fields, in place. */
static int
split(struct hg_hl7_msg *m, struct hg_err *err)
{
	char *p = m->text, *end, *q;
	struct hg_hl7_seg *s;
	size_t cap = 0, fcap;

	while (*p != '\0') {
		while (is_eol(*p) || *p == ' ' || *p == '\t' || *p == 0x0B)
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && !is_eol(*end); end++)
			;
		if (*end != '\0')
			*end++ = '\0';
		if (m->nseg == cap) {
			cap = cap ? cap * 2 : 16;
			m->seg = hg_xrealloc(m->seg, cap, sizeof *m->seg);
		}
		s = &m->seg[m->nseg];
		memset(s, 0, sizeof *s);
		s->n = (int)++m->nseg;
		if (!seg_name(p) || (p[3] != '\0' && p[3] != m->fs))
			return hg_fail(err, "segment %d: \"%.12s\" is not a "
			    "segment (expected a three-character name such as "
			    "PID, then \"%c\")", s->n, p, m->fs);
		memcpy(s->name, p, 3);
		fcap = 8;
		s->f = hg_xcalloc(fcap, sizeof *s->f);
		q = p[3] == '\0' ? NULL : p + 4;
		p[3] = '\0';
		s->f[s->nf++] = p;	/* not s->name: m->seg moves */
		if (s->n == 1) {
			/* MSH-1 is the separator itself, MSH-2 holds
			 * escape characters and is taken literally */
			m->fs1[0] = m->fs;
			s->f[s->nf++] = m->fs1;
		}
		while (q != NULL) {
			char *sep = strchr(q, m->fs);

			if (sep != NULL)
				*sep = '\0';
			if (s->nf == fcap) {
				fcap *= 2;
				s->f = hg_xrealloc(s->f, fcap, sizeof *s->f);
			}
			s->f[s->nf++] = q;
			q = sep != NULL ? sep + 1 : NULL;
		}
		p = end;
	}
	if (m->nseg == 0 || strcmp(m->seg[0].name, "MSH") != 0)
		return hg_fail(err, "the message has no MSH segment first");
	return 0;
}

int
hg_hl7_parse(const char *buf, size_t len, const char *def_enc,
    struct hg_hl7_msg **out, struct hg_err *err)
{
	struct hg_hl7_msg *m;
	size_t outlen, nbad, first_bad, skip = 0;
	const char *nul;

	*out = NULL;
	while (skip < len && (is_eol(buf[skip]) || buf[skip] == ' ' ||
	    buf[skip] == 0x0B))
		skip++;
	buf += skip;
	len -= skip;
	m = hg_xcalloc(1, sizeof *m);
	if (separators(m, buf, len, err) < 0)
		goto fail;
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		hg_fail(err, "byte %zu is NUL (expected text)",
		    (size_t)(nul - buf) + skip);
		goto fail;
	}
	m->charset = raw_msh18(buf, len, m->fs);
	m->enc = hg_hl7_charset(m->charset, def_enc);
	if (m->enc != NULL && strcmp(m->enc, "auto") == 0)
		/* GBK text is almost never valid UTF-8 */
		m->enc = hg_utf8_valid(buf, len) ? "UTF-8" : "GB18030";
	if (m->enc == NULL) {
		hg_fail(err, "MSH-18: \"%s\" is not a character set hisgate "
		    "reads (expected UNICODE UTF-8, GB 18030-2000, GB2312, "
		    "GBK, ASCII, or empty for the configured default)",
		    m->charset);
		goto fail;
	}
	if (hg_text_to_utf8(m->enc, buf, len, &m->text, &outlen, &nbad,
	    &first_bad, err) < 0)
		goto fail;
	if (nbad > 0) {
		hg_fail(err, "byte %zu: %zu byte%s not valid %s (MSH-18 "
		    "\"%s\"; expected text in that character set)",
		    first_bad + skip, nbad, nbad == 1 ? " is" : "s are",
		    m->enc, m->charset);
		goto fail;
	}
	if (split(m, err) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	err->kind = HG_EPERM;
	hg_hl7_free(m);
	return -1;
}

const struct hg_hl7_seg *
hg_hl7_seg(const struct hg_hl7_msg *m, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; i < m->nseg; i++)
		if (strcmp(m->seg[i].name, name) == 0 && nth-- == 0)
			return &m->seg[i];
	return NULL;
}

/* Repetition r of field f, as [*start, *end). */
static int
rep_span(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int f,
    int r, const char **start, const char **end)
{
	const char *p, *e;

	if (s == NULL || f < 0 || (size_t)f >= s->nf)
		return -1;
	p = s->f[f];
	/* MSH-2 has no repetitions: its ~ is literal */
	if (s->n == 1 && f <= 2) {
		*start = p;
		*end = p + strlen(p);
		return r == 0 ? 0 : -1;
	}
	for (;;) {
		e = strchr(p, m->rs);
		if (e == NULL)
			e = p + strlen(p);
		if (r-- == 0)
			break;
		if (*e == '\0')
			return -1;
		p = e + 1;
	}
	*start = p;
	*end = e;
	return 0;
}

size_t
hg_hl7_reps(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int f)
{
	const char *a, *b;
	size_t n = 0;

	while (rep_span(m, s, f, (int)n, &a, &b) == 0)
		n++;
	if (n == 1 && a == b)
		return 0;
	return n;
}

char *
hg_hl7_get(const struct hg_hl7_msg *m, const struct hg_hl7_seg *s, int f,
    int r, int c)
{
	const char *a, *b, *e;
	char *v;

	if (rep_span(m, s, f, r, &a, &b) < 0)
		return hg_xstrdup("");
	if (c > 0 && !(s->n == 1 && f <= 2)) {
		while (--c > 0) {
			e = memchr(a, m->cs, (size_t)(b - a));
			if (e == NULL)
				return hg_xstrdup("");
			a = e + 1;
		}
		e = memchr(a, m->cs, (size_t)(b - a));
		if (e != NULL)
			b = e;
	}
	if (s->n == 1 && f <= 2)
		return hg_xstrndup(a, (size_t)(b - a));
	v = hg_hl7_unescape(m, a, (size_t)(b - a));
	hg_trim(v);
	return v;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* \Xhh..\: bytes in the message's own character set. */
static int
hex_bytes(const struct hg_hl7_msg *m, const char *p, size_t n,
    struct hg_buf *out)
{
	struct hg_buf raw = { NULL, 0, 0 };
	size_t i, outlen, nbad, first_bad;
	char *u = NULL;
	int ok = 0;

	if (n == 0 || n % 2 != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		int hi = hexval(p[i]), lo = hexval(p[i + 1]);

		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			hg_buf_free(&raw);
			return -1;
		}
		hg_buf_addc(&raw, (char)(hi << 4 | lo));
	}
	if (hg_text_to_utf8(m->enc, raw.data, raw.len, &u, &outlen, &nbad,
	    &first_bad, NULL) == 0) {
		hg_buf_add(out, u, outlen);
		ok = 1;
	}
	free(u);
	hg_buf_free(&raw);
	return ok ? 0 : -1;
}

char *
hg_hl7_unescape(const struct hg_hl7_msg *m, const char *in, size_t len)
{
	struct hg_buf out = { NULL, 0, 0 };
	const char *p = in, *end = in + len, *q;
	size_t n;

	hg_buf_add(&out, "", 0);
	while (p < end) {
		if (*p != m->ec || m->ec == '\0') {
			hg_buf_addc(&out, *p++);
			continue;
		}
		q = memchr(p + 1, m->ec, (size_t)(end - p - 1));
		if (q == NULL) {
			/* an escape character that never closes is
			 * taken literally, as most receivers do */
			hg_buf_add(&out, p, (size_t)(end - p));
			break;
		}
		n = (size_t)(q - p - 1);
		p++;
		if (n == 1 && *p == 'F')
			hg_buf_addc(&out, m->fs);
		else if (n == 1 && *p == 'S')
			hg_buf_addc(&out, m->cs);
		else if (n == 1 && *p == 'T' && m->ss != '\0')
			hg_buf_addc(&out, m->ss);
		else if (n == 1 && *p == 'R')
			hg_buf_addc(&out, m->rs);
		else if (n == 1 && *p == 'E')
			hg_buf_addc(&out, m->ec);
		else if (n == 1 && *p == 'P')
			hg_buf_addc(&out, '#');	/* v2.7 truncation char */
		else if (n >= 1 && *p == 'X') {
			if (hex_bytes(m, p + 1, n - 1, &out) < 0)
				hg_buf_add(&out, p - 1, n + 2);
		} else if ((n == 3 && strncmp(p, ".br", 3) == 0) ||
		    (n >= 3 && strncmp(p, ".sp", 3) == 0))
			hg_buf_addc(&out, '\n');
		else if ((n == 1 && (*p == 'H' || *p == 'N')) ||
		    (n >= 3 && *p == '.') || (n >= 1 && (*p == 'Z' ||
		    *p == 'C' || *p == 'M')))
			;	/* highlighting, formatting, local and
				   character-set switches: no text */
		else
			hg_buf_add(&out, p - 1, n + 2);	/* unknown: literal */
		p = q + 1;
	}
	return hg_buf_take(&out);
}

void
hg_hl7_escape(struct hg_buf *out, const struct hg_hl7_msg *m, const char *s)
{
	char fs = m ? m->fs : '|', cs = m ? m->cs : '^', rs = m ? m->rs : '~';
	char ec = m ? m->ec : '\\', ss = m ? m->ss : '&';

	for (; *s != '\0'; s++) {
		char c = *s == fs ? 'F' : *s == cs ? 'S' : *s == rs ? 'R' :
		    *s == ec ? 'E' : (ss != '\0' && *s == ss) ? 'T' : 0;

		if (*s == '\r' || *s == '\n') {
			hg_buf_addc(out, ' ');
			continue;
		}
		if (c == 0) {
			hg_buf_addc(out, *s);
			continue;
		}
		hg_buf_addc(out, ec);
		hg_buf_addc(out, c);
		hg_buf_addc(out, ec);
	}
}
