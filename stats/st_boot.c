/* st_boot: percentile bootstrap (Efron & Tibshirani 1993, ch. 13). */
#include "st_boot.h"
#include "st_desc.h"
#include "bg_error.h"

#include <stdlib.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

double st_stat_mean(const double *x, size_t n, void *ud)
{
	(void)ud;
	return gsl_stats_mean(x, 1, n);
}

int st_boot_percentile(st_interval *out, const double *x, size_t n,
		       st_statistic stat, void *ud, size_t B, double level,
		       gsl_rng *rng)
{
	int error;
	double *resample = NULL, *thetas = NULL;

	if (!(level > 0.0 && level < 1.0))
		return bg_error_set(BG_EINVAL, "confidence level must be in (0, 1), got %g", level);
	if (B < 100)
		return bg_error_set(BG_EINVAL, "bootstrap needs at least 100 resamples, got %zu", B);
	if (stat == NULL || rng == NULL)
		return bg_error_set(BG_EINVAL, "bootstrap: statistic and RNG are required");
	if ((error = st_check_finite(x, n)) < 0)
		return error;
	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "bootstrap needs at least 2 values, got %zu", n);

	resample = malloc(n * sizeof(*resample));
	thetas = malloc(B * sizeof(*thetas));
	if (resample == NULL || thetas == NULL) {
		error = bg_error_set(BG_ENOMEM, "out of memory for %zu bootstrap resamples", B);
		goto cleanup;
	}
	for (size_t b = 0; b < B; b++) {
		for (size_t i = 0; i < n; i++)
			resample[i] = x[gsl_rng_uniform_int(rng, n)];
		thetas[b] = stat(resample, n, ud);
	}
	gsl_sort(thetas, 1, B);
	out->estimate = stat(x, n, ud);
	out->lo = gsl_stats_quantile_from_sorted_data(thetas, 1, B, (1.0 - level) / 2.0);
	out->hi = gsl_stats_quantile_from_sorted_data(thetas, 1, B, (1.0 + level) / 2.0);
	out->level = level;
	error = 0;
cleanup:
	free(resample);
	free(thetas);
	return error;
}
