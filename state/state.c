/* state: the names of benchgate's state in a repository (see state.h). */
#include "state.h"
#include "bg_error.h"
#include "bg_file.h"
#include "bg_interrupt.h"
#include "bg_progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct state_store {
	char *root;
};

static const char *const file_names[] = {
	[STATE_LEDGER] = "ledger.jsonl",
	[STATE_CALIBRATION] = "calibration.json",
	[STATE_HOLDOUT_SEAL] = "holdout.seal",
	[STATE_TEST_COUNTS] = "testcounts.json",
	[STATE_LOOP_FEEDBACK] = "loop-feedback.json",
	[STATE_GATE_LOCK] = "gate.lock",
	[STATE_PLAN_WARNED] = "plan-warned",
};

static int make_root(const char *path, const char *gitdir)
{
	struct stat st;

	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return bg_error_set(BG_ESYS, "cannot create %s: %s (benchgate keeps its state in "
				    "%s)", path, strerror(errno), gitdir);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return bg_error_set(BG_ESYS, "%s is not a directory: remove it so benchgate can keep "
				    "its state there", path);
	return 0;
}

int state_open(state_store **out, const char *gitdir)
{
	size_t len = gitdir ? strlen(gitdir) : 0;
	state_store *s;
	int error;

	if (len == 0)
		return bg_error_set(BG_EINVAL, "state_open: no git directory");
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    asprintf(&s->root, "%s%sbenchgate", gitdir, gitdir[len - 1] == '/' ? "" : "/") < 0) {
		free(s);
		return bg_error_nomem();
	}
	if ((error = make_root(s->root, gitdir)) < 0) {
		state_free(s);
		return error;
	}
	*out = s;
	return 0;
}

void state_free(state_store *s)
{
	if (s == NULL)
		return;
	free(s->root);
	free(s);
}

const char *state_root(const state_store *s)
{
	return s->root;
}

int state_path(char **out, const state_store *s, state_file f)
{
	if ((unsigned)f >= sizeof(file_names) / sizeof(file_names[0]))
		return bg_error_set(BG_EINVAL, "state_path: unknown state file %d", (int)f);
	if (asprintf(out, "%s/%s", s->root, file_names[f]) < 0)
		return bg_error_nomem();
	return 0;
}

int state_export_dir(char **out, const state_store *s, const char *commit)
{
	if (asprintf(out, "%s/exports/%.40s", s->root, commit) < 0)
		return bg_error_nomem();
	return 0;
}

void state_rejected_ref(char out[STATE_REF_REJECTED_LEN + 1], const char *commit)
{
	snprintf(out, STATE_REF_REJECTED_LEN + 1, STATE_REF_REJECTED "%.12s", commit);
}

int state_user_dir(char **out, const char *xdg_var, const char *home_sub)
{
	const char *xdg = getenv(xdg_var), *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = asprintf(out, "%s/benchgate", xdg);
	else if (home != NULL && home[0] == '/')
		n = asprintf(out, "%s/%s/benchgate", home, home_sub);
	else
		return bg_error_set(BG_ENOTFOUND, "no directory for benchgate's files: neither %s nor "
				    "HOME is an absolute path; set one", xdg_var);
	return n < 0 ? bg_error_nomem() : 0;
}

int state_calibration_path(char **out, const state_store *s, const char *fingerprint, int create)
{
	char *dir = NULL, *path = NULL;
	int error;

	if (s != NULL)
		return state_path(out, s, STATE_CALIBRATION);
	if ((error = state_user_dir(&dir, "XDG_CACHE_HOME", ".cache")) < 0)
		return error;
	if (create && (error = bg_file_mkdirs(dir, 0700)) < 0)
		goto cleanup;
	if (asprintf(&path, "%s/calibration-%s.json", dir, fingerprint) < 0) {
		error = bg_error_nomem();
		goto cleanup;
	}
	*out = path;
cleanup:
	free(dir);
	return error;
}

int state_lock(int *fd, const state_store *s, int quiet)
{
	char *path = NULL;
	int error;

	if ((error = state_path(&path, s, STATE_GATE_LOCK)) < 0)
		return error;
	error = bg_file_lock(fd, path, quiet, "another gate on this repository");
	free(path);
	return error;
}

int state_machine_lock(int *fd, int quiet)
{
	const char *tmp = getenv("BENCHGATE_MACHINE_LOCK");

	return bg_file_lock(fd, tmp && tmp[0] == '/' ? tmp : STATE_MACHINE_LOCK, quiet,
			    "another benchgate measurement on this machine");
}

void state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
