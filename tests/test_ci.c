/* test_ci: the CI examples under examples/ run as they are written, on a
 * throwaway repository: the shell between "benchgate: begin" and
 * "benchgate: end" of the GitHub Actions workflow and of the GitLab CI job
 * (a pull request's head gated against its base, the markdown for the
 * comment), and the pre-push hook (a push refused when the new tip is
 * slower, let through when it is faster). The real binary
 * (BG_TEST_BIN) is put first on PATH, as `make install` would. The
 * metric is work_units of bg-int, so the verdicts do not depend on the
 * machine's noise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LIMIT_S 120.0
#define BG_INT BG_TEST_CORPORA "/bg-int"
#define EXAMPLES BG_TEST_SRCDIR "/examples"

typedef struct {
	char root[64];   /* the mkdtemp directory */
	char repo[96];   /* root/repo */
	char *base, *faster, *slower;
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (bg_test_tmpdir(f->root, sizeof(f->root), "bg_test_ci") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;

	bg_test_rmtree(f->root);
	free(f->base);
	free(f->faster);
	free(f->slower);
	free(f);
	return 0;
}

/* The benchgate of BG_TEST_BIN first on PATH, as `make install` puts it. */
static const char *path_env(void)
{
	static char env[4096];
	char bin[512], *slash;

	snprintf(bin, sizeof(bin), "%s", BG_TEST_BIN);
	if ((slash = strrchr(bin, '/')) != NULL)
		*slash = '\0';
	snprintf(env, sizeof(env), "PATH='%s':\"$PATH\"", bin);
	return env;
}

/* A repository whose work is bg-int's, at a base commit; a faster and a
 * slower candidate on branches of their own. */
static void make_repo(fx *f)
{
	assert_int_equal(mkdir(f->repo, 0755), 0);
	f->base = bg_test_shell_out(
		f->repo,
		"git init -q -b main && git config user.email a@b && git config user.name t && "
		"git config commit.gpgsign false && echo 40 > knob && "
		"printf '#!/bin/sh\\nread x < knob\\nexec " BG_INT " -s 0.02 -x $x\\n' > work.sh && "
		"cat > benchgate.json <<'EOF'\n{ \"metric\": { \"name\": \"work_units\" },\n"
		"  \"workloads\": [ { \"name\": \"int\", \"cmd\": \"sh work.sh\" } ],\n"
		"  \"budget\": { \"max_seconds\": 20, \"warmup\": 0 } }\nEOF\n"
		"git add -A && git commit -qm base && git rev-parse HEAD",
		LIMIT_S);
	f->faster = bg_test_shell_out(f->repo, "git checkout -qb faster && echo 20 > knob && git commit -qam faster && "
					       "git rev-parse HEAD && git checkout -q main", LIMIT_S);
	f->slower = bg_test_shell_out(f->repo, "git checkout -qb slower && echo 60 > knob && git commit -qam slower && "
					       "git rev-parse HEAD && git checkout -q main", LIMIT_S);
}

/* The shell between the markers of an example file, its indentation
 * removed (caller frees). */
static char *snippet(const char *file)
{
	char *text = bg_test_slurp(file), *begin, *end, *out, *o;

	size_t indent;

	if (text == NULL)
		fail_msg("cannot read %s", file);
	begin = strstr(text, "# benchgate: begin\n");
	end = strstr(text, "# benchgate: end");
	if (begin == NULL || end == NULL || end < begin)
		fail_msg("%s: no \"# benchgate: begin\" ... \"# benchgate: end\"", file);
	for (indent = 0; begin > text && begin[-1] == ' '; begin--)
		indent++;
	assert_non_null(o = out = calloc(1, (size_t)(end - begin) + 1));
	for (const char *l = begin, *nl; l < end; l = nl + 1) {
		nl = strchr(l, '\n');
		for (size_t k = 0; k < indent && *l == ' '; k++)
			l++;
		memcpy(o, l, (size_t)(nl - l) + 1);
		o += nl - l + 1;
	}
	free(text);
	return out;
}

/* The CI snippet run on the repository for BASE..HEAD; its $status. */
static int run_ci(const fx *f, const char *file, const char *head, char **md)
{
	char *code = snippet(file), *p;
	bg_test_result r;
	int status;

	r = bg_test_shellf(f->repo, LIMIT_S, "rm -f benchgate.md; %s; BASE_SHA=%s; HEAD_SHA=%s\n%s\necho \"status=$status\"",
			   path_env(), f->base, head, code);
	free(code);
	if ((p = strstr(r.out, "status=")) == NULL) {
		bg_test_dump(&r, file);
		fail_msg("%s: the snippet did not finish", file);
	}
	status = atoi(p + 7);
	bg_test_result_free(&r);
	p = bg_test_shell_out(f->repo, "cat benchgate.md", LIMIT_S);
	*md = p;
	return status;
}

static void ci_example(void **state, const char *file)
{
	fx *f = *state;
	char *md;

	make_repo(f);
	assert_int_equal(run_ci(f, file, f->faster, &md), 0);
	bg_test_expect_has(md, "### benchgate: KEEP\n", "the comment on a faster pull request");
	bg_test_expect_has(md, "| **weighted aggregate** | **0.8571** |", "the per-workload table");
	free(md);
	assert_int_equal(run_ci(f, file, f->slower, &md), 1);
	bg_test_expect_has(md, "### benchgate: REJECT(", "the comment on a slower pull request");
	bg_test_expect_has(md, "> ", "why it was rejected");
	free(md);
	assert_int_equal(run_ci(f, file, "0000000", &md), 2);
	bg_test_expect_has(md, "### benchgate: error", "the comment when the gate cannot decide");
	free(md);
}

static void test_github_actions(void **state)
{
	ci_example(state, EXAMPLES "/ci/github-actions.yml");
}

static void test_gitlab_ci(void **state)
{
	ci_example(state, EXAMPLES "/ci/gitlab-ci.yml");
}

/* The hook in a clone of a bare remote: a faster tip is pushed, a slower
 * one is refused and the remote keeps its branch. */
static void test_pre_push(void **state)
{
	fx *f = *state;
	char *remote_tip;
	bg_test_result r;

	make_repo(f);
	free(bg_test_shell_out(f->repo,
			       "git clone -q --bare . ../remote.git && git remote add origin ../remote.git && "
			       "git fetch -q origin && git branch -q -u origin/main && "
			       "cp '" EXAMPLES "/hooks/pre-push' .git/hooks/pre-push",
			       LIMIT_S));
	r = bg_test_shellf(f->repo, LIMIT_S, "%s; git merge -q --ff-only faster && git push -q origin main", path_env());
	bg_test_expect_status(&r, 0, "pushing a faster tip");
	bg_test_expect_has(r.out, "KEEP", "the gate's verdict in the push");
	bg_test_result_free(&r);
	remote_tip = bg_test_shell_out(f->repo, "git --git-dir=../remote.git rev-parse main", LIMIT_S);
	assert_string_equal(remote_tip, f->faster);
	free(remote_tip);
	r = bg_test_shellf(f->repo, LIMIT_S, "%s; echo 80 > knob && git commit -qam slower-again && git push -q origin main",
			   path_env());
	bg_test_expect_status(&r, 1, "pushing a slower tip");
	bg_test_expect_has(r.out, "REJECT(", "the gate's verdict in the push");
	bg_test_expect_has(r.err, "not pushed; git push --no-verify pushes anyway", "the hook says what to do");
	bg_test_result_free(&r);
	remote_tip = bg_test_shell_out(f->repo, "git --git-dir=../remote.git rev-parse main", LIMIT_S);
	assert_string_equal(remote_tip, f->faster);
	free(remote_tip);
	/* a new branch has nothing to be compared with: it passes */
	r = bg_test_shellf(f->repo, LIMIT_S, "%s; git push -q origin slower", path_env());
	bg_test_expect_status(&r, 0, "pushing a new branch");
	bg_test_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_github_actions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gitlab_ci, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pre_push, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
