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

int bg_error_nomem(void)
{
	return bg_error_set(BG_ENOMEM, "out of memory");
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
