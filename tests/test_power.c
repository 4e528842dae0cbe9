/* test_power: the noncentral t, power, rounds needed and minimum detectable
 * effect of st_power.h against references in tests/fixtures/fdr_reference.json
 * (written once by scripts/fixtures_fdr.py with Debian's python3):
 *
 *   - noncentral t CDF and SF: a 40-digit mpmath quadrature, itself checked
 *     against scipy's Boost nct where Boost is accurate. To 1e-10 relative
 *     (agreement measured: ~3e-15), down to probabilities of 5e-26.
 *   - rounds and effect: statsmodels' TTestPower. solve_power stops at
 *     brentq's xtol = 1e-5, which leaves it up to 2.9e-6 (relative) from
 *     the root of its own power function, so each case is checked twice:
 *     against that root found tightly (scipy brentq, xtol 1e-14) to 1e-7,
 *     and against solve_power itself to 1e-6 or twice its recorded
 *     deviation, whichever is larger. 1e-7 rather than tighter because
 *     scipy 1.10's t.isf is off by up to ~1e-9 relative (GSL's
 *     gsl_cdf_tdist_Qinv agrees with mpmath to 1e-16), which moves the
 *     root by up to 1e-9; a wrong df (n instead of n - 1) moves n by ~3%.
 *   - normal approximation: scipy's norm.ppf, to 1e-12.
 * Plus properties (power at delta = 0 is alpha, monotonicity, 2 rounds
 * enough) and bad input. */
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

#include "bg_error.h"
#include "bg_fixture.h"
#include "bg_test.h"
#include "st_power.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/fdr_reference.json"

#define NCT_TOL 1e-10
#define TIGHT_TOL 1e-7
#define SM_TOL 1e-6
#define NORMAL_TOL 1e-12


#define SENTINEL (-123456.789)

static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsObject(v)) {
		print_error("fixture: \"%s\" missing or not an object\n", key);
		fail();
	}
	return v;
}

/* ---- noncentral t ------------------------------------------------------- */

static void test_nct_case(void **state)
{
	const cJSON *c = *state;
	double t = bg_fx_get_num(c, "t"), df = bg_fx_get_num(c, "df"), nc = bg_fx_get_num(c, "nc");
	double p = SENTINEL, q = SENTINEL;

	assert_ok(st_nct_cdf(&p, t, df, nc));
	assert_ok(st_nct_sf(&q, t, df, nc));
	bg_fx_assert_close(p, bg_fx_get_num(c, "cdf"), NCT_TOL);
	bg_fx_assert_close(q, bg_fx_get_num(c, "sf"), NCT_TOL);
	assert_true(fabs(p + q - 1.0) <= 1e-13);
}

/* nc = 0 is Student's t, which GSL has. */
static void test_nct_central(void **state)
{
	const double ts[] = { -3.0, -0.5, 0.0, 1.2, 4.0 }, dfs[] = { 1, 2.5, 9, 300 };

	(void)state;
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		for (size_t j = 0; j < sizeof(dfs) / sizeof(dfs[0]); j++) {
			double p, q;

			assert_ok(st_nct_cdf(&p, ts[i], dfs[j], 0.0));
			assert_ok(st_nct_sf(&q, ts[i], dfs[j], 0.0));
			bg_fx_assert_close(p, gsl_cdf_tdist_P(ts[i], dfs[j]), 1e-10);
			bg_fx_assert_close(q, gsl_cdf_tdist_Q(ts[i], dfs[j]), 1e-10);
		}
}

/* ---- power, rounds, effect ---------------------------------------------- */

static double sm_tol(const cJSON *c, const char *key)
{
	return fmax(SM_TOL, 2.0 * bg_fx_get_num(obj(c, "statsmodels_rel_dev"), key));
}

static void test_power_case(void **state)
{
	const cJSON *c = *state, *at = obj(c, "power_at_rounds");
	double sigma = bg_fx_get_num(c, "sigma"), delta = bg_fx_get_num(c, "delta");
	double alpha = bg_fx_get_num(c, "alpha"), power = bg_fx_get_num(c, "power");
	double mde_n = bg_fx_get_num(c, "mde_rounds");
	double n = SENTINEL, nn = SENTINEL, d = SENTINEL, dn = SENTINEL;
	double pw = SENTINEL, pw_ceil;

	assert_ok(st_power_rounds(&n, delta, sigma, alpha, power));
	bg_fx_assert_close(n, bg_fx_get_num(c, "rounds_tight"), TIGHT_TOL);
	bg_fx_assert_close(n, bg_fx_get_num(c, "rounds_statsmodels"), sm_tol(c, "rounds"));

	assert_ok(st_power_ttest(&pw, n, delta, sigma, alpha));
	bg_fx_assert_close(pw, power, 1e-9);
	assert_ok(st_power_ttest(&pw_ceil, ceil(n), delta, sigma, alpha));
	assert_true(pw_ceil >= power);
	assert_ok(st_power_ttest(&pw, bg_fx_get_num(at, "n"), delta, sigma, alpha));
	bg_fx_assert_close(pw, bg_fx_get_num(at, "power"), TIGHT_TOL);

	assert_ok(st_power_mde(&d, mde_n, sigma, alpha, power));
	bg_fx_assert_close(d, bg_fx_get_num(c, "mde_tight"), TIGHT_TOL);
	bg_fx_assert_close(d, bg_fx_get_num(c, "mde_statsmodels"), sm_tol(c, "mde"));

	assert_ok(st_power_rounds_normal(&nn, delta, sigma, alpha, power));
	bg_fx_assert_close(nn, bg_fx_get_num(c, "rounds_normal"), NORMAL_TOL);
	assert_ok(st_power_mde_normal(&dn, mde_n, sigma, alpha, power));
	bg_fx_assert_close(dn, bg_fx_get_num(c, "mde_normal"), NORMAL_TOL);
	/* the approximation is optimistic: fewer rounds, smaller effects */
	assert_true(nn < n && dn < d);
}

static void test_budget_case(void **state)
{
	const cJSON *c = *state;
	double d = SENTINEL;
	size_t rounds = 0;

	assert_ok(st_power_mde_budget(&d, &rounds, bg_fx_get_num(c, "budget_s"),
				      bg_fx_get_num(c, "round_s"), bg_fx_get_num(c, "sigma"),
				      bg_fx_get_num(c, "alpha"), bg_fx_get_num(c, "power")));
	assert_int_equal(rounds, (size_t)bg_fx_get_num(c, "rounds"));
	bg_fx_assert_close(d, bg_fx_get_num(c, "mde_tight"), TIGHT_TOL);
	bg_fx_assert_close(d, bg_fx_get_num(c, "mde_statsmodels"), sm_tol(c, "mde"));
	assert_ok(st_power_mde_budget(&d, NULL, bg_fx_get_num(c, "budget_s"),
				      bg_fx_get_num(c, "round_s"), bg_fx_get_num(c, "sigma"),
				      bg_fx_get_num(c, "alpha"), bg_fx_get_num(c, "power")));
}

static void test_power_properties(void **state)
{
	double p0, prev = 0.0, n, d;

	(void)state;
	/* no effect: the power is the level */
	assert_ok(st_power_ttest(&p0, 20.0, 0.0, 0.02, 0.05));
	bg_fx_assert_close(p0, 0.05, 1e-10);
	assert_ok(st_power_ttest(&p0, 7.5, 0.0, 1.0, 0.001));
	bg_fx_assert_close(p0, 0.001, 1e-9);
	/* more rounds, more power; a larger effect, more power */
	for (double k = 2.0; k <= 200.0; k *= 1.7) {
		double pw;

		assert_ok(st_power_ttest(&pw, k, 0.01, 0.02, 0.05));
		assert_true(pw > prev);
		prev = pw;
	}
	/* 2 rounds already reach 0.8 for an effect of 100 sigma */
	assert_ok(st_power_rounds(&n, 1.0, 0.01, 0.05, 0.8));
	assert_true(n == 2.0);
	/* rounds and effect invert each other */
	assert_ok(st_power_rounds(&n, 0.01, 0.03, 0.05, 0.9));
	assert_ok(st_power_mde(&d, n, 0.03, 0.05, 0.9));
	bg_fx_assert_close(d, 0.01, 1e-9);
	/* only the ratio delta / sigma matters */
	{
		double n1, n2;

		assert_ok(st_power_rounds(&n1, 0.01, 0.02, 0.05, 0.8));
		assert_ok(st_power_rounds(&n2, 5.0, 10.0, 0.05, 0.8));
		bg_fx_assert_close(n1, n2, 1e-12);
	}
}

/* ---- bad input -------------------------------------------------------- */

static void test_bad_args(void **state)
{
	const double bad_pos[] = { 0.0, -0.01, NAN, INFINITY };
	const double bad_unit[] = { 0.0, 1.0, -0.1, 1.5, NAN };
	double out = SENTINEL;
	size_t rounds = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_pos) / sizeof(bad_pos[0]); i++) {
		double b = bad_pos[i];

		print_message("delta / sigma / budget = %g\n", b);
		assert_fails(st_power_rounds(&out, b, 0.02, 0.05, 0.8), BG_EINVAL);
		assert_fails(st_power_rounds_normal(&out, b, 0.02, 0.05, 0.8), BG_EINVAL);
		assert_fails(st_power_rounds(&out, 0.01, b, 0.05, 0.8), BG_EINVAL);
		assert_fails(st_power_mde(&out, 30, b, 0.05, 0.8), BG_EINVAL);
		assert_fails(st_power_mde_normal(&out, 30, b, 0.05, 0.8), BG_EINVAL);
		assert_fails(st_power_ttest(&out, 30, 0.01, b, 0.05), BG_EINVAL);
		assert_fails(st_power_mde_budget(&out, &rounds, b, 1.0, 0.02, 0.05, 0.8),
			     BG_EINVAL);
		assert_fails(st_power_mde_budget(&out, &rounds, 60.0, b, 0.02, 0.05, 0.8),
			     BG_EINVAL);
	}
	assert_fails(st_power_ttest(&out, 30, -0.01, 0.02, 0.05), BG_EINVAL);
	assert_fails(st_power_ttest(&out, 30, NAN, 0.02, 0.05), BG_EINVAL);
	for (size_t i = 0; i < sizeof(bad_unit) / sizeof(bad_unit[0]); i++) {
		double b = bad_unit[i];

		print_message("alpha / power = %g\n", b);
		assert_fails(st_power_rounds(&out, 0.01, 0.02, b, 0.8), BG_EINVAL);
		assert_fails(st_power_ttest(&out, 30, 0.01, 0.02, b), BG_EINVAL);
		assert_fails(st_power_mde(&out, 30, 0.02, b, 0.8), BG_EINVAL);
		assert_fails(st_power_rounds(&out, 0.01, 0.02, 0.05, b), BG_EINVAL);
		assert_fails(st_power_mde(&out, 30, 0.02, 0.05, b), BG_EINVAL);
		assert_fails(st_power_mde_normal(&out, 30, 0.02, 0.05, b), BG_EINVAL);
		assert_fails(st_power_rounds_normal(&out, 0.01, 0.02, 0.05, b), BG_EINVAL);
	}
	/* power no higher than alpha cannot be asked for */
	assert_fails(st_power_rounds(&out, 0.01, 0.02, 0.05, 0.05), BG_EDOMAIN);
	assert_fails(st_power_mde(&out, 30, 0.02, 0.2, 0.1), BG_EDOMAIN);
	/* rounds: at least 2, finite */
	assert_fails(st_power_mde(&out, 1.5, 0.02, 0.05, 0.8), BG_EDOMAIN);
	assert_fails(st_power_mde_normal(&out, NAN, 0.02, 0.05, 0.8), BG_EDOMAIN);
	assert_fails(st_power_ttest(&out, 1.0, 0.01, 0.02, 0.05), BG_EDOMAIN);
	assert_fails(st_power_ttest(&out, INFINITY, 0.01, 0.02, 0.05), BG_EDOMAIN);
	/* a budget that fits one round; an effect no campaign can detect */
	assert_fails(st_power_mde_budget(&out, &rounds, 25.0, 12.6, 0.02, 0.05, 0.8),
		     BG_EDOMAIN);
	assert_fails(st_power_rounds(&out, 1e-9, 1.0, 0.05, 0.8), BG_EDOMAIN);
	assert_true(out == SENTINEL && rounds == 7);
	/* the noncentral t */
	assert_fails(st_nct_cdf(&out, 1.0, 0.5, 1.0), BG_EDOMAIN);
	assert_fails(st_nct_sf(&out, NAN, 5.0, 1.0), BG_EDOMAIN);
	assert_fails(st_nct_cdf(&out, 1.0, 5.0, INFINITY), BG_EDOMAIN);
	assert_fails(st_nct_sf(&out, 1.0, NAN, 1.0), BG_EDOMAIN);
	assert_true(out == SENTINEL);
}

/* ---- main ------------------------------------------------------------------ */

/* One test per element of root[key], named "<key>/<name or index>". */
static int add_cases(struct CMUnitTest *tests, size_t *nt, const cJSON *root,
		     const char *key, CMUnitTestFunction fn)
{
	const cJSON *c;
	int i = 0;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, key)) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		char *label;
		int rc = cJSON_IsString(name)
			 ? asprintf(&label, "%s/%s", key, name->valuestring)
			 : asprintf(&label, "%s/%d", key, i);

		if (rc < 0)
			return -1;
		tests[*nt].name = label;
		tests[*nt].test_func = fn;
		tests[*nt].initial_state = (void *)c;
		(*nt)++;
		i++;
	}
	return 0;
}

static size_t count(const cJSON *root, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);

	return cJSON_IsArray(a) ? (size_t)cJSON_GetArraySize(a) : 0;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_nct_central),
		cmocka_unit_test(test_power_properties),
		cmocka_unit_test(test_bad_args),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	cJSON *root = bg_test_load_json(FIXTURE_FILE);
	struct CMUnitTest *tests = NULL;
	size_t nt = 0, ncase = 0;
	int failed = 1;

	gsl_set_error_handler_off();
	if (root)
		ncase = count(root, "nct") + count(root, "power") + count(root, "budget");
	if (!root || !count(root, "nct") || !count(root, "power") ||
	    !count(root, "budget")) {
		fprintf(stderr, "test_power: cannot read %s with \"nct\", \"power\" "
			"and \"budget\" arrays (regenerate it with /usr/bin/python3 "
			"scripts/fixtures_fdr.py)\n", FIXTURE_FILE);
		goto cleanup;
	}
	if (!(tests = calloc(ncase + nfixed, sizeof(*tests))))
		goto cleanup;
	if (add_cases(tests, &nt, root, "nct", test_nct_case) < 0 ||
	    add_cases(tests, &nt, root, "power", test_power_case) < 0 ||
	    add_cases(tests, &nt, root, "budget", test_budget_case) < 0)
		goto cleanup;
	ncase = nt;
	for (size_t j = 0; j < nfixed; j++)
		tests[nt++] = fixed[j];
	failed = _cmocka_run_group_tests("power", tests, nt, NULL, NULL);
	nt = ncase;
cleanup:
	for (size_t i = 0; tests && i < nt; i++)
		free((char *)tests[i].name);
	free(tests);
	cJSON_Delete(root);
	return failed;
}
