/* test_boot: the st_desc additions (trimmed mean, CV, lag-1 autocorrelation,
 * Tukey fences, modified z-scores) and st_boot's BCa and stratified
 * bootstrap intervals, against independent reference values and on bad
 * input.
 *
 * The reference values come from numpy/scipy/statsmodels (Debian's packages),
 * computed once by scripts/fixtures_boot.py and committed as
 * tests/fixtures/boot_reference.json. Every fixture case becomes one cmocka
 * test per function ("tukey/heavy_tail_n50", "bca/sd_lognormal_n40", ...).
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

/* Deterministic values (everything in st_desc, the acceleration a, the
 * geometric-mean estimate): both sides compute the same formula in double
 * precision, so they agree to ~1e-13; 1e-6 allows another summation order
 * and still catches a wrong divisor, quantile type or constant. The
 * acceleration can be ~1e-17 where it is 0 in exact arithmetic (n = 2), so
 * it also passes within A_ABS_TOL, far below any a that matters (|a| of the
 * skewed cases is 0.05-0.08). */
#define REL_TOL 1e-6
#define A_ABS_TOL 1e-12

/* BCa and stratified bootstrap tolerance. A BCa endpoint is the sample
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

#define N_TRIM 5

typedef struct {
	char *name;
	size_t n;
	double *x;
	double trim_p[N_TRIM], trim_v[N_TRIM];
	double cv, ac1;
	st_tukey tk;
	unsigned char *tk_flags;
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
	char *name;
	size_t n, nstrata;
	double *x;       /* interleaved by round, as a caller would hold it */
	size_t *stratum;
	double *weights; /* NULL: equal */
	double level, estimate, a, z0, pct_lo, pct_hi, bca_lo, bca_hi;
} strat_case;

typedef struct {
	desc_case *desc;
	size_t ndesc;
	bca_case *bca;
	size_t nbca;
	strat_case *strat;
	size_t nstrat;
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

static void test_trimmed_mean_case(void **state)
{
	const desc_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);

	for (size_t i = 0; i < N_TRIM; i++) {
		double m = SENTINEL;

		assert_ok(st_trimmed_mean(&m, c->x, c->n, c->trim_p[i]));
		if (fabs(m - c->trim_v[i]) > REL_TOL * fabs(c->trim_v[i]))
			print_error("at prop = %g:\n", c->trim_p[i]);
		bg_fx_assert_close(m, c->trim_v[i], REL_TOL);
	}
	bg_fx_assert_unmodified(before, c->x, c->n);
}

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

static void test_tukey_case(void **state)
{
	const desc_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	unsigned char *flags = malloc(c->n);
	st_tukey t;

	assert_non_null(flags);
	memset(flags, FLAG_SENTINEL, c->n);
	assert_ok(st_outliers_tukey(&t, flags, c->x, c->n));
	bg_fx_assert_close(t.q1, c->tk.q1, REL_TOL);
	bg_fx_assert_close(t.q3, c->tk.q3, REL_TOL);
	/* iqr is exactly 0 for iqr_zero_n12: the relative test then wants 0. */
	bg_fx_assert_close(t.iqr, c->tk.iqr, REL_TOL);
	bg_fx_assert_close(t.inner_lo, c->tk.inner_lo, REL_TOL);
	bg_fx_assert_close(t.inner_hi, c->tk.inner_hi, REL_TOL);
	bg_fx_assert_close(t.outer_lo, c->tk.outer_lo, REL_TOL);
	bg_fx_assert_close(t.outer_hi, c->tk.outer_hi, REL_TOL);
	assert_int_equal(t.n_mild, c->tk.n_mild);
	assert_int_equal(t.n_extreme, c->tk.n_extreme);
	assert_memory_equal(flags, c->tk_flags, c->n);
	/* counts only, no flags */
	assert_ok(st_outliers_tukey(&t, NULL, c->x, c->n));
	assert_int_equal(t.n_extreme, c->tk.n_extreme);
	free(flags);
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

/* ---- stratified bootstrap ----------------------------------------------- */

static void test_gm_ratio_case(void **state)
{
	const strat_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double g = SENTINEL;

	assert_ok(st_gm_ratio(&g, c->x, c->stratum, c->n, c->nstrata, c->weights));
	bg_fx_assert_close(g, c->estimate, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_strat_case(void **state)
{
	const strat_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	gsl_rng *r = rng_new(gsl_rng_taus2, BOOT_SEED);
	st_interval pct, bca, p2, b2;
	st_bca_info info, i2;
	double tol = BOOT_TOL_WIDTH * (c->bca_hi - c->bca_lo);

	assert_ok(st_boot_gm_ratio(&pct, &bca, &info, c->x, c->stratum, c->n,
				   c->nstrata, c->weights, BOOT_B, c->level, r));
	bg_fx_assert_close(pct.estimate, c->estimate, REL_TOL);
	assert_true(bca.estimate == pct.estimate);
	assert_true(pct.level == c->level && bca.level == c->level);
	/* max(REL_TOL |a|, A_ABS_TOL), as one absolute bound */
	bg_fx_assert_within(info.a, c->a, fmax(REL_TOL * fabs(c->a), A_ABS_TOL));
	bg_fx_assert_within(info.z0, c->z0, Z0_TOL);
	bg_fx_assert_within(pct.lo, c->pct_lo, tol);
	bg_fx_assert_within(pct.hi, c->pct_hi, tol);
	bg_fx_assert_within(bca.lo, c->bca_lo, tol);
	bg_fx_assert_within(bca.hi, c->bca_hi, tol);

	/* the generic entry points, same seed: the same intervals */
	gsl_rng_set(r, BOOT_SEED);
	assert_ok(st_boot_strat_bca(&b2, &i2, c->x, c->stratum, c->n, c->nstrata,
				    st_stat_gm_ratio, c->weights, BOOT_B,
				    c->level, r));
	assert_memory_equal(&b2, &bca, sizeof(bca));
	assert_memory_equal(&i2, &info, sizeof(info));
	gsl_rng_set(r, BOOT_SEED);
	assert_ok(st_boot_strat_percentile(&p2, c->x, c->stratum, c->n,
					   c->nstrata, st_stat_gm_ratio,
					   c->weights, BOOT_B, c->level, r));
	assert_memory_equal(&p2, &pct, sizeof(pct));
	bg_fx_assert_unmodified(before, c->x, c->n);
	gsl_rng_free(r);
}

static double stat_exp_mean(const double *x, size_t n, void *ud)
{
	return exp(st_stat_mean(x, n, ud));
}

static double stat_strat_mean(const double *x, const size_t *start,
			      size_t nstrata, void *ud)
{
	return st_stat_mean(x, start[nstrata], ud);
}

/* One stratum is the plain bootstrap: the same draws from the same seed, so
 * bit-identical intervals (with the geometric-mean ratio against exp(mean),
 * and with a stratified mean against the mean). */
static void test_strat_one_stratum(void **state)
{
	const fixture *f = *state;
	const bca_case *c = find_bca(f, "mean_lognormal_n50");
	size_t *zero;
	st_interval a, b;
	st_bca_info ia, ib;
	gsl_rng *r = rng_new(gsl_rng_taus2, 77);

	assert_non_null(c);
	zero = calloc(c->n, sizeof(*zero));
	assert_non_null(zero);
	assert_ok(st_boot_bca(&a, &ia, c->x, c->n, stat_exp_mean, NULL, 2000, 0.95, r));
	gsl_rng_set(r, 77);
	assert_ok(st_boot_strat_bca(&b, &ib, c->x, zero, c->n, 1, st_stat_gm_ratio,
				    NULL, 2000, 0.95, r));
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&ia, &ib, sizeof(ia));

	gsl_rng_set(r, 78);
	assert_ok(st_boot_percentile(&a, c->x, c->n, st_stat_mean, NULL, 2000, 0.9, r));
	gsl_rng_set(r, 78);
	assert_ok(st_boot_strat_percentile(&b, c->x, zero, c->n, 1, stat_strat_mean,
					   NULL, 2000, 0.9, r));
	assert_memory_equal(&a, &b, sizeof(a));
	free(zero);
	gsl_rng_free(r);
}

/* Strata of 2, 3, 50 and 500 values, interleaved in the input. Every call of
 * the statistic sees the 4 strata; the bootstrap calls (and the estimate)
 * with exactly those sizes, the jackknife calls with one value fewer in one
 * stratum, n_k times for stratum k; and every value sits in its own stratum
 * (value = 1000 k + i). */
#define SZ_STRATA 4
static const size_t sz_sizes[SZ_STRATA] = { 2, 3, 50, 500 };

typedef struct {
	size_t full_calls, short_calls[SZ_STRATA], bad_shape, foreign;
} size_probe;

static double stat_size_probe(const double *x, const size_t *start,
			      size_t nstrata, void *ud)
{
	size_probe *p = ud;
	size_t shorter = SZ_STRATA, nshort = 0;

	if (nstrata != SZ_STRATA || start[0] != 0) {
		p->bad_shape++;
		return 0.0;
	}
	for (size_t k = 0; k < SZ_STRATA; k++) {
		size_t m = start[k + 1] - start[k];

		if (m + 1 == sz_sizes[k]) {
			shorter = k;
			nshort++;
		} else if (m != sz_sizes[k]) {
			p->bad_shape++;
		}
		for (size_t i = start[k]; i < start[k + 1]; i++)
			if ((size_t)(x[i] / 1000.0) != k)
				p->foreign++;
	}
	if (nshort == 0)
		p->full_calls++;
	else if (nshort == 1)
		p->short_calls[shorter]++;
	else
		p->bad_shape++;
	return st_stat_mean(x, start[SZ_STRATA], NULL);
}

static void test_strat_sizes_kept(void **state)
{
	size_t n = 0, *stratum;
	double *x;
	size_probe probe = { 0 };
	st_interval ci;
	st_bca_info info;
	gsl_rng *r = rng_new(gsl_rng_taus2, 4);

	(void)state;
	for (size_t k = 0; k < SZ_STRATA; k++)
		n += sz_sizes[k];
	x = malloc(n * sizeof(*x));
	stratum = malloc(n * sizeof(*stratum));
	assert_non_null(x);
	assert_non_null(stratum);
	/* round-robin, as rounds of a run would come */
	n = 0;
	for (size_t i = 0; i < 500; i++)
		for (size_t k = 0; k < SZ_STRATA; k++)
			if (i < sz_sizes[k]) {
				x[n] = 1000.0 * (double)k + (double)i;
				stratum[n++] = k;
			}
	assert_ok(st_boot_strat_bca(&ci, &info, x, stratum, n, SZ_STRATA,
				    stat_size_probe, &probe, 300, 0.95, r));
	assert_int_equal(probe.bad_shape, 0);
	assert_int_equal(probe.foreign, 0);
	assert_int_equal(probe.full_calls, 300 + 1);
	for (size_t k = 0; k < SZ_STRATA; k++)
		assert_int_equal(probe.short_calls[k], sz_sizes[k]);
	free(x);
	free(stratum);
	gsl_rng_free(r);
}

static void test_gm_ratio_value(void **state)
{
	/* workload 0: 0.1, 0.3 (mean 0.2); workload 1: -0.2, -0.2, -0.5 (-0.3) */
	const double d[] = { 0.1, -0.2, 0.3, -0.2, -0.5 };
	const size_t s[] = { 0, 1, 0, 1, 1 };
	const double w13[] = { 1.0, 3.0 }, w11[] = { 1.0, 1.0 }, w22[] = { 2.0, 2.0 };
	const double w01[] = { 0.0, 1.0 };
	const size_t one[] = { 0, 0, 0, 0, 0 };
	double g;

	(void)state;
	assert_ok(st_gm_ratio(&g, d, s, 5, 2, w13));
	bg_fx_assert_close(g, exp((0.2 - 3.0 * 0.3) / 4.0), 1e-14);
	assert_ok(st_gm_ratio(&g, d, s, 5, 2, NULL));
	bg_fx_assert_close(g, exp(-0.05), 1e-14);
	assert_ok(st_gm_ratio(&g, d, s, 5, 2, w11));
	bg_fx_assert_close(g, exp(-0.05), 1e-14);
	assert_ok(st_gm_ratio(&g, d, s, 5, 2, w22));
	bg_fx_assert_close(g, exp(-0.05), 1e-14);
	/* a zero weight drops a workload */
	assert_ok(st_gm_ratio(&g, d, s, 5, 2, w01));
	bg_fx_assert_close(g, exp(-0.3), 1e-14);
	/* one stratum: exp(mean) */
	assert_ok(st_gm_ratio(&g, d, one, 5, 1, NULL));
	bg_fx_assert_close(g, exp(-0.1), 1e-14);
	/* a workload of one value is fine for the estimate */
	assert_ok(st_gm_ratio(&g, d, (const size_t[]){ 0, 1, 1, 1, 1 }, 5, 2, NULL));
	bg_fx_assert_close(g, exp((0.1 + (-0.2 + 0.3 - 0.2 - 0.5) / 4.0) / 2.0), 1e-14);
}

static void assert_strat_fail(const double *x, const size_t *stratum, size_t n,
			      size_t nstrata, const double *w, int code)
{
	st_interval p, b, sentinel;
	st_bca_info info, isentinel;
	gsl_rng *r = rng_new(gsl_rng_taus2, 1);
	double *before = bg_fx_copy(x, n);

	memset(&sentinel, 0xA5, sizeof(sentinel));
	memset(&isentinel, 0xA5, sizeof(isentinel));
	p = b = sentinel;
	info = isentinel;
	assert_fails(st_boot_gm_ratio(&p, &b, &info, x, stratum, n, nstrata, w,
				      1000, 0.95, r), code);
	assert_fails(st_boot_strat_bca(&b, &info, x, stratum, n, nstrata,
				       st_stat_gm_ratio, (void *)w, 1000, 0.95, r),
		     code);
	assert_fails(st_boot_strat_percentile(&p, x, stratum, n, nstrata,
					      st_stat_gm_ratio, (void *)w, 1000,
					      0.95, r), code);
	assert_memory_equal(&p, &sentinel, sizeof(p));
	assert_memory_equal(&b, &sentinel, sizeof(b));
	assert_memory_equal(&info, &isentinel, sizeof(info));
	bg_fx_assert_unmodified(before, x, n);
	gsl_rng_free(r);
}

static void test_strat_bad_input(void **state)
{
	const double d[] = { 0.1, -0.2, 0.3, -0.2, -0.5, 0.0 };
	const size_t s[] = { 0, 1, 0, 1, 1, 0 };
	const size_t s_lone[] = { 0, 1, 1, 1, 1, 1 };   /* stratum 0: 1 value */
	const size_t s_gap[] = { 0, 2, 0, 2, 2, 0 };    /* stratum 1 empty */
	const size_t s_over[] = { 0, 1, 0, 1, 3, 0 };   /* index 3 of 2 strata */
	const double w_neg[] = { 1.0, -1.0 }, w_nan[] = { 1.0, NAN };
	const double w_inf[] = { 1.0, INFINITY }, w_zero[] = { 0.0, 0.0 };
	const double huge[] = { 800.0, 801.0, 802.0, 803.0 };
	const size_t s_huge[] = { 0, 0, 1, 1 };
	st_interval ci;
	double g = SENTINEL, x[6];
	gsl_rng *r = rng_new(gsl_rng_taus2, 1);

	(void)state;
	assert_strat_fail(d, s, 0, 2, NULL, BG_EDOMAIN);
	assert_strat_fail(d, NULL, 6, 2, NULL, BG_EINVAL);
	assert_strat_fail(d, s, 6, 0, NULL, BG_EINVAL);
	assert_strat_fail(d, s_over, 6, 2, NULL, BG_EINVAL);
	assert_strat_fail(d, s_lone, 6, 2, NULL, BG_EDOMAIN);
	assert_strat_fail(d, s_gap, 6, 3, NULL, BG_EDOMAIN);
	memcpy(x, d, sizeof(x));
	x[4] = NAN;
	assert_strat_fail(x, s, 6, 2, NULL, BG_EDOMAIN);
	x[4] = -INFINITY;
	assert_strat_fail(x, s, 6, 2, NULL, BG_EDOMAIN);
	/* bad weights: the checked entry points say so; used raw by
	 * st_boot_strat_*, a negative weight sum or NaN makes theta non-finite */
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, w_neg, 1000, 0.95, r), BG_EINVAL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, w_nan, 1000, 0.95, r), BG_EINVAL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, w_inf, 1000, 0.95, r), BG_EINVAL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, w_zero, 1000, 0.95, r), BG_EINVAL);
	assert_fails(st_boot_strat_bca(&ci, NULL, d, s, 6, 2, st_stat_gm_ratio,
				       (void *)w_zero, 1000, 0.95, r), BG_EDOMAIN);
	assert_fails(st_gm_ratio(&g, d, s, 6, 2, w_neg), BG_EINVAL);
	assert_fails(st_gm_ratio(&g, d, s, 6, 2, w_zero), BG_EINVAL);
	assert_fails(st_gm_ratio(&g, d, s_gap, 6, 3, NULL), BG_EDOMAIN);
	assert_fails(st_gm_ratio(&g, d, s_over, 6, 2, NULL), BG_EINVAL);
	assert_fails(st_gm_ratio(&g, d, NULL, 6, 2, NULL), BG_EINVAL);
	assert_fails(st_gm_ratio(&g, d, s, 0, 2, NULL), BG_EDOMAIN);
	assert_fails(st_gm_ratio(&g, x, s, 6, 2, NULL), BG_EDOMAIN);
	/* exp(801.5) overflows */
	assert_fails(st_gm_ratio(&g, huge, s_huge, 4, 2, NULL), BG_EDOMAIN);
	assert_true(g == SENTINEL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, huge, s_huge, 4, 2, NULL, 1000, 0.95, r),
		     BG_EDOMAIN);
	/* no interval asked for; bad level, B, statistic, RNG */
	assert_fails(st_boot_gm_ratio(NULL, NULL, NULL, d, s, 6, 2, NULL, 1000, 0.95, r), BG_EINVAL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, NULL, 1000, 1.0, r), BG_EINVAL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, NULL, 10, 0.95, r), BG_EINVAL);
	assert_fails(st_boot_gm_ratio(&ci, NULL, NULL, d, s, 6, 2, NULL, 1000, 0.95, NULL), BG_EINVAL);
	assert_fails(st_boot_strat_bca(&ci, NULL, d, s, 6, 2, NULL, NULL, 1000, 0.95, r), BG_EINVAL);
	/* only one of the intervals is fine */
	assert_ok(st_boot_gm_ratio(NULL, &ci, NULL, d, s, 6, 2, NULL, 1000, 0.95, r));
	assert_true(ci.lo <= ci.hi);
	gsl_rng_free(r);
}

/* ---- st_desc additions: bad input and edge cases ------------------------ */

static void assert_desc_new_fail(const double *x, size_t n, int code)
{
	double out = SENTINEL;
	st_tukey t, ts;
	st_mzscore m, ms;
	unsigned char flags[8];
	double score[8];
	double *before = bg_fx_copy(x, n);

	memset(&ts, 0xA5, sizeof(ts));
	memset(&ms, 0xA5, sizeof(ms));
	t = ts;
	m = ms;
	memset(flags, FLAG_SENTINEL, sizeof(flags));
	for (size_t i = 0; i < 8; i++)
		score[i] = SENTINEL;
	assert_fails(st_trimmed_mean(&out, x, n, 0.1), code);
	assert_fails(st_cv(&out, x, n), code);
	assert_fails(st_autocorr1(&out, x, n), code);
	assert_true(out == SENTINEL);
	assert_fails(st_outliers_tukey(&t, flags, x, n), code);
	assert_memory_equal(&t, &ts, sizeof(t));
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

static void test_trimmed_mean_edges(void **state)
{
	const double x[] = { 5.0, 1.0, 100.0, 2.0, 3.0, 4.0, -50.0 };
	const double bad_p[] = { -0.1, 0.5, 0.6, -1e-12, NAN, INFINITY };
	double m = SENTINEL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_p) / sizeof(bad_p[0]); i++) {
		assert_fails(st_trimmed_mean(&m, x, 7, bad_p[i]), BG_EINVAL);
		assert_true(m == SENTINEL);
	}
	/* floor(0.45 * 7) = 3 from each end: the median */
	assert_ok(st_trimmed_mean(&m, x, 7, 0.45));
	assert_true(m == 3.0);
	/* floor(0.2 * 7) = 1: drops -50 and 100 */
	assert_ok(st_trimmed_mean(&m, x, 7, 0.2));
	bg_fx_assert_close(m, 3.0, 1e-15);
	/* floor(0.1 * 7) = 0: the mean */
	assert_ok(st_trimmed_mean(&m, x, 7, 0.1));
	bg_fx_assert_close(m, 65.0 / 7.0, 1e-15);
	/* n = 1 */
	assert_ok(st_trimmed_mean(&m, x, 1, 0.49));
	assert_true(m == 5.0);
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
	const double huge[] = { -1e308, 1e308, 1e308, -1e308 };
	const double spread[] = { -1e308, 1e308, 1e308 };
	/* quartiles 2 and 4 (type 7 on 1..5 plus two outliers) */
	const double x[] = { 1.0, 2.0, 3.0, 4.0, 5.0, 7.5, 11.0, 2.0, 3.0 };
	unsigned char flags[9];
	double score[9];
	st_tukey t;
	st_mzscore m;

	(void)state;
	/* all equal: no outliers either way, M = 0 */
	assert_ok(st_outliers_tukey(&t, flags, same, 4));
	assert_true(t.iqr == 0.0 && t.n_mild == 0 && t.n_extreme == 0);
	assert_ok(st_outliers_mzscore(&m, flags, score, same, 4));
	assert_true(m.mad_zero == 1 && m.n_outliers == 0 && m.meanad == 0.0);
	for (size_t i = 0; i < 4; i++)
		assert_true(score[i] == 0.0 && flags[i] == ST_OUTLIER_NONE);
	/* n = 1 */
	assert_ok(st_outliers_tukey(&t, flags, one, 1));
	assert_true(t.q1 == 4.0 && t.q3 == 4.0 && t.n_extreme == 0);
	assert_ok(st_outliers_mzscore(&m, flags, score, one, 1));
	assert_true(m.n_outliers == 0 && score[0] == 0.0);
	/* fences or scores that overflow */
	assert_fails(st_outliers_tukey(&t, flags, huge, 4), BG_EDOMAIN);
	assert_fails(st_outliers_mzscore(&m, flags, score, spread, 3), BG_EDOMAIN);
	/* By hand: sorted 1 2 2 3 3 4 5 7.5 11, q1 = 2, q3 = 5, iqr = 3; inner
	 * fences -2.5 and 9.5, outer -7 and 14: 11 is mild, nothing extreme.
	 * Median 3, |x - 3| sorted 0 0 1 1 1 2 2 4.5 8: MAD 1;
	 * M(11) = 0.6745 * 8 = 5.396 > 3.5, M(7.5) = 3.035 is not. */
	assert_ok(st_outliers_tukey(&t, flags, x, 9));
	assert_true(t.q1 == 2.0 && t.q3 == 5.0);
	assert_true(t.n_mild == 1 && t.n_extreme == 0);
	assert_true(flags[6] == ST_OUTLIER_MILD && flags[5] == ST_OUTLIER_NONE);
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
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(j, "trimmed_mean");
	const cJSON *tk = cJSON_GetObjectItemCaseSensitive(j, "tukey");
	const cJSON *mz = cJSON_GetObjectItemCaseSensitive(j, "mzscore");
	const cJSON *e;
	double v;
	size_t i = 0, m;

	if (!cJSON_IsString(name) || !cJSON_IsArray(tm) ||
	    cJSON_GetArraySize(tm) != N_TRIM || !cJSON_IsObject(tk) ||
	    !cJSON_IsObject(mz) || !(c->name = strdup(name->valuestring)))
		return -1;
	if (bg_fx_doubles(&c->x, &c->n, j, "x", NULL, 1, c->name) < 0)
		return -1;
	cJSON_ArrayForEach(e, tm) {
		if (bg_fx_num(&c->trim_p[i], e, "prop", c->name) < 0 ||
		    bg_fx_num(&c->trim_v[i], e, "value", c->name) < 0)
			return -1;
		i++;
	}
	if (bg_fx_num(&c->cv, j, "cv", c->name) < 0 ||
	    bg_fx_num(&c->ac1, j, "autocorr1", c->name) < 0 ||
	    bg_fx_num(&c->tk.q1, tk, "q1", c->name) < 0 ||
	    bg_fx_num(&c->tk.q3, tk, "q3", c->name) < 0 ||
	    bg_fx_num(&c->tk.iqr, tk, "iqr", c->name) < 0 ||
	    bg_fx_num(&c->tk.inner_lo, tk, "inner_lo", c->name) < 0 ||
	    bg_fx_num(&c->tk.inner_hi, tk, "inner_hi", c->name) < 0 ||
	    bg_fx_num(&c->tk.outer_lo, tk, "outer_lo", c->name) < 0 ||
	    bg_fx_num(&c->tk.outer_hi, tk, "outer_hi", c->name) < 0 ||
	    bg_fx_size(&c->tk.n_mild, tk, "n_mild", c->name) < 0 ||
	    bg_fx_size(&c->tk.n_extreme, tk, "n_extreme", c->name) < 0 ||
	    bg_fx_num(&c->mz.median, mz, "median", c->name) < 0 ||
	    bg_fx_num(&c->mz.mad, mz, "mad", c->name) < 0 ||
	    bg_fx_num(&c->mz.meanad, mz, "meanad", c->name) < 0 ||
	    bg_fx_num(&v, mz, "mad_zero", c->name) < 0 ||
	    bg_fx_size(&c->mz.n_outliers, mz, "n_outliers", c->name) < 0)
		return -1;
	c->mz.mad_zero = v != 0.0;
	if (!(c->tk_flags = get_flags(tk, c->n, c->name)) ||
	    !(c->mz_flags = get_flags(mz, c->n, c->name)) ||
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

/* The strata as a caller would hold them: interleaved by round. */
static int interleave(strat_case *c, const cJSON *strata)
{
	const cJSON *s;
	size_t k = 0, longest = 0;
	double **v = calloc(c->nstrata, sizeof(*v));
	size_t *len = calloc(c->nstrata, sizeof(*len));
	int error = -1;

	if (!v || !len)
		goto cleanup;
	c->n = 0;
	cJSON_ArrayForEach(s, strata) {
		if (bg_fx_doubles(&v[k], &len[k], s, NULL, NULL, 1, c->name) < 0)
			goto cleanup;
		c->n += len[k];
		longest = len[k] > longest ? len[k] : longest;
		k++;
	}
	c->x = malloc(c->n * sizeof(*c->x));
	c->stratum = malloc(c->n * sizeof(*c->stratum));
	if (!c->x || !c->stratum)
		goto cleanup;
	c->n = 0;
	for (size_t i = 0; i < longest; i++)
		for (k = 0; k < c->nstrata; k++)
			if (i < len[k]) {
				c->x[c->n] = v[k][i];
				c->stratum[c->n++] = k;
			}
	error = 0;
cleanup:
	for (k = 0; v && k < c->nstrata; k++)
		free(v[k]);
	free(v);
	free(len);
	return error;
}

static int load_strat(strat_case *c, const cJSON *j)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
	const cJSON *strata = cJSON_GetObjectItemCaseSensitive(j, "strata");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "weights");
	size_t nw;

	if (!cJSON_IsString(name) || !cJSON_IsArray(strata) ||
	    cJSON_GetArraySize(strata) < 1 || !(c->name = strdup(name->valuestring)))
		return -1;
	c->nstrata = (size_t)cJSON_GetArraySize(strata);
	if (interleave(c, strata) < 0)
		return -1;
	if (cJSON_IsArray(w)) {
		if (bg_fx_doubles(&c->weights, &nw, j, "weights", NULL, 1, c->name) < 0 ||
		    nw != c->nstrata)
			return -1;
	} else if (!cJSON_IsNull(w)) {
		return -1;
	}
	return bg_fx_num(&c->level, j, "level", c->name) < 0 ||
	       bg_fx_num(&c->estimate, j, "estimate", c->name) < 0 ||
	       bg_fx_num(&c->a, j, "a", c->name) < 0 ||
	       bg_fx_num(&c->z0, j, "z0", c->name) < 0 ||
	       bg_fx_num(&c->pct_lo, j, "pct_lo", c->name) < 0 ||
	       bg_fx_num(&c->pct_hi, j, "pct_hi", c->name) < 0 ||
	       bg_fx_num(&c->bca_lo, j, "bca_lo", c->name) < 0 ||
	       bg_fx_num(&c->bca_hi, j, "bca_hi", c->name) < 0 ? -1 : 0;
}

static void free_fixture(fixture *f)
{
	for (size_t i = 0; f->desc && i < f->ndesc; i++) {
		desc_case *c = &f->desc[i];

		free(c->name);
		free(c->x);
		free(c->tk_flags);
		free(c->mz_flags);
		free(c->mz_scores);
	}
	for (size_t i = 0; f->bca && i < f->nbca; i++) {
		free(f->bca[i].name);
		free(f->bca[i].x);
	}
	for (size_t i = 0; f->strat && i < f->nstrat; i++) {
		free(f->strat[i].name);
		free(f->strat[i].x);
		free(f->strat[i].stratum);
		free(f->strat[i].weights);
	}
	free(f->desc);
	free(f->bca);
	free(f->strat);
}

static int load_desc_v(void *c, const cJSON *j, void *ud) { (void)ud; return load_desc(c, j); }
static int load_bca_v(void *c, const cJSON *j, void *ud) { (void)ud; return load_bca(c, j); }
static int load_strat_v(void *c, const cJSON *j, void *ud) { (void)ud; return load_strat(c, j); }

static int load_fixture(fixture *f)
{
	cJSON *root = bg_fx_load_json(FIXTURE_FILE, "scripts/fixtures_boot.py");

	memset(f, 0, sizeof(*f));
	if (!root)
		return -1;
	if (bg_fx_load_section((void **)&f->desc, &f->ndesc, root, "desc_cases",
			       sizeof(desc_case), load_desc_v, NULL) < 0 ||
	    bg_fx_load_section((void **)&f->bca, &f->nbca, root, "bca_cases",
			       sizeof(bca_case), load_bca_v, NULL) < 0 ||
	    bg_fx_load_section((void **)&f->strat, &f->nstrat, root, "strat_cases",
			       sizeof(strat_case), load_strat_v, NULL) < 0) {
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
	{ "trimmed_mean", test_trimmed_mean_case },
	{ "cv", test_cv_case },
	{ "autocorr1", test_autocorr1_case },
	{ "tukey", test_tukey_case },
	{ "mzscore", test_mzscore_case },
};
static const per_case_test bca_tests[] = { { "bca", test_bca_case } };
static const per_case_test strat_tests[] = {
	{ "gm_ratio", test_gm_ratio_case },
	{ "strat_boot_gm_ratio", test_strat_case },
};
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
static const char *strat_name(const void *c) { return ((const strat_case *)c)->name; }

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_desc_new_bad_input),
		cmocka_unit_test(test_trimmed_mean_edges),
		cmocka_unit_test(test_cv_autocorr_edges),
		cmocka_unit_test(test_outliers_edges),
		cmocka_unit_test(test_bca_direction),
		cmocka_unit_test(test_bca_reproducible),
		cmocka_unit_test(test_bca_degenerate),
		cmocka_unit_test(test_bca_undefined),
		cmocka_unit_test(test_bca_bad_input),
		cmocka_unit_test(test_draws_uniform),
		cmocka_unit_test(test_strat_one_stratum),
		cmocka_unit_test(test_strat_sizes_kept),
		cmocka_unit_test(test_gm_ratio_value),
		cmocka_unit_test(test_strat_bad_input),
	};
	struct CMUnitTest *tests = NULL;
	size_t nnamed = 0, ntests, cap;
	fixture fx;
	int failed = 1;

	gsl_set_error_handler_off();
	if (load_fixture(&fx) < 0)
		return 1;
	cap = fx.ndesc * COUNT(desc_tests) + fx.nbca * COUNT(bca_tests) +
	      fx.nstrat * COUNT(strat_tests) + COUNT(fixed);
	if (!(tests = calloc(cap, sizeof(*tests))))
		goto cleanup;
	/* the per-case tests own their names: tests[0 .. nnamed - 1] */
	if (add_per_case(tests, &nnamed, desc_tests, COUNT(desc_tests), fx.desc,
			 fx.ndesc, sizeof(*fx.desc), desc_name) < 0 ||
	    add_per_case(tests, &nnamed, bca_tests, COUNT(bca_tests), fx.bca,
			 fx.nbca, sizeof(*fx.bca), bca_name) < 0 ||
	    add_per_case(tests, &nnamed, strat_tests, COUNT(strat_tests), fx.strat,
			 fx.nstrat, sizeof(*fx.strat), strat_name) < 0)
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
