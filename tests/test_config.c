/* test_config: benchgate.json — parsing every key, the defaults, printing
 * and re-reading the effective configuration, its hash, and one exact
 * message per kind of mistake (each naming the file and the key path).
 *
 * JSON in this file is written with single quotes for readability; sq()
 * turns them into double quotes before parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_error.h"
#include "bg_test.h"
#include "lp_config.h"

#include <cjson/cJSON.h>
#include <git2.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W1 "'workloads': [{'name': 'a', 'cmd': './tool a'}]"

/* Every key set, none to its default. */
static const char FULL[] =
	"{\n"
	"  'build': 'make -j2',\n"
	"  'test': {'cmd': 'make test', 'count': 'regex:([0-9]+) passed'},\n"
	"  'metric': {'name': 'total_µs', 'direction': 'higher'},\n"
	"  'workloads': [\n"
	"    {'name': 'small', 'cmd': './tool corpus/small.txt', 'split': 'train'},\n"
	"    {'name': 'large.v2', 'cmd': './tool corpus/large.txt', 'weight': 2.5}\n"
	"  ],\n"
	"  'holdout': {'dir': '../holdout', 'workloads': [\n"
	"    {'name': 'mixed-1', 'cmd': './tool $BENCHGATE_HOLDOUT/mixed.txt', 'weight': 3}]},\n"
	"  'protected': ['bench/', 'tests/', 'benchgate.json', 'bench/'],\n"
	"  'alpha': 0.1,\n"
	"  'min_effect': 0.03,\n"
	"  'max_regression': 0.04,\n"
	"  'generalization': 0.75,\n"
	"  'holdout_budget': 7,\n"
	"  'budget': {'max_seconds': 60.5, 'min_rounds': 3, 'max_rounds': 40, 'warmup': 0,\n"
	"             'run_timeout': 9.5},\n"
	"  'pin': '1,0'\n"
	"}\n";

/* A JSON text from single-quoted source (caller frees). */
static char *sq(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static lp_config *parse_ok(const char *squoted)
{
	char *text = sq(squoted);
	lp_config *c = NULL;
	int rc = lp_config_parse(&c, text, "benchgate.json");

	free(text);
	if (rc != 0)
		fail_msg("parse failed (%d): %s", rc, bg_error_last());
	assert_non_null(c);
	return c;
}

/* Parsing fails with `code` and exactly `msg`, leaving the out-param alone. */
static void expect_error(const char *squoted, int code, const char *msg)
{
	static lp_config sentinel;
	char *text = sq(squoted);
	lp_config *c = &sentinel;
	int rc = lp_config_parse(&c, text, "benchgate.json");

	free(text);
	if (rc == 0)
		lp_config_free(c);
	assert_int_equal(rc, code);
	assert_ptr_equal(c, &sentinel);
	if (strcmp(bg_error_last(), msg) != 0)
		fail_msg("message\n  got:  %s\n  want: %s", bg_error_last(), msg);
}

/* Parsing fails with BG_EINVAL and a message that starts with `prefix`. */
static void expect_prefix(const char *squoted, const char *prefix)
{
	char *text = sq(squoted);
	lp_config *c = NULL;
	int rc = lp_config_parse(&c, text, "benchgate.json");

	free(text);
	lp_config_free(c);
	assert_int_equal(rc, BG_EINVAL);
	if (strncmp(bg_error_last(), prefix, strlen(prefix)) != 0)
		fail_msg("message\n  got:  %s\n  want: %s...", bg_error_last(), prefix);
}

static void hash_of(char out[41], const char *squoted)
{
	lp_config *c = parse_ok(squoted);

	assert_int_equal(lp_config_hash(out, c), 0);
	assert_int_equal(strlen(out), 40);
	assert_int_equal(strspn(out, "0123456789abcdef"), 40);
	lp_config_free(c);
}

static void assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_workloads_equal(const lp_workload *a, const lp_workload *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_string_equal(a[i].cmd, b[i].cmd);
		assert_int_equal(a[i].train, b[i].train);
		assert_true(a[i].weight == b[i].weight);
	}
}

static void assert_config_equal(const lp_config *a, const lp_config *b)
{
	assert_str_or_null(a->build, b->build);
	assert_str_or_null(a->test_cmd, b->test_cmd);
	assert_str_or_null(a->test_count, b->test_count);
	assert_string_equal(a->metric, b->metric);
	assert_int_equal(a->lower_is_better, b->lower_is_better);
	assert_int_equal(a->nworkloads, b->nworkloads);
	assert_workloads_equal(a->workloads, b->workloads, a->nworkloads);
	assert_str_or_null(a->holdout_dir, b->holdout_dir);
	assert_int_equal(a->nholdout, b->nholdout);
	assert_workloads_equal(a->holdout, b->holdout, a->nholdout);
	assert_int_equal(a->nprotected, b->nprotected);
	for (size_t i = 0; i < a->nprotected; i++)
		assert_string_equal(a->protected[i], b->protected[i]);
	assert_true(a->alpha == b->alpha);
	assert_true(a->min_effect == b->min_effect);
	assert_true(a->max_regression == b->max_regression);
	assert_true(a->generalization == b->generalization);
	assert_int_equal(a->holdout_budget, b->holdout_budget);
	assert_true(a->max_seconds == b->max_seconds);
	assert_int_equal(a->min_rounds, b->min_rounds);
	assert_int_equal(a->max_rounds, b->max_rounds);
	assert_int_equal(a->warmup, b->warmup);
	assert_true(a->run_timeout == b->run_timeout);
	assert_string_equal(a->pin, b->pin);
}

static size_t count_protected(const lp_config *c, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nprotected; i++)
		n += strcmp(c->protected[i], path) == 0;
	return n;
}

/* ---- valid configurations ---------------------------------------------- */

static void test_full_config_fields(void **state)
{
	lp_config *c = parse_ok(FULL);

	(void)state;
	assert_string_equal(c->path, "benchgate.json");
	assert_string_equal(c->build, "make -j2");
	assert_string_equal(c->test_cmd, "make test");
	assert_string_equal(c->test_count, "regex:([0-9]+) passed");
	assert_string_equal(c->metric, "total_µs");
	assert_int_equal(c->lower_is_better, 0);
	assert_int_equal(c->nworkloads, 2);
	assert_string_equal(c->workloads[1].name, "large.v2");
	assert_string_equal(c->workloads[1].cmd, "./tool corpus/large.txt");
	assert_int_equal(c->workloads[0].train, 1);
	assert_true(c->workloads[0].weight == 1.0);
	assert_true(c->workloads[1].weight == 2.5);
	assert_string_equal(c->holdout_dir, "../holdout");
	assert_int_equal(c->nholdout, 1);
	assert_string_equal(c->holdout[0].name, "mixed-1");
	assert_int_equal(c->holdout[0].train, 0);
	assert_true(c->holdout[0].weight == 3.0);
	/* The repeated "bench/" is dropped; benchgate.json stays where listed. */
	assert_int_equal(c->nprotected, 3);
	assert_string_equal(c->protected[0], "bench/");
	assert_string_equal(c->protected[1], "tests/");
	assert_string_equal(c->protected[2], "benchgate.json");
	assert_true(c->alpha == 0.1);
	assert_true(c->min_effect == 0.03);
	assert_true(c->max_regression == 0.04);
	assert_true(c->generalization == 0.75);
	assert_int_equal(c->holdout_budget, 7);
	assert_true(c->max_seconds == 60.5);
	assert_int_equal(c->min_rounds, 3);
	assert_int_equal(c->max_rounds, 40);
	assert_int_equal(c->warmup, 0);
	assert_true(c->run_timeout == 9.5);
	assert_string_equal(c->pin, "1,0");
	lp_config_free(c);
}

static void test_round_trip(void **state)
{
	const char *const sources[] = { FULL, "{" W1 "}" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		lp_config *a = parse_ok(sources[i]), *b = NULL;
		char ha[41], hb[41];
		char *text = lp_config_to_json(a);

		assert_non_null(text);
		assert_int_equal(lp_config_parse(&b, text, "printed.json"), 0);
		assert_string_equal(b->path, "printed.json");
		assert_config_equal(a, b);
		assert_int_equal(lp_config_hash(ha, a), 0);
		assert_int_equal(lp_config_hash(hb, b), 0);
		assert_string_equal(ha, hb);
		free(text);
		lp_config_free(a);
		lp_config_free(b);
	}
}

static void test_defaults(void **state)
{
	lp_config *c = parse_ok("{" W1 "}");

	(void)state;
	assert_null(c->build);
	assert_null(c->test_cmd);
	assert_null(c->test_count);
	assert_string_equal(c->metric, "wall");
	assert_int_equal(c->lower_is_better, 1);
	assert_int_equal(c->nworkloads, 1);
	assert_true(c->workloads[0].weight == 1.0);
	assert_int_equal(c->workloads[0].train, 1);
	assert_null(c->holdout_dir);
	assert_null(c->holdout);
	assert_int_equal(c->nholdout, 0);
	assert_int_equal(c->nprotected, 1);
	assert_string_equal(c->protected[0], "benchgate.json");
	assert_true(c->alpha == 0.05);
	assert_true(c->min_effect == 0.01);
	assert_true(c->max_regression == 0.02);
	assert_true(c->generalization == 0.5);
	assert_int_equal(c->holdout_budget, 20);
	assert_true(c->max_seconds == 120);
	assert_int_equal(c->min_rounds, 5);
	assert_int_equal(c->max_rounds, 500);
	assert_int_equal(c->warmup, 2);
	assert_true(c->run_timeout == 0);
	assert_string_equal(c->pin, "auto");
	lp_config_free(c);
}

/* --print-config shows every default, spelled out. */
static void test_printed_defaults(void **state)
{
	lp_config *c = parse_ok("{" W1 ", 'test': {'cmd': 'make check'}}");
	char *text = lp_config_to_json(c);
	cJSON *j = cJSON_Parse(text), *b, *w;

	(void)state;
	assert_non_null(j);
	assert_true(cJSON_GetObjectItemCaseSensitive(j, "alpha")->valuedouble == 0.05);
	assert_true(cJSON_GetObjectItemCaseSensitive(j, "holdout_budget")->valuedouble == 20);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "pin")->valuestring, "auto");
	b = cJSON_GetObjectItemCaseSensitive(j, "budget");
	assert_true(cJSON_GetObjectItemCaseSensitive(b, "warmup")->valuedouble == 2);
	assert_true(cJSON_GetObjectItemCaseSensitive(b, "max_rounds")->valuedouble == 500);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "metric"), "direction")->valuestring, "lower");
	w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "workloads"), 0);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "split")->valuestring, "train");
	assert_true(cJSON_GetObjectItemCaseSensitive(w, "weight")->valuedouble == 1);
	/* Absent means off: no build key, no count key, no holdout. */
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "build"));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "holdout"));
	assert_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(j, "test"), "count"));
	assert_non_null(strchr(text, '\n'));  /* pretty-printed */
	cJSON_Delete(j);
	free(text);
	lp_config_free(c);
}

/* ---- the hash ---------------------------------------------------------- */

#define BASE_KEYS "'alpha': 0.05, 'pin': 'auto', 'budget': {'min_rounds': 5}"

static void test_hash_ignores_order_whitespace_defaults(void **state)
{
	char a[41], b[41], c[41], d[41];

	(void)state;
	hash_of(a, "{" W1 ", " BASE_KEYS "}");
	hash_of(b, "{\n\t'budget' : { 'min_rounds' : 5 },\n  'pin':'auto',"
		   "'workloads':[{'cmd':'./tool a','name':'a'}],\n'alpha':5e-2\n}\n");
	hash_of(c, "{" W1 "}");
	hash_of(d, "{'workloads': [{'name': 'a', 'cmd': './tool a', 'split': 'train', "
		   "'weight': 1}], 'protected': ['benchgate.json'], 'metric': {'name': 'wall'}}");
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_string_equal(a, d);
}

/* "isolation": bwrap by default (left out of the printed config, so old
 * configurations hash as before), "none" kept and printed, others refused. */
static void test_isolation(void **state)
{
	lp_config *c = parse_ok("{" W1 "}"), *d = parse_ok("{" W1 ", 'isolation': 'bwrap'}");
	lp_config *e = parse_ok("{" W1 ", 'isolation': 'none'}");
	char h1[41], h2[41], *text = lp_config_to_json(e);

	(void)state;
	assert_string_equal(c->isolation, "bwrap");
	assert_string_equal(d->isolation, "bwrap");
	assert_string_equal(e->isolation, "none");
	assert_int_equal(lp_config_hash(h1, c), 0);
	assert_int_equal(lp_config_hash(h2, d), 0);
	assert_string_equal(h1, h2);
	assert_non_null(strstr(text, "\"isolation\""));   /* printed, and read back */
	lp_config_free(d);
	assert_int_equal(lp_config_parse(&d, text, "printed"), 0);
	assert_string_equal(d->isolation, "none");
	expect_error("{" W1 ", 'isolation': 'docker'}", BG_EINVAL,
		     "benchgate.json: \"isolation\" must be \"bwrap\" (the default: a candidate's "
		     "commands run in a sandbox) or \"none\" (they run as you, recorded on every "
		     "verdict), got \"docker\"");
	free(text);
	lp_config_free(c);
	lp_config_free(d);
	lp_config_free(e);
}

/* metric.regex: printed and read back; checked as the runner compiles it. */
static void test_metric_regex(void **state)
{
	lp_config *c = parse_ok("{" W1 ", 'metric': {'name': 'val_bpb', 'regex': '^val_bpb:[[:space:]]+([0-9.]+)'}}");
	lp_config *d = parse_ok("{" W1 "}");
	char *text = lp_config_to_json(c), *plain = lp_config_to_json(d);

	(void)state;
	assert_string_equal(c->metric_regex, "^val_bpb:[[:space:]]+([0-9.]+)");
	assert_null(d->metric_regex);
	assert_non_null(strstr(text, "\"regex\""));
	assert_non_null(strstr(text, "\"^val_bpb:[[:space:]]+([0-9.]+)\""));
	assert_null(strstr(plain, "\"regex\""));   /* off: left out, so old hashes hold */
	lp_config_free(d);
	assert_int_equal(lp_config_parse(&d, text, "printed"), 0);
	assert_string_equal(d->metric_regex, c->metric_regex);
	expect_error("{" W1 ", 'metric': {'name': 'val_bpb', 'regex': 'val_bpb: ([0-9.]+) (x)'}}", BG_EINVAL,
		     "benchgate.json: \"metric.regex\": the regex \"val_bpb: ([0-9.]+) (x)\" has 2 groups; it needs "
		     "exactly one, around the number (e.g. \"^val_bpb:[[:space:]]*([^[:space:]]+)\")");
	expect_error("{" W1 ", 'metric': {'name': 'wall', 'regex': 'took ([0-9.]+)s'}}", BG_EINVAL,
		     "benchgate.json: \"metric.regex\": a metric read by a regex needs a name of its own (letters, "
		     "digits, '_', '.', not a built-in metric), got \"wall\"");
	expect_prefix("{" W1 ", 'metric': {'name': 'v', 'regex': 'v: ([0-9'}}",
		      "benchgate.json: \"metric.regex\": the regex \"v: ([0-9\" does not compile: ");
	free(text);
	free(plain);
	lp_config_free(c);
	lp_config_free(d);
}

/* metric.effect: a difference takes min_effect and max_regression in the
 * metric's units (>= 0, any size); a ratio keeps them in [0, 1). */
static void test_metric_effect(void **state)
{
	lp_config *c = parse_ok("{" W1 ", 'metric': {'name': 'score', 'effect': 'difference'}, 'min_effect': 1.5, "
				"'max_regression': 3, 'secondary': [{'name': 'maxrss'}]}");
	lp_config *d = parse_ok("{" W1 ", 'metric': {'name': 'score', 'effect': 'ratio'}}"), *e = NULL;
	char *text = lp_config_to_json(c), *plain = lp_config_to_json(d);

	(void)state;
	assert_int_equal(c->metric_difference, 1);
	assert_true(c->min_effect == 1.5 && c->max_regression == 3.0);
	assert_true(c->secondary[0].max_regression == 0.02);   /* a secondary stays a ratio */
	assert_int_equal(d->metric_difference, 0);
	assert_null(strstr(plain, "\"effect\""));
	assert_int_equal(lp_config_parse(&e, text, "printed"), 0);
	assert_int_equal(e->metric_difference, 1);
	expect_error("{" W1 ", 'metric': {'name': 'score'}, 'min_effect': 1.5}", BG_EINVAL,
		     "benchgate.json: \"min_effect\" must be a number in [0, 1), got 1.5");
	expect_error("{" W1 ", 'metric': {'name': 'score', 'effect': 'difference'}, 'min_effect': -1}", BG_EINVAL,
		     "benchgate.json: \"min_effect\" must be a number >= 0, got -1");
	expect_error("{" W1 ", 'metric': {'name': 'score', 'effect': 'delta'}}", BG_EINVAL,
		     "benchgate.json: \"metric.effect\" must be \"ratio\" (B/A, the default) or \"difference\" "
		     "(B - A, for values that can be 0 or negative), got \"delta\"");
	free(text);
	free(plain);
	lp_config_free(c);
	lp_config_free(d);
	lp_config_free(e);
}

/* Duels: every workload one, the metric P1's score; the effect and the
 * range are implied, and the printed configuration reads back. */
static void test_duel(void **state)
{
	lp_config *c = parse_ok("{'metric': {'name': 'p1_score'}, 'min_effect': 0.05, "
				"'workloads': [{'name': 'm', 'cmd': 'sh duel.sh', 'duel': true}]}");
	lp_config *e = NULL;
	char *text = lp_config_to_json(c);

	(void)state;
	assert_int_equal(c->duel, 1);
	assert_int_equal(c->workloads[0].duel, 1);
	assert_int_equal(c->lower_is_better, 0);
	assert_true(c->metric_difference && c->metric_ranged && c->metric_lo == 0.0 && c->metric_hi == 1.0);
	assert_int_equal(lp_config_parse(&e, text, "printed"), 0);
	assert_int_equal(e->duel, 1);
	expect_prefix("{'metric': {'name': 'p1_score'}, 'workloads': [{'name': 'm', 'cmd': 'x', 'duel': true}, "
		      "{'name': 'n', 'cmd': 'y'}]}", "benchgate.json: 1 of 2 workloads are duels");
	expect_prefix("{'workloads': [{'name': 'm', 'cmd': 'x', 'duel': true}]}",
		      "benchgate.json: a duel prints P1's score as a METRIC");
	expect_prefix("{'metric': {'name': 's', 'direction': 'lower'}, 'workloads': [{'name': 'm', 'cmd': 'x', "
		      "'duel': true}]}", "benchgate.json: a duel's score is higher for the better bot");
	expect_prefix("{'metric': {'name': 's', 'range': [0, 1]}, 'workloads': [{'name': 'm', 'cmd': 'x', "
		      "'duel': true}]}", "benchgate.json: a duel sets the effect and the range itself");
	expect_prefix("{'metric': {'name': 's'}, 'min_effect': 0.5, 'workloads': [{'name': 'm', 'cmd': 'x', "
		      "'duel': true}]}", "benchgate.json: \"min_effect\" 0.5 is on B's share");
	expect_prefix("{" W1 ", 'holdout': {'dir': 'h', 'workloads': [{'name': 'h', 'cmd': 'x', 'duel': true}]}}",
		      "benchgate.json: \"holdout.workloads[0].duel\" must be left out");
	free(text);
	lp_config_free(c);
	lp_config_free(e);
}

/* metric.range: bounds that imply the difference effect, printed back. */
static void test_metric_range(void **state)
{
	lp_config *c = parse_ok("{" W1 ", 'metric': {'name': 'win', 'range': [0, 1]}, 'min_effect': 0.05}");
	lp_config *e = NULL;
	char *text = lp_config_to_json(c);

	(void)state;
	assert_int_equal(c->metric_ranged, 1);
	assert_int_equal(c->metric_difference, 1);
	assert_true(c->metric_lo == 0.0 && c->metric_hi == 1.0);
	assert_int_equal(lp_config_parse(&e, text, "printed"), 0);
	assert_true(e->metric_ranged && e->metric_lo == 0.0 && e->metric_hi == 1.0);
	expect_error("{" W1 ", 'metric': {'name': 'win', 'range': [1, 0]}}", BG_EINVAL,
		     "benchgate.json: \"metric.range\" must be [lo, hi], two finite numbers with lo < hi, got an array");
	expect_prefix("{" W1 ", 'metric': {'name': 'win', 'range': [0, 1], 'effect': 'ratio'}}",
		      "benchgate.json: \"metric.range\" goes with the difference effect");
	expect_prefix("{" W1 ", 'metric': {'name': 'win', 'range': [0, 1]}, 'min_effect': 1}",
		      "benchgate.json: \"min_effect\" 1 is not below the width of metric.range [0, 1]");
	free(text);
	lp_config_free(c);
	lp_config_free(e);
}

/* metric.aggregate: "last" is the default and is not printed. */
static void test_metric_aggregate(void **state)
{
	lp_config *c = parse_ok("{" W1 ", 'metric': {'name': 'x', 'aggregate': 'median'}}");
	lp_config *d = parse_ok("{" W1 ", 'metric': {'name': 'x', 'aggregate': 'last'}}"), *e = NULL;
	char *text = lp_config_to_json(c), *plain = lp_config_to_json(d);

	(void)state;
	assert_int_equal(c->metric_aggregate, 2);
	assert_int_equal(d->metric_aggregate, 0);
	assert_null(strstr(plain, "aggregate"));
	assert_int_equal(lp_config_parse(&e, text, "printed"), 0);
	assert_int_equal(e->metric_aggregate, 2);
	expect_error("{" W1 ", 'metric': {'name': 'x', 'aggregate': 'max'}}", BG_EINVAL,
		     "benchgate.json: \"metric.aggregate\" must be \"last\" (as pi-autoresearch), \"mean\" or "
		     "\"median\" of the values a run prints, got \"max\"");
	free(text);
	free(plain);
	lp_config_free(c);
	lp_config_free(d);
	lp_config_free(e);
}

/* "secondary": defaults from the config, printed and read back, checked. */
static void test_secondary(void **state)
{
	lp_config *c = parse_ok("{" W1 ", 'max_regression': 0.05, 'secondary': [{'name': 'allocations'}, "
				"{'name': 'maxrss', 'direction': 'higher', 'max_regression': 0}]}");
	lp_config *d = NULL, *e = parse_ok("{" W1 ", 'secondary': []}");
	char h1[41], h2[41], *text = lp_config_to_json(c), *plain = lp_config_to_json(e);

	(void)state;
	assert_int_equal(c->nsecondary, 2);
	assert_string_equal(c->secondary[0].name, "allocations");
	assert_int_equal(c->secondary[0].lower_is_better, 1);
	assert_true(c->secondary[0].max_regression == 0.05);   /* the config's */
	assert_int_equal(c->secondary[1].lower_is_better, 0);
	assert_true(c->secondary[1].max_regression == 0.0);
	assert_int_equal(e->nsecondary, 0);
	assert_null(strstr(plain, "secondary"));   /* none: left out, so old hashes hold */
	assert_int_equal(lp_config_parse(&d, text, "printed"), 0);
	assert_int_equal(lp_config_hash(h1, c), 0);
	assert_int_equal(lp_config_hash(h2, d), 0);
	assert_string_equal(h1, h2);
	assert_true(d->secondary[0].max_regression == 0.05);
	expect_error("{" W1 ", 'secondary': [{'name': 'wall'}]}", BG_EINVAL,
		     "benchgate.json: \"secondary[0].name\" is \"wall\", the primary metric: a secondary metric guards "
		     "another one");
	expect_error("{" W1 ", 'secondary': [{'name': 'maxrss'}, {'name': 'maxrss'}]}", BG_EINVAL,
		     "benchgate.json: \"secondary[1].name\": \"maxrss\" is a secondary metric twice");
	expect_error("{" W1 ", 'secondary': [{'name': 'maxrss', 'max_regression': 1}]}", BG_EINVAL,
		     "benchgate.json: \"secondary[0].max_regression\" must be a number in [0, 1), got 1");
	expect_prefix("{" W1 ", 'secondary': [{'name': 'maxrss', 'bound': 1}]}",
		      "benchgate.json: unknown key \"secondary[0].bound\"");
	expect_prefix("{" W1 ", 'secondary': {'name': 'maxrss'}}", "benchgate.json: \"secondary\" must be an array");
	free(text);
	free(plain);
	lp_config_free(c);
	lp_config_free(d);
	lp_config_free(e);
}

static void test_hash_changes_with_every_field(void **state)
{
	static const char *const variants[] = {
		"{" W1 "}",
		"{" W1 ", 'build': 'make'}",
		"{" W1 ", 'test': {'cmd': 'make test'}}",
		"{" W1 ", 'test': {'cmd': 'make check'}}",
		"{" W1 ", 'test': {'cmd': 'make test', 'count': 'tap'}}",
		"{" W1 ", 'metric': {'name': 'cpu'}}",
		"{" W1 ", 'metric': {'direction': 'higher'}}",
		"{'workloads': [{'name': 'b', 'cmd': './tool a'}]}",
		"{'workloads': [{'name': 'a', 'cmd': './tool b'}]}",
		"{'workloads': [{'name': 'a', 'cmd': './tool a', 'weight': 2}]}",
		"{'workloads': [{'name': 'a', 'cmd': 'x'}, {'name': 'b', 'cmd': 'y'}]}",
		"{'workloads': [{'name': 'b', 'cmd': 'y'}, {'name': 'a', 'cmd': 'x'}]}",
		"{" W1 ", 'holdout': {'dir': 'h', 'workloads': [{'name': 'h', 'cmd': 'x'}]}}",
		"{" W1 ", 'holdout': {'dir': 'g', 'workloads': [{'name': 'h', 'cmd': 'x'}]}}",
		"{" W1 ", 'protected': ['bench/']}",
		"{" W1 ", 'alpha': 0.01}",
		"{" W1 ", 'isolation': 'none'}",
		"{" W1 ", 'min_effect': 0}",
		"{" W1 ", 'max_regression': 0.1}",
		"{" W1 ", 'generalization': 1}",
		"{" W1 ", 'holdout_budget': 21}",
		"{" W1 ", 'budget': {'max_seconds': 121}}",
		"{" W1 ", 'budget': {'min_rounds': 6}}",
		"{" W1 ", 'budget': {'max_rounds': 499}}",
		"{" W1 ", 'budget': {'warmup': 3}}",
		"{" W1 ", 'budget': {'run_timeout': 30}}",
		"{" W1 ", 'pin': 'none'}",
		"{" W1 ", 'metric': {'name': 'val_bpb', 'regex': '^val_bpb: *([0-9.]+)'}}",
		"{" W1 ", 'metric': {'name': 'val_bpb', 'regex': '^val_bpb:  *([0-9.]+)'}}",
		"{" W1 ", 'secondary': [{'name': 'maxrss'}]}",
		"{" W1 ", 'metric': {'name': 'x', 'aggregate': 'mean'}}",
		"{" W1 ", 'metric': {'name': 'x', 'effect': 'difference'}}",
		"{" W1 ", 'metric': {'name': 'x', 'range': [0, 10]}}",
		"{'metric': {'name': 'x'}, 'workloads': [{'name': 'a', 'cmd': './tool a', 'duel': true}]}",
		"{" W1 ", 'metric': {'name': 'x', 'aggregate': 'median'}}",
		"{" W1 ", 'secondary': [{'name': 'maxrss', 'direction': 'higher'}]}",
		"{" W1 ", 'secondary': [{'name': 'maxrss', 'max_regression': 0}]}",
	};
	enum { N = sizeof(variants) / sizeof(variants[0]) };
	char h[N][41];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		hash_of(h[i], variants[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(h[i], h[j]) == 0)
				fail_msg("same hash for\n  %s\n  %s", variants[j], variants[i]);
	}
}

/* The id is the git blob id of the unformatted effective JSON. */
static void test_hash_is_git_blob_id(void **state)
{
	static const char canonical[] =
		"{\"metric\":{\"name\":\"wall\",\"direction\":\"lower\"},"
		"\"workloads\":[{\"name\":\"a\",\"cmd\":\"./tool a\",\"split\":\"train\","
		"\"weight\":1}],\"protected\":[\"benchgate.json\"],\"alpha\":0.05,"
		"\"min_effect\":0.01,\"max_regression\":0.02,\"generalization\":0.5,"
		"\"holdout_budget\":20,\"budget\":{\"max_seconds\":120,\"min_rounds\":5,"
		"\"max_rounds\":500,\"warmup\":2,\"run_timeout\":0},\"pin\":\"auto\"}";
	char got[41], want[41];
	git_oid oid;

	(void)state;
	hash_of(got, "{" W1 "}");
	assert_int_equal(git_odb_hash(&oid, canonical, strlen(canonical), GIT_OBJECT_BLOB), 0);
	git_oid_tostr(want, sizeof(want), &oid);
	assert_string_equal(got, want);
}

/* ---- accepted values at the edges ---------------------------------------- */

static void test_accepted_edges(void **state)
{
	static const char *const ok[] = {
		"{" W1 ", 'test': {'cmd': 't', 'count': 'cmocka'}}",
		"{" W1 ", 'test': {'cmd': 't', 'count': 'tap'}}",
		"{" W1 ", 'test': {'cmd': 't', 'count': 'pytest'}}",
		"{" W1 ", 'test': {'cmd': 't', 'count': 'passed'}}",
		"{" W1 ", 'test': {'cmd': 't', 'count': 'regex:ok ([0-9]+)'}}",
		"{" W1 ", 'metric': {'name': 'maxrss'}}",
		"{" W1 ", 'metric': {'name': 'instructions', 'direction': 'lower'}}",
		"{" W1 ", 'metric': {'name': 'a.b_c9'}}",
		"{" W1 ", 'min_effect': 0, 'max_regression': 0, 'generalization': 0}",
		"{" W1 ", 'generalization': 1, 'holdout_budget': 1}",
		"{" W1 ", 'budget': {'min_rounds': 2, 'max_rounds': 2, 'warmup': 0}}",
		"{" W1 ", 'budget': {'min_rounds': 2.0, 'max_rounds': 4294967295}}",
		"{" W1 ", 'pin': 'none'}",
		"{" W1 ", 'pin': '0'}",
		"{" W1 ", 'pin': '12,3'}",
		"{" W1 ", 'protected': ['a', 'dir/', 'a/b.c', '.hidden/x']}",
		"{" W1 ", 'holdout': {'dir': '/abs/holdout', 'workloads': "
		"[{'name': 'h', 'cmd': 'x', 'split': 'holdout'}]}}",
		"{'workloads': [{'name': 'A-z_0.9', 'cmd': 'x', 'weight': 1e-3}]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		lp_config_free(parse_ok(ok[i]));
}

/* ---- errors -------------------------------------------------------------- */

static void test_error_unknown_key_top(void **state)
{
	(void)state;
	expect_error("{'workload': []}", BG_EINVAL,
		     "benchgate.json: unknown key \"workload\" (did you mean \"workloads\"?)");
	expect_error("{" W1 ", 'aplha': 0.1}", BG_EINVAL,
		     "benchgate.json: unknown key \"aplha\" (did you mean \"alpha\"?)");
	expect_error("{" W1 ", 'zzz': 1}", BG_EINVAL,
		     "benchgate.json: unknown key \"zzz\" (the top level may hold: build, test, "
		     "metric, secondary, workloads, holdout, protected, alpha, min_effect, max_regression, "
		     "generalization, holdout_budget, budget, pin, isolation)");
	/* Keys are case-sensitive. */
	expect_error("{" W1 ", 'Alpha': 0.1}", BG_EINVAL,
		     "benchgate.json: unknown key \"Alpha\" (did you mean \"alpha\"?)");
}

static void test_error_unknown_key_nested(void **state)
{
	(void)state;
	expect_error("{" W1 ", 'budget': {'max_round': 9}}", BG_EINVAL,
		     "benchgate.json: unknown key \"budget.max_round\" "
		     "(did you mean \"budget.max_rounds\"?)");
	expect_error("{'workloads': [{'name': 'a', 'cmd': 'x'}, {'name': 'b', 'cmd': 'y', "
		     "'weigth': 2}]}", BG_EINVAL,
		     "benchgate.json: unknown key \"workloads[1].weigth\" "
		     "(did you mean \"workloads[1].weight\"?)");
	expect_error("{" W1 ", 'test': {'command': 'make test'}}", BG_EINVAL,
		     "benchgate.json: unknown key \"test.command\" (\"test\" may hold: cmd, count)");
	expect_error("{" W1 ", 'holdout': {'dir': 'h', 'workloads': [{'name': 'h', 'cmd': 'x', "
		     "'nmae': 'y'}]}}", BG_EINVAL,
		     "benchgate.json: unknown key \"holdout.workloads[0].nmae\" "
		     "(did you mean \"holdout.workloads[0].name\"?)");
	expect_error("{" W1 ", 'metric': {'name': 'wall', 'dir': 'lower'}}", BG_EINVAL,
		     "benchgate.json: unknown key \"metric.dir\" "
		     "(\"metric\" may hold: name, direction, effect, range, regex, aggregate)");
}

static void test_error_duplicate_key(void **state)
{
	(void)state;
	expect_error("{" W1 ", 'alpha': 0.1, 'alpha': 0.2}", BG_EINVAL,
		     "benchgate.json: key \"alpha\" appears twice");
	expect_error("{" W1 ", 'budget': {'warmup': 1, 'warmup': 1}}", BG_EINVAL,
		     "benchgate.json: key \"budget.warmup\" appears twice");
}

static void test_error_wrong_types(void **state)
{
	(void)state;
	expect_error("{" W1 ", 'alpha': '0.5x'}", BG_EINVAL,
		     "benchgate.json: \"alpha\" must be a number in (0, 1), got \"0.5x\"");
	expect_error("{" W1 ", 'alpha': true}", BG_EINVAL,
		     "benchgate.json: \"alpha\" must be a number in (0, 1), got a boolean");
	expect_error("{" W1 ", 'build': 3}", BG_EINVAL,
		     "benchgate.json: \"build\" must be a non-empty command (leave \"build\" out "
		     "when there is nothing to build), got a number");
	expect_error("{'workloads': {'name': 'a'}}", BG_EINVAL,
		     "benchgate.json: \"workloads\" must be a non-empty array of workloads, "
		     "got an object");
	expect_error("{'workloads': ['./tool']}", BG_EINVAL,
		     "benchgate.json: \"workloads[0]\" must be an object "
		     "{\"name\": ..., \"cmd\": ...}, got \"./tool\"");
	expect_error("{'workloads': [{'name': 'a', 'cmd': ['x']}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].cmd\" must be a non-empty command, "
		     "got an array");
	expect_error("{'workloads': [{'name': 'a', 'cmd': 'x', 'weight': null}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].weight\" must be a number > 0, got null");
	expect_error("{" W1 ", 'test': 'make test'}", BG_EINVAL,
		     "benchgate.json: \"test\" must be an object {\"cmd\": ..., \"count\": ...}, "
		     "got \"make test\"");
	expect_error("{" W1 ", 'test': {'cmd': 'x', 'count': 3}}", BG_EINVAL,
		     "benchgate.json: \"test.count\" must be one of \"cmocka\", \"tap\", \"pytest\", "
		     "\"passed\" or \"regex:<POSIX extended regex with one group>\", got a number");
	expect_error("{" W1 ", 'metric': 'wall'}", BG_EINVAL,
		     "benchgate.json: \"metric\" must be an object {\"name\": ..., "
		     "\"direction\": ...}, got \"wall\"");
	expect_error("{" W1 ", 'protected': 'bench/'}", BG_EINVAL,
		     "benchgate.json: \"protected\" must be an array of relative paths, "
		     "got \"bench/\"");
	expect_error("{" W1 ", 'budget': {'min_rounds': '5'}}", BG_EINVAL,
		     "benchgate.json: \"budget.min_rounds\" must be a whole number >= 2, got \"5\"");
	expect_error("{" W1 ", 'budget': []}", BG_EINVAL,
		     "benchgate.json: \"budget\" must be an object {\"max_seconds\": ..., "
		     "\"min_rounds\": ..., ...}, got an empty array");
	expect_error("{" W1 ", 'pin': 0}", BG_EINVAL,
		     "benchgate.json: \"pin\" must be \"auto\", \"none\" or \"C[,H]\" (PU numbers "
		     "for the child and the harness), got a number");
	expect_error("{" W1 ", 'holdout': [1]}", BG_EINVAL,
		     "benchgate.json: \"holdout\" must be an object {\"dir\": ..., "
		     "\"workloads\": [...]}, got an array");
	expect_error("[1, 2]", BG_EINVAL,
		     "benchgate.json: the configuration must be a JSON object, got an array");
}

static void test_error_out_of_range(void **state)
{
	(void)state;
	expect_error("{" W1 ", 'alpha': 0}", BG_EINVAL,
		     "benchgate.json: \"alpha\" must be a number in (0, 1), got 0");
	expect_error("{" W1 ", 'alpha': 1}", BG_EINVAL,
		     "benchgate.json: \"alpha\" must be a number in (0, 1), got 1");
	expect_error("{" W1 ", 'min_effect': 1}", BG_EINVAL,
		     "benchgate.json: \"min_effect\" must be a number in [0, 1), got 1");
	expect_error("{" W1 ", 'max_regression': -0.25}", BG_EINVAL,
		     "benchgate.json: \"max_regression\" must be a number in [0, 1), got -0.25");
	expect_error("{" W1 ", 'generalization': 1.5}", BG_EINVAL,
		     "benchgate.json: \"generalization\" must be a number in [0, 1], got 1.5");
	expect_error("{" W1 ", 'holdout_budget': 0}", BG_EINVAL,
		     "benchgate.json: \"holdout_budget\" must be a whole number >= 1, got 0");
	expect_error("{" W1 ", 'budget': {'max_seconds': 0}}", BG_EINVAL,
		     "benchgate.json: \"budget.max_seconds\" must be a number > 0, got 0");
	expect_error("{" W1 ", 'budget': {'max_seconds': 1e400}}", BG_EINVAL,
		     "benchgate.json: \"budget.max_seconds\" must be a number > 0, "
		     "got a number too large to represent");
	expect_error("{" W1 ", 'budget': {'min_rounds': 1.5}}", BG_EINVAL,
		     "benchgate.json: \"budget.min_rounds\" must be a whole number >= 2, got 1.5");
	expect_error("{" W1 ", 'budget': {'min_rounds': 1}}", BG_EINVAL,
		     "benchgate.json: \"budget.min_rounds\" must be a whole number >= 2, got 1");
	expect_error("{" W1 ", 'budget': {'min_rounds': 1e400}}", BG_EINVAL,
		     "benchgate.json: \"budget.min_rounds\" must be a whole number >= 2, "
		     "got a number too large to represent");
	expect_error("{" W1 ", 'budget': {'max_rounds': 5e9}}", BG_EINVAL,
		     "benchgate.json: \"budget.max_rounds\" must be a whole number from 2 to "
		     "4294967295, got 5000000000");
	expect_error("{" W1 ", 'budget': {'min_rounds': 10, 'max_rounds': 9}}", BG_EINVAL,
		     "benchgate.json: \"budget.max_rounds\" must be a whole number >= "
		     "\"budget.min_rounds\" (10), got 9");
	expect_error("{" W1 ", 'budget': {'min_rounds': 600}}", BG_EINVAL,
		     "benchgate.json: \"budget.min_rounds\" must be a whole number <= "
		     "\"budget.max_rounds\" (500 by default), got 600");
	expect_error("{" W1 ", 'budget': {'warmup': -1}}", BG_EINVAL,
		     "benchgate.json: \"budget.warmup\" must be a whole number >= 0, got -1");
	expect_error("{" W1 ", 'budget': {'run_timeout': -0.5}}", BG_EINVAL,
		     "benchgate.json: \"budget.run_timeout\" must be a number >= 0, got -0.5");
	expect_error("{'workloads': [{'name': 'a', 'cmd': 'x', 'weight': 0}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].weight\" must be a number > 0, got 0");
}

static void test_error_missing_required(void **state)
{
	(void)state;
	expect_error("{}", BG_EINVAL, "benchgate.json: missing required key \"workloads\"");
	expect_error("{'alpha': 0.1}", BG_EINVAL,
		     "benchgate.json: missing required key \"workloads\"");
	expect_error("{'workloads': [{'name': 'a', 'cmd': 'x'}, {'name': 'b'}]}", BG_EINVAL,
		     "benchgate.json: missing required key \"workloads[1].cmd\"");
	expect_error("{'workloads': [{'cmd': 'x'}]}", BG_EINVAL,
		     "benchgate.json: missing required key \"workloads[0].name\"");
	expect_error("{" W1 ", 'test': {'count': 'tap'}}", BG_EINVAL,
		     "benchgate.json: missing required key \"test.cmd\"");
	expect_error("{" W1 ", 'holdout': {'workloads': [{'name': 'h', 'cmd': 'x'}]}}", BG_EINVAL,
		     "benchgate.json: missing required key \"holdout.dir\"");
	expect_error("{" W1 ", 'holdout': {'dir': 'h'}}", BG_EINVAL,
		     "benchgate.json: missing required key \"holdout.workloads\"");
}

static void test_error_empty_values(void **state)
{
	(void)state;
	expect_error("{'workloads': []}", BG_EINVAL,
		     "benchgate.json: \"workloads\" must be a non-empty array of workloads, "
		     "got an empty array");
	expect_error("{" W1 ", 'holdout': {'dir': 'h', 'workloads': []}}", BG_EINVAL,
		     "benchgate.json: \"holdout.workloads\" must be a non-empty array of "
		     "workloads, got an empty array");
	expect_error("{'workloads': [{'name': 'a', 'cmd': '  '}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].cmd\" must be a non-empty command, got \"  \"");
	expect_error("{" W1 ", 'test': {'cmd': ''}}", BG_EINVAL,
		     "benchgate.json: \"test.cmd\" must be a non-empty command, got \"\"");
	expect_error("{" W1 ", 'holdout': {'dir': '', 'workloads': [{'name': 'h', 'cmd': 'x'}]}}",
		     BG_EINVAL,
		     "benchgate.json: \"holdout.dir\" must be a non-empty directory path, got \"\"");
}

static void test_error_bad_names_and_split(void **state)
{
	(void)state;
	expect_error("{'workloads': [{'name': 'a b', 'cmd': 'x'}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].name\" must be a non-empty name of letters, "
		     "digits, '_', '.' and '-', got \"a b\"");
	expect_error("{'workloads': [{'name': '', 'cmd': 'x'}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].name\" must be a non-empty name of letters, "
		     "digits, '_', '.' and '-', got \"\"");
	expect_error("{'workloads': [{'name': 'a', 'cmd': 'x', 'split': 'holdout'}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[0].split\" must be \"train\" (held-out workloads "
		     "go under \"holdout.workloads\"), got \"holdout\"");
	expect_error("{" W1 ", 'holdout': {'dir': 'h', 'workloads': [{'name': 'h', 'cmd': 'x', "
		     "'split': 'train'}]}}", BG_EINVAL,
		     "benchgate.json: \"holdout.workloads[0].split\" must be \"holdout\" (training "
		     "workloads go under \"workloads\"), got \"train\"");
}

static void test_error_duplicate_names(void **state)
{
	(void)state;
	expect_error("{'workloads': [{'name': 'small', 'cmd': 'x'}, "
		     "{'name': 'small', 'cmd': 'y'}]}", BG_EINVAL,
		     "benchgate.json: \"workloads[1].name\" \"small\" is used twice");
	expect_error("{'workloads': [{'name': 'a', 'cmd': 'x'}, {'name': 'b', 'cmd': 'y'}], "
		     "'holdout': {'dir': 'h', 'workloads': [{'name': 'c', 'cmd': 'z'}, "
		     "{'name': 'b', 'cmd': 'w'}]}}", BG_EINVAL,
		     "benchgate.json: \"holdout.workloads[1].name\" \"b\" is used twice");
}

static void test_error_bad_protected(void **state)
{
	static const char *const bad[][2] = {
		{ "../x", "\"../x\"" }, { "/abs", "\"/abs\"" }, { "a/../b", "\"a/../b\"" },
		{ "./a", "\"./a\"" }, { "a//b", "\"a//b\"" }, { "", "\"\"" },
	};
	char json[160], msg[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{" W1 ", 'protected': ['ok/', '%s']}", bad[i][0]);
		snprintf(msg, sizeof(msg), "benchgate.json: \"protected[1]\" must be a relative "
			 "path inside the repository (not absolute, no empty, \".\" or \"..\" "
			 "parts), got %s", bad[i][1]);
		expect_error(json, BG_EINVAL, msg);
	}
	expect_error("{" W1 ", 'protected': [7]}", BG_EINVAL,
		     "benchgate.json: \"protected[0]\" must be a relative path inside the "
		     "repository (not absolute, no empty, \".\" or \"..\" parts), got a number");
}

static void test_error_bad_metric(void **state)
{
	(void)state;
	expect_error("{" W1 ", 'metric': {'name': 'a b'}}", BG_EINVAL,
		     "benchgate.json: \"metric.name\" must be a built-in metric (wall, cpu, user, "
		     "sys, maxrss, instructions, cycles) or a METRIC name of letters, digits, "
		     "'_', '.' and 'µ', got \"a b\"");
	expect_prefix("{" W1 ", 'metric': {'name': 'x=1'}}",
		      "benchgate.json: \"metric.name\" must be a built-in metric");
	expect_error("{" W1 ", 'metric': {'direction': 'down'}}", BG_EINVAL,
		     "benchgate.json: \"metric.direction\" must be \"lower\" or \"higher\", "
		     "got \"down\"");
}

static void test_error_bad_count_and_pin(void **state)
{
	(void)state;
	expect_error("{" W1 ", 'test': {'cmd': 'x', 'count': 'junit'}}", BG_EINVAL,
		     "benchgate.json: \"test.count\" must be one of \"cmocka\", \"tap\", "
		     "\"pytest\", \"passed\" or \"regex:<POSIX extended regex with one group>\", "
		     "got \"junit\"");
	expect_error("{" W1 ", 'test': {'cmd': 'x', 'count': 'regex:([0-9]+) of ([0-9]+)'}}",
		     BG_EINVAL,
		     "benchgate.json: \"test.count\" must be one of \"cmocka\", \"tap\", "
		     "\"pytest\", \"passed\" or \"regex:<POSIX extended regex with one group>\", "
		     "got \"regex:([0-9]+) of ([0-9]+)\" (it has 2 groups)");
	expect_error("{" W1 ", 'test': {'cmd': 'x', 'count': 'regex:[0-9]+'}}", BG_EINVAL,
		     "benchgate.json: \"test.count\" must be one of \"cmocka\", \"tap\", "
		     "\"pytest\", \"passed\" or \"regex:<POSIX extended regex with one group>\", "
		     "got \"regex:[0-9]+\" (it has 0 groups)");
	expect_prefix("{" W1 ", 'test': {'cmd': 'x', 'count': 'regex:(['}}",
		      "benchgate.json: \"test.count\" must be one of");
	for (const char *const *p = (const char *const[]){ "x", "1,", ",1", "-1", "1,2,3",
							   "Auto", "123456", NULL }; *p; p++) {
		char json[128], msg[256];

		snprintf(json, sizeof(json), "{" W1 ", 'pin': '%s'}", *p);
		snprintf(msg, sizeof(msg), "benchgate.json: \"pin\" must be \"auto\", \"none\" or "
			 "\"C[,H]\" (PU numbers for the child and the harness), got \"%s\"", *p);
		expect_error(json, BG_EINVAL, msg);
	}
}

static void test_error_invalid_json(void **state)
{
	(void)state;
	expect_error("{\n  'workloads': [],\n  'alpha': 0.5x,\n  'pin': 'auto'\n}", BG_EPARSE,
		     "benchgate.json: not valid JSON near line 3: unexpected \"x,\"");
	expect_error("{\n'workloads': [\n{'name': 'a', 'cmd': 'x'}\n]\n", BG_EPARSE,
		     "benchgate.json: not valid JSON near line 5: unexpected end of text "
		     "(a missing '}' or ']'?)");
	expect_error("{'alpha': 0.1}\n\n{}", BG_EPARSE,
		     "benchgate.json: not valid JSON near line 3: unexpected \"{}\"");
	expect_error("", BG_EPARSE,
		     "benchgate.json: not valid JSON near line 1: unexpected end of text "
		     "(a missing '}' or ']'?)");
}

/* ---- files --------------------------------------------------------------- */

static char tmpdir[] = "/tmp/bg_test_config.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (git_libgit2_init() < 0 || mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/benchgate.json", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nul.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	git_libgit2_shutdown();
	return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	char path[256], *text = sq(FULL);
	lp_config *a = NULL, *b = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/benchgate.json", tmpdir);
	write_file(path, text, strlen(text));
	assert_int_equal(lp_config_load(&a, path), 0);
	assert_string_equal(a->path, path);
	assert_int_equal(lp_config_parse(&b, text, NULL), 0);
	assert_string_equal(b->path, "benchgate.json");
	assert_config_equal(a, b);
	free(text);
	lp_config_free(a);
	lp_config_free(b);
}

static void test_load_errors(void **state)
{
	static lp_config sentinel;
	char path[256], want[512], *text;
	lp_config *c = &sentinel;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
	assert_int_equal(lp_config_load(&c, path), BG_ESYS);
	snprintf(want, sizeof(want), "cannot read %s: %s", path, strerror(ENOENT));
	assert_string_equal(bg_error_last(), want);
	assert_int_equal(lp_config_load(&c, tmpdir), BG_ESYS);
	snprintf(want, sizeof(want), "cannot read %s: %s", tmpdir, strerror(EISDIR));
	assert_string_equal(bg_error_last(), want);
	/* The file's path, not "benchgate.json", names it in messages. */
	snprintf(path, sizeof(path), "%s/nul.json", tmpdir);
	write_file(path, "{\n\"a\": 1\0}", 10);
	assert_int_equal(lp_config_load(&c, path), BG_EPARSE);
	snprintf(want, sizeof(want), "%s: not valid JSON near line 2: unexpected NUL byte", path);
	assert_string_equal(bg_error_last(), want);
	text = sq("{" W1 ", 'alpha': 2}");
	write_file(path, text, strlen(text));
	free(text);
	assert_int_equal(lp_config_load(&c, path), BG_EINVAL);
	snprintf(want, sizeof(want), "%s: \"alpha\" must be a number in (0, 1), got 2", path);
	assert_string_equal(bg_error_last(), want);
	/* Past 4 MiB it is not a configuration. */
	text = malloc((4u << 20) + 2);
	assert_non_null(text);
	memset(text, ' ', (4u << 20) + 1);
	write_file(path, text, (4u << 20) + 1);
	free(text);
	assert_int_equal(lp_config_load(&c, path), BG_EINVAL);
	snprintf(want, sizeof(want), "%s: larger than 4 MiB; is it the right file?", path);
	assert_string_equal(bg_error_last(), want);
	assert_ptr_equal(c, &sentinel);
}

/* A file read in several chunks (leading whitespace beyond the first). */
static void test_load_large_valid_file(void **state)
{
	char path[256], *text = malloc(20000), *json = sq("{" W1 "}");
	lp_config *c = NULL;

	(void)state;
	assert_non_null(text);
	memset(text, '\n', 19000);
	strcpy(text + 19000, json);
	snprintf(path, sizeof(path), "%s/benchgate.json", tmpdir);
	write_file(path, text, strlen(text));
	assert_int_equal(lp_config_load(&c, path), 0);
	assert_string_equal(c->workloads[0].cmd, "./tool a");
	lp_config_free(c);
	free(text);
	free(json);
}

/* ---- protected always holds benchgate.json, once ------------------------- */

static void test_protected_has_config_once(void **state)
{
	static const char *const cases[] = {
		"{" W1 "}",
		"{" W1 ", 'protected': []}",
		"{" W1 ", 'protected': ['bench/']}",
		"{" W1 ", 'protected': ['benchgate.json']}",
		"{" W1 ", 'protected': ['benchgate.json', 'x', 'benchgate.json']}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lp_config *c = parse_ok(cases[i]), *again = NULL;
		char *text = lp_config_to_json(c);

		assert_int_equal(count_protected(c, "benchgate.json"), 1);
		assert_int_equal(lp_config_parse(&again, text, NULL), 0);
		assert_int_equal(count_protected(again, "benchgate.json"), 1);
		assert_int_equal(again->nprotected, c->nprotected);
		free(text);
		lp_config_free(c);
		lp_config_free(again);
	}
	lp_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config_fields),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_printed_defaults),
		cmocka_unit_test(test_hash_ignores_order_whitespace_defaults),
		cmocka_unit_test(test_hash_changes_with_every_field),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_metric_regex),
		cmocka_unit_test(test_secondary),
		cmocka_unit_test(test_metric_aggregate),
		cmocka_unit_test(test_metric_effect),
		cmocka_unit_test(test_metric_range),
		cmocka_unit_test(test_duel),
		cmocka_unit_test(test_hash_is_git_blob_id),
		cmocka_unit_test(test_accepted_edges),
		cmocka_unit_test(test_error_unknown_key_top),
		cmocka_unit_test(test_error_unknown_key_nested),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_error_wrong_types),
		cmocka_unit_test(test_error_out_of_range),
		cmocka_unit_test(test_error_missing_required),
		cmocka_unit_test(test_error_empty_values),
		cmocka_unit_test(test_error_bad_names_and_split),
		cmocka_unit_test(test_error_duplicate_names),
		cmocka_unit_test(test_error_bad_protected),
		cmocka_unit_test(test_error_bad_metric),
		cmocka_unit_test(test_error_bad_count_and_pin),
		cmocka_unit_test(test_error_invalid_json),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_large_valid_file),
		cmocka_unit_test(test_protected_has_config_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
