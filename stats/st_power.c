/* st_power: power and minimum detectable effect of the paired design (see
 * st_power.h).
 *
 * GSL has no noncentral t, so its CDF is computed from the definition:
 * with x = sqrt(V / df), P(T <= t) = E[Phi(t x - nc)], an integral over the
 * density of x that gsl_integration_qagp evaluates with breakpoints around
 * the density's mode (without them a narrow peak at large df can fall
 * between the first quadrature nodes). The power and the round counts are
 * found from it with GSL's Brent solver. */
#include "st_power.h"
#include "bg_error.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>

#define INTEG_LIMIT 200
#define INTEG_EPSREL 1e-11
/* Accepted when GSL reports it cannot reach INTEG_EPSREL (roundoff) but its
 * error estimate is still this small. */
#define INTEG_ACCEPT 1e-9
#define ROOT_EPSREL 1e-12
#define ROOT_MAX_ITER 200
#define MAX_ROUNDS 1e12

/* ---- the noncentral t ------------------------------------------------- */

typedef enum { NCT_CDF, NCT_SF, NCT_POWER } nct_kind;

typedef struct {
	double df, lnc;  /* lnc: log of the density's constant */
	double t, nc;
	nct_kind kind;
} nct_integrand;

/* Density of x = sqrt(V / df), V ~ chi2_df:
 * g(x) = 2 (df/2)^{df/2} x^{df-1} e^{-df x^2 / 2} / Gamma(df/2). Written
 * with Stirling's factor Gamma*(a) = Gamma(a) / (sqrt(2 pi) a^{a-1/2} e^{-a})
 * and u = x - 1 as
 * ln g = ln(df / pi) / 2 - ln Gamma*(df/2) - ln x
 *        + (df/2) (2 (log1p(u) - u) - u^2),
 * so that no two large terms cancel: gsl_ran_chisq_pdf's
 * (nu/2 - 1) ln(x/2) - x/2 - lnGamma(nu/2) loses ~df * 1e-16 of relative
 * accuracy (5e-12 at df = 1e4). */
static double chi_scaled_pdf(const nct_integrand *ig, double x)
{
	double u = x - 1.0;

	return exp(ig->lnc - log(x) +
		   0.5 * ig->df * (2.0 * (log1p(u) - u) - u * u));
}

static double nct_integrand_fn(double x, void *vp)
{
	const nct_integrand *ig = vp;
	double g = chi_scaled_pdf(ig, x);

	switch (ig->kind) {
	case NCT_CDF:
		return g * gsl_cdf_ugaussian_P(ig->t * x - ig->nc);
	case NCT_SF:
		return g * gsl_cdf_ugaussian_Q(ig->t * x - ig->nc);
	case NCT_POWER:
		break;
	}
	/* P(T > t) + P(T < -t) */
	return g * (gsl_cdf_ugaussian_Q(ig->t * x - ig->nc) +
		    gsl_cdf_ugaussian_P(-ig->t * x - ig->nc));
}

/* Breakpoints 0 < m + k s for the mode m = sqrt((df - 1) / df) and the
 * spread s = 1 / sqrt(2 df) of x. Past k = 40 the density is below
 * e^{-800} of its peak. Returns the count (at most 12). */
static size_t breakpoints(double *pts, double df)
{
	static const double k[] = { -40, -20, -10, -5, -2, 0, 2, 5, 10, 20, 40 };
	double m = sqrt((df - 1.0) / df), s = 1.0 / sqrt(2.0 * df);
	size_t np = 0;

	pts[np++] = 0.0;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		double x = m + k[i] * s;

		if (x > pts[np - 1])
			pts[np++] = x;
	}
	return np;
}

/* E[h(x)] for the integrand `kind`; t, nc, df already checked. */
static int nct_expect(double *out, nct_kind kind, double t, double df,
		      double nc)
{
	nct_integrand ig = { df, 0.0, t, nc, kind };
	gsl_function fn = { nct_integrand_fn, &ig };
	gsl_integration_workspace *w;
	double pts[12], result, abserr;
	size_t np = breakpoints(pts, df);
	int status;

	ig.lnc = 0.5 * log(df / M_PI) - log(gsl_sf_gammastar(0.5 * df));
	if (!(w = gsl_integration_workspace_alloc(INTEG_LIMIT)))
		return bg_error_set(BG_ENOMEM, "noncentral t: out of memory");
	status = gsl_integration_qagp(&fn, pts, np, 0.0, INTEG_EPSREL,
				      INTEG_LIMIT, w, &result, &abserr);
	gsl_integration_workspace_free(w);
	if (!isfinite(result) ||
	    (status != GSL_SUCCESS && !(abserr <= INTEG_ACCEPT * fabs(result))))
		return bg_error_set(BG_EDOMAIN, "noncentral t (t = %g, df = %g, "
				    "nc = %g): the integral did not converge (%s, "
				    "error %g)", t, df, nc, gsl_strerror(status),
				    abserr);
	*out = fmin(fmax(result, 0.0), 1.0);
	return 0;
}

static int check_nct(double t, double df, double nc)
{
	if (!isfinite(t) || !isfinite(nc))
		return bg_error_set(BG_EDOMAIN, "noncentral t: t = %g and nc = %g "
				    "must be finite", t, nc);
	if (!(df >= 1.0 && isfinite(df)))
		return bg_error_set(BG_EDOMAIN, "noncentral t: df must be >= 1 and "
				    "finite, got %g", df);
	return 0;
}

int st_nct_cdf(double *p, double t, double df, double nc)
{
	int error = check_nct(t, df, nc);

	return error < 0 ? error : nct_expect(p, NCT_CDF, t, df, nc);
}

int st_nct_sf(double *q, double t, double df, double nc)
{
	int error = check_nct(t, df, nc);

	return error < 0 ? error : nct_expect(q, NCT_SF, t, df, nc);
}

/* ---- power ------------------------------------------------------------- */

/* ttest_power of statsmodels: two-sided, df = n - 1, nc = es sqrt(n). */
static int power_core(double *power, double n, double es, double alpha)
{
	double df = n - 1.0;
	double tc = gsl_cdf_tdist_Qinv(0.5 * alpha, df);

	if (!isfinite(tc))
		return bg_error_set(BG_EDOMAIN, "power: no critical t for alpha = %g, "
				    "df = %g", alpha, df);
	return nct_expect(power, NCT_POWER, tc, df, es * sqrt(n));
}

static int check_alpha_sigma(double sigma, double alpha)
{
	if (!(sigma > 0.0 && isfinite(sigma)))
		return bg_error_set(BG_EINVAL, "power: sigma (sd of the paired "
				    "differences) must be > 0 and finite, got %g", sigma);
	if (!(alpha > 0.0 && alpha < 1.0))
		return bg_error_set(BG_EINVAL, "power: alpha must be in (0, 1), got %g",
				    alpha);
	return 0;
}

static int check_power(double power, double alpha)
{
	if (!(power > 0.0 && power < 1.0))
		return bg_error_set(BG_EINVAL, "power must be in (0, 1), got %g", power);
	if (power <= alpha)
		return bg_error_set(BG_EDOMAIN, "power %g must exceed alpha %g, the "
				    "power at no effect", power, alpha);
	return 0;
}

static int check_delta(double delta)
{
	if (!(delta > 0.0 && isfinite(delta)))
		return bg_error_set(BG_EINVAL, "power: delta (mean log-difference to "
				    "detect) must be > 0 and finite, got %g", delta);
	return 0;
}

static int check_rounds(double n)
{
	if (!(n >= 2.0 && n <= MAX_ROUNDS))
		return bg_error_set(BG_EDOMAIN, "power: rounds must be in [2, %g], "
				    "got %g", MAX_ROUNDS, n);
	return 0;
}

int st_power_ttest(double *power, double n, double delta, double sigma,
		   double alpha)
{
	int error;

	if ((error = check_alpha_sigma(sigma, alpha)) < 0 ||
	    (error = check_rounds(n)) < 0)
		return error;
	if (!(delta >= 0.0 && isfinite(delta)))
		return bg_error_set(BG_EINVAL, "power: delta must be >= 0 and finite, "
				    "got %g", delta);
	return power_core(power, n, delta / sigma, alpha);
}

/* ---- solving for rounds or effect --------------------------------------- */

typedef struct {
	double n, es, alpha, target;
	int solve_n;    /* 1: the unknown is n, else es */
	int error;      /* first failure inside the solver */
} solve_ctx;

static double power_gap(double x, void *vp)
{
	solve_ctx *c = vp;
	double power;
	int error = c->solve_n ? power_core(&power, x, c->es, c->alpha)
			       : power_core(&power, c->n, x, c->alpha);

	if (error < 0) {
		if (!c->error)
			c->error = error;
		return GSL_NAN;
	}
	return power - c->target;
}

/* Root of the increasing power_gap in [lo, hi], power_gap(lo) < 0 <=
 * power_gap(hi). */
static int brent(double *root, solve_ctx *c, double lo, double hi)
{
	gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
	gsl_function fn = { power_gap, c };
	int status, error = 0, iter = 0;

	if (!s)
		return bg_error_set(BG_ENOMEM, "power: out of memory");
	if ((status = gsl_root_fsolver_set(s, &fn, lo, hi)) != GSL_SUCCESS)
		goto fail;
	do {
		if ((status = gsl_root_fsolver_iterate(s)) != GSL_SUCCESS)
			goto fail;
		lo = gsl_root_fsolver_x_lower(s);
		hi = gsl_root_fsolver_x_upper(s);
		status = gsl_root_test_interval(lo, hi, 0.0, ROOT_EPSREL);
	} while (status == GSL_CONTINUE && ++iter < ROOT_MAX_ITER);
	if (status != GSL_SUCCESS)
		goto fail;
	*root = gsl_root_fsolver_root(s);
	goto cleanup;
fail:
	error = c->error ? c->error
			 : bg_error_set(BG_EDOMAIN, "power: root finding failed "
					"between %g and %g (%s)", lo, hi,
					gsl_strerror(status));
cleanup:
	gsl_root_fsolver_free(s);
	return error;
}

/* Sign of power_gap(x) >= 0 into *reached; error from the integral. */
static int reaches(int *reached, solve_ctx *c, double x)
{
	double gap = power_gap(x, c);

	if (c->error)
		return c->error;
	*reached = gap >= 0.0;
	return 0;
}

static double z_sum(double alpha, double power)
{
	return gsl_cdf_ugaussian_Qinv(0.5 * alpha) + gsl_cdf_ugaussian_Pinv(power);
}

int st_power_rounds(double *n, double delta, double sigma, double alpha,
		    double power)
{
	solve_ctx c = { 0.0, 0.0, alpha, power, 1, 0 };
	double lo = 2.0, hi, zs;
	int error, reached = 0;

	if ((error = check_delta(delta)) < 0 ||
	    (error = check_alpha_sigma(sigma, alpha)) < 0 ||
	    (error = check_power(power, alpha)) < 0)
		return error;
	c.es = delta / sigma;
	if ((error = reaches(&reached, &c, lo)) < 0)
		return error;
	if (reached) {
		*n = 2.0;
		return 0;
	}
	/* The t-test needs a little more than the normal approximation. */
	zs = z_sum(alpha, power) / c.es;
	hi = fmax(4.0, 1.5 * zs * zs + 4.0);
	for (;;) {
		if (hi > MAX_ROUNDS)
			return bg_error_set(BG_EDOMAIN, "power: detecting delta = %g at "
					    "sigma = %g needs more than %g rounds",
					    delta, sigma, MAX_ROUNDS);
		if ((error = reaches(&reached, &c, hi)) < 0)
			return error;
		if (reached)
			break;
		lo = hi;
		hi *= 4.0;
	}
	return brent(n, &c, lo, hi);
}

int st_power_mde(double *delta, double n, double sigma, double alpha,
		 double power)
{
	solve_ctx c = { n, 0.0, alpha, power, 0, 0 };
	double hi, es;
	int error, reached = 0;

	if ((error = check_rounds(n)) < 0 ||
	    (error = check_alpha_sigma(sigma, alpha)) < 0 ||
	    (error = check_power(power, alpha)) < 0)
		return error;
	/* At es = 0 the power is alpha < power; double from the normal
	 * approximation, which is below the t-test's effect, until reached. */
	hi = z_sum(alpha, power) / sqrt(n);
	for (int i = 0;; i++) {
		if (i == 60)
			return bg_error_set(BG_EDOMAIN, "power: no detectable effect "
					    "found for n = %g", n);
		if ((error = reaches(&reached, &c, hi)) < 0)
			return error;
		if (reached)
			break;
		hi *= 2.0;
	}
	if ((error = brent(&es, &c, 0.0, hi)) < 0)
		return error;
	*delta = es * sigma;
	return 0;
}

int st_power_rounds_normal(double *n, double delta, double sigma,
			   double alpha, double power)
{
	double r;
	int error;

	if ((error = check_delta(delta)) < 0 ||
	    (error = check_alpha_sigma(sigma, alpha)) < 0 ||
	    (error = check_power(power, alpha)) < 0)
		return error;
	r = z_sum(alpha, power) * sigma / delta;
	*n = r * r;
	return 0;
}

int st_power_mde_normal(double *delta, double n, double sigma, double alpha,
			double power)
{
	int error;

	if ((error = check_rounds(n)) < 0 ||
	    (error = check_alpha_sigma(sigma, alpha)) < 0 ||
	    (error = check_power(power, alpha)) < 0)
		return error;
	*delta = z_sum(alpha, power) * sigma / sqrt(n);
	return 0;
}

int st_power_mde_budget(double *delta, size_t *rounds, double budget_s,
			double round_s, double sigma, double alpha,
			double power)
{
	double fit;
	int error;

	if (!(budget_s > 0.0 && isfinite(budget_s)) ||
	    !(round_s > 0.0 && isfinite(round_s)))
		return bg_error_set(BG_EINVAL, "power: the time budget (%g s) and the "
				    "time per round (%g s) must be > 0 and finite",
				    budget_s, round_s);
	fit = floor(budget_s / round_s);
	if (fit < 2.0)
		return bg_error_set(BG_EDOMAIN, "power: a budget of %g s fits %g "
				    "rounds of %g s; the t-test needs 2", budget_s,
				    fit, round_s);
	if ((error = st_power_mde(delta, fit, sigma, alpha, power)) < 0)
		return error;
	if (rounds)
		*rounds = (size_t)fit;
	return 0;
}
