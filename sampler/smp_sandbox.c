/* smp_sandbox: bubblewrap command lines (see smp_sandbox.h). */
#include "smp_sandbox.h"
#include "smp_shell.h"
#include "smp_timer.h"
#include "smp_serve.h"
#include "smp_overlay.h"
#include "bg_file.h"
#include "bg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Appends the words to a growing command line, each quoted for /bin/sh. */
static int add(char **line, size_t *len, const char *const *words)
{
	for (; *words; words++) {
		char *q = smp_shell_quote(*words), *grown;
		size_t n;

		if (q == NULL)
			return BG_ENOMEM;
		n = strlen(q);
		if ((grown = realloc(*line, *len + n + 2)) == NULL) {
			free(q);
			return bg_error_nomem();
		}
		*line = grown;
		memcpy(*line + *len, q, n);
		(*line)[*len + n] = ' ';
		*len += n + 1;
		(*line)[*len] = '\0';
		free(q);
	}
	return 0;
}

/* --unsetenv for every BENCHGATE_* variable of this process. */
static int add_unsetenv(char **line, size_t *len)
{
	int error = 0;

	for (char **e = environ; *e && error == 0; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (strncmp(*e, "BENCHGATE_", 10) != 0 || eq == NULL || (size_t)(eq - *e) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		error = add(line, len, (const char *const[]){ "--unsetenv", name, NULL });
	}
	return error;
}

static int check_paths(const smp_sandbox *sb)
{
	if ((sb->tree == NULL && !sb->host) || sb->at == NULL || sb->at[0] != '/')
		return bg_error_set(BG_EINVAL, "sandbox: the tree and an absolute path to show it at are needed");
	for (const char *const *h = sb->hide; h && *h; h++)
		if ((*h)[0] != '/')
			return bg_error_set(BG_EINVAL, "sandbox: a hidden path must be absolute, got \"%s\"", *h);
	for (const char *const *h = sb->readonly; h && *h; h++)
		if ((*h)[0] != '/')
			return bg_error_set(BG_EINVAL, "sandbox: a read-only path must be absolute, got \"%s\"", *h);
	return 0;
}

char *smp_sandbox_wrap(const smp_sandbox *sb, const char *cmd)
{
	char *line = NULL;
	size_t len = 0;
	int error;

	if ((error = check_paths(sb)) < 0)
		return NULL;
	if (sb->host ? sb->mode != SMP_TREE_READONLY || sb->timed || sb->serve
		     : (sb->mode == SMP_TREE_OVERLAY || sb->timed || sb->serve) && sb->exe == NULL) {
		bg_error_set(BG_EINVAL, "sandbox: %s", sb->host ? "an agent's sandbox has no tree and no helpers"
							       : "a helper (overlay, timer, server) needs benchgate's binary");
		return NULL;
	}
	if (sb->host)
		error = add(&line, &len, (const char *const[]){
			"exec", "bwrap", "--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc", NULL });
	else
		error = add(&line, &len, (const char *const[]){
			"exec", "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
			"--tmpfs", SMP_SANDBOX_TMP, "--setenv", "TMPDIR", SMP_SANDBOX_TMP,
			sb->mode == SMP_TREE_WRITABLE ? "--bind" : "--ro-bind", sb->tree, sb->at, NULL });
	/* below `at` the tree is shown instead of what the host has there, so
	 * nothing there needs hiding (and in a read-only tree no mount point
	 * could be made for it) */
	if (error == 0 && !sb->host && !bg_path_under(SMP_SANDBOX_INPUTS, sb->at))
		error = add(&line, &len, sb->inputs ? (const char *const[]){ "--ro-bind", sb->inputs, SMP_SANDBOX_INPUTS, NULL }
			    : (const char *const[]){ "--tmpfs", SMP_SANDBOX_INPUTS, "--remount-ro", SMP_SANDBOX_INPUTS, NULL });
	for (const char *const *h = sb->hide; h && *h && error == 0; h++)
		if (access(*h, F_OK) == 0 && (sb->host || !bg_path_under(*h, sb->at)))
			error = add(&line, &len, (const char *const[]){ "--tmpfs", *h, NULL });
	for (const char *const *h = sb->readonly; h && *h && error == 0; h++)
		if (access(*h, F_OK) == 0)
			error = add(&line, &len, (const char *const[]){ "--ro-bind", *h, *h, NULL });
	if (error == 0 && getuid() != 0)
		error = add(&line, &len, (const char *const[]){ "--unshare-user-try", NULL });
	if (error == 0 && !sb->host)   /* an agent keeps the user's environment */
		error = add_unsetenv(&line, &len);
	if (error == 0)
		error = add(&line, &len, sb->host ? (const char *const[]){ "--unshare-pid", "--die-with-parent", NULL }
				: (const char *const[]){ "--unshare-pid", "--unshare-net", "--unshare-ipc",
							 "--unshare-uts", "--die-with-parent", "--new-session", NULL });
	if (error == 0 && sb->exe && !sb->host)
		error = add(&line, &len, (const char *const[]){ "--ro-bind", sb->exe, SMP_SANDBOX_EXE, NULL });
	if (error == 0 && sb->serve)
		error = add(&line, &len, (const char *const[]){ "--bind", sb->serve, sb->serve, NULL });
	if (error == 0)
		error = add(&line, &len, (const char *const[]){ "--chdir", sb->at, "--", NULL });
	if (error == 0 && sb->serve) {
		char sock[4096];

		snprintf(sock, sizeof(sock), "%s/socket", sb->serve);
		error = add(&line, &len, sb->mode == SMP_TREE_OVERLAY
			    ? (const char *const[]){ SMP_SANDBOX_EXE, SMP_SERVE_COMMAND, "--overlay", sb->at, sock, NULL }
			    : (const char *const[]){ SMP_SANDBOX_EXE, SMP_SERVE_COMMAND, sock, NULL });
		cmd = NULL;
	}
	if (error == 0 && cmd != NULL && sb->mode == SMP_TREE_OVERLAY)
		error = add(&line, &len, (const char *const[]){ SMP_SANDBOX_EXE, SMP_OVERLAY_COMMAND, sb->at, NULL });
	if (error == 0 && cmd != NULL && sb->timed)
		error = add(&line, &len, (const char *const[]){ SMP_SANDBOX_EXE, SMP_TIMER_COMMAND, NULL });
	if (error == 0 && cmd != NULL)
		error = add(&line, &len, (const char *const[]){ "/bin/sh", "-c", cmd, NULL });
	if (error < 0) {
		free(line);
		return NULL;
	}
	return line;
}

/* Runs `true` in sb: 1, or 0 with what went wrong (the run's last lines,
 * or the error) in why. */
static int try_true(const smp_sandbox *sb, char *why, size_t size)
{
	smp_shell_result r;
	char *line = smp_sandbox_wrap(sb, "true");
	int ok = 0;

	if (line == NULL) {
		snprintf(why, size, "%s", bg_error_last());
		return 0;
	}
	if (smp_shell_run(&r, line, NULL, 30, NULL) == 0) {
		if (!(ok = r.passed))
			snprintf(why, size, "%s", r.tail && r.tail[0] ? r.tail : "it exited with a failure");
		smp_shell_result_clear(&r);
	} else {
		snprintf(why, size, "%s", bg_error_last());
	}
	free(line);
	return ok;
}

int smp_sandbox_available(char *why, size_t size)
{
	static const smp_sandbox probe = { .tree = "/", .at = "/" };
	char tail[512];

	if (try_true(&probe, tail, sizeof(tail)))
		return 1;
	snprintf(why, size, "bubblewrap cannot start a sandbox here: %s; install it with "
		 "'apt-get install bubblewrap' (user namespaces must be allowed: "
		 "sysctl kernel.unprivileged_userns_clone=1), or set \"isolation\": \"none\" "
		 "in benchgate.json to run without one (recorded on every verdict)", tail);
	return 0;
}

int smp_sandbox_overlay_works(const smp_sandbox *sb, char *why, size_t size)
{
	smp_sandbox probe = *sb;

	probe.timed = 0;
	probe.serve = NULL;
	return try_true(&probe, why, size);
}
