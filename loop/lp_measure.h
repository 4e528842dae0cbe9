/* lp_measure: measuring a baseline against a candidate on several workloads
 * at once — the sequential core of `benchgate gate` (and of audit).
 *
 * Every round runs each (workload, arm) once in a shuffled order. After each
 * round, per workload, the paired log-difference d_w updates a confidence
 * sequence (st_cs.h); the aggregate is the weighted mean of the round's d_w,
 * which is again symmetric under the null, so it gets a sequence of its own
 * (Kalibera & Jones 2013: the suite's effect is the weighted geometric mean
 * of per-workload ratios). Sampling stops when the aggregate's verdict at
 * the experiment's level is clear, when a workload has regressed beyond the
 * allowed bound (Holm's step-down over the workloads' always-valid p-values
 * for "regressed by max_regression"), or when the budget ends. */
#ifndef LP_MEASURE_H
#define LP_MEASURE_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "smp_pin.h"
#include "smp_runner.h"
#include "st_cs.h"
#include "st_effect.h"
#include "lp_config.h"

/* How the candidate's runs are named in errors ("command B (candidate) of
 * workload "x" ... exited with code 3"). */
#define LP_MEASURE_CANDIDATE "B (candidate)"

typedef struct {
	const char *name;
	const char *cmd_a;     /* baseline command (complete: includes any cd) */
	const char *cmd_b;     /* candidate command */
	double weight;         /* > 0 */
} lp_measure_workload;

typedef struct {
	const char *metric;
	const char *metric_regex;   /* NULL, or the ERE reading metric from output */
	int metric_aggregate;       /* smp_aggregate: several values in one run */
	int difference;             /* metric.effect "difference": d = B - A, and
	                             * min_effect, max_regression in the metric's units */
	int ranged;                 /* metric.range [range_lo, range_hi]: every value
	                             * in it, and the betting sequence (st_bet.h) on
	                             * d in [-w, w], w = hi - lo; 0: the normal mixture */
	double range_lo, range_hi;
	int lower_is_better;
	double alpha;          /* level of the aggregate decision (the level granted) */
	double alpha_regress;  /* family-wise level of the per-workload regression check */
	double min_effect;
	double max_regression;
	unsigned warmup, min_rounds, max_rounds;
	double max_seconds;
	double run_timeout;
	char *const *env_extra; /* NULL or "NAME=value" list for every run */
	int quiet;             /* no progress line */
	const char *label;     /* progress line prefix, e.g. "training" */
	const lp_secondary *secondary; /* guards on other metrics of the same runs */
	size_t nsecondary;
	smp_executor exec;     /* zeroed: real runs (the tests script run times) */
} lp_measure_opts;

typedef struct {
	char *name;
	double weight;
	st_effect effect;      /* ratio B/A, sequence at the experiment's level, p-value */
	double p_regress;      /* always-valid p of "regressed by max_regression" */
	int regressed;         /* Holm rejected it and the estimate is beyond the bound */
} lp_measure_wl;

/* A secondary metric's guard: its B/A over the workloads (weighted as the
 * primary's), and whether it got worse than its max_regression. */
typedef struct {
	char *name;
	int lower_is_better;
	double max_regression;
	double ratio;          /* geometric mean over the rounds of the weighted B/A */
	double p_regress;      /* always-valid p of "worse by more than max_regression" */
	int exact;             /* the same B/A in every round: decided without noise */
	int regressed;         /* Holm (over the secondaries) rejected it, beyond the bound */
} lp_measure_sec;

typedef struct {
	lp_measure_wl *wl;
	size_t nwl;
	lp_measure_sec *sec;   /* one per opts->secondary */
	size_t nsec;
	st_effect aggregate;
	unsigned rounds;
	double elapsed_s;
	const char *stopped;   /* "decided", "regressed", "max_rounds", "max_time" */
	smp_runner *runner;    /* owned: every sample, for the ledger */
} lp_measure_result;

/* Measures; on success *out holds the result (release with
 * lp_measure_result_clear). pin may be NULL; rng is the seeded generator of
 * the shuffles. Errors: BG_ECHILD when a run fails (message names workload
 * and arm: A is the baseline, B the candidate), BG_EINTR, BG_EDOMAIN for a
 * non-positive metric value, BG_EINVAL for bad options. */
int lp_measure_run(lp_measure_result *out, const lp_measure_workload *wl, size_t nwl,
		   const lp_measure_opts *opts, smp_pinning *pin, gsl_rng *rng);

void lp_measure_result_clear(lp_measure_result *r);

#endif
