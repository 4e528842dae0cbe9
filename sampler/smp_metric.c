/* smp_metric: parsing `METRIC name=value` lines (see smp_metric.h). */
#include "smp_metric.h"
#include "bg_error.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the name character at s (1 or 2 bytes), 0 when not allowed:
 * pi-autoresearch's [\w.µ] — ASCII letters, digits, '_', '.', and µ as
 * MICRO SIGN (C2 B5), which is what its source holds (GREEK SMALL LETTER
 * MU, CE BC, looks the same and is not in its class). */
static size_t name_char(const char *s, const char *end)
{
	unsigned char c = (unsigned char)s[0];

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.')
		return 1;
	if (end - s >= 2) {
		unsigned char d = (unsigned char)s[1];
		if (c == 0xC2 && d == 0xB5)
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

/* Appends v to the metric's values and makes it its value. */
static int add_value(smp_metric *it, double v)
{
	double *grown = realloc(it->values, (it->nvalues + 1) * sizeof(*grown));

	if (grown == NULL)
		return bg_error_set(BG_ENOMEM, "out of memory storing metrics");
	it->values = grown;
	it->values[it->nvalues++] = v;
	it->value = v;
	return 0;
}

static int store(smp_metrics *m, const char *name, size_t nlen, double v)
{
	smp_metric *it;

	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->items[i].name) == nlen && memcmp(m->items[i].name, name, nlen) == 0)
			return add_value(&m->items[i], v);
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4;
		smp_metric *items = realloc(m->items, cap * sizeof(*items));
		if (items == NULL)
			return bg_error_set(BG_ENOMEM, "out of memory storing metrics");
		m->items = items;
		m->cap = cap;
	}
	it = &m->items[m->n];
	memcpy(it->name, name, nlen);
	it->name[nlen] = '\0';
	it->values = NULL;
	it->nvalues = 0;
	if (add_value(it, v) < 0)
		return BG_ENOMEM;
	m->n++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int smp_metrics_aggregate(smp_metrics *m, smp_aggregate how)
{
	for (size_t i = 0; i < m->n && how != SMP_AGG_LAST; i++) {
		smp_metric *it = &m->items[i];
		double sum = 0, *sorted;
		size_t n = it->nvalues;

		if (n < 2)
			continue;
		if (how == SMP_AGG_MEAN) {
			for (size_t k = 0; k < n; k++)
				sum += it->values[k];
			it->value = sum / (double)n;
			continue;
		}
		if ((sorted = malloc(n * sizeof(*sorted))) == NULL)
			return bg_error_nomem();
		memcpy(sorted, it->values, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_double);
		it->value = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
		free(sorted);
	}
	return 0;
}

/* JavaScript's blanks for \s (pi's regex): ASCII ones; others are rare
 * enough in METRIC lines not to matter. */
static int js_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The value of digit c in bases up to 16, 99 when it is none. */
static int digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
}

/* How many digits of `base` start s. */
static int digits(const char *s, const char *end, int base)
{
	const char *p = s;

	while (p < end && digit(*p) < base)
		p++;
	return (int)(p - s);
}

/* JavaScript's Number() of a token without blanks, as pi applies it: a
 * decimal literal (sign, digits, '.', exponent), or 0x/0o/0b integers
 * (unsigned); the result must be finite (an underflow is 0, as in
 * JavaScript). -1 when not a finite number. */
static int js_number(double *out, const char *v, size_t n)
{
	const char *p = v, *end = v + n;
	char tmp[512], *endp;
	int k;

	if (n >= 2 && v[0] == '0' && strchr("xXoObB", v[1]) != NULL) {
		int base = v[1] == 'x' || v[1] == 'X' ? 16 : v[1] == 'o' || v[1] == 'O' ? 8 : 2;
		double d = 0;

		if (n == 2 || digits(v + 2, end, base) != (int)n - 2)
			return -1;
		for (p = v + 2; p < end; p++)
			d = d * base + digit(*p);
		*out = d;
		return isfinite(d) ? 0 : -1;
	}
	if (p < end && (*p == '+' || *p == '-'))
		p++;
	k = digits(p, end, 10);
	p += k;
	if (p < end && *p == '.') {
		int f = digits(p + 1, end, 10);
		if (k == 0 && f == 0)
			return -1;
		p += 1 + f;
	} else if (k == 0) {
		return -1;      /* no digits: "Infinity", "-", "." */
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if ((k = digits(q, end, 10)) == 0)
			return -1;
		p = q + k;
	}
	if (p != end || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	*out = strtod(tmp, &endp);
	return isfinite(*out) ? 0 : -1;
}

/* pi skips these names (they would pollute a JavaScript object). */
static int denied(const char *name, size_t n)
{
	static const char *const names[] = { "__proto__", "constructor", "prototype" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

/* One line (without its newline), read as pi-autoresearch's parser does:
 * /^METRIC\s+([\w.µ]+)=(\S+)\s*$/ and Number() of the value, which must be
 * finite. A line that starts with "METRIC" and a blank but does not match
 * is reported as malformed (pi ignores it silently). */
static int parse_line(smp_metrics *m, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *name, *val;
	size_t k;
	double v;

	if (len < 7 || memcmp(p, "METRIC", 6) != 0 || !js_blank(p[6]))
		return 0; /* METRICS..., METRIC_x, "  METRIC": not a METRIC line for pi */
	p += 6;
	while (p < end && js_blank(*p))
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
	val = ++p;
	while (p < end && !js_blank(*p))
		p++;
	k = (size_t)(p - val);
	while (p < end && js_blank(*p))
		p++;
	if (k == 0 || p != end || js_number(&v, val, k) < 0) {
		note_problem(m, line, len, "METRIC value is not a finite number");
		return 0;
	}
	if (denied(name, (size_t)(val - 1 - name))) {
		note_problem(m, line, len, "METRIC name reserved in JavaScript (pi-autoresearch skips it)");
		return 0;
	}
	return store(m, name, (size_t)(val - 1 - name), v);
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
	for (size_t i = 0; i < m->n; i++)
		free(m->items[i].values);
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

struct smp_metric_regex {
	regex_t re;
	char name[SMP_METRIC_NAME_MAX];
};

int smp_metric_regex_new(smp_metric_regex **out, const char *name, const char *pattern)
{
	smp_metric_regex *r;
	char why[160];
	int rc;

	if (!smp_metric_name_valid(name) || smp_metric_builtin(name))
		return bg_error_set(BG_EINVAL, "a metric read by a regex needs a name of its own (letters, digits, "
					       "'_', '.', not a built-in metric), got \"%s\"", name);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return bg_error_nomem();
	snprintf(r->name, sizeof(r->name), "%s", name);
	if ((rc = regcomp(&r->re, pattern, REG_EXTENDED | REG_NEWLINE)) != 0) {
		regerror(rc, &r->re, why, sizeof(why));
		free(r);
		return bg_error_set(BG_EINVAL, "the regex \"%s\" does not compile: %s", pattern, why);
	}
	if (r->re.re_nsub != 1) {
		rc = (int)r->re.re_nsub;
		smp_metric_regex_free(r);
		return bg_error_set(BG_EINVAL,
				    "the regex \"%s\" has %d groups; it needs exactly one, around the number "
				    "(e.g. \"^val_bpb:[[:space:]]*([^[:space:]]+)\")",
				    pattern, rc);
	}
	*out = r;
	return 0;
}

void smp_metric_regex_free(smp_metric_regex *re)
{
	if (re == NULL)
		return;
	regfree(&re->re);
	free(re);
}

int smp_metrics_parse_regex(smp_metrics *m, const smp_metric_regex *re, const char *buf, size_t len)
{
	regmatch_t g[2], last[2];
	const char *p = buf, *end = buf + len, *v, *line = NULL;
	size_t n;
	double value;

	/* each search starts at a line's start, the one after the last match,
	 * so the last matching line wins */
	while (p < end && regexec(&re->re, p, 2, g, 0) == 0) {
		const char *nl;

		line = p;
		memcpy(last, g, sizeof(last));
		nl = memchr(p + g[0].rm_eo, '\n', (size_t)(end - (p + g[0].rm_eo)));
		p = nl ? nl + 1 : end;
	}
	if (line == NULL || last[1].rm_so < 0)
		return line ? 1 : 0;
	v = line + last[1].rm_so;
	n = (size_t)(last[1].rm_eo - last[1].rm_so);
	while (n && js_blank(*v))
		v++, n--;
	while (n && js_blank(v[n - 1]))
		n--;
	if (n == 0 || js_number(&value, v, n) < 0) {
		note_problem(m, line + last[0].rm_so, (size_t)(last[0].rm_eo - last[0].rm_so),
			     "metric.regex matched a value that is not a finite number");
		return 1;
	}
	return store(m, re->name, strlen(re->name), value) < 0 ? BG_ENOMEM : 1;
}
