/* Resident identity card numbers (GB 11643-1999). */
#ifndef HG_IDCARD_H
#define HG_IDCARD_H

#include <stddef.h>

/* Check an 18-character number (normalised: digits and upper-case X):
 * region digits, a real birth date not after `today` ("yyyy-MM-dd..."),
 * and the ISO 7064 MOD 11-2 check character.  15-digit numbers get the
 * date check only.  Returns 0, or -1 with a sentence in why (e.g.
 * "check character is 3, expected X"). */
int	hg_idcard_check(const char *id, const char *today, char *why,
	    size_t whylen);
/* The check character for the first 17 digits. */
char	hg_idcard_checkchar(const char *first17);

#endif
