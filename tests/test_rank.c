/* test_rank: the ev_rank routines (Hodges-Lehmann estimates, Mann-Whitney,
 * Wilcoxon signed-rank, Welch) against independent reference values, their
 * behaviour on bad input, a few invariances, and the speed asked of HL.
 *
 * The reference values come from R (wilcox.test, t.test, and ev_rank's
 * Hodges-Lehmann rule computed by brute force with sort/qwilcox/qsignrank)
 * and SciPy (mannwhitneyu, wilcoxon, ttest_ind), Debian's packages, computed
 * once by scripts/fixtures_rank.py (+ fixtures_rank.R) and committed as
 * tests/fixtures/rank_reference.json. Every fixture case becomes one cmocka
 * test per routine ("mwu_exact/n8_shift", ...), so a failure names the case;
 * each also checks that the input arrays come back unmodified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "ev_rank.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/rank_reference.json"

/* Deterministic values against R/SciPy. The Hodges-Lehmann endpoints and
 * estimates are order statistics of the same IEEE differences on both sides,
 * so they agree exactly; p-values come from different but exact-to-rounding
 * computations (counting DP vs R's cwilcox / SciPy's recursion; GSL's normal
 * and t tails vs R's pnorm/pt), ~1e-13 apart. 1e-6 relative still catches an
 * off-by-one k (neighbouring differences differ by far more), a missing tie
 * or continuity correction (>= 1e-3 on these cases), or a p computed as
 * 2(1 - P) (0 instead of ~1e-13 on the smallest p here). */
#define REL_TOL 1e-6
/* R's normal-branch interval is a uniroot on a step function with
 * tol.root = 1e-12: within ~1e-12 absolute of the jump, hence the floor. */
#define R_ROOT_ABS 1e-9

/* HL at m = n = 500 (250,000 differences) must take under 50 ms; the
 * sanitizer build is ~5x slower and gets 250 ms. */
#if defined(__SANITIZE_ADDRESS__)
#define HL_TIME_LIMIT_S 0.250
#else
#define HL_TIME_LIMIT_S 0.050
#endif

typedef struct {
	double estimate, lo, hi, achieved;
	size_t k, n_pairs;
	int exact;
	int r_applies, r_est_applies;
	double r_estimate, r_lo, r_hi;
} ref_hl;

typedef struct {
	double stat, stat2;       /* U; or W+, W- */
	size_t n_used;            /* signed rank only */
	double p_asym, z_abs, p_exact, p_auto;
	int has_exact, auto_exact;
} ref_test;

typedef struct {
	char *name;
	double level;
	double *x, *y;            /* y NULL for a paired case; x holds d */
	size_t m, n;
	ref_hl hl;
	ref_test test;
	int has_welch;
	double welch_t, welch_df, welch_p;
} ref_case;

/* Out-structs start filled with this byte pattern; a failing call must leave
 * it alone. */
#define POISON 0xA5

/* ---- reference values: Hodges-Lehmann --------------------------------- */

static void assert_hl_ref(const ev_hl *h, const ref_case *c)
{
	bg_fx_assert_close(h->estimate, c->hl.estimate, REL_TOL);
	bg_fx_assert_close(h->lo, c->hl.lo, REL_TOL);
	bg_fx_assert_close(h->hi, c->hl.hi, REL_TOL);
	assert_int_equal(h->k, c->hl.k);
	assert_int_equal(h->n_pairs, c->hl.n_pairs);
	assert_int_equal(h->exact, c->hl.exact);
	bg_fx_assert_close(h->achieved, c->hl.achieved, REL_TOL);
	assert_true(h->level == c->level);
	assert_true(h->lo <= h->estimate && h->estimate <= h->hi);
}

static void assert_hl_vs_r(const ev_hl *h, const ref_case *c)
{
	assert_true(c->hl.r_applies);
	bg_fx_assert_near(h->lo, c->hl.r_lo, REL_TOL, R_ROOT_ABS);
	bg_fx_assert_near(h->hi, c->hl.r_hi, REL_TOL, R_ROOT_ABS);
	if (c->hl.r_est_applies)
		bg_fx_assert_near(h->estimate, c->hl.r_estimate, REL_TOL, R_ROOT_ABS);
}

static void run_hl_shift(ev_hl *h, const ref_case *c)
{
	double *bx = bg_fx_copy(c->x, c->m), *by = bg_fx_copy(c->y, c->n);

	assert_ok(ev_hl_shift(h, c->x, c->m, c->y, c->n, c->level));
	bg_fx_assert_unmodified(bx, c->x, c->m);
	bg_fx_assert_unmodified(by, c->y, c->n);
}

static void run_hl_paired(ev_hl *h, const ref_case *c)
{
	double *bd = bg_fx_copy(c->x, c->m);

	assert_ok(ev_hl_paired(h, c->x, c->m, c->level));
	bg_fx_assert_unmodified(bd, c->x, c->m);
}

static void test_hl_shift_case(void **state)
{
	ev_hl h;

	run_hl_shift(&h, *state);
	assert_hl_ref(&h, *state);
}

static void test_hl_shift_r_case(void **state)
{
	ev_hl h;

	run_hl_shift(&h, *state);
	assert_hl_vs_r(&h, *state);
}

static void test_hl_paired_case(void **state)
{
	ev_hl h;

	run_hl_paired(&h, *state);
	assert_hl_ref(&h, *state);
}

static void test_hl_paired_r_case(void **state)
{
	ev_hl h;

	run_hl_paired(&h, *state);
	assert_hl_vs_r(&h, *state);
}

/* ---- reference values: tests ------------------------------------------ */

static void run_mwu(ev_mwu *t, const ref_case *c, ev_rank_method method)
{
	double *bx = bg_fx_copy(c->x, c->m), *by = bg_fx_copy(c->y, c->n);

	assert_ok(ev_mwu_test(t, c->x, c->m, c->y, c->n, method));
	bg_fx_assert_unmodified(bx, c->x, c->m);
	bg_fx_assert_unmodified(by, c->y, c->n);
	bg_fx_assert_close(t->u, c->test.stat, REL_TOL);
	/* |z| from the reference p: 2 Q(|z|) = p (z = 0 when p = 1) */
	bg_fx_assert_near(fabs(t->z), c->test.z_abs, REL_TOL, 1e-12);
	assert_true((t->z > 0) == (t->u > (double)(c->m * c->n) / 2.0));
}

static void test_mwu_exact_case(void **state)
{
	const ref_case *c = *state;
	ev_mwu t;

	run_mwu(&t, c, EV_RANK_EXACT);
	assert_int_equal(t.exact, 1);
	bg_fx_assert_close(t.p, c->test.p_exact, REL_TOL);
}

static void test_mwu_asymptotic_case(void **state)
{
	const ref_case *c = *state;
	ev_mwu t;

	run_mwu(&t, c, EV_RANK_ASYMPTOTIC);
	assert_int_equal(t.exact, 0);
	bg_fx_assert_close(t.p, c->test.p_asym, REL_TOL);
}

static void test_mwu_auto_case(void **state)
{
	const ref_case *c = *state;
	ev_mwu t;

	run_mwu(&t, c, EV_RANK_AUTO);
	assert_int_equal(t.exact, c->test.auto_exact);
	bg_fx_assert_close(t.p, c->test.p_auto, REL_TOL);
}

static void run_signrank(ev_signrank *t, const ref_case *c, ev_rank_method method)
{
	double *bd = bg_fx_copy(c->x, c->m);

	assert_ok(ev_signrank_test(t, c->x, c->m, method));
	bg_fx_assert_unmodified(bd, c->x, c->m);
	bg_fx_assert_close(t->w_plus, c->test.stat, REL_TOL);
	bg_fx_assert_close(t->w_minus, c->test.stat2, REL_TOL);
	assert_int_equal(t->n_used, c->test.n_used);
	bg_fx_assert_near(fabs(t->z), c->test.z_abs, REL_TOL, 1e-12);
}

static void test_signrank_exact_case(void **state)
{
	const ref_case *c = *state;
	ev_signrank t;

	run_signrank(&t, c, EV_RANK_EXACT);
	assert_int_equal(t.exact, 1);
	bg_fx_assert_close(t.p, c->test.p_exact, REL_TOL);
}

static void test_signrank_asymptotic_case(void **state)
{
	const ref_case *c = *state;
	ev_signrank t;

	run_signrank(&t, c, EV_RANK_ASYMPTOTIC);
	assert_int_equal(t.exact, 0);
	bg_fx_assert_close(t.p, c->test.p_asym, REL_TOL);
}

static void test_signrank_auto_case(void **state)
{
	const ref_case *c = *state;
	ev_signrank t;

	run_signrank(&t, c, EV_RANK_AUTO);
	assert_int_equal(t.exact, c->test.auto_exact);
	bg_fx_assert_close(t.p, c->test.p_auto, REL_TOL);
}

static void test_welch_case(void **state)
{
	const ref_case *c = *state;
	double *bx = bg_fx_copy(c->x, c->m), *by = bg_fx_copy(c->y, c->n);
	ev_welch w;

	assert_ok(ev_welch_test(&w, c->x, c->m, c->y, c->n));
	bg_fx_assert_unmodified(bx, c->x, c->m);
	bg_fx_assert_unmodified(by, c->y, c->n);
	bg_fx_assert_close(w.t, c->welch_t, REL_TOL);
	bg_fx_assert_close(w.df, c->welch_df, REL_TOL);
	bg_fx_assert_close(w.p, c->welch_p, REL_TOL);
}

/* ---- invariances ------------------------------------------------------ */

static const double ga[] = { 3.1, 1.7, 4.4, 2.9, 5.3, 2.2, 3.8 };
static const double gb[] = { 4.0, 3.35, 6.1, 5.2, 4.75, 3.9 };
#define NA (sizeof(ga) / sizeof(ga[0]))
#define NB (sizeof(gb) / sizeof(gb[0]))

/* Swapping the samples mirrors everything: HL and its interval change sign
 * and swap ends, U becomes mn - U with the same p, t changes sign. A
 * convention mix-up (x - y somewhere, U of the wrong sample) breaks this. */
static void test_swap_samples(void **state)
{
	ev_hl h1, h2;
	ev_mwu u1, u2;
	ev_welch w1, w2;

	(void)state;
	assert_ok(ev_hl_shift(&h1, ga, NA, gb, NB, 0.9));
	assert_ok(ev_hl_shift(&h2, gb, NB, ga, NA, 0.9));
	assert_true(h1.estimate == -h2.estimate);
	assert_true(h1.lo == -h2.hi && h1.hi == -h2.lo);
	assert_true(h1.estimate > 0.0);
	for (int m = EV_RANK_AUTO; m <= EV_RANK_ASYMPTOTIC; m++) {
		assert_ok(ev_mwu_test(&u1, ga, NA, gb, NB, (ev_rank_method)m));
		assert_ok(ev_mwu_test(&u2, gb, NB, ga, NA, (ev_rank_method)m));
		assert_true(u1.u + u2.u == (double)(NA * NB));
		bg_fx_assert_close(u1.p, u2.p, 1e-12);
		assert_true(u1.z == -u2.z);
	}
	assert_ok(ev_welch_test(&w1, ga, NA, gb, NB));
	assert_ok(ev_welch_test(&w2, gb, NB, ga, NA));
	assert_true(w1.t > 0.0 && w1.t == -w2.t && w1.df == w2.df && w1.p == w2.p);
}

/* Shifting y by c shifts the HL estimate and interval by c (to rounding);
 * negating d mirrors the Walsh estimate and swaps W+ and W-. */
static void test_shift_equivariance(void **state)
{
	double yb[NB], dn[NA];
	ev_hl h1, h2, p1, p2;
	ev_signrank s1, s2;

	(void)state;
	for (size_t j = 0; j < NB; j++)
		yb[j] = gb[j] + 10.0;
	assert_ok(ev_hl_shift(&h1, ga, NA, gb, NB, 0.95));
	assert_ok(ev_hl_shift(&h2, ga, NA, yb, NB, 0.95));
	bg_fx_assert_close(h2.estimate, h1.estimate + 10.0, 1e-12);
	bg_fx_assert_close(h2.lo, h1.lo + 10.0, 1e-12);
	bg_fx_assert_close(h2.hi, h1.hi + 10.0, 1e-12);
	assert_int_equal(h1.k, h2.k);

	for (size_t i = 0; i < NA; i++)
		dn[i] = -ga[i];
	assert_ok(ev_hl_paired(&p1, ga, NA, 0.9));
	assert_ok(ev_hl_paired(&p2, dn, NA, 0.9));
	assert_true(p1.estimate == -p2.estimate && p1.lo == -p2.hi && p1.hi == -p2.lo);
	assert_ok(ev_signrank_test(&s1, ga, NA, EV_RANK_EXACT));
	assert_ok(ev_signrank_test(&s2, dn, NA, EV_RANK_EXACT));
	assert_true(s1.w_plus == s2.w_minus && s1.p == s2.p);
	/* every d > 0: W+ is all of n(n+1)/2 and p = 2 / 2^n */
	assert_true(s1.w_plus == (double)(NA * (NA + 1) / 2) && s1.w_minus == 0.0);
	bg_fx_assert_close(s1.p, 2.0 / 128.0, 1e-12);
}

/* The exact distributions at the largest offered size: all values of one
 * sample below the other gives p = 2 / C(200, 100) for U; and the exact and
 * the continuity-corrected normal p for a moderate U agree closely (the
 * normal approximation is good at 100 x 100), which a wrong recursion
 * weight or truncation would spoil. */
static void test_exact_at_max_size(void **state)
{
	enum { S = EV_RANK_EXACT_MAX };
	double x[S], y[S], y2[S];
	ev_mwu e, a;
	ev_signrank se, sa;

	(void)state;
	for (int i = 0; i < S; i++) {
		x[i] = i;
		y[i] = S + i;
		/* interleaved with a modest shift: U = 5535, z = 1.31 */
		y2[i] = i + 5.5;
	}
	assert_ok(ev_mwu_test(&e, x, S, y, S, EV_RANK_EXACT));
	/* C(200, 100) = 9.0548514656103281e58 */
	bg_fx_assert_close(e.p, 2.0 / 9.0548514656103281e58, 1e-9);
	assert_ok(ev_mwu_test(&e, x, S, y2, S, EV_RANK_EXACT));
	assert_ok(ev_mwu_test(&a, x, S, y2, S, EV_RANK_ASYMPTOTIC));
	assert_true(e.p > 0.01 && e.p < 0.5);
	bg_fx_assert_close(e.p, a.p, 0.01);
	assert_ok(ev_signrank_test(&se, y2, S, EV_RANK_EXACT));
	assert_ok(ev_signrank_test(&sa, y2, S, EV_RANK_ASYMPTOTIC));
	assert_true(se.p < 1e-15);
	/* all positive: 2^-(S-1) exactly */
	bg_fx_assert_close(se.p, ldexp(1.0, -(S - 1)), 1e-9);
}

/* ---- speed -------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* m = n = 500: the best of 3 runs under HL_TIME_LIMIT_S (best of, so one
 * preemption on a shared VM does not fail it). */
static void test_hl_speed(void **state)
{
	enum { M = 500 };
	double *x = malloc(M * sizeof(*x)), *y = malloc(M * sizeof(*y));
	double best = 1e9;
	ev_hl h;
	uint64_t s = 88172645463325252ULL;

	(void)state;
	assert_non_null(x);
	assert_non_null(y);
	for (int i = 0; i < 2 * M; i++) { /* xorshift64: any spread-out values */
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		(i < M ? x : y)[i % M] = (double)(s >> 11) / 9007199254740992.0 + (i < M ? 0.0 : 0.1);
	}
	for (int r = 0; r < 3; r++) {
		double t0 = now_s(), dt;

		assert_ok(ev_hl_shift(&h, x, M, y, M, 0.95));
		dt = now_s() - t0;
		if (dt < best)
			best = dt;
	}
	print_message("HL m = n = %d: best of 3 = %.1f ms (limit %.0f ms)\n", M,
		      1e3 * best, 1e3 * HL_TIME_LIMIT_S);
	assert_int_equal(h.n_pairs, M * M);
	assert_int_equal(h.exact, 0);
	assert_true(h.lo < 0.1 && 0.1 < h.hi && h.hi - h.lo < 0.1);
	assert_true(best < HL_TIME_LIMIT_S);
	free(x);
	free(y);
}

/* ---- bad input -------------------------------------------------------- */

static const double good[] = { 2.0, 3.5, 1.25, 4.0, 3.0 };
#define NGOOD (sizeof(good) / sizeof(good[0]))

/* Each routine fails with `code`, leaves its out-struct alone and its
 * inputs unmodified. */
#define FAIL_CHECK(T, call, code) \
	do { \
		T out_, sentinel_; \
		memset(&sentinel_, POISON, sizeof(sentinel_)); \
		out_ = sentinel_; \
		assert_fails(call, code); \
		assert_memory_equal(&out_, &sentinel_, sizeof(out_)); \
	} while (0)

static void assert_two_fail(const double *x, size_t m, const double *y,
			    size_t n, int code, int with_hl, int with_welch)
{
	double *bx = bg_fx_copy(x, m), *by = bg_fx_copy(y, n);

	if (with_hl)
		FAIL_CHECK(ev_hl, ev_hl_shift(&out_, x, m, y, n, 0.95), code);
	for (int k = EV_RANK_AUTO; k <= EV_RANK_ASYMPTOTIC; k++)
		FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, x, m, y, n, (ev_rank_method)k), code);
	if (with_welch)
		FAIL_CHECK(ev_welch, ev_welch_test(&out_, x, m, y, n), code);
	bg_fx_assert_unmodified(bx, x, m);
	bg_fx_assert_unmodified(by, y, n);
}

static void assert_paired_fail(const double *d, size_t n, int code, int with_hl,
			       int with_test)
{
	double *bd = bg_fx_copy(d, n);

	if (with_hl)
		FAIL_CHECK(ev_hl, ev_hl_paired(&out_, d, n, 0.95), code);
	if (with_test)
		for (int k = EV_RANK_AUTO; k <= EV_RANK_ASYMPTOTIC; k++)
			FAIL_CHECK(ev_signrank, ev_signrank_test(&out_, d, n, (ev_rank_method)k),
				   code);
	bg_fx_assert_unmodified(bd, d, n);
}

static void test_empty_input(void **state)
{
	(void)state;
	/* valid pointers with a zero length, and NULL */
	assert_two_fail(good, 0, good, NGOOD, BG_EDOMAIN, 1, 1);
	assert_two_fail(good, NGOOD, good, 0, BG_EDOMAIN, 1, 1);
	assert_two_fail(NULL, 0, NULL, 0, BG_EDOMAIN, 1, 1);
	assert_paired_fail(good, 0, BG_EDOMAIN, 1, 1);
	assert_paired_fail(NULL, 0, BG_EDOMAIN, 1, 1);
}

static void test_nonfinite_input(void **state)
{
	const double bad[] = { NAN, INFINITY, -INFINITY };

	(void)state;
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		for (size_t pos = 0; pos < NGOOD; pos += NGOOD / 2) {
			double v[NGOOD];

			memcpy(v, good, sizeof(v));
			v[pos] = bad[b];
			print_message("non-finite %g at %zu\n", bad[b], pos);
			assert_two_fail(v, NGOOD, good, NGOOD, BG_EDOMAIN, 1, 1);
			assert_two_fail(good, NGOOD, v, NGOOD, BG_EDOMAIN, 1, 1);
			assert_paired_fail(v, NGOOD, BG_EDOMAIN, 1, 1);
		}
	}
}

/* One value: HL needs two differences / Walsh averages, Welch two values
 * per sample; the rank tests are defined (p = 1 for a single pair). */
static void test_too_few(void **state)
{
	const double one[] = { 1.0 }, two[] = { 2.0 };
	ev_mwu u;
	ev_signrank s;
	ev_hl h;

	(void)state;
	FAIL_CHECK(ev_hl, ev_hl_shift(&out_, one, 1, two, 1, 0.95), BG_EDOMAIN);
	FAIL_CHECK(ev_hl, ev_hl_paired(&out_, one, 1, 0.95), BG_EDOMAIN);
	FAIL_CHECK(ev_welch, ev_welch_test(&out_, one, 1, good, NGOOD), BG_EDOMAIN);
	FAIL_CHECK(ev_welch, ev_welch_test(&out_, good, NGOOD, two, 1), BG_EDOMAIN);

	assert_ok(ev_mwu_test(&u, one, 1, two, 1, EV_RANK_AUTO));
	assert_true(u.exact && u.u == 1.0 && u.p == 1.0);
	assert_ok(ev_signrank_test(&s, two, 1, EV_RANK_AUTO));
	assert_true(s.exact && s.w_plus == 1.0 && s.p == 1.0 && s.n_used == 1);
	/* m = 1, n = 2: two differences, k = 1, coverage 1 - 2 P(U = 0) = 1/3 */
	assert_ok(ev_hl_shift(&h, one, 1, good, 2, 0.95));
	assert_true(h.lo == 1.0 && h.hi == 2.5 && h.estimate == 1.75);
	bg_fx_assert_close(h.achieved, 1.0 / 3.0, 1e-12);
	assert_true(h.achieved < h.level);
}

/* All values equal: the rank tests have no variance (every rank tied), Welch
 * has no variance in either sample, the signed-rank test has nothing left
 * after dropping zeros. HL is defined: a zero-width interval. */
static void test_all_equal(void **state)
{
	const double same[] = { 1.5, 1.5, 1.5, 1.5 };
	const double zeros[] = { 0.0, 0.0, -0.0 };
	const double other[] = { 2.5, 2.5, 2.5 };
	ev_hl h;
	ev_welch w;

	(void)state;
	assert_two_fail(same, 4, same, 3, BG_EDOMAIN, 0, 1);
	FAIL_CHECK(ev_welch, ev_welch_test(&out_, same, 4, other, 3), BG_EDOMAIN);
	assert_paired_fail(zeros, 3, BG_EDOMAIN, 0, 1);

	assert_ok(ev_hl_shift(&h, same, 4, other, 3, 0.95));
	assert_true(h.estimate == 1.0 && h.lo == 1.0 && h.hi == 1.0 && !h.exact);
	assert_ok(ev_hl_paired(&h, same, 4, 0.95));
	assert_true(h.estimate == 1.5 && h.lo == 1.5 && h.hi == 1.5);
	/* one constant sample is fine for Welch: df = n - 1 of the other */
	assert_ok(ev_welch_test(&w, same, 4, good, NGOOD));
	bg_fx_assert_close(w.df, (double)(NGOOD - 1), 1e-12);
}

/* Far out in the tail: p below the smallest double is 0, not an error (GSL
 * reports an underflow there), and t and df are still right. */
static void test_welch_underflow(void **state)
{
	enum { M = 60 };
	double x[M], y[M];
	ev_welch w;

	(void)state;
	for (int i = 0; i < M; i++) {
		x[i] = 1.0 + 1e-6 * (i % 7);
		y[i] = 2.0 + 1e-6 * (i % 5);
	}
	assert_ok(ev_welch_test(&w, x, M, y, M));
	assert_true(w.t > 1e5 && w.p == 0.0);
	assert_true(w.df > 100.0 && w.df < 2.0 * M - 2.0);
}

static void test_bad_level(void **state)
{
	const double bad[] = { 0.0, 1.0, -0.5, 1.5, NAN, INFINITY, -INFINITY };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("level = %g\n", bad[i]);
		FAIL_CHECK(ev_hl, ev_hl_shift(&out_, good, NGOOD, ga, NA, bad[i]), BG_EINVAL);
		FAIL_CHECK(ev_hl, ev_hl_paired(&out_, good, NGOOD, bad[i]), BG_EINVAL);
	}
}

static void test_bad_method(void **state)
{
	(void)state;
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, good, NGOOD, ga, NA, (ev_rank_method)3),
		   BG_EINVAL);
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, good, NGOOD, ga, NA, (ev_rank_method)-1),
		   BG_EINVAL);
	FAIL_CHECK(ev_signrank, ev_signrank_test(&out_, good, NGOOD, (ev_rank_method)7),
		   BG_EINVAL);
}

/* Exact p-values are refused where the exact distribution does not hold
 * (ties, zeros) or would be too slow; AUTO falls back instead. */
static void test_exact_refused(void **state)
{
	const double tx[] = { 1.0, 2.0, 3.0 }, ty[] = { 3.0, 4.0, 5.0 };
	const double tied_d[] = { 1.0, -1.0, 2.0, 3.0 };
	const double zero_d[] = { 1.0, 0.0, 2.0, 3.0 };
	double big[EV_RANK_EXACT_MAX + 1];
	ev_mwu u;
	ev_signrank s;

	(void)state;
	for (int i = 0; i <= EV_RANK_EXACT_MAX; i++)
		big[i] = i * 0.5 + 0.25;
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, tx, 3, ty, 3, EV_RANK_EXACT), BG_EDOMAIN);
	FAIL_CHECK(ev_signrank, ev_signrank_test(&out_, tied_d, 4, EV_RANK_EXACT), BG_EDOMAIN);
	FAIL_CHECK(ev_signrank, ev_signrank_test(&out_, zero_d, 4, EV_RANK_EXACT), BG_EDOMAIN);
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, tx, 3, big, EV_RANK_EXACT_MAX + 1,
				       EV_RANK_EXACT), BG_EUNSUPPORTED);
	FAIL_CHECK(ev_signrank, ev_signrank_test(&out_, big, EV_RANK_EXACT_MAX + 1,
						 EV_RANK_EXACT), BG_EUNSUPPORTED);

	assert_ok(ev_mwu_test(&u, tx, 3, ty, 3, EV_RANK_AUTO));
	assert_int_equal(u.exact, 0);
	assert_true(u.u == 8.5);
	assert_ok(ev_signrank_test(&s, zero_d, 4, EV_RANK_AUTO));
	assert_true(!s.exact && s.n_used == 3 && s.w_plus == 6.0);
}

/* ---- fixture loading -------------------------------------------------- */

static int bad_member(const char *where, const char *key, const char *want)
{
	fprintf(stderr, "test_rank: %s: %s: \"%s\" missing or not %s\n",
		FIXTURE_FILE, where, key, want);
	return -1;
}

/* A number, or null (has = 0). */
static int get_opt_num(double *out, int *has, const cJSON *obj, const char *key,
		       const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*has = !cJSON_IsNull(v);
	return *has ? bg_fx_num(out, obj, key, where) : 0;
}

static int get_bool(int *out, const cJSON *obj, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsBool(v))
		return bad_member(where, key, "a boolean");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int load_hl(ref_hl *h, const cJSON *jc, const char *where)
{
	const cJSON *jh = cJSON_GetObjectItemCaseSensitive(jc, "hl");
	const cJSON *jr = cJSON_GetObjectItemCaseSensitive(jh, "r_wilcox");

	if (!cJSON_IsObject(jh) || !cJSON_IsObject(jr))
		return bad_member(where, "hl", "an object with r_wilcox");
	if (bg_fx_num(&h->estimate, jh, "estimate", where) < 0 ||
	    bg_fx_num(&h->lo, jh, "lo", where) < 0 ||
	    bg_fx_num(&h->hi, jh, "hi", where) < 0 ||
	    bg_fx_num(&h->achieved, jh, "achieved", where) < 0 ||
	    bg_fx_size(&h->k, jh, "k", where) < 0 ||
	    bg_fx_size(&h->n_pairs, jh, "n_pairs", where) < 0 ||
	    get_bool(&h->exact, jh, "exact", where) < 0 ||
	    get_bool(&h->r_applies, jr, "rule_applies", where) < 0 ||
	    get_bool(&h->r_est_applies, jr, "estimate_applies", where) < 0 ||
	    bg_fx_num(&h->r_estimate, jr, "estimate", where) < 0 ||
	    bg_fx_num(&h->r_lo, jr, "lo", where) < 0 ||
	    bg_fx_num(&h->r_hi, jr, "hi", where) < 0)
		return -1;
	return 0;
}

static int load_test(ref_test *t, const cJSON *jt, const char *k1, const char *k2,
		     const char *where)
{
	if (!cJSON_IsObject(jt))
		return bad_member(where, "mwu/signrank", "an object");
	if (bg_fx_num(&t->stat, jt, k1, where) < 0 ||
	    (k2 && bg_fx_num(&t->stat2, jt, k2, where) < 0) ||
	    (k2 && bg_fx_size(&t->n_used, jt, "n_used", where) < 0) ||
	    bg_fx_num(&t->p_asym, jt, "p_asymptotic", where) < 0 ||
	    bg_fx_num(&t->z_abs, jt, "z_abs", where) < 0 ||
	    get_opt_num(&t->p_exact, &t->has_exact, jt, "p_exact", where) < 0 ||
	    bg_fx_num(&t->p_auto, jt, "p_auto", where) < 0 ||
	    get_bool(&t->auto_exact, jt, "auto_exact", where) < 0)
		return -1;
	return 0;
}

static int load_case(ref_case *c, const cJSON *jc, int two)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(jc, "name");
	const cJSON *jw;

	if (!cJSON_IsString(name) || !(c->name = strdup(name->valuestring)))
		return bad_member("a case", "name", "a string");
	if (bg_fx_num(&c->level, jc, "level", c->name) < 0 || load_hl(&c->hl, jc, c->name) < 0)
		return -1;
	if (!two)
		return bg_fx_doubles(&c->x, &c->m, jc, "d", NULL, 1, c->name) < 0 ||
		       load_test(&c->test, cJSON_GetObjectItemCaseSensitive(jc, "signrank"),
				 "w_plus", "w_minus", c->name) < 0 ? -1 : 0;
	if (bg_fx_doubles(&c->x, &c->m, jc, "x", NULL, 1, c->name) < 0 ||
	    bg_fx_doubles(&c->y, &c->n, jc, "y", NULL, 1, c->name) < 0 ||
	    load_test(&c->test, cJSON_GetObjectItemCaseSensitive(jc, "mwu"), "u", NULL,
		      c->name) < 0)
		return -1;
	jw = cJSON_GetObjectItemCaseSensitive(jc, "welch");
	c->has_welch = cJSON_IsObject(jw);
	if (c->has_welch && (bg_fx_num(&c->welch_t, jw, "t", c->name) < 0 ||
			     bg_fx_num(&c->welch_df, jw, "df", c->name) < 0 ||
			     bg_fx_num(&c->welch_p, jw, "p", c->name) < 0))
		return -1;
	return 0;
}

static void free_cases(ref_case *cases, size_t ncases)
{
	for (size_t i = 0; cases && i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].x);
		free(cases[i].y);
	}
	free(cases);
}

static int load_case_v(void *c, const cJSON *jc, void *two)
{
	return load_case(c, jc, two != NULL);
}

/* Loads one array of cases ("two_sample" or "paired"); NULL after saying why. */
static ref_case *load_cases(const cJSON *root, const char *key, size_t *ncases)
{
	void *cases;
	int two = strcmp(key, "two_sample") == 0;

	if (bg_fx_load_section(&cases, ncases, root, key, sizeof(ref_case), load_case_v,
			       two ? (void *)root : NULL) < 0) {
		free_cases(cases, *ncases);
		return NULL;
	}
	return cases;
}

/* ---- main ------------------------------------------------------------- */

typedef struct {
	struct CMUnitTest *tests;
	size_t n, cap;
} test_list;

/* Adds "prefix/case" running fn on c; -1 when out of memory. */
static int add_test(test_list *l, const char *prefix, CMUnitTestFunction fn,
		    ref_case *c)
{
	char *name;

	if (l->n == l->cap)
		return -1;
	if (asprintf(&name, "%s/%s", prefix, c->name) < 0)
		return -1;
	memset(&l->tests[l->n], 0, sizeof(l->tests[0]));
	l->tests[l->n].name = name;
	l->tests[l->n].test_func = fn;
	l->tests[l->n].initial_state = c;
	l->n++;
	return 0;
}

static int add_case_tests(test_list *l, ref_case *c, int two)
{
	int e = 0;

	if (two) {
		e |= add_test(l, "hl_shift", test_hl_shift_case, c);
		if (c->hl.r_applies)
			e |= add_test(l, "hl_shift_vs_wilcox.test", test_hl_shift_r_case, c);
		if (c->test.has_exact)
			e |= add_test(l, "mwu_exact", test_mwu_exact_case, c);
		e |= add_test(l, "mwu_asymptotic", test_mwu_asymptotic_case, c);
		e |= add_test(l, "mwu_auto", test_mwu_auto_case, c);
		if (c->has_welch)
			e |= add_test(l, "welch", test_welch_case, c);
	} else {
		e |= add_test(l, "hl_paired", test_hl_paired_case, c);
		if (c->hl.r_applies)
			e |= add_test(l, "hl_paired_vs_wilcox.test", test_hl_paired_r_case, c);
		if (c->test.has_exact)
			e |= add_test(l, "signrank_exact", test_signrank_exact_case, c);
		e |= add_test(l, "signrank_asymptotic", test_signrank_asymptotic_case, c);
		e |= add_test(l, "signrank_auto", test_signrank_auto_case, c);
	}
	return e;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_swap_samples),
		cmocka_unit_test(test_shift_equivariance),
		cmocka_unit_test(test_exact_at_max_size),
		cmocka_unit_test(test_hl_speed),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_nonfinite_input),
		cmocka_unit_test(test_too_few),
		cmocka_unit_test(test_all_equal),
		cmocka_unit_test(test_welch_underflow),
		cmocka_unit_test(test_bad_level),
		cmocka_unit_test(test_bad_method),
		cmocka_unit_test(test_exact_refused),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	ref_case *two = NULL, *pair = NULL;
	size_t ntwo = 0, npair = 0, nnamed = 0;
	test_list l = { NULL, 0, 0 };
	cJSON *root;
	int failed = 1;

	gsl_set_error_handler_off();
	if (!(root = bg_fx_load_json(FIXTURE_FILE, "scripts/fixtures_rank.py")))
		return 1;
	if (!(two = load_cases(root, "two_sample", &ntwo)) ||
	    !(pair = load_cases(root, "paired", &npair)))
		goto cleanup;
	l.cap = 6 * ntwo + 5 * npair + nfixed;
	if (!(l.tests = calloc(l.cap, sizeof(*l.tests))))
		goto cleanup;
	for (size_t i = 0; i < ntwo; i++)
		if (add_case_tests(&l, &two[i], 1) < 0)
			goto cleanup;
	for (size_t i = 0; i < npair; i++)
		if (add_case_tests(&l, &pair[i], 0) < 0)
			goto cleanup;
	nnamed = l.n;
	for (size_t j = 0; j < nfixed; j++)
		l.tests[l.n++] = fixed[j];
	failed = _cmocka_run_group_tests("rank", l.tests, l.n, NULL, NULL);

cleanup:
	if (nnamed == 0) /* stopped while adding the named tests */
		nnamed = l.n;
	for (size_t i = 0; i < nnamed; i++)
		free((char *)l.tests[i].name);
	free(l.tests);
	free_cases(two, ntwo);
	free_cases(pair, npair);
	cJSON_Delete(root);
	return failed;
}
