/* t/sign.sh's window on lib/sign*.c: each sub-command computes one thing
 * so the shell test can compare it with OpenSSL's command line.
 *   signtool digest MD FILE | hmac MD KEY FILE | sm4 HEXKEY enc|dec FILE
 *   signtool sm2sign KEY ID FILE SIGOUT | sm2verify PUB ID FILE SIG
 *   signtool tif TS TOKEN NONCE | xca SECRET TS FILE
 *   signtool csb DIGEST SECRET K=V...
 *   signtool wrap APPID SECRET KEY ID TS FILE | open APPID SECRET PUB ID FILE */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sign.h"
#include "lib/sign_env.h"
#include "lib/xmalloc.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		exit(2);
	}
	rewind(f);
	buf = hg_xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
hexout(const unsigned char *b, size_t n)
{
	char *h = hg_xmalloc(2 * n + 1);

	hg_hex(b, n, 0, h);
	puts(h);
	free(h);
}

static int
die(const struct hg_err *err)
{
	fprintf(stderr, "signtool: %s\n", err->msg);
	return 1;
}

int
main(int argc, char **argv)
{
	struct hg_err err;
	unsigned char mac[EVP_MAX_MD_SIZE], key[16], *out;
	char hex[HG_SIGN_MAXHEX], *data, *s, *ts, buf[256];
	struct hg_sm4sm2 c;
	EVP_PKEY *pk;
	size_t len, n;
	unsigned int b;
	int i;

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "digest") == 0 && argc == 4) {
		data = slurp(argv[3], &len);
		if (hg_digest_hex(argv[2], data, len, hex, &err) == -1)
			return die(&err);
		puts(hex);
	} else if (strcmp(argv[1], "hmac") == 0 && argc == 5) {
		data = slurp(argv[4], &len);
		if (hg_hmac(argv[2], argv[3], strlen(argv[3]), data, len, mac,
		    &n, &err) == -1)
			return die(&err);
		hexout(mac, n);
	} else if (strcmp(argv[1], "sm4") == 0 && argc == 5) {
		for (i = 0; i < 16; i++) {
			if (sscanf(argv[2] + 2 * i, "%2x", &b) != 1)
				return 2;
			key[i] = (unsigned char)b;
		}
		data = slurp(argv[4], &len);
		if (hg_sm4_ecb(key, strcmp(argv[3], "enc") == 0,
		    (unsigned char *)data, len, &out, &n, &err) == -1)
			return die(&err);
		hexout(out, n);
	} else if (strcmp(argv[1], "sm2sign") == 0 && argc == 6) {
		FILE *f;

		data = slurp(argv[4], &len);
		if (hg_sm2_load(argv[2], 1, &pk, &err) == -1 ||
		    hg_sm2_sign(pk, argv[3], data, len, &out, &n, &err) == -1)
			return die(&err);
		if ((f = fopen(argv[5], "wb")) == NULL ||
		    fwrite(out, 1, n, f) != n || fclose(f) != 0)
			return 2;
	} else if (strcmp(argv[1], "sm2verify") == 0 && argc == 6) {
		data = slurp(argv[4], &len);
		s = slurp(argv[5], &n);
		if (hg_sm2_load(argv[2], 0, &pk, &err) == -1 ||
		    hg_sm2_verify(pk, argv[3], data, len,
		    (unsigned char *)s, n, &err) == -1)
			return die(&err);
		puts("verified");
	} else if (strcmp(argv[1], "tif") == 0 && argc == 5) {
		if (hg_sign_tif(argv[2], argv[3], argv[4], hex, &err) == -1)
			return die(&err);
		puts(hex);
	} else if (strcmp(argv[1], "xca") == 0 && argc == 5) {
		data = slurp(argv[4], &len);
		if (hg_sign_xca(argv[2], argv[3], data, len, buf, sizeof buf,
		    &err) == -1)
			return die(&err);
		puts(buf);
	} else if (strcmp(argv[1], "csb") == 0 && argc >= 4) {
		const char *k[32], *v[32];

		for (i = 4; i < argc && i - 4 < 32; i++) {
			k[i - 4] = hg_xstrdup(argv[i]);
			if ((s = strchr(k[i - 4], '=')) == NULL)
				return 2;
			*s = '\0';
			v[i - 4] = s + 1;
		}
		if (hg_sign_csb(argv[2], argv[3], k, v, (size_t)(argc - 4),
		    &s, &err) == -1)
			return die(&err);
		puts(s);
	} else if (strcmp(argv[1], "wrap") == 0 && argc == 8) {
		data = slurp(argv[7], &len);
		c = (struct hg_sm4sm2){ argv[2], argv[3], "1.0.0", argv[5],
		    NULL };
		if (hg_sm2_load(argv[4], 1, &c.key, &err) == -1 ||
		    hg_sm4sm2_wrap(&c, argv[6], data, &s, &err) == -1)
			return die(&err);
		puts(s);
	} else if (strcmp(argv[1], "open") == 0 && argc == 7) {
		data = slurp(argv[6], &len);
		c = (struct hg_sm4sm2){ argv[2], argv[3], "1.0.0", argv[5],
		    NULL };
		if (hg_sm2_load(argv[4], 0, &c.key, &err) == -1 ||
		    hg_sm4sm2_open(&c, data, len, &s, &ts, &err) == -1)
			return die(&err);
		printf("%s %s\n", ts, s);
	} else if (strcmp(argv[1], "datakey") == 0 && argc == 4) {
		if (hg_sm4sm2_datakey(argv[2], argv[3], key, &err) == -1)
			return die(&err);
		printf("%.16s\n", (char *)key);
	} else
		return 2;
	return 0;
}
