#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/spool.h"
#include "agent/confcheck.h"
#include "agent/audit.h"
#include "agent/mapping.h"
#include "lib/access.h"
#include "lib/xmalloc.h"

struct ctx {
	const struct hg_config *cfg;
	struct hg_conf_errs *errs, *warns;
	struct hg_user as;	/* whose access is checked */
	const char *svc;	/* agent.service_user, for the advice */
};

/* add C ERRS KEY FMT...: a problem at the line where KEY was set */
static void
add(struct ctx *c, struct hg_conf_errs *to, const char *key, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
add(struct ctx *c, struct hg_conf_errs *to, const char *key, const char *fmt,
    ...)
{
	const char *file;
	char msg[1024];
	va_list ap;
	int line;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	line = hg_config_where(c->cfg, key, &file);
	hg_conf_errs_add(to, file, line, "%s%s", to == c->warns ?
	    "warning: " : "", msg);
}

int
hg_confcheck_user(const struct hg_config *cfg, struct hg_user *as)
{
	struct hg_err err;

	hg_user_self(as);
	if (geteuid() != 0)
		return 0;
	if (hg_user_lookup(cfg->agent.service_user, as, &err) == -1) {
		hg_user_self(as);
		return -1;
	}
	return 0;
}

static void
pick_user(struct ctx *c)
{
	if (hg_confcheck_user(c->cfg, &c->as) == -1)
		add(c, c->warns, "agent.service_user", "agent.service_user: "
		    "user %s does not exist, so file access is checked as root "
		    "(who may do anything): create it (adduser --system --group "
		    "%s) or set service_user to User= of the unit", c->svc,
		    c->svc);
}

static void
check_adapters_dir(struct ctx *c)
{
	const char *dir = c->cfg->agent.adapters_dir;
	struct dirent *e;
	char why[600];
	size_t len, nconf = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			add(c, c->errs, "agent.adapters_dir", "adapters_dir %s "
			    "does not exist: create it with one NAME.conf per "
			    "source (hisgate config-keys lists the keys)", dir);
		else
			add(c, c->errs, "agent.adapters_dir", "adapters_dir "
			    "%s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".conf") == 0)
			nconf++;
		else
			add(c, c->warns, "agent.adapters_dir", "%s/%s is "
			    "ignored: only files ending in .conf are read "
			    "(rename it NAME.conf to use it)", dir, e->d_name);
	}
	closedir(d);
	if (nconf == 0)
		add(c, c->errs, "agent.adapters_dir", "adapters_dir %s holds no "
		    "*.conf: no source is read (add one NAME.conf per HIS "
		    "export, e.g. from the shipped *.conf.example)", dir);
	if (hg_access_check(&c->as, dir, R_OK | X_OK, why, sizeof why) !=
	    HG_ACCESS_OK)
		add(c, c->errs, "agent.adapters_dir", "adapters_dir: %s", why);
}

static void
check_mapping(struct ctx *c, size_t *rows)
{
	const char *path = c->cfg->agent.mapping_file;
	struct stat st;
	char why[600];

	if (stat(path, &st) == -1 && errno == ENOENT) {
		add(c, c->errs, "agent.mapping_file", "mapping_file %s does not "
		    "exist: every fee without a national code in the export "
		    "would be 未对码 (create it: local_code,national_code"
		    "[,name], one code a line)", path);
		return;
	}
	if (hg_access_check(&c->as, path, R_OK, why, sizeof why) !=
	    HG_ACCESS_OK) {
		add(c, c->errs, "agent.mapping_file", "mapping_file: %s (the "
		    "daemon reads it at start and on SIGHUP)", why);
		return;
	}
	hg_mapping_check(path, rows, c->errs, c->warns);
}

/* May the service user create (or write) dir?  `what` names it. */
static void
check_dir(struct ctx *c, const char *key, const char *what, const char *dir)
{
	char why[600];

	switch (hg_access_create(&c->as, dir, why, sizeof why)) {
	case HG_ACCESS_OK:
		return;
	case HG_ACCESS_MISSING:
		add(c, c->errs, key, "%s %s cannot be created: %s", what, dir,
		    why);
		return;
	case HG_ACCESS_DENIED:
		add(c, c->errs, key, "%s %s: %s: chown it to the service user "
		    "(chown %s:%s ...)", what, dir, why, c->svc, c->svc);
		return;
	}
}

static void
check_outbox(struct ctx *c)
{
	const char *path = c->cfg->agent.outbox;
	char *copy = hg_xstrdup(path), *dir = dirname(copy), why[600];
	struct stat st;

	switch (hg_access_check(&c->as, dir, W_OK | X_OK, why, sizeof why)) {
	case HG_ACCESS_OK:
		if (stat(path, &st) == 0 && hg_access_check(&c->as, path,
		    R_OK | W_OK, why, sizeof why) != HG_ACCESS_OK)
			add(c, c->errs, "agent.outbox", "outbox: %s: chown it "
			    "to the service user (chown %s:%s %s*)", why, c->svc,
			    c->svc, path);
		break;
	case HG_ACCESS_MISSING:
		add(c, c->errs, "agent.outbox", "outbox %s: %s: create it (install "
		    "-d -m 0750 -o %s -g %s %s)", path, why, c->svc, c->svc,
		    dir);
		break;
	case HG_ACCESS_DENIED:
		add(c, c->errs, "agent.outbox", "outbox %s: %s (the outbox and its "
		    "-wal and -shm files are created there): chown it to the "
		    "service user (chown %s:%s %s)", path, why, c->svc, c->svc,
		    dir);
		break;
	}
	free(copy);
}

const struct hg_spool_keys *
hg_confcheck_spool(const struct hg_adapter *a)
{
	const struct hg_conf_key *k, *dir = NULL, *done = NULL;

	for (k = a->ops->config_map; k->name != NULL; k++) {
		if (strcmp(k->name, "dir") == 0)
			dir = k;
		else if (strcmp(k->name, "done_dir") == 0)
			done = k;
	}
	if (dir == NULL || done == NULL ||
	    done->offset != dir->offset + sizeof(char *))
		return NULL;
	return (const struct hg_spool_keys *)(const void *)
	    ((const char *)a->conf + dir->offset);
}

static void
check_drops(struct ctx *c)
{
	struct hg_conf_errs ignore = { NULL, 0 };
	const struct hg_spool_keys *k;
	struct hg_spool_conf sc;
	char key[160];
	size_t i;

	for (i = 0; i < c->cfg->nadapters; i++) {
		const struct hg_adapter *a = c->cfg->adapters[i];

		if ((k = hg_confcheck_spool(a)) == NULL)
			continue;
		/* loading checked the keys; only the paths matter here */
		if (hg_spool_compile(k, a->conf_file, a->conf_file, 1, &ignore,
		    &sc) == 0) {
			snprintf(key, sizeof key, "%s.dir", a->name);
			check_dir(c, key, "drop directory", sc.dir);
			snprintf(key, sizeof key, "%s.done_dir", a->name);
			check_dir(c, key, "done_dir", sc.done_dir);
			snprintf(key, sizeof key, "%s.rejected_dir", a->name);
			check_dir(c, key, "rejected_dir", sc.rejected_dir);
		}
		hg_spool_conf_free(&sc);
		hg_conf_errs_free(&ignore);
	}
}

struct file_key {
	const char *key, *path;
};

/* Can the service user read each file that is set? */
static void
check_readable(struct ctx *c, const struct file_key *f, size_t n)
{
	char why[600];
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].path != NULL && f[i].path[0] != '\0' &&
		    hg_access_check(&c->as, f[i].path, R_OK, why,
		    sizeof why) != HG_ACCESS_OK)
			add(c, c->errs, f[i].key, "%s: %s: the daemon cannot "
			    "read it (chown %s %s; chmod 600 %s)", f[i].key,
			    why, c->svc, f[i].path, f[i].path);
}

static void
check_secrets(struct ctx *c)
{
	const struct hg_platform_conf *p = &c->cfg->platform;
	const struct file_key files[] = {
		{ "platform.ca_file", p->ca_file },
		{ "platform.cert_file", p->cert_file },
		{ "platform.key_file", p->key_file },
		{ "platform.apikey_file", p->apikey_file },
		{ "platform.paas_token_file", p->paas_token_file },
	};

	if (c->cfg->settle.enabled)
		check_readable(c, files, sizeof files / sizeof files[0]);
}

/* The web server's files as the service user; HTTP Basic off the
 * loopback without TLS is allowed (a trusted ward network, a TLS proxy in
 * front) but said. */
static void
check_web(struct ctx *c)
{
	const struct hg_web_conf *w = &c->cfg->web;
	const struct file_key files[] = {
		{ "web.users_file", w->users_file },
		{ "web.tls_cert", w->tls_cert },
		{ "web.tls_key", w->tls_key },
	};

	if (!w->enabled)
		return;
	check_readable(c, files, sizeof files / sizeof files[0]);
	if (!hg_web_is_loopback(w->listen) && w->tls_cert[0] == '\0')
		add(c, c->warns, "web.listen", "web.listen %s without "
		    "web.tls_cert: logins cross the network unencrypted (HTTP "
		    "Basic); set web.tls_cert and web.tls_key, or put a TLS "
		    "proxy in front", w->listen);
}

static void
check_placeholders(struct ctx *c)
{
	if (strcmp(c->cfg->agent.fixmedins_code, "H00000000000") == 0)
		add(c, c->warns, "agent.fixmedins_code", "agent.fixmedins_code "
		    "is still the placeholder H00000000000 of the example: set "
		    "the code of the hospital as registered with the bureau");
	if (strcmp(c->cfg->agent.admdvs, "000000") == 0)
		add(c, c->warns, "agent.admdvs", "agent.admdvs is still the "
		    "placeholder 000000 of the example: set the 6-digit region "
		    "code of the hospital");
}

void
hg_confcheck(const struct hg_config *cfg, struct hg_conf_errs *errs,
    struct hg_conf_errs *warns, size_t *mapping_rows)
{
	struct ctx c;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.errs = errs;
	c.warns = warns;
	c.svc = cfg->agent.service_user;
	*mapping_rows = 0;
	pick_user(&c);
	check_placeholders(&c);
	check_adapters_dir(&c);
	check_mapping(&c, mapping_rows);
	hg_audit_confcheck(cfg, errs, warns);
	check_outbox(&c);
	check_drops(&c);
	hg_confcheck_adapters(cfg, &c.as, errs, warns);
	check_secrets(&c);
	check_web(&c);
	hg_alert_confcheck(cfg, &c.as, errs);
}
