/* lp_config: benchgate.json, the configuration at the target repository's
 * root (DESIGN.md "Configuration").
 *
 * The file is parsed with cJSON and checked strictly: an unknown key, a
 * duplicated key, a wrong type, a value out of range or a missing required
 * key is one error naming the file, the key path ("budget.min_rounds",
 * "workloads[1].name"), what was expected and what was found. Every default
 * is filled in, so the effective configuration can be printed
 * (--print-config) and identified by a hash that ignores key order and
 * whitespace. */
#ifndef LP_CONFIG_H
#define LP_CONFIG_H

#include <stddef.h>

/* The file's name at the repository root; always protected. */
#define LP_CONFIG_FILE "benchgate.json"

typedef struct {
	char *name;      /* unique across training and holdout: [A-Za-z0-9_.-]+ */
	char *cmd;       /* non-empty shell command */
	int train;       /* 1 in workloads[], 0 in holdout.workloads[] */
	double weight;   /* > 0, default 1 */
	int duel;        /* "duel": true — the command plays the two arms'
	                  * builds against each other (lp_config.c) */
} lp_workload;

/* A secondary metric: measured on the same runs as the primary, a guard
 * that must not get worse by more than max_regression. */
typedef struct {
	char *name;                 /* built-in or METRIC name, not the primary */
	int lower_is_better;        /* "direction", default lower */
	double max_regression;      /* [0, 1), default the config's (0.02 when
				     * the primary is a difference) */
} lp_secondary;

typedef struct {
	char *path;                 /* file it came from (for messages) */
	char *build;                /* NULL: nothing to build */
	char *test_cmd;             /* NULL: no test gate */
	char *test_count;           /* NULL, "cmocka", "tap", "pytest", "passed",
				     * or "regex:<POSIX ERE with one group>" */
	char *metric;               /* built-in name or a METRIC name */
	char *metric_regex;         /* NULL, or an ERE with one group that reads
				     * the metric from lines without METRIC */
	int metric_aggregate;       /* smp_aggregate: several values in one run */
	int metric_difference;      /* metric.effect "difference" (else "ratio"):
				     * min_effect and max_regression in its units */
	int metric_ranged;          /* metric.range given (it implies difference) */
	int duel;                   /* the training workloads are duels: the metric
				     * is P1's score in [0, 1], min_effect and
				     * max_regression on B's share of the points */
	double metric_lo, metric_hi; /* its bounds, lo < hi */
	int lower_is_better;
	lp_secondary *secondary;    /* NULL/0 when there are none */
	size_t nsecondary;
	lp_workload *workloads;     /* training workloads, nworkloads >= 1 */
	size_t nworkloads;
	char *holdout_dir;          /* NULL when there is no holdout */
	lp_workload *holdout;       /* NULL/0 when there is no holdout */
	size_t nholdout;
	char **protected;           /* relative paths or prefixes; always holds
				     * "benchgate.json", exactly once */
	size_t nprotected;
	double alpha;               /* (0, 1), default 0.05 */
	double min_effect;          /* [0, 1), default 0.01; >= 0 with difference */
	double max_regression;      /* [0, 1), default 0.02; >= 0 with difference */
	double generalization;      /* [0, 1], default 0.5 */
	unsigned holdout_budget;    /* >= 1, default 20 */
	double max_seconds;         /* > 0, default 120 */
	unsigned min_rounds;        /* >= 2, default 5 */
	unsigned max_rounds;        /* >= min_rounds, default 500 */
	unsigned warmup;            /* default 2 */
	double run_timeout;         /* per-run timeout in seconds, 0: none */
	char *pin;                  /* "auto" (default), "none" or "C[,H]" */
	char *isolation;            /* "bwrap" (default): the candidate's commands run
				     * sandboxed (smp_sandbox.h); "none": as the user */
} lp_config;

/* Parses and validates the NUL-terminated JSON `text`; `path` names the file
 * in messages (NULL: "benchgate.json"). On success *out is a new config the
 * caller releases with lp_config_free(). On failure *out is untouched and
 * the return is BG_EPARSE (not JSON; the message gives the line), BG_EINVAL
 * (valid JSON, invalid configuration; the message gives the key path) or
 * BG_ENOMEM. */
int lp_config_parse(lp_config **out, const char *text, const char *path);

/* Reads the file at `path` and parses it as lp_config_parse() does.
 * BG_ESYS naming the path and the system's reason when the file cannot be
 * read; otherwise the errors of lp_config_parse(). *out is written only on
 * success. */
int lp_config_load(lp_config **out, const char *path);

/* The effective configuration with every default, as pretty-printed JSON
 * that lp_config_parse() accepts and that yields the same configuration.
 * Keys whose absence means "off" (build, test, test.count, holdout) are
 * left out when off. Caller frees. NULL (BG_ENOMEM set) when out of memory. */
char *lp_config_to_json(const lp_config *c);

/* Writes into out the 40-hex-digit git blob id of the canonical effective
 * configuration (the unformatted JSON of lp_config_to_json's tree), so it
 * changes with any setting and not with key order, whitespace or spelled-out
 * defaults. git_libgit2_init() must have been called. Returns 0, BG_ENOMEM,
 * or BG_EGIT; out is written only on success. */
int lp_config_hash(char out[41], const lp_config *c);

/* Frees c and everything it owns. NULL is a no-op. */
void lp_config_free(lp_config *c);

#endif
