/* test_overlay: sampler/smp_overlay — a tree a run may write whose writes
 * do not outlive the run: in a sandbox (test and workload runs, through
 * smp_sandbox_wrap) and on its own; the run keeps its uid and cannot
 * undo the mount; the errors say what failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "bg_error.h"
#include "smp_overlay.h"
#include "smp_sandbox.h"
#include "smp_shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char tmp[256], tree[300], at[300];
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	bg_test_result r;

	assert_int_equal(bg_test_tmpdir(f->tmp, sizeof(f->tmp), "overlay"), 0);
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->tmp);
	snprintf(f->at, sizeof(f->at), "%s/repo", f->tmp);
	assert_int_equal(mkdir(f->at, 0755), 0);
	r = bg_test_shellf(f->tmp, 10, "mkdir -p tree/sub && echo base > tree/f && echo deep > tree/sub/g");
	assert_int_equal(r.status, 0);
	bg_test_result_free(&r);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;

	bg_test_rmtree(f->tmp);
	free(f);
	return 0;
}

/* The tree as it was: f and sub/g only, unchanged. */
static void expect_tree_unchanged(const fx *f)
{
	bg_test_result r = bg_test_shellf(f->tree, 10, "find . | sort; cat f sub/g");

	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, ".\n./f\n./sub\n./sub/g\nbase\ndeep\n");
	bg_test_result_free(&r);
}

/* What a test or workload run writes, and deletes, in its tree is there
 * for the run and gone after it; the run starts where it was (in the
 * tree, now the overlay), as the caller's uid. */
static void test_sandboxed_run_writes(void **state)
{
	fx *f = *state;
	smp_sandbox sb = { .tree = f->tree, .at = f->at, .mode = SMP_TREE_OVERLAY, .exe = BG_TEST_BIN };
	const char *cmd = "echo more >> f && rm sub/g && mkdir new && echo x > new/y && cat f && ls sub | wc -l && "
			  "ls new && id -u && umount " ".; echo umount=$?";
	smp_shell_result r;
	char want[200];

	for (int i = 0; i < 2; i++) {   /* the second run sees the tree as it was */
		assert_int_equal(smp_shell_run(&r, cmd, NULL, 30, &sb), 0);
		snprintf(want, sizeof(want), "base\nmore\n0\ny\n%d\n", (int)getuid());
		if (strncmp(r.output, want, strlen(want)) != 0 || strstr(r.output, "umount=0"))
			fail_msg("run %d printed:\n%s", i, r.output);
		assert_int_equal(r.passed, 1);
		smp_shell_result_clear(&r);
	}
	expect_tree_unchanged(f);
}

/* The helper on its own (outside a sandbox): the same, in dir. */
static void test_helper_alone(void **state)
{
	fx *f = *state;
	bg_test_result r = bg_test_shellf(f->tree, 10, "'%s' %s '%s' sh -c 'echo w > f && touch h && pwd && cat f'",
					  BG_TEST_BIN, SMP_OVERLAY_COMMAND, f->tree);
	char want[400];

	snprintf(want, sizeof(want), "%s\nw\n", f->tree);
	if (r.status != 0)
		bg_test_dump(&r, "the overlay helper");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, want);
	bg_test_result_free(&r);
	expect_tree_unchanged(f);
}

/* Errors: a relative directory, one that is not there, a command not
 * found, a usage error; a wrap that needs the helper without the binary. */
static void test_errors(void **state)
{
	fx *f = *state;
	smp_sandbox sb = { .tree = f->tree, .at = f->at, .mode = SMP_TREE_OVERLAY };
	char why[512];
	bg_test_result r;

	r = bg_test_shellf(f->tmp, 10, "'%s' %s tree true", BG_TEST_BIN, SMP_OVERLAY_COMMAND);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.err, "must be absolute, got \"tree\""));
	bg_test_result_free(&r);
	r = bg_test_shellf(f->tmp, 10, "'%s' %s '%s/none' true", BG_TEST_BIN, SMP_OVERLAY_COMMAND, f->tmp);
	assert_int_equal(r.status, 126);
	assert_non_null(strstr(r.err, "cannot give the run a writable overlay on"));
	assert_non_null(strstr(r.err, "No such file or directory"));
	bg_test_result_free(&r);
	r = bg_test_shellf(f->tmp, 10, "'%s' %s '%s' no-such-command-here", BG_TEST_BIN, SMP_OVERLAY_COMMAND,
			   f->tree);
	assert_int_equal(r.status, 127);
	bg_test_result_free(&r);
	r = bg_test_shellf(f->tmp, 10, "'%s' %s '%s'", BG_TEST_BIN, SMP_OVERLAY_COMMAND, f->tree);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: benchgate __overlay DIR CMD"));
	bg_test_result_free(&r);
	assert_null(smp_sandbox_wrap(&sb, "true"));
	assert_int_equal(bg_error_code(), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "needs benchgate's binary"));
	assert_int_equal(smp_sandbox_overlay_works(&sb, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "needs benchgate's binary"));
	sb.exe = BG_TEST_BIN;
	assert_int_equal(smp_sandbox_overlay_works(&sb, why, sizeof(why)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sandboxed_run_writes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_helper_alone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_errors, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
