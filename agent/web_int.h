/* Inside the web server (agent/web*.c): one request in, one page out.
 * Every handler runs on libmicrohttpd's one internal thread, so the
 * server's read-only outbox connection is never shared between threads. */
#ifndef HG_WEB_INT_H
#define HG_WEB_INT_H

#include <pthread.h>
#include <stdint.h>

#include <microhttpd.h>

#include "agent/conf.h"
#include "agent/web.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "queue/outbox.h"

struct hg_web_users;

#define HG_WEB_TOKENS	64	/* confirmations open at once */
#define HG_WEB_TOKLEN	33	/* 128 random bits in hex, and a NUL */

/* A confirmation page given out: its token is good once, for that user
 * and that action on that bill or row, for a few minutes. */
struct hg_web_tok {
	char	 tok[HG_WEB_TOKLEN];
	char	*user;
	char	*what;		/* "retry 12", "map HC0789 ..." */
	int64_t	 until_ms;	/* monotonic; 0: free */
};

struct hg_web {
	const struct hg_config *cfg;
	struct MHD_Daemon *d;
	struct hg_outbox *ob;		/* read-only, opened on first use */
	/* login: a users file was loaded at start; set before the daemon
	 * starts and never changed, so requests read it without a lock.
	 * users may be swapped by SIGHUP's reload (hg_web_reload) while a
	 * request runs: users_mu guards the pointer.  A request holds it
	 * only while it checks a login and copies the name and ward out
	 * (so nothing of the table outlives the lock); the reload holds it
	 * only for the swap and frees the old table after, when no request
	 * can reach it.  A plain mutex is enough: libmicrohttpd runs every
	 * request on its one thread, so the only other taker is the reload,
	 * which waits at most one password hash. */
	int	 login;
	struct hg_web_users *users;	/* NULL: no authentication */
	pthread_mutex_t users_mu;
	char	*tls_cert, *tls_key;	/* PEM text for libmicrohttpd, or NULL */
	struct hg_web_hooks hooks;	/* in NULL: no actions */
	struct hg_web_tok toks[HG_WEB_TOKENS];
	char	 bound[128];
	/* plain HTTP on the HTTPS port: logged at doubling intervals; only
	 * libmicrohttpd's one thread touches it */
	struct hg_complain plain_http;
};

/* web_form.c: an application/x-www-form-urlencoded body, decoded. */
#define HG_WEB_FIELDS	8
struct hg_web_form {
	char	*buf;
	const char *key[HG_WEB_FIELDS], *val[HG_WEB_FIELDS];
	size_t	 n;
};
/* 0, or -1 when it is not such a body (too many fields, a NUL). */
int	hg_web_form_parse(struct hg_web_form *f, const char *body, size_t len);
const char *hg_web_form_get(const struct hg_web_form *f, const char *key);
void	hg_web_form_free(struct hg_web_form *f);
/* A new one-time token for user to do what, into out (the oldest open
 * one makes room). */
void	hg_web_token_new(struct hg_web *w, const char *user, const char *what,
	    char out[HG_WEB_TOKLEN]);
/* 0 when tok was given to user for what and has not expired or been
 * used; it is used up then.  -1 otherwise. */
int	hg_web_token_use(struct hg_web *w, const char *user, const char *what,
	    const char *tok);
void	hg_web_tokens_free(struct hg_web *w);

struct hg_web_req {
	const char *path;
	const char *dept;	/* ?dept=, "" for all */
	const char *day;	/* ?day=YYYY-MM-DD, "" for today */
	int	 fragment;	/* ?part=rows: only the table body */
	const char *paper;	/* ?paper=80: the 80 mm receipt slip */
	const char *state;	/* /queue?state= */
	const char *q;		/* /queue?q=: 住院号 or name */
	int	 operator;	/* logged in, no ward: may see the IT pages */
	const char *ward;	/* the user's ward (users file), NULL: all */
	const char *user;	/* the login, for the log and the bill's
				 * history; NULL without a users file */
	int	 post;		/* a POST: do the action confirmed */
	/* the action's fields: the confirmation page's query, the POST's
	 * body ("" when absent) */
	const char *token, *code, *nat, *name;
};

struct hg_web_resp {
	unsigned int status;
	const char *type;	/* Content-Type */
	struct hg_buf body;
};

/* The outbox, opened read-only on first use and again after a failure;
 * NULL with err when it cannot be opened. */
struct hg_outbox *hg_web_outbox(struct hg_web *w, struct hg_err *err);
/* One bill of it into row (hg_row_free), or -1 with the error page in
 * resp (503: no outbox, 404: no such bill). */
int	hg_web_row(struct hg_web *w, long long id, struct hg_row *row,
	    struct hg_web_resp *resp);

/* Handlers: fill resp (status 200 unless they say otherwise). */
void	hg_web_list(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
void	hg_web_bill(struct hg_web *w, const struct hg_web_req *rq,
	    long long id, struct hg_web_resp *resp);
/* web_ops.c: the IT staff's pages (rq->operator only). */
void	hg_web_queue(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
void	hg_web_history(struct hg_web *w, const struct hg_web_req *rq,
	    long long id, struct hg_web_resp *resp);
#define HG_WEB_MAX_ROWS	500	/* bills a queue page lists at most */
/* Does the bill match /queue?q= (part of its 住院号, or the full name)?
 * Counted in *matched; 1 when it is also among the first
 * HG_WEB_MAX_ROWS, counted in *shown. */
int	hg_web_q_take(const struct hg_row *r, const char *name,
	    const char *q, size_t *shown, size_t *matched);
/* The bill state named s (static), NULL when there is none. */
const char *hg_web_state_known(const char *s);
/* web_json.c: /queue.json, /bill/ID/history.json, /unmapped.json. */
void	hg_web_queue_json(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
void	hg_web_history_json(struct hg_web *w, const struct hg_web_req *rq,
	    long long id, struct hg_web_resp *resp);
void	hg_web_unmapped_json(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
/* web_unmapped.c: /unmapped, the 未对码 bills wait on; web_unbalanced.c:
 * /unbalanced, the 单边账 the last reconcile --detail found. */
void	hg_web_unmapped(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
void	hg_web_unbalanced(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
/* web_act.c: the operators' actions.  A GET shows what will be done and
 * a form carrying a one-time token; only the POST of that form does it. */
void	hg_web_act_retry(struct hg_web *w, const struct hg_web_req *rq,
	    long long id, struct hg_web_resp *resp);
void	hg_web_act_replay(struct hg_web *w, const struct hg_web_req *rq,
	    long long id, struct hg_web_resp *resp);
void	hg_web_act_map(struct hg_web *w, const struct hg_web_req *rq,
	    struct hg_web_resp *resp);
void	hg_web_metrics(struct hg_web *w, struct hg_web_resp *resp);
/* web_surge.c: the cost-surge alarms on, as a section of the IT page
 * (nothing when none is on). */
void	hg_web_surges(struct hg_buf *b);
void	hg_web_healthz(struct hg_web *w, struct hg_web_resp *resp);

/* web_audit.c: a bill's audit findings (audit_findings), for its pages. */
struct hg_web_finding {
	int64_t	 at_ms;
	char	*rule, *sev, *text;	/* "duplicate_charge", "block" */
	int	 line;
};
struct hg_web_audit {
	/* of the current content (hg_audit_store_bill), oldest first */
	struct hg_web_finding *v;
	size_t	 n;
	/* the latest audit: v[last..n-1] (all at its time), and how many
	 * of them are at warn and at block */
	size_t	 last, nwarn, nblock;
};
int	hg_web_audit_load(struct hg_outbox *ob, long long id,
	    struct hg_web_audit *a, struct hg_err *err);
void	hg_web_audit_free(struct hg_web_audit *a);
/* What holds it, for a nurse: the latest audit's rules at block in
 * Chinese ("重复收费、超限价收费"). */
void	hg_web_audit_held(struct hg_buf *b, const struct hg_web_audit *a);
/* " 审核提示 N 项": the latest audit's warnings (nothing when none). */
void	hg_web_audit_marker(struct hg_buf *b, const struct hg_web_audit *a);
/* What to do with a held bill: 医保办 checks, IT releases it. */
void	hg_web_audit_next(struct hg_buf *b, long long id);
/* The why of a bill for the IT pages, masked (allocated, or NULL): a
 * held bill's hold as the gate wrote it into its history ("held by the
 * audit: ...; ... queue release N"; the row keeps no reason for it),
 * else err_msg, else the validation reasons. */
char	*hg_web_why(struct hg_outbox *ob, const struct hg_row *r);
/* <h2>结算前审核</h2> and the table of findings (id "findings"), texts
 * masked as reasons are; nothing when there is none. */
void	hg_web_audit_section(struct hg_buf *b, const struct hg_web_audit *a,
	    const struct hg_row *r);

/* web_html.c: the pieces every page is made of. */
void	hg_html_esc(struct hg_buf *b, const char *s);	/* NULL: "" */
void	hg_html_money(struct hg_buf *b, int64_t fen);	/* 1234.50 */
void	hg_html_time(struct hg_buf *b, int64_t wall_ms); /* local time */
void	hg_html_head(struct hg_buf *b, const char *title, const char *css);
void	hg_html_foot(struct hg_buf *b);
void	hg_html_error(struct hg_web_resp *resp, unsigned int status,
	    const char *what);
/* The IT staff's pages: head, the links between them (here: the path of
 * this page, not linked) and the title. */
void	hg_web_ops_head(struct hg_buf *b, const char *here, const char *title);
/* <td class="cls">text, escaped</td>; cls NULL for none. */
void	hg_html_cell(struct hg_buf *b, const char *cls, const char *text);
/* A table: the header cells given (<th>...), the body rows (freed), with
 * the id "rows" the tests and scripts look for. */
void	hg_html_table(struct hg_buf *b, const char *heads, struct hg_buf *rows);
/* A bill id linked to its history, or "—" for 0. */
void	hg_html_bill_link(struct hg_buf *b, long long id);
/* What a nurse reads for a bill's state, and its CSS class (ok, busy,
 * wait, bad, person, off); the class colours it, the word says it. */
const char *hg_web_state_word(const struct hg_row *row, const char **cls);
/* "2304 结算": what a call does, in words. */
const char *hg_web_infno_name(const char *infno);
/* The platform's message or our reason, for a page: ID numbers and the
 * patient's name masked (allocated; NULL stays NULL). */
char	*hg_web_reason(const char *msg, const struct hg_row *row);

/* web_auth.c: the users file ("name:crypt-hash[:ward]" a line). */
int	hg_web_users_load(const char *path, struct hg_web_users **out,
	    struct hg_err *err);
void	hg_web_users_free(struct hg_web_users *u);
size_t	hg_web_users_count(const struct hg_web_users *u);	/* NULL: 0 */
/* An "Authorization: Basic ..." header value (NULL: none).  0, *ward
 * (NULL for all wards, else owned by u) and *name (owned by u) when it
 * names a user of the file with the right password, -1 otherwise. */
int	hg_web_users_check(const struct hg_web_users *u, const char *authz,
	    const char **ward, const char **name);

/* web_stats.c: adapter polls and errors seen by this process. */
struct hg_web_adapter_stat {
	const char *name;
	long long polls, errors;
	int64_t	 last_error_ms;
	int64_t	 failing_ms;	/* first failure since the last poll that
				 * worked, wall ms; 0 while it works */
	const char *last_error;	/* "" before any */
};
/* Calls cb for each adapter seen so far (under a lock: cb must be short). */
void	hg_web_adapter_each(void (*cb)(const struct hg_web_adapter_stat *,
	    void *), void *arg);
/* Adapter poll failures in this process since since_mono_ms. */
long long hg_web_adapter_errors_since(int64_t since_mono_ms);
/* Platform exchanges in this process: all, failed, and failed since. */
void	hg_web_platform_counts(long long *calls, long long *failed);
long long hg_web_platform_errors_since(int64_t since_mono_ms);

/* web_tls.c: the PEM pair of web.tls_cert/web.tls_key, checked (it
 * parses, the key is owner-only and the certificate's, not expired);
 * both NULL when TLS is off.  expires: the notAfter date; *bad_key (may
 * be NULL): on failure, the key the problem is about.  Freed (the key
 * wiped) with hg_web_tls_free. */
int	hg_web_tls_load(const struct hg_web_conf *wc, char **cert, char **key,
	    char *expires, size_t size, const char **bad_key,
	    struct hg_err *err);
void	hg_web_tls_free(char *cert, char *key);
/* MHD_OPTION_NOTIFY_CONNECTION of the HTTPS server (cls: the hg_web):
 * a connection closed with the rest of a plain HTTP request line unread
 * (someone opened http:// on the HTTPS port) is logged, rate-limited. */
void	hg_web_tls_notify(void *cls, struct MHD_Connection *c,
	    void **socket_context, enum MHD_ConnectionNotificationCode toe);

#endif
