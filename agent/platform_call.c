/* One call to the platform (agent/platform.h): sign-in (9001) when needed,
 * msgid, envelope, journal, POST through platform_http.c, parse and
 * classify; one more try after a fresh sign-in when the answer asks. */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "agent/platform.h"
#include "agent/platform_int.h"
#include "agent/web.h"
#include "lib/access.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define COMP		"platform"

/* Does this answer call for a fresh sign-in and one more try?  Whether
 * a sign-in expired is never read from the text (platforms word it
 * differently): any refusal (-2 or another failure code) means the
 * platform did nothing with the call, so signing in again and sending it
 * once more under a new msgid is safe for every infno, and a system error
 * (-1) is safe to retry for a call that only asks.  A refusal that was
 * not about the sign-in is simply refused again. */
static int
retry_after_signin(const char *infno, const struct hg_nhsa_resp *r)
{
	if (r->cls == HG_NHSA_OK)
		return 0;
	return r->cls != HG_NHSA_SYSERR || hg_nhsa_is_query(infno);
}

/* One attempt: msgid, envelope, journal, POST, parse. */
static enum hg_call_outcome
attempt(struct hg_platform *p, const char *infno, const char *insuplc,
    struct json_object *input, const char *sign_no,
    const struct hg_journal *j, struct hg_call *call)
{
	struct hg_nhsa_hdr hdr = p->sh->hdr;
	struct json_object *env;
	enum hg_call_outcome oc;
	const char *state;
	char *body;

	if (hg_nhsa_msgid(&p->sh->msgid, time(NULL), call->msgid) == -1) {
		call->err = p->sh->msgid.err;
		return call->outcome = HG_CALL_NOTSENT;
	}
	hdr.sign_no = sign_no;
	env = hg_nhsa_envelope(&hdr, infno, call->msgid, insuplc, time(NULL),
	    json_object_get(input));
	if (hg_signer_envelope(p->sh->signer, env, &call->err) == -1) {
		json_object_put(env);
		return call->outcome = HG_CALL_NOTSENT;
	}
	body = hg_nhsa_json_text(env);
	json_object_put(env);
	/* Journal first: a request that is not on disk is not sent. */
	if (j != NULL && j->sent != NULL && j->sent(j->arg, infno,
	    call->msgid, body, &call->err) == -1) {
		free(body);
		return call->outcome = HG_CALL_NOTSENT;
	}
	oc = pf_post(p, infno, body, &call->err);
	free(body);
	if (oc == HG_CALL_OK) {
		if (hg_nhsa_resp_parse(p->buf ? p->buf : "", p->len,
		    &call->resp, &call->err) == -1) {
			hg_err_prefix(&call->err, "%s", infno);
			oc = HG_CALL_UNKNOWN;
		} else {
			call->have_resp = 1;
			hg_clock_skew_note(&p->sh->clock,
			    call->resp.respond_time, time(NULL));
			switch (call->resp.cls) {
			case HG_NHSA_OK:
				break;
			case HG_NHSA_SYSERR:
				oc = HG_CALL_UNKNOWN;
				hg_failt(&call->err, "%s: infcode -1 (outcome "
				    "unknown): %s", infno, call->resp.err_msg);
				break;
			default:
				oc = HG_CALL_REFUSED;
				hg_fail(&call->err, "%s: infcode %lld: %s",
				    infno, (long long)call->resp.infcode,
				    call->resp.err_msg);
				/* A msgid is never sent twice (the sequence
				 * is shared and kept on disk, and the outbox
				 * holds each once): a refusal is a refusal. */
				break;
			}
		}
	}
	state = oc == HG_CALL_OK ? "ok" : oc == HG_CALL_UNKNOWN ? "unknown" :
	    "failed";
	if (j != NULL && j->answered != NULL)
		j->answered(j->arg, call->msgid, state, p->len > 0 ? p->buf :
		    NULL, oc == HG_CALL_OK ? NULL : call->err.msg);
	return call->outcome = oc;
}

static int
do_signin(struct hg_platform *p, struct hg_err *err)
{
	struct json_object *in;
	struct hg_call c;
	char sign_no[HG_NHSA_IDBUF];
	enum hg_call_outcome oc;
	int rc = -1;

	memset(&c, 0, sizeof c);
	snprintf(c.infno, sizeof c.infno, "9001");
	in = hg_nhsa_in_9001(p->sh->conf->opter, "", "127.0.0.1");
	oc = attempt(p, "9001", NULL, in, "", NULL, &c);
	json_object_put(in);
	if (oc != HG_CALL_OK) {
		*err = c.err;
		/* a sign-in has no lasting effect: whatever went wrong,
		 * nothing else was sent */
		err->kind = HG_ETEMP;
		hg_err_prefix(err, "sign-in (9001)");
		goto out;
	}
	if (hg_nhsa_out_9001(c.resp.output, sign_no, NULL, err) == -1) {
		err->kind = HG_ETEMP;
		goto out;
	}
	snprintf(p->sh->sign_no, sizeof p->sh->sign_no, "%s", sign_no);
	p->sh->signin_gen++;
	log_info(COMP, "signed in as %s (9001)", p->sh->conf->opter);
	rc = 0;
out:
	hg_web_platform_signin(rc == 0 ? NULL : err);
	hg_call_free(&c);
	return rc;
}

int
hg_platform_signin(struct hg_platform *p, struct hg_err *err)
{
	int rc = 0;

	/* One sign-in at a time: the others wait for its sign_no rather
	 * than each signing in. */
	pthread_mutex_lock(&p->sh->lock);
	if (p->sh->sign_no[0] == '\0')
		rc = do_signin(p, err);
	pthread_mutex_unlock(&p->sh->lock);
	return rc;
}

enum hg_call_outcome
hg_platform_call(struct hg_platform *p, const char *infno,
    const char *insuplc_admdvs, struct json_object *input,
    const struct hg_journal *j, struct hg_call *call)
{
	char sign_no[HG_NHSA_IDBUF];
	unsigned gen;
	int tries;

	memset(call, 0, sizeof *call);
	snprintf(call->infno, sizeof call->infno, "%s", infno);
	for (tries = 0; tries < 2; tries++) {
		if (hg_platform_signin(p, &call->err) == -1) {
			call->outcome = HG_CALL_NOTSENT;
			break;
		}
		pthread_mutex_lock(&p->sh->lock);
		snprintf(sign_no, sizeof sign_no, "%s", p->sh->sign_no);
		gen = p->sh->signin_gen;
		pthread_mutex_unlock(&p->sh->lock);
		attempt(p, infno, insuplc_admdvs, input, sign_no, j, call);
		if (!call->have_resp || !retry_after_signin(infno,
		    &call->resp) || tries > 0)
			break;
		/* The platform did nothing with the call (refused), or it
		 * only asked: sign in again (unless another thread already
		 * did) and send once more, under a new msgid.  An expired
		 * sign-in is one reason for a refusal; which one it was is
		 * not read from the text. */
		log_notice(COMP, "%s refused (infcode %lld); signing in again "
		    "and trying once more", infno,
		    (long long)call->resp.infcode);
		pthread_mutex_lock(&p->sh->lock);
		if (p->sh->signin_gen == gen)
			p->sh->sign_no[0] = '\0';
		pthread_mutex_unlock(&p->sh->lock);
		hg_call_free(call);
		memset(call, 0, sizeof *call);
		snprintf(call->infno, sizeof call->infno, "%s", infno);
	}
	json_object_put(input);
	return call->outcome;
}

void
hg_call_free(struct hg_call *call)
{
	if (call->have_resp)
		hg_nhsa_resp_free(&call->resp);
	call->have_resp = 0;
}
