/* Declarative configuration tables (Fluent Bit's config_map, tmux's
 * options-table): each key has a type, a documented default, bounds and the
 * offset of its slot in a struct.  One loader fills the struct from a
 * libconfig group and rejects unknown keys; the same table prints the
 * reference (`hisgate config-keys`) the man page is checked against. */
#ifndef HG_CONFTAB_H
#define HG_CONFTAB_H

#include <stddef.h>
#include <stdint.h>

enum hg_conf_type {
	HG_CT_STR,	/* char *, owned by the struct */
	HG_CT_INT,	/* int64_t within [min, max] */
	HG_CT_BOOL,	/* int 0/1 */
	HG_CT_ENUM,	/* char *, one of .choices */
	HG_CT_MAP,	/* struct hg_kvlist: a group of name = "value" */
	HG_CT_LIST,	/* struct hg_strlist: a list or array of strings */
};

struct hg_kv {
	char	*key;
	char	*value;
	int	 line;		/* where it was set, for messages */
};

struct hg_kvlist {
	struct hg_kv *v;
	size_t	 n;
	int	 line;
};

struct hg_strlist {
	char	**v;
	size_t	 n;
};

struct hg_conf_key {
	const char *name;
	enum hg_conf_type type;
	const char *def;	/* default as text; NULL = unset/required */
	int64_t	 min, max;	/* HG_CT_INT bounds */
	size_t	 offset;	/* offsetof(struct x, slot) */
	const char *help;	/* one line for the reference */
	const char *const *choices;	/* HG_CT_ENUM: NULL-terminated */
	int	 required;
};

/* Problems collected while loading, each "FILE:LINE: message" ("FILE:
 * message" for line 0: the file as a whole). */
struct hg_conf_errs {
	char	**msg;
	size_t	 n;
};

void	hg_conf_errs_add(struct hg_conf_errs *errs, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	hg_conf_errs_free(struct hg_conf_errs *errs);

/* Set every slot to its default. */
void	hg_conf_defaults(const struct hg_conf_key *table, void *base);
/* Free what the slots own. */
void	hg_conf_free(const struct hg_conf_key *table, void *base);

struct config_setting_t;
/* Fill base from the libconfig group.  Keys in `ignore` (NULL-terminated,
 * may be NULL) are left to the caller.  Returns the number of problems
 * added to errs (0 = fine). */
int	hg_conf_apply(const struct hg_conf_key *table,
	    const struct config_setting_t *group, const char *const *ignore,
	    void *base, const char *file, struct hg_conf_errs *errs);
/* The name nearest to `name` (edit distance at most a third of its
 * length, plus one) among cands (NULL-terminated, may be NULL) and the
 * table's keys (may be NULL), for "did you mean"; NULL when none is near. */
const char *hg_conf_nearest(const char *name, const char *const *cands,
	    const struct hg_conf_key *table);
/* Look a value up in a map; NULL when absent. */
const char *hg_kv_get(const struct hg_kvlist *map, const char *key);
void	hg_kvlist_free(struct hg_kvlist *l);	/* its keys and values too */
/* The line where key is set in map (a list of where each setting of a
 * file is), else fallback; map may be NULL. */
int	hg_kv_line(const struct hg_kvlist *map, const char *key, int fallback);
/* Every setting of the group with its line, for hg_kv_line. */
void	hg_conf_lines(const struct config_setting_t *group,
	    struct hg_kvlist *out);

/* The same as JSON objects {"key", "type", "required", "default" (or
 * null), "min" and "max" (integers), "help"} added to arr. */
struct json_object;
void	hg_conf_json(const struct hg_conf_key *table, const char *section,
	    struct json_object *arr);
/* Print the table as reference text (for man pages and --help). */
void	hg_conf_print(const struct hg_conf_key *table, const char *section,
	    void *fp);

#endif
