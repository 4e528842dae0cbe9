/* st_fdr: multiple testing -- online FDR control across a campaign (LORD++,
 * alpha-investing) and Holm's batch adjustment.
 *
 * Online: an agent runs experiment after experiment; experiment t is tested
 * at a level alpha_t that depends only on the decisions before it, so that
 * the false discovery rate over the whole campaign stays at alpha
 * (METHODS.md, "Online FDR across a campaign"). An st_fdr holds the state of
 * one procedure; a campaign is resumed by recording its past decisions again
 * (what gate does with the ledger's). */
#ifndef ST_FDR_H
#define ST_FDR_H

#include <stddef.h>

typedef enum {
	/* LORD++ (Ramdas, Yang, Wainwright & Jordan, NeurIPS 2017): FDR <= alpha
	 * for independent p-values. The project's default. */
	ST_FDR_LORD_PP = 0,
	/* Alpha-investing (Foster & Stine, JRSS-B 2008): mFDR_eta <= alpha,
	 * eta = W0/alpha, i.e. E[V] <= alpha E[R] + W0. */
	ST_FDR_ALPHA_INVESTING = 1
} st_fdr_method;

/* Default initial wealth as a share of alpha: W0 = alpha / 2. */
#define ST_FDR_W0_SHARE 0.5

/* gamma_j = 0.0772 ln(max(j, 2)) / (j e^{sqrt(ln j)}) (Javanmard & Montanari
 * 2018; Ramdas et al. 2017). With this constant sum_{j>=1} gamma_j = 0.97620
 * (the exact normaliser is 0.0790820; scripts/fixtures_fdr.py): below 1, as
 * FDR control requires, and 2.4% conservative. */
#define ST_FDR_GAMMA_C 0.0772

typedef struct st_fdr st_fdr;

/* A new procedure before its first test. alpha must be in (0, 1) and
 * w0 in (0, alpha] (BG_EINVAL otherwise, also for an unknown method);
 * BG_ENOMEM. The caller owns *out and frees it with st_fdr_free(). */
int st_fdr_new(st_fdr **out, st_fdr_method method, double alpha, double w0);

/* Frees f; NULL is a no-op. */
void st_fdr_free(st_fdr *f);

/* The level alpha_t at which the next test (t = n_tests + 1) will be done.
 * It depends only on the past decisions, never on the coming p-value.
 * LORD++: gamma_t W0 + (alpha - W0) gamma_{t - tau_1}
 *         + alpha sum_{j >= 2} gamma_{t - tau_j}, tau_j the rejections.
 * Alpha-investing: min(W / (1 + t - k), alpha, W / (1 + W)), W the wealth,
 *         k the latest rejection (0 before the first).
 * In [0, alpha]. Can't fail. */
double st_fdr_level(const st_fdr *f);

/* Tests p at st_fdr_level(f): rejects when p <= alpha_t (so p = 0 is
 * rejected even at a level of 0). Sets *rejected (required) to 1 or 0 and,
 * when level is not NULL, *level to alpha_t -- the level to put in the
 * ledger -- then moves f on by one test. Alpha-investing's wealth W,
 * W0 at the start, becomes W + alpha on a rejection (pay-out omega = alpha),
 * else W - alpha_t / (1 - alpha_t).
 * p outside [0, 1] or NaN: BG_EDOMAIN; BG_ENOMEM. On error f is unchanged
 * and nothing is written. */
int st_fdr_record(int *rejected, double *level, st_fdr *f, double p);

/* gamma_j of ST_FDR_GAMMA_C, j >= 1 (0 for j = 0). Can't fail. */
double st_fdr_gamma(size_t j);

/* Holm's step-down procedure (Holm 1979), controlling the family-wise error
 * rate at alpha: with p sorted, p_(i) is rejected while
 * p_(k) <= alpha / (n - k + 1) for every k <= i. Adjusted p-values
 * min(1, max_{k <= i} (n - k + 1) p_(k)), in the input order, as
 * statsmodels' multipletests(method='holm'). n >= 1 (BG_EDOMAIN), every p in
 * [0, 1] (BG_EDOMAIN naming the first bad one), alpha in (0, 1) (BG_EINVAL);
 * BG_ENOMEM. p_adj and reject (n entries each, 1 = rejected) are written
 * only on success; p is not modified and may not overlap them. */
int st_fdr_holm(double *p_adj, int *reject, const double *p, size_t n,
		double alpha);

#endif
