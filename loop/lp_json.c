/* lp_json: JSON pieces shared by every output (see lp_json.h). */
#include "lp_json.h"
#include "bg_version.h"
#include "smp_spawn.h"

#include <math.h>

cJSON *lp_json_number(cJSON *obj, const char *name, double v)
{
	if (isfinite(v))
		return cJSON_AddNumberToObject(obj, name, v);
	return cJSON_AddNullToObject(obj, name);
}

cJSON *lp_json_doc_new(void)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *bg = cJSON_AddObjectToObject(doc, "benchgate");

	if (bg == NULL) {
		cJSON_Delete(doc);
		return NULL;
	}
	cJSON_AddStringToObject(bg, "version", BG_VERSION);
	cJSON_AddNumberToObject(bg, "schema", BG_JSON_SCHEMA);
	return doc;
}

static void add_int_or_null(cJSON *o, const char *name, int v, int unknown)
{
	if (v == unknown)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, v);
}

cJSON *lp_json_machine(const smp_probe *p, double steal_share)
{
	cJSON *m = cJSON_CreateObject(), *w;
	const char *reason = NULL;
	int hw = smp_hw_counters_available(&reason);

	if (m == NULL)
		return NULL;
	cJSON_AddStringToObject(m, "fingerprint", p->fingerprint);
	cJSON_AddStringToObject(m, "hostname", p->hostname);
	cJSON_AddStringToObject(m, "cpu_model", p->cpu_model);
	cJSON_AddNumberToObject(m, "pus", p->pus);
	cJSON_AddNumberToObject(m, "cores", p->cores);
	cJSON_AddNumberToObject(m, "smt", p->smt);
	cJSON_AddStringToObject(m, "kernel", p->kernel);
	cJSON_AddStringToObject(m, "governor", p->governor);
	add_int_or_null(m, "turbo", p->turbo, -1);
	lp_json_number(m, "loadavg1", p->loadavg1 >= 0 ? p->loadavg1 : NAN);
	add_int_or_null(m, "aslr", p->aslr, -1);
	add_int_or_null(m, "perf_event_paranoid", p->perf_paranoid, -100);
	cJSON_AddStringToObject(m, "transparent_hugepages", p->thp);
	lp_json_number(m, "steal_share", steal_share >= 0 ? steal_share : NAN);
	cJSON_AddBoolToObject(m, "hw_counters", hw);
	if (!hw)
		cJSON_AddStringToObject(m, "hw_counters_reason", reason ? reason : "");
	w = cJSON_AddArrayToObject(m, "warnings");
	for (int i = 0; w && i < p->nwarnings; i++)
		cJSON_AddItemToArray(w, cJSON_CreateString(p->warnings[i]));
	return m;
}

cJSON *lp_json_pinning(const smp_pinning *p)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddBoolToObject(o, "pinned", p && smp_pinning_active(p));
	add_int_or_null(o, "child_pu", p ? smp_pinning_child_pu(p) : -1, -1);
	add_int_or_null(o, "harness_pu", p ? smp_pinning_harness_pu(p) : -1, -1);
	cJSON_AddNumberToObject(o, "allowed_pus", p ? smp_pinning_allowed_pus(p) : 0);
	cJSON_AddStringToObject(o, "reason", p ? smp_pinning_reason(p) : "pinning not set up");
	cJSON_AddStringToObject(o, "choice", smp_pinning_choice(p));
	return o;
}

void lp_json_interval(cJSON *obj, const char *name, double lo, double hi)
{
	cJSON *ci = cJSON_AddArrayToObject(obj, name);

	cJSON_AddItemToArray(ci, isfinite(lo) ? cJSON_CreateNumber(lo) : cJSON_CreateNull());
	cJSON_AddItemToArray(ci, isfinite(hi) ? cJSON_CreateNumber(hi) : cJSON_CreateNull());
}

cJSON *lp_json_effect(cJSON *obj, const st_effect *e)
{
	if (e->difference) {   /* B - A in the metric's units (metric.effect) */
		cJSON_AddStringToObject(obj, "effect", "difference");
		lp_json_number(obj, "difference", e->ratio);
	} else {
		lp_json_number(obj, "ratio", e->ratio);
	}
	lp_json_interval(obj, "ci", e->lo, e->hi);
	cJSON_AddNumberToObject(obj, "level", e->level);
	lp_json_number(obj, "p_value", e->p_value);
	cJSON_AddStringToObject(obj, "verdict", st_verdict_name(e->verdict));
	return obj;
}
