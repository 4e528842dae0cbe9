/* test_bet: the betting confidence sequence (st_bet.h) against reference
 * values written from the paper by scripts/fixtures_bet.py (numpy and
 * SciPy's brentq for the exact ends), its error rate under identical arms
 * on bounded data (a look after every round), and bad input. */
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
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "bg_test.h"
#include "st_bet.h"
#include "st_rule.h"

static cJSON *fixture;

static int load(void **state)
{
	(void)state;
	fixture = bg_test_load_json(BG_TEST_FIXTURES "/bet_reference.json");
	return fixture ? 0 : -1;
}

static int unload(void **state)
{
	(void)state;
	cJSON_Delete(fixture);
	return 0;
}

/* Each case's set contains the exact one and is at most two grid steps
 * wider on either side; the p-values and exclusions at the tracked means
 * are the reference's. */
static void test_reference_cases(void **state)
{
	const cJSON *c;
	int count = 0;

	(void)state;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(fixture, "cases")) {
		size_t n, np;
		double *d = bg_fx_get_doubles(c, "d", &n), *points = bg_fx_get_doubles(c, "points", &np);
		double *p = bg_fx_get_doubles(c, "p", &np), w = bg_fx_get_num(c, "w"), alpha = bg_fx_get_num(c, "alpha");
		double step = 2.0 * w / ST_BET_GRID;
		const cJSON *excl = cJSON_GetObjectItemCaseSensitive(c, "excluded");
		st_bet_state s;
		st_cs_result r;

		assert_int_equal(st_bet_init(&s, w, points, np), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(st_bet_push(&s, d[i]), 0);
		assert_int_equal(st_bet_interval(&r, &s, alpha), 0);
		bg_fx_assert_close(r.estimate, bg_fx_get_num(c, "estimate"), 1e-12);
		if (!(r.lo <= bg_fx_get_num(c, "lo") + 1e-12 && r.lo >= bg_fx_get_num(c, "lo") - 2 * step - 1e-12 &&
		      r.hi >= bg_fx_get_num(c, "hi") - 1e-12 && r.hi <= bg_fx_get_num(c, "hi") + 2 * step + 1e-12))
			fail_msg("%s: [%g, %g], the exact set [%g, %g]", cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
				 r.lo, r.hi, bg_fx_get_num(c, "lo"), bg_fx_get_num(c, "hi"));
		for (size_t k = 0; k < np; k++) {
			bg_test_assert_close(st_bet_p(&s, points[k]), p[k], 1e-9, 1e-12, "p at a tracked mean");
			assert_int_equal(st_bet_excludes(&s, points[k], alpha),
					 cJSON_IsTrue(cJSON_GetArrayItem(excl, (int)k)));
		}
		bg_test_assert_close(r.p_value, p[0], 1e-9, 1e-12, "p of mean 0");
		st_bet_free(&s);
		free(d);
		free(points);
		free(p);
		count++;
	}
	assert_int_equal(count, 7);
}

static void test_bad_input(void **state)
{
	st_bet_state s;
	double out_of_range[] = { 2.0 };

	(void)state;
	assert_int_equal(st_bet_init(&s, 0.0, NULL, 0), BG_EINVAL);
	assert_int_equal(st_bet_init(&s, INFINITY, NULL, 0), BG_EINVAL);
	assert_int_equal(st_bet_init(&s, 1.0, out_of_range, 1), BG_EINVAL);
	assert_int_equal(st_bet_init(&s, 1.0, NULL, 0), 0);
	assert_int_equal(st_bet_push(&s, 1.5), BG_EDOMAIN);
	assert_non_null(strstr(bg_error_last(), "outside [-1, 1]"));
	assert_int_equal(st_bet_push(&s, NAN), BG_EDOMAIN);
	assert_int_equal(s.n, 0);
	assert_int_equal(st_bet_push(&s, 1.0), 0);   /* the bound itself is in range */
	assert_true(st_bet_p(&s, 0.0) == 1.0);       /* 0 untracked: no evidence */
	st_bet_free(&s);
	st_bet_free(&s);
}

/* Identical arms on bounded data, a look after every round up to 300 with
 * the rule's verdict: false verdicts stay below alpha; make eval has the
 * 2,000-trial table beside the normal mixture's. */
static void test_aa_below_alpha(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	unsigned fp = 0;
	enum { TRIALS = 300 };

	(void)state;
	gsl_rng_set(rng, 7);
	for (unsigned t = 0; t < TRIALS; t++) {
		st_rule r = st_rule_make_difference(0.05, 0.05, 0);
		st_bet_state s;
		st_rule_look l;

		assert_int_equal(st_rule_bet_init(&s, &r, 1.0, NAN), 0);
		for (int i = 1; i <= 300; i++) {
			double a = gsl_rng_uniform(rng) < 0.4, b = gsl_rng_uniform(rng) < 0.4;

			assert_int_equal(st_bet_push(&s, b - a), 0);
			if (i < 5)
				continue;
			assert_int_equal(st_rule_look_bet(&l, &s, &r), 0);
			if (l.verdict != ST_INCONCLUSIVE)
				break;
		}
		fp += l.verdict == ST_IMPROVED || l.verdict == ST_REGRESSED;
		st_bet_free(&s);
	}
	print_message("betting, win/loss A/A: %u false verdicts of %u\n", fp, TRIALS);
	assert_true(fp <= 0.05 * TRIALS);
	gsl_rng_free(rng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_cases),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_aa_below_alpha),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
