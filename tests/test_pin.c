/* test_pin: choosing and binding processing units with hwloc (smp_pin).
 *
 * These tests bind the test's own thread, so each one saves the thread's
 * affinity first and puts it back afterwards. The tests that need two PUs
 * skip on a machine (or cgroup) that allows only one. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bg_error.h"
#include "smp_pin.h"

static cpu_set_t saved_mask;

static int save_affinity(void **state)
{
	(void)state;
	return sched_getaffinity(0, sizeof(saved_mask), &saved_mask);
}

static int restore_affinity(void **state)
{
	(void)state;
	return sched_setaffinity(0, sizeof(saved_mask), &saved_mask);
}

static int allowed_pus(void)
{
	smp_pinning *p = NULL;
	int n;

	assert_int_equal(smp_pinning_new(&p, "none"), 0);
	n = smp_pinning_allowed_pus(p);
	smp_pinning_free(p);
	return n;
}

static void auto_binds_child_and_harness_to_distinct_pus(void **state)
{
	smp_pinning *p = NULL;
	const cpu_set_t *cpus;
	cpu_set_t now;
	int child, harness;

	(void)state;
	if (allowed_pus() < 2)
		skip();
	assert_int_equal(smp_pinning_new(&p, "auto"), 0);
	assert_true(smp_pinning_active(p));
	assert_string_equal(smp_pinning_reason(p), "");
	child = smp_pinning_child_pu(p);
	harness = smp_pinning_harness_pu(p);
	assert_true(child >= 0 && harness >= 0);
	/* the child on the quietest allowed PU, the harness on another */
	assert_true(child != harness);
	assert_non_null(strstr(smp_pinning_choice(p), "the least busy over"));

	cpus = smp_pinning_child_cpus(p);
	assert_non_null(cpus);
	assert_int_equal(CPU_COUNT(cpus), 1);
	assert_true(CPU_ISSET(child, cpus));

	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(harness, &now));
	smp_pinning_free(p);
}

static void list_sets_child_then_harness(void **state)
{
	smp_pinning *p = NULL;
	cpu_set_t now;

	(void)state;
	if (allowed_pus() < 2)
		skip();
	assert_int_equal(smp_pinning_new(&p, "0,1"), 0);
	assert_int_equal(smp_pinning_child_pu(p), 0);
	assert_int_equal(smp_pinning_harness_pu(p), 1);
	assert_true(CPU_ISSET(0, smp_pinning_child_cpus(p)));
	assert_int_equal(CPU_COUNT(smp_pinning_child_cpus(p)), 1);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(1, &now));
	smp_pinning_free(p);
}

static void list_child_only_leaves_harness_unbound(void **state)
{
	smp_pinning *p = NULL;
	cpu_set_t now;

	(void)state;
	assert_int_equal(smp_pinning_new(&p, "0"), 0);
	assert_true(smp_pinning_active(p));
	assert_int_equal(smp_pinning_child_pu(p), 0);
	assert_int_equal(smp_pinning_harness_pu(p), -1);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_true(CPU_EQUAL(&now, &saved_mask));
	smp_pinning_free(p);
}

static void none_is_inactive_with_reason(void **state)
{
	smp_pinning *p = NULL;
	cpu_set_t now;

	(void)state;
	assert_int_equal(smp_pinning_new(&p, "none"), 0);
	assert_false(smp_pinning_active(p));
	assert_null(smp_pinning_child_cpus(p));
	assert_int_equal(smp_pinning_child_pu(p), -1);
	assert_int_equal(smp_pinning_harness_pu(p), -1);
	assert_non_null(strstr(smp_pinning_reason(p), "--pin none"));
	assert_true(smp_pinning_allowed_pus(p) >= 1);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_true(CPU_EQUAL(&now, &saved_mask));
	smp_pinning_free(p);
}

static void bad_specs_are_rejected_naming_the_value(void **state)
{
	static const struct { const char *spec, *named; } cases[] = {
		{ "x", "\"x\"" },
		{ "0,0", "\"0,0\"" },
		{ "99", "PU 99 " },
		{ "0,x", "\"0,x\"" },
		{ "", "\"\"" },
		{ "-1", "\"-1\"" },
		{ "0,1,", "\"0,1,\"" },
		{ "0,99", "PU 99 " },
	};
	cpu_set_t now;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		smp_pinning *p = (smp_pinning *)&now; /* sentinel: must stay untouched */

		bg_error_clear();
		assert_int_equal(smp_pinning_new(&p, cases[i].spec), BG_EINVAL);
		assert_ptr_equal(p, (smp_pinning *)&now);
		if (strstr(bg_error_last(), cases[i].named) == NULL)
			fail_msg("spec \"%s\": message does not name it: %s",
				cases[i].spec, bg_error_last());
		assert_non_null(strstr(bg_error_last(), "--pin"));
	}
	/* a rejected spec binds nothing */
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_true(CPU_EQUAL(&now, &saved_mask));
}

static void not_allowed_lists_the_allowed_pus(void **state)
{
	smp_pinning *p = NULL;

	(void)state;
	if (allowed_pus() != 2)
		skip();
	assert_int_equal(smp_pinning_new(&p, "7"), BG_EINVAL);
	assert_string_equal(bg_error_last(), "--pin: PU 7 is not allowed here; allowed: 0,1");
}

static void mark_failed_makes_it_inactive_naming_errno(void **state)
{
	smp_pinning *p = NULL;

	(void)state;
	assert_int_equal(smp_pinning_new(&p, "0"), 0);
	assert_true(smp_pinning_active(p));
	smp_pinning_mark_failed(p, EPERM);
	assert_false(smp_pinning_active(p));
	assert_null(smp_pinning_child_cpus(p));
	assert_int_equal(smp_pinning_child_pu(p), -1);
	assert_non_null(strstr(smp_pinning_reason(p), strerror(EPERM)));
	smp_pinning_free(p);
}

/* /proc/stat's cpuN lines: busy = all but idle and iowait (the 4th and
 * 5th fields); the aggregate "cpu" line and other lines are skipped. */
static void stat_parsed_and_quietest_chosen(void **state)
{
	static const char stat0[] =
		"cpu  900 0 100 5000 10 0 0 0 0 0\n"
		"cpu0 800 0 50 1000 5 0 0 0 0 0\n"
		"cpu1 100 0 50 4000 5 1 2 3 0 0\n"
		"intr 12345 0 0\nctxt 999\n";
	static const char stat1[] =
		"cpu0 880 0 60 1010 5 0 0 0 0 0\n"   /* 90 busy of 100 */
		"cpu1 101 0 51 4098 5 1 2 3 0 0\n";  /* 2 busy of 100 */
	unsigned long long b0[4] = { 0 }, t0[4] = { 0 }, b1[4] = { 0 }, t1[4] = { 0 };
	int both[2] = { 0, 1 }, second[1] = { 1 };

	(void)state;
	assert_int_equal(smp_pin_stat_parse(stat0, b0, t0, 4), 2);
	assert_true(t0[0] == 1855 && b0[0] == 850);
	assert_true(t0[1] == 4161 && b1[1] == 0 && b0[1] == 156);
	assert_int_equal(smp_pin_stat_parse(stat1, b1, t1, 4), 2);
	assert_int_equal(smp_pin_quietest(both, 2, b0, t0, b1, t1), 1);
	/* PU 0 idle now: the quiet one */
	assert_int_equal(smp_pin_stat_parse("cpu0 800 0 50 1100 5 0 0 0 0 0\ncpu1 200 0 50 4000 5 1 2 3 0 0\n",
					    b1, t1, 4), 2);
	assert_int_equal(smp_pin_quietest(both, 2, b0, t0, b1, t1), 0);
	/* a tie (no ticks at all) goes to the later PU, as before */
	assert_int_equal(smp_pin_quietest(both, 2, b0, t0, b0, t0), 1);
	assert_int_equal(smp_pin_quietest(second, 1, b0, t0, b1, t1), 1);
	assert_int_equal(smp_pin_quietest(both, 0, b0, t0, b1, t1), -1);
	assert_int_equal(smp_pin_stat_parse("nothing here\n", b0, t0, 4), 0);
	assert_int_equal(smp_pin_stat_parse("cpu9 1 2 3 4 5\n", b0, t0, 4), 0);   /* beyond max */
}

static void free_and_mark_failed_accept_null(void **state)
{
	(void)state;
	smp_pinning_free(NULL);
	smp_pinning_mark_failed(NULL, EPERM);
	assert_false(smp_pinning_active(NULL));
	assert_null(smp_pinning_child_cpus(NULL));
	assert_int_equal(smp_pinning_new(NULL, "auto"), BG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(auto_binds_child_and_harness_to_distinct_pus,
			save_affinity, restore_affinity),
		cmocka_unit_test_setup_teardown(list_sets_child_then_harness,
			save_affinity, restore_affinity),
		cmocka_unit_test_setup_teardown(list_child_only_leaves_harness_unbound,
			save_affinity, restore_affinity),
		cmocka_unit_test_setup_teardown(none_is_inactive_with_reason,
			save_affinity, restore_affinity),
		cmocka_unit_test_setup_teardown(bad_specs_are_rejected_naming_the_value,
			save_affinity, restore_affinity),
		cmocka_unit_test_setup_teardown(not_allowed_lists_the_allowed_pus,
			save_affinity, restore_affinity),
		cmocka_unit_test_setup_teardown(mark_failed_makes_it_inactive_naming_errno,
			save_affinity, restore_affinity),
		cmocka_unit_test(free_and_mark_failed_accept_null),
		cmocka_unit_test(stat_parsed_and_quietest_chosen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
