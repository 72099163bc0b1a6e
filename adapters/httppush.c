/* httppush: the HIS posts bills.  `POST <path>` with one canonical bill
 * as JSON (doc/bill-push.schema.json) is answered
 *   202 once the bill is committed to the outbox (its id and verdict in
 *       the body; a bill the sink finds invalid, e.g. an unmapped code,
 *       is committed too and waits for a fix, with its problems listed);
 *   400 with every field error of the document (nothing committed);
 *   503 with Retry-After when the outbox cannot commit now;
 *   413, 415, 404, 405 for what is not a bill push at all.
 * An Idempotency-Key header names the bill (its source key, otherwise
 * ipt_no): a retry with the same key and body is answered 202 with the
 * same id and verdict "same", never a second bill; the same key with a
 * different body is 422.  Keys are kept in the outbox with the hash of
 * their first body, written in the bill's own transaction (the sink's
 * idem_key), until their bill is purged, so a restart, even after a
 * crash right after the commit, answers a repeated key as before;
 * max_keys of them are also kept in memory.
 *
 * libmicrohttpd runs without threads of its own (MHD_USE_EPOLL): its
 * epoll fd is the adapter's wait_fd and poll() calls MHD_run, so the
 * handler, and the sink, run on the adapter's thread. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "adapters/adapter.h"
#include "adapters/listen.h"
#include "adapters/push_json.h"
#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

struct push_conf {
	char	*listen;
	char	*path;
	int64_t	 max_body_kb;
	int64_t	 timeout_seconds;
	int64_t	 max_connections;
	int64_t	 max_keys;
};

#define C(f) offsetof(struct push_conf, f)
static const struct hg_conf_key push_keys[] = {
	{ "listen", HG_CT_STR, "127.0.0.1:8086", 0, 0, C(listen),
	  "address:port for the HIS's HTTP requests (port 0 = any free "
	  "port)", NULL, 0 },
	{ "path", HG_CT_STR, "/bills", 0, 0, C(path),
	  "the URL path bills are posted to", NULL, 0 },
	{ "max_body_kb", HG_CT_INT, "4096", 1, 65536, C(max_body_kb),
	  "the largest body taken (413 beyond)", NULL, 0 },
	{ "timeout_seconds", HG_CT_INT, "30", 1, 3600, C(timeout_seconds),
	  "a connection silent this long is closed", NULL, 0 },
	{ "max_connections", HG_CT_INT, "32", 1, 1000, C(max_connections),
	  "connections at once", NULL, 0 },
	{ "max_keys", HG_CT_INT, "10000", 0, 1000000, C(max_keys),
	  "Idempotency-Key values also kept in memory with their body's "
	  "hash (the outbox keeps them all, for 422 on reuse with another "
	  "body)", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef C

struct seen {
	char	*key;
	char	 hash[65];
};

struct push {
	struct hg_adapter *a;
	const struct push_conf *c;
	struct MHD_Daemon *d;
	int	 epfd;
	struct seen *seen;	/* a ring of max_keys */
	size_t	 nseen, next;
};

struct req {
	struct hg_buf body;
	int	 too_big;
};

static int
push_check(struct hg_adapter *a, struct hg_conf_errs *errs, int line)
{
	const struct push_conf *c = a->conf;
	const char *file = a->conf_file ? a->conf_file : a->name;

	if (hg_listen_check(a, c->listen, errs, line) > 0)
		return 1;
	if (c->path[0] != '/') {
		hg_conf_errs_add(errs, file, line, "path: \"%s\" does not "
		    "start with \"/\"", c->path);
		return 1;
	}
	return 0;
}

static enum MHD_Result
reply(struct MHD_Connection *cn, unsigned int status, struct hg_buf *b,
    const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	hg_buf_addc(b, '\n');
	r = MHD_create_response_from_buffer(b->len, b->data,
	    MHD_RESPMEM_MUST_COPY);
	hg_buf_free(b);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json; charset=utf-8");
	if (hname != NULL)
		MHD_add_response_header(r, hname, hvalue);
	ret = MHD_queue_response(cn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
error(struct MHD_Connection *cn, unsigned int status, const char *msg,
    const char *hname, const char *hvalue)
{
	struct hg_buf b = { NULL, 0, 0 };

	hg_buf_adds(&b, "{\"error\":");
	hg_buf_json_str(&b, msg);
	hg_buf_addc(&b, '}');
	return reply(cn, status, &b, hname, hvalue);
}

static void
problems_json(struct hg_buf *b, const struct hg_problem *p, size_t n)
{
	size_t i;
	char num[16];

	hg_buf_adds(b, "\"problems\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			hg_buf_addc(b, ',');
		hg_buf_adds(b, "{\"field\":");
		hg_buf_json_str(b, p[i].field);
		snprintf(num, sizeof num, "%d", p[i].line);
		hg_buf_adds(b, ",\"line\":");
		hg_buf_adds(b, num);
		hg_buf_adds(b, ",\"message\":");
		hg_buf_json_str(b, p[i].msg);
		hg_buf_addc(b, '}');
	}
	hg_buf_addc(b, ']');
}

static void
body_hash(const char *body, size_t len, char out[65])
{
	hg_sha256_hex(body, len, out);
}

/* The hash the key was first used with, or NULL. */
static const char *
seen_hash(struct push *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i].key, key) == 0)
			return p->seen[i].hash;
	return NULL;
}

static void
seen_add(struct push *p, const char *key, const char *hash)
{
	struct seen *s;

	if (p->c->max_keys == 0)
		return;
	if (p->nseen < (size_t)p->c->max_keys) {
		p->seen = hg_xrealloc(p->seen, p->nseen + 1, sizeof *p->seen);
		s = &p->seen[p->nseen++];
	} else {
		s = &p->seen[p->next];
		p->next = (p->next + 1) % p->nseen;
		free(s->key);
	}
	s->key = hg_xstrdup(key);
	memcpy(s->hash, hash, sizeof s->hash);
}

static enum MHD_Result
take(struct push *p, struct MHD_Connection *cn, struct req *rq)
{
	const char *key = MHD_lookup_connection_value(cn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	struct hg_problem *probs = NULL;
	struct hg_buf b = { NULL, 0, 0 };
	struct hg_verdict v;
	struct hg_bill *bill;
	struct hg_err err;
	size_t nprobs = 0;
	char hash[65], stored[65], num[32];
	const char *was = NULL;
	long long id;
	enum MHD_Result ret;
	int rc;

	if (key != NULL && (*key == '\0' || strlen(key) > 200))
		return error(cn, MHD_HTTP_BAD_REQUEST, "Idempotency-Key: "
		    "expected 1 to 200 characters", NULL, NULL);
	body_hash(rq->body.data != NULL ? rq->body.data : "", rq->body.len,
	    hash);
	if (key != NULL && (was = seen_hash(p, key)) == NULL &&
	    p->a->sink->key_get != NULL) {
		/* not among the recent ones: the outbox knows every key
		 * answered since its bill was taken, across restarts */
		switch (p->a->sink->key_get(p->a->sink, key, stored, &id,
		    &err)) {
		case 1:
			seen_add(p, key, stored);
			was = stored;
			break;
		case 0:
			break;
		default:
			log_warn(p->a->name, "Idempotency-Key %s not looked up "
			    "(503): %s", key, err.msg);
			return error(cn, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg,
			    MHD_HTTP_HEADER_RETRY_AFTER, "5");
		}
	}
	if (key != NULL && was != NULL && strcmp(was, hash) != 0)
		return error(cn, 422, "Idempotency-Key was used for a "
		    "different body; expected the same body on a retry, or a "
		    "new key for a new bill", NULL, NULL);
	if (hg_push_parse(rq->body.data != NULL ? rq->body.data : "",
	    rq->body.len, &bill, &probs, &nprobs) < 0) {
		log_info(p->a->name, "push refused (400): %zu problem%s, "
		    "the first: %s: %s", nprobs, nprobs == 1 ? "" : "s",
		    probs[0].field, probs[0].msg);
		hg_buf_adds(&b, "{\"error\":\"invalid bill\",");
		problems_json(&b, probs, nprobs);
		hg_buf_addc(&b, '}');
		hg_problems_free(probs, nprobs);
		return reply(cn, MHD_HTTP_BAD_REQUEST, &b, NULL, NULL);
	}
	hg_set_str(&bill->adapter, p->a->name);
	hg_set_str(&bill->source_key, key != NULL ? key : bill->ipt_no);
	bill->source_ref = hg_xasprintf("POST %s%s%s", p->c->path,
	    key != NULL ? " Idempotency-Key " : "", key != NULL ? key : "");
	memset(&v, 0, sizeof v);
	p->a->sink->idem_key = key;
	p->a->sink->idem_hash = hash;
	rc = p->a->sink->commit(p->a->sink, &bill, 1, NULL, &v, &err);
	p->a->sink->idem_key = p->a->sink->idem_hash = NULL;
	if (rc < 0) {
		log_warn(p->a->name, "bill %s not taken now (503): %s",
		    bill->ipt_no, err.msg);
		hg_bill_free(bill);
		return error(cn, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg,
		    MHD_HTTP_HEADER_RETRY_AFTER, "5");
	}
	if (key != NULL && was == NULL)
		seen_add(p, key, hash);
	log_info(p->a->name, "bill %lld %s (ipt_no %s, %zu fee line%s)",
	    v.bill_id, hg_verdict_name(v.state), bill->ipt_no, bill->nfees,
	    bill->nfees == 1 ? "" : "s");
	snprintf(num, sizeof num, "%lld", v.bill_id);
	hg_buf_adds(&b, "{\"bill_id\":");
	hg_buf_adds(&b, num);
	hg_buf_adds(&b, ",\"state\":");
	hg_buf_json_str(&b, hg_verdict_name(v.state));
	hg_buf_addc(&b, ',');
	problems_json(&b, v.problems, v.nproblems);
	hg_buf_addc(&b, '}');
	hg_verdicts_free(&v, 1);
	hg_bill_free(bill);
	ret = reply(cn, MHD_HTTP_ACCEPTED, &b, NULL, NULL);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *cn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct push *p = cls;
	struct req *rq = *con_cls;
	const char *ct;

	if (rq == NULL) {
		if (strcmp(url, p->c->path) != 0)
			return error(cn, MHD_HTTP_NOT_FOUND, "not found; bills "
			    "are posted to the configured path", NULL, NULL);
		if (strcmp(method, "POST") != 0)
			return error(cn, MHD_HTTP_METHOD_NOT_ALLOWED, "expected "
			    "POST", MHD_HTTP_HEADER_ALLOW, "POST");
		ct = MHD_lookup_connection_value(cn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE);
		if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0)
			return error(cn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			    "expected Content-Type: application/json", NULL,
			    NULL);
		rq = hg_xcalloc(1, sizeof *rq);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (rq->body.len + *upload_size > (size_t)p->c->max_body_kb *
		    1024)
			rq->too_big = 1;
		else
			hg_buf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return error(cn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is "
		    "larger than max_body_kb", NULL, NULL);
	return take(p, cn, rq);
}

static void
on_completed(void *cls, struct MHD_Connection *cn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	if (rq == NULL)
		return;
	hg_buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void
push_destroy(struct hg_adapter *a)
{
	struct push *p = a->state;
	size_t i;

	if (p == NULL)
		return;
	if (p->d != NULL)
		MHD_stop_daemon(p->d);
	for (i = 0; i < p->nseen; i++)
		free(p->seen[i].key);
	free(p->seen);
	free(p);
	a->state = NULL;
}

static int
push_init(struct hg_adapter *a, struct hg_err *err)
{
	struct push *p;
	const union MHD_DaemonInfo *di;
	char bound[80];
	int fd;

	push_destroy(a);
	p = hg_xcalloc(1, sizeof *p);
	a->state = p;
	p->a = a;
	p->c = a->conf;
	p->epfd = -1;
	if (a->sink != NULL && a->sink->dry)
		return 0;	/* adapter test: nothing to read at rest */
	if (hg_listen_tcp(p->c->listen, &fd, bound, sizeof bound, err) < 0)
		goto fail;
	p->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, p,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)p->c->timeout_seconds,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)p->c->max_connections, MHD_OPTION_END);
	if (p->d == NULL) {
		close(fd);
		hg_failt(err, "libmicrohttpd did not start on %s", bound);
		goto fail;
	}
	di = MHD_get_daemon_info(p->d, MHD_DAEMON_INFO_EPOLL_FD);
	p->epfd = di != NULL ? di->epoll_fd : -1;
	log_info(a->name, "httppush listening on %s, POST %s", bound,
	    p->c->path);
	return 0;
fail:
	push_destroy(a);
	return -1;
}

static int
push_poll(struct hg_adapter *a, struct hg_err *err)
{
	struct push *p = a->state;

	if (p->d != NULL)
		MHD_run(p->d);
	return 0;
}

static int
push_wait_fd(struct hg_adapter *a)
{
	const struct push *p = a->state;

	return p != NULL ? p->epfd : -1;
}

const struct hg_adapter_ops hg_adapter_httppush = {
	.name = "httppush",
	.description = "the HIS posts each bill as JSON over HTTP (202 once "
	    "committed)",
	.config_map = push_keys,
	.conf_size = sizeof(struct push_conf),
	.check = push_check,
	.init = push_init,
	.poll = push_poll,
	.wait_fd = push_wait_fd,
	.destroy = push_destroy,
};
