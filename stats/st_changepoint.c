/* st_changepoint: PELT and E-Divisive means (see st_changepoint.h).
 *
 * PELT (Killick, Fearnhead & Eckley 2012) is optimal partitioning,
 * F(t) = min_tau F(tau) + C(x[tau..t-1]) + beta with F(0) = -beta, where a
 * candidate tau is dropped once F(tau) + C(tau, s) > F(s) at some s: for any
 * later end T with T - s >= minseglen, s then beats tau as last change because
 * the costs are superadditive (C(a, c) >= C(a, b) + C(b, c)). With a minimum
 * segment length s is only a valid last change for T >= s + minseglen, so a
 * candidate condemned at s stays until then (as in the current source of R's
 * changepoint; dropping it at once, as older releases did, can miss the
 * optimum when minseglen > 1). Segment costs are O(1) from prefix
 * sums of the data centred on its mean (centring keeps the variance of a
 * segment from cancelling away when the values are large, e.g. ns timings).
 *
 * E-Divisive (Matteson & James 2014, alpha = 1) needs, for a segment y of
 * length L, W(a, b) = sum_{a<=i<j<b} |y_i - y_j| for the pairs (0, tau),
 * (tau, kappa) and (0, kappa). W(0, .) is one pass; W(tau, .) for all kappa
 * follows from W(tau + 1, .) by adding the row sums of y_tau, so the best
 * (tau, kappa) takes O(L^2) time and O(L) memory. */
#include "st_changepoint.h"
#include "st_desc.h"
#include "bg_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

/* ln(2 pi) + 1 */
#define LN_2PI_PLUS_1 2.8378770664093454836

/* ---- PELT ------------------------------------------------------------- */

double st_pelt_penalty_barrett(size_t n)
{
	return n < 2 ? 0.0 : 15.0 * log((double)n);
}

void st_pelt_result_free(st_pelt_result *r)
{
	if (r == NULL)
		return;
	free(r->cpts);
	free(r);
}

/* Prefix sums of the centred series and what a segment cost needs. */
typedef struct {
	double *s1;        /* s1[k] = sum_{i<k} (x_i - mean) */
	double *s2;        /* s2[k] = sum_{i<k} (x_i - mean)^2 */
	st_pelt_model model;
	double floor;      /* MEANVAR: added to every segment variance */
	double inv_sigma2; /* MEAN */
} pelt_cost;

/* Twice the negative maximised normal log-likelihood of x[a..b-1]
 * (MEANVAR), or its residual sum of squares over sigma2 (MEAN). */
static double segment_cost(const pelt_cost *c, size_t a, size_t b)
{
	double l = (double)(b - a);
	double s1 = c->s1[b] - c->s1[a];
	double ss = (c->s2[b] - c->s2[a]) - s1 * s1 / l;

	if (ss < 0.0) /* rounding on a segment of (nearly) equal values */
		ss = 0.0;
	if (c->model == ST_PELT_MEAN)
		return ss * c->inv_sigma2;
	return l * (LN_2PI_PLUS_1 + log(ss / l + c->floor));
}

static int pelt_check_options(const st_pelt_options *o)
{
	if (o == NULL)
		return bg_error_set(BG_EINVAL, "PELT: options are required");
	if (o->model != ST_PELT_MEANVAR && o->model != ST_PELT_MEAN)
		return bg_error_set(BG_EINVAL, "PELT: unknown cost model %d", (int)o->model);
	if (!(isfinite(o->penalty) && o->penalty > 0.0))
		return bg_error_set(BG_EINVAL, "PELT: the penalty must be finite and > 0, got %g",
				    o->penalty);
	if (o->model == ST_PELT_MEANVAR && o->minseglen < 2)
		return bg_error_set(BG_EINVAL, "PELT: minimum segment length must be >= 2 "
				    "for a change in mean and variance, got %zu", o->minseglen);
	if (o->minseglen < 1)
		return bg_error_set(BG_EINVAL, "PELT: minimum segment length must be >= 1");
	if (o->model == ST_PELT_MEAN && !(isfinite(o->sigma2) && o->sigma2 > 0.0))
		return bg_error_set(BG_EINVAL, "PELT: the known variance must be finite and > 0, "
				    "got %g", o->sigma2);
	return 0;
}

/* Fills c->s1, c->s2 (allocated here, n + 1 each) and the cost constants. */
static int pelt_cost_init(pelt_cost *c, const double *x, size_t n,
			  const st_pelt_options *o)
{
	double mean = 0.0, var;

	c->s1 = malloc((n + 1) * sizeof(*c->s1));
	c->s2 = malloc((n + 1) * sizeof(*c->s2));
	if (c->s1 == NULL || c->s2 == NULL)
		return bg_error_set(BG_ENOMEM, "PELT: out of memory for %zu values", n);
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	c->s1[0] = c->s2[0] = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - mean;

		c->s1[i + 1] = c->s1[i] + d;
		c->s2[i + 1] = c->s2[i] + d * d;
	}
	var = c->s2[n] / (double)n;
	c->model = o->model;
	c->floor = ST_PELT_VAR_FLOOR * var;
	c->inv_sigma2 = o->model == ST_PELT_MEAN ? 1.0 / o->sigma2 : 0.0;
	if (o->model == ST_PELT_MEANVAR && !(var > 0.0))
		return bg_error_set(BG_EDOMAIN, "PELT: all %zu values are equal: a normal "
				    "likelihood with variance 0 is unbounded", n);
	return 0;
}

typedef struct {
	double *F;       /* F[t]: optimal penalised cost of x[0..t-1] */
	size_t *last;    /* last[t]: the last change of that optimum */
	size_t *cand;    /* live candidates for the last change, increasing */
	size_t *dead;    /* cand[i] is no longer needed from t = dead[i] on */
	double *val;     /* F(cand[i]) + C(cand[i], t) at the current t */
} pelt_work;

static void pelt_work_free(pelt_work *w)
{
	free(w->F);
	free(w->last);
	free(w->cand);
	free(w->dead);
	free(w->val);
}

static int pelt_work_alloc(pelt_work *w, size_t n)
{
	w->F = malloc((n + 1) * sizeof(*w->F));
	w->last = malloc((n + 1) * sizeof(*w->last));
	w->cand = malloc((n + 1) * sizeof(*w->cand));
	w->dead = malloc((n + 1) * sizeof(*w->dead));
	w->val = malloc((n + 1) * sizeof(*w->val));
	if (!w->F || !w->last || !w->cand || !w->dead || !w->val)
		return bg_error_set(BG_ENOMEM, "PELT: out of memory for %zu values", n);
	return 0;
}

/* The recursion; fills w->F and w->last for t = minseglen..n. */
static void pelt_run(pelt_work *w, const pelt_cost *c, size_t n, size_t minseg,
		     double beta)
{
	size_t nc = 0;

	w->F[0] = -beta;
	for (size_t t = minseg; t <= n; t++) {
		size_t tau = t - minseg, arg = 0, keep = 0;
		double best = INFINITY;

		/* x[0..tau-1] can end a segment only if tau is 0 or >= minseg */
		if (tau == 0 || tau >= minseg) {
			w->cand[nc] = tau;
			w->dead[nc] = SIZE_MAX;
			nc++;
		}
		for (size_t i = 0; i < nc; i++) {
			w->val[i] = w->F[w->cand[i]] + segment_cost(c, w->cand[i], t);
			if (w->val[i] < best) {
				best = w->val[i];
				arg = w->cand[i];
			}
		}
		w->F[t] = best + beta;
		w->last[t] = arg;
		for (size_t i = 0; i < nc; i++) {
			if (w->dead[i] == SIZE_MAX && w->val[i] > w->F[t])
				w->dead[i] = t + minseg;
			if (w->dead[i] > t + 1) {
				w->cand[keep] = w->cand[i];
				w->dead[keep] = w->dead[i];
				keep++;
			}
		}
		nc = keep;
	}
}

/* *out = the change points of the optimum, read back from last[]. */
static int pelt_result_make(st_pelt_result **out, const pelt_work *w, size_t n)
{
	st_pelt_result *r = calloc(1, sizeof(*r));
	size_t k = 0;

	if (r == NULL)
		return bg_error_set(BG_ENOMEM, "PELT: out of memory for the result");
	for (size_t t = w->last[n]; t > 0; t = w->last[t])
		k++;
	if (k > 0 && (r->cpts = malloc(k * sizeof(*r->cpts))) == NULL) {
		free(r);
		return bg_error_set(BG_ENOMEM, "PELT: out of memory for the result");
	}
	r->n = n;
	r->ncpts = k;
	r->cost = w->F[n];
	for (size_t t = w->last[n]; t > 0; t = w->last[t])
		r->cpts[--k] = t;
	*out = r;
	return 0;
}

int st_pelt(st_pelt_result **out, const double *x, size_t n,
	    const st_pelt_options *opts)
{
	pelt_cost c = { 0 };
	pelt_work w = { 0 };
	int error;

	if (out == NULL)
		return bg_error_set(BG_EINVAL, "PELT: out-pointer is NULL");
	if ((error = pelt_check_options(opts)) < 0)
		return error;
	if ((error = st_check_finite(x, n)) < 0)
		return error;
	if (opts->minseglen > n / 2)
		return bg_error_set(BG_EDOMAIN, "PELT: %zu values cannot hold two segments "
				    "of at least %zu", n, opts->minseglen);
	if ((error = pelt_cost_init(&c, x, n, opts)) < 0)
		goto cleanup;
	if ((error = pelt_work_alloc(&w, n)) < 0)
		goto cleanup;
	pelt_run(&w, &c, n, opts->minseglen, opts->penalty);
	error = pelt_result_make(out, &w, n);
cleanup:
	free(c.s1);
	free(c.s2);
	pelt_work_free(&w);
	return error;
}

int st_pelt_sigma2_diff(double *out, const double *x, size_t n)
{
	double *d = NULL, mad;
	int error;

	if (out == NULL)
		return bg_error_set(BG_EINVAL, "noise variance: out-pointer is NULL");
	if ((error = st_check_finite(x, n)) < 0)
		return error;
	if (n < 3)
		return bg_error_set(BG_EDOMAIN, "noise variance from differences needs at "
				    "least 3 values, got %zu", n);
	if ((d = malloc((n - 1) * sizeof(*d))) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory for %zu differences", n - 1);
	for (size_t i = 0; i + 1 < n; i++)
		d[i] = x[i + 1] - x[i];
	if ((error = st_mad(&mad, d, n - 1)) < 0)
		goto cleanup;
	if (!(mad > 0.0)) {
		error = bg_error_set(BG_EDOMAIN, "noise variance: the MAD of the %zu first "
				     "differences is 0 (at least half are equal)", n - 1);
		goto cleanup;
	}
	*out = mad * mad / 2.0;
cleanup:
	free(d);
	return error;
}

/* ---- E-Divisive ------------------------------------------------------- */

typedef struct {
	int found;
	size_t tau, kappa;   /* relative to the segment's start */
	double q;
} ed_split;

/* Is (q, tau, kappa) better than *b? Largest q; on a tie the smallest tau,
 * then the smallest kappa (ecp scans tau, then kappa, upwards and keeps the
 * first strict maximum). */
static int ed_better(const ed_split *b, double q, size_t tau, size_t kappa)
{
	if (!b->found || q > b->q)
		return 1;
	return q == b->q && (tau < b->tau || (tau == b->tau && kappa < b->kappa));
}

/* Best split of y[0..L-1] (L >= 2 m). w0 and wr hold L + 1 doubles each. */
static void ed_best_split(ed_split *best, const double *y, size_t L, size_t m,
			  double *w0, double *wr)
{
	best->found = 0;
	w0[0] = 0.0;
	for (size_t k = 1; k <= L; k++) {
		double row = 0.0;

		for (size_t i = 0; i + 1 < k; i++)
			row += fabs(y[i] - y[k - 1]);
		w0[k] = w0[k - 1] + row;
		wr[k] = 0.0;
	}
	wr[0] = 0.0;
	/* wr[k] = W(tau, k) after the update for tau */
	for (size_t tau = L - 1; tau >= m; tau--) {
		double run = 0.0, t = (double)tau, A = w0[tau];

		for (size_t k = tau + 2; k <= L; k++) {
			run += fabs(y[tau] - y[k - 1]);
			wr[k] += run;
		}
		for (size_t kappa = tau + m; kappa <= L; kappa++) {
			double mm = (double)(kappa - tau), B = wr[kappa];
			double AB = w0[kappa] - A - B;
			double q = (t * mm / (t + mm)) *
				   (2.0 * AB / (t * mm) - 2.0 * B / (mm * (mm - 1.0)) -
				    2.0 * A / (t * (t - 1.0)));

			if (ed_better(best, q, tau, kappa)) {
				best->found = 1;
				best->q = q;
				best->tau = tau;
				best->kappa = kappa;
			}
		}
	}
}

static int ed_check_data(const double *x, size_t n, size_t min_size)
{
	int error;

	if (min_size < 2)
		return bg_error_set(BG_EINVAL, "E-Divisive: minimum size must be >= 2, got %zu",
				    min_size);
	if ((error = st_check_finite(x, n)) < 0)
		return error;
	if (min_size > n / 2)
		return bg_error_set(BG_EDOMAIN, "E-Divisive: %zu values cannot be split into "
				    "two samples of at least %zu", n, min_size);
	return 0;
}

int st_edivisive_split(size_t *tau, size_t *kappa, double *qhat,
		       const double *x, size_t n, size_t min_size)
{
	double *w0 = NULL, *wr = NULL;
	ed_split best;
	int error;

	if (tau == NULL || kappa == NULL || qhat == NULL)
		return bg_error_set(BG_EINVAL, "E-Divisive split: out-pointer is NULL");
	if ((error = ed_check_data(x, n, min_size)) < 0)
		return error;
	w0 = malloc((n + 1) * sizeof(*w0));
	wr = malloc((n + 1) * sizeof(*wr));
	if (w0 == NULL || wr == NULL) {
		error = bg_error_set(BG_ENOMEM, "E-Divisive: out of memory for %zu values", n);
		goto cleanup;
	}
	ed_best_split(&best, x, n, min_size, w0, wr);
	*tau = best.tau;
	*kappa = best.kappa;
	*qhat = best.q;
	error = 0;
cleanup:
	free(w0);
	free(wr);
	return error;
}

void st_edivisive_result_free(st_edivisive_result *r)
{
	if (r == NULL)
		return;
	free(r->cpts);
	free(r->found);
	free(r->stat);
	free(r->pvalue);
	free(r);
}

/* State of one run: the current segment bounds and scratch space. */
typedef struct {
	const double *x;
	size_t n, m;
	size_t *bounds;     /* 0 = b_0 < b_1 < ... < b_nb-1 = n */
	size_t nb;
	double *perm;       /* x permuted within segments */
	double *w0, *wr;
} ed_state;

/* Best split over all segments of y (x or a permutation of it); ties go to
 * the earliest segment. Returns 0 when no segment has 2 m values. */
static int ed_best_over_segments(ed_split *best, size_t *abs_tau, const ed_state *s,
				 const double *y)
{
	best->found = 0;
	for (size_t j = 0; j + 1 < s->nb; j++) {
		size_t a = s->bounds[j], L = s->bounds[j + 1] - a;
		ed_split sp;

		if (L < 2 * s->m)
			continue;
		ed_best_split(&sp, y + a, L, s->m, s->w0, s->wr);
		if (!best->found || sp.q > best->q) {
			*best = sp;
			*abs_tau = a + sp.tau;
		}
	}
	return best->found;
}

/* (1 + #{permutations with q* >= q}) / (R + 1), permuting within segments. */
static double ed_pvalue(ed_state *s, double q, size_t R, gsl_rng *rng)
{
	size_t over = 0, tau;
	ed_split sp;

	memcpy(s->perm, s->x, s->n * sizeof(*s->perm));
	for (size_t r = 0; r < R; r++) {
		for (size_t j = 0; j + 1 < s->nb; j++) {
			size_t a = s->bounds[j], L = s->bounds[j + 1] - a;

			if (L >= 2 * s->m)
				gsl_ran_shuffle(rng, s->perm + a, L, sizeof(double));
		}
		if (ed_best_over_segments(&sp, &tau, s, s->perm) && sp.q >= q)
			over++;
	}
	return (double)(1 + over) / (double)(R + 1);
}

static void ed_insert_bound(ed_state *s, size_t tau)
{
	size_t j = s->nb;

	while (j > 0 && s->bounds[j - 1] > tau) {
		s->bounds[j] = s->bounds[j - 1];
		j--;
	}
	s->bounds[j] = tau;
	s->nb++;
}

static int ed_check_options(const st_edivisive_options *o, const gsl_rng *rng)
{
	if (o == NULL || rng == NULL)
		return bg_error_set(BG_EINVAL, "E-Divisive: options and RNG are required");
	if (!(o->sig_level > 0.0 && o->sig_level < 1.0))
		return bg_error_set(BG_EINVAL, "E-Divisive: significance level must be in "
				    "(0, 1), got %g", o->sig_level);
	if (o->permutations == 0)
		return bg_error_set(BG_EINVAL, "E-Divisive: the permutation test needs at "
				    "least 1 permutation");
	if (1.0 / ((double)o->permutations + 1.0) > o->sig_level)
		return bg_error_set(BG_EINVAL, "E-Divisive: with %zu permutations the "
				    "smallest p-value, 1/%zu, is above the level %g",
				    o->permutations, o->permutations + 1, o->sig_level);
	return 0;
}

static int ed_result_alloc(st_edivisive_result **out, size_t n, size_t max_tests)
{
	st_edivisive_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		goto nomem;
	r->n = n;
	r->cpts = malloc(max_tests * sizeof(*r->cpts));
	r->found = malloc(max_tests * sizeof(*r->found));
	r->stat = malloc(max_tests * sizeof(*r->stat));
	r->pvalue = malloc(max_tests * sizeof(*r->pvalue));
	if (!r->cpts || !r->found || !r->stat || !r->pvalue)
		goto nomem;
	*out = r;
	return 0;
nomem:
	st_edivisive_result_free(r);
	return bg_error_set(BG_ENOMEM, "E-Divisive: out of memory for %zu values", n);
}

/* The tests, bisecting until one is not significant or nothing can split. */
static void ed_run(st_edivisive_result *r, ed_state *s,
		   const st_edivisive_options *o, gsl_rng *rng)
{
	ed_split sp;
	size_t tau;

	while (ed_best_over_segments(&sp, &tau, s, s->x)) {
		double p = ed_pvalue(s, sp.q, o->permutations, rng);

		r->found[r->ntests] = tau;
		r->stat[r->ntests] = sp.q;
		r->pvalue[r->ntests] = p;
		r->ntests++;
		if (p > o->sig_level)
			break;
		ed_insert_bound(s, tau);
	}
	r->ncpts = s->nb - 2;
	memcpy(r->cpts, s->bounds + 1, r->ncpts * sizeof(*r->cpts));
	if (r->ncpts == 0) {
		free(r->cpts);
		r->cpts = NULL;
	}
}

int st_edivisive(st_edivisive_result **out, const double *x, size_t n,
		 const st_edivisive_options *opts, gsl_rng *rng)
{
	ed_state s = { 0 };
	st_edivisive_result *r = NULL;
	size_t max_tests;
	int error;

	if (out == NULL)
		return bg_error_set(BG_EINVAL, "E-Divisive: out-pointer is NULL");
	if ((error = ed_check_options(opts, rng)) < 0)
		return error;
	if ((error = ed_check_data(x, n, opts->min_size)) < 0)
		return error;
	/* at most n / m segments, so at most n / m - 1 change points + 1 test */
	max_tests = n / opts->min_size;
	s.x = x;
	s.n = n;
	s.m = opts->min_size;
	s.bounds = malloc((max_tests + 1) * sizeof(*s.bounds));
	s.perm = malloc(n * sizeof(*s.perm));
	s.w0 = malloc((n + 1) * sizeof(*s.w0));
	s.wr = malloc((n + 1) * sizeof(*s.wr));
	if (!s.bounds || !s.perm || !s.w0 || !s.wr) {
		error = bg_error_set(BG_ENOMEM, "E-Divisive: out of memory for %zu values", n);
		goto cleanup;
	}
	if ((error = ed_result_alloc(&r, n, max_tests)) < 0)
		goto cleanup;
	s.bounds[0] = 0;
	s.bounds[1] = n;
	s.nb = 2;
	ed_run(r, &s, opts, rng);
	*out = r;
	r = NULL;
cleanup:
	st_edivisive_result_free(r);
	free(s.bounds);
	free(s.perm);
	free(s.w0);
	free(s.wr);
	return error;
}
