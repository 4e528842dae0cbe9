/* lp_repo: benchgate's only contact with git repositories (see lp_repo.h).
 *
 * Everything goes through libgit2; the `git` command is never run. The
 * functions that could touch the user's files are written so that they
 * cannot: the snapshot updates the index in memory and re-reads it from
 * disk, exports check out into a target directory with index updates off
 * and an empty baseline, and only lp_repo_reset_hard writes the working
 * tree, after checking that it is clean. */
#include "lp_repo.h"
#include "bg_error.h"
#include "bg_strv.h"
#include "bg_file.h"
#include "state.h"

#include <git2.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SIG_NAME "benchgate"
#define DEFAULT_SIG_EMAIL "benchgate@localhost"
#define EXPORT_PENDING "exporting\n"

struct lp_repo {
	git_repository *repo;
};

/* ---- errors ----------------------------------------------------------- */

/* Sets `code` with "WHAT: libgit2's message" and returns it. libgit2 1.5's
 * git_error_last() may be NULL, hence the fallback text. */
__attribute__((format(printf, 2, 3)))
static int fail_git(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return bg_error_set(code, "%s: %s", what,
			    e != NULL && e->message != NULL ? e->message : "unknown libgit2 error");
}

static void oid_hex(char out[41], const git_oid *id)
{
	git_oid_tostr(out, 41, id);
}

static int check_refname(const char *refname)
{
	if (refname == NULL || strncmp(refname, "refs/", 5) != 0)
		return bg_error_set(BG_EINVAL, "ref \"%s\" is not under refs/: benchgate only writes "
				    "refs/... names", refname ? refname : "(null)");
	return 0;
}

/* ---- opening ---------------------------------------------------------- */

int lp_repo_open(lp_repo **out, const char *path)
{
	git_repository *repo = NULL;
	lp_repo *r;
	int error;

	if (path == NULL)
		path = ".";
	error = git_repository_open_ext(&repo, path, 0, NULL);
	if (error == GIT_ENOTFOUND)
		return bg_error_set(BG_EGIT, "not a git repository: %s (run benchgate inside one, "
				    "or git init)", path);
	if (error < 0)
		return fail_git(BG_EGIT, "opening the git repository at %s", path);
	if (git_repository_is_bare(repo) || git_repository_workdir(repo) == NULL) {
		git_repository_free(repo);
		return bg_error_set(BG_EGIT, "%s is a bare repository: benchgate needs a working "
				    "tree", path);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		git_repository_free(repo);
		return bg_error_nomem();
	}
	r->repo = repo;
	*out = r;
	return 0;
}

void lp_repo_free(lp_repo *r)
{
	if (r == NULL)
		return;
	git_repository_free(r->repo);
	free(r);
}

const char *lp_repo_workdir(const lp_repo *r)
{
	return git_repository_workdir(r->repo);
}

const char *lp_repo_gitdir(const lp_repo *r)
{
	return git_repository_commondir(r->repo);
}

/* ---- commits ---------------------------------------------------------- */

/* The commit `rev` names, peeled through tags; the caller frees it. */
static int lookup_commit(git_commit **out, lp_repo *r, const char *rev)
{
	git_object *obj = NULL, *peeled = NULL;
	int error;

	if (rev == NULL)
		return bg_error_set(BG_EINVAL, "no revision given");
	error = git_revparse_single(&obj, r->repo, rev);
	if (error == 0)
		error = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (error == GIT_ENOTFOUND || error == GIT_EAMBIGUOUS || error == GIT_EINVALIDSPEC ||
	    error == GIT_EPEEL)
		return fail_git(BG_ENOTFOUND, "no commit %s", rev);
	if (error < 0)
		return fail_git(BG_EGIT, "resolving %s", rev);
	*out = (git_commit *)peeled;
	return 0;
}

int lp_repo_resolve(char out[41], lp_repo *r, const char *rev)
{
	git_commit *c = NULL;
	int error;

	if ((error = lookup_commit(&c, r, rev)) < 0)
		return error;
	oid_hex(out, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int lp_repo_first_parent(char out[41], lp_repo *r, const char *commit)
{
	git_commit *c = NULL;
	int error;

	if ((error = lookup_commit(&c, r, commit)) < 0)
		return error;
	if (git_commit_parentcount(c) == 0)
		error = bg_error_set(BG_ENOTFOUND, "commit %s is a root commit: it has no parent to "
				     "compare with", commit);
	else
		oid_hex(out, git_commit_parent_id(c, 0));
	git_commit_free(c);
	return error;
}

int lp_repo_branch(char **out, lp_repo *r)
{
	git_reference *head = NULL;
	char *name = NULL;
	int error = git_repository_head(&head, r->repo);

	if (error == GIT_EUNBORNBRANCH || error == GIT_ENOTFOUND) {
		*out = NULL;
		return 0;
	}
	if (error < 0)
		return fail_git(BG_EGIT, "reading HEAD");
	if (git_reference_is_branch(head) &&
	    (name = strdup(git_reference_shorthand(head))) == NULL)
		error = bg_error_nomem();
	git_reference_free(head);
	if (error == 0)
		*out = name;
	return error;
}

int lp_repo_is_dirty(int *dirty, lp_repo *r)
{
	git_status_options opts;
	git_status_list *list = NULL;

	/* The _INIT macros leave fields out, which -Wextra rejects. */
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);

	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
	if (git_status_list_new(&list, r->repo, &opts) < 0)
		return fail_git(BG_EGIT, "reading the status of %s", lp_repo_workdir(r));
	*dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

/* ---- writing objects and refs ----------------------------------------- */

/* The repository's configured signature, or benchgate's own. */
static int default_signature(git_signature **out, lp_repo *r)
{
	if (git_signature_default(out, r->repo) == 0)
		return 0;
	if (git_signature_now(out, DEFAULT_SIG_NAME, DEFAULT_SIG_EMAIL) < 0)
		return fail_git(BG_EGIT, "making a signature");
	return 0;
}

/* The tree of the working directory, as `git add -A && git write-tree`
 * would give, with the index changed in memory only. The in-memory index
 * is re-read from disk before returning, whatever happened. */
static int write_worktree_tree(git_oid *tree_id, lp_repo *r)
{
	git_index *index = NULL;
	int error;

	if (git_repository_index(&index, r->repo) < 0)
		return fail_git(BG_EGIT, "opening the index");
	if (git_index_read(index, 1) < 0)
		error = fail_git(BG_EGIT, "reading the index");
	else if (git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0)
		error = fail_git(BG_EGIT, "adding the working tree to an in-memory index");
	else if (git_index_update_all(index, NULL, NULL, NULL) < 0)
		error = fail_git(BG_EGIT, "updating an in-memory index from the working tree");
	else if (git_index_write_tree(tree_id, index) < 0)
		error = fail_git(BG_EGIT, "writing the working tree as a tree object");
	else
		error = 0;
	/* Drop the in-memory changes: the index file was never written. */
	if (git_index_read(index, 1) < 0 && error == 0)
		error = fail_git(BG_EGIT, "re-reading the index");
	git_index_free(index);
	return error;
}

/* HEAD's commit in *out, or NULL when the branch is unborn. */
static int head_commit(git_commit **out, lp_repo *r)
{
	git_reference *head = NULL;
	git_object *obj = NULL;
	int error = git_repository_head(&head, r->repo);

	if (error == GIT_EUNBORNBRANCH || error == GIT_ENOTFOUND) {
		*out = NULL;
		return 0;
	}
	if (error < 0)
		return fail_git(BG_EGIT, "reading HEAD");
	error = git_reference_peel(&obj, head, GIT_OBJECT_COMMIT);
	git_reference_free(head);
	if (error < 0)
		return fail_git(BG_EGIT, "reading HEAD's commit");
	*out = (git_commit *)obj;
	return 0;
}

int lp_repo_snapshot(char out[41], lp_repo *r, const char *refname, const char *message)
{
	git_oid tree_id, commit_id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	const git_commit *parents[1];
	int error;

	if ((error = check_refname(refname)) < 0)
		return error;
	if (message == NULL)
		message = "benchgate: snapshot of the working tree\n";
	if ((error = write_worktree_tree(&tree_id, r)) < 0 ||
	    (error = head_commit(&parent, r)) < 0 ||
	    (error = default_signature(&sig, r)) < 0)
		goto cleanup;
	if (git_tree_lookup(&tree, r->repo, &tree_id) < 0) {
		error = fail_git(BG_EGIT, "reading the snapshot's tree");
		goto cleanup;
	}
	parents[0] = parent;
	if (git_commit_create(&commit_id, r->repo, NULL, sig, sig, NULL, message, tree,
			      parent != NULL ? 1 : 0, parents) < 0) {
		error = fail_git(BG_EGIT, "writing the snapshot commit");
		goto cleanup;
	}
	if (git_reference_create(&ref, r->repo, refname, &commit_id, 1,
				 "benchgate: snapshot of the working tree") < 0) {
		error = fail_git(BG_EGIT, "setting %s", refname);
		goto cleanup;
	}
	oid_hex(out, &commit_id);
cleanup:
	git_reference_free(ref);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	return error;
}

/* BG_EINVAL when refname is what HEAD points at (born or not). */
static int check_not_checked_out(lp_repo *r, const char *refname)
{
	git_reference *head = NULL;
	int same;

	if (git_reference_lookup(&head, r->repo, "HEAD") < 0)
		return fail_git(BG_EGIT, "reading HEAD");
	same = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	       strcmp(git_reference_symbolic_target(head), refname) == 0;
	git_reference_free(head);
	if (same)
		return bg_error_set(BG_EINVAL, "%s is the checked-out branch: moving it would leave "
				    "the working tree behind (benchgate resets it only with a clean "
				    "tree)", refname);
	return 0;
}

int lp_repo_ref_set(lp_repo *r, const char *refname, const char *commit,
		    const char *log_message)
{
	git_commit *c = NULL;
	git_reference *ref = NULL;
	int error;

	if ((error = check_refname(refname)) < 0 ||
	    (error = check_not_checked_out(r, refname)) < 0 ||
	    (error = lookup_commit(&c, r, commit)) < 0)
		return error;
	if (log_message == NULL)
		log_message = "benchgate: set ref";
	if (git_reference_create(&ref, r->repo, refname, git_commit_id(c), 1, log_message) < 0)
		error = fail_git(BG_EGIT, "setting %s to %s", refname, commit);
	git_reference_free(ref);
	git_commit_free(c);
	return error;
}

int lp_repo_note_set(lp_repo *r, const char *notes_ref, const char *commit, const char *text)
{
	git_commit *c = NULL;
	git_signature *sig = NULL;
	git_oid note_id;
	int error;

	if (notes_ref == NULL)
		notes_ref = STATE_REF_NOTES;
	if ((error = check_refname(notes_ref)) < 0 ||
	    (error = lookup_commit(&c, r, commit)) < 0)
		return error;
	if ((error = default_signature(&sig, r)) == 0 &&
	    git_note_create(&note_id, r->repo, notes_ref, sig, sig, git_commit_id(c), text, 1) < 0)
		error = fail_git(BG_EGIT, "writing the note of %s under %s", commit, notes_ref);
	git_signature_free(sig);
	git_commit_free(c);
	return error;
}

int lp_repo_reset_hard(lp_repo *r, const char *commit)
{
	git_checkout_options co;
	git_commit *c = NULL;
	int dirty = 0, error;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);

	if ((error = lookup_commit(&c, r, commit)) < 0)
		return error;
	if ((error = lp_repo_is_dirty(&dirty, r)) < 0)
		goto cleanup;
	if (dirty) {
		error = bg_error_set(BG_EINVAL, "%s has uncommitted changes or untracked files: "
				     "not resetting to %s, so that nothing is lost (commit or stash "
				     "them first)", lp_repo_workdir(r), commit);
		goto cleanup;
	}
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (git_reset(r->repo, (git_object *)c, GIT_RESET_HARD, &co) < 0)
		error = fail_git(BG_EGIT, "resetting to %s", commit);
cleanup:
	git_commit_free(c);
	return error;
}

/* ---- diffs ------------------------------------------------------------ */

/* The tree of `rev`'s commit, or NULL for rev NULL (the empty tree). */
static int lookup_tree(git_tree **out, lp_repo *r, const char *rev)
{
	git_commit *c = NULL;
	int error;

	*out = NULL;
	if (rev == NULL)
		return 0;
	if ((error = lookup_commit(&c, r, rev)) < 0)
		return error;
	if (git_commit_tree(out, c) < 0)
		error = fail_git(BG_EGIT, "reading the tree of %s", rev);
	git_commit_free(c);
	return error;
}

int lp_repo_file(char **text, lp_repo *r, const char *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	char *copy;
	size_t n;
	int error;

	if ((error = lookup_commit(&c, r, commit)) < 0)
		return error;
	if (git_commit_tree(&tree, c) < 0) {
		error = fail_git(BG_EGIT, "reading the tree of %s", commit);
	} else if (git_tree_entry_bypath(&entry, tree, path) < 0 ||
		   git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		error = bg_error_set(BG_ENOTFOUND, "%.12s has no file %s", commit, path);
	} else if (git_blob_lookup(&blob, r->repo, git_tree_entry_id(entry)) < 0) {
		error = fail_git(BG_EGIT, "reading %s of %s", path, commit);
	} else if ((copy = malloc((n = (size_t)git_blob_rawsize(blob)) + 1)) == NULL) {
		error = bg_error_nomem();
	} else {
		memcpy(copy, git_blob_rawcontent(blob), n);
		copy[n] = '\0';
		*text = copy;
	}
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

int lp_repo_path_status(int *committed, int *ignored, lp_repo *r, const char *path)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_oid head;
	int in_head = 0, ign = 0, error = 0;

	if (git_reference_name_to_id(&head, r->repo, "HEAD") == 0) {   /* else unborn */
		if (git_commit_lookup(&c, r->repo, &head) < 0 || git_commit_tree(&tree, c) < 0)
			error = fail_git(BG_EGIT, "reading HEAD's tree");
		else
			in_head = git_tree_entry_bypath(&entry, tree, path) == 0;
	}
	if (error == 0 && git_ignore_path_is_ignored(&ign, r->repo, path) < 0)
		error = fail_git(BG_EGIT, "reading the ignore rules for %s", path);
	if (error == 0) {
		*committed = in_head;
		*ignored = ign;
	}
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

int lp_repo_changed_paths(char ***paths, size_t *n, lp_repo *r, const char *from,
			  const char *to)
{
	git_diff_options opts;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	bg_strv s = BG_STRV_INIT;
	int error;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);

	if (to == NULL)
		return bg_error_set(BG_EINVAL, "changed paths: no target revision given");
	if ((error = lookup_tree(&a, r, from)) < 0 || (error = lookup_tree(&b, r, to)) < 0)
		goto cleanup;
	/* No git_diff_find_similar(): renames stay a deletion and an addition. */
	if (git_diff_tree_to_tree(&diff, r->repo, a, b, &opts) < 0) {
		error = fail_git(BG_EGIT, "comparing %s with %s", from ? from : "the empty tree", to);
		goto cleanup;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff) && error == 0; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if ((error = bg_strv_push(&s, d->old_file.path, strlen(d->old_file.path))) == 0)
			error = bg_strv_push(&s, d->new_file.path, strlen(d->new_file.path));
	}
	if (error < 0)
		goto cleanup;
	bg_strv_sort_unique(&s);
	*paths = s.v;
	*n = s.n;
	s.v = NULL;
	s.n = 0;
cleanup:
	bg_strv_free(s.v);
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return error;
}

/* ---- exports ---------------------------------------------------------- */

/* dir/name in a new string, or NULL. */
static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p != NULL)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

/* The marker's contents without the newline in buf ("" when there is no
 * marker). */
static void read_marker(char *buf, size_t size, const char *marker)
{
	int fd = open(marker, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0;

	buf[0] = '\0';
	if (fd < 0)
		return;
	got = read(fd, buf, size - 1);
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* 1 when dir has no entries, 0 when it has, BG_ESYS when unreadable. */
static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return bg_error_set(BG_ESYS, "cannot read %s: %s", dir, strerror(errno));
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

static int remove_below(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	return ftw->level == 0 ? 0 : remove(path);
}

/* Deletes everything inside dir (symlinks are removed, not followed). */
static int clear_dir(const char *dir)
{
	if (nftw(dir, remove_below, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return bg_error_set(BG_ESYS, "cannot empty %s for a fresh export: %s", dir,
				    strerror(errno));
	return 0;
}

/* Checks out the tree of c into dir. The empty baseline makes every file
 * an addition, so all are written; the repository's index is neither
 * refreshed, updated nor written. */
/* Writes tree's files into dir (which holds nothing of its own), the
 * repository's index and working tree untouched. */
static int checkout_tree_into(git_repository *repo, git_tree *tree, const char *dir, const char *what)
{
	git_checkout_options co;
	git_index *empty = NULL;
	int error = 0;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (git_index_new(&empty) < 0)
		return fail_git(BG_EGIT, "exporting %s", what);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_RECREATE_MISSING |
			       GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DONT_WRITE_INDEX |
			       GIT_CHECKOUT_NO_REFRESH;
	co.target_directory = dir;
	co.baseline_index = empty;
	if (git_checkout_tree(repo, (git_object *)tree, &co) < 0)
		error = fail_git(BG_EGIT, "exporting %s into %s", what, dir);
	git_index_free(empty);
	return error;
}

/* ---- submodules in an export ------------------------------------------ */

/* Submodules nested deeper than this are taken for a loop. */
#define SUBMODULE_DEPTH 8

/* The gitlinks of a tree (its submodules): their paths and commits. */
typedef struct {
	bg_strv paths;
	git_oid *ids;
	int error;
} gitlinks;

static int collect_gitlink(const char *root, const git_tree_entry *e, void *payload)
{
	gitlinks *g = payload;
	git_oid *grown;
	char *path;

	if (git_tree_entry_type(e) != GIT_OBJECT_COMMIT)
		return 0;
	/* root is "" at the top, else "dir/" */
	if (asprintf(&path, "%s%s", root, git_tree_entry_name(e)) < 0)
		path = NULL;
	if (path == NULL || (grown = realloc(g->ids, (g->paths.n + 1) * sizeof(*grown))) == NULL ||
	    bg_strv_push(&g->paths, path, strlen(path)) < 0) {
		free(path);
		g->error = bg_error_nomem();
		return -1;
	}
	g->ids = grown;
	git_oid_cpy(&g->ids[g->paths.n - 1], git_tree_entry_id(e));
	free(path);
	return 0;
}

/* The repository of submodule `path`: where `git submodule update` keeps
 * it (.git/modules/NAME), else its own working tree's. Never the network:
 * a submodule this clone lacks is an error saying how to fetch it. */
static int open_submodule(git_repository **out, git_repository *repo, const char *path, const char *what)
{
	git_submodule *sm = NULL;
	char *modules = NULL;
	int error = 0;

	if (git_submodule_lookup(&sm, repo, path) < 0)
		return fail_git(BG_EGIT, "%s: %s is a submodule that .gitmodules does not name", what, path);
	if (asprintf(&modules, "%smodules/%s", git_repository_commondir(repo), git_submodule_name(sm)) < 0)
		error = bg_error_nomem();
	else if (git_repository_open_ext(out, modules, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 &&
		 git_submodule_open(out, sm) < 0)
		error = bg_error_set(BG_ENOTFOUND, "%s: the submodule %s is not in this clone; run `git submodule update "
						   "--init --recursive` first", what, path);
	free(modules);
	git_submodule_free(sm);
	return error;
}

static int export_submodules(git_repository *repo, git_tree *tree, const char *dir, const char *what, int depth);

/* Submodule `path` at commit `id` into dir/path, and its own submodules. */
static int export_submodule(git_repository *repo, const char *path, const git_oid *id, const char *dir,
			    const char *what, int depth)
{
	git_repository *sub = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char hex[41], *at = path_join(dir, path);
	int error;

	oid_hex(hex, id);
	if (at == NULL)
		return bg_error_nomem();
	if ((error = open_submodule(&sub, repo, path, what)) < 0)
		goto cleanup;
	if (git_commit_lookup(&c, sub, id) < 0 || git_commit_tree(&tree, c) < 0) {
		error = bg_error_set(BG_ENOTFOUND, "%s: the submodule %s lacks its commit %.12s here; run `git submodule "
						   "update --init --recursive` (or fetch in the submodule) first",
				     what, path, hex);
		goto cleanup;
	}
	if ((error = bg_file_mkdirs(at, 0777)) == 0 && (error = checkout_tree_into(sub, tree, at, what)) == 0)
		error = export_submodules(sub, tree, at, what, depth + 1);
cleanup:
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(sub);
	free(at);
	return error;
}

/* Every submodule of tree, checked out at its recorded commit under dir. */
static int export_submodules(git_repository *repo, git_tree *tree, const char *dir, const char *what, int depth)
{
	gitlinks g = { BG_STRV_INIT, NULL, 0 };
	int error = 0;

	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect_gitlink, &g) < 0 && g.error == 0)
		error = fail_git(BG_EGIT, "reading the submodules of %s", what);
	if (g.error < 0)
		error = g.error;
	if (error == 0 && g.paths.n > 0 && depth >= SUBMODULE_DEPTH)
		error = bg_error_set(BG_EINVAL, "%s: submodules nested more than %d deep (a loop?)", what,
				     SUBMODULE_DEPTH);
	for (size_t i = 0; error == 0 && i < g.paths.n; i++)
		error = export_submodule(repo, g.paths.v[i], &g.ids[i], dir, what, depth);
	bg_strv_free(g.paths.v);
	free(g.ids);
	return error;
}

static int checkout_into(lp_repo *r, git_commit *c, const char *dir, const char *rev)
{
	git_tree *tree = NULL;
	int error;

	if (git_commit_tree(&tree, c) < 0)
		return fail_git(BG_EGIT, "reading the tree of %s", rev);
	if ((error = checkout_tree_into(r->repo, tree, dir, rev)) == 0)
		error = export_submodules(r->repo, tree, dir, rev, 0);
	git_tree_free(tree);
	return error;
}

/* The repository r with dir as its working directory, for comparing an
 * export with a tree (a second handle: r's own is left as it is). */
static int open_at(git_repository **out, lp_repo *r, const char *dir)
{
	if (git_repository_open_ext(out, git_repository_path(r->repo), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return fail_git(BG_EGIT, "opening %s", git_repository_path(r->repo));
	if (git_repository_set_workdir(*out, dir, 0) < 0) {
		git_repository_free(*out);
		return fail_git(BG_EGIT, "comparing %s", dir);
	}
	return 0;
}

int lp_repo_export_changes(char ***paths, size_t *n, lp_repo *r, const char *commit, const char *dir,
			   const char *const *only, size_t nonly)
{
	git_diff_options opts;
	git_repository *at = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	bg_strv s = BG_STRV_INIT, spec = BG_STRV_INIT;
	int error = 0;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* an exported submodule has no repository of its own to compare with */
	opts.flags |= GIT_DIFF_IGNORE_SUBMODULES;
	for (size_t i = 0; i < nonly; i++) {   /* "./bench/" is the pathspec "bench" */
		const char *p = only[i] + (strncmp(only[i], "./", 2) == 0 ? 2 : 0);
		size_t len = strlen(p);

		while (len > 0 && p[len - 1] == '/')
			len--;
		if ((error = bg_strv_push(&spec, p, len)) < 0)
			goto cleanup;
	}
	if (only != NULL && spec.n == 0)
		goto done;   /* nothing protected: nothing to compare */
	opts.pathspec.strings = spec.v;
	opts.pathspec.count = spec.n;
	if (only != NULL)   /* what the build made there counts too */
		opts.flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
			      GIT_DIFF_INCLUDE_IGNORED | GIT_DIFF_RECURSE_IGNORED_DIRS;
	if ((error = lookup_tree(&tree, r, commit)) < 0 || (error = open_at(&at, r, dir)) < 0)
		goto cleanup;
	if (git_diff_tree_to_workdir(&diff, at, tree, &opts) < 0) {
		error = fail_git(BG_EGIT, "comparing %s with %s", dir, commit);
		goto cleanup;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff) && error == 0; i++) {
		const char *path = git_diff_get_delta(diff, i)->new_file.path;

		if (strcmp(path, LP_EXPORT_MARKER) != 0)
			error = bg_strv_push(&s, path, strlen(path));
	}
	if (error < 0)
		goto cleanup;
done:
	bg_strv_sort_unique(&s);
	*paths = s.v;
	*n = s.n;
	s.v = NULL;
	s.n = 0;
cleanup:
	bg_strv_free(s.v);
	bg_strv_free(spec.v);
	git_diff_free(diff);
	git_tree_free(tree);
	git_repository_free(at);
	return error;
}

int lp_repo_export(lp_repo *r, const char *commit, const char *dir)
{
	git_commit *c = NULL;
	char id[41], text[42], have[64], *marker = NULL;
	int error, empty;

	if ((error = lookup_commit(&c, r, commit)) < 0)
		return error;
	oid_hex(id, git_commit_id(c));
	if ((error = bg_file_mkdirs(dir, 0777)) < 0)
		goto cleanup;
	if ((marker = path_join(dir, LP_EXPORT_MARKER)) == NULL) {
		error = bg_error_nomem();
		goto cleanup;
	}
	snprintf(text, sizeof(text), "%s\n", id);
	read_marker(have, sizeof(have), marker);
	if (strcmp(have, id) == 0) {
		char **changed = NULL;
		size_t n = 0;

		if ((error = lp_repo_export_changes(&changed, &n, r, id, dir, NULL, 0)) < 0)
			goto cleanup;
		bg_strv_free(changed);
		if (n == 0)
			goto cleanup; /* already there as exported: keep its build products */
		/* a tracked file changed since: exported (and so built) anew */
	}
	if (have[0] != '\0') {
		error = clear_dir(dir);
	} else if ((empty = dir_is_empty(dir)) == 0) {
		error = bg_error_set(BG_EINVAL, "%s is not empty and was not made by benchgate (no "
				     "%s in it): remove it or export elsewhere", dir,
				     LP_EXPORT_MARKER);
	} else if (empty < 0) {
		error = empty;
	}
	/* The marker says "unfinished" until the checkout is complete, so an
	 * interrupted export is recognised as ours and redone. */
	if (error < 0 || (error = bg_file_write_atomic(marker, EXPORT_PENDING)) < 0 ||
	    (error = checkout_into(r, c, dir, commit)) < 0)
		goto cleanup;
	error = bg_file_write_atomic(marker, text);
cleanup:
	free(marker);
	git_commit_free(c);
	return error;
}
