/* main: the benchgate command line — a table of subcommands, each parsing
 * its own options and returning an exit code (0, 1, or 2 on errors). */
#include "cli.h"
#include "cli_commands.h"
#include "bg_version.h"
#include "smp_timer.h"
#include "smp_serve.h"
#include "smp_overlay.h"
#include "lp_shield.h"
#include "bg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <git2.h>

typedef struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} command;

static int cmd_help(int argc, char **argv);

static const command commands[] = {
	{ "init", cli_cmd_init, "write a starting benchgate.json; add the gate to a pi-autoresearch loop" },
	{ "gate", cli_cmd_gate, "keep or reject a commit: faster beyond noise, tests, benchmark untouched, held-out" },
	{ "loop", cli_cmd_loop, "drive an agent command through repeated gate decisions" },
	{ "shield", cli_cmd_shield, "run an agent sandboxed, serving the gates it runs from outside" },
	{ "audit", cli_cmd_audit, "re-measure the wins a campaign kept: replicated, shrunk, not replicated, overfit" },
	{ "calibrate", cli_cmd_calibrate, "how noisy this machine is and what it can detect in a given time" },
	{ "compare", cli_cmd_compare, "measure two commands in interleaved rounds and give a verdict" },
	{ "log", cli_cmd_log, "list the ledger of gate decisions; --verify its hash chain" },
	{ "holdout", cli_cmd_holdout, "the seal of the held-out workloads; --reseal after refreshing them" },
	{ "gc", cli_cmd_gc, "remove the exports the next gate would not use" },
	{ "help", cmd_help, "show the help of a command" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: benchgate <command> [options]\n"
		"       benchgate help <command> | --help | --version\n"
		"\n"
		"benchgate referees performance changes: it measures in randomized\n"
		"interleaved rounds and gives verdicts you can trust on a noisy machine.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'benchgate <command> --help' for a command's options.\n"
		   "Exit status: 0 success, 1 a negative verdict, 2 an error.\n");
}

static const command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const command *c;
	char *args[] = { NULL, "--help", NULL };

	if (argc < 2) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_error("help: expected one command name, got %d", argc - 1);
	if ((c = find(argv[1])) == NULL)
		return cli_error("help: unknown command \"%s\"; try 'benchgate --help'", argv[1]);
	if (c->fn == cmd_help) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	args[0] = argv[1];
	return c->fn(2, args);
}

int main(int argc, char **argv)
{
	const command *c;
	const char *shield;
	int rc;

	gsl_set_error_handler_off();
	if (argc < 2) {
		print_help(stderr);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("benchgate %s\n", BG_VERSION);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], SMP_TIMER_COMMAND) == 0)   /* inside a sandbox: not commands */
		return smp_timer_main(argc - 1, argv + 1);
	if (strcmp(argv[1], SMP_SERVE_COMMAND) == 0)
		return smp_serve_main(argc - 1, argv + 1);
	if (strcmp(argv[1], SMP_OVERLAY_COMMAND) == 0)
		return smp_overlay_main(argc - 1, argv + 1);
	if (strcmp(argv[1], SMP_ASK_COMMAND) == 0)   /* outside: a run's requester */
		return smp_ask_main(argc - 1, argv + 1);
	if ((c = find(argv[1])) == NULL) {
		fprintf(stderr, "benchgate: unknown command \"%s\"\n\n", argv[1]);
		print_help(stderr);
		return CLI_EXIT_ERROR;
	}
	/* inside a shield, these are served from outside its sandbox */
	if ((shield = getenv(LP_SHIELD_ENV)) != NULL && shield[0] && lp_shield_serves(c->name)) {
		rc = lp_shield_forward(shield, argc - 1, argv + 1);
		return rc < 0 ? cli_error("%s", bg_error_last()) : rc;
	}
	git_libgit2_init();
	rc = c->fn(argc - 1, argv + 1);
	git_libgit2_shutdown();
	return rc;
}
