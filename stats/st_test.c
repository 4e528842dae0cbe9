/* st_test: classical hypothesis tests (see st_test.h). */
#include "st_test.h"
#include "st_desc.h"
#include "bg_error.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

/* Student (1908): t = (mean - mu0) / (s / sqrt(n)), n - 1 degrees of freedom. */
int st_ttest_one(double *p_two_sided, double *t_stat, const double *x,
		 size_t n, double mu0)
{
	int error = st_check_finite(x, n);
	double mean, sd, t;

	if (error < 0)
		return error;
	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "t-test needs at least 2 values, got %zu", n);
	if (!isfinite(mu0))
		return bg_error_set(BG_EINVAL, "t-test: mu0 is not finite");
	mean = gsl_stats_mean(x, 1, n);
	sd = gsl_stats_sd_m(x, 1, n, mean);
	if (!(sd > 0.0))
		return bg_error_set(BG_EDOMAIN, "t-test undefined: all %zu values are equal", n);
	t = (mean - mu0) / (sd / sqrt((double)n));
	*t_stat = t;
	*p_two_sided = 2.0 * gsl_cdf_tdist_Q(fabs(t), (double)(n - 1));
	return 0;
}
