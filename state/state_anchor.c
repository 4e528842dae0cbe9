/* state_anchor: the user's key, MACs under it, and the anchor of each
 * repository's state (see state_anchor.h). */
#include "state_anchor.h"
#include "bg_error.h"
#include "bg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define KEY_BYTES 32

int state_anchor_dir(char **out)
{
	return state_user_dir(out, "XDG_CONFIG_HOME", ".config");
}

/* Reads the key at path into key: 0, BG_ENOTFOUND, BG_ESYS, BG_EPARSE. */
static int read_key(unsigned char key[KEY_BYTES], const char *path)
{
	unsigned char buf[KEY_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT)
		return bg_error_set(BG_ENOTFOUND, "no key at %s: benchgate makes one the first time "
				    "it records a decision", path);
	if (fd < 0)
		return bg_error_set(BG_ESYS, "cannot read the key %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || (st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		close(fd);
		return bg_error_set(BG_ESYS, "the key %s must be yours and readable by you alone: "
				    "chmod 600 %s", path, path);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != KEY_BYTES)
		return bg_error_set(BG_EPARSE, "the key %s is not %d bytes: it was changed outside "
				    "benchgate (records MAC'd under it can no longer be checked)", path,
				    KEY_BYTES);
	memcpy(key, buf, KEY_BYTES);
	return 0;
}

/* Makes a new key at path (O_EXCL: two processes racing keep one). */
static int make_key(const char *dir, const char *path)
{
	unsigned char key[KEY_BYTES];
	int fd, error;

	if ((error = bg_file_mkdirs(dir, 0700)) < 0)
		return error;
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return bg_error_set(BG_ESYS, "cannot make a key: getrandom: %s", strerror(errno));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return errno == EEXIST ? 0 : bg_error_set(BG_ESYS, "cannot make the key %s: %s", path,
							  strerror(errno));
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) < 0) {
		error = bg_error_set(BG_ESYS, "cannot write the key %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return error;
	}
	close(fd);
	return 0;
}

/* The key, read once per process and path. */
static int load_key(const unsigned char **out, int create)
{
	static unsigned char key[KEY_BYTES];
	static char loaded[PATH_MAX];
	char *dir = NULL, *path = NULL;
	int error;

	if ((error = state_anchor_dir(&dir)) < 0)
		return error;
	if (asprintf(&path, "%s/key", dir) < 0) {
		free(dir);
		return bg_error_nomem();
	}
	if (strcmp(loaded, path) != 0) {
		error = read_key(key, path);
		if (error == BG_ENOTFOUND && create && (error = make_key(dir, path)) == 0)
			error = read_key(key, path);
		if (error == 0)
			snprintf(loaded, sizeof(loaded), "%s", path);
	}
	free(dir);
	free(path);
	if (error == 0)
		*out = key;
	return error;
}

int state_mac(char out[STATE_MAC_HEXLEN + 1], const void *data, size_t n, int create)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *key;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int error;

	if ((error = load_key(&key, create)) < 0)
		return error;
	if (HMAC(EVP_sha256(), key, KEY_BYTES, data, n, md, &len) == NULL || len * 2 != STATE_MAC_HEXLEN)
		return bg_error_set(BG_ESYS, "HMAC-SHA-256 failed (libcrypto)");
	for (unsigned int i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[STATE_MAC_HEXLEN] = '\0';
	return 0;
}

int state_mac_check(const char *mac, const void *data, size_t n)
{
	char want[STATE_MAC_HEXLEN + 1];
	int error = state_mac(want, data, n, 0);

	if (error < 0)
		return error;
	return mac != NULL && strlen(mac) == STATE_MAC_HEXLEN && CRYPTO_memcmp(mac, want, STATE_MAC_HEXLEN) == 0;
}

/* *out = "<dir>/anchors/<hash of the state's real path>.json". */
static int anchor_path(char **out, char **dir_out, const state_store *s)
{
	char real[PATH_MAX], hex[GIT_OID_HEXSZ + 1], *dir = NULL;
	git_oid oid;
	int error;

	if (realpath(state_root(s), real) == NULL)
		return bg_error_set(BG_ESYS, "%s: %s", state_root(s), strerror(errno));
	if (git_odb_hash(&oid, real, strlen(real), GIT_OBJECT_BLOB) < 0)
		return bg_error_set(BG_EGIT, "cannot hash %s", real);
	git_oid_tostr(hex, sizeof(hex), &oid);
	if ((error = state_anchor_dir(&dir)) < 0)
		return error;
	if (asprintf(out, "%s/anchors/%s.json", dir, hex) < 0 ||
	    (dir_out && asprintf(dir_out, "%s/anchors", dir) < 0)) {
		free(dir);
		return bg_error_nomem();
	}
	free(dir);
	return 0;
}

/* The anchor's text without its "mac", what the MAC covers. */
static char *unmacked_text(const cJSON *a)
{
	cJSON *copy = cJSON_Duplicate(a, 1);
	char *text;

	if (copy == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "mac");
	text = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	return text;
}

static int parse_anchor(cJSON **out, const char *text, const char *path)
{
	cJSON *a = cJSON_Parse(text);
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(a, "mac");
	char *body = a ? unmacked_text(a) : NULL;
	int ok = cJSON_IsObject(a) && cJSON_IsString(mac) && body != NULL;

	if (ok && (ok = state_mac_check(mac->valuestring, body, strlen(body))) < 0) {
		cJSON_free(body);
		cJSON_Delete(a);
		return ok;
	}
	cJSON_free(body);
	if (!ok) {
		cJSON_Delete(a);
		return bg_error_set(BG_EPARSE, "the anchor %s does not match its MAC: it was changed "
				    "outside benchgate", path);
	}
	*out = a;
	return 0;
}

/* The anchor at path into *out, NULL when there is none. */
static int read_at(cJSON **out, const char *path)
{
	char *text;
	int error = 0;

	*out = NULL;
	if ((text = bg_file_read(path, NULL)) != NULL) {
		error = parse_anchor(out, text, path);
		free(text);
	} else if (bg_error_code() != BG_ENOTFOUND) {
		error = bg_error_code();
	}
	return error;
}

int state_anchor_read(cJSON **out, char **path_out, const state_store *s)
{
	char *path = NULL;
	int error;

	if ((error = anchor_path(&path, NULL, s)) < 0)
		return error;
	error = read_at(out, path);
	if (error == 0 && path_out)
		*path_out = path;
	else
		free(path);
	return error;
}

const char *state_anchor_get(const cJSON *anchor, const char *section, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(anchor, section), name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Applies kv to section of a. */
static int put(cJSON *a, const char *section, const char *const *kv)
{
	cJSON *sec = cJSON_GetObjectItemCaseSensitive(a, section);

	if (sec == NULL && (sec = cJSON_AddObjectToObject(a, section)) == NULL)
		return bg_error_nomem();
	for (; kv[0] != NULL; kv += 2) {
		cJSON_DeleteItemFromObjectCaseSensitive(sec, kv[0]);
		if (kv[1] != NULL && cJSON_AddStringToObject(sec, kv[0], kv[1]) == NULL)
			return bg_error_nomem();
	}
	return 0;
}

/* Re-MACs a and writes it to path. */
static int write_anchor(cJSON *a, const char *path)
{
	char mac[STATE_MAC_HEXLEN + 1], *body, *text = NULL;
	int error;

	cJSON_DeleteItemFromObjectCaseSensitive(a, "mac");
	if ((body = cJSON_PrintUnformatted(a)) == NULL)
		return bg_error_nomem();
	error = state_mac(mac, body, strlen(body), 1);
	cJSON_free(body);
	if (error < 0)
		return error;
	if (cJSON_AddStringToObject(a, "mac", mac) == NULL || (text = cJSON_Print(a)) == NULL)
		return bg_error_nomem();
	error = bg_file_write_atomic(path, text);
	cJSON_free(text);
	return error;
}

int state_anchor_set(const state_store *s, const char *section, const char *const *kv)
{
	char *path = NULL, *dir = NULL, *lock = NULL;
	cJSON *a = NULL;
	int fd = -1, error;

	if ((error = anchor_path(&path, &dir, s)) < 0 || (error = bg_file_mkdirs(dir, 0700)) < 0)
		goto cleanup;
	if (asprintf(&lock, "%s.lock", path) < 0) {
		error = bg_error_nomem();
		goto cleanup;
	}
	if ((error = bg_file_lock(&fd, lock, 0, "another benchgate writing the anchor")) < 0 ||
	    (error = read_at(&a, path)) < 0)
		goto cleanup;
	if (a == NULL && ((a = cJSON_CreateObject()) == NULL ||
			  cJSON_AddStringToObject(a, "state", state_root(s)) == NULL)) {
		error = bg_error_nomem();
		goto cleanup;
	}
	if ((error = put(a, section, kv)) == 0)
		error = write_anchor(a, path);
cleanup:
	if (fd >= 0)
		close(fd);
	cJSON_Delete(a);
	free(path);
	free(dir);
	free(lock);
	return error;
}

int state_anchor_remove(const state_store *s)
{
	char *path = NULL;
	int error;

	if ((error = anchor_path(&path, NULL, s)) < 0)
		return error;
	if (unlink(path) < 0 && errno != ENOENT)
		error = bg_error_set(BG_ESYS, "cannot remove %s: %s", path, strerror(errno));
	free(path);
	return error;
}
