/* lp_json: pieces every JSON output shares: the version header, the
 * machine, the pinning, numbers, intervals, the effect object. */
#ifndef LP_JSON_H
#define LP_JSON_H

#include <cjson/cJSON.h>

#include "smp_pin.h"
#include "smp_probe.h"
#include "st_effect.h"

/* A new object holding {"benchgate": {"version": ..., "schema": N}}, or NULL
 * when out of memory. */
cJSON *lp_json_doc_new(void);

/* The machine object: the probe's fields, its warnings, the steal share
 * over the run (-1 unknown), and whether hardware counters are readable. */
cJSON *lp_json_machine(const smp_probe *p, double steal_share);

/* {"pinned": bool, "child_pu": n, "harness_pu": n, "reason": "..."} */
cJSON *lp_json_pinning(const smp_pinning *p);

/* Adds a number to obj, or null when v is not finite (JSON has no NaN). */
cJSON *lp_json_number(cJSON *obj, const char *name, double v);

/* Adds name: [lo, hi] to obj, a bound that is not finite as null. */
void lp_json_interval(cJSON *obj, const char *name, double lo, double hi);

/* Adds an effect's "ratio", "ci", "level", "p_value" and "verdict" to obj
 * (DESIGN.md, "JSON outputs"); returns obj. */
cJSON *lp_json_effect(cJSON *obj, const st_effect *e);

#endif
