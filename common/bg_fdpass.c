/* bg_fdpass: whole reads and writes, descriptors over a Unix socket (see
 * bg_fdpass.h). */
#include "bg_fdpass.h"
#include "bg_interrupt.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 4

int bg_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bg_read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR && !bg_interrupt_requested())
			continue;
		if (r == 0)
			errno = 0;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

typedef union {
	char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	struct cmsghdr align;
} control;

int bg_fd_send(int sock, const void *head, size_t n, const int *fds, int nfds)
{
	control u;
	struct iovec iov = { (void *)head, n };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t w;

	if (nfds < 1 || nfds > MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&u, 0, sizeof(u));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	do
		w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)n ? 0 : -1;
}

int bg_fd_recv(int sock, void *head, size_t n, int *fds, int nfds)
{
	control u;
	struct iovec iov = { head, n };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t r;
	int got = 0;

	if (nfds < 1 || nfds > MAX_FDS)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (c = r >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
		int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof(fd));
			if (got < nfds)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	if (r == (ssize_t)n && got == nfds)
		return 0;
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return -1;
}
