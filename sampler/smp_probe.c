/* smp_probe: read what the machine is and how it is set from /proc and /sys,
 * and say which settings hurt measurement (see smp_probe.h).
 *
 * Every path is read under a root prefix so tests can fake a machine with a
 * directory of crafted files. A missing or odd file never fails a probe: the
 * field says "unknown" and the run goes on. */
#include "smp_probe.h"

#include "bg_error.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_CPUS 4096
#define CPU_DIR "/sys/devices/system/cpu"

/* 1 when root names the real file system. */
static int root_is_real(const char *root)
{
	return root == NULL || root[0] == '\0' || strcmp(root, "/") == 0;
}

/* Reads the first size-1 bytes of root/rel into buf, NUL-terminated, with
 * trailing blanks and newlines cut. Returns 0, or -1 when the file cannot be
 * read (buf is then ""). */
static int read_text(const char *root, const char *rel, char *buf, size_t size)
{
	char path[4096];
	FILE *f;
	size_t n, len;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s%s", root_is_real(root) ? "" : root, rel);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	len = n;
	buf[len] = '\0';
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	fclose(f);
	return 0;
}

/* Reads an integer file. Returns 0 and sets *v, or -1 (missing, not a
 * number). */
static int read_long(const char *root, const char *rel, long *v)
{
	char buf[64];
	char *end;

	if (read_text(root, rel, buf, sizeof(buf)) < 0 || buf[0] == '\0')
		return -1;
	*v = strtol(buf, &end, 10);
	return end == buf ? -1 : 0;
}

/* Copies src into dst (size bytes), truncating; src blanks at both ends are
 * dropped. */
static void copy_trimmed(char *dst, size_t size, const char *src)
{
	size_t len;

	while (isspace((unsigned char)*src))
		src++;
	len = strlen(src);
	while (len > 0 && isspace((unsigned char)src[len - 1]))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Appends a warning; past SMP_PROBE_MAX_WARNINGS they are dropped. */
__attribute__((format(printf, 2, 3)))
static void add_warning(smp_probe *out, const char *fmt, ...)
{
	va_list ap;

	if (out->nwarnings >= SMP_PROBE_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(out->warnings[out->nwarnings], sizeof(out->warnings[0]), fmt, ap);
	va_end(ap);
	out->nwarnings++;
}

/* Parses a kernel CPU list ("0-3,5") into mask[0..MAX_CPUS). Returns the
 * number of CPUs set, or -1 when malformed. */
static int parse_cpu_list(const char *s, unsigned char *mask)
{
	int count = 0;

	memset(mask, 0, MAX_CPUS);
	while (*s != '\0') {
		char *end;
		long lo = strtol(s, &end, 10), hi;

		if (end == s || lo < 0 || lo >= MAX_CPUS)
			return -1;
		hi = lo;
		if (*end == '-') {
			s = end + 1;
			hi = strtol(s, &end, 10);
			if (end == s || hi < lo || hi >= MAX_CPUS)
				return -1;
		}
		for (long c = lo; c <= hi; c++) {
			count += !mask[c];
			mask[c] = 1;
		}
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return count;
}

/* cpu_model from the first "model name" line, else "Hardware" (ARM) or
 * "cpu model" (MIPS); "unknown" when none. Also counts "processor" lines
 * into *nproc, the fallback for the PU count. */
static void probe_cpuinfo(smp_probe *out, const char *root, int *nproc)
{
	char path[4096], *line = NULL, fallback[128] = "";
	size_t cap = 0;
	FILE *f;

	snprintf(out->cpu_model, sizeof(out->cpu_model), "unknown");
	*nproc = 0;
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root_is_real(root) ? "" : root);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');
		size_t klen;

		if (colon == NULL)
			continue;
		klen = (size_t)(colon - line);
		while (klen > 0 && isspace((unsigned char)line[klen - 1]))
			klen--;
		if (klen == 9 && strncmp(line, "processor", 9) == 0)
			(*nproc)++;
		else if (klen == 10 && strncmp(line, "model name", 10) == 0 &&
		         strcmp(out->cpu_model, "unknown") == 0)
			copy_trimmed(out->cpu_model, sizeof(out->cpu_model), colon + 1);
		else if (fallback[0] == '\0' && ((klen == 8 && strncmp(line, "Hardware", 8) == 0) ||
		                                 (klen == 9 && strncmp(line, "cpu model", 9) == 0)))
			copy_trimmed(fallback, sizeof(fallback), colon + 1);
	}
	free(line);
	fclose(f);
	if (strcmp(out->cpu_model, "unknown") == 0 && fallback[0] != '\0')
		snprintf(out->cpu_model, sizeof(out->cpu_model), "%s", fallback);
}

/* Sets out->pus and fills online[] with the online CPU numbers. The real
 * machine answers through sysconf; a fake root only through its files. */
static void probe_pus(smp_probe *out, const char *root, int nproc, unsigned char *online)
{
	char buf[1024];
	int n = -1;

	if (read_text(root, CPU_DIR "/online", buf, sizeof(buf)) == 0)
		n = parse_cpu_list(buf, online);
	if (root_is_real(root)) {
		long s = sysconf(_SC_NPROCESSORS_ONLN);
		if (s > 0)
			out->pus = (int)s;
	}
	if (out->pus <= 0)
		out->pus = n > 0 ? n : (nproc > 0 ? nproc : 1);
	if (n <= 0) {
		memset(online, 0, MAX_CPUS);
		for (int c = 0; c < out->pus && c < MAX_CPUS; c++)
			online[c] = 1;
	}
}

/* Cores and threads per core from each online CPU's sibling list: a CPU is
 * the first of its core when it is the lowest of its siblings. Without
 * topology files, cores = pus and smt = 1. */
static void probe_smt(smp_probe *out, const char *root, const unsigned char *online)
{
	static const char *const names[] = { "thread_siblings_list", "core_cpus_list" };
	unsigned char *sib = malloc(MAX_CPUS);
	int cores = 0, smt = 0;

	out->cores = out->pus;
	out->smt = 1;
	if (sib == NULL)
		return;
	for (int c = 0; c < MAX_CPUS; c++) {
		char rel[128], buf[1024];
		int n = -1, first = 0;

		if (!online[c])
			continue;
		for (size_t i = 0; i < 2 && n <= 0; i++) {
			snprintf(rel, sizeof(rel), CPU_DIR "/cpu%d/topology/%s", c, names[i]);
			if (read_text(root, rel, buf, sizeof(buf)) == 0)
				n = parse_cpu_list(buf, sib);
		}
		if (n <= 0)
			continue;
		while (first < MAX_CPUS && !sib[first])
			first++;
		cores += first == c;
		smt = n > smt ? n : smt;
	}
	free(sib);
	if (cores > 0 && smt > 0) {
		out->cores = cores;
		out->smt = smt;
	}
}

/* Governor of cpu0 and turbo state, with their warnings. */
static void probe_frequency(smp_probe *out, const char *root)
{
	long v;

	read_text(root, CPU_DIR "/cpu0/cpufreq/scaling_governor", out->governor,
		sizeof(out->governor));
	if (out->governor[0] != '\0' && strcmp(out->governor, "performance") != 0)
		add_warning(out, "frequency governor is \"%s\": run "
			"'sudo cpupower frequency-set -g performance'", out->governor);
	out->turbo = -1;
	if (read_long(root, CPU_DIR "/intel_pstate/no_turbo", &v) == 0) {
		out->turbo = v == 0;
		if (out->turbo)
			add_warning(out, "turbo boost is on (clock varies with heat): run "
				"'echo 1 | sudo tee " CPU_DIR "/intel_pstate/no_turbo'");
	} else if (read_long(root, CPU_DIR "/cpufreq/boost", &v) == 0) {
		out->turbo = v != 0;
		if (out->turbo)
			add_warning(out, "CPU boost is on (clock varies with heat): run "
				"'echo 0 | sudo tee " CPU_DIR "/cpufreq/boost'");
	}
}

/* Load, ASLR, perf counters and transparent huge pages, with warnings for
 * the settings that cost precision or a metric. */
static void probe_kernel_settings(smp_probe *out, const char *root)
{
	char buf[256], *lb, *rb;
	long v;

	out->loadavg1 = -1;
	if (read_text(root, "/proc/loadavg", buf, sizeof(buf)) == 0) {
		char *end;
		double d = strtod(buf, &end);
		if (end != buf && d >= 0)
			out->loadavg1 = d;
	}
	if (out->loadavg1 > 0.5 * out->pus)
		add_warning(out, "other processes are running (load %.2f on %d PUs): "
			"stop them or expect noisier results", out->loadavg1, out->pus);
	out->aslr = read_long(root, "/proc/sys/kernel/randomize_va_space", &v) == 0 ? (int)v : -1;
	/* Benchgate wants ASLR on: layout noise is part of the result, and a
	 * single fixed layout can bias a comparison (Mytkowicz et al., ASPLOS
	 * 2009). Only "off" is worth a warning. */
	if (out->aslr == 0)
		add_warning(out, "ASLR is off, so results reflect one memory layout: run "
			"'sudo sysctl kernel.randomize_va_space=2'");
	out->perf_paranoid = read_long(root, "/proc/sys/kernel/perf_event_paranoid", &v) == 0
		? (int)v : -100;
	if (out->perf_paranoid > 2)
		add_warning(out, "hardware counters are unavailable (perf_event_paranoid=%d): "
			"run 'sudo sysctl kernel.perf_event_paranoid=2'", out->perf_paranoid);
	out->thp[0] = '\0';
	if (read_text(root, "/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) == 0 &&
	    (lb = strchr(buf, '[')) != NULL && (rb = strchr(lb, ']')) != NULL) {
		*rb = '\0';
		snprintf(out->thp, sizeof(out->thp), "%s", lb + 1);
	}
}

/* Isolated CPUs (isolcpus=), nohz_full CPUs and the SMT switch. A missing
 * isolated file leaves the count unknown; an empty one means none. */
static void probe_isolation(smp_probe *out, const char *root)
{
	unsigned char *mask = malloc(MAX_CPUS);
	int n;

	out->nisolated = -1;
	if (read_text(root, CPU_DIR "/isolated", out->isolated, sizeof(out->isolated)) == 0) {
		n = out->isolated[0] == '\0' ? 0 : mask ? parse_cpu_list(out->isolated, mask) : -1;
		out->nisolated = n;
	}
	free(mask);
	read_text(root, CPU_DIR "/nohz_full", out->nohz_full, sizeof(out->nohz_full));
	if (strcmp(out->nohz_full, "(null)") == 0)
		out->nohz_full[0] = '\0';
	read_text(root, CPU_DIR "/smt/control", out->smt_control, sizeof(out->smt_control));
}

/* See smp_probe.h. */
int smp_probe_siblings(const char *root, int a, int b)
{
	static const char *const names[] = { "thread_siblings_list", "core_cpus_list" };
	unsigned char *mask;
	int n = -1, r;

	if (a < 0 || b < 0 || a >= MAX_CPUS || b >= MAX_CPUS)
		return -1;
	if (a == b)
		return 1;
	if ((mask = malloc(MAX_CPUS)) == NULL)
		return -1;
	for (size_t i = 0; i < 2 && n <= 0; i++) {
		char rel[128], buf[1024];
		snprintf(rel, sizeof(rel), CPU_DIR "/cpu%d/topology/%s", a, names[i]);
		if (read_text(root, rel, buf, sizeof(buf)) == 0)
			n = parse_cpu_list(buf, mask);
	}
	r = n <= 0 ? -1 : mask[b] != 0;
	free(mask);
	return r;
}

/* Kernel release and host name: uname() on the real machine, files under a
 * fake root; "unknown" when absent. */
static void probe_identity(smp_probe *out, const char *root)
{
	struct utsname u;

	if (root_is_real(root) && uname(&u) == 0) {
		snprintf(out->kernel, sizeof(out->kernel), "%s", u.release);
		snprintf(out->hostname, sizeof(out->hostname), "%s", u.nodename);
		return;
	}
	if (read_text(root, "/proc/sys/kernel/osrelease", out->kernel, sizeof(out->kernel)) < 0 ||
	    out->kernel[0] == '\0')
		snprintf(out->kernel, sizeof(out->kernel), "unknown");
	if (read_text(root, "/proc/sys/kernel/hostname", out->hostname, sizeof(out->hostname)) < 0 ||
	    out->hostname[0] == '\0')
		snprintf(out->hostname, sizeof(out->hostname), "unknown");
}

/* 64-bit FNV-1a (Fowler, Noll, Vo; offset basis 14695981039346656037,
 * prime 1099511628211) over "cpu_model|pus|kernel|hostname". */
static void make_fingerprint(smp_probe *out)
{
	char key[512];
	uint64_t h = UINT64_C(14695981039346656037);

	snprintf(key, sizeof(key), "%s|%d|%s|%s", out->cpu_model, out->pus,
		out->kernel, out->hostname);
	for (const unsigned char *s = (const unsigned char *)key; *s; s++) {
		h ^= *s;
		h *= UINT64_C(1099511628211);
	}
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%016" PRIx64, h);
}

/* See smp_probe.h. Overwrites all of *out. SMT gets a warning too: a busy
 * sibling slows the measured PU. */
int smp_probe_read(smp_probe *out, const char *root)
{
	unsigned char *online;
	int nproc;

	if (out == NULL)
		return bg_error_set(BG_EINVAL, "smp_probe_read: out is required");
	memset(out, 0, sizeof(*out));
	online = malloc(MAX_CPUS);
	if (online == NULL)
		return bg_error_nomem();
	probe_cpuinfo(out, root, &nproc);
	probe_pus(out, root, nproc, online);
	probe_smt(out, root, online);
	free(online);
	probe_frequency(out, root);
	if (out->smt > 1)
		add_warning(out, "SMT is on (%d threads per core): a sibling's load slows the "
			"measured PU; pin to distinct cores (--pin C,H) or disable SMT", out->smt);
	probe_kernel_settings(out, root);
	probe_isolation(out, root);
	probe_identity(out, root);
	make_fingerprint(out);
	return 0;
}

/* Parses the eight counters after "cpu " (user nice system idle iowait irq
 * softirq steal) into v. Returns how many were found. */
static int parse_cpu_line(const char *s, uint64_t v[8])
{
	int n;
	char *end;

	for (n = 0; n < 8; n++, s = end) {
		v[n] = strtoull(s, &end, 10);
		if (end == s)
			break;
	}
	return n;
}

/* Reads the first "cpu " line of root/proc/stat. Returns 0 with out->ok = 1,
 * or 0 with out->ok = 0 when the file or line is missing or has fewer than
 * the eight fields up to steal; BG_EINVAL for a NULL out. total leaves out
 * guest and guest_nice: the kernel already counts them in user and nice. */
int smp_cpustat_read(smp_cpustat *out, const char *root)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;
	uint64_t v[8];
	int n = 0;

	if (out == NULL)
		return bg_error_set(BG_EINVAL, "smp_cpustat_read: out is required");
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/proc/stat", root_is_real(root) ? "" : root);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "cpu ", 4) == 0) {
			n = parse_cpu_line(line + 4, v);
			break;
		}
	}
	free(line);
	fclose(f);
	if (n < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		out->total += v[i];
	out->steal = v[7];
	out->ok = 1;
	return 0;
}

/* See smp_probe.h. -1 when either reading is missing or not ok, when no
 * time passed, or when the counters went backwards. */
double smp_cpustat_steal_share(const smp_cpustat *a, const smp_cpustat *b)
{
	double share;

	if (a == NULL || b == NULL || !a->ok || !b->ok ||
	    b->total <= a->total || b->steal < a->steal)
		return -1;
	share = (double)(b->steal - a->steal) / (double)(b->total - a->total);
	return share > 1 ? 1 : share;
}
