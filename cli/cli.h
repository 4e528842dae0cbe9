/* cli: what every command of the command line shares — the exit codes, the
 * error line, and values written for people. */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>

#include "cli_opt.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1   /* REJECT / audit failed / --fail-on met / chain broken */
#define CLI_EXIT_ERROR 2  /* usage, config, system or git error */

/* Prints "benchgate: <message>" to stderr (an error); returns CLI_EXIT_ERROR
 * for `return cli_error(...)`. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The seed of a command's shuffles: seed when the user gave one, else a
 * random one of 48 bits (short enough to retype from the output). */
unsigned long long cli_seed(int given, unsigned long long seed);

/* Checks a --metric value: a built-in metric or a valid METRIC name
 * (smp_metric.h). Returns -1 when it is one, else prints what is wrong
 * with the command's short usage and returns CLI_EXIT_ERROR. */
int cli_metric_check(const cli_opt_help *help, const char *metric);

/* Formats a value of `metric` for people: times with a unit (ns, µs, ms, s),
 * maxrss in KiB/MiB, counts and custom metrics as numbers. */
void cli_format_value(char *buf, size_t size, const char *metric, double v);

#endif
