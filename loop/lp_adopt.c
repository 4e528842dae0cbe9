/* lp_adopt: a gated snapshot's verdict carried to the commit the loop made
 * of it (see lp_adopt.h). */
#include "lp_adopt.h"
#include "lp_gate.h"
#include "lp_integrity.h"
#include "bg_error.h"
#include "bg_strv.h"
#include "bg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The files pi-autoresearch writes as it logs an experiment, which may
 * differ between the gated snapshot and the commit pi makes after it. Its
 * measure, checks and config files are not among them: they are what the
 * gate measured with. */
static const char *const logged[] = {
	".auto/log.jsonl", ".auto/prompt.md", ".auto/ideas.md",
	"autoresearch.jsonl", "autoresearch.md", "autoresearch.ideas.md", NULL
};

static int is_logged(const char *path)
{
	for (size_t i = 0; logged[i]; i++)
		if (strcmp(path, logged[i]) == 0)
			return 1;
	return 0;
}

static const char *str_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The last worktree gate record of the branch (its index in *at), or NULL. */
static const cJSON *last_worktree_gate(size_t *at, const state_ledger *l, const char *branch)
{
	for (size_t i = state_ledger_count(l); i-- > 0;) {
		const cJSON *rec = state_ledger_record(l, i);
		const char *kind = str_field(rec, "kind"), *b = str_field(rec, "branch");

		if (!kind || strcmp(kind, "gate") != 0 || !b || strcmp(b, branch) != 0)
			continue;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "worktree")))
			return NULL;   /* the branch's last gate judged a commit */
		*at = i;
		return rec;
	}
	return NULL;
}

/* Whether an "adopt" record for commit exists already. */
static int seen(const state_ledger *l, const char *commit)
{
	for (size_t i = state_ledger_count(l); i-- > 0;) {
		const cJSON *rec = state_ledger_record(l, i);
		const char *kind = str_field(rec, "kind"), *c = str_field(rec, "candidate");

		if (kind && strcmp(kind, "adopt") == 0 && c && strcmp(c, commit) == 0)
			return 1;
	}
	return 0;
}

int lp_adopt_unlogged(size_t *count, char *text, size_t size, lp_repo *repo, const char *from, const char *to)
{
	char **paths = NULL;
	size_t n = 0, len = 0, k = 0;
	int error;

	if ((error = lp_repo_changed_paths(&paths, &n, repo, from, to)) < 0)
		return error;
	if (size)
		text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (is_logged(paths[i]))
			continue;
		if (k++ < 4 && len < size)
			len += (size_t)snprintf(text + len, size - len, "%s%s", len ? ", " : "", paths[i]);
	}
	if (k > 4 && len < size)
		snprintf(text + len, size - len, " and %zu more", k - 4);
	*count = k;
	bg_strv_free(paths);
	return 0;
}

static cJSON *adopt_record(const lp_adopt_result *r, const cJSON *gate, size_t at, const char *branch)
{
	cJSON *o = cJSON_CreateObject();
	char now[32];

	bg_time_utc(now, sizeof(now));
	cJSON_AddStringToObject(o, "kind", "adopt");
	cJSON_AddStringToObject(o, "time", now);
	cJSON_AddStringToObject(o, "branch", branch);
	if (r->adopted)
		cJSON_AddStringToObject(o, "verdict", "KEEP");
	cJSON_AddStringToObject(o, "candidate", r->commit);
	cJSON_AddStringToObject(o, "snapshot", r->snapshot);
	cJSON_AddStringToObject(o, "baseline", str_field(gate, "baseline"));
	cJSON_AddNumberToObject(o, "record", (double)(at + 1));
	cJSON_AddBoolToObject(o, "matched", r->adopted);
	if (r->mismatched)
		cJSON_AddStringToObject(o, "differs", r->differs);
	return o;
}

/* The snapshot's note, worded for the commit that took its verdict. */
static int adopt_note(lp_repo *repo, const state_store *state, const lp_adopt_result *r, const cJSON *gate)
{
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(gate, "training"),
							    "aggregate");
	const cJSON *diff = cJSON_GetObjectItemCaseSensitive(agg, "difference");
	const cJSON *v = cJSON_IsNumber(diff) ? diff : cJSON_GetObjectItemCaseSensitive(agg, "ratio");
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(agg, "ci");
	const cJSON *lo = cJSON_GetArrayItem(ci, 0), *hi = cJSON_GetArrayItem(ci, 1);
	char note[300], suffix[80];
	int error;

	snprintf(suffix, sizeof(suffix), " (gated as the working tree, snapshot %.12s)", r->snapshot);
	if (cJSON_IsNumber(v) && cJSON_IsNumber(lo) && cJSON_IsNumber(hi))
		lp_gate_keep_note(note, sizeof(note), str_field(gate, "baseline"), cJSON_IsNumber(diff), v->valuedouble,
				  lo->valuedouble, hi->valuedouble, suffix);
	else   /* an unbounded interval is written as nulls */
		snprintf(note, sizeof(note), "benchgate: KEEP against %.12s%s", str_field(gate, "baseline"), suffix);
	if ((error = lp_repo_note_set(repo, STATE_REF_NOTES, r->commit, note)) < 0)
		return error;
	return lp_integrity_anchor_ref(repo, state, STATE_REF_NOTES);
}

int lp_adopt_head(lp_adopt_result *out, lp_repo *repo, const state_store *state, state_ledger *ledger,
		  const char *branch)
{
	const cJSON *gate;
	const char *snap, *base, *verdict;
	char parent[41];
	size_t at;
	int error;

	memset(out, 0, sizeof(*out));
	if (branch == NULL || (gate = last_worktree_gate(&at, ledger, branch)) == NULL)
		return 0;
	snap = str_field(gate, "candidate");
	base = str_field(gate, "baseline");
	verdict = str_field(gate, "verdict");
	if (!snap || !base || !verdict || strcmp(verdict, "KEEP") != 0 ||
	    lp_repo_resolve(out->commit, repo, "HEAD") < 0 || strcmp(out->commit, snap) == 0 ||
	    lp_repo_first_parent(parent, repo, out->commit) < 0 || strcmp(parent, base) != 0 ||
	    seen(ledger, out->commit)) {
		bg_error_clear();
		out->commit[0] = '\0';
		return 0;   /* HEAD is not the loop's commit of that snapshot */
	}
	snprintf(out->snapshot, sizeof(out->snapshot), "%s", snap);
	if ((error = lp_adopt_unlogged(&out->ndiffers, out->differs, sizeof(out->differs), repo, snap, out->commit)) ==
	    BG_ENOTFOUND) {
		bg_error_clear();
		out->commit[0] = '\0';
		return 0;   /* the snapshot is gone (gc): nothing to compare */
	}
	if (error < 0)
		return error;
	out->adopted = out->ndiffers == 0;
	out->mismatched = !out->adopted;
	if ((error = state_ledger_append(ledger, adopt_record(out, gate, at, branch), NULL)) < 0)
		return error;
	return out->adopted ? adopt_note(repo, state, out, gate) : 0;
}
