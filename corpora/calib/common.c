/* cal: command line, work knob and output shared by the calibration
 * workloads. See common.h for the contract; the workloads themselves are the
 * bg-*.c files next to this one. */
#include "common.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound on units: far beyond any sensible run, and well inside both
 * uint64_t and the 53-bit-exact range where the rounding below is honest
 * about which integer it picked. */
#define CAL_UNITS_MAX ((double)(UINT64_C(1) << 62))

int cal_error_set(cal_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	return -1;
}

int cal_units_compute(uint64_t *out_units, uint64_t base, double scale, double pct)
{
	/* Multiply by (100 + pct) and divide by 100 rather than multiply by
	 * (1 + pct / 100): for whole percentages and a base that is a multiple
	 * of 100 every step is exact, so -x 10 gives exactly 1.1 times the
	 * units, not one more or less from a rounding error. */
	double units = (double)base * scale * (100.0 + pct) / 100.0;

	if (!(units >= 0.0) || units > CAL_UNITS_MAX)
		return -1;
	*out_units = (uint64_t)llround(units);
	return 0;
}

/* Parses a non-negative decimal number: digits, '.', an exponent. Rejects
 * what strtod would also take but nobody means here: signs, spaces, hex,
 * "inf", "nan". Returns 0 and writes *out, or -1. */
static int cal_number_parse(double *out, const char *text)
{
	char *end;
	double v;

	if (text[0] == '\0' || strspn(text, "0123456789.eE+-") != strlen(text))
		return -1;
	if (!(text[0] >= '0' && text[0] <= '9') && text[0] != '.')
		return -1;
	v = strtod(text, &end);
	if (*end != '\0' || !isfinite(v) || v < 0.0)
		return -1;
	*out = v;
	return 0;
}

static void cal_usage_print(const cal_workload *w, FILE *f)
{
	fprintf(f,
		"usage: %s [-x PCT] [-s SCALE]\n"
		"\n"
		"A calibration workload for benchgate.\n"
		"  stresses  %s\n"
		"  one unit  %s\n"
		"  default   %" PRIu64 " units, about 20 ms on the machine it was tuned on\n"
		"\n"
		"Options:\n"
		"  -x, --extra PCT    do PCT percent more units (default 0; 10 means\n"
		"                     exactly 1.1 times the trips through the same loop)\n"
		"  -s, --scale SCALE  multiply the base number of units (default 1;\n"
		"                     0 runs only the fixed set-up)\n"
		"  -h, --help         print this help and exit\n"
		"\n"
		"Units = round(%" PRIu64 " * SCALE * (1 + PCT/100)). Prints to stdout:\n"
		"  checksum=<hex>          depends on every unit, so none can be skipped\n"
		"  METRIC work_units=<N>   the units actually done\n"
		"\n"
		"Exit status: 0 ok, 1 the run failed, 2 usage error.\n",
		w->name, w->stresses, w->unit, w->base_units, w->base_units);
}

/* Reports a bad value for an option to stderr. opt is the option as the
 * user spelled it ("--extra", "-x"); got is NULL when the value is missing. */
static void cal_value_complain(const cal_workload *w, const char *opt, const char *got)
{
	if (got != NULL)
		fprintf(stderr, "%s: %s: expected a non-negative number, got \"%s\"\n",
			w->name, opt, got);
	else
		fprintf(stderr, "%s: %s: expected a non-negative number, got nothing\n",
			w->name, opt);
}

int cal_main(const cal_workload *w, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "extra", required_argument, NULL, 'x' },
		{ "scale", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double pct = 0.0, scale = 1.0;
	uint64_t units, checksum;
	cal_ctx ctx = { .err = "" };
	int c, longidx = -1;  /* getopt_long sets it only for long options */

	opterr = 0;  /* our messages carry the workload's name, not argv[0] */
	while ((c = getopt_long(argc, argv, ":hx:s:", longopts, &longidx)) != -1) {
		/* The word getopt_long last consumed: the option itself, except
		 * after "--extra 5" or "-x 5", where it is the value. */
		const char *word = argv[optind - 1];
		int word_is_long = strncmp(word, "--", 2) == 0;
		char shortname[3] = { '-', (char)(c == ':' || c == '?' ? optopt : c), '\0' };

		switch (c) {
		case 'h':
			cal_usage_print(w, stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'x':
		case 's':
			if (cal_number_parse(c == 'x' ? &pct : &scale, optarg) < 0) {
				if (longidx >= 0) {
					char longname[32];

					snprintf(longname, sizeof(longname), "--%s", longopts[longidx].name);
					cal_value_complain(w, longname, optarg);
				} else {
					cal_value_complain(w, shortname, optarg);
				}
				return 2;
			}
			break;
		case ':':
			cal_value_complain(w, word_is_long ? word : shortname, NULL);
			return 2;
		default:
			if (word_is_long && optopt != 0)  /* "--help=3" */
				fprintf(stderr, "%s: %.*s takes no value; see \"%s --help\"\n",
					w->name, (int)strcspn(word, "="), word, w->name);
			else if (word_is_long)
				fprintf(stderr, "%s: unknown option \"%.*s\"; see \"%s --help\"\n",
					w->name, (int)strcspn(word, "="), word, w->name);
			else
				fprintf(stderr, "%s: unknown option \"%s\"; see \"%s --help\"\n",
					w->name, shortname, w->name);
			return 2;
		}
		longidx = -1;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"; see \"%s --help\"\n",
			w->name, argv[optind], w->name);
		return 2;
	}
	if (cal_units_compute(&units, w->base_units, scale, pct) < 0) {
		fprintf(stderr, "%s: -s %g -x %g asks for more than 2^62 units; use smaller values\n",
			w->name, scale, pct);
		return 2;
	}

	if (w->run(&ctx, units, &checksum) < 0) {
		fprintf(stderr, "%s: %s\n", w->name, ctx.err);
		return 1;
	}
	printf("checksum=%016" PRIx64 "\n", checksum);
	printf("METRIC work_units=%" PRIu64 "\n", units);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write results to stdout\n", w->name);
		return 1;
	}
	return 0;
}
