/* lp_adopt: the verdict on a gated working tree, carried to the commit the
 * loop then made of it.
 *
 * `gate --worktree` judges a snapshot S of the working tree (a commit on
 * top of HEAD, kept at refs/benchgate/worktree); pi-autoresearch then
 * commits the same files itself, as another commit H. The next
 * `gate --worktree` looks at HEAD first: when HEAD's first parent is the
 * baseline of the last worktree KEEP and its tree is S's but for the files
 * pi writes as it logs (its log, prompt and ideas: `.auto/log.jsonl`,
 * `.auto/prompt.md`, `.auto/ideas.md` and the older `autoresearch.jsonl`,
 * `autoresearch.md`, `autoresearch.ideas.md`), H is adopted: a ledger
 * record of kind "adopt" ("verdict": "KEEP", "candidate": H, "snapshot":
 * S, "record": the gate record's seq) makes H the branch's last kept
 * commit (state_ledger_last_kept), an audit of the ledger measures H for
 * S, and H gets S's note. When the trees differ in anything else (a change
 * made after the gate, before the loop committed), the record says
 * "matched": false with the paths, nothing is adopted, and the caller
 * warns: those changes were never measured. */
#ifndef LP_ADOPT_H
#define LP_ADOPT_H

#include "lp_repo.h"
#include "state.h"
#include "state_ledger.h"

typedef struct {
	int adopted;            /* 1: HEAD took the verdict of the snapshot */
	int mismatched;         /* 1: HEAD followed the gate but is not what it judged */
	char commit[41];        /* HEAD, when adopted or mismatched */
	char snapshot[41];      /* the gated snapshot */
	char differs[200];      /* mismatched: the first paths that differ */
	size_t ndiffers;
} lp_adopt_result;

/* The paths the trees of commits from and to differ in beyond pi's logged
 * files (listed above): how many in *count, the first four ", "-joined
 * ("and N more" after them) in text[size]. BG_ENOTFOUND for an unknown
 * commit, BG_EGIT, BG_ENOMEM. */
int lp_adopt_unlogged(size_t *count, char *text, size_t size, lp_repo *repo, const char *from, const char *to);

/* Looks at HEAD as described above and records what it finds (one
 * record per HEAD: a HEAD already adopted, or already found mismatched,
 * is left alone). Call under the gate lock, with the ledger loaded and
 * its integrity checked. *out is always written. BG_EGIT, BG_ESYS,
 * BG_ENOMEM. */
int lp_adopt_head(lp_adopt_result *out, lp_repo *repo, const state_store *state, state_ledger *ledger,
		  const char *branch);

#endif
