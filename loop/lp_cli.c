/* lp_cli: argument parsing, messages and progress shared by subcommands. */
#include "lp_cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double lp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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
	return LP_EXIT_ERROR;
}

int lp_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("benchgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return LP_EXIT_ERROR;
}

void lp_cli_warn(int quiet, const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	fputs("benchgate: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void lp_progress_init(lp_progress *p, int quiet)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->last = 0.0;
	p->shown = 0;
}

void lp_progress_update(lp_progress *p, const char *fmt, ...)
{
	va_list ap;
	double now;

	if (!p->enabled || (now = lp_now()) - p->last < 0.1)
		return;
	p->last = now;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	p->shown = 1;
}

void lp_progress_done(lp_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

static int is_time_metric(const char *m)
{
	return strcmp(m, "wall") == 0 || strcmp(m, "cpu") == 0 ||
	       strcmp(m, "user") == 0 || strcmp(m, "sys") == 0;
}

void lp_format_value(char *buf, size_t size, const char *metric, double v)
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
