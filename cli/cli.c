/* cli: exit codes, the error line, values for people (see cli.h). */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include "bg_time.h"
#include "smp_metric.h"

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("benchgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_ERROR;
}

unsigned long long cli_seed(int given, unsigned long long seed)
{
	unsigned long long s = 0;

	if (given)
		return seed;
	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		s = (unsigned long long)(bg_time_now() * 1e9);
	return s & 0xffffffffffffULL;
}

int cli_metric_check(const cli_opt_help *help, const char *metric)
{
	if (smp_metric_builtin(metric) || smp_metric_name_valid(metric))
		return -1;
	fprintf(stderr, "benchgate: %s: --metric: \"%s\" is neither a built-in metric (wall, cpu, user, sys, maxrss, instructions, cycles) nor a valid METRIC name (letters, digits, '_', '.', 'µ')\n",
		help->cmd, metric);
	cli_opt_usage_fprint(stderr, help);
	return CLI_EXIT_ERROR;
}

static int is_time_metric(const char *m)
{
	return strcmp(m, "wall") == 0 || strcmp(m, "cpu") == 0 ||
	       strcmp(m, "user") == 0 || strcmp(m, "sys") == 0;
}

void cli_format_value(char *buf, size_t size, const char *metric, double v)
{
	double a = fabs(v);

	if (is_time_metric(metric)) {
		if (a >= 1.0)
			snprintf(buf, size, "%.3f s", v);
		else if (a >= 1e-3)
			snprintf(buf, size, "%.3f ms", v * 1e3);
		else if (a >= 1e-6)
			snprintf(buf, size, "%.1f µs", v * 1e6);
		else
			snprintf(buf, size, "%.0f ns", v * 1e9);
	} else if (strcmp(metric, "maxrss") == 0) {
		if (a >= 10240.0)
			snprintf(buf, size, "%.1f MiB", v / 1024.0);
		else
			snprintf(buf, size, "%.0f KiB", v);
	} else {
		snprintf(buf, size, "%.6g", v);
	}
}
