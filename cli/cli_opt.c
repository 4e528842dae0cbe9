/* cli_opt: option tables, parsed with getopt_long and printed as help
 * (see cli_opt.h). */
#include "cli_opt.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Options of one table at most, -h/--help included. */
#define MAX_OPTS 64
/* getopt_long's value for a long option without a short name: its index
 * in the table plus this. */
#define LONG_ONLY 256

typedef struct {
	struct option longs[MAX_OPTS + 1];
	const cli_opt *of[MAX_OPTS + 1];   /* the table entry of longs[i] */
	char shorts[2 * MAX_OPTS + 3];
} getopt_tables;

static int takes_value(const cli_opt *o)
{
	return o->type != CLI_OPT_SWITCH;
}

/* The getopt_long tables of opts, -h/--help appended. Returns the number of
 * options, -1 when the table is too long (a programming error). */
static int tables_build(getopt_tables *t, const cli_opt *opts)
{
	char *s = t->shorts;
	int n = 0;

	*s++ = ':';   /* a missing value is ':', not '?' */
	for (const cli_opt *o = opts; o->type != CLI_OPT_END; o++) {
		if (o->type == CLI_OPT_GROUP)
			continue;
		if (n == MAX_OPTS)
			return -1;
		t->longs[n] = (struct option){ o->name, takes_value(o) ? required_argument : no_argument,
					       NULL, o->alias ? o->alias : LONG_ONLY + n };
		t->of[n++] = o;
		if (o->alias) {
			*s++ = o->alias;
			if (takes_value(o))
				*s++ = ':';
		}
	}
	t->longs[n] = (struct option){ "help", no_argument, NULL, 'h' };
	t->of[n++] = NULL;
	t->longs[n] = (struct option){ NULL, 0, NULL, 0 };
	*s++ = 'h';
	*s = '\0';
	return n;
}

static const cli_opt *tables_find(const getopt_tables *t, int n, int c)
{
	if (c >= LONG_ONLY && c < LONG_ONLY + n)
		return t->of[c - LONG_ONLY];
	for (int i = 0; i < n; i++)
		if (t->of[i] && t->of[i]->alias == c)
			return t->of[i];
	return NULL;
}

static int value_error(const cli_opt_help *h, const cli_opt *o, const char *arg, const char *what)
{
	fprintf(stderr, "benchgate: %s: --%s: expected %s, got \"%s\"\n", h->cmd, o->name, what, arg);
	cli_opt_usage_fprint(stderr, h);
	return CLI_EXIT_ERROR;
}

static int set_double(const cli_opt_help *h, const cli_opt *o, const char *arg)
{
	char *end, what[96];
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v) || v < o->min || v > o->max) {
		snprintf(what, sizeof(what), "a number in [%g, %g]", o->min, o->max);
		return value_error(h, o, arg, what);
	}
	*(double *)o->value = v;
	return -1;
}

static int set_uint(const cli_opt_help *h, const cli_opt *o, const char *arg)
{
	char *end, what[96];
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE || arg[0] == '-' ||
	    (double)v < o->min || (double)v > o->max) {
		snprintf(what, sizeof(what), "a whole number in [%.0f, %.0f]", o->min, o->max);
		return value_error(h, o, arg, what);
	}
	*(unsigned *)o->value = (unsigned)v;
	return -1;
}

static int set_u64(const cli_opt_help *h, const cli_opt *o, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (end == arg || *end != '\0' || errno == ERANGE || arg[0] == '-')
		return value_error(h, o, arg, "a non-negative whole number");
	*(unsigned long long *)o->value = v;
	return -1;
}

/* The index of arg among the '|'-separated words of o->value_name. */
static int set_choice(const cli_opt_help *h, const cli_opt *o, const char *arg)
{
	const char *w = o->value_name, *bar;
	char what[160];
	size_t len = strlen(arg), k = 0;

	for (int i = 0; w; i++, w = bar ? bar + 1 : NULL) {
		bar = strchr(w, '|');
		if ((bar ? (size_t)(bar - w) : strlen(w)) == len && strncmp(w, arg, len) == 0) {
			*(int *)o->value = i;
			return -1;
		}
	}
	for (w = o->value_name; *w && k + 5 < sizeof(what); w++) {
		if (*w == '|') {
			memcpy(what + k, " or ", 4);
			k += 4;
		} else {
			what[k++] = *w;
		}
	}
	what[k] = '\0';
	return value_error(h, o, arg, what);
}

/* Stores the option's value; -1 to go on, else the exit code. */
static int opt_set(const cli_opt_help *h, const cli_opt *o, const char *arg)
{
	if (o->given)
		*o->given = 1;
	switch (o->type) {
	case CLI_OPT_SWITCH: *(int *)o->value = 1; return -1;
	case CLI_OPT_STRING: *(const char **)o->value = arg; return -1;
	case CLI_OPT_DOUBLE: return set_double(h, o, arg);
	case CLI_OPT_UINT: return set_uint(h, o, arg);
	case CLI_OPT_U64: return set_u64(h, o, arg);
	case CLI_OPT_CHOICE: return set_choice(h, o, arg);
	default: return -1;
	}
}

int cli_opt_parse(int *next, const cli_opt *opts, const cli_opt_help *help, int argc, char **argv)
{
	getopt_tables t;
	const cli_opt *o;
	int n = tables_build(&t, opts), c, rc;

	if (n < 0)
		return cli_error("%s: too many options in the table", help->cmd);
	optind = 0;   /* 0, not 1: glibc forgets a half-read option cluster */
	opterr = 0;
	while ((c = getopt_long(argc, argv, t.shorts, t.longs, NULL)) != -1) {
		if (c == 'h' && (o = tables_find(&t, n, c)) == NULL) {
			cli_opt_help_fprint(stdout, opts, help);
			return CLI_EXIT_OK;
		}
		if (c == ':')
			return cli_opt_usage_error(help, "option %s needs a value", argv[optind - 1]);
		if (c == '?' || (o = tables_find(&t, n, c)) == NULL)
			return cli_opt_usage_error(help, "unknown option \"%s\"", argv[optind - 1]);
		if ((rc = opt_set(help, o, optarg)) >= 0)
			return rc;
	}
	*next = optind;
	return -1;
}

/* ---- help --------------------------------------------------------------- */

/* "  -c, --candidate REV" or "      --config FILE". */
static int opt_left(char *buf, size_t size, const char *name, char alias, const char *value_name)
{
	return snprintf(buf, size, "  %c%c%s--%s%s%s", alias ? '-' : ' ', alias ? alias : ' ',
			alias ? ", " : "  ", name, value_name ? " " : "", value_name ? value_name : "");
}

/* The help lines of one option, the first beside its names when they fit. */
static void opt_fprint(FILE *f, const char *name, char alias, const char *value_name, const char *text)
{
	char left[128];
	int w = opt_left(left, sizeof(left), name, alias, value_name);
	const char *line = text, *nl;

	if (w + 2 > CLI_OPT_HELP_COLUMN)
		fprintf(f, "%s\n%*s", left, CLI_OPT_HELP_COLUMN, "");
	else
		fprintf(f, "%-*s", CLI_OPT_HELP_COLUMN, left);
	while ((nl = strchr(line, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - line), line, CLI_OPT_HELP_COLUMN, "");
		line = nl + 1;
	}
	fprintf(f, "%s\n", line);
}

void cli_opt_help_fprint(FILE *f, const cli_opt *opts, const cli_opt_help *help)
{
	fprintf(f, "usage: %s %s\n\n", help->prog ? help->prog : "benchgate", help->usage);
	if (help->about)
		fprintf(f, "%s\n", help->about);
	for (const cli_opt *o = opts; o->type != CLI_OPT_END; o++) {
		if (o->type == CLI_OPT_GROUP && o->help[0] == '\0')
			fputc('\n', f);   /* a blank line: a group without a title */
		else if (o->type == CLI_OPT_GROUP)
			fprintf(f, "%s%s\n", o == opts ? "" : "\n", o->help);
		else
			opt_fprint(f, o->name, o->alias, takes_value(o) ? o->value_name : NULL, o->help);
	}
	opt_fprint(f, "help", 'h', NULL, "this help");
	if (help->after)
		fprintf(f, "\n%s", help->after);
}

void cli_opt_usage_fprint(FILE *f, const cli_opt_help *help)
{
	if (help->prog)
		fprintf(f, "usage: %s %s\ntry '%s --help' for the options\n", help->prog, help->usage,
			help->prog);
	else
		fprintf(f, "usage: benchgate %s\ntry 'benchgate %s --help' for the options\n", help->usage,
			help->cmd);
}

int cli_opt_usage_error(const cli_opt_help *help, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "benchgate: %s: ", help->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_opt_usage_fprint(stderr, help);
	return CLI_EXIT_ERROR;
}
