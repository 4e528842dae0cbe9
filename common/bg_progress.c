/* bg_progress: warnings and the progress line on stderr (see bg_progress.h). */
#include "bg_progress.h"
#include "bg_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static void say(int quiet, const char *prefix, const char *fmt, va_list ap)
{
	if (quiet)
		return;
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void bg_warn(int quiet, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(quiet, "benchgate: warning: ", fmt, ap);
	va_end(ap);
}

void bg_note(int quiet, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(quiet, "benchgate: ", fmt, ap);
	va_end(ap);
}

void bg_progress_init(bg_progress *p, int quiet)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->last = 0.0;
	p->shown = 0;
}

void bg_progress_update(bg_progress *p, const char *fmt, ...)
{
	va_list ap;
	double now;

	if (!p->enabled || (now = bg_time_now()) - p->last < 0.1)
		return;
	p->last = now;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	p->shown = 1;
}

void bg_progress_done(bg_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
