/* bench/drain-client: the simulator's own maximum rate for the agent's
 * request mix, driven by a bare libcurl loop (bench/drain's baseline).
 *
 * N threads, one kept-alive easy handle each.  Each thread signs in once
 * (9001), then takes the next bill and settles it the way the agent does:
 * 1101 -> 2401 -> 2301 in chunks -> 2402 -> 2303 -> 2304, every answer
 * checked for infcode 0.  No outbox, no journal, no retries: the first
 * failure stops the run (the benchmark runs without faults).
 *
 * Bills are synthetic, built with the lib/nhsa.h builders from a bill made
 * here: bill i belongs to person i % P of --people (name,sex,certno per
 * line, UTF-8), has --lines fee lines drawn from --items
 * (local_code,national_code[,name], the file given to t/gen-csv
 * --mapping), and its amounts are integer fen.
 *
 *   drain-client --url URL --people FILE --items FILE [--bills N]
 *       [--lines L] [--chunk C] [--threads T] [--prefix P]
 *
 * The last line on stdout is one record for a script:
 *   bills=N calls=N errors=0 secs=S calls_per_s=X bills_per_s=Y
 *   bill_p50_ms=A bill_p99_ms=B
 * Exit 0 when every bill settled, 1 otherwise (the first error on
 * stderr). */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/bill.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/nhsa.h"
#include "lib/xmalloc.h"

#define FIXMEDINS_CODE	"H32010000001"
#define FIXMEDINS_NAME	"示例市第一人民医院"
#define ADMDVS		"320100"
#define MAX_REPLY	(8 * 1024 * 1024)

struct person {
	char	 name[64];
	char	 sex[8];
	char	 certno[32];
};

struct item {
	char	 local[40];
	char	 nat[48];
	char	 name[128];
	int64_t	 price;		/* x10^6 */
};

struct run {
	const char	*url;
	const char	*prefix;
	long		 bills, lines, chunk, threads;
	struct person	*people;
	size_t		 npeople;
	struct item	*items;
	size_t		 nitems;
	struct hg_nhsa_msgid_gen msgid;
	struct hg_nhsa_hdr hdr;
	long		 next;		/* next bill to take (atomic) */
	int		 failed;	/* atomic: stop everyone */
	pthread_mutex_t	 lock;		/* first_err */
	struct hg_err	 first_err;
	int64_t		*bill_us;	/* per bill, first call to 2304 */
};

struct thr {
	struct run	*r;
	pthread_t	 thread;
	CURL		*curl;
	struct curl_slist *headers;
	char		*buf;
	size_t		 len, cap;
	char		 sign_no[HG_NHSA_IDBUF];
	long		 calls, bills;
	char		 errbuf[CURL_ERROR_SIZE];
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------------- */
/* input files */

static char *
field(char **p)
{
	char *s = *p, *e;

	if (s == NULL)
		return NULL;
	if ((e = strchr(s, ',')) != NULL) {
		*e = '\0';
		*p = e + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int
load_people(struct run *r, const char *path, struct hg_err *err)
{
	char line[512], *p, *name, *sex, *cert;
	size_t cap = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: cannot open", path);
	while (fgets(line, sizeof line, fp) != NULL) {
		chomp(line);
		p = line;
		name = field(&p);
		sex = field(&p);
		cert = field(&p);
		if (name == NULL || sex == NULL || cert == NULL || *name == '\0')
			continue;
		if (r->npeople == cap) {
			cap = cap ? cap * 2 : 64;
			r->people = hg_xrealloc(r->people, cap,
			    sizeof *r->people);
		}
		snprintf(r->people[r->npeople].name, sizeof r->people->name,
		    "%s", name);
		snprintf(r->people[r->npeople].sex, sizeof r->people->sex,
		    "%s", sex);
		snprintf(r->people[r->npeople].certno, sizeof r->people->certno,
		    "%s", cert);
		r->npeople++;
	}
	fclose(fp);
	if (r->npeople == 0)
		return hg_fail(err, "%s: no people (name,sex,certno)", path);
	return 0;
}

/* A price from the local code (FNV-1a): 0.05 to 100.00 yuan, as fixed as
 * the code itself. */
static int64_t
price_of(const char *code)
{
	uint32_t h = 2166136261u;

	for (; *code != '\0'; code++)
		h = (h ^ (unsigned char)*code) * 16777619u;
	return (int64_t)(h % 2000 + 1) * 50000;
}

static int
load_items(struct run *r, const char *path, struct hg_err *err)
{
	char line[1024], *p, *local, *nat, *name;
	size_t cap = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: cannot open", path);
	while (fgets(line, sizeof line, fp) != NULL) {
		chomp(line);
		if (line[0] == '#')
			continue;
		p = line;
		local = field(&p);
		nat = field(&p);
		name = field(&p);
		if (local == NULL || nat == NULL || *local == '\0' ||
		    *nat == '\0' || strcmp(local, "local_code") == 0)
			continue;
		if (r->nitems == cap) {
			cap = cap ? cap * 2 : 32;
			r->items = hg_xrealloc(r->items, cap, sizeof *r->items);
		}
		snprintf(r->items[r->nitems].local, sizeof r->items->local,
		    "%s", local);
		snprintf(r->items[r->nitems].nat, sizeof r->items->nat, "%s",
		    nat);
		snprintf(r->items[r->nitems].name, sizeof r->items->name, "%s",
		    name != NULL && *name != '\0' ? name : local);
		r->items[r->nitems].price = price_of(local);
		r->nitems++;
	}
	fclose(fp);
	if (r->nitems == 0)
		return hg_fail(err, "%s: no items (local_code,national_code)",
		    path);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* the synthetic bill */

static uint64_t
mix(uint64_t x)
{
	/* splitmix64: content only */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static struct hg_bill *
make_bill(const struct run *r, long i)
{
	static const int64_t qtys[] = { 10000, 10000, 10000, 20000, 30000,
	    40000, 5000, 15000, 100000 };	/* x10^4 */
	const struct person *ps = &r->people[(size_t)i % r->npeople];
	const struct item *it;
	struct hg_bill *b = hg_bill_new();
	struct hg_diag *d;
	struct hg_fee *f;
	char buf[64];
	uint64_t s = (uint64_t)i * 1000003u;
	int month = 1 + (int)(i % 12), day = 1 + (int)(i % 20);
	long k;

	hg_set_str(&b->fixmedins_code, FIXMEDINS_CODE);
	hg_set_str(&b->fixmedins_name, FIXMEDINS_NAME);
	hg_set_str(&b->admdvs, ADMDVS);
	hg_set_str(&b->psn_name, ps->name);
	hg_set_str(&b->gender, ps->sex);
	hg_set_str(&b->psn_cert_type, "01");
	hg_set_str(&b->certno, ps->certno);
	snprintf(buf, sizeof buf, "%s%08ld", r->prefix, i);
	hg_set_str(&b->ipt_no, buf);
	snprintf(b->adm_time, sizeof b->adm_time, "2024-%02d-%02d 08:00:00",
	    month, day);
	snprintf(b->dscg_time, sizeof b->dscg_time, "2024-%02d-%02d 10:00:00",
	    month, day + 5);
	hg_set_str(&b->dept_code, "0312");
	hg_set_str(&b->dept_name, "呼吸内科");
	hg_set_str(&b->med_type, "21");
	d = hg_bill_add_diag(b);
	hg_set_str(&d->code, "J18.900");
	hg_set_str(&d->name, "肺炎");
	d->main = 1;
	for (k = 0; k < r->lines; k++) {
		s = mix(s);
		it = &r->items[s % r->nitems];
		f = hg_bill_add_fee(b);
		snprintf(buf, sizeof buf, "%ld", k + 1);
		hg_set_str(&f->sn, buf);
		hg_set_str(&f->local_code, it->local);
		hg_set_str(&f->nat_code, it->nat);
		hg_set_str(&f->name, it->name);
		f->qty = qtys[(s >> 20) % (sizeof qtys / sizeof qtys[0])];
		f->price = it->price;
		/* qty x10^4 times price x10^6 is x10^10; a fen is 10^8 of
		 * that; half up (amounts are positive) */
		f->amount = (f->qty * f->price + 50000000) / 100000000;
		snprintf(f->time, sizeof f->time, "2024-%02d-%02d %02d:00:00",
		    month, day + 1 + (int)(k % 4), (int)(k % 24));
	}
	return b;
}

/* ---------------------------------------------------------------------- */
/* one call */

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct thr *t = arg;
	size_t len = size * n;

	if (t->len + len > MAX_REPLY)
		return 0;
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->buf = hg_xrealloc(t->buf, 1, t->cap);
	}
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return len;
}

static int
thr_init(struct thr *t, struct hg_err *err)
{
	if ((t->curl = curl_easy_init()) == NULL)
		return hg_fail(err, "curl_easy_init failed");
	t->headers = curl_slist_append(NULL, "Content-Type: application/json;"
	    "charset=utf-8");
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(t->curl, CURLOPT_URL, t->r->url);
	curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(t->curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(t->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L);
	return 0;
}

/* Envelope, POST, parse; 0 with the answer in resp (infcode 0), or -1.
 * Takes ownership of input. */
static int
call(struct thr *t, const char *infno, const char *insuplc,
    struct json_object *input, struct hg_nhsa_resp *resp, struct hg_err *err)
{
	struct hg_nhsa_hdr hdr = t->r->hdr;
	char msgid[HG_NHSA_MSGIDBUF], *body;
	struct json_object *env;
	long status = 0;
	CURLcode rc;

	if (hg_nhsa_msgid(&t->r->msgid, time(NULL), msgid) == -1) {
		json_object_put(input);
		*err = t->r->msgid.err;
		return -1;
	}
	hdr.sign_no = t->sign_no;
	env = hg_nhsa_envelope(&hdr, infno, msgid, insuplc, time(NULL), input);
	body = hg_nhsa_json_text(env);
	json_object_put(env);
	t->len = 0;
	t->errbuf[0] = '\0';
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body));
	rc = curl_easy_perform(t->curl);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, NULL);
	free(body);
	t->calls++;
	if (rc != CURLE_OK)
		return hg_fail(err, "%s %s: %s %s", infno, msgid,
		    curl_easy_strerror(rc), t->errbuf);
	if (status != 200)
		return hg_fail(err, "%s %s: HTTP %ld", infno, msgid, status);
	if (hg_nhsa_resp_parse(t->buf != NULL ? t->buf : "", t->len, resp,
	    err) == -1) {
		hg_err_prefix(err, "%s %s", infno, msgid);
		return -1;
	}
	if (resp->cls != HG_NHSA_OK) {
		hg_fail(err, "%s %s: infcode %lld: %s", infno, msgid,
		    (long long)resp->infcode, resp->err_msg);
		hg_nhsa_resp_free(resp);
		return -1;
	}
	return 0;
}

/* A call whose answer is only checked for infcode 0. */
static int
call0(struct thr *t, const char *infno, const char *insuplc,
    struct json_object *input, struct hg_err *err)
{
	struct hg_nhsa_resp resp;

	if (call(t, infno, insuplc, input, &resp, err) == -1)
		return -1;
	hg_nhsa_resp_free(&resp);
	return 0;
}

static int
signin(struct thr *t, struct hg_err *err)
{
	struct hg_nhsa_resp resp;
	int rc;

	if (call(t, "9001", NULL, hg_nhsa_in_9001(t->r->hdr.opter, "",
	    "127.0.0.1"), &resp, err) == -1)
		return -1;
	rc = hg_nhsa_out_9001(resp.output, t->sign_no, NULL, err);
	hg_nhsa_resp_free(&resp);
	return rc;
}

/* 2303 or 2304: the platform's total must be the bill's. */
static int
call_setl(struct thr *t, const char *infno, const char *insuplc,
    const struct hg_nhsa_setl_req *req, struct hg_err *err)
{
	struct hg_nhsa_resp resp;
	struct hg_nhsa_setl setl;
	int rc = -1;

	if (call(t, infno, insuplc, hg_nhsa_in_setl(req), &resp, err) == -1)
		return -1;
	if (hg_nhsa_out_setl(resp.output, &setl, err) == -1)
		hg_err_prefix(err, "%s", infno);
	else if (setl.medfee_sumamt != req->medfee_sumamt)
		hg_fail(err, "%s: total %lld fen, the bill has %lld", infno,
		    (long long)setl.medfee_sumamt,
		    (long long)req->medfee_sumamt);
	else if (strcmp(infno, "2304") == 0 && setl.setl_id[0] == '\0')
		hg_fail(err, "2304: no setl_id");
	else
		rc = 0;
	hg_nhsa_resp_free(&resp);
	return rc;
}

static int
settle_bill(struct thr *t, long i, struct hg_err *err)
{
	const struct hg_nhsa_insuinfo *in = NULL;
	struct hg_nhsa_cert cert = { "02", NULL, NULL };
	struct hg_nhsa_person person;
	struct hg_nhsa_setl_req req;
	struct hg_nhsa_resp resp;
	char mdtrt_id[HG_NHSA_IDBUF], insuplc[HG_NHSA_CODEBUF];
	struct hg_bill *b;
	size_t k;
	int rc = -1;

	b = make_bill(t->r, i);
	cert.mdtrt_cert_no = b->certno;
	if (call(t, "1101", NULL, hg_nhsa_in_1101(&cert, b->psn_cert_type,
	    b->certno, b->psn_name), &resp, err) == -1)
		goto out;
	if (hg_nhsa_out_1101(resp.output, &person, err) == 0) {
		for (k = 0; k < person.ninsu && in == NULL; k++)
			if (strcmp(person.insu[k].psn_insu_stas, "1") == 0)
				in = &person.insu[k];
		if (in == NULL)
			hg_fail(err, "1101: no active insurance");
	}
	hg_nhsa_resp_free(&resp);
	if (in == NULL)
		goto out;
	hg_set_str(&b->psn_no, person.psn_no);
	hg_set_str(&b->insutype, in->insutype);
	hg_set_str(&b->insuplc_admdvs, in->insuplc_admdvs);
	snprintf(insuplc, sizeof insuplc, "%s", in->insuplc_admdvs);

	if (call(t, "2401", insuplc, hg_nhsa_in_2401(b, &cert), &resp,
	    err) == -1)
		goto out;
	k = (size_t)hg_nhsa_out_2401(resp.output, mdtrt_id, err);
	hg_nhsa_resp_free(&resp);
	if (k != 0)
		goto out;
	hg_set_str(&b->mdtrt_id, mdtrt_id);

	for (k = 0; k < b->nfees; k += (size_t)t->r->chunk)
		if (call0(t, "2301", insuplc, hg_nhsa_in_2301(b, k,
		    (size_t)t->r->chunk), err) == -1)
			goto out;
	if (call0(t, "2402", insuplc, hg_nhsa_in_2402(b, NULL), err) == -1)
		goto out;

	memset(&req, 0, sizeof req);
	snprintf(req.psn_no, sizeof req.psn_no, "%s", b->psn_no);
	snprintf(req.mdtrt_cert_type, sizeof req.mdtrt_cert_type, "02");
	snprintf(req.mdtrt_cert_no, sizeof req.mdtrt_cert_no, "%s",
	    b->certno);
	snprintf(req.mdtrt_id, sizeof req.mdtrt_id, "%s", mdtrt_id);
	snprintf(req.insutype, sizeof req.insutype, "%s", b->insutype);
	req.medfee_sumamt = hg_bill_sum(b);
	if (call_setl(t, "2303", insuplc, &req, err) == -1 ||
	    call_setl(t, "2304", insuplc, &req, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		hg_err_prefix(err, "bill %s", b->ipt_no);
	hg_bill_free(b);
	return rc;
}

static void
fail_run(struct run *r, const struct hg_err *err)
{
	pthread_mutex_lock(&r->lock);
	if (!r->failed)
		r->first_err = *err;
	__atomic_store_n(&r->failed, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&r->lock);
}

static void *
thr_main(void *arg)
{
	struct thr *t = arg;
	struct run *r = t->r;
	struct hg_err err;
	int64_t t0;
	long i;

	if (signin(t, &err) == -1) {
		fail_run(r, &err);
		return NULL;
	}
	while (!__atomic_load_n(&r->failed, __ATOMIC_SEQ_CST)) {
		i = __atomic_fetch_add(&r->next, 1, __ATOMIC_SEQ_CST);
		if (i >= r->bills)
			break;
		t0 = now_us();
		if (settle_bill(t, i, &err) == -1) {
			fail_run(r, &err);
			break;
		}
		r->bill_us[i] = now_us() - t0;
		t->bills++;
	}
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: drain-client --url URL --people FILE --items "
	    "FILE [--bills N] [--lines L]\n"
	    "           [--chunk C] [--threads T] [--prefix P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "people", required_argument, NULL, 'p' },
		{ "items", required_argument, NULL, 'i' },
		{ "bills", required_argument, NULL, 'n' },
		{ "lines", required_argument, NULL, 'm' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "prefix", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *people = NULL, *items = NULL;
	struct thr *th;
	struct run r;
	struct hg_err err;
	long calls = 0, done = 0, i;
	int64_t t0, t1;
	double secs;
	int c;

	memset(&r, 0, sizeof r);
	r.bills = 1000;
	r.lines = 20;
	r.chunk = 100;
	r.threads = 2;
	r.prefix = "DC";
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': r.url = optarg; break;
		case 'p': people = optarg; break;
		case 'i': items = optarg; break;
		case 'n': r.bills = strtol(optarg, NULL, 10); break;
		case 'm': r.lines = strtol(optarg, NULL, 10); break;
		case 'c': r.chunk = strtol(optarg, NULL, 10); break;
		case 't': r.threads = strtol(optarg, NULL, 10); break;
		case 'P': r.prefix = optarg; break;
		default: usage();
		}
	}
	if (r.url == NULL || people == NULL || items == NULL ||
	    r.bills < 1 || r.lines < 1 || r.chunk < 1 || r.threads < 1 ||
	    r.threads > 64)
		usage();
	if (load_people(&r, people, &err) == -1 ||
	    load_items(&r, items, &err) == -1 ||
	    hg_nhsa_msgid_init(&r.msgid, FIXMEDINS_CODE, NULL, 0, &err) ==
	    -1) {
		fprintf(stderr, "drain-client: %s\n", err.msg);
		return 1;
	}
	/* the agent's envelope with its default configuration */
	r.hdr.mdtrtarea_admvs = ADMDVS;
	r.hdr.recer_sys_code = "YBXT";
	r.hdr.infver = "V1.0";
	r.hdr.opter_type = "1";
	r.hdr.opter = "hisgate";
	r.hdr.opter_name = "hisgate";
	r.hdr.fixmedins_code = FIXMEDINS_CODE;
	r.hdr.fixmedins_name = FIXMEDINS_NAME;
	pthread_mutex_init(&r.lock, NULL);
	r.bill_us = hg_xcalloc((size_t)r.bills, sizeof *r.bill_us);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	th = hg_xcalloc((size_t)r.threads, sizeof *th);
	for (i = 0; i < r.threads; i++) {
		th[i].r = &r;
		if (thr_init(&th[i], &err) == -1) {
			fprintf(stderr, "drain-client: %s\n", err.msg);
			return 1;
		}
	}
	t0 = now_us();
	for (i = 0; i < r.threads; i++)
		if (pthread_create(&th[i].thread, NULL, thr_main, &th[i]) != 0) {
			fprintf(stderr, "drain-client: cannot start a thread\n");
			return 1;
		}
	for (i = 0; i < r.threads; i++) {
		pthread_join(th[i].thread, NULL);
		calls += th[i].calls;
		done += th[i].bills;
	}
	t1 = now_us();
	for (i = 0; i < r.threads; i++) {
		curl_easy_cleanup(th[i].curl);
		curl_slist_free_all(th[i].headers);
		free(th[i].buf);
	}
	free(th);
	secs = (double)(t1 - t0) / 1e6;
	if (r.failed)
		fprintf(stderr, "drain-client: %s\n", r.first_err.msg);
	qsort(r.bill_us, (size_t)done, sizeof *r.bill_us, cmp64);
	printf("bills=%ld calls=%ld errors=%d secs=%.3f calls_per_s=%.1f "
	    "bills_per_s=%.1f bill_p50_ms=%.1f bill_p99_ms=%.1f\n", done,
	    calls, r.failed, secs, (double)calls / secs, (double)done / secs,
	    done > 0 ? (double)r.bill_us[(done - 1) / 2] / 1000 : 0.0,
	    done > 0 ? (double)r.bill_us[(done * 99 + 99) / 100 - 1] / 1000 :
	    0.0);
	free(r.bill_us);
	free(r.people);
	free(r.items);
	hg_nhsa_msgid_destroy(&r.msgid);
	pthread_mutex_destroy(&r.lock);
	curl_global_cleanup();
	return r.failed || done != r.bills ? 1 : 0;
}
