/* smp_metric: parsing `METRIC name=value` lines (see smp_metric.h). */
#include "smp_metric.h"
#include "bg_error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the name character at s (1 or 2 bytes), 0 when not allowed:
 * ASCII letters, digits, '_', '.', and µ as MICRO SIGN (C2 B5) or GREEK
 * SMALL LETTER MU (CE BC). */
static size_t name_char(const char *s, const char *end)
{
	unsigned char c = (unsigned char)s[0];

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.')
		return 1;
	if (end - s >= 2) {
		unsigned char d = (unsigned char)s[1];
		if ((c == 0xC2 && d == 0xB5) || (c == 0xCE && d == 0xBC))
			return 2;
	}
	return 0;
}

int smp_metric_name_valid(const char *name)
{
	const char *end = name + strlen(name);
	size_t k;

	if (name == end || (size_t)(end - name) >= SMP_METRIC_NAME_MAX)
		return 0;
	for (const char *p = name; p < end; p += k)
		if ((k = name_char(p, end)) == 0)
			return 0;
	return 1;
}

static void note_problem(smp_metrics *m, const char *line, size_t len, const char *why)
{
	if (m->malformed++ == 0)
		snprintf(m->first_problem, sizeof(m->first_problem), "%s: \"%.*s\"",
			 why, (int)(len > 60 ? 60 : len), line);
}

static int store(smp_metrics *m, const char *name, size_t nlen, double v)
{
	smp_metric *it;

	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->items[i].name) == nlen && memcmp(m->items[i].name, name, nlen) == 0) {
			m->items[i].value = v;
			return 0;
		}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4;
		smp_metric *items = realloc(m->items, cap * sizeof(*items));
		if (items == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory storing metrics");
		m->items = items;
		m->cap = cap;
	}
	it = &m->items[m->n++];
	memcpy(it->name, name, nlen);
	it->name[nlen] = '\0';
	it->value = v;
	return 0;
}

/* Parses the value text v[0..vlen): a finite number, optional blanks after. */
static int parse_value(double *out, const char *v, size_t vlen)
{
	char tmp[96], *endp;
	double d;

	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' || v[vlen - 1] == '\r'))
		vlen--;
	if (vlen == 0 || vlen >= sizeof(tmp) || v[0] == ' ' || v[0] == '\t')
		return -1;
	memcpy(tmp, v, vlen);
	tmp[vlen] = '\0';
	errno = 0;
	d = strtod(tmp, &endp);
	if (*endp != '\0' || endp == tmp || !isfinite(d) || errno == ERANGE)
		return -1;
	*out = d;
	return 0;
}

/* One line (without its newline). */
static int parse_line(smp_metrics *m, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *name;
	size_t k;
	double v;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 6 || memcmp(p, "METRIC", 6) != 0)
		return 0;
	p += 6;
	if (p < end && *p != ' ' && *p != '\t' && *p != '\r')
		return 0; /* METRICS..., METRIC_x: not ours */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	name = p;
	while (p < end && (k = name_char(p, end)) > 0)
		p += k;
	if (p == name || p == end || *p != '=') {
		note_problem(m, line, len, "METRIC line without name=value");
		return 0;
	}
	if ((size_t)(p - name) >= SMP_METRIC_NAME_MAX) {
		note_problem(m, line, len, "METRIC name too long");
		return 0;
	}
	if (parse_value(&v, p + 1, (size_t)(end - p - 1)) < 0) {
		note_problem(m, line, len, "METRIC value is not a finite number");
		return 0;
	}
	return store(m, name, (size_t)(p - name), v);
}

int smp_metrics_parse(smp_metrics *m, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int error;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((error = parse_line(m, p, (size_t)(eol - p))) < 0)
			return error;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

const smp_metric *smp_metrics_find(const smp_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->items[i].name, name) == 0)
			return &m->items[i];
	return NULL;
}

void smp_metrics_clear(smp_metrics *m)
{
	if (m == NULL)
		return;
	free(m->items);
	m->items = NULL;
	m->n = m->cap = m->malformed = 0;
	m->first_problem[0] = '\0';
}

static const char *const builtins[] = {
	"wall", "cpu", "user", "sys", "maxrss", "instructions", "cycles", NULL
};

int smp_metric_builtin(const char *metric)
{
	for (int i = 0; builtins[i]; i++)
		if (strcmp(metric, builtins[i]) == 0)
			return 1;
	return 0;
}
