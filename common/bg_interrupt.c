/* bg_interrupt: the interrupt flag (see bg_interrupt.h). */
#include "bg_interrupt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t interrupt_flag;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupt_flag = 1;
}

void bg_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		fprintf(stderr, "benchgate: sigaction: %s\n", strerror(errno));
}

int bg_interrupt_requested(void)
{
	return interrupt_flag != 0;
}

void bg_interrupt_reset(void)
{
	interrupt_flag = 0;
}
