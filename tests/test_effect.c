/* test_effect: the paired log-ratio effect and the verdict rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_test.h"
#include "st_boot.h"
#include "st_effect.h"

static void test_verdict_rule(void **state)
{
	(void)state;
	/* lower is better, min effect 1% */
	assert_int_equal(st_effect_verdict(0.90, 0.88, 0.92, 1, 0.01), ST_IMPROVED);
	assert_int_equal(st_effect_verdict(1.10, 1.08, 1.12, 1, 0.01), ST_REGRESSED);
	assert_int_equal(st_effect_verdict(1.00, 0.995, 1.005, 1, 0.01), ST_NO_CHANGE);
	assert_int_equal(st_effect_verdict(1.00, 0.95, 1.05, 1, 0.01), ST_INCONCLUSIVE);
	/* significant but smaller than the min effect, interval inside the band */
	assert_int_equal(st_effect_verdict(0.995, 0.992, 0.998, 1, 0.01), ST_NO_CHANGE);
	/* significant, estimate below min effect, interval leaves the band */
	assert_int_equal(st_effect_verdict(0.995, 0.985, 0.999, 1, 0.01), ST_INCONCLUSIVE);
	/* interval touches 1: not significant */
	assert_int_equal(st_effect_verdict(0.95, 0.90, 1.0, 1, 0.01), ST_INCONCLUSIVE);
	/* higher is better flips the sides */
	assert_int_equal(st_effect_verdict(0.90, 0.88, 0.92, 0, 0.01), ST_REGRESSED);
	assert_int_equal(st_effect_verdict(1.10, 1.08, 1.12, 0, 0.01), ST_IMPROVED);
	assert_string_equal(st_verdict_name(ST_NO_CHANGE), "NO_CHANGE");
	assert_string_equal(st_verdict_name(ST_INCONCLUSIVE), "INCONCLUSIVE");
}

static void test_exact_ratio(void **state)
{
	double a[5] = { 1, 2, 4, 8, 16 }, b[5];
	st_effect e;

	(void)state;
	/* Powers of two times 1.5: every log-difference is the same double, so
	 * the interval collapses and no RNG is needed. */
	for (int i = 0; i < 5; i++)
		b[i] = a[i] * 1.5;
	assert_int_equal(st_effect_paired(&e, a, b, 5, NULL, NULL), 0);
	assert_true(fabs(e.ratio - 1.5) < 1e-12);
	assert_true(fabs(e.lo - 1.5) < 1e-12 && fabs(e.hi - 1.5) < 1e-12);
	assert_true(e.p_value == 0.0);
	assert_int_equal(e.verdict, ST_REGRESSED);
	assert_int_equal(st_effect_paired(&e, a, a, 5, NULL, NULL), 0);
	assert_true(e.ratio == 1.0 && e.p_value == 1.0);
	assert_int_equal(e.verdict, ST_NO_CHANGE);
}

/* Geometric-mean ratio of noisy pairs: exp(mean(ln b - ln a)), computed
 * here independently, lies inside the interval; a 10% slowdown under 2%
 * noise over 40 pairs is REGRESSED, and IMPROVED when higher is better. */
static void test_noisy_pairs(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	double a[40], b[40], sum = 0;
	st_effect_opts o = ST_EFFECT_OPTS_INIT;
	st_effect e;

	(void)state;
	gsl_rng_set(rng, 2024);
	for (int i = 0; i < 40; i++) {
		a[i] = 0.02 * exp(gsl_ran_gaussian(rng, 0.02));
		b[i] = 0.022 * exp(gsl_ran_gaussian(rng, 0.02));
		sum += log(b[i]) - log(a[i]);
	}
	assert_int_equal(st_effect_paired(&e, a, b, 40, &o, rng), 0);
	assert_true(fabs(e.ratio - exp(sum / 40)) < 1e-12);
	assert_true(e.lo < e.ratio && e.ratio < e.hi);
	assert_true(e.lo > 1.05 && e.hi < 1.15);
	assert_true(e.p_value < 1e-10);
	assert_int_equal(e.n, 40);
	assert_int_equal(e.verdict, ST_REGRESSED);
	o.lower_is_better = 0;
	assert_int_equal(st_effect_paired(&e, a, b, 40, &o, rng), 0);
	assert_int_equal(e.verdict, ST_IMPROVED);
	gsl_rng_free(rng);
}

static void test_bad_input(void **state)
{
	double a[3] = { 1, 2, 3 }, b[3] = { 1, 0, 3 }, c[3] = { 1, NAN, 3 }, d[3] = { -1, 2, 3 };
	st_effect e = { .ratio = 42.0 };
	st_effect_opts o = ST_EFFECT_OPTS_INIT;

	(void)state;
	assert_int_equal(st_effect_paired(&e, a, b, 3, NULL, NULL), BG_EDOMAIN);
	assert_true(strstr(bg_error_last(), "positive") != NULL);
	assert_int_equal(st_effect_paired(&e, a, c, 3, NULL, NULL), BG_EDOMAIN);
	assert_int_equal(st_effect_paired(&e, d, a, 3, NULL, NULL), BG_EDOMAIN);
	assert_int_equal(st_effect_paired(&e, a, a, 1, NULL, NULL), BG_EDOMAIN);
	assert_int_equal(st_effect_paired(&e, a, a, 0, NULL, NULL), BG_EDOMAIN);
	o.min_effect = -0.1;
	assert_int_equal(st_effect_paired(&e, a, a, 3, &o, NULL), BG_EINVAL);
	assert_true(e.ratio == 42.0); /* untouched on failure */
}

/* Against scripts/fixtures_effect.py (SciPy): Hesterberg's expanded level,
 * and for paired samples the geometric-mean ratio and the t-test p-value. */
static void test_reference_values(void **state)
{
	cJSON *fx = bg_test_load_json(BG_TEST_FIXTURES "/effect_reference.json"), *c;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	int count = 0;

	(void)state;
	assert_non_null(fx);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(fx, "expanded_levels")) {
		double lv;
		assert_int_equal(st_boot_expanded_level(&lv, cJSON_GetObjectItem(c, "level")->valuedouble,
							(size_t)cJSON_GetObjectItem(c, "n")->valueint), 0);
		/* compared on the tail 1 - level, where the precision matters */
		bg_test_assert_close(1 - lv, 1 - cJSON_GetObjectItem(c, "expanded")->valuedouble, 1e-6,
				     1e-300, "1 - expanded level");
		count++;
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(fx, "pairs")) {
		cJSON *ja = cJSON_GetObjectItem(c, "a"), *jb = cJSON_GetObjectItem(c, "b");
		size_t n = (size_t)cJSON_GetArraySize(ja);
		double *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
		st_effect e;
		for (size_t i = 0; i < n; i++) {
			a[i] = cJSON_GetArrayItem(ja, (int)i)->valuedouble;
			b[i] = cJSON_GetArrayItem(jb, (int)i)->valuedouble;
		}
		gsl_rng_set(rng, 1);
		assert_int_equal(st_effect_paired(&e, a, b, n, NULL, rng), 0);
		bg_test_assert_close(e.ratio, cJSON_GetObjectItem(c, "ratio")->valuedouble, 1e-12, 1, "ratio");
		bg_test_assert_close(e.p_value, cJSON_GetObjectItem(c, "p_value")->valuedouble, 1e-6, 0, "p");
		assert_true(e.lo <= e.ratio && e.ratio <= e.hi);
		free(a);
		free(b);
		count++;
	}
	assert_int_equal(count, 11);
	gsl_rng_free(rng);
	cJSON_Delete(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_rule),
		cmocka_unit_test(test_exact_ratio),
		cmocka_unit_test(test_noisy_pairs),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_reference_values),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
