/* st_boot: percentile and BCa bootstrap intervals of one sample (see
 * st_boot.h for the methods and their sources).
 *
 * One engine serves both intervals: B resamples drawn with replacement, and
 * the intervals read off their sorted statistics, so a percentile and a BCa
 * interval take the same draws from the same seed. */

/* GSL's inline gsl_rng_get: one indirect call per drawn index, not two. */
#define HAVE_INLINE 1

#include "st_boot.h"
#include "st_desc.h"
#include "bg_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* A sample and the statistic to bootstrap. */
typedef struct {
	const double *x;
	size_t n;
	st_statistic stat;
	void *ud;
} boot_sample;

/* ---- statistics ------------------------------------------------------- */

/* sum / n with four partial sums. gsl_stats_mean's running mean divides in
 * long double at every value, ~40x slower (100 ms against 3 ms for the 10^7
 * values of a B = 10,000 bootstrap of 1,000 values), which alone would break
 * the bootstrap's time budget. The error, O(n eps) at worst, is far below any
 * timer's resolution for the sizes a benchmark produces. */
static double plain_mean(const double *x, size_t n)
{
	double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
	size_t i = 0;

	for (; n - i >= 4; i += 4) {
		s0 += x[i];
		s1 += x[i + 1];
		s2 += x[i + 2];
		s3 += x[i + 3];
	}
	for (; i < n; i++)
		s0 += x[i];
	return ((s0 + s1) + (s2 + s3)) / (double)n;
}

double st_stat_mean(const double *x, size_t n, void *ud)
{
	(void)ud;
	return plain_mean(x, n);
}

/* ---- argument checks ---------------------------------------------------- */

static int check_args(int have_stat, size_t B, double level, const gsl_rng *rng)
{
	if (!(level > 0.0 && level < 1.0))
		return bg_error_set(BG_EINVAL, "confidence level must be in (0, 1), got %g", level);
	if (B < 100)
		return bg_error_set(BG_EINVAL, "bootstrap needs at least 100 resamples, got %zu", B);
	if (B > SIZE_MAX / sizeof(double))
		return bg_error_set(BG_EINVAL, "bootstrap: %zu resamples do not fit in memory", B);
	if (!have_stat || rng == NULL)
		return bg_error_set(BG_EINVAL, "bootstrap: statistic and RNG are required");
	return 0;
}

/* ---- resampling ------------------------------------------------------- */

/* How the indices of a sample of m values are drawn. With a generator whose
 * gsl_rng_get covers [0, 2^32 - 1] (`fast`), one 32-bit word gives k indices:
 * the batched form of Lemire's multiply-shift (Brackett-Rozinsky & Lemire,
 * "Batched ranged random integer generation", Software: Practice and
 * Experience 2024, arXiv:2408.06213). With
 * L_0 the word and L_j = (L_{j-1} m) mod 2^32, index j is
 * floor(L_{j-1} m / 2^32); by induction word * m^k = N 2^32 + L_k with N the
 * k indices read as a base-m number, so the batch is Lemire's single draw on
 * [0, m^k), and rejecting L_k < 2^32 mod m^k (Lemire 2019, ACM TOMACS 29(1))
 * makes every k-tuple exactly equally likely: no bias at all. k is chosen
 * once per sample to maximise the indices per word, k (1 - P(reject)):
 * for m = 1,000, k = 3 (m^3 = 10^9, 6.9% rejected). Other generators use
 * gsl_rng_uniform_int, one call per index. */
#define MAX_BATCH 32

typedef struct {
	uint32_t m;
	int fast;
	unsigned k, k_tail;          /* per word; in the last, short batch */
	uint64_t thresh, thresh_tail; /* 2^32 mod m^k, 2^32 mod m^k_tail */
} index_plan;

static uint64_t pow_mod_word(uint32_t m, unsigned k)
{
	uint64_t p = 1;

	while (k--)
		p *= m;
	return (UINT64_C(1) << 32) % p;
}

static index_plan plan_indices(size_t m, int fast)
{
	index_plan p = { (uint32_t)m, fast, 1, 0, 0, 0 };
	uint64_t prod = m;
	double best = 0.0;

	for (unsigned k = 1; k <= MAX_BATCH && prod <= (UINT64_C(1) << 32); k++) {
		uint64_t t = (UINT64_C(1) << 32) % prod;
		double per_word = k * (1.0 - (double)t / 4294967296.0);

		if (per_word > best) {
			best = per_word;
			p.k = k;
			p.thresh = t;
		}
		prod *= m;
	}
	p.k_tail = (unsigned)(m % p.k);
	p.thresh_tail = p.k_tail ? pow_mod_word(p.m, p.k_tail) : 0;
	return p;
}

/* dst[0..k-1] = src at k indices uniform on [0, m) from one accepted word. */
static inline void draw_batch(double *dst, const double *src, uint32_t m,
			      unsigned k, uint64_t thresh, const gsl_rng *r)
{
	uint64_t low;

	do {
		low = (uint32_t)gsl_rng_get(r);
		for (unsigned j = 0; j < k; j++) {
			uint64_t p = low * m;

			dst[j] = src[p >> 32];
			low = (uint32_t)p;
		}
	} while (low < thresh);
}

/* dst[0..m-1] = m draws with replacement from src[0..m-1]. */
static void draw_resample(double *dst, const double *src, const index_plan *p,
			 const gsl_rng *r)
{
	size_t i = 0, m = p->m;

	if (!p->fast) {
		for (; i < m; i++)
			dst[i] = src[gsl_rng_uniform_int(r, m)];
		return;
	}
	for (; m - i >= p->k; i += p->k)
		draw_batch(dst + i, src, p->m, p->k, p->thresh, r);
	if (p->k_tail)
		draw_batch(dst + i, src, p->m, p->k_tail, p->thresh_tail, r);
}

/* BG_EINVAL unless r can draw an index into every one of n values. */
static int check_indexable(size_t n, const gsl_rng *r)
{
	unsigned long range = gsl_rng_max(r) - gsl_rng_min(r);

	if (n - 1 > range || n > UINT32_MAX)
		return bg_error_set(BG_EINVAL, "bootstrap: %zu values, more than generator %s can index",
				    n, gsl_rng_name(r));
	return 0;
}

/* *est = the statistic on the sample; theta[0..B-1] = on B resamples,
 * sorted. */
static int boot_thetas(double *theta, double *est, const boot_sample *s,
		       size_t B, gsl_rng *rng)
{
	int error;
	double *buf = NULL;
	index_plan plan;

	*est = s->stat(s->x, s->n, s->ud);
	if (!isfinite(*est))
		return bg_error_set(BG_EDOMAIN, "bootstrap: the statistic is not finite on the sample (%g)", *est);
	if ((error = check_indexable(s->n, rng)) < 0)
		return error;
	plan = plan_indices(s->n, gsl_rng_min(rng) == 0 && gsl_rng_max(rng) == 0xFFFFFFFFUL);
	if ((buf = malloc(s->n * sizeof(*buf))) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory for a resample of %zu values", s->n);
	for (size_t b = 0; b < B; b++) {
		draw_resample(buf, s->x, &plan, rng);
		theta[b] = s->stat(buf, s->n, s->ud);
		if (!isfinite(theta[b])) {
			error = bg_error_set(BG_EDOMAIN, "bootstrap: the statistic is not finite on resample %zu (%g)", b, theta[b]);
			goto cleanup;
		}
	}
	gsl_sort(theta, 1, B);
	error = 0;
cleanup:
	free(buf);
	return error;
}

/* ---- intervals from sorted resample statistics ----------------------- */

static void percentile_from(st_interval *out, const double *theta, size_t B,
			    double est, double level)
{
	out->estimate = est;
	out->lo = gsl_stats_quantile_from_sorted_data(theta, 1, B, (1.0 - level) / 2.0);
	out->hi = gsl_stats_quantile_from_sorted_data(theta, 1, B, (1.0 + level) / 2.0);
	out->level = level;
}

/* Jackknife values into tj[0..n-1]: the statistic with each value left out
 * in turn. buf holds n - 1 values. */
static int jackknife(double *tj, double *buf, const boot_sample *s)
{
	/* buf = x without x[0]; stepping to j + 1 only puts x[j] back. */
	for (size_t i = 1; i < s->n; i++)
		buf[i - 1] = s->x[i];
	for (size_t j = 0; j < s->n; j++) {
		if (j > 0)
			buf[j - 1] = s->x[j - 1];
		tj[j] = s->stat(buf, s->n - 1, s->ud);
		if (!isfinite(tj[j]))
			return bg_error_set(BG_EDOMAIN, "bootstrap: the statistic is not finite without value %zu (%g)", j, tj[j]);
	}
	return 0;
}

/* The acceleration from the jackknife influence values
 * U_i = (n - 1)(tbar - theta_(i)), tbar the mean of the theta_(i):
 *   a = sum_i U_i^3 / n^3 / (6 [sum_i U_i^2 / n^2]^(3/2)),
 * which is st_boot.h's sum (tbar - theta_(i))^3 / (6 [...]^(3/2)) (the
 * factors (n - 1)^3 / n^3 cancel), written as Davison & Hinkley's empirical
 * influence values. */
static double accel_from(const double *tj, size_t n)
{
	double num = 0.0, den = 0.0;
	double tbar = plain_mean(tj, n), n2 = (double)n * n;

	for (size_t i = 0; i < n; i++) {
		double u = (double)(n - 1) * (tbar - tj[i]);

		num += u * u * u / (n2 * n);
		den += u * u / n2;
	}
	return den > 0.0 ? num / (6.0 * pow(den, 1.5)) : 0.0;
}

static int jackknife_accel(double *a, const boot_sample *s)
{
	int error;
	/* calloc, though jackknife() writes every value: GCC (-O2 with the
	 * sanitizers) cannot see that and warns that tj may be read unset. */
	double *tj = calloc(s->n, sizeof(*tj));
	double *buf = malloc((s->n - 1) * sizeof(*buf));

	if (tj == NULL || buf == NULL) {
		error = bg_error_set(BG_ENOMEM, "out of memory for a jackknife of %zu values", s->n);
		goto cleanup;
	}
	if ((error = jackknife(tj, buf, s)) < 0)
		goto cleanup;
	*a = accel_from(tj, s->n);
	if (!isfinite(*a))
		error = bg_error_set(BG_EDOMAIN, "BCa: the jackknife acceleration is not finite");
cleanup:
	free(tj);
	free(buf);
	return error;
}

/* Efron's adjusted level Phi(z0 + (z0 + zq) / (1 - a (z0 + zq))). */
static int bca_level(double *alpha, double z0, double a, double zq)
{
	double w = z0 + zq, den = 1.0 - a * w;

	if (!(den > 0.0))
		return bg_error_set(BG_EDOMAIN, "BCa undefined: 1 - a(z0 + z) = %g <= 0 (a = %g, z0 = %g); use the percentile interval",
				    den, a, z0);
	*alpha = gsl_cdf_ugaussian_P(z0 + w / den);
	return 0;
}

static int bca_from(st_interval *out, st_bca_info *info, const double *theta,
		    size_t B, double est, const boot_sample *s, double level)
{
	st_bca_info bi = { 0.0, 0.0, (1.0 - level) / 2.0, (1.0 + level) / 2.0 };
	size_t below = 0, upto = 0;
	double p, zq;
	int error;

	if (theta[0] == est && theta[B - 1] == est)
		goto done; /* a point mass at the estimate: [est, est] */
	while (upto < B && theta[upto] <= est)
		below += theta[upto++] < est;
	p = (double)(below + upto) / (2.0 * (double)B);
	if (p <= 0.0 || p >= 1.0)
		return bg_error_set(BG_EDOMAIN, "BCa undefined: the estimate %g lies %s every resample's statistic (z0 infinite)",
				    est, p <= 0.0 ? "below" : "above");
	bi.z0 = gsl_cdf_ugaussian_Pinv(p);
	if ((error = jackknife_accel(&bi.a, s)) < 0)
		return error;
	zq = gsl_cdf_ugaussian_Pinv((1.0 - level) / 2.0);
	if ((error = bca_level(&bi.alpha_lo, bi.z0, bi.a, zq)) < 0 ||
	    (error = bca_level(&bi.alpha_hi, bi.z0, bi.a, -zq)) < 0)
		return error;
done:
	out->estimate = est;
	out->lo = gsl_stats_quantile_from_sorted_data(theta, 1, B, bi.alpha_lo);
	out->hi = gsl_stats_quantile_from_sorted_data(theta, 1, B, bi.alpha_hi);
	out->level = level;
	if (info)
		*info = bi;
	return 0;
}

/* ---- the engine ------------------------------------------------------- */

/* Percentile and/or BCa interval of s from B resamples; pct, bca, info may
 * each be NULL. Outputs are written only when everything succeeded. */
static int boot_run(st_interval *pct, st_interval *bca, st_bca_info *info,
		    const boot_sample *s, size_t B, double level, gsl_rng *rng)
{
	st_interval p, c;
	st_bca_info bi;
	double *theta, est;
	int error;

	if ((theta = malloc(B * sizeof(*theta))) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory for %zu bootstrap resamples", B);
	if ((error = boot_thetas(theta, &est, s, B, rng)) < 0)
		goto cleanup;
	percentile_from(&p, theta, B, est, level);
	if (bca && (error = bca_from(&c, &bi, theta, B, est, s, level)) < 0)
		goto cleanup;
	if (pct)
		*pct = p;
	if (bca)
		*bca = c;
	if (bca && info)
		*info = bi;
cleanup:
	free(theta);
	return error;
}

/* The sample x, checked. */
static int plain_run(st_interval *pct, st_interval *bca, st_bca_info *info,
		     const double *x, size_t n, st_statistic stat, void *ud,
		     size_t B, double level, gsl_rng *rng)
{
	int error;
	boot_sample s = { x, n, stat, ud };

	if ((error = check_args(stat != NULL, B, level, rng)) < 0)
		return error;
	if ((error = st_check_finite(x, n)) < 0)
		return error;
	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "bootstrap needs at least 2 values, got %zu", n);
	return boot_run(pct, bca, info, &s, B, level, rng);
}

/* ---- public entry points ---------------------------------------------- */

int st_boot_percentile(st_interval *out, const double *x, size_t n,
		       st_statistic stat, void *ud, size_t B, double level,
		       gsl_rng *rng)
{
	return plain_run(out, NULL, NULL, x, n, stat, ud, B, level, rng);
}

int st_boot_bca(st_interval *out, st_bca_info *info, const double *x, size_t n,
		st_statistic stat, void *ud, size_t B, double level,
		gsl_rng *rng)
{
	return plain_run(NULL, out, info, x, n, stat, ud, B, level, rng);
}

int st_boot_expanded_level(double *out, double level, size_t n)
{
	double z;

	if (!(level > 0.0 && level < 1.0))
		return bg_error_set(BG_EINVAL, "confidence level must be in (0, 1), got %g", level);
	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "expanded level needs at least 2 values, got %zu", n);
	z = sqrt((double)n / (double)(n - 1)) * gsl_cdf_tdist_Qinv((1.0 - level) / 2.0, (double)(n - 1));
	/* For n = 2 the expanded level rounds to 1; cap it just below, where
	 * the interval is the range of the resamples. */
	*out = fmin(1.0 - 2.0 * gsl_cdf_ugaussian_Q(z), 1.0 - 1e-12);
	return 0;
}
