/* smp_capture: a command's output kept within a bound, head and tail.
 *
 * A stream of up to `limit` bytes is kept whole. Beyond it, the first half
 * of the bound and the last half are kept, so that what a command prints
 * last (a METRIC line after a large log, the error at the end of a build)
 * is never lost; the bytes between are dropped and the capture is marked
 * truncated. Only whole lines are kept then (the head up to its last
 * newline, the tail from its first), since a cut line could read as a
 * wrong METRIC value. Both capture
 * implementations (smp_spawn, smp_serve) keep their output this way. */
#ifndef SMP_CAPTURE_H
#define SMP_CAPTURE_H

#include <stddef.h>

typedef struct {
	char *head;        /* the first bytes, up to limit/2 (more: see take) */
	size_t head_len, head_cap;
	char *ring;        /* the last bytes beyond the head, circular once full */
	size_t ring_len, ring_cap, ring_pos;
	size_t limit;
	int wrapped;       /* the ring overwrote bytes: some were dropped */
} smp_capture;

/* An empty capture keeping at most `limit` bytes (>= 2). */
void smp_capture_init(smp_capture *c, size_t limit);

/* Adds n bytes. 0, or BG_ENOMEM. */
int smp_capture_add(smp_capture *c, const char *data, size_t n);

/* What was kept, NUL-terminated, as one buffer the caller frees: the head,
 * then the tail (when bytes were dropped: whole lines of each).
 * *len its length, *truncated whether anything was dropped. The capture is
 * left empty. NULL (BG_ENOMEM set) when out of memory. */
char *smp_capture_take(smp_capture *c, size_t *len, int *truncated);

/* Frees what c holds. */
void smp_capture_free(smp_capture *c);

#endif
