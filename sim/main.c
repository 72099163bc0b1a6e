/* hisgate-platform-sim: a provincial medical-insurance platform for tests,
 * demos and offline training.  See hisgate-platform-sim(1). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "sim/conf.h"
#include "sim/dialect.h"
#include "sim/fault.h"
#include "sim/ledger.h"
#include "sim/platform.h"
#include "sim/server.h"
#include "sim/verify.h"

#define COMP "sim"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hisgate-platform-sim --listen ADDR:PORT --policy FILE "
	    "--catalogue FILE\n"
	    "           --ledger FILE [--registry FILE] [--fault SPEC]... "
	    "[--seed N]\n"
	    "           [--tls-cert FILE --tls-key FILE [--tls-client-ca "
	    "FILE]]\n"
	    "           [--dialect FILE] [--log-level LEVEL] [--check]\n"
	    "           [--profile NAME [--profile-opt KEY=VALUE]...]\n"
	    "       hisgate-platform-sim --texts\n"
	    "       hisgate-platform-sim ledger --ledger FILE [--json]\n");
}

static int
cmd_ledger(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_ledger *l;
	struct hg_err err;
	const char *path = NULL;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "l:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sim_ledger_open(path, 1, &l, &err) == -1) {
		fprintf(stderr, "hisgate-platform-sim: %s\n", err.msg);
		return 1;
	}
	rc = sim_ledger_print(l, stdout, json, &err);
	sim_ledger_close(l);
	if (rc == -1) {
		fprintf(stderr, "hisgate-platform-sim: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int
parse_seed(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'p' },
		{ "catalogue", required_argument, NULL, 'c' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "registry", required_argument, NULL, 'r' },
		{ "fault", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-client-ca", required_argument, NULL, 'A' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'k' },
		{ "dialect", required_argument, NULL, 'D' },
		{ "texts", no_argument, NULL, 'T' },
		{ "profile", required_argument, NULL, 'P' },
		{ "profile-opt", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_server_opts so;
	struct sim_server *srv = NULL;
	struct sim_faults faults;
	struct sim_dialect dialect;
	struct sim_verify gate;
	struct sim_fault f;
	struct sim sim;
	struct hg_err err;
	const char *policy = NULL, *catalogue = NULL, *ledger = NULL,
	    *registry = NULL;
	uint64_t seed = 0;
	int c, level = HG_LOG_INFO, check = 0, have_seed = 0, port, sig;
	int rc = 1;
	sigset_t set;

	if (argc > 1 && strcmp(argv[1], "ledger") == 0)
		return cmd_ledger(argc - 1, argv + 1);
	memset(&so, 0, sizeof so);
	memset(&dialect, 0, sizeof dialect);
	memset(&sim, 0, sizeof sim);
	sim_verify_init(&gate);
	hg_err_clear(&err);
	sim_faults_init(&faults, 0);
	hg_log_init("hisgate-platform-sim", 0, level);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			so.listen = optarg;
			break;
		case 'p':
			policy = optarg;
			break;
		case 'c':
			catalogue = optarg;
			break;
		case 'l':
			ledger = optarg;
			break;
		case 'r':
			registry = optarg;
			break;
		case 'f':
			if (sim_fault_parse(optarg, &f, &err) == -1)
				goto out;
			sim_faults_add(&faults, &f);
			break;
		case 's':
			if (parse_seed(optarg, &seed) == -1) {
				hg_fail(&err, "--seed %s: expected a whole "
				    "number", optarg);
				goto out;
			}
			have_seed = 1;
			break;
		case 'C':
			so.tls_cert = optarg;
			break;
		case 'K':
			so.tls_key = optarg;
			break;
		case 'A':
			so.tls_client_ca = optarg;
			break;
		case 'v':
			if ((level = hg_log_level_parse(optarg)) == -1) {
				hg_fail(&err, "--log-level %s: unknown",
				    optarg);
				goto out;
			}
			hg_log_set_level(level);
			break;
		case 'k':
			check = 1;
			break;
		case 'D':
			sim_dialect_free(&dialect);
			if (sim_dialect_load(optarg, &dialect, &err) == -1)
				goto out;
			sim_dialect = &dialect;
			break;
		case 'P':
			if (sim_verify_profile(&gate, optarg, &err) == -1)
				goto out;
			break;
		case 'O':
			if (sim_verify_opt(&gate, optarg, &err) == -1)
				goto out;
			break;
		case 'T':
			sim_texts_print();
			rc = 0;
			goto out;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (optind != argc || policy == NULL || catalogue == NULL ||
	    (!check && (ledger == NULL || so.listen == NULL))) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (sim_verify_ready(&gate, &err) == -1)
		goto out;
	so.gate = &gate;
	if (sim_conf_load_policy(&sim.conf, policy, &err) == -1 ||
	    sim_conf_load_catalogue(&sim.conf, catalogue, &err) == -1)
		goto out;
	if (registry == NULL)
		registry = sim.conf.registry_path;
	if (registry != NULL && sim_conf_load_registry(&sim.conf, registry,
	    &err) == -1)
		goto out;
	if (registry == NULL)
		log_warn(COMP, "no person registry (--registry or [platform] "
		    "registry=): nobody is insured");
	if (check) {
		printf("%s: %zu policies, %zu hospitals; %s: %zu items; "
		    "%zu insurance rows\n", policy, sim.conf.npol,
		    sim.conf.nhosp, catalogue, sim.conf.ncat, sim.conf.npsn);
		if (sim_dialect != NULL)
			printf("dialect %s: repeated 2401 %s, repeated 2402 "
			    "%s\n", dialect.name, dialect.repeat_2401 ==
			    SIM_2401_ADMIT ? "admits again" : "refused",
			    dialect.repeat_2402 == SIM_2402_ACCEPT ?
			    "accepted" : "refused");
		rc = 0;
		goto out;
	}
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	faults.rng = seed;
	if (faults.n > 0)
		log_notice(COMP, "%zu fault(s), seed %llu (--seed %llu "
		    "replays them)", faults.n, (unsigned long long)seed,
		    (unsigned long long)seed);
	if (sim_ledger_open(ledger, 0, &sim.ledger, &err) == -1 ||
	    sim_init(&sim, &err) == -1)
		goto out;
	/* threads inherit this mask; the main thread waits in sigwait() */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sim_server_start(&so, &sim, &faults, &srv, &port, &err) == -1)
		goto out;
	/* tests read this line to learn the port */
	if (strchr(so.listen, ']') != NULL || strchr(so.listen, ':') !=
	    strrchr(so.listen, ':'))
		printf("listening on %.*s:%d\n",
		    (int)(strrchr(so.listen, ':') - so.listen), so.listen,
		    port);
	else
		printf("listening on %.*s:%d\n",
		    (int)(strchr(so.listen, ':') - so.listen), so.listen, port);
	fflush(stdout);
	log_notice(COMP, "platform %s (%s), %s%s", sim.conf.admdvs,
	    sim.conf.name[0] ? sim.conf.name : "unnamed", so.tls_cert ?
	    "HTTPS" : "HTTP", so.tls_client_ca ? " with client certificates" :
	    "");
	if (sim_dialect != NULL)
		log_notice(COMP, "dialect %s: a repeated 2401 %s, a repeated "
		    "2402 %s", dialect.name, dialect.repeat_2401 ==
		    SIM_2401_ADMIT ? "admits again" : "is refused",
		    dialect.repeat_2402 == SIM_2402_ACCEPT ? "is accepted" :
		    "is refused");
	sigwait(&set, &sig);
	log_notice(COMP, "signal %d, stopping", sig);
	rc = 0;
out:
	if (rc == 1 && err.msg[0] != '\0')
		fprintf(stderr, "hisgate-platform-sim: %s\n", err.msg);
	sim_server_stop(srv);
	if (sim.ledger != NULL) {
		sim_destroy(&sim);
		sim_ledger_close(sim.ledger);
	}
	sim_conf_free(&sim.conf);
	sim_faults_free(&faults);
	sim_dialect = NULL;
	sim_dialect_free(&dialect);
	sim_verify_free(&gate);
	return rc;
}
