/* bg_fdpass: whole reads and writes on a descriptor, and a message that
 * carries descriptors over a Unix socket (SCM_RIGHTS, unix(7)): how a
 * process outside a sandbox and one inside hand each other a command's
 * stdout and stderr (benchgate shield, the per-arm run server). */
#ifndef BG_FDPASS_H
#define BG_FDPASS_H

#include <stddef.h>

/* Writes all n bytes (retrying on EINTR and short writes). 0, or -1 with
 * errno set (EPIPE when the peer is gone: no SIGPIPE is raised for a
 * socket). */
int bg_write_all(int fd, const void *buf, size_t n);

/* Reads exactly n bytes. 0, or -1 at end of file (errno 0) or on an error
 * (a read interrupted once bg_interrupt_requested() is set is an error). */
int bg_read_all(int fd, void *buf, size_t n);

/* Sends the n bytes at head in one message with the nfds (1 to 4)
 * descriptors fds attached. 0, or -1 with errno set. */
int bg_fd_send(int sock, const void *head, size_t n, const int *fds, int nfds);

/* Receives a message of exactly n bytes into head and exactly nfds
 * descriptors into fds (close-on-exec). 0, or -1 (a short message, or
 * descriptors missing: any that came are closed). */
int bg_fd_recv(int sock, void *head, size_t n, int *fds, int nfds);

#endif
