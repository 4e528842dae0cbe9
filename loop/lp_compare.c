/* lp_compare: `benchgate compare`'s measurement loop and stopping rule
 * (its options and outputs are cli/cmd_compare.c).
 *
 * Stopping rule: after every round (from --min-runs on) the anytime-valid
 * confidence sequence of st_cs.h is updated with the round's paired
 * log-difference and the verdict rule applied to it; sampling stops at the
 * first verdict other than INCONCLUSIVE, or when --max-runs/--max-time end
 * it. Looking after every round does not inflate the error rate: the
 * sequence holds at all times at once. With --runs N there is one look, a
 * bootstrap interval over the N rounds. */
#include "lp_compare.h"
#include "bg_progress.h"
#include "bg_time.h"
#include "bg_error.h"
#include "bg_interrupt.h"
#include "st_changepoint.h"
#include "st_cs.h"
#include "st_desc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_statistics_double.h>

int lp_compare_pairs(double **a, double **b, size_t *n, const smp_runner *r,
		     const char *metric)
{
	size_t ns, rounds = smp_runner_rounds(r);
	const smp_sample *s = smp_runner_samples(r, &ns);
	double *va = malloc((rounds + 1) * sizeof(*va));
	double *vb = malloc((rounds + 1) * sizeof(*vb));
	int error = 0;

	if (va == NULL || vb == NULL) {
		error = bg_error_nomem();
		goto fail;
	}
	for (size_t i = 0; i < ns && error == 0; i++) {
		const smp_job *job = smp_runner_job(r, s[i].job);
		double *dst = job->arm == 0 ? va : vb;
		error = smp_sample_value(&dst[s[i].round], &s[i], metric);
	}
	if (error < 0)
		goto fail;
	*a = va;
	*b = vb;
	*n = rounds;
	return 0;
fail:
	free(va);
	free(vb);
	return error;
}

/* Change points in an arm's series, as Barrett et al. (OOPSLA 2017) find
 * warm-up: PELT on mean and variance with penalty 15 ln n, segments of at
 * least 5 rounds. A series too short or too flat to segment has none. */
static void change_points(lp_arm_summary *a, const double *values, size_t n)
{
	st_pelt_options po = ST_PELT_OPTIONS_INIT;
	st_pelt_result *res = NULL;

	a->ncpts = a->first_cpt = 0;
	po.penalty = st_pelt_penalty_barrett(n);
	po.minseglen = 5;
	if (n < 20 || st_pelt(&res, values, n, &po) < 0)
		return;
	a->ncpts = res->ncpts;
	a->first_cpt = res->ncpts ? res->cpts[0] : 0;
	st_pelt_result_free(res);
}

int lp_arm_summarise(lp_arm_summary *out, const smp_runner *r, unsigned arm,
		     const double *values, size_t n)
{
	size_t ns;
	const smp_sample *s = smp_runner_samples(r, &ns);
	lp_arm_summary a = { 0 };
	double user = 0, sys = 0;
	int error;

	if ((error = st_median(&a.median, values, n)) < 0 ||
	    (error = st_mad(&a.mad, values, n)) < 0 ||
	    (error = st_mean(&a.mean, values, n)) < 0 ||
	    (error = st_minmax(&a.min, &a.max, values, n)) < 0)
		return error;
	a.sd = n > 1 ? gsl_stats_sd(values, 1, n) : 0.0;
	for (size_t i = 0; i < ns; i++)
		if (smp_runner_job(r, s[i].job)->arm == arm) {
			user += (double)s[i].user_ns * 1e-9;
			sys += (double)s[i].sys_ns * 1e-9;
		}
	change_points(&a, values, n);
	a.n = n;
	a.user_mean = user / (double)n;
	a.sys_mean = sys / (double)n;
	*out = a;
	return 0;
}

/* Paired log-difference (or difference) of the last complete round, for
 * the sequence. */
static int last_round_d(double *d, const smp_runner *r, const char *metric, int difference, const double *range)
{
	size_t ns, nj = smp_runner_njobs(r);
	const smp_sample *s = smp_runner_samples(r, &ns);
	double v[2] = { 0, 0 };
	int error;

	for (size_t i = ns - nj; i < ns; i++)
		if ((error = smp_sample_value(&v[smp_runner_job(r, s[i].job)->arm], &s[i], metric)) < 0)
			return error;
	if (range && !(v[0] >= range[0] && v[0] <= range[1] && v[1] >= range[0] && v[1] <= range[1]))
		return bg_error_set(BG_EDOMAIN, "round %zu: %s is outside --range [%g, %g] (A=%g, B=%g)",
				    smp_runner_rounds(r), metric, range[0], range[1], v[0], v[1]);
	if (difference) {
		if (!(isfinite(v[0]) && isfinite(v[1])))
			return bg_error_set(BG_EDOMAIN, "round %zu: %s is not a finite number (A=%g, B=%g)",
					    smp_runner_rounds(r), metric, v[0], v[1]);
		*d = v[1] - v[0];
		return 0;
	}
	if (!(v[0] > 0.0 && v[1] > 0.0 && isfinite(v[0]) && isfinite(v[1])))
		return bg_error_set(BG_EDOMAIN,
				    "round %zu: %s is not a positive number (A=%g, B=%g); ratios need positive values "
				    "(--effect difference for a metric that can be zero or negative)",
				    smp_runner_rounds(r), metric, v[0], v[1]);
	*d = log(v[1]) - log(v[0]);
	return 0;
}

/* Updates the sequence with the last round and the effect from it. */
static int look(lp_compare_run *run)
{
	st_rule_look l;
	double d = 0.0;
	int error;

	double range[2] = { run->opts->range_lo, run->opts->range_hi };

	if ((error = last_round_d(&d, run->runner, run->opts->metric, run->opts->difference,
				  run->opts->ranged ? range : NULL)) < 0)
		return error;
	if (run->opts->ranged)
		error = (error = st_bet_push(&run->bet, d)) < 0 ? error : st_rule_look_bet(&l, &run->bet, &run->rule);
	else if ((error = st_cs_push(&run->cs, d)) == 0)
		error = st_rule_look_at(&l, &run->cs, &run->rule);
	if (error < 0)
		return error;
	run->effect = st_rule_effect(&l, &run->rule);
	return 0;
}

static int estimate(lp_compare_run *run, gsl_rng *rng)
{
	const lp_compare_opts *o = run->opts;
	st_effect_opts eo = ST_EFFECT_OPTS_INIT;
	double *a = NULL, *b = NULL;
	size_t n;
	int error;

	eo.lower_is_better = o->lower_is_better;
	eo.level = 1.0 - o->alpha;
	eo.min_effect = o->min_effect;
	eo.resamples = o->resamples;
	if ((error = lp_compare_pairs(&a, &b, &n, run->runner, o->metric)) == 0)
		error = st_effect_paired(&run->effect, a, b, n, &eo, rng);
	free(a);
	free(b);
	return error;
}

/* Rounds until the rule stops; sets run->stopped. */
static int sample(lp_compare_run *run, gsl_rng *rng, double t0)
{
	const lp_compare_opts *o = run->opts;
	bg_progress prog;
	int error = 0;

	bg_progress_init(&prog, o->quiet);
	for (;;) {
		unsigned rounds;
		double el;

		if ((error = smp_runner_round(run->runner)) < 0)
			break;
		rounds = (unsigned)smp_runner_rounds(run->runner);
		el = bg_time_now() - t0;
		if (o->runs) {
			bg_progress_update(&prog, "benchgate: round %u of %u, %.1f s", rounds, o->runs, el);
			if (rounds >= o->runs) {
				run->stopped = "runs";
				break;
			}
			continue;
		}
		if ((error = look(run)) < 0)
			break;
		bg_progress_update(&prog, "benchgate: round %u, %.1f s of %.0f s, %s %.4g [%.4g, %.4g]", rounds, el,
				   o->max_time, o->difference ? "B-A" : "B/A", run->effect.ratio, run->effect.lo,
				   run->effect.hi);
		if (run->effect.verdict != ST_INCONCLUSIVE && rounds >= o->min_runs) {
			run->stopped = "decided";
			break;
		}
		if (st_rule_stops(&run->rule, rounds, run->effect.verdict) || el >= o->max_time) {
			run->stopped = rounds >= o->max_runs ? "max_runs" : "max_time";
			run->effect.verdict = ST_INCONCLUSIVE;
			break;
		}
	}
	bg_progress_done(&prog);
	if (error == 0 && o->runs)
		error = estimate(run, rng);
	return error;
}

static int setup(lp_compare_run *run, gsl_rng *rng, smp_runner_opts *ro)
{
	const lp_compare_opts *o = run->opts;
	const char *reason;
	smp_job jobs[2] = {
		{ "A", o->cmd_a, 0, 0 },
		{ "B", o->cmd_b, 0, 1 },
	};
	int error;

	if ((strcmp(o->metric, "instructions") == 0 || strcmp(o->metric, "cycles") == 0) &&
	    !smp_hw_counters_available(&reason))
		return bg_error_set(BG_EUNSUPPORTED, "--metric %s: hardware counters cannot be read here: %s",
				    o->metric, reason);
	if ((error = smp_pinning_new(&run->pin, o->pin)) < 0)
		return error;
	ro->spawn.no_shell = o->no_shell;
	ro->metric = o->metric;
	ro->metric_regex = o->metric_regex;
	ro->metric_aggregate = (smp_aggregate)o->metric_aggregate;
	ro->spawn.timeout_s = o->timeout;
	ro->spawn.count_hw = 1;
	ro->ignore_failure = o->ignore_failure;
	return smp_runner_new(&run->runner, jobs, 2, ro, run->pin, rng);
}

int lp_compare_measure(lp_compare_run *run, gsl_rng *rng)
{
	smp_runner_opts ro = SMP_RUNNER_OPTS_INIT;
	smp_cpustat c0, c1;
	double t0 = bg_time_now();
	int error;

	run->rule = run->opts->difference
			    ? st_rule_make_difference(run->opts->alpha, run->opts->min_effect, run->opts->lower_is_better)
			    : st_rule_make(run->opts->alpha, run->opts->min_effect, run->opts->lower_is_better);
	run->rule.min_rounds = run->opts->min_runs;
	run->rule.max_rounds = run->opts->max_runs;
	if ((error = st_rule_check(&run->rule)) < 0 || (error = st_cs_init(&run->cs, run->rule.rho)) < 0 ||
	    (run->opts->ranged &&
	     (error = st_rule_bet_init(&run->bet, &run->rule, run->opts->range_hi - run->opts->range_lo, NAN)) < 0))
		return error;
	smp_probe_read(&run->probe, NULL);
	smp_cpustat_read(&c0, NULL);
	if ((error = setup(run, rng, &ro)) < 0)
		return error;
	bg_interrupt_install();
	if ((error = smp_runner_warmup(run->runner, run->opts->warmup)) < 0 ||
	    (error = sample(run, rng, t0)) < 0)
		return error;
	smp_cpustat_read(&c1, NULL);
	run->steal_share = smp_cpustat_steal_share(&c0, &c1);
	run->elapsed_s = bg_time_now() - t0;
	return 0;
}

void lp_compare_run_clear(lp_compare_run *run)
{
	st_bet_free(&run->bet);
	smp_runner_free(run->runner);
	smp_pinning_free(run->pin);
	run->runner = NULL;
	run->pin = NULL;
}
