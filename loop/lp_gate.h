/* lp_gate: `benchgate gate` — keep or reject one commit (DESIGN.md, "The
 * decision contract" and "Git safety"). The flow, cheapest veto first:
 *   revisions -> protected paths -> exports and builds -> tests ->
 *   level from LORD++ over the ledger -> training measurement ->
 *   held-out workloads (only after a training KEEP) -> verdict ->
 *   ledger record, note, refs.
 * Nothing is written before the verdict is known, so an interruption leaves
 * the repository as it was. */
#ifndef LP_GATE_H
#define LP_GATE_H

#include "lp_calibration.h"
#include "lp_config.h"
#include "lp_repo.h"
#include "state_ledger.h"
#include "lp_measure.h"
#include "grd_holdout.h"
#include "grd_tests.h"
#include "smp_probe.h"

#include <gsl/gsl_rng.h>

/* The phases of a gate, in order: each is said on stderr as it starts
 * (unless quiet) and timed. */
typedef enum {
	LP_GATE_EXPORT, LP_GATE_BUILD, LP_GATE_TEST, LP_GATE_TRAINING, LP_GATE_HELD_OUT, LP_GATE_RECORD,
	LP_GATE_NPHASES
} lp_gate_phase;

/* "export", "build", "test", "training", "held-out", "record". */
const char *lp_gate_phase_name(lp_gate_phase p);

typedef struct {
	const char *config_path;   /* NULL: benchgate.json of the baseline commit */
	const char *candidate_rev; /* NULL: HEAD */
	const char *baseline_rev;  /* NULL: last KEEP of this branch, else first parent */
	int worktree, apply, json, print_config, reveal_holdout, quiet;
	const char *export_md;     /* --export-markdown FILE ("-": stdout), or NULL */
	int unchanged_ok;          /* --worktree: pass a tree without changes
				    * beyond pi's logged files (a baseline run) */
	unsigned long long seed;
	double max_time;           /* 0: the config's budget */
	smp_executor exec;         /* how workload runs are made; zeroed: really
				    * (never set from the command line; the tests
				    * script run times through it) */
} lp_gate_opts;

/* What one gate found; the outputs (cli/cmd_gate.c, lp_gate_record.c)
 * read it. Zero it and set o before use; release with lp_gate_run_free. */
typedef struct {
	const lp_gate_opts *o;
	lp_repo *repo;
	state_store *state;        /* the repository's benchgate state */
	char *branch;              /* NULL when detached */
	char cand[41], base[41];
	char *cand_dir, *base_dir;
	lp_config *cfg;
	char cfg_hash[41];
	state_ledger *ledger;
	int locked, lock_fd;       /* the repository's gate lock (state_lock) */
	int machine_fd;            /* the machine's (state_machine_lock), when locked */
	int unchanged;             /* --unchanged-ok and nothing to gate: no
				    * measurement, no record */
	double level;              /* alpha_t granted by LORD++ */
	lp_calibration_advice plan; /* from the machine's calibration (may be empty) */
	int planned;               /* plan was asked for */
	size_t test_number;        /* t: this experiment's number in the campaign */
	smp_probe probe;
	smp_pinning *pin;
	int keep;                  /* the verdict */
	char reason[160];          /* "" for KEEP, else e.g. "protected_changed" */
	char *detail;              /* the why, for people (owned) */
	char **touched;            /* protected paths changed */
	size_t ntouched;
	grd_test_result tests;
	long base_count, cand_count;
	int tests_ran;
	lp_measure_result train, hold;
	int measured, hold_ran;
	grd_holdout_verdict hold_verdict; /* when hold_ran */
	unsigned hold_left;
	double elapsed_s;
	char rejected_ref[128];
	char applied[256];         /* what --apply did, for people */
	char base_why[96];         /* how the baseline was chosen, for people */
	int unpinned_by_plan;      /* "pin": "auto" ran unpinned: the calibration
				    * measured pinning noisier here */
	double phase_s[LP_GATE_NPHASES]; /* the time each phase took */
	lp_gate_phase phase;       /* the phase in progress */
	double phase_t0;           /* when it began; 0 before the first */
	int tip;                   /* the candidate is the branch's tip (HEAD) */
} lp_gate_run;

/* Judges g->o's candidate: opens the repository's state, resolves the
 * revisions, exports and builds both, runs the guards and the measurement,
 * and on a verdict appends the ledger record, notes the commit, moves the
 * refs (and applies it with --apply). g->keep and g->reason hold the
 * verdict. Returns 0 for either verdict; BG_EINTR when interrupted (nothing
 * recorded, no ref moved), other BG_E* errors with the message set. */
int lp_gate_judge(lp_gate_run *g, gsl_rng *rng);

/* Loads into g->cfg the configuration a gate would use before knowing the
 * baseline: --config's file, else the working tree's benchgate.json.
 * Errors of lp_config_load and of opening the repository's state. */
int lp_gate_effective_config(lp_gate_run *g);

/* Frees what g holds (not g itself); a zeroed g is fine. */
void lp_gate_run_free(lp_gate_run *g);

/* "KEEP" or "REJECT(reason)" in buf; returns buf. */
const char *lp_gate_verdict(const lp_gate_run *g, char *buf, size_t size);

/* The note a KEEP leaves on its commit, into buf: "benchgate: KEEP against
 * BASE, B/A v [lo, hi]" (B - A for a difference), then suffix (may be ""). */
void lp_gate_keep_note(char *buf, size_t size, const char *base, int difference, double v, double lo, double hi,
		       const char *suffix);

/* The ledger record of g (caller deletes), NULL when out of memory. */
cJSON *lp_gate_record(const lp_gate_run *g);

/* The --json document: the record with the samples (caller frees), NULL
 * when out of memory. */
char *lp_gate_json(const lp_gate_run *g);

#endif
