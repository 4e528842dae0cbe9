/* lp_integrity: the state as benchgate left it (see lp_integrity.h). */
#include "lp_integrity.h"
#include "state_anchor.h"
#include "bg_error.h"
#include "bg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REFS_SECTION "refs"

/* NULL when every ref the anchor names points where benchgate set it,
 * else a message about the first that does not (or *error). */
static char *check_refs(lp_repo *repo, const cJSON *anchor, int *error)
{
	const cJSON *refs = cJSON_GetObjectItemCaseSensitive(anchor, REFS_SECTION), *r;
	char *msg = NULL;

	cJSON_ArrayForEach(r, refs) {
		char now[41];
		int n = 0;

		if (!cJSON_IsString(r))
			continue;
		if (lp_repo_resolve(now, repo, r->string) < 0)
			n = asprintf(&msg, "%s was deleted (benchgate set it to %.12s): the evidence it kept "
				     "is no longer reachable from it", r->string, r->valuestring);
		else if (strcmp(now, r->valuestring) != 0)
			n = asprintf(&msg, "%s points at %.12s, but benchgate set it to %.12s", r->string, now,
				     r->valuestring);
		if (n < 0)
			*error = bg_error_nomem();
		if (msg != NULL || *error < 0)
			break;
	}
	return msg;
}

int lp_integrity_check(char **why, size_t *bad_seq, lp_repo *repo, const state_store *st,
		       const state_ledger *l)
{
	cJSON *anchor = NULL;
	char *msg = NULL;
	size_t bad = 0;
	int error;

	if ((error = state_ledger_verify(l, &bad, &msg)) < 0)
		return error;
	if (msg == NULL && (error = state_anchor_read(&anchor, NULL, st)) == 0)
		msg = check_refs(repo, anchor, &error);
	else if (error == BG_EPARSE)   /* said by the ledger's check already */
		error = 0;
	cJSON_Delete(anchor);
	if (error < 0) {
		free(msg);
		return error;
	}
	*why = msg;
	*bad_seq = bad;
	return 0;
}

int lp_integrity_anchor_ref(lp_repo *repo, const state_store *st, const char *refname)
{
	char oid[41];
	int error;

	if ((error = lp_repo_resolve(oid, repo, refname)) < 0)
		return error;
	return state_anchor_set(st, REFS_SECTION, (const char *const[]){ refname, oid, NULL });
}

/* Anchors every ref of old (an anchor, or NULL) at what it points at now. */
static int reanchor_refs(lp_repo *repo, const state_store *st, const cJSON *old)
{
	const cJSON *r;
	int error = 0;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(old, REFS_SECTION)) {
		char now[41];

		if (error == 0 && cJSON_IsString(r) && lp_repo_resolve(now, repo, r->string) == 0)
			error = state_anchor_set(st, REFS_SECTION, (const char *const[]){ r->string, now, NULL });
	}
	return error;
}

/* A new ledger record of kind, stamped with the time and the string
 * member name: value (NULL when out of memory). */
static cJSON *new_record(const char *kind, const char *name, const char *value)
{
	cJSON *rec = cJSON_CreateObject();
	char now[32];

	bg_time_utc(now, sizeof(now));
	if (rec == NULL || cJSON_AddStringToObject(rec, "kind", kind) == NULL ||
	    cJSON_AddStringToObject(rec, "time", now) == NULL ||
	    cJSON_AddStringToObject(rec, name, value) == NULL) {
		cJSON_Delete(rec);
		return NULL;
	}
	return rec;
}

int lp_integrity_reanchor(lp_repo *repo, const state_store *st, state_ledger *l, const char *why)
{
	cJSON *rec = new_record("reanchor", "found", why), *old = NULL;
	int error;

	if (rec == NULL)
		return bg_error_nomem();
	/* an anchor whose MAC does not match is replaced, its refs dropped */
	if ((error = state_anchor_read(&old, NULL, st)) < 0 && error != BG_EPARSE) {
		cJSON_Delete(rec);
		return error;
	}
	if ((error = state_anchor_remove(st)) < 0 || (error = state_ledger_append(l, rec, NULL)) < 0) {
		cJSON_Delete(old);
		return error;
	}
	error = reanchor_refs(repo, st, old);
	cJSON_Delete(old);
	return error;
}

/* The held-out part of record r when it speaks of the budget: a gate
 * that ran the held-out workloads, or a reseal. */
static const cJSON *budget_word(const cJSON *r)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(r, "kind");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(r, "holdout");

	if (cJSON_IsString(kind) && strcmp(kind->valuestring, "holdout") == 0)
		return r;
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "ran")) ? h : NULL;
}

int lp_integrity_seal_missing(const state_ledger *l, const char *seal_path)
{
	size_t n = 0;

	if (access(seal_path, F_OK) == 0)
		return 0;
	for (size_t i = 0; i < state_ledger_count(l); i++) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(state_ledger_record(l, i), "holdout");

		n += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "ran"));
	}
	if (n == 0)
		return 0;
	return bg_error_set(BG_EINVAL, "the seal of the held-out workloads (%s) is gone, but the ledger "
			    "shows %zu gate%s that ran them: it was deleted. After refreshing the held-out "
			    "inputs, 'benchgate holdout --reseal' seals them anew", seal_path, n, n == 1 ? "" : "s");
}

int lp_integrity_seal_budget(const state_ledger *l, unsigned remaining, const char *seal_path)
{
	for (size_t i = state_ledger_count(l); i-- > 0;) {
		const cJSON *r = state_ledger_record(l, i), *w = budget_word(r);
		const cJSON *left = cJSON_GetObjectItemCaseSensitive(w, "budget_left");

		if (w == NULL || !cJSON_IsNumber(left))
			continue;
		if ((double)remaining <= left->valuedouble)
			return 0;
		return bg_error_set(BG_EINVAL, "the seal of the held-out workloads (%s) has %u failure%s "
				    "left, but ledger record %zu says %.0f: the seal was reset outside "
				    "benchgate. After refreshing the held-out inputs, 'benchgate holdout "
				    "--reseal' seals them anew (the ledger records it)", seal_path, remaining,
				    remaining == 1 ? "" : "s", i + 1, left->valuedouble);
	}
	return 0;
}

int lp_integrity_seal_reset(state_ledger *l, unsigned budget)
{
	cJSON *rec = new_record("holdout", "event", "reseal");

	if (rec == NULL || cJSON_AddNumberToObject(rec, "budget_left", budget) == NULL) {
		cJSON_Delete(rec);
		return bg_error_nomem();
	}
	return state_ledger_append(l, rec, NULL);
}
