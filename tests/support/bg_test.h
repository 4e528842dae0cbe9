/* bg_test: helpers shared by the cmocka tests — running a program with an
 * argv and capturing everything it writes. Deliberately independent of the
 * sampler (which is itself under test): plain fork/execv/poll/waitpid. */
#ifndef BG_TEST_H
#define BG_TEST_H

#include <stddef.h>

typedef struct {
	int status;      /* exit code; 128 + signal if killed; -1 if not run */
	int timed_out;   /* 1 when bg_test_run killed it at its deadline */
	char *out;       /* all of stdout, NUL-terminated, never NULL after a run */
	size_t out_len;
	char *err;       /* all of stderr, likewise */
	size_t err_len;
	double elapsed_s; /* wall time from fork to reap */
} bg_test_result;

/* Runs argv[0] (a path, no PATH search) with argv, stdin from /dev/null,
 * stdout and stderr captured in full. After limit_s seconds (<= 0: no limit)
 * the child is killed with SIGKILL and timed_out set. Returns 0, or -1 when
 * the pipes or fork failed (errno set); `res` is filled either way and must
 * be released with bg_test_result_free(). */
int bg_test_run(bg_test_result *res, const char *const argv[], double limit_s);

/* Runs `cd DIR && CMD` with /bin/sh (bg_test_run); fails the test when it
 * cannot be run or does not finish within limit_s seconds. */
bg_test_result bg_test_shell(const char *dir, const char *cmd, double limit_s);

/* `cd DIR && CMD` that must exit 0 (else the test fails, showing it); its
 * stdout without trailing newlines (caller frees). */
char *bg_test_shell_out(const char *dir, const char *cmd, double limit_s);

/* bg_test_shell with a printf-formatted command. */
bg_test_result bg_test_shellf(const char *dir, double limit_s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shows on stderr what ran (`what`), its exit, stdout and stderr, then frees
 * `r`: for a test about to fail. */
void bg_test_dump(bg_test_result *r, const char *what);

/* Fails the test, showing the command's exit, stdout and stderr, unless it
 * exited with `status`; `what` names it in the message. Frees `r` on failure. */
void bg_test_expect_status(bg_test_result *r, int status, const char *what);

/* Fails the test unless text (NULL: nothing there) contains needle,
 * showing the text; `what` names it. */
void bg_test_expect_has(const char *text, const char *needle, const char *what);

/* Frees the buffers of `res`; NULL is a no-op. */
void bg_test_result_free(bg_test_result *res);

/* Open file descriptors of this process (entries of /proc/self/fd, the
 * directory's own descriptor included, so before/after counts compare);
 * fails the test when /proc cannot be read. */
int bg_test_count_fds(void);

/* Makes a fresh directory /tmp/NAME.XXXXXX, its path into buf (size
 * bytes). Returns 0, or -1 (errno set). For setup functions. */
int bg_test_tmpdir(char *buf, size_t size, const char *name);

/* Removes path and everything below it (not following symbolic links).
 * Returns 0, or -1 when something could not be removed. */
int bg_test_rmtree(const char *path);

/* The whole file as a NUL-terminated string (caller frees), or NULL. */
char *bg_test_slurp(const char *path);

/* The parsed JSON file (caller cJSON_Deletes), or NULL. */
struct cJSON *bg_test_load_json(const char *path);

/* Fails the test unless |actual - expected| <= rel * max(|expected|, floor):
 * cmocka has no assert_double_equal. `what` names the value in the message. */
void bg_test_assert_close(double actual, double expected, double rel, double floor,
			  const char *what);

#endif
