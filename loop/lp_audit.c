/* lp_audit: `benchgate audit` (placeholder until it is built). */
#include "lp_cli.h"
#include "lp_commands.h"

int lp_cmd_audit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return lp_cli_error("audit: not built yet");
}
