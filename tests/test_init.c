/* test_init: end-to-end tests of `benchgate init` on throwaway git
 * repositories laid out as a pi-autoresearch session writes them (the
 * current `.auto/` files, the older flat `autoresearch.*` ones), as plain
 * projects (a Makefile, Cargo.toml, package.json), and as mistakes (no
 * repository, a session without its measure script, a config already
 * there). Each runs the real binary (BG_TEST_BIN) and asserts what it
 * printed and what it left on disk; the pi flow ends with the checks
 * script pi would run, which must pass a faster change and fail a slower
 * one. */
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

typedef struct {
	char root[64];   /* the mkdtemp directory */
	char repo[96];   /* root/repo */
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (bg_test_tmpdir(f->root, sizeof(f->root), "bg_test_init") < 0) {
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
	free(f);
	return 0;
}

static void sh_ok(const fx *f, const char *cmd)
{
	free(bg_test_shell_out(f->repo, cmd, LIMIT_S));
}

/* The repository as `git init` leaves it, with an identity to commit. */
static void new_repo(const fx *f)
{
	assert_int_equal(mkdir(f->repo, 0755), 0);
	sh_ok(f, "git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false");
}

static char *path_in(const fx *f, const char *rel)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", f->repo, rel) > 0);
	return p;
}

static void write_file(const fx *f, const char *rel, const char *text, mode_t mode)
{
	char *p = path_in(f, rel), *mk = NULL;
	FILE *out;

	assert_true(asprintf(&mk, "mkdir -p \"$(dirname '%s')\"", p) > 0);
	sh_ok(f, mk);
	assert_non_null(out = fopen(p, "w"));
	assert_true(fputs(text, out) >= 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(p, mode), 0);
	free(mk);
	free(p);
}

static char *read_file(const fx *f, const char *rel)
{
	char *p = path_in(f, rel), *text = bg_test_slurp(p);

	free(p);
	return text;
}

static int file_exists(const fx *f, const char *rel)
{
	char *p = path_in(f, rel);
	struct stat st;
	int yes = stat(p, &st) == 0;

	free(p);
	return yes;
}

static mode_t file_mode(const fx *f, const char *rel)
{
	char *p = path_in(f, rel);
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

static bg_test_result init(const fx *f, const char *args)
{
	return bg_test_shellf(f->repo, LIMIT_S, "exec '%s' init %s", BG_TEST_BIN, args);
}

static void expect_lacks(const char *text, const char *needle, const char *what)
{
	if (text && strstr(text, needle) != NULL)
		fail_msg("%s: \"%s\" should not be in:\n%s", what, needle, text);
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* init ARGS must exit `status`; its stdout (caller frees). */
static char *init_expect(const fx *f, const char *args, int status)
{
	bg_test_result r = init(f, args);
	char *out;

	bg_test_expect_status(&r, status, "benchgate init");
	out = strdup(status == 0 ? r.out : r.err);
	bg_test_result_free(&r);
	assert_non_null(out);
	return out;
}

/* A pi-autoresearch session in the current layout, as pi writes it:
 * the measure script prints a METRIC line (the work units of bg-int,
 * so ratios are exact), the log starts with a config line, the checks
 * script runs the tests and ends with `exit 0`. */
static void pi_session(const fx *f, const char *direction)
{
	char *log = NULL;

	new_repo(f);
	write_file(f, "knob", "40\n", 0644);
	write_file(f, "bench/input.txt", "data\n", 0644);
	write_file(f, "test.sh", "#!/bin/sh\necho \"3 passed\"\n", 0644);
	write_file(f, ".auto/measure.sh",
		   "#!/bin/bash\nset -euo pipefail\nread x < knob\ncat ./bench/input.txt > /dev/null\n"
		   "exec " BG_INT " -s 0.02 -x \"$x\"\n", 0755);
	write_file(f, ".auto/checks.sh", "#!/bin/bash\nset -euo pipefail\nsh test.sh\nexit 0\n", 0700);
	assert_true(asprintf(&log,
			     "{\"type\":\"config\",\"name\":\"old\",\"metricName\":\"seconds\",\"bestDirection\":\"lower\"}\n"
			     "{\"run\":1,\"commit\":\"abc1234\",\"metric\":1.5,\"status\":\"keep\"}\n"
			     "{\"type\":\"config\",\"name\":\"speed\",\"metricName\":\"work_units\",\"metricUnit\":\"u\","
			     "\"bestDirection\":\"%s\"}\n",
			     direction) > 0);
	write_file(f, ".auto/log.jsonl", log, 0644);
	free(log);
	sh_ok(f, "git add -A && git commit -qm base");
}

/* The pi flow after init: commit what it wrote, then the checks script
 * pi runs before a keep passes a faster change and fails a slower one. */
static void test_pi_current_layout(void **state)
{
	fx *f = *state;
	char *out, *cfg, *checks;
	bg_test_result r;

	pi_session(f, "lower");
	out = init_expect(f, "", 0);
	bg_test_expect_has(out, "for the pi-autoresearch loop", "init's summary");
	bg_test_expect_has(out, "metric work_units (u), lower is better: the last config line of .auto/log.jsonl",
		   "the metric, from the last config line");
	bg_test_expect_has(out, "knob, which is not protected", "a tracked path the measure script reads");
	bg_test_expect_has(out, "300 s", "pi's checks timeout");
	bg_test_expect_has(out, "git add benchgate.json .auto/checks.sh && git commit", "the next commands");
	cfg = read_file(f, "benchgate.json");
	bg_test_expect_has(cfg, "\"name\": \"work_units\", \"direction\": \"lower\"", "benchgate.json's metric");
	bg_test_expect_has(cfg, "{ \"name\": \"measure\", \"cmd\": \"bash .auto/measure.sh\" }", "benchgate.json's workload");
	bg_test_expect_has(cfg, "\"protected\": [ \"bench/\", \".auto/measure.sh\", \".auto/checks.sh\" ]",
		   "benchgate.json's protected paths (bench/input.txt lies in bench/)");
	expect_lacks(cfg, "\"seconds\"", "the earlier config line's metric");
	expect_lacks(cfg, "\"knob\"", "the knob the loop tunes");
	checks = read_file(f, ".auto/checks.sh");
	bg_test_expect_has(checks, "sh test.sh\n\n# benchgate: keep the change only when it beats HEAD", "the user's checks kept");
	bg_test_expect_has(checks, "' gate --worktree --unchanged-ok || exit 1\nexit 0\n", "the gate, before the final exit");
	assert_int_equal(file_mode(f, ".auto/checks.sh"), 0700);
	bg_test_expect_has(out, "  sh test.sh\n", "init prints the checks script it wrote");
	bg_test_expect_has(out, " gate --worktree --unchanged-ok || exit 1\n  exit 0\n", "init prints the checks script it wrote");

	sh_ok(f, "git add benchgate.json .auto/checks.sh && git commit -qm 'benchgate: gate'");
	sh_ok(f, "echo 20 > knob");   /* fewer units: better */
	r = bg_test_shell(f->repo, "bash .auto/checks.sh", LIMIT_S);
	bg_test_expect_status(&r, 0, "checks.sh on a faster change");
	bg_test_expect_has(r.out, "3 passed", "the user's own checks ran");
	bg_test_expect_has(r.out, "KEEP", "the gate's verdict");
	bg_test_result_free(&r);
	sh_ok(f, "echo 60 > knob");
	r = bg_test_shell(f->repo, "bash .auto/checks.sh", LIMIT_S);
	bg_test_expect_status(&r, 1, "checks.sh on a slower change");
	bg_test_expect_has(r.out, "REJECT(", "the gate's verdict");
	bg_test_result_free(&r);
	free(checks);
	free(cfg);
	free(out);
}

/* ---- pi-autoresearch's loop, replayed -------------------------------- */

/* What pi's log_experiment does (extensions/pi-autoresearch/index.ts): on
 * keep, `git add -A && git commit` with the Result trailer, then the run
 * line appended to the log; otherwise the line, then the revert that
 * spares its session files. The run line carries the fields pi writes. */
static void pi_log(const fx *f, int run, const char *status, int metric, const char *desc)
{
	char *cmd = NULL;

	if (strcmp(status, "keep") == 0) {
		assert_true(asprintf(&cmd, "git add -A && { git diff --cached --quiet || git commit -q -m '%s' -m "
					   "'Result: {\"status\":\"keep\",\"work_units\":%d}'; }",
				     desc, metric) > 0);
		sh_ok(f, cmd);
		free(cmd);
	}
	assert_true(asprintf(&cmd,
			     "printf '%%s\\n' \"{\\\"run\\\":%d,\\\"commit\\\":\\\"$(git rev-parse --short=7 HEAD)\\\","
			     "\\\"metric\\\":%d,\\\"metrics\\\":{},\\\"status\\\":\\\"%s\\\",\\\"description\\\":\\\"%s\\\","
			     "\\\"timestamp\\\":17648700%02d000,\\\"segment\\\":0,\\\"confidence\\\":null,"
			     "\\\"asi\\\":{\\\"hypothesis\\\":\\\"%s\\\"}}\" >> .auto/log.jsonl && "
			     "printf '%%s\\n' '{\"type\":\"hook\",\"stage\":\"after\",\"exit_code\":0,\"duration_ms\":3,"
			     "\"stdout_bytes\":0,\"timed_out\":false}' >> .auto/log.jsonl",
			     run, metric, status, desc, run, desc) > 0);
	sh_ok(f, cmd);
	free(cmd);
	if (strcmp(status, "keep") != 0)
		sh_ok(f, "git checkout -- . ':(exclude,glob)**/.auto' ':(exclude,glob)**/.auto/**' "
			 "':(exclude,glob)**/autoresearch.*' ':(exclude,glob)**/autoresearch.*/**' && "
			 "git clean -fdq -e '.auto' -e '**/.auto/**' -e 'autoresearch.*' -e '**/autoresearch.*/**'");
}

/* pi's run_experiment: the measure script (pi reads its stdout and stderr
 * together), then the checks; the checks' exit. */
static int pi_run(const fx *f, const char *knob)
{
	char *cmd = NULL;
	bg_test_result r;
	int status;

	assert_true(asprintf(&cmd, "echo %s > knob && bash .auto/measure.sh 2>&1 | grep -c '^METRIC work_units='",
			     knob) > 0);
	free(bg_test_shell_out(f->repo, cmd, LIMIT_S));   /* exits 0 only with the METRIC line */
	free(cmd);
	r = bg_test_shell(f->repo, "bash .auto/checks.sh", LIMIT_S);
	status = r.status;
	if (status != 0 && status != 1)
		bg_test_dump(&r, "checks.sh");
	else
		bg_test_result_free(&r);
	return status;
}

/* init on a pi session, then pi's loop: the baseline run, a gain kept, a
 * gain kept by the gate that pi discards, a smaller real gain over HEAD
 * (kept: the discarded one is no baseline), a slower change (refused).
 * Each kept commit takes its verdict; the log is audited as pi wrote it. */
static void test_pi_replay(void **state)
{
	fx *f = *state;
	char *out, *h1, *h3, *note;

	pi_session(f, "lower");
	write_file(f, ".auto/measure.sh",
		   "#!/bin/bash\nset -euo pipefail\nread x < knob\nhead -c 2200000 /dev/zero | tr '\\0' '\\n'\n"
		   "exec " BG_INT " -s 0.02 -x \"$x\" >&2\n", 0755);
	sh_ok(f, "git commit -qam 'measure on stderr'");
	free(init_expect(f, "", 0));
	sh_ok(f, "git add benchgate.json .auto/checks.sh && git commit -qm 'benchgate: gate the loop'");

	assert_int_equal(pi_run(f, "40"), 0);          /* the baseline: nothing to gate */
	pi_log(f, 1, "keep", 140, "baseline");
	assert_int_equal(pi_run(f, "20"), 0);
	pi_log(f, 2, "keep", 120, "knob 20");
	h1 = bg_test_shell_out(f->repo, "git rev-parse HEAD", LIMIT_S);
	assert_int_equal(pi_run(f, "10"), 0);          /* KEEP, but the agent discards it */
	pi_log(f, 3, "discard", 110, "knob 10");
	assert_int_equal(pi_run(f, "15"), 0);          /* slower than 10, faster than HEAD */
	pi_log(f, 4, "keep", 115, "knob 15");
	h3 = bg_test_shell_out(f->repo, "git rev-parse HEAD", LIMIT_S);
	assert_int_equal(pi_run(f, "30"), 1);          /* slower: the checks refuse it */
	pi_log(f, 5, "checks_failed", 130, "knob 30");

	/* the kept commits carry their verdicts; the discarded change none */
	out = bg_test_shell_out(f->repo, "exec '" BG_TEST_BIN "' log", LIMIT_S);
	bg_test_expect_has(out, "KEEP (adopted)", "benchgate log");
	note = bg_test_shell_out(f->repo, "git notes --ref=benchgate show HEAD", LIMIT_S);
	bg_test_expect_has(note, "benchgate: KEEP against", "the note on pi's commit");
	bg_test_expect_has(note, "gated as the working tree", "the note on pi's commit");
	free(note);
	note = bg_test_shell_out(f->repo, "git notes --ref=benchgate show HEAD~1", LIMIT_S);
	bg_test_expect_has(note, "benchgate: KEEP against", "the note on pi's first commit");
	free(note);
	free(out);

	/* pi's own log, audited: two claims, the kept commits */
	out = bg_test_shell_out(f->repo, "exec '" BG_TEST_BIN "' audit --pi-log .auto/log.jsonl --json -t 20", LIMIT_S);
	bg_test_expect_has(out, h1, "the audit's first claim");
	bg_test_expect_has(out, h3, "the audit's second claim");
	assert_int_equal(count_of(out, "\"status\":\t\"REPLICATED\""), 2);   /* work units are exact */
	free(out);
	/* benchgate's ledger, audited: the same two commits, not the discarded snapshot */
	out = bg_test_shell_out(f->repo, "exec '" BG_TEST_BIN "' audit --json -t 20", LIMIT_S);
	bg_test_expect_has(out, h1, "the ledger audit's claims");
	bg_test_expect_has(out, h3, "the ledger audit's claims");
	bg_test_expect_has(out, "no commit took", "the discarded KEEP is no claim");
	free(out);
	free(h1);
	free(h3);
}

/* The cheat pi's loop leaves open: change the code after the checks pass,
 * before log_experiment commits. The commit is not adopted: no verdict,
 * no note, no claim; the next gate says it was never measured. */
static void test_pi_change_after_checks(void **state)
{
	fx *f = *state;
	char *out, *notes;
	bg_test_result r;

	pi_session(f, "lower");
	free(init_expect(f, "", 0));
	sh_ok(f, "git add benchgate.json .auto/checks.sh && git commit -qm 'benchgate: gate the loop'");
	assert_int_equal(pi_run(f, "20"), 0);
	sh_ok(f, "echo 60 > knob");                  /* slower, after the gate */
	pi_log(f, 1, "keep", 120, "knob 20");
	sh_ok(f, "echo 50 > knob");
	r = bg_test_shell(f->repo, "bash .auto/checks.sh", LIMIT_S);
	bg_test_expect_has(r.err, "is not what was gated: it differs in knob. Those changes were never measured",
		   "the next gate's warning");
	bg_test_result_free(&r);
	out = bg_test_shell_out(f->repo, "exec '" BG_TEST_BIN "' log", LIMIT_S);
	bg_test_expect_has(out, "NOT GATED", "benchgate log");
	expect_lacks(out, "adopted", "benchgate log");
	free(out);
	notes = bg_test_shell_out(f->repo, "git notes --ref=benchgate list HEAD 2>/dev/null || true", LIMIT_S);
	assert_string_equal(notes, "");
	free(notes);
	r = bg_test_shell(f->repo, "exec '" BG_TEST_BIN "' audit -t 5", LIMIT_S);
	bg_test_expect_status(&r, 2, "an audit with no adopted KEEP");
	bg_test_expect_has(r.err, "no commit took them", "the unadopted snapshot");
	bg_test_result_free(&r);
}

static void test_pi_higher_is_better(void **state)
{
	fx *f = *state;
	char *cfg;

	pi_session(f, "higher");
	free(init_expect(f, "", 0));
	cfg = read_file(f, "benchgate.json");
	bg_test_expect_has(cfg, "\"name\": \"work_units\", \"direction\": \"higher\"", "bestDirection higher");
	free(cfg);
}

/* The older flat files, no log yet, no checks script: the metric from the
 * script's METRIC line, a checks script made, executable. */
static void test_pi_legacy_layout(void **state)
{
	fx *f = *state;
	char *out, *cfg, *checks;

	new_repo(f);
	write_file(f, "autoresearch.sh", "#!/bin/bash\nt=$(date +%s%N)\n./run\necho \"METRIC total_ms=$t\"\n", 0755);
	write_file(f, "autoresearch.md", "# the session\n", 0644);
	sh_ok(f, "git add -A && git commit -qm base");
	out = init_expect(f, "", 0);
	bg_test_expect_has(out, "a pi-autoresearch session (autoresearch.* (older layout))", "the older layout");
	bg_test_expect_has(out, "metric total_ms: the first METRIC line of autoresearch.sh", "the metric, from the script");
	bg_test_expect_has(out, "check metric.direction", "a direction to check");
	cfg = read_file(f, "benchgate.json");
	bg_test_expect_has(cfg, "\"cmd\": \"bash autoresearch.sh\"", "the legacy measure script");
	bg_test_expect_has(cfg, "\"protected\": [ \"autoresearch.sh\", \"autoresearch.checks.sh\" ]", "the scripts protected");
	checks = read_file(f, "autoresearch.checks.sh");
	assert_non_null(checks);
	bg_test_expect_has(checks, "#!/bin/bash\nset -euo pipefail\n\n# benchgate:", "a new checks script");
	assert_int_equal(strncmp(checks, "#!/bin/bash\n", 12), 0);
	assert_int_equal(file_mode(f, "autoresearch.checks.sh"), 0755);
	bg_test_expect_has(out, "autoresearch.checks.sh (made)", "init says it made the script");
	assert_false(file_exists(f, ".auto"));
	free(checks);
	free(cfg);
	free(out);
}

/* Run twice: the config is not overwritten without --force, the gate is
 * not added twice, and --dry-run writes nothing. */
static void test_rerun_and_force(void **state)
{
	fx *f = *state;
	char *err, *cfg1, *checks1, *cfg2, *checks2, *out;

	pi_session(f, "lower");
	free(init_expect(f, "", 0));
	cfg1 = read_file(f, "benchgate.json");
	checks1 = read_file(f, ".auto/checks.sh");
	err = init_expect(f, "", 2);
	bg_test_expect_has(err, "benchgate.json exists; --force to overwrite it (nothing was written)", "a second init");
	write_file(f, "benchgate.json", "{ \"mine\": 1 }\n", 0644);
	free(err);
	err = init_expect(f, "--dry-run", 2);
	free(err);
	cfg2 = read_file(f, "benchgate.json");
	assert_string_equal(cfg2, "{ \"mine\": 1 }\n");
	free(cfg2);
	out = init_expect(f, "--force --dry-run", 0);
	bg_test_expect_has(out, "would write", "--dry-run says what it would do");
	bg_test_expect_has(out, ".auto/checks.sh runs benchgate gate already: left as it is", "the gate is there");
	cfg2 = read_file(f, "benchgate.json");
	assert_string_equal(cfg2, "{ \"mine\": 1 }\n");
	free(cfg2);
	free(out);
	free(init_expect(f, "--force", 0));
	cfg2 = read_file(f, "benchgate.json");
	checks2 = read_file(f, ".auto/checks.sh");
	assert_string_equal(cfg2, cfg1);
	assert_string_equal(checks2, checks1);
	free(cfg1);
	free(cfg2);
	free(checks1);
	free(checks2);
}

static void test_dry_run_writes_nothing(void **state)
{
	fx *f = *state;
	char *out, *checks;

	pi_session(f, "lower");
	out = init_expect(f, "-n", 0);
	bg_test_expect_has(out, "would write", "--dry-run");
	bg_test_expect_has(out, "\"cmd\": \"bash .auto/measure.sh\"", "--dry-run prints the config");
	assert_false(file_exists(f, "benchgate.json"));
	checks = read_file(f, ".auto/checks.sh");
	assert_string_equal(checks, "#!/bin/bash\nset -euo pipefail\nsh test.sh\nexit 0\n");
	free(checks);
	free(out);
}

static void test_pi_without_measure_script(void **state)
{
	fx *f = *state;
	char *err;

	new_repo(f);
	write_file(f, ".auto/prompt.md", "# goal\n", 0644);
	write_file(f, ".auto/checks.sh", "#!/bin/bash\nmake test\n", 0755);
	err = init_expect(f, "", 2);
	bg_test_expect_has(err, "without its measure script .auto/measure.sh", "the missing measure script named");
	assert_false(file_exists(f, "benchgate.json"));
	free(err);
	free(read_file(f, ".auto/checks.sh"));
}

/* An uncommitted session in an empty repository, with .auto/ ignored:
 * the measure script must be committed, by force. */
static void test_pi_uncommitted_ignored(void **state)
{
	fx *f = *state;
	char *out;

	new_repo(f);
	write_file(f, ".gitignore", ".auto/\n", 0644);
	write_file(f, ".auto/measure.sh", "echo METRIC n=1\n", 0644);
	write_file(f, ".auto/config.json", "{ \"workingDir\": \"sub\" }\n", 0644);
	out = init_expect(f, "", 0);
	bg_test_expect_has(out, ".auto/measure.sh is ignored by git, so no commit holds it", "an ignored measure script");
	bg_test_expect_has(out, "git add -f benchgate.json .auto/checks.sh .auto/measure.sh && git commit", "force-adding it");
	bg_test_expect_has(out, "sets workingDir \"sub\"", "pi's workingDir");
	bg_test_expect_has(out, "\"protected\": [ \".auto/measure.sh\", \".auto/config.json\", \".auto/checks.sh\" ]",
		   "pi's config protected");
	free(out);
}

/* No pi session: build and tests from the Makefile, the bench target as
 * the workload, committed tests/ and bench/ protected. */
static void test_makefile_project(void **state)
{
	fx *f = *state;
	char *out, *cfg;

	new_repo(f);
	write_file(f, "Makefile", "CC := cc\nall:\n\tcc -o app app.c\ncheck: all\n\t./app --test\nbench :\n\t./app\n", 0644);
	write_file(f, "tests/t1.txt", "x\n", 0644);
	write_file(f, "bench/in.txt", "x\n", 0644);
	sh_ok(f, "git add -A && git commit -qm base");
	out = init_expect(f, "", 0);
	cfg = read_file(f, "benchgate.json");
	bg_test_expect_has(cfg, "\"build\": \"make\",\n  \"test\": { \"cmd\": \"make check\" },", "build and test");
	bg_test_expect_has(cfg, "{ \"name\": \"bench\", \"cmd\": \"make -s bench\" }", "the bench target");
	bg_test_expect_has(cfg, "\"protected\": [ \"bench/\", \"tests/\" ]", "bench/ and tests/");
	bg_test_expect_has(cfg, "\"name\": \"wall\"", "wall time");
	bg_test_expect_has(out, "times it whole", "the bench target's to-do");
	bg_test_expect_has(out, "$EDITOR benchgate.json", "edit it next");
	expect_lacks(out, "checks.sh", "no pi, no checks script");
	assert_false(file_exists(f, ".auto"));
	free(cfg);
	free(out);
}

static void test_other_projects(void **state)
{
	fx *f = *state;
	char *cfg, *out;

	new_repo(f);
	write_file(f, "Cargo.toml", "[package]\nname = \"x\"\n", 0644);
	free(init_expect(f, "", 0));
	cfg = read_file(f, "benchgate.json");
	bg_test_expect_has(cfg, "\"build\": \"cargo build --release\"", "cargo build");
	bg_test_expect_has(cfg, "\"test\": { \"cmd\": \"cargo test --release\", \"count\": \"passed\" }", "cargo test, counted");
	bg_test_expect_has(cfg, "write the command to measure in workloads[0].cmd' >&2; exit 2", "the placeholder workload");
	free(cfg);
	/* npm init's placeholder test is no test */
	sh_ok(f, "rm Cargo.toml benchgate.json");
	write_file(f, "package.json",
		   "{ \"scripts\": { \"build\": \"tsc\", \"test\": \"echo \\\"Error: no test specified\\\" && exit 1\" } }\n",
		   0644);
	out = init_expect(f, "", 0);
	cfg = read_file(f, "benchgate.json");
	bg_test_expect_has(cfg, "\"build\": \"npm run build\"", "npm build");
	expect_lacks(cfg, "\"test\"", "npm's placeholder test");
	free(cfg);
	free(out);
	/* nothing known */
	sh_ok(f, "rm package.json benchgate.json");
	out = init_expect(f, "", 0);
	bg_test_expect_has(out, "no build system found", "nothing found");
	free(out);
}

static void test_not_a_repo(void **state)
{
	fx *f = *state;
	char *err;

	assert_int_equal(mkdir(f->repo, 0755), 0);
	err = init_expect(f, "", 2);
	bg_test_expect_has(err, "benchgate: init: not a git repository", "outside a repository");
	assert_false(file_exists(f, "benchgate.json"));
	free(err);
	err = init_expect(f, "extra", 2);
	bg_test_expect_has(err, "unexpected argument \"extra\"", "a stray argument");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pi_current_layout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pi_replay, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pi_change_after_checks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pi_higher_is_better, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pi_legacy_layout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rerun_and_force, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pi_without_measure_script, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pi_uncommitted_ignored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_makefile_project, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_other_projects, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_repo, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
