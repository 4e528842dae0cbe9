/* test_changepoint: PELT (st_changepoint.h) against independent reference
 * values, its use cases, and bad input.
 *
 * The reference values come from scripts/fixtures_changepoint.py (numpy and
 * scipy from Debian; R's changepoint is not packaged by Debian), run once and
 * committed as tests/fixtures/changepoint_reference.json: optimal
 * partitioning by brute force. Every fixture case becomes one cmocka test
 * per function ("pelt/mean_step", ...), so a failure names the case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "st_changepoint.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/changepoint_reference.json"

/* Deterministic values (the penalised cost, the noise variance): both sides
 * compute the same formula in double precision by different routes (prefix
 * sums against two-pass variances), agreeing to ~1e-12; 1e-6 still catches a
 * wrong constant (ln 2pi without the +1 moves a cost by n, >= 10%) or a
 * divisor n - 1 for n. */
#define REL_TOL 1e-6

/* A generous time limit: a guard against an accidental O(n^3), not a
 * benchmark (plain builds take ~1 ms). */
#if defined(__SANITIZE_ADDRESS__)
#define TIME_SCALE 10.0
#else
#define TIME_SCALE 1.0
#endif
#define PELT_N1000_LIMIT_S (0.05 * TIME_SCALE)

typedef struct {
	char *name;
	size_t n;
	double *x;
	st_pelt_options opts;
	size_t ncpts, *cpts;
	size_t ntruth, *truth;
	long truth_tol;        /* -1: no truth to compare with */
	double cost, sigma2_diff;
} pelt_case;

typedef struct {
	pelt_case *pelt;
	size_t npelt;
} fixture;

/* got[0..ngot-1] == want[0..nwant-1], printing both on a mismatch. */
#define assert_locations(got, ngot, want, nwant) \
	assert_locations_at((got), (ngot), (want), (nwant), __FILE__, __LINE__)

static void print_list(const char *label, const size_t *v, size_t n)
{
	print_error("%s [", label);
	for (size_t i = 0; i < n; i++)
		print_error("%s%zu", i ? ", " : "", v[i]);
	print_error("]\n");
}

static void assert_locations_at(const size_t *got, size_t ngot,
				const size_t *want, size_t nwant,
				const char *file, int line)
{
	if (ngot == nwant && (ngot == 0 || memcmp(got, want, ngot * sizeof(*got)) == 0))
		return;
	print_list("found   ", got, ngot);
	print_list("expected", want, nwant);
	_fail(file, line);
}

/* Each true change found within tol, and nothing else. */
static void assert_near_truth(const size_t *got, size_t ngot, const size_t *truth,
			      size_t ntruth, long tol)
{
	if (tol < 0)
		return;
	if (ngot != ntruth) {
		print_list("found", got, ngot);
		print_list("truth", truth, ntruth);
	}
	assert_int_equal(ngot, ntruth);
	for (size_t i = 0; i < ngot; i++) {
		long d = (long)got[i] - (long)truth[i];

		if (labs(d) > tol)
			print_error("change %zu at %zu, truth %zu +- %ld\n", i, got[i],
				    truth[i], tol);
		assert_true(labs(d) <= tol);
	}
}

static gsl_rng *rng_seeded(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	assert_non_null(r);
	gsl_rng_set(r, seed);
	return r;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const pelt_case *find_pelt(const fixture *f, const char *name)
{
	for (size_t i = 0; i < f->npelt; i++)
		if (strcmp(f->pelt[i].name, name) == 0)
			return &f->pelt[i];
	fail_msg("no PELT fixture case %s", name);
	return NULL;
}

/* ---- reference values ------------------------------------------------- */

static void test_pelt_case(void **state)
{
	const pelt_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	st_pelt_result *r = NULL;

	assert_ok(st_pelt(&r, c->x, c->n, &c->opts));
	assert_int_equal(r->n, c->n);
	assert_locations(r->cpts, r->ncpts, c->cpts, c->ncpts);
	bg_fx_assert_close(r->cost, c->cost, REL_TOL);
	assert_near_truth(r->cpts, r->ncpts, c->truth, c->ntruth, c->truth_tol);
	if (r->ncpts == 0)
		assert_null(r->cpts);
	bg_fx_assert_unmodified(before, c->x, c->n);
	st_pelt_result_free(r);
}

static void test_sigma2_diff_case(void **state)
{
	const pelt_case *c = *state;
	double *before = bg_fx_copy(c->x, c->n);
	double s2 = -1.0;

	assert_ok(st_pelt_sigma2_diff(&s2, c->x, c->n));
	bg_fx_assert_close(s2, c->sigma2_diff, REL_TOL);
	bg_fx_assert_unmodified(before, c->x, c->n);
}

/* ---- PELT: use cases and properties ----------------------------------- */

/* The warm-up use case: ten slow iterations, then steady state, in seconds.
 * The change point at the very start of the series is what must be found. */
static void warmup_series(double *x, size_t n, size_t warm, unsigned long seed)
{
	gsl_rng *r = rng_seeded(seed);

	for (size_t i = 0; i < n; i++)
		x[i] = i < warm ? 0.0150 + gsl_ran_gaussian(r, 0.0005)
				: 0.0100 + gsl_ran_gaussian(r, 0.0001);
	gsl_rng_free(r);
}

static void test_pelt_warmup_at_start(void **state)
{
	double x[120];
	const size_t n = sizeof(x) / sizeof(x[0]);
	st_pelt_options o = ST_PELT_OPTIONS_INIT;

	(void)state;
	o.penalty = st_pelt_penalty_barrett(n);
	for (unsigned long seed = 1; seed <= 20; seed++) {
		st_pelt_result *r = NULL;

		warmup_series(x, n, 10, seed);
		assert_ok(st_pelt(&r, x, n, &o));
		assert_int_equal(r->ncpts, 1);
		assert_int_equal(r->cpts[0], 10);
		st_pelt_result_free(r);
	}
}

/* 15 ln n keeps flat noise free of change points: 30 series of 200. */
static void test_pelt_flat_finds_none(void **state)
{
	double x[200];
	const size_t n = sizeof(x) / sizeof(x[0]);
	st_pelt_options o = ST_PELT_OPTIONS_INIT;
	gsl_rng *rng = rng_seeded(77);

	(void)state;
	bg_fx_assert_close(st_pelt_penalty_barrett(n), 15.0 * log(200.0), 1e-15);
	o.penalty = st_pelt_penalty_barrett(n);
	for (int rep = 0; rep < 30; rep++) {
		st_pelt_result *r = NULL;

		for (size_t i = 0; i < n; i++)
			x[i] = 3.0 + gsl_ran_gaussian(rng, 0.2);
		assert_ok(st_pelt(&r, x, n, &o));
		assert_int_equal(r->ncpts, 0);
		assert_null(r->cpts);
		st_pelt_result_free(r);
	}
	gsl_rng_free(rng);
}

/* The meanvar cost is scale-free: a x + b has the same change points and a
 * cost larger by n ln a^2 (the variance floor is relative, so it scales
 * too). */
static void test_pelt_affine_invariance(void **state)
{
	const fixture *f = *state;
	const pelt_case *c = find_pelt(f, "five_segments");
	st_pelt_result *r = NULL;
	double *y = bg_fx_copy(c->x, c->n);
	const double a = 2.5e4, b = 1e9;

	for (size_t i = 0; i < c->n; i++)
		y[i] = a * c->x[i] + b;
	assert_ok(st_pelt(&r, y, c->n, &c->opts));
	assert_locations(r->cpts, r->ncpts, c->cpts, c->ncpts);
	bg_fx_assert_close(r->cost, c->cost + (double)c->n * log(a * a), REL_TOL);
	st_pelt_result_free(r);
	free(y);
}

/* Naive optimal partitioning (two-pass segment variances, every admissible
 * last change) for the exactness property below. */
static double naive_cost(const double *x, size_t a, size_t b, const st_pelt_options *o,
			 double floor)
{
	double mean = 0.0, ss = 0.0, l = (double)(b - a);

	for (size_t i = a; i < b; i++)
		mean += x[i];
	mean /= l;
	for (size_t i = a; i < b; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	if (o->model == ST_PELT_MEAN)
		return ss / o->sigma2;
	return l * (log(2.0 * M_PI) + log(ss / l + floor) + 1.0);
}

static size_t naive_op(size_t *cpts, const double *x, size_t n, const st_pelt_options *o)
{
	double F[128], floor, mean = 0.0, var = 0.0;
	size_t last[128], k = 0, m = o->minseglen;

	assert_true(n < 128);
	for (size_t i = 0; i < n; i++)
		mean += x[i] / (double)n;
	for (size_t i = 0; i < n; i++)
		var += (x[i] - mean) * (x[i] - mean) / (double)n;
	floor = ST_PELT_VAR_FLOOR * var;
	F[0] = -o->penalty;
	for (size_t t = m; t <= n; t++) {
		F[t] = INFINITY;
		for (size_t tau = 0; tau + m <= t; tau = tau ? tau + 1 : m) {
			double v = F[tau] + naive_cost(x, tau, t, o, floor) + o->penalty;

			if (v < F[t]) {
				F[t] = v;
				last[t] = tau;
			}
		}
	}
	for (size_t t = last[n]; t > 0; t = last[t])
		k++;
	for (size_t t = last[n], j = k; t > 0; t = last[t])
		cpts[--j] = t;
	return k;
}

/* PELT's pruning, delayed by the minimum segment length, never changes the
 * optimum: 400 random piecewise series with many short segments and a low
 * penalty (so pruning is busy), both models, minseglen 1..8. */
static void test_pelt_equals_optimal_partitioning(void **state)
{
	gsl_rng *rng = rng_seeded(4242);
	double x[100];
	size_t want[100];

	(void)state;
	for (int rep = 0; rep < 400; rep++) {
		st_pelt_options o = ST_PELT_OPTIONS_INIT;
		size_t n = 40 + gsl_rng_uniform_int(rng, 60), nwant;
		double mu = 0.0, sd = 1.0;
		st_pelt_result *r = NULL;

		o.model = rep % 3 == 0 ? ST_PELT_MEAN : ST_PELT_MEANVAR;
		o.sigma2 = 1.0;
		o.minseglen = (o.model == ST_PELT_MEAN ? 1 : 2) + gsl_rng_uniform_int(rng, 7);
		o.penalty = (0.5 + 2.0 * gsl_rng_uniform(rng)) * log((double)n);
		for (size_t i = 0; i < n; i++) {
			if (gsl_rng_uniform(rng) < 0.08) {
				mu = gsl_ran_gaussian(rng, 2.0);
				sd = o.model == ST_PELT_MEAN ? 1.0 : 0.3 + 2.0 * gsl_rng_uniform(rng);
			}
			x[i] = mu + gsl_ran_gaussian(rng, sd);
		}
		if (o.minseglen > n / 2)
			continue;
		nwant = naive_op(want, x, n, &o);
		assert_ok(st_pelt(&r, x, n, &o));
		if (r->ncpts != nwant || (nwant && memcmp(r->cpts, want, nwant * sizeof(*want))))
			print_error("rep %d: n = %zu, minseglen %zu, penalty %g\n", rep, n,
				    o.minseglen, o.penalty);
		assert_locations(r->cpts, r->ncpts, want, nwant);
		st_pelt_result_free(r);
	}
	gsl_rng_free(rng);
}

/* n = 2 minseglen is the shortest series allowed; every segment respects
 * minseglen. */
static void test_pelt_minseglen(void **state)
{
	const double four[] = { 0.0, 0.1, 50.0, 50.2 };
	const double spikes[] = { 0, 0.1, -0.1, 9, 9.1, 0.05, -0.05, 0, 0.1, 0,
				  -0.1, 9.2, 0, 0.1, -0.1, 0 };
	const size_t ns = sizeof(spikes) / sizeof(spikes[0]);
	st_pelt_options o = ST_PELT_OPTIONS_INIT;
	st_pelt_result *r = NULL;

	(void)state;
	o.penalty = 1.0;
	assert_ok(st_pelt(&r, four, 4, &o));
	assert_int_equal(r->ncpts, 1);
	assert_int_equal(r->cpts[0], 2);
	st_pelt_result_free(r);

	o.model = ST_PELT_MEAN;
	o.sigma2 = 0.01;
	o.penalty = 2.0;
	for (size_t m = 1; m <= 4; m++) {
		size_t prev = 0;

		o.minseglen = m;
		assert_ok(st_pelt(&r, spikes, ns, &o));
		assert_true(r->ncpts >= 1);
		for (size_t i = 0; i <= r->ncpts; i++) {
			size_t end = i < r->ncpts ? r->cpts[i] : ns;

			assert_true(end - prev >= m);
			prev = end;
		}
		/* minseglen 1 isolates the one-value spike at 11 */
		if (m == 1)
			assert_true(r->ncpts >= 4 && r->cpts[2] == 11 && r->cpts[3] == 12);
		st_pelt_result_free(r);
	}
}

static void test_pelt_mean_constant(void **state)
{
	const double same[] = { 2.5, 2.5, 2.5, 2.5, 2.5, 2.5 };
	st_pelt_options o = { ST_PELT_MEAN, 3.0, 1, 0.5 };
	st_pelt_result *r = NULL;

	(void)state;
	/* with a known variance equal values are fine: one segment of cost 0 */
	assert_ok(st_pelt(&r, same, 6, &o));
	assert_int_equal(r->ncpts, 0);
	assert_true(r->cost == 0.0);
	st_pelt_result_free(r);
}

/* A run of equal values inside a varying series is one segment with the
 * floored variance, not a crash or an infinite cost. */
static void test_pelt_zero_variance_segment(void **state)
{
	double x[60];
	st_pelt_options o = ST_PELT_OPTIONS_INIT;
	st_pelt_result *r = NULL;
	gsl_rng *rng = rng_seeded(5);

	(void)state;
	for (size_t i = 0; i < 60; i++)
		x[i] = i >= 20 && i < 40 ? 1.0 : 1.0 + gsl_ran_gaussian(rng, 0.5);
	o.penalty = st_pelt_penalty_barrett(60);
	assert_ok(st_pelt(&r, x, 60, &o));
	assert_true(isfinite(r->cost));
	assert_int_equal(r->ncpts, 2);
	assert_int_equal(r->cpts[0], 20);
	assert_int_equal(r->cpts[1], 40);
	st_pelt_result_free(r);
	gsl_rng_free(rng);
}

static void test_pelt_speed(void **state)
{
	const fixture *f = *state;
	const char *names[] = { "n1000_flat", "n1000_six_segments" };

	for (size_t k = 0; k < 2; k++) {
		const pelt_case *c = find_pelt(f, names[k]);
		st_pelt_result *r = NULL;
		double t0 = now_s(), dt;

		assert_ok(st_pelt(&r, c->x, c->n, &c->opts));
		dt = now_s() - t0;
		print_message("PELT %s: %.2f ms\n", names[k], dt * 1e3);
		assert_true(dt < PELT_N1000_LIMIT_S);
		st_pelt_result_free(r);
	}
}

/* ---- PELT: bad input -------------------------------------------------- */

static const double good[] = { 1.0, 1.2, 0.9, 1.1, 5.0, 5.2, 4.9, 5.1 };
#define NGOOD (sizeof(good) / sizeof(good[0]))

/* Fails with `code`, leaves *out alone and x unmodified. */
static void assert_pelt_fail(const double *x, size_t n, const st_pelt_options *o,
			     int code)
{
	st_pelt_result sentinel, *r = &sentinel;
	double *before = bg_fx_copy(x, n);

	assert_fails(st_pelt(&r, x, n, o), code);
	assert_ptr_equal(r, &sentinel);
	bg_fx_assert_unmodified(before, x, n);
}

static void test_pelt_bad_options(void **state)
{
	const double bad_pen[] = { 0.0, -1.0, NAN, INFINITY };
	st_pelt_options o = ST_PELT_OPTIONS_INIT;

	(void)state;
	/* the initializer leaves the penalty to the caller */
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	for (size_t i = 0; i < sizeof(bad_pen) / sizeof(bad_pen[0]); i++) {
		o.penalty = bad_pen[i];
		print_message("penalty %g\n", bad_pen[i]);
		assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	}
	o.penalty = 3.0;
	assert_pelt_fail(good, NGOOD, NULL, BG_EINVAL);
	assert_fails(st_pelt(NULL, good, NGOOD, &o), BG_EINVAL);
	o.minseglen = 1;   /* a one-value segment has variance 0 */
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	o.minseglen = 0;
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	o.minseglen = 2;
	o.model = (st_pelt_model)7;
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);

	o.model = ST_PELT_MEAN;
	o.minseglen = 0;
	o.sigma2 = 1.0;
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	o.minseglen = 1;
	o.sigma2 = 0.0;
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	o.sigma2 = -1.0;
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	o.sigma2 = NAN;
	assert_pelt_fail(good, NGOOD, &o, BG_EINVAL);
	o.sigma2 = 1.0;   /* and now it is fine */
	{
		st_pelt_result *r = NULL;

		assert_ok(st_pelt(&r, good, NGOOD, &o));
		assert_int_equal(r->ncpts, 1);
		assert_int_equal(r->cpts[0], 4);
		st_pelt_result_free(r);
	}
}

static void test_pelt_bad_data(void **state)
{
	const double bad[] = { NAN, INFINITY, -INFINITY };
	const double same[] = { 3.0, 3.0, 3.0, 3.0, 3.0 };
	st_pelt_options o = ST_PELT_OPTIONS_INIT;
	st_pelt_options om = { ST_PELT_MEAN, 3.0, 1, 1.0 };

	(void)state;
	o.penalty = 3.0;
	assert_pelt_fail(good, 0, &o, BG_EDOMAIN);
	assert_pelt_fail(NULL, 0, &o, BG_EDOMAIN);
	assert_pelt_fail(good, 0, &om, BG_EDOMAIN);
	/* n < 2 minseglen: no room for a change */
	assert_pelt_fail(good, 3, &o, BG_EDOMAIN);
	assert_pelt_fail(good, 1, &om, BG_EDOMAIN);
	o.minseglen = 5;
	assert_pelt_fail(good, NGOOD, &o, BG_EDOMAIN);
	o.minseglen = 2;
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		for (size_t pos = 0; pos < NGOOD; pos += NGOOD / 2 - 1) {
			double x[NGOOD];

			memcpy(x, good, sizeof(x));
			x[pos] = bad[b];
			print_message("non-finite %g at %zu\n", bad[b], pos);
			assert_pelt_fail(x, NGOOD, &o, BG_EDOMAIN);
			assert_pelt_fail(x, NGOOD, &om, BG_EDOMAIN);
		}
	}
	/* all equal: the normal likelihood with variance 0 is unbounded */
	assert_pelt_fail(same, 5, &o, BG_EDOMAIN);
}

static void test_sigma2_diff_bad(void **state)
{
	const double ramp[] = { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 };
	const double nan3[] = { 1.0, NAN, 2.0 };
	double s2 = -1.0;

	(void)state;
	assert_fails(st_pelt_sigma2_diff(&s2, good, 0), BG_EDOMAIN);
	assert_fails(st_pelt_sigma2_diff(&s2, good, 2), BG_EDOMAIN);
	assert_fails(st_pelt_sigma2_diff(&s2, nan3, 3), BG_EDOMAIN);
	/* a ramp's differences are all equal: MAD 0 */
	assert_fails(st_pelt_sigma2_diff(&s2, ramp, 6), BG_EDOMAIN);
	assert_fails(st_pelt_sigma2_diff(NULL, good, NGOOD), BG_EINVAL);
	assert_true(s2 == -1.0);
}

static void test_free_null(void **state)
{
	(void)state;
	st_pelt_result_free(NULL);
}

/* ---- fixture loading -------------------------------------------------- */

static int bad_member(const char *where, const char *key, const char *what)
{
	fprintf(stderr, "test_changepoint: %s: %s: \"%s\" missing or not %s\n",
		FIXTURE_FILE, where, key, what);
	return -1;
}

static int get_sizes(size_t **out, size_t *n, const cJSON *obj, const char *key,
		     const char *field, const char *where)
{
	double *d = NULL;
	int rc = bg_fx_doubles(&d, n, obj, key, field, 0, where);

	if (rc == 0 && !(*out = malloc((*n ? *n : 1) * sizeof(**out))))
		rc = -1;
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		if (!(d[i] >= 0.0 && d[i] == floor(d[i])))
			rc = bad_member(where, key, "an array of counts");
		else
			(*out)[i] = (size_t)d[i];
	}
	free(d);
	return rc;
}

static int get_name(char **out, const cJSON *obj)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "name");

	if (!cJSON_IsString(v))
		return bad_member("a case", "name", "a string");
	return (*out = strdup(v->valuestring)) ? 0 : -1;
}

static int load_pelt(pelt_case *c, const cJSON *j)
{
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(j, "model");
	double tol;

	if (get_name(&c->name, j) < 0 ||
	    bg_fx_doubles(&c->x, &c->n, j, "x", NULL, 0, c->name) < 0 ||
	    get_sizes(&c->cpts, &c->ncpts, j, "cpts", NULL, c->name) < 0 ||
	    get_sizes(&c->truth, &c->ntruth, j, "truth", NULL, c->name) < 0 ||
	    bg_fx_num(&tol, j, "truth_tol", c->name) < 0 ||
	    bg_fx_num(&c->opts.penalty, j, "penalty", c->name) < 0 ||
	    bg_fx_size(&c->opts.minseglen, j, "minseglen", c->name) < 0 ||
	    bg_fx_num(&c->opts.sigma2, j, "sigma2", c->name) < 0 ||
	    bg_fx_num(&c->cost, j, "cost", c->name) < 0 ||
	    bg_fx_num(&c->sigma2_diff, j, "sigma2_diff", c->name) < 0)
		return -1;
	c->truth_tol = (long)tol;
	if (!cJSON_IsString(model))
		return bad_member(c->name, "model", "a string");
	if (strcmp(model->valuestring, "meanvar") == 0)
		c->opts.model = ST_PELT_MEANVAR;
	else if (strcmp(model->valuestring, "mean") == 0)
		c->opts.model = ST_PELT_MEAN;
	else
		return bad_member(c->name, "model", "\"meanvar\" or \"mean\"");
	return 0;
}

static void free_fixture(fixture *f)
{
	for (size_t i = 0; f->pelt && i < f->npelt; i++) {
		free(f->pelt[i].name);
		free(f->pelt[i].x);
		free(f->pelt[i].cpts);
		free(f->pelt[i].truth);
	}
	free(f->pelt);
}

static int load_pelt_v(void *c, const cJSON *j, void *ud) { (void)ud; return load_pelt(c, j); }

static int load_fixture(fixture *f)
{
	cJSON *root = bg_fx_load_json(FIXTURE_FILE, "scripts/fixtures_changepoint.py");
	int rc = -1;

	if (root &&
	    bg_fx_load_section((void **)&f->pelt, &f->npelt, root, "pelt",
			       sizeof(pelt_case), load_pelt_v, NULL) == 0)
		rc = 0;
	cJSON_Delete(root);
	return rc;
}

/* ---- main ------------------------------------------------------------- */

/* Appends a test named "prefix/name" with `state`; -1 on ENOMEM. */
static int add_test(struct CMUnitTest *t, size_t *nt, const char *prefix,
		    const char *name, CMUnitTestFunction fn, void *state)
{
	char *full;

	if (asprintf(&full, "%s/%s", prefix, name) < 0)
		return -1;
	t[*nt].name = full;
	t[*nt].test_func = fn;
	t[*nt].setup_func = NULL;
	t[*nt].teardown_func = NULL;
	t[*nt].initial_state = state;
	(*nt)++;
	return 0;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_pelt_warmup_at_start),
		cmocka_unit_test(test_pelt_flat_finds_none),
		cmocka_unit_test(test_pelt_affine_invariance),
		cmocka_unit_test(test_pelt_equals_optimal_partitioning),
		cmocka_unit_test(test_pelt_minseglen),
		cmocka_unit_test(test_pelt_mean_constant),
		cmocka_unit_test(test_pelt_zero_variance_segment),
		cmocka_unit_test(test_pelt_speed),
		cmocka_unit_test(test_pelt_bad_options),
		cmocka_unit_test(test_pelt_bad_data),
		cmocka_unit_test(test_sigma2_diff_bad),
		cmocka_unit_test(test_free_null),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	fixture fx = { 0 };
	struct CMUnitTest *tests = NULL;
	size_t nt = 0, nnamed = 0;
	int failed = 1;

	gsl_set_error_handler_off();
	if (load_fixture(&fx) < 0)
		goto cleanup;
	tests = calloc(2 * fx.npelt + nfixed, sizeof(*tests));
	if (!tests)
		goto cleanup;
	for (size_t i = 0; i < fx.npelt; i++)
		if (add_test(tests, &nt, "pelt", fx.pelt[i].name, test_pelt_case, &fx.pelt[i]) < 0 ||
		    add_test(tests, &nt, "sigma2_diff", fx.pelt[i].name,
			     test_sigma2_diff_case, &fx.pelt[i]) < 0)
			goto cleanup;
	nnamed = nt;
	for (size_t j = 0; j < nfixed; j++) {
		tests[nt] = fixed[j];
		tests[nt].initial_state = &fx;
		nt++;
	}
	failed = _cmocka_run_group_tests("changepoint", tests, nt, NULL, NULL);
cleanup:
	/* the per-case names were allocated; all of them, if adding stopped early */
	for (size_t i = 0; tests && i < (nnamed ? nnamed : nt); i++)
		free((char *)tests[i].name);
	free(tests);
	free_fixture(&fx);
	return failed;
}
