/* sim_stats: the simulation studies behind benchgate's statistical claims
 * (issue "stats/"; METHODS.md, "How we know it works"). Prints markdown.
 *
 *   sim_stats [QUICK]     QUICK=1 in the environment gives fewer trials
 *
 * 1. A/A with a look after every round up to 500 rounds under four noise
 *    models: the share of IMPROVED or REGRESSED verdicts must stay <= alpha
 *    (with its Clopper-Pearson 95% upper bound <= alpha + 0.01); beside it,
 *    what a t-test peeked at after every round does.
 * 2. Power and mean rounds to a decision at true effects of 1, 2, 5, 10%,
 *    against a fixed-n test at the same cost, and the coverage of the
 *    sequence at the stopping time. */
#include "sim_common.h"
#include "st_effect.h"
#include "st_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define ALPHA 0.05
#define MIN_EFFECT 0.01
#define MIN_RUNS 5
#define MAX_ROUNDS 500

static const double sigmas[NOISE_COUNT] = { 0.05, 0.03, 0.03, 0.02 };

/* A t-test peeked at after every round: the unguarded practice. */
static int peeking_ttest_fp(noise_model m, double sigma, gsl_rng *rng)
{
	double d[MAX_ROUNDS];
	unsigned long clock = 0;

	for (unsigned n = 0; n < MAX_ROUNDS; n++) {
		double a, b, p, t;
		sim_round(&a, &b, m, sigma, 1.0, &clock, rng);
		d[n] = log(b) - log(a);
		if (n + 1 >= MIN_RUNS && st_ttest_one(&p, &t, d, n + 1, 0.0) == 0 && p < ALPHA)
			return 1;
	}
	return 0;
}

static void aa_study(unsigned trials, gsl_rng *rng)
{
	printf("### A/A: identical arms, a look after every round (up to %d rounds), alpha = %.2f\n\n",
	       MAX_ROUNDS, ALPHA);
	printf("| noise model | per-run sigma | trials | false verdicts (IMPROVED/REGRESSED) | 95%% CI | NO_CHANGE | INCONCLUSIVE | mean rounds | t-test peeked every round: false |\n");
	printf("|---|---:|---:|---:|---|---:|---:|---:|---:|\n");
	for (int m = 0; m < NOISE_COUNT; m++) {
		unsigned fp = 0, nc = 0, inc = 0, peek = 0;
		double rounds_sum = 0, lo, hi, plo, phi;
		for (unsigned t = 0; t < trials; t++) {
			unsigned r;
			double ratio, l, h;
			int v = sim_sequential(&r, &ratio, &l, &h, m, sigmas[m], 1.0, ALPHA, MIN_EFFECT,
					       MIN_RUNS, MAX_ROUNDS, rng);
			fp += v == ST_IMPROVED || v == ST_REGRESSED;
			nc += v == ST_NO_CHANGE;
			inc += v == ST_INCONCLUSIVE;
			rounds_sum += r;
		}
		for (unsigned t = 0; t < trials / 4; t++)
			peek += peeking_ttest_fp(m, sigmas[m], rng);
		binom_ci(&lo, &hi, fp, trials);
		binom_ci(&plo, &phi, peek, trials / 4);
		printf("| %s | %.2f | %u | %.4f (%u) | [%.4f, %.4f] | %.3f | %.3f | %.0f | %.3f [%.3f, %.3f] |\n",
		       noise_name(m), sigmas[m], trials, (double)fp / trials, fp, lo, hi,
		       (double)nc / trials, (double)inc / trials, rounds_sum / trials,
		       (double)peek / (trials / 4), plo, phi);
		fflush(stdout);
	}
	printf("\n");
}

/* Power of a fixed-n paired t-interval with the same verdict rule. */
static double fixed_n_power(unsigned n, double sigma, double effect, unsigned trials, gsl_rng *rng)
{
	double *d = malloc(n * sizeof(*d));
	unsigned hits = 0;

	for (unsigned t = 0; t < trials; t++) {
		unsigned long clock = 0;
		double mean, sd, half, tq;
		for (unsigned i = 0; i < n; i++) {
			double a, b;
			sim_round(&a, &b, NOISE_LOGNORMAL, sigma, effect, &clock, rng);
			d[i] = log(b) - log(a);
		}
		mean = gsl_stats_mean(d, 1, n);
		sd = gsl_stats_sd_m(d, 1, n, mean);
		tq = gsl_cdf_tdist_Qinv(ALPHA / 2, n - 1);
		half = tq * sd / sqrt(n);
		hits += st_effect_verdict(exp(mean), exp(mean - half), exp(mean + half), 1, MIN_EFFECT) == ST_IMPROVED;
	}
	free(d);
	return (double)hits / trials;
}

static void power_study(unsigned trials, gsl_rng *rng)
{
	static const double effects[] = { 0.01, 0.02, 0.05, 0.10 };
	const double sigma = 0.03;

	printf("### Power: B faster by a true 1-10%%, lognormal per-run noise sigma = %.2f (paired differences sd %.3f), min effect %.0f%%\n\n",
	       sigma, sigma * sqrt(2.0), MIN_EFFECT * 100);
	printf("| true effect | benchgate power (IMPROVED) | mean rounds | median rounds | interval covers the truth at the stop | fixed-n t-test power, same mean rounds | fixed-n t-test power, %d rounds |\n",
	       MAX_ROUNDS);
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t k = 0; k < sizeof(effects) / sizeof(effects[0]); k++) {
		double effect = 1.0 - effects[k], *rounds = malloc(trials * sizeof(*rounds));
		unsigned hits = 0, cover = 0, mean_n;
		double sum = 0, med;
		for (unsigned t = 0; t < trials; t++) {
			unsigned r;
			double ratio, lo, hi;
			int v = sim_sequential(&r, &ratio, &lo, &hi, NOISE_LOGNORMAL, sigma, effect, ALPHA,
					       MIN_EFFECT, MIN_RUNS, MAX_ROUNDS, rng);
			hits += v == ST_IMPROVED;
			cover += lo <= effect && effect <= hi;
			rounds[t] = r;
			sum += r;
		}
		gsl_sort(rounds, 1, trials);
		med = gsl_stats_median_from_sorted_data(rounds, 1, trials);
		mean_n = (unsigned)ceil(sum / trials);
		printf("| %.0f%% | %.3f | %.1f | %.0f | %.3f | %.3f | %.3f |\n", effects[k] * 100,
		       (double)hits / trials, sum / trials, med, (double)cover / trials,
		       fixed_n_power(mean_n < 2 ? 2 : mean_n, sigma, effect, trials, rng),
		       fixed_n_power(MAX_ROUNDS, sigma, effect, trials / 4, rng));
		fflush(stdout);
		free(rounds);
	}
	printf("\n");
}

int main(void)
{
	const char *quick = getenv("QUICK");
	int q = quick && *quick && *quick != '0';
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	unsigned long seed = 20261122;

	gsl_set_error_handler_off();
	gsl_rng_set(rng, seed);
	printf("## Simulation studies (seed %lu%s)\n\n", seed, q ? ", QUICK" : "");
	aa_study(q ? 500 : 4000, rng);
	power_study(q ? 200 : 1000, rng);
	gsl_rng_free(rng);
	return 0;
}
