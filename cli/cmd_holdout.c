/* cmd_holdout: `benchgate holdout` — the state of the sealed held-out
 * workloads, and --reseal after they were refreshed. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_config.h"
#include "lp_repo.h"
#include "lp_integrity.h"
#include "state_ledger.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "grd_holdout.h"

#include <stdlib.h>
#include <unistd.h>

static const cli_opt_help holdout_help = {
	"holdout", "holdout [--reseal] [--config FILE]",
	"Shows the seal of the held-out workloads of the repository in the current\n"
	"directory (.git/benchgate/holdout.seal): whether their files are as\n"
	"sealed, and how much of the failure budget is left. The seal is made by\n"
	"the first gate that runs them. A seal deleted, or reset to more failures\n"
	"left than the ledger recorded, is an error: --reseal (after refreshing\n"
	"the held-out inputs) makes a new one, and the ledger records it.\n",
	"Exit status: 0 sealed and intact (or resealed), 2 error (a changed file,\n"
	"no holdout configured).\n",
	NULL
};

static int run(const char *config_path, int reseal)
{
	lp_repo *repo = NULL;
	lp_config *cfg = NULL;
	grd_seal *seal = NULL;
	state_store *state = NULL;
	state_ledger *l = NULL;
	char *path = NULL, *cfgpath = NULL;
	int lock = -1, error;

	if ((error = lp_workspace_open(&repo, &state, ".")) < 0)
		goto cleanup;
	if (!config_path && asprintf(&cfgpath, "%s%s", lp_repo_workdir(repo), LP_CONFIG_FILE) < 0) {
		error = bg_error_nomem();
		goto cleanup;
	}
	if ((error = lp_config_load(&cfg, config_path ? config_path : cfgpath)) < 0) {
		if (!config_path && access(cfgpath, F_OK) != 0)   /* say where else it may be */
			error = bg_error_set(BG_ENOTFOUND, "there is no %s at the top of the working tree: "
					     "name the configuration with --config FILE", LP_CONFIG_FILE);
		goto cleanup;
	}
	if (cfg->holdout_dir == NULL) {
		error = bg_error_set(BG_EINVAL, "%s has no \"holdout\": nothing is sealed", cfg->path);
		goto cleanup;
	}
	/* under the gate lock: no gate spends the budget meanwhile */
	if ((error = state_path(&path, state, STATE_HOLDOUT_SEAL)) < 0 ||
	    (error = state_lock(&lock, state, 0)) < 0 || (error = state_ledger_load(&l, state)) < 0)
		goto cleanup;
	if (reseal && ((error = grd_holdout_reseal(cfg->holdout_dir, path, cfg->holdout_budget)) < 0 ||
		       (error = lp_integrity_seal_reset(l, cfg->holdout_budget)) < 0))
		goto cleanup;
	if ((error = lp_integrity_seal_missing(l, path)) < 0 ||
	    (error = grd_holdout_seal(&seal, cfg->holdout_dir, path, cfg->holdout_budget)) < 0 ||
	    (error = lp_integrity_seal_budget(l, grd_seal_remaining(seal), path)) < 0)
		goto cleanup;
	printf("held-out workloads in %s: %zu file%s sealed%s, %u of %u failures left in the budget\n",
	       seal->dir, seal->nfiles, seal->nfiles == 1 ? "" : "s",
	       reseal ? " anew" : seal->created ? " now" : " and unchanged",
	       grd_seal_remaining(seal), seal->budget);
cleanup:
	if (lock >= 0)
		state_unlock(lock);
	state_ledger_free(l);
	grd_seal_free(seal);
	lp_config_free(cfg);
	lp_repo_free(repo);
	state_free(state);
	free(path);
	free(cfgpath);
	return error;
}

int cli_cmd_holdout(int argc, char **argv)
{
	const char *config = NULL;
	int reseal = 0, next, rc;
	const cli_opt opts[] = {
		{ CLI_OPT_SWITCH, "reseal", 0, &reseal, NULL,
		  "after refreshing the held-out workloads (new inputs\n"
		  "the candidates have never been judged on), seal them\n"
		  "anew with a full budget", 0, 0, NULL },
		{ CLI_OPT_STRING, "config", 0, &config, "FILE", "instead of the working tree's benchgate.json",
		  0, 0, NULL },
		CLI_END
	};

	if ((rc = cli_opt_parse(&next, opts, &holdout_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&holdout_help, "unexpected argument \"%s\"", argv[next]);
	if (run(config, reseal) < 0)
		return cli_error("holdout: %s", bg_error_last());
	return CLI_EXIT_OK;
}
