/* lp_workspace: what gate and audit share to measure one commit against
 * another without touching the user's working tree: opening a repository
 * with its benchgate state, exports of commits (state_export_dir),
 * building an export once, the test count of a commit (cached by
 * state_counts), the measurement options
 * a configuration implies, and the commands that run a configuration's
 * workloads in a baseline export (arm A) and a candidate export (arm B).
 *
 * Errors: negative BG_E* codes with the message in bg_error_last();
 * out-parameters are written only on success unless said otherwise. */
#ifndef LP_WORKSPACE_H
#define LP_WORKSPACE_H

#include <stddef.h>

#include "lp_config.h"
#include "lp_repo.h"
#include "lp_measure.h"
#include "state.h"
#include "smp_sandbox.h"
#include "smp_serve.h"

#include <limits.h>

/* Seconds a build or a test command may take before it is killed (a hung
 * one would hang the gate). */
#define LP_WORKSPACE_COMMAND_TIMEOUT 3600.0

/* Marker a successful build leaves in an export, so it is built once. */
#define LP_WORKSPACE_BUILT ".benchgate-built"

/* Opens the repository containing path (NULL: ".") and its benchgate
 * state: what every command that reads or writes the state does first.
 * Errors of lp_repo_open and state_open; on failure nothing is left open
 * and the out-parameters are untouched. */
int lp_workspace_open(lp_repo **repo, state_store **st, const char *path);

/* *dir = the export directory of commit (state_export_dir; caller frees),
 * with the tree of commit exported there by lp_repo_export (reused when
 * already there). On failure *dir may already hold the path (caller frees
 * it either way; NULL when the path could not be made). Errors of
 * lp_repo_export, BG_ENOMEM. */
int lp_workspace_export(char **dir, lp_repo *repo, const state_store *st, const char *commit);

/* What a sandbox is for, which says what it shows and hides. */
typedef enum {
	LP_RUN_BUILD,     /* a build: the export writable; the held-out
			   * inputs, benchgate's state and the user's key and
			   * anchors (state_anchor_dir) hidden */
	LP_RUN_TEST,      /* tests: the export writable through an overlay of
			   * their own (smp_overlay.h: nothing they write stays);
			   * the same hidden */
	LP_RUN_TRAINING,  /* a training run: as tests, an overlay per run */
	LP_RUN_HELD_OUT,  /* a held-out run: as training, the held-out inputs
			   * read-only at SMP_SANDBOX_INPUTS */
	LP_RUN_AGENT      /* loop's agent: the user's system as it is (smp_sandbox's
			   * host mode), the held-out inputs and the user's key
			   * and anchors hidden, benchgate's state,
			   * refs/benchgate and refs/notes read-only */
} lp_run_kind;

/* How the commands of one export run (DESIGN "isolation"): under a
 * configuration whose "isolation" is "bwrap", in a sandbox that shows the
 * export at the repository's own path; under "none", as the user, in the
 * export. The storage of the sandbox's paths. */
typedef struct {
	smp_sandbox sb;
	const char *hide[4], *readonly[4];
	char at[PATH_MAX], holdout[PATH_MAX], key[PATH_MAX], refs[PATH_MAX], notes[PATH_MAX];
} lp_workspace_isolation;

/* Fills *iso for a run of kind in export dir of repo (NULL for the agent,
 * which runs in the working tree; all borrowed, they must outlive it) and
 * returns its sandbox, or NULL when c's isolation is "none". The first
 * test or workload run of a process tries whether this machine can give
 * runs overlays (one sandboxed `true`, ~5 ms), and says so once when it
 * cannot. Can't fail. */
const smp_sandbox *lp_workspace_isolation_init(lp_workspace_isolation *iso, lp_run_kind kind,
					       const lp_config *c, lp_repo *repo, const state_store *st,
					       const char *dir);

/* The benchgate binary whose helpers (smp_overlay, smp_timer, smp_serve)
 * sandboxes run, for a program other than benchgate that gates in-process
 * (the tests; public for them only, scripts/unused.sh): by default this
 * process's own binary. Can't fail. */
void lp_workspace_use_exe(const char *path);

/* As lp_workspace_isolation_init into *out (NULL under "none"), the runs
 * timed inside the sandbox by benchgate's own binary (the sandbox's timer;
 * measure them with smp_timer_executor). BG_ESYS when the binary is not
 * found (*out NULL). */
int lp_workspace_timed_sandbox(const smp_sandbox **out, lp_workspace_isolation *iso, lp_run_kind kind,
			       const lp_config *c, lp_repo *repo, const state_store *st, const char *dir);

/* The sandbox of an agent (loop's, shield's) working in repo, by the
 * isolation of HEAD's benchgate.json as git holds it (loaded into *cfg,
 * which the sandbox borrows; caller frees): *sb NULL under "none". Errors
 * of lp_repo_file, lp_config_parse and lp_workspace_isolation_check. */
int lp_workspace_agent_sandbox(const smp_sandbox **sb, lp_workspace_isolation *iso, lp_config **cfg,
			       lp_repo *repo, const state_store *st);

/* Checks, once per process, that c's isolation can be had here: 0, or
 * BG_EUNSUPPORTED with the reason and the exact fix ("apt-get install
 * bubblewrap", or "isolation": "none"). */
int lp_workspace_isolation_check(const lp_config *c);

/* Runs `build` (NULL: nothing to build, *ok = 1) with smp_shell_run in dir,
 * (in sandbox sb, NULL: none), unless dir/.benchgate-built says it was
 * built already. *ok = 1 when it
 * succeeded (the marker is then written), else 0 with *tail the end of its
 * output (caller frees; may be NULL). Returns 0 whenever the command ran;
 * the errors of smp_shell_run (BG_EINTR, BG_ESYS, ...), or BG_ESYS when the
 * marker cannot be written. */
int lp_workspace_build(int *ok, char **tail, const char *build, const char *dir,
		       const smp_sandbox *sb);

/* The number of tests `test_cmd` reports in format `format` in the export
 * dir of commit: from the state's cache (state_counts) when it has the
 * commit, else by running the command (whatever its exit status) and
 * caching the count it printed. *count = -1 when the output held no count
 * (nothing cached then). Errors of grd_tests_run and state_counts_*;
 * *count untouched on failure. */
int lp_workspace_test_count(long *count, const char *test_cmd, const char *format,
			    const char *dir, const state_store *st, const char *commit,
			    const smp_sandbox *sb);

/* Measurement options from a configuration: its metric, direction,
 * min_effect, max_regression (checked at the config's alpha), warm-up,
 * rounds and run timeout (0 in the config: max_seconds, so a hung run
 * cannot outlast the budget); alpha is the level of the aggregate decision,
 * max_seconds the budget (> 0), label the progress prefix (borrowed).
 * Can't fail. */
lp_measure_opts lp_workspace_measure_opts(const lp_config *c, double alpha, double max_seconds,
					  int quiet, const char *label);

/* The command line that runs cmd in export dir: "cd 'DIR' && CMD"
 * without a sandbox; else CMD in sandbox sb, through its run server srv
 * when one was started (smp_server_command), or in a sandbox of its own
 * (smp_sandbox_wrap); $BENCHGATE_HOLDOUT replaced in a held-out one (see
 * below). srv may be NULL. Caller frees; NULL with the error set
 * (BG_EINVAL, BG_ENOMEM). */
char *lp_workspace_command(const char *dir, const smp_sandbox *sb, const smp_server *srv, const char *cmd);

/* The workloads of a list as measurement commands, arm A in its export,
 * arm B in its own: "cd 'DIR' && CMD", or the sandboxed command. */
typedef struct {
	lp_measure_workload *wl;   /* n entries, pointing into strs */
	char **strs;               /* 2n owned strings */
	size_t n;
	char *env[2];              /* what m->env_extra points at, if anything */
	smp_server servers[2];     /* each arm's run server, when sandboxed */
	smp_serve_route *routes;   /* 2n: each command's way to its server */
	char **inner;              /* 2n owned: what each server runs */
	smp_serve_routes rt;       /* what m->exec's context points at */
	char **cmds;               /* 2n owned: each job's command before it is
	                            * placed in its arm (a duel's seats filled) */
} lp_workspace_cmds;

/* The measurement commands of workloads w for the arms in dir_a and dir_b
 * under cfg: with isolation and no scripted executor in m (m->exec.run
 * NULL), each arm's runs in a read-only sandbox of its export, timed inside
 * it (m->exec is set to smp_timer_executor), the held-out inputs visible to
 * held-out runs only, at SMP_SANDBOX_INPUTS, which replaces
 * $BENCHGATE_HOLDOUT (or ${BENCHGATE_HOLDOUT}) in their command lines: no
 * variable tells the program it is in a held-out run. Without isolation,
 * the plain commands, held-out runs with $BENCHGATE_HOLDOUT in their
 * environment (m->env_extra). In a duel (cfg->duel, training) job 2i plays
 * A as $BENCHGATE_P1 against B as $BENCHGATE_P2 and job 2i+1 the other
 * seating, so every round plays both; a sandboxed arm sees its own tree at
 * the repository's path and the opponent's read-only at SMP_SANDBOX_INPUTS,
 * and the variables are replaced by those paths in the command line (else
 * by the exports' paths). Fills *c (release with lp_workspace_cmds_clear,
 * also after a failure). BG_EINVAL (a path a sandbox cannot show),
 * BG_ENOMEM, BG_ESYS when benchgate's binary is not found. */
int lp_workspace_arm_commands(lp_workspace_cmds *c, lp_measure_opts *m, const lp_config *cfg, lp_repo *repo,
			      const state_store *st, const char *dir_a, const char *dir_b,
			      const lp_workload *w, size_t n, int held_out);

/* Frees what c holds and zeroes it; NULL is a no-op. */
void lp_workspace_cmds_clear(lp_workspace_cmds *c);

/* What lp_workspace_gc did (or, dry, would do). keep: the commits whose
 * exports stayed, "" when none: [0] HEAD, [1] the default baseline (the
 * last KEEP that became the branch). */
typedef struct {
	size_t removed, kept;
	unsigned long long removed_bytes, kept_bytes;
	char keep[2][41];
} lp_workspace_gc_result;

/* Removes the exports under <state>/exports that the next plain gate
 * would not use: all of them with `all`, else all but HEAD's and the
 * default baseline's (an export is a cache: a gate exports and builds a
 * missing one again). With dry_run nothing is removed. The caller holds
 * the gate lock (state_lock). BG_ESYS naming the path, BG_EGIT, BG_ENOMEM;
 * *out is written only on success. */
int lp_workspace_gc(lp_workspace_gc_result *out, lp_repo *repo, const state_store *st, int all, int dry_run);

#endif
