/* lp_calibration: the calibration of a machine — what `benchgate calibrate`
 * measured (the report its outputs print), the file it is kept in, and the
 * advice `benchgate gate` takes from that file.
 *
 * Where the file lives is the state module's business
 * (state_calibration_path): inside a git repository, <gitdir>/benchgate/
 * calibration.json; elsewhere the cache's calibration-<fingerprint>.json.
 * Its content is the JSON report of calibrate
 * (`benchgate calibrate --json` prints the same document): at least
 * machine.fingerprint, date ("YYYY-MM-DDTHH:MM:SSZ"), settings.metric, and
 * per workload its name, round_seconds (one A/A round, both runs and the
 * harness) and d (the paired log-differences ln B - ln A of its A/A rounds,
 * in the pinning gate uses). */
#ifndef LP_CALIBRATION_H
#define LP_CALIBRATION_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "smp_pin.h"
#include "smp_probe.h"
#include "smp_serve.h"
#include "st_calib.h"
#include "state.h"
#include "lp_config.h"

/* Where `make install` puts the bundled calibration workloads (the
 * Makefile passes the PREFIX it installs to); calibrate looks there last. */
#ifndef LP_CORPORA_DIR
#define LP_CORPORA_DIR "/usr/local/libexec/benchgate"
#endif

#define LP_CALIBRATION_MAX_AGE_S (7.0 * 24 * 3600)  /* older: warn */
#define LP_CALIBRATION_POWER 0.8                    /* power of every MDE */
#define LP_CALIBRATION_CAP_S 3600.0                 /* "more than an hour" */

/* ---- the report of one calibration run (lp_calibrate.c fills it) ------ */

enum { LP_CHECK_OK = 0, LP_CHECK_WARN = 1, LP_CHECK_INFO = 2 };

#define LP_CALIB_MAX_CHECKS 12
#define LP_CALIB_MAX_BUDGETS 4
#define LP_CALIB_NEFFECTS 3

typedef struct {
	const char *key;        /* JSON name: "governor", "turbo", ... (static) */
	const char *label;      /* for people: "frequency governor" (static) */
	int status;             /* LP_CHECK_* */
	char value[200];        /* what was found */
	char fix[256];          /* what to do, "" when nothing */
} lp_calib_check;

/* A/A rounds of one workload in one pinning mode. */
typedef struct {
	int pinned;             /* 1: children bound to a PU */
	size_t rounds;
	double *a, *b, *d;      /* per round: arm A, arm B, ln b - ln a (owned) */
	double *t_min;          /* minutes since the workload's start (owned) */
	double seconds;         /* wall time spent in these rounds */
	double cv_a, cv_b;      /* CV of the runs of each arm */
	double sd_d, mean_d;    /* sd and mean of d */
} lp_calib_series;

typedef struct {
	char *name, *cmd;
	lp_calib_series main;   /* the pinning gate uses (config "pin", default auto) */
	lp_calib_series other;  /* the opposite, for the comparison */
	double round_s;         /* seconds per round of main */
	double run_median;      /* median run, in the metric's unit */
	double lag1_a, lag1_b;  /* lag-1 autocorrelation of each arm (NAN: constant) */
	double outliers;        /* share of runs with |modified z| > 3.5 */
	size_t warmup, ncpts;   /* first change point of the round means (0 none), count */
	double drift;           /* % per minute of the round means (least squares) */
	double span_min;        /* minutes from the first round of main to its last */
	size_t fp_rounds;       /* rounds of a simulated decision: the budget's */
	st_calib_decision aa;   /* the rule on the measured series itself */
	st_calib_fp fp;         /* the rule on simulated A/A decisions */
	double mde[LP_CALIB_MAX_BUDGETS];   /* per budget, INFINITY: beyond 50% */
	double ttd[LP_CALIB_NEFFECTS];      /* seconds, INFINITY: beyond ttd_cap_s */
	double ttd_cap_s;       /* seconds simulated for ttd: an hour, or less for
				 * very short rounds (100,000 rounds at most) */
} lp_calib_workload;

typedef struct {
	/* settings */
	double time_s;          /* --time */
	double budget_s;        /* seconds per decision of the verdict */
	size_t max_rounds;      /* cap on a decision's rounds, 0 none (config) */
	double alpha, min_effect, rho;
	const char *metric;
	const char *metric_regex;   /* NULL, or the config's metric.regex */
	int metric_aggregate;       /* the config's metric.aggregate (smp_aggregate) */
	int lower_is_better;
	unsigned min_rounds, warmup;
	size_t sims, power_sims;
	unsigned long long seed;
	const char *source;     /* "bundled", "config" or "commands" */
	int timed_inside;       /* the config's workloads run in a gate's sandbox,
				 * timed inside it (smp_timer_executor) */
	smp_server server;      /* that sandbox's run server, as a gate's arm has */
	const char *config_path, *corpora_dir;  /* NULL when not used */
	const char *pin_spec;   /* the pinning of the pinned rounds */
	int main_pinned;        /* 1 unless the config says "pin": "none" */
	double budgets[LP_CALIB_MAX_BUDGETS];
	size_t nbudgets;
	size_t budget_index;    /* budgets[budget_index] == budget_s */
	double effects[LP_CALIB_NEFFECTS];
	/* the machine */
	smp_probe probe;
	double steal;           /* steal share over the run, -1 unknown */
	lp_calib_check checks[LP_CALIB_MAX_CHECKS];
	size_t nchecks;
	smp_pinning *pin;       /* owned */
	/* results */
	lp_calib_workload *wl;  /* owned */
	size_t nwl;
	st_calib_fp fp_all;     /* every workload's simulated decisions pooled */
	double mde_worst[LP_CALIB_MAX_BUDGETS];
	double level_first;     /* LORD++'s level for a campaign's first experiment */
	double mde_first;       /* worst MDE at budget_s for the rule at level_first */
	int fit;                /* 1 when the verdict is "fit to gate ..." */
	double fit_effect;      /* the smallest change it is fit to gate, or INFINITY */
	char verdict[600];
	char date[32];
	char *saved_to;         /* owned; NULL with --no-save */
	double elapsed_s;
	int interrupted;
} lp_calib_report;

/* Releases everything the report owns; NULL is a no-op. */
void lp_calib_report_clear(lp_calib_report *r);

/* The JSON document (also the calibration file); NULL when out of memory.
 * The caller cJSON_Deletes it. */
cJSON *lp_calibrate_json(const lp_calib_report *r);

/* ---- the file --------------------------------------------------------- */

/* One workload of a loaded calibration. */
typedef struct {
	char *name;
	double round_s;         /* seconds per A/A round */
	double sd_d;
	double pin_ratio;       /* sd of d pinned / unpinned; NaN when not measured */
	double *d;              /* the A/A paired log-differences */
	size_t n;
} lp_calibration_wl;

typedef struct {
	char *path;
	char fingerprint[17];
	char date[32];
	time_t when;            /* date as a time, -1 when it cannot be read */
	char *metric;
	lp_calibration_wl *wl;
	size_t nwl;
} lp_calibration;

/* Reads a calibration file. BG_ENOTFOUND when it does not exist, BG_ESYS,
 * BG_EPARSE naming the path and the field when it is not a calibration
 * (no fingerprint, a workload without name, round_seconds > 0 or at
 * least 2 finite d), BG_ENOMEM. *out is the caller's
 * (lp_calibration_free). */
int lp_calibration_load(lp_calibration **out, const char *path);

/* Frees c; NULL is a no-op. */
void lp_calibration_free(lp_calibration *c);

/* ---- what gate takes from it ------------------------------------------ */

typedef struct {
	const state_store *state;     /* the repository's state, or NULL outside one */
	const smp_probe *probe;       /* this machine: its fingerprint */
	const char *const *workloads; /* names of the training workloads */
	const double *weights;        /* their weights; NULL: equal */
	size_t nworkloads;            /* >= 1 */
	const char *metric;           /* the gate's metric; NULL: not compared */
	int lower_is_better;
	double min_effect;            /* the effect to plan for, in (0, 1) */
	double alpha;                 /* the level of this decision (LORD++'s alpha_t) */
	double budget_s;              /* the gate's time budget, > 0 */
	unsigned min_rounds;          /* the gate's min_rounds (0 counts as 1) */
	double round_s;               /* seconds of one gate round if known, else 0 */
	time_t now;                   /* time(NULL), or a fixed time in tests */
} lp_calibration_query;

typedef struct {
	char *warnings;         /* NULL, or lines each ending in '\n' (owned) */
	char *path;             /* the calibration used (owned), NULL when none */
	size_t matched;         /* training workloads found by name in it */
	double rounds;          /* planned rounds; INFINITY: not within an hour; NAN: unknown */
	double seconds;         /* planned seconds; INFINITY or NAN likewise */
	double pin_ratio;       /* geometric mean of the matched workloads'
				 * pinned / unpinned sd; NaN when unknown */
} lp_calibration_advice;

/* Above this pinned / unpinned sd, "pin": "auto" runs a gate unpinned:
 * on this machine pinning measured noisier. */
#define LP_CALIBRATION_PIN_WORSE 1.10

/* The advice for one gate decision. Finds the calibration: the
 * repository's file when it is from this machine, else the cache file of
 * this machine's fingerprint, else the repository's file from another
 * machine. Warns (one line each, with what to do) when there is none, when
 * it is from another machine, when it is older than 7 days or its date
 * cannot be read, when its metric is not the gate's, when workloads are
 * missing from it and round_s is 0, and when the planned time exceeds
 * budget_s.
 *
 * The plan: the rounds after which the gate's rule (st_calib_rule at
 * q->alpha, st_rule.h's tuning, q->min_effect, q->min_rounds) detects a
 * gain of min_effect in 80% of 400 simulated decisions (st_calib, seed
 * fixed so the plan is reproducible), each simulated round drawing the A/A
 * differences of the training workloads found in the calibration (by name,
 * with their weights); when none is found, of the calibration's noisiest
 * workload. Seconds = rounds x (the calibrated round times summed when
 * every workload was found, else q->round_s, else unknown). Simulation is
 * capped at an hour of rounds (INFINITY beyond).
 *
 * Returns 0 whenever it could advise, even with no calibration (then only
 * a warning and NAN plans); BG_EINVAL for a bad query, BG_ENOMEM; a
 * calibration file that cannot be read or parsed is a warning, not an
 * error. *out is written only on success and released with
 * lp_calibration_advice_clear(). */
int lp_calibration_advise(lp_calibration_advice *out, const lp_calibration_query *q);

/* Frees what the advice owns and zeroes it; NULL is a no-op. */
void lp_calibration_advice_clear(lp_calibration_advice *a);

#endif
