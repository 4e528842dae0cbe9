/* test_runner: interleaved rounds — every job once per round, shuffled
 * orders balanced, failures named with their stderr, samples' values. */
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
#include "smp_runner.h"
#include "smp_shuffle.h"

static gsl_rng *new_rng(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	assert_non_null(r);
	gsl_rng_set(r, seed);
	return r;
}

/* Over 20,000 shuffles of 3 items each item lands in each position with
 * probability 1/3: expected 6,667, sd 66.7; 6 sd is a bound a correct
 * shuffle fails with probability ~1e-8, a biased one (e.g. never moving
 * the last item) fails at once. */
static void test_shuffle_balanced(void **state)
{
	gsl_rng *rng = new_rng(7);
	size_t order[3], count[3][3] = { { 0 } };

	(void)state;
	for (int t = 0; t < 20000; t++) {
		smp_shuffle(order, 3, rng);
		for (size_t p = 0; p < 3; p++)
			count[order[p]][p]++;
	}
	for (int i = 0; i < 3; i++)
		for (int p = 0; p < 3; p++)
			assert_true(fabs((double)count[i][p] - 20000.0 / 3.0) < 6 * 66.7);
	gsl_rng_free(rng);
}

static void test_rounds_interleave_and_balance(void **state)
{
	smp_job jobs[2] = { { "A", "true", 0, 0 }, { "B", "true", 0, 1 } };
	gsl_rng *rng = new_rng(11);
	smp_runner *r = NULL;
	const smp_sample *s;
	size_t n, a_first = 0;
	const unsigned rounds = 120;

	(void)state;
	assert_int_equal(smp_runner_new(&r, jobs, 2, NULL, NULL, rng), 0);
	assert_int_equal(smp_runner_warmup(r, 2), 0);
	assert_int_equal(smp_runner_rounds(r), 0); /* warm-ups are discarded */
	for (unsigned i = 0; i < rounds; i++)
		assert_int_equal(smp_runner_round(r), 0);
	s = smp_runner_samples(r, &n);
	assert_int_equal(n, 2 * rounds);
	for (unsigned i = 0; i < rounds; i++) {
		const smp_sample *x = &s[2 * i], *y = &s[2 * i + 1];
		assert_int_equal(x->round, i);
		assert_int_equal(y->round, i);
		assert_int_equal(x->order, 0);
		assert_int_equal(y->order, 1);
		assert_int_not_equal(x->job, y->job);
		assert_true(x->wall_ns > 0 && y->wall_ns > 0);
		a_first += x->job == 0;
	}
	/* Binomial(120, 1/2): sd 5.5; 5 sd either side. */
	assert_in_range(a_first, 60 - 27, 60 + 27);
	smp_runner_free(r);
	gsl_rng_free(rng);
}

static void test_failure_names_job_and_stderr(void **state)
{
	smp_job jobs[2] = {
		{ "A", "true", 0, 0 },
		{ "B", "echo first >&2; echo 'it broke here' >&2; exit 3", 0, 1 },
	};
	gsl_rng *rng = new_rng(3);
	smp_runner *r = NULL;
	size_t n;

	(void)state;
	assert_int_equal(smp_runner_new(&r, jobs, 2, NULL, NULL, rng), 0);
	assert_int_equal(smp_runner_round(r), BG_ECHILD);
	assert_non_null(strstr(bg_error_last(), "command B"));
	assert_non_null(strstr(bg_error_last(), "exited with code 3"));
	assert_non_null(strstr(bg_error_last(), "it broke here"));
	/* -i/--ignore-failure is compare's flag: compare adds the hint, the
	 * sampler does not (test_cli checks compare's message). */
	assert_null(strstr(bg_error_last(), "--ignore-failure"));
	/* The partial round was dropped, so pairs stay complete. */
	smp_runner_samples(r, &n);
	assert_int_equal(n, 0);
	assert_int_equal(smp_runner_rounds(r), 0);
	smp_runner_free(r);
	gsl_rng_free(rng);
}

static void test_signal_failure_and_ignore(void **state)
{
	smp_job jobs[2] = { { "A", "kill -SEGV $$", 0, 0 }, { "B", "exit 4", 0, 1 } };
	smp_runner_opts o = SMP_RUNNER_OPTS_INIT;
	gsl_rng *rng = new_rng(5);
	smp_runner *r = NULL;
	const smp_sample *s;
	size_t n;

	(void)state;
	assert_int_equal(smp_runner_new(&r, jobs, 2, &o, NULL, rng), 0);
	/* Order is shuffled: whichever fails first is reported. */
	assert_int_equal(smp_runner_round(r), BG_ECHILD);
	assert_true(strstr(bg_error_last(), "signal 11") || strstr(bg_error_last(), "code 4"));
	smp_runner_free(r);

	o.ignore_failure = 1;
	assert_int_equal(smp_runner_new(&r, jobs, 2, &o, NULL, rng), 0);
	assert_int_equal(smp_runner_round(r), 0);
	s = smp_runner_samples(r, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < 2; i++) {
		if (s[i].job == 0) {
			assert_int_equal(s[i].outcome, SMP_SIGNALED);
			assert_int_equal(s[i].term_signal, 11);
		} else {
			assert_int_equal(s[i].outcome, SMP_EXITED);
			assert_int_equal(s[i].exit_code, 4);
		}
	}
	smp_runner_free(r);
	gsl_rng_free(rng);
}

static void test_sample_values(void **state)
{
	/* stderr counts as pi reads it; after 2 MiB of output the tail is kept */
	smp_job jobs[1] = { { "A", "echo 'METRIC score=41.5'; echo 'METRIC bad=x'; echo 'METRIC err=3' >&2; "
				   "head -c 2100000 /dev/zero | tr '\\0' '\\n'; echo 'METRIC late=7'", 0, 0 } };
	gsl_rng *rng = new_rng(9);
	smp_runner *r = NULL;
	const smp_sample *s;
	const char *first;
	double v, user, sys, cpu;
	size_t n;

	(void)state;
	assert_int_equal(smp_runner_new(&r, jobs, 1, NULL, NULL, rng), 0);
	assert_int_equal(smp_runner_round(r), 0);
	s = smp_runner_samples(r, &n);
	assert_int_equal(n, 1);
	assert_int_equal(smp_sample_value(&v, s, "score"), 0);
	assert_true(v == 41.5);
	assert_int_equal(smp_sample_value(&v, s, "err"), 0);
	assert_true(v == 3.0);
	assert_int_equal(smp_sample_value(&v, s, "late"), 0);
	assert_true(v == 7.0);
	assert_int_equal(smp_sample_value(&v, s, "wall"), 0);
	assert_true(fabs(v - (double)s->wall_ns * 1e-9) < 1e-15 && v > 0);
	assert_int_equal(smp_sample_value(&user, s, "user"), 0);
	assert_int_equal(smp_sample_value(&sys, s, "sys"), 0);
	assert_int_equal(smp_sample_value(&cpu, s, "cpu"), 0);
	assert_true(fabs(cpu - (user + sys)) < 1e-12);
	assert_int_equal(smp_sample_value(&v, s, "maxrss"), 0);
	assert_true(v > 0);
	assert_int_equal(smp_sample_value(&v, s, "nosuch"), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "METRIC nosuch="));
	assert_int_equal(smp_runner_malformed(r, &first), 1);
	assert_non_null(strstr(first, "bad=x"));
	assert_true(smp_metric_builtin("wall") && smp_metric_builtin("cycles"));
	assert_false(smp_metric_builtin("score"));
	smp_runner_free(r);
	gsl_rng_free(rng);
}

static void test_no_jobs_is_an_error(void **state)
{
	gsl_rng *rng = new_rng(1);
	smp_runner *r = NULL;

	(void)state;
	assert_int_equal(smp_runner_new(&r, NULL, 0, NULL, NULL, rng), BG_EINVAL);
	assert_null(r);
	smp_runner_free(NULL);
	gsl_rng_free(rng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shuffle_balanced),
		cmocka_unit_test(test_rounds_interleave_and_balance),
		cmocka_unit_test(test_failure_names_job_and_stderr),
		cmocka_unit_test(test_signal_failure_and_ignore),
		cmocka_unit_test(test_sample_values),
		cmocka_unit_test(test_no_jobs_is_an_error),
	};

	gsl_set_error_handler_off();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
