/* lp_calibrate_out: what `benchgate calibrate` prints — the text report and
 * the JSON document, which is also the calibration file gate reads
 * (lp_calibration.h). */
#include "lp_calibration.h"
#include "lp_cli.h"
#include "cli.h"
#include "lp_report.h"

#include <math.h>
#include <string.h>

#define NAME_MAX_W 24

/* ---- text ------------------------------------------------------------- */

/* v as a percentage with two decimals, "-" when unknown. */
static const char *pct(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f%%", v * 100.0);
	return buf;
}

/* v with two decimals, "-" when unknown. */
static const char *fixed2(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.2f", v);
	return buf;
}

static const char *pct_mde(char *buf, size_t size, double v)
{
	if (isinf(v))
		snprintf(buf, size, "> 50%%");
	else
		snprintf(buf, size, "%.1f%%", v * 100.0);
	return buf;
}

static const char *seconds(char *buf, size_t size, double s, double cap)
{
	if (isinf(s) && cap >= LP_CALIBRATION_CAP_S - 1e-6)
		snprintf(buf, size, "> 1 h");
	else if (isinf(s))
		snprintf(buf, size, "> %.0f s", cap);
	else if (s < 10.0)
		snprintf(buf, size, "%.1f s", s);
	else if (s < 600.0)
		snprintf(buf, size, "%.0f s", s);
	else
		snprintf(buf, size, "%.0f min", s / 60.0);
	return buf;
}

static int name_width(const lp_calib_report *r)
{
	int w = 8;

	for (size_t i = 0; i < r->nwl; i++) {
		int l = (int)strlen(r->wl[i].name);
		w = l > w ? l : w;
	}
	return w > NAME_MAX_W ? NAME_MAX_W : w;
}

/* The name cut to the column, "..." marking a cut. */
static const char *cut(char *buf, size_t size, const char *name, int width)
{
	if ((int)strlen(name) <= width)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%.*s...", width - 3, name);
	return buf;
}

static void print_header(FILE *f, const lp_calib_report *r)
{
	const smp_probe *p = &r->probe;

	fprintf(f, "machine    %s, %d PUs (%d cores), kernel %s, fingerprint %s\n", p->cpu_model, p->pus,
		p->cores, p->kernel, p->fingerprint);
	if (strcmp(r->source, "bundled") == 0)
		fprintf(f, "workloads  the bundled calibration workloads in %s\n", r->corpora_dir);
	else if (strcmp(r->source, "config") == 0)
		fprintf(f, "workloads  the training workloads of %s\n", r->config_path);
	else
		fprintf(f, "workloads  %zu command%s\n", r->nwl, r->nwl == 1 ? "" : "s");
	fprintf(f, "metric     %s, %s is better; the rule at alpha %g, min effect %.3g%%, min %u rounds\n",
		r->metric, r->lower_is_better ? "lower" : "higher", r->alpha, r->min_effect * 100.0,
		r->min_rounds);
	if (r->max_rounds)
		fprintf(f, "           a decision stops at %zu rounds (budget.max_rounds)\n", r->max_rounds);
	fprintf(f, "run        %.0f s (--time %.0f), seed %llu\n\n", r->elapsed_s, r->time_s, r->seed);
}

static void print_checks(FILE *f, const lp_calib_report *r)
{
	static const char *const tag[] = { "ok  ", "WARN", "info" };

	fprintf(f, "System checks\n");
	for (size_t i = 0; i < r->nchecks; i++) {
		const lp_calib_check *c = &r->checks[i];
		fprintf(f, "  %s  %-23s %s\n", tag[c->status], c->label, c->value);
		if (c->fix[0])
			fprintf(f, "        %-23s fix: %s\n", "", c->fix);
	}
	fputc('\n', f);
}

static void print_noise(FILE *f, const lp_calib_report *r)
{
	int nw = name_width(r);
	char n[64], run[32], c1[16], c2[16], sd[16], out[16], wu[32], dr[48], l1[16], l2[16];

	fprintf(f, "Noise per workload (A/A: both arms run the same command; %s rounds)\n",
		r->nwl && r->wl[0].main.pinned ? "pinned" : "unpinned");
	fprintf(f, "  %-*s  rounds         run    CV A    CV B   sd of d  lag-1 A  lag-1 B  outliers  warm-up     drift\n",
		nw, "workload");
	for (size_t i = 0; i < r->nwl; i++) {
		const lp_calib_workload *w = &r->wl[i];
		cli_format_value(run, sizeof(run), r->metric, w->run_median);
		if (w->warmup)
			snprintf(wu, sizeof(wu), "round %zu", w->warmup);
		else
			snprintf(wu, sizeof(wu), "none");
		if (isfinite(w->drift))
			snprintf(dr, sizeof(dr), "%+.1f%% in %.0f s", w->drift * w->span_min, w->span_min * 60.0);
		else
			snprintf(dr, sizeof(dr), "-");
		fprintf(f, "  %-*s  %6zu  %10s  %6s  %6s  %8s  %7s  %7s  %8s  %-9s  %s\n", nw,
			cut(n, sizeof(n), w->name, nw), w->main.rounds, run, pct(c1, sizeof(c1), w->main.cv_a),
			pct(c2, sizeof(c2), w->main.cv_b), pct(sd, sizeof(sd), w->main.sd_d),
			fixed2(l1, sizeof(l1), w->lag1_a), fixed2(l2, sizeof(l2), w->lag1_b),
			pct(out, sizeof(out), w->outliers), wu, dr);
	}
	fprintf(f, "\nPinned against unpinned (sd of d, in alternating rounds)\n");
	fprintf(f, "  %-*s  pinned  unpinned  pinned/unpinned\n", nw, "workload");
	for (size_t i = 0; i < r->nwl; i++) {
		const lp_calib_workload *w = &r->wl[i];
		const lp_calib_series *p = w->main.pinned ? &w->main : &w->other;
		const lp_calib_series *u = w->main.pinned ? &w->other : &w->main;
		double ratio = p->sd_d / u->sd_d;
		if (isfinite(ratio))
			snprintf(sd, sizeof(sd), "%.2f", ratio);
		else
			snprintf(sd, sizeof(sd), "-");
		fprintf(f, "  %-*s  %6s  %8s  %15s\n", nw, cut(n, sizeof(n), w->name, nw),
			pct(c1, sizeof(c1), p->sd_d), pct(c2, sizeof(c2), u->sd_d), sd);
	}
	fputc('\n', f);
}

static void print_rule(FILE *f, const lp_calib_report *r)
{
	int nw = name_width(r);
	char n[64];

	fprintf(f, "The decision rule on the A/A data (alpha %g, min effect %.3g%%, %.0f s per decision)\n",
		r->alpha, r->min_effect * 100.0, r->budget_s);
	fprintf(f, "  %-*s  its own series                            simulated A/A decisions: false calls\n",
		nw, "workload");
	for (size_t i = 0; i < r->nwl; i++) {
		const lp_calib_workload *w = &r->wl[i];
		char own[64];
		snprintf(own, sizeof(own), "%s at round %zu, B/A %.4f", st_verdict_name(w->aa.verdict),
			 w->aa.rounds, exp(w->aa.cs.estimate));
		fprintf(f, "  %-*s  %-40s  %zu of %zu (%.2f%% [%.2f%%, %.2f%%]), up to %zu rounds\n", nw,
			cut(n, sizeof(n), w->name, nw), own, w->fp.calls, w->fp.sequences, w->fp.rate * 100.0,
			w->fp.lo * 100.0, w->fp.hi * 100.0, w->fp_rounds);
	}
	fprintf(f, "  %-*s  false positives %zu of %zu: %.2f%%, 95%% interval [%.2f%%, %.2f%%], %s alpha = %g\n",
		nw, "all", r->fp_all.calls, r->fp_all.sequences, r->fp_all.rate * 100.0, r->fp_all.lo * 100.0,
		r->fp_all.hi * 100.0, r->fp_all.lo > r->alpha ? "ABOVE" : r->fp_all.hi <= r->alpha ? "within" : "not clearly within",
		r->alpha);
	fprintf(f, "  (a simulated decision draws the workload's own paired differences with random signs:\n"
		   "   A/A noise as the shuffled order makes it; an \"own series\" call happens at rate alpha)\n\n");
}

static void print_mde(FILE *f, const lp_calib_report *r)
{
	int nw = name_width(r);
	char n[64], b[32], s[32];

	fprintf(f, "Minimum detectable effect (80%% power, the rule at alpha %g)\n", r->alpha);
	fprintf(f, "  %-*s  s/round", nw, "workload");
	for (size_t k = 0; k < r->nbudgets; k++) {
		snprintf(b, sizeof(b), "%.0f s", r->budgets[k]);
		fprintf(f, "  %7s", b);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->nwl; i++) {
		fprintf(f, "  %-*s  %7.3f", nw, cut(n, sizeof(n), r->wl[i].name, nw), r->wl[i].round_s);
		for (size_t k = 0; k < r->nbudgets; k++)
			fprintf(f, "  %7s", pct_mde(s, sizeof(s), r->wl[i].mde[k]));
		fputc('\n', f);
	}
	fprintf(f, "  %-*s  %7s", nw, "worst", "");
	for (size_t k = 0; k < r->nbudgets; k++)
		fprintf(f, "  %7s", pct_mde(s, sizeof(s), r->mde_worst[k]));
	fprintf(f, "\n  A gate decides at the level LORD++ grants it, below alpha: %.3g for a campaign's\n"
		   "  first experiment, which makes the worst %.0f s MDE %s here.\n\n",
		r->level_first, r->budget_s, pct_mde(s, sizeof(s), r->mde_first));
}

static void print_ttd(FILE *f, const lp_calib_report *r)
{
	int nw = name_width(r);
	char n[64], s[32];

	fprintf(f, "Time to detect a gain (80%% power, the rule at alpha %g)\n  %-*s", r->alpha, nw, "workload");
	for (size_t e = 0; e < LP_CALIB_NEFFECTS; e++) {
		snprintf(s, sizeof(s), "%.0f%%", r->effects[e] * 100.0);
		fprintf(f, "  %8s", s);
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->nwl; i++) {
		fprintf(f, "  %-*s", nw, cut(n, sizeof(n), r->wl[i].name, nw));
		for (size_t e = 0; e < LP_CALIB_NEFFECTS; e++)
			fprintf(f, "  %8s", seconds(s, sizeof(s), r->wl[i].ttd[e], r->wl[i].ttd_cap_s));
		fputc('\n', f);
	}
	fputc('\n', f);
}

void lp_calibrate_print(FILE *f, const lp_calib_report *r)
{
	print_header(f, r);
	print_checks(f, r);
	print_noise(f, r);
	print_rule(f, r);
	print_mde(f, r);
	print_ttd(f, r);
	fprintf(f, "Verdict: %s.\n", r->verdict);
	if (r->saved_to)
		fprintf(f, "Written to %s; gate plans its budget with it.\n", r->saved_to);
	else
		fprintf(f, "Not written (--no-save, or see the error above).\n");
}

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

static cJSON *interval(double lo, double hi)
{
	double v[2] = { lo, hi };

	return number_array(v, 2);
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
	cJSON_AddItemToObject(o, "ci", interval(fp->lo, fp->hi));
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
	cJSON_AddItemToObject(o, "ci", interval(exp(d->cs.lo), exp(d->cs.hi)));
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
