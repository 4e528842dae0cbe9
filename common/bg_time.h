/* bg_time: the two clocks benchgate reads — a monotonic one for durations
 * and budgets, and UTC wall time for the records people and tools read. */
#ifndef BG_TIME_H
#define BG_TIME_H

#include <stddef.h>

/* The size of a buffer that holds bg_time_utc's text. */
#define BG_TIME_UTC_SIZE 32

/* Seconds on CLOCK_MONOTONIC (for differences only). */
double bg_time_now(void);

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" in buf (size >= 21;
 * BG_TIME_UTC_SIZE is enough); when the clock cannot be formatted, the
 * seconds since the epoch as a number. Can't fail. */
void bg_time_utc(char *buf, size_t size);

#endif
