/* cmd_loop: `benchgate loop` — its options and the final table. The loop
 * itself is loop/lp_loop.c. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_loop.h"
#include "bg_error.h"

#include <stdio.h>
#include <string.h>

static const cli_opt_help loop_help = {
	"loop", "loop --agent CMD [options]",
	"Runs an optimisation loop in the repository of the current directory:\n"
	"CMD (through /bin/sh, in the repository's root) should leave a new commit\n"
	"(or uncommitted changes with --worktree); benchgate then gates it with\n"
	"--apply, so a rejected change is undone (when the tree is clean) and kept\n"
	"reachable under refs/benchgate/rejected/. CMD gets as its last argument\n"
	"the path of a JSON file with the previous verdict and its reasons (never\n"
	"the held-out workloads' numbers).\n",
	"An agent that fails, times out or changes nothing is recorded in the\n"
	"ledger and the loop goes on; after 3 such iterations in a row it stops.\n"
	"Exit status: 0 the loop ran, 2 error (a gate error stops the loop).\n",
	NULL
};

static int parse_args(lp_loop_opts *o, int argc, char **argv)
{
	int next, rc;
	const cli_opt opts[] = {
		{ CLI_OPT_STRING, "agent", 0, &o->agent, "CMD", "the agent command (required)", 0, 0, NULL },
		{ CLI_OPT_UINT, "iterations", 'n', &o->iterations, "N", "at most N iterations (default 10)", 1, 1000000, NULL },
		{ CLI_OPT_DOUBLE, "budget", 0, &o->budget, "SEC", "stop starting iterations after SEC seconds", 0.001, 1e9, NULL },
		{ CLI_OPT_DOUBLE, "agent-timeout", 0, &o->agent_timeout, "SEC", "kill an agent run after SEC (default 600)", 0.001, 1e9, NULL },
		{ CLI_OPT_DOUBLE, "max-time", 0, &o->max_time, "SEC",
		  "each gate's measurement budget (default: the\n"
		  "config's budget.max_seconds)", 0.001, 1e9, NULL },
		{ CLI_OPT_SWITCH, "worktree", 'W', &o->worktree, NULL, "gate uncommitted changes instead of commits", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "only the final table", 0, 0, NULL },
		CLI_END
	};

	*o = (lp_loop_opts){ NULL, 10, 0.0, 600.0, 0.0, 0, 0 };
	if ((rc = cli_opt_parse(&next, opts, &loop_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&loop_help, "unexpected argument \"%s\"", argv[next]);
	if (o->agent == NULL || o->agent[0] == '\0')
		return cli_opt_usage_error(&loop_help, "--agent CMD is required");
	return -1;
}

static void print_table(const lp_loop_run *L)
{
	size_t keeps = 0;

	printf("%-4s %-12s %-30s %-28s %8s\n", "#", "candidate", "decision", "B/A [interval]", "seconds");
	for (size_t i = 0; i < L->nrows; i++) {
		const lp_loop_row *r = &L->rows[i];
		char eff[64] = "-";
		if (r->ratio > 0)
			snprintf(eff, sizeof(eff), "%.4f [%.4f, %.4f]", r->ratio, r->lo, r->hi);
		printf("%-4zu %-12s %-30s %-28s %8.1f\n", i + 1, r->candidate, r->decision, eff, r->seconds);
		keeps += strcmp(r->decision, "KEEP") == 0;
	}
	printf("%u iterations, %zu gated, %zu kept, %.1f s; ledger: %s\n", L->iterations,
	       L->nrows, keeps, L->elapsed_s, L->ledger);
}

int cli_cmd_loop(int argc, char **argv)
{
	lp_loop_opts o;
	lp_loop_run L;
	int rc = parse_args(&o, argc, argv);

	if (rc >= 0)
		return rc;
	memset(&L, 0, sizeof(L));
	L.o = &o;
	if (lp_loop_drive(&L) < 0) {
		rc = cli_error("loop: %s", bg_error_last());
	} else {
		print_table(&L);
		rc = CLI_EXIT_OK;
	}
	lp_loop_run_free(&L);
	return rc;
}
