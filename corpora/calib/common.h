/* cal: what every calibration workload (corpora/calib/bg-*.c) shares.
 *
 * A workload is a run function that does `units` identical units of work and
 * folds what it computed into a checksum. cal_main() turns the command line
 * into a unit count — base_units * SCALE * (1 + PCT/100), rounded to the
 * nearest integer — runs the workload once and prints
 *
 *	checksum=<16 hex digits>
 *	METRIC work_units=<N>
 *
 * so benchgate sees exactly how much work was asked for. The knob scales the
 * number of trips through one loop and nothing else: set-up (buffers, pipes)
 * stays fixed, which is why each workload keeps its set-up small. */
#ifndef CAL_COMMON_H
#define CAL_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* What a run function gets: the slot for the one error message a failing
 * run sets; cal_main() prints it after the workload's name. */
typedef struct cal_ctx {
	char err[256];
} cal_ctx;

/* Does `units` units of work and writes the checksum to *out_checksum.
 * Returns 0, or -1 after cal_error_set() (nothing is written then). */
typedef int (*cal_run_fn)(cal_ctx *ctx, uint64_t units, uint64_t *out_checksum);

typedef struct cal_workload {
	const char *name;       /* "bg-int": program name in every message */
	const char *stresses;   /* one line for --help: what the work exercises */
	const char *unit;       /* one line for --help: what one unit is */
	uint64_t base_units;    /* units at -s 1 -x 0: about 20 ms on the dev VM */
	cal_run_fn run;
} cal_workload;

/* The whole program: parses argv (-x/--extra PCT, -s/--scale SCALE,
 * -h/--help), runs the workload and prints its results to stdout. Returns the
 * exit status: 0 on success or after --help, 2 on a usage error (message on
 * stderr), 1 if the run failed (message on stderr). */
int cal_main(const cal_workload *w, int argc, char **argv);

/* Units for a base count, a scale and an extra percentage:
 * round(base * scale * (100 + pct) / 100). Both factors must be finite and
 * non-negative. Returns 0, or -1 if the result does not fit in 2^62
 * (*out_units is then left alone). */
int cal_units_compute(uint64_t *out_units, uint64_t base, double scale, double pct);

/* Sets ctx->err (printf-style) and returns -1, so a failure reads
 * `return cal_error_set(ctx, "...");`. Can't fail: long messages are cut. */
int cal_error_set(cal_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): the seeded, reproducible source of every
 * "random" choice the workloads make. */
static inline uint64_t cal_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
