/* lp_loop: `benchgate loop --agent CMD` — an agent driven through repeated
 * gate decisions. Each iteration writes the last verdict (never held-out
 * numbers) to a small JSON file, runs the agent with that file's path as
 * its last argument, and when it left a new commit (or, with --worktree,
 * uncommitted changes) gates it with --apply in a child `benchgate gate`.
 * An agent that fails, times out or changes nothing is recorded in the
 * ledger (kind "loop") and the loop goes on; three such in a row end it. */
#ifndef LP_LOOP_H
#define LP_LOOP_H

#include <limits.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "lp_repo.h"
#include "state.h"

typedef struct {
	const char *agent;
	unsigned iterations;
	double budget, agent_timeout, max_time;
	int worktree, quiet;
} lp_loop_opts;

typedef struct {
	char decision[200];
	char candidate[16];
	double ratio, lo, hi, seconds;
} lp_loop_row;

typedef struct {
	const lp_loop_opts *o;
	lp_repo *repo;
	state_store *state;
	char *feedback, *ledger, exe[PATH_MAX];
	cJSON *last;          /* the previous gate's verdict, for the agent */
	lp_loop_row *rows;
	size_t nrows;
	unsigned idle;        /* iterations in a row without a gate */
	unsigned iterations;  /* iterations run */
	double elapsed_s;
} lp_loop_run;

/* Runs the loop L->o asks for (L zeroed but for o) in the repository of
 * ".": the iterations until the count, the budget or three idle ones end
 * it; L->rows holds one row per gate, L->iterations and L->elapsed_s what
 * ran. Release with lp_loop_run_free, also after a failure. Errors: a gate
 * that failed (not a REJECT), the repository's state, BG_EINTR. */
int lp_loop_drive(lp_loop_run *L);

/* Frees what L holds (not L->o); a zeroed L is fine. */
void lp_loop_run_free(lp_loop_run *L);

#endif
