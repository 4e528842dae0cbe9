/* smp_timer: timing a command from inside its sandbox, so the sandbox's
 * own start (a few ms of namespace setup) is not measured.
 *
 * `benchgate __time CMD ARGS...` (smp_timer_main) runs CMD with the
 * standard streams it was given, waits for it, and writes one report line
 * at the end of stderr: SMP_TIMER_MARK, the wall time and the user and
 * system times in ns, maxrss in KiB, the exit code (-1 when killed) and
 * the signal (0 when it exited); it exits as CMD did. The timed executor
 * runs a command with smp_run and takes the times from that line, which it
 * removes from the captured stderr. */
#ifndef SMP_TIMER_H
#define SMP_TIMER_H

#include <spawn.h>
#include <sys/types.h>

#include "smp_runner.h"

#define SMP_TIMER_MARK "\001benchgate-time"
/* The subcommand name main dispatches to smp_timer_main. */
#define SMP_TIMER_COMMAND "__time"

/* Runs argv[1..argc) and reports as above; returns the exit status for
 * main. argv[0] is SMP_TIMER_COMMAND. */
int smp_timer_main(int argc, char **argv);

/* A command spawned and reaped: its times as the report gives them. */
typedef struct {
	long long wall_ns, user_ns, sys_ns;  /* wall: posix_spawn to wait4 */
	long maxrss_kb;
	int code;          /* exit status; -1 when killed by sig; 127/126 when not run */
	int sig;
	int spawn_errno;   /* posix_spawnp's error, 0 when it started */
	int reaped;        /* 1 when wait4 reaped it */
} smp_timed;

/* Runs argv (argv[0] looked up on PATH) with file actions fa (may be NULL)
 * and waits for it: *t. started (may be NULL) is called with its pid right
 * after it starts. Can't fail: what went wrong is in *t. */
void smp_timer_spawn(smp_timed *t, char *const *argv, const posix_spawn_file_actions_t *fa,
		     void (*started)(pid_t pid, void *ctx), void *ctx);

/* Prints the report (the last line of stderr; code -1 when killed by
 * signal sig; left: the processes the run left behind, killed). */
void smp_timer_report(long long wall_ns, long long user_ns, long long sys_ns, long maxrss_kb, int code, int sig,
		      int left);

/* The executor that reads the report (for smp_runner_opts.exec). A run
 * without a report (the sandbox did not start, or stderr passed its
 * capture limit) is SMP_EXEC_FAILED with its stderr kept. */
smp_executor smp_timer_executor(void);

#endif
