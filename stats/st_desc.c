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
