/* lp_loop: `benchgate loop --agent CMD` — drive an agent through repeated
 * gate decisions (see lp_loop.h; options and the table: cli/cmd_loop.c).
 * Each iteration: write the last verdict (never held-out
 * numbers) to a small JSON file, run CMD with that file's path as its last
 * argument, and when it left a new commit (or, with --worktree, uncommitted
 * changes) gate it with --apply in a child `benchgate gate`. An agent that
 * fails, times out or changes nothing is recorded in the ledger (kind
 * "loop") and the loop goes on; three such in a row end it. */
#include "lp_loop.h"
#include "bg_time.h"
#include "lp_repo.h"
#include "state_ledger.h"
#include "lp_json.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "bg_interrupt.h"
#include "bg_file.h"
#include "smp_shell.h"
#include "lp_config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The feedback file: the last verdict and its reasons, nothing numeric
 * about the holdout (the gate's JSON has only pass/fail for it). */
static int write_feedback(lp_loop_run *L, unsigned iteration)
{
	cJSON *doc = lp_json_doc_new();
	char *text;
	int error;

	cJSON_AddNumberToObject(doc, "iteration", iteration);
	cJSON_AddItemToObject(doc, "last", L->last ? cJSON_Duplicate(L->last, 1) : cJSON_CreateNull());
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		return bg_error_nomem();
	error = bg_file_write_atomic(L->feedback, text);
	free(text);
	return error;
}

static cJSON *pick(const cJSON *gate, const char *const *keys)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; keys[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(gate, keys[i]);
		if (v)
			cJSON_AddItemToObject(o, keys[i], cJSON_Duplicate(v, 1));
	}
	return o;
}

/* Records an iteration that did not reach the gate. */
static int record_idle(lp_loop_run *L, unsigned iteration, const char *event, const char *detail)
{
	state_ledger *l = NULL;
	cJSON *r;
	int error;

	if ((error = state_ledger_load(&l, L->state)) == 0) {
		char now[32];

		bg_time_utc(now, sizeof(now));
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "kind", "loop");
		cJSON_AddStringToObject(r, "time", now);
		cJSON_AddNumberToObject(r, "iteration", iteration);
		cJSON_AddStringToObject(r, "event", event);
		cJSON_AddStringToObject(r, "detail", detail ? detail : "");
		error = state_ledger_append(l, r, NULL);
	}
	state_ledger_free(l);
	L->idle++;
	return error;
}

static int add_row(lp_loop_run *L, const char *decision, const cJSON *gate, double seconds)
{
	lp_loop_row *rows = realloc(L->rows, (L->nrows + 1) * sizeof(*rows));
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(gate, "training"), "aggregate");
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(agg, "ci");
	const cJSON *cand = cJSON_GetObjectItemCaseSensitive(gate, "candidate");
	lp_loop_row *r;

	if (rows == NULL)
		return bg_error_nomem();
	L->rows = rows;
	r = &rows[L->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->decision, sizeof(r->decision), "%s", decision);
	snprintf(r->candidate, sizeof(r->candidate), "%.12s", cJSON_IsString(cand) ? cand->valuestring : "-");
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(agg, "ratio");

		if (!cJSON_IsNumber(v))   /* a difference effect */
			v = cJSON_GetObjectItemCaseSensitive(agg, "difference");
		r->ratio = cJSON_IsNumber(v) ? v->valuedouble : 0.0;
	}
	/* null bounds are an unbounded interval */
	r->lo = cJSON_IsNumber(cJSON_GetArrayItem(ci, 0)) ? cJSON_GetArrayItem(ci, 0)->valuedouble : 0.0;
	r->hi = cJSON_IsNumber(cJSON_GetArrayItem(ci, 1)) ? cJSON_GetArrayItem(ci, 1)->valuedouble : INFINITY;
	r->seconds = seconds;
	return 0;
}

/* Runs the agent; *progress is 1 when it left something to gate. */
static int run_agent(int *progress, lp_loop_run *L, unsigned iteration)
{
	char before[41], after[41], *cmd = NULL, *q = smp_shell_quote(L->feedback);
	lp_workspace_isolation iso;
	const smp_sandbox *sb;
	lp_config *cfg = NULL;
	smp_shell_result r;
	int dirty = 0, error;

	*progress = 0;
	if (q == NULL || asprintf(&cmd, "%s %s", L->o->agent, q) < 0) {
		free(q);
		return bg_error_nomem();
	}
	free(q);
	if ((error = lp_repo_resolve(before, L->repo, "HEAD")) < 0 ||
	    (error = lp_workspace_agent_sandbox(&sb, &iso, &cfg, L->repo, L->state)) < 0 ||
	    (error = smp_shell_run(&r, cmd, lp_repo_workdir(L->repo), L->o->agent_timeout, sb)) < 0) {
		lp_config_free(cfg);
		free(cmd);
		return error;
	}
	lp_config_free(cfg);
	free(cmd);
	if (r.timed_out)
		error = record_idle(L, iteration, "agent_timed_out", r.tail);
	else if (!r.passed)
		error = record_idle(L, iteration, "agent_failed", r.tail);
	else if ((error = lp_repo_resolve(after, L->repo, "HEAD")) == 0 &&
		 (!L->o->worktree || (error = lp_repo_is_dirty(&dirty, L->repo)) == 0)) {
		*progress = L->o->worktree ? dirty : strcmp(before, after) != 0;
		if (!*progress)
			error = record_idle(L, iteration, "agent_no_change", r.tail);
	}
	if (!L->o->quiet && !*progress && error == 0)
		fprintf(stderr, "benchgate: loop: iteration %u: the agent %s\n", iteration,
			r.timed_out ? "timed out" : !r.passed ? "failed" : "changed nothing");
	smp_shell_result_clear(&r);
	return error;
}

/* `benchgate gate --apply --json` in a child; its verdict becomes the
 * agent's next feedback. A gate error (exit 2) ends the loop. */
static int run_gate(lp_loop_run *L, unsigned iteration)
{
	static const char *const keys[] = { "verdict", "decision", "reasons", "detail", "candidate",
					    "baseline", "tested", "guards", NULL };
	smp_spawn_opts so = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	char *cmd = NULL, *qd = smp_shell_quote(lp_repo_workdir(L->repo)), *qe = smp_shell_quote(L->exe);
	char max_time[48] = "";
	double t0 = bg_time_now();
	cJSON *gate = NULL, *dec;
	int error;

	if (L->o->max_time > 0)
		snprintf(max_time, sizeof(max_time), " --max-time %.17g", L->o->max_time);
	if (qd == NULL || qe == NULL ||
	    asprintf(&cmd, "cd %s && exec %s gate --apply --json -q%s%s", qd, qe,
		     L->o->worktree ? " --worktree" : "", max_time) < 0) {
		free(qd);
		free(qe);
		return bg_error_nomem();
	}
	free(qd);
	free(qe);
	so.cmd = cmd;
	error = smp_run(&r, &so);
	free(cmd);
	if (error < 0)
		return error;
	if (r.outcome != SMP_EXITED || r.exit_code == 2 || (gate = cJSON_Parse(r.out)) == NULL) {
		error = bg_error_set(BG_ECHILD, "iteration %u: the gate failed: %s", iteration,
				     r.err && r.err[0] ? r.err : "no output");
		goto cleanup;
	}
	dec = cJSON_GetObjectItemCaseSensitive(gate, "decision");
	if (!L->o->quiet)
		fprintf(stderr, "benchgate: loop: iteration %u: %s (%.1f s)\n", iteration,
			cJSON_IsString(dec) ? dec->valuestring : "?", bg_time_now() - t0);
	cJSON_Delete(L->last);
	L->last = pick(gate, keys);
	L->idle = 0;
	error = add_row(L, cJSON_IsString(dec) ? dec->valuestring : "?", gate, bg_time_now() - t0);
cleanup:
	cJSON_Delete(gate);
	smp_result_clear(&r);
	return error;
}

static int loop(lp_loop_run *L)
{
	double t0 = bg_time_now();
	unsigned i;
	int progress, error = 0;

	for (i = 1; i <= L->o->iterations && error == 0; i++) {
		if (L->o->budget > 0 && bg_time_now() - t0 >= L->o->budget) {
			i--;
			break;
		}
		if ((error = write_feedback(L, i)) < 0 || (error = run_agent(&progress, L, i)) < 0)
			break;
		if (progress)
			error = run_gate(L, i);
		if (L->idle >= 3) {
			if (!L->o->quiet)
				fprintf(stderr, "benchgate: loop: 3 iterations in a row without a change to gate: stopping\n");
			break;
		}
	}
	L->iterations = i > L->o->iterations ? L->o->iterations : i;
	L->elapsed_s = bg_time_now() - t0;
	return error;
}

int lp_loop_drive(lp_loop_run *L)
{
	ssize_t n;
	int error;

	if ((n = readlink("/proc/self/exe", L->exe, sizeof(L->exe) - 1)) < 0)
		return bg_error_set(BG_ESYS, "cannot find the benchgate binary (/proc/self/exe)");
	L->exe[n] = '\0';
	bg_interrupt_install();
	if ((error = lp_workspace_open(&L->repo, &L->state, ".")) < 0 ||
	    (error = state_path(&L->feedback, L->state, STATE_LOOP_FEEDBACK)) < 0 ||
	    (error = state_path(&L->ledger, L->state, STATE_LEDGER)) < 0)
		return error;
	return loop(L);
}

void lp_loop_run_free(lp_loop_run *L)
{
	lp_repo_free(L->repo);
	state_free(L->state);
	free(L->feedback);
	free(L->ledger);
	free(L->rows);
	cJSON_Delete(L->last);
}
