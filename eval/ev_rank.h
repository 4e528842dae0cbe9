/* ev_rank: rank-based shift estimates and tests, and Welch's t-test.
 *
 * It lives in eval/ because only the evaluation uses it: eval/peers.c applies
 * the Mann-Whitney test and Welch's t-test as the peers it compares benchgate
 * with decide. benchgate's own rule is st_rule (stats/).
 *
 * Two samples x (m values, the baseline A) and y (n values, the candidate B)
 * are always read as "y relative to x": a positive shift, U above mn/2, or a
 * positive t means y tends to be larger. The references are called the same
 * way: R's wilcox.test(y, x), scipy.stats.mannwhitneyu(y, x),
 * scipy.stats.ttest_ind(y, x, equal_var=False).
 *
 * Exact null distributions are counted by dynamic programming: Mann & Whitney
 * (1947) for U, the subset-sum recursion of the signed-rank statistic
 * (Wilcoxon 1945) for W+. Ties are exact equality of doubles; no rounding.
 *
 * Pure functions: inputs are never modified, out-parameters are written only
 * on success, every failure returns a negative BG_E* code with a message. */
#ifndef EV_RANK_H
#define EV_RANK_H

#include <stddef.h>

/* How a rank test computes its p-value. */
typedef enum {
	/* R's wilcox.test rule: exact when the samples are small (every size
	 * < EV_RANK_AUTO_EXACT_BELOW) and have no ties (and, for the
	 * signed-rank test, no zero differences); otherwise asymptotic. */
	EV_RANK_AUTO = 0,
	/* Exact null distribution; BG_EDOMAIN with ties (or zeros), and
	 * BG_EUNSUPPORTED for a size above EV_RANK_EXACT_MAX. */
	EV_RANK_EXACT = 1,
	/* Normal approximation with tie and continuity correction. */
	EV_RANK_ASYMPTOTIC = 2
} ev_rank_method;

#define EV_RANK_AUTO_EXACT_BELOW 50
/* Largest size for which EV_RANK_EXACT is offered: the counting takes
 * O(m^2 n^2 / 2) steps for U, O(n^3 / 4) for W+ (~50 ms at 100 x 100). */
#define EV_RANK_EXACT_MAX 100
/* Largest number of pairwise differences / Walsh averages a Hodges-Lehmann
 * estimate will sort (8 bytes each): BG_EUNSUPPORTED above it. */
#define EV_HL_MAX_PAIRS ((size_t)50000000)

/* A Hodges-Lehmann estimate with its distribution-free interval. */
typedef struct {
	double estimate;  /* median of the N pairwise differences / Walsh averages */
	double lo, hi;    /* [D(k), D(N+1-k)], D sorted ascending, 1-based */
	double level;     /* the confidence level asked for */
	double achieved;  /* coverage of [lo, hi]: exact when `exact`, else its
	                   * normal approximation; below `level` when the samples
	                   * are too small to reach it (e.g. m = n = 3 at 0.95) */
	size_t k;         /* rank of lo; >= 1 */
	size_t n_pairs;   /* N: m*n, or n(n+1)/2 Walsh averages */
	int exact;        /* 1: k from the exact null distribution */
} ev_hl;

/* Hodges-Lehmann (1963) shift of y against x: the median of the m*n
 * differences y_j - x_i, with the interval that inverts the Mann-Whitney
 * test (Lehmann 1975, sec. 2.6; Hollander & Wolfe 1999, sec. 4.3):
 * [D(k), D(mn+1-k)].
 *
 * Choice of k (the same as R's wilcox.test(y, x, conf.int = TRUE) wherever
 * no x value equals a y value):
 *  - exact when m, n < EV_RANK_AUTO_EXACT_BELOW and neither sample has a
 *    repeated value: k = the smallest q with P(U <= q) >= alpha/2 (R's
 *    qwilcox, including its 10*DBL_EPSILON fuzz), and k = 1 when that q is
 *    0; achieved = 1 - 2 P(U <= k - 1);
 *  - otherwise k = floor(mn/2 - z sigma + 1/2) (nearest integer), at least 1,
 *    z = Phi^-1(1 - alpha/2), sigma^2 = mn/12 [(m+n+1) - T/((m+n)(m+n-1))],
 *    T = sum(t^3 - t) over the groups of equal values within x and within y.
 *    This is where R's continuity-corrected inversion crosses z (its uniroot
 *    lands on D(k)); achieved = 1 - 2 Phi((k - 1/2 - mn/2) / sigma).
 * Ties between x and y do not count: they change the test at shift 0, not
 * the interval, which is decided at shifts where no such tie exists. R counts
 * them and so goes to its normal branch where this function stays exact.
 * The estimate is always the median of the differences (R's exact branch;
 * R's normal branch returns a root of a step function instead, which differs
 * only when mn is even).
 *
 * Needs m, n >= 1 with m*n >= 2, finite values (BG_EDOMAIN), 0 < level < 1
 * (BG_EINVAL); m*n <= EV_HL_MAX_PAIRS (BG_EUNSUPPORTED); BG_ENOMEM.
 * O(mn log mn) time (sorting all differences), O(mn) memory. */
int ev_hl_shift(ev_hl *out, const double *x, size_t m, const double *y,
		size_t n, double level);

/* One-sample / paired Hodges-Lehmann estimate: the median of the n(n+1)/2
 * Walsh averages (d_i + d_j)/2, i <= j (Hodges & Lehmann 1963; Tukey), with
 * the interval that inverts the signed-rank test: [A(k), A(N+1-k)].
 * k as in ev_hl_shift with the signed-rank distribution: exact (R's
 * qsignrank) when n < EV_RANK_AUTO_EXACT_BELOW and no two d are equal;
 * otherwise k = floor(N/2 - z sigma + 1/2), at least 1,
 * sigma^2 = n(n+1)(2n+1)/24 - sum(t^3 - t)/48 over groups of equal d.
 * Every d counts, zeros included. This equals R's wilcox.test(d,
 * conf.int = TRUE) when d has no zero and no pair d_i = -d_j; R drops zeros
 * before estimating and goes to its normal branch on such pairs (ties of
 * |d|, which matter to the test at 0 but not to the interval).
 * Needs n >= 2 finite values (BG_EDOMAIN), 0 < level < 1 (BG_EINVAL);
 * BG_EUNSUPPORTED above EV_HL_MAX_PAIRS averages; BG_ENOMEM. */
int ev_hl_paired(ev_hl *out, const double *d, size_t n, double level);

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

/* A Wilcoxon signed-rank test. */
typedef struct {
	double w_plus;  /* sum of the ranks of |d| over d > 0 (R's V) */
	double w_minus; /* the same over d < 0; min(w_plus, w_minus) is scipy's */
	double z;       /* (W+ - N/2 - sign(W+ - N/2)/2) / sigma, N = n(n+1)/2 */
	double p;       /* two-sided */
	size_t n_used;  /* non-zero differences, the n of the test */
	int exact;
} ev_signrank;

/* Wilcoxon (1945) signed-rank test of H0: d symmetric about 0, two-sided.
 * Zeros are dropped first (Wilcox's convention, scipy's zero_method='wilcox',
 * R's default), midranks for ties. Exact: p = min(1, 2 P(W+ <= min(w, N-w))).
 * Asymptotic: p = 2 Q(|z|), sigma^2 = n(n+1)(2n+1)/24 - sum(t^3 - t)/48
 * over groups of equal |d| (scipy.stats.wilcoxon(d, method='approx',
 * correction=True); R's wilcox.test(d, exact = FALSE)). AUTO is exact for
 * n_used < EV_RANK_AUTO_EXACT_BELOW without ties or zeros (R's rule).
 * Needs n >= 1 finite values, not all zero (BG_EDOMAIN); exact with ties or
 * zeros is BG_EDOMAIN, above EV_RANK_EXACT_MAX BG_EUNSUPPORTED; a method
 * outside the enum BG_EINVAL; BG_ENOMEM. */
int ev_signrank_test(ev_signrank *out, const double *d, size_t n,
		     ev_rank_method method);

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
