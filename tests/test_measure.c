/* test_measure: the multi-workload sequential measurement of the gate.
 * The workloads report work_units (METRIC), so the ratios are exact and the
 * verdicts do not depend on this machine's noise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_test.h"
#include "lp_measure.h"

#define INT BG_TEST_CORPORA "/bg-int -s 0.02"

static lp_measure_opts opts(void)
{
	lp_measure_opts o = { 0 };

	o.metric = "work_units";
	o.lower_is_better = 1;
	o.alpha = 0.05;
	o.alpha_regress = 0.05;
	o.min_effect = 0.01;
	o.max_regression = 0.02;
	o.warmup = 0;
	o.min_rounds = 5;
	o.max_rounds = 60;
	o.max_seconds = 60;
	o.quiet = 1;
	return o;
}

static gsl_rng *rng_new(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);

	gsl_rng_set(r, 5);
	return r;
}

/* One workload 30% slower, one 1/1.3 faster: the aggregate hides the
 * regression (its ratio is exactly 1), the per-workload check does not: the
 * slow one is flagged, the other not, and sampling stops on it. */
static void test_regression_flagged(void **state)
{
	lp_measure_workload wl[2] = {
		{ "faster", INT " -x 30", INT, 1.0 },
		{ "slower", INT, INT " -x 30", 1.0 },
	};
	lp_measure_opts o = opts();
	lp_measure_result r;
	gsl_rng *rng = rng_new();

	(void)state;
	assert_int_equal(lp_measure_run(&r, wl, 2, &o, NULL, rng), 0);
	assert_string_equal(r.stopped, "regressed");
	assert_int_equal(r.nwl, 2);
	assert_string_equal(r.wl[1].name, "slower");
	assert_true(r.wl[1].regressed);
	assert_false(r.wl[0].regressed);
	bg_test_assert_close(r.wl[1].effect.ratio, 1.3, 1e-9, 1, "slower ratio");
	bg_test_assert_close(r.wl[0].effect.ratio, 1 / 1.3, 1e-9, 1, "faster ratio");
	bg_test_assert_close(r.aggregate.ratio, 1.0, 1e-9, 1, "aggregate");
	assert_true(r.wl[1].p_regress <= 0.05);
	assert_true(r.rounds >= 5);
	lp_measure_result_clear(&r);
	gsl_rng_free(rng);
}

/* Weighted geometric mean: ratios 1 (weight 3) and 0.8 (weight 1) give
 * 0.8^(1/4); the aggregate is IMPROVED and sampling stops on it. */
static void test_weighted_aggregate_improves(void **state)
{
	lp_measure_workload wl[2] = {
		{ "flat", INT, INT, 3.0 },
		{ "faster", INT " -x 25", INT, 1.0 },
	};
	lp_measure_opts o = opts();
	lp_measure_result r;
	gsl_rng *rng = rng_new();
	size_t ns;

	(void)state;
	assert_int_equal(lp_measure_run(&r, wl, 2, &o, NULL, rng), 0);
	assert_string_equal(r.stopped, "decided");
	assert_int_equal(r.aggregate.verdict, ST_IMPROVED);
	bg_test_assert_close(r.aggregate.ratio, pow(0.8, 0.25), 1e-9, 1, "aggregate");
	assert_true(r.aggregate.hi < 1.0);
	assert_false(r.wl[0].regressed || r.wl[1].regressed);
	smp_runner_samples(r.runner, &ns);
	assert_int_equal(ns, 4 * r.rounds);
	lp_measure_result_clear(&r);
	gsl_rng_free(rng);
}

/* min_effect 0 means NO_CHANGE is impossible: identical arms run to the
 * round budget and end INCONCLUSIVE. */
static void test_budget_ends_inconclusive(void **state)
{
	lp_measure_workload wl[1] = { { "same", INT, INT, 1.0 } };
	lp_measure_opts o = opts();
	lp_measure_result r;
	gsl_rng *rng = rng_new();

	(void)state;
	o.min_effect = 0.0;
	o.max_rounds = 12;
	assert_int_equal(lp_measure_run(&r, wl, 1, &o, NULL, rng), 0);
	assert_string_equal(r.stopped, "max_rounds");
	assert_int_equal(r.rounds, 12);
	assert_int_equal(r.aggregate.verdict, ST_INCONCLUSIVE);
	lp_measure_result_clear(&r);
	gsl_rng_free(rng);
}

static void test_failures_are_named(void **state)
{
	lp_measure_workload bad[1] = { { "w", INT, "exit 9", 1.0 } };
	lp_measure_workload zero[1] = { { "z", "echo 'METRIC work_units=0'", INT, 1.0 } };
	lp_measure_opts o = opts();
	lp_measure_result r = { 0 };
	gsl_rng *rng = rng_new();

	(void)state;
	assert_int_equal(lp_measure_run(&r, bad, 1, &o, NULL, rng), BG_ECHILD);
	assert_non_null(strstr(bg_error_last(), "B (candidate) of workload \"w\""));
	assert_non_null(strstr(bg_error_last(), "code 9"));
	assert_int_equal(lp_measure_run(&r, zero, 1, &o, NULL, rng), BG_EDOMAIN);
	assert_non_null(strstr(bg_error_last(), "positive"));
	assert_int_equal(lp_measure_run(&r, bad, 0, &o, NULL, rng), BG_EINVAL);
	o.min_rounds = 1;
	assert_int_equal(lp_measure_run(&r, bad, 1, &o, NULL, rng), BG_EINVAL);
	assert_null(r.wl);
	gsl_rng_free(rng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regression_flagged),
		cmocka_unit_test(test_weighted_aggregate_improves),
		cmocka_unit_test(test_budget_ends_inconclusive),
		cmocka_unit_test(test_failures_are_named),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
