/* lp_log: `benchgate log` — the ledger of gate decisions, for people or as
 * JSON, and --verify: is the hash chain intact, or where was it edited. */
#include "lp_cli.h"
#include "lp_commands.h"
#include "lp_git.h"
#include "state_ledger.h"
#include "lp_report.h"
#include "lp_workspace.h"
#include "bg_error.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: benchgate log [--json] [--verify]\n"
	"try 'benchgate log --help' for more\n";

static const char help[] =
	"usage: benchgate log [--json] [--verify]\n"
	"\n"
	"Lists the gate decisions recorded in .git/benchgate/ledger.jsonl of the\n"
	"repository in the current directory, oldest first.\n"
	"\n"
	"      --json     the records as a JSON array\n"
	"      --verify   check the hash chain: every record carries the hash of\n"
	"                 the one before it, so an edited or deleted record shows\n"
	"  -h, --help     this help\n"
	"\n"
	"Exit status: 0 listed (or intact), 1 the chain is broken, 2 error.\n";

static const char *str(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

static void print_line(const cJSON *r)
{
	if (strcmp(str(r, "kind", ""), "loop") == 0) {
		printf("%4.0f  %s  loop iteration %.0f: %s\n", num(r, "seq"), str(r, "time", "?"),
		       num(r, "iteration"), str(r, "event", "?"));
		return;
	}
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r, "training"), "aggregate");

	printf("%4.0f  %s  %-28s %.12s <- %.12s", num(r, "seq"), str(r, "time", "?"),
	       str(r, "decision", str(r, "verdict", "?")), str(r, "candidate", "?"), str(r, "baseline", "?"));
	if (agg)
		printf("  B/A %.4f", num(agg, "ratio"));
	if (num(r, "level") >= 0)
		printf("  level %.3g", num(r, "level"));
	printf("  %s\n", str(r, "branch", "(detached)"));
}

static int list(const state_ledger *l, int json)
{
	size_t n = state_ledger_count(l);

	if (json) {
		cJSON *doc = lp_json_doc_new(), *arr = cJSON_AddArrayToObject(doc, "records");
		char *text;
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(state_ledger_record(l, i), 1));
		text = cJSON_Print(doc);
		cJSON_Delete(doc);
		if (text == NULL)
			return lp_cli_error("log: out of memory");
		puts(text);
		free(text);
		return LP_EXIT_OK;
	}
	if (n == 0)
		printf("no decisions recorded yet (%s)\n", state_ledger_path(l));
	for (size_t i = 0; i < n; i++)
		print_line(state_ledger_record(l, i));
	return LP_EXIT_OK;
}

static int verify(const state_ledger *l)
{
	size_t bad = 0;
	char *why = NULL;

	if (state_ledger_verify(l, &bad, &why) < 0)
		return lp_cli_error("log: %s", bg_error_last());
	if (bad == 0) {
		printf("ledger intact: %zu record%s, every hash matches (%s)\n", state_ledger_count(l),
		       state_ledger_count(l) == 1 ? "" : "s", state_ledger_path(l));
		return LP_EXIT_OK;
	}
	printf("ledger BROKEN at record %zu: %s\n", bad, why ? why : "");
	free(why);
	return LP_EXIT_FAIL;
}

static int open_ledger(state_ledger **out)
{
	lp_repo *repo = NULL;
	state_store *st = NULL;
	int error;

	if ((error = lp_workspace_open(&repo, &st, ".")) == 0)
		error = state_ledger_load(out, st);
	state_free(st);
	lp_repo_free(repo);
	return error;
}

int lp_cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	state_ledger *l = NULL;
	int c, json = 0, check = 0, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return fputs(help, stdout), LP_EXIT_OK;
		if (c == 'j')
			json = 1;
		else if (c == 'v')
			check = 1;
		else
			return lp_cli_usage_error("log", usage, "unknown option \"%s\"", argv[optind - 1]);
	}
	if (optind < argc)
		return lp_cli_usage_error("log", usage, "unexpected argument \"%s\"", argv[optind]);
	if (open_ledger(&l) < 0)
		return lp_cli_error("log: %s", bg_error_last());
	if (state_ledger_warning(l)[0])
		lp_cli_warn(0, "%s", state_ledger_warning(l));
	rc = check ? verify(l) : list(l, json);
	state_ledger_free(l);
	return rc;
}
