/* smp_serve: one sandbox per arm whose runs are served inside it, instead
 * of a sandbox per run. Starting a fresh sandbox costs milliseconds of
 * namespace setup, and the first program run in it runs slower than in a
 * sandbox already up (cold mount and process tables): measured inside a
 * fresh sandbox, `true` took 0.73 ms against 0.59 ms inside one long-lived
 * one and 0.57-0.62 ms unsandboxed.
 *
 * The server, `benchgate __serve [--overlay DIR] SOCKET`, runs as the
 * sandbox's command (smp_sandbox.serve). For each request it:
 *   - empties what a run could leave for the next: $TMPDIR
 *     (SMP_SANDBOX_TMP, but for the inputs and the timer), /dev/shm, its
 *     own directory (but for the socket), the System V IPC objects;
 *   - runs the command with the requester's stdout, stderr and CPU
 *     affinity, timed as smp_timer times one (posix_spawn to wait4); with
 *     --overlay, from a child that first gives the run its own overlay
 *     on DIR (smp_overlay.h), so what the run writes there goes with it;
 *   - kills every other process of the sandbox's PID namespace (daemons a
 *     run left), and a run whose requester went away (a timeout);
 *   - answers with the times, the exit status and the signal.
 * So nothing outlives a run, as in a sandbox per run.
 *
 * The requester, `benchgate __ask SOCKET CMD ARGS...`, run by smp_run as
 * the measured command, prints smp_timer's report as the last line of its
 * stderr and exits with the command's status: smp_timer_executor reads it
 * unchanged. */
#ifndef SMP_SERVE_H
#define SMP_SERVE_H

#include "smp_sandbox.h"
#include "smp_runner.h"

#include <sys/types.h>

#define SMP_SERVE_COMMAND "__serve"
#define SMP_ASK_COMMAND "__ask"

/* Kills every process of the sandbox's PID namespace but its init and the
 * caller (what a run left behind) and reaps the caller's children: how
 * many it killed. Does nothing (0) unless the caller is PID 2 whose parent
 * is PID 1, bwrap's first process in a new PID namespace: never outside a
 * sandbox. */
int smp_sandbox_sweep(void);

/* `benchgate __serve [--overlay DIR] SOCKET`: serves until killed. */
int smp_serve_main(int argc, char **argv);

/* `benchgate __ask SOCKET CMD [ARGS...]`: the command's exit status, 126
 * when the server cannot be reached. */
int smp_ask_main(int argc, char **argv);

typedef struct {
	pid_t pid;           /* bwrap's, 0 when not started */
	char dir[40];        /* the server's directory, shown at the same path */
	char sock[48];
} smp_server;

/* Starts the server of sandbox sb (whose timer names benchgate's binary)
 * and waits until it listens (10 s at most). BG_EINVAL (sb without a
 * timer, a path it cannot show), BG_ESYS (the directory, fork, or a server
 * that exited or did not listen: the message says which), BG_ENOMEM. */
int smp_server_start(smp_server *s, const smp_sandbox *sb);

/* Kills the server and its sandbox and removes its directory. Accepts a
 * server never started. */
void smp_server_stop(smp_server *s);

/* The command line that has server s run cmd (a /bin/sh command line),
 * through exe (benchgate's binary, outside the sandbox). Caller frees; NULL
 * when out of memory. */
char *smp_server_command(const smp_server *s, const char *exe, const char *cmd);

/* A run's route to its server, for smp_serve_executor: the command line
 * the runner has for it (smp_server_command's), the server, and the
 * command the server runs (/bin/sh -c inner). All borrowed. */
typedef struct {
	const char *cmd;
	const smp_server *srv;
	const char *inner;
} smp_serve_route;

typedef struct {
	const smp_serve_route *r;
	size_t n;
} smp_serve_routes;

/* The executor (smp_runner_opts.exec) that sends each run on its route
 * from this process, with no `benchgate __ask` started per run: the run's
 * stdout and stderr are captured here within opts' limits, opts' timeout
 * and CPUs (or this thread's) apply, and the times come from the server as
 * __ask would print them. A command without a route runs as
 * smp_timer_executor runs it. routes must outlive the runs. */
smp_executor smp_serve_executor(const smp_serve_routes *routes);

#endif
