/* st_bet: the betting confidence sequence for bounded means (see st_bet.h;
 * Waudby-Smith & Ramdas, JRSS-B 2024, capital with aGRAPA bets). */
#include "st_bet.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRUNCATE 0.5   /* c: no bet stakes more than half the capital */
#define NSLOTS (ST_BET_GRID + ST_BET_POINTS)

/* The candidate mean of x in slot i: the grid, then the tracked points. */
static double slot_m(const st_bet_state *s, size_t i)
{
	if (i < ST_BET_GRID)
		return ((double)i + 0.5) / ST_BET_GRID;
	return (s->point[i - ST_BET_GRID] + s->w) / (2.0 * s->w);
}

static int tracked(const st_bet_state *s, size_t k)
{
	return !isnan(s->point[k]);
}

int st_bet_init(st_bet_state *s, double w, const double *points, size_t npoints)
{
	memset(s, 0, sizeof(*s));
	if (!(w > 0.0 && isfinite(w)) || npoints > ST_BET_POINTS)
		return bg_error_set(BG_EINVAL, "betting sequence: needs a finite bound w > 0 and at most %d points, got "
					       "w = %g, %zu points", ST_BET_POINTS, w, npoints);
	for (size_t k = 0; k < ST_BET_POINTS; k++) {
		s->point[k] = k < npoints ? points[k] : NAN;
		if (k < npoints && !(fabs(points[k]) < w))
			return bg_error_set(BG_EINVAL, "betting sequence: the tracked mean %g is outside (-%g, %g)",
					    points[k], w, w);
	}
	s->w = w;
	if ((s->log_k = calloc(NSLOTS, sizeof(*s->log_k))) == NULL) {
		st_bet_free(s);
		return bg_error_nomem();
	}
	return 0;
}

void st_bet_free(st_bet_state *s)
{
	if (s == NULL)
		return;
	free(s->log_k);
	s->log_k = NULL;
}

/* ln of the capital betting against slot i's mean. */
static double capital(const st_bet_state *s, size_t i)
{
	return s->log_k[i];
}

int st_bet_push(st_bet_state *s, double d)
{
	double t = (double)s->n + 1.0, x, mu_prev, s2_prev, mu_now;

	if (!isfinite(d) || d < -s->w || d > s->w)
		return bg_error_set(BG_EDOMAIN, "a paired difference of %g lies outside [-%g, %g]: the metric left its "
						"declared range", d, s->w, s->w);
	x = (d + s->w) / (2.0 * s->w);
	mu_prev = (0.5 + s->xsum) / t;
	s2_prev = (0.25 + s->dev2) / t;
	for (size_t i = 0; i < NSLOTS; i++) {
		double m, lambda;

		if (i >= ST_BET_GRID && !tracked(s, i - ST_BET_GRID))
			continue;
		m = slot_m(s, i);
		/* aGRAPA: the growth-optimal bet to second order, from the
		 * predictable mean and variance, truncated so that no factor
		 * falls below 1 - TRUNCATE */
		lambda = (mu_prev - m) / (s2_prev + (mu_prev - m) * (mu_prev - m));
		lambda = fmax(-TRUNCATE / (1.0 - m), fmin(TRUNCATE / m, lambda));
		s->log_k[i] += log1p(lambda * (x - m));
		if (i >= ST_BET_GRID && capital(s, i) > s->max_log_k[i - ST_BET_GRID])
			s->max_log_k[i - ST_BET_GRID] = capital(s, i);
	}
	s->xsum += x;
	mu_now = (0.5 + s->xsum) / (t + 1.0);
	s->dev2 += (x - mu_now) * (x - mu_now);
	s->sum += d;
	s->n++;
	return 0;
}

int st_bet_interval(st_cs_result *out, const st_bet_state *s, double alpha)
{
	double cut = log(1.0 / alpha), step = 1.0 / ST_BET_GRID;
	long first = -1, last = -1;

	if (!(alpha > 0.0 && alpha < 1.0))
		return bg_error_set(BG_EINVAL, "alpha must be in (0, 1), got %g", alpha);
	if (s->n == 0)
		return bg_error_set(BG_EDOMAIN, "no observations yet");
	for (size_t i = 0; i < ST_BET_GRID; i++)
		if (capital(s, i) < cut) {
			if (first < 0)
				first = (long)i;
			last = (long)i;
		}
	out->n = s->n;
	out->estimate = s->sum / (double)s->n;
	out->far_lo = -INFINITY;
	out->far_hi = INFINITY;
	if (first < 0) {   /* every grid mean excluded: the set lies between two of them */
		out->lo = out->hi = out->estimate;
	} else {
		double mlo = fmax(0.0, slot_m(s, (size_t)first) - step), mhi = fmin(1.0, slot_m(s, (size_t)last) + step);

		out->lo = 2.0 * s->w * mlo - s->w;
		out->hi = 2.0 * s->w * mhi - s->w;
	}
	out->p_value = st_bet_p(s, 0.0);
	return 0;
}

/* The tracked point holding mu, or -1. */
static int point_of(const st_bet_state *s, double mu)
{
	for (int k = 0; k < ST_BET_POINTS; k++)
		if (tracked(s, (size_t)k) && s->point[k] == mu)
			return k;
	return -1;
}

int st_bet_excludes(const st_bet_state *s, double mu, double alpha)
{
	double cut = log(1.0 / alpha), m;
	int k = point_of(s, mu);
	long j;

	if (s->n == 0 || !(alpha > 0.0 && alpha < 1.0))
		return 0;
	if (k >= 0)
		return capital(s, ST_BET_GRID + (size_t)k) >= cut;
	if (!(fabs(mu) < s->w))
		return 1;   /* outside the bounds: no mean can be there */
	m = (mu + s->w) / (2.0 * s->w);
	j = (long)floor(m * ST_BET_GRID - 0.5);
	if (j < 0 || j + 1 >= ST_BET_GRID || capital(s, (size_t)j) < cut || capital(s, (size_t)j + 1) < cut)
		return 0;
	/* the set is an interval: with both neighbours out, mu is out unless
	 * the whole set lies between them, which some grid mean inside rules out */
	for (size_t i = 0; i < ST_BET_GRID; i++)
		if (capital(s, i) < cut)
			return 1;
	return 0;
}

double st_bet_p(const st_bet_state *s, double mu)
{
	int k = point_of(s, mu);

	return k < 0 ? 1.0 : fmin(1.0, exp(-s->max_log_k[k]));
}
