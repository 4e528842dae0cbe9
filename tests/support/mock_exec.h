/* mock_exec: a scripted executor for the runner's seam (smp_executor in
 * smp_runner.h), after hyperfine's mock executor: nothing runs, the command
 * line says what the run took.
 *
 * A command holds "bg-mock MEAN [SD [EXIT]]" anywhere in it (so
 * "cd '/x' && bg-mock 0.010 0.02" works as a workload): the run's wall time
 * is MEAN seconds times exp(SD * z), z standard normal from the executor's
 * seeded generator (SD 0: exactly MEAN), user time the same, and it exits
 * with EXIT (default 0; a failing run's stderr says "mock failure").
 * Alternatively "bg-mock-file NAME SD" reads MEAN from the file NAME,
 * relative to the "cd 'DIR'" the command starts with: two exports of a
 * repository can then differ in speed by what their trees hold. A command
 * without either is a harness error (BG_EINVAL), as a typo should be. */
#ifndef MOCK_EXEC_H
#define MOCK_EXEC_H

#include <gsl/gsl_rng.h>

#include "smp_runner.h"

typedef struct {
	gsl_rng *rng;      /* owned */
	unsigned long calls;
} mock_exec;

/* A mock seeded with seed; returns the executor to put in the options.
 * Aborts the test when out of memory. */
smp_executor mock_exec_init(mock_exec *m, unsigned long seed);

void mock_exec_free(mock_exec *m);

#endif
