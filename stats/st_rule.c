/* st_rule: the sequential decision rule (see st_rule.h). */
#include "st_rule.h"
#include "bg_error.h"

#include <math.h>
#include <stdint.h>

double st_rule_rho(void)
{
	double rho = 0.0;

	st_cs_rho(&rho, ST_CS_V_OPT_DEFAULT, 0.05); /* constant arguments: can't fail */
	return rho;
}

st_rule st_rule_make(double alpha, double min_effect, int lower_is_better)
{
	return (st_rule){ alpha, st_rule_rho(), min_effect, lower_is_better, 1, SIZE_MAX, 0 };
}

st_rule st_rule_make_difference(double alpha, double min_effect, int lower_is_better)
{
	/* the ratio's tuning is a 2% spread for a 1% effect over 100 rounds */
	double scale = min_effect > 0.0 && isfinite(min_effect) ? min_effect : 1.0, spread = 2.0 * scale, rho = 0.0;
	st_rule r = st_rule_make(alpha, min_effect, lower_is_better);

	st_cs_rho(&rho, 100.0 * spread * spread, 0.05); /* v_opt > 0, alpha 0.05: can't fail */
	r.rho = rho;
	r.difference = 1;
	return r;
}

/* The band of the verdicts, on the scale of d. */
static double band_of(const st_rule *r)
{
	return r->difference ? r->min_effect : log1p(r->min_effect);
}

int st_rule_check(const st_rule *r)
{
	if (r == NULL)
		return bg_error_set(BG_EINVAL, "decision rule: NULL");
	if (!(r->alpha > 0.0 && r->alpha < 1.0))
		return bg_error_set(BG_EINVAL, "decision rule: alpha must be in (0, 1), got %g", r->alpha);
	if (!(r->rho > 0.0 && isfinite(r->rho)))
		return bg_error_set(BG_EINVAL, "decision rule: rho must be > 0, got %g", r->rho);
	if (r->difference ? !(r->min_effect >= 0.0 && isfinite(r->min_effect))
			  : !(r->min_effect >= 0.0 && r->min_effect < 1.0))
		return bg_error_set(BG_EINVAL, "decision rule: min_effect must be in %s, got %g",
				    r->difference ? "[0, inf)" : "[0, 1)", r->min_effect);
	if (r->min_rounds < 1 || r->max_rounds < 1)
		return bg_error_set(BG_EINVAL, "decision rule: min_rounds and max_rounds must be >= 1");
	return 0;
}

int st_rule_look_at(st_rule_look *out, const st_cs_state *s, const st_rule *r)
{
	double band = band_of(r);
	st_rule_look l;
	int error;

	if ((error = st_cs_interval(&l.cs, s, r->alpha)) < 0)
		return error;
	l.verdict = r->difference ? st_effect_verdict_difference(l.cs.estimate, l.cs.lo, l.cs.hi, r->lower_is_better,
								   r->min_effect)
				  : st_effect_verdict(exp(l.cs.estimate), exp(l.cs.lo), exp(l.cs.hi),
						      r->lower_is_better, r->min_effect);
	/* The central piece decided; the values it rests on must be outside the
	 * whole set, far region included. */
	if ((l.verdict == ST_IMPROVED || l.verdict == ST_REGRESSED) && !st_cs_excludes(s, 0.0, r->alpha))
		l.verdict = ST_INCONCLUSIVE;
	if (l.verdict == ST_NO_CHANGE &&
	    !(st_cs_excludes(s, band, r->alpha) && st_cs_excludes(s, -band, r->alpha)))
		l.verdict = ST_INCONCLUSIVE;
	*out = l;
	return 0;
}

int st_rule_bet_init(st_bet_state *s, const st_rule *r, double w, double extra)
{
	double band = r->min_effect, pts[ST_BET_POINTS] = { 0.0 };
	size_t n = 1;

	if (band > 0.0 && band < w) {
		pts[n++] = band;
		pts[n++] = -band;
	}
	if (fabs(extra) < w && extra != 0.0 && fabs(extra) != band)
		pts[n++] = extra;
	return st_bet_init(s, w, pts, n);
}

int st_rule_look_bet(st_rule_look *out, const st_bet_state *s, const st_rule *r)
{
	st_rule_look l;
	int error;

	if (!r->difference)
		return bg_error_set(BG_EINVAL, "decision rule: a betting sequence decides differences, not ratios");
	if ((error = st_bet_interval(&l.cs, s, r->alpha)) < 0)
		return error;
	l.verdict = st_effect_verdict_difference(l.cs.estimate, l.cs.lo, l.cs.hi, r->lower_is_better, r->min_effect);
	if ((l.verdict == ST_IMPROVED || l.verdict == ST_REGRESSED) && !st_bet_excludes(s, 0.0, r->alpha))
		l.verdict = ST_INCONCLUSIVE;
	if (l.verdict == ST_NO_CHANGE &&
	    !(st_bet_excludes(s, r->min_effect, r->alpha) && st_bet_excludes(s, -r->min_effect, r->alpha)))
		l.verdict = ST_INCONCLUSIVE;
	*out = l;
	return 0;
}

/* 1 when a point at distance u from the mean is, with a margin, inside the
 * rising part of the central piece. st_cs.c: mu is inside when
 * g(q) = n^2 q - (V + rho)(ln(1 + V/rho) + c) < 0, q = (mu - mean)^2,
 * V = v0 + n q; g rises while ln(1 + V/rho) < lpeak = n - 1 - c. On the
 * rise, g(q') < 0 puts the half-width beyond sqrt(q') > u, the margin (1e-9
 * relative, 1e-12 absolute) covering st_cs_interval's bisection and the
 * exp/log round trip of the verdict. */
static int surely_inside(double u, double n, double v0, double lpeak, double rho, double c)
{
	double up = u * (1.0 + 1e-9) + 1e-12, q = up * up, v = v0 + n * q;
	double l = log1p(v / rho);

	return l < lpeak && n * n * q < (v + rho) * (l + c);
}

/* A verdict needs the central piece to exclude 0 with the estimate beyond
 * the band (IMPROVED, REGRESSED), or to lie inside the band (NO_CHANGE); an
 * unbounded piece gives neither. The direct tests of st_rule_look_at only
 * take verdicts away, so this stays a necessary condition. */
int st_rule_may_decide(const st_cs_state *s, const st_rule *r)
{
	double n = (double)s->n, c = 2.0 * log(1.0 / r->alpha), band = band_of(r);
	double mean, v0, am, lpeak = n - 1.0 - c;
	int maybe = 0;

	if (s->n == 0 || lpeak <= -1e-9)
		return 0; /* ln(1 + V/rho) >= 0 >= lpeak: unbounded */
	st_cs_centred(&mean, &v0, s);
	am = fabs(mean);
	if (am >= band - 1e-12 && !surely_inside(am, n, v0, lpeak, r->rho, c))
		maybe = 1;
	else if (am <= band + 1e-12 && !surely_inside(fmax(band - am, 0.0), n, v0, lpeak, r->rho, c))
		maybe = 1;
	return maybe && log1p(v0 / r->rho) < lpeak + 1e-9;
}

int st_rule_stops(const st_rule *r, size_t rounds, st_verdict v)
{
	return rounds >= r->min_rounds && (v != ST_INCONCLUSIVE || rounds >= r->max_rounds);
}

int st_rule_far_shown(const st_effect *e)
{
	/* a difference has no scale of its own: the central piece's, ten times */
	if (e->difference) {
		double reach = ST_RULE_FAR_SHOWN * fmax(fabs(e->lo), fabs(e->hi));

		return isfinite(reach) && (e->far_lo > -reach || e->far_hi < reach);
	}
	return e->far_lo > 1.0 / ST_RULE_FAR_SHOWN || e->far_hi < ST_RULE_FAR_SHOWN;
}

st_effect st_rule_effect(const st_rule_look *l, const st_rule *r)
{
	st_effect e;
	double (*map)(double) = r->difference ? NULL : exp;

	e.ratio = map ? map(l->cs.estimate) : l->cs.estimate;
	e.lo = map ? map(l->cs.lo) : l->cs.lo;
	e.hi = map ? map(l->cs.hi) : l->cs.hi;
	e.level = 1.0 - r->alpha;
	e.p_value = l->cs.p_value;
	e.n = l->cs.n;
	e.verdict = l->verdict;
	e.far_lo = map ? map(l->cs.far_lo) : l->cs.far_lo;
	e.far_hi = map ? map(l->cs.far_hi) : l->cs.far_hi;
	e.difference = r->difference;
	return e;
}
