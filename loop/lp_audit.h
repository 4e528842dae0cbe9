/* lp_audit: `benchgate audit` — re-measuring the wins a campaign kept.
 *
 * A claimed win is a commit that an optimisation loop kept because it looked
 * faster than its parent. Claims come from one of four sources
 * (lp_audit_claims.c): the benchgate ledger (gate records with verdict KEEP,
 * measured against the baseline the record names), a pi-autoresearch log
 * (.auto/log.jsonl or the older autoresearch.jsonl: entries with status
 * "keep", their metric against the previous kept entry of the same segment),
 * a karpathy-style results.tsv (commit, a metric column, status), or every
 * first-parent commit of a range A..B (claimed gain unknown).
 *
 * Each claim is measured afresh (lp_audit.c): both commits exported and
 * built, interleaved rounds on the training workloads and then on the
 * held-out ones, at level alpha / (number of claims) (Bonferroni: each claim
 * is a new confirmatory test), and classified (lp_audit_classify):
 *   REPLICATED      the fresh interval lies on the improvement side and the
 *                   claim is inside it, or smaller, or unknown;
 *   SHRUNK          real but smaller than claimed: the claim lies beyond the
 *                   interval's most favourable bound (the winner's curse);
 *   NOT_REPLICATED  decided against: the interval lies inside the
 *                   +-min_effect band, or reaches no change while it
 *                   excludes the claim and every gain worth keeping
 *                   (>= min_effect);
 *   UNDECIDED       not enough data: the interval holds both no gain and
 *                   the claim (a gain worth keeping, when the claim is
 *                   unknown), or training replicates and the held-out
 *                   workloads did not decide; never worth reverting;
 *   OVERFIT         training replicates, the held-out workloads exclude
 *                   the gain's share they must keep (grd_holdout_judge);
 *   BUILD_FAILED    the commit or its parent no longer builds or runs;
 *   MISSING         the commit no longer exists in the repository.
 * Flags: the commit touched a protected path; its test count dropped.
 *
 * Nothing is written but exports under .git/benchgate/exports and the test
 * count cache: not the working tree, index, refs, ledger or holdout seal. */
#ifndef LP_AUDIT_H
#define LP_AUDIT_H

#include <gsl/gsl_rng.h>

#include <stddef.h>
#include <stdio.h>

#include "lp_config.h"
#include "lp_repo.h"
#include "lp_measure.h"
#include "grd_holdout.h"
#include "smp_probe.h"
#include "state.h"

/* ---- claims (lp_audit_claims.c) ---------------------------------------- */

typedef enum {
	LP_AUDIT_SRC_LEDGER = 0,
	LP_AUDIT_SRC_PI_LOG,
	LP_AUDIT_SRC_TSV,
	LP_AUDIT_SRC_RANGE
} lp_audit_source;

typedef struct {
	char commit[41];     /* resolved full id ("" when missing) */
	char parent[41];     /* what it is measured against ("" when missing) */
	char given[48];      /* the commit as the source spells it */
	double claimed;      /* claimed ratio B/A in the source's metric; NaN unknown */
	int lower_is_better; /* the claim's direction; -1: the config's */
	size_t line;         /* its line in the source file; 0 for a range */
	char *description;   /* the source's words, or NULL (owned) */
	int missing;         /* 1: the commit or its parent no longer exists */
	size_t kept_again;   /* later keeps of the same commit folded in (pi) */
	size_t kept_again_line; /* the first of them */
} lp_audit_claim;

/* One measured gate decision of the ledger, for the change points. */
typedef struct {
	size_t seq;          /* the record's "seq" (its line when absent) */
	char candidate[41];
	double ratio;        /* its training aggregate B/A */
	int kept;
} lp_audit_point;

typedef struct {
	lp_audit_source kind;
	char *path;            /* the file read, or the range as given */
	char *metric;          /* the source's metric name; NULL when it has none */
	lp_audit_claim *claims;  /* oldest first */
	size_t nclaims;
	lp_audit_point *series;  /* ledger only: every measured gate record */
	size_t nseries;
	char **warnings;       /* entries skipped, commits missing: "PATH:LINE: ..." */
	size_t nwarnings;
} lp_audit_claims;

/* The claims of the gate ledger at `path` (.git/benchgate/ledger.jsonl):
 * every record of kind "gate" with verdict "KEEP" is a claim against its
 * "baseline", claimed ratio its training aggregate ratio. A KEEP of the
 * working tree (--worktree) is a claim only when a later "adopt" record
 * (lp_adopt.h) names the commit the loop made of it, which is then the
 * commit measured; one no commit took is dropped with a warning. Unlike
 * state_ledger_open this only reads: a line that is not a JSON object, or a
 * record without a candidate, is skipped with a warning. Errors, *out
 * untouched: BG_ENOTFOUND "no ledger at PATH" when the file does not exist,
 * or when it holds no KEEP; BG_EPARSE when no line of it is JSON; BG_ESYS;
 * BG_ENOMEM. */
int lp_audit_claims_ledger(lp_audit_claims **out, lp_repo *repo, const char *path);

/* The claims of a pi-autoresearch log. A {"type":"config"} line sets the
 * metric (metricName) and direction (bestDirection "lower"/"higher") and,
 * after results, starts a new segment; other typed lines ("hook") are
 * ignored; every other line is an experiment {"commit", "metric",
 * "metrics", "status", "description"}, read as pi reads it: every status
 * but "discard", "crash" and "checks_failed" (a missing one too) is a
 * keep. In each segment the first kept experiment is the baseline; each
 * later keep is a claim against the commit's first parent, claimed ratio
 * its metric over the metric of the kept experiment before it (unknown when
 * either is not > 0). A keep of the commit kept just before (pi logs the
 * commit it had when there was nothing to commit) is no new claim: it is
 * folded into that commit's claim, counted in kept_again, with a warning.
 * `metric` (NULL: the primary "metric") names a key of the experiments'
 * secondary "metrics" instead (the primary when it is the config's
 * metricName). An experiment without a commit or a numeric metric is
 * skipped with a warning naming the file and line. lower_is_better >= 0
 * overrides the direction of the config lines (-1: keep them; "lower"
 * without any).
 * Errors as for the ledger, and BG_ENOTFOUND when no kept experiment
 * follows a baseline. */
int lp_audit_claims_pi_log(lp_audit_claims **out, lp_repo *repo, const char *path,
			   int lower_is_better, const char *metric);

/* The claims of a karpathy-style results.tsv: a header row naming the
 * columns, then one tab-separated row per experiment. Columns "commit" and
 * "status" are required (any case); the metric is `column` when not NULL,
 * else the first column other than commit, status, description and memory*
 * whose value on the first row is a number. Rows as for the pi log (the
 * first kept row is the baseline), lower is better unless lower_is_better
 * is 0. Errors, *out untouched: BG_EINVAL naming the missing column and
 * the columns found; BG_ENOTFOUND (no file, no kept row after the
 * baseline); BG_ESYS; BG_ENOMEM. */
int lp_audit_claims_tsv(lp_audit_claims **out, lp_repo *repo, const char *path,
			const char *column, int lower_is_better);

/* Every first-parent commit after A up to B of range "A..B" (B empty:
 * HEAD), oldest first, each against its first parent, claimed ratio
 * unknown. Errors: BG_EINVAL for a range without "..", an empty range (A
 * is B), or an A that is not on B's first-parent history; BG_ENOTFOUND
 * when A or B names no commit; BG_ENOMEM. */
int lp_audit_claims_range(lp_audit_claims **out, lp_repo *repo, const char *range);

/* Frees c and everything it holds; NULL is a no-op. */
void lp_audit_claims_free(lp_audit_claims *c);

/* ---- judging (lp_audit.c) ------------------------------------------------ */

typedef enum {
	LP_AUDIT_REPLICATED = 0,
	LP_AUDIT_SHRUNK,
	LP_AUDIT_NOT_REPLICATED,
	LP_AUDIT_UNDECIDED,
	LP_AUDIT_OVERFIT,
	LP_AUDIT_BUILD_FAILED,
	LP_AUDIT_MISSING
} lp_audit_status;

/* "REPLICATED", "SHRUNK", ... Never NULL. */
const char *lp_audit_status_name(lp_audit_status s);

/* The relative gain a ratio B/A stands for: 1 - ratio when lower is
 * better, ratio - 1 when higher is; NaN for NaN. */
double lp_audit_gain(double ratio, int lower_is_better);

/* The status of a measured claim (see the header comment). train is the
 * fresh training effect, lower_is_better the config's direction;
 * claimed_gain is the claim as a gain (lp_audit_gain of its ratio in its own
 * direction; NaN unknown); min_effect the smallest gain worth keeping.
 * hold_ran/hold: whether the held-out workloads were measured and what
 * grd_holdout_judge said of them. For SHRUNK, *shrinkage_pct = 100 (1 -
 * fresh gain / claimed gain), else NaN. Pure. */
lp_audit_status lp_audit_classify(double *shrinkage_pct, const st_effect *train, int lower_is_better,
				  double claimed_gain, double min_effect, int hold_ran, grd_holdout_verdict hold);

/* How many more seconds than elapsed_s the measurement of e would likely
 * need to decide between a gain and a gain below `floor` (both as
 * lp_audit_gain), from its observed noise: the interval's half-width
 * shrinks as 1/sqrt(rounds) (a little slower for an anytime-valid one, so
 * this is a lower estimate), and it decides once the half-width is below
 * max(gain, floor - gain). 0 when already that narrow; INFINITY for an
 * unbounded interval. Pure. */
double lp_audit_more_time(const st_effect *e, int lower_is_better, double floor, double elapsed_s);

/* The chain of claims the campaign's totals are over: from the last
 * claim that exists back through each one's parent, when an earlier claim
 * made that commit. on[i] is set to 1 for the claims on it, 0 for the
 * others (a claim measured against a commit no earlier claim made, two
 * claims against one parent, claims out of order). Returns how many are
 * on it; 0 when no claim exists. Pure; can't fail. */
size_t lp_audit_chain(int *on, const lp_audit_claim *claims, size_t n);

/* A step in a series of results (the ledger's measured ratios). */
typedef struct {
	size_t index;        /* the first point after the step */
	double before, after; /* geometric mean ratio of the segments around it */
} lp_audit_step;

/* Change points of the log-ratios of series[0..n-1]: PELT with a normal
 * mean-shift cost (st_pelt, ST_PELT_MEAN), variance from the first
 * differences (st_pelt_sigma2_diff; their sample variance / 2 when their MAD
 * is 0), penalty 2 ln n (Schwarz's criterion: a change point adds a location
 * and a mean, ln n each in the -2 log-likelihood scale). Fewer than 3
 * points, or all equal: no steps (0 returned, *steps NULL). On success
 * *steps (caller frees) holds *n steps; BG_ENOMEM, BG_EDOMAIN for a ratio
 * that is not finite and > 0. */
int lp_audit_changepoints(lp_audit_step **steps, size_t *nsteps, const lp_audit_point *series,
			  size_t n);

/* ---- one run (lp_audit.c), read by the outputs (cli/cmd_audit.c) -------- */

typedef struct {
	const char *config_path;   /* NULL: benchgate.json of the newest claim */
	const char *pi_log, *tsv, *range; /* at most one; none: the ledger */
	const char *metric_column; /* --tsv: the column; --pi-log: a key of metrics{} */
	int direction;             /* -1 the source's, 1 lower, 0 higher */
	const char *export_md;     /* NULL or a file */
	int json, quiet;
	unsigned long long seed;
	double max_time;           /* 0: the default (see benchgate audit --help) */
} lp_audit_opts;

typedef struct {
	const lp_audit_claim *claim;
	lp_audit_status status;
	double claimed_gain;       /* NaN unknown */
	double shrinkage_pct;      /* SHRUNK only, else NaN */
	double more_s;             /* UNDECIDED only: lp_audit_more_time, else NaN */
	char *detail;              /* why, for people; NULL for REPLICATED (owned) */
	char **touched;            /* protected paths changed (NULL-terminated, owned) */
	size_t ntouched;
	long count, parent_count;  /* test counts; -1 unknown */
	int dropped;               /* count < parent_count */
	lp_measure_result train, hold;
	int measured, hold_ran;
	grd_holdout_verdict hold_verdict; /* when hold_ran */
	double elapsed_s;
} lp_audit_result;

typedef struct {
	const lp_audit_opts *o;
	lp_repo *repo;
	state_store *state;
	int locked, machine_fd;   /* the machine's measurement lock (state_machine_lock) */
	lp_audit_claims *claims;
	lp_audit_result *results;  /* one per claim */
	lp_config *cfg;
	char *cfg_from;            /* where the config came from, for people */
	size_t npresent;           /* claims that exist */
	double level;              /* alpha / npresent */
	double budget_s;           /* the whole audit's measuring budget */
	smp_probe probe;
	smp_pinning *pin;
	double claimed_total;      /* product of the chain's claimed ratios; NaN
				    * unless all known */
	int *on_chain;             /* per claim: on the chain (lp_audit_chain) */
	size_t nchain;             /* claims on it */
	int span_measured;         /* first parent -> last commit re-measured */
	const char *span_from, *span_to;
	char *span_note;           /* why it was not measured (owned), or NULL */
	lp_measure_result span;
	lp_audit_step *steps;
	size_t nsteps;
	double elapsed_s;
	size_t nfailed;            /* claims that fail the audit (exit 1) */
} lp_audit_run;

/* Whether a result fails the audit: anything but REPLICATED or SHRUNK, or
 * a flag (protected path touched, tests dropped). */
int lp_audit_result_fails(const lp_audit_result *r);

/* Whether the commit should be reverted: NOT_REPLICATED, OVERFIT,
 * BUILD_FAILED, or flagged. */
int lp_audit_result_revert(const lp_audit_result *r);

/* Re-measures the claims of a->o's source into *a (o set, the rest
 * zeroed): opens the repository's state, reads the claims and the config,
 * then per claim exports and builds it and its parent, checks the guards,
 * measures training and held-out workloads, classifies; then the
 * campaign's span. Nothing outside .git/benchgate/exports is written.
 * Release with lp_audit_run_free, also after a failure. BG_EINTR when
 * interrupted; other BG_E* errors with the message set. */
int lp_audit_remeasure(lp_audit_run *a, gsl_rng *rng);

/* Frees what a holds (not a->o); a zeroed run is fine. */
void lp_audit_run_free(lp_audit_run *a);

#endif
