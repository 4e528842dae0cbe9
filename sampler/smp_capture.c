/* smp_capture: head and tail of a command's output (see smp_capture.h). */
#include "smp_capture.h"
#include "bg_error.h"

#include <stdlib.h>
#include <string.h>

void smp_capture_init(smp_capture *c, size_t limit)
{
	memset(c, 0, sizeof(*c));
	c->limit = limit < 2 ? 2 : limit;
}

/* Grows *buf to hold `need` bytes (+1 for a NUL), at most `max` + 1. */
static int grow(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t n = *cap ? *cap : 4096;
	char *nb;

	if (need + 1 <= *cap)
		return 0;
	while (n < need + 1)
		n *= 2;
	if (n > max + 1)
		n = max + 1;
	if ((nb = realloc(*buf, n)) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory capturing output");
	*buf = nb;
	*cap = n;
	return 0;
}

static int ring_add(smp_capture *c, const char *data, size_t n)
{
	size_t max = c->limit - c->limit / 2;
	int error;

	if (n > max) {          /* only the last max bytes can stay */
		c->wrapped = 1;
		data += n - max;
		n = max;
	}
	if (c->ring_len < max) {
		size_t room = max - c->ring_len, k = n < room ? n : room;

		if ((error = grow(&c->ring, &c->ring_cap, c->ring_len + k, max)) < 0)
			return error;
		memcpy(c->ring + c->ring_len, data, k);
		c->ring_len += k;
		data += k;
		n -= k;
	}
	while (n > 0) {         /* full: overwrite the oldest bytes */
		size_t k = max - c->ring_pos < n ? max - c->ring_pos : n;

		memcpy(c->ring + c->ring_pos, data, k);
		c->ring_pos = (c->ring_pos + k) % max;
		c->wrapped = 1;
		data += k;
		n -= k;
	}
	return 0;
}

int smp_capture_add(smp_capture *c, const char *data, size_t n)
{
	size_t hmax = c->limit / 2, k = c->head_len < hmax ? hmax - c->head_len : 0;
	int error;

	if (k > n)
		k = n;
	if (k > 0) {
		if ((error = grow(&c->head, &c->head_cap, c->head_len + k, c->limit)) < 0)
			return error;
		memcpy(c->head + c->head_len, data, k);
		c->head_len += k;
	}
	return n > k ? ring_add(c, data + k, n - k) : 0;
}

/* The ring in order, from its oldest byte. 0 or BG_ENOMEM. */
static int unroll(smp_capture *c)
{
	size_t n = c->ring_len;
	char *tmp;

	if (c->ring_pos == 0)
		return 0;
	if ((tmp = malloc(n + 1)) == NULL)
		return bg_error_nomem();
	memcpy(tmp, c->ring + c->ring_pos, n - c->ring_pos);
	memcpy(tmp + (n - c->ring_pos), c->ring, c->ring_pos);
	free(c->ring);
	c->ring = tmp;
	c->ring_cap = n + 1;
	c->ring_pos = 0;
	return 0;
}

char *smp_capture_take(smp_capture *c, size_t *len, int *truncated)
{
	size_t start = 0, n = c->ring_len;
	const char *nl;
	char *out;

	if (unroll(c) < 0)
		return NULL;
	if (c->wrapped) {       /* whole lines only: a cut line could be a wrong METRIC value */
		while (c->head_len > 0 && c->head[c->head_len - 1] != '\n')
			c->head_len--;
		nl = memchr(c->ring, '\n', n);
		start = nl ? (size_t)(nl - c->ring) + 1 : n;
	}
	if (grow(&c->head, &c->head_cap, c->head_len + (n - start), c->limit) < 0)
		return NULL;
	if (n > start) {        /* the ring is NULL when nothing passed the head */
		memcpy(c->head + c->head_len, c->ring + start, n - start);
		c->head_len += n - start;
	}
	c->head[c->head_len] = '\0';
	out = c->head;
	*len = c->head_len;
	*truncated = c->wrapped;
	c->head = NULL;
	smp_capture_free(c);
	return out;
}

void smp_capture_free(smp_capture *c)
{
	size_t limit = c->limit;

	free(c->head);
	free(c->ring);
	smp_capture_init(c, limit);
}
