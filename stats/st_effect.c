/* st_effect: paired log-ratio effect with interval, p-value and verdict
 * (see st_effect.h). */
#include "st_effect.h"
#include "st_boot.h"
#include "st_test.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>

const char *st_verdict_name(st_verdict v)
{
	switch (v) {
	case ST_IMPROVED: return "IMPROVED";
	case ST_REGRESSED: return "REGRESSED";
	case ST_NO_CHANGE: return "NO_CHANGE";
	default: return "INCONCLUSIVE";
	}
}

/* The verdict on d-scale numbers (log ratios, or differences): orient so
 * that negative is better, then compare with 0 and the band. */
static st_verdict verdict_d(double e, double l, double h, int lower_is_better, double band)
{
	double better_hi = lower_is_better ? h : -l;
	double worse_lo = lower_is_better ? l : -h;
	double est = lower_is_better ? e : -e;

	if (better_hi < 0.0 && est <= -band)
		return ST_IMPROVED;
	if (worse_lo > 0.0 && est >= band)
		return ST_REGRESSED;
	if (l >= -band && h <= band)
		return ST_NO_CHANGE;
	return ST_INCONCLUSIVE;
}

st_verdict st_effect_verdict(double ratio, double lo, double hi,
			     int lower_is_better, double min_effect)
{
	return verdict_d(log(ratio), log(lo), log(hi), lower_is_better, log1p(min_effect));
}

st_verdict st_effect_verdict_difference(double diff, double lo, double hi, int lower_is_better, double min_effect)
{
	return verdict_d(diff, lo, hi, lower_is_better, min_effect);
}

static int log_diffs(double *d, const double *a, const double *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!(isfinite(a[i]) && isfinite(b[i]) && a[i] > 0.0 && b[i] > 0.0))
			return bg_error_set(BG_EDOMAIN,
					    "pair %zu has a value that is not a positive finite number (A=%g, B=%g): ratios need positive values",
					    i, a[i], b[i]);
		d[i] = log(b[i]) - log(a[i]);
	}
	return 0;
}

/* Whether the log-differences are equal up to rounding (1e-12, a ratio
 * resolution far below any timer's): then there is nothing to resample. */
static int all_equal(const double *d, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (fabs(d[i] - d[0]) > 1e-12)
			return 0;
	return 1;
}

/* BCa (Efron 1987) of mean d at Hesterberg's expanded level, so that small
 * samples get the coverage asked for (eval/results: BCa alone under-covers
 * at n = 30); where BCa is undefined (the estimate lies outside every
 * resample, a tiny n) the percentile interval at the same level. The
 * interval's nominal level stays o->level. */
static int paired_interval(st_interval *ci, const double *d, size_t n,
			   const st_effect_opts *o, gsl_rng *rng)
{
	st_bca_info info;
	double level;
	int error;

	if ((error = st_boot_expanded_level(&level, o->level, n)) < 0)
		return error;
	error = st_boot_bca(ci, &info, d, n, st_stat_mean, NULL, o->resamples, level, rng);
	if (error == BG_EDOMAIN)
		error = st_boot_percentile(ci, d, n, st_stat_mean, NULL, o->resamples, level, rng);
	ci->level = o->level;
	return error;
}

int st_effect_paired(st_effect *out, const double *a, const double *b, size_t n,
		     const st_effect_opts *opts, gsl_rng *rng)
{
	st_effect_opts o = opts ? *opts : (st_effect_opts)ST_EFFECT_OPTS_INIT;
	st_effect e = { 0 };
	st_interval ci;
	double *d, t;
	int error;

	if (n < 2)
		return bg_error_set(BG_EDOMAIN, "an effect needs at least 2 pairs, got %zu", n);
	if (!(o.min_effect >= 0.0 && isfinite(o.min_effect)))
		return bg_error_set(BG_EINVAL, "min_effect must be >= 0, got %g", o.min_effect);
	if ((d = malloc(n * sizeof(*d))) == NULL)
		return bg_error_nomem();
	if ((error = log_diffs(d, a, b, n)) < 0)
		goto cleanup;
	if (all_equal(d, n)) {
		ci = (st_interval){ d[0], d[0], d[0], o.level };
		e.p_value = fabs(d[0]) <= 1e-12 ? 1.0 : 0.0;
	} else {
		if ((error = paired_interval(&ci, d, n, &o, rng)) < 0)
			goto cleanup;
		if ((error = st_ttest_one(&e.p_value, &t, d, n, 0.0)) < 0)
			goto cleanup;
	}
	e.ratio = exp(ci.estimate);
	e.lo = exp(ci.lo);
	e.hi = exp(ci.hi);
	e.level = o.level;
	e.far_lo = 0.0;
	e.far_hi = INFINITY;
	e.n = n;
	e.verdict = st_effect_verdict(e.ratio, e.lo, e.hi, o.lower_is_better, o.min_effect);
	*out = e;
cleanup:
	free(d);
	return error;
}
