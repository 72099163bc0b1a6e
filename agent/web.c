/* The agent's web server (agent/web.h): configuration, the
 * libmicrohttpd daemon, authentication and routing.  Pages are built by
 * web_list.c, web_bill.c, web_metrics.c and, for IT staff, web_ops.c,
 * web_unmapped.c and web_unbalanced.c; their actions by web_act.c. */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netdb.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "adapters/listen.h"
#include "agent/conf.h"
#include "agent/web_int.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define W(f) offsetof(struct hg_web_conf, f)
const struct hg_conf_key hg_web_keys[] = {
	{ "enabled", HG_CT_BOOL, "false", 0, 0, W(enabled),
	  "serve the nurse page, /metrics and /healthz", NULL, 0 },
	{ "listen", HG_CT_STR, "127.0.0.1:8470", 0, 0, W(listen),
	  "ADDRESS:PORT; other than loopback only with users_file", NULL, 0 },
	{ "users_file", HG_CT_STR, "", 0, 0, W(users_file),
	  "name:crypt-hash[:ward] a line, mode 0600; \"\" = no login "
	  "(loopback only, no IT pages)", NULL, 0 },
	{ "tls_cert", HG_CT_STR, "", 0, 0, W(tls_cert),
	  "PEM certificate (chain) file: serve HTTPS; \"\" = HTTP", NULL, 0 },
	{ "tls_key", HG_CT_STR, "", 0, 0, W(tls_key),
	  "its PEM private key, unencrypted, mode 0600", NULL, 0 },
	{ "refresh_seconds", HG_CT_INT, "5", 1, 600, W(refresh_seconds),
	  "how often an open page asks for fresh states", NULL, 0 },
	{ "health_errors", HG_CT_INT, "5", 1, 1000000, W(health_errors),
	  "/healthz is unhealthy after this many errors ...", NULL, 0 },
	{ "health_window_s", HG_CT_INT, "300", 10, 86400, W(health_window_s),
	  "... within this many seconds", NULL, 0 },
	{ "health_stuck_s", HG_CT_INT, "120", 1, 86400, W(health_stuck_s),
	  "/healthz is unhealthy while a loop is stuck this long in one turn",
	  NULL, 0 },
	{ "disk_min_mb", HG_CT_INT, "200", 0, 1000000, W(disk_min_mb),
	  "free space under the outbox below this raises the disk alarm",
	  NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef W

int
hg_web_is_loopback(const char *listen)
{
	return strncmp(listen, "127.", 4) == 0 ||
	    strncmp(listen, "[::1]:", 6) == 0;
}

/* ADDRESS:PORT, numeric, as hg_listen_tcp takes it. */
static int
listen_parse(const char *spec, struct hg_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char host[128];
	const char *colon = strrchr(spec, ':');
	size_t n;
	int rc;

	if (colon == NULL || colon == spec || colon[1] == '\0' ||
	    (n = (size_t)(colon - spec)) >= sizeof host)
		return hg_fail(err, "\"%s\": expected ADDRESS:PORT, e.g. "
		    "127.0.0.1:8470", spec);
	memcpy(host, spec, n);
	host[n] = '\0';
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0)
		return hg_fail(err, "\"%s\": %s (a numeric address and port, "
		    "e.g. 127.0.0.1:8470)", spec, gai_strerror(rc));
	freeaddrinfo(ai);
	return 0;
}

void
hg_web_conf_check(const struct hg_config *cfg, const char *file,
    struct hg_conf_errs *errs)
{
	const struct hg_web_conf *wc = &cfg->web;
	struct hg_web_users *u = NULL;
	struct hg_err err;
	const char *where;
	char *cert, *key, expires[16];
	const char *bad;
	int line;

	if (!wc->enabled)
		return;
	line = hg_config_where(cfg, "web.listen", &where);
	if (listen_parse(wc->listen, &err) == -1)
		hg_conf_errs_add(errs, where, line, "web.listen: %s", err.msg);
	else if (!hg_web_is_loopback(wc->listen) && wc->users_file[0] == '\0')
		hg_conf_errs_add(errs, where, line, "web.listen: %s is not "
		    "loopback: set web.users_file too (the page shows "
		    "patients), or listen on 127.0.0.1", wc->listen);
	if (wc->users_file[0] != '\0') {
		line = hg_config_where(cfg, "web.users_file", &where);
		if (hg_web_users_load(wc->users_file, &u, &err) == -1)
			hg_conf_errs_add(errs, where, line, "web.users_file: "
			    "%s", err.msg);
		hg_web_users_free(u);
	}
	if (wc->tls_cert[0] != '\0' || wc->tls_key[0] != '\0') {
		if (hg_web_tls_load(wc, &cert, &key, expires, sizeof expires,
		    &bad, &err) == -1) {
			/* at the line of the key the problem is about */
			line = hg_config_where(cfg, bad, &where);
			hg_conf_errs_add(errs, where, line, "%s", err.msg);
		}
		hg_web_tls_free(cert, key);
	}
	(void)file;
}

struct hg_outbox *
hg_web_outbox(struct hg_web *w, struct hg_err *err)
{
	if (w->ob == NULL && hg_outbox_open(w->cfg->agent.outbox,
	    HG_OB_READONLY, &w->ob, err) == -1)
		w->ob = NULL;
	return w->ob;
}

int
hg_web_row(struct hg_web *w, long long id, struct hg_row *row,
    struct hg_web_resp *resp)
{
	struct hg_outbox *ob;
	struct hg_err err;

	memset(row, 0, sizeof *row);
	if ((ob = hg_web_outbox(w, &err)) == NULL) {
		hg_html_error(resp, 503, "the outbox cannot be read");
		return -1;
	}
	if (hg_outbox_get(ob, id, row, &err) == -1) {
		hg_row_free(row);
		hg_html_error(resp, 404, "no such bill");
		return -1;
	}
	return 0;
}

static enum MHD_Result
reply(struct MHD_Connection *c, struct hg_web_resp *resp, int auth)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(resp->body.len,
	    resp->body.data != NULL ? resp->body.data : (void *)"",
	    MHD_RESPMEM_MUST_COPY);
	hg_buf_free(&resp->body);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->type);
	/* patients' data: never cached, never framed, never sniffed */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "script-src 'unsafe-inline'; connect-src 'self'");
	if (auth)
		ret = MHD_queue_basic_auth_fail_response(c, "hisgate", r);
	else
		ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *
arg(struct MHD_Connection *c, const char *key)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    key);

	return v != NULL ? v : "";
}

#define POST_MAX	16384	/* a form of a few codes and a token */

/* A POST being received: its body, then its fields. */
struct post {
	struct hg_buf body;
	int	 too_big;
	struct hg_web_form form;
};

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct post *p = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (p == NULL)
		return;
	hg_buf_free(&p->body);
	hg_web_form_free(&p->form);
	free(p);
	*con_cls = NULL;
}

/* The action URLs: /bill/ID/retry, /bill/ID/replay, /unmapped/add.
 * 1 (and *id, *act) when url is one. */
static int
action_url(const char *url, long long *id, const char **act)
{
	char *end;

	*id = 0;
	if (strcmp(url, "/unmapped/add") == 0) {
		*act = "map";
		return 1;
	}
	if (strncmp(url, "/bill/", 6) != 0 ||
	    (*id = strtoll(url + 6, &end, 10)) <= 0)
		return 0;
	if (strcmp(end, "/retry") == 0)
		*act = "retry";
	else if (strcmp(end, "/replay") == 0)
		*act = "replay";
	else
		return 0;
	return 1;
}

/* The IT staff's pages and their actions: operators only. */
static int
is_it_page(const char *url, int is_act)
{
	return is_act || strncmp(url, "/queue", 6) == 0 ||
	    strstr(url, "/history") != NULL ||
	    strncmp(url, "/unmapped", 9) == 0 ||
	    strncmp(url, "/unbalanced", 11) == 0;
}

/* An IT page asked of a server without logins: no one is an operator
 * there, so say how to make one. */
static void
no_operator_login(struct hg_web_resp *resp)
{
	struct hg_buf *b = &resp->body;

	resp->status = MHD_HTTP_FORBIDDEN;
	resp->type = "text/html; charset=utf-8";
	hg_buf_free(b);
	hg_html_head(b, "hisgate", NULL);
	hg_buf_adds(b, "<h1>信息科页面需要登录 (IT pages need an operator "
	    "login)</h1>\n<p>队列、账单历史、重试/重放、单边账和未对码页面"
	    "只对登录的信息科用户开放，本服务器没有配置用户文件。"
	    "请在 hisgate.conf 中设置 <code>web.users_file</code>，"
	    "每行一个用户 <code>名字:哈希</code>（不写科室即为信息科用户），"
	    "哈希用 <code>openssl passwd -6</code> 生成，文件权限 0600，"
	    "然后重启 hisgate。</p>\n<p>The queue, a bill's history, retry "
	    "and replay, 单边账 and 未对码 are for a logged-in operator only, "
	    "and this server has no users file. Set <code>web.users_file"
	    "</code> in hisgate.conf to a file of <code>name:hash</code> "
	    "lines (no ward: an operator), each hash made with <code>openssl "
	    "passwd -6</code>, mode 0600, then restart hisgate "
	    "(<code>systemctl restart hisgate</code>; later changes to the "
	    "file need only <code>systemctl reload hisgate</code>).</p>\n"
	    "<p><a href=\"/\">返回出院列表</a></p>");
	hg_html_foot(b);
}

/* The request's user, checked against the table in force, and copied:
 * a reload may free that table before the request ends. */
static int
login(struct hg_web *w, struct MHD_Connection *c, char **name, char **ward)
{
	const char *n, *wd;
	int rc;

	pthread_mutex_lock(&w->users_mu);
	rc = hg_web_users_check(w->users, MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &wd, &n);
	if (rc == 0) {
		*name = hg_xstrdup(n);
		*ward = wd != NULL ? hg_xstrdup(wd) : NULL;
	}
	pthread_mutex_unlock(&w->users_mu);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct hg_web *w = cls;
	struct hg_web_resp resp;
	struct hg_web_req rq;
	struct post *p = *con_cls;
	const char *act = NULL;
	char *end, *name = NULL, *ward = NULL;
	long long id;
	enum MHD_Result ret;
	int is_act;

	(void)version;
	memset(&resp, 0, sizeof resp);
	resp.status = MHD_HTTP_OK;
	resp.type = "text/html; charset=utf-8";
	is_act = action_url(url, &id, &act);
	memset(&rq, 0, sizeof rq);
	rq.post = strcmp(method, "POST") == 0;
	if ((strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    !rq.post) || (rq.post && !is_act)) {
		hg_html_error(&resp, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "只读页面：只接受 GET (read-only)");
		return reply(c, &resp, 0);
	}
	if (rq.post && p == NULL) {
		/* the body comes in the calls that follow */
		*con_cls = hg_xcalloc(1, sizeof *p);
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (p != NULL && !p->too_big && p->body.len + *upload_size <=
		    POST_MAX)
			hg_buf_add(&p->body, upload_data, *upload_size);
		else if (p != NULL)
			p->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (p != NULL && (p->too_big || hg_web_form_parse(&p->form,
	    p->body.data != NULL ? p->body.data : "", p->body.len) == -1)) {
		hg_html_error(&resp, MHD_HTTP_BAD_REQUEST, "expected a form "
		    "of this server's page (application/x-www-form-urlencoded, "
		    "under 16 KB)");
		return reply(c, &resp, 0);
	}
	rq.path = url;
	rq.dept = arg(c, "dept");
	rq.day = arg(c, "day");
	rq.paper = arg(c, "paper");
	rq.fragment = strcmp(arg(c, "part"), "rows") == 0;
	/* /healthz says nothing about patients: a load balancer or
	 * systemd's watchdog asks it without a password */
	if (w->login && strcmp(url, "/healthz") != 0 &&
	    login(w, c, &name, &ward) == -1) {
		hg_html_error(&resp, MHD_HTTP_UNAUTHORIZED, "请登录 (login "
		    "required)");
		return reply(c, &resp, 1);
	}
	/* an operator is a logged-in user without a ward: on loopback
	 * without a users file any local account or process could act,
	 * and the log could name nobody */
	rq.ward = ward;
	rq.operator = w->login && rq.ward == NULL;
	rq.user = name;
	rq.state = arg(c, "state");
	rq.q = arg(c, "q");
#define FIELD(k) (p != NULL ? hg_web_form_get(&p->form, k) : arg(c, k))
	rq.token = FIELD("token");
	rq.code = FIELD("code");
	rq.nat = FIELD("nat");
	rq.name = FIELD("name");
#undef FIELD
	if (is_it_page(url, is_act) && !w->login)
		no_operator_login(&resp);
	else if (is_it_page(url, is_act) && !rq.operator)
		hg_html_error(&resp, MHD_HTTP_FORBIDDEN, "IT staff only");
	else if (is_act && strcmp(act, "retry") == 0)
		hg_web_act_retry(w, &rq, id, &resp);
	else if (is_act && strcmp(act, "replay") == 0)
		hg_web_act_replay(w, &rq, id, &resp);
	else if (is_act)
		hg_web_act_map(w, &rq, &resp);
	else if (strcmp(url, "/queue") == 0)
		hg_web_queue(w, &rq, &resp);
	else if (strcmp(url, "/queue.json") == 0)
		hg_web_queue_json(w, &rq, &resp);
	else if (strcmp(url, "/unmapped") == 0)
		hg_web_unmapped(w, &rq, &resp);
	else if (strcmp(url, "/unmapped.json") == 0)
		hg_web_unmapped_json(w, &rq, &resp);
	else if (strcmp(url, "/unbalanced") == 0)
		hg_web_unbalanced(w, &rq, &resp);
	else if (strncmp(url, "/bill/", 6) == 0 &&
	    (id = strtoll(url + 6, &end, 10)) > 0 &&
	    strcmp(end, "/history") == 0)
		hg_web_history(w, &rq, id, &resp);
	else if (strncmp(url, "/bill/", 6) == 0 &&
	    (id = strtoll(url + 6, &end, 10)) > 0 &&
	    strcmp(end, "/history.json") == 0)
		hg_web_history_json(w, &rq, id, &resp);
	else if (strcmp(url, "/") == 0)
		hg_web_list(w, &rq, &resp);
	else if (strncmp(url, "/bill/", 6) == 0 && url[6] != '\0' &&
	    (id = strtoll(url + 6, &end, 10)) > 0 && *end == '\0')
		hg_web_bill(w, &rq, id, &resp);
	else if (strcmp(url, "/metrics") == 0)
		hg_web_metrics(w, &resp);
	else if (strcmp(url, "/healthz") == 0)
		hg_web_healthz(w, &resp);
	else
		hg_html_error(&resp, MHD_HTTP_NOT_FOUND, "没有这个页面 (not "
		    "found)");
	ret = reply(c, &resp, 0);
	free(name);
	free(ward);
	return ret;
}

int
hg_web_start(const struct hg_config *cfg, const struct hg_web_hooks *hooks,
    struct hg_web **out, struct hg_err *err)
{
	const struct hg_web_conf *wc = &cfg->web;
	struct hg_web *w;
	char expires[16];
	int fd;

	*out = NULL;
	if (!wc->enabled)
		return 0;
	w = hg_xcalloc(1, sizeof *w);
	w->cfg = cfg;
	pthread_mutex_init(&w->users_mu, NULL);
	if (hooks != NULL)
		w->hooks = *hooks;
	if (wc->users_file[0] != '\0' &&
	    hg_web_users_load(wc->users_file, &w->users, err) == -1)
		goto fail;
	if (hg_web_tls_load(wc, &w->tls_cert, &w->tls_key, expires,
	    sizeof expires, NULL, err) == -1)
		goto fail;
	if (w->tls_cert != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) !=
	    MHD_YES) {
		hg_fail(err, "web.tls_cert: this libmicrohttpd has no TLS: "
		    "unset web.tls_cert and web.tls_key");
		goto fail;
	}
	w->login = w->users != NULL;
	if (!w->login && !hg_web_is_loopback(wc->listen)) {
		hg_fail(err, "web.listen: %s is not loopback and there is no "
		    "web.users_file: not started", wc->listen);
		goto fail;
	}
	if (hg_listen_tcp(wc->listen, &fd, w->bound, sizeof w->bound,
	    err) == -1) {
		hg_err_prefix(err, "web.listen");
		goto fail;
	}
	/* One internal thread, asleep in epoll until a browser comes. */
	if (w->tls_cert == NULL)
		w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		    MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL, on_request, w,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
		    MHD_OPTION_NOTIFY_COMPLETED, on_done, (void *)NULL,
		    MHD_OPTION_END);
	else
		w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		    MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_TLS, 0, NULL, NULL,
		    on_request, w,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
		    MHD_OPTION_NOTIFY_COMPLETED, on_done, (void *)NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, hg_web_tls_notify, (void *)w,
		    MHD_OPTION_HTTPS_MEM_CERT, w->tls_cert,
		    MHD_OPTION_HTTPS_MEM_KEY, w->tls_key,
		    MHD_OPTION_END);
	if (w->d == NULL) {
		close(fd);
		hg_fail(err, "web: libmicrohttpd did not start on %s%s",
		    w->bound, w->tls_cert != NULL ? " with web.tls_cert and "
		    "web.tls_key" : "");
		goto fail;
	}
	if (w->tls_cert != NULL)
		log_notice("web", "web listening on %s (HTTPS, certificate "
		    "valid until %s%s)", w->bound, expires, w->users ?
		    "; login required" : "");
	else
		log_notice("web", "web listening on %s%s", w->bound, w->users ?
		    " (login required)" : "");
	*out = w;
	return 0;
fail:
	hg_web_users_free(w->users);
	hg_web_tls_free(w->tls_cert, w->tls_key);
	pthread_mutex_destroy(&w->users_mu);
	free(w);
	return -1;
}

void
hg_web_stop(struct hg_web *w)
{
	if (w == NULL)
		return;
	/* closes the listening socket too */
	MHD_stop_daemon(w->d);
	hg_outbox_close(w->ob);
	hg_web_users_free(w->users);
	hg_web_tls_free(w->tls_cert, w->tls_key);
	hg_web_tokens_free(w);
	pthread_mutex_destroy(&w->users_mu);
	free(w);
}

int
hg_web_reload(struct hg_web *w, char *done, size_t donesz,
    struct hg_err *err)
{
	struct hg_web_users *u, *old;
	const char *path;

	/* web.users_file is hisgate.conf's, which a reload does not read:
	 * without one at start there is nothing to read now, and a server
	 * without logins stays one (it may be bound where that is all that
	 * keeps patients' data off the ward network). */
	if (donesz > 0)
		done[0] = '\0';
	if (w == NULL || !w->login)
		return 0;
	path = w->cfg->web.users_file;
	/* this thread is the only one that writes w->users: it reads it
	 * without the lock */
	if (hg_web_users_load(path, &u, err) == -1) {
		hg_err_prefix(err, "web: users file %s not reloaded, the old "
		    "table (%zu users) stays in force", path,
		    hg_web_users_count(w->users));
		return -1;
	}
	pthread_mutex_lock(&w->users_mu);
	old = w->users;
	w->users = u;
	pthread_mutex_unlock(&w->users_mu);
	hg_web_users_free(old);
	snprintf(done, donesz, "users file %s reloaded: %zu users", path,
	    hg_web_users_count(u));
	log_notice("web", "%s", done);
	return 0;
}
