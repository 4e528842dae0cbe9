/* test_ledger: the hash-chained decision ledger — appends and reopening,
 * the chain checked against `git hash-object`, crash leftovers moved to
 * .corrupt, hand edits (a broken middle line, a changed number, a deleted
 * line) found, refused records, the gate helpers (last kept candidate per
 * branch, the decision list), two processes appending at once, a write
 * that fails halfway, and missing directories.
 *
 * Each test works in its own mkdtemp directory, removed afterwards; the
 * teardown also fails the test if it left a descriptor open. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_error.h"
#include "bg_test.h"
#include "state_ledger.h"

#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAND_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CAND_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CAND_C "cccccccccccccccccccccccccccccccccccccccc"
#define CAND_D "dddddddddddddddddddddddddddddddddddddddd"

typedef struct {
	char dir[64];
	char path[128];     /* DIR/ledger.jsonl, not created */
	char corrupt[160];  /* PATH.corrupt */
	int fds;            /* descriptors open before the test */
} fixture;

/* ---- helpers ---------------------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/bg_test_ledger.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ledger.jsonl", f->dir);
	snprintf(f->corrupt, sizeof(f->corrupt), "%s.corrupt", f->path);
	f->fds = bg_test_count_fds();
	bg_error_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	int fds = bg_test_count_fds();

	nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	if (fds != f->fds) {
		print_error("descriptor leak: %d open before the test, %d after\n", f->fds, fds);
		free(f);
		return -1;
	}
	free(f);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	return git_libgit2_init() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	git_libgit2_shutdown();
	return 0;
}

static void write_file(const char *path, const char *text, const char *mode)
{
	FILE *fp = fopen(path, mode);

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* A gate record; verdict/branch/candidate may be NULL to leave them out. */
static cJSON *gate_record(const char *verdict, const char *branch, const char *cand, int x)
{
	cJSON *r = cJSON_CreateObject();

	assert_non_null(r);
	cJSON_AddStringToObject(r, "kind", "gate");
	if (verdict)
		cJSON_AddStringToObject(r, "verdict", verdict);
	if (branch)
		cJSON_AddStringToObject(r, "branch", branch);
	if (cand)
		cJSON_AddStringToObject(r, "candidate", cand);
	cJSON_AddNumberToObject(r, "x", x);
	return r;
}

static void append_ok(state_ledger *l, cJSON *rec, char hash[41])
{
	int rc = state_ledger_append(l, rec, hash);

	if (rc != 0)
		fail_msg("append failed: %d %s", rc, bg_error_last());
}

/* Opens `path`, appends n records with x = 1..n, keeps their hashes. */
static state_ledger *ledger_with(const char *path, size_t n, char hashes[][41])
{
	state_ledger *l = NULL;

	assert_int_equal(state_ledger_open(&l, path), 0);
	for (size_t i = 0; i < n; i++)
		append_ok(l, gate_record("REJECT", "main", CAND_A, (int)i + 1), hashes[i]);
	return l;
}

static double num(const cJSON *rec, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, name);

	assert_true(cJSON_IsNumber(it));
	return it->valuedouble;
}

static const char *str(const cJSON *rec, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, name);

	assert_true(cJSON_IsString(it));
	return it->valuestring;
}

static void assert_intact(const state_ledger *l)
{
	size_t bad = 99;
	char *why = NULL;

	assert_int_equal(state_ledger_verify(l, &bad, &why), 0);
	if (bad != 0)
		fail_msg("chain broken at %zu: %s", bad, why ? why : "(no message)");
	assert_null(why);
}

/* Line `n` (1-based) of the file, without its newline (caller frees). */
static char *file_line(const char *path, int n)
{
	char *text = bg_test_slurp(path), *p = text, *nl, *line;

	assert_non_null(text);
	while (--n > 0) {
		assert_non_null(p = strchr(p, '\n'));
		p++;
	}
	assert_non_null(nl = strchr(p, '\n'));
	line = strndup(p, (size_t)(nl - p));
	free(text);
	return line;
}

/* Rewrites the file with line `n` replaced (NULL: deleted). */
static void replace_line(const char *path, int n, const char *with)
{
	char *text = bg_test_slurp(path), *p, *start, *end;
	char *out;
	int i;

	assert_non_null(text);
	out = calloc(1, strlen(text) + (with ? strlen(with) : 0) + 2);
	assert_non_null(out);
	for (p = text, i = 1; i < n; i++, p++)
		assert_non_null(p = strchr(p, '\n'));
	start = p;
	assert_non_null(end = strchr(start, '\n'));
	memcpy(out, text, (size_t)(start - text));
	if (with) {
		strcat(out, with);
		strcat(out, "\n");
	}
	strcat(out, end + 1);
	write_file(path, out, "w");
	free(out);
	free(text);
}

/* ---- tests ------------------------------------------------------------ */

static void test_three_records_chain_and_reopen(void **state)
{
	fixture *f = *state;
	char h[3][41], hobj_file[192], *text, *line1;
	state_ledger *l = ledger_with(f->path, 3, h);
	const char *argv[] = { "/usr/bin/git", "hash-object", hobj_file, NULL };
	bg_test_result r;

	assert_int_equal(state_ledger_count(l), 3);
	assert_string_equal(state_ledger_warning(l), "");
	state_ledger_free(l);

	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_count(l), 3);
	assert_null(state_ledger_record(l, 3));
	for (size_t i = 0; i < 3; i++) {
		const cJSON *rec = state_ledger_record(l, i);

		assert_true(num(rec, "seq") == (double)(i + 1));
		assert_true(num(rec, "x") == (double)(i + 1));
		if (i == 0)
			assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(rec, "prev")));
		else
			assert_string_equal(str(rec, "prev"), h[i - 1]);
		assert_int_equal(strlen(h[i]), 40);
	}
	assert_string_not_equal(h[0], h[1]);
	assert_intact(l);
	state_ledger_free(l);

	text = bg_test_slurp(f->path);
	assert_non_null(text);
	assert_int_equal(count_char(text, '\n'), 3);
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_true(strncmp(text, "{\"seq\":1,\"prev\":null,\"kind\":\"gate\"", 34) == 0);
	free(text);

	/* The hash is git's blob hash of the line without its newline. */
	line1 = file_line(f->path, 1);
	snprintf(hobj_file, sizeof(hobj_file), "%s/line1", f->dir);
	write_file(hobj_file, line1, "w");
	free(line1);
	assert_int_equal(bg_test_run(&r, argv, 30), 0);
	assert_int_equal(r.status, 0);
	assert_true(strncmp(r.out, h[0], 40) == 0);
	bg_test_result_free(&r);
}

static void test_missing_file_is_empty_until_first_append(void **state)
{
	fixture *f = *state;
	state_ledger *l = NULL;
	char h[41];
	struct stat st;

	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_count(l), 0);
	assert_string_equal(state_ledger_path(l), f->path);
	assert_intact(l);
	assert_int_equal(stat(f->path, &st), -1);
	append_ok(l, gate_record("KEEP", "main", CAND_A, 1), h);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(state_ledger_count(l), 1);
	state_ledger_free(l);
}

static void test_truncated_last_line_moved_aside(void **state)
{
	fixture *f = *state;
	char h[3][41], *corrupt;
	state_ledger *l = ledger_with(f->path, 2, h);
	const char *half = "{\"seq\":3,\"prev\":\"0123456789abc";
	off_t good;
	const cJSON *rec;

	state_ledger_free(l);
	good = file_size(f->path);
	write_file(f->path, half, "a");

	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_count(l), 2);
	assert_non_null(strstr(state_ledger_warning(l), f->path));
	assert_non_null(strstr(state_ledger_warning(l), f->corrupt));
	assert_non_null(strstr(state_ledger_warning(l), "no newline"));
	assert_int_equal(file_size(f->path), good);
	corrupt = bg_test_slurp(f->corrupt);
	assert_non_null(corrupt);
	assert_non_null(strstr(corrupt, half));
	assert_non_null(strstr(corrupt, "offset"));
	free(corrupt);
	assert_intact(l);

	append_ok(l, gate_record("KEEP", "main", CAND_B, 3), h[2]);
	rec = state_ledger_record(l, 2);
	assert_true(num(rec, "seq") == 3);
	assert_string_equal(str(rec, "prev"), h[1]);
	assert_intact(l);
	state_ledger_free(l);

	/* And the file agrees after a reopen, with no new warning. */
	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_count(l), 3);
	assert_string_equal(state_ledger_warning(l), "");
	assert_intact(l);
	state_ledger_free(l);
}

static void test_unparseable_newline_terminated_last_line_moved_aside(void **state)
{
	fixture *f = *state;
	char h[2][41], *corrupt;
	state_ledger *l = ledger_with(f->path, 2, h);
	off_t good;

	state_ledger_free(l);
	good = file_size(f->path);
	write_file(f->corrupt, "an earlier leftover\n", "w");
	write_file(f->path, "{\"seq\":3,\"pr\n", "a");

	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_count(l), 2);
	assert_non_null(strstr(state_ledger_warning(l), "not valid JSON"));
	assert_int_equal(file_size(f->path), good);
	corrupt = bg_test_slurp(f->corrupt);
	assert_non_null(corrupt);
	/* Appended after what was there, never overwriting it. */
	assert_true(strncmp(corrupt, "an earlier leftover\n", 20) == 0);
	assert_non_null(strstr(corrupt, "{\"seq\":3,\"pr\n"));
	free(corrupt);
	state_ledger_free(l);
}

static void test_corrupt_middle_line_is_parse_error(void **state)
{
	fixture *f = *state;
	char h[3][41];
	state_ledger *l = ledger_with(f->path, 3, h), *l2 = NULL;
	char *line2 = file_line(f->path, 2);
	off_t size;

	state_ledger_free(l);
	replace_line(f->path, 2, "{\"seq\":2,\"prev\":");
	size = file_size(f->path);
	assert_int_equal(state_ledger_open(&l2, f->path), BG_EPARSE);
	assert_null(l2);
	assert_non_null(strstr(bg_error_last(), "line 2"));
	assert_non_null(strstr(bg_error_last(), f->path));
	/* Nothing was moved aside or cut. */
	assert_int_equal(file_size(f->path), size);
	assert_int_equal(access(f->corrupt, F_OK), -1);

	/* A last line that is JSON but not an object was edited, not cut. */
	replace_line(f->path, 2, line2);
	free(line2);
	replace_line(f->path, 3, "[1,2]");
	size = file_size(f->path);
	assert_int_equal(state_ledger_open(&l2, f->path), BG_EPARSE);
	assert_null(l2);
	assert_non_null(strstr(bg_error_last(), "line 3"));
	assert_non_null(strstr(bg_error_last(), "not an object"));
	assert_int_equal(file_size(f->path), size);
}

static void test_tampered_number_breaks_next_link(void **state)
{
	fixture *f = *state;
	char h[4][41], *line, *at, *why = NULL;
	state_ledger *l = ledger_with(f->path, 4, h);
	size_t bad = 0;

	state_ledger_free(l);
	line = file_line(f->path, 2);
	assert_non_null(at = strstr(line, "\"x\":2"));
	at[4] = '7';    /* still valid JSON */
	replace_line(f->path, 2, line);
	free(line);

	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_true(num(state_ledger_record(l, 1), "x") == 7);
	assert_int_equal(state_ledger_verify(l, &bad, &why), 0);
	assert_int_equal(bad, 3);
	assert_non_null(why);
	assert_non_null(strstr(why, "line 2"));
	assert_non_null(strstr(why, h[1]));   /* the hash line 3 expected */
	free(why);
	state_ledger_free(l);
}

static void test_deleted_line_is_reported(void **state)
{
	fixture *f = *state;
	char h[4][41], *why = NULL;
	state_ledger *l = ledger_with(f->path, 4, h);
	size_t bad = 0;

	state_ledger_free(l);
	replace_line(f->path, 2, NULL);
	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_count(l), 3);
	assert_int_equal(state_ledger_verify(l, &bad, &why), 0);
	assert_int_equal(bad, 3);    /* the record now on line 2 */
	assert_non_null(why);
	assert_non_null(strstr(why, "line 2"));
	assert_non_null(strstr(why, "deleted"));
	free(why);
	state_ledger_free(l);

	/* Deleting the first line: the new first record has a prev. */
	replace_line(f->path, 1, NULL);
	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_verify(l, &bad, &why), 0);
	assert_int_equal(bad, 3);
	free(why);
	state_ledger_free(l);
}

static void test_refuses_bad_records(void **state)
{
	fixture *f = *state;
	state_ledger *l = NULL;
	char h[41] = "untouched";
	cJSON *with_seq = gate_record("KEEP", "main", CAND_A, 1);
	cJSON *with_prev = gate_record("KEEP", "main", CAND_A, 1);
	cJSON *no_kind = cJSON_CreateObject();
	cJSON *kind_num = cJSON_CreateObject();

	cJSON_AddNumberToObject(with_seq, "seq", 5);
	cJSON_AddNullToObject(with_prev, "prev");
	cJSON_AddNumberToObject(no_kind, "x", 1);
	cJSON_AddNumberToObject(kind_num, "kind", 1);
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_append(l, with_seq, h), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "\"seq\""));
	assert_int_equal(state_ledger_append(l, with_prev, h), BG_EINVAL);
	assert_int_equal(state_ledger_append(l, no_kind, h), BG_EINVAL);
	assert_non_null(strstr(bg_error_last(), "\"kind\""));
	assert_int_equal(state_ledger_append(l, kind_num, h), BG_EINVAL);
	assert_int_equal(state_ledger_append(l, cJSON_CreateArray(), h), BG_EINVAL);
	assert_int_equal(state_ledger_append(l, NULL, h), BG_EINVAL);
	assert_string_equal(h, "untouched");
	assert_int_equal(state_ledger_count(l), 0);
	assert_int_equal(access(f->path, F_OK), -1);   /* nothing written */
	state_ledger_free(l);
}

static void test_last_kept_per_branch(void **state)
{
	fixture *f = *state;
	state_ledger *l = NULL;
	char out[41] = "untouched";
	size_t seq = 0;
	cJSON *audit = cJSON_CreateObject();

	cJSON_AddStringToObject(audit, "kind", "audit");
	cJSON_AddStringToObject(audit, "verdict", "KEEP");
	cJSON_AddStringToObject(audit, "branch", "main");
	cJSON_AddStringToObject(audit, "candidate", CAND_D);

	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), BG_ENOTFOUND);
	append_ok(l, gate_record("KEEP", "main", CAND_A, 1), NULL);
	append_ok(l, gate_record("KEEP", "feature", CAND_B, 2), NULL);
	append_ok(l, gate_record("REJECT", "main", CAND_C, 3), NULL);
	append_ok(l, audit, NULL);   /* not a gate record: ignored */

	assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), 0);
	assert_string_equal(out, CAND_A);
	assert_int_equal(state_ledger_last_kept(out, &seq, l, "feature"), 0);
	assert_string_equal(out, CAND_B);
	strcpy(out, "untouched");
	assert_int_equal(state_ledger_last_kept(out, &seq, l, "none"), BG_ENOTFOUND);
	assert_non_null(strstr(bg_error_last(), "none"));
	assert_string_equal(out, "untouched");

	append_ok(l, gate_record("KEEP", "main", CAND_C, 5), NULL);
	assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), 0);
	assert_string_equal(out, CAND_C);
	assert_int_equal(seq, 5);
	/* a one-off KEEP that did not become the branch sets no baseline */
	{
		cJSON *one_off = gate_record("KEEP", "main", CAND_D, 6);

		cJSON_AddFalseToObject(one_off, "sets_baseline");
		append_ok(l, one_off, NULL);
	}
	assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), 0);
	assert_string_equal(out, CAND_C);
	/* the commit a loop made of a gated snapshot (lp_adopt.h) is kept; a
	 * mismatched one (no verdict) is not */
	{
		cJSON *adopt = gate_record("KEEP", "main", CAND_B, 7), *mismatch = gate_record("KEEP", "main", CAND_A, 8);

		cJSON_ReplaceItemInObjectCaseSensitive(adopt, "kind", cJSON_CreateString("adopt"));
		append_ok(l, adopt, NULL);
		assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), 0);
		assert_string_equal(out, CAND_B);
		assert_int_equal(seq, 7);
		cJSON_ReplaceItemInObjectCaseSensitive(mismatch, "kind", cJSON_CreateString("adopt"));
		cJSON_DeleteItemFromObjectCaseSensitive(mismatch, "verdict");
		append_ok(l, mismatch, NULL);
		assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), 0);
		assert_string_equal(out, CAND_B);
	}

	/* The latest KEEP has a malformed candidate: an error, not an older one. */
	append_ok(l, gate_record("KEEP", "main", "HEAD", 9), NULL);
	strcpy(out, "untouched");
	assert_int_equal(state_ledger_last_kept(out, &seq, l, "main"), BG_EPARSE);
	assert_non_null(strstr(bg_error_last(), "line 9"));
	assert_string_equal(out, "untouched");
	state_ledger_free(l);
}

static void test_decisions_in_order(void **state)
{
	fixture *f = *state;
	state_ledger *l = NULL;
	int *kept = NULL;
	size_t n = 99;
	cJSON *other = cJSON_CreateObject(), *bad;

	cJSON_AddStringToObject(other, "kind", "audit");
	cJSON_AddStringToObject(other, "verdict", "KEEP");
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_int_equal(state_ledger_decisions(&kept, &n, l), 0);
	assert_int_equal(n, 0);
	assert_null(kept);

	append_ok(l, gate_record("REJECT", "main", CAND_A, 1), NULL);
	append_ok(l, gate_record("KEEP", "main", CAND_B, 2), NULL);
	append_ok(l, other, NULL);
	append_ok(l, gate_record(NULL, "main", CAND_C, 4), NULL);   /* no verdict */
	append_ok(l, gate_record("KEEP", "feature", CAND_C, 5), NULL);
	append_ok(l, gate_record("REJECT", "main", CAND_D, 6), NULL);
	assert_int_equal(state_ledger_decisions(&kept, &n, l), 0);
	assert_int_equal(n, 4);
	assert_int_equal(kept[0], 0);
	assert_int_equal(kept[1], 1);
	assert_int_equal(kept[2], 1);
	assert_int_equal(kept[3], 0);
	free(kept);

	bad = gate_record(NULL, "main", CAND_A, 7);
	cJSON_AddNumberToObject(bad, "verdict", 1);
	append_ok(l, bad, NULL);
	kept = NULL;
	n = 99;
	assert_int_equal(state_ledger_decisions(&kept, &n, l), BG_EPARSE);
	assert_non_null(strstr(bg_error_last(), "line 7"));
	assert_null(kept);
	assert_int_equal(n, 99);
	state_ledger_free(l);
}

static void test_second_handle_catches_up(void **state)
{
	fixture *f = *state;
	state_ledger *a = NULL, *b = NULL;
	char ha[41], hb[41];

	assert_int_equal(state_ledger_open(&a, f->path), 0);
	assert_int_equal(state_ledger_open(&b, f->path), 0);
	append_ok(a, gate_record("KEEP", "main", CAND_A, 1), ha);
	append_ok(b, gate_record("KEEP", "main", CAND_B, 2), hb);
	assert_int_equal(state_ledger_count(b), 2);
	assert_true(num(state_ledger_record(b, 1), "seq") == 2);
	assert_string_equal(str(state_ledger_record(b, 1), "prev"), ha);
	append_ok(a, gate_record("KEEP", "main", CAND_C, 3), NULL);
	assert_int_equal(state_ledger_count(a), 3);
	assert_string_equal(str(state_ledger_record(a, 2), "prev"), hb);
	assert_intact(a);
	state_ledger_free(a);
	state_ledger_free(b);
}

#define PER_CHILD 50

/* A child: 50 appends through a handle opened before the fork. */
static void child_appends(state_ledger *l, int who)
{
	int failures = 0;

	for (int i = 0; i < PER_CHILD; i++) {
		cJSON *r = gate_record("REJECT", "main", CAND_A, i);

		cJSON_AddNumberToObject(r, "who", who);
		if (state_ledger_append(l, r, NULL) != 0) {
			fprintf(stderr, "child %d: %s\n", who, bg_error_last());
			failures++;
		}
	}
	state_ledger_free(l);
	_exit(failures ? 1 : 0);
}

static void test_two_processes_append_concurrently(void **state)
{
	fixture *f = *state;
	state_ledger *l = NULL;
	pid_t pid[2];
	int status, per[3] = { 0 }, last_x[3] = { -1, -1, -1 };
	char *text;

	assert_int_equal(state_ledger_open(&l, f->path), 0);
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		assert_true(pid[c] >= 0);
		if (pid[c] == 0)
			child_appends(l, c + 1);
	}
	for (int c = 0; c < 2; c++) {
		assert_int_equal(waitpid(pid[c], &status, 0), pid[c]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	state_ledger_free(l);

	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_string_equal(state_ledger_warning(l), "");
	assert_int_equal(state_ledger_count(l), 2 * PER_CHILD);
	assert_intact(l);
	for (size_t i = 0; i < state_ledger_count(l); i++) {
		const cJSON *rec = state_ledger_record(l, i);
		int who = (int)num(rec, "who"), x = (int)num(rec, "x");

		assert_true(who == 1 || who == 2);
		assert_int_equal(x, last_x[who] + 1);   /* each child's own order kept */
		last_x[who] = x;
		per[who]++;
	}
	assert_int_equal(per[1], PER_CHILD);
	assert_int_equal(per[2], PER_CHILD);
	state_ledger_free(l);
	text = bg_test_slurp(f->path);
	assert_int_equal(count_char(text, '\n'), 2 * PER_CHILD);
	free(text);
}

static void test_failed_write_leaves_no_partial_line(void **state)
{
	fixture *f = *state;
	char h[2][41], h3[41];
	state_ledger *l = ledger_with(f->path, 2, h);
	struct rlimit old, small;
	void (*old_handler)(int);
	off_t size = file_size(f->path);
	int rc;

	/* Room for 5 more bytes: the write comes up short (EFBIG after). */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = (rlim_t)size + 5;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = state_ledger_append(l, gate_record("KEEP", "main", CAND_A, 3), h3);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	assert_int_equal(rc, BG_ESYS);
	assert_non_null(strstr(bg_error_last(), f->path));
	assert_int_equal(file_size(f->path), size);
	assert_int_equal(state_ledger_count(l), 2);

	append_ok(l, gate_record("KEEP", "main", CAND_A, 3), h3);
	assert_true(num(state_ledger_record(l, 2), "seq") == 3);
	assert_string_equal(str(state_ledger_record(l, 2), "prev"), h[1]);
	state_ledger_free(l);
	l = NULL;
	assert_int_equal(state_ledger_open(&l, f->path), 0);
	assert_string_equal(state_ledger_warning(l), "");
	assert_int_equal(state_ledger_count(l), 3);
	assert_intact(l);
	state_ledger_free(l);
}

static void test_missing_directory(void **state)
{
	fixture *f = *state;
	char path[192], sub[160];
	state_ledger *l = NULL;

	snprintf(path, sizeof(path), "%s/nope/ledger.jsonl", f->dir);
	assert_int_equal(state_ledger_open(&l, path), BG_ESYS);
	assert_null(l);
	assert_non_null(strstr(bg_error_last(), path));

	/* The directory goes away between open and append. */
	snprintf(sub, sizeof(sub), "%s/gone", f->dir);
	snprintf(path, sizeof(path), "%s/ledger.jsonl", sub);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(state_ledger_open(&l, path), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(state_ledger_append(l, gate_record("KEEP", "main", CAND_A, 1), NULL), BG_ESYS);
	assert_non_null(strstr(bg_error_last(), path));
	assert_int_equal(state_ledger_count(l), 0);
	state_ledger_free(l);
	state_ledger_free(NULL);
}

/* Opens a read-only ledger with a leftover; 0 when all is as expected,
 * else the number of the check that failed (it may run in a child). */
static int read_only_checks(const fixture *f, off_t size)
{
	state_ledger *l = NULL;
	struct stat st;
	int step = 0;

	if (state_ledger_open(&l, f->path) != 0)
		step = 1;
	else if (state_ledger_count(l) != 1)
		step = 2;
	else if (strstr(state_ledger_warning(l), "read-only") == NULL)
		step = 3;
	else if (stat(f->path, &st) < 0 || st.st_size != size)
		step = 4;
	else if (access(f->corrupt, F_OK) == 0)
		step = 5;
	if (step)
		fprintf(stderr, "read-only check %d failed: %s | %s\n", step, bg_error_last(),
			l ? state_ledger_warning(l) : "");
	state_ledger_free(l);
	return step;
}

static void test_read_only_leftover_left_in_place(void **state)
{
	fixture *f = *state;
	char h[1][41];
	state_ledger *l = ledger_with(f->path, 1, h);
	off_t size;
	pid_t pid;
	int status;

	state_ledger_free(l);
	write_file(f->path, "{\"seq\":2", "a");
	size = file_size(f->path);
	assert_int_equal(chmod(f->path, 0444), 0);
	if (geteuid() != 0) {
		assert_int_equal(read_only_checks(f, size), 0);
		return;
	}
	/* Root may write a 0444 file: drop to nobody in a child to check. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100);
		_exit(read_only_checks(f, size));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_records_chain_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_is_empty_until_first_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_last_line_moved_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unparseable_newline_terminated_last_line_moved_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle_line_is_parse_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_number_breaks_next_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_line_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_kept_per_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decisions_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_handle_catches_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_append_concurrently, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_no_partial_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_leftover_left_in_place, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
