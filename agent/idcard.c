/* Resident identity card numbers (GB 11643-1999): 6 region digits, 8 birth
 * date digits, 3 sequence digits and an ISO 7064 MOD 11-2 check character.
 * Old 15-digit numbers (issued before 1999) have a 2-digit year and no
 * check character, so only their date can be checked. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/idcard.h"
#include "lib/text.h"

static const int weights[17] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};
static const char checkchars[] = "10X98765432";

char
hg_idcard_checkchar(const char *first17)
{
	int i, sum = 0;

	for (i = 0; i < 17; i++) {
		if (first17[i] < '0' || first17[i] > '9')
			return '\0';
		sum += (first17[i] - '0') * weights[i];
	}
	return checkchars[sum % 11];
}

/* Characters, not bytes, so "18 characters expected, got 17" stays true
 * for a number that still has a full-width digit in it. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* The first position in s[0..n) that is not an ASCII digit, or -1. */
static int
first_nondigit(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return i;
	return -1;
}

/* A character for a message: itself when printable, else its code. */
static const char *
showc(char c, char buf[16])
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "0x%02X", (unsigned char)c);
	return buf;
}

static int
num(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* "yyyyMMdd" of today: from `today` ("yyyy-MM-dd...") when given, else
 * from the local clock (birth dates are local dates). */
static void
today_ymd(const char *today, char out[9])
{
	struct tm tm;
	time_t now;

	if (today != NULL && strlen(today) >= 10 && today[4] == '-' &&
	    today[7] == '-') {
		memcpy(out, today, 4);
		memcpy(out + 4, today + 5, 2);
		memcpy(out + 6, today + 8, 2);
		out[8] = '\0';
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	snprintf(out, 9, "%04d%02d%02d", (tm.tm_year + 1900) % 10000,
	    (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}

/* ymd is "yyyyMMdd" (ASCII digits). */
static int
check_birth(const char *ymd, const char *today, char *why, size_t whylen)
{
	char now[9];

	if (!hg_date_valid(num(ymd, 4), num(ymd + 4, 2), num(ymd + 6, 2))) {
		snprintf(why, whylen, "birth date %.8s is not a real date",
		    ymd);
		return -1;
	}
	today_ymd(today, now);
	if (memcmp(ymd, now, 8) > 0) {
		snprintf(why, whylen, "birth date %.8s is after today (%.4s-"
		    "%.2s-%.2s)", ymd, now, now + 4, now + 6);
		return -1;
	}
	return 0;
}

/* The character at position k (0-based) of s, for a message. */
static const char *
nth_char(const char *s, size_t k, char *buf, size_t len)
{
	size_t n;

	while (k > 0 && s[1] != '\0')
		if (((unsigned char)*++s & 0xC0) != 0x80)
			k--;
	for (n = 1; ((unsigned char)s[n] & 0xC0) == 0x80; n++)
		;
	if (n == 1)
		return showc(*s, buf);
	snprintf(buf, len, "\"%.*s\"", (int)n, s);
	return buf;
}

int
hg_idcard_check(const char *id, const char *today, char *why, size_t whylen)
{
	char ymd[9], cbuf[16], want;
	size_t len, nch, k;
	int bad;

	if (id == NULL || *id == '\0') {
		snprintf(why, whylen, "empty, expected an 18-character ID "
		    "number");
		return -1;
	}
	len = strlen(id);
	nch = utf8_chars(id);
	if (nch != 15 && nch != 18) {
		snprintf(why, whylen, "18 characters expected, got %zu", nch);
		return -1;
	}
	if (len != nch) {
		/* a full-width digit or Ｘ the adapter did not normalise;
		 * everything before the first one is ASCII, so k counts
		 * characters as well as bytes */
		for (k = 0; ((unsigned char)id[k] & 0x80) == 0; k++)
			;
		if ((bad = first_nondigit(id, (int)k)) >= 0)
			k = (size_t)bad;
		if (nch == 18 && k == 17)
			snprintf(why, whylen, "check character is %s, "
			    "expected %c", nth_char(id, k, cbuf, sizeof cbuf),
			    hg_idcard_checkchar(id));
		else
			snprintf(why, whylen, "character %zu is %s, expected "
			    "a digit (%s)", k + 1, nth_char(id, k, cbuf,
			    sizeof cbuf), nch == 15 ? "15-digit numbers are "
			    "all digits" : "the first 17 characters are "
			    "digits");
		return -1;
	}
	if (len == 15) {
		if ((bad = first_nondigit(id, 15)) >= 0) {
			snprintf(why, whylen, "character %d is %s, expected "
			    "a digit (15-digit numbers are all digits)",
			    bad + 1, showc(id[bad], cbuf));
			return -1;
		}
		/* the old numbers were only issued to people born in 19yy */
		memcpy(ymd, "19", 2);
		memcpy(ymd + 2, id + 6, 6);
		ymd[8] = '\0';
		return check_birth(ymd, today, why, whylen);
	}
	if ((bad = first_nondigit(id, 17)) >= 0) {
		snprintf(why, whylen, "character %d is %s, expected a digit "
		    "(the first 17 characters are digits)", bad + 1,
		    showc(id[bad], cbuf));
		return -1;
	}
	if (memcmp(id, "000000", 6) == 0) {
		snprintf(why, whylen, "region code 000000 is not a region");
		return -1;
	}
	if (check_birth(id + 6, today, why, whylen) < 0)
		return -1;
	want = hg_idcard_checkchar(id);
	if (id[17] != want) {
		if (id[17] > 0x20 && id[17] < 0x7f)
			snprintf(why, whylen, "check character is %c, "
			    "expected %c", id[17], want);
		else
			snprintf(why, whylen, "check character is %s, "
			    "expected %c", showc(id[17], cbuf), want);
		return -1;
	}
	return 0;
}
