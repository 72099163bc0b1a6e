#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "lib/conftab.h"
#include "t/check_main.h"

struct demo {
	char	*dir;
	int64_t	 stable;
	int	 recursive;
	char	*encoding;
	struct hg_kvlist columns;
	struct hg_strlist keys;
};

static const char *const encodings[] = { "auto", "GB18030", "UTF-8", NULL };

static const struct hg_conf_key table[] = {
	{ "dir", HG_CT_STR, NULL, 0, 0, offsetof(struct demo, dir),
	  "drop directory", NULL, 1 },
	{ "stable_seconds", HG_CT_INT, "5", 0, 3600,
	  offsetof(struct demo, stable), "size stable for", NULL, 0 },
	{ "recursive", HG_CT_BOOL, "false", 0, 0,
	  offsetof(struct demo, recursive), "descend", NULL, 0 },
	{ "encoding", HG_CT_ENUM, "auto", 0, 0,
	  offsetof(struct demo, encoding), "encoding", encodings, 0 },
	{ "columns", HG_CT_MAP, NULL, 0, 0, offsetof(struct demo, columns),
	  "column map", NULL, 0 },
	{ "key", HG_CT_LIST, "ipt_no,adm_time", 0, 0,
	  offsetof(struct demo, keys), "grouping key", NULL, 0 },
	{ NULL, 0, NULL, 0, 0, 0, NULL, NULL, 0 },
};

static int
load(const char *text, struct demo *d, struct hg_conf_errs *errs)
{
	config_t cfg;
	int bad;

	config_init(&cfg);
	ck_assert_msg(config_read_string(&cfg, text) == CONFIG_TRUE, "%s",
	    config_error_text(&cfg));
	memset(d, 0, sizeof *d);
	hg_conf_defaults(table, d);
	bad = hg_conf_apply(table, config_root_setting(&cfg), NULL, d,
	    "a.conf", errs);
	config_destroy(&cfg);
	return bad;
}

START_TEST(test_defaults_and_values)
{
	struct hg_conf_errs errs = { 0 };
	struct demo d;

	ck_assert_int_eq(load("dir = \"/srv\";\ncolumns = { ipt_no = "
	    "\"住院号\"; qty = 18; };\nkey = [\"ipt_no\"];\n", &d, &errs), 0);
	ck_assert_str_eq(d.dir, "/srv");
	ck_assert_int_eq(d.stable, 5);
	ck_assert_int_eq(d.recursive, 0);
	ck_assert_str_eq(d.encoding, "auto");
	ck_assert_int_eq(d.columns.n, 2);
	ck_assert_str_eq(hg_kv_get(&d.columns, "ipt_no"), "住院号");
	ck_assert_str_eq(hg_kv_get(&d.columns, "qty"), "18");
	ck_assert_int_eq(d.keys.n, 1);
	hg_conf_free(table, &d);
	hg_conf_errs_free(&errs);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "dir = \"/x\";\nbogus = 1;\n", "a.conf:2: unknown key \"bogus\" "
	  "(hisgate config-keys lists them all)" },
	{ "dir = \"/x\";\nstable_secs = 1;\n", "a.conf:2: unknown key "
	  "\"stable_secs\" (did you mean \"stable_seconds\"?)" },
	{ "dir = \"/x\";\nencodnig = 1;\n", "a.conf:2: unknown key "
	  "\"encodnig\" (did you mean \"encoding\"?)" },
	{ "dir = \"/x\";\n\nstable_seconds = 99999;\n",
	  "a.conf:3: stable_seconds: 99999 is out of range, expected 0 to 3600" },
	{ "dir = 5;\n", "a.conf:1: dir: is an integer, expected a string" },
	{ "stable_seconds = 1;\n", "missing required key \"dir\"" },
	{ "dir = \"/x\";\nencoding = \"big5\";\n",
	  "a.conf:2: encoding: \"big5\" is not one of: auto, GB18030, UTF-8" },
	{ "dir = \"/x\";\nrecursive = \"yes\";\n",
	  "a.conf:2: recursive: is a string, expected true or false" },
};

START_TEST(test_errors)
{
	struct hg_conf_errs errs = { 0 };
	struct demo d;

	ck_assert_int_eq(load(bad[_i].text, &d, &errs), 1);
	ck_assert_int_eq(errs.n, 1);
	ck_assert_msg(strstr(errs.msg[0], bad[_i].msg) != NULL,
	    "got \"%s\", want \"%s\"", errs.msg[0], bad[_i].msg);
	hg_conf_free(table, &d);
	hg_conf_errs_free(&errs);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("conftab");
	TCase *tc = hg_tcase(s, "load", 10);

	tcase_add_test(tc, test_defaults_and_values);
	tcase_add_loop_test(tc, test_errors, 0, sizeof bad / sizeof bad[0]);
	return s;
}
