/* bg_error: the process-wide error slot (see bg_error.h). */
#include "bg_error.h"

#include <stdarg.h>
#include <stdio.h>

static char slot[2048];
static int slot_code;

int bg_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(slot, sizeof(slot), fmt, ap);
	va_end(ap);
	slot_code = code;
	return code;
}

const char *bg_error_last(void)
{
	return slot;
}

int bg_error_code(void)
{
	return slot_code;
}

void bg_error_clear(void)
{
	slot[0] = '\0';
	slot_code = BG_OK;
}

const char *bg_error_name(int code)
{
	switch (code) {
	case BG_OK: return "ok";
	case BG_ENOMEM: return "out of memory";
	case BG_EINVAL: return "invalid argument";
	case BG_ESYS: return "system error";
	case BG_EPARSE: return "parse error";
	case BG_ECHILD: return "command failed";
	case BG_EINTR: return "interrupted";
	case BG_ENOTFOUND: return "not found";
	case BG_EGIT: return "git error";
	case BG_EDOMAIN: return "undefined for this input";
	case BG_EUNSUPPORTED: return "unsupported";
	default: return "unknown error";
	}
}
