#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libconfig.h>

#include "agent/adapters.h"
#include "agent/conf.h"
#include "agent/confscan.h"
#include "lib/access.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

static const char *const log_levels[] = { "error", "warning", "notice",
	"info", "debug", NULL };
static const char *const log_targets[] = { "stderr", "syslog", NULL };

#define A(f) offsetof(struct hg_agent_conf, f)
static const struct hg_conf_key agent_keys[] = {
	{ "fixmedins_code", HG_CT_STR, "H00000000000", 0, 0, A(fixmedins_code),
	  "the hospital's 12-character designated-institution code", NULL, 0 },
	{ "fixmedins_name", HG_CT_STR, "", 0, 0, A(fixmedins_name),
	  "the hospital's name, as on settlement slips", NULL, 0 },
	{ "admdvs", HG_CT_STR, "000000", 0, 0, A(admdvs),
	  "6-digit region code of the hospital (mdtrtarea_admvs)", NULL, 0 },
	{ "outbox", HG_CT_STR, LOCALSTATEDIR "/lib/hisgate/outbox.db", 0, 0,
	  A(outbox), "the SQLite outbox file", NULL, 0 },
	{ "adapters_dir", HG_CT_STR, SYSCONFDIR "/hisgate/adapters.d", 0, 0,
	  A(adapters_dir), "directory of adapter files, one *.conf each",
	  NULL, 0 },
	{ "mapping_file", HG_CT_STR, SYSCONFDIR "/hisgate/mapping.csv", 0, 0,
	  A(mapping_file), "local code to national code mapping (CSV); "
	  "a missing file at start means an empty table", NULL, 0 },
	{ "audit_dir", HG_CT_STR, SYSCONFDIR "/hisgate/audit.d", 0, 0,
	  A(audit_dir), "the pre-settlement audit's rule tables "
	  "(hisgate-audit(5)); no such directory: no audit", NULL, 0 },
	{ "log_level", HG_CT_ENUM, "info", 0, 0, A(log_level),
	  "least severe level logged", log_levels, 0 },
	{ "log_target", HG_CT_ENUM, "stderr", 0, 0, A(log_target),
	  "where log lines go", log_targets, 0 },
	{ "service_user", HG_CT_STR, "hisgate", 0, 0, A(service_user),
	  "the user the daemon runs as (systemd User=): check-config, run "
	  "as root, checks file access as this user", NULL, 0 },
	{ "poll_ms", HG_CT_INT, "1000", 50, 600000, A(poll_ms),
	  "how often each adapter looks at its source when nothing wakes it",
	  NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef A

#define V(f) offsetof(struct hg_validate_conf, f)
static const struct hg_conf_key validate_keys[] = {
	{ "amount_tolerance", HG_CT_STR, "0.005", 0, 0, V(amount_tolerance),
	  "allowed |quantity x price - amount| per line, in yuan", NULL, 0 },
	{ "after_discharge_hours", HG_CT_INT, "24", 0, 24 * 30,
	  V(after_discharge_hours), "how long after discharge a fee time "
	  "may be (discharge medication, night billing)", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef V

#define R(f) offsetof(struct hg_retention_conf, f)
static const struct hg_conf_key retention_keys[] = {
	{ "personal_days", HG_CT_INT, "0", 0, 36500, R(personal_days),
	  "days after a bill was settled or cancelled that its patient's "
	  "name, certificate numbers and other personal fields are taken "
	  "out of the outbox (amounts and ids stay); 0 keeps them", NULL,
	  0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};
#undef R

static const struct section {
	const char *name;
	const struct hg_conf_key *keys;
	size_t	 offset;
} sections[] = {
	{ "agent", agent_keys, offsetof(struct hg_config, agent) },
	{ "validate", validate_keys, offsetof(struct hg_config, validate) },
	{ "retention", retention_keys, offsetof(struct hg_config, retention) },
	{ "platform", hg_platform_keys, offsetof(struct hg_config, platform) },
	{ "settle", hg_settle_keys, offsetof(struct hg_config, settle) },
	{ "web", hg_web_keys, offsetof(struct hg_config, web) },
	{ "alert", hg_alert_keys, offsetof(struct hg_config, alert) },
	{ NULL, NULL, 0 },
};

static const char *const adapter_common[] = { "type", "enabled", NULL };

/* Relative paths in a file are relative to that file's directory, so a
 * config tree can be moved (tests, the demo) without editing it. */
static void
resolve_path(char **slot, const char *file)
{
	char *copy, *dir;

	if (*slot == NULL || (*slot)[0] == '/' || (*slot)[0] == '\0')
		return;
	copy = hg_xstrdup(file);
	dir = dirname(copy);
	if (strcmp(dir, ".") != 0) {
		char *p = hg_xasprintf("%s/%s", dir, *slot);
		free(*slot);
		*slot = p;
	}
	free(copy);
}

/* libconfig says "syntax error" at the line where its parser gave up;
 * say what was expected and where the problem started instead. */
static void
syntax_error(const config_t *cfg, const char *path, struct hg_conf_errs *errs)
{
	const char *file = config_error_file(cfg) ? config_error_file(cfg) :
	    path, *text = config_error_text(cfg);
	char msg[512];
	int line;

	if (hg_conf_scan(file, &line, msg, sizeof msg) == 0)
		hg_conf_errs_add(errs, file, line, "syntax error: %s", msg);
	else if (text != NULL && strcmp(text, "syntax error") != 0)
		hg_conf_errs_add(errs, file, config_error_line(cfg),
		    "syntax error: %s", text);
	else
		hg_conf_errs_add(errs, file, config_error_line(cfg),
		    "syntax error here or just before (look for a missing ';', "
		    "'\"' or '}' on the lines above)");
}

static int
read_file(config_t *cfg, const char *path, struct hg_conf_errs *errs)
{
	config_init(cfg);
	if (config_read_file(cfg, path) == CONFIG_TRUE)
		return 0;
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
		hg_conf_errs_add(errs, path, 0, "cannot read: %s",
		    strerror(errno ? errno : ENOENT));
	else
		syntax_error(cfg, path, errs);
	config_destroy(cfg);
	return -1;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static void
record(struct hg_config *c, const char *file, const char *prefix,
    const char *key, int line)
{
	struct hg_conf_line *l;

	c->lines = hg_xrealloc(c->lines, c->nlines + 1, sizeof *c->lines);
	l = &c->lines[c->nlines++];
	l->key = key != NULL ? hg_xasprintf("%s.%s", prefix, key) :
	    hg_xstrdup(prefix);
	l->file = hg_xstrdup(file);
	l->line = line > 0 ? line : 1;
}

/* The lines of a group's members, for messages that come later. */
static void
record_group(struct hg_config *c, const char *file, const char *prefix,
    config_setting_t *g, int line)
{
	config_setting_t *m;
	int i, n = config_setting_length(g);

	record(c, file, prefix, NULL, line);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g, (unsigned)i);
		if (config_setting_name(m) != NULL)
			record(c, file, prefix, config_setting_name(m),
			    config_setting_source_line(m));
	}
}

static const struct hg_conf_line *
find_line(const struct hg_config *c, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < c->nlines; i++)
		if (strlen(c->lines[i].key) == klen &&
		    strncmp(c->lines[i].key, key, klen) == 0)
			return &c->lines[i];
	return NULL;
}

int
hg_config_where(const struct hg_config *c, const char *key,
    const char **file)
{
	const struct hg_conf_line *l;
	const char *dot = strchr(key, '.');

	if ((l = find_line(c, key, strlen(key))) == NULL && dot != NULL)
		l = find_line(c, key, (size_t)(dot - key));
	if (l == NULL) {
		*file = c->file;
		return 1;
	}
	*file = l->file;
	return l->line;
}

/* Checks of keys against each other ("settle.lease_ms must exceed ...")
 * report the file as a whole; give them the line of the key they name
 * first, so no message says line 0. */
static void
fix_lines(const struct hg_config *c, const char *path,
    struct hg_conf_errs *errs, size_t first)
{
	size_t i, plen = strlen(path), klen;
	const char *rest, *file;
	char *key, *msg;
	int line;

	for (i = first; i < errs->n; i++) {
		if (strncmp(errs->msg[i], path, plen) != 0 ||
		    strncmp(errs->msg[i] + plen, ": ", 2) != 0)
			continue;
		rest = errs->msg[i] + plen + 2;
		klen = strspn(rest, "abcdefghijklmnopqrstuvwxyz0123456789_.");
		if (klen == 0 || memchr(rest, '.', klen) == NULL)
			continue;
		key = hg_xstrndup(rest, klen);
		line = hg_config_where(c, key, &file);
		msg = hg_xasprintf("%s:%d: %s", file, line, rest);
		free(key);
		free(errs->msg[i]);
		errs->msg[i] = msg;
	}
}

static void
load_adapter(struct hg_config *c, const char *path, const char *name,
    struct hg_conf_errs *errs)
{
	config_t cfg;
	config_setting_t *root, *s;
	const struct hg_adapter_ops *ops;
	struct hg_adapter *a;
	const char *type;
	int enabled = 1, line;

	if (!valid_name(name)) {
		hg_conf_errs_add(errs, path, 0, "adapter file name \"%s\" must "
		    "use only letters, digits, '-' and '_' before .conf",
		    name);
		return;
	}
	if (read_file(&cfg, path, errs) < 0)
		return;
	root = config_root_setting(&cfg);
	record_group(c, path, name, root, 1);
	s = config_setting_get_member(root, "type");
	if (s == NULL || config_setting_type(s) != CONFIG_TYPE_STRING) {
		hg_conf_errs_add(errs, path, s ? config_setting_source_line(s) :
		    1, "missing type = \"...\"; (one of the adapter types, "
		    "e.g. \"csvdrop\")");
		goto out;
	}
	type = config_setting_get_string(s);
	line = config_setting_source_line(s);
	ops = hg_adapter_type(type);
	if (ops == NULL) {
		hg_conf_errs_add(errs, path, line, "type: unknown adapter type "
		    "\"%s\"", type);
		goto out;
	}
	s = config_setting_get_member(root, "enabled");
	if (s != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			hg_conf_errs_add(errs, path,
			    config_setting_source_line(s),
			    "enabled: expected true or false");
			goto out;
		}
		enabled = config_setting_get_bool(s);
	}
	a = hg_xcalloc(1, sizeof *a);
	a->ops = ops;
	a->name = hg_xstrdup(name);
	a->conf_file = hg_xstrdup(path);
	a->conf = hg_xcalloc(1, ops->conf_size);
	hg_conf_lines(root, &a->lines);
	hg_conf_defaults(ops->config_map, a->conf);
	if (hg_conf_apply(ops->config_map, root, adapter_common, a->conf,
	    path, errs) == 0 && ops->check != NULL)
		ops->check(a, errs, line);
	if (!enabled) {
		hg_conf_free(ops->config_map, a->conf);
		free(a->conf);
		free(a->name);
		free(a->conf_file);
		hg_kvlist_free(&a->lines);
		free(a);
		goto out;
	}
	c->adapters = hg_xrealloc(c->adapters, c->nadapters + 1,
	    sizeof *c->adapters);
	c->adapters[c->nadapters++] = a;
out:
	config_destroy(&cfg);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_adapters(struct hg_config *c, struct hg_conf_errs *errs)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, *path, *stem;
	size_t n = 0, i, len;

	d = opendir(c->agent.adapters_dir);
	if (d == NULL) {
		if (errno != ENOENT)
			hg_conf_errs_add(errs, c->file, 0, "adapters_dir %s: "
			    "%s", c->agent.adapters_dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len <= 5 || e->d_name[0] == '.' ||
		    strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		names = hg_xrealloc(names, n + 1, sizeof *names);
		names[n++] = hg_xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 0)	/* qsort of NULL is undefined, even for 0 */
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		path = hg_xasprintf("%s/%s", c->agent.adapters_dir, names[i]);
		stem = hg_xstrndup(names[i], strlen(names[i]) - 5);
		load_adapter(c, path, stem, errs);
		free(stem);
		free(path);
		free(names[i]);
	}
	free(names);
}

struct hg_config *
hg_config_load(const char *path, struct hg_conf_errs *errs)
{
	struct hg_config *c = hg_xcalloc(1, sizeof *c);
	const struct section *sec;
	config_setting_t *root, *s;
	const char *name;
	config_t cfg;
	struct stat st;
	int i, n, have_file = 1;
	size_t first;

	for (sec = sections; sec->name != NULL; sec++)
		hg_conf_defaults(sec->keys, (char *)c + sec->offset);
	if (path == NULL) {
		path = HG_DEFAULT_CONF;
		have_file = stat(path, &st) == 0;
	}
	c->file = hg_xstrdup(have_file ? path : "(built-in defaults)");
	if (!have_file)
		goto adapters;
	if (read_file(&cfg, path, errs) < 0)
		return c;
	root = config_root_setting(&cfg);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned)i);
		name = config_setting_name(s);
		for (sec = sections; sec->name != NULL; sec++)
			if (strcmp(sec->name, name) == 0)
				break;
		if (sec->name == NULL) {
			static const char *const names[] = { "agent",
			    "validate", "retention", "platform", "settle",
			    "web", "alert", NULL };
			const char *near = hg_conf_nearest(name, names, NULL);

			if (near != NULL)
				hg_conf_errs_add(errs, path,
				    config_setting_source_line(s), "unknown "
				    "section \"%s\" (did you mean \"%s\"?)",
				    name, near);
			else
				hg_conf_errs_add(errs, path,
				    config_setting_source_line(s), "unknown "
				    "section \"%s\" (expected agent, validate, "
				    "retention, platform, settle, web, alert)",
				    name);
			continue;
		}
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			hg_conf_errs_add(errs, path,
			    config_setting_source_line(s), "%s: expected a "
			    "group: %s: { ... };", name, name);
			continue;
		}
		record_group(c, path, name, s, config_setting_source_line(s));
		hg_conf_apply(sec->keys, s, NULL, (char *)c + sec->offset,
		    path, errs);
	}
	config_destroy(&cfg);
	resolve_path(&c->agent.outbox, path);
	resolve_path(&c->agent.adapters_dir, path);
	resolve_path(&c->agent.mapping_file, path);
	resolve_path(&c->agent.audit_dir, path);
	resolve_path(&c->platform.ca_file, path);
	resolve_path(&c->platform.cert_file, path);
	resolve_path(&c->platform.key_file, path);
	resolve_path(&c->platform.apikey_file, path);
	resolve_path(&c->platform.paas_token_file, path);
	resolve_path(&c->platform.sign.secret_file, path);
	resolve_path(&c->platform.sign.sm2_key_file, path);
	first = errs->n;
	/* root's commands accept secrets the service user owns */
	if (c->agent.service_user != NULL)
		hg_secret_service_user(c->agent.service_user);
	hg_platform_conf_check(&c->platform, &c->settle, path, errs);
	hg_web_conf_check(c, path, errs);
	hg_alert_conf_check(c, errs);
	if (strlen(c->agent.fixmedins_code) != 12)
		hg_conf_errs_add(errs, path, 0, "agent.fixmedins_code: \"%s\" "
		    "is not 12 characters (like \"H32010000001\")",
		    c->agent.fixmedins_code);
	if (strlen(c->agent.admdvs) != 6 ||
	    strspn(c->agent.admdvs, "0123456789") != 6)
		hg_conf_errs_add(errs, path, 0, "agent.admdvs: \"%s\" is not "
		    "a 6-digit region code (like \"320100\")",
		    c->agent.admdvs);
	fix_lines(c, path, errs, first);
adapters:
	load_adapters(c, errs);
	return c;
}

void
hg_config_free(struct hg_config *c)
{
	const struct section *sec;
	struct hg_adapter *a;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nadapters; i++) {
		a = c->adapters[i];
		hg_conf_free(a->ops->config_map, a->conf);
		free(a->conf);
		free(a->name);
		free(a->conf_file);
		hg_kvlist_free(&a->lines);
		free(a);
	}
	free(c->adapters);
	for (i = 0; i < c->nlines; i++) {
		free(c->lines[i].key);
		free(c->lines[i].file);
	}
	free(c->lines);
	for (sec = sections; sec->name != NULL; sec++)
		hg_conf_free(sec->keys, (char *)c + sec->offset);
	free(c->file);
	free(c);
}

struct hg_adapter *
hg_config_adapter(const struct hg_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nadapters; i++)
		if (strcmp(c->adapters[i]->name, name) == 0)
			return c->adapters[i];
	return NULL;
}

/* the key every adapter file has, whatever its type */
static const struct hg_conf_key enabled_key[] = {
	{ "enabled", HG_CT_BOOL, "true", 0, 0, 0,
	  "false keeps the file but runs nothing", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};

struct json_object *
hg_config_keys_json(void)
{
	const struct section *sec;
	const struct hg_adapter_ops *const *t;
	struct json_object *o = json_object_new_object(), *arr, *a, *keys;

	arr = json_object_new_array();
	for (sec = sections; sec->name != NULL; sec++)
		hg_conf_json(sec->keys, sec->name, arr);
	json_object_object_add(o, "main", arr);
	arr = json_object_new_array();
	for (t = hg_adapter_types; *t != NULL; t++) {
		a = json_object_new_object();
		json_object_object_add(a, "type",
		    json_object_new_string((*t)->name));
		json_object_object_add(a, "description",
		    json_object_new_string((*t)->description));
		keys = json_object_new_array();
		hg_conf_json(enabled_key, (*t)->name, keys);
		hg_conf_json((*t)->config_map, (*t)->name, keys);
		json_object_object_add(a, "keys", keys);
		json_object_array_add(arr, a);
	}
	json_object_object_add(o, "adapters", arr);
	return o;
}

void
hg_config_print_keys(FILE *fp)
{
	const struct section *sec;
	const struct hg_adapter_ops *const *t;
	char prefix[64];

	fprintf(fp, "# hisgate.conf\n");
	for (sec = sections; sec->name != NULL; sec++)
		hg_conf_print(sec->keys, sec->name, fp);
	for (t = hg_adapter_types; *t != NULL; t++) {
		fprintf(fp, "\n# adapters.d/NAME.conf with type = \"%s\": %s\n",
		    (*t)->name, (*t)->description);
		snprintf(prefix, sizeof prefix, "%s", (*t)->name);
		hg_conf_print(enabled_key, prefix, fp);
		hg_conf_print((*t)->config_map, prefix, fp);
	}
}
