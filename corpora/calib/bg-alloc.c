/* bg-alloc: the memory allocator.
 *
 * Stresses malloc/free: a pool of 1024 live blocks in which each unit frees
 * one block chosen at random and allocates a new one of a random size in its
 * place — mostly small (16-256 bytes), some medium (up to 4 KiB), a few large
 * (up to 16 KiB), the mix of a program that builds and drops strings, nodes
 * and buffers. Sizes stay below glibc's 128 KiB mmap threshold, so the run
 * time is the allocator's own bookkeeping (bins, coalescing, splitting), not
 * the kernel. It is the benchgate workload for changes in allocation patterns
 * and for a different malloc (LD_PRELOAD) being measured.
 *
 * One unit is one free() plus one malloc(). Each block carries a stamp that
 * is read back when the block is freed, so no allocation can be optimised
 * away. Filling the pool, a warm-up of 8192 uncounted units and emptying the
 * pool are fixed set-up that -x does not scale. The heap still creeps up
 * slowly as it fragments, so a late unit costs a little more than an early
 * one: -x is exact in units and in calls, close to exact in time. The draws
 * come from a fixed-seed SplitMix64, so every run asks the allocator for the
 * same sequence. */
#include "common.h"

#include <malloc.h>
#include <stdlib.h>

#define ALLOC_SLOTS 1024  /* a power of two */
#define ALLOC_WARMUP (8 * ALLOC_SLOTS)  /* uncounted units before the run */

/* A size for draw r: 75% in [16, 256], 20% in [256, 4096], 5% in
 * [4096, 16384], uniform within each band. */
static size_t alloc_size_draw(uint64_t r)
{
	unsigned band = (unsigned)(r % 100);
	uint64_t hi = r >> 32;

	if (band < 75)
		return 16 + (size_t)(hi % (256 - 16 + 1));
	if (band < 95)
		return 256 + (size_t)(hi % (4096 - 256 + 1));
	return 4096 + (size_t)(hi % (16384 - 4096 + 1));
}

/* Allocates a block of `size` bytes and stamps its first word. */
static uint64_t *alloc_block_new(size_t size, uint64_t stamp)
{
	uint64_t *p = malloc(size);

	if (p != NULL)
		p[0] = stamp;
	return p;
}

/* Does n units on the pool: frees a random block, allocates its successor.
 * Returns 0, or -1 after cal_error_set() (the slot is then NULL). */
static int alloc_churn(cal_ctx *ctx, uint64_t **slot, uint64_t *seed, uint64_t n,
	uint64_t *sum)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = cal_splitmix64(seed);
		uint64_t **s = &slot[(r >> 16) & (ALLOC_SLOTS - 1)];

		*sum = *sum * 31 + (*s)[0];
		free(*s);
		if ((*s = alloc_block_new(alloc_size_draw(r), r ^ i)) == NULL)
			return cal_error_set(ctx, "out of memory");
	}
	return 0;
}

static int alloc_run(cal_ctx *ctx, uint64_t units, uint64_t *out_checksum)
{
	uint64_t *slot[ALLOC_SLOTS] = { NULL };
	uint64_t seed = 0x62672d616c6c6f63ULL;  /* "bg-alloc" */
	uint64_t sum = 0;
	int error = 0;

#ifdef M_TRIM_THRESHOLD
	/* Keep freed memory in the heap instead of handing it back: by default
	 * glibc trims the heap whenever 128 KiB are free at its top, and the
	 * churn then grows and shrinks it hundreds of times a run — brk calls
	 * and page faults (~10 us each on the tuning VM) that would make this
	 * a kernel workload and the cost of a unit depend on when it runs. */
	(void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
	(void)mallopt(M_TOP_PAD, 4 << 20);
#endif
	for (uint64_t i = 0; i < ALLOC_SLOTS; i++) {
		uint64_t r = cal_splitmix64(&seed);

		if ((slot[i] = alloc_block_new(alloc_size_draw(r), r)) == NULL) {
			error = cal_error_set(ctx, "out of memory filling the pool");
			goto cleanup;
		}
	}
	/* Churn a while before counting, so that the heap has reached its
	 * high-water mark (and faulted in its pages) and every counted unit
	 * meets a pool in its steady state. */
	if ((error = alloc_churn(ctx, slot, &seed, ALLOC_WARMUP, &sum)) < 0)
		goto cleanup;

	if ((error = alloc_churn(ctx, slot, &seed, units, &sum)) < 0)
		goto cleanup;
	for (size_t i = 0; i < ALLOC_SLOTS; i++)
		sum = sum * 31 + slot[i][0];
	*out_checksum = sum;

cleanup:
	for (size_t i = 0; i < ALLOC_SLOTS; i++)
		free(slot[i]);
	return error;
}

int main(int argc, char **argv)
{
	static const cal_workload w = {
		.name = "bg-alloc",
		.stresses = "the memory allocator (malloc/free of mixed sizes)",
		.unit = "one free() and one malloc() of a random size up to 16 KiB",
		.base_units = 320000,
		.run = alloc_run,
	};
	return cal_main(&w, argc, argv);
}
