/* state_counts: the test count per commit, cached in the state directory's
 * testcounts.json (state_path(STATE_TEST_COUNTS)): the test gate compares a
 * candidate's count with its baseline's, and this spares running the
 * baseline's tests again for every candidate. It is only a cache: a file
 * that cannot be read is replaced. */
#ifndef STATE_COUNTS_H
#define STATE_COUNTS_H

#include "state.h"

/* The cached test count of commit in the state's testcounts.json
 * ({"<commit>": {"count": N, "mac": HEX}, ...}, the MAC under the user's
 * key, state_anchor.h). Returns 0 with *out set; BG_ENOTFOUND when the
 * file does not exist, has no entry for commit, or an entry whose MAC does
 * not match (written by someone without the key: the caller counts again);
 * BG_EPARSE when the file is not such an object or the count is not a
 * non-negative integer (the message names the file and says it can be
 * deleted); BG_ESYS; errors of state_mac. */
int state_counts_get(long *out, const state_store *s, const char *commit);

/* Records count (>= 0) for commit in the state's testcounts.json, MAC'd
 * (the key made when missing), replacing an older entry, written atomically. A missing file is created; an unreadable JSON file is
 * replaced by a fresh one (it is only a cache). Returns 0, BG_EINVAL for an
 * empty commit or negative count, BG_ESYS (file left as it was), BG_ENOMEM. */
int state_counts_put(const state_store *s, const char *commit, long count);

#endif
