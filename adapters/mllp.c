/* MLLP framing.  Bytes before a start byte are skipped (some senders put
 * a stray LF between frames); a start byte inside a frame restarts it (the
 * sender gave up on the previous one and began again: what came before can
 * never be completed).  The end is 0x1C followed by 0x0D; a 0x1C followed
 * by anything else is kept as data, since some senders end with 0x1C alone
 * only at the very end of the connection, which we then never see as a
 * frame and so never acknowledge. */
#include "config.h"

#include <string.h>

#include "adapters/mllp.h"

void
hg_mllp_init(struct hg_mllp *m, size_t max)
{
	memset(m, 0, sizeof *m);
	m->max = max;
}

void
hg_mllp_free(struct hg_mllp *m)
{
	hg_buf_free(&m->in);
	hg_buf_free(&m->frame);
	memset(m, 0, sizeof *m);
}

void
hg_mllp_feed(struct hg_mllp *m, const void *p, size_t n)
{
	hg_buf_add(&m->in, p, n);
}

static void
consume(struct hg_mllp *m, size_t upto)
{
	memmove(m->in.data, m->in.data + upto, m->in.len - upto);
	m->in.len -= upto;
	m->in.data[m->in.len] = '\0';
	m->pos = 0;
}

enum hg_mllp_rc
hg_mllp_next(struct hg_mllp *m, const char **msg, size_t *len)
{
	const unsigned char *d;
	size_t i;
	int restart;

	for (;;) {
		d = (const unsigned char *)m->in.data;
		if (!m->in_frame) {
			for (i = m->pos; i < m->in.len && d[i] != HG_MLLP_SB;
			    i++)
				m->junk++;
			if (i == m->in.len) {
				m->in.len = m->pos = 0;
				return HG_MLLP_NONE;
			}
			consume(m, i + 1);
			m->in_frame = 1;
			m->oversize = 0;
			continue;
		}
		d = (const unsigned char *)m->in.data;
		restart = 0;
		for (i = m->pos; i < m->in.len; i++) {
			if (d[i] == HG_MLLP_SB) {
				/* a new frame: the old one is abandoned */
				consume(m, i + 1);
				m->oversize = 0;
				restart = 1;
				break;
			}
			if (d[i] == HG_MLLP_EB && i + 1 < m->in.len &&
			    d[i + 1] == HG_MLLP_CR)
				break;
		}
		if (restart)
			continue;
		if (i >= m->in.len || d[i] != HG_MLLP_EB) {
			/* incomplete: keep a trailing 0x1C for the next
			 * call, and never more than max bytes */
			m->pos = m->in.len > 0 && d[m->in.len - 1] ==
			    HG_MLLP_EB ? m->in.len - 1 : m->in.len;
			if (m->pos > m->max) {
				m->oversize = 1;
				consume(m, m->pos);
			}
			return HG_MLLP_NONE;
		}
		m->in_frame = 0;
		if (m->oversize || i > m->max) {
			consume(m, i + 2);
			m->oversize = 0;
			return HG_MLLP_TOOBIG;
		}
		m->frame.len = 0;
		hg_buf_add(&m->frame, m->in.data, i);
		consume(m, i + 2);
		*msg = m->frame.data;
		*len = m->frame.len;
		return HG_MLLP_FRAME;
	}
}

int
hg_mllp_partial(const struct hg_mllp *m)
{
	return m->in_frame;
}

void
hg_mllp_wrap(struct hg_buf *out, const char *msg, size_t len)
{
	hg_buf_addc(out, HG_MLLP_SB);
	hg_buf_add(out, msg, len);
	hg_buf_addc(out, HG_MLLP_EB);
	hg_buf_addc(out, HG_MLLP_CR);
}
