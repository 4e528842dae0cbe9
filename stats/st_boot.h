/* st_boot: bootstrap confidence intervals for a statistic of one sample.
 *
 * Efron & Tibshirani (1993), ch. 13: the percentile interval is the
 * (1-level)/2 and (1+level)/2 quantiles of the statistic over B resamples
 * drawn with replacement. Every draw comes from the caller's seeded gsl_rng,
 * so an interval is reproducible from its seed. */
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

/* Percentile bootstrap interval at `level` (0 < level < 1) with B >= 100
 * resamples. BG_EDOMAIN for n < 2 or non-finite input; BG_EINVAL for a bad
 * level or B; BG_ENOMEM. */
int st_boot_percentile(st_interval *out, const double *x, size_t n,
		       st_statistic stat, void *ud, size_t B, double level,
		       gsl_rng *rng);

/* Ready-made statistics for st_statistic. */
double st_stat_mean(const double *x, size_t n, void *ud);

#endif
