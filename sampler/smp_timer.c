/* smp_timer: the timing helper inside a sandbox and its executor (see
 * smp_timer.h). */
#include "smp_timer.h"
#include "bg_time.h"
#include "smp_serve.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

static long long ns_of(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000000LL + (long long)tv->tv_usec * 1000LL;
}

void smp_timer_report(long long wall_ns, long long user_ns, long long sys_ns, long maxrss_kb, int code, int sig,
		      int left)
{
	fprintf(stderr, "\n" SMP_TIMER_MARK " %lld %lld %lld %ld %d %d %d\n", wall_ns, user_ns, sys_ns, maxrss_kb,
		code, sig, left);
}

void smp_timer_spawn(smp_timed *t, char *const *argv, const posix_spawn_file_actions_t *fa,
		     void (*started)(pid_t pid, void *ctx), void *ctx)
{
	struct rusage ru;
	double t0;
	pid_t pid;
	int st = 0;

	memset(t, 0, sizeof(*t));
	/* posix_spawn is vfork + exec: no copy of this process's page tables
	 * (a fork of it costs ~0.4 ms more per run here) */
	t0 = bg_time_now();
	if ((t->spawn_errno = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ)) != 0) {
		t->code = t->spawn_errno == ENOENT ? 127 : 126;
		return;
	}
	if (started)
		started(pid, ctx);
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			t->code = 126;
			return;
		}
	t->reaped = 1;
	t->wall_ns = (long long)((bg_time_now() - t0) * 1e9);
	t->user_ns = ns_of(&ru.ru_utime);
	t->sys_ns = ns_of(&ru.ru_stime);
	t->maxrss_kb = ru.ru_maxrss;
	t->code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	t->sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

int smp_timer_main(int argc, char **argv)
{
	smp_timed t;

	if (argc < 2) {
		fprintf(stderr, "usage: benchgate %s CMD [ARGS...]\n", SMP_TIMER_COMMAND);
		return 2;
	}
	smp_timer_spawn(&t, argv + 1, NULL, NULL, NULL);
	if (t.spawn_errno) {
		fprintf(stderr, "benchgate: %s: %s: %s\n", SMP_TIMER_COMMAND, argv[1], strerror(t.spawn_errno));
		return t.code;
	}
	if (!t.reaped)
		return 126;
	smp_timer_report(t.wall_ns, t.user_ns, t.sys_ns, t.maxrss_kb, t.code, t.sig, smp_sandbox_sweep());
	return t.code >= 0 ? t.code : 128 + t.sig;
}

/* The report at the end of r's stderr, removed from it; 0 when found. */
static int take_report(smp_result *r)
{
	long long wall, user, sys;
	long rss;
	int code, sig, left = 0;
	char *m;

	if (r->err == NULL || (m = strstr(r->err, SMP_TIMER_MARK)) == NULL)
		return -1;
	for (char *next; (next = strstr(m + 1, SMP_TIMER_MARK)) != NULL;)
		m = next;   /* the last one: the command itself may print the mark */
	if (sscanf(m + strlen(SMP_TIMER_MARK), "%lld %lld %lld %ld %d %d %d", &wall, &user, &sys, &rss,
		   &code, &sig, &left) != 7)
		return -1;
	r->wall_ns = wall;
	r->user_ns = user;
	r->sys_ns = sys;
	r->maxrss_kb = rss;
	r->left_behind = left;
	r->hw_ok = 0;   /* counters would count the sandbox too */
	if (sig) {
		r->outcome = SMP_SIGNALED;
		r->term_signal = sig;
	}
	r->exit_code = code < 0 ? r->exit_code : code;
	if (m > r->err && m[-1] == '\n')
		m--;
	*m = '\0';
	r->err_len = (size_t)(m - r->err);
	return 0;
}

static int timed_run(smp_result *out, const smp_spawn_opts *opts, void *ctx)
{
	int error = smp_run(out, opts);

	(void)ctx;
	if (error < 0 || out->outcome == SMP_TIMED_OUT)
		return error;
	if (take_report(out) < 0 && out->outcome == SMP_EXITED) {
		out->outcome = SMP_EXEC_FAILED;
		out->exit_code = 127;
	}
	return 0;
}

smp_executor smp_timer_executor(void)
{
	return (smp_executor){ timed_run, NULL };
}
