#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libconfig.h>

#include "lib/conftab.h"
#include "lib/xmalloc.h"

#define SLOT(base, key, type) ((type *)(void *)((char *)(base) + \
	(key)->offset))

void
hg_conf_errs_add(struct hg_conf_errs *errs, const char *file, int line,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	errs->msg = hg_xrealloc(errs->msg, errs->n + 1, sizeof *errs->msg);
	/* line 0: about the file as a whole, not one of its lines */
	errs->msg[errs->n++] = line > 0 ? hg_xasprintf("%s:%d: %s", file, line,
	    msg) : hg_xasprintf("%s: %s", file, msg);
}

void
hg_conf_errs_free(struct hg_conf_errs *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

void
hg_kvlist_free(struct hg_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void
strlist_free(struct hg_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void
free_slot(const struct hg_conf_key *k, void *base)
{
	switch (k->type) {
	case HG_CT_STR:
	case HG_CT_ENUM:
		hg_sfree(*SLOT(base, k, char *));
		break;
	case HG_CT_MAP:
		hg_kvlist_free(SLOT(base, k, struct hg_kvlist));
		break;
	case HG_CT_LIST:
		strlist_free(SLOT(base, k, struct hg_strlist));
		break;
	default:
		break;
	}
}

void
hg_conf_free(const struct hg_conf_key *table, void *base)
{
	const struct hg_conf_key *k;

	for (k = table; k->name != NULL; k++)
		free_slot(k, base);
}

static void
strlist_split(struct hg_strlist *l, const char *text)
{
	const char *p = text, *e;

	/* defaults for lists are comma-separated */
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		l->v = hg_xrealloc(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = hg_xstrndup(p, (size_t)(e - p));
		p = *e != '\0' ? e + 1 : e;
	}
}

void
hg_conf_defaults(const struct hg_conf_key *table, void *base)
{
	const struct hg_conf_key *k;

	for (k = table; k->name != NULL; k++) {
		free_slot(k, base);
		switch (k->type) {
		case HG_CT_STR:
		case HG_CT_ENUM:
			*SLOT(base, k, char *) = k->def ? hg_xstrdup(k->def) :
			    NULL;
			break;
		case HG_CT_INT:
			*SLOT(base, k, int64_t) = k->def ?
			    strtoll(k->def, NULL, 10) : 0;
			break;
		case HG_CT_BOOL:
			*SLOT(base, k, int) = k->def != NULL &&
			    strcmp(k->def, "true") == 0;
			break;
		case HG_CT_LIST:
			if (k->def != NULL)
				strlist_split(SLOT(base, k, struct hg_strlist),
				    k->def);
			break;
		case HG_CT_MAP:
			break;
		}
	}
}

static const char *
type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a decimal number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true or false";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "something else";
	}
}

static int
apply_one(const struct hg_conf_key *k, config_setting_t *s, void *base,
    const char *file, struct hg_conf_errs *errs)
{
	int line = (int)config_setting_source_line(s), t, i, n;
	const char *const *c;
	const char *str;
	long long v;

	t = config_setting_type(s);
	switch (k->type) {
	case HG_CT_STR:
	case HG_CT_ENUM:
		if (t != CONFIG_TYPE_STRING)
			goto wrongtype;
		str = config_setting_get_string(s);
		if (k->type == HG_CT_ENUM) {
			for (c = k->choices; *c != NULL; c++)
				if (strcmp(*c, str) == 0)
					break;
			if (*c == NULL) {
				char list[256] = "";
				for (c = k->choices; *c != NULL; c++) {
					strncat(list, c == k->choices ? "" :
					    ", ", sizeof list - strlen(list) - 1);
					strncat(list, *c,
					    sizeof list - strlen(list) - 1);
				}
				hg_conf_errs_add(errs, file, line, "%s: \"%s\" "
				    "is not one of: %s", k->name, str, list);
				return 1;
			}
		}
		free(*SLOT(base, k, char *));
		*SLOT(base, k, char *) = hg_xstrdup(str);
		return 0;
	case HG_CT_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			goto wrongtype;
		v = config_setting_get_int64(s);
		if (v < k->min || v > k->max) {
			hg_conf_errs_add(errs, file, line, "%s: %lld is out of "
			    "range, expected %" PRId64 " to %" PRId64, k->name,
			    v, k->min, k->max);
			return 1;
		}
		*SLOT(base, k, int64_t) = v;
		return 0;
	case HG_CT_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto wrongtype;
		*SLOT(base, k, int) = config_setting_get_bool(s);
		return 0;
	case HG_CT_LIST: {
		struct hg_strlist *l = SLOT(base, k, struct hg_strlist);

		if (t == CONFIG_TYPE_STRING) {
			strlist_free(l);
			strlist_split(l, config_setting_get_string(s));
			return 0;
		}
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			goto wrongtype;
		strlist_free(l);
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s,
			    (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING) {
				hg_conf_errs_add(errs, file, line, "%s: element "
				    "%d is %s, expected a string", k->name,
				    i + 1, type_name(config_setting_type(e)));
				return 1;
			}
			l->v = hg_xrealloc(l->v, l->n + 1, sizeof *l->v);
			l->v[l->n++] = hg_xstrdup(config_setting_get_string(e));
		}
		return 0;
	}
	case HG_CT_MAP: {
		struct hg_kvlist *m = SLOT(base, k, struct hg_kvlist);
		int bad = 0;
		char num[32];

		if (t != CONFIG_TYPE_GROUP)
			goto wrongtype;
		hg_kvlist_free(m);
		m->line = line;
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s,
			    (unsigned)i);
			int et = config_setting_type(e);

			if (et == CONFIG_TYPE_STRING)
				str = config_setting_get_string(e);
			else if (et == CONFIG_TYPE_INT ||
			    et == CONFIG_TYPE_INT64) {
				snprintf(num, sizeof num, "%lld",
				    config_setting_get_int64(e));
				str = num;
			} else {
				hg_conf_errs_add(errs, file,
				    (int)config_setting_source_line(e),
				    "%s.%s: is %s, expected a string or a "
				    "column number", k->name,
				    config_setting_name(e), type_name(et));
				bad++;
				continue;
			}
			m->v = hg_xrealloc(m->v, m->n + 1, sizeof *m->v);
			m->v[m->n].key = hg_xstrdup(config_setting_name(e));
			m->v[m->n].value = hg_xstrdup(str);
			m->v[m->n].line = (int)config_setting_source_line(e);
			m->n++;
		}
		return bad;
	}
	}
wrongtype:
	hg_conf_errs_add(errs, file, line, "%s: is %s, expected %s", k->name,
	    type_name(t), k->type == HG_CT_INT ? "an integer" :
	    k->type == HG_CT_BOOL ? "true or false" :
	    k->type == HG_CT_MAP ? "a group { name = \"value\"; ... }" :
	    k->type == HG_CT_LIST ? "a list of strings" : "a string in quotes");
	return 1;
}

/* Levenshtein distance, capped: names are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[64];

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
hg_conf_nearest(const char *name, const char *const *cands,
    const struct hg_conf_key *table)
{
	const char *best = NULL;
	size_t d, bestd, limit = strlen(name) / 3 + 1;

	bestd = limit + 1;
	for (; cands != NULL && *cands != NULL; cands++)
		if ((d = distance(name, *cands)) < bestd) {
			bestd = d;
			best = *cands;
		}
	for (; table != NULL && table->name != NULL; table++)
		if ((d = distance(name, table->name)) < bestd) {
			bestd = d;
			best = table->name;
		}
	return best;
}

int
hg_conf_apply(const struct hg_conf_key *table,
    const struct config_setting_t *cgroup, const char *const *ignore,
    void *base, const char *file, struct hg_conf_errs *errs)
{
	config_setting_t *group = (config_setting_t *)cgroup;
	const struct hg_conf_key *k;
	const char *const *ig;
	const char *name, *near;
	int i, n, bad = 0;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group,
		    (unsigned)i);

		name = config_setting_name(s);
		if (name == NULL)
			continue;
		for (k = table; k->name != NULL; k++)
			if (strcmp(k->name, name) == 0)
				break;
		if (k->name != NULL) {
			bad += apply_one(k, s, base, file, errs);
			continue;
		}
		for (ig = ignore; ig != NULL && *ig != NULL; ig++)
			if (strcmp(*ig, name) == 0)
				break;
		if (ig != NULL && *ig != NULL)
			continue;
		near = hg_conf_nearest(name, ignore, table);
		if (near != NULL)
			hg_conf_errs_add(errs, file,
			    (int)config_setting_source_line(s),
			    "unknown key \"%s\" (did you mean \"%s\"?)", name,
			    near);
		else
			hg_conf_errs_add(errs, file,
			    (int)config_setting_source_line(s),
			    "unknown key \"%s\" (hisgate config-keys lists "
			    "them all)", name);
		bad++;
	}
	for (k = table; k->name != NULL; k++) {
		if (!k->required || config_setting_get_member(group,
		    k->name) != NULL)
			continue;
		hg_conf_errs_add(errs, file,
		    (int)config_setting_source_line(group),
		    "missing required key \"%s\" (%s)", k->name, k->help);
		bad++;
	}
	return bad;
}

const char *
hg_kv_get(const struct hg_kvlist *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->n; i++)
		if (strcmp(map->v[i].key, key) == 0)
			return map->v[i].value;
	return NULL;
}

void
hg_conf_lines(const struct config_setting_t *group, struct hg_kvlist *out)
{
	config_setting_t *e;
	int i, n;

	hg_kvlist_free(out);
	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem((config_setting_t *)group,
		    (unsigned)i);
		if (config_setting_name(e) == NULL)
			continue;
		out->v = hg_xrealloc(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n].key = hg_xstrdup(config_setting_name(e));
		out->v[out->n].value = NULL;
		out->v[out->n].line = (int)config_setting_source_line(e);
		out->n++;
	}
}

int
hg_kv_line(const struct hg_kvlist *map, const char *key, int fallback)
{
	size_t i;

	if (map == NULL)
		return fallback;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->v[i].key, key) == 0 && map->v[i].line > 0)
			return map->v[i].line;
	return fallback;
}

static const char *const tn[] = { "string", "integer", "boolean",
    "choice", "group", "list" };

void
hg_conf_json(const struct hg_conf_key *table, const char *section,
    struct json_object *arr)
{
	const struct hg_conf_key *k;
	struct json_object *o;
	char name[128];

	for (k = table; k->name != NULL; k++) {
		snprintf(name, sizeof name, "%s%s%s", section ? section : "",
		    section ? "." : "", k->name);
		o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(name));
		json_object_object_add(o, "type",
		    json_object_new_string(tn[k->type]));
		json_object_object_add(o, "required",
		    json_object_new_boolean(k->required));
		json_object_object_add(o, "default", !k->required &&
		    k->def != NULL ? json_object_new_string(k->def) : NULL);
		if (k->type == HG_CT_INT) {
			json_object_object_add(o, "min",
			    json_object_new_int64(k->min));
			json_object_object_add(o, "max",
			    json_object_new_int64(k->max));
		}
		json_object_object_add(o, "help",
		    json_object_new_string(k->help));
		json_object_array_add(arr, o);
	}
}

void
hg_conf_print(const struct hg_conf_key *table, const char *section,
    void *vfp)
{
	const struct hg_conf_key *k;
	FILE *fp = vfp;

	for (k = table; k->name != NULL; k++) {
		fprintf(fp, "%s%s%s (%s", section ? section : "",
		    section ? "." : "", k->name, tn[k->type]);
		if (k->required)
			fprintf(fp, ", required");
		else if (k->def != NULL)
			fprintf(fp, ", default \"%s\"", k->def);
		if (k->type == HG_CT_INT)
			fprintf(fp, ", %" PRId64 "..%" PRId64, k->min, k->max);
		fprintf(fp, "): %s\n", k->help);
	}
}
