/* sim_stats: the simulation studies behind benchgate's statistical claims
 * (issue "stats/"; METHODS.md, "How we know it works"). Prints markdown.
 *
 *   sim_stats [QUICK]     QUICK=1 in the environment gives fewer trials,
 *                         BOUNDED_ONLY=1 runs study 5 alone
 *
 * 1. A/A with a look after every round up to 500 rounds under four noise
 *    models: the share of IMPROVED or REGRESSED verdicts must stay <= alpha
 *    (with its Clopper-Pearson 95% upper bound <= alpha + 0.01); beside it,
 *    what a t-test peeked at after every round does.
 * 2. Power and mean rounds to a decision at true effects of 1, 2, 5, 10%,
 *    against a fixed-n test at the same cost, and the coverage of the
 *    sequence at the stopping time.
 * 3. Coverage of 95% BCa intervals of the mean on skewed samples of n = 30,
 *    against the percentile interval on the same samples.
 * 4. Campaigns of 1,000 experiments, 10% of them real 3% gains, each kept
 *    when its always-valid p-value reaches the level LORD++ grants it:
 *    the false share of keeps (FDR) must stay <= alpha. Beside it, every
 *    experiment tested at alpha = 0.05 regardless.
 * 5. Bounded metrics (metric.range): a win rate, a 0-10 judge score with
 *    3% zeros and a duel whose first seat wins 60% between equals, decided
 *    on B - A by the betting sequence (st_bet.h) and by the normal mixture:
 *    A/A false verdicts (<= alpha), and the rounds a real gain takes. */
#include "sim_common.h"
#include "st_bet.h"
#include "st_boot.h"
#include "st_rule.h"
#include "st_cs.h"
#include "st_effect.h"
#include "st_fdr.h"
#include "st_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
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

typedef struct {
	const char *name;
	double skew;
	double mean;
} skewed_dist;

static double draw(int k, gsl_rng *rng)
{
	switch (k) {
	case 0: return gsl_ran_gamma(rng, 4.0, 1.0);          /* skewness 1 */
	case 1: return gsl_ran_lognormal(rng, 0.0, 0.5);      /* 1.75 */
	case 2: return gsl_ran_exponential(rng, 1.0);         /* 2 */
	case 3: return gsl_ran_lognormal(rng, 0.0, 1.0);      /* 6.2 */
	default:                                              /* what benchgate bootstraps: */
		return log(gsl_ran_lognormal(rng, 0.0, 0.05)) - log(gsl_ran_lognormal(rng, 0.0, 0.05));
	}
}

static void coverage_study(unsigned trials, gsl_rng *rng)
{
	static const skewed_dist dists[] = {
		{ "gamma(4)", 1.0, 4.0 },
		{ "lognormal(0, 0.5)", 1.75, 1.1331484530668263 },
		{ "exponential(1)", 2.0, 1.0 },
		{ "lognormal(0, 1)", 6.18, 1.6487212707001282 },
		{ "paired log-ratios of lognormal times", 0.0, 0.0 },
	};
	double x[30], level_exp;

	st_boot_expanded_level(&level_exp, 0.95, 30); /* what the fixed-n mode uses */

	printf("### Coverage of 95%% bootstrap intervals of the mean, n = 30, 2,000 resamples each\n\n");
	printf("| distribution | skewness | trials | BCa coverage | 95%% CI | percentile coverage | expanded BCa (level %.4f) |\n", level_exp);
	printf("|---|---:|---:|---:|---|---:|---:|\n");
	for (int k = 0; k < 5; k++) {
		unsigned bca_hits = 0, pct_hits = 0, exp_hits = 0;
		double lo, hi;
		for (unsigned t = 0; t < trials; t++) {
			st_interval b, p;
			st_bca_info info;
			for (int i = 0; i < 30; i++)
				x[i] = draw(k, rng);
			if (st_boot_bca(&b, &info, x, 30, st_stat_mean, NULL, 2000, 0.95, rng) == 0)
				bca_hits += b.lo <= dists[k].mean && dists[k].mean <= b.hi;
			if (st_boot_percentile(&p, x, 30, st_stat_mean, NULL, 2000, 0.95, rng) == 0)
				pct_hits += p.lo <= dists[k].mean && dists[k].mean <= p.hi;
			if (st_boot_bca(&b, &info, x, 30, st_stat_mean, NULL, 2000, level_exp, rng) == 0)
				exp_hits += b.lo <= dists[k].mean && dists[k].mean <= b.hi;
		}
		binom_ci(&lo, &hi, bca_hits, trials);
		printf("| %s | %.2f | %u | %.3f | [%.3f, %.3f] | %.3f | %.3f |\n", dists[k].name, dists[k].skew,
		       trials, (double)bca_hits / trials, lo, hi, (double)pct_hits / trials,
		       (double)exp_hits / trials);
		fflush(stdout);
	}
	printf("\n");
}

/* One experiment of a campaign, as the gate runs it: sample until the
 * always-valid p-value reaches `level` with the estimate better by at least
 * the min effect (keep), or the round budget ends (no keep). */
static int campaign_experiment(double effect, double level, unsigned max_rounds, gsl_rng *rng)
{
	st_cs_state cs;
	st_cs_result r;
	unsigned long clock = 0;
	double rho;

	if (level <= 0.0)
		return 0;
	st_cs_rho(&rho, ST_CS_V_OPT_DEFAULT, 0.05);
	st_cs_init(&cs, rho);
	for (unsigned n = 1; n <= max_rounds; n++) {
		double a, b;
		sim_round(&a, &b, NOISE_LOGNORMAL, 0.03, effect, &clock, rng);
		st_cs_push(&cs, log(b) - log(a));
		if (-cs.max_log_m <= log(level) && n >= MIN_RUNS) {
			st_cs_interval(&r, &cs, 0.5);
			if (r.estimate <= -log1p(MIN_EFFECT))
				return 1;
		}
	}
	return 0;
}

static void campaign_study(unsigned campaigns, unsigned experiments, gsl_rng *rng)
{
	const double share_true = 0.10, gain = 0.03;
	double fdr_sum[2] = { 0, 0 }, power_sum[2] = { 0, 0 }, keeps_sum[2] = { 0, 0 }, false_sum[2] = { 0, 0 };

	for (unsigned c = 0; c < campaigns; c++) {
		st_fdr *f = NULL;
		unsigned keeps[2] = { 0, 0 }, falsek[2] = { 0, 0 }, truek[2] = { 0, 0 }, ntrue = 0;
		st_fdr_new(&f, ST_FDR_LORD_PP, ALPHA, ALPHA * ST_FDR_W0_SHARE);
		for (unsigned e = 0; e < experiments; e++) {
			int real = gsl_rng_uniform(rng) < share_true, rej;
			double effect = real ? 1.0 - gain : 1.0;
			double level = st_fdr_level(f);
			int kept[2];
			kept[0] = campaign_experiment(effect, level, 200, rng);
			kept[1] = campaign_experiment(effect, ALPHA, 200, rng);
			/* The experiment's decision is what LORD++ records. */
			st_fdr_record(&rej, NULL, f, kept[0] ? 0.0 : 1.0);
			ntrue += real;
			for (int k = 0; k < 2; k++) {
				keeps[k] += kept[k];
				falsek[k] += kept[k] && !real;
				truek[k] += kept[k] && real;
			}
		}
		for (int k = 0; k < 2; k++) {
			fdr_sum[k] += keeps[k] ? (double)falsek[k] / keeps[k] : 0.0;
			power_sum[k] += ntrue ? (double)truek[k] / ntrue : 0.0;
			keeps_sum[k] += keeps[k];
			false_sum[k] += falsek[k];
		}
		st_fdr_free(f);
	}
	printf("### Campaigns: %u experiments each, %.0f%% real %.0f%% gains, %u campaigns\n\n",
	       experiments, share_true * 100, gain * 100, campaigns);
	printf("| rule | FDR (false share of keeps) | keeps per campaign | false keeps per campaign | real gains found |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int k = 0; k < 2; k++)
		printf("| %s | %.4f | %.1f | %.2f | %.3f |\n",
		       k == 0 ? "LORD++ levels (benchgate), alpha = 0.05" : "every experiment at 0.05 (no correction)",
		       fdr_sum[k] / campaigns, keeps_sum[k] / campaigns, false_sum[k] / campaigns,
		       power_sum[k] / campaigns);
	printf("\n");
}

/* ---- 5. bounded metrics: betting against the normal mixture ----------- */

/* 0: a win rate of 0.4; 1: a 0-10 judge score with 3% zeros; 2: a duel's
 * game from the first seat, which wins 60% between equal bots. */
static double bounded_value(int judge, double shift, gsl_rng *rng)
{
	double v;

	if (judge == 2)
		return gsl_rng_uniform(rng) < 0.6 + shift ? 1.0 : 0.0;
	if (!judge)
		return gsl_rng_uniform(rng) < 0.4 + shift ? 1.0 : 0.0;
	if (gsl_rng_uniform(rng) < 0.03)
		return 0.0;
	v = floor(5.0 + shift + gsl_ran_gaussian(rng, 2.0) + 0.5);
	return v < 0 ? 0 : v > 10 ? 10 : v;
}

/* One decision, a look after every round from MIN_RUNS on: its verdict
 * and, in *rounds, when it stopped. */
static st_verdict bounded_decision(unsigned *rounds, int judge, int betting, double shift, double band,
				   unsigned max_rounds, gsl_rng *rng)
{
	st_rule r = st_rule_make_difference(ALPHA, band, 0);
	double w = judge == 1 ? 10.0 : 1.0;
	st_cs_state cs;
	st_bet_state bet;
	st_rule_look l = { .verdict = ST_INCONCLUSIVE };

	st_cs_init(&cs, r.rho);
	if (betting)
		st_rule_bet_init(&bet, &r, w, NAN);
	for (unsigned n = 1; n <= max_rounds; n++) {
		double d = bounded_value(judge, shift, rng) - bounded_value(judge, 0.0, rng);

		*rounds = n;
		if (betting ? st_bet_push(&bet, d) < 0 : st_cs_push(&cs, d) < 0)
			break;
		if (n < MIN_RUNS || (!betting && !st_rule_may_decide(&cs, &r)))
			continue;
		if ((betting ? st_rule_look_bet(&l, &bet, &r) : st_rule_look_at(&l, &cs, &r)) == 0 &&
		    l.verdict != ST_INCONCLUSIVE)
			break;
		l.verdict = ST_INCONCLUSIVE;
	}
	if (betting)
		st_bet_free(&bet);
	return l.verdict;
}

static void bounded_study(unsigned trials, gsl_rng *rng)
{
	static const char *const names[3] = { "win rate (0.4), [0, 1]", "judge score 0-10, 3% zeros, [0, 10]",
					      "duel, both seatings, first seat wins 60%" };
	static const double gains[3] = { 0.15, 1.0, 0.15 }, bands[3] = { 0.05, 0.5, 0.1 };

	printf("### Bounded metrics: B - A by betting (metric.range) and by the normal mixture, alpha = %.2f\n\n", ALPHA);
	printf("| metric | sequence | A/A trials | false verdicts | 95%% CI | true gain | decided IMPROVED | mean rounds |\n");
	printf("|---|---|---:|---:|---|---:|---:|---:|\n");
	for (int judge = 0; judge < 3; judge++)
		for (int betting = 1; betting >= 0; betting--) {
			unsigned fp = 0, found = 0, r;
			double lo, hi, rounds_sum = 0;

			for (unsigned t = 0; t < trials; t++) {
				st_verdict v = bounded_decision(&r, judge, betting, 0.0, bands[judge], 300, rng);
				fp += v == ST_IMPROVED || v == ST_REGRESSED;
			}
			for (unsigned t = 0; t < trials / 4; t++) {
				found += bounded_decision(&r, judge, betting, gains[judge], bands[judge], 5000, rng) ==
					 ST_IMPROVED;
				rounds_sum += r;
			}
			binom_ci(&lo, &hi, fp, trials);
			printf("| %s | %s | %u | %.4f (%u) | [%.4f, %.4f] | %+.2g | %.3f | %.0f |\n", names[judge],
			       betting ? "betting" : "normal mixture", trials, (double)fp / trials, fp, lo, hi,
			       gains[judge], (double)found / (trials / 4), rounds_sum / (trials / 4));
			fflush(stdout);
		}
	printf("\n");
}

int main(void)
{
	const char *quick = getenv("QUICK");
	int q = quick && *quick && *quick != '0';
	const char *only = getenv("BOUNDED_ONLY");   /* study 5 alone */
	int bounded_only = only && *only && *only != '0';
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	unsigned long seed = 20261122;

	gsl_set_error_handler_off();
	gsl_rng_set(rng, seed);
	printf("## Simulation studies (seed %lu%s)\n\n", seed, q ? ", QUICK" : "");
	if (!bounded_only) {
		aa_study(q ? 500 : 4000, rng);
		power_study(q ? 200 : 1000, rng);
		coverage_study(q ? 500 : 4000, rng);
		campaign_study(q ? 5 : 50, 1000, rng);
	}
	bounded_study(q ? 400 : 2000, rng);
	gsl_rng_free(rng);
	return 0;
}
