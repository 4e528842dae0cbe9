/* smp_runner: rounds of randomized interleaved runs (Abedi & Brecht 2017).
 *
 * A job is one (workload, arm) command. Each round runs every job once in an
 * order freshly shuffled by the seeded RNG; the A and B runs of a workload in
 * the same round form a pair. Warm-up rounds are run the same way and
 * discarded. Samples keep their round and their position in it. */
#ifndef SMP_RUNNER_H
#define SMP_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "smp_metric.h"
#include "smp_pin.h"
#include "smp_spawn.h"

typedef struct {
	const char *name;   /* label in messages and exports, e.g. "A" */
	const char *cmd;
	unsigned workload;  /* index of the workload */
	unsigned arm;       /* 0 = A (baseline), 1 = B (candidate) */
} smp_job;

typedef struct {
	unsigned round;     /* 0-based, warm-ups excluded */
	unsigned order;     /* position within the round */
	unsigned job;       /* index into the jobs */
	smp_outcome outcome;
	int exit_code;
	int term_signal;
	int64_t wall_ns;
	int64_t user_ns;
	int64_t sys_ns;
	long maxrss_kb;
	int hw_ok;
	uint64_t instructions;
	uint64_t cycles;
	smp_metrics metrics;
} smp_sample;

/* The seam every measured run goes through (hyperfine's mock executor is
 * the model): run(out, opts, ctx) runs opts->cmd and fills *out as smp_run
 * does, with the same return contract. run NULL means smp_run itself; the
 * tests put a scripted executor here (tests/support/mock_exec.h) to drive
 * the measurement and the gate with run times of their choosing. */
typedef int (*smp_exec_fn)(smp_result *out, const smp_spawn_opts *opts, void *ctx);

typedef struct {
	smp_exec_fn run;
	void *ctx;
} smp_executor;

typedef struct {
	smp_spawn_opts spawn;   /* template: cmd and cpus are set per run */
	int ignore_failure;     /* record failing runs instead of stopping */
	smp_executor exec;      /* zeroed: the real smp_run */
	const char *metric;     /* with metric_regex: the metric it reads */
	const char *metric_regex; /* NULL, or an ERE with one group reading
	                         * `metric` from every run's output
	                         * (smp_metric_regex_new; the runner compiles it) */
	smp_aggregate metric_aggregate; /* several values of a name in one run */
} smp_runner_opts;

#define SMP_RUNNER_OPTS_INIT { SMP_SPAWN_OPTS_INIT, 0, { NULL, NULL }, NULL, NULL, SMP_AGG_LAST }

typedef struct smp_runner smp_runner;

/* Copies the jobs. pin (may be NULL) and rng are borrowed and must outlive
 * the runner. BG_EINVAL for no jobs or a metric_regex that does not
 * compile, BG_ENOMEM. */
int smp_runner_new(smp_runner **out, const smp_job *jobs, size_t njobs,
		   const smp_runner_opts *opts, smp_pinning *pin, gsl_rng *rng);
void smp_runner_free(smp_runner *r);

/* Runs `rounds` shuffled warm-up rounds; their samples are discarded.
 * Errors as smp_runner_round. */
int smp_runner_warmup(smp_runner *r, unsigned rounds);

/* Runs one round. On a failing run (non-zero exit, signal, timeout, exec
 * failure) without ignore_failure: BG_ECHILD with a message naming the job,
 * the exit status and the last lines of its stderr, and the partial round is
 * dropped. BG_EINTR when interrupted (partial round dropped). */
int smp_runner_round(smp_runner *r);

/* Complete rounds so far, and the samples (rounds * njobs of them, in run
 * order). Borrowed, valid until the next round. */
size_t smp_runner_rounds(const smp_runner *r);
const smp_sample *smp_runner_samples(const smp_runner *r, size_t *n);
const smp_job *smp_runner_job(const smp_runner *r, size_t i);
size_t smp_runner_njobs(const smp_runner *r);

/* Malformed METRIC lines seen across all runs, and the first problem. */
size_t smp_runner_malformed(const smp_runner *r, const char **first);
/* Runs whose stdout or stderr exceeded its bound. */
size_t smp_runner_truncated(const smp_runner *r);
/* Processes the sandboxed runs left behind (killed after each run). */
size_t smp_runner_left_behind(const smp_runner *r);

/* Value of `metric` in a sample: wall, cpu (user+sys), user, sys (seconds),
 * maxrss (KiB), instructions, cycles, or a METRIC name. BG_ENOTFOUND when
 * the sample lacks it (message names the metric and the run). */
int smp_sample_value(double *out, const smp_sample *s, const char *metric);

#endif
