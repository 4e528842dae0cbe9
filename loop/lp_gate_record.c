/* lp_gate_record: the gate's ledger record and its JSON (the record with
 * the samples and the settings). The held-out workloads' numbers never
 * appear unless --reveal-holdout: the author of a change learns pass or
 * fail only. */
#include "lp_gate.h"
#include "st_rule.h"
#include "lp_json.h"
#include "bg_time.h"
#include "bg_version.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *lp_gate_verdict(const lp_gate_run *g, char *buf, size_t size)
{
	if (g->keep)
		snprintf(buf, size, "KEEP");
	else
		snprintf(buf, size, "REJECT(%s)", g->reason);
	return buf;
}

void lp_gate_keep_note(char *buf, size_t size, const char *base, int difference, double v, double lo, double hi,
		       const char *suffix)
{
	snprintf(buf, size, difference ? "benchgate: KEEP against %.12s, B - A %.4g [%.4g, %.4g]%s"
				       : "benchgate: KEEP against %.12s, B/A %.4f [%.4f, %.4f]%s",
		 base, v, lo, hi, suffix);
}

/* The calibration's plan; null when the gate did not get as far. */
static cJSON *plan_json(const lp_gate_run *g)
{
	cJSON *o, *w;

	if (!g->planned)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (g->plan.path)
		cJSON_AddStringToObject(o, "calibration", g->plan.path);
	else
		cJSON_AddNullToObject(o, "calibration");
	lp_json_number(o, "rounds", g->plan.rounds);
	lp_json_number(o, "seconds", g->plan.seconds);
	lp_json_number(o, "pinned_over_unpinned_sd", g->plan.pin_ratio);
	cJSON_AddBoolToObject(o, "unpinned", g->unpinned_by_plan);
	w = cJSON_AddArrayToObject(o, "warnings");
	for (const char *line = g->plan.warnings, *end; line && *line; line = end + 1) {
		char *text;

		end = strchr(line, '\n');
		if ((text = strndup(line, (size_t)(end - line))) == NULL)
			break;
		cJSON_AddItemToArray(w, cJSON_CreateString(text));
		free(text);
	}
	return o;
}

/* The secondary metrics' guards; left out when there are none. */
static cJSON *secondary_json(const lp_measure_result *m)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t k = 0; k < m->nsec; k++) {
		const lp_measure_sec *s = &m->sec[k];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "name", s->name);
		cJSON_AddStringToObject(x, "direction", s->lower_is_better ? "lower" : "higher");
		cJSON_AddNumberToObject(x, "max_regression", s->max_regression);
		lp_json_number(x, "ratio", s->ratio);
		lp_json_number(x, "p_regress", s->p_regress);
		cJSON_AddBoolToObject(x, "exact", s->exact);
		cJSON_AddBoolToObject(x, "regressed", s->regressed);
		cJSON_AddItemToArray(arr, x);
	}
	return arr;
}

static cJSON *measure_json(const lp_measure_result *m)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "workloads");

	for (size_t w = 0; w < m->nwl; w++) {
		cJSON *x = lp_json_effect(cJSON_CreateObject(), &m->wl[w].effect);
		cJSON_AddStringToObject(x, "name", m->wl[w].name);
		cJSON_AddNumberToObject(x, "weight", m->wl[w].weight);
		lp_json_number(x, "p_regress", m->wl[w].p_regress);
		cJSON_AddBoolToObject(x, "regressed", m->wl[w].regressed);
		cJSON_AddItemToArray(arr, x);
	}
	cJSON_AddItemToObject(o, "aggregate", lp_json_effect(cJSON_CreateObject(), &m->aggregate));
	if (m->nsec)
		cJSON_AddItemToObject(o, "secondary", secondary_json(m));
	cJSON_AddNumberToObject(o, "rounds", m->rounds);
	cJSON_AddNumberToObject(o, "elapsed_s", m->elapsed_s);
	cJSON_AddStringToObject(o, "stopped", m->stopped ? m->stopped : "");
	cJSON_AddNumberToObject(o, "left_behind", m->runner ? (double)smp_runner_left_behind(m->runner) : 0);
	return o;
}

/* Raw samples of the training measurement: what an audit re-derives from. */
static cJSON *samples_json(const lp_measure_result *m, const char *metric)
{
	cJSON *arr = cJSON_CreateArray();
	size_t n;
	const smp_sample *s = smp_runner_samples(m->runner, &n);

	for (size_t i = 0; i < n; i++) {
		const smp_job *job = smp_runner_job(m->runner, s[i].job);
		cJSON *x = cJSON_CreateObject();
		double v;
		cJSON_AddNumberToObject(x, "round", s[i].round);
		cJSON_AddNumberToObject(x, "order", s[i].order);
		cJSON_AddStringToObject(x, "arm", job->arm ? "B" : "A");
		cJSON_AddStringToObject(x, "workload", m->wl[job->workload].name);
		cJSON_AddNumberToObject(x, "wall_ns", (double)s[i].wall_ns);
		if (smp_sample_value(&v, &s[i], metric) == 0)
			lp_json_number(x, "value", v);
		cJSON_AddItemToArray(arr, x);
	}
	return arr;
}

static cJSON *guards_json(const lp_gate_run *g)
{
	cJSON *o = cJSON_CreateObject(), *p = cJSON_AddArrayToObject(o, "protected_changed"), *t;

	for (size_t i = 0; i < g->ntouched; i++)
		cJSON_AddItemToArray(p, cJSON_CreateString(g->touched[i]));
	t = cJSON_AddObjectToObject(o, "tests");
	cJSON_AddBoolToObject(t, "ran", g->tests_ran);
	cJSON_AddBoolToObject(t, "passed", g->tests_ran && g->tests.passed);
	cJSON_AddNumberToObject(t, "count", (double)g->cand_count);
	cJSON_AddNumberToObject(t, "baseline_count", (double)g->base_count);
	return o;
}

static cJSON *holdout_json(const lp_gate_run *g, int reveal)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "configured", g->cfg && g->cfg->holdout_dir != NULL);
	cJSON_AddBoolToObject(o, "ran", g->hold_ran);
	if (g->hold_ran)
		cJSON_AddBoolToObject(o, "pass", g->hold_verdict == GRD_HOLDOUT_PASS);
	if (g->hold_ran)
		cJSON_AddStringToObject(o, "verdict", grd_holdout_verdict_name(g->hold_verdict));
	cJSON_AddNumberToObject(o, "budget_left", g->hold_left);
	if (reveal && g->hold_ran)
		cJSON_AddItemToObject(o, "measurement", measure_json(&g->hold));
	return o;
}

/* The fields the ledger and --json share. */
/* The settings a decision used: the seed, the metric and its effect (with
 * the range and the sequence when bounded), the levels, the budget. */
static cJSON *settings_json(const lp_gate_run *g)
{
	cJSON *st = cJSON_CreateObject();

	cJSON_AddNumberToObject(st, "seed", (double)g->o->seed);
	cJSON_AddStringToObject(st, "metric", g->cfg->metric);
	cJSON_AddStringToObject(st, "effect", g->cfg->metric_difference ? "difference" : "ratio");
	if (g->cfg->duel)
		cJSON_AddBoolToObject(st, "duel", 1);
	if (g->cfg->metric_ranged) {
		cJSON *r = cJSON_AddArrayToObject(st, "range");

		cJSON_AddItemToArray(r, cJSON_CreateNumber(g->cfg->metric_lo));
		cJSON_AddItemToArray(r, cJSON_CreateNumber(g->cfg->metric_hi));
		cJSON_AddStringToObject(st, "sequence", "betting");
	}
	cJSON_AddNumberToObject(st, "alpha", g->cfg->alpha);
	cJSON_AddNumberToObject(st, "min_effect", g->cfg->min_effect);
	cJSON_AddNumberToObject(st, "max_regression", g->cfg->max_regression);
	cJSON_AddNumberToObject(st, "max_seconds", g->o->max_time > 0 ? g->o->max_time : g->cfg->max_seconds);
	return st;
}

static cJSON *common_json(const lp_gate_run *g, int reveal)
{
	cJSON *o = cJSON_CreateObject(), *r;
	char v[200], now[32];

	bg_time_utc(now, sizeof(now));
	cJSON_AddStringToObject(o, "kind", "gate");
	cJSON_AddStringToObject(o, "time", now);
	cJSON_AddStringToObject(o, "verdict", g->keep ? "KEEP" : "REJECT");
	cJSON_AddStringToObject(o, "decision", lp_gate_verdict(g, v, sizeof(v)));
	r = cJSON_AddArrayToObject(o, "reasons");
	if (!g->keep)
		cJSON_AddItemToArray(r, cJSON_CreateString(g->reason));
	cJSON_AddStringToObject(o, "detail", g->detail ? g->detail : "");
	if (g->branch)
		cJSON_AddStringToObject(o, "branch", g->branch);
	else
		cJSON_AddNullToObject(o, "branch");
	cJSON_AddStringToObject(o, "baseline", g->base);
	cJSON_AddStringToObject(o, "candidate", g->cand);
	cJSON_AddBoolToObject(o, "worktree", g->o->worktree);
	/* a KEEP of the branch's tip is the next default baseline; a one-off
	 * gate of another commit, or of uncommitted changes, is not */
	cJSON_AddBoolToObject(o, "sets_baseline", g->keep && g->tip);
	cJSON_AddStringToObject(o, "baseline_why", g->base_why);
	{	/* seconds per phase; the ledger's record is written before
		 * its own "record" phase ends */
		cJSON *ph = cJSON_AddObjectToObject(o, "phases");

		for (int p = 0; p < LP_GATE_NPHASES; p++)
			cJSON_AddNumberToObject(ph, lp_gate_phase_name((lp_gate_phase)p), g->phase_s[p]);
	}
	cJSON_AddStringToObject(o, "config_hash", g->cfg_hash);
	/* what the candidate's build and tests ran in: "bwrap" or "none" */
	cJSON_AddStringToObject(o, "isolation", g->cfg->isolation);
	cJSON_AddItemToObject(o, "machine", lp_json_machine(&g->probe, -1));
	cJSON_AddItemToObject(o, "settings", settings_json(g));
	cJSON_AddBoolToObject(o, "tested", g->measured);
	if (g->measured) {
		cJSON_AddNumberToObject(o, "level", g->level);
		cJSON_AddNumberToObject(o, "experiment", (double)g->test_number);
	} else {
		cJSON_AddNullToObject(o, "level");
		cJSON_AddNullToObject(o, "experiment");
	}
	if (g->measured)
		cJSON_AddItemToObject(o, "training", measure_json(&g->train));
	cJSON_AddItemToObject(o, "plan", plan_json(g));
	cJSON_AddItemToObject(o, "guards", guards_json(g));
	cJSON_AddItemToObject(o, "holdout", holdout_json(g, reveal));
	cJSON_AddNumberToObject(o, "elapsed_s", g->elapsed_s);
	return o;
}

cJSON *lp_gate_record(const lp_gate_run *g)
{
	cJSON *o = common_json(g, 0);

	cJSON_AddStringToObject(o, "benchgate_version", BG_VERSION);
	if (g->measured)
		cJSON_AddItemToObject(cJSON_GetObjectItem(o, "training"), "samples",
				      samples_json(&g->train, g->cfg->metric));
	return o;
}

char *lp_gate_json(const lp_gate_run *g)
{
	cJSON *doc = lp_json_doc_new(), *body = common_json(g, g->o->reveal_holdout), *it;
	char *text;

	/* flatten: the version header first, then the record's fields */
	while ((it = body->child) != NULL)
		cJSON_AddItemToObject(doc, it->string, cJSON_DetachItemViaPointer(body, it));
	cJSON_Delete(body);
	if (g->rejected_ref[0])
		cJSON_AddStringToObject(doc, "rejected_ref", g->rejected_ref);
	if (g->applied[0])
		cJSON_AddStringToObject(doc, "applied", g->applied);
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}
