/* bg-int: integer arithmetic, with no memory traffic to speak of.
 *
 * Stresses the integer pipeline: a hash-mixing loop of 64-bit multiplies,
 * shifts, rotates, xors and adds, plus one 32-bit division per unit so the
 * divider is on the critical path too. Everything lives in registers and each
 * unit depends on the one before, so the run time is a latency chain that
 * neither the compiler nor the CPU can shorten. It is the benchgate workload
 * whose speed depends only on the core: if benchgate sees a change here, the
 * noise or the change is in CPU time, not in caches, allocator or kernel.
 *
 * One unit is one mixing round; the instruction count per unit is constant
 * (no data-dependent branches), which is what makes -x exactly faithful. */
#include "common.h"

static inline uint64_t int_rotl(uint64_t v, int k)
{
	return (v << k) | (v >> (64 - k));
}

static int int_run(cal_ctx *ctx, uint64_t units, uint64_t *out_checksum)
{
	uint64_t seed = 0x62672d696e74ULL;  /* "bg-int" */
	uint64_t a = cal_splitmix64(&seed), b = cal_splitmix64(&seed);
	uint32_t acc = 0;

	(void)ctx;  /* this workload cannot fail */
	for (uint64_t i = 0; i < units; i++) {
		/* The finaliser of MurmurHash3 (Appleby), fed by a Weyl
		 * sequence in a; the division mixes the two halves back in. */
		a += 0x9e3779b97f4a7c15ULL;
		b ^= a;
		b *= 0xff51afd7ed558ccdULL;
		b ^= b >> 33;
		b *= 0xc4ceb9fe1a85ec53ULL;
		b ^= b >> 29;
		acc += (uint32_t)b / ((uint32_t)(b >> 32) | 1u);
		b = int_rotl(b, 23) + acc;
	}
	*out_checksum = b ^ a ^ acc;
	return 0;
}

int main(int argc, char **argv)
{
	static const cal_workload w = {
		.name = "bg-int",
		.stresses = "integer arithmetic (multiply, shift, rotate, 32-bit divide)",
		.unit = "one round of a 64-bit hash-mixing loop",
		.base_units = 2400000,
		.run = int_run,
	};
	return cal_main(&w, argc, argv);
}
