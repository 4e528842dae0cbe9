/* lp_audit_claims: reading the wins a campaign claims — from the benchgate
 * ledger, a pi-autoresearch log, a karpathy-style results.tsv, or a range
 * of commits (see lp_audit.h). Readers only read: an entry they cannot use
 * is skipped with a warning naming the file and line, and a commit that no
 * longer exists becomes a MISSING claim, so one bad line never stops an
 * audit; only a source with nothing usable in it is an error. */
#include "lp_audit.h"
#include "bg_error.h"
#include "bg_file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>

/* ---- the claims object ------------------------------------------------- */

static int claims_new(lp_audit_claims **out, lp_audit_source kind, const char *path)
{
	lp_audit_claims *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return bg_error_nomem();
	}
	c->kind = kind;
	*out = c;
	return 0;
}

void lp_audit_claims_free(lp_audit_claims *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nclaims; i++)
		free(c->claims[i].description);
	for (size_t i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->claims);
	free(c->series);
	free(c->warnings);
	free(c->metric);
	free(c->path);
	free(c);
}

static int warn(lp_audit_claims *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds a warning for people; only fails when out of memory. */
static int warn(lp_audit_claims *c, const char *fmt, ...)
{
	char **w = realloc(c->warnings, (c->nwarnings + 1) * sizeof(*w));
	va_list ap;
	int n;

	if (w == NULL)
		return bg_error_nomem();
	c->warnings = w;
	va_start(ap, fmt);
	n = vasprintf(&w[c->nwarnings], fmt, ap);
	va_end(ap);
	if (n < 0)
		return bg_error_nomem();
	c->nwarnings++;
	return 0;
}

/* Resolves rev into out; *gone = 1 (with a warning) when it names no
 * commit. Errors other than "not found" are returned. */
static int resolve(char out[41], int *gone, lp_audit_claims *c, lp_repo *repo, const char *rev,
		   size_t line, const char *what)
{
	int error = lp_repo_resolve(out, repo, rev);

	*gone = 0;
	if (error != BG_ENOTFOUND)
		return error;
	*gone = 1;
	out[0] = '\0';
	return warn(c, "%s:%zu: the %s %s no longer exists in this repository (history rewritten?): reported as MISSING",
		    c->path, line, what, rev);
}

/* A new claim for `given` at `line`, against `parent` (NULL: its first
 * parent). A commit or parent that no longer exists makes a MISSING claim;
 * a root commit with no parent is skipped with a warning. */
static int add_claim(lp_audit_claims *c, lp_repo *repo, const char *given, const char *parent,
		     double claimed, int lower, size_t line, const char *description)
{
	lp_audit_claim k = { .claimed = claimed, .lower_is_better = lower, .line = line };
	lp_audit_claim *grown;
	int gone, error;

	snprintf(k.given, sizeof(k.given), "%s", given);
	if ((error = resolve(k.commit, &gone, c, repo, given, line, "commit")) < 0)
		return error;
	if (!gone && parent && (error = resolve(k.parent, &gone, c, repo, parent, line, "baseline")) < 0)
		return error;
	if (!gone && !parent && (error = lp_repo_first_parent(k.parent, repo, k.commit)) == BG_ENOTFOUND)
		return warn(c, "%s:%zu: commit %s is a root commit: there is no parent to measure it against; skipped",
			    c->path, line, given);
	if (error < 0)
		return error;
	k.missing = gone;
	if (description && (k.description = strdup(description)) == NULL)
		return bg_error_nomem();
	if ((grown = realloc(c->claims, (c->nclaims + 1) * sizeof(*grown))) == NULL) {
		free(k.description);
		return bg_error_nomem();
	}
	c->claims = grown;
	c->claims[c->nclaims++] = k;
	return 0;
}

/* ---- JSON lines ------------------------------------------------------------ */

typedef int (*line_fn)(void *ud, const cJSON *obj, size_t line);

/* The kinds of source a file can be: its name for people, and what to do
 * when there is none. */
typedef struct {
	const char *name, *fix;
} source_kind;

static const source_kind LEDGER = { "benchgate ledger",
				    "gate some commits first, or audit another source (--pi-log, --tsv, --range)" };
static const source_kind PI_LOG = { "pi-autoresearch log",
				    "check the path (pi-autoresearch writes .auto/log.jsonl, formerly autoresearch.jsonl)" };
static const source_kind TSV = { "results.tsv", "check the path" };

static int read_source(char **text, const char *path, const source_kind *k)
{
	if ((*text = bg_file_read(path, NULL)) != NULL)
		return 0;
	if (bg_error_code() == BG_ENOTFOUND)
		return bg_error_set(BG_ENOTFOUND, "no %s at %s: %s", k->name, path, k->fix);
	return bg_error_code();
}

/* The end of the line starting at p (its '\n' or NUL), with a '\r' before
 * it cut off; *next is where the next line starts, NULL after the last. */
static char *line_end(char *p, char **next)
{
	char *e = strchr(p, '\n');

	*next = e ? e + 1 : NULL;
	if (e == NULL)
		e = p + strlen(p);
	if (e > p && e[-1] == '\r')
		e--;
	*e = '\0';
	return e;
}

static int blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Calls fn for every line of path that is a JSON object; other non-blank
 * lines are skipped with a warning. None at all: BG_EPARSE. */
static int each_json_line(lp_audit_claims *c, const source_kind *k, line_fn fn, void *ud)
{
	char *text = NULL, *p, *next;
	size_t line = 0, good = 0, bad = 0;
	int error;

	if ((error = read_source(&text, c->path, k)) < 0)
		return error;
	for (p = text; p && error == 0; p = next) {
		cJSON *obj;
		line_end(p, &next);
		line++;
		if (blank(p))
			continue;
		obj = cJSON_Parse(p);
		if (!cJSON_IsObject(obj)) {
			bad++;
			error = warn(c, "%s:%zu: not a JSON object; skipped", c->path, line);
		} else {
			good++;
			error = fn(ud, obj, line);
		}
		cJSON_Delete(obj);
	}
	free(text);
	if (error == 0 && good == 0 && bad > 0)
		error = bg_error_set(BG_EPARSE, "%s is not JSON lines: none of its %zu lines is a JSON object; is it a %s?",
				     c->path, bad, k->name);
	return error;
}

static const char *str_item(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num_item(double *out, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* ---- the ledger ------------------------------------------------------------ */

typedef struct {
	lp_audit_claims *c;
	lp_repo *repo;
	unsigned char *worktree;   /* per claim: a working-tree KEEP no commit took yet */
} ledger_state;

/* Marks the last claim as one of the working tree (1) or not (0). */
static int mark_claim(ledger_state *st, unsigned char worktree)
{
	unsigned char *grown = realloc(st->worktree, st->c->nclaims);

	if (grown == NULL)
		return bg_error_nomem();
	st->worktree = grown;
	grown[st->c->nclaims - 1] = worktree;
	return 0;
}

/* Drops the working-tree KEEPs that no commit took: the loop discarded
 * them (or has not committed the last yet), so they are no one's gain. */
static int drop_unadopted(ledger_state *st, size_t *dropped)
{
	size_t kept = 0;

	*dropped = st->c->nclaims;
	int error = 0;

	for (size_t i = 0; i < st->c->nclaims; i++) {
		lp_audit_claim *k = &st->c->claims[i];

		if (st->worktree && st->worktree[i]) {
			if (error == 0)
				error = warn(st->c, "%s:%zu: a KEEP of the working tree (snapshot %.12s) that no commit took "
						    "(the loop discarded it, or has not committed it yet): not a claim",
					     st->c->path, k->line, k->given);
			free(k->description);
			continue;
		}
		st->c->claims[kept++] = *k;
	}
	st->c->nclaims = kept;
	*dropped -= kept;
	return error;
}

static int add_point(lp_audit_claims *c, const cJSON *rec, double ratio, size_t line, const char *cand)
{
	lp_audit_point *grown = realloc(c->series, (c->nseries + 1) * sizeof(*grown));
	lp_audit_point *p;
	const char *v = str_item(rec, "verdict");
	double seq;

	if (grown == NULL)
		return bg_error_nomem();
	c->series = grown;
	p = &c->series[c->nseries++];
	memset(p, 0, sizeof(*p));
	p->seq = num_item(&seq, rec, "seq") == 0 && seq >= 1 ? (size_t)seq : line;
	snprintf(p->candidate, sizeof(p->candidate), "%.40s", cand);
	p->ratio = ratio;
	p->kept = v && strcmp(v, "KEEP") == 0;
	return 0;
}

/* An "adopt" record (lp_adopt.h): the claim on the gated snapshot is the
 * commit the loop made of it, which outlives the snapshot. */
static int ledger_adopt(ledger_state *st, const cJSON *rec, size_t line)
{
	const char *snap = str_item(rec, "snapshot"), *commit = str_item(rec, "candidate");
	const char *base = str_item(rec, "baseline");
	int gone, error;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "matched")) || !snap || !commit)
		return 0;
	for (size_t i = st->c->nclaims; i-- > 0;) {
		lp_audit_claim *k = &st->c->claims[i];

		if (strcmp(k->given, snap) != 0)
			continue;
		if ((error = resolve(k->commit, &gone, st->c, st->repo, commit, line, "commit")) < 0)
			return error;
		snprintf(k->given, sizeof(k->given), "%s", commit);
		st->worktree[i] = 0;
		/* a snapshot already gone left its parent unresolved */
		if (!gone && !k->parent[0] && base &&
		    (error = resolve(k->parent, &gone, st->c, st->repo, base, line, "baseline")) < 0)
			return error;
		k->missing = gone;
		return 0;
	}
	return 0;
}

static int ledger_line(void *ud, const cJSON *rec, size_t line)
{
	ledger_state *st = ud;
	const char *kind = str_item(rec, "kind"), *verdict = str_item(rec, "verdict");
	const char *cand = str_item(rec, "candidate"), *base = str_item(rec, "baseline");
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "training"),
							    "aggregate");
	double ratio = NAN;
	size_t before;
	int error;

	if (kind && strcmp(kind, "adopt") == 0)
		return ledger_adopt(st, rec, line);
	if (kind == NULL || strcmp(kind, "gate") != 0)
		return 0; /* loop iterations and other kinds claim nothing */
	if (cand == NULL || base == NULL || verdict == NULL)
		return warn(st->c, "%s:%zu: a gate record without \"candidate\", \"baseline\" or \"verdict\"; skipped",
			    st->c->path, line);
	if (num_item(&ratio, agg, "ratio") < 0 || !(ratio > 0.0))
		ratio = NAN;
	if (!isnan(ratio) && (error = add_point(st->c, rec, ratio, line, cand)) < 0)
		return error;
	if (strcmp(verdict, "KEEP") != 0)
		return 0;
	before = st->c->nclaims;
	if ((error = add_claim(st->c, st->repo, cand, base, ratio, -1, line, NULL)) < 0 || st->c->nclaims == before)
		return error;
	return mark_claim(st, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "worktree")));
}

int lp_audit_claims_ledger(lp_audit_claims **out, lp_repo *repo, const char *path)
{
	lp_audit_claims *c = NULL;
	ledger_state st;
	size_t dropped = 0;
	int error;

	if ((error = claims_new(&c, LP_AUDIT_SRC_LEDGER, path)) < 0)
		return error;
	st = (ledger_state){ c, repo, NULL };
	if ((error = each_json_line(c, &LEDGER, ledger_line, &st)) == 0)
		error = drop_unadopted(&st, &dropped);
	free(st.worktree);
	if (error == 0 && c->nclaims == 0)
		error = bg_error_set(BG_ENOTFOUND,
				     "%s has no kept decision (verdict KEEP) to audit%s: gate some commits first, or audit another source (--pi-log, --tsv, --range)",
				     path, dropped ? " (its KEEPs of the working tree are no claims: no commit took them)" : "");
	if (error < 0) {
		lp_audit_claims_free(c);
		return error;
	}
	*out = c;
	return 0;
}

/* ---- experiments: pi-autoresearch and results.tsv ------------------------- */

/* The chain of kept experiments in one segment: the first is the baseline,
 * every later one a claim against the one before. */
typedef struct {
	lp_audit_claims *c;
	lp_repo *repo;
	double prev;       /* metric of the last kept experiment; NaN: none yet */
	int lower;         /* the current direction */
	int forced;        /* the caller fixed the direction */
	int configured;    /* a config line was seen */
	int seg_results;   /* the segment has experiments */
	const char *metric; /* pi logs: a key of metrics{} instead of "metric" */
	int metric_is_primary; /* the segment's metricName is that metric */
	char last[48];     /* the commit of the last kept experiment ("": none) */
	int last_claimed;  /* that keep is the last claim (not a baseline) */
} chain;

/* Whether two spellings of a commit id name the same one (one a prefix
 * of the other, as 7 and 12 hex digits do). */
static int same_commit(const char *a, const char *b)
{
	size_t n = strlen(a) < strlen(b) ? strlen(a) : strlen(b);

	return n >= 4 && strncasecmp(a, b, n) == 0;
}

/* A keep of the commit kept last: pi found nothing to commit and logged
 * the commit it had. Its gain is no commit's; it is folded into the claim
 * that commit already has (flagged), or, after a baseline, dropped. */
static int chain_repeat(chain *ch, double metric, double prev, size_t line)
{
	lp_audit_claim *k = ch->last_claimed ? &ch->c->claims[ch->c->nclaims - 1] : NULL;

	if (k == NULL)
		return warn(ch->c, "%s:%zu: a keep of %s, the segment's baseline, again: nothing was committed, so "
				   "there is no gain to audit; its metric is the baseline from here",
			    ch->c->path, line, ch->last);
	k->kept_again++;
	if (k->kept_again == 1)
		k->kept_again_line = line;
	k->claimed = isfinite(k->claimed) && metric > 0.0 && prev > 0.0 ? k->claimed * (metric / prev) : NAN;
	return warn(ch->c, "%s:%zu: a keep of %s again (claim of line %zu): nothing was committed, so one claim, "
			   "flagged, its claimed B/A now the product of both keeps",
		    ch->c->path, line, ch->last, k->line);
}

static int chain_keep(chain *ch, const char *commit, double metric, size_t line, const char *desc)
{
	double prev = ch->prev;
	size_t before = ch->c->nclaims;
	int error;

	ch->seg_results = 1;
	ch->prev = metric;
	if (isnan(prev)) { /* the baseline */
		snprintf(ch->last, sizeof(ch->last), "%s", commit);
		ch->last_claimed = 0;
		return 0;
	}
	if (ch->last[0] && same_commit(ch->last, commit))
		return chain_repeat(ch, metric, prev, line);
	error = add_claim(ch->c, ch->repo, commit, NULL, metric > 0.0 && prev > 0.0 ? metric / prev : NAN,
			  ch->lower, line, desc);
	snprintf(ch->last, sizeof(ch->last), "%s", commit);
	ch->last_claimed = error == 0 && ch->c->nclaims > before;
	return error;
}

static int set_metric(lp_audit_claims *c, const char *name)
{
	char *m = strdup(name);

	if (m == NULL)
		return bg_error_nomem();
	free(c->metric);
	c->metric = m;
	return 0;
}

static int pi_config(chain *ch, const cJSON *o)
{
	const char *name = str_item(o, "metricName"), *dir = str_item(o, "bestDirection");

	ch->configured = 1;
	if (ch->seg_results) { /* a new segment: a new baseline follows */
		ch->prev = NAN;
		ch->seg_results = 0;
		ch->last[0] = '\0';
		ch->last_claimed = 0;
	}
	if (!ch->forced)
		ch->lower = !(dir && strcmp(dir, "higher") == 0);
	if (ch->metric) {   /* the caller's metric: the primary, or from metrics{} */
		ch->metric_is_primary = name && strcmp(name, ch->metric) == 0;
		return 0;
	}
	return name ? set_metric(ch->c, name) : 0;
}

/* The kept experiment's value: "metric", or metrics{NAME} when the
 * caller named a secondary metric. */
static int pi_value(double *out, const chain *ch, const cJSON *o)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metrics");

	if (ch->metric && !ch->metric_is_primary)
		return num_item(out, m, ch->metric);
	return num_item(out, o, "metric");
}

static int pi_line(void *ud, const cJSON *o, size_t line)
{
	chain *ch = ud;
	const char *type = str_item(o, "type"), *status = str_item(o, "status");
	const char *commit = str_item(o, "commit");
	double metric;

	if (type)
		return strcmp(type, "config") == 0 ? pi_config(ch, o) : 0; /* hooks and others */
	/* pi reads anything but discard, crash and checks_failed as a keep */
	if (status && (strcmp(status, "discard") == 0 || strcmp(status, "crash") == 0 ||
		       strcmp(status, "checks_failed") == 0)) {
		ch->seg_results = 1;
		return 0;
	}
	if (commit == NULL || commit[0] == '\0')
		return warn(ch->c, "%s:%zu: a kept experiment without a \"commit\"; skipped", ch->c->path, line);
	if (pi_value(&metric, ch, o) < 0)
		return warn(ch->c, "%s:%zu: a kept experiment whose \"%s\"%s is not a number; skipped", ch->c->path,
			    line, ch->metric ? ch->metric : "metric", ch->metric ? " (in metrics{})" : "");
	return chain_keep(ch, commit, metric, line, str_item(o, "description"));
}

static int no_wins(const lp_audit_claims *c, const char *what)
{
	return bg_error_set(BG_ENOTFOUND, "%s has no kept %s after its baseline: nothing to audit", c->path, what);
}

int lp_audit_claims_pi_log(lp_audit_claims **out, lp_repo *repo, const char *path,
			   int lower_is_better, const char *metric)
{
	lp_audit_claims *c = NULL;
	chain ch;
	int error;

	if ((error = claims_new(&c, LP_AUDIT_SRC_PI_LOG, path)) < 0)
		return error;
	ch = (chain){ c, repo, NAN, lower_is_better != 0, lower_is_better >= 0, 0, 0, metric, 0, "", 0 };
	if ((error = metric ? set_metric(c, metric) : 0) == 0)
		error = each_json_line(c, &PI_LOG, pi_line, &ch);
	if (error == 0 && !ch.configured && lower_is_better < 0)
		error = warn(c, "%s: no {\"type\":\"config\"} line: taking lower values as better (--direction to say otherwise)",
			     path);
	if (error == 0 && c->nclaims == 0)
		error = no_wins(c, "experiment (status \"keep\")");
	if (error < 0) {
		lp_audit_claims_free(c);
		return error;
	}
	*out = c;
	return 0;
}

/* Splits line at tabs, in place, into at most max fields. */
static size_t split_tabs(char **f, size_t max, char *line)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static int is_number(double *out, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return 0;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return 0;
	if (out)
		*out = v;
	return 1;
}

#define TSV_MAX_COLS 64

typedef struct {
	char *h[TSV_MAX_COLS];
	size_t nh;
	long commit, status, desc, metric;   /* column indexes, -1 none */
} tsv_header;

static long column(const tsv_header *t, const char *name)
{
	for (size_t i = 0; i < t->nh; i++)
		if (strcasecmp(t->h[i], name) == 0)
			return (long)i;
	return -1;
}

static int header_error(const tsv_header *t, const char *path, const char *what)
{
	char cols[512] = "";

	for (size_t i = 0; i < t->nh; i++)
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s\"%s\"", i ? ", " : "", t->h[i]);
	return bg_error_set(BG_EINVAL,
			    "%s: the header row has no %s column (found: %s); a results.tsv starts with a header such as \"commit<TAB>val_bpb<TAB>memory_gb<TAB>status<TAB>description\"",
			    path, what, cols);
}

/* The metric column: the one named, or the first other column whose value
 * on the first row (fields f, nf of them) is a number. */
static int pick_metric(tsv_header *t, const char *path, const char *name, char **f, size_t nf)
{
	if (name) {
		if ((t->metric = column(t, name)) < 0) {
			char what[160];
			snprintf(what, sizeof(what), "\"%s\" (--metric-column)", name);
			return header_error(t, path, what);
		}
		return 0;
	}
	for (size_t i = 0; i < t->nh && i < nf; i++) {
		if ((long)i == t->commit || (long)i == t->status || (long)i == t->desc ||
		    strncasecmp(t->h[i], "mem", 3) == 0)
			continue;
		if (is_number(NULL, f[i])) {
			t->metric = (long)i;
			return 0;
		}
	}
	return bg_error_set(BG_EINVAL, "%s: no column holds a number on the first row: name the metric with --metric-column",
			    path);
}

static int tsv_row(chain *ch, const tsv_header *t, char **f, size_t nf, size_t line)
{
	long need = t->commit > t->status ? t->commit : t->status;
	double metric;

	if (t->metric > need)
		need = t->metric;
	if ((long)nf <= need)
		return warn(ch->c, "%s:%zu: %zu field%s where the header has %zu; skipped", ch->c->path, line, nf,
			    nf == 1 ? "" : "s", t->nh);
	if (strcasecmp(f[t->status], "keep") != 0)
		return 0;
	if (f[t->commit][0] == '\0')
		return warn(ch->c, "%s:%zu: a kept row without a commit; skipped", ch->c->path, line);
	if (!is_number(&metric, f[t->metric]))
		return warn(ch->c, "%s:%zu: %s \"%s\" is not a number; skipped", ch->c->path, line,
			    t->h[t->metric], f[t->metric]);
	return chain_keep(ch, f[t->commit], metric, line, t->desc >= 0 && (long)nf > t->desc ? f[t->desc] : NULL);
}

static int tsv_header_read(tsv_header *t, char *line, const char *path)
{
	t->nh = split_tabs(t->h, TSV_MAX_COLS, line);
	for (size_t i = 0; i < t->nh; i++) {
		char *s = t->h[i], *e = s + strlen(s);
		while (isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		t->h[i] = s;
	}
	t->commit = column(t, "commit");
	t->status = column(t, "status");
	t->desc = column(t, "description");
	t->metric = -1;
	if (t->commit < 0)
		return header_error(t, path, "\"commit\"");
	if (t->status < 0)
		return header_error(t, path, "\"status\"");
	return 0;
}

static int tsv_rows(chain *ch, char *text, const char *column_name)
{
	tsv_header t;
	char *p, *next, *f[TSV_MAX_COLS];
	size_t line = 0;
	int have_header = 0, error = 0;

	for (p = text; p && error == 0; p = next) {
		size_t nf;
		line_end(p, &next);
		line++;
		if (blank(p))
			continue;
		if (!have_header) {
			have_header = 1;
			error = tsv_header_read(&t, p, ch->c->path);
			continue;
		}
		nf = split_tabs(f, TSV_MAX_COLS, p);
		if (t.metric < 0 && (error = pick_metric(&t, ch->c->path, column_name, f, nf)) < 0)
			break;
		if (t.metric >= 0 && ch->c->metric == NULL)
			error = set_metric(ch->c, t.h[t.metric]);
		if (error == 0)
			error = tsv_row(ch, &t, f, nf, line);
	}
	if (error == 0 && !have_header)
		error = bg_error_set(BG_EINVAL, "%s is empty: a results.tsv needs a header row and experiments",
				     ch->c->path);
	return error;
}

int lp_audit_claims_tsv(lp_audit_claims **out, lp_repo *repo, const char *path,
			const char *column_name, int lower_is_better)
{
	lp_audit_claims *c = NULL;
	char *text = NULL;
	chain ch;
	int error;

	if ((error = claims_new(&c, LP_AUDIT_SRC_TSV, path)) < 0)
		return error;
	ch = (chain){ c, repo, NAN, lower_is_better != 0, 1, 1, 0, NULL, 0, "", 0 };
	if ((error = read_source(&text, path, &TSV)) == 0 &&
	    (error = tsv_rows(&ch, text, column_name)) == 0 && c->nclaims == 0)
		error = no_wins(c, "row (status \"keep\")");
	free(text);
	if (error < 0) {
		lp_audit_claims_free(c);
		return error;
	}
	*out = c;
	return 0;
}

/* ---- a range ----------------------------------------------------------------- */

/* Walks first parents from `to` back to `from`: the commits after `from`,
 * newest first, into c->claims (reversed by the caller). */
static int walk_back(lp_audit_claims *c, lp_repo *repo, const char *from, const char *to,
		     const char *range)
{
	char at[41], parent[41];
	int error;

	memcpy(at, to, sizeof(at));
	while (strcmp(at, from) != 0) {
		lp_audit_claim *grown;
		if ((error = lp_repo_first_parent(parent, repo, at)) == BG_ENOTFOUND)
			return bg_error_set(BG_EINVAL,
					    "range %s: %.12s is not on the first-parent history of %.12s; give A..B with A an ancestor of B",
					    range, from, to);
		if (error < 0)
			return error;
		if ((grown = realloc(c->claims, (c->nclaims + 1) * sizeof(*grown))) == NULL)
			return bg_error_nomem();
		c->claims = grown;
		memset(&c->claims[c->nclaims], 0, sizeof(*grown));
		memcpy(c->claims[c->nclaims].commit, at, sizeof(at));
		memcpy(c->claims[c->nclaims].parent, parent, sizeof(parent));
		snprintf(c->claims[c->nclaims].given, sizeof(grown->given), "%.12s", at);
		c->claims[c->nclaims].claimed = NAN;
		c->claims[c->nclaims].lower_is_better = -1;
		c->nclaims++;
		memcpy(at, parent, sizeof(at));
	}
	return 0;
}

static int range_walk(lp_audit_claims *c, lp_repo *repo, const char *range)
{
	const char *dots = strstr(range, "..");
	char from[41], to[41], *a;
	int error;

	if (dots == NULL || dots == range || dots[2] == '.')
		return bg_error_set(BG_EINVAL, "range \"%s\": expected A..B (two revisions and two dots, B may be left out for HEAD)",
				    range);
	if ((a = strndup(range, (size_t)(dots - range))) == NULL)
		return bg_error_nomem();
	error = lp_repo_resolve(from, repo, a);
	free(a);
	if (error < 0 || (error = lp_repo_resolve(to, repo, dots[2] ? dots + 2 : "HEAD")) < 0)
		return error;
	if (strcmp(from, to) == 0)
		return bg_error_set(BG_EINVAL, "range %s is empty: both ends are commit %.12s; give A..B with B after A",
				    range, from);
	if ((error = walk_back(c, repo, from, to, range)) < 0)
		return error;
	for (size_t i = 0, j = c->nclaims - 1; i < j; i++, j--) {
		lp_audit_claim t = c->claims[i];
		c->claims[i] = c->claims[j];
		c->claims[j] = t;
	}
	return 0;
}

int lp_audit_claims_range(lp_audit_claims **out, lp_repo *repo, const char *range)
{
	lp_audit_claims *c = NULL;
	int error;

	if ((error = claims_new(&c, LP_AUDIT_SRC_RANGE, range)) < 0)
		return error;
	if ((error = range_walk(c, repo, range)) < 0) {
		lp_audit_claims_free(c);
		return error;
	}
	*out = c;
	return 0;
}
