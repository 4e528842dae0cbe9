/* sim_common: what the simulation studies of `make eval` share — noise
 * models of a shared VM, the sequential rule as `compare` applies it, and
 * binomial intervals for reported rates. */
#ifndef SIM_COMMON_H
#define SIM_COMMON_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

typedef enum {
	NOISE_LOGNORMAL,    /* independent lognormal run-to-run noise */
	NOISE_CONTAMINATED, /* lognormal plus 5% of runs slowed by 1 + Exp(0.5) */
	NOISE_DRIFT,        /* slow trend and oscillation, plus a second-run-of-round speed-up */
	NOISE_HEAVY,        /* Student t(2) log-noise: infinite variance */
	NOISE_COUNT
} noise_model;

const char *noise_name(noise_model m);

/* One round: the times of A and B, B's true ratio `effect` (1 = A/A), run
 * in a shuffled order at global run index *clock (advanced by 2). */
void sim_round(double *a, double *b, noise_model m, double sigma, double effect,
	       unsigned long *clock, gsl_rng *rng);

/* The sequential rule of `benchgate compare`: looks after every round from
 * min_runs on, stops at the first verdict other than INCONCLUSIVE or at
 * max_rounds. Returns the verdict (st_verdict) and the rounds used; *ratio,
 * *lo, *hi: the final estimate and sequence. */
int sim_sequential(unsigned *rounds, double *ratio, double *lo, double *hi,
		   noise_model m, double sigma, double effect, double alpha,
		   double min_effect, unsigned min_runs, unsigned max_rounds, gsl_rng *rng);

/* Clopper-Pearson interval for k successes of n at level 0.95. */
void binom_ci(double *lo, double *hi, unsigned k, unsigned n);

#endif
