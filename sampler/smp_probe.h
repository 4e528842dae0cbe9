/* smp_probe: what the machine is and how it is set, read from /proc and /sys.
 *
 * Every number benchgate emits names the machine that produced it (the
 * fingerprint). Settings that hurt measurement produce warnings that say
 * what to do. All reads go under a root directory so tests can fake it. */
#ifndef SMP_PROBE_H
#define SMP_PROBE_H

#include <stdint.h>

#define SMP_PROBE_MAX_WARNINGS 16

typedef struct {
	char cpu_model[128];      /* "unknown" when /proc/cpuinfo says nothing */
	int pus;                  /* online logical CPUs */
	int cores;                /* physical cores (pus when unknown) */
	int smt;                  /* threads per core, 1 when none */
	char governor[32];        /* scaling governor of cpu0, "" when /sys has none */
	int turbo;                /* 1 on, 0 off, -1 unknown */
	double loadavg1;          /* 1-minute load average, -1 unknown */
	int aslr;                 /* randomize_va_space: 0, 1, 2; -1 unknown */
	int perf_paranoid;        /* perf_event_paranoid; -100 unknown */
	char thp[32];             /* transparent_hugepage/enabled selection, "" unknown */
	char kernel[128];         /* uname release */
	char hostname[128];
	char fingerprint[17];     /* 16 hex digits: hash of cpu model, pus, kernel, hostname */
	int nwarnings;
	char warnings[SMP_PROBE_MAX_WARNINGS][192];
	/* Facts for `benchgate calibrate`'s system checks (no warnings of
	 * their own: calibrate says what to do about them). */
	int nisolated;            /* CPUs in .../cpu/isolated (isolcpus=), -1 unknown */
	char isolated[128];       /* that list as the kernel writes it, "" none */
	char nohz_full[128];      /* .../cpu/nohz_full, "" none or unknown */
	char smt_control[32];     /* .../cpu/smt/control: on, off, forceoff,
				   * notsupported, notimplemented; "" unknown */
} smp_probe;

/* Fills *out from files under root ("" or NULL for the real /). Never fails
 * for a missing file: the field says unknown. Returns BG_EINVAL only for a
 * NULL out. Warnings are added for: a governor other than "performance",
 * turbo on, load above 0.5 per PU... each with its fix. */
int smp_probe_read(smp_probe *out, const char *root);

/* Whether PUs a and b (OS indexes) are SMT siblings, hardware threads of
 * one core, from cpu<a>/topology/thread_siblings_list (or core_cpus_list)
 * under root: 1 yes (also for a == b), 0 no, -1 unknown (no topology
 * files, an index out of range). Can't fail otherwise. */
int smp_probe_siblings(const char *root, int a, int b);

/* CPU time counters from the first line of /proc/stat, for steal time
 * across a run. */
typedef struct {
	uint64_t total;  /* all jiffies */
	uint64_t steal;
	int ok;
} smp_cpustat;

int smp_cpustat_read(smp_cpustat *out, const char *root);
/* Steal share in [0,1] between two readings, -1 when unknown. */
double smp_cpustat_steal_share(const smp_cpustat *a, const smp_cpustat *b);

#endif
