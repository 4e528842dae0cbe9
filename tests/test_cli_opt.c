/* Tests of the option tables (cli/cli_opt.h): what the parser stores, the
 * exit codes of help and of usage errors, and that --help is printed from
 * the same table the parser reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli.h"
#include "cli_opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int quiet, direction, seeded;
	const char *config;
	double time;
	unsigned rounds;
	unsigned long long seed;
} opts_seen;

static const cli_opt_help test_help = {
	"test", "test [options] CMD", "About the test command.\n", "Exit status: 0.\n", NULL
};

/* Parses argv (NULL-terminated) with the table every test uses. */
static int parse(opts_seen *o, int *next, char **argv)
{
	int argc = 0;
	const cli_opt opts[] = {
		CLI_GROUP("Group one:"),
		{ CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "no output", 0, 0, NULL },
		{ CLI_OPT_STRING, "config", 'c', &o->config, "FILE", "the config", 0, 0, NULL },
		{ CLI_OPT_DOUBLE, "time", 't', &o->time, "SEC", "a budget\non two lines", 0.5, 10, NULL },
		CLI_GROUP("Group two:"),
		{ CLI_OPT_UINT, "rounds", 0, &o->rounds, "N", "rounds", 2, 100, NULL },
		{ CLI_OPT_U64, "seed", 0, &o->seed, "N", "a seed", 0, 0, &o->seeded },
		{ CLI_OPT_CHOICE, "direction", 0, &o->direction, "lower|higher", "which way", 0, 0, NULL },
		CLI_END
	};

	while (argv[argc])
		argc++;
	memset(o, 0, sizeof(*o));
	o->direction = -1;
	*next = -7;
	return cli_opt_parse(next, opts, &test_help, argc, argv);
}

static void test_values_stored(void **unused)
{
	char *argv[] = { "test", "-q", "--config", "a.json", "CMD", "-t", "2.5", "--rounds=7",
			 "--seed", "0x10", "--direction", "higher", NULL };
	opts_seen o;
	int next;

	(void)unused;
	assert_int_equal(parse(&o, &next, argv), -1);
	assert_int_equal(o.quiet, 1);
	assert_string_equal(o.config, "a.json");
	assert_true(o.time == 2.5);
	assert_int_equal(o.rounds, 7);
	assert_int_equal(o.seed, 16);
	assert_int_equal(o.seeded, 1);
	assert_int_equal(o.direction, 1);
	/* The operand is moved behind the options. */
	assert_int_equal(next, 11);
	assert_string_equal(argv[next], "CMD");
}

static void test_defaults_untouched(void **unused)
{
	char *argv[] = { "test", "--", "-q", NULL };
	opts_seen o;
	int next;

	(void)unused;
	assert_int_equal(parse(&o, &next, argv), -1);
	assert_int_equal(o.quiet, 0);          /* after "--" it is an operand */
	assert_int_equal(o.seeded, 0);
	assert_int_equal(o.direction, -1);
	assert_null(o.config);
	assert_int_equal(next, 2);
	assert_string_equal(argv[next], "-q");
}

static void test_usage_errors(void **unused)
{
	char *unknown[] = { "test", "--bogus", NULL };
	char *missing[] = { "test", "--config", NULL };
	char *range[] = { "test", "-t", "11", NULL };
	char *notnum[] = { "test", "--rounds", "7x", NULL };
	char *negative[] = { "test", "--seed", "-1", NULL };
	char *choice[] = { "test", "--direction", "up", NULL };
	char *below[] = { "test", "--rounds", "1", NULL };
	opts_seen o;
	int next;

	(void)unused;
	assert_int_equal(parse(&o, &next, unknown), CLI_EXIT_ERROR);
	assert_int_equal(parse(&o, &next, missing), CLI_EXIT_ERROR);
	assert_int_equal(parse(&o, &next, range), CLI_EXIT_ERROR);
	assert_true(o.time == 0.0);            /* a value out of range is not stored */
	assert_int_equal(parse(&o, &next, notnum), CLI_EXIT_ERROR);
	assert_int_equal(parse(&o, &next, negative), CLI_EXIT_ERROR);
	assert_int_equal(parse(&o, &next, choice), CLI_EXIT_ERROR);
	assert_int_equal(o.direction, -1);
	assert_int_equal(parse(&o, &next, below), CLI_EXIT_ERROR);
	assert_int_equal(next, -7);            /* *next is written only to go on */
}

static void test_help_exit(void **unused)
{
	char *argv[] = { "test", "--rounds", "5", "-h", NULL };
	opts_seen o;
	int next;

	(void)unused;
	assert_int_equal(parse(&o, &next, argv), CLI_EXIT_OK);
}

/* The help of a table: every option, its value name, its help lines at the
 * help column, the groups, the text around them. */
static void test_help_from_table(void **unused)
{
	opts_seen o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const cli_opt opts[] = {
		CLI_GROUP("Group one:"),
		{ CLI_OPT_SWITCH, "quiet", 'q', &o.quiet, NULL, "no output", 0, 0, NULL },
		{ CLI_OPT_DOUBLE, "time", 't', &o.time, "SEC", "a budget\non two lines", 0.5, 10, NULL },
		{ CLI_OPT_CHOICE, "direction-of-the-change", 0, &o.direction, "lower|higher", "which way", 0, 0, NULL },
		CLI_END
	};

	(void)unused;
	assert_non_null(f);
	cli_opt_help_fprint(f, opts, &test_help);
	fclose(f);
	assert_non_null(strstr(buf, "usage: benchgate test [options] CMD\n\nAbout the test command.\n"));
	assert_non_null(strstr(buf, "Group one:\n  -q, --quiet           no output\n"));
	assert_non_null(strstr(buf, "  -t, --time SEC        a budget\n                        on two lines\n"));
	/* Names too long for the column put the help on the next line. */
	assert_non_null(strstr(buf, "      --direction-of-the-change lower|higher\n                        which way\n"));
	assert_non_null(strstr(buf, "  -h, --help            this help\n\nExit status: 0.\n"));
	free(buf);
}

static void test_usage_line(void **unused)
{
	static const cli_opt_help prog_help = { "peers", "table [options]", NULL, NULL, "peers" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)unused;
	assert_non_null(f);
	cli_opt_usage_fprint(f, &test_help);
	cli_opt_usage_fprint(f, &prog_help);
	fclose(f);
	assert_string_equal(buf, "usage: benchgate test [options] CMD\n"
				 "try 'benchgate test --help' for the options\n"
				 "usage: peers table [options]\n"
				 "try 'peers --help' for the options\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_stored),
		cmocka_unit_test(test_defaults_untouched),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_exit),
		cmocka_unit_test(test_help_from_table),
		cmocka_unit_test(test_usage_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
