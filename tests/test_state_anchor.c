/* Tests of state_anchor (the user's key, MACs under it, the anchor of a
 * repository's state) and of the keyed ledger built on it. Each test points
 * XDG_CONFIG_HOME at a directory of its own, so each has its own key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_test.h"
#include "bg_error.h"
#include "bg_file.h"
#include "state.h"
#include "state_anchor.h"
#include "state_ledger.h"

#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char tmp[256], config[300], key[340];
	state_store *s;
} fx;

static int fx_setup(void **state)
{
	static int serial;
	char name[32];
	fx *f = calloc(1, sizeof(*f));

	snprintf(name, sizeof(name), "anchor%d", serial++);
	assert_int_equal(bg_test_tmpdir(f->tmp, sizeof(f->tmp), name), 0);
	snprintf(f->config, sizeof(f->config), "%s/config", f->tmp);
	snprintf(f->key, sizeof(f->key), "%s/benchgate/key", f->config);
	setenv("XDG_CONFIG_HOME", f->config, 1);
	assert_int_equal(state_open(&f->s, f->tmp), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;

	state_free(f->s);
	bg_test_rmtree(f->tmp);
	free(f);
	return 0;
}

/* The key is made on first use: 32 bytes, mode 0600, in a 0700 directory;
 * without create, a missing key is an error naming its path. */
static void test_key_made(void **state)
{
	fx *f = *state;
	char mac[STATE_MAC_HEXLEN + 1], mac2[STATE_MAC_HEXLEN + 1], dir[400];
	struct stat st;

	assert_int_equal(state_mac(mac, "x", 1, 0), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), f->key));
	assert_int_equal(state_mac(mac, "x", 1, 1), 0);
	assert_int_equal(strlen(mac), STATE_MAC_HEXLEN);
	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/benchgate", f->config);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(state_mac(mac2, "x", 1, 0), 0);
	assert_string_equal(mac, mac2);
	assert_int_equal(state_mac(mac2, "y", 1, 0), 0);
	assert_string_not_equal(mac, mac2);
	assert_int_equal(state_mac_check(mac, "x", 1), 1);
	assert_int_equal(state_mac_check(mac, "y", 1), 0);
	assert_int_equal(state_mac_check("short", "x", 1), 0);
}

/* HMAC-SHA-256 against Python's hmac module (an independent
 * implementation), for the key 00 01 ... 1f:
 *   /usr/bin/python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(32)),
 *       b'Hi There', hashlib.sha256).hexdigest())" */
static void test_mac_reference(void **state)
{
	fx *f = *state;
	unsigned char key[32];
	char dir[400], mac[STATE_MAC_HEXLEN + 1];
	int fd;

	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	snprintf(dir, sizeof(dir), "%s/benchgate", f->config);
	assert_int_equal(bg_file_mkdirs(dir, 0700), 0);
	assert_true((fd = open(f->key, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, key, sizeof(key)), (ssize_t)sizeof(key));
	close(fd);
	assert_int_equal(state_mac(mac, "Hi There", 8, 0), 0);
	assert_string_equal(mac, "278639ec02309d3afded1b273f1349ba63b9089c12476d716bee3ecc94673e9e");
	assert_int_equal(state_mac(mac, "", 0, 0), 0);
	assert_string_equal(mac, "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb");
}

/* A key others can read is refused with the fix; so is one of the wrong
 * size. */
static void test_key_refused(void **state)
{
	fx *f = *state;
	char mac[STATE_MAC_HEXLEN + 1], dir[400];

	snprintf(dir, sizeof(dir), "%s/benchgate", f->config);
	assert_int_equal(bg_file_mkdirs(dir, 0700), 0);
	assert_int_equal(bg_file_write_atomic(f->key, "0123456789abcdef0123456789abcdef"), 0);
	assert_int_equal(chmod(f->key, 0644), 0);
	assert_int_equal(state_mac(mac, "x", 1, 1), BG_ESYS);
	assert_non_null(strstr(bg_error_last(), "chmod 600"));
	assert_int_equal(bg_file_write_atomic(f->key, "short"), 0);
	assert_int_equal(chmod(f->key, 0600), 0);
	assert_int_equal(state_mac(mac, "x", 1, 1), BG_EPARSE);
	assert_non_null(strstr(bg_error_last(), "not 32 bytes"));
}

/* The anchor: set, read back, removed; an edited anchor is refused. */
static void test_anchor(void **state)
{
	fx *f = *state;
	cJSON *a = NULL;
	char *path = NULL, *text, *at;

	assert_int_equal(state_anchor_read(&a, NULL, f->s), 0);
	assert_null(a);
	assert_int_equal(state_anchor_set(f->s, "refs", (const char *const[]){ "refs/x", "abc", "refs/y", "def", NULL }), 0);
	assert_int_equal(state_anchor_set(f->s, "refs", (const char *const[]){ "refs/y", NULL, NULL }), 0);
	assert_int_equal(state_anchor_read(&a, &path, f->s), 0);
	assert_string_equal(state_anchor_get(a, "refs", "refs/x"), "abc");
	assert_null(state_anchor_get(a, "refs", "refs/y"));
	assert_null(state_anchor_get(a, "ledger", "seq"));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "state")->valuestring, state_root(f->s));
	assert_non_null(strstr(path, f->config));
	cJSON_Delete(a);
	a = NULL;
	assert_non_null(text = bg_file_read(path, NULL));
	assert_non_null(at = strstr(text, "abc"));
	at[0] = 'f';
	assert_int_equal(bg_file_write_atomic(path, text), 0);
	free(text);
	assert_int_equal(state_anchor_read(&a, NULL, f->s), BG_EPARSE);
	assert_non_null(strstr(bg_error_last(), "changed outside benchgate"));
	assert_int_equal(state_anchor_set(f->s, "refs", (const char *const[]){ "refs/z", "1", NULL }), BG_EPARSE);
	assert_int_equal(state_anchor_remove(f->s), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(state_anchor_remove(f->s), 0);
	assert_int_equal(state_anchor_read(&a, NULL, f->s), 0);
	assert_null(a);
	free(path);
}

static void append(state_ledger *l, const char *kind)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "kind", kind);
	assert_int_equal(state_ledger_append(l, r, NULL), 0);
}

static void expect_verify(const state_ledger *l, size_t bad, const char *said)
{
	size_t b = 99;
	char *why = NULL;

	assert_int_equal(state_ledger_verify(l, &b, &why), 0);
	if (b != bad || (said && (why == NULL || strstr(why, said) == NULL)))
		fail_msg("verify: bad %zu (wanted %zu), why \"%s\" (wanted \"%s\")", b, bad,
			 why ? why : "", said ? said : "");
	free(why);
}

/* A ledger written before keys (unkeyed records) goes on keyed: its old
 * records stay valid, an unkeyed record after a keyed one does not. */
static void test_ledger_keyed_after_unkeyed(void **state)
{
	fx *f = *state;
	state_ledger *l = NULL;
	char *path = NULL, *text;

	assert_int_equal(state_path(&path, f->s, STATE_LEDGER), 0);
	assert_int_equal(state_ledger_open(&l, path), 0);   /* unkeyed */
	append(l, "old");
	append(l, "old");
	state_ledger_free(l);
	assert_int_equal(state_ledger_load(&l, f->s), 0);   /* keyed */
	expect_verify(l, 0, NULL);
	append(l, "new");
	assert_non_null(strstr(state_ledger_record(l, 2)->child->next->next->next->string, "mac"));
	expect_verify(l, 0, NULL);
	state_ledger_free(l);
	assert_int_equal(state_ledger_open(&l, path), 0);   /* unkeyed again */
	append(l, "stray");
	state_ledger_free(l);
	assert_int_equal(state_ledger_load(&l, f->s), 0);
	expect_verify(l, 4, "line 4 carries no MAC");
	state_ledger_free(l);
	/* the stray line cut off again: intact, the anchor's record is there */
	assert_non_null(text = bg_file_read(path, NULL));
	*strrchr(text, '{') = '\0';
	assert_int_equal(bg_file_write_atomic(path, text), 0);
	free(text);
	assert_int_equal(state_ledger_load(&l, f->s), 0);
	expect_verify(l, 0, NULL);
	state_ledger_free(l);
	free(path);
}

/* A "reanchor" record accepts what is before it: verification starts
 * there; a forged "reanchor" (no MAC) does not. */
static void test_ledger_reanchor(void **state)
{
	fx *f = *state;
	state_ledger *l = NULL;
	char *path = NULL, *text, *at;

	assert_int_equal(state_path(&path, f->s, STATE_LEDGER), 0);
	assert_int_equal(state_ledger_load(&l, f->s), 0);
	append(l, "gate");
	append(l, "gate");
	state_ledger_free(l);
	assert_non_null(text = bg_file_read(path, NULL));
	assert_non_null(at = strstr(text, "\"gate\""));
	at[1] = 'G';
	assert_int_equal(bg_file_write_atomic(path, text), 0);
	free(text);
	assert_int_equal(state_ledger_load(&l, f->s), 0);
	expect_verify(l, 1, "MAC does not match");
	state_ledger_free(l);
	assert_int_equal(state_ledger_open(&l, path), 0);   /* no key: a forged reanchor */
	append(l, "reanchor");
	state_ledger_free(l);
	assert_int_equal(state_ledger_load(&l, f->s), 0);
	expect_verify(l, 1, "MAC does not match");
	append(l, "reanchor");
	expect_verify(l, 0, NULL);
	append(l, "gate");
	expect_verify(l, 0, NULL);
	state_ledger_free(l);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_made, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mac_reference, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_key_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_anchor, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ledger_keyed_after_unkeyed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ledger_reanchor, fx_setup, fx_teardown),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
