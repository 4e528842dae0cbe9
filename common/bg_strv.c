/* bg_strv: NULL-terminated string vectors (see bg_strv.h). */
#include "bg_strv.h"
#include "bg_error.h"

#include <stdlib.h>
#include <string.h>

int bg_strv_push(bg_strv *s, const char *str, size_t len)
{
	char *copy;

	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return bg_error_nomem();
		s->v = v;
		s->cap = cap;
	}
	if ((copy = strndup(str, len)) == NULL)
		return bg_error_nomem();
	s->v[s->n++] = copy;
	s->v[s->n] = NULL;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void bg_strv_sort_unique(bg_strv *s)
{
	size_t k = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (strcmp(s->v[i], s->v[k]) == 0)
			free(s->v[i]);
		else
			s->v[++k] = s->v[i];
	}
	s->n = k + 1;
	s->v[s->n] = NULL;
}

void bg_strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
