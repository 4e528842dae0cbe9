/* Tests of the state module: the names of benchgate's state in a
 * repository (state.h) and the test-count cache (state_counts.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "bg_error.h"
#include "bg_file.h"
#include "state.h"
#include "state_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the state directory ------------------------------------------------ */

static void test_state_paths(void **unused)
{
	char tmp[256], git[300], want[400], *p = NULL, ref[STATE_REF_REJECTED_LEN + 1];
	state_store *s = NULL;
	struct stat st;

	(void)unused;
	assert_int_equal(bg_test_tmpdir(tmp, sizeof(tmp), "state_paths"), 0);
	snprintf(git, sizeof(git), "%s/.git/", tmp);
	assert_int_equal(mkdir(git, 0777), 0);
	assert_int_equal(state_open(&s, git), 0);   /* a trailing slash is not doubled */
	snprintf(want, sizeof(want), "%s/.git/benchgate", tmp);
	assert_string_equal(state_root(s), want);
	assert_int_equal(stat(want, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(state_path(&p, s, STATE_LEDGER), 0);
	snprintf(want, sizeof(want), "%s/.git/benchgate/ledger.jsonl", tmp);
	assert_string_equal(p, want);
	free(p);
	assert_int_equal(state_path(&p, s, STATE_HOLDOUT_SEAL), 0);
	assert_non_null(strstr(p, "/.git/benchgate/holdout.seal"));
	free(p);
	assert_int_equal(state_path(&p, s, STATE_TEST_COUNTS), 0);
	assert_non_null(strstr(p, "/.git/benchgate/testcounts.json"));
	free(p);
	p = NULL;
	assert_int_equal(state_path(&p, s, (state_file)99), BG_EINVAL);
	assert_null(p);
	assert_int_equal(state_export_dir(&p, s, "0123456789012345678901234567890123456789extra"), 0);
	assert_non_null(strstr(p, "/.git/benchgate/exports/0123456789012345678901234567890123456789"));
	assert_null(strstr(p, "extra"));
	free(p);
	state_rejected_ref(ref, "abcdef0123456789abcdef");
	assert_string_equal(ref, "refs/benchgate/rejected/abcdef012345");
	state_free(s);
	state_free(NULL);
	bg_test_rmtree(tmp);
}

static void test_state_open_fails(void **unused)
{
	char tmp[256], git[300], file[400];
	state_store *s = (state_store *)0x1;

	(void)unused;
	assert_int_equal(state_open(&s, ""), BG_EINVAL);
	assert_int_equal(state_open(&s, NULL), BG_EINVAL);
	assert_int_equal(bg_test_tmpdir(tmp, sizeof(tmp), "state_open"), 0);
	snprintf(git, sizeof(git), "%s/.git", tmp);
	assert_int_equal(mkdir(git, 0777), 0);
	snprintf(file, sizeof(file), "%s/benchgate", git);
	assert_int_equal(bg_file_write_atomic(file, "not a directory\n"), 0);
	assert_int_equal(state_open(&s, git), BG_ESYS);
	assert_non_null(strstr(bg_error_last(), "is not a directory: remove it"));
	assert_ptr_equal(s, (state_store *)0x1);   /* *out untouched */
	snprintf(git, sizeof(git), "%s/no/such/dir", tmp);
	assert_int_equal(state_open(&s, git), BG_ESYS);
	assert_non_null(strstr(bg_error_last(), "cannot create"));
	bg_test_rmtree(tmp);
}

/* Outside a repository the calibration goes to the XDG cache, else HOME's. */
static void test_state_calibration_path(void **unused)
{
	char tmp[256], want[400], *p = NULL;
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *old_xdg = xdg ? strdup(xdg) : NULL, *old_home = home ? strdup(home) : NULL;
	struct stat st;

	(void)unused;
	assert_int_equal(bg_test_tmpdir(tmp, sizeof(tmp), "state_calib"), 0);
	setenv("XDG_CACHE_HOME", tmp, 1);
	assert_int_equal(state_calibration_path(&p, NULL, "0123456789abcdef", 1), 0);
	snprintf(want, sizeof(want), "%s/benchgate/calibration-0123456789abcdef.json", tmp);
	assert_string_equal(p, want);
	free(p);
	snprintf(want, sizeof(want), "%s/benchgate", tmp);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	setenv("XDG_CACHE_HOME", "relative/dir", 1);   /* ignored: not absolute */
	setenv("HOME", tmp, 1);
	assert_int_equal(state_calibration_path(&p, NULL, "ff", 0), 0);
	snprintf(want, sizeof(want), "%s/.cache/benchgate/calibration-ff.json", tmp);
	assert_string_equal(p, want);
	free(p);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "relative", 1);
	p = NULL;
	assert_int_equal(state_calibration_path(&p, NULL, "ff", 0), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "XDG_CACHE_HOME"));
	assert_null(p);
	if (old_xdg) setenv("XDG_CACHE_HOME", old_xdg, 1);
	if (old_home) setenv("HOME", old_home, 1); else unsetenv("HOME");
	free(old_xdg);
	free(old_home);
	bg_test_rmtree(tmp);
}

/* ---- the count cache -------------------------------------------------- */

/* A fresh state directory under a temporary "git directory". */
static state_store *tmp_state(char *tmp, size_t size, const char *name)
{
	state_store *s = NULL;

	assert_int_equal(bg_test_tmpdir(tmp, size, name), 0);
	assert_int_equal(state_open(&s, tmp), 0);
	return s;
}

static void test_cache_put_get(void **unused)
{
	char tmp[256];
	state_store *s = tmp_state(tmp, sizeof(tmp), "state_counts");
	long n = -5;

	(void)unused;
	/* missing file */
	assert_int_equal(state_counts_get(&n, s, "abc123"), BG_ENOTFOUND);
	assert_int_equal(n, -5);
	assert_int_equal(state_counts_put(s, "abc123", 41), 0);
	assert_int_equal(state_counts_put(s, "def456", 0), 0);
	assert_int_equal(state_counts_get(&n, s, "abc123"), 0);
	assert_int_equal(n, 41);
	assert_int_equal(state_counts_get(&n, s, "def456"), 0);
	assert_int_equal(n, 0);
	/* overwrite */
	assert_int_equal(state_counts_put(s, "abc123", 44), 0);
	assert_int_equal(state_counts_get(&n, s, "abc123"), 0);
	assert_int_equal(n, 44);
	/* an entry lowered by hand (to let a dropped test pass) is not believed */
	{
		char *path = NULL, *text, *at;

		assert_int_equal(state_path(&path, s, STATE_TEST_COUNTS), 0);
		assert_non_null(text = bg_file_read(path, NULL));
		assert_non_null(at = strstr(text, "\"count\":\t44"));
		at[9] = ' ';   /* 44 -> 4 */
		assert_int_equal(bg_file_write_atomic(path, text), 0);
		n = -5;
		assert_int_equal(state_counts_get(&n, s, "abc123"), BG_ENOTFOUND);
		assert_non_null(strstr(bg_error_last(), "MAC does not match"));
		assert_int_equal(n, -5);
		free(text);
		free(path);
	}
	/* missing commit */
	n = -5;
	assert_int_equal(state_counts_get(&n, s, "fff000"), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "fff000"));
	assert_int_equal(n, -5);
	assert_int_equal(state_counts_put(s, "", 3), BG_EINVAL);
	assert_int_equal(state_counts_put(s, "x", -1), BG_EINVAL);
	assert_int_equal(state_counts_put(NULL, "x", 1), BG_EINVAL);
	state_free(s);
	bg_test_rmtree(tmp);
}

static void test_cache_corrupt(void **unused)
{
	static const char *const bad[] = { "{\"abc\": 4", "[1, 2]", "", "\x01\x02 binary",
					   "{\"abc\": -3}", "{\"abc\": 2.5}", "{\"abc\": \"7\"}" };
	char tmp[256], *path = NULL;
	state_store *s = tmp_state(tmp, sizeof(tmp), "state_corrupt");
	size_t i;
	long n = -5;

	(void)unused;
	assert_int_equal(state_path(&path, s, STATE_TEST_COUNTS), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bg_file_write_atomic(path, bad[i]), 0);
		assert_int_equal(state_counts_get(&n, s, "abc"), BG_EPARSE);
		assert_non_null(strstr(bg_error_last(), path));
		assert_non_null(strstr(bg_error_last(), "delete it"));
		assert_int_equal(n, -5);
	}
	/* put rebuilds a cache it cannot read */
	assert_int_equal(bg_file_write_atomic(path, "{not json"), 0);
	assert_int_equal(state_counts_put(s, "abc", 9), 0);
	assert_int_equal(state_counts_get(&n, s, "abc"), 0);
	assert_int_equal(n, 9);
	/* a directory where the file should be: a system error, not a crash */
	assert_int_equal(remove(path), 0);
	assert_int_equal(mkdir(path, 0777), 0);
	assert_int_equal(state_counts_get(&n, s, "abc"), BG_ESYS);
	assert_int_equal(state_counts_put(s, "abc", 1), BG_ESYS);
	free(path);
	state_free(s);
	bg_test_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_paths),
		cmocka_unit_test(test_state_open_fails),
		cmocka_unit_test(test_state_calibration_path),
		cmocka_unit_test(test_cache_put_get),
		cmocka_unit_test(test_cache_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
