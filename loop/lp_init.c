/* lp_init: `benchgate init` — what a repository shows, turned into a
 * starting benchgate.json, and the gate added to a pi-autoresearch loop's
 * checks script (the only hook pi runs before it keeps a change).
 *
 * Everything is worked out first (the config text, the checks text, what
 * was found, what is left to do) and validated with lp_config_parse(); the
 * files are written only then, so a failure leaves the repository as it
 * was. The pi-autoresearch session files are found as its paths.ts finds
 * them: the `.auto/` layout when any of its files exists, else each older
 * flat `autoresearch.*` file that exists. */
#include "lp_init.h"
#include "lp_config.h"
#include "lp_repo.h"
#include "smp_metric.h"
#include "bg_error.h"
#include "bg_file.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a checks script that holds either runs the gate already */
#define GATE_MARK "benchgate gate"
#define GATE_MARK_QUOTED "benchgate' gate"

enum { PI_LOG, PI_MEASURE, PI_CHECKS, PI_CONFIG, PI_NKINDS };

static const char *const pi_current[PI_NKINDS] = { ".auto/log.jsonl", ".auto/measure.sh", ".auto/checks.sh",
						   ".auto/config.json" };
static const char *const pi_legacy[PI_NKINDS] = { "autoresearch.jsonl", "autoresearch.sh", "autoresearch.checks.sh",
						  "autoresearch.config.json" };
/* the other files whose presence means a current layout (paths.ts) */
static const char *const pi_current_more[] = { ".auto/prompt.md", ".auto/ideas.md", ".auto/hooks", NULL };
static const char *const pi_legacy_more[] = { "autoresearch.md", "autoresearch.ideas.md", "autoresearch.hooks", NULL };

/* Top-level names whose paths, when the measure script names them, are
 * benchmark inputs: protected. */
static const char *const input_dirs[] = { "data", "testdata", "fixtures", "inputs", "corpus", "corpora", NULL };
/* Root directories protected when committed, whatever the scripts name. */
static const char *const bench_dirs[] = { "bench", "benchmarks", "benches", "testdata", NULL };
/* The tests' directories, protected when committed and there is a test
 * command: a loop that may change its tests can make any change pass. */
static const char *const test_dirs[] = { "tests", "test", NULL };

typedef struct {
	lp_repo *repo;
	const char *root;             /* with a trailing '/' */
	const lp_init_opts *opts;
	lp_init_result *res;
	const char *pi[PI_NKINDS];    /* relative paths; NULL: no such file */
	char *metric;                 /* NULL: wall */
	int lower_is_better;
	char *build, *test_cmd, *bench_cmd;
	const char *test_count;
	bg_strv protect;
	char *workload_name, *workload_cmd;
	int measure_uncommitted;      /* the measure script is to be committed */
	int add_force;                /* a file to commit is ignored: git add -f */
} init_ctx;

static int push_f(bg_strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int push_f(bg_strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str;
	int n, error;

	va_start(ap, fmt);
	n = vasprintf(&str, fmt, ap);
	va_end(ap);
	if (n < 0)
		return bg_error_nomem();
	error = bg_strv_push(s, str, (size_t)n);
	free(str);
	return error;
}

static int dup_to(char **out, const char *s)
{
	free(*out);
	if ((*out = strdup(s)) == NULL)
		return bg_error_nomem();
	return 0;
}

/* root + rel, or NULL (BG_ENOMEM set). */
static char *abs_path(const init_ctx *x, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s%s", x->root, rel) < 0) {
		bg_error_nomem();
		return NULL;
	}
	return p;
}

/* 1 exists, 0 not, BG_ENOMEM. */
static int exists(const init_ctx *x, const char *rel)
{
	char *p = abs_path(x, rel);
	struct stat st;
	int found;

	if (p == NULL)
		return BG_ENOMEM;
	found = stat(p, &st) == 0;
	free(p);
	return found;
}

/* The file's text, NULL when it does not exist (error 0), or NULL with
 * *error set. */
static char *read_rel(int *error, const init_ctx *x, const char *rel)
{
	char *p = abs_path(x, rel), *text;

	*error = 0;
	if (p == NULL) {
		*error = BG_ENOMEM;
		return NULL;
	}
	text = bg_file_read(p, NULL);
	free(p);
	if (text == NULL && bg_error_code() != BG_ENOTFOUND)
		*error = bg_error_code();
	return text;
}

static int any_exists(const init_ctx *x, const char *const *rel, const char *const *more)
{
	int e;

	for (size_t i = 0; i < PI_NKINDS; i++)
		if ((e = exists(x, rel[i])) != 0)
			return e;
	for (size_t i = 0; more[i]; i++)
		if ((e = exists(x, more[i])) != 0)
			return e;
	return 0;
}

/* Which session files pi would use, as paths.ts chooses them. */
static int detect_pi(init_ctx *x)
{
	int current, legacy = 0, e;

	if ((current = any_exists(x, pi_current, pi_current_more)) < 0 ||
	    (!current && (legacy = any_exists(x, pi_legacy, pi_legacy_more)) < 0))
		return current < 0 ? current : legacy;
	if (!current && !legacy)
		return 0;
	for (size_t k = 0; k < PI_NKINDS; k++) {
		const char *p = current ? pi_current[k] : pi_legacy[k];

		if ((e = exists(x, p)) < 0)
			return e;
		x->pi[k] = e ? p : NULL;
	}
	x->res->layout = current ? ".auto/" : "autoresearch.* (older layout)";
	if (x->pi[PI_MEASURE] == NULL)
		return bg_error_set(BG_EINVAL,
				    "a pi-autoresearch session (%s) without its measure script %s: benchgate measures "
				    "with it; start the session in pi first (it writes the script), then run init again",
				    x->res->layout, current ? pi_current[PI_MEASURE] : pi_legacy[PI_MEASURE]);
	return 0;
}

/* A {"type":"config"} line's metric name, unit and direction into the
 * three strings (each replaced when the line has it); other lines, and
 * lines that are not JSON, leave them. 0 or BG_ENOMEM. */
static int config_line(char **name, char **unit, char **dir, const char *line)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
	int error = 0;

	if (cJSON_IsString(t) && strcmp(t->valuestring, "config") == 0) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "metricName");
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "metricUnit");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "bestDirection");

		if ((cJSON_IsString(n) && dup_to(name, n->valuestring) < 0) ||
		    (cJSON_IsString(u) && dup_to(unit, u->valuestring) < 0) ||
		    (cJSON_IsString(d) && dup_to(dir, d->valuestring) < 0))
			error = BG_ENOMEM;
	}
	cJSON_Delete(o);
	return error;
}

/* The last {"type":"config"} line of the session log: metric name, unit,
 * direction. */
static int read_pi_log(init_ctx *x)
{
	char *text, *line, *next;
	char *name = NULL, *unit = NULL, *dir = NULL;
	int error;

	if (x->pi[PI_LOG] == NULL)
		return 0;
	if ((text = read_rel(&error, x, x->pi[PI_LOG])) == NULL)
		return error;
	for (line = text; error == 0 && line && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		error = config_line(&name, &unit, &dir, line);
	}
	if (error == 0 && name) {
		if (!smp_metric_name_valid(name))
			error = push_f(&x->res->todo,
				       "%s names the metric \"%s\", which is no METRIC name benchgate reads: set "
				       "metric.name to the name the measure script prints",
				       x->pi[PI_LOG], name);
		else {
			x->lower_is_better = dir == NULL || strcmp(dir, "higher") != 0;
			error = push_f(&x->res->found, "metric %s%s%s%s, %s is better: the last config line of %s", name,
				       unit && unit[0] ? " (" : "", unit && unit[0] ? unit : "", unit && unit[0] ? ")" : "",
				       x->lower_is_better ? "lower" : "higher", x->pi[PI_LOG]);
			if (error == 0)
				error = dup_to(&x->metric, name);
		}
	}
	free(name);
	free(unit);
	free(dir);
	free(text);
	return error;
}

/* The first `METRIC name=` the measure script prints, when the log named
 * none. */
static int metric_from_script(init_ctx *x, const char *script)
{
	for (const char *p = strstr(script, "METRIC "); p; p = strstr(p + 1, "METRIC ")) {
		const char *s = p + 7, *eq = strchr(s, '=');
		char *name;
		int ok, error = 0;

		if (eq == NULL || eq - s > 255)
			continue;
		if ((name = strndup(s, (size_t)(eq - s))) == NULL)
			return bg_error_nomem();
		if ((ok = smp_metric_name_valid(name)) != 0) {
			x->lower_is_better = 1;
			if ((error = push_f(&x->res->found, "metric %s: the first METRIC line of %s", name,
					    x->pi[PI_MEASURE])) == 0)
				error = push_f(&x->res->todo,
					       "%s: check metric.direction (\"lower\" is assumed)",
					       x->pi[PI_LOG] ? "the session log holds no config line" : "no session log yet");
			if (error == 0)
				error = dup_to(&x->metric, name);
		}
		free(name);
		if (ok || error)
			return error;
	}
	return 0;
}

/* Whether a Makefile names `target` as a rule (a line "target:" or
 * "target :", not "target :="). */
static int make_target(const char *mk, const char *target)
{
	size_t n = strlen(target);

	for (const char *l = mk; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p = l + n;

		if (strncmp(l, target, n) != 0)
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ':' && p[1] != '=')
			return 1;
	}
	return 0;
}

static int from_makefile(init_ctx *x, const char *name, const char *mk)
{
	static const char *const tests[] = { "test", "check", NULL }, *const benches[] = { "bench", "benchmark", NULL };
	int error = dup_to(&x->build, "make");

	for (size_t i = 0; error == 0 && tests[i] && !x->test_cmd; i++)
		if (make_target(mk, tests[i]) && asprintf(&x->test_cmd, "make %s", tests[i]) < 0)
			error = bg_error_nomem();
	for (size_t i = 0; error == 0 && benches[i] && !x->bench_cmd; i++)
		if (make_target(mk, benches[i]) && asprintf(&x->bench_cmd, "make -s %s", benches[i]) < 0)
			error = bg_error_nomem();
	return error ? error : push_f(&x->res->found, "build \"make\"%s%s%s: %s", x->test_cmd ? ", tests \"" : "",
				      x->test_cmd ? x->test_cmd : "", x->test_cmd ? "\"" : "", name);
}

static const char *npm_script(const cJSON *scripts, const char *name)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(scripts, name);

	return cJSON_IsString(s) && s->valuestring[0] ? s->valuestring : NULL;
}

static int from_package_json(init_ctx *x, const char *text)
{
	cJSON *pkg = cJSON_Parse(text);
	const cJSON *scripts = cJSON_GetObjectItemCaseSensitive(pkg, "scripts");
	const char *test = npm_script(scripts, "test");
	int error = 0;

	if (pkg == NULL)
		return push_f(&x->res->todo, "package.json is not JSON: fill in build and test yourself");
	if (npm_script(scripts, "build"))
		error = dup_to(&x->build, "npm run build");
	/* npm init's placeholder fails on purpose: it is no test */
	if (error == 0 && test && strstr(test, "no test specified") == NULL)
		error = dup_to(&x->test_cmd, "npm test");
	if (error == 0 && (npm_script(scripts, "bench") || npm_script(scripts, "benchmark")))
		error = dup_to(&x->bench_cmd, npm_script(scripts, "bench") ? "npm run -s bench" : "npm run -s benchmark");
	cJSON_Delete(pkg);
	return error ? error : push_f(&x->res->found, "build, tests and benchmark from package.json's scripts");
}

/* Whether a Python project uses pytest: its configuration or a conftest. */
static int uses_pytest(const init_ctx *x, int *error)
{
	static const struct { const char *file, *mark; } marks[] = {
		{ "pytest.ini", "" }, { "conftest.py", "" }, { "tests/conftest.py", "" },
		{ "pyproject.toml", "[tool.pytest" }, { "setup.cfg", "[tool:pytest]" }, { "tox.ini", "[pytest]" },
	};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		char *text = read_rel(error, x, marks[i].file);
		int yes = text && strstr(text, marks[i].mark) != NULL;

		free(text);
		if (*error || yes)
			return yes;
	}
	return 0;
}

typedef struct {
	const char *file, *build, *test, *count;
} project_kind;

/* The build systems whose commands are fixed, in the order tried. */
static const project_kind fixed_kinds[] = {
	{ "Cargo.toml", "cargo build --release", "cargo test --release", "passed" },
	{ "go.mod", "go build ./...", "go test ./...", NULL },
	{ "CMakeLists.txt", "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build",
	  "ctest --test-dir build --output-on-failure", NULL },
	{ "meson.build", "meson setup build --buildtype=release && meson compile -C build", "meson test -C build",
	  NULL },
};

static int from_fixed_kind(init_ctx *x, const project_kind *k)
{
	int error;

	if ((error = dup_to(&x->build, k->build)) < 0 || (error = dup_to(&x->test_cmd, k->test)) < 0)
		return error;
	x->test_count = k->count;
	return push_f(&x->res->found, "build \"%s\", tests \"%s\": %s", k->build, k->test, k->file);
}

/* Build, test and benchmark commands from the first build system found. */
static int detect_project(init_ctx *x)
{
	static const char *const makefiles[] = { "GNUmakefile", "makefile", "Makefile", NULL };
	char *text = NULL;
	int error = 0, e;

	for (size_t i = 0; makefiles[i]; i++)
		if ((text = read_rel(&error, x, makefiles[i])) != NULL || error) {
			if (text)
				error = from_makefile(x, makefiles[i], text);
			free(text);
			return error;
		}
	if ((text = read_rel(&error, x, "package.json")) != NULL || error) {
		if (text)
			error = from_package_json(x, text);
		free(text);
		return error;
	}
	for (size_t i = 0; i < sizeof(fixed_kinds) / sizeof(fixed_kinds[0]); i++) {
		if ((e = exists(x, fixed_kinds[i].file)) != 0)
			return e < 0 ? e : from_fixed_kind(x, &fixed_kinds[i]);
	}
	if (uses_pytest(x, &error) && error == 0) {
		x->test_count = "pytest";
		if ((error = dup_to(&x->test_cmd, "python3 -m pytest -q")) == 0)
			error = push_f(&x->res->found, "tests \"python3 -m pytest -q\": a pytest configuration");
	}
	return error;
}

static int in_list(const char *s, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && strncmp(s, list[i], n) == 0)
			return 1;
	return 0;
}

/* Whether the path's first component is a benchmark's or an input's. */
static int bench_path(const char *path)
{
	size_t n = strcspn(path, "/");

	return strncmp(path, "bench", 5) == 0 || in_list(path, n, input_dirs);
}

/* Adds path to the protected ones, unless it or a directory above it
 * (one ending in '/') is there already. */
static int protect(init_ctx *x, const char *path)
{
	for (size_t i = 0; i < x->protect.n; i++) {
		const char *p = x->protect.v[i];
		size_t n = strlen(p);

		if (strcmp(p, path) == 0 || (n && p[n - 1] == '/' && strncmp(p, path, n) == 0))
			return 0;
	}
	return bg_strv_push(&x->protect, path, strlen(path));
}

/* A word of the measure script that is a committed path of the
 * repository: protected when it is a benchmark input, else named in the
 * to-do list. */
static int script_word(init_ctx *x, bg_strv *named, const char *w, size_t n)
{
	char *path;
	int committed, ignored, error;

	while (n > 2 && w[0] == '.' && w[1] == '/')
		w += 2, n -= 2;
	while (n > 0 && w[n - 1] == '/')
		n--;
	if (n == 0 || w[0] == '-' || w[0] == '.' || memchr(w, '$', n) || memchr(w, '*', n) ||
	    (n >= 2 && memmem(w, n, "..", 2)))
		return 0;
	if ((path = strndup(w, n)) == NULL)
		return bg_error_nomem();
	if ((error = lp_repo_path_status(&committed, &ignored, x->repo, path)) == 0 && committed && !ignored) {
		for (size_t k = 0; k < PI_NKINDS; k++)
			if (x->pi[k] && strcmp(x->pi[k], path) == 0)
				committed = 0;   /* protected already */
		if (committed)
			error = bench_path(path) ? protect(x, path) : bg_strv_push(named, path, n);
	}
	free(path);
	return error;
}

/* The committed paths the measure script names. */
static int protect_script_inputs(init_ctx *x, const char *script)
{
	static const char *const sep = " \t\r\n;|&<>()'\"`=";
	bg_strv named = BG_STRV_INIT;
	int error = 0;

	for (const char *p = script; *p && error == 0;) {
		size_t n;

		p += strspn(p, sep);
		if (*p == '#') {   /* a comment, to the end of its line */
			p += strcspn(p, "\n");
			continue;
		}
		n = strcspn(p, sep);
		if (n && (error = script_word(x, &named, p, n)) == 0)
			p += n;
	}
	bg_strv_sort_unique(&named);
	for (size_t i = 0; error == 0 && i < named.n; i++)
		error = push_f(&x->res->todo,
			       "%s runs or reads %s, which is not protected: add it to \"protected\" if the "
			       "loop must not change it",
			       x->pi[PI_MEASURE], named.v[i]);
	bg_strv_free(named.v);
	return error;
}

/* Protects each of dirs that HEAD holds, as "dir/"; says why in the found
 * list when why is not NULL. */
static int protect_committed_dirs(init_ctx *x, const char *const *dirs, const char *why)
{
	int committed, ignored, error = 0;

	for (size_t i = 0; error == 0 && dirs[i]; i++) {
		char *dir;

		if ((error = lp_repo_path_status(&committed, &ignored, x->repo, dirs[i])) < 0 || !committed)
			continue;
		if (asprintf(&dir, "%s/", dirs[i]) < 0)
			return bg_error_nomem();
		if ((error = protect(x, dir)) == 0 && why)
			error = push_f(&x->res->found, "%s protected: %s", dir, why);
		free(dir);
	}
	return error;
}

/* Whether the measure script is committed and not ignored; a to-do when
 * not. */
static int check_measure_committed(init_ctx *x)
{
	static const char *const why = "both arms are measured with the script their commit holds";
	const char *path = x->pi[PI_MEASURE];
	int committed, ignored, error;

	if ((error = lp_repo_path_status(&committed, &ignored, x->repo, path)) < 0)
		return error;
	if (committed)
		return 0;
	x->measure_uncommitted = 1;
	x->add_force |= ignored;
	return push_f(&x->res->todo, "%s is %s: commit it (below; git add -f tracks an ignored file); %s", path,
		      ignored ? "ignored by git, so no commit holds it" : "not committed", why);
}

static int pi_config_warnings(init_ctx *x)
{
	char *text;
	cJSON *o;
	const cJSON *wd;
	int error;

	if (x->pi[PI_CONFIG] == NULL || (text = read_rel(&error, x, x->pi[PI_CONFIG])) == NULL)
		return x->pi[PI_CONFIG] ? error : 0;
	o = cJSON_Parse(text);
	wd = cJSON_GetObjectItemCaseSensitive(o, "workingDir");
	if (cJSON_IsString(wd) && wd->valuestring[0] && strcmp(wd->valuestring, ".") != 0)
		error = push_f(&x->res->todo,
			       "%s sets workingDir \"%s\": pi runs the scripts there, benchgate at the repository root; "
			       "start workloads[0].cmd with a cd there",
			       x->pi[PI_CONFIG], wd->valuestring);
	cJSON_Delete(o);
	free(text);
	return error;
}

/* The pi session: its measure script as the workload, the metric, what
 * is protected. */
static int from_pi(init_ctx *x)
{
	char *script;
	int error;

	if ((error = push_f(&x->res->found, "a pi-autoresearch session (%s): its measure script %s is the workload",
			    x->res->layout, x->pi[PI_MEASURE])) < 0 ||
	    (error = read_pi_log(x)) < 0 || (script = read_rel(&error, x, x->pi[PI_MEASURE])) == NULL)
		return error;
	if (x->metric == NULL)
		error = metric_from_script(x, script);
	if (error == 0 && x->metric == NULL)
		error = push_f(&x->res->todo,
			       "neither %s nor %s names a METRIC: the metric is wall time; set metric.name to what "
			       "the script prints as \"METRIC name=value\"",
			       x->pi[PI_LOG] ? x->pi[PI_LOG] : "the session log", x->pi[PI_MEASURE]);
	if (error == 0 && asprintf(&x->workload_cmd, "bash %s", x->pi[PI_MEASURE]) < 0)
		error = bg_error_nomem();
	if (error == 0)
		error = dup_to(&x->workload_name, "measure");
	for (size_t k = PI_MEASURE; error == 0 && k < PI_NKINDS; k++)
		if (x->pi[k])
			error = protect(x, x->pi[k]);
	if (error == 0)
		error = protect_script_inputs(x, script);
	if (error == 0)
		error = check_measure_committed(x);
	if (error == 0)
		error = pi_config_warnings(x);
	if (error == 0)
		error = push_f(&x->res->todo,
			       "pi kills the checks script after 300 s (checks_timeout_seconds): budget.max_seconds "
			       "is 120, and the build, the tests and the held-out workloads come on top");
	free(script);
	return error;
}

static int placeholder_workload(init_ctx *x)
{
	int error;

	if (x->bench_cmd) {
		if ((error = dup_to(&x->workload_name, "bench")) < 0 || (error = dup_to(&x->workload_cmd, x->bench_cmd)) < 0)
			return error;
		return push_f(&x->res->todo, "the workload runs \"%s\" and times it whole: point it at the benchmark "
					     "itself (the build is done before), one workload per input",
			      x->bench_cmd);
	}
	if ((error = dup_to(&x->workload_name, "main")) < 0 ||
	    (error = dup_to(&x->workload_cmd, "echo 'benchgate.json: write the command to measure in "
					      "workloads[0].cmd' >&2; exit 2")) < 0)
		return error;
	return push_f(&x->res->todo, "write the command to measure in workloads[0].cmd (it is a placeholder that fails), "
				     "one workload per input, and protect the inputs it reads");
}

/* ---- the text of benchgate.json ---- */

static void put_str(FILE *f, const char *s)
{
	cJSON *j = cJSON_CreateString(s);
	char *q = j ? cJSON_PrintUnformatted(j) : NULL;

	fputs(q ? q : "\"\"", f);
	free(q);
	cJSON_Delete(j);
}

static int config_text(char **out, const init_ctx *x)
{
	size_t len;
	FILE *f = open_memstream(out, &len);

	if (f == NULL)
		return bg_error_nomem();
	fputs("{\n", f);
	if (x->build) {
		fputs("  \"build\": ", f);
		put_str(f, x->build);
		fputs(",\n", f);
	}
	if (x->test_cmd) {
		fputs("  \"test\": { \"cmd\": ", f);
		put_str(f, x->test_cmd);
		if (x->test_count) {
			fputs(", \"count\": ", f);
			put_str(f, x->test_count);
		}
		fputs(" },\n", f);
	}
	fputs("  \"metric\": { \"name\": ", f);
	put_str(f, x->metric ? x->metric : "wall");
	fprintf(f, ", \"direction\": \"%s\" },\n", x->lower_is_better ? "lower" : "higher");
	fputs("  \"workloads\": [\n    { \"name\": ", f);
	put_str(f, x->workload_name);
	fputs(", \"cmd\": ", f);
	put_str(f, x->workload_cmd);
	fputs(" }\n  ],\n  \"protected\": [", f);
	for (size_t i = 0; i < x->protect.n; i++) {
		fputs(i ? ", " : " ", f);
		put_str(f, x->protect.v[i]);
	}
	fprintf(f, "%s],\n  \"budget\": { \"max_seconds\": 120 }\n}\n", x->protect.n ? " " : "");
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return bg_error_nomem();
	}
	return 0;
}

/* ---- the checks script ---- */

static int gate_block(char **out, const char *benchgate)
{
	if (asprintf(out,
		     "# benchgate: keep the change only when it beats HEAD beyond noise (added by benchgate init)\n"
		     "%s gate --worktree --unchanged-ok || exit 1\n",
		     benchgate) < 0)
		return bg_error_nomem();
	return 0;
}

/* Where the block goes in the user's script: before a last line that is a
 * bare `exit` or `exit 0` (nothing after it would run), else at the end. */
static size_t insert_at(const char *text)
{
	size_t end = strlen(text), start;

	while (end > 0 && isspace((unsigned char)text[end - 1]))
		end--;
	for (start = end; start > 0 && text[start - 1] != '\n'; start--)
		;
	{
		const char *l = text + start;
		size_t n = end - start;

		while (n && (*l == ' ' || *l == '\t'))
			l++, n--;
		if ((n == 4 && strncmp(l, "exit", 4) == 0) || (n == 6 && strncmp(l, "exit 0", 6) == 0))
			return start;
	}
	return strlen(text);
}

static int checks_plan(init_ctx *x)
{
	const char *path = x->pi[PI_CHECKS] ? x->pi[PI_CHECKS]
					    : (strcmp(x->res->layout, ".auto/") == 0 ? pi_current[PI_CHECKS]
										   : pi_legacy[PI_CHECKS]);
	char *old = NULL, *block = NULL;
	int error = 0;

	if (x->pi[PI_CHECKS] && (old = read_rel(&error, x, path)) == NULL)
		return error ? error : bg_error_set(BG_ENOTFOUND, "%s went away while init read it", path);
	if (old && (strstr(old, GATE_MARK) || strstr(old, GATE_MARK_QUOTED))) {
		free(old);
		return push_f(&x->res->found, "%s runs %s already: left as it is", path, GATE_MARK);
	}
	if ((error = gate_block(&block, x->opts->benchgate)) == 0 && (x->res->checks = strdup(path)) == NULL)
		error = bg_error_nomem();
	if (error == 0 && old) {
		size_t at = insert_at(old);
		int nl = at > 0 && old[at - 1] != '\n';

		if (asprintf(&x->res->checks_text, "%.*s%s%s%s%s", (int)at, old, nl ? "\n" : "", at ? "\n" : "", block,
			     old + at) < 0)
			error = bg_error_nomem();
	} else if (error == 0) {
		x->res->checks_made = 1;
		if (asprintf(&x->res->checks_text, "#!/bin/bash\nset -euo pipefail\n\n%s", block) < 0)
			error = bg_error_nomem();
	}
	if (error < 0) {
		x->res->checks_text = NULL;
		free(x->res->checks);
		x->res->checks = NULL;
	}
	free(block);
	free(old);
	return error;
}

/* ---- writing ---- */

/* Writes the checks script keeping the user's mode (a new one executable). */
static int write_checks(const init_ctx *x)
{
	char *p = abs_path(x, x->res->checks);
	struct stat st;
	mode_t mode = 0755;
	int error;

	if (p == NULL)
		return BG_ENOMEM;
	if (!x->res->checks_made && stat(p, &st) == 0)
		mode = st.st_mode & 07777;
	if ((error = bg_file_write_atomic(p, x->res->checks_text)) == 0 && chmod(p, mode) != 0)
		error = bg_error_set(BG_ESYS, "chmod %s: %s", p, strerror(errno));
	free(p);
	return error;
}

static int write_files(const init_ctx *x)
{
	char *p = abs_path(x, LP_CONFIG_FILE);
	int error;

	if (p == NULL)
		return BG_ENOMEM;
	error = bg_file_write_atomic(p, x->res->config_text);
	free(p);
	if (error == 0 && x->res->checks)
		error = write_checks(x);
	return error;
}

static int next_steps(init_ctx *x)
{
	char *add = NULL;
	int committed = 0, ignored = 0, error = 0;

	if (x->res->checks && (error = lp_repo_path_status(&committed, &ignored, x->repo, x->res->checks)) < 0)
		return error;
	x->add_force |= x->res->checks && ignored;
	if (asprintf(&add, "git add %s%s%s%s%s%s && git commit -m \"benchgate: gate the loop's keeps\"",
		     x->add_force ? "-f " : "", LP_CONFIG_FILE,
		     x->res->checks ? " " : "", x->res->checks ? x->res->checks : "",
		     x->measure_uncommitted ? " " : "", x->measure_uncommitted ? x->pi[PI_MEASURE] : "") < 0)
		return bg_error_nomem();
	if (!x->res->layout)
		error = push_f(&x->res->next, "$EDITOR %s   # the to-do above", LP_CONFIG_FILE);
	if (error == 0)
		error = push_f(&x->res->next, "%s gate --print-config   # the configuration with every default",
			       x->opts->benchgate);
	if (error == 0)
		error = bg_strv_push(&x->res->next, add, strlen(add));
	if (error == 0)
		error = push_f(&x->res->next, "%s calibrate --config benchgate.json   # how noisy this machine is, and what it can detect",
			       x->opts->benchgate);
	free(add);
	return error;
}

static int plan(init_ctx *x)
{
	lp_config *c = NULL;
	int error;

	if ((error = detect_pi(x)) < 0 || (error = detect_project(x)) < 0)
		return error;
	if (!x->build && !x->test_cmd &&
	    (error = push_f(&x->res->todo, "no build system found: set \"build\" and \"test\" if the project has them")) < 0)
		return error;
	if ((error = protect_committed_dirs(x, bench_dirs, NULL)) < 0 || (error = x->res->layout ? from_pi(x) : placeholder_workload(x)) < 0)
		return error;
	if (x->test_cmd && (error = protect_committed_dirs(x, test_dirs, "the tests decide what \"passes\" means "
									"(take it out of \"protected\" if the loop may add tests)")) < 0)
		return error;
	/* the checks script first: one it makes is protected too */
	if (x->res->layout && ((error = checks_plan(x)) < 0 || (x->res->checks && (error = protect(x, x->res->checks)) < 0)))
		return error;
	if ((error = config_text(&x->res->config_text, x)) < 0)
		return error;
	if ((error = lp_config_parse(&c, x->res->config_text, LP_CONFIG_FILE)) < 0)
		return error;   /* a bug here: say it rather than write it */
	lp_config_free(c);
	return next_steps(x);
}

static void ctx_clear(init_ctx *x)
{
	free(x->metric);
	free(x->build);
	free(x->test_cmd);
	free(x->bench_cmd);
	free(x->workload_name);
	free(x->workload_cmd);
	bg_strv_free(x->protect.v);
	lp_repo_free(x->repo);
}

int lp_init_run(lp_init_result *out, const char *dir, const lp_init_opts *opts)
{
	lp_init_result r = { 0 };
	init_ctx x = { 0 };
	int error;

	x.opts = opts;
	x.res = &r;
	x.lower_is_better = 1;
	if ((error = lp_repo_open(&x.repo, dir)) < 0)
		return error;
	x.root = lp_repo_workdir(x.repo);
	if ((r.root = strdup(x.root)) == NULL)
		error = bg_error_nomem();
	if (error == 0 && !opts->force && (error = exists(&x, LP_CONFIG_FILE)) > 0)
		error = bg_error_set(BG_EINVAL, "%s%s exists; --force to overwrite it (nothing was written)", x.root,
				     LP_CONFIG_FILE);
	if (error == 0)
		error = plan(&x);
	if (error == 0 && !opts->dry_run)
		error = write_files(&x);
	ctx_clear(&x);
	if (error < 0) {
		lp_init_result_clear(&r);
		return error;
	}
	*out = r;
	return 0;
}

void lp_init_result_clear(lp_init_result *r)
{
	if (r == NULL)
		return;
	free(r->root);
	free(r->config_text);
	free(r->checks);
	free(r->checks_text);
	bg_strv_free(r->found.v);
	bg_strv_free(r->todo.v);
	bg_strv_free(r->next.v);
	memset(r, 0, sizeof(*r));
}
