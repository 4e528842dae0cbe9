/* test_calibrate: `benchgate calibrate` end to end, and the calibration file
 * as gate will read it (lp_calibration.h).
 *
 * The binary (BG_TEST_BIN) runs through /bin/sh -c 'cd DIR && ENV exec
 * benchgate calibrate ...' with a short --time on one or two small
 * commands (the calibration workloads at -s 0.1), in a throwaway git
 * repository (the file goes to .git/benchgate/) or a plain directory (it
 * goes to $XDG_CACHE_HOME/benchgate/), all under one mkdtemp directory
 * removed afterwards. lp_calibration_advise() is tested in-process on
 * crafted calibration files: this machine's and another's, fresh and old,
 * missing, and one the real binary wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "bg_error.h"
#include "bg_fixture.h"
#include "lp_calibration.h"
#include "smp_probe.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define LIMIT_S 120.0
#define CMD1 BG_TEST_CORPORA "/bg-int -s 0.1"
#define CMD2 BG_TEST_CORPORA "/bg-sys -s 0.1"
#define FAST "--time 2 --sims 200"

typedef struct {
	char root[64];    /* the mkdtemp directory */
	char repo[96];    /* root/repo: a git repository */
	char plain[96];   /* root/plain: not in any repository */
	char cache[96];   /* root/cache: XDG_CACHE_HOME of every run */
	char *old_xdg;    /* the test process's XDG_CACHE_HOME, restored after */
} fx;

/* ---- fixture ---------------------------------------------------------- */

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	const char *xdg = getenv("XDG_CACHE_HOME");

	if (f == NULL)
		return -1;
	gsl_set_error_handler_off();
	if (bg_test_tmpdir(f->root, sizeof(f->root), "bg-calibrate") < 0)
		return -1;
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	snprintf(f->plain, sizeof(f->plain), "%s/plain", f->root);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->root);
	if (mkdir(f->repo, 0755) < 0 || mkdir(f->plain, 0755) < 0)
		return -1;
	f->old_xdg = xdg ? strdup(xdg) : NULL;
	setenv("XDG_CACHE_HOME", f->cache, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = bg_test_rmtree(f->root);

	if (f->old_xdg)
		setenv("XDG_CACHE_HOME", f->old_xdg, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(f->old_xdg);
	free(f);
	return rc;
}

/* `cd DIR && <printf-formatted command>` with /bin/sh. */
#define shellf(dir, ...) bg_test_shellf((dir), LIMIT_S, __VA_ARGS__)

/* benchgate calibrate ARGS in dir, XDG_CACHE_HOME at the fixture's cache. */
static bg_test_result calibrate(const fx *f, const char *dir, const char *args)
{
	return shellf(dir, "XDG_CACHE_HOME='%s' exec '%s' calibrate %s", f->cache, BG_TEST_BIN, args);
}

static void expect_in(bg_test_result *r, int out, const char *needle, const char *what)
{
	if (strstr(out ? r->out : r->err, needle) == NULL) {
		bg_test_dump(r, what);
		fail_msg("%s: %s does not contain \"%s\"", what, out ? "stdout" : "stderr", needle);
	}
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Neither the repository's calibration file nor the cache was written. */
static void expect_nothing_written(const fx *f)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/.git/benchgate/calibration.json", f->repo);
	assert_false(exists(path));
	assert_false(exists(f->cache));
}

static void git_init(const fx *f)
{
	bg_test_result r = shellf(f->repo, "git init -q && git config user.email a@b && git config user.name t");

	bg_test_expect_status(&r, 0, "git init");
	bg_test_result_free(&r);
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		fail_msg("no \"%s\" in the JSON", key);
	return v;
}

/* ---- the command line ------------------------------------------------- */

static void help_names_the_options(void **state)
{
	fx *f = *state;
	bg_test_result r = calibrate(f, f->plain, "--help");

	bg_test_expect_status(&r, 0, "--help");
	expect_in(&r, 1, "--time SEC", "--help");
	expect_in(&r, 1, "--config FILE", "--help");
	expect_in(&r, 1, "calibration.json", "--help");
	expect_in(&r, 1, "$XDG_CACHE_HOME", "--help");
	assert_string_equal(r.err, "");
	bg_test_result_free(&r);
}

static void bad_input_exits_2_with_a_message(void **state)
{
	fx *f = *state;
	static const struct { const char *args, *needle; } cases[] = {
		{ "--time abc", "--time: expected a number" },
		{ "--time 0.5", "--time: expected a number in [1," },
		{ "--bogus", "unknown option \"--bogus\"" },
		{ "--time", "option --time needs a value" },
		{ "--sims 5 true", "--sims: expected a whole number in [100," },
		{ "--metric 'no way' true", "--metric: \"no way\" is neither" },
		{ "--direction up true", "--direction: expected lower or higher" },
		{ "--config nowhere.json", "nowhere.json" },
		{ "--config x.json true", "--config and commands exclude each other" },
		{ "''", "command 1 is empty" },
		{ "--time 1 --no-save false", "workload \"false\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bg_test_result r = calibrate(f, f->plain, cases[i].args);
		bg_test_expect_status(&r, 2, cases[i].args);
		expect_in(&r, 0, cases[i].needle, cases[i].args);
		expect_in(&r, 0, "benchgate: calibrate: ", cases[i].args);
		assert_string_equal(r.out, "");
		bg_test_result_free(&r);
	}
	assert_false(exists(f->cache));
}

static void missing_corpora_is_an_error_naming_the_fix(void **state)
{
	fx *f = *state;
	bg_test_result r = shellf(f->plain, "BENCHGATE_CORPORA=/nonexistent exec '%s' calibrate --time 1",
				  BG_TEST_BIN);

	bg_test_expect_status(&r, 2, "BENCHGATE_CORPORA=/nonexistent");
	expect_in(&r, 0, "BENCHGATE_CORPORA=/nonexistent holds no executable bg-int", "no corpora");
	expect_in(&r, 0, "make corpora", "no corpora");
	bg_test_result_free(&r);
}

/* ---- the report ------------------------------------------------------- */

static void text_report_in_a_repository(void **state)
{
	fx *f = *state;
	static const char *const sections[] = {
		"System checks", "frequency governor", "turbo boost", "SMT siblings", "isolated CPUs",
		"load", "steal time", "ASLR", "transparent huge pages", "perf counters", "pinning",
		"Noise per workload", "CV A", "sd of d", "lag-1 A", "outliers", "warm-up", "drift",
		"Pinned against unpinned", "The decision rule on the A/A data", "false positives",
		"95% interval", "Minimum detectable effect (80% power", "10 s", "60 s", "300 s",
		"LORD++", "Time to detect a gain", "Verdict: ", ".git/benchgate/calibration.json",
	};
	char path[160];
	lp_calibration *c = NULL;
	smp_probe p;
	bg_test_result r;

	git_init(f);
	r = calibrate(f, f->repo, FAST " --seed 5 '" CMD1 "'");
	bg_test_expect_status(&r, 0, "calibrate in a repository");
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		expect_in(&r, 1, sections[i], sections[i]);
	expect_in(&r, 1, "seed 5", "the seed");
	assert_true(strstr(r.out, "fit to gate changes") || strstr(r.out, "not fit"));
	/* --time bounds the run: 2 s, plus start-up and slack for a sanitizer. */
	assert_true(r.elapsed_s < 15.0);
	bg_test_result_free(&r);
	snprintf(path, sizeof(path), "%s/.git/benchgate/calibration.json", f->repo);
	assert_ok(lp_calibration_load(&c, path));
	assert_ok(smp_probe_read(&p, NULL));
	assert_string_equal(c->fingerprint, p.fingerprint);
	assert_int_equal(c->nwl, 1);
	assert_string_equal(c->wl[0].name, CMD1);
	assert_true(c->wl[0].n >= 10 && c->wl[0].round_s > 0.0);
	assert_true(c->when != (time_t)-1 && fabs(difftime(time(NULL), c->when)) < 600);
	lp_calibration_free(c);
	assert_false(exists(f->cache)); /* inside a repository: not the cache */
}

static void json_outside_a_repository_goes_to_the_cache(void **state)
{
	fx *f = *state;
	bg_test_result r = calibrate(f, f->plain, FAST " --json --seed 9 '" CMD1 "' '" CMD2 "'");
	cJSON *doc, *file;
	const cJSON *w, *wl, *fp;
	char *text, path[200];
	smp_probe p;
	size_t i = 0;

	bg_test_expect_status(&r, 0, "--json");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	assert_true(cJSON_IsString(get(get(doc, "benchgate"), "version")));
	assert_int_equal(get(get(doc, "benchgate"), "schema")->valueint, 1);
	assert_string_equal(get(doc, "kind")->valuestring, "calibration");
	assert_int_equal((int)get(get(doc, "settings"), "seed")->valuedouble, 9);
	assert_int_equal(cJSON_GetArraySize(get(doc, "checks")), 10);
	assert_ok(smp_probe_read(&p, NULL));
	assert_string_equal(get(get(doc, "machine"), "fingerprint")->valuestring, p.fingerprint);
	assert_int_equal(cJSON_GetArraySize(wl = get(doc, "workloads")), 2);
	cJSON_ArrayForEach(w, wl) {
		const cJSON *ci = get(get(w, "false_positives"), "ci");
		double rate = get(get(w, "false_positives"), "rate")->valuedouble;
		assert_string_equal(get(w, "name")->valuestring, i++ ? CMD2 : CMD1);
		assert_true(get(w, "round_seconds")->valuedouble > 0.0);
		assert_int_equal(cJSON_GetArraySize(get(w, "d")), get(w, "rounds")->valueint);
		assert_int_equal(cJSON_GetArraySize(get(w, "mde")), 3);
		assert_int_equal(cJSON_GetArraySize(get(w, "time_to_detect")), 3);
		assert_int_equal(get(get(w, "false_positives"), "sequences")->valueint, 200);
		assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= rate && rate <= cJSON_GetArrayItem(ci, 1)->valuedouble);
		assert_true(cJSON_IsBool(get(get(w, "main"), "pinned")));
	}
	fp = get(doc, "false_positives");
	assert_int_equal(get(fp, "sequences")->valueint, 400);
	assert_true(strlen(get(get(doc, "verdict"), "text")->valuestring) > 20);
	snprintf(path, sizeof(path), "%s/benchgate/calibration-%s.json", f->cache, p.fingerprint);
	assert_string_equal(get(doc, "saved_to")->valuestring, path);
	assert_non_null(text = bg_test_slurp(path));
	assert_non_null(file = cJSON_Parse(text));
	assert_true(cJSON_Compare(doc, file, 1));
	cJSON_Delete(file);
	free(text);
	cJSON_Delete(doc);
}

static void no_save_writes_nothing(void **state)
{
	fx *f = *state;
	bg_test_result r;

	git_init(f);
	r = calibrate(f, f->repo, FAST " --no-save '" CMD1 "'");
	bg_test_expect_status(&r, 0, "--no-save");
	expect_in(&r, 1, "Not written", "--no-save");
	bg_test_result_free(&r);
	expect_nothing_written(f);
}

static void interrupted_run_writes_nothing(void **state)
{
	fx *f = *state;
	bg_test_result r;

	git_init(f);
	r = shellf(f->repo, "XDG_CACHE_HOME='%s' '%s' calibrate --time 60 '%s' & p=$!; sleep 1; kill -INT $p; wait $p",
		   f->cache, BG_TEST_BIN, CMD1);
	bg_test_expect_status(&r, 2, "SIGINT");
	expect_in(&r, 0, "interrupted: nothing was written", "SIGINT");
	assert_string_equal(r.out, "");
	assert_true(r.elapsed_s < 20.0);
	bg_test_result_free(&r);
	expect_nothing_written(f);
}

static void config_mode_takes_the_config_settings(void **state)
{
	fx *f = *state;
	char cfg[160];
	FILE *o;
	bg_test_result r;
	cJSON *doc;
	const cJSON *st, *w;

	snprintf(cfg, sizeof(cfg), "%s/benchgate.json", f->plain);
	assert_non_null(o = fopen(cfg, "w"));
	fprintf(o, "{ \"metric\": { \"name\": \"work_units\" },\n"
		   "  \"workloads\": [ { \"name\": \"exact\", \"cmd\": \"%s\" } ],\n"
		   "  \"alpha\": 0.1, \"min_effect\": 0.02, \"pin\": \"none\",\n"
		   "  \"budget\": { \"max_seconds\": 30, \"max_rounds\": 200 } }\n", CMD1);
	fclose(o);
	r = calibrate(f, f->root, FAST " --no-save --json --config plain/benchgate.json");
	bg_test_expect_status(&r, 0, "--config");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	st = get(doc, "settings");
	assert_string_equal(get(st, "source")->valuestring, "config");
	assert_string_equal(get(st, "metric")->valuestring, "work_units");
	assert_true(get(st, "alpha")->valuedouble == 0.1);
	assert_true(get(st, "min_effect")->valuedouble == 0.02);
	assert_true(get(st, "budget")->valuedouble == 30.0);
	assert_int_equal(get(st, "max_rounds")->valueint, 200);
	assert_string_equal(get(st, "pin")->valuestring, "none");
	w = cJSON_GetArrayItem(get(doc, "workloads"), 0);
	assert_string_equal(get(w, "name")->valuestring, "exact");
	/* "pin": "none": the gate's rounds are the unpinned ones. */
	assert_true(cJSON_IsFalse(get(get(w, "main"), "pinned")));
	assert_true(cJSON_IsTrue(get(get(w, "other"), "pinned")));
	/* Run in the config's directory. */
	assert_non_null(strstr(get(w, "cmd")->valuestring, "cd '"));
	assert_non_null(strstr(get(w, "cmd")->valuestring, "/plain'"));
	/* work_units is exact: no noise at all, nothing called, the rule
	 * stops at no change. */
	assert_true(get(w, "sd_d")->valuedouble == 0.0);
	assert_int_equal(get(get(w, "false_positives"), "calls")->valueint, 0);
	assert_string_equal(get(get(w, "aa"), "verdict")->valuestring, "NO_CHANGE");
	/* Budgets 10, 30 (the config's), 60 and 300 s. */
	assert_int_equal(cJSON_GetArraySize(get(w, "mde")), 4);
	assert_true(get(cJSON_GetArrayItem(get(w, "mde"), 1), "budget_seconds")->valuedouble == 30.0);
	assert_true(get(get(doc, "verdict"), "fit")->type == cJSON_True);
	/* the time-to-detect table stops at the config's 200 rounds */
	{
		const cJSON *t = cJSON_GetArrayItem(get(w, "time_to_detect"), 0);
		double round_s = get(w, "round_seconds")->valuedouble;

		bg_test_assert_close(get(t, "cap_seconds")->valuedouble, 200 * round_s, 1e-6, 1e-9,
				     "the table's cap: 200 rounds");
	}
	cJSON_Delete(doc);
}

/* Inside a repository, the config's workloads are the candidate's code:
 * they run as a gate runs them, in the sandbox of an export of HEAD shown
 * at the repository's own path, benchgate's state out of sight. The
 * workload fails (and calibrate with it) wherever that does not hold. */
static void config_mode_in_a_repository_is_sandboxed(void **state)
{
	fx *f = *state;
	bg_test_result r;
	cJSON *doc;
	const cJSON *w;
	FILE *o;
	char cfg[400];

	git_init(f);
	snprintf(cfg, sizeof(cfg), "%s/benchgate.json", f->repo);
	assert_non_null(o = fopen(cfg, "w"));
	fprintf(o, "{ \"metric\": { \"name\": \"work_units\" }, \"pin\": \"none\",\n"
		   "  \"workloads\": [ { \"name\": \"seen\", \"cmd\": \"test \\\"$(pwd)\\\" = '%s' && "
		   "test -z \\\"$(ls -A .git/benchgate)\\\" && %s\" } ] }\n", f->repo, CMD1);
	fclose(o);
	r = shellf(f->repo, "git add -A && git commit -qm c");
	bg_test_expect_status(&r, 0, "commit");
	bg_test_result_free(&r);
	r = calibrate(f, f->repo, FAST " --no-save --json --config benchgate.json");
	bg_test_expect_status(&r, 0, "--config in a repository");
	assert_non_null(doc = cJSON_Parse(r.out));
	bg_test_result_free(&r);
	w = cJSON_GetArrayItem(get(doc, "workloads"), 0);
	assert_non_null(strstr(get(w, "cmd")->valuestring, " __ask "));   /* served in the sandbox */
	assert_true(get(w, "sd_d")->valuedouble == 0.0);
	cJSON_Delete(doc);
}

/* ---- the file and gate's advice --------------------------------------- */

/* Writes a calibration at path: fingerprint fp, date `when`, workloads
 * names[k] with round time round_s and n normal d of sd sd[k]. */
static void write_calibration(const char *path, const char *fp, time_t when, const char *metric,
			      const char *const *names, const double *sd, size_t k, double round_s)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	char date[32];
	struct tm tm;
	FILE *o = fopen(path, "w");

	assert_non_null(o);
	assert_non_null(rng);
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(o, "{\"benchgate\":{\"version\":\"0\",\"schema\":1},\"kind\":\"calibration\",\"date\":\"%s\","
		   "\"machine\":{\"fingerprint\":\"%s\"},\"settings\":{\"metric\":\"%s\"},\"workloads\":[",
		date, fp, metric);
	for (size_t j = 0; j < k; j++) {
		fprintf(o, "%s{\"name\":\"%s\",\"round_seconds\":%g,\"sd_d\":%g,\"d\":[", j ? "," : "", names[j],
			round_s, sd[j]);
		gsl_rng_set(rng, 42);
		for (int i = 0; i < 200; i++)
			fprintf(o, "%s%.9g", i ? "," : "", gsl_ran_gaussian(rng, sd[j]));
		fprintf(o, "]}");
	}
	fprintf(o, "]}\n");
	fclose(o);
	gsl_rng_free(rng);
}

/* A benchgate state directory under dir (dir/benchgate), its path in st. */
static state_store *open_state(char *st, size_t size, const char *dir)
{
	state_store *ss = NULL;

	assert_ok(state_open(&ss, dir));
	snprintf(st, size, "%s", state_root(ss));
	return ss;
}

static lp_calibration_query query(const state_store *state, const smp_probe *p, const char *const *names, size_t n)
{
	lp_calibration_query q = { state, p, names, NULL, n, "wall", 1, 0.02, 0.05, 60.0, 5, 0.0, time(NULL) };

	return q;
}

static void advice_from_this_machine_plans_quietly(void **state)
{
	fx *f = *state;
	const char *names[] = { "w1", "w2" };
	double sd[2] = { 0.02, 0.04 };
	state_store *ss;
	char st[160], path[200];
	lp_calibration_advice a, noisy;
	lp_calibration_query q;
	smp_probe p;

	assert_ok(smp_probe_read(&p, NULL));
	ss = open_state(st, sizeof(st), f->root);
	snprintf(path, sizeof(path), "%s/calibration.json", st);
	write_calibration(path, p.fingerprint, time(NULL) - 3600, "wall", names, sd, 2, 0.05);
	q = query(ss, &p, names, 1);
	assert_ok(lp_calibration_advise(&a, &q));
	assert_null(a.warnings);
	assert_string_equal(a.path, path);
	assert_int_equal(a.matched, 1);
	assert_true(a.rounds >= 5 && a.rounds < 2000);
	bg_fx_assert_close(a.seconds, a.rounds * 0.05, 1e-12);
	/* The noisier workload needs more rounds; both together take the
	 * weighted mean (less noise than w2 alone) and both round times. */
	names[0] = "w2";
	assert_ok(lp_calibration_advise(&noisy, &q));
	assert_true(noisy.rounds > 1.5 * a.rounds);
	names[0] = "w1";
	lp_calibration_advice_clear(&noisy);
	q.nworkloads = 2;
	assert_ok(lp_calibration_advise(&noisy, &q));
	assert_int_equal(noisy.matched, 2);
	bg_fx_assert_close(noisy.seconds, noisy.rounds * 0.10, 1e-12);
	lp_calibration_advice_clear(&noisy);
	/* A budget shorter than the plan: a warning that says so. */
	q.nworkloads = 1;
	q.budget_s = 0.5 * a.seconds;
	lp_calibration_advice_clear(&a);
	assert_ok(lp_calibration_advise(&a, &q));
	assert_non_null(a.warnings);
	assert_non_null(strstr(a.warnings, "more than the budget"));
	lp_calibration_advice_clear(&a);
	lp_calibration_advice_clear(NULL);
	state_free(ss);
}

static void advice_warns_about_origin_and_age(void **state)
{
	fx *f = *state;
	const char *names[] = { "w1" };
	double sd[1] = { 0.02 };
	state_store *ss;
	char st[160], path[200];
	lp_calibration_advice a;
	lp_calibration_query q;
	smp_probe p;

	assert_ok(smp_probe_read(&p, NULL));
	ss = open_state(st, sizeof(st), f->root);
	snprintf(path, sizeof(path), "%s/calibration.json", st);
	q = query(ss, &p, names, 1);
	/* Another machine. */
	write_calibration(path, "0123456789abcdef", time(NULL), "wall", names, sd, 1, 0.05);
	assert_ok(lp_calibration_advise(&a, &q));
	assert_non_null(a.warnings);
	assert_non_null(strstr(a.warnings, "from another machine (fingerprint 0123456789abcdef"));
	assert_true(isfinite(a.seconds)); /* still a plan, with the warning */
	lp_calibration_advice_clear(&a);
	/* Ten days old. */
	write_calibration(path, p.fingerprint, time(NULL) - 10 * 86400, "wall", names, sd, 1, 0.05);
	assert_ok(lp_calibration_advise(&a, &q));
	assert_non_null(a.warnings);
	assert_non_null(strstr(a.warnings, "is 10 days old"));
	assert_null(strstr(a.warnings, "another machine"));
	lp_calibration_advice_clear(&a);
	/* Six days old is fine; another metric is not. */
	write_calibration(path, p.fingerprint, time(NULL) - 6 * 86400, "cpu", names, sd, 1, 0.05);
	assert_ok(lp_calibration_advise(&a, &q));
	assert_non_null(a.warnings);
	assert_null(strstr(a.warnings, "days old"));
	assert_non_null(strstr(a.warnings, "measured cpu, this gate measures wall"));
	lp_calibration_advice_clear(&a);
	state_free(ss);
}

static void advice_prefers_this_machines_cache_and_says_when_none(void **state)
{
	fx *f = *state;
	const char *names[] = { "w1" }, *other[] = { "project" };
	double sd[1] = { 0.02 };
	state_store *ss;
	char st[160], repo_file[200], *cache_file = NULL;
	lp_calibration_advice a;
	lp_calibration_query q;
	smp_probe p;

	assert_ok(smp_probe_read(&p, NULL));
	ss = open_state(st, sizeof(st), f->root);
	q = query(ss, &p, names, 1);
	/* Nothing anywhere. */
	assert_ok(lp_calibration_advise(&a, &q));
	assert_non_null(a.warnings);
	assert_non_null(strstr(a.warnings, "no calibration of this machine"));
	assert_non_null(strstr(a.warnings, "benchgate calibrate"));
	assert_null(a.path);
	assert_true(isnan(a.rounds) && isnan(a.seconds));
	lp_calibration_advice_clear(&a);
	/* The repository's is another machine's; the cache has this one's. */
	snprintf(repo_file, sizeof(repo_file), "%s/calibration.json", st);
	write_calibration(repo_file, "0123456789abcdef", time(NULL), "wall", names, sd, 1, 0.05);
	assert_ok(state_calibration_path(&cache_file, NULL, p.fingerprint, 1));
	assert_non_null(strstr(cache_file, f->cache));
	write_calibration(cache_file, p.fingerprint, time(NULL), "wall", names, sd, 1, 0.05);
	assert_ok(lp_calibration_advise(&a, &q));
	assert_null(a.warnings);
	assert_string_equal(a.path, cache_file);
	lp_calibration_advice_clear(&a);
	/* A workload the calibration does not know: planned from its noisiest,
	 * in rounds only, unless the caller knows the round time. */
	q.workloads = other;
	assert_ok(lp_calibration_advise(&a, &q));
	assert_int_equal(a.matched, 0);
	assert_true(isfinite(a.rounds) && isnan(a.seconds));
	assert_non_null(a.warnings);
	assert_non_null(strstr(a.warnings, "not in the calibration: project"));
	lp_calibration_advice_clear(&a);
	q.round_s = 0.2;
	assert_ok(lp_calibration_advise(&a, &q));
	assert_null(a.warnings);
	bg_fx_assert_close(a.seconds, a.rounds * 0.2, 1e-12);
	lp_calibration_advice_clear(&a);
	q.alpha = 0.0;
	assert_fails(lp_calibration_advise(&a, &q), BG_EINVAL);
	free(cache_file);
	state_free(ss);
}

static void calibration_files_are_checked(void **state)
{
	fx *f = *state;
	char path[200], *p = NULL, *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	lp_calibration *c = NULL;
	FILE *o;

	snprintf(path, sizeof(path), "%s/cal.json", f->plain);
	assert_fails(lp_calibration_load(&c, path), BG_ENOTFOUND);
	assert_non_null(o = fopen(path, "w"));
	fputs("{\"machine\":{\"fingerprint\":\"0123456789abcdef\"},\"workloads\":[{\"name\":\"x\",\"round_seconds\":0,\"d\":[1,2]}]}", o);
	fclose(o);
	assert_fails(lp_calibration_load(&c, path), BG_EPARSE);
	assert_non_null(strstr(bg_error_last(), "workloads[0]"));
	assert_non_null(o = fopen(path, "w"));
	fputs("not json", o);
	fclose(o);
	assert_fails(lp_calibration_load(&c, path), BG_EPARSE);
	assert_null(c);
	setenv("XDG_CACHE_HOME", "relative/dir", 1);
	setenv("HOME", f->plain, 1);
	assert_ok(state_calibration_path(&p, NULL, "0123456789abcdef", 1));
	assert_non_null(strstr(p, "/plain/.cache/benchgate/calibration-0123456789abcdef.json"));
	free(p);
	snprintf(path, sizeof(path), "%s/.cache/benchgate", f->plain);
	assert_true(exists(path));
	setenv("XDG_CACHE_HOME", f->cache, 1);
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
}

static void advice_from_a_real_calibration(void **state)
{
	fx *f = *state;
	const char *names[] = { CMD1 };
	lp_calibration_advice a;
	lp_calibration_query q;
	smp_probe p;
	bg_test_result r;
	state_store *ss;
	char st[160];

	git_init(f);
	r = calibrate(f, f->repo, FAST " --seed 2 '" CMD1 "'");
	bg_test_expect_status(&r, 0, "calibrate");
	bg_test_result_free(&r);
	assert_ok(smp_probe_read(&p, NULL));
	snprintf(st, sizeof(st), "%s/.git", f->repo);
	ss = open_state(st, sizeof(st), st);
	q = query(ss, &p, names, 1);
	q.min_effect = 0.05;
	q.budget_s = HUGE_VAL; /* no budget warning, however noisy the machine */
	assert_ok(lp_calibration_advise(&a, &q));
	assert_null(a.warnings);
	assert_int_equal(a.matched, 1);
	assert_true(a.rounds >= 5);
	assert_true(isinf(a.seconds) || a.seconds > 0.0);
	lp_calibration_advice_clear(&a);
	state_free(ss);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(help_names_the_options),
		T(bad_input_exits_2_with_a_message),
		T(missing_corpora_is_an_error_naming_the_fix),
		T(text_report_in_a_repository),
		T(json_outside_a_repository_goes_to_the_cache),
		T(no_save_writes_nothing),
		T(interrupted_run_writes_nothing),
		T(config_mode_takes_the_config_settings),
		T(config_mode_in_a_repository_is_sandboxed),
		T(advice_from_this_machine_plans_quietly),
		T(advice_warns_about_origin_and_age),
		T(advice_prefers_this_machines_cache_and_says_when_none),
		T(calibration_files_are_checked),
		T(advice_from_a_real_calibration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
