/* The national interface codec: see nhsa.h for the API and the msgid
 * design.  Field tables drive the larger structures so that parsing and
 * formatting cannot drift apart. */
#include "config.h"

#include <sys/file.h>
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* small helpers */

void
hg_nhsa_put_str(struct json_object *obj, const char *key, const char *v)
{
	json_object_object_add(obj, key, json_object_new_string(v != NULL ?
	    v : ""));
}

static void
put_dec(struct json_object *obj, const char *key, int64_t v, int scale)
{
	json_object_object_add(obj, key, hg_json_dec(v, scale));
}

int
hg_nhsa_get_str(struct json_object *obj, const char *key, char *buf,
    size_t size, int required, struct hg_err *err)
{
	const char *s;
	size_t len;

	buf[0] = '\0';
	s = hg_json_get_str(obj, key);
	if (s == NULL || s[0] == '\0') {
		if (required)
			return hg_fail(err, "%s: missing or empty", key);
		return 0;
	}
	len = strlen(s);
	if (len >= size)
		return hg_fail(err, "%s: \"%.40s...\" is too long (%zu bytes, "
		    "at most %zu)", key, s, len, size - 1);
	memcpy(buf, s, len + 1);
	return 0;
}

/* Copy for text meant for people: cut rather than fail. */
static void
get_text(struct json_object *obj, const char *key, char *buf, size_t size)
{
	const char *s = hg_json_get_str(obj, key);

	snprintf(buf, size, "%s", s != NULL ? s : "");
}

/* The receiver's reading of a field: the platform's own wording, with the
 * field name in brackets, e.g. "人员编号[psn_no]不能为空". */
static int
req_str(struct json_object *obj, const char *key, const char *label,
    char *buf, size_t size, int required, struct hg_err *err)
{
	const char *s = hg_json_get_str(obj, key);
	size_t len;

	buf[0] = '\0';
	if (s == NULL || s[0] == '\0') {
		if (required)
			return hg_fail(err, "%s[%s]不能为空", label, key);
		return 0;
	}
	len = strlen(s);
	if (len >= size)
		return hg_fail(err, "%s[%s]长度超过%zu", label, key, size - 1);
	memcpy(buf, s, len + 1);
	return 0;
}

static int
req_dec(struct json_object *obj, const char *key, const char *label,
    int scale, int required, int64_t *out, struct hg_err *err)
{
	const char *s = hg_json_get_str(obj, key);

	*out = 0;
	if (s == NULL || s[0] == '\0') {
		if (required)
			return hg_fail(err, "%s[%s]不能为空", label, key);
		return 0;
	}
	if (hg_dec_parse(key, s, scale, out, NULL) == -1)
		return hg_fail(err, "%s[%s]格式错误:[%s]不是最多%d位小数的数值",
		    label, key, s, scale);
	return 0;
}

static struct json_object *
node(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static struct json_object *
wrap(const char *name, struct json_object *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, name, v);
	return o;
}

char *
hg_nhsa_json_text(struct json_object *obj)
{
	return hg_xstrdup(json_object_to_json_string_ext(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---------------------------------------------------------------------- */
/* envelope */

const char *
hg_nhsa_input_node(const char *infno)
{
	if (strcmp(infno, "9001") == 0)
		return "signIn";
	if (strcmp(infno, "2401") == 0)
		return "mdtrtinfo";
	if (strcmp(infno, "2402") == 0)
		return "dscginfo";
	if (strcmp(infno, "2301") == 0)
		return "feedetail";
	return "data";
}

int
hg_nhsa_is_query(const char *infno)
{
	static const char *const queries[] = { "1101", "2303", "5203",
	    "3201", "9001" };
	size_t i;

	for (i = 0; i < sizeof queries / sizeof queries[0]; i++)
		if (strcmp(infno, queries[i]) == 0)
			return 1;
	return 0;
}

struct json_object *
hg_nhsa_envelope(const struct hg_nhsa_hdr *h, const char *infno,
    const char *msgid, const char *insuplc_admdvs, time_t now,
    struct json_object *input)
{
	struct json_object *o = json_object_new_object();
	char when[HG_NHSA_TIMEBUF];
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	hg_nhsa_put_str(o, "infno", infno);
	hg_nhsa_put_str(o, "msgid", msgid);
	hg_nhsa_put_str(o, "mdtrtarea_admvs", h->mdtrtarea_admvs);
	hg_nhsa_put_str(o, "insuplc_admdvs", insuplc_admdvs);
	hg_nhsa_put_str(o, "recer_sys_code", h->recer_sys_code);
	hg_nhsa_put_str(o, "dev_no", h->dev_no);
	hg_nhsa_put_str(o, "dev_safe_info", h->dev_safe_info);
	hg_nhsa_put_str(o, "cainfo", h->cainfo);
	hg_nhsa_put_str(o, "signtype", h->signtype);
	hg_nhsa_put_str(o, "infver", h->infver);
	hg_nhsa_put_str(o, "opter_type", h->opter_type);
	hg_nhsa_put_str(o, "opter", h->opter);
	hg_nhsa_put_str(o, "opter_name", h->opter_name);
	hg_nhsa_put_str(o, "inf_time", when);
	hg_nhsa_put_str(o, "fixmedins_code", h->fixmedins_code);
	hg_nhsa_put_str(o, "fixmedins_name", h->fixmedins_name);
	hg_nhsa_put_str(o, "sign_no", h->sign_no);
	json_object_object_add(o, "input", input != NULL ? input :
	    json_object_new_object());
	return o;
}

/* ---------------------------------------------------------------------- */
/* msgid */

static unsigned
random_base(void)
{
	unsigned r = 0;

	/* getrandom never blocks after boot; if it fails, time and pid still
	 * separate two processes started apart. */
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (unsigned)time(NULL) * 2654435761u;
	r ^= (unsigned)getpid() * 40503u;
	return r % 10000;
}

int
hg_nhsa_msgid_init(struct hg_nhsa_msgid_gen *g, const char *code,
    const char *state_path, int64_t floor_sec, struct hg_err *err)
{
	memset(g, 0, sizeof *g);
	g->fd = -1;
	/* first, so that destroy is safe after a failed init too */
	pthread_mutex_init(&g->lock, NULL);
	if (code == NULL || strlen(code) != HG_NHSA_CODELEN)
		return hg_fail(err, "fixmedins_code \"%s\" must be exactly %d "
		    "characters for a %d-character msgid", code ? code : "",
		    HG_NHSA_CODELEN, HG_NHSA_MSGIDLEN);
	memcpy(g->code, code, HG_NHSA_CODELEN + 1);
	if (state_path != NULL) {
		g->fd = open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (g->fd == -1)
			return hg_failt(err, "msgid state %s: %s", state_path,
			    strerror(errno));
	}
	g->sec = floor_sec;
	g->n = 10000;	/* floor_sec itself is used up: start after it */
	g->base = random_base();
	return 0;
}

void
hg_nhsa_msgid_destroy(struct hg_nhsa_msgid_gen *g)
{
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
	pthread_mutex_destroy(&g->lock);
}

/* Advance (sec, n) by one msgid at wall time now; returns the second and
 * the count to use. */
static void
next_slot(int64_t *sec, unsigned *n, int64_t now)
{
	if (now > *sec) {
		*sec = now;
		*n = 0;
	} else if (*n >= 10000) {
		(*sec)++;
		*n = 0;
	}
}

static int
state_next(struct hg_nhsa_msgid_gen *g, int64_t now, int64_t *sec,
    unsigned *seq)
{
	char buf[64];
	long long s = 0;
	unsigned n = 10000;
	ssize_t r;
	int len, rc = -1;

	if (flock(g->fd, LOCK_EX) == -1)
		return hg_failt(&g->err, "msgid state: lock: %s",
		    strerror(errno));
	r = pread(g->fd, buf, sizeof buf - 1, 0);
	if (r == -1) {
		hg_failt(&g->err, "msgid state: read: %s", strerror(errno));
		goto out;
	}
	buf[r] = '\0';
	if (r > 0 && sscanf(buf, "%lld %u", &s, &n) != 2) {
		hg_failt(&g->err, "msgid state: unreadable \"%.20s\"", buf);
		goto out;
	}
	/* The file and this generator's own memory: whichever is later. */
	if (g->sec > s || (g->sec == s && g->n > n)) {
		s = g->sec;
		n = g->n;
	}
	*sec = s;
	next_slot(sec, &n, now);
	*seq = n;
	n++;
	len = snprintf(buf, sizeof buf, "%lld %u\n", (long long)*sec, n);
	if (pwrite(g->fd, buf, (size_t)len, 0) != len ||
	    ftruncate(g->fd, len) == -1) {
		hg_failt(&g->err, "msgid state: write: %s", strerror(errno));
		goto out;
	}
	g->sec = *sec;
	g->n = n;
	rc = 0;
out:
	flock(g->fd, LOCK_UN);
	return rc;
}

int
hg_nhsa_msgid(struct hg_nhsa_msgid_gen *g, time_t now,
    char out[HG_NHSA_MSGIDBUF])
{
	int64_t sec = 0;
	unsigned seq = 0;
	time_t t;
	struct tm tm;
	char stamp[16];
	int rc = 0;

	pthread_mutex_lock(&g->lock);
	if (g->fd != -1) {
		if (state_next(g, now, &sec, &seq) == -1) {
			rc = -1;
			goto out;
		}
	} else {
		next_slot(&g->sec, &g->n, now);
		sec = g->sec;
		seq = (g->base + g->n) % 10000;
		g->n++;
	}
	t = (time_t)sec;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	snprintf(out, HG_NHSA_MSGIDBUF, "%s%s%04u", g->code, stamp, seq);
out:
	pthread_mutex_unlock(&g->lock);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* responses */

enum hg_nhsa_class
hg_nhsa_classify(int64_t infcode)
{
	switch (infcode) {
	case 0:
		return HG_NHSA_OK;
	case -1:
		return HG_NHSA_SYSERR;
	case -2:
		return HG_NHSA_BIZERR;
	default:
		return HG_NHSA_FAILED;
	}
}

int
hg_nhsa_resp_parse(const char *text, size_t len, struct hg_nhsa_resp *r,
    struct hg_err *err)
{
	struct json_object *root = NULL, *out;
	const char *code;
	char *copy;
	int rc;

	memset(r, 0, sizeof *r);
	/* the transport's buffer need not be NUL-terminated */
	copy = hg_xstrndup(text, len);
	rc = hg_json_parse(copy, &root, err);
	free(copy);
	if (rc == -1) {
		if (err != NULL)
			err->kind = HG_ETEMP;
		hg_err_prefix(err, "response is not JSON, outcome unknown");
		return -1;
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return hg_failt(err, "response is not a JSON object, outcome "
		    "unknown");
	}
	code = hg_json_get_str(root, "infcode");
	if (code == NULL || hg_dec_parse("infcode", code, 0, &r->infcode,
	    NULL) == -1) {
		/* code lives in root: word the message before letting go */
		hg_failt(err, "response has no usable infcode (%.40s), "
		    "outcome unknown", code != NULL ? code : "missing");
		json_object_put(root);
		return -1;
	}
	r->cls = hg_nhsa_classify(r->infcode);
	get_text(root, "inf_refmsgid", r->inf_refmsgid,
	    sizeof r->inf_refmsgid);
	get_text(root, "refmsg_time", r->refmsg_time, sizeof r->refmsg_time);
	get_text(root, "respond_time", r->respond_time,
	    sizeof r->respond_time);
	get_text(root, "err_msg", r->err_msg, sizeof r->err_msg);
	get_text(root, "warn_msg", r->warn_msg, sizeof r->warn_msg);
	out = node(root, "output");
	r->output = out != NULL && json_object_is_type(out,
	    json_type_object) ? out : NULL;
	r->root = root;
	return 0;
}

void
hg_nhsa_resp_free(struct hg_nhsa_resp *r)
{
	json_object_put(r->root);
	r->root = NULL;
	r->output = NULL;
}

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

struct json_object *
hg_nhsa_response(int infcode, const char *refmsgid, const char *refmsg_time,
    const char *respond_time, const char *err_msg, struct json_object *output)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "infcode", json_object_new_int(infcode));
	hg_nhsa_put_str(o, "inf_refmsgid", refmsgid);
	hg_nhsa_put_str(o, "refmsg_time", refmsg_time);
	hg_nhsa_put_str(o, "respond_time", respond_time);
	json_object_object_add(o, "err_msg", str_or_null(err_msg));
	json_object_object_add(o, "warn_msg", NULL);
	json_object_object_add(o, "cainfo", NULL);
	json_object_object_add(o, "signtype", NULL);
	json_object_object_add(o, "output", output);
	return o;
}

/* ---------------------------------------------------------------------- */
/* 9001, 1101 */

struct json_object *
hg_nhsa_in_9001(const char *opter_no, const char *mac, const char *ip)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "opter_no", opter_no);
	hg_nhsa_put_str(d, "mac", mac);
	hg_nhsa_put_str(d, "ip", ip);
	return wrap("signIn", d);
}

int
hg_nhsa_out_9001(struct json_object *output, char sign_no[HG_NHSA_IDBUF],
    char sign_time[HG_NHSA_TIMEBUF], struct hg_err *err)
{
	struct json_object *s = node(output, "signinoutb");

	if (s == NULL)
		return hg_fail(err, "9001: output.signinoutb missing");
	if (hg_nhsa_get_str(s, "sign_no", sign_no, HG_NHSA_IDBUF, 1,
	    err) == -1)
		return -1;
	if (sign_time != NULL)
		get_text(s, "sign_time", sign_time, HG_NHSA_TIMEBUF);
	return 0;
}

struct json_object *
hg_nhsa_in_1101(const struct hg_nhsa_cert *cert, const char *psn_cert_type,
    const char *certno, const char *psn_name)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_cert_type", cert->mdtrt_cert_type);
	hg_nhsa_put_str(d, "mdtrt_cert_no", cert->mdtrt_cert_no);
	hg_nhsa_put_str(d, "card_sn", cert->card_sn);
	hg_nhsa_put_str(d, "begntime", "");
	hg_nhsa_put_str(d, "psn_cert_type", psn_cert_type);
	hg_nhsa_put_str(d, "certno", certno);
	hg_nhsa_put_str(d, "psn_name", psn_name);
	return wrap("data", d);
}

int
hg_nhsa_out_1101(struct json_object *output, struct hg_nhsa_person *p,
    struct hg_err *err)
{
	struct json_object *b = node(output, "baseinfo");
	struct json_object *arr = node(output, "insuinfo"), *row;
	struct hg_nhsa_insuinfo *in;
	size_t i, n;

	memset(p, 0, sizeof *p);
	if (b == NULL)
		return hg_fail(err, "1101: output.baseinfo missing");
	if (hg_nhsa_get_str(b, "psn_no", p->psn_no, sizeof p->psn_no, 1,
	    err) == -1 ||
	    hg_nhsa_get_str(b, "certno", p->certno, sizeof p->certno, 0,
	    err) == -1)
		goto fail;
	get_text(b, "psn_name", p->psn_name, sizeof p->psn_name);
	get_text(b, "psn_cert_type", p->psn_cert_type,
	    sizeof p->psn_cert_type);
	get_text(b, "gend", p->gend, sizeof p->gend);
	get_text(b, "naty", p->naty, sizeof p->naty);
	get_text(b, "brdy", p->brdy, sizeof p->brdy);
	get_text(b, "age", p->age, sizeof p->age);
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return hg_fail(err, "1101: output.insuinfo is not an array");
	n = json_object_array_length(arr);
	for (i = 0; i < n && p->ninsu < HG_NHSA_MAXINSU; i++) {
		row = json_object_array_get_idx(arr, i);
		in = &p->insu[p->ninsu];
		if (hg_nhsa_get_str(row, "insutype", in->insutype,
		    sizeof in->insutype, 1, err) == -1 ||
		    hg_nhsa_get_str(row, "insuplc_admdvs", in->insuplc_admdvs,
		    sizeof in->insuplc_admdvs, 1, err) == -1 ||
		    hg_json_get_dec(row, "balc", HG_SCALE_FEN, 1, &in->balc,
		    err) == -1) {
			hg_err_prefix(err, "1101: insuinfo[%zu]", i);
			return -1;
		}
		get_text(row, "psn_type", in->psn_type, sizeof in->psn_type);
		get_text(row, "psn_insu_stas", in->psn_insu_stas,
		    sizeof in->psn_insu_stas);
		get_text(row, "cvlserv_flag", in->cvlserv_flag,
		    sizeof in->cvlserv_flag);
		get_text(row, "emp_name", in->emp_name, sizeof in->emp_name);
		p->ninsu++;
	}
	return 0;
fail:
	hg_err_prefix(err, "1101: baseinfo");
	return -1;
}

const struct hg_nhsa_insuinfo *
hg_nhsa_person_insu(const struct hg_nhsa_person *p, const char *insutype)
{
	size_t i;

	for (i = 0; i < p->ninsu; i++)
		if (strcmp(p->insu[i].insutype, insutype) == 0 &&
		    strcmp(p->insu[i].psn_insu_stas, "1") == 0)
			return &p->insu[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* 2401, 2402 */

static const struct hg_diag *
main_diag(const struct hg_bill *b)
{
	size_t i;

	for (i = 0; i < b->ndiags; i++)
		if (b->diags[i].main)
			return &b->diags[i];
	return b->ndiags > 0 ? &b->diags[0] : NULL;
}

static struct json_object *
diseinfo(const struct hg_bill *b, const char *when)
{
	struct json_object *arr = json_object_new_array(), *d;
	size_t i;
	char srt[16];

	for (i = 0; i < b->ndiags; i++) {
		d = json_object_new_object();
		snprintf(srt, sizeof srt, "%zu", i + 1);
		hg_nhsa_put_str(d, "psn_no", b->psn_no);
		hg_nhsa_put_str(d, "diag_type", "1");
		hg_nhsa_put_str(d, "maindiag_flag", b->diags[i].main ? "1" :
		    "0");
		hg_nhsa_put_str(d, "diag_srt_no", srt);
		hg_nhsa_put_str(d, "diag_code", b->diags[i].code);
		hg_nhsa_put_str(d, "diag_name", b->diags[i].name);
		hg_nhsa_put_str(d, "adm_cond", "");
		hg_nhsa_put_str(d, "diag_dept", b->dept_name);
		hg_nhsa_put_str(d, "dise_dor_no", b->doctor_code);
		hg_nhsa_put_str(d, "dise_dor_name", b->doctor_name);
		hg_nhsa_put_str(d, "diag_time", when);
		json_object_array_add(arr, d);
	}
	return arr;
}

struct json_object *
hg_nhsa_in_2401(const struct hg_bill *b, const struct hg_nhsa_cert *cert)
{
	struct json_object *in = json_object_new_object();
	struct json_object *m = json_object_new_object();
	const struct hg_diag *md = main_diag(b);

	hg_nhsa_put_str(m, "psn_no", b->psn_no);
	hg_nhsa_put_str(m, "insutype", b->insutype);
	hg_nhsa_put_str(m, "coner_name", "");
	hg_nhsa_put_str(m, "tel", "");
	hg_nhsa_put_str(m, "begntime", b->adm_time);
	hg_nhsa_put_str(m, "mdtrt_cert_type", cert->mdtrt_cert_type);
	hg_nhsa_put_str(m, "mdtrt_cert_no", cert->mdtrt_cert_no);
	hg_nhsa_put_str(m, "med_type", b->med_type != NULL ? b->med_type :
	    "21");
	hg_nhsa_put_str(m, "ipt_no", b->ipt_no);
	hg_nhsa_put_str(m, "medrcdno", b->ipt_no);
	hg_nhsa_put_str(m, "atddr_no", b->doctor_code);
	hg_nhsa_put_str(m, "chfpdr_name", b->doctor_name);
	hg_nhsa_put_str(m, "adm_diag_dscr", md != NULL ? md->name : "");
	hg_nhsa_put_str(m, "adm_dept_codg", b->dept_code);
	hg_nhsa_put_str(m, "adm_dept_name", b->dept_name);
	hg_nhsa_put_str(m, "adm_bed", "");
	hg_nhsa_put_str(m, "dscg_maindiag_code", md != NULL ? md->code : "");
	hg_nhsa_put_str(m, "dscg_maindiag_name", md != NULL ? md->name : "");
	hg_nhsa_put_str(m, "main_cond_dscr", "");
	hg_nhsa_put_str(m, "dise_codg", "");
	hg_nhsa_put_str(m, "dise_name", "");
	hg_nhsa_put_str(m, "oprn_oprt_code", "");
	hg_nhsa_put_str(m, "oprn_oprt_name", "");
	json_object_object_add(in, "mdtrtinfo", m);
	json_object_object_add(in, "diseinfo", diseinfo(b, b->adm_time));
	return in;
}

int
hg_nhsa_out_2401(struct json_object *output, char mdtrt_id[HG_NHSA_IDBUF],
    struct hg_err *err)
{
	struct json_object *r = node(output, "result");

	if (r == NULL)
		return hg_fail(err, "2401: output.result missing");
	if (hg_nhsa_get_str(r, "mdtrt_id", mdtrt_id, HG_NHSA_IDBUF, 1,
	    err) == -1) {
		hg_err_prefix(err, "2401: result");
		return -1;
	}
	return 0;
}

struct json_object *
hg_nhsa_in_2402(const struct hg_bill *b, const char *dscg_way)
{
	struct json_object *in = json_object_new_object();
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_id", b->mdtrt_id);
	hg_nhsa_put_str(d, "psn_no", b->psn_no);
	hg_nhsa_put_str(d, "insutype", b->insutype);
	hg_nhsa_put_str(d, "endtime", b->dscg_time);
	hg_nhsa_put_str(d, "dise_codg", "");
	hg_nhsa_put_str(d, "dise_name", "");
	hg_nhsa_put_str(d, "oprn_oprt_code", "");
	hg_nhsa_put_str(d, "oprn_oprt_name", "");
	hg_nhsa_put_str(d, "cop_flag", "");
	hg_nhsa_put_str(d, "dscg_dept_codg", b->dept_code);
	hg_nhsa_put_str(d, "dscg_dept_name", b->dept_name);
	hg_nhsa_put_str(d, "dscg_bed", "");
	hg_nhsa_put_str(d, "dscg_way", dscg_way != NULL ? dscg_way : "1");
	hg_nhsa_put_str(d, "die_date", "");
	json_object_object_add(in, "dscginfo", d);
	json_object_object_add(in, "diseinfo", diseinfo(b, b->dscg_time));
	return in;
}

/* ---------------------------------------------------------------------- */
/* 2301, 2302 */

struct json_object *
hg_nhsa_in_2301(const struct hg_bill *b, size_t first, size_t n)
{
	struct json_object *arr = json_object_new_array(), *d;
	const struct hg_fee *f;
	size_t i;

	if (first > b->nfees)
		first = b->nfees;
	if (n > b->nfees - first)
		n = b->nfees - first;
	for (i = first; i < first + n; i++) {
		f = &b->fees[i];
		d = json_object_new_object();
		hg_nhsa_put_str(d, "feedetl_sn", f->sn);
		hg_nhsa_put_str(d, "init_feedetl_sn", f->init_sn);
		hg_nhsa_put_str(d, "mdtrt_id", b->mdtrt_id);
		hg_nhsa_put_str(d, "drord_no", "");
		hg_nhsa_put_str(d, "psn_no", b->psn_no);
		hg_nhsa_put_str(d, "med_type", b->med_type != NULL ?
		    b->med_type : "21");
		hg_nhsa_put_str(d, "fee_ocur_time", f->time);
		hg_nhsa_put_str(d, "med_list_codg", f->nat_code);
		hg_nhsa_put_str(d, "medins_list_codg", f->local_code);
		put_dec(d, "det_item_fee_sumamt", f->amount, HG_SCALE_FEN);
		put_dec(d, "cnt", f->qty, HG_SCALE_QTY);
		put_dec(d, "pric", f->price, HG_SCALE_PRICE);
		hg_nhsa_put_str(d, "bilg_dept_codg", f->dept_code != NULL ?
		    f->dept_code : b->dept_code);
		hg_nhsa_put_str(d, "bilg_dept_name", f->dept_name != NULL ?
		    f->dept_name : b->dept_name);
		hg_nhsa_put_str(d, "bilg_dr_codg", f->doctor_code != NULL ?
		    f->doctor_code : b->doctor_code);
		hg_nhsa_put_str(d, "bilg_dr_name", f->doctor_name != NULL ?
		    f->doctor_name : b->doctor_name);
		hg_nhsa_put_str(d, "hosp_appr_flag", "1");
		hg_nhsa_put_str(d, "memo", "");
		json_object_array_add(arr, d);
	}
	return wrap("feedetail", arr);
}

int
hg_nhsa_fee_in_parse(struct json_object *it, struct hg_nhsa_fee_in *f,
    struct hg_err *err)
{
	memset(f, 0, sizeof *f);
	if (it == NULL || !json_object_is_type(it, json_type_object))
		return hg_fail(err, "费用明细[feedetail]的元素不是对象");
	if (req_str(it, "feedetl_sn", "费用明细流水号", f->feedetl_sn,
	    sizeof f->feedetl_sn, 1, err) == -1 ||
	    req_str(it, "init_feedetl_sn", "原费用明细流水号",
	    f->init_feedetl_sn, sizeof f->init_feedetl_sn, 0, err) == -1 ||
	    req_str(it, "mdtrt_id", "就诊ID", f->mdtrt_id,
	    sizeof f->mdtrt_id, 1, err) == -1 ||
	    req_str(it, "psn_no", "人员编号", f->psn_no, sizeof f->psn_no, 1,
	    err) == -1 ||
	    req_str(it, "med_type", "医疗类别", f->med_type,
	    sizeof f->med_type, 1, err) == -1 ||
	    req_str(it, "fee_ocur_time", "费用发生时间", f->fee_ocur_time,
	    sizeof f->fee_ocur_time, 1, err) == -1 ||
	    req_str(it, "med_list_codg", "医疗目录编码", f->med_list_codg,
	    sizeof f->med_list_codg, 1, err) == -1 ||
	    req_str(it, "medins_list_codg", "医药机构目录编码",
	    f->medins_list_codg, sizeof f->medins_list_codg, 1, err) == -1 ||
	    req_str(it, "bilg_dept_codg", "开单科室编码", f->bilg_dept_codg,
	    sizeof f->bilg_dept_codg, 0, err) == -1 ||
	    req_str(it, "bilg_dr_codg", "开单医生编码", f->bilg_dr_codg,
	    sizeof f->bilg_dr_codg, 0, err) == -1 ||
	    req_dec(it, "det_item_fee_sumamt", "明细项目费用总额",
	    HG_SCALE_FEN, 1, &f->det_item_fee_sumamt, err) == -1 ||
	    req_dec(it, "cnt", "数量", HG_SCALE_QTY, 1, &f->cnt, err) == -1 ||
	    req_dec(it, "pric", "单价", HG_SCALE_PRICE, 1, &f->pric,
	    err) == -1)
		return -1;
	return 0;
}

struct json_object *
hg_nhsa_fee_result_json(const struct hg_nhsa_fee_result *r)
{
	struct json_object *o = json_object_new_object();

	hg_nhsa_put_str(o, "feedetl_sn", r->feedetl_sn);
	put_dec(o, "det_item_fee_sumamt", r->det_item_fee_sumamt,
	    HG_SCALE_FEN);
	put_dec(o, "cnt", r->cnt, HG_SCALE_QTY);
	put_dec(o, "pric", r->pric, HG_SCALE_PRICE);
	/* the national convention for "no cap" */
	put_dec(o, "pric_uplmt_amt", r->pric_uplmt_amt < 0 ?
	    (int64_t)999999 * 1000000 : r->pric_uplmt_amt, HG_SCALE_PRICE);
	put_dec(o, "selfpay_prop", r->selfpay_prop, HG_SCALE_RATIO);
	put_dec(o, "fulamt_ownpay_amt", r->fulamt_ownpay_amt, HG_SCALE_FEN);
	put_dec(o, "overlmt_amt", r->overlmt_amt, HG_SCALE_FEN);
	put_dec(o, "preselfpay_amt", r->preselfpay_amt, HG_SCALE_FEN);
	put_dec(o, "inscp_scp_amt", r->inscp_scp_amt, HG_SCALE_FEN);
	hg_nhsa_put_str(o, "chrgitm_lv", r->chrgitm_lv);
	hg_nhsa_put_str(o, "med_chrgitm_type", r->med_chrgitm_type);
	hg_nhsa_put_str(o, "bas_medn_flag", "0");
	hg_nhsa_put_str(o, "hi_nego_drug_flag", "0");
	hg_nhsa_put_str(o, "chld_medc_flag", "0");
	hg_nhsa_put_str(o, "list_sp_item_flag", "0");
	hg_nhsa_put_str(o, "lmt_used_flag", "0");
	hg_nhsa_put_str(o, "drt_reim_flag", "0");
	hg_nhsa_put_str(o, "memo", r->memo);
	return o;
}

int
hg_nhsa_out_2301(struct json_object *output, struct hg_nhsa_fee_result **out,
    size_t *nout, struct hg_err *err)
{
	struct json_object *arr = node(output, "result"), *it;
	struct hg_nhsa_fee_result *rows = NULL, *r;
	size_t i, n;

	*out = NULL;
	*nout = 0;
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return hg_fail(err, "2301: output.result is not an array");
	n = json_object_array_length(arr);
	rows = hg_xcalloc(n > 0 ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(arr, i);
		r = &rows[i];
		if (hg_nhsa_get_str(it, "feedetl_sn", r->feedetl_sn,
		    sizeof r->feedetl_sn, 1, err) == -1 ||
		    hg_json_get_dec(it, "det_item_fee_sumamt", HG_SCALE_FEN, 0,
		    &r->det_item_fee_sumamt, err) == -1 ||
		    hg_json_get_dec(it, "cnt", HG_SCALE_QTY, 1, &r->cnt,
		    err) == -1 ||
		    hg_json_get_dec(it, "pric", HG_SCALE_PRICE, 1, &r->pric,
		    err) == -1 ||
		    hg_json_get_dec(it, "pric_uplmt_amt", HG_SCALE_PRICE, 1,
		    &r->pric_uplmt_amt, err) == -1 ||
		    hg_json_get_dec(it, "selfpay_prop", HG_SCALE_RATIO, 1,
		    &r->selfpay_prop, err) == -1 ||
		    hg_json_get_dec(it, "fulamt_ownpay_amt", HG_SCALE_FEN, 1,
		    &r->fulamt_ownpay_amt, err) == -1 ||
		    hg_json_get_dec(it, "overlmt_amt", HG_SCALE_FEN, 1,
		    &r->overlmt_amt, err) == -1 ||
		    hg_json_get_dec(it, "preselfpay_amt", HG_SCALE_FEN, 1,
		    &r->preselfpay_amt, err) == -1 ||
		    hg_json_get_dec(it, "inscp_scp_amt", HG_SCALE_FEN, 1,
		    &r->inscp_scp_amt, err) == -1)
			goto fail;
		if (r->pric_uplmt_amt == (int64_t)999999 * 1000000)
			r->pric_uplmt_amt = -1;
		get_text(it, "chrgitm_lv", r->chrgitm_lv,
		    sizeof r->chrgitm_lv);
		get_text(it, "med_chrgitm_type", r->med_chrgitm_type,
		    sizeof r->med_chrgitm_type);
		get_text(it, "memo", r->memo, sizeof r->memo);
	}
	*out = rows;
	*nout = n;
	return 0;
fail:
	hg_err_prefix(err, "2301: result[%zu]", i);
	free(rows);
	return -1;
}

struct json_object *
hg_nhsa_in_2302(const char *mdtrt_id, const char *psn_no,
    const char *feedetl_sn)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "feedetl_sn", feedetl_sn);
	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "exp_content", "");
	return wrap("data", d);
}

/* ---------------------------------------------------------------------- */
/* 2303, 2304 */

struct json_object *
hg_nhsa_in_setl(const struct hg_nhsa_setl_req *r)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", r->psn_no);
	hg_nhsa_put_str(d, "mdtrt_cert_type", r->mdtrt_cert_type);
	hg_nhsa_put_str(d, "mdtrt_cert_no", r->mdtrt_cert_no);
	put_dec(d, "medfee_sumamt", r->medfee_sumamt, HG_SCALE_FEN);
	hg_nhsa_put_str(d, "psn_setlway", r->psn_setlway[0] != '\0' ?
	    r->psn_setlway : "01");
	hg_nhsa_put_str(d, "mdtrt_id", r->mdtrt_id);
	hg_nhsa_put_str(d, "insutype", r->insutype);
	hg_nhsa_put_str(d, "acct_used_flag", r->acct_used_flag[0] != '\0' ?
	    r->acct_used_flag : "0");
	hg_nhsa_put_str(d, "invono", r->invono);
	hg_nhsa_put_str(d, "mid_setl_flag", r->mid_setl_flag[0] != '\0' ?
	    r->mid_setl_flag : "0");
	if (r->has_split) {
		put_dec(d, "fulamt_ownpay_amt", r->fulamt_ownpay_amt,
		    HG_SCALE_FEN);
		put_dec(d, "overlmt_selfpay", r->overlmt_selfpay,
		    HG_SCALE_FEN);
		put_dec(d, "preselfpay_amt", r->preselfpay_amt, HG_SCALE_FEN);
		put_dec(d, "inscp_scp_amt", r->inscp_scp_amt, HG_SCALE_FEN);
	}
	return wrap("data", d);
}

int
hg_nhsa_setl_req_parse(struct json_object *d, struct hg_nhsa_setl_req *r,
    struct hg_err *err)
{
	memset(r, 0, sizeof *r);
	if (d == NULL || !json_object_is_type(d, json_type_object))
		return hg_fail(err, "输入节点[data]不能为空");
	if (req_str(d, "psn_no", "人员编号", r->psn_no, sizeof r->psn_no, 1,
	    err) == -1 ||
	    req_str(d, "mdtrt_cert_type", "就诊凭证类型", r->mdtrt_cert_type,
	    sizeof r->mdtrt_cert_type, 1, err) == -1 ||
	    req_str(d, "mdtrt_cert_no", "就诊凭证编号", r->mdtrt_cert_no,
	    sizeof r->mdtrt_cert_no, 0, err) == -1 ||
	    req_dec(d, "medfee_sumamt", "医疗费总额", HG_SCALE_FEN, 1,
	    &r->medfee_sumamt, err) == -1 ||
	    req_str(d, "psn_setlway", "个人结算方式", r->psn_setlway,
	    sizeof r->psn_setlway, 1, err) == -1 ||
	    req_str(d, "mdtrt_id", "就诊ID", r->mdtrt_id, sizeof r->mdtrt_id,
	    1, err) == -1 ||
	    req_str(d, "insutype", "险种类型", r->insutype,
	    sizeof r->insutype, 1, err) == -1 ||
	    req_str(d, "acct_used_flag", "个人账户使用标志", r->acct_used_flag,
	    sizeof r->acct_used_flag, 1, err) == -1 ||
	    req_str(d, "mid_setl_flag", "中途结算标志", r->mid_setl_flag,
	    sizeof r->mid_setl_flag, 1, err) == -1 ||
	    req_str(d, "invono", "发票号", r->invono, sizeof r->invono, 0,
	    err) == -1)
		return -1;
	r->has_split = hg_json_get_str(d, "inscp_scp_amt") != NULL;
	if (req_dec(d, "fulamt_ownpay_amt", "全自费金额", HG_SCALE_FEN, 0,
	    &r->fulamt_ownpay_amt, err) == -1 ||
	    req_dec(d, "overlmt_selfpay", "超限价自费费用", HG_SCALE_FEN, 0,
	    &r->overlmt_selfpay, err) == -1 ||
	    req_dec(d, "preselfpay_amt", "先行自付金额", HG_SCALE_FEN, 0,
	    &r->preselfpay_amt, err) == -1 ||
	    req_dec(d, "inscp_scp_amt", "符合政策范围金额", HG_SCALE_FEN, 0,
	    &r->inscp_scp_amt, err) == -1)
		return -1;
	return 0;
}

/* setlinfo, field by field.  Order is the order written. */
#define SSTR(f)	{ #f, offsetof(struct hg_nhsa_setl, f), \
	sizeof(((struct hg_nhsa_setl *)0)->f) }
#define SAMT(f, sc, req) { #f, offsetof(struct hg_nhsa_setl, f), sc, req }

static const struct setl_str {
	const char	*key;
	size_t		 off;
	size_t		 size;
} setl_head[] = {
	SSTR(setl_id), SSTR(mdtrt_id), SSTR(psn_no), SSTR(psn_name),
	SSTR(psn_cert_type), SSTR(certno), SSTR(gend), SSTR(insutype),
	SSTR(psn_type), SSTR(setl_time), SSTR(med_type), SSTR(setl_type),
}, setl_tail[] = {
	SSTR(medins_setl_id), SSTR(clr_optins), SSTR(clr_way), SSTR(clr_type),
	SSTR(refd_setl_flag), SSTR(revs_flag),
};

static const struct setl_amt {
	const char	*key;
	size_t		 off;
	int		 scale;
	int		 required;
} setl_amts[] = {
	SAMT(medfee_sumamt, HG_SCALE_FEN, 1),
	SAMT(fulamt_ownpay_amt, HG_SCALE_FEN, 0),
	SAMT(overlmt_selfpay, HG_SCALE_FEN, 0),
	SAMT(preselfpay_amt, HG_SCALE_FEN, 0),
	SAMT(inscp_scp_amt, HG_SCALE_FEN, 0),
	SAMT(act_pay_dedc, HG_SCALE_FEN, 0),
	SAMT(hifp_pay, HG_SCALE_FEN, 0),
	SAMT(pool_prop_selfpay, HG_SCALE_RATIO, 0),
	SAMT(cvlserv_pay, HG_SCALE_FEN, 0),
	SAMT(hifes_pay, HG_SCALE_FEN, 0),
	SAMT(hifmi_pay, HG_SCALE_FEN, 0),
	SAMT(hifob_pay, HG_SCALE_FEN, 0),
	SAMT(maf_pay, HG_SCALE_FEN, 0),
	SAMT(oth_pay, HG_SCALE_FEN, 0),
	SAMT(fund_pay_sumamt, HG_SCALE_FEN, 1),
	SAMT(psn_part_amt, HG_SCALE_FEN, 1),
	SAMT(acct_pay, HG_SCALE_FEN, 0),
	SAMT(psn_cash_pay, HG_SCALE_FEN, 0),
	SAMT(hosp_part_amt, HG_SCALE_FEN, 0),
	SAMT(balc, HG_SCALE_FEN, 0),
	SAMT(acct_mulaid_pay, HG_SCALE_FEN, 0),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
setl_strs_get(struct json_object *o, const struct setl_str *t, size_t n,
    struct hg_nhsa_setl *s, struct hg_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hg_nhsa_get_str(o, t[i].key, (char *)s + t[i].off,
		    t[i].size, 0, err) == -1)
			return -1;
	return 0;
}

static void
setl_strs_put(struct json_object *o, const struct setl_str *t, size_t n,
    const struct hg_nhsa_setl *s)
{
	const char *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = (const char *)s + t[i].off;
		if (v[0] != '\0')
			hg_nhsa_put_str(o, t[i].key, v);
	}
}

static int
detail_get(struct json_object *o, struct hg_nhsa_setldetail *d,
    struct hg_err *err)
{
	if (hg_nhsa_get_str(o, "fund_pay_type", d->fund_pay_type,
	    sizeof d->fund_pay_type, 1, err) == -1 ||
	    hg_json_get_dec(o, "inscp_scp_amt", HG_SCALE_FEN, 1,
	    &d->inscp_scp_amt, err) == -1 ||
	    hg_json_get_dec(o, "fund_payamt", HG_SCALE_FEN, 0,
	    &d->fund_payamt, err) == -1)
		return -1;
	get_text(o, "fund_pay_type_name", d->fund_pay_type_name,
	    sizeof d->fund_pay_type_name);
	get_text(o, "setl_proc_info", d->setl_proc_info,
	    sizeof d->setl_proc_info);
	d->has_crt_payb_lmt_amt = hg_json_get_str(o, "crt_payb_lmt_amt") !=
	    NULL;
	return hg_json_get_dec(o, "crt_payb_lmt_amt", HG_SCALE_FEN, 1,
	    &d->crt_payb_lmt_amt, err);
}

int
hg_nhsa_out_setl(struct json_object *output, struct hg_nhsa_setl *s,
    struct hg_err *err)
{
	struct json_object *info = node(output, "setlinfo");
	struct json_object *arr = node(output, "setldetail");
	size_t i, n;

	memset(s, 0, sizeof *s);
	if (info == NULL || !json_object_is_type(info, json_type_object))
		return hg_fail(err, "output.setlinfo missing");
	if (setl_strs_get(info, setl_head, NELEM(setl_head), s, err) == -1 ||
	    setl_strs_get(info, setl_tail, NELEM(setl_tail), s, err) == -1)
		goto fail;
	for (i = 0; i < NELEM(setl_amts); i++)
		if (hg_json_get_dec(info, setl_amts[i].key,
		    setl_amts[i].scale, !setl_amts[i].required,
		    (int64_t *)((char *)s + setl_amts[i].off), err) == -1)
			goto fail;
	if (arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return hg_fail(err, "output.setldetail is not an array");
	n = json_object_array_length(arr);
	if (n > HG_NHSA_MAXDETAIL)
		return hg_fail(err, "output.setldetail has %zu rows, at most "
		    "%d are understood", n, HG_NHSA_MAXDETAIL);
	for (i = 0; i < n; i++)
		if (detail_get(json_object_array_get_idx(arr, i),
		    &s->detail[i], err) == -1) {
			hg_err_prefix(err, "setldetail[%zu]", i);
			return -1;
		}
	s->ndetail = n;
	return 0;
fail:
	hg_err_prefix(err, "setlinfo");
	return -1;
}

struct json_object *
hg_nhsa_setl_json(const struct hg_nhsa_setl *s)
{
	struct json_object *out = json_object_new_object();
	struct json_object *info = json_object_new_object();
	struct json_object *arr = json_object_new_array(), *d;
	const struct hg_nhsa_setldetail *r;
	size_t i;

	setl_strs_put(info, setl_head, NELEM(setl_head), s);
	for (i = 0; i < NELEM(setl_amts); i++)
		put_dec(info, setl_amts[i].key,
		    *(const int64_t *)((const char *)s + setl_amts[i].off),
		    setl_amts[i].scale);
	setl_strs_put(info, setl_tail, NELEM(setl_tail), s);
	for (i = 0; i < s->ndetail; i++) {
		r = &s->detail[i];
		d = json_object_new_object();
		hg_nhsa_put_str(d, "fund_pay_type", r->fund_pay_type);
		hg_nhsa_put_str(d, "fund_pay_type_name",
		    r->fund_pay_type_name);
		put_dec(d, "inscp_scp_amt", r->inscp_scp_amt, HG_SCALE_FEN);
		json_object_object_add(d, "crt_payb_lmt_amt",
		    r->has_crt_payb_lmt_amt ? hg_json_dec(r->crt_payb_lmt_amt,
		    HG_SCALE_FEN) : NULL);
		put_dec(d, "fund_payamt", r->fund_payamt, HG_SCALE_FEN);
		json_object_object_add(d, "setl_proc_info",
		    r->setl_proc_info[0] != '\0' ?
		    json_object_new_string(r->setl_proc_info) : NULL);
		json_object_array_add(arr, d);
	}
	json_object_object_add(out, "setlinfo", info);
	json_object_object_add(out, "setldetail", arr);
	return out;
}

int
hg_nhsa_setl_check(const struct hg_nhsa_setl *s, struct hg_err *err)
{
	char a[HG_DECBUF], b[HG_DECBUF], c[HG_DECBUF], d[HG_DECBUF],
	    e[HG_DECBUF];

	if (s->medfee_sumamt != s->fulamt_ownpay_amt + s->overlmt_selfpay +
	    s->preselfpay_amt + s->inscp_scp_amt)
		return hg_fail(err, "medfee_sumamt %s != fulamt_ownpay_amt %s "
		    "+ overlmt_selfpay %s + preselfpay_amt %s + "
		    "inscp_scp_amt %s",
		    hg_dec_format(s->medfee_sumamt, 2, a),
		    hg_dec_format(s->fulamt_ownpay_amt, 2, b),
		    hg_dec_format(s->overlmt_selfpay, 2, c),
		    hg_dec_format(s->preselfpay_amt, 2, d),
		    hg_dec_format(s->inscp_scp_amt, 2, e));
	if (s->medfee_sumamt != s->fund_pay_sumamt + s->psn_part_amt +
	    s->hosp_part_amt)
		return hg_fail(err, "medfee_sumamt %s != fund_pay_sumamt %s + "
		    "psn_part_amt %s + hosp_part_amt %s",
		    hg_dec_format(s->medfee_sumamt, 2, a),
		    hg_dec_format(s->fund_pay_sumamt, 2, b),
		    hg_dec_format(s->psn_part_amt, 2, c),
		    hg_dec_format(s->hosp_part_amt, 2, d));
	if (s->psn_part_amt != s->acct_pay + s->psn_cash_pay)
		return hg_fail(err, "psn_part_amt %s != acct_pay %s + "
		    "psn_cash_pay %s", hg_dec_format(s->psn_part_amt, 2, a),
		    hg_dec_format(s->acct_pay, 2, b),
		    hg_dec_format(s->psn_cash_pay, 2, c));
	return 0;
}

void
hg_nhsa_setl_negate(struct hg_nhsa_setl *s)
{
	int64_t *v;
	size_t i;

	for (i = 0; i < NELEM(setl_amts); i++) {
		if (setl_amts[i].off == offsetof(struct hg_nhsa_setl,
		    pool_prop_selfpay) ||
		    setl_amts[i].off == offsetof(struct hg_nhsa_setl, balc))
			continue;
		v = (int64_t *)((char *)s + setl_amts[i].off);
		*v = -*v;
	}
	for (i = 0; i < s->ndetail; i++) {
		s->detail[i].inscp_scp_amt = -s->detail[i].inscp_scp_amt;
		s->detail[i].fund_payamt = -s->detail[i].fund_payamt;
		s->detail[i].crt_payb_lmt_amt =
		    -s->detail[i].crt_payb_lmt_amt;
	}
}

/* ---------------------------------------------------------------------- */
/* 2305, 2601, 5203 */

struct json_object *
hg_nhsa_in_2305(const char *mdtrt_id, const char *setl_id,
    const char *psn_no)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(d, "setl_id", setl_id);
	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "exp_content", "");
	return wrap("data", d);
}

struct json_object *
hg_nhsa_in_2601(const char *psn_no, const char *omsgid, const char *oinfno)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "omsgid", omsgid);
	hg_nhsa_put_str(d, "oinfno", oinfno);
	return wrap("data", d);
}

struct json_object *
hg_nhsa_in_5203(const char *psn_no, const char *setl_id,
    const char *mdtrt_id)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "setl_id", setl_id);
	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	return wrap("data", d);
}

struct json_object *
hg_nhsa_in_5203_msgid(const char *psn_no, const char *mdtrt_id,
    const char *medins_setl_id)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "psn_no", psn_no);
	hg_nhsa_put_str(d, "setl_id", "");
	hg_nhsa_put_str(d, "mdtrt_id", mdtrt_id);
	hg_nhsa_put_str(d, "medins_setl_id", medins_setl_id);
	return wrap("data", d);
}

/* ---------------------------------------------------------------------- */
/* 3201 */

struct json_object *
hg_nhsa_in_3201(const struct hg_nhsa_stmt_req *r)
{
	struct json_object *d = json_object_new_object();
	char cnt[HG_DECBUF];

	hg_nhsa_put_str(d, "insutype", r->insutype);
	hg_nhsa_put_str(d, "clr_type", r->clr_type);
	hg_nhsa_put_str(d, "setl_optins", r->setl_optins);
	hg_nhsa_put_str(d, "stmt_begndate", r->stmt_begndate);
	hg_nhsa_put_str(d, "stmt_enddate", r->stmt_enddate);
	put_dec(d, "medfee_sumamt", r->medfee_sumamt, HG_SCALE_FEN);
	put_dec(d, "fund_pay_sumamt", r->fund_pay_sumamt, HG_SCALE_FEN);
	put_dec(d, "acct_pay", r->acct_pay, HG_SCALE_FEN);
	json_object_object_add(d, "fixmedins_setl_cnt",
	    json_object_new_double_s((double)r->fixmedins_setl_cnt,
	    hg_dec_format(r->fixmedins_setl_cnt, 0, cnt)));
	hg_nhsa_put_str(d, "refd_setl_flag", r->refd_setl_flag);
	return wrap("data", d);
}

int
hg_nhsa_stmt_req_parse(struct json_object *d, struct hg_nhsa_stmt_req *r,
    struct hg_err *err)
{
	memset(r, 0, sizeof *r);
	if (d == NULL || !json_object_is_type(d, json_type_object))
		return hg_fail(err, "输入节点[data]不能为空");
	if (req_str(d, "insutype", "险种", r->insutype, sizeof r->insutype, 1,
	    err) == -1 ||
	    req_str(d, "clr_type", "清算类别", r->clr_type,
	    sizeof r->clr_type, 1, err) == -1 ||
	    req_str(d, "setl_optins", "结算经办机构", r->setl_optins,
	    sizeof r->setl_optins, 0, err) == -1 ||
	    req_str(d, "stmt_begndate", "对账开始日期", r->stmt_begndate,
	    sizeof r->stmt_begndate, 1, err) == -1 ||
	    req_str(d, "stmt_enddate", "对账结束日期", r->stmt_enddate,
	    sizeof r->stmt_enddate, 1, err) == -1 ||
	    req_dec(d, "medfee_sumamt", "医疗费总额", HG_SCALE_FEN, 1,
	    &r->medfee_sumamt, err) == -1 ||
	    req_dec(d, "fund_pay_sumamt", "基金支付总额", HG_SCALE_FEN, 1,
	    &r->fund_pay_sumamt, err) == -1 ||
	    req_dec(d, "acct_pay", "个人账户支付金额", HG_SCALE_FEN, 1,
	    &r->acct_pay, err) == -1 ||
	    req_dec(d, "fixmedins_setl_cnt", "定点医药机构结算笔数", 0, 1,
	    &r->fixmedins_setl_cnt, err) == -1 ||
	    req_str(d, "refd_setl_flag", "退费结算标志", r->refd_setl_flag,
	    sizeof r->refd_setl_flag, 0, err) == -1)
		return -1;
	return 0;
}

int
hg_nhsa_out_3201(struct json_object *output, struct hg_nhsa_stmt_result *res,
    struct hg_err *err)
{
	struct json_object *s = node(output, "stmtinfo");

	memset(res, 0, sizeof *res);
	if (s == NULL)
		return hg_fail(err, "3201: output.stmtinfo missing");
	if (hg_nhsa_get_str(s, "stmt_rslt", res->stmt_rslt,
	    sizeof res->stmt_rslt, 1, err) == -1) {
		hg_err_prefix(err, "3201: stmtinfo");
		return -1;
	}
	get_text(s, "setl_optins", res->setl_optins, sizeof res->setl_optins);
	get_text(s, "stmt_rslt_dscr", res->stmt_rslt_dscr,
	    sizeof res->stmt_rslt_dscr);
	return 0;
}
