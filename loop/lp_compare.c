/* lp_compare: `benchgate compare` — options, the measurement loop and the
 * stopping rule. Outputs are in lp_compare_out.c.
 *
 * Stopping rule: after every round (from --min-runs on) the anytime-valid
 * confidence sequence of st_cs.h is updated with the round's paired
 * log-difference and the verdict rule applied to it; sampling stops at the
 * first verdict other than INCONCLUSIVE, or when --max-runs/--max-time end
 * it. Looking after every round does not inflate the error rate: the
 * sequence holds at all times at once. With --runs N there is one look, a
 * bootstrap interval over the N rounds. */
#include "lp_compare.h"
#include "lp_cli.h"
#include "cli.h"
#include "cli_commands.h"
#include "lp_report.h"
#include "bg_error.h"
#include "bg_interrupt.h"
#include "bg_file.h"
#include "st_changepoint.h"
#include "st_cs.h"
#include "st_desc.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <gsl/gsl_statistics_double.h>

static const char usage[] =
	"usage: benchgate compare [options] CMD_A CMD_B\n"
	"try 'benchgate compare --help' for the options\n";

static const char help[] =
	"usage: benchgate compare [options] CMD_A CMD_B\n"
	"\n"
	"Measures CMD_A (the baseline) and CMD_B (the candidate) in randomized\n"
	"interleaved rounds: every round runs each once, in a shuffled order, so\n"
	"machine drift hits both alike. Prints each arm's numbers and one verdict:\n"
	"IMPROVED, REGRESSED, NO_CHANGE or INCONCLUSIVE, with the ratio B/A, its\n"
	"interval and a p-value from the paired log-ratios of the rounds.\n"
	"\n"
	"Sampling:\n"
	"  -w, --warmup N        warm-up rounds, discarded (default 2)\n"
	"  -r, --runs N          exactly N rounds, one bootstrap verdict at the end\n"
	"                        (default: look after every round, stop when clear)\n"
	"      --min-runs N      rounds before sampling may stop (default 5)\n"
	"      --max-runs N      most rounds (default 5000)\n"
	"  -t, --max-time SEC    time budget for the whole measurement (default 60)\n"
	"      --timeout SEC     kill a run (its whole process group) after SEC\n"
	"      --pin auto|none|C[,H]\n"
	"                        pin the command to PU C and benchgate to PU H\n"
	"                        (default auto: two different PUs when allowed)\n"
	"  -N, --no-shell        run the commands without /bin/sh (split on blanks)\n"
	"  -i, --ignore-failure  measure commands that exit non-zero\n"
	"      --seed N          seed of the shuffles and the bootstrap\n"
	"\n"
	"Decision:\n"
	"      --metric NAME     wall (default), cpu, user, sys, maxrss,\n"
	"                        instructions, cycles, or a METRIC name the\n"
	"                        command prints as 'METRIC name=value'\n"
	"      --direction lower|higher\n"
	"                        which way is better (default lower)\n"
	"      --alpha P         false-verdict rate (default 0.05)\n"
	"      --min-effect F    smallest relative change that matters (default 0.01)\n"
	"      --fail-on regression|no-improvement\n"
	"                        exit 1 when B regressed / did not improve\n"
	"\n"
	"Output:\n"
	"      --export-json FILE    every sample, the machine and the verdict\n"
	"      --export-markdown FILE\n"
	"  -q, --quiet           no warnings, no progress\n"
	"  -h, --help            this help\n"
	"\n"
	"Exit status: 0 finished, 1 --fail-on condition met, 2 error.\n";

enum {
	OPT_MIN_RUNS = 256, OPT_MAX_RUNS, OPT_METRIC, OPT_DIRECTION, OPT_ALPHA,
	OPT_MIN_EFFECT, OPT_PIN, OPT_SEED, OPT_TIMEOUT, OPT_EXPORT_JSON,
	OPT_EXPORT_MD, OPT_FAIL_ON
};

static const struct option long_opts[] = {
	{ "warmup", required_argument, NULL, 'w' },
	{ "runs", required_argument, NULL, 'r' },
	{ "min-runs", required_argument, NULL, OPT_MIN_RUNS },
	{ "max-runs", required_argument, NULL, OPT_MAX_RUNS },
	{ "max-time", required_argument, NULL, 't' },
	{ "metric", required_argument, NULL, OPT_METRIC },
	{ "direction", required_argument, NULL, OPT_DIRECTION },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "min-effect", required_argument, NULL, OPT_MIN_EFFECT },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "export-json", required_argument, NULL, OPT_EXPORT_JSON },
	{ "export-markdown", required_argument, NULL, OPT_EXPORT_MD },
	{ "no-shell", no_argument, NULL, 'N' },
	{ "ignore-failure", no_argument, NULL, 'i' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
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

static int parse_choice(const char *arg, const char *const *choices, const char *opt)
{
	for (int i = 0; choices[i]; i++)
		if (strcmp(arg, choices[i]) == 0)
			return i;
	fprintf(stderr, "benchgate: compare: %s: expected %s or %s, got \"%s\"\n",
		opt, choices[0], choices[1], arg);
	return -1;
}

/* One option; 0, or -1 after printing what is wrong with it. */
static int parse_one(lp_compare_opts *o, int c, const char *arg, int *seeded)
{
	static const char *const dirs[] = { "lower", "higher", NULL };
	static const char *const fails[] = { "regression", "no-improvement", NULL };
	int k;

	switch (c) {
	case 'w': return lp_cli_uint(&o->warmup, "compare", "--warmup", arg, 0, 1000);
	case 'r': return lp_cli_uint(&o->runs, "compare", "--runs", arg, 2, 10000000);
	case OPT_MIN_RUNS: return lp_cli_uint(&o->min_runs, "compare", "--min-runs", arg, 2, 10000000);
	case OPT_MAX_RUNS: return lp_cli_uint(&o->max_runs, "compare", "--max-runs", arg, 2, 10000000);
	case 't': return lp_cli_double(&o->max_time, "compare", "--max-time", arg, 0.001, 1e7);
	case OPT_ALPHA: return lp_cli_double(&o->alpha, "compare", "--alpha", arg, 1e-9, 0.5);
	case OPT_MIN_EFFECT: return lp_cli_double(&o->min_effect, "compare", "--min-effect", arg, 0.0, 10.0);
	case OPT_TIMEOUT: return lp_cli_double(&o->timeout, "compare", "--timeout", arg, 0.001, 1e7);
	case OPT_SEED: *seeded = 1; return lp_cli_u64(&o->seed, "compare", "--seed", arg);
	case OPT_METRIC:
		if (!smp_metric_builtin(arg) && !smp_metric_name_valid(arg)) {
			fprintf(stderr, "benchgate: compare: --metric: \"%s\" is neither a built-in metric (wall, cpu, user, sys, maxrss, instructions, cycles) nor a valid METRIC name (letters, digits, '_', '.', 'µ')\n",
				arg);
			return -1;
		}
		o->metric = arg;
		return 0;
	case OPT_DIRECTION:
		if ((k = parse_choice(arg, dirs, "--direction")) < 0)
			return -1;
		o->lower_is_better = k == 0;
		return 0;
	case OPT_FAIL_ON:
		if ((k = parse_choice(arg, fails, "--fail-on")) < 0)
			return -1;
		o->fail_on = k == 0 ? LP_FAIL_ON_REGRESSION : LP_FAIL_ON_NO_IMPROVEMENT;
		return 0;
	case OPT_PIN: o->pin = arg; return 0;
	case OPT_EXPORT_JSON: o->export_json = arg; return 0;
	case OPT_EXPORT_MD: o->export_md = arg; return 0;
	case 'N': o->no_shell = 1; return 0;
	case 'i': o->ignore_failure = 1; return 0;
	case 'q': o->quiet = 1; return 0;
	default: return -1;
	}
}

static unsigned long long random_seed(void)
{
	unsigned long long s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		s = (unsigned long long)(bg_time_now() * 1e9);
	return s & 0xffffffffffffULL; /* short enough to retype */
}

/* Returns -1 to go on, or the exit code to return now. */
static int parse_args(lp_compare_opts *o, int argc, char **argv)
{
	int c, seeded = 0;

	defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:r:t:Niqh", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return CLI_EXIT_OK;
		}
		if (c == ':')
			return lp_cli_usage_error("compare", usage, "option %s needs a value",
						  argv[optind - 1]);
		if (c == '?')
			return lp_cli_usage_error("compare", usage, "unknown option \"%s\"",
						  argv[optind - 1]);
		if (parse_one(o, c, optarg, &seeded) < 0) {
			fputs(usage, stderr);
			return CLI_EXIT_ERROR;
		}
	}
	if (argc - optind != 2)
		return lp_cli_usage_error("compare", usage, "expected two commands (CMD_A CMD_B), got %d",
					  argc - optind);
	o->cmd_a = argv[optind];
	o->cmd_b = argv[optind + 1];
	if (o->cmd_a[0] == '\0' || o->cmd_b[0] == '\0')
		return lp_cli_usage_error("compare", usage, "a command is empty");
	if (o->min_runs > o->max_runs)
		return lp_cli_usage_error("compare", usage, "--min-runs (%u) is larger than --max-runs (%u)",
					  o->min_runs, o->max_runs);
	if (!seeded)
		o->seed = random_seed();
	return -1;
}

int lp_compare_pairs(double **a, double **b, size_t *n, const smp_runner *r,
		     const char *metric)
{
	size_t ns, rounds = smp_runner_rounds(r);
	const smp_sample *s = smp_runner_samples(r, &ns);
	double *va = malloc((rounds + 1) * sizeof(*va));
	double *vb = malloc((rounds + 1) * sizeof(*vb));
	int error = 0;

	if (va == NULL || vb == NULL) {
		error = bg_error_set(BG_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ns && error == 0; i++) {
		const smp_job *job = smp_runner_job(r, s[i].job);
		double *dst = job->arm == 0 ? va : vb;
		error = smp_sample_value(&dst[s[i].round], &s[i], metric);
	}
	if (error < 0)
		goto fail;
	*a = va;
	*b = vb;
	*n = rounds;
	return 0;
fail:
	free(va);
	free(vb);
	return error;
}

/* Change points in an arm's series, as Barrett et al. (OOPSLA 2017) find
 * warm-up: PELT on mean and variance with penalty 15 ln n, segments of at
 * least 5 rounds. A series too short or too flat to segment has none. */
static void change_points(lp_arm_summary *a, const double *values, size_t n)
{
	st_pelt_options po = ST_PELT_OPTIONS_INIT;
	st_pelt_result *res = NULL;

	a->ncpts = a->first_cpt = 0;
	po.penalty = st_pelt_penalty_barrett(n);
	po.minseglen = 5;
	if (n < 20 || st_pelt(&res, values, n, &po) < 0)
		return;
	a->ncpts = res->ncpts;
	a->first_cpt = res->ncpts ? res->cpts[0] : 0;
	st_pelt_result_free(res);
}

int lp_arm_summarise(lp_arm_summary *out, const smp_runner *r, unsigned arm,
		     const double *values, size_t n)
{
	size_t ns;
	const smp_sample *s = smp_runner_samples(r, &ns);
	lp_arm_summary a = { 0 };
	double user = 0, sys = 0;
	int error;

	if ((error = st_median(&a.median, values, n)) < 0 ||
	    (error = st_mad(&a.mad, values, n)) < 0 ||
	    (error = st_mean(&a.mean, values, n)) < 0 ||
	    (error = st_minmax(&a.min, &a.max, values, n)) < 0)
		return error;
	a.sd = n > 1 ? gsl_stats_sd(values, 1, n) : 0.0;
	for (size_t i = 0; i < ns; i++)
		if (smp_runner_job(r, s[i].job)->arm == arm) {
			user += (double)s[i].user_ns * 1e-9;
			sys += (double)s[i].sys_ns * 1e-9;
		}
	change_points(&a, values, n);
	a.n = n;
	a.user_mean = user / (double)n;
	a.sys_mean = sys / (double)n;
	*out = a;
	return 0;
}

/* Paired log-difference of the last complete round, for the sequence. */
static int last_round_d(double *d, const smp_runner *r, const char *metric)
{
	size_t ns, nj = smp_runner_njobs(r);
	const smp_sample *s = smp_runner_samples(r, &ns);
	double v[2] = { 0, 0 };
	int error;

	for (size_t i = ns - nj; i < ns; i++)
		if ((error = smp_sample_value(&v[smp_runner_job(r, s[i].job)->arm], &s[i], metric)) < 0)
			return error;
	if (!(v[0] > 0.0 && v[1] > 0.0 && isfinite(v[0]) && isfinite(v[1])))
		return bg_error_set(BG_EDOMAIN,
				    "round %zu: %s is not a positive number (A=%g, B=%g); ratios need positive values",
				    smp_runner_rounds(r), metric, v[0], v[1]);
	*d = log(v[1]) - log(v[0]);
	return 0;
}

/* Updates the sequence with the last round and the effect from it. */
static int look(lp_compare_run *run)
{
	st_rule_look l;
	double d = 0.0;
	int error;

	if ((error = last_round_d(&d, run->runner, run->opts->metric)) < 0 ||
	    (error = st_cs_push(&run->cs, d)) < 0 ||
	    (error = st_rule_look_at(&l, &run->cs, &run->rule)) < 0)
		return error;
	run->effect = st_rule_effect(&l, &run->rule);
	return 0;
}

static int estimate(lp_compare_run *run, gsl_rng *rng)
{
	const lp_compare_opts *o = run->opts;
	st_effect_opts eo = ST_EFFECT_OPTS_INIT;
	double *a = NULL, *b = NULL;
	size_t n;
	int error;

	eo.lower_is_better = o->lower_is_better;
	eo.level = 1.0 - o->alpha;
	eo.min_effect = o->min_effect;
	eo.resamples = o->resamples;
	if ((error = lp_compare_pairs(&a, &b, &n, run->runner, o->metric)) == 0)
		error = st_effect_paired(&run->effect, a, b, n, &eo, rng);
	free(a);
	free(b);
	return error;
}

/* Rounds until the rule stops; sets run->stopped. */
static int sample(lp_compare_run *run, gsl_rng *rng, double t0)
{
	const lp_compare_opts *o = run->opts;
	bg_progress prog;
	int error = 0;

	bg_progress_init(&prog, o->quiet);
	for (;;) {
		unsigned rounds;
		double el;

		if ((error = smp_runner_round(run->runner)) < 0)
			break;
		rounds = (unsigned)smp_runner_rounds(run->runner);
		el = bg_time_now() - t0;
		if (o->runs) {
			bg_progress_update(&prog, "benchgate: round %u of %u, %.1f s", rounds, o->runs, el);
			if (rounds >= o->runs) {
				run->stopped = "runs";
				break;
			}
			continue;
		}
		if ((error = look(run)) < 0)
			break;
		bg_progress_update(&prog, "benchgate: round %u, %.1f s of %.0f s, B/A %.4f [%.4f, %.4f]",
				   rounds, el, o->max_time, run->effect.ratio, run->effect.lo, run->effect.hi);
		if (run->effect.verdict != ST_INCONCLUSIVE && rounds >= o->min_runs) {
			run->stopped = "decided";
			break;
		}
		if (st_rule_stops(&run->rule, rounds, run->effect.verdict) || el >= o->max_time) {
			run->stopped = rounds >= o->max_runs ? "max_runs" : "max_time";
			run->effect.verdict = ST_INCONCLUSIVE;
			break;
		}
	}
	bg_progress_done(&prog);
	if (error == 0 && o->runs)
		error = estimate(run, rng);
	return error;
}

static int setup(lp_compare_run *run, gsl_rng *rng, smp_runner_opts *ro)
{
	const lp_compare_opts *o = run->opts;
	const char *reason;
	smp_job jobs[2] = {
		{ "A", o->cmd_a, 0, 0 },
		{ "B", o->cmd_b, 0, 1 },
	};
	int error;

	if ((strcmp(o->metric, "instructions") == 0 || strcmp(o->metric, "cycles") == 0) &&
	    !smp_hw_counters_available(&reason))
		return bg_error_set(BG_EUNSUPPORTED, "--metric %s: hardware counters cannot be read here: %s",
				    o->metric, reason);
	if ((error = smp_pinning_new(&run->pin, o->pin)) < 0)
		return error;
	ro->spawn.no_shell = o->no_shell;
	ro->spawn.timeout_s = o->timeout;
	ro->spawn.count_hw = 1;
	ro->ignore_failure = o->ignore_failure;
	return smp_runner_new(&run->runner, jobs, 2, ro, run->pin, rng);
}

static int write_exports(const lp_compare_run *run)
{
	const lp_compare_opts *o = run->opts;
	char *text;
	int error = 0;

	if (o->export_json) {
		if ((text = lp_compare_json(run)) == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory writing %s", o->export_json);
		error = bg_file_write_atomic(o->export_json, text);
		free(text);
	}
	if (error == 0 && o->export_md) {
		if ((text = lp_compare_markdown(run)) == NULL)
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

static int measure(lp_compare_run *run, gsl_rng *rng)
{
	smp_runner_opts ro = SMP_RUNNER_OPTS_INIT;
	smp_cpustat c0, c1;
	double t0 = bg_time_now();
	int error;

	smp_probe_read(&run->probe, NULL);
	smp_cpustat_read(&c0, NULL);
	if ((error = setup(run, rng, &ro)) < 0)
		return error;
	bg_interrupt_install();
	if ((error = smp_runner_warmup(run->runner, run->opts->warmup)) < 0 ||
	    (error = sample(run, rng, t0)) < 0)
		return error;
	smp_cpustat_read(&c1, NULL);
	run->steal_share = smp_cpustat_steal_share(&c0, &c1);
	run->elapsed_s = bg_time_now() - t0;
	return 0;
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
	run.rule = st_rule_make(o.alpha, o.min_effect, o.lower_is_better);
	run.rule.min_rounds = o.min_runs;
	run.rule.max_rounds = o.max_runs;
	if (st_rule_check(&run.rule) < 0 || st_cs_init(&run.cs, run.rule.rho) < 0)
		return cli_error("compare: %s", bg_error_last());
	if ((rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return cli_error("out of memory");
	gsl_rng_set(rng, (unsigned long)o.seed);
	error = measure(&run, rng);
	if (error == 0) {
		warn_machine(&run);
		lp_compare_print(stdout, &run);
		fflush(stdout);
		error = write_exports(&run);
	}
	if (error < 0)
		rc = cli_error("compare: %s", bg_error_last());
	else
		rc = exit_code(&run);
	smp_runner_free(run.runner);
	smp_pinning_free(run.pin);
	gsl_rng_free(rng);
	return rc;
}
