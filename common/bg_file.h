/* bg_file: reading a whole file and replacing one atomically.
 *
 * Shared by every module that keeps state in small files (the holdout seal,
 * the test-count cache, reports): a reader sees the old file or the new one,
 * never a part, even if the writer is killed halfway. */
#ifndef BG_FILE_H
#define BG_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes text to path through a temporary file in the same directory
 * (fsync'd, mode 0644) and a rename, then fsyncs the directory. "-" writes
 * to stdout instead. Returns 0, BG_ENOMEM, or BG_ESYS with a message naming
 * the path; on failure the old file, if any, is left as it was and no
 * temporary file remains. */
int bg_file_write_atomic(const char *path, const char *text);

/* The whole file as a NUL-terminated string owned by the caller (free()),
 * its length in *len when len is not NULL. On failure returns NULL and sets
 * the error slot: BG_ENOTFOUND when the file does not exist, BG_ESYS for
 * other system errors (message naming the path), BG_ENOMEM. A file holding
 * NUL bytes is returned whole; *len tells its true length. */
char *bg_file_read(const char *path, size_t *len);

/* mkdir -p: makes dir and every missing parent, new ones with mode (before
 * the umask). Returns 0 when dir is a directory at the end; BG_ESYS naming
 * the directory that could not be made, or a path that is not a directory;
 * BG_ENOMEM. */
int bg_file_mkdirs(const char *dir, mode_t mode);

/* Takes an exclusive flock on path (made when missing), waiting for the
 * process that holds it, after saying on stderr (unless quiet) "waiting for
 * HOLDER to finish". *fd is the lock (close it to release; exiting does
 * too). BG_ESYS, BG_EINTR when interrupted while waiting. */
int bg_file_lock(int *fd, const char *path, int quiet, const char *holder);

/* Whether path is dir or lies below it (both absolute, as written: no
 * "..", no symbolic link followed); trailing slashes of dir do not count,
 * so everything is below "/". */
int bg_path_under(const char *path, const char *dir);

#endif
