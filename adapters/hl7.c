/* hl7: HL7 v2 over MLLP.  The HIS's integration engine connects and
 * sends DFT^P03 (or BAR^P01) charges and the ADT^A03 discharge of each
 * visit; each message is answered with an ACK.
 *
 * When an ACK says AA (see hl7_store.c for the journal):
 *   - a DFT/BAR: after the message is in the visit's journal on disk;
 *   - an A03, or anything for a visit already discharged: after the bill
 *     folded from the whole journal is committed to the outbox.
 * AE (with ERR 207) when the journal or the outbox cannot take it now
 * (disk full, database busy): the sender sends it again.  AR (with the
 * reason in MSA-3 and ERR) for a message that can never be taken.  A
 * control id (MSH-10) already in the visit's journal is answered AA
 * without being recorded twice, so a re-send after a lost ACK gives one
 * bill.
 *
 * One thread (the adapter's): a non-blocking listener and connections in
 * one epoll set, whose fd is the adapter's wait_fd.  A connection that
 * stops in the middle of a frame is closed after read_timeout_seconds; it
 * never holds up the others. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adapters/adapter.h"
#include "adapters/hl7_priv.h"
#include "adapters/listen.h"
#include "adapters/mllp.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/xmalloc.h"

#define READ_CHUNK	65536
#define SWEEP_MS	(3600 * 1000)

/* --- configuration ------------------------------------------------------- */

struct hl7_conf {
	char	*listen;
	char	*store;
	char	*charset;
	int64_t	 max_connections;
	int64_t	 read_timeout_seconds;
	int64_t	 idle_timeout_seconds;
	int64_t	 max_message_kb;
	int64_t	 keep_days;
};

static const char *const charsets[] = { "auto", "GB18030", "UTF-8", NULL };

#define C(f) offsetof(struct hl7_conf, f)
static const struct hg_conf_key hl7_keys[] = {
	{ "listen", HG_CT_STR, "127.0.0.1:2575", 0, 0, C(listen),
	  "address:port for MLLP connections (\"0.0.0.0:2575\" for every "
	  "interface, port 0 = any free port)", NULL, 0 },
	{ "store", HG_CT_STR, LOCALSTATEDIR "/lib/hisgate/hl7", 0, 0,
	  C(store), "directory of the journals of open visits (a "
	  "subdirectory per adapter instance)", NULL, 0 },
	{ "charset", HG_CT_ENUM, "auto", 0, 0, C(charset),
	  "how to read a message whose MSH-18 is empty: auto = UTF-8 when "
	  "the bytes are valid UTF-8, else GB18030", charsets, 0 },
	{ "max_connections", HG_CT_INT, "16", 1, 1000, C(max_connections),
	  "connections at once; more are closed at once", NULL, 0 },
	{ "read_timeout_seconds", HG_CT_INT, "30", 1, 3600,
	  C(read_timeout_seconds), "a frame begun but not ended after this "
	  "closes its connection", NULL, 0 },
	{ "idle_timeout_seconds", HG_CT_INT, "600", 1, 86400,
	  C(idle_timeout_seconds), "a connection silent this long is "
	  "closed", NULL, 0 },
	{ "max_message_kb", HG_CT_INT, "1024", 1, 65536, C(max_message_kb),
	  "the largest message taken (a larger one gets AR)", NULL, 0 },
	{ "keep_days", HG_CT_INT, "30", 1, 3650, C(keep_days),
	  "journals of discharged, committed visits are kept this long "
	  "(re-sent messages are recognised meanwhile)", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef C

/* --- state --------------------------------------------------------------- */

struct conn {
	int	 fd;
	char	 peer[64];
	struct hg_mllp rx;
	struct hg_buf out;	/* ACK bytes not yet sent */
	size_t	 out_off;
	int64_t	 last_ms;	/* last byte received */
	int64_t	 frame_ms;	/* when the pending frame began, 0 = none */
	int	 closing;	/* close once out is sent */
};

struct hl7 {
	struct hg_adapter *a;
	const struct hl7_conf *c;
	struct hg_hl7_store *st;
	int	 lfd, epfd;
	struct conn **conn;
	size_t	 nconn;
	unsigned ackseq;
	int64_t	 last_sweep;
	int	 recovered;	/* discharged visits re-committed */
	int64_t	 last_recover;
	char	*buf;		/* READ_CHUNK */
};

static int
hl7_check(struct hg_adapter *a, struct hg_conf_errs *errs, int line)
{
	const struct hl7_conf *c = a->conf;
	const char *file = a->conf_file ? a->conf_file : a->name;

	if (hg_listen_check(a, c->listen, errs, line) > 0)
		return 1;
	if (c->store[0] != '/') {
		hg_conf_errs_add(errs, file, line, "store: \"%s\" is not an "
		    "absolute path", c->store);
		return 1;
	}
	return 0;
}

/* --- connections --------------------------------------------------------- */

static void
conn_close(struct hl7 *h, size_t i, const char *why)
{
	struct conn *cn = h->conn[i];

	if (why != NULL)
		log_info(h->a->name, "connection from %s closed: %s",
		    cn->peer, why);
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, cn->fd, NULL);
	close(cn->fd);
	hg_mllp_free(&cn->rx);
	hg_buf_free(&cn->out);
	free(cn);
	h->conn[i] = h->conn[--h->nconn];
}

static void
conn_events(struct hl7 *h, struct conn *cn)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | (cn->out.len > cn->out_off ? EPOLLOUT : 0);
	ev.data.ptr = cn;
	epoll_ctl(h->epfd, EPOLL_CTL_MOD, cn->fd, &ev);
}

/* Send what is pending; -1 when the peer is gone. */
static int
conn_flush(struct hl7 *h, struct conn *cn)
{
	while (cn->out.len > cn->out_off) {
		ssize_t w = send(cn->fd, cn->out.data + cn->out_off,
		    cn->out.len - cn->out_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		cn->out_off += (size_t)w;
	}
	if (cn->out_off == cn->out.len)
		cn->out.len = cn->out_off = 0;
	conn_events(h, cn);
	return 0;
}

static void
accept_all(struct hl7 *h)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event ev;
	struct conn *cn;
	char host[48], port[8];
	int fd;

	for (;;) {
		sl = sizeof ss;
		fd = accept4(h->lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host,
		    port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(host, sizeof host, "?");
		if (h->nconn >= (size_t)h->c->max_connections) {
			log_warn(h->a->name, "connection from %s refused: "
			    "max_connections (%lld) are open", host,
			    (long long)h->c->max_connections);
			close(fd);
			continue;
		}
		cn = hg_xcalloc(1, sizeof *cn);
		cn->fd = fd;
		snprintf(cn->peer, sizeof cn->peer, "%s:%s", host, port);
		hg_mllp_init(&cn->rx, (size_t)h->c->max_message_kb * 1024);
		cn->last_ms = hg_now_ms();
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = cn;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			hg_mllp_free(&cn->rx);
			free(cn);
			continue;
		}
		h->conn = hg_xrealloc(h->conn, h->nconn + 1, sizeof *h->conn);
		h->conn[h->nconn++] = cn;
		log_debug(h->a->name, "connection from %s", cn->peer);
	}
}

/* --- acknowledgements ---------------------------------------------------- */

/* MSH-10 from a message that does not parse, for the AR's MSA-2. */
static char *
raw_ctrl(const char *d, size_t len)
{
	size_t i, k = 1, start = 0;
	char fs;

	while (len > 0 && (*d == '\r' || *d == '\n' || *d == ' ')) {
		d++;
		len--;
	}
	if (len < 4 || strncmp(d, "MSH", 3) != 0)
		return hg_xstrdup("");
	fs = d[3];
	for (i = 3; i < len && d[i] != '\r' && d[i] != '\n'; i++) {
		if (d[i] != fs)
			continue;
		if (k == 10)
			return hg_xstrndup(d + start, i - start);
		k++;
		start = i + 1;
	}
	return k == 10 ? hg_xstrndup(d + start, i - start) : hg_xstrdup("");
}

static void
add_field(struct hg_buf *b, const char *v)
{
	hg_buf_addc(b, '|');
	hg_hl7_escape(b, NULL, v);
}

/* The ACK for a message (m may be NULL when it did not parse). */
static void
ack(struct hl7 *h, struct conn *cn, const struct hg_hl7_msg *m,
    const char *ctrl, const char *code, int errcode, const char *text)
{
	static const char *const desc[] = {
		[101 - 100] = "Required field missing",
		[102 - 100] = "Data type error",
		[200 - 100] = "Unsupported message type",
		[207 - 100] = "Application internal error",
	};
	const struct hg_hl7_seg *msh = m != NULL ? &m->seg[0] : NULL;
	struct hg_buf b = { NULL, 0, 0 };
	char *v, now[16], id[32], *enc_out = NULL;
	const char *enc = m != NULL ? m->enc : "UTF-8";
	static const int from[] = { 5, 6, 3, 4 };
	size_t i, n;
	struct tm tm;
	time_t t = time(NULL);

	localtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y%m%d%H%M%S", &tm);
	snprintf(id, sizeof id, "HG%lld%04u", (long long)(hg_wall_ms() %
	    10000000000000LL), h->ackseq++ % 10000);
	hg_buf_adds(&b, "MSH|^~\\&");
	for (i = 0; i < 4; i++) {
		/* sender and receiver swapped */
		v = msh != NULL ? hg_hl7_get(m, msh, from[i], 0, 1) :
		    hg_xstrdup(i == 2 ? "" : "HISGATE");
		add_field(&b, v);
		free(v);
	}
	add_field(&b, now);
	hg_buf_addc(&b, '|');
	v = msh != NULL ? hg_hl7_get(m, msh, 9, 0, 2) : hg_xstrdup("");
	hg_buf_adds(&b, "|ACK");
	if (*v != '\0') {
		hg_buf_addc(&b, '^');
		hg_hl7_escape(&b, NULL, v);
		hg_buf_adds(&b, "^ACK");
	}
	free(v);
	add_field(&b, id);
	add_field(&b, "P");
	v = msh != NULL ? hg_hl7_get(m, msh, 12, 0, 1) : hg_xstrdup("2.4");
	add_field(&b, *v != '\0' ? v : "2.4");
	free(v);
	if (m != NULL && m->charset[0] != '\0') {
		hg_buf_adds(&b, "||||||");
		hg_hl7_escape(&b, NULL, m->charset);
	}
	hg_buf_adds(&b, "\rMSA|");
	hg_buf_adds(&b, code);
	add_field(&b, ctrl);
	if (text != NULL)
		add_field(&b, text);
	hg_buf_addc(&b, '\r');
	if (text != NULL && errcode >= 100 && errcode <= 207 &&
	    desc[errcode - 100] != NULL) {
		char ec[8];

		snprintf(ec, sizeof ec, "%d", errcode);
		hg_buf_adds(&b, "ERR|||");
		hg_buf_adds(&b, ec);
		hg_buf_addc(&b, '^');
		hg_buf_adds(&b, desc[errcode - 100]);
		hg_buf_adds(&b, "^HL70357|E||||");
		hg_hl7_escape(&b, NULL, text);
		hg_buf_addc(&b, '\r');
	}
	/* in the sender's own character set */
	if (strcmp(enc, "UTF-8") != 0 && hg_text_from_utf8(enc, b.data, b.len,
	    &enc_out, &n, NULL) == 0) {
		hg_mllp_wrap(&cn->out, enc_out, n);
		free(enc_out);
	} else
		hg_mllp_wrap(&cn->out, b.data, b.len);
	hg_buf_free(&b);
}

/* --- messages ------------------------------------------------------------ */

/* Fold the visit's journal into a bill and commit it; then mark it. */
static int
commit_visit(struct hl7 *h, struct hg_hl7_visit *v, struct hg_err *err)
{
	struct hg_hl7_fold *fo = hg_hl7_fold_new(h->a->name, v->key);
	struct hg_verdict vd;
	struct hg_bill *b;
	struct hg_err e;
	size_t i;
	int rc;

	for (i = 0; i < v->n; i++) {
		struct hg_hl7_msg *m;

		if (v->rec[i].type == HG_REC_COMMITTED)
			continue;
		if (hg_hl7_parse(v->rec[i].data, v->rec[i].len,
		    h->c->charset, &m, &e) < 0 ||
		    hg_hl7_fold_add(fo, m, v->rec[i].ctrl, &e) < 0) {
			/* it read when it was taken: only a changed
			 * configuration gets here */
			log_error(h->a->name, "visit %s: stored message %s is "
			    "left out: %s", v->key, v->rec[i].ctrl, e.msg);
			hg_hl7_free(m);
			continue;
		}
		hg_hl7_free(m);
	}
	b = hg_hl7_fold_end(fo);
	memset(&vd, 0, sizeof vd);
	rc = h->a->sink->commit(h->a->sink, &b, 1, NULL, &vd, err);
	if (rc == 0) {
		log_info(h->a->name, "visit %s: bill %lld %s (%zu fee line%s, "
		    "%s)", v->key, vd.bill_id, hg_verdict_name(vd.state),
		    b->nfees, b->nfees == 1 ? "" : "s", b->source_ref);
		if (!h->a->sink->dry && hg_hl7_store_append(h->st, v,
		    HG_REC_COMMITTED, "-", "", 0, &e) < 0)
			log_warn(h->a->name, "%s", e.msg);
	}
	hg_verdicts_free(&vd, 1);
	hg_bill_free(b);
	return rc;
}

static void
message(struct hl7 *h, struct conn *cn, const char *data, size_t len)
{
	struct hg_hl7_msg *m = NULL;
	struct hg_hl7_head hd;
	struct hg_hl7_visit v;
	struct hg_err err;
	char *ctrl;

	memset(&hd, 0, sizeof hd);
	memset(&v, 0, sizeof v);
	if (hg_hl7_parse(data, len, h->c->charset, &m, &err) < 0) {
		ctrl = raw_ctrl(data, len);
		log_warn(h->a->name, "message %s from %s rejected (AR): %s",
		    *ctrl ? ctrl : "(no MSH-10)", cn->peer, err.msg);
		ack(h, cn, NULL, ctrl, "AR", 102, err.msg);
		free(ctrl);
		return;
	}
	if (hg_hl7_classify(m, &hd, &err) < 0) {
		log_warn(h->a->name, "message %s (%s) from %s rejected (AR): "
		    "%s", *hd.ctrl ? hd.ctrl : "(no MSH-10)", hd.type,
		    cn->peer, err.msg);
		ack(h, cn, m, hd.ctrl, "AR", hd.errcode, err.msg);
		goto out;
	}
	if (hd.kind == HG_HL7_OTHER_ADT) {
		log_debug(h->a->name, "message %s (%s): not a discharge, "
		    "acknowledged and ignored", hd.ctrl, hd.type);
		ack(h, cn, m, hd.ctrl, "AA", 0, NULL);
		goto out;
	}
	if (hg_hl7_store_load(h->st, hd.visit, &v, &err) < 0)
		goto temp;
	if (hg_hl7_visit_has(&v, hd.ctrl)) {
		log_info(h->a->name, "message %s (%s, visit %s) was taken "
		    "before: acknowledged again", hd.ctrl, hd.type, hd.visit);
		if (v.closed && !hg_hl7_visit_committed(&v) &&
		    commit_visit(h, &v, &err) < 0)
			goto temp;
		ack(h, cn, m, hd.ctrl, "AA", 0, NULL);
		goto out;
	}
	if (hg_hl7_store_append(h->st, &v, hd.kind == HG_HL7_DISCHARGE ?
	    HG_REC_DISCHARGE : HG_REC_CHARGES, hd.ctrl, data, len, &err) < 0)
		goto temp;
	if (v.closed && commit_visit(h, &v, &err) < 0)
		goto temp;
	log_debug(h->a->name, "message %s (%s, visit %s) taken", hd.ctrl,
	    hd.type, hd.visit);
	ack(h, cn, m, hd.ctrl, "AA", 0, NULL);
	goto out;
temp:
	log_warn(h->a->name, "message %s (%s, visit %s) not taken now (AE, "
	    "the sender will send it again): %s", hd.ctrl, hd.type,
	    hd.visit, err.msg);
	ack(h, cn, m, hd.ctrl, "AE", 207, err.msg);
out:
	hg_hl7_visit_free(&v);
	hg_hl7_head_free(&hd);
	hg_hl7_free(m);
}

/* Read what the connection has; -1 when it is to be closed. */
static int
conn_read(struct hl7 *h, struct conn *cn, const char **why)
{
	const char *msg;
	size_t len;
	ssize_t r;
	int rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		r = recv(cn->fd, h->buf, READ_CHUNK, 0);
		if (r == 0) {
			*why = hg_mllp_partial(&cn->rx) ? "the peer closed "
			    "it in the middle of a message (not acknowledged)"
			    : NULL;
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			*why = strerror(errno);
			return -1;
		}
		cn->last_ms = hg_now_ms();
		hg_mllp_feed(&cn->rx, h->buf, (size_t)r);
		for (;;) {
			enum hg_mllp_rc rc = hg_mllp_next(&cn->rx, &msg, &len);

			if (rc == HG_MLLP_NONE)
				break;
			if (rc == HG_MLLP_TOOBIG) {
				char t[128];

				snprintf(t, sizeof t, "the message is larger "
				    "than max_message_kb (%lld KiB)",
				    (long long)h->c->max_message_kb);
				log_warn(h->a->name, "from %s: %s (AR)",
				    cn->peer, t);
				ack(h, cn, NULL, "", "AR", 102, t);
				continue;
			}
			message(h, cn, msg, len);
		}
		cn->frame_ms = hg_mllp_partial(&cn->rx) ? (cn->frame_ms ?
		    cn->frame_ms : cn->last_ms) : 0;
		if ((size_t)r < READ_CHUNK)
			break;
	}
	if (conn_flush(h, cn) < 0) {
		*why = "the peer is gone before its ACK was sent";
		return -1;
	}
	return 0;
}

static void
timeouts(struct hl7 *h)
{
	int64_t now = hg_now_ms();
	size_t i = 0;

	while (i < h->nconn) {
		struct conn *cn = h->conn[i];

		if (cn->frame_ms != 0 && now - cn->frame_ms >
		    h->c->read_timeout_seconds * 1000)
			conn_close(h, i, "a message begun and not ended "
			    "within read_timeout_seconds");
		else if (now - cn->last_ms > h->c->idle_timeout_seconds * 1000)
			conn_close(h, i, "idle for idle_timeout_seconds");
		else
			i++;
	}
}

/* --- the plug ------------------------------------------------------------ */

static void
hl7_destroy(struct hg_adapter *a)
{
	struct hl7 *h = a->state;

	if (h == NULL)
		return;
	while (h->nconn > 0)
		conn_close(h, h->nconn - 1, NULL);
	free(h->conn);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->epfd >= 0)
		close(h->epfd);
	hg_hl7_store_close(h->st);
	free(h->buf);
	free(h);
	a->state = NULL;
}

static int
listen_on(struct hl7 *h, struct hg_err *err)
{
	struct epoll_event ev;
	char bound[80];

	if (hg_listen_tcp(h->c->listen, &h->lfd, bound, sizeof bound,
	    err) < 0)
		return -1;
	log_info(h->a->name, "hl7 listening on %s", bound);
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (h->epfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->lfd,
	    &ev) < 0)
		return hg_failt(err, "epoll: %s", strerror(errno));
	return 0;
}

/* A visit recorded as discharged whose bill may not be in the outbox
 * (a crash between the journal and the commit): commit it now. */
static int
recover_one(void *arg, const char *visit)
{
	struct hl7 *h = arg;
	struct hg_hl7_visit v;
	struct hg_err err;
	int rc = 0;

	if (hg_hl7_store_load(h->st, visit, &v, &err) < 0) {
		log_warn(h->a->name, "%s", err.msg);
		hg_hl7_visit_free(&v);
		return 0;
	}
	if (h->a->sink->dry || (v.closed && !hg_hl7_visit_committed(&v)))
		if (commit_visit(h, &v, &err) < 0) {
			log_warn(h->a->name, "visit %s: %s", visit, err.msg);
			rc = -1;
		}
	hg_hl7_visit_free(&v);
	return rc;
}

static int
hl7_init(struct hg_adapter *a, struct hg_err *err)
{
	const struct hl7_conf *c = a->conf;
	struct hl7 *h;
	char *dir;
	int dry = a->sink != NULL && a->sink->dry;

	hl7_destroy(a);
	h = hg_xcalloc(1, sizeof *h);
	a->state = h;
	h->a = a;
	h->c = c;
	h->lfd = h->epfd = -1;
	h->buf = hg_xmalloc(READ_CHUNK);
	dir = hg_xasprintf("%s/%s", c->store, a->name);
	if (hg_hl7_store_open(dir, &h->st, err) < 0) {
		free(dir);
		goto fail;
	}
	free(dir);
	if (!dry && listen_on(h, err) < 0)
		goto fail;
	return 0;
fail:
	hl7_destroy(a);
	return -1;
}

static int
hl7_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct hl7 *h = a->state;
	struct epoll_event ev[32];
	struct hg_err e;
	int n, i;
	size_t j;

	if (a->sink->dry) {
		/* adapter test: every visit in the store, as it stands */
		return hg_hl7_store_each(h->st, recover_one, h, err);
	}
	if (!h->recovered && hg_now_ms() - h->last_recover > 10000) {
		h->last_recover = hg_now_ms();
		/* retried each pass until it works; meanwhile the senders
		 * are served (their DFTs need the journal only) */
		if (hg_hl7_store_each(h->st, recover_one, h, &e) == 0)
			h->recovered = 1;
	}
	if (h->last_sweep == 0 || hg_now_ms() - h->last_sweep > SWEEP_MS) {
		h->last_sweep = hg_now_ms();
		hg_hl7_store_sweep(h->st, h->c->keep_days);
	}
	n = epoll_wait(h->epfd, ev, 32, 0);
	for (i = 0; i < n; i++) {
		struct conn *cn = ev[i].data.ptr;
		const char *why = NULL;

		if (cn == NULL) {
			accept_all(h);
			continue;
		}
		for (j = 0; j < h->nconn && h->conn[j] != cn; j++)
			;
		if (j == h->nconn)
			continue;	/* closed earlier in this round */
		if ((ev[i].events & EPOLLIN) || (ev[i].events &
		    (EPOLLERR | EPOLLHUP))) {
			if (conn_read(h, cn, &why) < 0) {
				conn_close(h, j, why);
				continue;
			}
		}
		if ((ev[i].events & EPOLLOUT) && conn_flush(h, cn) < 0)
			conn_close(h, j, "the peer is gone before its ACK "
			    "was sent");
	}
	timeouts(h);
	return 0;
}

static int
hl7_wait_fd(struct hg_adapter *a)
{
	const struct hl7 *h = a->state;

	return h != NULL ? h->epfd : -1;
}

const struct hg_adapter_ops hg_adapter_hl7 = {
	.name = "hl7",
	.description = "HL7 v2 over MLLP: DFT^P03/BAR^P01 charges per visit, "
	    "ADT^A03 discharge closes the bill",
	.config_map = hl7_keys,
	.conf_size = sizeof(struct hl7_conf),
	.check = hl7_check,
	.init = hl7_init,
	.poll = hl7_poll,
	.wait_fd = hl7_wait_fd,
	.destroy = hl7_destroy,
};
