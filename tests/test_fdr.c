/* test_fdr: online FDR control (LORD++, alpha-investing) and the Holm and
 * Benjamini-Hochberg adjustments of st_fdr.h.
 *
 * References (tests/fixtures/fdr_reference.json, written once by
 * scripts/fixtures_fdr.py with Debian's python3):
 *   - LORD++ and alpha-investing levels, decisions and wealth on fixed
 *     p-value streams, from an independent Python implementation of the
 *     papers' formulas: to 1e-12 relative (both sides do the same few double
 *     operations, so they agree to the last bits; 1e-12 still catches a
 *     gamma index off by one, which moves a level by >= 1e-4 relative).
 *   - Holm and BH adjusted p-values and decisions: statsmodels'
 *     multipletests, to 1e-12.
 * Plus: the cJSON round trip of an exported state, the boundary p = level,
 * bad input, and a small simulation of the realised FDR.
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
/* Levels and wealth that a W/(1+W) cap drained to rounding residue (~1e-16)
 * are compared absolutely; every other level in the fixture is >= 2.5e-7. */
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
	size_t n, n_lv, n_w;
	double *p = bg_fx_get_doubles(c, "p", &n);
	double *levels = bg_fx_get_doubles(c, "levels", &n_lv);
	double *wealth = bg_fx_get_doubles(c, "wealth", &n_w);
	const cJSON *rej = cJSON_GetObjectItemCaseSensitive(c, "rejected");
	size_t n_rej = 0;

	assert_true(n_lv == n && n_w == n);
	assert_int_equal(cJSON_GetArraySize(rej), n);
	assert_ok(st_fdr_new(&f, method_of(str(c, "method")), bg_fx_get_num(c, "alpha"),
			     bg_fx_get_num(c, "w0")));
	for (size_t t = 0; t < n; t++) {
		double before = st_fdr_level(f), level = SENTINEL;
		int r = -1, want = cJSON_GetArrayItem(rej, (int)t)->valueint;
		st_fdr_state st;

		assert_ok(st_fdr_record(&r, &level, f, p[t]));
		if (fabs(level - levels[t]) > REL_TOL * levels[t] + ABS_FLOOR ||
		    r != want)
			print_error("at test %zu (p = %.17g):\n", t + 1, p[t]);
		assert_true(level == before);
		bg_fx_assert_near(level, levels[t], REL_TOL, ABS_FLOOR);
		assert_int_equal(r, want);
		assert_true(level <= bg_fx_get_num(c, "alpha"));
		st_fdr_state_get(&st, f);
		assert_int_equal(st.n_tests, t + 1);
		n_rej += (size_t)r;
		assert_int_equal(st.n_rejects, n_rej);
		if (r)
			assert_int_equal(st.reject_times[n_rej - 1], t + 1);
		bg_fx_assert_near(st.wealth, wealth[t], REL_TOL, ABS_FLOOR);
		assert_true(st.wealth >= 0.0);
	}
	st_fdr_free(f);
	free(p);
	free(levels);
	free(wealth);
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

/* ---- state export / import ------------------------------------------------ */

/* The stream both sides of a round trip see: 10% strong signals. */
static double stream_p(gsl_rng *r)
{
	double z = gsl_ran_gaussian(r, 1.0);

	if (gsl_rng_uniform(r) < 0.1)
		z += 5.0;
	return gsl_cdf_ugaussian_Q(z);
}

/* The plain fields as a JSON object, as the loop module would write them. */
static cJSON *state_to_json(const st_fdr_state *st)
{
	cJSON *o = cJSON_CreateObject(), *times;

	assert_non_null(o);
	assert_non_null(cJSON_AddStringToObject(o, "method",
						st_fdr_method_name(st->method)));
	assert_non_null(cJSON_AddNumberToObject(o, "alpha", st->alpha));
	assert_non_null(cJSON_AddNumberToObject(o, "w0", st->w0));
	assert_non_null(cJSON_AddNumberToObject(o, "n_tests", (double)st->n_tests));
	assert_non_null(cJSON_AddNumberToObject(o, "wealth", st->wealth));
	assert_non_null(times = cJSON_AddArrayToObject(o, "reject_times"));
	for (size_t j = 0; j < st->n_rejects; j++)
		assert_true(cJSON_AddItemToArray(times, cJSON_CreateNumber(
			(double)st->reject_times[j])));
	return o;
}

/* Reads the fields back; *times is allocated (caller frees). */
static void state_from_json(st_fdr_state *st, size_t **times, const cJSON *o)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "reject_times"), *e;
	size_t j = 0;

	st->method = method_of(str(o, "method"));
	st->alpha = bg_fx_get_num(o, "alpha");
	st->w0 = bg_fx_get_num(o, "w0");
	st->n_tests = (size_t)bg_fx_get_num(o, "n_tests");
	st->wealth = bg_fx_get_num(o, "wealth");
	st->n_rejects = (size_t)cJSON_GetArraySize(a);
	*times = malloc((st->n_rejects ? st->n_rejects : 1) * sizeof(**times));
	assert_non_null(*times);
	cJSON_ArrayForEach(e, a)
		(*times)[j++] = (size_t)e->valuedouble;
	st->reject_times = *times;
}

static void assert_same_state(const st_fdr *a, const st_fdr *b)
{
	st_fdr_state sa, sb;

	st_fdr_state_get(&sa, a);
	st_fdr_state_get(&sb, b);
	assert_int_equal(sa.method, sb.method);
	assert_memory_equal(&sa.alpha, &sb.alpha, sizeof(double));
	assert_memory_equal(&sa.w0, &sb.w0, sizeof(double));
	assert_memory_equal(&sa.wealth, &sb.wealth, sizeof(double));
	assert_int_equal(sa.n_tests, sb.n_tests);
	assert_int_equal(sa.n_rejects, sb.n_rejects);
	if (sa.n_rejects)
		assert_memory_equal(sa.reject_times, sb.reject_times,
				    sa.n_rejects * sizeof(size_t));
	assert_memory_equal(&(double){ st_fdr_level(a) },
			    &(double){ st_fdr_level(b) }, sizeof(double));
}

/* Export after 150 tests, write as JSON text with cJSON, parse, import: the
 * same state bit for bit, and the two copies decide the next 100 tests
 * identically. The alpha and wealth chosen have no short decimal form. */
static void test_state_roundtrip(void **state)
{
	const st_fdr_method methods[] = { ST_FDR_LORD_PP, ST_FDR_ALPHA_INVESTING };

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		st_fdr *f = NULL, *g = NULL;
		gsl_rng *r = rng_seeded(4242 + m);
		st_fdr_state st, back;
		size_t *times = NULL;
		cJSON *json, *parsed;
		char *text;
		int rej;

		assert_ok(st_fdr_new(&f, methods[m], 0.05 / 3.0, 0.05 / 7.0));
		for (int t = 0; t < 150; t++)
			assert_ok(st_fdr_record(&rej, NULL, f, stream_p(r)));
		st_fdr_state_get(&st, f);
		assert_true(st.n_rejects >= 3);
		json = state_to_json(&st);
		assert_non_null(text = cJSON_PrintUnformatted(json));
		assert_non_null(parsed = cJSON_Parse(text));
		state_from_json(&back, &times, parsed);
		assert_ok(st_fdr_from_state(&g, &back));
		assert_same_state(f, g);
		for (int t = 0; t < 100; t++) {
			double p = stream_p(r), lf, lg;
			int rf, rg;

			assert_ok(st_fdr_record(&rf, &lf, f, p));
			assert_ok(st_fdr_record(&rg, &lg, g, p));
			assert_int_equal(rf, rg);
			assert_memory_equal(&lf, &lg, sizeof(double));
		}
		assert_same_state(f, g);
		free(times);
		cJSON_free(text);
		cJSON_Delete(json);
		cJSON_Delete(parsed);
		st_fdr_free(f);
		st_fdr_free(g);
		gsl_rng_free(r);
	}
}

/* A fresh procedure's state imports as itself (no tests, no times). */
static void test_state_empty(void **state)
{
	st_fdr *f = NULL, *g = NULL;
	st_fdr_state st;

	(void)state;
	assert_ok(st_fdr_new(&f, ST_FDR_LORD_PP, 0.05, 0.025));
	st_fdr_state_get(&st, f);
	assert_int_equal(st.n_tests, 0);
	assert_int_equal(st.n_rejects, 0);
	assert_true(st.wealth == 0.025);
	st.reject_times = NULL;
	assert_ok(st_fdr_from_state(&g, &st));
	assert_same_state(f, g);
	st_fdr_free(f);
	st_fdr_free(g);
}

static void assert_import_fails(const st_fdr_state *st, int code)
{
	st_fdr *sentinel = (st_fdr *)&sentinel, *out = sentinel;

	assert_fails(st_fdr_from_state(&out, st), code);
	assert_true(out == sentinel);
}

static void test_state_bad(void **state)
{
	st_fdr *f = NULL;
	st_fdr_state good, st;
	size_t times[8];
	int r;

	(void)state;
	assert_ok(st_fdr_new(&f, ST_FDR_ALPHA_INVESTING, 0.05, 0.025));
	/* rejections at 2 and 4 of 6 */
	for (int t = 1; t <= 6; t++)
		assert_ok(st_fdr_record(&r, NULL, f, t == 2 || t == 4 ? 0.0 : 0.9));
	st_fdr_state_get(&good, f);
	assert_int_equal(good.n_rejects, 2);
	memcpy(times, good.reject_times, 2 * sizeof(size_t));
	good.reject_times = times;

	st = good; times[0] = 0;                           /* time 0 */
	assert_import_fails(&st, BG_EINVAL);
	times[0] = 4;                                      /* not increasing */
	assert_import_fails(&st, BG_EINVAL);
	times[0] = 2; times[1] = 7;                        /* after n_tests */
	assert_import_fails(&st, BG_EINVAL);
	times[1] = 4;
	st.reject_times = NULL;                            /* missing */
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.n_tests = 1;                         /* more rejections than tests */
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.wealth += 1e-9;                      /* edited wealth */
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.wealth = NAN;
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.reject_times = (size_t[]){ 3, 4 };   /* other history */
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.alpha = 1.0;
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.w0 = 0.06;
	assert_import_fails(&st, BG_EINVAL);
	st = good; st.method = (st_fdr_method)7;
	assert_import_fails(&st, BG_EINVAL);
	st = good;                                         /* and the good one works */
	{
		st_fdr *g = NULL;

		assert_ok(st_fdr_from_state(&g, &st));
		assert_same_state(f, g);
		st_fdr_free(g);
	}
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
	assert_string_equal(st_fdr_method_name(ST_FDR_LORD_PP), "lord++");
	assert_string_equal(st_fdr_method_name(ST_FDR_ALPHA_INVESTING),
			    "alpha-investing");
	assert_string_equal(st_fdr_method_name((st_fdr_method)9), "unknown");
}

/* A bad p-value changes nothing: not the state, not the outputs. */
static void test_record_bad(void **state)
{
	const double bad_p[] = { -1e-12, 1.0 + 1e-12, NAN, INFINITY, -INFINITY };
	st_fdr *f = NULL;
	int r;

	(void)state;
	assert_ok(st_fdr_new(&f, ST_FDR_LORD_PP, 0.05, 0.025));
	assert_ok(st_fdr_record(&r, NULL, f, 0.0));
	for (size_t i = 0; i < sizeof(bad_p) / sizeof(bad_p[0]); i++) {
		st_fdr_state before, after;
		double lv = SENTINEL, level_before = st_fdr_level(f);
		int rej = -7;

		print_message("p = %g\n", bad_p[i]);
		st_fdr_state_get(&before, f);
		assert_fails(st_fdr_record(&rej, &lv, f, bad_p[i]), BG_EDOMAIN);
		st_fdr_state_get(&after, f);
		assert_true(rej == -7 && lv == SENTINEL);
		assert_int_equal(after.n_tests, before.n_tests);
		assert_int_equal(after.n_rejects, before.n_rejects);
		assert_true(after.wealth == before.wealth);
		assert_true(st_fdr_level(f) == level_before);
	}
	st_fdr_free(f);
}

/* ---- Holm and BH ---------------------------------------------------------- */

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
	int *holm = malloc((size_t)n * sizeof(int)), *bh = malloc((size_t)n * sizeof(int));

	assert_non_null(holm);
	assert_non_null(bh);
	check_adjust(c, st_fdr_holm, "holm_adj", "holm_reject", holm);
	check_adjust(c, st_fdr_bh, "bh_adj", "bh_reject", bh);
	/* FWER control is the stricter: whatever Holm rejects, BH rejects. */
	for (int i = 0; i < n; i++)
		assert_true(!holm[i] || bh[i]);
	free(holm);
	free(bh);
}

static void test_multitest_bad(void **state)
{
	const adjust_fn fns[] = { st_fdr_holm, st_fdr_bh };
	const double bad_p[] = { -0.1, 1.1, NAN, INFINITY };
	const double bad_alpha[] = { 0.0, 1.0, NAN, -0.5 };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
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
		      st_fdr_method_name(method), mean, se, found, effects);
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
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_state_empty),
		cmocka_unit_test(test_state_bad),
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
