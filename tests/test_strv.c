/* Tests of the string vectors (common/bg_strv.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bg_strv.h"

#include <string.h>

static void test_push_copies_and_terminates(void **unused)
{
	bg_strv s = BG_STRV_INIT;
	char word[] = "alphabet";

	(void)unused;
	for (int i = 0; i < 20; i++)   /* past the first growth */
		assert_int_equal(bg_strv_push(&s, word, (size_t)(i % 5) + 1), 0);
	assert_int_equal(s.n, 20);
	assert_true(s.cap >= 21);
	assert_string_equal(s.v[0], "a");
	assert_string_equal(s.v[4], "alpha");
	assert_string_equal(s.v[19], "alpha");
	assert_null(s.v[20]);
	word[0] = 'X';                  /* copies, not borrowed */
	assert_string_equal(s.v[0], "a");
	bg_strv_free(s.v);
}

static void test_sort_unique(void **unused)
{
	const char *in[] = { "b.txt", "a.txt", "b.txt", "c", "a.txt", "b.txt" };
	bg_strv s = BG_STRV_INIT;

	(void)unused;
	bg_strv_sort_unique(&s);        /* empty: nothing to do */
	assert_null(s.v);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(bg_strv_push(&s, in[i], strlen(in[i])), 0);
	bg_strv_sort_unique(&s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[0], "a.txt");
	assert_string_equal(s.v[1], "b.txt");
	assert_string_equal(s.v[2], "c");
	assert_null(s.v[3]);
	bg_strv_free(s.v);
	bg_strv_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_copies_and_terminates),
		cmocka_unit_test(test_sort_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
