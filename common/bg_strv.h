/* bg_strv: NULL-terminated arrays of owned strings (argv vectors, lists of
 * paths), grown one string at a time and freed with one call. */
#ifndef BG_STRV_H
#define BG_STRV_H

#include <stddef.h>

/* A growing vector: v[0..n) the strings, v[n] NULL once anything was
 * pushed (v itself NULL before). Start from BG_STRV_INIT. */
typedef struct {
	char **v;
	size_t n, cap;
} bg_strv;

#define BG_STRV_INIT { NULL, 0, 0 }

/* Appends a copy of str[0..len) (len bytes, no NUL needed within them),
 * keeping v NULL-terminated. Returns 0 or BG_ENOMEM (*s unchanged). */
int bg_strv_push(bg_strv *s, const char *str, size_t len);

/* Sorts s's strings by strcmp and drops repeats (freeing them). */
void bg_strv_sort_unique(bg_strv *s);

/* Frees the strings of a NULL-terminated v and v itself; NULL is a no-op. */
void bg_strv_free(char **v);

#endif
