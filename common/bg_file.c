/* bg_file: whole-file reads and atomic replacement (see bg_file.h). */
#include "bg_file.h"
#include "bg_error.h"
#include "bg_interrupt.h"
#include "bg_progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The rename is durable only once the directory entry is on disk; a
 * directory that cannot be opened or synced (some filesystems refuse) does
 * not make the write fail: the file itself is complete either way. */
static void sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int bg_file_write_atomic(const char *path, const char *text)
{
	size_t len = strlen(text);
	char *tmp;
	int fd, error = 0;

	if (strcmp(path, "-") == 0) {
		fwrite(text, 1, len, stdout);
		return fflush(stdout) == 0 ? 0 :
			bg_error_set(BG_ESYS, "writing to stdout: %s", strerror(errno));
	}
	if ((tmp = malloc(strlen(path) + 16)) == NULL)
		return bg_error_nomem();
	sprintf(tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		error = bg_error_set(BG_ESYS, "cannot write %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (write_all(fd, text, len) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		error = bg_error_set(BG_ESYS, "writing %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		goto cleanup;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		error = bg_error_set(BG_ESYS, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	sync_parent_dir(path);
cleanup:
	free(tmp);
	return error;
}

static int read_error(const char *path)
{
	if (errno == ENOENT)
		return bg_error_set(BG_ENOTFOUND, "%s does not exist", path);
	return bg_error_set(BG_ESYS, "cannot read %s: %s", path, strerror(errno));
}

char *bg_file_read(const char *path, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf = NULL, *grown;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		read_error(path);
		return NULL;
	}
	for (;;) {
		if (buf == NULL || cap - n < 2) {
			cap = buf == NULL ? cap : cap * 2;
			if ((grown = realloc(buf, cap)) == NULL) {
				bg_error_set(BG_ENOMEM, "out of memory reading %s", path);
				goto fail;
			}
			buf = grown;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			read_error(path);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int mkdir_one(const char *p, mode_t mode)
{
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return bg_error_set(BG_ESYS, "cannot create %s: %s", p, strerror(errno));
	return 0;
}

int bg_file_mkdirs(const char *dir, mode_t mode)
{
	char *p = strdup(dir);
	struct stat st;
	int error = 0;

	if (p == NULL)
		return bg_error_nomem();
	for (char *s = p + 1; *s != '\0' && error == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		error = mkdir_one(p, mode);
		*s = '/';
	}
	if (error == 0)
		error = mkdir_one(p, mode);
	if (error == 0 && (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)))
		error = bg_error_set(BG_ESYS, "%s is not a directory", p);
	free(p);
	return error;
}

int bg_file_lock(int *fd, const char *path, int quiet, const char *holder)
{
	int f, error;

	/* read-only is enough for flock, so a lock file one user made serves all */
	if ((f = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return bg_error_set(BG_ESYS, "cannot open %s: %s", path, strerror(errno));
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		bg_warn(quiet, "waiting for %s to finish (%s)", holder, path);
		while (flock(f, LOCK_EX) < 0) {
			if (errno != EINTR || bg_interrupt_requested()) {
				error = errno == EINTR ? bg_error_set(BG_EINTR, "interrupted while waiting for %s", path)
						       : bg_error_set(BG_ESYS, "cannot lock %s: %s", path, strerror(errno));
				close(f);
				return error;
			}
		}
	}
	*fd = f;
	return 0;
}

int bg_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
