/* lp_calibration: where a machine's calibration is kept, reading it back,
 * and the advice gate takes from it (see lp_calibration.h). */
#include "lp_calibration.h"
#include "bg_error.h"
#include "bg_file.h"
#include "st_cs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seed of the planning simulation: fixed, so one calibration always gives
 * the same plan. */
#define PLAN_SEED 20261122UL
#define PLAN_SEQUENCES 400
/* Rounds simulated at most when planning: an hour's worth, at most
 * 100,000; 20,000 when the time of a round is unknown. */
#define PLAN_MAX_ROUNDS 100000
#define PLAN_MAX_ROUNDS_UNTIMED 20000

void lp_calib_report_clear(lp_calib_report *r)
{
	if (r == NULL)
		return;
	for (size_t w = 0; w < r->nwl; w++) {
		lp_calib_series *s[2] = { &r->wl[w].main, &r->wl[w].other };
		for (int i = 0; i < 2; i++) {
			free(s[i]->a);
			free(s[i]->b);
			free(s[i]->d);
			free(s[i]->t_min);
		}
		free(r->wl[w].name);
		free(r->wl[w].cmd);
	}
	free(r->wl);
	smp_pinning_free(r->pin);
	smp_server_stop(&r->server);
	free(r->saved_to);
	memset(r, 0, sizeof(*r));
}

/* ---- reading ---------------------------------------------------------- */

void lp_calibration_free(lp_calibration *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nwl; i++) {
		free(c->wl[i].name);
		free(c->wl[i].d);
	}
	free(c->wl);
	free(c->metric);
	free(c->path);
	free(c);
}

static double num_or(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* One workload: name, round_seconds > 0, d with at least 2 finite values. */
static int load_workload(lp_calibration_wl *w, const cJSON *j, const char *path, size_t i)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "d"), *x;
	size_t n = 0;

	w->round_s = num_or(j, "round_seconds", NAN);
	w->sd_d = num_or(j, "sd_d", NAN);
	w->pin_ratio = num_or(j, "pinned_over_unpinned_sd", NAN);
	if (!cJSON_IsString(name) || !(w->round_s > 0.0 && isfinite(w->round_s)) || !cJSON_IsArray(d) ||
	    cJSON_GetArraySize(d) < 2)
		return bg_error_set(BG_EPARSE,
				    "%s: workloads[%zu] needs a name, round_seconds > 0 and at least 2 values in d; run 'benchgate calibrate' again",
				    path, i);
	if ((w->name = strdup(name->valuestring)) == NULL ||
	    (w->d = malloc((size_t)cJSON_GetArraySize(d) * sizeof(*w->d))) == NULL)
		return bg_error_nomem();
	cJSON_ArrayForEach(x, d) {
		if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
			return bg_error_set(BG_EPARSE, "%s: workloads[%zu].d[%zu] is not a finite number", path, i, n);
		w->d[n++] = x->valuedouble;
	}
	w->n = n;
	return 0;
}

static time_t parse_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0')
		return (time_t)-1;
	return timegm(&tm);
}

static int load_fields(lp_calibration *c, const cJSON *root)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "machine");
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(m, "fingerprint");
	const cJSON *date = cJSON_GetObjectItemCaseSensitive(root, "date");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "settings");
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(st, "metric");
	const cJSON *wls = cJSON_GetObjectItemCaseSensitive(root, "workloads"), *w;
	int error;

	if (!cJSON_IsString(fp) || strlen(fp->valuestring) != 16 || !cJSON_IsArray(wls))
		return bg_error_set(BG_EPARSE,
				    "%s: not a calibration (no machine.fingerprint or workloads); run 'benchgate calibrate' again",
				    c->path);
	memcpy(c->fingerprint, fp->valuestring, 17);
	snprintf(c->date, sizeof(c->date), "%s", cJSON_IsString(date) ? date->valuestring : "");
	c->when = parse_date(c->date);
	if ((c->metric = strdup(cJSON_IsString(metric) ? metric->valuestring : "wall")) == NULL)
		return bg_error_nomem();
	if ((c->wl = calloc((size_t)cJSON_GetArraySize(wls) + 1, sizeof(*c->wl))) == NULL)
		return bg_error_nomem();
	cJSON_ArrayForEach(w, wls) {
		c->nwl++;
		if ((error = load_workload(&c->wl[c->nwl - 1], w, c->path, c->nwl - 1)) < 0)
			return error;
	}
	return 0;
}

int lp_calibration_load(lp_calibration **out, const char *path)
{
	lp_calibration *c = NULL;
	cJSON *root = NULL;
	char *text;
	int error;

	if ((text = bg_file_read(path, NULL)) == NULL)
		return bg_error_code() == BG_ENOTFOUND
			? bg_error_set(BG_ENOTFOUND, "%s does not exist", path)
			: bg_error_code();
	if ((root = cJSON_Parse(text)) == NULL) {
		error = bg_error_set(BG_EPARSE, "%s is not JSON; run 'benchgate calibrate' again", path);
		goto cleanup;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		error = bg_error_nomem();
		goto cleanup;
	}
	if ((error = load_fields(c, root)) < 0)
		goto cleanup;
	*out = c;
	c = NULL;
cleanup:
	lp_calibration_free(c);
	cJSON_Delete(root);
	free(text);
	return error;
}

/* ---- advice ----------------------------------------------------------- */

/* Loads path into *out when it exists and parses; a file that is there but
 * unreadable is a warning. */
static int try_load(lp_calibration **out, const char *path, FILE *w)
{
	int error = lp_calibration_load(out, path);

	if (error == BG_ENOTFOUND)
		return 0;
	if (error == BG_ENOMEM)
		return error;
	if (error < 0)
		fprintf(w, "cannot use the calibration: %s\n", bg_error_last());
	return 0;
}

/* The calibration to use (NULL when none), by the order of the header. */
static int find_calibration(lp_calibration **out, const lp_calibration_query *q, FILE *w)
{
	lp_calibration *repo = NULL, *cache = NULL;
	char *rp = NULL, *cp = NULL;
	const char *fp = q->probe->fingerprint;
	int error = 0;

	*out = NULL;
	if (q->state && ((error = state_calibration_path(&rp, q->state, fp, 0)) < 0 ||
			     (error = try_load(&repo, rp, w)) < 0))
		goto cleanup;
	if (repo && strcmp(repo->fingerprint, fp) == 0) {
		*out = repo;
		repo = NULL;
		goto cleanup;
	}
	/* No cache directory (no HOME) is no error here: there is no file. */
	if ((error = state_calibration_path(&cp, NULL, fp, 0)) == BG_ENOMEM ||
	    (error == 0 && (error = try_load(&cache, cp, w)) < 0))
		goto cleanup;
	error = 0;
	if (cache && strcmp(cache->fingerprint, fp) == 0) {
		*out = cache;
		cache = NULL;
	} else if (repo) {
		*out = repo;
		repo = NULL;
	} else {
		fprintf(w, "no calibration of this machine (fingerprint %s)%s%s%s%s: run 'benchgate calibrate' (about 2 minutes) so gate can plan its time budget\n",
			fp, rp || cp ? " in " : "", rp ? rp : "", rp && cp ? " or " : "", cp ? cp : "");
	}
cleanup:
	lp_calibration_free(repo);
	lp_calibration_free(cache);
	free(rp);
	free(cp);
	return error;
}

/* Warnings about where the calibration comes from: machine, age, metric. */
static void check_origin(const lp_calibration *c, const lp_calibration_query *q, FILE *w)
{
	double age;

	if (strcmp(c->fingerprint, q->probe->fingerprint) != 0)
		fprintf(w, "the calibration %s is from another machine (fingerprint %s; this one is %s): run 'benchgate calibrate' here\n",
			c->path, c->fingerprint, q->probe->fingerprint);
	if (c->when == (time_t)-1)
		fprintf(w, "the calibration %s has no readable date: run 'benchgate calibrate' again\n", c->path);
	else if ((age = difftime(q->now, c->when)) > LP_CALIBRATION_MAX_AGE_S)
		fprintf(w, "the calibration %s is %.0f days old (%s): run 'benchgate calibrate' again, noise changes with load, kernel and neighbours\n",
			c->path, floor(age / 86400.0), c->date);
	if (q->metric && strcmp(q->metric, c->metric) != 0)
		fprintf(w, "the calibration %s measured %s, this gate measures %s: its noise may not apply; run 'benchgate calibrate --config benchgate.json'\n",
			c->path, c->metric, q->metric);
}

/* The calibrated workloads standing in for the gate's (by name; the
 * noisiest one when none is found), and the seconds of a gate round. */
typedef struct {
	const double **d;
	size_t *n;
	double *w;
	size_t k;
	double round_s;
	double log_pin;   /* sum of the matched workloads' log pin ratios */
	size_t npin;
} plan_source;

static int source_new(plan_source *s, size_t *matched, const lp_calibration *c,
		      const lp_calibration_query *q)
{
	size_t worst = 0;
	double sum = 0.0;

	memset(s, 0, sizeof(*s));
	s->d = calloc(q->nworkloads, sizeof(*s->d));
	s->n = calloc(q->nworkloads, sizeof(*s->n));
	s->w = calloc(q->nworkloads, sizeof(*s->w));
	if (s->d == NULL || s->n == NULL || s->w == NULL)
		return bg_error_nomem();
	for (size_t i = 0; i < q->nworkloads; i++)
		for (size_t j = 0; j < c->nwl; j++)
			if (strcmp(q->workloads[i], c->wl[j].name) == 0) {
				if (c->wl[j].pin_ratio > 0.0 && isfinite(c->wl[j].pin_ratio)) {
					s->log_pin += log(c->wl[j].pin_ratio);
					s->npin++;
				}
				s->d[s->k] = c->wl[j].d;
				s->n[s->k] = c->wl[j].n;
				s->w[s->k++] = q->weights ? q->weights[i] : 1.0;
				sum += c->wl[j].round_s;
				break;
			}
	*matched = s->k;
	if (s->k == 0) {
		for (size_t j = 1; j < c->nwl; j++)
			if (c->wl[j].sd_d > c->wl[worst].sd_d)
				worst = j;
		s->d[0] = c->wl[worst].d;
		s->n[0] = c->wl[worst].n;
		s->w[0] = 1.0;
		s->k = 1;
	}
	s->round_s = *matched == q->nworkloads ? sum : q->round_s > 0.0 ? q->round_s : NAN;
	return 0;
}

static void source_free(plan_source *s)
{
	free(s->d);
	free(s->n);
	free(s->w);
}

/* Rounds (and seconds) to detect min_effect with 80% power. */
static int plan(lp_calibration_advice *a, const plan_source *s, const lp_calibration_query *q)
{
	st_calib_source src = { s->k, s->d, s->n, s->w };
	st_rule rule = st_rule_make(q->alpha, q->min_effect, q->lower_is_better);
	gsl_rng *rng;
	size_t rounds;
	int error;

	rule.min_rounds = q->min_rounds ? q->min_rounds : 1;
	rule.max_rounds = PLAN_MAX_ROUNDS_UNTIMED;
	if (isfinite(s->round_s))
		rule.max_rounds = ceil(LP_CALIBRATION_CAP_S / s->round_s) < PLAN_MAX_ROUNDS
			? (size_t)ceil(LP_CALIBRATION_CAP_S / s->round_s) : PLAN_MAX_ROUNDS;
	if ((rng = gsl_rng_alloc(gsl_rng_taus2)) == NULL)
		return bg_error_nomem();
	gsl_rng_set(rng, PLAN_SEED);
	error = st_calib_rounds_to_detect(&rounds, &src, q->min_effect, &rule, LP_CALIBRATION_POWER,
					  PLAN_SEQUENCES, rng);
	gsl_rng_free(rng);
	if (error < 0)
		return error;
	a->rounds = rounds == ST_CALIB_NEVER ? INFINITY : (double)rounds;
	a->seconds = a->rounds * s->round_s;
	return 0;
}

/* Names of the training workloads the calibration lacks, for a warning. */
static void warn_missing(FILE *w, const lp_calibration *c, const lp_calibration_query *q)
{
	const char *sep = "";

	fputs("not in the calibration: ", w);
	for (size_t i = 0; i < q->nworkloads; i++) {
		size_t j = 0;
		while (j < c->nwl && strcmp(q->workloads[i], c->wl[j].name) != 0)
			j++;
		if (j == c->nwl) {
			fprintf(w, "%s%s", sep, q->workloads[i]);
			sep = ", ";
		}
	}
	fprintf(w, " (planned from %s's noise, without a time per round): run 'benchgate calibrate --config benchgate.json' so gate can plan in seconds\n",
		c->path);
}

static void warn_budget(FILE *w, const lp_calibration_advice *a, const lp_calibration_query *q)
{
	if (!(a->seconds > q->budget_s))
		return;
	if (isinf(a->seconds))
		fprintf(w, "detecting a %.3g%% gain with 80%% power at level %.3g takes more than an hour here, far beyond the budget of %.0f s: expect INCONCLUSIVE verdicts; raise min_effect, or quiet the machine\n",
			q->min_effect * 100.0, q->alpha, q->budget_s);
	else
		fprintf(w, "detecting a %.3g%% gain with 80%% power at level %.3g needs about %.0f s here (%.0f rounds), more than the budget of %.0f s: expect INCONCLUSIVE verdicts; raise budget.max_seconds or min_effect, or quiet the machine\n",
			q->min_effect * 100.0, q->alpha, a->seconds, a->rounds, q->budget_s);
}

static int check_query(const lp_calibration_query *q)
{
	if (q == NULL || q->probe == NULL || q->workloads == NULL || q->nworkloads == 0)
		return bg_error_set(BG_EINVAL, "calibration advice: the probe and at least one workload are required");
	if (!(q->alpha > 0.0 && q->alpha < 1.0) || !(q->min_effect >= 0.0 && q->min_effect < 1.0) ||
	    !(q->budget_s > 0.0))
		return bg_error_set(BG_EINVAL,
				    "calibration advice: need alpha in (0, 1), min_effect in [0, 1) and budget_s > 0");
	for (size_t i = 0; i < q->nworkloads; i++)
		if (q->workloads[i] == NULL || (q->weights && !(q->weights[i] > 0.0)))
			return bg_error_set(BG_EINVAL, "calibration advice: workload %zu has no name or a weight <= 0", i);
	return 0;
}

/* Everything after the calibration is found. */
static int advise_from(lp_calibration_advice *a, const lp_calibration *c,
		       const lp_calibration_query *q, FILE *w)
{
	plan_source s;
	int error;

	check_origin(c, q, w);
	if ((a->path = strdup(c->path)) == NULL)
		return bg_error_nomem();
	if (c->nwl == 0) {
		fprintf(w, "the calibration %s has no workloads: run 'benchgate calibrate' again\n", c->path);
		return 0;
	}
	if ((error = source_new(&s, &a->matched, c, q)) == 0) {
		a->pin_ratio = s.npin ? exp(s.log_pin / (double)s.npin) : NAN;
		if (a->matched < q->nworkloads && !(q->round_s > 0.0))
			warn_missing(w, c, q);
		if (q->min_effect > 0.0 && (error = plan(a, &s, q)) == 0)
			warn_budget(w, a, q);
	}
	source_free(&s);
	return error;
}

int lp_calibration_advise(lp_calibration_advice *out, const lp_calibration_query *q)
{
	lp_calibration_advice a = { NULL, NULL, 0, NAN, NAN, NAN };
	lp_calibration *c = NULL;
	size_t len = 0;
	FILE *w;
	int error;

	if ((error = check_query(q)) < 0)
		return error;
	if ((w = open_memstream(&a.warnings, &len)) == NULL)
		return bg_error_nomem();
	if ((error = find_calibration(&c, q, w)) == 0 && c != NULL)
		error = advise_from(&a, c, q, w);
	lp_calibration_free(c);
	if (fclose(w) != 0 && error == 0)
		error = bg_error_nomem();
	if (error == 0 && len == 0) {
		free(a.warnings);
		a.warnings = NULL;
	}
	if (error < 0) {
		lp_calibration_advice_clear(&a);
		return error;
	}
	*out = a;
	return 0;
}

void lp_calibration_advice_clear(lp_calibration_advice *a)
{
	if (a == NULL)
		return;
	free(a->warnings);
	free(a->path);
	memset(a, 0, sizeof(*a));
	a->rounds = a->seconds = NAN;
}
