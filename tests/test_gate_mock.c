/* test_gate_mock: the measurement and the gate's decision driven with
 * scripted run times through the runner's seam (tests/support/mock_exec.h):
 * nothing is measured, so every verdict is the rule's on known numbers,
 * deterministic and fast. The end-to-end tests (test_gate, test_cli) run
 * the real thing beside these. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_error.h"
#include "bg_test.h"
#include "lp_gate.h"
#include "lp_measure.h"
#include "lp_workspace.h"
#include "mock_exec.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the measurement ---------------------------------------------------- */

static lp_measure_opts opts(mock_exec *m, unsigned long seed)
{
	lp_measure_opts o = { 0 };

	o.metric = "wall";
	o.lower_is_better = 1;
	o.alpha = 0.05;
	o.alpha_regress = 0.05;
	o.min_effect = 0.01;
	o.max_regression = 0.05;
	o.warmup = 2;
	o.min_rounds = 5;
	o.max_rounds = 400;
	o.max_seconds = 60;
	o.quiet = 1;
	o.exec = mock_exec_init(m, seed);
	return o;
}

/* Measures wl with a fresh mock; the result in *r (caller clears). */
static int measure(lp_measure_result *r, const lp_measure_workload *wl, size_t n, unsigned long seed,
		   unsigned long *calls)
{
	mock_exec m;
	lp_measure_opts o = opts(&m, seed);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	int error;

	assert_non_null(rng);
	gsl_rng_set(rng, seed);
	error = lp_measure_run(r, wl, n, &o, NULL, rng);
	*calls = m.calls;
	mock_exec_free(&m);
	gsl_rng_free(rng);
	return error;
}

static void test_faster_decided(void **unused)
{
	lp_measure_workload wl[] = { { "w", "bg-mock 0.010 0.02", "bg-mock 0.009 0.02", 1.0 } };
	lp_measure_result r;
	unsigned long calls;

	(void)unused;
	assert_int_equal(measure(&r, wl, 1, 11, &calls), 0);
	assert_int_equal(r.aggregate.verdict, ST_IMPROVED);
	assert_true(r.aggregate.hi < 0.99);            /* beyond min_effect */
	assert_true(r.aggregate.lo < 0.9 && 0.9 < r.aggregate.hi);
	assert_string_equal(r.stopped, "decided");
	assert_true(r.rounds >= 5 && r.rounds < 100);
	assert_int_equal(calls, 2 * (r.rounds + 2));   /* every run went through the seam */
	lp_measure_result_clear(&r);
}

static void test_identical_not_improved(void **unused)
{
	lp_measure_workload wl[] = { { "w", "bg-mock 0.010 0.02", "bg-mock 0.010 0.02", 1.0 } };
	lp_measure_result r;
	unsigned long calls;

	(void)unused;
	for (unsigned long seed = 1; seed <= 5; seed++) {
		assert_int_equal(measure(&r, wl, 1, seed, &calls), 0);
		assert_int_not_equal(r.aggregate.verdict, ST_IMPROVED);
		assert_int_not_equal(r.aggregate.verdict, ST_REGRESSED);
		assert_true(r.aggregate.lo < 1.0 && 1.0 < r.aggregate.hi);
		lp_measure_result_clear(&r);
	}
}

static void test_slower_decided(void **unused)
{
	lp_measure_workload wl[] = { { "w", "bg-mock 0.010 0.02", "bg-mock 0.011 0.02", 1.0 } };
	lp_measure_result r;
	unsigned long calls;

	(void)unused;
	assert_int_equal(measure(&r, wl, 1, 3, &calls), 0);
	assert_int_equal(r.aggregate.verdict, ST_REGRESSED);
	assert_true(r.aggregate.lo > 1.01);
	assert_true(r.rounds < 100);
	lp_measure_result_clear(&r);
}

/* One workload 20% slower, the other 20% faster: the aggregate sees about
 * no change, the per-workload check flags the slow one and stops on it. */
static void test_one_regresses(void **unused)
{
	lp_measure_workload wl[] = {
		{ "faster", "bg-mock 0.010 0.01", "bg-mock 0.008 0.01", 1.0 },
		{ "slower", "bg-mock 0.010 0.01", "bg-mock 0.012 0.01", 1.0 },
	};
	lp_measure_result r;
	unsigned long calls;

	(void)unused;
	assert_int_equal(measure(&r, wl, 2, 5, &calls), 0);
	assert_int_equal(r.wl[0].regressed, 0);
	assert_int_equal(r.wl[1].regressed, 1);
	assert_true(r.wl[1].effect.lo > 1.1);
	assert_string_equal(r.stopped, "regressed");
	assert_true(r.rounds < 100);
	lp_measure_result_clear(&r);
}

static void test_failing_run_named(void **unused)
{
	lp_measure_workload wl[] = { { "parse", "bg-mock 0.010", "bg-mock 0.010 0 3", 1.0 } };
	lp_measure_result r;
	unsigned long calls;

	(void)unused;
	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(measure(&r, wl, 1, 1, &calls), BG_ECHILD);
	assert_non_null(strstr(bg_error_last(), "B (candidate) of workload \"parse\""));
	assert_non_null(strstr(bg_error_last(), "exited with code 3"));
	assert_non_null(strstr(bg_error_last(), "mock failure"));
	assert_true(calls <= 2);                       /* stopped at the first failure */
}

/* ---- the gate ------------------------------------------------------------- */

typedef struct {
	char root[256], repo[300];
} fx;

static void sh_ok(const fx *f, const char *cmd)
{
	bg_test_result r = bg_test_shell(f->repo, cmd, 30);

	bg_test_expect_status(&r, 0, cmd);
	bg_test_result_free(&r);
}

/* A repository whose workloads' speed is the number in the file `speed` of
 * each export: the candidate commit changes it. With hold_sd >= 0 it has a
 * held-out workload too, whose speed is in `hspeed` (0.01, cand_hspeed in
 * the candidate) with noise hold_sd. */
static void make_repo_holdout(fx *f, const char *base_speed, const char *cand_speed, double hold_sd,
			      const char *cand_hspeed)
{
	char cmd[2048], holdout[400] = "";

	assert_int_equal(bg_test_tmpdir(f->root, sizeof(f->root), "gate_mock"), 0);
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	assert_int_equal(mkdir(f->repo, 0755), 0);
	if (hold_sd >= 0)
		snprintf(holdout, sizeof(holdout),
			 "'  \"holdout\": { \"dir\": \"%s/holdout\", \"workloads\": [ { \"name\": \"h\", "
			 "\"cmd\": \"bg-mock-file hspeed %g\" } ] },' ", f->root, hold_sd);
	snprintf(cmd, sizeof(cmd),
		 "mkdir ../holdout && echo x > ../holdout/h.txt && "
		 "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false && echo %s > speed && echo 0.01 > hspeed && "
		 "printf '#!/bin/sh\\necho \"2 passed\"\\n' > test.sh && "
		 "printf '%%s\\n' '{ \"test\": { \"cmd\": \"sh test.sh\", \"count\": \"passed\" },' "
		 "'  \"workloads\": [ { \"name\": \"a\", \"cmd\": \"bg-mock-file speed 0.01\" },' "
		 "'                 { \"name\": \"b\", \"cmd\": \"bg-mock-file speed 0.01\" } ],' %s"
		 "'  \"budget\": { \"max_seconds\": 30, \"warmup\": 1 } }' > benchgate.json && "
		 "git add -A && git commit -qm base && echo %s > speed && echo %s > hspeed && git commit -qam candidate",
		 base_speed, holdout, cand_speed, cand_hspeed);
	sh_ok(f, cmd);
}

static void make_repo(fx *f, const char *base_speed, const char *cand_speed)
{
	make_repo_holdout(f, base_speed, cand_speed, -1, "0.01");
}

/* Judges HEAD against its parent in-process with the mock. */
static void judge(lp_gate_run *g, lp_gate_opts *o, const fx *f, mock_exec *m)
{
	char cwd[4096];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	int error;

	assert_non_null(rng);
	gsl_rng_set(rng, 7);
	memset(o, 0, sizeof(*o));
	o->quiet = 1;
	o->seed = 7;
	o->exec = mock_exec_init(m, 7);
	memset(g, 0, sizeof(*g));
	g->o = o;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->repo), 0);
	error = lp_gate_judge(g, rng);
	assert_int_equal(chdir(cwd), 0);
	if (error < 0)
		fail_msg("lp_gate_judge: %s", bg_error_last());
	gsl_rng_free(rng);
}

static void test_gate_keeps_faster(void **unused)
{
	fx f;
	lp_gate_opts o;
	lp_gate_run g;
	mock_exec m;

	(void)unused;
	make_repo(&f, "0.010", "0.009");
	judge(&g, &o, &f, &m);
	assert_int_equal(g.keep, 1);
	assert_string_equal(g.reason, "");
	assert_int_equal(g.train.aggregate.verdict, ST_IMPROVED);
	assert_true(g.train.aggregate.hi < 0.99);
	assert_true(m.calls >= 4 * (g.train.rounds + 1));  /* 2 workloads x 2 arms, warm-up 1 */
	lp_gate_run_free(&g);
	mock_exec_free(&m);
	bg_test_rmtree(f.root);
}

static void test_gate_rejects_slower(void **unused)
{
	fx f;
	lp_gate_opts o;
	lp_gate_run g;
	mock_exec m;

	(void)unused;
	make_repo(&f, "0.010", "0.011");
	judge(&g, &o, &f, &m);
	assert_int_equal(g.keep, 0);
	assert_true(strncmp(g.reason, "regressed:", 10) == 0 || strcmp(g.reason, "slower") == 0);
	assert_true(g.train.aggregate.ratio > 1.05 && g.train.aggregate.ratio < 1.15);
	/* stopped on a workload's regression, or on the aggregate's verdict */
	assert_true(g.train.wl[0].regressed || g.train.wl[1].regressed || g.train.aggregate.lo > 1.0);
	assert_non_null(strstr(g.rejected_ref, "refs/benchgate/rejected/"));
	lp_gate_run_free(&g);
	mock_exec_free(&m);
	bg_test_rmtree(f.root);
}

/* The held-out workload keeps none of a 10% training gain. Measured with
 * little noise, its interval excludes half the gain: REJECT(overfit). With
 * much noise (sd 1.5 a run), 8% slower, it cannot tell within the budget:
 * REJECT(holdout_inconclusive), never overfit. (The mock is seeded, so the
 * outcome is fixed; these noise and shift put the point estimate where an
 * undecided interval is likeliest, 1.4 point sds below the threshold.) */
static void test_gate_holdout_overfit_or_undecided(void **unused)
{
	static const struct { double sd; const char *hspeed, *reason; grd_holdout_verdict v; } cases[] = {
		{ 0.01, "0.01", "overfit", GRD_HOLDOUT_OVERFIT },
		{ 1.5, "0.0108", "holdout_inconclusive", GRD_HOLDOUT_UNDECIDED },
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx f;
		lp_gate_opts o;
		lp_gate_run g;
		mock_exec m;

		make_repo_holdout(&f, "0.010", "0.009", cases[i].sd, cases[i].hspeed);
		judge(&g, &o, &f, &m);
		if (g.train.aggregate.verdict != ST_IMPROVED || !g.hold_ran || g.keep || strcmp(g.reason, cases[i].reason) != 0 || g.hold_verdict != cases[i].v)
			fail_msg("held-out sd %g: %s (%s), held-out B/A %.4f [%.4f, %.4f] in %u rounds", cases[i].sd,
				 g.keep ? "KEEP" : g.reason, g.detail ? g.detail : "", g.hold.aggregate.ratio,
				 g.hold.aggregate.lo, g.hold.aggregate.hi, g.hold.rounds);
		if (cases[i].v == GRD_HOLDOUT_UNDECIDED)
			assert_non_null(strstr(g.detail, "not overfit"));
		lp_gate_run_free(&g);
		mock_exec_free(&m);
		bg_test_rmtree(f.root);
	}
}

static int setup(void **unused)
{
	(void)unused;
	return git_libgit2_init() > 0 ? 0 : -1;
}

static int teardown(void **unused)
{
	(void)unused;
	git_libgit2_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faster_decided),
		cmocka_unit_test(test_identical_not_improved),
		cmocka_unit_test(test_slower_decided),
		cmocka_unit_test(test_one_regresses),
		cmocka_unit_test(test_failing_run_named),
		cmocka_unit_test(test_gate_keeps_faster),
		cmocka_unit_test(test_gate_rejects_slower),
		cmocka_unit_test(test_gate_holdout_overfit_or_undecided),
	};

	lp_workspace_use_exe(BG_TEST_BIN);   /* its sandboxes' helpers */
	return cmocka_run_group_tests(tests, setup, teardown);
}
