#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/bill.h"
#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/xmalloc.h"
#include "t/check_main.h"

/* nhsa-interface.md §6.2, verbatim. */
static const char example_62[] =
"{\"infcode\":0,\"inf_refmsgid\":\"320100202403151030160000123456\",\n"
" \"refmsg_time\":\"20240315103016012\",\"respond_time\":\"20240315103017480\",\n"
" \"err_msg\":null,\"warn_msg\":null,\"cainfo\":null,\"signtype\":null,\n"
" \"output\":{\n"
"  \"setlinfo\":{\"setl_id\":\"320100S24031500789\",\"mdtrt_id\":\"320100Z240301000456\",\n"
"   \"psn_no\":\"41000000000000001234567890\",\"psn_cert_type\":\"01\",\"insutype\":\"390\",\"psn_type\":\"1501\",\n"
"   \"setl_time\":\"2024-03-15 10:30:17\",\"med_type\":\"21\",\"medfee_sumamt\":51423.22,\n"
"   \"fulamt_ownpay_amt\":2979.00,\"overlmt_selfpay\":0.00,\"preselfpay_amt\":1377.26,\n"
"   \"inscp_scp_amt\":47066.96,\"act_pay_dedc\":1000.00,\"hifp_pay\":34550.22,\"pool_prop_selfpay\":0.7500,\n"
"   \"cvlserv_pay\":0.00,\"hifes_pay\":0.00,\"hifmi_pay\":4125.80,\"hifob_pay\":0.00,\"maf_pay\":0.00,\n"
"   \"oth_pay\":0.00,\"fund_pay_sumamt\":38676.02,\"psn_part_amt\":12747.20,\"acct_pay\":0.00,\n"
"   \"psn_cash_pay\":12747.20,\"hosp_part_amt\":0.00,\"balc\":0.00,\"acct_mulaid_pay\":0.00,\n"
"   \"medins_setl_id\":\"H32010000001202403151030150007\",\"clr_optins\":\"410100\",\n"
"   \"clr_way\":\"1\",\"clr_type\":\"21\"},\n"
"  \"setldetail\":[\n"
"   {\"fund_pay_type\":\"390100\",\"fund_pay_type_name\":\"城乡居民基本医疗保险基金\",\n"
"    \"inscp_scp_amt\":47066.96,\"crt_payb_lmt_amt\":null,\"fund_payamt\":34550.22,\"setl_proc_info\":null},\n"
"   {\"fund_pay_type\":\"390200\",\"fund_pay_type_name\":\"城乡居民大病医疗保险基金\",\n"
"    \"inscp_scp_amt\":47066.96,\"crt_payb_lmt_amt\":null,\"fund_payamt\":4125.80,\"setl_proc_info\":null}]}}";

static const struct hg_nhsa_hdr hdr = {
	.mdtrtarea_admvs = "320100",
	.recer_sys_code = "YBXT",
	.infver = "V1.0",
	.opter_type = "1",
	.opter = "0231",
	.opter_name = "收费员甲",
	.fixmedins_code = "H32010000001",
	.fixmedins_name = "示例市第一人民医院",
	.sign_no = "7730125",
};

static struct hg_bill *
sample_bill(void)
{
	struct hg_bill *b = hg_bill_new();
	struct hg_fee *f;
	struct hg_diag *d;

	hg_set_str(&b->fixmedins_code, "H32010000001");
	hg_set_str(&b->psn_no, "41000000000000001234567890");
	hg_set_str(&b->insutype, "390");
	hg_set_str(&b->mdtrt_id, "320100Z240301000456");
	hg_set_str(&b->ipt_no, "ZY2024000123");
	hg_set_str(&b->dept_code, "0312");
	hg_set_str(&b->dept_name, "呼吸内科");
	strcpy(b->adm_time, "2024-03-01 08:30:00");
	strcpy(b->dscg_time, "2024-03-05 10:00:00");
	d = hg_bill_add_diag(b);
	hg_set_str(&d->code, "J18.900");
	hg_set_str(&d->name, "肺炎");
	d->main = 1;
	f = hg_bill_add_fee(b);
	hg_set_str(&f->sn, "1");
	hg_set_str(&f->local_code, "YP000456");
	hg_set_str(&f->nat_code, "XJ01DCA040B002010100001");
	f->qty = 40000;
	f->price = 12500000;
	f->amount = 5000;
	strcpy(f->time, "2024-03-01 09:10:00");
	f = hg_bill_add_fee(b);
	hg_set_str(&f->sn, "2");
	hg_set_str(&f->local_code, "CW0001");
	hg_set_str(&f->nat_code, "001102000010000");
	f->qty = 40000;
	f->price = 25000000;
	f->amount = 10000;
	strcpy(f->time, "2024-03-01 00:00:00");
	f = hg_bill_add_fee(b);
	hg_set_str(&f->sn, "3");
	hg_set_str(&f->init_sn, "1");
	hg_set_str(&f->local_code, "YP000456");
	hg_set_str(&f->nat_code, "XJ01DCA040B002010100001");
	f->qty = -10000;
	f->price = 12500000;
	f->amount = -1250;
	strcpy(f->time, "2024-03-02 09:10:00");
	return b;
}

/* The keys of obj, in order, joined with commas. */
static char *
keys(struct json_object *obj)
{
	char *out = hg_xstrdup(""), *n;

	json_object_object_foreach(obj, k, v) {
		(void)v;
		n = hg_xasprintf("%s%s%s", out, out[0] ? "," : "", k);
		free(out);
		out = n;
	}
	return out;
}

START_TEST(test_envelope_shape)
{
	struct json_object *env, *in;
	char *k;

	env = hg_nhsa_envelope(&hdr, "2304", "H32010000001202403151030150007",
	    "410100", 1710469815, hg_nhsa_in_2305("m", "s", "p"));
	k = keys(env);
	ck_assert_str_eq(k, "infno,msgid,mdtrtarea_admvs,insuplc_admdvs,"
	    "recer_sys_code,dev_no,dev_safe_info,cainfo,signtype,infver,"
	    "opter_type,opter,opter_name,inf_time,fixmedins_code,"
	    "fixmedins_name,sign_no,input");
	free(k);
	ck_assert_str_eq(hg_json_get_str(env, "infno"), "2304");
	ck_assert_str_eq(hg_json_get_str(env, "dev_no"), "");
	ck_assert_str_eq(hg_json_get_str(env, "insuplc_admdvs"), "410100");
	ck_assert_str_eq(hg_json_get_str(env, "sign_no"), "7730125");
	ck_assert_int_eq(strlen(hg_json_get_str(env, "inf_time")), 19);
	ck_assert(json_object_object_get_ex(env, "input", &in));
	ck_assert(json_object_object_get_ex(in, "data", NULL));
	json_object_put(env);

	/* NULL input and NULL insuplc still give the full shape */
	env = hg_nhsa_envelope(&hdr, "9001", "x", NULL, 0, NULL);
	ck_assert_str_eq(hg_json_get_str(env, "insuplc_admdvs"), "");
	ck_assert(json_object_object_get_ex(env, "input", &in));
	ck_assert(json_object_is_type(in, json_type_object));
	json_object_put(env);
}
END_TEST

START_TEST(test_input_nodes)
{
	struct hg_bill *b = sample_bill();
	struct hg_nhsa_cert cert = { "02", "11010519491231002X", NULL };
	struct hg_nhsa_setl_req sr;
	struct hg_nhsa_stmt_req st;
	struct json_object *o, *v;
	char *k;

	ck_assert_str_eq(hg_nhsa_input_node("9001"), "signIn");
	ck_assert_str_eq(hg_nhsa_input_node("2401"), "mdtrtinfo");
	ck_assert_str_eq(hg_nhsa_input_node("2402"), "dscginfo");
	ck_assert_str_eq(hg_nhsa_input_node("2301"), "feedetail");
	ck_assert_str_eq(hg_nhsa_input_node("2304"), "data");

	o = hg_nhsa_in_9001("0231", "", "127.0.0.1");
	k = keys(o);
	ck_assert_str_eq(k, "signIn");
	free(k);
	json_object_put(o);

	o = hg_nhsa_in_2401(b, &cert);
	k = keys(o);
	ck_assert_str_eq(k, "mdtrtinfo,diseinfo");
	free(k);
	json_object_object_get_ex(o, "mdtrtinfo", &v);
	ck_assert_str_eq(hg_json_get_str(v, "med_type"), "21");
	ck_assert_str_eq(hg_json_get_str(v, "begntime"),
	    "2024-03-01 08:30:00");
	ck_assert_str_eq(hg_json_get_str(v, "dscg_maindiag_code"), "J18.900");
	json_object_object_get_ex(o, "diseinfo", &v);
	ck_assert_int_eq(json_object_array_length(v), 1);
	json_object_put(o);

	o = hg_nhsa_in_2402(b, NULL);
	k = keys(o);
	ck_assert_str_eq(k, "dscginfo,diseinfo");
	free(k);
	json_object_object_get_ex(o, "dscginfo", &v);
	ck_assert_str_eq(hg_json_get_str(v, "dscg_way"), "1");
	ck_assert_str_eq(hg_json_get_str(v, "endtime"), "2024-03-05 10:00:00");
	json_object_put(o);

	o = hg_nhsa_in_2301(b, 1, 100);	/* clipped to the 2 left */
	ck_assert(json_object_object_get_ex(o, "feedetail", &v));
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_int_eq(json_object_array_length(v), 2);
	json_object_put(o);

	memset(&sr, 0, sizeof sr);
	o = hg_nhsa_in_setl(&sr);
	json_object_object_get_ex(o, "data", &v);
	ck_assert_str_eq(hg_json_get_str(v, "psn_setlway"), "01");
	ck_assert_str_eq(hg_json_get_str(v, "acct_used_flag"), "0");
	ck_assert(!json_object_object_get_ex(v, "inscp_scp_amt", NULL));
	json_object_put(o);

	memset(&st, 0, sizeof st);
	st.fixmedins_setl_cnt = 3;
	o = hg_nhsa_in_3201(&st);
	json_object_object_get_ex(o, "data", &v);
	ck_assert_str_eq(hg_json_get_str(v, "fixmedins_setl_cnt"), "3");
	json_object_put(o);

	o = hg_nhsa_in_5203("p", "S1", "m");
	json_object_object_get_ex(o, "data", &v);
	ck_assert_str_eq(hg_json_get_str(v, "setl_id"), "S1");
	json_object_put(o);
	o = hg_nhsa_in_2601("p", "o", "2304");
	json_object_object_get_ex(o, "data", &v);
	ck_assert_str_eq(hg_json_get_str(v, "oinfno"), "2304");
	json_object_put(o);
	o = hg_nhsa_in_2302("m", "p", "0000");
	json_object_object_get_ex(o, "data", &v);
	ck_assert_str_eq(hg_json_get_str(v, "feedetl_sn"), "0000");
	json_object_put(o);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_msgid_shape)
{
	struct hg_nhsa_msgid_gen g;
	char id[HG_NHSA_MSGIDBUF], want[16];
	time_t now = 1710469815;
	struct tm tm;

	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H3201", NULL, 0, NULL), -1);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H32010000001", NULL, 0,
	    NULL), 0);
	ck_assert_int_eq(hg_nhsa_msgid(&g, now, id), 0);
	ck_assert_int_eq(strlen(id), 30);
	ck_assert(strncmp(id, "H32010000001", 12) == 0);
	localtime_r(&now, &tm);
	strftime(want, sizeof want, "%Y%m%d%H%M%S", &tm);
	ck_assert(strncmp(id + 12, want, 14) == 0);
	ck_assert_int_eq(strspn(id + 26, "0123456789"), 4);
	hg_nhsa_msgid_destroy(&g);
}
END_TEST

static int
cmp_ids(const void *a, const void *b)
{
	return memcmp(a, b, HG_NHSA_MSGIDBUF);
}

static size_t
count_dups(char (*ids)[HG_NHSA_MSGIDBUF], size_t n)
{
	size_t i, d = 0;

	qsort(ids, n, HG_NHSA_MSGIDBUF, cmp_ids);
	for (i = 1; i < n; i++)
		d += strcmp(ids[i - 1], ids[i]) == 0;
	return d;
}

START_TEST(test_msgid_unique_loop)
{
	struct hg_nhsa_msgid_gen g;
	char (*ids)[HG_NHSA_MSGIDBUF];
	size_t i, n = 25000;
	time_t now = time(NULL);

	/* 10,000 in a tight loop with the real clock, then 25,000 pinned
	 * to one second: the sequence must borrow the next seconds rather
	 * than wrap */
	ids = hg_xcalloc(n, sizeof *ids);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H32010000001", NULL, 0,
	    NULL), 0);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(hg_nhsa_msgid(&g, time(NULL), ids[i]), 0);
	ck_assert_int_eq(count_dups(ids, 10000), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(hg_nhsa_msgid(&g, now, ids[i]), 0);
		ck_assert_int_eq(strlen(ids[i]), 30);
	}
	ck_assert_int_eq(count_dups(ids, n), 0);
	hg_nhsa_msgid_destroy(&g);
	free(ids);
}
END_TEST

START_TEST(test_msgid_clock_back_and_floor)
{
	struct hg_nhsa_msgid_gen g;
	char a[HG_NHSA_MSGIDBUF], b[HG_NHSA_MSGIDBUF];
	time_t now = 1710469815;

	/* a floor (the newest msgid's second in the outbox) is never reused,
	 * even when the clock says that second again */
	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H32010000001", NULL, now,
	    NULL), 0);
	hg_nhsa_msgid(&g, now, a);
	hg_nhsa_msgid(&g, now - 3600, b);	/* clock stepped back */
	ck_assert(strncmp(a + 12, b + 12, 14) == 0);
	ck_assert_str_ne(a, b);
	hg_nhsa_msgid_destroy(&g);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H32010000001", NULL, 0,
	    NULL), 0);
	hg_nhsa_msgid(&g, now, b);
	hg_nhsa_msgid_destroy(&g);
	/* a's second is now + 1: after the floor */
	ck_assert(strncmp(a + 12, b + 12, 14) > 0);
}
END_TEST

/* Root (doctor, a CLI command before the first start) creating the state
 * file gives it to the owner of its directory, the service user: the
 * daemon must be able to open it later.  Only root can chown. */
START_TEST(test_msgid_state_owner)
{
	struct hg_nhsa_msgid_gen g;
	struct stat st;
	char *dir, *path;

	if (geteuid() != 0)
		return;
	dir = hg_tmpdir();
	path = hg_xasprintf("%s/outbox.db.msgid", dir);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H32010000001", path, 0,
	    NULL), 0);
	hg_nhsa_msgid_destroy(&g);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_gid, 65534);
	/* an existing file is opened as it is */
	ck_assert_int_eq(hg_nhsa_msgid_init(&g, "H32010000001", path, 0,
	    NULL), 0);
	hg_nhsa_msgid_destroy(&g);
	free(path);
	hg_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_msgid_state_file)
{
	struct hg_nhsa_msgid_gen g1, g2, g3;
	char (*ids)[HG_NHSA_MSGIDBUF];
	char *dir = hg_tmpdir(), *path;
	size_t i, n = 6000;
	time_t now = 1710469815;

	/* two generators sharing a state file ("two processes") in the
	 * same second, then a third ("a restart"): never a duplicate */
	path = hg_xasprintf("%s/msgid.seq", dir);
	ids = hg_xcalloc(n * 2, sizeof *ids);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g1, "H32010000001", path, 0,
	    NULL), 0);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g2, "H32010000001", path, 0,
	    NULL), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(hg_nhsa_msgid(i % 2 ? &g1 : &g2, now,
		    ids[i]), 0);
	}
	hg_nhsa_msgid_destroy(&g1);
	hg_nhsa_msgid_destroy(&g2);
	ck_assert_int_eq(hg_nhsa_msgid_init(&g3, "H32010000001", path, 0,
	    NULL), 0);
	for (i = n; i < 2 * n; i++)
		ck_assert_int_eq(hg_nhsa_msgid(&g3, now, ids[i]), 0);
	hg_nhsa_msgid_destroy(&g3);
	/* in state-file mode the sequence simply counts */
	ck_assert_str_eq(ids[0] + 26, "0000");
	ck_assert_int_eq(count_dups(ids, 2 * n), 0);
	free(ids);
	free(path);
	hg_rmtree(dir);
	free(dir);
}
END_TEST

static const struct {
	const char *body;
	int64_t	 code;
	enum hg_nhsa_class cls;
} codes[] = {
	{ "{\"infcode\":0,\"output\":{}}", 0, HG_NHSA_OK },
	{ "{\"infcode\":\"0\",\"output\":{}}", 0, HG_NHSA_OK },
	{ "{\"infcode\":\"-1\",\"err_msg\":\"数据库异常\",\"output\":null}", -1,
	    HG_NHSA_SYSERR },
	{ "{\"infcode\":-1}", -1, HG_NHSA_SYSERR },
	{ "{\"infcode\":-2,\"err_msg\":\"人员编号[1]不存在\"}", -2,
	    HG_NHSA_BIZERR },
	{ "{\"infcode\":\"-2\"}", -2, HG_NHSA_BIZERR },
	{ "{\"infcode\":1}", 1, HG_NHSA_FAILED },
	{ "{\"infcode\":\"-9\"}", -9, HG_NHSA_FAILED },
	{ " {\"infcode\" : \" 0 \"} \n", 0, HG_NHSA_OK },
};

START_TEST(test_infcode)
{
	struct hg_nhsa_resp r;
	struct hg_err err;

	ck_assert_msg(hg_nhsa_resp_parse(codes[_i].body,
	    strlen(codes[_i].body), &r, &err) == 0, "%s: %s", codes[_i].body,
	    err.msg);
	ck_assert_int_eq(r.infcode, codes[_i].code);
	ck_assert_int_eq(r.cls, codes[_i].cls);
	hg_nhsa_resp_free(&r);
}
END_TEST

START_TEST(test_resp_bad)
{
	static const char *const bad[] = { "", "<html>502 Bad Gateway</html>",
	    "{\"err_msg\":\"x\"}", "{\"infcode\":\"abc\"}", "[0]",
	    "{\"infcode\":0.5}", "{\"infcode\":0" };
	struct hg_nhsa_resp r;
	struct hg_err err;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(hg_nhsa_resp_parse(bad[i], strlen(bad[i]), &r,
		    &err) == -1, "accepted: %s", bad[i]);
		ck_assert_int_eq(err.kind, HG_ETEMP);
		ck_assert(strstr(err.msg, "outcome unknown") != NULL);
	}
	/* the transport's buffer need not end in NUL */
	ck_assert_int_eq(hg_nhsa_resp_parse("{\"infcode\":0}garbage", 13, &r,
	    &err), 0);
	ck_assert_ptr_null(r.output);
	ck_assert_str_eq(r.err_msg, "");
	hg_nhsa_resp_free(&r);
}
END_TEST

/* The text json-c kept for key in obj. */
static const char *
text_of(struct json_object *obj, const char *key)
{
	return hg_json_get_str(obj, key);
}

START_TEST(test_example_62)
{
	static const char *const amounts[] = { "medfee_sumamt",
	    "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
	    "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay",
	    "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
	    "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay",
	    "psn_cash_pay", "hosp_part_amt", "balc", "acct_mulaid_pay" };
	struct hg_nhsa_resp r;
	struct hg_nhsa_setl s;
	struct hg_err err;
	struct json_object *out, *info0, *info1, *det0, *det1, *again;
	char *text;
	size_t i;

	ck_assert_int_eq(hg_nhsa_resp_parse(example_62, strlen(example_62),
	    &r, &err), 0);
	ck_assert_int_eq(r.cls, HG_NHSA_OK);
	ck_assert_str_eq(r.inf_refmsgid, "320100202403151030160000123456");
	ck_assert_int_eq(strlen(r.inf_refmsgid), HG_NHSA_REFMSGIDLEN);
	ck_assert_str_eq(r.respond_time, "20240315103017480");
	ck_assert_msg(hg_nhsa_out_setl(r.output, &s, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(s.medfee_sumamt, 5142322);
	ck_assert_int_eq(s.fulamt_ownpay_amt, 297900);
	ck_assert_int_eq(s.overlmt_selfpay, 0);
	ck_assert_int_eq(s.preselfpay_amt, 137726);
	ck_assert_int_eq(s.inscp_scp_amt, 4706696);
	ck_assert_int_eq(s.act_pay_dedc, 100000);
	ck_assert_int_eq(s.hifp_pay, 3455022);
	ck_assert_int_eq(s.pool_prop_selfpay, 7500);
	ck_assert_int_eq(s.hifmi_pay, 412580);
	ck_assert_int_eq(s.maf_pay, 0);
	ck_assert_int_eq(s.fund_pay_sumamt, 3867602);
	ck_assert_int_eq(s.psn_part_amt, 1274720);
	ck_assert_int_eq(s.psn_cash_pay, 1274720);
	ck_assert_int_eq(s.hosp_part_amt, 0);
	ck_assert_str_eq(s.setl_id, "320100S24031500789");
	ck_assert_str_eq(s.medins_setl_id, "H32010000001202403151030150007");
	ck_assert_str_eq(s.clr_optins, "410100");
	ck_assert_str_eq(s.clr_type, "21");
	ck_assert_uint_eq(s.ndetail, 2);
	ck_assert_str_eq(s.detail[1].fund_pay_type, "390200");
	ck_assert_int_eq(s.detail[1].fund_payamt, 412580);
	ck_assert_int_eq(s.detail[0].has_crt_payb_lmt_amt, 0);
	/* §2 arithmetic checks */
	ck_assert_msg(hg_nhsa_setl_check(&s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.hifp_pay + s.hifmi_pay + s.maf_pay,
	    s.fund_pay_sumamt);

	/* re-serialise: every amount comes back as the same decimal text */
	out = hg_nhsa_setl_json(&s);
	text = hg_nhsa_json_text(out);
	ck_assert_int_eq(hg_json_parse(text, &again, &err), 0);
	json_object_object_get_ex(r.output, "setlinfo", &info0);
	json_object_object_get_ex(again, "setlinfo", &info1);
	for (i = 0; i < sizeof amounts / sizeof amounts[0]; i++)
		ck_assert_msg(strcmp(text_of(info0, amounts[i]),
		    text_of(info1, amounts[i])) == 0, "%s: %s became %s",
		    amounts[i], text_of(info0, amounts[i]),
		    text_of(info1, amounts[i]));
	ck_assert(strstr(text, "\"medfee_sumamt\":51423.22") != NULL);
	ck_assert(strstr(text, "\"pool_prop_selfpay\":0.7500") != NULL);
	ck_assert(strstr(text, "\"fulamt_ownpay_amt\":2979.00") != NULL);
	ck_assert(strstr(text, "\"crt_payb_lmt_amt\":null") != NULL);
	json_object_object_get_ex(r.output, "setldetail", &det0);
	json_object_object_get_ex(again, "setldetail", &det1);
	for (i = 0; i < 2; i++) {
		ck_assert_str_eq(text_of(json_object_array_get_idx(det0, i),
		    "fund_payamt"), text_of(json_object_array_get_idx(det1, i),
		    "fund_payamt"));
		ck_assert_str_eq(text_of(json_object_array_get_idx(det0, i),
		    "inscp_scp_amt"), text_of(json_object_array_get_idx(det1,
		    i), "inscp_scp_amt"));
	}
	free(text);
	json_object_put(again);
	json_object_put(out);
	hg_nhsa_resp_free(&r);
}
END_TEST

START_TEST(test_setl_check_and_negate)
{
	struct hg_nhsa_resp r;
	struct hg_nhsa_setl s;
	struct hg_err err;

	ck_assert_int_eq(hg_nhsa_resp_parse(example_62, strlen(example_62),
	    &r, &err), 0);
	ck_assert_int_eq(hg_nhsa_out_setl(r.output, &s, &err), 0);
	hg_nhsa_resp_free(&r);
	hg_nhsa_setl_negate(&s);
	ck_assert_int_eq(s.medfee_sumamt, -5142322);
	ck_assert_int_eq(s.hifmi_pay, -412580);
	ck_assert_int_eq(s.pool_prop_selfpay, 7500);	/* a ratio stays */
	ck_assert_int_eq(s.detail[0].fund_payamt, -3455022);
	ck_assert_int_eq(hg_nhsa_setl_check(&s, &err), 0);
	s.psn_cash_pay += 1;
	ck_assert_int_eq(hg_nhsa_setl_check(&s, &err), -1);
	ck_assert(strstr(err.msg, "psn_part_amt") != NULL);
	s.psn_cash_pay -= 1;
	s.hifp_pay += 1;
	s.fund_pay_sumamt += 1;
	ck_assert_int_eq(hg_nhsa_setl_check(&s, &err), -1);
	ck_assert(strstr(err.msg, "fund_pay_sumamt") != NULL);
	s.fund_pay_sumamt -= 1;
	s.inscp_scp_amt += 1;
	ck_assert_int_eq(hg_nhsa_setl_check(&s, &err), -1);
	ck_assert(strstr(err.msg, "inscp_scp_amt") != NULL);
}
END_TEST

START_TEST(test_setl_missing)
{
	struct json_object *o;
	struct hg_nhsa_setl s;
	struct hg_err err;

	ck_assert_int_eq(hg_json_parse("{\"setlinfo\":{\"medfee_sumamt\":1.00,"
	    "\"psn_part_amt\":1.00}}", &o, &err), 0);
	ck_assert_int_eq(hg_nhsa_out_setl(o, &s, &err), -1);
	ck_assert(strstr(err.msg, "fund_pay_sumamt") != NULL);
	json_object_put(o);
	ck_assert_int_eq(hg_json_parse("{\"setlinfo\":{\"medfee_sumamt\":"
	    "\"1.005\",\"fund_pay_sumamt\":0,\"psn_part_amt\":1}}", &o, &err),
	    0);
	ck_assert_int_eq(hg_nhsa_out_setl(o, &s, &err), -1);
	ck_assert(strstr(err.msg, "medfee_sumamt") != NULL);
	json_object_put(o);
	ck_assert_int_eq(hg_nhsa_out_setl(NULL, &s, &err), -1);
}
END_TEST

START_TEST(test_fee_roundtrip)
{
	struct hg_bill *b = sample_bill();
	struct json_object *in, *arr;
	struct hg_nhsa_fee_in f;
	struct hg_err err;
	size_t i;

	in = hg_nhsa_in_2301(b, 0, b->nfees);
	json_object_object_get_ex(in, "feedetail", &arr);
	for (i = 0; i < b->nfees; i++) {
		ck_assert_msg(hg_nhsa_fee_in_parse(json_object_array_get_idx(arr,
		    i), &f, &err) == 0, "%s", err.msg);
		ck_assert_str_eq(f.feedetl_sn, b->fees[i].sn);
		ck_assert_str_eq(f.med_list_codg, b->fees[i].nat_code);
		ck_assert_str_eq(f.mdtrt_id, "320100Z240301000456");
		ck_assert_str_eq(f.med_type, "21");
		ck_assert_str_eq(f.bilg_dept_codg, "0312");
		ck_assert_int_eq(f.cnt, b->fees[i].qty);
		ck_assert_int_eq(f.pric, b->fees[i].price);
		ck_assert_int_eq(f.det_item_fee_sumamt, b->fees[i].amount);
	}
	ck_assert_str_eq(f.init_feedetl_sn, "1");
	ck_assert_str_eq(hg_json_get_str(json_object_array_get_idx(arr, 2),
	    "cnt"), "-1.0000");
	ck_assert_str_eq(hg_json_get_str(json_object_array_get_idx(arr, 0),
	    "pric"), "12.500000");
	/* the receiver names a missing field as the platform would */
	json_object_object_del(json_object_array_get_idx(arr, 0),
	    "med_list_codg");
	ck_assert_int_eq(hg_nhsa_fee_in_parse(json_object_array_get_idx(arr,
	    0), &f, &err), -1);
	ck_assert_str_eq(err.msg, "医疗目录编码[med_list_codg]不能为空");
	json_object_object_add(json_object_array_get_idx(arr, 1), "cnt",
	    json_object_new_string("1.10105E+17"));
	ck_assert_int_eq(hg_nhsa_fee_in_parse(json_object_array_get_idx(arr,
	    1), &f, &err), -1);
	ck_assert(strstr(err.msg, "数量[cnt]格式错误") != NULL);
	json_object_put(in);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_fee_result_roundtrip)
{
	struct hg_nhsa_fee_result row, *rows;
	struct json_object *out, *arr;
	struct hg_err err;
	size_t n;

	memset(&row, 0, sizeof row);
	strcpy(row.feedetl_sn, "FD1");
	row.det_item_fee_sumamt = 5000;
	row.cnt = 40000;
	row.pric = 12500000;
	row.pric_uplmt_amt = -1;
	row.selfpay_prop = 1000;
	row.preselfpay_amt = 500;
	row.inscp_scp_amt = 4500;
	strcpy(row.chrgitm_lv, "02");
	arr = json_object_new_array();
	json_object_array_add(arr, hg_nhsa_fee_result_json(&row));
	row.pric_uplmt_amt = 20000000;
	json_object_array_add(arr, hg_nhsa_fee_result_json(&row));
	out = json_object_new_object();
	json_object_object_add(out, "result", arr);
	ck_assert_str_eq(hg_json_get_str(json_object_array_get_idx(arr, 0),
	    "pric_uplmt_amt"), "999999.000000");
	ck_assert_int_eq(hg_nhsa_out_2301(out, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[0].pric_uplmt_amt, -1);
	ck_assert_int_eq(rows[1].pric_uplmt_amt, 20000000);
	ck_assert_int_eq(rows[0].preselfpay_amt, 500);
	ck_assert_int_eq(rows[0].selfpay_prop, 1000);
	ck_assert_str_eq(rows[1].chrgitm_lv, "02");
	free(rows);
	json_object_put(out);
}
END_TEST

START_TEST(test_requests_roundtrip)
{
	struct hg_nhsa_setl_req a, b;
	struct hg_nhsa_stmt_req s, t;
	struct json_object *o, *d;
	struct hg_err err;

	memset(&a, 0, sizeof a);
	strcpy(a.psn_no, "41000000000000001234567890");
	strcpy(a.mdtrt_cert_type, "01");
	strcpy(a.mdtrt_id, "320100Z240301000456");
	strcpy(a.insutype, "390");
	a.medfee_sumamt = 5142322;
	a.has_split = 1;
	a.fulamt_ownpay_amt = 297900;
	a.preselfpay_amt = 137726;
	a.inscp_scp_amt = 4706696;
	o = hg_nhsa_in_setl(&a);
	json_object_object_get_ex(o, "data", &d);
	ck_assert_msg(hg_nhsa_setl_req_parse(d, &b, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(b.medfee_sumamt, 5142322);
	ck_assert_int_eq(b.has_split, 1);
	ck_assert_int_eq(b.inscp_scp_amt, 4706696);
	ck_assert_str_eq(b.mid_setl_flag, "0");
	json_object_object_del(d, "mdtrt_id");
	ck_assert_int_eq(hg_nhsa_setl_req_parse(d, &b, &err), -1);
	ck_assert_str_eq(err.msg, "就诊ID[mdtrt_id]不能为空");
	json_object_put(o);

	memset(&s, 0, sizeof s);
	strcpy(s.insutype, "390");
	strcpy(s.clr_type, "21");
	strcpy(s.setl_optins, "410100");
	strcpy(s.stmt_begndate, "2024-03-15");
	strcpy(s.stmt_enddate, "2024-03-15");
	s.medfee_sumamt = 5142322;
	s.fund_pay_sumamt = 3867602;
	s.fixmedins_setl_cnt = 1;
	o = hg_nhsa_in_3201(&s);
	json_object_object_get_ex(o, "data", &d);
	ck_assert_msg(hg_nhsa_stmt_req_parse(d, &t, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(t.fund_pay_sumamt, 3867602);
	ck_assert_int_eq(t.fixmedins_setl_cnt, 1);
	ck_assert_str_eq(t.stmt_enddate, "2024-03-15");
	json_object_put(o);
}
END_TEST

START_TEST(test_outputs)
{
	static const char p1101[] = "{\"baseinfo\":{\"psn_no\":\"P1\","
	    "\"psn_name\":\"王芳\",\"certno\":\"11010519491231002X\"},"
	    "\"insuinfo\":[{\"insutype\":\"310\",\"psn_insu_stas\":\"0\","
	    "\"insuplc_admdvs\":\"410100\",\"balc\":12.5},{\"insutype\":\"390\","
	    "\"psn_insu_stas\":\"1\",\"insuplc_admdvs\":\"410100\","
	    "\"balc\":\"0\",\"psn_type\":\"1501\"}]}";
	struct json_object *o;
	struct hg_nhsa_person p;
	struct hg_nhsa_stmt_result sr;
	const struct hg_nhsa_insuinfo *in;
	struct hg_err err;
	char sign[HG_NHSA_IDBUF], when[HG_NHSA_TIMEBUF], mdtrt[HG_NHSA_IDBUF];

	ck_assert_int_eq(hg_json_parse(p1101, &o, &err), 0);
	ck_assert_msg(hg_nhsa_out_1101(o, &p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p.ninsu, 2);
	ck_assert_int_eq(p.insu[0].balc, 1250);
	ck_assert_ptr_null(hg_nhsa_person_insu(&p, "310"));	/* paused */
	in = hg_nhsa_person_insu(&p, "390");
	ck_assert_ptr_nonnull(in);
	ck_assert_str_eq(in->insuplc_admdvs, "410100");
	json_object_put(o);

	ck_assert_int_eq(hg_json_parse("{\"signinoutb\":{\"sign_no\":"
	    "\"7730125\",\"sign_time\":\"2024-03-15 08:00:00\"}}", &o, &err),
	    0);
	ck_assert_int_eq(hg_nhsa_out_9001(o, sign, when, &err), 0);
	ck_assert_str_eq(sign, "7730125");
	ck_assert_str_eq(when, "2024-03-15 08:00:00");
	json_object_put(o);

	ck_assert_int_eq(hg_json_parse("{\"result\":{\"mdtrt_id\":"
	    "\"320100Z240301000456\"}}", &o, &err), 0);
	ck_assert_int_eq(hg_nhsa_out_2401(o, mdtrt, &err), 0);
	ck_assert_str_eq(mdtrt, "320100Z240301000456");
	ck_assert_int_eq(hg_nhsa_out_9001(o, sign, NULL, &err), -1);
	json_object_put(o);

	ck_assert_int_eq(hg_json_parse("{\"stmtinfo\":{\"setl_optins\":"
	    "\"410100\",\"stmt_rslt\":\"1\",\"stmt_rslt_dscr\":\"不平\"}}", &o,
	    &err), 0);
	ck_assert_int_eq(hg_nhsa_out_3201(o, &sr, &err), 0);
	ck_assert_str_eq(sr.stmt_rslt, "1");
	ck_assert_str_eq(sr.stmt_rslt_dscr, "不平");
	json_object_put(o);
}
END_TEST

START_TEST(test_response_builder)
{
	struct json_object *o;
	struct hg_nhsa_resp r;
	struct hg_err err;
	char *text;

	o = hg_nhsa_response(-2, "", "20240315103016012", "20240315103016019",
	    "人员编号[1]不存在", NULL);
	text = hg_nhsa_json_text(o);
	ck_assert(strstr(text, "\"output\":null") != NULL);
	ck_assert_int_eq(hg_nhsa_resp_parse(text, strlen(text), &r, &err), 0);
	ck_assert_int_eq(r.cls, HG_NHSA_BIZERR);
	ck_assert_str_eq(r.err_msg, "人员编号[1]不存在");
	hg_nhsa_resp_free(&r);
	free(text);
	json_object_put(o);
}
END_TEST

START_TEST(test_is_query)
{
	static const char *const q[] = { "1101", "2303", "5201", "5203",
	    "3201", "3202", "9001" };
	static const char *const c[] = { "2401", "2404", "2405", "2301",
	    "2302", "2402", "2304", "2305", "2601", "9101" };
	size_t i;

	for (i = 0; i < sizeof q / sizeof q[0]; i++)
		ck_assert_msg(hg_nhsa_is_query(q[i]), "%s only asks", q[i]);
	/* these change the platform: their "sent" record must reach the
	 * disk before they leave */
	for (i = 0; i < sizeof c / sizeof c[0]; i++)
		ck_assert_msg(!hg_nhsa_is_query(c[i]), "%s changes the "
		    "platform", c[i]);
}
END_TEST

START_TEST(test_visits)
{
	struct hg_nhsa_visit v, *rows;
	struct hg_nhsa_visit_req req;
	struct json_object *o, *d, *out, *arr;
	char m[HG_NHSA_IDBUF], p[HG_NHSA_IDBUF], om[HG_NHSA_IDBUF];
	char oi[HG_NHSA_CODEBUF];
	struct hg_err err;
	size_t n;

	/* 5201 request: optional times left out when not given */
	o = hg_nhsa_in_5201("P1", "2024-03-01 08:00:00", NULL);
	ck_assert_str_eq(hg_nhsa_input_node("5201"), "data");
	json_object_object_get_ex(o, "data", &d);
	ck_assert_str_eq(hg_json_get_str(d, "psn_no"), "P1");
	ck_assert(!json_object_object_get_ex(d, "endtime", NULL));
	ck_assert_int_eq(hg_nhsa_visit_req_parse(d, &req, &err), 0);
	ck_assert_str_eq(req.begntime, "2024-03-01 08:00:00");
	ck_assert_str_eq(req.endtime, "");
	json_object_put(o);
	o = hg_nhsa_in_5201("", NULL, NULL);
	json_object_object_get_ex(o, "data", &d);
	ck_assert_int_eq(hg_nhsa_visit_req_parse(d, &req, &err), -1);
	ck_assert_str_eq(err.msg, "人员编号[psn_no]不能为空");
	json_object_put(o);

	/* 5201 answer: built by the receiver, read back by the agent */
	memset(&v, 0, sizeof v);
	snprintf(v.mdtrt_id, sizeof v.mdtrt_id, "M1");
	snprintf(v.psn_no, sizeof v.psn_no, "P1");
	snprintf(v.ipt_otp_no, sizeof v.ipt_otp_no, "ZY001");
	snprintf(v.inhosp_stas, sizeof v.inhosp_stas, "1");
	snprintf(v.begntime, sizeof v.begntime, "2024-03-01 08:00:00");
	out = json_object_new_object();
	arr = json_object_new_array();
	json_object_array_add(arr, hg_nhsa_visit_json(&v));
	snprintf(v.mdtrt_id, sizeof v.mdtrt_id, "M2");
	snprintf(v.inhosp_stas, sizeof v.inhosp_stas, "0");
	snprintf(v.endtime, sizeof v.endtime, "2024-03-05 10:00:00");
	json_object_array_add(arr, hg_nhsa_visit_json(&v));
	json_object_object_add(out, "mdtrtinfo", arr);
	ck_assert_int_eq(hg_nhsa_out_5201(out, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rows[0].mdtrt_id, "M1");
	ck_assert_str_eq(rows[0].inhosp_stas, "1");
	ck_assert_str_eq(rows[0].endtime, "");
	ck_assert_str_eq(rows[1].ipt_otp_no, "ZY001");
	ck_assert_str_eq(rows[1].endtime, "2024-03-05 10:00:00");
	ck_assert_ptr_eq(hg_nhsa_visit_find(rows, n, "M2"), &rows[1]);
	ck_assert_ptr_null(hg_nhsa_visit_find(rows, n, "M3"));
	free(rows);
	/* a row without its state names the row and the field */
	json_object_object_del(json_object_array_get_idx(arr, 1),
	    "inhosp_stas");
	ck_assert_int_eq(hg_nhsa_out_5201(out, &rows, &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "mdtrtinfo[1]"));
	ck_assert_ptr_nonnull(strstr(err.msg, "inhosp_stas"));
	ck_assert_ptr_null(rows);
	hg_nhsa_put_str(json_object_array_get_idx(arr, 1), "inhosp_stas",
	    "9");
	ck_assert_int_eq(hg_nhsa_out_5201(out, &rows, &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "neither"));
	json_object_put(out);
	/* no visit at all: no mdtrtinfo, or output null */
	out = json_object_new_object();
	ck_assert_int_eq(hg_nhsa_out_5201(out, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(rows);
	json_object_put(out);
	ck_assert_int_eq(hg_nhsa_out_5201(NULL, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(rows);
	out = json_object_new_object();
	json_object_object_add(out, "mdtrtinfo", json_object_new_string("x"));
	ck_assert_int_eq(hg_nhsa_out_5201(out, &rows, &n, &err), -1);
	json_object_put(out);

	/* 2404 / 2405 */
	o = hg_nhsa_in_2404("M1", "P1");
	json_object_object_get_ex(o, "data", &d);
	ck_assert_int_eq(hg_nhsa_visit_ref_parse(d, m, p, &err), 0);
	ck_assert_str_eq(m, "M1");
	ck_assert_str_eq(p, "P1");
	json_object_put(o);
	o = hg_nhsa_in_2405("", "P1");
	json_object_object_get_ex(o, "data", &d);
	ck_assert_int_eq(hg_nhsa_visit_ref_parse(d, m, p, &err), -1);
	ck_assert_str_eq(err.msg, "就诊ID[mdtrt_id]不能为空");
	json_object_put(o);

	/* 2601 read back */
	o = hg_nhsa_in_2601("P1", "H32010000001202403151030150007", "2304");
	json_object_object_get_ex(o, "data", &d);
	ck_assert_int_eq(hg_nhsa_revs_req_parse(d, p, om, oi, &err), 0);
	ck_assert_str_eq(om, "H32010000001202403151030150007");
	ck_assert_str_eq(oi, "2304");
	json_object_put(o);
	o = hg_nhsa_in_2601("P1", "x", "");
	json_object_object_get_ex(o, "data", &d);
	ck_assert_int_eq(hg_nhsa_revs_req_parse(d, p, om, oi, &err), -1);
	ck_assert_str_eq(err.msg, "原交易编号[oinfno]不能为空");
	json_object_put(o);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("nhsa");
	TCase *tc = hg_tcase(s, "envelope", 10);

	tcase_add_test(tc, test_envelope_shape);
	tcase_add_test(tc, test_input_nodes);
	tc = hg_tcase(s, "msgid", 30);
	tcase_add_test(tc, test_msgid_shape);
	tcase_add_test(tc, test_msgid_unique_loop);
	tcase_add_test(tc, test_msgid_clock_back_and_floor);
	tcase_add_test(tc, test_msgid_state_file);
	tcase_add_test(tc, test_msgid_state_owner);
	tc = hg_tcase(s, "response", 10);
	tcase_add_loop_test(tc, test_infcode, 0, sizeof codes /
	    sizeof codes[0]);
	tcase_add_test(tc, test_resp_bad);
	tcase_add_test(tc, test_response_builder);
	tc = hg_tcase(s, "messages", 10);
	tcase_add_test(tc, test_example_62);
	tcase_add_test(tc, test_setl_check_and_negate);
	tcase_add_test(tc, test_setl_missing);
	tcase_add_test(tc, test_fee_roundtrip);
	tcase_add_test(tc, test_fee_result_roundtrip);
	tcase_add_test(tc, test_requests_roundtrip);
	tcase_add_test(tc, test_outputs);
	tcase_add_test(tc, test_is_query);
	tcase_add_test(tc, test_visits);
	return s;
}
