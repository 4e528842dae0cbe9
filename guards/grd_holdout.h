/* grd_holdout: held-out workloads — the seal that proves they did not change
 * between decisions, the budget of failures a reusable holdout may answer,
 * and the pass/fail verdict on a measured held-out effect.
 *
 * The held-out workloads live outside the candidate's tree. On first use
 * every regular file under their directory is hashed (git's blob hash, so
 * `git hash-object FILE` gives the same value) into a seal file, normally
 * .git/benchgate/holdout.seal:
 *
 *   {"dir": "/abs/holdout", "files": {"relpath": "<hex>", ...},
 *    "budget": B, "spent": S, "sealed_at": "2024-05-01T12:00:00Z"}
 *
 * Later uses verify the directory against it. Like a reusable holdout
 * (Dwork et al., "The reusable holdout", Science 2015) the verdict is
 * pass/fail only, and every failure spends one unit of the budget; once it
 * is gone the workloads have leaked too much and must be refreshed. Files
 * are read through symlinks to regular files; symlinked directories are not
 * followed; the seal file itself is skipped should it lie inside the
 * directory. */
#ifndef GRD_HOLDOUT_H
#define GRD_HOLDOUT_H

#include <stddef.h>

/* A verified (or newly written) seal. Fields are read-only for callers. */
typedef struct {
	char *dir;         /* absolute path of the held-out directory (owned) */
	char *sealed_at;   /* ISO 8601 UTC time the seal was written (owned) */
	unsigned budget;   /* failures the holdout may answer before a refresh */
	unsigned spent;    /* failures answered so far */
	size_t nfiles;     /* files sealed */
	int created;       /* 1 when this call wrote the seal */
} grd_seal;

/* Seals dir, or verifies it against an existing seal. Hashes every regular
 * file under dir (git_libgit2_init() must have been called). When seal_path
 * does not exist it is written (budget B, spent 0) and the result has
 * created = 1; when it exists the files must match it exactly, and the
 * seal's own budget and spent count are returned (the budget argument is
 * then ignored: only a reseal changes it). The seal is returned even when
 * its budget is spent: check grd_seal_remaining().
 * Returns 0 with *out owned by the caller (grd_seal_free); BG_ENOTFOUND
 * when dir does not exist; BG_EINVAL when dir is not a directory, or when
 * files changed, were added or are missing (the message names up to 5 and
 * says how to fix it); BG_EPARSE for a seal file that is not a valid seal;
 * BG_EGIT when a file could not be hashed; BG_ESYS, BG_ENOMEM. On failure
 * *out is untouched and no seal is written. */
int grd_holdout_seal(grd_seal **out, const char *dir, const char *seal_path, unsigned budget);

/* Rewrites the seal of dir from scratch (current files, budget B, spent 0)
 * atomically. Returns 0, or the errors of grd_holdout_seal that concern
 * dir and writing; the old seal is left as it was on failure. */
int grd_holdout_reseal(const char *dir, const char *seal_path, unsigned budget);

/* Failures the holdout may still answer (0 when spent >= budget). */
unsigned grd_seal_remaining(const grd_seal *s);

/* Records one held-out failure: the seal file's spent count goes up by one
 * (read back from seal_path, so two handles on one seal do not lose a
 * failure), rewritten atomically, and s is updated. Returns 0; BG_EINVAL
 * "holdout budget exhausted (B of B failures): ..." when none is left
 * (nothing written); BG_EPARSE, BG_ENOTFOUND, BG_ESYS, BG_ENOMEM with s
 * unchanged. */
int grd_seal_spend(grd_seal *s, const char *seal_path);

/* Frees s. Accepts NULL. */
void grd_seal_free(grd_seal *s);

typedef struct {
	int lower_is_better;   /* the metric's direction */
	double train_ratio;    /* training effect, B/A (geometric), > 0 */
	double holdout_ratio;  /* held-out effect, B/A, > 0 */
	double holdout_lo;     /* its confidence interval, 0 < lo <= hi */
	double holdout_hi;
	double generalization; /* g in [0, 1]: the share of the training gain the
	                        * held-out gain must keep */
} grd_holdout_input;

/* What the held-out workloads say of a training gain. */
typedef enum {
	GRD_HOLDOUT_OVERFIT = 0,  /* decided: the interval excludes the share g of
				   * the training gain */
	GRD_HOLDOUT_PASS = 1,
	GRD_HOLDOUT_UNDECIDED = 2 /* neither: not enough held-out data to tell */
} grd_holdout_verdict;

/* The held-out verdict. Gains are -ln(ratio) when lower is better,
 * ln(ratio) when higher is. PASS when the held-out interval reaches the
 * improvement side (lower is better: lo < 1; higher: hi > 1) and held-out
 * gain / training gain >= g. Otherwise OVERFIT when even the interval's
 * most favourable bound is a gain of at most g times the training gain
 * (with g = 0: no gain at all), else UNDECIDED. Pure. Returns BG_EINVAL
 * when a ratio or bound is not a finite positive number, lo > hi, g is
 * outside [0, 1], or the training gain is <= 0 (nothing to confirm). */
int grd_holdout_judge(const grd_holdout_input *in);

/* "pass", "overfit", "undecided"; "unknown" for anything else. */
const char *grd_holdout_verdict_name(grd_holdout_verdict v);

#endif
