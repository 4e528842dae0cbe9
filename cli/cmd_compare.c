/* cmd_compare: `benchgate compare` — its options, the text summary, the
 * JSON export (DESIGN.md, "JSON outputs") and markdown, and the exit
 * status (--fail-on). The measurement is loop/lp_compare.c. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_compare.h"
#include "lp_json.h"
#include "bg_error.h"
#include "bg_file.h"
#include "bg_progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt_help compare_help = {
	"compare", "compare [options] CMD_A CMD_B",
	"Measures CMD_A (the baseline) and CMD_B (the candidate) in randomized\n"
	"interleaved rounds: every round runs each once, in a shuffled order, so\n"
	"machine drift hits both alike. Prints each arm's numbers and one verdict:\n"
	"IMPROVED, REGRESSED, NO_CHANGE or INCONCLUSIVE, with the ratio B/A, its\n"
	"interval and a p-value from the paired log-ratios of the rounds.\n",
	"Exit status: 0 finished, 1 --fail-on condition met, 2 error.\n",
	NULL
};

static void defaults(lp_compare_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->warmup = 2;
	o->min_runs = 5;
	o->max_runs = 5000;
	o->max_time = 60.0;
	o->metric = "wall";
	o->lower_is_better = 1;
	o->alpha = 0.05;
	o->min_effect = 0.01;
	o->pin = "auto";
	o->resamples = 10000;
}

/* What the table cannot check: the operands, the metric, the run limits. */
static int check_args(lp_compare_opts *o, int argc, char **argv, int next)
{
	if (argc - next != 2)
		return cli_opt_usage_error(&compare_help, "expected two commands (CMD_A CMD_B), got %d",
					   argc - next);
	o->cmd_a = argv[next];
	o->cmd_b = argv[next + 1];
	if (o->cmd_a[0] == '\0' || o->cmd_b[0] == '\0')
		return cli_opt_usage_error(&compare_help, "a command is empty");
	if (cli_metric_check(&compare_help, o->metric) >= 0)
		return CLI_EXIT_ERROR;
	if (o->ranged && !(o->min_effect < o->range_hi - o->range_lo))
		return cli_opt_usage_error(&compare_help, "--min-effect %g is not below the width of --range %g,%g",
					   o->min_effect, o->range_lo, o->range_hi);
	if (!o->difference && o->min_effect >= 1.0)
		return cli_opt_usage_error(&compare_help, "--min-effect %g: a relative change must be below 1 (--effect "
							  "difference takes it in the metric's units)", o->min_effect);
	if (o->difference && o->runs)
		return cli_opt_usage_error(&compare_help, "--effect difference goes with the sequential rule, not --runs "
							  "(its bootstrap is of ratios)");
	if (o->metric_regex && smp_metric_builtin(o->metric))
		return cli_opt_usage_error(&compare_help, "--metric-regex needs --metric NAME, the name of what it reads "
							  "(not a built-in metric)");
	if (o->min_runs > o->max_runs)
		return cli_opt_usage_error(&compare_help, "--min-runs (%u) is larger than --max-runs (%u)",
					   o->min_runs, o->max_runs);
	return -1;
}

/* --range LO,HI into o (it implies the difference effect); -1 when it is
 * not two finite numbers with LO < HI. */
static int parse_range(lp_compare_opts *o, const char *s)
{
	char *end;
	double lo = strtod(s, &end), hi;

	if (end == s || *end != ',')
		return -1;
	s = end + 1;
	hi = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(lo) || !isfinite(hi) || !(lo < hi))
		return -1;
	o->ranged = 1;
	o->difference = 1;
	o->range_lo = lo;
	o->range_hi = hi;
	return 0;
}

/* Returns -1 to go on, or the exit code to return now. */
static int parse_args(lp_compare_opts *o, int argc, char **argv)
{
	int seeded = 0, direction = 0, fail_on = -1, next, rc;
	const char *range = NULL;
	const cli_opt opts[] = {
		CLI_GROUP("Sampling:"),
		{ CLI_OPT_UINT, "warmup", 'w', &o->warmup, "N", "warm-up rounds, discarded (default 2)", 0, 1000, NULL },
		{ CLI_OPT_UINT, "runs", 'r', &o->runs, "N",
		  "exactly N rounds, one bootstrap verdict at the end\n"
		  "(default: look after every round, stop when clear)", 2, 10000000, NULL },
		{ CLI_OPT_UINT, "min-runs", 0, &o->min_runs, "N", "rounds before sampling may stop (default 5)", 2, 10000000, NULL },
		{ CLI_OPT_UINT, "max-runs", 0, &o->max_runs, "N", "most rounds (default 5000)", 2, 10000000, NULL },
		{ CLI_OPT_DOUBLE, "max-time", 't', &o->max_time, "SEC", "time budget for the whole measurement (default 60)", 0.001, 1e7, NULL },
		{ CLI_OPT_DOUBLE, "timeout", 0, &o->timeout, "SEC", "kill a run (its whole process group) after SEC", 0.001, 1e7, NULL },
		{ CLI_OPT_STRING, "pin", 0, &o->pin, "auto|none|C[,H]",
		  "pin the command to PU C and benchgate to PU H\n"
		  "(default auto: two different PUs when allowed)", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "no-shell", 'N', &o->no_shell, NULL, "run the commands without /bin/sh (split on blanks)", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "ignore-failure", 'i', &o->ignore_failure, NULL, "measure commands that exit non-zero", 0, 0, NULL },
		{ CLI_OPT_U64, "seed", 0, &o->seed, "N", "seed of the shuffles and the bootstrap", 0, 0, &seeded },
		CLI_GROUP("Decision:"),
		{ CLI_OPT_STRING, "metric", 0, &o->metric, "NAME",
		  "wall (default), cpu, user, sys, maxrss,\n"
		  "instructions, cycles, or a METRIC name the\n"
		  "command prints as 'METRIC name=value'", 0, 0, NULL },
		{ CLI_OPT_STRING, "metric-regex", 0, &o->metric_regex, "ERE",
		  "read --metric NAME from the last output line\n"
		  "this regex (one group) matches, e.g.\n"
		  "'^val_bpb:[[:space:]]*([0-9.]+)'", 0, 0, NULL },
		{ CLI_OPT_CHOICE, "metric-aggregate", 0, &o->metric_aggregate, "last|mean|median",
		  "a METRIC a run prints several times: its last\n"
		  "value (default, as pi-autoresearch), mean or median", 0, 0, NULL },
		{ CLI_OPT_CHOICE, "direction", 0, &direction, "lower|higher", "which way is better (default lower)", 0, 0, NULL },
		{ CLI_OPT_CHOICE, "effect", 0, &o->difference, "ratio|difference",
		  "B/A (default), or B - A for a metric that can be\n"
		  "zero or negative (scores, counts); --min-effect\n"
		  "is then in the metric's units", 0, 0, NULL },
		{ CLI_OPT_STRING, "range", 0, &range, "LO,HI",
		  "the metric's bounds (a win rate 0,1): B - A by the\n"
		  "betting sequence, which stops sooner on bounded\n"
		  "values; implies --effect difference", 0, 0, NULL },
		{ CLI_OPT_DOUBLE, "alpha", 0, &o->alpha, "P", "false-verdict rate (default 0.05)", 1e-9, 0.5, NULL },
		{ CLI_OPT_DOUBLE, "min-effect", 0, &o->min_effect, "F",
		  "smallest relative change that matters (default\n"
		  "0.01); with --effect difference, in the metric's units", 0.0, 1e12, NULL },
		{ CLI_OPT_CHOICE, "fail-on", 0, &fail_on, "regression|no-improvement",
		  "exit 1 when B regressed / did not improve", 0, 0, NULL },
		CLI_GROUP("Output:"),
		{ CLI_OPT_STRING, "export-json", 0, &o->export_json, "FILE", "every sample, the machine and the verdict", 0, 0, NULL },
		{ CLI_OPT_STRING, "export-markdown", 0, &o->export_md, "FILE", "the summary as a markdown table", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "no warnings, no progress", 0, 0, NULL },
		CLI_END
	};

	defaults(o);
	if ((rc = cli_opt_parse(&next, opts, &compare_help, argc, argv)) >= 0)
		return rc;
	o->lower_is_better = direction == 0;
	if (range && parse_range(o, range) < 0)
		return cli_opt_usage_error(&compare_help, "--range \"%s\": expected LO,HI, two finite numbers with LO < HI",
					   range);
	o->fail_on = fail_on < 0 ? LP_FAIL_ON_NONE : fail_on == 0 ? LP_FAIL_ON_REGRESSION : LP_FAIL_ON_NO_IMPROVEMENT;
	o->seed = cli_seed(seeded, o->seed);
	return check_args(o, argc, argv, next);
}

static const char *arm_cmd(const lp_compare_run *run, unsigned arm)
{
	return arm == 0 ? run->opts->cmd_a : run->opts->cmd_b;
}

/* Summaries of both arms; 0 or an error (message set). */
static int summaries(lp_arm_summary s[2], const lp_compare_run *run)
{
	double *a = NULL, *b = NULL;
	size_t n;
	int error;

	if ((error = lp_compare_pairs(&a, &b, &n, run->runner, run->opts->metric)) == 0 &&
	    (error = lp_arm_summarise(&s[0], run->runner, 0, a, n)) == 0)
		error = lp_arm_summarise(&s[1], run->runner, 1, b, n);
	free(a);
	free(b);
	return error;
}

static void print_arm(FILE *f, const lp_compare_run *run, unsigned arm, const lp_arm_summary *s)
{
	const char *m = run->opts->metric;
	char med[32], mad[32], mean[32], sd[32], lo[32], hi[32], user[32], sys[32];

	cli_format_value(med, sizeof(med), m, s->median);
	cli_format_value(mad, sizeof(mad), m, s->mad);
	cli_format_value(mean, sizeof(mean), m, s->mean);
	cli_format_value(sd, sizeof(sd), m, s->sd);
	cli_format_value(lo, sizeof(lo), m, s->min);
	cli_format_value(hi, sizeof(hi), m, s->max);
	cli_format_value(user, sizeof(user), "user", s->user_mean);
	cli_format_value(sys, sizeof(sys), "sys", s->sys_mean);
	fprintf(f, "%s  %s\n", arm == 0 ? "A" : "B", arm_cmd(run, arm));
	fprintf(f, "   %-6s median %s ± %s (MAD)   mean %s ± %s (σ)\n", m, med, mad, mean, sd);
	fprintf(f, "          range %s … %s   user %s   sys %s   %zu runs\n", lo, hi, user, sys, s->n);
	if (s->first_cpt && s->first_cpt <= s->n / 4)
		fprintf(f, "          its level changed after round %zu of %zu: a warm-up the %u warm-up rounds did not absorb? (--warmup)\n",
			s->first_cpt, s->n, run->opts->warmup);
}

static void print_verdict(FILE *f, const lp_compare_run *run)
{
	const st_effect *e = &run->effect;
	double pct = (e->ratio - 1.0) * 100.0;

	if (e->difference) {
		fprintf(f, "%-12s B - A = %.4g [%.4g, %.4g]  (%.4g%% interval, p = %.2g)\n", st_verdict_name(e->verdict),
			e->ratio, e->lo, e->hi, e->level * 100.0, e->p_value);
		fprintf(f, "             %s, %s is better, min effect %.4g (in its units), %zu rounds in %.1f s, stopped: %s\n",
			run->opts->metric, run->opts->lower_is_better ? "lower" : "higher", run->opts->min_effect, e->n,
			run->elapsed_s, run->stopped);
		if (st_rule_far_shown(e))
			fprintf(f, "             the %.4g%% set also holds B - A <= %.4g and >= %.4g (few rounds)\n",
				e->level * 100.0, e->far_lo, e->far_hi);
		return;
	}
	fprintf(f, "%-12s B/A = %.4f [%.4f, %.4f]  (%+.2f%%, %.4g%% interval, p = %.2g)\n",
		st_verdict_name(e->verdict), e->ratio, e->lo, e->hi, pct, e->level * 100.0, e->p_value);
	fprintf(f, "             %s, %s is better, min effect %.3g%%, %zu rounds in %.1f s, stopped: %s\n",
		run->opts->metric, run->opts->lower_is_better ? "lower" : "higher",
		run->opts->min_effect * 100.0, e->n, run->elapsed_s, run->stopped);
	if (st_rule_far_shown(e))
		fprintf(f, "             the %.4g%% set also holds B/A <= %.4f and >= %.4f (few rounds: the\n"
			"             evidence against far ratios is capped), so only what it excludes is decided\n",
			e->level * 100.0, e->far_lo, e->far_hi);
}

static void compare_print(FILE *f, const lp_compare_run *run)
{
	lp_arm_summary s[2];

	fprintf(f, "machine  %s, %d PUs, kernel %s, fingerprint %s\n",
		run->probe.cpu_model, run->probe.pus, run->probe.kernel, run->probe.fingerprint);
	if (smp_pinning_active(run->pin))
		fprintf(f, "pinning  command on PU %d, benchgate on PU %d\n",
			smp_pinning_child_pu(run->pin), smp_pinning_harness_pu(run->pin));
	else
		fprintf(f, "pinning  none: %s\n", smp_pinning_reason(run->pin));
	fprintf(f, "seed     %llu\n\n", run->opts->seed);
	if (summaries(s, run) == 0) {
		print_arm(f, run, 0, &s[0]);
		print_arm(f, run, 1, &s[1]);
		fputc('\n', f);
	}
	print_verdict(f, run);
}

static cJSON *settings_json(const lp_compare_run *run)
{
	const lp_compare_opts *o = run->opts;
	cJSON *s = cJSON_CreateObject();

	if (s == NULL)
		return NULL;
	cJSON_AddStringToObject(s, "cmd_a", o->cmd_a);
	cJSON_AddStringToObject(s, "cmd_b", o->cmd_b);
	cJSON_AddNumberToObject(s, "warmup", o->warmup);
	cJSON_AddNumberToObject(s, "runs", o->runs);
	cJSON_AddNumberToObject(s, "min_runs", o->min_runs);
	cJSON_AddNumberToObject(s, "max_runs", o->max_runs);
	cJSON_AddNumberToObject(s, "max_time", o->max_time);
	cJSON_AddStringToObject(s, "metric", o->metric);
	if (o->metric_regex)
		cJSON_AddStringToObject(s, "metric_regex", o->metric_regex);
	cJSON_AddStringToObject(s, "metric_aggregate", o->metric_aggregate == SMP_AGG_MEAN ? "mean"
						       : o->metric_aggregate == SMP_AGG_MEDIAN ? "median" : "last");
	cJSON_AddStringToObject(s, "direction", o->lower_is_better ? "lower" : "higher");
	cJSON_AddStringToObject(s, "effect", o->difference ? "difference" : "ratio");
	if (o->ranged) {
		cJSON *r = cJSON_AddArrayToObject(s, "range");

		cJSON_AddItemToArray(r, cJSON_CreateNumber(o->range_lo));
		cJSON_AddItemToArray(r, cJSON_CreateNumber(o->range_hi));
		cJSON_AddStringToObject(s, "sequence", "betting");
	}
	cJSON_AddNumberToObject(s, "alpha", o->alpha);
	cJSON_AddNumberToObject(s, "min_effect", o->min_effect);
	cJSON_AddStringToObject(s, "pin", o->pin);
	cJSON_AddNumberToObject(s, "seed", (double)o->seed);
	cJSON_AddNumberToObject(s, "timeout", o->timeout);
	cJSON_AddBoolToObject(s, "no_shell", o->no_shell);
	cJSON_AddBoolToObject(s, "ignore_failure", o->ignore_failure);
	cJSON_AddNumberToObject(s, "bootstrap_resamples", (double)o->resamples);
	cJSON_AddStringToObject(s, "rule", o->runs ? "fixed_bootstrap" : "confidence_sequence");
	cJSON_AddNumberToObject(s, "cs_rho", run->rule.rho);
	return s;
}

static cJSON *sample_json(const lp_compare_run *run, const smp_sample *s)
{
	const smp_job *job = smp_runner_job(run->runner, s->job);
	cJSON *o = cJSON_CreateObject(), *m;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "round", s->round);
	cJSON_AddNumberToObject(o, "order", s->order);
	cJSON_AddStringToObject(o, "arm", job->arm == 0 ? "A" : "B");
	cJSON_AddStringToObject(o, "workload", "default");
	cJSON_AddNumberToObject(o, "wall_ns", (double)s->wall_ns);
	cJSON_AddNumberToObject(o, "cpu_ns", (double)(s->user_ns + s->sys_ns));
	cJSON_AddNumberToObject(o, "user_ns", (double)s->user_ns);
	cJSON_AddNumberToObject(o, "sys_ns", (double)s->sys_ns);
	cJSON_AddNumberToObject(o, "maxrss_kb", (double)s->maxrss_kb);
	if (s->outcome == SMP_EXITED || s->outcome == SMP_EXEC_FAILED)
		cJSON_AddNumberToObject(o, "exit", s->exit_code);
	else
		cJSON_AddNullToObject(o, "exit");
	if (s->outcome == SMP_SIGNALED)
		cJSON_AddNumberToObject(o, "signal", s->term_signal);
	cJSON_AddBoolToObject(o, "timed_out", s->outcome == SMP_TIMED_OUT);
	if (s->hw_ok) {
		cJSON_AddNumberToObject(o, "instructions", (double)s->instructions);
		cJSON_AddNumberToObject(o, "cycles", (double)s->cycles);
	}
	m = cJSON_AddObjectToObject(o, "metrics");
	for (size_t i = 0; m && i < s->metrics.n; i++)
		cJSON_AddNumberToObject(m, s->metrics.items[i].name, s->metrics.items[i].value);
	return o;
}

static cJSON *effect_json(const lp_compare_run *run)
{
	const st_effect *e = &run->effect;
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "metric", run->opts->metric);
	lp_json_effect(o, e);
	lp_json_interval(o, "far", e->far_lo, e->far_hi);
	cJSON_AddStringToObject(o, "stopped", run->stopped);
	cJSON_AddNumberToObject(o, "rounds", (double)e->n);
	cJSON_AddNumberToObject(o, "elapsed_s", run->elapsed_s);
	return o;
}

static cJSON *arms_json(const lp_compare_run *run)
{
	lp_arm_summary s[2];
	cJSON *arr = cJSON_CreateArray();

	if (arr == NULL || summaries(s, run) < 0)
		return arr;
	for (unsigned k = 0; k < 2; k++) {
		cJSON *a = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, a);
		cJSON_AddStringToObject(a, "arm", k == 0 ? "A" : "B");
		cJSON_AddStringToObject(a, "cmd", arm_cmd(run, k));
		cJSON_AddNumberToObject(a, "runs", (double)s[k].n);
		lp_json_number(a, "median", s[k].median);
		lp_json_number(a, "mad", s[k].mad);
		lp_json_number(a, "mean", s[k].mean);
		lp_json_number(a, "sd", s[k].sd);
		lp_json_number(a, "min", s[k].min);
		lp_json_number(a, "max", s[k].max);
		lp_json_number(a, "user_mean_s", s[k].user_mean);
		lp_json_number(a, "sys_mean_s", s[k].sys_mean);
		cJSON_AddNumberToObject(a, "change_points", (double)s[k].ncpts);
		if (s[k].ncpts)
			cJSON_AddNumberToObject(a, "first_change_point", (double)s[k].first_cpt);
		else
			cJSON_AddNullToObject(a, "first_change_point");
	}
	return arr;
}

static char *compare_json(const lp_compare_run *run)
{
	cJSON *doc = lp_json_doc_new(), *samples;
	const smp_sample *s;
	size_t n;
	char *text;

	if (doc == NULL)
		return NULL;
	cJSON_AddItemToObject(doc, "machine", lp_json_machine(&run->probe, run->steal_share));
	cJSON_AddItemToObject(doc, "settings", settings_json(run));
	cJSON_AddItemToObject(doc, "pinning", lp_json_pinning(run->pin));
	cJSON_AddItemToObject(doc, "arms", arms_json(run));
	cJSON_AddItemToObject(doc, "effect", effect_json(run));
	samples = cJSON_AddArrayToObject(doc, "samples");
	s = smp_runner_samples(run->runner, &n);
	for (size_t i = 0; samples && i < n; i++)
		cJSON_AddItemToArray(samples, sample_json(run, &s[i]));
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	return text;
}

static char *compare_markdown(const lp_compare_run *run)
{
	const char *m = run->opts->metric;
	const st_effect *e = &run->effect;
	lp_arm_summary s[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "| Arm | Command | Median | MAD | Mean ± σ | Min … Max | Runs |\n");
	fprintf(f, "|:---|:---|---:|---:|---:|---:|---:|\n");
	if (summaries(s, run) == 0)
		for (unsigned k = 0; k < 2; k++) {
			char v[6][32];
			cli_format_value(v[0], 32, m, s[k].median);
			cli_format_value(v[1], 32, m, s[k].mad);
			cli_format_value(v[2], 32, m, s[k].mean);
			cli_format_value(v[3], 32, m, s[k].sd);
			cli_format_value(v[4], 32, m, s[k].min);
			cli_format_value(v[5], 32, m, s[k].max);
			fprintf(f, "| %s | `%s` | %s | %s | %s ± %s | %s … %s | %zu |\n",
				k == 0 ? "A" : "B", arm_cmd(run, k), v[0], v[1], v[2], v[3], v[4], v[5], s[k].n);
		}
	fprintf(f, e->difference ? "\n**%s**: B − A = %.4g [%.4g, %.4g] (%.4g%% interval), p = %.2g, %s over %zu rounds; stopped: %s.\n"
				 : "\n**%s**: B/A = %.4f [%.4f, %.4f] (%.4g%% interval), p = %.2g, %s over %zu rounds; stopped: %s.\n",
		st_verdict_name(e->verdict), e->ratio, e->lo, e->hi, e->level * 100.0, e->p_value,
		m, e->n, run->stopped);
	fprintf(f, "\nMachine `%s` (%s, %d PUs), seed %llu.\n", run->probe.fingerprint,
		run->probe.cpu_model, run->probe.pus, run->opts->seed);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int write_exports(const lp_compare_run *run)
{
	const lp_compare_opts *o = run->opts;
	char *text;
	int error = 0;

	if (o->export_json) {
		if ((text = compare_json(run)) == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory writing %s", o->export_json);
		error = bg_file_write_atomic(o->export_json, text);
		free(text);
	}
	if (error == 0 && o->export_md) {
		if ((text = compare_markdown(run)) == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory writing %s", o->export_md);
		error = bg_file_write_atomic(o->export_md, text);
		free(text);
	}
	return error;
}

static void warn_machine(const lp_compare_run *run)
{
	const char *first;
	int quiet = run->opts->quiet;

	for (int i = 0; i < run->probe.nwarnings; i++)
		bg_warn(quiet, "%s", run->probe.warnings[i]);
	if (!smp_pinning_active(run->pin) || smp_pinning_reason(run->pin)[0])
		bg_warn(quiet, "pinning: %s", smp_pinning_reason(run->pin));
	if (run->runner && smp_runner_malformed(run->runner, &first))
		bg_warn(quiet, "%zu malformed METRIC line(s) ignored; the first: %s",
			    smp_runner_malformed(run->runner, NULL), first);
	if (run->runner && smp_runner_truncated(run->runner))
		bg_warn(quiet, "%zu run(s) printed more than 1 MiB; the excess was dropped",
			    smp_runner_truncated(run->runner));
}

static int exit_code(const lp_compare_run *run)
{
	st_verdict v = run->effect.verdict;

	if (run->opts->fail_on == LP_FAIL_ON_REGRESSION && v == ST_REGRESSED)
		return CLI_EXIT_FAIL;
	if (run->opts->fail_on == LP_FAIL_ON_NO_IMPROVEMENT && v != ST_IMPROVED)
		return CLI_EXIT_FAIL;
	return CLI_EXIT_OK;
}

int cli_cmd_compare(int argc, char **argv)
{
	lp_compare_opts o;
	lp_compare_run run = { 0 };
	gsl_rng *rng = NULL;
	int rc = parse_args(&o, argc, argv), error;

	if (rc >= 0)
		return rc;
	run.opts = &o;
	if ((rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return cli_error("out of memory");
	gsl_rng_set(rng, (unsigned long)o.seed);
	error = lp_compare_measure(&run, rng);
	if (error == 0) {
		warn_machine(&run);
		compare_print(stdout, &run);
		fflush(stdout);
		error = write_exports(&run);
	}
	if (error < 0 && bg_error_code() == BG_ECHILD)
		rc = cli_error("compare: %s\n(use -i/--ignore-failure to measure failing commands anyway)",
			       bg_error_last());
	else if (error < 0)
		rc = cli_error("compare: %s", bg_error_last());
	else
		rc = exit_code(&run);
	lp_compare_run_clear(&run);
	gsl_rng_free(rng);
	return rc;
}
