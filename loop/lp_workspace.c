/* lp_workspace: exports, builds, test counts and measurement commands shared
 * by gate and audit (see lp_workspace.h). */
#include "lp_workspace.h"
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include "bg_error.h"
#include "bg_strv.h"
#include "bg_file.h"
#include "grd_tests.h"
#include "smp_shell.h"
#include "smp_timer.h"
#include "smp_serve.h"
#include "bg_progress.h"
#include "state_anchor.h"
#include "state_counts.h"
#include "state_ledger.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lp_workspace_open(lp_repo **repo, state_store **st, const char *path)
{
	lp_repo *r = NULL;
	int error;

	if ((error = lp_repo_open(&r, path)) < 0)
		return error;
	if ((error = state_open(st, lp_repo_gitdir(r))) < 0) {
		lp_repo_free(r);
		return error;
	}
	*repo = r;
	return 0;
}

int lp_workspace_export(char **dir, lp_repo *repo, const state_store *st, const char *commit)
{
	int error;

	*dir = NULL;
	if ((error = state_export_dir(dir, st, commit)) < 0)
		return error;
	return lp_repo_export(repo, commit, *dir);
}

/* path without its trailing '/' (but "/" stays). */
static void copy_dir(char *out, size_t size, const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	snprintf(out, size, "%.*s", (int)n, path);
}

static char helper_exe[PATH_MAX];

void lp_workspace_use_exe(const char *path)
{
	snprintf(helper_exe, sizeof(helper_exe), "%s", path);
}

/* benchgate's binary, for the sandbox's helpers: this process's, unless
 * lp_workspace_use_exe named another; NULL when it cannot be found (then
 * no overlay and no timing inside). */
static const char *self_exe(void)
{
	if (helper_exe[0] == '\0' && realpath("/proc/self/exe", helper_exe) == NULL)
		helper_exe[0] = '\0';
	return helper_exe[0] ? helper_exe : NULL;
}

/* What a run of kind may do to its tree: builds write it; tests and
 * workload runs get an overlay each, where this machine can make one
 * (asked once per process), else the tree as before overlays: writable
 * for tests (what they write is then checked: lp_repo_export_changes),
 * read-only for workload runs. */
static smp_tree_mode tree_mode(lp_run_kind kind, const smp_sandbox *sb)
{
	static int works = -1;
	smp_sandbox probe = *sb;
	char why[1024];

	if (kind == LP_RUN_BUILD || kind == LP_RUN_AGENT)
		return kind == LP_RUN_BUILD ? SMP_TREE_WRITABLE : SMP_TREE_READONLY;
	if (works < 0 && sb->exe) {
		probe.mode = SMP_TREE_OVERLAY;
		if (!(works = smp_sandbox_overlay_works(&probe, why, sizeof(why))))
			bg_note(0, "runs cannot have a writable overlay on their tree here (%s); tests write "
				"the export itself and workload runs see it read-only", why);
	}
	if (works > 0 && sb->exe)
		return SMP_TREE_OVERLAY;
	return kind == LP_RUN_TEST ? SMP_TREE_WRITABLE : SMP_TREE_READONLY;
}

const smp_sandbox *lp_workspace_isolation_init(lp_workspace_isolation *iso, lp_run_kind kind,
					       const lp_config *c, lp_repo *repo, const state_store *st,
					       const char *dir)
{
	size_t h = 0, r = 0;
	char *key = NULL;
	int held;

	memset(iso, 0, sizeof(*iso));
	if (strcmp(c->isolation, "none") == 0)
		return NULL;
	copy_dir(iso->at, sizeof(iso->at), lp_repo_workdir(repo));
	held = c->holdout_dir && realpath(c->holdout_dir, iso->holdout) != NULL;
	if (held)   /* a held-out run sees them at SMP_SANDBOX_INPUTS only */
		iso->hide[h++] = iso->holdout;
	if (state_anchor_dir(&key) == 0) {   /* the user's key and anchors */
		snprintf(iso->key, sizeof(iso->key), "%s", key);
		iso->hide[h++] = iso->key;
		free(key);
	}
	if (kind == LP_RUN_AGENT) {
		char gitdir[PATH_MAX - 32];

		copy_dir(gitdir, sizeof(gitdir), lp_repo_gitdir(repo));
		snprintf(iso->refs, sizeof(iso->refs), "%s/refs/benchgate", gitdir);
		snprintf(iso->notes, sizeof(iso->notes), "%s/refs/notes", gitdir);
		iso->readonly[r++] = state_root(st);
		iso->readonly[r++] = iso->refs;
		iso->readonly[r++] = iso->notes;
	} else {
		iso->hide[h++] = state_root(st);
	}
	iso->sb = (smp_sandbox){ .tree = dir, .at = iso->at, .hide = iso->hide, .readonly = iso->readonly,
				 .host = kind == LP_RUN_AGENT,
				 .inputs = held && kind == LP_RUN_HELD_OUT ? iso->holdout : NULL };
	if (kind != LP_RUN_AGENT)
		iso->sb.exe = self_exe();
	iso->sb.mode = tree_mode(kind, &iso->sb);
	return &iso->sb;
}

int lp_workspace_agent_sandbox(const smp_sandbox **sb, lp_workspace_isolation *iso, lp_config **cfg,
			       lp_repo *repo, const state_store *st)
{
	char *text = NULL;
	int error;

	*sb = NULL;
	if ((error = lp_repo_file(&text, repo, "HEAD", LP_CONFIG_FILE)) == 0 &&
	    (error = lp_config_parse(cfg, text, LP_CONFIG_FILE " of HEAD")) == 0 &&
	    (error = lp_workspace_isolation_check(*cfg)) == 0)
		*sb = lp_workspace_isolation_init(iso, LP_RUN_AGENT, *cfg, repo, st, NULL);
	free(text);
	return error;
}

int lp_workspace_isolation_check(const lp_config *c)
{
	static int known = -1;
	static char why[1024];

	if (strcmp(c->isolation, "none") == 0)
		return 0;
	if (known < 0)
		known = smp_sandbox_available(why, sizeof(why));
	return known ? 0 : bg_error_set(BG_EUNSUPPORTED, "%s: \"isolation\": \"bwrap\" needs a sandbox: %s",
					c->path, why);
}

int lp_workspace_build(int *ok, char **tail, const char *build, const char *dir,
		       const smp_sandbox *sb)
{
	smp_shell_result r;
	char *marker = NULL;
	int error;

	*ok = 1;
	if (build == NULL)
		return 0;
	if (asprintf(&marker, "%s/" LP_WORKSPACE_BUILT, dir) < 0)
		return bg_error_nomem();
	if (access(marker, F_OK) == 0) {
		free(marker);
		return 0;
	}
	if ((error = smp_shell_run(&r, build, dir, LP_WORKSPACE_COMMAND_TIMEOUT, sb)) == 0) {
		*ok = r.passed;
		if (r.passed) {
			error = bg_file_write_atomic(marker, "built\n");
		} else {
			*tail = r.tail;
			r.tail = NULL;
		}
		smp_shell_result_clear(&r);
	}
	free(marker);
	return error;
}

int lp_workspace_test_count(long *count, const char *test_cmd, const char *format,
			    const char *dir, const state_store *st, const char *commit,
			    const smp_sandbox *sb)
{
	grd_test_result r;
	long n;
	int error;

	if (state_counts_get(&n, st, commit) == 0) {
		*count = n;
		return 0;
	}
	if ((error = grd_tests_run(&r, test_cmd, dir, format, LP_WORKSPACE_COMMAND_TIMEOUT, sb)) < 0)
		return error;
	n = r.count;
	grd_test_result_clear(&r);
	if (n >= 0 && (error = state_counts_put(st, commit, n)) < 0)
		return error;
	*count = n;
	return 0;
}

lp_measure_opts lp_workspace_measure_opts(const lp_config *c, double alpha, double max_seconds,
					  int quiet, const char *label)
{
	lp_measure_opts m = { 0 };

	m.metric = c->metric;
	m.metric_regex = c->metric_regex;
	m.metric_aggregate = c->metric_aggregate;
	m.difference = c->metric_difference;
	m.ranged = c->metric_ranged;
	m.range_lo = c->metric_lo;
	m.range_hi = c->metric_hi;
	m.secondary = c->secondary;
	m.nsecondary = c->nsecondary;
	m.lower_is_better = c->lower_is_better;
	m.alpha = alpha;
	m.alpha_regress = c->alpha;
	/* a duel's bounds are on B's share of the points, 0.5 + d / 2 */
	m.min_effect = (c->duel ? 2.0 : 1.0) * c->min_effect;
	m.max_regression = (c->duel ? 2.0 : 1.0) * c->max_regression;
	m.warmup = c->warmup;
	m.min_rounds = c->min_rounds;
	m.max_rounds = c->max_rounds;
	m.max_seconds = max_seconds;
	m.run_timeout = c->run_timeout > 0 ? c->run_timeout : max_seconds;
	m.quiet = quiet;
	m.label = label;
	return m;
}

/* cmd with every $BENCHGATE_HOLDOUT and ${BENCHGATE_HOLDOUT} replaced by
 * SMP_SANDBOX_INPUTS; caller frees, NULL when out of memory. */
static char *substitute_inputs(const char *cmd)
{
	static const char *const names[] = { "${BENCHGATE_HOLDOUT}", "$BENCHGATE_HOLDOUT" };
	size_t cap = strlen(cmd) * sizeof(SMP_SANDBOX_INPUTS) + 1, len = 0;
	char *out = malloc(cap);

	while (out && *cmd) {
		size_t k = 0, n = 0;

		for (; k < 2; k++)
			if (strncmp(cmd, names[k], n = strlen(names[k])) == 0 &&
			    (k == 0 || !(isalnum((unsigned char)cmd[n]) || cmd[n] == '_')))
				break;
		if (k < 2) {
			len += (size_t)sprintf(out + len, "%s", SMP_SANDBOX_INPUTS);
			cmd += n;
		} else {
			out[len++] = *cmd++;
		}
	}
	if (out)
		out[len] = '\0';
	return out;
}

int lp_workspace_timed_sandbox(const smp_sandbox **out, lp_workspace_isolation *iso, lp_run_kind kind,
			       const lp_config *c, lp_repo *repo, const state_store *st, const char *dir)
{
	if ((*out = lp_workspace_isolation_init(iso, kind, c, repo, st, dir)) == NULL)
		return 0;
	if (iso->sb.exe == NULL) {
		*out = NULL;
		return bg_error_set(BG_ESYS, "cannot find benchgate's binary (/proc/self/exe)");
	}
	iso->sb.timed = 1;
	return 0;
}

char *lp_workspace_command(const char *dir, const smp_sandbox *sb, const smp_server *srv, const char *cmd)
{
	char *line = NULL, *own = NULL, *q = NULL;

	if (sb && sb->inputs) {
		if ((own = substitute_inputs(cmd)) == NULL)
			return NULL;
		cmd = own;
	}
	if (sb && srv && srv->pid)
		line = smp_server_command(srv, sb->exe, cmd);
	else if (sb)
		line = smp_sandbox_wrap(sb, cmd);
	else if ((q = smp_shell_quote(dir)) == NULL || asprintf(&line, "cd %s && %s", q, cmd) < 0)
		line = NULL;
	free(q);
	free(own);
	return line;
}

/* cmd after `export BENCHGATE_P1=p1 BENCHGATE_P2=p2;` (both quoted), so
 * the seats reach the command and what it runs. */
static char *seated(const char *cmd, const char *p1, const char *p2)
{
	char *q1 = smp_shell_quote(p1), *q2 = smp_shell_quote(p2), *out = NULL;

	if (q1 && q2 && asprintf(&out, "export BENCHGATE_P1=%s BENCHGATE_P2=%s; %s", q1, q2, cmd) < 0)
		out = NULL;
	free(q1);
	free(q2);
	return out;
}

/* Each job's command, into c->cmds: the workload's, or for a duel the
 * seats given, the arm's own build as P1 and the other's as P2. */
static int job_commands(lp_workspace_cmds *c, const lp_workload *w, size_t n, int duel, const char *const dir[2],
			const lp_workspace_isolation iso[2], const smp_sandbox *const sb[2])
{
	if ((c->cmds = calloc(2 * n + 1, sizeof(*c->cmds))) == NULL)
		return bg_error_nomem();
	for (size_t j = 0; j < 2 * n; j++) {
		size_t k = j % 2;
		const char *own = sb[k] ? iso[k].at : dir[k], *other = sb[k] ? SMP_SANDBOX_INPUTS : dir[1 - k];

		c->cmds[j] = duel ? seated(w[j / 2].cmd, own, other) : strdup(w[j / 2].cmd);
		if (c->cmds[j] == NULL)
			return bg_error_nomem();
	}
	return 0;
}

static int arm_commands(lp_workspace_cmds *out, const lp_workload *w, size_t n, const char *dir_a,
			const char *dir_b, const smp_sandbox *sb_a, const smp_sandbox *sb_b)
{
	int error = 0;

	out->wl = calloc(n ? n : 1, sizeof(*out->wl));
	out->strs = calloc(2 * n + 1, sizeof(*out->strs));
	out->n = n;
	if (out->wl == NULL || out->strs == NULL)
		error = bg_error_nomem();
	for (size_t i = 0; i < n && error == 0; i++) {
		char *a = lp_workspace_command(dir_a, sb_a, &out->servers[0], out->cmds[2 * i]);
		char *b = lp_workspace_command(dir_b, sb_b, &out->servers[1], out->cmds[2 * i + 1]);

		out->strs[2 * i] = a;
		out->strs[2 * i + 1] = b;
		if (a == NULL || b == NULL)
			error = bg_error_code() == BG_EINVAL ? BG_EINVAL : bg_error_nomem();
		else
			out->wl[i] = (lp_measure_workload){ w[i].name, a, b, w[i].weight };
	}
	return error;
}

/* Each command's route to its arm's server, so the runs are sent from this
 * process (smp_serve_executor) rather than through a requester each. */
static int serve_routes(lp_workspace_cmds *c, lp_measure_opts *m, const smp_sandbox *const sb[2])
{
	if ((c->routes = calloc(2 * c->n + 1, sizeof(*c->routes))) == NULL ||
	    (c->inner = calloc(2 * c->n + 1, sizeof(*c->inner))) == NULL)
		return bg_error_nomem();
	for (size_t j = 0; j < 2 * c->n; j++) {
		const char *cmd = c->cmds[j];

		if ((c->inner[j] = sb[j % 2]->inputs ? substitute_inputs(cmd) : strdup(cmd)) == NULL)
			return bg_error_nomem();
		c->routes[j] = (smp_serve_route){ c->strs[j], &c->servers[j % 2], c->inner[j] };
	}
	c->rt = (smp_serve_routes){ c->routes, 2 * c->n };
	m->exec = smp_serve_executor(&c->rt);
	return 0;
}

void lp_workspace_cmds_clear(lp_workspace_cmds *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; c->strs && i < 2 * c->n; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->wl);
	for (size_t i = 0; c->inner && i < 2 * c->n; i++)
		free(c->inner[i]);
	free(c->inner);
	bg_strv_free(c->cmds);
	free(c->routes);
	smp_server_stop(&c->servers[0]);
	smp_server_stop(&c->servers[1]);
	free(c->env[0]);
	memset(c, 0, sizeof(*c));
}

int lp_workspace_arm_commands(lp_workspace_cmds *c, lp_measure_opts *m, const lp_config *cfg, lp_repo *repo,
			      const state_store *st, const char *dir_a, const char *dir_b,
			      const lp_workload *w, size_t n, int held_out)
{
	lp_run_kind kind = held_out ? LP_RUN_HELD_OUT : LP_RUN_TRAINING;
	lp_workspace_isolation iso[2];
	const smp_sandbox *sb[2] = { NULL, NULL };
	const char *dir[2] = { dir_a, dir_b };
	int duel = cfg->duel && !held_out, error = 0;

	memset(c, 0, sizeof(*c));
	if (m->exec.run == NULL &&   /* a scripted executor runs the plain commands */
	    ((error = lp_workspace_timed_sandbox(&sb[0], &iso[0], kind, cfg, repo, st, dir_a)) < 0 ||
	     (error = lp_workspace_timed_sandbox(&sb[1], &iso[1], kind, cfg, repo, st, dir_b)) < 0))
		return error;
	if (duel && sb[0] && sb[1]) {   /* each arm sees its opponent, read-only */
		iso[0].sb.inputs = dir_b;
		iso[1].sb.inputs = dir_a;
	}
	if ((error = job_commands(c, w, n, duel, dir, iso, sb)) < 0)
		return error;
	if (sb[0] != NULL) {
		m->exec = smp_timer_executor();
		/* one sandbox per arm, its runs served inside: a sandbox per run
		 * would cost its setup and slow the run down (smp_serve.h) */
		for (int k = 0; k < 2 && error == 0; k++)
			error = smp_server_start(&c->servers[k], sb[k]);
		if (error < 0) {
			bg_warn(m->quiet, "%s; each run gets a sandbox of its own instead", bg_error_last());
			smp_server_stop(&c->servers[0]);
			smp_server_stop(&c->servers[1]);
		}
	}
	if (held_out && sb[0] == NULL) {
		if (asprintf(&c->env[0], "BENCHGATE_HOLDOUT=%s", cfg->holdout_dir) < 0) {
			c->env[0] = NULL;
			return bg_error_nomem();
		}
		m->env_extra = c->env;
	}
	if ((error = arm_commands(c, w, n, dir_a, dir_b, sb[0], sb[1])) < 0)
		return error;
	return c->servers[0].pid && c->servers[1].pid ? serve_routes(c, m, sb) : 0;
}

/* ---- gc ------------------------------------------------------------------ */

/* nftw has no context argument: the sum of one walk (one walk at a time). */
static unsigned long long walk_bytes;

static int add_size(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	walk_bytes += (unsigned long long)sb->st_blocks * 512ULL;
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static unsigned long long tree_bytes(const char *dir)
{
	walk_bytes = 0;
	nftw(dir, add_size, 16, FTW_PHYS);
	return walk_bytes;
}

/* Whether name is one of the kept commits. */
static int kept(const char *name, const char keep[][41], size_t nkeep)
{
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i][0] && strcmp(name, keep[i]) == 0)
			return 1;
	return 0;
}

int lp_workspace_gc(lp_workspace_gc_result *out, lp_repo *repo, const state_store *st, int all, int dry_run)
{
	lp_workspace_gc_result r = { 0 };
	state_ledger *l = NULL;
	char *branch = NULL, dir[PATH_MAX];
	size_t seq;
	DIR *d;
	struct dirent *e;
	int error = 0;

	snprintf(dir, sizeof(dir), "%s/exports", state_root(st));
	if (!all) {   /* what the next plain gate would export again */
		if (lp_repo_resolve(r.keep[0], repo, "HEAD") < 0)
			r.keep[0][0] = '\0';
		if ((error = lp_repo_branch(&branch, repo)) < 0 || (error = state_ledger_load(&l, st)) < 0)
			goto cleanup;
		if (branch == NULL || state_ledger_last_kept(r.keep[1], &seq, l, branch) < 0)
			r.keep[1][0] = '\0';
	}
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			error = bg_error_set(BG_ESYS, "cannot read %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	while (error == 0 && (e = readdir(d)) != NULL) {
		char path[PATH_MAX + 320];
		unsigned long long bytes;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		bytes = tree_bytes(path);
		if (kept(e->d_name, r.keep, 2)) {
			r.kept++;
			r.kept_bytes += bytes;
			continue;
		}
		if (!dry_run && nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			error = bg_error_set(BG_ESYS, "cannot remove the export %s: %s", path, strerror(errno));
		r.removed++;
		r.removed_bytes += bytes;
	}
	closedir(d);
cleanup:
	if (error == 0)
		*out = r;
	state_ledger_free(l);
	free(branch);
	return error;
}
