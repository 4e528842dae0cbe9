/* lp_gate: the gate's decision flow (see lp_gate.h); its ledger record
 * and JSON are in lp_gate_record.c. */
#include "lp_gate.h"
#include "lp_adopt.h"
#include "lp_integrity.h"
#include "bg_progress.h"
#include "bg_time.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "bg_file.h"
#include "bg_strv.h"
#include "bg_interrupt.h"
#include "state_counts.h"
#include "grd_holdout.h"
#include "grd_protected.h"
#include "st_fdr.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <git2.h>

/* Records the verdict REJECT(reason) with a printf-style explanation. */
static void reject(lp_gate_run *g, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reject(lp_gate_run *g, const char *reason, const char *fmt, ...)
{
	va_list ap;

	g->keep = 0;
	snprintf(g->reason, sizeof(g->reason), "%s", reason);
	free(g->detail);
	va_start(ap, fmt);
	if (vasprintf(&g->detail, fmt, ap) < 0)
		g->detail = NULL;
	va_end(ap);
}

const char *lp_gate_phase_name(lp_gate_phase p)
{
	static const char *const names[] = { "export", "build", "test", "training", "held-out", "record" };

	return (unsigned)p < LP_GATE_NPHASES ? names[p] : "done";
}

/* Ends the phase in progress (its time added up) and starts p (or none:
 * LP_GATE_NPHASES), saying what it does unless quiet or what is NULL: a
 * line per phase also when stderr is a log, not a terminal. */
static void phase(lp_gate_run *g, lp_gate_phase p, const char *what, ...) __attribute__((format(printf, 3, 4)));
static void phase(lp_gate_run *g, lp_gate_phase p, const char *what, ...)
{
	double now = bg_time_now();
	char text[512];
	va_list ap;

	if (g->phase_t0 > 0 && g->phase < LP_GATE_NPHASES)
		g->phase_s[g->phase] += now - g->phase_t0;
	g->phase = p;
	g->phase_t0 = now;
	if (what == NULL)
		return;
	va_start(ap, what);
	vsnprintf(text, sizeof(text), what, ap);
	va_end(ap);
	bg_note(g->o->quiet, "gate: %s: %s", lp_gate_phase_name(p), text);
}

/* Whether the snapshot holds no change beyond the files pi writes as it
 * logs: a loop's baseline run, nothing to gate. */
static int worktree_unchanged(lp_gate_run *g)
{
	size_t n;
	int error;

	if ((error = lp_adopt_unlogged(&n, NULL, 0, g->repo, g->base, g->cand)) < 0)
		return error;
	g->unchanged = n == 0;
	return 0;
}

static int resolve_revisions(lp_gate_run *g)
{
	const lp_gate_opts *o = g->o;
	size_t seq = 0;
	int error;

	if (o->worktree)
		error = lp_repo_snapshot(g->cand, g->repo, STATE_REF_WORKTREE,
					 "benchgate: snapshot of the working tree");
	else
		error = lp_repo_resolve(g->cand, g->repo, o->candidate_rev ? o->candidate_rev : "HEAD");
	if (error < 0)
		return error;
	if (error == 0 && !o->worktree && g->branch) {   /* whether a KEEP would become the branch */
		char head[41];

		g->tip = lp_repo_resolve(head, g->repo, "HEAD") == 0 && strcmp(head, g->cand) == 0;
	}
	if (error < 0)
		return error;
	if (o->baseline_rev) {
		error = lp_repo_resolve(g->base, g->repo, o->baseline_rev);
		snprintf(g->base_why, sizeof(g->base_why), "--baseline %s", o->baseline_rev);
	} else if (o->worktree) {       /* what the loop committed; its discards never count */
		error = lp_repo_resolve(g->base, g->repo, "HEAD");
		snprintf(g->base_why, sizeof(g->base_why), "HEAD (--worktree judges the uncommitted changes against it)");
	} else if (g->branch && state_ledger_last_kept(g->base, &seq, g->ledger, g->branch) == 0) {
		snprintf(g->base_why, sizeof(g->base_why), "the last KEEP that became %s (ledger record %zu)",
			 g->branch, seq);
	} else if ((error = lp_repo_first_parent(g->base, g->repo, g->cand)) == BG_ENOTFOUND) {
		return bg_error_set(BG_EINVAL, "candidate %.12s is a root commit: give a baseline with --baseline",
				    g->cand);
	} else {
		snprintf(g->base_why, sizeof(g->base_why), "the candidate's first parent%s",
			 g->branch ? "; no KEEP has become the branch yet" : "");
	}
	if (error < 0)
		return error;
	if (o->worktree && o->unchanged_ok && (error = worktree_unchanged(g)) < 0)
		return error;
	if (g->unchanged)
		return 0;
	if (strcmp(g->cand, g->base) == 0)
		return bg_error_set(BG_EINVAL,
				    "the candidate is the baseline (%.12s): nothing to gate; commit a change first, or use --worktree",
				    g->cand);
	phase(g, LP_GATE_EXPORT, "%.12s against %.12s (%s)", g->cand, g->base, g->base_why);
	return 0;
}

/* --config's file, else benchgate.json of the baseline commit as git holds
 * it: an export is where the baseline's (and a rejected candidate's)
 * commands ran, and what they wrote there is not the configuration. */
static int load_config(lp_gate_run *g)
{
	char *text = NULL, where[80];
	int error;

	if (g->o->config_path) {
		error = lp_config_load(&g->cfg, g->o->config_path);
	} else if ((error = lp_repo_file(&text, g->repo, g->base, LP_CONFIG_FILE)) == BG_ENOTFOUND) {
		error = bg_error_set(BG_ENOTFOUND,
				     "the baseline %.12s has no %s at its root: commit one (see benchgate gate --help and the README), or pass --config FILE",
				     g->base, LP_CONFIG_FILE);
	} else if (error == 0) {
		snprintf(where, sizeof(where), "%s of %.12s", LP_CONFIG_FILE, g->base);
		error = lp_config_parse(&g->cfg, text, where);
	}
	free(text);
	if (error == 0)
		error = lp_config_hash(g->cfg_hash, g->cfg);
	return error;
}

/* Protected paths: a tree-to-tree diff, before anything is built. */
static int check_protected(lp_gate_run *g)
{
	char **changed = NULL;
	size_t n = 0;
	int error;

	if ((error = lp_repo_changed_paths(&changed, &n, g->repo, g->base, g->cand)) < 0)
		return error;
	error = grd_protected_check(&g->touched, &g->ntouched, (const char *const *)changed, n,
				    (const char *const *)g->cfg->protected, g->cfg->nprotected);
	bg_strv_free(changed);
	if (error == 0 && g->ntouched)
		reject(g, "protected_changed", "the candidate changes %zu protected path%s (first: %s)",
		       g->ntouched, g->ntouched > 1 ? "s" : "", g->touched[0]);
	return error;
}

/* The protected paths hold for what runs, not only in git: a build (or a
 * test command) that rewrote the test script or a benchmark input in its
 * export (its own tree is writable to it) would have them run changed.
 * what: "build" or "tests", the phase that just ran. */
static int check_exports(lp_gate_run *g, const char *what)
{
	const char *const *prot = (const char *const *)g->cfg->protected;
	char **changed = NULL;
	size_t n = 0;
	int error;

	if ((error = lp_repo_export_changes(&changed, &n, g->repo, g->base, g->base_dir, prot,
					    g->cfg->nprotected)) < 0)
		return error;
	if (n > 0) {
		error = bg_error_set(BG_EINVAL, "the baseline %.12s's %s changes %zu protected path%s "
				     "in its export (first: %s): its tests and workloads would not run what "
				     "git holds; make the %s leave the protected paths alone",
				     g->base, what, n, n > 1 ? "s" : "", changed[0], what);
		bg_strv_free(changed);
		return error;
	}
	if ((error = lp_repo_export_changes(&changed, &n, g->repo, g->cand, g->cand_dir, prot,
					    g->cfg->nprotected)) < 0)
		return error;
	if (n > 0)
		reject(g, "protected_changed", "the candidate's %s changes %zu protected path%s in its "
		       "export (first: %s)", what, n, n > 1 ? "s" : "", changed[0]);
	bg_strv_free(changed);
	return 0;
}

static int build_both(lp_gate_run *g)
{
	lp_workspace_isolation iso;
	char *tail = NULL;
	int ok, error;

	if ((error = lp_workspace_isolation_check(g->cfg)) < 0)
		return error;
	phase(g, LP_GATE_BUILD, g->cfg->build ? "\"%s\" in both exports (reused when built before)" : "%s",
	      g->cfg->build ? g->cfg->build : "nothing to build (no \"build\" in the configuration)");
	if ((error = lp_workspace_build(&ok, &tail, g->cfg->build, g->base_dir,
					lp_workspace_isolation_init(&iso, LP_RUN_BUILD, g->cfg, g->repo, g->state,
								    g->base_dir))) < 0)
		return error;
	if (!ok) {
		error = bg_error_set(BG_ECHILD, "the baseline %.12s does not build with \"%s\":\n%s",
				     g->base, g->cfg->build, tail ? tail : "");
		free(tail);
		return error;
	}
	if ((error = lp_workspace_build(&ok, &tail, g->cfg->build, g->cand_dir,
					lp_workspace_isolation_init(&iso, LP_RUN_BUILD, g->cfg, g->repo, g->state,
								    g->cand_dir))) < 0)
		return error;
	if (!ok)
		reject(g, "build_failed", "the candidate does not build with \"%s\"; the end of its output:\n%s",
		       g->cfg->build, tail ? tail : "");
	free(tail);
	return ok ? check_exports(g, "build") : 0;
}

static int check_tests(lp_gate_run *g)
{
	lp_workspace_isolation iso;
	int error;

	g->base_count = g->cand_count = -1;
	if (g->cfg->test_cmd == NULL)
		return 0;
	phase(g, LP_GATE_TEST, "\"%s\" in the candidate%s", g->cfg->test_cmd,
	      g->cfg->test_count ? ", and the baseline's count (cached after its first run)" : "");
	if ((error = grd_tests_run(&g->tests, g->cfg->test_cmd, g->cand_dir, g->cfg->test_count,
				   LP_WORKSPACE_COMMAND_TIMEOUT,
				   lp_workspace_isolation_init(&iso, LP_RUN_TEST, g->cfg, g->repo, g->state,
								    g->cand_dir))) < 0)
		return error;
	g->tests_ran = 1;
	g->cand_count = g->tests.count;
	if (!g->tests.passed) {
		reject(g, "tests_failed", "\"%s\" fails in the candidate; the end of its output:\n%s",
		       g->cfg->test_cmd, g->tests.tail ? g->tests.tail : "");
		return 0;
	}
	if (g->cfg->test_count == NULL)
		return 0;
	/* the baseline's count: from the cache, or by running its tests */
	if ((error = lp_workspace_test_count(&g->base_count, g->cfg->test_cmd, g->cfg->test_count,
					     g->base_dir, g->state, g->base,
					     lp_workspace_isolation_init(&iso, LP_RUN_TEST, g->cfg, g->repo, g->state,
								    g->base_dir))) == 0 && g->cand_count >= 0)
		error = state_counts_put(g->state, g->cand, g->cand_count);
	if (error < 0)
		return error;
	if (g->cand_count < 0)
		reject(g, "tests_count_missing", "the test output of the candidate has no %s test count",
		       g->cfg->test_count);
	else if (g->base_count >= 0 && g->cand_count < g->base_count)
		reject(g, "tests_dropped", "the candidate runs %ld tests, the baseline %ld",
		       g->cand_count, g->base_count);
	return 0;
}

/* LORD++ over the ledger's past gate decisions: the level of this one. */
static int granted_level(lp_gate_run *g)
{
	st_fdr *f = NULL;
	int *kept = NULL, rej, error;
	size_t n = 0;

	if ((error = state_ledger_decisions(&kept, &n, g->ledger)) < 0 ||
	    (error = st_fdr_new(&f, ST_FDR_LORD_PP, g->cfg->alpha, g->cfg->alpha * ST_FDR_W0_SHARE)) < 0)
		goto cleanup;
	for (size_t i = 0; i < n && error == 0; i++)
		error = st_fdr_record(&rej, NULL, f, kept[i] ? 0.0 : 1.0);
	g->level = st_fdr_level(f);
	g->test_number = n + 1;
cleanup:
	st_fdr_free(f);
	free(kept);
	return error;
}

/* The measuring budget of a phase. The gate's (--max-time, else
 * budget.max_seconds) bounds its measurement as a whole: with held-out
 * workloads, training may take two thirds of it and the held-out phase
 * takes what training left. Builds and tests are bounded apart
 * (LP_WORKSPACE_COMMAND_TIMEOUT) and reported with their own times. */
static double phase_budget(const lp_gate_run *g, int held_out)
{
	double total = g->o->max_time > 0 ? g->o->max_time : g->cfg->max_seconds;

	if (g->cfg->holdout_dir == NULL)
		return total;
	return held_out ? total - fmin(g->train.elapsed_s, total * 2.0 / 3.0) : total * 2.0 / 3.0;
}

static lp_measure_opts measure_opts(const lp_gate_run *g, double alpha, const char *label)
{
	int held_out = strcmp(label, "held-out") == 0;
	lp_measure_opts m = lp_workspace_measure_opts(g->cfg, alpha, phase_budget(g, held_out), g->o->quiet, label);

	m.exec = g->o->exec;
	return m;
}

/* A run of the candidate that fails, crashes or times out is the
 * candidate's verdict, REJECT(workload_failed), recorded like any other;
 * the baseline's failing is an error. A held-out run's output is not
 * quoted: it may carry the held-out inputs. */
static int candidate_failed(lp_gate_run *g, int error, int held_out)
{
	if (error != BG_ECHILD || strstr(bg_error_last(), "command " LP_MEASURE_CANDIDATE) == NULL)
		return error;
	if (held_out)
		reject(g, "workload_failed", "a held-out workload run of the candidate failed");
	else
		reject(g, "workload_failed", "%s", bg_error_last());
	return 0;
}

static int measure_training(lp_gate_run *g, gsl_rng *rng)
{
	lp_workspace_cmds c;
	lp_measure_opts m = measure_opts(g, g->level > 0 ? g->level : 1e-12, "training");
	double total = g->o->max_time > 0 ? g->o->max_time : g->cfg->max_seconds;
	int error;

	phase(g, LP_GATE_TRAINING, "%zu workload%s, at most %.0f s; the verdict within %.0f s", g->cfg->nworkloads,
	      g->cfg->nworkloads == 1 ? "" : "s", m.max_seconds, total);
	if ((error = lp_workspace_arm_commands(&c, &m, g->cfg, g->repo, g->state, g->base_dir, g->cand_dir,
					       g->cfg->workloads, g->cfg->nworkloads, 0)) == 0 &&
	    (error = lp_measure_run(&g->train, c.wl, c.n, &m, g->pin, rng)) == 0)
		g->measured = 1;
	lp_workspace_cmds_clear(&c);
	if (g->measured && smp_runner_left_behind(g->train.runner))
		bg_warn(g->o->quiet, "the workload runs left %zu processes behind; each was killed when its run "
			"ended", smp_runner_left_behind(g->train.runner));
	return candidate_failed(g, error, 0);
}

/* "B/A = 0.9000 [0.8640, 0.9375]", or for a difference "B - A = -1.5
 * [-2.1, -0.9]" (the interval only when asked). */
static const char *effect_text(char *buf, size_t size, const st_effect *e, int interval)
{
	if (e->difference)
		snprintf(buf, size, interval ? "B - A = %.4g [%.4g, %.4g]" : "B - A = %.4g", e->ratio, e->lo, e->hi);
	else
		snprintf(buf, size, interval ? "B/A = %.4f [%.4f, %.4f]" : "B/A = %.4f", e->ratio, e->lo, e->hi);
	return buf;
}

/* min_effect or max_regression as the config means it: "2%", or for a
 * difference "0.5 (in the metric's units)". */
static const char *bound_text(char *buf, size_t size, const lp_config *c, double v)
{
	if (c->duel)
		snprintf(buf, size, "%.3g of B's share of a duel's points", v);
	else if (c->metric_difference)
		snprintf(buf, size, "%.4g (in %s's units)", v, c->metric);
	else
		snprintf(buf, size, "%.3g%%", v * 100);
	return buf;
}

static void judge_training(lp_gate_run *g)
{
	const st_effect *a = &g->train.aggregate;

	char b[64], e[128];

	for (size_t w = 0; w < g->train.nwl; w++)
		if (g->train.wl[w].regressed) {
			char r[160];
			snprintf(r, sizeof(r), "regressed:%s", g->train.wl[w].name);
			reject(g, r, "workload \"%s\" is worse by more than %s: %s", g->train.wl[w].name,
			       bound_text(b, sizeof(b), g->cfg, g->cfg->max_regression),
			       effect_text(e, sizeof(e), &g->train.wl[w].effect, 0));
			return;
		}
	for (size_t k = 0; k < g->train.nsec; k++)
		if (g->train.sec[k].regressed) {
			const lp_measure_sec *s = &g->train.sec[k];
			char r[300];

			snprintf(r, sizeof(r), "secondary_regressed:%s", s->name);
			reject(g, r, "secondary metric \"%s\" is worse by more than %.3g%% (%s is better): B/A = %.4f%s",
			       s->name, s->max_regression * 100, s->lower_is_better ? "lower" : "higher", s->ratio,
			       s->exact ? ", the same in every round" : "");
			return;
		}
	switch (a->verdict) {
	case ST_IMPROVED:
		return;
	case ST_REGRESSED:
		reject(g, "slower", "the candidate is %s: %s", g->cfg->metric_difference ? "worse" : "slower",
		       effect_text(e, sizeof(e), a, 1));
		return;
	case ST_NO_CHANGE:
		reject(g, "no_change", "no change larger than %s: %s", bound_text(b, sizeof(b), g->cfg, g->cfg->min_effect),
		       effect_text(e, sizeof(e), a, 1));
		return;
	default:
		reject(g, "inconclusive",
		       "not clear within the budget (%u rounds, %.0f s) at the level granted (%.3g): %s",
		       g->train.rounds, g->train.elapsed_s, g->level, effect_text(e, sizeof(e), a, 1));
	}
}

/* The guard compares logs of ratios; a difference goes in as exp(d / s),
 * whose log is d / s: the gains' shares are the same, s keeps exp finite. */
static grd_holdout_input holdout_input(const lp_gate_run *g)
{
	const st_effect *t = &g->train.aggregate, *h = &g->hold.aggregate;
	double s = 1.0, v[4] = { t->ratio, h->ratio, h->lo, h->hi };

	if (!g->cfg->metric_difference)
		return (grd_holdout_input){ g->cfg->lower_is_better, t->ratio, h->ratio, h->lo, h->hi,
					    g->cfg->generalization };
	for (int i = 0; i < 4; i++)
		if (isfinite(v[i]))
			s = fmax(s, fabs(v[i]));
	return (grd_holdout_input){ g->cfg->lower_is_better, exp(t->ratio / s), exp(h->ratio / s), exp(h->lo / s),
				    exp(h->hi / s), g->cfg->generalization };
}

static int run_holdout(lp_gate_run *g, gsl_rng *rng, grd_seal *seal, const char *sp)
{
	lp_workspace_cmds c;
	lp_measure_opts m = measure_opts(g, g->cfg->alpha, "held-out");
	grd_holdout_input in;
	int error;

	m.quiet = 1; /* no numbers from the holdout while it runs */
	m.nsecondary = 0; /* the guards are the training measurement's */
	m.max_regression = g->cfg->metric_difference ? 1e300 : 1.0;   /* no regression stop here */
	if ((error = lp_workspace_arm_commands(&c, &m, g->cfg, g->repo, g->state, g->base_dir, g->cand_dir,
					       g->cfg->holdout, g->cfg->nholdout, 1)) == 0 &&
	    (error = lp_measure_run(&g->hold, c.wl, c.n, &m, g->pin, rng)) == 0) {
		g->hold_ran = 1;
		in = holdout_input(g);
		if ((error = grd_holdout_judge(&in)) >= 0) {
			g->hold_verdict = (grd_holdout_verdict)error;
			error = 0;
		}
	}
	/* an undecided holdout spends a failure too: it tells the agent as
	 * much as an overfit does (that the candidate did not pass) */
	if (error == 0 && g->hold_verdict != GRD_HOLDOUT_PASS && (error = grd_seal_spend(seal, sp)) == 0) {
		unsigned left = grd_seal_remaining(seal);

		if (g->hold_verdict == GRD_HOLDOUT_OVERFIT)
			reject(g, "overfit", "the gain does not hold on the held-out workloads: their interval excludes "
			       "%.0f%% of the training gain (%u failure%s left in the holdout budget)",
			       g->cfg->generalization * 100, left, left == 1 ? "" : "s");
		else
			reject(g, "holdout_inconclusive", "the held-out workloads could not tell within their budget whether "
			       "the gain holds (%u rounds): neither kept nor excluded, not overfit; a longer budget "
			       "(--max-time, budget.max_seconds) may decide it (%u failure%s left in the holdout budget)",
			       g->hold.rounds, left, left == 1 ? "" : "s");
	}
	g->hold_left = grd_seal_remaining(seal);
	lp_workspace_cmds_clear(&c);
	return candidate_failed(g, error, 1);
}

static int check_holdout(lp_gate_run *g, gsl_rng *rng)
{
	grd_seal *seal = NULL;
	char *sp = NULL;
	int error;

	if (g->cfg->holdout_dir == NULL)
		return 0;
	if ((error = state_path(&sp, g->state, STATE_HOLDOUT_SEAL)) < 0 ||
	    (error = lp_integrity_seal_missing(g->ledger, sp)) < 0 ||
	    (error = grd_holdout_seal(&seal, g->cfg->holdout_dir, sp, g->cfg->holdout_budget)) < 0 ||
	    (error = lp_integrity_seal_budget(g->ledger, grd_seal_remaining(seal), sp)) < 0)
		goto cleanup;
	if (grd_seal_remaining(seal) == 0) {
		g->hold_left = 0;
		reject(g, "holdout_exhausted",
		       "the holdout budget is spent: refresh the held-out workloads and reseal (benchgate holdout --reseal)");
		goto cleanup;
	}
	phase(g, LP_GATE_HELD_OUT, "%zu workload%s, at most %.0f s (their numbers stay hidden)", g->cfg->nholdout,
	      g->cfg->nholdout == 1 ? "" : "s", phase_budget(g, 1));
	error = run_holdout(g, rng, seal, sp);
cleanup:
	grd_seal_free(seal);
	free(sp);
	return error;
}

/* The calibration's advice for this decision: how many rounds and seconds
 * detecting min_effect at the level granted takes on this machine, with
 * warnings when the calibration is missing, stale, from another machine,
 * or says the budget is too short. Advisory: only running out of memory
 * stops the gate. */
/* Whether the plan's warnings are new: the calibration (its path and
 * modification time) differs from the one they were last said for, which
 * is then recorded (STATE_PLAN_WARNED). Any failure: say them. */
static int first_warning(const lp_gate_run *g)
{
	struct stat st;
	char *path = NULL, *seen = NULL, now[PATH_MAX + 64];
	int first = 1;

	if (stat(g->plan.path, &st) < 0 || state_path(&path, g->state, STATE_PLAN_WARNED) < 0)
		return 1;
	snprintf(now, sizeof(now), "%s %lld\n", g->plan.path, (long long)st.st_mtime);
	if ((seen = bg_file_read(path, NULL)) != NULL && strcmp(seen, now) == 0)
		first = 0;
	else
		bg_file_write_atomic(path, now);
	free(seen);
	free(path);
	return first;
}

static int plan_budget(lp_gate_run *g)
{
	size_t n = g->cfg->nworkloads;
	const char **names;
	double *w;
	int error;

	if (g->cfg->metric_difference)
		return 0;   /* a calibration measures ratios: no plan for a difference */
	names = calloc(n, sizeof(*names));
	w = calloc(n, sizeof(*w));
	if (names == NULL || w == NULL) {
		free(names);
		free(w);
		return bg_error_nomem();
	}
	for (size_t i = 0; i < n; i++) {
		names[i] = g->cfg->workloads[i].name;
		w[i] = g->cfg->workloads[i].weight;
	}
	lp_calibration_query q = {
		.state = g->state, .probe = &g->probe, .workloads = names, .weights = w,
		.nworkloads = n, .metric = g->cfg->metric, .lower_is_better = g->cfg->lower_is_better,
		.min_effect = g->cfg->min_effect > 0 ? g->cfg->min_effect : 0.01,
		.alpha = g->level > 0 ? g->level : 1e-12,
		.budget_s = g->o->max_time > 0 ? g->o->max_time : g->cfg->max_seconds,
		.min_rounds = g->cfg->min_rounds, .round_s = 0, .now = time(NULL)
	};
	error = lp_calibration_advise(&g->plan, &q);
	free(names);
	free(w);
	if (error == BG_ENOMEM)
		return error;
	g->planned = error == 0;
	/* No calibration at all is said in the output, not warned about on
	 * every gate; nor is the plan of one calibration more than once */
	if (g->planned && g->plan.path && g->plan.warnings && first_warning(g)) {
		for (char *line = g->plan.warnings, *end; *line; line = end + 1) {
			end = strchr(line, '\n');
			bg_warn(g->o->quiet, "%.*s", (int)(end - line), line);
		}
		bg_note(g->o->quiet, "(said once for this calibration; each verdict's \"plan:\" line says it again)");
	}
	return 0;
}

/* The pinning to measure with: the config's, but "auto" is "none" where
 * this machine's calibration measured pinned rounds noisier than unpinned
 * ones (LP_CALIBRATION_PIN_WORSE). */
static const char *pin_spec(lp_gate_run *g)
{
	g->unpinned_by_plan = strcmp(g->cfg->pin, "auto") == 0 && g->planned && g->plan.path &&
			      g->plan.pin_ratio > LP_CALIBRATION_PIN_WORSE;
	return g->unpinned_by_plan ? "none" : g->cfg->pin;
}

/* Everything up to the verdict; stops at the first veto. */
static int decide(lp_gate_run *g, gsl_rng *rng)
{
	int error;

	g->keep = 1;
	if ((error = check_protected(g)) < 0 || !g->keep)
		return error;
	if ((error = lp_workspace_export(&g->cand_dir, g->repo, g->state, g->cand)) < 0 ||
	    (error = build_both(g)) < 0 || !g->keep ||
	    (error = check_tests(g)) < 0 || !g->keep ||
	    (error = check_exports(g, "tests")) < 0 || !g->keep ||
	    (error = granted_level(g)) < 0 ||
	    (error = plan_budget(g)) < 0 ||
	    (error = smp_pinning_new(&g->pin, pin_spec(g))) < 0 ||
	    (error = measure_training(g, rng)) < 0 || !g->keep)
		return error;
	judge_training(g);
	if (!g->keep)
		return 0;
	return check_holdout(g, rng);
}

/* A rejected candidate stays reachable: its ref is written before the
 * ledger says it was rejected, so a kill in between leaves a ref without a
 * record (harmless), never a record without its ref. */
static int keep_rejected(lp_gate_run *g)
{
	int error;

	if (g->keep)
		return 0;
	state_rejected_ref(g->rejected_ref, g->cand);
	if ((error = lp_repo_ref_set(g->repo, g->rejected_ref, g->cand, "benchgate: rejected")) < 0)
		return error;
	return lp_integrity_anchor_ref(g->repo, g->state, g->rejected_ref);
}

static int record_note(lp_gate_run *g)
{
	char note[400];
	int error;

	if (g->keep)
		lp_gate_keep_note(note, sizeof(note), g->base, g->cfg->metric_difference, g->train.aggregate.ratio,
				  g->train.aggregate.lo, g->train.aggregate.hi, "");
	else
		snprintf(note, sizeof(note), "benchgate: REJECT(%s) against %.12s", g->reason, g->base);
	if ((error = lp_repo_note_set(g->repo, STATE_REF_NOTES, g->cand, note)) < 0)
		return error;
	return lp_integrity_anchor_ref(g->repo, g->state, STATE_REF_NOTES);
}

static int apply(lp_gate_run *g)
{
	int dirty, error;

	if (g->keep) {
		snprintf(g->applied, sizeof(g->applied), STATE_REF_BASELINE " now points at %.12s", g->cand);
		return lp_repo_ref_set(g->repo, STATE_REF_BASELINE, g->cand, "benchgate: kept");
	}
	if ((error = lp_repo_is_dirty(&dirty, g->repo)) < 0)
		return error;
	if (dirty || g->o->worktree) {
		snprintf(g->applied, sizeof(g->applied),
			 "nothing reset: the working tree has uncommitted changes (the candidate is at %s)",
			 g->rejected_ref);
		return 0;
	}
	snprintf(g->applied, sizeof(g->applied), "branch and working tree reset to the baseline %.12s (the candidate is at %s)",
		 g->base, g->rejected_ref);
	return lp_repo_reset_hard(g->repo, g->base);
}

static int finish(lp_gate_run *g)
{
	int error;

	phase(g, LP_GATE_RECORD, NULL);
	if ((error = keep_rejected(g)) < 0 ||
	    (error = state_ledger_append(g->ledger, lp_gate_record(g), NULL)) < 0 ||
	    (error = record_note(g)) < 0)
		return error;
	return g->o->apply ? apply(g) : 0;
}

/* A gate decides nothing on a state changed outside benchgate: a forged
 * KEEP would become the baseline, a deleted record would give LORD++ back
 * the levels it spent. */
static int check_integrity(lp_gate_run *g)
{
	char *why = NULL;
	size_t bad;
	int error = lp_integrity_check(&why, &bad, g->repo, g->state, g->ledger);

	if (error == 0 && why != NULL)
		error = bg_error_set(BG_EINVAL, "benchgate's state was changed outside benchgate: %s. "
				     "Nothing was measured. `benchgate log --verify` shows it; if the change "
				     "was yours, `benchgate log --reanchor` accepts the state as it is now "
				     "(the ledger records that)", why);
	free(why);
	return error;
}

/* Opens the repository in "." and its state and ledger into g (the
 * ledger's warning, if any, on stderr unless quiet). */
static int open_state(lp_gate_run *g, int lock)
{
	int error;

	if ((error = lp_workspace_open(&g->repo, &g->state, ".")) < 0 ||
	    (error = lp_repo_branch(&g->branch, g->repo)) < 0)
		return error;
	/* the ledger is read under the lock: it numbers this experiment; and
	 * the machine measures one thing at a time */
	if (lock && (error = state_lock(&g->lock_fd, g->state, g->o->quiet)) < 0)
		return error;
	if (lock && (error = state_machine_lock(&g->machine_fd, g->o->quiet)) < 0) {
		state_unlock(g->lock_fd);
		return error;
	}
	g->locked = lock;
	error = state_ledger_load(&g->ledger, g->state);
	if (error == 0 && state_ledger_warning(g->ledger)[0])
		bg_warn(g->o->quiet, "%s", state_ledger_warning(g->ledger));
	return error == 0 && lock ? check_integrity(g) : error;
}

int lp_gate_effective_config(lp_gate_run *g)
{
	char *path;
	int error;

	if (g->o->config_path)
		return lp_config_load(&g->cfg, g->o->config_path);
	if ((error = open_state(g, 0)) < 0)
		return error;
	if (asprintf(&path, "%s%s", lp_repo_workdir(g->repo), LP_CONFIG_FILE) < 0)
		return bg_error_nomem();
	error = lp_config_load(&g->cfg, path);
	free(path);
	return error;
}

void lp_gate_run_free(lp_gate_run *g)
{
	if (g->locked) {
		state_unlock(g->machine_fd);
		state_unlock(g->lock_fd);
	}
	lp_repo_free(g->repo);
	state_free(g->state);
	free(g->branch);
	free(g->cand_dir);
	free(g->base_dir);
	lp_config_free(g->cfg);
	state_ledger_free(g->ledger);
	smp_pinning_free(g->pin);
	free(g->detail);
	bg_strv_free(g->touched);
	grd_test_result_clear(&g->tests);
	lp_measure_result_clear(&g->train);
	lp_measure_result_clear(&g->hold);
	lp_calibration_advice_clear(&g->plan);
}

/* --worktree: HEAD may be the commit the loop made of the last change
 * gated KEEP; it takes that verdict, or is said not to be what was gated. */
static int adopt(lp_gate_run *g)
{
	lp_adopt_result a;
	int error;

	if (!g->o->worktree)
		return 0;
	if ((error = lp_adopt_head(&a, g->repo, g->state, g->ledger, g->branch)) < 0)
		return error;
	if (a.adopted)
		bg_note(g->o->quiet, "gate: HEAD %.12s is the change kept as snapshot %.12s: the verdict and its note "
				     "now belong to it", a.commit, a.snapshot);
	if (a.mismatched)
		bg_warn(g->o->quiet, "HEAD %.12s was committed after the KEEP of snapshot %.12s but is not what was "
				     "gated: it differs in %s. Those changes were never measured; they are in the baseline "
				     "now (recorded in the ledger)", a.commit, a.snapshot, a.differs);
	return 0;
}

int lp_gate_judge(lp_gate_run *g, gsl_rng *rng)
{
	double t0 = bg_time_now();
	int error;

	smp_probe_read(&g->probe, NULL);
	bg_interrupt_install();
	/* A config given on the command line is checked before anything else;
	 * the baseline's own is read from its export. */
	if ((error = open_state(g, 1)) < 0 || (error = adopt(g)) < 0 ||
	    (g->o->config_path && (error = load_config(g)) < 0) ||
	    (error = resolve_revisions(g)) < 0)
		return error;
	if (g->unchanged)
		return 0;
	if ((error = lp_workspace_export(&g->base_dir, g->repo, g->state, g->base)) < 0 ||
	    (!g->cfg && (error = load_config(g)) < 0) ||
	    (error = decide(g, rng)) < 0)
		return error;
	g->elapsed_s = bg_time_now() - t0;
	error = finish(g);
	phase(g, LP_GATE_NPHASES, NULL);
	return error;
}
