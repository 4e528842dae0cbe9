/* lp_calibration_json: the calibration as a JSON document — what
 * `calibrate --json` prints and the calibration file gate reads
 * (lp_calibration.h). */
#include "lp_calibration.h"
#include "lp_json.h"

#include <math.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------- */

static cJSON *number_array(const double *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < n; i++) {
		cJSON *x = isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull();
		if (x == NULL || !cJSON_AddItemToArray(a, x)) {
			cJSON_Delete(x);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static cJSON *settings_json(const lp_calib_report *r)
{
	cJSON *s = cJSON_CreateObject();

	if (s == NULL)
		return NULL;
	cJSON_AddNumberToObject(s, "seed", (double)r->seed);
	cJSON_AddNumberToObject(s, "time", r->time_s);
	cJSON_AddNumberToObject(s, "budget", r->budget_s);
	if (r->max_rounds)
		cJSON_AddNumberToObject(s, "max_rounds", (double)r->max_rounds);
	else
		cJSON_AddNullToObject(s, "max_rounds");
	cJSON_AddNumberToObject(s, "alpha", r->alpha);
	cJSON_AddNumberToObject(s, "min_effect", r->min_effect);
	cJSON_AddNumberToObject(s, "min_rounds", r->min_rounds);
	cJSON_AddNumberToObject(s, "warmup", r->warmup);
	cJSON_AddNumberToObject(s, "rho", r->rho);
	cJSON_AddStringToObject(s, "metric", r->metric);
	cJSON_AddStringToObject(s, "direction", r->lower_is_better ? "lower" : "higher");
	cJSON_AddNumberToObject(s, "sims", (double)r->sims);
	cJSON_AddNumberToObject(s, "power_sims", (double)r->power_sims);
	cJSON_AddNumberToObject(s, "power", LP_CALIBRATION_POWER);
	cJSON_AddStringToObject(s, "source", r->source);
	cJSON_AddStringToObject(s, "pin", r->main_pinned ? r->pin_spec : "none");
	if (r->config_path)
		cJSON_AddStringToObject(s, "config", r->config_path);
	if (r->corpora_dir)
		cJSON_AddStringToObject(s, "corpora", r->corpora_dir);
	return s;
}

static cJSON *machine_json(const lp_calib_report *r)
{
	cJSON *m = lp_json_machine(&r->probe, r->steal);

	if (m == NULL)
		return NULL;
	if (r->probe.nisolated >= 0)
		cJSON_AddStringToObject(m, "isolated", r->probe.isolated);
	else
		cJSON_AddNullToObject(m, "isolated");
	cJSON_AddStringToObject(m, "nohz_full", r->probe.nohz_full);
	cJSON_AddStringToObject(m, "smt_control", r->probe.smt_control);
	return m;
}

static cJSON *checks_json(const lp_calib_report *r)
{
	static const char *const status[] = { "ok", "warn", "info" };
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < r->nchecks; i++) {
		cJSON *c = cJSON_CreateObject();
		if (c == NULL || !cJSON_AddItemToArray(a, c)) {
			cJSON_Delete(c);
			break;
		}
		cJSON_AddStringToObject(c, "name", r->checks[i].key);
		cJSON_AddStringToObject(c, "status", status[r->checks[i].status]);
		cJSON_AddStringToObject(c, "value", r->checks[i].value);
		if (r->checks[i].fix[0])
			cJSON_AddStringToObject(c, "fix", r->checks[i].fix);
		else
			cJSON_AddNullToObject(c, "fix");
	}
	return a;
}

static cJSON *series_json(const lp_calib_series *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddBoolToObject(o, "pinned", s->pinned);
	cJSON_AddNumberToObject(o, "rounds", (double)s->rounds);
	lp_json_number(o, "cv_a", s->cv_a);
	lp_json_number(o, "cv_b", s->cv_b);
	lp_json_number(o, "sd_d", s->sd_d);
	lp_json_number(o, "mean_d", s->mean_d);
	lp_json_number(o, "seconds", s->seconds);
	return o;
}

static cJSON *fp_json(const st_calib_fp *fp, size_t rounds)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "sequences", (double)fp->sequences);
	if (rounds)
		cJSON_AddNumberToObject(o, "max_rounds", (double)rounds);
	cJSON_AddNumberToObject(o, "calls", (double)fp->calls);
	cJSON_AddNumberToObject(o, "improved", (double)fp->improved);
	cJSON_AddNumberToObject(o, "regressed", (double)fp->regressed);
	cJSON_AddNumberToObject(o, "no_change", (double)fp->no_change);
	cJSON_AddNumberToObject(o, "inconclusive", (double)fp->inconclusive);
	lp_json_number(o, "rate", fp->rate);
	lp_json_interval(o, "ci", fp->lo, fp->hi);
	if (rounds)
		lp_json_number(o, "mean_rounds", fp->mean_rounds);
	return o;
}

static cJSON *aa_json(const st_calib_decision *d)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "verdict", st_verdict_name(d->verdict));
	cJSON_AddNumberToObject(o, "rounds", (double)d->rounds);
	lp_json_number(o, "ratio", exp(d->cs.estimate));
	lp_json_interval(o, "ci", exp(d->cs.lo), exp(d->cs.hi));
	lp_json_number(o, "p_value", d->cs.p_value);
	return o;
}

/* [{"budget_seconds": B, "effect": e|null}, ...] for one row of MDEs. */
static cJSON *mde_json(const lp_calib_report *r, const double *mde)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t k = 0; a && k < r->nbudgets; k++) {
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(a, o)) {
			cJSON_Delete(o);
			break;
		}
		cJSON_AddNumberToObject(o, "budget_seconds", r->budgets[k]);
		lp_json_number(o, "effect", mde[k]);
	}
	return a;
}

static cJSON *ttd_json(const lp_calib_report *r, const lp_calib_workload *w)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t e = 0; a && e < LP_CALIB_NEFFECTS; e++) {
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(a, o)) {
			cJSON_Delete(o);
			break;
		}
		cJSON_AddNumberToObject(o, "effect", r->effects[e]);
		lp_json_number(o, "seconds", w->ttd[e]);
		cJSON_AddNumberToObject(o, "cap_seconds", w->ttd_cap_s);
	}
	return a;
}

static cJSON *workload_json(const lp_calib_report *r, const lp_calib_workload *w)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", w->name);
	cJSON_AddStringToObject(o, "cmd", w->cmd);
	cJSON_AddNumberToObject(o, "rounds", (double)w->main.rounds);
	lp_json_number(o, "round_seconds", w->round_s);
	lp_json_number(o, "run_median", w->run_median);
	lp_json_number(o, "cv_a", w->main.cv_a);
	lp_json_number(o, "cv_b", w->main.cv_b);
	lp_json_number(o, "sd_d", w->main.sd_d);
	lp_json_number(o, "mean_d", w->main.mean_d);
	lp_json_number(o, "lag1_a", w->lag1_a);
	lp_json_number(o, "lag1_b", w->lag1_b);
	lp_json_number(o, "outlier_share", w->outliers);
	cJSON_AddNumberToObject(o, "warmup_round", (double)w->warmup);
	cJSON_AddNumberToObject(o, "change_points", (double)w->ncpts);
	lp_json_number(o, "drift_pct_per_min", w->drift);
	lp_json_number(o, "span_minutes", w->span_min);
	cJSON_AddItemToObject(o, "main", series_json(&w->main));
	cJSON_AddItemToObject(o, "other", series_json(&w->other));
	lp_json_number(o, "pinned_over_unpinned_sd",
		       w->main.pinned ? w->main.sd_d / w->other.sd_d : w->other.sd_d / w->main.sd_d);
	cJSON_AddItemToObject(o, "aa", aa_json(&w->aa));
	cJSON_AddItemToObject(o, "false_positives", fp_json(&w->fp, w->fp_rounds));
	cJSON_AddItemToObject(o, "mde", mde_json(r, w->mde));
	cJSON_AddItemToObject(o, "time_to_detect", ttd_json(r, w));
	cJSON_AddItemToObject(o, "d", number_array(w->main.d, w->main.rounds));
	return o;
}

static cJSON *verdict_json(const lp_calib_report *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "text", r->verdict);
	cJSON_AddBoolToObject(o, "fit", r->fit);
	lp_json_number(o, "min_change", r->fit_effect);
	cJSON_AddNumberToObject(o, "budget_seconds", r->budget_s);
	return o;
}

static int add_body(cJSON *doc, const lp_calib_report *r)
{
	cJSON *wl = cJSON_AddArrayToObject(doc, "workloads"), *lord;

	if (wl == NULL)
		return -1;
	for (size_t i = 0; i < r->nwl; i++)
		if (!cJSON_AddItemToArray(wl, workload_json(r, &r->wl[i])))
			return -1;
	cJSON_AddItemToObject(doc, "false_positives", fp_json(&r->fp_all, 0));
	cJSON_AddItemToObject(doc, "mde_worst", mde_json(r, r->mde_worst));
	if ((lord = cJSON_AddObjectToObject(doc, "first_experiment")) == NULL)
		return -1;
	lp_json_number(lord, "level", r->level_first);
	lp_json_number(lord, "mde", r->mde_first);
	cJSON_AddItemToObject(doc, "verdict", verdict_json(r));
	return 0;
}

cJSON *lp_calibrate_json(const lp_calib_report *r)
{
	cJSON *doc = lp_json_doc_new();

	if (doc == NULL)
		return NULL;
	cJSON_AddStringToObject(doc, "kind", "calibration");
	cJSON_AddStringToObject(doc, "date", r->date);
	cJSON_AddItemToObject(doc, "machine", machine_json(r));
	cJSON_AddItemToObject(doc, "settings", settings_json(r));
	cJSON_AddItemToObject(doc, "pinning", lp_json_pinning(r->pin));
	cJSON_AddItemToObject(doc, "checks", checks_json(r));
	if (add_body(doc, r) < 0) {
		cJSON_Delete(doc);
		return NULL;
	}
	if (r->saved_to)
		cJSON_AddStringToObject(doc, "saved_to", r->saved_to);
	else
		cJSON_AddNullToObject(doc, "saved_to");
	lp_json_number(doc, "elapsed_seconds", r->elapsed_s);
	return doc;
}
