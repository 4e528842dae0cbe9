/* grd_tests: the test gate: running the test command through smp_shell and
 * counting the tests it reported (see grd_tests.h for the formats). */
#include "grd_tests.h"
#include "bg_error.h"
#include "bg_file.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- formats ------------------------------------------------------------ */

typedef enum { FMT_CMOCKA, FMT_TAP, FMT_PYTEST, FMT_PASSED, FMT_REGEX } fmt_kind;

#define RE_CMOCKA "\\[=+\\] ([0-9]+) tests?(\\(s\\))? run\\."
#define RE_TAP_PLAN "^1\\.\\.([0-9]+)"
#define RE_TAP_LINE "^(not )?ok([ \t]|$)"
/* pytest's closing line, with or without the '=' rule around it (-q drops
 * it); older releases wrote "in 0.12 seconds". */
#define RE_PYTEST "^[= ]*(no tests ran|[0-9]+ [a-z]+(, [0-9]+ [a-z]+)*) in [0-9.]+ ?s"
#define RE_PASSED "([0-9]+) passed"

#define FORMAT_HINT "use \"cmocka\", \"tap\", \"pytest\", \"passed\" or \"regex:<ERE>\""

static int fmt_parse(fmt_kind *kind, const char *format)
{
	if (format == NULL)
		return bg_error_set(BG_EINVAL, "no test count format given: " FORMAT_HINT);
	if (strcmp(format, "cmocka") == 0)
		*kind = FMT_CMOCKA;
	else if (strcmp(format, "tap") == 0)
		*kind = FMT_TAP;
	else if (strcmp(format, "pytest") == 0)
		*kind = FMT_PYTEST;
	else if (strcmp(format, "passed") == 0)
		*kind = FMT_PASSED;
	else if (strncmp(format, "regex:", 6) == 0)
		*kind = FMT_REGEX;
	else
		return bg_error_set(BG_EINVAL, "unknown test count format \"%s\": " FORMAT_HINT,
				    format);
	return 0;
}

/* Compiles pattern; a user's regex must have a capture group for the count. */
static int re_compile(regex_t *re, const char *pattern, const char *format, int need_group)
{
	char msg[256];
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NEWLINE);

	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		regfree(re);
		return bg_error_set(BG_EINVAL, "test count format \"%s\": bad regular expression: %s",
				    format, msg);
	}
	if (need_group && re->re_nsub < 1) {
		regfree(re);
		return bg_error_set(BG_EINVAL, "test count format \"%s\": the regular expression has "
				    "no capture group: put the number in one, e.g. \"regex:([0-9]+) tests\"",
				    format);
	}
	return 0;
}

int grd_test_format_valid(const char *format)
{
	fmt_kind kind;
	regex_t re;

	if (fmt_parse(&kind, format) < 0)
		return 0;
	if (kind != FMT_REGEX)
		return 1;
	if (re_compile(&re, format + 6, format, 1) < 0)
		return 0;
	regfree(&re);
	return 1;
}

/* ---- scanning ----------------------------------------------------------- */

typedef enum { SCAN_SUM, SCAN_COUNT, SCAN_LAST } scan_mode;

typedef struct {
	scan_mode mode;
	const char *format;  /* for messages */
	long sum;            /* SCAN_SUM: sum of group 1; SCAN_COUNT: matches */
	size_t matches;
	char *last;          /* SCAN_LAST: group 1 of the last match (owned) */
} scan;

/* Group 1 of a match as a non-negative integer (blanks around allowed). */
static int group_value(long *out, const char *line, const regmatch_t *g, const char *format)
{
	const char *s, *e;
	char *end;
	long v;

	if (g->rm_so < 0)
		return bg_error_set(BG_EINVAL, "test count format \"%s\": the first capture group "
				    "took no part in a match: make it always capture the number", format);
	s = line + g->rm_so;
	e = line + g->rm_eo;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	errno = 0;
	v = (s < e && *s >= '0' && *s <= '9') ? strtol(s, &end, 10) : -1;
	if (v < 0 || end != e || errno == ERANGE)
		return bg_error_set(BG_EINVAL, "test count format \"%s\": the first capture group "
				    "matched \"%.*s\", not a test count: make it capture only the digits",
				    format, (int)(g->rm_eo - g->rm_so), line + g->rm_so);
	*out = v;
	return 0;
}

static int scan_add(scan *sc, long v)
{
	if (__builtin_add_overflow(sc->sum, v, &sc->sum))
		return bg_error_set(BG_EINVAL, "test count format \"%s\": the counts add up to more "
				    "than %ld", sc->format, LONG_MAX);
	return 0;
}

static int scan_match(scan *sc, const char *line, const regmatch_t *m)
{
	long v = 0;
	int error;

	sc->matches++;
	if (sc->mode == SCAN_COUNT)
		return scan_add(sc, 1);
	if (sc->mode == SCAN_LAST) {
		free(sc->last);
		sc->last = strndup(line + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
		return sc->last == NULL ? bg_error_nomem() : 0;
	}
	if ((error = group_value(&v, line, &m[1], sc->format)) < 0)
		return error;
	return scan_add(sc, v);
}

/* Every match of re in one line (NUL-terminated, no newline). */
static int scan_line(scan *sc, const regex_t *re, const char *line)
{
	regmatch_t m[2];
	const char *p = line;
	int eflags = 0, error;

	while (regexec(re, p, 2, m, eflags) == 0) {
		if ((error = scan_match(sc, p, m)) < 0)
			return error;
		if (m[0].rm_eo == 0) {   /* empty match at p: step over one byte */
			if (*p == '\0')
				break;
			p++;
		} else {
			p += m[0].rm_eo;
		}
		eflags = REG_NOTBOL;
	}
	return 0;
}

/* Runs re over each line of text; lines are matched one at a time so the
 * work stays linear in the output's size, and a "\r\n" ending is ignored. */
static int scan_text(scan *sc, const regex_t *re, const char *text)
{
	char *copy = strdup(text), *line, *nl;
	int error = 0;

	if (copy == NULL)
		return bg_error_nomem();
	for (line = copy; line != NULL; line = nl) {
		size_t len;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if ((error = scan_line(sc, re, line)) < 0)
			break;
	}
	free(copy);
	return error;
}

static int scan_pattern(scan *sc, const char *pattern, const char *text)
{
	regex_t re;
	int error;

	if ((error = re_compile(&re, pattern, sc->format, sc->mode != SCAN_COUNT)) < 0)
		return error;
	error = scan_text(sc, &re, text);
	regfree(&re);
	return error;
}

/* ---- pytest ------------------------------------------------------------- */

/* Counts that are not tests run: deselected tests were not run, warnings
 * are not tests, and a rerun repeats a test counted as passed or failed. */
static int pytest_word_ignored(const char *word, size_t len)
{
	static const char *const ignored[] = { "deselected", "warning", "warnings",
					       "rerun", "reruns" };
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strlen(ignored[i]) == len && strncmp(word, ignored[i], len) == 0)
			return 1;
	return 0;
}

/* Sums "N word, N word, ..." (the regex guarantees the shape). */
static int pytest_sum(long *out, const char *summary, const char *format)
{
	const char *p = summary;
	long sum = 0;

	if (strcmp(summary, "no tests ran") == 0) {
		*out = 0;
		return 0;
	}
	while (*p != '\0') {
		char *word;
		long v;
		size_t len;

		errno = 0;
		v = strtol(p, &word, 10);
		word++;   /* the blank after the number */
		len = strcspn(word, ",");
		if (errno == ERANGE ||
		    (!pytest_word_ignored(word, len) && __builtin_add_overflow(sum, v, &sum)))
			return bg_error_set(BG_EINVAL, "test count format \"%s\": the count in "
					    "\"%s\" is too large", format, summary);
		p = word + len;
		p += strspn(p, ", ");
	}
	*out = sum;
	return 0;
}

/* ---- counting ----------------------------------------------------------- */

static int count_by_kind(scan *sc, fmt_kind kind, const char *format, const char *output)
{
	int error;

	switch (kind) {
	case FMT_CMOCKA:
		return scan_pattern(sc, RE_CMOCKA, output);
	case FMT_PASSED:
		return scan_pattern(sc, RE_PASSED, output);
	case FMT_REGEX:
		return scan_pattern(sc, format + 6, output);
	case FMT_PYTEST:
		sc->mode = SCAN_LAST;
		if ((error = scan_pattern(sc, RE_PYTEST, output)) < 0 || sc->last == NULL)
			return error;
		return pytest_sum(&sc->sum, sc->last, format);
	case FMT_TAP:
		if ((error = scan_pattern(sc, RE_TAP_PLAN, output)) < 0 || sc->matches > 0)
			return error;
		sc->mode = SCAN_COUNT;
		return scan_pattern(sc, RE_TAP_LINE, output);
	}
	return bg_error_set(BG_EINVAL, "unknown test count format \"%s\"", format);
}

int grd_test_count(long *out, const char *format, const char *output)
{
	scan sc = { SCAN_SUM, format, 0, 0, NULL };
	fmt_kind kind;
	int error;

	if ((error = fmt_parse(&kind, format)) < 0)
		return error;
	if (output == NULL)
		output = "";
	if ((error = count_by_kind(&sc, kind, format, output)) < 0)
		goto cleanup;
	if (sc.matches == 0) {
		error = bg_error_set(BG_ENOTFOUND, "the test output has no count in format %s", format);
		goto cleanup;
	}
	*out = sc.sum;
cleanup:
	free(sc.last);
	return error;
}

/* ---- running ------------------------------------------------------------ */

static const char *outcome_reason(const smp_shell_result *r)
{
	if (r->outcome == SMP_TIMED_OUT)
		return "tests_timed_out";
	if (r->outcome == SMP_SIGNALED)
		return "tests_killed";
	if (r->exit_code != 0)
		return "tests_failed";
	return NULL;
}

/* Fills res from the finished run sh (taking its tail): the count in
 * format, the reason. */
static int result_fill(grd_test_result *res, smp_shell_result *sh, const char *format)
{
	int error = 0;

	memset(res, 0, sizeof(*res));
	res->outcome = sh->outcome;
	res->exit_code = sh->exit_code;
	res->term_signal = sh->term_signal;
	res->timed_out = sh->timed_out;
	res->passed = sh->passed;
	res->output_truncated = sh->output_truncated;
	res->wall_s = sh->wall_s;
	res->count = -1;
	res->reason = outcome_reason(sh);
	if (format != NULL) {
		error = grd_test_count(&res->count, format, sh->output);
		if (error == BG_ENOTFOUND) {
			error = 0;
			if (res->reason == NULL)
				res->reason = "tests_count_missing";
		}
	}
	res->tail = sh->tail;
	sh->tail = NULL;
	return error;
}

int grd_tests_run(grd_test_result *out, const char *cmd, const char *cwd,
		  const char *format, double timeout_s, const smp_sandbox *sb)
{
	smp_shell_result sh;
	grd_test_result res;
	int error;

	if (out == NULL || cmd == NULL || !(timeout_s >= 0))
		return bg_error_set(BG_EINVAL, "grd_tests_run: missing result, command or timeout");
	if (format != NULL && !grd_test_format_valid(format))
		return BG_EINVAL;
	if ((error = smp_shell_run(&sh, cmd, cwd, timeout_s, sb)) < 0)
		return error;
	if ((error = result_fill(&res, &sh, format)) < 0)
		grd_test_result_clear(&res);
	else
		*out = res;
	smp_shell_result_clear(&sh);
	return error;
}

void grd_test_result_clear(grd_test_result *r)
{
	if (r == NULL)
		return;
	free(r->tail);
	memset(r, 0, sizeof(*r));
}
