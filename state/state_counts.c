/* state_counts: the number of tests each commit reported, kept in the
 * state's testcounts.json ({"<commit>": {"count": N, "mac": HEX}, ...}) so
 * a baseline's tests run once however many candidates are gated against
 * it. */
#include "state_counts.h"
#include "state_anchor.h"
#include "bg_error.h"
#include "bg_file.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#define CACHE_FIX "delete it (it is only a cache and is rebuilt)"

/* The cache's JSON object, or NULL with the error set (BG_ENOTFOUND when
 * the file does not exist, BG_EPARSE when it is not a JSON object). */
static cJSON *cache_load(const char *path)
{
	size_t len;
	char *text = bg_file_read(path, &len);
	cJSON *root;

	if (text == NULL)
		return NULL;
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		bg_error_set(BG_EPARSE, "%s is not a JSON object of commit: test count: " CACHE_FIX,
			     path);
		return NULL;
	}
	return root;
}

/* What an entry's MAC covers: whoever cannot read the key cannot write one
 * that is believed (a lowered baseline count would let a dropped test
 * pass). Its length. */
static size_t entry_text(char text[256], const char *commit, long count)
{
	return (size_t)snprintf(text, 256, "testcount %.100s %ld", commit, count);
}

int state_counts_get(long *out, const state_store *s, const char *commit)
{
	cJSON *root = NULL, *item, *count, *mac;
	char *path = NULL, text[256];
	size_t len;
	int ok, error;
	double v;

	if (s == NULL || commit == NULL)
		return bg_error_set(BG_EINVAL, "state_counts_get: missing state or commit");
	if ((error = state_path(&path, s, STATE_TEST_COUNTS)) < 0)
		return error;
	if ((root = cache_load(path)) == NULL) {
		error = bg_error_code();
		goto cleanup;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, commit);
	if (item == NULL) {
		error = bg_error_set(BG_ENOTFOUND, "no test count cached for %s in %s", commit, path);
		goto cleanup;
	}
	count = cJSON_GetObjectItemCaseSensitive(item, "count");
	v = cJSON_IsNumber(count) ? count->valuedouble : -1;
	if (!(v >= 0 && v <= (double)LONG_MAX && v == floor(v))) {
		error = bg_error_set(BG_EPARSE, "%s: the test count of %s is not a non-negative "
				     "integer: " CACHE_FIX, path, commit);
		goto cleanup;
	}
	mac = cJSON_GetObjectItemCaseSensitive(item, "mac");
	len = entry_text(text, commit, (long)v);
	if ((ok = state_mac_check(cJSON_IsString(mac) ? mac->valuestring : NULL, text, len)) < 0) {
		error = ok;
		goto cleanup;
	}
	if (!ok) {
		error = bg_error_set(BG_ENOTFOUND, "%s: the test count of %s was not written by "
				     "benchgate (its MAC does not match): it is counted again", path, commit);
		goto cleanup;
	}
	*out = (long)v;
cleanup:
	cJSON_Delete(root);
	free(path);
	return error;
}

/* The cache's object, or a new empty one when the file is missing or
 * unreadable as a cache. */
static cJSON *cache_load_or_new(const char *path)
{
	cJSON *root = cache_load(path);

	if (root != NULL || (bg_error_code() != BG_ENOTFOUND && bg_error_code() != BG_EPARSE))
		return root;
	if ((root = cJSON_CreateObject()) == NULL)
		bg_error_nomem();
	return root;
}

int state_counts_put(const state_store *s, const char *commit, long count)
{
	cJSON *root = NULL, *entry;
	char *text = NULL, *path = NULL, mac[STATE_MAC_HEXLEN + 1], covered[256];
	int error;

	if (s == NULL || commit == NULL || commit[0] == '\0' || count < 0)
		return bg_error_set(BG_EINVAL, "state_counts_put: need a state, a commit and a "
				    "count >= 0");
	if ((error = state_path(&path, s, STATE_TEST_COUNTS)) < 0)
		return error;
	if ((root = cache_load_or_new(path)) == NULL) {
		error = bg_error_code();
		goto cleanup;
	}
	if ((error = state_mac(mac, covered, entry_text(covered, commit, count), 1)) < 0)
		goto cleanup;
	cJSON_DeleteItemFromObjectCaseSensitive(root, commit);
	if ((entry = cJSON_AddObjectToObject(root, commit)) == NULL ||
	    cJSON_AddNumberToObject(entry, "count", (double)count) == NULL ||
	    cJSON_AddStringToObject(entry, "mac", mac) == NULL ||
	    (text = cJSON_Print(root)) == NULL) {
		error = bg_error_nomem();
		goto cleanup;
	}
	error = bg_file_write_atomic(path, text);
cleanup:
	free(text);
	free(path);
	cJSON_Delete(root);
	return error;
}
