/* lp_cli: what every subcommand shares: argument checks that name the
 * problem, usage errors (exit 2), warnings and progress on stderr. */
#ifndef LP_CLI_H
#define LP_CLI_H

#include <stdio.h>
#include "bg_progress.h"
#include "bg_time.h"
#include "cli.h"

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
 * CLI_EXIT_ERROR for `return lp_cli_usage_error(...)`. */
int lp_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
