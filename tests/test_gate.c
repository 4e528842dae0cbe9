/* test_gate: end-to-end tests of `benchgate gate` and `benchgate log` on
 * throwaway git repositories — the verdicts and their reasons, the exit
 * codes, and what each decision leaves behind: ledger records, notes, refs
 * under refs/benchgate/, the holdout seal, --apply's resets, and nothing at
 * all after an error or an interruption.
 *
 * Every test builds a fresh repository under a mkdtemp directory with the
 * `git` command (see make_repo) and runs the real binary (BG_TEST_BIN)
 * through /bin/sh -c 'cd REPO && exec benchgate ...', or with fork/exec for
 * the interruption test, which needs the pid. The metric is work_units of
 * the calibration workload bg-int, so the ratios are exact: knob 40 -> 20
 * is B/A = 120/140, a sure speedup that decides in a few rounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_S 120.0
#define BG_INT BG_TEST_CORPORA "/bg-int"

typedef struct {
	char root[64];   /* the mkdtemp directory */
	char repo[96];   /* root/repo, the git repository */
	char hold[96];   /* root/holdout, the held-out files */
} fx;

/* ---- running things --------------------------------------------------- */

/* A printf-formatted shell command in the repository. */
#define shellf(f, ...) bg_test_shellf((f)->repo, LIMIT_S, __VA_ARGS__)


static void expect_in(bg_test_result *r, int out, const char *needle, const char *what)
{
	if (strstr(out ? r->out : r->err, needle) == NULL) {
		bg_test_dump(r, what);
		fail_msg("%s: %s does not contain \"%s\"", what, out ? "stdout" : "stderr", needle);
	}
}

static void expect_starts(bg_test_result *r, const char *prefix, const char *what)
{
	if (strncmp(r->out, prefix, strlen(prefix)) != 0) {
		bg_test_dump(r, what);
		fail_msg("%s: stdout does not start with \"%s\"", what, prefix);
	}
}

/* A shell command in the repository that must succeed; its stdout without
 * the trailing newlines (caller frees). */
static char *sh_out(const fx *f, const char *cmd)
{
	return bg_test_shell_out(f->repo, cmd, LIMIT_S);
}

static void sh_ok(const fx *f, const char *cmd)
{
	free(sh_out(f, cmd));
}

/* benchgate gate ARGS in the repository. */
static bg_test_result gate(const fx *f, const char *args)
{
	return shellf(f, "exec '%s' gate %s", BG_TEST_BIN, args);
}

static bg_test_result bglog(const fx *f, const char *args)
{
	return shellf(f, "exec '%s' log %s", BG_TEST_BIN, args);
}

/* Runs the gate, expects STATUS and a stdout starting with PREFIX. */
static void gate_expect(const fx *f, const char *args, int status, const char *prefix)
{
	bg_test_result r = gate(f, args);

	bg_test_expect_status(&r, status, prefix);
	expect_starts(&r, prefix, prefix);
	bg_test_result_free(&r);
}

static void write_file(const fx *f, const char *rel, const char *text)
{
	char path[256];
	FILE *o;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", f->repo, rel) < sizeof(path));
	assert_non_null(o = fopen(path, "w"));
	assert_int_equal(fputs(text, o) >= 0, 1);
	assert_int_equal(fclose(o), 0);
}

static char *repo_file(const fx *f, const char *rel)
{
	char path[256];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", f->repo, rel) < sizeof(path));
	return bg_test_slurp(path);
}

/* A binary file's bytes (caller frees) and length. */
static char *read_bytes(const fx *f, const char *rel, size_t *len)
{
	char path[256], *buf;
	struct stat st;
	FILE *in;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", f->repo, rel) < sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_non_null(in = fopen(path, "rb"));
	assert_non_null(buf = malloc((size_t)st.st_size + 1));
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, in), (size_t)st.st_size);
	fclose(in);
	*len = (size_t)st.st_size;
	return buf;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

/* ---- the repository --------------------------------------------------- */

/* The base commit of the reference scenario; EXTRA is spliced into the top
 * level of benchgate.json (e.g. "\"build\": \"sh build.sh\", "). */
/* The repository's work.sh: the bundled workload at the amount of work
 * `knob` sets (`read` rather than $(cat knob): one process less per run),
 * after the shell lines `middle` (a candidate's tricks; "" for none). */
static void write_work(const fx *f, const char *middle)
{
	char *work = NULL;

	assert_true(asprintf(&work, "#!/bin/sh\nread x < knob\n%sexec " BG_INT " -s ${1:-0.05} -x $x\n",
			     middle) > 0);
	write_file(f, "work.sh", work);
	free(work);
}

static void make_repo(const fx *f, const char *extra)
{
	char *cfg = NULL;

	assert_int_equal(mkdir(f->repo, 0755), 0);
	assert_int_equal(mkdir(f->hold, 0755), 0);
	sh_ok(f, "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false && mkdir bench");
	write_work(f, "");
	write_file(f, "knob", "40\n");
	write_file(f, "test.sh", "#!/bin/sh\necho \"3 passed\"\n");
	write_file(f, "bench/input.txt", "data\n");
	assert_true(asprintf(&cfg,
		"{ %s\"test\": { \"cmd\": \"sh test.sh\", \"count\": \"passed\" },\n"
		"  \"metric\": { \"name\": \"work_units\" },\n"
		"  \"workloads\": [ { \"name\": \"small\", \"cmd\": \"sh work.sh 0.02\" },\n"
		"                 { \"name\": \"large\", \"cmd\": \"sh work.sh 0.04\", \"weight\": 2 } ],\n"
		"  \"holdout\": { \"dir\": \"%s\", \"workloads\": [ { \"name\": \"mixed\", \"cmd\": \"sh work.sh 0.03\" } ] },\n"
		"  \"protected\": [ \"bench/\" ], \"budget\": { \"max_seconds\": 30, \"warmup\": 0 } }\n",
		extra ? extra : "", f->hold) > 0);
	write_file(f, "benchgate.json", cfg);
	free(cfg);
	sh_ok(f, "echo x > ../holdout/mixed.txt && git add -A && git commit -qm base");
}

/* Commits the shell command's changes as a candidate; its full hash. */
static char *commit(const fx *f, const char *change)
{
	char *cmd = NULL, *head;

	assert_true(asprintf(&cmd, "%s && git add -A && git commit -q --allow-empty -m candidate && git rev-parse HEAD",
			     change) > 0);
	head = sh_out(f, cmd);
	free(cmd);
	return head;
}

static char *head(const fx *f)
{
	return sh_out(f, "git rev-parse HEAD");
}

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (bg_test_tmpdir(f->root, sizeof(f->root), "bg_test_gate") < 0) {
		free(f);
		return -1;
	}
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	snprintf(f->hold, sizeof(f->hold), "%s/holdout", f->root);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;

	bg_test_rmtree(f->root);
	free(f);
	return 0;
}

/* ---- 1. KEEP ----------------------------------------------------------- */

static void test_keep_recorded(void **state)
{
	fx *f = *state;
	char *cand, *out, short_id[13];
	bg_test_result r;

	make_repo(f, NULL);
	cand = commit(f, "echo 20 > knob");
	snprintf(short_id, sizeof(short_id), "%.12s", cand);
	gate_expect(f, "", 0, "KEEP");

	r = bglog(f, "");
	bg_test_expect_status(&r, 0, "log");
	expect_in(&r, 1, "KEEP", "log");
	expect_in(&r, 1, short_id, "log");
	bg_test_result_free(&r);

	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 0, "log --verify");
	expect_in(&r, 1, "intact", "log --verify");
	bg_test_result_free(&r);

	out = sh_out(f, "git log --notes=benchgate -1");
	assert_non_null(strstr(out, "benchgate: KEEP"));
	free(out);
	out = sh_out(f, "git for-each-ref refs/benchgate/rejected");
	assert_string_equal(out, "");
	free(out);
	free(cand);
}

/* A calibration made here and then marked as another machine's: the gate
 * warns about it (with the fix), still plans with it, and says the plan in
 * its output and its JSON. Without a calibration the plan says so. */
static void test_calibration_plan(void **state)
{
	fx *f = *state;
	char *cand, *out;
	const cJSON *plan;
	cJSON *doc;
	bg_test_result r;

	make_repo(f, NULL);
	cand = commit(f, "echo 20 > knob");
	r = gate(f, "--json");
	bg_test_expect_status(&r, 0, "gate without a calibration");
	doc = cJSON_Parse(r.out);
	bg_test_result_free(&r);
	assert_non_null(doc);
	plan = cJSON_GetObjectItemCaseSensitive(doc, "plan");
	assert_true(cJSON_IsObject(plan));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(plan, "calibration")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(plan, "seconds")));
	cJSON_Delete(doc);

	sh_ok(f, "exec '" BG_TEST_BIN "' calibrate -q --config benchgate.json --time 3 --sims 200 >/dev/null");
	sh_ok(f, "sed -i 's/\"fingerprint\":[[:space:]]*\"[0-9a-f]*\"/\"fingerprint\":\"0123456789abcdef\"/' "
		 ".git/benchgate/calibration.json && grep -q 0123456789abcdef .git/benchgate/calibration.json");
	r = gate(f, "--baseline HEAD~1");
	bg_test_expect_status(&r, 0, "gate with another machine's calibration");
	expect_in(&r, 0, "is from another machine (fingerprint 0123456789abcdef", "the warning");
	expect_in(&r, 0, "run 'benchgate calibrate' here", "the fix");
	expect_in(&r, 1, "  plan: ~", "the plan line");
	expect_in(&r, 1, ".git/benchgate/calibration.json)", "the plan names the calibration");
	bg_test_result_free(&r);
	/* said once per calibration: the next gate has only the plan line.
	 * And where pinned rounds measured noisier than unpinned ones, "pin":
	 * "auto" runs unpinned (the file edited, its time kept) */
	sh_ok(f, "cd .git/benchgate && cp -p calibration.json ref.json && "
		 "sed -E -i 's/\"pinned_over_unpinned_sd\":[[:space:]]*(null|[0-9.eE+-]+)/\"pinned_over_unpinned_sd\":1.5/g' "
		 "calibration.json && grep -q '\"pinned_over_unpinned_sd\":1.5' calibration.json && "
		 "touch -r ref.json calibration.json && rm ref.json");
	r = gate(f, "--baseline HEAD~1");
	bg_test_expect_status(&r, 0, "a second gate with the same calibration");
	if (strstr(r.err, "is from another machine") != NULL) {
		bg_test_dump(&r, "second gate");
		fail_msg("the calibration's warning was repeated");
	}
	expect_in(&r, 1, "  plan: ~", "the plan line, again");
	expect_in(&r, 1, "  pinning: none (\"pin\": \"auto\"): the calibration measured pinned rounds 1.50x",
		  "unpinned where pinning measured noisier");
	bg_test_result_free(&r);
	out = sh_out(f, "git rev-parse HEAD");
	assert_string_equal(out, cand);
	free(out);
	free(cand);
}

/* ---- 2. REJECT reasons -------------------------------------------------- */

/* Commits CHANGE, gates it: exit 1, REJECT(REASON), the candidate kept at
 * refs/benchgate/rejected/<12 hex>. */
static void expect_reject(const fx *f, const char *change, const char *reason)
{
	char *cand = commit(f, change), *cmd = NULL, *at, prefix[128];

	snprintf(prefix, sizeof(prefix), "REJECT(%s)", reason);
	gate_expect(f, "", 1, prefix);
	assert_true(asprintf(&cmd, "git rev-parse refs/benchgate/rejected/%.12s", cand) > 0);
	at = sh_out(f, cmd);
	assert_string_equal(at, cand);
	free(at);
	free(cmd);
	free(cand);
}

static void test_reject_protected(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	expect_reject(f, "echo 20 > knob && echo changed > bench/input.txt", "protected_changed");
}

static void test_reject_tests_failed(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	expect_reject(f, "echo 20 > knob && printf '#!/bin/sh\\nexit 1\\n' > test.sh", "tests_failed");
}

static void test_reject_tests_dropped(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	expect_reject(f, "echo 20 > knob && printf '#!/bin/sh\\necho \"2 passed\"\\n' > test.sh",
		      "tests_dropped");
}

static void test_reject_build_failed(void **state)
{
	fx *f = *state;

	make_repo(f, "\"build\": \"sh build.sh\", ");
	sh_ok(f, "echo 'exit 0' > build.sh && git add -A && git commit -qm build");
	expect_reject(f, "echo 20 > knob && echo 'exit 7' > build.sh", "build_failed");
}

static void test_reject_regressed(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	expect_reject(f, "printf '#!/bin/sh\\ncase $1 in 0.02) x=60;; *) x=10;; esac\\n"
			 "exec " BG_INT " -s $1 -x $x\\n' > work.sh", "regressed:small");
}

static void test_reject_no_change(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	expect_reject(f, "true", "no_change"); /* an empty commit */
}

static unsigned seal_left(const fx *f)
{
	char *text = repo_file(f, ".git/benchgate/holdout.seal");
	cJSON *j = text ? cJSON_Parse(text) : NULL;
	const cJSON *b = cJSON_GetObjectItem(j, "budget"), *s = cJSON_GetObjectItem(j, "spent");
	unsigned left;

	free(text);
	assert_non_null(j);
	assert_true(cJSON_IsNumber(b) && cJSON_IsNumber(s));
	left = (unsigned)(b->valuedouble - s->valuedouble);
	cJSON_Delete(j);
	return left;
}

/* Secondary metrics guard the same runs: allocations that grow 29% while
 * the time drops 10%+ is REJECT(secondary_regressed:allocations), decided
 * exactly in the first rounds when the count is the same on every run, and
 * by the sequence when it is noisy; the same speed-up with the same
 * allocations is KEEP. */
static void test_secondary_regressed(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;
	const cJSON *sec;

	make_repo(f, "\"secondary\": [ { \"name\": \"allocations\", \"max_regression\": 0 } ], ");
	/* allocations: 1000, or what the file allocs says; noisy when "noisy" exists */
	write_work(f, "a=1000; [ -f allocs ] && read a < allocs; [ -f noisy ] && a=$((a + $$ % 40))\n"
		      "echo \"METRIC allocations=$a\"\n");
	sh_ok(f, "git add -A && git commit -q --amend --no-edit");
	free(commit(f, "echo 20 > knob && echo 1290 > allocs"));
	r = gate(f, "--json");
	bg_test_expect_status(&r, 1, "more allocations");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	sec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "training"), "secondary"), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "decision")->valuestring,
			    "REJECT(secondary_regressed:allocations)");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sec, "exact")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sec, "regressed")));
	bg_test_assert_close(cJSON_GetObjectItemCaseSensitive(sec, "ratio")->valuedouble, 1.29, 1e-9, 0, "B/A");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "training"), "rounds")->valueint, 5);   /* min_rounds */
	cJSON_Delete(doc);
	/* the same speed-up, the same allocations */
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo 20 > knob"));
	gate_expect(f, "", 0, "KEEP");
	/* noisy allocations, 29% more: the sequence finds it */
	sh_ok(f, "git reset -q --hard HEAD~1 && touch noisy && git add noisy && git commit -q --amend --no-edit");
	free(commit(f, "echo 20 > knob && echo 1290 > allocs"));
	r = gate(f, "");
	bg_test_expect_status(&r, 1, "noisy allocations");
	expect_starts(&r, "REJECT(secondary_regressed:allocations)", "noisy allocations");
	expect_in(&r, 1, "secondary metric \"allocations\" is worse by more than 0%", "the reason");
	bg_test_result_free(&r);
}

/* The effect's set covers the true value (anytime-valid: at the level
 * granted, a miss is a 1-in-700 event), and the estimate is on its side. */
static void expect_covers(const cJSON *effect, double truth, const char *what)
{
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(effect, "ci");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(effect, "difference");
	double lo = cJSON_GetArrayItem(ci, 0)->valuedouble, hi = cJSON_GetArrayItem(ci, 1)->valuedouble;

	assert_true(cJSON_IsNumber(d));
	if (!(lo <= truth && truth <= hi && d->valuedouble > 0))
		fail_msg("%s: %g [%g, %g] should cover %g", what, d->valuedouble, lo, hi, truth);
}

/* An LLM judge's 0-10 score, 3% of its calls failing as 0, gated as a
 * difference (metric.effect): +1.5 points is KEEP, no gain is not, and a
 * zero never aborts the gate. With the default ratio effect, the first
 * zero is an error that names metric.effect. */
static void test_difference_judge_score(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;
	const cJSON *agg;

	assert_int_equal(mkdir(f->repo, 0755), 0);
	write_file(f, "judge.sh",
		   "#!/bin/sh\nread q < quality\n"
		   "awk -v q=$q -v s=\"$(od -An -N4 -tu4 /dev/urandom)\" 'BEGIN { srand(s); if (rand() < 0.03) v = 0; "
		   "else { v = int(q + 4 * (rand() - 0.5) + 4 * (rand() - 0.5) + 0.5); if (v > 10) v = 10; if (v < 0) v = 0 }; "
		   "print \"METRIC judge_score=\" v }'\n");
	write_file(f, "quality", "5\n");
	write_file(f, "benchgate.json",
		   "{ \"metric\": { \"name\": \"judge_score\", \"direction\": \"higher\", \"effect\": \"difference\" },\n"
		   "  \"min_effect\": 0.5, \"max_regression\": 0.5,\n"
		   "  \"workloads\": [ { \"name\": \"judge\", \"cmd\": \"sh judge.sh\" } ],\n"
		   "  \"budget\": { \"max_seconds\": 30, \"max_rounds\": 5000, \"warmup\": 0 } }\n");
	sh_ok(f, "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false && git add -A && git commit -qm base");
	free(commit(f, "echo 6.5 > quality"));
	r = gate(f, "--json");
	bg_test_expect_status(&r, 0, "a judge score 1.5 points higher");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	agg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "training"), "aggregate");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(agg, "effect")->valuestring, "difference");
	assert_null(cJSON_GetObjectItemCaseSensitive(agg, "ratio"));
	expect_covers(agg, 1.5, "B - A of the judge's score");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(doc, "settings"), "effect")->valuestring, "difference");
	cJSON_Delete(doc);
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo '# no change' >> judge.sh"));
	r = gate(f, "-b HEAD~1 -t 3");
	bg_test_expect_status(&r, 1, "no gain");
	expect_starts(&r, "REJECT(", "no gain");
	expect_in(&r, 1, "baseline: --baseline HEAD~1", "no gain, against its parent");
	expect_in(&r, 1, "B - A", "the difference is shown");
	bg_test_result_free(&r);
	/* the same scores as a ratio: the first 0 says what to set */
	sh_ok(f, "sed -i 's/, \"effect\": \"difference\"//; s/\"min_effect\": 0.5, \"max_regression\": 0.5,//' "
		 "benchgate.json && git commit -qam ratio");
	free(commit(f, "echo 0.2 > quality"));   /* about half its scores are 0 */
	r = gate(f, "-b HEAD~1");
	bg_test_expect_status(&r, 2, "a zero in a ratio gate");
	expect_in(&r, 0, "set metric.effect to \"difference\" for a metric that can be zero or negative",
		  "a zero in a ratio gate");
	bg_test_result_free(&r);
}

/* A win rate in metric.range [0, 1], decided by the betting sequence: a
 * bot that wins 80% where the old one won 30% is KEEP; the same bot is
 * not; a value outside the range stops the gate with the range named. */
static void test_range_win_rate(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;

	assert_int_equal(mkdir(f->repo, 0755), 0);
	/* a coin from /dev/urandom: awk's srand on nearby seeds is not one */
	write_file(f, "play.sh",
		   "#!/bin/sh\nread p < strength\nc=$(od -An -N2 -tu2 /dev/urandom)\n"
		   "awk -v p=$p -v c=\"$c\" 'BEGIN { print \"METRIC win=\" (c < p * 65536 ? 1 : 0) }'\n");
	write_file(f, "strength", "0.3\n");
	write_file(f, "benchgate.json",
		   "{ \"metric\": { \"name\": \"win\", \"direction\": \"higher\", \"range\": [0, 1] },\n"
		   "  \"min_effect\": 0.05, \"max_regression\": 0.1,\n"
		   "  \"workloads\": [ { \"name\": \"game\", \"cmd\": \"sh play.sh\" } ],\n"
		   "  \"budget\": { \"max_seconds\": 30, \"max_rounds\": 3000, \"warmup\": 0 } }\n");
	sh_ok(f, "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false && git add -A && git commit -qm base");
	free(commit(f, "echo 0.8 > strength"));
	r = gate(f, "--json");
	bg_test_expect_status(&r, 0, "a stronger bot");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	expect_covers(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "training"), "aggregate"),
		      0.5, "B - A of the win rate");
	cJSON_Delete(doc);
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo '# the same bot' >> play.sh"));
	r = gate(f, "-b HEAD~1 -t 3");
	bg_test_expect_status(&r, 1, "the same bot");
	bg_test_result_free(&r);
	free(commit(f, "echo 'echo METRIC win=2' > play.sh"));
	r = gate(f, "-b HEAD~1");
	bg_test_expect_status(&r, 2, "a win rate of 2");
	expect_in(&r, 0, "win = 2 in round 1, outside metric.range [0, 1]", "a value outside the range");
	bg_test_result_free(&r);
}

/* A GPU-style kernel loop: throughput in TFLOPS, higher is better, and a
 * five-stage correctness test (the protected harness runs the kernel's
 * check at each stage, "1 passed" per stage). Faster and correct is KEEP;
 * faster but wrong at stage 4 is tests_failed; a harness that skips the
 * stages is protected_changed; checks that stop being run are
 * tests_dropped. */
static void test_tflops_five_stages(void **state)
{
	fx *f = *state;

	assert_int_equal(mkdir(f->repo, 0755), 0);
	write_file(f, "kernel.sh", "#!/bin/sh\nread t < tflops\n"
				    "if [ \"$1\" = --check ]; then read bad < wrong; [ \"$2\" != \"$bad\" ]; exit; fi\n"
				    "echo \"METRIC tflops=$t\"\n");
	write_file(f, "harness.sh", "#!/bin/sh\nfor s in $(cat stages); do sh kernel.sh --check $s || exit 1; "
				     "echo \"1 passed\"; done\n");
	write_file(f, "stages", "1 2 3 4 5\n");
	write_file(f, "tflops", "100\n");
	write_file(f, "wrong", "0\n");
	write_file(f, "benchgate.json",
		   "{ \"test\": { \"cmd\": \"sh harness.sh\", \"count\": \"passed\" },\n"
		   "  \"metric\": { \"name\": \"tflops\", \"direction\": \"higher\" },\n"
		   "  \"workloads\": [ { \"name\": \"gemm\", \"cmd\": \"sh kernel.sh\" } ],\n"
		   "  \"protected\": [ \"harness.sh\" ], \"budget\": { \"max_seconds\": 20, \"warmup\": 0 } }\n");
	sh_ok(f, "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false && git add -A && git commit -qm base");
	free(commit(f, "echo 130 > tflops && echo 4 > wrong"));
	gate_expect(f, "-b HEAD~1", 1, "REJECT(tests_failed)");
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo 130 > tflops && sed -i 's/|| exit 1//' harness.sh"));
	gate_expect(f, "-b HEAD~1", 1, "REJECT(protected_changed)");
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo 130 > tflops && echo 1 2 > stages"));
	gate_expect(f, "-b HEAD~1", 1, "REJECT(tests_dropped)");
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo 130 > tflops"));
	gate_expect(f, "-b HEAD~1", 0, "KEEP");
}

/* Duels (autoevolve's "does the new bot beat the old one"): every round
 * plays both seatings, the candidate's build against the baseline's. A bot
 * that wins 65% against the old is KEEP; a copy of the old one is not; a
 * seat that wins 60% whoever sits in it gives nothing to either. */
static void make_duel(fx *f, const char *seat)
{
	char *s = NULL;

	assert_int_equal(mkdir(f->repo, 0755), 0);
	write_file(f, "duel.sh",
		   "#!/bin/sh\n# P1 (moves first) against P2: P1 wins with odds s1 : s2, plus the first seat's edge\n"
		   "read s1 < \"$BENCHGATE_P1/strength\"\nread s2 < \"$BENCHGATE_P2/strength\"\nread edge < seat\n"
		   "c=$(od -An -N2 -tu2 /dev/urandom)\n"
		   "awk -v a=$s1 -v b=$s2 -v e=$edge -v c=\"$c\" 'BEGIN { p = a / (a + b) + e; "
		   "print \"METRIC p1_score=\" (c < p * 65536 ? 1 : 0) }'\n");
	write_file(f, "strength", "35\n");
	assert_true(asprintf(&s, "%s\n", seat) > 0);
	write_file(f, "seat", s);
	free(s);
	write_file(f, "benchgate.json",
		   "{ \"metric\": { \"name\": \"p1_score\" }, \"min_effect\": 0.05,\n"
		   "  \"workloads\": [ { \"name\": \"match\", \"cmd\": \"sh duel.sh\", \"duel\": true } ],\n"
		   "  \"budget\": { \"max_seconds\": 20, \"max_rounds\": 3000, \"warmup\": 0 } }\n");
	sh_ok(f, "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false && git add -A && git commit -qm base");
}

static void test_duel(void **state)
{
	fx *f = *state;
	bg_test_result r;

	make_duel(f, "0");
	free(commit(f, "echo 65 > strength"));
	r = gate(f, "-b HEAD~1");
	bg_test_expect_status(&r, 0, "a bot that wins 65%");
	expect_starts(&r, "KEEP", "a bot that wins 65%");
	{	/* the share's set covers the true 0.65 (anytime-valid at the level granted) */
		const char *at = strstr(r.out, "(B's share of the points: ");
		double est, lo, hi;

		if (at == NULL || sscanf(at, "(B's share of the points: %lf [%lf, %lf])", &est, &lo, &hi) != 3) {
			bg_test_dump(&r, "its share");
			fail_msg("no share line");
		}
		if (!(lo <= 0.65 && 0.65 <= hi && est > 0.5))
			fail_msg("B's share %g [%g, %g] should cover 0.65", est, lo, hi);
	}
	bg_test_result_free(&r);
	sh_ok(f, "git reset -q --hard HEAD~1");
	free(commit(f, "echo '# the same bot' >> duel.sh"));
	r = gate(f, "-b HEAD~1 -t 3");
	bg_test_expect_status(&r, 1, "a copy of the old bot");
	bg_test_result_free(&r);
}

/* The cheat a duel opens: the candidate's runs see the opponent's tree, so
 * its harness tries to weaken the old bot there before it plays. The tree
 * is read-only to it: the old bot keeps its strength, the candidate (no
 * stronger) is not kept, and the baseline's export is as it was. */
static void test_duel_cannot_touch_opponent(void **state)
{
	fx *f = *state;
	char *base, *cmd = NULL, *strength;
	bg_test_result r;

	make_duel(f, "0");
	base = head(f);
	free(commit(f, "sed -i '2i echo 1 > \"$BENCHGATE_P2/strength\" 2>/dev/null' duel.sh"));
	r = gate(f, "-b HEAD~1 -t 3");
	bg_test_expect_status(&r, 1, "a candidate that edits its opponent");
	bg_test_result_free(&r);
	assert_true(asprintf(&cmd, "cat .git/benchgate/exports/%s/strength", base) > 0);
	strength = sh_out(f, cmd);
	assert_string_equal(strength, "35");
	free(strength);
	free(cmd);
	free(base);
}

static void test_duel_seat_advantage(void **state)
{
	fx *f = *state;
	bg_test_result r;

	make_duel(f, "0.1");   /* P1 wins 60% between equals */
	free(commit(f, "echo '# the same bot' >> duel.sh"));
	r = gate(f, "-b HEAD~1 -t 3");
	bg_test_expect_status(&r, 1, "a seat advantage");
	bg_test_result_free(&r);
}

static void test_reject_overfit(void **state)
{
	fx *f = *state;
	bg_test_result r;

	make_repo(f, NULL);
	/* a first KEEP seals the holdout with its full budget */
	free(commit(f, "echo 30 > knob"));
	gate_expect(f, "", 0, "KEEP");
	assert_int_equal(seal_left(f), 20);
	expect_reject(f, "printf '#!/bin/sh\\ncase $1 in 0.02|0.04) x=10;; *) read x < knob;; esac\\n"
			 "exec " BG_INT " -s $1 -x $x\\n' > work.sh", "overfit");
	assert_int_equal(seal_left(f), 19);
	/* and the ledger says so without the held-out numbers */
	r = bglog(f, "");
	expect_in(&r, 1, "REJECT(overfit)", "log after overfit");
	bg_test_result_free(&r);
}

/* A one-off gate of an old commit (explicit --candidate and --baseline)
 * is recorded but does not become the branch's baseline: the next plain
 * gate compares HEAD with the last KEEP that became the branch, and says
 * so. */
static void test_one_off_keeps_baseline(void **state)
{
	fx *f = *state;
	char *c1, *c2, args[200], want[64];
	bg_test_result r;

	make_repo(f, NULL);
	c1 = commit(f, "echo 30 > knob");
	gate_expect(f, "", 0, "KEEP");
	c2 = commit(f, "echo 25 > knob");
	free(commit(f, "echo 20 > knob"));
	snprintf(args, sizeof(args), "--candidate %.12s --baseline %.12s", c2, c1);
	gate_expect(f, args, 0, "KEEP");
	r = gate(f, "");
	snprintf(want, sizeof(want), "against %.12s", c1);
	expect_in(&r, 1, want, "the baseline after a one-off gate");
	expect_in(&r, 1, "baseline: the last KEEP that became", "why that baseline");
	bg_test_result_free(&r);
	free(c1);
	free(c2);
}

/* A CI-style run (stderr a pipe, not a terminal) says each phase as it
 * starts, and the verdict says what each took. The budget bounds the
 * measurement as a whole: with held-out workloads training gets two
 * thirds of --max-time (here a noisy candidate that cannot be decided
 * uses all of it), and a slow build is on top, reported apart. */
static void test_phases_and_budget(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;
	double build_s, train_s;

	make_repo(f, "\"build\": \"sleep 1\", ");
	free(commit(f, "printf '#!/bin/sh\\nread x < knob\\nv=$(" BG_INT " -s $1 -x $x | sed -n \"s/^METRIC work_units=//p\")\\n"
		       "exec awk -v v=\"$v\" -v s=$$ \\047BEGIN { srand(s); printf \"METRIC work_units=%%d\\\\n\", "
		       "v * (0.99 + 0.6 * (rand() - 0.5)) }\\047\\n' > work.sh"));
	r = gate(f, "--max-time 3 --json");
	bg_test_expect_status(&r, 1, "a noisy candidate in 3 s");
	for (const char *const *p = (const char *const[]){ "gate: export:", "gate: build: \"sleep 1\"", "gate: test:",
						      "gate: training: 2 workloads, at most 2 s; the verdict within 3 s",
						      NULL }; *p; p++)
		if (strstr(r.err, *p) == NULL) {
			bg_test_dump(&r, "phases");
			fail_msg("stderr does not say \"%s\"", *p);
		}
	assert_non_null(doc = cJSON_Parse(r.out));
	{
		const cJSON *ph = cJSON_GetObjectItemCaseSensitive(doc, "phases");

		build_s = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ph, "build"));
		train_s = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ph, "training"));
	}
	if (!(build_s >= 1.0 && train_s >= 1.5 && train_s <= 2.0 + 0.6))
		fail_msg("build %.2f s (a 1 s build), training %.2f s (2 s of a 3 s budget)", build_s, train_s);
	cJSON_Delete(doc);
	bg_test_result_free(&r);
}

/* gc removes the exports the next gate would not use (not HEAD's, not the
 * default baseline's), --dry-run nothing, --all every one; the next gate
 * exports what it needs again, and the ledger is left alone. */
static void test_gc(void **state)
{
	fx *f = *state;
	char *base, *c1, *ledger, *after, want[200];
	bg_test_result r;

	make_repo(f, NULL);
	base = head(f);
	c1 = commit(f, "echo 30 > knob");
	gate_expect(f, "", 0, "KEEP");
	free(commit(f, "echo 45 > knob"));
	gate_expect(f, "", 1, "REJECT(");
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	r = shellf(f, "'%s' gc --dry-run && ls .git/benchgate/exports | wc -l", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "gc --dry-run");
	expect_in(&r, 1, "would remove 1 export", "gc --dry-run says");
	expect_in(&r, 1, "\n3\n", "gc --dry-run removes nothing");
	bg_test_result_free(&r);
	r = shellf(f, "'%s' gc && ls .git/benchgate/exports", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "gc");
	snprintf(want, sizeof(want), "default baseline %.12s", c1);
	expect_in(&r, 1, want, "gc keeps the default baseline");
	assert_null(strstr(r.out, base));   /* the first KEEP's baseline: no longer needed */
	bg_test_result_free(&r);
	gate_expect(f, "", 1, "REJECT(");   /* HEAD against c1 again */
	r = shellf(f, "'%s' gc --all && ls .git/benchgate/exports | wc -l", BG_TEST_BIN);
	expect_in(&r, 1, "removed 2 exports", "gc --all");
	expect_in(&r, 1, "\n0\n", "gc --all leaves none");
	bg_test_result_free(&r);
	after = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(strncmp(after, ledger, strlen(ledger)), 0);   /* only appended to, by the gate */
	free(after);
	free(ledger);
	free(base);
	free(c1);
}

/* ---- 3. --worktree ------------------------------------------------------ */

static void test_worktree(void **state)
{
	fx *f = *state;
	char *index0, *index1, *st0, *st1, *h0, *h1, *snap;
	size_t len0, len1;
	bg_test_result r;

	make_repo(f, NULL);
	write_file(f, "knob", "20\n");
	/* git status may refresh the index itself: once before, then never */
	st0 = sh_out(f, "git status --porcelain");
	index0 = read_bytes(f, ".git/index", &len0);
	h0 = head(f);
	assert_non_null(strstr(st0, "knob"));

	r = gate(f, "--worktree");
	bg_test_expect_status(&r, 0, "gate --worktree");
	expect_starts(&r, "KEEP", "gate --worktree");
	expect_in(&r, 1, "uncommitted", "gate --worktree");
	bg_test_result_free(&r);

	index1 = read_bytes(f, ".git/index", &len1);
	st1 = sh_out(f, "git --no-optional-locks status --porcelain");
	h1 = head(f);
	assert_non_null(index0);
	assert_non_null(index1);
	assert_true(len0 == len1 && memcmp(index0, index1, len0) == 0);
	assert_string_equal(st0, st1);
	assert_string_equal(h0, h1);
	snap = sh_out(f, "git rev-parse --verify -q refs/benchgate/worktree");
	assert_int_equal(strlen(snap), 40);
	assert_string_not_equal(snap, h0);
	free(snap);
	free(index0);
	free(index1);
	free(st0);
	free(st1);
	free(h0);
	free(h1);
}

/* The pi-autoresearch flow: its checks script gates the uncommitted
 * change with --worktree, then pi commits it (keep) or reverts it
 * (discard). The baseline is HEAD, what the loop committed: not a KEEP
 * that pi then discarded, nor an earlier KEEP the branch has left. */
static void test_worktree_baseline_is_head(void **state)
{
	fx *f = *state;
	bg_test_result r;

	make_repo(f, NULL);                  /* knob 40 */
	write_file(f, "knob", "20\n");       /* a gain pi will discard */
	gate_expect(f, "--worktree", 0, "KEEP");
	sh_ok(f, "git checkout -q -- knob");
	write_file(f, "knob", "30\n");       /* slower than 20, a real gain over HEAD's 40 */
	r = gate(f, "--worktree");
	bg_test_expect_status(&r, 0, "a gain over HEAD after a discarded KEEP");
	expect_starts(&r, "KEEP", "a gain over HEAD after a discarded KEEP");
	expect_in(&r, 1, "baseline: HEAD", "the baseline line");
	bg_test_result_free(&r);
	/* a KEEP that became the branch, then the branch went back: HEAD still rules */
	sh_ok(f, "git checkout -q -- knob");
	free(commit(f, "echo 20 > knob"));
	gate_expect(f, "", 0, "KEEP");
	sh_ok(f, "git reset -q --hard HEAD~1");   /* back to the first commit */
	write_file(f, "knob", "30\n");
	gate_expect(f, "--worktree", 0, "KEEP");
}

/* ---- 4. --apply ---------------------------------------------------------- */

static void test_apply_reject_resets(void **state)
{
	fx *f = *state;
	char *base, *cand, *h, *at, *knob, *cmd = NULL;
	bg_test_result r;

	make_repo(f, NULL);
	base = head(f);
	cand = commit(f, "echo 20 > knob && printf '#!/bin/sh\\nexit 1\\n' > test.sh");
	r = gate(f, "--apply");
	bg_test_expect_status(&r, 1, "gate --apply (reject, clean)");
	expect_starts(&r, "REJECT(tests_failed)", "gate --apply (reject, clean)");
	expect_in(&r, 1, "reset", "gate --apply (reject, clean)");
	bg_test_result_free(&r);
	h = head(f);
	assert_string_equal(h, base);
	knob = repo_file(f, "knob");
	assert_string_equal(knob, "40\n");
	assert_true(asprintf(&cmd, "git rev-parse refs/benchgate/rejected/%.12s", cand) > 0);
	at = sh_out(f, cmd);
	assert_string_equal(at, cand);
	free(cmd);
	cmd = sh_out(f, "git status --porcelain");
	assert_string_equal(cmd, "");
	free(cmd);
	cmd = sh_out(f, "git symbolic-ref -q HEAD");
	assert_non_null(strstr(cmd, "refs/heads/"));
	free(cmd);
	free(at);
	free(knob);
	free(h);
	free(base);
	free(cand);
}

static void test_apply_reject_dirty(void **state)
{
	fx *f = *state;
	char *cand, *h, *knob;
	bg_test_result r;

	make_repo(f, NULL);
	cand = commit(f, "echo 20 > knob && printf '#!/bin/sh\\nexit 1\\n' > test.sh");
	write_file(f, "extra.txt", "not committed\n");
	r = gate(f, "--apply");
	bg_test_expect_status(&r, 1, "gate --apply (reject, dirty)");
	expect_starts(&r, "REJECT(tests_failed)", "gate --apply (reject, dirty)");
	expect_in(&r, 1, "nothing reset", "gate --apply (reject, dirty)");
	bg_test_result_free(&r);
	h = head(f);
	assert_string_equal(h, cand);
	knob = repo_file(f, "knob");
	assert_string_equal(knob, "20\n");
	free(knob);
	knob = repo_file(f, "extra.txt");
	assert_non_null(knob);
	free(knob);
	free(h);
	free(cand);
}

static void test_apply_keep(void **state)
{
	fx *f = *state;
	char *cand, *h, *b, *br0, *br1;

	make_repo(f, NULL);
	br0 = sh_out(f, "git symbolic-ref HEAD");
	cand = commit(f, "echo 20 > knob");
	gate_expect(f, "--apply", 0, "KEEP");
	b = sh_out(f, "git rev-parse refs/benchgate/baseline");
	assert_string_equal(b, cand);
	h = head(f);
	assert_string_equal(h, cand);
	br1 = sh_out(f, "git symbolic-ref HEAD");
	assert_string_equal(br0, br1);
	free(br0);
	free(br1);
	free(b);
	free(h);
	free(cand);
}

/* ---- 5. the ledger -------------------------------------------------------- */

static void test_ledger_torn_line(void **state)
{
	fx *f = *state;
	char *text, path[256];
	bg_test_result r;

	make_repo(f, NULL);
	free(commit(f, "echo 30 > knob"));
	gate_expect(f, "", 0, "KEEP");
	/* a crash in the middle of an append */
	sh_ok(f, "printf '{\"seq\":2,\"prev\":\"ab' >> .git/benchgate/ledger.jsonl");
	free(commit(f, "echo 20 > knob"));
	r = gate(f, "");
	bg_test_expect_status(&r, 0, "gate after a torn ledger line");
	expect_starts(&r, "KEEP", "gate after a torn ledger line");
	expect_in(&r, 0, "corrupt", "gate after a torn ledger line");
	bg_test_result_free(&r);
	snprintf(path, sizeof(path), "%s/.git/benchgate/ledger.jsonl.corrupt", f->repo);
	assert_int_equal(access(path, F_OK), 0);
	text = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(count_lines(text), 2);
	free(text);
	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 0, "log --verify after the torn line");
	expect_in(&r, 1, "intact", "log --verify after the torn line");
	expect_in(&r, 1, "2 records", "log --verify after the torn line");
	bg_test_result_free(&r);
}

/* The reference repository with a state to protect: a kept candidate (the
 * baseline), a rejected one (its ref) and the seal. */
static void kept_then_rejected(const fx *f)
{
	make_repo(f, NULL);
	free(commit(f, "echo 30 > knob"));
	gate_expect(f, "", 0, "KEEP");
	free(commit(f, "echo 60 > knob"));
	gate_expect(f, "", 1, "REJECT(");
}

/* Someone who can write the repository but not ~/.config/benchgate (an
 * agent, a candidate's commands let out of the sandbox) changes the state
 * the way a forger would: log --verify says what, a gate refuses to decide
 * on it and changes nothing, and only --reanchor (the user's word) accepts
 * it, which the ledger records. */
#define LEDGER ".git/benchgate/ledger.jsonl"
/* a KEEP of HEAD chained to the last line, as the forger's script writes it */
#define FORGE(mac) "prev=$(tail -n 1 " LEDGER " | tr -d '\\n' | git hash-object --stdin) && " \
	"printf '{\"seq\":3,\"prev\":\"%s\",\"kind\":\"gate\",\"verdict\":\"KEEP\",\"branch\":\"%s\"," \
	"\"candidate\":\"%s\"" mac "}\\n' $prev $(git rev-parse --abbrev-ref HEAD) $(git rev-parse HEAD) >> " LEDGER

static void expect_refused(const fx *f, const char *tamper, const char *said, const char *restore)
{
	char *before, *after;
	bg_test_result r;

	sh_ok(f, tamper);
	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 1, tamper);
	expect_in(&r, 1, said, tamper);
	bg_test_result_free(&r);
	before = sh_out(f, "cat " LEDGER " 2>/dev/null; git for-each-ref refs/benchgate refs/notes");
	r = gate(f, "");
	bg_test_expect_status(&r, 2, tamper);
	expect_in(&r, 0, "changed outside benchgate", tamper);
	expect_in(&r, 0, "Nothing was measured", tamper);
	bg_test_result_free(&r);
	after = sh_out(f, "cat " LEDGER " 2>/dev/null; git for-each-ref refs/benchgate refs/notes");
	assert_string_equal(before, after);
	free(before);
	free(after);
	sh_ok(f, restore);
}

static void test_state_forged(void **state)
{
	fx *f = *state;
	bg_test_result r;

	kept_then_rejected(f);
	sh_ok(f, "cp " LEDGER " ../ledger.saved && git for-each-ref --format='%(refname)' refs/benchgate/rejected > ../rejected");
	/* still valid JSON, one number changed in the first record */
	expect_refused(f, "sed -i '1s/\"elapsed_s\":[0-9.e+-]*/\"elapsed_s\":0.001/' " LEDGER " && "
		       "head -1 " LEDGER " | grep -q '\"elapsed_s\":0.001'",
		       "BROKEN at record 1: line 1: its MAC does not match", "cp ../ledger.saved " LEDGER);
	/* a forged KEEP, correctly chained, without a MAC or with a made-up one */
	expect_refused(f, FORGE(""), "line 3 carries no MAC though the records before it do",
		       "cp ../ledger.saved " LEDGER);
	expect_refused(f, FORGE(",\"mac\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\""),
		       "line 3: its MAC does not match", "cp ../ledger.saved " LEDGER);
	/* the last record deleted (its REJECT gave LORD++ a level back), the whole ledger deleted */
	expect_refused(f, "sed -i '$d' " LEDGER, "the ledger has 1 record but benchgate wrote 2",
		       "cp ../ledger.saved " LEDGER);
	expect_refused(f, "rm " LEDGER, "records 1 to 2 were deleted", "cp ../ledger.saved " LEDGER);
	/* the rejected candidate's ref deleted: the evidence gone */
	expect_refused(f, "git update-ref -d $(cat ../rejected)", "was deleted (benchgate set it to",
		       "true");
	r = bglog(f, "--reanchor");
	bg_test_expect_status(&r, 0, "log --reanchor");
	expect_in(&r, 1, "accepted as it is now: refs/benchgate/rejected/", "log --reanchor");
	bg_test_result_free(&r);
	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 0, "log --verify after --reanchor");
	bg_test_result_free(&r);
	r = bglog(f, "");
	expect_in(&r, 1, "   3  ", "log after --reanchor");
	expect_in(&r, 1, "state accepted as found: refs/benchgate/rejected/", "log after --reanchor");
	bg_test_result_free(&r);
	free(commit(f, "echo 20 > knob"));
	gate_expect(f, "", 0, "KEEP");
}

/* The baseline's cached test count lowered by hand (its entry's MAC kept):
 * not believed, counted again, and the dropped test is seen. */
static void test_counts_forged(void **state)
{
	fx *f = *state;
	char *text;

	make_repo(f, NULL);
	free(commit(f, "echo 30 > knob"));
	gate_expect(f, "", 0, "KEEP");
	sh_ok(f, "sed -i 's/\"count\":\t3/\"count\":\t2/' .git/benchgate/testcounts.json");
	assert_non_null(text = repo_file(f, ".git/benchgate/testcounts.json"));
	assert_null(strstr(text, "\t3"));
	free(text);
	expect_reject(f, "echo 20 > knob && printf '#!/bin/sh\\necho \"2 passed\"\\n' > test.sh",
		      "tests_dropped");
}

/* ---- 6. the holdout seal -------------------------------------------------- */

static void test_holdout_changed(void **state)
{
	fx *f = *state;
	char *text, *text2;
	bg_test_result r;

	make_repo(f, NULL);
	free(commit(f, "echo 30 > knob"));
	gate_expect(f, "", 0, "KEEP");
	text = repo_file(f, ".git/benchgate/ledger.jsonl");
	sh_ok(f, "echo y > ../holdout/mixed.txt");
	free(commit(f, "echo 20 > knob"));
	r = gate(f, "");
	bg_test_expect_status(&r, 2, "gate after the holdout changed");
	expect_in(&r, 0, "mixed.txt", "gate after the holdout changed");
	bg_test_result_free(&r);
	text2 = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_string_equal(text, text2);
	free(text);
	free(text2);
}

/* ---- 7. configuration errors --------------------------------------------- */

static void expect_config_error(const char *extra, const char *needle)
{
	fx *f = NULL;
	bg_test_result r;

	assert_int_equal(fx_setup((void **)&f), 0);
	make_repo(f, extra);
	free(commit(f, "echo 20 > knob"));
	r = gate(f, "");
	bg_test_expect_status(&r, 2, needle);
	expect_in(&r, 0, needle, needle);
	bg_test_result_free(&r);
	fx_teardown((void **)&f);
}

static void test_config_errors(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *cmd = NULL;

	(void)f;
	expect_config_error("\"bogus\": 1, ", "\"bogus\"");
	expect_config_error("\"alpha\": \"x\", ", "\"alpha\"");

	make_repo(f, NULL);
	free(commit(f, "echo 20 > knob"));
	sh_ok(f, "echo '{\"test\":{\"cmd\":\"x\"},\"metric\":{\"name\":\"work_units\"},"
		 "\"workloads\":[{\"name\":\"a\",\"cmd\":\"true\",\"wieght\":2}]}' > ../bad.json");
	assert_true(asprintf(&cmd, "--config '%s/bad.json'", f->root) > 0);
	r = gate(f, cmd);
	bg_test_expect_status(&r, 2, "gate --config bad.json");
	expect_in(&r, 0, "workloads[0].wieght", "gate --config bad.json");
	bg_test_result_free(&r);
	free(cmd);
	assert_null(repo_file(f, ".git/benchgate/ledger.jsonl"));

	r = gate(f, "--print-config");
	bg_test_expect_status(&r, 0, "gate --print-config");
	{
		static const char *const keys[] = { "\"alpha\"", "\"min_effect\"", "\"max_regression\"",
			"\"generalization\"", "\"holdout_budget\"", "\"min_rounds\"", "\"warmup\"",
			"\"run_timeout\"", "\"pin\"", "\"direction\"", "\"split\"", NULL };
		const char *m = strstr(r.out, "\"max_rounds\"");
		for (size_t i = 0; keys[i]; i++)
			expect_in(&r, 1, keys[i], "gate --print-config");
		if (m == NULL) {
			bg_test_dump(&r, "--print-config");
			fail_msg("no max_rounds");
		}
		m += strlen("\"max_rounds\"");
		while (*m == ':' || *m == ' ' || *m == '\t')
			m++;
		if (strncmp(m, "500", 3) != 0) {
			bg_test_dump(&r, "--print-config");
			fail_msg("max_rounds is not 500 by default");
		}
	}
	bg_test_result_free(&r);
}

/* ---- 8. where the gate refuses to run -------------------------------------- */

static void test_not_a_repo(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *cmd = NULL;

	r = bg_test_shell(f->root, "exec '" BG_TEST_BIN "' gate", LIMIT_S);
	bg_test_expect_status(&r, 2, "gate outside a repository");
	expect_in(&r, 0, "not a git repository", "gate outside a repository");
	bg_test_result_free(&r);

	assert_true(asprintf(&cmd, "git init -q --bare '%s/bare.git' && cd '%s/bare.git' && exec '%s' gate",
			     f->root, f->root, BG_TEST_BIN) > 0);
	r = bg_test_shell(f->root, cmd, LIMIT_S);
	free(cmd);
	bg_test_expect_status(&r, 2, "gate in a bare repository");
	expect_in(&r, 0, "bare", "gate in a bare repository");
	bg_test_result_free(&r);
}

static void test_detached_and_usage(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *text, *last;
	cJSON *j;

	make_repo(f, NULL);
	free(commit(f, "echo 20 > knob"));
	sh_ok(f, "git checkout -q --detach");
	gate_expect(f, "", 0, "KEEP");
	text = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_non_null(text);
	assert_int_equal(count_lines(text), 1);
	j = cJSON_Parse(text);
	free(text);
	assert_non_null(j);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "branch")));
	cJSON_Delete(j);

	r = gate(f, "--baseline HEAD");
	bg_test_expect_status(&r, 2, "gate --baseline HEAD");
	expect_in(&r, 0, "nothing to gate", "gate --baseline HEAD");
	bg_test_result_free(&r);
	r = gate(f, "--bogus");
	bg_test_expect_status(&r, 2, "gate --bogus");
	expect_in(&r, 0, "--bogus", "gate --bogus");
	bg_test_result_free(&r);
	r = gate(f, "--max-time abc");
	bg_test_expect_status(&r, 2, "gate --max-time abc");
	expect_in(&r, 0, "--max-time", "gate --max-time abc");
	bg_test_result_free(&r);
	last = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(count_lines(last), 1);
	free(last);
}

/* ---- 9. interruption ------------------------------------------------------ */

typedef struct {
	char *status, *refs, *head, *ledger;
	char *index;
	size_t index_len;
} snapshot;

static void snap_take(snapshot *s, const fx *f)
{
	s->index = read_bytes(f, ".git/index", &s->index_len);
	s->status = sh_out(f, "git --no-optional-locks status --porcelain");
	s->refs = sh_out(f, "git for-each-ref");
	s->head = sh_out(f, "git rev-parse HEAD && git symbolic-ref -q HEAD || true");
	s->ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
}

static void snap_free(snapshot *s)
{
	free(s->status);
	free(s->refs);
	free(s->head);
	free(s->ledger);
	free(s->index);
}

static void snap_same(const snapshot *a, const snapshot *b)
{
	assert_string_equal(a->status, b->status);
	assert_string_equal(a->refs, b->refs);
	assert_string_equal(a->head, b->head);
	assert_string_equal(a->ledger ? a->ledger : "(none)", b->ledger ? b->ledger : "(none)");
	assert_true(a->index_len == b->index_len && memcmp(a->index, b->index, a->index_len) == 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Live processes (other than this one) whose command line starts with
 * needle (anchored) or holds it. */
static int processes(const char *needle, int anchored)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[4096];
		ssize_t len;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue; /* zombies and kernel threads have no command line */
		for (ssize_t i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		n += anchored ? strncmp(buf, needle, strlen(needle)) == 0 : strstr(buf, needle) != NULL;
	}
	closedir(d);
	return n;
}

/* Any live process whose command line mentions the test's directory. */
static int strays(const fx *f)
{
	return processes(f->root, 0);
}

/* Starts the gate with a config that cannot decide, interrupts it after
 * DELAY seconds, and checks that it stops promptly and changed nothing. */
static void interrupt_after(const fx *f, double delay)
{
	char cfg[200], out[200], err[200], *text;
	snapshot before, after;
	double t0, t_sig;
	int st = 0, pgone = 0;
	pid_t pid, w;

	snprintf(cfg, sizeof(cfg), "%s/slow.json", f->root);
	snprintf(out, sizeof(out), "%s/int.out", f->root);
	snprintf(err, sizeof(err), "%s/int.err", f->root);
	snap_take(&before, f);
	t0 = now_s();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int n = open("/dev/null", O_RDONLY);
		if (o < 0 || e < 0 || n < 0 || setpgid(0, 0) < 0 || chdir(f->repo) < 0 ||
		    dup2(n, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execl(BG_TEST_BIN, BG_TEST_BIN, "gate", "--config", cfg, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	while (now_s() - t0 < delay)
		usleep(10000);
	assert_int_equal(kill(pid, SIGINT), 0);
	t_sig = now_s();
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 && now_s() - t_sig < 30)
		usleep(10000);
	if (w == 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("the gate did not stop within 30 s of SIGINT (sent after %.1f s)", delay);
	}
	if (now_s() - t_sig > 3.5)
		fail_msg("the gate took %.1f s to stop after SIGINT (sent after %.1f s)", now_s() - t_sig, delay);
	text = bg_test_slurp(err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 || text == NULL || strstr(text, "interrupted") == NULL) {
		print_error("SIGINT after %.1f s: status 0x%x, stderr:\n%s\n", delay, st, text ? text : "");
		free(text);
		fail_msg("expected exit 2 with \"interrupted\"");
	}
	free(text);
	/* nothing of the gate's process group, nor any workload, is left */
	for (int i = 0; i < 100 && !pgone; i++) {
		pgone = kill(-pid, 0) < 0 && errno == ESRCH && strays(f) == 0;
		if (!pgone)
			usleep(10000);
	}
	assert_true(pgone);
	snap_take(&after, f);
	snap_same(&before, &after);
	snap_free(&before);
	snap_free(&after);
}

static void test_interrupt(void **state)
{
	fx *f = *state;
	char *cfg = NULL, path[200];
	FILE *o;

	make_repo(f, NULL);
	free(commit(f, "echo 20 > knob"));
	assert_true(asprintf(&cfg,
		"{ \"metric\": { \"name\": \"wall\" }, \"min_effect\": 0,\n"
		"  \"workloads\": [ { \"name\": \"a\", \"cmd\": \"sleep 0.2\" }, { \"name\": \"b\", \"cmd\": \"sleep 0.2\" } ],\n"
		"  \"budget\": { \"max_seconds\": 30, \"warmup\": 0 } }\n") > 0);
	snprintf(path, sizeof(path), "%s/slow.json", f->root);
	assert_non_null(o = fopen(path, "w"));
	fputs(cfg, o);
	fclose(o);
	free(cfg);
	interrupt_after(f, 0.5);
	interrupt_after(f, 1.5);
	interrupt_after(f, 3.0);
	gate_expect(f, "", 0, "KEEP");
}

/* ---- 10. benchgate loop ------------------------------------------------ */

/* A scripted agent: a speedup, then nothing, then a crash, then an edit of
 * the benchmark. The loop gates the two changes with --apply (the protected
 * edit is undone: HEAD stays on the kept commit), records the two idle
 * iterations in the ledger, and hands the agent the previous verdict. */
static void test_loop(void **state)
{
	fx *f = *state;
	char *now, *fb;
	bg_test_result r;

	make_repo(f, NULL);
	write_file(f, "../agent.sh",
		   "n=$(cat ../step 2>/dev/null || echo 0); echo $((n + 1)) > ../step\n"
		   "cp \"$1\" ../feedback.$n.json\n"
		   "case $n in\n"
		   "0) echo 20 > knob; git commit -qam faster ;;\n"
		   "1) : ;;\n"
		   "2) echo crashed >&2; exit 1 ;;\n"
		   "3) echo less > bench/input.txt; echo 10 > knob; git commit -qam smaller ;;\n"
		   "esac\n");
	r = shellf(f, "exec '%s' loop --agent 'sh ../agent.sh' -n 4", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "loop");
	expect_in(&r, 1, "4 iterations, 2 gated, 1 kept", "loop");
	expect_in(&r, 1, "REJECT(protected_changed)", "loop");
	expect_in(&r, 0, "the agent failed", "loop");
	expect_in(&r, 0, "the agent changed nothing", "loop");
	bg_test_result_free(&r);
	now = sh_out(f, "git log --format=%s -1");
	assert_non_null(strstr(now, "faster"));
	free(now);
	/* the agent saw the KEEP of iteration 1 before iteration 2, and the
	 * feedback carries no holdout numbers */
	fb = sh_out(f, "cat ../feedback.1.json");
	assert_non_null(strstr(fb, "\"decision\":\t\"KEEP\""));
	assert_null(strstr(fb, "measurement"));
	free(fb);
	r = bglog(f, "");
	expect_in(&r, 1, "loop iteration 2: agent_no_change", "log");
	expect_in(&r, 1, "loop iteration 3: agent_failed", "log");
	bg_test_result_free(&r);
	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 0, "log --verify");
	bg_test_result_free(&r);
}

/* The agent loop drives is shielded: it edits and commits as usual, but
 * the held-out inputs are hidden from it and benchgate's state and refs
 * are read-only, so its attempts to read, forge or delete them fail. */
static void test_loop_agent_shielded(void **state)
{
	fx *f = *state;
	char *script = NULL, *ledger, *refs, *text;
	bg_test_result r;

	make_repo(f, NULL);
	assert_true(asprintf(&script,
		"n=$(cat ../step 2>/dev/null || echo 0); echo $((n + 1)) > ../step\n"
		"case $n in\n"
		"0) echo 20 > knob; git commit -qam faster ;;\n"
		"1) cat %s/mixed.txt > ../leak 2>/dev/null\n"
		"   echo forged >> .git/benchgate/ledger.jsonl 2>/dev/null\n"
		"   rm -rf .git/benchgate/holdout.seal .git/refs/benchgate 2>/dev/null\n"
		"   git update-ref -d refs/benchgate/baseline 2>/dev/null\n"
		"   echo 20 > knob; echo '# x' >> test.sh; git commit -qam same ;;\n"
		"esac\n", f->hold) > 0);
	write_file(f, "../agent.sh", script);
	r = shellf(f, "exec '%s' loop --agent 'sh ../agent.sh' -n 2", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "shielded loop");
	expect_in(&r, 1, "2 iterations, 2 gated, 1 kept", "shielded loop");
	bg_test_result_free(&r);
	text = sh_out(f, "cat ../leak");
	assert_string_equal(text, "");                      /* the held-out inputs were hidden */
	free(text);
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_null(strstr(ledger, "forged"));
	assert_int_equal(count_lines(ledger), 2);
	free(ledger);
	assert_non_null(text = repo_file(f, ".git/benchgate/holdout.seal"));
	free(text);
	refs = sh_out(f, "git for-each-ref --format='%(refname)' refs/benchgate");
	assert_non_null(strstr(refs, "refs/benchgate/baseline"));
	assert_non_null(strstr(refs, "refs/benchgate/rejected/"));
	free(refs);
	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 0, "log --verify");
	bg_test_result_free(&r);
	free(script);
}

/* The rejected refs with what they point at, and the names of the others
 * (the notes ref moves with every gate). */
#define REFS_SEEN "git for-each-ref --format='%(objectname) %(refname)' refs/benchgate/rejected && " \
		  "git for-each-ref --format='%(refname)' refs/notes refs/benchgate"

/* An agent benchgate does not drive, run under `benchgate shield`: what it
 * tries against the referee fails (the held-out inputs, the key, the
 * ledger, the seal, a rejected ref), --config is refused, and the gate it
 * runs is served from outside: the same KEEP a gate outside gives, recorded
 * in the real ledger, which log --verify (served too) finds intact. */
static void test_shield(void **state)
{
	fx *f = *state;
	char *script = NULL, *ledger, *seal, *refs, *after;
	bg_test_result r;

	kept_then_rejected(f);
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	seal = repo_file(f, ".git/benchgate/holdout.seal");
	refs = sh_out(f, REFS_SEEN);
	assert_true(asprintf(&script,
		"cat %s/mixed.txt && echo TRIED-held-out\n"
		"cat $HOME/.config/benchgate/key && echo TRIED-key\n"
		"echo forged >> .git/benchgate/ledger.jsonl && echo TRIED-ledger\n"
		"rm .git/benchgate/holdout.seal && echo TRIED-seal\n"
		"git update-ref -d $(git for-each-ref --format='%%(refname)' refs/benchgate/rejected) && echo TRIED-ref\n"
		"echo 20 > knob && git commit -qam faster\n"
		"'%s' gate --config benchgate.json; echo config-refused:$?\n"
		"'%s' gate; echo gate:$?\n"
		"'%s' log --verify; echo verify:$?\n", f->hold, BG_TEST_BIN, BG_TEST_BIN, BG_TEST_BIN) > 0);
	write_file(f, "../agent.sh", script);
	r = shellf(f, "exec '%s' shield -- sh ../agent.sh", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "shield");
	assert_null(strstr(r.out, "TRIED-"));
	expect_in(&r, 1, "config-refused:2", "shield");
	expect_in(&r, 0, "refused: --config is not accepted from inside a shield", "shield");
	expect_in(&r, 1, "KEEP", "shield");
	expect_in(&r, 1, "gate:0", "shield");
	expect_in(&r, 1, "ledger intact", "shield");
	expect_in(&r, 1, "verify:0", "shield");
	expect_in(&r, 0, "serving `benchgate gate` for the agent", "shield");
	bg_test_result_free(&r);
	after = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(strncmp(after, ledger, strlen(ledger)), 0);
	assert_int_equal(count_lines(after), count_lines(ledger) + 1);   /* the served gate's record */
	assert_null(strstr(after, "forged"));
	free(after);
	after = repo_file(f, ".git/benchgate/holdout.seal");
	assert_string_equal(after, seal);
	free(after);
	after = sh_out(f, REFS_SEEN);
	for (char *line = strtok(refs, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "rejected/"))
			assert_non_null(strstr(after, line));
	free(after);
	free(refs);
	free(seal);
	free(ledger);
	free(script);
}

/* loop killed by SIGKILL while its child gate measures: the gate dies with
 * it, and the run it had started with the gate (bubblewrap dies with its
 * parent, and the run's PID namespace with bubblewrap). */
static void test_loop_killed(void **state)
{
	fx *f = *state;
	pid_t pid;
	double t0;
	int st;

	make_repo(f, NULL);
	write_file(f, "../agent.sh", "printf 'sleep 2.17\\n' | cat - work.sh > w && mv w work.sh; git commit -qam slow\n");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int n = open("/dev/null", O_RDWR);
		if (n < 0 || chdir(f->repo) < 0 || dup2(n, 0) < 0 || dup2(n, 1) < 0 || dup2(n, 2) < 0)
			_exit(126);
		execl(BG_TEST_BIN, BG_TEST_BIN, "loop", "--agent", "sh ../agent.sh", "-n", "1", (char *)NULL);
		_exit(127);
	}
	t0 = now_s();
	while (processes("gate --apply --json", 0) == 0 && now_s() - t0 < 30)
		usleep(20000);
	assert_true(processes("gate --apply --json", 0) > 0);   /* the child gate is measuring */
	usleep(200000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	t0 = now_s();
	/* the gate would measure for 10 s more (5 rounds of a 2.17 s run) */
	while (processes("gate --apply --json", 0) > 0 && now_s() - t0 < 3)
		usleep(20000);
	assert_int_equal(processes("gate --apply --json", 0), 0);
	/* "sleep 2.17 ": this test's own run (the NUL after its last word is
	 * a blank), not another process of the machine */
	while (processes("sleep 2.17 ", 1) > 0 && now_s() - t0 < 3)
		usleep(20000);
	assert_int_equal(processes("sleep 2.17 ", 1), 0);   /* the sandboxed run went with it */
}

/* ---- 10. the candidate's build cannot bribe the referee ------------------ */

/* The cheating build of a slower candidate: it tries to slow the baseline's
 * export down, forge the ledger, delete the seal, the test-count cache and
 * the rejected refs, read the held-out inputs, and leave a daemon behind.
 * Inside the sandbox none of it reaches anything: the candidate is
 * rejected, benchgate's state only grows by the gate's own record, and the
 * build saw its tree at the repository's own path. */

static void test_sandboxed_build_cheats(void **state)
{
	fx *f = *state;
	char *cand, *script = NULL, *seal, *counts, *ledger, *refs, *after, *text, path[400];
	cJSON *before_counts, *after_counts, *item;
	bg_test_result r;

	make_repo(f, "\"build\": \"sh build.sh\", ");
	sh_ok(f, "echo true > build.sh && git add build.sh && git commit -q --amend --no-edit");
	free(commit(f, "echo 20 > knob"));
	gate_expect(f, "", 0, "KEEP");                       /* the baseline; seals the holdout */
	free(commit(f, "echo 20 > knob && echo '# same' >> build.sh"));
	gate_expect(f, "", 1, "REJECT(no_change)");          /* a rejected ref to keep */
	seal = repo_file(f, ".git/benchgate/holdout.seal");
	counts = repo_file(f, ".git/benchgate/testcounts.json");
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	refs = sh_out(f, REFS_SEEN);
	assert_non_null(seal);
	assert_non_null(strstr(refs, "refs/benchgate/rejected/"));
	assert_true(asprintf(&script,
		"pwd > where.txt\n"
		"for d in %s/.git/benchgate/exports/*/ ../*/; do echo 400 > \"$d/knob\"; done\n"
		"printf '{\"forged\": 1}\\n' >> %s/.git/benchgate/ledger.jsonl\n"
		"rm -f %s/.git/benchgate/holdout.seal %s/.git/benchgate/testcounts.json\n"
		"rm -rf %s/.git/refs/benchgate %s/.git/refs/notes\n"
		"cat %s/mixed.txt > leak.txt\n"
		"setsid sh -c 'exec sleep 313' </dev/null >/dev/null 2>&1 &\n"
		"true\n", f->repo, f->repo, f->repo, f->repo, f->repo, f->repo, f->hold) > 0);
	write_file(f, "build.sh", script);
	cand = commit(f, "echo 30 > knob");
	r = gate(f, "");
	bg_test_expect_status(&r, 1, "a cheating build");
	expect_starts(&r, "REJECT(", "a cheating build");
	bg_test_result_free(&r);

	/* the build ran, at the repository's path, blind to the held-out inputs */
	snprintf(path, sizeof(path), ".git/benchgate/exports/%s/where.txt", cand);
	text = repo_file(f, path);
	assert_non_null(text);
	assert_non_null(strstr(text, f->repo));
	assert_null(strstr(text, "exports"));
	free(text);
	snprintf(path, sizeof(path), ".git/benchgate/exports/%s/leak.txt", cand);
	text = repo_file(f, path);
	assert_string_equal(text ? text : "", "");
	free(text);
	/* nothing of benchgate's state changed but the gate's own additions */
	after = repo_file(f, ".git/benchgate/holdout.seal");
	assert_string_equal(after, seal);
	free(after);
	after = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(strncmp(after, ledger, strlen(ledger)), 0);
	assert_int_equal(count_lines(after), count_lines(ledger) + 1);
	assert_null(strstr(after, "forged"));
	free(after);
	after = sh_out(f, REFS_SEEN);
	for (char *line = strtok(refs, "\n"); line; line = strtok(NULL, "\n"))
		assert_non_null(strstr(after, line));       /* every ref is still there */
	free(after);
	before_counts = cJSON_Parse(counts);
	after = repo_file(f, ".git/benchgate/testcounts.json");
	after_counts = cJSON_Parse(after);
	assert_non_null(before_counts);
	assert_non_null(after_counts);
	cJSON_ArrayForEach(item, before_counts)
		assert_true(cJSON_GetObjectItemCaseSensitive(after_counts, item->string)->valuedouble ==
			    item->valuedouble);
	cJSON_Delete(before_counts);
	cJSON_Delete(after_counts);
	free(after);
	/* no export but the candidate's own was written, and no daemon lives */
	snprintf(path, sizeof(path), "for d in .git/benchgate/exports/*/; do case $d in *%s/) ;; *) cat $d/knob;; esac; done",
		 cand);
	after = sh_out(f, path);
	assert_non_null(strstr(after, "20"));
	assert_null(strstr(after, "400"));
	free(after);
	assert_int_equal(processes("sleep 313", 1), 0);
	r = bglog(f, "--verify");
	bg_test_expect_status(&r, 0, "log --verify");
	bg_test_result_free(&r);
	free(seal);
	free(counts);
	free(ledger);
	free(refs);
	free(script);
	free(cand);
}

/* Without bubblewrap the gate stops before building, with the fix; with
 * "isolation": "none" it goes on, says so on the verdict and records it. */
static void test_isolation_off_or_missing(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *ledger;

	make_repo(f, NULL);
	free(commit(f, "echo 20 > knob"));
	r = shellf(f, "PATH=/nonexistent exec '%s' gate", BG_TEST_BIN);
	bg_test_expect_status(&r, 2, "no bwrap on PATH");
	expect_in(&r, 0, "apt-get install bubblewrap", "no bwrap on PATH");
	expect_in(&r, 0, "\"isolation\": \"none\"", "no bwrap on PATH");
	bg_test_result_free(&r);
	assert_null(repo_file(f, ".git/benchgate/ledger.jsonl"));   /* nothing recorded */
	sh_ok(f, "sed 's/^{ /{ \"isolation\": \"none\", /' benchgate.json > ../none.json");
	r = gate(f, "--config ../none.json");
	bg_test_expect_status(&r, 0, "isolation none");
	expect_in(&r, 1, "isolation: none", "isolation none");
	bg_test_result_free(&r);
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_non_null(strstr(ledger, "\"isolation\":\"none\""));
	free(ledger);
}

/* The seal deleted after gates that ran the held-out workloads: the next
 * gate refuses (a new seal would bring a fresh failure budget) and records
 * nothing; the rejected ref of a REJECT is written before its record. */
static void test_seal_deleted(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *ledger, *after;

	make_repo(f, NULL);
	free(commit(f, "echo 20 > knob"));
	gate_expect(f, "", 0, "KEEP");
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_non_null(strstr(ledger, "\"ran\":true"));
	sh_ok(f, "rm .git/benchgate/holdout.seal");
	free(commit(f, "echo 10 > knob"));
	r = gate(f, "");
	bg_test_expect_status(&r, 2, "seal deleted");
	expect_in(&r, 0, "was deleted", "seal deleted");
	expect_in(&r, 0, "benchgate holdout --reseal", "seal deleted");
	bg_test_result_free(&r);
	after = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_string_equal(after, ledger);
	assert_null(repo_file(f, ".git/benchgate/holdout.seal"));   /* not silently remade */
	r = shellf(f, "exec '%s' holdout", BG_TEST_BIN);
	bg_test_expect_status(&r, 2, "holdout after the seal was deleted");
	expect_in(&r, 0, "was deleted", "holdout after the seal was deleted");
	bg_test_result_free(&r);
	assert_null(repo_file(f, ".git/benchgate/holdout.seal"));   /* nor by `holdout` */
	free(after);
	/* resealing is the user's act, and the ledger records it */
	r = shellf(f, "exec '%s' holdout --reseal", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "holdout --reseal");
	expect_in(&r, 1, "sealed anew", "holdout --reseal");
	bg_test_result_free(&r);
	after = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_non_null(strstr(after, "\"kind\":\"holdout\",\"time\""));
	assert_non_null(strstr(after, "\"event\":\"reseal\""));
	free(after);
	/* a seal given a bigger budget by hand: more left than the ledger says */
	sh_ok(f, "sed -i 's/\"budget\":[ \t]*[0-9]*/\"budget\": 999/' .git/benchgate/holdout.seal && "
		 "grep -q '\"budget\": 999' .git/benchgate/holdout.seal");
	free(ledger);
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	r = gate(f, "");
	bg_test_expect_status(&r, 2, "seal reset");
	expect_in(&r, 0, "the seal was reset outside benchgate", "seal reset");
	bg_test_result_free(&r);
	r = shellf(f, "exec '%s' holdout", BG_TEST_BIN);
	bg_test_expect_status(&r, 2, "holdout after the seal was reset");
	expect_in(&r, 0, "the seal was reset outside benchgate", "holdout after the seal was reset");
	bg_test_result_free(&r);
	after = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_string_equal(after, ledger);
	free(after);
	free(ledger);
}

/* The baseline's export is where commands ran; its benchgate.json, however
 * rewritten (here: no tests, no protected paths, no holdout), is not the
 * configuration: the rules come from the baseline commit in git, and a
 * candidate that edits a protected input is still rejected. */
static void test_config_from_git_not_export(void **state)
{
	fx *f = *state;
	char *base, cmd[600];

	make_repo(f, NULL);
	base = commit(f, "echo 20 > knob");
	gate_expect(f, "", 0, "KEEP");
	snprintf(cmd, sizeof(cmd), "printf '%%s' '{ \"workloads\": [ { \"name\": \"small\", \"cmd\": \"true\" } ] }' "
		 "> .git/benchgate/exports/%s/benchgate.json", base);
	sh_ok(f, cmd);
	free(commit(f, "echo 10 > knob && echo changed > bench/input.txt"));
	gate_expect(f, "", 1, "REJECT(protected_changed)");
	free(base);
}

/* A build may write its own tree, but not what the referee runs from it:
 * a candidate that breaks the feature (its tests fail below knob 25) and
 * whose build rewrites the protected test script to pass, or drops a file
 * among the protected inputs, is REJECT(protected_changed). */
static void test_build_changes_protected(void **state)
{
	fx *f = *state;

	make_repo(f, "\"build\": \"sh build.sh\", ");
	write_file(f, "test.sh", "#!/bin/sh\nread x < knob\n[ \"$x\" -ge 25 ] && echo \"3 passed\" && exit 0\n"
		   "echo \"2 passed, 1 failed\"; exit 1\n");
	sh_ok(f, "sed -i 's|\"bench/\" ]|\"bench/\", \"test.sh\" ]|' benchgate.json && grep -q test.sh benchgate.json && "
		 "echo true > build.sh && git add -A && git commit -q --amend --no-edit");
	free(commit(f, "echo 30 > knob"));
	gate_expect(f, "", 0, "KEEP");
	expect_reject(f, "echo 20 > knob && printf 'printf \"echo 3 passed\\\\n\" > test.sh\\n' > build.sh",
		      "protected_changed");
	expect_reject(f, "echo 20 > knob && echo 'echo x > bench/extra.txt' > build.sh", "protected_changed");
}

/* Tests run on an overlay of their own: what they write (a protected
 * input "lightened", a cache for the workloads) is gone before the
 * workloads run. So a slower candidate whose tests lighten the input is
 * measured as it is, and its export holds nothing the tests wrote. */
static void test_tests_leave_nothing(void **state)
{
	fx *f = *state;
	char *cand, path[300], *input;

	make_repo(f, NULL);
	write_work(f, "grep -q lighter bench/input.txt && x=10\n");
	write_file(f, "test.sh", "#!/bin/sh\n[ -f hooks.sh ] && sh hooks.sh\necho \"3 passed\"\n");
	sh_ok(f, "git commit -qam 'tests run the hooks; a lighter input is less work'");
	cand = commit(f, "echo 45 > knob && printf 'echo lighter > bench/input.txt\\necho 10 > cache\\n' > hooks.sh");
	gate_expect(f, "", 1, "REJECT(");
	snprintf(path, sizeof(path), ".git/benchgate/exports/%s/bench/input.txt", cand);
	input = repo_file(f, path);
	assert_string_equal(input, "data\n");
	snprintf(path, sizeof(path), "%s/.git/benchgate/exports/%s/cache", f->repo, cand);
	assert_int_equal(access(path, F_OK), -1);
	free(input);
	free(cand);
}

/* The baseline's export, slowed down after it was built (by anyone who
 * can write the repository): it is not reused as it is, but exported anew,
 * so a slower candidate is not kept against it. */
static void test_export_changed_remade(void **state)
{
	fx *f = *state;
	char *base, path[300], *knob;

	make_repo(f, NULL);
	base = commit(f, "echo 30 > knob");
	gate_expect(f, "", 0, "KEEP");
	snprintf(path, sizeof(path), ".git/benchgate/exports/%s/knob", base);
	write_file(f, path, "400\n");
	free(commit(f, "echo 45 > knob"));
	gate_expect(f, "", 1, "REJECT(");
	knob = repo_file(f, path);
	assert_string_equal(knob, "30\n");
	free(knob);
	free(base);
}

/* A candidate whose workload crashes, or hangs past the budget, is
 * REJECT(workload_failed) with a ledger record, not an error that loop
 * would stop on; the hung run is killed at --max-time. */
static void test_workload_failed(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *ledger;
	double t0;

	make_repo(f, NULL);
	free(commit(f, "printf '#!/bin/sh\\necho broken >&2\\nexit 3\\n' > work.sh"));
	r = gate(f, "");
	bg_test_expect_status(&r, 1, "crashing workload");
	expect_starts(&r, "REJECT(workload_failed)", "crashing workload");
	expect_in(&r, 1, "exited with code 3", "crashing workload");
	bg_test_result_free(&r);
	free(commit(f, "printf '#!/bin/sh\\nexec sleep 100\\n' > work.sh"));
	t0 = now_s();
	r = gate(f, "--max-time 2 --baseline HEAD~2");
	bg_test_expect_status(&r, 1, "hung workload");
	expect_starts(&r, "REJECT(workload_failed)", "hung workload");
	expect_in(&r, 1, "timed out", "hung workload");
	bg_test_result_free(&r);
	assert_true(now_s() - t0 < 30);
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(count_lines(ledger), 2);
	assert_non_null(strstr(ledger, "REJECT(workload_failed)"));
	free(ledger);
}

/* Two gates at once on one repository: the second waits for the first,
 * both record, and their experiment numbers differ. */
static void test_concurrent_gates(void **state)
{
	fx *f = *state;
	char *a, *b, *ledger;
	bg_test_result r;

	make_repo(f, NULL);
	a = commit(f, "echo 20 > knob");
	b = commit(f, "echo 60 > knob");   /* clearly slower than a: decided in a few rounds */
	r = shellf(f, "{ '%s' gate -c %s > ../a.out 2>&1 & '%s' gate -c %s > ../b.out 2>&1; wait; "
		   "cat ../a.out ../b.out; }", BG_TEST_BIN, a, BG_TEST_BIN, b);
	bg_test_expect_status(&r, 0, "two gates");
	/* (one says "waiting for another gate" unless the first was done
	 * before the second started: not asserted, it depends on the load) */
	bg_test_result_free(&r);
	ledger = repo_file(f, ".git/benchgate/ledger.jsonl");
	assert_int_equal(count_lines(ledger), 2);
	assert_non_null(strstr(ledger, "\"experiment\":1,"));
	assert_non_null(strstr(ledger, "\"experiment\":2,"));
	free(ledger);
	free(a);
	free(b);
}

/* Measurements queue machine-wide: a gate in any repository waits while
 * another benchgate measurement holds the machine's lock (here held by
 * flock(1) for 1.5 s), and says so. */
static void test_machine_queue(void **state)
{
	fx *f = *state;
	bg_test_result r;

	make_repo(f, NULL);
	free(commit(f, "echo 20 > knob"));
	r = shellf(f, "export BENCHGATE_MACHINE_LOCK=\"$PWD/../machine.lock\"; "
		   "( flock 9; touch ../held; sleep 1.5 ) 9>\"$BENCHGATE_MACHINE_LOCK\" & "
		   "while [ ! -e ../held ]; do sleep 0.05; done; '%s' gate; rc=$?; wait; exit $rc", BG_TEST_BIN);
	bg_test_expect_status(&r, 0, "a gate while the machine is busy");
	expect_in(&r, 0, "waiting for another benchgate measurement on this machine", "machine lock");
	bg_test_result_free(&r);
}

/* A workload that leaves a daemon behind on every run: each is killed when
 * its run ends, and the gate says how many there were. */
static void test_workload_daemons(void **state)
{
	fx *f = *state;
	bg_test_result r;
	char *n;

	make_repo(f, NULL);
	write_work(f, "setsid sh -c 'exec sleep 311' </dev/null >/dev/null 2>&1 &\n");
	sh_ok(f, "echo 20 > knob && git commit -qam 'a daemon per run'");
	r = gate(f, "");
	expect_in(&r, 0, "processes behind; each was killed when its run ended", "daemons");
	bg_test_result_free(&r);
	n = sh_out(f, "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'slee[p] 311' || true");
	assert_string_equal(n, "0");
	free(n);
}

/* A program fast only when it runs under .git/benchgate/exports/ (that is,
 * when benchgate measures it): in the sandbox it runs at the repository's
 * own path, does the slow work it does for users, and is rejected. */
static void test_workload_knows_measured(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	write_work(f, "case $(pwd) in */.git/benchgate/exports/*) x=10;; esac\n");
	sh_ok(f, "echo 60 > knob && git commit -qam 'fast only when measured'");
	gate_expect(f, "", 1, "REJECT(");
}

/* A program fast whenever $BENCHGATE_HOLDOUT is set, on the training
 * workloads too (an overfit that would pass the held-out check if it could
 * tell a held-out run): the held-out command names its input through
 * $BENCHGATE_HOLDOUT, which the gate substitutes, so the program reads the
 * input but inherits no variable, and the overfit shows. */
static void test_holdout_no_variable(void **state)
{
	fx *f = *state;

	make_repo(f, NULL);
	sh_ok(f, "sed -i 's|sh work.sh 0.03|sh work.sh 0.03 $BENCHGATE_HOLDOUT/mixed.txt|' benchgate.json && "
		 "git commit -q -a --amend --no-edit");
	write_work(f, "if [ -n \"$2\" ]; then read y < \"$2\" || exit 1; [ -n \"$BENCHGATE_HOLDOUT\" ] || x=40; fi\n");
	sh_ok(f, "echo 20 > knob && git commit -qam 'fast when told it is held out'");
	gate_expect(f, "", 1, "REJECT(overfit)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keep_recorded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sandboxed_build_cheats, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_isolation_off_or_missing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_seal_deleted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_config_from_git_not_export, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_build_changes_protected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_export_changed_remade, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tests_leave_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_workload_failed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_loop_agent_shielded, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_gates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_machine_queue, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_workload_daemons, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_loop_killed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shield, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_workload_knows_measured, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_holdout_no_variable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_protected, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_tests_failed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_tests_dropped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_build_failed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_regressed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_no_change, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_secondary_regressed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_difference_judge_score, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_range_win_rate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tflops_five_stages, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_duel, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_duel_seat_advantage, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_duel_cannot_touch_opponent, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reject_overfit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_one_off_keeps_baseline, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_phases_and_budget, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gc, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_worktree, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_worktree_baseline_is_head, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_reject_resets, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_reject_dirty, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_keep, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ledger_torn_line, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_state_forged, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_counts_forged, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_holdout_changed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_repo, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_detached_and_usage, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_loop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_calibration_plan, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
