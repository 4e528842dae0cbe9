/* smp_overlay: a per-run overlay on the tree (see smp_overlay.h). */
#include "smp_overlay.h"
#include "bg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text to /proc/self/<file>. */
static int write_proc(const char *file, const char *text)
{
	char path[64];
	size_t n = strlen(text);
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	ok = write(fd, text, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/* A new user namespace in which the caller is `inside`, mapped onto
 * `outside` of the namespace it leaves (uid and gid alike). */
static int enter_user(unsigned inside_uid, unsigned outside_uid, unsigned inside_gid, unsigned outside_gid)
{
	char map[64];

	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1", inside_uid, outside_uid);
	if (write_proc("uid_map", map) < 0 || write_proc("setgroups", "deny") < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1", inside_gid, outside_gid);
	return write_proc("gid_map", map);
}

/* A detached tmpfs (named by no path) with the overlay's upper and work
 * directories: its mount fd, or -1. */
static int scratch(void)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), m = -1;

	if (fs >= 0 && fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) == 0 &&
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (fs >= 0)
		close(fs);
	if (m >= 0 && (mkdirat(m, "upper", 0755) < 0 || mkdirat(m, "work", 0755) < 0)) {
		close(m);
		m = -1;
	}
	return m;
}

/* lowerdir separates layers with ':' and escapes with '\\'. */
static int escape_lower(char *out, size_t size, const char *dir)
{
	size_t n = 0;

	for (; *dir; dir++) {
		if (n + 3 > size)
			return -1;
		if (*dir == ':' || *dir == '\\' || *dir == ',')
			out[n++] = '\\';
		out[n++] = *dir;
	}
	out[n] = '\0';
	return 0;
}

/* The overlay mounted on dir, its upper layer in the scratch tmpfs m. */
static int mount_overlay(const char *dir, int m, const char **step)
{
	char lower[PATH_MAX * 2], upper[64], work[64];
	int fs, mnt = -1, error = -1;

	snprintf(upper, sizeof(upper), "/proc/self/fd/%d/upper", m);
	snprintf(work, sizeof(work), "/proc/self/fd/%d/work", m);
	if (escape_lower(lower, sizeof(lower), dir) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*step = "fsopen(overlay)";
	if ((fs = fsopen("overlay", FSOPEN_CLOEXEC)) < 0)
		return -1;
	*step = "the overlay's options";
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) == 0 &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) == 0 &&
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) == 0 &&
	    (*step = "mounting the overlay", fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0) &&
	    (mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0)) >= 0)
		error = move_mount(mnt, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH);
	if (mnt >= 0)
		close(mnt);
	close(fs);
	return error;
}

int smp_overlay_enter(const char *dir, char *why, size_t size)
{
	unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
	char cwd[PATH_MAX];
	const char *step = "unshare(CLONE_NEWUSER) (nested user namespaces)";
	int m = -1, again;

	again = getcwd(cwd, sizeof(cwd)) != NULL && bg_path_under(cwd, dir);
	if (dir[0] != '/') {
		snprintf(why, size, "the overlay's directory must be absolute, got \"%s\"", dir);
		return -1;
	}
	if (enter_user(0, uid, 0, gid) < 0)
		goto fail;
	step = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS) < 0)
		goto fail;
	step = "making mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto fail;
	step = "a tmpfs for the overlay (fsopen, kernel 5.2 or later)";
	if ((m = scratch()) < 0)
		goto fail;
	if (mount_overlay(dir, m, &step) < 0)
		goto fail;
	close(m);
	m = -1;
	step = "entering the working directory again";
	if (again && chdir(cwd) < 0)
		goto fail;
	step = "the user namespace with the caller's own uid";
	if (enter_user(uid, 0, gid, 0) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, size, "cannot give the run a writable overlay on %s: %s: %s", dir, step, strerror(errno));
	if (m >= 0)
		close(m);
	return -1;
}

int smp_overlay_main(int argc, char **argv)
{
	char why[PATH_MAX + 256];

	if (argc < 3) {
		fprintf(stderr, "usage: benchgate %s DIR CMD [ARGS...]\n", SMP_OVERLAY_COMMAND);
		return 2;
	}
	if (smp_overlay_enter(argv[1], why, sizeof(why)) < 0) {
		fprintf(stderr, "benchgate: %s: %s\n", SMP_OVERLAY_COMMAND, why);
		return 126;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "benchgate: %s: %s: %s\n", SMP_OVERLAY_COMMAND, argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
