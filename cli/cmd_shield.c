/* cmd_shield: `benchgate shield -- CMD ARGS...` — its options; the shield
 * itself is loop/lp_shield.c. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_shield.h"
#include "bg_error.h"

static const cli_opt_help shield_help = {
	"shield", "shield [-q] -- CMD [ARGS...]",
	"Runs CMD (an agent benchgate does not drive: pi, a coding CLI, a script)\n"
	"in the repository of the current directory, sandboxed as `loop --agent`\n"
	"runs its agent: it can edit and commit there, but cannot read the\n"
	"held-out inputs or your benchgate key, nor write benchgate's state, its\n"
	"refs or notes. Every `benchgate gate`, `log`, `audit` or `holdout` CMD\n"
	"runs is served from outside the sandbox (over a socket named in\n"
	"$" LP_SHIELD_ENV "), one at a time, so its verdict is the one a gate\n"
	"outside gives; --config is refused there.\n",
	"Exit status: CMD's (128 + N when killed by signal N), 2 error.\n",
	NULL
};

int cli_cmd_shield(int argc, char **argv)
{
	int quiet = 0, next, rc, status = 0;
	const cli_opt opts[] = {
		{ CLI_OPT_SWITCH, "quiet", 'q', &quiet, NULL, "no messages about the requests served", 0, 0, NULL },
		CLI_END
	};

	if ((rc = cli_opt_parse(&next, opts, &shield_help, argc, argv)) >= 0)
		return rc;
	if (next >= argc)
		return cli_opt_usage_error(&shield_help, "the agent's command is missing (shield -- CMD ARGS...)");
	if (lp_shield_run(&status, argc - next, argv + next, quiet) < 0)
		return cli_error("shield: %s", bg_error_last());
	return status;
}
