/* cli_commands: the subcommands, each `int cli_cmd_x(int argc, char **argv)`
 * returning an exit code; argv[0] is the subcommand's name. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

int cli_cmd_compare(int argc, char **argv);
int cli_cmd_gate(int argc, char **argv);
int cli_cmd_log(int argc, char **argv);
int cli_cmd_holdout(int argc, char **argv);
int cli_cmd_gc(int argc, char **argv);
int cli_cmd_loop(int argc, char **argv);
int cli_cmd_calibrate(int argc, char **argv);
int cli_cmd_audit(int argc, char **argv);
int cli_cmd_shield(int argc, char **argv);
int cli_cmd_init(int argc, char **argv);

#endif
