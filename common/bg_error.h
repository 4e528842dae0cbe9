/* bg_error: the one error slot every module reports through.
 *
 * A failing function returns a negative BG_E* code and sets a message once,
 * where the failure is understood; the caller reads it with bg_error_last().
 * This is one of the few pieces of process-wide state the house style allows. */
#ifndef BG_ERROR_H
#define BG_ERROR_H

enum {
	BG_OK = 0,
	BG_ENOMEM = -1,   /* allocation failed */
	BG_EINVAL = -2,   /* bad argument or input: the message names it */
	BG_ESYS = -3,     /* a system call failed: the message carries errno's text */
	BG_EPARSE = -4,   /* malformed text (JSON, numbers, logs) */
	BG_ECHILD = -5,   /* a measured command failed */
	BG_EINTR = -6,    /* interrupted by SIGINT/SIGTERM */
	BG_ENOTFOUND = -7,
	BG_EGIT = -8,
	BG_EDOMAIN = -9,  /* a statistic is undefined for this input (n too small, NaN...) */
	BG_EUNSUPPORTED = -10
};

/* Sets the message (printf-style) and returns `code`, so a failure reads
 * `return bg_error_set(BG_EINVAL, "...", ...);`. Can't fail: an over-long
 * message is truncated. */
int bg_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* bg_error_set(BG_ENOMEM, "out of memory"): the one message for an
 * allocation that failed where nothing more useful can be said. Returns
 * BG_ENOMEM. */
int bg_error_nomem(void);

/* The last message set; never NULL ("" when none). */
const char *bg_error_last(void);

/* The code passed to the last bg_error_set(), or BG_OK after bg_error_clear(). */
int bg_error_code(void);

void bg_error_clear(void);

#endif
