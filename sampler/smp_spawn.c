/* smp_spawn: run one command as a fresh child and measure it (see
 * smp_spawn.h).
 *
 * The parent vforks (see spawn_child for why), the child sets itself up
 * (process group, stdio, affinity) and execs. Anything the child must tell the parent before or
 * instead of exec (a refused affinity, a failed exec) travels through a
 * close-on-exec status pipe: EOF on it means exec succeeded. The parent then
 * polls stdout, stderr and a pidfd of the child, so the leader's exit is seen
 * even when a grandchild keeps the pipes open; after the leader is reaped the
 * rest of its process group is killed. SIGINT/SIGTERM are blocked outside
 * ppoll() so an interrupt can never slip between the flag check and the wait. */
#include "smp_spawn.h"
#include "smp_capture.h"

#include "bg_error.h"
#include "bg_strv.h"
#include "bg_interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define NO_DEADLINE INT64_MAX
/* Without a pidfd the leader's exit is found by polling wait4: the period
 * starts short (a quick command is not slowed down) and backs off. */
#define FALLBACK_FIRST_NS 50000
#define FALLBACK_MAX_NS 2000000
#define READ_CHUNK 65536

/* The one piece of process-wide state this module keeps (see the header). */

/* What the child reports through the status pipe. */
enum { MSG_PIN = 1, MSG_EXEC = 2, MSG_SETUP = 3 };

typedef struct {
	int what;
	int err;
} child_msg;

typedef struct {
	int fd;          /* read end; -1 once closed */
	smp_capture kept;
} capture;

typedef struct {
	const smp_spawn_opts *opts;
	char **split_argv;        /* owned, no_shell only */
	char *sh_argv[4];
	char *const *argv;        /* what the child execs */
	char **own_envp;          /* owned array (not strings) when env_extra is set */
	char *const *envp;        /* the child's environment */
	int devnull;
	int out_pipe[2];
	int err_pipe[2];
	int status_pipe[2];
	int go_pipe[2];
	int hw_fd[2];
	pid_t pid;
	int pidfd;
	int reaped;
	int group_killed;
	int status;
	struct rusage ru;
	capture out;
	capture err;
	struct timespec t0;
	struct timespec t1;
	int64_t deadline_ns;
	int64_t kill_at_ns;
	int64_t fallback_ns;      /* current reap check period without a pidfd */
	int timed_out;
	int interrupted;
	int exec_failed;
	int exec_errno;
	int setup_failed;
	int pin_failed;
	int pin_errno;
	sigset_t oldmask;
	int mask_set;
	pid_t parent;           /* benchgate, for die_with_parent */
} run_ctx;

/* ---- small helpers ---------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* can't fail with a valid clock */
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);
}

static int64_t tv_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
}

static int64_t secs_to_ns(double s)
{
	if (s >= 9.0e9)
		return NO_DEADLINE / 2;
	return (int64_t)(s * 1e9);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void close_pipe(int p[2])
{
	close_fd(&p[0]);
	close_fd(&p[1]);
}

/* Signals the child's process group; a group that is already gone is fine. */
static void kill_group(pid_t pgid, int sig)
{
	if (pgid > 0 && kill(-pgid, sig) < 0 && errno != ESRCH)
		fprintf(stderr, "benchgate: kill(-%d, %d): %s\n", (int)pgid, sig, strerror(errno));
}

/* ---- argv splitting --------------------------------------------------- */

static int push_word(bg_strv *v, const char *word, size_t len)
{
	if (bg_strv_push(v, word, len) < 0)
		return bg_error_set(BG_ENOMEM, "out of memory splitting a command line");
	return 0;
}

/* Consumes one character of cmd at *pp into word (advancing *pp). *quote is
 * the open quote or 0; *in_word says a word has begun (even an empty "").
 * Returns 1 when a blank ended a word, 0 otherwise, BG_EINVAL for a dangling
 * backslash. */
static int split_step(const char **pp, char *word, size_t *wl, char *quote, int *in_word)
{
	const char *p = *pp;
	char ch = *p++;
	int ended = 0;

	if (*quote == '\'') {
		if (ch == '\'')
			*quote = 0;
		else
			word[(*wl)++] = ch;
	} else if (*quote == '"') {
		if (ch == '"')
			*quote = 0;
		else if (ch == '\\' && (*p == '"' || *p == '\\'))
			word[(*wl)++] = *p++;
		else
			word[(*wl)++] = ch;
	} else if (ch == '\\') {
		if (*p == '\0')
			return bg_error_set(BG_EINVAL, "command line ends with a lone backslash");
		word[(*wl)++] = *p++;
		*in_word = 1;
	} else if (ch == '\'' || ch == '"') {
		*quote = ch;
		*in_word = 1;
	} else if (ch == ' ' || ch == '\t' || ch == '\n') {
		ended = *in_word;
	} else {
		word[(*wl)++] = ch;
		*in_word = 1;
	}
	*pp = p;
	return ended;
}

/* Splits cmd into words (see smp_spawn.h). On error *out_argv is untouched
 * and nothing is allocated. */
int smp_argv_split(char ***out_argv, const char *cmd)
{
	bg_strv v = BG_STRV_INIT;
	char *word = NULL, quote = 0;
	size_t wl = 0;
	int in_word = 0, error = 0, r;

	if (cmd == NULL)
		return bg_error_set(BG_EINVAL, "no command given");
	if ((word = malloc(strlen(cmd) + 1)) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory splitting a command line");
	for (const char *p = cmd; *p;) {
		if ((r = split_step(&p, word, &wl, &quote, &in_word)) < 0) {
			error = r;
			goto cleanup;
		}
		if (r == 1) {
			if ((error = push_word(&v, word, wl)) < 0)
				goto cleanup;
			wl = 0;
			in_word = 0;
		}
	}
	if (quote) {
		error = bg_error_set(BG_EINVAL, "unterminated %c quote in command: %s", quote, cmd);
		goto cleanup;
	}
	if (in_word && (error = push_word(&v, word, wl)) < 0)
		goto cleanup;
	if (v.n == 0) {
		error = bg_error_set(BG_EINVAL, "empty command");
		goto cleanup;
	}
	*out_argv = v.v;
	v.v = NULL;
cleanup:
	bg_strv_free(v.v);
	free(word);
	return error;
}

/* ---- hardware counters ------------------------------------------------ */

static void hw_attr(struct perf_event_attr *a, uint64_t config, int for_child)
{
	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_HARDWARE;
	a->size = sizeof(*a);
	a->config = config;
	a->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
	a->disabled = 1;
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
	a->inherit = (unsigned)for_child;
	a->enable_on_exec = (unsigned)for_child;
}

static int hw_open(uint64_t config, pid_t pid, int for_child)
{
	struct perf_event_attr a;

	hw_attr(&a, config, for_child);
	return (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static const char *hw_reason(int err)
{
	static char buf[160];
	const char *hint = "";

	if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
		hint = " (no hardware counters in this VM?)";
	else if (err == EACCES || err == EPERM)
		hint = " (perf_event_paranoid forbids it)";
	else if (err == ENOSYS)
		hint = " (kernel built without perf events)";
	snprintf(buf, sizeof(buf), "perf_event_open: %s%s", strerror(err), hint);
	return buf;
}

/* Probes once whether an instructions counter can be opened (on the calling
 * process) and caches the answer. *reason, when reason is not NULL, is set
 * to static text: why not, or "available". Can't fail. */
int smp_hw_counters_available(const char **reason)
{
	static int probed, avail;
	static const char *why = "available";
	int fd;

	if (!probed) {
		probed = 1;
		if ((fd = hw_open(PERF_COUNT_HW_INSTRUCTIONS, 0, 0)) >= 0) {
			avail = 1;
			close(fd);
		} else {
			why = hw_reason(errno);
		}
	}
	if (reason)
		*reason = why;
	return avail;
}

/* Opens both counters on the (still waiting) child; on failure none is kept
 * and the run goes on without them. */
static void hw_attach(run_ctx *c)
{
	c->hw_fd[0] = hw_open(PERF_COUNT_HW_INSTRUCTIONS, c->pid, 1);
	c->hw_fd[1] = hw_open(PERF_COUNT_HW_CPU_CYCLES, c->pid, 1);
	if (c->hw_fd[0] < 0 || c->hw_fd[1] < 0) {
		close_fd(&c->hw_fd[0]);
		close_fd(&c->hw_fd[1]);
	}
}

/* Reads one counter, scaled when the kernel multiplexed it. */
static int hw_read(int fd, uint64_t *value)
{
	uint64_t v[3]; /* value, time enabled, time running */

	if (read(fd, v, sizeof(v)) != (ssize_t)sizeof(v) || v[2] == 0)
		return -1;
	*value = v[2] < v[1] ? (uint64_t)((double)v[0] * ((double)v[1] / (double)v[2])) : v[0];
	return 0;
}

static void hw_collect(run_ctx *c, smp_result *r)
{
	if (c->hw_fd[0] < 0)
		return;
	if (hw_read(c->hw_fd[0], &r->instructions) == 0 && hw_read(c->hw_fd[1], &r->cycles) == 0)
		r->hw_ok = 1;
	else
		r->instructions = r->cycles = 0;
}

/* ---- the child -------------------------------------------------------- */

static void child_report(const run_ctx *c, int what, int err)
{
	child_msg m = { what, err };
	ssize_t n = write(c->status_pipe[1], &m, sizeof(m));

	(void)n; /* nothing better to do: the parent then sees a plain exit 127 */
}

static void __attribute__((noreturn)) child_fail(const run_ctx *c, int what, int err)
{
	child_report(c, what, err);
	_exit(127);
}

/* dup2 that also copes with from == to (dup2 would keep FD_CLOEXEC). */
static int child_dup(int from, int to)
{
	if (from == to)
		return fcntl(to, F_SETFD, 0);
	return dup2(from, to);
}

/* Runs in the child; never returns. Under vfork it shares the parent's
 * memory, so it writes none of it: only system calls and its own stack.
 * The parent's handlers stay in place until execve resets them; a signal sent
 * to this pid in the few instructions after the mask is restored would run
 * one here, and benchgate's only handlers set the interrupt flag. */
static void __attribute__((noreturn)) child_main(const run_ctx *c)
{
	const smp_spawn_opts *o = c->opts;
	char b;

	if (sigprocmask(SIG_SETMASK, &c->oldmask, NULL) < 0 || setpgid(0, 0) < 0 ||
	    (o->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0))
		child_fail(c, MSG_SETUP, errno);
	if (o->die_with_parent && getppid() != c->parent)
		_exit(127);   /* benchgate died before the signal was armed */
	/* 0, 1, 2 were taken in this order by devnull and the two pipes, so no
	 * dup2 below clobbers a descriptor a later one still needs. */
	if (child_dup(c->devnull, 0) < 0 || child_dup(c->out_pipe[1], 1) < 0 ||
	    child_dup(c->err_pipe[1], 2) < 0)
		child_fail(c, MSG_SETUP, errno);
	if (o->cpus && sched_setaffinity(0, sizeof(cpu_set_t), o->cpus) < 0)
		child_report(c, MSG_PIN, errno);
	if (c->go_pipe[0] >= 0) { /* wait for the counters: EOF once the parent is done */
		close(c->go_pipe[1]);
		while (read(c->go_pipe[0], &b, 1) < 0 && errno == EINTR)
			;
	}
	execvpe(c->argv[0], c->argv, c->envp);
	child_fail(c, MSG_EXEC, errno);
}

/* fork() copies the page tables and leaves both sides to take copy-on-write
 * faults: on this VM a fork+exec of `true` costs ~1.5 ms more than a vfork
 * one, far beyond the 10% overhead we allow against `hyperfine -N` (which
 * spawns with CLONE_VFORK too). vfork suspends us until the child execs or
 * exits, so only the hardware-counter handshake, where the child must wait
 * for the parent to attach the counters, needs a real fork. */
static pid_t spawn_child(const run_ctx *c)
{
	pid_t pid;

	if (c->go_pipe[0] >= 0)
		pid = fork();
	else
		pid = vfork();
	if (pid == 0)
		child_main(c);
	return pid;
}

/* ---- setup and teardown in the parent --------------------------------- */

static void ctx_init(run_ctx *c, const smp_spawn_opts *opts)
{
	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->devnull = c->pidfd = -1;
	c->out_pipe[0] = c->out_pipe[1] = c->err_pipe[0] = c->err_pipe[1] = -1;
	c->status_pipe[0] = c->status_pipe[1] = c->go_pipe[0] = c->go_pipe[1] = -1;
	c->hw_fd[0] = c->hw_fd[1] = -1;
	c->out.fd = c->err.fd = -1;
	smp_capture_init(&c->out.kept, opts->out_limit);
	smp_capture_init(&c->err.kept, opts->err_limit);
	c->deadline_ns = c->kill_at_ns = NO_DEADLINE;
	c->fallback_ns = FALLBACK_FIRST_NS;
}

static int check_opts(const smp_result *out, const smp_spawn_opts *o)
{
	if (out == NULL || o == NULL || o->cmd == NULL)
		return bg_error_set(BG_EINVAL, "smp_run: no command given");
	if (!(o->timeout_s >= 0) || !(o->kill_grace_s >= 0))
		return bg_error_set(BG_EINVAL, "timeout and kill grace must be >= 0 seconds, got %g and %g",
				    o->timeout_s, o->kill_grace_s);
	for (char *const *e = o->env_extra; e && *e; e++)
		if (strchr(*e, '=') == NULL || **e == '=')
			return bg_error_set(BG_EINVAL, "environment entry must be NAME=value, got \"%s\"", *e);
	return 0;
}

/* Opens everything the child needs. Order matters: see child_main. */
static int open_fds(run_ctx *c)
{
	if ((c->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return bg_error_set(BG_ESYS, "open /dev/null: %s", strerror(errno));
	if (pipe2(c->out_pipe, O_CLOEXEC) < 0 || pipe2(c->err_pipe, O_CLOEXEC) < 0 ||
	    pipe2(c->status_pipe, O_CLOEXEC) < 0)
		return bg_error_set(BG_ESYS, "pipe: %s", strerror(errno));
	if (c->opts->count_hw && smp_hw_counters_available(NULL) &&
	    pipe2(c->go_pipe, O_CLOEXEC) < 0)
		return bg_error_set(BG_ESYS, "pipe: %s", strerror(errno));
	/* The read ends now belong to the captures (which close them). */
	c->out.fd = c->out_pipe[0];
	c->err.fd = c->err_pipe[0];
	c->out_pipe[0] = c->err_pipe[0] = -1;
	return 0;
}

static int same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return strncmp(a, b, n) == 0 && b[n] == '=';
}

/* Whether an entry of extra (NULL-terminated) sets the same name as e. */
static int overridden(const char *e, char *const *extra)
{
	for (; *extra; extra++)
		if (same_name(*extra, e))
			return 1;
	return 0;
}

/* The child's environment: ours plus env_extra (a later entry wins), built
 * here because a vfork child must not touch our environ. Only the pointer
 * array is allocated. */
static int prepare_envp(run_ctx *c)
{
	char *const *extra = c->opts->env_extra;
	size_t n = 0, k = 0;

	c->envp = environ;
	if (extra == NULL || extra[0] == NULL)
		return 0;
	for (char **e = environ; *e; e++)
		n++;
	for (char *const *e = extra; *e; e++)
		n++;
	if ((c->own_envp = malloc((n + 1) * sizeof(char *))) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory building the environment");
	for (char **e = environ; *e; e++)
		if (!overridden(*e, extra))
			c->own_envp[k++] = *e;
	for (char *const *e = extra; *e; e++)
		if (!overridden(*e, e + 1))
			c->own_envp[k++] = *e;
	c->own_envp[k] = NULL;
	c->envp = c->own_envp;
	return 0;
}

static int prepare_argv(run_ctx *c)
{
	int error;

	if (c->opts->no_shell) {
		if ((error = smp_argv_split(&c->split_argv, c->opts->cmd)) < 0)
			return error;
		c->argv = c->split_argv;
		return 0;
	}
	c->sh_argv[0] = (char *)"/bin/sh";
	c->sh_argv[1] = (char *)"-c";
	c->sh_argv[2] = (char *)c->opts->cmd;
	c->sh_argv[3] = NULL;
	c->argv = c->sh_argv;
	return 0;
}

/* Reads the child's reports until EOF, i.e. until it exec'd or exited. */
static int read_child_status(run_ctx *c)
{
	child_msg m;
	ssize_t n;

	for (;;) {
		n = read(c->status_pipe[0], &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bg_error_set(BG_ESYS, "read from child status pipe: %s", strerror(errno));
		if (n == 0)
			return 0;
		if (n != (ssize_t)sizeof(m))
			return bg_error_set(BG_ESYS, "short read (%zd bytes) from child status pipe", n);
		if (m.what == MSG_PIN) {
			c->pin_failed = 1;
			c->pin_errno = m.err;
		} else {
			c->exec_failed = 1;
			c->setup_failed = m.what == MSG_SETUP;
			c->exec_errno = m.err;
		}
	}
}

/* Starts the child, lets it run, and closes the parent's copies of the child's
 * ends. After this returns, c->pid > 0 means a child exists. */
static int start_child(run_ctx *c)
{
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	if ((pid = spawn_child(c)) < 0)
		return bg_error_set(BG_ESYS, "fork: %s", strerror(errno));
	c->pid = pid;
	/* Both sides set the group, so it exists whichever runs first; EACCES
	 * means the child already exec'd, after its own setpgid. */
	if (setpgid(pid, pid) < 0 && errno != EACCES && errno != ESRCH)
		return bg_error_set(BG_ESYS, "setpgid: %s", strerror(errno));
	close_fd(&c->devnull);
	close_fd(&c->out_pipe[1]);
	close_fd(&c->err_pipe[1]);
	close_fd(&c->status_pipe[1]);
	close_fd(&c->go_pipe[0]);
	if (c->go_pipe[1] >= 0) {
		hw_attach(c);
		close_fd(&c->go_pipe[1]); /* EOF releases the child */
	}
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* < 0: fall back to polling */
	if (c->opts->timeout_s > 0)
		c->deadline_ns = now_ns() + secs_to_ns(c->opts->timeout_s);
	return read_child_status(c);
}

/* ---- capture ---------------------------------------------------------- */

/* Reads at most max bytes once. Returns 0, or closes the stream on EOF or a
 * read error (the child's output then ends there), or BG_ENOMEM. */
static int cap_read(capture *k, size_t max)
{
	char chunk[READ_CHUNK];
	ssize_t n;

	if (max > sizeof(chunk))
		max = sizeof(chunk);
	n = read(k->fd, chunk, max);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		close_fd(&k->fd);
		return 0;
	}
	return smp_capture_add(&k->kept, chunk, (size_t)n);
}

/* Reads what is in the pipe right now, without waiting for more. A writer
 * that keeps writing cannot hold this up: only the bytes present on entry
 * are taken. */
static int cap_drain(capture *k)
{
	int avail, error;

	if (k->fd < 0)
		return 0;
	if (ioctl(k->fd, FIONREAD, &avail) < 0)
		return bg_error_set(BG_ESYS, "ioctl(FIONREAD): %s", strerror(errno));
	while (avail > 0 && k->fd >= 0) {
		size_t want = (size_t)avail < READ_CHUNK ? (size_t)avail : READ_CHUNK;
		if ((error = cap_read(k, want)) < 0)
			return error;
		avail -= (int)want; /* no short read: at least avail bytes are there */
	}
	return 0;
}

/* ---- waiting ---------------------------------------------------------- */

/* SIGTERM to the group now, SIGKILL after the grace. */
static void start_termination(run_ctx *c, int64_t now)
{
	kill_group(c->pid, SIGTERM);
	c->deadline_ns = NO_DEADLINE;
	c->kill_at_ns = now + secs_to_ns(c->opts->kill_grace_s);
}

static void check_deadlines(run_ctx *c)
{
	int64_t now;

	if (bg_interrupt_requested() && !c->interrupted) {
		c->interrupted = 1;
		start_termination(c, now_ns());
	}
	if (c->deadline_ns == NO_DEADLINE && c->kill_at_ns == NO_DEADLINE)
		return;
	now = now_ns();
	if (now >= c->deadline_ns) {
		c->timed_out = 1;
		start_termination(c, now);
	}
	if (now >= c->kill_at_ns) {
		kill_group(c->pid, SIGKILL);
		c->kill_at_ns = NO_DEADLINE;
	}
}

/* Reaps the leader if it has exited (blocking when it is known to have). */
static int try_reap(run_ctx *c, int flags)
{
	pid_t r = wait4(c->pid, &c->status, flags, &c->ru);

	if (r < 0 && errno == EINTR)
		return 0;
	if (r < 0)
		return bg_error_set(BG_ESYS, "wait4: %s", strerror(errno));
	if (r == c->pid) {
		clock_gettime(CLOCK_MONOTONIC, &c->t1);
		c->reaped = 1;
	}
	return 0;
}

/* ppoll's timeout: the nearest deadline, a short period without a pidfd, or
 * none at all (the common case: no sleeping, no periodic wake-ups). */
static struct timespec *poll_timeout(run_ctx *c, struct timespec *ts)
{
	int64_t next = c->deadline_ns < c->kill_at_ns ? c->deadline_ns : c->kill_at_ns;
	int64_t wait;

	if (next == NO_DEADLINE && c->pidfd >= 0)
		return NULL;
	wait = next == NO_DEADLINE ? INT64_MAX : next - now_ns();
	if (c->pidfd < 0 && wait > c->fallback_ns) {
		wait = c->fallback_ns;
		if (c->fallback_ns < FALLBACK_MAX_NS)
			c->fallback_ns *= 2;
	}
	if (wait < 0)
		wait = 0;
	ts->tv_sec = (time_t)(wait / 1000000000);
	ts->tv_nsec = (long)(wait % 1000000000);
	return ts;
}

/* One wait for output, the leader's exit or a deadline. */
static int poll_once(run_ctx *c)
{
	struct pollfd pf[3];
	capture *ks[2] = { &c->out, &c->err };
	struct timespec ts;
	int n = 0, error, pidfd_ready = 0;

	for (int i = 0; i < 2; i++)
		if (ks[i]->fd >= 0)
			pf[n++] = (struct pollfd){ .fd = ks[i]->fd, .events = POLLIN };
	if (c->pidfd >= 0)
		pf[n++] = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
	if (ppoll(pf, (nfds_t)n, poll_timeout(c, &ts), &c->oldmask) < 0)
		return errno == EINTR ? 0 : bg_error_set(BG_ESYS, "ppoll: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		if (!pf[i].revents)
			continue;
		if (pf[i].fd == c->pidfd)
			pidfd_ready = 1;
		else if ((error = cap_read(pf[i].fd == c->out.fd ? &c->out : &c->err, READ_CHUNK)) < 0)
			return error;
	}
	if (c->pidfd < 0)
		return try_reap(c, WNOHANG);
	return pidfd_ready ? try_reap(c, 0) : 0;
}

static int wait_child(run_ctx *c)
{
	int error;

	while (!c->reaped) {
		check_deadlines(c);
		if ((error = poll_once(c)) < 0)
			return error;
	}
	return 0;
}

/* Error path: nothing may be left running, so kill the group and reap the
 * leader. */
static void abandon_child(run_ctx *c)
{
	if (c->pid <= 0)
		return;
	if (!c->group_killed)
		kill_group(c->pid, SIGKILL);
	c->group_killed = 1;
	if (c->reaped)
		return;
	if (kill(c->pid, SIGKILL) < 0 && errno != ESRCH) /* in case setpgid never happened */
		fprintf(stderr, "benchgate: kill(%d): %s\n", (int)c->pid, strerror(errno));
	while (wait4(c->pid, &c->status, 0, &c->ru) < 0 && errno == EINTR)
		;
	c->reaped = 1;
}

static void ctx_release(run_ctx *c)
{
	abandon_child(c);
	close_fd(&c->out.fd);
	close_fd(&c->err.fd);
	close_fd(&c->devnull);
	close_pipe(c->out_pipe);
	close_pipe(c->err_pipe);
	close_pipe(c->status_pipe);
	close_pipe(c->go_pipe);
	close_fd(&c->hw_fd[0]);
	close_fd(&c->hw_fd[1]);
	close_fd(&c->pidfd);
	smp_capture_free(&c->out.kept);
	smp_capture_free(&c->err.kept);
	bg_strv_free(c->split_argv);
	free(c->own_envp);
	if (c->mask_set)
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
}

/* ---- result ------------------------------------------------------------ */

static int exec_failure_message(run_ctx *c)
{
	char msg[512];
	int n;

	if (c->setup_failed)
		n = snprintf(msg, sizeof(msg), "cannot set up the child for '%s': %s\n",
			     c->opts->cmd, strerror(c->exec_errno));
	else
		n = snprintf(msg, sizeof(msg), "cannot run '%s': %s\n", c->argv[0], strerror(c->exec_errno));
	if (n < 0)
		return 0;
	return smp_capture_add(&c->err.kept, msg, strlen(msg));
}

static void fill_outcome(const run_ctx *c, smp_result *r)
{
	if (WIFEXITED(c->status))
		r->exit_code = WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		r->term_signal = WTERMSIG(c->status);
	if (c->exec_failed) {
		r->outcome = SMP_EXEC_FAILED;
		r->exit_code = 127;
	} else if (c->timed_out) {
		r->outcome = SMP_TIMED_OUT;
	} else {
		r->outcome = WIFSIGNALED(c->status) ? SMP_SIGNALED : SMP_EXITED;
	}
}

/* Moves everything measured into *r; the buffers change owner. */
static int fill_result(run_ctx *c, smp_result *r)
{
	int error;

	if (c->exec_failed && (error = exec_failure_message(c)) < 0)
		return error;
	memset(r, 0, sizeof(*r));
	if ((r->out = smp_capture_take(&c->out.kept, &r->out_len, &r->out_truncated)) == NULL ||
	    (r->err = smp_capture_take(&c->err.kept, &r->err_len, &r->err_truncated)) == NULL) {
		free(r->out);
		r->out = NULL;
		return BG_ENOMEM;
	}
	fill_outcome(c, r);
	r->wall_ns = ts_diff_ns(&c->t0, &c->t1);
	r->user_ns = tv_ns(&c->ru.ru_utime);
	r->sys_ns = tv_ns(&c->ru.ru_stime);
	r->maxrss_kb = c->ru.ru_maxrss; /* KiB on Linux */
	hw_collect(c, r);
	r->pin_failed = c->pin_failed;
	r->pin_errno = c->pin_errno;
	return 0;
}

/* After the leader is reaped: take what its pipes still hold, then make sure
 * no member of its group survives. */
static int finish_group(run_ctx *c)
{
	int error;

	if ((error = cap_drain(&c->out)) < 0 || (error = cap_drain(&c->err)) < 0)
		return error;
	kill_group(c->pid, SIGKILL);
	c->group_killed = 1;
	close_fd(&c->out.fd);
	close_fd(&c->err.fd);
	return 0;
}

/* Runs opts->cmd and measures it; see smp_spawn.h for the contract. *out is
 * written only when 0 is returned. */
int smp_run(smp_result *out, const smp_spawn_opts *opts)
{
	run_ctx c;
	sigset_t block;
	int error;

	if ((error = check_opts(out, opts)) < 0)
		return error;
	if (bg_interrupt_requested())
		return bg_error_set(BG_EINTR, "interrupted before running '%s'", opts->cmd);
	ctx_init(&c, opts);
	c.parent = getpid();
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &c.oldmask) < 0)
		return bg_error_set(BG_ESYS, "sigprocmask: %s", strerror(errno));
	c.mask_set = 1;
	if ((error = prepare_argv(&c)) < 0 || (error = prepare_envp(&c)) < 0 ||
	    (error = open_fds(&c)) < 0 ||
	    (error = start_child(&c)) < 0 || (error = wait_child(&c)) < 0 ||
	    (error = finish_group(&c)) < 0)
		goto cleanup;
	if (c.interrupted) {
		error = bg_error_set(BG_EINTR, "interrupted while running '%s'", opts->cmd);
		goto cleanup;
	}
	error = fill_result(&c, out);
cleanup:
	ctx_release(&c);
	return error;
}

/* Frees r's buffers and zeroes it. Accepts NULL. */
void smp_result_clear(smp_result *r)
{
	if (r == NULL)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}
