/* state_anchor: what makes benchgate's state tamper-evident against anyone
 * who can write the repository but not the user's configuration directory
 * (a candidate's commands, a sandboxed agent, a script run in the tree).
 *
 * It lives in <config>/benchgate, <config> being $XDG_CONFIG_HOME when it
 * is an absolute path, else $HOME/.config, which every sandbox hides:
 *
 *   key                 32 random bytes, mode 0600, made on first use;
 *   anchors/<id>.json   one per repository (<id>: the hash of the state
 *                       directory's real path): what benchgate last wrote
 *                       there, MAC'd with the key.
 *
 * The MAC is HMAC-SHA-256 (RFC 2104, FIPS 198-1; OpenSSL's libcrypto)
 * under the key, printed as 64 lowercase hex digits. The ledger MACs each
 * record with it (state_ledger.h), the test-count cache each entry; the
 * anchor holds the ledger's last record and the refs benchgate wrote, so
 * a truncated ledger, a rewritten one with a recomputed chain, or a
 * deleted rejected ref shows.
 *
 * An anchor is a JSON object of sections, each an object of string values:
 *   {"state": PATH, "ledger": {"seq": "N", "head": HASH},
 *    "refs": {REFNAME: OID, ...}, "mac": HEX}
 *
 * Errors: negative BG_E* codes with the message in bg_error_last(). */
#ifndef STATE_ANCHOR_H
#define STATE_ANCHOR_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "state.h"

#define STATE_MAC_HEXLEN 64

/* *out = "<config>/benchgate" (caller frees). BG_ENOTFOUND when neither
 * XDG_CONFIG_HOME nor HOME is an absolute path; BG_ENOMEM. */
int state_anchor_dir(char **out);

/* out = the MAC of the n bytes at data under the user's key, made (with
 * its directory, mode 0700) when missing and create is set. BG_ENOTFOUND
 * when there is no key and !create (the message names its path); BG_ESYS
 * when the key cannot be read or made, or is readable by others (the
 * message gives the chmod that fixes it); BG_EPARSE when it is not 32
 * bytes. The key is read once per process and path. */
int state_mac(char out[STATE_MAC_HEXLEN + 1], const void *data, size_t n, int create);

/* Whether mac (any string) is the MAC of data: 1 yes, 0 no; errors of
 * state_mac without create. */
int state_mac_check(const char *mac, const void *data, size_t n);

/* *out = the anchor of state s (caller frees with cJSON_Delete), or NULL
 * when there is none yet. *path (may be NULL) = its file (caller frees).
 * BG_EPARSE when the file is not an anchor or its MAC does not match (the
 * message names the file); errors of state_anchor_dir and state_mac. */
int state_anchor_read(cJSON **out, char **path, const state_store *s);

/* The string at anchor[section][name], NULL when absent (anchor may be
 * NULL). Borrowed. */
const char *state_anchor_get(const cJSON *anchor, const char *section, const char *name);

/* Sets, in the anchor of s, section[kv[0]] = kv[1], section[kv[2]] =
 * kv[3], ... up to a NULL name (a NULL value removes the name), under an
 * exclusive lock on the anchor, re-MACs it and writes it atomically. Makes
 * the key and the anchor when missing. Errors of state_anchor_read,
 * BG_ESYS, BG_ENOMEM. */
int state_anchor_set(const state_store *s, const char *section, const char *const *kv);

/* Removes the anchor of s (none: nothing to do), so the next
 * state_anchor_set starts a new one: only for accepting a state changed
 * outside benchgate. BG_ESYS. */
int state_anchor_remove(const state_store *s);

#endif
