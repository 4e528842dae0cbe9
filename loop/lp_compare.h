/* lp_compare: `benchgate compare CMD_A CMD_B` — two commands measured in
 * randomized interleaved rounds, summarised per arm, and one verdict from
 * the paired log-ratios (options and outputs: cli/cmd_compare.c). */
#ifndef LP_COMPARE_H
#define LP_COMPARE_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

#include "smp_probe.h"
#include "smp_runner.h"
#include "st_bet.h"
#include "st_cs.h"
#include "st_effect.h"
#include "st_rule.h"

enum { LP_FAIL_ON_NONE, LP_FAIL_ON_REGRESSION, LP_FAIL_ON_NO_IMPROVEMENT };

typedef struct {
	const char *cmd_a, *cmd_b;
	unsigned warmup;          /* warm-up rounds, discarded */
	unsigned runs;            /* 0: adaptive; else exactly this many rounds */
	unsigned min_runs, max_runs;
	double max_time;          /* seconds for the whole measurement */
	const char *metric;
	const char *metric_regex; /* NULL, or an ERE with one group reading metric */
	int metric_aggregate;     /* smp_aggregate: several values in one run */
	int difference;           /* --effect difference: B - A, min_effect in the metric's units */
	int ranged;               /* --range LO,HI: values bounded, B - A by betting (st_bet.h) */
	double range_lo, range_hi;
	int lower_is_better;
	double alpha, min_effect;
	const char *pin;
	unsigned long long seed;
	double timeout;
	int no_shell, ignore_failure, quiet;
	const char *export_json, *export_md;
	int fail_on;
	size_t resamples;
} lp_compare_opts;

/* Everything a report needs about one finished comparison. */
typedef struct {
	const lp_compare_opts *opts;
	smp_probe probe;
	double steal_share;
	smp_pinning *pin;
	smp_runner *runner;
	st_effect effect;
	const char *stopped;      /* "decided", "runs", "max_runs", "max_time" */
	st_cs_state cs;           /* the confidence sequence (adaptive mode) */
	st_bet_state bet;         /* --range: the betting sequence instead */
	st_rule rule;             /* the decision rule at --alpha */
	double elapsed_s;
} lp_compare_run;

/* Summary of one arm's values of the metric. */
typedef struct {
	size_t n;
	double median, mad, mean, sd, min, max;
	double user_mean, sys_mean;  /* seconds */
	size_t ncpts;                /* change points in the series (PELT, 15 ln n) */
	size_t first_cpt;            /* rounds before the first one, 0 when none */
} lp_arm_summary;

/* Extracts the metric's value per round for arm A and B (caller frees
 * *a and *b). BG_ENOTFOUND when a run lacks the metric. */
int lp_compare_pairs(double **a, double **b, size_t *n, const smp_runner *r,
		     const char *metric);
int lp_arm_summarise(lp_arm_summary *out, const smp_runner *r, unsigned arm,
		     const double *values, size_t n);

/* Measures run->opts's two commands into *run (opts set, the rest zeroed):
 * the rule at --alpha, the runner, warm-up, the rounds until the rule
 * decides or a limit ends them, the machine's probe and steal share.
 * Release with lp_compare_run_clear, also after a failure. Errors of
 * st_rule_check, smp_pinning_new, smp_runner_* (BG_EINTR interrupted,
 * BG_ECHILD a failing run), BG_EUNSUPPORTED (counters unreadable). */
int lp_compare_measure(lp_compare_run *run, gsl_rng *rng);

/* Frees what run holds (not run->opts); a zeroed run is fine. */
void lp_compare_run_clear(lp_compare_run *run);

#endif
