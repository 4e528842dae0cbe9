/* smp_pin: choose the PU the measured child runs on and the PU the harness
 * thread runs on, with hwloc, and bind the harness (see smp_pin.h).
 *
 * The child is not bound here: its cpu_set_t is built once and the spawn
 * module applies it with sched_setaffinity in the forked child, so a refusal
 * there is reported per run (smp_pinning_mark_failed). Pinning never aborts a
 * run; only a spec the user got wrong is an error. */
#include "smp_pin.h"

#include "bg_error.h"

#include <errno.h>
#include <hwloc.h>
#include <hwloc/glibc-sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct smp_pinning {
	hwloc_topology_t topo;
	hwloc_bitmap_t allowed;   /* allowed and online PUs */
	int active;
	int child_pu;
	int harness_pu;
	cpu_set_t child_cpus;
	char reason[256];
	char choice[256];
};

#define MAX_PUS 1024

int smp_pin_stat_parse(const char *text, unsigned long long *busy, unsigned long long *total, int max)
{
	int n = 0;

	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned long long v[10] = { 0 };
		int cpu, k;

		if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
			continue;
		k = sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7]);
		if (k < 5 || cpu < 0 || cpu >= max)
			continue;
		total[cpu] = 0;
		for (int i = 0; i < k - 1; i++)
			total[cpu] += v[i];
		busy[cpu] = total[cpu] - v[3] - v[4];   /* idle, iowait */
		n = cpu + 1 > n ? cpu + 1 : n;
	}
	return n;
}

int smp_pin_quietest(const int *pus, int n, const unsigned long long *busy0, const unsigned long long *total0,
		     const unsigned long long *busy1, const unsigned long long *total1)
{
	int best = -1;
	double best_share = 2.0;

	for (int i = 0; i < n; i++) {
		int pu = pus[i];
		unsigned long long dt = total1[pu] > total0[pu] ? total1[pu] - total0[pu] : 0;
		unsigned long long db = busy1[pu] > busy0[pu] ? busy1[pu] - busy0[pu] : 0;
		double share = dt ? (double)db / (double)dt : 0.0;

		if (share <= best_share) {
			best_share = share;
			best = pu;
		}
	}
	return best;
}

/* /proc/stat's per-CPU counters into busy and total; 0 when unreadable. */
static int read_stat(unsigned long long *busy, unsigned long long *total)
{
	char buf[65536];
	FILE *f = fopen("/proc/stat", "r");
	size_t len;

	if (f == NULL)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return smp_pin_stat_parse(buf, busy, total, MAX_PUS);
}

/* The child's PU for "auto": the allowed PU least busy over
 * SMP_PIN_SAMPLE_MS (a neighbour busy on one PU then shares the harness's
 * PU, not the measured one's); the last allowed PU when /proc/stat cannot
 * be read. */
static int quietest_allowed(smp_pinning *p)
{
	static unsigned long long b0[MAX_PUS], t0[MAX_PUS], b1[MAX_PUS], t1[MAX_PUS];
	struct timespec nap = { 0, SMP_PIN_SAMPLE_MS * 1000000L };
	int pus[MAX_PUS], n = 0, best;

	for (int pu = hwloc_bitmap_first(p->allowed); pu >= 0 && pu < MAX_PUS && n < MAX_PUS;
	     pu = hwloc_bitmap_next(p->allowed, pu))
		pus[n++] = pu;
	memset(b0, 0, sizeof(b0));
	memset(t0, 0, sizeof(t0));
	memset(b1, 0, sizeof(b1));
	memset(t1, 0, sizeof(t1));
	if (n == 0 || read_stat(b0, t0) == 0)
		return hwloc_bitmap_last(p->allowed);
	nanosleep(&nap, NULL);
	if (read_stat(b1, t1) == 0)
		return hwloc_bitmap_last(p->allowed);
	best = smp_pin_quietest(pus, n, b0, t0, b1, t1);
	{
		size_t len = (size_t)snprintf(p->choice, sizeof(p->choice), "PU %d, the least busy over %d ms:", best,
					      SMP_PIN_SAMPLE_MS);

		for (int i = 0; i < n && len < sizeof(p->choice); i++) {
			int pu = pus[i];
			unsigned long long dt = t1[pu] - t0[pu];

			len += (size_t)snprintf(p->choice + len, sizeof(p->choice) - len, "%s PU %d %.0f%%",
						i ? "," : "", pu, dt ? 100.0 * (double)(b1[pu] - b0[pu]) / (double)dt : 0.0);
		}
	}
	return best;
}

/* Writes the allowed PUs as "0,1" or "0-7,9" into buf. Can't fail: a long
 * list is truncated. */
static void format_pus(char *buf, size_t size, hwloc_const_bitmap_t set)
{
	size_t len = 0;
	int pu = hwloc_bitmap_first(set);

	buf[0] = '\0';
	while (pu >= 0 && len < size) {
		int end = pu;
		int n;

		while (hwloc_bitmap_isset(set, (unsigned)end + 1))
			end++;
		if (end - pu >= 2)
			n = snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", pu, end);
		else if (end > pu)
			n = snprintf(buf + len, size - len, "%s%d,%d", len ? "," : "", pu, end);
		else
			n = snprintf(buf + len, size - len, "%s%d", len ? "," : "", pu);
		if (n < 0)
			break;
		len += (size_t)n;
		pu = hwloc_bitmap_next(set, end);
	}
}

/* Parses a PU OS index: decimal digits only, no sign, no blanks.
 * Returns 0 and sets *pu, or -1 for anything else. */
static int parse_pu(const char *s, size_t len, int *pu)
{
	long v = 0;

	if (len == 0 || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*pu = (int)v;
	return 0;
}

/* Parses "C" or "C,H" into *child and *harness (-1 when absent).
 * Returns 0 or BG_EINVAL with a message naming the spec. */
static int parse_list(const smp_pinning *p, const char *spec, int *child, int *harness)
{
	char allowed[128];
	const char *comma = strchr(spec, ',');
	size_t clen = comma ? (size_t)(comma - spec) : strlen(spec);

	*harness = -1;
	if (parse_pu(spec, clen, child) < 0 ||
	    (comma && parse_pu(comma + 1, strlen(comma + 1), harness) < 0)) {
		format_pus(allowed, sizeof(allowed), p->allowed);
		return bg_error_set(BG_EINVAL,
			"--pin: \"%s\" is not a PU list; use auto, none, C or C,H "
			"with PU numbers (allowed: %s)", spec, allowed);
	}
	return 0;
}

/* Returns 0 when pu is allowed here, else BG_EINVAL naming it. */
static int check_allowed(const smp_pinning *p, int pu)
{
	char allowed[128];

	if (hwloc_bitmap_isset(p->allowed, (unsigned)pu))
		return 0;
	format_pus(allowed, sizeof(allowed), p->allowed);
	return bg_error_set(BG_EINVAL, "--pin: PU %d is not allowed here; allowed: %s",
		pu, allowed);
}

/* Loads the topology and the allowed PUs into p. Returns 0 or BG_ESYS /
 * BG_ENOMEM with the message set. */
static int load_topology(smp_pinning *p)
{
	if (hwloc_topology_init(&p->topo) < 0) {
		p->topo = NULL;
		return bg_error_set(BG_ESYS, "hwloc: cannot initialise the topology: %s",
			strerror(errno));
	}
	if (hwloc_topology_load(p->topo) < 0)
		return bg_error_set(BG_ESYS, "hwloc: cannot load the topology: %s",
			strerror(errno));
	p->allowed = hwloc_bitmap_alloc();
	if (p->allowed == NULL)
		return bg_error_set(BG_ENOMEM, "hwloc: out of memory");
	/* Allowed (cgroup) and present in the topology (online). */
	if (hwloc_bitmap_and(p->allowed, hwloc_topology_get_allowed_cpuset(p->topo),
	                     hwloc_topology_get_topology_cpuset(p->topo)) < 0)
		return bg_error_set(BG_ENOMEM, "hwloc: out of memory");
	return 0;
}

/* Builds p->child_cpus for pu and makes p active, or leaves p inactive with
 * a reason when pu does not fit a cpu_set_t. */
static void set_child(smp_pinning *p, int pu)
{
	hwloc_bitmap_t set;

	if (pu >= CPU_SETSIZE) {
		snprintf(p->reason, sizeof(p->reason),
			"PU %d is beyond what a cpu_set_t holds (%d)", pu, CPU_SETSIZE);
		return;
	}
	set = hwloc_bitmap_alloc();
	if (set == NULL) {
		snprintf(p->reason, sizeof(p->reason), "out of memory building the child's mask");
		return;
	}
	hwloc_bitmap_only(set, (unsigned)pu);
	hwloc_cpuset_to_glibc_sched_affinity(p->topo, set, &p->child_cpus, sizeof(p->child_cpus));
	hwloc_bitmap_free(set);
	p->child_pu = pu;
	p->active = 1;
}

/* Binds the calling thread to pu. On refusal the harness stays unbound and
 * the reason is recorded; the child's pinning is kept. */
static void bind_harness(smp_pinning *p, int pu)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int err;

	if (set == NULL) {
		snprintf(p->reason, sizeof(p->reason),
			"harness not bound: out of memory");
		return;
	}
	hwloc_bitmap_only(set, (unsigned)pu);
	if (hwloc_set_cpubind(p->topo, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) == 0) {
		p->harness_pu = pu;
	} else {
		err = errno;
		snprintf(p->reason, sizeof(p->reason),
			"harness thread not bound to PU %d: %s", pu, strerror(err));
	}
	hwloc_bitmap_free(set);
}

/* Applies a parsed spec to a loaded pinning. Returns 0 or BG_EINVAL. */
static int apply_spec(smp_pinning *p, const char *spec)
{
	int child = -1, harness = -1, error;

	if (strcmp(spec, "none") == 0) {
		snprintf(p->reason, sizeof(p->reason), "pinning disabled (--pin none)");
		return 0;
	}
	if (strcmp(spec, "auto") == 0) {
		if (hwloc_bitmap_weight(p->allowed) < 2) {
			snprintf(p->reason, sizeof(p->reason),
				"only one processing unit is allowed (taskset/cgroup?)");
			return 0;
		}
		child = quietest_allowed(p);
		harness = hwloc_bitmap_first(p->allowed);
		if (harness == child)
			harness = hwloc_bitmap_next(p->allowed, child);
	} else {
		if ((error = parse_list(p, spec, &child, &harness)) < 0)
			return error;
		if ((error = check_allowed(p, child)) < 0)
			return error;
		if (harness >= 0 && (error = check_allowed(p, harness)) < 0)
			return error;
		if (harness == child)
			return bg_error_set(BG_EINVAL,
				"--pin: \"%s\" puts child and harness on the same PU %d; "
				"give two different PUs", spec, child);
	}
	set_child(p, child);
	if (p->active && harness >= 0)
		bind_harness(p, harness);
	return 0;
}

/* See smp_pin.h. On error *out is untouched and nothing stays bound. A
 * NULL spec or out is BG_EINVAL. */
int smp_pinning_new(smp_pinning **out, const char *spec)
{
	smp_pinning *p = NULL;
	int error;

	if (out == NULL || spec == NULL)
		return bg_error_set(BG_EINVAL, "smp_pinning_new: out and spec are required");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return bg_error_nomem();
	p->child_pu = -1;
	p->harness_pu = -1;
	if ((error = load_topology(p)) < 0)
		goto cleanup;
	if ((error = apply_spec(p, spec)) < 0)
		goto cleanup;
	*out = p;
	p = NULL;
cleanup:
	smp_pinning_free(p);
	return error;
}

/* Releases the topology. The harness thread stays bound where it is.
 * Accepts NULL. */
void smp_pinning_free(smp_pinning *p)
{
	if (p == NULL)
		return;
	hwloc_bitmap_free(p->allowed);
	if (p->topo != NULL)
		hwloc_topology_destroy(p->topo);
	free(p);
}

/* See smp_pin.h. Can't fail; 0 for NULL. */
int smp_pinning_active(const smp_pinning *p)
{
	return p != NULL && p->active;
}

/* See smp_pin.h. Borrowed; valid until smp_pinning_free. */
const char *smp_pinning_reason(const smp_pinning *p)
{
	return p != NULL ? p->reason : "no pinning";
}

/* See smp_pin.h. "" for NULL. */
const char *smp_pinning_choice(const smp_pinning *p)
{
	return p != NULL ? p->choice : "";
}

/* See smp_pin.h. -1 for NULL or when the child is not bound. */
int smp_pinning_child_pu(const smp_pinning *p)
{
	return p != NULL ? p->child_pu : -1;
}

/* See smp_pin.h. -1 for NULL or when the harness is not bound. */
int smp_pinning_harness_pu(const smp_pinning *p)
{
	return p != NULL ? p->harness_pu : -1;
}

/* See smp_pin.h. Borrowed; valid until smp_pinning_free or mark_failed. */
const cpu_set_t *smp_pinning_child_cpus(const smp_pinning *p)
{
	return smp_pinning_active(p) ? &p->child_cpus : NULL;
}

/* See smp_pin.h. 0 for NULL. */
int smp_pinning_allowed_pus(const smp_pinning *p)
{
	return p != NULL ? hwloc_bitmap_weight(p->allowed) : 0;
}

/* See smp_pin.h. Later children run unpinned; the harness binding is kept.
 * Accepts NULL; a second call keeps the first reason. */
void smp_pinning_mark_failed(smp_pinning *p, int err)
{
	if (p == NULL || !p->active)
		return;
	snprintf(p->reason, sizeof(p->reason),
		"the child could not bind to PU %d: %s (runs unpinned)",
		p->child_pu, strerror(err));
	p->active = 0;
	p->child_pu = -1;
}
