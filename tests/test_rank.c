/* test_rank: the ev_rank routines (Mann-Whitney, Welch) against independent
 * reference values, their behaviour on bad input, and a few invariances.
 *
 * The reference values come from R (wilcox.test, t.test) and SciPy
 * (mannwhitneyu, ttest_ind), Debian's packages, computed once by
 * scripts/fixtures_rank.py (+ fixtures_rank.R) and committed as
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
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "ev_rank.h"

#define FIXTURE_FILE BG_TEST_FIXTURES "/rank_reference.json"

/* Deterministic values against R/SciPy. p-values come from different but
 * exact-to-rounding computations (counting DP vs R's cwilcox / SciPy's
 * recursion; GSL's normal and t tails vs R's pnorm/pt), ~1e-13 apart. 1e-6
 * relative still catches a missing tie or continuity correction (>= 1e-3 on
 * these cases), or a p computed as 2(1 - P) (0 instead of ~1e-13 on the
 * smallest p here). */
#define REL_TOL 1e-6

typedef struct {
	double stat;              /* U */
	double p_asym, z_abs, p_exact, p_auto;
	int has_exact, auto_exact;
} ref_test;

typedef struct {
	char *name;
	double *x, *y;
	size_t m, n;
	ref_test test;
	int has_welch;
	double welch_t, welch_df, welch_p;
} ref_case;

/* Out-structs start filled with this byte pattern; a failing call must leave
 * it alone. */
#define POISON 0xA5

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

/* Swapping the samples mirrors everything: U becomes mn - U with the same
 * p, t changes sign. A convention mix-up (x - y somewhere, U of the wrong
 * sample) breaks this. */
static void test_swap_samples(void **state)
{
	ev_mwu u1, u2;
	ev_welch w1, w2;

	(void)state;
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

/* The exact distribution at the largest offered size: all values of one
 * sample below the other gives p = 2 / C(200, 100) for U; and the exact and
 * the continuity-corrected normal p for a moderate U agree closely (the
 * normal approximation is good at 100 x 100), which a wrong recursion
 * weight or truncation would spoil. */
static void test_exact_at_max_size(void **state)
{
	enum { S = EV_RANK_EXACT_MAX };
	double x[S], y[S], y2[S];
	ev_mwu e, a;

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
			    size_t n, int code, int with_welch)
{
	double *bx = bg_fx_copy(x, m), *by = bg_fx_copy(y, n);

	for (int k = EV_RANK_AUTO; k <= EV_RANK_ASYMPTOTIC; k++)
		FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, x, m, y, n, (ev_rank_method)k), code);
	if (with_welch)
		FAIL_CHECK(ev_welch, ev_welch_test(&out_, x, m, y, n), code);
	bg_fx_assert_unmodified(bx, x, m);
	bg_fx_assert_unmodified(by, y, n);
}

static void test_empty_input(void **state)
{
	(void)state;
	/* valid pointers with a zero length, and NULL */
	assert_two_fail(good, 0, good, NGOOD, BG_EDOMAIN, 1);
	assert_two_fail(good, NGOOD, good, 0, BG_EDOMAIN, 1);
	assert_two_fail(NULL, 0, NULL, 0, BG_EDOMAIN, 1);
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
			assert_two_fail(v, NGOOD, good, NGOOD, BG_EDOMAIN, 1);
			assert_two_fail(good, NGOOD, v, NGOOD, BG_EDOMAIN, 1);
		}
	}
}

/* One value: Welch needs two values per sample; the rank test is defined
 * (p = 1 for a single pair). */
static void test_too_few(void **state)
{
	const double one[] = { 1.0 }, two[] = { 2.0 };
	ev_mwu u;

	(void)state;
	FAIL_CHECK(ev_welch, ev_welch_test(&out_, one, 1, good, NGOOD), BG_EDOMAIN);
	FAIL_CHECK(ev_welch, ev_welch_test(&out_, good, NGOOD, two, 1), BG_EDOMAIN);

	assert_ok(ev_mwu_test(&u, one, 1, two, 1, EV_RANK_AUTO));
	assert_true(u.exact && u.u == 1.0 && u.p == 1.0);
}

/* All values equal: the rank test has no variance (every rank tied), Welch
 * has no variance in either sample. */
static void test_all_equal(void **state)
{
	const double same[] = { 1.5, 1.5, 1.5, 1.5 };
	const double other[] = { 2.5, 2.5, 2.5 };
	ev_welch w;

	(void)state;
	assert_two_fail(same, 4, same, 3, BG_EDOMAIN, 1);
	FAIL_CHECK(ev_welch, ev_welch_test(&out_, same, 4, other, 3), BG_EDOMAIN);

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

static void test_bad_method(void **state)
{
	(void)state;
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, good, NGOOD, ga, NA, (ev_rank_method)3),
		   BG_EINVAL);
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, good, NGOOD, ga, NA, (ev_rank_method)-1),
		   BG_EINVAL);
}

/* Exact p-values are refused where the exact distribution does not hold
 * (ties) or would be too slow; AUTO falls back instead. */
static void test_exact_refused(void **state)
{
	const double tx[] = { 1.0, 2.0, 3.0 }, ty[] = { 3.0, 4.0, 5.0 };
	double big[EV_RANK_EXACT_MAX + 1];
	ev_mwu u;

	(void)state;
	for (int i = 0; i <= EV_RANK_EXACT_MAX; i++)
		big[i] = i * 0.5 + 0.25;
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, tx, 3, ty, 3, EV_RANK_EXACT), BG_EDOMAIN);
	FAIL_CHECK(ev_mwu, ev_mwu_test(&out_, tx, 3, big, EV_RANK_EXACT_MAX + 1,
				       EV_RANK_EXACT), BG_EUNSUPPORTED);

	assert_ok(ev_mwu_test(&u, tx, 3, ty, 3, EV_RANK_AUTO));
	assert_int_equal(u.exact, 0);
	assert_true(u.u == 8.5);
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

static int load_test(ref_test *t, const cJSON *jt, const char *where)
{
	if (!cJSON_IsObject(jt))
		return bad_member(where, "mwu", "an object");
	if (bg_fx_num(&t->stat, jt, "u", where) < 0 ||
	    bg_fx_num(&t->p_asym, jt, "p_asymptotic", where) < 0 ||
	    bg_fx_num(&t->z_abs, jt, "z_abs", where) < 0 ||
	    get_opt_num(&t->p_exact, &t->has_exact, jt, "p_exact", where) < 0 ||
	    bg_fx_num(&t->p_auto, jt, "p_auto", where) < 0 ||
	    get_bool(&t->auto_exact, jt, "auto_exact", where) < 0)
		return -1;
	return 0;
}

static int load_case(ref_case *c, const cJSON *jc)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(jc, "name");
	const cJSON *jw;

	if (!cJSON_IsString(name) || !(c->name = strdup(name->valuestring)))
		return bad_member("a case", "name", "a string");
	if (bg_fx_doubles(&c->x, &c->m, jc, "x", NULL, 1, c->name) < 0 ||
	    bg_fx_doubles(&c->y, &c->n, jc, "y", NULL, 1, c->name) < 0 ||
	    load_test(&c->test, cJSON_GetObjectItemCaseSensitive(jc, "mwu"), c->name) < 0)
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

static int load_case_v(void *c, const cJSON *jc, void *ud)
{
	(void)ud;
	return load_case(c, jc);
}

/* Loads the "two_sample" cases; NULL after saying why. */
static ref_case *load_cases(const cJSON *root, size_t *ncases)
{
	void *cases;

	if (bg_fx_load_section(&cases, ncases, root, "two_sample", sizeof(ref_case),
			       load_case_v, NULL) < 0) {
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

static int add_case_tests(test_list *l, ref_case *c)
{
	int e = 0;

	if (c->test.has_exact)
		e |= add_test(l, "mwu_exact", test_mwu_exact_case, c);
	e |= add_test(l, "mwu_asymptotic", test_mwu_asymptotic_case, c);
	e |= add_test(l, "mwu_auto", test_mwu_auto_case, c);
	if (c->has_welch)
		e |= add_test(l, "welch", test_welch_case, c);
	return e;
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_swap_samples),
		cmocka_unit_test(test_exact_at_max_size),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_nonfinite_input),
		cmocka_unit_test(test_too_few),
		cmocka_unit_test(test_all_equal),
		cmocka_unit_test(test_welch_underflow),
		cmocka_unit_test(test_bad_method),
		cmocka_unit_test(test_exact_refused),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	ref_case *two = NULL;
	size_t ntwo = 0, nnamed = 0;
	test_list l = { NULL, 0, 0 };
	cJSON *root;
	int failed = 1;

	gsl_set_error_handler_off();
	if (!(root = bg_fx_load_json(FIXTURE_FILE, "scripts/fixtures_rank.py")))
		return 1;
	if (!(two = load_cases(root, &ntwo)))
		goto cleanup;
	l.cap = 4 * ntwo + nfixed;
	if (!(l.tests = calloc(l.cap, sizeof(*l.tests))))
		goto cleanup;
	for (size_t i = 0; i < ntwo; i++)
		if (add_case_tests(&l, &two[i]) < 0)
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
	cJSON_Delete(root);
	return failed;
}
