/* test_grd_tests: cmocka tests for guards/grd_tests — reading test counts in
 * every format from real-looking (mostly captured) output, running test
 * commands (passing, failing, killed, timed out: the gate's reasons; the
 * shell runner itself is tested in test_shell.c).
 *
 * One cmocka output is produced live: with GRD_TEST_CMOCKA_CHILD set, this
 * binary runs two small groups of its own and exits, so the "several groups
 * summed" test reads what this project's cmocka really prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"

#include "bg_error.h"
#include "bg_file.h"
#include "grd_tests.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------- */

static void count_is(const char *format, const char *text, long expected)
{
	long n = -99;
	int rc = grd_test_count(&n, format, text);

	if (rc != 0)
		fail_msg("format %s: error %d: %s", format, rc, bg_error_last());
	assert_int_equal(n, expected);
}

/* Asserts the error code, that *out stayed untouched, and that the message
 * holds `words`. */
static void count_fails(const char *format, const char *text, int code, const char *words)
{
	long n = -99;

	assert_int_equal(grd_test_count(&n, format, text), code);
	assert_int_equal(n, -99);
	if (strstr(bg_error_last(), words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", bg_error_last(), words);
}

static void run_ok(grd_test_result *r, const char *cmd, const char *cwd, const char *format,
		   double timeout_s)
{
	int rc = grd_tests_run(r, cmd, cwd, format, timeout_s, NULL);

	if (rc != 0)
		fail_msg("grd_tests_run(%s): %d %s", cmd, rc, bg_error_last());
	assert_non_null(r->tail);
}

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/test_grd_tests.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void remove_tree(const char *dir)
{
	char *q = smp_shell_quote(dir), cmd[4096];

	assert_non_null(q);
	snprintf(cmd, sizeof(cmd), "rm -rf -- %s", q);
	assert_int_equal(system(cmd), 0);
	free(q);
}

/* ---- captured outputs ------------------------------------------------- */

/* build/tests/test_metric, stdout and stderr together. */
static const char cmocka_metric[] =
	"[==========] Running 8 test(s).\n"
	"[ RUN      ] test_valid_lines\n"
	"[       OK ] test_valid_lines\n"
	"[ RUN      ] test_last_value_wins\n"
	"[       OK ] test_last_value_wins\n"
	"[ RUN      ] test_malformed_are_counted_not_fatal\n"
	"[       OK ] test_malformed_are_counted_not_fatal\n"
	"[ RUN      ] test_non_finite_and_huge\n"
	"[       OK ] test_non_finite_and_huge\n"
	"[ RUN      ] test_lookalikes_ignored\n"
	"[       OK ] test_lookalikes_ignored\n"
	"[ RUN      ] test_long_name_and_huge_buffer\n"
	"[       OK ] test_long_name_and_huge_buffer\n"
	"[ RUN      ] test_not_nul_terminated\n"
	"[       OK ] test_not_nul_terminated\n"
	"[ RUN      ] test_name_validity\n"
	"[       OK ] test_name_validity\n"
	"[==========] 8 test(s) run.\n"
	"[  PASSED  ] 8 test(s).\n";

/* pytest 7.2.1 on a file with a pass, a failure, a skip and a warning. */
static const char pytest_full[] =
	"============================= test session starts ==============================\n"
	"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0+repack\n"
	"rootdir: /tmp/pyt\n"
	"collected 4 items\n"
	"\n"
	"test_x.py .Fs.                                                           [100%]\n"
	"\n"
	"=================================== FAILURES ===================================\n"
	"____________________________________ test_b ____________________________________\n"
	"\n"
	">   def test_b(): assert 0\n"
	"E   assert 0\n"
	"\n"
	"test_x.py:3: AssertionError\n"
	"=============================== warnings summary ===============================\n"
	"test_x.py::test_d\n"
	"  /tmp/pyt/test_x.py:6: UserWarning: w\n"
	"    def test_d(): import warnings; warnings.warn(\"w\")\n"
	"\n"
	"-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html\n"
	"=========================== short test summary info ============================\n"
	"FAILED test_x.py::test_b - assert 0\n"
	"============== 1 failed, 2 passed, 1 skipped, 1 warning in 0.04s ===============\n";

/* perl Test::More, plan first, one failure. */
static const char tap_perl[] =
	"1..3\n"
	"ok 1 - a\n"
	"not ok 2 - b\n"
	"#   Failed test 'b'\n"
	"#   at -e line 1.\n"
	"ok 3 - c\n"
	"# Looks like you failed 1 test of 3.\n";

/* ---- counting --------------------------------------------------------- */

static void test_cmocka_real_output(void **state)
{
	(void)state;
	count_is("cmocka", cmocka_metric, 8);
}

static void test_cmocka_groups_summed(void **state)
{
	const char text[] =
		"make[1]: Entering directory '/src'\n"
		"[==========] Running 3 test(s).\n"
		"[ RUN      ] a\n"
		"[       OK ] a\n"
		"[==========] 3 test(s) run.\n"
		"[  PASSED  ] 2 test(s).\n"
		"[  FAILED  ] 1 test(s), listed below:\n"
		"[  FAILED  ] c\n"
		"\n 1 FAILED TEST(S)\n"
		"[==========] Running 12 test(s).\n"
		"[==========] 12 test(s) run.\r\n"
		"[  PASSED  ] 12 test(s).\n"
		"[==========] 1 test run.\n";

	(void)state;
	count_is("cmocka", text, 16);
	/* "Running N test(s)" alone is not a count of tests run. */
	count_fails("cmocka", "[==========] Running 8 test(s).\n", BG_ENOTFOUND, "cmocka");
}

/* The live output of two groups of this very binary (see main). */
static void test_cmocka_live_two_groups(void **state)
{
	char exe[4096], cmd[4200], *q;
	grd_test_result r;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	q = smp_shell_quote(exe);
	assert_non_null(q);
	snprintf(cmd, sizeof(cmd), "GRD_TEST_CMOCKA_CHILD=1 %s", q);
	free(q);
	run_ok(&r, cmd, NULL, "cmocka", 60);
	assert_int_equal(r.passed, 1);
	assert_null(r.reason);
	assert_int_equal(r.count, 5);
	assert_non_null(strstr(r.tail, "[  PASSED  ] 3 test(s)."));
	grd_test_result_clear(&r);
}

static void test_tap_with_plan(void **state)
{
	(void)state;
	count_is("tap", tap_perl, 3);
	/* Two scripts, two plans; a skipped script's 1..0 counts zero. */
	count_is("tap", "1..2\nok 1\nok 2\n1..3\nok 1\nok 2\nnot ok 3\n1..0 # SKIP no db\n", 5);
	count_is("tap", "1..0 # SKIP no database\n", 0);
	/* A subtest's indented plan is part of its parent test. */
	count_is("tap", "1..2\n    1..3\n    ok 1\n    ok 2\n    ok 3\nok 1 - sub\nok 2\n", 2);
	/* The plan may come last. */
	count_is("tap", "ok 1\nok 2\n1..2\n", 2);
}

static void test_tap_without_plan(void **state)
{
	(void)state;
	count_is("tap", "ok 1 - a\nnot ok 2 - b # TODO later\nok 3\nok\n"
		 "okay then\n# ok 9\n    ok 1 - nested\n", 4);
	count_fails("tap", "# no tests here\nokay\n", BG_ENOTFOUND, "no count in format tap");
}

static void test_pytest_variants(void **state)
{
	(void)state;
	/* warnings are not tests */
	count_is("pytest", pytest_full, 4);
	count_is("pytest", "===== 1 failed, 2 passed in 0.05s =====\n", 3);
	count_is("pytest", "..... \n5 passed in 0.1s\n", 5);
	count_is("pytest", "1 failed, 2 passed, 1 skipped, 1 warning in 0.02s\n", 4);
	count_is("pytest", "============================ no tests ran in 0.00s ====\n", 0);
	count_is("pytest", "=== 4 deselected in 0.01s ===\n", 0);
	count_is("pytest", "== 3 passed, 2 deselected, 1 xfailed, 1 xpassed, 2 errors, "
		 "3 warnings in 1.20s (0:00:01) ==\n", 7);
	count_is("pytest", "=== 2 failed, 4 passed, 3 rerun in 2.1s ===\n", 6);
	count_is("pytest", "=== 1 error in 0.31s ===\n", 1);
	/* pytest < 5 */
	count_is("pytest", "========== 6 passed in 0.12 seconds ==========\n", 6);
	/* Two sessions in one log: the last summary is the answer. */
	count_is("pytest", "=== 9 passed in 1s ===\nrerunning\n=== 2 passed, 1 failed in 0.5s ===\n", 3);
	/* Without the timing it is not pytest's summary. */
	count_fails("pytest", "5 passed\n", BG_ENOTFOUND, "format pytest");
	count_fails("pytest", cmocka_metric, BG_ENOTFOUND, "format pytest");
}

static void test_passed_format(void **state)
{
	(void)state;
	count_is("passed", "test_a.sh: 3 passed\ntests: 12 passed, 0 failed\n", 15);
	count_is("passed", "suite one: 2 passed; suite two: 40 passed\n", 42);
	count_fails("passed", "[  PASSED  ] 8 test(s).\npassed: 3\n", BG_ENOTFOUND, "format passed");
	count_fails("passed", "99999999999999999999 passed\n", BG_EINVAL, "not a test count");
	count_fails("passed", "9223372036854775807 passed\n1 passed\n", BG_EINVAL, "add up");
}

static void test_regex_format(void **state)
{
	(void)state;
	count_is("regex:^Ran ([0-9]+) tests? in", "....\n------\nRan 7 tests in 0.003s\n\nOK\n", 7);
	/* summed over lines and over several matches in one line */
	count_is("regex:suite [a-z]+: ([0-9]+)", "suite a: 3, suite b: 4\nsuite c: 10\n", 17);
	/* '^' anchors each line, not only the first */
	count_is("regex:^total=([0-9]+)", "total=2\nx total=100\ntotal=5\n", 7);
	/* blanks around the digits are fine */
	count_is("regex:count:( *[0-9]+ *);", "count:  12 ;\n", 12);
	count_fails("regex:Ran [0-9]+ tests", "Ran 7 tests\n", BG_EINVAL, "no capture group");
	count_fails("regex:([0-9]+", "Ran 7 tests\n", BG_EINVAL, "bad regular expression");
	count_fails("regex:(tests)", "Ran 7 tests\n", BG_EINVAL, "\"tests\", not a test count");
	count_fails("regex:(x)?([0-9]+) ok", "5 ok\n", BG_EINVAL, "took no part");
	count_fails("regex:Ran ([0-9]+) tests", "nothing ran\n", BG_ENOTFOUND,
		    "no count in format regex:Ran ([0-9]+) tests");
}

static void test_formats_valid(void **state)
{
	static const char *const good[] = { "cmocka", "tap", "pytest", "passed",
					    "regex:([0-9]+) tests" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(grd_test_format_valid(good[i]), 1);
	assert_int_equal(grd_test_format_valid("junit"), 0);
	assert_non_null(strstr(bg_error_last(), "unknown test count format \"junit\""));
	assert_int_equal(grd_test_format_valid("regex:[0-9"), 0);
	assert_non_null(strstr(bg_error_last(), "bad regular expression"));
	assert_int_equal(grd_test_format_valid("regex:[0-9]+"), 0);
	assert_int_equal(grd_test_format_valid("CMOCKA"), 0);
	assert_int_equal(grd_test_format_valid(NULL), 0);
	count_fails("junit", "", BG_EINVAL, "regex:<ERE>");
}

static void test_not_found(void **state)
{
	(void)state;
	count_fails("cmocka", "", BG_ENOTFOUND, "the test output has no count in format cmocka");
	count_fails("cmocka", pytest_full, BG_ENOTFOUND, "format cmocka");
	count_fails("tap", "", BG_ENOTFOUND, "format tap");
	count_fails("pytest", tap_perl, BG_ENOTFOUND, "format pytest");
}

/* ---- running ---------------------------------------------------------- */

static void test_run_passing(void **state)
{
	grd_test_result r;
	int fds = bg_test_count_fds();

	(void)state;
	run_ok(&r, "echo '[==========] 4 test(s) run.'; echo 'done' >&2; echo after",
	       NULL, "cmocka", 30);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.timed_out, 0);
	assert_null(r.reason);
	assert_int_equal(r.count, 4);
	/* stderr merged in order */
	assert_string_equal(r.tail, "[==========] 4 test(s) run.\ndone\nafter");
	assert_int_equal(r.output_truncated, 0);
	grd_test_result_clear(&r);
	assert_null(r.tail);
	grd_test_result_clear(NULL);
	assert_int_equal(bg_test_count_fds(), fds);
}

static void test_run_failing_keeps_tail(void **state)
{
	grd_test_result r;
	char expected[512] = "";
	int i;

	(void)state;
	run_ok(&r, "i=1; while [ $i -le 30 ]; do echo line$i; i=$((i+1)); done; exit 3",
	       NULL, NULL, 30);
	assert_int_equal(r.passed, 0);
	assert_int_equal(r.outcome, SMP_EXITED);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.reason, "tests_failed");
	assert_int_equal(r.count, -1);
	for (i = 11; i <= 30; i++)
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
			 "%sline%d", i > 11 ? "\n" : "", i);
	assert_string_equal(r.tail, expected);
	grd_test_result_clear(&r);

	/* A failure is a failure even when the count is there. */
	run_ok(&r, "echo '1..2'; echo 'ok 1'; echo 'not ok 2'; exit 1", NULL, "tap", 30);
	assert_string_equal(r.reason, "tests_failed");
	assert_int_equal(r.count, 2);
	grd_test_result_clear(&r);
}

static void test_run_timed_out(void **state)
{
	grd_test_result r;

	(void)state;
	run_ok(&r, "echo started; sleep 20", NULL, "cmocka", 0.3);
	assert_int_equal(r.passed, 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.outcome, SMP_TIMED_OUT);
	assert_string_equal(r.reason, "tests_timed_out");
	assert_true(r.wall_s < 10);
	assert_string_equal(r.tail, "started");
	grd_test_result_clear(&r);
}

static void test_run_killed(void **state)
{
	grd_test_result r;

	(void)state;
	run_ok(&r, "kill -KILL $$", NULL, NULL, 30);
	assert_int_equal(r.passed, 0);
	assert_int_equal(r.outcome, SMP_SIGNALED);
	assert_int_equal(r.term_signal, 9);
	assert_string_equal(r.reason, "tests_killed");
	grd_test_result_clear(&r);
}

static void test_run_count_missing(void **state)
{
	grd_test_result r;

	(void)state;
	run_ok(&r, "echo all good", NULL, "pytest", 30);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.count, -1);
	assert_string_equal(r.reason, "tests_count_missing");
	grd_test_result_clear(&r);
	/* no format: no count, and none needed */
	run_ok(&r, "echo all good", NULL, NULL, 30);
	assert_int_equal(r.count, -1);
	assert_null(r.reason);
	grd_test_result_clear(&r);
}

static void test_run_refuses_bad_input(void **state)
{
	char *tmp = make_tmpdir(), marker[512], cmd[600], missing[600];
	grd_test_result r;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	snprintf(marker, sizeof(marker), "%s/ran", tmp);
	snprintf(cmd, sizeof(cmd), "touch '%s'", marker);
	assert_int_equal(grd_tests_run(&r, cmd, NULL, "regex:(", 30, NULL), BG_EINVAL);
	assert_int_equal(access(marker, F_OK), -1);   /* nothing ran */
	snprintf(missing, sizeof(missing), "%s/nope", tmp);
	assert_int_equal(grd_tests_run(&r, cmd, missing, NULL, 30, NULL), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), missing));
	assert_int_equal(access(marker, F_OK), -1);
	assert_int_equal(r.exit_code, 0x5a5a5a5a);   /* *out untouched */
	assert_int_equal(grd_tests_run(&r, NULL, NULL, NULL, 30, NULL), BG_EINVAL);
	remove_tree(tmp);
	free(tmp);
}

/* ---- bg_file ------------------------------------------------------------ */

static void test_file_roundtrip(void **state)
{
	char *tmp = make_tmpdir(), path[512], *text;
	size_t len = 0;
	DIR *d;
	struct dirent *e;
	int entries = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/f.txt", tmp);
	assert_null(bg_file_read(path, &len));
	assert_int_equal(bg_error_code(), BG_ENOTFOUND);
	assert_int_equal(bg_file_write_atomic(path, "first"), 0);
	assert_int_equal(bg_file_write_atomic(path, "second version"), 0);
	text = bg_file_read(path, &len);
	assert_string_equal(text, "second version");
	assert_int_equal(len, 14);
	free(text);
	/* no temporary file is left behind */
	d = opendir(tmp);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		entries += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
	snprintf(path, sizeof(path), "%s/no/such/dir/f", tmp);
	assert_int_equal(bg_file_write_atomic(path, "x"), BG_ESYS);
	assert_non_null(strstr(bg_error_last(), path));
	remove_tree(tmp);
	free(tmp);
}

/* ---- the live cmocka child ------------------------------------------- */

static void child_ok(void **state)
{
	(void)state;
	assert_true(1);
}

static int cmocka_child(void)
{
	const struct CMUnitTest a[] = { cmocka_unit_test(child_ok), cmocka_unit_test(child_ok) };
	const struct CMUnitTest b[] = { cmocka_unit_test(child_ok), cmocka_unit_test(child_ok),
					cmocka_unit_test(child_ok) };

	return cmocka_run_group_tests(a, NULL, NULL) + cmocka_run_group_tests(b, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmocka_real_output),
		cmocka_unit_test(test_cmocka_groups_summed),
		cmocka_unit_test(test_cmocka_live_two_groups),
		cmocka_unit_test(test_tap_with_plan),
		cmocka_unit_test(test_tap_without_plan),
		cmocka_unit_test(test_pytest_variants),
		cmocka_unit_test(test_passed_format),
		cmocka_unit_test(test_regex_format),
		cmocka_unit_test(test_formats_valid),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_run_passing),
		cmocka_unit_test(test_run_failing_keeps_tail),
		cmocka_unit_test(test_run_timed_out),
		cmocka_unit_test(test_run_killed),
		cmocka_unit_test(test_run_count_missing),
		cmocka_unit_test(test_run_refuses_bad_input),
		cmocka_unit_test(test_file_roundtrip),
	};

	if (getenv("GRD_TEST_CMOCKA_CHILD") != NULL)
		return cmocka_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
