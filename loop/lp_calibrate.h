/* lp_calibrate: `benchgate calibrate` — how noisy this machine is for some
 * workloads, whether the decision rule keeps its false-positive promise
 * on that noise, and what it can detect in a given time (the report's
 * content and the calibration file: lp_calibration.h). */
#ifndef LP_CALIBRATE_H
#define LP_CALIBRATE_H

#include <gsl/gsl_rng.h>

#include "lp_calibration.h"
#include "lp_config.h"

/* What `benchgate calibrate` was asked for (cli/cmd_calibrate.c parses it). */
typedef struct {
	const char *config;
	double time_s, budget_s, alpha, min_effect;
	int budget_set, alpha_set, min_effect_set;
	const char *metric;
	int direction;          /* -1 unset, 1 lower is better, 0 higher */
	unsigned long long seed;
	unsigned sims;
	int json, quiet, no_save;
	char **cmds;
	int ncmds;
} lp_calibrate_opts;

/* Calibrates into *r (zeroed) as o asks: the workloads (o->config's,
 * loaded into *cfg; o->cmds; else the bundled ones, found in a directory
 * put in *corpora), their A/A rounds within o->time_s, the statistics,
 * the checks, the verdict. The caller frees *cfg, *corpora and r
 * (lp_calib_report_clear), also after a failure. Nothing is written.
 * BG_EINTR when interrupted, BG_EUNSUPPORTED (counters unreadable),
 * errors of lp_config_load and the runner. */
int lp_calibrate_measure(lp_calib_report *r, lp_config **cfg, char **corpora,
			 const lp_calibrate_opts *o, gsl_rng *rng);

/* Writes r as the calibration file: .git/benchgate/calibration.json
 * inside a repository, else the user cache by fingerprint
 * (state_calibration_path); r->saved_to is then the path. Errors of
 * state_open, state_calibration_path, bg_file_write_atomic; BG_ENOMEM. */
int lp_calibrate_save(lp_calib_report *r);

#endif
