/* The web server's login: an Authorization header from anyone on the
 * network, checked against a users file.  Neither may crash; a header
 * may log in only with the right password; the input read as a users
 * file must load or be refused, never crash. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/web_int.h"
#include "fuzz/tmpfile.h"

const char *hg_fuzz_name = "web_auth";
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "pw" hashed with few rounds: the harness runs in make check */
static const char users_text[] =
	"nurse:$6$rounds=1000$fuzzsalt$LH7ZpGaK213zXN5BMXqRLAuuPlkWJQOI9sLP"
	"f6IHJaBz7LBnBDXzPUrv7.pFBP0Amjnpu.BYvyyJvdgYFFWrC1:胸外科\n";

static struct hg_web_users *users;

/* Load text as a users file (mkstemp makes it 0600, as required). */
static int
load(const void *data, size_t size, struct hg_web_users **out)
{
	char path[HG_FUZZ_PATHLEN];
	struct hg_err err;
	int rc;

	*out = NULL;
	if (hg_fuzz_file(data, size, path) == -1)
		return -1;
	rc = hg_web_users_load(path, out, &err);
	unlink(path);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_web_users *u;
	const char *ward, *name;
	char *s;

	if (users == NULL && load(users_text, strlen(users_text), &users) == -1)
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* "nurse:pw" (base64 bnVyc2U6cHc=) is the only way in */
	if (hg_web_users_check(users, s, &ward, &name) == 0 &&
	    (strstr(s, "bnVyc2U6cH") == NULL || ward == NULL ||
	    strcmp(ward, "胸外科") != 0))
		abort();
	if (load(data, size, &u) == 0)
		hg_web_users_free(u);
	free(s);
	return 0;
}
