/* smp_serve: a sandbox per arm, its runs served inside (see smp_serve.h). */
#include "smp_serve.h"
#include "smp_capture.h"
#include "smp_overlay.h"
#include "smp_shell.h"
#include "smp_timer.h"
#include "bg_error.h"
#include "bg_fdpass.h"
#include "bg_interrupt.h"
#include "bg_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC 0x31534752u   /* "RGS1" */
#define MAX_REQUEST (1u << 20)
#define MAX_ARGS 64

typedef struct {
	uint32_t magic, len;
	uint32_t pinned;    /* 1: run on cpus */
	cpu_set_t cpus;
} ask_head;

typedef struct {
	int64_t wall_ns, user_ns, sys_ns, maxrss_kb;
	int32_t code, sig, spawn_errno, left;
} ask_reply;

/* path must fit (callers check against sizeof(a->sun_path)). */
static void set_addr(struct sockaddr_un *a, const char *path)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, n < sizeof(a->sun_path) ? n : sizeof(a->sun_path) - 1);
}

/* ---- between runs ----------------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (ftw->level > 0)
		(flag == FTW_DP ? rmdir : unlink)(path);
	return 0;
}

/* Empties dir (recursively, on its own file system) but for the entries
 * named in keep. */
static void empty_dir(const char *dir, const char *const *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		int kept = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;

		for (const char *const *k = keep; *k && !kept; k++)
			kept = strcmp(e->d_name, *k) == 0;
		if (kept || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (e->d_type == DT_DIR) {
			nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
			rmdir(path);
		} else {
			unlink(path);
		}
	}
	closedir(d);
}

/* Removes the System V IPC objects of kind (their ids are the second
 * column of /proc/sysvipc/<kind>). */
static void remove_ipc(const char *kind)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", kind);
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL) {   /* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		long key;
		int id;

		if (sscanf(line, "%ld %d", &key, &id) != 2)
			continue;
		if (kind[0] == 's' && kind[1] == 'h')
			shmctl(id, IPC_RMID, NULL);
		else if (kind[0] == 's')
			semctl(id, 0, IPC_RMID);
		else
			msgctl(id, IPC_RMID, NULL);
	}
	fclose(f);
}

/* Whether this is bwrap's first process in a new PID namespace (PID 2,
 * its parent PID 1): inside a sandbox, where emptying /var/tmp and
 * killing every other process is what a run leaves being cleared, not
 * the host's. */
static int in_sandbox(void)
{
	return getpid() == 2 && getppid() == 1;
}

/* What one run could leave for the next (nothing outside a sandbox). */
static void clean_up(const char *own_dir)
{
	static const char *const tmp_keep[] = { "inputs", ".benchgate-timer", NULL };
	static const char *const own_keep[] = { "socket", "socket.new", NULL };
	static const char *const none[] = { NULL };

	if (!in_sandbox())
		return;
	empty_dir(SMP_SANDBOX_TMP, tmp_keep);
	empty_dir(own_dir, own_keep);
	empty_dir("/dev/shm", none);
	remove_ipc("shm");
	remove_ipc("sem");
	remove_ipc("msg");
}

int smp_sandbox_sweep(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();
	int n = 0;

	if (!in_sandbox()) {
		if (d)
			closedir(d);
		return 0;
	}
	while (d && (e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end == '\0' && pid > 1 && pid != self && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	if (d)
		closedir(d);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return n;
}

/* ---- the server ------------------------------------------------------- */

/* Runs argv with the given stdout and stderr, on cpus when pinned; the
 * run is killed when conn shows its requester went away. */
/* The run in progress, killed when its requester goes away (SIGIO on the
 * connection): a blocking wait4 is the cheapest wait, as in smp_timer. */
static volatile sig_atomic_t running, running_conn = -1;

/* Whether the requester at conn is gone (end of file or a reset, not just
 * a signal for something else). Async-signal-safe. */
static int hung_up(int conn)
{
	char c;
	int saved = errno;
	ssize_t r = recv(conn, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	int gone = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);

	errno = saved;
	return gone;
}

static void on_hangup(int sig)
{
	(void)sig;
	if (running > 0 && running_conn >= 0 && hung_up((int)running_conn))
		kill((pid_t)running, SIGKILL);
}

/* The run has started: SIGIO may kill it from now on. */
static void watch(pid_t pid, void *ctx)
{
	int conn = *(const int *)ctx;

	running_conn = conn;
	running = pid;
	if (hung_up(conn))   /* before SIGIO could tell */
		kill(pid, SIGKILL);
}

static void run_one(ask_reply *rep, char **argv, const int fds[3], int conn)
{
	posix_spawn_file_actions_t fa;
	smp_timed t;

	memset(rep, 0, sizeof(*rep));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[2], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	smp_timer_spawn(&t, argv, &fa, watch, &conn);
	posix_spawn_file_actions_destroy(&fa);
	running = 0;
	running_conn = -1;
	rep->wall_ns = t.wall_ns;
	rep->user_ns = t.user_ns;
	rep->sys_ns = t.sys_ns;
	rep->maxrss_kb = t.maxrss_kb;
	rep->code = t.code;
	rep->sig = t.sig;
	rep->spawn_errno = t.spawn_errno;
}

/* run_one in a child of the server that first enters its own overlay on
 * the tree (smp_overlay.h), so that nothing the run writes there outlives
 * it; the reply comes back through a pipe. The overlay is made before the
 * run is timed. */
static void run_overlaid(ask_reply *rep, char **argv, const int fds[3], int conn, const char *overlay)
{
	int p[2];
	pid_t pid;

	memset(rep, 0, sizeof(*rep));
	rep->code = 126;
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		rep->spawn_errno = errno;
		return;
	}
	if (pid == 0) {
		char why[512];

		close(p[0]);
		if (smp_overlay_enter(overlay, why, sizeof(why)) < 0) {
			dprintf(fds[1], "benchgate: %s: %s\n", SMP_SERVE_COMMAND, why);
		} else {
			fcntl(conn, F_SETOWN, getpid());   /* SIGIO: this process holds the run */
			run_one(rep, argv, fds, conn);
		}
		_exit(bg_write_all(p[1], rep, sizeof(*rep)) == 0 ? 0 : 1);
	}
	close(p[1]);
	if (bg_read_all(p[0], rep, sizeof(*rep)) < 0) {
		memset(rep, 0, sizeof(*rep));
		rep->code = 126;
	}
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void serve_one(int conn, const char *own_dir, const cpu_set_t *all, int devnull, const char *overlay)
{
	ask_head h;
	ask_reply rep = { 0, 0, 0, 0, 126, 0, 0, 0 };
	int fds[2] = { -1, -1 }, n = 0;
	char *payload = NULL, *argv[MAX_ARGS + 1];

	if (bg_fd_recv(conn, &h, sizeof(h), fds, 2) < 0)
		return;
	if (h.magic == MAGIC && h.len > 0 && h.len <= MAX_REQUEST && (payload = malloc(h.len)) != NULL &&
	    bg_read_all(conn, payload, h.len) == 0 && payload[h.len - 1] == '\0') {
		const int run_fds[3] = { fds[0], fds[1], devnull };

		for (char *p = payload; p < payload + h.len && n < MAX_ARGS; p += strlen(p) + 1)
			argv[n++] = p;
		argv[n] = NULL;
		clean_up(own_dir);
		fcntl(conn, F_SETOWN, getpid());
		fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_ASYNC);
		/* the server moves to the run's CPUs first, so that the run (and
		 * the child that makes its overlay) starts where it will run */
		sched_setaffinity(0, sizeof(cpu_set_t), h.pinned ? &h.cpus : all);
		if (overlay)
			run_overlaid(&rep, argv, run_fds, conn, overlay);
		else
			run_one(&rep, argv, run_fds, conn);
		rep.left = smp_sandbox_sweep();
	}
	bg_write_all(conn, &rep, sizeof(rep));
	close(fds[0]);
	close(fds[1]);
	free(payload);
}

/* Whether the peer is outside the sandbox: a process of an ancestor PID
 * namespace has no pid here (0). A run that connects itself is refused:
 * its request would run after it, between the measured runs. */
static int from_outside(int conn)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == 0;
}

int smp_serve_main(int argc, char **argv)
{
	struct sockaddr_un addr;
	struct sigaction sa;
	cpu_set_t all;
	char own_dir[sizeof(addr.sun_path)], fresh[sizeof(addr.sun_path) + 8], *slash;
	const char *overlay = NULL;
	int fd, devnull;

	if (argc == 4 && strcmp(argv[1], "--overlay") == 0) {
		overlay = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: benchgate %s [--overlay DIR] SOCKET\n", SMP_SERVE_COMMAND);
		return 2;
	}
	snprintf(own_dir, sizeof(own_dir), "%s", argv[1]);
	if ((slash = strrchr(own_dir, '/')) != NULL)
		*slash = '\0';
	CPU_ZERO(&all);
	sched_getaffinity(0, sizeof(all), &all);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_hangup;
	sa.sa_flags = 0;
	sigaction(SIGIO, &sa, NULL);
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "benchgate: %s: /dev/null: %s\n", SMP_SERVE_COMMAND, strerror(errno));
		return 2;
	}
	/* bound under another name and renamed once listening: who sees the
	 * socket can connect (between bind and listen a connect is refused) */
	if ((size_t)snprintf(fresh, sizeof(fresh), "%s.new", argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "benchgate: %s: %s: path too long\n", SMP_SERVE_COMMAND, argv[1]);
		return 2;
	}
	set_addr(&addr, fresh);
	unlink(fresh);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0 ||
	    rename(fresh, argv[1]) < 0) {
		fprintf(stderr, "benchgate: %s: %s: %s\n", SMP_SERVE_COMMAND, argv[1], strerror(errno));
		return 2;
	}
	for (;;) {
		int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0 && errno == EINTR)
			continue;
		if (conn < 0)
			return 2;
		if (from_outside(conn))
			serve_one(conn, own_dir, &all, devnull, overlay);
		close(conn);
	}
}

/* ---- the requester ---------------------------------------------------- */

int smp_ask_main(int argc, char **argv)
{
	struct sockaddr_un addr;
	ask_head h;
	ask_reply rep;
	size_t len = 0;
	char *payload, *p;
	int fd;

	if (argc < 3 || strlen(argv[1]) >= sizeof(addr.sun_path) || argc - 2 > MAX_ARGS) {
		fprintf(stderr, "usage: benchgate %s SOCKET CMD [ARGS...]\n", SMP_ASK_COMMAND);
		return 126;
	}
	for (int i = 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((payload = p = malloc(len)) == NULL)
		return 126;
	for (int i = 2; i < argc; i++)
		p = stpcpy(p, argv[i]) + 1;
	memset(&h, 0, sizeof(h));
	h.magic = MAGIC;
	h.len = (uint32_t)len;
	h.pinned = sched_getaffinity(0, sizeof(h.cpus), &h.cpus) == 0;
	set_addr(&addr, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    bg_fd_send(fd, &h, sizeof(h), (const int[]){ STDOUT_FILENO, STDERR_FILENO }, 2) < 0 ||
	    bg_write_all(fd, payload, len) < 0 || bg_read_all(fd, &rep, sizeof(rep)) < 0) {
		fprintf(stderr, "benchgate: %s: the run server at %s did not answer: %s\n", SMP_ASK_COMMAND,
			argv[1], strerror(errno));
		free(payload);
		return 126;
	}
	free(payload);
	close(fd);
	if (rep.spawn_errno) {
		fprintf(stderr, "benchgate: %s: %s: %s\n", SMP_ASK_COMMAND, argv[2], strerror(rep.spawn_errno));
		return rep.code;
	}
	smp_timer_report(rep.wall_ns, rep.user_ns, rep.sys_ns, (long)rep.maxrss_kb, rep.code, rep.sig, rep.left);
	/* at once: a requester runs once per measured run and has nothing to
	 * tear down (exit handlers cost a sanitized build ~8 ms a run) */
	fflush(stderr);
	_exit(rep.code >= 0 ? rep.code : 128 + rep.sig);
}

/* ---- starting and stopping a server ----------------------------------- */

int smp_server_start(smp_server *s, const smp_sandbox *sb_in)
{
	smp_sandbox sb = *sb_in;
	double t0 = bg_time_now();
	char *line;
	int error = 0;

	memset(s, 0, sizeof(*s));
	if (sb.exe == NULL)
		return bg_error_set(BG_EINVAL, "a run server needs benchgate's binary in the sandbox");
	snprintf(s->dir, sizeof(s->dir), "/tmp/benchgate-run.XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return bg_error_set(BG_ESYS, "cannot make a directory in /tmp for a run server: %s", strerror(errno));
	}
	snprintf(s->sock, sizeof(s->sock), "%s/socket", s->dir);
	sb.serve = s->dir;
	if ((line = smp_sandbox_wrap(&sb, "")) == NULL) {
		error = bg_error_code();
		goto fail;
	}
	if ((s->pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	free(line);
	if (s->pid < 0) {
		s->pid = 0;
		error = bg_error_set(BG_ESYS, "cannot start a run server: %s", strerror(errno));
		goto fail;
	}
	while (access(s->sock, F_OK) != 0) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			error = bg_error_set(BG_ESYS, "the run server of %s exited before it listened", sb.at);
			goto fail;
		}
		if (bg_time_now() - t0 > 10.0) {
			error = bg_error_set(BG_ESYS, "the run server of %s did not listen within 10 s", sb.at);
			goto fail;
		}
		usleep(1000);
	}
	return 0;
fail:
	smp_server_stop(s);
	return error;
}

void smp_server_stop(smp_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);   /* bwrap: the sandbox dies with it */
		waitpid(s->pid, NULL, 0);
	}
	if (s->dir[0]) {
		nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		rmdir(s->dir);
	}
	memset(s, 0, sizeof(*s));
}

char *smp_server_command(const smp_server *s, const char *exe, const char *cmd)
{
	char *qe = smp_shell_quote(exe), *qs = smp_shell_quote(s->sock), *qc = smp_shell_quote(cmd), *line = NULL;

	if (qe && qs && qc && asprintf(&line, "exec %s " SMP_ASK_COMMAND " %s /bin/sh -c %s", qe, qs, qc) < 0)
		line = NULL;
	free(qe);
	free(qs);
	free(qc);
	if (line == NULL)
		bg_error_nomem();
	return line;
}

/* ---- the requester in-process ----------------------------------------- */

typedef struct {
	int fd;
	smp_capture kept;
} capture;

/* Reads what fd has; 1 at end of file (the stream is then closed). */
static int capture_read(capture *c)
{
	char chunk[16384];
	ssize_t r = read(c->fd, chunk, sizeof(chunk));

	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (r == 0)
		return 1;
	return smp_capture_add(&c->kept, chunk, (size_t)r) < 0; /* out of memory: the output ends */
}

/* Sends the request for inner to srv with the write ends of the captures. */
static int send_request(int *sock, const smp_server *srv, const char *inner, const smp_spawn_opts *opts,
			const int wfds[2])
{
	struct sockaddr_un addr;
	ask_head h;
	size_t len = strlen(inner) + 12;   /* "/bin/sh\0-c\0" + inner + NUL */
	char *payload = malloc(len);
	int fd, error = -1;

	if (payload == NULL)
		return -1;
	memcpy(payload, "/bin/sh\0-c\0", 11);
	memcpy(payload + 11, inner, len - 11);
	memset(&h, 0, sizeof(h));
	h.magic = MAGIC;
	h.len = (uint32_t)len;
	if (opts->cpus)
		h.cpus = *opts->cpus;
	h.pinned = opts->cpus != NULL || sched_getaffinity(0, sizeof(h.cpus), &h.cpus) == 0;
	set_addr(&addr, srv->sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    bg_fd_send(fd, &h, sizeof(h), wfds, 2) == 0 && bg_write_all(fd, payload, len) == 0)
		error = 0;
	free(payload);
	if (error < 0 && fd >= 0)
		close(fd);
	*sock = error < 0 ? -1 : fd;
	return error;
}

/* Captures both streams and reads the reply, within the timeout; *stopped
 * 1 on a timeout, 2 on an interrupt (the connection is then closed, which
 * kills the run, and the streams drained). */
static int await_run(ask_reply *rep, capture cap[2], int sock, const smp_spawn_opts *opts, int *stopped)
{
	double t0 = bg_time_now(), drain_until = 0;
	int open_streams = 2, replied = 0;

	*stopped = 0;
	while (open_streams > 0 || (!replied && sock >= 0)) {
		struct pollfd p[3] = { { cap[0].fd, POLLIN, 0 }, { cap[1].fd, POLLIN, 0 }, { sock, POLLIN, 0 } };
		double now = bg_time_now();

		if (!*stopped && (bg_interrupt_requested() || (opts->timeout_s > 0 && now - t0 > opts->timeout_s))) {
			*stopped = bg_interrupt_requested() ? 2 : 1;
			close(sock);
			sock = -1;
			drain_until = now + 5.0;
		}
		if (*stopped && now > drain_until)
			break;
		if (poll(p, 3, 100) < 0 && errno != EINTR)
			return -1;
		for (int k = 0; k < 2; k++)
			if (cap[k].fd >= 0 && (p[k].revents & (POLLIN | POLLHUP | POLLERR)) && capture_read(&cap[k])) {
				close(cap[k].fd);
				cap[k].fd = -1;
				open_streams--;
			}
		if (sock >= 0 && !replied && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (bg_read_all(sock, rep, sizeof(*rep)) < 0)
				return -1;
			replied = 1;
		}
	}
	if (sock >= 0)
		close(sock);
	return *stopped || replied ? 0 : -1;
}

static void fill(smp_result *out, const ask_reply *rep, int stopped)
{
	out->wall_ns = rep->wall_ns;
	out->user_ns = rep->user_ns;
	out->sys_ns = rep->sys_ns;
	out->maxrss_kb = (long)rep->maxrss_kb;
	out->left_behind = rep->left;
	if (stopped) {
		out->outcome = SMP_TIMED_OUT;
	} else if (rep->spawn_errno) {
		out->outcome = SMP_EXEC_FAILED;
		out->exit_code = 127;
	} else if (rep->sig) {
		out->outcome = SMP_SIGNALED;
		out->term_signal = rep->sig;
	} else {
		out->outcome = SMP_EXITED;
		out->exit_code = rep->code;
	}
}

static int served_run(smp_result *out, const smp_spawn_opts *opts, void *ctx)
{
	const smp_serve_routes *rt = ctx;
	const smp_serve_route *route = NULL;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, sock = -1, stopped = 0, error = 0;
	capture cap[2];
	ask_reply rep;

	for (size_t i = 0; i < rt->n && route == NULL; i++)
		if (strcmp(rt->r[i].cmd, opts->cmd) == 0)
			route = &rt->r[i];
	if (route == NULL)
		return smp_timer_executor().run(out, opts, NULL);
	if (bg_interrupt_requested())
		return bg_error_set(BG_EINTR, "interrupted before running '%s'", opts->cmd);
	memset(out, 0, sizeof(*out));
	memset(&rep, 0, sizeof(rep));
	for (int k = 0; k < 2; k++) {
		cap[k].fd = -1;
		smp_capture_init(&cap[k].kept, k == 0 ? opts->out_limit : opts->err_limit);
	}
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		error = bg_error_set(BG_ESYS, "pipe: %s", strerror(errno));
		goto cleanup;
	}
	cap[0].fd = outp[0];
	cap[1].fd = errp[0];
	outp[0] = errp[0] = -1;
	if (send_request(&sock, route->srv, route->inner, opts, (const int[]){ outp[1], errp[1] }) < 0) {
		error = bg_error_set(BG_ESYS, "the run server at %s did not take '%s': %s", route->srv->sock,
				     route->inner, strerror(errno));
		goto cleanup;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (await_run(&rep, cap, sock, opts, &stopped) < 0) {
		error = bg_error_set(BG_ESYS, "the run server at %s went away during '%s'", route->srv->sock,
				     route->inner);
		goto cleanup;
	}
	if (stopped == 2) {
		error = bg_error_set(BG_EINTR, "interrupted while running '%s'", opts->cmd);
		goto cleanup;
	}
	fill(out, &rep, stopped);
	if ((out->out = smp_capture_take(&cap[0].kept, &out->out_len, &out->out_truncated)) == NULL ||
	    (out->err = smp_capture_take(&cap[1].kept, &out->err_len, &out->err_truncated)) == NULL) {
		free(out->out);
		out->out = NULL;
		error = BG_ENOMEM;
		goto cleanup;
	}
cleanup:
	for (int k = 0; k < 2; k++) {
		if (cap[k].fd >= 0)
			close(cap[k].fd);
		smp_capture_free(&cap[k].kept);
	}
	for (int k = 0; k < 2; k++) {
		if (outp[k] >= 0)
			close(outp[k]);
		if (errp[k] >= 0)
			close(errp[k]);
	}
	return error;
}

smp_executor smp_serve_executor(const smp_serve_routes *routes)
{
	return (smp_executor){ served_run, (void *)routes };
}
