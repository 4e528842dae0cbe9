/* peers: how benchgate's decisions compare with its peers', on the same runs
 * and the same machine (issue 5, item 5; METHODS.md, "Peers on the same
 * runs"). eval/peers.sh drives it and writes eval/results/peers.md.
 *
 *   peers table [options]             A/A and known-effect trials on the
 *                                     bundled bg-int; prints the markdown
 *                                     table and its details
 *   peers pair [options] CMD_A CMD_B  one decision of every peer on two
 *                                     commands (the demo candidates)
 *
 * A decision is whether a method would KEEP candidate B over baseline A:
 * call B faster. A false keep is a KEEP when A and B are the same command.
 *
 * Same runs: every trial runs randomized interleaved rounds of A and B
 * (smp_runner, wall time, the command pinned to one PU) until benchgate's
 * rule has stopped and at least DELIVERED_ROUNDS are in; every
 * in-process method then decides from the same stream:
 *  - benchgate: `benchgate compare`'s defaults. The first WARMUP rounds are
 *    its warm-up; after every later round the anytime-valid confidence
 *    sequence of the paired log-ratios (st_cs.h) and the verdict rule
 *    (st_effect.h, min effect 1%, alpha 0.05); it stops at the first verdict
 *    other than INCONCLUSIVE from MIN_RUNS rounds on, or INCONCLUSIVE at the
 *    round or time budget. KEEP = IMPROVED. Its machine-seconds are the run
 *    times of every round it used, warm-up included.
 *  - single run: round 1's pair; KEEP when B's run was shorter.
 *  - pi-autoresearch's advisory score (extensions/pi-autoresearch/index.ts,
 *    computeConfidence): the session is the runs of the first --pi-n rounds
 *    in the order they ran; the baseline is A's first run; a B run is kept
 *    when it beats the best so far; score = |best kept - baseline| / MAD,
 *    MAD the raw (unscaled) median absolute deviation of every value of the
 *    session; KEEP when a B run was kept and the score is >= 2 ("likely
 *    real").
 *  - Mann-Whitney at a fixed n (Google Benchmark's compare.py,
 *    tools/gbench/report.py): scipy's mannwhitneyu two-sided on the first
 *    --mwu-n rounds of each arm (asymptotic with continuity correction,
 *    which is scipy's choice above 8 values per sample); KEEP when
 *    p < 0.05 (compare.py's utest_alpha) and B's median is lower.
 * hyperfine cannot share the runs: it is run as a real process,
 * `hyperfine -N --warmup W --runs N A B` (all of A, then all of B, not
 * pinned), and Welch's t-test (ev_rank.h) at 0.05 is applied to the times
 * it exports; KEEP when significant and B's mean is lower. Its
 * machine-seconds are hyperfine's elapsed time.
 *
 * Known effects: A = `bg-int -s S -x X`, B = `bg-int -s S`, with X chosen so
 * that B/A = 1 - P in wall time (B is P% faster): bg-int's -x adds loop work
 * only, and process start-up does not scale, so X = 100 (P / (1 - P)) /
 * share, share = the loop's part of the run time, measured at the start
 * (interleaved rounds of `-s 0` and `-s S`). The delivered ratio is
 * reported beside the power: the mean ln(B/A) of the first DELIVERED_ROUNDS
 * rounds of every trial (each trial runs at least that many). */
#include "sim_common.h"
#include "ev_rank.h"
#include "bg_error.h"
#include "bg_interrupt.h"
#include "bg_file.h"
#include "bg_progress.h"
#include "bg_time.h"
#include "cli.h"
#include "cli_opt.h"
#include "smp_pin.h"
#include "smp_runner.h"
#include "smp_spawn.h"
#include "st_cs.h"
#include "st_rule.h"
#include "st_desc.h"
#include "st_effect.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

/* `benchgate compare`'s defaults. */
#define ALPHA 0.05
#define MIN_EFFECT 0.01
#define MIN_RUNS 5
#define WARMUP 2
/* compare.py's utest_alpha; the usual level for Welch. */
#define TEST_ALPHA 0.05
#define PI_LIKELY_REAL 2.0
#define CALIB_ROUNDS 100
/* Rounds every trial runs at least, for the delivered ratio. */
#define DELIVERED_ROUNDS 30

enum { PEER_BENCHGATE, PEER_SINGLE, PEER_PI, PEER_HYPERFINE, PEER_MWU, PEER_COUNT };
static const char *const method_names[PEER_COUNT] = {
	"benchgate", "single run", "pi-autoresearch score", "hyperfine + Welch", "Mann-Whitney, fixed n"
};
static const char *const method_keys[PEER_COUNT] = { "benchgate", "single", "pi", "hyperfine", "mwu" };

#define NEFFECTS 4
static const double effects[NEFFECTS] = { 0.01, 0.02, 0.05, 0.10 };
#define NCOND (NEFFECTS + 1) /* condition 0 is A/A */

typedef struct {
	const char *bg_int;
	double scale;
	unsigned aa_trials, effect_trials;
	unsigned max_rounds;  /* benchgate's budget, rounds after warm-up */
	double max_time;      /* and seconds */
	unsigned pi_n, mwu_n, hf_runs, hf_warmup, rounds;
	const char *hyperfine; /* NULL: skip that row */
	const char *demo;      /* table: file of "key value" lines */
	unsigned long seed;
} peers_opts;

/* What one method decided in one trial. */
typedef struct {
	int keep;     /* called B faster */
	int differ;   /* called a difference either way (tests only) */
	int valid;    /* 0: the method did not run (hyperfine missing) */
	double secs;  /* machine-seconds */
} decision;

/* The rounds of one trial: wall seconds of A and B, and which ran first. */
typedef struct {
	double *a, *b;
	int *a_first;
	size_t n, cap;
} series;

/* benchgate's sequential rule, fed one round at a time. */
typedef struct {
	st_cs_state cs;
	double t0, secs;
	unsigned rounds;   /* rounds after warm-up */
	int done;
	st_verdict verdict;
} bg_rule;

/* Shared by every trial: the pinning, the RNG, the affinity to restore for
 * hyperfine, and the options. */
typedef struct {
	const peers_opts *o;
	smp_pinning *pin;
	gsl_rng *rng;
	cpu_set_t all_cpus;
	bg_progress prog;
} peers_ctx;

static int series_push(series *s, double a, double b, int a_first)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		double *na = realloc(s->a, cap * sizeof(*na));
		double *nb = na ? realloc(s->b, cap * sizeof(*nb)) : NULL;
		int *nf = nb ? realloc(s->a_first, cap * sizeof(*nf)) : NULL;
		if (na)
			s->a = na;
		if (nb)
			s->b = nb;
		if (nf == NULL)
			return bg_error_nomem();
		s->a_first = nf;
		s->cap = cap;
	}
	s->a[s->n] = a;
	s->b[s->n] = b;
	s->a_first[s->n] = a_first;
	s->n++;
	return 0;
}

static void series_clear(series *s)
{
	free(s->a);
	free(s->b);
	free(s->a_first);
	memset(s, 0, sizeof(*s));
}

static double sum_runs(const series *s, size_t from, size_t to)
{
	double t = 0;

	for (size_t i = from; i < to && i < s->n; i++)
		t += s->a[i] + s->b[i];
	return t;
}

/* ---- benchgate's rule (lp_compare.c's sample/look) ---- */

static void bg_rule_init(bg_rule *r, double rho)
{
	memset(r, 0, sizeof(*r));
	st_cs_init(&r->cs, rho);
	r->t0 = bg_time_now();
	r->verdict = ST_INCONCLUSIVE;
}

static void bg_rule_push(bg_rule *r, const peers_opts *o, double a, double b, size_t round)
{
	st_rule rule = st_rule_make(ALPHA, MIN_EFFECT, 1);
	st_rule_look l;

	if (r->done)
		return;
	r->secs += a + b;
	if (round <= WARMUP)
		return;
	r->rounds++;
	if (st_cs_push(&r->cs, log(b) - log(a)) < 0 || st_rule_look_at(&l, &r->cs, &rule) < 0)
		return;
	if (l.verdict != ST_INCONCLUSIVE && r->rounds >= MIN_RUNS) {
		r->verdict = l.verdict;
		r->done = 1;
	} else if (r->rounds >= o->max_rounds || bg_time_now() - r->t0 >= o->max_time) {
		r->done = 1;
	}
}

/* ---- the rules that decide from a prefix of the rounds ---- */

static decision rule_single(const series *s)
{
	decision d = { s->b[0] < s->a[0], 1, 1, s->a[0] + s->b[0] };

	return d;
}

/* pi-autoresearch's computeConfidence on the session of the first n
 * rounds in run order. */
static decision rule_pi(const series *s, size_t n)
{
	double v[2 * n], dev[2 * n], med, mad, base = s->a[0], best = s->a[0];
	decision d = { 0, 0, 1, sum_runs(s, 0, n) };
	int kept = 0;

	for (size_t i = 0; i < n; i++) {
		v[2 * i] = s->a_first[i] ? s->a[i] : s->b[i];
		v[2 * i + 1] = s->a_first[i] ? s->b[i] : s->a[i];
		if (s->b[i] < best) {
			best = s->b[i];
			kept = 1;
		}
	}
	if (!kept || st_median(&med, v, 2 * n) < 0)
		return d;
	for (size_t i = 0; i < 2 * n; i++)
		dev[i] = fabs(v[i] - med);
	if (st_median(&mad, dev, 2 * n) < 0 || mad == 0.0)
		return d;
	d.keep = fabs(best - base) / mad >= PI_LIKELY_REAL;
	return d;
}

static decision rule_mwu(const series *s, size_t n)
{
	decision d = { 0, 0, 1, sum_runs(s, 0, n) };
	ev_mwu u;
	double ma, mb;

	if (ev_mwu_test(&u, s->a, n, s->b, n, EV_RANK_ASYMPTOTIC) < 0 ||
	    st_median(&ma, s->a, n) < 0 || st_median(&mb, s->b, n) < 0)
		return d;
	d.differ = u.p < TEST_ALPHA;
	d.keep = d.differ && mb < ma;
	return d;
}

/* ---- collecting the rounds ---- */

/* The last round's A and B wall times, and whether A ran first. */
static void last_round(double *a, double *b, int *a_first, const smp_runner *r)
{
	size_t ns;
	const smp_sample *s = smp_runner_samples(r, &ns);
	const smp_sample *x = &s[ns - 2], *y = &s[ns - 1];
	const smp_sample *sa = smp_runner_job(r, x->job)->arm == 0 ? x : y;
	const smp_sample *sb = sa == x ? y : x;

	*a = (double)sa->wall_ns * 1e-9;
	*b = (double)sb->wall_ns * 1e-9;
	*a_first = sa == x;
}

/* Runs rounds of A and B until benchgate's rule has stopped and at least
 * `need` rounds are in; fills *s and *bg. */
static int collect(series *s, bg_rule *bg, peers_ctx *c, const char *cmd_a,
		   const char *cmd_b, size_t need, int with_bg)
{
	smp_job jobs[2] = { { "A", cmd_a, 0, 0 }, { "B", cmd_b, 0, 1 } };
	smp_runner_opts ro = SMP_RUNNER_OPTS_INIT;
	smp_runner *r = NULL;
	int error;

	ro.spawn.no_shell = 1;
	if ((error = smp_runner_new(&r, jobs, 2, &ro, c->pin, c->rng)) < 0)
		return error;
	while (s->n < need || (with_bg && !bg->done)) {
		double a, b;
		int af;
		if ((error = smp_runner_round(r)) < 0)
			break;
		last_round(&a, &b, &af, r);
		if ((error = series_push(s, a, b, af)) < 0)
			break;
		if (with_bg)
			bg_rule_push(bg, c->o, a, b, s->n);
	}
	smp_runner_free(r);
	return error;
}

/* ---- hyperfine ---- */

static int hf_times(double **out, size_t *n, const cJSON *result)
{
	const cJSON *times = cJSON_GetObjectItemCaseSensitive(result, "times"), *t;
	size_t k = 0, cnt = (size_t)cJSON_GetArraySize(times);
	double *v;

	if (!cJSON_IsArray(times) || cnt < 2)
		return bg_error_set(BG_EPARSE, "hyperfine's export has no \"times\" array of 2 or more runs");
	if ((v = malloc(cnt * sizeof(*v))) == NULL)
		return bg_error_nomem();
	cJSON_ArrayForEach(t, times)
		v[k++] = cJSON_IsNumber(t) ? t->valuedouble : NAN;
	*out = v;
	*n = cnt;
	return 0;
}

/* Welch's t-test on the times of hyperfine's JSON export. */
static int hf_decide(decision *d, const char *path)
{
	char *text = NULL;
	cJSON *root = NULL, *res;
	double *x = NULL, *y = NULL;
	size_t m = 0, n = 0;
	ev_welch w;
	int error;

	if ((text = bg_file_read(path, NULL)) == NULL)
		return bg_error_code();
	root = cJSON_Parse(text);
	res = cJSON_GetObjectItemCaseSensitive(root, "results");
	if (cJSON_GetArraySize(res) != 2) {
		error = bg_error_set(BG_EPARSE, "%s: expected \"results\" with two commands", path);
		goto cleanup;
	}
	if ((error = hf_times(&x, &m, cJSON_GetArrayItem(res, 0))) < 0 ||
	    (error = hf_times(&y, &n, cJSON_GetArrayItem(res, 1))) < 0)
		goto cleanup;
	if (ev_welch_test(&w, x, m, y, n) == 0) {
		d->differ = w.p < TEST_ALPHA;
		d->keep = d->differ && w.t < 0.0;
	}
cleanup:
	free(x);
	free(y);
	cJSON_Delete(root);
	free(text);
	return error;
}

/* Runs hyperfine on A then B, unpinned, and decides with Welch. */
static int run_hyperfine(decision *d, peers_ctx *c, const char *cmd_a, const char *cmd_b)
{
	const peers_opts *o = c->o;
	char json[] = "/tmp/benchgate-peers-hf.XXXXXX", *cmd = NULL;
	smp_spawn_opts so = SMP_SPAWN_OPTS_INIT;
	smp_result res = { 0 };
	int fd, error;

	*d = (decision){ 0, 0, 0, 0.0 };
	if (o->hyperfine == NULL)
		return 0;
	if ((fd = mkstemp(json)) < 0)
		return bg_error_set(BG_ESYS, "mkstemp %s failed", json);
	close(fd);
	if (asprintf(&cmd, "%s -N --style none --warmup %u --runs %u --export-json %s '%s' '%s'",
		     o->hyperfine, o->hf_warmup, o->hf_runs, json, cmd_a, cmd_b) < 0) {
		error = bg_error_nomem();
		goto cleanup;
	}
	so.cmd = cmd;
	so.no_shell = 1;
	so.cpus = &c->all_cpus;
	if ((error = smp_run(&res, &so)) < 0)
		goto cleanup;
	if (res.outcome != SMP_EXITED || res.exit_code != 0) {
		error = bg_error_set(BG_ECHILD, "hyperfine failed (exit %d): %s", res.exit_code, res.err);
		goto cleanup;
	}
	d->valid = 1;
	d->secs = (double)res.wall_ns * 1e-9;
	error = hf_decide(d, json);
cleanup:
	smp_result_clear(&res);
	unlink(json);
	free(cmd);
	return error;
}

/* ---- the study: A/A and known effects ---- */

typedef struct {
	unsigned n, keeps, differs;
	double secs;
} tally;

typedef struct {
	tally t[NCOND][PEER_COUNT];
	unsigned verdicts[NCOND][4];    /* benchgate's, by st_verdict */
	double bg_rounds[NCOND];
	double *log_ratio[NCOND];       /* each trial's mean ln(B/A) */
	unsigned done[NCOND], target[NCOND];
	double x[NCOND];                /* A's -x per condition (0 for A/A) */
	char cmd_a[NCOND][512], cmd_b[512];
	double t_fixed, t_full, share;  /* calibration */
} study;

/* Rounds the fixed-n rules need. */
static size_t need_rounds(const peers_opts *o)
{
	return o->pi_n > o->mwu_n ? o->pi_n : o->mwu_n;
}

/* Rounds every trial collects: the fixed-n rules' and the delivered
 * ratio's. */
static size_t trial_rounds(const peers_opts *o)
{
	return need_rounds(o) > DELIVERED_ROUNDS ? need_rounds(o) : DELIVERED_ROUNDS;
}

static void tally_add(tally *t, const decision *d)
{
	if (!d->valid)
		return;
	t->n++;
	t->keeps += d->keep != 0;
	t->differs += d->differ != 0;
	t->secs += d->secs;
}

/* Mean ln(B/A) of the first n rounds. Every trial has them whatever
 * benchgate's rule did, so unlike the mean of all of a trial's rounds
 * (longer when the effect looked small) it is not biased by the stopping. */
static double mean_log_ratio(const series *s, size_t n)
{
	double sum = 0;
	size_t k = 0;

	for (size_t i = 0; i < s->n && i < n; i++, k++)
		sum += log(s->b[i]) - log(s->a[i]);
	return k ? sum / (double)k : 0.0;
}

static int run_trial(study *st, peers_ctx *c, int cond, double rho)
{
	const peers_opts *o = c->o;
	size_t need = trial_rounds(o);
	series s = { 0 };
	bg_rule bg;
	decision d[PEER_COUNT];
	int error;

	bg_rule_init(&bg, rho);
	if ((error = collect(&s, &bg, c, st->cmd_a[cond], st->cmd_b, need, 1)) < 0 ||
	    (error = run_hyperfine(&d[PEER_HYPERFINE], c, st->cmd_a[cond], st->cmd_b)) < 0)
		goto cleanup;
	d[PEER_BENCHGATE] = (decision){ bg.verdict == ST_IMPROVED,
				     bg.verdict == ST_IMPROVED || bg.verdict == ST_REGRESSED, 1, bg.secs };
	d[PEER_SINGLE] = rule_single(&s);
	d[PEER_PI] = rule_pi(&s, o->pi_n);
	d[PEER_MWU] = rule_mwu(&s, o->mwu_n);
	for (int m = 0; m < PEER_COUNT; m++)
		tally_add(&st->t[cond][m], &d[m]);
	st->verdicts[cond][bg.verdict]++;
	st->bg_rounds[cond] += bg.rounds;
	st->log_ratio[cond][st->done[cond]++] = mean_log_ratio(&s, need);
cleanup:
	series_clear(&s);
	return error;
}

/* The loop's share of bg-int's run time at the chosen scale: interleaved
 * rounds of `-s 0` (start-up only) and `-s S`, medians after a warm-up. */
static int calibrate(study *st, peers_ctx *c)
{
	const peers_opts *o = c->o;
	char cmd0[512], cmd1[512];
	series s = { 0 };
	int error;

	snprintf(cmd0, sizeof(cmd0), "%s -s 0", o->bg_int);
	snprintf(cmd1, sizeof(cmd1), "%s -s %g", o->bg_int, o->scale);
	if ((error = collect(&s, NULL, c, cmd0, cmd1, CALIB_ROUNDS + WARMUP, 0)) == 0 &&
	    (error = st_median(&st->t_fixed, s.a + WARMUP, CALIB_ROUNDS)) == 0 &&
	    (error = st_median(&st->t_full, s.b + WARMUP, CALIB_ROUNDS)) == 0) {
		st->share = (st->t_full - st->t_fixed) / st->t_full;
		if (!(st->share > 0.05))
			error = bg_error_set(BG_EDOMAIN,
					     "bg-int -s %g takes %.2f ms, its start-up alone %.2f ms: the loop is too small a part to set effects with; raise --scale",
					     o->scale, st->t_full * 1e3, st->t_fixed * 1e3);
	}
	series_clear(&s);
	return error;
}

static int study_setup(study *st, peers_ctx *c)
{
	const peers_opts *o = c->o;
	int error;

	if ((error = calibrate(st, c)) < 0)
		return error;
	snprintf(st->cmd_b, sizeof(st->cmd_b), "%s -s %g", o->bg_int, o->scale);
	snprintf(st->cmd_a[0], sizeof(st->cmd_a[0]), "%s", st->cmd_b);
	st->target[0] = o->aa_trials;
	for (int k = 0; k < NEFFECTS; k++) {
		double p = effects[k];
		st->x[k + 1] = 100.0 * p / (1.0 - p) / st->share;
		snprintf(st->cmd_a[k + 1], sizeof(st->cmd_a[k + 1]), "%s -s %g -x %.3f", o->bg_int,
			 o->scale, st->x[k + 1]);
		st->target[k + 1] = o->effect_trials;
	}
	for (int k = 0; k < NCOND; k++)
		if ((st->log_ratio[k] = calloc(st->target[k] + 1, sizeof(double))) == NULL)
			return bg_error_nomem();
	return 0;
}

/* The condition furthest behind its share of the trials, so that the
 * machine's moods spread evenly over all of them; -1 when all are done. */
static int next_condition(const study *st)
{
	int best = -1;
	double best_f = 2.0;

	for (int k = 0; k < NCOND; k++) {
		double f;
		if (st->done[k] >= st->target[k])
			continue;
		f = ((double)st->done[k] + 0.5) / (double)st->target[k];
		if (f < best_f) {
			best_f = f;
			best = k;
		}
	}
	return best;
}

static int run_study(study *st, peers_ctx *c)
{
	unsigned total = 0, n = 0;
	double rho, t0 = bg_time_now();
	int cond, error = 0;

	rho = st_rule_rho();
	for (int k = 0; k < NCOND; k++)
		total += st->target[k];
	while (error == 0 && (cond = next_condition(st)) >= 0) {
		bg_progress_update(&c->prog, "peers: trial %u of %u (%s), %.0f s", n + 1, total,
				   cond == 0 ? "A/A" : "effect", bg_time_now() - t0);
		error = run_trial(st, c, cond, rho);
		n++;
	}
	bg_progress_done(&c->prog);
	return error;
}

/* ---- output ---- */

/* The demo column: the value of `key` in the --demo file ("key value"
 * lines), or "—". */
static void demo_value(char *buf, size_t size, const char *file, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	FILE *f = file ? fopen(file, "r") : NULL;

	snprintf(buf, size, "—");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, len) == 0 && line[len] == ' ') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", line + len + 1);
			break;
		}
	fclose(f);
}

static double cond_mean_secs(const study *st, int m)
{
	double sum = 0;
	int k = 0;

	for (int c = 0; c < NCOND; c++)
		if (st->t[c][m].n) {
			sum += st->t[c][m].secs / st->t[c][m].n;
			k++;
		}
	return k ? sum / k : NAN;
}

static void print_row(const study *st, const peers_opts *o, int m)
{
	const tally *aa = &st->t[0][m];
	char demo[128];
	double lo, hi;

	demo_value(demo, sizeof(demo), o->demo, method_keys[m]);
	if (aa->n == 0) {
		printf("| %s | not run: hyperfine is not installed (`apt-get install hyperfine`) | | | | | | %s |\n",
		       method_names[m], demo);
		return;
	}
	binom_ci(&lo, &hi, aa->keeps, aa->n);
	printf("| %s | %.3f (%u/%u) [%.3f, %.3f] |", method_names[m], (double)aa->keeps / aa->n,
	       aa->keeps, aa->n, lo, hi);
	for (int k = 1; k < NCOND; k++) {
		const tally *t = &st->t[k][m];
		printf(" %.2f |", t->n ? (double)t->keeps / t->n : NAN);
	}
	printf(" %.2f | %s |\n", cond_mean_secs(st, m), demo);
}

static void print_table(const study *st, const peers_opts *o)
{
	printf("| method | false keeps on A/A [95%% CI] | power at 1%% | 2%% | 5%% | 10%% | machine-seconds per decision | demo candidates right, of 8 |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
	for (int m = 0; m < PEER_COUNT; m++)
		print_row(st, o, m);
	printf("\n");
}

static void print_details(const study *st)
{
	printf("Keeps per condition (k/n), and on A/A how often a test called a difference either way; mean machine-seconds per decision per condition:\n\n");
	printf("| method | A/A keeps | A/A: any difference | 1%% | 2%% | 5%% | 10%% | s, A/A | s, 1%% | s, 2%% | s, 5%% | s, 10%% |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int m = 0; m < PEER_COUNT; m++) {
		if (st->t[0][m].n == 0)
			continue;
		printf("| %s | %u/%u |", method_names[m], st->t[0][m].keeps, st->t[0][m].n);
		if (m == PEER_SINGLE || m == PEER_PI)
			printf(" — |");
		else
			printf(" %u/%u |", st->t[0][m].differs, st->t[0][m].n);
		for (int k = 1; k < NCOND; k++)
			printf(" %u/%u |", st->t[k][m].keeps, st->t[k][m].n);
		for (int k = 0; k < NCOND; k++)
			printf(" %.3f |", st->t[k][m].n ? st->t[k][m].secs / st->t[k][m].n : NAN);
		printf("\n");
	}
	printf("\n");
}

/* The delivered ratio of a condition with its normal 95% interval. */
static void print_delivered(const study *st, int k)
{
	double mean = 0, sd = 0, half;

	st_mean(&mean, st->log_ratio[k], st->done[k]);
	if (st->done[k] < 2 || st_sd(&sd, st->log_ratio[k], st->done[k]) < 0) {
		printf(" %.4f |", exp(mean));
		return;
	}
	half = 1.96 * sd / sqrt((double)st->done[k]);
	printf(" %.4f [%.3f, %.3f] |", exp(mean), exp(mean - half), exp(mean + half));
}

static void print_conditions(const study *st, const peers_opts *o)
{
	printf("| condition | A's command | B/A delivered [95%% CI] | benchgate: IMPROVED | REGRESSED | NO_CHANGE | INCONCLUSIVE | mean rounds |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < NCOND; k++) {
		if (st->done[k] == 0)
			continue;
		if (k == 0)
			printf("| A/A | `bg-int -s %g` |", o->scale);
		else
			printf("| B faster by %.0f%% | `bg-int -s %g -x %.3f` |", effects[k - 1] * 100,
			       o->scale, st->x[k]);
		print_delivered(st, k);
		printf(" %u | %u | %u | %u | %.0f |\n", st->verdicts[k][ST_IMPROVED],
		       st->verdicts[k][ST_REGRESSED], st->verdicts[k][ST_NO_CHANGE],
		       st->verdicts[k][ST_INCONCLUSIVE], st->bg_rounds[k] / st->done[k]);
	}
	printf("\nB is `bg-int -s %g` throughout. B/A delivered: the geometric mean over the trials of B/A in each trial's first %zu rounds (which every trial has, whatever benchgate's stopping did), with a normal 95%% interval over the trials. Calibration: `bg-int -s 0` (start-up only) %.2f ms, `-s %g` %.2f ms (medians of %d interleaved rounds), so the loop is %.1f%% of the run time and A's `-x` is 100 (P / (1 - P)) / %.3f.\n\n",
	       o->scale, trial_rounds(o), st->t_fixed * 1e3, o->scale, st->t_full * 1e3, CALIB_ROUNDS,
	       st->share * 100, st->share);
}

/* ---- the two modes ---- */

static int cmd_table(peers_ctx *c)
{
	study st;
	double t0 = bg_time_now();
	int error;

	memset(&st, 0, sizeof(st));
	if ((error = study_setup(&st, c)) == 0 && (error = run_study(&st, c)) == 0) {
		print_table(&st, c->o);
		print_details(&st);
		print_conditions(&st, c->o);
		printf("The trials took %.0f s.\n", bg_time_now() - t0);
	}
	for (int k = 0; k < NCOND; k++)
		free(st.log_ratio[k]);
	return error;
}

static const char *keep_name(const decision *d)
{
	return !d->valid ? "-" : d->keep ? "KEEP" : "REJECT";
}

static int cmd_pair(peers_ctx *c, const char *cmd_a, const char *cmd_b)
{
	const peers_opts *o = c->o;
	size_t need = o->rounds;
	series s = { 0 };
	decision d[PEER_COUNT];
	int error;

	if (need < need_rounds(o))
		need = need_rounds(o);
	if ((error = collect(&s, NULL, c, cmd_a, cmd_b, need, 0)) < 0 ||
	    (error = run_hyperfine(&d[PEER_HYPERFINE], c, cmd_a, cmd_b)) < 0)
		goto cleanup;
	d[PEER_SINGLE] = rule_single(&s);
	d[PEER_PI] = rule_pi(&s, o->pi_n);
	d[PEER_MWU] = rule_mwu(&s, o->mwu_n);
	printf("single %s pi %s hyperfine %s mwu %s ratio %.4f\n", keep_name(&d[PEER_SINGLE]),
	       keep_name(&d[PEER_PI]), keep_name(&d[PEER_HYPERFINE]), keep_name(&d[PEER_MWU]),
	       exp(mean_log_ratio(&s, s.n)));
cleanup:
	series_clear(&s);
	return error;
}

/* ---- options and main ---- */

static const cli_opt_help peers_help = {
	"peers", "table [options] | pair [options] CMD_A CMD_B",
	"benchgate against its peers on the same runs (make eval): 'table' runs\n"
	"the A/A and effect trials, 'pair' one decision of each on two commands.\n",
	NULL, "peers"
};

/* Returns -1 to go on, with *next the first operand (the mode), else the
 * exit code. */
static int parse_args(peers_opts *o, int *next, int argc, char **argv)
{
	unsigned long long seed = 20261122;
	const char *hyperfine = NULL;
	int rc;
	const cli_opt opts[] = {
		{ CLI_OPT_STRING, "bg-int", 0, &o->bg_int, "PATH", "the bg-int workload (default build/corpora/bg-int)", 0, 0, NULL },
		{ CLI_OPT_DOUBLE, "scale", 0, &o->scale, "S", "its work per run (default 0.25)", 0.01, 100, NULL },
		{ CLI_OPT_UINT, "aa", 0, &o->aa_trials, "N", "A/A trials (default 200)", 1, 1000000, NULL },
		{ CLI_OPT_UINT, "effect-trials", 0, &o->effect_trials, "N", "trials per effect size (default 50)", 1, 1000000, NULL },
		{ CLI_OPT_UINT, "max-rounds", 0, &o->max_rounds, "N", "benchgate's most rounds (default 300)", MIN_RUNS, 10000000, NULL },
		{ CLI_OPT_DOUBLE, "max-time", 0, &o->max_time, "SEC", "benchgate's budget per decision (default 5)", 0.001, 1e7, NULL },
		{ CLI_OPT_UINT, "pi-n", 0, &o->pi_n, "N", "pi-autoresearch's runs (default 5)", 2, 10000, NULL },
		{ CLI_OPT_UINT, "mwu-n", 0, &o->mwu_n, "N", "Mann-Whitney's runs per arm (default 9)", 2, 10000, NULL },
		{ CLI_OPT_UINT, "hf-runs", 0, &o->hf_runs, "N", "hyperfine's runs (default 10)", 2, 100000, NULL },
		{ CLI_OPT_UINT, "hf-warmup", 0, &o->hf_warmup, "N", "hyperfine's warm-up runs (default 2)", 0, 100000, NULL },
		{ CLI_OPT_STRING, "hyperfine", 0, &hyperfine, "PATH", "the hyperfine binary (\"\": none)", 0, 0, NULL },
		{ CLI_OPT_UINT, "rounds", 0, &o->rounds, "N", "pair: rounds collected", 2, 10000000, NULL },
		{ CLI_OPT_STRING, "demo", 0, &o->demo, "FILE", "the demo's verdicts to check", 0, 0, NULL },
		{ CLI_OPT_U64, "seed", 0, &seed, "N", "seed of the trials (default 20261122)", 0, 0, NULL },
		CLI_END
	};

	*o = (peers_opts){ "build/corpora/bg-int", 0.25, 200, 50, 300, 5.0, 5, 9, 10, 2, 0,
			   NULL, NULL, 20261122 };
	if ((rc = cli_opt_parse(next, opts, &peers_help, argc, argv)) >= 0)
		return rc;
	if (hyperfine)
		o->hyperfine = hyperfine[0] ? hyperfine : NULL;
	o->seed = (unsigned long)seed;
	if (*next >= argc || (strcmp(argv[*next], "table") != 0 && strcmp(argv[*next], "pair") != 0))
		return cli_opt_usage_error(&peers_help, "expected the mode table or pair");
	return -1;
}

/* argv[next] is the mode, the commands follow. */
static int run(peers_ctx *c, int next, int argc, char **argv)
{
	if (strcmp(argv[next], "table") == 0) {
		if (next + 1 != argc)
			return cli_opt_usage_error(&peers_help, "table takes no commands");
		return cmd_table(c) < 0 ? cli_error("peers: %s", bg_error_last()) : 0;
	}
	if (argc - next - 1 != 2)
		return cli_opt_usage_error(&peers_help, "pair needs two commands, got %d", argc - next - 1);
	return cmd_pair(c, argv[next + 1], argv[next + 2]) < 0 ?
		cli_error("peers: %s", bg_error_last()) : 0;
}

int main(int argc, char **argv)
{
	peers_opts o;
	peers_ctx c = { 0 };
	int next, rc;

	if ((rc = parse_args(&o, &next, argc, argv)) >= 0)
		return rc;
	gsl_set_error_handler_off();
	c.o = &o;
	/* Before pinning binds this thread: hyperfine gets every allowed PU. */
	if (sched_getaffinity(0, sizeof(c.all_cpus), &c.all_cpus) != 0)
		return cli_error("peers: sched_getaffinity failed");
	if ((c.rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return cli_error("peers: out of memory");
	gsl_rng_set(c.rng, o.seed);
	if (smp_pinning_new(&c.pin, "auto") < 0) {
		gsl_rng_free(c.rng);
		return cli_error("peers: %s", bg_error_last());
	}
	bg_interrupt_install();
	bg_progress_init(&c.prog, 0);
	rc = run(&c, next, argc, argv);
	smp_pinning_free(c.pin);
	gsl_rng_free(c.rng);
	return rc;
}
