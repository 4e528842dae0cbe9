/* st_changepoint: change points in a series of measurements.
 *
 * PELT (Killick, Fearnhead & Eckley, JASA 2012), offline (the whole series
 * at once): the segmentation that minimises the sum of segment costs plus a
 * penalty per change point, found exactly in (for series with changes)
 * near-linear time. The costs are those of R's changepoint package: a normal
 * segment with its own mean and variance (cpt.meanvar, test.stat =
 * "Normal"), or with its own mean and a variance known for the whole series
 * (cpt.mean, "Normal"). This is the warm-up detector of Barrett et al.
 * (OOPSLA 2017): penalty 15 ln n.
 *
 * Locations follow R's cpts(): a change point tau is the number of values
 * before it, so the segments are x[0..tau_1-1], x[tau_1..tau_2-1], ...; a
 * warm-up of 10 values is reported as 10. Results are allocated by the
 * function and released with their _free(), which accepts NULL. */
#ifndef ST_CHANGEPOINT_H
#define ST_CHANGEPOINT_H

#include <stddef.h>

typedef enum {
	/* Normal, own mean and variance per segment. Cost of a segment of
	 * length l with MLE variance s2: l (ln 2pi + ln(s2 + f) + 1), twice the
	 * negative maximised log-likelihood. f = ST_PELT_VAR_FLOOR times the
	 * variance of the whole series keeps a segment of equal values finite
	 * (R floors s2 at 1e-11 instead; adding f rather than taking max(s2, f)
	 * keeps the cost superadditive, so pruning stays exact). */
	ST_PELT_MEANVAR = 0,
	/* Normal, own mean per segment, variance sigma2 known: cost
	 * sum (x - segment mean)^2 / sigma2. R's cpt.mean assumes sigma2 = 1. */
	ST_PELT_MEAN = 1
} st_pelt_model;

#define ST_PELT_VAR_FLOOR 1e-11

typedef struct {
	st_pelt_model model;
	double penalty;    /* beta > 0 per change point; see st_pelt_penalty_barrett */
	size_t minseglen;  /* shortest segment: >= 2 for MEANVAR, >= 1 for MEAN */
	double sigma2;     /* MEAN only: the known variance, > 0 */
} st_pelt_options;

/* MEANVAR with R's default minseglen 2; the penalty must still be set. */
#define ST_PELT_OPTIONS_INIT { ST_PELT_MEANVAR, 0.0, 2, 0.0 }

typedef struct {
	size_t n;          /* length of the series */
	size_t ncpts;      /* number of change points, 0 when none */
	size_t *cpts;      /* ncpts locations, increasing (NULL when ncpts = 0) */
	double cost;       /* the minimum: sum of segment costs + penalty * ncpts */
} st_pelt_result;

/* 15 ln n, the penalty Barrett et al. (OOPSLA 2017) use to find warm-up.
 * Can't fail; for n < 2 it returns 0, which st_pelt rejects. */
double st_pelt_penalty_barrett(size_t n);

/* The optimal segmentation of x[0..n-1] under opts (PELT with the pruning
 * applied only where it is exact for a minimum segment length, so the result
 * equals that of optimal partitioning; ties go to the earliest last change).
 * On success *out is a new result owned by the caller. Errors, *out
 * untouched: BG_EINVAL for NULL opts, an unknown model, a penalty that is not
 * finite and > 0, minseglen below the model's minimum, sigma2 not finite and
 * > 0 for MEAN; BG_EDOMAIN for n = 0, a non-finite value, n < 2 minseglen,
 * or (MEANVAR) all values equal; BG_ENOMEM. */
int st_pelt(st_pelt_result **out, const double *x, size_t n,
	    const st_pelt_options *opts);

void st_pelt_result_free(st_pelt_result *r);

/* A variance for ST_PELT_MEAN that mean shifts do not inflate: the squared
 * normal-scaled MAD of the first differences, halved
 * ((1.4826 MAD(diff x))^2 / 2; a difference of two independent N(mu, s2)
 * values has variance 2 s2). BG_EDOMAIN for n < 3, a non-finite value, or a
 * MAD of 0 (at least half the differences equal); *out untouched then. */
int st_pelt_sigma2_diff(double *out, const double *x, size_t n);

#endif
