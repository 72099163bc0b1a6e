/* HTTP(S) for the simulated platform.
 *
 * Thread per connection: a latency fault sleeps in the handler, and on a
 * real gateway a slow answer delays only its own connection.  The platform
 * itself still handles one request at a time (sim/platform.c).
 *
 * Dropping a connection ("reset" faults) returns MHD_NO from the handler,
 * after setting SO_LINGER to zero.  libmicrohttpd shuts the socket down
 * before closing it, so a client usually sees an empty reply (curl exit
 * 52) and sometimes a reset (56); never an answer.  t/sim.sh checks it. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/nhsa.h"
#include "lib/xmalloc.h"
#include "sim/dialect.h"
#include "sim/server.h"

#define MAX_BODY	(32u << 20)	/* 2301 batches are large, not this */
#define COMP		"sim"

/* gnutls_certificate_verify_peers2(), found at run time in the GnuTLS
 * that libmicrohttpd already loaded: hisgate does not link GnuTLS itself
 * (it uses OpenSSL), and only this one call is needed. */
typedef int (*verify_fn)(void *session, unsigned int *status);

struct sim_server {
	struct MHD_Daemon *d;
	struct sim	*sim;
	struct sim_faults *faults;
	char		*cert;
	char		*key;
	char		*ca;
	verify_fn	 verify;
	struct sim_verify *gate;
};

struct conn {
	char		*body;
	size_t		 len;
	size_t		 cap;
	int		 too_big;
	int		 gzip;
	int64_t		 recv_ms;
};

static int
read_file(const char *path, char **out, struct hg_err *err)
{
	FILE *f;
	struct stat st;
	char *buf;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == -1 || st.st_size > (1 << 20)) {
		fclose(f);
		return hg_fail(err, "%s: not a readable PEM file", path);
	}
	buf = hg_xmalloc((size_t)st.st_size + 1);
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		free(buf);
		return hg_fail(err, "%s: short read", path);
	}
	buf[st.st_size] = '\0';
	fclose(f);
	*out = buf;
	return 0;
}

/* Bind ADDR:PORT ourselves (port 0 allowed) so the chosen port can be
 * read back before serving. */
static int
bind_listen(const char *spec, int *port, struct hg_err *err)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[256], *colon;
	const char *svc;
	int fd = -1, one = 1, rc;

	if (strlen(spec) >= sizeof host || (colon = strrchr(spec, ':')) ==
	    NULL)
		return hg_fail(err, "--listen %s: expected ADDR:PORT, e.g. "
		    "127.0.0.1:0", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	svc = colon + 1;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] != '\0' ? host : NULL, svc, &hints,
	    &ai)) != 0)
		return hg_fail(err, "--listen %s: %s", spec, gai_strerror(rc));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		hg_fail(err, "--listen %s: %s", spec, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	*port = ss.ss_family == AF_INET6 ?
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned int status, const char *type,
    const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, struct json_object *o)
{
	char *text = hg_nhsa_json_text(o);
	enum MHD_Result ret;

	ret = send_text(c, MHD_HTTP_OK, "application/json;charset=utf-8",
	    text);
	free(text);
	return ret;
}

/* Drop the connection without an answer (abortive close). */
static enum MHD_Result
drop(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct linger lg = { 1, 0 };

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof lg);
	return MHD_NO;
}

static int
gunzip(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream z;
	size_t cap = len * 4 + 1024, n = 0;
	char *buf = hg_xmalloc(cap + 1);
	int rc;

	memset(&z, 0, sizeof z);
	/* 16 + MAX_WBITS: a gzip header, not a raw zlib stream */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	do {
		if (n == cap) {
			if (cap >= MAX_BODY)
				break;
			cap *= 2;
			buf = hg_xrealloc(buf, cap + 1, 1);
		}
		z.next_out = (Bytef *)buf + n;
		z.avail_out = (uInt)(cap - n);
		rc = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

static int
client_ok(struct sim_server *srv, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int status = 1;

	if (srv->ca == NULL)
		return 1;
	if (srv->verify == NULL)
		return 0;	/* fail closed */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return 0;
	return srv->verify(ci->tls_session, &status) == 0 && status == 0;
}

static void
log_result(const char *infno, struct json_object *root,
    struct json_object *resp, const char *fault)
{
	const char *msgid = hg_json_get_str(root, "msgid");
	const char *code = hg_json_get_str(resp, "infcode");
	const char *msg = hg_json_get_str(resp, "err_msg");

	log_info(COMP, "%s %s -> infcode %s%s%s%s%s", infno[0] ? infno : "?",
	    msgid != NULL ? msgid : "-", code != NULL ? code : "?",
	    msg != NULL ? " " : "", msg != NULL ? msg : "",
	    fault != NULL ? " fault: " : "", fault != NULL ? fault : "");
}

static const char *
header_of(void *arg, const char *name)
{
	return MHD_lookup_connection_value(arg, MHD_HEADER_KIND, name);
}

/* A gateway refusal: HTTP 401, the reason in Chinese (sim/verify.c). */
static enum MHD_Result
refuse(struct MHD_Connection *c, const struct hg_err *err)
{
	struct json_object *o = json_object_new_object();
	enum MHD_Result ret;
	char *text;

	log_info(COMP, "gateway refused the request: %s", err->msg);
	json_object_object_add(o, "code", json_object_new_string("401"));
	json_object_object_add(o, "message", json_object_new_string(err->msg));
	text = hg_nhsa_json_text(o);
	json_object_put(o);
	ret = send_text(c, 401, "application/json;charset=utf-8", text);
	free(text);
	return ret;
}

/* The gateway's checks.  Header profiles sign the bytes on the wire
 * (gzipped or not); sm4sm2 wraps the envelope before gzip, so it is
 * opened from the gunzipped text and *text becomes what it held. */
static int
gate(struct sim_server *srv, struct MHD_Connection *c, const struct conn *rq,
    const char **text, size_t *len, char **opened, struct hg_err *err)
{
	const char *p = srv->gate->profile;
	int wrapped = p != NULL && strcmp(p, "sm4sm2") == 0;

	if (sim_verify_request(srv->gate, header_of, c, wrapped ? *text :
	    rq->body != NULL ? rq->body : "", wrapped ? *len : rq->len,
	    hg_wall_ms(), opened, err) == -1)
		return -1;
	if (*opened != NULL) {
		*text = *opened;
		*len = strlen(*opened);
	}
	return sim_verify_envelope(srv->gate, *text, *len, err);
}

static enum MHD_Result
finish(struct sim_server *srv, struct MHD_Connection *c, struct conn *rq)
{
	struct json_object *root = NULL, *resp = NULL;
	struct sim_plan plan;
	struct hg_err err;
	char *plain = NULL, *opened = NULL;
	const char *text, *infno = "";
	size_t len;
	enum MHD_Result ret;
	int committed;

	hg_err_clear(&err);
	if (rq->too_big)
		return send_text(c, 413 /* Content Too Large */, "text/plain",
		    "request body too large\n");
	text = rq->body != NULL ? rq->body : "";
	len = rq->len;
	if (rq->gzip) {
		if (gunzip(text, len, &plain, &len) == -1)
			return send_text(c, MHD_HTTP_BAD_REQUEST, "text/plain",
			    "Content-Encoding: gzip, but the body is not "
			    "gzip\n");
		text = plain;
	}
	if (srv->gate != NULL && gate(srv, c, rq, &text, &len, &opened,
	    &err) == -1) {
		free(plain);
		free(opened);
		return refuse(c, &err);
	}
	if (hg_json_parse(text, &root, &err) == 0 &&
	    json_object_is_type(root, json_type_object) &&
	    hg_json_get_str(root, "infno") != NULL)
		infno = hg_json_get_str(root, "infno");
	sim_faults_plan(srv->faults, infno, hg_now_ms(), &plan);
	if (plan.latency_ms > 0)
		usleep((useconds_t)(plan.latency_ms * 1000));
	switch (plan.kind) {
	case SIM_F_HTTP500:
	case SIM_F_HTTP502:
	case SIM_F_HTTP503:
		log_info(COMP, "%s: HTTP %s (fault: %s)", infno,
		    sim_fault_kind_name(plan.kind) + 4, plan.spec);
		ret = send_text(c, plan.kind == SIM_F_HTTP500 ? 500 :
		    plan.kind == SIM_F_HTTP502 ? 502 : 503, "text/html",
		    plan.kind == SIM_F_HTTP500 ? "<html><body><h1>500 Internal "
		    "Server Error</h1></body></html>\n" :
		    plan.kind == SIM_F_HTTP502 ? "<html><body><h1>502 Bad "
		    "Gateway</h1></body></html>\n" : "<html><body><h1>503 "
		    "Service Unavailable</h1></body></html>\n");
		goto out;
	case SIM_F_RESET:
		log_info(COMP, "%s: connection dropped before processing "
		    "(fault: %s)", infno, plan.spec);
		ret = drop(c);
		goto out;
	case SIM_F_INFCODE1:
		resp = sim_syserr(srv->sim, sim_text("syserr_before",
		    "系统异常:数据库连接超时,请稍后重试"),
		    rq->recv_ms, hg_wall_ms());
		log_result(infno, root, resp, plan.spec);
		ret = send_json(c, resp);
		goto out;
	default:
		break;
	}
	resp = sim_handle(srv->sim, root, err.msg, rq->recv_ms, &committed);
	log_result(infno, root, resp, plan.kind != SIM_F_NONE ? plan.spec :
	    NULL);
	if (plan.kind == SIM_F_RESET_AFTER_COMMIT) {
		log_info(COMP, "%s: processed (committed=%d), connection "
		    "dropped without an answer", infno, committed);
		ret = drop(c);
		goto out;
	}
	if (plan.kind == SIM_F_TIMEOUT_AFTER_COMMIT) {
		log_info(COMP, "%s: processed (committed=%d), answer held "
		    "%lld ms, then the connection dropped", infno, committed,
		    (long long)plan.hold_ms);
		usleep((useconds_t)(plan.hold_ms * 1000));
		ret = drop(c);
		goto out;
	}
	if (plan.kind == SIM_F_HTTP500_AFTER_COMMIT ||
	    plan.kind == SIM_F_HTTP502_AFTER_COMMIT ||
	    plan.kind == SIM_F_HTTP503_AFTER_COMMIT) {
		log_info(COMP, "%s: processed (committed=%d), answered HTTP %.3s "
		    "instead", infno, committed,
		    sim_fault_kind_name(plan.kind) + 4);
		ret = send_text(c, plan.kind == SIM_F_HTTP500_AFTER_COMMIT ?
		    500 : plan.kind == SIM_F_HTTP502_AFTER_COMMIT ? 502 : 503,
		    "text/html", "<html><body><h1>Gateway error</h1>"
		    "</body></html>\n");
		goto out;
	}
	if (plan.kind == SIM_F_INFCODE1_AFTER_COMMIT) {
		json_object_put(resp);
		resp = sim_syserr(srv->sim, sim_text("syserr_after",
		    "系统异常:交易处理超时,结果未知"),
		    rq->recv_ms, hg_wall_ms());
	}
	ret = send_json(c, resp);
out:
	json_object_put(resp);
	json_object_put(root);
	free(plain);
	free(opened);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct sim_server *srv = cls;
	struct conn *rq = *con_cls;
	const char *enc;
	size_t need;

	if (rq == NULL) {
		if (sim_faults_outage(srv->faults, hg_now_ms()))
			return drop(c);
		if (!client_ok(srv, c)) {
			log_warn(COMP, "client certificate missing or not "
			    "signed by --tls-client-ca");
			return send_text(c, MHD_HTTP_FORBIDDEN, "text/plain",
			    "client certificate required\n");
		}
		if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
			return send_text(c, MHD_HTTP_OK, "text/plain", "ok\n");
		if (strcmp(method, "POST") != 0)
			return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "text/plain", "POST the JSON envelope\n");
		enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_ENCODING);
		if (enc != NULL && strcasecmp(enc, "gzip") != 0 &&
		    strcasecmp(enc, "identity") != 0)
			return send_text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			    "text/plain", "Content-Encoding: only gzip\n");
		rq = hg_xcalloc(1, sizeof *rq);
		rq->gzip = enc != NULL && strcasecmp(enc, "gzip") == 0;
		rq->recv_ms = hg_wall_ms();
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (rq->len + *upload_size > MAX_BODY) {
			rq->too_big = 1;
		} else if (!rq->too_big) {
			need = rq->len + *upload_size + 1;
			if (need > rq->cap) {
				rq->cap = need * 2;
				rq->body = hg_xrealloc(rq->body, rq->cap, 1);
			}
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return finish(srv, c, rq);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *rq = *con_cls;

	if (rq == NULL)
		return;
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct sim_server *srv = cls;

	/* an outage refuses at the door, as a dead gateway would */
	return sim_faults_outage(srv->faults, hg_now_ms()) ? MHD_NO : MHD_YES;
}

int
sim_server_start(const struct sim_server_opts *o, struct sim *sim,
    struct sim_faults *faults, struct sim_server **out, int *port,
    struct hg_err *err)
{
	struct sim_server *srv = hg_xcalloc(1, sizeof *srv);
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int fd;

	*out = NULL;
	srv->sim = sim;
	srv->faults = faults;
	srv->gate = o->gate;
	if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
		hg_fail(err, "--tls-cert and --tls-key go together");
		goto fail;
	}
	if (o->tls_client_ca != NULL && o->tls_cert == NULL) {
		hg_fail(err, "--tls-client-ca needs --tls-cert and --tls-key");
		goto fail;
	}
	if (o->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			hg_fail(err, "this libmicrohttpd was built without "
			    "TLS; run without --tls-cert");
			goto fail;
		}
		if (read_file(o->tls_cert, &srv->cert, err) == -1 ||
		    read_file(o->tls_key, &srv->key, err) == -1)
			goto fail;
		flags |= MHD_USE_TLS;
	}
	if (o->tls_client_ca != NULL) {
		if (read_file(o->tls_client_ca, &srv->ca, err) == -1)
			goto fail;
		*(void **)&srv->verify = dlsym(RTLD_DEFAULT,
		    "gnutls_certificate_verify_peers2");
		if (srv->verify == NULL) {
			hg_fail(err, "--tls-client-ca: GnuTLS (under "
			    "libmicrohttpd) not found, cannot check client "
			    "certificates");
			goto fail;
		}
	}
	if ((fd = bind_listen(o->listen, port, err)) == -1)
		goto fail;
	srv->d = MHD_start_daemon(flags, 0, on_accept, srv, on_request, srv,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512,
	    srv->cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
	    srv->cert, MHD_OPTION_HTTPS_MEM_KEY, srv->key,
	    srv->ca != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
	    srv->ca, MHD_OPTION_END);
	if (srv->d == NULL) {
		close(fd);
		hg_fail(err, "libmicrohttpd did not start on %s (bad TLS "
		    "certificate or key?)", o->listen);
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	free(srv->cert);
	free(srv->key);
	free(srv->ca);
	free(srv);
	return -1;
}

void
sim_server_stop(struct sim_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->d);
	free(srv->cert);
	free(srv->key);
	free(srv->ca);
	free(srv);
}
