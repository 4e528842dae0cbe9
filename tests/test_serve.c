/* Tests of smp_serve: one sandbox per arm, its runs served inside. What a
 * run leaves (files in $TMPDIR and /dev/shm, System V shared memory, a
 * setsid daemon) is gone before the next; the run gets the requester's
 * stdout, stderr and CPU affinity; its exit status and times come back as
 * smp_timer's report; a run whose requester is killed (a timeout) is
 * killed, and the server goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "smp_serve.h"
#include "smp_timer.h"
#include "bg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char tmp[256], tree[300], at[300];
	smp_sandbox sb;
	smp_server srv;
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	assert_int_equal(bg_test_tmpdir(f->tmp, sizeof(f->tmp), "serve"), 0);
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->tmp);
	snprintf(f->at, sizeof(f->at), "%s/repo", f->tmp);
	assert_int_equal(mkdir(f->tree, 0755), 0);
	assert_int_equal(mkdir(f->at, 0755), 0);
	f->sb = (smp_sandbox){ .tree = f->tree, .at = f->at, .mode = SMP_TREE_OVERLAY, .exe = BG_TEST_BIN,
			       .timed = 1 };
	assert_int_equal(smp_server_start(&f->srv, &f->sb), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	char dir[sizeof(f->srv.dir)];

	snprintf(dir, sizeof(dir), "%s", f->srv.dir);
	smp_server_stop(&f->srv);
	assert_int_equal(access(dir, F_OK), -1);   /* its directory went with it */
	bg_test_rmtree(f->tmp);
	free(f);
	return 0;
}

/* Runs cmd through the server (as the gate's measured command does), the
 * requester run by prefix (a command such as "taskset -c 0 ") if given. */
static bg_test_result ask(const fx *f, const char *prefix, const char *cmd)
{
	char *line = smp_server_command(&f->srv, BG_TEST_BIN, cmd);
	bg_test_result r;

	assert_non_null(line);
	assert_int_equal(strncmp(line, "exec ", 5), 0);
	r = bg_test_shellf(f->tmp, 30, "%s%s", prefix, prefix[0] ? line + 5 : line);
	free(line);
	return r;
}

static void expect_report(bg_test_result *r)
{
	if (strstr(r->err, SMP_TIMER_MARK) == NULL) {
		bg_test_dump(r, "report");
		fail_msg("no timer report on stderr");
	}
}

/* Output, the exit status and the report; the run is in the tree's
 * sandbox, at the repository's path. */
static void test_served_run(void **state)
{
	fx *f = *state;
	bg_test_result r = ask(f, "", "pwd; echo to-stderr >&2; exit 7");

	assert_int_equal(r.status, 7);
	assert_non_null(strstr(r.out, f->at));
	assert_non_null(strstr(r.err, "to-stderr"));
	expect_report(&r);
	bg_test_result_free(&r);
}

/* Nothing a run leaves reaches the next. */
static void test_nothing_outlives_a_run(void **state)
{
	fx *f = *state;
	bg_test_result r;

	r = ask(f, "", "echo c > $TMPDIR/cache && mkdir $TMPDIR/d && echo c > $TMPDIR/d/x && "
		"echo c > /dev/shm/cache && ipcmk -M 4096 >/dev/null && "
		"setsid sh -c 'exec sleep 313' </dev/null >/dev/null 2>&1 & sleep 0.1");
	assert_int_equal(r.status, 0);
	expect_report(&r);
	{	/* the report's last field: the daemon, killed */
		const char *m = strrchr(r.err, '\001');
		int left = -1;

		assert_int_equal(sscanf(m, SMP_TIMER_MARK " %*d %*d %*d %*d %*d %*d %d", &left), 1);
		assert_int_equal(left, 1);
	}
	bg_test_result_free(&r);
	r = ask(f, "", "ls -A $TMPDIR | grep -v '^inputs$' | grep -v '^.benchgate-timer$'; ls -A /dev/shm; "
		"ipcs -m | grep -c '^0x'; cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'slee[p] 313'");
	assert_string_equal(r.out, "0\n0\n");
	bg_test_result_free(&r);
}

/* Each run may write its tree, on an overlay of its own: the next run and
 * the host see the tree as it was. */
static void test_tree_writable_per_run(void **state)
{
	fx *f = *state;
	char path[400], *text;
	bg_test_result r;

	snprintf(path, sizeof(path), "%s/f", f->tree);
	r = bg_test_shellf(f->tree, 10, "echo base > f");
	assert_int_equal(r.status, 0);
	bg_test_result_free(&r);
	for (int i = 0; i < 2; i++) {
		r = ask(f, "", "cat f && echo more >> f && echo new > g && mkdir d && cat f g && id -u");
		assert_int_equal(r.status, 0);
		if (strncmp(r.out, "base\nbase\nmore\nnew\n", 19) != 0)
			bg_test_dump(&r, "a run writing its tree");
		assert_int_equal(strncmp(r.out, "base\nbase\nmore\nnew\n", 19), 0);
		assert_int_equal(atoi(r.out + 19), (int)getuid());   /* its own uid, not root of a namespace */
		bg_test_result_free(&r);
	}
	assert_non_null(text = bg_test_slurp(path));
	assert_string_equal(text, "base\n");
	free(text);
	snprintf(path, sizeof(path), "%s/g", f->tree);
	assert_int_equal(access(path, F_OK), -1);
}

/* A run that asks the server itself only hangs itself (the server is busy
 * with it) until its timeout; its request, queued meanwhile, is refused
 * rather than run between the measured runs. */
static void test_run_cannot_ask(void **state)
{
	fx *f = *state;
	char cmd[600], marker[100];
	bg_test_result r;

	snprintf(marker, sizeof(marker), "%s/injected", f->srv.dir);
	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' /bin/sh -c 'echo ran > %s'", SMP_SANDBOX_EXE,
		 SMP_ASK_COMMAND, f->srv.sock, marker);
	r = ask(f, "timeout -s KILL 1 ", cmd);
	assert_int_equal(r.status, 137);
	bg_test_result_free(&r);
	/* (the next request would empty the directory first: look before) */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(access(marker, F_OK), -1);
		usleep(10000);
	}
	r = ask(f, "", "true");
	assert_int_equal(r.status, 0);
	bg_test_result_free(&r);
}

/* The requester's CPU affinity is the run's. */
static void test_affinity_passed(void **state)
{
	fx *f = *state;
	bg_test_result r = ask(f, "taskset -c 0 ", "grep Cpus_allowed_list /proc/self/status");

	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Cpus_allowed_list:\t0\n"));
	bg_test_result_free(&r);
}

/* A requester killed mid-run (smp_run's timeout) has its run killed; the
 * next request is served at once. */
static void test_requester_killed(void **state)
{
	fx *f = *state;
	bg_test_result r = ask(f, "timeout -s KILL 0.5 ", "exec sleep 30");

	assert_int_equal(r.status, 137);
	bg_test_result_free(&r);
	r = ask(f, "", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'slee[p] 30'");
	assert_string_equal(r.out, "0\n");
	assert_true(r.elapsed_s < 5);
	bg_test_result_free(&r);
}

/* The in-process requester (what the gate uses): output within its
 * limits, the exit status, the times; a timeout kills the run and the
 * server goes on. */
static void test_executor(void **state)
{
	fx *f = *state;
	smp_serve_route routes[] = {
		{ "a", &f->srv, "echo 123456789; echo to-stderr >&2; exit 3" },
		{ "b", &f->srv, "exec sleep 30" },
	};
	smp_serve_routes rt = { routes, 2 };
	smp_executor ex = smp_serve_executor(&rt);
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	double t0;

	o.cmd = "a";
	o.out_limit = 8; /* "123456789\n" is one line cut by the limit: not kept */
	assert_int_equal(ex.run(&r, &o, ex.ctx), 0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.out, "");
	assert_int_equal(r.out_truncated, 1);
	assert_string_equal(r.err, "to-stderr\n");
	assert_true(r.wall_ns > 0);
	smp_result_clear(&r);
	o.cmd = "b";
	o.timeout_s = 0.5;
	t0 = bg_time_now();
	assert_int_equal(ex.run(&r, &o, ex.ctx), 0);
	assert_int_equal(r.outcome, SMP_TIMED_OUT);
	assert_true(bg_time_now() - t0 < 5);
	smp_result_clear(&r);
	o.cmd = "a";
	o.timeout_s = 0;
	assert_int_equal(ex.run(&r, &o, ex.ctx), 0);
	assert_int_equal(r.exit_code, 3);
	smp_result_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_served_run, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_outlives_a_run, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tree_writable_per_run, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_affinity_passed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_run_cannot_ask, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_requester_killed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_executor, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
