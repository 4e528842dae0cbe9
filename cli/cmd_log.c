/* cmd_log: `benchgate log` — the ledger of gate decisions, for people or as
 * JSON, and --verify: is the hash chain intact, or where was it edited. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_repo.h"
#include "state_ledger.h"
#include "lp_json.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "bg_progress.h"

#include <stdlib.h>
#include <string.h>

static const cli_opt_help log_help = {
	"log", "log [--json] [--verify]",
	"Lists the gate decisions recorded in .git/benchgate/ledger.jsonl of the\n"
	"repository in the current directory, oldest first.\n",
	"Exit status: 0 listed (or intact), 1 the chain is broken, 2 error.\n",
	NULL
};

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
			return cli_error("log: out of memory");
		puts(text);
		free(text);
		return CLI_EXIT_OK;
	}
	if (n == 0)
		printf("no decisions recorded yet (%s)\n", state_ledger_path(l));
	for (size_t i = 0; i < n; i++)
		print_line(state_ledger_record(l, i));
	return CLI_EXIT_OK;
}

static int verify(const state_ledger *l)
{
	size_t bad = 0;
	char *why = NULL;

	if (state_ledger_verify(l, &bad, &why) < 0)
		return cli_error("log: %s", bg_error_last());
	if (bad == 0) {
		printf("ledger intact: %zu record%s, every hash matches (%s)\n", state_ledger_count(l),
		       state_ledger_count(l) == 1 ? "" : "s", state_ledger_path(l));
		return CLI_EXIT_OK;
	}
	printf("ledger BROKEN at record %zu: %s\n", bad, why ? why : "");
	free(why);
	return CLI_EXIT_FAIL;
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

int cli_cmd_log(int argc, char **argv)
{
	int json = 0, check = 0, next, rc;
	const cli_opt opts[] = {
		{ CLI_OPT_SWITCH, "json", 0, &json, NULL, "the records as a JSON array", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "verify", 0, &check, NULL,
		  "check the hash chain: every record carries the hash of\n"
		  "the one before it, so an edited or deleted record shows", 0, 0, NULL },
		CLI_END
	};
	state_ledger *l = NULL;

	if ((rc = cli_opt_parse(&next, opts, &log_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&log_help, "unexpected argument \"%s\"", argv[next]);
	if (open_ledger(&l) < 0)
		return cli_error("log: %s", bg_error_last());
	if (state_ledger_warning(l)[0])
		bg_warn(0, "%s", state_ledger_warning(l));
	rc = check ? verify(l) : list(l, json);
	state_ledger_free(l);
	return rc;
}
