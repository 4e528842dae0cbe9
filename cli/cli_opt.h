/* cli_opt: a command's options, declared once as a table that both the
 * parser and --help read, so the help cannot drift from what is parsed
 * (libgit2's src/cli/opt.h is the model).
 *
 *   const cli_opt opts[] = {
 *       CLI_GROUP("Sampling:"),
 *       { CLI_OPT_UINT, "warmup", 'w', &o->warmup, "N", "warm-up rounds (default 2)", 0, 1e6 },
 *       { CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "no progress" },
 *       CLI_END
 *   };
 *   rc = cli_opt_parse(&next, opts, &help, argc, argv);
 *
 * Parsing is getopt_long's (options and operands may mix; "--" ends the
 * options); -h/--help is added to every table. */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <stdio.h>

typedef enum {
	CLI_OPT_END = 0,   /* ends the table */
	CLI_OPT_SWITCH,    /* no value: *(int *)value = 1 */
	CLI_OPT_STRING,    /* *(const char **)value = the argument (borrowed from argv) */
	CLI_OPT_DOUBLE,    /* *(double *)value, a finite number in [min, max] */
	CLI_OPT_UINT,      /* *(unsigned *)value, a whole number in [min, max] */
	CLI_OPT_U64,       /* *(unsigned long long *)value, a whole number >= 0 */
	CLI_OPT_CHOICE,    /* *(int *)value = the index of the argument among the
			    * '|'-separated words of value_name ("lower|higher") */
	CLI_OPT_GROUP      /* not an option: a heading in the help (help is its text) */
} cli_opt_type;

typedef struct {
	cli_opt_type type;
	const char *name;        /* the long name, without "--" */
	char alias;              /* the short name, 0 for none */
	void *value;             /* where the value goes (see the types) */
	const char *value_name;  /* shown in the help: "SEC", "REV", "auto|none|C[,H]" */
	const char *help;        /* one or more lines ('\n' between them) */
	double min, max;         /* the range of CLI_OPT_DOUBLE and CLI_OPT_UINT */
	int *given;              /* NULL, or set to 1 when the option appears */
} cli_opt;

#define CLI_GROUP(title) { CLI_OPT_GROUP, NULL, 0, NULL, NULL, (title), 0, 0, NULL }
#define CLI_END { CLI_OPT_END, NULL, 0, NULL, NULL, NULL, 0, 0, NULL }

/* What --help says around the option list. */
typedef struct {
	const char *cmd;         /* the subcommand's name, e.g. "gate" */
	const char *usage;       /* after "usage: benchgate ", e.g. "gate [options]" */
	const char *about;       /* the paragraphs before the options (may be NULL) */
	const char *after;       /* the paragraphs after them, e.g. the exit status */
	const char *prog;        /* NULL: "benchgate"; else a program of its own
				  * (eval/), whose usage line names it alone */
} cli_opt_help;

/* The column at which option help starts. */
#define CLI_OPT_HELP_COLUMN 24

/* Parses argv[1..argc) by opts. Returns -1 when the command should go on,
 * with *next the index of the first operand (operands are moved behind the
 * options, as getopt_long does); else the exit code to return at once:
 * 0 after printing the help to stdout (-h, --help), 2 after a usage error
 * ("benchgate: CMD: option --x needs a value", "unknown option", a value
 * out of range) printed with the short usage to stderr. A switch or value
 * given twice keeps the last. */
int cli_opt_parse(int *next, const cli_opt *opts, const cli_opt_help *help, int argc, char **argv);

/* The full help: "usage: benchgate USAGE", about, the options (a group's
 * title on a line of its own), after. */
void cli_opt_help_fprint(FILE *f, const cli_opt *opts, const cli_opt_help *help);

/* The two-line usage for errors: "usage: benchgate USAGE" and where the
 * help is. */
void cli_opt_usage_fprint(FILE *f, const cli_opt_help *help);

/* Reports a usage error found after parsing (two options that exclude each
 * other, a missing operand): "benchgate: CMD: <message>" and the short
 * usage on stderr. Returns 2. */
int cli_opt_usage_error(const cli_opt_help *help, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
