/* cmd_calibrate: `benchgate calibrate` — its options, the text report and
 * the exit status. The calibration itself is loop/lp_calibrate.c, its
 * JSON loop/lp_calibration_json.c. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_calibrate.h"
#include "lp_json.h"
#include "bg_error.h"
#include "smp_metric.h"
#include "smp_runner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_W 24

static const cli_opt_help calibrate_help = {
	"calibrate", "calibrate [options] [CMD ...]",
	"Measures how noisy this machine is and what benchgate can detect on it.\n"
	"Each workload runs against itself (A/A: identical arms) in randomized\n"
	"interleaved rounds, rounds pinned as gate pins them alternating with\n"
	"unpinned ones. Reports:\n"
	"  - system checks (governor, turbo, SMT, isolated CPUs, load, steal time,\n"
	"    ASLR, transparent huge pages, perf counters, pinning), each problem\n"
	"    with its fix;\n"
	"  - per workload: CV of the runs and of the paired differences, lag-1\n"
	"    autocorrelation, outliers, warm-up, drift, pinned against unpinned;\n"
	"  - the decision rule run on the A/A data: its false-positive rate with\n"
	"    a 95% interval, against alpha;\n"
	"  - the smallest change detectable with 80% power in 10 s, 60 s and\n"
	"    300 s, and the time needed to detect 1%, 2% and 5%;\n"
	"  - a one-line verdict.\n"
	"The calibration is written to .git/benchgate/calibration.json inside a\n"
	"git repository, else to $XDG_CACHE_HOME/benchgate/ (~/.cache/benchgate/)\n"
	"as calibration-<machine fingerprint>.json; gate plans its budget with it.\n",
	"Exit status: 0 it ran (whatever the verdict), 2 error or interrupted\n"
	"(nothing written).\n",
	NULL
};

/* What the table cannot check: the metric's name, the operands. */
static int check_args(lp_calibrate_opts *o, int argc, char **argv, int next)
{
	if (o->metric && cli_metric_check(&calibrate_help, o->metric) >= 0)
		return CLI_EXIT_ERROR;
	o->cmds = argv + next;
	o->ncmds = argc - next;
	if (o->config && o->ncmds > 0)
		return cli_opt_usage_error(&calibrate_help, "--config and commands exclude each other");
	for (int i = 0; i < o->ncmds; i++)
		if (o->cmds[i][0] == '\0')
			return cli_opt_usage_error(&calibrate_help, "command %d is empty", i + 1);
	return -1;
}

/* Returns -1 to go on, or the exit code to return now. */
static int parse_args(lp_calibrate_opts *o, int argc, char **argv)
{
	int seeded = 0, direction = -1, next, rc;
	const cli_opt opts[] = {
		CLI_GROUP("Workloads:\n"
			  "  (none)                the bundled calibration workloads bg-int, bg-fp,\n"
			  "                        bg-mem, bg-alloc, bg-sys (found in $BENCHGATE_CORPORA,\n"
			  "                        else <benchgate's directory>/corpora, else\n"
			  "                        " LP_CORPORA_DIR ")\n"
			  "  CMD ...               each command is one workload (run with /bin/sh)"),
		{ CLI_OPT_STRING, "config", 'c', &o->config, "FILE",
		  "the training workloads of FILE (a benchgate.json):\n"
		  "inside a git repository run in an export of HEAD\n"
		  "built with the config's build command (as gate\n"
		  "does), elsewhere in FILE's directory, built;\n"
		  "its metric, alpha, min_effect, budget, rounds and\n"
		  "pinning are used", 0, 0, NULL },
		CLI_GROUP(""),
		{ CLI_OPT_DOUBLE, "time", 't', &o->time_s, "SEC", "bound for the whole run (default 120)", 1.0, 1e6, NULL },
		{ CLI_OPT_DOUBLE, "budget", 0, &o->budget_s, "SEC",
		  "seconds per decision the verdict is for (default 60,\n"
		  "or the config's budget.max_seconds)", 0.1, 1e6, &o->budget_set },
		{ CLI_OPT_DOUBLE, "alpha", 0, &o->alpha, "P", "level of the rule (default 0.05, or the config's)", 1e-9, 0.5, &o->alpha_set },
		{ CLI_OPT_DOUBLE, "min-effect", 0, &o->min_effect, "F", "the rule's smallest change (default 0.01, or the config's)",
		  0.0, 0.5, &o->min_effect_set },
		{ CLI_OPT_STRING, "metric", 0, &o->metric, "NAME", "wall (default), cpu, user, sys, maxrss, or a METRIC name", 0, 0, NULL },
		{ CLI_OPT_CHOICE, "direction", 0, &direction, "lower|higher", "which way is better (default lower)", 0, 0, NULL },
		{ CLI_OPT_UINT, "sims", 0, &o->sims, "N", "simulated A/A decisions per workload (default 2000)", 100, 1000000, NULL },
		{ CLI_OPT_U64, "seed", 0, &o->seed, "N", "seed of the shuffles and the simulations", 0, 0, &seeded },
		{ CLI_OPT_SWITCH, "no-save", 0, &o->no_save, NULL, "do not write the calibration file", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "json", 0, &o->json, NULL, "the report as JSON on stdout (the file's content)", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "no progress, no warnings", 0, 0, NULL },
		CLI_END
	};

	memset(o, 0, sizeof(*o));
	o->time_s = 120.0;
	o->budget_s = 60.0;
	o->alpha = 0.05;
	o->min_effect = 0.01;
	o->sims = 2000;
	if ((rc = cli_opt_parse(&next, opts, &calibrate_help, argc, argv)) >= 0)
		return rc;
	o->direction = direction < 0 ? -1 : direction == 0;
	o->seed = cli_seed(seeded, o->seed);
	return check_args(o, argc, argv, next);
}

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

static void calibrate_print(FILE *f, const lp_calib_report *r)
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

static int output(const lp_calib_report *r, const lp_calibrate_opts *o)
{
	cJSON *doc;
	char *text;

	if (!o->json) {
		calibrate_print(stdout, r);
		return 0;
	}
	if ((doc = lp_calibrate_json(r)) == NULL || (text = cJSON_Print(doc)) == NULL) {
		cJSON_Delete(doc);
		return bg_error_nomem();
	}
	puts(text);
	free(text);
	cJSON_Delete(doc);
	return 0;
}

int cli_cmd_calibrate(int argc, char **argv)
{
	lp_calib_report r;
	lp_config *cfg = NULL;
	char *corpora = NULL;
	gsl_rng *rng = NULL;
	lp_calibrate_opts o;
	int rc = parse_args(&o, argc, argv), error, save_error = 0;

	if (rc >= 0)
		return rc;
	memset(&r, 0, sizeof(r));
	if ((rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return cli_error("out of memory");
	gsl_rng_set(rng, (unsigned long)o.seed);
	if ((error = lp_calibrate_measure(&r, &cfg, &corpora, &o, rng)) == 0) {
		if (!o.no_save && (save_error = lp_calibrate_save(&r)) < 0)
			cli_error("calibrate: the calibration was not written: %s", bg_error_last());
		error = output(&r, &o);
	}
	if (error < 0)
		rc = cli_error("calibrate: %s", bg_error_code() == BG_EINTR
			       ? "interrupted: nothing was written" : bg_error_last());
	else
		rc = save_error < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
	lp_calib_report_clear(&r);
	lp_config_free(cfg);
	free(corpora);
	gsl_rng_free(rng);
	return rc;
}
