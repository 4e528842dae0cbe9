/* grd_tests: the test gate — running a project's test command (through
 * smp_shell) and reading how many tests it reported.
 *
 * A change is kept only when its tests pass and their count did not drop
 * (DESIGN.md, decision contract 1). The count is read from the command's
 * own output in one of a few formats:
 *
 *   "cmocka"      the sum of N over every "[==========] N test(s) run." line
 *                 (cmocka prints one per group, and a suite runs many binaries)
 *   "tap"         the sum of the unindented plans "1..N"; without any plan,
 *                 the number of unindented "ok" / "not ok" lines
 *   "pytest"      the last summary line ("=== 5 passed, 2 failed in 0.1s ===",
 *                 "5 passed in 0.1s", "no tests ran in 0.01s"): the sum of
 *                 every count in it except deselected, warnings and reruns
 *                 (a rerun repeats a test already counted); "no tests ran" is 0
 *   "passed"      the sum of N over every "N passed" in the output
 *   "regex:<ERE>" a POSIX extended regular expression, matched line by line,
 *                 whose first capture group holds an integer: the sum over
 *                 all matches */
#ifndef GRD_TESTS_H
#define GRD_TESTS_H

#include <stddef.h>

#include "smp_shell.h"

/* Lines of output kept in grd_test_result.tail. */
#define GRD_TEST_TAIL_LINES SMP_SHELL_TAIL_LINES

/* Whether format is one of the formats above (a regex must compile and
 * have a capture group). Returns 1 when it is; 0 when not, with the reason
 * in the error slot (BG_EINVAL: unknown name, or regerror's text), so a
 * config check can print bg_error_last(). */
int grd_test_format_valid(const char *format);

/* The number of tests reported in output (stdout and stderr of the test
 * command), read in format. Returns 0 with *out set; BG_ENOTFOUND "the test
 * output has no count in format F" when nothing matched; BG_EINVAL for an
 * unknown format, a bad regex, a regex group that is not an integer, or a
 * sum that overflows; BG_ENOMEM. *out is written only on success. */
int grd_test_count(long *out, const char *format, const char *output);

typedef struct {
	int passed;           /* 1 when the command exited with status 0 */
	smp_outcome outcome;  /* SMP_EXITED, SMP_SIGNALED or SMP_TIMED_OUT */
	int exit_code;        /* when outcome is SMP_EXITED */
	int term_signal;      /* when outcome is SMP_SIGNALED */
	int timed_out;        /* 1 when killed at the timeout */
	long count;           /* tests reported; -1 without a format or when none was found */
	const char *reason;   /* NULL when the gate passes; else a static code:
	                       * "tests_failed", "tests_killed", "tests_timed_out",
	                       * "tests_count_missing" (a format was given and the
	                       * output had no count in it) */
	char *tail;           /* the last GRD_TEST_TAIL_LINES lines of output, owned */
	int output_truncated; /* 1 when the output passed SMP_SHELL_OUTPUT_LIMIT (the
	                       * count and tail come from its first 8 MiB) */
	double wall_s;
} grd_test_result;

/* Runs cmd through /bin/sh in directory cwd (NULL: the current one) as
 * smp_shell_run does (stdin from /dev/null, stderr merged into stdout in
 * order, killed after timeout_s seconds, 0: never), and fills *out with
 * the outcome and the count in format (NULL: don't count), which is
 * checked before anything runs; sb (NULL: none) is the sandbox it runs in.
 * Returns 0 whenever the command ran, * whatever its outcome (read out->reason); BG_EINVAL for a bad format,
 * BG_ENOTFOUND when cwd is not a directory, BG_ESYS when /bin/sh could not
 * be started, BG_EINTR on SIGINT/SIGTERM (see bg_interrupt_install),
 * BG_ENOMEM. On success the caller releases *out with
 * grd_test_result_clear(); on failure *out is untouched. */
int grd_tests_run(grd_test_result *out, const char *cmd, const char *cwd,
		  const char *format, double timeout_s, const smp_sandbox *sb);

/* Frees out->tail and zeroes *r. Accepts NULL. */
void grd_test_result_clear(grd_test_result *r);

#endif
