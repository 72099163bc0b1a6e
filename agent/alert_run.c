/* Running the alert hook: posix_spawn, no shell, its own process group
 * (a script's children are killed with it), the daemon's blocked signals
 * unblocked and SIGPIPE back to default, stdin from /dev/null, stdout
 * and stderr where the daemon's go, no other descriptor of the daemon
 * (its sockets, the outbox).  Its environment is clean: PATH,
 * LANG, LC_ALL and TZ as the daemon has them, then the HISGATE_*
 * variables; nothing of systemd's (NOTIFY_SOCKET, WATCHDOG_*). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/alert.h"
#include "lib/log.h"
#include "lib/xmalloc.h"

#define COMP		"alert"
#define KILL_GRACE_MS	2000	/* SIGTERM, then this long until SIGKILL */

static const char *const passed[] = { "PATH", "LANG", "LC_ALL", "TZ", NULL };

static char **
make_env(const char *const *env)
{
	char **v;
	const char *val;
	size_t n = 0, i, k = 0;

	while (env[n] != NULL)
		n++;
	v = hg_xcalloc(n + 6, sizeof *v);
	for (i = 0; passed[i] != NULL; i++)
		if ((val = getenv(passed[i])) != NULL)
			v[k++] = hg_xasprintf("%s=%s", passed[i], val);
	if (getenv("PATH") == NULL)
		v[k++] = hg_xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
	for (i = 0; i < n; i++)
		v[k++] = hg_xstrdup(env[i]);
	return v;
}

static void
free_env(char **v)
{
	size_t i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* The child's pid as a file descriptor to poll, or -1 (an old kernel:
 * then waitpid is asked every 100 ms while the hook runs). */
static int
pid_fd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/* Wait up to ms for pid; 1 with *status when it ended, 0 on timeout,
 * 2 when stop_fd became readable. */
static int
wait_for(pid_t pid, int pfd, int stop_fd, int64_t ms, int *status)
{
	int64_t end = hg_now_ms() + ms, left;
	struct pollfd p[2];
	nfds_t n;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return 1;
		if ((left = end - hg_now_ms()) <= 0)
			return 0;
		n = 0;
		if (stop_fd >= 0) {
			p[n].fd = stop_fd;
			p[n++].events = POLLIN;
		}
		if (pfd >= 0) {
			p[n].fd = pfd;
			p[n++].events = POLLIN;
		} else if (left > 100)
			left = 100;
		if (poll(p, n, (int)left) > 0 && stop_fd >= 0 &&
		    (p[0].revents & POLLIN))
			return 2;
	}
}

int
hg_alert_run(const char *command, const char *kind, const char *const *env,
    int64_t timeout_s, int stop_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char *argv[3], **ev;
	int64_t t0 = hg_now_ms();
	pid_t pid;
	int rc, st = 0, pfd, w;

	argv[0] = (char *)command;
	argv[1] = (char *)kind;
	argv[2] = NULL;
	ev = make_env(env);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
#ifdef __GLIBC__
	/* a hook left running must not hold the adapters' ports open */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	rc = posix_spawn(&pid, command, &fa, &at, argv, ev);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free_env(ev);
	if (rc != 0) {
		log_error(COMP, "cannot run %s (%s): %s", command, kind,
		    strerror(rc));
		return -1;
	}
	pfd = pid_fd(pid);
	w = wait_for(pid, pfd, stop_fd, timeout_s * 1000, &st);
	if (w != 1) {
		if (w == 0)
			log_warn(COMP, "%s (%s) did not finish within "
			    "alert.timeout_seconds %lld: killed", command, kind,
			    (long long)timeout_s);
		else
			log_warn(COMP, "%s (%s) killed: the agent stops",
			    command, kind);
		kill(-pid, SIGTERM);
		if (wait_for(pid, pfd, -1, KILL_GRACE_MS, &st) == 0) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
		}
		/* what it left behind in its group goes too */
		kill(-pid, SIGKILL);
		if (pfd >= 0)
			close(pfd);
		return -1;
	}
	if (pfd >= 0)
		close(pfd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		log_info(COMP, "%s (%s) exited 0 after %lld ms", command, kind,
		    (long long)(hg_now_ms() - t0));
		return 0;
	}
	if (WIFEXITED(st)) {
		log_warn(COMP, "%s (%s) exited %d", command, kind,
		    WEXITSTATUS(st));
		return WEXITSTATUS(st);
	}
	log_warn(COMP, "%s (%s) died of signal %d", command, kind,
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return -1;
}
