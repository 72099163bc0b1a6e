/* What the operators' actions are made of (web_int.h): the POSTed form,
 * decoded, and the one-time tokens of their confirmation pages.
 *
 * A browser sends the operator's Basic credentials with any request to
 * this server, a forged one from another site's page too; so a POST does
 * something only with a token this server gave out on a confirmation page
 * to the same user, for the same action on the same bill or row, at most
 * a few minutes before, and only once.  Tokens are kept here (the server
 * has one thread), not signed: a restart forgets them, and a person opens
 * the page again. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "agent/web_int.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define TOK_TTL_MS	(10 * 60 * 1000)

int
hg_web_form_parse(struct hg_web_form *f, const char *body, size_t len)
{
	char *p, *next, *eq, *q;

	memset(f, 0, sizeof *f);
	if (memchr(body, '\0', len) != NULL)
		return -1;
	f->buf = hg_xmalloc(len + 1);
	memcpy(f->buf, body, len);
	f->buf[len] = '\0';
	for (p = f->buf; *p != '\0'; p = next) {
		if ((next = strchr(p, '&')) != NULL)
			*next++ = '\0';
		else
			next = p + strlen(p);
		if (*p == '\0')
			continue;
		if (f->n == HG_WEB_FIELDS)
			return -1;
		for (q = p; *q != '\0'; q++)
			if (*q == '+')
				*q = ' ';
		if ((eq = strchr(p, '=')) != NULL)
			*eq++ = '\0';
		else
			eq = p + strlen(p);
		/* "%00" would cut a value short where a check looks */
		if (MHD_http_unescape(p) != strlen(p) ||
		    MHD_http_unescape(eq) != strlen(eq))
			return -1;
		f->key[f->n] = p;
		f->val[f->n++] = eq;
	}
	return 0;
}

const char *
hg_web_form_get(const struct hg_web_form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->key[i], key) == 0)
			return f->val[i];
	return "";
}

void
hg_web_form_free(struct hg_web_form *f)
{
	free(f->buf);
	memset(f, 0, sizeof *f);
}

static void
tok_clear(struct hg_web_tok *t)
{
	free(t->user);
	free(t->what);
	memset(t, 0, sizeof *t);
}

void
hg_web_token_new(struct hg_web *w, const char *user, const char *what,
    char out[HG_WEB_TOKLEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[(HG_WEB_TOKLEN - 1) / 2];
	struct hg_web_tok *t = &w->toks[0];
	int64_t now = hg_now_ms();
	size_t i;

	/* a free or expired slot, else the one that expires first */
	for (i = 0; i < HG_WEB_TOKENS; i++) {
		if (w->toks[i].until_ms <= now) {
			t = &w->toks[i];
			break;
		}
		if (w->toks[i].until_ms < t->until_ms)
			t = &w->toks[i];
	}
	tok_clear(t);
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		/* no token: the page's form is refused, nothing is done */
		log_error("web", "no random bytes for a confirmation token");
		out[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof rnd; i++) {
		t->tok[2 * i] = hex[rnd[i] >> 4];
		t->tok[2 * i + 1] = hex[rnd[i] & 15];
	}
	t->tok[2 * sizeof rnd] = '\0';
	t->user = hg_xstrdup(user);
	t->what = hg_xstrdup(what);
	t->until_ms = now + TOK_TTL_MS;
	memcpy(out, t->tok, HG_WEB_TOKLEN);
}

int
hg_web_token_use(struct hg_web *w, const char *user, const char *what,
    const char *tok)
{
	int64_t now = hg_now_ms();
	size_t i;

	if (strlen(tok) != HG_WEB_TOKLEN - 1)
		return -1;
	for (i = 0; i < HG_WEB_TOKENS; i++) {
		struct hg_web_tok *t = &w->toks[i];

		if (t->until_ms <= now ||
		    CRYPTO_memcmp(t->tok, tok, HG_WEB_TOKLEN - 1) != 0)
			continue;
		/* a token shown to someone else, or for another bill, is
		 * not this one's; it stays for its own page */
		if (strcmp(t->user, user) != 0 || strcmp(t->what, what) != 0)
			return -1;
		tok_clear(t);
		return 0;
	}
	return -1;
}

void
hg_web_tokens_free(struct hg_web *w)
{
	size_t i;

	for (i = 0; i < HG_WEB_TOKENS; i++)
		tok_clear(&w->toks[i]);
}
