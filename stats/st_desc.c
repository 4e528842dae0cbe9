/* st_desc: descriptive and robust statistics (see st_desc.h).
 * Sorting and quantiles are GSL's; sorted copies are made so inputs stay
 * untouched. */
#include "st_desc.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

int st_check_finite(const double *x, size_t n)
{
	if (x == NULL || n == 0)
		return bg_error_set(BG_EDOMAIN, "statistic of an empty sample");
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return bg_error_set(BG_EDOMAIN,
					    "sample value %zu is not finite (%g)", i, x[i]);
	return 0;
}

/* A sorted copy of x, or NULL (error set). */
static double *sorted_copy(const double *x, size_t n)
{
	double *s = malloc(n * sizeof(*s));

	if (s == NULL) {
		bg_error_set(BG_ENOMEM, "out of memory sorting %zu values", n);
		return NULL;
	}
	memcpy(s, x, n * sizeof(*s));
	gsl_sort(s, 1, n);
	return s;
}

int st_mean(double *out, const double *x, size_t n)
{
	int error = st_check_finite(x, n);

	if (error < 0)
		return error;
	*out = gsl_stats_mean(x, 1, n);
	return 0;
}

int st_sd(double *out, const double *x, size_t n)
{
	int error = st_check_finite(x, n);

	if (error < 0)
		return error;
	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "standard deviation needs at least 2 values, got %zu", n);
	*out = gsl_stats_sd(x, 1, n);
	return 0;
}

int st_quantile(double *out, const double *x, size_t n, double p)
{
	int error;
	double *s;

	if (!(p >= 0.0 && p <= 1.0))
		return bg_error_set(BG_EINVAL, "quantile probability must be in [0, 1], got %g", p);
	if ((error = st_check_finite(x, n)) < 0)
		return error;
	if ((s = sorted_copy(x, n)) == NULL)
		return BG_ENOMEM;
	/* GSL's interpolation is Hyndman & Fan type 7. */
	*out = gsl_stats_quantile_from_sorted_data(s, 1, n, p);
	free(s);
	return 0;
}

int st_median(double *out, const double *x, size_t n)
{
	return st_quantile(out, x, n, 0.5);
}

int st_mad(double *out, const double *x, size_t n)
{
	int error = st_check_finite(x, n);
	double *s, med;

	if (error < 0)
		return error;
	if ((s = sorted_copy(x, n)) == NULL)
		return BG_ENOMEM;
	med = gsl_stats_median_from_sorted_data(s, 1, n);
	for (size_t i = 0; i < n; i++)
		s[i] = fabs(s[i] - med);
	gsl_sort(s, 1, n);
	*out = ST_MAD_SCALE * gsl_stats_median_from_sorted_data(s, 1, n);
	free(s);
	return 0;
}

int st_minmax(double *min, double *max, const double *x, size_t n)
{
	int error = st_check_finite(x, n);

	if (error < 0)
		return error;
	gsl_stats_minmax(min, max, x, 1, n);
	return 0;
}

int st_cv(double *out, const double *x, size_t n)
{
	int error;
	double mean, sd = 0.0, cv;

	if ((error = st_sd(&sd, x, n)) < 0)
		return error;
	mean = gsl_stats_mean(x, 1, n);
	if (mean == 0.0)
		return bg_error_set(BG_EDOMAIN, "coefficient of variation: the mean is 0");
	cv = sd / mean;
	if (!isfinite(cv))
		return bg_error_set(BG_EDOMAIN, "coefficient of variation overflows (sd %g, mean %g)", sd, mean);
	*out = cv;
	return 0;
}

int st_autocorr1(double *out, const double *x, size_t n)
{
	int error = st_check_finite(x, n);
	double min, max, r;

	if (error < 0)
		return error;
	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "lag-1 autocorrelation needs at least 2 values, got %zu", n);
	gsl_stats_minmax(&min, &max, x, 1, n);
	if (min == max)
		return bg_error_set(BG_EDOMAIN, "lag-1 autocorrelation of %zu equal values is 0/0", n);
	/* GSL's running form: q / v with both sums divided by n. */
	r = gsl_stats_lag1_autocorrelation(x, 1, n);
	if (!isfinite(r))
		return bg_error_set(BG_EDOMAIN, "lag-1 autocorrelation is not finite (values too large?)");
	*out = r;
	return 0;
}

/* Median, raw MAD and mean absolute deviation from the median of x. */
static int median_spread(st_mzscore *m, const double *x, size_t n)
{
	double *s = sorted_copy(x, n);

	if (s == NULL)
		return BG_ENOMEM;
	m->median = gsl_stats_median_from_sorted_data(s, 1, n);
	for (size_t i = 0; i < n; i++)
		s[i] = fabs(x[i] - m->median);
	m->meanad = gsl_stats_mean(s, 1, n);
	gsl_sort(s, 1, n);
	m->mad = gsl_stats_median_from_sorted_data(s, 1, n);
	free(s);
	return 0;
}

/* M for value v; the formula as Iglewicz & Hoaglin write it, so the result
 * matches a reference computing it the same way to the last bit. */
static double mz_score(const st_mzscore *m, double v)
{
	if (m->mad > 0.0)
		return ST_MZ_CONST * (v - m->median) / m->mad;
	if (m->meanad > 0.0)
		return (v - m->median) / (ST_MEANAD_SCALE * m->meanad);
	return 0.0;
}

int st_outliers_mzscore(st_mzscore *out, unsigned char *flags, double *score,
			const double *x, size_t n)
{
	int error = st_check_finite(x, n);
	st_mzscore m = { 0 };

	if (error < 0)
		return error;
	if ((error = median_spread(&m, x, n)) < 0)
		return error;
	/* Deviations that overflow make meanAD inf or NaN (inf - inf). */
	if (!isfinite(m.meanad))
		return bg_error_set(BG_EDOMAIN, "modified z-scores: deviations from the median overflow");
	m.mad_zero = m.mad == 0.0;
	/* A first pass checks every score before anything is written. */
	for (size_t i = 0; i < n; i++) {
		double z = mz_score(&m, x[i]);

		if (!isfinite(z))
			return bg_error_set(BG_EDOMAIN, "modified z-score of value %zu overflows (%g)", i, x[i]);
		m.n_outliers += fabs(z) > ST_MZ_THRESHOLD;
	}
	for (size_t i = 0; i < n; i++) {
		double z = mz_score(&m, x[i]);

		if (flags)
			flags[i] = fabs(z) > ST_MZ_THRESHOLD ? ST_OUTLIER : ST_OUTLIER_NONE;
		if (score)
			score[i] = z;
	}
	*out = m;
	return 0;
}
