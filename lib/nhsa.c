/* The national interface codec: see nhsa.h for the API and the msgid
 * design.  This file: the helpers the codec files share (nhsa_int.h), the
 * envelope, msgids, responses and 9001 sign-in.  The messages are in
 * nhsa_visit.c (person and visit: 1101, 2401..2405, 5201), nhsa_fee.c
 * (2301, 2302), nhsa_setl.c (2303..2305, 2601, 5203, 3201) and
 * nhsa_stmt.c (3202 and its files). */
#include "config.h"

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonx.h"
#include "lib/money.h"
#include "lib/nhsa.h"
#include "lib/nhsa_int.h"
#include "lib/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* small helpers */

void
hg_nhsa_put_str(struct json_object *obj, const char *key, const char *v)
{
	json_object_object_add(obj, key, json_object_new_string(v != NULL ?
	    v : ""));
}

void
nh_put_dec(struct json_object *obj, const char *key, int64_t v, int scale)
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
void
nh_get_text(struct json_object *obj, const char *key, char *buf, size_t size)
{
	const char *s = hg_json_get_str(obj, key);

	snprintf(buf, size, "%s", s != NULL ? s : "");
}

/* The receiver's reading of a field: the platform's own wording, with the
 * field name in brackets, e.g. "人员编号[psn_no]不能为空". */
int
hg_nhsa_req_str(struct json_object *obj, const char *key, const char *label,
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

int
nh_req_dec(struct json_object *obj, const char *key, const char *label,
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

struct json_object *
nh_node(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

struct json_object *
nh_wrap(const char *name, struct json_object *v)
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
	static const char *const queries[] = { "1101", "2303", "5201",
	    "5203", "3201", "3202", "9001" };
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

/* The state file beside the outbox.  One that root creates (doctor or
 * a CLI command run as root before the first start) is given to the
 * owner of its directory, the service user, or the daemon could not
 * open it later. */
static int
open_state(struct hg_nhsa_msgid_gen *g, const char *path, struct hg_err *err)
{
	struct stat st;
	char *dir, *slash;
	int e;

	g->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (g->fd != -1 && geteuid() == 0) {
		dir = hg_xstrdup(path);
		slash = strrchr(dir, '/');
		if (slash == NULL)
			strcpy(dir, ".");
		else
			slash[slash == dir] = '\0';
		if (stat(dir, &st) == 0 && st.st_uid != 0 &&
		    fchown(g->fd, st.st_uid, st.st_gid) == -1) {
			/* left to root: the daemon's open says so */
		}
		free(dir);
	}
	if (g->fd == -1 && errno == EEXIST)
		g->fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->fd != -1)
		return 0;
	e = errno;
	if (e == EACCES && stat(path, &st) == 0)
		return hg_failt(err, "msgid state %s: %s (owner uid %u, gid "
		    "%u, mode %04o): chown it to the service user that runs "
		    "hisgate", path, strerror(e), (unsigned)st.st_uid,
		    (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
	return hg_failt(err, "msgid state %s: %s", path, strerror(e));
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
	if (state_path != NULL && open_state(g, state_path, err) == -1)
		return -1;
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
	nh_get_text(root, "inf_refmsgid", r->inf_refmsgid,
	    sizeof r->inf_refmsgid);
	nh_get_text(root, "refmsg_time", r->refmsg_time, sizeof r->refmsg_time);
	nh_get_text(root, "respond_time", r->respond_time,
	    sizeof r->respond_time);
	nh_get_text(root, "err_msg", r->err_msg, sizeof r->err_msg);
	nh_get_text(root, "warn_msg", r->warn_msg, sizeof r->warn_msg);
	out = nh_node(root, "output");
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
/* 9001 */

struct json_object *
hg_nhsa_in_9001(const char *opter_no, const char *mac, const char *ip)
{
	struct json_object *d = json_object_new_object();

	hg_nhsa_put_str(d, "opter_no", opter_no);
	hg_nhsa_put_str(d, "mac", mac);
	hg_nhsa_put_str(d, "ip", ip);
	return nh_wrap("signIn", d);
}

int
hg_nhsa_out_9001(struct json_object *output, char sign_no[HG_NHSA_IDBUF],
    char sign_time[HG_NHSA_TIMEBUF], struct hg_err *err)
{
	struct json_object *s = nh_node(output, "signinoutb");

	if (s == NULL)
		return hg_fail(err, "9001: output.signinoutb missing");
	if (hg_nhsa_get_str(s, "sign_no", sign_no, HG_NHSA_IDBUF, 1,
	    err) == -1)
		return -1;
	if (sign_time != NULL)
		nh_get_text(s, "sign_time", sign_time, HG_NHSA_TIMEBUF);
	return 0;
}
