/* bg-sys: system calls.
 *
 * Stresses the user/kernel boundary: each unit writes 8 bytes into a pipe and
 * reads them back, two tiny system calls that do almost no work inside the
 * kernel, so the run time is the cost of entering and leaving it (and of the
 * mitigations — PTI, retpolines — that make that cost vary between kernels
 * and machines). Both ends belong to this one thread and the pipe is never
 * full or empty when touched, so nothing ever blocks or sleeps. It is the
 * benchgate workload for changes in I/O patterns (buffering, batching) and
 * for noise that comes from the kernel.
 *
 * One unit is one write(2) plus one read(2). The bytes read back feed the
 * checksum, so no call can be skipped. Creating the pipe is fixed set-up. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Writes or reads exactly 8 bytes, retrying on EINTR. Returns 0 or -1 with
 * errno set (a short transfer, impossible on a pipe for 8 bytes, sets EIO). */
static int sys_xfer(int fd, uint64_t *word, int writing)
{
	ssize_t n;

	do
		n = writing ? write(fd, word, sizeof(*word)) : read(fd, word, sizeof(*word));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*word))
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

static int sys_run(cal_ctx *ctx, uint64_t units, uint64_t *out_checksum)
{
	int fd[2];
	uint64_t sum = 0;
	int error = 0;

	if (pipe2(fd, O_CLOEXEC) < 0)
		return cal_error_set(ctx, "cannot create a pipe: %s", strerror(errno));

	for (uint64_t i = 0; i < units; i++) {
		uint64_t word = sum + i;

		if (sys_xfer(fd[1], &word, 1) < 0) {
			error = cal_error_set(ctx, "write to the pipe: %s", strerror(errno));
			goto cleanup;
		}
		word = 0;
		if (sys_xfer(fd[0], &word, 0) < 0) {
			error = cal_error_set(ctx, "read from the pipe: %s", strerror(errno));
			goto cleanup;
		}
		sum = (sum ^ word) * 0x100000001b3ULL;  /* FNV-1a style */
	}
	*out_checksum = sum;

cleanup:
	close(fd[0]);
	close(fd[1]);
	return error;
}

int main(int argc, char **argv)
{
	static const cal_workload w = {
		.name = "bg-sys",
		.stresses = "system calls (8-byte write and read on a pipe)",
		.unit = "one write(2) and one read(2) of 8 bytes on a pipe",
		.base_units = 7500,
		.run = sys_run,
	};
	return cal_main(&w, argc, argv);
}
