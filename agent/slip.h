/* The one-bill settlement slip (一单式结算单): what `hisgate slip` prints
 * and the nurse page's /bill/ID shows, read from one outbox row.  One
 * loader, so the terminal and the browser can never disagree on a
 * figure. */
#ifndef HG_SLIP_H
#define HG_SLIP_H

#include <stdint.h>

#include "agent/conf.h"
#include "lib/bill.h"
#include "lib/nhsa.h"
#include "queue/outbox.h"

struct hg_slip {
	struct hg_row row;
	struct hg_bill *bill;
	int	 has_setl;	/* a 2304 answer is stored (setl below) */
	struct hg_nhsa_setl setl;
	/* everything counted in fund_pay_sumamt without a line of its own */
	int64_t	 other;
	/* What both the CLI and the web page print: the certificate number
	 * as hg_mask_certno, the name as hg_mask_name_ends (王*芳); the
	 * full values never leave the outbox. */
	char	 cert[64];
	char	 name[64];
	const char *hospital;	/* the bill's, else agent.fixmedins_name */
	long	 days;		/* calendar days of the stay, -1 unknown */
	int	 cancelled;
	/* medfee = fund_pay_sumamt + psn_part_amt + hosp_part_amt and the
	 * other identities of hg_nhsa_setl_check; sums_msg says which failed */
	int	 sums_ok;
	char	 sums_msg[256];
};

/* Load bill id.  need_setl: a bill without a settlement is an error
 * ("bill N is S: it has no settlement (yet)"); otherwise the slip has
 * has_setl 0 and the row (state, err_msg) says why.  hg_slip_free after
 * either outcome. */
int	hg_slip_load(struct hg_outbox *ob, const struct hg_config *cfg,
	    long long id, int need_setl, struct hg_slip *s, struct hg_err *err);
void	hg_slip_free(struct hg_slip *s);
/* Calendar days from adm to dscg ("yyyy-mm-dd..."), at least 1; -1 when
 * either cannot be read. */
long	hg_stay_days(const char *adm, const char *dscg);

#endif
