/* test_grd_holdout: cmocka tests for guards/grd_holdout — sealing a held-out
 * directory (hashes checked against git's own), verifying it (changed,
 * added, missing files; missing directory; a corrupt seal), the failure
 * budget across reopenings, resealing, and the pass/fail verdict.
 *
 * Every test works in its own mkdtemp directory, removed afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_error.h"
#include "bg_file.h"
#include "bg_test.h"
#include "grd_holdout.h"

#include <cjson/cJSON.h>
#include <git2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_HELLO "ce013625030ba8dba906f756967f9e9ca394464a"   /* "hello\n" */
#define HASH_EMPTY "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"

typedef struct {
	char root[64];
	char dir[128];    /* the held-out directory */
	char seal[128];   /* the seal file, outside it */
} fixture;

/* ---- helpers ---------------------------------------------------------- */

static void put_file(const fixture *f, const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	assert_int_equal(bg_file_write_atomic(path, text), 0);
}

static void rm_file(const fixture *f, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	assert_int_equal(unlink(path), 0);
}

/* hold/: a.txt "hello\n", empty.txt "", sub/deep/c.txt */
static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char sub[256];

	if (f == NULL)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/test_grd_holdout.XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/hold", f->root);
	snprintf(f->seal, sizeof(f->seal), "%s/holdout.seal", f->root);
	mkdir(f->dir, 0755);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/sub/deep", f->dir);
	mkdir(sub, 0755);
	put_file(f, "a.txt", "hello\n");
	put_file(f, "empty.txt", "");
	put_file(f, "sub/deep/c.txt", "workload c\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static grd_seal *seal_ok(const fixture *f, unsigned budget)
{
	grd_seal *s = NULL;
	int rc = grd_holdout_seal(&s, f->dir, f->seal, budget);

	if (rc != 0)
		fail_msg("grd_holdout_seal: %d %s", rc, bg_error_last());
	assert_non_null(s);
	return s;
}

static void seal_fails(const fixture *f, int code, const char *words)
{
	grd_seal *s = (grd_seal *)0x1;

	assert_int_equal(grd_holdout_seal(&s, f->dir, f->seal, 3), code);
	assert_ptr_equal(s, (grd_seal *)0x1);
	if (strstr(bg_error_last(), words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", bg_error_last(), words);
}

/* `git hash-object PATH`, trimmed, into out. */
static void git_hash_object(char out[41], const char *path)
{
	const char *argv[] = { "/usr/bin/git", "hash-object", path, NULL };
	bg_test_result r;

	assert_int_equal(bg_test_run(&r, argv, 30), 0);
	assert_int_equal(r.status, 0);
	assert_true(r.out_len >= 40);
	memcpy(out, r.out, 40);
	out[40] = '\0';
	bg_test_result_free(&r);
}

/* ---- sealing ---------------------------------------------------------- */

static void test_seal_created(void **state)
{
	fixture *f = *state;
	int fds = bg_test_count_fds();
	grd_seal *s = seal_ok(f, 4);
	cJSON *doc = bg_test_load_json(f->seal), *files, *it;
	char *real = realpath(f->dir, NULL), c_path[512], c_hash[41];
	const char *order[] = { "a.txt", "empty.txt", "sub/deep/c.txt" };
	size_t i = 0;

	assert_int_equal(s->created, 1);
	assert_int_equal(s->nfiles, 3);
	assert_int_equal(s->budget, 4);
	assert_int_equal(s->spent, 0);
	assert_int_equal(grd_seal_remaining(s), 4);
	assert_string_equal(s->dir, real);
	assert_int_equal(strlen(s->sealed_at), 20);   /* 2024-05-01T12:00:00Z */
	assert_int_equal(s->sealed_at[10], 'T');
	assert_int_equal(s->sealed_at[19], 'Z');

	assert_non_null(doc);
	assert_string_equal(cJSON_GetObjectItem(doc, "dir")->valuestring, real);
	assert_int_equal(cJSON_GetObjectItem(doc, "budget")->valueint, 4);
	assert_int_equal(cJSON_GetObjectItem(doc, "spent")->valueint, 0);
	assert_string_equal(cJSON_GetObjectItem(doc, "sealed_at")->valuestring, s->sealed_at);
	files = cJSON_GetObjectItem(doc, "files");
	assert_int_equal(cJSON_GetArraySize(files), 3);
	cJSON_ArrayForEach(it, files)
		assert_string_equal(it->string, order[i++]);   /* sorted */
	assert_string_equal(cJSON_GetObjectItem(files, "a.txt")->valuestring, HASH_HELLO);
	assert_string_equal(cJSON_GetObjectItem(files, "empty.txt")->valuestring, HASH_EMPTY);
	snprintf(c_path, sizeof(c_path), "%s/sub/deep/c.txt", f->dir);
	git_hash_object(c_hash, c_path);
	assert_string_equal(cJSON_GetObjectItem(files, "sub/deep/c.txt")->valuestring, c_hash);

	cJSON_Delete(doc);
	free(real);
	grd_seal_free(s);
	grd_seal_free(NULL);
	assert_int_equal(bg_test_count_fds(), fds);
}

static void test_seal_verifies(void **state)
{
	fixture *f = *state;
	grd_seal *s = seal_ok(f, 2), *again;
	char *first = bg_test_slurp(f->seal), *second;

	grd_seal_free(s);
	again = seal_ok(f, 9);   /* the stored budget wins */
	assert_int_equal(again->created, 0);
	assert_int_equal(again->budget, 2);
	assert_int_equal(again->nfiles, 3);
	/* touching a file without changing it is no change */
	put_file(f, "a.txt", "hello\n");
	grd_seal_free(again);
	again = seal_ok(f, 2);
	assert_int_equal(again->created, 0);
	grd_seal_free(again);
	/* verifying rewrites nothing */
	second = bg_test_slurp(f->seal);
	assert_string_equal(first, second);
	free(first);
	free(second);
}

static void test_seal_detects_changes(void **state)
{
	fixture *f = *state;

	grd_seal_free(seal_ok(f, 2));
	put_file(f, "a.txt", "hello!\n");
	seal_fails(f, BG_EINVAL, "a.txt (changed)");
	assert_non_null(strstr(bg_error_last(), f->seal));
	assert_non_null(strstr(bg_error_last(), "restore it, or reseal with `benchgate holdout "
				"--reseal` after refreshing the held-out workloads"));
	put_file(f, "a.txt", "hello\n");
	grd_seal_free(seal_ok(f, 2));   /* restored: fine again */

	put_file(f, "sub/new.txt", "x");
	seal_fails(f, BG_EINVAL, "sub/new.txt (added)");
	rm_file(f, "sub/new.txt");
	rm_file(f, "sub/deep/c.txt");
	seal_fails(f, BG_EINVAL, "sub/deep/c.txt (missing)");
	/* all three kinds at once, in path order */
	put_file(f, "sub/deep/c.txt", "workload c, edited\n");
	put_file(f, "b.txt", "new");
	rm_file(f, "empty.txt");
	seal_fails(f, BG_EINVAL, "b.txt (added), empty.txt (missing), sub/deep/c.txt (changed):");
}

static void test_seal_names_five_then_more(void **state)
{
	fixture *f = *state;
	char name[32];
	int i;

	grd_seal_free(seal_ok(f, 2));
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "extra%d.txt", i);
		put_file(f, name, name);
	}
	seal_fails(f, BG_EINVAL, "extra4.txt (added) and 3 more: restore it");
	assert_null(strstr(bg_error_last(), "extra5"));
}

static void test_seal_missing_dir(void **state)
{
	fixture *f = *state;
	grd_seal *s = (grd_seal *)0x1;
	char missing[256], file[256];

	snprintf(missing, sizeof(missing), "%s/no_such_holdout", f->root);
	assert_int_equal(grd_holdout_seal(&s, missing, f->seal, 3), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), missing));
	assert_int_equal(access(f->seal, F_OK), -1);   /* no seal written */
	snprintf(file, sizeof(file), "%s/a.txt", f->dir);
	assert_int_equal(grd_holdout_seal(&s, file, f->seal, 3), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "not a directory"));
	assert_int_equal(grd_holdout_reseal(missing, f->seal, 3), BG_ENOTFOUND);
	assert_ptr_equal(s, (grd_seal *)0x1);
}

static void test_seal_corrupt(void **state)
{
	static const char *const bad[] = {
		"{\"files\": {}, \"budget\": 3", "[]",
		"{\"files\": {}, \"budget\": -1, \"spent\": 0}",
		"{\"files\": [], \"budget\": 3, \"spent\": 0}",
		"{\"files\": {\"a.txt\": \"abc\"}, \"budget\": 3, \"spent\": 0}",
		"{\"files\": {}, \"budget\": 3.5, \"spent\": 0}",
	};
	fixture *f = *state;
	grd_seal s0 = { NULL, NULL, 3, 0, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bg_file_write_atomic(f->seal, bad[i]), 0);
		seal_fails(f, BG_EPARSE, "not a valid holdout seal");
		assert_int_equal(grd_seal_spend(&s0, f->seal), BG_EPARSE);
	}
	assert_int_equal(s0.spent, 0);
}

static void test_seal_file_inside_dir_and_links(void **state)
{
	fixture *f = *state;
	grd_seal *s;
	char link[256], seal_in[256];
	cJSON *doc, *files;

	/* a link to a file is hashed as the file; a linked directory is not walked */
	snprintf(link, sizeof(link), "%s/link.txt", f->dir);
	assert_int_equal(symlink("a.txt", link), 0);
	snprintf(link, sizeof(link), "%s/sublink", f->dir);
	assert_int_equal(symlink("sub", link), 0);
	snprintf(link, sizeof(link), "%s/dangling", f->dir);
	assert_int_equal(symlink("nowhere", link), 0);
	snprintf(seal_in, sizeof(seal_in), "%s/holdout.seal", f->dir);
	assert_int_equal(grd_holdout_seal(&s, f->dir, seal_in, 1), 0);
	assert_int_equal(s->nfiles, 4);
	grd_seal_free(s);
	doc = bg_test_load_json(seal_in);
	files = cJSON_GetObjectItem(doc, "files");
	assert_string_equal(cJSON_GetObjectItem(files, "link.txt")->valuestring, HASH_HELLO);
	assert_null(cJSON_GetObjectItem(files, "sublink/deep/c.txt"));
	assert_null(cJSON_GetObjectItem(files, "holdout.seal"));
	cJSON_Delete(doc);
	/* the seal inside the directory does not count as an added file */
	assert_int_equal(grd_holdout_seal(&s, f->dir, seal_in, 1), 0);
	assert_int_equal(s->created, 0);
	grd_seal_free(s);
	/* and the link follows its target */
	put_file(f, "a.txt", "changed\n");
	assert_int_equal(grd_holdout_seal(&s, f->dir, seal_in, 1), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "link.txt (changed)"));
}

/* ---- the budget ------------------------------------------------------- */

static void test_budget_spent_to_exhaustion(void **state)
{
	fixture *f = *state;
	grd_seal *s = seal_ok(f, 2), *again;
	cJSON *doc;

	assert_int_equal(grd_seal_spend(s, f->seal), 0);
	assert_int_equal(s->spent, 1);
	assert_int_equal(grd_seal_remaining(s), 1);
	grd_seal_free(s);

	/* persisted: a reopened seal knows */
	again = seal_ok(f, 2);
	assert_int_equal(again->spent, 1);
	assert_int_equal(grd_seal_remaining(again), 1);
	assert_int_equal(grd_seal_spend(again, f->seal), 0);
	assert_int_equal(grd_seal_remaining(again), 0);
	assert_int_equal(grd_seal_spend(again, f->seal), BG_EINVAL);
	assert_string_equal(bg_error_last(), "holdout budget exhausted (2 of 2 failures): refresh "
			    "the held-out workloads and reseal");
	assert_int_equal(again->spent, 2);
	grd_seal_free(again);

	doc = bg_test_load_json(f->seal);
	assert_int_equal(cJSON_GetObjectItem(doc, "spent")->valueint, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "files")), 3);
	cJSON_Delete(doc);
	/* an exhausted seal still opens: the caller reads remaining() */
	again = seal_ok(f, 2);
	assert_int_equal(grd_seal_remaining(again), 0);
	grd_seal_free(again);
}

static void test_budget_two_handles(void **state)
{
	fixture *f = *state;
	grd_seal *a = seal_ok(f, 5), *b = seal_ok(f, 5);

	assert_int_equal(grd_seal_spend(a, f->seal), 0);
	assert_int_equal(grd_seal_spend(b, f->seal), 0);   /* reads 1 back from the file */
	assert_int_equal(b->spent, 2);
	grd_seal_free(a);
	grd_seal_free(b);
	a = seal_ok(f, 5);
	assert_int_equal(a->spent, 2);
	grd_seal_free(a);
}

static void test_budget_zero(void **state)
{
	fixture *f = *state;
	grd_seal *s = seal_ok(f, 0);

	assert_int_equal(grd_seal_remaining(s), 0);
	assert_int_equal(grd_seal_spend(s, f->seal), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "(0 of 0 failures)"));
	grd_seal_free(s);
}

static void test_reseal_resets(void **state)
{
	fixture *f = *state;
	grd_seal *s = seal_ok(f, 1);

	assert_int_equal(grd_seal_spend(s, f->seal), 0);
	grd_seal_free(s);
	put_file(f, "a.txt", "refreshed workload\n");
	put_file(f, "d.txt", "another\n");
	seal_fails(f, BG_EINVAL, "a.txt (changed), d.txt (added)");
	assert_int_equal(grd_holdout_reseal(f->dir, f->seal, 3), 0);
	s = seal_ok(f, 1);
	assert_int_equal(s->created, 0);
	assert_int_equal(s->budget, 3);
	assert_int_equal(s->spent, 0);
	assert_int_equal(s->nfiles, 4);
	assert_int_equal(grd_seal_remaining(s), 3);
	grd_seal_free(s);
}

/* ---- the verdict ------------------------------------------------------ */

typedef struct {
	int lower;
	double train, hold, lo, hi, g;
	int expected;   /* a grd_holdout_verdict, or a BG_E* code */
	const char *why;
} judge_case;

static void test_judge_table(void **state)
{
	static const judge_case cases[] = {
		/* lower is better: gains -ln(ratio) */
		{ 1, 0.80, 0.85, 0.80, 0.90, 0.5, 1, "held-out keeps 73% of the gain" },
		{ 1, 0.80, 0.95, 0.90, 1.00, 0.5, 0, "keeps only 23% of the gain" },
		{ 1, 0.80, 0.85, 0.70, 1.01, 0.5, 1, "interval straddles 1 but reaches below" },
		{ 1, 0.80, 1.02, 1.00, 1.05, 0.0, 0, "interval never below 1" },
		{ 1, 0.80, 0.99, 1.00, 1.05, 0.0, 0, "lo exactly 1 does not reach" },
		{ 1, 0.80, 1.02, 0.98, 1.06, 0.0, 2, "got worse, but the interval still reaches a gain: undecided" },
		{ 1, 0.80, 1.00, 0.98, 1.02, 0.0, 1, "g = 0 asks only that it not get worse" },
		{ 1, 0.80, 0.70, 0.65, 0.75, 1.0, 1, "better than training meets g = 1" },
		{ 1, 0.80, 0.81, 0.78, 0.84, 1.0, 2, "g = 1 demands the whole gain, still inside the interval" },
		{ 1, 0.80, 0.85, 0.83, 0.87, 1.0, 0, "g = 1: the whole gain excluded" },
		{ 1, 0.90, 1.00, 0.93, 1.07, 0.5, 2, "no gain measured, half the gain not excluded: undecided" },
		{ 1, 0.90, 1.00, 0.98, 1.02, 0.5, 0, "no gain measured, half the gain excluded: overfit" },
		{ 1, 0.99, 0.994, 0.99, 0.999, 0.5, 1, "tiny gains, half kept" },
		/* higher is better: gains ln(ratio) */
		{ 0, 1.25, 1.15, 1.05, 1.25, 0.5, 1, "throughput: 63% kept" },
		{ 0, 1.25, 1.05, 0.98, 1.12, 0.5, 2, "throughput: 22% kept, half still inside" },
		{ 0, 1.25, 1.05, 0.98, 1.10, 0.5, 0, "throughput: 22% kept, half excluded" },
		{ 0, 1.25, 1.20, 0.95, 1.00, 0.0, 0, "hi exactly 1 does not reach" },
		{ 0, 1.25, 0.97, 0.95, 0.99, 0.0, 0, "throughput fell" },
		/* cannot be judged */
		{ 0, 0.80, 0.85, 0.80, 0.90, 0.5, BG_EINVAL, "a lower ratio is no gain when higher is better" },
		{ 1, 1.00, 0.90, 0.85, 0.95, 0.5, BG_EINVAL, "no training gain" },
		{ 1, 1.10, 0.90, 0.85, 0.95, 0.5, BG_EINVAL, "training got worse" },
		{ 1, 0.80, 0.90, 0.95, 0.85, 0.5, BG_EINVAL, "lo > hi" },
		{ 1, 0.80, 0.90, 0.00, 0.95, 0.5, BG_EINVAL, "zero bound" },
		{ 1, 0.80, NAN, 0.85, 0.95, 0.5, BG_EINVAL, "NaN ratio" },
		{ 1, 0.80, 0.90, 0.85, INFINITY, 0.5, BG_EINVAL, "infinite bound" },
		{ 1, 0.80, 0.90, 0.85, 0.95, 1.5, BG_EINVAL, "g above 1" },
		{ 1, 0.80, 0.90, 0.85, 0.95, -0.1, BG_EINVAL, "g below 0" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const judge_case *c = &cases[i];
		grd_holdout_input in = { c->lower, c->train, c->hold, c->lo, c->hi, c->g };
		int got = grd_holdout_judge(&in);

		if (got != c->expected)
			fail_msg("case %zu (%s): got %d, expected %d (%s)", i, c->why, got,
				 c->expected, bg_error_last());
	}
	assert_int_equal(grd_holdout_judge(NULL), BG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seal_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_detects_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_names_five_then_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_file_inside_dir_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_spent_to_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reseal_resets, setup, teardown),
		cmocka_unit_test(test_judge_table),
	};
	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
