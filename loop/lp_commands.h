/* lp_commands: the subcommands, each `int lp_cmd_x(int argc, char **argv)`
 * returning an exit code; argv[0] is the subcommand's name. */
#ifndef LP_COMMANDS_H
#define LP_COMMANDS_H

int lp_cmd_compare(int argc, char **argv);
int lp_cmd_gate(int argc, char **argv);
int lp_cmd_log(int argc, char **argv);
int lp_cmd_holdout(int argc, char **argv);
int lp_cmd_loop(int argc, char **argv);
int lp_cmd_calibrate(int argc, char **argv);
int lp_cmd_audit(int argc, char **argv);

#endif
