/* smp_runner: randomized interleaved rounds of runs (see smp_runner.h). */
#include "smp_runner.h"
#include "smp_shuffle.h"
#include "bg_error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

struct smp_runner {
	smp_job *jobs;
	size_t njobs;
	smp_runner_opts opts;
	smp_pinning *pin;
	gsl_rng *rng;
	smp_sample *samples;
	size_t nsamples, cap;
	size_t *order;
	size_t malformed;
	char first_problem[200];
	size_t truncated;
	size_t left_behind;   /* processes sandboxed runs left, killed after them */
	smp_metric_regex *metric_regex;   /* NULL: none */
};

void smp_runner_free(smp_runner *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->njobs; i++) {
		free((char *)r->jobs[i].name);
		free((char *)r->jobs[i].cmd);
	}
	for (size_t i = 0; i < r->nsamples; i++)
		smp_metrics_clear(&r->samples[i].metrics);
	free(r->jobs);
	free(r->samples);
	free(r->order);
	smp_metric_regex_free(r->metric_regex);
	free(r);
}

int smp_runner_new(smp_runner **out, const smp_job *jobs, size_t njobs,
		   const smp_runner_opts *opts, smp_pinning *pin, gsl_rng *rng)
{
	smp_runner *r;

	if (njobs == 0 || jobs == NULL || rng == NULL)
		return bg_error_set(BG_EINVAL, "nothing to run: no commands given");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return bg_error_nomem();
	r->opts = opts ? *opts : (smp_runner_opts)SMP_RUNNER_OPTS_INIT;
	if (r->opts.metric_regex &&
	    smp_metric_regex_new(&r->metric_regex, r->opts.metric ? r->opts.metric : "", r->opts.metric_regex) < 0) {
		free(r);
		return bg_error_code();
	}
	r->pin = pin;
	r->rng = rng;
	r->jobs = calloc(njobs, sizeof(*r->jobs));
	r->order = calloc(njobs, sizeof(*r->order));
	if (r->jobs == NULL || r->order == NULL)
		goto nomem;
	for (size_t i = 0; i < njobs; i++) {
		r->jobs[i] = jobs[i];
		r->jobs[i].name = strdup(jobs[i].name ? jobs[i].name : "");
		r->jobs[i].cmd = strdup(jobs[i].cmd ? jobs[i].cmd : "");
		r->njobs = i + 1;
		if (r->jobs[i].name == NULL || r->jobs[i].cmd == NULL)
			goto nomem;
	}
	*out = r;
	return 0;
nomem:
	smp_runner_free(r);
	return bg_error_nomem();
}

/* The last `lines` lines of s, for error messages. */
static const char *tail_lines(const char *s, size_t len, int lines)
{
	const char *p = s + len;

	while (p > s && (p[-1] == '\n' || p[-1] == '\r'))
		p--;
	while (p > s) {
		if (p[-1] == '\n' && --lines == 0)
			break;
		p--;
	}
	return p;
}

static int failure(const smp_job *job, const smp_result *res)
{
	char status[96];
	const char *tail = res->err ? tail_lines(res->err, res->err_len, 5) : "";
	int tlen = (int)strlen(tail);

	while (tlen > 0 && (tail[tlen - 1] == '\n' || tail[tlen - 1] == '\r'))
		tlen--;

	switch (res->outcome) {
	case SMP_EXITED:
		snprintf(status, sizeof(status), "exited with code %d", res->exit_code);
		break;
	case SMP_SIGNALED:
		snprintf(status, sizeof(status), "was killed by signal %d (%s)",
			 res->term_signal, strsignal(res->term_signal));
		break;
	case SMP_TIMED_OUT:
		snprintf(status, sizeof(status), "timed out");
		break;
	default:
		snprintf(status, sizeof(status), "could not be started");
		break;
	}
	return bg_error_set(BG_ECHILD,
			    "command %s (%s) %s%s%.*s",
			    job->name, job->cmd, status,
			    tlen ? "; the end of its stderr:\n" : " and wrote nothing to stderr", tlen, tail);
}

static int push_sample(smp_runner *r, const smp_sample *s)
{
	if (r->nsamples == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		smp_sample *ns = realloc(r->samples, cap * sizeof(*ns));
		if (ns == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory storing samples");
		r->samples = ns;
		r->cap = cap;
	}
	r->samples[r->nsamples++] = *s;
	return 0;
}

/* The regex metric from stdout, then stderr (a match there wins, as a
 * METRIC line does); no match at all is a malformed run. */
static int regex_metric(smp_sample *s, const smp_metric_regex *re, const smp_result *res)
{
	int out, err;

	if ((out = smp_metrics_parse_regex(&s->metrics, re, res->out, res->out_len)) < 0 ||
	    (err = smp_metrics_parse_regex(&s->metrics, re, res->err, res->err_len)) < 0)
		return BG_ENOMEM;
	if (!out && !err && s->metrics.malformed++ == 0)
		snprintf(s->metrics.first_problem, sizeof(s->metrics.first_problem),
			 "no line of the output matches metric.regex");
	return 0;
}

static int fill_sample(smp_runner *r, smp_sample *s, const smp_result *res)
{
	int error;

	s->outcome = res->outcome;
	s->exit_code = res->exit_code;
	s->term_signal = res->term_signal;
	s->wall_ns = res->wall_ns;
	s->user_ns = res->user_ns;
	s->sys_ns = res->sys_ns;
	s->maxrss_kb = res->maxrss_kb;
	s->hw_ok = res->hw_ok;
	s->instructions = res->instructions;
	s->cycles = res->cycles;
	s->metrics = (smp_metrics)SMP_METRICS_INIT;
	if (res->out_truncated || res->err_truncated)
		r->truncated++;
	r->left_behind += (size_t)res->left_behind;
	if (smp_metrics_parse(&s->metrics, res->out, res->out_len) < 0 || /* both streams, as pi reads them */
	    smp_metrics_parse(&s->metrics, res->err, res->err_len) < 0) {
		smp_metrics_clear(&s->metrics);
		return BG_ENOMEM;
	}
	if ((r->metric_regex && (error = regex_metric(s, r->metric_regex, res)) < 0) ||
	    (error = smp_metrics_aggregate(&s->metrics, r->opts.metric_aggregate)) < 0) {
		smp_metrics_clear(&s->metrics);
		return error;
	}
	if (s->metrics.malformed && r->malformed++ == 0)
		snprintf(r->first_problem, sizeof(r->first_problem), "%s", s->metrics.first_problem);
	return 0;
}

/* Runs job j once; stores a sample when keep is set. */
static int run_job(smp_runner *r, size_t j, unsigned round, unsigned pos, int keep)
{
	smp_spawn_opts so = r->opts.spawn;
	smp_result res;
	smp_sample s;
	int error;

	so.cmd = r->jobs[j].cmd;
	so.cpus = r->pin ? smp_pinning_child_cpus(r->pin) : NULL;
	if ((error = r->opts.exec.run ? r->opts.exec.run(&res, &so, r->opts.exec.ctx)
				      : smp_run(&res, &so)) < 0)
		return error;
	if (res.pin_failed && r->pin)
		smp_pinning_mark_failed(r->pin, res.pin_errno);
	if (res.outcome != SMP_EXITED || res.exit_code != 0)
		if (!r->opts.ignore_failure) {
			error = failure(&r->jobs[j], &res);
			goto cleanup;
		}
	if (!keep)
		goto cleanup;
	memset(&s, 0, sizeof(s));
	s.round = round;
	s.order = pos;
	s.job = (unsigned)j;
	if ((error = fill_sample(r, &s, &res)) < 0)
		goto cleanup;
	if ((error = push_sample(r, &s)) < 0)
		smp_metrics_clear(&s.metrics);
cleanup:
	smp_result_clear(&res);
	return error;
}

/* One shuffled round; on failure the samples it added are dropped. */
static int run_round(smp_runner *r, int keep)
{
	size_t first = r->nsamples;
	unsigned round = (unsigned)smp_runner_rounds(r);
	int error = 0;

	smp_shuffle(r->order, r->njobs, r->rng);
	for (size_t k = 0; k < r->njobs && error == 0; k++)
		error = run_job(r, r->order[k], round, (unsigned)k, keep);
	if (error < 0)
		while (r->nsamples > first)
			smp_metrics_clear(&r->samples[--r->nsamples].metrics);
	return error;
}

int smp_runner_warmup(smp_runner *r, unsigned rounds)
{
	int error;

	for (unsigned i = 0; i < rounds; i++)
		if ((error = run_round(r, 0)) < 0)
			return error;
	return 0;
}

int smp_runner_round(smp_runner *r)
{
	return run_round(r, 1);
}

size_t smp_runner_rounds(const smp_runner *r)
{
	return r->nsamples / r->njobs;
}

const smp_sample *smp_runner_samples(const smp_runner *r, size_t *n)
{
	*n = r->nsamples;
	return r->samples;
}

const smp_job *smp_runner_job(const smp_runner *r, size_t i)
{
	return i < r->njobs ? &r->jobs[i] : NULL;
}

size_t smp_runner_njobs(const smp_runner *r)
{
	return r->njobs;
}

size_t smp_runner_malformed(const smp_runner *r, const char **first)
{
	if (first)
		*first = r->first_problem;
	return r->malformed;
}

size_t smp_runner_truncated(const smp_runner *r)
{
	return r->truncated;
}

size_t smp_runner_left_behind(const smp_runner *r)
{
	return r->left_behind;
}

int smp_sample_value(double *out, const smp_sample *s, const char *metric)
{
	const smp_metric *m;

	if (strcmp(metric, "wall") == 0)
		*out = (double)s->wall_ns * 1e-9;
	else if (strcmp(metric, "cpu") == 0)
		*out = (double)(s->user_ns + s->sys_ns) * 1e-9;
	else if (strcmp(metric, "user") == 0)
		*out = (double)s->user_ns * 1e-9;
	else if (strcmp(metric, "sys") == 0)
		*out = (double)s->sys_ns * 1e-9;
	else if (strcmp(metric, "maxrss") == 0)
		*out = (double)s->maxrss_kb;
	else if (strcmp(metric, "instructions") == 0 || strcmp(metric, "cycles") == 0) {
		if (!s->hw_ok)
			return bg_error_set(BG_ENOTFOUND,
					    "metric \"%s\" is not available: hardware counters cannot be read here",
					    metric);
		*out = (double)(metric[0] == 'i' ? s->instructions : s->cycles);
	} else if ((m = smp_metrics_find(&s->metrics, metric)) != NULL)
		*out = m->value;
	else
		return bg_error_set(BG_ENOTFOUND,
				    "metric \"%s\" is missing from run %u of round %u: the command printed no \"METRIC %s=...\" "
				    "line%s%s%s",
				    metric, s->order, s->round, metric, s->metrics.first_problem[0] ? " (" : "",
				    s->metrics.first_problem, s->metrics.first_problem[0] ? ")" : "");
	return 0;
}
