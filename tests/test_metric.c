/* test_metric: METRIC line parsing — valid, malformed, huge and non-finite
 * values, names with µ, and lines that only look alike. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <stdio.h>

#include "bg_fixture.h"
#include "smp_metric.h"
#include "bg_error.h"

static void parse(smp_metrics *m, const char *text)
{
	assert_int_equal(smp_metrics_parse(m, text, strlen(text)), 0);
}

static double value(const smp_metrics *m, const char *name)
{
	const smp_metric *it = smp_metrics_find(m, name);

	assert_non_null(it);
	return it->value;
}

static void test_valid_lines(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	parse(&m, "hello\nMETRIC total_ms=15.5\nMETRIC  rate.per_s=-2e3\nMETRIC total_µs=15200\r\nMETRIC x=7\n"
		  "  METRIC indented=1\n");
	assert_int_equal(m.n, 4);
	assert_true(value(&m, "total_ms") == 15.5);
	assert_true(value(&m, "rate.per_s") == -2000.0);
	assert_null(smp_metrics_find(&m, "indented")); /* pi: "METRIC" starts the line */
	assert_true(value(&m, "total_µs") == 15200.0);
	assert_true(value(&m, "x") == 7.0);
	assert_int_equal(m.malformed, 0);
	smp_metrics_clear(&m);
	assert_int_equal(m.n, 0);
}

static void test_last_value_wins(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	parse(&m, "METRIC a=1\nMETRIC b=2\nMETRIC a=3\n");
	assert_int_equal(m.n, 2);
	assert_true(value(&m, "a") == 3.0);
	smp_metrics_clear(&m);
}

static void test_malformed_are_counted_not_fatal(void **state)
{
	static const char *bad[] = {
		"METRIC \n", "METRIC =5\n", "METRIC name\n", "METRIC name=\n",
		"METRIC name=abc\n", "METRIC name=5x\n", "METRIC na me=5\n",
		"METRIC name= 5\n", "METRIC n@me=5\n", "METRIC name=1 2\n",
	};
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse(&m, bad[i]);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.malformed, sizeof(bad) / sizeof(bad[0]));
	assert_non_null(strstr(m.first_problem, "without name=value"));
	smp_metrics_clear(&m);
}

static void test_non_finite_and_huge(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	parse(&m, "METRIC a=nan\nMETRIC b=inf\nMETRIC c=-Infinity\nMETRIC d=1e400\nMETRIC e=1e300\n");
	assert_int_equal(m.malformed, 4);
	assert_int_equal(m.n, 1);
	assert_true(value(&m, "e") == 1e300);
	assert_non_null(strstr(m.first_problem, "finite"));
	smp_metrics_clear(&m);
}

static void test_lookalikes_ignored(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	parse(&m, "METRICS a=1\nmetric b=2\n# METRIC c=3\nMETRIC_d=4\n");
	assert_int_equal(m.n, 0);
	assert_int_equal(m.malformed, 0);
	smp_metrics_clear(&m);
}

static void test_long_name_and_huge_buffer(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;
	size_t big = 4u << 20;
	char *buf = malloc(big + 64), line[200];

	(void)state;
	memset(line, 'n', sizeof(line));
	memcpy(line, "METRIC ", 7);
	strcpy(line + 7 + 100, "=1\n");
	parse(&m, line);
	assert_int_equal(m.malformed, 0); /* 100 bytes: a name pi reads too */
	assert_int_equal(m.n, 1);
	smp_metrics_clear(&m);
	{
		char *l = malloc(400);

		assert_non_null(l);
		memset(l, 'n', 400);
		memcpy(l, "METRIC ", 7);
		strcpy(l + 7 + 300, "=1\n");
		parse(&m, l);
		free(l);
	}
	assert_int_equal(m.malformed, 1);
	assert_non_null(strstr(m.first_problem, "too long"));

	/* 4 MiB of one unterminated line, then a metric: scanned, not crashed. */
	assert_non_null(buf);
	memset(buf, 'x', big);
	strcpy(buf + big, "\nMETRIC ok=2\n");
	assert_int_equal(smp_metrics_parse(&m, buf, strlen(buf)), 0);
	assert_true(value(&m, "ok") == 2.0);
	free(buf);
	smp_metrics_clear(&m);
}

static void test_not_nul_terminated(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;
	char buf[] = { 'M', 'E', 'T', 'R', 'I', 'C', ' ', 'a', '=', '4', '2', '9' };

	(void)state;
	/* Only the first 11 bytes count: "METRIC a=42". */
	assert_int_equal(smp_metrics_parse(&m, buf, 11), 0);
	assert_true(value(&m, "a") == 42.0);
	smp_metrics_clear(&m);
}

static void test_name_validity(void **state)
{
	char longname[300];

	(void)state;
	assert_true(smp_metric_name_valid("wall_µs"));
	assert_true(smp_metric_name_valid("a.b_c9"));
	assert_false(smp_metric_name_valid("wall_\xCE\xBCs")); /* Greek mu: not in pi's [\\w.µ] */
	assert_false(smp_metric_name_valid(""));
	assert_false(smp_metric_name_valid("bad name"));
	assert_false(smp_metric_name_valid("x=1"));
	assert_false(smp_metric_name_valid("\xC2"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(smp_metric_name_valid(longname));
	smp_metrics_clear(NULL);
}

/* Every line of scripts/fixtures_metric.mjs read as pi-autoresearch's own
 * parser (run by node) read it: the same name and value, or nothing. */
static void test_as_pi_reads_them(void **state)
{
	cJSON *root = bg_fx_load_json(BG_TEST_FIXTURES "/metric_pi_reference.json", "scripts/fixtures_metric.mjs");
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases"), *c;
	size_t n = 0;

	(void)state;
	assert_true(cJSON_GetArraySize(cases) >= 30);
	cJSON_ArrayForEach(c, cases) {
		const char *line = cJSON_GetObjectItemCaseSensitive(c, "line")->valuestring;
		smp_metrics m = SMP_METRICS_INIT;
		char buf[512];

		snprintf(buf, sizeof(buf), "%s\n", line);
		parse(&m, buf);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "parsed"))) {
			const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
			if (m.n != 1 || strcmp(m.items[0].name, name) != 0 ||
			    m.items[0].value != bg_fx_get_num(c, "value"))
				fail_msg("\"%s\": pi reads %s=%.17g, benchgate %zu metric(s)", line, name,
					 bg_fx_get_num(c, "value"), m.n);
		} else if (m.n != 0) {
			fail_msg("\"%s\": pi reads nothing, benchgate %s=%.17g", line, m.items[0].name,
				 m.items[0].value);
		}
		smp_metrics_clear(&m);
		n++;
	}
	assert_true(n >= 30);
	cJSON_Delete(root);
}

/* metric.regex: the last matching line wins, blanks around the group are
 * allowed, a non-number is counted as malformed, no match says so. */
static void test_regex_metric(void **state)
{
	static const char out[] = "step 00953 (100.0%) | loss: 3.2 | val_bpb: 9\n---\n"
				  "val_bpb:          0.997900\ntraining_seconds: 300.1\n";
	smp_metric_regex *re = NULL, *bad = NULL;
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	assert_int_equal(smp_metric_regex_new(&re, "val_bpb", "^val_bpb:(.*)$"), 0);
	assert_int_equal(smp_metrics_parse_regex(&m, re, out, strlen(out)), 1);
	assert_true(value(&m, "val_bpb") == 0.9979);   /* not the 9 mid-line: ^ is a line's start */
	assert_int_equal(m.malformed, 0);
	assert_int_equal(smp_metrics_parse_regex(&m, re, "x\nval_bpb: 1.5\nval_bpb: 1.25\n", 27), 1);
	assert_true(value(&m, "val_bpb") == 1.25);     /* the last line wins */
	assert_int_equal(smp_metrics_parse_regex(&m, re, "nothing here\n", 13), 0);
	assert_true(value(&m, "val_bpb") == 1.25);     /* no match changes nothing */
	assert_int_equal(smp_metrics_parse_regex(&m, re, "val_bpb: nan\n", 13), 1);
	assert_int_equal(m.malformed, 1);
	assert_non_null(strstr(m.first_problem, "not a finite number"));
	assert_true(value(&m, "val_bpb") == 1.25);
	assert_int_equal(smp_metrics_parse_regex(&m, re, "", 0), 0);
	smp_metrics_clear(&m);
	assert_int_equal(smp_metric_regex_new(&bad, "val_bpb", "val_bpb"), BG_EINVAL);
	assert_int_equal(smp_metric_regex_new(&bad, "val_bpb", "(a)(b)"), BG_EINVAL);
	assert_int_equal(smp_metric_regex_new(&bad, "cpu", "(a)"), BG_EINVAL);
	assert_int_equal(smp_metric_regex_new(&bad, "bad name", "(a)"), BG_EINVAL);
	assert_int_equal(smp_metric_regex_new(&bad, "v", "(a"), BG_EINVAL);
	assert_null(bad);
	smp_metric_regex_free(re);
	smp_metric_regex_free(NULL);
}

/* metric.aggregate: several values of one name in one run. */
static void test_aggregate(void **state)
{
	smp_metrics m = SMP_METRICS_INIT;

	(void)state;
	parse(&m, "METRIC t=1\nMETRIC u=7\nMETRIC t=10\nMETRIC t=4\nMETRIC t=6\n");
	assert_int_equal(value(&m, "t") == 6.0, 1);   /* the last, as pi reads it */
	assert_int_equal(smp_metrics_find(&m, "t")->nvalues, 4);
	assert_int_equal(smp_metrics_aggregate(&m, SMP_AGG_LAST), 0);
	assert_true(value(&m, "t") == 6.0);
	assert_int_equal(smp_metrics_aggregate(&m, SMP_AGG_MEAN), 0);
	assert_true(value(&m, "t") == 5.25);
	assert_int_equal(smp_metrics_aggregate(&m, SMP_AGG_MEDIAN), 0);
	assert_true(value(&m, "t") == 5.0);           /* (4 + 6) / 2: an even count */
	assert_true(value(&m, "u") == 7.0);           /* one value: itself */
	parse(&m, "METRIC t=100\n");
	assert_int_equal(smp_metrics_aggregate(&m, SMP_AGG_MEDIAN), 0);
	assert_true(value(&m, "t") == 6.0);           /* 1 4 6 10 100 */
	smp_metrics_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_lines),
		cmocka_unit_test(test_last_value_wins),
		cmocka_unit_test(test_malformed_are_counted_not_fatal),
		cmocka_unit_test(test_non_finite_and_huge),
		cmocka_unit_test(test_lookalikes_ignored),
		cmocka_unit_test(test_long_name_and_huge_buffer),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_name_validity),
		cmocka_unit_test(test_as_pi_reads_them),
		cmocka_unit_test(test_regex_metric),
		cmocka_unit_test(test_aggregate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
