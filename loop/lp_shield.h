/* lp_shield: `benchgate shield -- CMD ARGS...` — an agent benchgate does
 * not drive (pi, a coding CLI, a script) run as loop runs its agent, in a
 * sandbox where it can edit and commit in the repository but cannot read
 * the held-out inputs or the user's key, nor write benchgate's state, its
 * refs or notes; the benchgate commands it runs (gate, log, audit,
 * holdout) are served from outside the sandbox, so their verdicts are
 * computed with state the agent cannot touch.
 *
 * Protocol, over a Unix socket in a private directory whose path the agent
 * finds in $BENCHGATE_SHIELD: the client (benchgate inside the sandbox)
 * sends one message carrying its stdout and stderr (SCM_RIGHTS) and a
 * header {magic, length}, then `length` bytes: its working directory and
 * its arguments, each NUL-terminated; the shield runs the command with
 * those descriptors and answers with its exit status (4 bytes). Requests
 * are served one at a time (and every measurement takes the machine's
 * lock, state_machine_lock, so shields of several agents queue too).
 * Refused: a command not served, --config (the rules come from the
 * baseline's benchgate.json in git), a directory outside the repository.
 *
 * Errors: negative BG_E* codes with the message in bg_error_last(). */
#ifndef LP_SHIELD_H
#define LP_SHIELD_H

#define LP_SHIELD_ENV "BENCHGATE_SHIELD"

/* 1 when a shield serves command (gate, log, audit, holdout). */
int lp_shield_serves(const char *command);

/* Runs argv[0..argc-1] (the agent) in the repository of the current
 * directory, sandboxed, serving its requests until it exits; *status = its
 * exit status (128 + signal when killed). Messages on stderr unless quiet.
 * Errors: lp_workspace_open's, the config's, BG_ESYS (socket, fork),
 * BG_EUNSUPPORTED when no sandbox can be had. */
int lp_shield_run(int *status, int argc, char *const *argv, int quiet);

/* Inside a shield: asks the shield at socket to run benchgate's argv
 * (argv[0] the command) with this process's stdout and stderr, in its
 * working directory; returns the command's exit status, or a negative
 * BG_E* code (BG_ESYS: no shield there, or it went away). */
int lp_shield_forward(const char *socket, int argc, char *const *argv);

#endif
