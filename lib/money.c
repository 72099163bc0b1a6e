#include "config.h"

#include <string.h>

#include "lib/money.h"

static const int64_t pow10_tab[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000,
};

/* Map one (possibly full-width) character at *p to ASCII, advancing *p.
 * Returns the ASCII character, or 0x7f for anything else. */
static int
next_ascii(const unsigned char **p)
{
	const unsigned char *s = *p;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	/* U+FF01..U+FF5E are full-width ASCII: EF BC 81.. / EF BD ..  */
	if (s[0] == 0xEF && (s[1] == 0xBC || s[1] == 0xBD) && s[2] >= 0x80 &&
	    s[2] <= 0xBF) {
		int cp = 0xFF00 + ((s[1] - 0xBC) << 6) + (s[2] - 0x80);
		*p = s + 3;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			return cp - 0xFF01 + 0x21;
		return 0x7f;
	}
	/* U+3000 ideographic space: E3 80 80 */
	if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) {
		*p = s + 3;
		return ' ';
	}
	*p = s + 1;
	return 0x7f;
}

int
hg_dec_parse(const char *field, const char *text, int scale, int64_t *out,
    struct hg_err *err)
{
	const unsigned char *p = (const unsigned char *)text;
	char norm[64];
	size_t n = 0, i, start, end;
	int c, neg = 0, seen_point = 0, ndig = 0, nfrac = 0;
	int64_t v = 0;

	if (text == NULL)
		return hg_fail(err, "%s: missing, expected a number", field);
	while (*p != '\0') {
		c = next_ascii(&p);
		if (n + 1 >= sizeof norm)
			return hg_fail(err, "%s: \"%.40s...\" is too long, "
			    "expected a number", field, text);
		norm[n++] = (char)c;
	}
	norm[n] = '\0';
	for (start = 0; start < n && (norm[start] == ' ' ||
	    norm[start] == '\t'); start++)
		;
	for (end = n; end > start && (norm[end - 1] == ' ' ||
	    norm[end - 1] == '\t'); end--)
		;
	if (start == end)
		return hg_fail(err, "%s: empty, expected a number", field);
	i = start;
	if (norm[i] == '-' || norm[i] == '+')
		neg = norm[i++] == '-';
	/* shape first, so "1.10105E+17" is called what it is */
	if (strspn(norm + i, "0123456789.") < end - i ||
	    memchr(norm + i, '.', end - i) !=
	    memrchr(norm + i, '.', end - i))
		goto bad;
	for (; i < end; i++) {
		c = norm[i];
		if (c == '.') {
			if (seen_point)
				goto bad;
			seen_point = 1;
			continue;
		}
		if (c < '0' || c > '9')
			goto bad;
		ndig++;
		if (seen_point && ++nfrac > scale) {
			if (c != '0')
				return hg_fail(err, "%s: \"%s\" has more than "
				    "%d decimal place%s", field, text, scale,
				    scale == 1 ? "" : "s");
			continue;
		}
		if (v > (INT64_MAX - (c - '0')) / 10)
			return hg_fail(err, "%s: \"%s\" is too large", field,
			    text);
		v = v * 10 + (c - '0');
	}
	if (ndig == 0)
		goto bad;
	if (nfrac < scale) {
		if (v > INT64_MAX / pow10_tab[scale - nfrac])
			return hg_fail(err, "%s: \"%s\" is too large", field,
			    text);
		v *= pow10_tab[scale - nfrac];
	}
	*out = neg ? -v : v;
	return 0;
bad:
	return hg_fail(err, "%s: \"%s\" is not a plain decimal number "
	    "(expected digits with at most %d decimal places, like %s)",
	    field, text, scale, scale == 2 ? "\"12.50\"" :
	    scale == 4 ? "\"2.0000\"" : scale == 6 ? "\"12.500000\"" : "\"1\"");
}

char *
hg_dec_format(int64_t v, int scale, char *buf)
{
	char digits[HG_DECBUF];
	uint64_t u;
	int n = 0, i, k = 0;

	u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n <= scale)
		digits[n++] = '0';
	if (v < 0)
		buf[k++] = '-';
	for (i = n - 1; i >= 0; i--) {
		buf[k++] = digits[i];
		if (i == scale && scale > 0)
			buf[k++] = '.';
	}
	buf[k] = '\0';
	return buf;
}

char *
hg_dec_format_short(int64_t v, int scale, char *buf)
{
	size_t n;

	hg_dec_format(v, scale, buf);
	if (scale == 0)
		return buf;
	n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static int64_t
round_div128(__int128 num, __int128 den)
{
	__int128 q, r;

	q = num / den;
	r = num % den;
	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += num < 0 ? -1 : 1;
	return (int64_t)q;
}

int64_t
hg_mul_round(int64_t a, int64_t b, int div_scale)
{
	return round_div128((__int128)a * b, pow10_tab[div_scale]);
}

int64_t
hg_div_round(int64_t a, int64_t d)
{
	if (d < 0) {
		a = -a;
		d = -d;
	}
	return round_div128(a, d);
}
