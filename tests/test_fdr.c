/* test_fdr: online FDR control (LORD++, alpha-investing) and the Holm
 * adjustment of st_fdr.h.
 *
 * References (tests/fixtures/fdr_reference.json, written once by
 * scripts/fixtures_fdr.py with Debian's python3):
 *   - LORD++ and alpha-investing levels and decisions on fixed p-value
 *     streams, from an independent Python implementation of the
 *     papers' formulas: to 1e-12 relative (both sides do the same few double
 *     operations, so they agree to the last bits; 1e-12 still catches a
 *     gamma index off by one, which moves a level by >= 1e-4 relative).
 *   - Holm adjusted p-values and decisions: statsmodels' multipletests, to
 *     1e-12.
 * Plus: the boundary p = level, bad input, and a small simulation of the
 * realised FDR.
 * Every fixture case becomes its own cmocka test, named after the case. */
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
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "bg_test.h"
#include "st_fdr.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/fdr_reference.json"

#define REL_TOL 1e-12
/* Levels that a W/(1+W) cap drained to rounding residue (~1e-16) are
 * compared absolutely; every other level in the fixture is >= 2.5e-7. */
#define ABS_FLOOR 1e-15

#define SENTINEL (-123456.789)

/* ---- fixture access ----------------------------------------------------- */

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v)) {
		print_error("fixture: \"%s\" missing or not a string\n", key);
		fail();
	}
	return v->valuestring;
}

static st_fdr_method method_of(const char *name)
{
	if (strcmp(name, "lord++") == 0)
		return ST_FDR_LORD_PP;
	assert_string_equal(name, "alpha-investing");
	return ST_FDR_ALPHA_INVESTING;
}

static gsl_rng *rng_seeded(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	assert_non_null(r);
	gsl_rng_set(r, seed);
	return r;
}

/* ---- gamma ---------------------------------------------------------------- */

static void test_gamma(void **state)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(*state, "gamma");
	const cJSON *v;
	double sum = 0.0;

	assert_non_null(g);
	assert_true(bg_fx_get_num(g, "constant") == ST_FDR_GAMMA_C);
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(g, "values")) {
		size_t j = (size_t)bg_fx_get_num(v, "j");

		bg_fx_assert_near(st_fdr_gamma(j), bg_fx_get_num(v, "gamma"), REL_TOL, 0.0);
	}
	assert_true(st_fdr_gamma(0) == 0.0);
	/* LORD++ needs gamma non-increasing with sum <= 1. The fixture's sum
	 * (partial sum + tail integral, mpmath) is 0.9762; the partial sum to
	 * 1e5 (0.46: the tail is heavy) must match mpmath's and stay below it. */
	for (size_t j = 1; j <= 100000; j++) {
		assert_true(st_fdr_gamma(j + 1) <= st_fdr_gamma(j));
		sum += st_fdr_gamma(j);
	}
	/* 1e5 terms summed in double: error well below 1e-10 relative */
	bg_fx_assert_near(sum, bg_fx_get_num(g, "partial_sum_1e5"), 1e-10, 0.0);
	assert_true(sum < bg_fx_get_num(g, "sum"));
	assert_true(bg_fx_get_num(g, "sum") < 1.0);
	bg_fx_assert_near(bg_fx_get_num(g, "sum"), 0.9762, 0.0, 1e-4);
}

/* ---- online levels against the Python reference ------------------------- */

static void test_online_case(void **state)
{
	const cJSON *c = *state;
	st_fdr *f = NULL;
	size_t n, n_lv;
	double *p = bg_fx_get_doubles(c, "p", &n);
	double *levels = bg_fx_get_doubles(c, "levels", &n_lv);
	const cJSON *rej = cJSON_GetObjectItemCaseSensitive(c, "rejected");

	assert_true(n_lv == n);
	assert_int_equal(cJSON_GetArraySize(rej), n);
	assert_ok(st_fdr_new(&f, method_of(str(c, "method")), bg_fx_get_num(c, "alpha"),
			     bg_fx_get_num(c, "w0")));
	for (size_t t = 0; t < n; t++) {
		double before = st_fdr_level(f), level = SENTINEL;
		int r = -1, want = cJSON_GetArrayItem(rej, (int)t)->valueint;

		assert_ok(st_fdr_record(&r, &level, f, p[t]));
		if (fabs(level - levels[t]) > REL_TOL * levels[t] + ABS_FLOOR ||
		    r != want)
			print_error("at test %zu (p = %.17g):\n", t + 1, p[t]);
		assert_true(level == before);
		bg_fx_assert_near(level, levels[t], REL_TOL, ABS_FLOOR);
		assert_int_equal(r, want);
		assert_true(level <= bg_fx_get_num(c, "alpha"));
	}
	st_fdr_free(f);
	free(p);
	free(levels);
}

/* Rejection is p <= alpha_t: the level itself is rejected, the next double
 * above it is not. */
static void test_boundary(void **state)
{
	const st_fdr_method methods[] = { ST_FDR_LORD_PP, ST_FDR_ALPHA_INVESTING };

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		st_fdr *f = NULL;
		double lv;
		int r = -1;

		assert_ok(st_fdr_new(&f, methods[m], 0.05, 0.025));
		/* The very first level: LORD++ gamma_1 W0, alpha-investing W0 / 2. */
		lv = st_fdr_level(f);
		assert_true(lv == (methods[m] == ST_FDR_LORD_PP
				   ? st_fdr_gamma(1) * 0.025 : 0.0125));
		assert_ok(st_fdr_record(&r, NULL, f, nextafter(lv, 1.0)));
		assert_int_equal(r, 0);
		lv = st_fdr_level(f);
		assert_ok(st_fdr_record(&r, NULL, f, lv));
		assert_int_equal(r, 1);
		/* p = 0 is always a discovery while the level is positive */
		assert_ok(st_fdr_record(&r, NULL, f, 0.0));
		assert_int_equal(r, 1);
		assert_ok(st_fdr_record(&r, NULL, f, 1.0));
		assert_int_equal(r, 0);
		st_fdr_free(f);
	}
}

/* LORD++ after rejections at 2 and 5, at t = 9: the formula by hand. */
static void test_lord_formula(void **state)
{
	st_fdr *f = NULL;
	const double a = 0.1, w0 = 0.04;
	const double p[] = { 0.9, 0.0, 0.9, 0.9, 0.0, 0.9, 0.9, 0.9 };
	double want;
	int r;

	(void)state;
	assert_ok(st_fdr_new(&f, ST_FDR_LORD_PP, a, w0));
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		assert_ok(st_fdr_record(&r, NULL, f, p[i]));
	want = st_fdr_gamma(9) * w0 + (a - w0) * st_fdr_gamma(7) +
	       a * st_fdr_gamma(4);
	bg_fx_assert_near(st_fdr_level(f), want, 1e-15, 0.0);
	st_fdr_free(f);
}

/* ---- bad input -------------------------------------------------------- */

static void test_new_bad(void **state)
{
	const double bad_alpha[] = { 0.0, 1.0, -0.1, 1.5, NAN, INFINITY };
	const double bad_w0[] = { 0.0, -0.01, 0.05 + 1e-12, NAN, INFINITY };
	st_fdr *sentinel = (st_fdr *)&sentinel, *out = sentinel;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_alpha) / sizeof(bad_alpha[0]); i++) {
		print_message("alpha = %g\n", bad_alpha[i]);
		assert_fails(st_fdr_new(&out, ST_FDR_LORD_PP, bad_alpha[i], 0.01),
			     BG_EINVAL);
		assert_true(out == sentinel);
	}
	for (size_t i = 0; i < sizeof(bad_w0) / sizeof(bad_w0[0]); i++) {
		print_message("w0 = %g\n", bad_w0[i]);
		assert_fails(st_fdr_new(&out, ST_FDR_ALPHA_INVESTING, 0.05, bad_w0[i]),
			     BG_EINVAL);
		assert_true(out == sentinel);
	}
	assert_fails(st_fdr_new(&out, (st_fdr_method)2, 0.05, 0.025), BG_EINVAL);
	assert_true(out == sentinel);
	/* W0 = alpha is allowed */
	assert_ok(st_fdr_new(&out, ST_FDR_LORD_PP, 0.05, 0.05));
	st_fdr_free(out);
	st_fdr_free(NULL);
}

/* A bad p-value changes nothing: not the state, not the outputs. The state
 * is compared through what it decides: f, which saw the bad p-values, and a
 * twin that did not give the same levels and decisions on the same stream
 * (which a changed test count, rejection list or wealth would break). */
static void test_record_bad(void **state)
{
	const double bad_p[] = { -1e-12, 1.0 + 1e-12, NAN, INFINITY, -INFINITY };
	const st_fdr_method methods[] = { ST_FDR_LORD_PP, ST_FDR_ALPHA_INVESTING };

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		st_fdr *f = NULL, *twin = NULL;
		int r;

		assert_ok(st_fdr_new(&f, methods[m], 0.05, 0.025));
		assert_ok(st_fdr_new(&twin, methods[m], 0.05, 0.025));
		assert_ok(st_fdr_record(&r, NULL, f, 0.0));
		assert_ok(st_fdr_record(&r, NULL, twin, 0.0));
		for (size_t i = 0; i < sizeof(bad_p) / sizeof(bad_p[0]); i++) {
			double lv = SENTINEL, level_before = st_fdr_level(f);
			int rej = -7;

			print_message("p = %g\n", bad_p[i]);
			assert_fails(st_fdr_record(&rej, &lv, f, bad_p[i]), BG_EDOMAIN);
			assert_true(rej == -7 && lv == SENTINEL);
			assert_true(st_fdr_level(f) == level_before);
		}
		for (int t = 0; t < 20; t++) {
			double p = t % 3 == 0 ? 0.0 : 0.5, lf, lt;
			int rf, rt;

			assert_ok(st_fdr_record(&rf, &lf, f, p));
			assert_ok(st_fdr_record(&rt, &lt, twin, p));
			assert_int_equal(rf, rt);
			assert_memory_equal(&lf, &lt, sizeof(double));
		}
		st_fdr_free(f);
		st_fdr_free(twin);
	}
}

/* ---- Holm ---------------------------------------------------------------- */

typedef int (*adjust_fn)(double *, int *, const double *, size_t, double);

static void check_adjust(const cJSON *c, adjust_fn fn, const char *adj_key,
			 const char *rej_key, int *rej_out)
{
	size_t n, n_adj;
	double *p = bg_fx_get_doubles(c, "p", &n);
	double *want = bg_fx_get_doubles(c, adj_key, &n_adj);
	const cJSON *want_rej = cJSON_GetObjectItemCaseSensitive(c, rej_key);
	double *before = malloc(n * sizeof(*before)), *adj = malloc(n * sizeof(*adj));

	assert_non_null(before);
	assert_non_null(adj);
	assert_int_equal(n_adj, n);
	assert_int_equal(cJSON_GetArraySize(want_rej), n);
	memcpy(before, p, n * sizeof(*p));
	assert_ok(fn(adj, rej_out, p, n, bg_fx_get_num(c, "alpha")));
	for (size_t i = 0; i < n; i++) {
		bg_fx_assert_near(adj[i], want[i], REL_TOL, 0.0);
		assert_int_equal(rej_out[i], cJSON_GetArrayItem(want_rej, (int)i)->valueint);
		assert_true(adj[i] >= p[i] && adj[i] <= 1.0);
	}
	assert_memory_equal(before, p, n * sizeof(*p));
	free(before);
	free(adj);
	free(p);
	free(want);
}

static void test_multitest_case(void **state)
{
	const cJSON *c = *state;
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "p"));
	int *holm = malloc((size_t)n * sizeof(int));

	assert_non_null(holm);
	check_adjust(c, st_fdr_holm, "holm_adj", "holm_reject", holm);
	free(holm);
}

static void test_multitest_bad(void **state)
{
	const adjust_fn fns[] = { st_fdr_holm };
	const double bad_p[] = { -0.1, 1.1, NAN, INFINITY };
	const double bad_alpha[] = { 0.0, 1.0, NAN, -0.5 };

	(void)state;
	for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++) {
		double p[4] = { 0.01, 0.2, 0.03, 0.5 };
		double adj[4] = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
		int rej[4] = { -7, -7, -7, -7 };

		assert_fails(fns[k](adj, rej, p, 0, 0.05), BG_EDOMAIN);
		for (size_t i = 0; i < sizeof(bad_p) / sizeof(bad_p[0]); i++) {
			p[2] = bad_p[i];
			assert_fails(fns[k](adj, rej, p, 4, 0.05), BG_EDOMAIN);
		}
		p[2] = 0.03;
		for (size_t i = 0; i < sizeof(bad_alpha) / sizeof(bad_alpha[0]); i++)
			assert_fails(fns[k](adj, rej, p, 4, bad_alpha[i]), BG_EINVAL);
		for (size_t i = 0; i < 4; i++)
			assert_true(adj[i] == SENTINEL && rej[i] == -7);
		/* the closed ends are fine */
		p[0] = 0.0;
		p[3] = 1.0;
		assert_ok(fns[k](adj, rej, p, 4, 0.05));
		assert_true(adj[0] == 0.0 && rej[0] == 1 && adj[3] == 1.0 && rej[3] == 0);
	}
}

/* ---- simulation -------------------------------------------------------------- */

#define SIM_CAMPAIGNS 200
#define SIM_TESTS 200
#define SIM_SIGNAL_SHARE 0.1
#define SIM_MU 3.0

/* 200 campaigns of 200 experiments, each a true effect with probability
 * 0.1, its p-value one-sided 1 - Phi(Z + 3) (power ~0.6 at level 0.003,
 * ~0.25 at 1e-4: modest). The realised FDR (mean over campaigns of
 * V / max(R, 1)) must be <= alpha plus 3 Monte Carlo standard errors of
 * that mean (from the FDPs' own sd); and at least 10% of the effects must
 * be found, so a procedure that never rejects cannot pass. Testing every
 * experiment at 0.05 instead would give an FDR near 0.3. */
static void run_campaigns(st_fdr_method method, double alpha, gsl_rng *r)
{
	double sum = 0.0, sumsq = 0.0, mean, se;
	size_t found = 0, effects = 0;

	for (int c = 0; c < SIM_CAMPAIGNS; c++) {
		st_fdr *f = NULL;
		size_t v = 0, rr = 0;
		double fdp;

		assert_ok(st_fdr_new(&f, method, alpha, ST_FDR_W0_SHARE * alpha));
		for (int t = 0; t < SIM_TESTS; t++) {
			int signal = gsl_rng_uniform(r) < SIM_SIGNAL_SHARE, rej;
			double z = gsl_ran_gaussian(r, 1.0) + (signal ? SIM_MU : 0.0);

			assert_ok(st_fdr_record(&rej, NULL, f, gsl_cdf_ugaussian_Q(z)));
			effects += (size_t)signal;
			rr += (size_t)rej;
			v += (size_t)(rej && !signal);
			found += (size_t)(rej && signal);
		}
		fdp = rr ? (double)v / (double)rr : 0.0;
		sum += fdp;
		sumsq += fdp * fdp;
		st_fdr_free(f);
	}
	mean = sum / SIM_CAMPAIGNS;
	se = sqrt(fmax(0.0, sumsq / SIM_CAMPAIGNS - mean * mean) /
		  (SIM_CAMPAIGNS - 1));
	print_message("%s: realised FDR %.4f (se %.4f), found %zu of %zu effects\n",
		      method == ST_FDR_LORD_PP ? "lord++" : "alpha-investing", mean, se,
		      found, effects);
	assert_true(mean <= alpha + 3.0 * se);
	assert_true((double)found >= 0.1 * (double)effects);
}

static void test_simulated_fdr(void **state)
{
	gsl_rng *r = rng_seeded(20240611UL);

	(void)state;
	run_campaigns(ST_FDR_LORD_PP, 0.05, r);
	run_campaigns(ST_FDR_ALPHA_INVESTING, 0.05, r);
	run_campaigns(ST_FDR_LORD_PP, 0.1, r);
	gsl_rng_free(r);
}

/* ---- main ------------------------------------------------------------------ */

/* One test per element of root[key], named "<prefix>/<case name>". */
static int add_cases(struct CMUnitTest *tests, size_t *nt, const cJSON *root,
		     const char *key, const char *prefix, CMUnitTestFunction fn)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, key)) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		char *label;

		if (!cJSON_IsString(name) ||
		    asprintf(&label, "%s/%s", prefix, name->valuestring) < 0)
			return -1;
		tests[*nt].name = label;
		tests[*nt].test_func = fn;
		tests[*nt].initial_state = (void *)c;
		(*nt)++;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_gamma),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_lord_formula),
		cmocka_unit_test(test_new_bad),
		cmocka_unit_test(test_record_bad),
		cmocka_unit_test(test_multitest_bad),
		cmocka_unit_test(test_simulated_fdr),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	cJSON *root = bg_test_load_json(FIXTURE_FILE);
	struct CMUnitTest *tests = NULL;
	size_t nt = 0, ncase;
	int failed = 1;

	gsl_set_error_handler_off();
	if (!root || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "online")) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "multitest"))) {
		fprintf(stderr, "test_fdr: cannot read %s with \"online\" and "
			"\"multitest\" arrays (regenerate it with /usr/bin/python3 "
			"scripts/fixtures_fdr.py)\n", FIXTURE_FILE);
		goto cleanup;
	}
	ncase = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "online")) +
		(size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "multitest"));
	if (!(tests = calloc(ncase + nfixed, sizeof(*tests))))
		goto cleanup;
	if (add_cases(tests, &nt, root, "online", "online", test_online_case) < 0 ||
	    add_cases(tests, &nt, root, "multitest", "multitest",
		      test_multitest_case) < 0)
		goto cleanup;
	ncase = nt;
	for (size_t j = 0; j < nfixed; j++) {
		tests[nt] = fixed[j];
		tests[nt].initial_state = root;
		nt++;
	}
	failed = _cmocka_run_group_tests("fdr", tests, nt, NULL, NULL);
	nt = ncase;
cleanup:
	for (size_t i = 0; tests && i < nt; i++)
		free((char *)tests[i].name);
	free(tests);
	cJSON_Delete(root);
	return failed;
}
