/* st_rule: benchgate's sequential decision rule, written once.
 *
 * gate and audit (per workload and for the aggregate, lp_measure.c),
 * compare (lp_compare.c) and calibrate's simulated decisions (st_calib.c)
 * all decide with these functions, so what calibrate simulates is what the
 * others run:
 *
 *  - tuning: every sequence has the mixture parameter st_rule_rho(), the
 *    rho that makes the boundary tightest at ST_CS_V_OPT_DEFAULT for
 *    alpha = 0.05 (Howard et al. 2021, eq. (3.4)-(3.5)). It is fixed before
 *    the data, so the sequence is valid at any level; one tuning for every
 *    level keeps a gate at a LORD++ level of 0.004 and a compare at 0.05 on
 *    the same boundary shape;
 *  - update: each round's paired log-difference d is pushed (st_cs_push);
 *    or, for a difference effect (metric.effect "difference": values that
 *    can be zero or negative), its difference d = B - A in the metric's
 *    units, min_effect then in those units too. The sequence's validity
 *    is the same: under identical arms the shuffled order makes d
 *    symmetric about 0 whatever the noise (st_cs.h), for B - A as for
 *    ln B - ln A;
 *  - look: the confidence set at the level tested (st_cs_interval), and a
 *    verdict against min_effect that tests the values it rests on against
 *    the mixture directly (st_cs_excludes): IMPROVED or REGRESSED need the
 *    no-change value mu = 0 excluded now, NO_CHANGE needs both mu = +-band
 *    excluded. The set is not one interval at small n (st_cs.h), so a
 *    central piece that misses 0 while 0 lies in the far region is
 *    INCONCLUSIVE. IMPROVED or REGRESSED imply p <= alpha (the current
 *    M_n(0) >= 1/alpha bounds the running maximum);
 *  - stop: from min_rounds on, at the first verdict other than
 *    INCONCLUSIVE; at max_rounds the look stands as INCONCLUSIVE. */
#ifndef ST_RULE_H
#define ST_RULE_H

#include <stddef.h>

#include "st_bet.h"
#include "st_cs.h"
#include "st_effect.h"

typedef struct {
	double alpha;          /* level tested, in (0, 1) */
	double rho;            /* mixture parameter: st_rule_rho() unless a test says otherwise */
	double min_effect;     /* the NO_CHANGE band and the smallest call: a relative
	                        * change in [0, 1), or with difference a finite
	                        * amount >= 0 in the metric's units */
	int lower_is_better;
	unsigned min_rounds;   /* no stop before this many rounds, >= 1 */
	size_t max_rounds;     /* the budget in rounds, >= 1 */
	int difference;        /* 0: d = ln B - ln A (B/A); 1: d = B - A */
} st_rule;

/* A rule at level alpha with the house tuning, min_rounds 1 and no round
 * budget (SIZE_MAX). Can't fail; st_rule_check says whether it is valid. */
st_rule st_rule_make(double alpha, double min_effect, int lower_is_better);

/* The mixture parameter of every sequence benchgate runs. Can't fail. */
double st_rule_rho(void);

/* A rule for a difference effect B - A: as st_rule_make, with the
 * boundary tuned the way st_rule_rho() tunes the ratio's (tightest after
 * 100 rounds whose paired spread is twice the smallest effect: 2% for 1%)
 * in the metric's units, min_effect > 0 giving the scale (1 when it is 0).
 * Fixed before the data, as the ratio's. Can't fail. */
st_rule st_rule_make_difference(double alpha, double min_effect, int lower_is_better);

/* BG_EINVAL with a message naming the bad field, else 0. */
int st_rule_check(const st_rule *r);

typedef struct {
	st_verdict verdict;
	st_cs_result cs;       /* the set at this look, its estimate and p-value */
} st_rule_look;

/* The rule's verdict on the sequence as it stands (the header comment).
 * Errors as st_cs_interval. */
int st_rule_look_at(st_rule_look *out, const st_cs_state *s, const st_rule *r);

/* A betting sequence for d in [-w, w] that st_rule_look_bet can judge
 * under rule r: it tracks 0 and, when inside (-w, w), +-min_effect, and
 * `extra` too when it is inside and not NaN (a regression bound, for
 * st_bet_p). The errors of st_bet_init. */
int st_rule_bet_init(st_bet_state *s, const st_rule *r, double w, double extra);

/* The same verdict on a betting sequence (metric.range: bounded values),
 * for a difference rule: the set from st_bet_interval, and the direct
 * tests at the means s tracks (0, and +-min_effect for NO_CHANGE; an
 * untracked one is never taken as excluded). BG_EINVAL for a ratio rule,
 * else the errors of st_bet_interval. */
int st_rule_look_bet(st_rule_look *out, const st_bet_state *s, const st_rule *r);

/* 0 when the look at s is surely INCONCLUSIVE, 1 when st_rule_look_at must
 * be asked: a cheap necessary condition on the boundary (the same inequality
 * as st_cs.c) for calibrate's millions of simulated looks. Can't fail. */
int st_rule_may_decide(const st_cs_state *s, const st_rule *r);

/* 1 when sampling stops after a look with verdict v at `rounds` rounds. */
int st_rule_stops(const st_rule *r, size_t rounds, st_verdict v);

/* The look in ratio terms: B/A = exp(estimate), the central piece, the far
 * region, the p-value, the level 1 - alpha; for a difference rule the same
 * in B - A terms (the estimate itself), with effect.difference set. Can't
 * fail. */
st_effect st_rule_effect(const st_rule_look *l, const st_rule *r);

/* 1 when the effect's far region starts at a ratio a benchmark can show
 * (within [1/ST_RULE_FAR_SHOWN, ST_RULE_FAR_SHOWN]; a difference within
 * ST_RULE_FAR_SHOWN times the larger end of its central piece), so a
 * report must say the set is not the interval alone. Can't fail. */
#define ST_RULE_FAR_SHOWN 10.0   /* a difference: within ten times the central piece's reach */
int st_rule_far_shown(const st_effect *e);

#endif
