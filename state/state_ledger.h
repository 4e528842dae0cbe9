/* state_ledger: the decision ledger, .git/benchgate/ledger.jsonl — append-only,
 * one JSON object per line, each line chained to the one before by its hash,
 * so that an edited, deleted or reordered record is found by
 * state_ledger_verify().
 *
 * Line format (every record, whoever writes it):
 *
 *   {"seq":N,"prev":HASH|null,"kind":"...", ...}\n
 *
 *   seq   1-based position of the record, added by state_ledger_append();
 *   prev  git blob hash (40 hex, git_odb_hash(GIT_OBJECT_BLOB), what
 *         `git hash-object` prints) of the previous line's exact bytes
 *         without its newline; null on the first line. Added by append;
 *   kind  required string saying what wrote the record. "gate" is a gate
 *         decision; other kinds (e.g. "audit") are ignored by the gate
 *         helpers below. Gate records carry at least
 *           "verdict"   "KEEP" or "REJECT" (the reason in other fields),
 *           "branch"    the branch the decision was about,
 *           "candidate" the candidate commit id (40 hex).
 *
 * Keyed (a ledger of state_ledger_load): each appended line also ends in
 *   ..., "mac": HEX}
 * the MAC (state_anchor.h) of the line without that member, under the
 * user's key, which nobody who can only write the repository has; and the
 * anchor outside the repository is moved to the new last record (its seq
 * and hash). So a record written, changed or reordered by hand, a chain
 * recomputed after an edit, and deleted last records all show in
 * state_ledger_verify. A record of kind "reanchor" (`benchgate log
 * --reanchor`) accepts the lines before it as they are: verification
 * starts at the last one whose MAC matches.
 *
 * Durability: each append is one write() of the whole line on an O_APPEND
 * descriptor followed by fsync, under an exclusive flock on the file, so
 * concurrent appenders (several processes) never interleave or fork the
 * chain, and a crash leaves at most one incomplete last line. That line is
 * moved to PATH.corrupt by the next open (never silently dropped).
 *
 * Callers must have called git_libgit2_init() (hashes come from libgit2). */
#ifndef STATE_LEDGER_H
#define STATE_LEDGER_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "state.h"

/* The hex length of a record hash and a commit id, without the NUL. */
#define STATE_LEDGER_HASH_HEXLEN 40

typedef struct state_ledger state_ledger;

/* Reads the ledger at `path` into *out (caller frees with state_ledger_free).
 *
 * A missing file is an empty ledger (the first append creates it); a missing
 * parent directory is BG_ESYS naming the path, so a caller learns before
 * measuring anything that its decision could not be recorded.
 *
 * A last line that is not complete (no trailing newline, or not parseable
 * JSON) is what a crash during an append leaves: it is appended, with the
 * time and its offset, to PATH.corrupt, cut from the ledger (ftruncate +
 * fsync), and state_ledger_warning() says so, naming both files. When the file
 * can only be opened read-only the line is left in place, ignored, and the
 * warning says that instead.
 *
 * Any other bad line (not JSON, not an object) is BG_EPARSE naming the file
 * and the line number: the ledger was edited by hand. Other failures:
 * BG_ESYS (message names the path and errno's text), BG_ENOMEM. On failure
 * *out is untouched and nothing is allocated. Takes the file's exclusive
 * flock while reading, so it never mistakes an append in progress for a
 * crash leftover. */
int state_ledger_open(state_ledger **out, const char *path);

/* The ledger of the state s (its ledger.jsonl), opened as by
 * state_ledger_open, keyed: the user's key is made first when missing
 * (errors of state_mac). */
int state_ledger_load(state_ledger **out, const state_store *s);

/* Frees the ledger and every record; NULL is a no-op. Holds no descriptor
 * between calls, so there is nothing to close. */
void state_ledger_free(state_ledger *l);

/* The most recent warning from open or append (a crash leftover moved
 * aside), "" when none. Borrowed: valid until the next call on `l`. */
const char *state_ledger_warning(const state_ledger *l);

/* The path the ledger was opened with. Borrowed. */
const char *state_ledger_path(const state_ledger *l);

/* Number of records. Can't fail. */
size_t state_ledger_count(const state_ledger *l);

/* Record i (0-based; its "seq" is i + 1 in an intact ledger), borrowed and
 * valid until state_ledger_free(); NULL when i is out of range. */
const cJSON *state_ledger_record(const state_ledger *l, size_t i);

/* Appends `record`, taking ownership of it (it is freed or kept by `l`
 * whatever happens).
 *
 * The record must be an object with a string "kind" and without "seq",
 * "prev" or "mac": anything else is BG_EINVAL and nothing is written. Under an
 * exclusive flock on the file, records appended by other processes since
 * this ledger was read are loaded first (a crash leftover among them is
 * moved aside as in state_ledger_open), then "seq" and "prev" are put first
 * in the record and the line is written with one write() and fsync'd;
 * creating the file also fsyncs its directory. The record is then
 * state_ledger_record(l, state_ledger_count(l) - 1).
 *
 * out_hash (may be NULL) receives the hash of the line just written, the
 * "prev" the next record will carry; written only on success.
 *
 * Errors: BG_EINVAL (bad record), BG_ESYS (open, lock, write or fsync
 * failed; a partial write is cut off again, so the file is as before),
 * BG_EPARSE (the file was edited or shrank since it was read), BG_EGIT,
 * BG_ENOMEM. */
int state_ledger_append(state_ledger *l, cJSON *record, char out_hash[STATE_LEDGER_HASH_HEXLEN + 1]);

/* Recomputes the chain from the stored bytes of every line.
 *
 * Intact: returns 0 with *bad_seq = 0 and *why = NULL. Broken: returns 0
 * with *bad_seq the first bad record's "seq" (its line number when "seq"
 * is missing or not a positive integer) and *why a message saying what
 * does not match and which line (caller frees). A record is bad when its
 * "seq" is not its line number (a line was deleted or moved) or its
 * "prev" is not the hash of the line before (that line was edited).
 * Deleting the last lines cannot be seen from the ledger alone.
 *
 * Errors only for real failures (BG_ENOMEM, BG_EGIT); out-params are then
 * untouched. */
int state_ledger_verify(const state_ledger *l, size_t *bad_seq, char **why);

/* The "candidate" of the last gate record (kind "gate", or "adopt": the
 * commit a loop made of a gated snapshot, lp_adopt.h) whose "verdict" is
 * "KEEP", whose "branch" is `branch` and that became the branch (its
 * "sets_baseline" is not false: it was applied, or the branch's tip; a
 * record from before that field counts), into out (40 hex + NUL), and its
 * line number into *seq. BG_ENOTFOUND when there is none; BG_EPARSE
 * (naming the seq) when that record's candidate is not a 40-hex id. out
 * and *seq are written only on success. */
int state_ledger_last_kept(char out[STATE_LEDGER_HASH_HEXLEN + 1], size_t *seq, const state_ledger *l,
			   const char *branch);

/* The outcomes of every gate decision in ledger order, for replaying the
 * online FDR rule: (*kept)[k] is 1 for a "KEEP" verdict, 0 for any other.
 * Only records of kind "gate" that have a "verdict" and are not marked
 * "tested": false (vetoed before any measurement) count; others are
 * skipped. *kept is allocated (caller frees; NULL when *n is 0).
 * BG_EPARSE (naming the seq) when a gate record's verdict is not a string,
 * BG_ENOMEM; out-params are written only on success. */
int state_ledger_decisions(int **kept, size_t *n, const state_ledger *l);

#endif
