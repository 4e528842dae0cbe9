/* mock_exec: scripted run times (see mock_exec.h). */
#include "mock_exec.h"
#include "bg_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

/* MEAN from DIR/NAME, DIR the first 'quoted' word of cmd (after "cd "). */
static int mean_from_file(double *mean, const char *cmd, const char *name)
{
	const char *q1 = strchr(cmd, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	char path[4096];
	FILE *f;
	int ok;

	if (q2 == NULL)
		return bg_error_set(BG_EINVAL, "mock: bg-mock-file needs \"cd 'DIR'\" first: %s", cmd);
	snprintf(path, sizeof(path), "%.*s/%s", (int)(q2 - q1 - 1), q1 + 1, name);
	if ((f = fopen(path, "r")) == NULL)
		return bg_error_set(BG_EINVAL, "mock: cannot read %s", path);
	ok = fscanf(f, "%lf", mean) == 1;
	fclose(f);
	return ok ? 0 : bg_error_set(BG_EINVAL, "mock: no number in %s", path);
}

/* MEAN, SD and EXIT of cmd. */
static int script_of(double *mean, double *sd, int *exit_code, const char *cmd)
{
	const char *p;
	char name[256];

	*sd = 0.0;
	*exit_code = 0;
	if ((p = strstr(cmd, "bg-mock-file ")) != NULL) {
		if (sscanf(p, "bg-mock-file %255s %lf", name, sd) < 1)
			return bg_error_set(BG_EINVAL, "mock: bad bg-mock-file line: %s", cmd);
		return mean_from_file(mean, cmd, name);
	}
	if ((p = strstr(cmd, "bg-mock ")) == NULL || sscanf(p, "bg-mock %lf %lf %d", mean, sd, exit_code) < 1)
		return bg_error_set(BG_EINVAL, "mock: no \"bg-mock MEAN\" in the command: %s", cmd);
	return 0;
}

static int mock_run(smp_result *out, const smp_spawn_opts *opts, void *ctx)
{
	mock_exec *m = ctx;
	double mean, sd, t;
	int exit_code, error;

	if ((error = script_of(&mean, &sd, &exit_code, opts->cmd)) < 0)
		return error;
	m->calls++;
	t = mean * exp(sd > 0 ? sd * gsl_ran_gaussian(m->rng, 1.0) : 0.0);
	memset(out, 0, sizeof(*out));
	out->outcome = SMP_EXITED;
	out->exit_code = exit_code;
	out->wall_ns = (int64_t)(t * 1e9);
	out->user_ns = out->wall_ns;
	out->maxrss_kb = 1024;
	out->out = strdup("");
	out->err = strdup(exit_code ? "mock failure\n" : "");
	if (out->out == NULL || out->err == NULL) {
		smp_result_clear(out);
		return bg_error_nomem();
	}
	out->err_len = strlen(out->err);
	return 0;
}

smp_executor mock_exec_init(mock_exec *m, unsigned long seed)
{
	m->rng = gsl_rng_alloc(gsl_rng_taus2);
	if (m->rng == NULL)
		abort();
	gsl_rng_set(m->rng, seed);
	m->calls = 0;
	return (smp_executor){ mock_run, m };
}

void mock_exec_free(mock_exec *m)
{
	gsl_rng_free(m->rng);
	m->rng = NULL;
}
