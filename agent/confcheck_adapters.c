/* confcheck_adapters: what check-config (and doctor) can check offline
 * about the adapters the HIS connects to or that reach a database: the
 * listening address (a port taken by another program, an address this
 * machine does not have, a port below 1024 for a service user that is
 * not root, two adapters on one port), the hl7 journal directory, the
 * ODBC data source or driver named in `connection` (defined on this
 * machine; nothing is connected), and a password in an adapter file
 * others can read. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/odbc_lib.h"
#include "agent/confcheck.h"
#include "agent/pidfile.h"
#include "lib/xmalloc.h"

struct actx {
	struct hg_conf_errs *errs, *warns;
	const struct hg_user *as;
	const char *svc;
	int	 running;	/* the daemon holds its ports now */
};

/* The string value of key in the adapter's conf, or NULL. */
static const char *
str_key(const struct hg_adapter *a, const char *key)
{
	const struct hg_conf_key *k;

	for (k = a->ops->config_map; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0 && k->type == HG_CT_STR)
			return *(char *const *)(const void *)
			    ((const char *)a->conf + k->offset);
	return NULL;
}

/* A problem at the line of the adapter's setting key. */
#define aerr(c, warn, a, key, fmt, ...)					\
	hg_conf_errs_add((warn) ? (c)->warns : (c)->errs, (a)->conf_file,	\
	    hg_kv_line(&(a)->lines, key, 1), "%s" fmt,			\
	    (warn) ? "warning: " : "", __VA_ARGS__)

/* "ADDRESS:PORT" or "[V6]:PORT" into host and port; -1 when it does not
 * split (loading reported that already). */
static int
split_addr(const char *addr, char *host, size_t hlen, char *port,
    size_t plen)
{
	const char *colon;

	if (addr[0] == '[') {
		colon = strstr(addr, "]:");
		if (colon == NULL)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(colon - addr - 1), addr + 1);
		snprintf(port, plen, "%s", colon + 2);
		return 0;
	}
	colon = strrchr(addr, ':');
	if (colon == NULL)
		return -1;
	snprintf(host, hlen, "%.*s", (int)(colon - addr), addr);
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

static void
check_listen(struct actx *c, const struct hg_adapter *a, const char *addr,
    const struct hg_adapter *const *seen, const char *const *seen_addr,
    size_t nseen)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16];
	size_t i;
	int fd, one = 1, e = 0;

	if (split_addr(addr, host, sizeof host, port, sizeof port) < 0)
		return;
	for (i = 0; i < nseen; i++)
		if (strcmp(seen_addr[i], addr) == 0 && atoi(port) != 0) {
			aerr(c, 0, a, "listen", "listen: %s is also the address "
			    "of adapter %s (%s): give each its own port", addr,
			    seen[i]->name, seen[i]->conf_file);
			return;
		}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return;		/* loading reported it */
	if (atoi(port) > 0 && atoi(port) < 1024 && c->as->uid != 0)
		aerr(c, 0, a, "listen", "listen: port %s is below 1024, which "
		    "only root may bind, and the daemon runs as %s: choose a "
		    "port of 1024 or above", port, c->svc);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			e = errno;
		close(fd);
	}
	freeaddrinfo(ai);
	if (e == EADDRNOTAVAIL)
		aerr(c, 0, a, "listen", "listen: %s is not an address of this "
		    "machine (ip -brief address lists them; 0.0.0.0 takes "
		    "every one)", host);
	else if (e == EADDRINUSE && !c->running)
		aerr(c, 0, a, "listen", "listen: port %s on %s is in use by "
		    "another program (ss -ltnp 'sport = :%s' shows which): "
		    "stop it or choose another port", port, host, port);
}

/* The value of NAME= in an ODBC connection string (case-insensitive), in
 * buf; NULL when absent. */
static const char *
conn_attr(const char *conn, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *p, *e;

	for (p = conn; *p != '\0'; p = *e ? e + 1 : e) {
		while (*p == ' ')
			p++;
		e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) > n && p[n] == '=' &&
		    strncasecmp(p, name, n) == 0) {
			snprintf(buf, len, "%.*s", (int)(e - p - n - 1),
			    p + n + 1);
			if (buf[0] == '{' && buf[strlen(buf) - 1] == '}') {
				memmove(buf, buf + 1, strlen(buf));
				buf[strlen(buf) - 1] = '\0';
			}
			return buf;
		}
	}
	return NULL;
}

/* Is name among the data sources (dsn) or drivers unixODBC knows?
 * 1 yes, 0 no, -1 cannot tell. */
static int
odbc_known(const char *name, int dsn)
{
	SQLHENV env;
	SQLCHAR n1[256], n2[512];
	SQLSMALLINT l1, l2;
	SQLUSMALLINT dir = SQL_FETCH_FIRST;
	SQLRETURN rc;
	int found = 0;
	struct hg_err err;

	if (hg_odbc_load(&err) == -1)
		return -1;
	if (!SQL_SUCCEEDED(hg_odbc_fn.SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE,
	    &env)))
		return -1;
	(void)hg_odbc_fn.SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION,
	    (SQLPOINTER)SQL_OV_ODBC3, 0);
	for (;;) {
		rc = dsn ? hg_odbc_fn.SQLDataSources(env, dir, n1, sizeof n1, &l1, n2,
		    sizeof n2, &l2) : hg_odbc_fn.SQLDrivers(env, dir, n1, sizeof n1, &l1,
		    n2, sizeof n2, &l2);
		if (!SQL_SUCCEEDED(rc))
			break;
		if (strcasecmp((const char *)n1, name) == 0)
			found = 1;
		dir = SQL_FETCH_NEXT;
	}
	hg_odbc_fn.SQLFreeHandle(SQL_HANDLE_ENV, env);
	return found;
}

/* Can every user read path: o+r on it and o+x on every directory on
 * the way (/etc/hisgate 0750 keeps a 0644 file private)? */
static int
world_readable(const char *path, mode_t *mode)
{
	char *copy = hg_xstrdup(path), *p;
	struct stat st;
	int rc = 0;

	if (stat(path, &st) < 0 || !(st.st_mode & S_IROTH))
		goto out;
	*mode = st.st_mode;
	for (p = strrchr(copy, '/'); p != NULL; p = strrchr(copy, '/')) {
		*p = '\0';
		if (stat(copy[0] != '\0' ? copy : "/", &st) < 0 ||
		    !(st.st_mode & S_IXOTH))
			goto out;
		if (copy[0] == '\0')
			break;
	}
	rc = 1;
out:
	free(copy);
	return rc;
}

static void
check_odbc(struct actx *c, const struct hg_adapter *a, const char *conn)
{
	char v[256];
	mode_t mode = 0;

	/* warnings: the service user's own ~/.odbc.ini may define what
	 * this user's unixODBC does not see */
	if (conn_attr(conn, "DSN", v, sizeof v) != NULL &&
	    odbc_known(v, 1) == 0)
		aerr(c, 1, a, "connection", "connection: data source \"%s\" is "
		    "not defined on this machine (odbcinst -q -s lists those "
		    "that are; define it in /etc/odbc.ini)", v);
	if (conn_attr(conn, "Driver", v, sizeof v) != NULL && v[0] != '/' &&
	    odbc_known(v, 0) == 0)
		aerr(c, 1, a, "connection", "connection: driver \"%s\" is not "
		    "installed (odbcinst -q -d lists those that are; the "
		    "Debian packages are odbc-postgresql, odbc-mariadb, "
		    "libsqliteodbc, ...)", v);
	if ((conn_attr(conn, "PWD", v, sizeof v) != NULL ||
	    conn_attr(conn, "Password", v, sizeof v) != NULL) &&
	    a->conf_file[0] == '/' && world_readable(a->conf_file, &mode))
		aerr(c, 0, a, "connection", "connection holds a password and "
		    "%s is readable by every user (mode %04o): chmod 640 %s "
		    "(or put the password in /etc/odbc.ini, mode 0640)",
		    a->conf_file, (unsigned)(mode & 07777), a->conf_file);
}

static void
check_store(struct actx *c, const struct hg_adapter *a, const char *dir)
{
	char why[600];

	switch (hg_access_create(c->as, dir, why, sizeof why)) {
	case HG_ACCESS_OK:
		return;
	case HG_ACCESS_MISSING:
		aerr(c, 0, a, "store", "store: %s cannot be created: %s", dir,
		    why);
		return;
	case HG_ACCESS_DENIED:
		aerr(c, 0, a, "store", "store: %s: %s: chown it to the service "
		    "user (chown %s:%s %s)", dir, why, c->svc, c->svc, dir);
		return;
	}
}

void
hg_confcheck_adapters(const struct hg_config *cfg, const struct hg_user *as,
    struct hg_conf_errs *errs, struct hg_conf_errs *warns)
{
	const struct hg_adapter **seen;
	const char **seen_addr, *v;
	struct hg_runinfo ri;
	struct actx c;
	size_t i, nseen = 0;
	char *pid;

	memset(&c, 0, sizeof c);
	c.errs = errs;
	c.warns = warns;
	c.as = as;
	c.svc = cfg->agent.service_user;
	pid = hg_pidfile_path(cfg->agent.outbox);
	c.running = hg_pidfile_read(pid, &ri) == 1;
	free(pid);
	seen = hg_xcalloc(cfg->nadapters + 1, sizeof *seen);
	seen_addr = hg_xcalloc(cfg->nadapters + 1, sizeof *seen_addr);
	for (i = 0; i < cfg->nadapters; i++) {
		const struct hg_adapter *a = cfg->adapters[i];

		if ((v = str_key(a, "listen")) != NULL) {
			check_listen(&c, a, v, seen, seen_addr, nseen);
			seen[nseen] = a;
			seen_addr[nseen++] = v;
		}
		if (strcmp(a->ops->name, "hl7") == 0 &&
		    (v = str_key(a, "store")) != NULL && v[0] == '/')
			check_store(&c, a, v);
		if ((v = str_key(a, "connection")) != NULL)
			check_odbc(&c, a, v);
	}
	free(seen);
	free(seen_addr);
}
