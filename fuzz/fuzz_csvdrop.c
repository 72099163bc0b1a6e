/* The csvdrop adapter end to end on one export, dry: decoding,
 * tokenizing, the column map, field normalisation, grouping into bills,
 * and the sink's validation must survive any bytes. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "adapters/adapter.h"
#include "agent/validate.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

const char *hg_fuzz_name = "csvdrop";
const int hg_fuzz_mutations = 60;	/* each round is a directory and fsyncs */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const struct hg_adapter_ops hg_adapter_csvdrop;

static int
dry_commit(struct hg_sink *sink, struct hg_bill *const *bills, size_t n,
    const char *cursor, struct hg_verdict *v, struct hg_err *err)
{
	struct hg_validate_opts o;
	size_t i;

	hg_validate_defaults(&o);
	memset(v, 0, n * sizeof *v);
	for (i = 0; i < n; i++) {
		free(hg_bill_to_json(bills[i]));
		hg_validate(bills[i], &o, &v[i].problems, &v[i].nproblems);
		v[i].state = v[i].nproblems ? HG_V_INVALID : HG_V_READY;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/hgfuzz-drop.XXXXXX", *path, *text, *cmd;
	const struct hg_adapter_ops *ops = &hg_adapter_csvdrop;
	struct hg_conf_errs errs = { NULL, 0 };
	struct hg_sink sink;
	struct hg_adapter a;
	struct hg_err err;
	config_t cfg;
	FILE *fp;

	hg_log_set_level(HG_LOG_ERR);	/* bad input is its business */
	if (mkdtemp(dir) == NULL)
		return 0;
	path = hg_xasprintf("%s/export.csv", dir);
	fp = fopen(path, "wb");
	if (fp != NULL) {
		fwrite(data, 1, size, fp);
		fclose(fp);
	}
	memset(&a, 0, sizeof a);
	memset(&sink, 0, sizeof sink);
	sink.commit = dry_commit;
	sink.dry = 1;
	a.ops = ops;
	a.name = "fuzz";
	a.conf_file = "fuzz.conf";
	a.sink = &sink;
	a.conf = hg_xcalloc(1, ops->conf_size);
	hg_conf_defaults(ops->config_map, a.conf);
	text = hg_xasprintf("dir = \"%s\"; stable_seconds = 0;", dir);
	config_init(&cfg);
	if (config_read_string(&cfg, text) == CONFIG_TRUE &&
	    hg_conf_apply(ops->config_map, config_root_setting(&cfg), NULL,
	    a.conf, "fuzz.conf", &errs) == 0 &&
	    (ops->check == NULL || ops->check(&a, &errs, 1) == 0) &&
	    errs.n == 0 && ops->init(&a, &err) == 0) {
		(void)ops->poll(&a, &err);
		ops->destroy(&a);
	}
	config_destroy(&cfg);
	hg_conf_errs_free(&errs);
	hg_conf_free(ops->config_map, a.conf);
	free(a.conf);
	free(text);
	free(path);
	cmd = hg_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
	free(cmd);
	return 0;
}
