/* test_spawn: cmocka tests for sampler/smp_spawn.
 *
 * The test process makes itself a child subreaper, so grandchildren the
 * measured commands leave behind are reparented here: a test can then reap
 * one and see that it died of a signal, after which kill(pid, 0) says ESRCH.
 * (PID 1 in this VM does not reap orphans, so without this a killed
 * grandchild would linger as a zombie.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"

#include "bg_error.h"
#include "bg_strv.h"
#include "bg_interrupt.h"
#include "smp_spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs cmd through the shell with default options; asserts the run worked. */
static void run_sh(smp_result *r, const char *cmd)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;

	o.cmd = cmd;
	assert_int_equal(smp_run(r, &o), 0);
}

/* Reaps the orphaned grandchild pid (reparented to us, the subreaper) within
 * 2 s and asserts it died of sig1 or sig2; then it no longer exists. */
static void assert_killed(pid_t pid, int sig1, int sig2)
{
	double t0 = now_s();
	int st = 0;
	pid_t r;

	assert_true(pid > 1);
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_s() - t0 < 2.0)
		usleep(5000);
	assert_int_equal(r, pid);
	assert_true(WIFSIGNALED(st));
	assert_true(WTERMSIG(st) == sig1 || WTERMSIG(st) == sig2);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static pid_t first_pid(const char *text)
{
	return (pid_t)strtol(text, NULL, 10);
}

/* ---- exit status and capture ------------------------------------------ */

static void test_exit_code(void **state)
{
	smp_result r;

	(void)state;
	run_sh(&r, "exit 3");
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.term_signal, 0);
	smp_result_clear(&r);
	run_sh(&r, "true");
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 0);
	smp_result_clear(&r);
}

static void test_stdout_exact(void **state)
{
	smp_result r;

	(void)state;
	run_sh(&r, "printf 'hello\\nworld\\0tail'");
	assert_int_equal(r.out_len, 16);
	assert_memory_equal(r.out, "hello\nworld\0tail", 17); /* NUL-terminated too */
	assert_int_equal(r.out_truncated, 0);
	assert_non_null(r.err);
	assert_int_equal(r.err_len, 0);
	assert_string_equal(r.err, "");
	smp_result_clear(&r);
	assert_null(r.out);
	assert_int_equal(r.out_len, 0);
	smp_result_clear(NULL);
}

static void test_stderr_captured(void **state)
{
	smp_result r;

	(void)state;
	run_sh(&r, "echo oops >&2; echo out; echo again >&2");
	assert_string_equal(r.err, "oops\nagain\n");
	assert_int_equal(r.err_len, 11);
	assert_string_equal(r.out, "out\n");
	smp_result_clear(&r);
}

static void test_output_flood_bounded(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	size_t limit = (size_t)1 << 20;

	(void)state;
	o.cmd = "head -c 5000000 /dev/zero; head -c 300000 /dev/zero >&2";
	o.out_limit = limit;
	o.err_limit = 1000;
	o.timeout_s = 10;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_EXITED); /* finished: the child never blocked */
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.out_len, 0); /* one cut line, no whole line to keep */
	assert_int_equal(r.out_truncated, 1);
	assert_int_equal(r.out[0], '\0');
	assert_int_equal(r.err_len, 0);
	assert_int_equal(r.err_truncated, 1);
	smp_result_clear(&r);
}

static void test_exact_limit_not_truncated(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	o.cmd = "printf 12345";
	o.out_limit = 5;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_string_equal(r.out, "12345");
	assert_int_equal(r.out_truncated, 0);
	smp_result_clear(&r);
	o.cmd = "printf '1\\n23456\\n'"; /* 9 bytes over 5: whole lines of head and tail */
	assert_int_equal(smp_run(&r, &o), 0);
	assert_string_equal(r.out, "1\n");
	assert_int_equal(r.out_truncated, 1);
	smp_result_clear(&r);
}

/* What a command prints last survives a flood (pi-autoresearch keeps the
 * tail of the output too): the head, then whole lines of the tail. */
static void test_tail_kept(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	o.cmd = "echo first; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo METRIC x=1";
	o.out_limit = 1000;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.out_truncated, 1);
	assert_true(r.out_len <= 1000);
	assert_string_equal(r.out, "first\nMETRIC x=1\n"); /* the cut line of x's is dropped */
	smp_result_clear(&r);
	o.cmd = "for i in 1 2 3 4 5 6 7 8 9; do echo line$i; done"; /* 54 bytes, limit 20 */
	o.out_limit = 20;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_string_equal(r.out, "line1\nline9\n"); /* cut lines are dropped */
	smp_result_clear(&r);
}

static void test_stdin_is_devnull(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	o.cmd = "cat; readlink /proc/self/fd/0";
	o.timeout_s = 5;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_string_equal(r.out, "/dev/null\n");
	smp_result_clear(&r);
}

static void test_own_process_group(void **state)
{
	smp_result r;
	char sh_pid[32], pgid[32];

	(void)state;
	run_sh(&r, "echo $$; cut -d' ' -f5 /proc/self/stat");
	assert_int_equal(sscanf(r.out, "%31s %31s", sh_pid, pgid), 2);
	assert_string_equal(sh_pid, pgid);
	assert_int_not_equal(first_pid(pgid), getpgrp());
	smp_result_clear(&r);
}

static void test_crash_signaled(void **state)
{
	smp_result r;

	(void)state;
	run_sh(&r, "kill -SEGV $$");
	assert_int_equal(r.outcome, SMP_SIGNALED);
	assert_int_equal(r.term_signal, SIGSEGV);
	smp_result_clear(&r);
}

/* ---- no_shell and argv ------------------------------------------------ */

static void test_exec_failed(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	o.no_shell = 1;
	o.cmd = "benchgate-no-such-program-x7 --flag";
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_EXEC_FAILED);
	assert_int_equal(r.exit_code, 127);
	assert_non_null(strstr(r.err, "cannot run 'benchgate-no-such-program-x7': No such file or directory"));
	smp_result_clear(&r);
	o.cmd = "/etc/passwd"; /* exists, not executable */
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_EXEC_FAILED);
	assert_non_null(strstr(r.err, "cannot run '/etc/passwd': Permission denied"));
	smp_result_clear(&r);
}

static void test_no_shell_runs_argv(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	o.no_shell = 1;
	o.cmd = "printf '%s|' \"a b\" 'c \"d\"' e\\ f '$HOME' ''";
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_string_equal(r.out, "a b|c \"d\"|e f|$HOME||");
	smp_result_clear(&r);
}

static void assert_split(const char *cmd, int n, ...)
{
	char **argv = NULL;
	va_list ap;

	assert_int_equal(smp_argv_split(&argv, cmd), 0);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(argv[n]);
	bg_strv_free(argv);
}

static void assert_split_fails(const char *cmd)
{
	char **argv = (char **)(uintptr_t)0x1;

	assert_int_equal(smp_argv_split(&argv, cmd), BG_EINVAL);
	assert_ptr_equal(argv, (char **)(uintptr_t)0x1); /* untouched on error */
	assert_string_not_equal(bg_error_last(), "");
}

static void test_argv_split(void **state)
{
	(void)state;
	assert_split("ls", 1, "ls");
	assert_split("  a \t b\nc  ", 3, "a", "b", "c");
	assert_split("\"x y\" 'z \"w\"'", 2, "x y", "z \"w\"");
	assert_split("a\\ b c\\'d", 2, "a b", "c'd");
	assert_split("\"q\\\"q\" \"b\\\\s\" \"k\\n\"", 3, "q\"q", "b\\s", "k\\n");
	assert_split("'a\\b'", 1, "a\\b");
	assert_split("x'y'\"z\" \"\" ''", 3, "xyz", "", "");
	assert_split_fails("echo 'unterminated");
	assert_split_fails("echo \"unterminated");
	assert_split_fails("echo trailing\\");
	assert_split_fails("");
	assert_split_fails("   \t ");
	bg_strv_free(NULL);
}

/* ---- timeouts and grandchildren --------------------------------------- */

static void test_timeout_kills_grandchild(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	double t0;

	(void)state;
	o.cmd = "sleep 30 & echo $!; wait";
	o.timeout_s = 0.3;
	o.kill_grace_s = 0.5;
	t0 = now_s();
	assert_int_equal(smp_run(&r, &o), 0);
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(r.outcome, SMP_TIMED_OUT);
	assert_true(r.wall_ns >= 290000000);
	assert_killed(first_pid(r.out), SIGTERM, SIGKILL);
	smp_result_clear(&r);
}

static void test_timeout_escalates_to_kill(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	double t0, dt;

	(void)state;
	o.cmd = "trap '' TERM; sleep 30 & echo $!; wait";
	o.timeout_s = 0.2;
	o.kill_grace_s = 0.3;
	t0 = now_s();
	assert_int_equal(smp_run(&r, &o), 0);
	dt = now_s() - t0;
	assert_true(dt >= 0.45 && dt < 2.0); /* TERM was ignored: KILL after the grace */
	assert_int_equal(r.outcome, SMP_TIMED_OUT);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_killed(first_pid(r.out), SIGKILL, SIGKILL);
	smp_result_clear(&r);
}

static void test_grandchild_killed_after_exit(void **state)
{
	smp_result r;
	double t0 = now_s();

	(void)state;
	run_sh(&r, "sleep 30 >/dev/null 2>&1 & echo $!");
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_killed(first_pid(r.out), SIGKILL, SIGKILL);
	smp_result_clear(&r);
}

static void test_grandchild_holding_stdout(void **state)
{
	smp_result r;
	double t0 = now_s();

	(void)state;
	run_sh(&r, "sleep 30 & echo $!; echo done >&2");
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_string_equal(r.err, "done\n");
	assert_true(r.wall_ns < 2000000000);
	assert_killed(first_pid(r.out), SIGKILL, SIGKILL);
	smp_result_clear(&r);
}

/* ---- measurements ----------------------------------------------------- */

static void test_wall_time(void **state)
{
	smp_result r;

	(void)state;
	run_sh(&r, "sleep 0.2");
	assert_true(r.wall_ns >= 180000000);
	assert_true(r.wall_ns <= 2000000000);
	assert_true(r.user_ns + r.sys_ns < r.wall_ns); /* sleeping uses little CPU */
	smp_result_clear(&r);
}

static void test_user_time(void **state)
{
	smp_result r;

	(void)state;
	run_sh(&r, "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
	assert_int_equal(r.exit_code, 0);
	assert_true(r.user_ns > 0);
	assert_true(r.user_ns + r.sys_ns <= r.wall_ns + 20000000); /* one thread: cpu <= wall (+tick) */
	smp_result_clear(&r);
}

static void test_maxrss(void **state)
{
	smp_result small, big;

	(void)state;
	run_sh(&small, "true");
	run_sh(&big, "x=$(head -c 30000000 /dev/zero | tr '\\0' a); echo ${#x}");
	assert_true(small.maxrss_kb > 0);
	assert_string_equal(big.out, "30000000\n");
	assert_true(big.maxrss_kb > 25000); /* the shell held the 30 MB string */
	assert_true(small.maxrss_kb < big.maxrss_kb);
	smp_result_clear(&small);
	smp_result_clear(&big);
}

static void test_env_extra(void **state)
{
	char *env[] = { "BG_TEST_A=hello world", "BG_TEST_B=x=y", "BG_TEST_C=old",
			"BG_TEST_OVR=new", "BG_TEST_C=new", NULL };
	char *bad[] = { "NOEQUALS", NULL };
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	assert_int_equal(setenv("BG_TEST_OVR", "old", 1), 0);
	assert_int_equal(setenv("BG_TEST_KEEP", "kept", 1), 0);
	o.cmd = "printf '%s|%s|%s|%s|%s|' \"$BG_TEST_A\" \"$BG_TEST_B\" \"$BG_TEST_C\" "
		"\"$BG_TEST_OVR\" \"$BG_TEST_KEEP\"; env | grep -c '^BG_TEST_[CO]'";
	o.env_extra = env;
	assert_int_equal(smp_run(&r, &o), 0);
	/* later entries win, ours are overridden, not duplicated, the rest kept */
	assert_string_equal(r.out, "hello world|x=y|new|new|kept|2\n");
	assert_null(getenv("BG_TEST_A")); /* set in the child only */
	assert_string_equal(getenv("BG_TEST_OVR"), "old");
	unsetenv("BG_TEST_OVR");
	unsetenv("BG_TEST_KEEP");
	smp_result_clear(&r);
	o.env_extra = bad;
	assert_int_equal(smp_run(&r, &o), BG_EINVAL);
}

static void test_pin_current_cpu(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	cpu_set_t set;
	char want[64];
	int cpu = sched_getcpu();

	(void)state;
	assert_true(cpu >= 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	o.cmd = "grep Cpus_allowed_list /proc/self/status";
	o.cpus = &set;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.pin_failed, 0);
	snprintf(want, sizeof(want), "Cpus_allowed_list:\t%d\n", cpu);
	assert_string_equal(r.out, want);
	smp_result_clear(&r);
}

static void test_pin_impossible(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	cpu_set_t empty;

	(void)state;
	CPU_ZERO(&empty);
	o.cmd = "echo ran";
	o.cpus = &empty;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.pin_failed, 1);
	assert_int_equal(r.pin_errno, EINVAL);
	assert_int_equal(r.outcome, SMP_EXITED); /* ran anyway, unpinned */
	assert_string_equal(r.out, "ran\n");
	smp_result_clear(&r);
}

static void test_hw_counters(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	const char *reason = NULL;
	int avail = smp_hw_counters_available(&reason);

	(void)state;
	assert_non_null(reason);
	assert_int_equal(smp_hw_counters_available(NULL), avail); /* cached */
	o.cmd = "echo counted";
	o.count_hw = 1;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_string_equal(r.out, "counted\n");
	if (avail) {
		assert_int_equal(r.hw_ok, 1);
		assert_true(r.instructions > 0 && r.cycles > 0);
	} else {
		assert_non_null(strstr(reason, "perf_event_open: "));
		assert_int_equal(r.hw_ok, 0);
		assert_int_equal(r.instructions, 0);
	}
	smp_result_clear(&r);
}

/* ---- errors, fds, interruption ---------------------------------------- */

static void test_bad_options(void **state)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;

	(void)state;
	assert_int_equal(smp_run(&r, &o), BG_EINVAL);
	o.cmd = "true";
	o.timeout_s = -1;
	assert_int_equal(smp_run(&r, &o), BG_EINVAL);
	o.timeout_s = 0;
	o.no_shell = 1;
	o.cmd = "echo 'oops";
	assert_int_equal(smp_run(&r, &o), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "unterminated"));
	o.cmd = "  ";
	assert_int_equal(smp_run(&r, &o), BG_EINVAL);
}

static void test_no_fd_leak(void **state)
{
	char *env[] = { "BG_X=1", NULL };
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	cpu_set_t empty;
	int before = bg_test_count_fds();

	(void)state;
	CPU_ZERO(&empty);
	run_sh(&r, "echo x; echo y >&2");
	smp_result_clear(&r);
	run_sh(&r, "sleep 30 & echo $!");
	assert_killed(first_pid(r.out), SIGKILL, SIGKILL);
	smp_result_clear(&r);
	o.cmd = "benchgate-no-such-program-x7";
	o.no_shell = 1;
	o.count_hw = 1;
	o.cpus = &empty;
	o.env_extra = env;
	assert_int_equal(smp_run(&r, &o), 0);
	smp_result_clear(&r);
	o.cmd = "sleep 5";
	o.no_shell = 0;
	o.timeout_s = 0.05;
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_TIMED_OUT);
	smp_result_clear(&r);
	o.cmd = "'unterminated";
	o.no_shell = 1;
	assert_int_equal(smp_run(&r, &o), BG_EINVAL);
	assert_int_equal(bg_test_count_fds(), before);
}

static void on_alarm(int sig)
{
	(void)sig;
	raise(SIGINT);
}

static void test_interrupt(void **state)
{
	struct sigaction sa, old_alrm, old_int, old_term;
	struct itimerval it = { { 0, 0 }, { 0, 200000 } };
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	char path[] = "/tmp/bg_test_spawn_XXXXXX", cmd[128];
	FILE *f;
	long pid = 0;
	int fd, before = bg_test_count_fds();
	double t0;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "echo $$ > %s; exec sleep 5", path);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old_alrm), 0);
	assert_int_equal(sigaction(SIGINT, NULL, &old_int), 0);
	assert_int_equal(sigaction(SIGTERM, NULL, &old_term), 0);
	bg_interrupt_install();
	assert_int_equal(bg_interrupt_requested(), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	memset(&r, 0x5a, sizeof(r));
	o.cmd = cmd;
	t0 = now_s();
	assert_int_equal(smp_run(&r, &o), BG_EINTR);
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(bg_interrupt_requested(), 1);
	assert_int_equal((int)r.outcome, 0x5a5a5a5a); /* *out untouched on error */
	assert_true((f = fopen(path, "r")) != NULL);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	unlink(path);
	assert_true(kill((pid_t)pid, 0) == -1 && errno == ESRCH); /* our child: reaped */
	assert_int_equal(bg_test_count_fds(), before);
	/* a pending interrupt stops the next run before it starts */
	o.cmd = "true";
	assert_int_equal(smp_run(&r, &o), BG_EINTR);
	bg_interrupt_reset();
	assert_int_equal(bg_interrupt_requested(), 0);
	assert_int_equal(smp_run(&r, &o), 0);
	assert_int_equal(r.outcome, SMP_EXITED);
	smp_result_clear(&r);
	sigaction(SIGALRM, &old_alrm, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_stdout_exact),
		cmocka_unit_test(test_stderr_captured),
		cmocka_unit_test(test_output_flood_bounded),
		cmocka_unit_test(test_exact_limit_not_truncated),
		cmocka_unit_test(test_tail_kept),
		cmocka_unit_test(test_stdin_is_devnull),
		cmocka_unit_test(test_own_process_group),
		cmocka_unit_test(test_crash_signaled),
		cmocka_unit_test(test_exec_failed),
		cmocka_unit_test(test_no_shell_runs_argv),
		cmocka_unit_test(test_argv_split),
		cmocka_unit_test(test_timeout_kills_grandchild),
		cmocka_unit_test(test_timeout_escalates_to_kill),
		cmocka_unit_test(test_grandchild_killed_after_exit),
		cmocka_unit_test(test_grandchild_holding_stdout),
		cmocka_unit_test(test_wall_time),
		cmocka_unit_test(test_user_time),
		cmocka_unit_test(test_maxrss),
		cmocka_unit_test(test_env_extra),
		cmocka_unit_test(test_pin_current_cpu),
		cmocka_unit_test(test_pin_impossible),
		cmocka_unit_test(test_hw_counters),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_no_fd_leak),
		cmocka_unit_test(test_interrupt),
	};

	/* Orphaned grandchildren come to us, so tests can check how they died. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("prctl(PR_SET_CHILD_SUBREAPER)");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
