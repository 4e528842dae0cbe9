/* test_rule: the one sequential decision rule (st_rule.h).
 *
 *  - the real case of shared/cases (copied to tests/fixtures/cases): lz4's
 *    compare that printed IMPROVED with p = 0.06 at 11 rounds. The whole
 *    confidence set against SciPy's roots (scripts/fixtures_calib.py), and
 *    the replayed decision: never IMPROVED with p > alpha;
 *  - a simulation at small n that finds the old disagreement (the central
 *    piece misses 0 while 0 lies in the far region) and asserts the rule
 *    never shows it;
 *  - the three commands on the same recorded rounds: `benchgate compare`
 *    (the binary), the gate's measurement (lp_measure_run, also audit's)
 *    and calibrate's decision (st_calib_decide) reach the same verdict,
 *    round and interval. The rounds are replayed by a workload that prints
 *    them as METRIC values, so no timing enters. */
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
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "bg_test.h"
#include "lp_measure.h"
#include "st_calib.h"
#include "st_rule.h"

#define CASE BG_TEST_FIXTURES "/cases/compare-small-n-far-region.json"

/* The case's paired log-ratios d[r] = ln B_r - ln A_r of wall time, in round
 * order; *n rounds. The caller frees. */
static double *case_rounds(size_t *n, double *alpha, double *rho)
{
	cJSON *doc = bg_fx_load_json(CASE, "shared/cases (copied)");
	const cJSON *s, *settings = cJSON_GetObjectItemCaseSensitive(doc, "settings");
	const cJSON *samples = cJSON_GetObjectItemCaseSensitive(doc, "samples");
	size_t m = (size_t)cJSON_GetArraySize(samples) / 2;
	double *d = calloc(m, sizeof(*d));

	assert_non_null(d);
	*alpha = bg_fx_get_num(settings, "alpha");
	*rho = bg_fx_get_num(settings, "cs_rho");
	cJSON_ArrayForEach(s, samples) {
		size_t r = (size_t)bg_fx_get_num(s, "round");
		const cJSON *arm = cJSON_GetObjectItemCaseSensitive(s, "arm");
		assert_true(r < m);
		d[r] += (arm->valuestring[0] == 'B' ? 1.0 : -1.0) * log(bg_fx_get_num(s, "wall_ns"));
	}
	cJSON_Delete(doc);
	*n = m;
	return d;
}

/* The whole set at n = 11 against SciPy; the house tuning is the case's. */
static void far_region_matches_reference(void **state)
{
	cJSON *ref = bg_fx_load_json(BG_TEST_FIXTURES "/calib_reference.json", "scripts/fixtures_calib.py");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(ref, "far_set");
	double alpha, rho, *d;
	size_t n;
	st_cs_state s;
	st_cs_result cs;

	(void)state;
	d = case_rounds(&n, &alpha, &rho);
	assert_int_equal(n, (size_t)bg_fx_get_num(f, "n"));
	bg_fx_assert_close_at(st_rule_rho(), rho, 1e-12, 0, "house tuning = the case's rho", __FILE__, __LINE__);
	assert_ok(st_cs_init(&s, st_rule_rho()));
	for (size_t i = 0; i < n; i++)
		assert_ok(st_cs_push(&s, d[i]));
	assert_ok(st_cs_interval(&cs, &s, alpha));
	bg_fx_assert_close_at(cs.estimate, bg_fx_get_num(f, "estimate"), 1e-12, 1e-14, "estimate", __FILE__, __LINE__);
	bg_fx_assert_close_at(cs.lo, bg_fx_get_num(f, "lo"), 1e-9, 1e-12, "lo", __FILE__, __LINE__);
	bg_fx_assert_close_at(cs.hi, bg_fx_get_num(f, "hi"), 1e-9, 1e-12, "hi", __FILE__, __LINE__);
	bg_fx_assert_close_at(cs.far_lo, bg_fx_get_num(f, "far_lo"), 1e-9, 1e-12, "far_lo", __FILE__, __LINE__);
	bg_fx_assert_close_at(cs.far_hi, bg_fx_get_num(f, "far_hi"), 1e-9, 1e-12, "far_hi", __FILE__, __LINE__);
	/* ratio 1 is in the far region: the set does not exclude it */
	assert_true(cs.far_hi < 0.0);
	assert_false(st_cs_excludes(&s, 0.0, alpha));
	assert_true(bg_fx_get_num(f, "excess_at_0") < 0.0);
	/* and a value inside the annulus is excluded */
	assert_true(st_cs_excludes(&s, 0.5 * (cs.hi + cs.far_hi), alpha));
	free(d);
	cJSON_Delete(ref);
}

/* Replaying compare's rule round by round: IMPROVED only with p <= alpha,
 * and not at round 11 where the old rule said IMPROVED. */
static void replay_never_improved_beside_large_p(void **state)
{
	double alpha, rho, *d;
	size_t n;
	st_rule r;
	st_cs_state s;
	st_rule_look l;

	(void)state;
	d = case_rounds(&n, &alpha, &rho);
	r = st_rule_make(alpha, 0.01, 1);
	r.min_rounds = 5;
	assert_ok(st_cs_init(&s, r.rho));
	for (size_t t = 1; t <= n; t++) {
		assert_ok(st_cs_push(&s, d[t - 1]));
		assert_ok(st_rule_look_at(&l, &s, &r));
		if (l.verdict == ST_IMPROVED || l.verdict == ST_REGRESSED)
			assert_true(l.cs.p_value <= alpha);
	}
	/* the old verdict on the central piece alone */
	assert_int_equal(st_effect_verdict(exp(l.cs.estimate), exp(l.cs.lo), exp(l.cs.hi), 1, 0.01), ST_IMPROVED);
	assert_true(l.cs.p_value > alpha);
	assert_int_equal(l.verdict, ST_INCONCLUSIVE);
	free(d);
}

/* Sequences of 2..30 rounds, heavy-tailed and shifted: the central-piece
 * verdict disagrees with the direct test somewhere (the bug is real), the
 * rule never does: a verdict's values are excluded, IMPROVED or REGRESSED
 * have p <= alpha, and the interval shown excludes ratio 1. */
static void small_n_simulation_finds_no_disagreement(void **state)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	size_t old_bad = 0, looks = 0;
	double band = log1p(0.01);

	(void)state;
	assert_non_null(rng);
	gsl_rng_set(rng, 11);
	for (int it = 0; it < 4000; it++) {
		st_rule r = st_rule_make(it % 2 ? 0.05 : 0.01, 0.01, 1);
		double mu = gsl_ran_flat(rng, -0.4, 0.4), sd = 0.02 + gsl_ran_flat(rng, 0.0, 0.4);
		st_cs_state s;
		st_rule_look l;
		assert_ok(st_cs_init(&s, r.rho));
		for (size_t t = 1; t <= 30; t++) {
			double x = mu + sd * gsl_ran_tdist(rng, 2.0);
			st_verdict old;
			assert_ok(st_cs_push(&s, x));
			assert_ok(st_rule_look_at(&l, &s, &r));
			looks++;
			old = st_effect_verdict(exp(l.cs.estimate), exp(l.cs.lo), exp(l.cs.hi), 1, 0.01);
			if ((old == ST_IMPROVED || old == ST_REGRESSED) && !st_cs_excludes(&s, 0.0, r.alpha))
				old_bad++;
			if (l.verdict == ST_IMPROVED || l.verdict == ST_REGRESSED) {
				assert_true(st_cs_excludes(&s, 0.0, r.alpha));
				assert_true(l.cs.p_value <= r.alpha);
				assert_true(l.cs.hi < 0.0 || l.cs.lo > 0.0);
				assert_true(l.cs.far_lo < 0.0 && l.cs.far_hi > 0.0);
			}
			if (l.verdict == ST_NO_CHANGE)
				assert_true(st_cs_excludes(&s, band, r.alpha) && st_cs_excludes(&s, -band, r.alpha));
			assert_true(l.verdict == old || l.verdict == ST_INCONCLUSIVE);
		}
	}
	print_message("small n: %zu of %zu looks had the old disagreement\n", old_bad, looks);
	assert_true(old_bad > 0);
	gsl_rng_free(rng);
}

/* ---- difference effects (metric.effect "difference") ------------------ */

/* Metrics shaped like the seed loops', values that can be 0: an LLM judge's
 * 0-10 score with 3% failed calls scored 0; a win (1) or loss (0); an
 * error count that is 0 four times in five. */
enum { JUDGE, WIN, ERRORS, NSHAPES };

static double draw_value(int shape, double shift, gsl_rng *rng)
{
	double v;

	switch (shape) {
	case JUDGE:
		if (gsl_rng_uniform(rng) < 0.03)
			return 0.0;
		v = floor(5.0 + shift + gsl_ran_gaussian(rng, 2.0) + 0.5);
		return v < 0 ? 0 : v > 10 ? 10 : v;
	case WIN:
		return gsl_rng_uniform(rng) < 0.4 + shift ? 1.0 : 0.0;
	default:
		return gsl_rng_uniform(rng) < 0.8 ? 0.0 : (double)gsl_ran_poisson(rng, 3.0 + shift);
	}
}

/* One sequential decision on B - A, a look after every round from round 5
 * on, up to max_rounds: its verdict. */
static st_verdict difference_decision(int shape, double shift, double min_effect, int lower, size_t max_rounds,
				      gsl_rng *rng)
{
	st_rule r = st_rule_make_difference(0.05, min_effect, lower);
	st_cs_state s;
	st_rule_look l;

	assert_ok(st_cs_init(&s, r.rho));
	for (size_t t = 1; t <= max_rounds; t++) {
		assert_ok(st_cs_push(&s, draw_value(shape, shift, rng) - draw_value(shape, 0.0, rng)));
		if (t < 5 || !st_rule_may_decide(&s, &r))
			continue;
		assert_ok(st_rule_look_at(&l, &s, &r));
		if (l.verdict != ST_INCONCLUSIVE)
			return l.verdict;
	}
	return ST_INCONCLUSIVE;
}

/* A/A on data with zeros, 2,000 decisions per shape: false verdicts
 * (IMPROVED or REGRESSED) stay below alpha = 0.05; and a real gain is
 * found (judge +1.5 points, win rate +0.2, errors -2 on the 20% of calls
 * that have any). Looking after every round does not inflate the rate:
 * the sequence is anytime-valid, and under identical arms the shuffled
 * order makes B - A symmetric whatever the distribution (st_cs.h). */
static void difference_aa_keeps_alpha_with_zeros(void **state)
{
	static const char *const names[NSHAPES] = { "judge 0-10, 3% zeros", "win/loss", "error count, 80% zeros" };
	static const double gains[NSHAPES] = { 1.5, 0.2, -2.0 }, bands[NSHAPES] = { 0.5, 0.05, 0.2 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	enum { TRIALS = 2000 };

	(void)state;
	assert_non_null(rng);
	gsl_rng_set(rng, 20261204);
	for (int k = 0; k < NSHAPES; k++) {
		int lower = k == ERRORS;
		unsigned fp = 0, found = 0;

		for (unsigned t = 0; t < TRIALS; t++) {
			st_verdict v = difference_decision(k, 0.0, bands[k], lower, 200, rng);

			fp += v == ST_IMPROVED || v == ST_REGRESSED;
		}
		for (unsigned t = 0; t < TRIALS / 10; t++)
			found += difference_decision(k, gains[k], bands[k], lower, 2000, rng) == ST_IMPROVED;
		print_message("difference, %s: A/A false verdicts %u of %u (%.4f); a real gain IMPROVED in %u of %u\n",
			      names[k], fp, TRIALS, (double)fp / TRIALS, found, TRIALS / 10);
		assert_true(fp <= 0.05 * TRIALS);
		assert_true(found >= 0.9 * (TRIALS / 10));
	}
	gsl_rng_free(rng);
}

/* ---- the three commands on the same rounds ---------------------------- */

/* A directory with the rounds replayed: a.sh prints METRIC v=1, `b.sh TAG`
 * the next exp(d) of vals (one counter per TAG). */
static void replay_make(char *dir, size_t size, const double *d, size_t n)
{
	char path[256];
	FILE *f;

	assert_ok(bg_test_tmpdir(dir, size, "bg-rule"));
	assert_true((size_t)snprintf(path, sizeof(path), "%s/vals", dir) < sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.17g\n", exp(d[i]));
	fclose(f);
	snprintf(path, sizeof(path), "%s/a.sh", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("echo 'METRIC v=1'\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b.sh", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("cd \"$(dirname \"$0\")\"\nc=0\n[ -f cnt-$1 ] && read c < cnt-$1\nc=$((c + 1))\n"
	      "echo $c > cnt-$1\necho \"METRIC v=$(sed -n ${c}p vals)\"\n", f);
	fclose(f);
}

/* The d the workload actually delivers: ln of the printed value. */
static void replay_values(double *dd, const double *d, size_t n)
{
	char buf[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%.17g", exp(d[i]));
		dd[i] = log(strtod(buf, NULL));
	}
}

/* The gate's measurement (one workload: its aggregate is the workload). */
static void gate_decides(lp_measure_result *mr, const char *dir, size_t n, double alpha)
{
	char a[300], b[300];
	lp_measure_workload wl = { "w", a, b, 1.0 };
	lp_measure_opts mo = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);

	assert_non_null(rng);
	snprintf(a, sizeof(a), "sh '%s/a.sh'", dir);
	snprintf(b, sizeof(b), "sh '%s/b.sh' gate", dir);
	mo.metric = "v";
	mo.lower_is_better = 1;
	mo.alpha = alpha;
	mo.alpha_regress = 0.05;
	mo.min_effect = 0.01;
	mo.max_regression = 0.9;
	mo.min_rounds = 5;
	mo.max_rounds = (unsigned)n;
	mo.max_seconds = 600;
	mo.quiet = 1;
	gsl_rng_set(rng, 3);
	assert_ok(lp_measure_run(mr, &wl, 1, &mo, NULL, rng));
	gsl_rng_free(rng);
}

/* `benchgate compare` on the same rounds: its exported effect. */
static void compare_decides(const char *dir, size_t n, double alpha, const st_calib_decision *dec)
{
	bg_test_result r = bg_test_shellf(dir, 120,
		"exec '%s' compare -q --warmup 0 --min-runs 5 --max-runs %zu --max-time 600 --pin none "
		"--metric v --alpha %g --export-json out.json 'sh a.sh' 'sh b.sh compare'",
		BG_TEST_BIN, n, alpha);
	char path[256];
	cJSON *doc, *e, *ci;

	bg_test_expect_status(&r, 0, "benchgate compare (replay)");
	/* the set is shown whole where its far region is at realistic ratios */
	assert_int_equal(strstr(r.out, "also holds") != NULL, dec->cs.far_hi < log(ST_RULE_FAR_SHOWN));
	bg_test_result_free(&r);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	assert_non_null(doc = bg_fx_load_json(path, "benchgate compare"));
	e = cJSON_GetObjectItemCaseSensitive(doc, "effect");
	ci = cJSON_GetObjectItemCaseSensitive(e, "ci");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(e, "verdict")->valuestring, st_verdict_name(dec->verdict));
	assert_int_equal((size_t)bg_fx_get_num(e, "rounds"), dec->rounds);
	bg_fx_assert_close_at(cJSON_GetArrayItem(ci, 0)->valuedouble, exp(dec->cs.lo), 1e-12, 0, "compare lo", __FILE__, __LINE__);
	bg_fx_assert_close_at(cJSON_GetArrayItem(ci, 1)->valuedouble, exp(dec->cs.hi), 1e-12, 0, "compare hi", __FILE__, __LINE__);
	ci = cJSON_GetObjectItemCaseSensitive(e, "far");
	bg_fx_assert_close_at(cJSON_GetArrayItem(ci, 0)->valuedouble, exp(dec->cs.far_lo), 1e-12, 0, "compare far_lo", __FILE__, __LINE__);
	cJSON_Delete(doc);
}

static void three_commands_agree_on(const double *d0, size_t n, double alpha, st_verdict expect)
{
	double *d = malloc(n * sizeof(*d));
	st_rule rule = st_rule_make(alpha, 0.01, 1);
	st_calib_decision dec;
	lp_measure_result mr;
	char dir[128];

	assert_non_null(d);
	replay_values(d, d0, n);
	rule.min_rounds = 5;
	rule.max_rounds = n;
	assert_ok(st_calib_decide(&dec, d, n, &rule));
	assert_int_equal(dec.verdict, expect);
	replay_make(dir, sizeof(dir), d0, n);
	gate_decides(&mr, dir, n, alpha);
	assert_int_equal(mr.rounds, dec.rounds);
	assert_int_equal(mr.aggregate.verdict, dec.verdict);
	bg_fx_assert_close_at(mr.aggregate.lo, exp(dec.cs.lo), 1e-12, 0, "gate lo", __FILE__, __LINE__);
	bg_fx_assert_close_at(mr.aggregate.hi, exp(dec.cs.hi), 1e-12, 0, "gate hi", __FILE__, __LINE__);
	lp_measure_result_clear(&mr);
	compare_decides(dir, n, alpha, &dec);
	bg_test_rmtree(dir);
	free(d);
}

/* The lz4 case (INCONCLUSIVE at its 11 rounds now), a clear gain, a
 * no-change series, a loss at a LORD++-like level. */
static void three_commands_agree(void **state)
{
	double alpha, rho, *lz4, gain[40], flat[80], loss[40];
	size_t n;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);

	(void)state;
	gsl_rng_set(rng, 5);
	for (size_t i = 0; i < 80; i++) {
		if (i < 40) {
			gain[i] = -0.10 + gsl_ran_gaussian(rng, 0.02);
			loss[i] = 0.08 + gsl_ran_gaussian(rng, 0.02);
		}
		flat[i] = gsl_ran_gaussian(rng, 0.001);
	}
	gsl_rng_free(rng);
	lz4 = case_rounds(&n, &alpha, &rho);
	three_commands_agree_on(lz4, n, alpha, ST_INCONCLUSIVE);
	three_commands_agree_on(gain, 40, 0.05, ST_IMPROVED);
	three_commands_agree_on(flat, 80, 0.05, ST_NO_CHANGE);
	three_commands_agree_on(loss, 40, 0.004, ST_REGRESSED);
	free(lz4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(far_region_matches_reference),
		cmocka_unit_test(replay_never_improved_beside_large_p),
		cmocka_unit_test(small_n_simulation_finds_no_disagreement),
		cmocka_unit_test(difference_aa_keeps_alpha_with_zeros),
		cmocka_unit_test(three_commands_agree),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
