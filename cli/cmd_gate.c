/* cmd_gate: `benchgate gate` — its options, what it prints, and the exit
 * status of the verdict. The decision itself is loop/lp_gate.c. */
#include "cli.h"
#include "cli_commands.h"
#include "cli_opt.h"
#include "lp_gate.h"
#include "lp_json.h"
#include "bg_file.h"
#include "bg_version.h"
#include "st_rule.h"
#include "bg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt_help gate_help = {
	"gate", "gate [options]",
	"Keeps or rejects a commit of the git repository in the current directory,\n"
	"with the rules of its benchgate.json: tests pass and their count did not\n"
	"drop, no protected path changed, the training workloads are faster beyond\n"
	"noise at the level the campaign's false-discovery control grants, no\n"
	"workload regressed, and the held-out workloads confirm the gain.\n"
	"Builds happen in exports under .git/benchgate/; your working tree, index\n"
	"and branches are left alone (unless --apply).\n",
	"A rejected candidate is always kept reachable under\n"
	"refs/benchgate/rejected/<id>; every decision is appended to\n"
	".git/benchgate/ledger.jsonl and noted on the commit (git log\n"
	"--notes=benchgate).\n"
	"\n"
	"Exit status: 0 KEEP, 1 REJECT, 2 error (nothing changed).\n",
	NULL
};

/* Returns -1 to go on, else the exit code. */
static int parse_args(lp_gate_opts *o, int argc, char **argv)
{
	int seeded = 0, next, rc;
	const cli_opt opts[] = {
		{ CLI_OPT_STRING, "candidate", 'c', &o->candidate_rev, "REV", "the commit to judge (default HEAD)", 0, 0, NULL },
		{ CLI_OPT_STRING, "baseline", 'b', &o->baseline_rev, "REV",
		  "what to compare with (default: the last KEEP in the\n"
		  "ledger of this branch's tip, else the candidate's\n"
		  "first parent; a gate of another commit never sets it;\n"
		  "with --worktree: HEAD)", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "worktree", 'W', &o->worktree, NULL,
		  "judge the uncommitted changes against HEAD instead\n"
		  "(snapshot as a commit on refs/benchgate/worktree;\n"
		  "nothing touched)", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "unchanged-ok", 0, &o->unchanged_ok, NULL,
		  "with --worktree: exit 0 without measuring when the\n"
		  "tree holds no change beyond pi-autoresearch's log\n"
		  "files (its baseline run); nothing is recorded", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "apply", 0, &o->apply, NULL,
		  "act on the verdict: KEEP moves refs/benchgate/baseline\n"
		  "to the candidate; REJECT resets the branch and the\n"
		  "working tree to the baseline, only when the tree has\n"
		  "no uncommitted changes", 0, 0, NULL },
		{ CLI_OPT_STRING, "config", 0, &o->config_path, "FILE", "use FILE instead of the baseline's benchgate.json", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "print-config", 0, &o->print_config, NULL, "print the effective configuration and exit", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "reveal-holdout", 0, &o->reveal_holdout, NULL, "show the held-out workloads' numbers (spoils them)", 0, 0, NULL },
		{ CLI_OPT_DOUBLE, "max-time", 't', &o->max_time, "SEC", "override the config's time budget", 0.001, 1e7, NULL },
		{ CLI_OPT_U64, "seed", 0, &o->seed, "N", "seed of the shuffles", 0, 0, &seeded },
		{ CLI_OPT_SWITCH, "json", 0, &o->json, NULL, "the result as JSON on stdout", 0, 0, NULL },
		{ CLI_OPT_STRING, "export-markdown", 0, &o->export_md, "FILE",
		  "the verdict, why, and the per-workload table as\n"
		  "markdown, for a pull request's comment", 0, 0, NULL },
		{ CLI_OPT_SWITCH, "quiet", 'q', &o->quiet, NULL, "no progress, no warnings", 0, 0, NULL },
		CLI_END
	};

	memset(o, 0, sizeof(*o));
	if ((rc = cli_opt_parse(&next, opts, &gate_help, argc, argv)) >= 0)
		return rc;
	if (next < argc)
		return cli_opt_usage_error(&gate_help, "unexpected argument \"%s\"", argv[next]);
	if (o->worktree && o->candidate_rev)
		return cli_opt_usage_error(&gate_help, "--worktree and --candidate exclude each other");
	if (o->unchanged_ok && !o->worktree)
		return cli_opt_usage_error(&gate_help, "--unchanged-ok goes with --worktree");
	o->seed = cli_seed(seeded, o->seed);
	return -1;
}

/* "3% (lower)": how much a secondary metric may worsen, and which way is
 * better. */
static const char *sec_bound(const lp_measure_sec *s)
{
	static char buf[40];

	snprintf(buf, sizeof(buf), "%.3g%% (%s is better)", s->max_regression * 100, s->lower_is_better ? "lower" : "higher");
	return buf;
}

/* One effect's numbers: a ratio to 4 decimals, a difference to 4 digits. */
static void put_effect(FILE *f, const st_effect *e)
{
	if (e->difference)
		fprintf(f, "%9.4g  [%.4g, %.4g]  %9.2g", e->ratio, e->lo, e->hi, e->p_value);
	else
		fprintf(f, "%9.4f  [%.4f, %.4f]  %9.2g", e->ratio, e->lo, e->hi, e->p_value);
}

static void print_workloads(FILE *f, const lp_measure_result *m, const char *title)
{
	const char *what = m->aggregate.difference ? "B - A" : "B/A";

	fprintf(f, "\n%-24s %9s  %-21s %9s\n", title, what, "interval", "p");
	for (size_t w = 0; w < m->nwl; w++) {
		fprintf(f, "  %-22s ", m->wl[w].name);
		put_effect(f, &m->wl[w].effect);
		fprintf(f, "%s\n", m->wl[w].regressed ? "  regressed" : "");
	}
	fprintf(f, "  %-22s ", "(weighted aggregate)");
	put_effect(f, &m->aggregate);
	fprintf(f, "\n");
	if (st_rule_far_shown(&m->aggregate))
		fprintf(f, m->aggregate.difference ? "  (few rounds: the aggregate's set also holds B - A <= %.4g and >= %.4g)\n"
						   : "  (few rounds: the aggregate's set also holds B/A <= %.4f and >= %.4f)\n",
			m->aggregate.far_lo, m->aggregate.far_hi);
	if (m->nsec)
		fprintf(f, "\n%-24s %9s  %-21s %9s\n", "secondary metrics", "B/A", "may worsen by", "p");
	for (size_t k = 0; k < m->nsec; k++) {
		const lp_measure_sec *s = &m->sec[k];

		fprintf(f, "  %-22s %9.4f  %-21s %9.2g%s%s\n", s->name, s->ratio, sec_bound(s), s->p_regress,
			s->exact ? "  exact" : "", s->regressed ? "  worse" : "");
	}
}

/* What the calibration planned for this decision. */
static void print_plan(FILE *f, const lp_gate_run *g)
{
	if (g->cfg->duel) {
		fprintf(f, "  effect: a duel, both seatings every round: B - A is B's score as P1 minus A's; B's share of "
			"the points is 0.5 + (B - A) / 2 (the betting sequence); no plan\n");
		return;
	}
	if (g->cfg->metric_ranged) {
		fprintf(f, "  effect: difference B - A, %s in metric.range [%g, %g] (the betting sequence); no plan: a "
			"calibration measures ratios\n", g->cfg->metric, g->cfg->metric_lo, g->cfg->metric_hi);
		return;
	}
	if (g->cfg->metric_difference) {
		fprintf(f, "  effect: difference B - A in %s's units (metric.effect); no plan: a calibration measures ratios\n",
			g->cfg->metric);
		return;
	}
	if (!g->planned || g->plan.path == NULL) {
		fprintf(f, "  plan: no calibration of this machine (run 'benchgate calibrate --config benchgate.json')\n");
		return;
	}
	if (isfinite(g->plan.seconds))
		fprintf(f, "  plan: ~%.0f rounds, ~%.0f s to detect %.3g%% at this level (calibration %s)\n",
			g->plan.rounds, g->plan.seconds, g->cfg->min_effect * 100, g->plan.path);
	else if (isfinite(g->plan.rounds))
		fprintf(f, "  plan: ~%.0f rounds to detect %.3g%% at this level (calibration %s)\n",
			g->plan.rounds, g->cfg->min_effect * 100, g->plan.path);
	else
		fprintf(f, "  plan: %.3g%% is not detectable within an hour here (calibration %s)\n",
			g->cfg->min_effect * 100, g->plan.path);
	if (g->unpinned_by_plan)
		fprintf(f, "  pinning: none (\"pin\": \"auto\"): the calibration measured pinned rounds %.2fx as noisy "
			"as unpinned ones here\n", g->plan.pin_ratio);
}

/* "  time: export 0.1 s, build 2.0 s, ..." for the phases that ran. */
static void print_phases(FILE *f, const lp_gate_run *g)
{
	const char *sep = "  time: ";
	double total = 0;

	for (int p = 0; p < LP_GATE_NPHASES; p++)
		if (g->phase_s[p] > 0) {
			fprintf(f, "%s%s %.1f s", sep, lp_gate_phase_name((lp_gate_phase)p), g->phase_s[p]);
			sep = ", ";
			total += g->phase_s[p];
		}
	if (total > 0)
		fprintf(f, " (%.1f s in all)\n", total);
}

static void gate_print(FILE *f, const lp_gate_run *g)
{
	char v[200];

	fprintf(f, "%s  %.12s against %.12s%s\n", lp_gate_verdict(g, v, sizeof(v)), g->cand, g->base,
		g->o->worktree ? " (uncommitted changes)" : "");
	if (!g->keep && g->detail)
		fprintf(f, "  %s\n", g->detail);
	if (g->base_why[0])
		fprintf(f, "  baseline: %s\n", g->base_why);
	if (g->cfg && strcmp(g->cfg->isolation, "none") == 0)
		fprintf(f, "  isolation: none (\"isolation\": \"none\" in benchgate.json): the build and "
			"the tests ran as you, unsandboxed\n");
	if (g->measured)
		fprintf(f, "  level granted %.4g (experiment %zu of the campaign, LORD++ at alpha %.3g); %u rounds in %.1f s, stopped: %s\n",
			g->level, g->test_number, g->cfg->alpha, g->train.rounds, g->train.elapsed_s, g->train.stopped);
	if (g->measured)
		print_plan(f, g);
	print_phases(f, g);
	if (g->tests_ran && g->cand_count >= 0 && g->base_count >= 0)
		fprintf(f, "  tests: %s, %ld in the candidate, %ld in the baseline\n",
			g->tests.passed ? "pass" : "FAIL", g->cand_count, g->base_count);
	else if (g->tests_ran)
		fprintf(f, "  tests: %s\n", g->tests.passed ? "pass" : "FAIL");
	for (size_t i = 0; i < g->ntouched; i++)
		fprintf(f, "  protected path changed: %s\n", g->touched[i]);
	if (g->hold_ran)
		fprintf(f, "  held-out workloads: %s (%u failure%s left in the budget)\n",
			g->hold_verdict == GRD_HOLDOUT_PASS ? "pass"
			: g->hold_verdict == GRD_HOLDOUT_OVERFIT ? "FAIL (overfit)" : "UNDECIDED",
			g->hold_left, g->hold_left == 1 ? "" : "s");
	if (g->measured)
		print_workloads(f, &g->train, "training workloads");
	if (g->measured && g->cfg->duel)
		fprintf(f, "  (B's share of the points: %.4f [%.4f, %.4f])\n", 0.5 + g->train.aggregate.ratio / 2,
			0.5 + g->train.aggregate.lo / 2, 0.5 + g->train.aggregate.hi / 2);
	if (g->hold_ran && g->o->reveal_holdout)
		print_workloads(f, &g->hold, "held-out (revealed)");
	if (g->applied[0])
		fprintf(f, "\napplied: %s\n", g->applied);
	else if (g->rejected_ref[0])
		fprintf(f, "\nthe candidate stays reachable at %s\n", g->rejected_ref);
}

static int print_config(lp_gate_run *g)
{
	char *text;
	int error;

	if ((error = lp_gate_effective_config(g)) < 0)
		return error;
	if ((text = lp_config_to_json(g->cfg)) == NULL)
		return bg_error_nomem();
	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
	return 0;
}

/* ---- markdown (--export-markdown) -------------------------------------- */

static void md_workloads(FILE *f, const lp_measure_result *m, const char *title)
{
	fprintf(f, "\n| %s | %s | interval | p | |\n|:---|---:|:---|---:|:---|\n", title,
		m->aggregate.difference ? "B − A" : "B/A");
	for (size_t w = 0; w < m->nwl; w++) {
		const st_effect *e = &m->wl[w].effect;

		fprintf(f, e->difference ? "| `%s` | %.4g | [%.4g, %.4g] | %.2g | %s |\n" : "| `%s` | %.4f | [%.4f, %.4f] | %.2g | %s |\n",
			m->wl[w].name, e->ratio, e->lo, e->hi, e->p_value, m->wl[w].regressed ? "regressed" : "");
	}
	fprintf(f, m->aggregate.difference ? "| **weighted aggregate** | **%.4g** | [%.4g, %.4g] | %.2g | |\n"
					   : "| **weighted aggregate** | **%.4f** | [%.4f, %.4f] | %.2g | |\n",
		m->aggregate.ratio, m->aggregate.lo, m->aggregate.hi, m->aggregate.p_value);
	if (m->nsec)
		fprintf(f, "\n| secondary metric | B/A | may worsen by | p | |\n|:---|---:|:---|---:|:---|\n");
	for (size_t k = 0; k < m->nsec; k++)
		fprintf(f, "| `%s` | %.4f | %s | %.2g | %s%s |\n", m->sec[k].name, m->sec[k].ratio, sec_bound(&m->sec[k]),
			m->sec[k].p_regress, m->sec[k].exact ? "exact " : "", m->sec[k].regressed ? "**worse**" : "");
}

/* The guards' outcome, one bullet each. */
static void md_facts(FILE *f, const lp_gate_run *g)
{
	if (g->measured)
		fprintf(f, "- level granted %.4g (experiment %zu of the campaign, LORD++ at alpha %.3g); %u rounds in "
			"%.1f s, stopped: %s\n", g->level, g->test_number, g->cfg->alpha, g->train.rounds,
			g->train.elapsed_s, g->train.stopped);
	if (g->tests_ran && g->cand_count >= 0 && g->base_count >= 0)
		fprintf(f, "- tests: %s, %ld in the candidate, %ld in the baseline\n", g->tests.passed ? "pass" : "**FAIL**",
			g->cand_count, g->base_count);
	else if (g->tests_ran)
		fprintf(f, "- tests: %s\n", g->tests.passed ? "pass" : "**FAIL**");
	for (size_t i = 0; i < g->ntouched; i++)
		fprintf(f, "- protected path changed: `%s`\n", g->touched[i]);
	if (g->hold_ran)
		fprintf(f, "- held-out workloads: %s\n", g->hold_verdict == GRD_HOLDOUT_PASS ? "pass"
			: g->hold_verdict == GRD_HOLDOUT_OVERFIT ? "**FAIL** (overfit)" : "undecided");
	if (g->cfg && strcmp(g->cfg->isolation, "none") == 0)
		fprintf(f, "- isolation: none: the build and the tests ran unsandboxed\n");
}

static char *gate_markdown(const lp_gate_run *g)
{
	char v[200], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	if (g->unchanged)
		fprintf(f, "### benchgate: UNCHANGED\n\nNo change against `%.12s` beyond pi-autoresearch's log files: "
			"nothing to gate.\n", g->base);
	else {
		fprintf(f, "### benchgate: %s\n\n`%.12s` against `%.12s`%s", lp_gate_verdict(g, v, sizeof(v)), g->cand,
			g->base, g->o->worktree ? " (uncommitted changes)" : "");
		if (g->base_why[0])
			fprintf(f, " — baseline: %s", g->base_why);
		fprintf(f, "\n");
		if (!g->keep && g->detail)
			fprintf(f, "\n> %s\n", g->detail);
		if (g->measured)
			md_workloads(f, &g->train, "training workload");
		fprintf(f, "\n");
		md_facts(f, g);
	}
	fprintf(f, "\n<sub>benchgate %s · %s (%s is better) · machine `%s` (%s, %d PUs) · seed %llu</sub>\n",
		BG_VERSION, g->cfg ? g->cfg->metric : "-", g->cfg && !g->cfg->lower_is_better ? "higher" : "lower",
		g->probe.fingerprint, g->probe.cpu_model, g->probe.pus, g->o->seed);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int export_markdown(const lp_gate_run *g)
{
	char *text;
	int error;

	if (g->o->export_md == NULL)
		return 0;
	if ((text = gate_markdown(g)) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory writing %s", g->o->export_md);
	error = bg_file_write_atomic(g->o->export_md, text);
	free(text);
	return error;
}

/* --unchanged-ok with nothing to gate. */
static void print_unchanged(const lp_gate_run *g)
{
	cJSON *doc;
	char *text;

	if (!g->o->json) {
		printf("UNCHANGED  the working tree holds no change against HEAD %.12s beyond pi-autoresearch's log "
		       "files: nothing to gate (--unchanged-ok), nothing recorded\n", g->base);
		return;
	}
	doc = lp_json_doc_new();
	cJSON_AddStringToObject(doc, "verdict", "UNCHANGED");
	cJSON_AddStringToObject(doc, "candidate", g->cand);
	cJSON_AddStringToObject(doc, "baseline", g->base);
	if ((text = cJSON_Print(doc)) != NULL)
		puts(text);
	free(text);
	cJSON_Delete(doc);
}

static void print_result(const lp_gate_run *g)
{
	char *text;

	if (g->unchanged) {
		print_unchanged(g);
		return;
	}
	if (!g->o->json) {
		gate_print(stdout, g);
		return;
	}
	if ((text = lp_gate_json(g)) != NULL)
		puts(text);
	free(text);
}

int cli_cmd_gate(int argc, char **argv)
{
	lp_gate_opts o;
	lp_gate_run g;
	gsl_rng *rng;
	int rc = parse_args(&o, argc, argv), error;

	if (rc >= 0)
		return rc;
	memset(&g, 0, sizeof(g));
	g.o = &o;
	if (o.print_config) {
		error = print_config(&g);
		lp_gate_run_free(&g);
		return error < 0 ? cli_error("gate: %s", bg_error_last()) : CLI_EXIT_OK;
	}
	if ((rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return cli_error("out of memory");
	gsl_rng_set(rng, (unsigned long)o.seed);
	if ((error = lp_gate_judge(&g, rng)) < 0) {
		rc = cli_error("gate: %s", bg_error_code() == BG_EINTR ?
			       "interrupted: nothing was recorded and no ref moved" : bg_error_last());
	} else {
		print_result(&g);
		rc = g.keep || g.unchanged ? CLI_EXIT_OK : CLI_EXIT_FAIL;
		if (export_markdown(&g) < 0)
			rc = cli_error("gate: the verdict stands (it is recorded) but %s", bg_error_last());
	}
	lp_gate_run_free(&g);
	gsl_rng_free(rng);
	return rc;
}
