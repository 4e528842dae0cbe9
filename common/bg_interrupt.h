/* bg_interrupt: SIGINT/SIGTERM as a flag every long operation checks.
 *
 * main installs the handlers once; the spawner kills a running child when
 * the flag goes up, and anything that waits (a lock, a round of runs) stops
 * with BG_EINTR, so an interrupted command leaves its state as it was. */
#ifndef BG_INTERRUPT_H
#define BG_INTERRUPT_H

/* Installs SIGINT/SIGTERM handlers that only set the flag; no SA_RESTART,
 * so a blocking call returns EINTR. Can't fail in practice: a failing
 * sigaction is reported on stderr and leaves the default action. */
void bg_interrupt_install(void);

/* Whether SIGINT or SIGTERM arrived since the start (or the last reset).
 * Async-signal-safe; can't fail. */
int bg_interrupt_requested(void);

/* Clears the flag; the handlers stay. For tests, which raise a signal and
 * go on (the product never lowers the flag). Can't fail. */
void bg_interrupt_reset(void);

#endif
