/* bg_test: see bg_test.h. Both pipes are drained with poll() so a child that
 * fills one pipe while we wait on the other cannot deadlock the test. */
#include "bg_test.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
	char *buf;
	size_t len, cap;
} growbuf;

static int grow_read(growbuf *g, int fd)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? 1 : 0;
	if (g->len + (size_t)n + 1 > g->cap) {
		size_t cap = g->cap ? g->cap : 16384;
		char *p;
		while (cap < g->len + (size_t)n + 1)
			cap *= 2;
		if ((p = realloc(g->buf, cap)) == NULL)
			return 0; /* drop the rest rather than abort the test */
		g->buf = p;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, chunk, (size_t)n);
	g->len += (size_t)n;
	g->buf[g->len] = '\0';
	return 1;
}

static char *finish(growbuf *g, size_t *len)
{
	if (g->buf == NULL)
		g->buf = calloc(1, 1);
	*len = g->len;
	return g->buf;
}

int bg_test_run(bg_test_result *res, const char *const argv[], double limit_s)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, st = 0;
	growbuf out = { 0 }, err = { 0 };
	double t0 = now_s();
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->status = -1;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		goto fail;
	if ((pid = fork()) < 0)
		goto fail;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		int wait_ms = -1;

		if (limit_s > 0) {
			double left = limit_s - (now_s() - t0);
			if (left <= 0) {
				kill(pid, SIGKILL);
				res->timed_out = 1;
				break;
			}
			wait_ms = (int)(left * 1000.0) + 1;
		}
		if (poll(pf, 2, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		if (po[0] >= 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && !grow_read(&out, po[0])) {
			close(po[0]);
			po[0] = -1;
		}
		if (pe[0] >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && !grow_read(&err, pe[0])) {
			close(pe[0]);
			pe[0] = -1;
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
	res->elapsed_s = now_s() - t0;
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	res->out = finish(&out, &res->out_len);
	res->err = finish(&err, &res->err_len);
	return 0;
fail:
	{
		int e = errno;
		for (int i = 0; i < 2; i++) {
			if (po[i] >= 0)
				close(po[i]);
			if (pe[i] >= 0)
				close(pe[i]);
		}
		res->out = finish(&out, &res->out_len);
		res->err = finish(&err, &res->err_len);
		errno = e;
	}
	return -1;
}

void bg_test_result_free(bg_test_result *res)
{
	if (res == NULL)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}

void bg_test_dump(bg_test_result *r, const char *what)
{
	print_error("while checking: %s\nexit %d after %.2f s\n--- stdout ---\n%s\n--- stderr ---\n%s\n",
		    what, r->status, r->elapsed_s, r->out ? r->out : "", r->err ? r->err : "");
	/* A failure longjmps next: free now so ASan reports the failure only. */
	bg_test_result_free(r);
}

bg_test_result bg_test_shell(const char *dir, const char *cmd, double limit_s)
{
	char *full = NULL;
	bg_test_result r;

	assert_true(asprintf(&full, "cd '%s' && %s", dir, cmd) > 0);
	const char *argv[] = { "/bin/sh", "-c", full, NULL };
	assert_int_equal(bg_test_run(&r, argv, limit_s), 0);
	free(full);
	if (r.timed_out) {
		bg_test_dump(&r, cmd);
		fail_msg("did not finish within %.0f s", limit_s);
	}
	return r;
}

char *bg_test_shell_out(const char *dir, const char *cmd, double limit_s)
{
	bg_test_result r = bg_test_shell(dir, cmd, limit_s);
	char *out;
	size_t n;

	bg_test_expect_status(&r, 0, cmd);
	out = strdup(r.out);
	bg_test_result_free(&r);
	assert_non_null(out);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

bg_test_result bg_test_shellf(const char *dir, double limit_s, const char *fmt, ...)
{
	char *cmd = NULL;
	bg_test_result r;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	r = bg_test_shell(dir, cmd, limit_s);
	free(cmd);
	return r;
}

void bg_test_expect_status(bg_test_result *r, int status, const char *what)
{
	if (r->status != status) {
		int got = r->status;
		bg_test_dump(r, what);
		fail_msg("%s: expected exit %d, got %d", what, status, got);
	}
}

void bg_test_expect_has(const char *text, const char *needle, const char *what)
{
	if (text == NULL || strstr(text, needle) == NULL)
		fail_msg("%s: \"%s\" not in:\n%s", what, needle, text ? text : "(nothing)");
}

int bg_test_tmpdir(char *buf, size_t size, const char *name)
{
	if ((size_t)snprintf(buf, size, "/tmp/%s.XXXXXX", name) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(buf) == NULL ? -1 : 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int bg_test_rmtree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *bg_test_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)len + 1)) != NULL) {
		if (fread(text, 1, (size_t)len, f) == (size_t)len) {
			text[len] = '\0';
		} else {
			free(text);
			text = NULL;
		}
	}
	fclose(f);
	return text;
}

cJSON *bg_test_load_json(const char *path)
{
	char *text = bg_test_slurp(path);
	cJSON *j = text ? cJSON_Parse(text) : NULL;

	free(text);
	return j;
}

void bg_test_assert_close(double actual, double expected, double rel, double floor,
			  const char *what)
{
	double tol = rel * fmax(fabs(expected), floor);

	if (!(fabs(actual - expected) <= tol))
		fail_msg("%s: got %.17g, expected %.17g (tolerance %.3g)", what ? what : "value",
			 actual, expected, tol);
}

int bg_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}
