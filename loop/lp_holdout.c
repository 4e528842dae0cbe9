/* lp_holdout: `benchgate holdout` — the state of the sealed held-out
 * workloads, and --reseal after they were refreshed. */
#include "lp_cli.h"
#include "lp_commands.h"
#include "lp_config.h"
#include "lp_git.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "grd_holdout.h"

#include <getopt.h>
#include <stdlib.h>

static const char usage[] =
	"usage: benchgate holdout [--reseal] [--config FILE]\n"
	"try 'benchgate holdout --help' for more\n";

static const char help[] =
	"usage: benchgate holdout [--reseal] [--config FILE]\n"
	"\n"
	"Shows the seal of the held-out workloads of the repository in the current\n"
	"directory (.git/benchgate/holdout.seal): whether their files are as\n"
	"sealed, and how much of the failure budget is left. The seal is made by\n"
	"the first gate that runs them.\n"
	"\n"
	"      --reseal       after refreshing the held-out workloads (new inputs\n"
	"                     the candidates have never been judged on), seal them\n"
	"                     anew with a full budget\n"
	"      --config FILE  instead of the working tree's benchgate.json\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 sealed and intact (or resealed), 2 error (a changed file,\n"
	"no holdout configured).\n";

static int run(const char *config_path, int reseal)
{
	lp_repo *repo = NULL;
	lp_config *cfg = NULL;
	grd_seal *seal = NULL;
	state_store *state = NULL;
	char *path = NULL, *cfgpath = NULL;
	int error;

	if ((error = lp_workspace_open(&repo, &state, ".")) < 0)
		goto cleanup;
	if (!config_path && asprintf(&cfgpath, "%s%s", lp_repo_workdir(repo), LP_CONFIG_FILE) < 0) {
		error = bg_error_set(BG_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((error = lp_config_load(&cfg, config_path ? config_path : cfgpath)) < 0)
		goto cleanup;
	if (cfg->holdout_dir == NULL) {
		error = bg_error_set(BG_EINVAL, "%s has no \"holdout\": nothing is sealed", cfg->path);
		goto cleanup;
	}
	if ((error = state_path(&path, state, STATE_HOLDOUT_SEAL)) < 0)
		goto cleanup;
	if (reseal && (error = grd_holdout_reseal(cfg->holdout_dir, path, cfg->holdout_budget)) < 0)
		goto cleanup;
	if ((error = grd_holdout_seal(&seal, cfg->holdout_dir, path, cfg->holdout_budget)) < 0)
		goto cleanup;
	printf("held-out workloads in %s: %zu file%s sealed%s, %u of %u failures left in the budget\n",
	       seal->dir, seal->nfiles, seal->nfiles == 1 ? "" : "s",
	       reseal ? " anew" : seal->created ? " now" : " and unchanged",
	       grd_seal_remaining(seal), seal->budget);
cleanup:
	grd_seal_free(seal);
	lp_config_free(cfg);
	lp_repo_free(repo);
	state_free(state);
	free(path);
	free(cfgpath);
	return error;
}

int lp_cmd_holdout(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reseal", no_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = NULL;
	int c, reseal = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return fputs(help, stdout), LP_EXIT_OK;
		if (c == 'r')
			reseal = 1;
		else if (c == 'c')
			config = optarg;
		else if (c == ':')
			return lp_cli_usage_error("holdout", usage, "option %s needs a value", argv[optind - 1]);
		else
			return lp_cli_usage_error("holdout", usage, "unknown option \"%s\"", argv[optind - 1]);
	}
	if (optind < argc)
		return lp_cli_usage_error("holdout", usage, "unexpected argument \"%s\"", argv[optind]);
	if (run(config, reseal) < 0)
		return lp_cli_error("holdout: %s", bg_error_last());
	return LP_EXIT_OK;
}
