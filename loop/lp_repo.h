/* lp_repo: everything benchgate does to a git repository, through libgit2.
 *
 * Git safety (DESIGN.md) is the point of this module: nothing here writes
 * the user's index file or working tree, except lp_repo_reset_hard, which
 * callers use only on a clean tree (and which refuses a dirty one). Commits
 * are read, snapshot commits and refs under refs/benchgate/ and notes are
 * written, and trees are materialised in directories of benchgate's own.
 *
 * The caller owns libgit2's global state: git_libgit2_init() before the
 * first call, git_libgit2_shutdown() after lp_repo_free(). Commit ids cross
 * this interface as 40-character hex strings (char[41], NUL-terminated), and
 * every `rev`/`commit` argument accepts any revspec that names a commit
 * ("HEAD~1", a tag, a short id, a full id). Errors: negative BG_E* codes
 * with the message in bg_error_last(); out-parameters are written only on
 * success. */
#ifndef LP_REPO_H
#define LP_REPO_H

#include <stddef.h>

/* Name of the marker file lp_repo_export leaves in an export directory. */
#define LP_EXPORT_MARKER ".benchgate-commit"

typedef struct lp_repo lp_repo;

/* Opens the repository containing `path` (NULL: "."), searching upward.
 * BG_EGIT "not a git repository: PATH (...)" when there is none, BG_EGIT
 * "PATH is a bare repository: ..." for a repository without a working tree,
 * BG_EGIT with libgit2's message otherwise. On success *out is the caller's,
 * released with lp_repo_free(). */
int lp_repo_open(lp_repo **out, const char *path);

/* Closes the repository. NULL is a no-op. */
void lp_repo_free(lp_repo *r);

/* The working directory, with a trailing '/' (borrowed from r). */
const char *lp_repo_workdir(const lp_repo *r);

/* The .git directory, with a trailing '/' (borrowed from r). In a linked
 * worktree this is the common one, shared by all worktrees, so that state
 * kept under it is the same whichever worktree benchgate runs in. */
const char *lp_repo_gitdir(const lp_repo *r);

/* The commit `rev` names, peeled through tags. BG_ENOTFOUND "no commit
 * REV: ..." when it names nothing, something ambiguous, or no commit. */
int lp_repo_resolve(char out[41], lp_repo *r, const char *rev);

/* The first parent of `commit`. BG_ENOTFOUND when `commit` names no commit
 * or is a root commit. */
int lp_repo_first_parent(char out[41], lp_repo *r, const char *commit);

/* Short name of the checked-out branch ("main"), for the caller to free;
 * *out = NULL (and 0 returned) when HEAD is detached or the branch has no
 * commit yet. BG_EGIT when HEAD cannot be read; BG_ENOMEM. */
int lp_repo_branch(char **out, lp_repo *r);

/* *dirty = 1 when a tracked file differs from HEAD in the index or the
 * working tree, or an untracked file that is not ignored exists; else 0.
 * Reads only (the index file is not refreshed). BG_EGIT on failure. */
int lp_repo_is_dirty(int *dirty, lp_repo *r);

/* Records the working directory as it is now (tracked changes, new
 * untracked non-ignored files, deletions) as a commit whose parent is HEAD
 * (none on an unborn branch), and points `refname` at it (created or
 * moved). Neither the index file nor the working tree is written: the
 * index is updated in memory only and re-read from disk afterwards, even
 * on failure. `message` NULL gives a default. Author and committer come
 * from the repository's configuration, or "benchgate <benchgate@localhost>".
 * BG_EINVAL when refname is not under refs/; BG_EGIT otherwise. */
int lp_repo_snapshot(char out[41], lp_repo *r, const char *refname, const char *message);

/* Materialises the tree of `commit` in directory `dir` (created if
 * missing), leaving the repository's index, HEAD and working tree alone.
 * Its submodules are checked out at the commits the tree records, nested
 * ones too, from the repository's own copies (.git/modules/NAME, else the
 * submodule's working tree): never fetched; BG_ENOTFOUND naming the
 * submodule and `git submodule update --init --recursive` when one is
 * missing or lacks its commit.
 * A marker file dir/.benchgate-commit holding the commit id is written
 * last: when it already names this commit and no tracked file differs
 * from the commit (lp_repo_export_changes), nothing is done (earlier build
 * products are reused); when it names another commit or an unfinished
 * export, or a tracked file was changed since, dir's contents are deleted
 * and the export redone. A non-empty
 * dir without the marker is not ours: BG_EINVAL, nothing deleted.
 * BG_ENOTFOUND for a bad commit, BG_ESYS for file-system failures,
 * BG_EGIT for checkout failures (dir then holds no valid marker). */
int lp_repo_export(lp_repo *r, const char *commit, const char *dir);

/* The paths where export dir (made by lp_repo_export) differs from
 * commit's tree, sorted (*paths NULL-terminated, NULL when *n is 0; free
 * with bg_strv_free). With only NULL: every tracked file changed or
 * deleted (what a build may have written is not looked at). With only,
 * its nonly entries (grd_protected's form: "bench/", "./test.sh"): the
 * tracked files under them changed or deleted, and any file made there.
 * BG_ENOTFOUND for an unknown commit, BG_EGIT, BG_ENOMEM. */
int lp_repo_export_changes(char ***paths, size_t *n, lp_repo *r, const char *commit, const char *dir,
			   const char *const *only, size_t nonly);

/* The content of file `path` (repository-relative) in the tree of commit,
 * read from git's objects, never from a working tree or an export (what
 * a build may have rewritten): *text is NUL-terminated, the caller frees
 * it. BG_ENOTFOUND for a bad revision or no such file, BG_EGIT,
 * BG_ENOMEM. */
int lp_repo_file(char **text, lp_repo *r, const char *commit, const char *path);

/* Where `path` (repository-relative, a file or a directory) stands in the
 * repository: *committed = 1 when HEAD's tree holds it (0 on an unborn
 * branch), *ignored = 1 when git's ignore rules cover it. BG_EGIT. */
int lp_repo_path_status(int *committed, int *ignored, lp_repo *r, const char *path);

/* Every path that differs between the trees of `from` and `to` (added,
 * deleted, modified, type changed; a rename counts as a deletion and an
 * addition, so both names appear), sorted by strcmp, without duplicates.
 * `from` NULL means the empty tree. On success *paths (NULL when *n is 0)
 * is the caller's, NULL-terminated, freed with bg_strv_free. BG_ENOTFOUND for a
 * bad revision, BG_EGIT, BG_ENOMEM. */
int lp_repo_changed_paths(char ***paths, size_t *n, lp_repo *r, const char *from,
			  const char *to);

/* Creates `refname` at `commit`, or moves it there, with `log_message` in
 * its reflog (NULL: a default). Only names under refs/ are accepted, and
 * not the checked-out branch (moving it would leave the working tree
 * behind; use lp_repo_reset_hard): BG_EINVAL. BG_ENOTFOUND for a bad
 * commit, BG_EGIT otherwise. */
int lp_repo_ref_set(lp_repo *r, const char *refname, const char *commit,
		    const char *log_message);

/* Attaches `text` as the note of `commit` under `notes_ref` (NULL:
 * STATE_REF_NOTES), replacing an existing note. Signature as for
 * lp_repo_snapshot. BG_ENOTFOUND for a bad commit, BG_EGIT otherwise. */
int lp_repo_note_set(lp_repo *r, const char *notes_ref, const char *commit, const char *text);

/* Moves the checked-out branch (or a detached HEAD) to `commit` and makes
 * the index and working tree match it, like `git reset --hard`. The only
 * function here that writes the working tree: it refuses with BG_EINVAL,
 * touching nothing, when lp_repo_is_dirty() says the tree is dirty, so no
 * uncommitted work can be lost. BG_ENOTFOUND for a bad commit, BG_EGIT. */
int lp_repo_reset_hard(lp_repo *r, const char *commit);

#endif
