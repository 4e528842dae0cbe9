/* test_repo: lp_repo on throwaway repositories.
 *
 * Each test gets a fresh repository under a mkdtemp directory, built with
 * the `git` command (fixtures and observation only; lp_repo itself never runs
 * it): three commits on `main`,
 *
 *   id[0] "first"  .gitignore (*.o), a.txt one, b.txt bee, run.sh (+x),
 *                  sub/c.txt sea; annotated tag v1
 *   id[1] "second" a.txt two, d.txt dee added
 *   id[2] "third"  a.txt three, b.txt deleted, sub/c.txt renamed sub/c2.txt
 *
 * HOME, XDG_CONFIG_HOME and libgit2's configuration search paths point into
 * the temporary directory, so no user or system configuration leaks in. The
 * git-safety tests compare the .git/index file's bytes, inode and mtime and
 * `git status --porcelain` before and after the call under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_error.h"
#include "bg_strv.h"
#include "bg_test.h"
#include "lp_repo.h"
#include "state.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char root[PATH_MAX];  /* the mkdtemp directory, also HOME */
	char repo[PATH_MAX];  /* root/repo, the fixture repository */
	char id[3][41];       /* its commits, oldest first */
	lp_repo *r;           /* lp_repo_open(repo) */
} fixture;

/* ---- helpers ---------------------------------------------------------- */

/* Runs `cd DIR && CMD` with sh, stdout discarded; fails the test unless it
 * exits 0. */
__attribute__((format(printf, 2, 3)))
static void sh(const char *dir, const char *fmt, ...)
{
	char cmd[8192], full[9000];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s ; } >/dev/null", dir, cmd);
	rc = system(full);
	if (rc != 0)
		fail_msg("shell command failed (%d): %s", rc, full);
}

/* stdout of `cd DIR && CMD` (caller frees); fails the test unless it exits 0. */
__attribute__((format(printf, 2, 3)))
static char *capture(const char *dir, const char *fmt, ...)
{
	char cmd[8192], full[9000];
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	va_list ap;
	FILE *p;
	int rc;

	assert_non_null(out);
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s ; }", dir, cmd);
	p = popen(full, "r");
	assert_non_null(p);
	for (size_t got; (got = fread(out + len, 1, cap - len - 1, p)) > 0;) {
		len += got;
		if (cap - len < 2) {
			out = realloc(out, cap *= 2);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	rc = pclose(p);
	if (rc != 0)
		fail_msg("shell command failed (%d): %s", rc, full);
	return out;
}

/* Fails unless `cd DIR && CMD` prints exactly `expected`. */
#define assert_output(dir, expected, ...)                                         \
	do {                                                                       \
		char *got_ = capture(dir, __VA_ARGS__);                            \
		if (strcmp(got_, expected) != 0) {                                 \
			print_error("expected:\n%s\ngot:\n%s\n", expected, got_);  \
			free(got_);                                                \
			fail_msg("output of \"%s\" differs", #__VA_ARGS__);        \
		}                                                                  \
		free(got_);                                                        \
	} while (0)

/* `ref` in the repository at dir points at commit `hex`, as git itself reads
 * it. */
static void assert_ref(const char *dir, const char *ref, const char *hex)
{
	char want[64];

	snprintf(want, sizeof(want), "%s\n", hex);
	assert_output(dir, want, "git rev-parse %s", ref);
}

static char *path_in(char *buf, size_t size, const char *dir, const char *rel)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, rel) >= size)
		fail_msg("path too long: %s/%s", dir, rel);
	return buf;
}

/* Writes dir/rel (directories must exist). */
static void put(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f = fopen(path_in(path, sizeof(path), dir, rel), "w");

	if (f == NULL)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* Fails unless dir/rel holds exactly `text`. */
static void assert_file(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	char *got = bg_test_slurp(path_in(path, sizeof(path), dir, rel));

	if (got == NULL)
		fail_msg("%s is missing", path);
	if (strcmp(got, text) != 0) {
		print_error("%s holds \"%s\", expected \"%s\"\n", path, got, text);
		free(got);
		fail();
	}
	free(got);
}

static int exists(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	return access(path_in(path, sizeof(path), dir, rel), F_OK) == 0;
}

/* The index file, byte for byte, with the stat fields a write would change. */
typedef struct {
	char *bytes;
	size_t len;
	struct stat st;
} index_image;

static void index_take(index_image *img, const fixture *fx)
{
	char path[PATH_MAX];
	FILE *f = fopen(path_in(path, sizeof(path), fx->repo, ".git/index"), "rb");

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &img->st), 0);
	img->len = (size_t)img->st.st_size;
	img->bytes = malloc(img->len + 1);
	assert_non_null(img->bytes);
	assert_int_equal(fread(img->bytes, 1, img->len, f), img->len);
	fclose(f);
}

/* Fails unless the index file is exactly as `before`; frees both images. */
static void index_assert_unchanged(index_image *before, const fixture *fx)
{
	index_image now;
	int same;

	index_take(&now, fx);
	same = now.len == before->len && memcmp(now.bytes, before->bytes, now.len) == 0;
	free(now.bytes);
	free(before->bytes);
	if (!same)
		fail_msg(".git/index changed (%zu -> %zu bytes)", before->len, now.len);
	assert_int_equal(now.st.st_ino, before->st.st_ino);
	assert_int_equal(now.st.st_mtim.tv_sec, before->st.st_mtim.tv_sec);
	assert_int_equal(now.st.st_mtim.tv_nsec, before->st.st_mtim.tv_nsec);
}

#define STATUS_CMD "git --no-optional-locks status --porcelain --untracked-files=all"

/* Fails unless `v` (n strings) equals the NULL-terminated `want`. */
static void assert_strv(char **v, size_t n, const char *const *want)
{
	size_t k = 0;
	int same;

	while (want[k] != NULL)
		k++;
	same = n == k;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(v[i], want[i]) == 0;
	if (!same) {
		for (size_t i = 0; i < n; i++)
			print_error("  path %zu: %s\n", i, v[i]);
		fail_msg("%zu paths, expected %zu (listed above)", n, k);
	}
}

/* A repository with one uncommitted file and no commit, at fx->root/name. */
static void make_unborn(const fixture *fx, const char *name, char *dir, size_t size)
{
	path_in(dir, size, fx->root, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	sh(dir, "git -c init.defaultBranch=main init -q . && git config user.name 'Test Person' "
		"&& git config user.email test@example.com && printf 'x\\n' > x.txt");
}

/* ---- fixture ---------------------------------------------------------- */

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	fixture *fx = calloc(1, sizeof(*fx));
	char *ids;

	if (fx == NULL)
		return -1;
	snprintf(tmpl, sizeof(tmpl), "%s/bg-git.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, fx->root) == NULL) {
		free(fx);
		return -1;
	}
	*state = fx;
	setenv("HOME", fx->root, 1);
	setenv("XDG_CONFIG_HOME", fx->root, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, fx->root);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, fx->root);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, fx->root);

	path_in(fx->repo, sizeof(fx->repo), fx->root, "repo");
	if (mkdir(fx->repo, 0700) < 0)
		return -1;
	sh(fx->repo,
	   "git -c init.defaultBranch=main init -q . && git config user.name 'Test Person' && "
	   "git config user.email test@example.com && git config commit.gpgsign false && "
	   "git config core.autocrlf false && "
	   "printf '*.o\\n' > .gitignore && printf 'one\\n' > a.txt && printf 'bee\\n' > b.txt && "
	   "printf '#!/bin/sh\\necho hi\\n' > run.sh && chmod +x run.sh && "
	   "mkdir sub && printf 'sea\\n' > sub/c.txt && "
	   "git add -A && git commit -qm first && git tag -a v1 -m 'tag v1' && "
	   "printf 'two\\n' > a.txt && printf 'dee\\n' > d.txt && git add -A && "
	   "git commit -qm second && "
	   "printf 'three\\n' > a.txt && git rm -q b.txt && git mv sub/c.txt sub/c2.txt && "
	   "git add -A && git commit -qm third");
	ids = capture(fx->repo, "git rev-parse HEAD~2 HEAD~1 HEAD");
	if (strlen(ids) != 3 * 41) {
		free(ids);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		memcpy(fx->id[i], ids + 41 * i, 40);
		fx->id[i][40] = '\0';
	}
	free(ids);
	if (lp_repo_open(&fx->r, fx->repo) < 0) {
		print_error("%s\n", bg_error_last());
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	char cmd[PATH_MAX + 16];
	int rc;

	lp_repo_free(fx->r);
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	rc = system(cmd);
	free(fx);
	return rc == 0 ? 0 : -1;
}

/* ---- opening ---------------------------------------------------------- */

static void open_in_subdirectory_finds_the_repository(void **state)
{
	fixture *fx = *state;
	char sub[PATH_MAX], want[PATH_MAX + 8];
	lp_repo *r = NULL;

	assert_int_equal(lp_repo_open(&r, path_in(sub, sizeof(sub), fx->repo, "sub")), 0);
	snprintf(want, sizeof(want), "%s/", fx->repo);
	assert_string_equal(lp_repo_workdir(r), want);
	snprintf(want, sizeof(want), "%s/.git/", fx->repo);
	assert_string_equal(lp_repo_gitdir(r), want);
	lp_repo_free(r);
	lp_repo_free(NULL);
}

static void open_outside_a_repository_says_so(void **state)
{
	fixture *fx = *state;
	char plain[PATH_MAX];
	lp_repo *r = (lp_repo *)&r; /* must stay untouched */

	assert_int_equal(mkdir(path_in(plain, sizeof(plain), fx->root, "plain"), 0700), 0);
	assert_int_equal(lp_repo_open(&r, plain), BG_EGIT);
	assert_ptr_equal(r, (lp_repo *)&r);
	assert_non_null(strstr(bg_error_last(), "not a git repository: "));
	assert_non_null(strstr(bg_error_last(), plain));
	assert_non_null(strstr(bg_error_last(), "git init"));
}

static void open_bare_repository_is_refused(void **state)
{
	fixture *fx = *state;
	char bare[PATH_MAX];
	lp_repo *r = NULL;

	path_in(bare, sizeof(bare), fx->root, "bare.git");
	sh(fx->root, "git init -q --bare '%s'", bare);
	assert_int_equal(lp_repo_open(&r, bare), BG_EGIT);
	assert_null(r);
	assert_non_null(strstr(bg_error_last(), bare));
	assert_non_null(strstr(bg_error_last(), "is a bare repository: benchgate needs a working tree"));
}

static void state_dir_is_created_under_gitdir(void **unused)
{
	fixture *fx = *unused;
	char want[PATH_MAX];
	state_store *st = NULL, *again = NULL;
	struct stat sb;

	path_in(want, sizeof(want), fx->repo, ".git/benchgate");
	assert_int_not_equal(stat(want, &sb), 0);
	assert_int_equal(state_open(&st, lp_repo_gitdir(fx->r)), 0);
	assert_string_equal(state_root(st), want);
	assert_int_equal(stat(want, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(state_open(&again, lp_repo_gitdir(fx->r)), 0); /* exists: fine */
	assert_string_equal(state_root(again), want);
	state_free(again);
	/* A file in the way is reported, and *out left alone. */
	assert_int_equal(rmdir(want), 0);
	put(fx->repo, ".git/benchgate", "in the way\n");
	again = NULL;
	assert_int_equal(state_open(&again, lp_repo_gitdir(fx->r)), BG_ESYS);
	assert_null(again);
	assert_non_null(strstr(bg_error_last(), want));
	state_free(st);
}

/* ---- commits ---------------------------------------------------------- */

static void resolve_revisions(void **state)
{
	fixture *fx = *state;
	char out[41], shortid[8];

	assert_int_equal(lp_repo_resolve(out, fx->r, "HEAD"), 0);
	assert_string_equal(out, fx->id[2]);
	assert_int_equal(lp_repo_resolve(out, fx->r, "HEAD~1"), 0);
	assert_string_equal(out, fx->id[1]);
	assert_int_equal(lp_repo_resolve(out, fx->r, "v1"), 0); /* annotated: peeled */
	assert_string_equal(out, fx->id[0]);
	assert_int_equal(lp_repo_resolve(out, fx->r, "main"), 0);
	assert_string_equal(out, fx->id[2]);
	memcpy(shortid, fx->id[1], 7);
	shortid[7] = '\0';
	assert_int_equal(lp_repo_resolve(out, fx->r, shortid), 0);
	assert_string_equal(out, fx->id[1]);

	strcpy(out, "untouched");
	assert_int_equal(lp_repo_resolve(out, fx->r, "no-such-branch"), BG_ENOTFOUND);
	assert_string_equal(out, "untouched");
	assert_non_null(strstr(bg_error_last(), "no commit no-such-branch: "));
	assert_int_equal(lp_repo_resolve(out, fx->r, "HEAD~7"), BG_ENOTFOUND);
	assert_int_equal(lp_repo_resolve(out, fx->r, "HEAD^{tree}"), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "no commit HEAD^{tree}"));
	assert_string_equal(out, "untouched");
}

static void first_parent_and_root_commit(void **state)
{
	fixture *fx = *state;
	char out[41];

	assert_int_equal(lp_repo_first_parent(out, fx->r, fx->id[2]), 0);
	assert_string_equal(out, fx->id[1]);
	assert_int_equal(lp_repo_first_parent(out, fx->r, "HEAD~1"), 0);
	assert_string_equal(out, fx->id[0]);
	strcpy(out, "untouched");
	assert_int_equal(lp_repo_first_parent(out, fx->r, fx->id[0]), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "root commit"));
	assert_int_equal(lp_repo_first_parent(out, fx->r, "nope"), BG_ENOTFOUND);
	assert_string_equal(out, "untouched");
}

static void branch_name_detached_and_unborn(void **state)
{
	fixture *fx = *state;
	char unborn[PATH_MAX], *name = NULL;
	lp_repo *r = NULL;

	assert_int_equal(lp_repo_branch(&name, fx->r), 0);
	assert_string_equal(name, "main");
	free(name);
	sh(fx->repo, "git checkout -q -b feature/fast");
	assert_int_equal(lp_repo_branch(&name, fx->r), 0);
	assert_string_equal(name, "feature/fast");
	free(name);
	sh(fx->repo, "git checkout -q --detach");
	name = (char *)"sentinel";
	assert_int_equal(lp_repo_branch(&name, fx->r), 0);
	assert_null(name);

	make_unborn(fx, "unborn", unborn, sizeof(unborn));
	assert_int_equal(lp_repo_open(&r, unborn), 0);
	name = (char *)"sentinel";
	assert_int_equal(lp_repo_branch(&name, r), 0);
	assert_null(name);
	lp_repo_free(r);
}

static int dirty(const fixture *fx)
{
	int d = -1;

	assert_int_equal(lp_repo_is_dirty(&d, fx->r), 0);
	return d;
}

static void dirty_detection(void **state)
{
	fixture *fx = *state;

	assert_int_equal(dirty(fx), 0);
	put(fx->repo, "junk.o", "ignored\n"); /* ignored files don't count */
	assert_int_equal(dirty(fx), 0);

	put(fx->repo, "a.txt", "changed\n");
	assert_int_equal(dirty(fx), 1);
	sh(fx->repo, "git checkout -q -- a.txt");
	assert_int_equal(dirty(fx), 0);

	put(fx->repo, "a.txt", "staged\n");
	sh(fx->repo, "git add a.txt && printf 'three\\n' > a.txt"); /* staged only */
	assert_int_equal(dirty(fx), 1);
	sh(fx->repo, "git reset -q --hard");
	assert_int_equal(dirty(fx), 0);

	put(fx->repo, "new.txt", "untracked\n");
	assert_int_equal(dirty(fx), 1);
	sh(fx->repo, "rm new.txt");
	assert_int_equal(dirty(fx), 0);

	sh(fx->repo, "rm d.txt");
	assert_int_equal(dirty(fx), 1);
}

/* ---- snapshot --------------------------------------------------------- */

static void snapshot_records_the_worktree_without_touching_it(void **state)
{
	fixture *fx = *state;
	char out[41], again[41], ref[41], parent[41];
	index_image before;
	char *status;

	/* a.txt staged one way and changed again; d.txt deleted in the tree
	 * only; sub/c2.txt removed from the index but still on disk; new
	 * files, one in a new directory; an ignored file. */
	sh(fx->repo, "printf 'staged\\n' > a.txt && git add a.txt && printf 'worktree\\n' > a.txt && "
		     "rm d.txt && git rm -q --cached sub/c2.txt && mkdir newdir && "
		     "printf 'new\\n' > n.txt && printf 'deep\\n' > newdir/deep.txt && "
		     "printf 'obj\\n' > y.o");
	status = capture(fx->repo, STATUS_CMD);
	assert_non_null(strstr(status, "MM a.txt"));
	assert_non_null(strstr(status, " D d.txt"));
	index_take(&before, fx);

	assert_int_equal(lp_repo_snapshot(out, fx->r, "refs/benchgate/worktree", NULL), 0);

	index_assert_unchanged(&before, fx);
	assert_output(fx->repo, status, STATUS_CMD);
	free(status);
	assert_file(fx->repo, "a.txt", "worktree\n");
	assert_false(exists(fx->repo, "d.txt"));
	assert_file(fx->repo, "y.o", "obj\n");
	assert_output(fx->repo, ".gitignore\na.txt\nn.txt\nnewdir/deep.txt\nrun.sh\nsub/c2.txt\n",
		      "git ls-tree -r --name-only %s", out);
	assert_output(fx->repo, "worktree\n", "git show %s:a.txt", out);
	assert_output(fx->repo, "100755\n", "git ls-tree %s run.sh | cut -c1-6", out);
	assert_int_equal(lp_repo_first_parent(parent, fx->r, out), 0);
	assert_string_equal(parent, fx->id[2]);
	assert_ref(fx->repo, "refs/benchgate/worktree", out);
	assert_int_equal(lp_repo_resolve(ref, fx->r, "HEAD"), 0);
	assert_string_equal(ref, fx->id[2]);

	/* A second snapshot after another change moves the ref. */
	put(fx->repo, "n.txt", "newer\n");
	assert_int_equal(lp_repo_snapshot(again, fx->r, "refs/benchgate/worktree", "again\n"), 0);
	assert_string_not_equal(again, out);
	assert_ref(fx->repo, "refs/benchgate/worktree", again);
	assert_output(fx->repo, "newer\n", "git show %s:n.txt", again);
	assert_output(fx->repo, "again\n", "git log -1 --format=%%B %s | sed '/^$/d'", again);
	assert_int_equal(lp_repo_snapshot(again, fx->r, "HEAD", NULL), BG_EINVAL);
}

static void snapshot_on_an_unborn_branch_has_no_parent(void **state)
{
	fixture *fx = *state;
	char unborn[PATH_MAX], out[41], parent[41];
	lp_repo *r = NULL;

	make_unborn(fx, "unborn", unborn, sizeof(unborn));
	assert_int_equal(lp_repo_open(&r, unborn), 0);
	assert_int_equal(lp_repo_snapshot(out, r, "refs/benchgate/worktree", NULL), 0);
	assert_int_equal(lp_repo_first_parent(parent, r, out), BG_ENOTFOUND);
	lp_repo_free(r);
	assert_output(unborn, "x.txt\n", "git ls-tree -r --name-only %s", out);
	assert_output(unborn, "?? x.txt\n", STATUS_CMD);
	assert_false(exists(unborn, ".git/index"));
}

/* ---- export ----------------------------------------------------------- */

static void export_is_reused_then_replaced(void **state)
{
	fixture *fx = *state;
	char dir[PATH_MAX], path[PATH_MAX], marker[64];
	state_store *st = NULL;
	index_image before;

	assert_int_equal(state_open(&st, lp_repo_gitdir(fx->r)), 0);
	path_in(dir, sizeof(dir), state_root(st), "worktrees/base");
	state_free(st);
	index_take(&before, fx);

	assert_int_equal(lp_repo_export(fx->r, "v1", dir), 0);
	assert_file(dir, "a.txt", "one\n");
	assert_file(dir, "b.txt", "bee\n");
	assert_file(dir, "sub/c.txt", "sea\n");
	assert_file(dir, ".gitignore", "*.o\n");
	assert_int_equal(access(path_in(path, sizeof(path), dir, "run.sh"), X_OK), 0);
	snprintf(marker, sizeof(marker), "%s\n", fx->id[0]);
	assert_file(dir, LP_EXPORT_MARKER, marker);

	/* Same commit again: nothing redone, build products kept. */
	put(dir, "build.out", "artifact\n");
	assert_int_equal(lp_repo_export(fx->r, fx->id[0], dir), 0);
	assert_file(dir, "build.out", "artifact\n");
	/* A tracked file changed since (by anyone): exported anew, so what
	 * runs there is the commit's. */
	put(dir, "a.txt", "edited after the export\n");
	assert_int_equal(lp_repo_export(fx->r, fx->id[0], dir), 0);
	assert_file(dir, "a.txt", "one\n");
	assert_false(exists(dir, "build.out"));
	put(dir, "build.out", "artifact\n");
	{	/* what differs: under protected entries also what was made there */
		const char *only[] = { "./sub/", "b.txt" };
		char **ch = NULL;
		size_t n = 9;

		put(dir, "sub/new.txt", "made by a build\n");
		assert_int_equal(lp_repo_export_changes(&ch, &n, fx->r, fx->id[0], dir, NULL, 0), 0);
		assert_int_equal(n, 0);
		bg_strv_free(ch);
		assert_int_equal(lp_repo_export_changes(&ch, &n, fx->r, fx->id[0], dir, only, 2), 0);
		assert_int_equal(n, 1);
		assert_string_equal(ch[0], "sub/new.txt");
		bg_strv_free(ch);
		assert_int_equal(unlink(path_in(path, sizeof(path), dir, "b.txt")), 0);
		assert_int_equal(lp_repo_export_changes(&ch, &n, fx->r, fx->id[0], dir, only, 2), 0);
		assert_int_equal(n, 2);
		assert_string_equal(ch[0], "b.txt");
		bg_strv_free(ch);
		assert_int_equal(lp_repo_export_changes(&ch, &n, fx->r, fx->id[0], dir, NULL, 0), 0);
		assert_int_equal(n, 1);
		bg_strv_free(ch);
		put(dir, "b.txt", "bee\n");
		assert_int_equal(unlink(path_in(path, sizeof(path), dir, "sub/new.txt")), 0);
	}

	/* Another commit: the directory is replaced. */
	assert_int_equal(lp_repo_export(fx->r, "HEAD", dir), 0);
	assert_false(exists(dir, "build.out"));
	assert_false(exists(dir, "b.txt"));
	assert_false(exists(dir, "sub/c.txt"));
	assert_file(dir, "a.txt", "three\n");
	assert_file(dir, "sub/c2.txt", "sea\n");
	assert_file(dir, "d.txt", "dee\n");
	snprintf(marker, sizeof(marker), "%s\n", fx->id[2]);
	assert_file(dir, LP_EXPORT_MARKER, marker);

	/* The repository saw none of it. */
	index_assert_unchanged(&before, fx);
	assert_output(fx->repo, "", STATUS_CMD);
	assert_output(fx->repo, "refs/heads/main\n", "git symbolic-ref HEAD");
	assert_output(fx->repo, "", "git diff HEAD --stat");
}

static void export_redoes_an_interrupted_one(void **state)
{
	fixture *fx = *state;
	char dir[PATH_MAX], marker[64];

	path_in(dir, sizeof(dir), fx->root, "exp");
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, LP_EXPORT_MARKER, "exporting\n");
	put(dir, "half.txt", "left over\n");
	assert_int_equal(lp_repo_export(fx->r, "HEAD~1", dir), 0);
	assert_false(exists(dir, "half.txt"));
	assert_file(dir, "a.txt", "two\n");
	snprintf(marker, sizeof(marker), "%s\n", fx->id[1]);
	assert_file(dir, LP_EXPORT_MARKER, marker);
}

static void export_refuses_a_foreign_directory(void **state)
{
	fixture *fx = *state;
	char dir[PATH_MAX];

	path_in(dir, sizeof(dir), fx->root, "mine");
	assert_int_equal(mkdir(dir, 0700), 0);
	put(dir, "keep.txt", "precious\n");
	assert_int_equal(lp_repo_export(fx->r, "HEAD", dir), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), dir));
	assert_non_null(strstr(bg_error_last(), LP_EXPORT_MARKER));
	assert_file(dir, "keep.txt", "precious\n");
	assert_false(exists(dir, "a.txt"));
	assert_int_equal(lp_repo_export(fx->r, "no-such-rev", dir), BG_ENOTFOUND);
	assert_file(dir, "keep.txt", "precious\n");
}

/* Submodules are exported at the commit the tree records, nested ones
 * too, from the clone's own copies (.git/modules); one the clone lacks is
 * an error that says how to fetch it, never an empty directory. */
static void export_fills_submodules(void **state)
{
	fixture *fx = *state;
	char lib[PATH_MAX], deep[PATH_MAX], app[PATH_MAX], dir[PATH_MAX], bare[PATH_MAX], *old = NULL;
	lp_repo *r = NULL;

	make_unborn(fx, "deep", deep, sizeof(deep));
	sh(deep, "echo deep1 > d.txt && git add -A && git commit -qm d1");
	make_unborn(fx, "lib", lib, sizeof(lib));
	sh(lib, "echo v1 > version.txt && git -c protocol.file.allow=always submodule add -q ../deep deep && "
		"git add -A && git commit -qm v1");
	make_unborn(fx, "app", app, sizeof(app));
	sh(app, "git -c protocol.file.allow=always submodule add -q ../lib lib && "
		"git -c protocol.file.allow=always submodule update -q --init --recursive && git add -A && "
		"git commit -qm base");
	old = capture(app, "git rev-parse HEAD");
	old[strcspn(old, "\n")] = '\0';
	sh(lib, "echo v2 > version.txt && git commit -qam v2");
	sh(app, "cd lib && git pull -q origin main && cd .. && git add lib && git commit -qm 'lib v2'");
	assert_int_equal(lp_repo_open(&r, app), 0);
	path_in(dir, sizeof(dir), fx->root, "exp-sub");
	assert_int_equal(lp_repo_export(r, old, dir), 0);
	assert_file(dir, "lib/version.txt", "v1\n");       /* the recorded commit, not lib's tip */
	assert_file(dir, "lib/deep/d.txt", "deep1\n");     /* nested */
	assert_false(exists(dir, "lib/.git"));
	assert_int_equal(lp_repo_export(r, "HEAD", dir), 0);
	assert_file(dir, "lib/version.txt", "v2\n");
	lp_repo_free(r);
	/* a clone without its submodules */
	path_in(bare, sizeof(bare), fx->root, "app2");
	sh(fx->root, "git clone -q app app2");
	assert_int_equal(lp_repo_open(&r, bare), 0);
	path_in(dir, sizeof(dir), fx->root, "exp-sub2");
	assert_int_equal(lp_repo_export(r, "HEAD", dir), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "the submodule lib is not in this clone"));
	assert_non_null(strstr(bg_error_last(), "git submodule update --init --recursive"));
	lp_repo_free(r);
	free(old);
}

/* ---- changed paths ---------------------------------------------------- */

/* A file as a commit's tree holds it, whatever the working tree says. */
static void file_of_commit(void **state)
{
	fixture *fx = *state;
	char *text = (char *)&text, path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/a.txt", fx->repo);
	assert_non_null(f = fopen(path, "w"));
	fputs("rewritten\n", f);
	fclose(f);
	assert_int_equal(lp_repo_file(&text, fx->r, fx->id[0], "a.txt"), 0);
	assert_string_equal(text, "one\n");
	free(text);
	assert_int_equal(lp_repo_file(&text, fx->r, "HEAD", "a.txt"), 0);
	assert_string_equal(text, "three\n");
	free(text);
	assert_int_equal(lp_repo_file(&text, fx->r, fx->id[0], "sub/c.txt"), 0);
	assert_string_equal(text, "sea\n");
	free(text);
	text = (char *)&text;
	assert_int_equal(lp_repo_file(&text, fx->r, "HEAD", "b.txt"), BG_ENOTFOUND);  /* removed */
	assert_int_equal(lp_repo_file(&text, fx->r, "HEAD", "sub"), BG_ENOTFOUND);    /* a tree */
	assert_int_equal(lp_repo_file(&text, fx->r, "nope", "a.txt"), BG_ENOTFOUND);
	assert_ptr_equal(text, (char *)&text);                                        /* untouched */
	sh(fx->repo, "git checkout -q -- a.txt");
}

static void changed_paths_between_commits(void **state)
{
	fixture *fx = *state;
	char **v = NULL;
	size_t n = 0;

	assert_int_equal(lp_repo_changed_paths(&v, &n, fx->r, fx->id[0], fx->id[1]), 0);
	assert_strv(v, n, (const char *const[]){ "a.txt", "d.txt", NULL });
	assert_null(v[n]);   /* NULL-terminated, for bg_strv_free */
	bg_strv_free(v);

	/* delete, modify, and a rename showing both names */
	assert_int_equal(lp_repo_changed_paths(&v, &n, fx->r, "HEAD~1", "HEAD"), 0);
	assert_strv(v, n, (const char *const[]){ "a.txt", "b.txt", "sub/c.txt", "sub/c2.txt", NULL });
	bg_strv_free(v);

	assert_int_equal(lp_repo_changed_paths(&v, &n, fx->r, NULL, "v1"), 0);
	assert_strv(v, n, (const char *const[]){ ".gitignore", "a.txt", "b.txt", "run.sh",
						 "sub/c.txt", NULL });
	bg_strv_free(v);

	v = (char **)&v;
	assert_int_equal(lp_repo_changed_paths(&v, &n, fx->r, "HEAD", fx->id[2]), 0);
	assert_int_equal(n, 0);
	assert_null(v);

	v = (char **)&v;
	n = 99;
	assert_int_equal(lp_repo_changed_paths(&v, &n, fx->r, "nope", "HEAD"), BG_ENOTFOUND);
	assert_ptr_equal(v, (char **)&v);
	assert_int_equal(n, 99);
	bg_strv_free(NULL);
}

/* ---- refs and notes --------------------------------------------------- */

static void refs_set_move(void **state)
{
	fixture *fx = *state;
	const char *ref = "refs/benchgate/rejected/abc";

	assert_int_equal(lp_repo_ref_set(fx->r, ref, "HEAD~2", "benchgate: reject"), 0);
	assert_ref(fx->repo, ref, fx->id[0]);
	assert_int_equal(lp_repo_ref_set(fx->r, ref, fx->id[1], NULL), 0); /* moved */
	assert_ref(fx->repo, ref, fx->id[1]);

	/* Another branch may be moved; the checked-out one and HEAD may not. */
	assert_int_equal(lp_repo_ref_set(fx->r, "refs/heads/other", "v1", NULL), 0);
	assert_int_equal(lp_repo_ref_set(fx->r, "refs/heads/main", fx->id[0], NULL), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "checked-out branch"));
	assert_int_equal(lp_repo_ref_set(fx->r, "HEAD", fx->id[0], NULL), BG_EINVAL);
	assert_int_equal(lp_repo_ref_set(fx->r, ref, "nope", NULL), BG_ENOTFOUND);
	assert_ref(fx->repo, "refs/heads/main", fx->id[2]);
	assert_ref(fx->repo, ref, fx->id[1]);
}

/* The note of rev under refs/notes/benchgate, read with libgit2 directly;
 * its author's name in `author` (size 64). Caller frees. */
static char *read_note(const char *repo_path, const char *hex, char *author)
{
	git_repository *repo = NULL;
	git_note *note = NULL;
	git_oid id;
	char *text;

	assert_int_equal(git_repository_open(&repo, repo_path), 0);
	assert_int_equal(git_oid_fromstr(&id, hex), 0);
	assert_int_equal(git_note_read(&note, repo, STATE_REF_NOTES, &id), 0);
	text = strdup(git_note_message(note));
	snprintf(author, 64, "%s <%s>", git_note_author(note)->name, git_note_author(note)->email);
	git_note_free(note);
	git_repository_free(repo);
	return text;
}

static void note_set_then_overwritten(void **state)
{
	fixture *fx = *state;
	char author[64], *text;
	lp_repo *r = NULL;

	assert_int_equal(lp_repo_note_set(fx->r, NULL, "HEAD~1", "first note\n"), 0);
	text = read_note(fx->repo, fx->id[1], author);
	assert_string_equal(text, "first note\n");
	assert_string_equal(author, "Test Person <test@example.com>");
	free(text);
	assert_int_equal(lp_repo_note_set(fx->r, STATE_REF_NOTES, fx->id[1], "second note\n"), 0);
	text = read_note(fx->repo, fx->id[1], author);
	assert_string_equal(text, "second note\n");
	free(text);
	assert_output(fx->repo, "second note\n", "git notes --ref=benchgate show HEAD~1");
	assert_int_equal(lp_repo_note_set(fx->r, NULL, "nope", "x"), BG_ENOTFOUND);

	/* Without an identity configured, benchgate signs itself. */
	sh(fx->repo, "git config --unset user.name && git config --unset user.email");
	assert_int_equal(lp_repo_open(&r, fx->repo), 0);
	assert_int_equal(lp_repo_note_set(r, NULL, "HEAD", "anonymous\n"), 0);
	lp_repo_free(r);
	text = read_note(fx->repo, fx->id[2], author);
	assert_string_equal(text, "anonymous\n");
	assert_string_equal(author, "benchgate <benchgate@localhost>");
	free(text);
}

/* ---- reset ------------------------------------------------------------ */

static void reset_hard_moves_branch_and_files(void **state)
{
	fixture *fx = *state;
	char want[64];

	assert_int_equal(lp_repo_reset_hard(fx->r, "v1"), 0);
	snprintf(want, sizeof(want), "%s\n", fx->id[0]);
	assert_output(fx->repo, want, "git rev-parse main");
	assert_output(fx->repo, "refs/heads/main\n", "git symbolic-ref HEAD");
	assert_file(fx->repo, "a.txt", "one\n");
	assert_file(fx->repo, "b.txt", "bee\n");
	assert_file(fx->repo, "sub/c.txt", "sea\n");
	assert_false(exists(fx->repo, "d.txt"));
	assert_false(exists(fx->repo, "sub/c2.txt"));
	assert_output(fx->repo, "", STATUS_CMD);

	/* A dirty tree is refused and left as it is. */
	put(fx->repo, "a.txt", "uncommitted work\n");
	assert_int_equal(lp_repo_reset_hard(fx->r, fx->id[2]), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "nothing is lost"));
	assert_file(fx->repo, "a.txt", "uncommitted work\n");
	assert_output(fx->repo, want, "git rev-parse main");
	sh(fx->repo, "git checkout -q -- a.txt && printf 'u\\n' > untracked.txt");
	assert_int_equal(lp_repo_reset_hard(fx->r, fx->id[2]), BG_EINVAL);
	assert_file(fx->repo, "untracked.txt", "u\n");
	sh(fx->repo, "rm untracked.txt");

	/* Detached HEAD moves; the branch stays. */
	sh(fx->repo, "git checkout -q --detach");
	assert_int_equal(lp_repo_reset_hard(fx->r, fx->id[1]), 0);
	assert_output(fx->repo, want, "git rev-parse main");
	snprintf(want, sizeof(want), "%s\n", fx->id[1]);
	assert_output(fx->repo, want, "git rev-parse HEAD");
	assert_file(fx->repo, "a.txt", "two\n");
	assert_output(fx->repo, "", STATUS_CMD);
	assert_int_equal(lp_repo_reset_hard(fx->r, "nope"), BG_ENOTFOUND);
}

/* ---- resources -------------------------------------------------------- */

static void no_descriptor_outlives_the_repository(void **state)
{
	fixture *fx = *state;
	char out[41], dir[PATH_MAX], **v = NULL;
	size_t n = 0;
	int before = bg_test_count_fds(), d;
	lp_repo *r = NULL;

	put(fx->repo, "n.txt", "new\n");
	assert_int_equal(lp_repo_open(&r, fx->repo), 0);
	assert_int_equal(lp_repo_is_dirty(&d, r), 0);
	assert_int_equal(lp_repo_snapshot(out, r, "refs/benchgate/worktree", NULL), 0);
	assert_int_equal(lp_repo_export(r, out, path_in(dir, sizeof(dir), fx->root, "exp")), 0);
	assert_int_equal(lp_repo_export(r, out, dir), 0);
	assert_int_equal(lp_repo_changed_paths(&v, &n, r, "v1", out), 0);
	bg_strv_free(v);
	assert_int_equal(lp_repo_note_set(r, NULL, out, "note\n"), 0);
	assert_int_equal(lp_repo_export(r, "nope", dir), BG_ENOTFOUND);
	lp_repo_free(r);
	assert_int_equal(bg_test_count_fds(), before);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open_in_subdirectory_finds_the_repository),
		T(open_outside_a_repository_says_so),
		T(open_bare_repository_is_refused),
		T(state_dir_is_created_under_gitdir),
		T(resolve_revisions),
		T(first_parent_and_root_commit),
		T(branch_name_detached_and_unborn),
		T(dirty_detection),
		T(snapshot_records_the_worktree_without_touching_it),
		T(snapshot_on_an_unborn_branch_has_no_parent),
		T(export_is_reused_then_replaced),
		T(export_redoes_an_interrupted_one),
		T(export_refuses_a_foreign_directory),
		T(export_fills_submodules),
		T(changed_paths_between_commits),
		T(file_of_commit),
		T(refs_set_move),
		T(note_set_then_overwritten),
		T(reset_hard_moves_branch_and_files),
		T(no_descriptor_outlives_the_repository),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
