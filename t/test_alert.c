/* The alert hook's memory (lib/alert.c): a condition is alerted once,
 * again only after the repeat interval, forgotten when it no longer
 * holds (and then alerted afresh when it comes back), and a forgotten
 * condition says whether it had been alerted (for recovery).  Values for
 * the hook's environment carry no line ends and no ID numbers. */
#include "config.h"

#include <string.h>

#include "lib/alert.h"
#include "t/check_main.h"

#define REPEAT	60000

START_TEST(test_once_then_repeat)
{
	struct hg_alert_memo m = { NULL, 0 };

	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 1000, REPEAT), 1);
	hg_alert_sweep(&m, NULL, NULL);
	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 2000, REPEAT), 0);
	hg_alert_sweep(&m, NULL, NULL);
	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 1000 + REPEAT - 1,
	    REPEAT), 0);
	hg_alert_sweep(&m, NULL, NULL);
	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 1000 + REPEAT,
	    REPEAT), 1);
	/* counted from the repeat, not the first alert */
	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 1000 + REPEAT + 10,
	    REPEAT), 0);
	ck_assert_uint_eq(m.n, 1);
	hg_alert_memo_free(&m);
}
END_TEST

START_TEST(test_keys_apart)
{
	struct hg_alert_memo m = { NULL, 0 };

	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 1000, REPEAT), 1);
	ck_assert_int_eq(hg_alert_note(&m, "rejected:8", 1000, REPEAT), 1);
	ck_assert_int_eq(hg_alert_note(&m, "indoubt:7", 1000, REPEAT), 1);
	ck_assert_int_eq(hg_alert_note(&m, "rejected:7", 1500, REPEAT), 0);
	ck_assert_uint_eq(m.n, 3);
	hg_alert_memo_free(&m);
}
END_TEST

struct gone_log {
	char	 keys[256];
	int	 alerted;
};

static void
gone(const char *key, int alerted, void *arg)
{
	struct gone_log *g = arg;

	strcat(g->keys, key);
	strcat(g->keys, " ");
	g->alerted += alerted;
}

START_TEST(test_sweep_forgets)
{
	struct hg_alert_memo m = { NULL, 0 };
	struct gone_log g = { "", 0 };

	ck_assert_int_eq(hg_alert_note(&m, "unreachable", 1000, REPEAT), 1);
	ck_assert_int_eq(hg_alert_note(&m, "surge:0312|110105", 1000,
	    REPEAT), 1);
	hg_alert_sweep(&m, gone, &g);
	ck_assert_str_eq(g.keys, "");
	/* the platform answers again: only the surge still holds */
	ck_assert_int_eq(hg_alert_note(&m, "surge:0312|110105", 2000,
	    REPEAT), 0);
	hg_alert_sweep(&m, gone, &g);
	ck_assert_str_eq(g.keys, "unreachable ");
	ck_assert_int_eq(g.alerted, 1);
	ck_assert_uint_eq(m.n, 1);
	/* down again: a new condition, alerted at once */
	ck_assert_int_eq(hg_alert_note(&m, "unreachable", 3000, REPEAT), 1);
	hg_alert_memo_free(&m);
}
END_TEST

START_TEST(test_epoch)
{
	struct hg_alert_memo m = { NULL, 0 };

	/* 0 is "never": an alert at time 0 must still count */
	ck_assert_int_eq(hg_alert_note(&m, "k", 0, REPEAT), 1);
	ck_assert_int_eq(hg_alert_note(&m, "k", 10, REPEAT), 0);
	hg_alert_memo_free(&m);
}
END_TEST

START_TEST(test_value)
{
	char buf[64];

	ck_assert_str_eq(hg_alert_value("a\nb\tc\r", buf, sizeof buf),
	    "a b c ");
	ck_assert_str_eq(hg_alert_value("证件号码[11010519491231002X]", buf,
	    sizeof buf), "证件号码[110105********002X]");
	ck_assert_str_eq(hg_alert_value(NULL, buf, sizeof buf), "");
	/* cut at a character boundary: 呼 is 3 bytes */
	ck_assert_str_eq(hg_alert_value("0312 呼吸内科", buf, 8), "0312 ");
	ck_assert_str_eq(hg_alert_value("0312 呼吸内科", buf, 9), "0312 呼");
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = hg_tcase(s, "memo", 10);

	tcase_add_test(tc, test_once_then_repeat);
	tcase_add_test(tc, test_keys_apart);
	tcase_add_test(tc, test_sweep_forgets);
	tcase_add_test(tc, test_epoch);
	tcase_add_test(tc, test_value);
	return s;
}
