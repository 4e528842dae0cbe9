/* bg_fixture: fixture reading and tolerance assertions shared by the
 * reference-value tests (see bg_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "bg_error.h"
#include "bg_fixture.h"
#include "bg_test.h"

static int bad_member(const char *where, const char *key, const char *want)
{
	fprintf(stderr, "fixture: %s: \"%s\" missing or not %s\n", where, key ? key : "array",
		want);
	return -1;
}

cJSON *bg_fx_load_json(const char *path, const char *script)
{
	cJSON *root = bg_test_load_json(path);

	if (!root)
		fprintf(stderr, "cannot read %s as JSON (regenerate it with "
			"/usr/bin/python3 %s)\n", path, script);
	return root;
}

int bg_fx_num(double *out, const cJSON *obj, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v))
		return bad_member(where, key, "a number");
	*out = v->valuedouble;
	return 0;
}

int bg_fx_size(size_t *out, const cJSON *obj, const char *key, const char *where)
{
	double v;

	if (bg_fx_num(&v, obj, key, where) < 0)
		return -1;
	if (!(v >= 0.0 && v == floor(v)))
		return bad_member(where, key, "a count");
	*out = (size_t)v;
	return 0;
}

int bg_fx_doubles(double **out, size_t *n, const cJSON *obj, const char *key,
		  const char *field, size_t min_len, const char *where)
{
	const cJSON *a = key ? cJSON_GetObjectItemCaseSensitive(obj, key) : obj, *e;
	size_t i = 0, len;

	*out = NULL;
	if (!cJSON_IsArray(a) || (len = (size_t)cJSON_GetArraySize(a)) < min_len)
		return bad_member(where, key, "a long enough array");
	if (!(*out = malloc((len ? len : 1) * sizeof(**out))))
		return -1;
	cJSON_ArrayForEach(e, a) {
		const cJSON *v = field ? cJSON_GetObjectItemCaseSensitive(e, field) : e;

		if (!cJSON_IsNumber(v)) {
			free(*out);
			*out = NULL;
			return bad_member(where, key, "an array of numbers");
		}
		(*out)[i++] = v->valuedouble;
	}
	*n = len;
	return 0;
}

double bg_fx_get_num(const cJSON *obj, const char *key)
{
	double v = 0.0;

	if (bg_fx_num(&v, obj, key, "a case") < 0)
		fail();
	return v;
}

double *bg_fx_get_doubles(const cJSON *obj, const char *key, size_t *n)
{
	double *x;

	if (bg_fx_doubles(&x, n, obj, key, NULL, 1, "a case") < 0)
		fail();
	return x;
}

int bg_fx_load_section(void **cases, size_t *ncases, const cJSON *root, const char *key,
		       size_t size, int (*load)(void *c, const cJSON *j, void *ud), void *ud)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key), *j;
	size_t i = 0;

	*cases = NULL;
	*ncases = 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
		return bad_member("the fixture", key, "a non-empty array");
	if (!(*cases = calloc((size_t)cJSON_GetArraySize(arr), size)))
		return -1;
	*ncases = (size_t)cJSON_GetArraySize(arr);
	cJSON_ArrayForEach(j, arr) {
		if (load((char *)*cases + size * i, j, ud) < 0) {
			fprintf(stderr, "fixture: bad case %zu of \"%s\"\n", i, key);
			return -1;
		}
		i++;
	}
	return 0;
}

void bg_fx_assert_close_at(double actual, double expected, double rel, double abs,
			   const char *what, const char *file, int line)
{
	double err = fabs(actual - expected);

	if (err <= rel * fabs(expected) + abs)
		return;
	print_error("%s = %.17g, expected %.17g (error %.3g, allowed %.3g)\n", what, actual,
		    expected, err, rel * fabs(expected) + abs);
	_fail(file, line);
}

double *bg_fx_copy(const double *x, size_t n)
{
	double *c = malloc((n ? n : 1) * sizeof(*c));

	assert_non_null(c);
	if (n)
		memcpy(c, x, n * sizeof(*c));
	return c;
}

void bg_fx_assert_unmodified_at(double *copy, const double *x, size_t n, const char *file,
				int line)
{
	int same = n == 0 || memcmp(copy, x, n * sizeof(*x)) == 0;

	free(copy);
	if (!same) {
		print_error("the input array was modified\n");
		_fail(file, line);
	}
}

const char *bg_fx_error_name(int code)
{
	switch (code) {
	case BG_OK: return "ok";
	case BG_ENOMEM: return "out of memory";
	case BG_EINVAL: return "invalid argument";
	case BG_ESYS: return "system error";
	case BG_EPARSE: return "parse error";
	case BG_ECHILD: return "command failed";
	case BG_EINTR: return "interrupted";
	case BG_ENOTFOUND: return "not found";
	case BG_EGIT: return "git error";
	case BG_EDOMAIN: return "undefined for this input";
	case BG_EUNSUPPORTED: return "unsupported";
	default: return "unknown error";
	}
}
