/* st_boot: bootstrap confidence intervals for a statistic of one sample or of
 * a stratified sample (rounds within workloads).
 *
 * Efron & Tibshirani (1993), ch. 13: the percentile interval is the
 * (1-level)/2 and (1+level)/2 quantiles of the statistic over B resamples
 * drawn with replacement. BCa (Efron 1987) moves those two levels to correct
 * for bias and skew. Stratified resampling draws within each stratum, so every
 * resample keeps the strata's sizes (Davison & Hinkley 1997, sec. 3.2;
 * Kalibera & Jones 2013 resample at every level of the experiment).
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

/* A statistic of a stratified sample: stratum k is x[start[k]] ..
 * x[start[k + 1] - 1], for k < nstrata; start[0] = 0 and start[nstrata] is
 * the total. The values of a stratum keep the order they had in the caller's
 * array. Must be finite for finite input with every stratum non-empty. */
typedef double (*st_strat_statistic)(const double *x, const size_t *start,
				     size_t nstrata, void *ud);

/* Stratified percentile bootstrap: x[i] belongs to stratum stratum[i]
 * (< nstrata, every stratum with at least 2 values: BG_EDOMAIN otherwise; a
 * stratum index >= nstrata is BG_EINVAL). Each resample draws n_k values with
 * replacement within each stratum k independently, so it has exactly the
 * strata's sizes, and `stat` sees it grouped by stratum. With one stratum the
 * draws, and so the interval, are those of st_boot_percentile with the same
 * seed. Otherwise as st_boot_percentile. */
int st_boot_strat_percentile(st_interval *out, const double *x,
			     const size_t *stratum, size_t n, size_t nstrata,
			     st_strat_statistic stat, void *ud, size_t B,
			     double level, gsl_rng *rng);

/* Stratified BCa: resampling as st_boot_strat_percentile, z0 and the levels
 * as st_boot_bca. The jackknife leaves out each of the n values in turn (from
 * its own stratum, which keeps >= 1 value), and the acceleration treats the
 * strata as separate samples, with U_ki = (n_k - 1)(tbar_k - theta_(ki)),
 * tbar_k the mean over stratum k's leave-one-out values:
 *   a = sum_k sum_i U_ki^3 / n_k^3 / (6 [sum_k sum_i U_ki^2 / n_k^2]^(3/2))
 * (Davison & Hinkley 1997, ch. 3 and 5: per-stratum empirical influence
 * values; what scipy.stats.bootstrap computes for several samples). With one
 * stratum this is st_boot_bca's a, and the interval is st_boot_bca's for the
 * same seed. Errors as st_boot_bca and st_boot_strat_percentile. */
int st_boot_strat_bca(st_interval *out, st_bca_info *info, const double *x,
		      const size_t *stratum, size_t n, size_t nstrata,
		      st_strat_statistic stat, void *ud, size_t B, double level,
		      gsl_rng *rng);

/* Ready-made statistics for st_statistic. */
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

/* Ready-made st_strat_statistic: the weighted geometric mean of per-workload
 * ratios, from paired log-differences d_{w,i} = ln B_{w,i} - ln A_{w,i}
 * grouped by workload w:
 *   theta = exp(sum_w v_w mean_i d_{w,i} / sum_w v_w)
 * (Kalibera & Jones 2013). ud is NULL for equal weights, or points to nstrata
 * weights v_w (a `const double *` passed as void *), which must be finite,
 * >= 0 and not all 0 -- st_gm_ratio and st_boot_gm_ratio check them; used
 * directly, bad weights give a non-finite theta, which the bootstrap reports
 * as BG_EDOMAIN. */
double st_stat_gm_ratio(const double *d, const size_t *start, size_t nstrata,
			void *ud);

/* The geometric-mean ratio of d grouped by stratum[] (as
 * st_boot_strat_percentile's x), with weights (NULL: equal). BG_EINVAL for a
 * negative, non-finite or all-zero weight or a bad stratum index; BG_EDOMAIN
 * for an empty stratum, non-finite d or a ratio that overflows. Strata of one
 * value are fine here (not for the bootstrap). */
int st_gm_ratio(double *out, const double *d, const size_t *stratum, size_t n,
		size_t nstrata, const double *weights);

/* Both intervals for the geometric-mean ratio from one set of B stratified
 * resamples (rounds resampled within workloads): `pct` gets the percentile
 * interval, `bca` and `info` the BCa interval; any of the three may be NULL,
 * but not both intervals. Checks the weights as st_gm_ratio; otherwise as
 * st_boot_strat_bca. With the same seed, `pct` equals
 * st_boot_strat_percentile's and `bca` st_boot_strat_bca's. */
int st_boot_gm_ratio(st_interval *pct, st_interval *bca, st_bca_info *info,
		     const double *d, const size_t *stratum, size_t n,
		     size_t nstrata, const double *weights, size_t B,
		     double level, gsl_rng *rng);

#endif
