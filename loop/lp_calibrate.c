/* lp_calibrate: `benchgate calibrate` — how noisy this machine is for some
 * workloads, whether the decision rule keeps its false-positive promise on
 * that noise, and what it can detect in a given time.
 *
 * The flow: options -> workloads (a config's training workloads, commands,
 * or the bundled calibration workloads) -> A/A rounds of each workload,
 * rounds with the pinning gate uses alternating with rounds in the opposite
 * mode, all within --time -> per workload the noise statistics, the rule on
 * the measured series and on simulated A/A decisions, the minimum
 * detectable effects and times to detect (st_calib.h) -> system checks ->
 * the verdict -> the calibration file (lp_calibration.h, its JSON in
 * lp_calibration_json.c). Options and the text report: cli/cmd_calibrate.c.
 * Nothing is written when interrupted. */
#include "lp_calibrate.h"
#include "bg_progress.h"
#include "bg_time.h"
#include "lp_compare.h"
#include "lp_config.h"
#include "lp_repo.h"
#include "lp_json.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "bg_interrupt.h"
#include "bg_file.h"
#include "smp_shell.h"
#include "smp_runner.h"
#include "smp_timer.h"
#include "st_desc.h"
#include "st_fdr.h"

#include <errno.h>
#include <hwloc.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_ROUNDS 10          /* per mode and workload, whatever --time says */
#define MAX_ROUNDS 20000       /* per mode and workload */
#define TTD_MAX_ROUNDS 100000  /* rounds simulated for a time to detect */

static const char *const bundled[] = { "bg-int", "bg-fp", "bg-mem", "bg-alloc", "bg-sys" };
#define NBUNDLED (sizeof(bundled) / sizeof(bundled[0]))

/* ---- workloads -------------------------------------------------------- */

static int add_workload(lp_calib_report *r, const char *name, const char *cmd)
{
	lp_calib_workload *w = &r->wl[r->nwl];

	if ((w->name = strdup(name)) == NULL || (w->cmd = strdup(cmd)) == NULL)
		return bg_error_nomem();
	r->nwl++;
	return 0;
}

/* 1 when dir holds an executable bg-int. */
static int corpora_in(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bg-int", dir);
	return access(path, X_OK) == 0;
}

/* The directory of the bundled workloads (see the help). *out is the
 * caller's. BG_ENOTFOUND naming where it looked. */
static int find_corpora(char **out)
{
	const char *env = getenv("BENCHGATE_CORPORA");
	char exe[PATH_MAX], here[PATH_MAX + 16] = "", real[PATH_MAX];
	ssize_t n;

	if (env && env[0]) {
		if (!corpora_in(env))
			return bg_error_set(BG_ENOTFOUND, "BENCHGATE_CORPORA=%s holds no executable bg-int: point it at the built workloads (make corpora builds build/corpora)",
					    env);
		*out = strdup(env);
		return *out ? 0 : bg_error_nomem();
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		snprintf(here, sizeof(here), "%s/corpora", dirname(exe));
		if (corpora_in(here))
			return (*out = strdup(realpath(here, real) ? real : here)) ? 0
				: bg_error_nomem();
	}
	if (corpora_in(LP_CORPORA_DIR))
		return (*out = strdup(LP_CORPORA_DIR)) ? 0 : bg_error_nomem();
	return bg_error_set(BG_ENOTFOUND,
			    "the calibration workloads (bg-int, ...) are not in %s nor %s: run 'make corpora' (or make install), set BENCHGATE_CORPORA, or give commands",
			    here[0] ? here : "<benchgate's directory>/corpora", LP_CORPORA_DIR);
}

static int bundled_workloads(lp_calib_report *r, char **corpora)
{
	int error = 0;

	if ((error = find_corpora(corpora)) < 0)
		return error;
	for (size_t i = 0; i < NBUNDLED && error == 0; i++) {
		char *path = NULL, *q = NULL;
		if (asprintf(&path, "%s/%s", *corpora, bundled[i]) < 0 || (q = smp_shell_quote(path)) == NULL)
			error = bg_error_nomem();
		else
			error = add_workload(r, bundled[i], q);
		free(path);
		free(q);
	}
	return error;
}

/* Where a config's workloads run: inside a git repository, an export of
 * HEAD built with the config's `build` (as gate measures, never in the
 * working tree), with *repo and *state left open for its sandbox (caller
 * frees); elsewhere the config file's directory, built by the user, and
 * *repo NULL. *dir is owned by the caller. */
static int config_dir(char **dir, lp_repo **repo, state_store **state, const lp_config *cfg, const char *path)
{
	char real[PATH_MAX], head[41], *tail = NULL;
	lp_workspace_isolation iso;
	int ok, error;

	if (lp_repo_open(repo, ".") < 0) {
		bg_error_clear();
		*repo = NULL;
		if (realpath(path, real) == NULL)
			return bg_error_set(BG_ESYS, "%s: %s", path, strerror(errno));
		if ((*dir = strdup(dirname(real))) == NULL)
			return bg_error_nomem();
		return 0;
	}
	if ((error = state_open(state, lp_repo_gitdir(*repo))) == 0 &&
	    (error = lp_repo_resolve(head, *repo, "HEAD")) == 0 &&
	    (error = lp_workspace_export(dir, *repo, *state, head)) == 0 &&
	    (error = lp_workspace_isolation_check(cfg)) == 0 &&
	    (error = lp_workspace_build(&ok, &tail, cfg->build, *dir,
					lp_workspace_isolation_init(&iso, LP_RUN_BUILD, cfg, *repo, *state, *dir))) == 0 &&
	    !ok)
		error = bg_error_set(BG_ECHILD, "HEAD (%.12s) does not build with \"%s\":\n%s",
				     head, cfg->build, tail ? tail : "");
	free(tail);
	return error;
}

/* The training workloads' commands, in DIR from config_dir: in a
 * repository, in the sandbox a gate runs them in, served by its run
 * server and timed inside it. */
static int config_workloads(lp_calib_report *r, const lp_config *cfg, const char *path)
{
	lp_workspace_isolation iso;
	const smp_sandbox *sb = NULL;
	state_store *state = NULL;
	lp_repo *repo = NULL;
	char *dir = NULL;
	int error;

	if ((error = config_dir(&dir, &repo, &state, cfg, path)) < 0 ||
	    (repo && (error = lp_workspace_timed_sandbox(&sb, &iso, LP_RUN_TRAINING, cfg, repo, state, dir)) < 0))
		goto cleanup;
	r->timed_inside = sb != NULL;
	if (sb && smp_server_start(&r->server, sb) < 0)   /* as a gate's arm runs them */
		bg_warn(0, "%s; each run gets a sandbox of its own instead", bg_error_last());
	for (size_t i = 0; i < cfg->nworkloads && error == 0; i++) {
		char *cmd = lp_workspace_command(dir, sb, &r->server, cfg->workloads[i].cmd);

		if (cmd == NULL) {
			error = bg_error_code() == BG_EINVAL ? BG_EINVAL : bg_error_nomem();
			break;
		}
		error = add_workload(r, cfg->workloads[i].name, cmd);
		free(cmd);
	}
cleanup:
	free(dir);
	state_free(state);
	lp_repo_free(repo);
	return error;
}

/* The run's settings from the defaults, the config and the options. */
static void settings(lp_calib_report *r, const lp_calibrate_opts *o, const lp_config *cfg)
{
	r->time_s = o->time_s;
	r->alpha = o->alpha_set || !cfg ? o->alpha : cfg->alpha;
	r->min_effect = o->min_effect_set || !cfg ? o->min_effect : cfg->min_effect;
	r->budget_s = o->budget_set || !cfg ? o->budget_s : cfg->max_seconds;
	r->max_rounds = cfg ? cfg->max_rounds : 0;
	r->min_rounds = cfg ? cfg->min_rounds : 5;
	r->warmup = cfg ? cfg->warmup : 2;
	r->metric = o->metric ? o->metric : cfg ? cfg->metric : "wall";
	r->metric_regex = !o->metric && cfg ? cfg->metric_regex : NULL;
	r->metric_aggregate = !o->metric && cfg ? cfg->metric_aggregate : SMP_AGG_LAST;
	r->lower_is_better = o->direction >= 0 ? o->direction : cfg && !o->metric ? cfg->lower_is_better : 1;
	r->sims = o->sims;
	r->power_sims = o->sims / 4 < 200 ? 200 : o->sims / 4;
	r->seed = o->seed;
	r->main_pinned = !(cfg && strcmp(cfg->pin, "none") == 0);
	r->pin_spec = r->main_pinned && cfg ? cfg->pin : "auto";
	r->source = cfg ? "config" : o->ncmds ? "commands" : "bundled";
}

/* The budgets of the MDE table: 10, 60, 300 s and the verdict's. */
static void budgets(lp_calib_report *r)
{
	static const double fixed[] = { 10.0, 60.0, 300.0 };
	size_t n = 0;

	for (size_t i = 0; i < 3; i++) {
		if (r->budget_s < fixed[i] && (n == 0 || r->budgets[n - 1] < r->budget_s) &&
		    fabs(r->budget_s - fixed[i]) > 1e-9)
			r->budgets[n++] = r->budget_s;
		r->budgets[n++] = fixed[i];
	}
	if (r->budget_s > 300.0)
		r->budgets[n++] = r->budget_s;
	r->nbudgets = n;
	for (size_t i = 0; i < n; i++)
		if (fabs(r->budgets[i] - r->budget_s) <= 1e-9)
			r->budget_index = i;
	r->effects[0] = 0.01;
	r->effects[1] = 0.02;
	r->effects[2] = 0.05;
}

/* ---- measuring -------------------------------------------------------- */

typedef struct {
	lp_calib_report *r;
	gsl_rng *rng;
	cpu_set_t free_mask;    /* the harness's affinity before pinning */
	cpu_set_t bound_mask;   /* after: bound to its PU when pinning bound it */
	int masks;              /* 1 when both were read */
	bg_progress prog;
	double t0, t_measure_end, run_timeout;
	int count_hw;
} cal_run;

/* Unpinned rounds need an unbound harness: a child inherits the affinity
 * of the thread that starts it. */
static void harness_mode(const cal_run *c, int pinned)
{
	if (c->masks)
		sched_setaffinity(0, sizeof(cpu_set_t), pinned ? &c->bound_mask : &c->free_mask);
}

static int series_grow(lp_calib_series *s, size_t *cap)
{
	double *t;

	if (s->rounds < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 256;
	if ((t = realloc(s->t_min, *cap * sizeof(*t))) == NULL)
		return bg_error_nomem();
	s->t_min = t;
	return 0;
}

/* One round of one mode; its time is added to the series. */
static int one_round(cal_run *c, smp_runner *run, lp_calib_series *s, double tw0, size_t *cap)
{
	double t;
	int error;

	harness_mode(c, s->pinned);
	t = bg_time_now();
	if ((error = smp_runner_round(run)) < 0 || (error = series_grow(s, cap)) < 0)
		return error;
	s->seconds += bg_time_now() - t;
	s->t_min[s->rounds++] = (bg_time_now() - tw0) / 60.0;
	return 0;
}

static void progress(cal_run *c, size_t w, size_t rounds)
{
	double now = bg_time_now(), left = c->t0 + c->r->time_s - now;

	bg_progress_update(&c->prog, "benchgate: calibrate: %s (%zu/%zu), round %zu, %.0f s of %.0f s, about %.0f s left",
			   c->r->wl[w].name, w + 1, c->r->nwl, rounds, now - c->t0, c->r->time_s,
			   left > 0 ? left : 0);
}

/* Alternates rounds of the two modes (which goes first drawn per pair)
 * until the workload's share of the time is spent. */
static int rounds_loop(cal_run *c, size_t w, smp_runner *rm, smp_runner *ro, double deadline)
{
	lp_calib_workload *wl = &c->r->wl[w];
	size_t capm = 0, capo = 0;
	double tw0 = bg_time_now();
	int error;

	for (;;) {
		int main_first = gsl_rng_uniform_int(c->rng, 2) == 0;
		for (int k = 0; k < 2; k++) {
			int m = (k == 0) == main_first;
			if ((error = one_round(c, m ? rm : ro, m ? &wl->main : &wl->other, tw0,
					       m ? &capm : &capo)) < 0)
				return error;
		}
		progress(c, w, wl->main.rounds);
		if (bg_interrupt_requested())
			return bg_error_set(BG_EINTR, "interrupted");
		if (wl->main.rounds >= MAX_ROUNDS || (bg_time_now() >= deadline && wl->main.rounds >= MIN_ROUNDS))
			return 0;
	}
}

/* The metric of every round of a runner as a, b and d = ln b - ln a. */
static int series_values(lp_calib_series *s, const smp_runner *run, const char *metric)
{
	size_t n;
	int error;

	if ((error = lp_compare_pairs(&s->a, &s->b, &n, run, metric)) < 0)
		return error;
	if ((s->d = malloc((n + 1) * sizeof(*s->d))) == NULL)
		return bg_error_nomem();
	for (size_t i = 0; i < n; i++) {
		if (!(s->a[i] > 0.0 && s->b[i] > 0.0 && isfinite(s->a[i]) && isfinite(s->b[i])))
			return bg_error_set(BG_EDOMAIN, "round %zu: %s is not a positive number (A=%g, B=%g); ratios need positive values",
					    i + 1, metric, s->a[i], s->b[i]);
		s->d[i] = log(s->b[i]) - log(s->a[i]);
	}
	s->rounds = n;
	return 0;
}

static int measure_workload(cal_run *c, size_t w)
{
	lp_calib_workload *wl = &c->r->wl[w];
	smp_job jobs[2] = { { "A", wl->cmd, 0, 0 }, { "B", wl->cmd, 0, 1 } };
	smp_runner_opts ro = SMP_RUNNER_OPTS_INIT;
	smp_runner *rm = NULL, *rother = NULL;
	int main_pinned = c->r->main_pinned, error;
	double deadline;

	ro.spawn.timeout_s = c->run_timeout;
	ro.spawn.count_hw = c->count_hw;
	ro.metric = c->r->metric;
	ro.metric_regex = c->r->metric_regex;
	ro.metric_aggregate = (smp_aggregate)c->r->metric_aggregate;
	if (c->r->timed_inside)
		ro.exec = smp_timer_executor();
	wl->main.pinned = main_pinned;
	wl->other.pinned = !main_pinned;
	if ((error = smp_runner_new(&rm, jobs, 2, &ro, main_pinned ? c->r->pin : NULL, c->rng)) < 0 ||
	    (error = smp_runner_new(&rother, jobs, 2, &ro, main_pinned ? NULL : c->r->pin, c->rng)) < 0)
		goto cleanup;
	harness_mode(c, main_pinned);
	if ((error = smp_runner_warmup(rm, c->r->warmup)) < 0)
		goto cleanup;
	harness_mode(c, !main_pinned);
	if ((error = smp_runner_warmup(rother, c->r->warmup)) < 0)
		goto cleanup;
	deadline = bg_time_now() + (c->t_measure_end - bg_time_now()) / (double)(c->r->nwl - w);
	if ((error = rounds_loop(c, w, rm, rother, deadline)) < 0 ||
	    (error = series_values(&wl->main, rm, c->r->metric)) < 0 ||
	    (error = series_values(&wl->other, rother, c->r->metric)) < 0)
		goto cleanup;
cleanup:
	harness_mode(c, 1);
	if (error < 0 && error != BG_EINTR && error != BG_ENOMEM) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", bg_error_last());
		bg_error_set(error, "workload \"%s\": %s", wl->name, msg);
	}
	smp_runner_free(rm);
	smp_runner_free(rother);
	return error;
}

/* Keeps the harness's affinity before and after pinning, for the
 * unpinned rounds. */
static int setup_pinning(cal_run *c)
{
	int ok = sched_getaffinity(0, sizeof(cpu_set_t), &c->free_mask) == 0;
	int error;

	if ((error = smp_pinning_new(&c->r->pin, c->r->pin_spec)) < 0)
		return error;
	c->masks = ok && sched_getaffinity(0, sizeof(cpu_set_t), &c->bound_mask) == 0;
	return 0;
}

static int measure_all(cal_run *c)
{
	/* The analysis takes about half a second per workload here. */
	double reserve = fmin(0.1 * c->r->time_s, 1.0 + 0.6 * (double)c->r->nwl);
	int error = 0;

	c->t_measure_end = c->t0 + c->r->time_s - reserve;
	for (size_t w = 0; w < c->r->nwl && error == 0; w++)
		error = measure_workload(c, w);
	bg_progress_done(&c->prog);
	return error;
}

/* ---- analysis --------------------------------------------------------- */

/* fn's statistic of x, NAN where it is undefined (too few values, all
 * equal...). */
static double stat(int (*fn)(double *, const double *, size_t), const double *x, size_t n)
{
	double v;

	return fn(&v, x, n) < 0 ? NAN : v;
}

static void series_stats(lp_calib_series *s)
{
	s->cv_a = stat(st_cv, s->a, s->rounds);
	s->cv_b = stat(st_cv, s->b, s->rounds);
	s->sd_d = stat(st_sd, s->d, s->rounds);
	s->mean_d = stat(st_mean, s->d, s->rounds);
}

/* Lag-1, outliers, warm-up, drift and the median run, from main. */
static int noise_stats(lp_calib_workload *wl)
{
	const lp_calib_series *s = &wl->main;
	size_t n = s->rounds;
	double *pool = malloc(2 * n * sizeof(*pool)), *mean = malloc(n * sizeof(*mean)), v;
	int error = 0;

	if (pool == NULL || mean == NULL) {
		error = bg_error_nomem();
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		pool[i] = s->a[i];
		pool[n + i] = s->b[i];
		mean[i] = 0.5 * (s->a[i] + s->b[i]);
	}
	wl->lag1_a = stat(st_autocorr1, s->a, n);
	wl->lag1_b = stat(st_autocorr1, s->b, n);
	wl->outliers = stat(st_calib_outlier_share, pool, 2 * n);
	wl->run_median = stat(st_median, pool, 2 * n);
	wl->drift = st_calib_drift(&v, s->t_min, mean, n) < 0 ? NAN : v;
	if ((error = st_calib_changepoints(&wl->warmup, &wl->ncpts, mean, n)) < 0)
		goto cleanup;
	wl->round_s = s->seconds / (double)n;
	wl->span_min = s->t_min[n - 1] - s->t_min[0];
cleanup:
	free(pool);
	free(mean);
	return error;
}

/* Rounds a decision of `seconds` gets: the time over the round's, capped
 * at the config's max_rounds. */
static size_t rounds_for(const lp_calib_report *r, const lp_calib_workload *wl, double seconds)
{
	double n = floor(seconds / wl->round_s);

	if (r->max_rounds && n > (double)r->max_rounds)
		n = (double)r->max_rounds;
	return n < 1.0 ? 1 : n > 1e9 ? 1000000000 : (size_t)n;
}

static st_rule base_rule(const lp_calib_report *r)
{
	st_rule rule = st_rule_make(r->alpha, r->min_effect, r->lower_is_better);

	rule.min_rounds = r->min_rounds;
	rule.max_rounds = 1;
	return rule;
}

/* MDE per budget and time to detect per effect. */
static int detectable(const lp_calib_report *r, lp_calib_workload *wl, const st_calib_source *src,
		      gsl_rng *rng)
{
	st_rule rule = base_rule(r);
	double cap = LP_CALIBRATION_CAP_S / wl->round_s;
	int error;

	for (size_t b = 0; b < r->nbudgets; b++) {
		rule.max_rounds = rounds_for(r, wl, r->budgets[b]);
		wl->mde[b] = INFINITY;
		if (rule.max_rounds >= r->min_rounds &&
		    (error = st_calib_mde(&wl->mde[b], src, &rule, LP_CALIBRATION_POWER, r->power_sims, rng)) < 0)
			return error;
	}
	rule.max_rounds = cap > TTD_MAX_ROUNDS ? TTD_MAX_ROUNDS : (size_t)ceil(cap);
	if (r->max_rounds && rule.max_rounds > r->max_rounds)   /* the config's cap: a gate stops there */
		rule.max_rounds = r->max_rounds;
	wl->ttd_cap_s = (double)rule.max_rounds * wl->round_s;
	for (size_t e = 0; e < LP_CALIB_NEFFECTS; e++) {
		size_t rounds;
		if ((error = st_calib_rounds_to_detect(&rounds, src, r->effects[e], &rule, LP_CALIBRATION_POWER,
						       r->power_sims, rng)) < 0)
			return error;
		wl->ttd[e] = rounds == ST_CALIB_NEVER ? INFINITY : (double)rounds * wl->round_s;
	}
	return 0;
}

static int analyse_workload(lp_calib_report *r, lp_calib_workload *wl, gsl_rng *rng)
{
	const double *d[1] = { wl->main.d };
	size_t n[1] = { wl->main.rounds };
	st_calib_source src = { 1, d, n, NULL };
	st_rule rule = base_rule(r);
	int error;

	series_stats(&wl->main);
	series_stats(&wl->other);
	if ((error = noise_stats(wl)) < 0)
		return error;
	rule.max_rounds = wl->main.rounds;
	if ((error = st_calib_decide(&wl->aa, wl->main.d, wl->main.rounds, &rule)) < 0)
		return error;
	rule.max_rounds = wl->fp_rounds = rounds_for(r, wl, r->budget_s);
	if ((error = st_calib_null_sim(&wl->fp, &src, &rule, r->sims, rng)) < 0)
		return error;
	return detectable(r, wl, &src, rng);
}

/* Pooled false positives, the worst MDE per budget, and the MDE at the
 * level LORD++ grants a campaign's first experiment. */
static int summarise(lp_calib_report *r, gsl_rng *rng)
{
	st_fdr *f = NULL;
	size_t calls = 0, seqs = 0, worst = 0;
	int error;

	for (size_t b = 0; b < r->nbudgets; b++)
		r->mde_worst[b] = 0.0;
	memset(&r->fp_all, 0, sizeof(r->fp_all));
	for (size_t w = 0; w < r->nwl; w++) {
		const st_calib_fp *fp = &r->wl[w].fp;
		calls += fp->calls;
		seqs += fp->sequences;
		r->fp_all.improved += fp->improved;
		r->fp_all.regressed += fp->regressed;
		r->fp_all.no_change += fp->no_change;
		r->fp_all.inconclusive += fp->inconclusive;
		for (size_t b = 0; b < r->nbudgets; b++)
			r->mde_worst[b] = fmax(r->mde_worst[b], r->wl[w].mde[b]);
		if (r->wl[w].mde[r->budget_index] > r->wl[worst].mde[r->budget_index])
			worst = w;
	}
	r->fp_all.sequences = seqs;
	r->fp_all.calls = calls;
	r->fp_all.rate = (double)calls / (double)seqs;
	if ((error = st_calib_binom_ci(&r->fp_all.lo, &r->fp_all.hi, calls, seqs, 0.95)) < 0 ||
	    (error = st_fdr_new(&f, ST_FDR_LORD_PP, r->alpha, r->alpha * ST_FDR_W0_SHARE)) < 0)
		return error;
	r->level_first = st_fdr_level(f);
	st_fdr_free(f);
	r->mde_first = INFINITY;
	if (isfinite(r->wl[worst].mde[r->budget_index])) {
		const double *d[1] = { r->wl[worst].main.d };
		size_t n[1] = { r->wl[worst].main.rounds };
		st_calib_source src = { 1, d, n, NULL };
		st_rule rule = base_rule(r);
		rule.alpha = r->level_first;
		rule.max_rounds = rounds_for(r, &r->wl[worst], r->budget_s);
		error = st_calib_mde(&r->mde_first, &src, &rule, LP_CALIBRATION_POWER, r->power_sims, rng);
	}
	return error;
}

/* ---- system checks ---------------------------------------------------- */

__attribute__((format(printf, 5, 6)))
static lp_calib_check *check(lp_calib_report *r, const char *key, const char *label, int status,
			     const char *fmt, ...)
{
	lp_calib_check *c = &r->checks[r->nchecks++];
	va_list ap;

	c->key = key;
	c->label = label;
	c->status = status;
	c->fix[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(c->value, sizeof(c->value), fmt, ap);
	va_end(ap);
	return c;
}

static void check_frequency(lp_calib_report *r)
{
	const smp_probe *p = &r->probe;
	lp_calib_check *c;

	if (p->governor[0] == '\0')
		check(r, "governor", "frequency governor", LP_CHECK_INFO,
		      "not visible (no cpufreq in /sys: a VM, the host sets the clock)");
	else if (strcmp(p->governor, "performance") == 0)
		check(r, "governor", "frequency governor", LP_CHECK_OK, "performance");
	else {
		c = check(r, "governor", "frequency governor", LP_CHECK_WARN, "%s: the clock follows the load", p->governor);
		snprintf(c->fix, sizeof(c->fix), "sudo cpupower frequency-set -g performance");
	}
	if (p->turbo < 0)
		check(r, "turbo", "turbo boost", LP_CHECK_INFO, "not visible (no intel_pstate/no_turbo or cpufreq/boost)");
	else if (p->turbo == 0)
		check(r, "turbo", "turbo boost", LP_CHECK_OK, "off");
	else {
		c = check(r, "turbo", "turbo boost", LP_CHECK_WARN, "on: the clock varies with heat");
		snprintf(c->fix, sizeof(c->fix), "%s",
			 access("/sys/devices/system/cpu/intel_pstate/no_turbo", F_OK) == 0
			 ? "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo"
			 : "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost");
	}
}

static void check_cpus(lp_calib_report *r)
{
	const smp_probe *p = &r->probe;
	int cpu = smp_pinning_child_pu(r->pin), hpu = smp_pinning_harness_pu(r->pin);
	lp_calib_check *c;

	if (p->smt <= 1)
		check(r, "smt", "SMT siblings", LP_CHECK_OK, "none: 1 thread per core%s%s%s",
		      p->smt_control[0] ? " (smt/control: " : "", p->smt_control, p->smt_control[0] ? ")" : "");
	else if (cpu >= 0 && hpu >= 0 && smp_probe_siblings(NULL, cpu, hpu) == 0)
		check(r, "smt", "SMT siblings", LP_CHECK_OK, "%d threads per core; the command (PU %d) and benchgate (PU %d) are on different cores",
		      p->smt, cpu, hpu);
	else {
		c = check(r, "smt", "SMT siblings", LP_CHECK_WARN, "%d threads per core: a busy sibling slows the measured PU", p->smt);
		snprintf(c->fix, sizeof(c->fix), "pin command and benchgate to PUs of different cores (\"pin\": \"C,H\") and keep the command's sibling idle, or: echo off | sudo tee /sys/devices/system/cpu/smt/control");
	}
	if (p->nisolated < 0)
		check(r, "isolated", "isolated CPUs", LP_CHECK_INFO, "not visible (no /sys/devices/system/cpu/isolated)");
	else if (p->nisolated == 0) {
		c = check(r, "isolated", "isolated CPUs", LP_CHECK_INFO, "none: the scheduler may run other work on the measured PU");
		snprintf(c->fix, sizeof(c->fix), "boot with isolcpus=%d nohz_full=%d rcu_nocbs=%d, then pin the command there (\"pin\": \"%d,H\")",
			 cpu >= 0 ? cpu : p->pus - 1, cpu >= 0 ? cpu : p->pus - 1, cpu >= 0 ? cpu : p->pus - 1,
			 cpu >= 0 ? cpu : p->pus - 1);
	} else {
		hwloc_bitmap_t set = hwloc_bitmap_alloc();
		int in = set && hwloc_bitmap_list_sscanf(set, p->isolated) == 0 && cpu >= 0 &&
			 hwloc_bitmap_isset(set, (unsigned)cpu);
		hwloc_bitmap_free(set);
		c = check(r, "isolated", "isolated CPUs", in ? LP_CHECK_OK : LP_CHECK_WARN, "%s%s", p->isolated,
			  in ? ", the command runs on one of them" : ", but the command does not run on one");
		if (!in)
			snprintf(c->fix, sizeof(c->fix), "pin the command to an isolated PU (\"pin\": \"C,H\", C in %s)", p->isolated);
	}
}

static void check_load(lp_calib_report *r)
{
	const smp_probe *p = &r->probe;
	lp_calib_check *c;

	if (p->loadavg1 < 0)
		check(r, "load", "load", LP_CHECK_INFO, "not visible (no /proc/loadavg)");
	else if (p->loadavg1 <= 0.5 * p->pus)
		check(r, "load", "load", LP_CHECK_OK, "%.2f on %d PUs at the start", p->loadavg1, p->pus);
	else {
		c = check(r, "load", "load", LP_CHECK_WARN, "%.2f on %d PUs at the start: other processes compete", p->loadavg1, p->pus);
		snprintf(c->fix, sizeof(c->fix), "stop other jobs (top shows them), or expect noisier runs and longer decisions");
	}
	if (r->steal < 0)
		check(r, "steal", "steal time", LP_CHECK_INFO, "not visible (/proc/stat has no steal column)");
	else if (r->steal <= 0.01)
		check(r, "steal", "steal time", LP_CHECK_OK, "%.1f%% of CPU time during the run", r->steal * 100.0);
	else {
		c = check(r, "steal", "steal time", LP_CHECK_WARN, "%.1f%% of CPU time went to other guests during the run", r->steal * 100.0);
		snprintf(c->fix, sizeof(c->fix), "use a dedicated host or an instance without CPU overcommit");
	}
}

static void check_kernel(lp_calib_report *r)
{
	const smp_probe *p = &r->probe;
	const char *reason = NULL;
	lp_calib_check *c;

	if (p->aslr < 0)
		check(r, "aslr", "ASLR", LP_CHECK_INFO, "not visible");
	else if (p->aslr == 0) {
		c = check(r, "aslr", "ASLR", LP_CHECK_WARN, "off: every run has one memory layout, a layout bias stays in the result");
		snprintf(c->fix, sizeof(c->fix), "sudo sysctl kernel.randomize_va_space=2");
	} else
		check(r, "aslr", "ASLR", LP_CHECK_OK, "on (%d): layouts vary and average out", p->aslr);
	if (p->thp[0] == '\0')
		check(r, "thp", "transparent huge pages", LP_CHECK_INFO, "not visible");
	else if (strcmp(p->thp, "always") == 0) {
		c = check(r, "thp", "transparent huge pages", LP_CHECK_WARN, "always: huge pages come and go between runs");
		snprintf(c->fix, sizeof(c->fix), "echo madvise | sudo tee /sys/kernel/mm/transparent_hugepage/enabled");
	} else
		check(r, "thp", "transparent huge pages", LP_CHECK_OK, "%s", p->thp);
	if (smp_hw_counters_available(&reason))
		check(r, "perf", "perf counters", LP_CHECK_OK, "usable: instructions and cycles can be metrics");
	else {
		c = check(r, "perf", "perf counters", LP_CHECK_INFO, "unavailable (%s): only time metrics here",
			  reason ? reason : "unknown");
		if (p->perf_paranoid > 2)
			snprintf(c->fix, sizeof(c->fix), "sudo sysctl kernel.perf_event_paranoid=2");
		else
			snprintf(c->fix, sizeof(c->fix), "on a VM the hypervisor must expose the PMU (e.g. a bare-metal or PMU-enabled instance)");
	}
}

static void check_pinning(lp_calib_report *r)
{
	lp_calib_check *c;

	if (smp_pinning_active(r->pin) && smp_pinning_harness_pu(r->pin) >= 0)
		check(r, "pinning", "pinning", LP_CHECK_OK, "possible: the command on PU %d, benchgate on PU %d",
		      smp_pinning_child_pu(r->pin), smp_pinning_harness_pu(r->pin));
	else if (smp_pinning_active(r->pin))
		check(r, "pinning", "pinning", LP_CHECK_OK, "possible for the command (PU %d); benchgate unbound: %s",
		      smp_pinning_child_pu(r->pin), smp_pinning_reason(r->pin));
	else {
		c = check(r, "pinning", "pinning", LP_CHECK_WARN, "not possible: %s", smp_pinning_reason(r->pin));
		snprintf(c->fix, sizeof(c->fix), "allow benchgate at least 2 PUs (taskset, cgroup cpuset) and CPU affinity changes");
	}
}

static void checks(lp_calib_report *r)
{
	r->nchecks = 0;
	check_frequency(r);
	check_cpus(r);
	check_load(r);
	check_kernel(r);
	check_pinning(r);
}

/* ---- verdict ---------------------------------------------------------- */

/* The noisiest workload by its sd of d. */
static size_t noisiest(const lp_calib_report *r)
{
	size_t worst = 0;

	for (size_t w = 1; w < r->nwl; w++)
		if (r->wl[w].main.sd_d > r->wl[worst].main.sd_d)
			worst = w;
	return worst;
}

/* "; what stands in the way: ..." — the noisiest workload and the first
 * warning among the checks. */
static void obstacles(char *buf, size_t size, const lp_calib_report *r)
{
	const lp_calib_workload *wl = &r->wl[noisiest(r)];
	size_t len;

	snprintf(buf, size, "%s is the noisiest (sd of paired differences %.2f%%)", wl->name, wl->main.sd_d * 100.0);
	for (size_t i = 0; i < r->nchecks; i++)
		if (r->checks[i].status == LP_CHECK_WARN) {
			len = strlen(buf);
			snprintf(buf + len, size - len, "; %s: %s", r->checks[i].label, r->checks[i].value);
			break;
		}
}

static void verdict(lp_calib_report *r)
{
	static const double grid[] = { 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20 };
	double m = r->mde_worst[r->budget_index];
	char why[400];

	obstacles(why, sizeof(why), r);
	r->fit = 0;
	r->fit_effect = INFINITY;
	if (r->fp_all.lo > r->alpha) {
		snprintf(r->verdict, sizeof(r->verdict),
			 "not fit: the rule called a difference in %.2f%% of simulated A/A decisions [%.2f%%, %.2f%%], more than alpha = %g; %s",
			 r->fp_all.rate * 100.0, r->fp_all.lo * 100.0, r->fp_all.hi * 100.0, r->alpha, why);
		return;
	}
	for (size_t i = 0; i < sizeof(grid) / sizeof(grid[0]); i++)
		if (m <= grid[i] * (1.0 + 1e-9)) {
			r->fit = 1;
			r->fit_effect = grid[i];
			break;
		}
	if (!r->fit)
		snprintf(r->verdict, sizeof(r->verdict),
			 "not fit to gate changes below 20%% within %.0f s per decision on this machine: %s", r->budget_s, why);
	else if (r->fit_effect <= 0.02)
		snprintf(r->verdict, sizeof(r->verdict),
			 "fit to gate changes of %.0f%% or more within %.0f s per decision on this machine",
			 r->fit_effect * 100.0, r->budget_s);
	else
		snprintf(r->verdict, sizeof(r->verdict),
			 "fit to gate changes of %.0f%% or more within %.0f s per decision on this machine; in the way of smaller ones: %s",
			 r->fit_effect * 100.0, r->budget_s, why);
}

/* ---- saving ----------------------------------------------------------- */

/* .git/benchgate/calibration.json inside a repository, else the cache. */
int lp_calibrate_save(lp_calib_report *r)
{
	lp_repo *repo = NULL;
	state_store *state = NULL;
	char *path = NULL, *text = NULL;
	cJSON *doc;
	int error;

	if (lp_repo_open(&repo, ".") == 0 && (error = state_open(&state, lp_repo_gitdir(repo))) < 0)
		goto cleanup;
	bg_error_clear();
	if ((error = state_calibration_path(&path, state, r->probe.fingerprint, 1)) < 0)
		goto cleanup;
	r->saved_to = path;
	if ((doc = lp_calibrate_json(r)) == NULL || (text = cJSON_Print(doc)) == NULL) {
		cJSON_Delete(doc);
		error = bg_error_nomem();
		goto cleanup;
	}
	cJSON_Delete(doc);
	error = bg_file_write_atomic(path, text);
cleanup:
	if (error < 0) {
		free(path);
		r->saved_to = NULL;
	}
	free(text);
	state_free(state);
	lp_repo_free(repo);
	return error;
}

/* ---- the command ------------------------------------------------------ */

static int prepare(lp_calib_report *r, const lp_calibrate_opts *o, lp_config **cfg, char **corpora)
{
	size_t n = o->config ? 0 : o->ncmds ? (size_t)o->ncmds : NBUNDLED;
	const char *reason;
	int error;

	if (o->config && (error = lp_config_load(cfg, o->config)) < 0)
		return error;
	if (*cfg && (*cfg)->metric_difference && !o->metric)
		return bg_error_set(BG_EUNSUPPORTED, "%s: metric.effect \"difference\": calibrate measures the noise "
						     "of ratios B/A and does not calibrate differences yet (gate decides "
						     "them without a plan); --metric wall calibrates the machine",
				    (*cfg)->path);
	if (*cfg)
		n = (*cfg)->nworkloads;
	settings(r, o, *cfg);
	budgets(r);
	r->rho = st_rule_rho();
	if ((strcmp(r->metric, "instructions") == 0 || strcmp(r->metric, "cycles") == 0) &&
	    !smp_hw_counters_available(&reason))
		return bg_error_set(BG_EUNSUPPORTED, "--metric %s: hardware counters cannot be read here: %s",
				    r->metric, reason);
	if ((r->wl = calloc(n, sizeof(*r->wl))) == NULL)
		return bg_error_nomem();
	if (*cfg) {
		r->config_path = o->config;
		return config_workloads(r, *cfg, o->config);
	}
	for (int i = 0; i < o->ncmds; i++)
		if ((error = add_workload(r, o->cmds[i], o->cmds[i])) < 0)
			return error;
	if (o->ncmds == 0) {
		if ((error = bundled_workloads(r, corpora)) < 0)
			return error;
		r->corpora_dir = *corpora;
	}
	return 0;
}

static int run(lp_calib_report *r, const lp_calibrate_opts *o, const lp_config *cfg, gsl_rng *rng)
{
	cal_run c;
	smp_cpustat s0, s1;
	int lock, error;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.rng = rng;
	c.t0 = bg_time_now();
	c.run_timeout = cfg ? cfg->run_timeout : 0.0;
	c.count_hw = strcmp(r->metric, "instructions") == 0 || strcmp(r->metric, "cycles") == 0;
	smp_probe_read(&r->probe, NULL);
	smp_cpustat_read(&s0, NULL);
	if ((error = setup_pinning(&c)) < 0 || (error = state_machine_lock(&lock, o->quiet)) < 0)
		return error;
	bg_interrupt_install();
	bg_progress_init(&c.prog, o->quiet);
	error = measure_all(&c);
	state_unlock(lock);
	if (error < 0)
		return error;
	smp_cpustat_read(&s1, NULL);
	r->steal = smp_cpustat_steal_share(&s0, &s1);
	for (size_t w = 0; w < r->nwl && error == 0; w++) {
		bg_progress_update(&c.prog, "benchgate: calibrate: the rule on %s's A/A data (%zu/%zu)",
				   r->wl[w].name, w + 1, r->nwl);
		error = analyse_workload(r, &r->wl[w], rng);
	}
	bg_progress_done(&c.prog);
	if (error < 0 || (error = summarise(r, rng)) < 0)
		return error;
	checks(r);
	verdict(r);
	bg_time_utc(r->date, sizeof(r->date));
	r->elapsed_s = bg_time_now() - c.t0;
	return bg_interrupt_requested() ? bg_error_set(BG_EINTR, "interrupted") : 0;
}

int lp_calibrate_measure(lp_calib_report *r, lp_config **cfg, char **corpora,
			 const lp_calibrate_opts *o, gsl_rng *rng)
{
	int error;

	if ((error = prepare(r, o, cfg, corpora)) < 0)
		return error;
	return run(r, o, *cfg, rng);
}
