/* cmd_log: `benchgate log` — the ledger of gate decisions, for people or as
 * JSON; --verify: is the state as benchgate left it, or what was changed;
 * --reanchor: accept a changed state (recorded). */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_repo.h"
#include "lp_integrity.h"
#include "state_ledger.h"
#include "lp_json.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "bg_progress.h"

#include <stdlib.h>
#include <string.h>

static const cli_opt_help log_help = {
	"log", "log [--json] [--verify | --reanchor]",
	"Lists the gate decisions recorded in .git/benchgate/ledger.jsonl of the\n"
	"repository in the current directory, oldest first.\n",
	"Exit status: 0 listed (or intact, or accepted), 1 the state was changed\noutside benchgate, 2 error.\n",
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
	if (strcmp(str(r, "kind", ""), "adopt") == 0) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "matched")))
			printf("%4.0f  %s  %-28s %.12s is the change gated as snapshot %.12s (record %.0f)  %s\n",
			       num(r, "seq"), str(r, "time", "?"), "KEEP (adopted)", str(r, "candidate", "?"),
			       str(r, "snapshot", "?"), num(r, "record"), str(r, "branch", "?"));
		else
			printf("%4.0f  %s  %-28s %.12s differs from the gated snapshot %.12s in %s  %s\n", num(r, "seq"),
			       str(r, "time", "?"), "NOT GATED", str(r, "candidate", "?"), str(r, "snapshot", "?"),
			       str(r, "differs", "?"), str(r, "branch", "?"));
		return;
	}
	if (strcmp(str(r, "kind", ""), "reanchor") == 0) {
		printf("%4.0f  %s  state accepted as found: %s\n", num(r, "seq"), str(r, "time", "?"),
		       str(r, "found", "?"));
		return;
	}
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(r, "training"), "aggregate");

	printf("%4.0f  %s  %-28s %.12s <- %.12s", num(r, "seq"), str(r, "time", "?"),
	       str(r, "decision", str(r, "verdict", "?")), str(r, "candidate", "?"), str(r, "baseline", "?"));
	if (agg && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(agg, "difference")))
		printf("  B - A %.4g", num(agg, "difference"));
	else if (agg)
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

/* --verify, and with reanchor --reanchor: accepts a state found changed. */
static int verify(lp_repo *repo, const state_store *st, state_ledger *l, int reanchor)
{
	size_t bad = 0;
	char *why = NULL;

	if (lp_integrity_check(&why, &bad, repo, st, l) < 0)
		return cli_error("log: %s", bg_error_last());
	if (why == NULL && reanchor) {
		printf("nothing to accept: the state is as benchgate left it (%s)\n", state_ledger_path(l));
		return CLI_EXIT_OK;
	}
	if (why == NULL) {
		printf("ledger intact: %zu record%s, every hash and MAC matches, the anchor and the refs "
		       "benchgate wrote too (%s)\n", state_ledger_count(l), state_ledger_count(l) == 1 ? "" : "s",
		       state_ledger_path(l));
		return CLI_EXIT_OK;
	}
	if (reanchor) {
		int error = lp_integrity_reanchor(repo, st, l, why);

		if (error == 0)
			printf("accepted as it is now: %s\n(recorded as ledger record %zu, kind \"reanchor\")\n",
			       why, state_ledger_count(l));
		free(why);
		return error < 0 ? cli_error("log: %s", bg_error_last()) : CLI_EXIT_OK;
	}
	if (bad)
		printf("ledger BROKEN at record %zu: %s\n", bad, why);
	else
		printf("state BROKEN: %s\n", why);
	printf("(if you made this change yourself: benchgate log --reanchor)\n");
	free(why);
	return CLI_EXIT_FAIL;
}

static int open_unkeyed(state_ledger **l, const state_store *st)
{
	char *path = NULL;
	int error;

	if ((error = state_path(&path, st, STATE_LEDGER)) == 0)
		error = state_ledger_open(l, path);
	free(path);
	return error;
}

int cli_cmd_log(int argc, char **argv)
{
	int json = 0, check = 0, reanchor = 0, next, rc;
	const cli_opt opts[] = {
		{ CLI_OPT_SWITCH, "json", 0, &json, NULL,
		  "the records as JSON: an object, its \"records\" array", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "verify", 0, &check, NULL,
		  "check the hash chain: every record carries the hash of\n"
		  "the one before it and a MAC under your key, and an anchor\n"
		  "outside the repository holds the last one and the refs\n"
		  "benchgate wrote: an edited, forged or deleted record, a\n"
		  "deleted rejected ref shows", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "reanchor", 0, &reanchor, NULL,
		  "accept a state --verify found changed, as it is now (say so\n"
		  "only when the change was yours): recorded in the ledger", 0, 0, NULL },
		CLI_END
	};
	state_ledger *l = NULL;
	lp_repo *repo = NULL;
	state_store *st = NULL;

	if ((rc = cli_opt_parse(&next, opts, &log_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&log_help, "unexpected argument \"%s\"", argv[next]);
	/* listing needs no key: only checking does */
	if (lp_workspace_open(&repo, &st, ".") < 0 ||
	    (check || reanchor ? state_ledger_load(&l, st) : open_unkeyed(&l, st)) < 0)
		rc = cli_error("log: %s", bg_error_last());
	else if (state_ledger_warning(l)[0])
		bg_warn(0, "%s", state_ledger_warning(l));
	if (l)
		rc = check || reanchor ? verify(repo, st, l, reanchor) : list(l, json);
	state_ledger_free(l);
	state_free(st);
	lp_repo_free(repo);
	return rc;
}
