/* smp_metric: `METRIC name=value` lines in a command's output.
 *
 * The convention of pi-autoresearch's measure scripts: a line
 * `METRIC total_µs=15200` reports a custom metric. Read as pi reads it
 * (its regex /^METRIC\s+([\w.µ]+)=(\S+)\s*$/m and JavaScript's Number()):
 * "METRIC" at the start of the line, names of ASCII letters, digits, '_',
 * '.' and µ (MICRO SIGN), values finite numbers (decimal, or 0x/0o/0b
 * integers), a later line of the same name replacing an earlier one,
 * __proto__, constructor and prototype skipped. The runner reads stdout,
 * then stderr (pi reads both, interleaved). A malformed METRIC line is a
 * warning, never an error; other lines are ignored. The README lists where
 * benchgate differs (names at most 255 bytes). */
#ifndef SMP_METRIC_H
#define SMP_METRIC_H

#include <stddef.h>

#define SMP_METRIC_NAME_MAX 256 /* bytes including the NUL */

typedef struct {
	char name[SMP_METRIC_NAME_MAX];
	double value;
} smp_metric;

typedef struct {
	smp_metric *items;
	size_t n;
	size_t cap;
	size_t malformed;            /* malformed METRIC lines seen */
	char first_problem[160];     /* what was wrong with the first one */
} smp_metrics;

#define SMP_METRICS_INIT { NULL, 0, 0, 0, "" }

/* Adds the METRIC lines of buf[0..len) to *m (a later value of the same
 * name replaces an earlier one). Returns 0, or BG_ENOMEM with *m unchanged
 * beyond the metrics already added. buf need not be NUL-terminated. */
int smp_metrics_parse(smp_metrics *m, const char *buf, size_t len);

/* The value of `name`, or NULL. */
const smp_metric *smp_metrics_find(const smp_metrics *m, const char *name);

/* Whether name is a valid metric name (used to check --metric). */
int smp_metric_name_valid(const char *name);

/* Whether `metric` is one the runner measures itself: wall, cpu, user, sys,
 * maxrss, instructions, cycles (lower is better for each). */
int smp_metric_builtin(const char *metric);

/* Frees the items and resets *m. Accepts NULL. */
void smp_metrics_clear(smp_metrics *m);

#endif
