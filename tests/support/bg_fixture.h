/* bg_fixture: what the reference-value tests share — reading a JSON fixture,
 * taking numbers and number arrays out of it, loading a section of cases,
 * comparing doubles with a tolerance, checking that an input array came
 * back bit for bit, and asserting a call's BG_E* result. Loader helpers
 * report on stderr and return -1; the bg_fx_get_* and bg_fx_assert_* ones
 * fail the running cmocka test. */
#ifndef BG_FIXTURE_H
#define BG_FIXTURE_H

#include <stddef.h>

struct cJSON;

/* The parsed fixture at `path` (caller cJSON_Deletes). On failure says on
 * stderr that it cannot be read and how to regenerate it (`script`), and
 * returns NULL. */
struct cJSON *bg_fx_load_json(const char *path, const char *script);

/* *out = obj[key], a number. Returns 0, or -1 after naming `where` and key on
 * stderr; *out is untouched on failure. */
int bg_fx_num(double *out, const struct cJSON *obj, const char *key, const char *where);

/* Like bg_fx_num, for a non-negative integral number. */
int bg_fx_size(size_t *out, const struct cJSON *obj, const char *key, const char *where);

/* obj[key] (obj itself when key is NULL), an array of at least min_len
 * numbers — or of objects whose member `field` is a number, when field is
 * not NULL — as a new array in *out (caller frees; never NULL on success,
 * even for length 0), its length in *n. Returns 0, or -1 after saying why,
 * with *out NULL. */
int bg_fx_doubles(double **out, size_t *n, const struct cJSON *obj, const char *key,
		  const char *field, size_t min_len, const char *where);

/* obj[key] as a number; fails the test when it is missing or not one. */
double bg_fx_get_num(const struct cJSON *obj, const char *key);

/* obj[key] as a new non-empty double array (caller frees), length in *n;
 * fails the test when it is not a non-empty array of numbers. */
double *bg_fx_get_doubles(const struct cJSON *obj, const char *key, size_t *n);

/* Allocates *ncases cases of `size` bytes (zeroed) for root[key], which must
 * be a non-empty array, and fills case i with load(case, element i, ud).
 * Returns 0, or -1 after saying why; on failure *cases may hold the
 * partly loaded cases (*ncases of them), which the caller frees. */
int bg_fx_load_section(void **cases, size_t *ncases, const struct cJSON *root,
		       const char *key, size_t size,
		       int (*load)(void *c, const struct cJSON *j, void *ud), void *ud);

/* Fails the test unless |actual - expected| <= rel * |expected| + abs; NaN
 * never passes. bg_fx_assert_close is the relative form (abs = 0),
 * bg_fx_assert_within the absolute one (rel = 0). */
void bg_fx_assert_close_at(double actual, double expected, double rel, double abs,
			   const char *what, const char *file, int line);
#define bg_fx_assert_near(actual, expected, rel, abs) \
	bg_fx_assert_close_at((actual), (expected), (rel), (abs), #actual, __FILE__, __LINE__)
#define bg_fx_assert_close(actual, expected, rel) \
	bg_fx_assert_close_at((actual), (expected), (rel), 0.0, #actual, __FILE__, __LINE__)
#define bg_fx_assert_within(actual, expected, abs) \
	bg_fx_assert_close_at((actual), (expected), 0.0, (abs), #actual, __FILE__, __LINE__)

/* A copy of x[0..n-1] (caller passes it to bg_fx_assert_unmodified); fails
 * the test when out of memory. */
double *bg_fx_copy(const double *x, size_t n);

/* Fails the test unless x[0..n-1] is bit for bit `copy`; frees copy. */
void bg_fx_assert_unmodified_at(double *copy, const double *x, size_t n,
				const char *file, int line);
#define bg_fx_assert_unmodified(copy, x, n) \
	bg_fx_assert_unmodified_at((copy), (x), (n), __FILE__, __LINE__)

/* Short name of a BG_E* code for a failure message, e.g. "invalid
 * argument". Never NULL. */
const char *bg_fx_error_name(int code);

/* `call` fails with BG_E* `code` and leaves a message in the error slot.
 * (Needs cmocka.h and bg_error.h included before.) */
#define assert_fails(call, code) \
	do { \
		bg_error_clear(); \
		int rc_ = (call); \
		if (rc_ != (code)) { \
			print_error("%s returned %d (%s), expected %d (%s)\n", #call, \
				    rc_, bg_fx_error_name(rc_), (code), bg_fx_error_name(code)); \
			_fail(__FILE__, __LINE__); \
		} \
		if (bg_error_last()[0] == '\0') { \
			print_error("%s failed without an error message\n", #call); \
			_fail(__FILE__, __LINE__); \
		} \
	} while (0)


/* `call` returns BG_OK; on failure the error slot's message is shown. */
#define assert_ok(call) \
	do { \
		bg_error_clear(); \
		int rc_ = (call); \
		if (rc_ != BG_OK) { \
			print_error("%s returned %d (%s): %s\n", #call, rc_, \
				    bg_fx_error_name(rc_), bg_error_last()); \
			_fail(__FILE__, __LINE__); \
		} \
	} while (0)

#endif
