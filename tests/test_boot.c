/* test_boot: the st_desc additions (CV, lag-1 autocorrelation, modified
 * z-scores) and st_boot's BCa intervals, against independent reference
 * values and on bad input.
 *
 * The reference values come from numpy/scipy/statsmodels (Debian's packages),
 * computed once by scripts/fixtures_boot.py and committed as
 * tests/fixtures/boot_reference.json. Every fixture case becomes one cmocka
 * test per function ("mzscore/heavy_tail_n50", "bca/sd_lognormal_n40", ...).
 * Value tests also check that the input is left unmodified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "st_boot.h"
#include "st_desc.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/boot_reference.json"

/* Deterministic values (everything in st_desc, the acceleration a): both
 * sides compute the same formula in double precision, so they agree to
 * ~1e-13; 1e-6 allows another summation order
 * and still catches a wrong divisor, quantile type or constant. The
 * acceleration can be ~1e-17 where it is 0 in exact arithmetic (n = 2), so
 * it also passes within A_ABS_TOL, far below any a that matters (|a| of the
 * skewed cases is 0.05-0.08). */
#define REL_TOL 1e-6
#define A_ABS_TOL 1e-12

/* BCa tolerance. A BCa endpoint is the sample
 * quantile of B resample statistics at a level alpha that itself depends on
 * z0, estimated from the same B resamples. The quantile's Monte Carlo sd is
 * sqrt(alpha(1-alpha)/B) / f(q_alpha) (Serfling 1980, 2.3.3): for a
 * near-normal bootstrap distribution with sd s, 0.0267 s = 0.68% of the
 * width 3.92 s at alpha = 0.025, 0.96% at the alpha ~ 0.99 BCa reaches in
 * the skewed cases. z0 has sd sqrt(p(1-p)/B) / phi(z0) ~ 0.0125 at
 * B = 10,000, and moves an endpoint by ~2 s dz0 (alpha = Phi(2 z0 + z_q) when
 * a = 0): 0.64% of the width more. fixtures_boot.py measures the spread
 * directly (200 bootstraps of B = 10,000 per case, "mc_check" in the
 * fixture): at most 1.48% of the width, 1.55% with the reference's own
 * (B = 100,000) noise; it refuses to write a fixture where BOOT_TOL_WIDTH is
 * under 5 of those sds. What a wrong implementation costs: a percentile
 * interval passed off as BCa is 9-17% of the width off at the upper end of
 * the skewed cases, a lost bias correction likewise; the acceleration is
 * checked to REL_TOL and z0 within Z0_TOL, so errors in either are caught
 * there first. */
#define BOOT_B 10000
#define BOOT_SEED 20240601UL
#define BOOT_TOL_WIDTH 0.08

/* z0 = Phi^-1(p), p a share of B: sd sqrt(p(1-p)/B) / phi(z0) <= 0.0126 for
 * the fixture's |z0| <= 0.17 at B = 10,000, 0.0132 with the reference's own
 * noise; 0.07 is 5.3 sd. A z0 with the wrong sign is 0.33 off in
 * sd_lognormal_n40 and 0.17 in mean_exponential_n20. */
#define Z0_TOL 0.07

/* Direction test: BCa minus percentile at each end, both from the same
 * SHIFT_B resamples, against scipy's shift. Its sd at B = 10,000 is at most
 * 1.14% of the width (mc_check); at SHIFT_B = 100,000 together with the
 * reference's, 0.51%; 3% is 5.9 sd, and scipy's shifts, +5.1% and +9.3% of
 * the width, are beyond it, so a shift of 0 or the wrong way fails. */
#define SHIFT_B 100000
#define SHIFT_TOL_WIDTH 0.03

typedef struct {
	char *name;
	size_t n;
	double *x;
	double cv, ac1;
	st_mzscore mz;
	double *mz_scores;
	unsigned char *mz_flags;
} desc_case;

typedef struct {
	char *name;
	size_t n;
	double *x;
	int is_sd; /* statistic: 0 mean, 1 standard deviation */
	double level, estimate, a, z0, lo, hi, pct_lo, pct_hi;
} bca_case;

typedef struct {
	desc_case *desc;
	size_t ndesc;
	bca_case *bca;
	size_t nbca;
} fixture;

#define SENTINEL (-123456.789)
#define FLAG_SENTINEL 0xA5

static gsl_rng *rng_new(const gsl_rng_type *type, unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(type);

	assert_non_null(r);
	gsl_rng_set(r, seed);
	return r;
}

/* ---- st_desc additions against the reference -------------------------- */

static void test_cv_case(void **state)
{
	const desc_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double cv = SENTINEL;

	assert_ok(st_cv(&cv, c->x, c->n));
	bg_fx_assert_close(cv, c->cv, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_autocorr1_case(void **state)
{
	const desc_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double r = SENTINEL;

	assert_ok(st_autocorr1(&r, c->x, c->n));
	/* r1 near 0 (mad_zero_n15: -4e-4) still has 11 significant digits. */
	bg_fx_assert_close(r, c->ac1, REL_TOL);
	assert_true(r >= -1.0 && r <= 1.0);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_mzscore_case(void **state)
{
	const desc_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	unsigned char *flags = malloc(c->n);
	double *score = malloc(c->n * sizeof(*score));
	st_mzscore m;

	assert_non_null(flags);
	assert_non_null(score);
	assert_ok(st_outliers_mzscore(&m, flags, score, c->x, c->n));
	bg_fx_assert_close(m.median, c->mz.median, REL_TOL);
	bg_fx_assert_close(m.mad, c->mz.mad, REL_TOL);
	bg_fx_assert_close(m.meanad, c->mz.meanad, REL_TOL);
	assert_int_equal(m.mad_zero, c->mz.mad_zero);
	assert_int_equal(m.n_outliers, c->mz.n_outliers);
	for (size_t i = 0; i < c->n; i++) {
		if (fabs(score[i] - c->mz_scores[i]) > REL_TOL * fabs(c->mz_scores[i]))
			print_error("at value %zu:\n", i);
		bg_fx_assert_close(score[i], c->mz_scores[i], REL_TOL);
	}
	assert_memory_equal(flags, c->mz_flags, c->n);
	assert_ok(st_outliers_mzscore(&m, NULL, NULL, c->x, c->n));
	assert_int_equal(m.n_outliers, c->mz.n_outliers);
	free(flags);
	free(score);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

/* ---- BCa against scipy ----------------------------------------------- */

static double stat_sd(const double *x, size_t n, void *ud)
{
	double s = SENTINEL;

	(void)ud;
	return st_sd(&s, x, n) == 0 ? s : NAN;
}

static st_statistic bca_stat(const bca_case *c)
{
	return c->is_sd ? stat_sd : st_stat_mean;
}

static void test_bca_case(void **state)
{
	const bca_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	gsl_rng *r = rng_new(gsl_rng_taus2, BOOT_SEED);
	st_interval ci = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
	st_bca_info info;
	double tol = BOOT_TOL_WIDTH * (c->hi - c->lo);

	assert_ok(st_boot_bca(&ci, &info, c->x, c->n, bca_stat(c), NULL, BOOT_B,
			      c->level, r));
	bg_fx_assert_close(ci.estimate, c->estimate, REL_TOL);
	assert_true(ci.level == c->level);
	/* max(REL_TOL |a|, A_ABS_TOL), as one absolute bound */
	bg_fx_assert_within(info.a, c->a, fmax(REL_TOL * fabs(c->a), A_ABS_TOL));
	bg_fx_assert_within(info.z0, c->z0, Z0_TOL);
	assert_true(ci.lo <= ci.hi);
	bg_fx_assert_within(ci.lo, c->lo, tol);
	bg_fx_assert_within(ci.hi, c->hi, tol);
	/* the levels are Efron's formula of z0 and a */
	{
		double zq = gsl_cdf_ugaussian_Pinv((1.0 - c->level) / 2.0);
		double w = info.z0 + zq;

		bg_fx_assert_close(info.alpha_lo,
			     gsl_cdf_ugaussian_P(info.z0 + w / (1.0 - info.a * w)),
			     1e-12);
	}
	bg_fx_assert_unmodified(before, c->x, c->n);
	gsl_rng_free(r);
}

static const bca_case *find_bca(const fixture *f, const char *name)
{
	for (size_t i = 0; i < f->nbca; i++)
		if (strcmp(f->bca[i].name, name) == 0)
			return &f->bca[i];
	return NULL;
}

/* A skewed sample: BCa moves both ends up from the percentile interval, as
 * much as scipy's does (same resamples for both C intervals). */
static void test_bca_direction(void **state)
{
	const fixture *f = *state;
	const bca_case *c = find_bca(f, "mean_lognormal_n50");
	st_interval pct, bca;
	gsl_rng *r;
	double w, tol;

	assert_non_null(c);
	w = c->hi - c->lo;
	tol = SHIFT_TOL_WIDTH * w;
	r = rng_new(gsl_rng_taus2, BOOT_SEED + 7);
	assert_ok(st_boot_percentile(&pct, c->x, c->n, st_stat_mean, NULL,
				     SHIFT_B, c->level, r));
	gsl_rng_set(r, BOOT_SEED + 7);
	assert_ok(st_boot_bca(&bca, NULL, c->x, c->n, st_stat_mean, NULL,
			      SHIFT_B, c->level, r));
	assert_true(c->lo > c->pct_lo && c->hi > c->pct_hi);
	assert_true(bca.lo > pct.lo);
	assert_true(bca.hi > pct.hi);
	bg_fx_assert_within(bca.lo - pct.lo, c->lo - c->pct_lo, tol);
	bg_fx_assert_within(bca.hi - pct.hi, c->hi - c->pct_hi, tol);
	gsl_rng_free(r);
}

/* Same seed and generator: the same interval bit for bit; another seed or
 * another generator (mt19937 on the same multiply-shift path, ranlxs0
 * through gsl_rng_uniform_int) another interval, still within tolerance. */
static void test_bca_reproducible(void **state)
{
	const fixture *f = *state;
	const bca_case *c = find_bca(f, "sd_lognormal_n40");
	const gsl_rng_type *types[] = { gsl_rng_taus2, gsl_rng_mt19937,
					gsl_rng_ranlxs0 };
	st_interval a, b;
	st_bca_info ia, ib;
	gsl_rng *r;
	double tol;

	assert_non_null(c);
	tol = BOOT_TOL_WIDTH * (c->hi - c->lo);
	r = rng_new(gsl_rng_taus2, 99);
	assert_ok(st_boot_bca(&a, &ia, c->x, c->n, stat_sd, NULL, BOOT_B, 0.95, r));
	gsl_rng_set(r, 99);
	assert_ok(st_boot_bca(&b, &ib, c->x, c->n, stat_sd, NULL, BOOT_B, 0.95, r));
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&ia, &ib, sizeof(ia));
	gsl_rng_free(r);
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		r = rng_new(types[t], 100 + t);
		print_message("generator %s\n", gsl_rng_name(r));
		assert_ok(st_boot_bca(&b, &ib, c->x, c->n, stat_sd, NULL, BOOT_B,
				      0.95, r));
		assert_true(b.lo != a.lo || b.hi != a.hi);
		assert_true(b.estimate == a.estimate);
		assert_true(ib.a == ia.a); /* the jackknife draws nothing */
		bg_fx_assert_within(b.lo, c->lo, tol);
		bg_fx_assert_within(b.hi, c->hi, tol);
		gsl_rng_free(r);
	}
}

/* ---- degenerate BCa cases ---------------------------------------------- */

static double stat_median(const double *x, size_t n, void *ud)
{
	double m = NAN;

	(void)ud;
	return st_median(&m, x, n) == 0 ? m : NAN;
}

static double stat_const(const double *x, size_t n, void *ud)
{
	(void)x;
	(void)n;
	(void)ud;
	return 42.0;
}

/* How many distinct values: the sample's is above almost every resample's. */
static double stat_distinct(const double *x, size_t n, void *ud)
{
	size_t k = 0;

	(void)ud;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < i && x[j] != x[i])
			j++;
		k += j == i;
	}
	return (double)k;
}

static void test_bca_degenerate(void **state)
{
	const double same[] = { 2.5, 2.5, 2.5, 2.5, 2.5, 2.5 };
	const double flat_jk[] = { 1.0, 2.0, 2.0, 2.0, 3.0 };
	const double x[] = { 3.0, 1.0, 4.0, 1.5, 9.0, 2.5, 6.0, 5.0 };
	st_interval ci;
	st_bca_info info;
	gsl_rng *r = rng_new(gsl_rng_taus2, 5);
	double zq = gsl_cdf_ugaussian_Pinv(0.05);

	(void)state;
	/* All resamples equal the estimate: [theta, theta], z0 = a = 0. */
	assert_ok(st_boot_bca(&ci, &info, same, 6, st_stat_mean, NULL, 1000, 0.9, r));
	assert_true(ci.lo == ci.estimate && ci.hi == ci.estimate);
	bg_fx_assert_close(ci.estimate, 2.5, 1e-15);
	assert_true(info.z0 == 0.0 && info.a == 0.0);
	assert_true(info.alpha_lo == (1.0 - 0.9) / 2.0);
	assert_true(info.alpha_hi == (1.0 + 0.9) / 2.0);
	assert_ok(st_boot_bca(&ci, &info, x, 8, stat_const, NULL, 1000, 0.9, r));
	assert_true(ci.lo == 42.0 && ci.hi == 42.0 && ci.estimate == 42.0);

	/* Every leave-one-out median is 2: a = 0, while the bootstrap medians
	 * spread over 1..3, so the levels are Phi(2 z0 -+ z). */
	assert_ok(st_boot_bca(&ci, &info, flat_jk, 5, stat_median, NULL, 4000, 0.9, r));
	assert_true(info.a == 0.0);
	assert_true(isfinite(info.z0));
	bg_fx_assert_close(info.alpha_lo, gsl_cdf_ugaussian_P(2.0 * info.z0 + zq), 1e-12);
	bg_fx_assert_close(info.alpha_hi, gsl_cdf_ugaussian_P(2.0 * info.z0 - zq), 1e-12);
	assert_true(ci.lo >= 1.0 && ci.lo <= ci.hi && ci.hi <= 3.0);
	gsl_rng_free(r);
}

static void assert_bca_fail_with(const double *x, size_t n, st_statistic stat,
				 size_t B, double level, int code)
{
	st_interval ci, sentinel;
	st_bca_info info, isentinel;
	gsl_rng *r = rng_new(gsl_rng_taus2, 1);
	double *before = bg_fx_copy(x, n);

	memset(&sentinel, 0xA5, sizeof(sentinel));
	memset(&isentinel, 0xA5, sizeof(isentinel));
	ci = sentinel;
	info = isentinel;
	assert_fails(st_boot_bca(&ci, &info, x, n, stat, NULL, B, level, r), code);
	assert_memory_equal(&ci, &sentinel, sizeof(ci));
	assert_memory_equal(&info, &isentinel, sizeof(info));
	bg_fx_assert_unmodified(before, x, n);
	gsl_rng_free(r);
}

static double stat_nan_on_resample(const double *x, size_t n, void *ud)
{
	(void)n;
	(void)ud;
	/* finite on the sample (which starts 3, 1), NaN on most resamples */
	return x[0] == 3.0 && x[1] == 1.0 ? 1.0 : (x[0] > 2.0 ? NAN : 0.0);
}

static double stat_nan_short(const double *x, size_t n, void *ud)
{
	(void)x;
	(void)ud;
	return n < 8 ? NAN : 1.0 + (double)(x[0] > 2.0);
}

static void test_bca_undefined(void **state)
{
	const double x[] = { 3.0, 1.0, 4.0, 1.5, 9.0, 2.5, 6.0, 5.0 };
	double skew[20] = { 0 }, ramp[20];

	(void)state;
	/* theta = 20 distinct values, above every resample's count (a resample
	 * has all 20 with probability 20!/20^20 = 2e-8): z0 = +inf. */
	for (size_t i = 0; i < 20; i++)
		ramp[i] = (double)i;
	assert_bca_fail_with(ramp, 20, stat_distinct, 1000, 0.95, BG_EDOMAIN);
	/* 19 zeros and a 1: a = 0.1539, z0 ~ 0.12; at level 1 - 1e-14 the upper
	 * z0 + z is ~7.9 and 1 - a (z0 + z) ~ -0.2 < 0. */
	skew[7] = 1.0;
	assert_bca_fail_with(skew, 20, st_stat_mean, 1000, 1.0 - 1e-14, BG_EDOMAIN);
	/* the same sample at 0.95 is fine */
	{
		st_interval ci;
		st_bca_info info;
		gsl_rng *r = rng_new(gsl_rng_taus2, 2);

		assert_ok(st_boot_bca(&ci, &info, skew, 20, st_stat_mean, NULL, 1000, 0.95, r));
		bg_fx_assert_close(info.a, 0.153896752812773, 1e-9);
		gsl_rng_free(r);
	}
	/* a statistic that is NaN on resamples, or on the jackknife's n - 1 */
	assert_bca_fail_with(x, 8, stat_nan_on_resample, 1000, 0.95, BG_EDOMAIN);
	assert_bca_fail_with(x, 8, stat_nan_short, 1000, 0.95, BG_EDOMAIN);
}

static void test_bca_bad_input(void **state)
{
	const double good[] = { 2.0, 3.5, 1.25, 4.0, 3.0 };
	const double bad_level[] = { 0.0, 1.0, -0.5, 1.5, NAN, INFINITY };
	const double nonfinite[] = { NAN, INFINITY, -INFINITY };
	st_interval ci;
	gsl_rng *r = rng_new(gsl_rng_taus2, 3);

	(void)state;
	assert_bca_fail_with(good, 0, st_stat_mean, 1000, 0.95, BG_EDOMAIN);
	assert_bca_fail_with(good, 1, st_stat_mean, 1000, 0.95, BG_EDOMAIN);
	for (size_t i = 0; i < sizeof(bad_level) / sizeof(bad_level[0]); i++)
		assert_bca_fail_with(good, 5, st_stat_mean, 1000, bad_level[i], BG_EINVAL);
	assert_bca_fail_with(good, 5, st_stat_mean, 99, 0.95, BG_EINVAL);
	assert_bca_fail_with(good, 5, NULL, 1000, 0.95, BG_EINVAL);
	for (size_t b = 0; b < 3; b++) {
		double x[5];

		memcpy(x, good, sizeof(x));
		x[b + 1] = nonfinite[b];
		assert_bca_fail_with(x, 5, st_stat_mean, 1000, 0.95, BG_EDOMAIN);
	}
	assert_fails(st_boot_bca(&ci, NULL, good, 5, st_stat_mean, NULL, 1000, 0.95, NULL),
		     BG_EINVAL);
	/* B = 100 and n = 2 are the smallest allowed; info may be NULL */
	assert_ok(st_boot_bca(&ci, NULL, good, 2, st_stat_mean, NULL, 100, 0.95, r));
	assert_true(ci.lo >= 2.0 && ci.hi <= 3.5);
	gsl_rng_free(r);
}

/* ---- resampling: exact uniformity of the batched draws --------------- */

#define UNIF_M 40
typedef struct {
	double single[UNIF_M];
	double pair[UNIF_M * UNIF_M];
	size_t calls;
} tally;

/* Counts each value (0..UNIF_M-1) and each pair at consecutive positions:
 * 6 indices come from one 32-bit word for 40 values, so pairs within a word
 * and across words are both covered. */
static double stat_tally(const double *x, size_t n, void *ud)
{
	tally *t = ud;

	if (t->calls++ == 0)
		return 0.0; /* the estimate on the sample itself */
	for (size_t i = 0; i < n; i++) {
		t->single[(size_t)x[i]] += 1.0;
		if (i + 1 < n)
			t->pair[(size_t)x[i] * UNIF_M + (size_t)x[i + 1]] += 1.0;
	}
	return 0.0;
}

static double chisq_p(const double *obs, size_t k)
{
	double total = 0.0, chi = 0.0, e;

	for (size_t i = 0; i < k; i++)
		total += obs[i];
	e = total / (double)k;
	for (size_t i = 0; i < k; i++)
		chi += (obs[i] - e) * (obs[i] - e) / e;
	return gsl_cdf_chisq_Q(chi, (double)(k - 1));
}

/* Pearson's chi-square on 40 values (39 df) and 1,600 ordered pairs
 * (1,599 df, ~490 expected per cell) over 20,000 resamples: a correct
 * sampler passes at p > 1e-4 for all but 1 seed in 10,000; a modulo-biased
 * or bit-reusing one does not (the fixed seed makes the test repeatable). */
static void test_draws_uniform(void **state)
{
	const gsl_rng_type *types[] = { gsl_rng_taus2, gsl_rng_ranlxs0 };
	double x[UNIF_M];
	st_interval ci;

	(void)state;
	for (size_t i = 0; i < UNIF_M; i++)
		x[i] = (double)i;
	for (size_t t = 0; t < 2; t++) {
		tally *tl = calloc(1, sizeof(*tl));
		gsl_rng *r = rng_new(types[t], 11);
		double p1, p2;

		assert_non_null(tl);
		assert_ok(st_boot_percentile(&ci, x, UNIF_M, stat_tally, tl, 20000,
					     0.95, r));
		assert_int_equal(tl->calls, 20001);
		p1 = chisq_p(tl->single, UNIF_M);
		p2 = chisq_p(tl->pair, UNIF_M * UNIF_M);
		print_message("%s: singles p = %.4g, pairs p = %.4g\n",
			      gsl_rng_name(r), p1, p2);
		assert_true(p1 > 1e-4);
		assert_true(p2 > 1e-4);
		free(tl);
		gsl_rng_free(r);
	}
}

/* ---- st_desc additions: bad input and edge cases ------------------------ */

static void assert_desc_new_fail(const double *x, size_t n, int code)
{
	double out = SENTINEL;
	st_mzscore m, ms;
	unsigned char flags[8];
	double score[8];
	double *before = bg_fx_copy(x, n);

	memset(&ms, 0xA5, sizeof(ms));
	m = ms;
	memset(flags, FLAG_SENTINEL, sizeof(flags));
	for (size_t i = 0; i < 8; i++)
		score[i] = SENTINEL;
	assert_fails(st_cv(&out, x, n), code);
	assert_fails(st_autocorr1(&out, x, n), code);
	assert_true(out == SENTINEL);
	assert_fails(st_outliers_mzscore(&m, flags, score, x, n), code);
	assert_memory_equal(&m, &ms, sizeof(m));
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(flags[i], FLAG_SENTINEL);
		assert_true(score[i] == SENTINEL);
	}
	bg_fx_assert_unmodified(before, x, n);
}

static void test_desc_new_bad_input(void **state)
{
	const double good[] = { 2.0, 3.5, 1.25, 4.0, 3.0 };
	const double nonfinite[] = { NAN, INFINITY, -INFINITY };

	(void)state;
	assert_desc_new_fail(good, 0, BG_EDOMAIN);
	assert_desc_new_fail(NULL, 0, BG_EDOMAIN);
	for (size_t b = 0; b < 3; b++)
		for (size_t pos = 0; pos < 5; pos += 2) {
			double x[5];

			memcpy(x, good, sizeof(x));
			x[pos] = nonfinite[b];
			assert_desc_new_fail(x, 5, BG_EDOMAIN);
		}
}

static void test_cv_autocorr_edges(void **state)
{
	const double zero_mean[] = { -1.0, 1.0, -2.0, 2.0 };
	const double same[] = { 3.0, 3.0, 3.0 };
	const double neg[] = { -1.0, -2.0, -3.0 };
	const double wide[] = { 1e308, -1e308, 1e-300, 0.0 };
	const double saw[] = { 1.0, 2.0, 1.0, 2.0 };
	double out = SENTINEL;

	(void)state;
	assert_fails(st_cv(&out, zero_mean, 4), BG_EDOMAIN);
	assert_fails(st_cv(&out, same, 1), BG_EDOMAIN);
	assert_fails(st_cv(&out, wide, 4), BG_EDOMAIN);
	assert_true(out == SENTINEL);
	assert_ok(st_cv(&out, same, 3));
	assert_true(out == 0.0);
	assert_ok(st_cv(&out, neg, 3));
	bg_fx_assert_close(out, -0.5, 1e-15);

	out = SENTINEL;
	assert_fails(st_autocorr1(&out, same, 3), BG_EDOMAIN);
	assert_fails(st_autocorr1(&out, neg, 1), BG_EDOMAIN);
	assert_true(out == SENTINEL);
	/* n = 2: (x1 - m)(x2 - m) / sum of squares = -1/2 */
	assert_ok(st_autocorr1(&out, neg, 2));
	bg_fx_assert_close(out, -0.5, 1e-15);
	/* 1,2,1,2: deviations -+0.5, r1 = 3 (-0.25) / 1 = -0.75 */
	assert_ok(st_autocorr1(&out, saw, 4));
	bg_fx_assert_close(out, -0.75, 1e-15);
}

static void test_outliers_edges(void **state)
{
	const double same[] = { 7.0, 7.0, 7.0, 7.0 };
	const double one[] = { 4.0 };
	const double spread[] = { -1e308, 1e308, 1e308 };
	const double x[] = { 1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 11.0, 2.0, 3.0 };
	unsigned char flags[9];
	double score[9];
	st_mzscore m;

	(void)state;
	/* all equal: no outliers, M = 0 */
	assert_ok(st_outliers_mzscore(&m, flags, score, same, 4));
	assert_true(m.mad_zero == 1 && m.n_outliers == 0 && m.meanad == 0.0);
	for (size_t i = 0; i < 4; i++)
		assert_true(score[i] == 0.0 && flags[i] == ST_OUTLIER_NONE);
	/* n = 1 */
	assert_ok(st_outliers_mzscore(&m, flags, score, one, 1));
	assert_true(m.n_outliers == 0 && score[0] == 0.0);
	/* scores that overflow */
	assert_fails(st_outliers_mzscore(&m, flags, score, spread, 3), BG_EDOMAIN);
	/* By hand: sorted 1 2 2 3 3 4 5 7.5 11, median 3, |x - 3| sorted
	 * 0 0 1 1 1 2 2 4.5 8: MAD 1;
	 * M(11) = 0.6745 * 8 = 5.396 > 3.5, M(7.5) = 3.035 is not. */
	assert_ok(st_outliers_mzscore(&m, flags, score, x, 9));
	assert_true(m.median == 3.0 && m.mad == 1.0 && m.mad_zero == 0);
	assert_int_equal(m.n_outliers, 1);
	assert_true(flags[6] == ST_OUTLIER && flags[5] == ST_OUTLIER_NONE);
	bg_fx_assert_close(score[6], 0.6745 * 8.0, 1e-15);
	bg_fx_assert_close(score[0], -0.6745 * 2.0, 1e-15);
}

/* ---- fixture loading -------------------------------------------------- */

static unsigned char *get_flags(const cJSON *obj, size_t n, const char *where)
{
	size_t m;
	double *v;
	unsigned char *f = NULL;

	if (bg_fx_doubles(&v, &m, obj, "flags", NULL, 1, where) == 0 && m == n && (f = malloc(n)))
		for (size_t i = 0; i < n; i++)
			f[i] = (unsigned char)v[i];
	free(v);
	return f;
}

static int load_desc(desc_case *c, const cJSON *j)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
	const cJSON *mz = cJSON_GetObjectItemCaseSensitive(j, "mzscore");
	double v;
	size_t m;

	if (!cJSON_IsString(name) || !cJSON_IsObject(mz) ||
	    !(c->name = strdup(name->valuestring)))
		return -1;
	if (bg_fx_doubles(&c->x, &c->n, j, "x", NULL, 1, c->name) < 0)
		return -1;
	if (bg_fx_num(&c->cv, j, "cv", c->name) < 0 ||
	    bg_fx_num(&c->ac1, j, "autocorr1", c->name) < 0 ||
	    bg_fx_num(&c->mz.median, mz, "median", c->name) < 0 ||
	    bg_fx_num(&c->mz.mad, mz, "mad", c->name) < 0 ||
	    bg_fx_num(&c->mz.meanad, mz, "meanad", c->name) < 0 ||
	    bg_fx_num(&v, mz, "mad_zero", c->name) < 0 ||
	    bg_fx_size(&c->mz.n_outliers, mz, "n_outliers", c->name) < 0)
		return -1;
	c->mz.mad_zero = v != 0.0;
	if (!(c->mz_flags = get_flags(mz, c->n, c->name)) ||
	    bg_fx_doubles(&c->mz_scores, &m, mz, "scores", NULL, 1, c->name) < 0 ||
	    m != c->n)
		return -1;
	return 0;
}

static int load_bca(bca_case *c, const cJSON *j)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
	const cJSON *stat = cJSON_GetObjectItemCaseSensitive(j, "statistic");

	if (!cJSON_IsString(name) || !cJSON_IsString(stat) ||
	    !(c->name = strdup(name->valuestring)))
		return -1;
	c->is_sd = strcmp(stat->valuestring, "sd") == 0;
	if (!c->is_sd && strcmp(stat->valuestring, "mean") != 0)
		return -1;
	if (bg_fx_doubles(&c->x, &c->n, j, "x", NULL, 1, c->name) < 0)
		return -1;
	return bg_fx_num(&c->level, j, "level", c->name) < 0 ||
	       bg_fx_num(&c->estimate, j, "estimate", c->name) < 0 ||
	       bg_fx_num(&c->a, j, "a", c->name) < 0 ||
	       bg_fx_num(&c->z0, j, "z0", c->name) < 0 ||
	       bg_fx_num(&c->lo, j, "lo", c->name) < 0 ||
	       bg_fx_num(&c->hi, j, "hi", c->name) < 0 ||
	       bg_fx_num(&c->pct_lo, j, "pct_lo", c->name) < 0 ||
	       bg_fx_num(&c->pct_hi, j, "pct_hi", c->name) < 0 ? -1 : 0;
}

static void free_fixture(fixture *f)
{
	for (size_t i = 0; f->desc && i < f->ndesc; i++) {
		desc_case *c = &f->desc[i];

		free(c->name);
		free(c->x);
		free(c->mz_flags);
		free(c->mz_scores);
	}
	for (size_t i = 0; f->bca && i < f->nbca; i++) {
		free(f->bca[i].name);
		free(f->bca[i].x);
	}
	free(f->desc);
	free(f->bca);
}

static int load_desc_v(void *c, const cJSON *j, void *ud) { (void)ud; return load_desc(c, j); }
static int load_bca_v(void *c, const cJSON *j, void *ud) { (void)ud; return load_bca(c, j); }

static int load_fixture(fixture *f)
{
	cJSON *root = bg_fx_load_json(FIXTURE_FILE, "scripts/fixtures_boot.py");

	memset(f, 0, sizeof(*f));
	if (!root)
		return -1;
	if (bg_fx_load_section((void **)&f->desc, &f->ndesc, root, "desc_cases",
			       sizeof(desc_case), load_desc_v, NULL) < 0 ||
	    bg_fx_load_section((void **)&f->bca, &f->nbca, root, "bca_cases",
			       sizeof(bca_case), load_bca_v, NULL) < 0) {
		cJSON_Delete(root);
		free_fixture(f);
		return -1;
	}
	cJSON_Delete(root);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

typedef struct {
	const char *name;
	CMUnitTestFunction fn;
} per_case_test;

static const per_case_test desc_tests[] = {
	{ "cv", test_cv_case },
	{ "autocorr1", test_autocorr1_case },
	{ "mzscore", test_mzscore_case },
};
static const per_case_test bca_tests[] = { { "bca", test_bca_case } };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Appends one named test per (test, case); -1 when out of memory. */
static int add_per_case(struct CMUnitTest *tests, size_t *ntests,
			const per_case_test *pt, size_t npt, void *cases,
			size_t ncases, size_t case_size,
			const char *(*case_name)(const void *))
{
	for (size_t i = 0; i < ncases; i++) {
		void *c = (char *)cases + i * case_size;

		for (size_t k = 0; k < npt; k++) {
			char *name;

			if (asprintf(&name, "%s/%s", pt[k].name, case_name(c)) < 0)
				return -1;
			tests[*ntests] = (struct CMUnitTest){ name, pt[k].fn, NULL, NULL, c };
			(*ntests)++;
		}
	}
	return 0;
}

static const char *desc_name(const void *c) { return ((const desc_case *)c)->name; }
static const char *bca_name(const void *c) { return ((const bca_case *)c)->name; }

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_desc_new_bad_input),
		cmocka_unit_test(test_cv_autocorr_edges),
		cmocka_unit_test(test_outliers_edges),
		cmocka_unit_test(test_bca_direction),
		cmocka_unit_test(test_bca_reproducible),
		cmocka_unit_test(test_bca_degenerate),
		cmocka_unit_test(test_bca_undefined),
		cmocka_unit_test(test_bca_bad_input),
		cmocka_unit_test(test_draws_uniform),
	};
	struct CMUnitTest *tests = NULL;
	size_t nnamed = 0, ntests, cap;
	fixture fx;
	int failed = 1;

	gsl_set_error_handler_off();
	if (load_fixture(&fx) < 0)
		return 1;
	cap = fx.ndesc * COUNT(desc_tests) + fx.nbca * COUNT(bca_tests) +
	      COUNT(fixed);
	if (!(tests = calloc(cap, sizeof(*tests))))
		goto cleanup;
	/* the per-case tests own their names: tests[0 .. nnamed - 1] */
	if (add_per_case(tests, &nnamed, desc_tests, COUNT(desc_tests), fx.desc,
			 fx.ndesc, sizeof(*fx.desc), desc_name) < 0 ||
	    add_per_case(tests, &nnamed, bca_tests, COUNT(bca_tests), fx.bca,
			 fx.nbca, sizeof(*fx.bca), bca_name) < 0)
		goto cleanup;
	ntests = nnamed;
	for (size_t j = 0; j < COUNT(fixed); j++) {
		tests[ntests] = fixed[j];
		tests[ntests].initial_state = &fx;
		ntests++;
	}
	failed = _cmocka_run_group_tests("boot", tests, ntests, NULL, NULL);
cleanup:
	for (size_t i = 0; tests && i < nnamed; i++)
		free((char *)tests[i].name);
	free(tests);
	free_fixture(&fx);
	return failed;
}
