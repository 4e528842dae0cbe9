/* bench_stats: how long the statistics take (the speed budgets),
 * printed as a markdown table: medians of 11 timed calls after a warm-up,
 * wall-clock and thread CPU time (which a shared VM disturbs less).
 *
 * - BCa interval of the mean, 10,000 resamples of 1,000 values: <= 30 ms.
 *   With taus2 (what benchgate uses) and, for comparison, mt19937.
 * - One sequential look at 500 rounds: everything benchgate computes after
 *   a round of a 5-workload gate: each workload's confidence sequence
 *   updated and its interval, the weighted aggregate's, Holm over the five
 *   p-values, and median and MAD of both arms of every workload: <= 5 ms. */
#include "st_boot.h"
#include "st_cs.h"
#include "st_desc.h"
#include "st_fdr.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define REPS 11
#define W 5
#define ROUNDS 500

static double now_ms(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

typedef int (*bench_fn)(void *ud, unsigned rep);

static void time_it(double *wall, double *cpu, bench_fn f, void *ud)
{
	double w[REPS], c[REPS];

	f(ud, 0); /* warm-up */
	for (unsigned k = 0; k < REPS; k++) {
		double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
		f(ud, k + 1);
		w[k] = now_ms(CLOCK_MONOTONIC) - t0;
		c[k] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
	}
	gsl_sort(w, 1, REPS);
	gsl_sort(c, 1, REPS);
	*wall = w[REPS / 2];
	*cpu = c[REPS / 2];
}

typedef struct {
	gsl_rng *rng;
	double x[1000];
} bca_ctx;

static int bca(void *ud, unsigned rep)
{
	bca_ctx *c = ud;
	st_interval ci;
	st_bca_info info;

	gsl_rng_set(c->rng, 1000 + rep);
	return st_boot_bca(&ci, &info, c->x, 1000, st_stat_mean, NULL, 10000, 0.95, c->rng);
}

typedef struct {
	double a[W][ROUNDS], b[W][ROUNDS];
	st_cs_state cs[W], agg;
} look_ctx;

static int one_look(void *ud, unsigned rep)
{
	look_ctx *c = ud;
	double p[W], adj[W], med, mad, dsum = 0;
	int reject[W];
	st_cs_result r;
	(void)rep;

	for (int w = 0; w < W; w++) {
		double d = log(c->b[w][ROUNDS - 1]) - log(c->a[w][ROUNDS - 1]);
		st_cs_state s = c->cs[w]; /* the look at round 500, repeatable */
		st_cs_push(&s, d);
		st_cs_interval(&r, &s, 0.05);
		p[w] = r.p_value;
		dsum += d / W;
		st_median(&med, c->a[w], ROUNDS);
		st_mad(&mad, c->a[w], ROUNDS);
		st_median(&med, c->b[w], ROUNDS);
		st_mad(&mad, c->b[w], ROUNDS);
	}
	{
		st_cs_state s = c->agg;
		st_cs_push(&s, dsum);
		st_cs_interval(&r, &s, 0.05);
	}
	return st_fdr_holm(adj, reject, p, W, 0.05);
}

static void bench_bca(const char *label, const gsl_rng_type *type)
{
	static bca_ctx c;
	double wall, cpu;

	c.rng = gsl_rng_alloc(type);
	gsl_rng_set(c.rng, 1);
	for (int i = 0; i < 1000; i++)
		c.x[i] = 1.0 + 0.1 * gsl_rng_uniform(c.rng) * gsl_rng_uniform(c.rng);
	time_it(&wall, &cpu, bca, &c);
	printf("| BCa, 10,000 resamples of 1,000 values (%s) | %.1f ms | %.1f ms | 30 ms |\n", label, wall, cpu);
	gsl_rng_free(c.rng);
}

static void bench_look(void)
{
	static look_ctx c;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
	double wall, cpu, rho;

	gsl_rng_set(rng, 2);
	st_cs_rho(&rho, 0.04, 0.05);
	st_cs_init(&c.agg, rho);
	for (int w = 0; w < W; w++) {
		st_cs_init(&c.cs[w], rho);
		for (int i = 0; i < ROUNDS; i++) {
			c.a[w][i] = 0.02 * (1.0 + 0.05 * gsl_rng_uniform(rng));
			c.b[w][i] = 0.02 * (1.0 + 0.05 * gsl_rng_uniform(rng));
			if (i < ROUNDS - 1)
				st_cs_push(&c.cs[w], log(c.b[w][i]) - log(c.a[w][i]));
		}
	}
	for (int i = 0; i < ROUNDS - 1; i++)
		st_cs_push(&c.agg, 0.0);
	time_it(&wall, &cpu, one_look, &c);
	printf("| one sequential look at round %d of a %d-workload gate | %.3f ms | %.3f ms | 5 ms |\n",
	       ROUNDS, W, wall, cpu);
	gsl_rng_free(rng);
}

int main(void)
{
	gsl_set_error_handler_off();
	printf("| computation | median wall | median CPU | budget |\n");
	printf("|---|---:|---:|---:|\n");
	bench_bca("taus2, what benchgate uses", gsl_rng_taus2);
	bench_bca("mt19937, for comparison", gsl_rng_mt19937);
	bench_look();
	return 0;
}
