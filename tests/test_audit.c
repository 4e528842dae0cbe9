/* test_audit: end-to-end tests of `benchgate audit` on throwaway git
 * repositories, with the real binary (BG_TEST_BIN).
 *
 * Each repository measures work_units of the calibration workload bg-int
 * with a knob file, so every ratio is exact: knob 40 -> 20 is B/A =
 * 120/140 on every workload. Three claimed wins are audited, written as a
 * pi-autoresearch log and as a ledger (one genuine gate KEEP, two records
 * appended as a careless loop would have kept them):
 *   real     knob 40 -> 20, training and held-out         REPLICATED
 *   noise    claims 10%, changes a file nothing reads       NOT_REPLICATED
 *   overfit  work.sh special-cases the training inputs      OVERFIT
 * then a results.tsv that exaggerates the real win (SHRUNK, exit 0), a
 * range with a flagged commit and one that no longer builds, a commit that
 * no longer exists, and every bad input (exit 2 with a message). Nothing
 * of the user's may change: working tree, index, HEAD, refs, ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BG_INT BG_TEST_CORPORA "/bg-int"

typedef struct {
	char root[64];   /* the mkdtemp directory: sources are written here */
	char repo[96];   /* root/repo */
	char *base, *real, *noise, *overfit;  /* full commit ids */
} fx;

/* ---- running ------------------------------------------------------------ */

/* `cd REPO && CMD` (printf-formatted) through /bin/sh; fails the test
 * when it cannot run or runs over a minute. */
#define run(f, ...) bg_test_shellf((f)->repo, 60.0, __VA_ARGS__)

/* Fails the test, showing what ran, unless the exit status is `status`
 * and stream (1 stdout, 2 stderr) holds `needle` (NULL: anything). */
static void expect(bg_test_result *r, int status, int stream, const char *needle, const char *what)
{
	const char *text = stream == 1 ? r->out : r->err;

	if (r->status == status && (needle == NULL || strstr(text, needle) != NULL))
		return;
	bg_test_dump(r, what);
	fail_msg("%s: expected exit %d and \"%s\"", what, status, needle ? needle : "");
}

/* A command that must succeed; its stdout without the final newline. */
static char *out_of(const fx *f, const char *cmd)
{
	bg_test_result r = run(f, "%s", cmd);
	char *s;

	expect(&r, 0, 1, NULL, cmd);
	s = strdup(r.out);
	bg_test_result_free(&r);
	assert_non_null(s);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static void write_at(const fx *f, const char *rel, const char *text)
{
	char path[200];
	FILE *o;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	assert_non_null(o = fopen(path, "w"));
	assert_true(fputs(text, o) >= 0);
	assert_int_equal(fclose(o), 0);
}

/* ---- the repository ----------------------------------------------------- */

/* `read` rather than $(cat knob): one process less per run */
static const char work_sh[] = "#!/bin/sh\nread x < knob\nexec " BG_INT " -s ${1:-0.05} -x $x\n";

/* The base commit; extra goes at the top level of benchgate.json. */
static void make_repo(fx *f, const char *extra)
{
	char *cfg = NULL;

	assert_true(asprintf(&cfg,
		"{ %s\"test\": { \"cmd\": \"sh test.sh\", \"count\": \"passed\" },\n"
		"  \"metric\": { \"name\": \"work_units\" }, \"min_effect\": 0.05, \"alpha\": 0.2,\n"
		"  \"workloads\": [ { \"name\": \"small\", \"cmd\": \"sh work.sh 0.02\" },\n"
		"                 { \"name\": \"large\", \"cmd\": \"sh work.sh 0.04\", \"weight\": 2 } ],\n"
		"  \"holdout\": { \"dir\": \"%s/holdout\", \"workloads\": [ { \"name\": \"mixed\", \"cmd\": \"sh work.sh 0.03\" } ] },\n"
		"  \"protected\": [ \"bench/\" ], \"budget\": { \"max_seconds\": 20, \"warmup\": 0 } }\n",
		extra ? extra : "", f->root) > 0);
	assert_int_equal(mkdir(f->repo, 0755), 0);
	write_at(f, "repo/benchgate.json", cfg);
	write_at(f, "repo/work.sh", work_sh);
	write_at(f, "repo/knob", "40\n");
	write_at(f, "repo/test.sh", "#!/bin/sh\necho \"3 passed\"\n");
	write_at(f, "repo/build.sh", "exit 0\n");
	free(cfg);
	f->base = out_of(f, "git init -q && git config user.email a@b && git config user.name t && "
			    "git config commit.gpgsign false && mkdir bench ../holdout && echo data > bench/input.txt && "
			    "echo x > ../holdout/mixed.txt && git add -A && git commit -qm base && git rev-parse HEAD");
}

/* Commits what the shell command changes; the new commit's id. */
static char *commit(const fx *f, const char *change)
{
	char *cmd = NULL, *id;

	assert_true(asprintf(&cmd, "%s && git add -A && git commit -qm change && git rev-parse HEAD", change) > 0);
	id = out_of(f, cmd);
	free(cmd);
	return id;
}

/* The three candidates of the campaign, on top of the base. */
static void three_wins(fx *f)
{
	f->real = commit(f, "echo 20 > knob");
	f->noise = commit(f, "echo tuned > notes.txt");
	f->overfit = commit(f, "printf '#!/bin/sh\\ncase $1 in 0.02|0.04) x=10;; *) read x < knob;; esac\\n"
			       "exec " BG_INT " -s $1 -x $x\\n' > work.sh");
}

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (bg_test_tmpdir(f->root, sizeof(f->root), "bg_test_audit") < 0) {
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
	free(f->real);
	free(f->noise);
	free(f->overfit);
	free(f);
	return 0;
}

/* What audit must leave alone. */
static char *user_state(const fx *f)
{
	return out_of(f, "{ git --no-optional-locks status --porcelain; git for-each-ref; git rev-parse HEAD; "
			 "cksum .git/index; cat .git/benchgate/ledger.jsonl 2>/dev/null; } | cksum");
}

/* ---- JSON ------------------------------------------------------------------ */

static const cJSON *at(const cJSON *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path = dot + 1;
	}
	return o ? cJSON_GetObjectItemCaseSensitive(o, path) : NULL;
}

static const char *str_at(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);

	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", path);
	return v->valuestring;
}

static double num_at(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);

	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", path);
	return v->valuedouble;
}

static const cJSON *claim(const cJSON *doc, int i)
{
	const cJSON *c = cJSON_GetArrayItem(at(doc, "claims"), i);

	assert_non_null(c);
	return c;
}

static void claim_is(const cJSON *doc, int i, const char *commit, const char *status)
{
	const cJSON *c = claim(doc, i);

	assert_string_equal(str_at(c, "commit"), commit);
	assert_string_equal(str_at(c, "status"), status);
}

/* The ratio of the i-th claim's training (or "holdout.measurement") */
static double ratio_of(const cJSON *doc, int i, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "%s.ratio", what);
	return num_at(claim(doc, i), path);
}

/* The line of text that holds needle, for checking what it says. */
static char *line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *s, *e;

	if (p == NULL)
		fail_msg("no line with \"%s\" in:\n%s", needle, text);
	for (s = p; s > text && s[-1] != '\n'; s--)
		;
	e = strchr(p, '\n');
	return strndup(s, e ? (size_t)(e - s) : strlen(s));
}

static void line_says(const char *text, const char *needle, const char *word)
{
	char *line = line_with(text, needle);

	if (strstr(line, word) == NULL)
		fail_msg("the line \"%s\" does not say %s", line, word);
	free(line);
}

/* ---- 1. a pi-autoresearch log ---------------------------------------------- */

static void write_pi_log(const fx *f)
{
	char *log = NULL;

	assert_true(asprintf(&log,
		"{\"type\":\"config\",\"name\":\"speed\",\"metricName\":\"work_units\",\"metricUnit\":\"\",\"bestDirection\":\"lower\"}\n"
		"{\"run\":1,\"commit\":\"%.7s\",\"metric\":140,\"metrics\":{},\"status\":\"keep\",\"description\":\"baseline\"}\n"
		"{\"run\":2,\"commit\":\"%.7s\",\"metric\":120,\"metrics\":{},\"status\":\"keep\",\"description\":\"knob 20\"}\n"
		"{\"run\":3,\"commit\":\"%.7s\",\"metric\":\"oops\n"
		"{\"run\":4,\"commit\":\"%.7s\",\"metric\":125,\"metrics\":{},\"status\":\"discard\",\"description\":\"no\"}\n"
		"{\"type\":\"hook\",\"stage\":\"after\",\"exit_code\":0}\n"
		"{\"run\":5,\"commit\":\"%.7s\",\"metric\":108,\"metrics\":{},\"status\":\"keep\",\"description\":\"noise\"}\n"
		"{\"run\":6,\"commit\":\"%.7s\",\"metric\":100,\"metrics\":{},\"status\":\"keep\",\"description\":\"overfit\"}\n",
		f->base, f->real, f->real, f->real, f->noise, f->overfit) > 0);
	write_at(f, "log.jsonl", log);
	free(log);
}

static void test_pi_log(void **state)
{
	fx *f = *state;
	char *before, *after, *md, md_row[64], path[200];
	bg_test_result r;
	cJSON *doc;

	make_repo(f, NULL);
	three_wins(f);
	write_pi_log(f);
	before = user_state(f);
	r = run(f, "exec '%s' audit --pi-log ../log.jsonl --json --seed 7 --export-markdown ../audit.md",
		BG_TEST_BIN);
	expect(&r, 1, 2, "log.jsonl:4: not a JSON object; skipped", "audit --pi-log");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	assert_true(cJSON_IsString(at(doc, "benchgate.version")));
	assert_true(num_at(doc, "benchgate.schema") >= 1);
	assert_string_equal(str_at(doc, "kind"), "audit");
	assert_int_equal(strlen(str_at(doc, "machine.fingerprint")), 16);
	assert_true(num_at(doc, "settings.seed") == 7);
	assert_string_equal(str_at(doc, "source.kind"), "pi-log");
	assert_string_equal(str_at(doc, "source.metric"), "work_units");
	claim_is(doc, 0, f->real, "REPLICATED");
	assert_string_equal(str_at(claim(doc, 0), "parent"), f->base);
	bg_test_assert_close(num_at(claim(doc, 0), "claimed_ratio"), 120.0 / 140, 1e-12, 0, "claimed ratio");
	bg_test_assert_close(ratio_of(doc, 0, "training"), 120.0 / 140, 1e-9, 0, "real: fresh ratio");
	assert_true(cJSON_IsTrue(at(claim(doc, 0), "holdout.pass")));
	claim_is(doc, 1, f->noise, "NOT_REPLICATED");
	bg_test_assert_close(ratio_of(doc, 1, "training"), 1.0, 1e-9, 0, "noise: fresh ratio");
	assert_true(cJSON_IsTrue(at(claim(doc, 1), "revert")));
	claim_is(doc, 2, f->overfit, "OVERFIT");
	bg_test_assert_close(ratio_of(doc, 2, "training"), 110.0 / 120, 1e-9, 0, "overfit: training");
	bg_test_assert_close(ratio_of(doc, 2, "holdout.measurement"), 1.0, 1e-9, 0, "overfit: held-out");
	assert_true(cJSON_IsFalse(at(claim(doc, 2), "holdout.pass")));
	/* the campaign: 100/140 claimed, 110/140 real from first to last */
	bg_test_assert_close(num_at(doc, "campaign.claimed_total_ratio"), 100.0 / 140, 1e-12, 0, "claimed total");
	bg_test_assert_close(num_at(doc, "campaign.first_to_last.measurement.ratio"), 110.0 / 140, 1e-9, 0,
			     "first to last");
	assert_int_equal(cJSON_GetArraySize(at(doc, "campaign.revert")), 2);
	assert_string_equal(cJSON_GetArrayItem(at(doc, "campaign.revert"), 0)->valuestring, f->noise);
	assert_string_equal(cJSON_GetArrayItem(at(doc, "campaign.revert"), 1)->valuestring, f->overfit);
	assert_true(num_at(doc, "summary.failed") == 2 && num_at(doc, "summary.REPLICATED") == 1);
	cJSON_Delete(doc);
	/* the markdown report says the same */
	snprintf(path, sizeof(path), "%s/audit.md", f->root);
	assert_non_null(md = bg_test_slurp(path));
	snprintf(md_row, sizeof(md_row), "| 1 | `%.12s` |", f->real);
	assert_non_null(strstr(md, md_row));
	line_says(md, md_row, "**REPLICATED**");
	assert_non_null(strstr(md, "**Worth reverting**:"));
	free(md);
	after = user_state(f);
	assert_string_equal(before, after);
	snprintf(path, sizeof(path), "%s/.git/benchgate/ledger.jsonl", f->repo);
	assert_int_equal(access(path, F_OK), -1); /* audit keeps no record */
	free(before);
	free(after);
}

/* ---- 2. the ledger ------------------------------------------------------------ */

/* A KEEP record as a loop without referee would have appended it. */
static void append_keep(const fx *f, int seq, const char *base, const char *cand, double ratio)
{
	char *cmd = NULL;

	assert_true(asprintf(&cmd,
		"printf '%%s\\n' '{\"seq\":%d,\"prev\":null,\"kind\":\"gate\",\"verdict\":\"KEEP\",\"branch\":\"master\","
		"\"baseline\":\"%s\",\"candidate\":\"%s\",\"tested\":true,\"training\":{\"aggregate\":{\"ratio\":%.6f}}}' "
		">> .git/benchgate/ledger.jsonl", seq, base, cand, ratio) > 0);
	free(out_of(f, cmd));
	free(cmd);
}

static void test_ledger(void **state)
{
	fx *f = *state;
	char *before, *after, id[3][16], revert[64];
	bg_test_result r;

	make_repo(f, NULL);
	f->real = commit(f, "echo 20 > knob");
	r = run(f, "exec '%s' gate", BG_TEST_BIN);
	expect(&r, 0, 1, "KEEP", "gate of the real win");
	bg_test_result_free(&r);
	f->noise = commit(f, "echo tuned > notes.txt");
	f->overfit = commit(f, "printf '#!/bin/sh\\ncase $1 in 0.02|0.04) x=10;; *) read x < knob;; esac\\n"
			       "exec " BG_INT " -s $1 -x $x\\n' > work.sh");
	append_keep(f, 2, f->real, f->noise, 0.9);
	append_keep(f, 3, f->noise, f->overfit, 0.92);
	before = user_state(f);
	r = run(f, "exec '%s' audit --seed 3", BG_TEST_BIN);
	expect(&r, 1, 1, "audit of 3 claimed wins from the benchgate ledger", "audit (ledger)");
	/* each claim's row: its short id, then the columns */
	snprintf(id[0], sizeof(id[0]), "%.12s  ", f->real);
	snprintf(id[1], sizeof(id[1]), "%.12s  ", f->noise);
	snprintf(id[2], sizeof(id[2]), "%.12s  ", f->overfit);
	line_says(r.out, id[0], "REPLICATED");
	line_says(r.out, id[1], "NOT_REPLICATED");
	line_says(r.out, id[2], "OVERFIT");
	snprintf(revert, sizeof(revert), "worth reverting: %.12s %.12s\n", f->noise, f->overfit);
	expect(&r, 1, 1, revert, "audit (ledger): the commits to revert");
	expect(&r, 1, 1, "change points in the ledger's series of 3 measured decisions: none", "change points");
	expect(&r, 1, 1, "2 of 3 claimed wins fail the audit", "audit (ledger): the summary");
	bg_test_result_free(&r);
	after = user_state(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* ---- 3. a results.tsv that exaggerates ------------------------------------- */

static void test_tsv_shrunk(void **state)
{
	fx *f = *state;
	char *tsv = NULL;
	bg_test_result r;
	cJSON *doc;

	make_repo(f, NULL);
	f->real = commit(f, "echo 20 > knob");
	/* claims 1.0 / 1.4 = 0.714; the truth is 120 / 140 = 0.857: half the gain */
	assert_true(asprintf(&tsv, "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
				   "%.7s\t1.400\t44.0\tkeep\tbaseline\n%.7s\t1.000\t44.0\tkeep\tknob 20\n",
			     f->base, f->real) > 0);
	write_at(f, "results.tsv", tsv);
	free(tsv);
	r = run(f, "exec '%s' audit --tsv ../results.tsv --json", BG_TEST_BIN);
	expect(&r, 0, 1, "\"SHRUNK\"", "audit --tsv (a shrunk win passes)");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	claim_is(doc, 0, f->real, "SHRUNK");
	bg_test_assert_close(num_at(claim(doc, 0), "shrinkage_pct"), 50.0, 1e-6, 0, "shrinkage");
	assert_non_null(strstr(str_at(claim(doc, 0), "detail"), "shrank by 50%"));
	assert_string_equal(str_at(doc, "source.metric"), "val_bpb");
	assert_int_equal(cJSON_GetArraySize(at(doc, "campaign.revert")), 0);
	assert_true(cJSON_IsFalse(at(doc, "campaign.first_to_last.measured")));
	cJSON_Delete(doc);
}

/* ---- 3b. karpathy's autoresearch: val_bpb read by metric.regex ------------ */

/* The end of karpathy's train.py output (its summary block, no METRIC
 * line): val_bpb is knob / 40, after real work in proportion. */
static const char train_sh[] =
	"#!/bin/sh\nread x < knob\n" BG_INT " -s 0.02 -x $x > /dev/null\n"
	"echo 'step 00953 (100.0%) | loss: 3.207417 | dt: 314ms | tok/sec: 1,668,590 | remaining: 0s'\n"
	"awk -v x=$x 'BEGIN { printf \"---\\nval_bpb:          %.6f\\ntraining_seconds: 300.1\\n"
	"peak_vram_mb:     45060.2\\nnum_steps:        953\\n\", x / 40 }'\n";

static void karpathy_repo(fx *f)
{
	assert_int_equal(mkdir(f->repo, 0755), 0);
	write_at(f, "repo/benchgate.json",
		 "{ \"metric\": { \"name\": \"val_bpb\", \"regex\": \"^val_bpb:[[:space:]]+([0-9.]+)$\" },\n"
		 "  \"min_effect\": 0.05, \"alpha\": 0.2,\n"
		 "  \"workloads\": [ { \"name\": \"train\", \"cmd\": \"sh train.sh\" } ],\n"
		 "  \"protected\": [ \"prepare.py\" ], \"budget\": { \"max_seconds\": 20, \"warmup\": 0 } }\n");
	write_at(f, "repo/train.sh", train_sh);
	write_at(f, "repo/prepare.py", "# the fixed evaluation\n");
	write_at(f, "repo/knob", "40\n");
	f->base = out_of(f, "git init -q && git config user.email a@b && git config user.name t && "
			    "git config commit.gpgsign false && git add -A && git commit -qm base && git rev-parse HEAD");
}

static void test_karpathy_regex_metric(void **state)
{
	fx *f = *state;
	char *tsv = NULL;
	bg_test_result r;
	cJSON *doc;

	karpathy_repo(f);
	f->real = commit(f, "echo 36 > knob");   /* val_bpb 1.0 -> 0.9 */
	r = run(f, "exec '%s' gate", BG_TEST_BIN);
	expect(&r, 0, 1, "KEEP", "gate on val_bpb read by metric.regex");
	expect(&r, 0, 1, "0.9000", "the ratio of the val_bpb values");
	bg_test_result_free(&r);
	/* karpathy's results.tsv, as the loop writes it; the claim is exact */
	assert_true(asprintf(&tsv, "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
				   "%.7s\t1.000000\t44.0\tkeep\tbaseline\n%.7s\t0.900000\t44.0\tkeep\tknob 36\n"
				   "abcdef1\t0.000000\t0.0\tcrash\tOOM\n",
			     f->base, f->real) > 0);
	write_at(f, "results.tsv", tsv);
	free(tsv);
	r = run(f, "exec '%s' audit --tsv ../results.tsv --json", BG_TEST_BIN);
	expect(&r, 0, 1, "\"REPLICATED\"", "audit --tsv of a karpathy campaign");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	claim_is(doc, 0, f->real, "REPLICATED");
	assert_string_equal(str_at(doc, "source.metric"), "val_bpb");
	cJSON_Delete(doc);
	/* a run whose output no longer holds the line: named, not a crash */
	free(commit(f, "sed -i 's/val_bpb: /val_loss:/' train.sh"));
	r = run(f, "exec '%s' gate", BG_TEST_BIN);
	expect(&r, 2, 2, "no line of the output matches metric.regex", "a candidate without val_bpb");
	bg_test_result_free(&r);
}

/* ---- 3c. secondary metrics are the gate's guards, not the audit's --------- */

/* A real gain that allocates more: the gate would reject it for its
 * allocations, but an audit re-measures the claimed gain, to its end,
 * rather than stopping when the guard trips at the fifth round. */
static void test_audit_ignores_secondary(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;

	make_repo(f, "\"secondary\": [ { \"name\": \"allocations\", \"max_regression\": 0 } ], ");
	write_at(f, "repo/work.sh", "#!/bin/sh\nread x < knob\na=1000; [ -f allocs ] && read a < allocs\n"
				   "echo \"METRIC allocations=$a\"\nexec " BG_INT " -s ${1:-0.05} -x $x\n");
	free(out_of(f, "git add -A && git commit -q --amend --no-edit"));
	free(f->base);
	f->base = out_of(f, "git rev-parse HEAD");
	f->real = commit(f, "echo 20 > knob && echo 1290 > allocs");
	r = run(f, "exec '%s' audit --range HEAD~1.. --json", BG_TEST_BIN);
	expect(&r, 0, 1, "\"REPLICATED\"", "audit of a gain that allocates more");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	claim_is(doc, 0, f->real, "REPLICATED");
	cJSON_Delete(doc);
}

/* ---- 4. a range: flags and a commit that no longer builds ------------------ */

static void test_range_flags_build(void **state)
{
	fx *f = *state;
	char *c1, *c2, *c3;
	bg_test_result r;
	cJSON *doc;
	const cJSON *k;

	make_repo(f, "\"build\": \"sh build.sh\", ");
	c1 = commit(f, "echo 20 > knob");
	c2 = commit(f, "echo 10 > knob && echo less > bench/input.txt && "
		       "printf '#!/bin/sh\\necho \"2 passed\"\\n' > test.sh");
	c3 = commit(f, "echo 'exit 7' > build.sh");
	r = run(f, "exec '%s' audit --range %.10s..HEAD --json -q", BG_TEST_BIN, f->base);
	expect(&r, 1, 1, "\"BUILD_FAILED\"", "audit --range");
	assert_string_equal(r.err, ""); /* --quiet */
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	claim_is(doc, 0, c1, "REPLICATED");
	assert_true(cJSON_IsNull(at(claim(doc, 0), "claimed_ratio")));
	claim_is(doc, 1, c2, "REPLICATED");
	k = claim(doc, 1);
	assert_int_equal(cJSON_GetArraySize(at(k, "flags")), 2);
	assert_string_equal(cJSON_GetArrayItem(at(k, "protected_changed"), 0)->valuestring, "bench/input.txt");
	assert_true(num_at(k, "tests.count") == 2 && num_at(k, "tests.parent_count") == 3);
	assert_true(cJSON_IsTrue(at(k, "revert")));
	claim_is(doc, 2, c3, "BUILD_FAILED");
	assert_non_null(strstr(str_at(claim(doc, 2), "detail"), "does not build with \"sh build.sh\""));
	assert_non_null(strstr(str_at(doc, "campaign.first_to_last.note"), "does not build"));
	assert_true(cJSON_IsNull(at(doc, "campaign.claimed_total_ratio")));
	assert_int_equal(cJSON_GetArraySize(at(doc, "campaign.revert")), 2);
	assert_true(num_at(doc, "summary.failed") == 2);
	cJSON_Delete(doc);
	free(c1);
	free(c2);
	free(c3);
}

/* The workload of a 1% gain under noise: bg-int's exact count, scaled by
 * 0.99 and uniform noise of +-30% (sd 17%). */
static const char noisy_work_sh[] =
	"#!/bin/sh\nread x < knob\nv=$(" BG_INT " -s $1 -x $x | sed -n 's/^METRIC work_units=//p')\n"
	"exec awk -v v=\"$v\" -v s=$$ 'BEGIN { srand(s); printf \"METRIC work_units=%d\\n\", "
	"v * (0.99 + 0.6 * (rand() - 0.5)) }'\n";

/* Decided and undecided: a real gain, a no-op (exact metric: decided, no
 * gain) and a 1% gain under 17% noise that a short audit cannot decide.
 * Only the no-op is worth reverting; the undecided one says how much
 * more time would likely decide it. */
static void test_undecided(void **state)
{
	fx *f = *state;
	char *c1, *c2, *c3, *line;
	bg_test_result r;
	cJSON *doc;

	make_repo(f, NULL);
	c1 = commit(f, "echo 20 > knob");
	c2 = commit(f, "echo tuned > notes.txt");
	write_at(f, "repo/work.sh", noisy_work_sh);
	c3 = commit(f, "true");
	r = run(f, "exec '%s' audit --range %.10s..HEAD --json -q -t 12 --seed 5", BG_TEST_BIN, f->base);
	expect(&r, 1, 1, "\"UNDECIDED\"", "audit of an undecided claim");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	claim_is(doc, 0, c1, "REPLICATED");
	claim_is(doc, 1, c2, "NOT_REPLICATED");
	assert_true(cJSON_IsTrue(at(claim(doc, 1), "revert")));
	claim_is(doc, 2, c3, "UNDECIDED");
	assert_true(cJSON_IsFalse(at(claim(doc, 2), "revert")));
	assert_true(num_at(claim(doc, 2), "more_seconds") > 0);
	assert_non_null(strstr(str_at(claim(doc, 2), "detail"), "would likely decide it"));
	assert_int_equal(cJSON_GetArraySize(at(doc, "campaign.revert")), 1);
	assert_string_equal(cJSON_GetArrayItem(at(doc, "campaign.revert"), 0)->valuestring, c2);
	cJSON_Delete(doc);
	r = run(f, "exec '%s' audit --range %.10s..HEAD -q -t 12 --seed 5", BG_TEST_BIN, f->base);
	line = line_with(r.out, "worth reverting:");
	if (strncmp(line, "worth reverting: ", 17) != 0 || strncmp(line + 17, c2, 12) != 0 || strlen(line) != 17 + 12)
		fail_msg("\"%s\" should name %.12s alone", line, c2);
	free(line);
	bg_test_result_free(&r);
	free(c1);
	free(c2);
	free(c3);
}

/* Claims that do not form one chain: the same commit kept twice against
 * the same parent (a one-off gate repeated). The totals are over the
 * chain back from the last claim, and the audit says which claims. */
static void test_not_a_chain(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;
	const cJSON *chain;

	make_repo(f, NULL);
	f->real = commit(f, "echo 20 > knob");
	for (int i = 0; i < 2; i++) {
		r = run(f, "exec '%s' gate -q --candidate %.12s --baseline %.12s", BG_TEST_BIN, f->real, f->base);
		expect(&r, 0, 1, "KEEP", "a gate of the same commit");
		bg_test_result_free(&r);
	}
	r = run(f, "exec '%s' audit --json -q -t 20 --seed 3", BG_TEST_BIN);
	expect(&r, 0, 1, "\"REPLICATED\"", "audit of a repeated claim");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	chain = at(doc, "campaign.chain");
	assert_int_equal(cJSON_GetArraySize(chain), 1);
	assert_true(cJSON_GetArrayItem(chain, 0)->valuedouble == 2);
	assert_true(cJSON_IsFalse(at(doc, "campaign.one_chain")));
	cJSON_Delete(doc);
	r = run(f, "exec '%s' audit -q -t 20 --seed 3", BG_TEST_BIN);
	expect(&r, 0, 1, "the claims do not form one chain (overlapping, or out of order): these totals are over claims 2 only",
	       "audit says which claims the totals are over");
	bg_test_result_free(&r);
}

/* ---- 5. a commit that no longer exists -------------------------------------- */

static void test_missing_commit(void **state)
{
	fx *f = *state;
	char *log = NULL;
	bg_test_result r;

	make_repo(f, NULL);
	f->real = commit(f, "echo 20 > knob");
	assert_true(asprintf(&log, "{\"commit\":\"%.7s\",\"metric\":140,\"status\":\"keep\"}\n"
				   "{\"commit\":\"%.7s\",\"metric\":120,\"status\":\"keep\"}\n"
				   "{\"commit\":\"0badc0d\",\"metric\":110,\"status\":\"keep\"}\n",
			     f->base, f->real) > 0);
	write_at(f, "log.jsonl", log);
	free(log);
	r = run(f, "exec '%s' audit --pi-log ../log.jsonl", BG_TEST_BIN);
	expect(&r, 1, 2, "log.jsonl:3: the commit 0badc0d no longer exists", "audit with a missing commit");
	line_says(r.out, "0badc0d  ", "MISSING");
	line_says(r.out, "claimed win", "2 claimed wins");
	expect(&r, 1, 1, "worth reverting: nothing", "a missing commit is not to revert");
	expect(&r, 1, 1, "1 of 2 claimed wins fail", "the missing commit fails the audit");
	bg_test_result_free(&r);
}

/* ---- 6. bad input --------------------------------------------------------------- */

static void bad(const fx *f, const char *args, const char *message)
{
	bg_test_result r = run(f, "exec '%s' audit %s", BG_TEST_BIN, args);

	expect(&r, 2, 2, message, args);
	bg_test_result_free(&r);
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	char *gone = NULL, *before, *after, args[160];
	bg_test_result r;

	make_repo(f, NULL);
	f->real = commit(f, "echo 20 > knob");
	before = user_state(f);
	write_at(f, "bad.jsonl", "commit\tval_bpb\tstatus\nabc\t1.0\tkeep\n");
	write_at(f, "cols.tsv", "commit\tval_bpb\tdescription\nabc\t1.0\tx\n");
	assert_true(asprintf(&gone, "{\"commit\":\"%.7s\",\"metric\":140,\"status\":\"keep\"}\n"
				    "{\"commit\":\"0badc0d\",\"metric\":120,\"status\":\"keep\"}\n", f->real) > 0);
	write_at(f, "gone.jsonl", gone);
	free(gone);
	bad(f, "--pi-log ../bad.jsonl", "../bad.jsonl is not JSON lines");
	bad(f, "--pi-log ../gone.jsonl",
	    "none of the 1 claimed commits exists in this repository (the first: 0badc0d at ../gone.jsonl:2)");
	bad(f, "--tsv ../cols.tsv", "../cols.tsv: the header row has no \"status\" column");
	snprintf(args, sizeof(args), "--range %s..%.9s", f->real, f->real);
	bad(f, args, "is empty");
	bad(f, "", "no benchgate ledger at");
	bad(f, "--pi-log ../nope.jsonl", "no pi-autoresearch log at ../nope.jsonl");
	bad(f, "--range HEAD --config ../none.json", "../none.json");
	bad(f, "--pi-log a --tsv b", "exclude each other");
	bad(f, "--tsv a --direction up", "--direction: expected lower or higher");
	bad(f, "--metric-column x", "--metric-column goes with --tsv");
	bad(f, "--max-time abc", "--max-time");
	bad(f, "--bogus", "unknown option \"--bogus\"");
	r = run(f, "exec '%s' audit --help", BG_TEST_BIN);
	expect(&r, 0, 1, "OVERFIT", "audit --help");
	bg_test_result_free(&r);
	after = user_state(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pi_log, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ledger, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tsv_shrunk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_karpathy_regex_metric, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_ignores_secondary, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_range_flags_build, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_undecided, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_chain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_commit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
