/* lp_integrity: whether benchgate's state in a repository is as benchgate
 * left it — the keyed ledger against its anchor (state_ledger_verify) and
 * the refs the gate wrote (rejected candidates, the notes) against the
 * oids the anchor holds (state_anchor.h) — checked before every gate and
 * by `benchgate log --verify`; and accepting, on the user's word, a state
 * changed outside benchgate (`benchgate log --reanchor`), which the ledger
 * records.
 *
 * Errors: negative BG_E* codes with the message in bg_error_last(). */
#ifndef LP_INTEGRITY_H
#define LP_INTEGRITY_H

#include "lp_repo.h"
#include "state.h"
#include "state_ledger.h"

/* *why = NULL when the state is intact, else what was changed (caller
 * frees): the ledger's first bad record, or a ref benchgate wrote that was
 * deleted or moved. *bad_seq = the ledger's bad record, 0 when the ledger
 * is intact. Errors of state_ledger_verify, state_anchor_read, BG_ENOMEM. */
int lp_integrity_check(char **why, size_t *bad_seq, lp_repo *repo, const state_store *st,
		       const state_ledger *l);

/* Anchors refname at what it points at now: after the gate wrote it.
 * Errors of lp_repo_resolve and state_anchor_set. */
int lp_integrity_anchor_ref(lp_repo *repo, const state_store *st, const char *refname);

/* Accepts the state as it is: appends a record of kind "reanchor" saying
 * what was found (why, from lp_integrity_check) and anchors every ref the
 * anchor names at what it points at now (removing those deleted). Errors
 * of state_ledger_append and state_anchor_set. */
int lp_integrity_reanchor(lp_repo *repo, const state_store *st, state_ledger *l, const char *why);

/* The held-out workloads' seal is made by the first gate that runs them;
 * one missing after such gates was deleted, and making a new one would
 * hand out a fresh failure budget: 0 when seal_path exists or no gate in
 * l ran them, else BG_EINVAL saying so and how to reseal. */
int lp_integrity_seal_missing(const state_ledger *l, const char *seal_path);

/* The failures a seal has left against the ledger's last word on them
 * (the "budget_left" of the last gate that ran the held-out workloads, or
 * of the last reseal): more left than the ledger says means the seal was
 * reset outside benchgate, BG_EINVAL naming both; else 0. */
int lp_integrity_seal_budget(const state_ledger *l, unsigned remaining, const char *seal_path);

/* Records in l that the seal was made anew with budget failures left
 * (kind "holdout", event "reseal"). Errors of state_ledger_append. */
int lp_integrity_seal_reset(state_ledger *l, unsigned budget);

#endif
