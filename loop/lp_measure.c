/* lp_measure: the multi-workload sequential measurement (see lp_measure.h). */
#include "lp_measure.h"
#include "bg_progress.h"
#include "bg_time.h"
#include "bg_error.h"
#include "st_fdr.h"
#include "st_rule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One secondary metric's guard across the rounds. */
typedef struct {
	st_cs_state reg;      /* its round's weighted d - its bound */
	double mu0;           /* log of its bound, on the worse side */
	double sum, first;    /* sum of its d; its first round's d */
	int constant;         /* every round's d so far the first's */
} sec_seq;

typedef struct {
	const lp_measure_opts *o;
	size_t nwl;
	st_cs_state *cs;      /* per workload: d */
	st_cs_state *reg;     /* per workload: d - mu0, for the regression p-value */
	st_cs_state agg;      /* weighted mean of the round's d */
	st_bet_state *bet;    /* metric.range: per workload, the betting sequence instead */
	st_bet_state bagg;    /* and the aggregate's */
	st_rule rule;         /* the decision rule at the experiment's level */
	double wsum;
	double mu0;           /* log of the regression bound, on the worse side */
	double *d;            /* this round's d per workload */
	/* the secondary metrics, k of them: */
	double *sa, *sb;      /* this round's values, [k * nwl + w], A and B */
	sec_seq *sec;         /* k */
} seq_state;

/* Frees the jobs and the names they own; NULL is a no-op. */
static void jobs_free(smp_job *jobs, size_t n)
{
	for (size_t j = 0; jobs && j < n; j++)
		free((char *)jobs[j].name);
	free(jobs);
}

/* Two jobs per workload: 2w is its baseline (arm A), 2w+1 its candidate. */
static int jobs_new(smp_job **out, const lp_measure_workload *wl, size_t nwl)
{
	smp_job *jobs = calloc(2 * nwl, sizeof(*jobs));

	if (jobs == NULL)
		return bg_error_nomem();
	for (size_t j = 0; j < 2 * nwl; j++) {
		size_t w = j / 2;
		unsigned arm = (unsigned)(j % 2);
		char *name;
		if (asprintf(&name, "%s of workload \"%s\"", arm ? LP_MEASURE_CANDIDATE : "A (baseline)",
			     wl[w].name) < 0) {
			jobs_free(jobs, 2 * nwl);
			return bg_error_nomem();
		}
		jobs[j] = (smp_job){ name, arm ? wl[w].cmd_b : wl[w].cmd_a, (unsigned)w, arm };
	}
	*out = jobs;
	return 0;
}

static int sec_init(seq_state *s, const lp_measure_opts *o)
{
	size_t k = o->nsecondary;

	if (k == 0)
		return 0;
	s->sa = calloc(k * s->nwl, sizeof(*s->sa));
	s->sb = calloc(k * s->nwl, sizeof(*s->sb));
	s->sec = calloc(k, sizeof(*s->sec));
	if (!s->sa || !s->sb || !s->sec)
		return BG_ENOMEM;
	for (size_t i = 0; i < k; i++) {
		s->sec[i].mu0 = (o->secondary[i].lower_is_better ? 1.0 : -1.0) * log1p(o->secondary[i].max_regression);
		s->sec[i].constant = 1;
		st_cs_init(&s->sec[i].reg, st_rule_rho());
	}
	return 0;
}

/* metric.range: a betting sequence per workload, tracking the regression
 * bound too (when the range can reach it), and one for the aggregate. */
static int bet_init(seq_state *s)
{
	double w = s->o->range_hi - s->o->range_lo;
	int error;

	if ((s->bet = calloc(s->nwl, sizeof(*s->bet))) == NULL)
		return bg_error_nomem();
	for (size_t i = 0; i < s->nwl; i++)
		if ((error = st_rule_bet_init(&s->bet[i], &s->rule, w, s->mu0)) < 0)
			return error;
	return st_rule_bet_init(&s->bagg, &s->rule, w, NAN);
}

static int seq_init(seq_state *s, const lp_measure_workload *wl, size_t nwl, const lp_measure_opts *o)
{
	double rho;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->nwl = nwl;
	s->mu0 = (o->lower_is_better ? 1.0 : -1.0) * (o->difference ? o->max_regression : log1p(o->max_regression));
	s->rule = o->difference ? st_rule_make_difference(o->alpha, o->min_effect, o->lower_is_better)
				: st_rule_make(o->alpha, o->min_effect, o->lower_is_better);
	rho = s->rule.rho;
	s->rule.min_rounds = o->min_rounds;
	s->rule.max_rounds = o->max_rounds;
	s->cs = calloc(nwl, sizeof(*s->cs));
	s->reg = calloc(nwl, sizeof(*s->reg));
	s->d = calloc(nwl, sizeof(*s->d));
	if (s->cs == NULL || s->reg == NULL || s->d == NULL || sec_init(s, o) < 0)
		return bg_error_nomem();
	for (size_t w = 0; w < nwl; w++) {
		st_cs_init(&s->cs[w], rho);
		st_cs_init(&s->reg[w], rho);
		s->wsum += wl[w].weight;
	}
	if (o->ranged)
		return bet_init(s);
	return st_cs_init(&s->agg, rho);
}

static void seq_free(seq_state *s)
{
	for (size_t i = 0; s->bet && i < s->nwl; i++)
		st_bet_free(&s->bet[i]);
	free(s->bet);
	st_bet_free(&s->bagg);
	free(s->cs);
	free(s->reg);
	free(s->d);
	free(s->sa);
	free(s->sb);
	free(s->sec);
}

/* A secondary metric's value in a sample, into this round's slots. */
static int sec_take(seq_state *s, const smp_sample *smp, const smp_job *job)
{
	for (size_t k = 0; k < s->o->nsecondary; k++) {
		double v;
		int error;

		if ((error = smp_sample_value(&v, smp, s->o->secondary[k].name)) < 0)
			return error;
		if (!(v >= 0.0 && isfinite(v)))
			return bg_error_set(BG_EDOMAIN, "%s: secondary metric %s = %g; its ratios need values >= 0",
					    job->name, s->o->secondary[k].name, v);
		(job->arm ? s->sb : s->sa)[k * s->nwl + job->workload] = v;
	}
	return 0;
}

/* The round's weighted log B/A of each secondary metric (a workload whose
 * two values are equal, zeros included, adds 0), into its sequences. */
static int sec_push_round(seq_state *s, const lp_measure_workload *wl, size_t round)
{
	for (size_t k = 0; k < s->o->nsecondary; k++) {
		sec_seq *q = &s->sec[k];
		double d = 0.0;
		int error;

		for (size_t w = 0; w < s->nwl; w++) {
			double a = s->sa[k * s->nwl + w], b = s->sb[k * s->nwl + w];

			if (a == b)
				continue;
			if (!(a > 0.0 && b > 0.0))
				return bg_error_set(BG_EDOMAIN, "secondary metric %s of workload \"%s\" is %g in A and %g in "
								"B in round %zu: a ratio needs both > 0",
						    s->o->secondary[k].name, wl[w].name, a, b, round);
			d += wl[w].weight * (log(b) - log(a));
		}
		d /= s->wsum;
		if (round == 1)
			q->first = d;
		q->constant &= d == q->first;
		q->sum += d;
		if ((error = st_cs_push(&q->reg, d - q->mu0)) < 0)
			return error;
	}
	return 0;
}

/* The last round's d per workload, pushed into every sequence. */
static int seq_push_round(seq_state *s, const smp_runner *r, const lp_measure_workload *wl)
{
	size_t ns, nj = smp_runner_njobs(r);
	const smp_sample *smp = smp_runner_samples(r, &ns);
	double agg = 0.0;
	int error;

	for (size_t i = ns - nj; i < ns; i++) {
		const smp_job *job = smp_runner_job(r, smp[i].job);
		double v;
		if ((error = smp_sample_value(&v, &smp[i], s->o->metric)) < 0 ||
		    (error = sec_take(s, &smp[i], job)) < 0)
			return error;
		if (s->o->ranged && !(v >= s->o->range_lo && v <= s->o->range_hi))
			return bg_error_set(BG_EDOMAIN, "%s: %s = %g in round %zu, outside metric.range [%g, %g]", job->name,
					    s->o->metric, v, smp_runner_rounds(r), s->o->range_lo, s->o->range_hi);
		if (s->o->difference ? !isfinite(v) : !(v > 0.0 && isfinite(v)))
			return bg_error_set(BG_EDOMAIN, "%s: %s = %g in round %zu; %s", job->name, s->o->metric, v,
					    smp_runner_rounds(r), s->o->difference ? "a difference needs finite values"
					    : "a ratio needs positive values: set metric.effect to \"difference\" for a "
					      "metric that can be zero or negative");
		s->d[job->workload] += (job->arm ? 1.0 : -1.0) * (s->o->difference ? v : log(v));
	}
	for (size_t w = 0; w < s->nwl; w++) {
		if (s->bet ? (error = st_bet_push(&s->bet[w], s->d[w])) < 0
			   : ((error = st_cs_push(&s->cs[w], s->d[w])) < 0 ||
			      (error = st_cs_push(&s->reg[w], s->d[w] - s->mu0)) < 0))
			return error;
		agg += wl[w].weight * s->d[w];
		s->d[w] = 0.0;
	}
	if ((error = sec_push_round(s, wl, smp_runner_rounds(r))) < 0)
		return error;
	return s->bet ? st_bet_push(&s->bagg, agg / s->wsum) : st_cs_push(&s->agg, agg / s->wsum);
}

/* The rule's look at one sequence (the betting one when bet is not NULL),
 * as an effect. */
static int look(st_effect *e, const st_cs_state *cs, const st_bet_state *bet, const st_rule *rule)
{
	st_rule_look l;
	int error;

	if ((error = bet ? st_rule_look_bet(&l, bet, rule) : st_rule_look_at(&l, cs, rule)) < 0)
		return error;
	*e = st_rule_effect(&l, rule);
	return 0;
}

/* The secondary metrics' guards: Holm over their always-valid p-values at
 * the regression check's level. One whose B/A was the same in every round
 * (a count, a size: no noise) is decided exactly from min_rounds on: p 0
 * when beyond its bound, else 1. Returns how many got worse, or an error. */
static int sec_look(lp_measure_result *res, const seq_state *s, size_t rounds)
{
	size_t k = s->o->nsecondary;
	double *p = k ? malloc(k * sizeof(*p)) : NULL, *adj = k ? malloc(k * sizeof(*adj)) : NULL;
	int *rej = k ? malloc(k * sizeof(*rej)) : NULL, *beyond = k ? malloc(k * sizeof(*beyond)) : NULL;
	int n = 0, error = 0;

	if (k && (p == NULL || adj == NULL || rej == NULL || beyond == NULL))
		error = bg_error_nomem();
	for (size_t i = 0; error == 0 && i < k; i++) {
		const sec_seq *q = &s->sec[i];
		lp_measure_sec *r = &res->sec[i];
		double mean = q->sum / (double)rounds;

		beyond[i] = r->lower_is_better ? mean > q->mu0 : mean < q->mu0;
		r->ratio = exp(mean);
		r->exact = q->constant && rounds >= s->o->min_rounds;
		p[i] = r->exact ? (beyond[i] ? 0.0 : 1.0) : fmin(1.0, exp(-q->reg.max_log_m));
		r->p_regress = p[i];
	}
	if (error == 0 && k)
		error = st_fdr_holm(adj, rej, p, k, s->o->alpha_regress);
	for (size_t i = 0; error == 0 && i < k; i++) {
		res->sec[i].regressed = rej[i] && beyond[i];
		n += res->sec[i].regressed;
	}
	free(p);
	free(adj);
	free(rej);
	free(beyond);
	return error < 0 ? error : n;
}

/* Effects of every workload and the aggregate; Holm over the regression
 * p-values. Returns the number of regressed workloads, or an error. */
static int seq_look(lp_measure_result *res, seq_state *s)
{
	double *p = malloc(s->nwl * sizeof(*p)), *adj = malloc(s->nwl * sizeof(*adj));
	int *rej = malloc(s->nwl * sizeof(*rej)), nreg = 0, error;

	if (p == NULL || adj == NULL || rej == NULL) {
		nreg = bg_error_nomem();
		goto cleanup;
	}
	for (size_t w = 0; w < s->nwl; w++) {
		if ((error = look(&res->wl[w].effect, &s->cs[w], s->bet ? &s->bet[w] : NULL, &s->rule)) < 0) {
			nreg = error;
			goto cleanup;
		}
		p[w] = s->bet ? st_bet_p(&s->bet[w], s->mu0) : fmin(1.0, exp(-s->reg[w].max_log_m));
		res->wl[w].p_regress = p[w];
	}
	if ((error = look(&res->aggregate, &s->agg, s->bet ? &s->bagg : NULL, &s->rule)) < 0 ||
	    (error = st_fdr_holm(adj, rej, p, s->nwl, s->o->alpha_regress)) < 0) {
		nreg = error;
		goto cleanup;
	}
	for (size_t w = 0; w < s->nwl; w++) {
		double est = s->o->difference ? res->wl[w].effect.ratio : log(res->wl[w].effect.ratio);
		int beyond = s->mu0 > 0 ? est > s->mu0 : est < s->mu0;
		res->wl[w].regressed = rej[w] && beyond;
		nreg += res->wl[w].regressed;
	}
	if ((error = sec_look(res, s, smp_runner_rounds(res->runner))) < 0)
		nreg = error;
	else
		nreg += error;
cleanup:
	free(p);
	free(adj);
	free(rej);
	return nreg;
}

static int check_opts(const lp_measure_opts *o, size_t nwl)
{
	if (nwl == 0)
		return bg_error_set(BG_EINVAL, "no workloads to measure");
	if (!(o->alpha > 0.0 && o->alpha < 1.0) || !(o->alpha_regress > 0.0 && o->alpha_regress < 1.0))
		return bg_error_set(BG_EINVAL, "levels must be in (0, 1)");
	if (o->min_rounds < 2 || o->max_rounds < o->min_rounds)
		return bg_error_set(BG_EINVAL, "rounds: need 2 <= min_rounds <= max_rounds");
	return 0;
}

static int results_init(lp_measure_result *res, const lp_measure_workload *wl, size_t nwl,
			const lp_measure_opts *o)
{
	memset(res, 0, sizeof(*res));
	if ((res->wl = calloc(nwl, sizeof(*res->wl))) == NULL ||
	    (o->nsecondary && (res->sec = calloc(o->nsecondary, sizeof(*res->sec))) == NULL))
		return bg_error_nomem();
	res->nwl = nwl;
	res->nsec = o->nsecondary;
	for (size_t k = 0; k < o->nsecondary; k++) {
		res->sec[k].lower_is_better = o->secondary[k].lower_is_better;
		res->sec[k].max_regression = o->secondary[k].max_regression;
		res->sec[k].p_regress = 1.0;
		res->sec[k].ratio = NAN;
		if ((res->sec[k].name = strdup(o->secondary[k].name)) == NULL)
			return bg_error_nomem();
	}
	for (size_t w = 0; w < nwl; w++) {
		res->wl[w].weight = wl[w].weight;
		if ((res->wl[w].name = strdup(wl[w].name)) == NULL)
			return bg_error_nomem();
	}
	return 0;
}

/* Rounds until the rule stops. */
static int sample(lp_measure_result *res, seq_state *s, const lp_measure_workload *wl, double t0)
{
	const lp_measure_opts *o = s->o;
	bg_progress prog;
	int error = 0, nreg;

	bg_progress_init(&prog, o->quiet);
	for (;;) {
		double el;
		if ((error = smp_runner_round(res->runner)) < 0 ||
		    (error = seq_push_round(s, res->runner, wl)) < 0 ||
		    (nreg = error = seq_look(res, s)) < 0)
			break;
		error = 0;
		res->rounds = (unsigned)smp_runner_rounds(res->runner);
		el = bg_time_now() - t0;
		bg_progress_update(&prog, "benchgate: %s round %u, %.0f of %.0f s, %s %.4g [%.4g, %.4g]",
				   o->label ? o->label : "", res->rounds, el, o->max_seconds,
				   o->difference ? "B-A" : "B/A", res->aggregate.ratio, res->aggregate.lo,
				   res->aggregate.hi);
		if (res->rounds < o->min_rounds)
			continue;
		if (nreg > 0) {
			res->stopped = "regressed";
			break;
		}
		if (res->aggregate.verdict != ST_INCONCLUSIVE) {
			res->stopped = "decided";
			break;
		}
		if (st_rule_stops(&s->rule, res->rounds, res->aggregate.verdict) || el >= o->max_seconds) {
			res->stopped = res->rounds >= o->max_rounds ? "max_rounds" : "max_time";
			break;
		}
	}
	bg_progress_done(&prog);
	return error;
}

int lp_measure_run(lp_measure_result *out, const lp_measure_workload *wl, size_t nwl,
		   const lp_measure_opts *opts, smp_pinning *pin, gsl_rng *rng)
{
	smp_runner_opts ro = SMP_RUNNER_OPTS_INIT;
	lp_measure_result res;
	smp_job *jobs = NULL;
	seq_state s;
	double t0 = bg_time_now();
	int error;

	if ((error = check_opts(opts, nwl)) < 0)
		return error;
	memset(&s, 0, sizeof(s));
	if ((error = results_init(&res, wl, nwl, opts)) < 0 ||
	    (error = seq_init(&s, wl, nwl, opts)) < 0 ||
	    (error = jobs_new(&jobs, wl, nwl)) < 0)
		goto cleanup;
	ro.spawn.timeout_s = opts->run_timeout;
	ro.spawn.env_extra = opts->env_extra;
	ro.exec = opts->exec;
	ro.metric = opts->metric;
	ro.metric_regex = opts->metric_regex;
	ro.metric_aggregate = (smp_aggregate)opts->metric_aggregate;
	if ((error = smp_runner_new(&res.runner, jobs, 2 * nwl, &ro, pin, rng)) < 0 ||
	    (error = smp_runner_warmup(res.runner, opts->warmup)) < 0 ||
	    (error = sample(&res, &s, wl, t0)) < 0)
		goto cleanup;
	res.elapsed_s = bg_time_now() - t0;
	*out = res;
cleanup:
	jobs_free(jobs, 2 * nwl);
	seq_free(&s);
	if (error < 0)
		lp_measure_result_clear(&res);
	return error;
}

void lp_measure_result_clear(lp_measure_result *r)
{
	if (r == NULL)
		return;
	for (size_t w = 0; w < r->nwl; w++)
		free(r->wl[w].name);
	free(r->wl);
	for (size_t k = 0; k < r->nsec; k++)
		free(r->sec[k].name);
	free(r->sec);
	smp_runner_free(r->runner);
	memset(r, 0, sizeof(*r));
}
