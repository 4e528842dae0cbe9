/* lp_cli: argument parsing, messages and progress shared by subcommands. */
#include "lp_cli.h"
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int lp_cli_double(double *out, const char *cmd, const char *opt,
		  const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "benchgate: %s: %s: expected a number in [%g, %g], got \"%s\"\n",
			cmd, opt, min, max, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int lp_cli_uint(unsigned *out, const char *cmd, const char *opt,
		const char *arg, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "benchgate: %s: %s: expected a whole number in [%u, %u], got \"%s\"\n",
			cmd, opt, min, max, arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int lp_cli_u64(unsigned long long *out, const char *cmd, const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (end == arg || *end != '\0' || errno == ERANGE || arg[0] == '-') {
		fprintf(stderr, "benchgate: %s: %s: expected a non-negative whole number, got \"%s\"\n",
			cmd, opt, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int lp_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "benchgate: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return CLI_EXIT_ERROR;
}
