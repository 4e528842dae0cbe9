/* lp_calibrate: `benchgate calibrate` (placeholder until it is built). */
#include "lp_cli.h"
#include "lp_commands.h"

int lp_cmd_calibrate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return lp_cli_error("calibrate: not built yet");
}
