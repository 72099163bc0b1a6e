#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/text.h"
#include "lib/xmalloc.h"

/* The length of the well-formed UTF-8 sequence at s (at most left
 * bytes): 1 to 4, or 0 when it is not one (a stray continuation byte, an
 * overlong form, a surrogate, past U+10FFFF, cut short). */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, k;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 1, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 2, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 3, cp = s[0] & 0x07;
	else
		return 0;
	if (left <= n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n + 1;
}

int
hg_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* UTF-8 to UTF-8 without iconv: glibc's passes some ill-formed
 * sequences through (a lead byte 0xF5-0xF7, past U+10FFFF), and the
 * output must be valid UTF-8.  Each byte that starts no well-formed
 * sequence becomes U+FFFD. */
static char *
utf8_clean(const char *in, size_t len, size_t *outlen, size_t *nbad,
    size_t *first_bad)
{
	const unsigned char *s = (const unsigned char *)in;
	char *buf = hg_xmalloc(len * 3 + 1), *op = buf;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(s + i, len - i)) > 0) {
			memcpy(op, in + i, n);
			op += n;
			i += n;
			continue;
		}
		if (*first_bad == SIZE_MAX)
			*first_bad = i;
		(*nbad)++;
		memcpy(op, "\xEF\xBF\xBD", 3);
		op += 3;
		i++;
	}
	*op = '\0';
	*outlen = (size_t)(op - buf);
	return buf;
}

const char *
hg_text_detect(const char *buf, size_t len, const char *fallback,
    size_t *bom)
{
	const unsigned char *s = (const unsigned char *)buf;

	*bom = 0;
	if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
		*bom = 3;
		return "UTF-8";
	}
	if (len >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
		*bom = 2;
		return "UTF-16LE";
	}
	if (len >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
		*bom = 2;
		return "UTF-16BE";
	}
	if (hg_utf8_valid(buf, len))
		return "UTF-8";
	return fallback;
}

int
hg_text_to_utf8(const char *enc, const char *in, size_t len, char **out,
    size_t *outlen, size_t *nbad, size_t *first_bad, struct hg_err *err)
{
	iconv_t cd;
	char *ip = (char *)in, *op, *buf;
	size_t il = len, ol, cap, used;

	*nbad = 0;
	*first_bad = SIZE_MAX;
	if (strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF8") == 0) {
		*out = utf8_clean(in, len, outlen, nbad, first_bad);
		return 0;
	}
	cd = iconv_open("UTF-8", enc);
	if (cd == (iconv_t)-1)
		return hg_fail(err, "unknown encoding \"%s\" (expected "
		    "GB18030, GBK, UTF-8 or UTF-16LE)", enc);
	cap = len * 2 + 16;
	buf = hg_xmalloc(cap);
	op = buf;
	ol = cap - 1;
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG) {
			used = (size_t)(op - buf);
			cap *= 2;
			buf = hg_xrealloc(buf, cap, 1);
			op = buf + used;
			ol = cap - used - 1;
			continue;
		}
		/* EILSEQ or EINVAL (truncated at the end): replace one byte */
		if (*first_bad == SIZE_MAX)
			*first_bad = (size_t)(ip - in);
		(*nbad)++;
		ip++;
		il--;
		if (ol < 4) {
			used = (size_t)(op - buf);
			cap *= 2;
			buf = hg_xrealloc(buf, cap, 1);
			op = buf + used;
			ol = cap - used - 1;
		}
		memcpy(op, "\xEF\xBF\xBD", 3);
		op += 3;
		ol -= 3;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	iconv_close(cd);
	*op = '\0';
	*out = buf;
	*outlen = (size_t)(op - buf);
	return 0;
}

int
hg_text_from_utf8(const char *enc, const char *in, size_t len, char **out,
    size_t *outlen, struct hg_err *err)
{
	iconv_t cd;
	char *ip = (char *)in, *op, *buf;
	size_t il = len, ol, cap, used;

	cd = iconv_open(enc, "UTF-8");
	if (cd == (iconv_t)-1)
		return hg_fail(err, "unknown encoding \"%s\"", enc);
	cap = len * 2 + 16;
	buf = hg_xmalloc(cap);
	op = buf;
	ol = cap - 1;
	while (il > 0 && iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		if (errno != E2BIG) {
			iconv_close(cd);
			free(buf);
			return hg_fail(err, "text at byte %zu cannot be "
			    "written in %s", (size_t)(ip - in), enc);
		}
		used = (size_t)(op - buf);
		cap *= 2;
		buf = hg_xrealloc(buf, cap, 1);
		op = buf + used;
		ol = cap - used - 1;
	}
	iconv_close(cd);
	*op = '\0';
	*out = buf;
	*outlen = (size_t)(op - buf);
	return 0;
}

int
hg_date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap, max;

	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	max = mdays[m - 1] + (m == 2 && leap);
	return d <= max;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Hot: every fee line has a time, so no stdio here. */
static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

int
hg_time_parse(const char *field, const char *text, char out[HG_TIMELEN],
    struct hg_err *err)
{
	const char *buf;
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n;

	if (text == NULL || *text == '\0')
		return hg_fail(err, "%s: empty, expected a time like "
		    "\"2024-03-01 08:30:00\"", field);
	buf = text;
	n = strlen(text);
	/* surrounding spaces are rare; trim a copy only then */
	if (buf[0] == ' ' || buf[0] == '\t' || (n > 0 && (buf[n - 1] == ' ' ||
	    buf[n - 1] == '\t')) || (unsigned char)buf[0] == 0xE3) {
		static __thread char copy[64];

		snprintf(copy, sizeof copy, "%s", text);
		hg_trim(copy);
		buf = copy;
		n = strlen(copy);
	}
	if ((n != 10 && n != 19) || digits(buf, 4, &y) || buf[4] != '-' ||
	    digits(buf + 5, 2, &mo) || buf[7] != '-' ||
	    digits(buf + 8, 2, &d))
		goto shape;
	if (n == 19 && ((buf[10] != ' ' && buf[10] != 'T') ||
	    digits(buf + 11, 2, &h) || buf[13] != ':' ||
	    digits(buf + 14, 2, &mi) || buf[16] != ':' ||
	    digits(buf + 17, 2, &se)))
		goto shape;
	if (!hg_date_valid(y, mo, d))
		return hg_fail(err, "%s: \"%s\" is not a real date", field,
		    text);
	if (h > 23 || mi > 59 || se > 59)
		return hg_fail(err, "%s: \"%s\" is not a real time of day",
		    field, text);
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, mo);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = ' ';
	put2(out + 11, h);
	out[13] = ':';
	put2(out + 14, mi);
	out[16] = ':';
	put2(out + 17, se);
	out[19] = '\0';
	return 0;
shape:
	return hg_fail(err, "%s: \"%s\" is not a time like "
	    "\"2024-03-01 08:30:00\" (yyyy-MM-dd HH:mm:ss)", field, text);
}

char *
hg_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	for (;;) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n')
			i++;
		else if ((unsigned char)s[i] == 0xE3 &&
		    (unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] == 0x80)
			i += 3;
		else
			break;
	}
	for (;;) {
		if (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		    s[n - 1] == '\r' || s[n - 1] == '\n'))
			n--;
		else if (n >= i + 3 && (unsigned char)s[n - 3] == 0xE3 &&
		    (unsigned char)s[n - 2] == 0x80 &&
		    (unsigned char)s[n - 1] == 0x80)
			n -= 3;
		else
			break;
	}
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}

void
hg_norm_id(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = (unsigned char *)s;

	while (*r != '\0') {
		if (r[0] == 0xEF && r[1] == 0xBC && r[2] >= 0x81 &&
		    r[2] <= 0xBF) {
			*w++ = (unsigned char)(r[2] - 0x81 + 0x21);
			r += 3;
		} else if (r[0] == 0xEF && r[1] == 0xBD && r[2] >= 0x80 &&
		    r[2] <= 0x9E) {
			*w++ = (unsigned char)(r[2] - 0x80 + 0x60);
			r += 3;
		} else if (r[0] == 0xE3 && r[1] == 0x80 && r[2] == 0x80) {
			r += 3;
		} else if (*r == ' ' || *r == '\t') {
			r++;
		} else {
			*w++ = *r++;
		}
		if (w > (unsigned char *)s && w[-1] == 'x')
			w[-1] = 'X';
	}
	*w = '\0';
}

int
hg_has_replacement(const char *s)
{
	/* strchr, not strstr: this runs on every cell of an export, and
	 * strstr's set-up cost more than the short cells themselves */
	while ((s = strchr(s, '\xEF')) != NULL) {
		if (s[1] == '\xBF' && s[2] == '\xBD')
			return 1;
		s++;
	}
	return 0;
}
