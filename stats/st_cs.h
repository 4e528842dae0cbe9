/* st_cs: an anytime-valid confidence sequence for the mean paired
 * log-difference, and its always-valid p-value.
 *
 * Howard, Ramdas, McAuliffe & Sekhon (Ann. Statist. 2021), normal-mixture
 * boundary: with S_t the centred sum and V_t its variance process,
 *   |S_t| < sqrt((V_t + rho) (ln(1 + V_t/rho) + 2 ln(1/alpha)))
 * holds for all t at once with probability >= 1 - alpha. It is the mixture
 * martingale M_t = sqrt(rho/(V_t+rho)) exp(S_t^2 / (2(V_t+rho))) crossing
 * 1/alpha (Ville's inequality); the same test is the mSPRT of Johari et al.
 * (KDD 2017).
 *
 * The variance is unknown, so instead of a plug-in we use the
 * self-normalised process V_t = sum (d_i - mu)^2, which makes
 * exp(lambda S_t - lambda^2 V_t / 2) a supermartingale whenever the
 * increments d_i - mu are conditionally symmetric (de la Pena 1999; Howard
 * et al. 2020, "Time-uniform Chernoff bounds", sec. 3). In benchgate's
 * design this holds exactly under the null of identical arms: the order of
 * A and B is shuffled in every round, so A and B are exchangeable and
 * d_i = ln B_i - ln A_i is symmetric about 0 given the past, whatever the
 * noise distribution, its tails, or the machine's drift. For a multiplicative
 * effect (B = c A) with exchangeable noise it holds about mu = ln c, so the
 * interval covers too. No variance estimate is plugged in anywhere. */
#ifndef ST_CS_H
#define ST_CS_H

#include <stddef.h>

/* Where benchgate tunes the boundary to be tightest: the variance process
 * of 100 rounds of paired differences with a 2% spread. Any value keeps the
 * error rate (it is fixed before the data); a good one decides earlier. */
#define ST_CS_V_OPT_DEFAULT (100 * 0.02 * 0.02)

/* Running sums of a sequence; O(1) per observation and per look. */
typedef struct {
	size_t n;
	double sum;       /* sum d_i */
	double sumsq;     /* sum d_i^2 */
	double max_log_m; /* max over t of ln M_t at mu = 0 (for the p-value) */
	double rho;       /* mixture parameter, fixed before the data */
} st_cs_state;

/* The confidence set at time n, {mu : M_n(mu) < 1/alpha}, is symmetric
 * about the mean and is not one interval: with the self-normalised
 * variance the evidence against a far mu is capped (S^2/V <= n), so beyond
 * a distance u2 from the mean the set resumes. It is
 *   (lo, hi) U (-inf, far_lo) U (far_hi, +inf).
 * For large n the far region lies at |mu| ~ e^(n/2) (no real ratio); for n
 * below ~15 it can start at realistic ratios (shared/cases/
 * compare-small-n-far-region.json). Unbounded: lo = far_lo = -inf,
 * hi = far_hi = +inf. */
typedef struct {
	double estimate; /* sample mean of d */
	double lo, hi;   /* the central piece of the set; -inf/+inf when unbounded */
	double far_lo, far_hi; /* where the far region starts on either side */
	double p_value;  /* always-valid p-value of H0: mu = 0, min(1, 1/max_t M_t) */
	size_t n;
} st_cs_result;

/* rho that makes the boundary tightest at intrinsic time v_opt (Howard et
 * al. 2021, eq. (3.4)-(3.5) approximation):
 *   rho = v_opt / (2 ln(1/alpha) + ln(1 + 2 ln(1/alpha))).
 * BG_EINVAL (returning via *out untouched) for v_opt <= 0 or alpha outside
 * (0, 1). */
int st_cs_rho(double *out, double v_opt, double alpha);

/* Starts a sequence with mixture parameter rho > 0 (BG_EINVAL otherwise). */
int st_cs_init(st_cs_state *s, double rho);

/* Adds one observation; BG_EDOMAIN for a non-finite d (state unchanged). */
int st_cs_push(st_cs_state *s, double d);

/* The confidence sequence at the current time for level 1 - alpha, and the
 * always-valid p-value. Needs n >= 1; with too little data the interval is
 * (-inf, +inf). BG_EINVAL for alpha outside (0, 1), BG_EDOMAIN for n = 0. */
int st_cs_interval(st_cs_result *out, const st_cs_state *s, double alpha);

/* The mean of the n > 0 observations pushed into s and their sum of
 * squares about it (never below 0, though rounding may push it there):
 * the two numbers every look at the mixture starts from. Can't fail. */
void st_cs_centred(double *mean, double *ss, const st_cs_state *s);

/* 1 when mu lies outside the confidence set at the current time for level
 * 1 - alpha (M_n(mu) >= 1/alpha: the mixture test rejects mu now), else 0.
 * The direct test, whatever the shape of the set; 0 for n = 0 or a bad
 * alpha. Can't fail. */
int st_cs_excludes(const st_cs_state *s, double mu, double alpha);

#endif
