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

#define LOG_INTERVAL_S 10.0

void bg_progress_init(bg_progress *p, int quiet)
{
	p->enabled = !quiet;
	p->tty = isatty(STDERR_FILENO);
	p->last = p->tty ? 0.0 : bg_time_now();   /* a log's first line after 10 s */
	p->shown = 0;
}

void bg_progress_update(bg_progress *p, const char *fmt, ...)
{
	va_list ap;
	double now;

	if (!p->enabled || (now = bg_time_now()) - p->last < (p->tty ? 0.1 : LOG_INTERVAL_S))
		return;
	p->last = now;
	if (p->tty)
		fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!p->tty)
		fputc('\n', stderr);
	fflush(stderr);
	p->shown = p->tty;
}

void bg_progress_done(bg_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
