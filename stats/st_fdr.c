/* st_fdr: online FDR control (LORD++, alpha-investing) and Holm's
 * adjustment (see st_fdr.h). */
#include "st_fdr.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sort_double.h>

struct st_fdr {
	st_fdr_method method;
	double alpha, w0;
	size_t n_tests;
	size_t *times;      /* rejection times, 1-based, increasing */
	size_t n_rejects, cap;
	double wealth;      /* alpha-investing's (LORD++ needs none) */
};

/* Javanmard & Montanari (2018), eq. (31); the sequence Ramdas et al. (2017)
 * use for LORD++. */
double st_fdr_gamma(size_t j)
{
	double x = (double)j;

	if (j == 0)
		return 0.0;
	return ST_FDR_GAMMA_C * log(j < 2 ? 2.0 : x) / (x * exp(sqrt(log(x))));
}

static int check_params(st_fdr_method method, double alpha, double w0)
{
	if (method != ST_FDR_LORD_PP && method != ST_FDR_ALPHA_INVESTING)
		return bg_error_set(BG_EINVAL, "online FDR: unknown method %d",
				    (int)method);
	if (!(alpha > 0.0 && alpha < 1.0))
		return bg_error_set(BG_EINVAL, "online FDR: alpha must be in (0, 1), "
				    "got %g", alpha);
	if (!(w0 > 0.0 && w0 <= alpha))
		return bg_error_set(BG_EINVAL, "online FDR: initial wealth W0 must be "
				    "in (0, alpha = %g], got %g", alpha, w0);
	return 0;
}

int st_fdr_new(st_fdr **out, st_fdr_method method, double alpha, double w0)
{
	const size_t cap = 16; /* rejection times before the first realloc */
	int error = check_params(method, alpha, w0);
	st_fdr *f;

	if (error < 0)
		return error;
	if (!(f = calloc(1, sizeof(*f))))
		return bg_error_set(BG_ENOMEM, "online FDR: out of memory");
	if (!(f->times = malloc(cap * sizeof(*f->times)))) {
		free(f);
		return bg_error_set(BG_ENOMEM, "online FDR: out of memory for %zu "
				    "rejection times", cap);
	}
	f->method = method;
	f->alpha = alpha;
	f->w0 = w0;
	f->cap = cap;
	f->wealth = w0;
	*out = f;
	return 0;
}

void st_fdr_free(st_fdr *f)
{
	if (!f)
		return;
	free(f->times);
	free(f);
}

/* Ramdas et al. (2017), LORD++: alpha_t = gamma_t W0
 * + (alpha - W0) gamma_{t - tau_1} + alpha sum_{j >= 2} gamma_{t - tau_j}. */
static double lord_level(const st_fdr *f)
{
	size_t t = f->n_tests + 1;
	double level = st_fdr_gamma(t) * f->w0, rest = 0.0;

	if (f->n_rejects == 0)
		return level;
	level += (f->alpha - f->w0) * st_fdr_gamma(t - f->times[0]);
	for (size_t j = 1; j < f->n_rejects; j++)
		rest += st_fdr_gamma(t - f->times[j]);
	return level + f->alpha * rest;
}

/* Foster & Stine (2008): their spending policy alpha_j = W / (1 + j - k*),
 * k* the latest rejection, invests more right after a discovery. Capped at
 * alpha, so that no single test is looser than the campaign's target (our
 * choice: a level of W/2 = 0.5 once wealth reaches 1 would keep p = 0.4),
 * and at W / (1 + W), the paper's condition that the penalty
 * alpha_j / (1 - alpha_j) not exceed the wealth (it binds only when
 * alpha > 1/2). Any such predictable alpha_j is an alpha-investing rule. */
static double investing_level(const st_fdr *f)
{
	size_t j = f->n_tests + 1;
	size_t last = f->n_rejects ? f->times[f->n_rejects - 1] : 0;
	double w = f->wealth;
	double level = w / (double)(1 + j - last);

	if (f->alpha < level)
		level = f->alpha;
	if (w / (1.0 + w) < level)
		level = w / (1.0 + w);
	return level;
}

double st_fdr_level(const st_fdr *f)
{
	return f->method == ST_FDR_LORD_PP ? lord_level(f) : investing_level(f);
}

/* Makes room for one more rejection time; f unchanged on failure. */
static int reserve_one(st_fdr *f)
{
	size_t cap;
	size_t *times;

	if (f->n_rejects < f->cap)
		return 0;
	cap = f->cap ? 2 * f->cap : 16;
	if (!(times = realloc(f->times, cap * sizeof(*times))))
		return bg_error_set(BG_ENOMEM, "online FDR: out of memory for %zu "
				    "rejection times", cap);
	f->times = times;
	f->cap = cap;
	return 0;
}

/* Moves f on by one test done at `level` with the given decision; room for
 * a rejection time must be there. LORD++'s levels follow from the rejection
 * times alone; alpha-investing's from its wealth too. */
static void advance(st_fdr *f, int rejected, double level)
{
	if (f->method == ST_FDR_ALPHA_INVESTING) {
		if (rejected)
			f->wealth += f->alpha;
		else
			/* Clamped: rounding must not leave a negative wealth
			 * when the W/(1+W) cap spends all of it. */
			f->wealth = fmax(0.0, f->wealth - level / (1.0 - level));
	}
	f->n_tests++;
	if (rejected)
		f->times[f->n_rejects++] = f->n_tests;
}

int st_fdr_record(int *rejected, double *level, st_fdr *f, double p)
{
	double lv;
	int r, error;

	if (!(p >= 0.0 && p <= 1.0))
		return bg_error_set(BG_EDOMAIN, "online FDR: p-value must be in "
				    "[0, 1], got %g", p);
	lv = st_fdr_level(f);
	r = p <= lv;
	if (r && (error = reserve_one(f)) < 0)
		return error;
	advance(f, r, lv);
	*rejected = r;
	if (level)
		*level = lv;
	return 0;
}

/* ---- Holm ---------------------------------------------------------- */

static int check_pvalues(const double *p, size_t n, double alpha,
			 const char *who)
{
	if (n == 0)
		return bg_error_set(BG_EDOMAIN, "%s: no p-values", who);
	if (!(alpha > 0.0 && alpha < 1.0))
		return bg_error_set(BG_EINVAL, "%s: alpha must be in (0, 1), got %g",
				    who, alpha);
	for (size_t i = 0; i < n; i++)
		if (!(p[i] >= 0.0 && p[i] <= 1.0))
			return bg_error_set(BG_EDOMAIN, "%s: p-value %zu is %g, not in "
					    "[0, 1]", who, i, p[i]);
	return 0;
}

/* The permutation that sorts p ascending; NULL (error set) on failure. */
static size_t *sort_order(const double *p, size_t n, const char *who)
{
	size_t *idx = malloc(n * sizeof(*idx));

	if (!idx) {
		bg_error_set(BG_ENOMEM, "%s: out of memory for %zu p-values", who, n);
		return NULL;
	}
	gsl_sort_index(idx, p, 1, n);
	return idx;
}

/* Holm (1979), step-down; the arithmetic follows statsmodels so that the
 * decisions at a boundary agree too. */
int st_fdr_holm(double *p_adj, int *reject, const double *p, size_t n,
		double alpha)
{
	size_t *idx;
	double run = 0.0;
	int error, still = 1;

	if ((error = check_pvalues(p, n, alpha, "Holm")) < 0)
		return error;
	if (!(idx = sort_order(p, n, "Holm")))
		return BG_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		double pk = p[idx[k]];
		double factor = (double)(n - k);

		if (pk > alpha / factor)
			still = 0;
		reject[idx[k]] = still;
		run = fmax(run, pk * factor);
		p_adj[idx[k]] = fmin(run, 1.0);
	}
	free(idx);
	return 0;
}
