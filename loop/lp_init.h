/* lp_init: a starting benchgate.json for a repository, and the gate added
 * to a pi-autoresearch loop.
 *
 * With a pi-autoresearch session (the `.auto/` layout, or the older flat
 * `autoresearch.*` files, chosen as pi chooses them) the measure script is
 * the workload, the metric's name and direction come from the last config
 * line of the session log (else the first METRIC name the measure script
 * prints), the measure, checks and pi config files are protected, and
 * `benchgate gate --worktree` is added to the checks script, the only hook
 * pi runs before it keeps a change. Without one, the build, test and
 * benchmark commands come from what the repository shows (Makefile,
 * package.json, Cargo.toml, go.mod, CMakeLists.txt, meson.build, Python
 * test setups), and the result says what is left to fill in. Either way
 * the configuration written is one lp_config_parse() accepts. */
#ifndef LP_INIT_H
#define LP_INIT_H

#include "bg_strv.h"

typedef struct {
	int force;              /* overwrite an existing benchgate.json */
	int dry_run;            /* write nothing; say what would be written */
	const char *benchgate;  /* how the checks script calls benchgate (a
	                         * shell word: "benchgate", or a quoted path) */
} lp_init_opts;

#define LP_INIT_OPTS_INIT { 0, 0, "benchgate" }

typedef struct {
	char *root;             /* the repository's working directory */
	char *config_text;      /* the benchgate.json written (or to write) */
	const char *layout;     /* ".auto/", "autoresearch.* (older layout)" or
	                         * NULL: no pi-autoresearch session */
	char *checks;           /* the checks script changed or made, relative
	                         * (NULL: none touched) */
	char *checks_text;      /* its new text */
	int checks_made;        /* 1 made anew, 0 the gate added to the user's */
	bg_strv found;          /* what was taken from where, one line each */
	bg_strv todo;           /* what the user must do or check, one line each */
	bg_strv next;           /* the commands to run next */
} lp_init_result;

/* Writes benchgate.json at the root of the repository holding `dir` (and
 * edits or makes the pi checks script), unless opts->dry_run. *out is
 * filled on success only; clear it with lp_init_result_clear. BG_EINVAL
 * when benchgate.json exists and opts->force is not set (nothing
 * written), or a pi session lacks its measure script; BG_EGIT outside a
 * repository; BG_ESYS, BG_ENOMEM. Nothing is written when any check
 * fails: the config is validated before the first file is touched. */
int lp_init_run(lp_init_result *out, const char *dir, const lp_init_opts *opts);

/* Frees what r holds; r may be zeroed or NULL. */
void lp_init_result_clear(lp_init_result *r);

#endif
