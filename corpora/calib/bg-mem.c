/* bg-mem: memory latency.
 *
 * Stresses the cache hierarchy: a chain of dependent loads at pseudo-random
 * places in a 16 MiB buffer, sixteen times the 1 MiB L2 of the machine it was
 * tuned on (yet small enough not to weigh on RSS). Each load's address comes
 * from the value the previous load returned, so the loads cannot overlap and
 * the run time is the latency of a miss in L2 (an L3 hit or DRAM, depending
 * on the machine). It is the benchgate workload for changes in data layout
 * and for noise that comes from sharing caches with neighbours — the noisiest
 * of the five: on the tuning VM 16 MiB sits at the edge of the L3 share it
 * gets, and a load costs anywhere from 20 to over 100 ns.
 *
 * One unit is one dependent load. The next index is the loaded value plus the
 * unit counter, so the walk is not a fixed function of the index and cannot
 * fall into a short cycle that would fit in cache. Allocating and filling
 * the buffer is fixed set-up that -x does not scale (measure it with -s 0);
 * the buffer is backed by huge pages where the kernel allows, to keep that
 * set-up short, so the walk measures cache misses rather than TLB misses. */
#include "common.h"

#include <stdlib.h>
#include <sys/mman.h>

#define MEM_BYTES ((size_t)16 << 20)
#define MEM_WORDS (MEM_BYTES / sizeof(uint32_t))  /* a power of two */
#define MEM_HUGE_PAGE ((size_t)2 << 20)

/* Pseudo-random contents (the high half of a Fibonacci-hashing product) that
 * cost one multiply per word: filling is set-up, so it must be cheap. */
static inline uint32_t mem_word(uint64_t i)
{
	return (uint32_t)((i * 0x9e3779b97f4a7c15ULL) >> 32);
}

static int mem_run(cal_ctx *ctx, uint64_t units, uint64_t *out_checksum)
{
	uint32_t *buf = aligned_alloc(MEM_HUGE_PAGE, MEM_BYTES);
	uint64_t sum = 0;
	uint32_t idx = 0;

	if (buf == NULL)
		return cal_error_set(ctx, "cannot allocate the %zu MiB buffer", MEM_BYTES >> 20);
	/* Ask for transparent huge pages: on the VM this was tuned on, a 4 KiB
	 * page fault costs ~10 us, so faulting in 4096 small pages took 40 ms,
	 * twice the whole budget, against ~1 ms for eight huge ones. Where THP
	 * is off this fails harmlessly and only the fixed set-up gets slower. */
	(void)madvise(buf, MEM_BYTES, MADV_HUGEPAGE);
	for (size_t i = 0; i < MEM_WORDS; i++)
		buf[i] = mem_word(i);

	for (uint64_t i = 0; i < units; i++) {
		uint32_t v = buf[idx];

		sum += v;
		idx = (v + (uint32_t)i) & (uint32_t)(MEM_WORDS - 1);
	}
	free(buf);
	*out_checksum = sum ^ ((uint64_t)idx << 32);
	return 0;
}

int main(int argc, char **argv)
{
	static const cal_workload w = {
		.name = "bg-mem",
		.stresses = "memory latency (dependent random loads over a 16 MiB buffer)",
		.unit = "one dependent load at a pseudo-random place in the buffer",
		.base_units = 500000,
		.run = mem_run,
	};
	return cal_main(&w, argc, argv);
}
