/* grd_protected: paths a change may not touch (the benchmark, the tests,
 * the config), so a candidate cannot win by editing its own referee.
 *
 * An entry names a file or a directory, relative to the repository root:
 * "bench/" and "bench" both match the path "bench" and every path under
 * "bench/" (never "benchmark.c"); "benchgate.json" matches that file. A
 * leading "./" and trailing slashes are ignored. No globs. */
#ifndef GRD_PROTECTED_H
#define GRD_PROTECTED_H

#include <stddef.h>

/* The changed paths (repository-relative, '/'-separated, as git reports
 * them) that fall under a protected entry. Pure: touches no file. On
 * success returns 0 and sets *violations to a sorted array of the unique
 * violating paths, NULL-terminated, with their number in *nviol (0: an
 * array holding only the NULL); the caller frees it with bg_strv_free().
 * Returns BG_EINVAL for a NULL argument with a non-zero count or an entry
 * that names no path ("", "/", "./"), BG_ENOMEM; the out-params are then
 * untouched. */
int grd_protected_check(char ***violations, size_t *nviol,
			const char *const *changed, size_t nchanged,
			const char *const *protected, size_t nprotected);

#endif
