/* st_test: classical hypothesis tests. */
#ifndef ST_TEST_H
#define ST_TEST_H

#include <stddef.h>

/* One-sample Student t-test of H0: mean(x) = mu0, two-sided (Student 1908;
 * scipy.stats.ttest_1samp). Needs n >= 2 finite values; when every value is
 * equal the statistic is undefined: BG_EDOMAIN. */
int st_ttest_one(double *p_two_sided, double *t_stat, const double *x,
		 size_t n, double mu0);

#endif
