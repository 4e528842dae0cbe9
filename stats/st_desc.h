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

#endif
