/* st_boot: bootstrap confidence intervals for a statistic of one sample.
 *
 * Efron & Tibshirani (1993), ch. 13: the percentile interval is the
 * (1-level)/2 and (1+level)/2 quantiles of the statistic over B resamples
 * drawn with replacement. BCa (Efron 1987) moves those two levels to correct
 * for bias and skew.
 *
 * Every draw comes from the caller's seeded gsl_rng, so an interval is
 * reproducible from its seed and generator type. Resample indices are exactly
 * uniform, with no modulo bias: for a generator whose gsl_rng_get covers
 * [0, 2^32 - 1] (mt19937, taus2, gfsr4, ...) they come from Lemire's
 * multiply-shift with rejection, batched so that one 32-bit word yields
 * several indices (3 for 1,000 values; see st_boot.c); other generators
 * (ranlxs*, ...) go through gsl_rng_uniform_int, one call per index, several
 * times slower. Use gsl_rng_taus2 (or gfsr4) when speed matters: a BCa
 * interval of the mean with B = 10,000 on 1,000 values takes ~20 ms with
 * taus2 on this 2-PU VM (gfsr4 ~18 ms), ~36 ms with mt19937 (slower per
 * word, still correct, over a 30 ms budget) and ~370 ms with ranlxs0
 * (tests/bench_stats.c). The same seed and generator give the same
 * resamples in every function here, so a percentile and a BCa interval from
 * equal seeds share their bootstrap distribution.
 */
#ifndef ST_BOOT_H
#define ST_BOOT_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

/* A statistic of x[0..n-1]; ud is passed through. Must be finite for finite
 * input of length n >= 1. */
typedef double (*st_statistic)(const double *x, size_t n, void *ud);

typedef struct {
	double estimate; /* the statistic on the original sample */
	double lo;
	double hi;
	double level;    /* e.g. 0.95 */
} st_interval;

/* What a BCa interval was built from (Efron 1987). */
typedef struct {
	double z0;       /* bias correction Phi^-1(share of resamples below) */
	double a;        /* acceleration, from the jackknife */
	double alpha_lo; /* the quantile levels of the bootstrap distribution */
	double alpha_hi; /*   taken as the interval's ends */
} st_bca_info;

/* Percentile bootstrap interval at `level` (0 < level < 1) with B >= 100
 * resamples. BG_EDOMAIN for n < 2, non-finite input, or a statistic that is
 * not finite on the sample or a resample; BG_EINVAL for a bad level or B, a
 * NULL statistic or RNG; BG_ENOMEM. */
int st_boot_percentile(st_interval *out, const double *x, size_t n,
		       st_statistic stat, void *ud, size_t B, double level,
		       gsl_rng *rng);

/* BCa bootstrap interval (Efron 1987; Efron & Tibshirani 1993, ch. 14):
 *   z0 = Phi^-1(p), p = (#{theta*_b < theta} + #{theta*_b <= theta}) / 2B,
 *   a  = sum (tbar - theta_(i))^3 / (6 [sum (tbar - theta_(i))^2]^(3/2)),
 *        theta_(i) the statistic without value i, tbar their mean,
 *   alpha_1,2 = Phi(z0 + (z0 + z_q) / (1 - a (z0 + z_q))), q = (1 -+ level)/2,
 * and the interval is the type 7 quantiles of the B resamples' statistics at
 * alpha_1 and alpha_2. Ties with theta count one half in p (scipy's rule, and
 * the mid-rank that keeps z0 = 0 for a symmetric discrete statistic); without
 * ties it is Efron's #{theta*_b < theta} / B.
 * Degenerate cases: when every resample's statistic equals theta the interval
 * is [theta, theta] with z0 = a = 0; when the jackknife values are all equal
 * a = 0. BG_EDOMAIN when p is 0 or 1 (theta lies outside the bootstrap
 * distribution, so z0 is infinite) or when 1 - a (z0 + z_q) <= 0 (the
 * acceleration is too large for this level); also as st_boot_percentile.
 * The jackknife costs n more calls of `stat` on n - 1 values, which must be
 * finite too. `info` may be NULL; like *out it is written only on success.
 * Same arguments and errors otherwise as st_boot_percentile. */
int st_boot_bca(st_interval *out, st_bca_info *info, const double *x, size_t n,
		st_statistic stat, void *ud, size_t B, double level,
		gsl_rng *rng);

/* A ready-made st_statistic: the mean of x (ud is not used). */
double st_stat_mean(const double *x, size_t n, void *ud);

/* The level at which to compute a bootstrap interval of a mean of n values
 * so that it has about `level` coverage in small samples: Hesterberg (2015),
 * "What teachers should know about the bootstrap", sec. 5 ("expanded
 * percentile"): the bootstrap distribution of a mean is too narrow by
 * sqrt((n-1)/n) and uses z where t is due, so take the level whose normal
 * quantile is sqrt(n/(n-1)) t_{n-1, (1+level)/2}, capped at 1 - 1e-12 (for
 * n = 2 it rounds to 1). BG_EINVAL for level outside (0, 1), BG_EDOMAIN for
 * n < 2. */
int st_boot_expanded_level(double *out, double level, size_t n);

#endif
