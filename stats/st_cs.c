/* st_cs: normal-mixture confidence sequence with a self-normalised variance
 * process (see st_cs.h for the method and why it is valid). */
#include "st_cs.h"
#include "bg_error.h"

#include <math.h>

int st_cs_rho(double *out, double v_opt, double alpha)
{
	double l;

	if (!(v_opt > 0.0 && isfinite(v_opt)))
		return bg_error_set(BG_EINVAL, "confidence sequence: v_opt must be > 0, got %g", v_opt);
	if (!(alpha > 0.0 && alpha < 1.0))
		return bg_error_set(BG_EINVAL, "confidence sequence: alpha must be in (0, 1), got %g", alpha);
	l = 2.0 * log(1.0 / alpha);
	*out = v_opt / (l + log1p(l));
	return 0;
}

int st_cs_init(st_cs_state *s, double rho)
{
	if (!(rho > 0.0 && isfinite(rho)))
		return bg_error_set(BG_EINVAL, "confidence sequence: rho must be > 0, got %g", rho);
	s->n = 0;
	s->sum = s->sumsq = 0.0;
	s->max_log_m = 0.0; /* M_0 = 1 */
	s->rho = rho;
	return 0;
}

/* ln M_t at mu = 0: 0.5 ln(rho/(V+rho)) + S^2 / (2 (V+rho)). */
static double log_mixture(double sum, double v, double rho)
{
	return 0.5 * log(rho / (v + rho)) + sum * sum / (2.0 * (v + rho));
}

int st_cs_push(st_cs_state *s, double d)
{
	double lm;

	if (!isfinite(d))
		return bg_error_set(BG_EDOMAIN, "confidence sequence: observation %zu is not finite (%g)",
				    s->n + 1, d);
	s->n++;
	s->sum += d;
	s->sumsq += d * d;
	lm = log_mixture(s->sum, s->sumsq, s->rho);
	if (lm > s->max_log_m)
		s->max_log_m = lm;
	return 0;
}

/* g(q) for q = u^2, u = mu - mean: mu is inside the sequence iff g < 0.
 * S(mu) = -n u, V(mu) = v0 + n q. */
static double excess(double q, size_t n, double v0, double rho, double c)
{
	double v = v0 + (double)n * q;

	return (double)n * (double)n * q - (v + rho) * (log1p(v / rho) + c);
}

/* Bisection on ln q for the root of g between lo and hi, where g(e^lo)
 * and g(e^hi) have the signs `lo_neg` says; handles brackets of any
 * magnitude. */
static double root_log(double lo, double hi, int lo_neg, size_t n, double v0, double rho, double c)
{
	for (int i = 0; i < 200 && hi - lo > 1e-14; i++) {
		double mid = 0.5 * (lo + hi);
		if ((excess(exp(mid), n, v0, rho, c) < 0.0) == lo_neg)
			lo = mid;
		else
			hi = mid;
	}
	return sqrt(exp(0.5 * (lo + hi)));
}

/* The half-widths of the set: u1 of the central piece and u2 where the far
 * region starts (both +inf when unbounded). g is negative at q = 0, rises
 * while n - 1 - c > ln(1 + V/rho), then falls for ever: mu is excluded
 * exactly for u1 <= |mu - mean| <= u2, the two roots of g around its peak. */
static void half_widths(double *u1, double *u2, size_t n, double v0, double rho, double c)
{
	double lpeak = (double)n - 1.0 - c, qmax, lpk, hi;

	*u1 = *u2 = INFINITY;
	if (lpeak <= log1p(v0 / rho))
		return;
	qmax = lpeak > 700.0 ? 1e300 : (rho * expm1(lpeak) - v0) / (double)n;
	if (!(qmax > 0.0) || excess(qmax, n, v0, rho, c) <= 0.0)
		return;
	lpk = log(qmax);
	*u1 = excess(1e-300, n, v0, rho, c) >= 0.0 ? 0.0 : root_log(log(1e-300), lpk, 1, n, v0, rho, c);
	for (hi = lpk + 1.0; hi < 700.0 && excess(exp(hi), n, v0, rho, c) >= 0.0; hi = lpk + 2.0 * (hi - lpk))
		;
	if (hi < 700.0)
		*u2 = root_log(lpk, hi, 0, n, v0, rho, c);
}

void st_cs_centred(double *mean, double *ss, const st_cs_state *s)
{
	*mean = s->sum / (double)s->n;
	*ss = fmax(s->sumsq - s->sum * *mean, 0.0);
}

int st_cs_excludes(const st_cs_state *s, double mu, double alpha)
{
	double mean, v0, u;

	if (s->n == 0 || !(alpha > 0.0 && alpha < 1.0))
		return 0;
	st_cs_centred(&mean, &v0, s);
	u = mean - mu;
	return excess(u * u, s->n, v0, s->rho, 2.0 * log(1.0 / alpha)) >= 0.0;
}

int st_cs_interval(st_cs_result *out, const st_cs_state *s, double alpha)
{
	double mean, v0, u1, u2;

	if (!(alpha > 0.0 && alpha < 1.0))
		return bg_error_set(BG_EINVAL, "confidence sequence: alpha must be in (0, 1), got %g", alpha);
	if (s->n == 0)
		return bg_error_set(BG_EDOMAIN, "confidence sequence: no observations yet");
	st_cs_centred(&mean, &v0, s); /* v0 = sum (d_i - mean)^2 */
	half_widths(&u1, &u2, s->n, v0, s->rho, 2.0 * log(1.0 / alpha));
	out->estimate = mean;
	out->lo = mean - u1;
	out->hi = mean + u1;
	out->far_lo = isfinite(u1) ? mean - u2 : -INFINITY;
	out->far_hi = isfinite(u1) ? mean + u2 : INFINITY;
	out->p_value = fmin(1.0, exp(-s->max_log_m));
	out->n = s->n;
	return 0;
}
