/* The web server's users file: one "name:hash[:ward]" a line, where hash
 * is a crypt(3) string with its own salt ("$y$..." yescrypt from
 * mkpasswd, "$6$..." SHA-512 from `openssl passwd -6`) and ward, when
 * given, is the one department (dept_name) that user's page shows.  The
 * file must be readable by its owner only, like every secret of the
 * agent.  Checked over HTTP Basic: off the loopback, over HTTPS
 * (web_tls.c) or a TLS proxy. */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "agent/platform.h"
#include "agent/web_int.h"
#include "lib/xmalloc.h"

struct web_user {
	char	*name;
	char	*hash;
	char	*ward;		/* NULL: every ward */
};

struct hg_web_users {
	struct web_user *v;
	size_t	 n;
};

void
hg_web_users_free(struct hg_web_users *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++) {
		free(u->v[i].name);
		free(u->v[i].hash);
		free(u->v[i].ward);
	}
	free(u->v);
	free(u);
}

size_t
hg_web_users_count(const struct hg_web_users *u)
{
	return u != NULL ? u->n : 0;
}

/* One line, without its newline: 0, or -1 with err naming what is wrong
 * (the caller adds file and line). */
static int
parse_line(char *line, struct web_user *out, struct hg_err *err)
{
	char *name = line, *hash, *ward;

	if ((hash = strchr(name, ':')) == NULL)
		return hg_fail(err, "expected name:hash[:ward], found no ':'");
	*hash++ = '\0';
	if ((ward = strchr(hash, ':')) != NULL)
		*ward++ = '\0';
	if (name[0] == '\0')
		return hg_fail(err, "the user name is empty");
	if (hash[0] != '$' || strlen(hash) < 8)
		return hg_fail(err, "user %s: the hash must be a salted "
		    "crypt(3) string such as \"$6$...\" (openssl passwd -6) "
		    "or \"$y$...\" (mkpasswd -m yescrypt), not a password",
		    name);
	out->name = hg_xstrdup(name);
	out->hash = hg_xstrdup(hash);
	out->ward = ward != NULL && ward[0] != '\0' ? hg_xstrdup(ward) : NULL;
	return 0;
}

int
hg_web_users_load(const char *path, struct hg_web_users **out,
    struct hg_err *err)
{
	struct hg_web_users *u;
	struct hg_err lerr;
	char line[1024];
	FILE *fp;
	size_t cap = 0;
	int lineno = 0;

	*out = NULL;
	if (hg_secret_file_check(path, err) == -1)
		return -1;
	if ((fp = fopen(path, "r")) == NULL)
		return hg_fail(err, "%s: %s", path, strerror(errno));
	u = hg_xcalloc(1, sizeof *u);
	while (fgets(line, sizeof line, fp) != NULL) {
		size_t len = strlen(line);

		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			hg_fail(err, "%s:%d: line longer than %zu bytes", path,
			    lineno, sizeof line - 2);
			goto fail;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (u->n == cap) {
			cap = cap ? cap * 2 : 8;
			u->v = hg_xrealloc(u->v, cap, sizeof *u->v);
		}
		if (parse_line(line, &u->v[u->n], &lerr) == -1) {
			hg_fail(err, "%s:%d: %s", path, lineno, lerr.msg);
			goto fail;
		}
		u->n++;
	}
	fclose(fp);
	if (u->n == 0) {
		hg_web_users_free(u);
		return hg_fail(err, "%s: no users (one name:hash[:ward] a "
		    "line)", path);
	}
	*out = u;
	return 0;
fail:
	fclose(fp);
	hg_web_users_free(u);
	return -1;
}

/* "Basic dXNlcjpwYXNz" -> "user", "pass" in buf (NUL-terminated). */
static int
basic_decode(const char *authz, char *buf, size_t len, char **pass)
{
	size_t n;
	int got;

	if (authz == NULL || strncasecmp(authz, "Basic ", 6) != 0)
		return -1;
	authz += 6;
	while (*authz == ' ')
		authz++;
	n = strlen(authz);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 + 1 > len)
		return -1;
	got = EVP_DecodeBlock((unsigned char *)buf,
	    (const unsigned char *)authz, (int)n);
	if (got < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as data */
	if (n >= 1 && authz[n - 1] == '=')
		got--;
	if (n >= 2 && authz[n - 2] == '=')
		got--;
	buf[got] = '\0';
	if (strlen(buf) != (size_t)got || (*pass = strchr(buf, ':')) == NULL)
		return -1;
	*(*pass)++ = '\0';
	return 0;
}

int
hg_web_users_check(const struct hg_web_users *u, const char *authz,
    const char **ward, const char **name)
{
	struct crypt_data *cd;
	char buf[768], *pass;
	const char *h;
	size_t i;
	int rc = -1;

	*ward = *name = NULL;
	if (u == NULL || basic_decode(authz, buf, sizeof buf, &pass) == -1)
		return -1;
	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, buf) == 0)
			break;
	cd = hg_xcalloc(1, sizeof *cd);
	/* An unknown user costs a hash too, so timing does not tell
	 * which names exist. */
	h = crypt_r(pass, i < u->n ? u->v[i].hash : u->v[0].hash, cd);
	if (i < u->n && h != NULL && h[0] != '*' &&
	    strlen(h) == strlen(u->v[i].hash) &&
	    CRYPTO_memcmp(h, u->v[i].hash, strlen(h)) == 0) {
		*ward = u->v[i].ward;
		*name = u->v[i].name;
		rc = 0;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	OPENSSL_cleanse(cd, sizeof *cd);
	free(cd);
	return rc;
}
