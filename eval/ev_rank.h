/* ev_rank: the Mann-Whitney test and Welch's t-test.
 *
 * It lives in eval/ because only the evaluation uses it: eval/peers.c applies
 * the Mann-Whitney test and Welch's t-test as the peers it compares benchgate
 * with decide. benchgate's own rule is st_rule (stats/).
 *
 * Two samples x (m values, the baseline A) and y (n values, the candidate B)
 * are always read as "y relative to x": U above mn/2 or a positive t means
 * y tends to be larger. The references are called the same
 * way: R's wilcox.test(y, x), scipy.stats.mannwhitneyu(y, x),
 * scipy.stats.ttest_ind(y, x, equal_var=False).
 *
 * The exact null distribution of U is counted by dynamic programming (Mann &
 * Whitney 1947). Ties are exact equality of doubles; no rounding.
 *
 * Pure functions: inputs are never modified, out-parameters are written only
 * on success, every failure returns a negative BG_E* code with a message. */
#ifndef EV_RANK_H
#define EV_RANK_H

#include <stddef.h>

/* How the rank test computes its p-value. */
typedef enum {
	/* R's wilcox.test rule: exact when the samples are small (every size
	 * < EV_RANK_AUTO_EXACT_BELOW) and have no ties; otherwise
	 * asymptotic. */
	EV_RANK_AUTO = 0,
	/* Exact null distribution; BG_EDOMAIN with ties, and
	 * BG_EUNSUPPORTED for a size above EV_RANK_EXACT_MAX. */
	EV_RANK_EXACT = 1,
	/* Normal approximation with tie and continuity correction. */
	EV_RANK_ASYMPTOTIC = 2
} ev_rank_method;

#define EV_RANK_AUTO_EXACT_BELOW 50
/* Largest size for which EV_RANK_EXACT is offered: the counting takes
 * O(m^2 n^2 / 2) steps (~50 ms at 100 x 100). */
#define EV_RANK_EXACT_MAX 100

/* A Mann-Whitney U test. */
typedef struct {
	double u;   /* U of y: #{y_j > x_i} + #{y_j = x_i}/2, in [0, mn] */
	double z;   /* (U - mn/2 - sign(U - mn/2)/2) / sigma, tie-corrected */
	double p;   /* two-sided */
	int exact;  /* 1: p from the exact null distribution */
} ev_mwu;

/* Mann & Whitney (1947) two-sided test of x against y. Exact: p =
 * min(1, 2 P(U <= min(u, mn - u))) (R; scipy's 2 P(U >= max(U1, U2))).
 * Asymptotic: p = 2 Q(|z|), sigma^2 = mn/12 [(m+n+1) - T/((m+n)(m+n-1))],
 * T = sum(t^3 - t) over the groups of equal values of the pooled sample
 * (scipy.stats.mannwhitneyu(y, x, method='asymptotic', use_continuity=True);
 * R's wilcox.test(y, x, exact = FALSE)). z is filled in either way.
 * Needs m, n >= 1 finite values, not all m + n equal (BG_EDOMAIN); exact
 * with ties is BG_EDOMAIN, above EV_RANK_EXACT_MAX BG_EUNSUPPORTED; a
 * method outside the enum BG_EINVAL; BG_ENOMEM. */
int ev_mwu_test(ev_mwu *out, const double *x, size_t m, const double *y,
		size_t n, ev_rank_method method);

/* Welch's t-test. */
typedef struct {
	double t;   /* (mean y - mean x) / sqrt(s_x^2/m + s_y^2/n) */
	double df;  /* Welch-Satterthwaite degrees of freedom */
	double p;   /* two-sided, Student t with df (non-integer) */
} ev_welch;

/* Welch (1947) two-sample t-test with unequal variances; df =
 * (a + b)^2 / (a^2/(m-1) + b^2/(n-1)), a = s_x^2/m, b = s_y^2/n
 * (Satterthwaite 1946); scipy.stats.ttest_ind(y, x, equal_var=False).
 * The p-value is the incomplete beta I_{df/(df+t^2)}(df/2, 1/2), not GSL's
 * t tail, which loses digits far out (see ev_rank.c); p below the smallest
 * double is 0.
 * Needs m, n >= 2 finite values (BG_EDOMAIN), and not both samples constant
 * (the statistic is then 0/0 or infinite: BG_EDOMAIN); BG_EDOMAIN also when
 * t overflows. Allocates nothing. */
int ev_welch_test(ev_welch *out, const double *x, size_t m, const double *y,
		  size_t n);

#endif
