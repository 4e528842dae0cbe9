/* cmd_audit: `benchgate audit` — its options, what it prints, its JSON
 * document and its markdown report. Unlike gate, audit shows the held-out
 * numbers: it is read by the person auditing a campaign, not by the agent
 * that ran it. The re-measurement is loop/lp_audit.c. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_audit.h"
#include "lp_json.h"
#include "st_rule.h"
#include "bg_error.h"
#include "bg_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

static const cli_opt_help audit_help = {
	"audit", "audit [--pi-log PATH | --tsv PATH | --range A..B] [options]",
	"Re-measures the wins an optimisation campaign kept, in the git repository\n"
	"in the current directory: each claimed commit and its parent are exported\n"
	"and built under .git/benchgate/exports and measured afresh in interleaved\n"
	"rounds, on the training workloads and then the held-out ones, each claim\n"
	"at level alpha / (number of claims). Verdicts:\n"
	"  REPLICATED      the fresh interval is on the improvement side and holds\n"
	"                  the claim (or shows more, or the claim is unknown)\n"
	"  SHRUNK          real, but smaller than claimed: by how much, in percent\n"
	"  NOT_REPLICATED  decided against: the fresh interval lies within\n"
	"                  min_effect, or reaches no change and excludes the claim\n"
	"                  (every gain of min_effect or more, when it is unknown)\n"
	"  UNDECIDED       not enough data: the interval holds both no gain and the\n"
	"                  claim, or the held-out workloads did not decide; it says\n"
	"                  how much more time would likely decide; never reverted\n"
	"  OVERFIT         the training workloads replicate, the held-out exclude\n"
	"                  the share of the gain they must keep (generalization)\n"
	"  BUILD_FAILED    the commit or its parent no longer builds or runs\n"
	"  MISSING         the commit no longer exists\n"
	"Flags: the commit changed a protected path; its test count dropped.\n"
	"Nothing is written to your working tree, index, refs, ledger or holdout\n"
	"seal, and the holdout budget is not spent.\n",
	"A shrunk win is still real: it passes. Exit status: 0 every claimed win\n"
	"is REPLICATED or SHRUNK and none is flagged, 1 otherwise (the commits\n"
	"worth reverting are listed), 2 error.\n",
	NULL
};

/* Returns -1 to go on, else the exit code. */
static int parse_args(lp_audit_opts *o, int argc, char **argv)
{
	int seeded = 0, direction = -1, next, rc;
	const cli_opt opts[] = {
		CLI_GROUP("Where the claimed wins come from (default: the benchgate ledger, every\n"
			  "KEEP against the baseline it was gated against):"),
		{ CLI_OPT_STRING, "pi-log", 0, &o->pi_log, "PATH",
		  "a pi-autoresearch log (.auto/log.jsonl or the\n"
		  "older autoresearch.jsonl): each \"keep\" after\n"
		  "the baseline, its metric over the kept one before", 0, 0, NULL },
		{ CLI_OPT_STRING, "tsv", 0, &o->tsv, "PATH",
		  "a karpathy-style results.tsv (columns commit,\n"
		  "a metric, status): likewise", 0, 0, NULL },
		{ CLI_OPT_STRING, "metric-column", 0, &o->metric_column, "NAME",
		  "with --tsv: the metric's column (default: the\n"
		  "first numeric one that is not memory); with\n"
		  "--pi-log: a key of the runs' metrics{} (pi's\n"
		  "secondary metrics; default: the primary)", 0, 0, NULL },
		{ CLI_OPT_CHOICE, "direction", 0, &direction, "lower|higher",
		  "with --pi-log or --tsv: which way the claimed\n"
		  "metric is better (default: the log's config line;\n"
		  "lower for a TSV)", 0, 0, NULL },
		{ CLI_OPT_STRING, "range", 0, &o->range, "A..B",
		  "every first-parent commit after A up to B (B\n"
		  "left out: HEAD), claimed gain unknown", 0, 0, NULL },
		CLI_GROUP(""),
		{ CLI_OPT_STRING, "config", 0, &o->config_path, "FILE", "instead of benchgate.json of the newest claim", 0, 0, NULL },
		{ CLI_OPT_DOUBLE, "max-time", 't', &o->max_time, "SEC",
		  "the measuring budget of the whole audit, shared\n"
		  "by the claims (default: the config's\n"
		  "budget.max_seconds per claim and one more for the\n"
		  "campaign's first-to-last span, at most 3600 s)", 0.001, 1e7, NULL },
		{ CLI_OPT_U64, "seed", 0, &o->seed, "N", "seed of the shuffles", 0, 0, &seeded },
		{ CLI_OPT_SWITCH, "json", 0, &o->json, NULL, "the result as one JSON document on stdout", 0, 0, NULL },
		{ CLI_OPT_STRING, "export-markdown", 0, &o->export_md, "FILE", "the result as a markdown report", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "no progress, no warnings", 0, 0, NULL },
		CLI_END
	};

	memset(o, 0, sizeof(*o));
	if ((rc = cli_opt_parse(&next, opts, &audit_help, argc, argv)) >= 0)
		return rc;
	o->direction = direction < 0 ? -1 : direction == 0;
	if (next < argc)
		return cli_opt_usage_error(&audit_help, "unexpected argument \"%s\"", argv[next]);
	if (!!o->pi_log + !!o->tsv + !!o->range > 1)
		return cli_opt_usage_error(&audit_help, "--pi-log, --tsv and --range exclude each other");
	if (o->metric_column && !o->tsv && !o->pi_log)
		return cli_opt_usage_error(&audit_help, "--metric-column goes with --tsv or --pi-log");
	if (o->direction >= 0 && !o->tsv && !o->pi_log)
		return cli_opt_usage_error(&audit_help, "--direction goes with --pi-log or --tsv");
	o->seed = cli_seed(seeded, o->seed);
	return -1;
}

static const char *source_name(lp_audit_source k)
{
	static const char *const names[] = { "ledger", "pi-log", "tsv", "range" };

	return (unsigned)k < 4 ? names[k] : "?";
}

static const char *source_text(lp_audit_source k)
{
	static const char *const names[] = { "the benchgate ledger", "the pi-autoresearch log",
					     "the results table", "the range" };

	return (unsigned)k < 4 ? names[k] : "?";
}

/* The cells of one claim's row, shared by the text and markdown outputs. */
typedef struct {
	char claimed[24], fresh[24], interval[40], held[16], flags[64];
} row_cells;

static void ratio_cell(char *buf, size_t size, double v)
{
	if (isfinite(v))
		snprintf(buf, size, "%.4f", v);
	else
		snprintf(buf, size, "unknown");
}

static void cells(row_cells *c, const lp_audit_result *r)
{
	const st_effect *e = &r->train.aggregate;

	ratio_cell(c->claimed, sizeof(c->claimed), r->claim->claimed);
	if (r->measured) {
		snprintf(c->fresh, sizeof(c->fresh), "%.4f", e->ratio);
		snprintf(c->interval, sizeof(c->interval), "[%.4f, %.4f]", e->lo, e->hi);
	} else {
		snprintf(c->fresh, sizeof(c->fresh), "-");
		snprintf(c->interval, sizeof(c->interval), "-");
	}
	if (r->hold_ran)
		snprintf(c->held, sizeof(c->held), "%.4f %s", r->hold.aggregate.ratio,
			 r->hold_verdict == GRD_HOLDOUT_PASS ? "ok" : r->hold_verdict == GRD_HOLDOUT_OVERFIT ? "FAIL" : "?");
	else
		snprintf(c->held, sizeof(c->held), "-");
	snprintf(c->flags, sizeof(c->flags), "%s%s%s", r->ntouched ? "protected_changed" : "",
		 r->ntouched && r->dropped ? ", " : "", r->dropped ? "tests_dropped" : "");
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void print_claim(FILE *f, const lp_audit_result *r, size_t i)
{
	row_cells c;
	char status[40];

	cells(&c, r);
	if (r->status == LP_AUDIT_SHRUNK)
		snprintf(status, sizeof(status), "SHRUNK %.0f%%", r->shrinkage_pct);
	else
		snprintf(status, sizeof(status), "%s", lp_audit_status_name(r->status));
	fprintf(f, "%3zu  %-12.12s  %9s  %9s  %-20s  %-11s  %s%s%s\n", i + 1,
		r->claim->missing ? r->claim->given : r->claim->commit, c.claimed, c.fresh, c.interval, c.held,
		status, c.flags[0] ? "  flags: " : "", c.flags);
	if (r->detail)
		fprintf(f, "       %s\n", r->detail);
	if (r->claim->kept_again)
		fprintf(f, "       kept again without a new commit (line %zu%s): the claimed B/A holds that keep's noise\n",
			r->claim->kept_again_line, r->claim->kept_again > 1 ? " and later" : "");
	if (r->measured && st_rule_far_shown(&r->train.aggregate))
		fprintf(f, "       (few rounds: the fresh set also holds B/A <= %.4f and >= %.4f)\n",
			r->train.aggregate.far_lo, r->train.aggregate.far_hi);
	for (size_t k = 0; k < r->ntouched; k++)
		fprintf(f, "       protected path changed: %s\n", r->touched[k]);
	if (r->dropped)
		fprintf(f, "       tests dropped: %ld in the commit, %ld in its parent\n", r->count, r->parent_count);
}

/* "claimed total B/A ...; re-measured first to last ... B/A ... [lo, hi]",
 * shared by the text and markdown outputs. */
static void campaign_totals(FILE *f, const lp_audit_run *a)
{
	fprintf(f, "claimed total B/A ");
	if (isfinite(a->claimed_total))
		fprintf(f, "%.4f", a->claimed_total);
	else
		fprintf(f, "unknown (not every claim says its gain)");
	if (a->span_measured)
		fprintf(f, "; re-measured first to last (%.12s..%.12s): B/A %.4f [%.4f, %.4f]", a->span_from,
			a->span_to, a->span.aggregate.ratio, a->span.aggregate.lo, a->span.aggregate.hi);
	else
		fprintf(f, "; first to last: %s", a->span_note ? a->span_note : "not measured");
	if (a->on_chain && a->nchain < a->npresent) {
		const char *sep = "";

		fprintf(f, "; the claims do not form one chain (overlapping, or out of order): these totals are over "
			"claims");
		for (size_t i = 0; i < a->claims->nclaims; i++)
			if (a->on_chain[i]) {
				fprintf(f, "%s %zu", sep, i + 1);
				sep = ",";
			}
		fprintf(f, " only");
	}
}

/* The commits worth reverting, each between quotes q, or "nothing". */
static void reverts(FILE *f, const lp_audit_run *a, const char *q)
{
	size_t n = 0;

	for (size_t i = 0; i < a->claims->nclaims; i++)
		if (lp_audit_result_revert(&a->results[i]) && ++n)
			fprintf(f, " %s%.12s%s", q, a->results[i].claim->commit, q);
	fprintf(f, "%s\n", n ? "" : " nothing");
}

static void print_campaign(FILE *f, const lp_audit_run *a)
{
	fprintf(f, "\ncampaign: ");
	campaign_totals(f, a);
	fprintf(f, "\n");
	if (a->claims->kind == LP_AUDIT_SRC_LEDGER) {
		fprintf(f, "change points in the ledger's series of %zu measured decision%s:%s\n", a->claims->nseries,
			plural(a->claims->nseries), a->nsteps ? "" : " none");
		for (size_t k = 0; k < a->nsteps; k++) {
			const lp_audit_point *p = &a->claims->series[a->steps[k].index];
			fprintf(f, "  at record %zu (%.12s): B/A %.4f before, %.4f after\n", p->seq, p->candidate,
				a->steps[k].before, a->steps[k].after);
		}
	}
}

static void audit_print(FILE *f, const lp_audit_run *a)
{
	size_t n = a->claims->nclaims;

	fprintf(f, "audit of %zu claimed win%s from %s %s%s%s%s\n", n, plural(n), source_text(a->claims->kind),
		a->claims->path, a->claims->metric ? " (metric \"" : "", a->claims->metric ? a->claims->metric : "",
		a->claims->metric ? "\")" : "");
	fprintf(f, "re-measured with %s: %s (%s is better), %zu training and %zu held-out workload%s, level %.3g per claim, %.1f s\n\n",
		a->cfg_from ? a->cfg_from : a->cfg->path, a->cfg->metric, a->cfg->lower_is_better ? "lower" : "higher",
		a->cfg->nworkloads, a->cfg->nholdout, plural(a->cfg->nholdout), a->level, a->elapsed_s);
	fprintf(f, "%3s  %-12s  %9s  %9s  %-20s  %-11s  %s\n", "#", "commit", "claimed", "fresh B/A", "interval",
		"held-out", "verdict");
	for (size_t i = 0; i < n; i++)
		print_claim(f, &a->results[i], i);
	print_campaign(f, a);
	fprintf(f, "worth reverting:");
	reverts(f, a, "");
	if (a->nfailed)
		fprintf(f, "\n%zu of %zu claimed win%s fail%s the audit\n", a->nfailed, n, plural(n),
			a->nfailed == 1 ? "s" : "");
	else
		fprintf(f, "\nevery claimed win replicates\n");
}

/* ---- JSON --------------------------------------------------------------- */

/* A measurement: its aggregate, each workload's ratio, how it stopped. */
static cJSON *measurement_json(const lp_measure_result *m)
{
	const st_effect *e = &m->aggregate;
	cJSON *o = cJSON_CreateObject(), *w;

	lp_json_effect(o, e);
	cJSON_AddNumberToObject(o, "rounds", m->rounds);
	cJSON_AddNumberToObject(o, "elapsed_s", m->elapsed_s);
	cJSON_AddStringToObject(o, "stopped", m->stopped ? m->stopped : "");
	w = cJSON_AddArrayToObject(o, "workloads");
	for (size_t k = 0; k < m->nwl; k++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", m->wl[k].name);
		lp_json_number(x, "ratio", m->wl[k].effect.ratio);
		lp_json_interval(x, "ci", m->wl[k].effect.lo, m->wl[k].effect.hi);
		cJSON_AddItemToArray(w, x);
	}
	return o;
}

static cJSON *flags_json(cJSON *o, const lp_audit_result *r)
{
	cJSON *fl = cJSON_AddArrayToObject(o, "flags"), *p = cJSON_AddArrayToObject(o, "protected_changed");
	cJSON *t = cJSON_AddObjectToObject(o, "tests");

	if (r->ntouched)
		cJSON_AddItemToArray(fl, cJSON_CreateString("protected_changed"));
	if (r->dropped)
		cJSON_AddItemToArray(fl, cJSON_CreateString("tests_dropped"));
	for (size_t k = 0; k < r->ntouched; k++)
		cJSON_AddItemToArray(p, cJSON_CreateString(r->touched[k]));
	cJSON_AddNumberToObject(t, "count", (double)r->count);
	cJSON_AddNumberToObject(t, "parent_count", (double)r->parent_count);
	cJSON_AddBoolToObject(t, "dropped", r->dropped);
	return o;
}

static cJSON *claim_json(const lp_audit_result *r)
{
	const lp_audit_claim *k = r->claim;
	cJSON *o = cJSON_CreateObject(), *h;

	cJSON_AddStringToObject(o, "commit", k->missing ? k->given : k->commit);
	cJSON_AddStringToObject(o, "parent", k->parent);
	cJSON_AddNumberToObject(o, "line", (double)k->line);
	if (k->description)
		cJSON_AddStringToObject(o, "description", k->description);
	cJSON_AddNumberToObject(o, "kept_again", (double)k->kept_again);
	lp_json_number(o, "claimed_ratio", k->claimed);
	lp_json_number(o, "claimed_gain", r->claimed_gain);
	cJSON_AddStringToObject(o, "status", lp_audit_status_name(r->status));
	lp_json_number(o, "shrinkage_pct", r->shrinkage_pct);
	lp_json_number(o, "more_seconds", r->more_s);
	cJSON_AddStringToObject(o, "detail", r->detail ? r->detail : "");
	flags_json(o, r);
	cJSON_AddBoolToObject(o, "revert", lp_audit_result_revert(r));
	cJSON_AddBoolToObject(o, "fails", lp_audit_result_fails(r));
	if (r->measured)
		cJSON_AddItemToObject(o, "training", measurement_json(&r->train));
	else
		cJSON_AddNullToObject(o, "training");
	h = cJSON_AddObjectToObject(o, "holdout");
	cJSON_AddBoolToObject(h, "ran", r->hold_ran);
	if (r->hold_ran) {
		cJSON_AddBoolToObject(h, "pass", r->hold_verdict == GRD_HOLDOUT_PASS);
		cJSON_AddStringToObject(h, "verdict", grd_holdout_verdict_name(r->hold_verdict));
		cJSON_AddItemToObject(h, "measurement", measurement_json(&r->hold));
	}
	cJSON_AddNumberToObject(o, "elapsed_s", r->elapsed_s);
	return o;
}

static cJSON *campaign_json(const lp_audit_run *a)
{
	cJSON *o = cJSON_CreateObject(), *s, *rev, *cp;

	lp_json_number(o, "claimed_total_ratio", a->claimed_total);
	{	/* the claims (1-based) the totals are over */
		cJSON *chain = cJSON_AddArrayToObject(o, "chain");

		for (size_t i = 0; a->on_chain && i < a->claims->nclaims; i++)
			if (a->on_chain[i])
				cJSON_AddItemToArray(chain, cJSON_CreateNumber((double)(i + 1)));
		cJSON_AddBoolToObject(o, "one_chain", a->on_chain && a->nchain == a->npresent);
	}
	s = cJSON_AddObjectToObject(o, "first_to_last");
	cJSON_AddBoolToObject(s, "measured", a->span_measured);
	if (a->span_measured) {
		cJSON_AddStringToObject(s, "from", a->span_from);
		cJSON_AddStringToObject(s, "to", a->span_to);
		cJSON_AddItemToObject(s, "measurement", measurement_json(&a->span));
	} else {
		cJSON_AddStringToObject(s, "note", a->span_note ? a->span_note : "");
	}
	cp = cJSON_AddArrayToObject(o, "change_points");
	for (size_t k = 0; k < a->nsteps; k++) {
		const lp_audit_point *p = &a->claims->series[a->steps[k].index];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "index", (double)a->steps[k].index);
		cJSON_AddNumberToObject(x, "seq", (double)p->seq);
		cJSON_AddStringToObject(x, "candidate", p->candidate);
		cJSON_AddNumberToObject(x, "before", a->steps[k].before);
		cJSON_AddNumberToObject(x, "after", a->steps[k].after);
		cJSON_AddItemToArray(cp, x);
	}
	rev = cJSON_AddArrayToObject(o, "revert");
	for (size_t i = 0; i < a->claims->nclaims; i++)
		if (lp_audit_result_revert(&a->results[i]))
			cJSON_AddItemToArray(rev, cJSON_CreateString(a->results[i].claim->commit));
	return o;
}

static cJSON *settings_json(const lp_audit_run *a)
{
	cJSON *st = cJSON_CreateObject();

	cJSON_AddNumberToObject(st, "seed", (double)a->o->seed);
	cJSON_AddStringToObject(st, "config", a->cfg_from ? a->cfg_from : a->cfg->path);
	cJSON_AddStringToObject(st, "metric", a->cfg->metric);
	cJSON_AddStringToObject(st, "direction", a->cfg->lower_is_better ? "lower" : "higher");
	cJSON_AddNumberToObject(st, "alpha", a->cfg->alpha);
	cJSON_AddNumberToObject(st, "level", a->level);
	cJSON_AddNumberToObject(st, "min_effect", a->cfg->min_effect);
	cJSON_AddNumberToObject(st, "max_seconds", a->budget_s);
	return st;
}

static char *audit_json(const lp_audit_run *a)
{
	cJSON *doc = lp_json_doc_new(), *src, *arr, *w, *sum;
	size_t counts[LP_AUDIT_MISSING + 1] = { 0 };
	char *text;

	if (doc == NULL)
		return NULL;
	cJSON_AddStringToObject(doc, "kind", "audit");
	cJSON_AddItemToObject(doc, "machine", lp_json_machine(&a->probe, -1));
	cJSON_AddItemToObject(doc, "pinning", lp_json_pinning(a->pin));
	cJSON_AddItemToObject(doc, "settings", settings_json(a));
	src = cJSON_AddObjectToObject(doc, "source");
	cJSON_AddStringToObject(src, "kind", source_name(a->claims->kind));
	cJSON_AddStringToObject(src, "path", a->claims->path);
	if (a->claims->metric)
		cJSON_AddStringToObject(src, "metric", a->claims->metric);
	w = cJSON_AddArrayToObject(src, "warnings");
	for (size_t i = 0; i < a->claims->nwarnings; i++)
		cJSON_AddItemToArray(w, cJSON_CreateString(a->claims->warnings[i]));
	arr = cJSON_AddArrayToObject(doc, "claims");
	for (size_t i = 0; i < a->claims->nclaims; i++) {
		cJSON_AddItemToArray(arr, claim_json(&a->results[i]));
		counts[a->results[i].status]++;
	}
	cJSON_AddItemToObject(doc, "campaign", campaign_json(a));
	sum = cJSON_AddObjectToObject(doc, "summary");
	for (int s = 0; s <= LP_AUDIT_MISSING; s++)
		cJSON_AddNumberToObject(sum, lp_audit_status_name((lp_audit_status)s), (double)counts[s]);
	cJSON_AddNumberToObject(sum, "failed", (double)a->nfailed);
	cJSON_AddNumberToObject(doc, "elapsed_s", a->elapsed_s);
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

/* ---- markdown ------------------------------------------------------------ */

static void md_claims(FILE *f, const lp_audit_run *a)
{
	fprintf(f, "| # | Commit | Claimed B/A | Fresh B/A | Interval | Held-out B/A | Verdict | Flags |\n");
	fprintf(f, "|--:|:--|--:|--:|:--|:--|:--|:--|\n");
	for (size_t i = 0; i < a->claims->nclaims; i++) {
		const lp_audit_result *r = &a->results[i];
		row_cells c;
		cells(&c, r);
		fprintf(f, "| %zu | `%.12s` | %s | %s | %s | %s | **%s**", i + 1,
			r->claim->missing ? r->claim->given : r->claim->commit, c.claimed, c.fresh, c.interval,
			c.held, lp_audit_status_name(r->status));
		if (r->status == LP_AUDIT_SHRUNK)
			fprintf(f, " by %.0f%%", r->shrinkage_pct);
		fprintf(f, " | %s |\n", c.flags);
	}
}

static char *audit_markdown(const lp_audit_run *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "## benchgate audit\n\n%zu claimed win%s from %s `%s`, re-measured with %s (%s, %s is better) at level %.3g per claim.\n\n",
		a->claims->nclaims, plural(a->claims->nclaims), source_text(a->claims->kind), a->claims->path,
		a->cfg_from ? a->cfg_from : a->cfg->path, a->cfg->metric, a->cfg->lower_is_better ? "lower" : "higher",
		a->level);
	md_claims(f, a);
	fprintf(f, "\n**Campaign**: ");
	campaign_totals(f, a);
	fprintf(f, ".\n\n**Worth reverting**:");
	reverts(f, a, "`");
	fprintf(f, "\n%zu of %zu claimed wins fail the audit. Machine `%s` (%s, %d PUs), seed %llu.\n", a->nfailed,
		a->claims->nclaims, a->probe.fingerprint, a->probe.cpu_model, a->probe.pus, a->o->seed);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int outputs(const lp_audit_run *a)
{
	char *text;
	int error = 0;

	if (a->o->export_md) {
		if ((text = audit_markdown(a)) == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory writing %s", a->o->export_md);
		error = bg_file_write_atomic(a->o->export_md, text);
		free(text);
		if (error < 0)
			return error;
	}
	if (!a->o->json) {
		audit_print(stdout, a);
		return 0;
	}
	if ((text = audit_json(a)) == NULL)
		return bg_error_nomem();
	puts(text);
	free(text);
	return 0;
}

int cli_cmd_audit(int argc, char **argv)
{
	lp_audit_opts o;
	lp_audit_run a;
	gsl_rng *rng;
	int rc = parse_args(&o, argc, argv);

	if (rc >= 0)
		return rc;
	memset(&a, 0, sizeof(a));
	a.o = &o;
	if ((rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return cli_error("out of memory");
	gsl_rng_set(rng, (unsigned long)o.seed);
	if (lp_audit_remeasure(&a, rng) < 0 || outputs(&a) < 0)
		rc = cli_error("audit: %s", bg_error_code() == BG_EINTR ?
			       "interrupted: nothing was written but exports under .git/benchgate/exports" :
			       bg_error_last());
	else
		rc = a.nfailed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	lp_audit_run_free(&a);
	gsl_rng_free(rng);
	return rc;
}
