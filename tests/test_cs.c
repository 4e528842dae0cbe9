/* test_cs: the normal-mixture confidence sequence against SciPy reference
 * values (scripts/fixtures_cs.py), its incremental form, and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "bg_test.h"
#include "st_cs.h"

static cJSON *fixture;

static void assert_close(double actual, double expected, double rel)
{
	bg_test_assert_close(actual, expected, rel, 1e-6, NULL);
}

/* The confidence sequence of d[0..n-1] after its last value. */
static void cs_of(st_cs_result *out, const double *d, size_t n, double rho, double alpha)
{
	st_cs_state s;

	assert_int_equal(st_cs_init(&s, rho), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(st_cs_push(&s, d[i]), 0);
	assert_int_equal(st_cs_interval(out, &s, alpha), 0);
}

static int load(void **state)
{
	(void)state;
	fixture = bg_test_load_json(BG_TEST_FIXTURES "/cs_reference.json");
	return fixture ? 0 : -1;
}

static int unload(void **state)
{
	(void)state;
	cJSON_Delete(fixture);
	return 0;
}

static void test_reference_cases(void **state)
{
	const cJSON *c;
	int count = 0;

	(void)state;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(fixture, "cases")) {
		size_t n;
		double *d = bg_fx_get_doubles(c, "d", &n), rho, alpha = bg_fx_get_num(c, "alpha");
		st_cs_result r;

		assert_int_equal(st_cs_rho(&rho, bg_fx_get_num(c, "v_opt"), alpha), 0);
		assert_close(rho, bg_fx_get_num(c, "rho"), 1e-12);
		cs_of(&r, d, n, rho, alpha);
		assert_int_equal(r.n, n);
		assert_close(r.estimate, bg_fx_get_num(c, "mean"), 1e-9);
		assert_close(r.p_value, bg_fx_get_num(c, "p_value"), 1e-9);
		if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "lo"))) {
			assert_true(isinf(r.lo) && r.lo < 0);
			assert_true(isinf(r.hi) && r.hi > 0);
		} else {
			/* endpoints relative to the width: both sides solve the same equation */
			double w = bg_fx_get_num(c, "hi") - bg_fx_get_num(c, "lo");
			assert_true(fabs(r.lo - bg_fx_get_num(c, "lo")) <= 1e-6 * w);
			assert_true(fabs(r.hi - bg_fx_get_num(c, "hi")) <= 1e-6 * w);
		}
		free(d);
		count++;
	}
	assert_true(count >= 8);
}

/* 0 lies outside the sequence exactly when the mixture martingale at 0 is
 * at least 1/alpha now; and the always-valid p-value never increases. */
static void test_consistency_and_monotone_p(void **state)
{
	const double alpha = 0.05;
	st_cs_state s;
	st_cs_result r;
	double prev = 1.0, rho;
	unsigned long x = 12345;

	(void)state;
	assert_int_equal(st_cs_rho(&rho, 0.04, alpha), 0);
	assert_int_equal(st_cs_init(&s, rho), 0);
	for (int t = 1; t <= 400; t++) {
		double u1, u2, d, v, logm;
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		u1 = ((x >> 11) + 0.5) / 9007199254740992.0;
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		u2 = ((x >> 11) + 0.5) / 9007199254740992.0;
		d = 0.003 + 0.02 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
		assert_int_equal(st_cs_push(&s, d), 0);
		assert_int_equal(st_cs_interval(&r, &s, alpha), 0);
		assert_true(r.p_value <= prev + 1e-15);
		prev = r.p_value;
		v = s.sumsq;
		logm = 0.5 * log(rho / (v + rho)) + s.sum * s.sum / (2 * (v + rho));
		if (isfinite(r.lo) && fabs(logm - log(1 / alpha)) > 1e-9)
			assert_int_equal(r.lo > 0 || r.hi < 0, logm >= log(1 / alpha));
		assert_true(r.lo <= r.estimate && r.estimate <= r.hi);
	}
	assert_true(isfinite(r.lo));
}

/* A smaller alpha gives a wider interval. */
static void test_smaller_alpha_wider(void **state)
{
	double rho = 0.003;
	st_cs_state s;
	st_cs_result a, b;

	(void)state;
	assert_int_equal(st_cs_init(&s, rho), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(st_cs_push(&s, 0.01 * sin(i * 1.7) - 0.004), 0);
	assert_int_equal(st_cs_interval(&a, &s, 0.05), 0);
	assert_int_equal(st_cs_interval(&b, &s, 0.01), 0);
	assert_true(b.lo < a.lo && b.hi > a.hi);
}

static void test_constant_sequence(void **state)
{
	double zero[30] = { 0 }, shift[30];
	st_cs_result r;

	(void)state;
	for (int i = 0; i < 30; i++)
		shift[i] = 0.1;
	/* No spread: the width comes from the mixture's scale rho alone, so it
	 * is symmetric, small and positive — not zero. */
	cs_of(&r, zero, 30, 0.003, 0.05);
	assert_true(r.p_value == 1.0);
	assert_true(r.hi > 0 && r.hi < 0.05 && fabs(r.lo + r.hi) < 1e-15);
	cs_of(&r, shift, 30, 0.003, 0.05);
	assert_true(r.lo > 0.0 && r.lo < 0.1 && r.hi > 0.1);
	assert_true(r.p_value < 1e-4); /* self-normalised: e^-(n/2) at best */
}

static void test_bad_input(void **state)
{
	st_cs_state s;
	st_cs_result r = { .estimate = 42 };
	double rho = 7;

	(void)state;
	assert_int_equal(st_cs_rho(&rho, 0.0, 0.05), BG_EINVAL);
	assert_int_equal(st_cs_rho(&rho, 0.04, 1.0), BG_EINVAL);
	assert_int_equal(st_cs_rho(&rho, NAN, 0.05), BG_EINVAL);
	assert_true(rho == 7);
	assert_int_equal(st_cs_init(&s, 0.0), BG_EINVAL);
	assert_int_equal(st_cs_init(&s, -1.0), BG_EINVAL);
	assert_int_equal(st_cs_init(&s, 0.01), 0);
	assert_int_equal(st_cs_interval(&r, &s, 0.05), BG_EDOMAIN);
	assert_int_equal(st_cs_push(&s, INFINITY), BG_EDOMAIN);
	assert_int_equal(s.n, 0);
	assert_int_equal(st_cs_push(&s, 0.1), 0);
	assert_int_equal(st_cs_interval(&r, &s, 0.0), BG_EINVAL);
	assert_int_equal(st_cs_interval(&r, &s, NAN), BG_EINVAL);
	assert_true(r.estimate == 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_cases),
		cmocka_unit_test(test_consistency_and_monotone_p),
		cmocka_unit_test(test_smaller_alpha_wider),
		cmocka_unit_test(test_constant_sequence),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
