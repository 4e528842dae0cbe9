/* test_audit_claims: cmocka tests for the claim readers of `benchgate
 * audit` (loop/lp_audit_claims.c) — the ledger, pi-autoresearch logs with
 * config lines, segments and keep/discard/crash/hook entries, karpathy
 * results.tsv header variants, ranges — and for the pure parts of the
 * audit: the classification of a fresh measurement and the change points
 * of a ledger's series.
 *
 * The readers resolve commits, so one throwaway repository (three commits,
 * made with the `git` command under a mkdtemp directory) serves the whole
 * group; sources are written next to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "bg_error.h"
#include "bg_fixture.h"
#include "lp_audit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <git2.h>

typedef struct {
	char root[64];
	char repo[96];
	char base[41], c1[41], c2[41];   /* the three commits, oldest first */
	lp_repo *r;
} fx;

static fx F;

/* ---- the repository ---------------------------------------------------- */

static int sh(const char *cmd, char *out, size_t size)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	bg_test_result r;
	int st;

	if (bg_test_run(&r, argv, 60) != 0) {
		bg_test_result_free(&r);
		return -1;
	}
	st = r.status;
	if (out) {
		snprintf(out, size, "%s", r.out);
		out[strcspn(out, "\n")] = '\0';
	}
	if (st != 0)
		fprintf(stderr, "%s: exit %d\n%s", cmd, st, r.err);
	bg_test_result_free(&r);
	return st;
}

static int commit_file(const char *content, char out[41])
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && echo '%s' > f.txt && git add -A && git commit -qm '%s' && git rev-parse HEAD",
		 F.repo, content, content);
	return sh(cmd, out, 41);
}

static int group_setup(void **state)
{
	char cmd[512];

	(void)state;
	git_libgit2_init();
	strcpy(F.root, "/tmp/bg_test_audit_claims.XXXXXX");
	if (mkdtemp(F.root) == NULL)
		return -1;
	snprintf(F.repo, sizeof(F.repo), "%s/repo", F.root);
	snprintf(cmd, sizeof(cmd),
		 "mkdir '%s' && cd '%s' && git init -q && git config user.email a@b && git config user.name t && "
		 "git config commit.gpgsign false", F.repo, F.repo);
	if (sh(cmd, NULL, 0) != 0 || commit_file("base", F.base) != 0 || commit_file("one", F.c1) != 0 ||
	    commit_file("two", F.c2) != 0)
		return -1;
	return lp_repo_open(&F.r, F.repo) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	lp_repo_free(F.r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.root);
	sh(cmd, NULL, 0);
	git_libgit2_shutdown();
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* Writes text to root/name; returns the path (static buffer). */
static const char *source(const char *name, const char *text)
{
	static char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", F.root, name);
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* A printf-formatted source text (caller frees). */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	assert_true(vasprintf(&s, f, ap) > 0);
	va_end(ap);
	return s;
}

static void expect_claim(const lp_audit_claims *c, size_t i, const char *commit, const char *parent,
			 double ratio, int lower, size_t line)
{
	const lp_audit_claim *k;

	assert_true(i < c->nclaims);
	k = &c->claims[i];
	assert_string_equal(k->commit, commit);
	assert_string_equal(k->parent, parent);
	if (isnan(ratio))
		assert_true(isnan(k->claimed));
	else
		bg_fx_assert_close(k->claimed, ratio, 1e-12);
	assert_int_equal(k->lower_is_better, lower);
	assert_int_equal(k->line, line);
	assert_int_equal(k->missing, 0);
}

/* Some warning contains every one of the (NULL-terminated) words. */
static void expect_warning(const lp_audit_claims *c, ...)
{
	for (size_t i = 0; i < c->nwarnings; i++) {
		va_list ap;
		const char *w;
		int all = 1;
		va_start(ap, c);
		while ((w = va_arg(ap, const char *)) != NULL)
			all &= strstr(c->warnings[i], w) != NULL;
		va_end(ap);
		if (all)
			return;
	}
	for (size_t i = 0; i < c->nwarnings; i++)
		print_error("warning %zu: %s\n", i, c->warnings[i]);
	fail_msg("no warning with the expected words (%zu warnings)", c->nwarnings);
}

static void expect_error(int rc, int code, const char *words)
{
	assert_int_equal(rc, code);
	if (strstr(bg_error_last(), words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", bg_error_last(), words);
}

/* ---- the ledger ------------------------------------------------------------ */

static char *gate_line(int seq, const char *verdict, const char *base, const char *cand, double ratio)
{
	return fmt("{\"seq\":%d,\"prev\":null,\"kind\":\"gate\",\"verdict\":\"%s\",\"branch\":\"master\","
		   "\"baseline\":\"%s\",\"candidate\":\"%s\",\"tested\":true,"
		   "\"training\":{\"aggregate\":{\"ratio\":%.17g,\"ci\":[0.8,0.95]}}}\n",
		   seq, verdict, base, cand, ratio);
}

static void test_ledger(void **state)
{
	char *l1 = gate_line(1, "KEEP", F.base, F.c1, 0.9), *l2 = gate_line(2, "REJECT", F.c1, F.c2, 1.0);
	char *l6 = gate_line(6, "KEEP", F.c1, F.c2, 0.8);
	char *text = fmt("%s%s{not json\n{\"seq\":4,\"kind\":\"gate\",\"verdict\":\"KEEP\"}\n"
			 "{\"seq\":5,\"kind\":\"loop\",\"event\":\"agent_failed\"}\n%s"
			 "{\"seq\":7,\"kind\":\"gate\",\"verdict\":\"REJECT\",\"baseline\":\"%s\",\"candidate\":\"%s\",\"tested\":false}\n",
			 l1, l2, l6, F.c1, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_ledger(&c, F.r, source("ledger.jsonl", text)));
	assert_int_equal(c->kind, LP_AUDIT_SRC_LEDGER);
	assert_int_equal(c->nclaims, 2);
	expect_claim(c, 0, F.c1, F.base, 0.9, -1, 1);
	expect_claim(c, 1, F.c2, F.c1, 0.8, -1, 6);
	/* the series: every measured gate record, kept or not */
	assert_int_equal(c->nseries, 3);
	assert_int_equal(c->series[1].seq, 2);
	assert_int_equal(c->series[1].kept, 0);
	assert_int_equal(c->series[2].kept, 1);
	bg_fx_assert_close(c->series[2].ratio, 0.8, 1e-12);
	assert_string_equal(c->series[2].candidate, F.c2);
	/* the two unreadable lines, each named */
	assert_int_equal(c->nwarnings, 2);
	expect_warning(c, "ledger.jsonl:3", "not a JSON object", NULL);
	expect_warning(c, "ledger.jsonl:4", "without \"candidate\"", NULL);
	lp_audit_claims_free(c);
	free(l1);
	free(l2);
	free(l6);
	free(text);
}

static void test_ledger_errors(void **state)
{
	lp_audit_claims *c = NULL;
	char *reject = gate_line(1, "REJECT", F.base, F.c1, 1.0), path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-ledger.jsonl", F.root);
	expect_error(lp_audit_claims_ledger(&c, F.r, path), BG_ENOTFOUND, "no benchgate ledger");
	expect_error(lp_audit_claims_ledger(&c, F.r, source("l2.jsonl", reject)), BG_ENOTFOUND,
		     "no kept decision");
	expect_error(lp_audit_claims_ledger(&c, F.r, source("l3.jsonl", "a\tb\nc\td\n")), BG_EPARSE,
		     "is not JSON lines");
	assert_null(c);
	free(reject);
}

/* ---- pi-autoresearch ------------------------------------------------------ */

static void test_pi_log(void **state)
{
	/* segment 1: higher is better, baseline 100, keep 120 (1.2), discard,
	 * crash, a hook line, a bad line, a keep without metric, a keep with
	 * no commit; segment 2: lower, baseline 50, keep 40 (0.8) */
	char *text = fmt(
		"{\"type\":\"config\",\"name\":\"a\",\"metricName\":\"score\",\"metricUnit\":\"\",\"bestDirection\":\"higher\"}\n"
		"{\"run\":1,\"commit\":\"%.7s\",\"metric\":100,\"status\":\"keep\",\"description\":\"baseline\"}\n"
		"{\"run\":2,\"commit\":\"%.7s\",\"metric\":120,\"status\":\"keep\",\"description\":\"faster\"}\n"
		"{\"run\":3,\"commit\":\"%.7s\",\"metric\":90,\"status\":\"discard\"}\n"
		"{\"run\":4,\"commit\":\"%.7s\",\"metric\":0,\"status\":\"crash\"}\n"
		"{\"type\":\"hook\",\"stage\":\"after\",\"exit_code\":0}\n"
		"this is not json\n"
		"{\"run\":5,\"commit\":\"%.7s\",\"metric\":\"fast\",\"status\":\"keep\"}\n"
		"{\"run\":6,\"metric\":130,\"status\":\"keep\"}\n"
		"\n"
		"{\"type\":\"config\",\"name\":\"b\",\"metricName\":\"total_ms\",\"bestDirection\":\"lower\"}\n"
		"{\"run\":7,\"commit\":\"%.7s\",\"metric\":50,\"status\":\"keep\",\"description\":\"new baseline\"}\n"
		"{\"run\":8,\"commit\":\"%.7s\",\"metric\":40,\"status\":\"keep\",\"description\":\"less\"}\n",
		F.base, F.c1, F.c1, F.c1, F.c2, F.c1, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("log.jsonl", text), -1, NULL));
	assert_int_equal(c->kind, LP_AUDIT_SRC_PI_LOG);
	assert_string_equal(c->metric, "total_ms");
	assert_int_equal(c->nclaims, 2);
	expect_claim(c, 0, F.c1, F.base, 1.2, 0, 3);
	assert_string_equal(c->claims[0].description, "faster");
	assert_int_equal(strlen(c->claims[0].given), 7);
	assert_int_equal(strncmp(c->claims[0].given, F.c1, 7), 0);
	expect_claim(c, 1, F.c2, F.c1, 0.8, 1, 13);
	assert_int_equal(c->nwarnings, 3);
	expect_warning(c, "log.jsonl:7", "not a JSON object", NULL);
	expect_warning(c, "log.jsonl:8", "\"metric\" is not a number", NULL);
	expect_warning(c, "log.jsonl:9", "without a \"commit\"", NULL);
	lp_audit_claims_free(c);
	/* the caller's direction wins over the config lines */
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("log.jsonl", text), 1, NULL));
	assert_int_equal(c->claims[0].lower_is_better, 1);
	lp_audit_claims_free(c);
	free(text);
}

/* Lines as pi-autoresearch writes them (segment, confidence, asi, hook
 * lines), read as its jsonl.ts reads them: a run without a status is a
 * keep; a keep of the commit kept just before (pi's "nothing to commit")
 * is folded into that commit's claim, flagged; --metric-column reads a
 * secondary metric from metrics{}. */
static void test_pi_log_as_pi_reads_it(void **state)
{
	char *text = fmt(
		"{\"type\":\"config\",\"name\":\"speed\",\"metricName\":\"total_ms\",\"metricUnit\":\"ms\",\"bestDirection\":\"lower\"}\n"
		"{\"run\":1,\"commit\":\"%.7s\",\"metric\":100,\"metrics\":{\"alloc_kb\":500},\"status\":\"keep\","
		"\"description\":\"baseline\",\"timestamp\":1764870000000,\"segment\":0,\"confidence\":null}\n"
		"{\"type\":\"hook\",\"stage\":\"after\",\"run\":1,\"exit_code\":0,\"duration_ms\":12}\n"
		"{\"run\":2,\"commit\":\"%.7s\",\"metric\":90,\"metrics\":{\"alloc_kb\":450},"
		"\"description\":\"no status\",\"timestamp\":1764870100000,\"segment\":0,\"confidence\":1.5,"
		"\"asi\":{\"hypothesis\":\"fewer copies\"}}\n"
		"{\"run\":3,\"commit\":\"%.7s\",\"metric\":81,\"metrics\":{\"alloc_kb\":450},\"status\":\"keep\","
		"\"description\":\"nothing to commit\",\"timestamp\":1764870200000,\"segment\":0,\"confidence\":2.1}\n"
		"{\"run\":4,\"commit\":\"%.7s\",\"metric\":70,\"metrics\":{\"alloc_kb\":900},\"status\":\"checks_failed\","
		"\"description\":\"skipped the check\",\"timestamp\":1764870300000,\"segment\":0,\"confidence\":2.2}\n"
		"{\"run\":5,\"commit\":\"%.7s\",\"metric\":72.9,\"metrics\":{\"alloc_kb\":225},\"status\":\"keep\","
		"\"description\":\"arena\",\"timestamp\":1764870400000,\"segment\":0,\"confidence\":2.5}\n",
		F.base, F.c1, F.c1, F.c1, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("pi.jsonl", text), -1, NULL));
	assert_int_equal(c->nclaims, 2);
	/* c1: 90/100 then the repeat 81/90: one claim of 0.81, flagged */
	expect_claim(c, 0, F.c1, F.base, 0.81, 1, 4);
	assert_int_equal(c->claims[0].kept_again, 1);
	assert_int_equal(c->claims[0].kept_again_line, 5);
	expect_warning(c, "pi.jsonl:5", "again", "nothing was committed", NULL);
	/* c2 against the last kept metric, the repeat's 81 */
	expect_claim(c, 1, F.c2, F.c1, 0.9, 1, 7);
	assert_int_equal(c->claims[1].kept_again, 0);
	lp_audit_claims_free(c);
	/* the secondary metric */
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("pi.jsonl", text), -1, "alloc_kb"));
	assert_string_equal(c->metric, "alloc_kb");
	assert_int_equal(c->nclaims, 2);
	expect_claim(c, 0, F.c1, F.base, 0.9, 1, 4);
	expect_claim(c, 1, F.c2, F.c1, 0.5, 1, 7);
	lp_audit_claims_free(c);
	/* the primary, named */
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("pi.jsonl", text), -1, "total_ms"));
	expect_claim(c, 1, F.c2, F.c1, 0.9, 1, 7);
	lp_audit_claims_free(c);
	free(text);
}

/* A keep of the baseline's commit again: no claim, the baseline moves. */
static void test_pi_log_baseline_kept_again(void **state)
{
	char *text = fmt("{\"run\":1,\"commit\":\"%.7s\",\"metric\":10,\"status\":\"keep\"}\n"
			 "{\"run\":2,\"commit\":\"%.12s\",\"metric\":9,\"status\":\"keep\"}\n"
			 "{\"run\":3,\"commit\":\"%.7s\",\"metric\":8.1,\"status\":\"keep\"}\n",
			 F.c1, F.c1, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("pi2.jsonl", text), -1, NULL));
	assert_int_equal(c->nclaims, 1);
	expect_claim(c, 0, F.c2, F.c1, 0.9, 1, 3);
	expect_warning(c, "pi2.jsonl:2", "the segment's baseline, again", NULL);
	lp_audit_claims_free(c);
	free(text);
}

static void test_pi_log_given_is_short(void **state)
{
	char *text = fmt("{\"commit\":\"%.7s\",\"metric\":10,\"status\":\"keep\"}\n"
			 "{\"commit\":\"%.9s\",\"metric\":0,\"status\":\"keep\"}\n", F.c1, F.c2);
	lp_audit_claims *c = NULL;
	char short9[10];

	(void)state;
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("log2.jsonl", text), -1, NULL));
	snprintf(short9, sizeof(short9), "%.9s", F.c2);
	assert_int_equal(c->nclaims, 1);
	assert_string_equal(c->claims[0].given, short9);
	/* a metric of 0: the claimed ratio is unknown, not infinite */
	expect_claim(c, 0, F.c2, F.c1, NAN, 1, 2);
	/* no config line: lower is better, and a warning says so */
	expect_warning(c, "no {\"type\":\"config\"} line", NULL);
	lp_audit_claims_free(c);
	free(text);
}

static void test_pi_log_missing_and_root(void **state)
{
	char *text = fmt("{\"type\":\"config\",\"metricName\":\"t\",\"bestDirection\":\"lower\"}\n"
			 "{\"commit\":\"%.7s\",\"metric\":10,\"status\":\"keep\"}\n"
			 "{\"commit\":\"%.7s\",\"metric\":9,\"status\":\"keep\"}\n"
			 "{\"commit\":\"0badc0de\",\"metric\":8,\"status\":\"keep\"}\n"
			 "{\"commit\":\"%.7s\",\"metric\":7,\"status\":\"keep\"}\n",
			 F.c1, F.base, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_pi_log(&c, F.r, source("log3.jsonl", text), -1, NULL));
	/* the root commit is skipped, the missing one reported as such */
	assert_int_equal(c->nclaims, 2);
	assert_int_equal(c->claims[0].missing, 1);
	assert_string_equal(c->claims[0].given, "0badc0de");
	assert_string_equal(c->claims[0].commit, "");
	expect_claim(c, 1, F.c2, F.c1, 7.0 / 8.0, 1, 5);
	expect_warning(c, "log3.jsonl:3", "root commit", NULL);
	expect_warning(c, "log3.jsonl:4", "0badc0de", "no longer exists", NULL);
	lp_audit_claims_free(c);
	free(text);
}

static void test_pi_log_errors(void **state)
{
	lp_audit_claims *c = NULL;
	char *only_baseline = fmt("{\"commit\":\"%.7s\",\"metric\":10,\"status\":\"keep\"}\n"
				  "{\"commit\":\"%.7s\",\"metric\":12,\"status\":\"discard\"}\n", F.c1, F.c2);

	(void)state;
	expect_error(lp_audit_claims_pi_log(&c, F.r, source("p1", "commit\tval_bpb\tstatus\nabc\t1.0\tkeep\n"), -1, NULL),
		     BG_EPARSE, "is not JSON lines");
	expect_error(lp_audit_claims_pi_log(&c, F.r, source("p2", only_baseline), -1, NULL), BG_ENOTFOUND,
		     "no kept experiment");
	expect_error(lp_audit_claims_pi_log(&c, F.r, source("p3", ""), -1, NULL), BG_ENOTFOUND, "no kept experiment");
	expect_error(lp_audit_claims_pi_log(&c, F.r, "/nonexistent/log.jsonl", -1, NULL), BG_ENOTFOUND,
		     "no pi-autoresearch log at /nonexistent/log.jsonl");
	assert_null(c);
	free(only_baseline);
}

/* ---- results.tsv ------------------------------------------------------------ */

static void test_tsv(void **state)
{
	char *text = fmt("commit\tval_bpb\tmemory_gb\tstatus\tdescription\r\n"
			 "%.7s\t1.000\t44.0\tkeep\tbaseline\r\n"
			 "%.7s\t1.100\t44.0\tdiscard\tworse\r\n"
			 "%.7s\t0.000\t0.0\tcrash\tOOM\r\n"
			 "%.7s\t0.950\r\n"
			 "%.7s\tn/a\t44.0\tkeep\tno number\r\n"
			 "%.7s\t0.900\t44.2\tkeep\tbetter\r\n"
			 "%.7s\t0.810\t44.2\tKEEP\tbetter still\r\n",
			 F.base, F.c1, F.c1, F.c1, F.c1, F.c1, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_tsv(&c, F.r, source("results.tsv", text), NULL, 1));
	assert_int_equal(c->kind, LP_AUDIT_SRC_TSV);
	assert_string_equal(c->metric, "val_bpb");
	assert_int_equal(c->nclaims, 2);
	expect_claim(c, 0, F.c1, F.base, 0.9, 1, 7);
	assert_string_equal(c->claims[0].description, "better");
	expect_claim(c, 1, F.c2, F.c1, 0.9, 1, 8);
	assert_int_equal(c->nwarnings, 2);
	expect_warning(c, "results.tsv:5", "2 fields", NULL);
	expect_warning(c, "results.tsv:6", "val_bpb \"n/a\" is not a number", NULL);
	lp_audit_claims_free(c);
	free(text);
}

static void test_tsv_header_variants(void **state)
{
	/* memory first: it is passed over; higher is better when told */
	char *mem = fmt("Commit\tmemory_gb\tscore\tStatus\n%.7s\t1\t0.40\tkeep\n%.7s\t1\t0.50\tkeep\n", F.c1, F.c2);
	/* autotrader-style: many metrics, one named */
	char *many = fmt("commit\tscore\tsharpe\tval_pass\tstatus\tdescription\n"
			 "%.7s\t0.40\t0.50\ttrue\tkeep\tbaseline\n%.7s\t0.44\t0.60\ttrue\tkeep\tx\n", F.c1, F.c2);
	lp_audit_claims *c = NULL;

	(void)state;
	assert_ok(lp_audit_claims_tsv(&c, F.r, source("mem.tsv", mem), NULL, 0));
	assert_string_equal(c->metric, "score");
	expect_claim(c, 0, F.c2, F.c1, 0.5 / 0.4, 0, 3);
	lp_audit_claims_free(c);
	assert_ok(lp_audit_claims_tsv(&c, F.r, source("many.tsv", many), "Sharpe", 0));
	assert_string_equal(c->metric, "sharpe");
	expect_claim(c, 0, F.c2, F.c1, 0.6 / 0.5, 0, 3);
	lp_audit_claims_free(c);
	assert_ok(lp_audit_claims_tsv(&c, F.r, source("many.tsv", many), NULL, 0));
	assert_string_equal(c->metric, "score");
	lp_audit_claims_free(c);
	free(mem);
	free(many);
}

static void test_tsv_errors(void **state)
{
	lp_audit_claims *c = NULL;
	char *no_num = fmt("commit\tstatus\tnote\n%.7s\tkeep\tx\n", F.c1);

	(void)state;
	expect_error(lp_audit_claims_tsv(&c, F.r, source("e1.tsv", "commit\tval_bpb\tdescription\nabc\t1\tx\n"),
					 NULL, 1),
		     BG_EINVAL, "no \"status\" column (found: \"commit\", \"val_bpb\", \"description\")");
	expect_error(lp_audit_claims_tsv(&c, F.r, source("e2.tsv", "hash\tval_bpb\tstatus\n"), NULL, 1),
		     BG_EINVAL, "no \"commit\" column");
	expect_error(lp_audit_claims_tsv(&c, F.r, source("e3.tsv", "commit\tval_bpb\tstatus\nabc\t1\tkeep\n"),
					 "loss", 1),
		     BG_EINVAL, "\"loss\" (--metric-column)");
	expect_error(lp_audit_claims_tsv(&c, F.r, source("e4.tsv", no_num), NULL, 1), BG_EINVAL,
		     "--metric-column");
	expect_error(lp_audit_claims_tsv(&c, F.r, source("e5.tsv", "\n\n"), NULL, 1), BG_EINVAL, "is empty");
	expect_error(lp_audit_claims_tsv(&c, F.r, source("e6.tsv", "commit\tval_bpb\tstatus\n"), NULL, 1),
		     BG_ENOTFOUND, "no kept row");
	assert_null(c);
	free(no_num);
}

/* ---- ranges ------------------------------------------------------------------ */

static void test_range(void **state)
{
	lp_audit_claims *c = NULL;
	char range[100];

	(void)state;
	snprintf(range, sizeof(range), "%.8s..%.8s", F.base, F.c2);
	assert_ok(lp_audit_claims_range(&c, F.r, range));
	assert_int_equal(c->kind, LP_AUDIT_SRC_RANGE);
	assert_string_equal(c->path, range);
	assert_int_equal(c->nclaims, 2);
	expect_claim(c, 0, F.c1, F.base, NAN, -1, 0);
	expect_claim(c, 1, F.c2, F.c1, NAN, -1, 0);
	lp_audit_claims_free(c);
	/* B left out: HEAD */
	snprintf(range, sizeof(range), "%s..", F.c1);
	assert_ok(lp_audit_claims_range(&c, F.r, range));
	assert_int_equal(c->nclaims, 1);
	expect_claim(c, 0, F.c2, F.c1, NAN, -1, 0);
	lp_audit_claims_free(c);
}

static void test_range_errors(void **state)
{
	lp_audit_claims *c = NULL;
	char range[100];

	(void)state;
	snprintf(range, sizeof(range), "%s..%.10s", F.c1, F.c1);
	expect_error(lp_audit_claims_range(&c, F.r, range), BG_EINVAL, "is empty");
	snprintf(range, sizeof(range), "%s..%s", F.c2, F.base);
	expect_error(lp_audit_claims_range(&c, F.r, range), BG_EINVAL, "not on the first-parent history");
	expect_error(lp_audit_claims_range(&c, F.r, F.c1), BG_EINVAL, "expected A..B");
	expect_error(lp_audit_claims_range(&c, F.r, "..HEAD"), BG_EINVAL, "expected A..B");
	expect_error(lp_audit_claims_range(&c, F.r, "nosuchrev..HEAD"), BG_ENOTFOUND, "nosuchrev");
	assert_null(c);
}

/* ---- the chain the campaign's totals are over ------------------------------- */

static lp_audit_claim link_of(const char *commit, const char *parent)
{
	lp_audit_claim c;

	memset(&c, 0, sizeof(c));
	snprintf(c.commit, sizeof(c.commit), "%s", commit);
	snprintf(c.parent, sizeof(c.parent), "%s", parent);
	return c;
}

static void test_chain(void **state)
{
	lp_audit_claim chain[3] = { link_of("b", "a"), link_of("c", "b"), link_of("d", "c") };
	lp_audit_claim overlap[3] = { link_of("b", "a"), link_of("c", "a"), link_of("d", "c") };
	lp_audit_claim last_missing[3] = { link_of("b", "a"), link_of("c", "b"), link_of("", "") };
	lp_audit_claim reversed[2] = { link_of("c", "b"), link_of("b", "a") };
	lp_audit_claim none[2] = { link_of("", ""), link_of("", "") };
	int on[3];

	(void)state;
	assert_int_equal(lp_audit_chain(on, chain, 3), 3);
	assert_true(on[0] && on[1] && on[2]);
	/* two claims against one parent: the chain back from the last skips one */
	assert_int_equal(lp_audit_chain(on, overlap, 3), 2);
	assert_true(!on[0] && on[1] && on[2]);
	assert_int_equal(lp_audit_chain(on, last_missing, 3), 2);
	assert_true(on[0] && on[1] && !on[2]);
	/* out of order: the last claim's parent was made by no earlier claim */
	assert_int_equal(lp_audit_chain(on, reversed, 2), 1);
	assert_true(!on[0] && on[1]);
	assert_int_equal(lp_audit_chain(on, none, 2), 0);
	assert_true(!on[0] && !on[1]);
}

/* ---- classification --------------------------------------------------------- */

static st_effect eff(double ratio, double lo, double hi, st_verdict v)
{
	st_effect e = { ratio, lo, hi, 0.95, 0.01, 10, v, 0.0, INFINITY, 0 };

	return e;
}

static void test_classify(void **state)
{
	st_effect real = eff(0.85, 0.82, 0.88, ST_IMPROVED);
	double sh = 0;

	(void)state;
	/* inside the interval, smaller than it, unknown: replicated */
	assert_int_equal(lp_audit_classify(&sh, &real, 1, lp_audit_gain(0.84, 1), 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_REPLICATED);
	assert_true(isnan(sh));
	assert_int_equal(lp_audit_classify(&sh, &real, 1, lp_audit_gain(0.95, 1), 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_REPLICATED);
	assert_int_equal(lp_audit_classify(&sh, &real, 1, NAN, 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_REPLICATED);
	/* exactly the bound, up to rounding */
	assert_int_equal(lp_audit_classify(&sh, &real, 1, lp_audit_gain(0.82, 1) * (1 + 1e-12), 0.02, 0, GRD_HOLDOUT_PASS),
			 LP_AUDIT_REPLICATED);
	/* beyond the best bound: shrunk, 100 (1 - 0.15 / 0.30) = 50% */
	assert_int_equal(lp_audit_classify(&sh, &real, 1, lp_audit_gain(0.70, 1), 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_SHRUNK);
	bg_fx_assert_close(sh, 50.0, 1e-9);
	/* the held-out workloads exclude the gain: overfit, whatever the claim;
	 * they did not decide: undecided */
	assert_int_equal(lp_audit_classify(&sh, &real, 1, lp_audit_gain(0.70, 1), 0.02, 1, GRD_HOLDOUT_OVERFIT), LP_AUDIT_OVERFIT);
	assert_int_equal(lp_audit_classify(&sh, &real, 1, NAN, 0.02, 1, GRD_HOLDOUT_PASS), LP_AUDIT_REPLICATED);
	assert_int_equal(lp_audit_classify(&sh, &real, 1, NAN, 0.02, 1, GRD_HOLDOUT_UNDECIDED), LP_AUDIT_UNDECIDED);
}

static void test_classify_not_replicated(void **state)
{
	st_effect crosses = eff(0.97, 0.93, 1.01, ST_INCONCLUSIVE);
	st_effect band = eff(0.998, 0.995, 0.999, ST_NO_CHANGE);
	st_effect slower = eff(1.1, 1.05, 1.15, ST_REGRESSED);
	double sh = 0;

	(void)state;
	assert_int_equal(lp_audit_classify(&sh, &crosses, 1, 0.1, 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_NOT_REPLICATED);
	/* entirely below 1, but inside the band of changes too small to matter */
	assert_int_equal(lp_audit_classify(&sh, &band, 1, 0.1, 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_NOT_REPLICATED);
	assert_int_equal(lp_audit_classify(&sh, &slower, 1, 0.1, 0.02, 1, GRD_HOLDOUT_PASS), LP_AUDIT_NOT_REPLICATED);
	/* higher is better: the same interval is a replicated gain */
	assert_int_equal(lp_audit_classify(&sh, &slower, 0, lp_audit_gain(1.1, 0), 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_REPLICATED);
	assert_int_equal(lp_audit_classify(&sh, &slower, 0, lp_audit_gain(1.25, 0), 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_SHRUNK);
	bg_fx_assert_close(sh, 100.0 * (1 - 0.1 / 0.25), 1e-9);
	bg_fx_assert_close(lp_audit_gain(0.8, 1), 0.2, 1e-12);
	bg_fx_assert_close(lp_audit_gain(1.3, 0), 0.3, 1e-12);
	assert_string_equal(lp_audit_status_name(LP_AUDIT_NOT_REPLICATED), "NOT_REPLICATED");
	assert_string_equal(lp_audit_status_name(LP_AUDIT_MISSING), "MISSING");
}

/* Decided against, or not enough data: an interval that holds both no gain
 * and the claim (a gain worth keeping, the claim unknown) is UNDECIDED;
 * one that excludes the claim, or every gain of min_effect or more, is
 * NOT_REPLICATED. */
static void test_classify_undecided(void **state)
{
	st_effect crosses = eff(0.97, 0.93, 1.01, ST_INCONCLUSIVE);   /* gains -1% .. 7% */
	st_effect unbounded = eff(0.88, 0.0, INFINITY, ST_INCONCLUSIVE);
	st_effect real = eff(0.85, 0.82, 0.88, ST_IMPROVED);
	double sh = 0;

	(void)state;
	assert_int_equal(lp_audit_classify(&sh, &crosses, 1, 0.05, 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_UNDECIDED);
	assert_int_equal(lp_audit_classify(&sh, &crosses, 1, 0.08, 0.02, 0, GRD_HOLDOUT_PASS),
			 LP_AUDIT_NOT_REPLICATED);   /* the claim is excluded */
	assert_int_equal(lp_audit_classify(&sh, &crosses, 1, NAN, 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_UNDECIDED);
	assert_int_equal(lp_audit_classify(&sh, &crosses, 1, NAN, 0.10, 0, GRD_HOLDOUT_PASS),
			 LP_AUDIT_NOT_REPLICATED);   /* no gain worth keeping is left */
	assert_int_equal(lp_audit_classify(&sh, &unbounded, 1, 0.2, 0.02, 0, GRD_HOLDOUT_PASS), LP_AUDIT_UNDECIDED);
	assert_string_equal(lp_audit_status_name(LP_AUDIT_UNDECIDED), "UNDECIDED");
	/* time to decide: half-width 4% must shrink to max(3%, 5% - 3%) = 3%:
	 * (4/3)^2 - 1 of the 30 s spent */
	bg_fx_assert_close(lp_audit_more_time(&crosses, 1, 0.05, 30.0), 30.0 * (16.0 / 9.0 - 1.0), 1e-9);
	/* with a 12% floor: to 9%, already narrower */
	assert_true(lp_audit_more_time(&crosses, 1, 0.12, 30.0) == 0.0);
	assert_true(isinf(lp_audit_more_time(&unbounded, 1, 0.05, 30.0)));
	assert_true(lp_audit_more_time(&real, 1, 0.05, 30.0) == 0.0);
}

/* ---- change points ------------------------------------------------------------ */

static void series_of(lp_audit_point *p, const double *ratios, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (lp_audit_point){ i + 1, "", ratios[i], 1 };
}

static void test_changepoints(void **state)
{
	static const double step[] = { 0.90, 0.91, 0.89, 0.905, 0.895, 0.90, 1.00, 0.99, 1.01, 1.005, 0.995, 1.0 };
	static const double exact[] = { 0.85, 0.85, 0.85, 0.85, 1.0, 1.0, 1.0, 1.0 };
	static const double flat[] = { 0.90, 0.91, 0.89, 0.905, 0.895, 0.90, 0.902, 0.899 };
	lp_audit_point p[12];
	lp_audit_step *s = NULL;
	size_t n = 99;

	(void)state;
	series_of(p, step, 12);
	assert_ok(lp_audit_changepoints(&s, &n, p, 12));
	assert_int_equal(n, 1);
	assert_int_equal(s[0].index, 6);
	bg_fx_assert_close(s[0].before, 0.90, 0.01);
	bg_fx_assert_close(s[0].after, 1.00, 0.01);
	free(s);
	/* exact ratios: the differences' MAD is 0, their variance is used */
	series_of(p, exact, 8);
	assert_ok(lp_audit_changepoints(&s, &n, p, 8));
	assert_int_equal(n, 1);
	assert_int_equal(s[0].index, 4);
	bg_fx_assert_close(s[0].before, 0.85, 1e-12);
	free(s);
	series_of(p, flat, 8);
	assert_ok(lp_audit_changepoints(&s, &n, p, 8));
	assert_int_equal(n, 0);
	assert_null(s);
	/* too short, or constant: nothing */
	series_of(p, exact, 3);
	assert_ok(lp_audit_changepoints(&s, &n, p, 3));
	assert_int_equal(n, 0);
	p[1].ratio = -1;
	expect_error(lp_audit_changepoints(&s, &n, p, 3), BG_EDOMAIN, "record 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger),
		cmocka_unit_test(test_ledger_errors),
		cmocka_unit_test(test_pi_log),
		cmocka_unit_test(test_pi_log_as_pi_reads_it),
		cmocka_unit_test(test_pi_log_baseline_kept_again),
		cmocka_unit_test(test_pi_log_given_is_short),
		cmocka_unit_test(test_pi_log_missing_and_root),
		cmocka_unit_test(test_pi_log_errors),
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_tsv_header_variants),
		cmocka_unit_test(test_tsv_errors),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_range_errors),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_not_replicated),
		cmocka_unit_test(test_classify_undecided),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_changepoints),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
