/* smp_pin: choosing processing units with hwloc and binding to them.
 *
 * The topology is loaded once. The measured child is bound to one
 * processing unit (PU) and the harness thread to another when at least two
 * are allowed. Pinning never aborts a run: when it is impossible or refused,
 * the pinning is inactive and says why. */
#ifndef SMP_PIN_H
#define SMP_PIN_H

#include <sched.h>

typedef struct smp_pinning smp_pinning;

/* Builds a pinning from a spec: "auto" (child on the allowed PU that was
 * least busy over SMP_PIN_SAMPLE_MS, from /proc/stat; ties go to the last
 * one; harness on the first other one), "none", or a LIST "C[,H]" of PU OS
 * indexes (child, then optionally harness). Binds the calling thread (the
 * harness) when a harness PU is chosen. Returns BG_EINVAL for a malformed
 * spec or a PU that is not allowed here (the message lists the allowed PUs),
 * BG_ESYS when hwloc cannot load the topology; for any other trouble returns 0
 * with the pinning inactive and a reason. */
int smp_pinning_new(smp_pinning **out, const char *spec);
void smp_pinning_free(smp_pinning *p);

#define SMP_PIN_SAMPLE_MS 100

/* The busy and total jiffies of each "cpuN" line of a /proc/stat text,
 * into busy[N] and total[N] for N < max (busy: all but idle and iowait).
 * Returns the highest N read + 1 (0 when none). Pure; can't fail. */
int smp_pin_stat_parse(const char *text, unsigned long long *busy, unsigned long long *total, int max);

/* Of the PUs pus[0..n), the one whose busy share between two readings
 * (busy0/total0, then busy1/total1, indexed by PU) was lowest; on a tie,
 * the later one in pus. A PU with no ticks in between counts as idle.
 * -1 when n is 0. Pure. */
int smp_pin_quietest(const int *pus, int n, const unsigned long long *busy0, const unsigned long long *total0,
		     const unsigned long long *busy1, const unsigned long long *total1);

/* How auto chose the child's PU, for the record ("PU 1, busy 2% over
 * 100 ms; PU 0 48%"), "" when it did not choose. Never NULL. */
const char *smp_pinning_choice(const smp_pinning *p);

/* 1 when children are bound (smp_pinning_child_cpus is non-NULL). */
int smp_pinning_active(const smp_pinning *p);
/* Why pinning is inactive or partial ("" when fully active). Never NULL. */
const char *smp_pinning_reason(const smp_pinning *p);
/* PU OS indexes, -1 when none. */
int smp_pinning_child_pu(const smp_pinning *p);
int smp_pinning_harness_pu(const smp_pinning *p);
/* The affinity mask to give smp_spawn_opts.cpus, or NULL when inactive. */
const cpu_set_t *smp_pinning_child_cpus(const smp_pinning *p);
/* Number of PUs allowed to this process, as hwloc sees them. */
int smp_pinning_allowed_pus(const smp_pinning *p);
/* Records that a child could not bind (smp_result.pin_failed): the pinning
 * becomes inactive with a reason naming errno. */
void smp_pinning_mark_failed(smp_pinning *p, int err);

#endif
