/* st_power: power and minimum detectable effect of the paired design.
 *
 * A gate runs n rounds of A and B and tests the mean of the paired
 * log-differences d_i = ln B_i - ln A_i with a two-sided one-sample t-test
 * (st_effect.h). For a true mean difference delta and an sd sigma of the
 * d_i, the test statistic is noncentral t with n - 1 degrees of freedom and
 * noncentrality delta sqrt(n) / sigma. This module answers: how many rounds
 * to detect delta with probability 1 - beta at level alpha; what delta n
 * rounds (or a time budget) can detect; and, for a quick estimate, the
 * normal approximation n = ((z_{1-alpha/2} + z_{1-beta}) sigma / delta)^2.
 *
 * Round counts are continuous, as in statsmodels' TTestPower.solve_power;
 * round up for the rounds to run. Arguments: delta > 0, sigma > 0 and the
 * budgets finite and > 0, alpha and power in (0, 1), else BG_EINVAL naming
 * it; power must exceed alpha (the power at delta = 0), else BG_EDOMAIN; a
 * round count below 2 is BG_EDOMAIN (the t-test needs 2). Out-parameters
 * are written only on success. */
#ifndef ST_POWER_H
#define ST_POWER_H

#include <stddef.h>

/* The noncentral t distribution, T = (Z + nc) / sqrt(V / df), Z standard
 * normal, V chi-square with df degrees of freedom: *p = P(T <= t) and
 * *q = P(T > t), each computed directly (no 1 - x), to ~1e-11 relative
 * down to ~1e-300. df >= 1 (not necessarily whole) and t, nc finite, else
 * BG_EDOMAIN; BG_ENOMEM; BG_EDOMAIN if the integral does not converge. */
int st_nct_cdf(double *p, double t, double df, double nc);
int st_nct_sf(double *q, double t, double df, double nc);

/* Power of the two-sided one-sample t-test at level alpha after n rounds
 * (n >= 2, not necessarily whole): P(T > t_c) + P(T < -t_c), T noncentral t
 * with n - 1 df and nc = delta sqrt(n) / sigma, t_c = t_{1-alpha/2, n-1}
 * (statsmodels' ttest_power). delta = 0 is allowed here (power = alpha). */
int st_power_ttest(double *power, double n, double delta, double sigma,
		   double alpha);

/* Rounds n (continuous) at which st_power_ttest() reaches `power`. When
 * 2 rounds already reach it, *n = 2. BG_EDOMAIN when more than 1e12 rounds
 * would be needed. */
int st_power_rounds(double *n, double delta, double sigma, double alpha,
		    double power);

/* Normal approximation: n = ((z_{1-alpha/2} + z_{power}) sigma / delta)^2.
 * It ignores that sigma is estimated, so for tens to thousands of rounds it
 * is ~2 rounds short of st_power_rounds() at alpha = 0.05 (5 at 0.001, and
 * far short below 10 rounds); it also ignores the far rejection tail, which
 * makes it ~2.5e-6 n too high once n is in the millions. May be below 2. */
int st_power_rounds_normal(double *n, double delta, double sigma,
			   double alpha, double power);

/* Minimum detectable effect: the delta at which n rounds (n >= 2) reach
 * `power`, from the exact t-test power. */
int st_power_mde(double *delta, double n, double sigma, double alpha,
		 double power);

/* Normal approximation: (z_{1-alpha/2} + z_{power}) sigma / sqrt(n). */
int st_power_mde_normal(double *delta, double n, double sigma, double alpha,
			double power);

/* The delta detectable within a time budget: rounds = floor(budget_s /
 * round_s) (whole rounds only), then st_power_mde(). *rounds, if not NULL,
 * gets that count. Fewer than 2 rounds fit: BG_EDOMAIN. */
int st_power_mde_budget(double *delta, size_t *rounds, double budget_s,
			double round_s, double sigma, double alpha,
			double power);

#endif
