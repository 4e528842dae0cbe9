/* grd_protected: matching changed paths against protected entries (see
 * grd_protected.h). */
#include "grd_protected.h"
#include "bg_error.h"
#include "bg_strv.h"

#include <stdlib.h>
#include <string.h>

/* The length of entry once "./" prefixes and trailing slashes are dropped;
 * *start points past the prefixes. */
static size_t entry_span(const char **start, const char *entry)
{
	size_t n;

	while (entry[0] == '.' && entry[1] == '/')
		entry += 2;
	n = strlen(entry);
	while (n > 0 && entry[n - 1] == '/')
		n--;
	*start = entry;
	return n;
}

/* Whether path is entry[0..n) itself or lies under it. */
static int path_under(const char *path, const char *entry, size_t n)
{
	return strncmp(path, entry, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int path_protected(const char *path, const char *const *protected, size_t nprotected)
{
	size_t i;

	for (i = 0; i < nprotected; i++) {
		const char *e;
		size_t n = entry_span(&e, protected[i]);

		if (path_under(path, e, n))
			return 1;
	}
	return 0;
}

static int check_entries(const char *const *protected, size_t nprotected)
{
	size_t i;

	for (i = 0; i < nprotected; i++) {
		const char *e;

		if (protected[i] == NULL || entry_span(&e, protected[i]) == 0)
			return bg_error_set(BG_EINVAL, "protected entry %zu (\"%s\") names no path: "
					    "give a file or directory relative to the repository root",
					    i + 1, protected[i] ? protected[i] : "(null)");
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int grd_protected_check(char ***violations, size_t *nviol,
			const char *const *changed, size_t nchanged,
			const char *const *protected, size_t nprotected)
{
	const char **hits = NULL;
	char **v = NULL;
	size_t nhits = 0, n = 0, i;
	int error;

	if (violations == NULL || nviol == NULL || (changed == NULL && nchanged > 0) ||
	    (protected == NULL && nprotected > 0))
		return bg_error_set(BG_EINVAL, "grd_protected_check: missing argument");
	if ((error = check_entries(protected, nprotected)) < 0)
		return error;
	if ((hits = malloc((nchanged + 1) * sizeof(*hits))) == NULL ||
	    (v = calloc(nchanged + 1, sizeof(*v))) == NULL) {
		error = bg_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < nchanged; i++)
		if (changed[i] != NULL && path_protected(changed[i], protected, nprotected))
			hits[nhits++] = changed[i];
	qsort(hits, nhits, sizeof(*hits), cmp_str);
	for (i = 0; i < nhits; i++) {
		if (n > 0 && strcmp(v[n - 1], hits[i]) == 0)
			continue;
		if ((v[n++] = strdup(hits[i])) == NULL) {
			error = bg_error_nomem();
			goto cleanup;
		}
	}
	*violations = v;
	*nviol = n;
	v = NULL;
cleanup:
	bg_strv_free(v);
	free(hits);
	return error;
}
