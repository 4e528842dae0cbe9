/* cmd_init: `benchgate init` — a starting benchgate.json for the repository
 * in the current directory, and the gate added to a pi-autoresearch loop
 * (the work is loop/lp_init.c; this prints it). */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_init.h"
#include "smp_shell.h"
#include "bg_error.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt_help init_help = {
	"init", "init [--force] [--dry-run]",
	"Writes a starting benchgate.json at the root of the repository in the\n"
	"current directory and prints it, with what it was taken from, what is\n"
	"left for you to fill in or check, and the commands to run next.\n"
	"\n"
	"With a pi-autoresearch session (.auto/, or the older autoresearch.sh,\n"
	"autoresearch.jsonl, autoresearch.checks.sh) the measure script is the\n"
	"workload, the metric's name and direction come from the session log's\n"
	"config line, the measure, checks and pi config files and the benchmark\n"
	"inputs the measure script names are protected, and\n"
	"`benchgate gate --worktree` is added to the checks script (made when\n"
	"missing), keeping what you had there: pi then keeps a change only when\n"
	"it beats HEAD beyond noise. Without one, the build and test commands\n"
	"come from the Makefile, package.json, Cargo.toml, go.mod, CMakeLists.txt,\n"
	"meson.build or pytest setup it finds, and the workload is yours to write.\n"
	"\n"
	"An existing benchgate.json is never overwritten without --force; a\n"
	"checks script that runs `benchgate gate` already is left alone. The\n"
	"configuration is validated before anything is written.\n",
	"Exit status: 0 written (or, with --dry-run, would be), 2 error.\n",
	NULL
};

/* How the checks script should call benchgate: its name when that is the
 * benchgate on PATH, else this binary's path, quoted. */
static char *self_word(void)
{
	char self[PATH_MAX], found[PATH_MAX];
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;

	if (realpath("/proc/self/exe", self) == NULL)
		return strdup("benchgate");
	if (path && (dirs = strdup(path)) != NULL) {
		for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char cand[PATH_MAX];

			if (snprintf(cand, sizeof(cand), "%s/benchgate", d) < (int)sizeof(cand) &&
			    realpath(cand, found) != NULL) {
				free(dirs);
				return strcmp(found, self) == 0 ? strdup("benchgate") : smp_shell_quote(self);
			}
		}
		free(dirs);
	}
	return smp_shell_quote(self);
}

static void print_list(const char *title, const bg_strv *s, const char *bullet)
{
	if (s->n == 0)
		return;
	printf("\n%s:\n", title);
	for (size_t i = 0; i < s->n; i++)
		printf("  %s%s\n", bullet, s->v[i]);
}

static void print_indented(const char *text)
{
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");

		printf("  %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
}

static void print_result(const lp_init_result *r, int dry_run)
{
	const char *verb = dry_run ? "would write" : "wrote";

	printf("benchgate init: %s %sbenchgate.json%s\n", verb, r->root,
	       r->layout ? ", for the pi-autoresearch loop" : "");
	print_list("found", &r->found, "");
	printf("\nbenchgate.json:\n");
	print_indented(r->config_text);
	if (r->checks) {
		printf("\n%s (%s):\n", r->checks,
		       r->checks_made ? (dry_run ? "would be made" : "made") : (dry_run ? "the gate would be added"
											: "the gate added"));
		print_indented(r->checks_text);
	}
	print_list("to do", &r->todo, "- ");
	print_list("next", &r->next, "$ ");
}

int cli_cmd_init(int argc, char **argv)
{
	lp_init_opts o = LP_INIT_OPTS_INIT;
	lp_init_result r;
	char *word;
	int next, rc, error;
	const cli_opt opts[] = {
		{ CLI_OPT_SWITCH, "force", 0, &o.force, NULL, "overwrite an existing benchgate.json", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "dry-run", 'n', &o.dry_run, NULL, "print what would be written; write nothing", 0, 0,
		  NULL },
		CLI_END
	};

	if ((rc = cli_opt_parse(&next, opts, &init_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&init_help, "unexpected argument \"%s\"", argv[next]);
	if ((word = self_word()) == NULL)
		return cli_error("init: out of memory");
	o.benchgate = word;
	error = lp_init_run(&r, ".", &o);
	free(word);
	if (error < 0)
		return cli_error("init: %s", bg_error_last());
	print_result(&r, o.dry_run);
	lp_init_result_clear(&r);
	return CLI_EXIT_OK;
}
