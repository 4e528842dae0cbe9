/* smp_spawn: run one command as a fresh child and measure it.
 *
 * The child runs in its own process group with stdin from /dev/null; stdout
 * and stderr are captured up to a bound (the excess is read and dropped, and
 * flagged). Wall time is CLOCK_MONOTONIC from just before fork to the return
 * of wait4; user/sys/maxrss come from wait4's rusage. When the leader exits,
 * whatever is left of its process group is killed, so no grandchild outlives
 * a run. On timeout the group gets SIGTERM, then SIGKILL after a grace. */
#ifndef SMP_SPAWN_H
#define SMP_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sched.h>

#define SMP_CAPTURE_DEFAULT ((size_t)1 << 20) /* 1 MiB per stream */

typedef struct {
	const char *cmd;        /* the command line; required */
	int no_shell;           /* 0: /bin/sh -c cmd; 1: split on blanks (quotes honoured) and exec directly */
	double timeout_s;       /* 0: no timeout */
	double kill_grace_s;    /* TERM -> KILL delay on timeout; default 0.5 */
	size_t out_limit;       /* bytes of stdout kept */
	size_t err_limit;       /* bytes of stderr kept */
	const cpu_set_t *cpus;  /* NULL: inherit affinity; else the child binds to it before exec */
	int count_hw;           /* 1: count instructions/cycles with perf_event_open when possible */
	char *const *env_extra; /* NULL or a NULL-terminated list of "NAME=value" added to the child's environment */
	int die_with_parent;    /* 1 (the default): the child is killed when benchgate dies, even by SIGKILL */
} smp_spawn_opts;

#define SMP_SPAWN_OPTS_INIT { NULL, 0, 0.0, 0.5, SMP_CAPTURE_DEFAULT, SMP_CAPTURE_DEFAULT, NULL, 0, NULL, 1 }

typedef enum {
	SMP_EXITED = 0,    /* exit_code holds the status */
	SMP_SIGNALED = 1,  /* term_signal holds the signal */
	SMP_TIMED_OUT = 2, /* killed by the timeout */
	SMP_EXEC_FAILED = 3 /* the program could not be started (exit_code 127, err says why) */
} smp_outcome;

typedef struct {
	smp_outcome outcome;
	int exit_code;
	int term_signal;
	int64_t wall_ns;
	int64_t user_ns;
	int64_t sys_ns;
	long maxrss_kb;
	int hw_ok;               /* 1 when instructions/cycles are valid */
	int left_behind;         /* processes a sandboxed run left, killed after it (smp_serve) */
	uint64_t instructions;
	uint64_t cycles;
	char *out;               /* NUL-terminated captured stdout (owned) */
	size_t out_len;
	int out_truncated;
	char *err;               /* NUL-terminated captured stderr (owned) */
	size_t err_len;
	int err_truncated;
	int pin_failed;          /* 1 when the child could not bind to opts->cpus (ran unpinned) */
	int pin_errno;
} smp_result;

/* Runs opts->cmd to completion and fills *out. Returns 0 when the child was
 * started and reaped (whatever its exit status: see out->outcome), a negative
 * BG_E* code on a harness failure (fork, pipe, bad command line) with nothing
 * left running; BG_EINTR when bg_interrupt_requested() became true (the
 * child's group was killed and reaped). On success the caller owns out->out
 * and out->err: release with smp_result_clear(). */
int smp_run(smp_result *out, const smp_spawn_opts *opts);

/* Frees the buffers of r and zeroes it. Accepts NULL. */
void smp_result_clear(smp_result *r);

/* Splits a command line into argv for --no-shell: blanks separate words,
 * single and double quotes group, backslash escapes the next character.
 * *out_argv is a NULL-terminated array owned by the caller (free with
 * bg_strv_free). Returns BG_EINVAL for an unterminated quote or an empty
 * command. */
int smp_argv_split(char ***out_argv, const char *cmd);

/* Whether perf_event_open can count instructions for a child here; when not,
 * *reason (static text) says why. Probed once and cached. */
int smp_hw_counters_available(const char **reason);

#endif
