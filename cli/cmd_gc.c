/* cmd_gc: `benchgate gc` — removing the exports the next gate would not
 * use. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_workspace.h"
#include "bg_error.h"

#include <stdio.h>

static const cli_opt_help gc_help = {
	"gc", "gc [--all] [--dry-run]",
	"Removes the exports under .git/benchgate/exports of the repository in\n"
	"the current directory (a copy of a commit's tree, built) that the next\n"
	"plain gate would not use: all but HEAD's and the default baseline's (the\n"
	"last KEEP that became the branch). An export is a cache: a gate exports\n"
	"and builds a missing one again. The ledger, the seal, the notes and the\n"
	"refs are left alone. Takes the gate lock, so no gate runs meanwhile.\n",
	"Exit status: 0 done, 2 error.\n",
	NULL
};

static void say_mib(const char *what, size_t n, unsigned long long bytes)
{
	printf("%s %zu export%s (%.1f MiB)", what, n, n == 1 ? "" : "s", (double)bytes / (1024.0 * 1024.0));
}

static int run(int all, int dry_run)
{
	lp_workspace_gc_result r;
	lp_repo *repo = NULL;
	state_store *state = NULL;
	int lock = -1, error;

	if ((error = lp_workspace_open(&repo, &state, ".")) < 0 || (error = state_lock(&lock, state, 0)) < 0 ||
	    (error = lp_workspace_gc(&r, repo, state, all, dry_run)) < 0)
		goto cleanup;
	say_mib(dry_run ? "would remove" : "removed", r.removed, r.removed_bytes);
	printf("; ");
	say_mib("kept", r.kept, r.kept_bytes);
	if (r.kept)
		printf(":%s%.12s%s%s%.12s", r.keep[0][0] ? " HEAD " : "", r.keep[0], r.keep[0][0] && r.keep[1][0] ? "," : "",
		       r.keep[1][0] ? " the default baseline " : "", r.keep[1]);
	printf("\n");
cleanup:
	if (lock >= 0)
		state_unlock(lock);
	lp_repo_free(repo);
	state_free(state);
	return error;
}

int cli_cmd_gc(int argc, char **argv)
{
	int all = 0, dry_run = 0, next, rc;
	const cli_opt opts[] = {
		{ CLI_OPT_SWITCH, "all", 0, &all, NULL, "remove every export, HEAD's and the baseline's too", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "dry-run", 'n', &dry_run, NULL, "say what would be removed; remove nothing", 0, 0,
		  NULL },
		CLI_END
	};

	if ((rc = cli_opt_parse(&next, opts, &gc_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&gc_help, "unexpected argument \"%s\"", argv[next]);
	if (run(all, dry_run) < 0)
		return cli_error("gc: %s", bg_error_last());
	return CLI_EXIT_OK;
}
