/* lp_audit: `benchgate audit` — the re-measurement of each claimed win,
 * the classification and the campaign view (see lp_audit.h). Claims are
 * read in lp_audit_claims.c; options and outputs are cli/cmd_audit.c. */
#include "lp_audit.h"
#include "bg_progress.h"
#include "bg_time.h"
#include "lp_workspace.h"
#include "bg_error.h"
#include "bg_strv.h"
#include "bg_interrupt.h"
#include "grd_holdout.h"
#include "grd_protected.h"
#include "st_changepoint.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_statistics_double.h>

/* The default budget: the config's per-gate budget for every claim (and
 * the campaign's span), but never more than an hour in all. */
#define AUDIT_DEFAULT_CAP_S 3600.0

/* ---- classification ----------------------------------------------------- */

const char *lp_audit_status_name(lp_audit_status s)
{
	static const char *const names[] = { "REPLICATED", "SHRUNK", "NOT_REPLICATED", "UNDECIDED",
					     "OVERFIT", "BUILD_FAILED", "MISSING" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

double lp_audit_gain(double ratio, int lower_is_better)
{
	return lower_is_better ? 1.0 - ratio : ratio - 1.0;
}

lp_audit_status lp_audit_classify(double *shrinkage_pct, const st_effect *train, int lower_is_better,
				  double claimed_gain, double min_effect, int hold_ran, grd_holdout_verdict hold)
{
	double best = lp_audit_gain(lower_is_better ? train->lo : train->hi, lower_is_better);
	double worst = lp_audit_gain(lower_is_better ? train->hi : train->lo, lower_is_better);
	double fresh = lp_audit_gain(train->ratio, lower_is_better);

	*shrinkage_pct = NAN;
	if (train->verdict == ST_NO_CHANGE)   /* inside the band of changes too small to matter */
		return LP_AUDIT_NOT_REPLICATED;
	/* not on the improvement side: decided against only when the
	 * interval also excludes the claim, or every gain worth keeping */
	if (!(worst > 0.0))
		return best < fmax(min_effect, isnan(claimed_gain) ? 0.0 : claimed_gain) ? LP_AUDIT_NOT_REPLICATED
											: LP_AUDIT_UNDECIDED;
	if (hold_ran && hold != GRD_HOLDOUT_PASS)
		return hold == GRD_HOLDOUT_OVERFIT ? LP_AUDIT_OVERFIT : LP_AUDIT_UNDECIDED;
	/* a collapsed interval (exact metrics) equals the claim up to rounding */
	if (isnan(claimed_gain) || claimed_gain <= best + 1e-9 * fabs(best) + 1e-12)
		return LP_AUDIT_REPLICATED;
	*shrinkage_pct = 100.0 * (1.0 - fresh / claimed_gain);
	return LP_AUDIT_SHRUNK;
}

double lp_audit_more_time(const st_effect *e, int lower_is_better, double floor, double elapsed_s)
{
	double best = lp_audit_gain(lower_is_better ? e->lo : e->hi, lower_is_better);
	double worst = lp_audit_gain(lower_is_better ? e->hi : e->lo, lower_is_better);
	double gain = lp_audit_gain(e->ratio, lower_is_better), half = (best - worst) / 2.0;
	double needed = fmax(gain, floor - gain);

	if (!isfinite(half))
		return INFINITY;
	if (!(needed > 0.0) || !(half > needed))
		return 0.0;
	return elapsed_s * ((half / needed) * (half / needed) - 1.0);
}

int lp_audit_result_fails(const lp_audit_result *r)
{
	return !(r->status == LP_AUDIT_REPLICATED || r->status == LP_AUDIT_SHRUNK) || r->ntouched > 0 ||
	       r->dropped;
}

int lp_audit_result_revert(const lp_audit_result *r)
{
	return r->status == LP_AUDIT_NOT_REPLICATED || r->status == LP_AUDIT_OVERFIT ||
	       r->status == LP_AUDIT_BUILD_FAILED || (r->status != LP_AUDIT_MISSING &&
						      (r->ntouched > 0 || r->dropped));
}

/* ---- change points in the ledger's series ------------------------------- */

/* The variance for the mean-shift cost: robust from the differences, or
 * their plain variance when most differences are equal (exact metrics). */
static double series_sigma2(const double *x, size_t n)
{
	double s2 = 0.0, *d;

	if (st_pelt_sigma2_diff(&s2, x, n) == 0)
		return s2;
	if ((d = malloc((n - 1) * sizeof(*d))) == NULL)
		return 0.0;
	for (size_t i = 0; i + 1 < n; i++)
		d[i] = x[i + 1] - x[i];
	s2 = gsl_stats_variance(d, 1, n - 1) / 2.0;
	free(d);
	return s2;
}

static double seg_mean(const double *x, size_t from, size_t to)
{
	return gsl_stats_mean(x + from, 1, to - from);
}

/* The steps at the change points of r, as geometric mean ratios. */
static int steps_from(lp_audit_step **steps, size_t *nsteps, const st_pelt_result *r, const double *x)
{
	lp_audit_step *s = r->ncpts ? calloc(r->ncpts, sizeof(*s)) : NULL;

	if (r->ncpts && s == NULL)
		return bg_error_nomem();
	for (size_t k = 0; k < r->ncpts; k++) {
		size_t from = k ? r->cpts[k - 1] : 0, at = r->cpts[k];
		size_t to = k + 1 < r->ncpts ? r->cpts[k + 1] : r->n;
		s[k] = (lp_audit_step){ at, exp(seg_mean(x, from, at)), exp(seg_mean(x, at, to)) };
	}
	*steps = s;
	*nsteps = r->ncpts;
	return 0;
}

int lp_audit_changepoints(lp_audit_step **steps, size_t *nsteps, const lp_audit_point *series,
			  size_t n)
{
	st_pelt_options po = ST_PELT_OPTIONS_INIT;
	st_pelt_result *r = NULL;
	double *x = n ? malloc(n * sizeof(*x)) : NULL;
	int error = 0, varies = 0;

	if (n && x == NULL)
		return bg_error_nomem();
	for (size_t i = 0; i < n && error == 0; i++) {
		if (!(series[i].ratio > 0.0 && isfinite(series[i].ratio)))
			error = bg_error_set(BG_EDOMAIN, "ledger record %zu: ratio %g is not a positive number",
					     series[i].seq, series[i].ratio);
		else
			x[i] = log(series[i].ratio);
		varies |= i > 0 && x[i] != x[0];
	}
	*steps = NULL;
	*nsteps = 0;
	po.model = ST_PELT_MEAN;
	po.minseglen = 2;
	po.penalty = 2.0 * log((double)n); /* Schwarz: location + mean, ln n each */
	if (error == 0 && n >= 2 * po.minseglen && varies && (po.sigma2 = series_sigma2(x, n)) > 0.0 &&
	    (error = st_pelt(&r, x, n, &po)) == 0)
		error = steps_from(steps, nsteps, r, x);
	st_pelt_result_free(r);
	free(x);
	return error;
}

/* ---- the run --------------------------------------------------------- */

/* Time keeping: the budget is shared by the slots (claims, then the span);
 * each slot gets what is left divided by the slots left. */
typedef struct {
	double t0, budget;
	size_t total, done;
	bg_progress prog;
} audit_clock;

static double clock_slot(const audit_clock *k)
{
	double left = k->budget - (bg_time_now() - k->t0);
	size_t slots = k->total > k->done ? k->total - k->done : 1;

	return left / (double)slots > 0.001 ? left / (double)slots : 0.001;
}

/* Seconds until the audit ends, from the pace so far (the budget left
 * before any slot is done). */
static double clock_eta(const audit_clock *k)
{
	double el = bg_time_now() - k->t0, left = k->budget - el;

	if (k->done > 0 && k->total > k->done) {
		double pace = el / (double)k->done * (double)(k->total - k->done);
		left = pace < left || left < 0 ? pace : left;
	}
	return left > 0 ? left : 0;
}

/* "audit [###-------] 2/3 COMMIT WHAT (ETA N s)": the share of the slots
 * done as a bar, which claim, what runs now. */
static void clock_label(char *buf, size_t size, const audit_clock *k, const char *which, const char *commit,
			const char *what)
{
	char bar[11];
	size_t full = k->total ? 10 * k->done / k->total : 0;

	for (size_t i = 0; i < 10; i++)
		bar[i] = i < full ? '#' : '-';
	bar[10] = '\0';
	snprintf(buf, size, "audit [%s] %s %.12s %s (ETA %.0f s)", bar, which, commit, what, clock_eta(k));
}

static void step_progress(audit_clock *k, size_t i, size_t n, const char *commit, const char *what)
{
	char label[160], which[48];

	snprintf(which, sizeof(which), "%zu/%zu", i + 1, n);
	clock_label(label, sizeof(label), k, which, commit, what);
	bg_progress_update(&k->prog, "benchgate: %s", label);
}

typedef struct {
	lp_audit_run *a;
	audit_clock *clock;
	gsl_rng *rng;
	size_t index;          /* the claim measured; nclaims: the campaign's span */
	const char *commit;    /* the commit measured (arm B), for the progress line */
} audit_ctx;

static void set_detail(lp_audit_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_detail(lp_audit_result *r, const char *fmt, ...)
{
	va_list ap;

	free(r->detail);
	va_start(ap, fmt);
	if (vasprintf(&r->detail, fmt, ap) < 0)
		r->detail = NULL;
	va_end(ap);
}

static int check_protected(lp_audit_run *a, lp_audit_result *r)
{
	char **changed = NULL;
	size_t n = 0;
	int error;

	if ((error = lp_repo_changed_paths(&changed, &n, a->repo, r->claim->parent, r->claim->commit)) < 0)
		return error;
	error = grd_protected_check(&r->touched, &r->ntouched, (const char *const *)changed, n,
				    (const char *const *)a->cfg->protected, a->cfg->nprotected);
	bg_strv_free(changed);
	return error;
}

/* Exports and builds the parent (dirs[0]) and the commit (dirs[1]); *ok = 0
 * with the claim marked BUILD_FAILED when either does not build. */
static int export_build(int *ok, char *dirs[2], lp_audit_run *a, lp_audit_result *r)
{
	const char *commits[2] = { r->claim->parent, r->claim->commit };
	lp_workspace_isolation iso;
	char *tail = NULL;
	int error;

	*ok = 1;
	if ((error = lp_workspace_isolation_check(a->cfg)) < 0)
		return error;
	for (int k = 0; k < 2 && *ok; k++) {
		if ((error = lp_workspace_export(&dirs[k], a->repo, a->state, commits[k])) < 0 ||
		    (error = lp_workspace_build(ok, &tail, a->cfg->build, dirs[k],
						lp_workspace_isolation_init(&iso, LP_RUN_BUILD, a->cfg, a->repo,
									    a->state, dirs[k]))) < 0)
			return error;
		if (!*ok) {
			size_t n = tail ? strlen(tail) : 0;
			while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == ' '))
				tail[--n] = '\0';
			r->status = LP_AUDIT_BUILD_FAILED;
			set_detail(r, "the %s %.12s does not build with \"%s\"%s%s", k ? "commit" : "parent", commits[k],
				   a->cfg->build, n ? "; the end of its output:\n" : " (it printed nothing)", n ? tail : "");
		}
		free(tail);
		tail = NULL;
	}
	return 0;
}

static int test_counts(lp_audit_run *a, lp_audit_result *r, char *dirs[2])
{
	lp_workspace_isolation iso;
	int error;

	if (a->cfg->test_cmd == NULL || a->cfg->test_count == NULL)
		return 0;
	if ((error = lp_workspace_test_count(&r->parent_count, a->cfg->test_cmd, a->cfg->test_count, dirs[0],
					     a->state, r->claim->parent,
					     lp_workspace_isolation_init(&iso, LP_RUN_TEST, a->cfg, a->repo,
									 a->state, dirs[0]))) == 0)
		error = lp_workspace_test_count(&r->count, a->cfg->test_cmd, a->cfg->test_count, dirs[1],
						a->state, r->claim->commit,
						lp_workspace_isolation_init(&iso, LP_RUN_TEST, a->cfg, a->repo,
									    a->state, dirs[1]));
	r->dropped = error == 0 && r->count >= 0 && r->parent_count >= 0 && r->count < r->parent_count;
	return error;
}

/* Measures workloads w (n) of dirs[0] against dirs[1]; a run that fails
 * (BG_ECHILD) or a metric that is not positive (BG_EDOMAIN) is returned
 * for the caller to report, not fatal. */
static int measure(lp_measure_result *out, audit_ctx *x, const lp_workload *w, size_t n, char *dirs[2],
		   double max_s, const char *what, int held_out)
{
	lp_audit_run *a = x->a;
	lp_workspace_cmds c;
	char label[160], which[48];
	lp_measure_opts m;
	int error;

	if (x->index < a->claims->nclaims)
		snprintf(which, sizeof(which), "%zu/%zu", x->index + 1, a->claims->nclaims);
	else
		snprintf(which, sizeof(which), "campaign");
	clock_label(label, sizeof(label), x->clock, which, x->commit, what);
	m = lp_workspace_measure_opts(a->cfg, a->level, max_s, a->o->quiet, label);
	m.nsecondary = 0;   /* an audit re-measures the claimed gain, not the guards */
	if (held_out)
		m.max_regression = 1.0; /* held-out: the aggregate only, as gate */
	bg_progress_done(&x->clock->prog);
	if ((error = lp_workspace_arm_commands(&c, &m, a->cfg, a->repo, a->state, dirs[0], dirs[1], w, n,
					       held_out)) == 0)
		error = lp_measure_run(out, c.wl, c.n, &m, a->pin, x->rng);
	lp_workspace_cmds_clear(&c);
	return error;
}

/* BG_ECHILD / BG_EDOMAIN from a measurement: the claim cannot be run. */
static int run_failed(lp_audit_result *r, int error)
{
	if (error != BG_ECHILD && error != BG_EDOMAIN)
		return error;
	r->status = LP_AUDIT_BUILD_FAILED;
	set_detail(r, "its workloads do not run: %s", bg_error_last());
	return 0;
}

static int run_holdout(audit_ctx *x, lp_audit_result *r, char *dirs[2], double max_s)
{
	const lp_config *c = x->a->cfg;
	grd_holdout_input in;
	int error;

	error = measure(&r->hold, x, c->holdout, c->nholdout, dirs, max_s, "held-out", 1);
	if (error < 0)
		return run_failed(r, error);
	r->hold_ran = 1;
	in = (grd_holdout_input){ c->lower_is_better, r->train.aggregate.ratio, r->hold.aggregate.ratio,
				  r->hold.aggregate.lo, r->hold.aggregate.hi, c->generalization };
	if ((error = grd_holdout_judge(&in)) < 0)
		return error;
	r->hold_verdict = (grd_holdout_verdict)error;
	return 0;
}

/* Training, then (when training replicates) the held-out workloads. */
static int measure_claim(audit_ctx *x, lp_audit_result *r, char *dirs[2])
{
	const lp_config *c = x->a->cfg;
	double slot = clock_slot(x->clock), t0 = bg_time_now();
	double train_s = c->holdout_dir ? slot * 2.0 / 3.0 : slot;
	int error;

	error = measure(&r->train, x, c->workloads, c->nworkloads, dirs, train_s, "training", 0);
	if (error < 0)
		return run_failed(r, error);
	r->measured = 1;
	r->status = lp_audit_classify(&r->shrinkage_pct, &r->train.aggregate, c->lower_is_better,
				      r->claimed_gain, c->min_effect, 0, GRD_HOLDOUT_PASS);
	if (r->status == LP_AUDIT_NOT_REPLICATED || r->status == LP_AUDIT_UNDECIDED || c->holdout_dir == NULL)
		return 0;
	if ((error = run_holdout(x, r, dirs, fmax(slot - (bg_time_now() - t0), 0.001))) < 0 ||
	    r->status == LP_AUDIT_BUILD_FAILED)
		return error;
	r->status = lp_audit_classify(&r->shrinkage_pct, &r->train.aggregate, c->lower_is_better,
				      r->claimed_gain, c->min_effect, r->hold_ran, r->hold_verdict);
	return 0;
}

/* "about N s more would likely decide it", or why not. */
static void more_time_text(char *buf, size_t size, double more_s, double budget_s)
{
	if (!isfinite(more_s))
		snprintf(buf, size, "its interval is unbounded, so far more time than %.0f s", budget_s);
	else if (more_s > 100.0 * budget_s)
		snprintf(buf, size, "more than 100 times its %.0f s (about %.0f s more)", budget_s, more_s);
	else
		snprintf(buf, size, "about %.0f s more would likely decide it (from the noise measured)", more_s);
}

/* Not enough data, in training or in the held-out phase: how much more
 * time would likely decide it. */
static void describe_undecided(lp_audit_result *r, const lp_config *c)
{
	const st_effect *e = &r->train.aggregate;
	double floor = fmax(c->min_effect, isnan(r->claimed_gain) ? 0.0 : r->claimed_gain);
	char more[160];

	if (r->hold_ran && r->hold_verdict == GRD_HOLDOUT_UNDECIDED) {
		const st_effect *h = &r->hold.aggregate;

		r->more_s = lp_audit_more_time(h, c->lower_is_better,
					       c->generalization * lp_audit_gain(e->ratio, c->lower_is_better),
					       r->hold.elapsed_s);
		more_time_text(more, sizeof(more), r->more_s, r->hold.elapsed_s);
		set_detail(r, "undecided: the training workloads replicate (B/A %.4f), the held-out ones neither "
			   "keep nor exclude %.0f%% of the gain in %u rounds (B/A %.4f [%.4f, %.4f]); %s",
			   e->ratio, c->generalization * 100, r->hold.rounds, h->ratio, h->lo, h->hi, more);
		return;
	}
	r->more_s = lp_audit_more_time(e, c->lower_is_better, floor, r->train.elapsed_s);
	more_time_text(more, sizeof(more), r->more_s, r->train.elapsed_s);
	set_detail(r, "undecided: the fresh interval [%.4f, %.4f] holds both no gain and %s (%u rounds, "
		   "stopped: %s); not worth reverting on this evidence; %s", e->lo, e->hi,
		   isnan(r->claimed_gain) ? "a gain worth keeping" : "the claim", r->train.rounds, r->train.stopped,
		   more);
}

static void describe(lp_audit_result *r, const lp_config *c)
{
	const st_effect *e = &r->train.aggregate;

	switch (r->status) {
	case LP_AUDIT_SHRUNK:
		set_detail(r, "claimed B/A %.4f, measured %.4f [%.4f, %.4f]: the gain shrank by %.0f%%",
			   r->claim->claimed, e->ratio, e->lo, e->hi, r->shrinkage_pct);
		return;
	case LP_AUDIT_OVERFIT:
		set_detail(r, "the training workloads replicate (B/A %.4f), the held-out ones do not (B/A %.4f [%.4f, %.4f])",
			   e->ratio, r->hold.aggregate.ratio, r->hold.aggregate.lo, r->hold.aggregate.hi);
		return;
	case LP_AUDIT_NOT_REPLICATED:
		if (e->verdict == ST_NO_CHANGE)
			set_detail(r, "no change larger than %.3g%%: B/A %.4f [%.4f, %.4f]", c->min_effect * 100,
				   e->ratio, e->lo, e->hi);
		else
			set_detail(r, "decided: the fresh interval [%.4f, %.4f] reaches no change and excludes %s (%u rounds, stopped: %s)",
				   e->lo, e->hi, isnan(r->claimed_gain) ? "every gain worth keeping" : "the claim",
				   r->train.rounds, r->train.stopped);
		return;
	case LP_AUDIT_UNDECIDED:
		describe_undecided(r, c);
		return;
	default:
		return;
	}
}

/* Everything about one claim; only real errors (interrupted, no memory,
 * git or file-system failures) are returned. */
static int audit_claim(audit_ctx *x, lp_audit_result *r)
{
	lp_audit_run *a = x->a;
	char *dirs[2] = { NULL, NULL };
	double t0 = bg_time_now();
	int ok, error;

	if (r->claim->missing) {
		r->status = LP_AUDIT_MISSING;
		set_detail(r, "%s no longer exists in this repository", r->claim->given);
		return 0;
	}
	x->commit = r->claim->commit;
	step_progress(x->clock, x->index, a->claims->nclaims, r->claim->commit, "building");
	if ((error = check_protected(a, r)) < 0 || (error = export_build(&ok, dirs, a, r)) < 0 || !ok)
		goto cleanup;
	step_progress(x->clock, x->index, a->claims->nclaims, r->claim->commit, "tests");
	if ((error = test_counts(a, r, dirs)) < 0 || (error = measure_claim(x, r, dirs)) < 0)
		goto cleanup;
	describe(r, a->cfg);
cleanup:
	x->clock->done++;
	r->elapsed_s = bg_time_now() - t0;
	free(dirs[0]);
	free(dirs[1]);
	return error;
}

/* ---- the campaign ------------------------------------------------------- */

static double claim_gain(const lp_audit_claim *k, const lp_config *c)
{
	return lp_audit_gain(k->claimed, k->lower_is_better >= 0 ? k->lower_is_better : c->lower_is_better);
}

size_t lp_audit_chain(int *on, const lp_audit_claim *claims, size_t n)
{
	size_t at = n, k = 0;

	for (size_t i = 0; i < n; i++)
		on[i] = 0;
	while (at > 0 && claims[at - 1].commit[0] == '\0')   /* the last claim that exists */
		at--;
	while (at > 0) {
		const char *parent = claims[at - 1].parent;
		size_t prev = at - 1;

		on[at - 1] = 1;
		k++;
		while (prev > 0 && strcmp(claims[prev - 1].commit, parent) != 0)
			prev--;
		at = prev;   /* 0: the chain starts at the claim just marked */
	}
	return k;
}

static int claimed_total(lp_audit_run *a)
{
	if ((a->on_chain = calloc(a->claims->nclaims ? a->claims->nclaims : 1, sizeof(int))) == NULL)
		return bg_error_nomem();
	a->nchain = lp_audit_chain(a->on_chain, a->claims->claims, a->claims->nclaims);
	a->claimed_total = 1.0;
	for (size_t i = 0; i < a->claims->nclaims; i++)
		if (a->on_chain[i])
			a->claimed_total *= a->claims->claims[i].claimed; /* NaN stays NaN */
	return 0;
}

static int span_note(lp_audit_run *a, const char *why)
{
	if (asprintf(&a->span_note, "not measured (%s)", why) < 0) {
		a->span_note = NULL;
		return bg_error_nomem();
	}
	return 0;
}

/* The first claim's parent against the last claim's commit. */
static int measure_span(audit_ctx *x)
{
	lp_audit_run *a = x->a;
	const lp_audit_result *first = NULL, *last = NULL;
	char *dirs[2] = { NULL, NULL };
	int error;

	for (size_t i = 0; i < a->claims->nclaims; i++)
		if (a->on_chain[i]) {
			first = first ? first : &a->results[i];
			last = &a->results[i];
		}
	if (a->nchain < 2 || first == NULL)
		return span_note(a, a->npresent < 2 ? "one claim only" : "one claim on the chain");
	if (first->status == LP_AUDIT_BUILD_FAILED || last->status == LP_AUDIT_BUILD_FAILED)
		return span_note(a, "the first or the last claim does not build");
	a->span_from = first->claim->parent;
	a->span_to = last->claim->commit;
	x->index = a->claims->nclaims;
	x->commit = a->span_to;
	if ((error = lp_workspace_export(&dirs[0], a->repo, a->state, a->span_from)) == 0 &&
	    (error = lp_workspace_export(&dirs[1], a->repo, a->state, a->span_to)) == 0) {
		error = measure(&a->span, x, a->cfg->workloads, a->cfg->nworkloads, dirs, clock_slot(x->clock),
				"first-to-last", 0);
		if (error == 0)
			a->span_measured = 1;
		else if (error == BG_ECHILD || error == BG_EDOMAIN)
			error = span_note(a, bg_error_last());
	}
	free(dirs[0]);
	free(dirs[1]);
	return error;
}

static int campaign(audit_ctx *x)
{
	lp_audit_run *a = x->a;
	int error;

	if ((error = claimed_total(a)) < 0 || (error = measure_span(x)) < 0)
		return error;
	if (a->claims->kind == LP_AUDIT_SRC_LEDGER)
		error = lp_audit_changepoints(&a->steps, &a->nsteps, a->claims->series, a->claims->nseries);
	return error;
}

/* ---- setting up ------------------------------------------------------ */

static int read_claims(lp_audit_run *a)
{
	const lp_audit_opts *o = a->o;
	char *path = NULL;
	int error;

	if (o->pi_log)
		return lp_audit_claims_pi_log(&a->claims, a->repo, o->pi_log, o->direction, o->metric_column);
	if (o->tsv)
		return lp_audit_claims_tsv(&a->claims, a->repo, o->tsv, o->metric_column,
					   o->direction >= 0 ? o->direction : 1);
	if (o->range)
		return lp_audit_claims_range(&a->claims, a->repo, o->range);
	if ((error = state_path(&path, a->state, STATE_LEDGER)) < 0)
		return error;
	error = lp_audit_claims_ledger(&a->claims, a->repo, path);
	free(path);
	return error;
}

/* benchgate.json of the export of commit, into a->cfg. */
/* benchgate.json of commit as git holds it (not as an export may hold it). */
static int config_of(lp_audit_run *a, const char *commit)
{
	char *text = NULL;
	int error;

	if (asprintf(&a->cfg_from, "%s of %.12s", LP_CONFIG_FILE, commit) < 0)
		return bg_error_nomem();
	error = lp_repo_file(&text, a->repo, commit, LP_CONFIG_FILE);
	if (error == BG_ENOTFOUND)
		error = bg_error_set(BG_ENOTFOUND, "the newest claimed commit %.12s has no %s at its root: pass --config FILE",
				     commit, LP_CONFIG_FILE);
	else if (error == 0)
		error = lp_config_parse(&a->cfg, text, a->cfg_from);
	free(text);
	return error;
}

/* The configuration, unless --config gave it: that of the newest claim
 * that exists. Counts the claims that exist. */
static int load_config(lp_audit_run *a)
{
	const lp_audit_claim *newest = NULL;

	for (size_t i = 0; i < a->claims->nclaims; i++)
		if (!a->claims->claims[i].missing) {
			newest = &a->claims->claims[i];
			a->npresent++;
		}
	if (newest == NULL)
		return bg_error_set(BG_ENOTFOUND,
				    "none of the %zu claimed commits exists in this repository (the first: %s at %s:%zu): was the history rewritten?",
				    a->claims->nclaims, a->claims->claims[0].given, a->claims->path,
				    a->claims->claims[0].line);
	return a->cfg ? 0 : config_of(a, newest->commit);
}

static int prepare(lp_audit_run *a)
{
	const lp_config *c;
	size_t n;
	int error;

	/* a config given on the command line is checked before anything else */
	if ((error = lp_workspace_open(&a->repo, &a->state, ".")) < 0 ||
	    (a->o->config_path && (error = lp_config_load(&a->cfg, a->o->config_path)) < 0) ||
	    (error = read_claims(a)) < 0 || (error = load_config(a)) < 0)
		return error;
	c = a->cfg;
	if (c->metric_difference)
		return bg_error_set(BG_EUNSUPPORTED, "%s: metric.effect \"difference\": audit compares claimed and "
						     "re-measured ratios B/A and does not audit differences yet; gate and "
						     "compare decide them", c->path);
	if (c->holdout_dir && access(c->holdout_dir, F_OK) != 0)
		return bg_error_set(BG_ENOTFOUND, "%s: the held-out directory %s does not exist: restore it, or audit with a --config without \"holdout\"",
				    c->path, c->holdout_dir);
	if ((error = smp_pinning_new(&a->pin, c->pin)) < 0)
		return error;
	n = a->claims->nclaims;
	if ((a->results = calloc(n, sizeof(*a->results))) == NULL)
		return bg_error_nomem();
	for (size_t i = 0; i < n; i++) {
		lp_audit_result *r = &a->results[i];
		r->claim = &a->claims->claims[i];
		r->count = r->parent_count = -1;
		r->shrinkage_pct = NAN;
		r->more_s = NAN;
		r->claimed_gain = claim_gain(r->claim, c);
	}
	a->level = c->alpha / (double)a->npresent;
	a->budget_s = a->o->max_time > 0 ? a->o->max_time :
		      fmin(c->max_seconds * (double)(a->npresent + (a->npresent > 1)), AUDIT_DEFAULT_CAP_S);
	return 0;
}

int lp_audit_remeasure(lp_audit_run *a, gsl_rng *rng)
{
	audit_clock k;
	audit_ctx x = { a, &k, rng, 0, NULL };
	double t0 = bg_time_now();
	int error;

	smp_probe_read(&a->probe, NULL);
	bg_interrupt_install();
	if ((error = prepare(a)) < 0 || (error = state_machine_lock(&a->machine_fd, a->o->quiet)) < 0)
		return error;
	a->locked = 1;
	for (size_t i = 0; i < a->claims->nwarnings; i++)
		bg_warn(a->o->quiet, "%s", a->claims->warnings[i]);
	k = (audit_clock){ bg_time_now(), a->budget_s, a->npresent + (a->npresent > 1), 0, { 0 } };
	bg_progress_init(&k.prog, a->o->quiet);
	for (size_t i = 0; i < a->claims->nclaims && error == 0; i++) {
		x.index = i;
		error = audit_claim(&x, &a->results[i]);
	}
	if (error == 0)
		error = campaign(&x);
	bg_progress_done(&k.prog);
	for (size_t i = 0; i < a->claims->nclaims; i++)
		a->nfailed += lp_audit_result_fails(&a->results[i]);
	a->elapsed_s = bg_time_now() - t0;
	return error;
}

void lp_audit_run_free(lp_audit_run *a)
{
	for (size_t i = 0; a->results && a->claims && i < a->claims->nclaims; i++) {
		free(a->results[i].detail);
		bg_strv_free(a->results[i].touched);
		lp_measure_result_clear(&a->results[i].train);
		lp_measure_result_clear(&a->results[i].hold);
	}
	free(a->results);
	lp_audit_claims_free(a->claims);
	lp_config_free(a->cfg);
	free(a->cfg_from);
	free(a->span_note);
	free(a->on_chain);
	free(a->steps);
	lp_measure_result_clear(&a->span);
	smp_pinning_free(a->pin);
	state_free(a->state);
	lp_repo_free(a->repo);
	if (a->locked)
		state_unlock(a->machine_fd);
}
