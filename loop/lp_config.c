/* lp_config: reading, validating, printing and hashing benchgate.json (see
 * lp_config.h).
 *
 * Parsing walks the cJSON tree with the key path of the current value in
 * hand ("budget.min_rounds", "workloads[1].name"), so every message can name
 * it. Each object's keys are checked against a table of the keys it may
 * hold before any value is read: an unknown key is reported with the
 * closest known one when the spelling is near. */
#include "lp_config.h"
#include "bg_error.h"
#include "smp_metric.h"
#include "smp_runner.h"

#include <cjson/cJSON.h>
#include <git2.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAX 128             /* a key path: our own keys plus indexes */
#define GOT_MAX 128             /* what a message quotes of a found value */
#define QUOTE_MAX 60            /* bytes of a found string that are quoted */
#define SUGGEST_MAX 64          /* longer unknown keys get no suggestion */
#define FILE_MAX (4u << 20)     /* a config larger than this is a mistake */

/* ---- key tables --------------------------------------------------------- */

static const char *const top_keys[] = {
	"build", "test", "metric", "secondary", "workloads", "holdout", "protected", "alpha",
	"min_effect", "max_regression", "generalization", "holdout_budget",
	"budget", "pin", "isolation", NULL
};
static const char *const secondary_keys[] = { "name", "direction", "max_regression", NULL };
static const char *const test_keys[] = { "cmd", "count", NULL };
static const char *const metric_keys[] = { "name", "direction", "effect", "range", "regex", "aggregate", NULL };
static const char *const effects[] = { "ratio", "difference", NULL };
/* in smp_aggregate's order */
static const char *const aggregates[] = { "last", "mean", "median", NULL };
static const char *const workload_keys[] = { "name", "cmd", "split", "weight", "duel", NULL };
static const char *const holdout_keys[] = { "dir", "workloads", NULL };
static const char *const budget_keys[] = {
	"max_seconds", "min_rounds", "max_rounds", "warmup", "run_timeout", NULL
};
static const char *const count_formats[] = { "cmocka", "tap", "pytest", "passed", NULL };

#define COUNT_TEXT "one of \"cmocka\", \"tap\", \"pytest\", \"passed\" or " \
	"\"regex:<POSIX extended regex with one group>\""

/* An allowed interval for a number. */
typedef struct {
	double lo, hi;
	int lo_open, hi_open;
	const char *text;   /* "a number in (0, 1)" */
} range;

static const range R_OPEN_UNIT = { 0, 1, 1, 1, "a number in (0, 1)" };
static const range R_HALF_UNIT = { 0, 1, 0, 1, "a number in [0, 1)" };
static const range R_UNIT = { 0, 1, 0, 0, "a number in [0, 1]" };
static const range R_POSITIVE = { 0, INFINITY, 1, 1, "a number > 0" };
static const range R_NONNEG = { 0, INFINITY, 0, 1, "a number >= 0" };

/* ---- small helpers ------------------------------------------------------ */

static int in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int dup_string(char **out, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory copying the configuration");
	free(*out);
	*out = d;
	return 0;
}

/* "prefix.key", or "key" at the top level. */
static void key_join(char kp[KEY_MAX], const char *prefix, const char *key)
{
	if (snprintf(kp, KEY_MAX, "%s%s%s", prefix, prefix[0] ? "." : "", key) >= KEY_MAX)
		kp[KEY_MAX - 1] = '\0';
}

/* "prefix[i]". */
static void key_index(char kp[KEY_MAX], const char *prefix, size_t i)
{
	if (snprintf(kp, KEY_MAX, "%s[%zu]", prefix, i) >= KEY_MAX)
		kp[KEY_MAX - 1] = '\0';
}

static const cJSON *member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---- describing what was found ------------------------------------------ */

static const char *json_kind(const cJSON *it)
{
	if (cJSON_IsString(it))
		return "a string";
	if (cJSON_IsNumber(it))
		return "a number";
	if (cJSON_IsBool(it))
		return "a boolean";
	if (cJSON_IsNull(it))
		return "null";
	if (cJSON_IsArray(it))
		return cJSON_GetArraySize(it) ? "an array" : "an empty array";
	return "an object";
}

/* s in double quotes, '"' and '\' escaped, control bytes as '?', cut after
 * QUOTE_MAX bytes (at a UTF-8 boundary) with "...". */
static void quote(char buf[GOT_MAX], const char *s)
{
	size_t o = 0, i = 0;

	buf[o++] = '"';
	for (; s[i] && i < QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			buf[o++] = '\\';
		buf[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (s[i]) {
		while (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0xC0)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* The shortest %g text that reads back as v. */
static void number_text(char buf[GOT_MAX], double v)
{
	if (!isfinite(v)) {
		snprintf(buf, GOT_MAX, "a number too large to represent");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, GOT_MAX, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, GOT_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* What a message says was found: a string quoted; a number's value when a
 * number was expected, else only its type; other values by type. */
static void found_text(char buf[GOT_MAX], const cJSON *it, int number_expected)
{
	if (cJSON_IsString(it))
		quote(buf, it->valuestring);
	else if (cJSON_IsNumber(it) && number_expected)
		number_text(buf, it->valuedouble);
	else
		snprintf(buf, GOT_MAX, "%s", json_kind(it));
}

/* BG_EINVAL: `file: "key" must be <expected>, got <found>`. */
static int bad_value(const char *file, const char *kp, const char *expected,
		     const cJSON *it, int number_expected)
{
	char got[GOT_MAX];

	found_text(got, it, number_expected);
	return bg_error_set(BG_EINVAL, "%s: \"%s\" must be %s, got %s", file, kp, expected, got);
}

static int missing(const char *file, const char *prefix, const char *key)
{
	char kp[KEY_MAX];

	key_join(kp, prefix, key);
	return bg_error_set(BG_EINVAL, "%s: missing required key \"%s\"", file, kp);
}

/* ---- unknown keys ------------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions), for strings shorter than SUGGEST_MAX. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The known key nearest to `key` when it is near enough to be a typo:
 * one edit for short keys, two for keys of five letters or more. */
static const char *closest_key(const char *key, const char *const *known)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	if (strlen(key) >= SUGGEST_MAX)
		return NULL;
	for (size_t i = 0; known[i]; i++) {
		size_t d = edit_distance(key, known[i]);
		size_t allowed = strlen(known[i]) >= 5 ? 2 : 1;

		if (d <= allowed && d < best_d) {
			best = known[i];
			best_d = d;
		}
	}
	return best;
}

static int unknown_key(const char *file, const char *prefix, const char *key,
		       const char *const *known)
{
	const char *near = closest_key(key, known);
	const char *dot = prefix[0] ? "." : "";
	char list[256] = "";
	size_t o = 0;

	if (near != NULL)
		return bg_error_set(BG_EINVAL, "%s: unknown key \"%s%s%s\" (did you mean \"%s%s%s\"?)",
				    file, prefix, dot, key, prefix, dot, near);
	for (size_t i = 0; known[i] && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", known[i]);
	if (prefix[0] == '\0')
		return bg_error_set(BG_EINVAL, "%s: unknown key \"%s\" (the top level may hold: %s)",
				    file, key, list);
	return bg_error_set(BG_EINVAL, "%s: unknown key \"%s.%s\" (\"%s\" may hold: %s)", file,
			    prefix, key, prefix, list);
}

/* Every key of obj is known and appears once. */
static int check_keys(const char *file, const cJSON *obj, const char *prefix,
		      const char *const *known)
{
	for (const cJSON *k = obj->child; k; k = k->next) {
		char kp[KEY_MAX];

		if (!in_list(k->string, known))
			return unknown_key(file, prefix, k->string, known);
		for (const cJSON *j = obj->child; j != k; j = j->next)
			if (strcmp(j->string, k->string) == 0) {
				key_join(kp, prefix, k->string);
				return bg_error_set(BG_EINVAL, "%s: key \"%s\" appears twice", file, kp);
			}
	}
	return 0;
}

/* obj[key] as an object whose keys are checked; *out NULL when absent. */
static int get_object(const cJSON **out, const char *file, const cJSON *obj, const char *prefix,
		      const char *key, const char *const *known, const char *expected)
{
	const cJSON *it = member(obj, key);
	char kp[KEY_MAX];
	int error;

	*out = NULL;
	if (it == NULL)
		return 0;
	key_join(kp, prefix, key);
	if (!cJSON_IsObject(it))
		return bad_value(file, kp, expected, it, 0);
	if ((error = check_keys(file, it, kp, known)) < 0)
		return error;
	*out = it;
	return 0;
}

/* ---- typed values ------------------------------------------------------- */

typedef int (*string_check)(const char *s);

/* obj[key] as a string accepted by `ok` (NULL: any), copied into *out
 * (replacing a default). Absent: an error when required, else *out kept. */
static int get_string(char **out, const char *file, const cJSON *obj, const char *prefix,
		      const char *key, int required, string_check ok, const char *expected)
{
	const cJSON *it = member(obj, key);
	char kp[KEY_MAX];

	if (it == NULL)
		return required ? missing(file, prefix, key) : 0;
	key_join(kp, prefix, key);
	if (!cJSON_IsString(it) || (ok != NULL && !ok(it->valuestring)))
		return bad_value(file, kp, expected, it, 0);
	return dup_string(out, it->valuestring);
}

/* obj[key], when present, as the index of one of `choices` in *out. */
static int get_choice(int *out, const char *file, const cJSON *obj, const char *prefix,
		      const char *key, const char *const *choices, const char *expected)
{
	const cJSON *it = member(obj, key);
	char kp[KEY_MAX];

	if (it == NULL)
		return 0;
	key_join(kp, prefix, key);
	for (int i = 0; cJSON_IsString(it) && choices[i]; i++)
		if (strcmp(it->valuestring, choices[i]) == 0) {
			*out = i;
			return 0;
		}
	return bad_value(file, kp, expected, it, 0);
}

static int in_range(double v, const range *r)
{
	if (!isfinite(v))
		return 0;
	if (r->lo_open ? !(v > r->lo) : !(v >= r->lo))
		return 0;
	return r->hi_open ? v < r->hi : v <= r->hi;
}

/* obj[key], when present, as a finite number in *r. */
static int get_number(double *out, const char *file, const cJSON *obj, const char *prefix,
		      const char *key, const range *r)
{
	const cJSON *it = member(obj, key);
	char kp[KEY_MAX];

	if (it == NULL)
		return 0;
	key_join(kp, prefix, key);
	if (!cJSON_IsNumber(it) || !in_range(it->valuedouble, r))
		return bad_value(file, kp, r->text, it, 1);
	*out = it->valuedouble;
	return 0;
}

/* obj[key], when present, as a whole number in [lo, UINT_MAX]. */
static int get_whole(unsigned *out, const char *file, const cJSON *obj, const char *prefix,
		     const char *key, unsigned lo)
{
	const cJSON *it = member(obj, key);
	char kp[KEY_MAX], expected[64];
	double v;

	if (it == NULL)
		return 0;
	key_join(kp, prefix, key);
	snprintf(expected, sizeof(expected), "a whole number >= %u", lo);
	v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
	if (!isfinite(v) || v != floor(v) || v < lo)
		return bad_value(file, kp, expected, it, 1);
	if (v > UINT_MAX) {
		snprintf(expected, sizeof(expected), "a whole number from %u to %u", lo, UINT_MAX);
		return bad_value(file, kp, expected, it, 1);
	}
	*out = (unsigned)v;
	return 0;
}

/* ---- string checks ------------------------------------------------------ */

static int check_command(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 1;
	return 0;
}

static int check_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return 0;
	return 1;
}

static int check_metric(const char *s)
{
	return smp_metric_builtin(s) || smp_metric_name_valid(s);
}

/* 1..5 decimal digits at *s; advances *s past them. */
static int skip_pu(const char **s)
{
	size_t n = strspn(*s, "0123456789");

	*s += n;
	return n >= 1 && n <= 5;
}

static int check_pin(const char *s)
{
	if (strcmp(s, "auto") == 0 || strcmp(s, "none") == 0)
		return 1;
	if (!skip_pu(&s))
		return 0;
	if (*s == ',' && (s++, !skip_pu(&s)))
		return 0;
	return *s == '\0';
}

static int check_isolation(const char *s)
{
	return strcmp(s, "bwrap") == 0 || strcmp(s, "none") == 0;
}

/* A relative path with no empty, "." or ".." part (a trailing '/' is fine:
 * it marks a directory prefix). */
static int check_protected(const char *s)
{
	if (*s == '\0' || *s == '/')
		return 0;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
	}
	return 1;
}

static int check_nonempty(const char *s)
{
	return *s != '\0';
}

/* ---- sections ----------------------------------------------------------- */

/* "regex:<ERE>": the regex must compile and have exactly one group. */
static int check_count_regex(const char *file, const cJSON *it)
{
	char why[128], got[GOT_MAX];
	regex_t re;
	int rc = regcomp(&re, it->valuestring + 6, REG_EXTENDED);
	size_t groups;

	if (rc != 0) {
		regerror(rc, &re, why, sizeof(why));
	} else {
		groups = re.re_nsub;
		regfree(&re);
		if (groups == 1)
			return 0;
		snprintf(why, sizeof(why), "it has %zu groups", groups);
	}
	quote(got, it->valuestring);
	return bg_error_set(BG_EINVAL, "%s: \"test.count\" must be %s, got %s (%s)", file,
			    COUNT_TEXT, got, why);
}

static int parse_count(char **out, const char *file, const cJSON *test)
{
	const cJSON *it = member(test, "count");
	int error;

	if (it == NULL)
		return 0;
	if (!cJSON_IsString(it))
		return bad_value(file, "test.count", COUNT_TEXT, it, 0);
	if (strncmp(it->valuestring, "regex:", 6) == 0) {
		if ((error = check_count_regex(file, it)) < 0)
			return error;
	} else if (!in_list(it->valuestring, count_formats)) {
		return bad_value(file, "test.count", COUNT_TEXT, it, 0);
	}
	return dup_string(out, it->valuestring);
}

static int parse_test(lp_config *c, const char *file, const cJSON *root)
{
	const cJSON *test;
	int error;

	if ((error = get_object(&test, file, root, "", "test", test_keys,
				"an object {\"cmd\": ..., \"count\": ...}")) < 0 || test == NULL)
		return error;
	if ((error = get_string(&c->test_cmd, file, test, "test", "cmd", 1, check_command,
				"a non-empty command")) < 0)
		return error;
	return parse_count(&c->test_count, file, test);
}

/* metric.regex: compiled as the runner will compile it, for its name. */
static int parse_metric_regex(lp_config *c, const char *file, const cJSON *metric)
{
	smp_metric_regex *re = NULL;
	int error;

	if ((error = get_string(&c->metric_regex, file, metric, "metric", "regex", 0, check_command,
				"a POSIX extended regex with one group around the number")) < 0 ||
	    c->metric_regex == NULL)
		return error;
	if ((error = smp_metric_regex_new(&re, c->metric, c->metric_regex)) < 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", bg_error_last());
		return bg_error_set(error, "%s: \"metric.regex\": %s", file, why);
	}
	smp_metric_regex_free(re);
	return 0;
}

/* metric.range [lo, hi]: the values' bounds; the effect is then a
 * difference, decided with the betting sequence. */
static int parse_metric_range(lp_config *c, const char *file, const cJSON *metric)
{
	const cJSON *r = member(metric, "range"), *effect = member(metric, "effect");
	const cJSON *lo = cJSON_GetArrayItem(r, 0), *hi = cJSON_GetArrayItem(r, 1);

	if (r == NULL)
		return 0;
	if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2 || !cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) ||
	    !isfinite(lo->valuedouble) || !isfinite(hi->valuedouble) || !(lo->valuedouble < hi->valuedouble))
		return bad_value(file, "metric.range", "[lo, hi], two finite numbers with lo < hi", r, 0);
	if (effect && !c->metric_difference)
		return bg_error_set(BG_EINVAL, "%s: \"metric.range\" goes with the difference effect (bounded values "
					       "are compared as B - A): leave \"metric.effect\" out or make it "
					       "\"difference\"", file);
	c->metric_ranged = 1;
	c->metric_difference = 1;
	c->metric_lo = lo->valuedouble;
	c->metric_hi = hi->valuedouble;
	return 0;
}

static int parse_metric(lp_config *c, const char *file, const cJSON *root)
{
	static const char *const directions[] = { "higher", "lower", NULL };
	const cJSON *metric;
	int error, lower = c->lower_is_better;

	if ((error = get_object(&metric, file, root, "", "metric", metric_keys,
				"an object {\"name\": ..., \"direction\": ...}")) < 0 ||
	    metric == NULL)
		return error;
	if ((error = get_string(&c->metric, file, metric, "metric", "name", 0, check_metric,
				"a built-in metric (wall, cpu, user, sys, maxrss, instructions, "
				"cycles) or a METRIC name of letters, digits, '_', '.' and 'µ'")) < 0)
		return error;
	if ((error = get_choice(&lower, file, metric, "metric", "direction", directions,
				"\"lower\" or \"higher\"")) < 0)
		return error;
	c->lower_is_better = lower;
	if ((error = get_choice(&c->metric_difference, file, metric, "metric", "effect", effects,
				"\"ratio\" (B/A, the default) or \"difference\" (B - A, for values that can be 0 "
				"or negative)")) < 0)
		return error;
	if ((error = parse_metric_range(c, file, metric)) < 0)
		return error;
	if ((error = get_choice(&c->metric_aggregate, file, metric, "metric", "aggregate", aggregates,
				"\"last\" (as pi-autoresearch), \"mean\" or \"median\" of the values a run prints")) < 0)
		return error;
	return parse_metric_regex(c, file, metric);
}

static int parse_workload(lp_workload *w, const char *file, const cJSON *it, const char *kp,
			  int train)
{
	static const char *const train_split[] = { "train", NULL };
	static const char *const holdout_split[] = { "holdout", NULL };
	int error, split = 0;

	if (!cJSON_IsObject(it))
		return bad_value(file, kp, "an object {\"name\": ..., \"cmd\": ...}", it, 0);
	if ((error = check_keys(file, it, kp, workload_keys)) < 0 ||
	    (error = get_string(&w->name, file, it, kp, "name", 1, check_name,
				"a non-empty name of letters, digits, '_', '.' and '-'")) < 0 ||
	    (error = get_string(&w->cmd, file, it, kp, "cmd", 1, check_command,
				"a non-empty command")) < 0)
		return error;
	if ((error = get_choice(&split, file, it, kp, "split", train ? train_split : holdout_split,
				train ? "\"train\" (held-out workloads go under \"holdout.workloads\")"
				      : "\"holdout\" (training workloads go under \"workloads\")")) < 0)
		return error;
	w->train = train;
	w->weight = 1;
	if ((error = get_number(&w->weight, file, it, kp, "weight", &R_POSITIVE)) < 0)
		return error;
	if (member(it, "duel") == NULL)
		return 0;
	if (!cJSON_IsBool(member(it, "duel")) || !train) {
		char dkp[KEY_MAX];

		key_join(dkp, kp, "duel");
		return bad_value(file, dkp, train ? "true or false" : "left out (a held-out workload is no duel)",
				 member(it, "duel"), 0);
	}
	w->duel = cJSON_IsTrue(member(it, "duel"));
	return 0;
}

/* obj[key], required, as a non-empty array of workloads. *out and *n are set
 * before the items are parsed so that lp_config_free() releases a partial
 * array. */
static int parse_workloads(lp_workload **out, size_t *n, const char *file, const cJSON *obj,
			   const char *prefix, int train)
{
	const cJSON *arr = member(obj, "workloads");
	char kp[KEY_MAX], ikp[KEY_MAX];
	size_t count;
	int error;

	if (arr == NULL)
		return missing(file, prefix, "workloads");
	key_join(kp, prefix, "workloads");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return bad_value(file, kp, "a non-empty array of workloads", arr, 0);
	count = (size_t)cJSON_GetArraySize(arr);
	if ((*out = calloc(count, sizeof(**out))) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory reading \"%s\"", kp);
	*n = count;
	for (size_t i = 0; i < count; i++) {
		key_index(ikp, kp, i);
		if ((error = parse_workload(&(*out)[i], file, cJSON_GetArrayItem(arr, (int)i),
					    ikp, train)) < 0)
			return error;
	}
	return 0;
}

static int parse_holdout(lp_config *c, const char *file, const cJSON *root)
{
	const cJSON *h;
	int error;

	if ((error = get_object(&h, file, root, "", "holdout", holdout_keys,
				"an object {\"dir\": ..., \"workloads\": [...]}")) < 0 || h == NULL)
		return error;
	if ((error = get_string(&c->holdout_dir, file, h, "holdout", "dir", 1, check_nonempty,
				"a non-empty directory path")) < 0)
		return error;
	return parse_workloads(&c->holdout, &c->nholdout, file, h, "holdout", 0);
}

/* Workload i of the training then the held-out workloads, with its key. */
static const lp_workload *nth_workload(const lp_config *c, size_t i, char kp[KEY_MAX])
{
	if (i < c->nworkloads) {
		key_index(kp, "workloads", i);
		return &c->workloads[i];
	}
	key_index(kp, "holdout.workloads", i - c->nworkloads);
	return &c->holdout[i - c->nworkloads];
}

static int check_unique_names(const lp_config *c, const char *file)
{
	size_t total = c->nworkloads + c->nholdout;
	char kp[KEY_MAX], other[KEY_MAX];

	for (size_t i = 1; i < total; i++) {
		const lp_workload *w = nth_workload(c, i, kp);

		for (size_t j = 0; j < i; j++)
			if (strcmp(nth_workload(c, j, other)->name, w->name) == 0) {
				char got[GOT_MAX];

				quote(got, w->name);
				return bg_error_set(BG_EINVAL, "%s: \"%s.name\" %s is used twice",
						    file, kp, got);
			}
	}
	return 0;
}

static int add_protected(lp_config *c, const char *path)
{
	char **grown;

	for (size_t i = 0; i < c->nprotected; i++)
		if (strcmp(c->protected[i], path) == 0)
			return 0;
	grown = realloc(c->protected, (c->nprotected + 1) * sizeof(*grown));
	if (grown == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory reading \"protected\"");
	c->protected = grown;
	c->protected[c->nprotected] = NULL;
	if (dup_string(&c->protected[c->nprotected], path) < 0)
		return BG_ENOMEM;
	c->nprotected++;
	return 0;
}

/* The listed paths in order, repeats dropped, then benchgate.json unless
 * listed. */
static int parse_protected(lp_config *c, const char *file, const cJSON *root)
{
	const cJSON *arr = member(root, "protected");
	char kp[KEY_MAX];
	int error, i = 0;

	if (arr != NULL && !cJSON_IsArray(arr))
		return bad_value(file, "protected", "an array of relative paths", arr, 0);
	for (const cJSON *it = arr ? arr->child : NULL; it; it = it->next, i++) {
		key_index(kp, "protected", (size_t)i);
		if (!cJSON_IsString(it) || !check_protected(it->valuestring))
			return bad_value(file, kp, "a relative path inside the repository "
					 "(not absolute, no empty, \".\" or \"..\" parts)", it, 0);
		if ((error = add_protected(c, it->valuestring)) < 0)
			return error;
	}
	return add_protected(c, LP_CONFIG_FILE);
}

static int check_round_bounds(const lp_config *c, const char *file, const cJSON *budget)
{
	if (c->max_rounds >= c->min_rounds)
		return 0;
	if (budget != NULL && member(budget, "max_rounds") != NULL)
		return bg_error_set(BG_EINVAL, "%s: \"budget.max_rounds\" must be a whole number "
				    ">= \"budget.min_rounds\" (%u), got %u", file,
				    c->min_rounds, c->max_rounds);
	return bg_error_set(BG_EINVAL, "%s: \"budget.min_rounds\" must be a whole number <= "
			    "\"budget.max_rounds\" (%u by default), got %u", file,
			    c->max_rounds, c->min_rounds);
}

static int parse_budget(lp_config *c, const char *file, const cJSON *root)
{
	const cJSON *b;
	int error;

	if ((error = get_object(&b, file, root, "", "budget", budget_keys,
				"an object {\"max_seconds\": ..., \"min_rounds\": ..., ...}")) < 0)
		return error;
	if (b != NULL &&
	    ((error = get_number(&c->max_seconds, file, b, "budget", "max_seconds",
				 &R_POSITIVE)) < 0 ||
	     (error = get_whole(&c->min_rounds, file, b, "budget", "min_rounds", 2)) < 0 ||
	     (error = get_whole(&c->max_rounds, file, b, "budget", "max_rounds", 2)) < 0 ||
	     (error = get_whole(&c->warmup, file, b, "budget", "warmup", 0)) < 0 ||
	     (error = get_number(&c->run_timeout, file, b, "budget", "run_timeout",
				 &R_NONNEG)) < 0))
		return error;
	return check_round_bounds(c, file, b);
}

static int parse_levels(lp_config *c, const char *file, const cJSON *root)
{
	/* a difference's bounds are in the metric's units */
	const range *effect = c->metric_difference ? &R_NONNEG : &R_HALF_UNIT;
	int error;

	if ((error = get_number(&c->alpha, file, root, "", "alpha", &R_OPEN_UNIT)) < 0 ||
	    (error = get_number(&c->min_effect, file, root, "", "min_effect", effect)) < 0 ||
	    (error = get_number(&c->max_regression, file, root, "", "max_regression", effect)) < 0 ||
	    (error = get_number(&c->generalization, file, root, "", "generalization",
				&R_UNIT)) < 0)
		return error;
	return get_whole(&c->holdout_budget, file, root, "", "holdout_budget", 1);
}

static int parse_one_secondary(lp_config *c, lp_secondary *s, const char *file, const cJSON *it, const char *kp)
{
	static const char *const directions[] = { "higher", "lower", NULL };
	int lower = 1, error;

	if (!cJSON_IsObject(it))
		return bad_value(file, kp, "an object {\"name\": ..., \"direction\": ..., \"max_regression\": ...}", it, 0);
	s->max_regression = c->metric_difference ? 0.02 : c->max_regression;   /* a secondary is a ratio */
	if ((error = check_keys(file, it, kp, secondary_keys)) < 0 ||
	    (error = get_string(&s->name, file, it, kp, "name", 1, check_metric,
				"a built-in metric (wall, cpu, user, sys, maxrss, instructions, "
				"cycles) or a METRIC name of letters, digits, '_', '.' and 'µ'")) < 0 ||
	    (error = get_choice(&lower, file, it, kp, "direction", directions, "\"lower\" or \"higher\"")) < 0 ||
	    (error = get_number(&s->max_regression, file, it, kp, "max_regression", &R_HALF_UNIT)) < 0)
		return error;
	s->lower_is_better = lower;
	if (strcmp(s->name, c->metric) == 0)
		return bg_error_set(BG_EINVAL, "%s: \"%s.name\" is \"%s\", the primary metric: a secondary metric "
					       "guards another one", file, kp, s->name);
	for (lp_secondary *o = c->secondary; o < s; o++)
		if (strcmp(o->name, s->name) == 0)
			return bg_error_set(BG_EINVAL, "%s: \"%s.name\": \"%s\" is a secondary metric twice", file,
					    kp, s->name);
	return 0;
}

/* "secondary": the guards on other metrics of the same runs. */
static int parse_secondary(lp_config *c, const char *file, const cJSON *root)
{
	const cJSON *arr = member(root, "secondary");
	char ikp[KEY_MAX];
	size_t count;
	int error;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return bad_value(file, "secondary", "an array of metrics [{\"name\": ...}]", arr, 0);
	if ((count = (size_t)cJSON_GetArraySize(arr)) == 0)
		return 0;
	if ((c->secondary = calloc(count, sizeof(*c->secondary))) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory reading \"secondary\"");
	c->nsecondary = count;
	for (size_t i = 0; i < count; i++) {
		key_index(ikp, "secondary", i);
		if ((error = parse_one_secondary(c, &c->secondary[i], file, cJSON_GetArrayItem(arr, (int)i), ikp)) < 0)
			return error;
	}
	return 0;
}

/* Duels: every training workload plays the two builds against each other
 * and prints P1's score in [0, 1]; the effect is B's score as P1 minus
 * A's (a difference in the range [0, 1], higher better), and min_effect
 * and max_regression are on B's share of the points, 0.5 + that / 2. */
static int check_duels(lp_config *c, const char *file, const cJSON *root)
{
	const cJSON *metric = member(root, "metric");
	size_t duels = 0;

	for (size_t i = 0; i < c->nworkloads; i++)
		duels += c->workloads[i].duel != 0;
	if (duels == 0)
		return 0;
	if (duels < c->nworkloads)
		return bg_error_set(BG_EINVAL, "%s: %zu of %zu workloads are duels: a duel's score cannot be weighed with "
					       "other workloads' metric; make every workload a duel, or none", file, duels,
				    c->nworkloads);
	if (smp_metric_builtin(c->metric))
		return bg_error_set(BG_EINVAL, "%s: a duel prints P1's score as a METRIC: set \"metric.name\" to its "
					       "name (now \"%s\")", file, c->metric);
	if (member(metric, "direction") && c->lower_is_better)
		return bg_error_set(BG_EINVAL, "%s: a duel's score is higher for the better bot: \"metric.direction\" "
					       "is \"higher\" or left out", file);
	if (member(metric, "effect") || member(metric, "range"))
		return bg_error_set(BG_EINVAL, "%s: a duel sets the effect and the range itself (a score in [0, 1]): leave "
					       "\"metric.effect\" and \"metric.range\" out", file);
	c->duel = 1;
	c->lower_is_better = 0;
	c->metric_difference = 1;
	c->metric_ranged = 1;
	c->metric_lo = 0.0;
	c->metric_hi = 1.0;
	return 0;
}

/* A smallest effect as wide as the range could never be seen. */
static int check_range_width(const lp_config *c, const char *file)
{
	if (c->duel && !(c->min_effect < 0.5))
		return bg_error_set(BG_EINVAL, "%s: \"min_effect\" %g is on B's share of a duel's points: below 0.5", file,
				    c->min_effect);
	if (c->metric_ranged && !(c->min_effect < c->metric_hi - c->metric_lo))
		return bg_error_set(BG_EINVAL, "%s: \"min_effect\" %g is not below the width of metric.range [%g, %g]: no "
					       "change of the values could reach it", file, c->min_effect, c->metric_lo,
				    c->metric_hi);
	return 0;
}

static int parse_root(lp_config *c, const char *file, const cJSON *root)
{
	int error;

	if (!cJSON_IsObject(root))
		return bg_error_set(BG_EINVAL, "%s: the configuration must be a JSON object, got %s",
				    file, json_kind(root));
	if ((error = check_keys(file, root, "", top_keys)) < 0 ||
	    (error = get_string(&c->build, file, root, "", "build", 0, check_command,
				"a non-empty command (leave \"build\" out when there is "
				"nothing to build)")) < 0 ||
	    (error = parse_test(c, file, root)) < 0 ||
	    (error = parse_metric(c, file, root)) < 0 ||
	    (error = parse_workloads(&c->workloads, &c->nworkloads, file, root, "", 1)) < 0 ||
	    (error = check_duels(c, file, root)) < 0 ||
	    (error = parse_holdout(c, file, root)) < 0 ||
	    (error = check_unique_names(c, file)) < 0 ||
	    (error = parse_protected(c, file, root)) < 0 ||
	    (error = parse_levels(c, file, root)) < 0 || (error = check_range_width(c, file)) < 0 ||
	    (error = parse_secondary(c, file, root)) < 0 ||
	    (error = parse_budget(c, file, root)) < 0)
		return error;
	if ((error = get_string(&c->pin, file, root, "", "pin", 0, check_pin,
				"\"auto\", \"none\" or \"C[,H]\" (PU numbers for the child and "
				"the harness)")) < 0)
		return error;
	return get_string(&c->isolation, file, root, "", "isolation", 0, check_isolation,
			  "\"bwrap\" (the default: a candidate's commands run in a sandbox) or "
			  "\"none\" (they run as you, recorded on every verdict)");
}

/* A config holding every default. */
static int config_new(lp_config **out, const char *file)
{
	lp_config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory reading %s", file);
	c->lower_is_better = 1;
	c->alpha = 0.05;
	c->min_effect = 0.01;
	c->max_regression = 0.02;
	c->generalization = 0.5;
	c->holdout_budget = 20;
	c->max_seconds = 120;
	c->min_rounds = 5;
	c->max_rounds = 500;
	c->warmup = 2;
	c->run_timeout = 0;
	if (dup_string(&c->path, file) < 0 || dup_string(&c->metric, "wall") < 0 ||
	    dup_string(&c->pin, "auto") < 0 || dup_string(&c->isolation, "bwrap") < 0) {
		lp_config_free(c);
		return BG_ENOMEM;
	}
	*out = c;
	return 0;
}

/* ---- JSON syntax -------------------------------------------------------- */

/* BG_EPARSE naming the line of `at` in text and what stands there. */
static int syntax_error(const char *file, const char *text, const char *at)
{
	char got[GOT_MAX];
	int line = 1;

	if (at == NULL || at < text || at > text + strlen(text))
		at = text;
	for (const char *p = text; p < at; p++)
		line += *p == '\n';
	if (*at == '\0')
		return bg_error_set(BG_EPARSE, "%s: not valid JSON near line %d: unexpected end "
				    "of text (a missing '}' or ']'?)", file, line);
	{
		char snippet[QUOTE_MAX / 2 + 1];
		size_t n = strcspn(at, "\r\n");

		if (n > sizeof(snippet) - 1)
			n = sizeof(snippet) - 1;
		memcpy(snippet, at, n);
		snippet[n] = '\0';
		quote(got, snippet);
	}
	return bg_error_set(BG_EPARSE, "%s: not valid JSON near line %d: unexpected %s", file,
			    line, got);
}

int lp_config_parse(lp_config **out, const char *text, const char *path)
{
	const char *file = path ? path : LP_CONFIG_FILE;
	const char *end = NULL;
	lp_config *c = NULL;
	cJSON *root = NULL;
	int error;

	if (text == NULL)
		return bg_error_set(BG_EINVAL, "%s: no configuration text", file);
	if ((root = cJSON_ParseWithOpts(text, &end, 1)) == NULL)
		return syntax_error(file, text, end ? end : cJSON_GetErrorPtr());
	if ((error = config_new(&c, file)) < 0)
		goto cleanup;
	if ((error = parse_root(c, file, root)) < 0)
		goto cleanup;
	*out = c;
	c = NULL;
cleanup:
	cJSON_Delete(root);
	lp_config_free(c);
	return error;
}

/* ---- reading the file --------------------------------------------------- */

/* Room in *buf for at least one byte after n plus a NUL (doubling *cap). */
static int grow(char **buf, size_t *cap, size_t n, const char *path)
{
	char *bigger;

	if (n + 1 < *cap)
		return 0;
	if ((bigger = realloc(*buf, *cap * 2)) == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory reading %s", path);
	*buf = bigger;
	*cap *= 2;
	return 0;
}

static int read_all(char **out, size_t *len, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), error = 0;
	size_t n = 0, cap = 4096;
	char *buf = NULL;
	ssize_t got;

	if (fd < 0)
		return bg_error_set(BG_ESYS, "cannot read %s: %s", path, strerror(errno));
	if ((buf = malloc(cap)) == NULL) {
		error = bg_error_set(BG_ENOMEM, "out of memory reading %s", path);
		goto cleanup;
	}
	while (n <= FILE_MAX) {
		if ((error = grow(&buf, &cap, n, path)) < 0)
			goto cleanup;
		if ((got = read(fd, buf + n, cap - 1 - n)) == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error = bg_error_set(BG_ESYS, "cannot read %s: %s", path, strerror(errno));
			goto cleanup;
		}
		n += (size_t)got;
	}
	if (n > FILE_MAX) {
		error = bg_error_set(BG_EINVAL, "%s: larger than %u MiB; is it the right file?",
				     path, FILE_MAX >> 20);
		goto cleanup;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return error;
}

int lp_config_load(lp_config **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int error;

	if ((error = read_all(&text, &len, path)) < 0)
		return error;
	if (strlen(text) != len) {
		int line = 1;

		for (const char *p = text; *p; p++)
			line += *p == '\n';
		error = bg_error_set(BG_EPARSE, "%s: not valid JSON near line %d: unexpected NUL "
				     "byte", path, line);
	} else {
		error = lp_config_parse(out, text, path);
	}
	free(text);
	return error;
}

/* ---- printing and hashing ----------------------------------------------- */

/* Counts failed additions so an out-of-memory tree is never printed. */
static void track(int *failed, const void *added)
{
	if (added == NULL)
		(*failed)++;
}

static cJSON *workloads_json(const lp_workload *w, size_t n, int *failed)
{
	cJSON *arr = cJSON_CreateArray();

	track(failed, arr);
	for (size_t i = 0; arr && i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		track(failed, o);
		track(failed, cJSON_AddStringToObject(o, "name", w[i].name));
		track(failed, cJSON_AddStringToObject(o, "cmd", w[i].cmd));
		track(failed, cJSON_AddStringToObject(o, "split", w[i].train ? "train" : "holdout"));
		track(failed, cJSON_AddNumberToObject(o, "weight", w[i].weight));
		if (w[i].duel)   /* left out otherwise: old hashes hold */
			track(failed, cJSON_AddTrueToObject(o, "duel"));
		if (o != NULL && !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			(*failed)++;
		}
	}
	return arr;
}

/* Adds item to obj under name, or counts (and frees) it. */
static void add_item(int *failed, cJSON *obj, const char *name, cJSON *item)
{
	if (item == NULL || !cJSON_AddItemToObject(obj, name, item)) {
		cJSON_Delete(item);
		(*failed)++;
	}
}

/* Left out when there are none, so configurations hash as they did before
 * the key existed. */
static cJSON *secondary_json(const lp_config *c, int *failed)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < c->nsecondary; i++) {
		cJSON *s = cJSON_CreateObject();

		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			(*failed)++;
			continue;
		}
		track(failed, cJSON_AddStringToObject(s, "name", c->secondary[i].name));
		track(failed, cJSON_AddStringToObject(s, "direction", c->secondary[i].lower_is_better ? "lower" : "higher"));
		track(failed, cJSON_AddNumberToObject(s, "max_regression", c->secondary[i].max_regression));
	}
	return arr;
}

static void sections_json(cJSON *o, const lp_config *c, int *failed)
{
	cJSON *t, *m, *h, *p;

	if (c->build)
		track(failed, cJSON_AddStringToObject(o, "build", c->build));
	if (c->test_cmd) {
		track(failed, t = cJSON_AddObjectToObject(o, "test"));
		track(failed, cJSON_AddStringToObject(t, "cmd", c->test_cmd));
		if (c->test_count)
			track(failed, cJSON_AddStringToObject(t, "count", c->test_count));
	}
	track(failed, m = cJSON_AddObjectToObject(o, "metric"));
	track(failed, cJSON_AddStringToObject(m, "name", c->metric));
	track(failed, cJSON_AddStringToObject(m, "direction", c->lower_is_better ? "lower" : "higher"));
	if (c->metric_regex)
		track(failed, cJSON_AddStringToObject(m, "regex", c->metric_regex));
	/* left out at the default (old hashes hold), and for duels, which imply them */
	if (c->metric_difference && !c->duel)
		track(failed, cJSON_AddStringToObject(m, "effect", "difference"));
	if (c->metric_ranged && !c->duel) {
		cJSON *r = cJSON_CreateArray();

		if (r == NULL || !cJSON_AddItemToArray(r, cJSON_CreateNumber(c->metric_lo)) ||
		    !cJSON_AddItemToArray(r, cJSON_CreateNumber(c->metric_hi)))
			(*failed)++;
		add_item(failed, m, "range", r);
	}
	if (c->metric_aggregate != SMP_AGG_LAST)
		track(failed, cJSON_AddStringToObject(m, "aggregate", aggregates[c->metric_aggregate]));
	if (c->nsecondary)
		add_item(failed, o, "secondary", secondary_json(c, failed));
	add_item(failed, o, "workloads", workloads_json(c->workloads, c->nworkloads, failed));
	if (c->holdout_dir) {
		track(failed, h = cJSON_AddObjectToObject(o, "holdout"));
		track(failed, cJSON_AddStringToObject(h, "dir", c->holdout_dir));
		add_item(failed, h, "workloads", workloads_json(c->holdout, c->nholdout, failed));
	}
	track(failed, p = cJSON_AddArrayToObject(o, "protected"));
	for (size_t i = 0; p && i < c->nprotected; i++)
		if (!cJSON_AddItemToArray(p, cJSON_CreateString(c->protected[i])))
			(*failed)++;
}

static void numbers_json(cJSON *o, const lp_config *c, int *failed)
{
	cJSON *b;

	track(failed, cJSON_AddNumberToObject(o, "alpha", c->alpha));
	track(failed, cJSON_AddNumberToObject(o, "min_effect", c->min_effect));
	track(failed, cJSON_AddNumberToObject(o, "max_regression", c->max_regression));
	track(failed, cJSON_AddNumberToObject(o, "generalization", c->generalization));
	track(failed, cJSON_AddNumberToObject(o, "holdout_budget", c->holdout_budget));
	track(failed, b = cJSON_AddObjectToObject(o, "budget"));
	track(failed, cJSON_AddNumberToObject(b, "max_seconds", c->max_seconds));
	track(failed, cJSON_AddNumberToObject(b, "min_rounds", c->min_rounds));
	track(failed, cJSON_AddNumberToObject(b, "max_rounds", c->max_rounds));
	track(failed, cJSON_AddNumberToObject(b, "warmup", c->warmup));
	track(failed, cJSON_AddNumberToObject(b, "run_timeout", c->run_timeout));
	track(failed, cJSON_AddStringToObject(o, "pin", c->pin));
	/* Left out at its default, so configurations hash as they did before
	 * the key existed. */
	if (strcmp(c->isolation, "none") == 0)
		track(failed, cJSON_AddStringToObject(o, "isolation", c->isolation));
}

/* The effective configuration as a tree in a fixed key order, or NULL
 * (BG_ENOMEM set). */
static cJSON *config_tree(const lp_config *c)
{
	cJSON *o = cJSON_CreateObject();
	int failed = 0;

	if (o == NULL) {
		bg_error_set(BG_ENOMEM, "out of memory printing the configuration");
		return NULL;
	}
	sections_json(o, c, &failed);
	numbers_json(o, c, &failed);
	if (failed) {
		cJSON_Delete(o);
		bg_error_set(BG_ENOMEM, "out of memory printing the configuration");
		return NULL;
	}
	return o;
}

char *lp_config_to_json(const lp_config *c)
{
	cJSON *tree = config_tree(c);
	char *text;

	if (tree == NULL)
		return NULL;
	text = cJSON_Print(tree);
	cJSON_Delete(tree);
	if (text == NULL)
		bg_error_set(BG_ENOMEM, "out of memory printing the configuration");
	return text;
}

int lp_config_hash(char out[41], const lp_config *c)
{
	cJSON *tree = config_tree(c);
	char *text = NULL;
	git_oid oid;
	int error = 0;

	if (tree == NULL)
		return BG_ENOMEM;
	if ((text = cJSON_PrintUnformatted(tree)) == NULL) {
		error = bg_error_set(BG_ENOMEM, "out of memory hashing the configuration");
		goto cleanup;
	}
	if (git_odb_hash(&oid, text, strlen(text), GIT_OBJECT_BLOB) < 0) {
		const git_error *e = git_error_last();

		error = bg_error_set(BG_EGIT, "cannot hash the configuration: %s",
				     e && e->message ? e->message : "libgit2 gave no reason");
		goto cleanup;
	}
	git_oid_tostr(out, 41, &oid);
cleanup:
	free(text);
	cJSON_Delete(tree);
	return error;
}

static void workloads_free(lp_workload *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++) {
		free(w[i].name);
		free(w[i].cmd);
	}
	free(w);
}

void lp_config_free(lp_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->build);
	free(c->test_cmd);
	free(c->test_count);
	free(c->metric);
	free(c->metric_regex);
	for (size_t i = 0; i < c->nsecondary; i++)
		free(c->secondary[i].name);
	free(c->secondary);
	workloads_free(c->workloads, c->nworkloads);
	free(c->holdout_dir);
	workloads_free(c->holdout, c->nholdout);
	for (size_t i = 0; i < c->nprotected; i++)
		free(c->protected[i]);
	free(c->protected);
	free(c->pin);
	free(c->isolation);
	free(c);
}
