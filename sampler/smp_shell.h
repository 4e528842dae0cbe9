/* smp_shell: a command line run through /bin/sh in a directory, the way
 * builds, test commands and the agent run (not measured workloads: those
 * are smp_runner's). stdin is /dev/null; stderr joins stdout so the two
 * keep their order; the output is kept up to a bound, with its last lines
 * for people; the whole process group is killed at the timeout. Built on
 * smp_run (smp_spawn.h); smp_shell_quote beside it writes arguments for
 * such command lines.
 *
 * Errors: negative BG_E* codes with the message in bg_error_last(). */
#ifndef SMP_SHELL_H
#define SMP_SHELL_H

#include <stddef.h>

#include "smp_sandbox.h"
#include "smp_spawn.h"

/* Bytes of output kept from a command (stdout and stderr merged). */
#define SMP_SHELL_OUTPUT_LIMIT ((size_t)8 << 20)
/* Lines of output kept in smp_shell_result.tail. */
#define SMP_SHELL_TAIL_LINES 20

typedef struct {
	int passed;           /* 1 when the command exited with status 0 */
	smp_outcome outcome;  /* SMP_EXITED, SMP_SIGNALED or SMP_TIMED_OUT */
	int exit_code;        /* when outcome is SMP_EXITED */
	int term_signal;      /* when outcome is SMP_SIGNALED */
	int timed_out;        /* 1 when killed at the timeout */
	char *output;         /* all of it, NUL bytes shown as '?' (owned) */
	char *tail;           /* its last SMP_SHELL_TAIL_LINES lines, without the
	                       * final newlines, and "(output truncated at 8 MiB)"
	                       * on a line of its own when it was (owned) */
	int output_truncated; /* 1 when the output passed SMP_SHELL_OUTPUT_LIMIT
	                       * (output is then its first and last 4 MiB,
	                       * whole lines, and tail the end of that) */
	double wall_s;
} smp_shell_result;

/* Runs cmd through /bin/sh in directory cwd (NULL: the current one):
 * "cd CWD || exit 126" first, then cmd verbatim on its own lines, so a
 * cmd with ';', '&&' or a trailing comment means what it says and none of
 * it runs when cd fails; killed after timeout_s seconds (0: never). With
 * sb (NULL: none) the command runs in that sandbox instead, starting in
 * sb->at, and cwd is not used.
 * Returns 0 whenever the command ran, whatever its outcome; BG_EINVAL for
 * a missing argument or a bad sandbox, BG_ENOTFOUND when cwd (or the
 * sandbox's tree) is not a directory, BG_ESYS
 * when /bin/sh could not be started, BG_EINTR on SIGINT/SIGTERM (see
 * bg_interrupt_install), BG_ENOMEM. On success the caller releases *out
 * with smp_shell_result_clear(); on failure *out is untouched. */
int smp_shell_run(smp_shell_result *out, const char *cmd, const char *cwd, double timeout_s,
		  const smp_sandbox *sb);

/* Frees what r holds and zeroes it. Accepts NULL. */
void smp_shell_result_clear(smp_shell_result *r);

/* s quoted for /bin/sh: in single quotes, each ' written as '\''. Returns
 * a string the caller frees, or NULL (BG_ENOMEM set). */
char *smp_shell_quote(const char *s);

#endif
