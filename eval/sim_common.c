/* sim_common: noise models and the sequential rule for simulations. */
#include "sim_common.h"
#include "st_calib.h"
#include "st_cs.h"
#include "st_rule.h"
#include "st_effect.h"

#include <math.h>
#include <gsl/gsl_randist.h>


const char *noise_name(noise_model m)
{
	static const char *const names[] = {
		"lognormal", "contaminated (5% outliers)", "drift + order effect", "heavy-tailed t(2)"
	};
	return m < NOISE_COUNT ? names[m] : "?";
}

static double run_time(noise_model m, double sigma, unsigned long t, int second, gsl_rng *rng)
{
	double base = 0.02, x;

	switch (m) {
	case NOISE_CONTAMINATED:
		x = base * exp(gsl_ran_gaussian(rng, sigma));
		if (gsl_rng_uniform(rng) < 0.05)
			x *= 1.0 + gsl_ran_exponential(rng, 0.5);
		return x;
	case NOISE_DRIFT:
		/* +30% over 1000 runs, a 10% oscillation, and the second run of a
		 * round 3% faster (warm caches). */
		x = 0.3 * (double)t / 1000.0 + 0.1 * sin((double)t / 40.0) - (second ? 0.03 : 0.0);
		return base * exp(x + gsl_ran_gaussian(rng, sigma));
	case NOISE_HEAVY:
		return base * exp(sigma * gsl_ran_tdist(rng, 2.0));
	default:
		return base * exp(gsl_ran_gaussian(rng, sigma));
	}
}

void sim_round(double *a, double *b, noise_model m, double sigma, double effect,
	       unsigned long *clock, gsl_rng *rng)
{
	int a_first = gsl_rng_uniform(rng) < 0.5;
	unsigned long t = *clock;

	*a = run_time(m, sigma, a_first ? t : t + 1, !a_first, rng);
	*b = effect * run_time(m, sigma, a_first ? t + 1 : t, a_first, rng);
	*clock = t + 2;
}

int sim_sequential(unsigned *rounds, double *ratio, double *lo, double *hi,
		   noise_model m, double sigma, double effect, double alpha,
		   double min_effect, unsigned min_runs, unsigned max_rounds, gsl_rng *rng)
{
	st_rule rule = st_rule_make(alpha, min_effect, 1);
	st_cs_state cs;
	st_rule_look l = { .verdict = ST_INCONCLUSIVE };
	st_cs_result r = { 0 };
	unsigned long clock = 0;
	int v = ST_INCONCLUSIVE;

	st_cs_init(&cs, rule.rho);
	for (unsigned n = 1; n <= max_rounds; n++) {
		double a, b;
		sim_round(&a, &b, m, sigma, effect, &clock, rng);
		st_cs_push(&cs, log(b) - log(a));
		st_rule_look_at(&l, &cs, &rule);
		r = l.cs;
		*rounds = n;
		v = l.verdict;
		if (v != ST_INCONCLUSIVE && n >= min_runs)
			break;
		v = ST_INCONCLUSIVE;
	}
	*ratio = exp(r.estimate);
	*lo = exp(r.lo);
	*hi = exp(r.hi);
	return v;
}

void binom_ci(double *lo, double *hi, unsigned k, unsigned n)
{
	if (st_calib_binom_ci(lo, hi, k, n, 0.95) < 0)
		*lo = *hi = NAN;
}
