/* st_calib: the statistics of `benchgate calibrate` — how noisy a series of
 * A/A rounds is, and what the sequential decision rule does on that noise.
 *
 * Descriptive pieces (drift, outlier share, warm-up change point, the
 * Clopper-Pearson interval of a rate) sit beside the rule itself run on
 * simulated decisions:
 *
 *  - The rule is benchgate's, st_rule.h — the same functions gate, audit
 *    and compare decide with: after every round the paired log-difference
 *    d updates the normal-mixture confidence sequence of st_cs.h (Howard,
 *    Ramdas, McAuliffe & Sekhon, Ann. Statist. 2021), and from min_rounds
 *    on sampling stops at the first verdict other than INCONCLUSIVE, or at
 *    max_rounds.
 *
 *  - Null decisions come from the A/A data themselves. With identical arms
 *    whose order is shuffled every round, d is symmetric about 0, so a draw
 *    with replacement from the observed d (the bootstrap, Efron & Tibshirani
 *    1993, ch. 6) given a random sign is a draw from the null — the
 *    sign-flip ("randomization") distribution of the paired design. A
 *    sequence of such draws is one simulated A/A decision.
 *
 *  - Decisions with a known effect add ln(1 - effect) to every draw (B
 *    faster by `effect`; mirrored for higher-is-better metrics). The power
 *    of the rule within a budget of rounds is the share of simulated
 *    sequences whose first verdict is IMPROVED by then.
 *
 * Every draw comes from the caller's seeded gsl_rng. Pure numerics: no I/O.
 * Errors: negative BG_E* codes with a message; out-parameters are written
 * only on success. */
#ifndef ST_CALIB_H
#define ST_CALIB_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "st_cs.h"
#include "st_effect.h"
#include "st_rule.h"

/* "Not detected within the rounds simulated", in round counts. */
#define ST_CALIB_NEVER SIZE_MAX

/* ---- descriptive ------------------------------------------------------ */

/* Clopper & Pearson (Biometrika 1934) exact interval for a binomial
 * proportion, k successes of n trials, at confidence `level`:
 *   lo = B^-1(a/2; k, n-k+1)   (0 when k = 0),
 *   hi = B^-1(1-a/2; k+1, n-k) (1 when k = n),   a = 1 - level,
 * B^-1 the beta quantile, found by bisection on gsl_cdf_beta_P (GSL 2.7's
 * beta inverse returns NaN in parts of the upper tail). BG_EINVAL for
 * n = 0, k > n, or level outside (0, 1). */
int st_calib_binom_ci(double *lo, double *hi, size_t k, size_t n, double level);

/* Drift of a series over time: the least-squares slope of y on t
 * (gsl_fit_linear) as a percentage of the mean of y per unit of t, e.g.
 * t in minutes gives % per minute. Needs n >= 3 finite pairs, t not all
 * equal and a non-zero mean of y (BG_EDOMAIN otherwise). */
int st_calib_drift(double *pct_per_unit, const double *t, const double *y, size_t n);

/* Share of x flagged by the modified z-score, |0.6745 (x - median) / MAD|
 * > 3.5 (Iglewicz & Hoaglin 1993; st_outliers_mzscore). Needs n >= 1
 * finite values. */
int st_calib_outlier_share(double *share, const double *x, size_t n);

/* Change points of a series as benchgate finds warm-up (Barrett et al.,
 * OOPSLA 2017): PELT on mean and variance with penalty 15 ln n and segments
 * of at least 5 values (st_pelt). *first is the location of the first
 * change point (values before it), 0 when there is none; *count how many.
 * A series shorter than 20 values, or constant, has none. BG_EDOMAIN for
 * a non-finite value, BG_ENOMEM. */
int st_calib_changepoints(size_t *first, size_t *count, const double *x, size_t n);

/* ---- the decision rule ------------------------------------------------ */

typedef struct {
	st_verdict verdict;    /* INCONCLUSIVE when max_rounds ended it */
	size_t rounds;         /* rounds used */
	st_cs_result cs;       /* the sequence at the stop */
} st_calib_decision;

/* Runs the rule on the series d[0..n) in its order, up to
 * min(n, max_rounds) rounds. Faithful to the rule round by round:
 * st_rule_may_decide screens each look, and st_rule_look_at decides
 * wherever it lets a verdict through. BG_EINVAL for a bad rule,
 * BG_EDOMAIN for n = 0 or a non-finite value. */
int st_calib_decide(st_calib_decision *out, const double *d, size_t n,
		    const st_rule *rule);

/* Where simulated rounds come from: the A/A paired log-differences of k
 * workloads. A simulated round draws one value per workload (with
 * replacement, random sign) and takes their weighted mean, as a gate's
 * aggregate does (lp_measure.h). */
typedef struct {
	size_t k;                  /* workloads, >= 1 */
	const double *const *d;    /* d[j][0..n[j]) */
	const size_t *n;           /* n[j] >= 2 */
	const double *weight;      /* NULL: equal weights; else k values > 0 */
} st_calib_source;

/* Outcome of simulated A/A decisions. */
typedef struct {
	size_t sequences;
	size_t improved, regressed, no_change, inconclusive;
	size_t calls;          /* improved + regressed: the false positives */
	double rate;           /* calls / sequences */
	double lo, hi;         /* its 95% Clopper-Pearson interval */
	double mean_rounds;    /* rounds used, on average */
} st_calib_fp;

/* Runs the rule on `sequences` simulated A/A decisions (null draws, no
 * shift) of up to rule->max_rounds rounds each. BG_EINVAL for a bad rule or
 * source or sequences = 0, BG_EDOMAIN for a non-finite value. */
int st_calib_null_sim(st_calib_fp *out, const st_calib_source *src,
		      const st_rule *rule, size_t sequences, gsl_rng *rng);

/* For `sequences` simulated decisions with B better by `effect` (in
 * [0, 1)), the round at which each first stopped with IMPROVED, or
 * ST_CALIB_NEVER when it stopped otherwise or ran out of rounds; rounds[]
 * has `sequences` entries. Errors as st_calib_null_sim, and BG_EINVAL for
 * an effect outside [0, 1). */
int st_calib_detect(size_t *rounds, const st_calib_source *src, double effect,
		    const st_rule *rule, size_t sequences, gsl_rng *rng);

/* The smallest effect (relative, e.g. 0.02) the rule detects with
 * probability >= power within rule->max_rounds rounds: bisection on
 * ln(effect) over [1e-4, 0.5] (10 steps, under 1% apart; the upper end
 * kept), each power
 * estimated from `sequences` simulated decisions drawn with the same
 * random numbers (common random numbers: the generator is restored before
 * each, so neighbouring effects differ by the effect, not by chance). *effect is
 * +inf when even 50% is not detected; rng advances by one draw. power in
 * (0, 1), else BG_EINVAL; other errors as st_calib_detect. */
int st_calib_mde(double *effect, const st_calib_source *src, const st_rule *rule,
		 double power, size_t sequences, gsl_rng *rng);

/* Rounds after which the rule has detected `effect` in a share `power` of
 * `sequences` simulated decisions (the ceil(power * sequences)-th smallest
 * detection round), or ST_CALIB_NEVER when fewer detect within
 * rule->max_rounds. Errors as st_calib_detect. */
int st_calib_rounds_to_detect(size_t *rounds, const st_calib_source *src, double effect,
			      const st_rule *rule, double power, size_t sequences,
			      gsl_rng *rng);

#endif
