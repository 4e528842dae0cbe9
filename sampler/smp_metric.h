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
	double value;       /* the last value printed (pi's reading), or the
	                     * aggregate smp_metrics_aggregate() made */
	double *values;     /* every value of the name, in the order printed (owned) */
	size_t nvalues;
} smp_metric;

/* How several values of one name in one run become its value
 * (metric.aggregate): pi-autoresearch keeps the last. */
typedef enum { SMP_AGG_LAST, SMP_AGG_MEAN, SMP_AGG_MEDIAN } smp_aggregate;

typedef struct {
	smp_metric *items;
	size_t n;
	size_t cap;
	size_t malformed;            /* malformed METRIC lines seen */
	char first_problem[160];     /* what was wrong with the first one */
} smp_metrics;

#define SMP_METRICS_INIT { NULL, 0, 0, 0, "" }

/* Adds the METRIC lines of buf[0..len) to *m (a later value of the same
 * name replaces an earlier one as its value; every value is kept for
 * smp_metrics_aggregate). Returns 0, or BG_ENOMEM with *m unchanged beyond
 * the metrics already added. buf need not be NUL-terminated. */
int smp_metrics_parse(smp_metrics *m, const char *buf, size_t len);

/* Sets each metric's value to `how` of its values (the last, their mean,
 * their median). Returns 0 or BG_ENOMEM (the median sorts a copy). */
int smp_metrics_aggregate(smp_metrics *m, smp_aggregate how);

/* The value of `name`, or NULL. */
const smp_metric *smp_metrics_find(const smp_metrics *m, const char *name);

/* Whether name is a valid metric name (used to check --metric). */
int smp_metric_name_valid(const char *name);

/* Whether `metric` is one the runner measures itself: wall, cpu, user, sys,
 * maxrss, instructions, cycles (lower is better for each). */
int smp_metric_builtin(const char *metric);

/* Frees the items and resets *m. Accepts NULL. */
void smp_metrics_clear(smp_metrics *m);

/* A metric read from output that has no METRIC lines (karpathy's
 * autoresearch prints "val_bpb:          0.997900"): a POSIX extended
 * regular expression with exactly one group, matched line by line
 * (REG_NEWLINE: ^ and $ are a line's ends). */
typedef struct smp_metric_regex smp_metric_regex;

/* Compiles pattern for the metric `name` (a valid METRIC name, not a
 * built-in). BG_EINVAL naming the problem (regcomp's message, or the
 * number of groups), BG_ENOMEM. *out is the caller's, freed with
 * smp_metric_regex_free(). */
int smp_metric_regex_new(smp_metric_regex **out, const char *name, const char *pattern);
void smp_metric_regex_free(smp_metric_regex *re);

/* Sets re's metric in *m from the last line of buf (NUL-terminated, len
 * bytes) that re matches, its group read as a METRIC value is (blanks
 * around it allowed); a later call replaces the value of an earlier one. A
 * matching group that is not a finite number counts as a malformed line.
 * Returns 1 when a line matched, 0 when none did, BG_ENOMEM. */
int smp_metrics_parse_regex(smp_metrics *m, const smp_metric_regex *re, const char *buf, size_t len);

#endif
