/* lp_cli: what every subcommand shares: argument checks that name the
 * problem, usage errors (exit 2), warnings and progress on stderr. */
#ifndef LP_CLI_H
#define LP_CLI_H

#include <stdio.h>

#define LP_EXIT_OK 0
#define LP_EXIT_FAIL 1   /* REJECT / audit failed / --fail-on met */
#define LP_EXIT_ERROR 2  /* usage, config, system or git error */

/* Parses a finite number for option `opt` within [min, max]. On failure
 * prints "benchgate: CMD: OPT: expected ..., got "ARG"" and returns -1. */
int lp_cli_double(double *out, const char *cmd, const char *opt,
		  const char *arg, double min, double max);
/* Same for a non-negative integer within [min, max]. */
int lp_cli_uint(unsigned *out, const char *cmd, const char *opt,
		const char *arg, unsigned min, unsigned max);
/* Same for a 64-bit unsigned (seeds). */
int lp_cli_u64(unsigned long long *out, const char *cmd, const char *opt,
	       const char *arg);

/* Prints "benchgate: CMD: <message>" and the usage to stderr; returns
 * LP_EXIT_ERROR for `return lp_cli_usage_error(...)`. */
int lp_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints "benchgate: <message>" to stderr (an error); returns LP_EXIT_ERROR. */
int lp_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "benchgate: warning: <message>" to stderr unless quiet. */
void lp_cli_warn(int quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A progress line on stderr that rewrites itself; shown only when stderr is
 * a terminal and not quiet, at most every 100 ms. */
typedef struct {
	int enabled;
	double last;
	int shown;
} lp_progress;

void lp_progress_init(lp_progress *p, int quiet);
void lp_progress_update(lp_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Erases the progress line if one is shown. */
void lp_progress_done(lp_progress *p);

/* Seconds on CLOCK_MONOTONIC. */
double lp_now(void);

/* Formats a value of `metric` for people: times with a unit (ns, µs, ms, s),
 * maxrss in KiB/MiB, counts and custom metrics as numbers. */
void lp_format_value(char *buf, size_t size, const char *metric, double v);

#endif
