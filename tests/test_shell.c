/* test_shell: sampler/smp_shell — shell command lines run in a directory
 * (builds, test commands, the agent): merged output in order, the tail,
 * timeouts, kills, a directory whose name needs quoting, a missing
 * directory (nothing runs), output past the bound; and the quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "bg_error.h"
#include "smp_shell.h"
#include "smp_timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void run_ok(smp_shell_result *r, const char *cmd, const char *cwd, double timeout_s)
{
	int rc = smp_shell_run(r, cmd, cwd, timeout_s, NULL);

	if (rc != 0)
		fail_msg("smp_shell_run(%s): %d %s", cmd, rc, bg_error_last());
	assert_non_null(r->output);
	assert_non_null(r->tail);
}

static void test_quote(void **unused)
{
	char *q;

	(void)unused;
	q = smp_shell_quote("it's a dir");
	assert_string_equal(q, "'it'\\''s a dir'");
	free(q);
	q = smp_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
	q = smp_shell_quote("$HOME `x` \"y\" \\");
	assert_string_equal(q, "'$HOME `x` \"y\" \\'");
	free(q);
}

static void test_merged_in_order(void **unused)
{
	smp_shell_result r;
	int fds = bg_test_count_fds();

	(void)unused;
	run_ok(&r, "echo one; echo two >&2; printf 'a\\000b\\n'; echo three", NULL, 30);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output, "one\ntwo\na?b\nthree\n");   /* NUL shown as '?' */
	assert_string_equal(r.tail, "one\ntwo\na?b\nthree");
	assert_int_equal(r.output_truncated, 0);
	smp_shell_result_clear(&r);
	assert_null(r.output);
	assert_null(r.tail);
	assert_int_equal(bg_test_count_fds(), fds);
	smp_shell_result_clear(NULL);
}

static void test_failing_keeps_tail(void **unused)
{
	smp_shell_result r;
	char expected[512] = "";

	(void)unused;
	run_ok(&r, "i=1; while [ $i -le 30 ]; do echo line$i; i=$((i+1)); done; exit 3", NULL, 30);
	assert_int_equal(r.passed, 0);
	assert_int_equal(r.exit_code, 3);
	for (int i = 31 - SMP_SHELL_TAIL_LINES; i <= 30; i++)
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
			 "%sline%d", i > 31 - SMP_SHELL_TAIL_LINES ? "\n" : "", i);
	assert_string_equal(r.tail, expected);
	assert_non_null(strstr(r.output, "line1\nline2\n"));       /* the whole output kept */
	smp_shell_result_clear(&r);
}

static void test_timeout_and_kill(void **unused)
{
	smp_shell_result r;

	(void)unused;
	run_ok(&r, "echo started; sleep 20", NULL, 0.3);
	assert_int_equal(r.passed, 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.outcome, SMP_TIMED_OUT);
	assert_true(r.wall_s < 10);
	assert_string_equal(r.tail, "started");
	smp_shell_result_clear(&r);
	run_ok(&r, "kill -KILL $$", NULL, 30);
	assert_int_equal(r.passed, 0);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.outcome, SMP_SIGNALED);
	assert_int_equal(r.term_signal, 9);
	smp_shell_result_clear(&r);
}

static void test_cwd_needing_quotes(void **unused)
{
	char tmp[256], dir[512], *real;
	smp_shell_result r;

	(void)unused;
	assert_int_equal(bg_test_tmpdir(tmp, sizeof(tmp), "shell_cwd"), 0);
	snprintf(dir, sizeof(dir), "%s/it's a dir; with $spaces", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	real = realpath(dir, NULL);
	assert_non_null(real);
	run_ok(&r, "pwd -P; ls", dir, 30);
	assert_int_equal(r.passed, 1);
	assert_string_equal(r.tail, real);
	smp_shell_result_clear(&r);
	/* cmd runs in full after cd, including a trailing comment */
	run_ok(&r, "echo one && echo two # done", dir, 30);
	assert_string_equal(r.tail, "one\ntwo");
	smp_shell_result_clear(&r);
	free(real);
	bg_test_rmtree(tmp);
}

static void test_refuses_bad_input(void **unused)
{
	char tmp[256], marker[512], cmd[600], missing[600];
	smp_shell_result r;

	(void)unused;
	assert_int_equal(bg_test_tmpdir(tmp, sizeof(tmp), "shell_bad"), 0);
	memset(&r, 0x5a, sizeof(r));
	snprintf(marker, sizeof(marker), "%s/ran", tmp);
	snprintf(cmd, sizeof(cmd), "touch '%s'", marker);
	snprintf(missing, sizeof(missing), "%s/nope", tmp);
	assert_int_equal(smp_shell_run(&r, cmd, missing, 30, NULL), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), missing));
	assert_null(strstr(bg_error_last(), "test"));   /* not the test gate's words */
	assert_int_equal(access(marker, F_OK), -1);     /* nothing ran */
	assert_int_equal(r.exit_code, 0x5a5a5a5a);      /* *out untouched */
	assert_int_equal(smp_shell_run(&r, NULL, NULL, 30, NULL), BG_EINVAL);
	assert_int_equal(smp_shell_run(&r, cmd, NULL, -1, NULL), BG_EINVAL);
	assert_int_equal(smp_shell_run(NULL, cmd, NULL, 30, NULL), BG_EINVAL);
	assert_int_equal(access(marker, F_OK), -1);
	bg_test_rmtree(tmp);
}

static void test_output_bound(void **unused)
{
	smp_shell_result r;
	const char *p;

	(void)unused;
	run_ok(&r, "echo first; yes middle | head -c 9000005; echo last", NULL, 60);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.output_truncated, 1);
	assert_true(strlen(r.output) <= SMP_SHELL_OUTPUT_LIMIT);
	assert_true(strlen(r.output) > SMP_SHELL_OUTPUT_LIMIT - 64);
	assert_true(strncmp(r.output, "first\nmiddle\n", 13) == 0);   /* the head kept */
	assert_non_null(strstr(r.output, "\nmiddle\nlast\n"));      /* and the tail */
	for (p = r.output + 6; *p != '\0' && strncmp(p, "last\n", 5) != 0; p += 7)
		assert_true(strncmp(p, "middle\n", 7) == 0);   /* whole lines only */
	assert_string_equal(p, "last\n");
	assert_non_null(strstr(r.tail, "middle\nlast\n(output truncated at 8 MiB)"));   /* said */
	/* one line longer than the bound: no cut piece of it is kept */
	smp_shell_result_clear(&r);
	run_ok(&r, "head -c 9000000 /dev/zero; echo; echo last", NULL, 60);
	assert_int_equal(r.output_truncated, 1);
	assert_string_equal(r.output, "last\n");
	smp_shell_result_clear(&r);
}

/* A sandboxed run: its tree at the path it is shown at, a hidden path
 * empty, an empty read-only SMP_SANDBOX_INPUTS (or the inputs given),
 * BENCHGATE_* variables gone, the rest of the system read-only, and its
 * daemons gone with it. */
static void test_sandbox(void **unused)
{
	char tmp[256], tree[400], secret[400], at[400], cmd[1400];
	const char *hide[] = { secret, NULL };
	smp_sandbox sb = { .tree = tree, .at = at, .mode = SMP_TREE_WRITABLE, .hide = hide };
	smp_shell_result r;
	char why[1024];

	(void)unused;
	if (!smp_sandbox_available(why, sizeof(why)))
		fail_msg("no sandbox here: %s", why);   /* make deps installs bubblewrap */
	assert_int_equal(bg_test_tmpdir(tmp, sizeof(tmp), "shell_sandbox"), 0);
	snprintf(tree, sizeof(tree), "%s/tree", tmp);
	snprintf(secret, sizeof(secret), "%s/secret", tmp);
	snprintf(at, sizeof(at), "%s/repo", tmp);
	assert_int_equal(mkdir(tree, 0755), 0);
	assert_int_equal(mkdir(secret, 0755), 0);
	assert_int_equal(mkdir(at, 0755), 0);   /* a repository's path exists */
	snprintf(cmd, sizeof(cmd), "echo hidden > '%s/key' && echo mine > '%s/file'", secret, tree);
	assert_int_equal(system(cmd), 0);
	setenv("BENCHGATE_PROBE", "x", 1);
	snprintf(cmd, sizeof(cmd),
		 "pwd; cat file; ls -A '%s' | wc -l; echo \"[$BENCHGATE_PROBE]\"; "
		 "touch /etc/bg-probe 2>/dev/null && echo wrote-etc; echo built > out; "
		 "ls -A " SMP_SANDBOX_INPUTS " | wc -l; touch " SMP_SANDBOX_INPUTS "/x 2>/dev/null && echo wrote-inputs; "
		 "setsid sh -c 'exec sleep 317' </dev/null >/dev/null 2>&1 &", secret);
	assert_int_equal(smp_shell_run(&r, cmd, NULL, 30, &sb), 0);
	unsetenv("BENCHGATE_PROBE");
	assert_int_equal(r.passed, 1);
	snprintf(cmd, sizeof(cmd), "%s\nmine\n0\n[]\n0", at);
	assert_string_equal(r.tail, cmd);
	smp_shell_result_clear(&r);
	sb.inputs = secret;   /* a held-out run: the inputs there, read-only */
	assert_int_equal(smp_shell_run(&r, "cat " SMP_SANDBOX_INPUTS "/key; touch " SMP_SANDBOX_INPUTS
				       "/x 2>/dev/null && echo wrote-inputs; true", NULL, 30, &sb), 0);
	assert_string_equal(r.tail, "hidden");
	smp_shell_result_clear(&r);
	snprintf(cmd, sizeof(cmd), "%s/out", tree);
	assert_int_equal(access(cmd, F_OK), 0);          /* the build wrote its own tree */
	{
		char *n = bg_test_shell_out("/", "for p in /proc/[0-9]*/cmdline; do tr '\\000' ' ' < $p 2>/dev/null; "
					    "echo; done | grep -c '^sleep 317' || true", 30);
		assert_string_equal(n, "0");                        /* no daemon left */
		free(n);
	}
	bg_test_rmtree(tmp);
}

/* The timing helper and its executor: the command's own exit status and
 * times, its stderr without the report. */
static void test_timer(void **unused)
{
	smp_spawn_opts o = SMP_SPAWN_OPTS_INIT;
	smp_executor ex = smp_timer_executor();
	smp_result r;

	(void)unused;
	o.cmd = "exec '" BG_TEST_BIN "' __time /bin/sh -c 'echo out; echo err >&2; sleep 0.1; exit 3'";
	assert_int_equal(ex.run(&r, &o, ex.ctx), 0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 3);
	assert_true(r.wall_ns >= 100000000 && r.wall_ns < 5000000000LL);
	assert_string_equal(r.out, "out\n");
	assert_string_equal(r.err, "err\n");
	assert_int_equal(r.err_len, 4);
	smp_result_clear(&r);
	o.cmd = "echo no report";                     /* e.g. the sandbox did not start */
	assert_int_equal(ex.run(&r, &o, ex.ctx), 0);
	assert_int_equal(r.outcome, SMP_EXEC_FAILED);
	smp_result_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_merged_in_order),
		cmocka_unit_test(test_failing_keeps_tail),
		cmocka_unit_test(test_timeout_and_kill),
		cmocka_unit_test(test_cwd_needing_quotes),
		cmocka_unit_test(test_refuses_bad_input),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_sandbox),
		cmocka_unit_test(test_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
