/* test_demo: a short version of the demo campaign (`make demo`) run end to
 * end — the demo target from corpora/demo/ in a throwaway repository with
 * inputs at a quarter of their size and a 20-second measurement budget
 * per gate (--max-time: the overfit candidate decides in a few seconds on a
 * quiet machine; with 8, a busy one left its held-out phase undecided), and
 * `benchgate loop` driving the scripted agent over the four candidates that
 * cheat: the one overfit to the training inputs, the one that edits the
 * benchmark, the one that breaks an edge case, the one that deletes a test.
 * Each must get the verdict its patch's "# deserves:" line names, and none
 * may be lost: every rejected commit stays under refs/benchgate/rejected/
 * while the branch is back at the baseline.
 *
 * The campaign runs once, in the group setup; each test then checks one
 * candidate in the ledger (`benchgate log --json`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIMIT_S 180.0
#define DEMO BG_TEST_SRCDIR "/corpora/demo"

typedef struct {
	char root[64];
	char repo[96];
	char baseline[41];
	cJSON *log;          /* benchgate log --json of the campaign */
} campaign;

static char *sh_out(const char *dir, const char *cmd)
{
	return bg_test_shell_out(dir, cmd, LIMIT_S);
}

static void sh_ok(const char *dir, const char *cmd)
{
	free(sh_out(dir, cmd));
}

/* The demo's baseline as `make demo` makes it, with small inputs and budget. */
static void make_repo(campaign *c)
{
	char *cmd = NULL;

	assert_true(asprintf(&cmd,
			     "mkdir repo cands && cp -r '" DEMO "/src' '" DEMO "/tests' '" DEMO "/Makefile' "
			     "'" DEMO "/gen_inputs.sh' '" DEMO "/.gitignore' repo/ && "
			     "sed 's|@HOLDOUT@|%s/holdout|' '" DEMO "/benchgate.json' >repo/benchgate.json && "
			     "cp '" DEMO "'/candidates/0[3-6]-*.patch cands/ && "
			     "cd repo && sh gen_inputs.sh . ../holdout 0.25 && git init -q && "
			     "git config user.name test && git config user.email test@benchgate.invalid && "
			     "git add -A && git commit -qm baseline",
			     c->root) > 0);
	sh_ok(c->root, cmd);
	free(cmd);
	cmd = sh_out(c->repo, "git rev-parse HEAD");
	assert_int_equal(strlen(cmd), 40);
	memcpy(c->baseline, cmd, 41);
	free(cmd);
}

static int setup(void **state)
{
	campaign *c = calloc(1, sizeof(*c));
	bg_test_result r;
	char *json;

	assert_non_null(c);
	assert_int_equal(bg_test_tmpdir(c->root, sizeof(c->root), "benchgate-test-demo"), 0);
	snprintf(c->repo, sizeof(c->repo), "%s/repo", c->root);
	*state = c;
	make_repo(c);
	r = bg_test_shell(c->repo, "BENCHGATE_DEMO_CANDIDATES=../cands exec '" BG_TEST_BIN "' loop "
			  "--agent \"sh '" DEMO "/agent.sh'\" -n 4 --max-time 20", LIMIT_S);
	bg_test_expect_status(&r, 0, "benchgate loop over four demo candidates");
	bg_test_result_free(&r);
	json = sh_out(c->repo, "exec '" BG_TEST_BIN "' log --json");
	c->log = cJSON_Parse(json);
	free(json);
	assert_non_null(c->log);
	return 0;
}

static int teardown(void **state)
{
	campaign *c = *state;

	if (c == NULL)
		return 0;
	if (bg_test_rmtree(c->root) < 0)
		fprintf(stderr, "test_demo: could not remove %s\n", c->root);
	cJSON_Delete(c->log);
	free(c);
	return 0;
}

/* The ledger record of the candidate committed from patch `name`, found by
 * the "candidate NAME" line agent.sh writes in the commit message. */
static const cJSON *record_of(const campaign *c, const char *name)
{
	const cJSON *rec, *records = cJSON_GetObjectItemCaseSensitive(c->log, "records");
	char cmd[160], *body;
	const cJSON *found = NULL;

	assert_true(cJSON_IsArray(records));
	cJSON_ArrayForEach(rec, records) {
		const cJSON *cand = cJSON_GetObjectItemCaseSensitive(rec, "candidate");
		if (!cJSON_IsString(cand))
			continue;
		snprintf(cmd, sizeof(cmd), "git log -1 --format=%%b %.40s", cand->valuestring);
		body = sh_out(c->repo, cmd);
		if (strstr(body, name) != NULL)
			found = rec;
		free(body);
		if (found)
			return found;
	}
	fail_msg("no ledger record for candidate %s", name);
	return NULL;
}

/* "REJECT(overfit)" from the patch's "# deserves: REJECT(overfit)" line,
 * into out (size bytes). */
static void deserved(char *out, size_t size, const char *name)
{
	char path[256], *text, *line;
	size_t len;

	snprintf(path, sizeof(path), DEMO "/candidates/%s.patch", name);
	assert_non_null(text = bg_test_slurp(path));
	line = strstr(text, "# deserves: ");
	len = line ? strcspn(line + strlen("# deserves: "), " \n") : 0;
	if (line && len < size)
		memcpy(out, line + strlen("# deserves: "), len);
	free(text);
	assert_true(len > 0 && len < size);
	out[len] = '\0';
}

/* The candidate's record says exactly the deserved verdict and reason, the
 * commit stays reachable under refs/benchgate/rejected/, and its note
 * tells the verdict. */
static void check_candidate(void **state, const char *name, const char *reason)
{
	campaign *c = *state;
	const cJSON *rec = record_of(c, name);
	const cJSON *decision = cJSON_GetObjectItemCaseSensitive(rec, "decision");
	const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(rec, "reasons");
	const char *cand = cJSON_GetObjectItemCaseSensitive(rec, "candidate")->valuestring;
	char want[64], cmd[200], *out;

	deserved(want, sizeof(want), name);
	assert_true(cJSON_IsString(decision));
	assert_string_equal(decision->valuestring, want);
	assert_true(cJSON_IsArray(reasons));
	assert_string_equal(cJSON_GetArrayItem(reasons, 0)->valuestring, reason);
	snprintf(cmd, sizeof(cmd), "git rev-parse refs/benchgate/rejected/%.12s", cand);
	out = sh_out(c->repo, cmd);
	assert_string_equal(out, cand);
	free(out);
	snprintf(cmd, sizeof(cmd), "git notes --ref=benchgate show %.40s", cand);
	out = sh_out(c->repo, cmd);
	assert_non_null(strstr(out, want));
	free(out);
}

static void test_overfit(void **state)
{
	campaign *c = *state;
	char *seal;

	check_candidate(state, "03-overfit", "overfit");
	/* The failure spent one unit of the holdout budget (20 by default). */
	seal = sh_out(c->repo, "exec '" BG_TEST_BIN "' holdout");
	assert_non_null(strstr(seal, "19"));
	free(seal);
}

static void test_protected(void **state)
{
	check_candidate(state, "04-edit-benchmark", "protected_changed");
}

static void test_tests_failed(void **state)
{
	check_candidate(state, "05-breaks-edge-case", "tests_failed");
}

static void test_tests_dropped(void **state)
{
	check_candidate(state, "06-deletes-failing-test", "tests_dropped");
}

/* Four decisions, nothing kept, the branch back at the baseline with a
 * clean tree, and a ledger whose chain verifies. */
static void test_campaign_state(void **state)
{
	campaign *c = *state;
	char *head, *status, *verify;

	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c->log, "records")), 4);
	head = sh_out(c->repo, "git rev-parse HEAD");
	assert_string_equal(head, c->baseline);
	status = sh_out(c->repo, "git status --porcelain --untracked-files=no");
	assert_string_equal(status, "");
	verify = sh_out(c->repo, "exec '" BG_TEST_BIN "' log --verify");
	assert_non_null(strstr(verify, "4"));
	free(head);
	free(status);
	free(verify);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overfit),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_tests_failed),
		cmocka_unit_test(test_tests_dropped),
		cmocka_unit_test(test_campaign_state),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
