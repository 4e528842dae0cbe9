/* test_probe: reading the machine's settings (smp_probe) from fake roots.
 *
 * Each test gets a fresh temporary directory standing for "/", writes the
 * few /proc and /sys files it is about, and removes the tree afterwards. */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bg_error.h"
#include "smp_probe.h"

/* ---- fake roots ---- */

static int make_root(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *root = malloc(4096);

	if (root == NULL)
		return -1;
	snprintf(root, 4096, "%s/bg-probe.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		free(root);
		return -1;
	}
	*state = root;
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static int remove_root(void **state)
{
	char *root = *state;
	int rc = nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(root);
	return rc;
}

/* Writes root/rel with the given text, creating directories on the way. */
static void put(const char *root, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
	f = fopen(path, "w");
	if (f == NULL)
		fail_msg("open %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* Index of the first warning containing needle, or -1. */
static int find_warning(const smp_probe *p, const char *needle)
{
	for (int i = 0; i < p->nwarnings; i++)
		if (strstr(p->warnings[i], needle) != NULL)
			return i;
	return -1;
}

static void assert_close(double got, double want)
{
	if (fabs(got - want) > 1e-12)
		fail_msg("got %.17g, want %.17g", got, want);
}

static void assert_fingerprint_shape(const char *fp)
{
	assert_int_equal(strlen(fp), 16);
	for (int i = 0; i < 16; i++)
		assert_true(isxdigit((unsigned char)fp[i]));
}

/* ---- frequency ---- */

static void powersave_governor_warns_with_fix(void **state)
{
	smp_probe p;
	int w;

	put(*state, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.governor, "powersave");
	w = find_warning(&p, "powersave");
	assert_true(w >= 0);
	assert_non_null(strstr(p.warnings[w], "performance"));
}

static void performance_governor_does_not_warn(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.governor, "performance");
	assert_int_equal(find_warning(&p, "governor"), -1);
}

static void intel_no_turbo_zero_means_turbo_on(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
	put(*state, "/sys/devices/system/cpu/cpufreq/boost", "0\n"); /* intel_pstate wins */
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.turbo, 1);
	assert_true(find_warning(&p, "no_turbo") >= 0);
}

static void intel_no_turbo_one_means_turbo_off(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.turbo, 0);
	assert_int_equal(find_warning(&p, "turbo"), -1);
}

static void cpufreq_boost_zero_means_turbo_off(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/cpufreq/boost", "0\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.turbo, 0);
	assert_int_equal(p.nwarnings, 0);
}

static void cpufreq_boost_one_warns(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/cpufreq/boost", "1\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.turbo, 1);
	assert_true(find_warning(&p, "cpufreq/boost") >= 0);
}

/* ---- an empty machine ---- */

static void empty_root_gives_unknowns_without_warnings(void **state)
{
	smp_probe p;

	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.governor, "");
	assert_int_equal(p.turbo, -1);
	assert_string_equal(p.cpu_model, "unknown");
	assert_int_equal(p.pus, 1);
	assert_int_equal(p.cores, 1);
	assert_int_equal(p.smt, 1);
	assert_close(p.loadavg1, -1);
	assert_int_equal(p.aslr, -1);
	assert_int_equal(p.perf_paranoid, -100);
	assert_string_equal(p.thp, "");
	assert_string_equal(p.kernel, "unknown");
	assert_string_equal(p.hostname, "unknown");
	assert_int_equal(p.nwarnings, 0);
	assert_fingerprint_shape(p.fingerprint);
}

/* ---- CPU ---- */

static void cpuinfo_model_name_is_parsed(void **state)
{
	smp_probe p;

	put(*state, "/proc/cpuinfo",
		"processor\t: 0\nvendor_id\t: GenuineIntel\n"
		"model name\t: Intel(R) Xeon(R) Test CPU @ 2.00GHz\n\n"
		"processor\t: 1\nmodel name\t: second line is ignored\n\n"
		"processor\t: 2\n\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.cpu_model, "Intel(R) Xeon(R) Test CPU @ 2.00GHz");
	/* no online file: the processor lines give the count */
	assert_int_equal(p.pus, 3);
}

static void cpuinfo_hardware_is_the_fallback(void **state)
{
	smp_probe p;

	put(*state, "/proc/cpuinfo",
		"processor\t: 0\nBogoMIPS\t: 38.40\n\nHardware\t: BCM2835\nRevision\t: a02082\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.cpu_model, "BCM2835");
}

static void smt_siblings_make_one_core_of_two_threads(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/online", "0-1\n");
	put(*state, "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0-1\n");
	put(*state, "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "0-1\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.pus, 2);
	assert_int_equal(p.smt, 2);
	assert_int_equal(p.cores, 1);
	assert_true(find_warning(&p, "SMT") >= 0);
}

static void interleaved_siblings_count_cores(void **state)
{
	smp_probe p;
	const char *dir = "/sys/devices/system/cpu";
	char rel[128];

	put(*state, "/sys/devices/system/cpu/online", "0-3\n");
	for (int c = 0; c < 4; c++) {
		/* core_cpus_list is the newer name; no thread_siblings_list here */
		snprintf(rel, sizeof(rel), "%s/cpu%d/topology/core_cpus_list", dir, c);
		put(*state, rel, c % 2 ? "1,3\n" : "0,2\n");
	}
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.pus, 4);
	assert_int_equal(p.cores, 2);
	assert_int_equal(p.smt, 2);
}

static void no_siblings_means_no_smt(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/online", "0-1\n");
	put(*state, "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0\n");
	put(*state, "/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "1\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.cores, 2);
	assert_int_equal(p.smt, 1);
	assert_int_equal(find_warning(&p, "SMT"), -1);
}

/* ---- kernel settings ---- */

static void high_load_warns(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/online", "0-1\n");
	put(*state, "/proc/loadavg", "3.50 1.25 0.75 2/345 12345\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_close(p.loadavg1, 3.5);
	assert_true(find_warning(&p, "other processes are running") >= 0);
}

static void low_load_does_not_warn(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/online", "0-1\n");
	put(*state, "/proc/loadavg", "0.90 1.25 0.75 1/345 12345\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_close(p.loadavg1, 0.9);
	assert_int_equal(p.nwarnings, 0);
}

static void thp_selection_is_the_bracketed_word(void **state)
{
	smp_probe p;

	put(*state, "/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.thp, "madvise");
}

static void aslr_and_perf_settings(void **state)
{
	smp_probe p;

	put(*state, "/proc/sys/kernel/randomize_va_space", "2\n");
	put(*state, "/proc/sys/kernel/perf_event_paranoid", "2\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.aslr, 2);
	assert_int_equal(p.perf_paranoid, 2);
	assert_int_equal(p.nwarnings, 0);  /* ASLR on is what benchgate wants */

	put(*state, "/proc/sys/kernel/randomize_va_space", "0\n");
	put(*state, "/proc/sys/kernel/perf_event_paranoid", "3\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.aslr, 0);
	assert_int_equal(p.perf_paranoid, 3);
	assert_true(find_warning(&p, "randomize_va_space=2") >= 0);
	assert_true(find_warning(&p, "perf_event_paranoid=3") >= 0);
}

/* ---- isolation, SMT switch, siblings ---- */

static void isolated_cpus_are_counted(void **state)
{
	smp_probe p;

	put(*state, "/sys/devices/system/cpu/isolated", "2-3,6\n");
	put(*state, "/sys/devices/system/cpu/nohz_full", "2-3\n");
	put(*state, "/sys/devices/system/cpu/smt/control", "off\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.nisolated, 3);
	assert_string_equal(p.isolated, "2-3,6");
	assert_string_equal(p.nohz_full, "2-3");
	assert_string_equal(p.smt_control, "off");
	assert_int_equal(p.nwarnings, 0);  /* calibrate, not the probe, advises */
}

static void no_isolated_cpus_is_zero_and_missing_is_unknown(void **state)
{
	smp_probe p;

	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.nisolated, -1);
	assert_string_equal(p.isolated, "");
	assert_string_equal(p.smt_control, "");
	put(*state, "/sys/devices/system/cpu/isolated", "\n");
	put(*state, "/sys/devices/system/cpu/nohz_full", "(null)\n");
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_int_equal(p.nisolated, 0);
	assert_string_equal(p.nohz_full, "");
}

static void siblings_come_from_the_topology(void **state)
{
	put(*state, "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0,2\n");
	put(*state, "/sys/devices/system/cpu/cpu1/topology/core_cpus_list", "1,3\n");
	assert_int_equal(smp_probe_siblings(*state, 0, 2), 1);
	assert_int_equal(smp_probe_siblings(*state, 0, 1), 0);
	assert_int_equal(smp_probe_siblings(*state, 1, 3), 1);
	assert_int_equal(smp_probe_siblings(*state, 1, 1), 1);
	assert_int_equal(smp_probe_siblings(*state, 5, 1), -1);  /* no files */
	assert_int_equal(smp_probe_siblings(*state, -1, 1), -1);
}

/* ---- identity ---- */

static void fingerprint_follows_the_hostname(void **state)
{
	smp_probe a, b, c;

	put(*state, "/proc/cpuinfo", "processor\t: 0\nmodel name\t: Test CPU\n");
	put(*state, "/proc/sys/kernel/osrelease", "6.1.0-test\n");
	put(*state, "/proc/sys/kernel/hostname", "alpha\n");
	assert_int_equal(smp_probe_read(&a, *state), 0);
	assert_int_equal(smp_probe_read(&b, *state), 0);
	assert_string_equal(a.kernel, "6.1.0-test");
	assert_string_equal(a.hostname, "alpha");
	assert_fingerprint_shape(a.fingerprint);
	assert_string_equal(a.fingerprint, b.fingerprint);

	put(*state, "/proc/sys/kernel/hostname", "beta\n");
	assert_int_equal(smp_probe_read(&c, *state), 0);
	assert_string_equal(c.hostname, "beta");
	assert_fingerprint_shape(c.fingerprint);
	assert_string_not_equal(a.fingerprint, c.fingerprint);
}

static void fingerprint_is_fnv1a_of_the_key(void **state)
{
	smp_probe p;
	const char *key = "Test CPU|1|6.1.0-test|alpha";
	uint64_t h = UINT64_C(14695981039346656037);
	char want[17];

	put(*state, "/proc/cpuinfo", "processor\t: 0\nmodel name\t: Test CPU\n");
	put(*state, "/proc/sys/kernel/osrelease", "6.1.0-test\n");
	put(*state, "/proc/sys/kernel/hostname", "alpha\n");
	for (const char *s = key; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)h);
	assert_int_equal(smp_probe_read(&p, *state), 0);
	assert_string_equal(p.fingerprint, want);
}

/* ---- /proc/stat ---- */

static void steal_share_between_two_readings(void **state)
{
	smp_cpustat a, b;

	/* user nice system idle iowait irq softirq steal guest guest_nice */
	put(*state, "/proc/stat",
		"cpu  1000 0 500 8000 0 0 0 100 200 0\n"
		"cpu0 500 0 250 4000 0 0 0 50 100 0\nintr 1 2 3\n");
	assert_int_equal(smp_cpustat_read(&a, *state), 0);
	assert_true(a.ok);
	assert_int_equal(a.total, 9600);  /* guest is already inside user */
	assert_int_equal(a.steal, 100);

	put(*state, "/proc/stat",
		"cpu  1400 0 750 8300 0 0 0 150 300 0\n"
		"cpu0 700 0 375 4150 0 0 0 75 150 0\n");
	assert_int_equal(smp_cpustat_read(&b, *state), 0);
	assert_true(b.ok);
	assert_int_equal(b.total, 10600);
	assert_close(smp_cpustat_steal_share(&a, &b), 0.05);
}

static void steal_share_unknown_cases(void **state)
{
	smp_cpustat a, missing;

	put(*state, "/proc/stat", "cpu  1000 0 500 8000 0 0 0 100\n");
	assert_int_equal(smp_cpustat_read(&a, *state), 0);
	assert_true(a.ok);
	assert_close(smp_cpustat_steal_share(&a, &a), -1);  /* no time passed */
	assert_close(smp_cpustat_steal_share(NULL, &a), -1);

	put(*state, "/proc/stat", "cpu  1000 0 500 8000\n");  /* no steal column */
	assert_int_equal(smp_cpustat_read(&missing, *state), 0);
	assert_false(missing.ok);
	assert_close(smp_cpustat_steal_share(&a, &missing), -1);
	assert_int_equal(smp_cpustat_read(NULL, *state), BG_EINVAL);
}

static void missing_proc_stat_is_not_ok(void **state)
{
	smp_cpustat s;

	s.ok = 1;
	assert_int_equal(smp_cpustat_read(&s, *state), 0);
	assert_false(s.ok);
}

/* ---- the real machine ---- */

static void real_root_probe_succeeds(void **state)
{
	smp_probe p;
	smp_cpustat s;

	(void)state;
	assert_int_equal(smp_probe_read(&p, NULL), 0);
	assert_true(p.pus >= 1);
	assert_true(p.cores >= 1 && p.cores <= p.pus);
	assert_string_not_equal(p.kernel, "unknown");
	assert_fingerprint_shape(p.fingerprint);
	assert_int_equal(smp_cpustat_read(&s, ""), 0);
	assert_true(s.ok);
	assert_true(s.total > 0);
	assert_int_equal(smp_probe_read(NULL, NULL), BG_EINVAL);
}

#define ROOTED(f) cmocka_unit_test_setup_teardown(f, make_root, remove_root)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ROOTED(powersave_governor_warns_with_fix),
		ROOTED(performance_governor_does_not_warn),
		ROOTED(intel_no_turbo_zero_means_turbo_on),
		ROOTED(intel_no_turbo_one_means_turbo_off),
		ROOTED(cpufreq_boost_zero_means_turbo_off),
		ROOTED(cpufreq_boost_one_warns),
		ROOTED(empty_root_gives_unknowns_without_warnings),
		ROOTED(cpuinfo_model_name_is_parsed),
		ROOTED(cpuinfo_hardware_is_the_fallback),
		ROOTED(smt_siblings_make_one_core_of_two_threads),
		ROOTED(interleaved_siblings_count_cores),
		ROOTED(no_siblings_means_no_smt),
		ROOTED(high_load_warns),
		ROOTED(low_load_does_not_warn),
		ROOTED(thp_selection_is_the_bracketed_word),
		ROOTED(aslr_and_perf_settings),
		ROOTED(isolated_cpus_are_counted),
		ROOTED(no_isolated_cpus_is_zero_and_missing_is_unknown),
		ROOTED(siblings_come_from_the_topology),
		ROOTED(fingerprint_follows_the_hostname),
		ROOTED(fingerprint_is_fnv1a_of_the_key),
		ROOTED(steal_share_between_two_readings),
		ROOTED(steal_share_unknown_cases),
		ROOTED(missing_proc_stat_is_not_ok),
		cmocka_unit_test(real_root_probe_succeeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
