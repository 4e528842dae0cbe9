/* test_stats: the st_ statistics (st_desc.h, st_boot.h, st_test.h) against
 * independent reference values, and their behaviour on bad input.
 *
 * The reference values come from numpy/scipy (Debian's packages), computed
 * once by scripts/gen_fixtures.py and committed as
 * tests/fixtures/stats_reference.json. Every fixture case becomes one cmocka
 * test per function ("mean/n30_lognormal", ...), so a failure names the case.
 * Each value test also checks that the input array is left unmodified. */
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
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "st_boot.h"
#include "st_desc.h"
#include "st_test.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/stats_reference.json"

/* Deterministic statistics against numpy/scipy: both sides compute the same
 * formula in double precision, so agreement is ~1e-13; 1e-6 leaves room for a
 * different but sound summation order or special-function routine, and still
 * catches a wrong divisor (n vs n - 1 is 1/n, >= 0.25% here), a wrong
 * quantile type, or a p-value computed as 2(1 - P) instead of 2Q (at the
 * p ~ 1e-25 of n200_normal, 1 - P is 0; at p ~ 1e-10 its error, ~1e-16/p,
 * would still pass). */
#define REL_TOL 1e-6

/* Percentile bootstrap tolerance. An endpoint is the sample a-quantile of B
 * bootstrap statistics; its Monte Carlo sd is sqrt(a(1-a)/B) / f(q_a), f the
 * density of the bootstrap distribution at the quantile (the asymptotic
 * variance of a sample quantile; Serfling 1980, sec. 2.3.3). For a near-normal
 * bootstrap distribution with sd s, f(q_0.025) = phi(1.96)/s = 0.0584/s and
 * the width is 3.92 s, so with B = 10000 the sd is 0.0267 s = 0.68% of the
 * width; the reference's own (B = 100000) adds 0.22%, together 0.72%.
 * 5% of the width is ~7 sd: a correct implementation passes with any seed,
 * while a level mix-up (0.05/0.95 quantiles instead of 0.025/0.975 moves an
 * endpoint by 0.315 s = 8% of the width) fails. gen_fixtures.py measures the
 * sd directly (200 bootstraps of B = 10000 per case, "mc_check" in the
 * fixture): 0.57-0.87% of the width, and it refuses to write a fixture where
 * 5% would be under 5 sd. For n = 2 and 3 both endpoints are the sample
 * extremes exactly (each extreme mean has >= 1/27 > 2.5% of the mass). */
#define BOOT_B 10000
#define BOOT_SEED 20240601UL
#define BOOT_TOL_WIDTH 0.05

#define N_QUANTILES 6

typedef struct {
	char *name;
	size_t n;
	double *x;
	double mean, sd, median, mad, min, max;
	double qp[N_QUANTILES], qv[N_QUANTILES];
	double mu0, t, p;
	double boot_level, boot_lo, boot_hi;
} ref_case;

/* A value no statistic here produces, to see that *out was not written. */
#define SENTINEL (-123456.789)

/* ---- reference values ------------------------------------------------- */

static void test_check_finite_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);

	assert_ok(st_check_finite(c->x, c->n));
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_mean_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double mean = SENTINEL;

	assert_ok(st_mean(&mean, c->x, c->n));
	bg_fx_assert_close(mean, c->mean, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_sd_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double sd = SENTINEL;

	assert_ok(st_sd(&sd, c->x, c->n));
	bg_fx_assert_close(sd, c->sd, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_median_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double median = SENTINEL;

	assert_ok(st_median(&median, c->x, c->n));
	bg_fx_assert_close(median, c->median, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_mad_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double mad = SENTINEL;

	assert_ok(st_mad(&mad, c->x, c->n));
	bg_fx_assert_close(mad, c->mad, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_quantile_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);

	for (size_t i = 0; i < N_QUANTILES; i++) {
		double q = SENTINEL;

		assert_ok(st_quantile(&q, c->x, c->n, c->qp[i]));
		if (fabs(q - c->qv[i]) > REL_TOL * fabs(c->qv[i]))
			print_error("at p = %g:\n", c->qp[i]);
		bg_fx_assert_close(q, c->qv[i], REL_TOL);
	}
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_minmax_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double min = SENTINEL, max = SENTINEL;

	assert_ok(st_minmax(&min, &max, c->x, c->n));
	/* Exact: min and max select, they do not compute. */
	assert_true(min == c->min);
	assert_true(max == c->max);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static void test_ttest_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double p = SENTINEL, t = SENTINEL;

	assert_ok(st_ttest_one(&p, &t, c->x, c->n, c->mu0));
	bg_fx_assert_close(t, c->t, REL_TOL);
	bg_fx_assert_close(p, c->p, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

static gsl_rng *rng_seeded(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	assert_non_null(r);
	gsl_rng_set(r, seed);
	return r;
}

static void test_boot_case(void **state)
{
	const ref_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	gsl_rng *r = rng_seeded(BOOT_SEED);
	st_interval ci = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
	double tol = BOOT_TOL_WIDTH * (c->boot_hi - c->boot_lo);

	assert_ok(st_boot_percentile(&ci, c->x, c->n, st_stat_mean, NULL,
				     BOOT_B, c->boot_level, r));
	bg_fx_assert_close(ci.estimate, c->mean, REL_TOL);
	assert_true(ci.level == c->boot_level);
	assert_true(ci.lo <= ci.hi);
	bg_fx_assert_within(ci.lo, c->boot_lo, tol);
	bg_fx_assert_within(ci.hi, c->boot_hi, tol);
	bg_fx_assert_unmodified(before, c->x, c->n);
	gsl_rng_free(r);
}

static void test_stat_mean_case(void **state)
{
	const ref_case *c = *state;

	bg_fx_assert_close(st_stat_mean(c->x, c->n, NULL), c->mean, REL_TOL);
}

/* ---- reproducibility -------------------------------------------------- */

static const ref_case *find_case(const ref_case *cases, size_t ncases,
				 const char *name)
{
	for (size_t i = 0; i < ncases; i++)
		if (strcmp(cases[i].name, name) == 0)
			return &cases[i];
	return NULL;
}

typedef struct {
	const ref_case *cases;
	size_t ncases;
} fixture;

/* Same seed, same interval, bit for bit; another seed, another interval
 * (a continuous case, so a tie is essentially impossible), still within the
 * Monte Carlo tolerance of the reference. */
static void test_boot_reproducible(void **state)
{
	const fixture *f = *state;
	const ref_case *c = find_case(f->cases, f->ncases, "n200_normal");
	st_interval a, b, d;
	gsl_rng *r;
	double tol;

	assert_non_null(c);
	tol = BOOT_TOL_WIDTH * (c->boot_hi - c->boot_lo);

	r = rng_seeded(BOOT_SEED);
	assert_ok(st_boot_percentile(&a, c->x, c->n, st_stat_mean, NULL,
				     BOOT_B, 0.95, r));
	gsl_rng_set(r, BOOT_SEED);
	assert_ok(st_boot_percentile(&b, c->x, c->n, st_stat_mean, NULL,
				     BOOT_B, 0.95, r));
	assert_memory_equal(&a, &b, sizeof(a));

	gsl_rng_set(r, BOOT_SEED + 1);
	assert_ok(st_boot_percentile(&d, c->x, c->n, st_stat_mean, NULL,
				     BOOT_B, 0.95, r));
	assert_true(d.lo != a.lo || d.hi != a.hi);
	assert_true(d.estimate == a.estimate);
	bg_fx_assert_within(d.lo, c->boot_lo, tol);
	bg_fx_assert_within(d.hi, c->boot_hi, tol);
	gsl_rng_free(r);
}

/* The statistic gets the caller's ud, resamples of length n drawn from x, and
 * is called at least once per resample. */
typedef struct {
	const double *x;
	size_t n;
	size_t calls;
	int bad_n, foreign;
} stat_probe;

static double probe_mean(const double *x, size_t n, void *ud)
{
	stat_probe *p = ud;

	p->calls++;
	if (n != p->n)
		p->bad_n = 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;

		while (j < p->n && p->x[j] != x[i])
			j++;
		if (j == p->n)
			p->foreign = 1;
	}
	return st_stat_mean(x, n, NULL);
}

static void test_boot_statistic_contract(void **state)
{
	const double x[] = { 3.0, 1.0, 4.0, 1.5, 9.0, 2.5, 6.0 };
	const size_t n = sizeof(x) / sizeof(x[0]);
	stat_probe probe = { x, n, 0, 0, 0 };
	gsl_rng *r = rng_seeded(7);
	st_interval ci;

	(void)state;
	assert_ok(st_boot_percentile(&ci, x, n, probe_mean, &probe, 200, 0.9, r));
	assert_true(probe.calls >= 200);
	assert_false(probe.bad_n);
	assert_false(probe.foreign);
	assert_true(ci.level == 0.9);
	assert_true(ci.lo >= 1.0 && ci.hi <= 9.0 && ci.lo <= ci.hi);
	gsl_rng_free(r);
}

/* ---- bad input -------------------------------------------------------- */

static const double good[] = { 2.0, 3.5, 1.25, 4.0, 3.0 };
#define NGOOD (sizeof(good) / sizeof(good[0]))

/* Every single-output function on (x, n): fails with `code` and leaves *out
 * alone. The t-test and bootstrap are checked where their rules differ. */
static void assert_desc_fail(const double *x, size_t n, int code)
{
	double out = SENTINEL, lo = SENTINEL, hi = SENTINEL;
	double *before = bg_fx_copy(x, n);

	assert_fails(st_check_finite(x, n), code);
	assert_fails(st_mean(&out, x, n), code);
	assert_true(out == SENTINEL);
	assert_fails(st_sd(&out, x, n), code);
	assert_true(out == SENTINEL);
	assert_fails(st_median(&out, x, n), code);
	assert_true(out == SENTINEL);
	assert_fails(st_mad(&out, x, n), code);
	assert_true(out == SENTINEL);
	assert_fails(st_quantile(&out, x, n, 0.5), code);
	assert_true(out == SENTINEL);
	assert_fails(st_minmax(&lo, &hi, x, n), code);
	assert_true(lo == SENTINEL && hi == SENTINEL);
	bg_fx_assert_unmodified(before, x, n);
}

static void assert_ttest_fail(const double *x, size_t n, double mu0, int code)
{
	double p = SENTINEL, t = SENTINEL;
	double *before = bg_fx_copy(x, n);

	assert_fails(st_ttest_one(&p, &t, x, n, mu0), code);
	assert_true(p == SENTINEL && t == SENTINEL);
	bg_fx_assert_unmodified(before, x, n);
}

static void assert_boot_fail(const double *x, size_t n, size_t B,
			     double level, int code)
{
	st_interval ci, sentinel;
	gsl_rng *r = rng_seeded(1);
	double *before = bg_fx_copy(x, n);

	memset(&sentinel, 0xA5, sizeof(sentinel));
	ci = sentinel;
	assert_fails(st_boot_percentile(&ci, x, n, st_stat_mean, NULL, B, level, r),
		     code);
	assert_memory_equal(&ci, &sentinel, sizeof(ci));
	bg_fx_assert_unmodified(before, x, n);
	gsl_rng_free(r);
}

static void test_empty_input(void **state)
{
	(void)state;
	/* A valid pointer with n = 0: the length alone must be rejected. */
	assert_desc_fail(good, 0, BG_EDOMAIN);
	assert_ttest_fail(good, 0, 0.0, BG_EDOMAIN);
	assert_boot_fail(good, 0, 1000, 0.95, BG_EDOMAIN);
}

static void test_nonfinite_input(void **state)
{
	const double bad[] = { NAN, INFINITY, -INFINITY };

	(void)state;
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		/* first, middle and last position */
		for (size_t pos = 0; pos < NGOOD; pos += NGOOD / 2) {
			double x[NGOOD];

			memcpy(x, good, sizeof(x));
			x[pos] = bad[b];
			print_message("non-finite %g at %zu\n", bad[b], pos);
			assert_desc_fail(x, NGOOD, BG_EDOMAIN);
			assert_ttest_fail(x, NGOOD, 2.0, BG_EDOMAIN);
			assert_boot_fail(x, NGOOD, 1000, 0.95, BG_EDOMAIN);
		}
	}
}

/* n = 1: sd, the t-test and the bootstrap are undefined; the location
 * statistics are the value itself. */
static void test_single_value(void **state)
{
	const double one[] = { 4.25 };
	double out = SENTINEL, lo = SENTINEL, hi = SENTINEL;

	(void)state;
	assert_fails(st_sd(&out, one, 1), BG_EDOMAIN);
	assert_true(out == SENTINEL);
	assert_ttest_fail(one, 1, 0.0, BG_EDOMAIN);
	assert_boot_fail(one, 1, 1000, 0.95, BG_EDOMAIN);

	assert_ok(st_check_finite(one, 1));
	assert_ok(st_mean(&out, one, 1));
	assert_true(out == 4.25);
	out = SENTINEL;
	assert_ok(st_median(&out, one, 1));
	assert_true(out == 4.25);
	out = SENTINEL;
	assert_ok(st_mad(&out, one, 1));
	assert_true(out == 0.0);
	out = SENTINEL;
	assert_ok(st_quantile(&out, one, 1, 0.3));
	assert_true(out == 4.25);
	assert_ok(st_minmax(&lo, &hi, one, 1));
	assert_true(lo == 4.25 && hi == 4.25);
}

static void test_ttest_constant(void **state)
{
	const double same[] = { 1.5, 1.5, 1.5, 1.5 };

	(void)state;
	/* sd = 0: t is +-inf or 0/0 whatever mu0 is. */
	assert_ttest_fail(same, 4, 1.0, BG_EDOMAIN);
	assert_ttest_fail(same, 4, 1.5, BG_EDOMAIN);
	assert_ttest_fail(same, 2, 0.0, BG_EDOMAIN);
}

static void test_quantile_bad_p(void **state)
{
	/* NaN is outside [0, 1] too; `p < 0 || p > 1` would let it through. */
	const double bad_p[] = { -0.1, 1.1, -1e-12, 1.0 + 1e-12, NAN,
				 INFINITY, -INFINITY };
	double out = SENTINEL;
	double *before = bg_fx_copy(good, NGOOD);

	(void)state;
	for (size_t i = 0; i < sizeof(bad_p) / sizeof(bad_p[0]); i++) {
		print_message("p = %g\n", bad_p[i]);
		assert_fails(st_quantile(&out, good, NGOOD, bad_p[i]), BG_EINVAL);
		assert_true(out == SENTINEL);
	}
	bg_fx_assert_unmodified(before, good, NGOOD);
	/* the closed ends are fine */
	assert_ok(st_quantile(&out, good, NGOOD, 0.0));
	assert_true(out == 1.25);
	assert_ok(st_quantile(&out, good, NGOOD, 1.0));
	assert_true(out == 4.0);
}

static void test_boot_bad_args(void **state)
{
	const double bad_level[] = { 0.0, 1.0, -0.5, 1.5, NAN, INFINITY };
	st_interval ci;
	gsl_rng *r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_level) / sizeof(bad_level[0]); i++) {
		print_message("level = %g\n", bad_level[i]);
		assert_boot_fail(good, NGOOD, 1000, bad_level[i], BG_EINVAL);
	}
	assert_boot_fail(good, NGOOD, 99, 0.95, BG_EINVAL);
	assert_boot_fail(good, NGOOD, 0, 0.95, BG_EINVAL);
	/* B = 100 is the smallest allowed */
	r = rng_seeded(3);
	assert_ok(st_boot_percentile(&ci, good, NGOOD, st_stat_mean, NULL, 100,
				     0.95, r));
	gsl_rng_free(r);
}

/* ---- fixture loading -------------------------------------------------- */

static void free_cases(ref_case *cases, size_t ncases)
{
	for (size_t i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].x);
	}
	free(cases);
}

static int load_case(ref_case *c, const cJSON *jc)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(jc, "name");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(jc, "x");
	const cJSON *qs = cJSON_GetObjectItemCaseSensitive(jc, "quantiles");
	const cJSON *tt = cJSON_GetObjectItemCaseSensitive(jc, "ttest_one");
	const cJSON *bt = cJSON_GetObjectItemCaseSensitive(jc, "boot_percentile_mean");
	const cJSON *e;
	size_t i;

	if (!cJSON_IsString(name) || !cJSON_IsArray(x) || !cJSON_IsArray(qs) ||
	    cJSON_GetArraySize(qs) != N_QUANTILES || !cJSON_IsObject(tt) ||
	    !cJSON_IsObject(bt) || cJSON_GetArraySize(x) < 1) {
		fprintf(stderr, "test_stats: %s: a case lacks name, x, %d quantiles, "
			"ttest_one or boot_percentile_mean\n", FIXTURE_FILE, N_QUANTILES);
		return -1;
	}
	if (!(c->name = strdup(name->valuestring)))
		return -1;
	if (bg_fx_doubles(&c->x, &c->n, jc, "x", NULL, 1, c->name) < 0)
		return -1;
	i = 0;
	cJSON_ArrayForEach(e, qs) {
		if (bg_fx_num(&c->qp[i], e, "p", c->name) < 0 ||
		    bg_fx_num(&c->qv[i], e, "q", c->name) < 0)
			return -1;
		i++;
	}
	if (bg_fx_num(&c->mean, jc, "mean", c->name) < 0 ||
	    bg_fx_num(&c->sd, jc, "sd", c->name) < 0 ||
	    bg_fx_num(&c->median, jc, "median", c->name) < 0 ||
	    bg_fx_num(&c->mad, jc, "mad", c->name) < 0 ||
	    bg_fx_num(&c->min, jc, "min", c->name) < 0 ||
	    bg_fx_num(&c->max, jc, "max", c->name) < 0 ||
	    bg_fx_num(&c->mu0, tt, "mu0", c->name) < 0 ||
	    bg_fx_num(&c->t, tt, "t", c->name) < 0 ||
	    bg_fx_num(&c->p, tt, "p", c->name) < 0 ||
	    bg_fx_num(&c->boot_level, bt, "level", c->name) < 0 ||
	    bg_fx_num(&c->boot_lo, bt, "lo", c->name) < 0 ||
	    bg_fx_num(&c->boot_hi, bt, "hi", c->name) < 0)
		return -1;
	return 0;
}

static int load_case_v(void *c, const cJSON *jc, void *ud)
{
	(void)ud;
	return load_case(c, jc);
}

/* Loads every case of the fixture; NULL (after saying why) on failure. */
static ref_case *load_fixture(size_t *ncases)
{
	cJSON *root = bg_fx_load_json(FIXTURE_FILE, "scripts/gen_fixtures.py");
	void *cases = NULL;

	if (!root)
		return NULL;
	if (bg_fx_load_section(&cases, ncases, root, "cases", sizeof(ref_case),
			       load_case_v, NULL) < 0) {
		free_cases(cases, *ncases);
		cases = NULL;
	}
	cJSON_Delete(root);
	return cases;
}

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name;
	CMUnitTestFunction fn;
} per_case[] = {
	{ "check_finite", test_check_finite_case },
	{ "mean", test_mean_case },
	{ "sd", test_sd_case },
	{ "median", test_median_case },
	{ "mad", test_mad_case },
	{ "quantile", test_quantile_case },
	{ "minmax", test_minmax_case },
	{ "ttest_one", test_ttest_case },
	{ "stat_mean", test_stat_mean_case },
	{ "boot_percentile_mean", test_boot_case },
};
#define N_PER_CASE (sizeof(per_case) / sizeof(per_case[0]))

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_nonfinite_input),
		cmocka_unit_test(test_single_value),
		cmocka_unit_test(test_ttest_constant),
		cmocka_unit_test(test_quantile_bad_p),
		cmocka_unit_test(test_boot_bad_args),
		cmocka_unit_test(test_boot_statistic_contract),
		cmocka_unit_test(test_boot_reproducible),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests;
	ref_case *cases;
	size_t ncases = 0, ntests = 0;
	fixture fx;
	int failed;

	gsl_set_error_handler_off();
	if (!(cases = load_fixture(&ncases)))
		return 1;
	fx.cases = cases;
	fx.ncases = ncases;

	tests = calloc(ncases * N_PER_CASE + nfixed, sizeof(*tests));
	if (!tests) {
		free_cases(cases, ncases);
		return 1;
	}
	for (size_t i = 0; i < ncases; i++) {
		for (size_t k = 0; k < N_PER_CASE; k++) {
			char *name;

			if (asprintf(&name, "%s/%s", per_case[k].name, cases[i].name) < 0) {
				failed = 1;
				goto cleanup;
			}
			tests[ntests].name = name;
			tests[ntests].test_func = per_case[k].fn;
			tests[ntests].initial_state = &cases[i];
			ntests++;
		}
	}
	for (size_t j = 0; j < nfixed; j++) {
		tests[ntests] = fixed[j];
		/* every fixed test ignores its state but the reproducibility one */
		tests[ntests].initial_state = &fx;
		ntests++;
	}
	failed = _cmocka_run_group_tests("stats", tests, ntests, NULL, NULL);

cleanup:
	for (size_t i = 0; i < ntests && i < ncases * N_PER_CASE; i++)
		free((char *)tests[i].name);
	free(tests);
	free_cases(cases, ncases);
	return failed;
}
