/* st_calib: noise statistics of A/A rounds and the decision rule run on
 * simulated decisions (see st_calib.h for the methods and references). */
#include "st_calib.h"
#include "st_changepoint.h"
#include "st_desc.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>

/* Bisection steps of st_calib_mde on ln(effect) over [1e-4, 0.5]: the
 * bracket's ratio 5000 shrinks to 5000^(1/1024), under 1%. */
#define MDE_STEPS 10
#define MDE_LO 1e-4
#define MDE_HI 0.5

/* ---- descriptive ------------------------------------------------------ */

/* The x with P(X <= x) = p for X ~ Beta(a, b), by bisection on the CDF
 * (accurate where GSL 2.7's gsl_cdf_beta_Pinv returns NaN). */
static double beta_quantile(double p, double a, double b)
{
	double lo = 0.0, hi = 1.0;

	for (int i = 0; i < 200 && hi - lo > 1e-16; i++) {
		double mid = 0.5 * (lo + hi);
		if (gsl_cdf_beta_P(mid, a, b) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

int st_calib_binom_ci(double *lo, double *hi, size_t k, size_t n, double level)
{
	double a = 1.0 - level;

	if (n == 0 || k > n)
		return bg_error_set(BG_EINVAL, "binomial interval: need 0 <= k <= n and n >= 1, got k = %zu, n = %zu",
				    k, n);
	if (!(level > 0.0 && level < 1.0))
		return bg_error_set(BG_EINVAL, "binomial interval: level must be in (0, 1), got %g", level);
	*lo = k == 0 ? 0.0 : beta_quantile(a / 2.0, (double)k, (double)(n - k + 1));
	*hi = k == n ? 1.0 : beta_quantile(1.0 - a / 2.0, (double)(k + 1), (double)(n - k));
	return 0;
}

int st_calib_drift(double *pct_per_unit, const double *t, const double *y, size_t n)
{
	double c0, c1, cov00, cov01, cov11, sumsq, mean, tmin, tmax;
	int error;

	if (n < 3)
		return bg_error_set(BG_EDOMAIN, "drift needs at least 3 values, got %zu", n);
	if ((error = st_check_finite(t, n)) < 0 || (error = st_check_finite(y, n)) < 0 ||
	    (error = st_mean(&mean, y, n)) < 0 || (error = st_minmax(&tmin, &tmax, t, n)) < 0)
		return error;
	if (tmin == tmax)
		return bg_error_set(BG_EDOMAIN, "drift: every time is the same (%g)", tmin);
	if (mean == 0.0)
		return bg_error_set(BG_EDOMAIN, "drift: the mean of the series is 0");
	if (gsl_fit_linear(t, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq) != 0 || !isfinite(c1))
		return bg_error_set(BG_EDOMAIN, "drift: the least-squares fit failed");
	*pct_per_unit = 100.0 * c1 / mean;
	return 0;
}

int st_calib_outlier_share(double *share, const double *x, size_t n)
{
	st_mzscore mz;
	int error;

	if ((error = st_outliers_mzscore(&mz, NULL, NULL, x, n)) < 0)
		return error;
	*share = (double)mz.n_outliers / (double)n;
	return 0;
}

int st_calib_changepoints(size_t *first, size_t *count, const double *x, size_t n)
{
	st_pelt_options po = ST_PELT_OPTIONS_INIT;
	st_pelt_result *res = NULL;
	double lo, hi;
	int error;

	if (n == 0)
		return bg_error_set(BG_EDOMAIN, "change points of an empty series");
	if ((error = st_check_finite(x, n)) < 0 || (error = st_minmax(&lo, &hi, x, n)) < 0)
		return error;
	if (n < 20 || lo == hi) {
		*first = *count = 0;
		return 0;
	}
	po.penalty = st_pelt_penalty_barrett(n);
	po.minseglen = 5;
	if ((error = st_pelt(&res, x, n, &po)) < 0)
		return error;
	*first = res->ncpts ? res->cpts[0] : 0;
	*count = res->ncpts;
	st_pelt_result_free(res);
	return 0;
}

/* ---- the rule ------------------------------------------------------- */

int st_calib_decide(st_calib_decision *out, const double *d, size_t n, const st_rule *rule)
{
	st_calib_decision dec;
	st_rule_look look;
	st_cs_state s;
	size_t last;
	int error;

	if ((error = st_rule_check(rule)) < 0)
		return error;
	if (d == NULL || n == 0)
		return bg_error_set(BG_EDOMAIN, "decision rule: no rounds");
	memset(&dec, 0, sizeof(dec));
	dec.verdict = ST_INCONCLUSIVE;
	if ((error = st_cs_init(&s, rule->rho)) < 0)
		return error;
	last = n < rule->max_rounds ? n : rule->max_rounds;
	for (size_t t = 1; t <= last; t++) {
		if ((error = st_cs_push(&s, d[t - 1])) < 0)
			return error;
		dec.rounds = t;
		if (t < rule->min_rounds || (t < last && !st_rule_may_decide(&s, rule)))
			continue;
		if ((error = st_rule_look_at(&look, &s, rule)) < 0)
			return error;
		dec.verdict = look.verdict;
		dec.cs = look.cs;
		if (st_rule_stops(rule, t, dec.verdict))
			break;
	}
	if (dec.rounds < rule->min_rounds) { /* too short to stop: the sequence as it is */
		if ((error = st_rule_look_at(&look, &s, rule)) < 0)
			return error;
		dec.cs = look.cs;
		dec.verdict = ST_INCONCLUSIVE;
	}
	*out = dec;
	return 0;
}

/* ---- simulation ------------------------------------------------------- */

static int check_source(double *wsum, const st_calib_source *src)
{
	*wsum = 0.0;
	if (src == NULL || src->k == 0 || src->d == NULL || src->n == NULL)
		return bg_error_set(BG_EINVAL, "simulation: no A/A data");
	for (size_t j = 0; j < src->k; j++) {
		int error;
		double w = src->weight ? src->weight[j] : 1.0;
		if (src->d[j] == NULL || src->n[j] < 2)
			return bg_error_set(BG_EINVAL, "simulation: workload %zu has fewer than 2 A/A rounds", j);
		if (!(w > 0.0 && isfinite(w)))
			return bg_error_set(BG_EINVAL, "simulation: weight %zu must be > 0, got %g", j, w);
		if ((error = st_check_finite(src->d[j], src->n[j])) < 0)
			return error;
		*wsum += w;
	}
	return 0;
}

/* One simulated round: per workload a value drawn with replacement and a
 * random sign (one draw of 2n outcomes), weighted mean, plus the shift. */
static double draw(const st_calib_source *src, double wsum, double shift, gsl_rng *rng)
{
	double acc = 0.0;

	for (size_t j = 0; j < src->k; j++) {
		unsigned long u = gsl_rng_uniform_int(rng, 2 * src->n[j]);
		double v = src->d[j][u >> 1];
		acc += (src->weight ? src->weight[j] : 1.0) * (u & 1 ? -v : v);
	}
	return acc / wsum + shift;
}

typedef struct {
	const st_calib_source *src;
	double wsum;
	const st_rule *rule;
} sim_ctx;

/* One simulated decision; its verdict and the rounds it used. */
static int sim_one(st_verdict *v, size_t *rounds, const sim_ctx *c, double shift, gsl_rng *rng)
{
	const st_rule *r = c->rule;
	st_cs_state s = { 0, 0.0, 0.0, 0.0, r->rho };
	st_rule_look look;
	int error;

	for (size_t t = 1; t <= r->max_rounds; t++) {
		double x = draw(c->src, c->wsum, shift, rng);
		s.n = t;
		s.sum += x;
		s.sumsq += x * x;
		if (t < r->min_rounds || !st_rule_may_decide(&s, r))
			continue;
		if ((error = st_rule_look_at(&look, &s, r)) < 0)
			return error;
		if ((*v = look.verdict) != ST_INCONCLUSIVE) {
			*rounds = t;
			return 0;
		}
	}
	*v = ST_INCONCLUSIVE;
	*rounds = r->max_rounds;
	return 0;
}

static int sim_init(sim_ctx *c, const st_calib_source *src, const st_rule *rule,
		    size_t sequences)
{
	int error;

	if ((error = st_rule_check(rule)) < 0 || (error = check_source(&c->wsum, src)) < 0)
		return error;
	if (sequences == 0)
		return bg_error_set(BG_EINVAL, "simulation: no sequences asked for");
	c->src = src;
	c->rule = rule;
	return 0;
}

int st_calib_null_sim(st_calib_fp *out, const st_calib_source *src,
		      const st_rule *rule, size_t sequences, gsl_rng *rng)
{
	st_calib_fp fp = { 0 };
	double total = 0.0;
	sim_ctx c;
	int error;

	if ((error = sim_init(&c, src, rule, sequences)) < 0)
		return error;
	for (size_t i = 0; i < sequences; i++) {
		st_verdict v;
		size_t rounds;
		if ((error = sim_one(&v, &rounds, &c, 0.0, rng)) < 0)
			return error;
		total += (double)rounds;
		fp.improved += v == ST_IMPROVED;
		fp.regressed += v == ST_REGRESSED;
		fp.no_change += v == ST_NO_CHANGE;
		fp.inconclusive += v == ST_INCONCLUSIVE;
	}
	fp.sequences = sequences;
	fp.calls = fp.improved + fp.regressed;
	fp.rate = (double)fp.calls / (double)sequences;
	fp.mean_rounds = total / (double)sequences;
	if ((error = st_calib_binom_ci(&fp.lo, &fp.hi, fp.calls, sequences, 0.95)) < 0)
		return error;
	*out = fp;
	return 0;
}

/* The shift of ln B - ln A for B better by `effect`. */
static double shift_of(double effect, int lower_is_better)
{
	double s = log1p(-effect);

	return lower_is_better ? s : -s;
}

int st_calib_detect(size_t *rounds, const st_calib_source *src, double effect,
		    const st_rule *rule, size_t sequences, gsl_rng *rng)
{
	double shift;
	sim_ctx c;
	int error;

	if ((error = sim_init(&c, src, rule, sequences)) < 0)
		return error;
	if (!(effect >= 0.0 && effect < 1.0))
		return bg_error_set(BG_EINVAL, "simulation: effect must be in [0, 1), got %g", effect);
	shift = shift_of(effect, rule->lower_is_better);
	for (size_t i = 0; i < sequences; i++) {
		st_verdict v;
		size_t r;
		if ((error = sim_one(&v, &r, &c, shift, rng)) < 0)
			return error;
		rounds[i] = v == ST_IMPROVED ? r : ST_CALIB_NEVER;
	}
	return 0;
}

/* Whether at least `need` of `sequences` decisions detect `effect`; stops
 * as soon as the answer is known. */
static int reaches(int *yes, const sim_ctx *c, double effect, size_t need, size_t sequences,
		   gsl_rng *rng)
{
	double shift = shift_of(effect, c->rule->lower_is_better);
	size_t hit = 0;
	int error;

	for (size_t i = 0; i < sequences && hit < need && sequences - i >= need - hit; i++) {
		st_verdict v;
		size_t r;
		if ((error = sim_one(&v, &r, c, shift, rng)) < 0)
			return error;
		hit += v == ST_IMPROVED;
	}
	*yes = hit >= need;
	return 0;
}

static size_t needed(double power, size_t sequences)
{
	size_t need = (size_t)ceil(power * (double)sequences - 1e-9);

	return need < 1 ? 1 : need;
}

/* Bisection of st_calib_mde, with the generator `base` restored into
 * `work` before each power estimate. */
static int mde_bisect(double *effect, const sim_ctx *c, size_t need, size_t sequences,
		      gsl_rng *base, gsl_rng *work)
{
	double lo = log(MDE_LO), hi = log(MDE_HI);
	int yes, error;

	gsl_rng_memcpy(work, base);
	if ((error = reaches(&yes, c, MDE_HI, need, sequences, work)) < 0)
		return error;
	if (!yes) {
		*effect = INFINITY;
		return 0;
	}
	gsl_rng_memcpy(work, base);
	if ((error = reaches(&yes, c, MDE_LO, need, sequences, work)) < 0)
		return error;
	if (yes) {
		*effect = MDE_LO;
		return 0;
	}
	for (int i = 0; i < MDE_STEPS; i++) {
		double mid = 0.5 * (lo + hi);
		gsl_rng_memcpy(work, base);
		if ((error = reaches(&yes, c, exp(mid), need, sequences, work)) < 0)
			return error;
		if (yes)
			hi = mid;
		else
			lo = mid;
	}
	*effect = exp(hi);
	return 0;
}

int st_calib_mde(double *effect, const st_calib_source *src, const st_rule *rule,
		 double power, size_t sequences, gsl_rng *rng)
{
	gsl_rng *base = NULL, *work = NULL;
	sim_ctx c;
	int error;

	if ((error = sim_init(&c, src, rule, sequences)) < 0)
		return error;
	if (!(power > 0.0 && power < 1.0))
		return bg_error_set(BG_EINVAL, "minimum detectable effect: power must be in (0, 1), got %g", power);
	if ((base = gsl_rng_clone(rng)) == NULL || (work = gsl_rng_clone(rng)) == NULL) {
		error = bg_error_nomem();
		goto cleanup;
	}
	gsl_rng_set(base, gsl_rng_get(rng));
	error = mde_bisect(effect, &c, needed(power, sequences), sequences, base, work);
cleanup:
	if (base)
		gsl_rng_free(base);
	if (work)
		gsl_rng_free(work);
	return error;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

int st_calib_rounds_to_detect(size_t *rounds, const st_calib_source *src, double effect,
			      const st_rule *rule, double power, size_t sequences,
			      gsl_rng *rng)
{
	size_t *r;
	int error;

	if (!(power > 0.0 && power < 1.0))
		return bg_error_set(BG_EINVAL, "rounds to detect: power must be in (0, 1), got %g", power);
	if (sequences == 0)
		return bg_error_set(BG_EINVAL, "simulation: no sequences asked for");
	if ((r = malloc(sequences * sizeof(*r))) == NULL)
		return bg_error_nomem();
	if ((error = st_calib_detect(r, src, effect, rule, sequences, rng)) == 0) {
		qsort(r, sequences, sizeof(*r), cmp_size);
		*rounds = r[needed(power, sequences) - 1];
	}
	free(r);
	return error;
}
