/* test_st_calib: the statistics of `benchgate calibrate` (stats/st_calib) —
 * reference values from SciPy/numpy/statsmodels (scripts/fixtures_calib.py,
 * tests/fixtures/calib_reference.json), the screened rule against the plain
 * look-every-round loop, and what the simulations must show: A/A decisions
 * keep alpha, real gains are found, MDEs shrink with time and grow with
 * noise. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "st_calib.h"
#include "st_cs.h"
#include "st_effect.h"

#define FIXTURE BG_TEST_FIXTURES "/calib_reference.json"
#define SCRIPT "scripts/fixtures_calib.py"

static cJSON *ref;

static int load_ref(void **state)
{
	(void)state;
	gsl_set_error_handler_off();
	ref = bg_fx_load_json(FIXTURE, SCRIPT);
	return ref ? 0 : -1;
}

static int free_ref(void **state)
{
	(void)state;
	cJSON_Delete(ref);
	return 0;
}

static const cJSON *section(const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(ref, key);

	assert_true(cJSON_IsArray(s) && cJSON_GetArraySize(s) > 0);
	return s;
}

static st_rule default_rule(size_t max_rounds)
{
	st_rule r = st_rule_make(0.05, 0.01, 1);

	r.min_rounds = 5;
	r.max_rounds = max_rounds;
	return r;
}

static gsl_rng *rng_new(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);

	assert_non_null(r);
	gsl_rng_set(r, seed);
	return r;
}

static double *normal(gsl_rng *rng, size_t n, double mu, double sd)
{
	double *x = malloc(n * sizeof(*x));

	assert_non_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = mu + gsl_ran_gaussian(rng, sd);
	return x;
}

/* ---- reference values ---- */

static void binom_ci_matches_scipy(void **state)
{
	const cJSON *c;

	(void)state;
	cJSON_ArrayForEach(c, section("binom_ci")) {
		double lo, hi;
		size_t k, n;
		assert_int_equal(bg_fx_size(&k, c, "k", "binom_ci"), 0);
		assert_int_equal(bg_fx_size(&n, c, "n", "binom_ci"), 0);
		assert_ok(st_calib_binom_ci(&lo, &hi, k, n, bg_fx_get_num(c, "level")));
		bg_fx_assert_near(lo, bg_fx_get_num(c, "lo"), 1e-9, 1e-14);
		bg_fx_assert_near(hi, bg_fx_get_num(c, "hi"), 1e-9, 1e-14);
	}
}

static void binom_ci_rejects_bad_input(void **state)
{
	double lo = -1, hi = -1;

	(void)state;
	assert_fails(st_calib_binom_ci(&lo, &hi, 3, 0, 0.95), BG_EINVAL);
	assert_fails(st_calib_binom_ci(&lo, &hi, 4, 3, 0.95), BG_EINVAL);
	assert_fails(st_calib_binom_ci(&lo, &hi, 1, 3, 1.0), BG_EINVAL);
	assert_true(lo == -1 && hi == -1);
}

static void drift_matches_polyfit(void **state)
{
	const cJSON *c;

	(void)state;
	cJSON_ArrayForEach(c, section("drift")) {
		size_t nt, ny;
		double *t = bg_fx_get_doubles(c, "t", &nt), *y = bg_fx_get_doubles(c, "y", &ny), v;
		assert_int_equal(nt, ny);
		assert_ok(st_calib_drift(&v, t, y, nt));
		bg_fx_assert_near(v, bg_fx_get_num(c, "pct_per_unit"), 1e-8, 1e-10);
		free(t);
		free(y);
	}
}

static void drift_rejects_what_has_no_slope(void **state)
{
	double t[3] = { 1, 1, 1 }, y[3] = { 1, 2, 3 }, z[3] = { -1, 0, 1 }, s[3] = { 0, 1, 2 }, v = 7;

	(void)state;
	assert_fails(st_calib_drift(&v, t, y, 3), BG_EDOMAIN);  /* one time */
	assert_fails(st_calib_drift(&v, s, z, 3), BG_EDOMAIN);  /* mean 0 */
	assert_fails(st_calib_drift(&v, s, y, 2), BG_EDOMAIN);  /* too few */
	assert_true(v == 7);
	assert_ok(st_calib_drift(&v, s, y, 3));
	bg_fx_assert_within(v, 50.0, 1e-12); /* slope 1 over a mean of 2 */
}

static void outlier_share_matches_numpy(void **state)
{
	const cJSON *c;

	(void)state;
	cJSON_ArrayForEach(c, section("outliers")) {
		size_t n;
		double *x = bg_fx_get_doubles(c, "x", &n), v;
		assert_ok(st_calib_outlier_share(&v, x, n));
		bg_fx_assert_within(v, bg_fx_get_num(c, "share"), 1e-15);
		free(x);
	}
}

static void rule_matches_the_reference(void **state)
{
	const cJSON *c;

	(void)state;
	cJSON_ArrayForEach(c, section("rule")) {
		size_t n, rounds, min_rounds;
		double *d = bg_fx_get_doubles(c, "d", &n);
		const cJSON *lower = cJSON_GetObjectItemCaseSensitive(c, "lower_is_better");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "verdict");
		st_rule r;
		st_calib_decision dec;
		assert_int_equal(bg_fx_size(&min_rounds, c, "min_rounds", "rule"), 0);
		assert_int_equal(bg_fx_size(&rounds, c, "rounds", "rule"), 0);
		r = (st_rule){ bg_fx_get_num(c, "alpha"), bg_fx_get_num(c, "rho"),
			       bg_fx_get_num(c, "min_effect"), cJSON_IsTrue(lower),
			       (unsigned)min_rounds, n, 0 };
		assert_ok(st_calib_decide(&dec, d, n, &r));
		assert_string_equal(st_verdict_name(dec.verdict), v->valuestring);
		assert_int_equal(dec.rounds, rounds);
		bg_fx_assert_near(dec.cs.estimate, bg_fx_get_num(c, "estimate"), 1e-12, 1e-15);
		free(d);
	}
}

/* ---- the screened rule is the rule ---- */

/* The rule as lp_measure.c applies it: a full look after every round. */
static st_verdict plain_rule(size_t *rounds, const double *d, size_t n, const st_rule *r)
{
	st_cs_state s;
	st_rule_look l;

	st_cs_init(&s, r->rho);
	for (size_t t = 1; t <= n && t <= r->max_rounds; t++) {
		st_cs_push(&s, d[t - 1]);
		*rounds = t;
		assert_ok(st_rule_look_at(&l, &s, r));
		if (t >= r->min_rounds && l.verdict != ST_INCONCLUSIVE)
			return l.verdict;
	}
	return ST_INCONCLUSIVE;
}

static void screened_rule_equals_every_look(void **state)
{
	gsl_rng *rng = rng_new(7);
	st_rule r = default_rule(600);
	size_t decided = 0;

	(void)state;
	for (int it = 0; it < 400; it++) {
		double sd = 0.001 * pow(10.0, 2.5 * gsl_rng_uniform(rng));
		double mu = (gsl_rng_uniform(rng) - 0.5) * 0.4 * gsl_rng_uniform(rng);
		double *d = normal(rng, 600, mu, sd);
		st_calib_decision dec;
		size_t rounds = 0;
		st_verdict v;
		r.min_effect = it % 5 == 0 ? 0.0 : 0.03 * gsl_rng_uniform(rng);
		r.lower_is_better = it % 2;
		r.min_rounds = 1 + (unsigned)(it % 7);
		r.alpha = it % 3 == 0 ? 0.001 : 0.05;
		r.max_rounds = it % 4 == 0 ? 50 : 600;
		v = plain_rule(&rounds, d, 600, &r);
		assert_ok(st_calib_decide(&dec, d, 600, &r));
		if (v != dec.verdict || rounds != dec.rounds)
			fail_msg("case %d: every look says %s at %zu, the screened rule %s at %zu", it,
				 st_verdict_name(v), rounds, st_verdict_name(dec.verdict), dec.rounds);
		decided += v != ST_INCONCLUSIVE;
		free(d);
	}
	assert_true(decided > 100 && decided < 400); /* both kinds were tried */
	gsl_rng_free(rng);
}

static void decide_before_min_rounds_is_inconclusive(void **state)
{
	double d[4] = { -0.5, -0.5, -0.5, -0.5 };
	st_rule r = default_rule(100);
	st_calib_decision dec;

	(void)state;
	assert_ok(st_calib_decide(&dec, d, 4, &r));
	assert_int_equal(dec.verdict, ST_INCONCLUSIVE);
	assert_int_equal(dec.rounds, 4);
	bg_fx_assert_within(dec.cs.estimate, -0.5, 1e-15);
	r.max_rounds = 0;
	assert_fails(st_calib_decide(&dec, d, 4, &r), BG_EINVAL);
	r = default_rule(100);
	d[2] = NAN;
	assert_fails(st_calib_decide(&dec, d, 4, &r), BG_EDOMAIN);
	assert_fails(st_calib_decide(&dec, d, 0, &r), BG_EDOMAIN);
}

/* ---- simulations ---- */

static void null_sim_keeps_alpha_on_symmetric_noise(void **state)
{
	gsl_rng *rng = rng_new(11);
	double *d = normal(rng, 300, 0.0, 0.03);
	const double *dd[1] = { d };
	size_t n[1] = { 300 };
	st_calib_source src = { 1, dd, n, NULL };
	st_rule r = default_rule(500);
	st_calib_fp fp;
	double lo, hi;

	(void)state;
	assert_ok(st_calib_null_sim(&fp, &src, &r, 2000, rng));
	assert_int_equal(fp.sequences, 2000);
	assert_int_equal(fp.improved + fp.regressed + fp.no_change + fp.inconclusive, 2000);
	assert_int_equal(fp.calls, fp.improved + fp.regressed);
	assert_true(fp.rate <= r.alpha);
	assert_true(fp.lo <= r.alpha);
	assert_true(fp.no_change > 1000);  /* sd 3%: the band of 1% is reached */
	assert_true(fp.mean_rounds > 5 && fp.mean_rounds <= 500);
	assert_ok(st_calib_binom_ci(&lo, &hi, fp.calls, 2000, 0.95));
	assert_true(lo == fp.lo && hi == fp.hi);
	/* Without a band, only calls and INCONCLUSIVE remain; still <= alpha. */
	r.min_effect = 0.0;
	assert_ok(st_calib_null_sim(&fp, &src, &r, 1000, rng));
	assert_int_equal(fp.no_change, 0);
	assert_true(fp.lo <= r.alpha);
	free(d);
	gsl_rng_free(rng);
}

static void null_sim_keeps_alpha_on_skewed_heavy_data(void **state)
{
	gsl_rng *rng = rng_new(12);
	double d[400];
	const double *dd[1] = { d };
	size_t n[1] = { 400 };
	st_calib_source src = { 1, dd, n, NULL };
	st_rule r = default_rule(400);
	st_calib_fp fp;

	(void)state;
	/* All positive, skewed, heavy-tailed: the random signs make the null. */
	for (size_t i = 0; i < 400; i++)
		d[i] = 0.01 * fabs(gsl_ran_tdist(rng, 2.0)) + 0.005;
	r.min_effect = 0.0;
	assert_ok(st_calib_null_sim(&fp, &src, &r, 1500, rng));
	assert_true(fp.lo <= r.alpha);
	assert_true(fp.calls > 0 || fp.inconclusive == 1500);
	gsl_rng_free(rng);
}

static void detect_finds_a_clear_gain(void **state)
{
	gsl_rng *rng = rng_new(13);
	double *d = normal(rng, 300, 0.0, 0.03);
	const double *dd[1] = { d };
	size_t n[1] = { 300 }, rounds[500], hit = 0, none = 0;
	st_calib_source src = { 1, dd, n, NULL };
	st_rule r = default_rule(200);

	(void)state;
	assert_ok(st_calib_detect(rounds, &src, 0.05, &r, 500, rng));
	for (size_t i = 0; i < 500; i++) {
		if (rounds[i] != ST_CALIB_NEVER) {
			assert_true(rounds[i] >= r.min_rounds && rounds[i] <= 200);
			hit++;
		}
	}
	assert_true(hit >= 475);
	/* The same for a higher-is-better metric: the shift is mirrored. */
	r.lower_is_better = 0;
	assert_ok(st_calib_detect(rounds, &src, 0.05, &r, 500, rng));
	hit = 0;
	for (size_t i = 0; i < 500; i++)
		hit += rounds[i] != ST_CALIB_NEVER;
	assert_true(hit >= 475);
	/* No effect: a gain is called at most about alpha / 2 of the time. */
	r.lower_is_better = 1;
	assert_ok(st_calib_detect(rounds, &src, 0.0, &r, 500, rng));
	for (size_t i = 0; i < 500; i++)
		none += rounds[i] != ST_CALIB_NEVER;
	assert_true(none <= 25);
	assert_fails(st_calib_detect(rounds, &src, 1.0, &r, 500, rng), BG_EINVAL);
	free(d);
	gsl_rng_free(rng);
}

static double mde_of(const double *d, size_t n, size_t max_rounds, double min_effect, unsigned long seed)
{
	const double *dd[1] = { d };
	size_t nn[1] = { n };
	st_calib_source src = { 1, dd, nn, NULL };
	st_rule r = default_rule(max_rounds);
	gsl_rng *rng = rng_new(seed);
	double e = NAN;

	r.min_effect = min_effect;
	assert_ok(st_calib_mde(&e, &src, &r, 0.8, 400, rng));
	gsl_rng_free(rng);
	return e;
}

static void mde_shrinks_with_time_and_grows_with_noise(void **state)
{
	gsl_rng *rng = rng_new(14);
	double *d = normal(rng, 400, 0.0, 0.02), *d3 = malloc(400 * sizeof(*d3));
	double m20, m100, m1000, m100x3, t100;

	(void)state;
	assert_non_null(d3);
	for (size_t i = 0; i < 400; i++)
		d3[i] = 3.0 * d[i];
	m20 = mde_of(d, 400, 20, 0.0, 1);
	m100 = mde_of(d, 400, 100, 0.0, 1);
	m1000 = mde_of(d, 400, 1000, 0.0, 1);
	m100x3 = mde_of(d3, 400, 100, 0.0, 1);
	assert_true(m20 > m100 && m100 > m1000);
	assert_true(m100x3 > 2.0 * m100 && m100x3 < 4.0 * m100);
	/* The sequence pays for looking every round: it needs a larger effect
	 * than a t-test run once at 100 rounds, but not wildly larger. */
	t100 = 0.00565823423922523; /* statsmodels TTestPower, n 100, sd 0.02, 0.05, 0.8 */
	assert_true(m100 > -expm1(-t100) && m100 < 3.0 * -expm1(-t100));
	/* With a band of 1%, nothing much below 1% is called IMPROVED. */
	assert_true(mde_of(d, 400, 1000, 0.01, 1) > 0.008);
	/* Deterministic for a seed. */
	assert_true(mde_of(d, 400, 100, 0.0, 1) == m100);
	free(d);
	free(d3);
	gsl_rng_free(rng);
}

static void mde_is_infinite_when_nothing_is_detected(void **state)
{
	gsl_rng *rng = rng_new(15);
	double *d = normal(rng, 100, 0.0, 2.0);

	(void)state;
	assert_true(isinf(mde_of(d, 100, 6, 0.01, 3)));
	free(d);
	gsl_rng_free(rng);
}

static void pooled_workloads_are_less_noisy(void **state)
{
	gsl_rng *rng = rng_new(16), *r1 = rng_new(5), *r2 = rng_new(5);
	double *a = normal(rng, 300, 0.0, 0.04), zero[50] = { 0 }, e1, e2;
	const double *d1[1] = { a }, *d2[2] = { a, zero };
	size_t n1[1] = { 300 }, n2[2] = { 300, 50 };
	double w[2] = { 1.0, 1.0 };
	st_calib_source one = { 1, d1, n1, NULL }, two = { 2, d2, n2, w };
	st_rule r = default_rule(150);

	(void)state;
	r.min_effect = 0.0;
	assert_ok(st_calib_mde(&e1, &one, &r, 0.8, 400, r1));
	assert_ok(st_calib_mde(&e2, &two, &r, 0.8, 400, r2));
	/* Averaging with a noiseless workload halves the sd: about half the MDE. */
	assert_true(e2 < 0.7 * e1 && e2 > 0.35 * e1);
	w[1] = 0.0;
	assert_fails(st_calib_mde(&e2, &two, &r, 0.8, 400, r2), BG_EINVAL);
	free(a);
	gsl_rng_free(rng);
	gsl_rng_free(r1);
	gsl_rng_free(r2);
}

static void rounds_to_detect_is_the_power_quantile(void **state)
{
	gsl_rng *rng = rng_new(17), *again = rng_new(17);
	double *d = normal(rng, 300, 0.0, 0.03);
	const double *dd[1] = { d };
	size_t n[1] = { 300 }, r2, r5, rounds[400], below = 0;
	st_calib_source src = { 1, dd, n, NULL };
	st_rule r = default_rule(5000);

	(void)state;
	gsl_rng_set(rng, 99);
	gsl_rng_set(again, 99);
	assert_ok(st_calib_rounds_to_detect(&r2, &src, 0.02, &r, 0.8, 400, rng));
	assert_ok(st_calib_detect(rounds, &src, 0.02, &r, 400, again));
	for (size_t i = 0; i < 400; i++)
		below += rounds[i] <= r2;
	assert_true(below >= 320);          /* 80% detected by then */
	below = 0;
	for (size_t i = 0; i < 400; i++)
		below += rounds[i] < r2;
	assert_true(below < 320);           /* and not a round earlier */
	assert_ok(st_calib_rounds_to_detect(&r5, &src, 0.05, &r, 0.8, 400, rng));
	assert_true(r5 < r2);
	r.max_rounds = 3;                   /* below min_rounds: never */
	assert_ok(st_calib_rounds_to_detect(&r2, &src, 0.05, &r, 0.8, 400, rng));
	assert_true(r2 == ST_CALIB_NEVER);
	assert_fails(st_calib_rounds_to_detect(&r2, &src, 0.05, &r, 1.0, 400, rng), BG_EINVAL);
	free(d);
	gsl_rng_free(rng);
	gsl_rng_free(again);
}

static void simulations_reject_bad_sources(void **state)
{
	gsl_rng *rng = rng_new(18);
	double d[3] = { 0.01, NAN, -0.02 }, good[3] = { 0.01, 0.0, -0.02 };
	const double *dd[1] = { d }, *gd[1] = { good };
	size_t n[1] = { 3 }, one[1] = { 1 };
	st_calib_source bad = { 1, dd, n, NULL }, short1 = { 1, gd, one, NULL }, ok = { 1, gd, n, NULL };
	st_rule r = default_rule(50);
	st_calib_fp fp;

	(void)state;
	assert_fails(st_calib_null_sim(&fp, &bad, &r, 10, rng), BG_EDOMAIN);
	assert_fails(st_calib_null_sim(&fp, &short1, &r, 10, rng), BG_EINVAL);
	assert_fails(st_calib_null_sim(&fp, &ok, &r, 0, rng), BG_EINVAL);
	assert_fails(st_calib_null_sim(&fp, NULL, &r, 10, rng), BG_EINVAL);
	r.alpha = 1.5;
	assert_fails(st_calib_null_sim(&fp, &ok, &r, 10, rng), BG_EINVAL);
	gsl_rng_free(rng);
}

/* ---- change points ---- */

static void changepoints_find_a_warmup(void **state)
{
	gsl_rng *rng = rng_new(19);
	double x[120], flat[30];
	size_t first = 99, count = 99;

	(void)state;
	for (size_t i = 0; i < 120; i++)
		x[i] = (i < 30 ? 30.0 : 20.0) + gsl_ran_gaussian(rng, 0.5);
	assert_ok(st_calib_changepoints(&first, &count, x, 120));
	assert_int_equal(first, 30);
	assert_int_equal(count, 1);
	for (size_t i = 0; i < 30; i++)
		flat[i] = 5.0;
	assert_ok(st_calib_changepoints(&first, &count, flat, 30));
	assert_true(first == 0 && count == 0);
	assert_ok(st_calib_changepoints(&first, &count, x, 19)); /* too short */
	assert_true(first == 0 && count == 0);
	x[3] = INFINITY;
	assert_fails(st_calib_changepoints(&first, &count, x, 120), BG_EDOMAIN);
	gsl_rng_free(rng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binom_ci_matches_scipy),
		cmocka_unit_test(binom_ci_rejects_bad_input),
		cmocka_unit_test(drift_matches_polyfit),
		cmocka_unit_test(drift_rejects_what_has_no_slope),
		cmocka_unit_test(outlier_share_matches_numpy),
		cmocka_unit_test(rule_matches_the_reference),
		cmocka_unit_test(screened_rule_equals_every_look),
		cmocka_unit_test(decide_before_min_rounds_is_inconclusive),
		cmocka_unit_test(null_sim_keeps_alpha_on_symmetric_noise),
		cmocka_unit_test(null_sim_keeps_alpha_on_skewed_heavy_data),
		cmocka_unit_test(detect_finds_a_clear_gain),
		cmocka_unit_test(mde_shrinks_with_time_and_grows_with_noise),
		cmocka_unit_test(mde_is_infinite_when_nothing_is_detected),
		cmocka_unit_test(pooled_workloads_are_less_noisy),
		cmocka_unit_test(rounds_to_detect_is_the_power_quantile),
		cmocka_unit_test(simulations_reject_bad_sources),
		cmocka_unit_test(changepoints_find_a_warmup),
	};

	return cmocka_run_group_tests(tests, load_ref, free_ref);
}
