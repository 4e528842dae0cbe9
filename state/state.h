/* state: everything benchgate keeps of a repository, in one place.
 *
 * benchgate's state lives in <commondir>/benchgate (".git/benchgate" in a
 * plain clone; shared by every worktree of the repository):
 *
 *   ledger.jsonl        the decision ledger (state_ledger.h)
 *   calibration.json    this machine's calibration (state_calibration_path)
 *   holdout.seal        the held-out workloads' seal (grd_holdout.h)
 *   testcounts.json     the test count per commit (state_counts.h)
 *   loop-feedback.json  what `benchgate loop` tells the agent
 *   plan-warned         the calibration whose plan warnings a gate has
 *                       said already (once per calibration, not per gate)
 *   exports/<commit>    the tree of a commit, built there
 *
 * and in refs of the repository: refs/benchgate/baseline (the last commit
 * kept with --apply), refs/benchgate/worktree (snapshots of uncommitted
 * work), refs/benchgate/rejected/<id> (rejected candidates, kept reachable)
 * and the notes ref refs/notes/benchgate. No other module builds one of
 * these names: it asks this one.
 *
 * Errors: negative BG_E* codes with the message in bg_error_last();
 * out-parameters are written only on success. */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>

#define STATE_REF_BASELINE "refs/benchgate/baseline"
#define STATE_REF_WORKTREE "refs/benchgate/worktree"
#define STATE_REF_REJECTED "refs/benchgate/rejected/"
#define STATE_REF_NOTES    "refs/notes/benchgate"

/* A rejected candidate's ref: STATE_REF_REJECTED and 12 hex digits. */
#define STATE_REF_REJECTED_LEN (sizeof(STATE_REF_REJECTED) - 1 + 12)

/* The files of the state directory. */
typedef enum {
	STATE_LEDGER,
	STATE_CALIBRATION,
	STATE_HOLDOUT_SEAL,
	STATE_TEST_COUNTS,
	STATE_LOOP_FEEDBACK,
	STATE_GATE_LOCK,
	STATE_PLAN_WARNED
} state_file;

typedef struct state_store state_store;

/* Opens the state of the repository whose common git directory is gitdir
 * (lp_repo_gitdir), creating <gitdir>/benchgate when it is missing.
 * BG_EINVAL for a NULL or empty gitdir; BG_ESYS when the directory cannot
 * be made or is not a directory (the message says to remove it); BG_ENOMEM.
 * Release with state_free(). */
int state_open(state_store **out, const char *gitdir);

/* Accepts NULL. */
void state_free(state_store *s);

/* Takes the repository's gate lock (an flock on gate.lock), waiting for
 * another gate that holds it (saying so on stderr unless quiet), so two
 * gates never read the same ledger to number their experiment. *fd is
 * the lock; state_unlock releases it (exiting does too). BG_ESYS, BG_EINTR
 * when interrupted while waiting. */
int state_lock(int *fd, const state_store *s, int quiet);

/* The machine's measurement lock: two benchgate measurements (gates,
 * audits, calibrations, from any repository, user or shield) never
 * overlap on one machine, since each would be the other's noise. */
#define STATE_MACHINE_LOCK "/tmp/benchgate-measure.lock"

/* Takes the machine's measurement lock (STATE_MACHINE_LOCK; tests point
 * $BENCHGATE_MACHINE_LOCK elsewhere), waiting as state_lock does. */
int state_machine_lock(int *fd, int quiet);

/* Releases a lock of state_lock or state_machine_lock. */
void state_unlock(int fd);

/* The state directory, "<gitdir>/benchgate" (what a sandbox hides).
 * Borrowed; can't fail. */
const char *state_root(const state_store *s);

/* *out = the path of file f in the state directory (caller frees).
 * BG_EINVAL for an unknown f, BG_ENOMEM. */
int state_path(char **out, const state_store *s, state_file f);

/* *out = "<state>/exports/<commit>" (the first 40 characters of commit;
 * caller frees). BG_ENOMEM. */
int state_export_dir(char **out, const state_store *s, const char *commit);

/* out = the ref that keeps rejected candidate commit reachable:
 * "refs/benchgate/rejected/" and its first 12 characters. Can't fail. */
void state_rejected_ref(char out[STATE_REF_REJECTED_LEN + 1], const char *commit);

/* *out = "$<xdg_var>/benchgate" when that variable is an absolute path,
 * else "$HOME/<home_sub>/benchgate" (caller frees): the user's directories
 * ("XDG_CACHE_HOME", ".cache"; "XDG_CONFIG_HOME", ".config"). BG_ENOTFOUND
 * when neither is an absolute path (the message says to set one);
 * BG_ENOMEM. */
int state_user_dir(char **out, const char *xdg_var, const char *home_sub);

/* Where the calibration of this machine goes: the state's calibration.json
 * when s is not NULL, else "<cache>/benchgate/calibration-<fingerprint>.json"
 * with <cache> $XDG_CACHE_HOME when it is an absolute path, else
 * $HOME/.cache. With create, the cache directories are made (mode 0700).
 * BG_ENOTFOUND when neither variable is an absolute path (the message says
 * to set one); BG_ESYS when a directory
 * cannot be made; BG_ENOMEM. */
int state_calibration_path(char **out, const state_store *s, const char *fingerprint, int create);

#endif
