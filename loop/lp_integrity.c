/* lp_integrity: the state as benchgate left it (see lp_integrity.h). */
#include "lp_integrity.h"
#include "state_anchor.h"
#include "bg_error.h"
#include "bg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int lp_integrity_reanchor(lp_repo *repo, const state_store *st, state_ledger *l, const char *why)
{
	cJSON *rec = cJSON_CreateObject(), *old = NULL;
	char now[32];
	int error;

	bg_time_utc(now, sizeof(now));
	if (rec == NULL || cJSON_AddStringToObject(rec, "kind", "reanchor") == NULL ||
	    cJSON_AddStringToObject(rec, "time", now) == NULL ||
	    cJSON_AddStringToObject(rec, "found", why) == NULL) {
		cJSON_Delete(rec);
		return bg_error_nomem();
	}
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
