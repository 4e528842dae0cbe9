/* bg_progress: what a long command tells the person watching while it
 * works, on stderr: warnings, and a progress line that rewrites itself. */
#ifndef BG_PROGRESS_H
#define BG_PROGRESS_H

/* Prints "benchgate: warning: <message>" to stderr unless quiet. */
void bg_warn(int quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "benchgate: <message>" to stderr unless quiet: what a command
 * does, for the person watching (not a warning). */
void bg_note(int quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A progress line on stderr, unless quiet. On a terminal it rewrites
 * itself at most every 100 ms; elsewhere (a CI log, a file) it is printed
 * as a line of its own at most every 10 s, so a long run is never silent. */
typedef struct {
	int enabled, tty;
	double last;
	int shown;
} bg_progress;

void bg_progress_init(bg_progress *p, int quiet);
void bg_progress_update(bg_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Erases the progress line if one is shown. */
void bg_progress_done(bg_progress *p);

#endif
