/* lp_shield: an agent sandboxed, its benchgate commands served from
 * outside (see lp_shield.h). */
#include "lp_shield.h"
#include "lp_workspace.h"
#include "state_ledger.h"
#include "smp_sandbox.h"
#include "smp_shell.h"
#include "bg_error.h"
#include "bg_fdpass.h"
#include "bg_interrupt.h"
#include "bg_progress.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC 0x31534742u           /* "BGS1" */
#define MAX_REQUEST (1u << 20)      /* bytes of a request's directory and arguments */
#define MAX_ARGS 256

typedef struct {
	uint32_t magic, len;
} request_head;

static const char *const served[] = { "gate", "log", "audit", "holdout" };

int lp_shield_serves(const char *command)
{
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		if (command && strcmp(command, served[i]) == 0)
			return 1;
	return 0;
}

/* ---- the client, inside the sandbox ----------------------------------- */

/* The working directory and the arguments, each NUL-terminated. */
static char *request_payload(size_t *len, int argc, char *const *argv)
{
	char cwd[PATH_MAX], *buf, *p;
	size_t n;

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		bg_error_set(BG_ESYS, "shield: cannot read the working directory: %s", strerror(errno));
		return NULL;
	}
	n = strlen(cwd) + 1;
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	if (n > MAX_REQUEST || argc > MAX_ARGS) {
		bg_error_set(BG_EINVAL, "shield: the request is too long (%zu bytes, %d arguments)", n, argc);
		return NULL;
	}
	if ((buf = p = malloc(n)) == NULL) {
		bg_error_nomem();
		return NULL;
	}
	p = stpcpy(p, cwd) + 1;
	for (int i = 0; i < argc; i++)
		p = stpcpy(p, argv[i]) + 1;
	*len = n;
	return buf;
}

int lp_shield_forward(const char *socket_path, int argc, char *const *argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	request_head head = { MAGIC, 0 };
	size_t len = 0;
	char *payload;
	int32_t status;
	int fd, error = 0;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return bg_error_set(BG_EINVAL, "shield: %s=%s is too long for a socket path", LP_SHIELD_ENV,
				    socket_path);
	if ((payload = request_payload(&len, argc, argv)) == NULL)
		return bg_error_code();
	strcpy(addr.sun_path, socket_path);
	head.len = (uint32_t)len;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		error = bg_error_set(BG_ESYS, "no benchgate shield at %s (%s): run the agent under "
				     "`benchgate shield -- CMD`, or unset %s", socket_path, strerror(errno),
				     LP_SHIELD_ENV);
	else if (bg_fd_send(fd, &head, sizeof(head), (const int[]){ STDOUT_FILENO, STDERR_FILENO }, 2) < 0 ||
		 bg_write_all(fd, payload, len) < 0 || bg_read_all(fd, &status, sizeof(status)) < 0)
		error = bg_error_set(BG_ESYS, "the benchgate shield at %s went away before answering",
				     socket_path);
	if (fd >= 0)
		close(fd);
	free(payload);
	return error < 0 ? error : (int)status;
}

/* ---- the shield ------------------------------------------------------- */

typedef struct {
	int quiet;
	char exe[PATH_MAX], workdir[PATH_MAX], dir[40], sock[48];
	int listen_fd;
	unsigned served;
} shield;

/* NULL when the request may be served, else why not. */
static const char *refusal(const shield *sh, const char *cwd, char *const *args, int nargs)
{
	char real[PATH_MAX];
	size_t n = strlen(sh->workdir);

	if (nargs < 1 || !lp_shield_serves(args[0]))
		return "only gate, log, audit and holdout are served inside a shield";
	for (int i = 1; i < nargs; i++)
		if (strcmp(args[i], "--config") == 0 || strncmp(args[i], "--config=", 9) == 0)
			return "--config is not accepted from inside a shield: the rules come from the "
			       "baseline's benchgate.json in git";
	if (realpath(cwd, real) == NULL || strncmp(real, sh->workdir, n) != 0 ||
	    (real[n] != '\0' && real[n] != '/'))
		return "the request comes from outside the shielded repository";
	return NULL;
}

/* Runs benchgate args in cwd with stdout and stderr fds; its exit status.
 * A client that hangs up meanwhile has its command stopped (SIGTERM: a
 * gate stops cleanly, nothing recorded). */
static int run_request(const shield *sh, int conn, const char *cwd, char **args, const int fds[2])
{
	int st = 0, stopped = 0;
	pid_t pid = fork();

	if (pid < 0)
		return 2;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[0], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0 || chdir(cwd) < 0)
			_exit(2);
		unsetenv(LP_SHIELD_ENV);
		execv(sh->exe, args);
		_exit(2);
	}
	for (;;) {
		struct pollfd p = { conn, POLLIN, 0 };
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return 2;
		if (!stopped && (bg_interrupt_requested() || (poll(&p, 1, 100) > 0 && (p.revents & (POLLIN | POLLHUP))))) {
			kill(pid, SIGTERM);
			stopped = 1;
		} else if (stopped) {
			usleep(20000);
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* Serves one connection. */
static void serve(shield *sh, int conn)
{
	request_head head;
	int fds[2] = { -1, -1 }, nargs = 0;
	char *payload = NULL, *args[MAX_ARGS + 2], *cwd, *p;
	const char *why = NULL;
	int32_t status = 2;

	if (bg_fd_recv(conn, &head, sizeof(head), fds, 2) < 0 || head.magic != MAGIC || head.len == 0 ||
	    head.len > MAX_REQUEST || (payload = malloc(head.len)) == NULL ||
	    bg_read_all(conn, payload, head.len) < 0 || payload[head.len - 1] != '\0')
		goto done;
	cwd = payload;
	args[nargs++] = "benchgate";
	for (p = cwd + strlen(cwd) + 1; p < payload + head.len && nargs <= MAX_ARGS; p += strlen(p) + 1)
		args[nargs++] = p;
	args[nargs] = NULL;
	if (p < payload + head.len)
		why = "more than 256 arguments";
	if (why != NULL || (why = refusal(sh, cwd, args + 1, nargs - 1)) != NULL) {
		dprintf(fds[1], "benchgate: shield: refused: %s\n", why);
		bg_note(sh->quiet, "shield: refused the agent's `benchgate %s` (it was told why)", args[1] ? args[1] : "");
		goto done;
	}
	sh->served++;
	bg_note(sh->quiet, "shield: serving `benchgate %s` for the agent (request %u)", args[1], sh->served);
	status = run_request(sh, conn, cwd, args, fds);
done:
	bg_write_all(conn, &status, sizeof(status));
	for (int k = 0; k < 2; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	free(payload);
}

static int listen_on(shield *sh)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(sh->dir, sizeof(sh->dir), "/tmp/benchgate-shield.XXXXXX");
	if (mkdtemp(sh->dir) == NULL) {
		sh->dir[0] = '\0';
		return bg_error_set(BG_ESYS, "shield: cannot make a directory in /tmp: %s", strerror(errno));
	}
	snprintf(sh->sock, sizeof(sh->sock), "%s/socket", sh->dir);
	memcpy(addr.sun_path, sh->sock, strlen(sh->sock) + 1);   /* 36 bytes of 108 */
	if ((sh->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(sh->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sh->listen_fd, 16) < 0)
		return bg_error_set(BG_ESYS, "shield: cannot listen on %s: %s", sh->sock, strerror(errno));
	return 0;
}

/* The agent's command line: its words quoted for /bin/sh. */
static char *join_words(int argc, char *const *argv)
{
	char *line = strdup(""), *q, *grown;

	for (int i = 0; i < argc && line; i++) {
		if ((q = smp_shell_quote(argv[i])) == NULL ||
		    asprintf(&grown, "%s%s%s", line, i ? " " : "", q) < 0)
			grown = NULL;
		free(q);
		free(line);
		line = grown;
	}
	if (line == NULL)
		bg_error_nomem();
	return line;
}

static pid_t start_agent(const shield *sh, const char *line)
{
	pid_t pid = fork();

	if (pid == 0) {
		setenv(LP_SHIELD_ENV, sh->sock, 1);
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Serves requests until the agent exits; its wait status. */
static int serve_until_done(shield *sh, pid_t agent)
{
	int st = 0, stopping = 0;

	for (;;) {
		struct pollfd p = { sh->listen_fd, POLLIN, 0 };
		pid_t w = waitpid(agent, &st, WNOHANG);

		if (w == agent || (w < 0 && errno != EINTR))
			return st;
		if (bg_interrupt_requested() && !stopping) {
			kill(agent, SIGTERM);
			stopping = 1;
		}
		if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
			int conn = accept4(sh->listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (conn >= 0) {
				serve(sh, conn);
				close(conn);
			}
		}
	}
}

/* The agent's sandbox and command line (the wrapped one; caller frees);
 * the repository's working tree, as a real path, into sh->workdir. */
static int agent_line(char **line, shield *sh, int argc, char *const *argv)
{
	lp_workspace_isolation iso;
	const smp_sandbox *sb = NULL;
	state_ledger *l = NULL;
	state_store *st = NULL;
	lp_repo *repo = NULL;
	lp_config *cfg = NULL;
	char *words = NULL;
	int error;

	/* the ledger's load makes the key, so the sandbox hides it */
	if ((error = lp_workspace_open(&repo, &st, ".")) < 0 || (error = state_ledger_load(&l, st)) < 0 ||
	    (error = lp_workspace_agent_sandbox(&sb, &iso, &cfg, repo, st)) < 0)
		goto cleanup;
	if (realpath(lp_repo_workdir(repo), sh->workdir) == NULL) {
		error = bg_error_set(BG_ESYS, "shield: %s: %s", lp_repo_workdir(repo), strerror(errno));
		goto cleanup;
	}
	if ((words = join_words(argc, argv)) == NULL) {
		error = BG_ENOMEM;
		goto cleanup;
	}
	if (sb == NULL) {
		bg_warn(sh->quiet, "shield: \"isolation\": \"none\" in HEAD's benchgate.json: the agent runs "
			"unsandboxed and could write benchgate's state (its requests are still served)");
		*line = words;
		words = NULL;
	} else if ((*line = smp_sandbox_wrap(sb, words)) == NULL) {
		error = bg_error_code();
	}
cleanup:
	free(words);
	lp_config_free(cfg);
	state_ledger_free(l);
	state_free(st);
	lp_repo_free(repo);
	return error;
}

int lp_shield_run(int *status, int argc, char *const *argv, int quiet)
{
	shield sh = { .quiet = quiet, .listen_fd = -1 };
	char *line = NULL;
	pid_t agent;
	int st, error;

	if (argc < 1)
		return bg_error_set(BG_EINVAL, "shield: no agent command given");
	if ((error = agent_line(&line, &sh, argc, argv)) < 0)
		return error;
	if (realpath("/proc/self/exe", sh.exe) == NULL) {
		error = bg_error_set(BG_ESYS, "shield: cannot find benchgate's binary: %s", strerror(errno));
		goto cleanup;
	}
	if ((error = listen_on(&sh)) < 0)
		goto cleanup;
	bg_interrupt_install();
	if ((agent = start_agent(&sh, line)) < 0) {
		error = bg_error_set(BG_ESYS, "shield: cannot start the agent: %s", strerror(errno));
		goto cleanup;
	}
	st = serve_until_done(&sh, agent);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 2;
	bg_note(quiet, "shield: the agent exited with status %d after %u request%s", *status, sh.served,
		sh.served == 1 ? "" : "s");
cleanup:
	if (sh.listen_fd >= 0)
		close(sh.listen_fd);
	if (sh.sock[0])
		unlink(sh.sock);
	if (sh.dir[0])
		rmdir(sh.dir);
	free(line);
	return error;
}
