/* st_effect: the effect of B against A from paired runs, and its verdict.
 *
 * For round i, d_i = ln B_i - ln A_i (Kalibera & Jones 2013: report a ratio
 * with its interval). The effect is the geometric-mean ratio exp(mean d),
 * its interval the BCa bootstrap of mean d (Efron 1987; percentile where
 * BCa is undefined) mapped through exp, its
 * p-value the one-sample t-test of mean d = 0. The verdict compares the
 * interval with the better side and with the band +-min_effect (in log
 * terms +-ln(1 + min_effect)). */
#ifndef ST_EFFECT_H
#define ST_EFFECT_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

typedef enum {
	ST_IMPROVED = 0,
	ST_REGRESSED = 1,
	ST_NO_CHANGE = 2,
	ST_INCONCLUSIVE = 3
} st_verdict;

typedef struct {
	double ratio;       /* B/A, geometric */
	double lo, hi;      /* interval for the ratio */
	double level;       /* confidence level of [lo, hi] */
	double p_value;     /* two-sided, H0: ratio = 1 */
	size_t n;           /* pairs */
	st_verdict verdict;
	double far_lo, far_hi; /* the set also holds ratios below far_lo and
	                          above far_hi (st_cs.h: a confidence sequence at
	                          small n); 0 and +inf: it does not */
	int difference;     /* 1: ratio, lo, hi, far_lo, far_hi are B - A in the
	                     * metric's units (st_rule with difference), the far
	                     * region then -inf and +inf when there is none */
} st_effect;

typedef struct {
	int lower_is_better; /* 1 for times; 0 for throughput-like metrics */
	double level;        /* confidence level, e.g. 0.95 */
	double min_effect;   /* smallest relative change that matters, e.g. 0.01 */
	size_t resamples;    /* bootstrap resamples, >= 100 */
} st_effect_opts;

#define ST_EFFECT_OPTS_INIT { 1, 0.95, 0.01, 10000 }

/* Computes the effect of b against a, n >= 2 pairs. Values must be finite
 * and > 0 (BG_EDOMAIN naming the bad value otherwise). When every d_i is
 * equal (within 1e-12) the interval collapses to that ratio and the p-value
 * is 1 when it is 1, else 0; rng may then be NULL. */
int st_effect_paired(st_effect *out, const double *a, const double *b, size_t n,
		     const st_effect_opts *opts, gsl_rng *rng);

/* Verdict for a ratio and interval (see the header comment). */
st_verdict st_effect_verdict(double ratio, double lo, double hi,
			     int lower_is_better, double min_effect);

/* The same verdict on a difference B - A and its interval, the band
 * +-min_effect in the metric's units. */
st_verdict st_effect_verdict_difference(double diff, double lo, double hi, int lower_is_better, double min_effect);

/* "IMPROVED", "REGRESSED", "NO_CHANGE", "INCONCLUSIVE". */
const char *st_verdict_name(st_verdict v);

#endif
