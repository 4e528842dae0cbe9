/* st_bet: an anytime-valid confidence sequence for the mean of bounded
 * paired differences, by betting.
 *
 * Waudby-Smith & Ramdas, "Estimating means of bounded random variables by
 * betting" (JRSS-B 2024). Each d_t lies in [-w, w] (a metric in [lo, hi]
 * has w = hi - lo), mapped to x_t = (d_t + w) / (2w) in [0, 1]; for each
 * candidate mean m of x a gambler bets against it,
 *   K_t(m) = prod (1 + l_i(m) (x_i - m)),
 * with the aGRAPA bet of their section 5 (a second-order approximation of
 * the growth-optimal bet, either sign)
 *   l_i(m) = (mu_{i-1} - m) / (s2_{i-1} + (mu_{i-1} - m)^2),
 *   mu_i = (1/2 + sum_{j<=i} x_j) / (i + 1),
 *   s2_i = (1/4 + sum_{j<=i} (x_j - mu_j)^2) / (i + 1),
 * truncated to [-c/(1-m), c/m] (c = 1/2) so that no factor falls below
 * 1/2. The bet uses only the past, so K_t(m) is a nonnegative martingale
 * when the mean of x is m, and by Ville's inequality it crosses 1/alpha
 * with probability at most alpha, at any time: {m : K_t(m) < 1/alpha} is
 * a (1 - alpha) confidence sequence. It is read on a grid of m (as the
 * smallest interval holding every grid mean inside, widened by a step) and
 * at the means the rule tests (0, the band +-b, a regression bound)
 * exactly. aGRAPA rather than the paper's predictable plug-in bets: on
 * eval's bounded data the plug-in needed as many rounds as the normal
 * mixture; aGRAPA fewer.
 *
 * In benchgate's design the mean of d is 0 under identical arms: the order
 * of A and B is shuffled in every round, so d_t is symmetric about 0 given
 * the past, whatever the noise. Unlike the normal mixture (st_cs.h), the
 * sequence knows the bounds, so on bounded data (win rates, judge scores)
 * it stops sooner: eval's table. */
#ifndef ST_BET_H
#define ST_BET_H

#include <stddef.h>

#include "st_cs.h"

#define ST_BET_GRID 2000     /* candidate means of x, at (j + 1/2) / ST_BET_GRID */
#define ST_BET_POINTS 4      /* exact means tracked beside the grid */

typedef struct {
	double w;            /* d in [-w, w] */
	size_t n;
	double sum;          /* sum of d */
	double xsum, dev2;   /* sum of x, and of (x - mu_prev)^2, for the bets */
	double *log_k;                 /* ln K on the grid, then at the points */
	double point[ST_BET_POINTS];   /* the tracked means of d (NaN: unused) */
	double max_log_k[ST_BET_POINTS]; /* max over t of ln K at each */
} st_bet_state;

/* Starts a sequence for d in [-w, w] (w > 0, finite), with up to
 * ST_BET_POINTS means of d tracked exactly (npoints of them in points;
 * each inside (-w, w)). The bets need no level: any alpha can be looked
 * at. BG_EINVAL, BG_ENOMEM. Release with st_bet_free. */
int st_bet_init(st_bet_state *s, double w, const double *points, size_t npoints);
void st_bet_free(st_bet_state *s);

/* Adds one observation: BG_EDOMAIN (naming the bound) when d is outside
 * [-w, w] or not finite, the state unchanged. */
int st_bet_push(st_bet_state *s, double d);

/* The set at the current time at level 1 - alpha as an st_cs_result in d's
 * units: estimate the mean of d, [lo, hi] the set's ends (from the grid,
 * widened by one step: conservative), no far region (far_lo = -inf, far_hi
 * = +inf), p_value the always-valid p of mean 0 when 0 is a tracked point
 * (min(1, 1/max_t K_t(0))), else 1. BG_EDOMAIN for n = 0, BG_EINVAL for a
 * bad alpha. */
int st_bet_interval(st_cs_result *out, const st_bet_state *s, double alpha);

/* 1 when the tracked mean `mu` (one of the points given to st_bet_init)
 * is outside the set now at level 1 - alpha; for another mu, the nearest
 * grid point's answer widened to be conservative (0 when unsure). */
int st_bet_excludes(const st_bet_state *s, double mu, double alpha);

/* The always-valid p-value of the tracked mean `mu`, min(1, 1/max_t K_t);
 * 1 when mu is not tracked. */
double st_bet_p(const st_bet_state *s, double mu);

#endif
