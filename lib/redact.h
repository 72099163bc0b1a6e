/* Retention (hisgate.conf retention.personal_days): which fields of the
 * texts a bill leaves in the outbox are personal, and copies of those
 * texts with them removed.  Pure text work: the outbox's side is
 * queue/outbox_scrub.c.
 *
 * Removed from JSON wherever they stand (the canonical bill, the
 * platform's requests and answers, the 2304 result): the patient's name,
 * certificate type and number, the visit certificate and card numbers,
 * sex, birth date, age, nationality, telephone, address, employer and
 * contact person.  What reconciliation and a later 2305 need stays:
 * psn_no, insuplc_admdvs, mdtrt_id, setl_id, ipt_no, msgids and every
 * amount.
 *
 * Free texts (a platform message "证件号码[...]未查询到", a problem list,
 * a history reason) have no fields, so the values of the identifying
 * fields (name, certificate, card, telephone, address, contact) are first
 * learnt from the bill's JSON texts and then cut out of every text. */
#ifndef HG_REDACT_H
#define HG_REDACT_H

#include <stddef.h>

#define HG_REDACTED	"***"	/* what stands where a learnt value stood */

struct hg_redact {
	char	**v;		/* learnt values, longest first */
	size_t	 n, cap;
};

void	hg_redact_init(struct hg_redact *r);
void	hg_redact_free(struct hg_redact *r);
/* 0: not personal; 1: personal, removed; 2: identifying, removed and its
 * value learnt. */
int	hg_redact_field(const char *key);
/* Learn the values of identifying fields at any depth of a JSON text
 * (NULL, or text that is not JSON, teaches nothing), or one value (shorter
 * than 2 bytes: ignored, it would cut ordinary digits). */
void	hg_redact_learn(struct hg_redact *r, const char *json);
void	hg_redact_add(struct hg_redact *r, const char *value);
/* A copy of json without personal fields and with learnt values cut out
 * of the other strings; numbers keep their text.  Text that is not JSON
 * is treated as by hg_redact_text.  NULL for NULL.  *changed (may be
 * NULL) says whether anything was removed. */
char	*hg_redact_json(const struct hg_redact *r, const char *json,
	    int *changed);
/* A copy of a free text with every learnt value replaced by HG_REDACTED
 * and ID-number-shaped runs masked as in the log (hg_mask_ids).  NULL for
 * NULL. */
char	*hg_redact_text(const struct hg_redact *r, const char *text,
	    int *changed);

#endif
