/* ev_rank: the Mann-Whitney test and Welch's t-test (see ev_rank.h for the
 * rules and their references).
 *
 * The exact null distribution of U is a table of probabilities filled in by
 * dynamic programming (only additions of positive terms, so no
 * cancellation), truncated at the middle of the distribution, which is
 * symmetric. */
#include "ev_rank.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* ---- checks and small helpers ----------------------------------------- */

/* BG_EDOMAIN unless x has n >= 1 finite values; the message names the
 * routine and the sample. */
static int check_sample(const double *x, size_t n, const char *what,
			const char *name)
{
	if (x == NULL || n == 0)
		return bg_error_set(BG_EDOMAIN, "%s: sample %s is empty", what, name);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return bg_error_set(BG_EDOMAIN, "%s: %s[%zu] is not finite (%g)",
					    what, name, i, x[i]);
	return 0;
}

static int check_method(ev_rank_method method, const char *what)
{
	if (method != EV_RANK_AUTO && method != EV_RANK_EXACT &&
	    method != EV_RANK_ASYMPTOTIC)
		return bg_error_set(BG_EINVAL, "%s: unknown method %d", what, (int)method);
	return 0;
}

static double *alloc_doubles(size_t n, const char *what)
{
	double *p = malloc((n ? n : 1) * sizeof(*p));

	if (p == NULL)
		bg_error_set(BG_ENOMEM, "%s: out of memory for %zu values", what, n);
	return p;
}

/* A sorted copy of x (n >= 1), or NULL with the error set. */
static double *sorted_copy(const double *x, size_t n, const char *what)
{
	double *s = alloc_doubles(n, what);

	if (s == NULL)
		return NULL;
	memcpy(s, x, n * sizeof(*s));
	gsl_sort(s, 1, n);
	return s;
}

/* sum(t^3 - t) over the runs of equal values of sorted s: the tie term of
 * the rank variance below (Kendall & Gibbons 1990, ch. 3). 0 iff no ties. */
static double tie_term_sorted(const double *s, size_t n)
{
	double term = 0.0;
	size_t i = 0;

	while (i < n) {
		size_t j = i + 1;

		while (j < n && s[j] == s[i])
			j++;
		if (j - i > 1) {
			double t = (double)(j - i);

			term += t * t * t - t;
		}
		i = j;
	}
	return term;
}

static double sign_of(double v)
{
	return (v > 0.0) - (v < 0.0);
}

/* ---- exact null distribution ------------------------------------------ */

/* cdf[u] = P(U <= u), u = 0..L, for the Mann-Whitney U of samples of sizes
 * m and n under H0. Mann & Whitney (1947), eq. (1): with p_{i,j} the
 * distribution for sizes (i, j), the largest of the i + j values belongs to
 * the first sample with probability i/(i+j) and then adds j to U:
 *     p_{i,j}(u) = i/(i+j) p_{i-1,j}(u - j) + j/(i+j) p_{i,j-1}(u).
 * One row per i, updated in place column by column (j): O(m n L) time,
 * O(min(m,n) L) memory. NULL with the error set on failure. */
static double *mwu_cdf(size_t m, size_t n, size_t L)
{
	size_t a = m < n ? m : n, b = m < n ? n : m, w = L + 1;
	double *g = calloc((a + 1) * w, sizeof(*g));
	double *cdf;

	if (g == NULL) {
		bg_error_set(BG_ENOMEM, "Mann-Whitney: out of memory for the exact distribution");
		return NULL;
	}
	for (size_t i = 0; i <= a; i++)
		g[i * w] = 1.0; /* p_{i,0}: U = 0 */
	for (size_t j = 1; j <= b; j++) {
		for (size_t i = 1; i <= a; i++) {
			double *gi = g + i * w, *gp = g + (i - 1) * w;
			double wi = (double)i / (double)(i + j);
			double wj = (double)j / (double)(i + j);
			size_t top = i * j < L ? i * j : L;

			for (size_t u = 0; u <= top; u++)
				gi[u] = wj * gi[u] + (u >= j ? wi * gp[u - j] : 0.0);
		}
	}
	cdf = g + a * w;
	for (size_t u = 1; u <= L; u++)
		cdf[u] += cdf[u - 1];
	memmove(g, cdf, w * sizeof(*g));
	return g;
}

/* ---- Mann-Whitney ----------------------------------------------------- */

/* U of y against x from the sorted samples: for each y_j, the x below it
 * plus half the x equal to it. */
static double u_of_sorted(const double *sx, size_t m, const double *sy, size_t n)
{
	size_t lt = 0, le = 0;
	double u = 0.0;

	for (size_t j = 0; j < n; j++) {
		while (lt < m && sx[lt] < sy[j])
			lt++;
		if (le < lt)
			le = lt;
		while (le < m && sx[le] <= sy[j])
			le++;
		u += (double)lt + 0.5 * (double)(le - lt);
	}
	return u;
}

/* Whether to use the exact distribution, or an error for an impossible
 * request. `size` is the largest sample size. */
static int choose_exact(int *exact, ev_rank_method method, int ties,
			size_t size, const char *what, const char *why)
{
	if (method == EV_RANK_ASYMPTOTIC) {
		*exact = 0;
	} else if (method == EV_RANK_AUTO) {
		*exact = !ties && size < EV_RANK_AUTO_EXACT_BELOW;
	} else if (ties) {
		return bg_error_set(BG_EDOMAIN, "%s: no exact p-value with %s", what, why);
	} else if (size > EV_RANK_EXACT_MAX) {
		return bg_error_set(BG_EUNSUPPORTED, "%s: exact p-value offered up to %d "
				    "values per sample, got %zu", what, EV_RANK_EXACT_MAX, size);
	} else {
		*exact = 1;
	}
	return 0;
}

/* Two-sided exact p from the lower-tail cdf of a statistic symmetric about
 * total/2 (integer-valued here: no ties). */
static double exact_p(const double *cdf, double stat, double total)
{
	double low = stat < total - stat ? stat : total - stat;
	double p = 2.0 * cdf[(size_t)low];

	return p < 1.0 ? p : 1.0;
}

int ev_mwu_test(ev_mwu *out, const double *x, size_t m, const double *y,
		size_t n, ev_rank_method method)
{
	static const char what[] = "Mann-Whitney test";
	double *sx = NULL, *sy = NULL, *pool = NULL, *cdf = NULL;
	double u, ties, mn, s, sigma, z, p;
	int error, exact = 0;

	if ((error = check_method(method, what)) < 0 ||
	    (error = check_sample(x, m, what, "x")) < 0 ||
	    (error = check_sample(y, n, what, "y")) < 0)
		return error;
	error = BG_ENOMEM;
	if (!(sx = sorted_copy(x, m, what)) || !(sy = sorted_copy(y, n, what)) ||
	    !(pool = alloc_doubles(m + n, what)))
		goto cleanup;
	memcpy(pool, x, m * sizeof(*pool));
	memcpy(pool + m, y, n * sizeof(*pool));
	gsl_sort(pool, 1, m + n);
	if (pool[0] == pool[m + n - 1]) {
		error = bg_error_set(BG_EDOMAIN, "%s undefined: all %zu values are equal",
				     what, m + n);
		goto cleanup;
	}
	ties = tie_term_sorted(pool, m + n);
	u = u_of_sorted(sx, m, sy, n);
	mn = (double)m * (double)n;
	s = (double)(m + n);
	sigma = sqrt(mn / 12.0 * ((s + 1.0) - ties / (s * (s - 1.0))));
	z = (u - mn / 2.0 - 0.5 * sign_of(u - mn / 2.0)) / sigma;
	if ((error = choose_exact(&exact, method, ties > 0.0, m > n ? m : n, what,
				  "ties")) < 0)
		goto cleanup;
	if (exact) {
		error = BG_ENOMEM;
		if (!(cdf = mwu_cdf(m, n, m * n / 2)))
			goto cleanup;
		p = exact_p(cdf, u, mn);
	} else {
		p = 2.0 * gsl_cdf_ugaussian_Q(fabs(z));
	}
	out->u = u;
	out->z = z;
	out->p = p;
	out->exact = exact;
	error = 0;
cleanup:
	free(sx);
	free(sy);
	free(pool);
	free(cdf);
	return error;
}

/* ---- Welch ------------------------------------------------------------ */

int ev_welch_test(ev_welch *out, const double *x, size_t m, const double *y,
		  size_t n)
{
	static const char what[] = "Welch t-test";
	double mx, my, a, b, ra, rb, t, df;
	gsl_sf_result p;
	int error, rc;

	if ((error = check_sample(x, m, what, "x")) < 0 ||
	    (error = check_sample(y, n, what, "y")) < 0)
		return error;
	if (m < 2 || n < 2)
		return bg_error_set(BG_EDOMAIN, "%s needs at least 2 values per sample, got "
				    "%zu and %zu", what, m, n);
	mx = gsl_stats_mean(x, 1, m);
	my = gsl_stats_mean(y, 1, n);
	a = gsl_stats_variance_m(x, 1, m, mx) / (double)m;
	b = gsl_stats_variance_m(y, 1, n, my) / (double)n;
	if (!(a + b > 0.0))
		return bg_error_set(BG_EDOMAIN, "%s undefined: both samples are constant", what);
	t = (my - mx) / sqrt(a + b);
	/* Satterthwaite's df, written with shares of the variance so that tiny
	 * variances do not underflow when squared. */
	ra = a / (a + b);
	rb = b / (a + b);
	df = 1.0 / (ra * ra / (double)(m - 1) + rb * rb / (double)(n - 1));
	if (!isfinite(t) || !isfinite(df))
		return bg_error_set(BG_EDOMAIN, "%s: statistic overflows (t = %g, df = %g)",
				    what, t, df);
	/* Two-sided p = I_{df/(df+t^2)}(df/2, 1/2) (Abramowitz & Stegun
	 * 26.7.1 / 26.5.27). Not 2 gsl_cdf_tdist_Q(|t|, df): GSL 2.7 loses up to
	 * 7 digits there in the far tail (1.7e-7 relative at p = 4.6e-20, df =
	 * 41.3; mpmath, R and SciPy agree with the incomplete beta to 1e-14). */
	rc = gsl_sf_beta_inc_e(df / 2.0, 0.5, df / (df + t * t), &p);
	if (rc == GSL_EUNDRFLW)
		p.val = 0.0; /* p below the smallest double */
	else if (rc != GSL_SUCCESS || !isfinite(p.val))
		return bg_error_set(BG_EDOMAIN, "%s: p-value failed for t = %g, df = %g: %s",
				    what, t, df, gsl_strerror(rc));
	out->t = t;
	out->df = df;
	out->p = p.val < 1.0 ? p.val : 1.0;
	return 0;
}
