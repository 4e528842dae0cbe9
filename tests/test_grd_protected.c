/* test_grd_protected: cmocka tests for guards/grd_protected — which changed
 * paths fall under a protected entry (directory and file entries, prefixes
 * that are not directories, nesting, sorting and duplicates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_error.h"
#include "bg_strv.h"
#include "grd_protected.h"

#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Runs the check and asserts the violations are exactly `expected` (a
 * comma-separated sorted list, "" for none). */
static void expect(const char *const *changed, size_t nchanged, const char *const *prot,
		   size_t nprot, const char *expected)
{
	char **v = NULL, joined[1024] = "";
	size_t n = 99, i;
	int rc = grd_protected_check(&v, &n, changed, nchanged, prot, nprot);

	if (rc != 0)
		fail_msg("grd_protected_check: %d %s", rc, bg_error_last());
	assert_non_null(v);
	for (i = 0; i < n; i++) {
		assert_non_null(v[i]);
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i ? "," : "", v[i]);
	}
	assert_null(v[n]);
	assert_string_equal(joined, expected);
	bg_strv_free(v);
}

/* Whether one path is protected by one entry. */
static void one(const char *path, const char *entry, int protected_expected)
{
	const char *changed[] = { path }, *prot[] = { entry };

	expect(changed, 1, prot, 1, protected_expected ? path : "");
}

static void test_directory_entries(void **state)
{
	(void)state;
	one("bench/run.sh", "bench/", 1);
	one("bench/run.sh", "bench", 1);
	one("bench", "bench/", 1);
	one("bench", "bench", 1);
	one("bench/deep/er/x.c", "bench/", 1);
	/* a longer name that only starts the same is not under it */
	one("benchmark.c", "bench", 0);
	one("benchmark.c", "bench/", 0);
	one("bench2/x", "bench/", 0);
	one("bench.txt", "bench", 0);
	/* the directory's parent and unrelated paths */
	one("src/bench/x.c", "bench/", 0);
	one("tests", "tests/", 1);
	one("tests/", "tests", 1);
	one("tests_extra/a.c", "tests/", 0);
	one("test", "tests/", 0);
}

static void test_file_entries(void **state)
{
	(void)state;
	one("benchgate.json", "benchgate.json", 1);
	one("benchgate.json.bak", "benchgate.json", 0);
	one("sub/benchgate.json", "benchgate.json", 0);
	one("benchgate.jso", "benchgate.json", 0);
}

static void test_nested_entries(void **state)
{
	(void)state;
	one("corpora/train/a.txt", "corpora/train/", 1);
	one("corpora/train", "corpora/train", 1);
	one("corpora/holdout/a.txt", "corpora/train/", 0);
	one("corpora/trainer.c", "corpora/train", 0);
	one("corpora", "corpora/train/", 0);
	/* "./" and doubled trailing slashes are noise */
	one("bench/x", "./bench//", 1);
	one("benchgate.json", "./benchgate.json", 1);
}

static void test_sorted_unique(void **state)
{
	const char *changed[] = { "tests/z.c", "src/main.c", "bench/b.sh", "tests/a.c",
				  "benchgate.json", "bench/b.sh", "README.md", "benchmark.c" };
	const char *prot[] = { "bench/", "tests/", "benchgate.json", "tests" };

	(void)state;
	expect(changed, N(changed), prot, N(prot), "bench/b.sh,benchgate.json,tests/a.c,tests/z.c");
	/* nothing protected, nothing changed */
	expect(changed, N(changed), NULL, 0, "");
	expect(NULL, 0, prot, N(prot), "");
}

static void test_bad_entries(void **state)
{
	const char *changed[] = { "a" };
	const char *empty[] = { "bench/", "" }, *slash[] = { "/" }, *dot[] = { "./" };
	char **v = (char **)0x1;
	size_t n = 77;

	(void)state;
	assert_int_equal(grd_protected_check(&v, &n, changed, 1, empty, 2), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "protected entry 2"));
	assert_int_equal(grd_protected_check(&v, &n, changed, 1, slash, 1), BG_EINVAL);
	assert_int_equal(grd_protected_check(&v, &n, changed, 1, dot, 1), BG_EINVAL);
	assert_int_equal(grd_protected_check(&v, &n, NULL, 1, dot, 0), BG_EINVAL);
	assert_int_equal(grd_protected_check(NULL, &n, changed, 1, NULL, 0), BG_EINVAL);
	/* untouched on failure */
	assert_ptr_equal(v, (char **)0x1);
	assert_int_equal(n, 77);
	bg_strv_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directory_entries),
		cmocka_unit_test(test_file_entries),
		cmocka_unit_test(test_nested_entries),
		cmocka_unit_test(test_sorted_unique),
		cmocka_unit_test(test_bad_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
