/* What an answered call said, in one line for a person (queue show):
 * the fields the agent acted on, never a name or a certificate number. */
#ifndef HG_ANSWER_H
#define HG_ANSWER_H

#include <stddef.h>

/* infno's journalled answer (the response text) summed up in buf; "" when
 * there is nothing to say or the text is not an answer.  Returns buf. */
const char *hg_answer_summary(const char *infno, const char *response,
	    char *buf, size_t len);

#endif
