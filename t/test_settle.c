/* The settler's rules without a network: backoff and its jitter bounds,
 * the token bucket, secret-file modes, transport outcome classification,
 * the TIF signature and gzip, and the step decision "given the bill row
 * and its journal, what next?" as tables.  Also the journal (queue/steps)
 * on a real outbox: lease fencing, orphans, settled/amended, requeue. */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "agent/platform.h"
#include "agent/settle.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "queue/steps.h"
#include "queue/group.h"
#include "t/check_main.h"

/* --- backoff ---------------------------------------------------------- */

START_TEST(test_backoff_bounds)
{
	static const uint64_t rnds[] = { 0, 1, 999, 1000, 1001, 123456789,
	    UINT64_MAX / 3, UINT64_MAX - 1, UINT64_MAX };
	int64_t v, ceil;
	int a;
	size_t i;

	for (a = 0; a < 80; a++) {
		ceil = 1000;
		for (int k = 0; k < a && ceil < 300000; k++)
			ceil *= 2;
		if (ceil > 300000)
			ceil = 300000;
		for (i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
			v = hg_backoff_ms(1000, 300000, a, rnds[i]);
			ck_assert_msg(v >= 0 && v <= ceil, "attempts %d rnd "
			    "%llu: %lld not in [0, %lld]", a,
			    (unsigned long long)rnds[i], (long long)v,
			    (long long)ceil);
		}
	}
	/* full jitter reaches both ends */
	ck_assert_int_eq(hg_backoff_ms(1000, 300000, 0, 0), 0);
	ck_assert_int_eq(hg_backoff_ms(1000, 300000, 0, 1000), 1000);
	ck_assert_int_eq(hg_backoff_ms(1000, 300000, 3, 8000), 8000);
	ck_assert_int_eq(hg_backoff_ms(1000, 300000, 30, 300000), 300000);
	/* no overflow with huge bases and attempt counts */
	v = hg_backoff_ms(INT64_MAX / 4, INT64_MAX / 2, 1000, UINT64_MAX);
	ck_assert(v >= 0 && v <= INT64_MAX / 2);
	ck_assert_int_eq(hg_backoff_ms(0, 1000, 5, 77), 0);
}
END_TEST

START_TEST(test_backoff_spread)
{
	/* a few hundred bills after an outage do not come back together */
	int64_t v, lo = INT64_MAX, hi = 0;
	uint64_t r = 88172645463325252ULL;
	int i;

	for (i = 0; i < 500; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		v = hg_backoff_ms(1000, 300000, 6, r);
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	ck_assert_msg(lo < 6400 && hi > 57600, "spread %lld..%lld",
	    (long long)lo, (long long)hi);
}
END_TEST

/* --- token bucket ------------------------------------------------------ */

START_TEST(test_bucket)
{
	struct hg_bucket b;
	int i;

	hg_bucket_init(&b, 5, 1000);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(hg_bucket_take(&b, 1000), 0);
	/* empty: one token comes every 200 ms */
	ck_assert_int_eq(hg_bucket_take(&b, 1000), 200);
	ck_assert_int_eq(hg_bucket_take(&b, 1100), 100);
	ck_assert_int_eq(hg_bucket_take(&b, 1200), 0);
	ck_assert_int_gt(hg_bucket_take(&b, 1200), 0);
	/* a long pause refills at most one second's worth */
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(hg_bucket_take(&b, 100000), 0);
	ck_assert_int_gt(hg_bucket_take(&b, 100000), 0);
	/* time going backwards grants nothing extra */
	ck_assert_int_gt(hg_bucket_take(&b, 50000), 0);
	hg_bucket_destroy(&b);

	hg_bucket_init(&b, 0, 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(hg_bucket_take(&b, 0), 0);
	hg_bucket_destroy(&b);

	/* over any second, no more than rate + burst calls */
	hg_bucket_init(&b, 20, 0);
	{
		int64_t t;
		int n = 0;

		for (t = 0; t < 3000; t++)
			while (hg_bucket_take(&b, t) == 0)
				n++;
		ck_assert_msg(n <= 20 + 3 * 20 + 1, "%d calls in 3 s", n);
		ck_assert_msg(n >= 3 * 20, "%d calls in 3 s", n);
	}
	hg_bucket_destroy(&b);
}
END_TEST

/* --- secrets ----------------------------------------------------------- */

START_TEST(test_secret_modes)
{
	static const struct { mode_t mode; int ok; } t[] = {
		{ 0600, 1 }, { 0400, 1 }, { 0700, 1 }, { 0640, 0 },
		{ 0604, 0 }, { 0644, 0 }, { 0660, 0 }, { 0602, 0 },
		{ 0620, 0 },
	};
	struct hg_err err;
	char *dir = hg_tmpdir(), *f = hg_xasprintf("%s/secret", dir);
	size_t i;
	int fd;

	fd = open(f, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "s3cr3t\n", 7), 7);
	close(fd);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_int_eq(chmod(f, t[i].mode), 0);
		ck_assert_msg((hg_secret_file_check(f, &err) == 0) == t[i].ok,
		    "mode %04o", (unsigned)t[i].mode);
		if (!t[i].ok) {
			ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
			ck_assert_ptr_null(strstr(err.msg, "s3cr3t"));
		}
	}
	ck_assert_int_eq(hg_secret_file_check(dir, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	free(f);
	f = hg_xasprintf("%s/missing", dir);
	ck_assert_int_eq(hg_secret_file_check(f, &err), -1);
	free(f);
	hg_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_conf_check)
{
	struct hg_platform_conf pc;
	struct hg_settle_conf sc;
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_kv kv[2] = { { (char *)"t2304", (char *)"60000", 3 },
	    { (char *)"fast", (char *)"10", 4 } };

	memset(&pc, 0, sizeof pc);
	memset(&sc, 0, sizeof sc);
	hg_conf_defaults(hg_platform_keys, &pc);
	hg_conf_defaults(hg_settle_keys, &sc);
	hg_platform_conf_check(&pc, &sc, "x.conf", &errs);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_int_eq(hg_platform_timeout(&pc, "2304"), 30000);
	pc.timeouts.v = kv;
	pc.timeouts.n = 1;
	ck_assert_int_eq(hg_platform_timeout(&pc, "2304"), 60000);
	ck_assert_int_eq(hg_platform_timeout(&pc, "2301"), 30000);
	pc.timeouts.n = 2;
	sc.lease_ms = 50000;
	hg_platform_conf_check(&pc, &sc, "x.conf", &errs);
	/* the bad key, and the lease shorter than the 60 s 2304 */
	ck_assert_int_eq(errs.n, 2);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "x.conf:4: platform."
	    "timeouts.fast"));
	ck_assert_ptr_nonnull(strstr(errs.msg[1], "settle.lease_ms"));
	pc.timeouts.v = NULL;
	pc.timeouts.n = 0;
	hg_conf_errs_free(&errs);
	hg_conf_free(hg_platform_keys, &pc);
	hg_conf_free(hg_settle_keys, &sc);
}
END_TEST

/* --- transport --------------------------------------------------------- */

START_TEST(test_transport_class)
{
	static const struct {
		int	 code;
		long	 status;
		int	 sent;
		enum hg_call_outcome want;
	} t[] = {
		{ CURLE_OK, 200, 1, HG_CALL_OK },
		{ CURLE_OK, 500, 1, HG_CALL_UNKNOWN },
		{ CURLE_OK, 502, 1, HG_CALL_UNKNOWN },
		{ CURLE_OK, 503, 1, HG_CALL_UNKNOWN },
		{ CURLE_OK, 401, 1, HG_CALL_NOTSENT },
		{ CURLE_OK, 429, 1, HG_CALL_NOTSENT },
		{ CURLE_OK, 302, 1, HG_CALL_UNKNOWN },
		{ CURLE_COULDNT_CONNECT, 0, 0, HG_CALL_NOTSENT },
		{ CURLE_COULDNT_RESOLVE_HOST, 0, 0, HG_CALL_NOTSENT },
		{ CURLE_SSL_CONNECT_ERROR, 0, 0, HG_CALL_NOTSENT },
		{ CURLE_PEER_FAILED_VERIFICATION, 0, 0, HG_CALL_NOTSENT },
		{ CURLE_OPERATION_TIMEDOUT, 0, 0, HG_CALL_NOTSENT },
		{ CURLE_OPERATION_TIMEDOUT, 0, 1, HG_CALL_UNKNOWN },
		{ CURLE_GOT_NOTHING, 0, 1, HG_CALL_UNKNOWN },
		{ CURLE_RECV_ERROR, 0, 1, HG_CALL_UNKNOWN },
		{ CURLE_SEND_ERROR, 0, 1, HG_CALL_UNKNOWN },
		{ CURLE_SEND_ERROR, 0, 0, HG_CALL_NOTSENT },
		{ CURLE_PARTIAL_FILE, 200, 1, HG_CALL_UNKNOWN },
		{ CURLE_SEND_FAIL_REWIND, 0, 1, HG_CALL_UNKNOWN },
		{ CURLE_SEND_FAIL_REWIND, 0, 0, HG_CALL_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(hg_transport_class(t[i].code, t[i].status,
		    t[i].sent) == t[i].want, "row %zu: curl %d, HTTP %ld, "
		    "sent %d", i, t[i].code, t[i].status, t[i].sent);
}
END_TEST

START_TEST(test_tif_and_gzip)
{
	const char *text = "{\"infno\":\"2304\",\"input\":{\"data\":"
	    "{\"medfee_sumamt\":51423.22}}}";
	char sig[65], *gz, back[256];
	struct hg_err err;
	size_t gzlen;
	z_stream zs;

	/* sha256("1700000000" "tok" "abc" "1700000000"), lower-case hex */
	hg_tif_signature("1700000000", "tok", "abc", sig);
	ck_assert_str_eq(sig, "8b20958863686f68063a11108bbf74df"
	    "ceae3eb37ff93e687018b01cbd73b78d");

	ck_assert_int_eq(hg_gzip(text, strlen(text), &gz, &gzlen, &err), 0);
	ck_assert_int_eq((unsigned char)gz[0], 0x1f);
	ck_assert_int_eq((unsigned char)gz[1], 0x8b);
	memset(&zs, 0, sizeof zs);
	ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = (Bytef *)back;
	zs.avail_out = sizeof back;
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	inflateEnd(&zs);
	ck_assert_int_eq(sizeof back - zs.avail_out, strlen(text));
	ck_assert_int_eq(memcmp(back, text, strlen(text)), 0);
	free(gz);
}
END_TEST

/* --- what next ------------------------------------------------------- */

START_TEST(test_next_table)
{
#define V(...)	((struct hg_settle_view){ __VA_ARGS__ })
	static const struct {
		struct hg_settle_view v;
		enum hg_settle_action want;
		const char *why;
	} t[] = {
		{ V(.have_psn = 0), HG_ACT_1101, "fresh bill" },
		{ V(.have_psn = 1, .fees_missing = 3), HG_ACT_2401,
		  "person known" },
		{ V(.have_psn = 1, .open_2401 = 1, .fees_missing = 3),
		  HG_ACT_5201, "admission answer lost: ask the visits, never "
		  "a blind second 2401" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_missing = 3),
		  HG_ACT_2301, "visit open" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_missing = 1),
		  HG_ACT_2301, "one chunk left" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_dirty = 1,
		  .fees_missing = 2), HG_ACT_2302,
		  "an upload whose answer was lost: delete all first" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_dirty = 1,
		  .presettled = 1), HG_ACT_2302,
		  "dirty beats presettled" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_dirty = 1,
		  .discharged = 1), HG_ACT_2405,
		  "new items for a discharged visit: reopen it first" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_missing = 2,
		  .discharged = 1), HG_ACT_2405, "the same for missing items" },
		{ V(.have_psn = 1, .have_mdtrt = 1), HG_ACT_2402,
		  "all uploaded" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .discharged = 1),
		  HG_ACT_2303, "discharged" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .discharged = 1,
		  .presettled = 1), HG_ACT_2304, "presettled" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .open_dscg = 1),
		  HG_ACT_5201, "a discharge answer lost: ask whether it is" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .close_mdtrt = "M2",
		  .fees_missing = 3), HG_ACT_2404,
		  "a second open visit of this bill: close it first" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .ask_visits = 1,
		  .close_mdtrt = "M2"), HG_ACT_5201,
		  "a 2404 answer lost: ask again" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .open_2304 = 1,
		  .discharged = 1, .presettled = 1), HG_ACT_RESOLVE_2304,
		  "2304 answer lost: reverse it (2601), never a second 2304" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .open_2304 = 1,
		  .fees_dirty = 1, .fees_missing = 5), HG_ACT_RESOLVE_2304,
		  "in doubt beats everything" },
		{ V(.open_2304 = 1), HG_ACT_RESOLVE_2304,
		  "in doubt even when the row lost track" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .ok_2304 = 1,
		  .discharged = 1, .presettled = 1), HG_ACT_FINISH,
		  "answered ok but not recorded: record, never resend" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .open_2304 = 1,
		  .ok_2304 = 1), HG_ACT_RESOLVE_2304,
		  "one answered, another in doubt: resolve first" },
		{ V(.have_psn = 1, .refused_2401 = 1), HG_ACT_5201,
		  "2401 refused after a lost one: ask whether that one "
		  "landed, never read the text" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .discharged = 1,
		  .late_2401 = 1), HG_ACT_5201,
		  "a lost 2401 may have landed late: look before settling" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .discharged = 1,
		  .presettled = 1, .late_2401 = 1), HG_ACT_5201,
		  "... before 2304 too" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .fees_missing = 2,
		  .late_2401 = 1), HG_ACT_2301,
		  "the uploads do not wait for that look" },
		{ V(.have_psn = 1, .have_mdtrt = 1, .open_2304 = 1,
		  .stuck = 1), HG_ACT_PERSON,
		  "tries spent: a person, even in doubt" },
	};
#undef V
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(hg_settle_next(&t[i].v) == t[i].want,
		    "row %zu (%s): got %s, want %s", i, t[i].why,
		    hg_settle_action_name(hg_settle_next(&t[i].v)),
		    hg_settle_action_name(t[i].want));
}
END_TEST

/* A bill with n fee lines of 10.00 each, psn_no and mdtrt_id set. */
static struct hg_bill *
mkbill(size_t n)
{
	struct hg_bill *b = hg_bill_new();
	struct hg_fee *f;
	char sn[16];
	size_t i;

	hg_set_str(&b->psn_no, "P1");
	hg_set_str(&b->mdtrt_id, "M1");
	hg_set_str(&b->certno, "11010519491231002X");
	for (i = 0; i < n; i++) {
		f = hg_bill_add_fee(b);
		snprintf(sn, sizeof sn, "%zu", i + 1);
		hg_set_str(&f->sn, sn);
		hg_set_str(&f->local_code, "CW0001");
		hg_set_str(&f->nat_code, "001102000010000");
		f->qty = 10000;
		f->price = 10000000;
		f->amount = 1000;
		snprintf(f->time, sizeof f->time, "2024-03-01 00:00:00");
	}
	return b;
}

/* The request text of a 2301 carrying fees [first, first + n). */
static char *
upload(const struct hg_bill *b, size_t first, size_t n)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "infno", json_object_new_string("2301"));
	json_object_object_add(o, "input", hg_nhsa_in_2301(b, first, n));
	s = hg_nhsa_json_text(o);
	json_object_put(o);
	return s;
}

struct jr {
	struct hg_step	 v[32];
	size_t		 n;
	char		*keep[32];
	char		*keep_resp[32];
};

/* The answer of an upload as the platform gives it: one result row per
 * item it received (nres of them). */
static char *
upload_answer(size_t nres)
{
	struct json_object *o = json_object_new_object(), *out, *arr;
	char *s;
	size_t i;

	out = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < nres; i++)
		json_object_array_add(arr, json_object_new_object());
	json_object_object_add(out, "result", arr);
	json_object_object_add(o, "infcode", json_object_new_int(0));
	json_object_object_add(o, "output", out);
	s = hg_nhsa_json_text(o);
	json_object_put(o);
	return s;
}

static size_t
items_in(const char *request)
{
	struct json_object *o = json_tokener_parse(request);
	size_t n;

	n = json_object_array_length(json_object_object_get(
	    json_object_object_get(o, "input"), "feedetail"));
	json_object_put(o);
	return n;
}

/* A journal step; an upload answered ok gets an answer that lists what
 * it carried. */
static struct hg_step *
add(struct jr *j, const char *infno, const char *state, char *request)
{
	struct hg_step *s = &j->v[j->n];

	ck_assert_uint_lt(j->n, 32);
	memset(s, 0, sizeof *s);
	s->id = (long long)j->n + 1;
	s->infno = (char *)infno;
	s->state = (char *)state;
	s->request = request;
	s->sent_ms = 1000 * s->id;
	j->keep[j->n] = request;
	j->keep_resp[j->n] = NULL;
	if (strcmp(infno, "2301") == 0 && strcmp(state, HG_STEP_OK) == 0 &&
	    request != NULL)
		s->response = j->keep_resp[j->n] =
		    upload_answer(items_in(request));
	j->n++;
	return s;
}

/* A step with a given request and answer text (both copied). */
static struct hg_step *
add_text(struct jr *j, const char *infno, const char *state,
    const char *request, const char *response)
{
	struct hg_step *s = add(j, infno, state, request ?
	    hg_xstrdup(request) : NULL);

	if (response != NULL)
		s->response = j->keep_resp[j->n - 1] = hg_xstrdup(response);
	return s;
}

static void
jr_free(struct jr *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free(j->keep[i]);
		free(j->keep_resp[i]);
	}
}

/* The view with a claim's memo must be the view without one. */
static void
view(const struct hg_row *row, const struct hg_bill *b, const struct jr *j,
    struct hg_settle_memo *memo, struct hg_settle_view *v)
{
	struct hg_settle_view w;

	hg_settle_view(row, b, j->v, j->n, NULL, v);
	hg_settle_view(row, b, j->v, j->n, memo, &w);
	ck_assert_mem_eq(v, &w, sizeof w);
}

/* An upload seeded at send time reads as the journal's text would. */
START_TEST(test_memo_seed)
{
	struct hg_settle_memo plain = { 0 }, seeded = { 0 };
	struct hg_bill *b = mkbill(5);
	struct json_object *in, *ans;
	struct hg_step *st;
	char *up1, *up2;
	size_t n1, n2;
	struct jr j;
	int r1, r2;

	memset(&j, 0, sizeof j);
	st = add(&j, "2301", HG_STEP_OK, upload(b, 1, 3));
	st->msgid = (char *)"H1-2301-A";
	r1 = hg_settle_uploaded(b, j.v, j.n, &plain, &up1, &n1);
	in = hg_nhsa_in_2301(b, 1, 3);
	ans = json_tokener_parse(st->response);
	hg_settle_memo_seed(&seeded, "H1-2301-A", json_object_object_get(in,
	    "feedetail"), json_object_object_get(ans, "output"));
	r2 = hg_settle_uploaded(b, j.v, j.n, &seeded, &up2, &n2);
	ck_assert_int_eq(r1, 0);
	ck_assert_int_eq(r2, r1);
	ck_assert_uint_eq(n2, n1);
	ck_assert_mem_eq(up2, up1, n1);
	ck_assert(!up1[0] && up1[1] && up1[2] && up1[3] && !up1[4]);
	/* the seed answered for the step: nothing parsed again */
	ck_assert_uint_eq(seeded.nup, 1);
	ck_assert_uint_eq(plain.nup, 1);
	free(up1);
	free(up2);
	json_object_put(in);
	json_object_put(ans);
	hg_settle_memo_free(&plain);
	hg_settle_memo_free(&seeded);
	jr_free(&j);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_view_fees)
{
	struct hg_settle_memo memo = { 0 };
	struct hg_bill *b = mkbill(5), *changed;
	struct hg_row row;
	struct hg_settle_view v;
	struct jr j;

	memset(&row, 0, sizeof row);
	row.psn_no = (char *)"P1";
	row.mdtrt_id = (char *)"M1";

	memset(&j, 0, sizeof j);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.have_psn && v.have_mdtrt && !v.fees_dirty);
	ck_assert_int_eq(v.fees_missing, 5);

	/* two chunks answered: three to go, nothing dirty */
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 2));
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.fees_dirty);
	ck_assert_int_eq(v.fees_missing, 3);
	add(&j, "2301", HG_STEP_OK, upload(b, 2, 2));
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(v.fees_missing, 1);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2301);

	/* the last chunk's answer is lost: never top up, delete all */
	add(&j, "2301", HG_STEP_UNKNOWN, upload(b, 4, 1));
	view(&row, b, &j, &memo, &v);
	ck_assert(v.fees_dirty);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2302);
	/* a delete whose answer is lost is still dirty */
	add(&j, "2302", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.fees_dirty);
	/* the delete answered: everything goes up again, once */
	add(&j, "2302", HG_STEP_OK, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.fees_dirty);
	ck_assert_int_eq(v.fees_missing, 5);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 5));
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.fees_dirty && v.fees_missing == 0 && !v.discharged);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2402);
	add(&j, "2402", HG_STEP_OK, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.discharged && !v.presettled);
	add(&j, "2303", HG_STEP_OK, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.presettled);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2304);

	/* the same journal against a changed bill (an amendment taken on
	 * retry): what is up there is not this bill any more */
	changed = mkbill(5);
	changed->fees[2].amount = 1100;
	changed->fees[2].qty = 11000;
	hg_settle_view(&row, changed, j.v, j.n, NULL, &v);
	ck_assert(v.fees_dirty);
	hg_bill_free(changed);
	/* an answer that lists fewer items than the upload carried: what
	 * is up there is not known exactly */
	add(&j, "2302", HG_STEP_OK, NULL);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 3));
	free(j.keep_resp[j.n - 1]);
	j.v[j.n - 1].response = j.keep_resp[j.n - 1] = upload_answer(2);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.fees_dirty);
	hg_settle_memo_free(&memo);
	add(&j, "2302", HG_STEP_OK, NULL);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 5));
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.fees_dirty);
	/* an upload twice (an answer recorded twice by mistake) is dirty */
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 1));
	view(&row, b, &j, &memo, &v);
	ck_assert(v.fees_dirty);
	/* a memo follows the visit: items worked out for M1 are not those
	 * of M2 (a new 2401 during the claim) */
	add(&j, "2302", HG_STEP_OK, NULL);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 5));
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.fees_dirty && v.fees_missing == 0);
	hg_set_str(&b->mdtrt_id, "M2");
	view(&row, b, &j, &memo, &v);
	ck_assert(v.fees_dirty);
	hg_settle_memo_free(&memo);
	jr_free(&j);
	hg_bill_free(b);
}
END_TEST

START_TEST(test_view_2304)
{
	struct hg_settle_memo memo = { 0 };
	struct hg_bill *b = mkbill(1);
	struct hg_row row;
	struct hg_settle_view v;
	struct jr j;

	memset(&row, 0, sizeof row);
	row.psn_no = (char *)"P1";
	row.mdtrt_id = (char *)"M1";
	memset(&j, 0, sizeof j);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 1));
	add(&j, "2402", HG_STEP_OK, NULL);
	add(&j, "2303", HG_STEP_OK, NULL);
	/* crash right after journalling 2304: on claim it is "unknown" */
	add(&j, "2304", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.open_2304 && !v.ok_2304);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_RESOLVE_2304);
	/* 5203 found it: the step becomes ok; record it */
	j.v[j.n - 1].state = (char *)HG_STEP_OK;
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.open_2304 && v.ok_2304);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_FINISH);
	/* recorded: the row has the setl_id */
	row.setl_id = (char *)"S1";
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.ok_2304);
	/* cancelled (2305) and retried: the old 2304 no longer counts, and
	 * the pre-settlement is done again */
	row.setl_id = NULL;
	add(&j, "2305", HG_STEP_OK, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.ok_2304 && !v.presettled && v.discharged);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2303);
	/* reversed by 2601 (or its reversal refused): failed; settled
	 * again from the pre-settlement on, with a new msgid */
	add(&j, "2303", HG_STEP_OK, NULL);
	add(&j, "2304", HG_STEP_FAILED, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.open_2304 && !v.presettled);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2303);
	add(&j, "2303", HG_STEP_OK, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2304);
	/* new items for the discharged visit: reopen (2405), then delete,
	 * upload and discharge again */
	hg_set_str(&b->fees[0].local_code, "CW0002");
	hg_settle_memo_free(&memo);	/* a memo is for one bill as claimed */
	view(&row, b, &j, &memo, &v);
	ck_assert(v.discharged && v.fees_dirty);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2405);
	add(&j, "2405", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.open_dscg);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	j.v[j.n - 1].state = (char *)HG_STEP_OK;	/* 5201: in hospital */
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.discharged && !v.open_dscg);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2302);
	add(&j, "2302", HG_STEP_OK, NULL);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 1));
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.discharged && !v.presettled && !v.fees_dirty);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2402);
	/* the discharge's answer lost: ask, never a blind second 2402 */
	add(&j, "2402", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	j.v[j.n - 1].state = (char *)HG_STEP_OK;	/* 5201: discharged */
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2303);
	/* a lost 2401 answer with no mdtrt_id */
	row.mdtrt_id = NULL;
	add(&j, "2401", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.open_2401 && !v.have_mdtrt);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	hg_settle_memo_free(&memo);
	jr_free(&j);
	hg_bill_free(b);
}
END_TEST

/* A 5201 answer listing visits (mdtrt_id:ipt_otp_no:inhosp_stas,...). */
static char *
visits_answer(const char *spec)
{
	struct json_object *o = json_object_new_object(), *out, *arr;
	struct hg_nhsa_visit v;
	char *copy = hg_xstrdup(spec), *tok, *save = NULL, *s;

	out = json_object_new_object();
	arr = json_object_new_array();
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		memset(&v, 0, sizeof v);
		sscanf(tok, "%63[^:]:%63[^:]:%15s", v.mdtrt_id, v.ipt_otp_no,
		    v.inhosp_stas);
		snprintf(v.psn_no, sizeof v.psn_no, "P1");
		json_object_array_add(arr, hg_nhsa_visit_json(&v));
	}
	json_object_object_add(out, "mdtrtinfo", arr);
	json_object_object_add(o, "infcode", json_object_new_int(0));
	json_object_object_add(o, "output", out);
	s = hg_nhsa_json_text(o);
	json_object_put(o);
	free(copy);
	return s;
}

static char *
close_request(const char *mdtrt_id)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "input", hg_nhsa_in_2404(mdtrt_id, "P1"));
	s = hg_nhsa_json_text(o);
	json_object_put(o);
	return s;
}

/* Refund lines go after the line they refer to, whatever the bill's
 * order; everything else keeps the bill's order. */
START_TEST(test_upload_order)
{
	struct hg_bill *b = mkbill(6);
	size_t order[6], i;
	char got[32];

	/* 1: refund of 4; 2: refund of 1 (a chain); 6: refund of a line the
	 * bill does not have */
	hg_set_str(&b->fees[0].init_sn, "4");
	hg_set_str(&b->fees[1].init_sn, "1");
	hg_set_str(&b->fees[5].init_sn, "99");
	hg_settle_upload_order(b, order);
	for (i = 0; i < 6; i++)
		got[i] = (char)('1' + order[i]);
	got[6] = '\0';
	ck_assert_str_eq(got, "345612");
	/* a cycle (1 refunds 2, 2 refunds 1): all placed once, bill order */
	hg_set_str(&b->fees[1].init_sn, "1");
	hg_set_str(&b->fees[0].init_sn, "2");
	hg_set_str(&b->fees[5].init_sn, NULL);
	hg_settle_upload_order(b, order);
	for (i = 0; i < 6; i++)
		got[i] = (char)('1' + order[i]);
	got[6] = '\0';
	ck_assert_str_eq(got, "345612");
	hg_bill_free(b);
}
END_TEST

/* After a lost 2401 on a platform that admits again: the bill's visit is
 * adopted and every other open one with its ipt_no is closed (2404),
 * whatever order the platform lists them in; a lost 2404 asks again. */
START_TEST(test_view_visits)
{
	struct hg_settle_memo memo = { 0 };
	struct hg_bill *b = mkbill(1);
	struct hg_row row;
	struct hg_settle_view v;
	struct jr j;
	char *ans, *req;

	memset(&row, 0, sizeof row);
	row.psn_no = (char *)"P1";
	row.ipt_no = (char *)"ZY1";
	memset(&j, 0, sizeof j);
	add(&j, "2401", HG_STEP_UNKNOWN, NULL);
	add(&j, "2401", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	/* adopted M1 (settle_lost.c); M3 is another stay, M4 discharged */
	ans = visits_answer("M2:ZY1:1,M3:ZY9:1,M1:ZY1:1,M4:ZY1:0");
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);
	row.mdtrt_id = (char *)"M1";
	view(&row, b, &j, &memo, &v);
	ck_assert_str_eq(v.close_mdtrt, "M2");
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2404);
	/* the 2404's answer lost: ask again before anything else */
	add(&j, "2404", HG_STEP_UNKNOWN, close_request("M2"));
	view(&row, b, &j, &memo, &v);
	ck_assert(v.ask_visits);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	/* M2 still listed open: closed again */
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.ask_visits);
	ck_assert_str_eq(v.close_mdtrt, "M2");
	req = close_request("M2");
	add_text(&j, "2404", HG_STEP_OK, req, NULL);
	free(req);
	view(&row, b, &j, &memo, &v);
	ck_assert_str_eq(v.close_mdtrt, "");
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2301);
	/* a later 5201 no longer lists M2 (cancelled visits are not) */
	free(ans);
	ans = visits_answer("M1:ZY1:1");
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);
	view(&row, b, &j, &memo, &v);
	ck_assert_str_eq(v.close_mdtrt, "");
	free(ans);
	hg_settle_memo_free(&memo);
	jr_free(&j);
	hg_bill_free(b);
}
END_TEST

/* A lost 2401 that lands after the 5201 that resolved it: refused (a
 * platform that refuses a repeated admission) or admitted twice. */
START_TEST(test_view_late_admission)
{
	static const char refusal[] = "{\"infcode\":-2,\"err_msg\":\"x\"}";
	struct hg_settle_memo memo = { 0 };
	struct hg_bill *b = mkbill(1);
	struct hg_row row;
	struct hg_settle_view v;
	struct jr j;
	char *ans;

	memset(&row, 0, sizeof row);
	row.psn_no = (char *)"P1";
	row.ipt_no = (char *)"ZY1";
	memset(&j, 0, sizeof j);
	/* a 2401 that never left is not looked for */
	add(&j, "2401", HG_STEP_FAILED, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(v.lost_2401_ms, 0);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2401);
	/* one lost (2000), 5201 lists nothing (3000): resolved failed */
	add(&j, "2401", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(v.lost_2401_ms, 2000);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	ans = visits_answer("M3:ZY9:1");
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);
	free(ans);
	j.v[1].state = (char *)HG_STEP_FAILED;
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(v.lost_2401_ms, 2000);
	ck_assert(!v.refused_2401);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2401);
	/* the next one refused (4000): the lost one may have landed */
	add_text(&j, "2401", HG_STEP_FAILED, NULL, refusal);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.refused_2401);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_5201);
	/* asked (5000): whatever it says, not asked again for it */
	ans = visits_answer("M1:ZY1:1");
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);
	free(ans);
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.refused_2401);
	/* adopted M1; the late look is due until 5201 is asked at 2000 +
	 * late_ms or after */
	row.mdtrt_id = (char *)"M1";
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(v.asked_ms, 5000);
	hg_settle_late(&v, 3000);
	ck_assert(!v.late_2401);
	hg_settle_late(&v, 3001);
	ck_assert(v.late_2401);
	jr_free(&j);

	/* admitted twice: the lost one lands after the second 2401 */
	memset(&j, 0, sizeof j);
	row.mdtrt_id = NULL;
	add(&j, "2401", HG_STEP_FAILED, NULL);		/* lost, resolved */
	ans = visits_answer("");
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);
	free(ans);
	add_text(&j, "2401", HG_STEP_OK, NULL, "{\"infcode\":0}");
	row.mdtrt_id = (char *)"M2";
	view(&row, b, &j, &memo, &v);
	ck_assert_int_eq(v.lost_2401_ms, 1000);
	hg_settle_late(&v, 5000);
	ck_assert(v.late_2401);
	ck_assert_str_eq(v.close_mdtrt, "");
	ans = visits_answer("M1:ZY1:1,M2:ZY1:1");
	add_text(&j, "5201", HG_STEP_OK, NULL, ans);	/* at 4000 */
	free(ans);
	j.v[3].sent_ms = 7000;
	view(&row, b, &j, &memo, &v);
	hg_settle_late(&v, 5000);
	ck_assert(!v.late_2401);
	ck_assert_str_eq(v.close_mdtrt, "M1");
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_2404);
	hg_settle_memo_free(&memo);
	jr_free(&j);
	hg_bill_free(b);
}
END_TEST

/* Bounded tries: lost answers to the resolving calls in a row, counted
 * from when a person last sent the bill back. */
START_TEST(test_view_bounds)
{
	struct hg_settle_memo memo = { 0 };
	struct hg_bill *b = mkbill(1);
	struct hg_row row;
	struct hg_settle_view v;
	struct jr j;
	int i;

	memset(&row, 0, sizeof row);
	row.psn_no = (char *)"P1";
	row.mdtrt_id = (char *)"M1";
	memset(&j, 0, sizeof j);
	add(&j, "2301", HG_STEP_OK, upload(b, 0, 1));
	add(&j, "2402", HG_STEP_OK, NULL);
	add(&j, "2303", HG_STEP_OK, NULL);
	add(&j, "2304", HG_STEP_UNKNOWN, NULL);
	for (i = 0; i < HG_SETTLE_MAX_LOST_RUN - 1; i++) {
		add(&j, "2601", HG_STEP_UNKNOWN, NULL);
		/* one that never left counts neither way */
		add(&j, "2601", HG_STEP_FAILED, NULL);
	}
	view(&row, b, &j, &memo, &v);
	ck_assert(!v.stuck);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_RESOLVE_2304);
	add(&j, "2601", HG_STEP_UNKNOWN, NULL);
	view(&row, b, &j, &memo, &v);
	ck_assert(v.stuck);
	ck_assert_ptr_nonnull(strstr(v.stuck_why, "5 calls in a row"));
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_PERSON);
	/* a person sent it back: the count starts again */
	memo.since_ms = j.v[j.n - 1].sent_ms + 1;
	hg_settle_view(&row, b, j.v, j.n, &memo, &v);
	ck_assert(!v.stuck);
	ck_assert_int_eq(hg_settle_next(&v), HG_ACT_RESOLVE_2304);
	hg_settle_memo_free(&memo);
	jr_free(&j);
	hg_bill_free(b);
}
END_TEST

/* --- the journal on a real outbox -------------------------------------- */

static char *dir;
static struct hg_outbox *ob;

static void
ob_setup(void)
{
	struct hg_err err;
	char *path;

	dir = hg_tmpdir();
	path = hg_xasprintf("%s/outbox.db", dir);
	ck_assert_msg(hg_outbox_open(path, 0, &ob, &err) == 0, "%s", err.msg);
	free(path);
}

static void
ob_teardown(void)
{
	hg_outbox_close(ob);
	hg_rmtree(dir);
	free(dir);
}

static long long
put_bill(const char *key)
{
	struct hg_bill *b = mkbill(2);
	struct hg_put p;
	enum hg_put_outcome oc;
	struct hg_err err;
	long long id;
	char *json;

	json = hg_bill_to_json(b);
	memset(&p, 0, sizeof p);
	p.adapter = "his";
	p.source_key = key;
	p.hash = key;
	p.bill_json = json;
	p.state = HG_S_READY;
	p.patient_key = key;
	p.ipt_no = key;
	p.total = 2000;
	ck_assert_msg(hg_outbox_put(ob, &p, &oc, &id, &err) == 0, "%s",
	    err.msg);
	free(json);
	hg_bill_free(b);
	return id;
}

static char *
state(long long id)
{
	static char buf[32];
	struct hg_row r;
	struct hg_err err;

	ck_assert_int_eq(hg_outbox_get(ob, id, &r, &err), 0);
	snprintf(buf, sizeof buf, "%s", r.state);
	hg_row_free(&r);
	return buf;
}

START_TEST(test_journal_fence)
{
	struct hg_row r;
	struct hg_step *st;
	struct hg_err err;
	size_t n;
	int k;
	long long id = put_bill("A");

	ck_assert_int_eq(hg_outbox_claim(ob, "w1", 1000, 60000, &r, &err), 1);
	hg_row_free(&r);
	ck_assert_int_eq(hg_steps_sent(ob, id, "w1", 90000, 0, NULL, "1101",
	    "M000000000000000000000000000001", "{}", &err), 0);
	/* the step in progress is the journal's last call */
	ck_assert_int_eq(hg_outbox_get(ob, id, &r, &err), 0);
	ck_assert_str_eq(r.step, "1101");
	hg_row_free(&r);
	/* another worker that does not hold the lease sends nothing */
	ck_assert_int_eq(hg_steps_sent(ob, id, "w2", 90000, 0, NULL, "1101",
	    "M000000000000000000000000000002", "{}", &err), -1);
	ck_assert_int_eq(err.kind, HG_EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "lease lost"));
	/* w1 dies: its "sent" step becomes "unknown" on the next claim */
	ck_assert_int_eq(hg_outbox_claim(ob, "w2", 1000 + 95000, 60000, &r,
	    &err), 1);
	hg_row_free(&r);
	ck_assert_int_eq(hg_steps_orphans(ob, id, &k, &err), 0);
	ck_assert_int_eq(k, 1);
	/* w1 comes back to life: fenced out */
	ck_assert_int_eq(hg_steps_set_person(ob, id, "w1", "P", "410100",
	    &err), -1);
	ck_assert_int_eq(hg_steps_set_person(ob, id, "w2", "P", "410100",
	    &err), 0);
	ck_assert_int_eq(hg_steps_list(ob, id, &st, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(st[0].state, HG_STEP_UNKNOWN);
	hg_steps_free(st, n);
	/* msgids are unique */
	ck_assert_int_eq(hg_steps_sent(ob, id, "w2", 190000, 0, NULL, "1101",
	    "M000000000000000000000000000001", "{}", &err), -1);
	ck_assert_int_eq(hg_steps_doubt(ob, id, "w2", "lost", &err), 0);
	ck_assert_str_eq(state(id), HG_S_INDOUBT);
	/* retry is refused while in doubt */
	ck_assert_int_eq(hg_steps_requeue(ob, id, "x", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "in_doubt"));
	ck_assert_int_eq(hg_steps_settled(ob, id, "w2", "S1", "M1",
	    "{\"setlinfo\":{}}", "settled", &err), 0);
	ck_assert_str_eq(state(id), HG_S_SETTLED);
	ck_assert_int_eq(hg_steps_requeue(ob, id, "x", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "queue cancel"));
	ck_assert_int_eq(hg_steps_cancelled(ob, id, "2305", &err), 0);
	ck_assert_int_eq(hg_steps_requeue(ob, id, "again", &err), 0);
	ck_assert_str_eq(state(id), HG_S_READY);
}
END_TEST

START_TEST(test_journal_amended)
{
	struct hg_bill *b;
	struct hg_put p;
	struct hg_row r;
	struct hg_err err;
	enum hg_put_outcome oc;
	char *json;
	long long id = put_bill("B"), id2;

	ck_assert_int_eq(hg_outbox_claim(ob, "w1", 1000, 60000, &r, &err), 1);
	hg_row_free(&r);
	/* the source changes the bill while it is being settled */
	b = mkbill(3);
	json = hg_bill_to_json(b);
	memset(&p, 0, sizeof p);
	p.adapter = "his";
	p.source_key = "B";
	p.hash = "B2";
	p.bill_json = json;
	p.state = HG_S_READY;
	p.patient_key = "B";
	p.ipt_no = "B";
	p.total = 3000;
	ck_assert_int_eq(hg_outbox_put(ob, &p, &oc, &id2, &err), 0);
	ck_assert_int_eq(oc, HG_PUT_AMENDED);
	free(json);
	hg_bill_free(b);
	ck_assert_int_eq(hg_steps_settled(ob, id, "w1", "S1", NULL, "{}",
	    "settled", &err), 0);
	ck_assert_str_eq(state(id), HG_S_AMENDED);
	ck_assert_int_eq(hg_steps_cancelled(ob, id, "2305", &err), 0);
	/* retry takes the amendment */
	ck_assert_int_eq(hg_steps_requeue(ob, id, "retry", &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, id, &r, &err), 0);
	ck_assert_str_eq(r.state, HG_S_READY);
	ck_assert_int_eq(r.version, 2);
	ck_assert_int_eq(r.total, 3000);
	ck_assert_ptr_null(r.pending_json);
	ck_assert_ptr_null(r.setl_id);
	hg_row_free(&r);
}
END_TEST

/* A worker's connection with a group commit: "sent" is committed at
 * normal and made durable by hg_steps_durable, one sync for all the
 * records written before it. */
START_TEST(test_journal_group)
{
	struct hg_group *g = hg_group_new(NULL);
	struct hg_row r;
	struct hg_err err;
	int64_t until;
	long long a = put_bill("G1"), b = put_bill("G2");

	hg_steps_worker_mode(ob, g);
	ck_assert_int_eq(hg_outbox_claim(ob, "w1", hg_wall_ms(), 60000, &r,
	    &err), 1);
	ck_assert_int_eq(r.id, a);
	hg_row_free(&r);
	ck_assert_int_eq(hg_outbox_claim(ob, "w2", hg_wall_ms(), 60000, &r,
	    &err), 1);
	ck_assert_int_eq(r.id, b);
	hg_row_free(&r);
	ck_assert_msg(hg_steps_sent(ob, a, "w1", hg_wall_ms() + 60000, 0,
	    NULL, "2401", "M000000000000000000000000000011", "{}", &err) == 0,
	    "%s", err.msg);
	ck_assert_msg(hg_steps_sent(ob, b, "w2", hg_wall_ms() + 60000, 0,
	    NULL, "2401", "M000000000000000000000000000012", "{}", &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(hg_group_syncs(g), 0);
	/* the lease is extended only when less than keep_ms of it is left */
	ck_assert_int_eq(hg_outbox_get(ob, a, &r, &err), 0);
	until = r.lease_until_ms;
	hg_row_free(&r);
	ck_assert_int_eq(hg_steps_sent(ob, a, "w1", until + 60000, 30000,
	    NULL, "2301", "M000000000000000000000000000014", "{}", &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, a, &r, &err), 0);
	ck_assert_int_eq(r.lease_until_ms, until);
	hg_row_free(&r);
	ck_assert_int_eq(hg_steps_sent(ob, a, "w1", until + 60000, 90000,
	    NULL, "2301", "M000000000000000000000000000015", "{}", &err), 0);
	ck_assert_int_eq(hg_outbox_get(ob, a, &r, &err), 0);
	ck_assert_int_eq(r.lease_until_ms, until + 60000);
	hg_row_free(&r);
	ck_assert_msg(hg_steps_durable(ob, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(hg_group_syncs(g), 1);
	ck_assert_int_eq(hg_steps_durable(ob, &err), 0);
	ck_assert_int_eq(hg_group_syncs(g), 1);
	/* the ticket must stand for a commit: not inside a transaction */
	ck_assert_int_eq(hg_outbox_begin(ob, &err), 0);
	ck_assert_int_eq(hg_steps_sent(ob, a, "w1", hg_wall_ms() + 60000, 0,
	    NULL, "2301", "M000000000000000000000000000013", "{}", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "inside a transaction"));
	hg_outbox_rollback(ob);
	hg_steps_worker_mode(ob, NULL);
	hg_group_free(g);
}
END_TEST

START_TEST(test_reap)
{
	struct hg_row r;
	struct hg_err err;
	char owner[128];
	int n;
	long long id = put_bill("C");

	/* a lease held by a process of this host that is gone */
	snprintf(owner, sizeof owner, "h:%d:dead:settle-1", 0x7ffffff0);
	ck_assert_int_eq(hg_outbox_claim(ob, owner, hg_wall_ms(), 600000, &r,
	    &err), 1);
	hg_row_free(&r);
	ck_assert_int_eq(hg_outbox_claim(ob, "h:1:x:settle-2", hg_wall_ms(),
	    600000, &r, &err), 0);
	/* another host's leases are left alone */
	ck_assert_int_eq(hg_steps_reap(ob, "other", "n", &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(hg_steps_reap(ob, "h", "n", &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(hg_outbox_claim(ob, "h:1:x:settle-2", hg_wall_ms(),
	    600000, &r, &err), 1);
	ck_assert_int_eq(r.id, id);
	hg_row_free(&r);
	/* a live process's lease stays (pid 1 always runs) */
	ck_assert_int_eq(hg_steps_reap(ob, "h", "n", &n, &err), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

Suite *
hg_test_suite(void)
{
	Suite *s = suite_create("settle");
	TCase *tc;

	tc = hg_tcase(s, "pure", 30);
	tcase_add_test(tc, test_backoff_bounds);
	tcase_add_test(tc, test_backoff_spread);
	tcase_add_test(tc, test_bucket);
	tcase_add_test(tc, test_secret_modes);
	tcase_add_test(tc, test_conf_check);
	tcase_add_test(tc, test_transport_class);
	tcase_add_test(tc, test_tif_and_gzip);
	tc = hg_tcase(s, "next", 30);
	tcase_add_test(tc, test_next_table);
	tcase_add_test(tc, test_view_fees);
	tcase_add_test(tc, test_memo_seed);
	tcase_add_test(tc, test_view_2304);
	tcase_add_test(tc, test_view_visits);
	tcase_add_test(tc, test_view_late_admission);
	tcase_add_test(tc, test_view_bounds);
	tcase_add_test(tc, test_upload_order);
	tc = hg_tcase(s, "journal", 60);
	tcase_add_checked_fixture(tc, ob_setup, ob_teardown);
	tcase_add_test(tc, test_journal_fence);
	tcase_add_test(tc, test_journal_amended);
	tcase_add_test(tc, test_reap);
	tcase_add_test(tc, test_journal_group);
	return s;
}
