/* st_desc: descriptive and robust statistics on arrays of doubles.
 *
 * Pure functions, GSL underneath. Every function checks its input: an empty
 * array, too few values, or a non-finite value is BG_EDOMAIN with a message;
 * *out is written only on success. Inputs are never modified. */
#ifndef ST_DESC_H
#define ST_DESC_H

#include <stddef.h>

/* 1/Phi^-1(3/4): scales the MAD to estimate sigma under normality. */
#define ST_MAD_SCALE 1.482602218505602

/* BG_EDOMAIN unless n >= 1 and every x[i] is finite. */
int st_check_finite(const double *x, size_t n);

int st_mean(double *out, const double *x, size_t n);
/* Sample standard deviation (divisor n - 1); needs n >= 2. */
int st_sd(double *out, const double *x, size_t n);
int st_median(double *out, const double *x, size_t n);
/* Median absolute deviation from the median, times ST_MAD_SCALE. */
int st_mad(double *out, const double *x, size_t n);
/* Quantile p in [0,1], linear interpolation between order statistics
 * (Hyndman & Fan type 7: R's default, numpy's "linear"). */
int st_quantile(double *out, const double *x, size_t n, double p);
int st_minmax(double *min, double *max, const double *x, size_t n);

/* Coefficient of variation sd / mean, sd with divisor n - 1 (st_sd): a
 * negative mean gives a negative CV (scipy.stats.variation(x, ddof=1)).
 * Needs n >= 2; BG_EDOMAIN when the mean is 0 or the ratio overflows. All-equal
 * values give 0. */
int st_cv(double *out, const double *x, size_t n);

/* Lag-1 autocorrelation
 *     r1 = sum_{t=1}^{n-1} (x_t - m)(x_{t+1} - m) / sum_{t=1}^{n} (x_t - m)^2,
 * m the mean (Box & Jenkins' estimator; statsmodels' acf with adjusted=False).
 * In [-1, 1]. Needs n >= 2; BG_EDOMAIN when all values are equal (0/0). */
int st_autocorr1(double *out, const double *x, size_t n);

/* Outlier classes written to a caller's flag array, one per value. */
enum {
	ST_OUTLIER_NONE = 0,
	ST_OUTLIER = 1          /* modified z-score: |M| > ST_MZ_THRESHOLD */
};

/* Iglewicz & Hoaglin's constant: Phi^-1(3/4), rounded as in their book. */
#define ST_MZ_CONST 0.6745
#define ST_MZ_THRESHOLD 3.5
/* sqrt(pi/2): the mean absolute deviation times it estimates sigma under
 * normality, as the MAD divided by ST_MZ_CONST does. */
#define ST_MEANAD_SCALE 1.2533141373155003

typedef struct {
	double median;
	double mad;         /* raw median absolute deviation (unscaled) */
	double meanad;      /* mean absolute deviation from the median */
	int mad_zero;       /* 1: mad was 0 and the meanad fallback was used */
	size_t n_outliers;  /* values with |M| > ST_MZ_THRESHOLD */
} st_mzscore;

/* Modified z-scores (Iglewicz & Hoaglin 1993, "How to Detect and Handle
 * Outliers", sec. 2.2): M_i = 0.6745 (x_i - median) / MAD, an outlier when
 * |M_i| > 3.5. The MAD is 0 when more than half of the values are tied at the
 * median; then M_i = (x_i - median) / (1.2533 * meanAD), meanAD the mean
 * absolute deviation from the median (the fallback IBM Cognos Analytics
 * documents; both denominators estimate sigma for normal data). When meanAD is 0 too all
 * values are equal and every M_i is 0. Needs n >= 1 finite values.
 * `flags` (NULL, or n entries) receives ST_OUTLIER_NONE or ST_OUTLIER;
 * `score` (NULL, or n entries) receives M_i; both, like *out, are written
 * only on success. */
int st_outliers_mzscore(st_mzscore *out, unsigned char *flags, double *score,
			const double *x, size_t n);

#endif
