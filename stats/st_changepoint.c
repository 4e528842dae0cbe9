/* st_changepoint: PELT (see st_changepoint.h).
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
 * segment from cancelling away when the values are large, e.g. ns timings). */
#include "st_changepoint.h"
#include "st_desc.h"
#include "bg_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* ln(2 pi) + 1 */
#define LN_2PI_PLUS_1 2.8378770664093454836

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
